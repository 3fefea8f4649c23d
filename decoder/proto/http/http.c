/* http.c - HTTP/1.1 message parsing, auth headers and the HTTP engine
 * parser (see http.h). */
#include "http.h"

#include "credssp.h"
#include "psrp_winrm.h"
#include "winrm_seal.h"

#include <glib.h>
#include <stdio.h>
#include <string.h>

#include "gss.h"

/* ---------------------------------------------------------------- chars */

/* tchar (RFC 9110 5.6.2) */
static bool is_tchar(uint8_t c)
{
	if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9'))
		return true;
	return c != 0 && strchr("!#$%&'*+-.^_`|~", c) != NULL;
}

/* field-vchar / obs-text / SP / HTAB (RFC 9110 5.5) */
static bool is_field_char(uint8_t c)
{
	return c == '\t' || (c >= 0x20 && c != 0x7f);
}

static uint8_t lower(uint8_t c)
{
	return (c >= 'A' && c <= 'Z') ? (uint8_t)(c + 32) : c;
}

static bool slice_ieq(hs_slice s, const char *lit)
{
	size_t n = strlen(lit);
	if (s.len != n)
		return false;
	for (size_t i = 0; i < n; i++)
		if (lower(s.p[i]) != lower((uint8_t)lit[i]))
			return false;
	return true;
}

static hs_slice trim_ows(hs_slice s)
{
	while (s.len && (s.p[0] == ' ' || s.p[0] == '\t')) {
		s.p++;
		s.len--;
	}
	while (s.len && (s.p[s.len - 1] == ' ' || s.p[s.len - 1] == '\t'))
		s.len--;
	return s;
}

/* --------------------------------------------------------------- head */

/* Offset just past the first CRLFCRLF at or after from, or 0. */
static size_t find_head_end(const uint8_t *p, size_t len, size_t from)
{
	for (size_t i = from; i + 3 < len; i++)
		if (p[i] == '\r' && p[i + 1] == '\n' && p[i + 2] == '\r' && p[i + 3] == '\n')
			return i + 4;
	return 0;
}

static hs_parse_result head_fail(hs_http_head *h, hs_err e, hs_anom kind)
{
	h->error = kind;
	return hs_parse_error(e);
}

/* "HTTP/1.x" */
static bool parse_version(hs_cur *c, uint8_t *minor)
{
	const uint8_t *v = hs_cur_bytes(c, 8);
	if (!v || memcmp(v, "HTTP/1.", 7) != 0 || v[7] < '0' || v[7] > '9')
		return false;
	*minor = (uint8_t)(v[7] - '0');
	return true;
}

/* One line (without its CRLF) from c; false at a bare CR or LF inside. */
static bool take_line(hs_cur *c, hs_slice *line)
{
	for (size_t i = 0; i < c->len; i++) {
		if (c->p[i] == '\r') {
			if (i + 1 >= c->len || c->p[i + 1] != '\n')
				return false;
			*line = hs_cur_slice(c, i);
			hs_cur_skip(c, 2);
			return true;
		}
		if (c->p[i] == '\n')
			return false; /* bare LF: strict */
	}
	return false;
}

static bool parse_start_line(hs_slice line, hs_http_head *h)
{
	hs_cur c = hs_cur_make(line.p, line.len);
	if (line.len >= 5 && memcmp(line.p, "HTTP/", 5) == 0) {
		/* status-line = HTTP-version SP status-code SP [ reason-phrase ] */
		h->response = true;
		if (!parse_version(&c, &h->minor) || hs_cur_u8(&c) != ' ')
			return false;
		const uint8_t *d = hs_cur_bytes(&c, 3);
		if (!d)
			return false;
		for (int i = 0; i < 3; i++)
			if (d[i] < '0' || d[i] > '9')
				return false;
		h->status = (unsigned)((d[0] - '0') * 100 + (d[1] - '0') * 10 + (d[2] - '0'));
		if (h->status < 100)
			return false;
		if (c.len == 0) /* some servers drop the SP before an empty reason; accepted */
			return true;
		if (hs_cur_u8(&c) != ' ')
			return false;
		for (size_t i = 0; i < c.len; i++)
			if (!is_field_char(c.p[i]))
				return false;
		h->reason = hs_cur_slice(&c, c.len);
		return true;
	}
	/* request-line = method SP request-target SP HTTP-version */
	size_t i = 0;
	while (i < c.len && is_tchar(c.p[i]))
		i++;
	if (i == 0 || i >= c.len || c.p[i] != ' ')
		return false;
	h->method = hs_cur_slice(&c, i);
	hs_cur_skip(&c, 1);
	i = 0;
	while (i < c.len && c.p[i] > 0x20 && c.p[i] < 0x7f)
		i++;
	if (i == 0 || i >= c.len || c.p[i] != ' ')
		return false;
	h->uri = hs_cur_slice(&c, i);
	hs_cur_skip(&c, 1);
	return parse_version(&c, &h->minor) && c.len == 0 && hs_cur_ok(&c);
}

hs_parse_result hs_http_parse_head(const uint8_t *p, size_t len, hs_http_head *h, size_t *scan_from)
{
	memset(h, 0, sizeof *h);
	size_t skip = 0;
	/* RFC 9112 2.2: ignore at least one empty line before a request-line
	 * (clients emit a stray CRLF after a POST body). */
	while (skip + 1 < len && p[skip] == '\r' && p[skip + 1] == '\n' && skip < 8)
		skip += 2;
	if (skip < len && skip + 1 == len && p[skip] == '\r')
		return hs_parse_incomplete(0);
	h->leading_crlf = skip / 2;
	size_t from = scan_from && *scan_from > skip ? *scan_from : skip;
	size_t end = find_head_end(p, len, from);
	if (!end) {
		if (scan_from)
			*scan_from = len > 3 ? len - 3 : 0;
		/* A head that would not fit in the cap is an error now, not later. */
		if (len - skip >= HS_HTTP_MAX_HEAD)
			return head_fail(h, HS_E_LIMIT, HS_ANOM_HTTP_HEAD_TOO_LARGE);
		/* Bytes that cannot start a message fail at once, so that a stream
		 * that is not HTTP is not buffered up to the cap. */
		for (size_t i = skip; i < len && i < skip + 16; i++) {
			if (p[i] == '\r' || p[i] == '\n')
				break;
			if (p[i] < 0x20 || p[i] >= 0x7f)
				return head_fail(h, HS_E_MALFORMED, HS_ANOM_HTTP_MALFORMED_START_LINE);
		}
		return hs_parse_incomplete(0);
	}
	if (end - skip > HS_HTTP_MAX_HEAD)
		return head_fail(h, HS_E_LIMIT, HS_ANOM_HTTP_HEAD_TOO_LARGE);

	hs_cur c = hs_cur_make(p + skip, end - skip);
	hs_slice line;
	if (!take_line(&c, &line) || !parse_start_line(line, h))
		return head_fail(h, HS_E_MALFORMED, HS_ANOM_HTTP_MALFORMED_START_LINE);
	for (;;) {
		if (!take_line(&c, &line))
			return head_fail(h, HS_E_MALFORMED, HS_ANOM_HTTP_BARE_CR_LF);
		if (line.len == 0)
			break;
		/* RFC 9112 5.2: obs-fold is deprecated; strict parsers reject it
		 * (it is how header smuggling starts). */
		if (line.p[0] == ' ' || line.p[0] == '\t')
			return head_fail(h, HS_E_MALFORMED, HS_ANOM_HTTP_OBS_FOLD);
		size_t i = 0;
		while (i < line.len && is_tchar(line.p[i]))
			i++;
		/* RFC 9112 5.1: no whitespace between field name and colon. */
		if (i == 0 || i >= line.len || line.p[i] != ':')
			return head_fail(h, HS_E_MALFORMED, HS_ANOM_HTTP_MALFORMED_FIELD);
		for (size_t j = i + 1; j < line.len; j++)
			if (!is_field_char(line.p[j]))
				return head_fail(h, HS_E_MALFORMED, HS_ANOM_HTTP_MALFORMED_FIELD);
		if (h->nh >= HS_HTTP_MAX_HEADERS)
			return head_fail(h, HS_E_LIMIT, HS_ANOM_HTTP_TOO_MANY_FIELDS);
		hs_http_header *f = &h->h[h->nh++];
		f->name.p = line.p;
		f->name.len = i;
		f->value.p = line.p + i + 1;
		f->value.len = line.len - i - 1;
		f->value = trim_ows(f->value);
	}
	if (scan_from)
		*scan_from = 0;
	return hs_parse_ok(end);
}

bool hs_http_header_get(const hs_http_head *h, const char *name, hs_slice *value)
{
	for (size_t i = 0; i < h->nh; i++)
		if (slice_ieq(h->h[i].name, name)) {
			*value = h->h[i].value;
			return true;
		}
	return false;
}

/* Next comma-separated element of a list (RFC 9110 5.6.1), trimmed. */
static bool list_next(hs_slice *rest, hs_slice *elem)
{
	while (rest->len) {
		size_t i = 0;
		while (i < rest->len && rest->p[i] != ',')
			i++;
		hs_slice e = { rest->p, i };
		rest->p += i < rest->len ? i + 1 : i;
		rest->len -= i < rest->len ? i + 1 : i;
		e = trim_ows(e);
		if (e.len) {
			*elem = e;
			return true;
		}
	}
	return false;
}

bool hs_http_header_has_token(const hs_http_head *h, const char *name, const char *token)
{
	for (size_t i = 0; i < h->nh; i++) {
		if (!slice_ieq(h->h[i].name, name))
			continue;
		hs_slice rest = h->h[i].value, e;
		while (list_next(&rest, &e))
			if (slice_ieq(e, token))
				return true;
	}
	return false;
}

/* ------------------------------------------------------------ framing */

static bool parse_u64(hs_slice s, uint64_t *v)
{
	if (s.len == 0 || s.len > 19)
		return false;
	uint64_t n = 0;
	for (size_t i = 0; i < s.len; i++) {
		if (s.p[i] < '0' || s.p[i] > '9')
			return false;
		n = n * 10 + (uint64_t)(s.p[i] - '0');
	}
	*v = n;
	return true;
}

hs_err hs_http_framing_of(const hs_http_head *h, hs_slice request_method, hs_http_framing *f)
{
	memset(f, 0, sizeof *f);
	if (h->response) {
		/* RFC 9112 6.3 #1, #2 */
		if (slice_ieq(request_method, "HEAD") || (h->status >= 100 && h->status < 200 && h->status != 101) ||
		    h->status == 204 || h->status == 304)
			return HS_OK;
		if (h->status == 101 || (slice_ieq(request_method, "CONNECT") && h->status >= 200 && h->status < 300)) {
			f->kind = HS_HTTP_BODY_TUNNEL;
			return HS_OK;
		}
	}
	bool has_te = false, chunked_last = false, has_cl = false;
	uint64_t cl = 0;
	for (size_t i = 0; i < h->nh; i++) {
		if (slice_ieq(h->h[i].name, "Transfer-Encoding")) {
			hs_slice rest = h->h[i].value, e;
			while (list_next(&rest, &e)) {
				has_te = true;
				chunked_last = slice_ieq(e, "chunked");
			}
		} else if (slice_ieq(h->h[i].name, "Content-Length")) {
			/* RFC 9110 8.6: a list of identical values may be folded into one. */
			hs_slice rest = h->h[i].value, e;
			bool any = false;
			while (list_next(&rest, &e)) {
				uint64_t v;
				any = true;
				if (!parse_u64(e, &v) || (has_cl && v != cl)) {
					f->error = HS_ANOM_HTTP_BAD_CONTENT_LENGTH;
					return HS_E_MALFORMED;
				}
				has_cl = true;
				cl = v;
			}
			if (!any) {
				f->error = HS_ANOM_HTTP_BAD_CONTENT_LENGTH;
				return HS_E_MALFORMED;
			}
		}
	}
	if (has_te) {
		f->te_and_cl = has_cl;
		if (chunked_last) {
			f->kind = HS_HTTP_BODY_CHUNKED;
			return HS_OK;
		}
		/* RFC 9112 6.3 #4: a request whose final coding is not chunked
		 * cannot be framed; a response is read until close. */
		if (!h->response) {
			f->error = HS_ANOM_HTTP_BAD_TRANSFER_ENCODING;
			return HS_E_MALFORMED;
		}
		f->kind = HS_HTTP_BODY_CLOSE;
		return HS_OK;
	}
	if (has_cl) {
		f->kind = cl ? HS_HTTP_BODY_LENGTH : HS_HTTP_BODY_NONE;
		f->length = cl;
		return HS_OK;
	}
	f->kind = h->response ? HS_HTTP_BODY_CLOSE : HS_HTTP_BODY_NONE;
	return HS_OK;
}

/* ------------------------------------------------------------ chunked */

enum { CH_SIZE = 0, CH_DATA, CH_DATA_CRLF, CH_TRAILER };

/* A complete line at p (CRLF-terminated) of at most max bytes; returns its
 * length without CRLF in *n.  0 = incomplete, -1 = malformed/too long. */
static int chunk_line(const uint8_t *p, size_t len, size_t max, size_t *n)
{
	for (size_t i = 0; i < len; i++) {
		if (p[i] == '\r') {
			if (i + 1 >= len)
				return 0;
			if (p[i + 1] != '\n')
				return -1;
			*n = i;
			return 1;
		}
		if (p[i] == '\n')
			return -1;
		if (i >= max)
			return -2;
	}
	return len > max ? -2 : 0;
}

hs_parse_result hs_http_chunked_step(hs_http_chunked *c, const uint8_t *p, size_t len, hs_slice *data)
{
	size_t n;
	int r;
	data->p = NULL;
	data->len = 0;
	if (c->done)
		return hs_parse_error(HS_E_TRAILING);
	switch (c->state) {
	case CH_SIZE: {
		r = chunk_line(p, len, HS_HTTP_MAX_CHUNK_LINE, &n);
		if (r == 0)
			return hs_parse_incomplete(0);
		if (r < 0)
			return hs_parse_error(r == -2 ? HS_E_LIMIT : HS_E_MALFORMED);
		/* chunk-size [ chunk-ext ]: hex digits, then optional BWS ";" ext */
		uint64_t v = 0;
		size_t i = 0;
		for (; i < n; i++) {
			uint8_t ch = lower(p[i]);
			int d = (ch >= '0' && ch <= '9') ? ch - '0' : (ch >= 'a' && ch <= 'f') ? ch - 'a' + 10 : -1;
			if (d < 0)
				break;
			if (i >= 15) /* 60 bits: no real chunk is larger */
				return hs_parse_error(HS_E_LIMIT);
			v = (v << 4) | (uint64_t)d;
		}
		if (i == 0)
			return hs_parse_error(HS_E_MALFORMED);
		size_t j = i;
		while (j < n && (p[j] == ' ' || p[j] == '\t'))
			j++;
		if (j < n && p[j] != ';')
			return hs_parse_error(HS_E_MALFORMED);
		for (; j < n; j++)
			if (!is_field_char(p[j]))
				return hs_parse_error(HS_E_MALFORMED);
		c->remaining = v;
		c->state = v ? CH_DATA : CH_TRAILER;
		return hs_parse_ok(n + 2);
	}
	case CH_DATA: {
		if (len == 0)
			return hs_parse_incomplete(0);
		size_t take = c->remaining < len ? (size_t)c->remaining : len;
		data->p = p;
		data->len = take;
		c->remaining -= take;
		if (c->remaining == 0)
			c->state = CH_DATA_CRLF;
		return hs_parse_ok(take);
	}
	case CH_DATA_CRLF:
		if (len < 2)
			return (len == 1 && p[0] != '\r') ? hs_parse_error(HS_E_MALFORMED) : hs_parse_incomplete(2);
		if (p[0] != '\r' || p[1] != '\n')
			return hs_parse_error(HS_E_MALFORMED);
		c->state = CH_SIZE;
		return hs_parse_ok(2);
	case CH_TRAILER:
		r = chunk_line(p, len, HS_HTTP_MAX_HEAD, &n);
		if (r == 0)
			return hs_parse_incomplete(0);
		if (r < 0)
			return hs_parse_error(r == -2 ? HS_E_LIMIT : HS_E_MALFORMED);
		if (n == 0) {
			c->done = true;
			return hs_parse_ok(2);
		}
		if (p[0] == ' ' || p[0] == '\t')
			return hs_parse_error(HS_E_MALFORMED); /* obs-fold in trailers */
		{
			size_t i = 0;
			while (i < n && is_tchar(p[i]))
				i++;
			if (i == 0 || i >= n || p[i] != ':')
				return hs_parse_error(HS_E_MALFORMED);
		}
		c->trailer_bytes += n + 2;
		c->trailers++;
		if (c->trailer_bytes > HS_HTTP_MAX_HEAD)
			return hs_parse_error(HS_E_LIMIT);
		return hs_parse_ok(n + 2);
	}
	return hs_parse_error(HS_E_MALFORMED);
}

/* ------------------------------------------------------------- base64 */

static int b64val(uint8_t c)
{
	if (c >= 'A' && c <= 'Z')
		return c - 'A';
	if (c >= 'a' && c <= 'z')
		return c - 'a' + 26;
	if (c >= '0' && c <= '9')
		return c - '0' + 52;
	if (c == '+')
		return 62;
	if (c == '/')
		return 63;
	return -1;
}

hs_err hs_http_b64_decode(hs_slice in, uint8_t *out, size_t max, size_t *outlen)
{
	*outlen = 0;
	if (in.len % 4)
		return HS_E_MALFORMED;
	size_t pad = 0;
	if (in.len && in.p[in.len - 1] == '=')
		pad = (in.len >= 2 && in.p[in.len - 2] == '=') ? 2 : 1;
	size_t total = in.len / 4 * 3 - pad;
	size_t w = 0;
	for (size_t i = 0; i < in.len; i += 4) {
		int v[4];
		bool last = i + 4 == in.len;
		for (int k = 0; k < 4; k++) {
			uint8_t ch = in.p[i + k];
			if (ch == '=' && last && k >= 4 - (int)pad) {
				v[k] = 0;
				continue;
			}
			v[k] = b64val(ch);
			if (v[k] < 0)
				return HS_E_MALFORMED;
		}
		/* RFC 4648 3.5: the unused bits before padding must be zero (strict,
		 * so one token has one encoding). */
		if (last && pad == 2 && (v[1] & 0x0f))
			return HS_E_MALFORMED;
		if (last && pad == 1 && (v[2] & 0x03))
			return HS_E_MALFORMED;
		uint8_t b[3] = { (uint8_t)(v[0] << 2 | v[1] >> 4), (uint8_t)(v[1] << 4 | v[2] >> 2),
				 (uint8_t)(v[2] << 6 | v[3]) };
		size_t nb = last ? 3 - pad : 3;
		for (size_t k = 0; k < nb; k++, w++)
			if (out && w < max)
				out[w] = b[k];
	}
	*outlen = total;
	return total > max && out ? HS_E_LIMIT : HS_OK;
}

/* --------------------------------------------------------------- auth */

hs_http_scheme hs_http_scheme_of(hs_slice n)
{
	if (slice_ieq(n, "Negotiate"))
		return HS_HTTP_SCHEME_NEGOTIATE;
	if (slice_ieq(n, "Kerberos"))
		return HS_HTTP_SCHEME_KERBEROS;
	if (slice_ieq(n, "NTLM"))
		return HS_HTTP_SCHEME_NTLM;
	if (slice_ieq(n, "CredSSP"))
		return HS_HTTP_SCHEME_CREDSSP;
	if (slice_ieq(n, "Basic"))
		return HS_HTTP_SCHEME_BASIC;
	if (slice_ieq(n, "Digest"))
		return HS_HTTP_SCHEME_DIGEST;
	return HS_HTTP_SCHEME_OTHER;
}

const char *hs_http_header_name(hs_http_auth_hdr h)
{
	switch (h) {
	case HS_HTTP_AUTHORIZATION: return "authorization";
	case HS_HTTP_WWW_AUTHENTICATE: return "www-authenticate";
	case HS_HTTP_PROXY_AUTHORIZATION: return "proxy-authorization";
	case HS_HTTP_PROXY_AUTHENTICATE: return "proxy-authenticate";
	}
	return "?";
}

static bool is_token68_char(uint8_t c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' || c == '.' ||
	       c == '_' || c == '~' || c == '+' || c == '/';
}

static void skip_ows(hs_slice *s)
{
	while (s->len && (s->p[0] == ' ' || s->p[0] == '\t')) {
		s->p++;
		s->len--;
	}
}

static size_t span_token(hs_slice s)
{
	size_t i = 0;
	while (i < s.len && is_tchar(s.p[i]))
		i++;
	return i;
}

/* quoted-string at s (RFC 9110 5.6.4); *content = between the quotes
 * (escapes kept); returns bytes used or 0 when malformed. */
static size_t span_quoted(hs_slice s, hs_slice *content)
{
	if (!s.len || s.p[0] != '"')
		return 0;
	for (size_t i = 1; i < s.len; i++) {
		if (s.p[i] == '\\') {
			i++;
			continue;
		}
		if (s.p[i] == '"') {
			content->p = s.p + 1;
			content->len = i - 1;
			return i + 1;
		}
	}
	return 0;
}

/* Is s (after OWS and commas) the start of an auth-param "token BWS =" ?
 * Distinguishes the next param of this challenge from the next challenge. */
static bool at_auth_param(hs_slice s)
{
	size_t t = span_token(s);
	if (!t)
		return false;
	hs_slice r = { s.p + t, s.len - t };
	skip_ows(&r);
	return r.len && r.p[0] == '=';
}

static void auth_decode(hs_http_auth *a)
{
	if (!a->token.len)
		return;
	uint8_t head[8];
	size_t n;
	hs_err e = hs_http_b64_decode(a->token, NULL, 0, &n);
	a->token_ok = e == HS_OK;
	if (!a->token_ok)
		return;
	a->token_len = n;
	if (a->scheme == HS_HTTP_SCHEME_CREDSSP) {
		/* MS-CSSP 3.1.5: the CredSSP blobs over HTTP are TLS records. */
		hs_slice pre = { a->token.p, a->token.len < 8 ? a->token.len : 8 };
		size_t m;
		if (pre.len == 8 && hs_http_b64_decode(pre, head, sizeof head, &m) == HS_OK && m >= 5 &&
		    head[0] >= 20 && head[0] <= 23 && head[1] == 3 && head[2] <= 4) {
			a->credssp_tls = true;
			a->tls_content_type = head[0];
			a->tls_version = (uint16_t)(head[1] << 8 | head[2]);
			a->tls_length = (uint16_t)(head[3] << 8 | head[4]);
		}
	} else if (a->scheme == HS_HTTP_SCHEME_BASIC) {
		size_t m;
		hs_err r = hs_http_b64_decode(a->token, a->cred, sizeof a->cred, &m);
		a->basic_ok = r == HS_OK || r == HS_E_LIMIT;
		a->basic_truncated = r == HS_E_LIMIT;
		a->cred_len = (uint16_t)(m < sizeof a->cred ? m : sizeof a->cred);
		a->user_len = a->cred_len;
		for (size_t i = 0; i < a->cred_len; i++)
			if (a->cred[i] == ':') {
				a->user_len = (uint16_t)i;
				break;
			}
	}
}

static void auth_param(hs_http_auth *a, hs_slice name, hs_slice value)
{
	if (slice_ieq(name, "realm"))
		a->realm = value;
	else if (slice_ieq(name, "username"))
		a->username = value;
}

hs_err hs_http_auth_parse(hs_slice v, hs_http_auth_hdr header, hs_http_auth *out, size_t max, size_t *n,
			  size_t *more)
{
	hs_http_auth scratch;
	for (;;) {
		while (v.len && (v.p[0] == ' ' || v.p[0] == '\t' || v.p[0] == ',')) {
			v.p++;
			v.len--;
		}
		if (!v.len)
			return HS_OK;
		size_t t = span_token(v);
		if (!t)
			return HS_E_MALFORMED;
		hs_http_auth *a = *n < max ? &out[*n] : &scratch;
		memset(a, 0, offsetof(hs_http_auth, cred));
		a->header = (uint8_t)header;
		a->scheme_name.p = v.p;
		a->scheme_name.len = t;
		a->scheme = (uint8_t)hs_http_scheme_of(a->scheme_name);
		v.p += t;
		v.len -= t;
		if (a == &scratch)
			(*more)++;
		else
			(*n)++;
		if (v.len && v.p[0] != ' ' && v.p[0] != '\t' && v.p[0] != ',')
			return HS_E_MALFORMED;
		skip_ows(&v);
		if (!v.len || v.p[0] == ',') {
			auth_decode(a);
			continue;
		}
		/* token68 = 1*( ALPHA / DIGIT / "-" / "." / "_" / "~" / "+" / "/" ) *"=" */
		size_t k = 0;
		while (k < v.len && is_token68_char(v.p[k]))
			k++;
		size_t eq = k;
		while (eq < v.len && v.p[eq] == '=')
			eq++;
		hs_slice after = { v.p + eq, v.len - eq };
		skip_ows(&after);
		/* "realm=x" is a param: token68 must end the item.  ("realm=" with
		 * no value reads as token68, which the grammar also allows.) */
		if (k && (!after.len || after.p[0] == ',')) {
			a->token.p = v.p;
			a->token.len = eq;
			v = after;
			auth_decode(a);
			continue;
		}
		/* #auth-param */
		const uint8_t *pstart = v.p;
		for (;;) {
			size_t nt = span_token(v);
			if (!nt)
				return HS_E_MALFORMED;
			hs_slice pname = { v.p, nt };
			v.p += nt;
			v.len -= nt;
			skip_ows(&v);
			if (!v.len || v.p[0] != '=')
				return HS_E_MALFORMED;
			v.p++;
			v.len--;
			skip_ows(&v);
			hs_slice pval;
			size_t used = span_quoted(v, &pval);
			if (!used) {
				used = span_token(v);
				pval.p = v.p;
				pval.len = used;
				if (!used)
					return HS_E_MALFORMED;
			}
			auth_param(a, pname, pval);
			v.p += used;
			v.len -= used;
			a->params.p = pstart;
			a->params.len = (size_t)(v.p - pstart);
			skip_ows(&v);
			if (!v.len)
				break;
			if (v.p[0] != ',')
				return HS_E_MALFORMED;
			hs_slice look = v;
			while (look.len && (look.p[0] == ' ' || look.p[0] == '\t' || look.p[0] == ',')) {
				look.p++;
				look.len--;
			}
			if (!at_auth_param(look))
				break;
			v = look;
		}
		auth_decode(a);
	}
}

/* ---------------------------------------------------------- describe */

static const char *body_kind_name(hs_http_body k)
{
	switch (k) {
	case HS_HTTP_BODY_NONE: return "none";
	case HS_HTTP_BODY_LENGTH: return "content-length";
	case HS_HTTP_BODY_CHUNKED: return "chunked";
	case HS_HTTP_BODY_CLOSE: return "until-close";
	case HS_HTTP_BODY_TUNNEL: return "tunnel";
	}
	return "?";
}

static const char *tls_type_name(uint8_t t)
{
	switch (t) {
	case 20: return "change_cipher_spec";
	case 21: return "alert";
	case 22: return "handshake";
	case 23: return "application_data";
	}
	return "?";
}

static void describe_auth(const hs_http_auth *a, hs_out *o, unsigned flags)
{
	hs_out_begin(o, NULL);
	hs_out_cstr(o, "header", hs_http_header_name((hs_http_auth_hdr)a->header));
	hs_out_slice(o, "scheme", a->scheme_name);
	if (a->token.len) {
		if (a->token_ok)
			hs_out_uint(o, "token_len", a->token_len);
		else
			hs_out_bool(o, "token_malformed", true);
	}
	if (a->realm.p)
		hs_out_slice(o, "realm", a->realm);
	if (a->scheme == HS_HTTP_SCHEME_BASIC && a->token.len) {
		hs_out_bool(o, "cleartext_credentials", true);
		if (a->basic_ok) {
			hs_out_str(o, "user", a->cred, a->user_len);
			if (a->basic_truncated)
				hs_out_bool(o, "user_truncated", true);
			if ((flags & HS_DESCRIBE_SECRETS) && a->user_len < a->cred_len)
				hs_out_str(o, "password", a->cred + a->user_len + 1, (size_t)(a->cred_len - a->user_len - 1));
		}
	}
	if (a->scheme == HS_HTTP_SCHEME_DIGEST && a->username.p)
		hs_out_slice(o, "user", a->username);
	if (a->credssp_tls) {
		hs_out_begin(o, "credssp_tls");
		hs_out_cstr(o, "content_type", tls_type_name(a->tls_content_type));
		hs_out_fmt(o, "version", "0x%04x", a->tls_version);
		hs_out_uint(o, "length", a->tls_length);
		hs_out_end(o);
	}
	hs_out_end(o);
}

void hs_http_describe(const void *body, hs_out *o, unsigned flags)
{
	const hs_http_msg *m = body;
	hs_out_cstr(o, "type", m->response ? "response" : "request");
	if (m->response) {
		hs_out_uint(o, "status", m->status);
		hs_out_slice(o, "reason", m->reason);
		if (m->request_known) {
			hs_out_slice(o, "method", m->method);
			hs_out_slice(o, "uri", m->uri);
			hs_out_uint(o, "request_frame", m->request_frame);
		}
	} else {
		hs_out_slice(o, "method", m->method);
		hs_out_slice(o, "uri", m->uri);
	}
	hs_out_fmt(o, "version", "HTTP/1.%u", m->minor);
	if (m->host.p)
		hs_out_slice(o, "host", m->host);
	if (m->user_agent.p)
		hs_out_slice(o, "user_agent", m->user_agent);
	if (m->server.p)
		hs_out_slice(o, "server", m->server);
	if (m->content_type.p)
		hs_out_slice(o, "content_type", m->content_type);
	if (m->has_content_length)
		hs_out_uint(o, "content_length", m->content_length);
	if (m->framing.kind == HS_HTTP_BODY_CHUNKED)
		hs_out_bool(o, "chunked", true);
	if (m->framing.kind == HS_HTTP_BODY_CLOSE || m->framing.kind == HS_HTTP_BODY_TUNNEL)
		hs_out_cstr(o, "body_framing", body_kind_name(m->framing.kind));
	hs_out_uint(o, "body_len", m->body_bytes);
	if (m->body_incomplete)
		hs_out_bool(o, "body_incomplete", true);
	if (m->body_not_kept)
		hs_out_bool(o, "body_not_kept", true);
	if (m->framing.te_and_cl)
		hs_out_bool(o, "te_and_cl", true);
	if (m->conn_close)
		hs_out_bool(o, "connection_close", true);
	if (m->expect_continue)
		hs_out_bool(o, "expect_continue", true);
	if (m->nauth) {
		hs_out_slice(o, "auth_scheme", m->auth[0].scheme_name);
		hs_out_begin_list(o, "auth");
		for (size_t i = 0; i < m->nauth; i++)
			describe_auth(&m->auth[i], o, flags);
		hs_out_end_list(o);
		if (m->auth_more)
			hs_out_uint(o, "auth_more", m->auth_more);
		/* The schemes a 401 / 407 offers: why the client could not use
		 * the one it wanted (MS-WSMV 3.1.4.1.1 lists them this way). */
		for (int hdr = HS_HTTP_WWW_AUTHENTICATE; hdr <= HS_HTTP_PROXY_AUTHENTICATE; hdr += 2) {
			bool any = false;
			for (size_t i = 0; i < m->nauth; i++)
				any |= m->auth[i].header == hdr;
			if (!any)
				continue;
			hs_out_begin_list(o, hdr == HS_HTTP_WWW_AUTHENTICATE ? "www_authenticate" : "proxy_authenticate");
			for (size_t i = 0; i < m->nauth; i++)
				if (m->auth[i].header == hdr)
					hs_out_slice(o, NULL, m->auth[i].scheme_name);
			hs_out_end_list(o);
		}
	}
	if (m->enc) {
		const hs_winrm_enc *e = m->enc;
		hs_out_begin(o, "encrypted");
		hs_out_slice(o, "protocol", e->protocol);
		if (e->multi)
			hs_out_bool(o, "multi", true);
		hs_out_uint(o, "parts", e->nparts + e->parts_more);
		hs_out_uint(o, "original_length", e->original_total);
		hs_out_uint(o, "encrypted_length", e->encrypted_total);
		if (e->mech)
			hs_out_cstr(o, "sealed_with", e->mech);
		if (e->decrypted) {
			char hex[65];
			for (int i = 0; i < 32; i++)
				snprintf(hex + 2 * i, 3, "%02x", e->sha256[i]);
			hs_out_uint(o, "decrypted_length", e->decrypted_len);
			if (e->mech && strcmp(e->mech, "credssp") != 0)
				hs_out_cstr(o, "decrypted_sha256", hex);
			if (e->detail[0])
				hs_out_cstr(o, "wrap_detail", e->detail);
		} else if (e->not_decrypted) {
			hs_out_cstr(o, "not_decrypted", e->not_decrypted);
		}
		hs_out_begin_list(o, "segments");
		for (size_t i = 0; i < e->nparts; i++) {
			const hs_winrm_enc_part *p = &e->parts[i];
			hs_out_begin(o, NULL);
			if (p->has_length)
				hs_out_uint(o, "original_length", p->original_length);
			hs_out_uint(o, "signature_length", p->sig_len);
			hs_out_uint(o, "ciphertext_length", p->enc_len);
			hs_out_cstr(o, "wrap", p->wrap);
			hs_out_end(o);
		}
		hs_out_end_list(o);
		if (e->error)
			hs_out_cstr(o, "error", hs_anom_name(e->error));
		hs_out_end(o);
	}
	if (m->soap) {
		const hs_winrm_msg *w = m->soap;
		hs_out_bool(o, "soap", true);
		if (w->fault) {
			/* The cause of a 500 in one place (the WinRM message has it all). */
			hs_out_begin(o, "soap_fault");
			if (w->fault_subcode.p)
				hs_out_slice(o, "subcode", w->fault_subcode);
			if (w->wsman_code_ok) {
				hs_out_uint(o, "wsman_code", w->wsman_code);
				hs_out_hex32(o, "wsman_code_hex", w->wsman_code);
			}
			if (w->fault_reason.p)
				hs_out_slice(o, "reason", w->fault_reason);
			hs_out_end(o);
		}
	}
}

/* ------------------------------------------------------- engine parser */

typedef struct pending {
	char method[16];
	char uri[240];
	uint8_t method_len;
	uint8_t uri_len;
	uint64_t frame;
	uint64_t seq;
} pending;

enum { D_HEAD = 0, D_BODY, D_TUNNEL, D_LOST };

typedef struct http_dir {
	uint8_t state;
	bool lost_bol;          /* D_LOST: the next byte starts a line */
	bool keep_body;         /* body bytes are appended to keep */
	bool tls_reported;
	size_t head_scan;       /* bytes of the unparsed head already scanned */
	GByteArray *keep;       /* head copy, then kept body */
	size_t head_len;        /* head bytes at the start of keep */
	hs_http_framing framing;
	hs_http_chunked chunked;
	uint64_t remaining;     /* HS_HTTP_BODY_LENGTH */
	uint64_t body_bytes;
	bool body_not_kept;
	uint64_t req_seq;       /* request being read: its pending entry */
	pending resp_req;       /* response being read: its request */
	bool resp_req_known;
} http_dir;

typedef struct http_state {
	http_dir d[2];
	pending *q;             /* HS_HTTP_MAX_PENDING, allocated with the first request: a
				 * connection that never completes a head holds none */
	unsigned qhead, qcount;
	uint64_t seq;
	GByteArray *scratch;    /* decoded GSS tokens */
	hs_credssp_flow *credssp; /* the TLS connection inside CredSSP headers (MS-CSSP over MS-WSMV) */
	bool credssp_asked;     /* a request carried CredSSP and awaits its final response */
	GByteArray *unsealed;   /* plaintext of the sealed body being decoded */
	hs_winrm_seal *seal;    /* Kerberos / NTLM sealing of the connection (MS-WSMV 2.2.9.1.1) */
	bool unsealed_cap;
	hs_psrp_reasm *psrp;    /* PowerShell messages split over several envelopes (MS-PSRP 2.2.4) */
	size_t charged;         /* scratch, unsealed, seal and credssp, counted against max_total_buffer */
} http_state;

static hs_slice str_slice(const char *s, size_t n)
{
	hs_slice r = { (const uint8_t *)s, n };
	return r;
}

static void copy_bounded(char *dst, uint8_t *dlen, size_t cap, hs_slice s)
{
	size_t n = s.len < cap ? s.len : cap;
	if (n)
		memcpy(dst, s.p, n);
	*dlen = (uint8_t)n;
}

static pending *q_push(hs_app_ctx *ctx, http_state *st, const hs_http_head *h)
{
	if (st->qcount == HS_HTTP_MAX_PENDING) {
		hs_report_anomaly(ctx, HS_ANOM_HTTP_PIPELINE_CAP, "more than %u requests without response; oldest dropped",
				  HS_HTTP_MAX_PENDING);
		st->qhead = (st->qhead + 1) % HS_HTTP_MAX_PENDING;
		st->qcount--;
	}
	if (!st->q) {
		st->q = g_new0(pending, HS_HTTP_MAX_PENDING);
		hs_app_account(ctx, (ssize_t)(sizeof(pending) * HS_HTTP_MAX_PENDING));
	}
	pending *p = &st->q[(st->qhead + st->qcount) % HS_HTTP_MAX_PENDING];
	st->qcount++;
	memset(p, 0, sizeof *p);
	copy_bounded(p->method, &p->method_len, sizeof p->method, h->method);
	copy_bounded(p->uri, &p->uri_len, sizeof p->uri, h->uri);
	p->frame = ctx->meta ? ctx->meta->frame : 0;
	p->seq = ++st->seq;
	return p;
}

static pending *q_find(http_state *st, uint64_t seq)
{
	for (unsigned i = 0; i < st->qcount; i++) {
		pending *p = &st->q[(st->qhead + i) % HS_HTTP_MAX_PENDING];
		if (p->seq == seq)
			return p;
	}
	return NULL;
}

static bool body_is_interesting(const hs_http_head *h)
{
	hs_slice ct;
	if (!hs_http_header_get(h, "Content-Type", &ct))
		return false;
	return hs_slice_iprefix(ct, "application/soap+xml") || hs_slice_iprefix(ct, "text/xml") ||
	       hs_slice_iprefix(ct, "application/xml") || hs_winrm_is_encrypted(ct);
}

static void gather_auth(hs_app_ctx *ctx, const hs_http_head *h, hs_http_msg *m)
{
	static const struct { const char *name; hs_http_auth_hdr hdr; } names[] = {
		{ "Authorization", HS_HTTP_AUTHORIZATION },
		{ "WWW-Authenticate", HS_HTTP_WWW_AUTHENTICATE },
		{ "Proxy-Authorization", HS_HTTP_PROXY_AUTHORIZATION },
		{ "Proxy-Authenticate", HS_HTTP_PROXY_AUTHENTICATE },
	};
	for (size_t i = 0; i < h->nh; i++)
		for (size_t k = 0; k < sizeof names / sizeof names[0]; k++)
			if (slice_ieq(h->h[i].name, names[k].name)) {
				size_t before = m->nauth;
				if (hs_http_auth_parse(h->h[i].value, names[k].hdr, m->auth, HS_HTTP_MAX_AUTH, &m->nauth,
						       &m->auth_more) != HS_OK)
					hs_report_anomaly(ctx, HS_ANOM_HTTP_MALFORMED_AUTH, "%s header does not follow RFC 9110 11",
							  names[k].name);
				for (size_t j = before; j < m->nauth; j++)
					if (m->auth[j].token.len && !m->auth[j].token_ok)
						hs_report_anomaly(ctx, HS_ANOM_HTTP_BAD_BASE64, "%.*s token in %s is not base64",
								  (int)m->auth[j].scheme_name.len,
								  (const char *)m->auth[j].scheme_name.p, names[k].name);
			}
}

/* The decoded token of an auth item into st->scratch (*n bytes); false when
 * it is no SPNEGO / Kerberos / NTLM / CredSSP token. */
static bool decode_token(http_state *st, const hs_http_auth *a, size_t *n)
{
	if (!a->token_ok || !a->token_len)
		return false;
	if (a->scheme != HS_HTTP_SCHEME_NEGOTIATE && a->scheme != HS_HTTP_SCHEME_KERBEROS &&
	    a->scheme != HS_HTTP_SCHEME_NTLM && a->scheme != HS_HTTP_SCHEME_CREDSSP)
		return false;
	if (!st->scratch)
		st->scratch = g_byte_array_new();
	g_byte_array_set_size(st->scratch, (guint)a->token_len);
	return hs_http_b64_decode(a->token, st->scratch->data, st->scratch->len, n) == HS_OK;
}

/* The connection's Kerberos / NTLM tokens set up its sealing keys before
 * the body of the same message is opened (the AP-REP rides on the first
 * sealed response). */
static void seal_tokens(hs_app_ctx *ctx, http_state *st, const hs_http_msg *m)
{
	for (size_t i = 0; i < m->nauth; i++) {
		size_t n;
		if (m->auth[i].scheme == HS_HTTP_SCHEME_CREDSSP || !decode_token(st, &m->auth[i], &n))
			continue;
		if (!st->seal)
			st->seal = hs_winrm_seal_new();
		hs_winrm_seal_token(st->seal, ctx, st->scratch->data, n, m->response);
	}
}

/* Hand each SPNEGO / Kerberos / NTLM token to the GSS dispatcher, and each
 * CredSSP blob to the connection's CredSSP flow: the blobs of consecutive
 * messages are one TLS stream per direction (MS-CSSP 3.1.5, MS-WSMV
 * 2.2.9.1.1). */
static void emit_tokens(hs_app_ctx *ctx, http_state *st, const hs_http_msg *m)
{
	bool offers_credssp = false;
	for (size_t i = 0; i < m->nauth; i++) {
		const hs_http_auth *a = &m->auth[i];
		if (a->scheme == HS_HTTP_SCHEME_CREDSSP && !m->response)
			st->credssp_asked = true;
		if (a->scheme == HS_HTTP_SCHEME_CREDSSP && m->response)
			offers_credssp = true;
		size_t n;
		if (!decode_token(st, a, &n))
			continue;
		if (a->scheme == HS_HTTP_SCHEME_CREDSSP) {
			if (!st->credssp)
				st->credssp = g_new0(hs_credssp_flow, 1);
			hs_credssp_flow_feed(st->credssp, ctx, HS_PROTO_HTTP, st->scratch->data, n);
		} else {
			(void)hs_gss_emit(ctx, HS_PROTO_HTTP, st->scratch->data, n);
		}
	}
	/* The final answer to a CredSSP leg says how far the exchange got. */
	if (m->response && st->credssp_asked && (m->status >= 200 || m->status == 101)) {
		if (!st->credssp)
			st->credssp = g_new0(hs_credssp_flow, 1);
		hs_credssp_flow_outcome(st->credssp, ctx, m->status, offers_credssp);
		st->credssp_asked = false;
	}
}

/* Build and emit the message whose head is h and whose kept body is body. */

/* MS-WSMV 2.2.9.1.1 with CredSSP (MS-CSSP 3.1.5, step 5 on): each sealed part
 * is TLS records of the CredSSP exchange's own TLS connection.  They go
 * through the connection's CredSSP flow, whose TLS layer decrypts them with
 * the key log; the plaintext (the SOAP message) comes back through the
 * flow's payload hook and is decoded like a cleartext body. */
static void on_unsealed(void *ud, hs_app_ctx *ctx, const uint8_t *p, size_t n)
{
	http_state *st = ud;
	if (st->unsealed_cap)
		return;
	if (st->unsealed->len + n > hs_app_max_stream(ctx)) {
		hs_report_anomaly(ctx, HS_ANOM_STREAM_CAP, "CredSSP-sealed WinRM body over %zu bytes of plaintext; not decoded",
				  hs_app_max_stream(ctx));
		st->unsealed_cap = true;
		return;
	}
	g_byte_array_append(st->unsealed, p, (guint)n);
}

static bool parse_unsealed(hs_app_ctx *ctx, http_state *st, hs_winrm_msg *soap, const char *how);

static bool credssp_unseal(hs_app_ctx *ctx, http_state *st, hs_winrm_enc *enc, hs_winrm_msg *soap)
{
	if (!st->unsealed)
		st->unsealed = g_byte_array_new();
	g_byte_array_set_size(st->unsealed, 0);
	st->unsealed_cap = false;
	st->credssp->on_payload = on_unsealed;
	st->credssp->payload_ud = st;
	for (size_t i = 0; i < enc->nparts; i++)
		hs_credssp_flow_feed(st->credssp, ctx, HS_PROTO_HTTP, enc->parts[i].sealed.p, enc->parts[i].sealed.len);
	st->credssp->on_payload = NULL;
	if (!st->unsealed->len || st->unsealed_cap)
		return false;
	enc->decrypted = true;
	enc->decrypted_len = st->unsealed->len;
	enc->plaintext = (hs_slice){ st->unsealed->data, st->unsealed->len };
	enc->mech = "credssp";
	return parse_unsealed(ctx, st, soap, "CredSSP");
}

static bool parse_unsealed(hs_app_ctx *ctx, http_state *st, hs_winrm_msg *soap, const char *how)
{
	hs_err e = hs_winrm_parse(st->unsealed->data, st->unsealed->len, soap);
	if (e != HS_OK) {
		hs_report_anomaly(ctx, soap->error ? soap->error : HS_ANOM_WINRM_MALFORMED, "%s-sealed SOAP body not decoded (%s)",
				  how, hs_err_name(e));
		return false;
	}
	return true;
}

/* MS-WSMV 2.2.9.1.1 / 2.2.9.1.2: parts sealed with the connection's
 * Kerberos or NTLM context (winrm_seal.c). */
static bool gss_unseal(hs_app_ctx *ctx, http_state *st, hs_winrm_enc *enc, bool from_server, hs_winrm_msg *soap)
{
	if (!st->unsealed)
		st->unsealed = g_byte_array_new();
	g_byte_array_set_size(st->unsealed, 0);
	size_t max = ctx->host ? hs_app_max_stream(ctx) : HS_HTTP_MAX_BODY_KEEP;
	if (!hs_winrm_seal_open(st->seal, ctx, enc, from_server, st->unsealed, max))
		return false;
	enc->plaintext = (hs_slice){ st->unsealed->data, st->unsealed->len };
	return parse_unsealed(ctx, st, soap, enc->mech);
}

static void emit_message(hs_app_ctx *ctx, http_state *st, http_dir *d, const hs_http_head *h, hs_slice body,
			 bool incomplete)
{
	hs_http_msg m;
	memset(&m, 0, sizeof m);
	m.head = h;
	m.response = h->response;
	m.minor = h->minor;
	m.status = h->status;
	m.reason = h->reason;
	m.framing = d->framing;
	m.body_bytes = d->body_bytes;
	m.body_incomplete = incomplete;
	m.body_not_kept = d->body_not_kept;
	(void)hs_http_header_get(h, "Host", &m.host);
	(void)hs_http_header_get(h, "User-Agent", &m.user_agent);
	(void)hs_http_header_get(h, "Server", &m.server);
	(void)hs_http_header_get(h, "Content-Type", &m.content_type);
	hs_slice cl, first;
	if (hs_http_header_get(h, "Content-Length", &cl) && list_next(&cl, &first))
		m.has_content_length = parse_u64(first, &m.content_length);
	m.conn_close = hs_http_header_has_token(h, "Connection", "close");
	m.expect_continue = hs_http_header_has_token(h, "Expect", "100-continue");
	if (h->response) {
		m.request_known = d->resp_req_known;
		m.method = str_slice(d->resp_req.method, d->resp_req.method_len);
		m.uri = str_slice(d->resp_req.uri, d->resp_req.uri_len);
		m.request_frame = d->resp_req.frame;
	} else {
		m.method = h->method;
		m.uri = h->uri;
		pending *p = q_find(st, d->req_seq);
		if (p && ctx->meta)
			p->frame = ctx->meta->frame; /* the frame that completed the request */
	}
	gather_auth(ctx, h, &m);
	seal_tokens(ctx, st, &m);

	hs_winrm_enc enc;
	hs_winrm_msg soap;
	bool have_soap = false;
	memset(&soap, 0, sizeof soap);
	if (body.len && !incomplete && m.content_type.p) {
		if (hs_winrm_is_encrypted(m.content_type)) {
			if (hs_winrm_parse_encrypted(m.content_type, body.p, body.len, &enc) != HS_OK)
				hs_report_anomaly(ctx, enc.error ? enc.error : HS_ANOM_WINRM_BAD_ENCRYPTED,
						  "multipart/encrypted WinRM body does not follow MS-WSMV 2.2.9.1");
			else if (st->credssp && hs_slice_iprefix(enc.protocol, "application/HTTP-CredSSP-session-encrypted"))
				have_soap = credssp_unseal(ctx, st, &enc, &soap);
			else if (!hs_slice_iprefix(enc.protocol, "application/HTTP-CredSSP-session-encrypted"))
				have_soap = gss_unseal(ctx, st, &enc, h->response, &soap);
			m.enc = &enc;
		} else {
			hs_err e = hs_winrm_parse(body.p, body.len, &soap);
			if (e == HS_OK) {
				have_soap = true;
				m.soap = &soap;
			} else {
				hs_report_anomaly(ctx, soap.error ? soap.error : HS_ANOM_WINRM_MALFORMED,
						  "SOAP body not decoded (%s)", hs_err_name(e));
			}
		}
	}
	hs_emit(ctx, HS_PROTO_HTTP, &m);
	emit_tokens(ctx, st, &m);
	if (have_soap) {
		hs_psrp_winrm_feed(&st->psrp, ctx, &soap, h->response,
				   hs_app_max_stream(ctx));
		if (hs_winrm_secrets(&soap))
			hs_report_anomaly(ctx, HS_ANOM_SECRET_IN_COMMAND,
					  "a password was typed into a WinRM command line: masked in the output "
					  "(--show-secrets shows it)");
		hs_emit(ctx, HS_PROTO_WINRM, &soap);
	}
	hs_winrm_release(&soap);
}

static void dir_reset(http_dir *d)
{
	d->state = D_HEAD;
	d->head_scan = 0;
	d->keep_body = false;
	if (d->keep)
		g_byte_array_set_size(d->keep, 0);
	d->head_len = 0;
	memset(&d->framing, 0, sizeof d->framing);
	memset(&d->chunked, 0, sizeof d->chunked);
	d->remaining = 0;
	d->body_bytes = 0;
	d->body_not_kept = false;
	d->resp_req_known = false;
}

/* The body of the message in d is complete (or cut): emit and reset. */
static void finish_body(hs_app_ctx *ctx, http_state *st, http_dir *d, bool incomplete)
{
	hs_http_head h;
	hs_parse_result r = hs_http_parse_head(d->keep->data, d->head_len, &h, NULL);
	if (r.status == HS_PARSE_OK) {
		hs_slice body = { d->keep->data + d->head_len, d->keep->len - d->head_len };
		if (!d->keep_body || d->body_not_kept)
			body.len = 0;
		emit_message(ctx, st, d, &h, body, incomplete);
	}
	bool tunnel = d->framing.kind == HS_HTTP_BODY_TUNNEL;
	dir_reset(d);
	if (tunnel)
		d->state = D_TUNNEL;
}

static void keep_bytes(http_dir *d, const uint8_t *p, size_t n)
{
	d->body_bytes += n;
	if (!d->keep_body || d->body_not_kept || !n)
		return;
	if (d->keep->len - d->head_len + n > HS_HTTP_MAX_BODY_KEEP) {
		d->body_not_kept = true; /* counted from here on, not kept */
		return;
	}
	g_byte_array_append(d->keep, p, (guint)n);
}

/* Candidate message start at p? (for resynchronising after a gap) */
static int looks_like_start(const uint8_t *p, size_t len)
{
	static const char *const starts[] = { "HTTP/1.", "GET ", "POST ", "PUT ", "HEAD ", "DELETE ",
					      "OPTIONS ", "CONNECT ", "PATCH ", "TRACE " };
	for (size_t i = 0; i < sizeof starts / sizeof starts[0]; i++) {
		size_t n = strlen(starts[i]);
		size_t m = len < n ? len : n;
		if (memcmp(p, starts[i], m) == 0)
			return m == n ? 1 : 0; /* 0: could be, need more */
	}
	return -1;
}

/* D_LOST: skip to the next line that starts an HTTP message. */
static size_t resync(http_dir *d, const uint8_t *p, size_t len, bool *found)
{
	*found = false;
	size_t i = 0;
	while (i < len) {
		if (d->lost_bol) {
			int r = looks_like_start(p + i, len - i);
			if (r == 1) {
				*found = true;
				return i;
			}
			if (r == 0)
				return i; /* keep the partial candidate */
		}
		const uint8_t *nl = memchr(p + i, '\n', len - i);
		if (!nl) {
			d->lost_bol = false;
			return len;
		}
		i = (size_t)(nl - p) + 1;
		d->lost_bol = true;
	}
	return len;
}

/* A head of head_len bytes is complete at p: set up the body, emit at once
 * when there is none.  Returns false when the body cannot be framed
 * (reported). */
static bool start_message(hs_app_ctx *ctx, http_state *st, http_dir *d, const uint8_t *p, const hs_http_head *h,
			  size_t head_len)
{
	hs_slice req_method = { NULL, 0 };
	d->resp_req_known = false;
	if (h->response) {
		if (st->qcount) {
			d->resp_req = st->q[st->qhead];
			d->resp_req_known = true;
			req_method = str_slice(d->resp_req.method, d->resp_req.method_len);
		}
		/* An interim 1xx answers nothing yet (RFC 9110 15.2): the request
		 * stays pending for its final response; 101 is final. */
		if (st->qcount && (h->status >= 200 || h->status == 101)) {
			st->qhead = (st->qhead + 1) % HS_HTTP_MAX_PENDING;
			st->qcount--;
		}
	} else {
		d->req_seq = q_push(ctx, st, h)->seq;
	}
	if (hs_http_framing_of(h, req_method, &d->framing) != HS_OK) {
		hs_report_anomaly(ctx, d->framing.error, "cannot frame the HTTP body (RFC 9112 6.3)");
		return false;
	}
	if (d->framing.te_and_cl)
		hs_report_anomaly(ctx, HS_ANOM_HTTP_TE_AND_CL, "both Transfer-Encoding and Content-Length (RFC 9112 6.3)");
	if (d->framing.kind == HS_HTTP_BODY_NONE || d->framing.kind == HS_HTTP_BODY_TUNNEL) {
		emit_message(ctx, st, d, h, (hs_slice){ NULL, 0 }, false);
		bool tunnel = d->framing.kind == HS_HTTP_BODY_TUNNEL;
		dir_reset(d);
		if (tunnel) {
			d->state = D_TUNNEL;
			st->d[0].state = st->d[1].state = D_TUNNEL;
		}
		return true;
	}
	if (!d->keep)
		d->keep = g_byte_array_new();
	g_byte_array_set_size(d->keep, 0);
	g_byte_array_append(d->keep, p, (guint)head_len);
	d->head_len = head_len;
	d->keep_body = body_is_interesting(h);
	d->remaining = d->framing.length;
	memset(&d->chunked, 0, sizeof d->chunked);
	d->state = D_BODY;
	return true;
}

/* Give up on the current message: skip to a line that starts a new one.
 * at_bol says whether the next byte starts a line. */
static void go_lost(http_dir *d, bool at_bol)
{
	dir_reset(d);
	d->state = D_LOST;
	d->lost_bol = at_bol;
}

static hs_parse_result http_stream(hs_app_ctx *ctx, const uint8_t *data, size_t len)
{
	http_state *st = ctx->state;
	http_dir *d = &st->d[ctx->dir & 1];
	size_t off = 0;

	while (off < len) {
		const uint8_t *p = data + off;
		size_t n = len - off;
		if (d->state == D_TUNNEL) {
			off = len;
			break;
		}
		if (d->state == D_LOST) {
			bool found;
			off += resync(d, p, n, &found);
			if (!found)
				break;
			dir_reset(d);
			continue;
		}
		if (d->state == D_HEAD) {
			/* WinRM over 5986 (or any HTTPS) before a TLS layer decrypts it:
			 * a TLS record header (RFC 8446 5.1) where a head should be. */
			if (p[0] == 0x16 && d->head_scan == 0) {
				if (n < 2)
					break;
				if (p[1] == 3) {
					if (!d->tls_reported)
						hs_report_anomaly(ctx, HS_ANOM_HTTP_TLS, "TLS on an HTTP port: not decrypted");
					d->tls_reported = true;
					d->state = D_TUNNEL;
					off = len;
					break;
				}
			}
			hs_http_head h;
			hs_parse_result r = hs_http_parse_head(p, n, &h, &d->head_scan);
			if (r.status == HS_PARSE_INCOMPLETE)
				break;
			if (r.status == HS_PARSE_ERROR) {
				hs_report_anomaly(ctx, h.error ? h.error : HS_ANOM_HTTP_MALFORMED, "malformed HTTP head (%s)",
						  hs_err_name(r.err));
				/* Skip exactly the bad head (or the cap's worth), so that
				 * what follows does not depend on segmentation. */
				size_t skip = find_head_end(p, n, 0);
				if (!skip && r.err == HS_E_LIMIT)
					skip = n < HS_HTTP_MAX_HEAD ? n : HS_HTTP_MAX_HEAD;
				off += skip;
				go_lost(d, skip ? p[skip - 1] == '\n' : false);
				continue;
			}
			if (!start_message(ctx, st, d, p, &h, r.consumed)) {
				off += r.consumed; /* unframeable: skip its head */
				go_lost(d, true);
				continue;
			}
			off += r.consumed;
			continue;
		}
		/* D_BODY */
		if (d->framing.kind == HS_HTTP_BODY_LENGTH) {
			size_t take = d->remaining < n ? (size_t)d->remaining : n;
			keep_bytes(d, p, take);
			d->remaining -= take;
			off += take;
			if (d->remaining == 0)
				finish_body(ctx, st, d, false);
		} else if (d->framing.kind == HS_HTTP_BODY_CHUNKED) {
			hs_slice chunk;
			hs_parse_result r = hs_http_chunked_step(&d->chunked, p, n, &chunk);
			if (r.status == HS_PARSE_INCOMPLETE)
				break;
			if (r.status == HS_PARSE_ERROR) {
				hs_report_anomaly(ctx, HS_ANOM_HTTP_BAD_CHUNK, "malformed chunked body (%s)", hs_err_name(r.err));
				go_lost(d, false);
				continue;
			}
			keep_bytes(d, chunk.p, chunk.len);
			off += r.consumed;
			if (d->chunked.done)
				finish_body(ctx, st, d, false);
		} else { /* until close */
			keep_bytes(d, p, n);
			off = len;
		}
	}
	if (ctx->eof) {
		if (d->state == D_BODY) {
			bool cut = d->framing.kind != HS_HTTP_BODY_CLOSE;
			if (cut)
				hs_report_anomaly(ctx, HS_ANOM_HTTP_TRUNCATED_BODY, "stream ended inside an HTTP body");
			finish_body(ctx, st, d, cut);
		} else if (d->state == D_HEAD && off < len) {
			hs_report_anomaly(ctx, HS_ANOM_HTTP_TRUNCATED_HEAD, "stream ended inside an HTTP head (%zu bytes)",
					  len - off);
			d->head_scan = 0;
		}
		off = len;
	}
	if (off == 0 && len > 0)
		return hs_parse_incomplete(0);
	return hs_parse_ok(off);
}

static void http_gap(hs_app_ctx *ctx)
{
	http_state *st = ctx->state;
	http_dir *d = &st->d[ctx->dir & 1];
	if (d->state == D_TUNNEL)
		return;
	dir_reset(d);
	d->state = D_LOST;
	d->lost_bol = true; /* segments usually start messages */
}

/* The connection's lasting allocations beyond its state (decoded tokens,
 * unsealed bodies, sealing keys and blobs, the CredSSP flow) in the memory
 * budget, by their current size after each delivery. */
static void charge(hs_app_ctx *ctx, http_state *st)
{
	size_t now = (st->scratch ? st->scratch->len : 0) + (st->unsealed ? st->unsealed->len : 0) +
		     hs_winrm_seal_bytes(st->seal) + (st->credssp ? sizeof(hs_credssp_flow) : 0);
	hs_app_account(ctx, (ssize_t)now - (ssize_t)st->charged);
	st->charged = now;
}

static hs_parse_result http_stream_charged(hs_app_ctx *ctx, const uint8_t *data, size_t len)
{
	hs_parse_result r = http_stream(ctx, data, len);
	charge(ctx, ctx->state);
	return r;
}

static void http_close(hs_app_ctx *ctx)
{
	http_state *st = ctx->state;
	hs_app_account(ctx, -(ssize_t)st->charged);
	st->charged = 0;
	for (int i = 0; i < 2; i++)
		if (st->d[i].keep) {
			g_byte_array_free(st->d[i].keep, TRUE);
			st->d[i].keep = NULL;
		}
	if (st->scratch) {
		g_byte_array_free(st->scratch, TRUE);
		st->scratch = NULL;
	}
	if (st->unsealed) {
		g_byte_array_free(st->unsealed, TRUE);
		st->unsealed = NULL;
	}
	hs_winrm_seal_free(st->seal);
	st->seal = NULL;
	hs_psrp_reasm_close(st->psrp, ctx);
	st->psrp = NULL;
	if (st->q)
		hs_app_account(ctx, -(ssize_t)(sizeof(pending) * HS_HTTP_MAX_PENDING));
	g_free(st->q);
	st->q = NULL;
	st->qhead = st->qcount = 0;
	if (st->credssp) {
		hs_credssp_flow_release(st->credssp);
		g_free(st->credssp);
		st->credssp = NULL;
	}
}

const hs_app hs_http_app = {
	.name = "http",
	.state_size = sizeof(http_state),
	.stream = http_stream_charged,
	.gap = http_gap,
	.datagram = NULL,
	.close = http_close,
	.malformed = HS_ANOM_MALFORMED_HTTP,
};

/* Plain HTTP, and WinRM's HTTP listeners (MS-WSMV 2.1: 5985, and 47001 the
 * compatibility listener); WinRM over HTTPS is TLS's (tls.c). */
static const hs_port_def http_ports[] = {
	{ 6, 80, &hs_http_app, HS_CAR_HTTP },
	{ 6, 5985, &hs_http_app, HS_CAR_WINRM_HTTP },
	{ 6, 8080, &hs_http_app, HS_CAR_HTTP },
	{ 6, 47001, &hs_http_app, HS_CAR_WINRM_HTTP },
	{ 0 }
};

/* HTTP on another port (WinRM moved with Set-Item WSMan:\...\Port, a
 * reverse proxy), or inside TLS on any port (tls_app.c): a request line
 * (RFC 9112 3: a method WinRM or a proxy uses, SP, a target of visible
 * characters, SP, "HTTP/1.x", CRLF) or a status line ("HTTP/1.x DDD").
 * A line not ended yet is a prefix while it is made of what a request
 * line may hold. */
static hs_probe_verdict http_probe(const uint8_t *p, size_t len)
{
	static const char *const starts[] = { "GET ", "POST ", "PUT ", "HEAD ", "OPTIONS ", "DELETE ", "CONNECT ", "HTTP/1." };
	size_t k = 0, i;
	for (i = 0; i < G_N_ELEMENTS(starts); i++) {
		k = strlen(starts[i]);
		if (!memcmp(p, starts[i], MIN(len, k)))
			break;
	}
	if (i == G_N_ELEMENTS(starts))
		return HS_PROBE_NO;
	if (i == G_N_ELEMENTS(starts) - 1) { /* status line */
		if (len < 13)
			return len < 8 || p[7] == '0' || p[7] == '1' ? HS_PROBE_MORE : HS_PROBE_NO;
		bool ok = (p[7] == '0' || p[7] == '1') && p[8] == ' ' && g_ascii_isdigit(p[9]) && g_ascii_isdigit(p[10]) &&
			  g_ascii_isdigit(p[11]) && p[12] == ' ';
		return ok ? HS_PROBE_SERVER : HS_PROBE_NO;
	}
	if (len <= k)
		return HS_PROBE_MORE;
	size_t t = k;
	while (t < len && p[t] > 0x20 && p[t] < 0x7f) /* the target */
		t++;
	if (t == k)
		return HS_PROBE_NO;
	static const char version[] = " HTTP/1.";
	size_t v = sizeof version - 1;
	if (t < len && memcmp(p + t, version, MIN(len - t, v)))
		return HS_PROBE_NO;
	if (len < t + v + 3)
		return HS_PROBE_MORE;
	return (p[t + v] == '0' || p[t + v] == '1') && p[t + v + 1] == '\r' && p[t + v + 2] == '\n' ? HS_PROBE_CLIENT
													: HS_PROBE_NO;
}

const hs_proto_def hs_http_proto = {
	.id = HS_PROTO_HTTP, .describe = hs_http_describe, .ports = http_ports,
	.probe = http_probe, .probe_ipproto = 6, .probe_app = &hs_http_app, .probe_carrier = HS_CAR_HTTP,
};
