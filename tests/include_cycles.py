#!/usr/bin/env python3
"""include_cycles.py SOURCE_DIR

The include graph of hopsniff's C code must have no cycle but the ones
listed below, each with its reason and the way out.  A module is a .c/.h
pair (foo.c + foo.h = foo, in any sub-folder); foo -> bar when foo.c or foo.h
includes bar.h.  Tests (*_test.c) are left out.  The same holds one level
up: folders (decoder/base, decoder/net ... standalone, plugin) are the
layers, folder A -> folder B when a module of A includes one of B, and that
graph must have no cycle either (but the listed ones).  Fails (exit 1) on
any other cycle, or when a listed cycle grows; says so (exit 0) when a
listed one is gone, so the list can shrink.  Why: a file's includes are its real dependencies; a cycle
means neither side can be read, tested or fuzzed alone (the one that tied
the engine to every parser spanned 17 files)."""
import os
import re
import sys

FOLDERS = ["decoder", "standalone", "plugin"]

# Known cycles: members -> reason.  Do not add to this list without a reason.
KNOWN = {
}

# Known cycles between folders (paths relative to the source), each the
# shadow of a known module cycle above.
KNOWN_FOLDERS = {
}


def sources(src):
    """(folder relative to src, file name) of every .c/.h but tests."""
    for d in FOLDERS:
        for root, dirs, files in os.walk(os.path.join(src, d)):
            dirs.sort()
            for f in sorted(files):
                if re.search(r"\.[ch]$", f) and not f.endswith("_test.c"):
                    yield os.path.relpath(root, src), f


def graph(src, where=None):
    """Module -> modules it includes; where (a dict) gets each module's folder."""
    mods = {}
    for folder, f in sources(src):
        stem = f[:-2]
        if where is not None:
            if where.setdefault(stem, folder) != folder:
                sys.exit(f"module {stem} has files in {where[stem]} and {folder}: a module is one .c/.h pair")
        text = open(os.path.join(src, folder, f), encoding="utf-8", errors="replace").read()
        inc = re.findall(r'^\s*#\s*include\s+"([^"]+)\.h"', text, re.M)
        mods.setdefault(stem, set()).update(os.path.basename(i) for i in inc if os.path.basename(i) != stem)
    return {k: {v for v in vs if v in mods} for k, vs in mods.items()}


def folder_graph(g, where):
    """Folder -> folders its modules include (itself left out)."""
    fg = {f: set() for f in where.values()}
    for m, deps in g.items():
        fg[where[m]].update(where[d] for d in deps if where[d] != where[m])
    return fg


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


def check(found, known, g, what):
    """Print the cycles of found not in known; 1 when there is one."""
    bad = 0
    for c in found:
        if c in known:
            continue
        print(f"include cycle between {what}:", " <-> ".join(sorted(c)))
        for v in sorted(c):
            print(f"  {v} includes", ", ".join(sorted(g[v] & c)))
        bad = 1
    for c in known:
        if c not in found:
            print(f"gone (remove it from the known {what}):", " <-> ".join(sorted(c)))
    return bad


def main():
    where = {}
    g = graph(sys.argv[1], where)
    fg = folder_graph(g, where)
    found, ffound = cycles(g), cycles(fg)
    bad = check(found, KNOWN, g, "modules") | check(ffound, KNOWN_FOLDERS, fg, "folders")
    if not bad:
        print(f"ok: {len(g)} modules in {len(fg)} folders, no include cycle but the "
              f"{len([c for c in found if c in KNOWN])} known between modules and the "
              f"{len([c for c in ffound if c in KNOWN_FOLDERS])} known between folders")
    return bad


if __name__ == "__main__":
    sys.exit(main())
