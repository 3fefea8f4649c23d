/* tls_app.c - the engine parsers of the TLS-wrapped services (tls.h:
 * hs_tls_http_app for WinRM HTTPS, hs_tls_ldap_app for LDAPS): one TLS
 * connection (tls.c) whose plaintext goes to an inner parser through the
 * one delivery loop (hs_app_deliver).  Apart from tls.c so that the record
 * layer, which CredSSP and RDP use too, does not depend on HTTP or LDAP. */
#include "tls.h"

#include <glib.h>

#include "http.h"
#include "ldap.h"
#include "protos.h"

/* TLS around an inner parser: the inner parser's state and the plaintext
 * it has not consumed yet live here; it is called per the app.h contract,
 * as if the plaintext were the TCP stream. */
typedef struct tls_app_state {
	hs_tls_conn conn;
	const hs_app *inner;
	void *inner_state;
	GByteArray *pend[2];
	bool cleartext;   /* the connection does not start with TLS: inner parser sees the bytes as they are */
	bool started;
} tls_app_state;

static void inner_feed(tls_app_state *s, hs_app_ctx *ctx, const uint8_t *p, size_t n, bool eof)
{
	int dir = ctx->dir & 1;
	if (!s->inner_state) {
		s->inner_state = g_malloc0(s->inner->state_size ? s->inner->state_size : 1);
		hs_app_account(ctx, (ssize_t)(s->inner->state_size ? s->inner->state_size : 1));
	}
	hs_app_ctx ic = *ctx;
	ic.state = s->inner_state;
	ic.eof = eof;
	ic.resync = false; /* the TCP stream's resynchronisation is not the plaintext's */
	GByteArray *b = s->pend[dir];
	const uint8_t *data = p;
	size_t len = n;
	if (b && b->len) {
		if (n)
			g_byte_array_append(b, p, (guint)n);
		data = b->data;
		len = b->len;
	}
	if (!len && !eof)
		return;
	hs_deliver r = hs_app_deliver(s->inner, &ic, data, len, HS_FROM_TLS);
	size_t left = r.drop ? 0 : len - r.consumed;
	if (!r.drop && left > hs_app_max_stream(ctx)) {
		hs_report_anomaly(ctx, HS_ANOM_STREAM_CAP, "%s over TLS: %zu bytes of plaintext unparsed (cap %zu); dropped",
				  s->inner->name, left, hs_app_max_stream(ctx));
		r.drop = true;
		left = 0;
	}
	if (data == p) {
		if (left) {
			if (!b)
				b = s->pend[dir] = g_byte_array_new();
			g_byte_array_append(b, p + (len - left), (guint)left);
		}
	} else if (r.drop) {
		g_byte_array_set_size(b, 0);
	} else {
		g_byte_array_remove_range(b, 0, (guint)r.consumed);
	}
	if (r.drop && s->inner->gap)
		s->inner->gap(&ic);
}

static void on_plaintext(void *ud, hs_app_ctx *ctx, const uint8_t *p, size_t n)
{
	inner_feed(ud, ctx, p, n, false);
}

static hs_parse_result tls_app_stream(hs_app_ctx *ctx, const uint8_t *p, size_t len, const hs_app *inner)
{
	tls_app_state *s = ctx->state;
	if (!s->inner) {
		s->inner = inner;
		hs_tls_conn_init(&s->conn, HS_PROTO_NONE, on_plaintext, s);
	}
	if (!s->started && len) {
		s->started = true;
		/* A TLS port may carry cleartext (a listener configured without
		 * TLS): hand it to the inner parser unchanged. */
		s->cleartext = !hs_tls_looks_like_record(p, len) && !(len < 3 && (p[0] >= 20 && p[0] <= 23));
	}
	if (s->cleartext) {
		inner_feed(s, ctx, p, len, ctx->eof);
		return hs_parse_ok(len);
	}
	hs_parse_result r = hs_tls_conn_stream(&s->conn, ctx, p, len);
	if (ctx->eof && (r.status != HS_PARSE_OK || r.consumed == len))
		inner_feed(s, ctx, NULL, 0, true);
	return r;
}

static void tls_app_gap(hs_app_ctx *ctx)
{
	tls_app_state *s = ctx->state;
	if (!s->inner)
		return;
	hs_tls_conn_gap(&s->conn, ctx);
	GByteArray *b = s->pend[ctx->dir & 1];
	if (b)
		g_byte_array_set_size(b, 0);
	if (s->inner_state && s->inner->gap) {
		hs_app_ctx ic = *ctx;
		ic.state = s->inner_state;
		s->inner->gap(&ic);
	}
}

static void tls_app_close(hs_app_ctx *ctx)
{
	tls_app_state *s = ctx->state;
	if (s->inner_state) {
		if (s->inner->close) {
			hs_app_ctx ic = *ctx;
			ic.state = s->inner_state;
			s->inner->close(&ic);
		}
		g_free(s->inner_state);
		s->inner_state = NULL;
		hs_app_account(ctx, -(ssize_t)(s->inner->state_size ? s->inner->state_size : 1));
	}
	for (int i = 0; i < 2; i++)
		if (s->pend[i]) {
			g_byte_array_free(s->pend[i], TRUE);
			s->pend[i] = NULL;
		}
	hs_tls_conn_release(&s->conn);
}

static hs_parse_result https_stream(hs_app_ctx *ctx, const uint8_t *p, size_t len)
{
	return tls_app_stream(ctx, p, len, &hs_http_app);
}

static hs_parse_result ldaps_stream(hs_app_ctx *ctx, const uint8_t *p, size_t len)
{
	return tls_app_stream(ctx, p, len, &hs_ldap_app);
}

const hs_app hs_tls_http_app = {
	.name = "https",
	.state_size = sizeof(tls_app_state),
	.stream = https_stream,
	.gap = tls_app_gap,
	.datagram = NULL,
	.close = tls_app_close,
	.malformed = HS_ANOM_MALFORMED_HTTPS,
};

const hs_app hs_tls_ldap_app = {
	.name = "ldaps",
	.state_size = sizeof(tls_app_state),
	.stream = ldaps_stream,
	.gap = tls_app_gap,
	.datagram = NULL,
	.close = tls_app_close,
	.malformed = HS_ANOM_MALFORMED_LDAPS,
};

/* TLS found by its first record on a port no table names: the plaintext
 * is probed in turn (probe.c), so HTTP inside is found, and WinRM over
 * HTTPS on 443 or any port is WinRM when a key log decrypts it. */
static hs_parse_result tls_any_stream(hs_app_ctx *ctx, const uint8_t *p, size_t len)
{
	return tls_app_stream(ctx, p, len, &hs_probe_app);
}

const hs_app hs_tls_any_app = {
	.name = "tls",
	.state_size = sizeof(tls_app_state),
	.stream = tls_any_stream,
	.gap = tls_app_gap,
	.datagram = NULL,
	.close = tls_app_close,
	.malformed = HS_ANOM_MALFORMED_TLS,
};

/* A TLS connection by its first handshake record (RFC 8446 5.1, 4): a
 * handshake record of TLS 1.0-1.3 framing whose first message is a
 * ClientHello (the client) or a ServerHello (the server) of a plausible
 * size, with a legacy version 3.x. */
static hs_probe_verdict tls_probe(const uint8_t *p, size_t len)
{
	if ((len > 0 && p[0] != HS_TLS_CT_HANDSHAKE) || (len > 1 && p[1] != 3) || (len > 2 && p[2] > 4))
		return HS_PROBE_NO;
	if (len < 11)
		return HS_PROBE_MORE;
	size_t rec = ((size_t)p[3] << 8) | p[4];
	size_t hl = ((size_t)p[6] << 16) | ((size_t)p[7] << 8) | p[8];
	if (rec < 4 || rec > 16384 + 2048 || (p[5] != 1 && p[5] != 2) || hl < 38 || hl > 0x20000)
		return HS_PROBE_NO;
	if (p[9] != 3 || p[10] > 4)
		return HS_PROBE_NO;
	return p[5] == 1 ? HS_PROBE_CLIENT : HS_PROBE_SERVER;
}

/* The TLS-wrapped services: LDAPS and the global catalog over TLS (which
 * the model does not count as LDAP carriers), WinRM HTTPS (MS-WSMV 2.1). */
static const hs_port_def tls_ports[] = {
	{ 6, 636, &hs_tls_ldap_app, HS_CAR_OTHER },
	{ 6, 3269, &hs_tls_ldap_app, HS_CAR_OTHER },
	{ 6, 5986, &hs_tls_http_app, HS_CAR_WINRM_HTTPS },
	{ 0 }
};

const hs_proto_def hs_tls_proto = {
	.id = HS_PROTO_TLS, .describe = hs_tls_describe, .ports = tls_ports,
	.probe = tls_probe, .probe_ipproto = 6, .probe_app = &hs_tls_any_app, .probe_carrier = HS_CAR_OTHER,
};
