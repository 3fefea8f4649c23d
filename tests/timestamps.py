#!/usr/bin/env python3
"""timestamps.py HOPSNIFF - capture times past 2262 (pcapng's 64-bit timestamps reach far beyond
what int64 nanoseconds hold) are an anomaly, never an overflow (run under UBSan in the ASan build).

Writes a pcapng with a WinRM connection whose frames are stamped in 2300 and at the largest
64-bit microsecond value, then one stamped in 2024; every output mode must finish (exit 0 or 1)
and report "timestamp_out_of_range".
"""
import os
import struct
import subprocess
import sys
import tempfile


def block(btype, body):
    body += b"\0" * ((4 - len(body) % 4) % 4)
    n = 12 + len(body)
    return struct.pack("<II", btype, n) + body + struct.pack("<I", n)


def frame(src, dst, sport, dport, seq, ack, flags, payload=b""):
    tcp = struct.pack(">HHIIBBHHH", sport, dport, seq, ack, 5 << 4, flags, 65535, 0, 0)
    ip = struct.pack(">BBHHHBBH4s4s", 0x45, 0, 40 + len(payload), 0, 0x4000, 64, 6, 0, bytes(src), bytes(dst))
    return b"\x02\0\0\0\0\x02\x02\0\0\0\0\x01\x08\x00" + ip + tcp + payload


def epb(ts_us, data):
    return block(6, struct.pack("<IIIII", 0, ts_us >> 32, ts_us & 0xFFFFFFFF, len(data), len(data)) + data)


def main():
    hopsniff = sys.argv[1]
    c, s = [10, 0, 0, 1], [10, 0, 0, 2]
    y2300 = 10413792000 * 1000000
    req = b"POST /wsman HTTP/1.1\r\nHost: s\r\nContent-Length: 0\r\n\r\n"
    frames = [
        (y2300, frame(c, s, 40000, 5985, 100, 0, 0x02)),
        (y2300 + 1, frame(s, c, 5985, 40000, 500, 101, 0x12)),
        (y2300 + 2, frame(c, s, 40000, 5985, 101, 501, 0x18, req)),
        (2**64 - 1, frame(c, s, 40000, 5985, 101 + len(req), 501, 0x11)),
        (1700000000 * 1000000, frame(c, s, 40001, 5985, 100, 0, 0x02)),
    ]
    shb = block(0x0A0D0D0A, struct.pack("<IHHq", 0x1A2B3C4D, 1, 0, -1))
    idb = block(1, struct.pack("<HHI", 1, 0, 65535))
    fails = 0
    with tempfile.TemporaryDirectory() as tmp:
        path = os.path.join(tmp, "y2300.pcapng")
        with open(path, "wb") as f:
            f.write(shb + idb + b"".join(epb(t, d) for t, d in frames))
        for mode in ([], ["--json"], ["--json", "--messages"], ["decode"], ["decode", "--json"]):
            cmd = [hopsniff] + (["decode"] if mode[:1] == ["decode"] else []) + \
                [m for m in mode if m != "decode"] + ["-r", path]
            p = subprocess.run(cmd, capture_output=True, text=True)
            ok = p.returncode in (0, 1) and "timestamp_out_of_range" in p.stdout + p.stderr \
                and "runtime error" not in p.stderr
            if not ok:
                fails += 1
                print("FAIL %s: exit %d\n%s" % (" ".join(cmd), p.returncode, p.stderr[-800:]))
            else:
                print("ok   %s" % " ".join(mode or ["report"]))
    sys.exit(1 if fails else 0)


if __name__ == "__main__":
    main()
