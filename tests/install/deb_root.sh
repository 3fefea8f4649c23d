#!/usr/bin/env bash
# deb_root.sh BUILD_DIR SOURCE_DIR - the two Debian packages, built with CPack
# from BUILD_DIR, installed into a clean Debian 12 root (minbase plus man-db
# and bash-completion, to read the man page and load the completion; made by
# scripts/debroot.sh from the machine's mirror and cached in
# /var/cache/hopsniff): only their declared dependencies come in; there the
# report of the bundled capture is the golden one, man hopsniff renders, the
# completion loads and completes, members of the group hopsniff capture and
# others do not, tshark lists and uses the plugin; a purge leaves nothing
# behind (tests/install/in_root.sh).  The cached root is never written: each
# run works in an overlay.  Needs root; skips (77) otherwise.
set -euo pipefail
build=$(cd "$1" && pwd) src=$(cd "$2" && pwd)
[ "$(id -u)" -eq 0 ] || { echo "SKIP: needs root (a chroot)"; exit 77; }
command -v mmdebstrap >/dev/null || { echo "SKIP: mmdebstrap not installed (scripts/dev.sh deps)"; exit 77; }
t0=$(date +%s)
tmp=$(mktemp -d /tmp/hs-debroot.XXXXXX)
trap 'rm -rf "$tmp"' EXIT
mkdir "$tmp/pkgs"
cpack --config "$build/CPackConfig.cmake" -B "$tmp/cpack" >"$tmp/cpack.log" 2>&1 || { cat "$tmp/cpack.log"; exit 1; }
mv "$tmp"/cpack/*.deb "$tmp/pkgs/"
ls "$tmp/pkgs"
t1=$(date +%s)
root=$("$src/scripts/debroot.sh" root bookworm bookworm-clean man-db bash-completion)
t2=$(date +%s)
scn=$src/captures/lab/scenarios/08-constrained-target-not-allowed
method=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["chains"][0]["delegation"]["method"])' "$scn/expected.json")
causes=$(python3 -c 'import json,sys; print(" ".join(json.load(open(sys.argv[1]))["chains"][0]["delegation"]["acceptable_causes"]))' "$scn/expected.json")
rc=0
"$src/scripts/debroot.sh" run "$root" "$tmp/overlay" \
	--bind "$tmp/pkgs:/pkgs:ro" --bind "$src/tests/install:/t:ro" --bind "$src/tests/report/golden:/golden:ro" \
	-- env EXPECT_METHOD="$method" EXPECT_CAUSES="$causes" BUILD_PATHS="$src $build" sh /t/in_root.sh || rc=$?
echo "packages: $((t1 - t0)) s, root: $((t2 - t1)) s (cached when short), install and checks: $(( $(date +%s) - t2 )) s"
exit $rc
