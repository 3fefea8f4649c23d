/* credssp.c - MS-CSSP TSRequest and the CredSSP exchange inside its TLS
 * connection (see credssp.h). */
#include "credssp.h"

#include <string.h>

#include "der.h"
#include "gss.h"
#include "ntstatus.h"

/* ------------------------------------------------------------ TSRequest */

hs_parse_result hs_credssp_frame(const uint8_t *p, size_t len)
{
	if (len < 1)
		return hs_parse_incomplete(0);
	if (p[0] != 0x30) /* SEQUENCE, constructed */
		return hs_parse_error(HS_E_MALFORMED);
	if (len < 2)
		return hs_parse_incomplete(0);
	size_t hdr = 2, n = p[1];
	if (p[1] & 0x80) {
		size_t k = p[1] & 0x7f;
		if (k == 0)
			return hs_parse_error(HS_E_UNSUPPORTED); /* indefinite: not DER */
		if (k > 4)
			return hs_parse_error(HS_E_LIMIT);
		if (len < 2 + k)
			return hs_parse_incomplete(0);
		n = 0;
		for (size_t i = 0; i < k; i++)
			n = n << 8 | p[2 + i];
		hdr = 2 + k;
	}
	if (n > HS_CREDSSP_MAX_PDU)
		return hs_parse_error(HS_E_LIMIT);
	if (len < hdr + n)
		return hs_parse_incomplete(hdr + n);
	return hs_parse_ok(hdr + n);
}

hs_err hs_credssp_decode(const uint8_t *p, size_t len, hs_credssp_req *r)
{
	memset(r, 0, sizeof *r);
	hs_cur c = hs_cur_make(p, len), seq, f;
	if (!hs_der_expect(&c, HS_DER_UNIVERSAL, HS_DER_SEQUENCE, true, &seq))
		return c.err;
	if (hs_der_ctx(&seq, 0, &f)) {
		hs_der_int64(&f, &r->version);
		hs_der_close(&seq, &f);
	}
	if (hs_der_opt_ctx(&seq, 1, &f)) {
		/* NegoData ::= SEQUENCE OF SEQUENCE { negoToken [0] OCTET STRING } */
		hs_cur list, item, tok;
		if (hs_der_expect(&f, HS_DER_UNIVERSAL, HS_DER_SEQUENCE, true, &list)) {
			while (list.len && hs_cur_ok(&list)) {
				if (!hs_der_expect(&list, HS_DER_UNIVERSAL, HS_DER_SEQUENCE, true, &item))
					break;
				if (hs_der_ctx(&item, 0, &tok)) {
					hs_slice s;
					if (hs_der_octets(&tok, &s)) {
						if (r->ntokens < HS_CREDSSP_MAX_TOKENS)
							r->tokens[r->ntokens++] = s;
						else
							r->tokens_more++;
					}
					hs_der_close(&item, &tok);
				}
				hs_der_close(&list, &item);
			}
			hs_der_close(&f, &list);
		}
		hs_der_close(&seq, &f);
	}
	if (hs_der_opt_ctx(&seq, 2, &f)) {
		r->has_auth_info = hs_der_octets(&f, &r->auth_info);
		hs_der_close(&seq, &f);
	}
	if (hs_der_opt_ctx(&seq, 3, &f)) {
		r->has_pub_key_auth = hs_der_octets(&f, &r->pub_key_auth);
		hs_der_close(&seq, &f);
	}
	if (hs_der_opt_ctx(&seq, 4, &f)) {
		/* an NTSTATUS; DER may encode it as a negative INTEGER */
		r->has_error_code = hs_der_uint32(&f, &r->error_code);
		hs_der_close(&seq, &f);
	}
	if (hs_der_opt_ctx(&seq, 5, &f)) {
		r->has_client_nonce = hs_der_octets(&f, &r->client_nonce);
		hs_der_close(&seq, &f);
	}
	hs_der_close(&c, &seq);
	if (hs_cur_ok(&c) && c.len)
		return HS_E_TRAILING;
	return c.err;
}

const char *hs_credssp_stage_name(hs_credssp_stage s)
{
	switch (s) {
	case HS_CREDSSP_STAGE_NONE: return "none";
	case HS_CREDSSP_STAGE_NOT_OFFERED: return "not_offered";
	case HS_CREDSSP_STAGE_TLS_HANDSHAKE: return "tls_handshake";
	case HS_CREDSSP_STAGE_AUTHENTICATION: return "authentication";
	case HS_CREDSSP_STAGE_SERVER_VERIFIED: return "server_verified";
	case HS_CREDSSP_STAGE_CREDENTIALS_SENT: return "credentials_sent";
	case HS_CREDSSP_STAGE_ACCEPTED: return "accepted";
	case HS_CREDSSP_STAGE_REFUSED: return "refused";
	}
	return "unknown";
}

void hs_credssp_describe(const void *body, hs_out *o, unsigned flags)
{
	(void)flags; /* authInfo is never written: the password is inside */
	const hs_credssp_msg *m = body;
	const hs_credssp_req *r = m->req;
	if (r) {
		hs_out_cstr(o, "credssp_msg", "ts_request");
		hs_out_int(o, "version", r->version);
		hs_out_uint(o, "nego_tokens", r->ntokens + r->tokens_more);
		hs_out_bool(o, "auth_info", r->has_auth_info);
		if (r->has_auth_info)
			hs_out_uint(o, "auth_info_len", r->auth_info.len);
		hs_out_bool(o, "pub_key_auth", r->has_pub_key_auth);
		if (r->has_pub_key_auth)
			hs_out_uint(o, "pub_key_auth_len", r->pub_key_auth.len);
		if (r->has_error_code) {
			hs_out_hex32(o, "error_code", r->error_code);
			const char *n = hs_ntstatus_name(r->error_code);
			if (n)
				hs_out_cstr(o, "error", n);
		}
		hs_out_bool(o, "client_nonce", r->has_client_nonce);
		if (m->err != HS_OK)
			hs_out_cstr(o, "decode_error", hs_err_name(m->err));
	} else {
		hs_out_cstr(o, "credssp_msg", "stage");
	}
	hs_out_cstr(o, "stage", hs_credssp_stage_name(m->stage));
	if (!r) {
		hs_out_bool(o, "inferred", m->inferred);
		if (m->http_status)
			hs_out_uint(o, "http_status", m->http_status);
		hs_out_uint(o, "client_records", m->client_records);
		hs_out_uint(o, "server_records", m->server_records);
	}
}

/* ------------------------------------------------------------ the flow */

static void advance(hs_credssp_flow *f, hs_credssp_stage s)
{
	if (s > f->stage)
		f->stage = s;
}

static void on_tsrequest(hs_credssp_flow *f, hs_app_ctx *ctx, const uint8_t *p, size_t n)
{
	hs_credssp_req r;
	hs_credssp_msg m;
	memset(&m, 0, sizeof m);
	m.err = hs_credssp_decode(p, n, &r);
	m.req = &r;
	if (m.err != HS_OK)
		hs_report_anomaly(ctx, HS_ANOM_MALFORMED_CREDSSP, "TSRequest of %zu bytes: %s", n, hs_err_name(m.err));
	/* MS-CSSP 3.1.5: tokens (steps 2-3), the server's pubKeyAuth (step 4),
	 * authInfo (step 5); an errorCode ends it. */
	if (r.ntokens)
		advance(f, HS_CREDSSP_STAGE_AUTHENTICATION);
	if (r.has_pub_key_auth && (ctx->dir & 1))
		advance(f, HS_CREDSSP_STAGE_SERVER_VERIFIED);
	if (r.has_auth_info) {
		advance(f, HS_CREDSSP_STAGE_CREDENTIALS_SENT);
		f->after_auth = true;
	}
	if (r.has_error_code)
		f->stage = HS_CREDSSP_STAGE_REFUSED;
	f->last_req_dir = (int8_t)(ctx->dir & 1);
	m.stage = f->stage;
	hs_emit_token(ctx, HS_PROTO_CREDSSP, &m, f->carrier);
	for (size_t i = 0; i < r.ntokens; i++)
		(void)hs_gss_emit(ctx, HS_PROTO_CREDSSP, r.tokens[i].p, r.tokens[i].len);
}

static void on_plain(void *ud, hs_app_ctx *ctx, const uint8_t *p, size_t n)
{
	hs_credssp_flow *f = ud;
	int dir = ctx->dir & 1;
	if (f->after_auth) {
		/* the protected payload (WinRM / RDP), not TSRequests */
		if (f->on_payload)
			f->on_payload(f->payload_ud, ctx, p, n);
		return;
	}
	if (f->broken[dir])
		return;
	GByteArray *b = f->pdu[dir];
	const uint8_t *q = p;
	size_t len = n;
	if (b && b->len) {
		g_byte_array_append(b, p, (guint)n);
		q = b->data;
		len = b->len;
	}
	size_t off = 0;
	while (off < len) {
		hs_parse_result r = hs_credssp_frame(q + off, len - off);
		if (r.status == HS_PARSE_INCOMPLETE)
			break;
		if (r.status == HS_PARSE_ERROR) {
			hs_report_anomaly(ctx, HS_ANOM_MALFORMED_CREDSSP, "TLS plaintext that is not a TSRequest (%s)",
					  hs_err_name(r.err));
			f->broken[dir] = true;
			off = len;
			break;
		}
		on_tsrequest(f, ctx, q + off, r.consumed);
		off += r.consumed;
		if (f->after_auth) {
			/* authInfo was the last TSRequest: what follows is payload */
			if (off < len && f->on_payload)
				f->on_payload(f->payload_ud, ctx, q + off, len - off);
			off = len;
		}
	}
	if (q == p) {
		if (off < len) {
			if (!b)
				b = f->pdu[dir] = g_byte_array_new();
			g_byte_array_append(b, p + off, (guint)(len - off));
		}
	} else {
		g_byte_array_remove_range(b, 0, (guint)off);
	}
}

void hs_credssp_flow_feed(hs_credssp_flow *f, hs_app_ctx *ctx, hs_proto carrier, const uint8_t *p, size_t len)
{
	int dir = ctx->dir & 1;
	if (!f->init) {
		hs_tls_conn_init(&f->tls, carrier, on_plain, f);
		f->carrier = carrier;
		f->init = true;
		f->last_req_dir = -1;
		advance(f, HS_CREDSSP_STAGE_TLS_HANDSHAKE);
	}
	if (f->broken[dir] && !f->after_auth)
		return;
	GByteArray *b = f->rec[dir];
	const uint8_t *q = p;
	size_t n = len;
	if (b && b->len) {
		g_byte_array_append(b, p, (guint)len);
		q = b->data;
		n = b->len;
	}
	/* count application-data records: the stage without keys */
	hs_parse_result r = hs_tls_conn_stream(&f->tls, ctx, q, n);
	size_t used = r.status == HS_PARSE_OK ? r.consumed : 0;
	for (size_t off = 0; off + 5 <= used;) {
		if (q[off] == HS_TLS_CT_APPDATA)
			f->app_records[dir]++;
		off += 5 + ((size_t)q[off + 3] << 8 | q[off + 4]);
	}
	if (r.status == HS_PARSE_ERROR) {
		hs_report_anomaly(ctx, HS_ANOM_MALFORMED_CREDSSP, "%s CredSSP blob is not TLS (%s)", hs_proto_name(carrier),
				  hs_err_name(r.err));
		f->broken[dir] = true;
		used = n;
	}
	if (f->app_records[0] || f->app_records[1])
		advance(f, HS_CREDSSP_STAGE_AUTHENTICATION);
	if (q == p) {
		if (used < n) {
			if (!b)
				b = f->rec[dir] = g_byte_array_new();
			if (n - used <= HS_TLS_MAX_RECORD + 5)
				g_byte_array_append(b, p + used, (guint)(n - used));
		}
	} else {
		g_byte_array_remove_range(b, 0, (guint)used);
		if (b->len > HS_TLS_MAX_RECORD + 5)
			g_byte_array_set_size(b, 0);
	}
}

bool hs_credssp_flow_decrypted(const hs_credssp_flow *f)
{
	return f->init && (f->tls.d[0].decrypted || f->tls.d[1].decrypted);
}

static void emit_stage(hs_credssp_flow *f, hs_app_ctx *ctx, bool inferred, unsigned http_status)
{
	hs_credssp_msg m;
	memset(&m, 0, sizeof m);
	m.stage = f->stage;
	m.inferred = inferred;
	m.http_status = http_status;
	m.client_records = f->app_records[0];
	m.server_records = f->app_records[1];
	hs_emit_token(ctx, HS_PROTO_CREDSSP, &m, f->init ? f->carrier : HS_PROTO_HTTP);
}

void hs_credssp_flow_settle(hs_credssp_flow *f, hs_app_ctx *ctx, hs_credssp_stage stage, bool inferred)
{
	if (stage == HS_CREDSSP_STAGE_ACCEPTED)
		f->after_auth = true;
	f->stage = stage;
	f->settled = true;
	emit_stage(f, ctx, inferred, 0);
}

void hs_credssp_flow_outcome(hs_credssp_flow *f, hs_app_ctx *ctx, unsigned http_status, bool server_continues)
{
	bool decrypted = hs_credssp_flow_decrypted(f);
	if (!server_continues && http_status == 401 && (!f->init || !f->tls.d[1].records)) {
		/* a 401 without a CredSSP challenge to the client's first leg:
		 * the server does not have CredSSP enabled */
		f->stage = HS_CREDSSP_STAGE_NOT_OFFERED;
	} else if (http_status >= 200 && http_status < 300) {
		/* MS-WSMV 3.1.4.1.2 / MS-CSSP 3.1.5: the server answers the
		 * authInfo leg with the first protected response. */
		advance(f, HS_CREDSSP_STAGE_CREDENTIALS_SENT);
		f->stage = HS_CREDSSP_STAGE_ACCEPTED;
		f->after_auth = true;
	} else if (!server_continues && http_status >= 400) {
		f->stage = HS_CREDSSP_STAGE_REFUSED;
	}
	emit_stage(f, ctx, !decrypted, http_status);
}

void hs_credssp_flow_gap(hs_credssp_flow *f, hs_app_ctx *ctx)
{
	int dir = ctx->dir & 1;
	if (!f->init)
		return;
	hs_tls_conn_gap(&f->tls, ctx);
	if (f->rec[dir])
		g_byte_array_set_size(f->rec[dir], 0);
	if (f->pdu[dir])
		g_byte_array_set_size(f->pdu[dir], 0);
}

void hs_credssp_flow_release(hs_credssp_flow *f)
{
	hs_tls_conn_release(&f->tls);
	for (int i = 0; i < 2; i++) {
		if (f->rec[i])
			g_byte_array_free(f->rec[i], TRUE);
		if (f->pdu[i])
			g_byte_array_free(f->pdu[i], TRUE);
		f->rec[i] = f->pdu[i] = NULL;
	}
}

/* CredSSP travels inside TLS (HTTPS WinRM, RDP): no port of its own. */
const hs_proto_def hs_credssp_proto = { .id = HS_PROTO_CREDSSP, .describe = hs_credssp_describe };
