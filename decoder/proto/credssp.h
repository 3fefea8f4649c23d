/* credssp.h - CredSSP (MS-CSSP): the TSRequest structure, and a CredSSP
 * "flow" that runs the TLS connection CredSSP lives in and decodes the
 * TSRequests inside it.
 *
 * Carriers: HTTP (WinRM `Authorization: CredSSP <base64 of TLS records>`,
 * MS-CSSP 3.1.5 over MS-WSMV 2.2.9.1.1: the TLS connection is spread over
 * the headers of consecutive requests and responses of one TCP connection)
 * and RDP NLA (the TLS connection follows the X.224 negotiation on 3389).
 *
 * Secrets: authInfo is the TSCredentials (the user's password, or smart card
 * PIN) encrypted with the SPNEGO session key; only its presence and size are
 * ever reported - its presence is the proof that credentials were delegated.
 */
#ifndef HS_CREDSSP_H
#define HS_CREDSSP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "app.h"
#include "cursor.h"
#include "status.h"
#include "tls.h"

#define HS_CREDSSP_MAX_TOKENS 4          /* negoTokens kept per TSRequest */
#define HS_CREDSSP_MAX_PDU (1u << 20)    /* one TSRequest */

/* MS-CSSP 2.2.1 TSRequest. */
typedef struct hs_credssp_req {
	int64_t version;
	hs_slice tokens[HS_CREDSSP_MAX_TOKENS]; /* NegoData negoToken items */
	size_t ntokens, tokens_more;
	bool has_auth_info;
	hs_slice auth_info;      /* SECRET (encrypted TSCredentials): never written */
	bool has_pub_key_auth;
	hs_slice pub_key_auth;
	bool has_error_code;
	uint32_t error_code;     /* NTSTATUS (MS-CSSP 2.2.1: version 3+) */
	bool has_client_nonce;
	hs_slice client_nonce;   /* 32 bytes (version 5+) */
} hs_credssp_req;

/* Decode one TSRequest (DER) at p.  Returns HS_OK, or the first error
 * (HS_E_TRUNCATED, HS_E_MALFORMED, HS_E_TRAILING ...) with what was decoded
 * kept in r.  Slices point into p. */
hs_err hs_credssp_decode(const uint8_t *p, size_t len, hs_credssp_req *r);

/* Framing: how long is the TSRequest starting at p?  HS_PARSE_OK with
 * consumed = its total size when all of it is there, HS_PARSE_INCOMPLETE
 * (needed = total when the header is complete), HS_PARSE_ERROR when p does
 * not start a SEQUENCE or it is over HS_CREDSSP_MAX_PDU. */
hs_parse_result hs_credssp_frame(const uint8_t *p, size_t len);

/* Where a CredSSP exchange got to (MS-CSSP 3.1.5 steps). */
typedef enum hs_credssp_stage {
	HS_CREDSSP_STAGE_NONE = 0,
	HS_CREDSSP_STAGE_NOT_OFFERED,     /* the server does not offer CredSSP (HTTP 401 without it) */
	HS_CREDSSP_STAGE_TLS_HANDSHAKE,   /* step 1: TLS handshake */
	HS_CREDSSP_STAGE_AUTHENTICATION,  /* steps 2-3: SPNEGO (NTLM / Kerberos) in negoTokens */
	HS_CREDSSP_STAGE_SERVER_VERIFIED, /* step 4: the server's pubKeyAuth answer */
	HS_CREDSSP_STAGE_CREDENTIALS_SENT,/* step 5: authInfo (the delegated credentials) */
	HS_CREDSSP_STAGE_ACCEPTED,        /* the carrier accepted the logon (HTTP 200) */
	HS_CREDSSP_STAGE_REFUSED          /* errorCode, or the carrier refused (HTTP 401/500 ...) */
} hs_credssp_stage;

const char *hs_credssp_stage_name(hs_credssp_stage s); /* "tls_handshake" ... */

/* Body of an HS_PROTO_CREDSSP message: a TSRequest (req != NULL, decrypted
 * from TLS) or a stage report (req == NULL) made from the carrier's view. */
typedef struct hs_credssp_msg {
	const hs_credssp_req *req;
	hs_err err;                 /* decode result of req */
	hs_credssp_stage stage;     /* the furthest stage reached so far */
	bool inferred;              /* stage inferred from the message sequence (TLS not decrypted) */
	unsigned http_status;       /* stage reports from HTTP: the response's status */
	unsigned client_records, server_records; /* TLS application-data records seen per side */
} hs_credssp_msg;

void hs_credssp_describe(const void *body, hs_out *o, unsigned flags);

/* One CredSSP exchange: its TLS connection and the TSRequests inside.
 * Lasting state of a carrier's flow (allocate zeroed; release when done). */
typedef struct hs_credssp_flow {
	hs_tls_conn tls;
	GByteArray *rec[2];     /* TLS bytes not yet a whole record */
	GByteArray *pdu[2];     /* plaintext not yet a whole TSRequest */
	hs_proto carrier;       /* HS_PROTO_HTTP, HS_PROTO_RDP (set by the first feed) */
	bool init, broken[2];
	hs_credssp_stage stage;
	unsigned app_records[2];
	bool after_auth;        /* TLS application data now carries the protected payload, not TSRequests */
	int8_t last_req_dir;    /* direction of the last TSRequest (-1 = none yet) */
	bool settled;           /* the carrier said accepted / refused */
	/* Set by the carrier before feeding (may stay NULL): the decrypted
	 * payload after CredSSP (RDP: the Early User Authorization Result and
	 * MCS; WinRM: the sealed messages), per direction ctx->dir. */
	hs_tls_data_fn on_payload;
	void *payload_ud;
} hs_credssp_flow;

/* Feed TLS bytes of direction ctx->dir (0 = the CredSSP client).  Emits
 * HS_PROTO_TLS messages for the handshake, one HS_PROTO_CREDSSP message per
 * decrypted TSRequest, and the SPNEGO / NTLM / Kerberos tokens inside
 * (carrier "credssp").  Never fails: bytes that are not TLS are reported
 * once and that direction stops. */
void hs_credssp_flow_feed(hs_credssp_flow *f, hs_app_ctx *ctx, hs_proto carrier, const uint8_t *p, size_t len);

/* The carrier's verdict on the exchange: the HTTP status of the final
 * response to a CredSSP leg, and whether that response carries a CredSSP
 * challenge (the exchange goes on).  Emits a stage report: 2xx = accepted
 * (WinRM answers the authInfo leg with 200), 401 without a challenge to
 * the first leg = not_offered, other 4xx/5xx without a challenge =
 * refused. */
void hs_credssp_flow_outcome(hs_credssp_flow *f, hs_app_ctx *ctx, unsigned http_status, bool server_continues);

/* Bytes of direction ctx->dir were lost: drop that direction's partial
 * record and TSRequest; its TLS can no longer be decrypted. */
void hs_credssp_flow_gap(hs_credssp_flow *f, hs_app_ctx *ctx);

/* A carrier's own verdict (RDP: the Early User Authorization Result, the
 * first MCS answer after authInfo, or the server closing during
 * authentication): stage is HS_CREDSSP_STAGE_ACCEPTED or _REFUSED; inferred
 * when it comes from the message sequence rather than decrypted content.
 * Emits a stage report. */
void hs_credssp_flow_settle(hs_credssp_flow *f, hs_app_ctx *ctx, hs_credssp_stage stage, bool inferred);

/* True when a TLS record of the exchange was decrypted with the key log. */
bool hs_credssp_flow_decrypted(const hs_credssp_flow *f);

void hs_credssp_flow_release(hs_credssp_flow *f);

#endif
