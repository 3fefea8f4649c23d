#!/usr/bin/env python3
"""smb_pipes_tshark.py HOPSNIFF CAPTURE... - DCE/RPC over SMB2 named pipes
(MS-RPCE 2.1.1.2) against tshark, frame by frame.

For every frame in which tshark dissects DCE/RPC carried by SMB2 (WRITE,
READ, IOCTL FSCTL_PIPE_TRANSCEIVE), hopsniff's `decode --json` must hold the
same PDUs with carrier "smb2": packet type and call id in order, the opnum of
requests, the interface UUIDs a bind / alter_context offers, the auth type;
and its "pipe" must be the name tshark gives the CREATE of that FileId.  The
other way round, hopsniff emits no pipe PDU where tshark sees none.  SMB2
CREATE names and FileIds are compared too (smb2.filename, smb2.fid).
Exits 77 without tshark, 1 on a mismatch or when nothing was compared."""
import json
import shutil
import subprocess
import sys


def tshark(path, flt, fields):
    cmd = ["tshark", "-n", "-r", path, "-Y", flt, "-T", "fields", "-E", "separator=|", "-E", "occurrence=a",
           "-E", "aggregator=,"]
    for f in fields:
        cmd += ["-e", f]
    out = subprocess.run(cmd, capture_output=True, text=True).stdout  # exit 2 on a cut-short capture
    return [line.split("|") for line in out.splitlines()]


def ints(v):
    return [int(x, 0) for x in v.split(",") if x]


def main():
    hs, caps = sys.argv[1], sys.argv[2:]
    if not shutil.which("tshark"):
        print("SKIP: no tshark")
        return 77
    checks = fails = 0
    for path in caps:
        errs = []
        p = subprocess.run([hs, "decode", "--json", "-r", path], capture_output=True, text=True)
        rpc, smb = {}, {}
        for line in p.stdout.splitlines():
            d = json.loads(line)
            if d.get("proto") == "dcerpc" and d.get("carrier") == "smb2":
                rpc.setdefault(d["frame"], []).append(d)
            elif d.get("proto") == "smb2":
                smb.setdefault(d["frame"], []).append(d)
        # file id -> name, from tshark's CREATE responses
        names = {}
        for no, fid, fname, resp in tshark(path, "smb2.cmd == 5 && smb2.flags.response == 1",
                                           ["frame.number", "smb2.fid", "smb2.filename", "smb2.flags.response"]):
            for f in fid.split(","):
                names[f] = fname.split(",")[0]
        seen = set()
        for no, ptype, call, opnum, uuids, atype, fid in tshark(
                path, "dcerpc && smb2", ["frame.number", "dcerpc.pkt_type", "dcerpc.cn_call_id", "dcerpc.opnum",
                                          "dcerpc.cn_bind_to_uuid", "dcerpc.auth_type", "smb2.fid"]):
            n = int(no)
            seen.add(n)
            got = rpc.get(n, [])
            checks += 1
            want = list(zip(ints(ptype), ints(call)))
            have = [(d["ptype_code"], d["call_id"]) for d in got]
            if have != want:
                errs.append(f"frame {n}: PDUs (type, call) {have}, tshark {want}")
                continue
            req_ops = [o for (t, _), o in zip(want, ints(opnum) + [None] * len(want)) if t == 0]
            have_ops = [d["opnum"] for d in got if d["ptype_code"] == 0]
            if req_ops and have_ops != req_ops:
                errs.append(f"frame {n}: request opnums {have_ops}, tshark {req_ops}")
            have_uuids = sorted({c["uuid"] for d in got for c in d.get("contexts", [])})
            if have_uuids != sorted(set(u for u in uuids.split(",") if u)):
                errs.append(f"frame {n}: interfaces {have_uuids}, tshark {uuids}")
            have_auth = [d["auth_type_code"] for d in got if "auth_type_code" in d]
            if have_auth != ints(atype):
                errs.append(f"frame {n}: auth types {have_auth}, tshark {atype}")
            pipe = names.get(fid.split(",")[0]) if fid else None
            if pipe and any(d.get("pipe") != pipe for d in got):
                errs.append(f"frame {n}: pipe {[d.get('pipe') for d in got]}, tshark's CREATE names {pipe}")
        for n in sorted(set(rpc) - seen):
            checks += 1
            errs.append(f"frame {n}: {len(rpc[n])} pipe PDUs, tshark none")
        for no, fname in tshark(path, "smb2.cmd == 5 && smb2.flags.response == 0 && smb2.filename",
                                ["frame.number", "smb2.filename"]):
            checks += 1
            have = [d.get("file") for d in smb.get(int(no), []) if d.get("command") == "CREATE"]
            if fname.split(",")[0] not in have:
                errs.append(f"frame {no}: CREATE file {have}, tshark {fname}")
        for no, fid in tshark(path, "smb2.cmd == 5 && smb2.flags.response == 1 && smb2.nt_status == 0",
                              ["frame.number", "smb2.fid"]):
            checks += 1
            have = [d.get("file_id") for d in smb.get(int(no), []) if d.get("command") == "CREATE"]
            if not set(f for f in fid.split(",") if f) <= set(have):
                errs.append(f"frame {no}: CREATE FileId {have}, tshark {fid}")
        npdu = sum(len(v) for v in rpc.values())
        if errs:
            fails += 1
            print(f"FAIL {path}:\n  " + "\n  ".join(errs[:20]))
        else:
            print(f"PASS {path}: {npdu} pipe PDUs in {len(seen)} frames")
    print(f"{checks} checks, {fails} captures failed")
    return 1 if fails or checks == 0 else 0


sys.exit(main())
