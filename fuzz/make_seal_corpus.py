#!/usr/bin/python3
"""Seeds for fuzz_seal (see fuzz_seal.c for the layout) from decoder/testdata/wrap (real Wrap tokens of the lab's
sealed WinRM captures, with the AP-REP subkeys tshark prints) and MS-NLMP 4.2.4.4's sealed "Plaintext"; and for
fuzz_winrm one sealed multipart body of each capture in captures/generated/winrm-sealed (tshark extracts them).
usage: fuzz/make_seal_corpus.py   (from the repository root)"""
import os
import struct
import subprocess

root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
out = os.path.join(root, 'fuzz', 'corpus', 'seal')
os.makedirs(out, exist_ok=True)
wrap = os.path.join(root, 'decoder', 'testdata', 'wrap')
for name, sel, key in (('s1-kerberos-aes', 1, '3cb790a8b0544fbc151d7da89717975437d5a68a264d4805c52afdc83641397f'),
                       ('s2-kerberos-rc4', 2, 'd84870fda7ee86e6475ad180cc3be103')):
    hdr = open(os.path.join(wrap, name + '.hdr'), 'rb').read()
    data = open(os.path.join(wrap, name + '.data'), 'rb').read()
    seed = bytes([0, sel]) + bytes.fromhex(key) + struct.pack('>HI', len(hdr), 765) + hdr + data
    open(os.path.join(out, 'krb_' + name), 'wb').write(seed)
# NTLM: flags, RandomSessionKey 55..55, one client-to-server message (MS-NLMP 4.2.4.4)
sealed = bytes.fromhex('54e50165bf1936dc996020c1811b0f06fb5f')
sig = bytes.fromhex('010000007fb38ec5c55d497600000000')
seed = b'\x01' + struct.pack('<I', 0xe28a8233) + b'\x55' * 16 + b'\x00' + struct.pack('>H', len(sealed)) + sig + sealed
open(os.path.join(out, 'ntlm_ms_nlmp_4244'), 'wb').write(seed)

win = os.path.join(root, 'fuzz', 'corpus', 'winrm')
for name in ('s1-kerberos-aes', 's2-kerberos-rc4', 's3-ntlm'):
    pcap = os.path.join(root, 'captures', 'generated', 'winrm-sealed', name, 'srv1.pcapng')
    rows = subprocess.run(['tshark', '-r', pcap, '-o', 'tcp.desegment_tcp_streams:TRUE', '-Y', 'http.content_type contains "encrypted"',
                           '-T', 'fields', '-e', 'tcp.reassembled.data', '-e', 'tcp.payload'],
                          capture_output=True, text=True).stdout.splitlines()
    for i, r in enumerate(rows):
        reasm, payload = (r.split('\t') + [''])[:2]
        msg = bytes.fromhex((reasm or payload).replace(':', ''))
        head, _, body = msg.partition(b'\r\n\r\n')
        ct = [l.split(b':', 1)[1].strip() for l in head.split(b'\r\n') if l.lower().startswith(b'content-type:')][0]
        if b'x-multi' in ct or i == 1:
            tag = 'multi' if b'x-multi' in ct else 'single'
            open(os.path.join(win, 'enc_%s_%s' % (name, tag)), 'wb').write(b'\x01' + ct + b'\n' + body)
