#!/usr/bin/env python3
"""keytab_redaction: with --keytab, no key reaches any output unless
--show-secrets.

Keys looked for: every key in the scenario's keytabs (as `klist -k -K`
prints them, the oracle) and every session key / subkey hopsniff learns
(read from its own --show-secrets output, which must contain them: that
half of the test fails when the secrets view shows none).  Each is searched
as lower and upper case hex and as base64 in: decode text and JSON, report
text, JSON with --messages and HTML.

usage: keytab_redaction.py HOPSNIFF SCENARIOS_DIR
"""
import base64
import glob
import json
import os
import re
import subprocess
import sys
import tempfile

SCENARIOS = ("05-unconstrained", "07-constrained-protocol-transition", "09-constrained-no-protocol-transition",
             "12-runas", "15-two-users")


def klist_keys(path):
    out = subprocess.run(["klist", "-k", "-K", path], capture_output=True, text=True, check=True).stdout
    return re.findall(r"\(0x([0-9a-f]+)\)", out)


def forms(hexkey):
    raw = bytes.fromhex(hexkey)
    b64 = base64.b64encode(raw).decode()
    # base64 of the key at any alignment inside a longer blob: the middle
    # part of the encoding is stable for at least one of three offsets
    return {hexkey.lower(), hexkey.upper(), b64.rstrip("=")[:20]}


def run(cmd):
    r = subprocess.run(cmd, capture_output=True, text=True)
    if r.returncode not in (0, 1):
        raise SystemExit("%s: exit %d\n%s" % (" ".join(cmd), r.returncode, r.stderr))
    return r.stdout + r.stderr


def main():
    hopsniff, sdir = sys.argv[1], sys.argv[2]
    leaks = checked = learnt_total = 0
    with tempfile.TemporaryDirectory() as tmp:
        for name in SCENARIOS:
            scen = os.path.join(sdir, name)
            kts = sorted(glob.glob(os.path.join(scen, "*.keytab")))
            pcaps = [os.path.join(scen, v + ".pcapng") for v in ("client1", "srv1", "dc")]
            ktargs = [a for k in kts for a in ("--keytab", k)]
            rargs = [a for p in pcaps for a in ("-r", p)]
            keys = {k for kt in kts for k in klist_keys(kt)}
            # session keys and subkeys hopsniff learns, from its secrets view
            learnt = set()
            for line in run([hopsniff, "decode", "--json", "--show-secrets"] + rargs + ktargs).splitlines():
                if line.startswith("{"):
                    learnt |= set(re.findall(r'"value":"([0-9a-f]{32,64})"', line))
            learnt -= keys
            if not learnt:
                print("FAIL %s: --show-secrets shows no learnt session key" % name)
                leaks += 1
            learnt_total += len(learnt)
            html = os.path.join(tmp, name + ".html")
            outputs = {
                "decode text": run([hopsniff, "decode"] + rargs + ktargs),
                "decode json": run([hopsniff, "decode", "--json"] + rargs + ktargs),
                "report text": run([hopsniff] + rargs + ktargs),
                "report json": run([hopsniff, "--json", "--messages", "--html", html] + rargs + ktargs),
            }
            outputs["report html"] = open(html).read()
            # control: the same search finds the keys when secrets are asked for
            shown = run([hopsniff, "--json", "--messages", "--show-secrets"] + rargs + ktargs)
            if not any(f in shown for k in learnt for f in forms(k)):
                print("FAIL %s: the search finds no learnt key even with --show-secrets" % name)
                leaks += 1
            for what, text in outputs.items():
                for k in keys | learnt:
                    for f in forms(k):
                        checked += 1
                        if f in text:
                            leaks += 1
                            print("LEAK %s %s: a key (%s...) appears" % (name, what, f[:6]))
    print("keys: %d learnt session keys/subkeys; %d (key form, output) pairs checked; %d leaks" %
          (learnt_total, checked, leaks))
    return 1 if leaks or not checked else 0


if __name__ == "__main__":
    sys.exit(main())
