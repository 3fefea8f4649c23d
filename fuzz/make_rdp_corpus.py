#!/usr/bin/env python3
"""Seed corpus for fuzz_rdp from the FreeRDP captures in captures/generated/rdp:
each seed is the connection's TCP payloads in capture order as chunks
[dir<<7 | len>>8][len & 255][bytes] (chunk_fuzz.h), and rdp_seed_keys.h holds
their key log lines so the seeds decrypt.  Run from the repository root."""
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from chunk_seed import conversation, write_keys  # noqa: E402

src = "captures/generated/rdp"
out = "fuzz/corpus/rdp"
os.makedirs(out, exist_ok=True)
keys = []
for name in ("nla-ok", "nla-badpass", "nla-refused", "neg-failure", "tls-only", "hybrid-ex-ok", "hybrid-ex-denied"):
    open(f"{out}/{name}", "wb").write(conversation(f"{src}/{name}.pcap", 3389))
    for line in open(f"{src}/{name}.keylog"):
        line = line.strip()
        if line and line[0].isupper() and line not in keys:
            keys.append(line)
write_keys("fuzz/rdp_seed_keys.h", "make_rdp_corpus.py", "rdp_seed_keys", keys)
