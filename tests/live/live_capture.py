#!/usr/bin/env python3
"""live_capture.py HOPSNIFF CAPTURES_DIR - `hopsniff -i lo` inside a private
network namespace (root; ctest label "lab"), fed by tcpreplay with a real
lab capture (08-constrained-target-not-allowed, srv1's view) and variants
of it (802.1Q-tagged, IPv4-fragmented, noise on ports no parser wants).

Checks, each against an oracle that is not hopsniff:
- no such interface / bad filter: exit 2 and the message;
- -c N stops after exactly N packets; the -w file holds them (tshark: the
  same N frames, field by field, as the first N of the replayed capture);
- --duration, SIGINT, SIGTERM: the summary (chains, packets, bytes,
  pcap_stats drops), a complete -w file (tshark reads it; every replayed
  frame, field by field), the streamed verdict and the final --json report
  equal to the scenario's expected.json (tests/lab_reports.py's comparison,
  vantage srv1), exit status 1 (the chain failed);
- VLAN tags and fragments: every packet the default filter should take
  (tshark's display filter over the replayed file) is analysed, the noise is
  not, and the verdict is unchanged.
"""
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)

if os.environ.get("HSL_INNER") != "1":
    if os.geteuid() != 0:
        print("live_capture: needs root (a private network namespace); run by scripts/dev.sh test as root")
        sys.exit(77)
    env = dict(os.environ, HSL_INNER="1")
    sys.exit(subprocess.run(["unshare", "--net", "--", sys.executable] + sys.argv, env=env).returncode)

import livecheck as lc  # noqa: E402
import pcaputil as pu  # noqa: E402

HS, CAPS = sys.argv[1], sys.argv[2]
SCN = os.path.join(CAPS, "lab", "scenarios", "08-constrained-target-not-allowed")
EXPECTED = lc.load(os.path.join(SCN, "expected.json"))
# The ports the issue and the decoder's table name (Kerberos, WinRM, SMB,
# LDAP, RPC, MS-SQL, RDP, HTTP): what the default filter must take.
WANTED = ("tcp.port in {80, 88, 135, 139, 389, 445, 636, 1433, 3268, 3269, 3389, 5985, 5986, 8080, 47001} or udp.port == 88 "
          "or ip.flags.mf == 1 or ip.frag_offset > 0 or ipv6.fragment")

subprocess.run(["ip", "link", "set", "lo", "up"], check=True)
tmp = tempfile.mkdtemp(prefix="hsl-live.")
check = lc.Checks()


def live(args, replay=None, stop=None, name="run", iface="lo"):
    """Run hopsniff -i lo; replay a file (or several, with a pause past
    --settle between them); stop it by a signal if asked.
    Returns (exit status, stdout, stderr, -w path)."""
    w = os.path.join(tmp, name + ".pcapng")
    out, err = os.path.join(tmp, name + ".out"), os.path.join(tmp, name + ".err")
    with open(out, "w") as fo, open(err, "w") as fe:
        p = subprocess.Popen([HS, "-i", iface, "--settle", "1", "-w", w] + args, stdout=fo, stderr=fe)
        for _ in range(100):
            if p.poll() is not None or "capturing on" in open(err).read():
                break
            time.sleep(0.1)
        for i, r in enumerate([replay] if isinstance(replay, str) else replay or []):
            if i:
                time.sleep(2.5)
            if p.poll() is None:
                subprocess.run(["tcpreplay", "-q", "-i", "lo", "--topspeed", r], check=True,
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        if stop and p.poll() is None:
            time.sleep(2.5)  # past --settle: the streamed verdict is out
            p.send_signal(stop)
        rc = p.wait(timeout=120)
    return rc, open(out).read(), open(err).read(), w


base_frames = pu.read_pcap(os.path.join(SCN, "srv1.pcapng"), tmp)
base = os.path.join(tmp, "base.pcap")
pu.write_pcap(base, base_frames)
base_fields = lc.tshark_fields(base)
n = len(base_frames)

# ---- errors
p = subprocess.run([HS, "-i", "hsl-nosuch0"], capture_output=True, text=True)
check(p.returncode == 2 and "hsl-nosuch0: no such interface" in p.stderr, "no such interface: exit 2 + message")
p = subprocess.run([HS, "-i", "lo", "-f", "tcp port"], capture_output=True, text=True)
check(p.returncode == 2 and "bad filter 'tcp port'" in p.stderr, "bad filter: exit 2 + message")

# ---- -c: exactly N packets, the -w file holds the first N replayed
rc, out, err, w = live(["-c", "50"], replay=base, name="count")
s = lc.summary(err)
check(rc in (0, 1) and "-c 50 reached" in err, f"-c 50: stops by itself (exit {rc})")
check(s["packets"] == 50, f"-c 50: 50 packets analysed (summary says {s['packets']})")
check(lc.tshark_fields(w) == base_fields[:50], "-c 50: -w file = the first 50 replayed frames (tshark, field by field)")

# ---- --duration, SIGINT, SIGTERM: the whole scenario
for how, args, stop in (("--duration", ["--duration", "4", "--json"], None),
                        ("SIGINT", ["--json"], signal.SIGINT),
                        ("SIGTERM", ["--json"], signal.SIGTERM)):
    rc, out, err, w = live(args, replay=base, stop=stop, name=how.strip("-"))
    s = lc.summary(err)
    word = "--duration 4 s reached" if stop is None else f"stopped by {how}"
    check(word in err, f"{how}: summary says why ({word})")
    check(s["packets"] == n and s["bytes"] == sum(len(f[2]) for f in base_frames),
          f"{how}: {n} packets analysed, bytes = the replayed bytes (summary: {s['packets']}, {s['bytes']})")
    check(s["kernel_drop"] == 0 and s["if_drop"] == 0 and s["kernel_recv"] >= n,
          f"{how}: pcap_stats shown, no drop ({s['kernel_recv']} received)")
    check(f"{n} packets saved" in err and lc.tshark_fields(w) == base_fields,
          f"{how}: -w complete and valid (tshark: the {n} replayed frames, field by field)")
    rep = json.loads(out)
    errs = lc.compare_report(rep, EXPECTED, "08", "srv1")
    check(not errs, f"{how}: final JSON = expected.json ({'; '.join(errs) or 'same'})")
    check(rep["inputs"][0]["packets"] == n, f"{how}: report input packets = {n}")
    st = lc.streamed(err)
    errs = lc.compare_streamed(st, EXPECTED, "08", "srv1")
    check(not errs, f"{how}: streamed verdict = expected.json ({'; '.join(errs) or 'same'})")
    check(rc == 1, f"{how}: exit status 1 (a chain failed), got {rc}")

# ---- streaming: the first 10 packets, a pause, the rest: a verdict, then its revision; --html at the end
first, rest = os.path.join(tmp, "first.pcap"), os.path.join(tmp, "rest.pcap")
pu.write_pcap(first, base_frames[:10])
pu.write_pcap(rest, base_frames[10:])
html = os.path.join(tmp, "live.html")
rc, out, err, w = live(["--json", "--html", html], replay=[first, rest], stop=signal.SIGINT, name="revise")
st = lc.streamed(err).get(1, [])
check(len(st) >= 2 and not st[0][0] and st[0][1] == "unknown",
      f"streaming: after 10 packets chain 1 is printed as unknown ({st[:1]})")
check(st and st[-1][0] and st[-1][1] == "failed", f"streaming: a later 'revised' line says failed ({st[-1:]})")
errs = lc.compare_streamed(lc.streamed(err), EXPECTED, "08", "srv1")
check(not errs, f"streaming: the revised verdict = expected.json ({'; '.join(errs) or 'same'})")
doc = open(html).read() if os.path.exists(html) else ""
check(doc.startswith("<!DOCTYPE html>") and "s4u2proxy" in doc and "</html>" in doc,
      "--html written at the end of the live run")

# ---- --keytab: scenario 09 from srv1, where srv1's keytab opens the S4U2Self ticket (not forwardable);
# the live report's causes equal the file mode's with the same keytab (which differ from those without)
S09 = os.path.join(CAPS, "lab", "scenarios", "09-constrained-no-protocol-transition")
kt = os.path.join(S09, "srv1.keytab")
b09 = os.path.join(tmp, "s09.pcap")
pu.write_pcap(b09, pu.read_pcap(os.path.join(S09, "srv1.pcapng"), tmp))


def causes(rep):
    return sorted((c["delegation"]["verdict"], c["delegation"]["cause"]) for c in rep["chains"])


def file_causes(extra):
    p = subprocess.run([HS, "-r", b09, "--json"] + extra, capture_output=True, text=True)
    return causes(json.loads(p.stdout))


without, with_kt = file_causes([]), file_causes(["--keytab", kt])
check(without != with_kt, f"--keytab: the file mode's causes change with srv1's keytab ({without} -> {with_kt})")
rc, out, err, w = live(["--json", "--keytab", kt], replay=b09, stop=signal.SIGINT, name="keytab")
got = causes(json.loads(out)) if out.strip().startswith("{") else None
check(got == with_kt, f"--keytab: live causes {got} = file mode's with the keytab {with_kt}")
rc, out, err, w = live(["--keytab", os.path.join(tmp, "nosuch.keytab")], name="keytab-bad")
check(rc == 2 and "keytab" in err, f"--keytab missing file: exit 2 + message (exit {rc})")

# ---- VLAN-tagged copy: the same verdict, every frame analysed
vl = os.path.join(tmp, "vlan.pcap")
pu.write_pcap(vl, pu.vlan(base_frames))
rc, out, err, w = live(["--duration", "4", "--json"], replay=vl, name="vlan")
s = lc.summary(err)
check(s["packets"] == n, f"VLAN: {n} tagged packets analysed (summary: {s['packets']})")
check(len(lc.tshark_fields(w, "vlan.id == 100")) == n, "VLAN: -w keeps the tags (tshark vlan.id == 100)")
errs = lc.compare_report(json.loads(out), EXPECTED, "08", "srv1")
check(not errs and rc == 1, f"VLAN: final JSON = expected.json ({'; '.join(errs) or 'same'})")

# ---- IPv4 fragments + noise: the default filter takes what tshark says it should
fr = os.path.join(tmp, "frag.pcap")
frames = pu.fragment(base_frames) + pu.noise(base_frames)
pu.write_pcap(fr, frames)
want = len(lc.tshark_fields(fr, WANTED))
nfrag = len(lc.tshark_fields(fr, "ip.flags.mf == 1 or ip.frag_offset > 0"))
rc, out, err, w = live(["--duration", "4", "--json"], replay=fr, name="frag")
s = lc.summary(err)
check(nfrag > n and want == len(frames) - 40,
      f"fragments: the variant has {nfrag} fragments and 40 noise packets ({len(frames)} frames)")
check(s["packets"] == want, f"fragments: {want} packets analysed as tshark's filter says (summary: {s['packets']})")
errs = lc.compare_report(json.loads(out), EXPECTED, "08", "srv1")
check(not errs and rc == 1, f"fragments: reassembled, final JSON = expected.json ({'; '.join(errs) or 'same'})")

# ---- drops: a 1 MiB kernel buffer and 20 copies of every lab scenario at top speed (hopsniff decodes
# ~50,000 packets/s of authentication traffic; tcpreplay on lo offers several times that)
big = os.path.join(tmp, "big.pcap")
subprocess.run([sys.executable, os.path.join(HERE, "..", "..", "bench", "make_live_capture.py"), "20", big],
               check=True, stdout=subprocess.DEVNULL)
sent = len(pu.read_pcap(big, tmp))
rc, out, err, w = live(["--duration", "6", "--json", "--buffer-size", "1"], replay=big, name="drops")
s = lc.summary(err)
anom = [a for a in json.loads(out)["anomalies"] if a["kind"] == "capture_dropped"]
check(s["kernel_drop"] > 0 and s["packets"] < sent and "WARNING" in err,
      f"drops: {s['kernel_drop']} kernel drops shown, {s['packets']} of {sent} analysed, WARNING line")
check(len(anom) == 1 and str(s["kernel_drop"]) in anom[0]["detail"], "drops: capture_dropped anomaly in the JSON report")
check(len(lc.tshark_fields(w)) == s["packets"], "drops: -w holds exactly the packets analysed")

# ---- -i any (Linux cooked SLL2 frames) and --snaplen
rc, out, err, w = live(["-c", "20"], replay=base, name="any", iface="any")
types = subprocess.run(["capinfos", "-E", w], capture_output=True, text=True).stdout
check(lc.summary(err)["packets"] == 20 and "Linux cooked" in types, "-i any: 20 packets, Linux cooked frames in -w")
rc, out, err, w = live(["--duration", "3", "--snaplen", "96"], replay=base, name="snaplen")
f = lc.tshark_fields(w)
check(len(f) == n and all(int(x[1]) <= 96 for x in f) and [x[0] for x in f] == [x[0] for x in base_fields],
      "--snaplen 96: every frame cut to 96 bytes, original lengths kept (tshark frame.len / frame.cap_len)")

# ---- -f replaces the default filter
rc, out, err, w = live(["--duration", "3", "-f", "udp port 9999"], replay=fr, name="filter")
s = lc.summary(err)
check(s["packets"] == 20 and s["chains"] == 0, f"-f 'udp port 9999': only the 20 noise datagrams ({s['packets']})")

shutil.rmtree(tmp, ignore_errors=True)
check.done()
