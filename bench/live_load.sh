#!/bin/bash
# bench/live_load.sh [COPIES] [BUFFER_MIB] - load test of live capture (root).
#   REPLAY="--pps=20000" bench/live_load.sh   replays at a fixed rate instead of --topspeed.
#   tcpreplay --topspeed replays bench/data/live-load.pcap (bench/make_live_capture.py: COPIES copies,
#   default 600, of srv1's view of every lab scenario, each copy on its own addresses) from namespace
#   hsl-load-tx over a veth pair to namespace hsl-load-rx, where `hopsniff -i veth-rx` listens with the
#   default filter.  Prints tcpreplay's rate, packets hopsniff analysed and their rate, pcap_stats drops,
#   peak RSS and CPU, and the chains reported; the figures go to docs/performance.md.
# Safety: the whole script runs inside `unshare --net --mount` (its own network namespace and a private
# /run/netns): the two namespaces and the veth pair exist only in there and go away on exit (trap).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(dirname "$here")
copies=${1:-600}
buf=${2:-64}
HS=${HS:-$root/build/standalone/hopsniff}
echo "live_load: $copies copies, --buffer-size $buf MiB, tcpreplay ${REPLAY:---topspeed}"
if [ -z "${HSL_INNER:-}" ]; then
	[ "$(id -u)" = 0 ] || { echo "live_load.sh: needs root (network namespaces)" >&2; exit 2; }
	export HSL_INNER=1
	exec unshare --net --mount --propagation private -- "$0" "$@"
fi
cap=$here/data/live-load-$copies.pcap
mkdir -p "$here/data"
[ -s "$cap" ] || python3 "$here/make_live_capture.py" "$copies" "$cap"
out=$(mktemp -d /tmp/hsl-load.XXXXXX)
HSPID=
. "$here/veth_pair.sh"
veth_bench hsl-load "$out"
ip netns exec hsl-load-rx "$HS" -i veth-rx --json --buffer-size "$buf" >"$out/report.json" 2>"$out/hs.err" &
HSPID=$!
for _ in $(seq 100); do grep -q "capturing on" "$out/hs.err" && break; sleep 0.1; done
ip netns exec hsl-load-tx tcpreplay -i veth-tx ${REPLAY:---topspeed} "$cap" >"$out/replay.txt" 2>&1
sleep 3
kill -INT "$HSPID"
rc=0; wait "$HSPID" || rc=$?
HSPID=
echo "== tcpreplay"; grep -E "Actual|Rated|Failed" "$out/replay.txt"
echo "== hopsniff (exit $rc)"; grep -v "^[0-9][0-9]:\|^         " "$out/hs.err"
echo "== streamed verdict lines: $(grep -c ' chain ' "$out/hs.err" || true)"
python3 - "$out/replay.txt" "$out/hs.err" "$out/report.json" <<'PY'
import json, re, sys
rep = open(sys.argv[1]).read()
err = open(sys.argv[2]).read()
sent = int(re.search(r"Actual: (\d+) packets", rep).group(1))
secs = float(re.search(r"packets \(\d+ bytes\) sent in ([\d.]+) seconds", rep).group(1))
got = int(re.search(r"(\d+) packets analysed", err).group(1))
drop = int(re.search(r"(\d+) dropped \(buffer full\)", err).group(1))
cpu = float(re.search(r"CPU ([\d.]+) s", err).group(1))
rss = float(re.search(r"peak RSS ([\d.]+) MiB", err).group(1))
r = json.load(open(sys.argv[3]))
print(f"RESULT sent={sent} in {secs:.2f}s ({sent / secs:,.0f} pps offered); analysed={got} "
      f"({got / secs:,.0f} pps over the replay); kernel drops={drop}; hopsniff CPU {cpu:.2f}s "
      f"({got / cpu:,.0f} packets per CPU second); peak RSS {rss:.1f} MiB; chains {len(r['chains'])}")
PY
