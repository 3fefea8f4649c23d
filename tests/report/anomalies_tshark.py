#!/usr/bin/env python3
"""anomalies_tshark.py HOPSNIFF MESSAGE_SCHEMA THIRD_PARTY_DIR LAB_DIR - the
anomalies of `hopsniff decode --json` against tshark's view of the same
frames, on the real captures and on the views admins make of them.

Captures: THIRD_PARTY_DIR/windows-real/* and zeek/*, LAB_DIR/*/*.pcapng, and
three noise views made with editcap from the real Windows captures:
 - keepalive: smb-on-windows-10.pcapng from frame 900 on: the SMB connection
   is picked up on a 1-byte TCP keep-alive (tshark: tcp.analysis.keep_alive
   on its later copies);
 - ldap_gap: purplesharp_ad_playbook_I with every 7th LDAP data frame of the
   first 400 removed: LDAP connections with capture gaps, resumed by empty
   ACKs of the unseen bytes;
 - the psexec capture itself, whose SMB2 READ responses 239 and 240 carry
   STATUS_PIPE_DISCONNECTED in a READ body (tshark accepts them).
Checks:
 - every line (message or anomaly) is valid against docs/message.schema.json;
 - every anomaly of a kind this check covers (KINDS) sits on a frame, or next
   to one, that tshark finds damaged: malformed, cut by the snaplen, after a
   lost segment or acknowledging an unseen one;
 - the noise views and the psexec READ responses produce none of KINDS.
Exits 77 without tshark or python3-jsonschema, 1 on a mismatch."""
import glob
import json
import os
import shutil
import subprocess
import sys
import tempfile

KINDS = ("malformed_smb", "not_smb", "malformed_dcerpc", "dcerpc_pipe_pdu_too_large", "malformed_ldap",
         "truncated_pdu", "malformed_kerberos", "malformed_spnego")


def damaged(path):
    out = subprocess.run(["tshark", "-n", "-r", path, "-T", "fields", "-E", "separator=|", "-e", "frame.number",
                          "-e", "frame.cap_len", "-e", "frame.len", "-e", "_ws.malformed",
                          "-e", "tcp.analysis.lost_segment", "-e", "tcp.analysis.ack_lost_segment"],
                         capture_output=True, text=True).stdout
    bad = set()
    for line in out.splitlines():
        no, cap, wire, mal, lost, acklost = line.split("|")
        if mal or int(cap) < int(wire) or lost or acklost:
            bad.add(int(no))
    return bad


def main():
    hs, schema_path, tp, lab = sys.argv[1:5]
    if not shutil.which("tshark") or not shutil.which("editcap"):
        print("SKIP: no tshark / editcap")
        return 77
    try:
        import jsonschema
    except ImportError:
        print("SKIP: no python3-jsonschema")
        return 77
    schema = json.load(open(schema_path))
    wr = os.path.join(tp, "windows-real")
    caps = sorted(glob.glob(os.path.join(wr, "*.cap")) + glob.glob(os.path.join(wr, "*.pcap*")) +
                  glob.glob(os.path.join(tp, "zeek", "*.pcap*")) + glob.glob(os.path.join(lab, "*", "*.pcapng")))
    tmp = tempfile.mkdtemp(prefix="hs-anom-")
    noise = {}
    try:
        ka = os.path.join(tmp, "keepalive.pcapng")
        subprocess.run(["editcap", "-r", os.path.join(wr, "smb-on-windows-10.pcapng"), ka, "900-1000"], check=True)
        noise[ka] = set()
        ps = os.path.join(wr, "purplesharp_ad_playbook_I_2020-10-22042947.cap")
        ldap = subprocess.run(["tshark", "-n", "-r", ps, "-Y", "tcp.port == 389 && tcp.len > 0", "-T", "fields",
                               "-e", "frame.number"], capture_output=True, text=True).stdout.split()[:400]
        gap = os.path.join(tmp, "ldap_gap.pcap")
        subprocess.run(["editcap", ps, gap] + ldap[2::7], check=True)
        noise[gap] = set()
        psexec = os.path.join(wr, "20171220_smb_psexec_add_user.pcap")
        noise[psexec] = {239, 240}  # frames that must be free of anomalies (the whole capture is checked as usual)
        caps += [ka, gap]
        checks = fails = 0
        for path in caps:
            errs = []
            out = subprocess.run([hs, "decode", "--json", "-r", path], capture_output=True, text=True).stdout
            bad = None
            seen = []
            for line in out.splitlines():
                d = json.loads(line)
                checks += 1
                try:
                    jsonschema.validate(d, schema)
                except jsonschema.ValidationError as e:
                    errs.append(f"frame {d.get('frame')}: not valid against the schema: {e.message[:120]}")
                if "anomaly" not in d or d["anomaly"] not in KINDS:
                    continue
                seen.append(d)
                if bad is None:
                    bad = damaged(path)
                checks += 1
                n = d["frame"]
                if not any(f in bad for f in (n - 1, n, n + 1)):
                    errs.append(f"{d['anomaly']} at frame {n}: tshark sees nothing wrong there ({d['detail'][:90]})")
            if path in noise:
                must = noise[path]
                checks += 1
                hits = [d for d in seen if not must or d["frame"] in must]
                if hits:
                    errs.append("noise view with anomalies: " + ", ".join(f"{d['anomaly']}@{d['frame']}" for d in hits))
            name = os.path.relpath(path, tmp) if path.startswith(tmp) else os.path.basename(path)
            if errs:
                fails += 1
                print(f"FAIL {name}:\n  " + "\n  ".join(errs[:12]))
            else:
                print(f"PASS {name}: {len(seen)} anomalies of the checked kinds")
        print(f"{checks} checks, {fails} captures failed")
        return 1 if fails or checks == 0 else 0
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


sys.exit(main())
