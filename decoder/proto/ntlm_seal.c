/* ntlm_seal.c - NTLM session security (MS-NLMP 3.3.2, 3.4).  See ntlm_seal.h. */
#include "ntlm_seal.h"

#include <stdio.h>
#include <string.h>

#include <glib.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>

typedef struct cred {
	char user[HS_NTLM_NAME_MAX];   /* UTF-8, as given */
	char domain[HS_NTLM_NAME_MAX]; /* may be empty */
	uint8_t nt_hash[16];
	bool has_lm;                   /* a password of at most 14 ASCII characters gives LMOWFv1 too */
	uint8_t lm_hash[16];
} cred;

struct hs_ntlm_creds {
	GArray *v; /* cred */
};

hs_ntlm_creds *hs_ntlm_creds_new(void)
{
	hs_ntlm_creds *c = g_new0(hs_ntlm_creds, 1);
	c->v = g_array_new(FALSE, TRUE, sizeof(cred));
	return c;
}

void hs_ntlm_creds_free(hs_ntlm_creds *c)
{
	if (!c)
		return;
	if (c->v->len)
		OPENSSL_cleanse(c->v->data, c->v->len * sizeof(cred));
	g_array_free(c->v, TRUE);
	g_free(c);
}

size_t hs_ntlm_creds_count(const hs_ntlm_creds *c) { return c ? c->v->len : 0; }

/* ---- MD4, RFC 1320 s3 ---- */
#define MD4_F(x, y, z) (((x) & (y)) | (~(x) & (z)))
#define MD4_G(x, y, z) (((x) & (y)) | ((x) & (z)) | ((y) & (z)))
#define MD4_H(x, y, z) ((x) ^ (y) ^ (z))
#define ROL(x, s) (((x) << (s)) | ((x) >> (32 - (s))))

static void md4_block(uint32_t st[4], const uint8_t *b)
{
	static const uint8_t r1[4] = { 3, 7, 11, 19 }, r2[4] = { 3, 5, 9, 13 }, r3[4] = { 3, 9, 11, 15 };
	static const uint8_t o3[16] = { 0, 8, 4, 12, 2, 10, 6, 14, 1, 9, 5, 13, 3, 11, 7, 15 };
	uint32_t x[16], a = st[0], b2 = st[1], c = st[2], d = st[3], t;
	for (int i = 0; i < 16; i++)
		x[i] = (uint32_t)b[4 * i] | (uint32_t)b[4 * i + 1] << 8 | (uint32_t)b[4 * i + 2] << 16 |
		       (uint32_t)b[4 * i + 3] << 24;
	for (int i = 0; i < 16; i++) {
		t = a + MD4_F(b2, c, d) + x[i];
		t = ROL(t, r1[i % 4]);
		a = d, d = c, c = b2, b2 = t;
	}
	for (int i = 0; i < 16; i++) {
		int k = (i % 4) * 4 + i / 4;
		t = a + MD4_G(b2, c, d) + x[k] + 0x5a827999u;
		t = ROL(t, r2[i % 4]);
		a = d, d = c, c = b2, b2 = t;
	}
	for (int i = 0; i < 16; i++) {
		t = a + MD4_H(b2, c, d) + x[o3[i]] + 0x6ed9eba1u;
		t = ROL(t, r3[i % 4]);
		a = d, d = c, c = b2, b2 = t;
	}
	st[0] += a, st[1] += b2, st[2] += c, st[3] += d;
	OPENSSL_cleanse(x, sizeof x);
}

void hs_md4(const uint8_t *p, size_t n, uint8_t out[16])
{
	uint32_t st[4] = { 0x67452301u, 0xefcdab89u, 0x98badcfeu, 0x10325476u };
	uint8_t tail[128];
	size_t full = n & ~(size_t)63, rest = n - full;
	for (size_t i = 0; i < full; i += 64)
		md4_block(st, p + i);
	memset(tail, 0, sizeof tail);
	if (rest)
		memcpy(tail, p + full, rest);
	tail[rest] = 0x80;
	size_t tl = rest < 56 ? 64 : 128;
	uint64_t bits = (uint64_t)n * 8;
	for (int i = 0; i < 8; i++)
		tail[tl - 8 + i] = (uint8_t)(bits >> (8 * i));
	md4_block(st, tail);
	if (tl == 128)
		md4_block(st, tail + 64);
	for (int i = 0; i < 16; i++)
		out[i] = (uint8_t)(st[i / 4] >> (8 * (i % 4)));
	OPENSSL_cleanse(tail, sizeof tail);
	OPENSSL_cleanse(st, sizeof st);
}

/* MS-NLMP 6 DES(K, D) with a 7-byte key: the 56 bits spread over 8 bytes
 * (the low bit of each is parity, ignored by DES).  Single DES is in
 * OpenSSL 3's legacy provider only; DES-EDE3 with three equal keys is the
 * same cipher and is in the default one. */
static bool des7(const uint8_t k7[7], const uint8_t in[8], uint8_t out[8])
{
	uint8_t k[24];
	for (int i = 0; i < 8; i++) {
		unsigned bit = 7u * (unsigned)i, b = bit / 8, o = bit % 8;
		unsigned v = (unsigned)k7[b] << 8 | (b + 1 < 7 ? k7[b + 1] : 0);
		k[i] = (uint8_t)(((v >> (9 - o)) & 0x7f) << 1);
	}
	memcpy(k + 8, k, 8);
	memcpy(k + 16, k, 8);
	EVP_CIPHER_CTX *c = EVP_CIPHER_CTX_new();
	int n = 0;
	bool ok = c && EVP_EncryptInit_ex(c, EVP_des_ede3_ecb(), NULL, k, NULL) && EVP_CIPHER_CTX_set_padding(c, 0) &&
		  EVP_EncryptUpdate(c, out, &n, in, 8) && n == 8;
	EVP_CIPHER_CTX_free(c);
	OPENSSL_cleanse(k, sizeof k);
	return ok;
}

/* MS-NLMP 6 DESL(K, D): DES of D under K[0..6], K[7..13], K[14..15]+Z(5). */
static bool desl(const uint8_t k[16], const uint8_t d[8], uint8_t out[24])
{
	uint8_t k3[7] = { k[14], k[15], 0, 0, 0, 0, 0 };
	bool ok = des7(k, d, out) && des7(k + 7, d, out + 8) && des7(k3, d, out + 16);
	OPENSSL_cleanse(k3, sizeof k3);
	return ok;
}

/* CRC-32 (ISO 3309, the reflected 0xEDB88320 polynomial): the NTLMv1
 * signature's checksum (MS-NLMP 3.4.4.1). */
static uint32_t crc32_iso(const uint8_t *p, size_t n)
{
	uint32_t c = 0xffffffffu;
	for (size_t i = 0; i < n; i++) {
		c ^= p[i];
		for (int k = 0; k < 8; k++)
			c = (c >> 1) ^ (0xedb88320u & (0u - (c & 1u)));
	}
	return ~c;
}

/* MS-NLMP 3.3.1 LMOWFv1: DES of "KGS!@#$%" under each half of the
 * upper-cased password padded to 14 bytes (OEM: ASCII only here).  Needed
 * by NTLMv1's NEGOTIATE_LM_KEY key exchange key (3.4.5.1). */
static bool lmowf(const char *pw, uint8_t out[16])
{
	static const uint8_t magic[8] = { 'K', 'G', 'S', '!', '@', '#', '$', '%' };
	uint8_t p[14] = { 0 };
	size_t n = strlen(pw);
	if (n > 14)
		return false;
	for (size_t i = 0; i < n; i++) {
		if ((unsigned char)pw[i] >= 0x80)
			return false;
		p[i] = (uint8_t)g_ascii_toupper(pw[i]);
	}
	bool ok = des7(p, magic, out) && des7(p + 7, magic, out + 8);
	OPENSSL_cleanse(p, sizeof p);
	return ok;
}

bool hs_ntlm_creds_add(hs_ntlm_creds *c, const char *spec, bool hash, char *err, size_t errlen)
{
	cred k;
	memset(&k, 0, sizeof k);
	const char *colon = strchr(spec, ':');
	if (!colon) {
		snprintf(err, errlen, "expected DOMAIN\\user:%s", hash ? "NTHASH" : "password");
		return false;
	}
	const char *bs = memchr(spec, '\\', (size_t)(colon - spec));
	const char *u = bs ? bs + 1 : spec;
	size_t dl = bs ? (size_t)(bs - spec) : 0, ul = (size_t)(colon - u);
	if (!ul || ul >= sizeof k.user || dl >= sizeof k.domain || !g_utf8_validate(spec, colon - spec, NULL)) {
		snprintf(err, errlen, "the user name is empty, too long or not UTF-8");
		return false;
	}
	memcpy(k.user, u, ul);
	memcpy(k.domain, spec, dl);
	const char *secret = colon + 1;
	if (hash) {
		if (strlen(secret) != 32) {
			snprintf(err, errlen, "an NT hash is 32 hex digits");
			return false;
		}
		for (int i = 0; i < 16; i++) {
			int hi = g_ascii_xdigit_value(secret[2 * i]), lo = g_ascii_xdigit_value(secret[2 * i + 1]);
			if (hi < 0 || lo < 0) {
				snprintf(err, errlen, "an NT hash is 32 hex digits");
				OPENSSL_cleanse(&k, sizeof k);
				return false;
			}
			k.nt_hash[i] = (uint8_t)(hi << 4 | lo);
		}
	} else {
		glong n = 0;
		gunichar2 *w = g_utf8_to_utf16(secret, -1, NULL, &n, NULL);
		if (!w) {
			snprintf(err, errlen, "the password is not UTF-8");
			return false;
		}
		/* MS-NLMP 3.3.1: NTOWF = MD4(UNICODE(Passwd)) */
		uint8_t *le = g_malloc((size_t)n * 2 + 1);
		for (glong i = 0; i < n; i++)
			le[2 * i] = (uint8_t)w[i], le[2 * i + 1] = (uint8_t)(w[i] >> 8);
		hs_md4(le, (size_t)n * 2, k.nt_hash);
		k.has_lm = lmowf(secret, k.lm_hash);
		OPENSSL_cleanse(le, (size_t)n * 2);
		OPENSSL_cleanse(w, (size_t)n * 2);
		g_free(le);
		g_free(w);
	}
	if (c->v->len >= HS_NTLM_MAX_CREDS) {
		snprintf(err, errlen, "more than %d NTLM credentials", HS_NTLM_MAX_CREDS);
		OPENSSL_cleanse(&k, sizeof k);
		return false;
	}
	g_array_append_val(c->v, k);
	OPENSSL_cleanse(&k, sizeof k);
	return true;
}

const char *hs_ntlm_seal_status_name(hs_ntlm_seal_status s)
{
	switch (s) {
	case HS_NTLM_SEAL_OK: return "ok";
	case HS_NTLM_SEAL_NO_CRED: return "no_credential";
	case HS_NTLM_SEAL_WRONG_CRED: return "wrong_password";
	case HS_NTLM_SEAL_UNSUPPORTED: return "unsupported";
	case HS_NTLM_SEAL_INTEGRITY: return "signature_mismatch";
	}
	return "unknown";
}

/* UTF-16LE of a UTF-8 string, upper-cased first when upper (MS-NLMP 3.3.2
 * NTOWFv2: UNICODE(Uppercase(User) + UserDom)), appended to g. */
static void utf16le(GByteArray *g, const char *s, bool upper)
{
	char *u = upper ? g_utf8_strup(s, -1) : g_strdup(s);
	glong n = 0;
	gunichar2 *w = g_utf8_to_utf16(u, -1, NULL, &n, NULL);
	for (glong i = 0; w && i < n; i++) {
		uint8_t b[2] = { (uint8_t)w[i], (uint8_t)(w[i] >> 8) };
		g_byte_array_append(g, b, 2);
	}
	g_free(w);
	g_free(u);
}

/* MS-NLMP 3.4.5.2 SIGNKEY / 3.4.5.3 SEALKEY with extended session security. */
void hs_ntlm_seal_from_key(hs_ntlm_seal *s, uint32_t flags, const uint8_t exported[16])
{
	s->flags = flags;
	s->v1 = s->v1_shared = false;
	static const char *const sign[2] = { "session key to client-to-server signing key magic constant",
					     "session key to server-to-client signing key magic constant" };
	static const char *const seal[2] = { "session key to client-to-server sealing key magic constant",
					     "session key to server-to-client sealing key magic constant" };
	size_t klen = (s->flags & HS_NTLM_NEGOTIATE_128) ? 16 : (s->flags & HS_NTLM_NEGOTIATE_56) ? 7 : 5;
	for (int d = 0; d < 2; d++) {
		uint8_t sealkey[16];
		(void)hs_digest("MD5", exported, 16, (const uint8_t *)sign[d], strlen(sign[d]) + 1, s->dir[d].sign_key);
		(void)hs_digest("MD5", exported, klen, (const uint8_t *)seal[d], strlen(seal[d]) + 1, sealkey);
		hs_rc4_init(&s->dir[d].rc4, sealkey, 16);
		s->dir[d].seq = 0;
		OPENSSL_cleanse(sealkey, sizeof sealkey);
	}
}

/* MS-NLMP 3.4.5.3 SEALKEY without extended session security: the exported
 * key itself (NEGOTIATE_LM_KEY weakens it to 56 / 40 bits), the same for
 * both directions.  With KEY_EXCH each direction runs its own RC4 handle
 * and sequence number from that key (3.1.5.1.2 ClientHandle / ServerHandle;
 * gss-ntlmssp does so, and Wireshark's NTLMSSP dissector); without it the
 * two directions share one handle and one sequence number (Samba's NTLM1
 * state, Wireshark's too). */
void hs_ntlm_seal_from_key_v1(hs_ntlm_seal *s, uint32_t flags, const uint8_t exported[16])
{
	s->flags = flags;
	s->v1 = true;
	uint8_t k[16];
	size_t kl = 16;
	memcpy(k, exported, 16);
	if (flags & HS_NTLM_NEGOTIATE_LM_KEY) {
		static const uint8_t k40[3] = { 0xe5, 0x38, 0xb0 };
		if (flags & HS_NTLM_NEGOTIATE_56)
			k[7] = 0xa0, kl = 8;
		else
			memcpy(k + 5, k40, 3), kl = 8;
	}
	for (int d = 0; d < 2; d++) {
		hs_rc4_init(&s->dir[d].rc4, k, kl);
		s->dir[d].seq = 0;
	}
	s->v1_shared = !(flags & HS_NTLM_NEGOTIATE_KEY_EXCH);
	OPENSSL_cleanse(k, sizeof k);
}

/* NTLMv1 (MS-NLMP 3.3.1), with or without extended session security (the
 * "NTLM2 session response", 4.2.3): the response verifies the NT hash;
 * SessionBaseKey = MD4(NTOWFv1); KXKEY (3.4.5.1) with ESS =
 * HMAC_MD5(SessionBaseKey, ServerChallenge + LmChallengeResponse[0..7]).
 * False when the response does not verify. */
static bool ntlmv1_keys(const cred *k, const hs_ntlm_msg *ch, const hs_ntlm_msg *au, uint8_t kx[16])
{
	const uint8_t *nt_hash = k->nt_hash;
	bool ess = au->flags & HS_NTLM_NEGOTIATE_EXTENDED_SESSIONSECURITY;
	uint8_t chal[16], resp[24], sbk[16], cc[16];
	memcpy(chal, ch->server_challenge.p, 8);
	if (ess) {
		/* NTLMv1 with ESS: DESL(NTOWF, MD5(ServerChallenge + ClientChallenge)[0..7]) */
		(void)hs_digest("MD5", ch->server_challenge.p, 8, au->lm_response.p, 8, cc);
		memcpy(chal, cc, 8);
	}
	bool ok = desl(nt_hash, chal, resp) && CRYPTO_memcmp(resp, au->nt_response.p, 24) == 0;
	if (ok) {
		hs_md4(nt_hash, 16, sbk);
		if (ess) {
			ok = hs_hmac("MD5", sbk, 16, ch->server_challenge.p, 8, au->lm_response.p, 8, cc) &&
			     (memcpy(kx, cc, 16), true);
		} else if (au->flags & HS_NTLM_NEGOTIATE_LM_KEY) {
			/* DES(LMOWF[0..6], LmResp[0..7]) + DES(LMOWF[7] + 0xBDBDBDBDBDBD, LmResp[0..7]) */
			uint8_t k2[7] = { k->lm_hash[7], 0xbd, 0xbd, 0xbd, 0xbd, 0xbd, 0xbd };
			ok = k->has_lm && au->lm_response.len >= 8 && des7(k->lm_hash, au->lm_response.p, kx) &&
			     des7(k2, au->lm_response.p, kx + 8);
		} else if (au->flags & HS_NTLM_REQUEST_NON_NT_SESSION_KEY) {
			ok = k->has_lm;
			memcpy(kx, k->lm_hash, 8);
			memset(kx + 8, 0, 8);
		} else {
			memcpy(kx, sbk, 16);
		}
	}
	OPENSSL_cleanse(sbk, sizeof sbk);
	OPENSSL_cleanse(cc, sizeof cc);
	OPENSSL_cleanse(resp, sizeof resp);
	return ok;
}

/* 3.1.5.1.2: the exported session key is the key exchange key, or with
 * KEY_EXCH the EncryptedRandomSessionKey decrypted with it. */
static void exported_key(const hs_ntlm_msg *auth, const uint8_t kx[16], uint8_t exported[16])
{
	if ((auth->flags & HS_NTLM_NEGOTIATE_KEY_EXCH) && auth->session_key.len == 16) {
		hs_rc4 r;
		hs_rc4_init(&r, kx, 16);
		hs_rc4_crypt(&r, auth->session_key.p, exported, 16);
		hs_rc4_wipe(&r);
	} else {
		memcpy(exported, kx, 16);
	}
}

static void cred_name(hs_ntlm_seal *s, const cred *k)
{
	snprintf(s->user, sizeof s->user, "%s%s%s", k->domain, k->domain[0] ? "\\" : "", k->user);
}

static hs_ntlm_seal_status ntlmv1_init(const hs_ntlm_creds *c, const hs_ntlm_msg *challenge, const hs_ntlm_msg *auth,
				       hs_ntlm_seal *s)
{
	bool ess = auth->flags & HS_NTLM_NEGOTIATE_EXTENDED_SESSIONSECURITY;
	/* without ESS, LM_KEY / NON_NT_SESSION_KEY derive from the LM hash,
	 * which only a password (not an NT hash) gives */
	bool lm = !ess && (auth->flags & (HS_NTLM_NEGOTIATE_LM_KEY | HS_NTLM_REQUEST_NON_NT_SESSION_KEY));
	if (auth->nt_response.len != 24 || (ess && auth->lm_response.len < 8))
		return HS_NTLM_SEAL_UNSUPPORTED;
	char user[HS_NTLM_NAME_MAX * 3];
	hs_ntlm_text(auth->user, auth->unicode, user, sizeof user);
	hs_ntlm_seal_status st = HS_NTLM_SEAL_NO_CRED;
	for (guint i = 0; c && i < c->v->len; i++) {
		const cred *k = &g_array_index(c->v, cred, i);
		if (g_ascii_strcasecmp(k->user, user) != 0)
			continue;
		if (lm && !k->has_lm) {
			st = HS_NTLM_SEAL_UNSUPPORTED;
			continue;
		}
		uint8_t kx[16], exported[16];
		if (!ntlmv1_keys(k, challenge, auth, kx)) {
			st = HS_NTLM_SEAL_WRONG_CRED;
			continue;
		}
		exported_key(auth, kx, exported);
		if (ess)
			hs_ntlm_seal_from_key(s, auth->flags, exported);
		else
			hs_ntlm_seal_from_key_v1(s, auth->flags, exported);
		s->kind = ess ? "NTLMv1 with extended session security" : "NTLMv1";
		cred_name(s, k);
		OPENSSL_cleanse(kx, sizeof kx);
		OPENSSL_cleanse(exported, sizeof exported);
		return HS_NTLM_SEAL_OK;
	}
	return st;
}

hs_ntlm_seal_status hs_ntlm_seal_init(const hs_ntlm_creds *c, const hs_ntlm_msg *challenge, const hs_ntlm_msg *auth,
				      hs_ntlm_seal *s)
{
	memset(s, 0, sizeof *s);
	s->flags = auth->flags;
	if (!(auth->flags & HS_NTLM_NEGOTIATE_SEAL) || challenge->server_challenge.len != 8)
		return HS_NTLM_SEAL_UNSUPPORTED;
	if (!auth->ntlmv2)
		return ntlmv1_init(c, challenge, auth, s);
	if (!(auth->flags & HS_NTLM_NEGOTIATE_EXTENDED_SESSIONSECURITY) || auth->nt_response.len < 16 + 28)
		return HS_NTLM_SEAL_UNSUPPORTED;
	char user[HS_NTLM_NAME_MAX * 3], domain[HS_NTLM_NAME_MAX * 3];
	hs_ntlm_text(auth->user, auth->unicode, user, sizeof user);
	hs_ntlm_text(auth->domain, auth->unicode, domain, sizeof domain);
	hs_ntlm_seal_status st = HS_NTLM_SEAL_NO_CRED;
	const uint8_t *proof = auth->nt_response.p, *blob = auth->nt_response.p + 16;
	size_t bloblen = auth->nt_response.len - 16;
	GByteArray *ud = g_byte_array_new();
	utf16le(ud, user, true);
	utf16le(ud, domain, false);
	for (guint i = 0; c && i < c->v->len; i++) {
		const cred *k = &g_array_index(c->v, cred, i);
		if (g_ascii_strcasecmp(k->user, user) != 0)
			continue;
		uint8_t rk[64], np[64], sbk[64], exported[16];
		/* ResponseKeyNT = HMAC_MD5(NT hash, UNICODE(Uppercase(User) + UserDom));
		 * NTProofStr = HMAC_MD5(ResponseKeyNT, ServerChallenge + temp) */
		if (!hs_hmac("MD5", k->nt_hash, 16, ud->data, ud->len, NULL, 0, rk) ||
		    !hs_hmac("MD5", rk, 16, challenge->server_challenge.p, 8, blob, bloblen, np))
			continue;
		if (CRYPTO_memcmp(np, proof, 16) != 0) {
			st = HS_NTLM_SEAL_WRONG_CRED;
			OPENSSL_cleanse(rk, sizeof rk);
			continue;
		}
		/* SessionBaseKey = HMAC_MD5(ResponseKeyNT, NTProofStr) = KeyExchangeKey (NTLMv2) */
		(void)hs_hmac("MD5", rk, 16, proof, 16, NULL, 0, sbk);
		exported_key(auth, sbk, exported);
		hs_ntlm_seal_from_key(s, auth->flags, exported);
		s->kind = "NTLMv2";
		cred_name(s, k);
		OPENSSL_cleanse(rk, sizeof rk);
		OPENSSL_cleanse(np, sizeof np);
		OPENSSL_cleanse(sbk, sizeof sbk);
		OPENSSL_cleanse(exported, sizeof exported);
		st = HS_NTLM_SEAL_OK;
		break;
	}
	g_byte_array_free(ud, TRUE);
	return st;
}

/* MS-NLMP 3.4.4.1 without extended session security: after the message,
 * the one handle encrypted RandomPad, CRC32(message) and the sequence
 * number (connection-oriented: RC4(0) XOR SeqNum, the same bytes as
 * RC4(SeqNum)); decrypting the signature's last 12 bytes gives them back. */
static hs_ntlm_seal_status unseal_v1(hs_ntlm_seal *s, int d, const uint8_t sig[16], const uint8_t *data, size_t len,
				     uint8_t *out, uint32_t *seq)
{
	uint8_t t[12];
	if (s->v1_shared)
		d = 0;
	hs_rc4_crypt(&s->dir[d].rc4, data, out, len);
	hs_rc4_crypt(&s->dir[d].rc4, sig + 4, t, 12);
	uint32_t crc = (uint32_t)t[4] | (uint32_t)t[5] << 8 | (uint32_t)t[6] << 16 | (uint32_t)t[7] << 24;
	uint32_t n = (uint32_t)t[8] | (uint32_t)t[9] << 8 | (uint32_t)t[10] << 16 | (uint32_t)t[11] << 24;
	*seq = n;
	bool ok = sig[0] == 1 && sig[1] == 0 && sig[2] == 0 && sig[3] == 0 && n == s->dir[d].seq &&
		  crc == crc32_iso(out, len);
	s->dir[d].seq = n + 1;
	return ok ? HS_NTLM_SEAL_OK : HS_NTLM_SEAL_INTEGRITY;
}

hs_ntlm_seal_status hs_ntlm_unseal(hs_ntlm_seal *s, bool from_server, const uint8_t sig[16], const uint8_t *data,
				   size_t len, uint8_t *out, uint32_t *seq)
{
	int d = from_server ? 1 : 0;
	if (s->v1)
		return unseal_v1(s, d, sig, data, len, out, seq);
	/* MS-NLMP 3.4.3: Sealed = RC4(handle, message), then the checksum
	 * through the same handle (KEY_EXCH), 3.4.4.2. */
	hs_rc4_crypt(&s->dir[d].rc4, data, out, len);
	uint8_t cks[8], mac[64], sq[4];
	uint32_t n = (uint32_t)sig[12] | (uint32_t)sig[13] << 8 | (uint32_t)sig[14] << 16 | (uint32_t)sig[15] << 24;
	*seq = n;
	if (s->flags & HS_NTLM_NEGOTIATE_KEY_EXCH)
		hs_rc4_crypt(&s->dir[d].rc4, sig + 4, cks, 8);
	else
		memcpy(cks, sig + 4, 8);
	for (int i = 0; i < 4; i++)
		sq[i] = (uint8_t)(n >> (8 * i));
	bool ok = sig[0] == 1 && sig[1] == 0 && sig[2] == 0 && sig[3] == 0 && n == s->dir[d].seq &&
		  hs_hmac("MD5", s->dir[d].sign_key, 16, sq, 4, out, len, mac) && CRYPTO_memcmp(mac, cks, 8) == 0;
	s->dir[d].seq = n + 1;
	return ok ? HS_NTLM_SEAL_OK : HS_NTLM_SEAL_INTEGRITY;
}

void hs_ntlm_seal_wipe(hs_ntlm_seal *s) { OPENSSL_cleanse(s, sizeof *s); }
