#!/bin/bash
# Regenerate the CredSSP-over-HTTP captures (credssp_http.py in a private
# network namespace, tcpdump on lo): NAME.pcap, NAME.keylog (client key
# log), NAME.expected (the TSRequests the script sent and got, JSON lines).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
if [ "${1:-}" != "--inside" ]; then
	exec unshare --net "$0" --inside
fi
ip link set lo up
cd "$here"
for mode in enabled disabled badpass; do
	rm -f "credssp-$mode.keylog"
	tcpdump -i lo -U -s 0 -w "credssp-$mode.pcap" "tcp port 5985" 2>/dev/null &
	t=$!
	sleep 0.5
	/usr/bin/python3 credssp_http.py "$mode" "credssp-$mode.keylog" >"credssp-$mode.expected"
	sleep 2 # let tcpdump drain the kernel's buffer before it is stopped
	kill -INT $t
	wait $t 2>/dev/null || true
	touch "credssp-$mode.keylog"
	echo "credssp-$mode: $(stat -c %s "credssp-$mode.pcap") bytes"
done
