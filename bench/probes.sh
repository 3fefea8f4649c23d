#!/bin/bash
# bench/probes.sh [CAPTURE] - what the probes (issue 20) cost and how often
# they misfire, in one run on the file benchmark's capture (bench/data/big.pcap,
# bench/make_capture.sh: bulk TCP on ports 9000-9007 + copies of the real
# captures):
#  - throughput of `hopsniff decode --json` with probes and without
#    (HOPSNIFF_NO_PROBES=1), best of BENCH_RUNS (default 5) runs each,
#    alternating, page cache warm; the drop allowed is 10%; and the
#    instructions each run executes (callgrind; BENCH_IR=0 skips it), which
#    the load of a shared machine does not blur;
#  - false positives: probe_scan (tests/probes/probe_scan.c) probes every TCP
#    flow as the engine probes one on an unknown port; a bulk flow (ports
#    9000-9007 carry no protocol) probed as anything is a misfire.  The real
#    captures' flows are checked against tshark by tests/probes/misfires.py.
set -eu
here=$(cd "$(dirname "$0")" && pwd)
root=$(dirname "$here")
cap=${1:-$here/data/big.pcap}
build=$root/build-bench
runs=${BENCH_RUNS:-5}
[ -f "$cap" ] || { echo "no capture $cap: run bench/make_capture.sh" >&2; exit 2; }
cmake -S "$root" -B "$build" -DCMAKE_BUILD_TYPE=Release -DHS_TESTS=ON >/dev/null
cmake --build "$build" -j2 --target hopsniff probe_scan >/dev/null
bytes=$(stat -c %s "$cap")
cat "$cap" >/dev/null
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

secs() { # CMD...: wall seconds of one run
	local t0 t1
	t0=$(date +%s.%N)
	"$@" >/dev/null 2>"$tmp/err"
	t1=$(date +%s.%N)
	echo "$t1 - $t0" | bc
}
best_on=999999 best_off=999999
for ((i = 0; i < runs; i++)); do
	s=$(secs "$build/standalone/hopsniff" decode --json -r "$cap")
	best_on=$(echo "if ($s < $best_on) $s else $best_on" | bc)
	s=$(HOPSNIFF_NO_PROBES=1 secs "$build/standalone/hopsniff" decode --json -r "$cap")
	best_off=$(echo "if ($s < $best_off) $s else $best_off" | bc)
done
"$build/standalone/hopsniff" decode --json -r "$cap" 2>"$tmp/on.err" | wc -l >"$tmp/on.n"
HOPSNIFF_NO_PROBES=1 "$build/standalone/hopsniff" decode --json -r "$cap" 2>"$tmp/off.err" | wc -l >"$tmp/off.n"
echo "capture: $cap ($((bytes >> 20)) MiB)"
awk -v on="$best_on" -v off="$best_off" -v b="$bytes" 'BEGIN{
	printf "%-22s %8s %8s\n", "hopsniff decode", "seconds", "MB/s"
	printf "%-22s %8.2f %8.1f\n", "with probes", on, b/1048576/on
	printf "%-22s %8.2f %8.1f\n", "without probes", off, b/1048576/off
	printf "throughput drop with probes: %.1f%% (allowed: 10%%)\n", 100*(1 - off/on) }'
echo "output lines with / without probes: $(cat "$tmp/on.n") / $(cat "$tmp/off.n")"
tail -1 "$tmp/on.err"
# Wall time on a machine shared with other work is noisy: the instructions
# executed (valgrind's callgrind, Ir) are not.
if command -v valgrind >/dev/null && [ "${BENCH_IR:-1}" = 1 ]; then
	ir() { valgrind --tool=callgrind --callgrind-out-file=/dev/null "$@" 2>&1 >/dev/null | awk '/Collected/{print $4}'; }
	ir_on=$(ir "$build/standalone/hopsniff" decode --json -r "$cap")
	ir_off=$(HOPSNIFF_NO_PROBES=1 ir "$build/standalone/hopsniff" decode --json -r "$cap")
	awk -v on="$ir_on" -v off="$ir_off" 'BEGIN{ printf "instructions (callgrind Ir): with probes %.0f, without %.0f: %+.2f%%\n", on, off, 100*(on/off - 1) }'
fi
"$build/tests/probe_scan" "$cap" >"$tmp/scan"
awk '/^#/{print "probe_scan: " $4 " TCP flows, " $6 " payloads probed, " $8 " flows probed as a protocol"}' "$tmp/scan"
# bulk flows: the frame numbers the scan accepted on ports 9000-9007
grep -v '^#' "$tmp/scan" | awk '{print $2}' >"$tmp/frames"
bulk_flows=$(tshark -r "$cap" -Y "tcp.dstport >= 9000 && tcp.dstport <= 9007 && tcp.flags.syn == 1 && tcp.flags.ack == 0" \
	-T fields -e frame.number 2>/dev/null | wc -l)
bulk_hits=0
if [ -s "$tmp/frames" ]; then
	filter="frame.number in {$(tr '\n' ' ' <"$tmp/frames")} && tcp.port >= 9000 && tcp.port <= 9007"
	bulk_hits=$(tshark -r "$cap" -Y "$filter" -T fields -e frame.number 2>/dev/null | wc -l)
fi
echo "bulk: $bulk_flows flows (ports 9000-9007), $bulk_hits probed as a protocol (misfires)"
