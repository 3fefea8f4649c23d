"""pcaputil.py - classic pcap read/write and the packet variants the live
tests replay: 802.1Q-tagged copies, IPv4 fragments, and noise on ports no
parser wants.  Inputs are converted to classic pcap with editcap first."""
import os
import struct
import subprocess


def read_pcap(path, tmpdir):
    """[(ts_sec, ts_usec, data)] of any capture (pcapng converted by editcap)."""
    conv = os.path.join(tmpdir, os.path.basename(path) + ".conv.pcap")
    subprocess.run(["editcap", "-F", "pcap", path, conv], check=True)
    with open(conv, "rb") as f:
        b = f.read()
    magic, = struct.unpack("<I", b[:4])
    assert magic == 0xA1B2C3D4, hex(magic)
    linktype, = struct.unpack("<I", b[20:24])
    assert linktype == 1, linktype  # Ethernet
    out, off = [], 24
    while off + 16 <= len(b):
        s, us, incl, orig = struct.unpack("<IIII", b[off:off + 16])
        out.append((s, us, b[off + 16:off + 16 + incl]))
        off += 16 + incl
    return out


def write_pcap(path, frames):
    with open(path, "wb") as f:
        f.write(struct.pack("<IHHiIII", 0xA1B2C3D4, 2, 4, 0, 0, 262144, 1))
        for s, us, d in frames:
            f.write(struct.pack("<IIII", s, us, len(d), len(d)))
            f.write(d)


def vlan(frames, vid=100):
    """Each Ethernet frame with one 802.1Q tag (priority 0, VLAN vid)."""
    return [(s, us, d[:12] + struct.pack(">HH", 0x8100, vid) + d[12:]) for s, us, d in frames]


def _csum(h):
    t = sum(struct.unpack(">%dH" % (len(h) // 2), h))
    while t >> 16:
        t = (t & 0xFFFF) + (t >> 16)
    return (~t) & 0xFFFF


def fragment(frames, chunk=64):
    """IPv4 datagrams with more than chunk payload bytes split into
    fragments of chunk bytes (RFC 791: offsets in 8-byte units); the rest
    unchanged.  Each datagram gets its own IP ID."""
    assert chunk % 8 == 0
    out = []
    for n, (s, us, d) in enumerate(frames):
        if d[12:14] != b"\x08\x00":
            out.append((s, us, d))
            continue
        ihl = (d[14] & 15) * 4
        tot, = struct.unpack(">H", d[16:18])
        hdr, pay = bytearray(d[14:14 + ihl]), d[14 + ihl:14 + tot]
        if len(pay) <= chunk:
            out.append((s, us, d))
            continue
        for off in range(0, len(pay), chunk):
            part = pay[off:off + chunk]
            h = bytearray(hdr)
            more = off + chunk < len(pay)
            struct.pack_into(">H", h, 2, ihl + len(part))
            struct.pack_into(">H", h, 4, (n * 7 + 1) & 0xFFFF)
            struct.pack_into(">H", h, 6, (0x2000 if more else 0) | (off // 8))
            struct.pack_into(">H", h, 10, 0)
            struct.pack_into(">H", h, 10, _csum(bytes(h)))
            out.append((s, us, d[:14] + bytes(h) + part))
    return out


def noise(frames, count=40):
    """TCP and UDP packets moved to ports no parser wants (12345 / 9999):
    copies of the first TCP and UDP frames with both ports rewritten."""
    out = []
    for proto, port in ((6, 12345), (17, 9999)):
        src = next((f for f in frames if f[2][12:14] == b"\x08\x00" and f[2][23] == proto), None)
        if src is None:
            continue
        s, us, d = src
        ihl = (d[14] & 15) * 4
        b = bytearray(d)
        struct.pack_into(">HH", b, 14 + ihl, port, port)
        out += [(s, us, bytes(b))] * (count // 2)
    return out
