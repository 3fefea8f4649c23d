/* http.h - HTTP/1.1 (RFC 9110, RFC 9112) as WinRM uses it: a strict,
 * resumable message parser and the authentication headers that carry the
 * first hop's SPNEGO / Kerberos / NTLM / CredSSP tokens.
 *
 * Two layers, as picohttpparser and llhttp split them:
 *  - pure functions (hs_http_parse_head, hs_http_framing, hs_http_chunked_step,
 *    hs_http_auth_parse, hs_http_b64_decode) that never allocate and return
 *    slices into the caller's bytes;
 *  - hs_http_app, the engine parser for HTTP ports: requests and responses per
 *    direction, keep-alive, pipelining (responses tied to their request in
 *    FIFO order), chunked bodies with trailers, Content-Length, bodies until
 *    close, Expect: 100-continue, HEAD/1xx/204/304 without body.  It emits one
 *    HS_PROTO_HTTP message (body hs_http_msg) per request and per response,
 *    then the GSS tokens of its auth headers (carrier "http"), then one
 *    HS_PROTO_WINRM message when the body is SOAP.
 *
 * Strict by default (llhttp's habit): obs-fold, whitespace before the colon,
 * bare CR/LF line ends, control bytes in fields, conflicting Content-Length
 * and non-chunked Transfer-Encoding in a request are errors, reported as
 * typed anomalies.
 */
#ifndef HS_HTTP_H
#define HS_HTTP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "app.h"
#include "cursor.h"
#include "status.h"
#include "winrm.h"

#define HS_HTTP_MAX_HEADERS 64                     /* header fields per message */
#define HS_HTTP_MAX_HEAD (64u * 1024u)             /* start line + fields + empty line */
#define HS_HTTP_MAX_CHUNK_LINE 4096u               /* chunk-size line with extensions */
#define HS_HTTP_MAX_BODY_KEEP (4u * 1024u * 1024u) /* body bytes kept for SOAP/MIME parsing */
#define HS_HTTP_MAX_AUTH 8                         /* auth items (credentials/challenges) per message */
#define HS_HTTP_MAX_PENDING 32                     /* requests awaiting their response */
#define HS_HTTP_BASIC_MAX 256                      /* decoded Basic credentials kept */

typedef struct hs_http_header {
	hs_slice name, value; /* value without surrounding OWS */
} hs_http_header;

typedef struct hs_http_head {
	bool response;
	hs_slice method, uri;  /* request line */
	unsigned status;       /* status line */
	hs_slice reason;
	uint8_t minor;         /* HTTP/1.<minor> */
	hs_http_header h[HS_HTTP_MAX_HEADERS];
	size_t nh;
	size_t leading_crlf;   /* empty lines skipped before the start line (RFC 9112 2.2) */
	hs_anom error;         /* on HS_PARSE_ERROR: the anomaly kind (HS_ANOM_HTTP_OBS_FOLD ...) */
} hs_http_head;

/* Parse one message head at p: optional leading CRLFs, start line, header
 * fields, empty line.  Returns HS_PARSE_OK with consumed = bytes through the
 * empty line (h filled, slices into p); HS_PARSE_INCOMPLETE when the empty
 * line is not there yet (and the head is still under HS_HTTP_MAX_HEAD);
 * HS_PARSE_ERROR with err HS_E_MALFORMED or HS_E_LIMIT and h->error set.
 * scan_from (may be NULL): in/out, bytes already known to hold no empty line,
 * so that a caller re-presenting a growing buffer does not rescan it. */
hs_parse_result hs_http_parse_head(const uint8_t *p, size_t len, hs_http_head *h, size_t *scan_from);

/* First field named name (case-insensitive); false when absent. */
bool hs_http_header_get(const hs_http_head *h, const char *name, hs_slice *value);

/* True when the comma-separated list in the named field(s) holds token
 * (case-insensitive), e.g. ("Connection", "close"). */
bool hs_http_header_has_token(const hs_http_head *h, const char *name, const char *token);

typedef enum hs_http_body {
	HS_HTTP_BODY_NONE = 0,
	HS_HTTP_BODY_LENGTH,  /* Content-Length */
	HS_HTTP_BODY_CHUNKED,
	HS_HTTP_BODY_CLOSE,   /* response read until the connection closes */
	HS_HTTP_BODY_TUNNEL   /* 101 / 2xx to CONNECT: not HTTP afterwards */
} hs_http_body;

typedef struct hs_http_framing {
	hs_http_body kind;
	uint64_t length;       /* HS_HTTP_BODY_LENGTH */
	bool te_and_cl;        /* both present: Transfer-Encoding won (RFC 9112 6.3 #3), smuggling sign */
	hs_anom error;         /* anomaly kind when the function fails */
} hs_http_framing;

/* Message body length (RFC 9112 6.3).  request_method is the method of the
 * request a response answers (empty slice when unknown).  Returns HS_OK, or
 * HS_E_MALFORMED (unparsable / conflicting Content-Length, request with a
 * Transfer-Encoding whose final coding is not chunked) with f->error set. */
hs_err hs_http_framing_of(const hs_http_head *h, hs_slice request_method, hs_http_framing *f);

/* Chunked transfer coding (RFC 9112 7.1), resumable: one call handles one
 * step at p: a chunk-size line, chunk data (as much as is there, reported in
 * *data), the CRLF after the data, or a trailer line.  Returns HS_PARSE_OK
 * with consumed > 0, HS_PARSE_INCOMPLETE when a line is not complete yet, or
 * HS_PARSE_ERROR (HS_E_MALFORMED, HS_E_LIMIT for a line over
 * HS_HTTP_MAX_CHUNK_LINE / trailers over HS_HTTP_MAX_HEAD).  c->done is set
 * after the empty line that ends the trailers. */
typedef struct hs_http_chunked {
	uint8_t state;
	bool done;
	uint64_t remaining;     /* data bytes left in the current chunk */
	size_t trailer_bytes;
	unsigned trailers;      /* trailer fields seen */
} hs_http_chunked;
hs_parse_result hs_http_chunked_step(hs_http_chunked *c, const uint8_t *p, size_t len, hs_slice *data);

/* Which header an auth item came from. */
typedef enum hs_http_auth_hdr {
	HS_HTTP_AUTHORIZATION = 0,
	HS_HTTP_WWW_AUTHENTICATE,
	HS_HTTP_PROXY_AUTHORIZATION,
	HS_HTTP_PROXY_AUTHENTICATE
} hs_http_auth_hdr;

typedef enum hs_http_scheme {
	HS_HTTP_SCHEME_OTHER = 0,
	HS_HTTP_SCHEME_NEGOTIATE, /* RFC 4559: SPNEGO, or raw NTLM / Kerberos from Windows */
	HS_HTTP_SCHEME_KERBEROS,  /* MS-WSMV 2.2.9.1.2: raw Kerberos GSS token */
	HS_HTTP_SCHEME_NTLM,
	HS_HTTP_SCHEME_CREDSSP,   /* MS-CSSP over HTTP: base64 of TLS records */
	HS_HTTP_SCHEME_BASIC,     /* RFC 7617 */
	HS_HTTP_SCHEME_DIGEST     /* RFC 7616 */
} hs_http_scheme;

typedef struct hs_http_auth {
	uint8_t header;           /* hs_http_auth_hdr */
	uint8_t scheme;           /* hs_http_scheme */
	hs_slice scheme_name;     /* as sent */
	hs_slice token;           /* token68 (base64), empty when none */
	hs_slice params;          /* auth-param list text, empty when none */
	hs_slice realm;           /* realm= (quoted-string content, escapes kept) */
	hs_slice username;        /* Digest username= */
	bool token_ok;            /* token is strict base64 */
	size_t token_len;         /* decoded bytes (token_ok) */
	/* CredSSP: the decoded token is a TLS record (MS-CSSP 3.1.5) */
	bool credssp_tls;
	uint8_t tls_content_type; /* 20..23 */
	uint16_t tls_version;     /* 0x0301 .. 0x0304 */
	uint16_t tls_length;      /* first record's length */
	/* Basic: the decoded "user:password"; user_len bytes of cred are the user */
	bool basic_ok;
	bool basic_truncated;     /* longer than HS_HTTP_BASIC_MAX: user may be cut */
	uint16_t cred_len, user_len;
	uint8_t cred[HS_HTTP_BASIC_MAX];
} hs_http_auth;

/* Parse one Authorization / WWW-Authenticate / Proxy-* field value: a list of
 * challenges or credentials, each "scheme [token68 | #auth-param]" (RFC 9110
 * 11.3, 11.6), appending up to max items to out (*n counts them; items that
 * did not fit are counted in *more).  Each item's token is validated as
 * base64 and decoded as far as needed (token_len, Basic user, CredSSP TLS
 * record header).  Returns HS_OK or HS_E_MALFORMED when the value does not
 * follow the grammar (items parsed before the error are kept). */
hs_err hs_http_auth_parse(hs_slice value, hs_http_auth_hdr header, hs_http_auth *out, size_t max, size_t *n,
			  size_t *more);

/* Scheme name -> hs_http_scheme (case-insensitive). */
hs_http_scheme hs_http_scheme_of(hs_slice name);
const char *hs_http_header_name(hs_http_auth_hdr h); /* "authorization" ... */

/* Strict base64 (RFC 4648 section 4, padding required, no whitespace).
 * Writes at most max bytes to out (out may be NULL to only validate);
 * *outlen = the full decoded length.  Returns HS_OK, HS_E_MALFORMED, or
 * HS_E_LIMIT when the decoded length exceeds max (out holds the first max). */
hs_err hs_http_b64_decode(hs_slice in, uint8_t *out, size_t max, size_t *outlen);

/* One decoded HTTP message (body of HS_PROTO_HTTP).  Slices point into the
 * engine's or the parser's buffers and live only during the sink call. */
typedef struct hs_http_msg {
	const hs_http_head *head;
	bool response;
	hs_slice method, uri;      /* request; for a response: its request's (request_known) */
	unsigned status;
	hs_slice reason;
	uint8_t minor;
	hs_slice host, user_agent, content_type, server;
	hs_http_framing framing;
	bool has_content_length;
	uint64_t content_length;   /* Content-Length as sent (also on HEAD / 304 answers) */
	uint64_t body_bytes;       /* body bytes seen (after de-chunking) */
	bool body_incomplete;      /* the stream ended or was cut inside the body */
	bool body_not_kept;        /* body over HS_HTTP_MAX_BODY_KEEP: counted, not parsed */
	bool conn_close;
	bool expect_continue;
	bool request_known;        /* response: its request was seen */
	uint64_t request_frame;
	hs_http_auth auth[HS_HTTP_MAX_AUTH];
	size_t nauth, auth_more;
	const hs_winrm_enc *enc;   /* multipart/encrypted WinRM body, or NULL */
	const hs_winrm_msg *soap;  /* SOAP body decoded (HS_PROTO_WINRM follows), or NULL */
} hs_http_msg;

/* Describe an hs_http_msg (hs_describe_fn). */
void hs_http_describe(const void *body, hs_out *o, unsigned flags);

/* The engine parser for HTTP ports (5985, 5986 once decrypted, 80, 8080, 47001). */
extern const hs_app hs_http_app;

#endif
