#!/usr/bin/python3
"""A tiny HTTP/1.1 server for generating real HTTP auth traffic locally
(tests/http/make_capture.sh): keep-alive, 401 challenges (Negotiate, NTLM,
Basic), an NTLM CHALLENGE so curl completes NTLM, a SOAP fault 500 and a
chunked reply.  Test tool only."""
import base64
import http.server
import os
import struct
import sys

FAULT = open(os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', '..', 'decoder', 'testdata',
                          'winrm', 'resp_fault_timeout.xml'), 'rb').read()
CREATED = open(os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', '..', 'decoder', 'testdata',
                            'winrm', 'resp_create.xml'), 'rb').read()


def ntlm_challenge():
    # MS-NLMP 2.2.1.2 CHALLENGE_MESSAGE: empty target name and target info.
    flags = 0x00000001 | 0x00000200 | 0x00008000 | 0x00080000  # UNICODE, NTLM, ALWAYS_SIGN, ESS
    return (b'NTLMSSP\x00' + struct.pack('<I', 2) + struct.pack('<HHI', 0, 0, 48) + struct.pack('<I', flags) +
            b'\x01\x23\x45\x67\x89\xab\xcd\xef' + b'\x00' * 8 + struct.pack('<HHI', 0, 0, 48))


class H(http.server.BaseHTTPRequestHandler):
    protocol_version = 'HTTP/1.1'

    def log_message(self, *a):
        pass

    def _body(self):
        if self.headers.get('Transfer-Encoding', '').lower() == 'chunked':
            data = b''
            while True:
                n = int(self.rfile.readline().split(b';')[0], 16)
                if n == 0:
                    while self.rfile.readline() not in (b'\r\n', b''):
                        pass
                    return data
                data += self.rfile.read(n)
                self.rfile.readline()
        return self.rfile.read(int(self.headers.get('Content-Length', 0)))

    def _send(self, code, headers, body=b''):
        self.send_response(code)
        for k, v in headers:
            self.send_header(k, v)
        self.send_header('Content-Length', str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def do_GET(self):
        self.do_POST()

    def do_POST(self):
        body = self._body()
        auth = self.headers.get('Authorization')
        if self.path == '/chunked':
            self.send_response(200)
            self.send_header('Content-Type', 'application/soap+xml;charset=UTF-8')
            self.send_header('Transfer-Encoding', 'chunked')
            self.end_headers()
            for i in range(0, len(CREATED), 500):
                c = CREATED[i:i + 500]
                self.wfile.write(b'%x\r\n' % len(c) + c + b'\r\n')
            self.wfile.write(b'0\r\n\r\n')
            return
        if self.path == '/fault':
            self._send(500, [('Content-Type', 'application/soap+xml;charset=UTF-8')], FAULT)
            return
        if not auth:
            self._send(401, [('WWW-Authenticate', 'Negotiate'), ('WWW-Authenticate', 'NTLM'),
                             ('WWW-Authenticate', 'Basic realm="WSMAN"')])
            return
        scheme, _, tok = auth.partition(' ')
        if scheme in ('NTLM', 'Negotiate') and base64.b64decode(tok)[8:12] == b'\x01\x00\x00\x00':
            self._send(401, [('WWW-Authenticate', scheme + ' ' + base64.b64encode(ntlm_challenge()).decode())])
            return
        self._send(200, [('Content-Type', 'text/plain')], b'ok %d\n' % len(body))


http.server.ThreadingHTTPServer(('127.0.0.1', int(sys.argv[1])), H).serve_forever()
