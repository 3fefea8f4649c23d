#!/usr/bin/env python3
"""HTTPS WinRM (lab scenario 14, pywinrm over TLS 1.3 against the lab's
endpoint; also 29 and 30, the same on 443 and 61986): with either key log, hopsniff decodes the same HTTP messages as
tshark (-o tls.keylog_file) - frame, method, status, Content-Length - plus
the Kerberos AP-REQ / AP-REP of the Negotiate header and the WinRM
operations; without a key log it decodes none and says why.

usage: lab_https.py HOPSNIFF SCENARIO_DIR     (exit 77 when the scenario is absent)
"""
import json
import os
import subprocess
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "lab"))
from tshark_opts import tshark_opts  # noqa: E402  (the scenario's decode-as for tshark)


def hopsniff(exe, pcap, keylogs):
    cmd = [exe, "decode", "--json", "-r", pcap] + sum((["--keylog", k] for k in keylogs), [])
    out = subprocess.run(cmd, check=True, capture_output=True, text=True).stdout
    return [json.loads(l) for l in out.splitlines() if l.startswith("{")]


def tshark_http(pcap, keylog):
    out = subprocess.run(["tshark", "-o", "tls.keylog_file:" + keylog, "-r", pcap] + tshark_opts(pcap) + ["-Y", "http", "-T", "fields",
                          "-e", "frame.number", "-e", "http.request.method", "-e", "http.response.code", "-e",
                          "http.content_length"], check=True, capture_output=True, text=True).stdout
    rows = []
    for l in out.splitlines():
        f = l.split("\t")
        rows.append((int(f[0]), f[1] or None, int(f[2]) if f[2] else None, int(f[3]) if f[3] else None))
    return rows


def main():
    exe, d = sys.argv[1], sys.argv[2]
    if not os.path.exists(os.path.join(d, "client1.pcapng")):
        print("scenario not present")
        return 77
    fails = checks = 0
    for cap in ("client1", "srv1"):
        for kl in ("tls-keylog-client1.txt", "tls-keylog-srv1.txt"):
            pcap, klp = os.path.join(d, cap + ".pcapng"), os.path.join(d, kl)
            msgs = hopsniff(exe, pcap, [klp])
            mine = [(m["frame"], m.get("method") if m["type"] == "request" else None, m.get("status"),
                     m.get("content_length")) for m in msgs if m["proto"] == "http"]
            want = tshark_http(pcap, klp)
            checks += 1
            if mine != want:
                fails += 1
                print(f"FAIL {cap} with {kl}: hopsniff {mine} tshark {want}")
            krb = [m["msg"] for m in msgs if m["proto"] == "kerberos" and m.get("carrier") == "http"]
            ops = [m.get("operation") for m in msgs if m["proto"] == "winrm"]
            und = [m for m in msgs if m.get("tls_msg") == "undecrypted"]
            checks += 1
            if krb != ["AP-REQ", "AP-REP"] or "Create shell" not in ops or und:
                fails += 1
                print(f"FAIL {cap} with {kl}: kerberos {krb} winrm {ops} undecrypted {und}")
            print(f"{cap} + {kl}: {len(mine)} HTTP messages = tshark; kerberos {krb}; {len(ops)} WinRM operations")
        msgs = hopsniff(exe, os.path.join(d, cap + ".pcapng"), [])
        und = [m["reason"] for m in msgs if m.get("tls_msg") == "undecrypted"]
        http = [m for m in msgs if m["proto"] == "http"]
        cert = [m for m in msgs if m.get("tls_msg") == "certificate"]
        checks += 1
        # TLS 1.3: the certificate is encrypted too, so without keys only the hellos show
        if http or und != ["no_key_log", "no_key_log"] or cert:
            fails += 1
            print(f"FAIL {cap} without key log: http {len(http)} undecrypted {und}")
    print(f"{checks} checks, {fails} failures")
    return 1 if fails else 0


if __name__ == "__main__":
    sys.exit(main())
