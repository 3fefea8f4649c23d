#!/bin/bash
# bench/hostile.sh [SIZES...] - time and peak RSS of the hopsniff report on the
# adversarial shapes of tests/gen_hostile.py (issue 21) at growing sizes
# (default 10k 100k 1M segments or flows), default --memory-limit.
# Captures go to bench/data/hostile (regenerated each run, deleted after).
set -eu
here=$(cd "$(dirname "$0")" && pwd)
root=$(dirname "$here")
build=$root/build-bench
sizes=${*:-10000 100000 1000000}
cmake -S "$root" -B "$build" -DCMAKE_BUILD_TYPE=Release -DHS_TESTS=OFF >/dev/null
cmake --build "$build" -j2 --target hopsniff >/dev/null
data=$here/data/hostile
mkdir -p "$data"
trap 'rm -rf "$data"' EXIT
printf '%-14s %9s %9s %9s %9s %10s\n' shape n MiB cpu_s wall_s peak_MiB
for shape in ooo-asc ooo-desc ooo-random slow-http halfopen-sql halfopen-tls halfopen-http; do
	for n in $sizes; do
		cap=$data/$shape-$n.pcap
		python3 "$root/tests/gen_hostile.py" "$shape" "$n" "$cap"
		/usr/bin/time -f '%U %S %e %M' -o "$data/t" "$build/standalone/hopsniff" -r "$cap" --json >/dev/null 2>&1 || true
		read -r u s e m <"$data/t"
		printf '%-14s %9s %9d %9.2f %9.2f %10d\n' "$shape" "$n" $(($(stat -c %s "$cap") >> 20)) \
			"$(echo "$u + $s" | bc)" "$e" $((m >> 10))
		rm -f "$cap"
	done
done
