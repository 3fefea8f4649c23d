"""What the capture-input tests share: ok/FAIL lines and a pcapng reader
independent of hopsniff (the oracle side)."""
import struct

fails = 0


def check(ok, what):
    global fails
    print(("ok: " if ok else "FAIL: ") + what)
    if not ok:
        fails += 1


def read_pcapng(path):
    """[(ts_ns, linktype, orig_len, bytes)] of each Enhanced Packet Block, with its interface's if_tsresol."""
    b = open(path, "rb").read()
    at, ifaces, out = 0, [], []
    while at + 12 <= len(b):
        btype, blen = struct.unpack_from("<II", b, at)
        body = b[at + 8:at + blen - 4]
        if btype == 1:  # IDB: linktype, reserved, snaplen, options
            r, o = 10 ** 6, 8
            while o + 4 <= len(body):
                code, olen = struct.unpack_from("<HH", body, o)
                if code == 0:
                    break
                if code == 9:
                    v = body[o + 4]
                    r = 2 ** (v & 0x7f) if v & 0x80 else 10 ** v
                o += 4 + ((olen + 3) & ~3)
            ifaces.append((struct.unpack_from("<H", body, 0)[0], r))
        elif btype == 6:
            iface, hi, lo, cap, orig = struct.unpack_from("<IIIII", body, 0)
            lt, res = ifaces[iface]
            out.append((((hi << 32) | lo) * 10 ** 9 // res, lt, orig, body[20:20 + cap]))
        at += blen
    return out
