#!/usr/bin/python3
"""An RDP NLA start with PROTOCOL_HYBRID_EX (MS-RDPBCGR 5.4.2.2), client and
server in one process over TCP 127.0.0.1:3389, because FreeRDP 2's server
never selects HYBRID_EX (README.md).

  client: X.224 Connection Request (Cookie: mstshash=alice, RDP_NEG_REQ
          SSL|HYBRID|HYBRID_EX), then Python ssl (OpenSSL, TLS 1.2, key log)
          on the socket, CredSSP TSRequest v6 with ntlm_auth's NtlmContext
          (NEGOTIATE; AUTHENTICATE + pubKeyAuth + clientNonce; authInfo)
  server: X.224 Connection Confirm (RDP_NEG_RSP HYBRID_EX), TLS, NTLMv2
          verified from the known password, pubKeyAuth, then the Early User
          Authorization Result PDU (2.2.10.2): AUTHZ_SUCCESS (mode ok) or
          AUTHZ_ACCESS_DENIED (mode denied: alice authenticates but is not
          allowed to log on).
The TSRequest / NTLM machinery is captures/generated/credssp/credssp_http.py's.

usage: hybrid_ex.py ok|denied KEYLOG  (prints the TSRequests and the result as
JSON lines: the expected values)
"""
import json
import os
import socket
import ssl
import struct
import sys
import threading

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "credssp"))
import credssp_http as c  # noqa: E402

CR = (b"Cookie: mstshash=alice\r\n" + struct.pack("<BBHI", 1, 0, 8, 0x0b))
CC = struct.pack("<BBHI", 2, 0x1f, 8, 0x08)


def tpkt_x224(code, var, src=0):
    x = struct.pack(">BBHHB", 6 + len(var), code, 0, src, 0) + var
    return struct.pack(">BBH", 3, 0, 4 + len(x)) + x


def recv_exact(s, n):
    b = b""
    while len(b) < n:
        d = s.recv(n - len(b))
        if not d:
            raise EOFError
        b += d
    return b


def recv_tpkt(s):
    h = recv_exact(s, 4)
    return h + recv_exact(s, struct.unpack(">H", h[2:])[0] - 4)


def recv_der(s):
    h = recv_exact(s, 2)
    n = h[1]
    if n & 0x80:
        k = recv_exact(s, n & 0x7f)
        h += k
        n = int.from_bytes(k, "big")
    return h + recv_exact(s, n)


def server(lsock, mode):
    conn, _ = lsock.accept()
    recv_tpkt(conn)
    conn.sendall(tpkt_x224(0xd0, CC, 0x1234))
    sctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    sctx.maximum_version = ssl.TLSVersion.TLSv1_2
    sctx.load_cert_chain(c.CERT, c.KEY)
    tls = sctx.wrap_socket(conn, server_side=True)
    chal = os.urandom(8)
    req = c.ts_parse(recv_der(tls))
    tls.sendall(c.ts_request(tokens=[c.challenge_message(chal)]))
    req = c.ts_parse(recv_der(tls))
    key, flags = c.authenticate_check(req["tokens"][0], chal, c.PASSWORD)
    sec = c.SessionSecurity(flags, key, source="server")
    pk = req["pub_key_auth"]
    assert sec.unwrap(pk[16:], pk[:16]) == c.binding("c2s", req["nonce"], c.subject_public_key(c.CERT))
    data, sig = sec.wrap(c.binding("s2c", req["nonce"], c.subject_public_key(c.CERT)))
    tls.sendall(c.ts_request(pub_key_auth=sig + data))
    req = c.ts_parse(recv_der(tls))
    ai = req["auth_info"]
    sec.unwrap(ai[16:], ai[:16])
    tls.sendall(struct.pack("<I", 0 if mode == "ok" else 5))
    tls.recv(1)  # until the client closes
    tls.close()


def client(mode, keylog, log):
    s = socket.create_connection(("127.0.0.1", 3389))
    s.sendall(tpkt_x224(0xe0, CR))
    recv_tpkt(s)
    cctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    cctx.check_hostname = False
    cctx.verify_mode = ssl.CERT_NONE
    cctx.keylog_filename = keylog
    tls = cctx.wrap_socket(s, server_hostname="srv1.hop.test")
    ntlm = c.NtlmContext(c.USER, c.PASSWORD, c.DOMAIN, "CLIENT1", ntlm_compatibility=3)
    nonce = os.urandom(32)

    def send(**kw):
        tls.sendall(c.ts_request(**kw))
        log.append({"dir": "client", "tokens": len(kw.get("tokens") or []),
                    **{k: len(v) for k, v in kw.items() if k != "tokens" and isinstance(v, bytes)}})

    def recv():
        r = c.ts_parse(recv_der(tls))
        log.append({"dir": "server", "tokens": len(r.get("tokens", [])),
                    **({"pub_key_auth": len(r["pub_key_auth"])} if "pub_key_auth" in r else {})})
        return r

    send(tokens=[ntlm.step()], nonce=nonce)
    r = recv()
    auth = ntlm.step(r["tokens"][0])
    send(tokens=[auth], pub_key_auth=ntlm.wrap(c.binding("c2s", nonce, c.subject_public_key(c.CERT))), nonce=nonce)
    r = recv()
    ntlm.unwrap(r["pub_key_auth"])
    creds = c.seq(c.ctx(0, c.integer(1)), c.ctx(1, c.octets(c.seq(
        c.ctx(0, c.octets(c.DOMAIN.encode("utf-16-le"))), c.ctx(1, c.octets(c.USER.encode("utf-16-le"))),
        c.ctx(2, c.octets(c.PASSWORD.encode("utf-16-le")))))))
    send(auth_info=ntlm.wrap(creds), nonce=nonce)
    result = struct.unpack("<I", recv_exact(tls, 4))[0]
    log.append({"authz_result": result})
    tls.close()


def main():
    mode, keylog = sys.argv[1], sys.argv[2]
    lsock = socket.socket()
    lsock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    lsock.bind(("127.0.0.1", 3389))
    lsock.listen(1)
    t = threading.Thread(target=server, args=(lsock, mode))
    t.start()
    log = []
    client(mode, keylog, log)
    t.join()
    for entry in log:
        print(json.dumps(entry))


if __name__ == "__main__":
    main()
