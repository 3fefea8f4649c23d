#!/usr/bin/env python3
"""anomaly_docs.py SOURCE_DIR [--write]

The anomaly kinds of decoder/anomalies.def against docs/engine.md's table:
the table between the two markers must be exactly the one generated from
the list (kind, severity, meaning, in the list's order).  --write rewrites
it.  Also: no anomaly kind is written as a string literal
(`snprintf(x.kind, ..., "kind")`, `x.kind = "kind"`) in the decoder, the
command or the plugin: kinds are hs_anom_name(HS_ANOM_<ID>), so a misspelt
one does not compile.
Exit 0 when they agree, 1 with a diff when not."""
import difflib
import glob
import os
import re
import sys

BEGIN = "<!-- anomaly table: generated from decoder/anomalies.def (tests/anomaly_docs.py --write) -->"
END = "<!-- end of anomaly table -->"


def sources(src, pattern):
    """Files matching pattern under decoder/, standalone/ and plugin/, in any sub-folder."""
    out = []
    for d in ("decoder", "standalone", "plugin"):
        out += glob.glob(os.path.join(src, d, "**", pattern), recursive=True)
    return sorted(out)


def find(src, name):
    hits = sources(src, name)
    if len(hits) != 1:
        sys.exit(f"{name}: expected one under decoder/, found {len(hits)}")
    return hits[0]


ids = []  # the HS_ANOM_<ID> of each row


def kinds(src):
    rows = []
    pat = re.compile(r'^HS_ANOM\((\w+), "([a-z0-9_]+)", (NOTE|WARN|ERROR), "(.*)"\)\s*$')
    for line in open(find(src, "anomalies.def"), encoding="utf-8"):
        if line.startswith("HS_ANOM("):
            m = pat.match(line)
            if not m:
                sys.exit(f"anomalies.def: line not in the HS_ANOM(ID, \"kind\", SEVERITY, \"meaning\") form: {line.strip()}")
            rows.append((m.group(2), m.group(3).lower(), m.group(4).replace('\\"', '"')))
            ids.append(m.group(1))
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
    # kinds written as literals instead of hs_anom_name(HS_ANOM_<ID>)
    lit = re.compile(r'snprintf\(\s*\w+(?:\.|->)kind\s*,[^,]+,\s*"([a-z0-9_]+)"|\w(?:\.|->)kind\s*=\s*"([a-z0-9_]+)"')
    for f in sources(src, "*.c"):
        if f.endswith("_test.c"):
            continue
        for n, line in enumerate(open(f, encoding="utf-8"), 1):
            for k in filter(None, sum(lit.findall(line), ())):
                known = "HS_ANOM_" + ids[names.index(k)] if k in names else "HS_ANOM_<NEW>"
                print(f"{os.path.relpath(f, src)}:{n}: anomaly kind {k!r} as a string literal; use hs_anom_name({known})"
                      + ("" if k in names else f" (and add {k!r} to anomalies.def)"))
                bad = 1
    if not bad:
        print(f"ok: {len(rows)} anomaly kinds, docs/engine.md agrees")
    return bad


if __name__ == "__main__":
    sys.exit(main())
