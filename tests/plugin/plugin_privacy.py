#!/usr/bin/env python3
"""The plugin's redact_names preference: no lab name in hopsniff's tree (issue 21).

usage: plugin_privacy.py PLUGIN_DIR SCENARIOS_DIR LAB_RUN_SH

Per lab capture, `tshark -2 -V -O hopsniff` with -o hopsniff.redact_names:TRUE, all_messages and the
scenario's keytabs and key logs: the lines of hopsniff's own subtree ("[Double-Hop Analysis (hopsniff)]":
chains and decoded messages) must hold no user, host or realm of the lab (read from the lab's
configuration, tests/privacy.py) and no lab password.  Wireshark's own dissectors' fields are theirs.
Without the preference the same lines do name the lab (the check can fail).

The sealed WinRM captures (captures/generated/winrm-sealed, with srv1's keytab or alice's NTLM password): the
"Decrypted WinRM" bodies (hopsniff.winrm.plaintext), and every base64 run in them decoded (command output, PSRP
fragments), must hold no lab name with redact_names; without it they do.
"""
import base64
import glob
import json
import os
import re
import shutil
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
import privacy  # noqa: E402
import wsenv  # noqa: E402


def hopsniff_lines(text):
    out, inside = [], False
    for line in text.splitlines():
        if line and not line.startswith(" "):
            inside = line.lstrip("[").startswith("Double-Hop")
        if inside:
            out.append(line)
    return "\n".join(out)


def sealed_bodies(env, sealed, name, redact):
    """The decrypted WinRM bodies of one sealed capture, and the text of every base64 run in them."""
    sc = os.path.join(sealed, name)
    if name.startswith("s1"):
        kt = os.path.join(env.home, name + ".keytab")
        shutil.copy(os.path.join(sc, "srv1.keytab"), kt)
        os.chmod(kt, 0o644)
        pref = "keytab_files:" + kt
    else:
        pw = [l.split(":", 1)[1].strip() for l in open(os.path.join(sc, "secrets.txt")) if l.startswith("alice:")][0]
        pref = "ntlm_passwords:HOP\\alice:" + pw
    p = env.run(["tshark", "-2", "-r", os.path.join(sc, "srv1.pcapng"), "-o", "hopsniff." + pref,
                 "-o", "hopsniff.redact_names:" + redact, "-T", "json", "-j", "hopsniff",
                 "-e", "hopsniff.winrm.plaintext"])
    texts = []
    for pk in json.loads(p.stdout or "[]"):
        for t in pk["_source"]["layers"].get("hopsniff.winrm.plaintext", []):
            texts.append(t)
            for run in re.findall(r"[A-Za-z0-9+/]{16,}={0,2}", t):
                try:
                    raw = base64.b64decode(run + "=" * (-len(run) % 4))
                except ValueError:
                    continue
                texts.append(raw.decode("utf-8", "replace"))
                texts.append(raw.decode("utf-16-le", "replace"))
    return texts


def main():
    plugin_dir, scen, run_sh = sys.argv[1:4]
    wsenv.need("tshark")
    realm, domain, hosts, users, pws = privacy.lab_config(run_sh)
    pats = privacy.name_patterns(realm, domain, hosts, users)
    env = wsenv.Env(plugin_dir)
    fails = runs = 0
    unredacted_names = 0
    try:
        for cap in sorted(glob.glob(os.path.join(scen, "*", "*.pcapng"))):
            d = os.path.dirname(cap)
            prefs = ["-o", "hopsniff.all_messages:TRUE",
                     "-o", "hopsniff.keytab_files:" + ";".join(sorted(glob.glob(os.path.join(d, "*.keytab")))),
                     "-o", "hopsniff.keylog_files:" + ";".join(sorted(glob.glob(os.path.join(d, "tls-keylog-*.txt"))))]
            for redact in ("TRUE", "FALSE"):
                p = env.run(["tshark", "-2", "-r", cap, "-V", "-O", "hopsniff",
                             "-o", "hopsniff.redact_names:" + redact] + prefs, check=False)
                runs += 1
                if p.returncode != 0:
                    print("FAIL %s: tshark exit %d: %s" % (cap, p.returncode, p.stderr[-300:]))
                    fails += 1
                    continue
                tree = hopsniff_lines(p.stdout)
                label = "%s redact_names:%s" % (os.path.relpath(cap, scen), redact)
                for pw in pws:
                    if pw in tree:
                        print("FAIL %s: a lab password in hopsniff's tree" % label)
                        fails += 1
                hits = [m.group(0) for pat in pats for m in [pat.search(tree)] if m]
                if redact == "FALSE":
                    unredacted_names += bool(hits)
                elif hits:
                    print("FAIL %s: %s survive" % (label, ", ".join(sorted(set(hits)))))
                    fails += 1
        sealed = os.path.join(scen, "..", "..", "generated", "winrm-sealed")
        for name in ("s1-kerberos-aes", "s3-ntlm"):
            for redact in ("TRUE", "FALSE"):
                runs += 1
                texts = sealed_bodies(env, sealed, name, redact)
                label = "%s decrypted WinRM bodies, redact_names:%s" % (name, redact)
                if not texts:
                    print("FAIL %s: no decrypted body" % label)
                    fails += 1
                    continue
                body = "\n".join(texts)
                hits = [m.group(0) for pat in pats for m in [pat.search(body)] if m]
                if redact == "FALSE" and not hits:
                    print("FAIL %s: no lab name even without redaction: the check cannot see names" % label)
                    fails += 1
                elif redact == "TRUE" and hits:
                    print("FAIL %s: %s survive" % (label, ", ".join(sorted(set(hits)))))
                    fails += 1
    finally:
        env.close()
    if not unredacted_names:
        print("FAIL: no capture names the lab without redact_names: the check cannot see names")
        fails += 1
    print("%d tshark runs, %d failures" % (runs, fails))
    sys.exit(1 if fails else 0)


if __name__ == "__main__":
    main()
