#!/usr/bin/env python3
"""Build captures/synthetic/krb5_delegation.pcap: Kerberos PDUs that the
public captures lack (S4U2Self, S4U2Proxy/RBCD, KRB-ERROR with KERB-EXT-ERROR
NTSTATUS, METHOD-DATA, FAST, KRB-CRED/SAFE/PRIV), encoded by hand from the
ASN.1 of RFC 4120, MS-SFU 2.2.1/2.2.2, MS-KILE 2.2.1/2.2.2/2.2.10 and
RFC 6113.  Cipher texts are random-looking filler: nothing here is secret.

The values are not taken from hopsniff: tshark decodes this file and the
differential test (tests/diff_kerberos.py) compares both.  Deterministic:
rerunning gives the same bytes.  Usage: gen_krb5_synth.py OUT.pcap
"""
import struct
import sys


def tlv(tag, body):
    n = len(body)
    if n < 0x80:
        ln = bytes([n])
    elif n < 0x100:
        ln = bytes([0x81, n])
    elif n < 0x10000:
        ln = bytes([0x82, n >> 8, n & 0xFF])
    else:
        ln = bytes([0x83, n >> 16, (n >> 8) & 0xFF, n & 0xFF])
    return bytes([tag]) + ln + body


def seq(*items):
    return tlv(0x30, b"".join(items))


def ctx(n, body):
    return tlv(0xA0 | n, body)


def app(n, body):
    return tlv(0x60 | n, body)


def integer(v):
    if v == 0:
        return tlv(0x02, b"\x00")
    b = v.to_bytes((v.bit_length() + 8) // 8, "big", signed=True)
    while len(b) > 1 and ((b[0] == 0 and b[1] < 0x80) or (b[0] == 0xFF and b[1] >= 0x80)):
        b = b[1:]
    return tlv(0x02, b)


def gstr(s):
    return tlv(0x1B, s.encode())


def octets(b):
    return tlv(0x04, b)


def gtime(s):
    return tlv(0x18, s.encode())


def boolean(v):
    return tlv(0x01, b"\xff" if v else b"\x00")


def bits32(v):
    return tlv(0x03, b"\x00" + struct.pack(">I", v))


def filler(n, seed):
    out = bytearray()
    x = seed
    for _ in range(n):
        x = (x * 1103515245 + 12345) & 0x7FFFFFFF
        out.append((x >> 16) & 0xFF)
    return bytes(out)


def pname(ntype, *comps):
    return seq(ctx(0, integer(ntype)), ctx(1, seq(*[gstr(c) for c in comps])))


def encdata(etype, kvno, n, seed):
    items = [ctx(0, integer(etype))]
    if kvno is not None:
        items.append(ctx(1, integer(kvno)))
    items.append(ctx(2, octets(filler(n, seed))))
    return seq(*items)


def checksum(ctype, n, seed):
    return seq(ctx(0, integer(ctype)), ctx(1, octets(filler(n, seed))))


def ticket(realm, sname, etype, kvno, seed):
    return app(1, seq(ctx(0, integer(5)), ctx(1, gstr(realm)), ctx(2, sname),
                      ctx(3, encdata(etype, kvno, 120, seed))))


def ap_req(options, tkt, seed):
    return app(14, seq(ctx(0, integer(5)), ctx(1, integer(14)), ctx(2, bits32(options)),
                       ctx(3, tkt), ctx(4, encdata(18, None, 90, seed))))


def padata(ptype, value):
    return seq(ctx(1, integer(ptype)), ctx(2, octets(value)))


REALM = "HOP.TEST"
TGT_SRV1 = ticket(REALM, pname(2, "krbtgt", REALM), 18, 2, 1)


def req_body(options, cname, sname, nonce, etypes, addl=None, addrs=None):
    items = [ctx(0, bits32(options))]
    if cname is not None:
        items.append(ctx(1, cname))
    items.append(ctx(2, gstr(REALM)))
    if sname is not None:
        items.append(ctx(3, sname))
    items.append(ctx(5, gtime("20370913024805Z")))
    items.append(ctx(7, integer(nonce)))
    items.append(ctx(8, seq(*[integer(e) for e in etypes])))
    if addrs:
        items.append(ctx(9, seq(*[seq(ctx(0, integer(t)), ctx(1, octets(a))) for t, a in addrs])))
    if addl:
        items.append(ctx(11, seq(*addl)))
    return seq(*items)


def kdc_req(mtype, pas, body):
    items = [ctx(1, integer(5)), ctx(2, integer(mtype))]
    if pas:
        items.append(ctx(3, seq(*pas)))
    items.append(ctx(4, body))
    return app(mtype, seq(*items))


def krb_error(code, sname, e_text=None, e_data=None, cname=None):
    items = [ctx(0, integer(5)), ctx(1, integer(30)), ctx(4, gtime("20240501101112Z")),
             ctx(5, integer(123456)), ctx(6, integer(code))]
    if cname is not None:
        items += [ctx(7, gstr(REALM)), ctx(8, cname)]
    items += [ctx(9, gstr(REALM)), ctx(10, sname)]
    if e_text is not None:
        items.append(ctx(11, gstr(e_text)))
    if e_data is not None:
        items.append(ctx(12, octets(e_data)))
    return app(30, seq(*items))


# KDC options (RFC 4120 s5.4.1, bit 0 = MSB)
FORWARDABLE, RENEWABLE, CNAME_IN_ADDL, CANON, RENEW_OK = 0x40000000, 0x00800000, 0x00020000, 0x00010000, 0x10

PA_PAC_REQ = padata(128, seq(ctx(0, boolean(True))))


def pdus():
    out = []
    srv1 = pname(1, "SRV1$")
    # 1. S4U2Self: server1 asks a ticket to itself for alice (MS-SFU 3.1.5.1.1)
    for_user = seq(ctx(0, pname(10, "alice@hop.test")), ctx(1, gstr(REALM)),
                   ctx(2, checksum(-138, 16, 7)), ctx(3, gstr("Kerberos")))
    x509 = seq(ctx(0, seq(ctx(0, integer(0x1234567)), ctx(1, pname(10, "alice@hop.test")),
                          ctx(2, gstr(REALM)), ctx(4, bits32(0x20000000)))),
               ctx(1, checksum(16, 12, 8)))
    out.append(("udp", 0, kdc_req(12, [padata(1, ap_req(0, TGT_SRV1, 3)), padata(129, for_user),
                                      padata(130, x509), padata(167, seq(ctx(0, bits32(0x40000000)))),
                                      PA_PAC_REQ],
                                  req_body(FORWARDABLE | RENEWABLE | CANON, None, srv1, 11, [18, 17, 23]))))
    # 2. S4U2Proxy (RBCD): cname-in-addl-tkt + the S4U2Self ticket
    evidence = ticket(REALM, pname(1, "SRV1$"), 18, 3, 4)
    out.append(("udp", 0, kdc_req(12, [padata(1, ap_req(0, TGT_SRV1, 5)),
                                      padata(167, seq(ctx(0, bits32(0x10000000)))),
                                      padata(165, struct.pack("<I", 0x1C))],
                                  req_body(FORWARDABLE | RENEWABLE | CNAME_IN_ADDL | CANON, None,
                                           pname(2, "cifs", "srv2.hop.test"), 12, [18, 17, 23],
                                           addl=[evidence]))))
    # 3. ... refused: KDC_ERR_BADOPTION + KERB-ERROR-DATA { 3, KERB-EXT-ERROR }
    ext = struct.pack("<III", 0xC0000272, 0, 1)
    out.append(("udp", 1, krb_error(13, pname(2, "cifs", "srv2.hop.test"),
                                     e_data=seq(ctx(1, integer(3)), ctx(2, octets(ext))))))
    # 4. KDC_ERR_BADOPTION, RBCD refused: STATUS_NOT_FOUND
    ext = struct.pack("<III", 0xC0000225, 0, 1)
    out.append(("udp", 1, krb_error(13, pname(2, "cifs", "srv2.hop.test"),
                                     e_data=seq(ctx(1, integer(3)), ctx(2, octets(ext))))))
    # 5. AS-REQ without pre-auth, and the KDC's PREAUTH_REQUIRED METHOD-DATA
    alice = pname(1, "alice")
    out.append(("udp", 0, kdc_req(10, [PA_PAC_REQ],
                                  req_body(FORWARDABLE | RENEWABLE | CANON | RENEW_OK, alice,
                                           pname(2, "krbtgt", REALM), 13, [18, 17, 23, 24, -135, 3],
                                           addrs=[(20, b"CLIENT1         ")]))))
    info2 = seq(seq(ctx(0, integer(18)), ctx(1, gstr("HOP.TESTalice"))), seq(ctx(0, integer(23))))
    md = seq(padata(19, info2), padata(2, b""), padata(16, b""), padata(15, b""),
             padata(136, b""), padata(133, b"cookie-0001"))
    out.append(("udp", 1, krb_error(25, pname(2, "krbtgt", REALM), e_data=md, cname=alice)))
    # 6. AS-REQ with PA-ENC-TIMESTAMP, then PREAUTH_FAILED the Samba way (PA-PW-SALT NTSTATUS)
    out.append(("udp", 0, kdc_req(10, [padata(2, encdata(18, None, 56, 9)), PA_PAC_REQ],
                                  req_body(FORWARDABLE | RENEWABLE | CANON | RENEW_OK, alice,
                                           pname(2, "krbtgt", REALM), 14, [18, 17, 23]))))
    md = seq(padata(3, struct.pack("<III", 0xC000006A, 0, 1)), padata(19, info2))
    out.append(("udp", 1, krb_error(24, pname(2, "krbtgt", REALM), e_data=md, cname=alice)))
    # 7. FAST-armored TGS-REQ (RFC 6113): armor = AP-REQ with the machine TGT
    armored = ctx(0, seq(ctx(0, seq(ctx(0, integer(1)), ctx(1, octets(ap_req(0, TGT_SRV1, 10))))),
                         ctx(1, checksum(16, 12, 11)), ctx(2, encdata(18, None, 200, 12))))
    out.append(("udp", 0, kdc_req(12, [padata(1, ap_req(0, TGT_SRV1, 13)), padata(136, armored)],
                                  req_body(FORWARDABLE | RENEWABLE | CANON, None,
                                           pname(2, "HTTP", "srv1.hop.test"), 15, [18]))))
    # 8. KDC_ERR_S_PRINCIPAL_UNKNOWN with e-text
    out.append(("udp", 1, krb_error(7, pname(2, "cifs", "10.0.0.12"), e_text="SPN not found")))
    # TCP: several PDUs per segment and one PDU over two segments
    tgs = kdc_req(12, [padata(1, ap_req(0, TGT_SRV1, 14)), padata(128, seq(ctx(0, boolean(False))))],
                  req_body(FORWARDABLE | RENEWABLE | CANON, None, pname(2, "ldap", "dc1.hop.test"),
                           16, [18, 17]))
    cred = app(22, seq(ctx(0, integer(5)), ctx(1, integer(22)),
                       ctx(2, seq(ticket(REALM, pname(2, "krbtgt", REALM), 18, 2, 17))),
                       ctx(3, encdata(0, None, 64, 18))))
    safe = app(20, seq(ctx(0, integer(5)), ctx(1, integer(20)),
                       ctx(2, seq(ctx(0, octets(b"hello")), ctx(3, integer(7)),
                                  ctx(4, seq(ctx(0, integer(2)), ctx(1, octets(b"\x0a\x00\x00\x14")))))),
                       ctx(3, checksum(16, 12, 19))))
    priv = app(21, seq(ctx(0, integer(5)), ctx(1, integer(21)), ctx(3, encdata(18, 1, 48, 20))))
    rec = lambda p: struct.pack(">I", len(p)) + p
    out.append(("tcp", 0, rec(tgs) + rec(cred)))
    both = rec(safe) + rec(priv)
    out.append(("tcp", 0, both[:30]))
    out.append(("tcp", 0, both[30:]))
    return out


def ip4(a):
    return bytes(int(x) for x in a.split("."))


def csum(b):
    if len(b) % 2:
        b += b"\0"
    s = sum(struct.unpack("!%dH" % (len(b) // 2), b))
    while s >> 16:
        s = (s & 0xFFFF) + (s >> 16)
    return ~s & 0xFFFF


def ipv4(src, dst, proto, payload, ident):
    hdr = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + len(payload), ident, 0, 64, proto, 0, ip4(src), ip4(dst))
    hdr = hdr[:10] + struct.pack("!H", csum(hdr)) + hdr[12:]
    return hdr + payload


def main():
    out = open(sys.argv[1], "wb")
    out.write(struct.pack("<IHHiIII", 0xA1B2C3D4, 2, 4, 0, 0, 65535, 1))
    cli, kdc = "10.0.0.11", "10.0.0.10"
    t = 1714558271
    n = [0]

    def frame(src, dst, proto, l4):
        n[0] += 1
        eth = b"\x02\x00\x00\x00\x00\x02" + b"\x02\x00\x00\x00\x00\x01" + b"\x08\x00"
        pkt = eth + ipv4(src, dst, proto, l4, n[0])
        out.write(struct.pack("<IIII", t + n[0], 0, len(pkt), len(pkt)))
        out.write(pkt)

    def udp(src, sport, dst, dport, data):
        frame(src, dst, 17, struct.pack("!HHHH", sport, dport, 8 + len(data), 0) + data)

    seqs = {0: 1000, 1: 5000}

    def tcp(d, flags, data=b""):
        src, dst, sp, dp = (cli, kdc, 50000, 88) if d == 0 else (kdc, cli, 88, 50000)
        hdr = struct.pack("!HHIIBBHHH", sp, dp, seqs[d], seqs[1 - d], 0x50, flags, 65535, 0, 0)
        frame(src, dst, 6, hdr + data)
        seqs[d] += len(data) + (1 if flags & 0x03 else 0)

    sport = 40000
    handshake = False
    for kind, direction, data in pdus():
        if kind == "udp":
            if direction == 0:
                sport += 1
                udp(cli, sport, kdc, 88, data)
            else:
                udp(kdc, 88, cli, sport, data)
        else:
            if not handshake:
                tcp(0, 0x02)
                tcp(1, 0x12)
                tcp(0, 0x10)
                handshake = True
            tcp(direction, 0x18, data)
    tcp(0, 0x11)
    tcp(1, 0x11)
    tcp(0, 0x10)


if __name__ == "__main__":
    main()
