"""livecheck.py - what the live tests read from hopsniff and tshark: the
streamed verdict lines, the summary, the fields of a capture (tshark), and
the comparison of a report with a lab scenario's expected.json (the one of
tests/lab_reports.py, imported so both tests judge alike)."""
import json
import os
import re
import subprocess
import sys

TESTS = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def _lab_reports():
    saved = sys.argv
    sys.argv = ["lab_reports.py", "-", "-", "-"]  # it reads HS, SCN, SCHEMA at import
    sys.path.insert(0, TESTS)
    try:
        import lab_reports  # noqa: E402
    finally:
        sys.argv = saved
        sys.path.pop(0)
    return lab_reports


LR = _lab_reports()

STREAM = re.compile(r"^\d\d:\d\d:\d\d chain (\d+)( revised)?: (\w+) \((\w+), (\w+)\) (\S+)")
SUMMARY = re.compile(r"(\d+) chains?, (\d+) packets analysed \((\d+) bytes\)")
KERNEL = re.compile(r"kernel \(pcap_stats\): (\d+) packets received by the filter, (\d+) dropped \(buffer full\), "
                    r"(\d+) dropped by the interface")


def streamed(text):
    """{chain number: [(revised, verdict, method, cause, user), ...]} in order."""
    out = {}
    for line in text.splitlines():
        m = STREAM.match(line)
        if m:
            out.setdefault(int(m.group(1)), []).append(
                (bool(m.group(2)), m.group(3), m.group(4), m.group(5), m.group(6).rstrip(":")))
    return out


def summary(text):
    m, k = SUMMARY.search(text), KERNEL.search(text)
    if not m or not k:
        raise AssertionError("no summary / pcap_stats line in:\n" + text)
    return {"chains": int(m.group(1)), "packets": int(m.group(2)), "bytes": int(m.group(3)),
            "kernel_recv": int(k.group(1)), "kernel_drop": int(k.group(2)), "if_drop": int(k.group(3))}


FIELDS = ["frame.len", "frame.cap_len", "eth.type", "vlan.id", "ip.src", "ip.dst", "ip.id", "ip.frag_offset",
          "tcp.srcport", "tcp.dstport", "tcp.seq_raw", "udp.srcport", "udp.dstport"]


def tshark_fields(path, dfilter=None):
    """One tuple per frame (IP reassembly off: fragments stay frames)."""
    cmd = ["tshark", "-n", "-r", path, "-o", "ip.defragment:FALSE", "-T", "fields"]
    for f in FIELDS:
        cmd += ["-e", f]
    if dfilter:
        cmd += ["-Y", dfilter]
    p = subprocess.run(cmd, capture_output=True, text=True)
    if p.returncode != 0:
        raise AssertionError(f"tshark cannot read {path}: {p.stderr.strip()}")
    return [tuple(line.split("\t")) for line in p.stdout.splitlines()]


def compare_report(rep, expected, scn, vantage):
    """Errors (list of strings) of a --json report against expected.json."""
    errs = []
    if len(rep["chains"]) != len(expected["chains"]):
        errs.append(f"{len(rep['chains'])} chains, want {len(expected['chains'])}")
    for e, g in LR.match_chains(expected["chains"], rep["chains"]):
        if g is None:
            errs.append(f"chain {e['id']}: missing")
            continue
        errs += [f"chain {e['id']}: {x}" for x in LR.compare(scn, vantage, e, g)]
    return errs


def compare_streamed(lines, expected, scn, vantage):
    """The last streamed word on each chain against expected.json: verdict,
    method and cause (any acceptable cause), as compare() judges them."""
    errs = []
    last = [v[-1] for _, v in sorted(lines.items())]
    if len(last) != len(expected["chains"]):
        errs.append(f"{len(last)} streamed chains, want {len(expected['chains'])}")
    for e, (rev, verdict, method, cause, user) in zip(expected["chains"], last):
        d = e["delegation"]
        for path, want, got in (("verdict", d["verdict"], verdict), ("method", d["method"], method)):
            a = LR.allowed(scn, vantage, path, want)
            if a is not LR.ANY and got not in a:
                errs.append(f"streamed {path}: got {got!r}, want {a!r}")
        causes = d.get("acceptable_causes", [d["cause"]]) + LR.allowed(scn, vantage, "cause", d["cause"])
        if cause not in causes:
            errs.append(f"streamed cause: got {cause!r}, want one of {sorted(set(causes))!r}")
    return errs


class Checks:
    """Numbered checks: ok/FAIL lines, then "N passed, N failed"."""

    def __init__(self):
        self.n = self.fails = 0

    def __call__(self, cond, what):
        self.n += 1
        self.fails += not cond
        print(("ok   " if cond else "FAIL ") + what)

    def done(self):
        print(f"{self.n - self.fails} passed, {self.fails} failed")
        sys.exit(1 if self.fails else 0)


def load(path):
    with open(path) as f:
        return json.load(f)
