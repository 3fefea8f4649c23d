/* dcerpc_test.c - DCE/RPC carrier: real connections from the zeek captures
 * (tests/carriers/dcerpc_ntlm.txt from dce-rpc_dce_rpc_ntlm.pcapng, a DCOM
 * IRemUnknown2 association on dynamic ports with SPNEGO/NTLM at
 * pkt_integrity; dcerpc_krb135.txt from dce-rpc_kerberos135_auth.pcapng, a
 * RemoteCreateInstance on 135 with SPNEGO/Kerberos at connect level),
 * checked against tshark 4.0 (dcerpc.pkt_type, dcerpc.cn_call_id,
 * dcerpc.auth_type, dcerpc.auth_level, dcerpc.auth_ctx_id,
 * dcerpc.cn_ack_result, dcerpc.cn_sec_addr, dcerpc.opnum, ntlmssp.auth.*). */
#include <stdarg.h>

#include "carriers/replay.h"
#include "dcerpc.h"

static void test_dcerpc_ntlm(void)
{
	rp_stream s;
	rp_load(&s, "dcerpc_ntlm.txt");
	unsigned errors = 0;
	char *log = rp_replay(&s, &hs_dcerpc_app, NULL, &errors);
	CU_ASSERT_EQUAL(errors, 0);
	/* frame 1: bind, call 2, three contexts IRemUnknown2 0.0, auth 9 / level 5 */
	CU_ASSERT_EQUAL(rp_count(log, "\"ptype\":\"bind\"", "\"call_id\":2", "\"interface\":\"IRemUnknown2\"",
				 "\"uuid\":\"00000143-0000-0000-c000-000000000046\"", "\"auth_type\":\"spnego\"",
				 "\"auth_level\":\"pkt_integrity\"", "\"auth_context_id\":0", NULL), 1);
	/* frame 3: bind_ack results 0,2,3; sec_addr 58772 */
	CU_ASSERT_EQUAL(rp_count(log, "\"ptype\":\"bind_ack\"", "\"sec_addr\":\"58772\"",
				 "{\"result\":\"acceptance\"},{\"result\":\"provider_rejection\",\"reason\":2},{\"result\":\"negotiate_ack\"}",
				 NULL), 1);
	/* frames 4-6: alter_context / _resp carrying NTLM NEGOTIATE, CHALLENGE, AUTHENTICATE
	 * BLACKCLOVER\Administrator from CBTH-WS-1 */
	CU_ASSERT_EQUAL(rp_count(log, "\"ptype\":\"alter_context\"", "\"auth_type\":\"spnego\"", NULL), 2);
	CU_ASSERT_EQUAL(rp_count(log, "\"ptype\":\"alter_context_resp\"", NULL), 1);
	CU_ASSERT_EQUAL(rp_count(log, "\"carrier\":\"dcerpc\"", "\"user\":\"Administrator\"", "\"domain\":\"BLACKCLOVER\"",
				 "\"workstation\":\"CBTH-WS-1\"", NULL), 1);
	g_free(log);
	rp_free(&s);
}

static void test_dcerpc_krb135(void)
{
	rp_stream s;
	rp_load(&s, "dcerpc_krb135.txt");
	unsigned errors = 0;
	char *log = rp_replay(&s, &hs_dcerpc_app, NULL, &errors);
	CU_ASSERT_EQUAL(errors, 0);
	CU_ASSERT_PTR_NULL(strstr(log, "! "));
	/* frame 5 (reassembled from 4+5): bind call 8, ISystemActivator (IRemoteSCMActivator), SPNEGO/connect, AP-REQ */
	CU_ASSERT_EQUAL(rp_count(log, "\"ptype\":\"bind\"", "\"call_id\":8", "\"interface\":\"IRemoteSCMActivator\"",
				 "\"auth_type\":\"spnego\"", "\"auth_level\":\"connect\"", NULL), 1);
	CU_ASSERT_EQUAL(rp_count(log, "\"proto\":\"spnego\"", "\"carrier\":\"dcerpc\"", "AP-REQ", NULL), 1);
	/* frame 7: bind_ack results 0,3; sec_addr 135 */
	CU_ASSERT_EQUAL(rp_count(log, "\"ptype\":\"bind_ack\"", "\"sec_addr\":\"135\"",
				 "{\"result\":\"acceptance\"},{\"result\":\"negotiate_ack\"}", NULL), 1);
	/* frames 8/9: alter_context / resp (SPNEGO continuation) */
	CU_ASSERT_EQUAL(rp_count(log, "\"proto\":\"spnego\"", "\"carrier\":\"dcerpc\"", NULL), 4);
	/* frames 10/11: request / response opnum 4 (RemoteCreateInstance), no verifier */
	CU_ASSERT_EQUAL(rp_count(log, "\"ptype\":\"request\"", "\"opnum\":4", NULL), 1);
	CU_ASSERT_EQUAL(rp_count(log, "\"ptype\":\"response\"", NULL), 1);
	g_free(log);
	rp_free(&s);
}

static void test_dcerpc_every_split(void)
{
	const char *files[] = { "dcerpc_ntlm.txt", "dcerpc_krb135.txt" };
	for (unsigned i = 0; i < 2; i++) {
		rp_stream s;
		rp_load(&s, files[i]);
		CU_ASSERT_EQUAL(rp_every_split(&s, &hs_dcerpc_app), 0);
		rp_free(&s);
	}
}

static void test_dcerpc_every_prefix(void)
{
	const char *files[] = { "dcerpc_ntlm.txt", "dcerpc_krb135.txt" };
	for (unsigned f = 0; f < 2; f++) {
		rp_stream s;
		rp_load(&s, files[f]);
		for (int dir = 0; dir < 2; dir++) {
			size_t n;
			unsigned char *p = rp_direction(&s, dir, &n);
			size_t at = 0;
			while (at < n) {
				hs_parse_result r = hs_dcerpc_frame(p + at, n - at);
				CU_ASSERT_EQUAL_FATAL(r.status, HS_PARSE_OK);
				hs_dcerpc_msg m;
				CU_ASSERT_EQUAL(hs_dcerpc_decode(p + at, r.consumed, &m), HS_OK);
				/* the first PDU of the initiator is what the probe sees */
				if (dir == 0 && at == 0)
					CU_ASSERT(hs_dcerpc_probe(p, n));
				for (size_t j = 0; j < r.consumed; j++) {
					hs_guard g = hs_guard_copy(p + at, j);
					CU_ASSERT_EQUAL(hs_dcerpc_frame(g.p, j).status, HS_PARSE_INCOMPLETE);
					CU_ASSERT_NOT_EQUAL(hs_dcerpc_decode(g.p, j, &m), HS_OK);
					hs_guard_free(&g);
				}
				at += r.consumed;
			}
			free(p);
		}
		rp_free(&s);
	}
}

/* PDUs the captures lack, laid out from C706 12.6.4 / MS-RPCE 2.2.2. */
static void test_dcerpc_synthetic(void)
{
	/* bind_nak, reason 8 authentication_type_not_recognized, little endian */
	static const unsigned char nak[] = { 5, 0, 13, 3, 0x10, 0, 0, 0, 18, 0, 0, 0, 7, 0, 0, 0, 8, 0 };
	hs_dcerpc_msg m;
	CU_ASSERT_EQUAL(hs_dcerpc_decode(nak, sizeof nak, &m), HS_OK);
	CU_ASSERT(m.has_reject_reason);
	CU_ASSERT_EQUAL(m.reject_reason, 8);
	CU_ASSERT_STRING_EQUAL(hs_dcerpc_reject_name(m.reject_reason), "authentication_type_not_recognized");

	/* fault, big endian, status 0x00000005 (access denied) */
	static const unsigned char fault[] = { 5, 0, 3, 3, 0x00, 0, 0, 0, 0, 32, 0, 0, 0, 0, 0, 9,
					       0, 0, 0, 0, 0, 1, 0, 0, 0, 0, 0, 5, 0, 0, 0, 0 };
	CU_ASSERT_EQUAL(hs_dcerpc_decode(fault, sizeof fault, &m), HS_OK);
	CU_ASSERT_FALSE(m.little_endian);
	CU_ASSERT_EQUAL(m.call_id, 9);
	CU_ASSERT_EQUAL(m.context_id, 1);
	CU_ASSERT_EQUAL(m.status, 5);
	hs_out *o = hs_out_new(HS_OUT_JSON);
	hs_out_begin(o, NULL);
	hs_dcerpc_describe(&m, o, 0);
	hs_out_end(o);
	CU_ASSERT_PTR_NOT_NULL(strstr(hs_out_text(o, NULL), "\"status\":\"ERROR_ACCESS_DENIED\""));
	CU_ASSERT_PTR_NOT_NULL(strstr(hs_out_text(o, NULL), "\"big_endian\":true"));
	hs_out_free(o);
	CU_ASSERT_STRING_EQUAL(hs_dcerpc_status_name(0x1c010002), "nca_s_op_rng_error");
	CU_ASSERT_STRING_EQUAL(hs_dcerpc_status_name(0xc0000022), "STATUS_ACCESS_DENIED");

	/* auth3 with an NTLM (10) verifier at pkt_privacy (6), 4-byte token */
	static const unsigned char auth3[] = { 5, 0, 16, 3, 0x10, 0, 0, 0, 32, 0, 4, 0, 2, 0, 0, 0,
					       0, 0, 0, 0, 10, 6, 0, 0, 0x79, 0, 0, 0, 'a', 'b', 'c', 'd' };
	CU_ASSERT_EQUAL(hs_dcerpc_decode(auth3, sizeof auth3, &m), HS_OK);
	CU_ASSERT(m.has_auth);
	CU_ASSERT_EQUAL(m.auth_type, HS_DCERPC_AUTH_NTLM);
	CU_ASSERT_STRING_EQUAL(hs_dcerpc_auth_level_name(m.auth_level), "pkt_privacy");
	CU_ASSERT_EQUAL(m.auth_context_id, 0x79);
	CU_ASSERT_EQUAL(m.auth_value.len, 4);

	/* auth_length larger than the PDU body */
	unsigned char bad[sizeof auth3];
	memcpy(bad, auth3, sizeof bad);
	bad[10] = 40;
	CU_ASSERT_EQUAL(hs_dcerpc_decode(bad, sizeof bad, &m), HS_E_MALFORMED);
	/* frag_length below the header: an error for the framer */
	CU_ASSERT_EQUAL(hs_dcerpc_frame((const uint8_t *)"\5\0\13\3\x10\0\0\0\x08\0", 10).status, HS_PARSE_ERROR);
	CU_ASSERT_EQUAL(hs_dcerpc_frame((const uint8_t *)"\4\0\13\3\x10\0\0\0\x48\0", 10).status, HS_PARSE_ERROR);
	/* the probe refuses random text and responses */
	CU_ASSERT_FALSE(hs_dcerpc_probe((const uint8_t *)"GET / HTTP/1.1\r\n", 16));
	CU_ASSERT_FALSE(hs_dcerpc_probe(nak, sizeof nak));
	CU_ASSERT_TRUE(hs_dcerpc_probe(auth3 + 0, 16) == false); /* auth3 is no first PDU */

	uint8_t u[16] = { 0xe1, 0xaf, 0x83, 0x08, 0x5d, 0x1f, 0x11, 0xc9, 0x91, 0xa4, 0x08, 0x00, 0x2b, 0x14, 0xa0, 0xfa };
	CU_ASSERT_STRING_EQUAL(hs_dcerpc_interface_name(u), "EPM");
}

HS_UNIT_MAIN("dcerpc",
	{ "DCOM NTLM association (dce-rpc_dce_rpc_ntlm.pcapng) vs tshark", test_dcerpc_ntlm },
	{ "ISystemActivator Kerberos on 135 (dce-rpc_kerberos135_auth.pcapng) vs tshark", test_dcerpc_krb135 },
	{ "every split point of both directions", test_dcerpc_every_split },
	{ "every truncated prefix of every PDU; probe on first PDUs", test_dcerpc_every_prefix },
	{ "bind_nak, big-endian fault, auth3, bad lengths, probe", test_dcerpc_synthetic })
