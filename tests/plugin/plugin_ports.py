#!/usr/bin/env python3
"""The plugin finds services on other ports by content, as the CLI does (issue 20).

usage: plugin_ports.py HOPSNIFF PLUGIN_DIR SCENARIOS_DIR

Lab scenarios with their services moved to other ports (the rewrite of
tests/probes/moved_ports.py): WinRM over HTTPS on 443 with the client's key
log (-o hopsniff.keylog_files), WinRM HTTP on 15985 and SMB on 4450.  Per
frame, tshark -2 with the plugin gives hopsniff.chain / verdict / cause /
method; they must equal the plugin's on the standard-port capture, and the
verdicts, causes and methods must be the CLI's on the moved capture.  WinRM
HTTPS on 8443 without a key log needs -o hopsniff.decode_as:tcp.port==8443,
winrm-https (the CLI's -d) to give the standard chain.
"""
import json
import os
import subprocess
import sys
import tempfile

here = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, here)
sys.path.insert(0, os.path.join(here, "..", "probes"))
import wsenv  # noqa: E402

HS, PLUGIN, SCN = sys.argv[1:4]
wsenv.need("tshark")
wsenv.need("editcap")
# moved_ports.py's rewrite, without running that test
src = open(os.path.join(here, "..", "probes", "moved_ports.py")).read()
ns = {}
exec(src[src.index("def rewrite_ports"):src.index("def moved(")], ns)
rewrite_ports = ns["rewrite_ports"]

tmp = tempfile.mkdtemp(prefix="hs-plugin-ports-")
os.chmod(tmp, 0o755)
env = wsenv.Env(PLUGIN)
fails = 0
FIELDS = ["frame.number", "hopsniff.chain", "hopsniff.verdict", "hopsniff.cause", "hopsniff.method"]


def check(ok, what):
    global fails
    print(("ok   " if ok else "FAIL ") + what)
    if not ok:
        fails += 1


def pcaps(name, view, portmap):
    cap = os.path.join(SCN, name, view + ".pcapng")
    std = os.path.join(tmp, "%s-%s.pcap" % (name, view))
    subprocess.run(["editcap", "-F", "pcap", cap, std], check=True, capture_output=True)
    mov = std.replace(".pcap", "-moved.pcap")
    with open(std, "rb") as f, open(mov, "wb") as g:
        g.write(rewrite_ports(f.read(), portmap))
    for p in (std, mov):
        os.chmod(p, 0o644)
    return std, mov


def plugin_rows(cap, prefs):
    args = ["tshark", "-2", "-r", cap, "-T", "fields", "-E", "separator=\t", "-E", "occurrence=a", "-E",
            "aggregator=|"]
    for k, v in prefs.items():
        args += ["-o", "hopsniff.%s:%s" % (k, v)]
    for f in FIELDS:
        args += ["-e", f]
    rows = [line.split("\t") for line in env.run(args).stdout.splitlines()]
    return [r for r in rows if len(r) > 1 and r[1]]


def cli(cap, extra):
    r = subprocess.run([HS, "--json", "-r", cap] + extra, capture_output=True, text=True)
    return json.loads(r.stdout)["chains"]


def case(name, view, portmap, prefs_std, prefs_mov, cli_extra):
    std, mov = pcaps(name, view, portmap)
    a, b = plugin_rows(std, prefs_std), plugin_rows(mov, prefs_mov)
    check(len(a) > 0 and a == b, "%s %s with ports %s %s: %d frames with a chain, the standard ports' fields" %
          (name, view, portmap, " ".join("%s:%s" % kv for kv in prefs_mov.items()), len(a)))
    chains = cli(mov, cli_extra)
    want = [(c["delegation"]["verdict"], c["delegation"]["cause"], c["delegation"]["method"]) for c in chains]
    got = sorted({(r[2].split("|")[0], r[3].split("|")[0], r[4].split("|")[0]) for r in b})
    check(len(want) > 0 and sorted(set(want)) == got, "%s %s moved: the plugin's verdict, cause, method %s are the "
          "CLI's %s" % (name, view, got, sorted(set(want))))


d14 = os.path.join(SCN, "14-https-keylog")
keylog = os.path.join(tmp, "keylog.txt")
with open(os.path.join(d14, "tls-keylog-client1.txt"), "rb") as f, open(keylog, "wb") as g:
    g.write(f.read())
os.chmod(keylog, 0o644)
case("14-https-keylog", "srv1", {5986: 443, 445: 4450}, {"keylog_files": keylog}, {"keylog_files": keylog},
     ["--keylog", keylog])
case("14-https-keylog", "srv1", {5986: 8443}, {}, {"decode_as": "tcp.port==8443,winrm-https"},
     ["-d", "tcp.port==8443,winrm-https"])
case("05-unconstrained", "srv1", {5985: 15985, 445: 4450}, {}, {}, [])
case("02-ntlm-first-hop", "srv1", {5985: 15985, 445: 4450}, {}, {}, [])
env.close()
print("%d failure(s)" % fails)
sys.exit(1 if fails else 0)
