/* spnego.h - SPNEGO negotiation tokens (RFC 4178 4.2; MS-SPNG 2.2 for
 * NegTokenInit2 and negHints).
 *
 * SPNEGO is the envelope every Windows carrier uses ("Negotiate"): the
 * client offers mechanisms (mechTypes) with an optimistic token for the first
 * one (mechToken), the server answers with negState / supportedMech /
 * responseToken.  Whether the client picked Kerberos or fell back to NTLM is
 * the first question of every double-hop diagnosis.
 *
 * This file decodes the SPNEGO layer only; the inner token (mech_token or
 * response_token) is a slice handed to Kerberos or NTLM by gss.c.
 * Zero-copy: slices point into the caller's buffer.
 */
#ifndef HS_SPNEGO_H
#define HS_SPNEGO_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "cursor.h"
#include "hs.h"

#define HS_SPNEGO_MAX_MECHS 8

/* Well-known mechanism OIDs (dotted). */
#define HS_OID_SPNEGO "1.3.6.1.5.5.2"
#define HS_OID_KRB5 "1.2.840.113554.1.2.2"
#define HS_OID_MS_KRB5 "1.2.840.48018.1.2.2" /* Windows 2000's mistaken krb5 OID, still sent first by Windows */
#define HS_OID_KRB5_U2U "1.2.840.113554.1.2.2.3"
#define HS_OID_NTLMSSP "1.3.6.1.4.1.311.2.2.10"
#define HS_OID_NEGOEX "1.3.6.1.4.1.311.2.2.30"
#define HS_OID_IAKERB "1.3.6.1.5.2.5"

typedef enum hs_spnego_kind {
	HS_SPNEGO_NONE = 0,
	HS_SPNEGO_INIT,  /* NegTokenInit (client; or server with empty mechToken) */
	HS_SPNEGO_INIT2, /* NegTokenInit2 (MS-SPNG 2.2.1): NegTokenInit carrying negHints, sent by servers */
	HS_SPNEGO_RESP   /* NegTokenResp */
} hs_spnego_kind;

/* negState (RFC 4178 4.2.2); values as on the wire = tshark's spnego.negResult. */
typedef enum hs_spnego_neg_state {
	HS_SPNEGO_ACCEPT_COMPLETED = 0,
	HS_SPNEGO_ACCEPT_INCOMPLETE = 1,
	HS_SPNEGO_REJECT = 2,
	HS_SPNEGO_REQUEST_MIC = 3
} hs_spnego_neg_state;

typedef struct hs_spnego_msg {
	hs_spnego_kind kind;
	bool gss_wrapped;      /* the [APPLICATION 0] + OID 1.3.6.1.5.5.2 initial-token header was present */

	/* NegTokenInit / NegTokenInit2 */
	hs_slice mech_types[HS_SPNEGO_MAX_MECHS]; /* OID content bytes, preference order */
	unsigned n_mech_types, more_mech_types;
	bool has_req_flags;
	uint32_t req_flags;    /* ContextFlags BIT STRING, bit 0 (delegFlag) = 0x80000000 per hs_der_bits32 */
	hs_slice mech_token;   /* empty when absent */
	bool has_mech_token;
	bool has_neg_hints;
	hs_slice hint_name;    /* GeneralString; Windows sends "not_defined_in_RFC4178@please_ignore" */
	hs_slice hint_address;

	/* NegTokenResp */
	bool has_neg_state;
	int neg_state;         /* hs_spnego_neg_state (or another number seen on the wire) */
	hs_slice supported_mech; /* OID content bytes, empty when absent */
	hs_slice response_token;
	bool has_response_token;

	/* both */
	hs_slice mech_list_mic; /* SECRET-ish (a MAC): only its presence/length is shown by default */
	bool has_mech_list_mic;
} hs_spnego_msg;

/* Decode a SPNEGO token: the initial token ([APPLICATION 0] { OID
 * 1.3.6.1.5.5.2, NegotiationToken }), or a bare NegotiationToken
 * ([0] NegTokenInit / [1] NegTokenResp, as in every later leg).  *m is
 * overwritten.  Never allocates, never reads outside [p, p+len).
 * Returns HS_OK; HS_E_UNKNOWN when the bytes are not SPNEGO (e.g. a
 * different mechanism OID; m->kind NONE); HS_E_TRUNCATED / HS_E_MALFORMED /
 * HS_E_TRAILING / HS_E_UNSUPPORTED (indefinite length) otherwise, with the
 * fields read before the error kept. */
hs_err hs_spnego_decode(const uint8_t *p, size_t len, hs_spnego_msg *m);

/* Short name of a mechanism OID: "kerberos", "ms-kerberos", "kerberos-u2u",
 * "ntlmssp", "negoex", "iakerb", "spnego"; NULL when unknown. */
const char *hs_spnego_mech_name(hs_slice oid);

/* "accept-completed" / "accept-incomplete" / "reject" / "request-mic", or
 * NULL for other values. */
const char *hs_spnego_neg_state_name(int neg_state);

/* Write the SPNEGO fields of m into the current object (kind, mech_types,
 * req_flags, neg_result / neg_state, supported_mech, mic presence,
 * neg_hints).  Used by hs_spnego_describe (gss.h), which adds the inner
 * token under "mech_token". */
void hs_spnego_describe_fields(const hs_spnego_msg *m, hs_out *o, unsigned flags);

#endif
