#!/usr/bin/env python3
"""Seed corpora for fuzz_keytab and fuzz_krb5_dec (run from the repository root).

fuzz_keytab: the keytabs of lab scenario 05 as they are, and a hand-built
0x0501 file.  fuzz_krb5_dec (first byte = mode): mode 0, every Kerberos PDU
on port 88 of scenario 05 (tshark's reassembled TCP payload without the
4-byte record mark) - the fuzzer's key set is that scenario's keys, so these
decrypt; mode 1, every GSS token in an HTTP Negotiate header of the same
scenario; modes 2-4, small DER plain texts built here (EncTicketPart,
Authenticator with an RFC 4121 GSS checksum carrying a KRB-CRED,
EncTGSRepPart)."""
import base64
import glob
import os
import shutil
import struct
import subprocess
import sys

# the DER builders of the synthetic Kerberos capture (tests/gen_krb5_synth.py)
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "tests"))
from gen_krb5_synth import app, bits32, ctx, gstr, gtime, integer, octets, pname, seq  # noqa: E402

SC = "captures/lab/scenarios/05-unconstrained"
OUT = "fuzz/corpus"


def name(*comps):
    return pname(1, *comps)


def key(etype, n):
    return seq(ctx(0, integer(etype)), ctx(1, octets(bytes(range(n)))))


def write(d, n, data):
    with open(os.path.join(OUT, d, n), "wb") as f:
        f.write(data)


def main():
    for k in glob.glob(os.path.join(SC, "*.keytab")):
        shutil.copy(k, os.path.join(OUT, "keytab", os.path.basename(k)))
    rec = struct.pack("=H", 2) + struct.pack("=H", 1) + b"R" + struct.pack("=H", 3) + b"bob"
    rec += struct.pack("=I", 1600000000) + b"\x09" + struct.pack("=HH", 23, 16) + b"\x11" * 16
    write("keytab", "v1_built", b"\x05\x01" + struct.pack("=i", len(rec)) + rec)

    n = 0
    for pcap in ("dc.pcapng", "srv1.pcapng"):
        out = subprocess.run(["tshark", "-r", os.path.join(SC, pcap), "-Y", "kerberos && tcp.port == 88",
                              "-T", "fields", "-e", "tcp.reassembled.data", "-e", "tcp.payload"],
                             capture_output=True, text=True, check=True).stdout
        for line in out.splitlines():
            parts = [p for p in line.split("\t") if p]
            if not parts:
                continue
            raw = bytes.fromhex(parts[0].replace(":", ""))
            if len(raw) > 4:
                write("krb5_dec", "pdu_%s_%02d" % (pcap.split(".")[0], n), b"\x00" + raw[4:])
                n += 1
    out = subprocess.run(["tshark", "-r", os.path.join(SC, "srv1.pcapng"), "-Y", "http.authorization",
                          "-T", "fields", "-e", "http.authorization"], capture_output=True, text=True,
                         check=True).stdout
    for i, line in enumerate(sorted(set(out.splitlines()))[:4]):
        if line.startswith("Negotiate "):
            write("krb5_dec", "gss_%02d" % i, b"\x01" + base64.b64decode(line.split()[1]))

    etp = app(3, seq(ctx(0, bits32(0x40ac0000)), ctx(1, key(18, 32)), ctx(2, gstr("HOP.TEST")),
                     ctx(3, name("alice")), ctx(4, seq(ctx(0, integer(1)), ctx(1, octets(b"")))),
                     ctx(5, gtime("20261122050238Z")), ctx(7, gtime("20261122150238Z"))))
    write("krb5_dec", "plain_ticket", b"\x02" + etp)
    tkt = app(1, seq(ctx(0, integer(5)), ctx(1, gstr("HOP.TEST")), ctx(2, name("krbtgt", "HOP.TEST")),
                     ctx(3, seq(ctx(0, integer(18)), ctx(1, integer(1)), ctx(2, octets(b"\x00" * 64))))))
    cred = app(22, seq(ctx(0, integer(5)), ctx(1, integer(22)), ctx(2, seq(tkt)),
                       ctx(3, seq(ctx(0, integer(18)), ctx(2, octets(b"\x00" * 80))))))
    gss = struct.pack("<I", 16) + b"\x00" * 16 + struct.pack("<I", 0x3b) + struct.pack("<HH", 1, len(cred)) + cred
    auth = app(2, seq(ctx(0, integer(5)), ctx(1, gstr("HOP.TEST")), ctx(2, name("alice")),
                      ctx(3, seq(ctx(0, integer(0x8003)), ctx(1, octets(gss)))), ctx(4, integer(5)),
                      ctx(5, gtime("20261122050239Z")), ctx(6, key(18, 32))))
    write("krb5_dec", "plain_authenticator", b"\x03" + auth)
    rep = app(26, seq(ctx(0, key(17, 16)), ctx(1, seq(seq(ctx(0, integer(0)), ctx(1, gtime("20261122050238Z"))))),
                      ctx(2, integer(12345)), ctx(4, bits32(0x40a80000)), ctx(5, gtime("20261122050238Z")),
                      ctx(7, gtime("20261122150238Z")), ctx(9, gstr("HOP.TEST")), ctx(10, name("cifs", "srv2"))))
    write("krb5_dec", "plain_tgs_rep", b"\x04" + rep)


if __name__ == "__main__":
    main()
