#!/usr/bin/python3
"""Sealed WinRM bodies (captures/generated/winrm-sealed) opened by hopsniff decode.

Oracles, none of them hopsniff:
 - the lab endpoint's log of every plaintext it unsealed and sealed (srv1-plaintext.jsonl, in wire order): each
   decrypted body's SHA-256 and length must be equal, from srv1's and from client1's capture;
 - the scenario's configuration: Kerberos AES (SRV1$ msDS-SupportedEncryptionTypes 0x18) gives RFC 4121 tokens,
   client1 permitting only rc4-hmac gives RFC 4757 tokens, the 40 KB reply is multipart/x-multi-encrypted;
 - tshark 4.0 with the keytab: the AP-REP's subkey etype equals the one hopsniff used;
 - the real client's answer (client-alice.json): the cmd stderr / stdout text hopsniff shows in the decrypted
   ReceiveResponse equals what pywinrm printed.
Failures: a keytab without the service key, a keytab whose key is wrong, a flipped cipher-text byte, a wrong NTLM
password, and no credential at all are reported ("not_decrypted"), never decoded; the password never appears.
usage: sealed.py HOPSNIFF CAPTURES_DIR"""
import base64
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile

hop, root = sys.argv[1], sys.argv[2]
fails = []


def check(cond, what):
    if not cond:
        fails.append(what)
        print('FAIL:', what)


def decode(pcap, *args):
    p = subprocess.run([hop, 'decode', '-r', pcap, '--json', *args], capture_output=True, text=True)
    check(p.returncode == 0, '%s %s: exit %d %s' % (pcap, args, p.returncode, p.stderr[-300:]))
    return [json.loads(l) for l in p.stdout.splitlines() if l.startswith('{')], p.stdout + p.stderr


def sealed(msgs):
    return [m for m in msgs if m.get('proto') == 'http' and m.get('encrypted')]


def secret(scn, who):
    for line in open(os.path.join(scn, 'secrets.txt')):
        if line.startswith(who + ':'):
            return line.split(':', 1)[1].strip()
    raise SystemExit('no %s in secrets.txt' % who)


def tshark_subkey_etypes(pcap, keytab):
    out = subprocess.run(['tshark', '-r', pcap, '-o', 'kerberos.decrypt:TRUE', '-o', 'kerberos.file:' + keytab,
                          '-Y', 'kerberos.msg_type == 15', '-T', 'fields', '-e', 'kerberos.keytype'],
                         capture_output=True, text=True).stdout.split()
    return [int(x) for x in out]


for name, key_args, mech, wrap in (
        ('s1-kerberos-aes', 'keytab', 'kerberos', 'RFC 4121'),
        ('s2-kerberos-rc4', 'keytab', 'kerberos', 'RFC 4757'),
        ('s3-ntlm', 'ntlm', 'ntlm', 'NTLMv2')):
    scn = os.path.join(root, 'generated', 'winrm-sealed', name)
    logged = [json.loads(l) for l in open(os.path.join(scn, 'srv1-plaintext.jsonl'))]
    pw = secret(scn, 'alice')
    args = ['--keytab', os.path.join(scn, 'srv1.keytab')] if key_args == 'keytab' else \
        ['--ntlm-password', 'HOP\\alice:' + pw]
    for vantage in ('srv1', 'client1'):
        pcap = os.path.join(scn, vantage + '.pcapng')
        msgs, raw = decode(pcap, *args)
        enc = sealed(msgs)
        tag = '%s/%s' % (name, vantage)
        check(len(enc) == len(logged), '%s: %d sealed bodies, the endpoint logged %d' % (tag, len(enc), len(logged)))
        for i, (m, want) in enumerate(zip(enc, logged)):
            e = m['encrypted']
            check(e.get('sealed_with') == mech, '%s #%d sealed_with %s' % (tag, i, e.get('sealed_with')))
            check(e.get('decrypted_sha256') == want['sha256'] and e.get('decrypted_length') == want['length'],
                  '%s frame %d: plaintext %s/%s, the endpoint logged %s/%s' % (
                      tag, m['frame'], e.get('decrypted_length'), e.get('decrypted_sha256'), want['length'], want['sha256']))
            check(wrap in e.get('wrap_detail', ''), '%s frame %d: wrap %s, want %s' % (tag, m['frame'], e.get('wrap_detail'), wrap))
        # every decrypted body went through the SOAP decoder
        soap = [m for m in msgs if m.get('proto') == 'winrm']
        check(len(soap) == len(logged), '%s: %d SOAP messages decoded of %d' % (tag, len(soap), len(logged)))
        check(pw not in raw, '%s: the password appears in the output' % tag)
        # the real client's output, as hopsniff shows the ReceiveResponse streams
        client = json.load(open(os.path.join(scn, 'client-alice.json')))
        for stream, key in (('stdout', 'std_out'), ('stderr', 'std_err')):
            text = ''.join(s.get('text', '') for m in soap for s in m.get('streams', [])
                           if s.get('name') == stream and m.get('operation') == 'ReceiveResponse')
            shown = [m for m in soap if m.get('operation') == 'ReceiveResponse']
            if shown and text != client[key]:
                # a connection may carry other commands (s1's lab-echo runs on its own connection)
                check(client[key] in text, '%s: %s shown %r, pywinrm printed %r' % (tag, stream, text[:200], client[key][:200]))
    if key_args == 'keytab':
        # tshark's AP-REP subkey etype = the token family hopsniff used
        ets = tshark_subkey_etypes(os.path.join(scn, 'srv1.pcapng'), os.path.join(scn, 'srv1.keytab'))
        check(ets and all(e == (23 if wrap == 'RFC 4757' else 18) for e in ets), '%s: tshark AP-REP subkey etypes %s' % (name, ets))

s1 = os.path.join(root, 'generated', 'winrm-sealed', 's1-kerberos-aes')
msgs, _ = decode(os.path.join(s1, 'srv1.pcapng'), '--keytab', os.path.join(s1, 'srv1.keytab'))
multi = [m for m in sealed(msgs) if m['encrypted'].get('multi')]
# the endpoint seals replies over 16384 bytes in 16384-byte parts (winrm_server.py --multi-chunk)
big = [j['length'] for j in map(json.loads, open(os.path.join(s1, 'srv1-plaintext.jsonl'))) if j['length'] > 16384]
check(len(multi) == len(big) == 1 and multi[0]['encrypted']['parts'] == -(-big[0] // 16384) and
      multi[0]['encrypted'].get('decrypted_length') == big[0],
      's1: one multipart/x-multi-encrypted body decrypted (%s)' % [m['encrypted'] for m in multi][:1])

# --- what is not decrypted, and says why
def reasons(pcap, *args):
    msgs, raw = decode(pcap, *args)
    enc = sealed(msgs)
    return [m['encrypted'].get('not_decrypted') for m in enc], [m['encrypted'].get('decrypted_length') for m in enc], raw

r, d, _ = reasons(os.path.join(s1, 'srv1.pcapng'))
check(all(x == 'no keytab (--keytab with the service\'s keys)' for x in r) and not any(d), 's1 without keytab: %s' % r[:2])
r, d, _ = reasons(os.path.join(s1, 'srv1.pcapng'), '--keytab', os.path.join(s1, 'srv2.keytab'))
check(all(x and x.startswith('no session key') for x in r) and not any(d), 's1 with srv2.keytab: %s' % r[:2])

tmp = tempfile.mkdtemp(prefix='hs-sealed-')
try:
    # a keytab with the right principals and kvno but a key from another password: the ticket fails its checksum
    kvno = re.search(r'^\s*(\d+)\s+HTTP/srv1.hop.test@HOP.TEST', subprocess.run(
        ['klist', '-k', os.path.join(s1, 'srv1.keytab')], capture_output=True, text=True).stdout, re.M).group(1)
    bad = os.path.join(tmp, 'wrong.keytab')
    script = ''.join('addent -password -p %s -k %s -e aes256-cts-hmac-sha1-96\nnot-the-password\n' % (p, kvno)
                     for p in ('HTTP/srv1.hop.test@HOP.TEST', 'SRV1$@HOP.TEST')) + 'wkt %s\nquit\n' % bad
    subprocess.run(['ktutil'], input=script, capture_output=True, text=True)
    r, d, _ = reasons(os.path.join(s1, 'srv1.pcapng'), '--keytab', bad)
    check(os.path.exists(bad) and all(x and 'checksum mismatch' in x for x in r) and not any(d),
          's1 with a wrong key of the right kvno: %s' % r[:2])
    # one flipped cipher-text byte in one sealed body: that body says checksum mismatch, the others decrypt
    for name, args, want in (('s1-kerberos-aes', ['--keytab', 'srv1.keytab'], 'checksum mismatch'),
                             ('s3-ntlm', ['--ntlm-password', 'HOP\\alice:' + secret(os.path.join(root, 'generated', 'winrm-sealed', 's3-ntlm'), 'alice')], 'signature mismatch')):
        scn = os.path.join(root, 'generated', 'winrm-sealed', name)
        args = [os.path.join(scn, a) if a.endswith('.keytab') else a for a in args]
        pcap = os.path.join(scn, 'srv1.pcapng')
        msgs, _ = decode(pcap, *args)
        target = sealed(msgs)[2]['frame']
        payload = bytes.fromhex(subprocess.run(['tshark', '-r', pcap, '-Y', 'frame.number == %d' % target, '-T', 'fields',
                                                '-e', 'tcp.payload'], capture_output=True, text=True).stdout.strip())
        blob = open(pcap, 'rb').read()
        at = blob.find(payload)
        end = payload.rfind(b'--Encrypted Boundary--')
        check(at >= 0 and end > 200, '%s: frame %d payload found in the file' % (name, target))
        damaged = bytearray(blob)
        damaged[at + end - 50] ^= 0x20
        bad_pcap = os.path.join(tmp, name + '.pcapng')
        open(bad_pcap, 'wb').write(damaged)
        msgs, _ = decode(bad_pcap, *args)
        got = {m['frame']: m['encrypted'] for m in sealed(msgs)}
        check(got[target].get('not_decrypted') == want and 'decrypted_length' not in got[target],
              '%s: damaged frame %d: %s' % (name, target, got[target]))
        others = [e for f, e in got.items() if f != target]
        if name.startswith('s1'):
            check(all(e.get('decrypted_length') for e in others), '%s: the other bodies still decrypt' % name)
finally:
    shutil.rmtree(tmp)

s3 = os.path.join(root, 'generated', 'winrm-sealed', 's3-ntlm')
r, d, raw = reasons(os.path.join(s3, 'srv1.pcapng'), '--ntlm-password', 'HOP\\alice:Not-The-Password1')
check(all(x == 'wrong password or NT hash (NTProofStr does not verify)' for x in r) and not any(d), 's3 wrong password: %s' % r[:2])
check('Not-The-Password1' not in raw, 's3: the wrong password appears in the output')
r, d, _ = reasons(os.path.join(s3, 'srv1.pcapng'))
check(all(x == 'no NTLM password (--ntlm-password or --nt-hash)' for x in r) and not any(d), 's3 no credential: %s' % r[:2])
r, d, _ = reasons(os.path.join(s3, 'srv1.pcapng'), '--ntlm-password', 'HOP\\bob:' + secret(s3, 'bob'))
check(all(x == 'no password or NT hash given for this NTLM user' for x in r), 's3 another user\'s password: %s' % r[:2])
# @FILE, and a malformed spec is a usage error (exit 2) that does not echo the secret
with tempfile.NamedTemporaryFile('w', suffix='.txt') as f:
    f.write('# alice\nHOP\\alice:%s\n' % secret(s3, 'alice'))
    f.flush()
    r, d, _ = reasons(os.path.join(s3, 'srv1.pcapng'), '--ntlm-password', '@' + f.name)
    check(all(d) and not any(r), 's3 --ntlm-password @FILE: %s' % r[:2])
p = subprocess.run([hop, 'decode', '-r', os.path.join(s3, 'srv1.pcapng'), '--nt-hash', 'HOP\\alice:zz-secret-zz'],
                   capture_output=True, text=True)
check(p.returncode == 2 and 'zz-secret-zz' not in p.stderr, 'malformed --nt-hash: exit %d %r' % (p.returncode, p.stderr))

# --- the report: what the user saw on hop 1 (decrypted cmd stderr) is evidence on the chain
s2 = os.path.join(root, 'generated', 'winrm-sealed', 's2-kerberos-rc4')
first_err = json.load(open(os.path.join(s2, 'client-alice.json')))['std_err'].strip().splitlines()[0]
for extra in ([], ['--redact-names']):
    p = subprocess.run([hop, '-r', os.path.join(s2, 'srv1.pcapng'), '-r', os.path.join(s2, 'dc.pcapng'), '--keytab',
                        os.path.join(s2, 'srv1.keytab'), '--json', *extra], capture_output=True, text=True)
    rep = json.loads(p.stdout)
    saw = rep['chains'][0].get('user_saw') if rep.get('chains') else None
    check(saw is not None, 's2 report%s: no user_saw' % extra)
    if not saw:
        continue
    ev = rep['chains'][0]['delegation']['evidence_frames']
    check({'input': saw['input'], 'frame': saw['frame']} in ev, 's2 report: user_saw frame not in the evidence')
    if extra:
        check(not re.search(r'srv2|alice|hop\.test', saw['text'], re.I) and 'constrained delegation failed' in saw['text'],
              's2 redacted user_saw: %r' % saw['text'])
    else:
        check(saw['text'] == first_err, 's2 user_saw %r, pywinrm printed %r' % (saw['text'], first_err))
# without the keytab the body is sealed: nothing seen
p = subprocess.run([hop, '-r', os.path.join(s2, 'srv1.pcapng'), '--json'], capture_output=True, text=True)
rep = json.loads(p.stdout)
check(all('user_saw' not in c for c in rep.get('chains', [])), 's2 without keytab: user_saw present')

print('%d failure(s)' % len(fails))
sys.exit(1 if fails else 0)
