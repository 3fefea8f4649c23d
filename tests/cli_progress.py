#!/usr/bin/env python3
"""The progress line of `hopsniff -r` (standalone/progress.c) on a pseudo-terminal and in pipes.

usage: cli_progress.py HOPSNIFF SCENARIO_DIR

On scenario 15's three captures merged (two chains in its expected.json), run
through script(1) so that stderr is a terminal, with HOPSNIFF_PROGRESS_DELAY=0
(the work is short):
  - the line appears; its last frame, drawn once the work is over, says the
    bytes of the three files (their sizes), the packets (tshark's count), the
    chains (expected.json's); it is erased (\\r ESC[K) before anything else;
  - not with --json, unless --progress; never with --no-progress; not in decode
    mode when the messages go to the same terminal;
  - with the default delay (1.5 s) a run this short shows nothing.
With stderr a pipe: nothing, unless --progress.  --progress with --no-progress:
exit 2.
"""
import glob
import json
import os
import re
import shlex
import shutil
import subprocess
import sys

FRAME = re.compile(r"\rhopsniff: (?P<at>[\d.]+ \w+) of (?P<total>[\d.]+ \w+) \((?P<pct>\d+)%\), "
                   r"(?P<packets>\d+) packets, [\d.]+ \w+/s(?:, (?P<chains>\d+) chains?)?(?:, ETA \d+:\d\d)?\x1b\[K")


def human(v):
    """As progress.c prints sizes: 1.5 GiB, 840 MiB, 12.3 KiB."""
    units = ["B", "KiB", "MiB", "GiB", "TiB"]
    u = 0
    while v >= 1024 and u < 4:
        v /= 1024
        u += 1
    if u == 0:
        return f"{v:.0f} B"
    return f"{v:.{2 if v < 10 else 1 if v < 100 else 0}f} {units[u]}"


def on_pty(cmd, delay="0"):
    """cmd (a list) under script(1): its stderr is a terminal, stdout goes to /dev/null."""
    env = dict(os.environ, HOPSNIFF_PROGRESS_DELAY=delay) if delay is not None else dict(os.environ)
    if delay is None:
        env.pop("HOPSNIFF_PROGRESS_DELAY", None)
    line = " ".join(shlex.quote(c) for c in cmd) + " >/dev/null"
    p = subprocess.run(["script", "-qec", line, "/dev/null"], capture_output=True, env=env, timeout=120)
    return p.stdout.decode("utf-8", "replace")


def in_pipe(cmd):
    env = dict(os.environ, HOPSNIFF_PROGRESS_DELAY="0")
    p = subprocess.run(cmd, capture_output=True, env=env, timeout=120)
    return p.returncode, p.stderr.decode("utf-8", "replace")


def main():
    hs, scn = sys.argv[1:3]
    if not shutil.which("script"):
        print("SKIP: script(1) (util-linux) not installed")
        return 77
    d = os.path.join(scn, "15-two-users")
    files = [os.path.join(d, n) for n in ("client1.pcapng", "srv1.pcapng", "dc.pcapng")]
    with open(os.path.join(d, "expected.json")) as f:
        chains = len(json.load(f)["chains"])
    size = sum(os.path.getsize(f) for f in files)
    packets = 0
    for f in files:
        out = subprocess.run(["tshark", "-r", f, "-T", "fields", "-e", "frame.number"], capture_output=True,
                             text=True, check=True).stdout
        packets += len(out.split())
    args = [hs] + [a for f in files for a in ("-r", f)]
    fails = 0

    def check(name, cond, detail=""):
        nonlocal fails
        print(("ok   " if cond else "FAIL ") + name + ("" if cond else ": " + detail))
        fails += 0 if cond else 1

    t = on_pty(args)
    frames = list(FRAME.finditer(t))
    check("progress on a terminal", bool(frames), repr(t[:300]))
    if frames:
        last = frames[-1]
        want = (human(size), human(size), "100", str(packets), str(chains))
        got = (last["at"], last["total"], last["pct"], last["packets"], last["chains"])
        check(f"last frame: {human(size)} of {human(size)} (100%), {packets} packets (tshark), {chains} chains "
              "(expected.json)", got == want, f"{got} != {want}")
        after = t[last.end():]
        check("erased before the summary line", after.startswith("\r\x1b[K"), repr(after[:40]))
        check("one line: no newline inside the progress frames", "\n" not in t[:last.end()], repr(t[:last.end()]))
    check("--json on a terminal: none", not FRAME.search(on_pty(args + ["--json"])))
    check("--json --progress on a terminal: shown", bool(FRAME.search(on_pty(args + ["--json", "--progress"]))))
    check("--no-progress on a terminal: none", not FRAME.search(on_pty(args + ["--no-progress"])))
    check("the default delay: a short run shows none", not FRAME.search(on_pty(args, delay=None)))
    # decode mode with the messages on the terminal itself
    line = " ".join(shlex.quote(c) for c in [hs, "decode"] + args[1:])
    p = subprocess.run(["script", "-qec", line, "/dev/null"], capture_output=True, timeout=120,
                       env=dict(os.environ, HOPSNIFF_PROGRESS_DELAY="0"))
    check("decode printing to the terminal: none", not FRAME.search(p.stdout.decode("utf-8", "replace")))
    rc, err = in_pipe(args)
    check("stderr a pipe: none", rc == 1 and "\r" not in err, repr(err[:200]))
    rc, err = in_pipe(args + ["--progress"])
    check("stderr a pipe with --progress: shown", bool(FRAME.search(err)), repr(err[:200]))
    rc, err = in_pipe(args + ["--progress", "--no-progress"])
    check("--progress with --no-progress: exit 2", rc == 2 and "exclude" in err, f"{rc} {err}")
    print(f"{fails} failed")
    return 1 if fails else 0


if __name__ == "__main__":
    sys.exit(main())
