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
#define PREFETCH_AHEAD 2048 /* bytes of a mapped file's events fetched ahead of the parser */

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
 * FragmentSize u32, Fragment; 1003 the same from the Hyper-V switch, with
 * port and NIC names before FragmentSize (ndis_fragment_at); the keywords
 * say where a packet starts and ends and its medium (etl2pcapng's KW_*
 * values). */
#define NDIS_PACKET_FRAGMENT 1001
#define NDIS_VMSWITCH_FRAGMENT 1003
#define NDIS_KW_MEDIA_WIRELESS_WAN 0x200ULL
#define NDIS_KW_MEDIA_NATIVE_802_11 0x10000ULL
#define NDIS_KW_PACKET_START 0x40000000ULL
#define NDIS_KW_PACKET_END 0x80000000ULL
#define NDIS_KW_SEND 0x100000000ULL
#define NDIS_KW_RECEIVE 0x200000000ULL
#define NDIS_MAX_PACKET (256u << 10)

#define LINKTYPE_ETHERNET 1
#define LINKTYPE_RAW 101
#define LINKTYPE_IEEE802_11 105

/* Packets are not copied: each is a slice of its buffer's uncompressed
 * events, which lives (refs) while a packet of it is queued for ordering
 * or handed out.  Buffers and queue entries done with are kept for the
 * next ones: no malloc per packet, and no fresh (kernel-zeroed) pages as
 * the queue turns over. */
#define EBUF_KEEP 8
#define RELEASED_KEEP 65536
typedef struct ebuf {
	uint32_t refs;
	uint32_t cap;
	bool in_place;           /* an uncompressed buffer of an input in memory: its events are read where they
				  * are (read-only), data[] is empty; cap still counts them against mem_cap */
	uint64_t at;             /* in place: its offset in the input */
	struct ebuf *prev, *next;/* in place: the live ones, in input order (hs_etl_needed_from) */
	uint8_t data[];
} ebuf;

typedef struct pending {
	struct echunk *chunk;    /* carved from */
	ebuf *buf;               /* holds meta.data; NULL: own holds it (joined NDIS fragments), or dead */
	uint8_t *own;
	uint64_t key[2];         /* the key of by_key (no allocation of its own): PktGroupId, PktNumber;
				  * NDIS: a hash of the bytes, the length and link type with bit 63 set */
	uint64_t where_seen;     /* NDIS: the interfaces and switch ports its copies were logged at (a 64-bit Bloom filter) */
	int64_t ts_ns;
	uint64_t seq;            /* arrival order: ties keep the file's order */
	hs_etl_packet meta;
	bool dead;               /* a closer copy replaced it (queued on the closer copy's processor) */
	bool in_table;           /* by_key holds it (NDIS: a later frame of equal bytes may have taken its key) */
	bool lazy;               /* NDIS, queued while no copy was possible (ndis_lazy): keyed, not in the table */
} pending;

/* Entries are carved in turn from chunks (the next one is next to the
 * last in memory) and released about in that order, so a chunk is freed
 * whole, and kept for reuse. */
#define CHUNK_ENTRIES 1024
#define CHUNK_KEEP 4
typedef struct echunk {
	uint32_t used, live;     /* live: entries not yet freed, +1 while it is carved */
	pending e[CHUNK_ENTRIES];
} echunk;

/* One processor's queued packets: its events come in time order, so each
 * queue is sorted as it is appended to (sorted again only when a stream is
 * not), and releasing is a merge of the queues' heads, not a sort. */
typedef struct cpuq {
	GPtrArray *q;
	guint head;              /* entries before it were released */
	bool unsorted, active;
} cpuq;

struct hs_etl {
	hs_etl_read_fn rd;
	void *ud;
	const uint8_t *mem;      /* hs_etl_new_buffer: the input, and what is left of it */
	size_t mem_left;
	uint64_t consumed;       /* bytes of the input taken so far */
	uint8_t *prefix;
	size_t prefix_len, prefix_at;
	bool all_copies;
	size_t mem_cap;
	char err[256];
	bool failed, eof, started;

	/* TRACE_LOGFILE_HEADER */
	uint32_t buffer_size, pointer_size, clock, cpu_mhz, log_mode;
	int64_t perf_freq, start_time, start_clock;

	uint16_t *huff_table;    /* XPRESS Huffman's decoding table (HS_XPRESS_HUFF_TABLE entries) */
	uint8_t *raw;            /* the current buffer as read, when compressed */
	size_t raw_cap;

	cpuq cq[256];            /* queued packets, per processor */
	uint8_t active[256];     /* the processors whose queue is not empty */
	unsigned nactive;
	guint queued;            /* live entries in the queues */
	GPtrArray *out;          /* released, in time order: [out_at, len) still to hand out */
	guint out_at;
	pending *current;        /* the one handed out last (its bytes are the caller's until the next call) */
	echunk *carving, *spare_chunks[CHUNK_KEEP];
	unsigned nspare_chunks;
	ebuf *spare[EBUF_KEEP];  /* buffers no packet refers to, for reuse */
	unsigned nspare;
	size_t queue_bytes;      /* buffers held by packets, and the entries */
	GHashTable *by_key;      /* (group, number) -> pending, for folding pktmon's copies */
	struct ndis_slot {       /* NDIS keys -> pending, for folding: open addressing, linear probing */
		uint64_t k0;
		pending *p;      /* NULL: empty */
	} *ndis_tab;
	size_t ndis_mask, ndis_used; /* slots - 1 (0: none yet), slots in use */
	/* While every NDIS packet so far was logged at one interface (a
	 * netsh trace of a host without Hyper-V: one 1001 event a packet), no
	 * copy can exist, so packets are queued with their key (hashed while
	 * their bytes are in the cache) but not put in the table, whose probes
	 * miss the cache.  The first packet logged elsewhere (another
	 * interface, a switch port) ends that: the queued ones go into the
	 * table then, as if they had been there all along (ndis_wake). */
	bool ndis_lazy, ndis_where_set;
	uint64_t ndis_where;
	/* what the table needs from the packets handed out meanwhile: the key
	 * and arrival rank of those that arrived after a packet of the same
	 * key still queued (which they would have taken the key from) */
	GArray *ndis_gone;
	uint8_t *ndis_count;     /* NDIS_COUNT counters: lazy packets queued per key[0] % NDIS_COUNT (255: many) */
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
	/* A copy can come after its packet was handed out only when the
	 * ordering cap released early, or a processor's events were not in
	 * time order; only then are released keys remembered (two hash
	 * operations a packet saved otherwise). */
	bool disorder;
	/* the latest pktmon packet queued per processor, while no release
	 * has run since (its copies follow it: no look-up for them) */
	pending *last_pktmon[256];
	uint32_t last_gen[256], release_gen;
	guint next_release;      /* queued count at which the watermark is tried again */
	uint64_t seq;
	ebuf *parsing;           /* the buffer whose events are being parsed */
	ebuf *inplace_first, *inplace_last; /* the live in-place buffers, in input order */
	GByteArray *scratch;     /* an 802.11 frame of an in-place buffer whose Protected flag is cleared */

	struct frag {            /* NDIS 1001: the fragments of the packet being joined, per processor */
		GByteArray *bytes;
		int64_t ts;
		int link;
		uint64_t where;
		uint16_t direction;
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
	e->consumed += got;
	return (long)got;
}

/* The next n bytes of an input in memory, in place (compressed buffers are
 * inflated from there, not copied first); *got says how many there are
 * (fewer only at the end).  NULL when the input is read through rd. */
static const uint8_t *take_in_place(hs_etl *e, size_t n, size_t *got)
{
	if (!e->mem || e->prefix_at < e->prefix_len)
		return NULL;
	const uint8_t *p = e->mem;
	*got = n < e->mem_left ? n : e->mem_left;
	e->mem += *got;
	e->mem_left -= *got;
	e->consumed += *got;
	return p;
}

/* ---------------------------------------------------------- MS-XCA */

/* Copy a match of len bytes from off bytes back.  Where the output has 16
 * bytes to spare past the match and the source is 8 or more bytes back,
 * whole 16- or 8-byte moves (the last one runs past the match, into bytes
 * written later anyway): each move reads only bytes already written. */
static inline void match_copy(uint8_t *d, size_t off, size_t len, size_t room)
{
	if (room >= len + 16) {
		if (off >= 16) {
			memcpy(d, d - off, 16);
			for (size_t i = 16; i < len; i += 16)
				memcpy(d + i, d + i - off, 16);
			return;
		}
		if (off >= 8) {
			for (size_t i = 0; i < len; i += 8)
				memcpy(d + i, d + i - off, 8);
			return;
		}
	}
	if (off == 1)
		memset(d, d[-1], len); /* a run of one byte */
	else if (off >= len)
		memcpy(d, d - off, len);
	else
		for (size_t i = 0; i < len; i++)
			d[i] = d[i - off]; /* overlapping copies repeat the pattern */
}

/* A match's length past the 3 bits of its token (MS-XCA 2.4): a nibble
 * (two matches share a byte, half remembers where), then a byte, a u16, a
 * u32; 0 when the input ends inside it or it is malformed. */
static inline size_t xpress_len(const uint8_t **ipp, const uint8_t *iend, const uint8_t **half)
{
	const uint8_t *ip = *ipp;
	size_t len;
	if (!*half) {
		if (ip >= iend)
			return 0;
		len = *ip & 15;
		*half = ip++;
	} else {
		len = **half >> 4;
		*half = NULL;
	}
	if (len == 15) {
		if (ip >= iend)
			return 0;
		len = *ip++;
		if (len == 255) {
			if (iend - ip < 2)
				return 0;
			len = le16(ip);
			ip += 2;
			if (len == 0) {
				if (iend - ip < 4)
					return 0;
				len = le32(ip);
				ip += 4;
			}
			if (len < 15 + 7)
				return 0;
			len -= 15 + 7;
		}
		len += 15;
	}
	*ipp = ip;
	return len + 7;
}

/* One match, its 2-byte token at *ipp (there): copied to *opp, cut at the
 * end of the output; false when malformed (its length cut short, or an
 * offset before the start of the output). */
static inline bool xpress_match(const uint8_t **ipp, const uint8_t *iend, const uint8_t **half, uint8_t *out,
				uint8_t **opp, uint8_t *oend)
{
	uint32_t tok = le16(*ipp);
	*ipp += 2;
	size_t len = tok & 7, off = (tok >> 3) + 1;
	if (len == 7 && !(len = xpress_len(ipp, iend, half)))
		return false;
	len += 3;
	uint8_t *op = *opp;
	if (off > (size_t)(op - out))
		return false;
	size_t room = (size_t)(oend - op);
	if (len > room)
		len = room;
	match_copy(op, off, len, room);
	*opp = op + len;
	return true;
}

/* The flags are kept with the current item in the top bit: a run of
 * literals (0 bits) is the count of leading zeros, copied in one move. */
long hs_xpress_decompress(const uint8_t *in, size_t in_len, uint8_t *out, size_t out_len)
{
	const uint8_t *ip = in, *const iend = in + in_len, *half = NULL; /* half: the unused high nibble of a length byte */
	uint8_t *op = out, *const oend = out + out_len;
	uint32_t flags = 0;
	int nflags = 0;
	/* Far from both ends (64 bytes: a flags word, a run of at most 32
	 * literals, a token with its longest length; the output likewise) no
	 * item needs a bounds check but a match's length and offset; every
	 * item is a literal run, maybe empty, copied as 32 bytes (the excess
	 * rewritten later), then a match: no branch on the kind of item. */
	while (iend - ip >= 64 && oend - op >= 64) {
		if (nflags == 0) {
			flags = le32(ip);
			ip += 4;
			nflags = 32;
		}
		int run = flags ? __builtin_clz(flags) : 32;
		if (run > nflags)
			run = nflags;
		memcpy(op, ip, 32);
		op += run;
		ip += run;
		nflags -= run;
		if (nflags == 0)
			continue;
		flags <<= run; /* run < 32 here */
		flags <<= 1;
		nflags--;
		if (!xpress_match(&ip, iend, &half, out, &op, oend))
			return -1;
	}
	/* near an end: the same, one item at a time, every read checked */
	while (op < oend) {
		if (nflags == 0) {
			if (iend - ip < 4)
				break;
			flags = le32(ip);
			ip += 4;
			nflags = 32;
		}
		if (!(flags & 0x80000000u)) { /* a literal */
			if (ip >= iend)
				break;
			*op++ = *ip++;
			flags <<= 1;
			nflags--;
			continue;
		}
		flags <<= 1;
		nflags--;
		if (iend - ip < 2)
			break; /* the end of the stream (MS-XCA 2.4: input exhausted at a match flag) */
		if (!xpress_match(&ip, iend, &half, out, &op, oend))
			return -1;
	}
	return (long)(op - out);
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

/* MS-XCA 2.1/2.2 LZ77+Huffman.  The stream is a run of blocks, each
 * decoding to 65536 bytes (the last to what is left; a match may run past
 * a block's end, which then ends there): a 256-byte table of the code
 * lengths of the 512 symbols (4 bits each, the even symbol in the low
 * nibble), then a bit stream read from 16-bit little-endian words, most
 * significant bit first, with the decoder always 16-31 bits ahead; the
 * next block's table starts after the words already read.  Symbols 0-255
 * are literals; 256-511 a match: the low 4 bits its length - 3 (15: a byte
 * follows in the byte stream, 255: a u16, 0: a u32), the high 4 bits how
 * many bits of distance follow (the distance is 1 << n plus those bits).
 * Matches may reach into earlier blocks, never before the output's start. */

/* The canonical code's lookup table (MS-XCA 2.2.4): for each 15-bit
 * window, its symbol (low 9 bits) and code length (high bits); false when
 * the lengths do not make a complete code. */
static bool huff_table(const uint8_t *lens, uint16_t *table)
{
	uint32_t at = 0;
	for (unsigned len = 1; len <= HS_XPRESS_HUFF_BITS; len++)
		for (unsigned sym = 0; sym < 512; sym++) {
			if (((lens[sym / 2] >> (sym & 1 ? 4 : 0)) & 15) != len)
				continue;
			uint32_t n = 1u << (HS_XPRESS_HUFF_BITS - len);
			if (at + n > 1u << HS_XPRESS_HUFF_BITS)
				return false;
			for (uint32_t i = 0; i < n; i++)
				table[at + i] = (uint16_t)(sym | len << 9);
			at += n;
		}
	return at == 1u << HS_XPRESS_HUFF_BITS;
}

/* The bit stream of a block: bits (most significant first) hold 16 + extra
 * bits, refilled by a 16-bit word whenever fewer than 16 are left. */
typedef struct huff_bits {
	const uint8_t *in;
	size_t len, at;
	uint32_t bits;
	int extra;
} huff_bits;

static bool huff_consume(huff_bits *b, unsigned n)
{
	b->bits <<= n;
	b->extra -= (int)n;
	if (b->extra >= 0)
		return true;
	if (b->len - b->at < 2)
		return false; /* the compressor writes 16 bits past the last symbol: this stream was cut */
	b->bits |= (uint32_t)le16(b->in + b->at) << -b->extra;
	b->at += 2;
	b->extra += 16;
	return true;
}

/* A match's length past the 4 bits of its symbol: a byte, then a u16, then
 * a u32 (MS-XCA 2.2.4), in the byte stream between the bit words. */
static bool huff_length(huff_bits *b, size_t *len)
{
	if (*len < 15)
		return true;
	if (b->at >= b->len)
		return false;
	*len = b->in[b->at++];
	if (*len == 255) {
		if (b->len - b->at < 2)
			return false;
		*len = le16(b->in + b->at);
		b->at += 2;
		if (*len == 0) {
			if (b->len - b->at < 4)
				return false;
			*len = le32(b->in + b->at);
			b->at += 4;
		}
		if (*len < 15)
			return false;
		*len -= 15;
	}
	*len += 15;
	return true;
}

long hs_xpress_huff_decompress(const uint8_t *in, size_t in_len, uint8_t *out, size_t out_len, uint16_t *table)
{
	huff_bits b = { .in = in, .len = in_len };
	size_t op = 0;
	while (op < out_len) {
		if (in_len - b.at < 256 + 4 || !huff_table(in + b.at, table))
			return -1;
		b.at += 256;
		b.bits = (uint32_t)le16(in + b.at) << 16 | le16(in + b.at + 2);
		b.at += 4;
		b.extra = 16;
		size_t block_end = out_len - op > 65536 ? op + 65536 : out_len;
		while (op < block_end) {
			uint16_t t = table[b.bits >> (32 - HS_XPRESS_HUFF_BITS)];
			unsigned sym = t & 511;
			if (!huff_consume(&b, t >> 9))
				return -1;
			if (sym < 256) {
				out[op++] = (uint8_t)sym;
				continue;
			}
			size_t len = (sym - 256) & 15;
			unsigned dbits = (sym - 256) >> 4;
			if (!huff_length(&b, &len))
				return -1;
			len += 3;
			size_t off = ((size_t)1 << dbits) | (dbits ? b.bits >> (32 - dbits) : 0);
			if (!huff_consume(&b, dbits) || off > op)
				return -1;
			if (len > out_len - op)
				len = out_len - op;
			for (size_t i = 0; i < len; i++, op++)
				out[op] = out[op - off]; /* overlapping copies repeat the pattern */
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
	default: /* QPC at PerfFreq: 10 MHz on Windows 10 and later, which needs no (128-bit) division */
		if (e->perf_freq == 10000000)
			ticks = (__int128)e->start_time + ((__int128)t - e->start_clock);
		else
			ticks = (__int128)e->start_time + ((__int128)t - e->start_clock) * 10000000 /
							  (e->perf_freq > 0 ? e->perf_freq : 1);
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

static ebuf *ebuf_get(hs_etl *e, uint32_t size, bool in_place)
{
	if (in_place) { /* a header only: not kept for reuse (a spare's data would be wasted on it) */
		ebuf *b = g_try_new0(ebuf, 1);
		if (b) {
			b->refs = 1;
			b->cap = size;
			b->in_place = true;
			b->at = e->consumed - size;
			b->prev = e->inplace_last;
			if (b->prev)
				b->prev->next = b;
			else
				e->inplace_first = b;
			e->inplace_last = b;
			e->queue_bytes += size;
		}
		return b;
	}
	while (e->nspare) {
		ebuf *b = e->spare[--e->nspare];
		if (b->cap >= size) {
			b->refs = 1;
			e->queue_bytes += b->cap;
			return b;
		}
		g_free(b);
	}
	ebuf *b = g_try_malloc(sizeof(ebuf) + size);
	if (b) {
		b->refs = 1;
		b->cap = size;
		b->in_place = false;
		e->queue_bytes += size;
	}
	return b;
}

static void ebuf_unref(hs_etl *e, ebuf *b)
{
	if (!b || --b->refs)
		return;
	e->queue_bytes -= b->cap;
	if (b->in_place) {
		if (b->prev)
			b->prev->next = b->next;
		else
			e->inplace_first = b->next;
		if (b->next)
			b->next->prev = b->prev;
		else
			e->inplace_last = b->prev;
		g_free(b);
		return;
	}
	if (e->nspare < EBUF_KEEP)
		e->spare[e->nspare++] = b;
	else
		g_free(b);
}

static void chunk_unref(hs_etl *e, echunk *c)
{
	if (--c->live)
		return;
	if (e->nspare_chunks < CHUNK_KEEP)
		e->spare_chunks[e->nspare_chunks++] = c;
	else
		g_free(c);
}

static pending *pending_new(hs_etl *e)
{
	if (!e->carving || e->carving->used == CHUNK_ENTRIES) {
		if (e->carving)
			chunk_unref(e, e->carving);
		e->carving = e->nspare_chunks ? e->spare_chunks[--e->nspare_chunks] : g_new(echunk, 1);
		e->carving->used = 0;
		e->carving->live = 1;
	}
	pending *q = &e->carving->e[e->carving->used++];
	q->chunk = e->carving;
	q->chunk->live++;
	e->queue_bytes += sizeof *q;
	return q;
}

/* Let go of the bytes an entry holds. */
static void pending_drop_bytes(hs_etl *e, pending *q)
{
	ebuf_unref(e, q->buf);
	q->buf = NULL;
	if (q->own) {
		e->queue_bytes -= q->meta.caplen;
		g_free(q->own);
		q->own = NULL;
	}
}

static void pending_free(hs_etl *e, pending *q)
{
	if (!q)
		return;
	pending_drop_bytes(e, q);
	e->queue_bytes -= sizeof *q;
	chunk_unref(e, q->chunk);
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

static bool before(const pending *x, const pending *y)
{
	return x->ts_ns != y->ts_ns ? x->ts_ns < y->ts_ns : x->seq < y->seq;
}

static int cmp_pending(gconstpointer a, gconstpointer b)
{
	const pending *x = *(pending *const *)a, *y = *(pending *const *)b;
	return before(x, y) ? -1 : before(y, x);
}

static void enqueue(hs_etl *e, pending *q, uint16_t cpu)
{
	cpuq *c = &e->cq[cpu & 0xff];
	if (!c->q)
		c->q = g_ptr_array_new();
	if (c->head > 4096 && c->head > c->q->len / 2) {
		g_ptr_array_remove_range(c->q, 0, c->head);
		c->head = 0;
	}
	if (!c->active) {
		c->active = true;
		e->active[e->nactive++] = (uint8_t)(cpu & 0xff);
	} else if (!c->unsorted && c->q->len > c->head && before(q, c->q->pdata[c->q->len - 1])) {
		c->unsorted = true;
		e->disorder = true;
	}
	g_ptr_array_add(c->q, q);
	e->queued++;
}

/* The bytes of a packet event, held: a slice of the buffer being parsed,
 * or (own) a copy of joined fragments. */
static void hold_bytes(hs_etl *e, pending *q, const uint8_t *bytes, uint32_t len, bool own)
{
	if (own) {
		q->buf = NULL;
		q->own = g_memdup2(bytes, len ? len : 1);
		q->meta.data = q->own;
		e->queue_bytes += len;
	} else {
		q->own = NULL;
		q->buf = e->parsing;
		q->buf->refs++;
		q->meta.data = bytes;
	}
}

/* NDIS-PacketCapture events carry no packet id: netsh logs one packet once
 * per interface its filter is bound to and once per Hyper-V switch port
 * (1003) it crosses, the same bytes each time, microseconds apart.  A copy
 * is an event with the same bytes within NDIS_COPY_WINDOW_NS logged at an
 * interface or port where none of the packet's copies was logged yet: the
 * same bytes twice at one place are two frames (a retransmission). */
#define NDIS_COPY_WINDOW_NS 10000000LL
#define NDIS_KEY_MARK (1ULL << 63)
#define NDIS_GONE_MAX 65536 /* keys kept for ndis_wake (24 bytes each) */
#define NDIS_COUNT 65536

uint64_t hs_frame_hash(const uint8_t *d, size_t n, uint64_t seed)
{
	uint64_t h = 0x9e3779b97f4a7c15ULL ^ seed;
	size_t i = 0;
	for (; i + 8 <= n; i += 8) {
		uint64_t w;
		memcpy(&w, d + i, 8);
		h = (h ^ w) * 0xff51afd7ed558ccdULL;
		h ^= h >> 29;
	}
	for (; i < n; i++)
		h = (h ^ d[i]) * 0x100000001b3ULL;
	return h;
}

/* hs_frame_hash's rounds in four independent lanes, 32 bytes a step: the
 * multiplications of one lane wait for each other, four lanes do not
 * (every NDIS packet is hashed; one lane was a tenth of reading them). */
static uint64_t ndis_hash(const uint8_t *d, size_t n, uint64_t seed)
{
	uint64_t h[4] = { 0x9e3779b97f4a7c15ULL ^ seed, 0xc2b2ae3d27d4eb4fULL ^ seed, 0x165667b19e3779f9ULL ^ seed,
			  0x27d4eb2f165667c5ULL ^ seed };
	size_t i = 0;
	for (; i + 32 <= n; i += 32)
		for (unsigned l = 0; l < 4; l++) {
			uint64_t w;
			memcpy(&w, d + i + 8 * l, 8);
			h[l] = (h[l] ^ w) * 0xff51afd7ed558ccdULL;
			h[l] ^= h[l] >> 29;
		}
	uint64_t x = h[0] ^ (h[1] * 0x9e3779b97f4a7c15ULL) ^ (h[2] * 0xc2b2ae3d27d4eb4fULL) ^ (h[3] * 0x165667b19e3779f9ULL);
	return hs_frame_hash(d + i, n - i, x);
}

static void ndis_key(const hs_etl_packet *m, const uint8_t *bytes, uint64_t key[2])
{
	/* the first 128 bytes tell frames apart (addresses, IP id, ports,
	 * sequence numbers, checksums); equal keys are compared whole */
	key[0] = ndis_hash(bytes, m->caplen < 128 ? m->caplen : 128, m->caplen);
	key[1] = NDIS_KEY_MARK | (uint64_t)(uint32_t)m->linktype << 32 | m->caplen;
}

/* The NDIS fold table: a key's first half (a hash already) picks the
 * slot, so a look-up is one probe into an array of 16-byte slots, with no
 * allocation per entry (GHashTable's chained nodes and callbacks were a
 * fifth of reading a netsh trace). */
static size_t ndis_slot_of(const hs_etl *e, uint64_t k0)
{
	return (size_t)(k0 >> 17) & e->ndis_mask;
}

static bool ndis_slot_is(const struct ndis_slot *s, const uint64_t key[2])
{
	return s->k0 == key[0] && s->p->key[1] == key[1];
}

static pending *ndis_lookup(const hs_etl *e, const uint64_t key[2])
{
	if (!e->ndis_mask)
		return NULL;
	for (size_t i = ndis_slot_of(e, key[0]);; i = (i + 1) & e->ndis_mask) {
		const struct ndis_slot *s = &e->ndis_tab[i];
		if (!s->p)
			return NULL;
		if (ndis_slot_is(s, key))
			return s->p;
	}
}

static void ndis_put(hs_etl *e, pending *q);

static void ndis_grow(hs_etl *e)
{
	struct ndis_slot *old = e->ndis_tab;
	size_t n = e->ndis_mask ? e->ndis_mask + 1 : 0;
	size_t slots = n ? n * 2 : 1024;
	e->ndis_tab = g_new0(struct ndis_slot, slots);
	e->ndis_mask = slots - 1;
	e->ndis_used = 0;
	for (size_t i = 0; i < n; i++)
		if (old[i].p)
			ndis_put(e, old[i].p);
	g_free(old);
}

/* q takes its key's slot (from a frame of equal bytes, if one holds it). */
static void ndis_put(hs_etl *e, pending *q)
{
	if ((e->ndis_used + 1) * 2 > e->ndis_mask + 1 || !e->ndis_mask)
		ndis_grow(e);
	for (size_t i = ndis_slot_of(e, q->key[0]);; i = (i + 1) & e->ndis_mask) {
		struct ndis_slot *s = &e->ndis_tab[i];
		if (!s->p) {
			s->k0 = q->key[0];
			s->p = q;
			e->ndis_used++;
			return;
		}
		if (ndis_slot_is(s, q->key)) {
			s->p = q;
			return;
		}
	}
}

/* Remove q's key (q holds it); the entries after it in its run move back
 * so that no look-up stops early at the hole. */
static void ndis_remove(hs_etl *e, const pending *q)
{
	size_t i = ndis_slot_of(e, q->key[0]);
	while (e->ndis_tab[i].p != q)
		i = (i + 1) & e->ndis_mask;
	for (size_t j = i;;) {
		j = (j + 1) & e->ndis_mask;
		struct ndis_slot *s = &e->ndis_tab[j];
		if (!s->p)
			break;
		size_t home = ndis_slot_of(e, s->k0);
		/* s may fill the hole at i unless its home lies in (i, j] */
		if (((j - home) & e->ndis_mask) >= ((j - i) & e->ndis_mask)) {
			e->ndis_tab[i] = *s;
			i = j;
		}
	}
	e->ndis_tab[i].p = NULL;
	e->ndis_used--;
}

static void ndis_clear(hs_etl *e)
{
	if (e->ndis_used)
		memset(e->ndis_tab, 0, (e->ndis_mask + 1) * sizeof *e->ndis_tab);
	e->ndis_used = 0;
}

static uint64_t where_bit(uint64_t where)
{
	return 1ULL << ((where * 0x9e3779b97f4a7c15ULL) >> 58);
}

/* Which of two NDIS copies is closer to the wire: on receive the first
 * logged (the physical adapter's filter, then the switch, then the host's
 * virtual adapter), on send the last; unknown direction: the first. */
static bool ndis_closer(const hs_etl_packet *a, const hs_etl_packet *b)
{
	if (a->direction == PKTMON_DIR_TX || b->direction == PKTMON_DIR_TX)
		return a->ts_ns >= b->ts_ns; /* a tie: the later logged */
	return a->ts_ns < b->ts_ns;
}

struct ndis_gone { uint64_t key[2], seq; };

static int cmp_seq(gconstpointer a, gconstpointer b)
{
	const pending *x = *(pending *const *)a, *y = *(pending *const *)b;
	return x->seq < y->seq ? -1 : x->seq > y->seq;
}

/* The arrival rank of the earliest entry still queued (dead ones count:
 * a bound), while every processor's queue is in arrival order (no
 * disorder); UINT64_MAX when none is queued. */
static uint64_t ndis_oldest_queued(const hs_etl *e)
{
	uint64_t m = UINT64_MAX;
	for (unsigned k = 0; k < e->nactive; k++) {
		const cpuq *c = &e->cq[e->active[k]];
		if (c->head < c->q->len) {
			const pending *q = c->q->pdata[c->head];
			if (q->seq < m)
				m = q->seq;
		}
	}
	return m;
}

/* A packet handed out without a key while lazy: the table would have
 * held its key, taken from any earlier queued packet of equal bytes, and
 * removed it now; that matters to the packets still queued that arrived
 * before it, if a copy comes later, so its key is kept while one is. */
static void ndis_gone(hs_etl *e, const pending *q)
{
	uint8_t *c = &e->ndis_count[q->key[0] % NDIS_COUNT];
	if (*c < 255)
		--*c;
	if (*c == 0 || q->seq < ndis_oldest_queued(e))
		return; /* no queued packet of its key arrived before it */
	struct ndis_gone g = { .key = { q->key[0], q->key[1] }, .seq = q->seq };
	g_array_append_val(e->ndis_gone, g);
}

/* Forget what no queued packet arrived before. */
static void ndis_gone_prune(hs_etl *e)
{
	uint64_t oldest = ndis_oldest_queued(e);
	guint keep = 0;
	for (guint i = 0; i < e->ndis_gone->len; i++) {
		struct ndis_gone *g = &g_array_index(e->ndis_gone, struct ndis_gone, i);
		if (g->seq > oldest)
			g_array_index(e->ndis_gone, struct ndis_gone, keep++) = *g;
	}
	g_array_set_size(e->ndis_gone, keep);
}

/* The end of ndis_lazy: the queued packets get their keys, in arrival
 * order (the later of equal bytes holds the key), and a key stays out of
 * the table when a packet that arrived later took it and was handed out. */
static void ndis_wake(hs_etl *e)
{
	e->ndis_lazy = false;
	GPtrArray *all = g_ptr_array_new();
	for (unsigned k = 0; k < e->nactive; k++) {
		cpuq *c = &e->cq[e->active[k]];
		for (guint i = c->head; i < c->q->len; i++) {
			pending *q = c->q->pdata[i];
			if (q->lazy && !q->dead)
				g_ptr_array_add(all, q);
		}
	}
	g_ptr_array_sort(all, cmp_seq);
	GHashTable *gone = g_hash_table_new(key_hash, key_equal); /* key -> the latest arrival handed out */
	for (guint i = 0; i < e->ndis_gone->len; i++) {
		struct ndis_gone *g = &g_array_index(e->ndis_gone, struct ndis_gone, i);
		struct ndis_gone *had = g_hash_table_lookup(gone, g->key);
		if (!had || had->seq < g->seq)
			g_hash_table_replace(gone, g->key, g);
	}
	for (guint i = 0; i < all->len; i++) {
		pending *q = all->pdata[i];
		q->lazy = false;
		struct ndis_gone *g = g_hash_table_lookup(gone, q->key);
		if (g && g->seq > q->seq)
			continue; /* a later frame of these bytes took the key and is gone with it */
		pending *holder = ndis_lookup(e, q->key);
		if (holder)
			holder->in_table = false;
		q->in_table = true;
		ndis_put(e, q);
	}
	g_hash_table_destroy(gone);
	g_ptr_array_free(all, TRUE);
	g_array_set_size(e->ndis_gone, 0);
	memset(e->ndis_count, 0, NDIS_COUNT);
}

/* The queued copy of packet m that this appearance folds into, or NULL
 * when it is a packet of its own (then key holds its key, and *holder is
 * the entry by_key holds for it, if any: a frame of equal bytes, whose key
 * the new one takes). */
static pending *copy_of(hs_etl *e, const hs_etl_packet *m, const uint8_t *bytes, uint64_t where, uint64_t key[2],
			pending **holder)
{
	if (m->pktmon) {
		key[0] = m->group;
		key[1] = m->number;
		pending *l = e->last_pktmon[m->processor & 0xff];
		if (l && e->last_gen[m->processor & 0xff] == e->release_gen && l->key[0] == key[0] && l->key[1] == key[1] &&
		    !l->dead)
			return l;
		return g_hash_table_lookup(e->by_key, key);
	}
	ndis_key(m, bytes, key);
	pending *old = *holder = ndis_lookup(e, key);
	if (!old || (old->where_seen & where_bit(where)) || llabs(m->ts_ns - old->ts_ns) > NDIS_COPY_WINDOW_NS ||
	    memcmp(old->meta.data, bytes, m->caplen) != 0)
		return NULL;
	return old;
}

/* where: NDIS, the interface or switch port it was logged at. */
static void queue_packet(hs_etl *e, const hs_etl_packet *m, const uint8_t *bytes, bool own, uint64_t where)
{
	uint64_t seq = e->seq++;
	uint32_t copies = 1;
	uint64_t key[2] = { 0, 0 }, seen = where_bit(where);
	bool fold = !m->drop && !e->all_copies;
	pending *holder = NULL;
	bool lazy = false;
	if (fold && !m->pktmon && e->ndis_lazy) {
		if (!e->ndis_where_set) {
			e->ndis_where_set = true;
			e->ndis_where = where;
		}
		if (where == e->ndis_where) {
			lazy = true; /* logged where every packet so far was: not a copy */
			ndis_key(m, bytes, key);
			uint8_t *c = &e->ndis_count[key[0] % NDIS_COUNT];
			if (*c < 255)
				++*c;
		} else {
			ndis_wake(e);
		}
	}
	if (fold && !lazy) {
		pending *old = copy_of(e, m, bytes, where, key, &holder);
		if (old) {
			e->st.folded++;
			old->meta.copies++;
			old->where_seen |= seen;
			if (m->pktmon ? !closer_to_wire(m, &old->meta) : !ndis_closer(m, &old->meta))
				return;
			/* the closer copy takes the place of the first in the
			 * time order (its arrival rank), on its own processor */
			copies = old->meta.copies;
			seen = old->where_seen;
			seq = old->seq;
			old->dead = true;
			old->in_table = false; /* q takes its key */
			pending_drop_bytes(e, old);
			e->queued--;
		} else if (m->pktmon && m->ts_ns <= e->released_upto && g_hash_table_contains(e->released, key)) {
			/* a copy of a packet already handed out (logged late, or the ordering cap was hit) */
			e->st.folded++;
			return;
		}
	}
	pending *q = pending_new(e);
	q->key[0] = key[0];
	q->key[1] = key[1];
	q->where_seen = seen;
	q->ts_ns = m->ts_ns;
	q->seq = seq;
	q->meta = *m;
	q->meta.copies = copies;
	q->dead = false;
	q->in_table = fold && !lazy;
	q->lazy = lazy;
	hold_bytes(e, q, bytes, m->caplen, own);
	enqueue(e, q, m->processor);
	if (fold && !lazy) {
		if (holder)
			holder->in_table = false; /* q takes its key */
		if (m->pktmon)
			g_hash_table_replace(e->by_key, q->key, q);
		else
			ndis_put(e, q);
	}
	if (fold && m->pktmon) {
		e->last_pktmon[m->processor & 0xff] = q;
		e->last_gen[m->processor & 0xff] = e->release_gen;
	}
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

/* The first live entry of the k-th active queue (dead ones freed on the
 * way), or NULL when it is empty (and no longer active). */
static pending *queue_head(hs_etl *e, unsigned k)
{
	cpuq *c = &e->cq[e->active[k]];
	if (c->unsorted) {
		/* out of order within one processor's stream: sort what is left */
		g_ptr_array_remove_range(c->q, 0, c->head);
		c->head = 0;
		g_ptr_array_sort(c->q, cmp_pending);
		c->unsorted = false;
	}
	while (c->head < c->q->len) {
		pending *q = c->q->pdata[c->head];
		if (!q->dead)
			return q;
		c->head++;
		pending_free(e, q);
	}
	g_ptr_array_set_size(c->q, 0);
	c->head = 0;
	c->active = false;
	e->active[k] = e->active[--e->nactive];
	return NULL;
}

/* Release the earliest queued packets in time order (a merge of the
 * processors' queues): up to the watermark, half of them (the queue is
 * over the memory cap), or all (the end of the input). */
static void release(hs_etl *e, enum release_mode mode)
{
	e->release_gen++; /* entries may be freed: last_pktmon is stale */
	if (e->ndis_lazy && e->disorder)
		ndis_wake(e); /* the queues may be sorted out of arrival order (ndis_oldest_queued) */
	if (e->out_at > 0) { /* what was handed out already */
		g_ptr_array_remove_range(e->out, 0, e->out_at);
		e->out_at = 0;
	}
	int64_t w = INT64_MAX;
	if (mode == RELEASE_WATERMARK) {
		w = watermark(e);
		if (w == INT64_MIN)
			return;
		/* the copies of one packet are logged within microseconds,
		 * possibly across two buffers: keep a second's worth */
		w = to_unix_ns(e, w) - 1000000000LL;
	}
	guint n = mode == RELEASE_HALF ? e->queued / 2 + 1 : e->queued;
	if (mode == RELEASE_ALL) {
		g_hash_table_remove_all(e->by_key);
		ndis_clear(e);
	}
	while (n > 0) {
		pending *best = NULL;
		unsigned bk = 0;
		for (unsigned k = 0; k < e->nactive;) {
			pending *q = queue_head(e, k);
			if (!q)
				continue; /* k now names another queue */
			if (!best || before(q, best)) {
				best = q;
				bk = k;
			}
			k++;
		}
		if (!best || best->ts_ns > w)
			break;
		e->cq[e->active[bk]].head++;
		e->queued--;
		n--;
		g_ptr_array_add(e->out, best);
		if (best->lazy) {
			if (mode != RELEASE_ALL)
				ndis_gone(e, best);
		} else if (mode != RELEASE_ALL && !best->meta.pktmon && best->in_table) {
			/* NDIS: equal bytes at one place are two frames, which share a key: the later one holds it */
			ndis_remove(e, best);
		} else if (mode != RELEASE_ALL && best->meta.pktmon && !best->meta.drop && !e->all_copies) {
			g_hash_table_remove(e->by_key, best->key);
			if (mode != RELEASE_HALF && !e->disorder)
				continue;
			/* the last RELEASED_KEEP keys, in a ring the table points into */
			uint64_t *k = e->released_ring[e->released_at % RELEASED_KEEP];
			if (e->released_at++ >= RELEASED_KEEP)
				g_hash_table_remove(e->released, k);
			k[0] = best->key[0];
			k[1] = best->key[1];
			g_hash_table_add(e->released, k);
			/* copies are logged within microseconds of each other */
			if (best->ts_ns + 1000000000LL > e->released_upto)
				e->released_upto = best->ts_ns + 1000000000LL;
		}
	}
	if (e->ndis_lazy && e->ndis_gone->len) {
		ndis_gone_prune(e);
		if (e->ndis_gone->len > NDIS_GONE_MAX)
			ndis_wake(e); /* memory: hash and look up from here on */
	}
}

/* ---------------------------------------------------------- events */

/* Native 802.11 data frames reach the components above the Wi-Fi
 * miniport (and ndiscap's filter) already decrypted, yet with the Protected
 * flag still set: where a data frame's body starts with the LLC/SNAP header
 * (which a CCMP/TKIP header, whose 4th byte has ExtIV 0x20, never does) the
 * flag is cleared, so that the frame reads as what it is. */
static bool decrypted_80211(const uint8_t *b, size_t len)
{
	if (len < 2 || !(b[1] & 0x40) || ((b[0] >> 2) & 3) != 2)
		return false;
	size_t hdr = 24 + ((b[1] & 3) == 3 ? 6 : 0) + ((b[0] & 0x80) ? 2 + ((b[1] & 0x80) ? 4 : 0) : 0);
	return len >= hdr + 6 && b[hdr] == 0xaa && b[hdr + 1] == 0xaa && b[hdr + 2] == 0x03 && b[hdr + 3] == 0;
}

/* The frame m as handed out, its Protected flag cleared where
 * decrypted_80211 says: in place in a buffer of the reader's own (joined
 * fragments, an uncompressed copy), in a copy (*own) when the buffer being
 * parsed is the input itself (read-only). */
static uint8_t *unprotect_80211(hs_etl *e, hs_etl_packet *m, uint8_t *b, bool own_bytes, bool *own)
{
	if (!decrypted_80211(b, m->caplen))
		return b;
	m->unprotected = true;
	if (!own_bytes && e->parsing->in_place) {
		if (!e->scratch)
			e->scratch = g_byte_array_new();
		g_byte_array_set_size(e->scratch, 0);
		g_byte_array_append(e->scratch, b, m->caplen);
		b = e->scratch->data;
		*own = true;
	}
	b[1] &= (uint8_t)~0x40;
	return b;
}

static void pktmon_event(hs_etl *e, uint16_t id, int64_t ts, uint8_t *u, size_t n, uint16_t cpu)
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
	uint8_t *b = u + PKTMON_META;
	if (m.linktype == LINKTYPE_IEEE802_11 && logged >= 14 && ((b[0] >> 2) & 3) == 3 && (b[12] << 8 | b[13]) >= 0x0600)
		m.linktype = LINKTYPE_ETHERNET;
	bool own = false;
	if (m.linktype == LINKTYPE_IEEE802_11)
		b = unprotect_80211(e, &m, b, false, &own);
	m.ts_ns = to_unix_ns(e, ts);
	m.processor = cpu;
	if (m.drop)
		e->st.drops++;
	else
		e->st.packet_events++;
	queue_packet(e, &m, b, own, 0);
}

/* ndiscap logs no original length of a packet it truncated
 * (`packettruncatebytes=`): as etl2pcapng does, it is read from the IPv4 or
 * IPv6 header, when larger than what was logged (an LSO packet's IP length
 * may be 0: then nothing is inferred). */
static uint32_t ndis_wirelen(int link, const uint8_t *b, uint32_t caplen)
{
	size_t l2 = link == LINKTYPE_ETHERNET ? 14 : 0;
	if (link == LINKTYPE_IEEE802_11 || caplen < l2 + 40)
		return caplen;
	if (l2 && ((b[12] << 8 | b[13]) != 0x0800 && (b[12] << 8 | b[13]) != 0x86dd))
		return caplen;
	const uint8_t *ip = b + l2;
	uint32_t len = (ip[0] >> 4) == 4 ? (uint32_t)(ip[2] << 8 | ip[3]) :
		       (ip[0] >> 4) == 6 ? 40 + (uint32_t)(ip[4] << 8 | ip[5]) : 0;
	return len + l2 > caplen ? (uint32_t)(len + l2) : caplen;
}

static int ndis_link(uint64_t kw)
{
	return kw & NDIS_KW_MEDIA_NATIVE_802_11 ? LINKTYPE_IEEE802_11 :
	       kw & NDIS_KW_MEDIA_WIRELESS_WAN ? LINKTYPE_RAW : LINKTYPE_ETHERNET;
}

/* Past a NUL-terminated UTF-16 string at *at; false when it runs off the end. */
static bool skip_utf16z(const uint8_t *u, size_t n, size_t *at)
{
	for (size_t i = *at; n - i >= 2; i += 2)
		if (u[i] == 0 && u[i + 1] == 0) {
			*at = i + 2;
			return true;
		}
	return false;
}

/* True when the 1003 fields from at on are FragmentSize, the fragment,
 * OOBDataSize and the OOB data, ending exactly where the event ends. */
static bool vmswitch_tail_fits(const uint8_t *u, size_t n, size_t at)
{
	if (at > n || n - at < 4 || le32(u + at) > n - at - 4)
		return false;
	at += 4 + le32(u + at);
	return n - at >= 4 && le32(u + at) == n - at - 4;
}

/* Where the FragmentSize field of an NDIS-PacketCapture packet event is,
 * 0 when the event is too short.  1001: after MiniportIfIndex and
 * LowerIfIndex.  1003 (the Hyper-V switch's): after them, SourcePortId,
 * the source's port name, NIC name and NIC type (NUL-terminated UTF-16),
 * DestinationCount, and the destinations.  Wireshark's ETW dissector reads
 * each destination as a PortId and the same three strings; the manifest as
 * published decompiled types "Destination" as 8 bytes each: the layout
 * whose FragmentSize, fragment, OOBDataSize and OOB data end the event
 * exactly is taken, the dissector's when both do. */
static size_t ndis_fragment_at(uint16_t id, const uint8_t *u, size_t n)
{
	if (id == NDIS_PACKET_FRAGMENT)
		return 8;
	size_t at = 12;
	for (int s = 0; s < 3; s++)
		if (at > n || !skip_utf16z(u, n, &at))
			return 0;
	if (n - at < 4)
		return 0;
	uint32_t dests = le32(u + at);
	at += 4;
	size_t flat = dests <= (n - at) / 8 ? at + 8 * (size_t)dests : 0;
	for (uint32_t d = 0; d < dests; d++) { /* each takes 10 bytes or more: the count is bounded by n */
		if (n - at < 4)
			return flat && vmswitch_tail_fits(u, n, flat) ? flat : 0;
		at += 4;
		for (int s = 0; s < 3; s++)
			if (!skip_utf16z(u, n, &at))
				return flat && vmswitch_tail_fits(u, n, flat) ? flat : 0;
	}
	if (dests && !vmswitch_tail_fits(u, n, at) && flat && vmswitch_tail_fits(u, n, flat))
		return flat;
	return at;
}

static void ndis_event(hs_etl *e, uint16_t id, uint64_t kw, int64_t ts, uint8_t *u, size_t n, uint16_t cpu)
{
	if (id != NDIS_PACKET_FRAGMENT && id != NDIS_VMSWITCH_FRAGMENT)
		return;
	size_t at = n >= 12 ? ndis_fragment_at(id, u, n) : 0;
	if (at == 0 || n - at < 4 || le32(u + at) > n - at - 4) {
		e->st.malformed++;
		return;
	}
	uint32_t size = le32(u + at);
	uint8_t *fragment = u + at + 4;
	/* where it was logged: the filter's interface (LowerIfIndex,
	 * MiniportIfIndex) or the switch's source port (1003) */
	uint64_t where = (uint64_t)le32(u + 4) << 32 | (id == NDIS_VMSWITCH_FRAGMENT ? 0x80000000u | le32(u + 8) : le32(u));
	uint16_t direction = kw & NDIS_KW_SEND ? PKTMON_DIR_TX : kw & NDIS_KW_RECEIVE ? PKTMON_DIR_RX : 0;
	if ((kw & NDIS_KW_PACKET_START) && (kw & NDIS_KW_PACKET_END)) {
		/* one fragment (the usual case): a slice of the buffer */
		if (size > NDIS_MAX_PACKET) {
			e->st.malformed++;
			return;
		}
		hs_etl_packet m;
		memset(&m, 0, sizeof m);
		m.linktype = ndis_link(kw);
		m.caplen = size;
		m.wirelen = ndis_wirelen(m.linktype, fragment, size);
		bool own = false;
		if (m.linktype == LINKTYPE_IEEE802_11)
			fragment = unprotect_80211(e, &m, fragment, false, &own);
		m.direction = direction;
		m.ts_ns = to_unix_ns(e, ts);
		m.processor = cpu;
		e->st.packet_events++;
		if (e->frag[cpu & 0xff].bytes)
			g_byte_array_set_size(e->frag[cpu & 0xff].bytes, 0);
		queue_packet(e, &m, fragment, own, where);
		return;
	}
	/* a packet's fragments are logged one after the other by one
	 * processor, possibly across two of its buffers */
	struct frag *f = &e->frag[cpu & 0xff];
	if (!f->bytes)
		f->bytes = g_byte_array_new();
	if (kw & NDIS_KW_PACKET_START) {
		g_byte_array_set_size(f->bytes, 0);
		f->ts = ts;
		f->link = ndis_link(kw);
		f->where = where;
		f->direction = direction;
	} else if (f->bytes->len == 0) {
		e->st.malformed++; /* a middle fragment without its start */
		return;
	}
	if (f->bytes->len + size > NDIS_MAX_PACKET) {
		e->st.malformed++;
		g_byte_array_set_size(f->bytes, 0);
		return;
	}
	g_byte_array_append(f->bytes, fragment, size);
	if (!(kw & NDIS_KW_PACKET_END))
		return;
	hs_etl_packet m;
	memset(&m, 0, sizeof m);
	m.linktype = f->link;
	m.caplen = f->bytes->len;
	m.wirelen = ndis_wirelen(m.linktype, f->bytes->data, m.caplen);
	bool own = true;
	if (m.linktype == LINKTYPE_IEEE802_11)
		unprotect_80211(e, &m, f->bytes->data, true, &own);
	m.direction = f->direction;
	m.ts_ns = to_unix_ns(e, f->ts);
	m.processor = cpu;
	e->st.packet_events++;
	queue_packet(e, &m, f->bytes->data, true, f->where);
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

static int parse_records(hs_etl *e, uint8_t *p, size_t len, uint16_t cpu, bool first, uint32_t state)
{
	size_t at = 0, pf = PREFETCH_AHEAD < len ? PREFETCH_AHEAD : len;
	bool ahead = e->parsing && e->parsing->in_place;
	while (len - at >= 8) {
		if (le32(p + at) == 0xffffffffu)
			break;
		uint8_t type;
		size_t size = record_size(p + at, len - at, &type);
		if (!size)
			return fail(e, "buffer %llu: corrupt record at offset %zu", (unsigned long long)e->st.buffers,
				    at + WMI_BUFFER_HEADER);
		uint8_t *r = p + at;
		e->st.records++;
		/* the next record: its header and first bytes come in (from the
		 * mapped file, or a buffer inflated a while ago) while this one
		 * is parsed and queued */
		if (len - at > size + 256) {
			__builtin_prefetch(r + size);
			__builtin_prefetch(r + size + 64);
			__builtin_prefetch(r + size + 128);
			__builtin_prefetch(r + size + 192);
		}
		/* and every line PREFETCH_AHEAD further on, in a mapped file
		 * (an inflated buffer was just written: in the cache) */
		size_t pf_end = at + size + PREFETCH_AHEAD < len ? at + size + PREFETCH_AHEAD : len;
		for (; ahead && pf < pf_end; pf += 64)
			__builtin_prefetch(p + pf);
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
			if (ts < e->cpu_last[cpu])
				e->disorder = true; /* older than an earlier buffer of its processor */
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

/* The events of a compressed buffer (in, as read) into out. */
static int decompress(hs_etl *e, const uint8_t *in, size_t in_len, uint8_t *out, size_t plen)
{
	long r;
	switch (e->st.compression) {
	case COMPRESSION_FORMAT_XPRESS:
		r = hs_xpress_decompress(in, in_len, out, plen);
		break;
	case COMPRESSION_FORMAT_LZNT1:
		r = hs_lznt1_decompress(in, in_len, out, plen);
		break;
	case COMPRESSION_FORMAT_XPRESS_HUFF:
		if (!e->huff_table && !(e->huff_table = g_try_new(uint16_t, HS_XPRESS_HUFF_TABLE)))
			return fail(e, "out of memory");
		r = hs_xpress_huff_decompress(in, in_len, out, plen, e->huff_table);
		break;
	default:
		return fail(e, "unknown compression format %u", e->st.compression);
	}
	if (r != (long)plen)
		return fail(e, "buffer %llu does not decompress (%ld of %zu bytes)", (unsigned long long)e->st.buffers, r,
			    plen);
	e->st.compressed_buffers++;
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
	bool first = !e->started, compressed = flag & BUFFER_FLAG_COMPRESSED;
	uint32_t cap = first ? HS_ETL_MAX_BUFFER : e->buffer_size;
	if (size < WMI_BUFFER_HEADER || size > cap || saved > (first ? size : e->buffer_size) ||
	    saved < WMI_BUFFER_HEADER || (!compressed && saved > size))
		return fail(e, "corrupt buffer %llu (size %u, events up to %u, buffer size %u)",
			    (unsigned long long)e->st.buffers, size, saved, cap);
	if (compressed && first)
		return fail(e, "the header buffer is compressed");
	/* the events end up in an ebuf (packets are slices of it): read there
	 * directly, or into raw and decompressed there; an input in memory is
	 * read in place: compressed buffers are inflated from it, and the
	 * events of uncompressed ones are its own bytes (an in-place ebuf) */
	size_t plen = saved - WMI_BUFFER_HEADER, got = 0;
	const uint8_t *in_place = take_in_place(e, size - WMI_BUFFER_HEADER, &got);
	if (in_place && got < size - WMI_BUFFER_HEADER)
		return fail(e, "truncated file: buffer %llu has %zu of its %u bytes", (unsigned long long)e->st.buffers,
			    got + WMI_BUFFER_HEADER, size);
	ebuf *b = ebuf_get(e, compressed ? (uint32_t)plen : size, in_place && !compressed);
	if (!b)
		return fail(e, "out of memory for a %u-byte buffer", size);
	uint8_t *payload;
	if (in_place && !compressed) {
		payload = (uint8_t *)in_place; /* read-only: unprotect_80211 copies what it changes */
	} else if (in_place) {
		payload = b->data;
		if (decompress(e, in_place, size - WMI_BUFFER_HEADER, payload, plen) < 0) {
			ebuf_unref(e, b);
			return -1;
		}
	} else {
		uint8_t *dst = b->data;
		if (compressed) {
			if (size > e->raw_cap) {
				uint8_t *raw = g_try_realloc(e->raw, size);
				if (!raw) {
					ebuf_unref(e, b);
					return fail(e, "out of memory for a %u-byte buffer", size);
				}
				e->raw = raw;
				e->raw_cap = size;
			}
			dst = e->raw;
		}
		memcpy(dst, hdr, WMI_BUFFER_HEADER);
		n = take(e, dst + WMI_BUFFER_HEADER, size - WMI_BUFFER_HEADER);
		if (n < 0 || (size_t)n < size - WMI_BUFFER_HEADER) {
			ebuf_unref(e, b);
			if (n < 0)
				return fail(e, "read error");
			return fail(e, "truncated file: buffer %llu has %ld of its %u bytes", (unsigned long long)e->st.buffers,
				    n + WMI_BUFFER_HEADER, size);
		}
		payload = b->data + WMI_BUFFER_HEADER;
		if (compressed) {
			if (decompress(e, e->raw + WMI_BUFFER_HEADER, size - WMI_BUFFER_HEADER, b->data, plen) < 0) {
				ebuf_unref(e, b);
				return -1;
			}
			payload = b->data;
		}
	}
	e->st.buffers++;
	e->parsing = b;
	int r;
	if (first) {
		e->started = true;
		r = parse_records(e, payload, plen, cpu, true, state);
		if (r == 0 && !e->buffer_size)
			r = fail(e, "no log header");
	} else {
		e->buffer_last = INT64_MIN;
		r = parse_records(e, payload, plen, cpu, false, state);
		if (r == 0 && e->buffer_last != INT64_MIN) {
			if (e->cpu_last[cpu] == INT64_MIN)
				e->cpus_seen++;
			if (e->buffer_last > e->cpu_last[cpu])
				e->cpu_last[cpu] = e->buffer_last;
		}
	}
	e->parsing = NULL;
	ebuf_unref(e, b);
	return r < 0 ? -1 : 1;
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
	e->out = g_ptr_array_new();
	e->by_key = g_hash_table_new(key_hash, key_equal);
	e->ndis_lazy = !all_copies;
	e->ndis_gone = g_array_new(FALSE, FALSE, sizeof(struct ndis_gone));
	e->ndis_count = g_malloc0(NDIS_COUNT);
	e->released_upto = INT64_MIN;
	for (unsigned i = 0; i < G_N_ELEMENTS(e->cpu_last); i++)
		e->cpu_last[i] = INT64_MIN;
	e->released = g_hash_table_new(key_hash, key_equal);
	e->released_ring = g_malloc(sizeof(uint64_t[2]) * RELEASED_KEEP);
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
	pending_free(e, e->current); /* its bytes were the caller's until now */
	e->current = NULL;
	while (e->out_at >= e->out->len) {
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
		} else {
			release(e, RELEASE_WATERMARK);
		}
	}
	pending *q = e->out->pdata[e->out_at++];
	e->current = q;
	*p = q->meta;
	/* the queued packets are long out of the cache: fetch the next
	 * ones while the caller decodes this one */
	if (e->out_at + 1 < e->out->len)
		__builtin_prefetch(e->out->pdata[e->out_at + 1]);
	if (e->out_at < e->out->len) {
		const pending *n = e->out->pdata[e->out_at];
		/* all of it (up to 2 KiB): the caller reads it whole, as it would a copy a pcapng reader made */
		for (uint32_t i = 0; i < n->meta.caplen && i < 2048; i += 64)
			__builtin_prefetch(n->meta.data + i);
		__builtin_prefetch(n->buf);
	}
	return 1;
}

const char *hs_etl_error(const hs_etl *e)
{
	return e->err;
}

uint64_t hs_etl_consumed(const hs_etl *e)
{
	return e->consumed;
}

uint64_t hs_etl_needed_from(const hs_etl *e)
{
	return e->inplace_first ? e->inplace_first->at : e->consumed;
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
	g_free(e->huff_table);
	if (e->scratch)
		g_byte_array_free(e->scratch, TRUE);
	pending_free(e, e->current);
	for (guint i = e->out_at; i < e->out->len; i++)
		pending_free(e, e->out->pdata[i]);
	g_ptr_array_free(e->out, TRUE);
	for (unsigned c = 0; c < G_N_ELEMENTS(e->cq); c++) {
		if (!e->cq[c].q)
			continue;
		for (guint i = e->cq[c].head; i < e->cq[c].q->len; i++)
			pending_free(e, e->cq[c].q->pdata[i]);
		g_ptr_array_free(e->cq[c].q, TRUE);
	}
	if (e->carving)
		chunk_unref(e, e->carving);
	for (unsigned i = 0; i < e->nspare_chunks; i++)
		g_free(e->spare_chunks[i]);
	for (unsigned i = 0; i < e->nspare; i++)
		g_free(e->spare[i]);
	g_hash_table_destroy(e->by_key);
	g_free(e->ndis_tab);
	g_array_free(e->ndis_gone, TRUE);
	g_free(e->ndis_count);
	g_hash_table_destroy(e->released);
	g_free(e->released_ring);
	for (unsigned i = 0; i < G_N_ELEMENTS(e->frag); i++)
		if (e->frag[i].bytes)
			g_byte_array_free(e->frag[i].bytes, TRUE);
	g_free(e);
}
