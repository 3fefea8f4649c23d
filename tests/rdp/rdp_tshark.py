#!/usr/bin/env python3
"""RDP differential test on the FreeRDP captures (captures/generated/rdp):
hopsniff's fields against tshark's, frame by frame.

- X.224 negotiation (tshark's RDP dissector, first pass): cookie, RDP_NEG type,
  flags, requestedProtocols, selectedProtocol, failureCode.
- TLS and CredSSP (second pass, `-d tcp.port==3389,tls -o tls.keylog_file:`,
  because tshark 4.0 does not follow RDP into TLS by itself): handshake
  message types per frame, ServerHello cipher suite, SNI, alerts; per
  TSRequest the version, negoTokens count, pubKeyAuth / authInfo sizes,
  clientNonce, errorCode; the NTLM message types and user inside.
- The outcome of each case, from how make.sh configured it (not from
  hopsniff): nla-ok accepted, nla-badpass refused, nla-refused the client
  abandons after the server chose SSL, neg-failure HYBRID_REQUIRED_BY_SERVER,
  tls-only TLS security; hybrid-ex-ok / -denied: the Early User
  Authorization Result equals what hybrid_ex.py sent (NAME.expected), and the
  TSRequest sequence equals what it sent and received.
- Without the key log: the negotiation and the TLS handshake are the same,
  no TSRequest is claimed.

Prints every mismatch and "N passed, M failed" (checks); exits 1 on a mismatch.
usage: rdp_tshark.py HOPSNIFF CAPTURE_DIR
"""
import json
import os
import subprocess
import sys

CASES = {
    "nla-ok": {"outcome": "accepted", "selected": "hybrid", "stage": "credssp:accepted"},
    "nla-badpass": {"outcome": "refused", "selected": "hybrid", "stage": "credssp:refused"},
    "nla-refused": {"outcome": "abandoned", "selected": "ssl", "stage": "negotiation", "nla_not_selected": True},
    "neg-failure": {"outcome": "negotiation_failed", "failure": "HYBRID_REQUIRED_BY_SERVER", "stage": "negotiation"},
    "tls-only": {"outcome": "unknown", "selected": "ssl", "stage": "tls"},
    # hybrid_ex.py (Python peers; FreeRDP 2's server never selects HYBRID_EX)
    "hybrid-ex-ok": {"outcome": "accepted", "selected": "hybrid_ex", "stage": "credssp:accepted"},
    "hybrid-ex-denied": {"outcome": "refused", "selected": "hybrid_ex", "stage": "credssp:refused"},
}
HS_TYPES = {"client_hello": 1, "server_hello": 2, "new_session_ticket": 4, "end_of_early_data": 5,
            "encrypted_extensions": 8, "certificate": 11, "server_key_exchange": 12, "certificate_request": 13,
            "server_hello_done": 14, "certificate_verify": 15, "client_key_exchange": 16, "finished": 20,
            "key_update": 24}


def hopsniff(exe, pcap, keylog):
    cmd = [exe, "decode", "--json", "-r", pcap] + (["--keylog", keylog] if keylog else [])
    p = subprocess.run(cmd, check=True, capture_output=True, text=True)
    return [json.loads(l) for l in p.stdout.splitlines() if l.startswith("{")], \
        [l for l in p.stdout.splitlines() if l.startswith("!")]


def tshark(pcap, fields, extra=(), yfilter=None):
    cmd = ["tshark", "-n", "-r", pcap, "-T", "fields", "-E", "occurrence=a", "-E", "aggregator=|",
           "-e", "frame.number"]
    cmd += [a for f in fields for a in ("-e", f)] + list(extra)
    if yfilter:
        cmd += ["-Y", yfilter]
    out = subprocess.run(cmd, check=True, capture_output=True, text=True).stdout
    rows = {}
    for line in out.splitlines():
        cols = line.split("\t")
        rows[int(cols[0])] = dict(zip(fields, cols[1:] + [""] * (len(fields) - len(cols) + 1)))
    return rows


def num(s):
    return int(s, 0) if s else None


def main():
    exe, d = sys.argv[1], sys.argv[2]
    checks = fails = 0
    mism = {}

    def check(ok, case, what):
        nonlocal checks, fails
        checks += 1
        if not ok:
            fails += 1
            mism[case] = mism.get(case, 0) + 1
            print(f"FAIL {case}: {what}")

    for case, want in CASES.items():
        pcap, keylog = os.path.join(d, case + ".pcap"), os.path.join(d, case + ".keylog")
        msgs, anom = hopsniff(exe, pcap, keylog)
        check(not anom, case, f"anomalies {anom}")

        # ---- negotiation
        neg = tshark(pcap, ["rdp.rt_cookie", "rdp.neg_type", "rdp.negReq.flags", "rdp.negRsp.flags",
                            "rdp.negReq.requestedProtocols", "rdp.negReq.selectedProtocol",
                            "rdp.negFailure.failureCode"], yfilter="rdp.neg_type")
        ours = {m["frame"]: m for m in msgs if m["proto"] == "rdp" and m["rdp_msg"].startswith("connection_")}
        check(sorted(neg) == sorted(ours), case, f"negotiation frames tshark {sorted(neg)} hopsniff {sorted(ours)}")
        for f, t in neg.items():
            m = ours.get(f)
            if not m:
                continue
            nt = num(t["rdp.neg_type"])
            if nt == 1:
                check(m["rdp_msg"] == "connection_request", case, f"frame {f}: request")
                cookie = t["rdp.rt_cookie"]
                check(cookie == "Cookie: mstshash=" + m.get("cookie", "?"), case,
                      f"frame {f}: cookie {cookie!r} vs {m.get('cookie')!r}")
                check(num(t["rdp.negReq.requestedProtocols"]) == int(m["requested_protocols"], 16), case,
                      f"frame {f}: requestedProtocols")
                check(num(t["rdp.negReq.flags"]) == m["neg_flags"], case, f"frame {f}: request flags")
            else:
                check(m["rdp_msg"] == "connection_confirm", case, f"frame {f}: confirm")
                if nt == 2:
                    check(num(t["rdp.negReq.selectedProtocol"]) == int(m["selected_protocol"], 16), case,
                          f"frame {f}: selectedProtocol")
                    check(num(t["rdp.negRsp.flags"]) == m["neg_flags"], case, f"frame {f}: response flags")
                else:
                    check(nt == 3 and num(t["rdp.negFailure.failureCode"]) == int(m["failure_code"], 16), case,
                          f"frame {f}: failureCode")

        # ---- TLS handshake and CredSSP, through TLS with the key log
        tls_args = ["-d", "tcp.port==3389,tls", "-o", "tls.keylog_file:" + keylog]
        tl = tshark(pcap, ["tls.handshake.type", "tls.handshake.ciphersuite", "tls.handshake.extensions_server_name",
                           "tls.alert_message.desc"], tls_args, "tls.handshake or tls.alert_message")
        hs = {}
        for m in msgs:
            if m["proto"] == "tls" and m.get("tls_msg") in HS_TYPES:
                hs.setdefault(m["frame"], []).append(m)
        for f, t in tl.items():
            types = [int(x) for x in t["tls.handshake.type"].split("|") if x]
            got = [HS_TYPES[m["tls_msg"]] for m in hs.get(f, [])]
            check(types == got, case, f"frame {f}: handshake types tshark {types} hopsniff {got}")
            if 2 in types:
                sh = [m for m in hs.get(f, []) if m["tls_msg"] == "server_hello"]
                suites = t["tls.handshake.ciphersuite"].split("|")
                check(sh and num(sh[0]["cipher_suite_id"]) == num(suites[-1]), case, f"frame {f}: cipher suite")
            if 1 in types:
                ch = [m for m in hs.get(f, []) if m["tls_msg"] == "client_hello"]
                check(ch and ch[0].get("sni") == t["tls.handshake.extensions_server_name"], case, f"frame {f}: SNI")
            if t["tls.alert_message.desc"]:
                al = [m for m in msgs if m["frame"] == f and m.get("tls_msg") == "alert"]
                check(al and al[0]["alert_code"] == num(t["tls.alert_message.desc"]), case, f"frame {f}: alert")
        check(sum(len(v) for v in hs.values()) ==
              sum(len([x for x in t["tls.handshake.type"].split("|") if x]) for t in tl.values()), case,
              "handshake message count")

        cs = tshark(pcap, ["credssp.version", "credssp.negoTokens", "credssp.pubKeyAuth", "credssp.authInfo",
                           "credssp.clientNonce", "credssp.errorCode", "ntlmssp.messagetype", "ntlmssp.auth.username"],
                    tls_args, "credssp")
        ts = {m["frame"]: m for m in msgs if m["proto"] == "credssp" and m.get("credssp_msg") == "ts_request"}
        check(sorted(cs) == sorted(ts), case, f"TSRequest frames tshark {sorted(cs)} hopsniff {sorted(ts)}")
        for f, t in cs.items():
            m = ts.get(f)
            if not m:
                continue
            check(num(t["credssp.version"]) == m["version"], case, f"frame {f}: version")
            check((num(t["credssp.negoTokens"]) or 0) == m["nego_tokens"], case, f"frame {f}: negoTokens")
            pka = t["credssp.pubKeyAuth"]
            check(bool(pka) == m["pub_key_auth"] and (not pka or len(pka) // 2 == m["pub_key_auth_len"]), case,
                  f"frame {f}: pubKeyAuth")
            ai = t["credssp.authInfo"]
            check(bool(ai) == m["auth_info"] and (not ai or len(ai) // 2 == m["auth_info_len"]), case,
                  f"frame {f}: authInfo")
            check(bool(t["credssp.clientNonce"]) == m["client_nonce"], case, f"frame {f}: clientNonce")
            ec = t["credssp.errorCode"]
            check((num(ec) & 0xffffffff if ec else None) == (int(m["error_code"], 16) if "error_code" in m else None),
                  case, f"frame {f}: errorCode")
            nt = [m2 for m2 in msgs if m2["frame"] == f and m2.get("carrier") == "credssp" and m2["proto"] == "ntlmssp"]
            types = [num(x) for x in t["ntlmssp.messagetype"].split("|") if x]
            check([x["ntlm_type"] for x in nt] == types, case, f"frame {f}: NTLM types {types}")
            if t["ntlmssp.auth.username"]:
                check(nt and nt[0].get("user") == t["ntlmssp.auth.username"], case, f"frame {f}: NTLM user")
        print(f"{case}: {len(neg)} negotiation PDUs, {len(tl)} TLS frames, {len(cs)} TSRequests compared")
        # authInfo (the encrypted password) is a secret: its bytes never appear
        blob = json.dumps(msgs).lower()
        for f, t in cs.items():
            if t["credssp.authInfo"]:
                check(t["credssp.authInfo"][:32].lower() not in blob, case, f"frame {f}: authInfo bytes printed")

        # ---- outcome (from the case's configuration)
        end = [m for m in msgs if m["proto"] == "rdp" and m["rdp_msg"] == "end"]
        check(len(end) == 1, case, f"{len(end)} end messages")
        if end:
            e = end[0]
            for k, v in want.items():
                check(e.get(k) == v, case, f"end {k} = {e.get(k)!r}, want {v!r}")
            check(e["decrypted"] == (os.path.getsize(keylog) > 0), case, "decrypted")
        if want["outcome"] in ("accepted", "refused"):
            st = [m for m in msgs if m["proto"] == "credssp" and m.get("credssp_msg") == "stage"]
            check(st and st[-1]["stage"] == want["outcome"], case, f"credssp stage {st[-1:]}")

        if os.path.exists(os.path.join(d, case + ".expected")):
            exp = [json.loads(l) for l in open(os.path.join(d, case + ".expected"))]
            ea = [m for m in msgs if m["proto"] == "rdp" and m["rdp_msg"] == "early_user_authorization"]
            want_r = [e["authz_result"] for e in exp if "authz_result" in e]
            check([int(m["authz_result"], 16) for m in ea] == want_r, case, f"Early User Authorization {ea}")
            legs = [e for e in exp if "dir" in e]
            tsl = [m for m in msgs if m["proto"] == "credssp" and m.get("credssp_msg") == "ts_request"]
            check(len(tsl) == len(legs), case, f"{len(tsl)} TSRequests, sent/received {len(legs)}")
            for m, e in zip(tsl, legs):
                check(m["dst"].endswith(":3389") == (e["dir"] == "client") and m["nego_tokens"] == e["tokens"]
                      and m.get("pub_key_auth_len") == e.get("pub_key_auth")
                      and m.get("auth_info_len") == e.get("auth_info")
                      and m["client_nonce"] == ("nonce" in e), case, f"TSRequest {m} vs {e}")

        # ---- without the key log
        nk, anom = hopsniff(exe, pcap, None)
        check(not anom, case, f"anomalies without key log {anom}")
        check([m for m in nk if m["proto"] == "rdp" and m["rdp_msg"].startswith("connection_")] ==
              [m for m in msgs if m["proto"] == "rdp" and m["rdp_msg"].startswith("connection_")], case,
              "negotiation without key log")
        check(not [m for m in nk if m["proto"] == "rdp" and m["rdp_msg"] == "early_user_authorization"], case,
              "Early User Authorization Result claimed without keys")
        check(not [m for m in nk if m.get("credssp_msg") == "ts_request"], case, "TSRequests claimed without keys")
        endk = [m for m in nk if m["proto"] == "rdp" and m["rdp_msg"] == "end"]
        if endk and "client_records" in endk[0]:
            # application-data records per side, as tshark counts them (no key log: opaque type 23)
            # (TLS 1.3 records are tshark's tls.record.opaque_type)
            rec = tshark(pcap, ["tcp.dstport", "tls.record.content_type", "tls.record.opaque_type"],
                         ["-d", "tcp.port==3389,tls"], "tls.record")
            per = [0, 0]
            for t in rec.values():
                types = t["tls.record.content_type"].split("|") + t["tls.record.opaque_type"].split("|")
                per[t["tcp.dstport"] != "3389"] += types.count("23")
            check([endk[0]["client_records"], endk[0]["server_records"]] == per, case,
                  f"record counts {endk[0].get('client_records')}/{endk[0].get('server_records')} vs tshark {per}")
        ch = [m for m in nk if m.get("tls_msg") == "client_hello"]
        check(len(ch) == (1 if want["stage"] != "negotiation" else 0), case, "ClientHello without key log")

    print(f"rdp_tshark: {checks} checks, {fails} mismatches " +
          (", ".join(f"{k}: {v}" for k, v in mism.items()) if mism else ""))
    print(f"{checks - fails} passed, {fails} failed")
    return 1 if fails else 0


if __name__ == "__main__":
    sys.exit(main())
