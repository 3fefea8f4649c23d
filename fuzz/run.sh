#!/bin/bash
# fuzz/run.sh NAME SECONDS - build fuzz_NAME with clang (HS_FUZZ=ON) and run it
# for SECONDS with a scratch copy of fuzz/corpus/NAME (the committed seed corpus
# is never modified).  Prints the executions and any crash; exits 1 on a crash.
# Resource bugs are failures too: every run has a small RSS limit and a short
# per-input timeout (HS_FUZZ_RSS_MB, default 512; HS_FUZZ_TIMEOUT seconds,
# default 2; one allocation may take at most HS_FUZZ_MALLOC_MB, default 128),
# so an input that makes a decoder hold or loop on far more than its size
# stops the campaign like a crash.
set -eu
name=${1:?usage: fuzz/run.sh NAME SECONDS}
secs=${2:?usage: fuzz/run.sh NAME SECONDS}
root=$(cd "$(dirname "$0")/.." && pwd)
build=$root/build-fuzz
cmake -S "$root" -B "$build" -DCMAKE_C_COMPILER=clang -DHS_FUZZ=ON -DHS_TESTS=OFF -DHS_PLUGIN=OFF \
	-DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
cmake --build "$build" -j2 --target "fuzz_$name" >/dev/null
rss=${HS_FUZZ_RSS_MB:-512}
tmo=${HS_FUZZ_TIMEOUT:-2}
mal=${HS_FUZZ_MALLOC_MB:-128}
# ASan's quarantine of freed memory (256 MiB by default) would count against
# the RSS limit: keep it small so that the limit measures the decoders
export ASAN_OPTIONS=${ASAN_OPTIONS:-quarantine_size_mb=32}
scratch=$(mktemp -d "${TMPDIR:-/tmp}/hs-fuzz-$name.XXXXXX")
mkdir -p "$scratch/corpus" "$scratch/artifacts"
if [ -d "$root/fuzz/corpus/$name" ]; then
	cp -r "$root/fuzz/corpus/$name/." "$scratch/corpus/"
fi
echo "fuzz_$name: ${secs}s (rss limit ${rss} MiB, ${tmo} s per input), corpus $(ls "$scratch/corpus" | wc -l) seeds, scratch $scratch"
set +e
"$build/fuzz/fuzz_$name" -max_total_time="$secs" -print_final_stats=1 -timeout="$tmo" -rss_limit_mb="$rss" \
	-malloc_limit_mb="$mal" \
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
