#!/usr/bin/env bash
# dev.sh - the one entry point behind the README's two commands.
#
#   scripts/dev.sh demo   install what is missing, build, run hopsniff on a bundled capture
#   scripts/dev.sh test   install what is missing, build (plain and ASan+UBSan), run every test
#   scripts/dev.sh deps   only install the Debian packages
#   scripts/dev.sh build  only build (build/)
#
# Works as root (CI) or as a user with sudo.  Never asks a question.
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
cd "$here"

# Every dependency, by Debian 12 package name (README lists the same).
PACKAGES=(
	gcc make cmake pkg-config clang libclang-rt-14-dev   # toolchain; clang for the libFuzzer targets
	libpcap-dev libglib2.0-dev libxml2-dev libssl-dev      # the decoder and the command
	zlib1g-dev                                             # the command: gzip-compressed captures
	libcunit1-dev                                          # unit tests
	libwim-dev samba-libs                                  # ETL tests: XPRESS Huffman by wimlib's and Samba's (>= 4.18) compressors
	libwireshark-dev tshark wireshark-common               # the plugin; tshark is the test oracle; mergecap/editcap
	python3 tcpdump jq util-linux iproute2 tcpreplay       # test scripts, lab and bench helpers; live capture tests
	python3-jsonschema chromium                            # report tests: JSON schema, HTML rendering
	xvfb wireshark-qt xdotool x11-utils imagemagick        # plugin GUI test: Wireshark under Xvfb, screenshot
	krb5-user                                              # keytab tests: klist (oracle of unit_keytab), ktutil
	python3-gssapi gss-ntlmssp                             # NTLMv1-sealed WinRM test (gss-ntlmssp seals, in process)
	dpkg-dev man-db bash-completion                        # packages (CPack: dpkg-shlibdeps), man page and completion tests
	mmdebstrap                                             # Debian 12 / 13 roots: the .deb install test, the plugin on Wireshark 4.4
)

log() { if [ -t 2 ]; then printf '\033[1mdev.sh:\033[0m %s\n' "$*" >&2; else printf 'dev.sh: %s\n' "$*" >&2; fi; }

as_root() {
	if [ "$(id -u)" -eq 0 ]; then "$@"; else sudo "$@"; fi
}

deps() {
	local missing=() updated=
	# the lab's Samba 4.22 (captures/lab/deps.sh installs it): bookworm-backports, pinned to Samba only
	if [ -n "$(as_root bash scripts/samba-backports.sh)" ]; then as_root apt-get update -qq; updated=1; fi
	for p in "${PACKAGES[@]}"; do
		dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
	done
	if [ ${#missing[@]} -eq 0 ]; then
		log "all packages present"
		return
	fi
	log "installing: ${missing[*]}"
	export DEBIAN_FRONTEND=noninteractive
	[ -n "$updated" ] || as_root apt-get update -qq
	as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
}

build() { # build DIR [cmake args...]
	local dir=$1; shift
	cmake -S . -B "$dir" -DHS_WERROR=ON "$@" >/dev/null
	cmake --build "$dir" -j"$(nproc)"
}

demo() {
	deps
	build build
	# a failing double hop from the lab: constrained delegation to a target
	# that is not allowed (S4U2Proxy KDC_ERR_BADOPTION), seen from srv1
	local d=captures/lab/scenarios/08-constrained-target-not-allowed
	log "hopsniff -r $d/srv1.pcapng"
	./build/standalone/hopsniff -r "$d/srv1.pcapng" || true
}

test_all() {
	deps
	log "build (plain)"
	build build
	log "unit, differential and CLI tests (plain build)"
	(cd build && ctest --output-on-failure -j"$(nproc)" -LE 'lab|debroot')
	log "build (AddressSanitizer + UndefinedBehaviorSanitizer)"
	build build-asan -DHS_SANITIZE=ON -DCMAKE_BUILD_TYPE=Debug
	log "the same tests under ASan+UBSan"
	(cd build-asan && ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
		ctest --output-on-failure -j"$(nproc)" -LE 'lab|debroot')
	log "lab: build it, record one scenario end to end, tear down, check with tshark and its sealed bodies (needs root)"
	as_root bash tests/lab/ci_one_scenario.sh
	log "tests that need root and network namespaces (ctest label lab: live capture, live in the lab)"
	(cd build && as_root ctest --output-on-failure -L lab)
	log "tests in Debian roots (ctest label debroot, root): the .deb packages in a clean Debian 12, the plugin on"
	log "Wireshark 4.4 in Debian 13; the roots are made once from the mirror and cached in /var/cache/hopsniff"
	(cd build && as_root ctest --output-on-failure -L debroot)
	log "all tests passed"
}

case "${1:-}" in
	demo) demo ;;
	test) test_all ;;
	deps) deps ;;
	build) deps; build build ;;
	*) echo "usage: scripts/dev.sh demo|test|deps|build" >&2; exit 2 ;;
esac
