/* tls.c - TLS records and handshake over reassembled streams, the
 * connection state that decrypts them with the key log, and the engine
 * parsers that put TLS under HTTP and LDAP (see tls.h).
 *
 * Fields follow RFC 5246 (TLS 1.2) and RFC 8446 (TLS 1.3); section numbers
 * are given where a rule is applied. */
#include "tls.h"

#include <openssl/bio.h>
#include <openssl/x509.h>
#include <stdio.h>
#include <string.h>


/* ------------------------------------------------------------ records */

bool hs_tls_looks_like_record(const uint8_t *p, size_t len)
{
	return len >= 3 && p[0] >= HS_TLS_CT_CCS && p[0] <= HS_TLS_CT_APPDATA && p[1] == 3 && p[2] <= 4;
}

hs_parse_result hs_tls_record_parse(const uint8_t *p, size_t len, hs_tls_record *r)
{
	if (len < 5) {
		/* reject early what cannot become a record, so that detection
		 * does not wait for bytes that will never fit */
		if ((len >= 1 && (p[0] < HS_TLS_CT_CCS || p[0] > 24)) || (len >= 2 && p[1] != 3))
			return hs_parse_error(HS_E_MALFORMED);
		return hs_parse_incomplete(5);
	}
	if (p[0] < HS_TLS_CT_CCS || p[0] > 24 || p[1] != 3) /* 24: heartbeat (RFC 6520) */
		return hs_parse_error(HS_E_MALFORMED);
	size_t n = (size_t)p[3] << 8 | p[4];
	if (n > HS_TLS_MAX_RECORD)
		return hs_parse_error(HS_E_LIMIT);
	if (len < 5 + n)
		return hs_parse_incomplete(5 + n);
	r->type = p[0];
	r->version = (uint16_t)(p[1] << 8 | p[2]);
	r->fragment.p = p + 5;
	r->fragment.len = n;
	return hs_parse_ok(5 + n);
}

/* ------------------------------------------------------------ names */

const char *hs_tls_version_name(uint16_t v)
{
	switch (v) {
	case 0x0300: return "SSL 3.0";
	case 0x0301: return "TLS 1.0";
	case 0x0302: return "TLS 1.1";
	case 0x0303: return "TLS 1.2";
	case 0x0304: return "TLS 1.3";
	default: return NULL;
	}
}

const char *hs_tls_alert_name(uint8_t d)
{
	/* RFC 8446 6 and RFC 5246 7.2 (the TLS Alerts registry) */
	switch (d) {
	case 0: return "close_notify";
	case 10: return "unexpected_message";
	case 20: return "bad_record_mac";
	case 21: return "decryption_failed";
	case 22: return "record_overflow";
	case 30: return "decompression_failure";
	case 40: return "handshake_failure";
	case 41: return "no_certificate";
	case 42: return "bad_certificate";
	case 43: return "unsupported_certificate";
	case 44: return "certificate_revoked";
	case 45: return "certificate_expired";
	case 46: return "certificate_unknown";
	case 47: return "illegal_parameter";
	case 48: return "unknown_ca";
	case 49: return "access_denied";
	case 50: return "decode_error";
	case 51: return "decrypt_error";
	case 60: return "export_restriction";
	case 70: return "protocol_version";
	case 71: return "insufficient_security";
	case 80: return "internal_error";
	case 86: return "inappropriate_fallback";
	case 90: return "user_canceled";
	case 100: return "no_renegotiation";
	case 109: return "missing_extension";
	case 110: return "unsupported_extension";
	case 111: return "certificate_unobtainable";
	case 112: return "unrecognized_name";
	case 113: return "bad_certificate_status_response";
	case 114: return "bad_certificate_hash_value";
	case 115: return "unknown_psk_identity";
	case 116: return "certificate_required";
	case 120: return "no_application_protocol";
	default: return NULL;
	}
}

const char *hs_tls_handshake_name(uint8_t t)
{
	switch (t) {
	case HS_TLS_HS_HELLO_REQUEST: return "hello_request";
	case HS_TLS_HS_CLIENT_HELLO: return "client_hello";
	case HS_TLS_HS_SERVER_HELLO: return "server_hello";
	case HS_TLS_HS_NEW_SESSION_TICKET: return "new_session_ticket";
	case HS_TLS_HS_END_OF_EARLY_DATA: return "end_of_early_data";
	case HS_TLS_HS_ENCRYPTED_EXTENSIONS: return "encrypted_extensions";
	case HS_TLS_HS_CERTIFICATE: return "certificate";
	case HS_TLS_HS_SERVER_KEY_EXCHANGE: return "server_key_exchange";
	case HS_TLS_HS_CERTIFICATE_REQUEST: return "certificate_request";
	case HS_TLS_HS_SERVER_HELLO_DONE: return "server_hello_done";
	case HS_TLS_HS_CERTIFICATE_VERIFY: return "certificate_verify";
	case HS_TLS_HS_CLIENT_KEY_EXCHANGE: return "client_key_exchange";
	case HS_TLS_HS_FINISHED: return "finished";
	case HS_TLS_HS_KEY_UPDATE: return "key_update";
	default: return NULL;
	}
}

/* --------------------------------------------------------- handshake */

/* RFC 8446 4.1.3: the ServerHello.random of a HelloRetryRequest. */
static const uint8_t hrr_random[32] = {
	0xCF, 0x21, 0xAD, 0x74, 0xE5, 0x9A, 0x61, 0x11, 0xBE, 0x1D, 0x8C, 0x02, 0x1E, 0x65, 0xB8, 0x91,
	0xC2, 0xA2, 0x11, 0x16, 0x7A, 0xBB, 0x8C, 0x5E, 0x07, 0x9E, 0x09, 0xE2, 0xC8, 0xA8, 0x33, 0x9C,
};

/* A vector with a 1/2/3-byte length prefix, as a sub-cursor. */
static hs_cur vec(hs_cur *c, int lenbytes)
{
	size_t n = lenbytes == 1 ? hs_cur_u8(c) : lenbytes == 2 ? hs_cur_u16be(c) : hs_cur_u24be(c);
	return hs_cur_sub(c, n);
}

static bool close_sub(hs_cur *parent, hs_cur *sub)
{
	hs_cur_join(parent, sub);
	if (hs_cur_ok(sub) && sub->len)
		hs_cur_fail(parent, HS_E_TRAILING);
	return hs_cur_ok(parent);
}

static void ext_body(hs_tls_hello *h, uint16_t type, hs_cur *e)
{
	switch (type) {
	case 0: /* server_name (RFC 6066 3) */
		if (!h->server && e->len) {
			hs_cur list = vec(e, 2);
			while (list.len && hs_cur_ok(&list)) {
				uint8_t nt = hs_cur_u8(&list);
				hs_cur name = vec(&list, 2);
				if (nt == 0 && !h->sni.p && hs_cur_ok(&name)) {
					h->sni.p = name.p;
					h->sni.len = name.len;
				}
			}
			hs_cur_join(e, &list);
		}
		hs_cur_skip(e, e->len);
		break;
	case 16: { /* ALPN (RFC 7301 3.1) */
		hs_cur list = vec(e, 2);
		while (list.len && hs_cur_ok(&list)) {
			hs_cur name = vec(&list, 1);
			if (!hs_cur_ok(&name))
				break;
			if (h->nalpn < HS_TLS_MAX_ALPN) {
				h->alpn[h->nalpn].p = name.p;
				h->alpn[h->nalpn++].len = name.len;
			} else {
				h->alpn_more++;
			}
		}
		close_sub(e, &list);
		break;
	}
	case 43: /* supported_versions (RFC 8446 4.2.1) */
		if (h->server) {
			h->selected_version = hs_cur_u16be(e);
		} else {
			hs_cur list = vec(e, 1);
			while (list.len >= 2) {
				uint16_t v = hs_cur_u16be(&list);
				if (h->nversions < HS_TLS_MAX_VERSIONS)
					h->versions[h->nversions++] = v;
			}
			close_sub(e, &list);
		}
		break;
	case 41: /* pre_shared_key (RFC 8446 4.2.11) */
		h->psk = true;
		if (h->server) {
			h->psk_selected = hs_cur_u16be(e);
		} else {
			hs_cur ids = vec(e, 2);
			while (ids.len && hs_cur_ok(&ids)) {
				(void)vec(&ids, 2);
				hs_cur_skip(&ids, 4); /* obfuscated_ticket_age */
				h->psk_identities++;
			}
			hs_cur_join(e, &ids);
			hs_cur_skip(e, e->len); /* binders */
		}
		break;
	case 35: /* SessionTicket (RFC 5077 3.2) */
		h->session_ticket = true;
		h->ticket_len = e->len;
		hs_cur_skip(e, e->len);
		break;
	case 22: /* encrypt_then_mac (RFC 7366) */
		h->etm = true;
		break;
	case 23: /* extended_master_secret (RFC 7627) */
		h->ems = true;
		break;
	case 42: /* early_data */
		h->early_data = true;
		hs_cur_skip(e, e->len);
		break;
	case 51: /* key_share (RFC 8446 4.2.8) */
		if (h->server) {
			h->key_share_group = hs_cur_u16be(e);
		} else {
			hs_cur list = vec(e, 2);
			if (list.len >= 2)
				h->key_share_group = hs_cur_u16be(&list);
			hs_cur_join(e, &list);
		}
		hs_cur_skip(e, e->len);
		break;
	case 0xff01: /* renegotiation_info (RFC 5746) */
		h->reneg_info = true;
		hs_cur_skip(e, e->len);
		break;
	default:
		hs_cur_skip(e, e->len);
	}
}

static void extensions(hs_tls_hello *h, hs_cur *c)
{
	if (!c->len)
		return; /* extensions are optional before TLS 1.3 */
	hs_cur exts = vec(c, 2);
	while (exts.len && hs_cur_ok(&exts)) {
		uint16_t type = hs_cur_u16be(&exts);
		hs_cur e = vec(&exts, 2);
		if (!hs_cur_ok(&e))
			break;
		if (h->next < HS_TLS_MAX_EXT)
			h->ext[h->next++] = type;
		else
			h->ext_more++;
		ext_body(h, type, &e);
		if (hs_cur_ok(&e) && e.len)
			hs_cur_fail(&e, HS_E_TRAILING);
		hs_cur_join(&exts, &e);
	}
	close_sub(c, &exts);
}

hs_err hs_tls_hello_parse(const uint8_t *p, size_t len, bool server, hs_tls_hello *h)
{
	memset(h, 0, sizeof *h);
	h->server = server;
	hs_cur c = hs_cur_make(p, len);
	h->legacy_version = hs_cur_u16be(&c);
	h->random = hs_cur_bytes(&c, 32);
	hs_cur sid = vec(&c, 1);
	if (hs_cur_ok(&sid) && sid.len <= 32) {
		h->session_id.p = sid.p;
		h->session_id.len = sid.len;
	} else if (hs_cur_ok(&sid)) {
		hs_cur_fail(&c, HS_E_MALFORMED); /* RFC 8446 4.1.2: opaque legacy_session_id<0..32> */
	}
	if (server) {
		h->suite = hs_cur_u16be(&c);
		hs_cur_skip(&c, 1); /* legacy_compression_method */
		h->hrr = h->random && memcmp(h->random, hrr_random, 32) == 0;
	} else {
		hs_cur cs = vec(&c, 2);
		while (cs.len >= 2) {
			uint16_t s = hs_cur_u16be(&cs);
			if (h->nsuites < HS_TLS_MAX_SUITES)
				h->suites[h->nsuites++] = s;
			else
				h->suites_more++;
			if (s == 0x00ff)
				h->reneg_info = true;
		}
		close_sub(&c, &cs);
		hs_cur comp = vec(&c, 1);
		hs_cur_join(&c, &comp);
	}
	if (hs_cur_ok(&c))
		extensions(h, &c);
	if (hs_cur_ok(&c) && c.len)
		return HS_E_TRAILING;
	return c.err;
}

hs_err hs_tls_encrypted_extensions_parse(const uint8_t *p, size_t len, hs_tls_hello *h)
{
	memset(h, 0, sizeof *h);
	h->server = true;
	hs_cur c = hs_cur_make(p, len);
	if (len < 2)
		return HS_E_TRUNCATED;
	extensions(h, &c);
	if (hs_cur_ok(&c) && c.len)
		return HS_E_TRAILING;
	return c.err;
}

/* X509_NAME as RFC 2253 text into buf (sanitised: printable ASCII). */
static void name_text(const X509_NAME *n, char *buf, size_t size)
{
	buf[0] = 0;
	BIO *b = BIO_new(BIO_s_mem());
	if (!b)
		return;
	if (X509_NAME_print_ex(b, n, 0, XN_FLAG_RFC2253) >= 0) {
		char *data;
		long len = BIO_get_mem_data(b, &data);
		size_t k = 0;
		for (long i = 0; i < len && k + 1 < size; i++)
			buf[k++] = (data[i] >= 0x20 && data[i] < 0x7f) ? data[i] : '?';
		buf[k] = 0;
	}
	BIO_free(b);
}

hs_err hs_tls_certificate_parse(const uint8_t *p, size_t len, bool tls13, hs_tls_cert *cert)
{
	memset(cert, 0, sizeof *cert);
	hs_cur c = hs_cur_make(p, len);
	if (tls13) {
		hs_cur ctx = vec(&c, 1); /* certificate_request_context */
		hs_cur_join(&c, &ctx);
	}
	hs_cur list = vec(&c, 3);
	while (list.len && hs_cur_ok(&list)) {
		hs_cur der = vec(&list, 3);
		if (tls13) {
			hs_cur ext = vec(&list, 2);
			hs_cur_join(&list, &ext);
		}
		if (!hs_cur_ok(&der))
			break;
		if (cert->ncerts++ == 0) {
			cert->first_len = der.len;
			const unsigned char *q = der.p;
			X509 *x = d2i_X509(NULL, &q, (long)der.len);
			if (x) {
				cert->decoded = true;
				name_text(X509_get_subject_name(x), cert->subject, sizeof cert->subject);
				name_text(X509_get_issuer_name(x), cert->issuer, sizeof cert->issuer);
				cert->self_signed = X509_NAME_cmp(X509_get_subject_name(x), X509_get_issuer_name(x)) == 0;
				X509_free(x);
			}
		}
	}
	close_sub(&c, &list);
	if (hs_cur_ok(&c) && c.len)
		return HS_E_TRAILING;
	return c.err;
}

/* ---------------------------------------------------------- describe */

static void out_version(hs_out *o, const char *key, uint16_t v)
{
	const char *n = hs_tls_version_name(v);
	if (n)
		hs_out_cstr(o, key, n);
	else
		hs_out_fmt(o, key, "0x%04x", v);
}

static void out_suite(hs_out *o, const char *key, uint16_t s)
{
	const char *n = hs_tls_suite_name(s);
	if (n)
		hs_out_cstr(o, key, n);
	else
		hs_out_fmt(o, key, "0x%04x", s);
}

static void describe_hello(const hs_tls_hello *h, uint8_t type, hs_out *o)
{
	if (type == HS_TLS_HS_CLIENT_HELLO) {
		out_version(o, "client_version", h->legacy_version);
		if (h->sni.p)
			hs_out_slice(o, "sni", h->sni);
		hs_out_begin_list(o, "cipher_suites");
		for (size_t i = 0; i < h->nsuites; i++)
			out_suite(o, NULL, h->suites[i]);
		hs_out_end_list(o);
		if (h->suites_more)
			hs_out_uint(o, "cipher_suites_more", h->suites_more);
		if (h->nversions) {
			hs_out_begin_list(o, "supported_versions");
			for (size_t i = 0; i < h->nversions; i++)
				out_version(o, NULL, h->versions[i]);
			hs_out_end_list(o);
		}
		if (h->psk)
			hs_out_uint(o, "psk_identities", h->psk_identities);
		if (h->session_ticket)
			hs_out_uint(o, "session_ticket_len", h->ticket_len);
		if (h->early_data)
			hs_out_bool(o, "early_data", true);
	} else if (type == HS_TLS_HS_SERVER_HELLO) {
		out_version(o, "server_version", h->selected_version ? h->selected_version : h->legacy_version);
		out_suite(o, "cipher_suite", h->suite);
		hs_out_fmt(o, "cipher_suite_id", "0x%04x", h->suite);
		if (h->hrr)
			hs_out_bool(o, "hello_retry_request", true);
		if (h->psk)
			hs_out_uint(o, "psk_selected", h->psk_selected);
		if (h->session_ticket)
			hs_out_bool(o, "session_ticket", true);
	}
	if (type != HS_TLS_HS_ENCRYPTED_EXTENSIONS)
		hs_out_uint(o, "session_id_len", h->session_id.len);
	if (h->nalpn) {
		hs_out_begin_list(o, "alpn");
		for (size_t i = 0; i < h->nalpn; i++)
			hs_out_slice(o, NULL, h->alpn[i]);
		hs_out_end_list(o);
	}
	if (h->etm)
		hs_out_bool(o, "encrypt_then_mac", true);
	if (h->ems)
		hs_out_bool(o, "extended_master_secret", true);
	if (h->key_share_group)
		hs_out_fmt(o, "key_share_group", "0x%04x", h->key_share_group);
	hs_out_begin_list(o, "extensions");
	for (size_t i = 0; i < h->next; i++)
		hs_out_uint(o, NULL, h->ext[i]);
	hs_out_end_list(o);
}

void hs_tls_describe(const void *body, hs_out *o, unsigned flags)
{
	(void)flags; /* no secret is ever kept in a message */
	const hs_tls_msg *m = body;
	switch (m->kind) {
	case HS_TLS_MSG_HANDSHAKE: {
		const char *n = hs_tls_handshake_name(m->hs_type);
		if (n)
			hs_out_cstr(o, "tls_msg", n);
		else
			hs_out_fmt(o, "tls_msg", "handshake_%u", m->hs_type);
		break;
	}
	case HS_TLS_MSG_ALERT:
		hs_out_cstr(o, "tls_msg", "alert");
		break;
	case HS_TLS_MSG_CCS:
		hs_out_cstr(o, "tls_msg", "change_cipher_spec");
		break;
	case HS_TLS_MSG_UNDECRYPTED:
		hs_out_cstr(o, "tls_msg", "undecrypted");
		break;
	}
	if (m->version)
		out_version(o, "version", m->version);
	if (m->suite && m->kind != HS_TLS_MSG_HANDSHAKE)
		out_suite(o, "cipher_suite", m->suite);
	hs_out_bool(o, "decrypted", m->decrypted);
	if (m->kind == HS_TLS_MSG_HANDSHAKE) {
		hs_out_uint(o, "length", m->hs_len);
		if (m->hello)
			describe_hello(m->hello, m->hs_type, o);
		if (m->hs_type == HS_TLS_HS_SERVER_HELLO && m->hello && !m->hello->hrr)
			hs_out_bool(o, "resumed", m->resumed);
		if (m->cert) {
			hs_out_uint(o, "certificates", m->cert->ncerts);
			hs_out_uint(o, "cert_len", m->cert->first_len);
			if (m->cert->decoded) {
				hs_out_cstr(o, "subject", m->cert->subject);
				hs_out_cstr(o, "issuer", m->cert->issuer);
				hs_out_bool(o, "self_signed", m->cert->self_signed);
			}
		}
		if (m->hs_type == HS_TLS_HS_KEY_UPDATE)
			hs_out_bool(o, "update_requested", m->key_update_request == 1);
		if (m->err != HS_OK)
			hs_out_cstr(o, "error", hs_err_name(m->err));
	} else if (m->kind == HS_TLS_MSG_ALERT) {
		hs_out_cstr(o, "level", m->alert_level == 1 ? "warning" : m->alert_level == 2 ? "fatal" : "unknown");
		const char *n = hs_tls_alert_name(m->alert_desc);
		if (n)
			hs_out_cstr(o, "alert", n);
		hs_out_uint(o, "alert_code", m->alert_desc);
	} else if (m->kind == HS_TLS_MSG_UNDECRYPTED) {
		hs_out_cstr(o, "reason", m->reason);
		if (m->secret_label)
			hs_out_cstr(o, "missing_secret", m->secret_label);
	}
}

/* -------------------------------------------------------- connection */

void hs_tls_conn_init(hs_tls_conn *c, hs_proto carrier, hs_tls_data_fn on_data, void *ud)
{
	hs_tls_conn_release(c);
	memset(c, 0, sizeof *c);
	c->carrier = carrier;
	c->on_data = on_data;
	c->ud = ud;
}

void hs_tls_conn_release(hs_tls_conn *c)
{
	for (int i = 0; i < 2; i++) {
		if (c->d[i].hs)
			g_byte_array_free(c->d[i].hs, TRUE);
		c->d[i].hs = NULL;
		OPENSSL_cleanse(&c->d[i].keys, sizeof c->d[i].keys);
	}
}

static void emit(hs_tls_conn *c, hs_app_ctx *ctx, hs_tls_msg *m)
{
	m->version = c->version;
	m->suite = c->suite;
	hs_emit_token(ctx, HS_PROTO_TLS, m, c->carrier);
}

static const char *const label_names[HS_KL__COUNT] = {
	"CLIENT_RANDOM", "CLIENT_HANDSHAKE_TRAFFIC_SECRET", "SERVER_HANDSHAKE_TRAFFIC_SECRET",
	"CLIENT_TRAFFIC_SECRET_0", "SERVER_TRAFFIC_SECRET_0",
};

/* The first record of a direction that is not decrypted says why, once. */
static void undecrypted(hs_tls_conn *c, hs_app_ctx *ctx, int dir, const char *reason, const char *label)
{
	hs_tls_dir *d = &c->d[dir];
	d->failed = true;
	if (d->reported)
		return;
	d->reported = true;
	hs_tls_msg m;
	memset(&m, 0, sizeof m);
	m.kind = HS_TLS_MSG_UNDECRYPTED;
	m.reason = reason;
	m.secret_label = label;
	emit(c, ctx, &m);
}

/* Secrets appended to followed key logs since the last read (live
 * capture); the number added. */
static size_t keylog_reload(hs_app_ctx *ctx)
{
	size_t added = 0, bad = 0;
	if (!hs_keylog_following(ctx->host->keylog))
		return 0;
	hs_keylog_refresh(ctx->host->keylog, &added, &bad);
	if (bad)
		hs_report_anomaly(ctx, HS_ANOM_KEYLOG_MALFORMED, "followed key log: %zu malformed line(s) skipped", bad);
	return added;
}

/* Keys of direction dir from the key log: TLS 1.2 at its ChangeCipherSpec,
 * TLS 1.3 at ServerHello (handshake secret) and Finished (traffic secret 0). */
static void set_keys(hs_tls_conn *c, hs_app_ctx *ctx, int dir, hs_keylog_label label)
{
	hs_tls_dir *d = &c->d[dir];
	d->have_keys = false;
	d->failed = false;
	d->reported = false;
	d->want = (uint8_t)(label + 1);
	const hs_keylog *kl = ctx->host->keylog;
	hs_slice secret;
	if (!c->have_cr || !c->have_sr) {
		d->failed = true; /* reported at the first protected record */
		return;
	}
	if (!hs_tls_suite_decryptable(c->suite) || (c->version < 0x0302 && !c->tls13)) {
		undecrypted(c, ctx, dir, "unsupported_cipher", NULL);
		return;
	}
	if (!kl) {
		d->failed = true;
		return;
	}
	/* a followed key log (live capture) may have the line by now: the
	 * client writes it as it derives the secret, around this very record */
	if (!hs_keylog_get(kl, c->client_random, label, &secret) &&
	    (!keylog_reload(ctx) || !hs_keylog_get(kl, c->client_random, label, &secret))) {
		d->failed = true;
		return;
	}
	hs_err e;
	if (c->tls13) {
		e = hs_tls13_derive(secret.p, secret.len, c->suite, &d->keys);
	} else {
		hs_tls_keys k[2];
		e = hs_tls12_derive(secret.p, secret.len, c->client_random, c->server_random, c->suite, c->version,
				    c->etm, &k[0], &k[1]);
		d->keys = k[dir];
		OPENSSL_cleanse(k, sizeof k);
	}
	if (e != HS_OK) {
		undecrypted(c, ctx, dir, e == HS_E_UNSUPPORTED ? "unsupported_cipher" : "bad_key", NULL);
		return;
	}
	d->have_keys = true;
}

/* Why the keys of dir are missing, for the report. */
static void explain_missing(hs_tls_conn *c, hs_app_ctx *ctx, int dir)
{
	if (c->d[dir].lost)
		undecrypted(c, ctx, dir, "stream_gap", NULL);
	else if (!c->have_cr || !c->have_sr)
		undecrypted(c, ctx, dir, "no_handshake", NULL);
	else if (!ctx->host->keylog)
		undecrypted(c, ctx, dir, "no_key_log", NULL);
	else {
		hs_keylog_label l = HS_KL_CLIENT_RANDOM;
		if (c->tls13)
			l = c->d[dir].decrypted || c->d[dir].keys.secret_len ? (dir ? HS_KL_SERVER_TRAFFIC_SECRET_0
										       : HS_KL_CLIENT_TRAFFIC_SECRET_0)
									    : (dir ? HS_KL_SERVER_HANDSHAKE_TRAFFIC_SECRET
										   : HS_KL_CLIENT_HANDSHAKE_TRAFFIC_SECRET);
		undecrypted(c, ctx, dir, "no_key", label_names[l]);
	}
}

static void server_hello(hs_tls_conn *c, hs_app_ctx *ctx, const hs_tls_hello *h, hs_tls_msg *m)
{
	if (h->hrr) {
		c->hrr_seen = true; /* the client sends a second ClientHello in clear */
		return;
	}
	if (h->random) {
		memcpy(c->server_random, h->random, 32);
		c->have_sr = true;
	}
	c->suite = h->suite;
	c->version = h->selected_version ? h->selected_version : h->legacy_version;
	c->tls13 = c->version == 0x0304;
	c->etm = h->etm;
	if (c->tls13)
		c->resumed = h->psk; /* RFC 8446 4.2.11: the server accepted a PSK */
	else
		/* RFC 5246 7.4.1.3 / RFC 5077 3.4: an echoed session id resumes */
		c->resumed = c->sid_len && h->session_id.len == c->sid_len &&
			     memcmp(h->session_id.p, c->sid, c->sid_len) == 0;
	m->resumed = c->resumed;
	if (c->tls13) {
		/* RFC 8446 2: everything after ServerHello is protected with
		 * the handshake traffic keys. */
		c->d[0].encrypting = c->d[1].encrypting = true;
		set_keys(c, ctx, 0, HS_KL_CLIENT_HANDSHAKE_TRAFFIC_SECRET);
		set_keys(c, ctx, 1, HS_KL_SERVER_HANDSHAKE_TRAFFIC_SECRET);
	}
}

/* One whole handshake message of direction dir. */
static void handshake_msg(hs_tls_conn *c, hs_app_ctx *ctx, int dir, uint8_t type, const uint8_t *b, size_t n,
			  bool decrypted)
{
	hs_tls_msg m;
	hs_tls_hello h;
	hs_tls_cert cert;
	memset(&m, 0, sizeof m);
	m.kind = HS_TLS_MSG_HANDSHAKE;
	m.hs_type = type;
	m.hs_len = (uint32_t)n;
	m.decrypted = decrypted;
	switch (type) {
	case HS_TLS_HS_CLIENT_HELLO:
		m.err = hs_tls_hello_parse(b, n, false, &h);
		m.hello = &h;
		if (h.random) {
			memcpy(c->client_random, h.random, 32);
			c->have_cr = true;
			c->sid_len = (uint8_t)(h.session_id.len <= sizeof c->sid ? h.session_id.len : 0);
			if (c->sid_len)
				memcpy(c->sid, h.session_id.p, h.session_id.len);
			c->client_ticket = h.session_ticket && h.ticket_len;
		}
		break;
	case HS_TLS_HS_SERVER_HELLO:
		m.err = hs_tls_hello_parse(b, n, true, &h);
		m.hello = &h;
		if (m.err == HS_OK)
			server_hello(c, ctx, &h, &m);
		break;
	case HS_TLS_HS_ENCRYPTED_EXTENSIONS:
		m.err = hs_tls_encrypted_extensions_parse(b, n, &h);
		m.hello = &h;
		break;
	case HS_TLS_HS_CERTIFICATE:
		m.err = hs_tls_certificate_parse(b, n, c->tls13, &cert);
		m.cert = &cert;
		break;
	case HS_TLS_HS_KEY_UPDATE:
		m.key_update_request = n == 1 ? b[0] : 0;
		if (n != 1)
			m.err = HS_E_MALFORMED;
		break;
	default:
		break;
	}
	if (m.err != HS_OK)
		hs_report_anomaly(ctx, HS_ANOM_MALFORMED_TLS_HANDSHAKE, "TLS %s: %s",
				  hs_tls_handshake_name(type) ? hs_tls_handshake_name(type) : "handshake message",
				  hs_err_name(m.err));
	emit(c, ctx, &m);
	/* Key changes take effect with the next record (RFC 8446 4.4.4, 4.6.3). */
	if (c->tls13 && decrypted && type == HS_TLS_HS_FINISHED)
		set_keys(c, ctx, dir, dir ? HS_KL_SERVER_TRAFFIC_SECRET_0 : HS_KL_CLIENT_TRAFFIC_SECRET_0);
	if (c->tls13 && decrypted && type == HS_TLS_HS_KEY_UPDATE && m.err == HS_OK && c->d[dir].have_keys &&
	    hs_tls13_update(&c->d[dir].keys) != HS_OK)
		undecrypted(c, ctx, dir, "bad_key", NULL);
}

/* Handshake bytes of dir: reassemble messages across records (RFC 8446 5.1:
 * messages may be coalesced into one record or span several). */
static void handshake_bytes(hs_tls_conn *c, hs_app_ctx *ctx, int dir, const uint8_t *p, size_t n, bool decrypted)
{
	hs_tls_dir *d = &c->d[dir];
	if (d->hs_lost)
		return;
	const uint8_t *q = p;
	size_t avail = n;
	if (d->hs && d->hs->len) {
		g_byte_array_append(d->hs, p, (guint)n);
		q = d->hs->data;
		avail = d->hs->len;
	}
	size_t off = 0;
	while (avail - off >= 4) {
		size_t mlen = (size_t)q[off + 1] << 16 | (size_t)q[off + 2] << 8 | q[off + 3];
		if (mlen > HS_TLS_MAX_HANDSHAKE) {
			hs_report_anomaly(ctx, HS_ANOM_TLS_HANDSHAKE_TOO_LARGE,
					  "TLS handshake message of %zu bytes (cap %u); handshake of this direction skipped",
					  mlen, HS_TLS_MAX_HANDSHAKE);
			d->hs_lost = true;
			if (d->hs)
				g_byte_array_set_size(d->hs, 0);
			return;
		}
		if (avail - off < 4 + mlen)
			break;
		handshake_msg(c, ctx, dir, q[off], q + off + 4, mlen, decrypted);
		off += 4 + mlen;
	}
	if (q == p) {
		if (off < n) {
			if (!d->hs)
				d->hs = g_byte_array_new();
			g_byte_array_append(d->hs, p + off, (guint)(n - off));
		}
	} else {
		g_byte_array_remove_range(d->hs, 0, (guint)off);
	}
}

static void content(hs_tls_conn *c, hs_app_ctx *ctx, int dir, uint8_t type, uint16_t rversion, const uint8_t *p,
		    size_t n, bool decrypted)
{
	hs_tls_msg m;
	switch (type) {
	case HS_TLS_CT_HANDSHAKE:
		handshake_bytes(c, ctx, dir, p, n, decrypted);
		break;
	case HS_TLS_CT_ALERT:
		for (size_t i = 0; i + 2 <= n; i += 2) {
			memset(&m, 0, sizeof m);
			m.kind = HS_TLS_MSG_ALERT;
			m.record_version = rversion;
			m.decrypted = decrypted;
			m.alert_level = p[i];
			m.alert_desc = p[i + 1];
			emit(c, ctx, &m);
		}
		break;
	case HS_TLS_CT_APPDATA:
		if (n && c->on_data)
			c->on_data(c->ud, ctx, p, n);
		break;
	default:
		break;
	}
}

static void record(hs_tls_conn *c, hs_app_ctx *ctx, int dir, const uint8_t *hdr, const hs_tls_record *r)
{
	hs_tls_dir *d = &c->d[dir];
	d->records++;
	if (r->type == HS_TLS_CT_CCS) {
		/* RFC 8446 5: in TLS 1.3 a ChangeCipherSpec is only middlebox
		 * compatibility and is never protected. */
		if (c->tls13)
			return;
		hs_tls_msg m;
		memset(&m, 0, sizeof m);
		m.kind = HS_TLS_MSG_CCS;
		m.record_version = r->version;
		emit(c, ctx, &m);
		/* RFC 5246 7.1: the sender's next records use the new keys */
		d->encrypting = true;
		set_keys(c, ctx, dir, HS_KL_CLIENT_RANDOM);
		return;
	}
	bool prot = d->encrypting && (!c->tls13 || r->type == HS_TLS_CT_APPDATA);
	if (!prot && r->type == HS_TLS_CT_APPDATA && !d->encrypting) {
		/* application data without a handshake we saw */
		undecrypted(c, ctx, dir, d->lost ? "stream_gap" : "no_handshake", NULL);
		return;
	}
	if (!prot) {
		content(c, ctx, dir, r->type, r->version, r->fragment.p, r->fragment.len, false);
		return;
	}
	/* Live capture with a followed key log: the client may write its line
	 * only after the packet that needed it was decoded.  At the first
	 * protected record of the epoch (nothing skipped yet: sequence 0 and
	 * nothing reported) the secret is looked up once more. */
	if ((!d->have_keys || d->failed) && !d->lost && !d->reported && d->want &&
	    hs_keylog_following(ctx->host->keylog))
		set_keys(c, ctx, dir, (hs_keylog_label)(d->want - 1));
	if (!d->have_keys || d->failed || d->lost) {
		if (!d->reported)
			explain_missing(c, ctx, dir);
		return;
	}
	/* The plaintext lives for this call only: a connection holds no record
	 * buffer between records (plaintext is never longer than the record). */
	size_t n = 0;
	uint8_t type;
	uint8_t *plain = g_malloc(r->fragment.len ? r->fragment.len : 1);
	hs_tls_dec res = hs_tls_decrypt(&d->keys, hdr, r->fragment.p, r->fragment.len, plain, &n, &type);
	if (res != HS_TLS_DEC_OK) {
		hs_report_anomaly(ctx, HS_ANOM_TLS_DECRYPT_FAILED,
				  "%s record of %zu bytes: %s with the key log's secret (record %llu of this direction); "
				  "decryption of this direction stopped",
				  dir ? "server" : "client", r->fragment.len,
				  res == HS_TLS_DEC_BAD ? "authentication failed" : res == HS_TLS_DEC_SHORT ? "too short"
														: "cipher error",
				  (unsigned long long)d->records);
		undecrypted(c, ctx, dir, "bad_key", NULL);
		g_free(plain);
		return;
	}
	d->decrypted++;
	content(c, ctx, dir, type, r->version, plain, n, true);
	OPENSSL_cleanse(plain, n);
	g_free(plain);
}

hs_parse_result hs_tls_conn_stream(hs_tls_conn *c, hs_app_ctx *ctx, const uint8_t *p, size_t len)
{
	int dir = ctx->dir & 1;
	size_t off = 0;
	while (off < len) {
		hs_tls_record r;
		hs_parse_result pr = hs_tls_record_parse(p + off, len - off, &r);
		if (pr.status == HS_PARSE_INCOMPLETE) {
			if (off)
				break;
			return hs_parse_incomplete(pr.needed);
		}
		if (pr.status == HS_PARSE_ERROR) {
			if (c->d[dir].lost) {
				/* after a gap: not at a record boundary; skip what we have */
				off = len;
				break;
			}
			if (off)
				break; /* report the error on the next call, at its offset */
			return pr;
		}
		record(c, ctx, dir, p + off, &r);
		off += pr.consumed;
	}
	return hs_parse_ok(off);
}

void hs_tls_conn_gap(hs_tls_conn *c, hs_app_ctx *ctx)
{
	(void)ctx;
	hs_tls_dir *d = &c->d[ctx->dir & 1];
	d->lost = true;
	d->hs_lost = true;
	if (d->hs)
		g_byte_array_set_size(d->hs, 0);
}
