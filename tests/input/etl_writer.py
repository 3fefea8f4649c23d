#!/usr/bin/env python3
"""Write a Windows ETL trace (as pktmon / netsh trace do) from the packets of a
pcap or pcapng capture with Ethernet frames, for the tests of hopsniff's ETL
reader (standalone/etl.c): the same packets must give the same report.

What it exercises, per the layouts of evntrace.h / evntcons.h and MS-XCA:
- a header buffer (system-header event 0 with the TRACE_LOGFILE_HEADER, 32- or
  64-bit pointers, QPC or system-time clock), then WMI buffers per processor,
  written interleaved (each processor's in sequence, flushed in turn);
- buffers compressed with XPRESS (MS-XCA 2.3), LZNT1 (MS-XCA 2.5) or XPRESS Huffman (MS-XCA 2.1, by
  Samba's or wimlib's compressor, loaded with ctypes), or not;
- records of every header kind between the packets (system, compact,
  perfinfo, full, instance, 32-bit event header, WPP message, an event with
  extended data items), which the reader must skip;
- packets as PktMon event 160 with pktmon-style duplicates: 1-3 appearances
  per packet, only the one closest to the wire (Rx: the first, Tx: the last)
  whole, the others cut to 34 bytes; as Ethernet, native 802.11 (LLC/SNAP,
  Protected flag set as Windows logs it) or raw IP; or as NDIS-PacketCapture
  1001 fragments split over 1-3 events (some across two buffers), every other
  one as 1003 (the Hyper-V switch's: port and NIC names, destinations, OOB data);
- PktMon drops (event 170), which are not traffic.
Prints how many bytes the link layers add to the packets (802.11 and raw IP frames).
Variants: 0 XPRESS, 64-bit, QPC 10 MHz; 1 LZNT1, 32-bit, system time; 2 uncompressed, QPC 20 MHz;
3 XPRESS, CPU cycle counter; 4 XPRESS Huffman by Samba's compressor (256 KiB buffers: 4 blocks each);
5 XPRESS Huffman by wimlib's (64 KiB buffers: one block each).
usage: etl_writer.py IN.pcap[ng] OUT.etl VARIANT(0-5) [--drops N]"""
import random
import struct
import sys

from testlib import read_pcapng

PKTMON = bytes.fromhex("d9804f4dbdc8734dbb5b19c90402c5ac")
NDISCAP = bytes.fromhex("6e00d62e29470946b4233ee7bcd678ef")
OTHER = bytes(range(16))
FILETIME_UNIX = 116444736000000000


def read_capture(path):
    """[(ts_ns, bytes)] of an Ethernet pcap or pcapng with timestamps in 100 ns."""
    out = read_capture_any(path)
    for ts, _ in out:
        assert ts % 100 == 0, "the ETL keeps 100 ns: use a capture with µs timestamps"
    return out


def read_capture_any(path):
    """[(ts_ns, bytes)] of an Ethernet pcap or pcapng."""
    b = open(path, "rb").read()
    if struct.unpack_from("<I", b, 0)[0] == 0x0a0d0d0a:
        out = []
        for ts, lt, _, data in read_pcapng(path):
            assert lt == 1, "Ethernet captures only"
            out.append((ts, data))
    else:
        magic = struct.unpack_from("<I", b, 0)[0]
        assert magic in (0xa1b2c3d4, 0xa1b23c4d), "little-endian pcap"
        nano = magic == 0xa1b23c4d
        assert struct.unpack_from("<I", b, 20)[0] == 1, "Ethernet captures only"
        at, out = 24, []
        while at + 16 <= len(b):
            s, f, cap, orig = struct.unpack_from("<IIII", b, at)
            out.append((s * 10 ** 9 + (f if nano else f * 1000), b[at + 16:at + 16 + cap]))
            at += 16 + cap
    return out


# --- MS-XCA compressors (greedy, a hash of 3 bytes -> last position)

def xpress_compress(src):
    out = bytearray()
    flags, nflags, flag_at = 0, 0, 0
    half = None
    out += b"\0\0\0\0"
    last = {}
    i = 0

    def flag(bit):
        nonlocal flags, nflags, flag_at
        flags = (flags << 1) | bit
        nflags += 1
        if nflags == 32:
            struct.pack_into("<I", out, flag_at, flags)
            flag_at = len(out)
            out.extend(b"\0\0\0\0")
            flags = nflags = 0

    def nibble(v):
        nonlocal half
        if half is None:
            half = len(out)
            out.append(v)
        else:
            out[half] |= v << 4
            half = None

    while i < len(src):
        best_len, best_off = 0, 0
        if i + 3 <= len(src):
            k = src[i:i + 3]
            j = last.get(k)
            if j is not None and i - j <= 8192:
                n = 0
                while i + n < len(src) and src[j + n] == src[i + n] and n < 65535 + 3:
                    n += 1
                if n >= 3:
                    best_len, best_off = n, i - j
            last[k] = i
        if best_len:
            L = best_len - 3
            if L < 7:
                out += struct.pack("<H", ((best_off - 1) << 3) | L)
            else:
                out += struct.pack("<H", ((best_off - 1) << 3) | 7)
                L -= 7
                if L < 15:
                    nibble(L)
                else:
                    nibble(15)
                    L -= 15
                    if L < 255:
                        out.append(L)
                    else:
                        out.append(255)
                        out += struct.pack("<H", best_len - 3)
            flag(1)
            for p in range(i + 1, min(i + best_len, len(src) - 2)):
                last[src[p:p + 3]] = p
            i += best_len
        else:
            out.append(src[i])
            flag(0)
            i += 1
    # MS-XCA 2.3: the last flags word is padded with 1 bits
    flags = ((flags << (32 - nflags)) | ((1 << (32 - nflags)) - 1)) & 0xffffffff
    struct.pack_into("<I", out, flag_at, flags)
    return bytes(out)


def lznt1_compress(src):
    out = bytearray()
    for c0 in range(0, len(src), 4096):
        chunk = src[c0:c0 + 4096]
        body = bytearray()
        i, last = 0, {}
        while i < len(chunk):
            fl_at = len(body)
            body.append(0)
            fl = 0
            for bit in range(8):
                if i >= len(chunk):
                    break
                lenbits = 12
                p = i - 1
                while i > 0 and p >= 0x10:
                    lenbits -= 1
                    p >>= 1
                maxoff, maxlen = 1 << (16 - lenbits), (1 << lenbits) + 2
                n, off = 0, 0
                if i + 3 <= len(chunk):
                    k = chunk[i:i + 3]
                    j = last.get(k)
                    if j is not None and i - j <= maxoff:
                        while i + n < len(chunk) and chunk[j + n] == chunk[i + n] and n < maxlen:
                            n += 1
                        off = i - j
                    last[k] = i
                if n >= 3:
                    body += struct.pack("<H", ((off - 1) << lenbits) | (n - 3))
                    fl |= 1 << bit
                    for p2 in range(i + 1, min(i + n, len(chunk) - 2)):
                        last[chunk[p2:p2 + 3]] = p2
                    i += n
                else:
                    body.append(chunk[i])
                    i += 1
            body[fl_at] = fl
        if len(body) < len(chunk):
            out += struct.pack("<H", 0x8000 | 0x3000 | (len(body) - 1)) + body
        else:
            out += struct.pack("<H", 0x3000 | (len(chunk) - 1)) + chunk
    return bytes(out)


# --- records

# --- MS-XCA LZ77+Huffman: compressors of other projects (an independent encoder, never hopsniff's)

def _huffman_compressor(which):
    """A function bytes -> compressed bytes (None: not smaller), or None when the library is missing.
    samba: Samba's lzxpress_huffman_compress (samba-libs >= 4.18), the 64 KiB blocks of one stream as
    RtlCompressBuffer(COMPRESSION_FORMAT_XPRESS_HUFF) writes them (matches reach into earlier blocks);
    wimlib: wimlib's XPRESS compressor (libwim15), one block of at most 64 KiB."""
    import ctypes
    try:
        if which == "samba":
            lib = ctypes.CDLL("libndr-krb5pac.so.0")
            f = lib.lzxpress_huffman_compress
        else:
            lib = ctypes.CDLL("libwim.so.15")
            f = lib.wimlib_compress
    except (OSError, AttributeError):
        return None
    if which == "samba":
        f.restype = ctypes.c_ssize_t
        f.argtypes = [ctypes.c_void_p, ctypes.c_char_p, ctypes.c_size_t, ctypes.c_void_p, ctypes.c_size_t]
        mem = ctypes.create_string_buffer(1 << 20)  # struct lzxhuff_compressor_mem (< 150 KiB)

        def compress(src):
            out = ctypes.create_string_buffer(len(src) + len(src) // 8 + 270)
            n = f(mem, src, len(src), out, len(out))
            assert n > 0, "Samba's LZ77+Huffman compressor failed"
            return out.raw[:n] if n < len(src) else None
        return compress
    comp = ctypes.c_void_p()
    assert lib.wimlib_create_compressor(1, 65536, 0, ctypes.byref(comp)) == 0  # WIMLIB_COMPRESSION_TYPE_XPRESS
    f.restype = ctypes.c_size_t
    f.argtypes = [ctypes.c_char_p, ctypes.c_size_t, ctypes.c_void_p, ctypes.c_size_t, ctypes.c_void_p]

    def compress(src):
        assert len(src) <= 65536, "wimlib's XPRESS makes one block: 64 KiB at most"
        out = ctypes.create_string_buffer(len(src))
        n = f(src, len(src), out, len(out), comp)
        return out.raw[:n] if n else None
    return compress


def align8(b):
    return b + b"\0" * (-len(b) % 8)


def event_header(provider, eid, ts, payload, kw=0, ext=None, hdrtype=0x13):
    flags = 1 if ext else 0
    extb = b""
    if ext:
        for n, item in enumerate(ext):  # {Reserved1, ExtType, Linkage, DataSize} + data, 8-aligned
            link = 1 if n + 1 < len(ext) else 0
            extb += align8(struct.pack("<HHHH", 0, 5, link, len(item)) + item)
    size = 80 + len(extb) + len(payload)
    h = struct.pack("<HBBHHIIq", size, hdrtype, 0xc0, flags, 0, 0x1234, 0x5678, ts) + provider
    h += struct.pack("<HBBBBHQ", eid, 0, 0, 4, 0, 0, kw) + struct.pack("<Q", 0) + bytes(16)
    return h + extb + payload


def utf16z(text):
    return text.encode("utf-16-le") + b"\0\0"


def vmswitch_payload(n, fragment, ptr):
    """NDIS-PacketCapture 1003 (EventVMSwitchPacketFragment), as the manifest lays it out: MiniportIfIndex,
    LowerIfIndex, SourcePortId (u32), SourcePortName, SourceNicName, SourceNicType (NUL-terminated UTF-16),
    DestinationCount (u32), each destination {PortId u32, PortName, NicName, NicType}, FragmentSize (u32),
    Fragment, OOBDataSize (u32), OOBData (the NET_BUFFER_LIST info array: 12 pointer-sized values)."""
    b = struct.pack("<III", 7, 8, 3 + n % 4) + utf16z(f"A1B2C3D4-port-{n % 4}") + utf16z("Network Adapter") + \
        utf16z("Emulated" if n % 2 else "Synthetic")
    dests = n % 3  # 0-2 destinations
    b += struct.pack("<I", dests)
    for d in range(dests):
        b += struct.pack("<I", 20 + d) + utf16z(f"E5F6-port-{d}") + utf16z(f"vm{d} nic") + utf16z("Synthetic")
    oob = bytes(range(12 * ptr))
    return b + struct.pack("<I", len(fragment)) + fragment + struct.pack("<I", len(oob)) + oob


def filler(kind, ts):
    """A record of another header kind, which the reader skips."""
    data = b"hopsniff-filler!"
    if kind == "system":
        return struct.pack("<HBBHHIIqII", 2, 2, 0xc0, 32 + len(data), 0x010a, 1, 2, ts, 0, 0) + data
    if kind == "compact":
        return struct.pack("<HBBHHIIq", 2, 4, 0xc0, 24 + len(data), 0x010a, 1, 2, ts) + data
    if kind == "perfinfo":
        return struct.pack("<HBBHHq", 2, 17, 0xc0, 16 + len(data), 0x0f2e, ts) + data
    if kind == "full":
        return struct.pack("<HBBIIIq", 48 + len(data), 20, 0xc0, 0, 1, 2, ts) + OTHER + bytes(8) + data
    if kind == "instance":
        return struct.pack("<HBBIIIqQIIQQ", 56 + len(data), 21, 0xc0, 0, 1, 2, ts, 0, 0, 0, 0, 0) + data
    if kind == "event32":
        return event_header(OTHER, 7, ts, data, hdrtype=0x12)
    if kind == "wpp":
        return struct.pack("<HBBHH", 8 + len(data), 0, 0x90, 1, 2) + data
    if kind == "extended":
        return event_header(OTHER, 8, ts, data, ext=[b"\x11" * 5, b"\x22" * 12])
    raise ValueError(kind)


FILLERS = ["system", "compact", "perfinfo", "full", "instance", "event32", "wpp", "extended"]


def to_80211(eth):
    """An Ethernet II frame as a native 802.11 data frame to the DS (LLC/SNAP),
    with the Protected flag set as Windows logs decrypted frames."""
    dst, src, et = eth[0:6], eth[6:12], eth[12:14]
    hdr = struct.pack("<BB", 0x08, 0x41) + b"\0\0" + b"\x02\xaa\xbb\xcc\xdd\xee" + src + dst + b"\0\0"
    return hdr + b"\xaa\xaa\x03\x00\x00\x00" + et + eth[14:]


def unprotected(frame):
    """An 802.11 frame of to_80211 as hopsniff reads it: the Protected flag cleared (decrypted)."""
    return frame[:1] + bytes([frame[1] & ~0x40]) + frame[2:]


def pktmon_payload(group, number, appearance, direction, ptype, comp, data, orig, drop=False):
    return struct.pack("<QHHHHHHHIIHH", group, number, appearance, direction, ptype, comp, 1, 0,
                       1204 if drop else 0, 0xe0004500 if drop else 0, orig, len(data)) + data


def write(packets, out, variant, drops=0, nproc=4, buffer_size=16384, style="test", appearances=None, compress=True):
    """style "test": the mix above (the tests' traces); "pktmon": the same, with every copy of a packet whole
    (as `pktmon start --capture --pkt-size 0` logs them); "netsh": every packet as one NDIS-PacketCapture
    1001 event, Ethernet, whole, no copies (as `netsh trace start capture=yes` on a host without Hyper-V).
    appearances: a list to which each packet event is added as (ts_ns, linktype, bytes as hopsniff reads
    them): what `pktmon etl2pcap` writes, one frame per appearance (bench/make_etl.py).  compress=False: no
    buffer compressed, whatever the variant."""
    assert style in ("test", "pktmon", "netsh")
    rnd = random.Random(1000 + variant)
    ptr = 4 if variant == 1 else 8
    clock = {1: 2, 3: 3}.get(variant, 1)  # QPC, system time, CPU cycles (at CpuSpeedInMHz 2400)
    freq = 20000000 if variant == 2 else 10000000
    compression = {0: 3, 1: 2, 2: 0, 3: 3, 4: 4, 5: 4}[variant] if compress else 0  # XPRESS, LZNT1, none, XPRESS Huffman
    huffman = None
    if compression == 4:
        huffman = _huffman_compressor("samba" if variant == 4 else "wimlib")
        if huffman is None:
            sys.exit(f"etl_writer: variant {variant} needs " +
                     ("Samba's LZ77+Huffman compressor (samba-libs >= 4.18)" if variant == 4 else "wimlib (libwim15)"))
        # Samba's: blocks of 64 KiB in 256 KiB buffers of two processors; wimlib's: one block per buffer
        buffer_size = 262144 if variant == 4 else 65536
        nproc = 2 if variant == 4 else nproc
    start_unix = packets[0][0] - 10 ** 9 if packets else 0
    start_ft = start_unix // 100 + FILETIME_UNIX
    qpc0 = 123456789

    def clk(ts_ns):
        ft = ts_ns // 100 + FILETIME_UNIX
        if clock == 2:
            return ft
        if clock == 3:
            return qpc0 + (ft - start_ft) * 2400 // 10
        return qpc0 + (ft - start_ft) * freq // 10 ** 7

    # events per processor, in time order within each
    per = [[] for _ in range(nproc)]
    link_delta = 0  # bytes the link layers add: 802.11 + LLC/SNAP instead of Ethernet, raw IP
    by_ts = {}
    group = 1000
    fill_i = 0
    for n, (ts, eth) in enumerate(packets):
        cpu = by_ts.setdefault(ts, rnd.randrange(nproc))  # equal times stay on one processor, in order
        q = per[cpu]
        mode = n % 5
        if style == "netsh":
            t = clk(ts)
            q.append((t, event_header(NDISCAP, 1001, t, struct.pack("<III", 8, 8, len(eth)) + eth,
                                      kw=1 | 0x200000000 | 0xc0000000)))
            if appearances is not None:
                appearances.append((ts, 1, eth))
            if n % 7 == 0:
                q.append((clk(ts), filler(FILLERS[fill_i % len(FILLERS)], clk(ts))))
                fill_i += 1
            continue
        if mode == 4:  # NDIS-PacketCapture 1001 (1003 for every other one: the Hyper-V switch), in 1-3 fragments
            vmswitch = n % 10 == 9
            # every other plain 1001 from a Wi-Fi adapter: native 802.11, Protected set (decrypted, as logged)
            wifi = n % 20 == 4
            frame = to_80211(eth) if wifi else eth
            link_delta += len(frame) - len(eth)
            cuts = sorted(rnd.sample(range(1, len(frame)), min(len(frame) - 1, rnd.randrange(0, 3))))
            pieces = [frame[a:b] for a, b in zip([0] + cuts, cuts + [len(frame)])]
            tx = n % 20 == 19
            direction = 0x100000000 if tx else 0x200000000  # KW_SEND, KW_RECEIVE
            # a Hyper-V host logs the packet three times, 1 µs apart: at the physical adapter (1001,
            # interface 7), at the switch (1003, in fragments) and at the host's virtual adapter (1001,
            # interface 9); on receive in that order, on send the other way round.  The physical
            # adapter's copy, the one closest to the wire, has the capture's time.
            tick = 10 * (1 if clock == 2 else freq // 10 ** 7)
            places = ([7, 1003, 9] if not tx else [9, 1003, 7]) if vmswitch else [8]
            wire = places.index(7) if vmswitch else 0
            for k, place in enumerate(places):
                t = clk(ts) + (k - wire) * tick
                if appearances is not None:
                    appearances.append((ts + (k - wire) * 1000, 105 if wifi and place == 8 else 1,
                                        unprotected(frame) if wifi and place == 8 else eth))
                if place in (7, 9):
                    q.append((t, event_header(NDISCAP, 1001, t, struct.pack("<III", place, place, len(eth)) + eth,
                                              kw=1 | direction | 0xc0000000)))
                    continue
                for j, piece in enumerate(pieces):
                    kw = 1 | direction | (0x40000000 if j == 0 else 0) | (0x80000000 if j == len(pieces) - 1 else 0)
                    if place == 1003:
                        q.append((t, event_header(NDISCAP, 1003, t, vmswitch_payload(n, piece, ptr), kw=kw | 0x1000000)))
                    else:
                        q.append((t, event_header(NDISCAP, 1001, t, struct.pack("<III", 7, 8, len(piece)) + piece,
                                                  kw=kw | (0x10000 if wifi else 0))))
        else:
            ptype, data = [(1, eth), (2, to_80211(eth)), (3, eth[14:]), (1, eth)][mode]
            link_delta += len(data) - len(eth)
            group += 1
            copies = 1 + n % 3
            tx = n % 2 == 0
            wire = copies if tx else 1
            for a in range(1, copies + 1):
                full = a == wire or style == "pktmon"
                d = data if full else data[:34]
                if appearances is not None:
                    appearances.append((ts + (a - wire) * 100, [1, 105, 101, 1][mode],
                                        unprotected(d) if ptype == 2 else d))
                # the copies are logged a few 100 ns around the wire's
                t = clk(ts) + (a - wire) * (1 if clock == 2 else freq // 10 ** 7)
                q.append((t, event_header(PKTMON, 160, t, pktmon_payload(group, 1, a, 4 if tx else 3, ptype, 10 + a, d,
                                                                         len(data)))))
        if n % 7 == 0:
            q.append((clk(ts), filler(FILLERS[fill_i % len(FILLERS)], clk(ts))))
            fill_i += 1
    for k in range(drops):
        ts, eth = packets[(k * 7919) % len(packets)]
        per[k % nproc].append((clk(ts), event_header(PKTMON, 170, clk(ts), pktmon_payload(
            9000 + k, 1, 0, 3, 1, 101, eth[:40], len(eth), drop=True))))

    # pack each processor's records into buffers
    bufs = []  # (last event time, cpu, payload)
    for cpu, recs in enumerate(per):
        cur, last = b"", 0
        recs.sort(key=lambda tr: tr[0])  # each processor logs in time order (stable: fragments stay in order)
        for t, r in recs:
            r = align8(r)
            assert 72 + len(r) <= buffer_size, "record larger than a buffer"
            if 72 + len(cur) + len(r) > buffer_size:
                bufs.append((last, cpu, cur))
                cur = b""
            cur += r
            last = t
        if cur:
            bufs.append((last, cpu, cur))
    # ETW writes a buffer when it is full: in the order the buffers filled,
    # give or take (neighbours of different processors swapped at random)
    bufs.sort(key=lambda b: b[0])
    for i in range(len(bufs) - 1):
        if bufs[i][1] != bufs[i + 1][1] and rnd.random() < 0.5:
            bufs[i], bufs[i + 1] = bufs[i + 1], bufs[i]
    order = [(cpu, payload) for _, cpu, payload in bufs]

    def wmi(size, saved, seq, cpu, state, flag, btype, ts):
        return struct.pack("<IIIiqq", size, saved, 0, 0, ts, seq) + bytes(8) + \
            struct.pack("<BBHIIHH", cpu, 0, 0, state, saved, flag, btype) + bytes(16)

    # header buffer: the system-header event 0 and the TRACE_LOGFILE_HEADER
    lh = struct.pack("<IIIIqIIIIIIII", buffer_size, 0x0002000a, 19041, nproc, 0, 156250, 512,
                     0x04010001 if compression else 0x00010001, len(order), 1, ptr, 0, 2400)
    lh += bytes(2 * ptr) + bytes(172)
    lh = align8(lh)
    lh += struct.pack("<qqqII", start_ft - 10 ** 9, freq, start_ft, clock, 0)
    hdr_rec = struct.pack("<HBBHHIIqII", 2, 2 if ptr == 8 else 1, 0xc0, 32 + len(lh), 0, 1, 2,
                          clk(start_unix), 0, 0) + lh
    hdr_payload = align8(hdr_rec)
    f = open(out, "wb")
    head_size = 1024
    f.write(wmi(head_size, 72 + len(hdr_payload), 0, 0, compression, 1, 4, 0) + hdr_payload +
            b"\xff" * (head_size - 72 - len(hdr_payload)))
    for seq, (cpu, payload) in enumerate(order, 1):
        saved = 72 + len(payload)
        comp = compression and seq % 4 != 0  # every fourth buffer stays uncompressed
        c = None
        if comp:
            c = huffman(payload) if huffman else xpress_compress(payload) if compression == 3 else lznt1_compress(payload)
        if c is not None:
            f.write(wmi(72 + len(c), saved, seq, cpu, 3, 0x60, 0, 0) + c)
        else:
            f.write(wmi(buffer_size, saved, seq, cpu, 3, 0x20, 0, 0) + payload + b"\xff" * (buffer_size - saved))
    f.close()
    return link_delta


if __name__ == "__main__":
    args = sys.argv[1:]
    drops = 0
    if "--drops" in args:
        i = args.index("--drops")
        drops = int(args[i + 1])
        del args[i:i + 2]
    print(write(read_capture(args[0]), args[1], int(args[2]), drops))
