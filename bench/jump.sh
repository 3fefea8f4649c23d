#!/bin/bash
# bench/jump.sh [N ...] - the jump server: N copies of srv1's view of every lab scenario
# (bench/make_live_capture.py --jump: the same srv1, srv2 and DC, a distinct client address per
# copy, copies 2 s apart) read by `hopsniff --json -r` (report mode: the model and its finish) and
# by `hopsniff decode --json -r` (the decoders alone) one after another on the same file, page
# cache warm.  Per N: packets, chains reported, model drops, seconds, packets/s and peak RSS of
# each mode, report/decode; between successive N: the time ratio (linear: 4x copies ~ 4x time).
# Default N: 100 400 1600 6400 (the 6,400-copy capture is 3.5 GB, ~55 s to build; bench/data/, not committed).
# The uptime load is printed with the figures (the machine may be shared).
set -eu
here=$(cd "$(dirname "$0")" && pwd)
root=$(dirname "$here")
build=$root/build-bench
[ $# -gt 0 ] || set -- 100 400 1600 6400
cmake -S "$root" -B "$build" -DCMAKE_BUILD_TYPE=Release -DHS_TESTS=OFF >/dev/null
cmake --build "$build" -j2 --target hopsniff >/dev/null
hs=$build/standalone/hopsniff
mkdir -p "$here/data"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

measure() { # NAME CMD...: sets secs_NAME, rss_NAME (KiB); stdout in $tmp/NAME.out
	local name=$1 rc=0
	shift
	/usr/bin/time -v -o "$tmp/$name.time" "$@" >"$tmp/$name.out" 2>"$tmp/$name.err" || rc=$?
	# report mode exits 1 when a chain failed (report-contract.md); anything else is an error
	[ $rc -le 1 ] || { echo "$name failed ($rc):" >&2; cat "$tmp/$name.err" >&2; exit 1; }
	local wall
	wall=$(awk -F': ' '/Elapsed \(wall clock\)/{print $2}' "$tmp/$name.time")
	eval "secs_$name=$(echo "$wall" | awk -F: '{s=0; for(i=1;i<=NF;i++) s=s*60+$i; print s}')"
	eval "rss_$name=$(awk -F': ' '/Maximum resident set size/{print $2}' "$tmp/$name.time")"
	# CPU seconds (user + system): less disturbed than wall time on a shared machine
	eval "cpu_$name=$(awk -F': ' '/User time|System time/{s+=$2} END{print s}' "$tmp/$name.time")"
}

# the machine is shared: its load goes with the figures
echo "# $(date -u +%FT%TZ) $(uptime)"
printf "%6s %10s %7s %7s | %8s %10s %8s | %8s %10s %8s | %13s %10s | %7s %7s %9s %8s\n" copies packets chains dropped \
	report_s pkts/s RSS_MiB decode_s pkts/s RSS_MiB report/decode time_x_prev rep_cpu dec_cpu cpu_r/d cpu_x_prev
prev=
prevc=
for n in "$@"; do
	cap=$here/data/jump-$n.pcap
	[ -s "$cap" ] || python3 "$here/make_live_capture.py" --jump "$n" "$cap" >/dev/null
	packets=$((1457 * n))
	cat "$cap" >/dev/null
	measure report "$hs" --json -r "$cap"
	measure decode "$hs" decode --json -r "$cap"
	read -r chains dropped < <(python3 -c 'import json,sys; r=json.load(open(sys.argv[1]))
print(len(r["chains"]), r["stats"]["dropped"])' "$tmp/report.out")
	awk -v n="$n" -v p="$packets" -v c="$chains" -v d="$dropped" -v rs="$secs_report" -v rr="$rss_report" \
		-v ds="$secs_decode" -v dr="$rss_decode" -v prev="$prev" -v rc="$cpu_report" -v dc="$cpu_decode" \
		-v prevc="$prevc" 'BEGIN{
		if (rs <= 0) rs = 0.01; if (ds <= 0) ds = 0.01; if (rc <= 0) rc = 0.01; if (dc <= 0) dc = 0.01
		printf "%6d %10d %7d %7d | %8.2f %10.0f %8.1f | %8.2f %10.0f %8.1f | %13.2f %10s | %7.2f %7.2f %9.2f %8s\n",
			n, p, c, d, rs, p/rs, rr/1024, ds, p/ds, dr/1024, rs/ds, prev == "" ? "-" : sprintf("%.2f", rs/prev),
			rc, dc, rc/dc, prevc == "" ? "-" : sprintf("%.2f", rc/prevc) }'
	prev=$secs_report
	prevc=$cpu_report
	# 9 chains per copy by construction (srv1's view of the 15 scenarios)
	[ "$chains" -eq $((9 * n)) ] || echo "# WARNING: $chains chains, the capture holds $((9 * n))"
	echo "# load after N=$n: $(uptime | sed 's/.*load average/load average/')"
done
