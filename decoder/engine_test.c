/* engine_test.c - the engine object: defaults, sinks, anomalies, expiry,
 * the parser-call contract. */
#include "unit.h"
#include "flowtest.h"

static void test_defaults(void)
{
	hs_config c;
	hs_config_default(&c);
	CU_ASSERT_EQUAL(c.max_flows, 100000);
	CU_ASSERT_EQUAL(c.max_stream_buffer, 4u << 20);
	CU_ASSERT_EQUAL(c.max_total_buffer, 512u << 20);
	CU_ASSERT_EQUAL(c.max_ip_fragments, 1024);
	CU_ASSERT_DOUBLE_EQUAL(c.flow_idle_timeout, 600.0, 1e-9);
	hs_engine *e = hs_engine_new(NULL);
	CU_ASSERT_PTR_NOT_NULL(e);
	CU_ASSERT_EQUAL(hs_engine_stats(e)->packets, 0);
	hs_engine_finish(e);
	hs_engine_free(e);
	hs_engine_free(NULL);
}

static char order[16];

static void sink_a(void *ud, const hs_msg *m)
{
	(void)ud;
	strncat(order, "a", sizeof order - strlen(order) - 1);
	CU_ASSERT_EQUAL(m->proto, HS_PROTO_KERBEROS);
	CU_ASSERT_EQUAL(m->meta->dport, FT_PORT);
	CU_ASSERT_EQUAL(m->meta->dir, 0);
	CU_ASSERT_EQUAL(m->meta->ipproto, 6);
	CU_ASSERT_PTR_NULL(m->carrier);
}

static void sink_b(void *ud, const hs_msg *m)
{
	(void)m;
	strncat(order, (const char *)ud, sizeof order - strlen(order) - 1);
}

static void test_sinks_in_order(void)
{
	order[0] = 0;
	hs_engine *e = ft_engine(NULL, FT_FRAMED);
	hs_engine_add_msg_sink(e, sink_a, NULL);
	hs_engine_add_msg_sink(e, sink_b, "b");
	uint8_t rec[] = { 0, 0, 0, 1, 'x', 0, 0, 0, 0 };
	ft_seg(e, 0, 1, 0, FT_ACK, rec, sizeof rec);
	CU_ASSERT_STRING_EQUAL(order, "abab");
	CU_ASSERT_EQUAL(hs_engine_stats(e)->decoded_messages, 2);
	hs_engine_finish(e);
	hs_engine_free(e);
}

static hs_parse_result chatty(hs_app_ctx *c, const uint8_t *p, size_t n)
{
	char big[2000];
	memset(big, 'd', sizeof big - 1);
	big[sizeof big - 1] = 0;
	hs_report_anomaly(c, "test_kind", "long: %s", big);
	return hs_parse_ok(n);
}

static const hs_app chatty_app = { "chatty", 0, chatty, NULL, NULL, NULL };

static const hs_app *chatty_resolve(uint8_t proto, uint16_t sp, uint16_t dp, bool *srv)
{
	*srv = sp == FT_PORT;
	return (sp == FT_PORT || dp == FT_PORT) ? &chatty_app : NULL;
}

static void test_anomaly_detail_bounded(void)
{
	hs_engine *e = ft_engine(NULL, FT_CONSUME_ALL);
	hs_engine_set_resolver(e, chatty_resolve);
	ft_seg(e, 0, 1, 0, FT_ACK, "abc", 3);
	CU_ASSERT_EQUAL(ft_count("test_kind"), 1);
	CU_ASSERT_EQUAL(ft.anoms[0].frame, 1);
	CU_ASSERT(strlen(ft.anoms[0].detail) < 512);
	CU_ASSERT_EQUAL(strncmp(ft.anoms[0].detail, "long: ddd", 9), 0);
	CU_ASSERT_EQUAL(hs_engine_stats(e)->anomalies, 1);
	hs_engine_finish(e); /* no gap/close functions: fine */
	hs_engine_free(e);
}

static void test_idle_expiry(void)
{
	hs_config c;
	hs_config_default(&c);
	c.flow_idle_timeout = 10;
	hs_engine *e = ft_engine(&c, FT_HOLD);
	ft_seg(e, 0, 1, 0, FT_ACK, "held", 4);
	CU_ASSERT_EQUAL(ft.flows[0].len[0], 0);
	ft.ts += 11LL * 1000000000;
	/* any later frame, even unrelated, expires the flow */
	static uint8_t buf[200];
	size_t n = ft_tcp4(buf, "10.9.9.9", 1, "10.9.9.8", 2, 0, 0, FT_ACK, NULL, 0);
	ft_feed_lt(e, HS_DLT_EN10MB, buf, n, 0);
	CU_ASSERT_EQUAL(ft.flows[0].eofs[0], 1);
	CU_ASSERT_EQUAL(ft.flows[0].closes, 1);
	CU_ASSERT_NSTRING_EQUAL(ft.flows[0].data[0], "held", 4);
	CU_ASSERT_EQUAL(hs_engine_stats(e)->buffered_bytes, 0);
	/* the same ports later are a new flow */
	ft_seg(e, 0, 5, 0, FT_ACK, "new", 3);
	CU_ASSERT_EQUAL(ft.nflows, 2);
	hs_engine_finish(e);
	CU_ASSERT_EQUAL(ft.flows[1].closes, 1);
	hs_engine_free(e);
}

static void test_udp_flow(void)
{
	hs_engine *e = ft_engine(NULL, FT_CONSUME_ALL);
	static uint8_t buf[200];
	size_t n = ft_udp4(buf, FT_SRV, FT_PORT, FT_CLI, 6000, "rep", 3); /* reply first */
	ft_feed_lt(e, HS_DLT_EN10MB, buf, n, 0);
	n = ft_udp4(buf, FT_CLI, 6000, FT_SRV, FT_PORT, "req", 3);
	ft_feed_lt(e, HS_DLT_EN10MB, buf, n, 0);
	CU_ASSERT_EQUAL(ft.nflows, 1);
	CU_ASSERT_EQUAL(ft.flows[0].cport, 6000);
	CU_ASSERT_EQUAL(ft.flows[0].datagrams[0], 1);
	CU_ASSERT_EQUAL(ft.flows[0].datagrams[1], 1);
	hs_engine_finish(e);
	CU_ASSERT_EQUAL(ft.flows[0].closes, 1);
	CU_ASSERT_EQUAL(ft.flows[0].eofs[0], 0);
	hs_engine_free(e);
}

HS_UNIT_MAIN("engine",
	{ "defaults", test_defaults },
	{ "message sinks in order", test_sinks_in_order },
	{ "anomaly detail bounded", test_anomaly_detail_bounded },
	{ "idle expiry", test_idle_expiry },
	{ "UDP flows", test_udp_flow })
