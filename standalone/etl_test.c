/* etl_test.c - the ETL reader's decompressors against the examples of
 * MS-XCA itself (3.1 plain LZ77, 3.3 LZNT1) and against wimlib's XPRESS
 * Huffman compressor, every truncated prefix of each placed before an
 * unmapped page; and a small trace made in memory: the
 * reader's errors for a header alone, a truncated buffer and a buffer size
 * past the cap. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include "etl.h"
#include "unit.h"

/* MS-XCA 3.1: "abcdefghijklmnopqrstuvwxyz" as 26 literals */
static const uint8_t lz_alpha[] = { 0x3f, 0x00, 0x00, 0x00, 'a', 'b', 'c', 'd', 'e', 'f', 'g', 'h', 'i', 'j', 'k',
				    'l', 'm', 'n', 'o', 'p', 'q', 'r', 's', 't', 'u', 'v', 'w', 'x', 'y', 'z' };
/* MS-XCA 3.1: "abc" 100 times: 3 literals, one match of 297 at distance 3 */
static const uint8_t lz_abc[] = { 0xff, 0xff, 0xff, 0x1f, 0x61, 0x62, 0x63, 0x17, 0x00, 0x0f, 0xff, 0x26, 0x01 };
/* MS-XCA 3.3: 142 bytes (with the NUL) in one compressed LZNT1 chunk of 59 bytes */
static const uint8_t lznt1[] = { 0x38, 0xb0, 0x88, 0x46, 0x23, 0x20, 0x00, 0x20, 0x47, 0x20, 0x41, 0x00, 0x10, 0xa2, 0x47,
				 0x01, 0xa0, 0x45, 0x20, 0x44, 0x00, 0x08, 0x45, 0x01, 0x50, 0x79, 0x00, 0xc0, 0x45, 0x20,
				 0x05, 0x24, 0x13, 0x88, 0x05, 0xb4, 0x02, 0x4a, 0x44, 0xef, 0x03, 0x58, 0x02, 0x8c, 0x09,
				 0x16, 0x01, 0x48, 0x45, 0x00, 0xbe, 0x00, 0x9e, 0x00, 0x04, 0x01, 0x18, 0x90, 0x00 };
static const char lznt1_text[] = "F# F# G A A G F# E D D E F# F# E E F# F# G A A G F# E D D E F# E D D E E F# D E F# G "
				 "F# D E F# G F# E D E A F# F# G A A G F# E D D E F# E D D";

static void put16(uint8_t *p, uint16_t v) { p[0] = (uint8_t)v; p[1] = (uint8_t)(v >> 8); }
static void put32(uint8_t *p, uint32_t v) { put16(p, (uint16_t)v); put16(p + 2, (uint16_t)(v >> 16)); }

typedef long (*decomp)(const uint8_t *, size_t, uint8_t *, size_t);

/* in decompresses to want; every prefix decompresses to a prefix of it, or fails, never over-reads */
static void check(decomp f, const uint8_t *in, size_t n, const uint8_t *want, size_t wn)
{
	uint8_t out[512];
	CU_ASSERT_EQUAL_FATAL(f(in, n, out, wn), (long)wn);
	CU_ASSERT_EQUAL(memcmp(out, want, wn), 0);
	for (size_t k = 0; k < n; k++) {
		hs_guard g = hs_guard_copy(in, k);
		long r = f(g.p, k, out, wn);
		CU_ASSERT(r <= (long)wn);
		if (r > 0)
			CU_ASSERT_EQUAL(memcmp(out, want, (size_t)r), 0);
		hs_guard_free(&g);
	}
	/* a smaller output stops there */
	CU_ASSERT_EQUAL(f(in, n, out, wn / 2), (long)(wn / 2));
}

static void test_xpress(void)
{
	check(hs_xpress_decompress, lz_alpha, sizeof lz_alpha, (const uint8_t *)"abcdefghijklmnopqrstuvwxyz", 26);
	uint8_t abc[300];
	for (int i = 0; i < 300; i++)
		abc[i] = (uint8_t)("abc"[i % 3]);
	check(hs_xpress_decompress, lz_abc, sizeof lz_abc, abc, 300);
	/* a match before the start of the output is an error */
	static const uint8_t bad[] = { 0x00, 0x00, 0x00, 0x80, 0x17, 0x00 };
	uint8_t out[16];
	CU_ASSERT_EQUAL(hs_xpress_decompress(bad, sizeof bad, out, sizeof out), -1);
}

/* An XPRESS stream written item by item at random (literal runs, matches
 * of every length class and offsets 1..8192, the nibbles two lengths
 * share), with the output it stands for: the decoder's fast path (far from
 * both ends) and its careful tail against bytes known by construction. */
typedef struct xw {
	uint8_t *c, *o;
	size_t cn, on, flag_at, half;
	uint32_t flags;
	int nflags;
	bool has_half;
} xw;

static void xw_flag(xw *w, unsigned bit)
{
	w->flags = w->flags << 1 | bit;
	if (++w->nflags == 32) {
		put32(w->c + w->flag_at, w->flags);
		w->flag_at = w->cn;
		w->cn += 4;
		w->flags = 0;
		w->nflags = 0;
	}
}

static void xw_match(xw *w, size_t off, size_t len)
{
	for (size_t i = 0; i < len; i++, w->on++)
		w->o[w->on] = w->o[w->on - off];
	size_t l = len - 3;
	put16(w->c + w->cn, (uint16_t)((off - 1) << 3 | (l < 7 ? l : 7)));
	w->cn += 2;
	if (l >= 7) {
		size_t nib = l - 7 < 15 ? l - 7 : 15;
		if (w->has_half) {
			w->c[w->half] |= (uint8_t)(nib << 4);
		} else {
			w->half = w->cn;
			w->c[w->cn++] = (uint8_t)nib;
		}
		w->has_half = !w->has_half;
		if (nib == 15) {
			if (l - 22 < 255) {
				w->c[w->cn++] = (uint8_t)(l - 22);
			} else {
				w->c[w->cn++] = 255;
				if (l <= 0xffff) {
					put16(w->c + w->cn, (uint16_t)l);
					w->cn += 2;
				} else {
					put16(w->c + w->cn, 0);
					put32(w->c + w->cn + 2, (uint32_t)l);
					w->cn += 6;
				}
			}
		}
	}
	xw_flag(w, 1);
}

static void test_xpress_random(void)
{
	enum { OUT = 100000 };
	static uint8_t c[2 * OUT], o[OUT + 70000];
	uint32_t seed = 12345;
#define RND(n) ((seed = seed * 1103515245u + 12345u) >> 8) % (n)
	for (int round = 0; round < 200; round++) {
		xw w = { .c = c, .o = o, .cn = 4 };
		size_t target = 1 + RND(round < 100 ? 300 : OUT);
		while (w.on < target) {
			if (w.on == 0 || RND(3) == 0) { /* a literal */
				w.o[w.on++] = w.c[w.cn++] = (uint8_t)RND(4); /* few symbols: short overlapping periods */
				xw_flag(&w, 0);
				continue;
			}
			size_t max_off = w.on < 8192 ? w.on : 8192;
			size_t off = RND(4) == 0 ? 1 + RND(max_off < 20 ? max_off : 20) : 1 + RND(max_off);
			unsigned k = RND(100);
			size_t len = k < 50 ? 3 + RND(7) : k < 80 ? 10 + RND(30) : k < 97 ? 40 + RND(300) :
				     k < 99 ? 277 + RND(2000) : 65539 + RND(3000);
			if (len > 2000 && round % 20 != 7)
				len = 3 + RND(7);
			xw_match(&w, off, len);
		}
		/* the last flags word is padded with 1 bits (MS-XCA 2.3) */
		put32(w.c + w.flag_at, (uint32_t)(((uint64_t)w.flags << (32 - w.nflags)) | ((1ull << (32 - w.nflags)) - 1)));
		/* the input before an unmapped page, the output exactly as long */
		hs_guard gi = hs_guard_copy(w.c, w.cn);
		uint8_t *out = malloc(w.on);
		CU_ASSERT_EQUAL_FATAL(hs_xpress_decompress(gi.p, w.cn, out, w.on), (long)w.on);
		CU_ASSERT_EQUAL_FATAL(memcmp(out, w.o, w.on), 0);
		/* less output asked for: exactly that prefix */
		size_t part = RND(w.on + 1);
		CU_ASSERT_EQUAL(hs_xpress_decompress(gi.p, w.cn, out, part), (long)part);
		CU_ASSERT_EQUAL(memcmp(out, w.o, part), 0);
		/* the input cut anywhere: a prefix of the output or an error, no over-read */
		size_t cut = RND(w.cn);
		hs_guard gc = hs_guard_copy(w.c, cut);
		long r = hs_xpress_decompress(gc.p, cut, out, w.on);
		CU_ASSERT(r <= (long)w.on);
		if (r > 0)
			CU_ASSERT_EQUAL(memcmp(out, w.o, (size_t)r), 0);
		hs_guard_free(&gc);
		hs_guard_free(&gi);
		free(out);
	}
#undef RND
}

static void test_lznt1(void)
{
	check(hs_lznt1_decompress, lznt1, sizeof lznt1, (const uint8_t *)lznt1_text, sizeof lznt1_text);
	/* a stored (uncompressed) chunk */
	static const uint8_t stored[] = { 0x02, 0x30, 'x', 'y', 'z' };
	check(hs_lznt1_decompress, stored, sizeof stored, (const uint8_t *)"xyz", 3);
}

#ifdef HS_HAVE_WIMLIB
#include <wimlib.h>

/* XPRESS Huffman as wimlib's compressor (an independent encoder) writes it:
 * one block (wimlib's XPRESS chunks are at most 64 KiB). */
static void test_xpress_huff(void)
{
	static uint8_t src[3000], comp[4000], out[3000];
	static uint16_t table[HS_XPRESS_HUFF_TABLE];
	for (size_t i = 0; i < sizeof src; i++) /* text, then bytes with runs and repeats at many distances */
		src[i] = i < 1500 ? (uint8_t)lznt1_text[i % (sizeof lznt1_text - 1)] : (uint8_t)((i * i) >> 7 ^ (i % 97 < 10 ? 0 : i));
	struct wimlib_compressor *c;
	CU_ASSERT_EQUAL_FATAL(wimlib_create_compressor(WIMLIB_COMPRESSION_TYPE_XPRESS, 65536, 0, &c), 0);
	size_t n = wimlib_compress(src, sizeof src, comp, sizeof comp, c);
	wimlib_free_compressor(c);
	CU_ASSERT_FATAL(n > 256 && n < sizeof src);
	CU_ASSERT_EQUAL(hs_xpress_huff_decompress(comp, n, out, sizeof src, table), (long)sizeof src);
	CU_ASSERT_EQUAL(memcmp(out, src, sizeof src), 0);
	/* every truncated prefix before an unmapped page: a prefix of the text or an error */
	for (size_t k = 0; k < n; k++) {
		hs_guard g = hs_guard_copy(comp, k);
		long r = hs_xpress_huff_decompress(g.p, k, out, sizeof src, table);
		CU_ASSERT(r <= (long)sizeof src);
		if (r > 0)
			CU_ASSERT_EQUAL(memcmp(out, src, (size_t)r), 0);
		hs_guard_free(&g);
	}
	/* a smaller output stops there */
	CU_ASSERT_EQUAL(hs_xpress_huff_decompress(comp, n, out, 1000, table), 1000);
	CU_ASSERT_EQUAL(memcmp(out, src, 1000), 0);
	/* code lengths that are not a complete prefix code */
	comp[0] ^= 0x01;
	CU_ASSERT_EQUAL(hs_xpress_huff_decompress(comp, n, out, sizeof src, table), -1);
	/* one code of length 1 for a match at distance 2, another for literal 0: the match reaches before the start */
	uint8_t bad[260] = { 0 };
	bad[0] = 0x01;         /* symbol 0: length 1 */
	bad[(256 + 16) / 2] = 0x01; /* symbol 272 (distance bits 1, length 3): length 1 */
	bad[256 + 1] = 0xc0;   /* first word 0xc000: bits 1 (the match), 1 (its distance bit) */
	CU_ASSERT_EQUAL(hs_xpress_huff_decompress(bad, sizeof bad, out, 16, table), -1);
}
#endif


/* A header buffer: the system-header event 0 with a 64-bit TRACE_LOGFILE_HEADER. */
static size_t header_buffer(uint8_t *b, uint32_t buffer_size)
{
	memset(b, 0, 1024);
	uint8_t *r = b + 72, *h = r + 32;
	put16(r, 2);
	r[2] = 2;
	r[3] = 0xc0;
	put16(r + 4, 32 + 288);
	put32(h, buffer_size);
	put32(h + 12, 1);      /* processors */
	put32(h + 44, 8);      /* pointer size */
	put32(h + 256, 10000000); /* PerfFreq (at 56 + 16 + 172 aligned = 248, + 8) */
	put32(h + 272, 1);     /* QPC */
	put32(b, 1024);
	put32(b + 4, 72 + 32 + 288);
	return 1024;
}

static int read_all(const uint8_t *b, size_t n, char *err, size_t errlen)
{
	hs_etl *e = hs_etl_new_buffer(b, n, false, 0);
	hs_etl_packet p;
	int r;
	while ((r = hs_etl_next(e, &p)) == 1)
		;
	snprintf(err, errlen, "%s", hs_etl_error(e));
	hs_etl_free(e);
	return r;
}

/* An NDIS-PacketCapture 1001 event (uncompressed EVENT_HEADER record) at b:
 * MiniportIfIndex = LowerIfIndex = ifx, the frame; returns its 8-aligned size. */
static size_t ndis_record(uint8_t *b, uint32_t ifx, uint64_t kw, const uint8_t *frame, uint32_t len)
{
	static const uint8_t ndiscap[16] = { 0x6e, 0x00, 0xd6, 0x2e, 0x29, 0x47, 0x09, 0x46,
					     0xb4, 0x23, 0x3e, 0xe7, 0xbc, 0xd6, 0x78, 0xef };
	size_t n = 80 + 12 + len;
	memset(b, 0, (n + 7) & ~(size_t)7);
	put16(b, (uint16_t)n);
	b[2] = 19; /* EVENT_HEADER, 64-bit */
	b[3] = 0xc0;
	memcpy(b + 24, ndiscap, 16);
	put16(b + 40, 1001);
	put32(b + 48, (uint32_t)kw);
	put32(b + 52, (uint32_t)(kw >> 32));
	put32(b + 80, ifx);
	put32(b + 84, ifx);
	put32(b + 88, len);
	memcpy(b + 92, frame, len);
	return (n + 7) & ~(size_t)7;
}

/* netsh's copies of one packet (the same bytes at two interfaces) fold
 * into one, the same bytes twice at one interface are two frames; a frame
 * ndiscap truncated gets its length from the IP header; a native 802.11
 * data frame logged decrypted loses its Protected flag.  The trace is read
 * from read-only memory, as a mapped file is (its uncompressed buffer in
 * place): the flag is cleared in a copy, the input is left as it was. */
static void test_ndis(void)
{
	static uint8_t b[8192];
	size_t n = header_buffer(b, 4096), at = n + 72;
	uint8_t eth[60] = { 0 }, wifi[40] = { 0 };
	eth[12] = 0x08;    /* IPv4 */
	eth[14] = 0x45;
	put16(eth + 16, 0xe803); /* total length 1000 (big-endian 03 e8) */
	eth[23] = 6;
	wifi[0] = 0x08;    /* data */
	wifi[1] = 0x41;    /* to DS, Protected */
	memcpy(wifi + 24, "\xaa\xaa\x03\x00\x00\x00\x08\x00", 8);
	const uint64_t rx = 0x200000000ULL | 0xc0000000ULL; /* KW_RECEIVE, one fragment */
	at += ndis_record(b + at, 7, rx, eth, sizeof eth);
	at += ndis_record(b + at, 9, rx, eth, sizeof eth);  /* a copy: another interface */
	at += ndis_record(b + at, 7, rx, eth, sizeof eth);  /* the same place again: another frame */
	at += ndis_record(b + at, 7, rx | 0x10000, wifi, sizeof wifi);
	put32(b + n, 4096);
	put32(b + n + 4, (uint32_t)at - (uint32_t)n);
	uint8_t *ro = mmap(NULL, sizeof b, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	CU_ASSERT_FATAL(ro != MAP_FAILED);
	memcpy(ro, b, sizeof b);
	CU_ASSERT_FATAL(mprotect(ro, sizeof b, PROT_READ) == 0);
	for (int all = 0; all < 2; all++) {
		hs_etl *e = hs_etl_new_buffer(ro, n + 4096, all, 0);
		hs_etl_packet p[5];
		int k = 0;
		while (k < 5 && hs_etl_next(e, &p[k]) == 1) {
			if (k == 3 || (!all && k == 2)) /* the 802.11 frame: its bytes are valid until the next call */
				CU_ASSERT_EQUAL(p[k].data[1], 0x01);
			k++;
		}
		CU_ASSERT_STRING_EQUAL(hs_etl_error(e), "");
		CU_ASSERT_EQUAL(k, all ? 4 : 3);
		CU_ASSERT_EQUAL(hs_etl_stats_get(e)->folded, all ? 0u : 1u);
		CU_ASSERT_EQUAL(p[0].caplen, 60);
		CU_ASSERT_EQUAL(p[0].wirelen, 1014);
		CU_ASSERT_EQUAL(p[0].copies, all ? 1u : 2u);
		CU_ASSERT_EQUAL(p[1].copies, 1);
		CU_ASSERT_EQUAL(p[k - 1].linktype, 105);
		CU_ASSERT(p[k - 1].unprotected);
		CU_ASSERT_EQUAL(p[k - 1].wirelen, sizeof wifi);
		hs_etl_free(e);
	}
	munmap(ro, sizeof b);
}

/* ---------------------------------------------------------- NDIS folding while one interface logs */

/* One NDIS 1001 event of a trace made by ndis_trace(): its time (QPC
 * ticks at 10 MHz), processor, interface, which of four frames (they
 * differ at byte 30; 0xee: the waker's own), and the buffer (in file order)
 * it is written in; a buffer holds one processor's events. */
typedef struct nev {
	int64_t ts;
	uint8_t cpu, frame;
	uint32_t ifx;
	unsigned buf;
} nev;

static void put64(uint8_t *p, uint64_t v)
{
	put32(p, (uint32_t)v);
	put32(p + 4, (uint32_t)(v >> 32));
}

#define NT_BUF 2048 /* 12 events of a 60-byte frame fit, ndis_trace's callers put at most 9 */

/* The trace of n events over nbuf buffers of nproc processors (each
 * processor's events in time order); waker: written first, at interface
 * 11, with a frame of its own (the reader's fold table on from the start). */
static size_t ndis_trace(uint8_t *b, unsigned nproc, const nev *ev, size_t n, unsigned nbuf, const nev *waker)
{
	size_t len = header_buffer(b, NT_BUF);
	uint8_t *h = b + 72 + 32;
	put32(h + 12, nproc);
	put64(h + 264, 116444736000000000ULL + 17000000000000000ULL); /* StartTime: 2023 */
	const uint64_t rx = 0x200000000ULL | 0xc0000000ULL;
	for (unsigned k = 0; k < nbuf; k++) {
		uint8_t *w = b + len;
		memset(w, 0, NT_BUF);
		size_t at = 72;
		for (size_t i = 0; i <= n; i++) {
			const nev *v = i == 0 ? (k == 0 ? waker : NULL) : &ev[i - 1];
			if (!v || (i > 0 && v->buf != k))
				continue;
			uint8_t frame[60] = { 0 };
			frame[12] = 0x08;
			frame[14] = 0x45;
			frame[30] = v->frame;
			w[0x28] = v->cpu;
			size_t r = ndis_record(w + at, v->ifx, rx, frame, sizeof frame);
			put64(w + at + 16, (uint64_t)v->ts);
			at += r;
		}
		put32(w, NT_BUF);
		put32(w + 4, (uint32_t)at);
		len += NT_BUF;
	}
	return len;
}

typedef struct npkt {
	int64_t ts;
	uint8_t frame;
	uint32_t copies;
} npkt;

/* The packets read from a trace (max 512), the waker's left out; folded: the copies folded. */
static size_t ndis_read(const uint8_t *b, size_t len, npkt *out, uint64_t *folded)
{
	hs_etl *e = hs_etl_new_buffer(b, len, false, 0);
	hs_etl_packet p;
	size_t k = 0;
	while (hs_etl_next(e, &p) == 1)
		if (p.data[30] != 0xee && k < 512)
			out[k++] = (npkt){ p.ts_ns, p.data[30], p.copies };
	CU_ASSERT_STRING_EQUAL(hs_etl_error(e), "");
	*folded = hs_etl_stats_get(e)->folded;
	hs_etl_free(e);
	return k;
}

/* Every packet of a netsh trace is queued out of the fold table while
 * all came from one interface: a copy from a second interface, after the
 * first one's packets went that way (and some were handed out), must
 * still fold into its packet; and a frame of the same bytes logged again
 * at the first interface, which took the key (the later one holds it) and
 * was handed out before the copy came, leaves nothing to fold into. */
static void test_ndis_lazy(void)
{
	static uint8_t b[64 * NT_BUF];
	npkt p[512];
	uint64_t folded;
	const int64_t s = 10000000; /* a second of ticks */
	/* X at 7; 2 s later Y (other bytes) pushes the watermark; then X's copy at 9, 1 ms after X */
	const nev copy[] = { { 10 * s, 0, 0, 7, 0 }, { 12 * s, 0, 1, 7, 0 }, { 10 * s + 10000, 0, 0, 9, 1 } };
	/* the copy goes into a buffer of processor 1, logged late (processors log in their own order) */
	nev c1[3];
	memcpy(c1, copy, sizeof c1);
	c1[2].cpu = 1;
	size_t len = ndis_trace(b, 2, c1, 3, 2, NULL);
	CU_ASSERT_EQUAL(ndis_read(b, len, p, &folded), 2);
	CU_ASSERT_EQUAL(folded, 1);
	CU_ASSERT_EQUAL(p[0].frame, 0);
	CU_ASSERT_EQUAL(p[0].copies, 2);
	/* X at 7 on processor 0; on processor 1 the same bytes again at 7 but
	 * earlier (Y, another frame: it takes the key), and a later frame;
	 * Y is handed out (the watermark passed it), then the copy of X at 9 */
	const nev gone[] = { { 10 * s, 0, 0, 7, 0 }, { 5 * s, 1, 0, 7, 1 }, { 20 * s, 1, 1, 7, 1 },
			     { 10 * s + 10000, 0, 0, 9, 2 } };
	len = ndis_trace(b, 2, gone, 4, 3, NULL);
	CU_ASSERT_EQUAL(ndis_read(b, len, p, &folded), 4);
	CU_ASSERT_EQUAL(folded, 0);
}

/* Random traces of a few frames at interface 7, then at 7 and 9 from a
 * random event on (or never), over two to four processors, with gaps of
 * a second and more (so that packets are handed out while the lazy ones
 * are queued): read as they are, and with a first event at interface 11
 * that puts every packet in the fold table from the start, the packets
 * and their copies are the same. */
static void test_ndis_lazy_random(void)
{
	static uint8_t b[2][128 * NT_BUF];
	static npkt pa[512], pb[512];
	uint64_t seed = 0x2545f4914f6cdd1dULL, total_folded = 0;
	for (int round = 0; round < 3000; round++) {
#define RND() (seed ^= seed << 13, seed ^= seed >> 7, seed ^= seed << 17, seed)
		unsigned nproc = 2 + (unsigned)(RND() % 3);
		size_t n = 20 + RND() % 150, wake = RND() % (n + n / 2);
		unsigned frames = 1 + (unsigned)(RND() % 4), per_buf = 2 + (unsigned)(RND() % 8), gaps = 3 + (unsigned)(RND() % 20);
		nev ev[200];
		int64_t t = 10000000;
		for (size_t i = 0; i < n; i++) {
			uint64_t r = RND() % 100;
			t += r < gaps ? 6000000 + (int64_t)(RND() % 10000000) : r < 60 ? (int64_t)(RND() % 20000) : (int64_t)(RND() % 200000);
			ev[i] = (nev){ t, (uint8_t)(RND() % nproc), (uint8_t)(RND() % frames), i >= wake && RND() % 2 ? 9 : 7, 0 };
		}
		/* each processor's events into buffers of up to 9, the buffers in the order they fill (their last event) */
		int64_t last[128];
		unsigned nbuf = 0, cur[4] = { 0 }, fill[4] = { 0 };
		bool open[4] = { false };
		for (size_t i = 0; i < n; i++) {
			unsigned c = ev[i].cpu;
			if (!open[c] || fill[c] == per_buf) {
				cur[c] = nbuf++;
				fill[c] = 0;
				open[c] = true;
			}
			ev[i].buf = cur[c];
			fill[c]++;
			last[cur[c]] = ev[i].ts;
		}
		unsigned order[128], rank[128];
		for (unsigned k = 0; k < nbuf; k++)
			order[k] = k;
		for (unsigned k = 1; k < nbuf; k++) /* by last event, ties as made */
			for (unsigned j = k; j > 0 && last[order[j]] < last[order[j - 1]]; j--) {
				unsigned x = order[j];
				order[j] = order[j - 1];
				order[j - 1] = x;
			}
		for (unsigned k = 0; k < nbuf; k++)
			rank[order[k]] = k;
		for (size_t i = 0; i < n; i++)
			ev[i].buf = rank[ev[i].buf];
		nev waker = { 0, 0, 0xee, 11, 0 };
		for (size_t i = 0; i < n; i++)
			if (ev[i].buf == 0) {
				waker.ts = ev[i].ts;
				waker.cpu = ev[i].cpu;
				break;
			}
		size_t la = ndis_trace(b[0], nproc, ev, n, nbuf, NULL), lb = ndis_trace(b[1], nproc, ev, n, nbuf, &waker);
		uint64_t fa, fb;
		size_t ka = ndis_read(b[0], la, pa, &fa), kb = ndis_read(b[1], lb, pb, &fb);
		CU_ASSERT_EQUAL(ka, kb);
		CU_ASSERT_EQUAL(fa, fb);
		CU_ASSERT(ka == kb && memcmp(pa, pb, ka * sizeof *pa) == 0);
		if (ka != kb || fa != fb || memcmp(pa, pb, ka * sizeof *pa) != 0) {
			fprintf(stderr, "round %d: %zu/%zu packets, %llu/%llu folded\n", round, ka, kb,
				(unsigned long long)fa, (unsigned long long)fb);
			break;
		}
		total_folded += fa;
#undef RND
	}
	CU_ASSERT(total_folded > 100); /* copies were there to fold */
}

/* A 1003 (Hyper-V switch) event whose one destination is 8 bytes (the
 * manifest's "Destination" as published), not a PortId and three strings:
 * its fragment is found by the event's exact end. */
static void test_vmswitch_flat(void)
{
	static uint8_t b[8192];
	size_t n = header_buffer(b, 4096), at = n + 72;
	uint8_t frame[60] = { 0x01, 0x02, 0x03 };
	uint8_t *r = b + at;
	size_t len = ndis_record(r, 5, 0x200000000ULL | 0xc1000000ULL, frame, 0); /* header and 12 bytes: fixed below */
	(void)len;
	put16(r + 40, 1003);
	uint8_t *u = r + 80 + 12, *q = u;
	for (int s = 0; s < 3; s++) { /* port name "p", NIC name "n", NIC type "t" */
		q[0] = (uint8_t)"pnt"[s];
		q[1] = 0;
		q[2] = q[3] = 0;
		q += 4;
	}
	put32(q, 1); /* DestinationCount */
	memset(q + 4, 0x41, 8); /* one 8-byte destination: read as a PortId and strings, the event does not end exactly */
	q += 12;
	put32(q, sizeof frame);
	memcpy(q + 4, frame, sizeof frame);
	q += 4 + sizeof frame;
	put32(q, 8); /* OOBDataSize */
	q += 4 + 8;
	size_t size = (size_t)(q - r);
	put16(r, (uint16_t)size);
	at += (size + 7) & ~(size_t)7;
	put32(b + n, 4096);
	put32(b + n + 4, (uint32_t)(at - n));
	hs_etl *e = hs_etl_new_buffer(b, n + 4096, false, 0);
	hs_etl_packet p;
	CU_ASSERT_EQUAL(hs_etl_next(e, &p), 1);
	CU_ASSERT_EQUAL(p.caplen, sizeof frame);
	CU_ASSERT_EQUAL(memcmp(p.data, frame, sizeof frame), 0);
	CU_ASSERT_EQUAL(hs_etl_stats_get(e)->malformed, 0);
	hs_etl_free(e);
}

static void test_errors(void)
{
	static uint8_t b[4096];
	char err[256];
	size_t n = header_buffer(b, 65536);
	CU_ASSERT(hs_etl_detect(b, n));
	CU_ASSERT_EQUAL(read_all(b, n, err, sizeof err), -1);
	CU_ASSERT_PTR_NOT_NULL(strstr(err, "not a network trace"));
	/* a second buffer cut short */
	put32(b + n, 2048);
	put32(b + n + 4, 72);
	CU_ASSERT_EQUAL(read_all(b, n + 100, err, sizeof err), -1);
	CU_ASSERT_PTR_NOT_NULL(strstr(err, "truncated file"));
	/* a buffer larger than the log's buffer size */
	header_buffer(b, 1024);
	put32(b + n, 2048);
	CU_ASSERT_EQUAL(read_all(b, n + 2048, err, sizeof err), -1);
	CU_ASSERT_PTR_NOT_NULL(strstr(err, "corrupt buffer"));
	/* the log header's buffer size past ETW's 16 MiB */
	header_buffer(b, (16u << 20) + 1);
	CU_ASSERT_EQUAL(read_all(b, n, err, sizeof err), -1);
	CU_ASSERT_PTR_NOT_NULL(strstr(err, "buffer size"));
	CU_ASSERT_FALSE(hs_etl_detect((const uint8_t *)"\x0a\x0d\x0d\x0a", 4));
}

HS_UNIT_MAIN("etl",
	{ "XPRESS (MS-XCA 3.1 examples)", test_xpress },
	{ "XPRESS: random streams, fast path and tail", test_xpress_random },
	{ "LZNT1 (MS-XCA 3.3 example)", test_lznt1 },
#ifdef HS_HAVE_WIMLIB
	{ "XPRESS Huffman (wimlib's compressor)", test_xpress_huff },
#endif
	{ "NDIS: netsh's copies folded, truncated length, 802.11 Protected flag", test_ndis },
	{ "NDIS 1003 with 8-byte destinations", test_vmswitch_flat },
	{ "NDIS: copies from a second interface after packets queued out of the fold table", test_ndis_lazy },
	{ "NDIS: random traces read with the fold table from the start and from a second interface on",
	  test_ndis_lazy_random },
	{ "errors: no network events, truncated, oversized buffers", test_errors })
