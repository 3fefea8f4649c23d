#!/usr/bin/env bash
# plugin_trixie.sh SOURCE_DIR - the plugin on Wireshark 4.4: in a Debian 13
# (trixie) root with libwireshark-dev and tshark 4.4 (scripts/debroot.sh:
# made once from the machine's mirror and cached in /var/cache/hopsniff), the
# project is configured, hopsniff and the plugin are built against 4.4, and
# plugin_tshark runs there: the plugin under tshark 4.4 against the CLI on
# every lab capture.  Needs root (mmdebstrap, chroot); skips (77) otherwise.
set -euo pipefail
src=$(cd "$1" && pwd)
[ "$(id -u)" -eq 0 ] || { echo "SKIP: needs root (a chroot)"; exit 77; }
command -v mmdebstrap >/dev/null || { echo "SKIP: mmdebstrap not installed (scripts/dev.sh deps)"; exit 77; }
cache=${HS_ROOT_CACHE:-/var/cache/hopsniff}
t0=$(date +%s)
root=$("$src/scripts/debroot.sh" root trixie trixie-ws gcc libc6-dev make cmake pkg-config libwireshark-dev tshark \
	libglib2.0-dev libxml2-dev libssl-dev libpcap-dev libcunit1-dev python3)
t1=$(date +%s)
# the build tree is kept between runs (incremental); the root is not written.
# make trusts file times, which hold only within one checkout: another
# checkout (a worktree, an older clone) can be older than the cached objects
# and would link them, so the tree is kept only for the checkout that made it.
build=$cache/trixie-build
if [ "$(cat "$build.src" 2>/dev/null)" != "$src" ]; then
	rm -rf "$build"
	printf '%s\n' "$src" >"$build.src"
fi
mkdir -p "$build"
upper=$(mktemp -d /tmp/hs-trixie.XXXXXX)
trap 'rm -rf "$upper"' EXIT
"$src/scripts/debroot.sh" run "$root" "$upper" --bind "$src:/src:ro" --bind "$build:/build" -- sh -ec '
	echo "in the trixie root: $(tshark --version | head -1), libwireshark-dev $(dpkg-query -W -f="\${Version}" libwireshark-dev)"
	cmake -S /src -B /build -DHS_WERROR=ON >/build/cmake.log
	grep "Wireshark plugin" /build/cmake.log
	cmake --build /build -j2 --target hopsniff hopsniff_plugin >/build/build.log 2>&1 || { tail -40 /build/build.log; exit 1; }
	ls /build/plugin/*/epan/hopsniff.so
	cd /build && ctest --output-on-failure -R "^plugin_tshark\$"
'
echo "trixie root: $((t1 - t0)) s (cached when short), build and plugin_tshark: $(( $(date +%s) - t1 )) s"
