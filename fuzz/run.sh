#!/bin/bash
# fuzz/run.sh NAME SECONDS - build fuzz_NAME with clang (HS_FUZZ=ON) and run it
# for SECONDS with a scratch copy of fuzz/corpus/NAME (the committed seed corpus
# is never modified).  Prints the executions and any crash; exits 1 on a crash.
set -eu
name=${1:?usage: fuzz/run.sh NAME SECONDS}
secs=${2:?usage: fuzz/run.sh NAME SECONDS}
root=$(cd "$(dirname "$0")/.." && pwd)
build=$root/build-fuzz
cmake -S "$root" -B "$build" -DCMAKE_C_COMPILER=clang -DHS_FUZZ=ON -DHS_TESTS=OFF -DHS_PLUGIN=OFF \
	-DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
cmake --build "$build" -j"$(nproc)" --target "fuzz_$name" >/dev/null
scratch=$(mktemp -d "${TMPDIR:-/tmp}/hs-fuzz-$name.XXXXXX")
mkdir -p "$scratch/corpus" "$scratch/artifacts"
if [ -d "$root/fuzz/corpus/$name" ]; then
	cp -r "$root/fuzz/corpus/$name/." "$scratch/corpus/"
fi
echo "fuzz_$name: ${secs}s, corpus $(ls "$scratch/corpus" | wc -l) seeds, scratch $scratch"
set +e
"$build/fuzz/fuzz_$name" -max_total_time="$secs" -print_final_stats=1 -timeout=10 -rss_limit_mb=4096 \
	-artifact_prefix="$scratch/artifacts/" "$scratch/corpus" >"$scratch/log" 2>&1
rc=$?
set -e
grep -E "^Done [0-9]+ runs|stat::number_of_executed_units|stat::peak_rss_mb" "$scratch/log" || true
echo "corpus after: $(ls "$scratch/corpus" | wc -l) inputs"
if [ "$rc" -ne 0 ] || ls "$scratch/artifacts"/* >/dev/null 2>&1; then
	echo "CRASH (exit $rc); artifacts:"
	ls -la "$scratch/artifacts"
	grep -E -A25 "ERROR|runtime error|deadly signal" "$scratch/log" | head -60
	exit 1
fi
echo "no crash"
rm -rf "$scratch"
