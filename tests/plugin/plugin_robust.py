#!/usr/bin/env python3
"""The plugin survives every capture in the project and corrupted copies.

usage: plugin_robust.py PLUGIN_DIR CAPTURES_DIR   (HS_LIBASAN=path in a sanitizer build)

Every *.pcap / *.pcapng under CAPTURES_DIR, and a copy of each with 2% of its
bytes flipped (`editcap -E 0.02 --seed N`, N fixed per file so runs repeat),
goes through `tshark -2 -V -z hopsniff,tree` with the plugin loaded (the full
tree is built on the second pass, every annotation and decoded message
rendered).  With HS_LIBASAN (a sanitizer build: the plugin is instrumented),
tshark runs with it preloaded and any AddressSanitizer / UBSan report fails.
A crash is a signal, an exit status other than 0 or 2 (2: tshark's own
"file is damaged" message), or a sanitizer report.  When tshark also crashes
on a file WITHOUT the plugin, that is Wireshark's bug: reported, not counted.
"""
import concurrent.futures
import glob
import hashlib
import os
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import wsenv  # noqa: E402


def crashed(p):
    return (p.returncode < 0 or p.returncode not in (0, 2) or "AddressSanitizer" in p.stderr
            or "runtime error:" in p.stderr)


def main():
    plugin_dir, captures = sys.argv[1:3]
    libasan = os.environ.get("HS_LIBASAN")
    wsenv.need("tshark")
    wsenv.need("editcap")
    files = sorted(f for pat in ("**/*.pcap", "**/*.pcapng") for f in glob.glob(os.path.join(captures, pat), recursive=True))
    env = wsenv.Env(plugin_dir)
    bare = wsenv.Env(plugin_dir, with_plugin=False)
    work = tempfile.mkdtemp(prefix="hs-robust-")
    os.chmod(work, 0o755)
    inputs = []
    for i, f in enumerate(files):
        inputs.append(f)
        seed = int(hashlib.sha256(os.path.relpath(f, captures).encode()).hexdigest()[:8], 16)
        out = os.path.join(work, f"{i:03d}-" + os.path.basename(f))
        subprocess.run(["editcap", "-E", "0.02", "--seed", str(seed), f, out], capture_output=True, check=True)
        os.chmod(out, 0o644)
        inputs.append(out)

    def one(f):
        p = env.run(["tshark", "-2", "-V", "-r", f, "-z", "hopsniff,tree"], check=False)
        if not crashed(p):
            return f, None, p.stdout.count("Double-Hop Analysis")
        b = bare.run(["tshark", "-2", "-V", "-r", f], check=False)
        return f, ("tshark" if crashed(b) else "plugin", p.returncode, p.stderr[-3000:]), 0

    fails = tshark_own = trees = 0
    try:
        with concurrent.futures.ThreadPoolExecutor(2) as ex:
            for f, bad, n in ex.map(one, inputs):
                trees += n
                if bad and bad[0] == "plugin":
                    fails += 1
                    print(f"FAIL: {f}: exit {bad[1]}\n{bad[2]}")
                elif bad:
                    tshark_own += 1
                    print(f"note: {f}: tshark crashes without the plugin too (exit {bad[1]})")
    finally:
        env.close()
        bare.close()
        subprocess.run(["rm", "-rf", work])
    print(f"plugin_robust: {len(files)} captures + {len(files)} corrupted copies{' under ASan' if libasan else ''}, "
          f"{trees} Double-Hop trees rendered, {fails} crashes with the plugin, {tshark_own} tshark's own")
    return 1 if fails or trees == 0 else 0


if __name__ == "__main__":
    sys.exit(main())
