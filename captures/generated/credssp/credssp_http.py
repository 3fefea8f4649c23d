#!/usr/bin/python3
"""A CredSSP-over-HTTP exchange (MS-CSSP 3.1.5 as WinRM carries it,
MS-WSMV 2.2.9.1.1), client and server in one process, on loopback:

  client: Python ssl (OpenSSL) in memory BIOs + ntlm_auth's NtlmContext
          (Debian python3-ntlm-auth) for NTLM, TSRequest version 6 with a
          client nonce, pubKeyAuth, then authInfo = TSCredentials(password)
  server: http.server on 127.0.0.1:5985, the same TLS/NTLM in reverse
          (NTLMv2 verified from the known password).

Each leg is an empty POST /wsman with `Authorization: CredSSP <base64 TLS>`;
the server answers 401 `WWW-Authenticate: CredSSP <base64 TLS>` until the
credentials arrive (then 200).  Modes:
  enabled   the whole exchange, 200 at the end, then one WinRM request and
            its response sealed with the CredSSP TLS session (MS-WSMV
            2.2.9.1.1 multipart/encrypted, protocol
            application/HTTP-CredSSP-session-encrypted: a 4-byte trailer
            length, then TLS records)
  disabled  the server does not offer CredSSP: 401 with Negotiate only
  badpass   the client's password is wrong: the server answers the
            AUTHENTICATE leg with TSRequest{errorCode STATUS_LOGON_FAILURE}
            and 401

usage: credssp_http.py MODE KEYLOG   (writes the client's key log; prints
the TSRequests it sent and received as JSON lines: the expected values, and
for "enabled" the two sealed SOAP messages in clear: {"sealed": ..., "soap": ...})
"""
import base64
import hashlib
import hmac
import http.client
import http.server
import json
import os
import ssl
import struct
import sys
import threading

HERE = os.path.dirname(os.path.abspath(__file__))
CERT = os.path.join(HERE, "..", "tls", "server.pem")
KEY = os.path.join(HERE, "..", "tls", "server.key")
USER, DOMAIN, PASSWORD = "alice", "HOP", "Passw0rd!lab"


# ---- MD4 (RFC 1320): OpenSSL 3 has it only in the legacy provider, and ntlm_auth needs it
def md4(data):
    def f(x, y, z): return (x & y) | (~x & z)
    def g(x, y, z): return (x & y) | (x & z) | (y & z)
    def h(x, y, z): return x ^ y ^ z
    def rol(v, s): v &= 0xffffffff; return ((v << s) | (v >> (32 - s))) & 0xffffffff
    msg = bytearray(data) + b"\x80"
    while len(msg) % 64 != 56:
        msg += b"\0"
    msg += struct.pack("<Q", len(data) * 8)
    a, b, c, d = 0x67452301, 0xefcdab89, 0x98badcfe, 0x10325476
    for off in range(0, len(msg), 64):
        x = struct.unpack("<16I", msg[off:off + 64])
        aa, bb, cc, dd = a, b, c, d
        for i in (0, 4, 8, 12):
            a = rol(a + f(b, c, d) + x[i], 3); d = rol(d + f(a, b, c) + x[i + 1], 7)
            c = rol(c + f(d, a, b) + x[i + 2], 11); b = rol(b + f(c, d, a) + x[i + 3], 19)
        for i in (0, 1, 2, 3):
            a = rol(a + g(b, c, d) + x[i] + 0x5a827999, 3); d = rol(d + g(a, b, c) + x[i + 4] + 0x5a827999, 5)
            c = rol(c + g(d, a, b) + x[i + 8] + 0x5a827999, 9); b = rol(b + g(c, d, a) + x[i + 12] + 0x5a827999, 13)
        for i in (0, 2, 1, 3):
            a = rol(a + h(b, c, d) + x[i] + 0x6ed9eba1, 3); d = rol(d + h(a, b, c) + x[i + 8] + 0x6ed9eba1, 9)
            c = rol(c + h(d, a, b) + x[i + 4] + 0x6ed9eba1, 11); b = rol(b + h(c, d, a) + x[i + 12] + 0x6ed9eba1, 15)
        a, b, c, d = (a + aa) & 0xffffffff, (b + bb) & 0xffffffff, (c + cc) & 0xffffffff, (d + dd) & 0xffffffff
    return struct.pack("<4I", a, b, c, d)


class _MD4:
    def __init__(self, data=b""): self.d = bytes(data)
    def update(self, data): self.d += data
    def digest(self): return md4(self.d)


_new = hashlib.new
hashlib.new = lambda name, data=b"", **kw: _MD4(data) if name.lower() == "md4" else _new(name, data, **kw)

from ntlm_auth.ntlm import NtlmContext  # noqa: E402
from ntlm_auth.rc4 import ARC4  # noqa: E402
from ntlm_auth.session_security import SessionSecurity  # noqa: E402


# ---- DER (just what TSRequest / TSCredentials need)
def der(tag, content):
    n = len(content)
    if n < 0x80:
        ln = bytes([n])
    else:
        b = n.to_bytes((n.bit_length() + 7) // 8, "big")
        ln = bytes([0x80 | len(b)]) + b
    return bytes([tag]) + ln + content


def ctx(n, content): return der(0xa0 | n, content)
def seq(*items): return der(0x30, b"".join(items))
def octets(b): return der(0x04, b)


def integer(v):
    return der(0x02, v.to_bytes(4, "big", signed=True).lstrip(b"\0") or b"\0" if v >= 0 else
               v.to_bytes(4, "big", signed=True))


def ts_request(version=6, tokens=None, auth_info=None, pub_key_auth=None, error_code=None, nonce=None):
    f = [ctx(0, integer(version))]
    if tokens:
        f.append(ctx(1, seq(*[seq(ctx(0, octets(t))) for t in tokens])))
    if auth_info is not None:
        f.append(ctx(2, octets(auth_info)))
    if pub_key_auth is not None:
        f.append(ctx(3, octets(pub_key_auth)))
    if error_code is not None:
        f.append(ctx(4, integer(error_code - (1 << 32) if error_code >= 1 << 31 else error_code)))
    if nonce is not None:
        f.append(ctx(5, octets(nonce)))
    return seq(*f)


def der_read(b, off=0):
    """(tag, content, next offset)"""
    tag, n, o = b[off], b[off + 1], off + 2
    if n & 0x80:
        k = n & 0x7f
        n, o = int.from_bytes(b[o:o + k], "big"), o + k
    return tag, b[o:o + n], o + n


def ts_parse(b):
    _, body, _ = der_read(b)
    out, o = {}, 0
    while o < len(body):
        tag, val, o = der_read(body, o)
        _, inner, _ = der_read(val)
        n = tag & 0x1f
        if n == 1:
            toks, p = [], 0
            while p < len(inner):
                _, item, p = der_read(inner, p)
                _, t, _ = der_read(item)
                toks.append(der_read(t)[1])
            out["tokens"] = toks
        else:
            out[{0: "version", 2: "auth_info", 3: "pub_key_auth", 4: "error_code", 5: "nonce"}[n]] = inner
    return out


def subject_public_key(pem_path):
    """SubjectPublicKey bytes (MS-CSSP 3.1.5: the BIT STRING content without the unused-bits byte)."""
    cert = ssl.PEM_cert_to_DER_cert(open(pem_path).read())
    _, tbs_cert, _ = der_read(cert)
    _, tbs, _ = der_read(tbs_cert)
    o = 0
    fields = []
    while o < len(tbs):
        tag, val, o2 = der_read(tbs, o)
        fields.append((tag, tbs[o:o2], val))
        o = o2
    idx = 1 if fields[0][0] == 0xa0 else 0
    spki = fields[idx + 5][2]
    _, _, o = der_read(spki)          # AlgorithmIdentifier
    _, bits, _ = der_read(spki, o)    # BIT STRING
    return bits[1:]


def binding(direction, nonce, pubkey):
    magic = b"CredSSP Client-To-Server Binding Hash\0" if direction == "c2s" else b"CredSSP Server-To-Client Binding Hash\0"
    return hashlib.sha256(magic + nonce + pubkey).digest()


# ---- NTLM server side (MS-NLMP 3.2.5, NTLMv2)
def hm(k, m): return hmac.new(k, m, "md5").digest()


def challenge_message(server_challenge):
    flags = 0xe2898235  # UNICODE REQ_TARGET SIGN SEAL NTLM ALWAYS_SIGN DOMAIN ESS TARGET_INFO VERSION 128 KEY_EXCH 56
    av = b""
    for t, v in ((2, "HOP"), (1, "SRV1"), (4, "hop.test"), (3, "srv1.hop.test")):
        e = v.encode("utf-16-le")
        av += struct.pack("<HH", t, len(e)) + e
    av += struct.pack("<HH", 7, 8) + struct.pack("<Q", 133000000000000000) + struct.pack("<HH", 0, 0)
    target = "HOP".encode("utf-16-le")
    off = 56
    return (b"NTLMSSP\0" + struct.pack("<I", 2) + struct.pack("<HHI", len(target), len(target), off) +
            struct.pack("<I", flags) + server_challenge + b"\0" * 8 +
            struct.pack("<HHI", len(av), len(av), off + len(target)) + b"\x0a\x00\x63\x45\x00\x00\x00\x0f" +
            target + av)


def authenticate_check(msg, server_challenge, password):
    def fld(o):
        n, _, p = struct.unpack("<HHI", msg[o:o + 8])
        return msg[p:p + n]
    nt, user, domain, enc_key = fld(20), fld(36), fld(28), fld(52)
    flags = struct.unpack("<I", msg[60:64])[0]
    nt_hash = md4(password.encode("utf-16-le"))
    owf = hm(nt_hash, (user.decode("utf-16-le").upper() + domain.decode("utf-16-le")).encode("utf-16-le"))
    proof = hm(owf, server_challenge + nt[16:])
    if proof != nt[:16]:
        return None, flags
    kek = hm(owf, proof)
    key = ARC4(kek).update(enc_key) if flags & 0x40000000 else kek
    return key, flags



# ---- MS-WSMV 2.2.9.1.1 sealing with the CredSSP TLS session
SEALED_CT = 'multipart/encrypted;protocol="application/HTTP-CredSSP-session-encrypted";boundary="Encrypted Boundary"'
SHELL_ID = "7B1CF8A0-55C1-4E2B-9D3A-0E4F0C5B6A11"
REQUEST_ID = "uuid:5A0C1E2B-3C4D-4E5F-8A9B-0C1D2E3F4A5B"
SOAP_REQUEST = (
    '<s:Envelope xmlns:s="http://www.w3.org/2003/05/soap-envelope" '
    'xmlns:a="http://schemas.xmlsoap.org/ws/2004/08/addressing" '
    'xmlns:w="http://schemas.dmtf.org/wbem/wsman/1/wsman.xsd" '
    'xmlns:rsp="http://schemas.microsoft.com/wbem/wsman/1/windows/shell"><s:Header>'
    '<a:To>http://srv1.hop.test:5985/wsman</a:To>'
    '<w:ResourceURI s:mustUnderstand="true">http://schemas.microsoft.com/wbem/wsman/1/windows/shell/cmd</w:ResourceURI>'
    '<a:ReplyTo><a:Address s:mustUnderstand="true">http://schemas.xmlsoap.org/ws/2004/08/addressing/role/anonymous'
    '</a:Address></a:ReplyTo>'
    '<a:Action s:mustUnderstand="true">http://schemas.xmlsoap.org/ws/2004/09/transfer/Create</a:Action>'
    '<w:MaxEnvelopeSize s:mustUnderstand="true">153600</w:MaxEnvelopeSize>'
    '<a:MessageID>' + REQUEST_ID + '</a:MessageID>'
    '<w:OperationTimeout>PT20S</w:OperationTimeout></s:Header><s:Body><rsp:Shell>'
    '<rsp:InputStreams>stdin</rsp:InputStreams><rsp:OutputStreams>stdout stderr</rsp:OutputStreams>'
    '</rsp:Shell></s:Body></s:Envelope>').encode()
SOAP_RESPONSE = (
    '<s:Envelope xmlns:s="http://www.w3.org/2003/05/soap-envelope" '
    'xmlns:a="http://schemas.xmlsoap.org/ws/2004/08/addressing" '
    'xmlns:x="http://schemas.xmlsoap.org/ws/2004/09/transfer" '
    'xmlns:w="http://schemas.dmtf.org/wbem/wsman/1/wsman.xsd" '
    'xmlns:rsp="http://schemas.microsoft.com/wbem/wsman/1/windows/shell"><s:Header>'
    '<a:Action>http://schemas.xmlsoap.org/ws/2004/09/transfer/CreateResponse</a:Action>'
    '<a:MessageID>uuid:0D9E8F7A-6B5C-4D3E-2F1A-0B9C8D7E6F5A</a:MessageID>'
    '<a:To>http://schemas.xmlsoap.org/ws/2004/08/addressing/role/anonymous</a:To>'
    '<a:RelatesTo>' + REQUEST_ID + '</a:RelatesTo></s:Header><s:Body><x:ResourceCreated>'
    '<a:Address>http://srv1.hop.test:5985/wsman</a:Address><a:ReferenceParameters>'
    '<w:ResourceURI>http://schemas.microsoft.com/wbem/wsman/1/windows/shell/cmd</w:ResourceURI>'
    '<w:SelectorSet><w:Selector Name="ShellId">' + SHELL_ID + '</w:Selector></w:SelectorSet>'
    '</a:ReferenceParameters></x:ResourceCreated><rsp:Shell><rsp:ShellId>' + SHELL_ID + '</rsp:ShellId>'
    '</rsp:Shell></s:Body></s:Envelope>').encode()


def seal(tls, outb, soap):
    """The multipart/encrypted body: the SOAP written into the CredSSP TLS
    connection; the 4-byte length is the TLS overhead (MS-WSMV 2.2.9.1.3)."""
    tls.write(soap)
    rec = outb.read()
    return (b"--Encrypted Boundary\r\n\tContent-Type: application/HTTP-CredSSP-session-encrypted\r\n"
            b"\tOriginalContent: type=application/soap+xml;charset=UTF-8;Length=%d\r\n"
            b"--Encrypted Boundary\r\n\tContent-Type: application/octet-stream\r\n" % len(soap) +
            struct.pack("<I", len(rec) - len(soap)) + rec + b"--Encrypted Boundary--\r\n")


def unseal(tls, inb, body):
    start = body.index(b"application/octet-stream\r\n") + len(b"application/octet-stream\r\n") + 4
    inb.write(body[start:body.rindex(b"--Encrypted Boundary--")])
    return tls.read(1 << 20)


# ---- server
class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    mode = "enabled"

    def log_message(self, *a):
        pass

    def setup(self):
        super().setup()
        sctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        sctx.maximum_version = ssl.TLSVersion.TLSv1_2  # Windows CredSSP speaks TLS 1.2
        sctx.load_cert_chain(CERT, KEY)
        self.inb, self.outb = ssl.MemoryBIO(), ssl.MemoryBIO()
        self.tls = sctx.wrap_bio(self.inb, self.outb, server_side=True)
        self.hs_done = False
        self.chal = os.urandom(8)
        self.sec = None

    def reply(self, status, headers):
        self.send_response(status)
        for k, v in headers:
            self.send_header(k, v)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def do_POST(self):
        body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
        auth = self.headers.get("Authorization", "")
        if self.sec and self.headers.get("Content-Type", "").startswith("multipart/encrypted"):
            assert unseal(self.tls, self.inb, body) == SOAP_REQUEST
            out = seal(self.tls, self.outb, SOAP_RESPONSE)
            self.send_response(200)
            self.send_header("Content-Type", SEALED_CT)
            self.send_header("Content-Length", str(len(out)))
            self.end_headers()
            self.wfile.write(out)
            return
        if self.mode == "disabled" or not auth.startswith("CredSSP "):
            return self.reply(401, [("WWW-Authenticate", "Negotiate"), ("WWW-Authenticate", "Kerberos")])
        self.inb.write(base64.b64decode(auth[8:]))
        status = 401
        if not self.hs_done:
            try:
                self.tls.do_handshake()
                self.hs_done = True
            except ssl.SSLWantReadError:
                pass
        else:
            req = ts_parse(self.tls.read(65536))
            if "tokens" in req and req["tokens"][0][8] == 1:          # NEGOTIATE
                self.tls.write(ts_request(tokens=[challenge_message(self.chal)]))
            elif "tokens" in req:                                     # AUTHENTICATE + pubKeyAuth
                key, flags = authenticate_check(req["tokens"][0], self.chal, PASSWORD)
                if key is None:
                    self.tls.write(ts_request(error_code=0xC000006D))  # STATUS_LOGON_FAILURE
                else:
                    self.sec = SessionSecurity(flags, key, source="server")
                    pk = req["pub_key_auth"]
                    got = self.sec.unwrap(pk[16:], pk[:16])
                    assert got == binding("c2s", req["nonce"], subject_public_key(CERT))
                    data, sig = self.sec.wrap(binding("s2c", req["nonce"], subject_public_key(CERT)))
                    self.tls.write(ts_request(pub_key_auth=sig + data))
            elif "auth_info" in req:                                  # TSCredentials
                ai = req["auth_info"]
                self.sec.unwrap(ai[16:], ai[:16])
                return self.reply(200, [])
        out = self.outb.read()
        self.reply(status, [("WWW-Authenticate", "CredSSP " + base64.b64encode(out).decode())] if out else [])


# ---- client
def client(mode, keylog, port, log):
    cctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    cctx.check_hostname = False
    cctx.verify_mode = ssl.CERT_NONE
    cctx.keylog_filename = keylog
    inb, outb = ssl.MemoryBIO(), ssl.MemoryBIO()
    tls = cctx.wrap_bio(inb, outb, server_side=False, server_hostname="srv1.hop.test")
    conn = http.client.HTTPConnection("127.0.0.1", port)
    password = PASSWORD if mode != "badpass" else "wrong password"
    ntlm = NtlmContext(USER, password, DOMAIN, "CLIENT1", ntlm_compatibility=3)

    def leg(blob):
        conn.request("POST", "/wsman", body=b"", headers={
            "Authorization": "CredSSP " + base64.b64encode(blob).decode(),
            "Content-Type": "application/soap+xml;charset=UTF-8", "User-Agent": "hopsniff CredSSP test"})
        r = conn.getresponse()
        r.read()
        chal = [v for k, v in r.getheaders() if k.lower() == "www-authenticate" and v.startswith("CredSSP ")]
        if chal:
            inb.write(base64.b64decode(chal[0][8:]))
        return r.status, bool(chal)

    def send_ts(**kw):
        tls.write(ts_request(**kw))
        log.append({"dir": "client", **{k: (len(v) if isinstance(v, bytes) else v) for k, v in kw.items()
                                        if k != "tokens"}, "tokens": len(kw.get("tokens") or [])})
        st, more = leg(outb.read())
        if not more:
            return st, None
        r = ts_parse(tls.read(65536))
        log.append({"dir": "server", "tokens": len(r.get("tokens", [])), "pub_key_auth": "pub_key_auth" in r,
                    "error_code": int.from_bytes(r["error_code"], "big", signed=True) & 0xffffffff
                    if "error_code" in r else None})
        return st, r

    while True:  # TLS handshake legs
        try:
            tls.do_handshake()
            break
        except ssl.SSLWantReadError:
            st, more = leg(outb.read())
            if not more:
                return st
    nonce = os.urandom(32)
    st, r = send_ts(tokens=[ntlm.step()])
    auth = ntlm.step(r["tokens"][0])
    st, r = send_ts(tokens=[auth], pub_key_auth=ntlm.wrap(binding("c2s", nonce, subject_public_key(CERT))),
                    nonce=nonce)
    if r is None or "error_code" in r:
        return st
    ntlm.unwrap(r["pub_key_auth"])
    creds = seq(ctx(0, integer(1)), ctx(1, octets(seq(ctx(0, octets(DOMAIN.encode("utf-16-le"))),
                                                       ctx(1, octets(USER.encode("utf-16-le"))),
                                                       ctx(2, octets(password.encode("utf-16-le")))))))
    st, _ = send_ts(auth_info=ntlm.wrap(creds))
    if st == 200:
        # the first protected WinRM exchange (MS-WSMV 2.2.9.1.1)
        conn.request("POST", "/wsman", body=seal(tls, outb, SOAP_REQUEST), headers={
            "Content-Type": SEALED_CT, "User-Agent": "hopsniff CredSSP test"})
        r = conn.getresponse()
        answer = unseal(tls, inb, r.read())
        assert r.status == 200 and answer == SOAP_RESPONSE
        log.append({"sealed": "request", "soap": SOAP_REQUEST.decode()})
        log.append({"sealed": "response", "soap": answer.decode()})
    return st


def main():
    mode, keylog = sys.argv[1], sys.argv[2]
    Handler.mode = mode
    srv = http.server.HTTPServer(("127.0.0.1", 5985), Handler)
    threading.Thread(target=srv.serve_forever, daemon=True).start()
    log = []
    status = client(mode, keylog, 5985, log)
    srv.shutdown()
    for l in log:
        print(json.dumps(l))
    print(json.dumps({"final_status": status}))


if __name__ == "__main__":
    main()
