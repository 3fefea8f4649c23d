/* rdp.c - RDP negotiation, its TLS upgrade and NLA (see rdp.h). */
#include "rdp.h"

#include <stdio.h>
#include <string.h>

#include "credssp.h"
#include "out.h"
#include "tls.h"

/* ------------------------------------------------------------ parsing */

hs_parse_result hs_rdp_tpkt_frame(const uint8_t *p, size_t len)
{
	/* RFC 1006 6: version 3, reserved, 16-bit length of the whole packet. */
	if (len >= 1 && p[0] != 3)
		return hs_parse_error(HS_E_MALFORMED);
	if (len >= 2 && p[1] != 0)
		return hs_parse_error(HS_E_MALFORMED);
	if (len < 4)
		return hs_parse_incomplete(4);
	size_t n = (size_t)p[2] << 8 | p[3];
	if (n < 7) /* TPKT header + the smallest X.224 header (DT: LI, code, EOT) */
		return hs_parse_error(HS_E_MALFORMED);
	if (len < n)
		return hs_parse_incomplete(n);
	return hs_parse_ok(n);
}

static bool starts_with(hs_cur *c, const char *s)
{
	size_t n = strlen(s);
	return c->len >= n && memcmp(c->p, s, n) == 0;
}

hs_err hs_rdp_x224_parse(const uint8_t *p, size_t len, hs_rdp_x224 *x)
{
	memset(x, 0, sizeof *x);
	hs_cur c = hs_cur_make(p, len);
	if (hs_cur_u8(&c) != 3 || hs_cur_u8(&c) != 0)
		return hs_cur_ok(&c) ? HS_E_MALFORMED : c.err;
	size_t tlen = hs_cur_u16be(&c);
	if (!hs_cur_ok(&c))
		return c.err;
	if (tlen < 7)
		return HS_E_MALFORMED;
	if (tlen > len)
		return HS_E_TRUNCATED;
	c.len = tlen - 4; /* the TPKT's own length bounds the X.224 PDU */
	x->li = hs_cur_u8(&c);
	x->code = hs_cur_u8(&c) & 0xf0;
	if (!hs_cur_ok(&c))
		return c.err;
	if (x->code != HS_RDP_X224_CR && x->code != HS_RDP_X224_CC)
		return HS_E_UNSUPPORTED;
	/* X.224 13.3.1: LI counts the header after itself; MS-RDPBCGR counts
	 * the cookie and negotiation structures in it, so LI = TPKT - 5. */
	if ((size_t)x->li != c.len + 1 || x->li < 6)
		return HS_E_MALFORMED;
	x->dst_ref = hs_cur_u16be(&c);
	x->src_ref = hs_cur_u16be(&c);
	x->class_opt = hs_cur_u8(&c);
	if (!hs_cur_ok(&c))
		return c.err;
	if (x->code == HS_RDP_X224_CR && starts_with(&c, "Cookie: ")) {
		/* 2.2.1.1: routingToken or cookie, each ended by CR LF */
		size_t i = 0;
		while (i + 1 < c.len && !(c.p[i] == '\r' && c.p[i + 1] == '\n'))
			i++;
		if (i + 1 >= c.len)
			return HS_E_MALFORMED; /* no CR LF before the end of the PDU */
		hs_slice line = hs_cur_slice(&c, i);
		hs_cur_skip(&c, 2);
		static const char mstshash[] = "Cookie: mstshash=";
		if (line.len >= sizeof mstshash - 1 && memcmp(line.p, mstshash, sizeof mstshash - 1) == 0) {
			x->cookie.p = line.p + (sizeof mstshash - 1);
			x->cookie.len = line.len - (sizeof mstshash - 1);
		} else {
			x->routing_token = line;
		}
	}
	if (c.len >= 1) {
		uint8_t t = c.p[0];
		bool want = x->code == HS_RDP_X224_CR ? t == HS_RDP_NEG_REQ
						      : (t == HS_RDP_NEG_RSP || t == HS_RDP_NEG_FAILURE);
		if (want) {
			x->has_neg = true;
			x->neg_type = hs_cur_u8(&c);
			x->neg_flags = hs_cur_u8(&c);
			x->neg_len = hs_cur_u16le(&c);
			x->neg_value = hs_cur_u32le(&c);
			if (!hs_cur_ok(&c))
				return c.err;
			if (x->neg_len != 8)
				return HS_E_MALFORMED;
		}
	}
	if (x->code == HS_RDP_X224_CR && c.len >= 1 && c.p[0] == HS_RDP_CORRELATION_INFO) {
		/* 2.2.1.1.2 RDP_NEG_CORRELATION_INFO: type, flags, length 36, id, reserved */
		hs_cur_skip(&c, 2);
		uint16_t l = hs_cur_u16le(&c);
		x->correlation_id = hs_cur_slice(&c, 16);
		hs_cur_skip(&c, 16);
		if (!hs_cur_ok(&c))
			return c.err;
		if (l != 36)
			return HS_E_MALFORMED;
		x->has_correlation = true;
	}
	x->extra = c.len;
	return HS_OK;
}

const char *hs_rdp_protocol_name(uint32_t bit)
{
	switch (bit) {
	case HS_RDP_PROTOCOL_RDP: return "rdp";
	case HS_RDP_PROTOCOL_SSL: return "ssl";
	case HS_RDP_PROTOCOL_HYBRID: return "hybrid";
	case HS_RDP_PROTOCOL_RDSTLS: return "rdstls";
	case HS_RDP_PROTOCOL_HYBRID_EX: return "hybrid_ex";
	case HS_RDP_PROTOCOL_RDSAAD: return "rdsaad";
	}
	return NULL;
}

const char *hs_rdp_failure_name(uint32_t code)
{
	/* MS-RDPBCGR 2.2.1.2.2 */
	switch (code) {
	case 1: return "SSL_REQUIRED_BY_SERVER";
	case 2: return "SSL_NOT_ALLOWED_BY_SERVER";
	case 3: return "SSL_CERT_NOT_ON_SERVER";
	case 4: return "INCONSISTENT_FLAGS";
	case 5: return "HYBRID_REQUIRED_BY_SERVER";
	case 6: return "SSL_WITH_USER_AUTH_REQUIRED_BY_SERVER";
	}
	return NULL;
}

const char *hs_rdp_authz_name(uint32_t result)
{
	/* MS-RDPBCGR 2.2.10.2 */
	switch (result) {
	case 0: return "AUTHZ_SUCCESS";
	case 5: return "AUTHZ_ACCESS_DENIED";
	}
	return NULL;
}

/* --------------------------------------------------------- describing */

static void out_protocols(hs_out *o, const char *key, uint32_t v)
{
	hs_out_begin_list(o, key);
	if (!(v & 0x1f))
		hs_out_cstr(o, NULL, "rdp");
	for (uint32_t b = 1; b; b <<= 1)
		if (v & b) {
			const char *n = hs_rdp_protocol_name(b);
			if (n)
				hs_out_cstr(o, NULL, n);
			else
				hs_out_hex32(o, NULL, b);
		}
	hs_out_end_list(o);
}

static void describe_x224(const hs_rdp_msg *m, hs_out *o)
{
	const hs_rdp_x224 *x = m->x224;
	if (x->cookie.p)
		hs_out_slice(o, "cookie", x->cookie);
	if (x->routing_token.p)
		hs_out_slice(o, "routing_token", x->routing_token);
	if (x->has_neg) {
		hs_out_uint(o, "neg_flags", x->neg_flags);
		if (x->neg_type == HS_RDP_NEG_REQ) {
			hs_out_hex32(o, "requested_protocols", x->neg_value);
			out_protocols(o, "requested", x->neg_value);
		} else if (x->neg_type == HS_RDP_NEG_RSP) {
			hs_out_hex32(o, "selected_protocol", x->neg_value);
			const char *n = hs_rdp_protocol_name(x->neg_value);
			hs_out_cstr(o, "selected", n ? n : "unknown");
		} else {
			hs_out_hex32(o, "failure_code", x->neg_value);
			const char *n = hs_rdp_failure_name(x->neg_value);
			hs_out_cstr(o, "failure", n ? n : "unknown");
		}
	} else if (x->code == HS_RDP_X224_CR || x->code == HS_RDP_X224_CC) {
		/* no RDP_NEG_*: a pre-RDP 5.2 peer, standard RDP security */
		hs_out_bool(o, "negotiation", false);
	}
	if (x->has_correlation)
		hs_out_bool(o, "correlation_info", true);
	if (m->err != HS_OK)
		hs_out_cstr(o, "decode_error", hs_err_name(m->err));
}

void hs_rdp_describe(const void *body, hs_out *o, unsigned flags)
{
	(void)flags;
	const hs_rdp_msg *m = body;
	switch (m->kind) {
	case HS_RDP_MSG_CONNECTION_REQUEST:
		hs_out_cstr(o, "rdp_msg", "connection_request");
		describe_x224(m, o);
		break;
	case HS_RDP_MSG_CONNECTION_CONFIRM:
		hs_out_cstr(o, "rdp_msg", "connection_confirm");
		describe_x224(m, o);
		break;
	case HS_RDP_MSG_EARLY_USER_AUTH: {
		hs_out_cstr(o, "rdp_msg", "early_user_authorization");
		hs_out_hex32(o, "authz_result", m->authz_result);
		const char *n = hs_rdp_authz_name(m->authz_result);
		hs_out_cstr(o, "authz", n ? n : "unknown");
		break;
	}
	case HS_RDP_MSG_END:
		hs_out_cstr(o, "rdp_msg", "end");
		if (m->have_request)
			hs_out_hex32(o, "requested_protocols", m->requested);
		if (m->negotiated && !m->neg_failed) {
			const char *n = hs_rdp_protocol_name(m->selected);
			hs_out_cstr(o, "selected", n ? n : "unknown");
		}
		if (m->neg_failed) {
			const char *n = hs_rdp_failure_name(m->failure_code);
			hs_out_cstr(o, "failure", n ? n : "unknown");
		}
		if (m->nla_not_selected)
			hs_out_bool(o, "nla_not_selected", true);
		hs_out_cstr(o, "stage", m->stage);
		hs_out_cstr(o, "outcome", m->outcome);
		hs_out_bool(o, "decrypted", m->decrypted);
		if (m->nla) {
			hs_out_uint(o, "client_records", m->client_records);
			hs_out_uint(o, "server_records", m->server_records);
		}
		break;
	}
}

/* ------------------------------------------------------------- stream */

enum {
	PH_NEG = 0, /* TPKT / X.224 negotiation */
	PH_TLS,     /* PROTOCOL_SSL: TLS, MCS inside */
	PH_NLA,     /* HYBRID / HYBRID_EX: TLS with CredSSP, then MCS */
	PH_OPAQUE   /* standard RDP security or unknown: not decoded */
};

typedef struct rdp_state {
	uint8_t phase;
	bool have_req, have_rsp, neg_failed, ended, early_done, secured;
	bool assumed;           /* security started without a Confirm (capture missed it) */
	uint32_t requested, selected, failure_code;
	hs_credssp_flow *nla;   /* PH_NLA */
	hs_tls_conn *tls;       /* PH_TLS */
} rdp_state;

static void emit_x224(hs_app_ctx *ctx, const hs_rdp_x224 *x, hs_err err)
{
	hs_rdp_msg m;
	memset(&m, 0, sizeof m);
	m.kind = x->code == HS_RDP_X224_CC ? HS_RDP_MSG_CONNECTION_CONFIRM : HS_RDP_MSG_CONNECTION_REQUEST;
	m.x224 = x;
	m.err = err;
	hs_emit(ctx, HS_PROTO_RDP, &m);
}

/* After authInfo (MS-RDPBCGR 5.4.2.1): HYBRID_EX servers first send the
 * 4-byte Early User Authorization Result; then MCS (TPKT) both ways.  The
 * server's first MCS PDU (Connect Response) means the logon went on. */
static void on_payload(void *ud, hs_app_ctx *ctx, const uint8_t *p, size_t n)
{
	rdp_state *s = ud;
	if (!(ctx->dir & 1) || s->nla->settled || !n)
		return;
	/* HYBRID_EX selected, or assumed (Confirm not captured): then only a
	 * 4-byte plaintext is taken for the result, MCS starts with TPKT 3 */
	if (!s->early_done && (s->selected == HS_RDP_PROTOCOL_HYBRID_EX || (s->assumed && n == 4 && p[0] != 3))) {
		s->early_done = true;
		if (n < 4) {
			hs_report_anomaly(ctx, HS_ANOM_MALFORMED_RDP, "Early User Authorization Result of %zu bytes", n);
			return;
		}
		hs_rdp_msg m;
		memset(&m, 0, sizeof m);
		m.kind = HS_RDP_MSG_EARLY_USER_AUTH;
		m.authz_result = (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
		hs_emit(ctx, HS_PROTO_RDP, &m);
		hs_credssp_flow_settle(s->nla, ctx,
				       m.authz_result == 0 ? HS_CREDSSP_STAGE_ACCEPTED : HS_CREDSSP_STAGE_REFUSED, false);
		return;
	}
	if (p[0] == 3)
		hs_credssp_flow_settle(s->nla, ctx, HS_CREDSSP_STAGE_ACCEPTED, false);
}

static void ignore_plain(void *ud, hs_app_ctx *ctx, const uint8_t *p, size_t n)
{
	(void)ud, (void)ctx, (void)p, (void)n; /* MCS under PROTOCOL_SSL: not decoded */
}

static void start_security(rdp_state *s, uint32_t selected)
{
	if (selected == HS_RDP_PROTOCOL_HYBRID || selected == HS_RDP_PROTOCOL_HYBRID_EX) {
		s->phase = PH_NLA;
		s->nla = g_new0(hs_credssp_flow, 1);
		s->nla->on_payload = on_payload;
		s->nla->payload_ud = s;
	} else if (selected == HS_RDP_PROTOCOL_SSL) {
		s->phase = PH_TLS;
		s->tls = g_new0(hs_tls_conn, 1);
		hs_tls_conn_init(s->tls, HS_PROTO_RDP, ignore_plain, s);
	} else {
		s->phase = PH_OPAQUE; /* standard RDP security, RDSTLS, RDSAAD */
	}
}

/* TLS where the negotiation was expected: the Confirm was not captured. */
static void start_unseen(rdp_state *s)
{
	uint32_t sel = HS_RDP_PROTOCOL_SSL;
	if (s->have_req && (s->requested & (HS_RDP_PROTOCOL_HYBRID | HS_RDP_PROTOCOL_HYBRID_EX)))
		sel = HS_RDP_PROTOCOL_HYBRID;
	s->selected = sel == HS_RDP_PROTOCOL_HYBRID_EX ? HS_RDP_PROTOCOL_HYBRID : sel;
	s->assumed = true;
	start_security(s, s->selected);
}

static hs_parse_result neg_stream(rdp_state *s, hs_app_ctx *ctx, const uint8_t *p, size_t len)
{
	hs_parse_result r = hs_rdp_tpkt_frame(p, len);
	if (r.status != HS_PARSE_OK)
		return r;
	hs_rdp_x224 x;
	hs_err e = hs_rdp_x224_parse(p, r.consumed, &x);
	if (e == HS_E_UNSUPPORTED) {
		/* X.224 Data: standard RDP security went on without us */
		hs_report_anomaly(ctx, HS_ANOM_RDP_UNEXPECTED_PDU, "X.224 TPDU 0x%02x before the negotiation ended",
				  x.code);
		s->phase = PH_OPAQUE;
		return r;
	}
	int dir = ctx->dir & 1;
	if ((x.code == HS_RDP_X224_CR) != (dir == 0)) {
		hs_report_anomaly(ctx, HS_ANOM_RDP_UNEXPECTED_PDU, "X.224 %s sent by the %s",
				  x.code == HS_RDP_X224_CR ? "Connection Request" : "Connection Confirm",
				  dir ? "server" : "client");
		return r;
	}
	if (e != HS_OK)
		hs_report_anomaly(ctx, HS_ANOM_MALFORMED_RDP, "X.224 %s: %s",
				  x.code == HS_RDP_X224_CR ? "Connection Request" : "Connection Confirm", hs_err_name(e));
	else if (x.extra)
		hs_report_anomaly(ctx, HS_ANOM_MALFORMED_RDP, "%zu unexpected bytes after the X.224 %s", x.extra,
				  x.code == HS_RDP_X224_CR ? "Connection Request" : "Connection Confirm");
	emit_x224(ctx, &x, e);
	if (x.code == HS_RDP_X224_CR) {
		if (s->have_req)
			hs_report_anomaly(ctx, HS_ANOM_RDP_UNEXPECTED_PDU, "a second X.224 Connection Request");
		s->have_req = true;
		s->requested = x.has_neg && x.neg_type == HS_RDP_NEG_REQ ? x.neg_value : HS_RDP_PROTOCOL_RDP;
		return r;
	}
	if (s->have_rsp)
		return r;
	s->have_rsp = true;
	if (x.has_neg && x.neg_type == HS_RDP_NEG_FAILURE) {
		s->neg_failed = true;
		s->failure_code = x.neg_value;
		s->phase = PH_OPAQUE;
		return r;
	}
	uint32_t sel = x.has_neg ? x.neg_value : HS_RDP_PROTOCOL_RDP;
	if (e == HS_OK && s->have_req && sel && !(sel & s->requested))
		hs_report_anomaly(ctx, HS_ANOM_RDP_PROTOCOL_MISMATCH,
				  "the server selected 0x%08x, which the client did not request (0x%08x)", sel, s->requested);
	if (s->phase != PH_NEG) {
		/* the Confirm comes after the client's TLS (merged captures
		 * out of order): keep the security already running */
		if (e == HS_OK && sel == HS_RDP_PROTOCOL_HYBRID_EX && s->nla)
			s->selected = sel;
		return r;
	}
	s->selected = sel;
	start_security(s, e == HS_OK ? s->selected : HS_RDP_PROTOCOL_RDP);
	return r;
}

static const char *end_stage(const rdp_state *s, char *buf, size_t n)
{
	if ((s->phase == PH_TLS || s->phase == PH_NLA) && !s->secured)
		return "negotiation"; /* nothing followed the Confirm */
	switch (s->phase) {
	case PH_NEG: return "negotiation";
	case PH_TLS: return "tls";
	case PH_NLA:
		snprintf(buf, n, "credssp:%s", hs_credssp_stage_name(s->nla->stage));
		return buf;
	default:
		return s->neg_failed ? "negotiation" : "standard_rdp_security";
	}
}

static void end_connection(rdp_state *s, hs_app_ctx *ctx)
{
	if (s->ended || (!s->have_req && !s->have_rsp && !s->nla && !s->tls))
		return;
	s->ended = true;
	if (s->nla && !s->nla->settled && s->nla->stage == HS_CREDSSP_STAGE_AUTHENTICATION &&
	    s->nla->last_req_dir == 0 && hs_credssp_flow_decrypted(s->nla))
		/* MS-CSSP 3.1.5: a server that accepts the client's last
		 * authentication token answers with pubKeyAuth; one that closes
		 * instead (FreeRDP) refused the logon. */
		hs_credssp_flow_settle(s->nla, ctx, HS_CREDSSP_STAGE_REFUSED, true);
	hs_rdp_msg m;
	memset(&m, 0, sizeof m);
	char buf[48];
	m.kind = HS_RDP_MSG_END;
	m.have_request = s->have_req;
	m.requested = s->requested;
	m.negotiated = s->have_rsp;
	m.neg_failed = s->neg_failed;
	m.selected = s->selected;
	m.failure_code = s->failure_code;
	m.stage = end_stage(s, buf, sizeof buf);
	m.outcome = "unknown";
	bool nla_asked = s->requested & (HS_RDP_PROTOCOL_HYBRID | HS_RDP_PROTOCOL_HYBRID_EX);
	m.nla_not_selected = s->have_req && s->have_rsp && nla_asked && !s->neg_failed && !s->nla;
	if (s->neg_failed)
		m.outcome = "negotiation_failed";
	else if ((s->phase == PH_TLS || s->phase == PH_NLA) && !s->secured)
		m.outcome = "abandoned"; /* the client closed after the Confirm */
	else if (s->nla && s->nla->stage == HS_CREDSSP_STAGE_ACCEPTED)
		m.outcome = "accepted";
	else if (s->nla && s->nla->stage == HS_CREDSSP_STAGE_REFUSED)
		m.outcome = "refused";
	if (s->nla && s->nla->init) {
		m.nla = true;
		m.client_records = s->nla->app_records[0];
		m.server_records = s->nla->app_records[1];
	}
	m.decrypted = (s->nla && hs_credssp_flow_decrypted(s->nla)) ||
		      (s->tls && (s->tls->d[0].decrypted || s->tls->d[1].decrypted));
	hs_emit(ctx, HS_PROTO_RDP, &m);
}

static hs_parse_result rdp_stream(hs_app_ctx *ctx, const uint8_t *p, size_t len)
{
	rdp_state *s = ctx->state;
	hs_parse_result r = hs_parse_ok(len);
	if (s->phase == PH_NEG && len && hs_tls_looks_like_record(p, len)) {
		hs_report_anomaly(ctx, HS_ANOM_RDP_NEGOTIATION_LOST, "TLS before the X.224 Connection Confirm was seen");
		start_unseen(s);
	}
	if (s->phase != PH_NEG && s->assumed && !s->have_rsp && (ctx->dir & 1) && len && p[0] == 3)
		return neg_stream(s, ctx, p, len); /* the late Confirm */
	if (s->phase == PH_TLS || s->phase == PH_NLA)
		s->secured |= len > 0;
	switch (s->phase) {
	case PH_NEG:
		if (len)
			r = neg_stream(s, ctx, p, len);
		break;
	case PH_TLS:
		r = hs_tls_conn_stream(s->tls, ctx, p, len);
		break;
	case PH_NLA:
		hs_credssp_flow_feed(s->nla, ctx, HS_PROTO_RDP, p, len);
		break;
	default:
		break; /* opaque: consumed */
	}
	if (r.status == HS_PARSE_ERROR && s->phase == PH_TLS) {
		/* not TLS after all: stop decoding this connection */
		hs_report_anomaly(ctx, HS_ANOM_MALFORMED_RDP, "bytes that are not TLS after PROTOCOL_SSL was selected (%s)",
				  hs_err_name(r.err));
		s->phase = PH_OPAQUE;
		return hs_parse_ok(len);
	}
	return r;
}

static void rdp_gap(hs_app_ctx *ctx)
{
	rdp_state *s = ctx->state;
	if (s->phase == PH_TLS)
		hs_tls_conn_gap(s->tls, ctx);
	else if (s->phase == PH_NLA)
		hs_credssp_flow_gap(s->nla, ctx);
}

static void rdp_close(hs_app_ctx *ctx)
{
	rdp_state *s = ctx->state;
	end_connection(s, ctx);
	if (s->nla) {
		hs_credssp_flow_release(s->nla);
		g_free(s->nla);
		s->nla = NULL;
	}
	if (s->tls) {
		hs_tls_conn_release(s->tls);
		g_free(s->tls);
		s->tls = NULL;
	}
}

const hs_app hs_rdp_app = {
	.name = "rdp",
	.state_size = sizeof(rdp_state),
	.stream = rdp_stream,
	.gap = rdp_gap,
	.datagram = NULL,
	.close = rdp_close,
	.malformed = HS_ANOM_MALFORMED_RDP,
};

/* RDP (MS-RDPBCGR): negotiation, TLS, NLA. */
static const hs_port_def rdp_ports[] = {
	{ 6, 3389, &hs_rdp_app, HS_CAR_RDP },
	{ 0 }
};

static const hs_spn_def rdp_spns[] = {
	{ "TERMSRV/", HS_CAR_RDP, 3389 },
	{ NULL, HS_CAR_OTHER, 0 }
};

/* RDP on another port, by its first TPKT (RFC 1006: version 3, reserved 0,
 * length) holding an X.224 Connection Request from the client or
 * Connection Confirm from the server (X.224 13.3-13.4; MS-RDPBCGR 2.2.1.1):
 * the length indicator covers exactly the rest of the packet. */
static hs_probe_verdict rdp_probe(const uint8_t *p, size_t len)
{
	if ((len > 0 && p[0] != 3) || (len > 1 && p[1] != 0))
		return HS_PROBE_NO;
	if (len < 6)
		return HS_PROBE_MORE;
	size_t tl = ((size_t)p[2] << 8) | p[3];
	if (tl < 11 || p[4] != tl - 5)
		return HS_PROBE_NO;
	if ((p[5] & 0xf0) == 0xe0)
		return HS_PROBE_CLIENT;
	return (p[5] & 0xf0) == 0xd0 ? HS_PROBE_SERVER : HS_PROBE_NO;
}

const hs_proto_def hs_rdp_proto = {
	.id = HS_PROTO_RDP, .describe = hs_rdp_describe, .ports = rdp_ports, .spns = rdp_spns,
	.probe = rdp_probe, .probe_ipproto = 6, .probe_app = &hs_rdp_app, .probe_carrier = HS_CAR_RDP,
};
