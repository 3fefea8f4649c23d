#!/bin/sh
# -r - (standard input), FIFOs and gzip read exactly like the file itself
# (issue 19: `tcpdump -w - | hopsniff -r -`; issue 21: pipes and FIFOs were
# refused as "empty file").  Oracle: the JSON report on the plain file (with
# --messages, so every decoded message counts), the input's name removed.
# usage: stdin_test.sh HOPSNIFF CAPTURES_DIR
set -eu
H=$1
C=$2
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
fail=0
report() { # report NAME ARGS...: the JSON report without the input's name
	name=$1; shift
	"$H" "$@" --json --messages 2>"$T/$name.err" | jq -S 'del(.inputs[].file)' >"$T/$name.json" || true
}
same() { # same EXPECTED ACTUAL WHAT
	if ! cmp -s "$T/$1.json" "$T/$2.json"; then
		echo "FAIL: $3 differs from -r FILE"; diff "$T/$1.json" "$T/$2.json" | head -5; fail=1
	elif [ ! -s "$T/$2.json" ]; then
		echo "FAIL: $3: no report"; fail=1
	else
		echo "ok: $3"
	fi
}
PCAPNG=$C/lab/scenarios/08-constrained-target-not-allowed/srv1.pcapng
PCAP=$C/generated/credssp/credssp-badpass.pcap
for f in "$PCAPNG" "$PCAP"; do
	b=$(basename "$f")
	report ref -r "$f"
	jq -e '.inputs[0].packets > 0' "$T/ref.json" >/dev/null || { echo "FAIL: $b: reference report has no packets"; fail=1; }
	cat "$f" | report cat -r -
	same ref cat "$b: cat | -r -"
	tcpdump -r "$f" -w - 2>/dev/null | report tcpdump -r -
	same ref tcpdump "$b: tcpdump -r X -w - | -r -"
	gzip -c "$f" >"$T/$b.gz"
	report gzfile -r "$T/$b.gz"
	same ref gzfile "$b: -r X.gz"
	gzip -c "$f" | report gzpipe -r -
	same ref gzpipe "$b: gzip -c | -r -"
	mkfifo "$T/fifo"
	cat "$f" >"$T/fifo" &
	report fifo -r "$T/fifo"
	wait
	rm -f "$T/fifo"
	same ref fifo "$b: -r FIFO"
done
# the same in decode mode, where the text names no input
"$H" decode -r "$PCAPNG" >"$T/d1.txt" 2>/dev/null
gzip -c "$PCAPNG" | "$H" decode -r - >"$T/d2.txt" 2>/dev/null
if cmp -s "$T/d1.txt" "$T/d2.txt" && [ -s "$T/d1.txt" ]; then echo "ok: decode -r - (gzip)"; else echo "FAIL: decode -r - differs"; fail=1; fi
# errors: exit 2 with a sentence
check_err() { # check_err WHAT PATTERN ARGS...
	what=$1; pat=$2; shift 2
	set +e
	"$@" >/dev/null 2>"$T/err"
	rc=$?
	set -e
	if [ $rc -ne 2 ] || ! grep -q "$pat" "$T/err"; then echo "FAIL: $what: exit $rc: $(cat "$T/err")"; fail=1; else echo "ok: $what"; fi
}
check_err "empty stdin" "empty input" sh -c "\"$H\" -r - </dev/null"
check_err "text on stdin" "not a pcap, pcapng or ETL capture" sh -c "echo hello | \"$H\" -r -"
check_err "gzip of text" "inside the gzip" sh -c "echo hello | gzip | \"$H\" -r -"
check_err "stdin twice" "standard input) is given twice" sh -c "cat \"$PCAP\" | \"$H\" -r - -r -"
head -c 100 "$PCAPNG" | gzip | head -c 30 >"$T/cut.gz"
check_err "truncated gzip" "" "$H" -r "$T/cut.gz"
exit $fail
