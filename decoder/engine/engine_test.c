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
	CU_ASSERT_EQUAL(c.max_total_buffer, 256u << 20);
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
	CU_ASSERT_EQUAL(m->carrier, HS_PROTO_NONE);
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
	hs_report_anomaly(c, HS_ANOM_PARSER_OVERRUN, "long: %s", big);
	return hs_parse_ok(n);
}

static const hs_app chatty_app = { "chatty", 0, chatty, NULL, NULL, NULL, HS_ANOM_NONE };

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
	CU_ASSERT_EQUAL(ft_count("parser_overrun"), 1);
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

/* DCE/RPC on a dynamic port (DCOM/WMI): no port names it, the first PDU the
 * client sends does; unrelated traffic on other ports creates no flow. */
static unsigned probe_msgs[HS_PROTO__COUNT];
static void probe_sink(void *ud, const hs_msg *m)
{
	(void)ud;
	probe_msgs[m->proto]++;
}

static void test_dynamic_port_probe(void)
{
	/* C706 12.6.4.3 bind: version 5.0, ptype 11, first|last, little
	 * endian drep, frag_length 72, one presentation context. */
	static const uint8_t bind[72] = {
		5, 0, 11, 3, 0x10, 0, 0, 0, 72, 0, 0, 0, 1, 0, 0, 0,
		0xb8, 0x10, 0xb8, 0x10, 0, 0, 0, 0,
		1, 0, 0, 0,
		0, 0, 1, 0,
		0xa0, 1, 0, 0, 0, 0, 0, 0, 0xc0, 0, 0, 0, 0, 0, 0, 0x46, 0, 0, 0, 0,
		0x04, 0x5d, 0x88, 0x8a, 0xeb, 0x1c, 0xc9, 0x11, 0x9f, 0xe8, 0x08, 0x00, 0x2b, 0x10, 0x48, 0x60, 2, 0, 0, 0 };
	static const uint8_t junk[] = "GET-ish bytes, not DCE/RPC";
	uint8_t buf[2000];
	memset(probe_msgs, 0, sizeof probe_msgs);
	hs_engine *e = hs_engine_new(NULL);
	hs_engine_add_msg_sink(e, probe_sink, NULL);
	hs_frame f = { 0, 1, 1, 0, HS_DLT_EN10MB, buf, 0, 0 };

	f.caplen = f.wirelen = ft_tcp4(buf, FT_CLI, 50000, FT_SRV, 50001, 1, 1, FT_ACK | FT_PSH, junk, sizeof junk);
	hs_engine_feed(e, &f);
	CU_ASSERT_EQUAL(hs_engine_stats(e)->flows, 0);

	f.caplen = f.wirelen = ft_tcp4(buf, FT_CLI, 50002, FT_SRV, 49700, 100, 0, FT_SYN, NULL, 0);
	hs_engine_feed(e, &f);
	CU_ASSERT_EQUAL(hs_engine_stats(e)->flows, 0);
	f.caplen = f.wirelen = ft_tcp4(buf, FT_CLI, 50002, FT_SRV, 49700, 101, 1, FT_ACK | FT_PSH, bind, sizeof bind);
	hs_engine_feed(e, &f);
	CU_ASSERT_EQUAL(hs_engine_stats(e)->flows, 1);
	CU_ASSERT_EQUAL(probe_msgs[HS_PROTO_DCERPC], 1);
	/* a second bind on the same connection finds the flow again */
	f.caplen = f.wirelen = ft_tcp4(buf, FT_CLI, 50002, FT_SRV, 49700, 101 + sizeof bind, 1, FT_ACK | FT_PSH, bind, sizeof bind);
	hs_engine_feed(e, &f);
	CU_ASSERT_EQUAL(hs_engine_stats(e)->flows, 1);
	CU_ASSERT_EQUAL(probe_msgs[HS_PROTO_DCERPC], 2);
	hs_engine_finish(e);
	hs_engine_free(e);
}

HS_UNIT_MAIN("engine",
	{ "defaults", test_defaults },
	{ "message sinks in order", test_sinks_in_order },
	{ "anomaly detail bounded", test_anomaly_detail_bounded },
	{ "idle expiry", test_idle_expiry },
	{ "UDP flows", test_udp_flow },
	{ "DCE/RPC found on a dynamic port by its first PDU", test_dynamic_port_probe })
