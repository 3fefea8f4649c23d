#!/usr/bin/env python3
"""The report on an ETL trace equals the report on the capture it was made
from (tests/input/etl_writer.py: every header kind, QPC / system-time / CPU-cycle clocks, XPRESS / LZNT1 /
XPRESS Huffman (by Samba's and wimlib's compressors) / uncompressed buffers, processors interleaved, NDIS fragments split over
events, pktmon-style copies, 802.11 / raw IP / Ethernet, recorded drops),
on real lab captures (Samba AD KDC, pywinrm, smbclient ...):
- the JSON report with --messages is the same, except the input's name, the
  recorded drops (listed as such) and the link-layer bytes (which the writer
  says);
- several inputs merge alike (ETL + pcap as pcap + pcap);
- `-w` turns the ETL back into a pcapng whose frames tshark dissects to the
  same fields as the original capture (so the 802.11 frames carry the same IP).
usage: etl_roundtrip.py HOPSNIFF WRITER SCENARIOS_DIR"""
import json
import os
import shutil
import subprocess
import sys
import tempfile

from testlib import check
import testlib

hopsniff, writer, scen = sys.argv[1:4]
tmp = tempfile.mkdtemp()


def report(*inputs):
    args = [hopsniff, "--json", "--messages"]
    for i in inputs:
        args += ["-r", i]
    r = subprocess.run(args, capture_output=True, text=True)
    if r.returncode not in (0, 1):
        return None, r.stderr
    j = json.loads(r.stdout)
    for i in j["inputs"]:
        del i["file"]
    drops = [a for a in j.get("anomalies", []) if a["kind"] == "recorded_drop"]
    j["anomalies"] = [a for a in j.get("anomalies", []) if a["kind"] != "recorded_drop"]
    return j, drops


def to_pcap(src, name):
    """The capture with µs timestamps (the ETL keeps 100 ns), through libpcap."""
    out = os.path.join(tmp, name)
    subprocess.run(["tcpdump", "-r", src, "-w", out], check=True, capture_output=True)
    return out


def make_etl(pcap, variant, drops):
    out = pcap + f".v{variant}.etl"
    r = subprocess.run([sys.executable, writer, pcap, out, str(variant), "--drops", str(drops)],
                       check=True, capture_output=True, text=True)
    return out, int(r.stdout)


FIELDS = ["ip.src", "ip.dst", "ipv6.src", "tcp.seq_raw", "tcp.len", "udp.length", "kerberos.msg_type",
          "kerberos.CNameString", "ntlmssp.messagetype", "http.request.method", "http.response.code"]


def tshark_fields(path):
    args = ["tshark", "-r", path, "-T", "fields"]
    for f in FIELDS:
        args += ["-e", f]
    return subprocess.run(args, capture_output=True, text=True).stdout.splitlines()


cases = [("08-constrained-target-not-allowed", "srv1"), ("05-unconstrained", "srv1"),
         ("01-kerberos-nothing-configured", "client1"), ("02-ntlm-first-hop", "srv1"), ("03-credssp", "client1")]
mixed_link_types = 0
for sc, vantage in cases:
    src = os.path.join(scen, sc, vantage + ".pcapng")
    if not os.path.exists(src):
        check(False, f"{src} missing")
        continue
    pcap = to_pcap(src, f"{sc}-{vantage}.pcap")
    ref, _ = report(pcap)
    check(ref is not None and ref["inputs"][0]["packets"] > 0, f"{sc}/{vantage}: reference report")
    for variant in (0, 1, 2, 3) if vantage == "srv1" else (0, 1, 2):
        etl, delta = make_etl(pcap, variant, 3)
        got, drops = report(etl)
        if got is None:
            check(False, f"{sc}/{vantage} v{variant}: {drops.strip()}")
            continue
        bytes_ok = got["stats"]["bytes"] == ref["stats"]["bytes"] + delta
        got["stats"]["bytes"] = ref["stats"]["bytes"]
        check(got == ref and bytes_ok and len(drops) == 3,
              f"{sc}/{vantage} variant {variant}: the ETL's report equals the capture's "
              f"({ref['inputs'][0]['packets']} packets, {len(ref.get('chains', []))} chains, 3 drops listed apart)")
    # -w: back to pcapng, dissected by tshark like the original
    out = os.path.join(tmp, f"{sc}-{vantage}.out.pcapng")
    subprocess.run([hopsniff, "decode", "-r", make_etl(pcap, 0, 0)[0], "-w", out], check=True, capture_output=True)
    a, b = tshark_fields(pcap), tshark_fields(out)
    check(a == b and len(a) > 0, f"{sc}/{vantage}: -w of the ETL: tshark sees the same {len(a)} frames "
          f"({', '.join(FIELDS[:3])} ... Kerberos, NTLM, HTTP)")
    # ... and hopsniff reads that pcapng back whole, although its interfaces differ in link type (which
    # libpcap refuses): its report equals the ETL's
    links = set(subprocess.run(["tshark", "-r", out, "-T", "fields", "-e", "frame.interface_id"],
                               capture_output=True, text=True).stdout.split())
    mixed_link_types += len(links) > 1
    back, _ = report(out)
    from_etl, _ = report(make_etl(pcap, 0, 0)[0])
    check(back is not None and back == from_etl,
          f"{sc}/{vantage}: the -w pcapng ({len(links)} interfaces) read back gives the ETL's report "
          f"({from_etl['inputs'][0]['packets'] if from_etl else '?'} packets)")

check(mixed_link_types > 0, f"{mixed_link_types} -w pcapng files with interfaces of several link types were read back")

# XPRESS Huffman buffers made by other projects' compressors: Samba's (several 64 KiB blocks per buffer,
# matches across blocks) on every case's capture in one, wimlib's (one block per buffer)
merged = os.path.join(tmp, "merged.pcap")
subprocess.run(["mergecap", "-F", "pcap", "-w", merged] +
               [os.path.join(tmp, f"{sc}-{v}.pcap") for sc, v in cases], check=True, capture_output=True)
ref, _ = report(merged)
for variant, who in ((4, "Samba"), (5, "wimlib")):
    r = subprocess.run([sys.executable, writer, merged, os.path.join(tmp, f"huff{variant}.etl"), str(variant), "--drops", "3"],
                       capture_output=True, text=True)
    if r.returncode != 0:
        check(False, f"XPRESS Huffman by {who}: {r.stderr.strip().splitlines()[-1]}")
        continue
    got, drops = report(os.path.join(tmp, f"huff{variant}.etl"))
    if got is None:
        check(False, f"XPRESS Huffman by {who}: {drops.strip()}")
        continue
    got["stats"]["bytes"] -= int(r.stdout)
    check(got == ref and len(drops) == 3, f"all cases in one, XPRESS Huffman buffers by {who}'s compressor: the ETL's "
          f"report equals the capture's ({ref['inputs'][0]['packets']} packets)")

# several inputs: an ETL merged with a pcap, as the two pcaps
sc = os.path.join(scen, "08-constrained-target-not-allowed")
p1, p2 = to_pcap(os.path.join(sc, "client1.pcapng"), "m1.pcap"), to_pcap(os.path.join(sc, "srv1.pcapng"), "m2.pcap")
ref, _ = report(p1, p2)
etl, delta = make_etl(p1, 1, 0)
got, _ = report(etl, p2)
if got:
    got["stats"]["bytes"] -= delta
check(got == ref, "08: -r client1.etl -r srv1.pcap equals -r client1.pcap -r srv1.pcap")
# --etl-all-copies keeps every appearance (the cut ones too): the test above can tell
r = subprocess.run([hopsniff, "--json", "--etl-all-copies", "-r", etl], capture_output=True, text=True)
allc = json.loads(r.stdout)["inputs"][0]["packets"] if r.stdout else 0
check(allc > ref["inputs"][0]["packets"], f"08: --etl-all-copies keeps {allc} appearances, not {ref['inputs'][0]['packets']}")

# the ETL gzip-compressed, on standard input: the same report
r = subprocess.run(f"gzip -c {etl} | {hopsniff} --json --messages -r - -r {p2}", shell=True, capture_output=True, text=True)
gz = json.loads(r.stdout) if r.stdout else None
if gz:
    for i in gz["inputs"]:
        del i["file"]
    gz["stats"]["bytes"] -= delta
check(gz == ref, "08: gzip -c client1.etl | hopsniff -r - -r srv1.pcap: the same report")


# errors: exit 2, a sentence, no report
def refused(data, pattern, what):
    path = os.path.join(tmp, "bad.etl")
    open(path, "wb").write(data)
    r = subprocess.run([hopsniff, "-r", path], capture_output=True, text=True)
    check(r.returncode == 2 and pattern in r.stderr and r.stdout == "", f"{what}: exit 2 ({r.stderr.strip().splitlines()[0][:110]})")


raw = bytearray(open(make_etl(p1, 0, 0)[0], "rb").read())
huff = bytearray(raw)
huff[0x2c] = 4  # the first buffer's State: COMPRESSION_FORMAT_XPRESS_HUFF, yet the buffers hold plain XPRESS
refused(bytes(huff), "does not decompress", "plain XPRESS buffers said to be XPRESS Huffman")
huff[0x2c] = 9
refused(bytes(huff), "unknown compression format 9", "an unknown compression format")
plain = open(make_etl(p1, 2, 0)[0], "rb").read()
for guid in (bytes.fromhex("d9804f4dbdc8734dbb5b19c90402c5ac"), bytes.fromhex("6e00d62e29470946b4233ee7bcd678ef")):
    plain = plain.replace(guid, bytes(16))
refused(plain, "not a network trace", "an ETL without network events")
refused(bytes(raw[:2000]), "truncated file", "a truncated ETL")
shutil.rmtree(tmp)
sys.exit(1 if testlib.fails else 0)
