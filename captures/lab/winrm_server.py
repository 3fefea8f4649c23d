#!/usr/bin/python3
"""Lab-only WinRM endpoint for the hopsniff double-hop lab (not product code).

HTTP on 5985, connection-based Negotiate auth through GSS-API: Kerberos with the service keytab
(KRB5_KTNAME; HTTP/ and WSMAN/ SPNs of SRV1$) and, when a client sends raw NTLMSSP (srv1 addressed by IP),
NTLM through gss-ntlmssp (NTLM_USER_FILE). WS-Management SOAP answers that pywinrm accepts
(Create shell, Command, Receive, Signal, Delete) and WinRM-style SOAP faults. Bodies in clear text (like
AllowUnencrypted=true) when the client sends them so, else sealed as Windows seals them (MS-WSMV 2.2.9.1,
winrm_seal.py: Kerberos and NTLM through GSS-API wrap/unwrap); --plain-log writes each sealed body's plaintext.

The one command it runs is the second hop:  hop2 smb //srv2.hop.test[:PORT]/share [--cred USER PASSWORD]
or, over WinRM, hop2 winrm http://srv2.hop.test:5985/wsman (pywinrm on srv1 running 'whoami' on srv2's own
endpoint, which answers the principal it authenticated), or over LDAP, hop2 ldap ldap://dc.hop.test[:PORT]
(ldapsearch -Y GSSAPI reading the user's own entry); and, for large sealed bodies, lab-echo N: N bytes of text
on stdout.
srv1 performs it with whatever credential it really holds, chosen by --hop2:
  auto     forwarded TGT (delegated GSS creds) if the client sent one, else the password given with
           --cred (fresh credentials: a new AS exchange), else nothing (anonymous SMB)
  s4u      S4U2Self for the authenticated user with SRV1$'s keytab, then S4U2Proxy (MIT krb5 does it
           when smbclient asks for cifs/srv2 with the impersonation ccache)
  runas    a fixed account (svc_runas, from its keytab), whoever the caller is
  machine  srv1's machine account SRV1$ (keytab)
--ntlm-fallback anonymous|user: when smbclient with a ticket cache could build no Kerberos token (the TGS exchange
failed), a second smbclient does Negotiate's NTLM fallback with what a ticket-only logon holds: anonymous, or the
user's name with no password (scenarios 36, 37).
"""
import argparse
import base64
import hashlib
import http.server
import json
import os
import shlex
import socketserver
import subprocess
import sys
import tempfile
import time
import uuid
import xml.etree.ElementTree as ET

import ssl

import gssapi

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import credssp  # noqa: E402  (lab-written MS-CSSP pieces)
import winrm_seal  # noqa: E402  (MS-WSMV 2.2.9.1 message encryption)

NS = {
    's': 'http://www.w3.org/2003/05/soap-envelope',
    'a': 'http://schemas.xmlsoap.org/ws/2004/08/addressing',
    'w': 'http://schemas.dmtf.org/wbem/wsman/1/wsman.xsd',
    'p': 'http://schemas.microsoft.com/wbem/wsman/1/wsman.xsd',
    'rsp': 'http://schemas.microsoft.com/wbem/wsman/1/windows/shell',
    'x': 'http://schemas.xmlsoap.org/ws/2004/09/transfer',
}
ACT = {
    'create': 'http://schemas.xmlsoap.org/ws/2004/09/transfer/Create',
    'delete': 'http://schemas.xmlsoap.org/ws/2004/09/transfer/Delete',
    'command': 'http://schemas.microsoft.com/wbem/wsman/1/windows/shell/Command',
    'receive': 'http://schemas.microsoft.com/wbem/wsman/1/windows/shell/Receive',
    'signal': 'http://schemas.microsoft.com/wbem/wsman/1/windows/shell/Signal',
}
ARGS = None
SHELLS = {}     # shell id -> {command id -> result dict}


def log(*a):
    print(time.strftime('%H:%M:%S'), *a, file=sys.stderr, flush=True)


def plain_log(kind, data):
    """The plaintext of one sealed body, in wire order per connection (tests compare hopsniff's decryption)."""
    log('%s plaintext %d bytes sha256 %s' % (kind, len(data), hashlib.sha256(data).hexdigest()))
    if ARGS.plain_log:
        with open(ARGS.plain_log, 'a') as f:
            f.write(json.dumps({'kind': kind, 'length': len(data), 'sha256': hashlib.sha256(data).hexdigest(),
                                'b64': base64.b64encode(data).decode()}) + '\n')


def envelope(action, relates_to, body):
    return ('<?xml version="1.0" encoding="utf-8"?>'
            '<s:Envelope xml:lang="en-US" xmlns:s="%s" xmlns:a="%s" xmlns:x="%s" xmlns:w="%s" '
            'xmlns:rsp="%s" xmlns:p="%s"><s:Header><a:Action>%s</a:Action>'
            '<a:MessageID>uuid:%s</a:MessageID><a:To>http://schemas.xmlsoap.org/ws/2004/08/addressing/role/anonymous</a:To>'
            '<a:RelatesTo>%s</a:RelatesTo></s:Header><s:Body>%s</s:Body></s:Envelope>'
            % (NS['s'], NS['a'], NS['x'], NS['w'], NS['rsp'], NS['p'], action, str(uuid.uuid4()).upper(),
               relates_to, body))


def fault(relates_to, code, subcode, wsman_code, text):
    """A WinRM-style fault: s:Fault with a wsmanfault:WSManFault carrying the Windows error code."""
    body = ('<s:Fault><s:Code><s:Value>s:%s</s:Value><s:Subcode><s:Value>w:%s</s:Value></s:Subcode></s:Code>'
            '<s:Reason><s:Text xml:lang="en-US">%s</s:Text></s:Reason><s:Detail>'
            '<f:WSManFault xmlns:f="http://schemas.microsoft.com/wbem/wsman/1/wsmanfault" Code="%d" Machine="srv1.hop.test">'
            '<f:Message>%s</f:Message></f:WSManFault></s:Detail></s:Fault>') % (code, subcode, text, wsman_code, text)
    return envelope('http://schemas.dmtf.org/wbem/wsman/1/wsman/fault', relates_to, body)


# ------------------------------------------------------------------ second hop
def run(cmd, env, log_to):
    log('hop2 exec:', ' '.join(shlex.quote(c) for c in cmd))
    p = subprocess.run(cmd, env=env, stdin=subprocess.DEVNULL, capture_output=True, timeout=60)
    log_to.append({'cmd': cmd, 'rc': p.returncode, 'stdout': p.stdout.decode(errors='replace'),
                   'stderr': p.stderr.decode(errors='replace')})
    return p


def hop2(argv, conn):
    """Performs the second hop; returns (rc, stdout, stderr). conn: authenticated connection state."""
    if len(argv) < 2 or argv[0] not in ('smb', 'winrm', 'ldap'):
        return 2, '', 'usage: hop2 smb //host[:port]/share | winrm http://host:5985/wsman | ldap ldap://host[:port] [--cred USER PASSWORD]\n'
    proto, target = argv[0], argv[1]
    # the hop-2 host: //host[:port]/share (SMB), http://host:5985/wsman (WinRM), ldap://host[:port] (LDAP)
    hostport = target.split('//', 1)[1].split('/')[0]
    host, _, port = hostport.partition(':')
    cred = None
    if '--cred' in argv:
        i = argv.index('--cred')
        cred = (argv[i + 1], argv[i + 2])
    elif conn.get('credssp'):
        cred = conn['credssp']          # the password CredSSP delivered in TSCredentials
    work = tempfile.mkdtemp(prefix='hop2-', dir=ARGS.workdir)
    ccache = 'FILE:' + os.path.join(work, 'ccache')
    env = dict(os.environ, KRB5CCNAME=ccache)
    steps = []
    how = None
    smb_user = None
    principal = conn.get('principal')
    user = principal.split('@')[0] if principal else None

    if ARGS.hop2 == 'auto' and conn.get('delegated') is not None:
        conn['delegated'].store(store={'ccache': ccache}, overwrite=True)
        how, smb_user = 'forwarded TGT of %s (delegated GSS credentials)' % principal, user
    elif ARGS.hop2 == 'auto' and cred:
        how, smb_user = ('CredSSP-delegated password of %s (kinit)' if conn.get('credssp') else
                         'fresh credentials for %s (kinit with the password from the command)') % cred[0], cred[0]
        p = subprocess.run(['kinit', '%s@%s' % (cred[0], ARGS.realm)], input=(cred[1] + '\n').encode(),
                           env=env, capture_output=True, timeout=30)
        steps.append({'cmd': ['kinit', cred[0]], 'rc': p.returncode, 'stderr': p.stderr.decode(errors='replace')})
        log('kinit', cred[0], 'rc', p.returncode, p.stderr.decode(errors='replace').strip())
        if p.returncode != 0:
            _record(principal, conn, how, target, p.returncode, steps)
            return p.returncode, 'srv1 second hop using: %s\n' % how, 'kinit %s: %s' % (cred[0], p.stderr.decode(errors='replace'))
    elif ARGS.hop2 == 's4u' and principal:
        # Protocol transition + constrained delegation with MIT krb5's kvno: TGT of SRV1$ from its keytab,
        # S4U2Self for the caller, S4U2Proxy to the hop-2 SPN; the proxy ticket goes to the ccache smbclient
        # uses. (Storing gssapi impersonated creds into a ccache lost the impersonation for smbclient: it then
        # sent a plain TGS-REQ with SRV1$'s TGT, so the lab does not use that route.)
        how, smb_user = 'S4U2Self + S4U2Proxy for %s as %s (kvno -U -P)' % (principal, ARGS.machine), user
        svc_cc = 'FILE:' + os.path.join(work, 'svc.ccache')
        spn = {'smb': 'cifs/', 'winrm': 'HTTP/', 'ldap': 'ldap/'}[proto] + host
        for cmd in (['kinit', '-k', '-t', ARGS.keytab, '-c', svc_cc, '%s@%s' % (ARGS.machine, ARGS.realm)],
                    ['kvno', '-c', svc_cc, '-U', principal.split('@')[0], '-P', '--out-cache', ccache, spn]):
            p = run(cmd, env, steps)
            if p.returncode != 0:
                err = p.stderr.decode(errors='replace')
                log('S4U failed:', cmd[0], err.strip())
                _record(principal, conn, how, target, p.returncode, steps)
                return p.returncode, 'srv1 second hop using: %s\n' % how, '%s: %s' % (cmd[0], err)
    elif ARGS.hop2 == 'runas':
        how, smb_user = 'RunAs account svc_runas (keytab)', 'svc_runas'
        p = subprocess.run(['kinit', '-k', '-t', ARGS.runas_keytab, 'svc_runas@' + ARGS.realm],
                           env=env, capture_output=True, timeout=30)
        if p.returncode != 0:
            return p.returncode, '', p.stderr.decode(errors='replace')
    elif ARGS.hop2 == 'machine':
        how, smb_user = 'machine account %s (keytab)' % ARGS.machine, ARGS.machine
        p = subprocess.run(['kinit', '-k', '-t', ARGS.keytab, '%s@%s' % (ARGS.machine, ARGS.realm)],
                           env=env, capture_output=True, timeout=30)
        if p.returncode != 0:
            return p.returncode, '', p.stderr.decode(errors='replace')
    else:
        how = 'no credential of the caller on srv1: anonymous SMB session'

    if proto == 'winrm':
        return _hop2_winrm(principal, conn, how, target, ccache, env, steps)
    if proto == 'ldap':
        return _hop2_ldap(principal, conn, how, target, ccache, env, steps, user)
    # smbclient takes a non-standard SMB port with -p (a //host:port/share name is not accepted)
    base = ['smbclient', '-s', ARGS.smbconf, target.replace(hostport, host, 1), '-c', 'ls'] + (['-p', port] if port else [])
    if smb_user is None:
        cmd = base + ['-N']
    elif cred and ARGS.hop2 == 'auto' and conn.get('delegated') is None:
        # fresh credentials: Kerberos first, NTLM with the same password if Kerberos is impossible
        # (a DOMAIN\\user name makes Samba 4.17 try the realm "DOMAIN" and skip Kerberos: give the bare name)
        cmd = base + ['--use-kerberos=desired', '-U', '%s%%%s' % (cred[0], cred[1])]
    else:
        # the ccache names the user: Samba 4.22's smbclient given -U USER without a password ignores
        # KRB5CCNAME and prompts ("No password for user principal"), so the ccache is passed explicitly.
        cmd = base + ['--use-kerberos=required', '--use-krb5-ccache=' + ccache]
    p = run(cmd, env, steps)
    if ARGS.ntlm_fallback and smb_user is not None and not cred and _krb_token_failed(p):
        how, p = _ntlm_fallback(how, base, host, smb_user, work, env, steps)
    out = 'srv1 second hop using: %s\n%s' % (how, p.stdout.decode(errors='replace'))
    err = p.stderr.decode(errors='replace')
    log('hop2 rc', p.returncode, 'via', how, '|', (out + err).replace('\n', ' ')[:300])
    _record(principal, conn, how, target, p.returncode, steps)
    return p.returncode, out, err


def _krb_token_failed(p):
    """smbclient could not build its Kerberos token (the TGS exchange failed), so it sent the server no
    session setup at all: the point where Windows' Negotiate package falls back to NTLM."""
    return p.returncode != 0 and b'creating NEG_TOKEN_INIT' in p.stderr


def _ntlm_fallback(how, base, host, user, work, env, steps):
    """Negotiate's NTLM fallback after Kerberos produced no token (--ntlm-fallback, scenario 36), with what a
    network logon holding only a ticket has for NTLM: no password or NT hash. 'anonymous': the NULL session
    Windows sends then (ANONYMOUS LOGON at the target); 'user': NTLM under the user's name with no password.
    A second smbclient on a new connection: Samba's smbclient cannot fall back inside one SPNEGO exchange
    with a ticket-only credential (docs/lab.md)."""
    env = dict(env, KRB5CCNAME='FILE:' + os.path.join(work, 'none'))   # no ticket cache: NTLM only
    if ARGS.ntlm_fallback == 'anonymous':
        cmd, what = base + ['--use-kerberos=off', '-U%', '-N'], 'anonymous'
    else:
        cmd, what = base + ['--use-kerberos=off', '-U', user, '-N'], 'as %s with no password' % user
    how += '; no Kerberos ticket for cifs/%s, NTLM fallback %s' % (host, what)
    return how, run(cmd, env, steps)


def _hop2_winrm(principal, conn, how, target, ccache, env, steps):
    """Hop 2 over WinRM (srv1 -> srv2:5985): pywinrm with whatever ccache srv1 holds, running 'whoami'."""
    if how is None:
        how = 'no credential of the caller on srv1: WinRM without a Kerberos ticket'
    if not os.path.exists(ccache[len('FILE:'):]):
        env = dict(env, KRB5CCNAME='FILE:' + os.path.join(os.path.dirname(ccache[len('FILE:'):]), 'empty'))
    p = run([sys.executable, os.path.join(os.path.dirname(os.path.abspath(__file__)), 'winrm_client.py'),
             '--endpoint', target, '--transport', 'kerberos', 'whoami'], env, steps)
    out = 'srv1 second hop using: %s\n%s' % (how, p.stdout.decode(errors='replace'))
    err = p.stderr.decode(errors='replace')
    log('hop2 winrm rc', p.returncode, 'via', how, '|', (out + err).replace('\n', ' ')[:300])
    _record(principal, conn, how, target, p.returncode, steps)
    return p.returncode, out, err


def _hop2_ldap(principal, conn, how, target, ccache, env, steps, user):
    """Hop 2 over LDAP (srv1 -> the DC, SASL GSSAPI bind with the ccache srv1 holds): the caller's own entry."""
    if how is None:
        how = 'no credential of the caller on srv1: LDAP without a Kerberos ticket'
    p = run(['ldapsearch', '-LLL', '-Y', 'GSSAPI', '-N', '-H', target, '-b', 'DC=hop,DC=test',
             '(sAMAccountName=%s)' % (user or 'nobody'), 'distinguishedName'], env, steps)
    out = 'srv1 second hop using: %s\n%s' % (how, p.stdout.decode(errors='replace'))
    err = p.stderr.decode(errors='replace')
    log('hop2 ldap rc', p.returncode, 'via', how, '|', (out + err).replace('\n', ' ')[:300])
    _record(principal, conn, how, target, p.returncode, steps)
    return p.returncode, out, err


def _record(principal, conn, how, target, rc, steps):
    with open(os.path.join(ARGS.workdir, 'hop2-results.jsonl'), 'a') as f:
        f.write(json.dumps({'principal': principal, 'mech': conn.get('mech'), 'how': how, 'target': target,
                            'rc': rc, 'steps': steps}) + '\n')


# ------------------------------------------------------------------ HTTP / WS-Man
class Server(socketserver.ThreadingMixIn, http.server.HTTPServer):
    daemon_threads = True
    allow_reuse_address = True


class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = 'HTTP/1.1'
    server_version = 'Microsoft-HTTPAPI/2.0'
    sys_version = ''

    def setup(self):
        super().setup()
        self.conn = {}          # per TCP connection: WinRM authenticates connections, not requests
        self.gss = None
        self.cssp = None

    def log_message(self, fmt, *a):
        log('%s %s' % (self.client_address[0], fmt % a))

    def send(self, status, body=b'', headers=(), ctype='application/soap+xml;charset=UTF-8'):
        self.send_response(status)
        for k, v in headers:
            self.send_header(k, v)
        if body:
            self.send_header('Content-Type', ctype)
        self.send_header('Content-Length', str(len(body)))
        self.end_headers()
        if body:
            self.wfile.write(body)

    def challenge(self, token=None):
        if token:
            hdrs = [('WWW-Authenticate', 'Negotiate ' + base64.b64encode(token).decode())]
        else:
            hdrs = [('WWW-Authenticate', 'Negotiate'), ('WWW-Authenticate', 'Kerberos')]
            if ARGS.credssp_cert:
                hdrs.append(('WWW-Authenticate', 'CredSSP'))
            if ARGS.close_after_401:
                # as a front end that does not keep a connection alive across the first 401 (a reverse proxy,
                # HTTP.sys under load): the client must authenticate on a new TCP connection
                hdrs.append(('Connection', 'close'))
                self.close_connection = True
        self.send(401, b'', hdrs)

    def credssp_leg(self, token):
        """One leg of MS-CSSP: TLS records in Authorization/WWW-Authenticate: CredSSP."""
        st = self.cssp
        if st is None:
            c = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
            c.load_cert_chain(ARGS.credssp_cert)
            c.maximum_version = ssl.TLSVersion.TLSv1_2
            if ARGS.keylog:
                c.keylog_filename = ARGS.keylog
            inc, out = ssl.MemoryBIO(), ssl.MemoryBIO()
            st = self.cssp = {'inc': inc, 'out': out, 'tls': c.wrap_bio(inc, out, server_side=True),
                              'hs': False, 'gss': None}
            pem = open(ARGS.credssp_cert).read()
            st['pubkey'] = credssp.subject_public_key(ssl.PEM_cert_to_DER_cert(
                pem[pem.index('-----BEGIN CERTIFICATE-----'):]))
        st['inc'].write(token)
        tls = st['tls']
        reply = None
        if not st['hs']:
            try:
                tls.do_handshake()
                st['hs'] = True
            except ssl.SSLWantReadError:
                pass
        else:
            data = b''
            while True:
                try:
                    data += tls.read(65536)
                except ssl.SSLWantReadError:
                    break
            r = credssp.parse_ts_request(data)
            out_tok = None
            if 'nego_token' in r:
                if st['gss'] is None:
                    st['gss'] = gssapi.SecurityContext(usage='accept')
                try:
                    out_tok = st['gss'].step(r['nego_token'])
                except gssapi.exceptions.GSSError as e:
                    log('CredSSP SPNEGO failed:', e)
                    tls.write(credssp.ts_request(6, error_code=0xC000006D - (1 << 32)))
                    return self.send(401, b'', [('WWW-Authenticate', 'CredSSP ' + base64.b64encode(st['out'].read()).decode())])
            if 'auth_info' in r:
                dom, user, pw = credssp.parse_ts_credentials(st['gss'].unwrap(r['auth_info']).message)
                self.conn = {'principal': str(st['gss'].initiator_name), 'mech': 'credssp', 'delegated': None,
                             'credssp': (user, pw)}
                log('CredSSP: %s delegated the password of %s\\%s' % (self.conn['principal'], dom, user))
                self.cssp = None
                return self.send(200, b'')
            if 'pub_key_auth' in r:
                ok = st['gss'].unwrap(r['pub_key_auth']).message == credssp.binding_hash(
                    'c2s', r.get('client_nonce', b''), st['pubkey'])
                if not ok:
                    log('CredSSP pubKeyAuth mismatch')
                    return self.challenge()
                reply = credssp.ts_request(6, nego_token=out_tok, pub_key_auth=st['gss'].wrap(
                    credssp.binding_hash('s2c', r.get('client_nonce', b''), st['pubkey']), True).message)
            else:
                reply = credssp.ts_request(6, nego_token=out_tok)
            tls.write(reply)
        self.send(401, b'', [('WWW-Authenticate', 'CredSSP ' + base64.b64encode(st['out'].read()).decode())])

    def do_POST(self):
        length = int(self.headers.get('Content-Length', 0))
        body = self.rfile.read(length) if length else b''
        out_token = None
        auth = self.headers.get('Authorization')
        if auth:
            scheme, _, b64 = auth.partition(' ')
            if scheme.lower() == 'credssp' and b64:
                if not ARGS.credssp_cert:       # CredSSP disabled on the server (Enable-WSManCredSSP -Role Server not run)
                    log('client asked for CredSSP, which is disabled here: 401 Negotiate, Kerberos')
                    return self.challenge()
                return self.credssp_leg(base64.b64decode(b64))
            if scheme.lower() not in ('negotiate', 'kerberos') or not b64:
                return self.challenge()
            token = base64.b64decode(b64)
            if token.startswith(b'NTLMSSP\0') and not ARGS.ntlm:
                return self.challenge()
            try:
                if self.gss is None or self.gss.complete:
                    self.gss = gssapi.SecurityContext(usage='accept')
                out_token = self.gss.step(token)
            except gssapi.exceptions.GSSError as e:
                log('GSS accept failed:', e)
                self.gss = None
                self.conn = {}
                return self.challenge()
            if not self.gss.complete:
                return self.challenge(out_token)
            self.conn = {'principal': str(self.gss.initiator_name), 'mech': str(self.gss.mech),
                         'delegated': self.gss.delegated_creds}
            log('authenticated %s mech %s delegated=%s' % (self.conn['principal'], self.conn['mech'],
                                                           self.conn['delegated'] is not None))
        if not self.conn:
            return self.challenge()
        hdrs = [('WWW-Authenticate', 'Negotiate ' + base64.b64encode(out_token).decode())] if out_token else []
        sealed = self.headers.get('Content-Type', '').startswith(('multipart/encrypted', 'multipart/x-multi-encrypted'))
        if sealed:
            if self.gss is None or not self.gss.complete:
                return self.send(400, b'')      # CredSSP-sealed bodies are not implemented here
            try:
                body = winrm_seal.unseal(self.gss, body)
            except Exception as e:              # wrong key, tampering: Windows answers 400
                log('unseal failed:', e)
                return self.send(400, b'')
            plain_log('request', body)
        if not body:                            # pywinrm's blank POST that sets up the security context
            return self.send(200, b'', hdrs)
        status, resp = self.wsman(body)
        if sealed:
            plain_log('response', resp.encode())
            ctype, out = winrm_seal.seal(self.gss, resp.encode(), ARGS.multi_chunk)
            return self.send(status, out, hdrs, ctype)
        self.send(status, resp.encode(), hdrs)

    def wsman(self, body):
        try:
            root = ET.fromstring(body)
        except ET.ParseError:
            return 500, fault('', 'Sender', 'SchemaValidationError', 2150858817, 'The SOAP XML in the message does not match the corresponding XML schema definition.')
        action = root.findtext('s:Header/a:Action', '', NS)
        msgid = root.findtext('s:Header/a:MessageID', '', NS)
        sel = root.find(".//w:SelectorSet/w:Selector[@Name='ShellId']", NS)
        shell_id = sel.text if sel is not None else None
        if action == ACT['create']:
            shell_id = str(uuid.uuid4()).upper()
            SHELLS[shell_id] = {}
            return 200, envelope('http://schemas.xmlsoap.org/ws/2004/09/transfer/CreateResponse', msgid,
                                 '<x:ResourceCreated><a:Address>%s://%s:%d/wsman</a:Address><a:ReferenceParameters>'
                                 '<w:ResourceURI>http://schemas.microsoft.com/wbem/wsman/1/windows/shell/cmd</w:ResourceURI>'
                                 '<w:SelectorSet><w:Selector Name="ShellId">%s</w:Selector></w:SelectorSet>'
                                 '</a:ReferenceParameters></x:ResourceCreated>' % ('https' if ARGS.tls_cert else 'http', ARGS.bind, ARGS.port, shell_id))
        if shell_id not in SHELLS:
            return 500, fault(msgid, 'Sender', 'InvalidSelectors', 2150858843,
                              'The request for the Windows Remote Shell with ShellId %s failed because the shell was not found on the server.' % shell_id)
        if action == ACT['command']:
            cmd = root.findtext('.//rsp:CommandLine/rsp:Command', '', NS).strip().strip('"')
            # pywinrm 0.3.0 joins all arguments into one rsp:Arguments element
            args = [x for a in root.findall('.//rsp:CommandLine/rsp:Arguments', NS) for x in shlex.split(a.text or '')]
            cid = str(uuid.uuid4()).upper()
            if cmd == 'lab-echo' and args:
                n = int(args[0])
                res = (0, ('0123456789abcdef' * (n // 16 + 1))[:n], '')
            elif cmd == 'whoami':
                # srv2's endpoint in the WinRM second-hop scenarios: who hop 2 authenticated as
                res = (0, '%s (%s)\n' % (self.conn.get('principal'), self.conn.get('mech')), '')
            elif cmd != 'hop2':
                res = (1, '', "'%s' is not recognized as an internal or external command.\r\n" % cmd)
            else:
                res = hop2(args, self.conn)
            SHELLS[shell_id][cid] = res
            return 200, envelope(ACT['command'] + 'Response', msgid,
                                 '<rsp:CommandResponse><rsp:CommandId>%s</rsp:CommandId></rsp:CommandResponse>' % cid)
        if action == ACT['receive']:
            ds = root.find('.//rsp:DesiredStream', NS)
            cid = ds.get('CommandId') if ds is not None else None
            if cid not in SHELLS[shell_id]:
                return 500, fault(msgid, 'Sender', 'InvalidSelectors', 2150858843, 'The command was not found.')
            rc, out, err = SHELLS[shell_id][cid]
            streams = ''
            for name, data in (('stdout', out), ('stderr', err)):
                if data:
                    streams += '<rsp:Stream Name="%s" CommandId="%s">%s</rsp:Stream>' % (
                        name, cid, base64.b64encode(data.encode()).decode())
                streams += '<rsp:Stream Name="%s" CommandId="%s" End="true"></rsp:Stream>' % (name, cid)
            return 200, envelope(ACT['receive'] + 'Response', msgid,
                                 '<rsp:ReceiveResponse>%s<rsp:CommandState CommandId="%s" State="http://schemas.microsoft.com/wbem/wsman/1/windows/shell/CommandState/Done">'
                                 '<rsp:ExitCode>%d</rsp:ExitCode></rsp:CommandState></rsp:ReceiveResponse>' % (streams, cid, rc))
        if action == ACT['signal']:
            return 200, envelope(ACT['signal'] + 'Response', msgid, '<rsp:SignalResponse/>')
        if action == ACT['delete']:
            SHELLS.pop(shell_id, None)
            return 200, envelope('http://schemas.xmlsoap.org/ws/2004/09/transfer/DeleteResponse', msgid, '')
        return 500, fault(msgid, 'Sender', 'ActionNotSupported', 2150858771,
                          'The WS-Management service cannot process the request because the action is not supported.')


def main():
    global ARGS
    ap = argparse.ArgumentParser()
    ap.add_argument('--bind', required=True)
    ap.add_argument('--port', type=int, default=5985)
    ap.add_argument('--realm', required=True)
    ap.add_argument('--domain', default='HOP')
    ap.add_argument('--keytab', required=True)
    ap.add_argument('--machine', required=True)
    ap.add_argument('--runas-keytab')
    ap.add_argument('--workdir', required=True)
    ap.add_argument('--smbconf', required=True)
    ap.add_argument('--hop2', choices=['auto', 's4u', 'runas', 'machine'], default='auto')
    ap.add_argument('--no-ntlm', dest='ntlm', action='store_false')
    ap.add_argument('--ntlm-fallback', choices=['anonymous', 'user'],
                    help='hop 2 over SMB with a ticket: when Kerberos yields no token, NTLM as Negotiate would')
    ap.add_argument('--tls-cert', help='serve HTTPS (WinRM 5986) with this PEM cert+key')
    ap.add_argument('--keylog', help='TLS key log file (NSS format) written by the server')
    ap.add_argument('--credssp-cert', help='enable CredSSP (PEM cert+key for its TLS channel)')
    ap.add_argument('--close-after-401', action='store_true',
                    help='close the connection after the first 401 (the client retries on a new connection)')
    ap.add_argument('--plain-log', help='append the plaintext of each sealed body (JSON lines)')
    ap.add_argument('--multi-chunk', type=int, default=16384,
                    help='sealed responses longer than this go as several parts (multipart/x-multi-encrypted)')
    ARGS = ap.parse_args()
    log('WinRM lab endpoint on %s:%d hop2=%s ntlm=%s tls=%s' % (ARGS.bind, ARGS.port, ARGS.hop2, ARGS.ntlm,
                                                               bool(ARGS.tls_cert)))
    srv = Server((ARGS.bind, ARGS.port), Handler)
    if ARGS.tls_cert:
        import ssl
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        ctx.load_cert_chain(ARGS.tls_cert)
        if ARGS.keylog:
            ctx.keylog_filename = ARGS.keylog
        srv.socket = ctx.wrap_socket(srv.socket, server_side=True)
    srv.serve_forever()


if __name__ == '__main__':
    main()
