#!/usr/bin/env bash
# man_options.sh HOPSNIFF MANPAGE - hopsniff(1) (roff, or gzipped as installed) against the program:
#   - the options its OPTIONS section defines (the tag line after each .TP)
#     are exactly those of `hopsniff --help`'s option tables, long and short;
#   - it renders with man(1) without a groff warning, in 80 columns;
#   - it has the sections a man page of a command needs, and the exit status
#     values the program documents.
set -uo pipefail
hs=$1 page=$2
fail=0
opts_help=$("$hs" --help | awk '/Options:$/ { t = 1 } t && /^ +-/ { for (i = 1; i <= 2; i++) { o = $i; sub(/[,=].*/, "", o); if (o ~ /^-/) print o } }' | sort -u)
opts_man=$(zcat -f "$page" | awk '/^\.SH / { inopt = ($0 == ".SH OPTIONS") } inopt && prev == ".TP" { print } { prev = $0 }' |
	sed 's/\\-/-/g' | grep -oE -- '(^|[ "])--?[A-Za-z][A-Za-z-]*' | grep -oE -- '--?[A-Za-z][A-Za-z-]*' | sort -u)
if [ "$opts_help" = "$opts_man" ]; then
	echo "ok   the $(wc -l <<<"$opts_help") options of --help are those of the man page"
else
	echo "FAIL options differ (< only in --help, > only in the man page):"
	diff <(echo "$opts_help") <(echo "$opts_man")
	fail=1
fi
if ! command -v man >/dev/null; then
	echo "SKIP rendering: man-db not installed"
else
	out=$(LANG=C.UTF-8 MANWIDTH=80 man --warnings -l "$page" 2>&1 >/dev/null)
	[ -z "$out" ] && echo "ok   renders without warnings" || { echo "FAIL groff warnings:"; echo "$out"; fail=1; }
	text=$(LANG=C.UTF-8 MANWIDTH=80 man -l "$page" 2>/dev/null)
	for s in NAME SYNOPSIS DESCRIPTION MODES OPTIONS SECRETS PROGRESS "EXIT STATUS" ENVIRONMENT FILES EXAMPLES "SEE ALSO"; do
		grep -qx "$s" <<<"$text" || { echo "FAIL no section $s"; fail=1; }
	done
	# the exit status values of --help
	for v in 0 1 2; do
		grep -qE "^       $v( |\$)" <<<"$text" || { echo "FAIL exit status $v not described"; fail=1; }
	done
	long=$(grep -E '^.{81,}' <<<"$text")
	[ -z "$long" ] || { echo "FAIL lines over 80 columns:"; echo "$long"; fail=1; }
	[ $fail = 0 ] && echo "ok   sections and exit status values"
fi
exit $fail
