#!/usr/bin/env python3
"""make_flow_corpus.py OUTDIR CAPTURE... - seed corpus for fuzz_flow from
real captures (classic pcap, Ethernet): byte 0 = link type index 0 (Ethernet),
byte 1 = flags (1: real parsers), then per frame u16 length, u8 time step, bytes.
Convert pcapng first (editcap -F pcap)."""
import os, struct, sys

out = sys.argv[1]
os.makedirs(out, exist_ok=True)
for path in sys.argv[2:]:
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
    for flags in (1, 0):
        body = bytearray([0, flags])
        prev = frames[0][0] if frames else 0
        for ts, data in frames:
            step = min(255, max(0, int((ts - prev) * 10)))
            prev = ts
            body += struct.pack('>HB', len(data), step) + data
        name = os.path.splitext(os.path.basename(path))[0] + ('_real' if flags else '_framed')
        open(os.path.join(out, name), 'wb').write(bytes(body))
