#!/usr/bin/env python3
"""misfires.py PROBE_SCAN HOPSNIFF OUTDIR CAPTURE...

The false-positive test of the probes (issue 20):
  1. every TCP flow of the given real captures (the third-party ones) is
     probed as the engine probes a flow on an unknown port (probe_scan.c);
     a flow probed as protocol X that tshark does not call X in any frame
     of that TCP stream is a misfire;
  2. bulk traffic as bench/make_capture.sh records it (8 long transfers of
     its byte pattern, segmented at the MSS) and random bytes on odd ports
     (pure random, and random behind each byte a probe starts with) are
     written to a capture: no probe may accept any of its flows, and
     `hopsniff decode` prints nothing for it (no message, no anomaly).
Prints the false-positive rate (misfires / flows probed).  tshark is the
oracle for part 1; part 2 needs none (there is no protocol in it).
"""
import os
import random
import struct
import subprocess
import sys

SCAN, HS, OUT = sys.argv[1], sys.argv[2], sys.argv[3]
CAPS = sys.argv[4:]

# tshark's names of what each probe accepts (frame.protocols)
TSHARK = {"tls": {"tls", "ssl"}, "http": {"http"}, "kerberos": {"kerberos"}, "smb2": {"smb2", "smb"},
          "ldap": {"ldap"}, "tds": {"tds"}, "rdp": {"tpkt", "x224", "rdp"}, "dcerpc": {"dcerpc"}}
fails = 0


def check(ok, what):
    global fails
    print(("ok   " if ok else "FAIL ") + what)
    if not ok:
        fails += 1


def scan(paths):
    r = subprocess.run([SCAN] + paths, capture_output=True, text=True, check=True)
    hits, flows = [], 0
    for line in r.stdout.splitlines():
        if line.startswith("#"):
            flows += int(line.split()[3])
            continue
        inp, frame, proto, side = line.split()
        hits.append((int(inp), int(frame), proto, side))
    return hits, flows


def streams(path):
    """frame -> tcp.stream, and tcp.stream -> the protocols tshark named in it."""
    r = subprocess.run(["tshark", "-r", path, "-Y", "tcp", "-T", "fields", "-e", "frame.number", "-e", "tcp.stream",
                        "-e", "frame.protocols"], capture_output=True, text=True)
    of, names = {}, {}
    for line in r.stdout.splitlines():
        f = line.split("\t")
        if len(f) < 3 or not f[1]:
            continue
        of[int(f[0])] = int(f[1])
        names.setdefault(int(f[1]), set()).update(f[2].split(":"))
    return of, names


# ---- 1. real captures against tshark ----
total_flows = total_hits = misfires = 0
for cap in CAPS:
    hits, flows = scan([cap])
    of, names = streams(cap)
    bad = [h for h in hits if not TSHARK[h[2]] & names.get(of.get(h[1], -1), set())]
    for h in bad:
        print("  misfire: %s frame %d probed %s (%s); tshark: %s" %
              (os.path.basename(cap), h[1], h[2], h[3], ":".join(sorted(names.get(of.get(h[1], -1), [])))))
    total_flows += flows
    total_hits += len(hits)
    misfires += len(bad)
    check(not bad, "%s: %d TCP flows, %d probed as a protocol, %d misfire(s)" %
          (os.path.basename(cap), flows, len(hits), len(bad)))


# ---- 2. bulk and random bytes ----
def pcap(path, packets):
    with open(path, "wb") as f:
        f.write(struct.pack("<IHHiIII", 0xA1B2C3D4, 2, 4, 0, 0, 65535, 1))
        t = 1700000000.0
        for frame in packets:
            t += 0.0001
            f.write(struct.pack("<IIII", int(t), int((t % 1) * 1e6), len(frame), len(frame)))
            f.write(frame)


def tcp(src, dst, sp, dp, seq, ack, flags, payload):
    th = struct.pack(">HHIIBBHHH", sp, dp, seq & 0xFFFFFFFF, ack & 0xFFFFFFFF, 5 << 4, flags, 65535, 0, 0)
    ih = struct.pack(">BBHHHBBH4s4s", 0x45, 0, 20 + len(th) + len(payload), 0, 0x4000, 64, 6, 0, bytes(src),
                     bytes(dst))
    return b"\x02" * 6 + b"\x04" * 6 + b"\x08\x00" + ih + th + payload


def connection(pk, cli, srv, cport, sport, chunks, replies=()):
    cs, ss = 1000, 5000
    pk.append(tcp(cli, srv, cport, sport, cs, 0, 0x02, b""))
    pk.append(tcp(srv, cli, sport, cport, ss, cs + 1, 0x12, b""))
    cs += 1
    ss += 1
    for i, c in enumerate(chunks):
        pk.append(tcp(cli, srv, cport, sport, cs, ss, 0x18, c))
        cs += len(c)
        if i < len(replies):
            pk.append(tcp(srv, cli, sport, cport, ss, cs, 0x18, replies[i]))
            ss += len(replies[i])
    pk.append(tcp(cli, srv, cport, sport, cs, ss, 0x11, b""))
    pk.append(tcp(srv, cli, sport, cport, ss, cs + 1, 0x11, b""))


rng = random.Random(20)
pk = []
# bench/make_capture.sh's bulk: bytes(range(256)) * 64 sent in a loop, MSS-sized segments
pattern = bytes(range(256)) * 64
for i in range(8):
    stream = (pattern * 40)[: 1448 * 400]
    connection(pk, [127, 0, 0, 1], [127, 0, 0, 1], 40000 + i, 9000 + i,
               [stream[o:o + 1448] for o in range(0, len(stream), 1448)])
# random bytes on odd ports, both directions, random sizes
for i in range(600):
    n = rng.randint(1, 12)
    chunks = [rng.randbytes(rng.choice([1, 3, 7, 20, 100, 536, 1448])) for _ in range(n)]
    replies = [rng.randbytes(rng.randint(1, 1448)) for _ in range(n)]
    connection(pk, [10, 1, i >> 8, i & 255], [10, 2, 0, 1], 30000 + i, rng.randint(1024, 65535), chunks, replies)
# random bytes behind the first bytes the probes start with (the hard case)
starts = [b"\x16\x03\x01", b"\x00\x00", b"\x30", b"\x03\x00", b"\x05\x00", b"\x12\x01", b"\x04\x01", b"GET ", b"POST ",
          b"HTTP/1.1 ", b"\x00\x00\x00\x40\xfeSMB", b"\x00\x00\x05\xdc\x6a"]
for i in range(1200):
    s = starts[i % len(starts)]
    chunks = [s + rng.randbytes(rng.randint(0, 1448 - len(s)))] + [rng.randbytes(rng.randint(1, 1448))
                                                                   for _ in range(3)]
    connection(pk, [10, 3, i >> 8, i & 255], [10, 4, 0, 1], 20000 + (i % 20000), 40000 + i, chunks)
noise = os.path.join(OUT, "probe_noise.pcap")
pcap(noise, pk)
hits, flows = scan([noise])
for h in hits[:5]:
    print("  misfire in noise: frame %d probed %s (%s)" % (h[1], h[2], h[3]))
total_flows += flows
total_hits += len(hits)
misfires += len(hits)
check(not hits, "bulk (8 transfers of bench's pattern) and %d random-byte flows: %d probed as a protocol" %
      (flows - 8, len(hits)))
r = subprocess.run([HS, "decode", "--json", "-r", noise], capture_output=True, text=True)
summary = r.stderr.strip().splitlines()[-1] if r.stderr.strip() else ""
# (a flow whose first segment is a probe's prefix is held while it waits: it may count in "flows")
check(r.returncode == 0 and r.stdout == "" and " 0 messages, 0 anomalies," in summary,
      "hopsniff decode of the bulk and random bytes prints nothing (%s)" % summary.replace("hopsniff: ", ""))

rate = misfires / total_flows if total_flows else 0.0
print("false-positive rate: %d misfire(s) in %d TCP flows probed (%.4f%%); %d flows probed as a protocol" %
      (misfires, total_flows, 100 * rate, total_hits))
print("%d failure(s)" % fails)
sys.exit(1 if fails else 0)
