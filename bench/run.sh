#!/bin/bash
# bench/run.sh [CAPTURE] - throughput and peak RSS of `hopsniff decode`, `tshark -r`
# and a bare libpcap loop on the same file, one after another in one run.
# Rows: hopsniff = `hopsniff decode --json` (output to /dev/null); tshark =
# `tshark -r FILE -q`; tshark_Y = `tshark -r FILE -q -Y kerberos` (forces full
# dissection); pcap_loop = bench/pcap_loop.c, the floor.
# Default capture: bench/data/big.pcap (bench/make_capture.sh).  Each tool reads
# the file once first (page cache warm), then is timed with /usr/bin/time -v.
set -eu
here=$(cd "$(dirname "$0")" && pwd)
root=$(dirname "$here")
cap=${1:-$here/data/big.pcap}
build=$root/build-bench
[ -f "$cap" ] || { echo "no capture $cap: run bench/make_capture.sh" >&2; exit 2; }
cmake -S "$root" -B "$build" -DCMAKE_BUILD_TYPE=Release -DHS_TESTS=OFF >/dev/null
cmake --build "$build" -j"$(nproc)" --target hopsniff >/dev/null
cc -O2 -o "$build/pcap_loop" "$here/pcap_loop.c" -lpcap
bytes=$(stat -c %s "$cap")
packets=$(capinfos -c -M "$cap" | awk -F: '/Number of packets/{gsub(/ /,"",$2); print $2}')
cat "$cap" >/dev/null
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

measure() { # NAME CMD...: sets secs_NAME, rss_NAME (KiB)
	local name=$1
	shift
	/usr/bin/time -v -o "$tmp/$name.time" "$@" >/dev/null 2>"$tmp/$name.err" || {
		echo "$name failed:" >&2; cat "$tmp/$name.err" >&2; exit 1; }
	local wall rss
	wall=$(awk -F': ' '/Elapsed \(wall clock\)/{print $2}' "$tmp/$name.time")
	rss=$(awk -F': ' '/Maximum resident set size/{print $2}' "$tmp/$name.time")
	# wall is [h:]m:ss.ss
	secs=$(echo "$wall" | awk -F: '{s=0; for(i=1;i<=NF;i++) s=s*60+$i; print s}')
	eval "secs_$name=$secs; rss_$name=$rss"
}

echo "capture: $cap ($((bytes >> 20)) MiB, $packets packets)"
measure hopsniff "$build/standalone/hopsniff" decode --json -r "$cap"
tail -1 "$tmp/hopsniff.err"
measure tshark tshark -r "$cap" -q
measure pcap_loop "$build/pcap_loop" "$cap"
tools="hopsniff tshark pcap_loop"
# `tshark -r -q` alone skips most dissection (no filter, no output, no tap);
# with a display filter every packet is dissected, which is what decoding
# costs tshark.  Slow (minutes per GB): BENCH_TSHARK_DISSECT=0 skips it.
if [ "${BENCH_TSHARK_DISSECT:-1}" = 1 ]; then
	measure tshark_Y tshark -r "$cap" -q -Y kerberos
	tools="hopsniff tshark tshark_Y pcap_loop"
fi

printf "%-10s %10s %10s %14s %12s\n" tool seconds MB/s packets/s peak_RSS_MiB
for t in $tools; do
	s=$(eval echo "\$secs_$t"); r=$(eval echo "\$rss_$t")
	awk -v t="$t" -v s="$s" -v r="$r" -v b="$bytes" -v p="$packets" \
		'BEGIN{ if (s <= 0) s = 0.01; printf "%-10s %10.2f %10.1f %14.0f %12.1f\n", t, s, b/1048576/s, p/s, r/1024 }'
done
awk -v h="$secs_hopsniff" -v t="$secs_tshark" -v l="$secs_pcap_loop" 'BEGIN{
	if (l <= 0) l = 0.01
	printf "ratios (time): hopsniff/tshark %.3f  hopsniff/pcap_loop %.2f\n", h/t, h/l
	printf "ratios (throughput): hopsniff is %.1fx tshark, %.0f%% of the bare libpcap loop\n", t/h, 100*l/h }'
if [ -n "${secs_tshark_Y:-}" ]; then
	awk -v h="$secs_hopsniff" -v t="$secs_tshark_Y" \
		'BEGIN{ printf "ratio (time): hopsniff/tshark_Y %.4f (hopsniff is %.0fx tshark with dissection)\n", h/t, t/h }'
fi
