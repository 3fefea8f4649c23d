/* spnego_test.c - SPNEGO decoding of real tokens from SMB2, LDAP and DCE/RPC
 * (expected values from tshark 4.0: spnego.MechType, spnego.negResult,
 * spnego.supportedMech, spnego.hintName, spnego.mechToken,
 * spnego.responseToken, spnego.mechListMIC), hand-built edge cases, and
 * every truncated prefix before a guard page. */
#include "spnego.h"

#include "der.h"
#include "gss_test_tokens.h"
#include "unit.h"

static unsigned char buf[4096];

static size_t tok(const char *hex)
{
	return hs_unhex(hex, buf, sizeof buf);
}

static hs_err decode(const unsigned char *p, size_t n, hs_spnego_msg *m, hs_guard *g)
{
	*g = hs_guard_copy(p, n);
	return hs_spnego_decode(g->p, n, m);
}

static void check_oid(hs_slice oid, const char *dotted)
{
	char t[128] = "";
	hs_der_oid_text(oid, t, sizeof t);
	CU_ASSERT_STRING_EQUAL(t, dotted);
}

static void check_mechs(const hs_spnego_msg *m, const char *const *want, unsigned n)
{
	CU_ASSERT_EQUAL(m->n_mech_types, n);
	for (unsigned i = 0; i < n && i < m->n_mech_types; i++)
		check_oid(m->mech_types[i], want[i]);
}

static const char *const win_mechs4[] = { HS_OID_MS_KRB5, HS_OID_KRB5, HS_OID_NEGOEX, HS_OID_NTLMSSP };
static const char *const win_mechs3[] = { HS_OID_MS_KRB5, HS_OID_KRB5, HS_OID_NTLMSSP };

static void test_init_krb5(void)
{
	hs_spnego_msg m;
	hs_guard g;
	/* SMB2 SESSION_SETUP (krb_smb2_krb.pcap frame 12) */
	size_t n = tok(SPNEGO_SMB2_KRB_APREQ);
	CU_ASSERT_EQUAL(decode(buf, n, &m, &g), HS_OK);
	CU_ASSERT_EQUAL(m.kind, HS_SPNEGO_INIT);
	CU_ASSERT(m.gss_wrapped);
	check_mechs(&m, win_mechs4, 4);
	CU_ASSERT(!m.has_req_flags);
	CU_ASSERT(m.has_mech_token);
	CU_ASSERT_EQUAL(m.mech_token.len, 2567); /* 60 82 0a 03: 4 + 0xa03 */
	CU_ASSERT_EQUAL(m.mech_token.p[0], 0x60);
	CU_ASSERT(!m.has_mech_list_mic);
	hs_guard_free(&g);

	/* LDAP SASL GSS-SPNEGO (ldap_krb5-sign-seal-01.pcap frame 8) */
	n = tok(SPNEGO_LDAP_KRB_APREQ);
	CU_ASSERT_EQUAL(decode(buf, n, &m, &g), HS_OK);
	CU_ASSERT_EQUAL(m.kind, HS_SPNEGO_INIT);
	check_mechs(&m, win_mechs3, 3);
	CU_ASSERT_EQUAL(m.mech_token.len, 0x4e0 + 4);
	hs_guard_free(&g);

	/* DCE/RPC (dce-rpc_kerberos135_auth.pcapng frame 5): bare AP-REQ inside */
	n = tok(SPNEGO_DCE_KRB_APREQ);
	CU_ASSERT_EQUAL(decode(buf, n, &m, &g), HS_OK);
	check_mechs(&m, win_mechs4, 4);
	CU_ASSERT_EQUAL(m.mech_token.p[0], 0x6e);
	hs_guard_free(&g);

	/* dce-rpc_dce_rpc_ntlm.pcapng frame 1: krb5 user-to-user token */
	n = tok(SPNEGO_DCE_INIT_KRBU2U);
	CU_ASSERT_EQUAL(decode(buf, n, &m, &g), HS_OK);
	check_mechs(&m, win_mechs4, 4);
	CU_ASSERT_EQUAL(m.mech_token.len, 0x45 + 2);
	hs_guard_free(&g);
}

static void test_init2_hints(void)
{
	hs_spnego_msg m;
	hs_guard g;
	size_t n = tok(SPNEGO_SMB2_INIT2);
	CU_ASSERT_EQUAL(decode(buf, n, &m, &g), HS_OK);
	CU_ASSERT_EQUAL(m.kind, HS_SPNEGO_INIT2);
	check_mechs(&m, win_mechs3, 3);
	CU_ASSERT(!m.has_mech_token);
	CU_ASSERT(m.has_neg_hints);
	CU_ASSERT(hs_slice_eq(m.hint_name, "not_defined_in_RFC4178@please_ignore"));
	CU_ASSERT(!m.has_mech_list_mic);
	hs_guard_free(&g);
}

static void test_resp(void)
{
	hs_spnego_msg m;
	hs_guard g;
	/* krb_smb2_krb.pcap frame 14: negResult 0, supportedMech 1.2.840.48018.1.2.2 */
	size_t n = tok(SPNEGO_SMB2_KRB_APREP);
	CU_ASSERT_EQUAL(decode(buf, n, &m, &g), HS_OK);
	CU_ASSERT_EQUAL(m.kind, HS_SPNEGO_RESP);
	CU_ASSERT(!m.gss_wrapped);
	CU_ASSERT(m.has_neg_state);
	CU_ASSERT_EQUAL(m.neg_state, HS_SPNEGO_ACCEPT_COMPLETED);
	check_oid(m.supported_mech, HS_OID_MS_KRB5);
	CU_ASSERT(m.has_response_token);
	CU_ASSERT_EQUAL(m.response_token.p[0], 0x60);
	hs_guard_free(&g);

	/* ldap frame 9 */
	n = tok(SPNEGO_LDAP_KRB_APREP);
	CU_ASSERT_EQUAL(decode(buf, n, &m, &g), HS_OK);
	CU_ASSERT_EQUAL(m.neg_state, 0);
	check_oid(m.supported_mech, HS_OID_MS_KRB5);
	hs_guard_free(&g);

	/* dce-rpc_dce_rpc_ntlm.pcapng frame 3: negResult 3 (request-mic), supportedMech NTLMSSP */
	n = tok(SPNEGO_DCE_RESP_REJECT_NTLM);
	CU_ASSERT_EQUAL(decode(buf, n, &m, &g), HS_OK);
	CU_ASSERT_EQUAL(m.neg_state, HS_SPNEGO_REQUEST_MIC);
	check_oid(m.supported_mech, HS_OID_NTLMSSP);
	CU_ASSERT(!m.has_response_token);
	hs_guard_free(&g);

	/* frames 4, 5, 6: accept-incomplete with NTLMSSP; frame 6 has mechListMIC */
	const char *ntlm_legs[] = { SPNEGO_DCE_NTLM_NEG, SPNEGO_DCE_NTLM_CHAL, SPNEGO_DCE_NTLM_AUTH };
	const size_t ntlm_len[] = { 60, 276, 574 };
	for (int i = 0; i < 3; i++) {
		n = tok(ntlm_legs[i]);
		CU_ASSERT_EQUAL(decode(buf, n, &m, &g), HS_OK);
		CU_ASSERT_EQUAL(m.neg_state, HS_SPNEGO_ACCEPT_INCOMPLETE);
		CU_ASSERT_EQUAL(m.response_token.len, ntlm_len[i]);
		CU_ASSERT(memcmp(m.response_token.p, "NTLMSSP", 8) == 0);
		CU_ASSERT_EQUAL(m.has_mech_list_mic, i == 2);
		hs_guard_free(&g);
	}
	CU_ASSERT_EQUAL(m.mech_list_mic.len, 16); /* 01000000c7b12793fa2e02ee00000000 */

	/* dce-rpc_kerberos135_auth.pcapng frames 7, 8, 9 */
	n = tok(SPNEGO_DCE_KRB_APREP);
	CU_ASSERT_EQUAL(decode(buf, n, &m, &g), HS_OK);
	CU_ASSERT_EQUAL(m.neg_state, 1);
	check_oid(m.supported_mech, HS_OID_MS_KRB5);
	CU_ASSERT_EQUAL(m.response_token.p[0], 0x6f);
	hs_guard_free(&g);
	n = tok(SPNEGO_DCE_KRB_APREP3);
	CU_ASSERT_EQUAL(decode(buf, n, &m, &g), HS_OK);
	CU_ASSERT_EQUAL(m.neg_state, 1);
	CU_ASSERT_EQUAL(m.supported_mech.len, 0);
	CU_ASSERT(m.has_mech_list_mic);
	CU_ASSERT_EQUAL(m.mech_list_mic.len, 28);
	hs_guard_free(&g);
	n = tok(SPNEGO_DCE_KRB_MIC);
	CU_ASSERT_EQUAL(decode(buf, n, &m, &g), HS_OK);
	CU_ASSERT_EQUAL(m.neg_state, 0);
	CU_ASSERT(!m.has_response_token);
	CU_ASSERT(m.has_mech_list_mic);
	hs_guard_free(&g);
}

static void test_hand_built(void)
{
	hs_spnego_msg m;
	hs_guard g;
	/* Bare NegTokenInit: mechTypes { krb5 }, reqFlags deleg|mutual (BIT
	 * STRING 03 02 06 c0: 6 unused bits, bits 0 and 1 set). */
	size_t n = tok("a017 3015 a00d 300b 0609 2a864886f712010202 a104 030206c0");
	CU_ASSERT_EQUAL(decode(buf, n, &m, &g), HS_OK);
	CU_ASSERT_EQUAL(m.kind, HS_SPNEGO_INIT);
	CU_ASSERT(!m.gss_wrapped);
	check_oid(m.mech_types[0], HS_OID_KRB5);
	CU_ASSERT(m.has_req_flags);
	CU_ASSERT_EQUAL(m.req_flags, 0xc0000000u);
	CU_ASSERT(!m.has_mech_token);
	hs_guard_free(&g);

	/* Ten mechTypes: eight kept, two counted. */
	unsigned char t[256];
	size_t k = 0;
	t[k++] = 0xa0; t[k++] = 4 + 10 * 11; t[k++] = 0x30; t[k++] = 2 + 10 * 11;
	t[k++] = 0xa0; t[k++] = 10 * 11; t[k++] = 0x30; t[k++] = 10 * 11 - 2;
	for (int i = 0; i < 10; i++) {
		static const unsigned char oid[] = { 0x06, 0x09, 0x2a, 0x86, 0x48, 0x86, 0xf7, 0x12, 0x01, 0x02, 0x02 };
		memcpy(t + k, oid, sizeof oid);
		k += sizeof oid;
	}
	/* fix lengths: SEQUENCE OF holds 10*11 bytes, [0] holds 2 + that ... */
	t[1] = (unsigned char)(k - 2);
	t[3] = (unsigned char)(k - 4);
	t[5] = (unsigned char)(k - 6);
	t[7] = (unsigned char)(k - 8);
	CU_ASSERT_EQUAL(decode(t, k, &m, &g), HS_OK);
	CU_ASSERT_EQUAL(m.n_mech_types, HS_SPNEGO_MAX_MECHS);
	CU_ASSERT_EQUAL(m.more_mech_types, 2);
	hs_guard_free(&g);

	/* Trailing byte after the token. */
	n = tok(SPNEGO_DCE_RESP_REJECT_NTLM);
	buf[n++] = 0;
	CU_ASSERT_EQUAL(decode(buf, n, &m, &g), HS_E_TRAILING);
	CU_ASSERT_EQUAL(m.neg_state, 3); /* still decoded */
	hs_guard_free(&g);

	/* Indefinite length (BER only): unsupported. */
	n = tok("a180 3000 0000");
	CU_ASSERT_EQUAL(decode(buf, n, &m, &g), HS_E_UNSUPPORTED);
	hs_guard_free(&g);

	/* An initial token of another mechanism (raw krb5 GSS): not SPNEGO. */
	n = tok("600b 0609 2a864886f712010202 0100");
	CU_ASSERT_EQUAL(decode(buf, n, &m, &g), HS_E_UNKNOWN);
	CU_ASSERT_EQUAL(m.kind, HS_SPNEGO_NONE);
	hs_guard_free(&g);

	/* NTLMSSP is not SPNEGO. */
	n = tok(NTLM_SMB_NEG);
	CU_ASSERT_EQUAL(decode(buf, n, &m, &g), HS_E_UNKNOWN);
	hs_guard_free(&g);

	/* negState of the wrong type (INTEGER instead of ENUMERATED). */
	n = tok("a105 3003 a001 00");
	CU_ASSERT_NOT_EQUAL(decode(buf, n, &m, &g), HS_OK);
	hs_guard_free(&g);
	n = tok("a107 3005 a003 020101");
	CU_ASSERT_EQUAL(decode(buf, n, &m, &g), HS_E_MALFORMED);
	CU_ASSERT(!m.has_neg_state);
	hs_guard_free(&g);

	/* Fields out of order ([2] before [0]): the SEQUENCE closes with bytes left. */
	n = tok("a10d 300b a204 0402 0102 a003 0a0101");
	CU_ASSERT_NOT_EQUAL(decode(buf, n, &m, &g), HS_OK);
	hs_guard_free(&g);

	/* Empty input. */
	CU_ASSERT_EQUAL(decode(buf, 0, &m, &g), HS_E_TRUNCATED);
	hs_guard_free(&g);
}

static void test_prefixes(void)
{
	const char *all[] = { SPNEGO_DCE_INIT_KRBU2U, SPNEGO_DCE_RESP_REJECT_NTLM, SPNEGO_DCE_NTLM_NEG,
			      SPNEGO_DCE_NTLM_CHAL, SPNEGO_DCE_NTLM_AUTH, SPNEGO_SMB2_INIT2, SPNEGO_SMB2_KRB_APREQ,
			      SPNEGO_SMB2_KRB_APREP, SPNEGO_LDAP_KRB_APREQ, SPNEGO_LDAP_KRB_APREP,
			      SPNEGO_DCE_KRB_APREQ, SPNEGO_DCE_KRB_APREP, SPNEGO_DCE_KRB_APREP3, SPNEGO_DCE_KRB_MIC };
	for (size_t t = 0; t < sizeof all / sizeof all[0]; t++) {
		size_t n = tok(all[t]);
		for (size_t k = 0; k < n; k++) {
			hs_spnego_msg m;
			hs_guard g;
			hs_err e = decode(buf, k, &m, &g);
			CU_ASSERT(e == HS_E_TRUNCATED || e == HS_E_MALFORMED);
			if (!(e == HS_E_TRUNCATED || e == HS_E_MALFORMED))
				fprintf(stderr, "\n  token %zu prefix %zu/%zu: %s\n", t, k, n, hs_err_name(e));
			hs_guard_free(&g);
		}
	}
}

static void test_names(void)
{
	unsigned char o[32];
	hs_slice s = { o, 0 };
	s.len = hs_unhex("2a864886f712010202", o, sizeof o);
	CU_ASSERT_STRING_EQUAL(hs_spnego_mech_name(s), "kerberos");
	s.len = hs_unhex("2a864882f712010202", o, sizeof o);
	CU_ASSERT_STRING_EQUAL(hs_spnego_mech_name(s), "ms-kerberos");
	s.len = hs_unhex("2b0601040182370202 0a", o, sizeof o);
	CU_ASSERT_STRING_EQUAL(hs_spnego_mech_name(s), "ntlmssp");
	s.len = hs_unhex("2b0601040182370202 1e", o, sizeof o);
	CU_ASSERT_STRING_EQUAL(hs_spnego_mech_name(s), "negoex");
	s.len = hs_unhex("2b06010502 05", o, sizeof o);
	CU_ASSERT_STRING_EQUAL(hs_spnego_mech_name(s), "iakerb");
	s.len = hs_unhex("2a03", o, sizeof o);
	CU_ASSERT_PTR_NULL(hs_spnego_mech_name(s));
	CU_ASSERT_STRING_EQUAL(hs_spnego_neg_state_name(2), "reject");
	CU_ASSERT_PTR_NULL(hs_spnego_neg_state_name(7));
}

static const char *describe(const char *hex, unsigned flags)
{
	static char out[8192];
	hs_spnego_msg m;
	size_t n = tok(hex);
	hs_spnego_decode(buf, n, &m);
	hs_out *o = hs_out_new(HS_OUT_JSON);
	hs_out_begin(o, NULL);
	hs_spnego_describe_fields(&m, o, flags);
	hs_out_end(o);
	snprintf(out, sizeof out, "%s", hs_out_text(o, NULL));
	hs_out_free(o);
	return out;
}

static void test_describe(void)
{
	CU_ASSERT_STRING_EQUAL(describe(SPNEGO_SMB2_INIT2, 0),
		"{\"token\":\"negTokenInit2\",\"mech_types\":[\"ms-kerberos\",\"kerberos\",\"ntlmssp\"],"
		"\"mech_type_oids\":[\"1.2.840.48018.1.2.2\",\"1.2.840.113554.1.2.2\",\"1.3.6.1.4.1.311.2.2.10\"],"
		"\"hint_name\":\"not_defined_in_RFC4178@please_ignore\",\"mech_list_mic\":false}");
	CU_ASSERT_STRING_EQUAL(describe(SPNEGO_DCE_RESP_REJECT_NTLM, 0),
		"{\"token\":\"negTokenResp\",\"neg_result\":3,\"neg_state\":\"request-mic\","
		"\"supported_mech\":\"1.3.6.1.4.1.311.2.2.10\",\"supported_mech_name\":\"ntlmssp\",\"mech_list_mic\":false}");
	const char *j = describe(SPNEGO_DCE_NTLM_AUTH, 0);
	CU_ASSERT_PTR_NOT_NULL(strstr(j, "\"mech_list_mic\":true,\"mech_list_mic_len\":16"));
	CU_ASSERT_PTR_NULL(strstr(j, "c7b12793"));
	j = describe(SPNEGO_DCE_NTLM_AUTH, HS_DESCRIBE_SECRETS);
	CU_ASSERT_PTR_NOT_NULL(strstr(j, "\"mech_list_mic_value\":\"01000000c7b12793fa2e02ee00000000\""));
	j = describe("a017 3015 a00d 300b 0609 2a864886f712010202 a104 030206c0", 0);
	CU_ASSERT_PTR_NOT_NULL(strstr(j, "\"req_flags\":[\"deleg\",\"mutual\"]"));
}

HS_UNIT_MAIN("spnego",
	     { "negTokenInit with krb5", test_init_krb5 },
	     { "negTokenInit2 hints", test_init2_hints },
	     { "negTokenResp", test_resp },
	     { "hand built and malformed", test_hand_built },
	     { "truncated prefixes", test_prefixes },
	     { "names", test_names },
	     { "describe", test_describe })
