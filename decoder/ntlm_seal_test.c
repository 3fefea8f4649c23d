/* ntlm_seal_test.c - NTLM session security against the specifications'
 * values: MD4 (RFC 1320 A.5 test suite), the NT hash of "Password"
 * (MS-NLMP 4.2.2.1.2), the NTLMv2 example of MS-NLMP 4.2.4 (user "User",
 * domain "Domain", server challenge 0123456789abcdef, client challenge
 * aa..aa, time 0, TargetInfo Domain/Server: NTProofStr, SessionBaseKey,
 * EncryptedRandomSessionKey -> RandomSessionKey 55..55) and its
 * GSS_WrapEx example (4.2.4.4: "Plaintext" sealed and signed).  Expected
 * values are the spec's; a wrong password, a flipped byte and a replayed
 * sequence number must fail. */
#include "ntlm_seal.h"

#include <string.h>

#include "unit.h"

static void test_md4(void)
{
	static const struct { const char *in, *hex; } v[] = {
		{ "", "31d6cfe0d16ae931b73c59d7e0c089c0" },
		{ "a", "bde52cb31de33e46245e05fbdbd6fb24" },
		{ "abc", "a448017aaf21d8525fc10ae87aa6729d" },
		{ "message digest", "d9130a8164549fe818874806e1c7014b" },
		{ "abcdefghijklmnopqrstuvwxyz", "d79e1c308aa5bbcdeea8ed63df412da9" },
		{ "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789", "043f8582f241db351ce627e153e7f0e4" },
		{ "12345678901234567890123456789012345678901234567890123456789012345678901234567890",
		  "e33b4ddc9c38f2199c3e7b164fcc0536" },
	};
	for (size_t i = 0; i < sizeof v / sizeof v[0]; i++) {
		uint8_t out[16], want[16];
		hs_md4((const uint8_t *)v[i].in, strlen(v[i].in), out);
		hs_unhex(v[i].hex, want, sizeof want);
		CU_ASSERT_EQUAL(memcmp(out, want, 16), 0);
	}
}

/* MS-NLMP 4.2.4: the CHALLENGE's server challenge, the AUTHENTICATE's
 * fields (flags 0xe28a8233) and its NTLMv2 response = NTProofStr | temp
 * (4.2.4.1.3, 4.2.4.2.2). */
static const char *const temp_hex = "0101000000000000" "0000000000000000" "aaaaaaaaaaaaaaaa" "00000000"
				    "02000c0044006f006d00610069006e00" "01000c005300650072007600650072000000"
				    "0000" "00000000";
static uint8_t chal_b[8], nt_b[256], user_b[32], dom_b[32], key_b[16];

static void spec_msgs(hs_ntlm_msg *ch, hs_ntlm_msg *au)
{
	memset(ch, 0, sizeof *ch);
	memset(au, 0, sizeof *au);
	ch->type = 2;
	ch->server_challenge = (hs_slice){ chal_b, hs_unhex("0123456789abcdef", chal_b, sizeof chal_b) };
	au->type = 3;
	au->flags = 0xe28a8233u;
	au->unicode = true;
	au->ntlmv2 = true;
	size_t n = hs_unhex("68cd0ab851e51c96aabc927bebef6a1c", nt_b, sizeof nt_b);
	n += hs_unhex(temp_hex, nt_b + n, sizeof nt_b - n);
	au->nt_response = (hs_slice){ nt_b, n };
	au->user = (hs_slice){ user_b, hs_unhex("5500730065007200", user_b, sizeof user_b) };            /* "User" */
	au->domain = (hs_slice){ dom_b, hs_unhex("44006f006d00610069006e00", dom_b, sizeof dom_b) };   /* "Domain" */
	au->session_key = (hs_slice){ key_b, hs_unhex("c5dad2544fc9799094ce1ce90bc9d03e", key_b, sizeof key_b) };
}

/* 4.2.4.4: client-to-server, SeqNum 0, "Plaintext" in UTF-16LE. */
static const char *const plain_hex = "50006c00610069006e007400650078007400";
static const char *const sealed_hex = "54e50165bf1936dc996020c1811b0f06fb5f";
static const char *const sig_hex = "010000007fb38ec5c55d497600000000";

static void unseal_spec(hs_ntlm_seal *s, hs_ntlm_seal_status want)
{
	uint8_t sealed[18], sig[16], plain[18], out[18];
	uint32_t seq = 99;
	hs_unhex(sealed_hex, sealed, sizeof sealed);
	hs_unhex(sig_hex, sig, sizeof sig);
	hs_unhex(plain_hex, plain, sizeof plain);
	CU_ASSERT_EQUAL(hs_ntlm_unseal(s, false, sig, sealed, sizeof sealed, out, &seq), want);
	CU_ASSERT_EQUAL(seq, 0);
	if (want == HS_NTLM_SEAL_OK)
		CU_ASSERT_EQUAL(memcmp(out, plain, sizeof plain), 0);
}

static void test_spec_exchange(void)
{
	hs_ntlm_creds *c = hs_ntlm_creds_new();
	char err[128];
	CU_ASSERT(hs_ntlm_creds_add(c, "Domain\\User:Password", false, err, sizeof err));
	hs_ntlm_msg ch, au;
	hs_ntlm_seal s;
	spec_msgs(&ch, &au);
	CU_ASSERT_EQUAL(hs_ntlm_seal_init(c, &ch, &au, &s), HS_NTLM_SEAL_OK);
	CU_ASSERT_STRING_EQUAL(s.user, "Domain\\User");
	unseal_spec(&s, HS_NTLM_SEAL_OK);
	hs_ntlm_creds_free(c);

	/* the NT hash of "Password" (MS-NLMP 4.2.2.1.2) does the same */
	c = hs_ntlm_creds_new();
	CU_ASSERT(hs_ntlm_creds_add(c, "user:a4f49c406510bdcab6824ee7c30fd852", true, err, sizeof err));
	CU_ASSERT_EQUAL(hs_ntlm_seal_init(c, &ch, &au, &s), HS_NTLM_SEAL_OK);
	unseal_spec(&s, HS_NTLM_SEAL_OK);
	hs_ntlm_creds_free(c);
}

static void test_spec_wrap(void)
{
	uint8_t key[16];
	hs_ntlm_seal s;
	memset(key, 0x55, sizeof key); /* RandomSessionKey */
	hs_ntlm_seal_from_key(&s, 0xe28a8233u, key);
	uint8_t want[16];
	hs_unhex("4788dc861b4782f35d43fd98fe1a2d39", want, sizeof want); /* SIGNKEY client-to-server */
	CU_ASSERT_EQUAL(memcmp(s.dir[0].sign_key, want, 16), 0);
	unseal_spec(&s, HS_NTLM_SEAL_OK);
	/* the same message again: sequence number 0 is no longer expected */
	hs_ntlm_seal_from_key(&s, 0xe28a8233u, key);
	unseal_spec(&s, HS_NTLM_SEAL_OK);
	unseal_spec(&s, HS_NTLM_SEAL_INTEGRITY);
	/* the server-to-client direction has other keys */
	hs_ntlm_seal_from_key(&s, 0xe28a8233u, key);
	uint8_t sealed[18], sig[16], out[18];
	uint32_t seq;
	hs_unhex(sealed_hex, sealed, sizeof sealed);
	hs_unhex(sig_hex, sig, sizeof sig);
	CU_ASSERT_EQUAL(hs_ntlm_unseal(&s, true, sig, sealed, sizeof sealed, out, &seq), HS_NTLM_SEAL_INTEGRITY);
	/* a flipped cipher-text byte */
	hs_ntlm_seal_from_key(&s, 0xe28a8233u, key);
	sealed[3] ^= 1;
	CU_ASSERT_EQUAL(hs_ntlm_unseal(&s, false, sig, sealed, sizeof sealed, out, &seq), HS_NTLM_SEAL_INTEGRITY);
	hs_ntlm_seal_wipe(&s);
}

static void test_wrong_and_missing(void)
{
	char err[128];
	hs_ntlm_msg ch, au;
	hs_ntlm_seal s;
	spec_msgs(&ch, &au);
	hs_ntlm_creds *c = hs_ntlm_creds_new();
	CU_ASSERT(hs_ntlm_creds_add(c, "Domain\\User:Passw0rd", false, err, sizeof err));
	CU_ASSERT_EQUAL(hs_ntlm_seal_init(c, &ch, &au, &s), HS_NTLM_SEAL_WRONG_CRED);
	CU_ASSERT(hs_ntlm_creds_add(c, "Domain\\Other:Password", false, err, sizeof err));
	CU_ASSERT_EQUAL(hs_ntlm_seal_init(c, &ch, &au, &s), HS_NTLM_SEAL_WRONG_CRED);
	hs_ntlm_creds_free(c);
	c = hs_ntlm_creds_new();
	CU_ASSERT(hs_ntlm_creds_add(c, "Other:Password", false, err, sizeof err));
	CU_ASSERT_EQUAL(hs_ntlm_seal_init(c, &ch, &au, &s), HS_NTLM_SEAL_NO_CRED);
	CU_ASSERT_EQUAL(hs_ntlm_seal_init(NULL, &ch, &au, &s), HS_NTLM_SEAL_NO_CRED);
	/* NTLMv1 (24-byte response) is not derived */
	au.ntlmv2 = false;
	au.nt_response.len = 24;
	CU_ASSERT_EQUAL(hs_ntlm_seal_init(c, &ch, &au, &s), HS_NTLM_SEAL_UNSUPPORTED);
	hs_ntlm_creds_free(c);
}

static void test_specs(void)
{
	char err[128];
	hs_ntlm_creds *c = hs_ntlm_creds_new();
	CU_ASSERT(!hs_ntlm_creds_add(c, "no-colon", false, err, sizeof err));
	CU_ASSERT(!hs_ntlm_creds_add(c, ":pw", false, err, sizeof err));
	CU_ASSERT(!hs_ntlm_creds_add(c, "D\\u:abc", true, err, sizeof err));
	CU_ASSERT(!hs_ntlm_creds_add(c, "D\\u:a4f49c406510bdcab6824ee7c30fd85z", true, err, sizeof err));
	CU_ASSERT_PTR_NULL(strstr(err, "a4f49c"));
	CU_ASSERT(hs_ntlm_creds_add(c, "D\\u:pass:with:colons", false, err, sizeof err));
	CU_ASSERT_EQUAL(hs_ntlm_creds_count(c), 1);
	hs_ntlm_creds_free(c);
}

HS_UNIT_MAIN("ntlm_seal",
	     { "md4 rfc 1320", test_md4 },
	     { "ms-nlmp 4.2.4 exchange", test_spec_exchange },
	     { "ms-nlmp 4.2.4.4 wrap", test_spec_wrap },
	     { "wrong or missing credentials", test_wrong_and_missing },
	     { "credential specs", test_specs })
