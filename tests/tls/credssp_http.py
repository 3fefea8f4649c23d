#!/usr/bin/env python3
"""CredSSP over HTTP (captures/generated/credssp, made by credssp_http.py:
Python ssl + ntlm_auth client and server, MS-CSSP over MS-WSMV headers):
with the key log, hopsniff's TSRequest sequence equals what the script sent
and received (NAME.expected: per TSRequest the number of negoTokens, the
presence and size of pubKeyAuth / authInfo / clientNonce, errorCode), the
NTLM messages inside are decoded (types 1, 2, 3; user alice, domain HOP),
the final stage is right (accepted / refused / not_offered); without it the
TLS handshake inside the headers is shown and the stage is inferred.

usage: credssp_http.py HOPSNIFF CAPTURE_DIR
"""
import json
import os
import subprocess
import sys
import xml.etree.ElementTree as ET

WSA = "{http://schemas.xmlsoap.org/ws/2004/08/addressing}"
WSMAN = "{http://schemas.dmtf.org/wbem/wsman/1/wsman.xsd}"
SHELL = "{http://schemas.microsoft.com/wbem/wsman/1/windows/shell}"


def soap_fields(text):
    """The header fields of a SOAP message, read by Python's XML parser."""
    root = ET.fromstring(text)
    f = {}
    for tag, key in ((WSA + "Action", "action"), (WSA + "MessageID", "message_id"), (WSA + "RelatesTo", "relates_to"),
                     (WSMAN + "ResourceURI", "resource_uri"), (SHELL + "ShellId", "shell_id")):
        e = root.find(".//" + tag)
        if e is not None:
            f[key] = e.text
    return f

FINAL = {"enabled": ("accepted", "accepted"), "badpass": ("refused", "authentication"),
         "disabled": ("not_offered", "not_offered")}


def run(exe, pcap, keylog):
    cmd = [exe, "decode", "--json", "-r", pcap] + (["--keylog", keylog] if keylog else [])
    p = subprocess.run(cmd, check=True, capture_output=True, text=True)
    return [json.loads(l) for l in p.stdout.splitlines() if l.startswith("{")], \
        [l for l in p.stdout.splitlines() if l.startswith("!")]


def main():
    exe, d = sys.argv[1], sys.argv[2]
    fails = checks = 0

    def check(ok, what):
        nonlocal fails, checks
        checks += 1
        if not ok:
            fails += 1
            print("FAIL", what)

    for mode, (final_k, final_nok) in FINAL.items():
        base = os.path.join(d, "credssp-" + mode)
        exp = [json.loads(l) for l in open(base + ".expected")]
        legs = [e for e in exp if "dir" in e]
        msgs, anom = run(exe, base + ".pcap", base + ".keylog")
        ts = [m for m in msgs if m.get("credssp_msg") == "ts_request"]
        check(not anom, f"{mode}: anomalies {anom}")
        check(len(ts) == len(legs), f"{mode}: {len(ts)} TSRequests, sent/received {len(legs)}")
        for m, e in zip(ts, legs):
            want_dst = "5985" if e["dir"] == "client" else None
            check((m["dst"].endswith(":5985")) == (want_dst is not None), f"{mode}: direction of {m}")
            check(m["version"] == 6 and m["nego_tokens"] == e["tokens"], f"{mode}: tokens {m} vs {e}")
            check(m["pub_key_auth"] == bool(e.get("pub_key_auth")), f"{mode}: pubKeyAuth {m} vs {e}")
            if isinstance(e.get("pub_key_auth"), int) and not isinstance(e.get("pub_key_auth"), bool):
                check(m["pub_key_auth_len"] == e["pub_key_auth"], f"{mode}: pubKeyAuth size")
            check(m["auth_info"] == ("auth_info" in e), f"{mode}: authInfo {m} vs {e}")
            if "auth_info" in e:
                check(m["auth_info_len"] == e["auth_info"], f"{mode}: authInfo size")
            check(m["client_nonce"] == ("nonce" in e), f"{mode}: clientNonce")
            if e.get("error_code"):
                check(int(m["error_code"], 16) == e["error_code"] and m["error"] == "STATUS_LOGON_FAILURE",
                      f"{mode}: errorCode {m}")
        ntlm = [(m["ntlm_type"], m.get("user"), m.get("domain")) for m in msgs
                if m["proto"] == "ntlmssp" and m.get("carrier") == "credssp"]
        if legs:
            check([t[0] for t in ntlm] == [1, 2, 3] and ntlm[2][1:] == ("alice", "HOP"), f"{mode}: NTLM {ntlm}")
        stages = [m for m in msgs if m.get("credssp_msg") == "stage"]
        status = [e for e in exp if "final_status" in e][0]["final_status"]
        check(stages and stages[-1]["stage"] == final_k and stages[-1]["http_status"] == status,
              f"{mode}: final stage {stages[-1] if stages else None}, want {final_k} {status}")
        check(not any("password" in json.dumps(m).lower() for m in msgs), f"{mode}: a password field")
        # MS-WSMV 2.2.9.1.1 bodies sealed with the CredSSP TLS session: decrypted with the key log, the SOAP
        # equals what the script sent (its length, and its header fields read by Python's XML parser)
        sealed = [e for e in exp if "sealed" in e]
        enc = [m for m in msgs if m["proto"] == "http" and "encrypted" in m]
        check(len(enc) == len(sealed), f"{mode}: {len(enc)} sealed bodies, sent {len(sealed)}")
        for m, e in zip(enc, sealed):
            check(m["encrypted"].get("decrypted_length") == len(e["soap"].encode()),
                  f"{mode}: sealed {e['sealed']} decrypted to {m['encrypted'].get('decrypted_length')} bytes, "
                  f"sent {len(e['soap'].encode())}")
            w = [x for x in msgs if x["proto"] == "winrm" and x["frame"] == m["frame"]]
            want = soap_fields(e["soap"])
            check(len(w) == 1 and all(w[0].get(k) == v for k, v in want.items()),
                  f"{mode}: sealed {e['sealed']} SOAP {w} vs {want}")
            check(w and w[0]["type"] == e["sealed"], f"{mode}: sealed {e['sealed']} type")
        # without the key log
        msgs0, anom0 = run(exe, base + ".pcap", None)
        stages0 = [m for m in msgs0 if m.get("credssp_msg") == "stage"]
        hello = [m for m in msgs0 if m.get("tls_msg") in ("client_hello", "server_hello", "certificate")]
        check(stages0 and stages0[-1]["stage"] == final_nok and stages0[-1]["inferred"],
              f"{mode}: without key log final stage {stages0[-1] if stages0 else None}, want {final_nok}")
        check(not [m for m in msgs0 if m.get("credssp_msg") == "ts_request"], f"{mode}: TSRequest without keys")
        enc0 = [m for m in msgs0 if m["proto"] == "http" and "encrypted" in m]
        check(len(enc0) == len(sealed) and not any("decrypted_length" in m["encrypted"] for m in enc0)
              and not [m for m in msgs0 if m["proto"] == "winrm"], f"{mode}: sealed bodies without keys")
        if legs:
            check(len(hello) == 3 and all(m.get("carrier") == "http" for m in hello)
                  and hello[2]["subject"].endswith("CN=srv1.hop.test"), f"{mode}: TLS handshake in headers {hello}")
        print(f"{mode}: {len(ts)} TSRequests = sent/received, {len(sealed)} sealed SOAP bodies, NTLM "
              f"{[t[0] for t in ntlm]}, stage "
              f"{stages[-1]['stage']} (without key log: {stages0[-1]['stage']})")
    print(f"{checks} checks, {fails} failures")
    return 1 if fails else 0


if __name__ == "__main__":
    sys.exit(main())
