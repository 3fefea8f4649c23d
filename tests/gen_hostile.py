#!/usr/bin/env python3
"""gen_hostile.py SHAPE N OUT.pcap - adversarial captures at a chosen size.

The shapes of issue 21, each scaled by N (segments or flows):
  ooo-asc       one WinRM flow: a 1-byte hole, then N 1-byte segments in
                ascending order that are never delivered (the hole stays)
  ooo-desc      the same N segments in descending order (no coalescing)
  ooo-random    the same N segments in a fixed pseudo-random order
  slow-http     N 1-byte in-order segments of an HTTP header that never ends
  halfopen-sql  N never-closed MS-SQL connections (1433), each with the first
                half of a PRELOGIN packet
  halfopen-tls  N never-closed WinRM HTTPS connections (5986), each with half
                of a TLS ClientHello record
  halfopen-http N never-closed WinRM HTTP connections (5985), each with an
                unfinished request header
Frames are Ethernet/IPv4/TCP with valid lengths (checksums are 0, as in
captures with offload), 1 us apart.  Expected results never come from here:
the tests measure the time and memory hopsniff takes on these shapes.
"""
import random
import struct
import sys

SRV = bytes([10, 99, 0, 1])


def cli_ip(i):
    return bytes([10, 100 + (i >> 16) % 100, (i >> 8) & 0xFF, i & 0xFF])


class Writer:
    def __init__(self, path):
        self.f = open(path, "wb")
        self.f.write(struct.pack("<IHHiIII", 0xA1B2C3D4, 2, 4, 0, 0, 65535, 1))
        self.t = 1_700_000_000 * 1_000_000

    def tcp(self, src, sport, dst, dport, seq, ack, flags, payload=b""):
        tcp = struct.pack(">HHIIBBHHH", sport, dport, seq & 0xFFFFFFFF, ack & 0xFFFFFFFF, 5 << 4, flags,
                          65535, 0, 0)
        tot = 20 + len(tcp) + len(payload)
        ip = struct.pack(">BBHHHBBH4s4s", 0x45, 0, tot, 0, 0x4000, 64, 6, 0, src, dst)
        eth = b"\x02\x00\x00\x00\x00\x02" + b"\x02\x00\x00\x00\x00\x01" + b"\x08\x00"
        frame = eth + ip + tcp + payload
        self.t += 1
        self.f.write(struct.pack("<IIII", self.t // 1_000_000, self.t % 1_000_000, len(frame), len(frame)))
        self.f.write(frame)

    def handshake(self, c, cport, dport, isn=1000, sisn=5000):
        self.tcp(c, cport, SRV, dport, isn, 0, 0x02)
        self.tcp(SRV, dport, c, cport, sisn, isn + 1, 0x12)
        self.tcp(c, cport, SRV, dport, isn + 1, sisn + 1, 0x10)

    def close(self):
        self.f.close()


def ooo(w, n, order):
    c = cli_ip(1)
    w.handshake(c, 40000, 5985)
    base = 1002  # byte 1001 (the first) never arrives
    idx = list(range(n))
    if order == "desc":
        idx.reverse()
    elif order == "random":
        random.Random(21).shuffle(idx)
    for i in idx:
        w.tcp(c, 40000, SRV, 5985, base + i, 5001, 0x18, b"A")


def slow_http(w, n):
    c = cli_ip(1)
    w.handshake(c, 40000, 5985)
    head = b"POST /wsman HTTP/1.1\r\nX-Pad: "
    for i in range(n):
        b = head[i:i + 1] if i < len(head) else b"a"
        w.tcp(c, 40000, SRV, 5985, 1001 + i, 5001, 0x18, b)


PRELOGIN_HALF = bytes([0x12, 0x01, 0x00, 0x40, 0x00, 0x00, 0x01, 0x00]) + bytes(24)
TLS_HALF = bytes([0x16, 0x03, 0x01, 0x02, 0x00, 0x01, 0x00, 0x01, 0xFC, 0x03, 0x03]) + bytes(32)
HTTP_HALF = b"POST /wsman HTTP/1.1\r\nHost: srv\r\nContent-Type: application/soap+xml\r\n"


def halfopen(w, n, dport, payload):
    for i in range(n):
        c = cli_ip(i)
        cport = 1024 + (i % 60000)
        w.handshake(c, cport, dport)
        w.tcp(c, cport, SRV, dport, 1001, 5001, 0x18, payload)


def main():
    if len(sys.argv) != 4:
        sys.exit(__doc__)
    shape, n, out = sys.argv[1], int(sys.argv[2]), sys.argv[3]
    w = Writer(out)
    if shape.startswith("ooo-"):
        ooo(w, n, shape[4:])
    elif shape == "slow-http":
        slow_http(w, n)
    elif shape == "halfopen-sql":
        halfopen(w, n, 1433, PRELOGIN_HALF)
    elif shape == "halfopen-tls":
        halfopen(w, n, 5986, TLS_HALF)
    elif shape == "halfopen-http":
        halfopen(w, n, 5985, HTTP_HALF)
    else:
        sys.exit("unknown shape %s\n%s" % (shape, __doc__))
    w.close()


if __name__ == "__main__":
    main()
