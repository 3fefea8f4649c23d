#!/usr/bin/env python3
"""bench/make_etl.py OUT_DIR REPLICAS - the packets of every lab capture (µs
timestamps), repeated REPLICAS times 1000 s apart, as one pcapng
(OUT_DIR/big_etl.pcapng) and as the pktmon-style ETL that
tests/input/etl_writer.py makes of them (OUT_DIR/big.etl: XPRESS buffers,
four processors, 1-3 copies per packet (3 NDIS copies of a Hyper-V switch
packet), some as 802.11 / raw IP / NDIS fragments): the same packets through both readers (bench/etl.sh)."""
import glob
import os
import struct
import sys

here = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(os.path.dirname(here), "tests", "input"))
import etl_writer  # noqa: E402

out, reps = sys.argv[1], int(sys.argv[2])
base = []
for f in sorted(glob.glob(os.path.join(os.path.dirname(here), "captures/lab/scenarios/*/*.pcapng"))):
    for ts, data in etl_writer.read_capture_any(f):
        base.append((ts - ts % 1000, data))
base.sort(key=lambda p: p[0])
t0 = base[0][0]
packets = []
for r in range(reps):
    packets += [(ts - t0 + 1700000000 * 10 ** 9 + r * 1000 * 10 ** 9, d) for ts, d in base]
with open(os.path.join(out, "big_etl.pcapng"), "wb") as f:
    f.write(struct.pack("<IIIHHq", 0x0a0d0d0a, 28, 0x1a2b3c4d, 1, 0, -1) + struct.pack("<I", 28))
    f.write(struct.pack("<IIHHI", 1, 20, 1, 0, 262144) + struct.pack("<I", 20))
    for ts, d in packets:
        us = ts // 1000
        pad = b"\0" * (-len(d) % 4)
        n = 32 + len(d) + len(pad)
        f.write(struct.pack("<IIIIIII", 6, n, 0, us >> 32, us & 0xffffffff, len(d), len(d)) + d + pad +
                struct.pack("<I", n))
etl_writer.write(packets, os.path.join(out, "big.etl"), 0, buffer_size=1 << 20)
print(len(packets), "packets")
