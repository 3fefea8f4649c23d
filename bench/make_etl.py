#!/usr/bin/env python3
"""bench/make_etl.py OUT_DIR REPLICAS - the packets of every lab capture (µs
timestamps), repeated REPLICAS times 1000 s apart, written as what a support
engineer holds, for bench/etl.sh (files already there for REPLICAS are kept):

- big_etl.pcapng: the packets, once each (the de-duplicated capture);
- big.etl: the pktmon-style ETL of the tests (tests/input/etl_writer.py: XPRESS
  buffers, four processors, 1-3 PktMon appearances per packet with the copies
  away from the wire cut to 34 bytes, 3 NDIS copies of a Hyper-V switch
  packet, some as 802.11 / raw IP / NDIS fragments);
- big_pktmon.etl: the same with every copy whole (`pktmon start --capture
  --pkt-size 0`), and big_pktmon.pcapng: what `pktmon etl2pcap` makes of it
  (the shape of its output in captures/third-party/windows-etl/
  demikernel_PktMon.cap: SHB user application "Packet Monitor", one EPB per
  appearance, µs; an interface per link type; 802.11 frames with the
  Protected flag cleared, as hopsniff reads them from the ETL, so that both
  decode the same frames);
- big_netsh.etl: netsh-style, every packet one NDIS-PacketCapture 1001 event
  (Ethernet, no copies), buffers not compressed."""
import glob
import os
import struct
import sys

here = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(os.path.dirname(here), "tests", "input"))
import etl_writer  # noqa: E402


def block(btype, body):
    body += b"\0" * (-len(body) % 4)
    n = 12 + len(body)
    return struct.pack("<II", btype, n) + body + struct.pack("<I", n)


def option(code, value):
    return struct.pack("<HH", code, len(value)) + value + b"\0" * (-len(value) % 4)


def write_pcapng(path, frames, pktmon):
    """frames: [(ts_ns, linktype, bytes)] in order; an interface per link type, in order of appearance."""
    ifaces = {}
    for _, lt, _ in frames:
        ifaces.setdefault(lt, len(ifaces))
    with open(path, "wb") as f:
        opts = b""
        if pktmon:
            opts = option(3, b"Windows Server 2022 Datacenter") + option(2, b"Microsoft Corporation Virtual Machine") + \
                option(4, b"Packet Monitor") + option(0, b"")
        f.write(block(0x0a0d0d0a, struct.pack("<IHHq", 0x1a2b3c4d, 1, 0, -1) + opts))
        for lt in ifaces:
            f.write(block(1, struct.pack("<HHI", lt, 0, 0 if pktmon else 262144)))
        for ts, lt, d in frames:
            us = ts // 1000
            f.write(block(6, struct.pack("<IIIII", ifaces[lt], us >> 32, us & 0xffffffff, len(d), len(d)) + d))


out, reps = sys.argv[1], int(sys.argv[2])
names = ["big_etl.pcapng", "big.etl", "big_pktmon.etl", "big_pktmon.pcapng", "big_netsh.etl"]
try:
    done = open(os.path.join(out, "big_etl.replicas")).read().strip() == str(reps)
except OSError:
    done = False
if not done:
    for n in names:
        if os.path.exists(os.path.join(out, n)):
            os.remove(os.path.join(out, n))
base = []
for f in sorted(glob.glob(os.path.join(os.path.dirname(here), "captures/lab/scenarios/*/*.pcapng"))):
    for ts, data in etl_writer.read_capture_any(f):
        base.append((ts - ts % 1000, data))
base.sort(key=lambda p: p[0])
t0 = base[0][0]
packets = []
for r in range(reps):
    packets += [(ts - t0 + 1700000000 * 10 ** 9 + r * 1000 * 10 ** 9, d) for ts, d in base]


def need(name):
    return not os.path.exists(os.path.join(out, name))


if need("big_etl.pcapng"):
    write_pcapng(os.path.join(out, "big_etl.pcapng"), [(ts, 1, d) for ts, d in packets], False)
if need("big.etl"):
    etl_writer.write(packets, os.path.join(out, "big.etl"), 0, buffer_size=1 << 20)
if need("big_pktmon.etl") or need("big_pktmon.pcapng"):
    seen = []
    etl_writer.write(packets, os.path.join(out, "big_pktmon.etl"), 0, buffer_size=1 << 20, style="pktmon",
                     appearances=seen)
    seen = sorted(enumerate(seen), key=lambda a: (a[1][0], a[0]))  # time order, as logged for ties
    write_pcapng(os.path.join(out, "big_pktmon.pcapng"), [a for _, a in seen], True)
if need("big_netsh.etl"):
    etl_writer.write(packets, os.path.join(out, "big_netsh.etl"), 0, buffer_size=1 << 20, style="netsh",
                     compress=False)
with open(os.path.join(out, "big_etl.replicas"), "w") as f:
    f.write(str(reps))
print(len(packets), "packets")
