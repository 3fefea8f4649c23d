/* ldap.h - LDAP (RFC 4511) over TCP 389 / 3268 as a carrier of
 * authentication: every LDAPMessage's messageID and protocolOp; bindRequest
 * (simple - flagged, never printed -, SASL mechanism and credentials -> GSS,
 * Microsoft "sicily" NTLM binds, MS-ADTS 5.1.1.1.3); every response's
 * resultCode, matchedDN and diagnosticMessage (where Windows writes
 * "80090308: LdapErr: DSID-..., data 52e"); serverSaslCreds -> GSS.
 *
 * After a SASL bind that negotiated integrity or confidentiality, the stream
 * is a sequence of SASL buffers (RFC 4422 3.7: 4-byte length + GSS wrap
 * token): those are recognised and reported as "sasl_wrapped" with their
 * sizes.  TLS records (after StartTLS) are recognised and skipped.
 *
 * LDAP is BER: Windows encodes lengths in the long form (0x84 + 4 bytes);
 * der.h accepts non-minimal lengths.  Zero-copy, allocation-free.
 */
#ifndef HS_LDAP_H
#define HS_LDAP_H

#include <stdbool.h>
#include <stdint.h>

#include "app.h"
#include "cursor.h"
#include "out.h"
#include "status.h"

/* Largest LDAPMessage / SASL buffer accepted (a larger length is an error,
 * not a wait: real AD responses stay far below this). */
#define HS_LDAP_MAX_PDU 0x1000000u

typedef enum hs_ldap_kind {
	HS_LDAP_NONE = 0,
	HS_LDAP_MESSAGE,      /* an LDAPMessage */
	HS_LDAP_SASL_WRAPPED, /* a SASL security-layer buffer */
	HS_LDAP_TLS           /* a TLS record (StartTLS, or LDAPS seen in the clear) */
} hs_ldap_kind;

/* protocolOp application tags (RFC 4511 4.2 ff.). */
enum {
	HS_LDAP_BIND_REQUEST = 0,
	HS_LDAP_BIND_RESPONSE = 1,
	HS_LDAP_UNBIND_REQUEST = 2,
	HS_LDAP_SEARCH_REQUEST = 3,
	HS_LDAP_SEARCH_RES_ENTRY = 4,
	HS_LDAP_SEARCH_RES_DONE = 5,
	HS_LDAP_DEL_REQUEST = 10,
	HS_LDAP_ABANDON_REQUEST = 16,
	HS_LDAP_EXTENDED_REQUEST = 23,
	HS_LDAP_EXTENDED_RESPONSE = 24
};

/* bindRequest AuthenticationChoice context tags (RFC 4511 4.2; MS-ADTS
 * 5.1.1.1.3 for the sicily ones). */
enum {
	HS_LDAP_AUTH_SIMPLE = 0,
	HS_LDAP_AUTH_SASL = 3,
	HS_LDAP_AUTH_SICILY_DISCOVERY = 9,
	HS_LDAP_AUTH_SICILY_NEGOTIATE = 10,
	HS_LDAP_AUTH_SICILY_RESPONSE = 11
};

typedef struct hs_ldap_msg {
	hs_ldap_kind kind;
	uint32_t message_id;
	int op;                       /* protocolOp tag, -1 when not decoded */
	unsigned controls;            /* number of controls */

	/* bindRequest */
	int64_t version;
	hs_slice name;                /* LDAPDN (also the DN of search / entry / modify ... requests) */
	int auth;                     /* HS_LDAP_AUTH_*, -1 when absent */
	hs_slice mechanism;           /* SASL */
	hs_slice credentials;         /* SASL credentials, sicily token, or the simple password (secret) */
	bool has_credentials;

	/* LDAPResult (every response but searchResEntry / searchResRef) */
	bool has_result;
	uint32_t result_code;
	hs_slice matched_dn;
	hs_slice diagnostic;
	hs_slice server_sasl_creds;   /* bindResponse [7] */
	bool has_server_sasl_creds;

	/* searchRequest */
	int64_t scope;
	/* extendedRequest requestName / extendedResponse responseName */
	hs_slice oid;

	/* SASL security layer */
	uint32_t sasl_len;            /* length field of the buffer */
	hs_slice sasl_token;          /* the wrapped GSS token */
	/* TLS */
	uint8_t tls_type;
	uint16_t tls_len;
} hs_ldap_msg;

/* Stream framing: how long the PDU at p is.  OK with consumed = its whole
 * length and *kind set (MESSAGE / SASL_WRAPPED / TLS); INCOMPLETE with
 * needed = total length when known (0 while the length itself is not yet
 * there); ERROR: HS_E_UNSUPPORTED (BER indefinite length), HS_E_LIMIT
 * (longer than HS_LDAP_MAX_PDU), HS_E_MALFORMED (no known PDU starts here). */
hs_parse_result hs_ldap_frame(const uint8_t *p, size_t len, hs_ldap_kind *kind);

/* Decode one complete PDU (as framed by hs_ldap_frame) into *m (overwritten;
 * slices point into p).  Returns HS_OK, or the first error with what was
 * decoded kept in *m. */
hs_err hs_ldap_decode(const uint8_t *p, size_t len, hs_ldap_msg *m);

/* "bindRequest", "searchResDone" ... / "invalidCredentials" ... / "simple",
 * "sasl", "sicilyNegotiate" ...; "unknown" for values outside the RFC. */
const char *hs_ldap_op_name(int op);
const char *hs_ldap_result_name(uint32_t code);
const char *hs_ldap_auth_name(int auth);

/* Describe an hs_ldap_msg (body of HS_PROTO_LDAP): "message_id", "op",
 * "op_code", and per op "version", "name", "auth", "mechanism",
 * "cleartext_password" (true; the password itself only with
 * HS_DESCRIBE_SECRETS), "anonymous", "result_code", "result", "matched_dn",
 * "diagnostic_message", "server_sasl_creds_len"; SASL buffers:
 * "sasl_wrapped", "sasl_len", "wrap_token"; TLS: "tls", "tls_len". */
void hs_ldap_describe(const void *body, hs_out *o, unsigned flags);

/* The engine's parser for TCP 389 and 3268. */
extern const hs_app hs_ldap_app;

#endif
