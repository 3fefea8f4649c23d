/* ip.h - IPv4 and IPv6 decoding with fragment reassembly.
 *
 * Reassembly is bounded: at most hs_config.max_ip_fragments datagrams in
 * progress (the oldest is dropped with anomaly "ip_frag_cap"), 64 KiB per
 * datagram ("ip_frag_oversize"), HS_IP_FRAG_TIMEOUT seconds of capture time
 * ("ip_frag_incomplete" when a datagram never completes).  Overlapping
 * fragments: the bytes that arrived first are kept ("ip_frag_overlap" when
 * a later fragment disagrees), the same policy as TCP; deterministic
 * whatever the target OS would have done (RFC 5722 has IPv6 hosts discard
 * such datagrams; we keep decoding and say so).
 */
#ifndef HS_IP_H
#define HS_IP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "hs.h"
#include "net.h"

#define HS_IP_FRAG_TIMEOUT 30 /* seconds, as Linux's ipfrag_time */

typedef struct hs_ip_pkt {
	hs_addr src, dst;
	uint8_t proto;          /* 6 TCP, 17 UDP, other numbers pass through */
	const uint8_t *payload; /* transport header onward (frame or reassembly buffer) */
	size_t len;             /* bytes present */
	size_t wire_len;        /* bytes the IP header says there are (>= len) */
	bool truncated;         /* len < wire_len: snaplen cut or short frame */
	bool reassembled;
} hs_ip_pkt;

typedef enum hs_ip_status {
	HS_IP_PACKET = 0, /* *out is a packet (payload valid until the next hs_ip_input) */
	HS_IP_HELD,       /* a fragment was stored; nothing to deliver yet */
	HS_IP_BAD         /* not decodable (counted; anomaly when it is malformed) */
} hs_ip_status;

hs_ip_defrag *hs_ip_defrag_new(size_t max_datagrams);
/* Frees every datagram in progress silently. */
void hs_ip_defrag_free(hs_ip_defrag *d);

/* Decode one network-layer packet (ethertype HS_ETH_IPV4/6) of caplen bytes
 * present.  Anomalies go to e at its current frame. */
hs_ip_status hs_ip_input(hs_net *e, uint16_t ethertype, const uint8_t *p, size_t caplen,
			 hs_ip_pkt *out);

/* Drop datagrams older than the timeout at e->now_ns (all of them when
 * all), each with anomaly "ip_frag_incomplete". */
void hs_ip_expire(hs_net *e, bool all);

/* Datagrams in progress. */
size_t hs_ip_defrag_count(const hs_ip_defrag *d);

#endif
