#!/bin/bash
# bench/etl.sh [REPLICAS] [ROUNDS] - reading Windows ETL traces against
# reading the same packets from pcapng, per delivered packet, all in one run
# (bench/make_etl.py writes the files: every lab capture repeated REPLICAS
# times, default 30):
#   (a) big.etl, pktmon-style (XPRESS buffers, four processors, 1-3 PktMon
#       appearances per packet, the ones away from the wire cut to 34
#       bytes, 3 NDIS copies of a Hyper-V switch packet), against
#       big_etl.pcapng, the de-duplicated capture of the same packets;
#   (a') big_pktmon.etl, the same with every copy whole (--pkt-size 0),
#       against big_etl.pcapng;
#   (b) big_netsh.etl, netsh-style (one NDIS 1001 event per packet, no
#       copies, buffers not compressed), against big_etl.pcapng;
#   (c) big_pktmon.etl against big_pktmon.pcapng, what `pktmon etl2pcap`
#       makes of that trace (one frame per appearance; hopsniff folds the
#       copies of both);
# plus bench/pcap_loop.c, a bare libpcap read loop over big_etl.pcapng (the
# floor of reading those packets at all).  Every file is read once first
# (page cache warm), then all are timed in turn ROUNDS times (default 7:
# the machine's load varies); the best CPU time (user + system) of each
# counts (perf's task-clock when perf is installed, else /usr/bin/time's
# user + system).  `hopsniff decode --json` throughout; the packets it delivers are
# counted by tests/input_dump --count (the reader alone, whose task-clock
# is timed in the same rounds when perf is installed).  At the end
# bench/xpress_bench.c: the ETL's XPRESS decompression alone against
# libfwnt's decoder (when libfwnt-dev is installed) and memcpy.
# BASELINE=/path/to/hopsniff: also time that build on (a) and (b) in the same rounds
# (before/after figures of a change, measured under the same load).
set -eu
here=$(cd "$(dirname "$0")" && pwd)
root=$(dirname "$here")
reps=${1:-30}
rounds=${2:-7}
data=$here/data
build=$root/build-bench
mkdir -p "$data"
python3 "$here/make_etl.py" "$data" "$reps" >/dev/null # keeps the files already made for REPLICAS
cmake -S "$root" -B "$build" -DCMAKE_BUILD_TYPE=Release -DHS_TESTS=ON >/dev/null
cmake --build "$build" -j2 --target hopsniff hsinput input_dump >/dev/null
cc -O2 -o "$build/pcap_loop" "$here/pcap_loop.c" -lpcap
fwnt=""
if [ -f /usr/include/libfwnt.h ]; then fwnt="-DHS_HAVE_FWNT -lfwnt"; fi
# shellcheck disable=SC2086,SC2046
cc -O2 -I"$root/standalone" -o "$build/xpress_bench" "$here/xpress_bench.c" "$build/standalone/libhsinput.a" \
	$(pkg-config --libs glib-2.0) $fwnt
dump=$build/tests/input_dump
perf=""
if perf stat -x, -e task-clock true >/dev/null 2>&1; then perf=1; fi
declare -A file=([etl]=big.etl [etl_whole]=big_pktmon.etl [netsh]=big_netsh.etl [pktmon_ng]=big_pktmon.pcapng
	[pcapng]=big_etl.pcapng [pcap_loop]=big_etl.pcapng [etl_base]=big.etl [netsh_base]=big_netsh.etl)
declare -A best rss reader delivered
kinds="etl etl_whole netsh pktmon_ng pcapng pcap_loop"
if [ -n "${BASELINE:-}" ]; then kinds="$kinds etl_base netsh_base"; fi
cmd() { # KIND: the command line timed
	local f=$data/${file[$1]}
	case $1 in
	pcap_loop) echo "$build/pcap_loop $f" ;;
	etl_base | netsh_base) echo "$BASELINE decode --json -r $f" ;;
	*) echo "$build/standalone/hopsniff decode --json -r $f" ;;
	esac
}
run() { # KIND: CPU seconds (user + system: the machine is shared, wall time is not); perf's task-clock
	# (ms resolution) when perf is installed, else /usr/bin/time's (10 ms)
	# shellcheck disable=SC2046
	if [ -n "$perf" ]; then
		perf stat -x, -e task-clock -o "$data/perf" $(cmd "$1") >/dev/null 2>"$data/err"
		awk -F, '/task-clock/{print $1 / 1000}' "$data/perf"
	else
		/usr/bin/time -f "%U %S" -o "$data/time" $(cmd "$1") >/dev/null 2>"$data/err"
		awk '{print $1 + $2}' "$data/time"
	fi
}
peak_rss() { # KIND: peak RSS (KiB)
	# shellcheck disable=SC2046
	/usr/bin/time -f "%M" -o "$data/time" $(cmd "$1") >/dev/null 2>"$data/err"
	cat "$data/time"
}
min() { awk -v a="$1" -v b="${2:-}" 'BEGIN{print (b == "" || a < b) ? a : b}'; }
for k in $kinds; do
	cat "$data/${file[$k]}" >/dev/null
	delivered[$k]=$("$dump" --count "$data/${file[$k]}" 2>/dev/null | awk '{print $1}')
	rss[$k]=$(peak_rss "$k")
done
for _ in $(seq "$rounds"); do
	for k in $kinds; do
		t=$(run "$k")
		best[$k]=$(min "$t" "${best[$k]:-}")
		if [ -n "$perf" ] && [ "$k" != pcap_loop ] && [ "$k" != etl_base ] && [ "$k" != netsh_base ]; then
			t=$(perf stat -x, -e task-clock "$dump" --count "$data/${file[$k]}" 2>&1 >/dev/null |
				awk -F, '/task-clock/{print $1}')
			reader[$k]=$(min "$t" "${reader[$k]:-}")
		fi
	done
done
echo "load average: $(cut -d' ' -f1-3 /proc/loadavg), $(date -u +%H:%M) UTC, best of $rounds rounds"
printf "%-10s %-18s %8s %10s %10s %10s %10s %10s\n" input file MiB cpu_s packets us/packet reader_ms RSS_MiB
for k in $kinds; do
	awk -v k="$k" -v f="${file[$k]}" -v b="$(stat -c %s "$data/${file[$k]}")" -v t="${best[$k]}" \
		-v p="${delivered[$k]}" -v r="${rss[$k]}" -v m="${reader[$k]:--}" \
		'BEGIN{ if (t <= 0) t = 0.001; printf "%-10s %-18s %8.1f %10.3f %10d %10.2f %10s %10.1f\n",
			k, f, b/1048576, t, p, t*1e6/p, m, r/1024 }'
done
ratio() { # LABEL A B: CPU per delivered packet, A / B
	awk -v l="$1" -v a="${best[$2]}" -v pa="${delivered[$2]}" -v b="${best[$3]}" -v pb="${delivered[$3]}" \
		'BEGIN{ if (b <= 0) b = 0.01; printf "%-58s %.2f\n", l, (a/pa)/(b/pb) }'
}
echo "ratios, CPU per delivered packet:"
ratio "(a)  pktmon-style ETL / de-duplicated pcapng" etl pcapng
ratio "(a') pktmon-style ETL, copies whole / de-duplicated pcapng" etl_whole pcapng
ratio "(b)  netsh-style ETL / de-duplicated pcapng" netsh pcapng
ratio "(c)  pktmon-style ETL, copies whole / pktmon's pcapng" etl_whole pktmon_ng
awk -v a="${best[etl_whole]}" -v b="${best[pktmon_ng]}" \
	'BEGIN{ printf "%-58s %.2f\n", "(c)  the same, whole run (its pcapng folds more, see docs)", a/b }'
ratio "     de-duplicated pcapng / bare libpcap loop" pcapng pcap_loop
if [ -n "${BASELINE:-}" ]; then
	ratio "(a)  with BASELINE / de-duplicated pcapng" etl_base pcapng
	ratio "(b)  with BASELINE / de-duplicated pcapng" netsh_base pcapng
fi
"$build/xpress_bench" "$data/big.etl" "$rounds"
rm -f "$data/time" "$data/err" "$data/perf"
