#!/usr/bin/env python3
"""tds_freetds.py - record what a real MS-SQL client (FreeTDS `tsql`) sends.

There is no SQL Server here, so this is a tiny loopback TDS *listener*
written for the test: the CLIENT side of every exchange is real FreeTDS
output; the SERVER side is hand-built by this script from MS-TDS layouts
(2.2.6.5 PRELOGIN response, 2.2.7.22 SSPI, 2.2.7.10 ERROR, 2.2.7.6 DONE)
and an MS-NLMP 2.2.1.2 CHALLENGE message.  Both are marked as such in the
output files.

Two connections:
  tds_freetds_sql.txt   SQL authentication (user alice, password never
                        printed by hopsniff) refused with error 18456
  tds_freetds_ntlm.txt  Windows authentication (HOP\\alice): LOGIN7 with an
                        NTLM NEGOTIATE, the server's SSPI CHALLENGE, the
                        client's SSPI AUTHENTICATE, then error 18456 for
                        'NT AUTHORITY\\ANONYMOUS LOGON'
With --pcap FILE, tcpdump records both on lo (port 1433) for tests/diff_carriers.py.

usage: tests/carriers/tds_freetds.py [--pcap FILE]   (needs tsql from freetds-bin)
"""
import os
import socket
import struct
import subprocess
import sys
import threading
import time

HERE = os.path.dirname(os.path.abspath(__file__))
PORT = 1433


def packet(ptype, payload, status=1):
    return struct.pack(">BBHHBB", ptype, status, 8 + len(payload), 0, 1, 0) + payload


def prelogin_response():
    # VERSION 16.0.1000.0, ENCRYPTION NOT_SUP (so the login stays in clear), INSTOPT "", THREADID, MARS 0
    opts = [(0, bytes([16, 0, 0x03, 0xe8, 0, 0])), (1, b"\x02"), (2, b"\x00"), (3, b""), (4, b"\x00")]
    head = b""
    off = 5 * len(opts) + 1
    data = b""
    for tok, v in opts:
        head += struct.pack(">BHH", tok, off + len(data), len(v))
        data += v
    return packet(4, head + b"\xff" + data)


def us_varchar(s):
    b = s.encode("utf-16-le")
    return struct.pack("<H", len(s)) + b


def b_varchar(s):
    return struct.pack("<B", len(s)) + s.encode("utf-16-le")


def error_token(number, state, cls, text, server):
    body = struct.pack("<IBB", number, state, cls) + us_varchar(text) + b_varchar(server) + b_varchar("") + struct.pack("<I", 1)
    return b"\xaa" + struct.pack("<H", len(body)) + body


def done_token(status):
    return b"\xfd" + struct.pack("<HHQ", status, 0, 0)


def ntlm_challenge():
    """MS-NLMP 2.2.1.2 CHALLENGE for domain HOP, server SRV2."""
    target = "HOP".encode("utf-16-le")
    av = b""
    for aid, val in ((2, "HOP"), (1, "SRV2"), (4, "hop.test"), (3, "srv2.hop.test")):
        v = val.encode("utf-16-le")
        av += struct.pack("<HH", aid, len(v)) + v
    av += struct.pack("<HH", 0, 0)
    flags = 0xe28a8215
    hdr_len = 56
    msg = b"NTLMSSP\x00" + struct.pack("<I", 2)
    msg += struct.pack("<HHI", len(target), len(target), hdr_len)
    msg += struct.pack("<I", flags)
    msg += bytes.fromhex("0123456789abcdef") + b"\x00" * 8
    msg += struct.pack("<HHI", len(av), len(av), hdr_len + len(target))
    msg += bytes([10, 0, 0x61, 0x4a, 0, 0, 0, 15])  # version 10.0.19041, NTLM revision 15
    return msg + target + av


def read_message(conn, log):
    """Read TDS packets up to EOM (or one TLS-less chunk); log raw chunks."""
    buf = b""
    while True:
        while len(buf) < 8 or len(buf) < struct.unpack(">H", buf[2:4])[0]:
            d = conn.recv(65536)
            if not d:
                return None
            log.append(("C", d))
            buf += d
        n = struct.unpack(">H", buf[2:4])[0]
        pkt, buf = buf[:n], buf[n:]
        if pkt[1] & 1:
            return pkt[0]


def serve(sock, script, log):
    conn, _ = sock.accept()
    with conn:
        for step in script:
            if read_message(conn, log) is None:
                return
            out = step()
            log.append(("S", out))
            conn.sendall(out)
        time.sleep(0.2)


def run(args, script, name, comment):
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", PORT))
    sock.listen(1)
    log = []
    t = threading.Thread(target=serve, args=(sock, script, log))
    t.start()
    env = dict(os.environ, TDSVER="7.4")
    subprocess.run(["tsql", "-H", "127.0.0.1", "-p", str(PORT)] + args, input=b"quit\n",
                   env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, timeout=20)
    t.join(timeout=20)
    sock.close()
    with open(os.path.join(HERE, name), "w") as f:
        f.write("# %s\n# C lines: real FreeTDS 1.3 tsql output (TDSVER=7.4); S lines: hand-built by tds_freetds.py\n" % comment)
        for side, data in log:
            f.write("%s %s\n" % (side, data.hex()))


def main():
    pcap = None
    if len(sys.argv) == 3 and sys.argv[1] == "--pcap":
        pcap = sys.argv[2]
    dump = None
    if pcap:
        dump = subprocess.Popen(["tcpdump", "-i", "lo", "-w", pcap, "-U", "tcp port %d" % PORT],
                                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        time.sleep(1)
    try:
        run(["-U", "alice", "-P", "Secret1!"],
            [prelogin_response,
             lambda: packet(4, error_token(18456, 1, 14, "Login failed for user 'alice'.", "SRV2") + done_token(0x0002))],
            "tds_freetds_sql.txt", "SQL authentication refused (error 18456)")
        run(["-U", "HOP\\alice", "-P", "Secret1!"],
            [prelogin_response,
             lambda: packet(4, b"\xed" + struct.pack("<H", len(ntlm_challenge())) + ntlm_challenge()),
             lambda: packet(4, error_token(18456, 1, 14, "Login failed for user 'NT AUTHORITY\\ANONYMOUS LOGON'.", "SRV2")
                            + done_token(0x0002))],
            "tds_freetds_ntlm.txt", "Windows (NTLM) authentication refused as ANONYMOUS LOGON (error 18456)")
    finally:
        if dump:
            time.sleep(1)
            dump.terminate()
            dump.wait()
    return 0


if __name__ == "__main__":
    sys.exit(main())
