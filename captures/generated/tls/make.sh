#!/bin/bash
# Regenerate the TLS test captures: real OpenSSL s_client <-> s_server sessions
# on loopback inside a private network namespace (nothing leaves it), one per
# cipher family, each with the client's NSS key log (SSLKEYLOGFILE format).
#
#   captures/generated/tls/make.sh            (as root: needs unshare --net)
#
# For each case NAME it writes NAME.pcap (tcpdump on lo), NAME.keylog,
# NAME.sent (what the client sent) and NAME.recv (what the client received:
# s_server -rev answers each line reversed).  The test
# tests/tls/diff_tls.sh checks that hopsniff's plaintext equals tshark's and
# equals these files.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
if [ "${1:-}" != "--inside" ]; then
	exec unshare --net "$0" --inside
fi
ip link set lo up
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
cd "$here"
if [ ! -f server.pem ]; then
	openssl req -x509 -newkey rsa:2048 -nodes -keyout server.key -out server.pem -days 36500 \
		-subj "/CN=srv1.hop.test/O=hopsniff test" -addext "subjectAltName=DNS:srv1.hop.test" 2>/dev/null
fi
port=5986

# case NAME "server/client protocol options" [keyupdate]
run_case() {
	local name=$1 opts=$2 ku=${3:-}
	rm -f "$name.pcap" "$name.keylog"
	tcpdump -i lo -U -s 0 -w "$tmp/$name.pcap" "tcp port $port" 2>/dev/null &
	local tpid=$!
	sleep 0.5
	# shellcheck disable=SC2086
	openssl s_server -accept 127.0.0.1:$port -cert server.pem -key server.key -naccept 1 -rev $opts \
		>"$tmp/server.out" 2>&1 &
	local spid=$!
	sleep 0.5
	{
		printf 'GET /wsman HTTP/1.1 line one from the client\n'
		sleep 0.3
		printf 'second line: %s\n' "$name"
		sleep 0.3
		if [ -n "$ku" ]; then
			printf 'K\n' # s_client command: KeyUpdate, update_requested (RFC 8446 4.6.3)
			sleep 0.3
			printf 'after the key update\n'
			sleep 0.3
		fi
		printf '%04000d\n' 7 # a record of 4 KB
		sleep 0.5
	} | {
		# shellcheck disable=SC2086
		openssl s_client -connect 127.0.0.1:$port -servername srv1.hop.test -alpn http/1.1 \
			-keylogfile "$tmp/$name.keylog" $opts >"$tmp/$name.client" 2>/dev/null || true
	}
	wait $spid || true
	sleep 0.5
	kill $tpid
	wait $tpid 2>/dev/null || true
	cp "$tmp/$name.pcap" "$tmp/$name.keylog" .
	# what the client sent (without the s_client command line "K")
	{
		printf 'GET /wsman HTTP/1.1 line one from the client\n'
		printf 'second line: %s\n' "$name"
		[ -n "$ku" ] && printf 'after the key update\n'
		printf '%04000d\n' 7
	} >"$name.sent"
	# what the server sent back: each line reversed
	while IFS= read -r l; do printf '%s\n' "$(printf '%s' "$l" | rev)"; done <"$name.sent" >"$name.recv"
	echo "$name: $(stat -c %s "$name.pcap") bytes"
}

run_case tls12-aes128-gcm "-tls1_2 -cipher ECDHE-RSA-AES128-GCM-SHA256"
run_case tls12-chacha20 "-tls1_2 -cipher ECDHE-RSA-CHACHA20-POLY1305"
run_case tls12-aes128-cbc-sha256 "-tls1_2 -cipher ECDHE-RSA-AES128-SHA256"
run_case tls12-aes128-sha-etm "-tls1_2 -cipher AES128-SHA"
run_case tls12-aes128-sha-noetm "-tls1_2 -cipher AES128-SHA -no_etm"
run_case tls12-aes256-gcm-sha384 "-tls1_2 -cipher ECDHE-RSA-AES256-GCM-SHA384"
run_case tls13-aes128-gcm "-tls1_3 -ciphersuites TLS_AES_128_GCM_SHA256" ku
run_case tls13-chacha20 "-tls1_3 -ciphersuites TLS_CHACHA20_POLY1305_SHA256" ku
run_case tls13-aes256-gcm "-tls1_3 -ciphersuites TLS_AES_256_GCM_SHA384"
