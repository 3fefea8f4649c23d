/* credssp_test.c - TSRequest (MS-CSSP 2.2.1) on DER made by the CredSSP test
 * generator's encoder (captures/generated/credssp/credssp_http.py) with a
 * real ntlm_auth NEGOTIATE token; every truncated prefix before a guard page. */
#include "credssp.h"
#include "unit.h"

static unsigned char *load(const char *name, size_t *len)
{
	char path[512];
	snprintf(path, sizeof path, "%s/decoder/testdata/credssp/%s", getenv("HS_SOURCE") ? getenv("HS_SOURCE") : ".",
		 name);
	return hs_read_file(path, len);
}

static void prefixes(const unsigned char *b, size_t len)
{
	for (size_t k = 0; k < len; k++) {
		hs_guard g = hs_guard_copy(b, k);
		hs_credssp_req r;
		CU_ASSERT(hs_credssp_decode(g.p, k, &r) != HS_OK);
		hs_parse_result f = hs_credssp_frame(g.p, k);
		CU_ASSERT_EQUAL(f.status, HS_PARSE_INCOMPLETE);
		hs_guard_free(&g);
	}
	hs_parse_result f = hs_credssp_frame(b, len);
	CU_ASSERT_EQUAL(f.status, HS_PARSE_OK);
	CU_ASSERT_EQUAL(f.consumed, len);
}

static void test_negotiate(void)
{
	size_t len;
	unsigned char *b = load("negotiate.der", &len);
	hs_credssp_req r;
	CU_ASSERT_EQUAL(hs_credssp_decode(b, len, &r), HS_OK);
	CU_ASSERT_EQUAL(r.version, 6);
	CU_ASSERT_EQUAL(r.ntokens, 1);
	CU_ASSERT(r.tokens[0].len > 8 && memcmp(r.tokens[0].p, "NTLMSSP\0\1", 9) == 0);
	CU_ASSERT_FALSE(r.has_auth_info || r.has_pub_key_auth || r.has_error_code || r.has_client_nonce);
	prefixes(b, len);
	free(b);
}

static void test_pubkeyauth_nonce(void)
{
	size_t len;
	unsigned char *b = load("pubkeyauth_nonce.der", &len);
	hs_credssp_req r;
	CU_ASSERT_EQUAL(hs_credssp_decode(b, len, &r), HS_OK);
	CU_ASSERT_EQUAL(r.ntokens, 1);
	CU_ASSERT(r.has_pub_key_auth && r.pub_key_auth.len == 48);
	CU_ASSERT(r.has_client_nonce && r.client_nonce.len == 32 && r.client_nonce.p[31] == 31);
	prefixes(b, len);
	free(b);
}

static void test_authinfo_and_error(void)
{
	size_t len;
	unsigned char *b = load("authinfo.der", &len);
	hs_credssp_req r;
	CU_ASSERT_EQUAL(hs_credssp_decode(b, len, &r), HS_OK);
	CU_ASSERT(r.has_auth_info && r.auth_info.len == 81 && r.ntokens == 0);
	prefixes(b, len);
	free(b);
	b = load("error.der", &len);
	CU_ASSERT_EQUAL(hs_credssp_decode(b, len, &r), HS_OK);
	CU_ASSERT(r.has_error_code);
	CU_ASSERT_EQUAL(r.error_code, 0xC000006Du); /* negative INTEGER on the wire */
	prefixes(b, len);
	/* trailing byte inside the SEQUENCE, and after it */
	unsigned char bad[64];
	memcpy(bad, b, len);
	bad[len] = 0;
	CU_ASSERT_EQUAL(hs_credssp_decode(bad, len + 1, &r), HS_E_TRAILING);
	free(b);
}

static void test_frame_errors(void)
{
	static const uint8_t notseq[] = { 0x04, 0x01, 0x00 };
	static const uint8_t indef[] = { 0x30, 0x80 };
	static const uint8_t huge[] = { 0x30, 0x84, 0x10, 0x00, 0x00, 0x00 };
	CU_ASSERT_EQUAL(hs_credssp_frame(notseq, sizeof notseq).status, HS_PARSE_ERROR);
	CU_ASSERT_EQUAL(hs_credssp_frame(indef, sizeof indef).err, HS_E_UNSUPPORTED);
	CU_ASSERT_EQUAL(hs_credssp_frame(huge, sizeof huge).err, HS_E_LIMIT);
	CU_ASSERT_STRING_EQUAL(hs_credssp_stage_name(HS_CREDSSP_STAGE_CREDENTIALS_SENT), "credentials_sent");
}

HS_UNIT_MAIN("credssp", { "negotiate", test_negotiate }, { "pubkeyauth_nonce", test_pubkeyauth_nonce },
	     { "authinfo_and_error", test_authinfo_and_error }, { "frame_errors", test_frame_errors })
