#!/bin/bash
# Generate captures/generated/http_auth_curl.pcap: real curl traffic against
# tests/http/live_server.py on 127.0.0.1:8080 (Basic, NTLM, Negotiate->NTLM
# fallback, SOAP fault, chunked upload and reply, keep-alive).  Needs root
# for tcpdump on lo.
set -eu
root=$(cd "$(dirname "$0")/../.." && pwd)
out=$root/captures/generated/http_auth_curl.pcap
mkdir -p "$(dirname "$out")"
/usr/bin/python3 "$root/tests/http/live_server.py" 8080 & srv=$!
tcpdump -i lo -w "$out" -U 'tcp port 8080' 2>/dev/null & dump=$!
sleep 1
u=http://127.0.0.1:8080
curl -s -o /dev/null $u/plain $u/again                                   # keep-alive, 401 x2
curl -s -o /dev/null --basic -u alice:Secret123 $u/basic
curl -s -o /dev/null --ntlm -u 'HOP\alice:Secret123' -d @"$root/decoder/testdata/winrm/req_create_shell.xml" \
	-H 'Content-Type: application/soap+xml;charset=UTF-8' $u/wsman
curl -s -o /dev/null -X POST $u/fault -H 'Content-Type: application/soap+xml;charset=UTF-8' \
	--data-binary @"$root/decoder/testdata/winrm/req_command.xml"
curl -s -o /dev/null $u/chunked -H 'Transfer-Encoding: chunked' -H 'Content-Type: application/soap+xml;charset=UTF-8' \
	--data-binary @"$root/decoder/testdata/winrm/req_receive.xml"
sleep 1
kill $dump $srv
wait $dump 2>/dev/null || true
echo "$out"
