/* ldap_test.c - LDAP carrier: real connections from the zeek captures
 * (tests/carriers/ldap_sasl_ntlm.txt from ldap_sasl-ntlm.pcap,
 * ldap_krb5_sign_seal.txt from ldap_krb5-sign-seal-01.pcap) checked against
 * tshark 4.0 (ldap.messageID, ldap.protocolOp, ldap.resultCode,
 * ldap.mechanism, ldap.errorMessage, ldap.sasl_buffer_length,
 * ntlmssp.auth.*), plus hand-built BER for what they lack (Windows 0x84
 * lengths, simple and sicily binds, StartTLS), built from RFC 4511 4.2 and
 * MS-ADTS 5.1.1.1.3 layouts. */
#include <stdarg.h>

#include "carriers/replay.h"
#include "ldap.h"

static void test_ldap_sasl_ntlm(void)
{
	rp_stream s;
	rp_load(&s, "ldap_sasl_ntlm.txt");
	unsigned errors = 0, msgs = 0;
	char *log = rp_replay(&s, &hs_ldap_app, &msgs, &errors);
	CU_ASSERT_EQUAL(errors, 0);
	CU_ASSERT_PTR_NULL(strstr(log, "! "));
	/* frame 4: bindRequest(1) SASL NTLM */
	CU_ASSERT_EQUAL(rp_count(log, "\"message_id\":1", "\"op\":\"bindRequest\"", "\"mechanism\":\"NTLM\"", NULL), 1);
	/* frame 6: bindResponse(1) saslBindInProgress (14), "SASL(0): successful result: " */
	CU_ASSERT_EQUAL(rp_count(log, "\"op\":\"bindResponse\"", "\"result_code\":14", "\"result\":\"saslBindInProgress\"",
				 "\"diagnostic_message\":\"SASL(0): successful result: \"", NULL), 1);
	/* the three NTLM messages reached the dispatcher; user sasladmin@slapd.ldap, domain LOCALHOST */
	CU_ASSERT_EQUAL(rp_count(log, "\"proto\":\"ntlmssp\"", "\"carrier\":\"ldap\"", NULL), 3);
	CU_ASSERT_EQUAL(rp_count(log, "\"proto\":\"ntlmssp\"", "\"user\":\"sasladmin@slapd.ldap\"", "\"domain\":\"LOCALHOST\"", NULL), 1);
	/* frame 9 success, 11 searchRequest(3), 9 searchResEntry, 22 searchResDone success, 24 unbind */
	CU_ASSERT_EQUAL(rp_count(log, "\"message_id\":2", "\"op\":\"bindResponse\"", "\"result\":\"success\"", NULL), 1);
	CU_ASSERT_EQUAL(rp_count(log, "\"op\":\"searchRequest\"", "\"dn\":\"dc=example,dc=com\"", "\"scope\":\"wholeSubtree\"", NULL), 1);
	CU_ASSERT_EQUAL(rp_count(log, "\"op\":\"searchResEntry\"", NULL), 9);
	CU_ASSERT_EQUAL(rp_count(log, "\"op\":\"searchResDone\"", "\"result_code\":0", NULL), 1);
	CU_ASSERT_EQUAL(rp_count(log, "\"message_id\":4", "\"op\":\"unbindRequest\"", NULL), 1);
	g_free(log);
	rp_free(&s);
}

static void test_ldap_sign_seal(void)
{
	rp_stream s;
	rp_load(&s, "ldap_krb5_sign_seal.txt");
	unsigned errors = 0;
	char *log = rp_replay(&s, &hs_ldap_app, NULL, &errors);
	CU_ASSERT_EQUAL(errors, 0);
	CU_ASSERT_PTR_NULL(strstr(log, "! "));
	/* frame 6: searchResEntry(213) and searchResDone(213) in one segment */
	CU_ASSERT_EQUAL(rp_count(log, "\"message_id\":213", NULL), 3);
	/* frame 8: GSS-SPNEGO bind with a Kerberos AP-REQ; 9: success with AP-REP */
	CU_ASSERT_EQUAL(rp_count(log, "\"message_id\":215", "\"mechanism\":\"GSS-SPNEGO\"", NULL), 1);
	CU_ASSERT_EQUAL(rp_count(log, "\"proto\":\"spnego\"", "\"carrier\":\"ldap\"", "AP-REQ", NULL), 1);
	CU_ASSERT_EQUAL(rp_count(log, "\"proto\":\"spnego\"", "\"carrier\":\"ldap\"", "AP-REP", NULL), 1);
	/* frame 10: SASL buffer of 98 bytes (ldap.sasl_buffer_length), a GSS wrap token */
	CU_ASSERT_EQUAL(rp_count(log, "\"sasl_wrapped\":true", "\"sasl_len\":98", NULL), 1);
	g_free(log);
	rp_free(&s);
}

static void test_ldap_every_split(void)
{
	const char *files[] = { "ldap_sasl_ntlm.txt", "ldap_krb5_sign_seal.txt" };
	for (unsigned i = 0; i < 2; i++) {
		rp_stream s;
		rp_load(&s, files[i]);
		CU_ASSERT_EQUAL(rp_every_split(&s, &hs_ldap_app), 0);
		rp_free(&s);
	}
}

static void test_ldap_every_prefix(void)
{
	const char *files[] = { "ldap_sasl_ntlm.txt", "ldap_krb5_sign_seal.txt" };
	for (unsigned f = 0; f < 2; f++) {
		rp_stream s;
		rp_load(&s, files[f]);
		for (int dir = 0; dir < 2; dir++) {
			size_t n;
			unsigned char *p = rp_direction(&s, dir, &n);
			size_t at = 0;
			while (at < n) {
				hs_ldap_kind k;
				hs_parse_result r = hs_ldap_frame(p + at, n - at, &k);
				CU_ASSERT_EQUAL_FATAL(r.status, HS_PARSE_OK);
				hs_ldap_msg m;
				CU_ASSERT_EQUAL(hs_ldap_decode(p + at, r.consumed, &m), HS_OK);
				for (size_t j = 0; j < r.consumed; j++) {
					hs_guard g = hs_guard_copy(p + at, j);
					CU_ASSERT_EQUAL(hs_ldap_frame(g.p, j, &k).status, HS_PARSE_INCOMPLETE);
					CU_ASSERT_NOT_EQUAL(hs_ldap_decode(g.p, j, &m), HS_OK);
					hs_guard_free(&g);
				}
				at += r.consumed;
			}
			free(p);
		}
		rp_free(&s);
	}
}

/* ---- hand-built BER --------------------------------------------------- */

typedef struct bb {
	unsigned char b[1024];
	size_t n;
} bb;

static void put(bb *x, const void *p, size_t n)
{
	memcpy(x->b + x->n, p, n);
	x->n += n;
}

/* tag + length in the Windows form (0x84 + 4 bytes) or short form, + body */
static void tlv(bb *x, unsigned char tag, const void *body, size_t n, bool win)
{
	unsigned char h[6] = { tag };
	if (win) {
		h[1] = 0x84;
		h[2] = (unsigned char)(n >> 24);
		h[3] = (unsigned char)(n >> 16);
		h[4] = (unsigned char)(n >> 8);
		h[5] = (unsigned char)n;
		put(x, h, 6);
	} else {
		h[1] = (unsigned char)n;
		put(x, h, 2);
	}
	put(x, body, n);
}

/* LDAPMessage { messageID, op } */
static void message(bb *out, int id, const bb *op, bool win)
{
	bb body = { .n = 0 };
	unsigned char idv[3] = { 0x02, 0x01, (unsigned char)id };
	put(&body, idv, 3);
	put(&body, op->b, op->n);
	out->n = 0;
	tlv(out, 0x30, body.b, body.n, win);
}

static char *describe(const unsigned char *p, size_t n, unsigned flags, hs_err *e)
{
	hs_ldap_msg m;
	*e = hs_ldap_decode(p, n, &m);
	hs_out *o = hs_out_new(HS_OUT_JSON);
	hs_out_begin(o, NULL);
	hs_ldap_describe(&m, o, flags);
	hs_out_end(o);
	char *s = g_strdup(hs_out_text(o, NULL));
	hs_out_free(o);
	return s;
}

static void test_ldap_windows_bind_failure(void)
{
	/* bindResponse(7) invalidCredentials with the AD diagnostic text,
	 * every length in the 0x84 form as Windows sends it. */
	const char *diag = "80090308: LdapErr: DSID-0C09041C, comment: AcceptSecurityContext error, data 52e, v4563";
	bb res = { .n = 0 }, op = { .n = 0 }, msg;
	unsigned char rc[3] = { 0x0a, 0x01, 49 };
	put(&res, rc, 3);
	tlv(&res, 0x04, "", 0, true);
	tlv(&res, 0x04, diag, strlen(diag), true);
	tlv(&op, 0x61, res.b, res.n, true);
	message(&msg, 7, &op, true);
	hs_err e;
	char *s = describe(msg.b, msg.n, 0, &e);
	CU_ASSERT_EQUAL(e, HS_OK);
	CU_ASSERT_PTR_NOT_NULL(strstr(s, "\"message_id\":7"));
	CU_ASSERT_PTR_NOT_NULL(strstr(s, "\"result_code\":49,\"result\":\"invalidCredentials\""));
	CU_ASSERT_PTR_NOT_NULL(strstr(s, "data 52e"));
	g_free(s);
	hs_ldap_kind k;
	hs_parse_result r = hs_ldap_frame(msg.b, msg.n, &k);
	CU_ASSERT_EQUAL(r.status, HS_PARSE_OK);
	CU_ASSERT_EQUAL(r.consumed, msg.n);

	/* insufficientAccessRights (50) on a modifyResponse */
	bb res2 = { .n = 0 }, op2 = { .n = 0 };
	unsigned char rc2[3] = { 0x0a, 0x01, 50 };
	put(&res2, rc2, 3);
	tlv(&res2, 0x04, "", 0, false);
	tlv(&res2, 0x04, "", 0, false);
	tlv(&op2, 0x67, res2.b, res2.n, false);
	message(&msg, 9, &op2, false);
	s = describe(msg.b, msg.n, 0, &e);
	CU_ASSERT_PTR_NOT_NULL(strstr(s, "\"op\":\"modifyResponse\""));
	CU_ASSERT_PTR_NOT_NULL(strstr(s, "\"result\":\"insufficientAccessRights\""));
	g_free(s);
}

static void test_ldap_simple_bind(void)
{
	/* bindRequest { 3, "cn=alice,dc=hop,dc=test", simple [0] "Secret1!" } */
	const char *dn = "cn=alice,dc=hop,dc=test";
	bb b = { .n = 0 }, op = { .n = 0 }, msg;
	unsigned char v[3] = { 0x02, 0x01, 0x03 };
	put(&b, v, 3);
	tlv(&b, 0x04, dn, strlen(dn), false);
	tlv(&b, 0x80, "Secret1!", 8, false);
	tlv(&op, 0x60, b.b, b.n, false);
	message(&msg, 1, &op, false);
	hs_err e;
	char *s = describe(msg.b, msg.n, 0, &e);
	CU_ASSERT_EQUAL(e, HS_OK);
	CU_ASSERT_PTR_NOT_NULL(strstr(s, "\"auth\":\"simple\""));
	CU_ASSERT_PTR_NOT_NULL(strstr(s, "\"cleartext_password\":true"));
	CU_ASSERT_PTR_NOT_NULL(strstr(s, "\"name\":\"cn=alice,dc=hop,dc=test\""));
	CU_ASSERT_PTR_NULL(strstr(s, "Secret1!")); /* never without HS_DESCRIBE_SECRETS */
	g_free(s);
	s = describe(msg.b, msg.n, HS_DESCRIBE_SECRETS, &e);
	CU_ASSERT_PTR_NOT_NULL(strstr(s, "\"password\":\"Secret1!\""));
	g_free(s);

	/* anonymous: empty name, empty password */
	bb a = { .n = 0 }, opa = { .n = 0 };
	put(&a, v, 3);
	tlv(&a, 0x04, "", 0, false);
	tlv(&a, 0x80, "", 0, false);
	tlv(&opa, 0x60, a.b, a.n, false);
	message(&msg, 2, &opa, false);
	s = describe(msg.b, msg.n, 0, &e);
	CU_ASSERT_PTR_NOT_NULL(strstr(s, "\"cleartext_password\":false,\"anonymous\":true"));
	g_free(s);
}

static void test_ldap_sicily(void)
{
	/* sicilyNegotiate [10] carrying an NTLM NEGOTIATE (MS-ADTS 5.1.1.1.3) */
	static const unsigned char ntlm_neg[] = {
		'N', 'T', 'L', 'M', 'S', 'S', 'P', 0, 1, 0, 0, 0, 0x07, 0x82, 0x08, 0xa2,
		0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
	};
	bb b = { .n = 0 }, op = { .n = 0 }, msg;
	unsigned char v[3] = { 0x02, 0x01, 0x03 };
	put(&b, v, 3);
	tlv(&b, 0x04, "NTLM", 4, false);
	tlv(&b, 0x8a, ntlm_neg, sizeof ntlm_neg, false);
	tlv(&op, 0x60, b.b, b.n, false);
	message(&msg, 3, &op, false);
	hs_err e;
	char *s = describe(msg.b, msg.n, 0, &e);
	CU_ASSERT_EQUAL(e, HS_OK);
	CU_ASSERT_PTR_NOT_NULL(strstr(s, "\"auth\":\"sicilyNegotiate\""));
	CU_ASSERT_PTR_NOT_NULL(strstr(s, "\"mechanism\":\"NTLM\""));
	g_free(s);
	/* through the app: the token reaches the GSS dispatcher as NTLMSSP */
	char *log = rp_split(&hs_ldap_app, 0, msg.b, msg.n, msg.n, false);
	CU_ASSERT_PTR_NOT_NULL(strstr(log, "\"proto\":\"ntlmssp\""));
	CU_ASSERT_PTR_NOT_NULL(strstr(log, "\"carrier\":\"ldap\""));
	g_free(log);
}

static void test_ldap_framing_edges(void)
{
	hs_ldap_kind k;
	/* indefinite length (BER allows it, LDAP forbids it: RFC 4511 5.1) */
	CU_ASSERT_EQUAL(hs_ldap_frame((const uint8_t *)"\x30\x80\x02\x01", 4, &k).err, HS_E_UNSUPPORTED);
	/* length-of-length 5 */
	CU_ASSERT_EQUAL(hs_ldap_frame((const uint8_t *)"\x30\x85\0\0\0\0\1", 7, &k).err, HS_E_LIMIT);
	/* a length over the cap is an error, not a wait */
	CU_ASSERT_EQUAL(hs_ldap_frame((const uint8_t *)"\x30\x84\x7f\0\0\0", 6, &k).status, HS_PARSE_ERROR);
	/* TLS record after StartTLS */
	CU_ASSERT_EQUAL(hs_ldap_frame((const uint8_t *)"\x17\x03\x03\x00\x02xx", 7, &k).status, HS_PARSE_OK);
	CU_ASSERT_EQUAL(k, HS_LDAP_TLS);
	CU_ASSERT_EQUAL(hs_ldap_frame((const uint8_t *)"\x17\x04", 2, &k).status, HS_PARSE_ERROR);
	/* a SASL buffer header with length 0 */
	CU_ASSERT_EQUAL(hs_ldap_frame((const uint8_t *)"\0\0\0\0", 4, &k).status, HS_PARSE_ERROR);
	/* garbage */
	CU_ASSERT_EQUAL(hs_ldap_frame((const uint8_t *)"GET ", 4, &k).status, HS_PARSE_ERROR);
	/* protocolOp not APPLICATION */
	hs_ldap_msg m;
	CU_ASSERT_EQUAL(hs_ldap_decode((const uint8_t *)"\x30\x05\x02\x01\x01\x04\x00", 7, &m), HS_E_MALFORMED);
	/* a TLS stream is reported once per direction */
	static const unsigned char tls[] = { 0x16, 3, 1, 0, 1, 'x', 0x17, 3, 3, 0, 1, 'y' };
	char *log = rp_split(&hs_ldap_app, 0, tls, sizeof tls, 3, false);
	CU_ASSERT_EQUAL(rp_count(log, "\"tls\":true", NULL), 1);
	g_free(log);
}

HS_UNIT_MAIN("ldap",
	{ "SASL NTLM connection (ldap_sasl-ntlm.pcap) vs tshark", test_ldap_sasl_ntlm },
	{ "GSS-SPNEGO sign+seal connection (ldap_krb5-sign-seal-01.pcap) vs tshark", test_ldap_sign_seal },
	{ "every split point of both directions", test_ldap_every_split },
	{ "every truncated prefix of every PDU", test_ldap_every_prefix },
	{ "Windows 0x84 lengths, invalidCredentials data 52e, insufficientAccessRights", test_ldap_windows_bind_failure },
	{ "simple bind: password flagged, never printed; anonymous", test_ldap_simple_bind },
	{ "sicily NTLM bind", test_ldap_sicily },
	{ "framing edges: indefinite, caps, TLS, garbage", test_ldap_framing_edges })
