#!/usr/bin/env python3
"""keytab_tshark: what hopsniff decrypts with keytabs against tshark's own
Kerberos decryption (-o kerberos.decrypt:TRUE -o kerberos.file:KEYTAB), frame
by frame, on every lab scenario and vantage point.

Compared per frame, as multisets:
  tickets  - every decrypted EncTicketPart: (cname, crealm, flags)
  auths    - every decrypted Authenticator: (cname, GSS deleg flag or None,
             KRB-CRED present)
  credinfo - flags of the forwarded TGT's KrbCredInfo (KRB-CRED enc-part)
  reps     - flags of every decrypted EncKDCRepPart (AS-REP / TGS-REP)
  apreps   - every decrypted EncAPRepPart: (subkey etype, seq-number)
A field decrypted by one side only counts as a mismatch, except (counted
apart) a reply hopsniff marks "fast_armored" (its FAST armor key could not be
derived) that tshark opened, and tickets tshark decrypts inside the armoured
request body (enc-fast-req), which hopsniff does not open.

With --srv1: srv1's capture with srv1.keytab alone, on both sides (what
srv1's admin holds: no krbtgt key, so the forwarded TGT's session key comes
only from the KRB-CRED in the hop-1 authenticator, and from there srv1's
PA-TGS-REQ authenticator, the FAST-armoured TGS-REP and the hop-2 AP-REQ
authenticator; tshark follows that chain too).

usage: keytab_tshark.py [--srv1] HOPSNIFF SCENARIOS_DIR...   (exit 1 on any mismatch)
"""
import collections
import glob
import json
import os
import subprocess
import sys
import tempfile
import xml.etree.ElementTree as ET

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "lab"))
from tshark_opts import tshark_opts  # noqa: E402  (a lab scenario's decode-as for tshark)


import jsonschema

SCHEMA = json.load(open(os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "docs",
                                     "message.schema.json")))
VALIDATOR = jsonschema.Draft7Validator(SCHEMA)
SCHEMA_ERRORS = []


def merged_keytab(scen, tmp):
    out = os.path.join(tmp, os.path.basename(scen.rstrip("/")) + ".keytab")
    cmds = "".join("rkt %s\n" % k for k in sorted(glob.glob(os.path.join(scen, "*.keytab"))))
    cmds += "wkt %s\nquit\n" % out
    subprocess.run(["ktutil"], input=cmds, text=True, check=True, capture_output=True)
    return out


def flags(f):
    return f.get("show").replace(":", "") if f is not None else ""


def fields(el, name):
    return [f for f in el.iter("field") if f.get("name") == name]


def tshark_frames(pcap, keytab):
    xml = subprocess.run(["tshark", "-r", pcap] + tshark_opts(pcap) + ["-o", "kerberos.decrypt:TRUE", "-o", "kerberos.file:" + keytab,
                          "-o", "tcp.desegment_tcp_streams:TRUE", "-T", "pdml", "-Y", "kerberos"],
                         capture_output=True, text=True, check=True).stdout
    frames = {}
    for pkt in ET.fromstring(xml).iter("packet"):
        num = int(fields(pkt, "frame.number")[0].get("show"))
        d = frames.setdefault(num, {k: collections.Counter() for k in KINDS})
        # tickets tshark decrypted inside the FAST-armoured request body
        # (enc-fast-req, RFC 6113): hopsniff does not open FAST; counted apart
        in_fast = set()
        for fr in fields(pkt, "kerberos.enc_fast_req_element"):
            in_fast |= {id(x) for x in fields(fr, "kerberos.encTicketPart_element")}
        d["fast_inner"] = len(in_fast)
        for etp in fields(pkt, "kerberos.encTicketPart_element"):
            if id(etp) in in_fast:
                continue
            cname = "/".join(f.get("show") for c in fields(etp, "kerberos.cname_element")[:1]
                             for f in fields(c, "kerberos.CNameString"))
            realm = fields(etp, "kerberos.crealm")
            fl = fields(etp, "kerberos.flags")
            d["tickets"][(cname, realm[0].get("show") if realm else "", flags(fl[0]) if fl else "")] += 1
        for au in fields(pkt, "kerberos.authenticator_element"):
            if not fields(au, "kerberos.authenticator_vno") or \
                    any(x is not au for x in fields(au, "kerberos.authenticator_element")):
                continue  # the EncryptedData around the plain text
            cname = "/".join(f.get("show") for c in fields(au, "kerberos.cname_element")[:1]
                             for f in fields(c, "kerberos.CNameString"))
            deleg = fields(au, "kerberos.gssapi.checksum.flags.deleg")
            d["auths"][(cname, (deleg[0].get("show") in ("1", "True")) if deleg else None,
                        bool(fields(au, "kerberos.krb_cred_element")))] += 1
        for ci in fields(pkt, "kerberos.KrbCredInfo_element"):
            fl = [f for f in ci if f.get("name") == "kerberos.flags"]
            if fl:
                d["credinfo"][flags(fl[0])] += 1
        for ap in fields(pkt, "kerberos.encAPRepPart_element"):
            kt = fields(ap, "kerberos.keytype")
            sq = fields(ap, "kerberos.seq_number")
            d["apreps"][(int(kt[0].get("show")) if kt else None, int(sq[0].get("show")) if sq else None)] += 1
        for tag in ("kerberos.encASRepPart_element", "kerberos.encTGSRepPart_element",
                    "kerberos.encKDCRepPart_element"):
            for rp in fields(pkt, tag):
                fl = fields(rp, "kerberos.flags")
                d["reps"][flags(fl[0]) if fl else ""] += 1
    return frames


KINDS = ("tickets", "auths", "credinfo", "reps", "apreps")


def hx(v):
    return v[2:] if v and v.startswith("0x") else v


def hopsniff_frames(hopsniff, pcap, keytabs):
    cmd = [hopsniff, "decode", "-r", pcap, "--json"]
    for k in keytabs:
        cmd += ["--keytab", k]
    out = subprocess.run(cmd, capture_output=True, text=True, check=True).stdout
    frames = {}
    fast_notes = collections.Counter()

    def add_ticket(d, t):
        if t and t.get("status") == "ok":
            d["tickets"][(t["cname"], t["crealm"], hx(t["flags_raw"]))] += 1

    def walk(o, num):
        if isinstance(o, list):
            for v in o:
                walk(v, num)
            return
        if not isinstance(o, dict):
            return
        dec = o.get("decrypted")
        if isinstance(dec, dict) and "msg" in o:
            d = frames.setdefault(num, {k: collections.Counter() for k in KINDS})
            for k in ("ticket", "armor_ticket", "issued_ticket"):
                add_ticket(d, dec.get(k))
            for t in dec.get("additional_tickets", []):
                add_ticket(d, t)
            au = dec.get("authenticator")
            if au and au.get("status") == "ok":
                d["auths"][(au["cname"], au.get("delegation"), au.get("krb_cred", False))] += 1
                ft = au.get("forwarded_ticket")
                if ft:
                    add_ticket(d, ft.get("ticket"))
                    if "flags_raw" in ft:
                        d["credinfo"][hx(ft["flags_raw"])] += 1
            ap = dec.get("ap_rep")
            if ap and ap.get("status") == "ok":
                d["apreps"][(ap.get("subkey", {}).get("etype"), ap.get("seq_number"))] += 1
            ep = dec.get("enc_part")
            if ep and ep.get("status") == "ok":
                d["reps"][hx(ep["flags_raw"])] += 1
            elif ep and ep.get("fast_armored"):
                fast_notes[num] += 1
        for k, v in o.items():
            if k != "decrypted":
                walk(v, num)

    for line in out.splitlines():
        m = json.loads(line)
        if "anomaly" in m:
            continue  # decode --json interleaves anomaly lines (secret_in_command ...): not messages
        for e in VALIDATOR.iter_errors(m):
            print("SCHEMA %s frame %s: %s" % (pcap, m.get("frame"), e.message))
            SCHEMA_ERRORS.append(e)
        if "frame" in m:
            walk(m, m["frame"])
    return frames, fast_notes


def main():
    args = sys.argv[1:]
    srv1_only = args[:1] == ["--srv1"]
    if srv1_only:
        args = args[1:]
    hopsniff, scen_dirs = args[0], args[1:]
    totals = collections.Counter()
    with tempfile.TemporaryDirectory() as tmp:
        for scen in sorted(g for d in scen_dirs for g in glob.glob(os.path.join(d, "*/"))):
            keytabs = sorted(glob.glob(os.path.join(scen, "*.keytab")))
            if srv1_only:
                keytabs = [k for k in keytabs if os.path.basename(k) == "srv1.keytab"]
            if not keytabs:
                continue
            merged = keytabs[0] if srv1_only else merged_keytab(scen, tmp)
            for vp in ("srv1",) if srv1_only else ("client1", "srv1", "dc"):
                pcap = os.path.join(scen, vp + ".pcapng")
                if not os.path.exists(pcap):
                    continue
                ts = tshark_frames(pcap, merged)
                hs, fast_notes = hopsniff_frames(hopsniff, pcap, keytabs)
                name = "%s/%s" % (os.path.basename(scen.rstrip("/")), vp)
                for num in sorted(set(ts) | set(hs)):
                    a = ts.get(num, {})
                    b = hs.get(num, {})
                    for kind in KINDS:
                        ca, cb = a.get(kind, collections.Counter()), b.get(kind, collections.Counter())
                        same = ca & cb
                        totals[kind + "_equal"] += sum(same.values())
                        only_t, only_h = ca - cb, cb - ca
                        if kind == "reps" and only_t and not only_h and fast_notes.get(num):
                            # tshark derived the FAST strengthened reply key
                            n = min(sum(only_t.values()), fast_notes[num])
                            totals["reps_fast_only_tshark"] += n
                            only_t = collections.Counter(dict(list(only_t.items())[n:]))
                        if only_t or only_h:
                            totals[kind + "_mismatch"] += max(sum(only_t.values()), sum(only_h.values()))
                            print("MISMATCH %s frame %d %s: tshark %s hopsniff %s" %
                                  (name, num, kind, dict(only_t), dict(only_h)))
                totals["tickets_in_fast_only_tshark"] += sum(f.get("fast_inner", 0) for f in ts.values())
                totals["captures"] += 1
    for k in sorted(totals):
        print("%-28s %d" % (k, totals[k]))
    bad = sum(v for k, v in totals.items() if k.endswith("_mismatch")) + len(SCHEMA_ERRORS)
    print("%-28s %d" % ("schema_errors", len(SCHEMA_ERRORS)))
    if totals["tickets_equal"] == 0 or totals["auths_equal"] == 0 or totals["apreps_equal"] == 0:
        print("FAIL: nothing decrypted on either side")
        return 1
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
