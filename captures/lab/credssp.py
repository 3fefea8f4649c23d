"""Lab-written MS-CSSP (CredSSP) pieces shared by winrm_server.py and credssp_client.py (lab only).

Debian ships no CredSSP client for WinRM (pywinrm's CredSSP transport needs requests-credssp, not packaged),
so the lab carries this small implementation: real TLS (Python ssl over memory BIOs, key log supported),
TSRequest version 6 with real SPNEGO/Kerberos tokens from GSS-API, pubKeyAuth as the SHA-256 binding hash
wrapped with the GSS context, and TSCredentials (TSPasswordCreds) delivered in authInfo.
"""
import hashlib

# ------------------------------------------------------------------ minimal DER
def _len(n):
    if n < 0x80:
        return bytes([n])
    b = n.to_bytes((n.bit_length() + 7) // 8, 'big')
    return bytes([0x80 | len(b)]) + b


def tlv(tag, content):
    return bytes([tag]) + _len(len(content)) + content


def seq(*items):
    return tlv(0x30, b''.join(items))


def ctx(n, content):            # [n] EXPLICIT, constructed
    return tlv(0xa0 | n, content)


def integer(v):
    b = v.to_bytes(max(1, (v.bit_length() + 8) // 8), 'big', signed=True)
    return tlv(0x02, b)


def octets(b):
    return tlv(0x04, b)


def parse(buf, off=0):
    """Returns (tag, content, next_offset)."""
    tag = buf[off]
    n = buf[off + 1]
    off += 2
    if n & 0x80:
        k = n & 0x7f
        n = int.from_bytes(buf[off:off + k], 'big')
        off += k
    return tag, buf[off:off + n], off + n


def children(content):
    out, off = [], 0
    while off < len(content):
        t, c, off = parse(content, off)
        out.append((t, c))
    return out


# ------------------------------------------------------------------ TSRequest (MS-CSSP 2.2.1)
def ts_request(version=6, nego_token=None, auth_info=None, pub_key_auth=None, error_code=None, client_nonce=None):
    parts = [ctx(0, integer(version))]
    if nego_token is not None:
        parts.append(ctx(1, seq(seq(ctx(0, octets(nego_token))))))
    if auth_info is not None:
        parts.append(ctx(2, octets(auth_info)))
    if pub_key_auth is not None:
        parts.append(ctx(3, octets(pub_key_auth)))
    if error_code is not None:
        parts.append(ctx(4, integer(error_code)))
    if client_nonce is not None:
        parts.append(ctx(5, octets(client_nonce)))
    return seq(*parts)


def parse_ts_request(der):
    t, c, _ = parse(der)
    r = {}
    for tag, val in children(c):
        n = tag & 0x1f
        _, inner, _ = parse(val)
        if n == 0:
            r['version'] = int.from_bytes(inner, 'big', signed=True)
        elif n == 1:
            first = children(inner)[0][1]           # NegoData: SEQUENCE OF SEQUENCE { [0] OCTET STRING }
            _, tok, _ = parse(children(first)[0][1])
            r['nego_token'] = tok
        elif n == 2:
            r['auth_info'] = inner
        elif n == 3:
            r['pub_key_auth'] = inner
        elif n == 4:
            r['error_code'] = int.from_bytes(inner, 'big', signed=True)
        elif n == 5:
            r['client_nonce'] = inner
    return r


def ts_credentials(domain, user, password):
    """TSCredentials{credType 1, TSPasswordCreds{domainName, userName, password}} (UTF-16LE strings)."""
    pw = seq(ctx(0, octets(domain.encode('utf-16-le'))), ctx(1, octets(user.encode('utf-16-le'))),
             ctx(2, octets(password.encode('utf-16-le'))))
    return seq(ctx(0, integer(1)), ctx(1, octets(pw)))


def parse_ts_credentials(der):
    _, c, _ = parse(der)
    kids = children(c)
    _, pw, _ = parse(kids[1][1])
    _, pwc, _ = parse(pw)
    vals = []
    for _, v in children(pwc):
        _, s, _ = parse(v)
        vals.append(s.decode('utf-16-le'))
    return tuple(vals)              # (domain, user, password)


def binding_hash(direction, nonce, subject_public_key):
    """MS-CSSP 3.1.5 (version >= 5): SHA256("CredSSP <dir> Binding Hash\\0" + nonce + SubjectPublicKey)."""
    magic = b'CredSSP Client-To-Server Binding Hash\x00' if direction == 'c2s' else \
        b'CredSSP Server-To-Client Binding Hash\x00'
    return hashlib.sha256(magic + nonce + subject_public_key).digest()


def subject_public_key(cert_der):
    """The SubjectPublicKey BIT STRING contents of an X.509 certificate (for RSA: RSAPublicKey DER)."""
    _, cert, _ = parse(cert_der)
    _, tbs, _ = parse(cert)
    kids = children(tbs)
    i = 1 if kids[0][0] == 0xa0 else 0             # skip [0] version
    spki = kids[i + 5][1]                           # serial, sigalg, issuer, validity, subject, spki
    bitstr = children(spki)[1][1]
    return bitstr[1:]                               # drop the unused-bits octet
