#!/bin/bash
# keyfiles.sh HOPSNIFF SCENARIO14 - --keylog / --keytab files of every awkward kind (issue 21).
# The key log of lab scenario 14 (WinRM over HTTPS) decrypts its 10 HTTP messages: the same log
# re-encoded (UTF-16 with BOM, UTF-16LE without BOM and CRLF, through a FIFO, with a NUL line)
# must decrypt as many; directories, /dev/zero and oversized files are refused with exit 2 and
# a message naming the file; a keytab of more than 4096 entries loads with the krb_key_cap warning.
set -u
H=$1
S=$2
KL=$S/tls-keylog-client1.txt
CAP=$S/client1.pcapng
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fails=0
fail() { echo "FAIL: $*"; fails=$((fails + 1)); }
https() { # KEYLOG-ARGS...: HTTP messages decrypted
	"$H" decode --json -r "$CAP" "$@" 2>"$tmp/err" | grep -c '"proto":"http"'
}
want=$(https --keylog "$KL")
[ "$want" -ge 10 ] || fail "the plain key log decrypts $want HTTP messages, expected 10 (scenario 14)"
[ "$(https)" -eq 0 ] || fail "HTTP decrypted without a key log"

iconv -f UTF-8 -t UTF-16 "$KL" >"$tmp/bom16.txt"
sed 's/$/\r/' "$KL" | iconv -f UTF-8 -t UTF-16LE >"$tmp/le16.txt"
printf '\xef\xbb\xbf' | cat - "$KL" >"$tmp/bom8.txt"
for f in bom16 le16 bom8; do
	got=$(https --keylog "$tmp/$f.txt")
	[ "$got" -eq "$want" ] || fail "$f key log: $got HTTP messages decrypted, $want with the UTF-8 log"
	grep -q "warning: $tmp/$f.txt: UTF-[0-9A-Z]*[ a-zA-Z]* text" "$tmp/err" || fail "$f key log: no encoding note on stderr"
done
{ printf 'CLIENT_RANDOM \000bad\n'; cat "$KL"; } >"$tmp/nul.txt"
got=$(https --keylog "$tmp/nul.txt")
[ "$got" -eq "$want" ] || fail "key log with a NUL line: $got decrypted"
grep -q "nul.txt line 1: NUL byte" "$tmp/err" || fail "NUL byte: stderr does not name the line: $(cat "$tmp/err")"

mkfifo "$tmp/fifo"
cat "$KL" >"$tmp/fifo" &
got=$(https --keylog "$tmp/fifo")
[ "$got" -eq "$want" ] || fail "key log through a FIFO: $got decrypted"
mkfifo "$tmp/fifo2"
cat "$S/srv1.keytab" >"$tmp/fifo2" &
"$H" decode -r "$S/srv1.pcapng" --keytab "$tmp/fifo2" >/dev/null 2>&1 || fail "keytab through a FIFO refused"

refused() { # WHAT ARGS...: exit 2 within 30 s and a message naming the file
	local what=$1 rc
	shift
	timeout 30 "$H" decode -r "$CAP" "$@" >/dev/null 2>"$tmp/err"
	rc=$?
	[ $rc -eq 2 ] || fail "$what: exit $rc, expected 2"
	grep -q "${*: -1}" "$tmp/err" || fail "$what: the message does not name the file: $(cat "$tmp/err")"
}
refused "key log directory" --keylog "$tmp"
refused "keytab directory" --keytab "$tmp"
refused "key log /dev/zero" --keylog /dev/zero
refused "keytab /dev/zero" --keytab /dev/zero
truncate -s 5M "$tmp/big.keytab"
refused "5 MiB keytab" --keytab "$tmp/big.keytab"
truncate -s 200M "$tmp/big.txt"
refused "200 MiB key log" --keylog "$tmp/big.txt"
printf '\xff\xfeC\x00\x00\xdcL\x00\n\x00' >"$tmp/badu16.txt"
refused "broken UTF-16 key log" --keylog "$tmp/badu16.txt"

# More than 4096 keytab entries (docs/messages.md: krb_key_cap warning, not an error).
python3 - "$tmp/many.keytab" <<'PY'
import os, struct, sys
out = bytearray(b"\x05\x02")
for i in range(4100):
    comps = [b"host", b"h%d" % i]
    rec = struct.pack(">H", len(comps)) + struct.pack(">H", 8) + b"HOP.TEST"
    for c in comps:
        rec += struct.pack(">H", len(c)) + c
    rec += struct.pack(">IIBH", 1, 0, 1, 17) + struct.pack(">H", 16) + os.urandom(16)
    out += struct.pack(">i", len(rec)) + rec
open(sys.argv[1], "wb").write(out)
PY
"$H" decode -r "$CAP" --keytab "$tmp/many.keytab" >/dev/null 2>"$tmp/err"
rc=$?
[ $rc -eq 0 ] || fail "keytab of 4100 entries: exit $rc, expected 0 with a warning: $(cat "$tmp/err")"
grep -q "krb_key_cap" "$tmp/err" || fail "keytab of 4100 entries: no krb_key_cap warning on stderr"

[ $fails -eq 0 ] || { echo "$fails key-file checks failed"; exit 1; }
echo "key files: all checks passed"
