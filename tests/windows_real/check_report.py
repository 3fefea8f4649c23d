#!/usr/bin/env python3
"""check_report.py [--decode] HOPSNIFF TRUTH_DIR THIRD_PARTY_DIR - hopsniff on
the real Windows captures (THIRD_PARTY_DIR/windows-real) against the ground
truth written from tshark (TRUTH_DIR/*.json; how each fact was read:
README.md beside this script).

Report mode (default): `hopsniff --json -r CAPTURE` per capture, checked on
 - chains: one per remoting session (remoting_sessions + inferred_sessions);
   each chain is matched to the session whose connections hold its hop 1
   frames, else whose owned frames it cites;
 - evidence: every frame a chain cites (hops[].frames,
   delegation.evidence_frames) belongs to that chain's session: a frame of
   one of its WinRM connections or one of its owned_frames; frames of
   second hops / KDC exchanges marked "uncertain" may be cited by any
   chain, but never to support "failed";
 - every hop after the first is a second hop of the chain's session (or an
   "uncertain" one): command-and-control HTTP is none;
 - no "failed" without a refusal (refusals[]) that belongs to the chain;
 - method kerberos_unconstrained exactly for the sessions whose hop 1
   carries a forwarded TGT (forwarded_tgt);
 - captured_at never names another host than the truth's vantage point
   (client, server1), and names it when the capture holds more than one
   conversation (a single one could have been taken at either end);
 - exit status = expected.exit.
In ctest as windows_real_report.  Prints per capture what fails.

Decode mode (--decode; in ctest as windows_real_decode): the decoding facts
of the same truth files, from `hopsniff decode --json`:
 - every KDC exchange's frames decoded as Kerberos, KRB-ERRORs with the code
   the truth names;
 - every remoting session's AP-REQ frames decoded as Kerberos AP-REQs
   carried by HTTP;
 - every named pipe the truth lists: its CREATE request names it;
 - the user-to-user TGT-REQ frames decoded as such, with the server name.
Exits 77 without tshark, 1 on a mismatch or when nothing was compared."""
import glob
import json
import os
import re
import shutil
import subprocess
import sys


def frames_by_conn(path):
    """frame -> (ip_a, port_a, ip_b, port_b) of its TCP connection (tshark)."""
    out = subprocess.run(["tshark", "-n", "-r", path, "-Y", "tcp", "-T", "fields", "-E", "separator=|",
                          "-e", "frame.number", "-e", "ip.src", "-e", "tcp.srcport", "-e", "ip.dst",
                          "-e", "tcp.dstport"], capture_output=True, text=True).stdout
    conns = {}
    for line in out.splitlines():
        no, s, sp, d, dp = line.split("|")
        conns[int(no)] = ((s, int(sp)), (d, int(dp)))
    return conns


def session_frames(sess, conns):
    """Frames of a session: its WinRM connections' (client port listed) and its owned frames."""
    own = set(sess.get("owned_frames", []))
    ports = set(sess.get("connections", []))
    for no, (a, b) in conns.items():
        for cli, srv in ((a, b), (b, a)):
            if cli[0] == sess.get("client") and srv[0] == sess.get("server") and cli[1] in ports \
                    and srv[1] == sess.get("port"):
                own.add(no)
    return own


def cited(chain):
    fr = set()
    for h in chain.get("hops", []):
        fr |= {f["frame"] for f in h.get("frames", []) if f.get("input", 0) == 0}
    fr |= {f["frame"] for f in (chain.get("delegation") or {}).get("evidence_frames", []) if f.get("input", 0) == 0}
    return fr


def check_report(hs, truth, path):
    errs = []
    p = subprocess.run([hs, "--json", "-r", path], capture_output=True, text=True)
    try:
        rep = json.loads(p.stdout)
    except ValueError:
        return [f"exit {p.returncode}, no JSON report: {p.stderr.strip()[:200]}"]
    conns = frames_by_conn(path)
    sessions = truth["remoting_sessions"] + truth.get("inferred_sessions", [])
    sframes = {s["id"]: session_frames(s, conns) for s in sessions}
    uncertain = set()
    for item in truth.get("second_hops", []) + truth.get("kdc_exchanges", []):
        if item.get("session") == "uncertain":
            uncertain |= set(item.get("frames", []))
    refused = {r["session"] for r in truth.get("refusals", [])}
    chains = rep.get("chains", [])
    if len(chains) != len(sessions):
        errs.append(f"{len(chains)} chains for {len(sessions)} remoting sessions")
    matched = {}
    for c in chains:
        fr = cited(c)
        hop1 = next((h for h in c.get("hops", []) if h.get("index") == 1), None)
        h1 = {f["frame"] for f in hop1.get("frames", [])} if hop1 else set()
        sid = next((s for s, sf in sframes.items() if h1 and h1 <= sf), None)
        if sid is None:
            best = max(sframes.items(), key=lambda kv: len(kv[1] & fr), default=(None, set()))
            sid = best[0] if best[1] & fr else None
        verdict = (c.get("delegation") or {}).get("verdict")
        if sid is None:
            errs.append(f"chain {c['id']} matches no remoting session (cites frames {sorted(fr)[:8]})")
            continue
        matched.setdefault(sid, []).append(c["id"])
        foreign = sorted(fr - sframes[sid] - uncertain)
        if foreign:
            errs.append(f"chain {c['id']} (session {sid}) cites frames not of its session: {foreign[:10]}")
        for h in c.get("hops", []):
            if h.get("index", 1) < 2:
                continue
            cl, sv = (h.get("client") or {}).get("ip"), (h.get("server") or {}).get("ip")
            port = (h.get("server") or {}).get("port")
            if not any(x["from"] == cl and x["to"] == sv and x.get("port") == port and
                       x.get("session") in (sid, "uncertain") for x in truth.get("second_hops", [])):
                errs.append(f"chain {c['id']} (session {sid}) shows hop {h['index']} {cl} -> {sv}:{port} "
                            f"({h.get('carrier')}), no second hop of its session")
        # a forwarded TGT in hop 1 (the AP-REQ size, README) is the client
        # asking for unconstrained delegation; none, and it is not
        sess = next(x for x in sessions if x["id"] == sid)
        if "forwarded_tgt" in sess:
            unc = (c.get("delegation") or {}).get("method") == "kerberos_unconstrained"
            if unc != sess["forwarded_tgt"]:
                errs.append(f"chain {c['id']} (session {sid}): method {c['delegation']['method']}, "
                            f"but hop 1 {'carries' if sess['forwarded_tgt'] else 'carries no'} forwarded TGT")
        if verdict == "failed" and sid not in refused:
            errs.append(f"chain {c['id']} (session {sid}) 'failed' without a refusal of its own")
    for sid, ids in matched.items():
        if len(ids) > 1:
            errs.append(f"session {sid} split into chains {ids}")
    for s in sessions:
        if s["id"] not in matched:
            errs.append(f"session {s['id']} ({s.get('client')} -> {s.get('server', s.get('server_name'))}) has no chain")
    # where the capture was taken (truth "vantage": client / client1 / server1 ...)
    at = {"client": "client", "client1": "client", "server1": "server1", "dc": "dc"}.get(
        truth.get("vantage", "").split(" ")[0].lower())
    # never a wrong claim; with more than one conversation the point is known
    pairs = {frozenset((a[0], b[0])) for a, b in conns.values()}
    for c in chains:
        got = c.get("captured_at", [])
        if at and (set(got) - {at} or (len(pairs) > 1 and got != [at])):
            errs.append(f"chain {c['id']}: captured_at {got}, the capture was taken at {at}")
    want = truth["expected"]["exit"]
    if p.returncode != want:
        errs.append(f"exit {p.returncode}, want {want}")
    return errs


def decode_msgs(hs, path):
    p = subprocess.run([hs, "decode", "--json", "-r", path], capture_output=True, text=True)
    msgs = {}
    for line in p.stdout.splitlines():
        d = json.loads(line)
        if "frame" in d and "proto" in d:
            msgs.setdefault(d["frame"], []).append(d)
    return msgs, p.returncode


def krb_in(m):
    """The Kerberos message in a decoded message (itself, or SPNEGO's mech_token)."""
    if m.get("proto") == "kerberos":
        return m
    mt = m.get("mech_token")
    if isinstance(mt, dict) and mt.get("proto") == "kerberos":
        return mt
    return None


def check_decode(hs, truth, path):
    errs, n = [], 0
    msgs, rc = decode_msgs(hs, path)
    if rc != 0:
        errs.append(f"decode exit {rc}")
    for x in truth.get("kdc_exchanges", []):
        for f in x["frames"]:
            n += 1
            ks = [k for k in map(krb_in, msgs.get(f, [])) if k]
            if not ks:
                errs.append(f"frame {f} ({x['service']}): no Kerberos message decoded")
                continue
            code = re.search(r"\((\d+)\)$", x["result"])
            if code and f == x["frames"][-1]:
                if not any(k.get("error_code") == int(code.group(1)) for k in ks):
                    errs.append(f"frame {f}: KRB-ERROR {code.group(1)} not decoded")
    for s in truth.get("remoting_sessions", []):
        for f in s.get("ap_req_frames", []):
            n += 1
            ok = any(m.get("carrier") == "http" and (krb_in(m) or {}).get("msg") == "AP-REQ" for m in msgs.get(f, []))
            if not ok:
                errs.append(f"frame {f}: hop 1 AP-REQ over HTTP not decoded")
    for pipe in truth.get("pipes", []):
        f = pipe["create_frames"][0]
        n += 1
        names = [m.get("pipe") or m.get("file") for m in msgs.get(f, []) if m.get("proto") == "smb2"]
        first = pipe["pipe"].split(",")[0]
        if not any(nm and nm.lower() == first.lower() for nm in names):
            errs.append(f"frame {f}: CREATE of pipe {first} not decoded (got {names})")
    for u in truth.get("u2u", []):
        n += 1
        ks = [k for k in map(krb_in, msgs.get(u["frame"], [])) if k]
        if not any(k.get("msg") == "KRB-TGT-REQ" and k.get("sname") == u["server_name"] for k in ks):
            errs.append(f"frame {u['frame']}: user-to-user TGT-REQ for {u['server_name']} not decoded")
    return errs, n


def main():
    args = sys.argv[1:]
    decode = args[:1] == ["--decode"]
    if decode:
        args = args[1:]
    hs, tdir, tp = args
    if not shutil.which("tshark"):
        print("SKIP: no tshark")
        return 77
    wdir = os.path.join(tp, "windows-real")
    fails = checks = 0
    for tf in sorted(glob.glob(os.path.join(tdir, "*.json"))):
        truth = json.load(open(tf))
        path = os.path.join(wdir, truth["capture"])
        if not os.path.exists(path):
            print(f"FAIL {truth['capture']}: capture missing in {wdir}")
            fails += 1
            continue
        if decode:
            errs, n = check_decode(hs, truth, path)
            checks += n
        else:
            errs = check_report(hs, truth, path)
            checks += 1
        if errs:
            fails += 1
            print(f"FAIL {truth['capture']}:\n  " + "\n  ".join(errs))
        else:
            print(f"PASS {truth['capture']}")
    print(f"{checks} checks, {fails} captures failed")
    return 1 if fails or checks == 0 else 0


sys.exit(main())
