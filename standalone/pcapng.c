/* pcapng.c - pcapng reader (see pcapng.h); the writer is pcapng_write.c. */
#include "pcapng.h"

#include <errno.h>
#include <glib.h>
#include <string.h>

#include "hs.h"

static uint16_t u16_in(bool swap, const uint8_t *p)
{
	uint16_t v;
	memcpy(&v, p, 2);
	return swap ? GUINT16_SWAP_LE_BE(v) : v;
}

static uint32_t u32_in(bool swap, const uint8_t *p)
{
	uint32_t v;
	memcpy(&v, p, 4);
	return swap ? GUINT32_SWAP_LE_BE(v) : v;
}


typedef struct iface {
	int linktype;
	uint32_t snaplen;
	bool pow2;        /* if_tsresol: 2^-res, else 10^-res */
	uint8_t res;
	int64_t offset;   /* if_tsoffset, seconds */
} iface;

struct hs_pcapng_in {
	long (*read)(void *ud, void *buf, size_t n);
	void *ud;
	bool swap;        /* the section's byte order is not ours */
	bool in_section;
	GArray *ifaces;   /* of iface, this section's */
	int first_linktype;
	uint8_t *buf;
	size_t cap;
	uint64_t block;   /* blocks read, for error messages */
};

hs_pcapng_in *hs_pcapng_in_new(long (*read)(void *ud, void *buf, size_t n), void *ud)
{
	hs_pcapng_in *r = g_new0(hs_pcapng_in, 1);
	r->read = read;
	r->ud = ud;
	r->ifaces = g_array_new(FALSE, FALSE, sizeof(iface));
	r->first_linktype = -1;
	return r;
}

void hs_pcapng_in_free(hs_pcapng_in *r)
{
	if (!r)
		return;
	g_array_free(r->ifaces, TRUE);
	g_free(r->buf);
	g_free(r);
}

int hs_pcapng_first_linktype(const hs_pcapng_in *r)
{
	return r->first_linktype;
}

static uint32_t get32(const hs_pcapng_in *r, const uint8_t *p)
{
	return u32_in(r->swap, p);
}

static uint16_t get16(const hs_pcapng_in *r, const uint8_t *p)
{
	return u16_in(r->swap, p);
}

/* Fill n bytes at buf: 1 whole, 0 nothing at all (end of input), -1 short or error. */
static int take(hs_pcapng_in *r, void *buf, size_t n)
{
	long got = r->read(r->ud, buf, n);
	if (got == (long)n)
		return 1;
	return got == 0 ? 0 : -1;
}

/* The value of option code in a block's options (o, n bytes) and its
 * length, or NULL: the first one, up to opt_endofopt or a length that runs
 * past the block. */
static const uint8_t *option(bool swap, const uint8_t *o, size_t n, uint16_t code, uint16_t *len)
{
	for (size_t at = 0; at + 4 <= n;) {
		uint16_t c = u16_in(swap, o + at), l = u16_in(swap, o + at + 2);
		if (c == 0 || at + 4 + l > n)
			break;
		if (c == code) {
			*len = l;
			return o + at + 4;
		}
		at += 4 + (((size_t)l + 3) & ~(size_t)3);
	}
	return NULL;
}

/* if_tsresol (9) / if_tsoffset (14) of an IDB's options. */
static void idb_options(const hs_pcapng_in *r, const uint8_t *o, size_t n, iface *f)
{
	uint16_t len;
	const uint8_t *v = option(r->swap, o, n, 9, &len);
	if (v && len >= 1) {
		f->pow2 = (v[0] & 0x80) != 0;
		f->res = v[0] & 0x7f;
	}
	v = option(r->swap, o, n, 14, &len);
	if (v && len >= 8) {
		uint64_t off;
		memcpy(&off, v, 8);
		f->offset = (int64_t)(r->swap ? GUINT64_SWAP_LE_BE(off) : off);
	}
}

/* The first bytes of a file: its section header's byte order and length
 * (false when they are not whole). */
static bool peek_shb(const uint8_t *b, size_t n, bool *swap, uint32_t *len)
{
	if (n < 28)
		return false;
	*swap = u32_in(false, b + 8) != 0x1a2b3c4d;
	*len = u32_in(*swap, b + 4);
	return *len >= 28;
}

int hs_pcapng_peek_linktype(const uint8_t *b, size_t n)
{
	bool swap;
	uint32_t len;
	if (!peek_shb(b, n, &swap, &len) || len > n || n - len < 12 || u32_in(swap, b + len) != 1)
		return -1;
	return u16_in(swap, b + len + 8);
}

bool hs_pcapng_peek_pktmon(const uint8_t *b, size_t n)
{
	bool swap;
	uint32_t len;
	uint16_t olen;
	if (!peek_shb(b, n, &swap, &len))
		return false;
	if (len > n)
		len = (uint32_t)n;
	const uint8_t *v = option(swap, b + 24, len - 24, 4, &olen);
	return v && olen >= 14 && memcmp(v, "Packet Monitor", 14) == 0;
}

/* A timestamp in the interface's units as seconds and nanoseconds. */
static void ts_split(const iface *f, uint64_t ts, int64_t *sec, uint32_t *nsec)
{
	unsigned __int128 units;
	if (f->pow2)
		units = (unsigned __int128)1 << (f->res > 63 ? 63 : f->res);
	else {
		units = 1;
		for (unsigned i = 0; i < f->res && i < 19; i++)
			units *= 10;
	}
	uint64_t s = (uint64_t)(ts / units);
	unsigned __int128 frac = ts % units;
	*sec = (int64_t)s + f->offset;
	*nsec = (uint32_t)(frac * 1000000000u / units);
}

static int fail(hs_pcapng_in *r, char *err, size_t errlen, bool *truncated, bool trunc, const char *why)
{
	*truncated = trunc;
	snprintf(err, errlen, "pcapng block %" G_GUINT64_FORMAT ": %s", r->block, why);
	return -1;
}

int hs_pcapng_next(hs_pcapng_in *r, hs_pcapng_pkt *p, char *err, size_t errlen, bool *truncated)
{
	*truncated = false;
	for (;;) {
		uint8_t hdr[12];
		int t = take(r, hdr, 8);
		if (t == 0)
			return 0;
		r->block++;
		if (t < 0)
			return fail(r, err, errlen, truncated, true, "the input ends inside a block header");
		uint32_t type;
		memcpy(&type, hdr, 4);
		if (type == 0x0a0d0d0a) {
			/* Section Header Block: its byte-order magic decides this section's order */
			if (take(r, hdr + 8, 4) <= 0)
				return fail(r, err, errlen, truncated, true, "the input ends inside a section header");
			uint32_t bom;
			memcpy(&bom, hdr + 8, 4);
			if (bom == 0x1a2b3c4d)
				r->swap = false;
			else if (bom == 0x4d3c2b1a)
				r->swap = true;
			else
				return fail(r, err, errlen, truncated, false, "section header with an unknown byte-order magic");
			r->in_section = true;
			g_array_set_size(r->ifaces, 0);
		} else if (!r->in_section) {
			return fail(r, err, errlen, truncated, false, "the file does not start with a section header");
		}
		type = get32(r, hdr);
		uint32_t len = get32(r, hdr + 4);
		size_t have = type == 0x0a0d0d0a ? 12 : 8;
		if (len < have + 4 || len % 4 || len > HS_PCAPNG_MAX_BLOCK)
			return fail(r, err, errlen, truncated, false, "block length out of range (under 12, not a multiple of 4, or over 16 MiB)");
		if (r->cap < len) {
			r->cap = len;
			r->buf = g_realloc(r->buf, len);
		}
		memcpy(r->buf, hdr, have);
		if (take(r, r->buf + have, len - have) <= 0)
			return fail(r, err, errlen, truncated, true, "the input ends inside a block");
		if (get32(r, r->buf + len - 4) != len)
			return fail(r, err, errlen, truncated, false, "the block's trailing length differs from its leading one");
		const uint8_t *b = r->buf + 8;
		size_t n = len - 12; /* body */
		if (type == 1) { /* Interface Description Block */
			if (n < 8)
				return fail(r, err, errlen, truncated, false, "interface description shorter than 8 bytes");
			if (r->ifaces->len >= HS_PCAPNG_MAX_IFACES)
				return fail(r, err, errlen, truncated, false, "more than 65,536 interfaces in one section");
			iface f = { .linktype = get16(r, b), .snaplen = get32(r, b + 4), .res = 6 };
			idb_options(r, b + 8, n - 8, &f);
			g_array_append_val(r->ifaces, f);
			if (r->first_linktype < 0)
				r->first_linktype = f.linktype;
			continue;
		}
		uint32_t id, caplen, wirelen;
		uint64_t ts = 0;
		const uint8_t *data;
		if (type == 6 || type == 2) { /* Enhanced / obsolete Packet Block */
			if (n < 20)
				return fail(r, err, errlen, truncated, false, "packet block shorter than 20 bytes");
			id = type == 6 ? get32(r, b) : get16(r, b);
			ts = (uint64_t)get32(r, b + 4) << 32 | get32(r, b + 8);
			caplen = get32(r, b + 12);
			wirelen = get32(r, b + 16);
			data = b + 20;
			if (caplen > n - 20)
				return fail(r, err, errlen, truncated, false, "packet data runs past its block");
		} else if (type == 3) { /* Simple Packet Block: interface 0, no time */
			if (n < 4)
				return fail(r, err, errlen, truncated, false, "simple packet block shorter than 4 bytes");
			id = 0;
			wirelen = get32(r, b);
			caplen = wirelen < n - 4 ? wirelen : (uint32_t)(n - 4);
			data = b + 4;
		} else {
			continue; /* name resolution, statistics, custom, systemd journal ...: not packets */
		}
		if (id >= r->ifaces->len)
			return fail(r, err, errlen, truncated, false, "packet of an interface the section did not describe");
		const iface *f = &g_array_index(r->ifaces, iface, id);
		if (type == 3 && f->snaplen && caplen > f->snaplen)
			caplen = f->snaplen;
		p->linktype = f->linktype;
		p->iface = id;
		ts_split(f, ts, &p->ts_sec, &p->ts_nsec);
		p->data = data;
		p->caplen = caplen;
		p->wirelen = wirelen > caplen ? wirelen : caplen;
		return 1;
	}
}
