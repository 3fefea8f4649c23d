#!/usr/bin/python3
"""What the user saw decides the cause (issue 16), on the sealed WinRM captures (captures/generated/winrm-sealed)
seen from client1 alone: hop 2 is not in the capture, the hop-1 bodies are sealed, and only the keys open them.

Ground truth, none of it from hopsniff:
 - the scenario's configuration (captures/generated/winrm-sealed/scenarios.sh): s1 nothing delegated (srv1 goes
   anonymous to srv2, its ticket lacks ok-as-delegate: SRV1$ is trusted for no delegation), s2 srv1 tries
   S4U2Self + S4U2Proxy with no delegation configured (the KDC refuses), s3 NTLM hop 1 (srv1 by address);
 - what the real client printed (client-*.json std_out / std_err): the line the report quotes as what the user saw
   is one of them, and its frame is one of the chain's evidence frames;
 - without the keys the bodies stay sealed: nothing the user saw, no refusal, exit 0.
usage: sealed_verdicts.py HOPSNIFF CAPTURES_DIR"""
import json
import os
import subprocess
import sys

hop, root = sys.argv[1], sys.argv[2]
base = os.path.join(root, 'generated', 'winrm-sealed')
fails = []


def check(cond, what):
    print(('ok:   ' if cond else 'FAIL: ') + what)
    if not cond:
        fails.append(what)


def secret(scn, who):
    for line in open(os.path.join(scn, 'secrets.txt')):
        if line.startswith(who + ':'):
            return line.split(':', 1)[1].strip()
    raise SystemExit('no %s in secrets.txt' % who)


def report(scn, *args):
    p = subprocess.run([hop, '--json', '-r', os.path.join(scn, 'client1.pcapng'), *args], capture_output=True, text=True)
    check(p.returncode in (0, 1), '%s %s: exit %d' % (os.path.basename(scn), args[:1], p.returncode))
    return p.returncode, json.loads(p.stdout)['chains']


def printed(scn, run):
    """The lines the real client printed for one run (client-RUN.json)."""
    j = json.load(open(os.path.join(scn, 'client-%s.json' % run)))
    return [l.strip() for l in (j.get('std_out', '') + '\n' + j.get('std_err', '')).splitlines() if l.strip()]


# (scenario, key arguments, cause of the refused run, its method)
CASES = [
    ('s1-kerberos-aes', lambda s: ['--keytab', os.path.join(s, 'srv1.keytab')], 'no_delegation_configured', 'none'),
    ('s2-kerberos-rc4', lambda s: ['--keytab', os.path.join(s, 'srv1.keytab')], 's4u2proxy_denied', 'kerberos_constrained'),
    ('s3-ntlm', lambda s: ['--ntlm-password', 'HOP\\alice:' + secret(s, 'alice')], 'ntlm_first_hop', 'none'),
]

for name, keys, cause, method in CASES:
    scn = os.path.join(base, name)
    rc, chains = report(scn, *keys(scn))
    failed = [c for c in chains if c['delegation']['verdict'] == 'failed']
    check(rc == 1 and len(failed) == 1, '%s with keys: one failed chain, exit 1 (got %d, exit %d)' % (name, len(failed), rc))
    if not failed:
        continue
    c = failed[0]
    d = c['delegation']
    check(d['cause'] == cause and d['method'] == method,
          '%s: cause %s / %s (want %s / %s)' % (name, d['cause'], d['method'], cause, method))
    check(len(c['hops']) == 1, '%s: hop 2 is not in client1\'s capture (%d hops)' % (name, len(c['hops'])))
    saw = c.get('user_saw') or {}
    check(saw.get('text', '').strip() in printed(scn, 'alice'),
          '%s: the user saw %r, which the client printed' % (name, saw.get('text')))
    check({'input': saw.get('input'), 'frame': saw.get('frame')} in d['evidence_frames'],
          '%s: the line\'s frame is evidence' % name)
    # without the keys the bodies are sealed: nothing the user saw, nothing refused
    rc0, chains0 = report(scn)
    check(rc0 == 0 and not any(c['delegation']['verdict'] == 'failed' for c in chains0) and
          not any(c.get('user_saw') for c in chains0), '%s without keys: no refusal visible, exit 0 (exit %d)' % (name, rc0))

print('%d failed' % len(fails))
sys.exit(1 if fails else 0)
