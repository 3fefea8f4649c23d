#!/usr/bin/env python3
"""hostile_growth.py HOPSNIFF GEN - growth class and memory ceiling on adversarial captures.

For every shape of gen_hostile.py, hopsniff's CPU time on 4x the input must
stay within 5x the time on 1x (O(n log n) passes, O(n^2) takes 16x); and on
never-closed connections whose parser state alone would take gigabytes,
peak RSS must stay under --memory-limit plus the process's own baseline.
Times and RSS come from the kernel (wait4 rusage), not from hopsniff.
"""
import os
import subprocess
import sys
import tempfile

HOPSNIFF, GEN = sys.argv[1], sys.argv[2]
FLOOR = 0.05  # CPU seconds below which a run is noise


def run(pcap, *extra):
    pid = os.fork()
    if pid == 0:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, 1)
        os.dup2(devnull, 2)
        os.execv(HOPSNIFF, [HOPSNIFF, "-r", pcap, "--json", *extra])
    _, status, ru = os.wait4(pid, 0)
    code = os.waitstatus_to_exitcode(status)
    if code not in (0, 1):
        sys.exit("FAIL: hopsniff -r %s %s exited %d" % (pcap, " ".join(extra), code))
    return ru.ru_utime + ru.ru_stime, ru.ru_maxrss / 1024.0


def gen(tmp, shape, n):
    path = os.path.join(tmp, "%s-%d.pcap" % (shape, n))
    subprocess.run([sys.executable, GEN, shape, str(n), path], check=True)
    return path


def main():
    fails = 0
    with tempfile.TemporaryDirectory() as tmp:
        growth = [("ooo-asc", 25000), ("ooo-desc", 25000), ("ooo-random", 25000), ("slow-http", 25000),
                  ("halfopen-sql", 10000), ("halfopen-tls", 10000), ("halfopen-http", 10000)]
        for shape, n in growth:
            t1, _ = min(run(gen(tmp, shape, n)) for _ in range(2))
            t4, r4 = min(run(gen(tmp, shape, 4 * n)) for _ in range(2))
            ok = t4 <= 5 * max(t1, FLOOR)
            fails += not ok
            print("%s %-14s n=%-6d %.3f s  4n=%-6d %.3f s (%.1fx, max 5x)  peak RSS %.0f MiB" %
                  ("ok  " if ok else "FAIL", shape, n, t1, 4 * n, t4, t4 / max(t1, FLOOR), r4))
        _, base = run(gen(tmp, "halfopen-tls", 10))
        limit = 16
        shapes = ("halfopen-tls", "halfopen-sql", "halfopen-http", "ooo-desc")
        if b"__asan_init" in open(HOPSNIFF, "rb").read():
            # ASan keeps freed memory in quarantine and adds shadow pages:
            # RSS says nothing about hopsniff's own budget there
            print("note: sanitizer build: the memory ceiling is checked by the plain build only")
            shapes = ()
        for shape in shapes:
            n = 60000
            _, rss = run(gen(tmp, shape, n), "--memory-limit", str(limit))
            # the budget, the process's baseline, and room for the allocator
            # and what the report keeps (anomalies are capped at 1000)
            ceiling = base + 2 * limit + 24
            ok = rss <= ceiling
            fails += not ok
            print("%s %-14s %d: peak RSS %.0f MiB with --memory-limit %d (ceiling %.0f MiB)" %
                  ("ok  " if ok else "FAIL", shape, n, rss, limit, ceiling))
    if fails:
        sys.exit("%d hostile-input checks failed" % fails)


if __name__ == "__main__":
    main()
