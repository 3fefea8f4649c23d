/* gss_test.c - the security-blob dispatcher: recognition of SPNEGO / raw
 * Kerberos / raw NTLMSSP, inner-token decoding, the emitted messages and
 * anomalies (through a real engine and its sinks), every truncated prefix.
 * Expected values from tshark 4.0 (spnego.*, ntlmssp.auth.*, kerberos.*). */
#include "gss.h"
#include "engine.h"

#include "der.h"
#include "gss_test_tokens.h"
#include "unit.h"

static unsigned char buf[4096];

static size_t tok(const char *hex)
{
	return hs_unhex(hex, buf, sizeof buf);
}

/* ---- an engine with sinks that record what was emitted ---------------- */

static char emitted[32768];
static unsigned n_emitted;
static char anomalies[2048];
static unsigned n_anomalies;

static void on_msg(void *ud, const hs_msg *m)
{
	hs_out *o = hs_out_new(HS_OUT_JSON);
	hs_msg_describe(m, o, 0);
	snprintf(emitted + strlen(emitted), sizeof emitted - strlen(emitted), "%s\n", hs_out_text(o, NULL));
	hs_out_free(o);
	n_emitted++;
}

static void on_anomaly(void *ud, const hs_anomaly *a)
{
	snprintf(anomalies + strlen(anomalies), sizeof anomalies - strlen(anomalies), "%s: %s\n", a->kind, a->detail);
	n_anomalies++;
}

static hs_gss_kind emit(const unsigned char *p, size_t n, hs_proto carrier)
{
	hs_engine *e = hs_engine_new(NULL);
	hs_meta meta;
	memset(&meta, 0, sizeof meta);
	meta.src.family = meta.dst.family = 4;
	meta.frame = 7;
	meta.ipproto = 6;
	hs_app_ctx ctx = { hs_engine_host(e), &meta, NULL, 0, false, false };
	emitted[0] = anomalies[0] = 0;
	n_emitted = n_anomalies = 0;
	hs_engine_add_msg_sink(e, on_msg, NULL);
	hs_engine_set_anomaly_sink(e, on_anomaly, NULL);
	hs_guard g = hs_guard_copy(p, n);
	hs_gss_kind k = hs_gss_emit(&ctx, carrier, g.p, n);
	hs_guard_free(&g);
	hs_engine_free(e);
	return k;
}

static hs_gss_token t;
static hs_guard tg; /* t's slices point into it: kept until the next decode */

static hs_err decode(const unsigned char *p, size_t n)
{
	if (tg.base)
		hs_guard_free(&tg);
	tg = hs_guard_copy(p, n);
	return hs_gss_decode(tg.p, n, &t);
}

#define HAS(s, sub) CU_ASSERT_PTR_NOT_NULL(strstr((s), (sub)))
#define HASNT(s, sub) CU_ASSERT_PTR_NULL(strstr((s), (sub)))

static void test_raw_ntlm(void)
{
	size_t n = tok(NTLM_SMB_AUTH);
	hs_guard g = hs_guard_copy(buf, n);
	CU_ASSERT_EQUAL(hs_gss_decode(g.p, n, &t), HS_OK);
	CU_ASSERT_EQUAL(t.kind, HS_GSS_NTLM);
	CU_ASSERT(t.has_ntlm);
	CU_ASSERT(!t.has_krb);
	CU_ASSERT_EQUAL(t.ntlm.type, 3);
	hs_guard_free(&g);

	CU_ASSERT_EQUAL(emit(buf, n, HS_PROTO_SMB2), HS_GSS_NTLM);
	CU_ASSERT_EQUAL(n_emitted, 1);
	CU_ASSERT_EQUAL(n_anomalies, 0);
	HAS(emitted, "\"proto\":\"ntlmssp\",\"carrier\":\"smb2\",\"ntlm_type\":3");
	HAS(emitted, "\"user\":\"test\",\"domain\":\"TEST-F7DFBC3FE9\",\"workstation\":\"BABYBOOK\",\"anonymous\":false,\"version\":\"v2\"");
	HASNT(emitted, "020a2c94"); /* NTProofStr */
}

static void test_spnego_ntlm(void)
{
	/* dce-rpc_dce_rpc_ntlm.pcapng frame 6: ntlmssp.auth.username Administrator,
	 * domain BLACKCLOVER, hostname CBTH-WS-1; spnego.negResult 1 */
	size_t n = tok(SPNEGO_DCE_NTLM_AUTH);
	CU_ASSERT_EQUAL(decode(buf, n), HS_OK);
	CU_ASSERT_EQUAL(t.kind, HS_GSS_SPNEGO);
	CU_ASSERT_EQUAL(t.inner, HS_GSS_NTLM);
	CU_ASSERT(t.has_ntlm);
	CU_ASSERT_EQUAL(t.spnego.neg_state, 1);

	CU_ASSERT_EQUAL(emit(buf, n, HS_PROTO_DCERPC), HS_GSS_SPNEGO);
	CU_ASSERT_EQUAL(n_emitted, 1);
	CU_ASSERT_EQUAL(n_anomalies, 0);
	HAS(emitted, "\"proto\":\"spnego\",\"carrier\":\"dcerpc\",\"token\":\"negTokenResp\",\"neg_result\":1,"
		     "\"neg_state\":\"accept-incomplete\"");
	HAS(emitted, "\"mech_token\":{\"proto\":\"ntlmssp\",\"ntlm_type\":3,\"msg\":\"AUTHENTICATE\"");
	HAS(emitted, "\"user\":\"Administrator\",\"domain\":\"BLACKCLOVER\",\"workstation\":\"CBTH-WS-1\"");

	/* frame 3: negResult 3, supportedMech NTLMSSP, no inner token */
	n = tok(SPNEGO_DCE_RESP_REJECT_NTLM);
	CU_ASSERT_EQUAL(decode(buf, n), HS_OK);
	CU_ASSERT_EQUAL(t.inner, HS_GSS_NONE);
	emit(buf, n, HS_PROTO_DCERPC);
	HAS(emitted, "\"neg_result\":3,\"neg_state\":\"request-mic\",\"supported_mech\":\"1.3.6.1.4.1.311.2.2.10\"");
	HASNT(emitted, "mech_token");
}

static void test_spnego_krb5(void)
{
	/* krb_smb2_krb.pcap frame 12: AP-REQ for cifs/phxlabbal821.techlab.susq.com @ DS.SUSQ.COM */
	size_t n = tok(SPNEGO_SMB2_KRB_APREQ);
	CU_ASSERT_EQUAL(decode(buf, n), HS_OK);
	CU_ASSERT_EQUAL(t.kind, HS_GSS_SPNEGO);
	CU_ASSERT_EQUAL(t.inner, HS_GSS_KRB5);
	CU_ASSERT(t.has_krb);
	CU_ASSERT_EQUAL(t.krb.msg_type, HS_KRB_AP_REQ);
	CU_ASSERT(hs_slice_eq(t.krb.ap_req.ticket.realm, "DS.SUSQ.COM"));
	CU_ASSERT_EQUAL(t.krb.ap_req.ticket.sname.n, 2);
	CU_ASSERT(hs_slice_eq(t.krb.ap_req.ticket.sname.comp[0], "cifs"));
	CU_ASSERT(hs_slice_eq(t.krb.ap_req.ticket.sname.comp[1], "phxlabbal821.techlab.susq.com"));
	emit(buf, n, HS_PROTO_SMB2);
	CU_ASSERT_EQUAL(n_anomalies, 0);
	HAS(emitted, "\"mech_types\":[\"ms-kerberos\",\"kerberos\",\"negoex\",\"ntlmssp\"]");
	HAS(emitted, "\"mech_token\":{\"proto\":\"kerberos\"");

	/* frame 14: negResult 0, supportedMech 1.2.840.48018.1.2.2, AP-REP */
	n = tok(SPNEGO_SMB2_KRB_APREP);
	CU_ASSERT_EQUAL(decode(buf, n), HS_OK);
	CU_ASSERT_EQUAL(t.inner, HS_GSS_KRB5);
	CU_ASSERT_EQUAL(t.krb.msg_type, HS_KRB_AP_REP);
	emit(buf, n, HS_PROTO_SMB2);
	HAS(emitted, "\"neg_result\":0,\"neg_state\":\"accept-completed\",\"supported_mech\":\"1.2.840.48018.1.2.2\"");

	/* ldap_krb5-sign-seal-01.pcap frame 8: ldap/w2k3-101.w2k3.vmnet1.vm.base/w2k3.vmnet1.vm.base */
	n = tok(SPNEGO_LDAP_KRB_APREQ);
	CU_ASSERT_EQUAL(decode(buf, n), HS_OK);
	CU_ASSERT_EQUAL(t.krb.msg_type, HS_KRB_AP_REQ);
	CU_ASSERT_EQUAL(t.krb.ap_req.ticket.sname.n, 3);
	CU_ASSERT(hs_slice_eq(t.krb.ap_req.ticket.realm, "W2K3.VMNET1.VM.BASE"));
	n = tok(SPNEGO_LDAP_KRB_APREP);
	CU_ASSERT_EQUAL(decode(buf, n), HS_OK);
	CU_ASSERT_EQUAL(t.krb.msg_type, HS_KRB_AP_REP);

	/* dce-rpc_kerberos135_auth.pcapng: DCE-style bare AP-REQ / AP-REP inside SPNEGO */
	n = tok(SPNEGO_DCE_KRB_APREQ);
	CU_ASSERT_EQUAL(decode(buf, n), HS_OK);
	CU_ASSERT_EQUAL(t.inner, HS_GSS_KRB5);
	CU_ASSERT_EQUAL(t.krb.msg_type, HS_KRB_AP_REQ);
	CU_ASSERT(hs_slice_eq(t.krb.ap_req.ticket.realm, "SRT-AD.LOCAL"));
	CU_ASSERT(hs_slice_eq(t.krb.ap_req.ticket.sname.comp[0], "RPCSS"));
	n = tok(SPNEGO_DCE_KRB_APREP);
	CU_ASSERT_EQUAL(decode(buf, n), HS_OK);
	CU_ASSERT_EQUAL(t.krb.msg_type, HS_KRB_AP_REP);
	n = tok(SPNEGO_DCE_KRB_APREP3);
	CU_ASSERT_EQUAL(decode(buf, n), HS_OK);
	CU_ASSERT_EQUAL(t.krb.msg_type, HS_KRB_AP_REP);
	n = tok(SPNEGO_DCE_KRB_MIC);
	CU_ASSERT_EQUAL(decode(buf, n), HS_OK);
	CU_ASSERT_EQUAL(t.inner, HS_GSS_NONE);
	CU_ASSERT(!t.has_krb);
}

static void test_krb5_u2u(void)
{
	/* dce-rpc_dce_rpc_ntlm.pcapng frame 1: tshark shows the mechToken as
	 * KRB5 OID 1.2.840.113554.1.2.2.3, krb5_tok_id KERB_TGT_REQUEST (0x0004),
	 * pvno 5, msg-type krb-tgt-req (16), server-name kRB5-NT-MS-PRINCIPAL
	 * (-128) "Administrator", realm BLACKCLOVER. */
	size_t n = tok(SPNEGO_DCE_INIT_KRBU2U);
	CU_ASSERT_EQUAL(decode(buf, n), HS_OK);
	CU_ASSERT_EQUAL(t.err, HS_OK);
	CU_ASSERT_EQUAL(t.inner, HS_GSS_KRB5);
	CU_ASSERT_EQUAL(t.inner_err, HS_OK);
	CU_ASSERT_EQUAL(t.krb.gss_tok_id, 0x0400);
	CU_ASSERT_EQUAL(t.krb.msg_type, HS_KRB_TGT_REQ);
	CU_ASSERT_EQUAL(t.krb.pvno, 5);
	CU_ASSERT_EQUAL(t.krb.sname.type, -128);
	CU_ASSERT(hs_slice_eq(t.krb.sname.comp[0], "Administrator"));
	CU_ASSERT(hs_slice_eq(t.krb.realm, "BLACKCLOVER"));
	CU_ASSERT_EQUAL(emit(buf, n, HS_PROTO_DCERPC), HS_GSS_SPNEGO);
	CU_ASSERT_EQUAL(n_emitted, 1);
	CU_ASSERT_EQUAL(n_anomalies, 0);
	HAS(emitted, "\"msg\":\"KRB-TGT-REQ\"");
	HAS(emitted, "\"sname\":\"Administrator\"");
}

static void test_raw_krb5(void)
{
	/* The inner token of krb_smb2_krb.pcap frame 12 on its own: a raw krb5
	 * GSS token, as HTTP "Kerberos" or LDAP SASL GSSAPI carry it. */
	size_t n = tok(SPNEGO_SMB2_KRB_APREQ);
	hs_spnego_msg s;
	CU_ASSERT_EQUAL(hs_spnego_decode(buf, n, &s), HS_OK);
	unsigned char raw[4096];
	memcpy(raw, s.mech_token.p, s.mech_token.len);
	CU_ASSERT_EQUAL(decode(raw, s.mech_token.len), HS_OK);
	CU_ASSERT_EQUAL(t.kind, HS_GSS_KRB5);
	CU_ASSERT(t.has_krb);
	CU_ASSERT_EQUAL(t.krb.msg_type, HS_KRB_AP_REQ);
	CU_ASSERT_EQUAL(emit(raw, s.mech_token.len, HS_PROTO_LDAP), HS_GSS_KRB5);
	CU_ASSERT_EQUAL(n_emitted, 1);
	HAS(emitted, "\"proto\":\"kerberos\",\"carrier\":\"ldap\"");
}

static void test_unknown_and_empty(void)
{
	CU_ASSERT_EQUAL(decode(buf, 0), HS_OK);
	CU_ASSERT_EQUAL(t.kind, HS_GSS_NONE);
	CU_ASSERT_EQUAL(emit(buf, 0, HS_PROTO_HTTP), HS_GSS_NONE);
	CU_ASSERT_EQUAL(n_emitted, 0);
	CU_ASSERT_EQUAL(n_anomalies, 0);

	size_t n = tok("4e45474f45585453 0000"); /* "NEGOEXTS": not something a carrier should hand over raw */
	CU_ASSERT_EQUAL(decode(buf, n), HS_E_UNKNOWN);
	CU_ASSERT_EQUAL(t.kind, HS_GSS_UNKNOWN);
	CU_ASSERT_EQUAL(emit(buf, n, HS_PROTO_HTTP), HS_GSS_UNKNOWN);
	CU_ASSERT_EQUAL(n_emitted, 0);
	CU_ASSERT_EQUAL(n_anomalies, 1);
	HAS(anomalies, "unknown_gss_token");

	/* An initial token of an unknown mechanism. */
	n = tok("6009 0606 2b0601050501 00");
	CU_ASSERT_EQUAL(decode(buf, n), HS_E_UNKNOWN);
	CU_ASSERT_EQUAL(t.kind, HS_GSS_UNKNOWN);

	/* SPNEGO whose mechToken is NEGOEX (1.3.6.1.4.1.311.2.2.30 optimistic
	 * token "NEGOEXTS..."): legal, inner unknown, no anomaly. */
	n = tok("a01c 301a a00e 300c 060a 2b06010401823702021e a208 0406 4e45474f4558");
	CU_ASSERT_EQUAL(decode(buf, n), HS_E_UNKNOWN);
	CU_ASSERT_EQUAL(t.kind, HS_GSS_SPNEGO);
	CU_ASSERT_EQUAL(t.err, HS_OK);
	CU_ASSERT_EQUAL(t.inner, HS_GSS_UNKNOWN);
	CU_ASSERT_EQUAL(emit(buf, n, HS_PROTO_HTTP), HS_GSS_SPNEGO);
	CU_ASSERT_EQUAL(n_emitted, 1);
	CU_ASSERT_EQUAL(n_anomalies, 0);
	HAS(emitted, "\"mech_types\":[\"negoex\"]");
	HAS(emitted, "\"mech_token\":{\"proto\":\"unknown\",\"len\":6");
}

static void test_malformed(void)
{
	/* NTLM inside SPNEGO with the user offset corrupted: emitted, plus
	 * malformed_ntlmssp.  The NTLM message starts 21 bytes into the blob
	 * (a1 82 02 63 30 82 02 5f a0 03 0a 01 01 a2 82 02 42 04 82 02 3e),
	 * UserNameFields offset at +40. */
	size_t n = tok(SPNEGO_DCE_NTLM_AUTH);
	CU_ASSERT(memcmp(buf + 21, "NTLMSSP", 8) == 0);
	buf[21 + 40] = 0xff;
	buf[21 + 41] = 0xff;
	CU_ASSERT_EQUAL(decode(buf, n), HS_E_TRUNCATED);
	CU_ASSERT_EQUAL(t.err, HS_OK);
	CU_ASSERT_EQUAL(t.inner_err, HS_E_TRUNCATED);
	CU_ASSERT(t.ntlm.bad_fields & HS_NTLM_F_USER);
	CU_ASSERT_EQUAL(emit(buf, n, HS_PROTO_DCERPC), HS_GSS_SPNEGO);
	CU_ASSERT_EQUAL(n_emitted, 1);
	CU_ASSERT_EQUAL(n_anomalies, 1);
	HAS(anomalies, "malformed_ntlmssp: dcerpc: ntlm token inside SPNEGO: truncated");
	HAS(emitted, "\"bad_fields\":[\"user\"]");
	HAS(emitted, "\"domain\":\"BLACKCLOVER\"");

	/* SPNEGO cut short: malformed_spnego, still emitted. */
	n = tok(SPNEGO_SMB2_INIT2);
	CU_ASSERT_EQUAL(emit(buf, n - 5, HS_PROTO_SMB2), HS_GSS_SPNEGO);
	CU_ASSERT_EQUAL(n_emitted, 1);
	HAS(anomalies, "malformed_spnego");

	/* Raw NTLM cut short: malformed_ntlmssp. */
	n = tok(NTLM_DCE_CHAL);
	CU_ASSERT_EQUAL(emit(buf, n - 1, HS_PROTO_HTTP), HS_GSS_NTLM);
	CU_ASSERT_EQUAL(n_emitted, 1);
	HAS(anomalies, "malformed_ntlmssp: http: NTLMSSP CHALLENGE");
}

static void test_prefixes(void)
{
	const char *all[] = { SPNEGO_DCE_INIT_KRBU2U, SPNEGO_DCE_RESP_REJECT_NTLM, SPNEGO_DCE_NTLM_NEG,
			      SPNEGO_DCE_NTLM_CHAL, SPNEGO_DCE_NTLM_AUTH, SPNEGO_SMB2_INIT2, SPNEGO_SMB2_KRB_APREQ,
			      SPNEGO_SMB2_KRB_APREP, SPNEGO_LDAP_KRB_APREQ, SPNEGO_LDAP_KRB_APREP,
			      SPNEGO_DCE_KRB_APREQ, SPNEGO_DCE_KRB_APREP, SPNEGO_DCE_KRB_APREP3, SPNEGO_DCE_KRB_MIC,
			      NTLM_SMB_NEG, NTLM_SMB_CHAL, NTLM_SMB_AUTH, NTLM_LDAP_AUTH, NTLM_DCE_AUTH };
	for (size_t i = 0; i < sizeof all / sizeof all[0]; i++) {
		size_t n = tok(all[i]);
		/* (the first one's inner token is a krb5 user-to-user TGT-REQ) */
		CU_ASSERT_EQUAL(decode(buf, n), HS_OK);
		for (size_t k = 1; k < n; k++) {
			hs_err e = decode(buf, k);
			CU_ASSERT(e != HS_OK);
			if (e == HS_OK)
				fprintf(stderr, "\n  token %zu prefix %zu/%zu decoded OK\n", i, k, n);
		}
	}
}

static void test_describe_nested(void)
{
	/* hs_spnego_describe is what protos.c registers for HS_PROTO_SPNEGO. */
	size_t n = tok(SPNEGO_DCE_NTLM_NEG);
	CU_ASSERT_EQUAL(decode(buf, n), HS_OK);
	hs_out *o = hs_out_new(HS_OUT_TEXT);
	hs_out_begin(o, NULL);
	hs_spnego_describe(&t, o, 0);
	hs_out_end(o);
	const char *s = hs_out_text(o, NULL);
	HAS(s, "neg_state: accept-incomplete\n");
	HAS(s, "mech_token:\n  proto: ntlmssp\n  ntlm_type: 1\n");
	HAS(s, "  domain: BLACKCLOVER\n  workstation: CBTH-WS-1\n");
	hs_out_free(o);
	CU_ASSERT_STRING_EQUAL(hs_gss_kind_name(HS_GSS_KRB5), "kerberos");
	CU_ASSERT_STRING_EQUAL(hs_gss_kind_name(HS_GSS_NTLM), "ntlm");
}

HS_UNIT_MAIN("gss",
	     { "raw ntlmssp", test_raw_ntlm },
	     { "spnego + ntlm", test_spnego_ntlm },
	     { "spnego + kerberos", test_spnego_krb5 },
	     { "kerberos user-to-user", test_krb5_u2u },
	     { "raw kerberos", test_raw_krb5 },
	     { "unknown and empty", test_unknown_and_empty },
	     { "malformed", test_malformed },
	     { "truncated prefixes", test_prefixes },
	     { "describe nested", test_describe_nested })
