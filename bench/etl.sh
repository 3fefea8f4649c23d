#!/bin/bash
# bench/etl.sh [REPLICAS] - reading a large ETL trace against reading the same
# packets from pcapng, per packet, in one run: `hopsniff decode --json` on
# bench/data/big.etl (pktmon-style: XPRESS buffers, four processors, 1-3 copies
# per packet, 3 for Hyper-V switch packets (NDIS 1001/1003), folded to one) and on bench/data/big_etl.pcapng (bench/make_etl.py:
# every lab capture, repeated REPLICAS times, default 30).  Each file is read
# once first (page cache warm), then both are timed in turn seven times (the machine's
# load varies); the best CPU time (user + system) of each counts.  In the same
# rounds: bench/pcap_loop.c, a bare libpcap read loop over the pcapng (the
# floor of reading those packets at all); at the end bench/xpress_bench.c, the
# ETL's XPRESS decompression alone against libfwnt's decoder (when
# libfwnt-dev is installed) and memcpy.
# BASELINE=/path/to/hopsniff: also time that build on the ETL in the same rounds
# (before/after figures of a change, measured under the same load).
set -eu
here=$(cd "$(dirname "$0")" && pwd)
root=$(dirname "$here")
reps=${1:-30}
data=$here/data
build=$root/build-bench
mkdir -p "$data"
if [ ! -f "$data/big.etl" ] || [ "$(cat "$data/big_etl.replicas" 2>/dev/null)" != "$reps" ]; then
	python3 "$here/make_etl.py" "$data" "$reps"
	echo "$reps" >"$data/big_etl.replicas"
fi
cmake -S "$root" -B "$build" -DCMAKE_BUILD_TYPE=Release -DHS_TESTS=OFF >/dev/null
cmake --build "$build" -j2 --target hopsniff hsinput >/dev/null
cc -O2 -o "$build/pcap_loop" "$here/pcap_loop.c" -lpcap
fwnt=""
if [ -f /usr/include/libfwnt.h ]; then fwnt="-DHS_HAVE_FWNT -lfwnt"; fi
# shellcheck disable=SC2086
cc -O2 -I"$root/standalone" -o "$build/xpress_bench" "$here/xpress_bench.c" "$build/standalone/libhsinput.a" \
	$(pkg-config --libs glib-2.0) $fwnt
run() { # FILE [HOPSNIFF]: CPU seconds (user + system: the machine is shared, wall time is not) and peak RSS (KiB)
	/usr/bin/time -f "%U %S %M" -o "$data/time" "${2:-$build/standalone/hopsniff}" decode --json -r "$1" >/dev/null 2>"$data/err"
	awk '{print $1 + $2, $3}' "$data/time"
}
run_loop() { # the bare libpcap loop over the pcapng
	/usr/bin/time -f "%U %S %M" -o "$data/time" "$build/pcap_loop" "$data/big_etl.pcapng" >/dev/null
	awk '{print $1 + $2, $3}' "$data/time"
}
packets=$(capinfos -c -M "$data/big_etl.pcapng" | awk -F: '/Number of packets/{gsub(/ /,"",$2); print $2}')
cat "$data/big.etl" "$data/big_etl.pcapng" >/dev/null
te=999999 tp=999999 tb=999999 tl=999999
min() { awk -v a="$1" -v b="$2" 'BEGIN{print (a < b) ? a : b}'; }
for _ in 1 2 3 4 5 6 7; do
	read -r t re < <(run "$data/big.etl")
	te=$(min "$t" "$te")
	read -r t rp < <(run "$data/big_etl.pcapng")
	tp=$(min "$t" "$tp")
	read -r t rl < <(run_loop)
	tl=$(min "$t" "$tl")
	if [ -n "${BASELINE:-}" ]; then
		read -r t rb < <(run "$data/big.etl" "$BASELINE")
		tb=$(min "$t" "$tb")
	fi
done
run "$data/big.etl" >/dev/null
grep "(etl)" "$data/err" || true
printf "%-8s %10s %12s %12s %14s %12s\n" input MiB cpu_seconds packets us/packet peak_RSS_MiB
for k in etl pcapng pcap_loop; do
	case $k in
	etl) f=$data/big.etl t=$te r=$re ;;
	pcapng) f=$data/big_etl.pcapng t=$tp r=$rp ;;
	*) f=$data/big_etl.pcapng t=$tl r=$rl ;;
	esac
	awk -v k=$k -v b="$(stat -c %s "$f")" -v t="$t" -v p="$packets" -v r="$r" \
		'BEGIN{ if (t <= 0) t = 0.01; printf "%-8s %10.1f %12.2f %12d %14.2f %12.1f\n", k, b/1048576, t, p, t*1e6/p, r/1024 }'
done
if [ -n "${BASELINE:-}" ]; then
	awk -v b="$tb" -v p="$packets" -v r="$rb" \
		'BEGIN{ printf "%-8s %10s %12.2f %12d %14.2f %12.1f\n", "etl-base", "", b, p, b*1e6/p, r/1024 }'
	awk -v e="$tb" -v p="$tp" 'BEGIN{ if (p <= 0) p = 0.01; printf "ratio of BASELINE (CPU time per packet): etl/pcapng %.2f\n", e/p }'
fi
awk -v e="$te" -v p="$tp" 'BEGIN{ if (p <= 0) p = 0.01; printf "ratio (CPU time per packet): etl/pcapng %.2f\n", e/p }'
awk -v e="$te" -v p="$tp" -v l="$tl" 'BEGIN{ if (l <= 0) l = 0.01; printf "ratios to the bare libpcap loop: etl %.1f, pcapng %.1f\n", e/l, p/l }'
"$build/xpress_bench" "$data/big.etl" 7
rm -f "$data/time" "$data/err"
