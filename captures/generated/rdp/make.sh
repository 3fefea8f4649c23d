#!/bin/bash
# Regenerate the RDP captures: FreeRDP 2 (Debian's freerdp2-x11 xfreerdp as the
# client, freerdp2-shadow-x11 freerdp-shadow-cli as the server) on Xvfb, in a
# private network namespace (unshare --net: loopback only), recorded with
# tcpdump on lo.  TLS key logs come from tests/rdp/keylog_shim.c (LD_PRELOAD;
# OpenSSL's SSL_CTX_set_keylog_callback), written by both ends.
# Outputs per case: NAME.pcap, NAME.keylog, NAME.log (client and server logs).
# Usage: make.sh [CASE...]  (cases: nla-ok nla-badpass nla-refused neg-failure tls-only hybrid-ex-ok
# hybrid-ex-denied; nla-ext is the FreeRDP HYBRID_EX attempt that fails, see README.md)
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../../.." && pwd)
if [ "${1:-}" != "--inside" ]; then
	exec unshare --net "$0" --inside "$@"
fi
shift
ip link set lo up
cases=("$@")
[ ${#cases[@]} -gt 0 ] || cases=(nla-ok nla-badpass nla-refused neg-failure tls-only hybrid-ex-ok hybrid-ex-denied)

work=$(mktemp -d /tmp/hs-rdp.XXXXXX)
pids=()
cleanup() {
	for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
	wait 2>/dev/null || true
	rm -rf "$work"
}
trap cleanup EXIT

gcc -shared -fPIC -O2 -o "$work/keylog_shim.so" "$root/tests/rdp/keylog_shim.c" -ldl -lssl

# The shadow server's NTLM accounts (WinPR SAM file: user:domain:LM:NT:::).
user=alice
pass='Rdp-Test-Pa55'
nthash=$(printf '%s' "$pass" | iconv -t UTF-16LE | openssl dgst -md4 -provider legacy -provider default -r | cut -d' ' -f1)
printf '%s::%s:%s:::\n' "$user" "" "$nthash" >"$work/sam"
# (LM hash empty: NTLMv2 only)

export HOME="$work/home"  # FreeRDP keeps its generated server certificate and known hosts here
mkdir -p "$HOME"
# -noreset: Xvfb would reset when its last client leaves, failing the next server
Xvfb :77 -screen 0 800x600x24 -nolisten tcp -noreset >/dev/null 2>&1 &
pids+=($!)
export DISPLAY=:77
sleep 1

port=3389
run_case() {
	local name=$1 srvsec=$2 clisec=$3 cpass=$4 mode=${5-/auth-only}
	rm -f "$here/$name.keylog" "$here/$name.pcap"
	: >"$work/$name.log"
	tcpdump -i lo -U -s 0 -w "$here/$name.pcap" "tcp port $port" 2>/dev/null &
	local t=$!
	sleep 0.5
	HS_KEYLOG_FILE="$here/$name.keylog" LD_PRELOAD="$work/keylog_shim.so" \
		freerdp-shadow-cli /port:$port /bind-address:127.0.0.1 $srvsec /sam-file:"$work/sam" \
		>>"$work/$name.log" 2>&1 &
	local s=$! i
	for i in $(seq 50); do # until the server listens
		ss -ltn "sport = :$port" | grep -q LISTEN && break
		sleep 0.1
	done
	sleep 0.5
	HS_KEYLOG_FILE="$here/$name.keylog" LD_PRELOAD="$work/keylog_shim.so" \
		timeout -s INT 8 xfreerdp /v:127.0.0.1:$port /u:$user /p:"$cpass" /cert:ignore $clisec $mode \
		>>"$work/$name.log" 2>&1 || echo "$name: xfreerdp exit $?" >>"$work/$name.log"
	sleep 1
	kill $s 2>/dev/null || true
	wait $s 2>/dev/null || true
	sleep 2 # let tcpdump drain the kernel's buffer
	kill -INT $t
	wait $t 2>/dev/null || true
	touch "$here/$name.keylog"
	sed -e "s/$pass/<password>/g" "$work/$name.log" >"$here/$name.log"
	echo "$name: $(stat -c %s "$here/$name.pcap") bytes, $(wc -l <"$here/$name.keylog") key log lines"
}

# HYBRID_EX: Python peers (hybrid_ex.py), since FreeRDP 2's server never selects it.
run_py_case() {
	local name=$1 mode=$2
	rm -f "$here/$name.keylog" "$here/$name.pcap"
	tcpdump -i lo -U -s 0 -w "$here/$name.pcap" "tcp port $port" 2>/dev/null &
	local t=$!
	sleep 0.5
	/usr/bin/python3 "$here/hybrid_ex.py" "$mode" "$here/$name.keylog" >"$here/$name.expected"
	sleep 2 # let tcpdump drain the kernel's buffer
	kill -INT $t
	wait $t 2>/dev/null || true
	echo "$name: $(stat -c %s "$here/$name.pcap") bytes, $(wc -l <"$here/$name.keylog") key log lines"
}

for c in "${cases[@]}"; do
	case $c in
	nla-ok) run_case nla-ok "/sec:nla +auth" "/sec:nla" "$pass" "" ;;
	nla-badpass) run_case nla-badpass "/sec:nla +auth" "/sec:nla" "wrong-$pass" ;;
	nla-refused) run_case nla-refused "/sec:tls" "/sec:nla" "$pass" ;;
	neg-failure) run_case neg-failure "/sec:nla +auth" "/sec:tls" "$pass" ;;
	tls-only) run_case tls-only "/sec:tls" "/sec:tls" "$pass" "" ;;
	nla-ext) run_case nla-ext "+sec-ext +auth" "/sec:ext" "$pass" ;;
	hybrid-ex-ok) run_py_case hybrid-ex-ok ok ;;
	hybrid-ex-denied) run_py_case hybrid-ex-denied denied ;;
	*) echo "unknown case $c" >&2; exit 2 ;;
	esac
done
