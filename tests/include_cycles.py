#!/usr/bin/env python3
"""include_cycles.py SOURCE_DIR

The include graph of hopsniff's C code must have no cycle but the ones
listed below, each with its reason and the way out.  A module is a .c/.h
pair (foo.c + foo.h = foo); foo -> bar when foo.c or foo.h includes bar.h.
Tests (*_test.c) are left out.  Fails (exit 1) on any other cycle, or when a
listed cycle grows; says so (exit 0) when a listed one is gone, so the list
can shrink.  Why: a file's includes are its real dependencies; a cycle
means neither side can be read, tested or fuzzed alone (the one that tied
the engine to every parser spanned 17 files)."""
import os
import re
import sys

FOLDERS = ["decoder", "standalone", "plugin"]

# Known cycles: members -> reason.  Do not add to this list without a reason.
KNOWN = {
}


def graph(src):
    mods = {}
    for d in FOLDERS:
        folder = os.path.join(src, d)
        for f in sorted(os.listdir(folder)):
            if not re.search(r"\.[ch]$", f) or f.endswith("_test.c"):
                continue
            stem = f[:-2]
            text = open(os.path.join(folder, f), encoding="utf-8", errors="replace").read()
            inc = re.findall(r'^\s*#\s*include\s+"([^"]+)\.h"', text, re.M)
            mods.setdefault(stem, set()).update(os.path.basename(i) for i in inc if os.path.basename(i) != stem)
    return {k: {v for v in vs if v in mods} for k, vs in mods.items()}


def cycles(g):
    """Strongly connected components of more than one module (Tarjan)."""
    index, low, stack, on, out = {}, {}, [], set(), []
    counter = [0]

    def visit(v):
        index[v] = low[v] = counter[0]
        counter[0] += 1
        stack.append(v)
        on.add(v)
        for w in sorted(g[v]):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            comp = set()
            while True:
                w = stack.pop()
                on.discard(w)
                comp.add(w)
                if w == v:
                    break
            if len(comp) > 1:
                out.append(frozenset(comp))

    sys.setrecursionlimit(10000)
    for v in sorted(g):
        if v not in index:
            visit(v)
    return out


def main():
    g = graph(sys.argv[1])
    found = cycles(g)
    bad = 0
    for c in found:
        if c in KNOWN:
            continue
        print("include cycle:", " <-> ".join(sorted(c)))
        for v in sorted(c):
            print(f"  {v} includes", ", ".join(sorted(g[v] & c)))
        bad = 1
    for c in KNOWN:
        if c not in found:
            print("gone (remove it from KNOWN):", " <-> ".join(sorted(c)))
    if not bad:
        print(f"ok: {len(g)} modules, no include cycle but the {len([c for c in found if c in KNOWN])} known")
    return bad


if __name__ == "__main__":
    sys.exit(main())
