"""Run tshark / wireshark with the plugin from the build tree loaded.

Wireshark 4.0 ignores the personal plugin folder when the real uid or gid is
0 (notes/wireshark-4.0-plugins.md), so as root the tools run as nobody
(65534) through setpriv, with HOME a temporary folder whose
.local/lib/wireshark/plugins/4.0/epan holds a copy of the built hopsniff.so.
As any other user they run as that user with the same HOME.
In a sanitizer build the plugin needs the ASan runtime loaded first: the
tests get its path in HS_LIBASAN and preload it into tshark / wireshark.
"""
import os
import shutil
import subprocess
import sys
import tempfile

SKIP = 77


def need(tool):
    if not shutil.which(tool):
        print(f"SKIP: {tool} not installed")
        sys.exit(SKIP)


class Env:
    def __init__(self, plugin_dir, with_plugin=True):
        """plugin_dir: the build's plugin folder (holding 4.0/epan/hopsniff.so)."""
        self.home = tempfile.mkdtemp(prefix="hs-plugin-")
        os.chmod(self.home, 0o755)
        if with_plugin:
            dst = os.path.join(self.home, ".local/lib/wireshark/plugins")
            shutil.copytree(plugin_dir, dst, ignore=shutil.ignore_patterns("CMakeFiles", "*.cmake", "Makefile"))
        for root, dirs, files in os.walk(self.home):
            for n in dirs + files:
                os.chmod(os.path.join(root, n), 0o755)
        self.as_nobody = os.getuid() == 0 or os.getgid() == 0

    def prefix(self):
        env = ["env", f"HOME={self.home}", "XDG_CONFIG_HOME=" + os.path.join(self.home, ".config")]
        if os.environ.get("HS_LIBASAN"):
            env += ["LD_PRELOAD=" + os.environ["HS_LIBASAN"], "ASAN_OPTIONS=detect_leaks=0",
                    "UBSAN_OPTIONS=print_stacktrace=1"]
        if self.as_nobody:
            return env + ["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups"]
        return env

    def run(self, args, check=True, extra_env=None, timeout=300):
        cmd = self.prefix()
        if extra_env:
            cmd = cmd[:1] + [f"{k}={v}" for k, v in extra_env.items()] + cmd[1:]
        p = subprocess.run(cmd + args, capture_output=True, text=True, errors="replace", timeout=timeout)
        if check and p.returncode != 0:
            raise RuntimeError(f"{' '.join(args)}: exit {p.returncode}: {p.stderr[-2000:]}")
        return p

    def close(self):
        shutil.rmtree(self.home, ignore_errors=True)


def readable(path):
    """The file and its folders must be readable by nobody when we switch to it."""
    return os.access(path, os.R_OK) and os.stat(path).st_mode & 0o004


def parse_stats_tree(text, title="Double-Hop/Chains:"):
    """The -z hopsniff,tree block as {path tuple: count}."""
    out = {}
    lines = text.splitlines()
    try:
        start = lines.index(title)
    except ValueError:
        return None
    stack = []
    for line in lines[start + 1:]:
        if line.startswith("Topic") or set(line.strip()) <= {"-"} and line.strip():
            continue
        if not line.strip():
            continue
        if line.startswith("="):
            break
        depth = len(line) - len(line.lstrip(" "))
        cols = line.strip().split()
        # name may contain spaces: the count is the first integer column after it
        i = next(k for k in range(len(cols)) if cols[k].isdigit())
        name = " ".join(cols[:i])
        stack = stack[:depth] + [name]
        out[tuple(stack)] = int(cols[i])
    return out
