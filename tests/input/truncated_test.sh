#!/usr/bin/env bash
# truncated_test.sh INPUT_DUMP - a capture truncated by another program while
# hopsniff reads it (input.c maps regular files): the reader must stop with a
# clear error and exit status 2, never die of SIGBUS.  A 2 MB pcap (2,000
# Ethernet frames of 1,000 bytes) is written here; input_dump truncates it
# after 5 packets and reads on into pages that no longer exist.
set -u
dump=$1
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
python3 - "$tmp/cap" <<'PY'
import struct, sys
with open(sys.argv[1], "wb") as f:
    f.write(struct.pack("<IHHiIII", 0xa1b2c3d4, 2, 4, 0, 0, 65535, 1))
    for i in range(2000):
        f.write(struct.pack("<IIII", 1700000000 + i, 0, 1000, 1000) + bytes(1000))
PY
"$dump" --truncate-after 5 "$tmp/cap" >"$tmp/out" 2>"$tmp/err"
rc=$?
cat "$tmp/err"
if [ "$rc" -ne 2 ]; then
	echo "FAIL: exit status $rc, want 2 (135 = killed by SIGBUS)"
	exit 1
fi
grep -q "truncated by another program while being read" "$tmp/err" || { echo "FAIL: no clear error"; exit 1; }
echo "ok: exit 2 with a clear error"
