#!/usr/bin/env python3
"""credssp_report.py HOPSNIFF DIR - the report's CredSSP diagnosis on the
generated CredSSP-over-HTTP captures (captures/generated/credssp: a real
MS-CSSP client and acceptor, OpenSSL TLS, NTLM), with and without the key log.

Expected values come from each capture's NAME.expected (what the script sent
and received: the TSRequests, the server's errorCode, the final HTTP status)
and the scenario's configuration (the client asks for CredSSP as HOP\\alice):
 - final 200 after authInfo: hop 1 CredSSP ok; no second hop in the capture
   -> verdict not_attempted;
 - final 401 without CredSSP offered (disabled): failed,
   credssp_not_enabled_on_server;
 - errorCode in the server's last TSRequest (badpass): failed,
   credssp_auth_failed; with the key log the detail names the NTSTATUS.
Without the key log the user name is inside TLS: principal must be null.
A capture that starts after the logon (the enabled capture cut before its
first CredSSP-sealed body, found by tshark's http.content_type): the sealed
bodies alone (MS-WSMV 2.2.9.1.2, "HTTP-CredSSP-session-encrypted") still say
that hop 1 is CredSSP (issue 15: a CredSSP exchange starts a chain when the
logon is not in the capture).
"""
import json
import os
import subprocess
import sys
import tempfile

NTSTATUS = {0xC000006D: "STATUS_LOGON_FAILURE"}  # MS-ERREF 2.3.1


def report(hs, pcap, keylog):
    cmd = [hs, "--json", "-r", pcap] + (["--keylog", keylog] if keylog else [])
    p = subprocess.run(cmd, capture_output=True, text=True)
    rep = json.loads(p.stdout)
    failed = any(c["delegation"]["verdict"] == "failed" for c in rep["chains"])
    assert p.returncode == (1 if failed else 0), f"exit {p.returncode}"
    return rep


def main():
    hs, d = sys.argv[1], sys.argv[2]
    checks = fails = 0
    for mode in ("enabled", "disabled", "badpass"):
        base = os.path.join(d, "credssp-" + mode)
        lines = [json.loads(x) for x in open(base + ".expected")]
        final = next(x["final_status"] for x in lines if "final_status" in x)
        errcode = next((x["error_code"] for x in lines if x.get("error_code")), None)
        sent_creds = any(x.get("auth_info") for x in lines)
        offered = any(x.get("dir") == "server" for x in lines)
        for keyed in (False, True):
            label = f"{mode}{' +keylog' if keyed else ''}"
            errs = []
            rep = report(hs, base + ".pcap", base + ".keylog" if keyed else None)
            if len(rep["chains"]) != 1:
                print(f"FAIL {label}: {len(rep['chains'])} chains, want 1")
                fails += 1
                continue
            ch = rep["chains"][0]
            h1, dl = ch["hops"][0], ch["delegation"]

            def want(what, got, exp):
                nonlocal checks
                checks += 1
                if got != exp:
                    errs.append(f"{what}: got {got!r}, want {exp!r}")

            want("hops", len(ch["hops"]), 1)
            want("hop1.auth", h1["auth"], "credssp")
            want("method", dl["method"], "credssp")
            if final == 200 and sent_creds:
                want("hop1.result", h1["result"], "ok")
                want("verdict", dl["verdict"], "not_attempted")
            elif not offered:
                want("hop1.result", h1["result"], "failed")
                want("verdict", dl["verdict"], "failed")
                want("cause", dl["cause"], "credssp_not_enabled_on_server")
            else:
                want("hop1.result", h1["result"], "failed")
                want("verdict", dl["verdict"], "failed")
                want("cause", dl["cause"], "credssp_auth_failed")
                if keyed and errcode:
                    want("detail names the NTSTATUS", NTSTATUS[errcode] in dl["detail"], True)
                else:
                    want("needs the key log", any("--keylog" in n for n in ch["needs"]), True)
            # the NTLM AUTHENTICATE inside the TLS names the user
            want("hop1.principal", h1["principal"], "HOP\\alice" if keyed and offered else None)
            if errs:
                fails += 1
                print(f"FAIL {label}: " + "; ".join(errs))
            else:
                print(f"PASS {label}: {dl['verdict']} / {dl['cause']}")
    # the session seen only after its logon
    base = os.path.join(d, "credssp-enabled")
    first = subprocess.run(["tshark", "-r", base + ".pcap", "-Y", 'http.content_type contains "CredSSP-session-encrypted"',
                            "-T", "fields", "-e", "frame.number"], capture_output=True, text=True).stdout.split()
    if not first:
        print("FAIL late: tshark finds no CredSSP-sealed body in credssp-enabled.pcap")
        return 1
    with tempfile.TemporaryDirectory() as tmp:
        late = os.path.join(tmp, "late.pcap")
        subprocess.run(["tshark", "-r", base + ".pcap", "-Y", f"frame.number >= {first[0]}", "-w", late],
                       check=True, capture_output=True)
        rep = report(hs, late, None)
    checks += 1
    ch = rep["chains"]
    got = [(c["hops"][0]["auth"], c["delegation"]["method"], c["delegation"]["verdict"]) for c in ch]
    if got != [("credssp", "credssp", "not_attempted")]:
        fails += 1
        print(f"FAIL late (from frame {first[0]}): got {got}, want [('credssp', 'credssp', 'not_attempted')]")
    else:
        print(f"PASS late (from frame {first[0]}): CredSSP from the sealed bodies alone")
    print(f"{checks} checks, {fails} failed")
    return 1 if fails or not checks else 0


sys.exit(main())
