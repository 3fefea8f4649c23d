#!/usr/bin/env python3
"""sealed_lab.py HOPSNIFF SCENARIOS_DIR - the lab scenarios' sealed WinRM bodies (issue 16: pywinrm's default
message_encryption='auto', sealed by hop 1's Kerberos or NTLM context as Windows does with AllowUnencrypted=false)
opened by `hopsniff decode` with the scenario's keys.

Oracle: the lab endpoint's log of every plaintext it unsealed or sealed (srv1-plaintext.jsonl, written by
captures/lab/winrm_server.py --plain-log during the recording; run.sh keeps it only when something was sealed).
Per scenario with that log, from srv1's and from client1's capture:
  - with the keys (srv1.keytab for Kerberos; for NTLM, the user's password from secrets.txt through
    --ntlm-password): as many hop-1 sealed bodies as the endpoint logged, decrypted to the logged lengths and
    SHA-256s (compared as multisets: concurrent connections, 15), sealed with the mechanism of hop 1 (the client's transport in client-*.json), every one through the
    SOAP decoder; the password never in the output;
  - without keys: every sealed body "not decrypted", none decoded;
  - with a key that cannot open them (srv2.keytab for Kerberos, bob's password for NTLM): none decrypted.
Scenario 01 is the clear-text one (--encryption never): no sealed body at all.
Last line "N passed, N failed"."""
import glob
import json
import os
import subprocess
import sys

HS, ROOT = sys.argv[1], sys.argv[2]
npass = nfail = 0


def ok(cond, what):
    global npass, nfail
    if cond:
        npass += 1
    else:
        nfail += 1
        print("FAIL  " + what)


def secret(d, who):
    for line in open(os.path.join(d, "secrets.txt")):
        if line.startswith(who + ":"):
            return line.split(":", 1)[1].strip()
    raise SystemExit("no %s in %s/secrets.txt" % (who, d))


def decode(pcap, *args):
    p = subprocess.run([HS, "decode", "-r", pcap, "--json", *args], capture_output=True, text=True)
    ok(p.returncode == 0, "%s %s: exit %d %s" % (pcap, args, p.returncode, p.stderr[-300:]))
    msgs = [json.loads(x) for x in p.stdout.splitlines() if x.startswith("{")]
    return msgs, p.stdout + p.stderr


SRV1 = "10.200.0.11:"


def hop1(m, ep):
    """A message of hop 1: to or from srv1's WinRM endpoint EP ("10.200.0.11:5985", the port from expected.json's
    hop 1: 443 / 61985 in 27 / 28). srv1's own sealed WinRM to srv2 in 24 is hop 2, sealed with srv1's context to
    srv2, which the endpoint did not log."""
    return ep in (m.get("dst"), m.get("src"))


def sealed(msgs, ep):
    return [m["encrypted"] for m in msgs if m.get("proto") == "http" and m.get("encrypted") and hop1(m, ep)]


def endpoint(d):
    try:
        port = json.load(open(os.path.join(d, "expected.json")))["chains"][0]["hops"][0]["server"]["port"]
    except (OSError, KeyError, IndexError, ValueError):
        port = 5985
    return SRV1 + str(port)


def transports(d):
    return {json.load(open(f)).get("transport") for f in glob.glob(os.path.join(d, "client-*.json"))}


def main():
    scenarios = 0
    for name in sorted(os.listdir(ROOT)):
        d = os.path.join(ROOT, name)
        log = os.path.join(d, "srv1-plaintext.jsonl")
        if not os.path.isfile(os.path.join(d, "srv1.pcapng")):
            continue
        if not os.path.isfile(log):
            # clear text (01, AllowUnencrypted=true), curl (06, 23, 34), CredSSP (03, 04), HTTPS (14, 29, 30)
            for v in ("srv1", "client1"):
                msgs, _ = decode(os.path.join(d, v + ".pcapng"))
                ok(not sealed(msgs, endpoint(d)), "%s/%s: sealed bodies, but the endpoint sealed nothing" % (name, v))
            continue
        scenarios += 1
        logged = [json.loads(x) for x in open(log)]
        ep = endpoint(d)
        mech = "ntlm" if "ntlm" in transports(d) else "kerberos"
        pw = secret(d, "alice")
        if mech == "ntlm":
            keys = ["--ntlm-password", "HOP\\alice:" + pw]
            wrong = ["--ntlm-password", "HOP\\bob:" + secret(d, "bob")]
        else:
            keys = ["--keytab", os.path.join(d, "srv1.keytab")]
            wrong = ["--keytab", os.path.join(d, "srv2.keytab")]
        for v in ("srv1", "client1"):
            pcap = os.path.join(d, v + ".pcapng")
            tag = "%s/%s" % (name, v)
            msgs, raw = decode(pcap, *keys)
            enc = sealed(msgs, ep)
            ok(len(enc) == len(logged), "%s: %d sealed bodies, the endpoint logged %d" % (tag, len(enc), len(logged)))
            for i, e in enumerate(enc):
                ok(e.get("sealed_with") == mech, "%s #%d: sealed_with %s, hop 1 is %s" % (tag, i, e.get("sealed_with"), mech))
                ok(e.get("decrypted_length"), "%s #%d: not decrypted (%s)" % (tag, i, e.get("not_decrypted")))
            # as multisets: the endpoint logs in the order its threads ran (15: two users' connections at once)
            got = sorted(((e.get("decrypted_length"), e.get("decrypted_sha256")) for e in enc), key=repr)
            want = sorted(((x["length"], x["sha256"]) for x in logged), key=repr)
            ok(got == want, "%s: decrypted plaintexts (length, SHA-256) differ from the endpoint's log: %s" % (
                tag, sorted(set(got) ^ set(want), key=repr)[:4]))
            soap = [m for m in msgs if m.get("proto") == "winrm" and hop1(m, ep)]
            ok(len(soap) >= len(logged), "%s: %d SOAP messages decoded of %d sealed" % (tag, len(soap), len(logged)))
            ok(pw not in raw, "%s: the password appears in the output" % tag)
            for what, args in (("no key", []), ("a key that cannot open them", wrong)):
                msgs, _ = decode(pcap, *args)
                enc = sealed(msgs, ep)
                ok(enc and all(e.get("not_decrypted") and "decrypted_length" not in e for e in enc),
                   "%s with %s: %s" % (tag, what, [e.get("not_decrypted") for e in enc][:2]))
                ok(not [m for m in msgs if m.get("proto") == "winrm" and m.get("operation") and hop1(m, ep)],
                   "%s with %s: a sealed body was decoded" % (tag, what))
    ok(scenarios > 0, "no lab scenario with sealed bodies (srv1-plaintext.jsonl)")
    print("%d scenario(s) with sealed bodies; %d passed, %d failed" % (scenarios, npass, nfail))
    return 1 if nfail else 0


if __name__ == "__main__":
    sys.exit(main())
