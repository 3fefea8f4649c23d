/* ntlm_seal.h - NTLM session security (MS-NLMP 3.4) with a user's password
 * or NT hash: the NTLMv2 key derivation (3.3.2) from a CHALLENGE and an
 * AUTHENTICATE seen on the wire, the exported session key (3.1.5.1.2:
 * EncryptedRandomSessionKey when KEY_EXCH), the per-direction signing and
 * sealing keys (3.4.5.2, 3.4.5.3, with extended session security) and the
 * unsealing of messages: one RC4 key stream per direction across the
 * connection, sequence numbers, signatures verified (3.4.4.2).  NTLMv1
 * (3.3.1) too: with extended session security (the "NTLM2 session
 * response") the same per-direction keys from KXKEY's HMAC; without it one
 * sealing key for both directions (one shared RC4 handle unless KEY_EXCH)
 * and CRC32 signatures (3.4.4.1); its
 * LM_KEY / NON_NT_SESSION_KEY key exchange needs the LM hash, which only a
 * password of at most 14 ASCII characters gives (an NT hash: UNSUPPORTED).
 *
 * Secrets: hashes, keys and passwords are held here only, wiped on free,
 * and never written anywhere.
 */
#ifndef HS_NTLM_SEAL_H
#define HS_NTLM_SEAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "krb5_crypt.h"
#include "ntlm.h"

#define HS_NTLM_MAX_CREDS 256
#define HS_NTLM_NAME_MAX 128

typedef struct hs_ntlm_creds hs_ntlm_creds;

hs_ntlm_creds *hs_ntlm_creds_new(void);
void hs_ntlm_creds_free(hs_ntlm_creds *c); /* wipes */
size_t hs_ntlm_creds_count(const hs_ntlm_creds *c);

/* Add "DOMAIN\user:password" (hash false) or "DOMAIN\user:32 hex digits"
 * (hash true; the NT hash).  DOMAIN\ is optional; the password may hold
 * ':'.  False with a reason in err (never quoting the secret) for a
 * malformed spec or past HS_NTLM_MAX_CREDS. */
bool hs_ntlm_creds_add(hs_ntlm_creds *c, const char *spec, bool hash, char *err, size_t errlen);

/* MD4 (RFC 1320): the NT hash is MD4(UTF-16LE(password)) (MS-NLMP 3.3.1);
 * OpenSSL 3 keeps MD4 in its legacy provider only. */
void hs_md4(const uint8_t *p, size_t n, uint8_t out[16]);

typedef enum hs_ntlm_seal_status {
	HS_NTLM_SEAL_OK = 0,
	HS_NTLM_SEAL_NO_CRED,      /* "no_credential": no password / hash for this user */
	HS_NTLM_SEAL_WRONG_CRED,   /* "wrong_password": NTProofStr does not verify with any given one */
	HS_NTLM_SEAL_UNSUPPORTED,  /* "unsupported": no SEAL negotiated, or NTLMv1's LM key without an LM hash */
	HS_NTLM_SEAL_INTEGRITY     /* "signature_mismatch": a sealed message's signature did not verify */
} hs_ntlm_seal_status;
const char *hs_ntlm_seal_status_name(hs_ntlm_seal_status s);

typedef struct hs_ntlm_seal {
	uint32_t flags;                  /* the AUTHENTICATE's NegotiateFlags */
	bool v1;                         /* no extended session security: CRC32 signatures (3.4.4.1) */
	bool v1_shared;                  /* ... and no KEY_EXCH: dir[0] serves both directions */
	const char *kind;                /* "NTLMv2", "NTLMv1 with extended session security", "NTLMv1" */
	char user[2 * HS_NTLM_NAME_MAX + 2]; /* which credential verified (UTF-8 "DOMAIN\user") */
	struct {
		uint8_t sign_key[16];
		hs_rc4 rc4;
		uint32_t seq;            /* next expected sequence number */
	} dir[2];                        /* 0 client to server, 1 server to client */
} hs_ntlm_seal;

/* Derive the session keys from the CHALLENGE (server challenge) and the
 * AUTHENTICATE of one connection with the credentials in c.  Returns OK (s
 * ready), NO_CRED, WRONG_CRED or UNSUPPORTED. */
hs_ntlm_seal_status hs_ntlm_seal_init(const hs_ntlm_creds *c, const hs_ntlm_msg *challenge, const hs_ntlm_msg *auth,
				      hs_ntlm_seal *s);

/* The signing and sealing keys of both directions from an exported session
 * key (MS-NLMP 3.4.5.2, 3.4.5.3; flags: NEGOTIATE_128 / _56 / KEY_EXCH);
 * what hs_ntlm_seal_init does once the key is known (exposed for the
 * spec's examples, 4.2.4.4). */
void hs_ntlm_seal_from_key(hs_ntlm_seal *s, uint32_t flags, const uint8_t exported[16]);

/* The same without extended session security (NTLMv1, MS-NLMP 3.4.5.3):
 * both directions' RC4 handles from the exported key, shared without
 * KEY_EXCH (4.2.2.4). */
void hs_ntlm_seal_from_key_v1(hs_ntlm_seal *s, uint32_t flags, const uint8_t exported[16]);

/* Unseal one message sent by the server (from_server) or the client: sig
 * is the 16-byte NTLMSSP_MESSAGE_SIGNATURE, data/len the sealed bytes; out
 * (len bytes) receives the plaintext.  The direction's RC4 state advances
 * whatever the outcome (as the peer's did).  Returns OK, or INTEGRITY when
 * the signature (checksum or sequence number) does not verify. *seq: the
 * signature's sequence number. */
hs_ntlm_seal_status hs_ntlm_unseal(hs_ntlm_seal *s, bool from_server, const uint8_t sig[16], const uint8_t *data,
				   size_t len, uint8_t *out, uint32_t *seq);

void hs_ntlm_seal_wipe(hs_ntlm_seal *s);

#endif
