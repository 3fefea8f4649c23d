/* rdp_test.c - TPKT / X.224 / RDP_NEG_* on the examples of MS-RDPBCGR 4.1.1
 * and 4.1.2 and on the PDUs FreeRDP 2 sent in captures/generated/rdp/ (bytes
 * copied from the captures with tshark -e tcp.payload); every truncated
 * prefix before a guard page; hostile variants; the stream parser on whole
 * conversations (decoder/testdata/rdp: TCP payloads of
 * captures/generated/rdp/neg-failure and hybrid-ex-denied as [dir<<7 |
 * len>>8][len & 255][bytes] chunks) split at every point of each direction. */
#include "engine.h"
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


/* ------------------------------------------------ the stream parser */

static char events[4096];

static void on_msg(void *ud, const hs_msg *m)
{
	(void)ud;
	hs_out *o = hs_out_new(HS_OUT_JSON);
	hs_msg_describe(m, o, 0);
	size_t n;
	const char *t = hs_out_text(o, &n);
	/* keep the interesting fields only: the rest depends on nothing here */
	static const char *const keys[] = { "\"rdp_msg\":\"connection_request\"", "\"rdp_msg\":\"connection_confirm\"",
					    "\"failure\":\"HYBRID_REQUIRED_BY_SERVER\"", "\"authz\":\"AUTHZ_ACCESS_DENIED\"",
					    "\"credssp_msg\":\"ts_request\"", "\"stage\":\"refused\"",
					    "\"outcome\":\"refused\"", "\"outcome\":\"negotiation_failed\"", NULL };
	for (size_t i = 0; keys[i]; i++)
		if (strstr(t, keys[i]) && strlen(events) + strlen(keys[i]) + 2 < sizeof events) {
			strcat(events, keys[i]);
			strcat(events, "\n");
		}
	(void)n;
	hs_out_free(o);
}

static unsigned anomalies;
static void on_anomaly(void *ud, const hs_anomaly *a)
{
	(void)ud, (void)a;
	anomalies++;
}

typedef struct side {
	unsigned char *buf;
	size_t have;
} side;

static void feed(hs_app_ctx *ctx, side *s, const unsigned char *p, size_t n)
{
	if (n)
		memcpy(s->buf + s->have, p, n);
	s->have += n;
	size_t done = 0;
	while (done < s->have || (ctx->eof && !done)) {
		hs_parse_result r = hs_rdp_app.stream(ctx, s->buf + done, s->have - done);
		CU_ASSERT(r.status != HS_PARSE_ERROR);
		if (r.status != HS_PARSE_OK || !r.consumed)
			break;
		done += r.consumed;
	}
	memmove(s->buf, s->buf + done, s->have - done);
	s->have -= done;
}

/* Replay a conversation; the bytes of direction `dir` are cut once more,
 * `split` bytes into that direction's stream.  Returns the events. */
static const char *replay(const unsigned char *c, size_t len, hs_engine *e, int dir, size_t split)
{
	events[0] = 0;
	anomalies = 0;
	void *state = calloc(1, hs_rdp_app.state_size);
	side sd[2] = { { malloc(len), 0 }, { malloc(len), 0 } };
	size_t seen[2] = { 0, 0 };
	hs_meta meta;
	memset(&meta, 0, sizeof meta);
	meta.ipproto = 6;
	for (size_t at = 0; at + 2 <= len;) {
		int d = c[at] >> 7;
		size_t n = (size_t)(c[at] & 0x7f) << 8 | c[at + 1];
		at += 2;
		meta.dir = (uint8_t)d;
		hs_app_ctx ctx = { hs_engine_host(e), &meta, state, (uint8_t)d, false, false };
		if (d == dir && split > seen[d] && split < seen[d] + n) {
			size_t k = split - seen[d];
			feed(&ctx, &sd[d], c + at, k);
			feed(&ctx, &sd[d], c + at + k, n - k);
		} else {
			feed(&ctx, &sd[d], c + at, n);
		}
		seen[d] += n;
		at += n;
	}
	for (int d = 0; d < 2; d++) {
		meta.dir = (uint8_t)d;
		hs_app_ctx ctx = { hs_engine_host(e), &meta, state, (uint8_t)d, true, false };
		feed(&ctx, &sd[d], NULL, 0);
		CU_ASSERT_EQUAL(sd[d].have, 0);
	}
	hs_app_ctx ctx = { hs_engine_host(e), &meta, state, 0, true, false };
	hs_rdp_app.close(&ctx);
	free(state);
	free(sd[0].buf);
	free(sd[1].buf);
	return events;
}

static unsigned char *load_conv(const char *name, size_t *len)
{
	char path[512];
	snprintf(path, sizeof path, "%s/decoder/testdata/rdp/%s", getenv("HS_SOURCE") ? getenv("HS_SOURCE") : ".", name);
	return hs_read_file(path, len);
}

static void test_stream_negotiation_failure(void)
{
	size_t len;
	unsigned char *c = load_conv("neg-failure", &len);
	hs_engine *e = hs_engine_new(NULL);
	hs_engine_add_msg_sink(e, on_msg, NULL);
	hs_engine_set_anomaly_sink(e, on_anomaly, NULL);
	static const char want[] = "\"rdp_msg\":\"connection_request\"\n\"rdp_msg\":\"connection_confirm\"\n"
				   "\"failure\":\"HYBRID_REQUIRED_BY_SERVER\"\n\"failure\":\"HYBRID_REQUIRED_BY_SERVER\"\n"
				   "\"outcome\":\"negotiation_failed\"\n";
	for (int d = 0; d < 2; d++)
		for (size_t k = 0; k <= 43; k++) {
			CU_ASSERT_STRING_EQUAL(replay(c, len, e, d, k), want);
			CU_ASSERT_EQUAL(anomalies, 0);
		}
	hs_engine_free(e);
	free(c);
}

static void test_stream_hybrid_ex(void)
{
	size_t len;
	unsigned char *c = load_conv("hybrid-ex-denied", &len);
	char kl[512];
	snprintf(kl, sizeof kl, "%s/generated/rdp/hybrid-ex-denied.keylog",
		 getenv("HS_CAPTURES") ? getenv("HS_CAPTURES") : "captures");
	hs_engine *e = hs_engine_new(NULL);
	CU_ASSERT_EQUAL(hs_engine_add_keylog(e, kl), HS_OK);
	hs_engine_add_msg_sink(e, on_msg, NULL);
	hs_engine_set_anomaly_sink(e, on_anomaly, NULL);
	static const char want[] =
		"\"rdp_msg\":\"connection_request\"\n\"rdp_msg\":\"connection_confirm\"\n"
		"\"credssp_msg\":\"ts_request\"\n\"credssp_msg\":\"ts_request\"\n\"credssp_msg\":\"ts_request\"\n"
		"\"credssp_msg\":\"ts_request\"\n\"credssp_msg\":\"ts_request\"\n"
		"\"authz\":\"AUTHZ_ACCESS_DENIED\"\n\"stage\":\"refused\"\n\"outcome\":\"refused\"\n";
	/* every split point of the server's side (negotiation, TLS records,
	 * the 4-byte result) and of the client's first 400 bytes */
	size_t server_bytes = 0;
	for (size_t at = 0; at + 2 <= len;) {
		size_t n = (size_t)(c[at] & 0x7f) << 8 | c[at + 1];
		if (c[at] >> 7)
			server_bytes += n;
		at += 2 + n;
	}
	CU_ASSERT(server_bytes > 1000);
	for (size_t k = 0; k <= server_bytes; k += 1) {
		const char *ev = replay(c, len, e, 1, k);
		CU_ASSERT_STRING_EQUAL(ev, want);
		CU_ASSERT_EQUAL(anomalies, 0);
	}
	for (size_t k = 0; k <= 400; k++)
		CU_ASSERT_STRING_EQUAL(replay(c, len, e, 0, k), want);
	/* the Confirm after the client's ClientHello (merged captures out of
	 * order), or missing: the same decoding, one anomaly each */
	size_t at1 = 2 + ((size_t)(c[0] & 0x7f) << 8 | c[1]);                  /* chunk 1: the Confirm */
	size_t at2 = at1 + 2 + ((size_t)(c[at1] & 0x7f) << 8 | c[at1 + 1]);   /* chunk 2: ClientHello */
	size_t at3 = at2 + 2 + ((size_t)(c[at2] & 0x7f) << 8 | c[at2 + 1]);
	CU_ASSERT(c[at1] >> 7 == 1 && c[at2] >> 7 == 0);
	unsigned char *r = malloc(len);
	memcpy(r, c, at1);
	memcpy(r + at1, c + at2, at3 - at2);
	memcpy(r + at1 + (at3 - at2), c + at1, at2 - at1);
	memcpy(r + at3, c + at3, len - at3);
	CU_ASSERT_STRING_EQUAL(replay(r, len, e, 0, 0), want);
	CU_ASSERT_EQUAL(anomalies, 1); /* rdp_negotiation_lost */
	memcpy(r, c, at1);
	memcpy(r + at1, c + at2, len - at2);
	static const char want_nocc[] =
		"\"rdp_msg\":\"connection_request\"\n"
		"\"credssp_msg\":\"ts_request\"\n\"credssp_msg\":\"ts_request\"\n\"credssp_msg\":\"ts_request\"\n"
		"\"credssp_msg\":\"ts_request\"\n\"credssp_msg\":\"ts_request\"\n"
		"\"authz\":\"AUTHZ_ACCESS_DENIED\"\n\"stage\":\"refused\"\n\"outcome\":\"refused\"\n";
	CU_ASSERT_STRING_EQUAL(replay(r, len - (at2 - at1), e, 0, 0), want_nocc);
	CU_ASSERT_EQUAL(anomalies, 1);
	free(r);
	/* without the key log: the negotiation only, no verdict */
	hs_engine *e2 = hs_engine_new(NULL);
	hs_engine_add_msg_sink(e2, on_msg, NULL);
	CU_ASSERT_STRING_EQUAL(replay(c, len, e2, 0, 0),
			       "\"rdp_msg\":\"connection_request\"\n\"rdp_msg\":\"connection_confirm\"\n");
	hs_engine_free(e2);
	hs_engine_free(e);
	free(c);
}

HS_UNIT_MAIN("rdp", { "spec_request", test_spec_request }, { "spec_confirm", test_spec_confirm },
	     { "freerdp", test_freerdp }, { "routing_and_correlation", test_routing_and_correlation },
	     { "hostile", test_hostile }, { "stream_negotiation_failure", test_stream_negotiation_failure },
	     { "stream_hybrid_ex", test_stream_hybrid_ex })
