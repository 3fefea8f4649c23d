"""Lab-only WinRM message encryption (MS-WSMV 2.2.9.1), shared by the lab endpoint and the lab client.

Sealing is GSS-API through python3-gssapi (gss_wrap / gss_unwrap), laid out as Windows' SSPI lays it out:
  Kerberos  RFC 4121 tokens (AES) in the DCE-style split with RRC rotation, RFC 4757 tokens (rc4-hmac)
            split after the confounder (see wrap())
  NTLM      gss-ntlmssp: the 16-byte NTLMSSP signature, then the sealed bytes
Each part on the wire: the 4-byte little-endian header length, the header (the GSS wrap token's header /
the NTLM signature), the cipher text.
"""
import re
import struct

import gssapi

BOUNDARY = b'--Encrypted Boundary'
PROTOCOL = 'application/HTTP-SPNEGO-session-encrypted'
KRB5_OID = '1.2.840.113554.1.2.2'


def is_krb(ctx):
    return ctx.mech.dotted_form == KRB5_OID


def _framing_len(tok):
    """RFC 2743 s3.1: 0x60, a DER length, the mechanism OID."""
    n = 2 + (tok[1] & 0x7f if tok[1] & 0x80 else 0)
    return n + 2 + tok[n + 1]


def wrap(ctx, data):
    """-> (header, cipher text), split where Windows splits them (MS-KILE 3.4.5.4.1, MS-WSMV 2.2.9.1.2):
    RFC 4121: the 16-byte token header, then the cipher text rotated right by RRC = the trailer (the encrypted
    header copy and the checksum; EC is 0) so that trailer and confounder lead: header = 16 + RRC + 16 bytes
    (60 for AES-SHA1) and the data part is as long as the plaintext. RRC is outside the checksum (RFC 4121
    s4.2.5), so MIT's stream token is re-rotated here and MIT's gss_unwrap undoes it.
    RFC 4757: the framing and the 32-byte token (through the confounder), then the encrypted data."""
    tok = ctx.wrap(data, True).message
    if not is_krb(ctx):
        return tok[:16], tok[16:]
    if tok[:2] == b'\x05\x04':
        ec = struct.unpack('>H', tok[4:6])[0]
        body = tok[16:]
        rrc = len(body) - 16 - len(data) - ec      # E(header copy) + checksum (+ filler)
        body = body[-rrc:] + body[:-rrc]            # rotate right by RRC
        hdr = tok[:6] + struct.pack('>H', rrc) + tok[8:16]
        return hdr + body[:rrc + 16], body[rrc + 16:]
    n = _framing_len(tok) + 32
    return tok[:n], tok[n:]


def unwrap(ctx, header, enc):
    return ctx.unwrap(header + enc).message


def seal(ctx, plain, chunk=0):
    """plain SOAP -> (content type, body). chunk > 0: plaintexts longer than chunk go as several parts
    (multipart/x-multi-encrypted, MS-WSMV 2.2.9.1.2.2)."""
    pieces = [plain[i:i + chunk] for i in range(0, len(plain), chunk)] if chunk and len(plain) > chunk else [plain]
    body = b''
    for p in pieces:
        hdr, enc = wrap(ctx, p)
        body += (BOUNDARY + b'\r\n\tContent-Type: ' + PROTOCOL.encode() + b'\r\n'
                 b'\tOriginalContent: type=application/soap+xml;charset=UTF-8;Length=' + str(len(p)).encode() + b'\r\n'
                 + BOUNDARY + b'\r\n\tContent-Type: application/octet-stream\r\n'
                 + struct.pack('<I', len(hdr)) + hdr + enc)
    body += BOUNDARY + b'--\r\n'
    ctype = 'multipart/x-multi-encrypted' if len(pieces) > 1 else 'multipart/encrypted'
    return '%s;protocol="%s";boundary="Encrypted Boundary"' % (ctype, PROTOCOL), body


def unseal(ctx, body):
    """multipart body -> plain SOAP (each part's OriginalContent Length checked)."""
    out = b''
    parts = [p for p in body.split(BOUNDARY + b'\r\n') if p]
    for i in range(0, len(parts) - 1, 2):
        want = int(re.search(rb'Length=(\d+)', parts[i]).group(1))
        payload = parts[i + 1]
        if payload.endswith(BOUNDARY + b'--\r\n'):
            payload = payload[:-len(BOUNDARY + b'--\r\n')]
        payload = payload.split(b'application/octet-stream\r\n', 1)[1]
        n = struct.unpack('<I', payload[:4])[0]
        plain = unwrap(ctx, payload[4:4 + n], payload[4 + n:])
        if len(plain) != want:
            raise ValueError('OriginalContent Length %d, plaintext %d bytes' % (want, len(plain)))
        out += plain
    return out


class GssKerberosAuth:
    """A requests auth for pywinrm's transport='kerberos' through python3-gssapi (Debian's pykerberos 1.1.14 has
    no authGSSWinRMEncryptMessage, so requests_kerberos cannot seal): raw Kerberos tokens in
    'Authorization: Kerberos' (MS-WSMV 2.2.9.1.2), mutual authentication, and wrap_winrm / unwrap_winrm."""
    winrm_encryption_available = True

    def __init__(self, mutual_authentication=None, delegate=False, force_preemptive=False, principal=None,
                 hostname_override=None, sanitize_mutual_error_response=True, service='HTTP', send_cbt=True):
        self.delegate = delegate
        self.service = service or 'HTTP'
        self.hostname_override = hostname_override
        self.ctx = {}

    def __call__(self, r):
        from urllib.parse import urlparse
        import base64
        host = urlparse(r.url).hostname
        if host not in self.ctx:
            flags = (gssapi.RequirementFlag.mutual_authentication | gssapi.RequirementFlag.out_of_sequence_detection
                     | gssapi.RequirementFlag.integrity | gssapi.RequirementFlag.confidentiality)
            if self.delegate:
                flags |= gssapi.RequirementFlag.delegate_to_peer
            name = gssapi.Name('%s@%s' % (self.service, self.hostname_override or host),
                               gssapi.NameType.hostbased_service)
            ctx = gssapi.SecurityContext(name=name, usage='initiate', mech=gssapi.MechType.kerberos, flags=flags)
            self.ctx[host] = ctx
            r.headers['Authorization'] = 'Kerberos ' + base64.b64encode(ctx.step()).decode()
        r.register_hook('response', self.on_response)
        return r

    def on_response(self, resp, **kw):
        from urllib.parse import urlparse
        import base64
        ctx = self.ctx[urlparse(resp.request.url).hostname]
        m = re.search(r'(?:Kerberos|Negotiate)\s+([A-Za-z0-9+/=]+)', resp.headers.get('WWW-Authenticate', ''))
        if m and not ctx.complete:
            ctx.step(base64.b64decode(m.group(1)))
        return resp

    def wrap_winrm(self, host, message):
        hdr, enc = wrap(self.ctx[host], message)
        return enc, hdr

    def unwrap_winrm(self, host, message, header):
        return unwrap(self.ctx[host], header, message)
