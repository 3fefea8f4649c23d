#!/usr/bin/env python3
"""make_probe_corpus.py - the seed corpus of fuzz_probe (fuzz/corpus/probe)
from the project's own captures (lab scenarios, generated RDP/TLS captures,
the TDS seeds of fuzz/corpus/tds; no third-party data): for each TCP flow's
direction, its first payload behind selector 0x0f (every probe through
hs_app_probe), and its first few KB behind 0x80 0x00 (the waiting parser,
stream given at once).  Run from the repository root; needs tshark."""
import glob
import os
import subprocess

out = "fuzz/corpus/probe"
os.makedirs(out, exist_ok=True)
caps = ["captures/lab/scenarios/14-https-keylog/srv1.pcapng", "captures/lab/scenarios/05-unconstrained/srv1.pcapng",
        "captures/lab/scenarios/05-unconstrained/dc.pcapng", "captures/lab/scenarios/02-ntlm-first-hop/srv1.pcapng",
        "captures/generated/rdp/nla-ok.pcap", "captures/generated/http_auth_curl.pcap"]
n = 0
for cap in caps:
    r = subprocess.run(["tshark", "-r", cap, "-Y", "tcp.len > 0", "-T", "fields", "-e", "tcp.stream", "-e",
                        "tcp.srcport", "-e", "tcp.payload"], capture_output=True, text=True, check=True)
    streams = {}
    for line in r.stdout.splitlines():
        s, sport, hexp = line.split("\t")
        streams.setdefault((s, sport), []).append(bytes.fromhex(hexp.replace(":", "")))
    tag = os.path.basename(os.path.dirname(cap)) + "_" + os.path.basename(cap).split(".")[0]
    for (s, sport), pls in sorted(streams.items())[:12]:
        first = pls[0][:512]
        with open(os.path.join(out, "p_%s_%s_%s" % (tag, s, sport)), "wb") as f:
            f.write(b"\x0f" + first)
        with open(os.path.join(out, "w_%s_%s_%s" % (tag, s, sport)), "wb") as f:
            f.write(b"\x80\x00" + b"".join(pls)[:4096])
        n += 2
for seed in sorted(glob.glob("fuzz/corpus/tds/tds_freetds_*_c00"))[:2]:
    data = open(seed, "rb").read()[1:]  # carrier_fuzz's selector byte off
    with open(os.path.join(out, "p_tds_" + os.path.basename(seed)), "wb") as f:
        f.write(b"\x0f" + data[:512])
    n += 1
print("%d seeds in %s" % (n, out))
