#!/usr/bin/env python3
"""Differential test: hopsniff's Kerberos decoding against tshark's.

For every capture given (files, or directories searched for *.pcap /
*.pcapng) that tshark finds Kerberos in, both tools decode it and, frame by
frame, these must agree:

  msg_type (nested AP-REQs included), error_code, PA-DATA types (padata and
  KRB-ERROR e-data), cname / sname (joined with "/"), realm, crealm, the KDC
  option bits (by name) and raw value, the request etype list, the etypes
  and kvnos of EncryptedData, NTSTATUS in e-data, include-pac, and the
  S4U user names (PA-FOR-USER, PA-S4U-X509-USER).

tshark is the oracle.  hopsniff messages are compared whatever carries
them: port 88, and GSS tokens in HTTP, SMB2, LDAP and DCE/RPC (also when
nested in SPNEGO).  Kerberos that tshark shows and hopsniff did not emit
fails, whatever carried it.

Known, explained differences (not failures):
  * tshark only looks for an NTSTATUS (KERB-EXT-ERROR, MS-KILE 2.2.1) in
    e-data for error codes 12, 13, 18 and 23 (packet-kerberos.c sets
    try_nt_status for those alone); hopsniff recognises it by shape, e.g.
    the PA-PW-SALT Samba sends with KDC_ERR_PREAUTH_FAILED.  An NTSTATUS
    hopsniff reports where tshark shows a pw-salt is printed, not failed.
  * A PDU tshark cannot decode (BER errors, no msg-type shown) agrees with
    a hopsniff message that carries decode_error.
  * tshark picks the shape of KRB-ERROR e-data from the error code: for
    KDC_ERR_BADOPTION it expects one PA-DATA (the Windows KERB-ERROR-DATA),
    so MIT's METHOD-DATA with PA-FX-FAST (RFC 6113 s5.4.3; krb_kinit.pcap
    frame 72, "TICKET NOT RENEWABLE") ends in a BER error and tshark shows
    none of it.  When tshark marks the frame malformed and what it shows is
    a part of what hopsniff shows, the extra is printed, not failed.
  * tshark leaves KRB-ERROR e-data as raw bytes for most error codes (e.g.
    52 KRB_ERR_RESPONSE_TOO_BIG, and errors whose e-data is a PA-FX-FAST
    reply, as Samba sends to FAST-armored MIT clients), while hopsniff
    decodes METHOD-DATA by shape.  Such a frame is explained only when this
    script decodes tshark's raw kerberos.e_data bytes itself (a small
    independent DER walker, edata_padata() below) and the PA-DATA types and
    etypes it finds are exactly what hopsniff reports beyond tshark.
  * In a PKINIT AS-REQ/AS-REP tshark also dissects the client certificate
    inside PA-PK-AS-REQ/REP and reports the realm and name of its
    id-pkinit-san (RFC 4556 s3.2.2) as kerberos.realm / KerberosString
    (krb_kinit.pcap frame 221); hopsniff lists PA-PK-AS-REQ by type only.

Usage: diff_kerberos.py --hopsniff PATH CAPTURE_OR_DIR...
Prints one line per disagreement and "N passed, N failed" at the end; exit
status 1 when anything failed.  Python 3 standard library only.
"""
import argparse
import json
import os
import subprocess
import sys
from collections import defaultdict

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "lab"))
from tshark_opts import tshark_opts  # noqa: E402  (a lab scenario's decode-as for tshark)

AGG = "\x1f"

BASE_FIELDS = [
    "frame.number", "udp.srcport", "udp.dstport", "tcp.srcport", "tcp.dstport",
    "kerberos.msg_type", "kerberos.error_code", "kerberos.padata_type",
    "kerberos.CNameString", "kerberos.cname_string", "kerberos.SNameString", "kerberos.sname_string",
    "kerberos.realm", "kerberos.crealm", "kerberos.kdc_options", "kerberos.ENCTYPE",
    "kerberos.etype", "kerberos.kvno", "kerberos.smb.nt_status", "kerberos.include_pac",
    "kerberos.KerberosString", "kerberos.name_string", "_ws.malformed", "kerberos.e_data",
]


def der(b, i):
    """(tag, content, next index) of the DER element at b[i]; definite lengths only"""
    tag = b[i]
    n = b[i + 1]
    i += 2
    if n & 0x80:
        k = n & 0x7f
        n = int.from_bytes(b[i:i + k], "big")
        i += k
    return tag, b[i:i + n], i + n


def der_seq(b):
    i, out = 0, []
    while i < len(b):
        t, c, i = der(b, i)
        out.append((t, c))
    return out


def edata_padata(hexstr):
    """Independent decode of raw KRB-ERROR e-data as METHOD-DATA (RFC 4120
    5.9.1 / 7.5.2): returns (padata types, etypes inside PA-ETYPE-INFO2
    entries and PA-FX-FAST reply EncryptedData), or None if not that shape."""
    try:
        b = bytes.fromhex(hexstr.replace(":", ""))
        t, body, end = der(b, 0)
        if t != 0x30 or end != len(b):
            return None
        types, etypes = [], []
        for t, pa in der_seq(body):
            f = dict(der_seq(pa))
            ptype = int.from_bytes(der(f[0xa1], 0)[1], "big", signed=True)
            value = der(f[0xa2], 0)[1]
            types.append(ptype)
            if ptype == 19:  # PA-ETYPE-INFO2: SEQUENCE OF { [0] etype, [1] salt, [2] s2kparams }
                for _, entry in der_seq(der(value, 0)[1]):
                    e = dict(der_seq(entry))
                    etypes.append(int.from_bytes(der(e[0xa0], 0)[1], "big", signed=True))
            elif ptype == 136:  # PA-FX-FAST reply: [0] KrbFastArmoredRep { [0] EncryptedData { [0] etype } }
                rep = der(der(value, 0)[1], 0)[1]
                enc = dict(der_seq(rep))[0xa0]
                ed = dict(der_seq(der(enc, 0)[1]))
                etypes.append(int.from_bytes(der(ed[0xa0], 0)[1], "big", signed=True))
        return types, etypes
    except (IndexError, KeyError, ValueError):
        return None


def kdc_option_fields():
    """(field, name) for every KDCOptions bit tshark knows, in bit order."""
    out = subprocess.run(["tshark", "-G", "fields"], capture_output=True, text=True).stdout
    res = []
    for line in out.splitlines():
        p = line.split("\t")
        if len(p) > 2 and p[2].startswith("kerberos.KDCOptions."):
            name = p[1]
            # Wireshark calls bit 14 "constrained-delegation"; RFC 4120 /
            # MS-SFU 2.2.4 (and hopsniff's contract) "cname-in-addl-tkt".
            if name == "constrained-delegation":
                name = "cname-in-addl-tkt"
            res.append((p[2], name))
    return res


def split(v):
    return [x for x in v.split(AGG)] if v != "" else []


def regroup(strings, counts):
    """tshark flattens name components; re-join them per name."""
    names, i = [], 0
    for c in counts:
        c = int(c)
        names.append("/".join(strings[i:i + c]))
        i += c
    if i < len(strings):  # counts missing: keep the rest as one name
        names.append("/".join(strings[i:]))
    return names


def tshark_frames(path, kdc_fields):
    fields = BASE_FIELDS + [f for f, _ in kdc_fields]
    cmd = ["tshark", "-r", path] + tshark_opts(path) + ["-Y", "kerberos", "-T", "fields", "-E", "aggregator=" + AGG,
           "-E", "occurrence=a"]
    for f in fields:
        cmd += ["-e", f]
    out = subprocess.run(cmd, capture_output=True, text=True).stdout
    frames = {}
    for line in out.splitlines():
        v = dict(zip(fields, line.split("\t")))
        fn = int(v["frame.number"])
        ports = set()
        for k in ("udp.srcport", "udp.dstport", "tcp.srcport", "tcp.dstport"):
            ports.update(int(x) for x in split(v.get(k, "")))
        kdc_bits = [split(v.get(f, "")) for f, _ in kdc_fields]
        n_opts = max((len(b) for b in kdc_bits), default=0)
        kdc_names = []
        for i in range(n_opts):
            kdc_names.append(tuple(sorted(name for (f, name), b in zip(kdc_fields, kdc_bits)
                                          if i < len(b) and b[i] in ("1", "True"))))
        frames[fn] = {
            "port88": 88 in ports,
            "malformed": v.get("_ws.malformed", "") != "",
            "msg_type": sorted(int(x) for x in split(v["kerberos.msg_type"])),
            "error_code": sorted(int(x) for x in split(v["kerberos.error_code"])),
            "padata": sorted(int(x) for x in split(v["kerberos.padata_type"])),
            "cname": sorted(regroup(split(v["kerberos.CNameString"]), split(v["kerberos.cname_string"]))),
            "sname": sorted(regroup(split(v["kerberos.SNameString"]), split(v["kerberos.sname_string"]))),
            "realm": sorted(split(v["kerberos.realm"])),
            "crealm": sorted(split(v["kerberos.crealm"])),
            "kdc_options_raw": sorted(x.lower() for x in split(v["kerberos.kdc_options"])),
            "kdc_options": sorted(kdc_names),
            "etypes": sorted(int(x) for x in split(v["kerberos.ENCTYPE"])),
            "enc_etypes": sorted(int(x) for x in split(v["kerberos.etype"])),
            "kvno": sorted(int(x) for x in split(v["kerberos.kvno"])),
            "ntstatus": sorted(int(x, 16) for x in split(v["kerberos.smb.nt_status"])),
            "include_pac": sorted(x in ("1", "True") for x in split(v["kerberos.include_pac"])),
            "s4u_user": sorted(regroup(split(v["kerberos.KerberosString"]), split(v["kerberos.name_string"]))),
            "e_data_raw": split(v.get("kerberos.e_data", "")),
        }
    return frames


def walk_tickets(o, out):
    """Every Ticket object inside a message (AP-REQ tickets, KDC-REP ticket,
    additional tickets, KRB-CRED tickets, FAST armor)."""
    if isinstance(o, dict):
        for k, v in o.items():
            if k == "ticket" and isinstance(v, dict):
                out.append(v)
            elif k in ("additional_tickets", "tickets") and isinstance(v, list):
                out.extend(x for x in v if isinstance(x, dict))
            walk_tickets(v, out)
    elif isinstance(o, list):
        for v in o:
            walk_tickets(v, out)


def walk_enc(o, out, key=None):
    """EncryptedData objects: {"etype", "size", ...}; a ticket's own
    etype/kvno copy is skipped (its enc_part is counted)."""
    if isinstance(o, dict):
        if "etype" in o and "size" in o:
            out.append(o)
        for k, v in o.items():
            walk_enc(v, out, k)
    elif isinstance(o, list):
        for v in o:
            walk_enc(v, out, key)


def nested_ap_reqs(m):
    n = 0
    if isinstance(m.get("ap_req"), dict):
        n += 1
    fast = m.get("fast")
    if isinstance(fast, dict) and isinstance(fast.get("armor"), dict):
        n += 1
    return n


def hopsniff_frames(hopsniff, path):
    out = subprocess.run([hopsniff, "decode", "--json", "-r", path], capture_output=True, text=True)
    frames = defaultdict(list)
    anomalies = defaultdict(list)
    for line in out.stdout.splitlines():
        line = line.strip()
        if not line.startswith("{"):
            continue
        o = json.loads(line)
        if "anomaly" in o:
            anomalies[o.get("frame")].append(o)
        elif o.get("proto") == "kerberos":
            frames[o["frame"]].append(o)
        elif o.get("proto") == "spnego" and isinstance(o.get("mech_token"), dict) \
                and o["mech_token"].get("proto") == "kerberos":
            frames[o["frame"]].append(o["mech_token"])  # Kerberos inside SPNEGO (SMB2, LDAP, HTTP ...)
    return frames, anomalies, out.returncode


def flatten(msgs):
    r = defaultdict(list)
    r["decode_error"] = []
    for m in msgs:
        if "decode_error" in m:
            r["decode_error"].append(m["decode_error"])
        if "msg_type" not in m:
            continue  # GSS MIC/Wrap tokens: tshark shows no Kerberos msg-type
        r["msg_type"].append(m["msg_type"])
        r["msg_type"] += [14] * nested_ap_reqs(m)
        if "error_code" in m:
            r["error_code"].append(m["error_code"])
        r["padata"] += m.get("padata", [])
        ed = m.get("e_data")
        if isinstance(ed, dict) and ed.get("kind") == "kerb-error-data":
            r["padata"].append(ed["data_type"])  # tshark dissects it as one PA-DATA
        if "cname" in m:
            r["cname"].append(m["cname"])
        if "sname" in m:
            r["sname"].append(m["sname"])
        if "realm" in m:
            r["realm"].append(m["realm"])
        if "crealm" in m:
            r["crealm"].append(m["crealm"])
        tickets = []
        walk_tickets(m, tickets)
        for t in tickets:
            if "sname" in t:
                r["sname"].append(t["sname"])
            if "realm" in t:
                r["realm"].append(t["realm"])
        s4u = m.get("s4u")
        if isinstance(s4u, dict) and s4u.get("source") == "PA-FOR-USER":
            r["realm"].append(s4u.get("realm"))
            r["s4u_user"].append(s4u.get("user"))
        x509 = m.get("s4u_x509")
        if isinstance(x509, dict):
            r["crealm"].append(x509.get("realm"))
            if "user" in x509:
                r["s4u_user"].append(x509["user"])
        if "kdc_options" in m:
            r["kdc_options"].append(tuple(sorted(m["kdc_options"])))
            r["kdc_options_raw"].append(m["kdc_options_raw"][2:].lower())
        r["etypes"] += m.get("etypes", [])
        encs = []
        walk_enc(m, encs)
        for e in encs:
            r["enc_etypes"].append(e["etype"])
            if "kvno" in e:
                r["kvno"].append(e["kvno"])
        for key in ("etype_info2", "etype_info"):
            for e in m.get(key, []):
                r["enc_etypes"].append(e["etype"])
        if "ntstatus" in m:
            r["ntstatus"].append(int(m["ntstatus"].split()[0], 16))
        if "include_pac" in m:
            r["include_pac"].append(bool(m["include_pac"]))
    return {k: sorted(v) for k, v in r.items()}


def is_sub(a, b):
    """multiset a is contained in multiset b"""
    rest = list(b)
    for x in a:
        if x not in rest:
            return False
        rest.remove(x)
    return True


COMPARED = ["msg_type", "error_code", "padata", "cname", "sname", "realm", "crealm", "kdc_options",
            "kdc_options_raw", "etypes", "enc_etypes", "kvno", "ntstatus", "include_pac", "s4u_user"]


def compare(path, kdc_fields, hopsniff, counts):
    t = tshark_frames(path, kdc_fields)
    if not t:
        return
    h, anomalies, rc = hopsniff_frames(hopsniff, path)
    name = os.path.basename(path)
    if rc not in (0, 1):
        print(f"FAIL {name}: hopsniff exit status {rc}")
        counts["failed"] += 1
        return
    for fn in sorted(set(t) | set(h)):
        tf = t.get(fn)
        hm = h.get(fn, [])
        where = f"{name} frame {fn}"
        if tf is None:
            print(f"FAIL {where}: hopsniff emitted {len(hm)} Kerberos message(s) tshark does not show")
            counts["failed"] += 1
            continue
        if not hm:
            print(f"FAIL {where}: tshark shows Kerberos{' on port 88' if tf['port88'] else ' in a carrier'},"
                  f" hopsniff emitted nothing (anomalies: {[a.get('anomaly') for a in anomalies.get(fn, [])]})")
            counts["failed"] += 1
            continue
        hf = flatten(hm)
        if not tf["msg_type"] and tf["malformed"]:
            # tshark could not decode the PDU at all
            if hf["decode_error"]:
                print(f"ok   {where}: malformed for both (tshark BER errors; hopsniff {hf['decode_error']})")
                counts["passed"] += 1
            else:
                print(f"FAIL {where}: tshark finds the PDU malformed, hopsniff decoded it")
                counts["failed"] += 1
            continue
        bad = []
        raw = None
        if 30 in tf["msg_type"] and not tf["padata"] and len(tf["e_data_raw"]) == 1:
            raw = edata_padata(tf["e_data_raw"][0])
        if raw and sorted(tf["padata"] + raw[0]) == hf.get("padata", []) and \
                sorted(tf["enc_etypes"] + raw[1]) == hf.get("enc_etypes", []):
            print(f"note {where}: tshark shows e-data raw for error {tf['error_code']}; decoded here"
                  f" independently as METHOD-DATA padata {raw[0]} etypes {raw[1]}, as hopsniff reports")
            tf = dict(tf, padata=hf.get("padata", []), enc_etypes=hf.get("enc_etypes", []))
        for k in COMPARED:
            tv, hv = tf[k], hf.get(k, [])
            if k == "ntstatus" and not tv and hv:
                print(f"note {where}: NTSTATUS {[hex(x) for x in hv]} in e-data that tshark shows as a"
                      f" pw-salt (tshark decodes KERB-EXT-ERROR for error codes 12/13/18/23 only)")
                continue
            if tv == hv:
                continue
            if tf["malformed"] and is_sub(tv, hv):
                print(f"note {where}: {k}: hopsniff {hv}, tshark only {tv}: tshark stopped at a BER error"
                      f" in this frame (_ws.malformed) and decoded less")
                continue
            if k in ("realm", "s4u_user") and (16 in tf["padata"] or 17 in tf["padata"]) and is_sub(hv, tv):
                print(f"note {where}: {k}: tshark {tv} also holds the id-pkinit-san KRB5PrincipalName of the"
                      f" certificate inside PA-PK-AS-REQ/REP (RFC 4556 s3.2.2), which hopsniff lists by type only")
                continue
            bad.append(f"{k}: tshark {tv} hopsniff {hv}")
        if bad:
            print(f"FAIL {where}: " + "; ".join(bad))
            counts["failed"] += 1
        else:
            counts["passed"] += 1


def captures(args):
    for a in args:
        if os.path.isdir(a):
            for root, dirs, files in sorted(os.walk(a)):
                dirs.sort()
                for f in sorted(files):
                    if f.endswith((".pcap", ".pcapng")):
                        yield os.path.join(root, f)
        else:
            yield a


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--hopsniff", required=True)
    ap.add_argument("inputs", nargs="+")
    a = ap.parse_args()
    kdc_fields = kdc_option_fields()
    if len(kdc_fields) != 32:
        print(f"FAIL tshark knows {len(kdc_fields)} KDCOptions bits, expected 32")
        return 1
    counts = {"passed": 0, "failed": 0}
    for path in captures(a.inputs):
        compare(path, kdc_fields, a.hopsniff, counts)
    print(f"{counts['passed']} passed, {counts['failed']} failed")
    return 1 if counts["failed"] or counts["passed"] == 0 else 0


if __name__ == "__main__":
    sys.exit(main())
