#!/usr/bin/python3
"""Regenerate decoder/testdata/winrm/*.xml from Debian's python3-winrm 0.3.0.

Requests (req_*.xml) are produced by pywinrm's own request builder
(winrm.protocol.Protocol) with a transport that captures the body instead of
sending it: real client output, offline.  Responses (resp_*.xml) are the
server replies shipped in pywinrm's test fixtures (winrm/tests/conftest.py).
pywinrm is MIT licensed (see SOURCE.md).  Run: /usr/bin/python3 tools/gen_winrm_testdata.py
"""
import os
import sys
import uuid
from unittest import mock

sys.path.insert(0, '/usr/lib/python3/dist-packages/winrm/tests')
import types  # noqa: E402
sys.modules.setdefault('pytest', types.SimpleNamespace(skip=None, fixture=lambda *a, **k: (lambda f: f)))
sys.modules.setdefault('mock', mock)
import conftest  # noqa: E402  pywinrm's fixtures
from winrm.protocol import Protocol  # noqa: E402

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', 'decoder', 'testdata', 'winrm')


class Capture:
    """Transport stand-in: records the request, answers with the fixture reply."""
    def __init__(self):
        self.sent = []

    def send_message(self, message):
        self.sent.append(message)
        for req, resp in ((conftest.open_shell_request, conftest.open_shell_response),
                          (conftest.close_shell_request, conftest.close_shell_response),
                          (conftest.run_cmd_with_args_request, conftest.run_cmd_response),
                          (conftest.run_cmd_wo_args_request, conftest.run_cmd_response),
                          (conftest.cleanup_cmd_request, conftest.cleanup_cmd_response),
                          (conftest.get_cmd_output_request, conftest.get_cmd_output_response)):
            if conftest.xml_str_compare(message, req):
                return resp
        raise RuntimeError('unexpected request')


def write(name, text):
    if isinstance(text, str):
        text = text.encode('utf-8')
    with open(os.path.join(OUT, name), 'wb') as f:
        f.write(text)


with mock.patch('uuid.uuid4', return_value=uuid.UUID('11111111-1111-1111-1111-111111111111')):
    p = Protocol(endpoint='http://windows-host:5985/wsman', transport='plaintext',
                 username='john.smith', password='secret')
    t = Capture()
    p.transport = t
    shell = p.open_shell()
    cmd = p.run_command(shell, 'ipconfig', ['/all'])
    p.get_command_output(shell, cmd)
    p.cleanup_command(shell, cmd)
    p.close_shell(shell)
    names = ['req_create_shell.xml', 'req_command.xml', 'req_receive.xml',
             'req_signal.xml', 'req_delete.xml']
    for n, body in zip(names, t.sent):
        write(n, body)

write('resp_create.xml', conftest.open_shell_response)
write('resp_command.xml', conftest.run_cmd_response)
write('resp_receive.xml', conftest.get_cmd_output_response)
write('resp_signal.xml', conftest.cleanup_cmd_response)
write('resp_delete.xml', conftest.close_shell_response)

# Encrypted bodies (MS-WSMV 2.2.9.1): pywinrm's own Encryption class frames
# them; the sealing is the test double of pywinrm's test_encryption.py
# (base64 instead of a cipher), so only the MIME framing is real here.
import test_encryption  # noqa: E402
from winrm.encryption import Encryption  # noqa: E402

for name, proto, msg in (('enc_spnego', 'ntlm', b'unencrypted message'),
                         ('enc_credssp_multi', 'credssp', b'unencrypted message ' * 2048)):
    s = test_encryption.SessionTest()
    req = Encryption(s, proto).prepare_encrypted_request(s, b'endpoint', msg)
    write(name + '.bin', req.body)
    write(name + '.ct', req.headers['Content-Type'])
