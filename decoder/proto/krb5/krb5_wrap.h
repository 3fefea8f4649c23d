/* krb5_wrap.h - opening Kerberos GSS-API Wrap tokens (per-message
 * confidentiality) with a known key, as WinRM seals its bodies:
 *  - RFC 4121 s4.2.6.2 (TOK_ID 05 04; AES etypes 17..20): sealed tokens,
 *    including the "DCE-style" split of MS-KILE 3.4.5.4.1 that Windows (and
 *    MIT's gss_wrap_iov without a TRAILER buffer) sends: the token header
 *    plus the rotated trailer in one buffer, the cipher text in another,
 *    the whole rotated right by RRC (Windows: by RRC + EC);
 *  - RFC 4757 s7.3 (TOK_ID 02 01, SGN_ALG HMAC-MD5 0x0011, SEAL_ALG RC4
 *    0x0010; etype 23) inside the RFC 2743 s3.1 framing.
 * The checksum is always verified: a wrong key is HS_KRB_DEC_INTEGRITY,
 * never garbage.  Nothing here allocates; keys are never written anywhere.
 */
#ifndef HS_KRB5_WRAP_H
#define HS_KRB5_WRAP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "krb5_crypt.h"

typedef struct hs_krb_wrap_info {
	bool cfx;              /* RFC 4121 token (else RFC 4757) */
	uint8_t flags;         /* RFC 4121 s4.2.2: 1 SentByAcceptor, 2 Sealed, 4 AcceptorSubkey */
	uint16_t ec, rrc;      /* RFC 4121: extra count, right rotation count */
	bool acceptor;         /* sent by the acceptor (RFC 4121 flag / RFC 4757 SND_SEQ direction bytes) */
	uint64_t seq;          /* SND_SEQ (RFC 4757: after its decryption) */
	size_t pad;            /* RFC 4757: RFC 1964 padding bytes removed from the end (0 when none) */
} hs_krb_wrap_info;

/* Which kind of token starts at hdr: 1 RFC 4121, 2 RFC 4757, 0 neither. */
int hs_krb_wrap_kind(const uint8_t *hdr, size_t hlen);

/* Open one sealed Wrap token whose header part is hdr (hlen bytes: the
 * part before the cipher text; for a token in one piece pass it all as hdr
 * and dlen 0) and whose cipher text is data (dlen bytes).  k: the session
 * key or subkey in force (RFC 4121 s2: the acceptor subkey when flag 4,
 * else the initiator subkey, else the ticket's session key).  scratch holds
 * hlen + dlen bytes; out holds hlen + dlen bytes.  orig_len: the plaintext
 * length the carrier announced (WinRM OriginalContent Length), or SIZE_MAX:
 * RFC 4757 padding is removed only when it makes the length equal to it.
 * Returns HS_KRB_DEC_OK (*out_len, *info set), HS_KRB_DEC_INTEGRITY (wrong
 * key or tampered), HS_KRB_DEC_MALFORMED (not a sealed token of a supported
 * shape), HS_KRB_DEC_UNSUPPORTED (key etype does not match the token). */
hs_krb_dec_status hs_krb_unwrap(const hs_krb_key *k, const uint8_t *hdr, size_t hlen, const uint8_t *data, size_t dlen,
				size_t orig_len, uint8_t *scratch, uint8_t *out, size_t *out_len, hs_krb_wrap_info *info);

#endif
