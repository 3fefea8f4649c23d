/* app.h - how transport payload reaches a protocol parser, and the one
 * thing a parser sees of whoever drives it: the host (hs_host).
 * Internal to the decoder library (front ends use hs.h only).
 *
 * Each protocol file (krb5.c, http.c, smb2.c ...) exports one const hs_app
 * and a descriptor (hs_proto_def, protos.def).  The driver (the engine; a
 * test or a fuzzer may be another) owns per-flow parser state (state_size
 * bytes, zeroed when the flow starts, passed back on every call; close()
 * releases anything the parser allocated inside it).
 *
 * TCP: stream() is given the unconsumed, in-order bytes of one direction.  It
 * returns HS_PARSE_OK with how many bytes it consumed (may be fewer than len:
 * the rest is kept and presented again with more data appended), or
 * HS_PARSE_INCOMPLETE (nothing consumed; `needed` = total bytes wanted if
 * known, so the engine can tell at once when a PDU cannot fit its cap), or
 * HS_PARSE_ERROR (the engine reports an anomaly, drops the buffered bytes of
 * that direction and calls gap() so the parser resynchronises).
 * The parser is called again while it consumes something and bytes remain
 * (hs_app_deliver, the one loop that does so).
 * Results never depend on how the bytes were segmented.
 *
 * gap(): bytes were lost in ctx->dir (capture loss, cap hit, mid-stream
 * pickup); drop any partial PDU and resynchronise.  May be NULL.
 * datagram(): one UDP payload.  May be NULL.
 */
#ifndef HS_APP_H
#define HS_APP_H

#include <sys/types.h>

#include "anomalies.h"
#include "hs.h"
#include "vocab.h"

/* What a parser may use of its driver: message and anomaly sinks, the
 * caps, memory accounting and the key stores.  engine.c implements it for
 * the engine (hs_engine_host); a test can give its own.  Only engine.c
 * knows struct hs_engine. */
typedef struct hs_host {
	void (*emit)(void *ud, const hs_msg *m);
	/* detail is formatted and valid during the call only */
	void (*anomaly)(void *ud, const hs_meta *at, const char *kind, const char *detail);
	/* delta bytes (negative: released) of lasting per-flow memory beyond
	 * state_size, counted against max_total_buffer.  May be NULL. */
	void (*account)(void *ud, ssize_t delta);
	void *ud;
	const hs_config *cfg;            /* caps (never NULL) */
	struct hs_keylog *keylog;        /* TLS secrets (tls_crypt.c), NULL when none */
	struct hs_krb_keys *krbkeys;     /* Kerberos keys (krb5_dec.c), NULL without keytabs */
	struct hs_ntlm_creds *ntlmcreds; /* NTLM passwords / NT hashes (ntlm_seal.c), NULL without */
} hs_host;

typedef struct hs_app_ctx {
	const hs_host *host; /* NULL: messages and anomalies go nowhere, default caps, no keys */
	const hs_meta *meta; /* frame that delivered the data; direction of the data */
	void *state;         /* this flow's parser state */
	uint8_t dir;         /* 0 initiator->responder, 1 reverse */
	bool eof;            /* stream(): this direction is closed (FIN/RST/end of input) */
	bool resync;         /* stream(): the bytes follow a gap or a mid-stream pickup and no PDU
	                      * has been parsed since: an error there is resynchronisation, no anomaly */
} hs_app_ctx;

typedef struct hs_app {
	const char *name;
	size_t state_size;
	hs_parse_result (*stream)(hs_app_ctx *ctx, const uint8_t *data, size_t len);
	void (*gap)(hs_app_ctx *ctx);
	void (*datagram)(hs_app_ctx *ctx, const uint8_t *data, size_t len);
	void (*close)(hs_app_ctx *ctx);
	hs_anom malformed; /* the kind of its HS_PARSE_ERRORs (hs_app_deliver); a test's app may leave it
	                    * HS_ANOM_NONE: then "malformed_<name>" */
} hs_app;

/* Hand a decoded message to the host's sink (app.c).  body's type depends
 * on proto; it needs to live only until this returns. */
void hs_emit(hs_app_ctx *ctx, hs_proto proto, const void *body);

/* The same for an authentication token carried by another protocol; the
 * message gets carrier, the carrying protocol (HS_PROTO_HTTP, HS_PROTO_SMB2 ...). */
void hs_emit_token(hs_app_ctx *ctx, hs_proto proto, const void *body, hs_proto carrier);

/* Report an anomaly of kind (anomalies.def) at the current frame to the
 * host; detail is formatted (at most 511 bytes kept).  HS_ANOM_NONE
 * reports a kind of NULL. */
void hs_report_anomaly(hs_app_ctx *ctx, hs_anom kind, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* Count lasting memory a parser allocates beyond its state_size (tls.c: the
 * inner parser's state) with the host; no-op without one. */
void hs_app_account(hs_app_ctx *ctx, ssize_t delta);

/* The host's cap on bytes buffered per direction (hs_config). */
size_t hs_app_max_stream(const hs_app_ctx *ctx);

/* Result of handing bytes to a stream parser. */
typedef struct hs_deliver {
	size_t consumed; /* bytes the parser took */
	size_t needed;   /* parser's last word: total bytes it needs from data+consumed (0 = unknown) */
	bool drop;       /* parser failed or asked for more than the cap: drop the rest and gap() */
	bool over_cap;   /* drop because a PDU would exceed max_stream_buffer (a cap hit) */
} hs_deliver;

/* Where the bytes handed to hs_app_deliver come from: only the wording of
 * its anomalies differs. */
typedef enum hs_deliver_from {
	HS_FROM_TCP = 0, /* a TCP stream (engine) */
	HS_FROM_TLS      /* decrypted TLS records (tls.c) */
} hs_deliver_from;

/* The one delivery loop: run app's stream() over data per the contract
 * above (called while it consumes and bytes remain).  Reports
 * parser_overrun, pdu_too_large and app->malformed (not for an error
 * at the start of bytes that follow a gap, ctx->resync: that is
 * resynchronisation).  The caller drops and calls gap() when drop. */
hs_deliver hs_app_deliver(const hs_app *app, hs_app_ctx *ctx, const uint8_t *data, size_t len, hs_deliver_from from);

/* Per-protocol describe functions, dispatched by hs_msg_describe.  Each is
 * defined in its protocol's file; flags are HS_DESCRIBE_*. */
typedef void (*hs_describe_fn)(const void *body, hs_out *o, unsigned flags);

/* What a probe says of the first bytes a flow sent in one direction.  A
 * probe looks at a few header fields only (no allocation, no state) and
 * must say MORE only while its bytes are a prefix of what it accepts, so
 * that a wait for more bytes stays short (protos.h HS_PROBE_MAX). */
typedef enum hs_probe_verdict {
	HS_PROBE_NO = 0, /* not this protocol */
	HS_PROBE_MORE,   /* a prefix of this protocol's first PDU: give more bytes */
	HS_PROBE_CLIENT, /* the first PDU of the client (the sender initiated) */
	HS_PROBE_SERVER  /* the first PDU of the server (the sender is the responder) */
} hs_probe_verdict;

/* A well-known port and the parser that takes its flows; carrier is what a
 * connection to that port carries for the correlation model (vocab.h). */
typedef struct hs_port_def {
	uint8_t ipproto; /* 6 TCP, 17 UDP */
	uint16_t port;
	const hs_app *app;
	hs_carrier carrier;
} hs_port_def;

/* A service-principal prefix ("cifs/", "MSSQLSvc/"; compared without case)
 * and the carrier and port the model assumes for a hop seen only as a
 * Kerberos ticket for such an SPN. */
typedef struct hs_spn_def {
	const char *prefix;
	hs_carrier carrier;
	uint16_t port;
} hs_spn_def;

/* Everything the rest of hopsniff knows about one protocol, exported by its
 * file as `const hs_proto_def hs_<stem>_proto` (protos.def).  The
 * dispatcher (protos.c), the model's carrier tables and live capture's
 * default filter read only these.  Arrays end with a zeroed entry; NULL =
 * none.  No two descriptors may claim the same (ipproto, port). */
typedef struct hs_proto_def {
	hs_proto id;
	hs_describe_fn describe;         /* renders the hs_msg body of proto id */
	const hs_port_def *ports;        /* well-known ports, ended by port 0 */
	/* Flows on ports no descriptor names are offered to probe (the first
	 * payload seen in either direction, ipproto probe_ipproto; protos.h
	 * hs_app_probe): HS_PROBE_CLIENT / _SERVER binds probe_app, and the
	 * flow carries probe_carrier for the model. */
	hs_probe_verdict (*probe)(const uint8_t *p, size_t len);
	uint8_t probe_ipproto;
	const hs_app *probe_app;
	hs_carrier probe_carrier;
	const hs_spn_def *spns;          /* ended by prefix NULL */
} hs_proto_def;

#endif
