/* etl.c - Windows event-trace (ETL) files to packets (see etl.h).
 *
 * Layout (documented by Microsoft in evntrace.h / evntcons.h, and by the
 * open ETL readers): the file is a sequence of WMI buffers.  Each starts with
 * a 72-byte WMI_BUFFER_HEADER: BufferSize (bytes in the file) at 0,
 * SavedOffset (end of the events, uncompressed) at 4, ClientContext
 * (ProcessorNumber in its low byte) at 0x28, State at 0x2c (in the first
 * buffer its low 16 bits are the COMPRESSION_FORMAT_* of a compressed log),
 * BufferFlag at 0x34 (0x40: the rest of the buffer is compressed).  The
 * first buffer holds the system-header event 0 whose body is the
 * TRACE_LOGFILE_HEADER: pointer size, QPC frequency, start time (FILETIME),
 * and in ReservedFlags the clock (1 QPC, 2 system time, 3 CPU cycles); that
 * event's own timestamp is the clock's value at the start time.
 * Records are 8-byte aligned; byte 2 is the header type and byte 3 the
 * marker (0xc0 for an event-trace header):
 *   1/2 system, 3/4 compact, 16/17 perfinfo: size in the u16 at 4;
 *   10/20 full (EVENT_TRACE_HEADER), 11/21 instance, 18/19 EVENT_HEADER
 *   (80 bytes, then extended items when flag 0x01, then user data): size
 *   in the u16 at 0.  A WPP message (marker 0x80 without 0x40) has its size
 *   at 0 too.  0xffffffff fills the rest of a buffer. */
#include "etl.h"

#include <glib.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define WMI_BUFFER_HEADER 72
#define EVENT_HEADER_SIZE 80
#define FILETIME_UNIX_EPOCH 116444736000000000LL /* 100 ns ticks from 1601 to 1970 */
#define DEFAULT_MEM_CAP (64u << 20)

#define BUFFER_FLAG_COMPRESSED 0x40
#define COMPRESSION_FORMAT_NONE 0
#define COMPRESSION_FORMAT_LZNT1 2
#define COMPRESSION_FORMAT_XPRESS 3
#define COMPRESSION_FORMAT_XPRESS_HUFF 4
#define EVENT_TRACE_COMPRESSED_MODE 0x04000000u
#define EVENT_HEADER_FLAG_EXTENDED_INFO 0x0001

/* Microsoft-Windows-PktMon {4d4f80d9-c8bd-4d73-bb5b-19c90402c5ac} and
 * Microsoft-Windows-NDIS-PacketCapture {2ed6006e-4729-4609-b423-3ee7bcd678ef},
 * as the GUID structure lies in memory (little-endian Data1..3). */
static const uint8_t GUID_PKTMON[16] = { 0xd9, 0x80, 0x4f, 0x4d, 0xbd, 0xc8, 0x73, 0x4d,
					 0xbb, 0x5b, 0x19, 0xc9, 0x04, 0x02, 0xc5, 0xac };
static const uint8_t GUID_NDISCAP[16] = { 0x6e, 0x00, 0xd6, 0x2e, 0x29, 0x47, 0x09, 0x46,
					  0xb4, 0x23, 0x3e, 0xe7, 0xbc, 0xd6, 0x78, 0xef };

/* PktMon event 160 (packet logged) and 170 (packet dropped): PktGroupId u64,
 * PktNumber, AppearanceCount, DirTag, PacketType, ComponentId, EdgeId,
 * FilterId (u16 each), DropReason u32, DropLocation u32, OriginalPayloadSize
 * u16, LoggedPayloadSize u16, then the logged bytes. */
#define PKTMON_META 34
#define PKTMON_PACKET 160
#define PKTMON_DROP 170
#define PKTMON_TYPE_ETHERNET 1
#define PKTMON_TYPE_WIFI 2
#define PKTMON_TYPE_IP 3
#define PKTMON_DIR_RX 3 /* DirTag as `pktmon format` names it: 3 Rx, 4 Tx */
#define PKTMON_DIR_TX 4

/* NDIS-PacketCapture 1001: MiniportIfIndex u32, LowerIfIndex u32,
 * FragmentSize u32, Fragment; the keywords say where a packet starts and
 * ends and its medium (etl2pcapng's KW_* values). */
#define NDIS_PACKET_FRAGMENT 1001
#define NDIS_KW_MEDIA_WIRELESS_WAN 0x200ULL
#define NDIS_KW_MEDIA_NATIVE_802_11 0x10000ULL
#define NDIS_KW_PACKET_START 0x40000000ULL
#define NDIS_KW_PACKET_END 0x80000000ULL
#define NDIS_MAX_PACKET (256u << 10)

#define LINKTYPE_ETHERNET 1
#define LINKTYPE_RAW 101
#define LINKTYPE_IEEE802_11 105

/* Queued packets are carved from 1 MiB slabs, released about in the order
 * they were carved, so a slab is freed whole and kept for reuse: no malloc
 * per packet, and no fresh (kernel-zeroed) pages as the queue turns over. */
#define SLAB_SIZE (1u << 20)
#define RELEASED_KEEP 65536
#define SLAB_KEEP 8
typedef struct slab {
	uint32_t used;           /* bytes carved */
	uint32_t live;           /* entries not yet freed */
	struct hs_etl *owner;
	uint8_t data[];
} slab;

typedef struct pending {
	slab *from;              /* NULL: its own allocation (larger than a slab) */
	uint64_t key[2];         /* PktGroupId, PktNumber: the key of by_key (no allocation of its own) */
	int64_t ts_ns;
	uint64_t seq;            /* arrival order: ties keep the file's order */
	hs_etl_packet meta;
	uint8_t *bytes;          /* inline, or its own allocation once a longer copy replaced them */
	uint32_t room;           /* bytes the inline part holds */
	uint8_t inline_bytes[];
} pending;

struct hs_etl {
	hs_etl_read_fn rd;
	void *ud;
	const uint8_t *mem;      /* hs_etl_new_buffer: the input, and what is left of it */
	size_t mem_left;
	uint8_t *prefix;
	size_t prefix_len, prefix_at;
	bool all_copies;
	size_t mem_cap;
	char err[256];
	bool failed, eof, started;

	/* TRACE_LOGFILE_HEADER */
	uint32_t buffer_size, pointer_size, clock, cpu_mhz, log_mode;
	int64_t perf_freq, start_time, start_clock;

	uint8_t *raw, *plain;    /* the current buffer, as read and uncompressed */
	size_t raw_cap, plain_cap;

	GPtrArray *queue;        /* pending, sorted by time when released */
	slab *slab;              /* the one being carved */
	slab *spare[SLAB_KEEP];  /* empty slabs kept for reuse */
	unsigned nspare;
	size_t queue_bytes;
	guint out_at;            /* released entries [out_at, out_end) */
	guint out_end;
	GHashTable *by_key;      /* (group, number) -> pending, for folding */
	GHashTable *released;    /* keys already handed out (before the end of the input) */
	uint64_t (*released_ring)[2];
	uint64_t released_at;
	/* Each processor's events are in time order: once every processor of
	 * the log has shown a buffer, nothing later can be older than the
	 * smallest of their latest times (the watermark), so what is queued up
	 * to a second before it can go out, keeping the queue small. */
	int64_t cpu_last[256];
	uint32_t cpus_seen;
	int64_t buffer_last;     /* the latest event time in the buffer being parsed */
	int64_t released_upto;   /* a second after the latest packet handed out before the end */
	guint next_sort;         /* queue length at which the watermark is tried again (amortises the sort) */
	uint64_t seq;

	GByteArray *scratch;     /* a packet whose bytes are corrected */
	struct frag {            /* NDIS 1001: the fragments of the packet being joined, per processor */
		GByteArray *bytes;
		int64_t ts;
		int link;
	} frag[256];

	hs_etl_stats st;
};

static uint16_t le16(const uint8_t *p) { return (uint16_t)(p[0] | p[1] << 8); }
static uint32_t le32(const uint8_t *p) { return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24; }
static uint64_t le64(const uint8_t *p) { return (uint64_t)le32(p) | (uint64_t)le32(p + 4) << 32; }

bool hs_etl_detect(const uint8_t *b, size_t n)
{
	if (n < WMI_BUFFER_HEADER + 8)
		return false;
	const uint8_t *r = b + WMI_BUFFER_HEADER;
	/* SYSTEM_TRACE_HEADER: Version 2, HeaderType system32/64, marker 0xc0, HookId 0 (the log header) */
	return le16(r) == 2 && (r[2] == 1 || r[2] == 2) && r[3] == 0xc0 && le16(r + 6) == 0 &&
	       le32(b) >= WMI_BUFFER_HEADER + 8;
}

static int fail(hs_etl *e, const char *fmt, ...) G_GNUC_PRINTF(2, 3);
static int fail(hs_etl *e, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(e->err, sizeof e->err, fmt, ap);
	va_end(ap);
	e->failed = true;
	return -1;
}

/* Read exactly n bytes; returns n, fewer at the end of the input, -1 on error. */
static long take(hs_etl *e, uint8_t *buf, size_t n)
{
	size_t got = 0;
	while (got < n && e->prefix_at < e->prefix_len)
		buf[got++] = e->prefix[e->prefix_at++];
	while (got < n) {
		long r = e->rd(e->ud, buf + got, n - got);
		if (r < 0)
			return -1;
		if (r == 0)
			break;
		got += (size_t)r;
	}
	return (long)got;
}

/* ---------------------------------------------------------- MS-XCA */

long hs_xpress_decompress(const uint8_t *in, size_t in_len, uint8_t *out, size_t out_len)
{
	size_t ip = 0, op = 0, half = 0; /* half: where the unused high nibble of a length byte is, 0 none */
	uint32_t flags = 0;
	int nflags = 0;
	while (op < out_len) {
		if (nflags == 0) {
			if (in_len - ip < 4)
				break;
			flags = le32(in + ip);
			ip += 4;
			nflags = 32;
		}
		/* a run of literals (0 bits) is one copy: count the zero bits
		 * below the current one */
		uint32_t rest = nflags == 32 ? flags : flags & ((1u << nflags) - 1);
		size_t run = rest ? (size_t)(nflags - 1 - (31 - __builtin_clz(rest))) : (size_t)nflags;
		if (run) {
			size_t n = run;
			if (n > in_len - ip)
				n = in_len - ip;
			if (n > out_len - op)
				n = out_len - op;
			if (n == 0)
				break;
			memcpy(out + op, in + ip, n);
			op += n;
			ip += n;
			nflags -= (int)n;
			continue;
		}
		nflags--;
		if (in_len - ip < 2)
			break; /* the end of the stream (MS-XCA 2.4: input exhausted at a match flag) */
		uint32_t tok = le16(in + ip);
		ip += 2;
		size_t len = tok & 7, off = (tok >> 3) + 1;
		if (len == 7) {
			if (half == 0) {
				if (ip >= in_len)
					return -1;
				len = in[ip] & 15;
				half = ip++;
			} else {
				len = in[half] >> 4;
				half = 0;
			}
			if (len == 15) {
				if (ip >= in_len)
					return -1;
				len = in[ip++];
				if (len == 255) {
					if (in_len - ip < 2)
						return -1;
					len = le16(in + ip);
					ip += 2;
					if (len == 0) {
						if (in_len - ip < 4)
							return -1;
						len = le32(in + ip);
						ip += 4;
					}
					if (len < 15 + 7)
						return -1;
					len -= 15 + 7;
				}
				len += 15;
			}
			len += 7;
		}
		len += 3;
		if (off > op)
			return -1;
		if (len > out_len - op)
			len = out_len - op;
		if (off >= len) {
			memcpy(out + op, out + op - off, len);
			op += len;
		} else {
			for (size_t i = 0; i < len; i++, op++)
				out[op] = out[op - off]; /* overlapping copies repeat the pattern */
		}
	}
	return (long)op;
}

long hs_lznt1_decompress(const uint8_t *in, size_t in_len, uint8_t *out, size_t out_len)
{
	size_t ip = 0, op = 0;
	while (in_len - ip >= 2 && op < out_len) {
		uint16_t hdr = le16(in + ip);
		ip += 2;
		if (hdr == 0)
			break;
		size_t size = (size_t)(hdr & 0x0fff) + 1;
		if (size > in_len - ip)
			return -1;
		const uint8_t *c = in + ip, *end = in + ip + size;
		ip += size;
		if (!(hdr & 0x8000)) { /* stored chunk */
			size_t n = size < out_len - op ? size : out_len - op;
			memcpy(out + op, c, n);
			op += n;
			continue;
		}
		size_t chunk = op;
		while (c < end && op < out_len) {
			uint8_t fl = *c++;
			for (int b = 0; b < 8 && c < end && op < out_len; b++, fl >>= 1) {
				if (!(fl & 1)) {
					out[op++] = *c++;
					continue;
				}
				if (end - c < 2)
					return -1;
				uint16_t tok = le16(c);
				c += 2;
				/* MS-XCA 2.5.1.4: the offset takes more bits as the chunk grows */
				unsigned lenbits = 12;
				for (size_t i = op - chunk - 1; op > chunk && i >= 0x10; i >>= 1)
					lenbits--;
				size_t len = (size_t)(tok & ((1u << lenbits) - 1)) + 3, off = (size_t)(tok >> lenbits) + 1;
				if (off > op - chunk)
					return -1;
				if (len > out_len - op)
					len = out_len - op;
				for (size_t i = 0; i < len; i++, op++)
					out[op] = out[op - off];
			}
		}
	}
	return (long)op;
}

/* ---------------------------------------------------------- time */

/* The log's clock value to UTC nanoseconds (TRACE_LOGFILE_HEADER.ReservedFlags). */
static int64_t to_unix_ns(const hs_etl *e, int64_t t)
{
	__int128 ticks; /* 100 ns since 1601 */
	switch (e->clock) {
	case 2: /* system time: already a FILETIME */
		ticks = t;
		break;
	case 3: /* CPU cycle counter, CpuSpeedInMHz */
		ticks = (__int128)e->start_time + ((__int128)t - e->start_clock) * 10 / (e->cpu_mhz ? e->cpu_mhz : 1);
		break;
	default: /* QPC at PerfFreq */
		ticks = (__int128)e->start_time + ((__int128)t - e->start_clock) * 10000000 / (e->perf_freq > 0 ? e->perf_freq : 1);
		break;
	}
	__int128 ns = (ticks - FILETIME_UNIX_EPOCH) * 100;
	if (ns > INT64_MAX)
		return INT64_MAX;
	if (ns < 0)
		return 0;
	return (int64_t)ns;
}

/* ---------------------------------------------------------- ordering and folding */

static guint key_hash(gconstpointer k)
{
	const uint64_t *v = k;
	return (guint)(v[0] ^ (v[0] >> 32) ^ v[1] * 0x9e3779b97f4a7c15ULL);
}
static gboolean key_equal(gconstpointer a, gconstpointer b)
{
	const uint64_t *x = a, *y = b;
	return x[0] == y[0] && x[1] == y[1];
}

static pending *pending_new(hs_etl *e, uint32_t caplen)
{
	size_t need = (sizeof(pending) + caplen + 15) & ~(size_t)15;
	if (need > SLAB_SIZE / 4) {
		pending *q = g_malloc(need);
		q->from = NULL;
		return q;
	}
	if (!e->slab || e->slab->used + need > SLAB_SIZE) {
		slab *old = e->slab;
		e->slab = e->nspare ? e->spare[--e->nspare] : g_malloc(sizeof(slab) + SLAB_SIZE);
		e->slab->used = 0;
		e->slab->live = 1; /* the carving reference, dropped when it is full */
		e->slab->owner = e;
		if (old && --old->live == 0)
			g_free(old); /* (only when all its entries went while it was carved) */
	}
	pending *q = (pending *)(void *)(e->slab->data + e->slab->used);
	e->slab->used += (uint32_t)need;
	e->slab->live++;
	q->from = e->slab;
	return q;
}

static void pending_free(gpointer p)
{
	pending *q = p;
	if (!q)
		return;
	if (q->bytes != q->inline_bytes)
		g_free(q->bytes);
	slab *s = q->from;
	if (!s) {
		g_free(q);
		return;
	}
	if (--s->live == 0) {
		hs_etl *e = s->owner;
		if (e->nspare < SLAB_KEEP)
			e->spare[e->nspare++] = s;
		else
			g_free(s);
	}
}

/* Which of two appearances of one packet is closer to the wire: on receive
 * the first component that saw it (the miniport: native 802.11 on a Wi-Fi
 * adapter), on send the last. */
static bool closer_to_wire(const hs_etl_packet *a, const hs_etl_packet *b)
{
	if (a->direction == PKTMON_DIR_TX)
		return a->appearance > b->appearance;
	return a->appearance < b->appearance;
}

static int cmp_pending(gconstpointer a, gconstpointer b)
{
	const pending *x = *(pending *const *)a, *y = *(pending *const *)b;
	if (x->ts_ns != y->ts_ns)
		return x->ts_ns < y->ts_ns ? -1 : 1;
	return x->seq < y->seq ? -1 : x->seq > y->seq;
}

static void queue_packet(hs_etl *e, const hs_etl_packet *m, const uint8_t *bytes)
{
	if (m->pktmon && !m->drop && !e->all_copies) {
		uint64_t key[2] = { m->group, m->number };
		pending *old = g_hash_table_lookup(e->by_key, key);
		if (old) {
			e->st.folded++;
			old->meta.copies++;
			if (closer_to_wire(m, &old->meta)) {
				uint32_t copies = old->meta.copies;
				e->queue_bytes += m->caplen;
				e->queue_bytes -= old->meta.caplen;
				if (old->bytes != old->inline_bytes)
					g_free(old->bytes);
				old->bytes = m->caplen <= old->room ? old->inline_bytes : g_malloc(m->caplen);
				memcpy(old->bytes, bytes, m->caplen);
				old->meta = *m;
				old->meta.copies = copies;
				old->ts_ns = m->ts_ns;
			}
			return;
		}
		if (m->ts_ns <= e->released_upto && g_hash_table_contains(e->released, key)) {
			/* a copy of a packet already handed out (logged late, or the ordering cap was hit) */
			e->st.folded++;
			return;
		}
	}
	pending *q = pending_new(e, m->caplen);
	q->key[0] = m->group;
	q->key[1] = m->number;
	q->ts_ns = m->ts_ns;
	q->seq = e->seq++;
	q->meta = *m;
	q->meta.copies = 1;
	q->bytes = q->inline_bytes;
	q->room = m->caplen;
	memcpy(q->bytes, bytes, m->caplen);
	g_ptr_array_add(e->queue, q);
	e->queue_bytes += m->caplen + sizeof *q;
	if (m->pktmon && !m->drop && !e->all_copies)
		g_hash_table_insert(e->by_key, q->key, q);
}

enum release_mode { RELEASE_WATERMARK, RELEASE_HALF, RELEASE_ALL };

/* The log clock's watermark (see cpu_last), or INT64_MIN while a processor
 * of the log has not shown a buffer yet. */
static int64_t watermark(const hs_etl *e)
{
	if (e->st.processors == 0 || e->st.processors > 256 || e->cpus_seen < e->st.processors)
		return INT64_MIN;
	int64_t w = INT64_MAX;
	for (uint32_t i = 0; i < e->st.processors; i++)
		if (e->cpu_last[i] < w)
			w = e->cpu_last[i];
	return w;
}

/* Sort what is queued and release the earliest: up to the watermark, half
 * of it (the queue is over the memory cap), or all (the end of the input). */
static void release(hs_etl *e, enum release_mode mode)
{
	/* drop what was handed out already */
	if (e->out_at > 0) {
		g_ptr_array_remove_range(e->queue, 0, e->out_at);
		e->out_end -= e->out_at;
		e->out_at = 0;
	}
	int64_t w = 0;
	if (mode == RELEASE_WATERMARK) {
		w = watermark(e);
		if (w == INT64_MIN)
			return;
		/* the copies of one packet are logged within microseconds,
		 * possibly across two buffers: keep a second's worth */
		w = to_unix_ns(e, w) - 1000000000LL;
	}
	g_ptr_array_sort(e->queue, cmp_pending);
	guint n = e->queue->len;
	if (mode == RELEASE_HALF)
		n = n / 2 + 1 < n ? n / 2 + 1 : n;
	else if (mode == RELEASE_WATERMARK)
		for (n = 0; n < e->queue->len && ((pending *)e->queue->pdata[n])->ts_ns <= w; n++)
			;
	e->out_end = n;
	if (mode == RELEASE_ALL)
		g_hash_table_remove_all(e->by_key);
	for (guint i = 0; i < e->out_end; i++) {
		pending *q = e->queue->pdata[i];
		if (mode != RELEASE_ALL && q->meta.pktmon && !q->meta.drop && !e->all_copies) {
			g_hash_table_remove(e->by_key, q->key);
			/* the last RELEASED_KEEP keys, in a ring the table points into */
			uint64_t *k = e->released_ring[e->released_at % RELEASED_KEEP];
			if (e->released_at++ >= RELEASED_KEEP)
				g_hash_table_remove(e->released, k);
			k[0] = q->key[0];
			k[1] = q->key[1];
			g_hash_table_add(e->released, k);
			/* copies are logged within microseconds of each other */
			if (q->ts_ns + 1000000000LL > e->released_upto)
				e->released_upto = q->ts_ns + 1000000000LL;
		}
		e->queue_bytes -= q->meta.caplen + sizeof *q;
	}
}

/* ---------------------------------------------------------- events */

static void pktmon_event(hs_etl *e, uint16_t id, int64_t ts, const uint8_t *u, size_t n, uint16_t cpu)
{
	if (id != PKTMON_PACKET && id != PKTMON_DROP)
		return;
	if (n < PKTMON_META) {
		e->st.malformed++;
		return;
	}
	hs_etl_packet m;
	memset(&m, 0, sizeof m);
	m.pktmon = true;
	m.drop = id == PKTMON_DROP;
	m.group = le64(u);
	m.number = le16(u + 8);
	m.appearance = le16(u + 10);
	m.direction = le16(u + 12);
	m.type = le16(u + 14);
	m.component = le16(u + 16);
	m.edge = le16(u + 18);
	m.filter = le16(u + 20);
	m.drop_reason = le32(u + 22);
	m.drop_location = le32(u + 26);
	uint16_t orig = le16(u + 30), logged = le16(u + 32);
	if ((size_t)logged > n - PKTMON_META) {
		e->st.malformed++;
		return;
	}
	m.caplen = logged;
	m.wirelen = orig > logged ? orig : logged;
	m.linktype = m.type == PKTMON_TYPE_WIFI ? LINKTYPE_IEEE802_11 : m.type == PKTMON_TYPE_IP ? LINKTYPE_RAW : LINKTYPE_ETHERNET;
	/* pktmon also types the 802.3 frames a Wi-Fi adapter's upper edge sees
	 * as WiFi; as 802.11 their first byte would make the reserved frame
	 * type 3 (`pktmon format` prints "unknown 802.11 frame type (3)") */
	const uint8_t *b = u + PKTMON_META;
	if (m.linktype == LINKTYPE_IEEE802_11 && logged >= 14 && ((b[0] >> 2) & 3) == 3 && (b[12] << 8 | b[13]) >= 0x0600)
		m.linktype = LINKTYPE_ETHERNET;
	/* Native 802.11 data frames reach the components above the Wi-Fi
	 * miniport already decrypted, yet with the Protected flag still set:
	 * where a data frame's body starts with the LLC/SNAP header (which a
	 * CCMP/TKIP header, whose 4th byte has ExtIV 0x20, never does) the
	 * flag is cleared, so that the frame reads as what it is. */
	if (m.linktype == LINKTYPE_IEEE802_11 && logged >= 2 && (b[1] & 0x40) && ((b[0] >> 2) & 3) == 2) {
		size_t hdr = 24 + ((b[1] & 3) == 3 ? 6 : 0) + ((b[0] & 0x80) ? 2 + ((b[1] & 0x80) ? 4 : 0) : 0);
		if (logged >= hdr + 6 && b[hdr] == 0xaa && b[hdr + 1] == 0xaa && b[hdr + 2] == 0x03 && b[hdr + 3] == 0) {
			g_byte_array_set_size(e->scratch, 0);
			g_byte_array_append(e->scratch, b, logged);
			e->scratch->data[1] &= (uint8_t)~0x40;
			b = e->scratch->data;
			m.unprotected = true;
		}
	}
	m.ts_ns = to_unix_ns(e, ts);
	m.processor = cpu;
	if (m.drop)
		e->st.drops++;
	else
		e->st.packet_events++;
	queue_packet(e, &m, b);
}

static void ndis_event(hs_etl *e, uint16_t id, uint64_t kw, int64_t ts, const uint8_t *u, size_t n, uint16_t cpu)
{
	if (id != NDIS_PACKET_FRAGMENT)
		return;
	if (n < 12 || le32(u + 8) > n - 12) {
		e->st.malformed++;
		return;
	}
	uint32_t size = le32(u + 8);
	/* a packet's fragments are logged one after the other by one
	 * processor, possibly across two of its buffers */
	struct frag *f = &e->frag[cpu & 0xff];
	if (!f->bytes)
		f->bytes = g_byte_array_new();
	if (kw & NDIS_KW_PACKET_START) {
		g_byte_array_set_size(f->bytes, 0);
		f->ts = ts;
		f->link = kw & NDIS_KW_MEDIA_NATIVE_802_11 ? LINKTYPE_IEEE802_11 :
			  kw & NDIS_KW_MEDIA_WIRELESS_WAN ? LINKTYPE_RAW : LINKTYPE_ETHERNET;
	} else if (f->bytes->len == 0) {
		e->st.malformed++; /* a middle fragment without its start */
		return;
	}
	if (f->bytes->len + size > NDIS_MAX_PACKET) {
		e->st.malformed++;
		g_byte_array_set_size(f->bytes, 0);
		return;
	}
	g_byte_array_append(f->bytes, u + 12, size);
	if (!(kw & NDIS_KW_PACKET_END))
		return;
	hs_etl_packet m;
	memset(&m, 0, sizeof m);
	m.linktype = f->link;
	m.caplen = m.wirelen = f->bytes->len;
	m.ts_ns = to_unix_ns(e, f->ts);
	m.processor = cpu;
	e->st.packet_events++;
	queue_packet(e, &m, f->bytes->data);
	g_byte_array_set_size(f->bytes, 0);
}

/* One record's size from its header, 0 when it is not one (corrupt). */
static size_t record_size(const uint8_t *r, size_t left, uint8_t *type)
{
	if (left < 8)
		return 0;
	uint8_t marker = r[3];
	*type = r[2];
	size_t size;
	if ((marker & 0xc0) == 0xc0) {
		switch (r[2]) {
		case 1: case 2: case 3: case 4: case 16: case 17:
			size = le16(r + 4);
			break;
		default:
			size = le16(r);
			break;
		}
	} else if (marker & 0x80) {
		*type = 0; /* a WPP message */
		size = le16(r);
	} else {
		return 0;
	}
	return size >= 8 && size <= left ? size : 0;
}

static int parse_log_header(hs_etl *e, const uint8_t *r, size_t size, uint32_t state)
{
	/* SYSTEM_TRACE_HEADER (32 bytes), then TRACE_LOGFILE_HEADER */
	if (size < 32 + 48)
		return fail(e, "the log header is truncated");
	const uint8_t *h = r + 32;
	size_t hl = size - 32;
	e->start_clock = (int64_t)le64(r + 16);
	e->buffer_size = le32(h);
	e->st.processors = le32(h + 12);
	e->log_mode = le32(h + 32);
	e->pointer_size = le32(h + 44);
	e->cpu_mhz = le32(h + 52);
	if (e->pointer_size != 4 && e->pointer_size != 8)
		return fail(e, "the log header gives a pointer size of %u", e->pointer_size);
	/* LoggerName and LogFileName pointers, TIME_ZONE_INFORMATION (172 bytes), 8-aligned BootTime */
	size_t at = 56 + 2 * e->pointer_size + 172;
	at = (at + 7) & ~(size_t)7;
	if (hl < at + 8 * 3 + 4)
		return fail(e, "the log header is truncated");
	e->perf_freq = (int64_t)le64(h + at + 8);
	e->start_time = (int64_t)le64(h + at + 16);
	e->clock = le32(h + at + 24);
	e->st.compression = e->log_mode & EVENT_TRACE_COMPRESSED_MODE ? (state & 0xffff) : COMPRESSION_FORMAT_NONE;
	if (e->buffer_size < WMI_BUFFER_HEADER || e->buffer_size > HS_ETL_MAX_BUFFER)
		return fail(e, "the log header gives a buffer size of %u bytes (at most %u)", e->buffer_size, HS_ETL_MAX_BUFFER);
	if (e->clock == 1 && e->perf_freq <= 0)
		return fail(e, "the log header gives a QPC frequency of %lld", (long long)e->perf_freq);
	return 0;
}

static int parse_records(hs_etl *e, const uint8_t *p, size_t len, uint16_t cpu, bool first, uint32_t state)
{
	size_t at = 0;
	while (len - at >= 8) {
		if (le32(p + at) == 0xffffffffu)
			break;
		uint8_t type;
		size_t size = record_size(p + at, len - at, &type);
		if (!size)
			return fail(e, "buffer %llu: corrupt record at offset %zu", (unsigned long long)e->st.buffers,
				    at + WMI_BUFFER_HEADER);
		const uint8_t *r = p + at;
		e->st.records++;
		if (first && at == 0) {
			if (parse_log_header(e, r, size, state) < 0)
				return -1;
		} else if ((type == 18 || type == 19) && size >= EVENT_HEADER_SIZE) {
			e->st.events++;
			uint16_t flags = le16(r + 4), id = le16(r + 40);
			int64_t ts = (int64_t)le64(r + 16);
			uint64_t kw = le64(r + 48);
			if (ts > e->buffer_last)
				e->buffer_last = ts;
			size_t u = EVENT_HEADER_SIZE;
			if (flags & EVENT_HEADER_FLAG_EXTENDED_INFO) {
				/* extended items: {Reserved1, ExtType, Linkage, DataSize} then the data, 8-aligned */
				for (;;) {
					if (size - u < 8)
						return fail(e, "buffer %llu: corrupt extended data", (unsigned long long)e->st.buffers);
					uint16_t ds = le16(r + u + 6), link = le16(r + u + 4);
					size_t step = (8 + (size_t)ds + 7) & ~(size_t)7;
					if (step > size - u)
						return fail(e, "buffer %llu: corrupt extended data", (unsigned long long)e->st.buffers);
					u += step;
					if (!(link & 1))
						break;
				}
			}
			if (memcmp(r + 24, GUID_PKTMON, 16) == 0) {
				e->st.network_events++;
				pktmon_event(e, id, ts, r + u, size - u, cpu);
			} else if (memcmp(r + 24, GUID_NDISCAP, 16) == 0) {
				e->st.network_events++;
				ndis_event(e, id, kw, ts, r + u, size - u, cpu);
			}
		} else if (type != 0) {
			e->st.events++;
		}
		at += (size + 7) & ~(size_t)7;
		if (at > len)
			break;
	}
	return 0;
}

/* Read, uncompress and parse the next buffer; 1, 0 at the end, -1 error. */
static int next_buffer(hs_etl *e)
{
	uint8_t hdr[WMI_BUFFER_HEADER], *h = hdr;
	long n = take(e, h, WMI_BUFFER_HEADER);
	if (n < 0)
		return fail(e, "read error");
	if (n == 0)
		return 0;
	if (n < WMI_BUFFER_HEADER)
		return fail(e, "truncated file: buffer %llu has %ld of its 72 header bytes", (unsigned long long)e->st.buffers, n);
	uint32_t size = le32(h), saved = le32(h + 4), state = le32(h + 0x2c);
	uint16_t flag = le16(h + 0x34), cpu = h[0x28];
	bool first = !e->started;
	uint32_t cap = first ? HS_ETL_MAX_BUFFER : e->buffer_size;
	if (size < WMI_BUFFER_HEADER || size > cap || saved > (first ? size : e->buffer_size) ||
	    saved < WMI_BUFFER_HEADER || (!(flag & BUFFER_FLAG_COMPRESSED) && saved > size))
		return fail(e, "corrupt buffer %llu (size %u, events up to %u, buffer size %u)",
			    (unsigned long long)e->st.buffers, size, saved, cap);
	if (size > e->raw_cap) {
		uint8_t *raw = g_try_realloc(e->raw, size);
		if (!raw)
			return fail(e, "out of memory for a %u-byte buffer", size);
		e->raw = raw;
		e->raw_cap = size;
	}
	memcpy(e->raw, hdr, WMI_BUFFER_HEADER);
	h = e->raw;
	n = take(e, h + WMI_BUFFER_HEADER, size - WMI_BUFFER_HEADER);
	if (n < 0)
		return fail(e, "read error");
	if ((size_t)n < size - WMI_BUFFER_HEADER)
		return fail(e, "truncated file: buffer %llu has %ld of its %u bytes", (unsigned long long)e->st.buffers,
			    n + WMI_BUFFER_HEADER, size);
	const uint8_t *payload = h + WMI_BUFFER_HEADER;
	size_t plen = saved - WMI_BUFFER_HEADER;
	if (flag & BUFFER_FLAG_COMPRESSED) {
		if (first)
			return fail(e, "the header buffer is compressed");
		long r;
		if (plen > e->plain_cap) {
			uint8_t *plain = g_try_realloc(e->plain, plen);
			if (!plain)
				return fail(e, "out of memory for a %zu-byte buffer", plen);
			e->plain = plain;
			e->plain_cap = plen;
		}
		switch (e->st.compression) {
		case COMPRESSION_FORMAT_XPRESS:
			r = hs_xpress_decompress(payload, size - WMI_BUFFER_HEADER, e->plain, plen);
			break;
		case COMPRESSION_FORMAT_LZNT1:
			r = hs_lznt1_decompress(payload, size - WMI_BUFFER_HEADER, e->plain, plen);
			break;
		case COMPRESSION_FORMAT_XPRESS_HUFF:
			return fail(e, "buffers compressed with XPRESS Huffman (COMPRESSION_FORMAT_XPRESS_HUFF) are not supported");
		default:
			return fail(e, "unknown compression format %u", e->st.compression);
		}
		if (r != (long)plen)
			return fail(e, "buffer %llu does not decompress (%ld of %zu bytes)", (unsigned long long)e->st.buffers,
				    r, plen);
		payload = e->plain;
		e->st.compressed_buffers++;
	}
	e->st.buffers++;
	if (first) {
		e->started = true;
		if (parse_records(e, payload, plen, cpu, true, state) < 0)
			return -1;
		if (!e->buffer_size)
			return fail(e, "no log header");
		/* buffers from here on are at most the log's buffer size; grown as they come */
		return 1;
	}
	e->buffer_last = INT64_MIN;
	if (parse_records(e, payload, plen, cpu, false, state) < 0)
		return -1;
	if (e->buffer_last != INT64_MIN) {
		if (e->cpu_last[cpu] == INT64_MIN)
			e->cpus_seen++;
		if (e->buffer_last > e->cpu_last[cpu])
			e->cpu_last[cpu] = e->buffer_last;
	}
	return 1;
}

hs_etl *hs_etl_new(hs_etl_read_fn rd, void *ud, const uint8_t *prefix, size_t prefix_len, bool all_copies,
		   size_t mem_cap)
{
	hs_etl *e = g_try_new0(hs_etl, 1);
	if (!e)
		return NULL;
	e->rd = rd;
	e->ud = ud;
	e->prefix = g_memdup2(prefix, prefix_len ? prefix_len : 1);
	e->prefix_len = prefix_len;
	e->all_copies = all_copies;
	e->mem_cap = mem_cap ? mem_cap : DEFAULT_MEM_CAP;
	e->queue = g_ptr_array_new_with_free_func(pending_free);
	e->by_key = g_hash_table_new(key_hash, key_equal);
	e->released_upto = INT64_MIN;
	for (unsigned i = 0; i < G_N_ELEMENTS(e->cpu_last); i++)
		e->cpu_last[i] = INT64_MIN;
	e->released = g_hash_table_new(key_hash, key_equal);
	e->released_ring = g_malloc(sizeof(uint64_t[2]) * RELEASED_KEEP);
	e->scratch = g_byte_array_new();
	return e;
}

static long mem_read(void *ud, void *buf, size_t n)
{
	hs_etl *e = ud;
	if (n > e->mem_left)
		n = e->mem_left;
	memcpy(buf, e->mem, n);
	e->mem += n;
	e->mem_left -= n;
	return (long)n;
}

hs_etl *hs_etl_new_buffer(const uint8_t *data, size_t len, bool all_copies, size_t mem_cap)
{
	hs_etl *e = hs_etl_new(mem_read, NULL, NULL, 0, all_copies, mem_cap);
	if (e) {
		e->ud = e;
		e->mem = data;
		e->mem_left = len;
	}
	return e;
}

int hs_etl_next(hs_etl *e, hs_etl_packet *p)
{
	if (e->failed)
		return -1;
	while (e->out_at >= e->out_end) {
		if (e->eof)
			return 0;
		int r = next_buffer(e);
		if (r < 0)
			return -1;
		if (r == 0) {
			if (!e->started)
				return fail(e, "empty file");
			e->eof = true;
			if (e->st.packet_events == 0 && e->st.drops == 0) {
				if (e->st.network_events == 0)
					return fail(e, "not a network trace: no event of Microsoft-Windows-PktMon or "
						       "Microsoft-Windows-NDIS-PacketCapture");
				return fail(e, "this trace holds no packets: was `capture=yes` (netsh trace) or "
					       "`--capture` (pktmon start) given?");
			}
			release(e, RELEASE_ALL);
		} else if (e->queue_bytes > e->mem_cap) {
			release(e, RELEASE_HALF);
		} else if (e->queue->len >= e->next_sort) {
			release(e, RELEASE_WATERMARK);
			guint left = e->queue->len - e->out_end;
			e->next_sort = 2 * left > 4096 ? 2 * left : 4096;
		}
	}
	pending *q = e->queue->pdata[e->out_at++];
	*p = q->meta;
	p->data = q->bytes;
	return 1;
}

const char *hs_etl_error(const hs_etl *e)
{
	return e->err;
}

const hs_etl_stats *hs_etl_stats_get(const hs_etl *e)
{
	return &e->st;
}

void hs_etl_free(hs_etl *e)
{
	if (!e)
		return;
	g_free(e->prefix);
	g_free(e->raw);
	g_free(e->plain);
	g_ptr_array_free(e->queue, TRUE);
	if (e->slab && --e->slab->live == 0)
		g_free(e->slab);
	for (unsigned i = 0; i < e->nspare; i++)
		g_free(e->spare[i]);
	g_hash_table_destroy(e->by_key);
	g_hash_table_destroy(e->released);
	g_free(e->released_ring);
	for (unsigned i = 0; i < G_N_ELEMENTS(e->frag); i++)
		if (e->frag[i].bytes)
			g_byte_array_free(e->frag[i].bytes, TRUE);
	g_byte_array_free(e->scratch, TRUE);
	g_free(e);
}
