#!/bin/sh
# golden.sh HOPSNIFF SCENARIOS GOLDEN_DIR [--update]
# Text reports of a few lab scenarios against reviewed golden files (each
# checked by hand against the scenario's README and expected.json when it was
# written).  Each golden file's name says the scenario and the inputs.
HS=$1 SCN=$2 GOLD=$3 UPDATE=$4
fail=0
run() { # name scenario inputs...
	name=$1 dir=$2
	shift 2
	args=""
	for f in "$@"; do args="$args -r $f"; done
	out=$(cd "$SCN/$dir" && "$HS" $args 2>/dev/null)
	if [ "$UPDATE" = "--update" ]; then
		printf '%s\n' "$out" >"$GOLD/$name.txt"
	elif ! printf '%s\n' "$out" | diff -u "$GOLD/$name.txt" - >/dev/null; then
		echo "FAIL $name"; printf '%s\n' "$out" | diff -u "$GOLD/$name.txt" - | head -40; fail=1
	else
		echo "ok   $name"
	fi
}
run 01-merged 01-kerberos-nothing-configured client1.pcapng srv1.pcapng dc.pcapng
run 02-srv1 02-ntlm-first-hop srv1.pcapng
run 08-srv1 08-constrained-target-not-allowed srv1.pcapng
run 15-merged 15-two-users client1.pcapng srv1.pcapng dc.pcapng
exit $fail
