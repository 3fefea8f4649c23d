/* status.h - error codes and the result type shared by every hopsniff parser.
 *
 * Binary decoders report one hs_err (the first error they met, see cursor.h).
 * Stream parsers (HTTP, TLS records, Kerberos-over-TCP framing ...) report an
 * hs_parse_result: ok with the bytes consumed, incomplete with how many more
 * bytes are needed when that is known, or error.  "Need more data" and
 * "malformed" are never confused: a truncated prefix of a valid PDU is
 * HS_PARSE_INCOMPLETE, never HS_PARSE_ERROR.
 */
#ifndef HS_STATUS_H
#define HS_STATUS_H

#include <stddef.h>

typedef enum hs_err {
	HS_OK = 0,
	HS_E_TRUNCATED,   /* input ended inside an element */
	HS_E_MALFORMED,   /* bytes do not follow the encoding */
	HS_E_UNSUPPORTED, /* legal, but a form hopsniff does not decode (e.g. BER indefinite length) */
	HS_E_LIMIT,       /* a hard cap was hit: nesting depth, element count, size */
	HS_E_NOMEM,       /* a memory cap or allocation failed */
	HS_E_TRAILING,    /* an element closed with bytes left over */
	HS_E_UNKNOWN,     /* not this protocol (used by detection) */
	HS_E__COUNT
} hs_err;

/* Stable lower-case name of an error ("truncated", "malformed", ...). Never NULL. */
const char *hs_err_name(hs_err e);

typedef enum hs_parse_status {
	HS_PARSE_OK = 0,
	HS_PARSE_INCOMPLETE = -2, /* as picohttpparser: -2 means "feed me more" */
	HS_PARSE_ERROR = -1
} hs_parse_status;

typedef struct hs_parse_result {
	hs_parse_status status;
	size_t consumed; /* bytes used (HS_PARSE_OK; may be 0 on the others) */
	size_t needed;   /* HS_PARSE_INCOMPLETE: total bytes needed if known, else 0 */
	hs_err err;      /* HS_PARSE_ERROR: why */
} hs_parse_result;

static inline hs_parse_result hs_parse_ok(size_t consumed)
{
	hs_parse_result r = { HS_PARSE_OK, consumed, 0, HS_OK };
	return r;
}

static inline hs_parse_result hs_parse_incomplete(size_t needed)
{
	hs_parse_result r = { HS_PARSE_INCOMPLETE, 0, needed, HS_OK };
	return r;
}

static inline hs_parse_result hs_parse_error(hs_err e)
{
	hs_parse_result r = { HS_PARSE_ERROR, 0, 0, e };
	return r;
}

#endif
