/* krb5_wrap.c - Kerberos GSS Wrap tokens (RFC 4121, RFC 4757) opened with a
 * known key.  See krb5_wrap.h. */
#include "krb5_wrap.h"

#include <string.h>

#include <openssl/crypto.h>

#include "der.h"

/* DER OID 1.2.840.113554.1.2.2 (RFC 1964 s1) with its tag and length. */
static const uint8_t krb5_oid[] = { 0x06, 0x09, 0x2a, 0x86, 0x48, 0x86, 0xf7, 0x12, 0x01, 0x02, 0x02 };

/* RFC 2743 s3.1 framing: [APPLICATION 0], a DER length (which may claim
 * more than the header at hand), the mechanism OID.  Returns the offset of
 * the inner token, 0 when the framing is not there. */
static size_t framing(const uint8_t *p, size_t n)
{
	hs_der_hdr h;
	if (n < 1 || p[0] != 0x60 || hs_der_header(p, n, &h) != HS_OK)
		return 0;
	if (n < h.hlen + sizeof krb5_oid || memcmp(p + h.hlen, krb5_oid, sizeof krb5_oid) != 0)
		return 0;
	return h.hlen + sizeof krb5_oid;
}

int hs_krb_wrap_kind(const uint8_t *hdr, size_t hlen)
{
	if (hlen >= 16 && hdr[0] == 0x05 && hdr[1] == 0x04)
		return 1;
	size_t i = framing(hdr, hlen);
	if (i && hlen >= i + 32 && hdr[i] == 0x02 && hdr[i + 1] == 0x01)
		return 2;
	return 0;
}

static void reverse(uint8_t *p, size_t n)
{
	for (size_t i = 0; i < n / 2; i++) {
		uint8_t t = p[i];
		p[i] = p[n - 1 - i];
		p[n - 1 - i] = t;
	}
}

/* Rotate p left by r (undoes RFC 4121 s4.2.5's right rotation). */
static void rotate_left(uint8_t *p, size_t n, size_t r)
{
	if (!n || !(r %= n))
		return;
	reverse(p, r);
	reverse(p + r, n - r);
	reverse(p, n);
}

static uint64_t be64(const uint8_t *p)
{
	uint64_t v = 0;
	for (int i = 0; i < 8; i++)
		v = v << 8 | p[i];
	return v;
}

/* RFC 4121 s4.2.4: {"header" | encrypt(plaintext | filler | "header")},
 * the part after the header rotated right by RRC; key usage 22 (acceptor
 * seal) or 24 (initiator seal), s2. */
static hs_krb_dec_status unwrap_cfx(const hs_krb_key *k, const uint8_t *hdr, size_t hlen, const uint8_t *data,
				    size_t dlen, uint8_t *scratch, uint8_t *out, size_t *out_len, hs_krb_wrap_info *info)
{
	if (k->etype < 17 || k->etype > 20)
		return HS_KRB_DEC_UNSUPPORTED;
	info->cfx = true;
	info->flags = hdr[2];
	info->ec = (uint16_t)(hdr[4] << 8 | hdr[5]);
	info->rrc = (uint16_t)(hdr[6] << 8 | hdr[7]);
	info->acceptor = hdr[2] & 1;
	info->seq = be64(hdr + 8);
	if (hdr[3] != 0xff || !(hdr[2] & 2))
		return HS_KRB_DEC_MALFORMED; /* not sealed: WinRM never sends integrity-only wraps */
	size_t n = hlen - 16 + dlen;
	memcpy(scratch, hdr + 16, hlen - 16);
	if (dlen)
		memcpy(scratch + hlen - 16, data, dlen);
	uint32_t usage = info->acceptor ? 22 : 24;
	/* MS-KILE 3.4.5.4.1: Windows rotates by RRC + EC; RFC 4121 by RRC. */
	rotate_left(scratch, n, info->rrc);
	size_t plain = 0;
	hs_krb_dec_status st = hs_krb_decrypt(k, usage, scratch, n, out, &plain);
	if (st == HS_KRB_DEC_INTEGRITY && info->ec) {
		rotate_left(scratch, n, info->ec);
		st = hs_krb_decrypt(k, usage, scratch, n, out, &plain);
	}
	if (st != HS_KRB_DEC_OK)
		return st;
	/* The encrypted copy of the header must match (its RRC is zero). */
	if (plain < (size_t)info->ec + 16u)
		return HS_KRB_DEC_MALFORMED;
	const uint8_t *copy = out + plain - 16;
	if (memcmp(copy, hdr, 6) != 0 || memcmp(copy + 8, hdr + 8, 8) != 0) {
		OPENSSL_cleanse(out, plain);
		return HS_KRB_DEC_MALFORMED;
	}
	*out_len = plain - info->ec - 16;
	return HS_KRB_DEC_OK;
}

/* RFC 4757 s7.3: TOK_ID 02 01, SGN_ALG 11 00 (HMAC), SEAL_ALG 10 00 (RC4),
 * filler ff ff, SND_SEQ[8], SGN_CKSUM[8], Confounder[8], data. */
static hs_krb_dec_status unwrap_rc4(const hs_krb_key *k, const uint8_t *hdr, size_t hlen, const uint8_t *data,
				    size_t dlen, size_t orig_len, uint8_t *scratch, uint8_t *out, size_t *out_len,
				    hs_krb_wrap_info *info)
{
	static const uint8_t zero4[4], sigkey[] = "signaturekey"; /* with its NUL (RFC 4757 s7.3) */
	if (k->etype != 23)
		return HS_KRB_DEC_UNSUPPORTED;
	size_t i = framing(hdr, hlen);
	const uint8_t *t = hdr + i;
	if (t[2] != 0x11 || t[3] != 0x00 || t[4] != 0x10 || t[5] != 0x00 || t[6] != 0xff || t[7] != 0xff)
		return HS_KRB_DEC_MALFORMED;
	const uint8_t *snd_seq = t + 8, *cksum = t + 16, *conf = t + 24;
	size_t rest = hlen - (i + 32), n = 8 + rest + dlen;
	uint8_t kseq[64], kcrypt[64], klocal[16], ksign[64], seq[8], md5[16], mac[64];
	hs_krb_dec_status st = HS_KRB_DEC_OK;
	hs_rc4 r;
	/* SND_SEQ, encrypted with HMAC(HMAC(Kss, 0), SGN_CKSUM) */
	if (!hs_hmac("MD5", k->k, 16, zero4, 4, NULL, 0, kseq) || !hs_hmac("MD5", kseq, 16, cksum, 8, NULL, 0, kseq))
		return HS_KRB_DEC_UNSUPPORTED;
	hs_rc4_init(&r, kseq, 16);
	hs_rc4_crypt(&r, snd_seq, seq, 8);
	/* Confounder | data with HMAC(HMAC(Kss ^ 0xF0, 0), seq[0..4]) */
	for (int b = 0; b < 16; b++)
		klocal[b] = k->k[b] ^ 0xf0;
	if (!hs_hmac("MD5", klocal, 16, zero4, 4, NULL, 0, kcrypt) || !hs_hmac("MD5", kcrypt, 16, seq, 4, NULL, 0, kcrypt)) {
		st = HS_KRB_DEC_UNSUPPORTED;
		goto done;
	}
	memcpy(scratch, conf, 8);
	if (rest)
		memcpy(scratch + 8, conf + 8, rest);
	if (dlen)
		memcpy(scratch + 8 + rest, data, dlen);
	hs_rc4_init(&r, kcrypt, 16);
	hs_rc4_crypt(&r, scratch, out, n);
	/* SGN_CKSUM = HMAC(Ksign, MD5(usage 13 | header[0..8] | confounder | data))[0..8] */
	static const uint8_t usage13[4] = { 13, 0, 0, 0 };
	uint8_t pre[12];
	memcpy(pre, usage13, 4);
	memcpy(pre + 4, t, 8);
	if (!hs_hmac("MD5", k->k, 16, sigkey, sizeof sigkey, NULL, 0, ksign) ||
	    !hs_digest("MD5", pre, sizeof pre, out, n, md5) || !hs_hmac("MD5", ksign, 16, md5, 16, NULL, 0, mac)) {
		st = HS_KRB_DEC_UNSUPPORTED;
		goto done;
	}
	if (CRYPTO_memcmp(mac, cksum, 8) != 0) {
		OPENSSL_cleanse(out, n);
		st = HS_KRB_DEC_INTEGRITY;
		goto done;
	}
	info->cfx = false;
	info->seq = (uint64_t)seq[0] << 24 | (uint64_t)seq[1] << 16 | (uint64_t)seq[2] << 8 | seq[3];
	info->acceptor = seq[4] == 0xff;
	memmove(out, out + 8, n - 8);
	*out_len = n - 8;
	/* RFC 1964 s1.2.2.3 padding (what MIT adds outside DCE style): removed
	 * only when it brings the plaintext to the announced length. */
	if (orig_len != SIZE_MAX && *out_len > orig_len && *out_len - orig_len <= 8) {
		size_t p = *out_len - orig_len;
		bool all = true;
		for (size_t b = orig_len; b < *out_len; b++)
			all = all && out[b] == p;
		if (all) {
			info->pad = p;
			*out_len = orig_len;
		}
	}
done:
	OPENSSL_cleanse(kseq, sizeof kseq);
	OPENSSL_cleanse(kcrypt, sizeof kcrypt);
	OPENSSL_cleanse(klocal, sizeof klocal);
	OPENSSL_cleanse(ksign, sizeof ksign);
	hs_rc4_wipe(&r);
	return st;
}

hs_krb_dec_status hs_krb_unwrap(const hs_krb_key *k, const uint8_t *hdr, size_t hlen, const uint8_t *data, size_t dlen,
				size_t orig_len, uint8_t *scratch, uint8_t *out, size_t *out_len, hs_krb_wrap_info *info)
{
	memset(info, 0, sizeof *info);
	*out_len = 0;
	switch (hs_krb_wrap_kind(hdr, hlen)) {
	case 1: return unwrap_cfx(k, hdr, hlen, data, dlen, scratch, out, out_len, info);
	case 2: return unwrap_rc4(k, hdr, hlen, data, dlen, orig_len, scratch, out, out_len, info);
	default: return HS_KRB_DEC_MALFORMED;
	}
}
