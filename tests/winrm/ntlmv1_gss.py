#!/usr/bin/python3
"""NTLMv1-sealed WinRM bodies made by gss-ntlmssp, opened by hopsniff decode.

gss-ntlmssp (Debian's, through python3-gssapi, in this process: no network) is both the client and the
acceptor; LM_COMPAT_LEVEL picks what it negotiates:
  2: NTLMv1 with extended session security ("NTLM2 session response": per-direction keys, HMAC signatures)
  0: NTLMv1 with the LM response and NEGOTIATE_LM_KEY, no extended session security (one RC4 stream for both
     directions, CRC32 signatures, a 56-bit key from the LM hash)
The NTLMSSP tokens ride in HTTP Negotiate headers, the SOAP bodies (pywinrm's requests and replies from
decoder/testdata/winrm) are sealed with gss_wrap and framed as MS-WSMV 2.2.9.1 (captures/lab/winrm_seal.py), both
directions, on one TCP connection of a capture written here.  Oracles, none of them hopsniff: the plaintext that
was sealed (each decrypted body's SHA-256 and length) and the NegotiateFlags gss-ntlmssp put in its AUTHENTICATE
message (NTLMv1 24-byte response, ESS or not).  A wrong password is reported, never decoded.
usage: ntlmv1_gss.py HOPSNIFF"""
import base64
import hashlib
import json
import os
import struct
import subprocess
import sys
import tempfile

here = os.path.dirname(os.path.abspath(__file__))
root = os.path.dirname(os.path.dirname(here))
sys.path.insert(0, os.path.dirname(here))
sys.path.insert(0, os.path.join(root, 'captures', 'lab'))
try:
    import gssapi
except ImportError:
    print('SKIP: python3-gssapi is not installed')
    sys.exit(77)
if not os.path.exists('/etc/gss/mech.d/mech.ntlmssp.conf') and not os.path.exists('/etc/gss/mech'):
    print('SKIP: gss-ntlmssp is not installed')
    sys.exit(77)
from gen_hostile import Writer  # noqa: E402
import winrm_seal  # noqa: E402  (MS-WSMV 2.2.9.1 framing around gss_wrap)

hop = sys.argv[1]
PASSWORD = 'Secret-1'  # test-only account of a users file made here
fails = []


def check(cond, what):
    if not cond:
        fails.append(what)
        print('FAIL:', what)


tmp = tempfile.mkdtemp(prefix='ntlmv1_gss_')
users = os.path.join(tmp, 'ntlm_users')
with open(users, 'w') as f:
    f.write('HOP:alice:%s\n' % PASSWORD)
os.environ['NTLM_USER_FILE'] = users
NTLM = gssapi.OID.from_int_seq('1.3.6.1.4.1.311.2.2.10')
data = os.path.join(root, 'decoder', 'testdata', 'winrm')
bodies = [open(os.path.join(data, n), 'rb').read() for n in (
    'req_create_shell.xml', 'resp_create.xml', 'req_command.xml', 'resp_command.xml', 'req_receive.xml',
    'resp_receive.xml')]


def contexts(level):
    os.environ['LM_COMPAT_LEVEL'] = str(level)
    cred = gssapi.Credentials(name=gssapi.Name('HOP\\alice', gssapi.NameType.user), usage='initiate', mechs=[NTLM])
    ini = gssapi.SecurityContext(name=gssapi.Name('HTTP@srv1', gssapi.NameType.hostbased_service), creds=cred,
                                 usage='initiate', mech=NTLM,
                                 flags=gssapi.RequirementFlag.integrity | gssapi.RequirementFlag.confidentiality)
    acc = gssapi.SecurityContext(usage='accept')
    t1 = ini.step()
    t2 = acc.step(t1)
    t3 = ini.step(t2)
    acc.step(t3)
    return ini, acc, (t1, t2, t3)


def http(head, body=b'', ctype=None):
    h = head + (b'Content-Type: ' + ctype.encode() + b'\r\n' if ctype else b'')
    return h + b'Content-Length: %d\r\n\r\n' % len(body) + body


def capture(path, level):
    ini, acc, (t1, t2, t3) = contexts(level)
    flags = struct.unpack('<I', t3[60:64])[0]
    ntlen = struct.unpack('<H', t3[20:22])[0]
    msgs = [(0, http(b'POST /wsman HTTP/1.1\r\nHost: srv1:5985\r\nAuthorization: Negotiate ' + base64.b64encode(t1)
                     + b'\r\n')),
            (1, http(b'HTTP/1.1 401 \r\nWWW-Authenticate: Negotiate ' + base64.b64encode(t2) + b'\r\n'))]
    for i, plain in enumerate(bodies):
        ctx = ini if i % 2 == 0 else acc
        ctype, body = winrm_seal.seal(ctx, plain)
        if i % 2 == 0:
            auth = b'Authorization: Negotiate ' + base64.b64encode(t3) + b'\r\n' if i == 0 else b''
            msgs.append((0, http(b'POST /wsman HTTP/1.1\r\nHost: srv1:5985\r\n' + auth, body, ctype)))
        else:
            msgs.append((1, http(b'HTTP/1.1 200 \r\nServer: Microsoft-HTTPAPI/2.0\r\n', body, ctype)))
    w = Writer(path)
    cli, srv = bytes([10, 0, 0, 1]), bytes([10, 99, 0, 1])
    w.handshake(cli, 50200, 5985, 1000, 5000)
    seq = [1001, 5001]
    for d, m in msgs:
        for k in range(0, len(m), 1400):
            seg = m[k:k + 1400]
            if d == 0:
                w.tcp(cli, 50200, srv, 5985, seq[0], seq[1], 0x18, seg)
            else:
                w.tcp(srv, 5985, cli, 50200, seq[1], seq[0], 0x18, seg)
            seq[d] += len(seg)
    w.close()
    return flags, ntlen


def sealed(path, password):
    p = subprocess.run([hop, 'decode', '-r', path, '--json', '--ntlm-password', 'HOP\\alice:' + password],
                       capture_output=True, text=True)
    check(p.returncode == 0, '%s: exit %d %s' % (path, p.returncode, p.stderr[-300:]))
    check(password not in p.stdout + p.stderr, '%s: the password is printed' % path)
    lines = [json.loads(l) for l in p.stdout.splitlines() if l.startswith('{')]
    return [l['encrypted'] for l in lines if l.get('proto') == 'http' and l.get('encrypted')]


for level, ess, kind in ((2, True, 'NTLMv1 with extended session security'), (0, False, 'NTLMv1 session')):
    path = os.path.join(tmp, 'ntlmv1-level%d.pcap' % level)
    flags, ntlen = capture(path, level)
    tag = 'LM_COMPAT_LEVEL=%d' % level
    check(ntlen == 24, '%s: gss-ntlmssp sent a %d-byte NT response, not NTLMv1' % (tag, ntlen))
    check(bool(flags & 0x00080000) == ess, '%s: extended session security %s in flags %#x' % (tag, not ess, flags))
    if not ess:
        check(flags & 0x80, '%s: no NEGOTIATE_LM_KEY in flags %#x' % (tag, flags))
    enc = sealed(path, PASSWORD)
    check(len(enc) == len(bodies), '%s: %d sealed bodies seen, %d sent' % (tag, len(enc), len(bodies)))
    for i, (e, plain) in enumerate(zip(enc, bodies)):
        check(e.get('sealed_with') == 'ntlm', '%s #%d sealed_with %s' % (tag, i, e.get('sealed_with')))
        check(e.get('decrypted_sha256') == hashlib.sha256(plain).hexdigest() and e.get('decrypted_length') == len(plain),
              '%s #%d: plaintext %s/%s, sealed %d bytes (%s)' % (tag, i, e.get('decrypted_length'),
                                                            e.get('decrypted_sha256'), len(plain), e.get('not_decrypted')))
        check(kind in e.get('wrap_detail', ''), '%s #%d: wrap %s, want %s' % (tag, i, e.get('wrap_detail'), kind))
    bad = sealed(path, 'Wrong-2')
    check(len(bad) == len(bodies) and all(not e.get('decrypted_sha256') and e.get('not_decrypted') for e in bad),
          '%s wrong password: %s' % (tag, [e.get('not_decrypted') for e in bad][:2]))

print('%d passed, %d failed' % (0 if fails else 1, 1 if fails else 0))
sys.exit(1 if fails else 0)
