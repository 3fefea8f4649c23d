#!/usr/bin/env python3
"""make_flow_corpus.py [--whole] OUTDIR CAPTURE... - seed corpus for fuzz_flow from
real captures (classic pcap, Ethernet): byte 0 = link type index 0 (Ethernet),
byte 1 = flags (1: real parsers), then per frame u16 length, u8 time step, bytes.
Seeds are kept under MAX bytes (a long capture becomes consecutive chunks) so
the fuzzer runs fast.  Convert pcapng first (editcap -F pcap).
--whole (fuzz_report): one seed per capture, flags 0, never chunked - a
double-hop chain needs the whole conversation."""
import os, struct, sys

args = sys.argv[1:]
whole = args[:1] == ['--whole']
if whole:
    args = args[1:]
out = args[0]
os.makedirs(out, exist_ok=True)
for path in args[1:]:
    b = open(path, 'rb').read()
    magic = b[:4]
    end = '<' if magic in (b'\xd4\xc3\xb2\xa1', b'\x4d\x3c\xb2\xa1') else '>'
    if struct.unpack(end + 'I', b[20:24])[0] != 1:
        continue
    frames, at, last = [], 24, None
    while at + 16 <= len(b):
        sec, usec, incl, orig = struct.unpack(end + 'IIII', b[at:at + 16])
        frames.append((sec + usec / 1e6, b[at + 16:at + 16 + incl]))
        at += 16 + incl
    MAX = 1 << 30 if whole else 12000
    chunks, cur, size = [], [], 0
    for fr in frames:
        if cur and size + len(fr[1]) + 3 > MAX:
            chunks.append(cur)
            cur, size = [], 0
        cur.append(fr)
        size += len(fr[1]) + 3
    if cur:
        chunks.append(cur)
    base = os.path.splitext(os.path.basename(path))[0]
    for n, chunk in enumerate(chunks):
        for flags in ((0,) if whole else (1, 0)):
            body = bytearray([0, flags])
            prev = chunk[0][0]
            for ts, data in chunk:
                step = min(255, max(0, int((ts - prev) * 10)))
                prev = ts
                body += struct.pack('>HB', len(data), step) + data
            name = base + ('_%d' % n if len(chunks) > 1 else '') + ('' if whole else '_real' if flags else '_framed')
            open(os.path.join(out, name), 'wb').write(bytes(body))
