/* krb5_crypt.c - RFC 3961 simplified profile (RFC 3962, RFC 8009) and
 * RFC 4757 rc4-hmac decryption through OpenSSL EVP.  See krb5_crypt.h. */
#include "krb5_crypt.h"

#include <string.h>

#include <glib.h>

#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/params.h>

#define AES_BLOCK 16

const char *hs_krb_dec_status_name(hs_krb_dec_status s)
{
	switch (s) {
	case HS_KRB_DEC_OK: return "ok";
	case HS_KRB_DEC_NO_KEY: return "no_key";
	case HS_KRB_DEC_WRONG_KVNO: return "wrong_kvno";
	case HS_KRB_DEC_INTEGRITY: return "integrity_failed";
	case HS_KRB_DEC_UNSUPPORTED: return "unsupported_etype";
	case HS_KRB_DEC_MALFORMED: return "malformed";
	case HS_KRB_DEC_NOT_TRIED: return "not_tried";
	}
	return "unknown";
}

static bool is_sha1_aes(int32_t e) { return e == 17 || e == 18; }
static bool is_sha2_aes(int32_t e) { return e == 19 || e == 20; }

size_t hs_krb_etype_keylen(int32_t etype)
{
	switch (etype) {
	case 17: case 19: case 23: return 16;
	case 18: case 20: return 32;
	default: return 0;
	}
}

void hs_krb_key_wipe(hs_krb_key *k) { OPENSSL_cleanse(k, sizeof *k); }

/* The HMAC implementation, fetched once per process (a fetch walks the
 * provider store under a lock: it dominated the cost of a decryption). */
static gpointer fetch_hmac(gpointer unused)
{
	(void)unused;
	return EVP_MAC_fetch(NULL, "HMAC", NULL);
}

static EVP_MAC *hmac_impl(void)
{
	static GOnce once = G_ONCE_INIT;
	return g_once(&once, fetch_hmac, NULL);
}

/* HMAC over up to two pieces (RFC 8009 MACs IV | C). */
static bool hmac(const char *digest, const uint8_t *key, size_t klen, const uint8_t *a, size_t alen, const uint8_t *b,
		 size_t blen, uint8_t *out, size_t *outlen)
{
	bool ok = false;
	EVP_MAC *mac = hmac_impl();
	EVP_MAC_CTX *c = mac ? EVP_MAC_CTX_new(mac) : NULL;
	OSSL_PARAM params[2] = { OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST, (char *)digest, 0),
				 OSSL_PARAM_construct_end() };
	size_t n = 0;
	if (c && EVP_MAC_init(c, key, klen, params) && EVP_MAC_update(c, a, alen) && (!blen || EVP_MAC_update(c, b, blen)) &&
	    EVP_MAC_final(c, out, &n, EVP_MAX_MD_SIZE)) {
		ok = true;
		if (outlen)
			*outlen = n;
	}
	EVP_MAC_CTX_free(c);
	return ok;
}

/* One-block AES (ECB, no padding) on several blocks in place or not. */
static bool aes_ecb(const uint8_t *key, size_t klen, bool enc, const uint8_t *in, uint8_t *out, size_t len)
{
	EVP_CIPHER_CTX *c = EVP_CIPHER_CTX_new();
	const EVP_CIPHER *ci = klen == 32 ? EVP_aes_256_ecb() : EVP_aes_128_ecb();
	int n = 0, f = 0;
	bool ok = c && EVP_CipherInit_ex(c, ci, NULL, key, NULL, enc ? 1 : 0) && EVP_CIPHER_CTX_set_padding(c, 0) &&
		  EVP_CipherUpdate(c, out, &n, in, (int)len) && EVP_CipherFinal_ex(c, out + n, &f);
	EVP_CIPHER_CTX_free(c);
	return ok;
}

/* RFC 3961 s5.1 n-fold of in (inlen <= 64 bytes) to out (outlen <= 32
 * bytes): lcm(inlen, outlen) bytes made of copies of the input, each rotated
 * 13 bits further right, added outlen bytes at a time in ones' complement. */
static void nfold(const uint8_t *in, size_t inlen, uint8_t *out, size_t outlen)
{
	uint8_t buf[64 * 32];
	size_t a = outlen, b = inlen;
	while (b) {
		size_t t = a % b;
		a = b;
		b = t;
	}
	size_t lcm = outlen / a * inlen, nbits = inlen * 8;
	for (size_t j = 0; j < lcm / inlen; j++) {
		size_t r = (13 * j) % nbits;
		for (size_t i = 0; i < nbits; i++) {
			size_t src = (i + nbits - r) % nbits; /* bit i of the copy is bit i-r of the input */
			unsigned bit = (in[src / 8] >> (7 - src % 8)) & 1;
			uint8_t *d = &buf[j * inlen + i / 8];
			if (i % 8 == 0)
				*d = 0;
			*d |= (uint8_t)(bit << (7 - i % 8));
		}
	}
	unsigned acc[32] = { 0 };
	for (size_t off = 0; off < lcm; off += outlen)
		for (size_t i = 0; i < outlen; i++)
			acc[i] += buf[off + i];
	/* propagate carries with end-around until stable */
	for (;;) {
		unsigned carry = 0;
		for (size_t i = outlen; i-- > 0;) {
			acc[i] += carry;
			carry = acc[i] >> 8;
			acc[i] &= 0xff;
		}
		if (!carry)
			break;
		acc[outlen - 1] += carry;
	}
	for (size_t i = 0; i < outlen; i++)
		out[i] = (uint8_t)acc[i];
}

/* RFC 3961 s5.1 DR/DK for AES (random-to-key is the identity, RFC 3962). */
static bool dk_aes(const uint8_t *key, size_t klen, const uint8_t *constant, size_t clen, uint8_t *out, size_t outlen)
{
	uint8_t block[AES_BLOCK];
	nfold(constant, clen, block, AES_BLOCK);
	for (size_t done = 0; done < outlen;) {
		if (!aes_ecb(key, klen, true, block, block, AES_BLOCK))
			return false;
		size_t n = outlen - done < AES_BLOCK ? outlen - done : AES_BLOCK;
		memcpy(out + done, block, n);
		done += n;
	}
	OPENSSL_cleanse(block, sizeof block);
	return true;
}

/* RFC 8009 s3 KDF-HMAC-SHA2(key, label, context, k bits), one block:
 * HMAC(key, 00000001 | label | 00 | context | k). */
static bool kdf_sha2_ctx(int32_t etype, const uint8_t *key, size_t klen, const uint8_t *label, size_t llen,
			 const uint8_t *context, size_t clen, uint8_t *out, size_t outlen)
{
	uint8_t msg[320], md[EVP_MAX_MD_SIZE];
	if (llen + clen + 9 > sizeof msg)
		return false;
	uint32_t bits = (uint32_t)outlen * 8;
	size_t n = 0;
	msg[n++] = 0, msg[n++] = 0, msg[n++] = 0, msg[n++] = 1;
	memcpy(msg + n, label, llen);
	n += llen;
	msg[n++] = 0;
	if (clen)
		memcpy(msg + n, context, clen);
	n += clen;
	msg[n++] = (uint8_t)(bits >> 24), msg[n++] = (uint8_t)(bits >> 16);
	msg[n++] = (uint8_t)(bits >> 8), msg[n++] = (uint8_t)bits;
	if (!hmac(etype == 19 ? "SHA256" : "SHA384", key, klen, msg, n, NULL, 0, md, NULL))
		return false;
	memcpy(out, md, outlen);
	OPENSSL_cleanse(md, sizeof md);
	OPENSSL_cleanse(msg, sizeof msg);
	return true;
}

static bool kdf_sha2(int32_t etype, const uint8_t *key, size_t klen, const uint8_t *label, size_t llen, uint8_t *out,
		     size_t outlen)
{
	return kdf_sha2_ctx(etype, key, klen, label, llen, NULL, 0, out, outlen);
}

/* Ki / Kc length: the key length for RFC 3962 (DK output is a protocol
 * key), the MAC length for RFC 8009 (s5: 128 / 192 bits). */
static size_t ki_len_of(int32_t etype) { return etype == 20 ? 24 : etype == 19 ? 16 : hs_krb_etype_keylen(etype); }

bool hs_krb_derive(const hs_krb_key *k, uint32_t usage, uint8_t *ke, uint8_t *ki, size_t *ki_len, uint8_t *kc)
{
	uint8_t c[5] = { (uint8_t)(usage >> 24), (uint8_t)(usage >> 16), (uint8_t)(usage >> 8), (uint8_t)usage, 0 };
	size_t il = ki_len_of(k->etype);
	if (hs_krb_etype_keylen(k->etype) != k->len || (!is_sha1_aes(k->etype) && !is_sha2_aes(k->etype)))
		return false;
	if (ki_len)
		*ki_len = il;
	bool ok = true;
	if (is_sha1_aes(k->etype)) {
		if (ke) c[4] = 0xAA, ok = ok && dk_aes(k->k, k->len, c, 5, ke, k->len);
		if (ki) c[4] = 0x55, ok = ok && dk_aes(k->k, k->len, c, 5, ki, il);
		if (kc) c[4] = 0x99, ok = ok && dk_aes(k->k, k->len, c, 5, kc, il);
	} else {
		if (ke) c[4] = 0xAA, ok = ok && kdf_sha2(k->etype, k->k, k->len, c, 5, ke, k->len);
		if (ki) c[4] = 0x55, ok = ok && kdf_sha2(k->etype, k->k, k->len, c, 5, ki, il);
		if (kc) c[4] = 0x99, ok = ok && kdf_sha2(k->etype, k->k, k->len, c, 5, kc, il);
	}
	return ok;
}

/* AES-CBC with ciphertext stealing as RFC 3962 s5 (the last two blocks are
 * always swapped, also when the length is a multiple of the block), IV 0,
 * decrypting len >= 16 bytes. */
static bool cts_decrypt(const uint8_t *key, size_t klen, const uint8_t *ct, size_t len, uint8_t *out)
{
	uint8_t prev[AES_BLOCK] = { 0 }, d[AES_BLOCK], cn1[AES_BLOCK];
	if (len < AES_BLOCK)
		return false;
	if (len == AES_BLOCK) {
		if (!aes_ecb(key, klen, false, ct, out, AES_BLOCK))
			return false;
		return true;
	}
	size_t nblocks = (len + AES_BLOCK - 1) / AES_BLOCK;
	size_t r = len - (nblocks - 1) * AES_BLOCK; /* 1..16 bytes in the last (stolen) block */
	size_t head = (nblocks - 2) * AES_BLOCK;
	/* Plain CBC over the first n-2 blocks. */
	if (head) {
		if (!aes_ecb(key, klen, false, ct, out, head))
			return false;
		for (size_t i = 0; i < head; i++)
			out[i] ^= i < AES_BLOCK ? 0 : ct[i - AES_BLOCK];
		memcpy(prev, ct + head - AES_BLOCK, AES_BLOCK);
	}
	const uint8_t *x = ct + head;             /* the full block sent second to last: E(P_{n-1} ^ ...) of the last */
	const uint8_t *y = ct + head + AES_BLOCK; /* r bytes: head of C_{n-1} */
	if (!aes_ecb(key, klen, false, x, d, AES_BLOCK))
		return false;
	memcpy(cn1, y, r);
	memcpy(cn1 + r, d + r, AES_BLOCK - r);
	for (size_t i = 0; i < r; i++)
		out[head + AES_BLOCK + i] = d[i] ^ y[i];
	if (!aes_ecb(key, klen, false, cn1, out + head, AES_BLOCK))
		return false;
	for (size_t i = 0; i < AES_BLOCK; i++)
		out[head + i] ^= prev[i];
	OPENSSL_cleanse(d, sizeof d);
	return true;
}

static hs_krb_dec_status dec_aes(const hs_krb_key *k, uint32_t usage, const uint8_t *ct, size_t len, uint8_t *out,
				 size_t *out_len)
{
	uint8_t ke[32], ki[32], mac[EVP_MAX_MD_SIZE];
	size_t il = 0, hlen = is_sha1_aes(k->etype) ? 12 : ki_len_of(k->etype);
	hs_krb_dec_status st = HS_KRB_DEC_OK;
	/* confounder (one block) + HMAC at least */
	if (len < AES_BLOCK + hlen)
		return HS_KRB_DEC_MALFORMED;
	if (!hs_krb_derive(k, usage, ke, ki, &il, NULL))
		return HS_KRB_DEC_UNSUPPORTED;
	size_t clen = len - hlen;
	if (is_sha2_aes(k->etype)) {
		/* RFC 8009 s5: encrypt-then-MAC over IV | C. */
		static const uint8_t iv[AES_BLOCK];
		if (!hmac(k->etype == 19 ? "SHA256" : "SHA384", ki, il, iv, AES_BLOCK, ct, clen, mac, NULL) ||
		    CRYPTO_memcmp(mac, ct + clen, hlen) != 0)
			st = HS_KRB_DEC_INTEGRITY;
		else if (!cts_decrypt(ke, k->len, ct, clen, out))
			st = HS_KRB_DEC_UNSUPPORTED;
	} else {
		/* RFC 3961 s5.3: HMAC-SHA1-96 over the plain text. */
		if (!cts_decrypt(ke, k->len, ct, clen, out))
			st = HS_KRB_DEC_UNSUPPORTED;
		else if (!hmac("SHA1", ki, il, out, clen, NULL, 0, mac, NULL) || CRYPTO_memcmp(mac, ct + clen, hlen) != 0)
			st = HS_KRB_DEC_INTEGRITY;
	}
	if (st == HS_KRB_DEC_OK) {
		memmove(out, out + AES_BLOCK, clen - AES_BLOCK);
		*out_len = clen - AES_BLOCK;
	} else {
		OPENSSL_cleanse(out, clen);
	}
	OPENSSL_cleanse(ke, sizeof ke);
	OPENSSL_cleanse(ki, sizeof ki);
	return st;
}

/* RC4 by hand: OpenSSL 3 keeps RC4 in the legacy provider, which a library
 * should not load behind its caller's back.  Kept as a state because NTLM
 * sealing (MS-NLMP 3.4.3) runs one key stream across a connection's messages. */
void hs_rc4_init(hs_rc4 *r, const uint8_t *key, size_t klen)
{
	uint8_t t;
	unsigned i, j = 0;
	for (i = 0; i < 256; i++)
		r->s[i] = (uint8_t)i;
	for (i = 0; i < 256; i++) {
		j = (j + r->s[i] + key[i % klen]) & 0xff;
		t = r->s[i], r->s[i] = r->s[j], r->s[j] = t;
	}
	r->i = r->j = 0;
}

void hs_rc4_crypt(hs_rc4 *r, const uint8_t *in, uint8_t *out, size_t len)
{
	uint8_t t, *s = r->s;
	unsigned i = r->i, j = r->j;
	for (size_t n = 0; n < len; n++) {
		i = (i + 1) & 0xff;
		j = (j + s[i]) & 0xff;
		t = s[i], s[i] = s[j], s[j] = t;
		out[n] = in[n] ^ s[(s[i] + s[j]) & 0xff];
	}
	r->i = (uint8_t)i, r->j = (uint8_t)j;
}

void hs_rc4_wipe(hs_rc4 *r) { OPENSSL_cleanse(r, sizeof *r); }

static void rc4(const uint8_t *key, size_t klen, const uint8_t *in, uint8_t *out, size_t len)
{
	hs_rc4 r;
	hs_rc4_init(&r, key, klen);
	hs_rc4_crypt(&r, in, out, len);
	hs_rc4_wipe(&r);
}

bool hs_hmac(const char *digest, const uint8_t *key, size_t klen, const uint8_t *a, size_t alen, const uint8_t *b,
	     size_t blen, uint8_t *out)
{
	return hmac(digest, key, klen, a, alen, b, blen, out, NULL);
}

bool hs_digest(const char *digest, const uint8_t *a, size_t alen, const uint8_t *b, size_t blen, uint8_t *out)
{
	EVP_MD_CTX *c = EVP_MD_CTX_new();
	bool ok = c && EVP_DigestInit_ex(c, EVP_get_digestbyname(digest), NULL) && EVP_DigestUpdate(c, a, alen) &&
		  (!blen || EVP_DigestUpdate(c, b, blen)) && EVP_DigestFinal_ex(c, out, NULL);
	EVP_MD_CTX_free(c);
	return ok;
}

/* RFC 4757 s3: message types Windows maps to other values. */
static uint32_t rc4_usage(uint32_t usage)
{
	switch (usage) {
	case 3: return 8;   /* AS-REP enc-part uses the TGS-REP number */
	case 23: return 13; /* GSS wrap sign */
	default: return usage;
	}
}

static hs_krb_dec_status dec_rc4(const hs_krb_key *k, uint32_t usage, const uint8_t *ct, size_t len, uint8_t *out,
				 size_t *out_len)
{
	uint8_t k1[EVP_MAX_MD_SIZE], k3[EVP_MAX_MD_SIZE], mac[EVP_MAX_MD_SIZE];
	uint32_t u = rc4_usage(usage);
	uint8_t ub[4] = { (uint8_t)u, (uint8_t)(u >> 8), (uint8_t)(u >> 16), (uint8_t)(u >> 24) };
	hs_krb_dec_status st = HS_KRB_DEC_OK;
	if (len < 16 + 8)
		return HS_KRB_DEC_MALFORMED;
	if (!hmac("MD5", k->k, k->len, ub, 4, NULL, 0, k1, NULL) || !hmac("MD5", k1, 16, ct, 16, NULL, 0, k3, NULL))
		return HS_KRB_DEC_UNSUPPORTED;
	rc4(k3, 16, ct + 16, out, len - 16);
	if (!hmac("MD5", k1, 16, out, len - 16, NULL, 0, mac, NULL) || CRYPTO_memcmp(mac, ct, 16) != 0)
		st = HS_KRB_DEC_INTEGRITY;
	if (st == HS_KRB_DEC_OK) {
		memmove(out, out + 8, len - 24);
		*out_len = len - 24;
	} else {
		OPENSSL_cleanse(out, len - 16);
	}
	OPENSSL_cleanse(k1, sizeof k1);
	OPENSSL_cleanse(k3, sizeof k3);
	return st;
}

hs_krb_dec_status hs_krb_decrypt(const hs_krb_key *k, uint32_t usage, const uint8_t *ct, size_t len, uint8_t *out,
				 size_t *out_len)
{
	*out_len = 0;
	if (!hs_krb_etype_keylen(k->etype))
		return HS_KRB_DEC_UNSUPPORTED;
	if (k->len != hs_krb_etype_keylen(k->etype))
		return HS_KRB_DEC_MALFORMED;
	if (k->etype == 23)
		return dec_rc4(k, usage, ct, len, out, out_len);
	return dec_aes(k, usage, ct, len, out, out_len);
}

bool hs_krb_string_to_key(int32_t etype, const char *pw, size_t pwlen, const uint8_t *salt, size_t saltlen,
			  uint32_t iter, hs_krb_key *out)
{
	uint8_t tkey[32], saltp[512];
	size_t klen = hs_krb_etype_keylen(etype);
	const char *name = etype == 19 ? "aes128-cts-hmac-sha256-128" : "aes256-cts-hmac-sha384-192";
	bool ok;
	memset(out, 0, sizeof *out);
	if (!is_sha1_aes(etype) && !is_sha2_aes(etype))
		return false;
	if (is_sha1_aes(etype)) {
		/* RFC 3962 s4: tkey = PBKDF2-HMAC-SHA1; key = DK(tkey, "kerberos"). */
		ok = PKCS5_PBKDF2_HMAC(pw, (int)pwlen, salt, (int)saltlen, (int)(iter ? iter : 4096), EVP_sha1(), (int)klen,
				       tkey) == 1 &&
		     dk_aes(tkey, klen, (const uint8_t *)"kerberos", 8, out->k, klen);
	} else {
		/* RFC 8009 s4: saltp = enctype name | 0x00 | salt, PBKDF2 with the
		 * etype's SHA-2, then KDF-HMAC-SHA2(tkey, "kerberos"). */
		size_t nl = strlen(name);
		if (nl + 1 + saltlen > sizeof saltp)
			return false;
		memcpy(saltp, name, nl);
		saltp[nl] = 0;
		memcpy(saltp + nl + 1, salt, saltlen);
		ok = PKCS5_PBKDF2_HMAC(pw, (int)pwlen, saltp, (int)(nl + 1 + saltlen), (int)(iter ? iter : 32768),
				       etype == 19 ? EVP_sha256() : EVP_sha384(), (int)klen, tkey) == 1 &&
		     kdf_sha2(etype, tkey, klen, (const uint8_t *)"kerberos", 8, out->k, klen);
	}
	OPENSSL_cleanse(tkey, sizeof tkey);
	if (!ok)
		return false;
	out->etype = etype;
	out->len = (uint32_t)klen;
	return true;
}

/* RFC 3961 s3 pseudo-random function: RFC 3962 s6 (E(DK(key, "prf"),
 * truncate16(SHA-1(in)))) and RFC 8009 s5 (KDF-HMAC-SHA2(key, "prf", in)). */
bool hs_krb_prf(const hs_krb_key *k, const uint8_t *in, size_t inlen, uint8_t *out, size_t *outlen)
{
	if (hs_krb_etype_keylen(k->etype) != k->len || (!is_sha1_aes(k->etype) && !is_sha2_aes(k->etype)))
		return false;
	if (is_sha2_aes(k->etype)) {
		size_t n = k->etype == 19 ? 32 : 48;
		if (!kdf_sha2_ctx(k->etype, k->k, k->len, (const uint8_t *)"prf", 3, in, inlen, out, n))
			return false;
		*outlen = n;
		return true;
	}
	uint8_t kp[32], h[EVP_MAX_MD_SIZE];
	unsigned hl = 0;
	bool ok = dk_aes(k->k, k->len, (const uint8_t *)"prf", 3, kp, k->len) &&
		  EVP_Digest(in, inlen, h, &hl, EVP_sha1(), NULL) == 1 &&
		  aes_ecb(kp, k->len, true, h, out, AES_BLOCK);
	OPENSSL_cleanse(kp, sizeof kp);
	*outlen = ok ? AES_BLOCK : 0;
	return ok;
}

/* RFC 6113 s5.1 PRF+(key, pepper) for n bytes: PRF(key, 1 | pepper) |
 * PRF(key, 2 | pepper) ... */
static bool prf_plus(const hs_krb_key *k, const char *pepper, uint8_t *out, size_t n)
{
	uint8_t in[64], blk[64];
	size_t pl = strlen(pepper), done = 0;
	if (pl + 1 > sizeof in)
		return false;
	memcpy(in + 1, pepper, pl);
	for (uint8_t i = 1; done < n; i++) {
		size_t bl = 0;
		in[0] = i;
		if (!hs_krb_prf(k, in, pl + 1, blk, &bl) || !bl)
			return false;
		size_t c = n - done < bl ? n - done : bl;
		memcpy(out + done, blk, c);
		done += c;
	}
	OPENSSL_cleanse(blk, sizeof blk);
	return true;
}

bool hs_krb_cf2(const hs_krb_key *k1, const hs_krb_key *k2, const char *pepper1, const char *pepper2, hs_krb_key *out)
{
	uint8_t a[32], b[32];
	size_t n = hs_krb_etype_keylen(k1->etype);
	memset(out, 0, sizeof *out);
	if (!n || k1->etype == 23 || !prf_plus(k1, pepper1, a, n) || !prf_plus(k2, pepper2, b, n))
		return false;
	/* random-to-key is the identity for the AES etypes */
	for (size_t i = 0; i < n; i++)
		out->k[i] = a[i] ^ b[i];
	out->etype = k1->etype;
	out->len = (uint32_t)n;
	OPENSSL_cleanse(a, sizeof a);
	OPENSSL_cleanse(b, sizeof b);
	return true;
}
