#!/usr/bin/python3
"""Seed corpora for fuzz_http and fuzz_winrm from the committed test data:
the golden HTTP cases (decoder/testdata/http, segments -> records of the
fuzz_http input format), the CredSSP-over-HTTP exchange with sealed bodies
(captures/generated/credssp/credssp-enabled, its key log in
http_seed_keys.h; needs tshark) and the WinRM samples (decoder/testdata/winrm)."""
import glob
import os
import re
import subprocess
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from chunk_seed import write_keys  # noqa: E402

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), '..')


def unescape(t):
    out = bytearray()
    i = 0
    while i < len(t):
        c = t[i]
        if c == '\\' and i + 1 < len(t):
            n = t[i + 1]
            if n == 'x':
                out.append(int(t[i + 2:i + 4], 16))
                i += 4
                continue
            out += {'r': b'\r', 'n': b'\n', 't': b'\t'}.get(n, n.encode())
            i += 2
            continue
        out += c.encode()
        i += 1
    return bytes(out)


def segments(path):
    segs, cur = [], None
    for line in open(path).read().split('\n'):
        if line.startswith('#') or line.startswith('@') or line.startswith('!'):
            cur = None
            continue
        if line in ('', '--'):
            cur = None
            continue
        if line[0] not in '<>':
            continue
        d = 0 if line[0] == '>' else 1
        raw = len(line) > 1 and line[1] == '~'
        t = line[2:] if raw else line[1:]
        if t.startswith(' '):
            t = t[1:]
        if cur is None or cur[0] != d:
            cur = [d, bytearray()]
            segs.append(cur)
        cur[1] += unescape(t) + (b'' if raw else b'\r\n')
    return segs


os.makedirs(os.path.join(ROOT, 'fuzz', 'corpus', 'http'), exist_ok=True)
for path in sorted(glob.glob(os.path.join(ROOT, 'decoder', 'testdata', 'http', '*.txt'))):
    out = bytearray([0])  # flags 0, unit 1
    for d, b in segments(path):
        for i in range(0, len(b), 127):
            piece = b[i:i + 127]
            out.append((d << 7) | len(piece))
            out += piece
    name = os.path.splitext(os.path.basename(path))[0]
    with open(os.path.join(ROOT, 'fuzz', 'corpus', 'http', name), 'wb') as f:
        f.write(out)

C = os.path.join(ROOT, 'captures', 'generated', 'credssp', 'credssp-enabled')
rows = subprocess.run(['tshark', '-r', C + '.pcap', '-Y', 'tcp.len>0', '-T', 'fields', '-e', 'tcp.srcport', '-e',
                       'tcp.payload'], check=True, capture_output=True, text=True).stdout.split('\n')
out = bytearray([0])
for r in rows:
    if r:
        port, hx = r.split('\t')
        b = bytes.fromhex(hx)
        for i in range(0, len(b), 127):
            piece = b[i:i + 127]
            out.append(((1 if port == '5985' else 0) << 7) | len(piece))
            out += piece
with open(os.path.join(ROOT, 'fuzz', 'corpus', 'http', 'credssp_sealed'), 'wb') as f:
    f.write(out)
write_keys(os.path.join(ROOT, 'fuzz', 'http_seed_keys.h'), 'make_http_corpus.py', 'http_seed_keys',
           [l.strip() for l in open(C + '.keylog') if l[0].isupper()])

os.makedirs(os.path.join(ROOT, 'fuzz', 'corpus', 'winrm'), exist_ok=True)
W = os.path.join(ROOT, 'decoder', 'testdata', 'winrm')
for path in sorted(glob.glob(os.path.join(W, '*.xml'))):
    name = os.path.splitext(os.path.basename(path))[0]
    with open(os.path.join(ROOT, 'fuzz', 'corpus', 'winrm', name), 'wb') as f:
        f.write(b'\x00' + open(path, 'rb').read())
for name in ('enc_spnego', 'enc_credssp_multi'):
    ct = open(os.path.join(W, name + '.ct'), 'rb').read()
    body = open(os.path.join(W, name + '.bin'), 'rb').read()
    with open(os.path.join(ROOT, 'fuzz', 'corpus', 'winrm', name), 'wb') as f:
        f.write(b'\x01' + ct + b'\n' + body)
