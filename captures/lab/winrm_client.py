#!/usr/bin/python3
"""client1's side of the lab: pywinrm (Debian python3-winrm 0.3.0) running one command on srv1.
Prints what the real client observed as JSON (exit status, output, or the exception it raised)."""
import argparse
import json
import sys

import os

import winrm
import winrm.transport

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import winrm_seal  # noqa: E402

ap = argparse.ArgumentParser()
ap.add_argument('--endpoint', required=True)
ap.add_argument('--transport', choices=['kerberos', 'ntlm'], default='kerberos')
ap.add_argument('--delegate', action='store_true', help='pywinrm kerberos_delegation=True (forward the TGT)')
ap.add_argument('--user', default='')
ap.add_argument('--password', default='')
ap.add_argument('--ca', help='HTTPS: validate srv1 against this certificate (ca_trust_path)')
ap.add_argument('--encryption', choices=['never', 'auto'], default='auto',
                help="pywinrm message_encryption: 'auto' (pywinrm's default: bodies sealed over http, as Windows "
                     "does with AllowUnencrypted=false), 'never' (clear SOAP, as AllowUnencrypted=true)")
ap.add_argument('command', nargs=argparse.REMAINDER)
a = ap.parse_args()
res = {'client': 'pywinrm %s' % getattr(winrm, '__version__', '0.3.0'), 'endpoint': a.endpoint,
       'transport': a.transport, 'kerberos_delegation': a.delegate, 'command': a.command}
if a.encryption != 'never' and a.transport == 'kerberos' and a.endpoint.startswith('http:'):
    # Debian's pykerberos cannot seal: pywinrm's kerberos transport gets the python3-gssapi auth instead (over
    # https pywinrm does not seal with 'auto', and keeps requests-kerberos' Negotiate as it ships)
    winrm.transport.HTTPKerberosAuth = winrm_seal.GssKerberosAuth
res['message_encryption'] = a.encryption
try:
    s = winrm.Session(a.endpoint, auth=(a.user, a.password), transport=a.transport,
                      kerberos_delegation=a.delegate, message_encryption=a.encryption,
                      server_cert_validation='validate' if a.ca else 'ignore', ca_trust_path=a.ca)
    r = s.run_cmd(a.command[0], a.command[1:])
    res.update(status_code=r.status_code, std_out=r.std_out.decode(errors='replace'),
               std_err=r.std_err.decode(errors='replace'))
except Exception as e:  # record what the real client said
    res.update(exception=type(e).__name__, message=str(e))
print(json.dumps(res, indent=1))
sys.exit(0 if res.get('status_code') == 0 else 1)
