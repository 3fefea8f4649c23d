#!/bin/sh
# html_chromium.sh HOPSNIFF SCENARIOS [SCREENSHOT]
# Renders the HTML report of a failing lab scenario in headless Chromium
# (Debian's chromium) and checks, in the rendered DOM, that the sequence
# diagram and the verdict are there and that the page loads nothing from
# outside.  With SCREENSHOT, also writes a PNG (docs/report-08.png).
# Exit 77 (skipped) when chromium is not installed.
HS=$1 SCN=$2 SHOT=$3
command -v chromium >/dev/null 2>&1 || { echo "chromium not installed: skipped"; exit 77; }
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
d=$SCN/08-constrained-target-not-allowed
"$HS" -r "$d/client1.pcapng" -r "$d/srv1.pcapng" -r "$d/dc.pcapng" --html "$T/r.html" >/dev/null
[ $? -eq 1 ] || { echo "FAIL exit status"; exit 1; }
# self-contained: no src=/href= and no url() pointing anywhere but inside the page
if grep -Eo '(src|href)="[^"#][^"]*"|url\([^#][^)]*\)' "$T/r.html" | grep -q .; then
	echo "FAIL external reference"; grep -Eo '(src|href)="[^"#][^"]*"|url\([^#][^)]*\)' "$T/r.html"; exit 1
fi
F="--headless --no-sandbox --disable-gpu --no-first-run --disable-background-networking --disable-component-update --disable-sync --user-data-dir=$T/profile"
timeout 120 chromium $F --dump-dom "file://$T/r.html" >"$T/dom.html" 2>/dev/null
fail=0
check() { if grep -q -- "$2" "$T/dom.html"; then echo "ok   $1"; else echo "FAIL $1"; fail=1; fi; }
check "rendered diagram" '<svg class="seq"'
check "failing step marked" 'class="msg fail"'
check "verdict" 'class="verdict failed">Verdict: failed'
check "cause" 's4u2proxy_denied'
check "remedy" 'PrincipalsAllowedToDelegateToAccount'
if [ -n "$SHOT" ]; then
	timeout 120 chromium $F --window-size=1100,1000 --screenshot="$SHOT" "file://$T/r.html" >/dev/null 2>&1
	[ -s "$SHOT" ] && echo "ok   screenshot $SHOT" || { echo "FAIL screenshot"; fail=1; }
fi
exit $fail
