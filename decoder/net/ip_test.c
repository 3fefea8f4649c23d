/* ip_test.c - IPv4/IPv6 decoding and fragment reassembly through the
 * engine: a UDP datagram to the test app's port, cut into fragments. */
#include "unit.h"
#include "flowtest.h"

#define DGRAM_LEN 1000 /* UDP header + 992 payload bytes */

static uint8_t dgram[DGRAM_LEN];

static void make_dgram(void)
{
	ft_put16(dgram, 5000);
	ft_put16(dgram + 2, FT_PORT);
	ft_put16(dgram + 4, DGRAM_LEN);
	ft_put16(dgram + 6, 0);
	for (int i = 8; i < DGRAM_LEN; i++)
		dgram[i] = (uint8_t)(i * 7 + 3);
}

/* IPv4 fragment [off, off+len) of dgram (or of data when given). */
static void frag4(hs_engine *e, uint16_t id, size_t off, size_t len, bool more, const uint8_t *data)
{
	uint8_t f[2000];
	size_t o = ft_eth(f, 0x0800);
	o += ft_ipv4(f + o, FT_CLI, FT_SRV, 17, len, id, (uint16_t)((more ? 0x2000 : 0) | (off / 8)));
	memcpy(f + o, data ? data : dgram + off, len);
	ft_feed_lt(e, HS_DLT_EN10MB, f, o + len, 0);
}

static bool got_whole(void)
{
	return ft.nflows == 1 && ft.flows[0].datagrams[0] == 1 && ft.flows[0].len[0] == DGRAM_LEN - 8 &&
	       memcmp(ft.flows[0].data[0], dgram + 8, DGRAM_LEN - 8) == 0;
}

static void test_in_order(void)
{
	make_dgram();
	hs_engine *e = ft_engine(NULL, FT_CONSUME_ALL);
	frag4(e, 1, 0, 400, true, NULL);
	frag4(e, 1, 400, 400, true, NULL);
	CU_ASSERT_EQUAL(ft.nflows, 0);
	frag4(e, 1, 800, 200, false, NULL);
	CU_ASSERT(got_whole());
	CU_ASSERT_EQUAL(hs_engine_stats(e)->ip_fragments, 3);
	hs_engine_finish(e);
	CU_ASSERT_EQUAL(ft.nanoms, 0);
	hs_engine_free(e);
}

static void test_reverse(void)
{
	make_dgram();
	hs_engine *e = ft_engine(NULL, FT_CONSUME_ALL);
	frag4(e, 2, 800, 200, false, NULL);
	frag4(e, 2, 400, 400, true, NULL);
	frag4(e, 2, 0, 400, true, NULL);
	CU_ASSERT(got_whole());
	hs_engine_finish(e);
	CU_ASSERT_EQUAL(ft.nanoms, 0);
	hs_engine_free(e);
}

static void test_overlap(void)
{
	make_dgram();
	hs_engine *e = ft_engine(NULL, FT_CONSUME_ALL);
	uint8_t other[600];
	memset(other, 0xee, sizeof other);
	frag4(e, 3, 0, 400, true, NULL);
	frag4(e, 3, 200, 600, true, other); /* overlaps [200,400): first data wins */
	frag4(e, 3, 800, 200, false, NULL);
	CU_ASSERT_EQUAL(ft.nflows, 1);
	CU_ASSERT_EQUAL(ft.flows[0].len[0], DGRAM_LEN - 8);
	CU_ASSERT_EQUAL(memcmp(ft.flows[0].data[0], dgram + 8, 392), 0);
	CU_ASSERT_EQUAL(ft.flows[0].data[0][400 - 8], 0xee);
	CU_ASSERT_EQUAL(ft_count("ip_frag_overlap"), 1);
	/* a duplicate with the same bytes is not an anomaly */
	frag4(e, 4, 0, 400, true, NULL);
	frag4(e, 4, 0, 400, true, NULL);
	frag4(e, 4, 400, 600, false, NULL);
	CU_ASSERT_EQUAL(ft_count("ip_frag_overlap"), 1);
	CU_ASSERT_EQUAL(ft.flows[0].datagrams[0], 2);
	hs_engine_finish(e);
	hs_engine_free(e);
}

static void test_missing(void)
{
	make_dgram();
	hs_engine *e = ft_engine(NULL, FT_CONSUME_ALL);
	frag4(e, 5, 0, 400, true, NULL);
	frag4(e, 5, 800, 200, false, NULL);
	hs_engine_finish(e);
	CU_ASSERT_EQUAL(ft.nflows, 0);
	CU_ASSERT_EQUAL(ft_count("ip_frag_incomplete"), 1);
	hs_engine_free(e);

	/* and by timeout, 31 s of capture time later */
	e = ft_engine(NULL, FT_CONSUME_ALL);
	frag4(e, 6, 0, 400, true, NULL);
	ft.ts += 31LL * 1000000000;
	frag4(e, 7, 0, 400, true, NULL);
	CU_ASSERT_EQUAL(ft_count("ip_frag_incomplete"), 1);
	hs_engine_free(e);
}

static void test_caps(void)
{
	make_dgram();
	hs_config c;
	hs_config_default(&c);
	c.max_ip_fragments = 4;
	hs_engine *e = ft_engine(&c, FT_CONSUME_ALL);
	for (uint16_t id = 100; id < 110; id++)
		frag4(e, id, 0, 400, true, NULL);
	CU_ASSERT_EQUAL(ft_count("ip_frag_cap"), 6);
	CU_ASSERT_EQUAL(hs_engine_stats(e)->cap_hits, 6);
	/* a fragment reaching past 64 KiB */
	frag4(e, 200, 65528, 16, true, NULL);
	CU_ASSERT_EQUAL(ft_count("ip_frag_oversize"), 1);
	/* a non-final fragment that is not a multiple of 8 */
	frag4(e, 201, 0, 13, true, NULL);
	CU_ASSERT_EQUAL(ft_count("ip_frag_malformed"), 1);
	hs_engine_free(e);
}

static void test_ipv4_header(void)
{
	make_dgram();
	hs_engine *e = ft_engine(NULL, FT_CONSUME_ALL);
	uint8_t f[2000];
	/* options (IHL 6), Ethernet padding after the datagram */
	size_t o = ft_eth(f, 0x0800);
	ft_ipv4(f + o, FT_CLI, FT_SRV, 17, 4 + 40, 1, 0);
	f[o] = 0x46;
	memset(f + o + 20, 1, 4); /* NOPs */
	uint8_t *u = f + o + 24;
	ft_put16(u, 5000); ft_put16(u + 2, FT_PORT); ft_put16(u + 4, 40); ft_put16(u + 6, 0);
	memset(u + 8, 'p', 32);
	memset(u + 40, 0, 20); /* padding: not part of the datagram */
	ft_feed_lt(e, HS_DLT_EN10MB, f, o + 24 + 60, 0);
	CU_ASSERT_EQUAL(ft.flows[0].len[0], 32);
	/* bad version, short IHL: anomalies, no crash */
	f[o] = 0x55;
	ft_feed_lt(e, HS_DLT_EN10MB, f, o + 24 + 40, 0);
	f[o] = 0x43;
	ft_feed_lt(e, HS_DLT_EN10MB, f, o + 24 + 40, 0);
	CU_ASSERT_EQUAL(ft_count("ip_malformed"), 2);
	/* every prefix of the frame: never an over-read */
	f[o] = 0x46;
	for (size_t k = 0; k < o + 64; k++) {
		hs_guard g = hs_guard_copy(f, k);
		ft_feed_lt(e, HS_DLT_EN10MB, g.p, k, o + 64);
		hs_guard_free(&g);
	}
	hs_engine_finish(e);
	hs_engine_free(e);
}

static void test_ipv6_ext_headers(void)
{
	hs_engine *e = ft_engine(NULL, FT_CONSUME_ALL);
	uint8_t f[200];
	size_t o = ft_eth(f, 0x86dd);
	/* Hop-by-Hop (8) + Routing (24) + Destination Options (8) + UDP */
	size_t plen = 8 + 24 + 8 + 8 + 5;
	o += ft_ipv6(f + o, "2001:db8::20", "2001:db8::10", 0, plen);
	uint8_t *x = f + o;
	memset(x, 0, 40);
	x[0] = 43; x[1] = 0;        /* HBH -> Routing, 8 bytes */
	x[8] = 60; x[9] = 2;        /* Routing -> DstOpts, 24 bytes */
	x[32] = 17; x[33] = 0;      /* DstOpts -> UDP, 8 bytes */
	uint8_t *u = x + 40;
	ft_put16(u, 5000); ft_put16(u + 2, FT_PORT); ft_put16(u + 4, 13); ft_put16(u + 6, 0);
	memcpy(u + 8, "hello", 5);
	size_t n = o + plen;
	ft_feed_lt(e, HS_DLT_EN10MB, f, n, 0);
	CU_ASSERT_EQUAL(ft.nflows, 1);
	CU_ASSERT_NSTRING_EQUAL(ft.flows[0].data[0], "hello", 5);
	char a[64];
	CU_ASSERT_STRING_EQUAL(hs_addr_str(&ft.flows[0].cli, a, sizeof a), "2001:db8::20");
	for (size_t k = 0; k < n; k++) {
		hs_guard g = hs_guard_copy(f, k);
		ft_feed_lt(e, HS_DLT_EN10MB, g.p, k, n);
		hs_guard_free(&g);
	}
	hs_engine_finish(e);
	hs_engine_free(e);
}

static void frag6(hs_engine *e, uint32_t id, size_t off, size_t len, bool more)
{
	uint8_t f[2000];
	size_t o = ft_eth(f, 0x86dd);
	/* Destination Options before the Fragment header (unfragmentable part) */
	o += ft_ipv6(f + o, "2001:db8::20", "2001:db8::10", 60, 8 + 8 + len);
	memset(f + o, 0, 8);
	f[o] = 44;
	o += 8;
	f[o] = 17;
	f[o + 1] = 0;
	ft_put16(f + o + 2, (uint16_t)(off | (more ? 1 : 0)));
	ft_put32(f + o + 4, id);
	o += 8;
	memcpy(f + o, dgram + off, len);
	ft_feed_lt(e, HS_DLT_EN10MB, f, o + len, 0);
}

static void test_ipv6_fragments(void)
{
	make_dgram();
	hs_engine *e = ft_engine(NULL, FT_CONSUME_ALL);
	frag6(e, 77, 504, 496, false);
	frag6(e, 77, 0, 504, true);
	CU_ASSERT(got_whole());
	frag6(e, 78, 0, 504, true); /* never completed */
	hs_engine_finish(e);
	CU_ASSERT_EQUAL(ft_count("ip_frag_incomplete"), 1);
	hs_engine_free(e);
}

static void test_truncated_udp(void)
{
	make_dgram();
	hs_engine *e = ft_engine(NULL, FT_CONSUME_ALL);
	uint8_t f[2000];
	size_t o = ft_eth(f, 0x0800);
	o += ft_ipv4(f + o, FT_CLI, FT_SRV, 17, DGRAM_LEN, 1, 0);
	memcpy(f + o, dgram, DGRAM_LEN);
	ft_feed_lt(e, HS_DLT_EN10MB, f, o + 100, o + DGRAM_LEN); /* snaplen */
	CU_ASSERT_EQUAL(ft.flows[0].len[0], 92);
	CU_ASSERT_EQUAL(ft_count("truncated_datagram"), 1);
	hs_engine_finish(e);
	hs_engine_free(e);
}

HS_UNIT_MAIN("ip",
	{ "IPv4 fragments in order", test_in_order },
	{ "IPv4 fragments in reverse", test_reverse },
	{ "IPv4 overlapping fragments: first wins", test_overlap },
	{ "IPv4 missing fragment: anomaly, nothing delivered", test_missing },
	{ "fragment caps", test_caps },
	{ "IPv4 options, padding, bad headers, prefixes", test_ipv4_header },
	{ "IPv6 extension headers", test_ipv6_ext_headers },
	{ "IPv6 fragments", test_ipv6_fragments },
	{ "snaplen-cut UDP", test_truncated_udp })
