#!/usr/bin/env python3
"""live_cli.py HOPSNIFF - the live-capture command line that needs no
privilege (plain ctest): --list-interfaces against the kernel's own list
(/sys/class/net), --print-filter compiled by tcpdump (libpcap) and applied
to real captures next to tshark's reading of the same ports, usage errors,
and the permission error as an unprivileged user (uid 65534 via setpriv when
run as root, else the calling user)."""
import os
import shutil
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import livecheck as lc  # noqa: E402

HS = os.path.abspath(sys.argv[1])
CAPS = sys.argv[2]
THIRD_PARTY = sys.argv[3] if len(sys.argv) > 3 else os.path.join(CAPS, "..", "..", "shared", "captures", "third-party")
check = lc.Checks()


def hs(*args, user=None):
    cmd = [HS] + list(args)
    if user is not None:
        cmd = ["setpriv", f"--reuid={user}", f"--regid={user}", "--clear-groups", "--inh-caps=-all"] + cmd
    return subprocess.run(cmd, capture_output=True, text=True)


# --list-interfaces: every interface of this network namespace, plus "any"
p = hs("--list-interfaces")
names = {line.split("\t")[0] for line in p.stdout.splitlines()}
kernel = set(os.listdir("/sys/class/net"))
check(p.returncode == 0, "--list-interfaces: exit 0")
check(kernel <= names and "any" in names, f"--list-interfaces: lists {sorted(kernel)} and any")
lo = [line for line in p.stdout.splitlines() if line.startswith("lo\t")]
check(lo and "loopback" in lo[0] and "127.0.0.1" in lo[0], "--list-interfaces: lo flagged loopback with 127.0.0.1")

# usage errors: exit 2 and a sentence
for args, words in ((["-i", "lo", "-r", "x.pcap"], "do not mix"),
                    (["-c", "5"], "need an interface"),
                    (["--list-interfaces", "-i", "lo"], "takes no other input"),
                    (["-i", "lo", "-f", "tcp", "--all-tcp"], "replaces the default filter"),
                    (["decode", "-i", "lo"], "decode reads files"),
                    (["-i", "lo", "-c", "-3"], "positive")):
    p = hs(*args)
    check(p.returncode == 2 and words in p.stderr, f"usage: {' '.join(args)} -> exit 2, '{words}'")

# --print-filter: libpcap compiles it (tcpdump -d), and applied offline by
# tcpdump it takes the frames tshark says carry the decoded ports
f = hs("--print-filter").stdout.strip()
check(all(f"tcp port {x}" in f for x in (88, 135, 389, 445, 636, 1433, 3268, 3389, 5985, 5986))
      and "udp port 88" in f and "vlan" in f and "ip[6:2] & 0x3fff != 0" in f and "ip6[6] == 44" in f,
      "--print-filter: the issue's ports, UDP 88, VLAN, IPv4/IPv6 fragments")
check("portrange 49152-65535" in hs("--print-filter", "--rpc-dynamic").stdout, "--rpc-dynamic adds 49152-65535")
check(hs("--print-filter", "--all-tcp").stdout.startswith("tcp or udp port 88"), "--all-tcp takes every TCP port")
if not os.path.isdir(os.path.join(THIRD_PARTY, "zeek")):
    print(f"skip: the default filter against tshark (no third-party captures at {THIRD_PARTY})")
elif shutil.which("tcpdump"):
    WANT = ("tcp.port in {80, 88, 135, 139, 389, 445, 636, 1433, 3268, 3269, 3389, 5985, 5986, 8080, 47001} "
            "or udp.port == 88")
    total = 0
    for name in sorted(os.listdir(os.path.join(THIRD_PARTY, "zeek"))):
        path = os.path.join(THIRD_PARTY, "zeek", name)
        if not name.endswith(("pcap", "pcapng")):
            continue
        td = subprocess.run(["tcpdump", "-n", "-r", path, f], capture_output=True, text=True)
        ts = subprocess.run(["tshark", "-n", "-r", path, "-Y", WANT], capture_output=True, text=True)
        a, b = len(td.stdout.splitlines()), len(ts.stdout.splitlines())
        total += a
        check(td.returncode == 0 and a == b, f"default filter on {name}: tcpdump takes {a}, tshark says {b}")
    check(total > 0, f"default filter: {total} frames taken over the third-party captures")

# no permission: the capabilities and the setcap command are named
user = 65534 if os.geteuid() == 0 else None
if user is None and subprocess.run(["getcap", HS], capture_output=True, text=True).stdout.strip():
    print("skip: the binary has file capabilities")
else:
    if user is not None:
        # a copy nobody can reach (the checkout may be under /root, mode 700)
        d = tempfile.mkdtemp(prefix="hsl-cli.")
        os.chmod(d, 0o755)
        HS = shutil.copy(HS, os.path.join(d, "hopsniff"))
        os.chmod(HS, 0o755)
    p = hs("-i", "lo", user=user)
    if user is not None:
        shutil.rmtree(os.path.dirname(HS), ignore_errors=True)
    check(p.returncode == 2 and "no permission" in p.stderr and "CAP_NET_RAW" in p.stderr
          and "CAP_NET_ADMIN" in p.stderr and "setcap cap_net_raw,cap_net_admin=eip" in p.stderr,
          "no permission (uid %s): exit 2, CAP_NET_RAW / CAP_NET_ADMIN and the setcap command" % (user or os.getuid()))
check.done()
