/* dcerpc.h - connection-oriented DCE/RPC (C706 chapter 12, MS-RPCE 2.2.2)
 * as a carrier of authentication: the DCOM / WMI / DRSUAPI second hop.
 *
 * Every PDU's common header (type, flags, call id, little/big-endian data
 * representation), bind / alter_context presentation contexts (interface
 * UUID and version, named for the interfaces a double hop meets), bind_ack
 * results, bind_nak reject reason, fault status, and the auth_verifier
 * (auth_type, auth_level, auth_context_id) whose token goes to the GSS
 * dispatcher on bind / bind_ack / alter_context / alter_context_resp /
 * auth3.  Request / response stubs are not decoded (opnum and sizes only).
 *
 * Zero-copy, allocation-free: hs_dcerpc_msg's slices point into the PDU.
 */
#ifndef HS_DCERPC_H
#define HS_DCERPC_H

#include <stdbool.h>
#include <stdint.h>

#include "app.h"
#include "cursor.h"
#include "out.h"
#include "status.h"

#define HS_DCERPC_MAX_CTX 8     /* presentation contexts / results kept per PDU */
#define HS_DCERPC_HEADER 16     /* common header (C706 12.6.3.1) */

/* PDU types (C706 12.6.4; 16 = rpc_auth_3 from MS-RPCE 2.2.2.10). */
enum {
	HS_DCERPC_REQUEST = 0,
	HS_DCERPC_RESPONSE = 2,
	HS_DCERPC_FAULT = 3,
	HS_DCERPC_BIND = 11,
	HS_DCERPC_BIND_ACK = 12,
	HS_DCERPC_BIND_NAK = 13,
	HS_DCERPC_ALTER_CONTEXT = 14,
	HS_DCERPC_ALTER_CONTEXT_RESP = 15,
	HS_DCERPC_AUTH3 = 16,
	HS_DCERPC_SHUTDOWN = 17,
	HS_DCERPC_CO_CANCEL = 18,
	HS_DCERPC_ORPHANED = 19
};

/* auth_type values (MS-RPCE 2.2.1.1.7). */
enum {
	HS_DCERPC_AUTH_NONE = 0,
	HS_DCERPC_AUTH_SPNEGO = 9,
	HS_DCERPC_AUTH_NTLM = 10,
	HS_DCERPC_AUTH_SCHANNEL = 14,
	HS_DCERPC_AUTH_KERBEROS = 16,
	HS_DCERPC_AUTH_NETLOGON = 0x44
};

typedef struct hs_dcerpc_ctx {
	uint16_t id;
	uint8_t uuid[16];     /* abstract syntax, in canonical (big-endian text) byte order */
	uint16_t ver_major, ver_minor;
	uint8_t n_transfer;
	bool ndr64;           /* one of the transfer syntaxes is NDR64 */
} hs_dcerpc_ctx;

typedef struct hs_dcerpc_result {
	uint16_t result;      /* 0 acceptance, 1 user_rejection, 2 provider_rejection, 3 negotiate_ack */
	uint16_t reason;
} hs_dcerpc_result;

typedef struct hs_dcerpc_msg {
	uint8_t vers, vers_minor;
	uint8_t ptype;
	uint8_t flags;        /* pfc_flags */
	bool little_endian;   /* drep[0] & 0x10 */
	uint16_t frag_length;
	uint16_t auth_length;
	uint32_t call_id;

	/* bind, alter_context */
	uint16_t max_xmit, max_recv;
	uint32_t assoc_group;
	hs_dcerpc_ctx ctx[HS_DCERPC_MAX_CTX];
	uint8_t n_ctx;
	unsigned ctx_more;
	/* bind_ack, alter_context_resp */
	hs_slice sec_addr;    /* secondary address (port string, NUL included) */
	hs_dcerpc_result results[HS_DCERPC_MAX_CTX];
	uint8_t n_results;
	unsigned results_more;
	/* bind_nak */
	uint16_t reject_reason;
	bool has_reject_reason;
	/* request / response / fault */
	uint32_t alloc_hint;
	uint16_t context_id;
	uint16_t opnum;
	uint32_t status;      /* fault */
	bool has_object;
	uint8_t object[16];

	/* auth_verifier (C706 13.2.6.1) */
	bool has_auth;
	uint8_t auth_type, auth_level, auth_pad;
	uint32_t auth_context_id;
	hs_slice auth_value;  /* the token (bind family) or the signature (request/response) */

	const char *pipe;     /* SMB named pipe that carried the PDU (set by the carrier; NULL on TCP) */
} hs_dcerpc_msg;

/* One direction of DCE/RPC over a named pipe (MS-RPCE 2.1.1.2: SMB2 WRITE /
 * READ / IOCTL FSCTL_PIPE_TRANSCEIVE data is a byte stream of whole or split
 * PDUs).  Zero it to start; hs_dcerpc_pipe_reset releases it.  buf holds a
 * partial PDU only (allocated on first need, at most HS_DCERPC_PIPE_BUF
 * bytes); a PDU announced larger is skipped with an anomaly. */
#define HS_DCERPC_PIPE_BUF 16384u
typedef struct hs_dcerpc_pipe {
	uint8_t *buf;
	uint32_t len;         /* bytes in buf */
	uint32_t skip;        /* bytes of an oversized PDU still to drop */
} hs_dcerpc_pipe;

/* Feed the next bytes of one direction of a pipe.  Every complete PDU is
 * decoded and emitted as HS_PROTO_DCERPC with the given carrier and m.pipe =
 * pipe (bind-family tokens go to hs_gss_emit with carrier "dcerpc", as on
 * TCP).  Returns false when the bytes at a PDU boundary are no DCE/RPC
 * header (version 5.0/5.1, a known type): the caller then treats the pipe as
 * not RPC (PsExec's own pipes); nothing is emitted for them.  A cut-short PDU
 * waits for the rest. */
bool hs_dcerpc_pipe_feed(hs_app_ctx *ctx, hs_dcerpc_pipe *dp, const uint8_t *p, size_t len,
			 hs_proto carrier, const char *pipe);
void hs_dcerpc_pipe_reset(hs_dcerpc_pipe *dp);

/* Decode one complete PDU and emit it (as hs_dcerpc_app does on TCP):
 * the message, an anomaly when malformed, the auth token through
 * hs_gss_emit.  carrier and pipe as above (NULL on TCP). */
void hs_dcerpc_emit(hs_app_ctx *ctx, const uint8_t *p, size_t len, hs_proto carrier, const char *pipe);

/* Quick test whether p looks like the start of a connection-oriented
 * DCE/RPC PDU: version 5.0/5.1, a known PDU type, a sane frag_length, a
 * data representation with known integer / character / float formats.
 * Needs HS_DCERPC_HEADER bytes (false with fewer).  For the engine's
 * detection on dynamic ports (DCOM / WMI after an EPM lookup): call it on
 * the first bytes the initiator sends on a TCP flow that no port matched,
 * and when it returns true bind hs_dcerpc_app to the flow.  It accepts only
 * bind / alter_context / request as a first PDU, so random data is rarely
 * taken (7 of 16 header bytes are checked). */
bool hs_dcerpc_probe(const uint8_t *p, size_t len);

/* Stream framing: OK with consumed = frag_length when the whole PDU is
 * there; INCOMPLETE (needed = frag_length once known, else 16); ERROR
 * (HS_E_MALFORMED: not version 5, frag_length below the header or its auth
 * trailer). */
hs_parse_result hs_dcerpc_frame(const uint8_t *p, size_t len);

/* Decode one complete PDU (p[0..len), len = frag_length) into *m
 * (overwritten; slices point into p).  HS_OK, or the first error with what
 * was decoded kept. */
hs_err hs_dcerpc_decode(const uint8_t *p, size_t len, hs_dcerpc_msg *m);

/* Names, never NULL ("unknown"): "bind", "alter_context_resp" ...;
 * "spnego", "ntlm", "kerberos", "netlogon" ...; "connect", "pkt_privacy" ...;
 * bind_nak reasons; fault status ("nca_s_op_rng_error", "access_denied" ...,
 * NULL when unknown); interface name by UUID (NULL when unknown). */
const char *hs_dcerpc_ptype_name(uint8_t ptype);
const char *hs_dcerpc_auth_type_name(uint8_t t);
const char *hs_dcerpc_auth_level_name(uint8_t l);
const char *hs_dcerpc_reject_name(uint16_t reason);
const char *hs_dcerpc_status_name(uint32_t status);
const char *hs_dcerpc_interface_name(const uint8_t uuid[16]);

/* Format a UUID as 8-4-4-4-12 lower-case hex into buf (>= 37 bytes). */
void hs_dcerpc_uuid_str(const uint8_t uuid[16], char *buf, size_t n);

/* Describe an hs_dcerpc_msg (body of HS_PROTO_DCERPC): "ptype", "call_id",
 * "flags", "contexts" [{ "id", "interface", "uuid", "version" }],
 * "results", "reject_reason", "opnum", "status" (fault), "pipe" (over SMB), "auth_type",
 * "auth_level", "auth_context_id", "auth_len".  Signatures of integrity /
 * privacy protected requests are never written. */
void hs_dcerpc_describe(const void *body, hs_out *o, unsigned flags);

/* The engine's parser for TCP 135 and for flows hs_dcerpc_probe accepted. */
extern const hs_app hs_dcerpc_app;

#endif
