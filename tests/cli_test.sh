#!/bin/bash
# cli_test.sh HOPSNIFF CAPTURES_DIR - the command's error paths and exit codes.
set -u
HS=$1
CAPS=$2
REAL=$CAPS/synthetic/krb5_delegation.pcap   # pcap, Kerberos: written by tests/gen_krb5_synth.py
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
pass=0
fail=0

# expect NAME WANT_RC PATTERN (grep -E on stdout+stderr) -- command...
expect() {
	local name=$1 want=$2 pat=$3
	shift 3
	"$@" >"$T/out" 2>"$T/err"
	local rc=$?
	if [ "$rc" -ne "$want" ]; then
		echo "FAIL $name: exit $rc, wanted $want"; cat "$T/err"; fail=$((fail + 1)); return
	fi
	if [ -n "$pat" ] && ! cat "$T/out" "$T/err" | grep -Eq -- "$pat"; then
		echo "FAIL $name: output lacks /$pat/"; cat "$T/out" "$T/err" | head -5; fail=$((fail + 1)); return
	fi
	echo "ok   $name"
	pass=$((pass + 1))
}

: >"$T/empty.pcap"
printf 'this is not a capture\njust text\n' >"$T/text.pcap"
# pcap header: magic, v2.4, thiszone, sigfigs, snaplen 65535, linktype 147 (USER0)
printf '\xd4\xc3\xb2\xa1\x02\x00\x04\x00\x00\x00\x00\x00\x00\x00\x00\x00\xff\xff\x00\x00\x93\x00\x00\x00' >"$T/user0.pcap"
size=$(stat -c %s "$REAL")
head -c $((size - 10)) "$REAL" >"$T/trunc.pcap"
head -c 40 "$REAL" >"$T/trunc1.pcap"    # header + part of the first record header
head -c 20 "$REAL" >"$T/trunchdr.pcap"  # not even a whole file header

expect "missing file" 2 "nope.pcap: No such file or directory" "$HS" decode -r "$T/nope.pcap"
expect "empty file" 2 "empty.pcap: empty file, not a pcap, pcapng or ETL capture" "$HS" decode -r "$T/empty.pcap"
expect "text file" 2 "text.pcap: not a pcap, pcapng or ETL capture" "$HS" decode -r "$T/text.pcap"
expect "unsupported link type" 2 "user0.pcap: link type 147 \(USER0\) is not supported; supported: .*EN10MB \(1\)" \
	"$HS" decode -r "$T/user0.pcap"
expect "truncated capture" 0 "^! input 0 frame [0-9]+: truncated_capture: " "$HS" decode -r "$T/trunc.pcap"
expect "truncated capture, json" 0 '"anomaly":"truncated_capture"' "$HS" decode --json -r "$T/trunc.pcap"
expect "truncated first record" 2 "trunc1.pcap: no readable record" "$HS" decode -r "$T/trunc1.pcap"
expect "truncated file header" 2 "trunchdr.pcap: cannot read the capture" "$HS" decode -r "$T/trunchdr.pcap"
expect "one bad input of two" 2 "user0.pcap" "$HS" decode -r "$REAL" -r "$T/user0.pcap"
expect "directory" 2 "is a directory" "$HS" decode -r "$T"
expect "good capture" 0 "^hopsniff: 19 packets" "$HS" decode -r "$REAL"
expect "two inputs merged" 0 "^hopsniff: 38 packets .* from 2 inputs" "$HS" decode -r "$REAL" -r "$REAL"
# the synthetic PDUs hold srv1's S4U2Self + S4U2Proxy refused (KDC_ERR_BADOPTION) without a hop 1: a chain
# from partial evidence, a refused delegation, exit 1
expect "report mode" 1 "hop 1: not in the capture" "$HS" -r "$REAL"
expect "no -r" 2 "nothing to do" "$HS" decode
expect "no arguments" 2 "nothing to do" "$HS"
expect "unknown option" 2 "Unknown option" "$HS" decode --bogus -r "$REAL"
expect "unknown command" 2 "unknown command 'frobnicate'" "$HS" frobnicate
expect "stray argument" 2 "unexpected argument" "$HS" decode -r "$REAL" extra
expect "help" 0 "--show-secrets" "$HS" decode --help
expect "help -h" 0 "--json" "$HS" -h
expect "version" 0 "^hopsniff [0-9]+\.[0-9]+\.[0-9]+" "$HS" --version
# -d tcp.port==PORT,NAME (decode-as, issue 20): every mode takes it, a bad rule is a usage error
expect "-d names in --help" 0 "NAME: kerberos, http, winrm-http, smb2, ldap, dcerpc, mssql, ldaps, winrm-https, tls, rdp\)" \
	"$HS" --help
expect "-d decode" 0 "^hopsniff: 19 packets .* 14 messages" "$HS" decode -d tcp.port==8443,winrm-https -d udp.port==750,kerberos -r "$REAL"
expect "-d report" 1 "hop 1: not in the capture" "$HS" -d tcp.port==8443,winrm-https -r "$REAL"
expect "-d not a rule" 2 "-d: decode-as 'tcp:8443': expected tcp.port==PORT,NAME" "$HS" decode -d tcp:8443 -r "$REAL"
expect "-d bad port" 2 "the port must be 1-65535" "$HS" -d tcp.port==70000,smb2 -r "$REAL"
expect "-d unknown name" 2 "smb3 names no parser on tcp \(one of: kerberos, " "$HS" -d tcp.port==445,smb3 -r "$REAL"
expect "-d name not on udp" 2 "smb2 names no parser on udp \(one of: kerberos\)" "$HS" decode -d udp.port==445,smb2 -r "$REAL"
expect "-d live filter" 0 " or tcp port 8443 or " "$HS" --print-filter -d tcp.port==8443,winrm-https
expect "--print-filter says what it cannot see" 0 "needs --all-tcp, -d tcp.port==PORT,NAME or -f EXPR" \
	"$HS" --print-filter

echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
