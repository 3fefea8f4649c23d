#!/usr/bin/env python3
"""bench/make_live_capture.py COPIES OUT.pcap - the capture the live load
test replays: srv1's view of every lab scenario (captures/lab/scenarios/*/
srv1.pcapng, real traffic: Kerberos, WinRM, SMB2, LDAP ...), one after the
other, COPIES times; each copy on its own addresses (10.200.0.x becomes
10.<200 + c / 250>.<c % 250>.x), so every copy is a new set of hosts and
chains rather than a duplicate of the first (IP/TCP checksums are left as
they are: hopsniff, like Wireshark by default, does not check them)."""
import glob
import os
import struct
import sys
import tempfile

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "tests", "live"))
import pcaputil as pu  # noqa: E402

copies, out = int(sys.argv[1]), sys.argv[2]
root = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..")
with tempfile.TemporaryDirectory() as tmp:
    scen = [pu.read_pcap(p, tmp) for p in sorted(glob.glob(os.path.join(root, "captures/lab/scenarios/*/srv1.pcapng")))]
one = [f for s in scen for f in s]
t = 1_700_000_000
with open(out, "wb") as fo:
    fo.write(struct.pack("<IHHiIII", 0xA1B2C3D4, 2, 4, 0, 0, 262144, 1))
    n = 0
    for c in range(copies):
        net = bytes([10, 200 + c // 250, c % 250])
        for _, _, d in one:
            if d[12:14] == b"\x08\x00":
                b = bytearray(d)
                for off in (26, 30):  # IPv4 source, destination
                    if b[off:off + 3] == b"\x0a\xc8\x00":
                        b[off:off + 3] = net
                d = bytes(b)
            n += 1
            fo.write(struct.pack("<IIII", t + n // 100000, n % 100000 * 10, len(d), len(d)))
            fo.write(d)
print(f"{out}: {n} packets, {copies} copies of {len(scen)} scenarios ({len(one)} packets each)")
