/* tcp_test.c - TCP reassembly through the engine, with frames built in
 * memory and a test app recording what each direction receives. */
#include "unit.h"
#include "flowtest.h"

#define ISN_C 1000u
#define ISN_S 5000u

static void handshake(hs_engine *e, uint32_t ic, uint32_t is)
{
	ft_seg(e, 0, ic, 0, FT_SYN, NULL, 0);
	ft_seg(e, 1, is, ic + 1, FT_SYN | FT_ACK, NULL, 0);
	ft_seg(e, 0, ic + 1, is + 1, FT_ACK, NULL, 0);
}

static void test_in_order_and_close(void)
{
	hs_engine *e = ft_engine(NULL, FT_CONSUME_ALL);
	handshake(e, ISN_C, ISN_S);
	ft_seg(e, 0, ISN_C + 1, ISN_S + 1, FT_ACK | FT_PSH, "hello ", 6);
	ft_seg(e, 0, ISN_C + 7, ISN_S + 1, FT_ACK | FT_PSH, "world", 5);
	ft_seg(e, 1, ISN_S + 1, ISN_C + 12, FT_ACK | FT_PSH, "reply", 5);
	ft_seg(e, 0, ISN_C + 12, ISN_S + 6, FT_ACK | FT_FIN, NULL, 0);
	CU_ASSERT_EQUAL(ft.flows[0].eofs[0], 1);
	CU_ASSERT_EQUAL(ft.flows[0].closes, 0);
	ft_seg(e, 1, ISN_S + 6, ISN_C + 13, FT_ACK | FT_FIN, NULL, 0);
	CU_ASSERT_EQUAL(ft.nflows, 1);
	CU_ASSERT_EQUAL(ft.flows[0].len[0], 11);
	CU_ASSERT_NSTRING_EQUAL(ft.flows[0].data[0], "hello world", 11);
	CU_ASSERT_NSTRING_EQUAL(ft.flows[0].data[1], "reply", 5);
	CU_ASSERT_EQUAL(ft.flows[0].eofs[1], 1);
	CU_ASSERT_EQUAL(ft.flows[0].closes, 1);
	CU_ASSERT_EQUAL(ft.flows[0].gaps[0], 0);
	CU_ASSERT_EQUAL(ft.flows[0].cport, 40000);
	/* late ACK after close: absorbed, no new flow */
	ft_seg(e, 0, ISN_C + 13, ISN_S + 7, FT_ACK, NULL, 0);
	hs_engine_finish(e);
	CU_ASSERT_EQUAL(ft.nflows, 1);
	CU_ASSERT_EQUAL(ft.flows[0].closes, 1);
	CU_ASSERT_EQUAL(ft.nanoms, 0);
	CU_ASSERT_EQUAL(hs_engine_stats(e)->buffered_bytes, 0);
	hs_engine_free(e);
}

static void test_out_of_order(void)
{
	hs_engine *e = ft_engine(NULL, FT_CONSUME_ALL);
	handshake(e, ISN_C, ISN_S);
	ft_seg(e, 0, ISN_C + 9, ISN_S + 1, FT_ACK, "789", 3);
	ft_seg(e, 0, ISN_C + 5, ISN_S + 1, FT_ACK, "4567", 4); /* overlaps "7" partially */
	CU_ASSERT_EQUAL(ft.nflows, 0);
	ft_seg(e, 0, ISN_C + 1, ISN_S + 1, FT_ACK, "0123", 4);
	CU_ASSERT_EQUAL(ft.flows[0].len[0], 11);
	CU_ASSERT_NSTRING_EQUAL(ft.flows[0].data[0], "01234567789", 11);
	CU_ASSERT_EQUAL(ft.nanoms, 0);
	CU_ASSERT(hs_engine_stats(e)->peak_buffered_bytes >= 7);
	hs_engine_finish(e);
	CU_ASSERT_EQUAL(hs_engine_stats(e)->buffered_bytes, 0);
	hs_engine_free(e);
}

static void test_retransmission_first_wins(void)
{
	hs_engine *e = ft_engine(NULL, FT_CONSUME_ALL);
	handshake(e, ISN_C, ISN_S);
	/* delivered bytes, then a retransmission that says otherwise */
	ft_seg(e, 0, ISN_C + 1, ISN_S + 1, FT_ACK, "AAAA", 4);
	ft_seg(e, 0, ISN_C + 1, ISN_S + 1, FT_ACK, "BBBBBB", 6); /* 2 new bytes */
	/* queued out-of-order bytes, then a differing copy of them */
	ft_seg(e, 0, ISN_C + 9, ISN_S + 1, FT_ACK, "XXXX", 4);
	ft_seg(e, 0, ISN_C + 9, ISN_S + 1, FT_ACK, "YYYYYY", 6);
	CU_ASSERT_EQUAL(ft_count("tcp_overlap"), 1);
	ft_seg(e, 0, ISN_C + 7, ISN_S + 1, FT_ACK, "CC", 2);
	CU_ASSERT_EQUAL(ft.flows[0].len[0], 14);
	CU_ASSERT_NSTRING_EQUAL(ft.flows[0].data[0], "AAAABBCCXXXXYY", 14);
	hs_engine_finish(e);
	hs_engine_free(e);
}

static void test_partial_overlap(void)
{
	hs_engine *e = ft_engine(NULL, FT_CONSUME_ALL);
	handshake(e, ISN_C, ISN_S);
	ft_seg(e, 0, ISN_C + 1, 0, FT_ACK, "0123456789", 10);
	ft_seg(e, 0, ISN_C + 6, 0, FT_ACK, "56789abcde", 10);
	/* an out-of-order segment straddling two queued ones */
	ft_seg(e, 0, ISN_C + 18, 0, FT_ACK, "hi", 2);
	ft_seg(e, 0, ISN_C + 22, 0, FT_ACK, "lm", 2);
	ft_seg(e, 0, ISN_C + 17, 0, FT_ACK, "ghijklmn", 8);
	ft_seg(e, 0, ISN_C + 16, 0, FT_ACK, "f", 1);
	CU_ASSERT_EQUAL(ft.flows[0].len[0], 24);
	CU_ASSERT_NSTRING_EQUAL(ft.flows[0].data[0], "0123456789abcdefghijklmn", 24);
	CU_ASSERT_EQUAL(ft.nanoms, 0);
	hs_engine_finish(e);
	hs_engine_free(e);
}

static void test_gap_by_ack(void)
{
	hs_engine *e = ft_engine(NULL, FT_FRAMED);
	handshake(e, ISN_C, ISN_S);
	uint8_t r1[] = { 0, 0, 0, 2, 'a', 'b' };
	uint8_t r2[] = { 0, 0, 0, 3, 'c', 'd', 'e' }; /* lost */
	uint8_t r3[] = { 0, 0, 0, 1, 'f' };
	ft_seg(e, 0, ISN_C + 1, ISN_S + 1, FT_ACK, r1, sizeof r1);
	ft_seg(e, 0, ISN_C + 1 + 6 + 7, ISN_S + 1, FT_ACK, r3, sizeof r3);
	CU_ASSERT_EQUAL(ft.flows[0].msgs[0], 1);
	/* the server acknowledges everything: the 7 bytes were lost by the capture */
	ft_seg(e, 1, ISN_S + 1, ISN_C + 1 + 18, FT_ACK, NULL, 0);
	CU_ASSERT_EQUAL(ft_count("tcp_gap"), 1);
	CU_ASSERT_PTR_NOT_NULL(strstr(ft.anoms[0].detail, "7 bytes missing"));
	CU_ASSERT_EQUAL(ft.flows[0].gaps[0], 1);
	CU_ASSERT_EQUAL(ft.flows[0].msgs[0], 2);
	CU_ASSERT_EQUAL(hs_engine_stats(e)->tcp_gaps, 1);
	(void)r2;
	hs_engine_finish(e);
	hs_engine_free(e);
}

static void test_fin_after_ack_gap(void)
{
	hs_engine *e = ft_engine(NULL, FT_CONSUME_ALL);
	handshake(e, ISN_C, ISN_S);
	ft_seg(e, 0, ISN_C + 1, ISN_S + 1, FT_ACK, "abc", 3);
	ft_seg(e, 0, ISN_C + 10, ISN_S + 1, FT_ACK | FT_FIN, "xyz", 3); /* 6 bytes lost before */
	CU_ASSERT_EQUAL(ft.flows[0].eofs[0], 0);
	ft_seg(e, 1, ISN_S + 1, ISN_C + 14, FT_ACK | FT_FIN, NULL, 0); /* acks all, and FIN */
	CU_ASSERT_EQUAL(ft_count("tcp_gap"), 1);
	CU_ASSERT_EQUAL(ft.flows[0].eofs[0], 1);
	CU_ASSERT_EQUAL(ft.flows[0].eofs[1], 1);
	CU_ASSERT_EQUAL(ft.flows[0].closes, 1);
	CU_ASSERT_NSTRING_EQUAL(ft.flows[0].data[0], "abcxyz", 6);
	hs_engine_finish(e);
	hs_engine_free(e);
}

static void test_gap_at_fin(void)
{
	hs_engine *e = ft_engine(NULL, FT_CONSUME_ALL);
	handshake(e, ISN_C, ISN_S);
	ft_seg(e, 0, ISN_C + 1, ISN_S + 1, FT_ACK, "abc", 3);
	ft_seg(e, 0, ISN_C + 10, ISN_S + 1, FT_ACK | FT_FIN, "xyz", 3);
	CU_ASSERT_EQUAL(ft.flows[0].len[0], 3);
	hs_engine_finish(e);
	CU_ASSERT_EQUAL(ft_count("tcp_gap"), 1);
	CU_ASSERT_EQUAL(ft.flows[0].len[0], 6);
	CU_ASSERT_NSTRING_EQUAL(ft.flows[0].data[0], "abcxyz", 6);
	CU_ASSERT_EQUAL(ft.flows[0].gaps[0], 1);
	CU_ASSERT_EQUAL(ft.flows[0].eofs[0], 1);
	CU_ASSERT_EQUAL(ft.flows[0].closes, 1);
	hs_engine_free(e);
}

static void test_midstream_pickup(void)
{
	hs_engine *e = ft_engine(NULL, FT_CONSUME_ALL);
	/* first packet seen is the server's reply: orientation comes from the port */
	ft_seg(e, 1, 777777, 123, FT_ACK, "resp", 4);
	ft_seg(e, 0, 123, 777781, FT_ACK, "req", 3);
	CU_ASSERT_EQUAL(ft.nflows, 1);
	CU_ASSERT_EQUAL(ft.flows[0].cport, 40000);
	CU_ASSERT_NSTRING_EQUAL(ft.flows[0].data[1], "resp", 4);
	CU_ASSERT_NSTRING_EQUAL(ft.flows[0].data[0], "req", 3);
	CU_ASSERT_EQUAL(ft.flows[0].gaps[0], 1);
	CU_ASSERT_EQUAL(ft.flows[0].gaps[1], 1);
	CU_ASSERT_EQUAL(ft_count("tcp_gap"), 0);
	hs_engine_finish(e);
	hs_engine_free(e);
}

static void test_rst(void)
{
	hs_engine *e = ft_engine(NULL, FT_HOLD);
	handshake(e, ISN_C, ISN_S);
	ft_seg(e, 0, ISN_C + 1, ISN_S + 1, FT_ACK, "partial", 7);
	CU_ASSERT_EQUAL(ft.flows[0].len[0], 0);
	ft_seg(e, 1, ISN_S + 1, ISN_C + 8, FT_RST | FT_ACK, NULL, 0);
	CU_ASSERT_EQUAL(ft.flows[0].eofs[0], 1);
	CU_ASSERT_EQUAL(ft.flows[0].closes, 1);
	CU_ASSERT_NSTRING_EQUAL(ft.flows[0].data[0], "partial", 7);
	/* data after RST is ignored */
	ft_seg(e, 0, ISN_C + 8, ISN_S + 1, FT_ACK, "more", 4);
	CU_ASSERT_EQUAL(ft.flows[0].len[0], 7);
	hs_engine_finish(e);
	CU_ASSERT_EQUAL(ft.flows[0].closes, 1);
	hs_engine_free(e);
}

static void test_port_reuse(void)
{
	hs_engine *e = ft_engine(NULL, FT_CONSUME_ALL);
	handshake(e, ISN_C, ISN_S);
	ft_seg(e, 0, ISN_C + 1, ISN_S + 1, FT_ACK, "one", 3);
	ft_seg(e, 0, ISN_C + 4, ISN_S + 1, FT_ACK | FT_FIN, NULL, 0);
	ft_seg(e, 1, ISN_S + 1, ISN_C + 5, FT_ACK | FT_FIN, NULL, 0);
	/* same ports again */
	handshake(e, 90000, 70000);
	ft_seg(e, 0, 90001, 70001, FT_ACK, "two", 3);
	/* a SYN with a new ISN while open: yet another instance */
	handshake(e, 123456, 654321);
	ft_seg(e, 0, 123457, 654322, FT_ACK, "three", 5);
	hs_engine_finish(e);
	CU_ASSERT_EQUAL(ft.nflows, 3);
	CU_ASSERT(ft.flows[0].id != ft.flows[1].id && ft.flows[1].id != ft.flows[2].id);
	CU_ASSERT_NSTRING_EQUAL(ft.flows[0].data[0], "one", 3);
	CU_ASSERT_NSTRING_EQUAL(ft.flows[1].data[0], "two", 3);
	CU_ASSERT_NSTRING_EQUAL(ft.flows[2].data[0], "three", 5);
	CU_ASSERT_EQUAL(ft.flows[1].closes, 1);
	CU_ASSERT_EQUAL(hs_engine_stats(e)->flows, 3);
	/* a retransmitted SYN is not a new instance */
	hs_engine *e2 = ft_engine(NULL, FT_CONSUME_ALL);
	ft_seg(e2, 0, ISN_C, 0, FT_SYN, NULL, 0);
	ft_seg(e2, 0, ISN_C, 0, FT_SYN, NULL, 0);
	ft_seg(e2, 0, ISN_C + 1, 0, FT_ACK, "x", 1);
	hs_engine_finish(e2);
	CU_ASSERT_EQUAL(hs_engine_stats(e2)->flows, 1);
	hs_engine_free(e2);
	hs_engine_free(e);
}

static void test_seq_wraparound(void)
{
	hs_engine *e = ft_engine(NULL, FT_CONSUME_ALL);
	uint32_t isn = 0xfffffff8u;
	handshake(e, isn, ISN_S);
	/* bytes at 0xfffffff9 .. 0x00000008; sent out of order across the wrap */
	ft_seg(e, 0, 0x00000000u, 0, FT_ACK, "HIJKLMNO", 8);
	ft_seg(e, 0, isn + 1, 0, FT_ACK, "ABCDEFG", 7);
	ft_seg(e, 0, 0x00000008u, 0, FT_ACK | FT_FIN, "P", 1);
	CU_ASSERT_EQUAL(ft.flows[0].len[0], 16);
	CU_ASSERT_NSTRING_EQUAL(ft.flows[0].data[0], "ABCDEFGHIJKLMNOP", 16);
	CU_ASSERT_EQUAL(ft.flows[0].eofs[0], 1);
	CU_ASSERT_EQUAL(ft.nanoms, 0);
	hs_engine_finish(e);
	hs_engine_free(e);
}

static void test_flow_cap(void)
{
	hs_config c;
	hs_config_default(&c);
	c.max_flows = 2;
	hs_engine *e = ft_engine(&c, FT_CONSUME_ALL);
	static uint8_t buf[2000];
	for (uint16_t p = 1; p <= 5; p++) {
		size_t n = ft_tcp4(buf, FT_CLI, (uint16_t)(50000 + p), FT_SRV, FT_PORT, 1, 0, FT_ACK, "abc", 3);
		ft_feed_lt(e, HS_DLT_EN10MB, buf, n, 0);
	}
	CU_ASSERT_EQUAL(ft_count("flow_cap"), 3);
	CU_ASSERT_EQUAL(hs_engine_stats(e)->cap_hits, 3);
	CU_ASSERT_EQUAL(hs_engine_stats(e)->flows, 5);
	CU_ASSERT_EQUAL(ft.flows[0].closes, 1); /* the evicted flow was closed properly */
	hs_engine_finish(e);
	for (size_t i = 0; i < ft.nflows; i++)
		CU_ASSERT_EQUAL(ft.flows[i].closes, 1);
	hs_engine_free(e);
}

static void test_stream_cap(void)
{
	hs_config c;
	hs_config_default(&c);
	c.max_stream_buffer = 1000;
	hs_engine *e = ft_engine(&c, FT_FRAMED);
	handshake(e, ISN_C, ISN_S);
	/* a record announcing 5000 bytes cannot fit: anomaly, dropped, gap */
	uint8_t big[600] = { 0, 0, 0x13, 0x88 };
	ft_seg(e, 0, ISN_C + 1, 0, FT_ACK, big, sizeof big);
	CU_ASSERT_EQUAL(ft_count("pdu_too_large"), 1);
	CU_ASSERT_EQUAL(ft.flows[0].gaps[0], 1);
	/* records of unknown size pile up (header split): stream_cap */
	uint8_t rec[] = { 0, 0, 0, 2, 'o', 'k' };
	ft_seg(e, 0, ISN_C + 601, 0, FT_ACK, rec, sizeof rec);
	CU_ASSERT_EQUAL(ft.flows[0].msgs[0], 1);
	/* out-of-order data past the cap: the hole is given up */
	uint8_t blob[400];
	memset(blob, 0, sizeof blob);
	uint32_t at = ISN_C + 607 + 100;
	for (int i = 0; i < 4; i++, at += 400)
		ft_seg(e, 0, at, 0, FT_ACK, blob, sizeof blob);
	CU_ASSERT(ft_count("stream_cap") >= 1);
	CU_ASSERT(ft_count("tcp_gap") >= 1);
	CU_ASSERT(hs_engine_stats(e)->peak_buffered_bytes <= 1000 + 4096);
	CU_ASSERT(hs_engine_stats(e)->cap_hits >= 2);
	hs_engine_finish(e);
	CU_ASSERT_EQUAL(hs_engine_stats(e)->buffered_bytes, 0);
	hs_engine_free(e);
}

static void test_total_cap(void)
{
	hs_config c;
	hs_config_default(&c);
	c.max_total_buffer = 10000;
	hs_engine *e = ft_engine(&c, FT_HOLD);
	static uint8_t buf[3000], data[1400];
	memset(data, 'z', sizeof data);
	for (uint16_t p = 1; p <= 8; p++) {
		for (uint32_t s = 0; s < 3; s++) {
			size_t n = ft_tcp4(buf, FT_CLI, (uint16_t)(50000 + p), FT_SRV, FT_PORT, 1 + s * 1400, 0, FT_ACK,
					   data, sizeof data);
			ft_feed_lt(e, HS_DLT_EN10MB, buf, n, 0);
		}
	}
	CU_ASSERT(ft_count("memory_cap") >= 1);
	CU_ASSERT(hs_engine_stats(e)->peak_buffered_bytes <= 10000);
	hs_engine_finish(e);
	hs_engine_free(e);
}

/* Out-of-order runs (a GTree keyed by seq): ascending 1-byte segments after
 * a hole become one run; descending ones are one run each and each is
 * charged its overhead, so a million of them cannot hide behind a byte
 * count.  Either way the hole's arrival delivers everything in order. */
static void test_ooo_runs(void)
{
	for (int desc = 0; desc < 2; desc++) {
		hs_engine *e = ft_engine(NULL, FT_CONSUME_ALL);
		handshake(e, ISN_C, ISN_S);
		size_t base = hs_engine_stats(e)->buffered_bytes; /* the flow and its state */
		const int n = 1000;
		for (int k = 0; k < n; k++) {
			int i = desc ? n - 1 - k : k;
			char ch = (char)('a' + i % 26);
			ft_seg(e, 0, ISN_C + 2 + (uint32_t)i, ISN_S + 1, FT_ACK, &ch, 1);
		}
		size_t held = hs_engine_stats(e)->buffered_bytes - base;
		if (desc) {
			CU_ASSERT(held >= (size_t)n * 32); /* 1 byte + the run's overhead, each */
		} else {
			CU_ASSERT(held <= 2 * (size_t)n + 256); /* one run, capacity doubled */
		}
		CU_ASSERT_EQUAL(ft.nflows, 0);
		ft_seg(e, 0, ISN_C + 1, ISN_S + 1, FT_ACK, "<", 1);
		CU_ASSERT_EQUAL_FATAL(ft.flows[0].len[0], (size_t)n + 1);
		int bad = 0;
		for (int i = 0; i < n; i++)
			bad += ft.flows[0].data[0][i + 1] != (char)('a' + i % 26);
		CU_ASSERT_EQUAL(bad, 0);
		CU_ASSERT_EQUAL(hs_engine_stats(e)->buffered_bytes, base);
		CU_ASSERT_EQUAL(ft.nanoms, 0);
		hs_engine_finish(e);
		CU_ASSERT_EQUAL(hs_engine_stats(e)->buffered_bytes, 0);
		hs_engine_free(e);
	}
}

/* Flows and their parser state count against max_total_buffer: a new flow
 * that would pass it evicts the least recently active one (memory_cap,
 * evicted_flows), which is closed properly. */
static void test_flow_memory_eviction(void)
{
	hs_config c;
	hs_config_default(&c);
	c.max_total_buffer = 2048; /* a few flows' worth */
	hs_engine *e = ft_engine(&c, FT_CONSUME_ALL);
	static uint8_t buf[2000];
	for (uint16_t p = 1; p <= 20; p++) {
		size_t n = ft_tcp4(buf, FT_CLI, (uint16_t)(50000 + p), FT_SRV, FT_PORT, 1, 0, FT_ACK, "abc", 3);
		ft_feed_lt(e, HS_DLT_EN10MB, buf, n, 0);
	}
	const hs_stats *st = hs_engine_stats(e);
	CU_ASSERT(st->evicted_flows >= 10);
	CU_ASSERT_EQUAL(ft_count("memory_cap"), st->evicted_flows);
	CU_ASSERT(st->peak_buffered_bytes <= 2048);
	CU_ASSERT_EQUAL(ft.flows[0].closes, 1);
	CU_ASSERT_EQUAL(st->flows, 20);
	hs_engine_finish(e);
	CU_ASSERT_EQUAL(st->buffered_bytes, 0);
	hs_engine_free(e);
}

static void test_malformed(void)
{
	hs_engine *e = ft_engine(NULL, FT_FRAMED);
	handshake(e, ISN_C, ISN_S);
	uint8_t bad[] = { 0xff, 0xff, 0xff, 0xff, 1, 2, 3 };
	uint8_t ok[] = { 0, 0, 0, 1, 'x' };
	ft_seg(e, 0, ISN_C + 1, 0, FT_ACK, bad, sizeof bad);
	CU_ASSERT_EQUAL(ft_count("malformed_test"), 1);
	CU_ASSERT_EQUAL(ft.flows[0].gaps[0], 1);
	ft_seg(e, 0, ISN_C + 8, 0, FT_ACK, ok, sizeof ok);
	CU_ASSERT_EQUAL(ft.flows[0].msgs[0], 1);
	hs_engine_finish(e);
	hs_engine_free(e);
}

static void test_truncated_pdu_at_eof(void)
{
	hs_engine *e = ft_engine(NULL, FT_FRAMED);
	handshake(e, ISN_C, ISN_S);
	uint8_t part[] = { 0, 0, 0, 9, 'a', 'b' };
	ft_seg(e, 0, ISN_C + 1, 0, FT_ACK | FT_FIN, part, sizeof part);
	CU_ASSERT_EQUAL(ft_count("truncated_pdu"), 1);
	CU_ASSERT_EQUAL(ft.flows[0].eofs[0], 1);
	hs_engine_finish(e);
	hs_engine_free(e);
}

static void test_snaplen(void)
{
	hs_engine *e = ft_engine(NULL, FT_CONSUME_ALL);
	handshake(e, ISN_C, ISN_S);
	static uint8_t buf[3000];
	uint8_t data[1000];
	memset(data, 'q', sizeof data);
	size_t n = ft_tcp4(buf, FT_CLI, 40000, FT_SRV, FT_PORT, ISN_C + 1, ISN_S + 1, FT_ACK, data, sizeof data);
	ft_feed_lt(e, HS_DLT_EN10MB, buf, 54 + 100, n); /* 100 payload bytes captured */
	CU_ASSERT_EQUAL(ft.flows[0].len[0], 100);
	CU_ASSERT_EQUAL(ft_count("tcp_gap"), 1);
	ft_seg(e, 0, ISN_C + 1001, ISN_S + 1, FT_ACK, "next", 4);
	CU_ASSERT_EQUAL(ft.flows[0].len[0], 104);
	CU_ASSERT_EQUAL(ft.flows[0].gaps[0], 1);
	hs_engine_finish(e);
	hs_engine_free(e);
}

static void test_unrelated_traffic(void)
{
	hs_engine *e = ft_engine(NULL, FT_CONSUME_ALL);
	static uint8_t buf[2000];
	for (int i = 0; i < 100; i++) {
		size_t n = ft_tcp4(buf, "10.1.1.1", 443, "10.1.1.2", 51000, (uint32_t)(i * 10), 0, FT_ACK,
				   "0123456789", 10);
		ft_feed_lt(e, HS_DLT_EN10MB, buf, n, 0);
	}
	CU_ASSERT_EQUAL(hs_engine_stats(e)->flows, 0);
	CU_ASSERT_EQUAL(hs_engine_stats(e)->peak_buffered_bytes, 0);
	CU_ASSERT_EQUAL(hs_engine_stats(e)->packets, 100);
	hs_engine_finish(e);
	hs_engine_free(e);
}

/* Every way of cutting a stream of records into three segments, sent in
 * every order, delivers the same records. */
static void test_every_segmentation(void)
{
	uint8_t stream[64];
	size_t n = 0;
	for (int r = 0; r < 6; r++) {
		uint8_t l = (uint8_t)(r + 3);
		stream[n++] = 0; stream[n++] = 0; stream[n++] = 0; stream[n++] = l;
		for (int i = 0; i < l; i++)
			stream[n++] = (uint8_t)('a' + r);
	}
	static const int orders[6][3] = { { 0, 1, 2 }, { 0, 2, 1 }, { 1, 0, 2 }, { 1, 2, 0 }, { 2, 0, 1 }, { 2, 1, 0 } };
	unsigned bad = 0, runs = 0;
	for (size_t i = 1; i < n; i++) {
		for (size_t j = i; j < n; j++) {
			for (int o = 0; o < 6; o++) {
				hs_engine *e = ft_engine(NULL, FT_FRAMED);
				handshake(e, ISN_C, ISN_S);
				size_t cut[4] = { 0, i, j, n };
				for (int k = 0; k < 3; k++) {
					int s = orders[o][k];
					if (cut[s + 1] > cut[s])
						ft_seg(e, 0, ISN_C + 1 + (uint32_t)cut[s], ISN_S + 1, FT_ACK,
						       stream + cut[s], cut[s + 1] - cut[s]);
				}
				hs_engine_finish(e);
				runs++;
				if (ft.flows[0].msgs[0] != 6 || ft.flows[0].len[0] != n ||
				    memcmp(ft.flows[0].data[0], stream, n) != 0 || ft.nanoms)
					bad++;
				hs_engine_free(e);
			}
		}
	}
	CU_ASSERT_EQUAL(bad, 0);
	CU_ASSERT(runs > 1000);
}

HS_UNIT_MAIN("tcp",
	{ "in order, FIN both ways, late ACK", test_in_order_and_close },
	{ "out of order", test_out_of_order },
	{ "retransmission with other bytes: first wins", test_retransmission_first_wins },
	{ "partial overlaps", test_partial_overlap },
	{ "gap detected by the peer's ACK, resync", test_gap_by_ack },
	{ "gap at end of stream", test_gap_at_fin },
	{ "FIN reached through a hole given up by ACK", test_fin_after_ack_gap },
	{ "mid-stream pickup", test_midstream_pickup },
	{ "RST", test_rst },
	{ "port reuse gives new flow ids", test_port_reuse },
	{ "sequence wraparound", test_seq_wraparound },
	{ "flow cap", test_flow_cap },
	{ "stream cap and oversized PDU", test_stream_cap },
	{ "total buffer cap", test_total_cap },
	{ "out-of-order runs: coalesced, overhead counted", test_ooo_runs },
	{ "flows evicted by the memory budget", test_flow_memory_eviction },
	{ "malformed PDU: anomaly, gap, resync", test_malformed },
	{ "truncated PDU at end of stream", test_truncated_pdu_at_eof },
	{ "snaplen-cut segment", test_snaplen },
	{ "unrelated traffic keeps no state", test_unrelated_traffic },
	{ "every segmentation and order", test_every_segmentation })
