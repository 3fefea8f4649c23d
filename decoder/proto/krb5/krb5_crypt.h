/* krb5_crypt.h - Kerberos encryption types (RFC 3961 simplified profile)
 * through OpenSSL: decrypt-and-verify and string-to-key for
 *   17 aes128-cts-hmac-sha1-96, 18 aes256-cts-hmac-sha1-96   (RFC 3962)
 *   19 aes128-cts-hmac-sha256-128, 20 aes256-cts-hmac-sha384-192 (RFC 8009)
 *   23 rc4-hmac (RFC 4757; 24 rc4-hmac-exp is not supported)
 *
 * Nothing here allocates beyond OpenSSL's own short-lived contexts; the
 * caller owns every buffer.  Keys are secret: callers never print them
 * unless HS_DESCRIBE_SECRETS.
 */
#ifndef HS_KRB5_CRYPT_H
#define HS_KRB5_CRYPT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define HS_KRB_KEY_MAX 32 /* longest key of a supported etype (AES-256) */

typedef struct hs_krb_key {
	int32_t etype;
	uint32_t len;                /* bytes of k in use */
	uint8_t k[HS_KRB_KEY_MAX];
} hs_krb_key;

/* Outcome of a decryption; stable names by hs_krb_dec_status_name(). */
typedef enum hs_krb_dec_status {
	HS_KRB_DEC_OK = 0,
	HS_KRB_DEC_NO_KEY,        /* "no_key": no key for this principal / etype */
	HS_KRB_DEC_WRONG_KVNO,    /* "wrong_kvno": keys for the principal exist, none with this kvno */
	HS_KRB_DEC_INTEGRITY,     /* "integrity_failed": the checksum did not verify (wrong key, tampering) */
	HS_KRB_DEC_UNSUPPORTED,   /* "unsupported_etype": etype not implemented (DES, 3DES, rc4-exp) */
	HS_KRB_DEC_MALFORMED,     /* "malformed": cipher text too short, or the plain text is not the expected ASN.1 */
	HS_KRB_DEC_NOT_TRIED      /* "not_tried": nothing to decrypt with (e.g. the ticket itself failed) */
} hs_krb_dec_status;

const char *hs_krb_dec_status_name(hs_krb_dec_status s);

/* Key length in bytes for a supported etype, 0 otherwise. */
size_t hs_krb_etype_keylen(int32_t etype);

/* Decrypt an EncryptedData cipher text (RFC 3961 s5.3, RFC 8009 s5,
 * RFC 4757 s4) with key usage `usage`.  out must hold len bytes; on
 * HS_KRB_DEC_OK, *out_len is the plain text length (confounder and
 * checksum removed) and out[0..*out_len) the plain text.  Any other status
 * leaves out unspecified (the caller must not use it) and *out_len 0. */
hs_krb_dec_status hs_krb_decrypt(const hs_krb_key *k, uint32_t usage, const uint8_t *ct, size_t len, uint8_t *out,
				 size_t *out_len);

/* String-to-key (RFC 3962 s4, RFC 8009 s4) for etypes 17..20.  iter 0 =
 * the etype's default (4096 for RFC 3962, 32768 for RFC 8009).  False for
 * another etype (rc4-hmac would need MD4, only in OpenSSL 3's legacy
 * provider; keytabs carry keys, not passwords) or an OpenSSL failure. */
bool hs_krb_string_to_key(int32_t etype, const char *pw, size_t pwlen, const uint8_t *salt, size_t saltlen,
			  uint32_t iter, hs_krb_key *out);

/* The derived keys for a usage (exposed for the RFC test vectors):
 * ke (encryption, key length), ki (integrity: the key length for RFC 3962,
 * 16 bytes for 19, 24 for 20), kc (checksum: as ki).  False for etypes other than
 * 17..20. */
bool hs_krb_derive(const hs_krb_key *k, uint32_t usage, uint8_t *ke, uint8_t *ki, size_t *ki_len, uint8_t *kc);

/* RFC 3961 pseudo-random function of etypes 17..20 (RFC 3962 s6: 16
 * bytes; RFC 8009 s5: 32 / 48 bytes).  out holds 48 bytes. */
bool hs_krb_prf(const hs_krb_key *k, const uint8_t *in, size_t inlen, uint8_t *out, size_t *outlen);

/* RFC 6113 s5.1 KRB-FX-CF2(k1, k2, pepper1, pepper2): the FAST armor key
 * ("subkeyarmor", "ticketarmor") and the strengthened reply key
 * ("strengthenkey", "replykey").  The result has k1's etype (17..20; k2 may
 * be any etype with a PRF).  False when either PRF is not available. */
bool hs_krb_cf2(const hs_krb_key *k1, const hs_krb_key *k2, const char *pepper1, const char *pepper2, hs_krb_key *out);

/* RC4 (for RFC 4757 and MS-NLMP sealing): a key stream kept across calls. */
typedef struct hs_rc4 {
	uint8_t s[256];
	uint8_t i, j;
} hs_rc4;
void hs_rc4_init(hs_rc4 *r, const uint8_t *key, size_t klen);
void hs_rc4_crypt(hs_rc4 *r, const uint8_t *in, uint8_t *out, size_t len); /* in == out allowed */
void hs_rc4_wipe(hs_rc4 *r);

/* HMAC (digest "MD5", "SHA1" ...) over a || b (b may be empty) into out
 * (EVP_MAX_MD_SIZE bytes); MD5 / SHA digest of a || b.  False on an
 * OpenSSL failure. */
bool hs_hmac(const char *digest, const uint8_t *key, size_t klen, const uint8_t *a, size_t alen, const uint8_t *b,
	     size_t blen, uint8_t *out);
bool hs_digest(const char *digest, const uint8_t *a, size_t alen, const uint8_t *b, size_t blen, uint8_t *out);

/* Wipe a key (OPENSSL_cleanse). */
void hs_krb_key_wipe(hs_krb_key *k);

#endif
