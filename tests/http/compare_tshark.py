#!/usr/bin/python3
"""Differential test: hopsniff's HTTP messages against tshark (the oracle)
on a capture.  Compares, per HTTP message (keyed by frame): request method,
URI, response status code, the request a response answers (tshark
http.request_in), Authorization scheme, the WWW-Authenticate schemes, and the
NTLM user/domain of tokens carried in HTTP.  Usage: compare_tshark.py HOPSNIFF PCAP"""
import json
import os
import subprocess
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "lab"))
from tshark_opts import tshark_opts  # noqa: E402  (the scenario's decode-as for tshark)


hopsniff, pcap = sys.argv[1], sys.argv[2]
F = ['frame.number', 'http.request.method', 'http.request.uri', 'http.response.code', 'http.request_in',
     'http.authorization', 'http.www_authenticate', 'ntlmssp.auth.username', 'ntlmssp.auth.domain',
     'ntlmssp.messagetype']
out = subprocess.run(['tshark', '-r', pcap] + tshark_opts(pcap) + ['-Y', 'http', '-T', 'fields', '-E', 'separator=\t', '-E', 'occurrence=a',
                      '-E', 'aggregator=|'] + sum((['-e', f] for f in F), []), capture_output=True, text=True,
                     check=True).stdout
ts = {}
for line in out.splitlines():
    v = dict(zip(F, line.split('\t')))
    ts[int(v['frame.number'])] = v

hs = {}
tok = {}
for line in subprocess.run([hopsniff, 'decode', '-r', pcap, '--json'], capture_output=True, text=True,
                           check=True).stdout.splitlines():
    m = json.loads(line)
    if 'anomaly' in m:
        continue
    if m['proto'] == 'http':
        hs[m['frame']] = m
    elif m.get('carrier') == 'http' and m['proto'] == 'ntlmssp':
        tok[m['frame']] = m

checks = fails = 0


def same(frame, what, a, b):
    global checks, fails
    checks += 1
    if a != b:
        fails += 1
        print('frame %d %s: hopsniff %r, tshark %r' % (frame, what, a, b))


same(0, 'http message frames', sorted(hs), sorted(ts))
for fr in sorted(set(hs) & set(ts)):
    h, t = hs[fr], ts[fr]
    if t['http.request.method']:
        same(fr, 'method', h.get('method'), t['http.request.method'])
        same(fr, 'uri', h.get('uri'), t['http.request.uri'])
    else:
        same(fr, 'status', h.get('status'), int(t['http.response.code']))
        same(fr, 'request_in', h.get('request_frame'), int(t['http.request_in']) if t['http.request_in'] else None)
    auth = [a for a in h.get('auth', []) if a['header'] == 'authorization']
    same(fr, 'authorization scheme', auth[0]['scheme'] if auth else None,
         t['http.authorization'].split(' ')[0] if t['http.authorization'] else None)
    # tshark joins several WWW-Authenticate fields with ","; a field can hold params
    want = []
    for field in filter(None, t['http.www_authenticate'].split('|')):
        for c in field.split(','):
            w = c.strip().split(' ')[0]
            if w and '=' not in w:  # a scheme, not a further auth-param
                want.append(w)
    same(fr, 'www-authenticate schemes', h.get('www_authenticate', []), want)
    if t['ntlmssp.messagetype']:
        n = tok.get(fr, {})
        same(fr, 'ntlm type', n.get('ntlm_type'), int(t['ntlmssp.messagetype'], 16))
        if t['ntlmssp.auth.username']:
            same(fr, 'ntlm user', n.get('user'), t['ntlmssp.auth.username'])
            same(fr, 'ntlm domain', n.get('domain'), t['ntlmssp.auth.domain'])
print('%d HTTP messages, %d checks, %d disagreements' % (len(hs), checks, fails))
sys.exit(1 if fails or not checks else 0)
