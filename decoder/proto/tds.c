/* tds.c - MS-SQL TDS as a carrier of authentication (see tds.h).
 *
 * References (MS-TDS): 2.2.3.1 (packet header), 2.2.6.4 (LOGIN7), 2.2.6.5
 * (PRELOGIN and the encryption negotiation table), 2.2.7 (token stream:
 * 2.2.7.10 ERROR, 2.2.7.13 INFO, 2.2.7.14 LOGINACK, 2.2.7.22 SSPI, 2.2.7.6
 * DONE), 3.2.5.2-3 (TLS handshake carried in PRELOGIN packets, then the
 * LOGIN7 sent as TLS records straight on TCP).
 */
#include "tds.h"

#include <glib.h>
#include <string.h>

#include "gss.h"
#include "ntlm.h"

const char *hs_tds_type_name(uint8_t t)
{
	switch (t) {
	case HS_TDS_SQL_BATCH: return "SQL_BATCH";
	case HS_TDS_PRE_TDS7_LOGIN: return "PRE_TDS7_LOGIN";
	case HS_TDS_RPC: return "RPC";
	case HS_TDS_TABULAR_RESULT: return "TABULAR_RESULT";
	case HS_TDS_ATTENTION: return "ATTENTION";
	case HS_TDS_BULK_LOAD: return "BULK_LOAD";
	case HS_TDS_FEDAUTH_TOKEN: return "FEDAUTH_TOKEN";
	case HS_TDS_TRANSACTION_MANAGER: return "TRANSACTION_MANAGER";
	case HS_TDS_LOGIN7: return "LOGIN7";
	case HS_TDS_SSPI: return "SSPI";
	case HS_TDS_PRELOGIN: return "PRELOGIN";
	default: return "unknown";
	}
}

const char *hs_tds_encryption_name(uint8_t e)
{
	switch (e & 0x0f) {
	case HS_TDS_ENCRYPT_OFF: return "ENCRYPT_OFF";
	case HS_TDS_ENCRYPT_ON: return "ENCRYPT_ON";
	case HS_TDS_ENCRYPT_NOT_SUP: return "ENCRYPT_NOT_SUP";
	case HS_TDS_ENCRYPT_REQ: return "ENCRYPT_REQ";
	default: return "unknown";
	}
}

static bool known_type(uint8_t t)
{
	switch (t) {
	case 0x01: case 0x02: case 0x03: case 0x04: case 0x06: case 0x07: case 0x08:
	case 0x0e: case 0x10: case 0x11: case 0x12:
		return true;
	default:
		return false;
	}
}

bool hs_tds_is_tls(const uint8_t *p, size_t len)
{
	return len >= 2 && p[0] >= 0x14 && p[0] <= 0x17 && p[1] == 0x03;
}

hs_parse_result hs_tds_packet(const uint8_t *p, size_t len, uint8_t *type, uint8_t *status)
{
	if (len < 1)
		return hs_parse_incomplete(HS_TDS_HEADER);
	if (!known_type(p[0]))
		return hs_parse_error(HS_E_MALFORMED);
	if (len < 4)
		return hs_parse_incomplete(HS_TDS_HEADER);
	size_t pl = ((size_t)p[2] << 8) | p[3];
	if (pl < HS_TDS_HEADER)
		return hs_parse_error(HS_E_MALFORMED);
	if (len < pl)
		return hs_parse_incomplete(pl);
	*type = p[0];
	*status = p[1];
	return hs_parse_ok(pl);
}

/* ---- PRELOGIN (2.2.6.5) ------------------------------------------------ */

static hs_err decode_prelogin(const uint8_t *p, size_t len, hs_tds_msg *m)
{
	if (hs_tds_is_tls(p, len)) {
		m->tls_handshake = true;
		return HS_OK;
	}
	hs_slice all = { p, len };
	hs_cur c = hs_cur_make(p, len);
	for (unsigned i = 0; i < 32; i++) {
		uint8_t tok = hs_cur_u8(&c);
		if (!hs_cur_ok(&c))
			return c.err;
		if (tok == 0xff)
			return HS_OK;
		uint16_t off = hs_cur_u16be(&c), n = hs_cur_u16be(&c);
		if (!hs_cur_ok(&c))
			return c.err;
		hs_slice v = hs_slice_at(all, off, n);
		if (n && !v.p)
			return off > len ? HS_E_MALFORMED : HS_E_TRUNCATED;
		hs_cur vc = hs_cur_make(v.p, v.len);
		switch (tok) {
		case 0: /* VERSION: UL_VERSION (major, minor, build BE), US_SUBBUILD */
			m->ver_major = hs_cur_u8(&vc);
			m->ver_minor = hs_cur_u8(&vc);
			m->ver_build = hs_cur_u16be(&vc);
			m->ver_sub = hs_cur_u16be(&vc);
			m->has_version = hs_cur_ok(&vc);
			break;
		case 1:
			m->encryption = hs_cur_u8(&vc);
			m->has_encryption = hs_cur_ok(&vc);
			break;
		case 2:
			m->instance = v;
			break;
		case 4:
			m->mars = hs_cur_u8(&vc);
			m->has_mars = hs_cur_ok(&vc);
			break;
		case 6:
			m->fedauth_required = hs_cur_u8(&vc);
			m->has_fedauth_required = hs_cur_ok(&vc);
			break;
		default:
			break;
		}
	}
	return HS_E_LIMIT;
}

/* ---- LOGIN7 (2.2.6.4) ------------------------------------------------- */

/* (offset, count of UTF-16 characters) at the cursor -> slice of p. */
static hs_err login_string(hs_cur *c, hs_slice all, hs_slice *out, hs_err e)
{
	uint16_t ib = hs_cur_u16le(c), cch = hs_cur_u16le(c);
	if (!hs_cur_ok(c) || cch == 0)
		return e;
	hs_slice s = hs_slice_at(all, ib, (size_t)cch * 2);
	if (!s.p)
		return e != HS_OK ? e : HS_E_MALFORMED;
	*out = s;
	return e;
}

static hs_err decode_login7(const uint8_t *p, size_t len, hs_tds_msg *m)
{
	hs_slice all = { p, len };
	hs_cur c = hs_cur_make(p, len);
	uint32_t total = hs_cur_u32le(&c);
	m->tds_version = hs_cur_u32le(&c);
	m->packet_size = hs_cur_u32le(&c);
	hs_cur_skip(&c, 4 + 4 + 4);          /* ClientProgVer, ClientPID, ConnectionID */
	m->option_flags1 = hs_cur_u8(&c);
	m->option_flags2 = hs_cur_u8(&c);
	m->type_flags = hs_cur_u8(&c);
	m->option_flags3 = hs_cur_u8(&c);
	hs_cur_skip(&c, 4 + 4);              /* ClientTimeZone, ClientLCID */
	if (!hs_cur_ok(&c))
		return c.err;
	m->integrated = m->option_flags2 & 0x80; /* fIntSecurity */
	if (total > len)
		return HS_E_TRUNCATED;
	all.len = total;
	hs_err e = HS_OK;
	e = login_string(&c, all, &m->host, e);
	e = login_string(&c, all, &m->user, e);
	e = login_string(&c, all, &m->password, e);
	e = login_string(&c, all, &m->app, e);
	e = login_string(&c, all, &m->server, e);
	hs_cur_skip(&c, 4);                  /* ibExtension / cbExtension (FeatureExt) */
	e = login_string(&c, all, &m->library, e);
	e = login_string(&c, all, &m->language, e);
	e = login_string(&c, all, &m->database, e);
	hs_cur_skip(&c, 6);                  /* ClientID */
	uint16_t ib_sspi = hs_cur_u16le(&c), cb_sspi = hs_cur_u16le(&c);
	hs_cur_skip(&c, 4);                  /* ibAtchDBFile, cchAtchDBFile */
	if (!hs_cur_ok(&c))
		return e != HS_OK ? e : c.err;
	uint32_t cb = cb_sspi;
	if (c.len >= 8) { /* TDS 7.2+: ibChangePassword, cchChangePassword, cbSSPILong */
		e = login_string(&c, all, &m->change_password, e);
		uint32_t lng = hs_cur_u32le(&c);
		if (cb_sspi == 0xffff)
			cb = lng;
	}
	if (cb) {
		hs_slice s = hs_slice_at(all, ib_sspi, cb);
		if (!s.p)
			return HS_E_MALFORMED;
		m->sspi = s;
		m->has_sspi = true;
	}
	return e;
}

/* ---- token stream (2.2.7) ---------------------------------------------- */

static hs_slice b_varchar(hs_cur *c)
{
	uint8_t n = hs_cur_u8(c);
	return hs_cur_slice(c, (size_t)n * 2);
}

static hs_slice us_varchar(hs_cur *c)
{
	uint16_t n = hs_cur_u16le(c);
	return hs_cur_slice(c, (size_t)n * 2);
}

static hs_err decode_tokens(const uint8_t *p, size_t len, uint32_t ver, hs_tds_msg *m)
{
	hs_cur c = hs_cur_make(p, len);
	bool v72 = ver == 0 || ver >= 0x72000000u || (ver & 0xff) >= 0x72; /* either byte order */
	while (c.len && hs_cur_ok(&c)) {
		uint8_t t = hs_cur_u8(&c);
		switch (t) {
		case 0xaa: /* ERROR */
		case 0xab: { /* INFO */
			uint16_t n = hs_cur_u16le(&c);
			hs_cur b = hs_cur_sub(&c, n);
			if (!hs_cur_ok(&c))
				return c.err;
			hs_tds_error er;
			memset(&er, 0, sizeof er);
			er.info = t == 0xab;
			er.number = hs_cur_u32le(&b);
			er.state = hs_cur_u8(&b);
			er.cls = hs_cur_u8(&b);
			er.text = us_varchar(&b);
			er.server = b_varchar(&b);
			er.proc = b_varchar(&b);
			er.line = b.len >= 4 ? hs_cur_u32le(&b) : hs_cur_u16le(&b);
			if (!hs_cur_ok(&b))
				return HS_E_MALFORMED;
			if (m->n_errors < HS_TDS_MAX_ERRORS)
				m->errors[m->n_errors++] = er;
			else
				m->errors_more++;
			break;
		}
		case 0xad: { /* LOGINACK */
			uint16_t n = hs_cur_u16le(&c);
			hs_cur b = hs_cur_sub(&c, n);
			if (!hs_cur_ok(&c))
				return c.err;
			m->interface = hs_cur_u8(&b);
			m->tds_version = hs_cur_u32be(&b);
			m->prog_name = b_varchar(&b);
			m->prog_major = hs_cur_u8(&b);
			m->prog_minor = hs_cur_u8(&b);
			m->prog_build = hs_cur_u16be(&b);
			if (!hs_cur_ok(&b))
				return HS_E_MALFORMED;
			m->has_loginack = true;
			v72 = m->tds_version >= 0x72000000u;
			break;
		}
		case 0xed: { /* SSPI */
			uint16_t n = hs_cur_u16le(&c);
			m->sspi = hs_cur_slice(&c, n);
			m->has_sspi = hs_cur_ok(&c);
			break;
		}
		case 0xe3: /* ENVCHANGE */
		case 0xa9: /* ORDER */
		case 0xa5: /* COLINFO */
		case 0xa4: /* TABNAME */
		case 0xa6: { /* SESSIONSTATE (old numbering) - length-prefixed tokens */
			uint16_t n = hs_cur_u16le(&c);
			hs_cur_skip(&c, n);
			break;
		}
		case 0xe4: /* SESSIONSTATE */
		case 0xee: { /* FEDAUTHINFO */
			uint32_t n = hs_cur_u32le(&c);
			if (n > c.len)
				return HS_E_TRUNCATED;
			hs_cur_skip(&c, n);
			break;
		}
		case 0xae: /* FEATUREEXTACK: { FeatureId, DWORD len, data } ... 0xFF */
			for (unsigned i = 0; i < 64 && hs_cur_ok(&c); i++) {
				uint8_t id = hs_cur_u8(&c);
				if (id == 0xff)
					break;
				uint32_t n = hs_cur_u32le(&c);
				if (hs_cur_ok(&c) && n > c.len)
					return HS_E_TRUNCATED;
				hs_cur_skip(&c, n);
			}
			break;
		case 0x79: /* RETURNSTATUS */
			hs_cur_skip(&c, 4);
			break;
		case 0xfd: /* DONE */
		case 0xfe: /* DONEPROC */
		case 0xff: /* DONEINPROC */
			m->done_status = hs_cur_u16le(&c);
			hs_cur_skip(&c, v72 ? 2 + 8 : 2 + 4);
			m->has_done = hs_cur_ok(&c);
			break;
		default:
			/* Result-set tokens (COLMETADATA ...) need the column
			 * metadata to be walked: not a login response's business. */
			m->undecoded_token = t;
			return HS_OK;
		}
	}
	return c.err;
}

hs_err hs_tds_decode(hs_tds_kind kind, const uint8_t *p, size_t len, uint32_t ver, hs_tds_msg *m)
{
	m->kind = kind;
	switch (kind) {
	case HS_TDS_KIND_PRELOGIN:
	case HS_TDS_KIND_PRELOGIN_RESPONSE:
		return decode_prelogin(p, len, m);
	case HS_TDS_KIND_LOGIN7:
		return decode_login7(p, len, m);
	case HS_TDS_KIND_SSPI:
		m->sspi.p = p;
		m->sspi.len = len;
		m->has_sspi = len > 0;
		return HS_OK;
	case HS_TDS_KIND_LOGIN_RESPONSE:
		return decode_tokens(p, len, ver, m);
	default:
		return HS_OK;
	}
}

/* ---- describe --------------------------------------------------------- */

static void out_utf16(hs_out *o, const char *key, hs_slice s)
{
	char buf[1024];
	size_t n = hs_ntlm_text(s, true, buf, sizeof buf);
	hs_out_str(o, key, buf, n);
}

static const char *kind_name(hs_tds_kind k)
{
	switch (k) {
	case HS_TDS_KIND_PRELOGIN: return "prelogin";
	case HS_TDS_KIND_PRELOGIN_RESPONSE: return "prelogin_response";
	case HS_TDS_KIND_LOGIN7: return "login7";
	case HS_TDS_KIND_SSPI: return "sspi";
	case HS_TDS_KIND_LOGIN_RESPONSE: return "login_response";
	case HS_TDS_KIND_TLS: return "tls";
	default: return "other";
	}
}

void hs_tds_describe(const void *body, hs_out *o, unsigned flags)
{
	const hs_tds_msg *m = body;
	hs_out_cstr(o, "kind", kind_name(m->kind));
	if (m->kind == HS_TDS_KIND_TLS) {
		hs_out_bool(o, "tls", true);
		return;
	}
	hs_out_cstr(o, "type", hs_tds_type_name(m->type));
	hs_out_uint(o, "type_code", m->type);
	hs_out_uint(o, "length", m->length);
	if (m->packets > 1)
		hs_out_uint(o, "packets", m->packets);
	if (m->too_big)
		hs_out_bool(o, "too_big", true);
	switch (m->kind) {
	case HS_TDS_KIND_PRELOGIN:
	case HS_TDS_KIND_PRELOGIN_RESPONSE:
		if (m->tls_handshake) {
			hs_out_bool(o, "tls_handshake", true);
			break;
		}
		if (m->has_version)
			hs_out_fmt(o, "version", "%u.%u.%u.%u", m->ver_major, m->ver_minor, m->ver_build, m->ver_sub);
		if (m->has_encryption) {
			hs_out_cstr(o, "encryption", hs_tds_encryption_name(m->encryption));
			if (m->encryption & 0x80)
				hs_out_bool(o, "client_cert", true);
		}
		if (m->kind == HS_TDS_KIND_PRELOGIN_RESPONSE)
			hs_out_bool(o, "tls", m->tls);
		if (m->instance.len > 1)
			hs_out_str(o, "instance", m->instance.p,
				   m->instance.p[m->instance.len - 1] ? m->instance.len : m->instance.len - 1);
		if (m->has_mars)
			hs_out_bool(o, "mars", m->mars);
		if (m->has_fedauth_required)
			hs_out_bool(o, "fedauth_required", m->fedauth_required);
		break;
	case HS_TDS_KIND_LOGIN7:
		hs_out_fmt(o, "tds_version", "0x%08x", m->tds_version);
		hs_out_bool(o, "integrated_security", m->integrated);
		out_utf16(o, "user", m->user);
		out_utf16(o, "host", m->host);
		out_utf16(o, "app", m->app);
		out_utf16(o, "server", m->server);
		out_utf16(o, "library", m->library);
		out_utf16(o, "database", m->database);
		hs_out_bool(o, "password_present", m->password.len > 0);
		if (m->change_password.len)
			hs_out_bool(o, "change_password_present", true);
		if ((flags & HS_DESCRIBE_SECRETS) && m->password.len) {
			/* 2.2.6.4: each byte had its nibbles swapped then was XORed
			 * with 0xA5; undo in reverse order. */
			uint8_t pw[512];
			size_t n = m->password.len < sizeof pw ? m->password.len : sizeof pw;
			for (size_t i = 0; i < n; i++) {
				uint8_t b = m->password.p[i] ^ 0xa5;
				pw[i] = (uint8_t)((b << 4) | (b >> 4));
			}
			hs_slice s = { pw, n };
			out_utf16(o, "password", s);
		}
		if (m->has_sspi)
			hs_out_uint(o, "sspi_len", m->sspi.len);
		break;
	case HS_TDS_KIND_SSPI:
		hs_out_uint(o, "sspi_len", m->sspi.len);
		break;
	case HS_TDS_KIND_LOGIN_RESPONSE:
		if (m->n_errors) {
			hs_out_begin_list(o, "errors");
			for (unsigned i = 0; i < m->n_errors; i++) {
				const hs_tds_error *e = &m->errors[i];
				hs_out_begin(o, NULL);
				hs_out_cstr(o, "token", e->info ? "INFO" : "ERROR");
				hs_out_uint(o, "number", e->number);
				hs_out_uint(o, "state", e->state);
				hs_out_uint(o, "class", e->cls);
				out_utf16(o, "message", e->text);
				out_utf16(o, "server", e->server);
				if (e->proc.len)
					out_utf16(o, "proc", e->proc);
				hs_out_uint(o, "line", e->line);
				hs_out_end(o);
			}
			hs_out_end_list(o);
			if (m->errors_more)
				hs_out_uint(o, "errors_more", m->errors_more);
		}
		if (m->has_loginack) {
			hs_out_begin(o, "login_ack");
			hs_out_fmt(o, "tds_version", "0x%08x", m->tds_version);
			out_utf16(o, "program", m->prog_name);
			hs_out_fmt(o, "version", "%u.%u.%u", m->prog_major, m->prog_minor, m->prog_build);
			hs_out_end(o);
		}
		if (m->has_sspi)
			hs_out_uint(o, "sspi_len", m->sspi.len);
		if (m->has_done)
			hs_out_uint(o, "done_status", m->done_status);
		hs_out_bool(o, "login_ok", m->has_loginack);
		break;
	default:
		break;
	}
}

/* ---- the engine's parser ---------------------------------------------- */

typedef struct tds_acc {
	bool active;          /* a message being consumed packet by packet */
	bool too_big;
	uint8_t type;
	uint16_t spid;
	uint32_t length;
	unsigned packets;
	uint8_t kind;
} tds_acc;

typedef struct tds_state {
	bool have_client_enc;
	uint8_t client_enc;
	bool prelogin_pending;
	bool login_done;
	bool tls_reported[2];
	uint32_t tds_version;
	tds_acc acc[2];
} tds_state;

static hs_tds_kind classify(const tds_state *s, uint8_t type)
{
	switch (type) {
	case HS_TDS_PRELOGIN: return HS_TDS_KIND_PRELOGIN;
	case HS_TDS_LOGIN7: return HS_TDS_KIND_LOGIN7;
	case HS_TDS_SSPI: return HS_TDS_KIND_SSPI;
	case HS_TDS_TABULAR_RESULT:
		if (s->prelogin_pending)
			return HS_TDS_KIND_PRELOGIN_RESPONSE;
		return s->login_done ? HS_TDS_KIND_OTHER : HS_TDS_KIND_LOGIN_RESPONSE;
	default:
		return HS_TDS_KIND_OTHER;
	}
}

static void after_decode(hs_app_ctx *ctx, hs_tds_msg *m, hs_err e)
{
	tds_state *s = ctx->state;
	switch (m->kind) {
	case HS_TDS_KIND_PRELOGIN:
		if (!m->tls_handshake && e == HS_OK) {
			s->prelogin_pending = true;
			s->have_client_enc = m->has_encryption;
			s->client_enc = m->encryption & 0x0f;
		}
		break;
	case HS_TDS_KIND_PRELOGIN_RESPONSE:
		s->prelogin_pending = false;
		/* 2.2.6.5: unless one side says ENCRYPT_NOT_SUP, at least the
		 * LOGIN7 travels inside TLS. */
		m->tls = m->has_encryption && (m->encryption & 0x0f) != HS_TDS_ENCRYPT_NOT_SUP &&
			 !(s->have_client_enc && s->client_enc == HS_TDS_ENCRYPT_NOT_SUP);
		break;
	case HS_TDS_KIND_LOGIN_RESPONSE:
		if (m->has_loginack) {
			s->login_done = true;
			s->tds_version = m->tds_version;
		} else if (m->has_done && !(m->done_status & 0x1)) {
			s->login_done = true; /* final DONE without LOGINACK: login failed */
		}
		break;
	default:
		break;
	}
	hs_emit(ctx, HS_PROTO_TDS, m);
	if (e != HS_OK)
		hs_report_anomaly(ctx, HS_ANOM_MALFORMED_TDS, "%s message: %s", hs_tds_type_name(m->type), hs_err_name(e));
	if (m->has_sspi && m->sspi.len && (e == HS_OK || m->kind == HS_TDS_KIND_LOGIN_RESPONSE))
		hs_gss_emit(ctx, HS_PROTO_TDS, m->sspi.p, m->sspi.len);
}

static hs_parse_result tds_stream(hs_app_ctx *ctx, const uint8_t *data, size_t len)
{
	tds_state *s = ctx->state;
	uint8_t d = ctx->dir & 1;
	tds_acc *acc = &s->acc[d];
	hs_tds_msg m;

	if (!acc->active && len == 1 && data[0] >= 0x14 && data[0] <= 0x17)
		return hs_parse_incomplete(5); /* maybe a TLS record: see its second byte */
	if (!acc->active && hs_tds_is_tls(data, len)) {
		if (len < 5)
			return hs_parse_incomplete(5);
		size_t n = 5 + (((size_t)data[3] << 8) | data[4]);
		if (len < n)
			return hs_parse_incomplete(n);
		if (!s->tls_reported[d]) {
			s->tls_reported[d] = true;
			memset(&m, 0, sizeof m);
			m.kind = HS_TDS_KIND_TLS;
			hs_emit(ctx, HS_PROTO_TDS, &m);
		}
		return hs_parse_ok(n);
	}

	uint8_t type = 0, status = 0;
	hs_parse_result r = hs_tds_packet(data, len, &type, &status);
	if (r.status != HS_PARSE_OK)
		return r;
	bool eom = status & 0x01;

	if (acc->active) { /* continuation of a message taken packet by packet */
		acc->length += (uint32_t)(r.consumed - HS_TDS_HEADER);
		acc->packets++;
		if (eom) {
			memset(&m, 0, sizeof m);
			m.kind = (hs_tds_kind)acc->kind;
			m.type = acc->type;
			m.spid = acc->spid;
			m.length = acc->length;
			m.packets = acc->packets;
			m.too_big = acc->too_big;
			acc->active = false;
			hs_emit(ctx, HS_PROTO_TDS, &m);
		}
		return r;
	}

	hs_tds_kind kind = classify(s, type);
	/* Walk the packets of the message up to EOM (all must be present);
	 * the decision depends only on header bytes, so any segmentation of
	 * the stream gives the same result. */
	size_t off = 0, payload = 0;
	unsigned packets = 0;
	bool big = false;
	if (kind != HS_TDS_KIND_OTHER) {
		for (;;) {
			uint8_t t2, st2;
			hs_parse_result q = hs_tds_packet(data + off, len - off, &t2, &st2);
			if (q.status == HS_PARSE_INCOMPLETE)
				return hs_parse_incomplete(off + (q.needed ? q.needed : HS_TDS_HEADER));
			if (q.status == HS_PARSE_ERROR)
				return q;
			payload += q.consumed - HS_TDS_HEADER;
			packets++;
			if (payload > HS_TDS_MAX_MESSAGE) {
				big = true;
				break;
			}
			off += q.consumed;
			if (st2 & 0x01)
				break;
		}
	}
	if (kind == HS_TDS_KIND_OTHER || big) {
		memset(acc, 0, sizeof *acc);
		acc->type = type;
		acc->spid = (uint16_t)((data[4] << 8) | data[5]);
		acc->kind = (uint8_t)(big ? kind : HS_TDS_KIND_OTHER);
		acc->too_big = big;
		acc->active = true;
		acc->length = (uint32_t)(r.consumed - HS_TDS_HEADER);
		acc->packets = 1;
		if (eom) {
			memset(&m, 0, sizeof m);
			m.kind = (hs_tds_kind)acc->kind;
			m.type = type;
			m.spid = acc->spid;
			m.length = acc->length;
			m.packets = 1;
			m.too_big = big;
			acc->active = false;
			hs_emit(ctx, HS_PROTO_TDS, &m);
		}
		return r;
	}

	/* A message of several packets is joined in a buffer of its size that
	 * lives for this call only (at most HS_TDS_MAX_MESSAGE): an idle flow
	 * holds no scratch space. */
	const uint8_t *pl;
	uint8_t *joined = NULL;
	if (packets == 1) {
		pl = data + HS_TDS_HEADER;
	} else {
		size_t at = 0, w = 0;
		joined = g_malloc(payload);
		while (at < off) {
			size_t n = ((size_t)data[at + 2] << 8) | data[at + 3];
			memcpy(joined + w, data + at + HS_TDS_HEADER, n - HS_TDS_HEADER);
			w += n - HS_TDS_HEADER;
			at += n;
		}
		pl = joined;
	}
	memset(&m, 0, sizeof m);
	m.type = type;
	m.spid = (uint16_t)((data[4] << 8) | data[5]);
	m.length = (uint32_t)payload;
	m.packets = packets;
	hs_err e = hs_tds_decode(kind, pl, payload, s->tds_version, &m);
	after_decode(ctx, &m, e);
	g_free(joined);
	return hs_parse_ok(off);
}

static void tds_gap(hs_app_ctx *ctx)
{
	tds_state *s = ctx->state;
	memset(&s->acc[ctx->dir & 1], 0, sizeof s->acc[0]);
}

const hs_app hs_tds_app = {
	.name = "tds",
	.state_size = sizeof(tds_state),
	.stream = tds_stream,
	.gap = tds_gap,
	.datagram = NULL,
	.close = NULL,
	.malformed = HS_ANOM_MALFORMED_TDS,
};

/* SQL Server's default instance port. */
static const hs_port_def tds_ports[] = {
	{ 6, 1433, &hs_tds_app, HS_CAR_MSSQL },
	{ 0 }
};

static const hs_spn_def tds_spns[] = {
	{ "MSSQLSvc/", HS_CAR_MSSQL, 1433 },
	{ NULL, HS_CAR_OTHER, 0 }
};

/* SQL Server on a named instance's port, by the PRELOGIN exchange that
 * opens every TDS 7+ connection (MS-TDS 2.2.6.5): packet type 0x12 from
 * the client, 0x04 (tabular result) from the server, one packet (status
 * EOM), window 0, and a payload starting with the VERSION option token
 * whose data is 6 bytes. */
static hs_probe_verdict tds_probe(const uint8_t *p, size_t len)
{
	static const uint8_t head[] = { 0x12, 0x01 };
	if (len && p[0] != 0x12 && p[0] != 0x04)
		return HS_PROBE_NO;
	if (len > 1 && p[1] != head[1])
		return HS_PROBE_NO;
	if (len < 13)
		return HS_PROBE_MORE;
	size_t plen = ((size_t)p[2] << 8) | p[3];
	size_t off = ((size_t)p[9] << 8) | p[10];
	bool ok = plen >= 8 + 6 && p[7] == 0 && p[8] == 0x00 && p[11] == 0 && p[12] == 6 && off >= 6 && 8 + off + 6 <= plen;
	if (!ok)
		return HS_PROBE_NO;
	return p[0] == head[0] ? HS_PROBE_CLIENT : HS_PROBE_SERVER;
}

const hs_proto_def hs_tds_proto = {
	.id = HS_PROTO_TDS, .describe = hs_tds_describe, .ports = tds_ports, .spns = tds_spns,
	.probe = tds_probe, .probe_ipproto = 6, .probe_app = &hs_tds_app, .probe_carrier = HS_CAR_MSSQL,
};
