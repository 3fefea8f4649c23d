/* rdp_test.c - TPKT / X.224 / RDP_NEG_* on the examples of MS-RDPBCGR 4.1.1
 * and 4.1.2 and on the PDUs FreeRDP 2 sent in captures/generated/rdp/ (bytes
 * copied from the captures with tshark -e tcp.payload); every truncated
 * prefix before a guard page; hostile variants. */
#include "rdp.h"
#include "unit.h"

static size_t unhex(const char *h, unsigned char *out, size_t cap)
{
	size_t n = 0;
	for (; h[0] && h[1] && n < cap; h += 2)
		out[n++] = (unsigned char)((h[0] <= '9' ? h[0] - '0' : (h[0] | 0x20) - 'a' + 10) << 4 |
					   (h[1] <= '9' ? h[1] - '0' : (h[1] | 0x20) - 'a' + 10));
	return n;
}

/* MS-RDPBCGR 4.1.1 Client X.224 Connection Request PDU */
static const char spec_cr[] = "0300002c27e00000000000436f6f6b69653a206d737473686173683d656c746f6e730d0a"
			      "0100080000000000";
/* MS-RDPBCGR 4.1.2 Server X.224 Connection Confirm PDU */
static const char spec_cc[] = "030000130ed0000012340002000800000000 00";
/* FreeRDP 2.11 xfreerdp /sec:nla (nla-ok.pcap frame 4) and the shadow
 * server's answers: HYBRID (nla-ok frame 6), failure 5 (neg-failure frame 6) */
static const char frdp_cr[] = "0300002b26e00000000000436f6f6b69653a206d737473686173683d616c6963650d0a0100080003000000";
static const char frdp_cc_hybrid[] = "030000130ed000000000000203080002000000";
static const char frdp_cc_fail[] = "030000130ed000000000000300080005000000";

static void prefixes(const unsigned char *b, size_t len)
{
	for (size_t k = 0; k < len; k++) {
		hs_guard g = hs_guard_copy(b, k);
		hs_rdp_x224 x;
		CU_ASSERT(hs_rdp_x224_parse(g.p, k, &x) != HS_OK);
		CU_ASSERT_EQUAL(hs_rdp_tpkt_frame(g.p, k).status, HS_PARSE_INCOMPLETE);
		hs_guard_free(&g);
	}
	hs_parse_result r = hs_rdp_tpkt_frame(b, len);
	CU_ASSERT_EQUAL(r.status, HS_PARSE_OK);
	CU_ASSERT_EQUAL(r.consumed, len);
}

static size_t load(const char *hex, unsigned char *b)
{
	char clean[256];
	size_t n = 0;
	for (const char *p = hex; *p && n + 1 < sizeof clean; p++)
		if (*p != ' ')
			clean[n++] = *p;
	clean[n] = 0;
	return unhex(clean, b, 128);
}

static void test_spec_request(void)
{
	unsigned char b[128];
	size_t n = load(spec_cr, b);
	CU_ASSERT_EQUAL(n, 44);
	hs_rdp_x224 x;
	CU_ASSERT_EQUAL(hs_rdp_x224_parse(b, n, &x), HS_OK);
	CU_ASSERT_EQUAL(x.code, HS_RDP_X224_CR);
	CU_ASSERT_EQUAL(x.li, 0x27);
	CU_ASSERT(x.cookie.len == 6 && memcmp(x.cookie.p, "eltons", 6) == 0);
	CU_ASSERT_PTR_NULL(x.routing_token.p);
	CU_ASSERT(x.has_neg && x.neg_type == HS_RDP_NEG_REQ && x.neg_len == 8);
	CU_ASSERT_EQUAL(x.neg_value, HS_RDP_PROTOCOL_RDP);
	CU_ASSERT_EQUAL(x.extra, 0);
	prefixes(b, n);
}

static void test_spec_confirm(void)
{
	unsigned char b[128];
	size_t n = load(spec_cc, b);
	CU_ASSERT_EQUAL(n, 19);
	hs_rdp_x224 x;
	CU_ASSERT_EQUAL(hs_rdp_x224_parse(b, n, &x), HS_OK);
	CU_ASSERT_EQUAL(x.code, HS_RDP_X224_CC);
	CU_ASSERT_EQUAL(x.src_ref, 0x1234);
	CU_ASSERT(x.has_neg && x.neg_type == HS_RDP_NEG_RSP && x.neg_value == HS_RDP_PROTOCOL_RDP);
	prefixes(b, n);
}

static void test_freerdp(void)
{
	unsigned char b[128];
	size_t n = load(frdp_cr, b);
	hs_rdp_x224 x;
	CU_ASSERT_EQUAL(hs_rdp_x224_parse(b, n, &x), HS_OK);
	CU_ASSERT(x.cookie.len == 5 && memcmp(x.cookie.p, "alice", 5) == 0);
	CU_ASSERT_EQUAL(x.neg_value, HS_RDP_PROTOCOL_SSL | HS_RDP_PROTOCOL_HYBRID);
	prefixes(b, n);
	n = load(frdp_cc_hybrid, b);
	CU_ASSERT_EQUAL(hs_rdp_x224_parse(b, n, &x), HS_OK);
	CU_ASSERT(x.neg_type == HS_RDP_NEG_RSP && x.neg_flags == 3 && x.neg_value == HS_RDP_PROTOCOL_HYBRID);
	prefixes(b, n);
	n = load(frdp_cc_fail, b);
	CU_ASSERT_EQUAL(hs_rdp_x224_parse(b, n, &x), HS_OK);
	CU_ASSERT(x.neg_type == HS_RDP_NEG_FAILURE && x.neg_value == 5);
	CU_ASSERT_STRING_EQUAL(hs_rdp_failure_name(x.neg_value), "HYBRID_REQUIRED_BY_SERVER");
	prefixes(b, n);
}

static void test_routing_and_correlation(void)
{
	/* a load-balancer routing token instead of the cookie, HYBRID_EX and
	 * RDP_NEG_CORRELATION_INFO (MS-RDPBCGR 2.2.1.1.2) */
	unsigned char b[128];
	static const char tok[] = "Cookie: msts=3640205228.15629.0000\r\n";
	size_t tl = strlen(tok), n = 11;
	memcpy(b + n, tok, tl);
	n += tl;
	static const unsigned char neg[] = { 1, 8, 8, 0, 0x0b, 0, 0, 0 };
	memcpy(b + n, neg, sizeof neg);
	n += sizeof neg;
	b[n++] = 6, b[n++] = 0, b[n++] = 36, b[n++] = 0;
	for (int i = 0; i < 32; i++)
		b[n++] = (unsigned char)(i < 16 ? 0xa0 + i : 0);
	static const unsigned char hdr[] = { 3, 0, 0, 0, 0, 0xe0, 0, 0, 0, 0, 0 };
	memcpy(b, hdr, sizeof hdr);
	b[3] = (unsigned char)n;
	b[4] = (unsigned char)(n - 5);
	hs_rdp_x224 x;
	CU_ASSERT_EQUAL(hs_rdp_x224_parse(b, n, &x), HS_OK);
	CU_ASSERT_PTR_NULL(x.cookie.p);
	CU_ASSERT(x.routing_token.len == tl - 2 && memcmp(x.routing_token.p, tok, tl - 2) == 0);
	CU_ASSERT(x.neg_flags == 8 && x.neg_value == 0x0b);
	CU_ASSERT(x.has_correlation && x.correlation_id.len == 16 && x.correlation_id.p[15] == 0xaf);
	prefixes(b, n);
}

static void test_hostile(void)
{
	unsigned char b[128], c[128];
	size_t n = load(frdp_cr, b);
	hs_rdp_x224 x;
	/* not TPKT */
	memcpy(c, b, n);
	c[0] = 0x16;
	CU_ASSERT_EQUAL(hs_rdp_tpkt_frame(c, n).status, HS_PARSE_ERROR);
	CU_ASSERT_EQUAL(hs_rdp_x224_parse(c, n, &x), HS_E_MALFORMED);
	/* TPKT length below the smallest X.224 PDU */
	static const unsigned char tiny[] = { 3, 0, 0, 5, 0 };
	CU_ASSERT_EQUAL(hs_rdp_tpkt_frame(tiny, sizeof tiny).status, HS_PARSE_ERROR);
	/* LI that disagrees with the TPKT length */
	memcpy(c, b, n);
	c[4]++;
	CU_ASSERT_EQUAL(hs_rdp_x224_parse(c, n, &x), HS_E_MALFORMED);
	/* cookie without CR LF: the TPKT ends first */
	memcpy(c, b, n);
	c[n - 10] = 'x';
	CU_ASSERT_EQUAL(hs_rdp_x224_parse(c, n, &x), HS_E_MALFORMED);
	/* RDP_NEG_REQ with a wrong length field */
	memcpy(c, b, n);
	c[n - 6] = 9;
	CU_ASSERT_EQUAL(hs_rdp_x224_parse(c, n, &x), HS_E_MALFORMED);
	/* RDP_NEG_REQ cut (TPKT and LI shortened together) */
	memcpy(c, b, n);
	c[3] = (unsigned char)(n - 3);
	c[4] = (unsigned char)(n - 3 - 5);
	CU_ASSERT_EQUAL(hs_rdp_x224_parse(c, n - 3, &x), HS_E_TRUNCATED);
	/* an X.224 Data TPDU is not negotiation */
	static const unsigned char dt[] = { 3, 0, 0, 7, 2, 0xf0, 0x80 };
	CU_ASSERT_EQUAL(hs_rdp_x224_parse(dt, sizeof dt, &x), HS_E_UNSUPPORTED);
	/* unknown bytes after the negotiation request are counted */
	memcpy(c, b, n);
	c[n] = 0x55;
	c[3]++;
	c[4]++;
	CU_ASSERT_EQUAL(hs_rdp_x224_parse(c, n + 1, &x), HS_OK);
	CU_ASSERT_EQUAL(x.extra, 1);
	CU_ASSERT_STRING_EQUAL(hs_rdp_protocol_name(HS_RDP_PROTOCOL_HYBRID_EX), "hybrid_ex");
	CU_ASSERT_STRING_EQUAL(hs_rdp_authz_name(5), "AUTHZ_ACCESS_DENIED");
	CU_ASSERT_PTR_NULL(hs_rdp_failure_name(99));
}

HS_UNIT_MAIN("rdp", { "spec_request", test_spec_request }, { "spec_confirm", test_spec_confirm },
	     { "freerdp", test_freerdp }, { "routing_and_correlation", test_routing_and_correlation },
	     { "hostile", test_hostile })
