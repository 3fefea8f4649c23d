#!/bin/bash
# lab_live.sh HOPSNIFF - live capture in the lab (root; ctest label "lab"): captures/lab/run.sh records the
# live scenarios 90 (= 08, S4U2Proxy refused) and 91 (= 14, WinRM over HTTPS with the client's key log
# followed while it is written) with `hopsniff -i eth0` running on srv1; lab_live_check.py compares what
# hopsniff streamed and reported with the scenarios' expected.json and its -w file with dumpcap's.
# About 2.5 minutes (building the lab is most of it).
set -euo pipefail
HS=$(readlink -f "$1")
REPO=$(cd "$(dirname "$0")/../.." && pwd)
if [ "$(id -u)" != 0 ]; then echo "lab_live: needs root (network namespaces)"; exit 77; fi
OUT=$(mktemp -d /tmp/hsl-lab-live.XXXXXX)
trap 'rm -rf "$OUT"' EXIT
rc=0
HS_LAB_EXTRA="90-live-08 91-live-14-keylog" HS_LAB_OUT=$OUT HS_LIVE_HOPSNIFF=$HS \
  timeout 900 bash "$REPO/captures/lab/run.sh" 90 91 </dev/null >"$OUT/lab.log" 2>&1 || rc=$?
if [ "$rc" != 0 ]; then tail -20 "$OUT/lab.log"; echo "lab run failed (exit $rc)"; exit 1; fi
if ip netns list 2>/dev/null | grep -q '^hs-'; then echo "FAIL: lab namespaces left behind"; exit 1; fi
python3 "$REPO/tests/live/lab_live_check.py" "$OUT" "$REPO/captures/lab/scenarios"
