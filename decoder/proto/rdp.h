/* rdp.h - RDP connection start on TCP 3389 (MS-RDPBCGR 1.3.1.1, 2.2.1.1,
 * 2.2.1.2, 5.4): TPKT (RFC 1006) + X.224 Connection Request / Confirm with
 * the routing token or `Cookie: mstshash=` and RDP_NEG_REQ / RDP_NEG_RSP /
 * RDP_NEG_FAILURE, then the security the server selected:
 *  - PROTOCOL_RDP (standard RDP security): the rest is RC4-protected MCS,
 *    not decoded;
 *  - PROTOCOL_SSL: a TLS connection (decrypted with the key log); the MCS
 *    inside is not decoded;
 *  - PROTOCOL_HYBRID / PROTOCOL_HYBRID_EX (NLA): the TLS connection carries
 *    CredSSP TSRequests first (credssp.c's shared CredSSP flow, the same one
 *    CredSSP over HTTP uses), then for HYBRID_EX the server's 4-byte Early
 *    User Authorization Result (2.2.10.2), then MCS.
 *
 * Messages (HS_PROTO_RDP, body hs_rdp_msg): the Connection Request, the
 * Connection Confirm, the Early User Authorization Result, and one "end"
 * summary per connection (security selected, CredSSP stage reached,
 * outcome).  TLS and CredSSP messages carry carrier "rdp".
 *
 * State per flow is bounded: the X.224 PDUs are parsed in place (TPKT
 * lengths are 16-bit), the TLS/CredSSP state is credssp.h's (capped there).
 */
#ifndef HS_RDP_H
#define HS_RDP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "app.h"
#include "cursor.h"
#include "status.h"

/* X.224 TPDU codes (ITU-T X.224 13.3.3; low nibble = credit, 0 in RDP). */
enum { HS_RDP_X224_CR = 0xE0, HS_RDP_X224_CC = 0xD0, HS_RDP_X224_DT = 0xF0 };

/* RDP_NEG_* types (MS-RDPBCGR 2.2.1.1.1, 2.2.1.2.1, 2.2.1.2.2, 2.2.1.1.2). */
enum {
	HS_RDP_NEG_REQ = 1,
	HS_RDP_NEG_RSP = 2,
	HS_RDP_NEG_FAILURE = 3,
	HS_RDP_CORRELATION_INFO = 6
};

/* Security protocols (requestedProtocols / selectedProtocol). */
enum {
	HS_RDP_PROTOCOL_RDP = 0x00000000,
	HS_RDP_PROTOCOL_SSL = 0x00000001,
	HS_RDP_PROTOCOL_HYBRID = 0x00000002,
	HS_RDP_PROTOCOL_RDSTLS = 0x00000004,
	HS_RDP_PROTOCOL_HYBRID_EX = 0x00000008,
	HS_RDP_PROTOCOL_RDSAAD = 0x00000010
};

/* One X.224 Connection Request or Confirm inside its TPKT. */
typedef struct hs_rdp_x224 {
	uint8_t code;            /* HS_RDP_X224_CR / HS_RDP_X224_CC */
	uint8_t li;              /* X.224 length indicator */
	uint16_t dst_ref, src_ref;
	uint8_t class_opt;
	hs_slice cookie;         /* CR: IDENTIFIER of "Cookie: mstshash=IDENTIFIER\r\n" */
	hs_slice routing_token;  /* CR: any other token line (without CR LF), e.g. "Cookie: msts=..." */
	bool has_neg;
	uint8_t neg_type;        /* HS_RDP_NEG_REQ / _RSP / _FAILURE */
	uint8_t neg_flags;
	uint16_t neg_len;
	uint32_t neg_value;      /* requestedProtocols / selectedProtocol / failureCode */
	bool has_correlation;
	hs_slice correlation_id; /* 16 bytes */
	size_t extra;            /* bytes after what was understood */
} hs_rdp_x224;

/* TPKT framing at p: HS_PARSE_OK with consumed = the TPKT length when all of
 * it is there; HS_PARSE_INCOMPLETE (needed = the length once the header is
 * there); HS_PARSE_ERROR HS_E_MALFORMED when p is not a TPKT (version 3,
 * reserved 0, length >= 7). */
hs_parse_result hs_rdp_tpkt_frame(const uint8_t *p, size_t len);

/* Decode one whole TPKT carrying an X.224 CR or CC (p, len = the TPKT).
 * Returns HS_OK, HS_E_TRUNCATED / HS_E_MALFORMED (x holds what was read),
 * or HS_E_UNSUPPORTED for another TPDU (x->code set).  Slices point into p. */
hs_err hs_rdp_x224_parse(const uint8_t *p, size_t len, hs_rdp_x224 *x);

/* Names: "hybrid_ex", "HYBRID_REQUIRED_BY_SERVER", "AUTHZ_ACCESS_DENIED";
 * NULL when unknown. */
const char *hs_rdp_protocol_name(uint32_t bit);
const char *hs_rdp_failure_name(uint32_t code);
const char *hs_rdp_authz_name(uint32_t result);

typedef enum hs_rdp_msg_kind {
	HS_RDP_MSG_CONNECTION_REQUEST = 0,
	HS_RDP_MSG_CONNECTION_CONFIRM,
	HS_RDP_MSG_EARLY_USER_AUTH, /* HYBRID_EX: authzResult */
	HS_RDP_MSG_END              /* summary at the end of the connection */
} hs_rdp_msg_kind;

/* Body of an HS_PROTO_RDP message; pointers live during the sink call. */
typedef struct hs_rdp_msg {
	hs_rdp_msg_kind kind;
	const hs_rdp_x224 *x224;   /* REQUEST / CONFIRM */
	hs_err err;                /* REQUEST / CONFIRM: decode result */
	uint32_t authz_result;     /* EARLY_USER_AUTH */
	/* END */
	bool negotiated;           /* a Connection Confirm was seen */
	bool neg_failed;           /* it was an RDP_NEG_FAILURE */
	uint32_t requested, selected, failure_code;
	bool have_request;
	bool nla_not_selected;     /* the client offered HYBRID(_EX), the server chose otherwise */
	const char *stage;         /* "negotiation", "tls", "credssp:<stage>", "standard_rdp_security" */
	const char *outcome;       /* "accepted", "refused", "negotiation_failed", "abandoned" (client
				      closed after the Confirm), "unknown" */
	bool decrypted;            /* TLS records were decrypted with the key log */
	bool nla;                  /* CredSSP ran: the record counts below are set */
	unsigned client_records, server_records; /* TLS application-data records per side (NLA) */
} hs_rdp_msg;

void hs_rdp_describe(const void *body, hs_out *o, unsigned flags);

extern const hs_app hs_rdp_app;

#endif
