#!/usr/bin/env python3
"""privacy.py HOPSNIFF SCENARIOS LAB_RUN_SH - no lab name survives --redact-names, no lab password
appears without --show-secrets, in any output mode of any lab scenario (issue 21).

The names and passwords come from the lab's configuration (captures/lab/run.sh: REALM, DOMAIN,
HOSTS, `samba-tool user create`, the *_PW variables), never from hopsniff's output.  Each scenario's
captures and key files are copied under neutral names first, so that file names in the output
(report inputs, key-file anomalies) cannot carry a lab name.  Modes: the report as text, --json,
--json --messages and --html; decode as text and --json; each with the scenario's keytabs and TLS
key logs, so that decrypted names and command lines are checked too.
"""
import glob
import os
import re
import shutil
import subprocess
import sys
import tempfile

def lab_config(run_sh):
    """(realm, domain, hosts, users, passwords) of the lab, from captures/lab/run.sh."""
    text = open(run_sh).read()
    realm = re.search(r"^REALM=(\S+)", text, re.M).group(1)
    domain = re.search(r"^DOMAIN=(\S+)", text, re.M).group(1)
    hosts = re.search(r"^HOSTS=\(([^)]*)\)", text, re.M).group(1).split()
    users = re.findall(r"user create (\S+)", text) + ["Administrator"]
    hosts += re.findall(r'echo "\$\{IP\[\w+\]\} (\w+)\.', text)  # aliases (files.hop.test)
    pws = [v.strip("'\"") for v in re.findall(r"^\w+_PW=('[^']*'|\"[^\"]*\"|\S+)", text, re.M)]
    return realm, domain, sorted(set(hosts)), sorted(set(users)), pws


def name_patterns(realm, domain, hosts, users):
    word = r"(?<![A-Za-z0-9_])%s(?![A-Za-z0-9_])"
    pats = [re.compile(word % re.escape(realm), re.I)]
    # the NetBIOS domain in upper case as a word ("hop" is also English: the report speaks of hops)
    pats.append(re.compile(word % re.escape(domain.upper())))
    for u in users:
        pats.append(re.compile(word % re.escape(u), re.I))
    for h in hosts:
        if len(h) <= 2:  # "dc": a host name only as dc.<domain> or the machine account DC$
            pats.append(re.compile(r"(?<![A-Za-z0-9_])%s(?=\.%s|\$)" % (re.escape(h), re.escape(realm)), re.I))
        else:
            pats.append(re.compile(word % re.escape(h), re.I))
    return pats


def main():
    hopsniff, scen, run_sh = sys.argv[1:4]
    realm, domain, hosts, users, pws = lab_config(run_sh)
    pats = name_patterns(realm, domain, hosts, users)
    print("lab names: realm %s, domain %s, hosts %s, users %s; %d passwords" %
          (realm, domain, " ".join(hosts), " ".join(users), len(pws)))
    fails = 0
    runs = 0
    for sdir in sorted(glob.glob(os.path.join(scen, "*"))):
        caps = sorted(glob.glob(os.path.join(sdir, "*.pcapng")))
        if not caps:
            continue
        with tempfile.TemporaryDirectory() as tmp:
            args = []
            for i, c in enumerate(caps):
                dst = os.path.join(tmp, "in%d.pcapng" % i)
                shutil.copy(c, dst)
                args += ["-r", dst]
            for i, k in enumerate(sorted(glob.glob(os.path.join(sdir, "*.keytab")))):
                dst = os.path.join(tmp, "k%d.keytab" % i)
                shutil.copy(k, dst)
                args += ["--keytab", dst]
            for i, k in enumerate(sorted(glob.glob(os.path.join(sdir, "tls-keylog-*.txt")))):
                dst = os.path.join(tmp, "t%d.txt" % i)
                shutil.copy(k, dst)
                args += ["--keylog", dst]
            html = os.path.join(tmp, "r.html")
            modes = {"report": [], "report --json": ["--json"], "report --json --messages": ["--json", "--messages"],
                     "report --html": ["--html", html], "decode": ["decode"], "decode --json": ["decode", "--json"]}
            for mode, extra in modes.items():
                for redact in (False, True):
                    cmd = [hopsniff] + extra + args + (["--redact-names"] if redact else [])
                    if extra[:1] == ["decode"]:
                        cmd = [hopsniff, "decode"] + extra[1:] + args + (["--redact-names"] if redact else [])
                    p = subprocess.run(cmd, capture_output=True, text=True, errors="replace")
                    runs += 1
                    if p.returncode not in (0, 1):
                        print("FAIL %s %s: exit %d: %s" % (os.path.basename(sdir), mode, p.returncode, p.stderr[-300:]))
                        fails += 1
                        continue
                    out = p.stdout + p.stderr
                    if "--html" in extra:
                        out += open(html, errors="replace").read()
                    label = "%s %s%s" % (os.path.basename(sdir), mode, " --redact-names" if redact else "")
                    for pw in pws:
                        if pw in out:
                            print("FAIL %s: a lab password appears without --show-secrets" % label)
                            fails += 1
                    if redact:
                        for pat in pats:
                            m = pat.search(out)
                            if m:
                                s = max(0, m.start() - 60)
                                print("FAIL %s: %r survives: ...%s..." % (label, m.group(0),
                                                                        out[s:m.end() + 40].replace("\n", " ")))
                                fails += 1
    print("%d runs, %d failures" % (runs, fails))
    sys.exit(1 if fails else 0)


if __name__ == "__main__":
    main()
