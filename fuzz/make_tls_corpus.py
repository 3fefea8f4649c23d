#!/usr/bin/env python3
"""Seed corpus for fuzz_tls from the real OpenSSL sessions in
captures/generated/tls: each seed is the session's TCP payloads in capture
order as chunks [dir<<7 | len>>8][len & 255][bytes], and tls_seed_keys.h
holds their key log lines so the seeds decrypt (mutations then reach the
decrypted handshake and KeyUpdate paths).  Run from the repository root."""
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from chunk_seed import conversation, write_keys  # noqa: E402

src = "captures/generated/tls"
out = "fuzz/corpus/tls"
os.makedirs(out, exist_ok=True)
keys = []
for name in ("tls12-aes128-cbc-sha256", "tls12-aes128-sha-etm", "tls12-chacha20", "tls13-chacha20",
             "tls13-aes128-gcm"):
    open(f"{out}/{name}", "wb").write(conversation(f"{src}/{name}.pcap", 5986))
    keys += [l.strip() for l in open(f"{src}/{name}.keylog") if l[0].isupper() and not l.startswith(("RSA", "EXP"))]
write_keys("fuzz/tls_seed_keys.h", "make_tls_corpus.py", "tls_seed_keys", keys)
