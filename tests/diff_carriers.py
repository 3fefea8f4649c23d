#!/usr/bin/env python3
"""diff_carriers.py HOPSNIFF CAPTURE... - hopsniff's second-hop carriers vs tshark.

For every capture, runs `hopsniff decode --json -r F` and tshark (the
independent oracle) and compares, frame by frame, the fields both report:

  ntlmssp.auth.username / domain / hostname  <-> ntlmssp "user" / "domain" / "workstation" (AUTHENTICATE)
  spnego.negResult / spnego.supportedMech    <-> spnego "neg_result" / "supported_mech"
  smb2.cmd, smb2.nt_status (responses)       <-> smb2 (smb 2) "command_code", "status_code"
  smb2.tree (TREE_CONNECT requests)          <-> smb2 "tree"
  smb2.current_time (NEGOTIATE responses)    <-> smb2 "system_time" (to the microsecond; Wireshark 4.2+
                                                 names the field smb2.systime: whichever tshark has)
  smb.cmd (first command), smb.nt_status     <-> smb2 (smb 1) "command_code", "status_code"
  ldap.protocolOp, ldap.resultCode           <-> ldap "op_code", "result_code"
  ldap.authentication, ldap.mechanism        <-> ldap "auth_code", "mechanism"
  dcerpc.auth_type, dcerpc.auth_level        <-> dcerpc "auth_type_code", "auth_level_code"

Values are compared as per-frame multisets (a frame can hold several PDUs).
A disagreement is "explained" only by a rule in EXPLAINED (capture, field,
reason); anything else fails.  The last line is "N passed, N failed".
Python 3 standard library only.
"""
import collections
import datetime
import json
import os
import subprocess
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "lab"))
from tshark_opts import tshark_opts  # noqa: E402  (the scenario's decode-as for tshark)

# (capture basename, field or "*", frame or None) -> why hopsniff and tshark legitimately differ
EXPLAINED = {
    ("krb_smb2_krb.pcap", "*", 43):
        "frame 43 was cut by the capture's snaplen (12018 bytes on the wire, 9945 missing): tshark dissects the "
        "first SMB2 header of the truncated frame; hopsniff's engine reports tcp_gap and drops the partial "
        "session message, as it must (it cannot know the rest)",
    ("smb_raw_ntlm_in_smb.pcap", "smb.cmd", 46):
        "BROWSER Local Master Announcement: SMB TRANSACTION in a NetBIOS datagram (UDP 138 broadcast), "
        "no authentication carrier; hopsniff registers SMB on TCP 139/445 only",
    ("smb_raw_ntlm_in_smb.pcap", "smb.cmd", 47):
        "the same announcement again (UDP 138 broadcast)",
}
# BROWSER announcements (SMB TRANSACTION 0x25 in NetBIOS datagrams, UDP 138 broadcasts) of the real Windows
# captures, listed from tshark -Y 'udp.port == 138 && smb.cmd == 0x25': no authentication carrier, as above
for _cap, _frames in (("smb-on-windows-10.pcapng", (1, 20, 88, 105, 106, 107, 176, 177, 178, 282, 443, 447, 661, 801, 923)),
                      ("20171220_smb_psexec_add_user.pcap", (370,))):
    for _f in _frames:
        EXPLAINED[(_cap, "smb.cmd", _f)] = "BROWSER announcement in a NetBIOS datagram (UDP 138 broadcast): no authentication carrier"

TSHARK_FIELDS = [
    "ntlmssp.auth.username", "ntlmssp.auth.domain", "ntlmssp.auth.hostname",
    "spnego.negResult", "spnego.supportedMech",
    "smb2.cmd", "smb2.nt_status", "smb2.flags.response", "smb2.tree",
    "smb.cmd", "smb.nt_status", "smb.flags.response",
    "ldap.protocolOp", "ldap.resultCode", "ldap.authentication", "ldap.mechanism",
    "dcerpc.auth_type", "dcerpc.auth_level",
    "smb2.current_time",
]


def systime_field():
    """The NEGOTIATE response SystemTime's field name in this tshark."""
    out = subprocess.run(["tshark", "-G", "fields"], capture_output=True, text=True).stdout
    names = {line.split("\t")[2] for line in out.splitlines() if line.startswith("F\t")}
    return "smb2.systime" if "smb2.systime" in names else "smb2.current_time"


def tshark_time(v):
    """'Mar 29, 2017 14:19:51.689437000 UTC' -> '2017-03-29T14:19:51.689437Z' (hopsniff's form)."""
    mon, day, year, hms = v.replace(",", "").split()[:4]
    sec, _, frac = hms.partition(".")
    t = datetime.datetime.strptime(f"{mon} {day} {year} {sec}", "%b %d %Y %H:%M:%S")
    return t.strftime("%Y-%m-%dT%H:%M:%S") + ".%06dZ" % int((frac + "000000000")[:6])


SYSTIME = "smb2.current_time"


def tshark(path):
    cmd = ["tshark", "-r", path] + tshark_opts(path) + ["-T", "fields", "-E", "separator=\t", "-E", "occurrence=a",
           "-E", "aggregator=\x1f", "-e", "frame.number"]
    for f in TSHARK_FIELDS:
        cmd += ["-e", SYSTIME if f == "smb2.current_time" else f]
    out = subprocess.run(cmd, check=True, capture_output=True, text=True).stdout
    frames = {}
    for line in out.splitlines():
        cols = line.split("\t")
        n = int(cols[0])
        vals = {}
        for f, v in zip(TSHARK_FIELDS, cols[1:]):
            vals[f] = v.split("\x1f") if v else []
        frames[n] = vals
    return frames


def hopsniff(hs, path):
    out = subprocess.run([hs, "decode", "--json", "-r", path], check=True, capture_output=True,
                         text=True).stdout
    by_frame = collections.defaultdict(list)
    for line in out.splitlines():
        m = json.loads(line)
        if "proto" in m:
            by_frame[m["frame"]].append(m)
    return by_frame


def ntlm_objects(msgs):
    """NTLM messages, raw or inside SPNEGO's mech_token."""
    for m in msgs:
        if m.get("proto") == "ntlmssp":
            yield m
        elif m.get("proto") == "spnego" and isinstance(m.get("mech_token"), dict) \
                and m["mech_token"].get("proto") == "ntlmssp":
            yield m["mech_token"]


def ours(msgs):
    """The same fields as TSHARK_FIELDS, from hopsniff's messages of one frame."""
    v = collections.defaultdict(list)
    for n in ntlm_objects(msgs):
        if n.get("ntlm_type") == 3:
            v["ntlmssp.auth.username"].append(n.get("user") or "NULL")
            v["ntlmssp.auth.domain"].append(n.get("domain") or "NULL")
            v["ntlmssp.auth.hostname"].append(n.get("workstation") or "NULL")
    for m in msgs:
        p = m.get("proto")
        if p == "spnego":
            if "neg_result" in m:
                v["spnego.negResult"].append(str(m["neg_result"]))
            if "supported_mech" in m:
                v["spnego.supportedMech"].append(m["supported_mech"])
        elif p == "smb2" and m.get("smb") == 2:
            v["smb2.cmd"].append(str(m["command_code"]))
            if m.get("response") and "status_code" in m:
                v["smb2.nt_status"].append(m["status_code"])
            if m.get("command") == "TREE_CONNECT" and not m.get("response") and "tree" in m:
                v["smb2.tree"].append(m["tree"])
            if "system_time" in m:
                v["smb2.current_time"].append(m["system_time"])
        elif p == "smb2" and m.get("smb") == 1:
            v["smb.cmd"].append("0x%02x" % m["command_code"])
            if m.get("response") and "status_code" in m:
                v["smb.nt_status"].append(m["status_code"])
        elif p == "ldap" and "op_code" in m:
            v["ldap.protocolOp"].append(str(m["op_code"]))
            if "result_code" in m:
                v["ldap.resultCode"].append(str(m["result_code"]))
            if "auth_code" in m:
                v["ldap.authentication"].append(str(m["auth_code"]))
            if m.get("auth") == "sasl" and "mechanism" in m:
                v["ldap.mechanism"].append(m["mechanism"])
        elif p == "dcerpc" and "auth_type_code" in m:
            v["dcerpc.auth_type"].append(str(m["auth_type_code"]))
            v["dcerpc.auth_level"].append(str(m["auth_level_code"]))
    return v


def theirs(t):
    """tshark's values, normalised to what is compared."""
    v = {}
    v["ntlmssp.auth.username"] = t["ntlmssp.auth.username"]
    v["ntlmssp.auth.domain"] = t["ntlmssp.auth.domain"]
    v["ntlmssp.auth.hostname"] = t["ntlmssp.auth.hostname"]
    v["spnego.negResult"] = t["spnego.negResult"]
    v["spnego.supportedMech"] = t["spnego.supportedMech"]
    v["smb2.cmd"] = t["smb2.cmd"]
    v["smb2.nt_status"] = ["0x%08x" % int(s, 16) for s in t["smb2.nt_status"]]
    # smb2.tree: tshark also names the tree on later commands; compare on TREE_CONNECT requests only
    trees = []
    cmds, resp, tr = t["smb2.cmd"], t["smb2.flags.response"], t["smb2.tree"]
    if len(cmds) == len(resp) == len(tr):
        trees = [x for c, r, x in zip(cmds, resp, tr) if c == "3" and r in ("0", "False")]
    elif "3" in cmds and not any(r in ("1", "True") for r in resp):
        trees = tr[:1]
    v["smb2.tree"] = trees
    # SMB1 AndX chains list 0xff ("no further command") after the real one: keep the first
    v["smb.cmd"] = [c for c in t["smb.cmd"] if c != "0xff"][:1]
    # SMB1 requests carry a zero status field too: compare responses only
    if any(r in ("1", "True") for r in t["smb.flags.response"]):
        v["smb.nt_status"] = ["0x%08x" % int(s, 16) for s in t["smb.nt_status"]][:1]
    v["ldap.protocolOp"] = t["ldap.protocolOp"]
    v["ldap.resultCode"] = t["ldap.resultCode"]
    v["ldap.authentication"] = t["ldap.authentication"]
    v["ldap.mechanism"] = t["ldap.mechanism"]
    v["dcerpc.auth_type"] = t["dcerpc.auth_type"]
    v["dcerpc.auth_level"] = t["dcerpc.auth_level"]
    # a SystemTime of 0 means "not given" (MS-SMB2 2.2.4); tshark prints it as a date before 1970
    v["smb2.current_time"] = [tshark_time(x) for x in t["smb2.current_time"] if not x.startswith(("Jan  1, 1601", "Jan  1, 1970"))]
    return v


def main():
    if len(sys.argv) < 3:
        print(__doc__, file=sys.stderr)
        return 2
    hs = sys.argv[1]
    global SYSTIME
    SYSTIME = systime_field()
    passed = failed = explained = 0
    for path in sys.argv[2:]:
        base = os.path.basename(path)
        ts = tshark(path)
        hm = hopsniff(hs, path)
        cap_pass = cap_fail = cap_expl = 0
        for frame in sorted(set(ts) | set(hm)):
            t = theirs(ts[frame]) if frame in ts else collections.defaultdict(list)
            o = ours(hm.get(frame, []))
            # SMB1 replies to a NEGOTIATE carry an SMB2 response on an SMB2 server
            for field in TSHARK_FIELDS:
                if field in ("smb2.flags.response", "smb.flags.response"):
                    continue
                a, b = sorted(t.get(field, [])), sorted(o.get(field, []))
                if not a and not b:
                    continue
                if a == b:
                    cap_pass += 1
                    continue
                why = (EXPLAINED.get((base, field, frame)) or EXPLAINED.get((base, "*", frame))
                       or EXPLAINED.get((base, field, None)) or EXPLAINED.get((base, "*", None)))
                if why:
                    cap_expl += 1
                    continue
                cap_fail += 1
                print("FAIL %s frame %d %s: tshark %s, hopsniff %s" % (base, frame, field, a, b))
        print("%s: %d agree, %d explained, %d disagree" % (base, cap_pass, cap_expl, cap_fail))
        passed += cap_pass
        failed += cap_fail
        explained += cap_expl
    if explained:
        print("explained disagreements: %d" % explained)
        for (cap, field, frame), why in EXPLAINED.items():
            print("  %s %s%s: %s" % (cap, field, " frame %d" % frame if frame else "", why))
    print("%d passed, %d failed" % (passed, failed))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
