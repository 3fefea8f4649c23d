#!/bin/bash
# bench/make_capture.sh [SIZE_MB] - build bench/data/big.pcap (>= 1 GB by default):
#  - bulk non-Kerberos traffic: TCP transfers on loopback captured with tcpdump
#    inside a private network namespace (unshare --net: nothing leaves lo; MTU
#    1500 so packets have realistic sizes);
#  - Kerberos/SMB/LDAP/DCE-RPC: the real captures in ../shared/captures/third-party/zeek (HS_THIRD_PARTY),
#    time-shifted copies (editcap -t) spread over the bulk capture's time span;
#  - merged by timestamp with mergecap.
# Needs root (unshare), tcpdump, editcap, mergecap, python3.
set -eu
size_mb=${1:-1100}
here=$(cd "$(dirname "$0")" && pwd)
root=$(dirname "$here")
data=$here/data
mkdir -p "$data"
tmp=$(mktemp -d "$data/tmp.XXXXXX")
trap 'rm -rf "$tmp"' EXIT

bulk_mb=$((size_mb * 85 / 100))
echo "bulk: ${bulk_mb} MB of TCP over loopback"
cat >"$tmp/xfer.py" <<'PY'
import socket, sys, threading, time
total = int(sys.argv[1]) << 20
conns = 8
def server(port, ready):
    s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.bind(("127.0.0.1", port)); s.listen(1); ready.set()
    c, _ = s.accept()
    while c.recv(1 << 20):
        pass
    c.close(); s.close()
def client(port, n):
    c = socket.create_connection(("127.0.0.1", port))
    buf = bytes(range(256)) * 64  # 16 KiB
    sent = 0
    while sent < n:
        sent += c.send(buf[: min(len(buf), n - sent)])
        time.sleep(0.002)  # about 8 MB/s per connection: tcpdump keeps up
    c.close()
ts = []
for i in range(conns):
    ev = threading.Event()
    t = threading.Thread(target=server, args=(9000 + i, ev)); t.start(); ev.wait(); ts.append(t)
cs = [threading.Thread(target=client, args=(9000 + i, total // conns)) for i in range(conns)]
for t in cs: t.start()
for t in cs + ts: t.join()
PY
unshare --net bash -c "
	ip link set lo up; ip link set lo mtu 1500; ip link set dev lo gso_max_size 1500
	tcpdump -i lo -s 0 -B 262144 -w '$tmp/bulk.pcap' -U tcp 2>'$tmp/tcpdump.err' & pid=\$!
	sleep 1
	python3 '$tmp/xfer.py' $bulk_mb
	sleep 1; kill \$pid; wait \$pid 2>/dev/null || true"
grep -E "captured|dropped" "$tmp/tcpdump.err" || true

# Kerberos & friends: copies spread over the bulk capture's time span.
read -r _ first last < <(capinfos -T -r -a -e -S "$tmp/bulk.pcap")
span=$(python3 -c "print(max(1.0, float('$last') - float('$first')))")
auth_mb=$((size_mb - bulk_mb))
srcs=()
for f in "${HS_THIRD_PARTY:-$root/../shared/captures/third-party}"/zeek/*.pcap*; do
	editcap -F pcap "$f" "$tmp/$(basename "${f%.*}").src.pcap" 2>/dev/null && srcs+=("$tmp/$(basename "${f%.*}").src.pcap")
done
set_bytes=$(cat "${srcs[@]}" | wc -c)
copies=$(( (auth_mb << 20) / set_bytes + 1 ))
echo "auth traffic: $copies copies of ${#srcs[@]} real captures over ${span}s"
# Shift each source so it starts at the bulk capture's start; one set file.
i=0
for s in "${srcs[@]}"; do
	read -r _ t0 < <(capinfos -T -r -a -S "$s")
	editcap -t "$(python3 -c "print(float('$first') - float('$t0'))")" "$s" "$tmp/base$i.pcap"
	i=$((i + 1))
done
mergecap -F pcap -w "$tmp/set.pcap" "$tmp"/base*.pcap
parts=()
for ((c = 0; c < copies; c++)); do
	editcap -t "$(awk -v c=$c -v s="$span" -v n=$copies 'BEGIN{printf "%.6f", c * s / n}')" "$tmp/set.pcap" "$tmp/c$c.pcap"
	# merge in batches to keep the number of open files small
	if (( (c + 1) % 100 == 0 || c + 1 == copies )); then
		mergecap -F pcap -w "$tmp/auth$c.pcap" "$tmp"/c[0-9]*.pcap
		rm -f "$tmp"/c[0-9]*.pcap
		parts+=("$tmp/auth$c.pcap")
	fi
done
mergecap -F pcap -w "$data/big.pcap" "$tmp/bulk.pcap" "${parts[@]}"
capinfos -c -s "$data/big.pcap"
