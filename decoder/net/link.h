/* link.h - link-layer framing: find the IP header inside a captured frame.
 *
 * Pure function over the caller's bytes: nothing is allocated or kept.
 */
#ifndef HS_LINK_H
#define HS_LINK_H

#include <stddef.h>
#include <stdint.h>

#include "hs.h"

#define HS_ETH_IPV4 0x0800
#define HS_ETH_IPV6 0x86DD

typedef struct hs_link {
	uint16_t ethertype; /* HS_ETH_IPV4 / HS_ETH_IPV6, or another EtherType (ARP ...) */
	size_t offset;      /* where the network header starts in the frame */
	unsigned vlan_tags; /* 802.1Q / 802.1ad tags skipped */
} hs_link;

/* Decode the link header of one frame of caplen bytes.  Returns HS_OK with
 * *out filled (ethertype may name a protocol other than IP: the caller
 * ignores such frames), HS_E_TRUNCATED when the link header itself is cut,
 * HS_E_MALFORMED when it makes no sense (e.g. an unknown NULL/loopback
 * address family), HS_E_UNSUPPORTED for a link type hs_linktype_supported()
 * rejects.  Never reads past p[caplen - 1]. */
hs_err hs_link_decode(int linktype, const uint8_t *p, size_t caplen, hs_link *out);

/* A short name for a link type ("EN10MB", "LINUX_SLL2" ...), or NULL. */
const char *hs_linktype_name(int linktype);

/* The supported link types as "EN10MB (1), ..." for messages. */
const char *hs_linktypes_supported_str(void);

#endif
