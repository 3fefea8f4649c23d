/* krb5_wrap_test.c - Kerberos Wrap tokens from the lab's sealed WinRM
 * captures (captures/generated/winrm-sealed, decoder/testdata/wrap/: the
 * header part and the cipher text of one sealed SOAP response each):
 *  - s1: RFC 4121, aes256-cts-hmac-sha1-96 acceptor subkey, the Windows
 *    layout (60-byte header, RRC 28, EC 0);
 *  - s2: RFC 4757 rc4-hmac, 47-byte header, MIT's one byte of padding.
 * The keys are the AP-REP subkeys as tshark 4.0 prints them with the
 * scenario's keytab (kerberos.keyvalue of frame 6); the expected plaintext
 * length and SHA-256 are the lab endpoint's log of what it sealed
 * (srv1-plaintext.jsonl).  A wrong key, a flipped byte, the other
 * direction's usage and every truncation must fail cleanly. */
#include "krb5_wrap.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "unit.h"

static uint8_t *load(const char *name, size_t *len)
{
	char path[512];
	const char *src = getenv("HS_SOURCE");
	snprintf(path, sizeof path, "%s/decoder/testdata/wrap/%s", src ? src : "..", name);
	uint8_t *p = hs_read_file(path, len);
	if (!p)
		fprintf(stderr, "cannot read %s\n", path);
	return p;
}

typedef struct tok {
	uint8_t *hdr, *data;
	size_t hlen, dlen;
	hs_krb_key key;
} tok;

static bool get(tok *t, const char *name, int32_t etype, const char *keyhex)
{
	char f[64];
	snprintf(f, sizeof f, "%s.hdr", name);
	t->hdr = load(f, &t->hlen);
	snprintf(f, sizeof f, "%s.data", name);
	t->data = load(f, &t->dlen);
	memset(&t->key, 0, sizeof t->key);
	t->key.etype = etype;
	t->key.len = (uint32_t)hs_unhex(keyhex, t->key.k, sizeof t->key.k);
	return t->hdr && t->data;
}

static void put(tok *t)
{
	free(t->hdr);
	free(t->data);
}

static void sha256_hex(const uint8_t *p, size_t n, char out[65])
{
	uint8_t d[32];
	hs_digest("SHA256", p, n, NULL, 0, d);
	for (int i = 0; i < 32; i++)
		snprintf(out + 2 * i, 3, "%02x", d[i]);
}

static hs_krb_dec_status open_tok(const tok *t, const hs_krb_key *k, size_t orig, uint8_t *out, size_t *olen,
				  hs_krb_wrap_info *info)
{
	uint8_t *scratch = malloc(t->hlen + t->dlen);
	hs_krb_dec_status st = hs_krb_unwrap(k, t->hdr, t->hlen, t->data, t->dlen, orig, scratch, out, olen, info);
	free(scratch);
	return st;
}

static void check_real(const char *name, int32_t etype, const char *key, const char *sha, bool cfx)
{
	tok t;
	if (!get(&t, name, etype, key)) {
		CU_FAIL("test data missing");
		return;
	}
	uint8_t *out = malloc(t.hlen + t.dlen);
	size_t olen;
	char hex[65];
	hs_krb_wrap_info info;
	CU_ASSERT_EQUAL(open_tok(&t, &t.key, 765, out, &olen, &info), HS_KRB_DEC_OK);
	CU_ASSERT_EQUAL(olen, 765);
	sha256_hex(out, olen, hex);
	CU_ASSERT_STRING_EQUAL(hex, sha);
	CU_ASSERT_EQUAL(info.cfx, cfx);
	CU_ASSERT(info.acceptor);
	if (cfx) {
		CU_ASSERT_EQUAL(info.rrc, 28);
		CU_ASSERT_EQUAL(info.ec, 0);
		CU_ASSERT_EQUAL(info.flags, 7); /* SentByAcceptor | Sealed | AcceptorSubkey */
	} else {
		CU_ASSERT_EQUAL(info.pad, 1);
	}
	/* the same token joined in one buffer (any split point is the same token) */
	uint8_t *joined = malloc(t.hlen + t.dlen), *scratch = malloc(t.hlen + t.dlen);
	memcpy(joined, t.hdr, t.hlen);
	memcpy(joined + t.hlen, t.data, t.dlen);
	for (size_t split = 0; split <= t.hlen + t.dlen; split += 97) {
		CU_ASSERT_EQUAL(hs_krb_unwrap(&t.key, joined, split < t.hlen ? t.hlen : split, joined + (split < t.hlen ? t.hlen : split),
					      t.hlen + t.dlen - (split < t.hlen ? t.hlen : split), 765, scratch, out, &olen, &info),
				HS_KRB_DEC_OK);
	}
	/* without the announced length RC4's padding stays */
	CU_ASSERT_EQUAL(open_tok(&t, &t.key, SIZE_MAX, out, &olen, &info), HS_KRB_DEC_OK);
	CU_ASSERT_EQUAL(olen, cfx ? 765u : 766u);
	/* a flipped cipher-text byte, and a wrong key: checksum mismatch */
	t.data[100] ^= 0x40;
	CU_ASSERT_EQUAL(open_tok(&t, &t.key, 765, out, &olen, &info), HS_KRB_DEC_INTEGRITY);
	t.data[100] ^= 0x40;
	hs_krb_key bad = t.key;
	bad.k[0] ^= 1;
	CU_ASSERT_EQUAL(open_tok(&t, &bad, 765, out, &olen, &info), HS_KRB_DEC_INTEGRITY);
	/* a key of the other family is not tried on this token */
	hs_krb_key other = t.key;
	other.etype = cfx ? 23 : 18;
	other.len = cfx ? 16 : 32;
	CU_ASSERT_EQUAL(open_tok(&t, &other, 765, out, &olen, &info), HS_KRB_DEC_UNSUPPORTED);
	/* every truncation of the token: never OK, never a crash */
	for (size_t n = 0; n < t.hlen + t.dlen; n++) {
		hs_guard g = hs_guard_copy(joined, n);
		hs_krb_dec_status st = hs_krb_unwrap(&t.key, g.p, n, NULL, 0, 765, scratch, out, &olen, &info);
		CU_ASSERT(st != HS_KRB_DEC_OK);
		hs_guard_free(&g);
	}
	free(joined);
	free(scratch);
	free(out);
	put(&t);
}

static void test_rfc4121_aes(void)
{
	check_real("s1-kerberos-aes", 18, "3cb790a8b0544fbc151d7da89717975437d5a68a264d4805c52afdc83641397f",
		   "66d9cbd0f700c9a943b2c7fc29e1f8df31dd9d475bb0b6f10bdd8750054f8079", true);
}

static void test_rfc4757_rc4(void)
{
	check_real("s2-kerberos-rc4", 23, "d84870fda7ee86e6475ad180cc3be103",
		   "c052b8c73c2c5661b725c985b4dc181c000b870696064e20533aefa7399629bc", false);
}

static void test_shapes(void)
{
	hs_krb_key k = { 18, 32, { 0 } };
	uint8_t out[64], scratch[64];
	size_t olen;
	hs_krb_wrap_info info;
	/* an RFC 4121 MIC token (04 04) and a Wrap without the Sealed flag */
	static const uint8_t mic[16] = { 0x04, 0x04, 0x00, 0xff, 0xff, 0xff, 0xff, 0xff };
	static const uint8_t wrap_plain[20] = { 0x05, 0x04, 0x01, 0xff, 0x00, 0x00, 0x00, 0x00 };
	CU_ASSERT_EQUAL(hs_krb_wrap_kind(mic, sizeof mic), 0);
	CU_ASSERT_EQUAL(hs_krb_unwrap(&k, mic, sizeof mic, NULL, 0, SIZE_MAX, scratch, out, &olen, &info), HS_KRB_DEC_MALFORMED);
	CU_ASSERT_EQUAL(hs_krb_unwrap(&k, wrap_plain, sizeof wrap_plain, NULL, 0, SIZE_MAX, scratch, out, &olen, &info),
			HS_KRB_DEC_MALFORMED);
	/* a sealed token too short to hold confounder and checksum */
	static const uint8_t tiny[20] = { 0x05, 0x04, 0x02, 0xff, 0x00, 0x00, 0x00, 0x00 };
	CU_ASSERT(hs_krb_unwrap(&k, tiny, sizeof tiny, NULL, 0, SIZE_MAX, scratch, out, &olen, &info) != HS_KRB_DEC_OK);
	/* RFC 2743 framing with another mechanism's OID */
	static const uint8_t other_oid[48] = { 0x60, 0x2e, 0x06, 0x09, 0x2a, 0x86, 0x48, 0x86, 0xf7, 0x12, 0x01, 0x02, 0x03 };
	CU_ASSERT_EQUAL(hs_krb_wrap_kind(other_oid, sizeof other_oid), 0);
}

HS_UNIT_MAIN("krb5_wrap",
	     { "rfc 4121 aes (windows layout)", test_rfc4121_aes },
	     { "rfc 4757 rc4-hmac", test_rfc4757_rc4 },
	     { "token shapes", test_shapes })
