#!/usr/bin/python3
"""client1's CredSSP WinRM client for scenarios 3 and 4 (lab-written; see credssp.py for why).
Authenticates to srv1 with `Authorization: CredSSP` over HTTP 5985 (TLS inside the header, SPNEGO/Kerberos
inside TLS, the user's password delegated in TSCredentials), then runs one command through a WS-Man shell
on the same connection. Prints the observed outcome as JSON."""
import argparse
import base64
import http.client
import json
import os
import re
import ssl
import sys
import uuid

import gssapi

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import credssp  # noqa: E402

SPNEGO = gssapi.OID.from_int_seq('1.3.6.1.5.5.2')
ap = argparse.ArgumentParser()
ap.add_argument('--host', required=True)
ap.add_argument('--port', type=int, default=5985)
ap.add_argument('--domain', required=True)
ap.add_argument('--user', required=True)
ap.add_argument('--password', required=True)
ap.add_argument('--keylog')
ap.add_argument('command', nargs=argparse.REMAINDER)
a = ap.parse_args()
res = {'client': 'lab credssp_client.py (CredSSP over HTTP, TSRequest v6, SPNEGO/Kerberos)',
       'endpoint': 'http://%s:%d/wsman' % (a.host, a.port), 'transport': 'credssp', 'command': a.command}
conn = http.client.HTTPConnection(a.host, a.port, timeout=60)


def post(auth=None, body=b''):
    h = {'Content-Type': 'application/soap+xml;charset=UTF-8', 'User-Agent': 'Microsoft WinRM Client'}
    if auth is not None:
        h['Authorization'] = 'CredSSP ' + base64.b64encode(auth).decode()
    conn.request('POST', '/wsman', body=body, headers=h)
    r = conn.getresponse()
    data = r.read()
    return r.status, r.headers.get_all('WWW-Authenticate') or [], data


def credssp_token(hdrs):
    for h in hdrs:
        m = re.match(r'CredSSP\s+(\S+)', h)
        if m:
            return base64.b64decode(m.group(1))
    return None


def finish(code):
    print(json.dumps(res, indent=1))
    sys.exit(code)


tls = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
tls.check_hostname = False
tls.verify_mode = ssl.CERT_NONE     # CredSSP authenticates the server through pubKeyAuth, not the PKI
tls.maximum_version = ssl.TLSVersion.TLSv1_2
if a.keylog:
    tls.keylog_filename = a.keylog
inc, out = ssl.MemoryBIO(), ssl.MemoryBIO()
tlsobj = tls.wrap_bio(inc, out, server_hostname=a.host)


def exchange(plain=None):
    """One HTTP leg: send pending TLS bytes (and `plain` encrypted), feed the answer back into TLS."""
    if plain is not None:
        tlsobj.write(plain)
    status, hdrs, _ = post(out.read())
    tok = credssp_token(hdrs)
    res.setdefault('legs', []).append(status)
    if tok is None:
        return status, hdrs, None
    inc.write(tok)
    return status, hdrs, tok


# 1. TLS handshake carried in Authorization: CredSSP
while True:
    try:
        tlsobj.do_handshake()
        break
    except ssl.SSLWantReadError:
        status, hdrs, tok = exchange()
        if tok is None:
            res.update(status_code=None, http_status=status, www_authenticate=hdrs,
                       error='The authentication mechanism requested by the client is not supported by the server '
                             'or unencrypted traffic is disabled. Possible authentication mechanisms reported by '
                             'server: ' + ' '.join(h.split()[0] for h in hdrs))
            finish(1)
res['tls'] = tlsobj.version()
pubkey = credssp.subject_public_key(tlsobj.getpeercert(binary_form=True))


def read_ts():
    data = b''
    while True:
        try:
            data += tlsobj.read(65536)
        except ssl.SSLWantReadError:
            break
    return credssp.parse_ts_request(data)


# 2. SPNEGO inside TSRequest
gss = gssapi.SecurityContext(name=gssapi.Name('HTTP@' + a.host, gssapi.NameType.hostbased_service),
                             mech=SPNEGO, usage='initiate',
                             flags=gssapi.RequirementFlag.mutual_authentication |
                             gssapi.RequirementFlag.integrity | gssapi.RequirementFlag.confidentiality)
nonce = os.urandom(32)
tok = gss.step()
while True:
    status, hdrs, t = exchange(credssp.ts_request(6, nego_token=tok))
    if t is None:
        res.update(http_status=status, error='CredSSP: server stopped during SPNEGO')
        finish(1)
    r = read_ts()
    if 'error_code' in r:
        res.update(error='CredSSP TSRequest errorCode 0x%08x' % (r['error_code'] & 0xffffffff))
        finish(1)
    tok = gss.step(r.get('nego_token')) if r.get('nego_token') else None
    if gss.complete:
        break
# 3. pubKeyAuth (binding hash) both ways
pka = gss.wrap(credssp.binding_hash('c2s', nonce, pubkey), True).message
status, hdrs, t = exchange(credssp.ts_request(6, nego_token=tok, pub_key_auth=pka, client_nonce=nonce))
r = read_ts()
if gss.unwrap(r['pub_key_auth']).message != credssp.binding_hash('s2c', nonce, pubkey):
    res.update(error='CredSSP: server pubKeyAuth mismatch')
    finish(1)
# 4. authInfo: the password (TSCredentials)
auth = gss.wrap(credssp.ts_credentials(a.domain, a.user, a.password), True).message
tlsobj.write(credssp.ts_request(6, auth_info=auth))
status, hdrs, body = post(out.read())
res['credssp_final_status'] = status
if status != 200:
    res.update(http_status=status, error='CredSSP: credentials not accepted')
    finish(1)

# 5. WS-Man shell on the authenticated connection
NSX = ('xmlns:s="http://www.w3.org/2003/05/soap-envelope" xmlns:a="http://schemas.xmlsoap.org/ws/2004/08/addressing" '
       'xmlns:w="http://schemas.dmtf.org/wbem/wsman/1/wsman.xsd" xmlns:rsp="http://schemas.microsoft.com/wbem/wsman/1/windows/shell"')


def soap(action, body, shell=None):
    sel = '<w:SelectorSet><w:Selector Name="ShellId">%s</w:Selector></w:SelectorSet>' % shell if shell else ''
    x = ('<s:Envelope %s><s:Header><a:To>http://%s:%d/wsman</a:To><a:MessageID>uuid:%s</a:MessageID>'
         '<w:ResourceURI>http://schemas.microsoft.com/wbem/wsman/1/windows/shell/cmd</w:ResourceURI>'
         '<a:Action>%s</a:Action>%s</s:Header><s:Body>%s</s:Body></s:Envelope>') % (
        NSX, a.host, a.port, uuid.uuid4(), action, sel, body)
    st, _, data = post(None, x.encode())
    return st, data.decode(errors='replace')


st, d = soap('http://schemas.xmlsoap.org/ws/2004/09/transfer/Create',
             '<rsp:Shell><rsp:InputStreams>stdin</rsp:InputStreams><rsp:OutputStreams>stdout stderr</rsp:OutputStreams></rsp:Shell>')
shell = re.search(r'Name="ShellId">([^<]+)<', d)
if not shell:
    res.update(http_status=st, error='shell create failed', body=d[:500])
    finish(1)
shell = shell.group(1)
st, d = soap('http://schemas.microsoft.com/wbem/wsman/1/windows/shell/Command',
             '<rsp:CommandLine><rsp:Command>%s</rsp:Command><rsp:Arguments>%s</rsp:Arguments></rsp:CommandLine>'
             % (a.command[0], ' '.join(a.command[1:])), shell)
cid = re.search(r'<rsp:CommandId>([^<]+)<', d).group(1)
st, d = soap('http://schemas.microsoft.com/wbem/wsman/1/windows/shell/Receive',
             '<rsp:Receive><rsp:DesiredStream CommandId="%s">stdout stderr</rsp:DesiredStream></rsp:Receive>' % cid, shell)
streams = {'stdout': b'', 'stderr': b''}
for name, b64 in re.findall(r'<rsp:Stream Name="(\w+)"[^>]*>([^<]+)</rsp:Stream>', d):
    streams[name] += base64.b64decode(b64)
rc = int(re.search(r'<rsp:ExitCode>(-?\d+)<', d).group(1))
soap('http://schemas.xmlsoap.org/ws/2004/09/transfer/Delete', '', shell)
res.update(status_code=rc, std_out=streams['stdout'].decode(errors='replace'),
           std_err=streams['stderr'].decode(errors='replace'))
finish(0 if rc == 0 else 1)
