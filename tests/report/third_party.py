#!/usr/bin/env python3
"""third_party.py HOPSNIFF CAPTURE_DIR SCHEMA - the report on the real
third-party captures (Windows and MIT traffic from Zeek's test suite).

None of them holds a PowerShell-remoting session, so what is expected comes
from tshark (the independent oracle), not from hopsniff:
 - no WinRM traffic (tshark: no TCP 5985/5986 frame) -> no chain, exit 0;
 - stats.packets = tshark's frame count;
 - every anomaly in the report sits on a frame tshark also finds wrong
   (malformed, cut by the snaplen, or after lost segments), and every frame
   tshark calls malformed with severity error (a dissector exception) in a
   protocol hopsniff decodes has an anomaly.  tshark's malformed warnings are
   not used that way: in krb_kinit.pcap they are tshark reading a KRB-ERROR's
   METHOD-DATA e-data as TYPED-DATA (see tests/diff_kerberos.py, which
   decodes those e-data independently);
 - the report is valid against docs/report.schema.json.
Exits 77 without tshark, 1 on any mismatch or when nothing was compared."""
import json
import os
import shutil
import subprocess
import sys

HS, DIR, SCHEMA = sys.argv[1:4]
DECODED = ("kerberos", "ntlmssp", "spnego", "smb2", "ldap", "dcerpc", "http", "tds", "tls")


def tshark(path, fields, flt=None):
    cmd = ["tshark", "-n", "-r", path, "-T", "fields", "-E", "separator=|"]
    if flt:
        cmd += ["-Y", flt]
    for f in fields:
        cmd += ["-e", f]
    out = subprocess.run(cmd, capture_output=True, text=True, check=True).stdout
    return [line.split("|") for line in out.splitlines()]


def main():
    if not shutil.which("tshark"):
        print("SKIP: no tshark")
        return 77
    try:
        import jsonschema
    except ImportError:
        jsonschema = None
    schema = json.load(open(SCHEMA))
    checks = fails = 0
    for name in sorted(os.listdir(DIR)):
        if not name.endswith((".pcap", ".pcapng")):
            continue
        path = os.path.join(DIR, name)
        p = subprocess.run([HS, "--json", "-r", path], capture_output=True, text=True)
        errs = []
        try:
            rep = json.loads(p.stdout)
        except ValueError:
            print(f"FAIL {name}: exit {p.returncode}, no JSON report: {p.stderr.strip()}")
            fails += 1
            continue
        if jsonschema:
            jsonschema.validate(rep, schema)
        frames = tshark(path, ["frame.number", "frame.cap_len", "frame.len", "_ws.malformed",
                               "tcp.analysis.lost_segment", "tcp.analysis.ack_lost_segment", "frame.protocols",
                               "_ws.expert.severity"])
        winrm = tshark(path, ["frame.number"], "tcp.port == 5985 || tcp.port == 5986")
        checks += 1
        if rep["stats"]["packets"] != len(frames):
            errs.append(f"stats.packets {rep['stats']['packets']}, tshark {len(frames)}")
        if not winrm:
            checks += 2
            if rep["chains"]:
                errs.append(f"{len(rep['chains'])} chains without any WinRM frame")
            if p.returncode != 0:
                errs.append(f"exit {p.returncode}, want 0 (no chain)")
        wrong, malformed = set(), set()
        for no, cap, wire, mal, lost, acklost, protos, sev in frames:
            n = int(no)
            if mal or int(cap) < int(wire) or lost or acklost:
                wrong.add(n)
            error = any(int(v) >= 0x00800000 for v in sev.split(",") if v)  # PI_ERROR
            if mal and error and any(pr in protos.split(":") for pr in DECODED):
                malformed.add(n)
        got = {a["frame"] for a in rep["anomalies"] if a["input"] == 0}
        for a in rep["anomalies"]:
            checks += 1
            # a gap is reported at the frame that shows it; tshark flags the
            # first frame after lost segments or the cut frame itself
            near = any(f in wrong for f in range(a["frame"] - 1, a["frame"] + 2))
            if not near:
                errs.append(f"anomaly {a['kind']} at frame {a['frame']}: tshark sees nothing wrong there")
        for n in sorted(malformed):
            checks += 1
            if n not in got:
                errs.append(f"tshark: frame {n} malformed, no anomaly in the report")
        if errs:
            fails += 1
            print(f"FAIL {name}: " + "; ".join(errs))
        else:
            print(f"PASS {name}: {len(frames)} packets, {len(rep['chains'])} chains, "
                  f"{len(rep['anomalies'])} anomalies, {len(malformed)} malformed by tshark")
    print(f"{checks} checks, {fails} captures failed")
    return 1 if fails or checks == 0 else 0


sys.exit(main())
