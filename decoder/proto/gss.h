/* gss.h - the one entry point for GSS-API security blobs.
 *
 * Every carrier (HTTP Authorization / WWW-Authenticate, SMB2 SESSION_SETUP
 * security buffer, LDAP bind SASL credentials, DCE/RPC auth_verifier, TDS
 * SSPI, CredSSP negoTokens) hands its blob here instead of guessing the
 * mechanism itself.  The blob may be:
 *  - SPNEGO (RFC 4178): the initial token [APPLICATION 0] { 1.3.6.1.5.5.2,
 *    NegTokenInit / NegTokenInit2 } or a later bare [1] NegTokenResp;
 *  - a raw Kerberos GSS token (RFC 4121 4.1: [APPLICATION 0] { krb5 OID,
 *    TOK_ID, AP-REQ / AP-REP / KRB-ERROR }), or a bare AP-REQ/AP-REP/KRB-ERROR;
 *  - a raw NTLMSSP message ("NTLMSSP\0").
 * SPNEGO's inner mechToken / responseToken is decoded the same way
 * (Kerberos or NTLM; SPNEGO is not nested).
 *
 * Needs krb5.h (branch krb5) for hs_krb_msg / hs_krb_gss_decode.
 */
#ifndef HS_GSS_H
#define HS_GSS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "app.h"
#include "krb5.h"
#include "ntlm.h"
#include "spnego.h"

typedef enum hs_gss_kind {
	HS_GSS_NONE = 0, /* empty blob (or empty inner token) */
	HS_GSS_SPNEGO,
	HS_GSS_KRB5,
	HS_GSS_NTLM,
	HS_GSS_UNKNOWN   /* not recognised (NEGOEX, another mechanism, garbage) */
} hs_gss_kind;

typedef struct hs_gss_token {
	hs_gss_kind kind;   /* the outermost layer */
	hs_gss_kind inner;  /* SPNEGO only: what the mechToken / responseToken is (NONE when absent) */
	hs_spnego_msg spnego;   /* valid when kind == HS_GSS_SPNEGO */
	hs_krb_msg krb;         /* valid when has_krb (raw, or SPNEGO's inner token) */
	hs_ntlm_msg ntlm;       /* valid when has_ntlm (raw, or SPNEGO's inner token) */
	bool has_krb, has_ntlm;
	hs_err err;         /* first error of the outer layer (SPNEGO, or the raw token) */
	hs_err inner_err;   /* SPNEGO only: first error of the inner token */
} hs_gss_token;

/* Decode a security blob (len bytes at p) into *t (overwritten).  Never
 * allocates; slices in *t point into p and live as long as it.
 * Returns the first error met (outer, else inner): HS_OK; HS_E_UNKNOWN when
 * the blob is no known mechanism (t->kind HS_GSS_UNKNOWN), or when SPNEGO
 * is fine but its inner token is not decodable here (NEGOEX: t->err
 * HS_OK, t->inner_err HS_E_UNKNOWN; a Kerberos user-to-user TGT-REQ /
 * TGT-REP is decoded, msg_type 16 / 17);
 * HS_E_TRUNCATED / HS_E_MALFORMED / ... with what was decoded kept in *t.
 * An empty blob is HS_OK with kind HS_GSS_NONE.  t is ~5 KiB: fine on a
 * thread stack, make it static in fuzzers. */
hs_err hs_gss_decode(const uint8_t *p, size_t len, hs_gss_token *t);

/* Decode the blob and emit one message for it through hs_emit_token with
 * the given carrier ("http", "smb2", "ldap", "dcerpc", "tds", "credssp"):
 *   SPNEGO      -> HS_PROTO_SPNEGO,   body = const hs_gss_token *
 *                  (described with the inner token nested under "mech_token")
 *   raw krb5    -> HS_PROTO_KERBEROS, body = const hs_krb_msg *
 *   raw NTLMSSP -> HS_PROTO_NTLMSSP,  body = const hs_ntlm_msg *
 * Nothing is emitted for an empty blob or an unknown one (the latter is an
 * anomaly "unknown_gss_token").  Malformed tokens are still emitted with
 * what was decoded, plus an anomaly "malformed_spnego", "malformed_ntlmssp"
 * or "malformed_kerberos" (an inner token that is merely undecodable here,
 * HS_E_UNKNOWN, is no anomaly).  Returns the outermost kind so the carrier can
 * note it.  Uses the stack only (the token lives during the sink calls). */
hs_gss_kind hs_gss_emit(hs_app_ctx *ctx, hs_proto carrier, const uint8_t *p, size_t len);

/* The kind of the inner token as the contract's auth names: "kerberos",
 * "ntlm", "none", "unknown" ("spnego" for HS_GSS_SPNEGO). */
const char *hs_gss_kind_name(hs_gss_kind k);

/* Describe an hs_gss_token whose kind is HS_GSS_SPNEGO (the body of an
 * HS_PROTO_SPNEGO message): the SPNEGO fields, then the inner token as an
 * object under "mech_token" with its own "proto" ("kerberos" / "ntlmssp")
 * and that protocol's fields. */
void hs_spnego_describe(const void *body, hs_out *o, unsigned flags);

#endif
