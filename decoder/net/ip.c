/* ip.c - IPv4 (RFC 791) and IPv6 (RFC 8200) decoding and fragment
 * reassembly.  See ip.h for the bounds and the overlap policy.
 *
 * Header checksums are not verified: captures taken on the sending host
 * carry checksum-offload garbage, and a sniffer must decode what the
 * receiver most likely accepted.
 */
#include "ip.h"

#include <stdio.h>
#include <string.h>

#include "cursor.h"
#include "net.h"
#include "link.h"

#define MAX_DGRAM 65535u          /* largest reassembled payload (IPv4 total length limit) */
#define NBLOCKS ((MAX_DGRAM + 7) / 8)
#define MAX_EXT_HEADERS 16        /* IPv6 extension headers walked before giving up */
#define MAX_FRAGS_PER_DGRAM 256   /* tiny-fragment floods cost bounded work */

typedef struct frag_key {
	uint8_t family;
	uint8_t proto;    /* IPv4 protocol; 0 for IPv6 (not part of its key) */
	uint8_t pad[2];
	uint32_t id;
	uint8_t src[16], dst[16];
} frag_key;

typedef struct dgram {
	frag_key key;
	struct dgram *prev, *next; /* age order, oldest first */
	int64_t first_ns;
	uint32_t input;
	uint64_t frame;
	uint8_t *buf;
	uint32_t cap;
	uint32_t total;            /* payload length once the last fragment is seen */
	bool have_last, have_first;
	uint8_t next_hdr;          /* IPv6: Next Header of the first fragment's Fragment header */
	uint32_t blocks_set;
	uint32_t nfrags;
	uint8_t bits[(NBLOCKS + 7) / 8]; /* 8-byte blocks received */
} dgram;

struct hs_ip_defrag {
	GHashTable *tab;
	dgram *head, *tail;
	size_t count, max;
	dgram *done; /* completed datagram whose buffer the last packet points into */
};

static guint key_hash(gconstpointer k)
{
	const frag_key *f = k;
	guint h = f->id * 2654435761u ^ f->proto;
	for (int i = 0; i < 16; i++)
		h = h * 31 + f->src[i] + 7u * f->dst[i];
	return h;
}

static gboolean key_eq(gconstpointer a, gconstpointer b)
{
	return memcmp(a, b, sizeof(frag_key)) == 0;
}

hs_ip_defrag *hs_ip_defrag_new(size_t max_datagrams)
{
	hs_ip_defrag *d = g_new0(hs_ip_defrag, 1);
	d->tab = g_hash_table_new(key_hash, key_eq);
	d->max = max_datagrams ? max_datagrams : 1;
	return d;
}

static void dgram_free(dgram *g)
{
	if (!g)
		return;
	g_free(g->buf);
	g_free(g);
}

static void unlink_dgram(hs_ip_defrag *d, dgram *g)
{
	g_hash_table_remove(d->tab, &g->key);
	if (g->prev) g->prev->next = g->next; else d->head = g->next;
	if (g->next) g->next->prev = g->prev; else d->tail = g->prev;
	g->prev = g->next = NULL;
	d->count--;
}

void hs_ip_defrag_free(hs_ip_defrag *d)
{
	if (!d)
		return;
	dgram *g = d->head;
	while (g) {
		dgram *n = g->next;
		dgram_free(g);
		g = n;
	}
	dgram_free(d->done);
	g_hash_table_destroy(d->tab);
	g_free(d);
}

size_t hs_ip_defrag_count(const hs_ip_defrag *d) { return d->count; }

static const char *key_str(const frag_key *k, char *buf, size_t n)
{
	hs_addr s = { k->family, { 0 } }, t = { k->family, { 0 } };
	char a[64], b[64];
	memcpy(s.a, k->src, 16);
	memcpy(t.a, k->dst, 16);
	snprintf(buf, n, "%s -> %s id 0x%x", hs_addr_str(&s, a, sizeof a), hs_addr_str(&t, b, sizeof b), k->id);
	return buf;
}

static void drop_dgram(hs_net *e, dgram *g, hs_anom kind, const char *why)
{
	hs_ip_defrag *d = e->defrag;
	char k[160];
	unlink_dgram(d, g);
	e->stats->dropped += g->nfrags;
	hs_net_anomaly_at(e, g->input, g->frame, kind, "IP datagram %s: %s (%u fragments dropped)",
			  key_str(&g->key, k, sizeof k), why, g->nfrags);
	dgram_free(g);
}

void hs_ip_expire(hs_net *e, bool all)
{
	hs_ip_defrag *d = e->defrag;
	int64_t limit = (int64_t)HS_IP_FRAG_TIMEOUT * 1000000000LL;
	while (d->head && (all || e->now_ns - d->head->first_ns > limit))
		drop_dgram(e, d->head, HS_ANOM_IP_FRAG_INCOMPLETE, all ? "incomplete at end of input" : "timed out incomplete");
}

static bool bit_get(const dgram *g, uint32_t b) { return g->bits[b >> 3] & (1u << (b & 7)); }
static void bit_set(dgram *g, uint32_t b) { g->bits[b >> 3] |= (uint8_t)(1u << (b & 7)); }

/* Add one fragment [off, off+len) to its datagram.  Returns the completed
 * datagram (moved to d->done) or NULL. */
static dgram *add_fragment(hs_net *e, const frag_key *key, uint32_t off, const uint8_t *data, uint32_t len,
			   bool more, uint8_t next_hdr)
{
	hs_ip_defrag *d = e->defrag;
	dgram *g = g_hash_table_lookup(d->tab, key);
	e->stats->ip_fragments++;
	if (!g) {
		if (d->count >= d->max) {
			e->stats->cap_hits++;
			drop_dgram(e, d->head, HS_ANOM_IP_FRAG_CAP, "max_ip_fragments datagrams in progress; oldest dropped");
		}
		g = g_new0(dgram, 1);
		g->key = *key;
		g->first_ns = e->now_ns;
		g->input = e->input;
		g->frame = e->frame;
		g_hash_table_insert(d->tab, &g->key, g);
		g->prev = d->tail;
		if (d->tail) d->tail->next = g; else d->head = g;
		d->tail = g;
		d->count++;
	}
	g->nfrags++;
	if ((uint64_t)off + len > MAX_DGRAM) {
		drop_dgram(e, g, HS_ANOM_IP_FRAG_OVERSIZE, "fragments reach past 64 KiB");
		return NULL;
	}
	if (g->nfrags > MAX_FRAGS_PER_DGRAM) {
		drop_dgram(e, g, HS_ANOM_IP_FRAG_CAP, "too many fragments for one datagram");
		return NULL;
	}
	/* Every fragment but the last carries a multiple of 8 bytes (RFC 791,
	 * RFC 8200 4.5); anything else cannot be placed consistently. */
	if (more && (len % 8 || len == 0)) {
		drop_dgram(e, g, HS_ANOM_IP_FRAG_MALFORMED, "non-final fragment length is not a multiple of 8");
		return NULL;
	}
	uint32_t end = off + len;
	if (!more) {
		if (g->have_last && g->total != end) {
			drop_dgram(e, g, HS_ANOM_IP_FRAG_MALFORMED, "two different final fragments");
			return NULL;
		}
		g->have_last = true;
		g->total = end;
	}
	if ((g->have_last && end > g->total)) {
		drop_dgram(e, g, HS_ANOM_IP_FRAG_MALFORMED, "fragment beyond the final fragment");
		return NULL;
	}
	if (off == 0) {
		g->have_first = true;
		g->next_hdr = next_hdr;
	}
	if (end > g->cap) {
		uint32_t ncap = g->cap ? g->cap : 2048;
		while (ncap < end)
			ncap *= 2;
		if (ncap > MAX_DGRAM)
			ncap = MAX_DGRAM;
		g->buf = g_realloc(g->buf, ncap);
		g->cap = ncap;
	}
	bool overlap_differs = false;
	for (uint32_t b = off / 8; b * 8 < end; b++) {
		uint32_t s = b * 8, n = end - s < 8 ? end - s : 8;
		if (bit_get(g, b)) {
			/* first data wins; note when the later copy says otherwise */
			if (memcmp(g->buf + s, data + (s - off), n) != 0)
				overlap_differs = true;
			continue;
		}
		memcpy(g->buf + s, data + (s - off), n);
		bit_set(g, b);
		g->blocks_set++;
	}
	if (overlap_differs) {
		char k[160];
		hs_net_anomaly(e, HS_ANOM_IP_FRAG_OVERLAP, "IP datagram %s: overlapping fragment at offset %u differs; first data kept",
				key_str(key, k, sizeof k), off);
	}
	if (!g->have_last || !g->have_first || g->blocks_set != (g->total + 7) / 8)
		return NULL;
	unlink_dgram(d, g);
	dgram_free(d->done);
	d->done = g;
	return g;
}

/* Walk IPv6 extension headers from nh; on success out->proto/payload are
 * set.  *frag (if not NULL) receives a Fragment header's fields. */
typedef struct v6frag {
	bool present;
	uint32_t off, id;
	bool more;
	uint8_t next_hdr;
} v6frag;

static bool v6_walk(hs_net *e, uint8_t nh, hs_cur *c, hs_ip_pkt *out, v6frag *frag)
{
	for (int i = 0; i < MAX_EXT_HEADERS; i++) {
		switch (nh) {
		case 0:   /* Hop-by-Hop */
		case 43:  /* Routing */
		case 60:  /* Destination Options */
		case 135: /* Mobility */
		case 139: /* HIP */
		case 140: /* Shim6 */ {
			hs_cur h = *c;
			uint8_t next = hs_cur_u8(&h);
			size_t len = ((size_t)hs_cur_u8(&h) + 1) * 8;
			hs_cur_skip(c, len);
			if (!hs_cur_ok(&h) || !hs_cur_ok(c))
				return false;
			nh = next;
			continue;
		}
		case 51: { /* AH: length in 4-byte units minus 2 (RFC 4302 2.2) */
			hs_cur h = *c;
			uint8_t next = hs_cur_u8(&h);
			size_t len = ((size_t)hs_cur_u8(&h) + 2) * 4;
			hs_cur_skip(c, len);
			if (!hs_cur_ok(&h) || !hs_cur_ok(c))
				return false;
			nh = next;
			continue;
		}
		case 44: { /* Fragment (RFC 8200 4.5) */
			uint8_t next = hs_cur_u8(c);
			hs_cur_skip(c, 1);
			uint16_t offlg = hs_cur_u16be(c);
			uint32_t id = hs_cur_u32be(c);
			if (!hs_cur_ok(c))
				return false;
			if (!frag || frag->present) {
				hs_net_anomaly(e, HS_ANOM_IP_MALFORMED, "IPv6 Fragment header where none may be");
				return false;
			}
			/* An atomic fragment (offset 0, M=0, RFC 6946) is a whole datagram. */
			if ((offlg & 0xfff8) || (offlg & 1)) {
				frag->present = true;
				frag->off = offlg & 0xfff8;
				frag->more = offlg & 1;
				frag->id = id;
				frag->next_hdr = next;
				out->proto = next;
				return true;
			}
			nh = next;
			continue;
		}
		default: /* TCP, UDP, ICMPv6, ESP, No Next Header ... */
			out->proto = nh;
			return true;
		}
	}
	hs_net_anomaly(e, HS_ANOM_IP_MALFORMED, "more than %d IPv6 extension headers", MAX_EXT_HEADERS);
	return false;
}

static hs_ip_status ipv4(hs_net *e, const uint8_t *p, size_t caplen, hs_ip_pkt *out)
{
	hs_cur c = hs_cur_make(p, caplen);
	uint8_t vihl = hs_cur_u8(&c);
	hs_cur_skip(&c, 1);
	uint16_t total = hs_cur_u16be(&c);
	uint16_t id = hs_cur_u16be(&c);
	uint16_t frag = hs_cur_u16be(&c);
	hs_cur_skip(&c, 1);
	uint8_t proto = hs_cur_u8(&c);
	hs_cur_skip(&c, 2);
	const uint8_t *src = hs_cur_bytes(&c, 4);
	const uint8_t *dst = hs_cur_bytes(&c, 4);
	if (!hs_cur_ok(&c))
		return HS_IP_BAD;
	size_t ihl = (size_t)(vihl & 15) * 4;
	if (vihl >> 4 != 4 || ihl < 20) {
		hs_net_anomaly(e, HS_ANOM_IP_MALFORMED, "IPv4 header: version %u, header length %zu", vihl >> 4, ihl);
		return HS_IP_BAD;
	}
	if (caplen < ihl) /* options cut by snaplen */
		return HS_IP_BAD;
	/* Total length 0 is what TCP segmentation offload leaves in captures
	 * taken on the sender: take the frame's length. */
	size_t wire = total ? total : caplen;
	if (wire < ihl) {
		hs_net_anomaly(e, HS_ANOM_IP_MALFORMED, "IPv4 total length %zu shorter than its header (%zu)", wire, ihl);
		return HS_IP_BAD;
	}
	memset(&out->src, 0, sizeof out->src);
	memset(&out->dst, 0, sizeof out->dst);
	out->src.family = out->dst.family = 4;
	memcpy(out->src.a, src, 4);
	memcpy(out->dst.a, dst, 4);
	out->proto = proto;
	out->wire_len = wire - ihl;
	out->len = caplen - ihl < out->wire_len ? caplen - ihl : out->wire_len; /* drops Ethernet padding */
	out->payload = p + ihl;
	out->truncated = out->len < out->wire_len;
	out->reassembled = false;

	uint32_t off = (uint32_t)(frag & 0x1fff) * 8;
	bool more = frag & 0x2000;
	if (!off && !more)
		return HS_IP_PACKET;
	if (out->truncated) {
		e->stats->dropped++;
		hs_net_anomaly(e, HS_ANOM_IP_FRAG_TRUNCATED, "IPv4 fragment cut by the capture (%zu of %zu bytes); not reassembled",
				out->len, out->wire_len);
		return HS_IP_HELD;
	}
	frag_key k;
	memset(&k, 0, sizeof k);
	k.family = 4;
	k.proto = proto;
	k.id = id;
	memcpy(k.src, src, 4);
	memcpy(k.dst, dst, 4);
	dgram *g = add_fragment(e, &k, off, out->payload, (uint32_t)out->len, more, proto);
	if (!g)
		return HS_IP_HELD;
	out->payload = g->buf;
	out->len = out->wire_len = g->total;
	out->reassembled = true;
	return HS_IP_PACKET;
}

static hs_ip_status ipv6(hs_net *e, const uint8_t *p, size_t caplen, hs_ip_pkt *out)
{
	hs_cur c = hs_cur_make(p, caplen);
	uint8_t v = hs_cur_u8(&c);
	hs_cur_skip(&c, 3);
	uint16_t plen = hs_cur_u16be(&c);
	uint8_t nh = hs_cur_u8(&c);
	hs_cur_skip(&c, 1);
	const uint8_t *src = hs_cur_bytes(&c, 16);
	const uint8_t *dst = hs_cur_bytes(&c, 16);
	if (!hs_cur_ok(&c))
		return HS_IP_BAD;
	if (v >> 4 != 6) {
		hs_net_anomaly(e, HS_ANOM_IP_MALFORMED, "IPv6 header with version %u", v >> 4);
		return HS_IP_BAD;
	}
	/* Payload length 0 is a jumbogram (RFC 2675) or offload: use the frame. */
	size_t wire = plen ? plen : caplen - 40;
	size_t have = caplen - 40 < wire ? caplen - 40 : wire;
	out->src.family = out->dst.family = 6;
	memcpy(out->src.a, src, 16);
	memcpy(out->dst.a, dst, 16);
	out->reassembled = false;

	hs_cur body = hs_cur_make(p + 40, have);
	v6frag fr = { 0 };
	if (!v6_walk(e, nh, &body, out, &fr))
		return HS_IP_BAD; /* truncated inside extension headers */
	size_t hdrs = have - body.len;
	out->payload = body.p;
	out->len = body.len;
	out->wire_len = wire - hdrs;
	out->truncated = out->len < out->wire_len;
	if (!fr.present)
		return HS_IP_PACKET;
	if (out->truncated) {
		e->stats->dropped++;
		hs_net_anomaly(e, HS_ANOM_IP_FRAG_TRUNCATED, "IPv6 fragment cut by the capture (%zu of %zu bytes); not reassembled",
				out->len, out->wire_len);
		return HS_IP_HELD;
	}
	frag_key k;
	memset(&k, 0, sizeof k);
	k.family = 6;
	k.id = fr.id;
	memcpy(k.src, src, 16);
	memcpy(k.dst, dst, 16);
	dgram *g = add_fragment(e, &k, fr.off, out->payload, (uint32_t)out->len, fr.more, fr.next_hdr);
	if (!g)
		return HS_IP_HELD;
	/* The fragmentable part may start with more extension headers. */
	hs_cur r = hs_cur_make(g->buf, g->total);
	if (!v6_walk(e, g->next_hdr, &r, out, NULL))
		return HS_IP_BAD;
	out->payload = r.p;
	out->len = out->wire_len = r.len;
	out->truncated = false;
	out->reassembled = true;
	return HS_IP_PACKET;
}

hs_ip_status hs_ip_input(hs_net *e, uint16_t ethertype, const uint8_t *p, size_t caplen, hs_ip_pkt *out)
{
	hs_ip_defrag *d = e->defrag;
	if (d->done) {
		dgram_free(d->done);
		d->done = NULL;
	}
	if (d->head)
		hs_ip_expire(e, false);
	if (ethertype == HS_ETH_IPV4)
		return ipv4(e, p, caplen, out);
	if (ethertype == HS_ETH_IPV6)
		return ipv6(e, p, caplen, out);
	return HS_IP_BAD;
}
