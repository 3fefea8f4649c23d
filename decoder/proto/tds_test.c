/* tds_test.c - MS-SQL TDS carrier.
 *
 * There is no real TDS capture among the zeek files, so:
 *  - tests/carriers/tds_freetds_{sql,ntlm}.txt: the CLIENT bytes are what the
 *    real FreeTDS 1.3 `tsql` sent (TDSVER=7.4) to a loopback listener; the
 *    SERVER bytes are hand-built by tests/carriers/tds_freetds.py from
 *    MS-TDS layouts (see that script);
 *  - the PRELOGIN request of MS-TDS section 4.1 ("Pre-Login Request"), as
 *    printed in the specification;
 *  - hand-built PDUs (marked below) for packet splitting and TLS. */
#include <stdarg.h>

#include "carriers/replay.h"
#include "tds.h"

static void test_tds_freetds_sql(void)
{
	rp_stream s;
	rp_load(&s, "tds_freetds_sql.txt");
	unsigned errors = 0;
	char *log = rp_replay(&s, &hs_tds_app, NULL, &errors);
	CU_ASSERT_EQUAL(errors, 0);
	CU_ASSERT_PTR_NULL(strstr(log, "! "));
	/* FreeTDS PRELOGIN: version 9.0.0.0, ENCRYPT_OFF, instance "MSSQLServer" */
	CU_ASSERT_EQUAL(rp_count(log, "\"kind\":\"prelogin\"", "\"version\":\"9.0.0.0\"", "\"encryption\":\"ENCRYPT_OFF\"",
				 "\"instance\":\"MSSQLServer\"", NULL), 1);
	CU_ASSERT_EQUAL(rp_count(log, "\"kind\":\"prelogin_response\"", "\"encryption\":\"ENCRYPT_NOT_SUP\"", "\"tls\":false", NULL), 1);
	/* LOGIN7, SQL authentication: user alice, TDS 7.4, the password flagged only */
	CU_ASSERT_EQUAL(rp_count(log, "\"kind\":\"login7\"", "\"tds_version\":\"0x74000004\"", "\"integrated_security\":false",
				 "\"user\":\"alice\"", "\"app\":\"TSQL\"", "\"library\":\"TDS-Library\"", "\"password_present\":true", NULL), 1);
	CU_ASSERT_PTR_NULL(strstr(log, "Secret1!"));
	CU_ASSERT_EQUAL(rp_count(log, "\"kind\":\"login_response\"", "\"number\":18456", "\"class\":14",
				 "\"message\":\"Login failed for user 'alice'.\"", "\"login_ok\":false", NULL), 1);
	g_free(log);

	/* with HS_DESCRIBE_SECRETS the obfuscated password is decoded (2.2.6.4) */
	size_t n;
	unsigned char *c = rp_direction(&s, 0, &n);
	size_t pre = ((size_t)c[2] << 8) | c[3];
	hs_tds_msg m;
	memset(&m, 0, sizeof m);
	size_t ll = ((size_t)c[pre + 2] << 8) | c[pre + 3];
	CU_ASSERT_EQUAL(hs_tds_decode(HS_TDS_KIND_LOGIN7, c + pre + 8, ll - 8, 0, &m), HS_OK);
	hs_out *o = hs_out_new(HS_OUT_JSON);
	hs_out_begin(o, NULL);
	hs_tds_describe(&m, o, HS_DESCRIBE_SECRETS);
	hs_out_end(o);
	CU_ASSERT_PTR_NOT_NULL(strstr(hs_out_text(o, NULL), "\"password\":\"Secret1!\""));
	hs_out_free(o);
	free(c);
	rp_free(&s);
}

static void test_tds_freetds_ntlm(void)
{
	rp_stream s;
	rp_load(&s, "tds_freetds_ntlm.txt");
	unsigned errors = 0;
	char *log = rp_replay(&s, &hs_tds_app, NULL, &errors);
	CU_ASSERT_EQUAL(errors, 0);
	CU_ASSERT_PTR_NULL(strstr(log, "! "));
	/* LOGIN7 with fIntSecurity and an SSPI NTLM NEGOTIATE (domain HOP) */
	CU_ASSERT_EQUAL(rp_count(log, "\"kind\":\"login7\"", "\"integrated_security\":true", "\"user\":\"\"",
				 "\"password_present\":false", "\"sspi_len\":45", NULL), 1);
	CU_ASSERT_EQUAL(rp_count(log, "\"proto\":\"ntlmssp\"", "\"carrier\":\"tds\"", "\"msg\":\"NEGOTIATE\"", "\"domain\":\"HOP\"", NULL), 1);
	/* the server's SSPI token (CHALLENGE) and the client's SSPI message (AUTHENTICATE HOP\alice) */
	CU_ASSERT_EQUAL(rp_count(log, "\"kind\":\"login_response\"", "\"sspi_len\":138", NULL), 1);
	CU_ASSERT_EQUAL(rp_count(log, "\"carrier\":\"tds\"", "\"msg\":\"CHALLENGE\"", NULL), 1);
	CU_ASSERT_EQUAL(rp_count(log, "\"kind\":\"sspi\"", "\"type\":\"SSPI\"", NULL), 1);
	CU_ASSERT_EQUAL(rp_count(log, "\"carrier\":\"tds\"", "\"msg\":\"AUTHENTICATE\"", "\"user\":\"alice\"", "\"domain\":\"HOP\"", NULL), 1);
	/* the double hop's signature on SQL */
	CU_ASSERT_EQUAL(rp_count(log, "\"number\":18456", "Login failed for user 'NT AUTHORITY\\\\ANONYMOUS LOGON'.", NULL), 1);
	g_free(log);
	rp_free(&s);
}

static void test_tds_every_split(void)
{
	const char *files[] = { "tds_freetds_sql.txt", "tds_freetds_ntlm.txt" };
	for (unsigned i = 0; i < 2; i++) {
		rp_stream s;
		rp_load(&s, files[i]);
		CU_ASSERT_EQUAL(rp_every_split(&s, &hs_tds_app), 0);
		rp_free(&s);
	}
}

/* Every prefix of every packet before a guard page: the framer says
 * incomplete; the decoders never over-read (guard page) and the fully
 * parsed kinds fail. */
static void test_tds_every_prefix(void)
{
	const char *files[] = { "tds_freetds_sql.txt", "tds_freetds_ntlm.txt" };
	static const hs_tds_kind kinds[] = { HS_TDS_KIND_PRELOGIN, HS_TDS_KIND_LOGIN7, HS_TDS_KIND_LOGIN_RESPONSE };
	for (unsigned f = 0; f < 2; f++) {
		rp_stream s;
		rp_load(&s, files[f]);
		for (int dir = 0; dir < 2; dir++) {
			size_t n;
			unsigned char *p = rp_direction(&s, dir, &n);
			size_t at = 0;
			while (at < n) {
				uint8_t t, st;
				hs_parse_result r = hs_tds_packet(p + at, n - at, &t, &st);
				CU_ASSERT_EQUAL_FATAL(r.status, HS_PARSE_OK);
				for (size_t j = 0; j < r.consumed; j++) {
					hs_guard g = hs_guard_copy(p + at, j);
					CU_ASSERT_EQUAL(hs_tds_packet(g.p, j, &t, &st).status, HS_PARSE_INCOMPLETE);
					hs_guard_free(&g);
				}
				size_t pl = r.consumed - HS_TDS_HEADER;
				for (unsigned k = 0; k < 3; k++) {
					for (size_t j = 0; j < pl; j++) {
						hs_guard g = hs_guard_copy(p + at + HS_TDS_HEADER, j);
						hs_tds_msg m;
						memset(&m, 0, sizeof m);
						hs_err e = hs_tds_decode(kinds[k], g.p, j, 0, &m);
						if (kinds[k] == HS_TDS_KIND_LOGIN7 && t == HS_TDS_LOGIN7)
							CU_ASSERT_NOT_EQUAL(e, HS_OK);
						hs_guard_free(&g);
					}
				}
				at += r.consumed;
			}
			free(p);
		}
		rp_free(&s);
	}
}

/* MS-TDS 4.1 "Pre-Login Request" as printed in the specification. */
static void test_tds_spec_prelogin(void)
{
	unsigned char b[64];
	size_t n = hs_unhex("12 01 00 2F 00 00 01 00 00 00 1A 00 06 01 00 20 00 01 02 00 21 00 01 03 00 22 00 04"
			    " 04 00 26 00 01 FF 09 00 00 00 00 00 01 00 B8 0D 00 00 01", b, sizeof b);
	CU_ASSERT_EQUAL(n, 0x2f);
	uint8_t t, st;
	hs_parse_result r = hs_tds_packet(b, n, &t, &st);
	CU_ASSERT_EQUAL(r.status, HS_PARSE_OK);
	CU_ASSERT_EQUAL(r.consumed, 0x2f);
	CU_ASSERT_EQUAL(t, HS_TDS_PRELOGIN);
	hs_tds_msg m;
	memset(&m, 0, sizeof m);
	CU_ASSERT_EQUAL(hs_tds_decode(HS_TDS_KIND_PRELOGIN, b + 8, n - 8, 0, &m), HS_OK);
	/* option data "09 00 00 00 00 00 | 01 | 00 | B8 0D 00 00 | 01": VERSION 9.0.0.0,
	 * ENCRYPTION 0x01 = ENCRYPT_ON, INSTOPT "", THREADID, MARS 0x01 */
	CU_ASSERT(m.has_version);
	CU_ASSERT_EQUAL(m.ver_major, 9);
	CU_ASSERT(m.has_encryption);
	CU_ASSERT_EQUAL(m.encryption, HS_TDS_ENCRYPT_ON);
	CU_ASSERT(m.has_mars);
	CU_ASSERT_EQUAL(m.mars, 1);
	CU_ASSERT_EQUAL(m.instance.len, 1);
}

/* Hand-built: a LOGIN7 split over two packets (first without EOM), a TLS
 * handshake inside PRELOGIN, raw TLS records afterwards, an unknown type. */
static void test_tds_packets_and_tls(void)
{
	rp_stream s;
	rp_load(&s, "tds_freetds_sql.txt");
	size_t n;
	unsigned char *c = rp_direction(&s, 0, &n);
	size_t pre = ((size_t)c[2] << 8) | c[3];
	size_t ll = ((size_t)c[pre + 2] << 8) | c[pre + 3];
	const unsigned char *login = c + pre + 8;
	size_t plen = ll - 8, half = plen / 2;
	unsigned char buf[1024];
	size_t w = 0;
	/* packet 1: type 0x10, status 0 (not EOM) */
	buf[w++] = 0x10; buf[w++] = 0x00; buf[w++] = (unsigned char)((8 + half) >> 8); buf[w++] = (unsigned char)(8 + half);
	buf[w++] = 0; buf[w++] = 0; buf[w++] = 1; buf[w++] = 0;
	memcpy(buf + w, login, half);
	w += half;
	buf[w++] = 0x10; buf[w++] = 0x01; buf[w++] = (unsigned char)((8 + plen - half) >> 8); buf[w++] = (unsigned char)(8 + plen - half);
	buf[w++] = 0; buf[w++] = 0; buf[w++] = 2; buf[w++] = 0;
	memcpy(buf + w, login + half, plen - half);
	w += plen - half;
	/* then a TLS-handshake PRELOGIN and two raw TLS records */
	static const unsigned char tail[] = { 0x12, 0x01, 0x00, 0x0e, 0, 0, 1, 0, 0x16, 0x03, 0x01, 0x00, 0x01, 0x01,
					      0x17, 0x03, 0x03, 0x00, 0x02, 'a', 'b', 0x17, 0x03, 0x03, 0x00, 0x01, 'c' };
	memcpy(buf + w, tail, sizeof tail);
	w += sizeof tail;
	char *whole = rp_split(&hs_tds_app, 0, buf, w, w, false);
	CU_ASSERT_PTR_NOT_NULL(strstr(whole, "\"kind\":\"login7\""));
	CU_ASSERT_PTR_NOT_NULL(strstr(whole, "\"packets\":2"));
	CU_ASSERT_PTR_NOT_NULL(strstr(whole, "\"user\":\"alice\""));
	CU_ASSERT_PTR_NOT_NULL(strstr(whole, "\"tls_handshake\":true"));
	CU_ASSERT_EQUAL(rp_count(whole, "\"kind\":\"tls\"", NULL), 1);
	CU_ASSERT_PTR_NULL(strstr(whole, "! "));
	for (size_t k = 0; k < w; k++) {
		char *x = rp_split(&hs_tds_app, 0, buf, w, k, false);
		CU_ASSERT_STRING_EQUAL(x, whole);
		g_free(x);
	}
	g_free(whole);
	free(c);
	rp_free(&s);

	uint8_t t, st;
	CU_ASSERT_EQUAL(hs_tds_packet((const uint8_t *)"\x42\x01\x00\x08\0\0\0\0", 8, &t, &st).status, HS_PARSE_ERROR);
	CU_ASSERT_EQUAL(hs_tds_packet((const uint8_t *)"\x12\x01\x00\x04\0\0\0\0", 8, &t, &st).status, HS_PARSE_ERROR);
	CU_ASSERT_STRING_EQUAL(hs_tds_encryption_name(HS_TDS_ENCRYPT_REQ), "ENCRYPT_REQ");
}

HS_UNIT_MAIN("tds",
	{ "FreeTDS SQL-auth login refused with 18456 (client bytes real)", test_tds_freetds_sql },
	{ "FreeTDS NTLM login, SSPI tokens, ANONYMOUS LOGON 18456 (client bytes real)", test_tds_freetds_ntlm },
	{ "every split point of both directions", test_tds_every_split },
	{ "every truncated prefix of every packet", test_tds_every_prefix },
	{ "MS-TDS 4.1 Pre-Login Request example", test_tds_spec_prelogin },
	{ "LOGIN7 over two packets, TLS in PRELOGIN, raw TLS records", test_tds_packets_and_tls })
