#!/usr/bin/env python3
"""keytab_status: a decryption that cannot succeed says why, never guesses.

On lab scenario 05 (srv1.pcapng, the first AP-REQ carried in HTTP: alice's
AP-REQ for HTTP/srv1, ticket etype 23 kvno 2; frame 4 since the re-recording
with sealed bodies, where pywinrm authenticates preemptively), the hop-1 ticket's status with keytabs built here
from srv1.keytab's real entries (klist -k -K is the oracle for them):
  the right keytab            -> ok, cname alice
  svc_runas.keytab only       -> no_key (no key of that account)
  HTTP/srv1 with kvno 3       -> wrong_kvno
  HTTP/srv1 kvno 2, key flipped -> integrity_failed
  a truncated / not-a keytab  -> exit 2 with a message naming the file
usage: keytab_status.py HOPSNIFF SCENARIOS_DIR
"""
import json
import os
import re
import struct
import subprocess
import sys
import tempfile


def entries(path):
    out = subprocess.run(["klist", "-k", "-K", "-e", path], capture_output=True, text=True, check=True).stdout
    names = {"aes256-cts-hmac-sha1-96": 18, "aes128-cts-hmac-sha1-96": 17, "DEPRECATED:arcfour-hmac": 23}
    return [(m.group(2), int(m.group(1)), names[m.group(3)], bytes.fromhex(m.group(4)))
            for m in re.finditer(r"^\s*(\d+) (\S+) \((\S+)\)\s+\(0x([0-9a-f]+)\)", out, re.M)]


def keytab(ents):
    b = b"\x05\x02"
    for princ, kvno, etype, key in ents:
        name, realm = princ.split("@")
        comps = name.split("/")
        r = struct.pack(">H", len(comps)) + struct.pack(">H", len(realm)) + realm.encode()
        for c in comps:
            r += struct.pack(">H", len(c)) + c.encode()
        r += struct.pack(">IIB", 1, 0, kvno & 0xff) + struct.pack(">HH", etype, len(key)) + key + struct.pack(">I", kvno)
        b += struct.pack(">i", len(r)) + r
    return b


def status(hs, pcap, kt):
    out = subprocess.run([hs, "decode", "--json", "-r", pcap, "--keytab", kt], capture_output=True, text=True,
                         check=True).stdout
    for line in out.splitlines():
        m = json.loads(line)
        if m.get("proto") == "kerberos" and m.get("carrier") == "http" and m.get("msg") == "AP-REQ":
            t = m.get("decrypted", {}).get("ticket", {})
            return t.get("status"), t.get("cname")
    return None, None


def main():
    hs, sdir = sys.argv[1], sys.argv[2]
    sc = os.path.join(sdir, "05-unconstrained")
    pcap = os.path.join(sc, "srv1.pcapng")
    srv1 = entries(os.path.join(sc, "srv1.keytab"))
    http = [e for e in srv1 if e[0] == "HTTP/srv1.hop.test@HOP.TEST"]
    assert http and http[0][2] == 23, http
    fails = 0
    with tempfile.TemporaryDirectory() as tmp:
        cases = [
            ("right keytab", keytab(http), ("ok", "alice")),
            ("wrong kvno", keytab([(p, 3, e, k) for p, _, e, k in http]), ("wrong_kvno", None)),
            ("flipped key", keytab([(p, v, e, bytes([k[0] ^ 1]) + k[1:]) for p, v, e, k in http]),
             ("integrity_failed", None)),
        ]
        for name, data, want in cases:
            path = os.path.join(tmp, name.replace(" ", "_") + ".keytab")
            open(path, "wb").write(data)
            got = status(hs, pcap, path)
            print("%-14s %s" % (name, got))
            if got != want:
                print("FAIL %s: got %r, want %r" % (name, got, want))
                fails += 1
        got = status(hs, pcap, os.path.join(sc, "svc_runas.keytab"))
        print("%-14s %s" % ("other account", got))
        if got != ("no_key", None):
            print("FAIL other account: got %r" % (got,))
            fails += 1
        for name, data in (("truncated", keytab(http)[:-7]), ("not a keytab", b"hello world")):
            path = os.path.join(tmp, name.replace(" ", "_"))
            open(path, "wb").write(data)
            r = subprocess.run([hs, "decode", "-r", pcap, "--keytab", path], capture_output=True, text=True)
            print("%-14s exit %d: %s" % (name, r.returncode, r.stderr.strip()))
            if r.returncode != 2 or path not in r.stderr or r.stdout:
                print("FAIL %s" % name)
                fails += 1
    return 1 if fails else 0


if __name__ == "__main__":
    sys.exit(main())
