#!/usr/bin/env python3
"""bench/make_live_capture.py [--jump] COPIES OUT.pcap - the capture the live
load test replays: srv1's view of every lab scenario (captures/lab/scenarios/
*/srv1.pcapng, real traffic: Kerberos, WinRM, SMB2, LDAP ...), one after the
other, COPIES times; each copy on its own addresses (10.200.0.x becomes
10.<200 + c / 250>.<c % 250>.x), so every copy is a new set of hosts and
chains rather than a duplicate of the first (IP/TCP checksums are left as
they are: hopsniff, like Wireshark by default, does not check them).
Packets are 10 us apart, 100,000 per second.

--jump: the jump server (bench/jump.sh): every copy talks to the SAME srv1,
srv2 and DC (10.200.0.10-12 unchanged) and only the client 10.200.0.20
becomes 10.<201 + c / 250>.<c % 250>.20; copy c starts 2 s after copy c - 1
(packets 10 us apart within a copy)."""
import glob
import os
import struct
import sys
import tempfile

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "tests", "live"))
import pcaputil as pu  # noqa: E402

jump = sys.argv[1:2] == ["--jump"]
copies, out = int(sys.argv[1 + jump]), sys.argv[2 + jump]
root = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..")
with tempfile.TemporaryDirectory() as tmp:
    # the 15 scenarios of the first lab (01-15): the jump server's figures
    # (docs/performance.md, issue 14) stay comparable as the lab grows
    scen = [pu.read_pcap(p, tmp) for p in sorted(glob.glob(os.path.join(root, "captures/lab/scenarios/*/srv1.pcapng")))
            if int(os.path.basename(os.path.dirname(p))[:2]) <= 15]
one = [f for s in scen for f in s]
t = 1_700_000_000
with open(out, "wb") as fo:
    fo.write(struct.pack("<IHHiIII", 0xA1B2C3D4, 2, 4, 0, 0, 262144, 1))
    n = 0
    for c in range(copies):
        if jump:  # only the client moves
            old, new = b"\x0a\xc8\x00\x14", bytes([10, 201 + c // 250, c % 250, 20])
        else:
            old, new = b"\x0a\xc8\x00", bytes([10, 200 + c // 250, c % 250])
        for i, (_, _, d) in enumerate(one):
            if d[12:14] == b"\x08\x00":
                b = bytearray(d)
                for off in (26, 30):  # IPv4 source, destination
                    if b[off:off + len(old)] == old:
                        b[off:off + len(new)] = new
                d = bytes(b)
            n += 1
            us = c * 2_000_000 + i * 10 if jump else n * 10
            fo.write(struct.pack("<IIII", t + us // 1_000_000, us % 1_000_000, len(d), len(d)))
            fo.write(d)
print(f"{out}: {n} packets, {copies} copies of {len(scen)} scenarios ({len(one)} packets each)")
