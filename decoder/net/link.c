/* link.c - link-layer framing for the link types hopsniff reads.
 *
 * References: the tcpdump.org LINKTYPE_ registry (link-layer header types),
 * IEEE 802.1Q (C-tag 0x8100) and 802.1ad (S-tag 0x88a8; 0x9100 is the
 * pre-standard QinQ tag still emitted by some switches).
 */
#include "link.h"

#include "cursor.h"

#define MAX_VLAN_TAGS 4 /* QinQ is two; more is a loop or garbage */

bool hs_linktype_supported(int linktype)
{
	switch (linktype) {
	case HS_DLT_NULL:
	case HS_DLT_EN10MB:
	case HS_DLT_RAW:
	case HS_DLT_RAW_ALT:
	case HS_DLT_LOOP:
	case HS_DLT_LINUX_SLL:
	case HS_DLT_IPV4:
	case HS_DLT_IPV6:
	case HS_DLT_LINUX_SLL2:
	case HS_DLT_IEEE802_11:
		return true;
	default:
		return false;
	}
}

const char *hs_linktype_name(int linktype)
{
	switch (linktype) {
	case HS_DLT_NULL: return "NULL";
	case HS_DLT_EN10MB: return "EN10MB";
	case HS_DLT_RAW: return "RAW";
	case HS_DLT_RAW_ALT: return "RAW";
	case HS_DLT_LOOP: return "LOOP";
	case HS_DLT_LINUX_SLL: return "LINUX_SLL";
	case HS_DLT_IPV4: return "IPV4";
	case HS_DLT_IPV6: return "IPV6";
	case HS_DLT_LINUX_SLL2: return "LINUX_SLL2";
	case HS_DLT_IEEE802_11: return "IEEE802_11";
	default: return NULL;
	}
}

const char *hs_linktypes_supported_str(void)
{
	return "EN10MB (1, Ethernet with 802.1Q/802.1ad tags), LINUX_SLL (113), LINUX_SLL2 (276), "
	       "RAW (101/12), IPV4 (228), IPV6 (229), NULL (0), LOOP (108), IEEE802_11 (105, data frames with LLC/SNAP)";
}

/* Raw IP: the version nibble says which. */
static hs_err raw_ip(const uint8_t *p, size_t caplen, size_t off, hs_link *out)
{
	if (caplen <= off)
		return HS_E_TRUNCATED;
	switch (p[off] >> 4) {
	case 4: out->ethertype = HS_ETH_IPV4; break;
	case 6: out->ethertype = HS_ETH_IPV6; break;
	default: return HS_E_MALFORMED;
	}
	out->offset = off;
	return HS_OK;
}

/* BSD NULL/LOOP address families for IPv6 differ per OS: 24 (NetBSD,
 * OpenBSD, BSD/OS), 28 (FreeBSD), 30 (Darwin); 10 is Linux's AF_INET6. */
static hs_err null_af(uint32_t af, const uint8_t *p, size_t caplen, hs_link *out)
{
	out->offset = 4;
	switch (af) {
	case 2:
		out->ethertype = HS_ETH_IPV4;
		return HS_OK;
	case 10: case 24: case 28: case 30:
		out->ethertype = HS_ETH_IPV6;
		return HS_OK;
	default:
		/* Unknown family: trust the version nibble rather than give up. */
		return raw_ip(p, caplen, 4, out);
	}
}

/* IEEE 802.11-2020 9.2.3 / 9.3.2.1: a data frame's MAC header (24 bytes,
 * 30 with the fourth address of a frame both to and from the DS, +2 QoS
 * Control for QoS subtypes, +4 HT Control when +HTC/Order is set on a QoS
 * frame), then the RFC 1042 LLC/SNAP header (AA AA 03, OUI 00-00-00 or
 * 00-00-F8 for 802.1H bridge tunnel) and the EtherType.  Management and
 * control frames, null data and protected (encrypted) frames carry no IP
 * that can be read: ethertype 0, as for Ethernet's LLC frames. */
static hs_err ieee802_11(const uint8_t *p, size_t caplen, hs_link *out)
{
	hs_cur c = hs_cur_make(p, caplen);
	uint16_t fc = hs_cur_u16le(&c);
	if (!hs_cur_ok(&c))
		return HS_E_TRUNCATED;
	unsigned type = (fc >> 2) & 3, subtype = (fc >> 4) & 15;
	if ((fc & 3) != 0)
		return HS_E_MALFORMED; /* protocol version 0 only */
	if (type != 2 || (subtype & 4) || (fc & 0x4000))
		return HS_OK; /* not data, no body, or protected */
	size_t hdr = 24;
	if ((fc & 0x0300) == 0x0300)
		hdr += 6;
	if (subtype & 8) {
		hdr += 2;
		if (fc & 0x8000)
			hdr += 4;
	}
	hs_cur_skip(&c, hdr - 2);
	const uint8_t *llc = hs_cur_bytes(&c, 6);
	uint16_t ethertype = hs_cur_u16be(&c);
	if (!hs_cur_ok(&c))
		return HS_E_TRUNCATED;
	if (llc[0] != 0xaa || llc[1] != 0xaa || llc[2] != 0x03 || llc[3] != 0 || llc[4] != 0 ||
	    (llc[5] != 0 && llc[5] != 0xf8))
		return HS_OK; /* another LLC protocol */
	out->ethertype = ethertype;
	out->offset = hdr + 8;
	return HS_OK;
}

hs_err hs_link_decode(int linktype, const uint8_t *p, size_t caplen, hs_link *out)
{
	hs_cur c = hs_cur_make(p, caplen);
	out->ethertype = 0;
	out->offset = 0;
	out->vlan_tags = 0;

	switch (linktype) {
	case HS_DLT_EN10MB: {
		hs_cur_skip(&c, 12); /* destination, source MAC */
		uint16_t type = hs_cur_u16be(&c);
		while (hs_cur_ok(&c) && (type == 0x8100 || type == 0x88a8 || type == 0x9100)) {
			if (out->vlan_tags++ == MAX_VLAN_TAGS)
				return HS_E_MALFORMED;
			hs_cur_skip(&c, 2); /* PCP, DEI, VID */
			type = hs_cur_u16be(&c);
		}
		if (!hs_cur_ok(&c))
			return HS_E_TRUNCATED;
		/* Values below 0x0600 are 802.3 lengths (LLC frames): not IP. */
		out->ethertype = type >= 0x0600 ? type : 0;
		out->offset = caplen - c.len;
		return HS_OK;
	}
	case HS_DLT_LINUX_SLL:
		/* packet type, ARPHRD, address length, 8 address bytes, protocol */
		hs_cur_skip(&c, 14);
		out->ethertype = hs_cur_u16be(&c);
		if (!hs_cur_ok(&c))
			return HS_E_TRUNCATED;
		out->offset = 16;
		return HS_OK;
	case HS_DLT_LINUX_SLL2:
		/* protocol, reserved, ifindex, ARPHRD, packet type, addr len, 8 addr */
		out->ethertype = hs_cur_u16be(&c);
		hs_cur_skip(&c, 18);
		if (!hs_cur_ok(&c))
			return HS_E_TRUNCATED;
		out->offset = 20;
		return HS_OK;
	case HS_DLT_RAW:
	case HS_DLT_RAW_ALT:
		return raw_ip(p, caplen, 0, out);
	case HS_DLT_IPV4:
		out->ethertype = HS_ETH_IPV4;
		return HS_OK;
	case HS_DLT_IPV6:
		out->ethertype = HS_ETH_IPV6;
		return HS_OK;
	case HS_DLT_NULL: {
		/* The family is in the byte order of the capturing host, which the
		 * file does not record; families are small, so a value with only
		 * high bytes set is the other order. */
		uint32_t af = hs_cur_u32le(&c);
		if (!hs_cur_ok(&c))
			return HS_E_TRUNCATED;
		if ((af & 0xffff) == 0)
			af = __builtin_bswap32(af);
		return null_af(af, p, caplen, out);
	}
	case HS_DLT_IEEE802_11:
		return ieee802_11(p, caplen, out);
	case HS_DLT_LOOP: {
		uint32_t af = hs_cur_u32be(&c);
		if (!hs_cur_ok(&c))
			return HS_E_TRUNCATED;
		return null_af(af, p, caplen, out);
	}
	default:
		return HS_E_UNSUPPORTED;
	}
}
