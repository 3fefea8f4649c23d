/* link_test.c - link-layer framing: each supported link type, tags,
 * truncation, and a UDP datagram delivered through each of them. */
#include "unit.h"
#include "flowtest.h"
#include "link.h"

/* IPv4 + UDP 10.0.0.20:5000 -> 10.0.0.10:88 "kdc" */
static size_t ip_udp(uint8_t *p)
{
	size_t o = ft_ipv4(p, FT_CLI, FT_SRV, 17, 11, 9, 0);
	ft_put16(p + o, 5000);
	ft_put16(p + o + 2, FT_PORT);
	ft_put16(p + o + 4, 11);
	ft_put16(p + o + 6, 0);
	memcpy(p + o + 8, "kdc", 3);
	return o + 11;
}

/* Frame the datagram under the given link header, decode it, deliver it. */
static void check(int lt, const uint8_t *hdr, size_t hlen, size_t want_off, unsigned tags)
{
	uint8_t f[200];
	if (hlen)
		memcpy(f, hdr, hlen);
	size_t n = hlen + ip_udp(f + hlen);
	hs_link l;
	CU_ASSERT_EQUAL_FATAL(hs_link_decode(lt, f, n, &l), HS_OK);
	CU_ASSERT_EQUAL(l.ethertype, HS_ETH_IPV4);
	CU_ASSERT_EQUAL(l.offset, want_off);
	CU_ASSERT_EQUAL(l.vlan_tags, tags);
	/* every truncated prefix of the link header is an error, never an over-read */
	for (size_t k = 0; k < want_off; k++) {
		hs_guard g = hs_guard_copy(f, k);
		hs_link x;
		CU_ASSERT_NOT_EQUAL(hs_link_decode(lt, g.p, k, &x), HS_OK);
		hs_guard_free(&g);
	}
	hs_engine *e = ft_engine(NULL, FT_CONSUME_ALL);
	ft_feed_lt(e, lt, f, n, 0);
	CU_ASSERT_EQUAL(ft.nflows, 1);
	CU_ASSERT_EQUAL(ft.flows[0].datagrams[0], 1);
	CU_ASSERT_NSTRING_EQUAL(ft.flows[0].data[0], "kdc", 3);
	hs_engine_finish(e);
	hs_engine_free(e);
}

static void test_ethernet(void)
{
	uint8_t h[14] = { 0 };
	ft_eth(h, 0x0800);
	check(HS_DLT_EN10MB, h, 14, 14, 0);
}

static void test_vlan(void)
{
	uint8_t h[18] = { 0 };
	ft_eth(h, 0x8100);
	h[14] = 0x00; h[15] = 0x64; /* VID 100 */
	ft_put16(h + 16, 0x0800);
	check(HS_DLT_EN10MB, h, 18, 18, 1);
}

static void test_qinq(void)
{
	uint8_t h[22] = { 0 };
	ft_eth(h, 0x88a8);
	ft_put16(h + 14, 10);
	ft_put16(h + 16, 0x8100);
	ft_put16(h + 18, 20);
	ft_put16(h + 20, 0x0800);
	check(HS_DLT_EN10MB, h, 22, 22, 2);
	ft_put16(h + 12, 0x9100); /* pre-standard QinQ */
	check(HS_DLT_EN10MB, h, 22, 22, 2);
}

static void test_vlan_loop(void)
{
	uint8_t h[60] = { 0 };
	ft_eth(h, 0x8100);
	for (int i = 14; i + 4 <= 60; i += 4)
		ft_put16(h + i + 2, 0x8100);
	hs_link l;
	CU_ASSERT_EQUAL(hs_link_decode(HS_DLT_EN10MB, h, sizeof h, &l), HS_E_MALFORMED);
}

static void test_llc_not_ip(void)
{
	uint8_t h[60] = { 0 };
	ft_eth(h, 0x0030); /* an 802.3 length */
	hs_link l;
	CU_ASSERT_EQUAL(hs_link_decode(HS_DLT_EN10MB, h, sizeof h, &l), HS_OK);
	CU_ASSERT_EQUAL(l.ethertype, 0);
}

static void test_sll(void)
{
	uint8_t h[16] = { 0, 0, 0, 1, 0, 6, 2, 0, 0, 0, 0, 0, 1, 0, 0x08, 0x00 };
	check(HS_DLT_LINUX_SLL, h, 16, 16, 0);
}

static void test_sll2(void)
{
	uint8_t h[20] = { 0x08, 0x00, 0, 0, 0, 0, 0, 2, 0, 1, 0, 6, 2, 0, 0, 0, 0, 1, 0, 0 };
	check(HS_DLT_LINUX_SLL2, h, 20, 20, 0);
}

static void test_raw(void)
{
	check(HS_DLT_RAW, NULL, 0, 0, 0);
	check(HS_DLT_RAW_ALT, NULL, 0, 0, 0);
	check(HS_DLT_IPV4, NULL, 0, 0, 0);
	uint8_t v6[48];
	ft_ipv6(v6, "2001:db8::1", "2001:db8::2", 59, 0);
	hs_link l;
	CU_ASSERT_EQUAL(hs_link_decode(HS_DLT_RAW, v6, 40, &l), HS_OK);
	CU_ASSERT_EQUAL(l.ethertype, HS_ETH_IPV6);
	CU_ASSERT_EQUAL(hs_link_decode(HS_DLT_IPV6, v6, 40, &l), HS_OK);
	CU_ASSERT_EQUAL(l.ethertype, HS_ETH_IPV6);
	uint8_t junk[4] = { 0x10, 0, 0, 0 };
	CU_ASSERT_EQUAL(hs_link_decode(HS_DLT_RAW, junk, 4, &l), HS_E_MALFORMED);
}

static void test_null_loop(void)
{
	uint8_t le[4] = { 2, 0, 0, 0 }, be[4] = { 0, 0, 0, 2 };
	check(HS_DLT_NULL, le, 4, 4, 0);
	check(HS_DLT_NULL, be, 4, 4, 0); /* written by a big-endian host */
	check(HS_DLT_LOOP, be, 4, 4, 0);
	uint8_t v6[44] = { 30, 0, 0, 0 }; /* Darwin AF_INET6 */
	ft_ipv6(v6 + 4, "::1", "::1", 59, 0);
	hs_link l;
	CU_ASSERT_EQUAL(hs_link_decode(HS_DLT_NULL, v6, 44, &l), HS_OK);
	CU_ASSERT_EQUAL(l.ethertype, HS_ETH_IPV6);
}

/* Native 802.11 data frames (LLC/SNAP), as pktmon logs them on Wi-Fi
 * adapters: plain data, QoS data, QoS + HT Control, four addresses. */
static void test_ieee802_11(void)
{
	static const uint8_t snap[8] = { 0xaa, 0xaa, 0x03, 0, 0, 0, 0x08, 0x00 };
	uint8_t h[48] = { 0 };
	h[0] = 0x08; h[1] = 0x01; /* data, to DS */
	memcpy(h + 24, snap, 8);
	check(HS_DLT_IEEE802_11, h, 32, 32, 0);
	memset(h, 0, sizeof h);
	h[0] = 0x88; h[1] = 0x02; /* QoS data, from DS */
	memcpy(h + 26, snap, 8);
	check(HS_DLT_IEEE802_11, h, 34, 34, 0);
	memset(h, 0, sizeof h);
	h[0] = 0x88; h[1] = 0x83; /* QoS data, to and from DS, +HTC */
	memcpy(h + 36, snap, 8);
	check(HS_DLT_IEEE802_11, h, 44, 44, 0);
	/* protected, null data, management and a non-SNAP LLC carry no readable IP */
	uint8_t f[64] = { 0 };
	hs_link l;
	f[0] = 0x08; f[1] = 0x41;
	memcpy(f + 24, snap, 8);
	CU_ASSERT_EQUAL(hs_link_decode(HS_DLT_IEEE802_11, f, sizeof f, &l), HS_OK);
	CU_ASSERT_EQUAL(l.ethertype, 0);
	f[1] = 0x01; f[0] = 0x48; /* null data */
	CU_ASSERT_EQUAL(hs_link_decode(HS_DLT_IEEE802_11, f, sizeof f, &l), HS_OK);
	CU_ASSERT_EQUAL(l.ethertype, 0);
	f[0] = 0x80; /* beacon */
	CU_ASSERT_EQUAL(hs_link_decode(HS_DLT_IEEE802_11, f, sizeof f, &l), HS_OK);
	CU_ASSERT_EQUAL(l.ethertype, 0);
	f[0] = 0x08; f[24] = 0x42; /* STP LLC */
	CU_ASSERT_EQUAL(hs_link_decode(HS_DLT_IEEE802_11, f, sizeof f, &l), HS_OK);
	CU_ASSERT_EQUAL(l.ethertype, 0);
	f[0] = 0x09; /* protocol version 1 */
	CU_ASSERT_EQUAL(hs_link_decode(HS_DLT_IEEE802_11, f, sizeof f, &l), HS_E_MALFORMED);
}

static void test_unsupported(void)
{
	uint8_t h[64] = { 0 };
	hs_link l;
	CU_ASSERT_FALSE(hs_linktype_supported(147));
	CU_ASSERT_EQUAL(hs_link_decode(147, h, sizeof h, &l), HS_E_UNSUPPORTED);
	hs_engine *e = ft_engine(NULL, FT_CONSUME_ALL);
	hs_frame f = { 0, 1, 0, 0, 147, h, sizeof h, sizeof h };
	CU_ASSERT_EQUAL(hs_engine_feed(e, &f), HS_E_UNSUPPORTED);
	CU_ASSERT_EQUAL(hs_engine_stats(e)->undecodable, 1);
	hs_engine_free(e);
	for (int lt = 0; lt < 300; lt++)
		CU_ASSERT_EQUAL(hs_linktype_supported(lt), hs_linktype_name(lt) != NULL);
}

HS_UNIT_MAIN("link",
	{ "Ethernet", test_ethernet },
	{ "802.1Q", test_vlan },
	{ "QinQ 802.1ad and 0x9100", test_qinq },
	{ "too many VLAN tags", test_vlan_loop },
	{ "802.3 LLC frame is not IP", test_llc_not_ip },
	{ "Linux SLL", test_sll },
	{ "Linux SLL2", test_sll2 },
	{ "raw IPv4/IPv6", test_raw },
	{ "BSD NULL and LOOP", test_null_loop },
	{ "native 802.11 data frames", test_ieee802_11 },
	{ "unsupported link type", test_unsupported })
