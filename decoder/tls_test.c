/* tls_test.c - TLS records, hellos, certificates and the key log store on
 * real OpenSSL bytes (captures/generated/tls), every truncated prefix before
 * a guard page.  Decryption is checked end to end against tshark by
 * tests/tls/diff_tls.py. */
#include "tls.h"
#include "unit.h"

static unsigned char *load(const char *name, size_t *len)
{
	char path[512];
	snprintf(path, sizeof path, "%s/decoder/testdata/tls/%s", getenv("HS_SOURCE") ? getenv("HS_SOURCE") : ".", name);
	return hs_read_file(path, len);
}

static void test_records_and_prefixes(void)
{
	const char *files[] = { "client_hello12.rec", "client_hello13.rec", "server_flight12.rec" };
	for (size_t f = 0; f < 3; f++) {
		size_t len;
		unsigned char *b = load(files[f], &len);
		/* walk the records: each whole, each prefix incomplete */
		size_t off = 0, n = 0;
		while (off < len) {
			hs_tls_record r;
			hs_parse_result pr = hs_tls_record_parse(b + off, len - off, &r);
			CU_ASSERT_EQUAL_FATAL(pr.status, HS_PARSE_OK);
			CU_ASSERT_EQUAL(r.type, HS_TLS_CT_HANDSHAKE);
			for (size_t k = 0; k < pr.consumed; k++) {
				hs_guard g = hs_guard_copy(b + off, k);
				hs_tls_record r2;
				hs_parse_result p2 = hs_tls_record_parse(g.p, k, &r2);
				CU_ASSERT_EQUAL(p2.status, HS_PARSE_INCOMPLETE);
				CU_ASSERT(p2.needed == (k < 5 ? 5 : pr.consumed));
				hs_guard_free(&g);
			}
			off += pr.consumed;
			n++;
		}
		CU_ASSERT(n >= 1);
		free(b);
	}
}

static void test_client_hello(void)
{
	size_t len;
	unsigned char *b = load("client_hello13.rec", &len);
	/* record header (5) + handshake header (4) */
	CU_ASSERT_EQUAL_FATAL(b[5], HS_TLS_HS_CLIENT_HELLO);
	size_t blen = (size_t)b[6] << 16 | b[7] << 8 | b[8];
	CU_ASSERT_EQUAL_FATAL(blen + 9, len);
	hs_tls_hello h;
	CU_ASSERT_EQUAL(hs_tls_hello_parse(b + 9, blen, false, &h), HS_OK);
	CU_ASSERT(hs_slice_eq(h.sni, "srv1.hop.test"));
	CU_ASSERT_EQUAL(h.nalpn, 1);
	CU_ASSERT(hs_slice_eq(h.alpn[0], "http/1.1"));
	CU_ASSERT_EQUAL(h.nversions, 1); /* s_client -tls1_3 */
	CU_ASSERT_EQUAL(h.versions[0], 0x0304);
	CU_ASSERT_EQUAL(h.nsuites >= 1, 1);
	CU_ASSERT_EQUAL(h.suites[0], 0x1301);
	/* every prefix: never OK before the fixed part, never a crash */
	for (size_t k = 0; k < blen; k++) {
		hs_guard g = hs_guard_copy(b + 9, k);
		hs_err e = hs_tls_hello_parse(g.p, k, false, &h);
		if (k < 2 + 32 + 1 + 2 + 1)
			CU_ASSERT(e != HS_OK);
		hs_guard_free(&g);
	}
	free(b);
}

static void test_server_flight(void)
{
	size_t len;
	unsigned char *b = load("server_flight12.rec", &len);
	/* the flight's handshake messages, as one stream of records */
	size_t off = 0;
	bool sh = false, cert = false;
	while (off + 5 <= len) {
		size_t rl = (size_t)b[off + 3] << 8 | b[off + 4];
		const unsigned char *m = b + off + 5;
		size_t mo = 0;
		while (mo + 4 <= rl) {
			size_t ml = (size_t)m[mo + 1] << 16 | m[mo + 2] << 8 | m[mo + 3];
			const unsigned char *body = m + mo + 4;
			if (m[mo] == HS_TLS_HS_SERVER_HELLO) {
				hs_tls_hello h;
				CU_ASSERT_EQUAL(hs_tls_hello_parse(body, ml, true, &h), HS_OK);
				CU_ASSERT_EQUAL(h.suite, 0xC02F);
				CU_ASSERT_FALSE(h.hrr);
				CU_ASSERT_STRING_EQUAL(hs_tls_suite_name(h.suite), "TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256");
				sh = true;
			}
			if (m[mo] == HS_TLS_HS_CERTIFICATE) {
				hs_tls_cert c;
				CU_ASSERT_EQUAL(hs_tls_certificate_parse(body, ml, false, &c), HS_OK);
				CU_ASSERT_EQUAL(c.ncerts, 1);
				CU_ASSERT(c.decoded);
				CU_ASSERT_PTR_NOT_NULL(strstr(c.subject, "CN=srv1.hop.test"));
				CU_ASSERT(c.self_signed);
				for (size_t k = 0; k < ml; k++) {
					hs_guard g = hs_guard_copy(body, k);
					CU_ASSERT(hs_tls_certificate_parse(g.p, k, false, &c) != HS_OK);
					hs_guard_free(&g);
				}
				cert = true;
			}
			mo += 4 + ml;
		}
		off += 5 + rl;
	}
	CU_ASSERT(sh && cert);
	free(b);
}

static void test_keylog_lines(void)
{
	hs_keylog *k = hs_keylog_new();
	char cr[65], line[400];
	memset(cr, 'a', 64);
	cr[64] = 0;
	snprintf(line, sizeof line, "CLIENT_RANDOM %s %0*d", cr, 96, 1);
	CU_ASSERT_EQUAL(hs_keylog_add_line(k, line, strlen(line)), HS_OK);
	CU_ASSERT_EQUAL(hs_keylog_add_line(k, "# comment", 9), HS_E_UNKNOWN);
	CU_ASSERT_EQUAL(hs_keylog_add_line(k, "", 0), HS_E_UNKNOWN);
	snprintf(line, sizeof line, "EXPORTER_SECRET %s %064d", cr, 1);
	CU_ASSERT_EQUAL(hs_keylog_add_line(k, line, strlen(line)), HS_E_UNKNOWN);
	snprintf(line, sizeof line, "CLIENT_RANDOM %s %0*d", cr, 94, 1); /* 47-byte master */
	CU_ASSERT_EQUAL(hs_keylog_add_line(k, line, strlen(line)), HS_E_MALFORMED);
	snprintf(line, sizeof line, "CLIENT_RANDOM %.62s %0*d", cr, 96, 1); /* 31-byte random */
	CU_ASSERT_EQUAL(hs_keylog_add_line(k, line, strlen(line)), HS_E_MALFORMED);
	snprintf(line, sizeof line, "SERVER_TRAFFIC_SECRET_0 %s %0*dx", cr, 63, 1); /* not hex */
	CU_ASSERT_EQUAL(hs_keylog_add_line(k, line, strlen(line)), HS_E_MALFORMED);
	snprintf(line, sizeof line, "SERVER_TRAFFIC_SECRET_0 %s %0*d", cr, 130, 1); /* 65 bytes: over the cap */
	CU_ASSERT_EQUAL(hs_keylog_add_line(k, line, strlen(line)), HS_E_MALFORMED);
	snprintf(line, sizeof line, "SERVER_TRAFFIC_SECRET_0 %s %064d extra", cr, 1);
	CU_ASSERT_EQUAL(hs_keylog_add_line(k, line, strlen(line)), HS_E_MALFORMED);
	uint8_t r[32];
	memset(r, 0xaa, 32);
	hs_slice s;
	CU_ASSERT(hs_keylog_get(k, r, HS_KL_CLIENT_RANDOM, &s));
	CU_ASSERT_EQUAL(s.len, 48);
	CU_ASSERT_EQUAL(s.p[47], 1);
	CU_ASSERT_FALSE(hs_keylog_get(k, r, HS_KL_SERVER_TRAFFIC_SECRET_0, &s));
	r[0] = 0;
	CU_ASSERT_FALSE(hs_keylog_get(k, r, HS_KL_CLIENT_RANDOM, &s));
	hs_keylog_free(k);
}

static void test_names(void)
{
	CU_ASSERT_STRING_EQUAL(hs_tls_alert_name(40), "handshake_failure");
	CU_ASSERT_STRING_EQUAL(hs_tls_version_name(0x0304), "TLS 1.3");
	CU_ASSERT_STRING_EQUAL(hs_tls_suite_name(0x1303), "TLS_CHACHA20_POLY1305_SHA256");
	CU_ASSERT_STRING_EQUAL(hs_tls_suite_name(0x3a3a), "GREASE");
	CU_ASSERT_PTR_NULL(hs_tls_suite_name(0x1234));
	CU_ASSERT(hs_tls_suite_decryptable(0xC027));
	CU_ASSERT_FALSE(hs_tls_suite_decryptable(0x000A));
}

static void test_not_tls(void)
{
	hs_tls_record r;
	CU_ASSERT_EQUAL(hs_tls_record_parse((const uint8_t *)"POST ", 5, &r).status, HS_PARSE_ERROR);
	CU_ASSERT_EQUAL(hs_tls_record_parse((const uint8_t *)"P", 1, &r).status, HS_PARSE_ERROR);
	static const uint8_t big[5] = { 0x17, 0x03, 0x03, 0x48, 0x01 }; /* 18433 > 2^14 + 2048 */
	CU_ASSERT_EQUAL(hs_tls_record_parse(big, 5, &r).err, HS_E_LIMIT);
	CU_ASSERT_FALSE(hs_tls_looks_like_record((const uint8_t *)"GET", 3));
}

HS_UNIT_MAIN("tls", { "records_and_prefixes", test_records_and_prefixes }, { "client_hello", test_client_hello },
	     { "server_flight", test_server_flight }, { "keylog_lines", test_keylog_lines }, { "names", test_names },
	     { "not_tls", test_not_tls })
