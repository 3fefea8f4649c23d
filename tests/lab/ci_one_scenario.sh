#!/bin/bash
# CI: installs the lab's Debian packages, builds the lab, records ONE scenario end to end into a temporary
# folder, tears the lab down and checks the fresh capture with tshark. Needs root; no terminal needed.
#   tests/lab/ci_one_scenario.sh [SCENARIO]     (default 05-unconstrained)
# With a built hopsniff (HS_HOPSNIFF, default build/standalone/hopsniff), the fresh capture's sealed WinRM bodies
# are also opened with its keytab and compared with the endpoint's plaintext log (tests/lab/sealed_lab.py).
# Last line: "N passed, N failed" (from check_scenarios.sh).
set -euo pipefail
REPO=$(cd "$(dirname "$0")/../.." && pwd)
SCN=${1:-05-unconstrained}
T0=$(date +%s)
if [ "$(id -u)" != 0 ]; then echo "ci_one_scenario: needs root (network namespaces)"; echo "0 passed, 1 failed"; exit 1; fi
bash "$REPO/captures/lab/deps.sh" </dev/null
OUT=$(mktemp -d /tmp/hs-ci-lab.XXXXXX)
trap 'rm -rf "$OUT"' EXIT
rc=0
HS_LAB_OUT=$OUT timeout 900 bash "$REPO/captures/lab/run.sh" "$SCN" </dev/null || rc=$?
echo "lab run exit status $rc, $(($(date +%s) - T0))s since start"
if ip netns list 2>/dev/null | grep -q '^hs-'; then echo "FAIL: lab namespaces left behind"; echo "0 passed, 1 failed"; exit 1; fi
if [ "$rc" != 0 ]; then echo "0 passed, 1 failed"; exit 1; fi
HS=${HS_HOPSNIFF:-$REPO/build/standalone/hopsniff}
if [ -x "$HS" ] && ls "$OUT"/*/srv1-plaintext.jsonl >/dev/null 2>&1; then
  python3 "$REPO/tests/lab/sealed_lab.py" "$HS" "$OUT" || { echo "FAIL: sealed bodies (sealed_lab.py)"; echo "0 passed, 1 failed"; exit 1; }
fi
bash "$REPO/tests/lab/check_scenarios.sh" "$OUT" "$SCN"
