#!/usr/bin/env python3
"""tests/jump_chains.py HOPSNIFF MAKE_LIVE_CAPTURE - no chain lost or doubled by
retirement, the chain store or streamed output (issue 14), and the model
inside --memory-limit (issue 21).

The capture is bench/make_live_capture.py --jump: COPIES copies of srv1's view
of every lab scenario (real traffic), each copy from its own client address
(10.<201 + c/250>.<c%250>.20), all to the same srv1, srv2 and DC, copies 2 s
apart.  By construction every copy holds the chains of one copy, so:
  - the report holds COPIES times the chains of a one-copy capture (srv1's
    view of the first 15 scenarios: each chain's verdict is checked against
    the scenario's expected.json and views.json by lab_reports / lab_views;
    this test checks that the copies neither lose nor double one), and every
    client address has exactly the chains of copy 0 (verdict, method, cause,
    user, servers), each once;
  - settling sessions every 10 s of capture time (HOPSNIFF_SETTLE_SECONDS, so
    the 160 s capture retires ~60 times) and putting every settled chain in
    the chain store (HOPSNIFF_SPILL_AFTER=1) changes nothing: the JSON and
    text reports are byte for byte those of the run that keeps everything in
    memory until the end (ids, order, texts);
  - with --memory-limit 8 the model's tables (~14 MiB for 80 copies in one
    300 s settle window) count against the budget: the model settles its
    oldest state early, says so (a "memory_cap" anomaly,
    stats.model_evicted), and still reports chains for every client.
"""
import json
import os
import subprocess
import sys
import tempfile

hs, mk = sys.argv[1], sys.argv[2]
COPIES = 80
fails = 0


def check(ok, what):
    global fails
    print(("ok   " if ok else "FAIL ") + what)
    fails += not ok


def run(args, **env):
    e = dict(os.environ, **env)
    p = subprocess.run([hs] + args, capture_output=True, env=e)
    if p.returncode not in (0, 1):
        print(p.stderr.decode(errors="replace"))
        check(False, f"{' '.join(args)} {env}: exit {p.returncode}")
    return p.stdout


def client_of(ch):
    return ch["hops"][0]["client"]["ip"]


def row(ch):
    d = ch["delegation"]
    return (d["verdict"], d["method"], d["cause"], ch["user"],
            tuple((h["server"]["ip"], h["carrier"], h["auth"], h["result"]) for h in ch["hops"]))


with tempfile.TemporaryDirectory() as tmp:
    one, cap = os.path.join(tmp, "jump-1.pcap"), os.path.join(tmp, f"jump-{COPIES}.pcap")
    subprocess.run([sys.executable, mk, "--jump", "1", one], check=True, capture_output=True)
    subprocess.run([sys.executable, mk, "--jump", str(COPIES), cap], check=True, capture_output=True)
    ref = json.loads(run(["--json", "-r", one]))["chains"]
    PER_COPY = len(ref)
    check({client_of(c) for c in ref} == {"10.201.0.20"}, f"one copy: {PER_COPY} chains, all of its client")
    want = sorted(row(c) for c in ref)

    modes = {
        "in memory": {},
        "settle 10 s": {"HOPSNIFF_SETTLE_SECONDS": "10"},
        "settle 10 s + store": {"HOPSNIFF_SETTLE_SECONDS": "10", "HOPSNIFF_SPILL_AFTER": "1"},
    }
    out = {}
    for name, env in modes.items():
        js = run(["--json", "-r", cap], **env)
        tx = run(["-r", cap], **env)
        out[name] = (js, tx)
        chains = json.loads(js)["chains"]
        check(len(chains) == PER_COPY * COPIES, f"{name}: {len(chains)} chains, want {PER_COPY * COPIES}")
        check([c["id"] for c in chains] == list(range(1, len(chains) + 1)), f"{name}: ids 1..{len(chains)} in order")
        by = {}
        for c in chains:
            by.setdefault(client_of(c), []).append(row(c))
        bad = [ip for ip, rows in by.items() if sorted(rows) != want]
        check(len(by) == COPIES and not bad,
              f"{name}: each of the {COPIES} clients has copy 0's {PER_COPY} chains once ({len(by)} clients, "
              f"{len(bad)} differ{': ' + bad[0] if bad else ''})")
        check(b"Summary by verdict, cause and first server:" in tx, f"{name}: the text report opens with the summary")
    base = out["in memory"]
    for name in list(modes)[1:]:
        check(out[name][0] == base[0], f"{name}: JSON report byte-identical to the in-memory run")
        check(out[name][1] == base[1], f"{name}: text report byte-identical to the in-memory run")

    # the model in the memory budget
    # The child's ru_maxrss counts the address space it was forked from
    # (Linux keeps the pre-exec high-water mark, and this process holds the
    # reports above): so each run is started by a small Python of its own.
    SPAWN = ("import os, subprocess, sys\n"
             "with open(sys.argv[1], 'wb') as o:\n"
             "    p = subprocess.Popen(sys.argv[2:], stdout=o, stderr=subprocess.DEVNULL)\n"
             "    _, st, ru = os.wait4(p.pid, 0)\n"
             "print(os.waitstatus_to_exitcode(st), ru.ru_maxrss)\n")

    def peak(args):  # (stdout, peak RSS in KiB) of one run
        with tempfile.NamedTemporaryFile() as o:
            r = subprocess.run([sys.executable, "-c", SPAWN, o.name, hs] + args, capture_output=True, text=True)
            rc, rss = map(int, r.stdout.split())
            check(rc in (0, 1), f"{' '.join(args)}: exit {rc}")
            return o.read(), rss
    js, rss = peak(["--json", "--memory-limit", "8", "-r", cap])
    _, rss_default = peak(["--json", "-r", cap])
    r = json.loads(js)
    kinds = [a["kind"] for a in r["anomalies"]]
    check("memory_cap" in kinds and any("correlation model settled" in a["detail"] for a in r["anomalies"]),
          "--memory-limit 8: the model's early settling is a memory_cap anomaly")
    check(r["stats"].get("model_evicted", 0) > 0, f"--memory-limit 8: stats.model_evicted {r['stats'].get('model_evicted')}")
    clients = {client_of(c) for c in r["chains"]}
    check(len(clients) == COPIES, f"--memory-limit 8: chains for {len(clients)} of {COPIES} clients")
    check(rss < rss_default, f"--memory-limit 8: peak RSS {rss / 1024:.1f} MiB < {rss_default / 1024:.1f} MiB with the "
          "default 256 MiB budget (the model gave up what it held)")

print(f"{fails} failed")
sys.exit(1 if fails else 0)
