#!/usr/bin/env bash
# deb_contents.sh BUILD_DIR SOURCE_DIR - the two Debian packages CPack makes from
# BUILD_DIR, read with dpkg-deb (no root, no install; deb_root.sh installs them),
# after `cmake --install` of each component into a scratch DESTDIR:
#   - component command: the command, the capture helper, the man page, the
#     completion; component plugin: the plugin;
#   - hopsniff carries the command, the capture helper, the man page, the bash
#     completion, the example capture, a copyright file and the maintainer
#     scripts; hopsniff-wireshark-plugin the plugin in the plugin folder of the
#     Wireshark it was built against, and its copyright file;
#   - every shared library an ELF file needs (objdump NEEDED, resolved with
#     ldconfig, owned per dpkg -S) is in the package's Depends, and the plugin
#     depends on the package of the exact libwireshark it linked, within its
#     major.minor;
#   - no build path inside: neither the source nor the build folder appears in
#     any installed file (man page uncompressed), and the binaries are stripped.
set -uo pipefail
build=$(cd "$1" && pwd) src=$(cd "$2" && pwd)
for t in cpack dpkg-deb objdump readelf; do
	command -v $t >/dev/null || { echo "SKIP: $t not installed"; exit 77; }
done
tmp=$(mktemp -d /tmp/hs-deb.XXXXXX)
trap 'rm -rf "$tmp"' EXIT
cpack --config "$build/CPackConfig.cmake" -B "$tmp/cpack" >"$tmp/cpack.log" 2>&1 || { cat "$tmp/cpack.log"; exit 1; }
fail=0
ok() { echo "ok   $*"; }
bad() { echo "FAIL $*"; fail=1; }

for comp in command plugin; do
	DESTDIR=$tmp/destdir-$comp cmake --install "$build" --prefix /usr --component $comp >/dev/null || bad "cmake --install --component $comp"
done
want_cmd="usr/bin/hopsniff usr/libexec/hopsniff/hopsniff-capture usr/share/man/man1/hopsniff.1.gz usr/share/bash-completion/completions/hopsniff"
missing=""
for f in $want_cmd; do [ -e "$tmp/destdir-command/$f" ] || missing="$missing $f"; done
[ -z "$missing" ] && ok "cmake --install --component command: $want_cmd" || bad "cmake --install lacks:$missing"
if [ -d "$build/plugin" ]; then
	n=$(find "$tmp/destdir-plugin" -name hopsniff.so | wc -l)
	[ "$n" = 1 ] && ok "cmake --install --component plugin: $(cd "$tmp/destdir-plugin" && find . -name hopsniff.so)" ||
		bad "cmake --install --component plugin: $n hopsniff.so"
fi
version=$(sed -nE 's/^project\(hopsniff VERSION ([0-9.]+).*/\1/p' "$src/CMakeLists.txt")
arch=$(dpkg --print-architecture) multiarch=$(dpkg-architecture -qDEB_HOST_MULTIARCH 2>/dev/null || gcc -print-multiarch)

check_pkg() { # NAME FILE...
	local name=$1 deb=$tmp/cpack/${1}_${version}-1_${arch}.deb
	shift
	[ -f "$deb" ] || { bad "no $deb: $(ls "$tmp/cpack")"; return; }
	local x=$tmp/x-$name
	mkdir -p "$x"
	dpkg-deb -x "$deb" "$x"
	dpkg-deb -e "$deb" "$x/DEBIAN"
	local f missing=""
	for f in "$@"; do [ -e "$x/$f" ] || missing="$missing $f"; done
	[ -z "$missing" ] && ok "$name: carries $*" || bad "$name lacks:$missing"
	head -1 "$x/usr/share/doc/$name/copyright" | grep -q '^Format: https://www.debian.org/doc/packaging-manuals/copyright-format/1.0/' &&
		grep -q '^License: ' "$x/usr/share/doc/$name/copyright" && ok "$name: machine-readable copyright with its licences" ||
		bad "$name: copyright file"
	local depends
	depends=$(sed -n 's/^Depends: //p' "$x/DEBIAN/control" | tr ',' '\n' | sed -E 's/^ *//; s/ .*//' | sort -u)
	# every NEEDED library's package is a dependency
	local elf lib path pkg
	for elf in $(find "$x" -type f -not -path '*/DEBIAN/*' -exec sh -c 'head -c4 "$1" | grep -q ELF && echo "$1"' sh {} \;); do
		for lib in $(objdump -p "$elf" | awk '$1 == "NEEDED" { print $2 }'); do
			path=$(ldconfig -p | awk -v l="$lib" '$1 == l && /x86-64|64bit|AArch64/ { print $NF; exit }')
			pkg=$(dpkg -S "$(readlink -f "$path")" 2>/dev/null | head -1 | sed 's/:.*//')
			[ -z "$pkg" ] && pkg=$(dpkg -S "$path" 2>/dev/null | head -1 | sed 's/:.*//')
			grep -qx "$pkg" <<<"$depends" || bad "$name: ${elf#$x} needs $lib ($pkg), not in Depends"
		done
		readelf -S "$elf" | grep -q '\.debug_' && bad "$name: ${elf#$x} has debug information"
		readelf -S "$elf" | grep -q '\.symtab' && bad "$name: ${elf#$x} is not stripped"
	done
	[ $fail = 0 ] && ok "$name: Depends cover every NEEDED library ($(tr '\n' ' ' <<<"$depends")); binaries stripped"
	# no build path anywhere (compressed files uncompressed first)
	find "$x" -name '*.gz' -exec sh -c 'gzip -dc "$1" > "$1.txt"' sh {} \;
	local hits
	hits=$(grep -rlF -e "$src" -e "$build" "$x" 2>/dev/null)
	[ -z "$hits" ] && ok "$name: no build path ($src, $build) in any file" || bad "$name: build paths in: $hits"
}

check_pkg hopsniff usr/bin/hopsniff usr/libexec/hopsniff/hopsniff-capture usr/share/man/man1/hopsniff.1.gz \
	usr/share/bash-completion/completions/hopsniff usr/share/doc/hopsniff/examples/srv1-constrained.pcapng \
	DEBIAN/postinst DEBIAN/postrm
x=$tmp/x-hopsniff
for s in postinst postrm; do sh -n "$x/DEBIAN/$s" || bad "$s: syntax"; done
grep -q 'setcap cap_net_raw,cap_net_admin=eip' "$x/DEBIAN/postinst" && grep -q 'groupadd --system hopsniff' "$x/DEBIAN/postinst" &&
	grep -q 'dpkg-statoverride --update --add root hopsniff 0754' "$x/DEBIAN/postinst" &&
	grep -q 'groupdel hopsniff' "$x/DEBIAN/postrm" && ok "hopsniff: postinst gives the helper to group hopsniff only; postrm undoes it" ||
	bad "maintainer scripts"
sed -n 's/^Depends: //p' "$x/DEBIAN/control" | grep -q 'libcap2-bin' && ok "hopsniff: depends on libcap2-bin (setcap)" || bad "no libcap2-bin"

if pkg-config --exists wireshark; then
	majmin=$(pkg-config --modversion wireshark | cut -d. -f1,2)
	check_pkg hopsniff-wireshark-plugin "usr/lib/$multiarch/wireshark/plugins/$majmin/epan/hopsniff.so"
	so=$(readlink -f "$(pkg-config --variable=libdir wireshark)/libwireshark.so")
	abi=$(dpkg -S "$so" | sed 's/:.*//')
	maj=${majmin%.*} min=${majmin#*.}
	want="$abi (>= $majmin), $abi (<< $maj.$((min + 1))~)"
	sed -n 's/^Depends: //p' "$tmp/x-hopsniff-wireshark-plugin/DEBIAN/control" | grep -qF "$want" &&
		ok "hopsniff-wireshark-plugin: depends on $want" || bad "plugin Depends lack '$want'"
fi
exit $fail
