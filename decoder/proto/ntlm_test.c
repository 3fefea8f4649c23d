/* ntlm_test.c - NTLMSSP decoding of real messages (expected values from
 * tshark 4.0: ntlmssp.messagetype, ntlmssp.negotiateflags,
 * ntlmssp.auth.username/domain/hostname, ntlmssp.version.*, the AV pairs),
 * a hand-built anonymous AUTHENTICATE, corrupt offsets, every truncated
 * prefix before a guard page, and UTF-16 edge cases. */
#include "ntlm.h"

#include "gss_test_tokens.h"
#include "unit.h"

static unsigned char buf[4096];

static size_t tok(const char *hex)
{
	return hs_unhex(hex, buf, sizeof buf);
}

/* Decode through a guard page, so any over-read faults. */
static hs_err decode(const unsigned char *p, size_t n, hs_ntlm_msg *m, hs_guard *g)
{
	*g = hs_guard_copy(p, n);
	return hs_ntlm_decode(g->p, n, m);
}

static void check_text(hs_slice s, bool unicode, const char *want)
{
	char out[256];
	hs_ntlm_text(s, unicode, out, sizeof out);
	CU_ASSERT_STRING_EQUAL(out, want);
	if (strcmp(out, want) != 0)
		fprintf(stderr, "\n  got \"%s\" want \"%s\"\n", out, want);
}

static void test_smb_negotiate(void)
{
	hs_ntlm_msg m;
	hs_guard g;
	size_t n = tok(NTLM_SMB_NEG);
	CU_ASSERT_EQUAL(decode(buf, n, &m, &g), HS_OK);
	CU_ASSERT_EQUAL(m.type, 1);
	CU_ASSERT_EQUAL(m.flags, 0x62880205u);
	CU_ASSERT_EQUAL(m.domain.len, 0);       /* tshark: NULL */
	CU_ASSERT_EQUAL(m.workstation.len, 0);
	CU_ASSERT(m.has_version);               /* Version 6.1 (Build 7600); NTLM Current Revision 0 */
	CU_ASSERT_EQUAL(m.ver_major, 6);
	CU_ASSERT_EQUAL(m.ver_minor, 1);
	CU_ASSERT_EQUAL(m.ver_build, 7600);
	CU_ASSERT_EQUAL(m.ntlm_revision, 0);
	hs_guard_free(&g);
}

static void test_smb_challenge(void)
{
	hs_ntlm_msg m;
	hs_guard g;
	size_t n = tok(NTLM_SMB_CHAL);
	CU_ASSERT_EQUAL(decode(buf, n, &m, &g), HS_OK);
	CU_ASSERT_EQUAL(m.type, 2);
	CU_ASSERT_EQUAL(m.flags, 0x628a0205u);
	CU_ASSERT(m.unicode);
	check_text(m.target_name, true, "TEST-F7DFBC3FE9");
	CU_ASSERT_EQUAL(m.server_challenge.len, 8);
	CU_ASSERT_EQUAL(m.server_challenge.p[0], 0xcc); /* ccc0bad0f47e17f0 */
	CU_ASSERT(m.av.present);
	CU_ASSERT(m.av.eol);
	CU_ASSERT_EQUAL(m.av.n, 5);
	check_text(m.av.nb_domain, true, "TEST-F7DFBC3FE9");
	check_text(m.av.nb_computer, true, "TEST-F7DFBC3FE9");
	check_text(m.av.dns_domain, true, "test-f7dfbc3fe9");
	check_text(m.av.dns_computer, true, "test-f7dfbc3fe9");
	CU_ASSERT(m.av.has_flags);
	CU_ASSERT_EQUAL(m.av.flags, 1);
	CU_ASSERT(!m.av.has_timestamp);
	CU_ASSERT(m.has_version);               /* Version 5.1 (Build 2600); NTLM Current Revision 15 */
	CU_ASSERT_EQUAL(m.ver_major, 5);
	CU_ASSERT_EQUAL(m.ver_minor, 1);
	CU_ASSERT_EQUAL(m.ver_build, 2600);
	CU_ASSERT_EQUAL(m.ntlm_revision, 15);
	hs_guard_free(&g);
}

static void test_smb_authenticate(void)
{
	hs_ntlm_msg m;
	hs_guard g;
	size_t n = tok(NTLM_SMB_AUTH);
	CU_ASSERT_EQUAL(decode(buf, n, &m, &g), HS_OK);
	CU_ASSERT_EQUAL(m.type, 3);
	CU_ASSERT_EQUAL(m.flags, 0x62880205u);
	check_text(m.user, m.unicode, "test");
	check_text(m.domain, m.unicode, "TEST-F7DFBC3FE9");
	check_text(m.workstation, m.unicode, "BABYBOOK");
	CU_ASSERT_EQUAL(m.lm_response.len, 24);
	CU_ASSERT_EQUAL(m.nt_response.len, 258);
	CU_ASSERT_EQUAL(m.session_key.len, 16);
	CU_ASSERT(m.ntlmv2);
	CU_ASSERT(!m.anonymous);
	CU_ASSERT_EQUAL(m.nt_proof.len, 16);
	CU_ASSERT_EQUAL(m.nt_proof.p[0], 0x02); /* NTProofStr 020a2c94... */
	CU_ASSERT(m.has_client_timestamp);
	/* tshark: Time: Apr  6, 2016 07:49:19.000000000 UTC = 1459928959 s */
	CU_ASSERT_EQUAL(m.client_timestamp / 10000000u - 11644473600u, 1459928959u);
	CU_ASSERT(m.has_version);
	CU_ASSERT_EQUAL(m.ver_build, 7600);
	CU_ASSERT(m.has_mic_field);             /* MIC: 67395ddc... */
	CU_ASSERT_EQUAL(m.mic.p[0], 0x67);
	CU_ASSERT(m.av.has_flags);
	CU_ASSERT_EQUAL(m.av.flags, 3);
	check_text(m.av.target_name, true, "cifs/192.168.56.101");
	CU_ASSERT(m.av.has_channel_bindings);
	CU_ASSERT_EQUAL(m.av.channel_bindings.len, 16);
	CU_ASSERT(m.av.eol);
	CU_ASSERT_EQUAL(m.av.n, 7);
	CU_ASSERT_EQUAL(m.bad_fields, 0);
	hs_guard_free(&g);
}

static void test_ldap_ntlmv1(void)
{
	hs_ntlm_msg m;
	hs_guard g;
	size_t n = tok(NTLM_LDAP_NEG);
	CU_ASSERT_EQUAL(decode(buf, n, &m, &g), HS_OK);
	CU_ASSERT_EQUAL(m.type, 1);
	CU_ASSERT_EQUAL(m.flags, 0x00000207u);
	CU_ASSERT(!m.has_version);
	hs_guard_free(&g);

	n = tok(NTLM_LDAP_AUTH);
	CU_ASSERT_EQUAL(decode(buf, n, &m, &g), HS_OK);
	CU_ASSERT_EQUAL(m.type, 3);
	CU_ASSERT_EQUAL(m.flags, 0x00000205u);
	check_text(m.user, m.unicode, "sasladmin@slapd.ldap");
	check_text(m.domain, m.unicode, "LOCALHOST");
	check_text(m.workstation, m.unicode, ""); /* tshark: NULL */
	CU_ASSERT_EQUAL(m.lm_response.len, 0);     /* tshark: Empty */
	CU_ASSERT_EQUAL(m.nt_response.len, 24);
	CU_ASSERT(!m.ntlmv2);
	CU_ASSERT(!m.anonymous);
	CU_ASSERT(!m.has_version);
	CU_ASSERT(!m.has_mic_field);
	CU_ASSERT(!m.av.present);
	hs_guard_free(&g);
}

static void test_dce_exchange(void)
{
	hs_ntlm_msg m;
	hs_guard g;
	size_t n = tok(NTLM_DCE_NEG);
	CU_ASSERT_EQUAL(decode(buf, n, &m, &g), HS_OK);
	CU_ASSERT_EQUAL(m.flags, 0xe218b297u);
	CU_ASSERT(!m.unicode);
	check_text(m.domain, false, "BLACKCLOVER");
	check_text(m.workstation, false, "CBTH-WS-1");
	CU_ASSERT_EQUAL(m.ver_major, 10);
	CU_ASSERT_EQUAL(m.ver_minor, 0);
	CU_ASSERT_EQUAL(m.ver_build, 18362);
	CU_ASSERT_EQUAL(m.ntlm_revision, 15);
	hs_guard_free(&g);

	n = tok(NTLM_DCE_CHAL);
	CU_ASSERT_EQUAL(decode(buf, n, &m, &g), HS_OK);
	CU_ASSERT_EQUAL(m.flags, 0xe2998215u);
	check_text(m.target_name, true, "BLACKCLOVER");
	check_text(m.av.nb_domain, true, "BLACKCLOVER");
	check_text(m.av.nb_computer, true, "CBTH-WS-2");
	check_text(m.av.dns_domain, true, "blackclover.local");
	check_text(m.av.dns_computer, true, "CBTH-WS-2.blackclover.local");
	check_text(m.av.dns_tree, true, "blackclover.local");
	CU_ASSERT(m.av.has_timestamp);
	/* tshark: Mar 25, 2021 09:14:18.369272600 UTC */
	CU_ASSERT_EQUAL(m.av.timestamp / 10000000u - 11644473600u, 1616663658u);
	CU_ASSERT_EQUAL(m.av.timestamp % 10000000u, 3692726u);
	hs_guard_free(&g);

	n = tok(NTLM_DCE_AUTH);
	CU_ASSERT_EQUAL(decode(buf, n, &m, &g), HS_OK);
	check_text(m.user, m.unicode, "Administrator");
	check_text(m.domain, m.unicode, "BLACKCLOVER");
	check_text(m.workstation, m.unicode, "CBTH-WS-1");
	CU_ASSERT_EQUAL(m.nt_response.len, 380);
	CU_ASSERT(m.ntlmv2);
	CU_ASSERT(m.av.has_flags);
	CU_ASSERT_EQUAL(m.av.flags, 2);
	CU_ASSERT(m.av.has_single_host);
	CU_ASSERT(m.av.has_channel_bindings);
	check_text(m.av.target_name, true, "BLACKCLOVER\\Administrator");
	CU_ASSERT_EQUAL(m.av.n, 10);
	hs_guard_free(&g);
}

/* An anonymous AUTHENTICATE as MS-NLMP 3.2.5.1.2 has the client build it
 * when user name and password are both empty: NtChallengeResponse empty,
 * LmChallengeResponse = Z(1) (one zero byte), the ANONYMOUS flag set.  This
 * is what a second hop without delegated credentials sends, and what the
 * server logs as NT AUTHORITY\ANONYMOUS LOGON. */
static const char anon_auth[] =
	"4e544c4d53535000"          /* Signature "NTLMSSP\0" */
	"03000000"                  /* MessageType 3 = AUTHENTICATE */
	"0100 0100 58000000"        /* LmChallengeResponseFields: Len 1, MaxLen 1, Offset 88 -> Z(1) */
	"0000 0000 59000000"        /* NtChallengeResponseFields: empty */
	"0000 0000 59000000"        /* DomainNameFields: empty */
	"0000 0000 59000000"        /* UserNameFields: empty */
	"0800 0800 59000000"        /* WorkstationFields: 8 bytes at 89, "SRV1" in UTF-16LE */
	"0000 0000 61000000"        /* EncryptedRandomSessionKeyFields: empty */
	"158a88e2"                  /* NegotiateFlags 0xe2888a15: UNICODE, REQUEST_TARGET, SIGN, NTLM,
	                             * ANONYMOUS (0x800), ALWAYS_SIGN, EXTENDED_SESSIONSECURITY,
	                             * TARGET_INFO, VERSION, 128, KEY_EXCH, 56 */
	"0a00 6345 000000 0f"       /* Version 10.0 build 17763 (0x4563), NTLM revision 15 */
	"00000000000000000000000000000000" /* MIC field, zero: no NTLMv2 response to protect */
	"00"                        /* offset 88: LmChallengeResponse Z(1) */
	"5300520056003100";         /* offset 89: workstation "SRV1" */

static void test_anonymous(void)
{
	hs_ntlm_msg m;
	hs_guard g;
	size_t n = tok(anon_auth);
	CU_ASSERT_EQUAL(n, 97);
	CU_ASSERT_EQUAL(decode(buf, n, &m, &g), HS_OK);
	CU_ASSERT_EQUAL(m.type, 3);
	CU_ASSERT(m.anonymous);
	CU_ASSERT(m.flags & HS_NTLM_ANONYMOUS);
	CU_ASSERT_EQUAL(m.user.len, 0);
	check_text(m.workstation, true, "SRV1");
	CU_ASSERT_EQUAL(m.lm_response.len, 1);
	CU_ASSERT(!m.ntlmv2);
	CU_ASSERT_EQUAL(m.ver_build, 17763);
	hs_guard_free(&g);

	/* Same with an empty LmChallengeResponse: still anonymous. */
	buf[12] = 0;
	CU_ASSERT_EQUAL(decode(buf, n, &m, &g), HS_OK);
	CU_ASSERT(m.anonymous);
	hs_guard_free(&g);

	/* LM = one non-zero byte: not the anonymous form. */
	n = tok(anon_auth);
	buf[88] = 0x41;
	CU_ASSERT_EQUAL(decode(buf, n, &m, &g), HS_OK);
	CU_ASSERT(!m.anonymous);
	hs_guard_free(&g);

	/* A user name (the workstation bytes reused as user "SRV1"): not anonymous. */
	n = tok(anon_auth);
	buf[36] = 8;
	buf[37] = 0;
	CU_ASSERT_EQUAL(decode(buf, n, &m, &g), HS_OK);
	CU_ASSERT(!m.anonymous);
	check_text(m.user, true, "SRV1");
	hs_guard_free(&g);

	/* A user name whose offset is corrupt is still a user name: the
	 * declared length decides, so corruption cannot fake "anonymous". */
	n = tok(anon_auth);
	buf[36] = 8;
	buf[40] = 0xf0;
	CU_ASSERT_NOT_EQUAL(decode(buf, n, &m, &g), HS_OK);
	CU_ASSERT(!m.anonymous);
	CU_ASSERT(m.bad_fields & HS_NTLM_F_USER);
	hs_guard_free(&g);
}

static void put_u32le(unsigned char *p, uint32_t v)
{
	p[0] = (unsigned char)v;
	p[1] = (unsigned char)(v >> 8);
	p[2] = (unsigned char)(v >> 16);
	p[3] = (unsigned char)(v >> 24);
}

static void test_corrupt_offsets(void)
{
	hs_ntlm_msg m;
	hs_guard g;
	/* UserNameFields (at 36) offset pointing far outside the message. */
	size_t n = tok(NTLM_SMB_AUTH);
	put_u32le(buf + 40, 0xffff0000u);
	CU_ASSERT_EQUAL(decode(buf, n, &m, &g), HS_E_TRUNCATED);
	CU_ASSERT_EQUAL(m.user.len, 0);
	CU_ASSERT_PTR_NULL(m.user.p);
	CU_ASSERT_EQUAL(m.bad_fields, HS_NTLM_F_USER);
	check_text(m.domain, true, "TEST-F7DFBC3FE9"); /* the rest still decoded */
	check_text(m.workstation, true, "BABYBOOK");
	CU_ASSERT(m.ntlmv2);
	hs_guard_free(&g);

	/* Offset just inside, length running one byte past the end. */
	n = tok(NTLM_SMB_AUTH);
	put_u32le(buf + 40, (uint32_t)(n - 7));
	CU_ASSERT_EQUAL(decode(buf, n, &m, &g), HS_E_TRUNCATED);
	CU_ASSERT_EQUAL(m.bad_fields, HS_NTLM_F_USER);
	hs_guard_free(&g);

	/* Offset + length overflowing 32 bits. */
	n = tok(NTLM_SMB_AUTH);
	put_u32le(buf + 24, 0xfffffff0u); /* NtChallengeResponseFields offset */
	CU_ASSERT_EQUAL(decode(buf, n, &m, &g), HS_E_TRUNCATED);
	CU_ASSERT(m.bad_fields & HS_NTLM_F_NT_RESPONSE);
	CU_ASSERT_EQUAL(m.nt_response.len, 0);
	CU_ASSERT(!m.ntlmv2);
	CU_ASSERT(!m.anonymous); /* declared NT length is 258 */
	hs_guard_free(&g);

	/* CHALLENGE TargetInfo outside. */
	n = tok(NTLM_DCE_CHAL);
	put_u32le(buf + 44, 0x7fffffffu);
	CU_ASSERT_EQUAL(decode(buf, n, &m, &g), HS_E_TRUNCATED);
	CU_ASSERT(m.bad_fields & HS_NTLM_F_TARGET_INFO);
	CU_ASSERT(!m.av.present);
	check_text(m.target_name, true, "BLACKCLOVER");
	hs_guard_free(&g);

	/* An AV pair whose length runs past TargetInfo: malformed. */
	n = tok(NTLM_SMB_CHAL);
	/* TargetInfo at 86; first pair's AvLen at 88 */
	buf[88] = 0xff;
	buf[89] = 0x7f;
	CU_ASSERT_EQUAL(decode(buf, n, &m, &g), HS_E_MALFORMED);
	CU_ASSERT(m.av.present);
	CU_ASSERT_EQUAL(m.av.n, 0);
	hs_guard_free(&g);

	/* Unknown message type; wrong signature. */
	n = tok(NTLM_SMB_NEG);
	buf[8] = 9;
	CU_ASSERT_EQUAL(decode(buf, n, &m, &g), HS_E_MALFORMED);
	hs_guard_free(&g);
	n = tok(NTLM_SMB_NEG);
	buf[0] = 'X';
	CU_ASSERT_EQUAL(decode(buf, n, &m, &g), HS_E_UNKNOWN);
	CU_ASSERT_EQUAL(m.type, 0);
	hs_guard_free(&g);
}

static void test_prefixes(void)
{
	const char *all[] = { NTLM_SMB_NEG, NTLM_SMB_CHAL, NTLM_SMB_AUTH, NTLM_LDAP_NEG, NTLM_LDAP_AUTH,
			      NTLM_DCE_NEG, NTLM_DCE_CHAL, NTLM_DCE_AUTH, anon_auth };
	for (size_t t = 0; t < sizeof all / sizeof all[0]; t++) {
		size_t n = tok(all[t]);
		for (size_t k = 0; k < n; k++) {
			hs_ntlm_msg m;
			hs_guard g;
			hs_err e = decode(buf, k, &m, &g);
			CU_ASSERT(e == HS_E_TRUNCATED || e == HS_E_MALFORMED);
			if (!(e == HS_E_TRUNCATED || e == HS_E_MALFORMED))
				fprintf(stderr, "\n  token %zu prefix %zu/%zu: %s\n", t, k, n, hs_err_name(e));
			hs_guard_free(&g);
		}
	}
}

static void test_utf16(void)
{
	/* "A", U+1F600 as the pair D83D DE00, a lone low surrogate DC00, a
	 * high surrogate D800 followed by "B" (not a low one), and a final odd
	 * byte: valid pairs combine, everything else is U+FFFD. */
	static const unsigned char w[] = { 'A', 0, 0x3d, 0xd8, 0x00, 0xde, 0x00, 0xdc, 0x00, 0xd8, 'B', 0, 'C' };
	hs_slice s = { w, sizeof w };
	check_text(s, true, "A\xf0\x9f\x98\x80\xef\xbf\xbd\xef\xbf\xbd" "B\xef\xbf\xbd");
	/* High surrogate as the very last unit. */
	hs_slice s2 = { w + 8, 2 };
	check_text(s2, true, "\xef\xbf\xbd");
	/* Non-ASCII BMP: "é" U+00E9, "日" U+65E5. */
	static const unsigned char w2[] = { 0xe9, 0x00, 0xe5, 0x65 };
	hs_slice s3 = { w2, sizeof w2 };
	check_text(s3, true, "\xc3\xa9\xe6\x97\xa5");
	/* Output cut at a character boundary, always NUL terminated. */
	char small[4];
	CU_ASSERT_EQUAL(hs_ntlm_text(s3, true, small, sizeof small), 2);
	CU_ASSERT_STRING_EQUAL(small, "\xc3\xa9");
	/* OEM: valid UTF-8 kept, stray bytes replaced. */
	static const unsigned char o[] = { 'a', 0xc3, 0xa9, 0x99, 'b', 0xe6 };
	hs_slice s4 = { o, sizeof o };
	check_text(s4, false, "a\xc3\xa9\xef\xbf\xbd" "b\xef\xbf\xbd");
	hs_slice empty = { NULL, 0 };
	check_text(empty, true, "");
}

static const char *describe(const char *hex, unsigned flags)
{
	static char out[16384];
	hs_ntlm_msg m;
	size_t n = tok(hex);
	hs_ntlm_decode(buf, n, &m);
	hs_out *o = hs_out_new(HS_OUT_JSON);
	hs_out_begin(o, NULL);
	hs_ntlm_describe(&m, o, flags);
	hs_out_end(o);
	snprintf(out, sizeof out, "%s", hs_out_text(o, NULL));
	hs_out_free(o);
	return out;
}

static void test_describe(void)
{
	const char *j = describe(NTLM_SMB_AUTH, 0);
	CU_ASSERT_PTR_NOT_NULL(strstr(j, "\"ntlm_type\":3,\"msg\":\"AUTHENTICATE\",\"flags\":\"0x62880205\""));
	CU_ASSERT_PTR_NOT_NULL(strstr(j, "\"user\":\"test\",\"domain\":\"TEST-F7DFBC3FE9\",\"workstation\":\"BABYBOOK\","
				      "\"anonymous\":false,\"version\":\"v2\""));
	CU_ASSERT_PTR_NOT_NULL(strstr(j, "\"NEGOTIATE_KEY_EXCH\""));
	CU_ASSERT_PTR_NOT_NULL(strstr(j, "\"os_version\":\"6.1.7600\""));
	CU_ASSERT_PTR_NOT_NULL(strstr(j, "\"mic\":true"));
	CU_ASSERT_PTR_NOT_NULL(strstr(j, "\"target_name\":\"cifs/192.168.56.101\""));
	CU_ASSERT_PTR_NOT_NULL(strstr(j, "\"client_timestamp\":\"2016-04-06T07:49:19.000000Z\""));
	CU_ASSERT_PTR_NOT_NULL(strstr(j, "\"nt_response_len\":258"));
	/* No secret without the flag: NTProofStr, session key, MIC. */
	CU_ASSERT_PTR_NULL(strstr(j, "020a2c94"));
	CU_ASSERT_PTR_NULL(strstr(j, "eb729686"));
	CU_ASSERT_PTR_NULL(strstr(j, "67395ddc"));
	j = describe(NTLM_SMB_AUTH, HS_DESCRIBE_SECRETS);
	CU_ASSERT_PTR_NOT_NULL(strstr(j, "020a2c94"));
	CU_ASSERT_PTR_NOT_NULL(strstr(j, "\"session_key\":\"eb729686fcaacfadb13418fa494760de\""));

	j = describe(NTLM_LDAP_AUTH, 0);
	CU_ASSERT_PTR_NOT_NULL(strstr(j, "\"workstation\":\"\",\"anonymous\":false,\"version\":\"v1\""));

	j = describe(NTLM_DCE_CHAL, 0);
	CU_ASSERT_PTR_NOT_NULL(strstr(j, "\"server_challenge_len\":8"));
	CU_ASSERT_PTR_NULL(strstr(j, "a1b4194355975599"));
	CU_ASSERT_PTR_NOT_NULL(strstr(j, "\"timestamp\":\"2021-03-25T09:14:18.369272Z\""));
	CU_ASSERT_PTR_NOT_NULL(strstr(j, "\"dns_tree_name\":\"blackclover.local\""));

	j = describe(anon_auth, 0);
	CU_ASSERT_PTR_NOT_NULL(strstr(j, "\"user\":\"\",\"domain\":\"\",\"workstation\":\"SRV1\",\"anonymous\":true,\"version\":null"));
	CU_ASSERT_PTR_NOT_NULL(strstr(j, "\"ANONYMOUS\""));
}

HS_UNIT_MAIN("ntlm",
	     { "smb negotiate", test_smb_negotiate },
	     { "smb challenge", test_smb_challenge },
	     { "smb authenticate ntlmv2", test_smb_authenticate },
	     { "ldap ntlmv1", test_ldap_ntlmv1 },
	     { "dce/rpc exchange", test_dce_exchange },
	     { "anonymous", test_anonymous },
	     { "corrupt offsets", test_corrupt_offsets },
	     { "truncated prefixes", test_prefixes },
	     { "utf-16", test_utf16 },
	     { "describe", test_describe })
