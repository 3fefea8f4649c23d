#!/usr/bin/env python3
"""moved_ports.py HOPSNIFF SCENARIOS_DIR THIRD_PARTY_DIR

Protocols by content on any port (issue 20).  Real captures are rewritten
(as tcprewrite --portmap would, lengths untouched) so that their services sit on other ports (WinRM
HTTPS on 443, WinRM HTTP, SMB, LDAP, Kerberos and RDP on ports no table
names); then
  - each lab scenario's report (chains: hops, carriers, auth, results,
    verdicts, causes, evidence frames) must equal the standard-port run's,
    but for the port numbers and file names;
  - each third-party capture's decoded messages and anomalies must equal
    the standard-port run's, but for the ports (UDP left out: only TCP
    flows are probed);
  - decode-as (-d) gives the standard-port chain where content cannot say
    what a flow carries (WinRM HTTPS on 8443 without a key log).
The expected result is the standard-port run, which the other tests hold
to expected.json / tshark.  Exit 77 without editcap or the captures.
"""
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile

HS, SCN, TP = sys.argv[1], sys.argv[2], sys.argv[3]
if not shutil.which("editcap"):
    print("SKIP: editcap (wireshark-common) is needed")
    sys.exit(77)
if not os.path.isdir(TP) or not os.path.isdir(SCN):
    print("SKIP: captures missing (%s, %s)" % (SCN, TP))
    sys.exit(77)

tmp = tempfile.mkdtemp(prefix="hs-moved-")
fails = 0


def check(ok, what):
    global fails
    print(("ok   " if ok else "FAIL ") + what)
    if not ok:
        fails += 1


def rewrite_ports(data, portmap):
    """The TCP/UDP ports of a classic pcap rewritten per portmap (both
    directions); lengths, padding and everything else stay as captured
    (tcprewrite also "fixes" IP lengths to cover Ethernet padding)."""
    import struct
    le = data[:4] == b"\xd4\xc3\xb2\xa1" or data[:4] == b"\x4d\x3c\xb2\xa1"
    e = "<" if le else ">"
    link = struct.unpack(e + "I", data[20:24])[0] & 0xFFFF
    out = bytearray(data)
    at = 24
    while at + 16 <= len(data):
        incl = struct.unpack(e + "I", data[at + 8:at + 12])[0]
        pkt = at + 16
        end = pkt + incl
        at = end
        if link == 1:  # Ethernet, 802.1Q tags
            off, et = 12, None
            while off + 2 <= incl:
                et = struct.unpack(">H", data[pkt + off:pkt + off + 2])[0]
                off += 2
                if et not in (0x8100, 0x88A8):
                    break
                off += 2
        elif link == 113:  # Linux cooked
            off, et = 16, struct.unpack(">H", data[pkt + 14:pkt + 16])[0]
        elif link == 276:  # Linux cooked v2
            off, et = 20, struct.unpack(">H", data[pkt:pkt + 2])[0]
        elif link in (101, 12):
            off, et = 0, 0x0800 if data[pkt] >> 4 == 4 else 0x86DD
        else:
            raise SystemExit("link type %d not handled" % link)
        ip = pkt + off
        if et == 0x0800 and ip + 20 <= end:
            proto = data[ip + 9]
            frag = struct.unpack(">H", data[ip + 6:ip + 8])[0] & 0x1FFF
            l4 = ip + (data[ip] & 15) * 4
            if frag:
                continue
        elif et == 0x86DD and ip + 40 <= end:
            proto, l4 = data[ip + 6], ip + 40
        else:
            continue
        if proto not in (6, 17) or l4 + 4 > end:
            continue
        for o in (l4, l4 + 2):
            port = struct.unpack(">H", data[o:o + 2])[0]
            if port in portmap:
                out[o:o + 2] = struct.pack(">H", portmap[port])
    return bytes(out)


def moved(src, portmap):
    """src as pcap, and a copy with the ports of portmap {old: new} moved."""
    base = os.path.join(tmp, os.path.basename(src).replace(".", "_"))
    plain = base + ".pcap"
    subprocess.run(["editcap", "-F", "pcap", src, plain], check=True, capture_output=True)
    out = base + "-moved.pcap"
    with open(plain, "rb") as f, open(out, "wb") as g:
        g.write(rewrite_ports(f.read(), portmap))
    return plain, out


def hs(*args, env=None):
    r = subprocess.run([HS] + list(args), capture_output=True, text=True, env=env)
    if r.returncode not in (0, 1):
        sys.exit("hopsniff %s: exit %d: %s" % (" ".join(args), r.returncode, r.stderr))
    return r.stdout


def strip(o):
    """A report without what moving the ports changes: port numbers, file names."""
    if isinstance(o, dict):
        return {k: strip(v) for k, v in o.items() if k not in ("port", "file")}
    if isinstance(o, list):
        return [strip(v) for v in o]
    return o


def chains(files, extra):
    args = ["--json"]
    for f in files:
        args += ["-r", f]
    return strip(json.loads(hs(*(args + extra)))["chains"])


def lab(name, portmap, extra=(), moved_extra=None):
    d = os.path.join(SCN, name)
    std, mov = [], []
    for v in ("client1", "srv1", "dc"):
        p = os.path.join(d, v + ".pcapng")
        if os.path.exists(p):
            a, b = moved(p, portmap)
            std.append(a)
            mov.append(b)
    extra = [x.replace("@", d + "/") for x in extra]
    mextra = extra if moved_extra is None else [x.replace("@", d + "/") for x in moved_extra]
    a, b = chains(std, extra), chains(mov, mextra)
    check(len(a) > 0 and a == b, "%s with ports %s %s: %d chain(s) equal the standard ports'" %
          (name, portmap, " ".join(mextra), len(a)))
    return a, b


def messages(path, portmap, extra=(), env=None):
    out = []
    for line in hs("decode", "--json", "-r", path, *extra, env=env).splitlines():
        m = json.loads(line)
        if m.get("transport") == "udp":
            continue
        m.pop("input", None)
        s = json.dumps(m, sort_keys=True)
        for old, new in portmap.items():
            s = re.sub(r":%d\b" % new, ":%d" % old, s)
            s = re.sub(r"\b%d/tcp\b" % new, "%d/tcp" % old, s)
        out.append(s)
    return out


def third_party(rel, portmap, extra=(), moved_extra=None, env=None):
    src = os.path.join(TP, rel)
    if not os.path.exists(src):
        check(False, rel + " missing")
        return
    a, b = moved(src, portmap)
    ma, mb = messages(a, {}, extra), messages(b, portmap, extra if moved_extra is None else moved_extra, env)
    same = ma == mb
    if not same:
        for x, y in zip(ma, mb):
            if x != y:
                print("  standard: " + x[:400] + "\n  moved:    " + y[:400])
                break
        print("  %d vs %d messages" % (len(ma), len(mb)))
    check(len(ma) > 0 and same, "%s with ports %s %s%s: %d decoded messages equal the standard ports'" %
          (rel, portmap, " ".join(moved_extra or []), " (no probes)" if env else "", len(ma)))


# WinRM over HTTPS on 443 with the client's key log; SMB hop 2 on 4450.
lab("14-https-keylog", {5986: 443, 445: 4450}, ["--keylog", "@tls-keylog-client1.txt"])
# Without a key log the content says TLS only: -d names it WinRM HTTPS.
lab("14-https-keylog", {5986: 8443}, [], ["-d", "tcp.port==8443,winrm-https"])
# WinRM HTTP on a port of its own (Set-Item WSMan:\...\Port), SMB on 4450.
lab("05-unconstrained", {5985: 15985, 445: 4450})
lab("02-ntlm-first-hop", {5985: 15985, 445: 4450})
lab("07-constrained-protocol-transition", {5985: 15985, 445: 4450})
# Kerberos hop 2 through a KDC on another port (TCP only: UDP is not probed).
lab("17-rbcd-refused", {5985: 15985, 445: 4450})

# LDAP, Kerberos over TCP (a record marker in a segment of its own), SMB1/SMB2,
# WinRM HTTP from Windows itself, RDP with NLA.
third_party("zeek/ldap_sasl-ntlm.pcap", {389: 3890})
third_party("windows-real/krb5-frag.pcap", {88: 8888, 389: 3890})
third_party("zeek/krb_smb2_krb.pcap", {445: 4450})
# decode mode's -d alone, with the probes off (HOPSNIFF_NO_PROBES): the rule does it
third_party("zeek/krb_smb2_krb.pcap", {445: 4450}, [], ["-d", "tcp.port==4450,smb2"],
            dict(os.environ, HOPSNIFF_NO_PROBES="1"))
third_party("zeek/smb_raw_ntlm_in_smb.pcap", {445: 4450})
third_party("windows-real/covenant_psremoting_command_2020-08-06115603.cap", {5985: 15985, 445: 4450})
third_party("windows-real/purplesharp_ad_playbook_I_2020-10-22042947.cap", {5985: 15985, 389: 3890, 445: 4450})
rdp = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "captures", "generated", "rdp")
if os.path.exists(os.path.join(rdp, "nla-ok.pcap")):
    TP_SAVE, TP = TP, rdp
    third_party("nla-ok.pcap", {3389: 33890}, ["--keylog", os.path.join(rdp, "nla-ok.keylog")])
    TP = TP_SAVE

shutil.rmtree(tmp)
print("%d failure(s)" % fails)
sys.exit(1 if fails else 0)
