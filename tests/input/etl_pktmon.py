#!/usr/bin/env python3
"""hopsniff's ETL reader against pktmon's own outputs of the same real traces
(../shared/captures/third-party/windows-etl, see its SOURCES.md):

- demikernel_PktMon.etl vs demikernel_PktMon.cap (`pktmon etl2pcap` of it):
  every frame, in order, byte-identical, same original length, timestamp equal
  to the microsecond (pktmon's pcapng keeps µs, the ETL 100 ns);
- nathaniel-a_PktMon.etl vs nathaniel-a_PktMon.txt (`pktmon format`, UTF-16):
  every packet line: time to 100 ns (the text is local time, bias -330 min),
  PktGroupId, PktNumber, Appearance, Direction, Type, Component, Edge, Filter,
  OriginalSize, LoggedSize;
- copies folded: one packet per (PktGroupId, PktNumber) of the text, the one
  closest to the wire; pktmon's pcapng folds to the same packet count;
- finguard: recorded drops are not traffic; gobang (no packet events): exit 2.
usage: etl_pktmon.py INPUT_DUMP HOPSNIFF DIR"""
import datetime
import re
import struct
import subprocess
import sys

from testlib import check, read_pcapng
import testlib

dump, hopsniff, d = sys.argv[1:4]


def read_dump(path, all_copies=True):
    args = [dump] + (["--all-copies"] if all_copies else []) + [path]
    out = subprocess.run(args, capture_output=True, text=True, check=True).stdout
    rows = []
    for line in out.splitlines():
        f = line.split()
        rows.append(dict(ts=int(f[0]), link=int(f[1]), caplen=int(f[2]), wirelen=int(f[3]), drop=int(f[4]),
                         copies=int(f[5]), group=int(f[6]), number=int(f[7]), appearance=int(f[8]),
                         direction=int(f[9]), type=int(f[10]), component=int(f[11]), edge=int(f[12]),
                         filter=int(f[13]), data=f[15] if len(f) > 15 else ""))
    return rows


# --- demikernel: pktmon's own pcapng conversion, frame by frame
etl = read_dump(f"{d}/demikernel_PktMon.etl")
cap = [(ts, orig, data.hex()) for ts, _, orig, data in read_pcapng(f"{d}/demikernel_PktMon.cap")]
tshark_n = subprocess.run(["tshark", "-r", f"{d}/demikernel_PktMon.cap", "-T", "fields", "-e", "frame.number"],
                          capture_output=True, text=True).stdout.split()
check(len(cap) == len(tshark_n) == 114, f"demikernel: pktmon's pcapng has 114 frames (tshark: {len(tshark_n)})")
check(len(etl) == len(cap), f"demikernel: {len(etl)} packet events in the ETL, {len(cap)} frames in pktmon's pcapng")
bad = [i for i, (e, c) in enumerate(zip(etl, cap))
       if e["ts"] // 1000 != c[0] // 1000 or e["wirelen"] != c[1] or e["data"] != c[2]]
check(not bad, "demikernel: every frame equal (bytes, length, µs timestamp)" +
      (f"; first difference at frame {bad[0] + 1}: {etl[bad[0]]['ts']} vs {cap[bad[0]][0]}" if bad else ""))

# --- nathaniel: pktmon's text output, every packet line
txt = open(f"{d}/nathaniel-a_PktMon.txt", "rb").read().decode("utf-16")
pat = re.compile(r"^\[\d+\][0-9A-F.]+::(\S+ \S+) \[Microsoft-Windows-PktMon\] PktGroupId (\d+), PktNumber (\d+), "
                 r"Appearance (\d+), Direction (\w+) , Type (\w+) , Component (\d+), Edge (\d+), Filter (\d+), "
                 r"OriginalSize (\d+), LoggedSize (\d+)", re.M)
bias = datetime.timedelta(minutes=330)  # the trace's TimeZoneInformation: UTC+5:30
epoch = datetime.datetime(1970, 1, 1)
lines = []
for m in pat.finditer(txt):
    day, frac = m.group(1).split(".")
    t = datetime.datetime.strptime(day, "%Y-%m-%d %H:%M:%S") - bias
    ts100 = int((t - epoch).total_seconds()) * 10 ** 7 + int(frac[:7])
    lines.append((ts100, int(m.group(2)), int(m.group(3)), int(m.group(4)), {"Rx": 3, "Tx": 4}[m.group(5)],
                  {"Ethernet": 1, "WiFi": 2, "IP": 3}[m.group(6)], int(m.group(7)), int(m.group(8)),
                  int(m.group(9)), int(m.group(10)), int(m.group(11))))
etl = read_dump(f"{d}/nathaniel-a_PktMon.etl")
mine = [(e["ts"] // 100, e["group"], e["number"], e["appearance"], e["direction"], e["type"], e["component"],
         e["edge"], e["filter"], e["wirelen"], e["caplen"]) for e in etl]
check(len(lines) == 2705, f"nathaniel: pktmon's text has {len(lines)} packet lines")
check(sorted(mine) == sorted(lines), f"nathaniel: the {len(mine)} packet events equal pktmon's lines (100 ns time, metadata)")
order = [i for i, (a, b) in enumerate(zip(mine, lines)) if a != b]
check(not order, "nathaniel: in pktmon's order" + (f"; first difference at {order[0]}: {mine[order[0]]} vs {lines[order[0]]}" if order else ""))

# --- copies folded: one per (PktGroupId, PktNumber), the one closest to the wire
folded = read_dump(f"{d}/nathaniel-a_PktMon.etl", all_copies=False)
keys = {(l[1], l[2]) for l in lines}
check(len(folded) == len(keys) == 260, f"nathaniel folded: {len(folded)} packets, {len(keys)} distinct in pktmon's text")
best = {}
for l in lines:  # Rx: the first component (the miniport); Tx: the last
    k = (l[1], l[2])
    rank = l[3] if l[4] == 4 else -l[3]
    if k not in best or rank > best[k][0]:
        best[k] = (rank, l)
chosen = {(e["group"], e["number"]): (e["appearance"], e["component"]) for e in folded}
check(all(chosen.get(k) == (v[1][3], v[1][6]) for k, v in best.items()), "nathaniel folded: each the copy closest to the wire")
check(sum(e["copies"] for e in folded) == 2705, "nathaniel folded: the copies add up to 2705")
capf = read_dump(f"{d}/demikernel_PktMon.cap", all_copies=False)
etlf = read_dump(f"{d}/demikernel_PktMon.etl", all_copies=False)
check(len(capf) == len(etlf) == 38, f"demikernel folded: ETL {len(etlf)}, pktmon's pcapng {len(capf)} packets (38 ICMP)")

# --- drops and errors, through the command
r = subprocess.run([hopsniff, "decode", "--json", "-r", f"{d}/finguard_PktMon.etl"], capture_output=True, text=True)
drops = [l for l in r.stdout.splitlines() if '"recorded_drop"' in l]
check(r.returncode == 0 and len(drops) == 28, f"finguard: 28 recorded drops shown (got {len(drops)}, exit {r.returncode})")
check("378 packets" in r.stderr and "28 recorded drops" in r.stderr, "finguard: 378 packets, the 28 drops not traffic")
r = subprocess.run([hopsniff, "-r", f"{d}/gobang_PktMon-nopackets.etl"], capture_output=True, text=True)
check(r.returncode == 2 and "holds no packets" in r.stderr and r.stdout == "",
      f"gobang (no packet events): exit 2, no report: {r.stderr.strip()[:120]}")
data = open(f"{d}/demikernel_PktMon.etl", "rb").read()
r = subprocess.run([hopsniff, "-r", "-"], input=data[:len(data) - 100], capture_output=True)
check(r.returncode == 2 and b"truncated" in r.stderr and r.stdout == b"", f"truncated ETL: exit 2, no report: {r.stderr.strip()[:120]}")
sys.exit(1 if testlib.fails else 0)
