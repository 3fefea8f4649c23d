#!/usr/bin/env python3
"""anomaly_docs.py SOURCE_DIR [--write]

The anomaly kinds of decoder/anomalies.def against docs/engine.md's table:
the table between the two markers must be exactly the one generated from
the list (kind, severity, meaning, in the list's order).  --write rewrites
it.  Also: every anomaly kind the front ends and the report still write as a
string literal (`snprintf(x.kind, ..., "kind")`) must be in the list.
Exit 0 when they agree, 1 with a diff when not."""
import difflib
import glob
import os
import re
import sys

BEGIN = "<!-- anomaly table: generated from decoder/anomalies.def (tests/anomaly_docs.py --write) -->"
END = "<!-- end of anomaly table -->"


def kinds(src):
    rows = []
    pat = re.compile(r'^HS_ANOM\((\w+), "([a-z0-9_]+)", (NOTE|WARN|ERROR), "(.*)"\)\s*$')
    for line in open(os.path.join(src, "decoder", "anomalies.def"), encoding="utf-8"):
        if line.startswith("HS_ANOM("):
            m = pat.match(line)
            if not m:
                sys.exit(f"anomalies.def: line not in the HS_ANOM(ID, \"kind\", SEVERITY, \"meaning\") form: {line.strip()}")
            rows.append((m.group(2), m.group(3).lower(), m.group(4).replace('\\"', '"')))
    return rows


def table(rows):
    out = [BEGIN, "| kind | severity | meaning |", "|---|---|---|"]
    out += [f"| `{k}` | {s} | {m} |" for k, s, m in rows]
    out.append(END)
    return out


def main():
    src = sys.argv[1]
    write = "--write" in sys.argv[2:]
    rows = kinds(src)
    names = [k for k, _, _ in rows]
    bad = 0
    dup = {k for k in names if names.count(k) > 1}
    if dup:
        print("anomalies.def: kinds listed twice:", ", ".join(sorted(dup)))
        bad = 1
    doc = os.path.join(src, "docs", "engine.md")
    lines = open(doc, encoding="utf-8").read().split("\n")
    if BEGIN not in lines or END not in lines:
        sys.exit(f"{doc}: the markers of the anomaly table are missing")
    i, j = lines.index(BEGIN), lines.index(END)
    want = table(rows)
    have = lines[i:j + 1]
    if have != want:
        if write:
            lines[i:j + 1] = want
            open(doc, "w", encoding="utf-8").write("\n".join(lines))
            print(f"{doc}: anomaly table rewritten ({len(rows)} kinds)")
        else:
            print(f"{doc} disagrees with decoder/anomalies.def (run tests/anomaly_docs.py SRC --write):")
            sys.stdout.writelines(l + "\n" for l in difflib.unified_diff(have, want, "docs/engine.md", "anomalies.def", lineterm=""))
            bad = 1
    # kinds still written as literals outside the decoder's typed calls
    lit = re.compile(r'snprintf\(\s*\w+(?:\.|->)kind\s*,[^,]+,\s*"([a-z0-9_]+)"')
    for f in sorted(glob.glob(os.path.join(src, "decoder", "*.c")) + glob.glob(os.path.join(src, "standalone", "*.c"))
                    + glob.glob(os.path.join(src, "plugin", "*.c"))):
        for n, line in enumerate(open(f, encoding="utf-8"), 1):
            for k in lit.findall(line):
                if k not in names:
                    print(f"{os.path.relpath(f, src)}:{n}: anomaly kind {k!r} is not in decoder/anomalies.def")
                    bad = 1
    if not bad:
        print(f"ok: {len(rows)} anomaly kinds, docs/engine.md agrees")
    return bad


if __name__ == "__main__":
    sys.exit(main())
