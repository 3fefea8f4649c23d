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

/* Unseal one client-to-server "Plaintext" output of the spec; its sequence
 * number. */
static uint32_t unseal_hex(hs_ntlm_seal *s, const char *sealed_h, const char *sig_h, hs_ntlm_seal_status want)
{
	uint8_t sealed[18], sig[16], plain[18], out[18];
	uint32_t seq = 99;
	hs_unhex(sealed_h, sealed, sizeof sealed);
	hs_unhex(sig_h, sig, sizeof sig);
	hs_unhex(plain_hex, plain, sizeof plain);
	CU_ASSERT_EQUAL(hs_ntlm_unseal(s, false, sig, sealed, sizeof sealed, out, &seq), want);
	if (want == HS_NTLM_SEAL_OK) {
		CU_ASSERT_EQUAL(seq, 0);
		CU_ASSERT_EQUAL(memcmp(out, plain, sizeof plain), 0);
	}
	return seq;
}

static void unseal_spec(hs_ntlm_seal *s, hs_ntlm_seal_status want)
{
	CU_ASSERT_EQUAL(unseal_hex(s, sealed_hex, sig_hex, want), 0);
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
	/* no SEAL negotiated: nothing to derive */
	au.flags &= ~(uint32_t)HS_NTLM_NEGOTIATE_SEAL;
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

/* MS-NLMP 4.2.2 (NTLMv1, flags e2808235: KEY_EXCH, no ESS) and 4.2.3
 * (NTLMv1 with client challenge: ESS, no KEY_EXCH, 56-bit): the
 * AUTHENTICATE messages of 4.2.2.3 / 4.2.3.3 decoded by ntlm.c, the server
 * challenge of 4.2.1, and the GSS_WrapEx outputs of 4.2.2.4 / 4.2.3.4
 * unsealed back to "Plaintext". */
static const char *const v1_auth_hex =
	"4e544c4d5353500003000000180018006c00000018001800840000000c000c00"
	"480000000800080054000000100010005c000000100010009c0000003582 80e2"
	"050128 0a0000000f44006f006d00610069006e0055007300650072004300 4f00"
	"4d0050005500540045005200 98def7b87f88aa5dafe2df779688a172def11c7d"
	"5ccdef1367c43011f30298a2ad35ece64f16331c44bdbed927841f94518822b1"
	"b3f350c8958682ecbb3e3cb7";
static const char *const v1_sealed_hex = "56fe04d861f9319af0d7238a2e3b4d457fb8";
static const char *const v1_sig_hex = "0100000045c844e509dcd1df2e459d36";
static const char *const ess_auth_hex =
	"4e544c4d5353500003000000180018006c00000018001800840000000c000c00"
	"480000000800080054000000100010005c000000000000009c00000035820882"
	"050128 0a0000000f44006f006d00610069006e00550073006500720043004f00"
	"4d00500055005400450052 00aaaaaaaaaaaaaaaa000000000000000000000000"
	"000000007537f803ae367128ca458204bde7caf81e97ed2683267232";
static const char *const ess_sealed_hex = "a02372f6530273f3aa1eb90190ce5200c99d";
static const char *const ess_sig_hex = "01000000ff2aeb52f681793a00000000";

/* hex with spaces allowed */
static size_t unhex_sp(const char *h, uint8_t *out, size_t cap)
{
	char buf[1024];
	size_t n = 0;
	for (; *h && n + 1 < sizeof buf; h++)
		if (*h != ' ')
			buf[n++] = *h;
	buf[n] = 0;
	return hs_unhex(buf, out, cap);
}

static hs_ntlm_seal_status v1_case(const char *auth_hex, const char *spec, bool hash, hs_ntlm_seal *s, hs_ntlm_msg *au,
				   uint8_t *abuf)
{
	hs_ntlm_msg ch, dummy;
	spec_msgs(&ch, &dummy);
	size_t n = unhex_sp(auth_hex, abuf, 256);
	CU_ASSERT_EQUAL_FATAL(hs_ntlm_decode(abuf, n, au), HS_OK);
	CU_ASSERT_FALSE(au->ntlmv2);
	hs_ntlm_creds *c = hs_ntlm_creds_new();
	char err[128];
	CU_ASSERT(hs_ntlm_creds_add(c, spec, hash, err, sizeof err));
	hs_ntlm_seal_status st = hs_ntlm_seal_init(c, &ch, au, s);
	hs_ntlm_creds_free(c);
	return st;
}

static void test_spec_ntlmv1(void)
{
	uint8_t abuf[256];
	hs_ntlm_msg au;
	hs_ntlm_seal s;
	CU_ASSERT_EQUAL_FATAL(v1_case(v1_auth_hex, "Domain\\User:Password", false, &s, &au, abuf), HS_NTLM_SEAL_OK);
	CU_ASSERT(s.v1);
	CU_ASSERT_STRING_EQUAL(s.kind, "NTLMv1");
	CU_ASSERT_STRING_EQUAL(s.user, "Domain\\User");
	unseal_hex(&s, v1_sealed_hex, v1_sig_hex, HS_NTLM_SEAL_OK);
	/* the one handle moved on: the same message again does not verify */
	unseal_hex(&s, v1_sealed_hex, v1_sig_hex, HS_NTLM_SEAL_INTEGRITY);
	/* the NT hash of 4.2.2.1.2 does the same; a flipped byte fails */
	CU_ASSERT_EQUAL_FATAL(v1_case(v1_auth_hex, "User:a4f49c406510bdcab6824ee7c30fd852", true, &s, &au, abuf),
			      HS_NTLM_SEAL_OK);
	uint8_t sealed[18], sig[16], out[18];
	uint32_t seq;
	hs_unhex(v1_sealed_hex, sealed, sizeof sealed);
	hs_unhex(v1_sig_hex, sig, sizeof sig);
	sealed[5] ^= 0x10;
	CU_ASSERT_EQUAL(hs_ntlm_unseal(&s, false, sig, sealed, sizeof sealed, out, &seq), HS_NTLM_SEAL_INTEGRITY);
	/* a wrong password: the NTLMv1 response does not verify */
	CU_ASSERT_EQUAL(v1_case(v1_auth_hex, "Domain\\User:Passw0rd", false, &s, &au, abuf), HS_NTLM_SEAL_WRONG_CRED);
	/* 4.2.2.2.3: with NON_NT_SESSION_KEY (KXKEY = LMOWF[0..7] + Z(8)) the
	 * EncryptedRandomSessionKey is 7452ca55...; it decrypts to the same
	 * RandomSessionKey, so the 4.2.2.4 output unseals the same */
	CU_ASSERT_EQUAL(v1_case(v1_auth_hex, "Domain\\User:Password", false, &s, &au, abuf), HS_NTLM_SEAL_OK);
	hs_ntlm_msg ch, dummy;
	spec_msgs(&ch, &dummy);
	uint8_t key2[16], key3[16];
	au.flags |= HS_NTLM_REQUEST_NON_NT_SESSION_KEY;
	au.session_key = (hs_slice){ key2, hs_unhex("7452ca55c225a1ca04b48fae32cf56fc", key2, sizeof key2) };
	hs_ntlm_creds *c = hs_ntlm_creds_new();
	char err[128];
	CU_ASSERT(hs_ntlm_creds_add(c, "Domain\\User:Password", false, err, sizeof err));
	CU_ASSERT_EQUAL_FATAL(hs_ntlm_seal_init(c, &ch, &au, &s), HS_NTLM_SEAL_OK);
	unseal_hex(&s, v1_sealed_hex, v1_sig_hex, HS_NTLM_SEAL_OK);
	/* with LM_KEY (KXKEY from DES of the LM response under LMOWF) it is
	 * 4cd7bb57...; SEALKEY (3.4.5.3, NEGOTIATE_56) is then
	 * RandomSessionKey[0..6] + 0xA0 */
	au.flags = (au.flags & ~(uint32_t)HS_NTLM_REQUEST_NON_NT_SESSION_KEY) | HS_NTLM_NEGOTIATE_LM_KEY;
	au.session_key = (hs_slice){ key3, hs_unhex("4cd7bb57d697ef9b549f02b8f9b37864", key3, sizeof key3) };
	CU_ASSERT_EQUAL_FATAL(hs_ntlm_seal_init(c, &ch, &au, &s), HS_NTLM_SEAL_OK);
	static const uint8_t k56[8] = { 0x55, 0x55, 0x55, 0x55, 0x55, 0x55, 0x55, 0xa0 };
	hs_rc4 ref;
	hs_rc4_init(&ref, k56, sizeof k56);
	CU_ASSERT_EQUAL(memcmp(&ref, &s.dir[0].rc4, sizeof ref), 0);
	hs_ntlm_creds_free(c);
	/* an NT hash gives no LM hash: the LM_KEY exchange cannot be derived */
	c = hs_ntlm_creds_new();
	CU_ASSERT(hs_ntlm_creds_add(c, "User:a4f49c406510bdcab6824ee7c30fd852", true, err, sizeof err));
	CU_ASSERT_EQUAL(hs_ntlm_seal_init(c, &ch, &au, &s), HS_NTLM_SEAL_UNSUPPORTED);
	hs_ntlm_creds_free(c);
	hs_ntlm_seal_wipe(&s);
}

static void test_spec_ntlm2_session(void)
{
	uint8_t abuf[256], want[16];
	hs_ntlm_msg au;
	hs_ntlm_seal s;
	CU_ASSERT_EQUAL_FATAL(v1_case(ess_auth_hex, "Domain\\User:Password", false, &s, &au, abuf), HS_NTLM_SEAL_OK);
	CU_ASSERT_FALSE(s.v1);
	CU_ASSERT_STRING_EQUAL(s.kind, "NTLMv1 with extended session security");
	hs_unhex("60e799be5c72fc92922ae8ebe961fb8d", want, sizeof want); /* 4.2.3.4 SIGNKEY */
	CU_ASSERT_EQUAL(memcmp(s.dir[0].sign_key, want, 16), 0);
	unseal_hex(&s, ess_sealed_hex, ess_sig_hex, HS_NTLM_SEAL_OK);
	CU_ASSERT_EQUAL(v1_case(ess_auth_hex, "Domain\\User:Passw0rd", false, &s, &au, abuf), HS_NTLM_SEAL_WRONG_CRED);
	hs_ntlm_seal_wipe(&s);
}

HS_UNIT_MAIN("ntlm_seal",
	     { "ms-nlmp 4.2.2 ntlmv1", test_spec_ntlmv1 },
	     { "ms-nlmp 4.2.3 ntlmv1 with client challenge", test_spec_ntlm2_session },
	     { "md4 rfc 1320", test_md4 },
	     { "ms-nlmp 4.2.4 exchange", test_spec_exchange },
	     { "ms-nlmp 4.2.4.4 wrap", test_spec_wrap },
	     { "wrong or missing credentials", test_wrong_and_missing },
	     { "credential specs", test_specs })
