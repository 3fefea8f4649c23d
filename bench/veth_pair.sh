# bench/veth_pair.sh - sourced by the live benchmarks (live_load.sh, soak.sh), which run inside their own
# `unshare --net --mount`: veth_pair NAME makes the namespaces NAME-tx and NAME-rx (under a private tmpfs
# /run/netns) joined by veth-tx / veth-rx (MTU 65000, up, loopback up); veth_pair_del NAME removes them.
veth_pair() {
	mkdir -p /run/netns
	mount -t tmpfs hsl-netns /run/netns
	ip netns add "$1-tx"
	ip netns add "$1-rx"
	ip link add veth-tx netns "$1-tx" type veth peer name veth-rx netns "$1-rx"
	for ns in tx rx; do
		ip -n "$1-$ns" link set veth-$ns mtu 65000 up
		ip -n "$1-$ns" link set lo up
	done
}

veth_pair_del() {
	ip netns del "$1-tx" 2>/dev/null
	ip netns del "$1-rx" 2>/dev/null
}

# veth_bench NAME OUT: the pair NAME, and on exit the capturing process $HSPID (if set) stopped, the pair
# removed and the folder OUT removed (kept, and said, when KEEP is set).
veth_bench() {
	VETH_NAME=$1
	VETH_OUT=$2
	trap veth_bench_end EXIT
	veth_pair "$1"
}

veth_bench_end() {
	set +e
	[ -n "${HSPID:-}" ] && kill "$HSPID" 2>/dev/null
	veth_pair_del "$VETH_NAME"
	if [ -n "${KEEP:-}" ]; then echo "kept $VETH_OUT"; else rm -rf "$VETH_OUT"; fi
}
