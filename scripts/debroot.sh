#!/usr/bin/env bash
# debroot.sh - Debian roots for the tests that need another userland: a clean
# Debian 12 to install the .deb packages into, and Debian 13 (trixie) to build
# and test the plugin against Wireshark 4.4.  Needs root.
#
#   scripts/debroot.sh root SUITE NAME [PACKAGE...]
#       print the folder of a root of SUITE with PACKAGE... installed
#       (mmdebstrap, variant minbase), made once and cached in
#       $HS_ROOT_CACHE/NAME (default /var/cache/hopsniff/NAME); remade when
#       the suite or package list changes.  The packages come from the same
#       mirror as this machine's (read from /etc/apt/sources.list.d and
#       /etc/apt/sources.list), so nothing else is reached.
#   scripts/debroot.sh run ROOT UPPER [--bind HOSTDIR:ROOTDIR[:ro]]... -- CMD...
#       run CMD in ROOT as an overlay whose writes go to the folder UPPER (the
#       cached root stays untouched), in a private mount namespace with /proc,
#       /dev, /sys, /tmp and the host's resolv.conf; every mount goes away when
#       CMD ends.  UPPER "-" writes into ROOT itself (a build cache kept in it).
set -euo pipefail

cache=${HS_ROOT_CACHE:-/var/cache/hopsniff}

log() { printf 'debroot: %s\n' "$*" >&2; }

# The Debian mirror of this machine: the first "URIs:" (deb822) or "deb URI"
# line whose suites are the release's own (not -security) and that has main.
mirror() {
	local f u
	for f in /etc/apt/sources.list.d/*.sources; do
		[ -r "$f" ] || continue
		u=$(awk 'BEGIN{RS="";FS="\n"} /(^|\n)Suites:[^\n]*bookworm([ \n]|$)/ && /(^|\n)Components:[^\n]*main/ {
			for (i = 1; i <= NF; i++) if ($i ~ /^URIs:/) { sub(/^URIs:[ \t]*/, "", $i); split($i, a, " "); print a[1]; exit } }' "$f")
		[ -n "$u" ] && { echo "$u"; return; }
	done
	for f in /etc/apt/sources.list.d/*.list /etc/apt/sources.list; do
		[ -r "$f" ] || continue
		u=$(awk '$1 == "deb" { i = 2; if ($2 ~ /^\[/) { while ($i !~ /\]$/) i++; i++ }
			if ($(i+1) == "bookworm" && / main/) { print $i; exit } }' "$f")
		[ -n "$u" ] && { echo "$u"; return; }
	done
	log "no Debian bookworm mirror found in /etc/apt/sources.list(.d)"
	return 1
}

make_root() { # SUITE NAME PACKAGE...
	local suite=$1 name=$2
	shift 2
	local dir=$cache/$name want stamp
	want="$suite minbase $(printf '%s\n' "$@" | sort | tr '\n' ' ')"
	stamp=$cache/$name.stamp # beside the root: nothing in it that Debian did not put there
	if [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$want" ]; then
		echo "$dir"
		return
	fi
	local url t0
	url=$(mirror)
	t0=$(date +%s)
	log "making the $suite root $dir from the machine's mirror ($# extra packages; takes minutes)"
	rm -rf "$dir" "$dir.new" "$stamp"
	mkdir -p "$cache"
	local inc=()
	[ $# -gt 0 ] && inc=("--include=$(IFS=,; echo "$*")")
	# apt/dpkg settings of a throw-away root: no recommends, no docs trimming
	# (man pages are tested), and the debconf questions answered by default.
	mmdebstrap --quiet --mode=root --variant=minbase "${inc[@]}" \
		--aptopt='APT::Install-Recommends "false"' \
		--essential-hook='echo "debconf debconf/frontend select Noninteractive" | chroot "$1" debconf-set-selections' \
		"$suite" "$dir.new" "deb $url $suite main" >&2
	mv "$dir.new" "$dir"
	echo "$want" >"$stamp"
	log "$suite root ready in $(( $(date +%s) - t0 )) s"
	echo "$dir"
}

run_in() { # ROOT UPPER [--bind H:R[:ro]]... -- CMD...
	local root=$1 upper=$2
	shift 2
	local binds=()
	while [ $# -gt 0 ] && [ "$1" != "--" ]; do
		[ "$1" = "--bind" ] && { binds+=("$2"); shift 2; continue; }
		log "run: unexpected $1"; return 2
	done
	shift
	# the inner script gets everything through the environment: no quoting games
	HS_ROOT=$root HS_UPPER=$upper HS_BINDS="${binds[*]:-}" unshare --mount --propagation private --fork bash -c '
		set -euo pipefail
		if [ "$HS_UPPER" = - ]; then
			top=$HS_ROOT
		else
			top=$HS_UPPER/merged
			mkdir -p "$HS_UPPER/upper" "$HS_UPPER/work" "$top"
			mount -t overlay overlay -o "lowerdir=$HS_ROOT,upperdir=$HS_UPPER/upper,workdir=$HS_UPPER/work" "$top"
		fi
		mount -t proc proc "$top/proc"
		mount --rbind /dev "$top/dev"
		mount --rbind /sys "$top/sys"
		mount -t tmpfs tmpfs "$top/tmp"
		cp /etc/resolv.conf "$top/etc/resolv.conf" 2>/dev/null || true
		for b in $HS_BINDS; do
			IFS=: read -r h r ro <<<"$b"
			mkdir -p "$top$r"
			mount --bind "$h" "$top$r"
			[ "$ro" = ro ] && mount -o remount,bind,ro "$top$r"
		done
		exec chroot "$top" env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin HOME=/root LANG=C.UTF-8 TERM=dumb "$@"
	' debroot "$@"
}

case "${1:-}" in
	root) shift; make_root "$@" ;;
	run) shift; run_in "$@" ;;
	mirror) mirror ;;
	*) echo "usage: debroot.sh root SUITE NAME [PACKAGE...] | run ROOT UPPER [--bind H:R[:ro]]... -- CMD..." >&2; exit 2 ;;
esac
