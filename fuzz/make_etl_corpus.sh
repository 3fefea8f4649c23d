#!/bin/sh
# fuzz/make_etl_corpus.sh - the seed corpus of fuzz_etl: the first packets of a
# few lab captures as ETL traces (tests/input/etl_writer.py, its three variants:
# XPRESS + 64-bit + QPC, LZNT1 + 32-bit + system time, uncompressed + 20 MHz
# QPC; and a whole capture with XPRESS Huffman buffers by Samba's and wimlib's
# compressors), each behind the mode byte fuzz_etl reads first (0: one copy per packet;
# 1: all copies; 2: a small ordering cap).
set -eu
root=$(cd "$(dirname "$0")/.." && pwd)
out=$root/fuzz/corpus/etl
mkdir -p "$out"
t=$(mktemp -d)
trap 'rm -rf "$t"' EXIT
n=0
for sc in 08-constrained-target-not-allowed/srv1 02-ntlm-first-hop/srv1 03-credssp/client1; do
	tcpdump -r "$root/captures/lab/scenarios/$sc.pcapng" -c 24 -w "$t/in.pcap" 2>/dev/null
	for v in 0 1 2; do
		python3 "$root/tests/input/etl_writer.py" "$t/in.pcap" "$t/x.etl" "$v" --drops 2 >/dev/null
		printf "\\00$((n % 3))" >"$out/seed-$n"
		cat "$t/x.etl" >>"$out/seed-$n"
		n=$((n + 1))
	done
done
# XPRESS Huffman buffers (Samba's compressor: blocks of 64 KiB, matches across them; wimlib's: one block)
for sc in 03-credssp/client1 02-ntlm-first-hop/srv1 05-unconstrained/srv1 08-constrained-target-not-allowed/srv1; do
	tcpdump -r "$root/captures/lab/scenarios/$sc.pcapng" -w "$t/$(echo "$sc" | tr / -).pcap" 2>/dev/null
done
mergecap -F pcap -w "$t/in.pcap" "$t"/*-*.pcap
for v in 4 5; do
	python3 "$root/tests/input/etl_writer.py" "$t/in.pcap" "$t/x.etl" "$v" --drops 2 >/dev/null
	printf "\\000" >"$out/seed-huff-$v"
	cat "$t/x.etl" >>"$out/seed-huff-$v"
done
