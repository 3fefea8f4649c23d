/* probe.c - the parser of a flow whose first bytes did not yet say what it
 * is (protos.h hs_probe_app).  A flow on a port no table names is probed on
 * its first payload by the dispatcher; when a probe needs more bytes (a
 * Kerberos record marker sent alone, a first segment of a few bytes) the
 * flow gets this parser, which holds the bytes (HS_PARSE_INCOMPLETE: the
 * reassembler keeps them, within its caps) and probes again as they grow.
 * The wait is bounded: at HS_PROBE_MAX bytes of one direction, at the end
 * of the direction, or when a probe's side contradicts the flow's
 * orientation, the flow is given up and its bytes are ignored.  Once a
 * probe accepts, every call goes to that protocol's parser through the one
 * delivery loop, so its anomalies keep their own kinds.
 *
 * TLS uses it too (tls_app.c hs_tls_any_app): the plaintext of a TLS
 * connection on an unknown port is probed the same way, which is how HTTP
 * inside TLS, and so WinRM over HTTPS on 443 or any port, is found. */
#include <glib.h>

#include "protos.h"

typedef struct probe_state {
	const hs_proto_def *def; /* the protocol found; NULL while probing */
	void *inner;             /* its parser's state */
	bool gave_up;
} probe_state;

static size_t inner_cost(const hs_app *a) { return a->state_size ? a->state_size : 1; }

/* Probe the bytes so far: true once a protocol is bound, false while
 * waiting or after giving up (s->gave_up). */
static bool choose(probe_state *s, hs_app_ctx *ctx, const uint8_t *p, size_t len)
{
	hs_probe_verdict v;
	const hs_proto_def *d = len ? hs_app_probe(ctx->meta->ipproto, p, len, &v) : NULL;
	if (!len)
		v = HS_PROBE_MORE;
	if (!d) {
		if (v == HS_PROBE_MORE && len < HS_PROBE_MAX && !ctx->eof)
			return false;
		if (v == HS_PROBE_MORE && len)
			hs_report_anomaly(ctx, HS_ANOM_PROBE_UNDECIDED,
					  "%zu bytes %s still the prefix of a protocol's first PDU; not decoded", len,
					  ctx->eof ? "at the end of the stream are" : "are");
		s->gave_up = true;
		return false;
	}
	/* The flow's orientation was fixed when it was created (its first
	 * payload's sender is the initiator): a probe that finds a server's
	 * first PDU there cannot be decoded the right way round. */
	if ((v == HS_PROBE_CLIENT) != (ctx->dir == 0)) {
		s->gave_up = true;
		return false;
	}
	s->def = d;
	s->inner = g_malloc0(inner_cost(d->probe_app));
	hs_app_account(ctx, (ssize_t)inner_cost(d->probe_app));
	return true;
}

/* ctx as the inner parser sees it: its state, and the carrier the probe
 * named in the meta (for the model). */
static void inner_ctx(const probe_state *s, const hs_app_ctx *ctx, hs_app_ctx *ic, hs_meta *m)
{
	*ic = *ctx;
	ic->state = s->inner;
	*m = *ctx->meta;
	m->carrier = (uint8_t)s->def->probe_carrier;
	ic->meta = m;
}

static hs_parse_result probe_stream(hs_app_ctx *ctx, const uint8_t *p, size_t len)
{
	probe_state *s = ctx->state;
	if (s->gave_up)
		return hs_parse_ok(len);
	if (!s->def && !choose(s, ctx, p, len))
		return s->gave_up ? hs_parse_ok(len) : hs_parse_incomplete(0);
	hs_app_ctx ic;
	hs_meta m;
	inner_ctx(s, ctx, &ic, &m);
	const hs_app *a = s->def->probe_app;
	hs_deliver r = hs_app_deliver(a, &ic, p, len, HS_FROM_TCP);
	if (r.drop) {
		/* reported by the delivery loop: drop and resynchronise here, so
		 * that the error is not reported twice under this parser's name */
		if (a->gap)
			a->gap(&ic);
		return hs_parse_ok(len);
	}
	return r.consumed ? hs_parse_ok(r.consumed) : hs_parse_incomplete(r.needed);
}

static void probe_gap(hs_app_ctx *ctx)
{
	probe_state *s = ctx->state;
	if (s->def && s->def->probe_app->gap) {
		hs_app_ctx ic;
		hs_meta m;
		inner_ctx(s, ctx, &ic, &m);
		s->def->probe_app->gap(&ic);
	}
	/* While probing a gap needs nothing: the reassembler dropped the
	 * bytes held, and what follows is probed as it comes (a flow made by
	 * a probe starts with the gap of a mid-stream pickup, app.h). */
}

static void probe_close(hs_app_ctx *ctx)
{
	probe_state *s = ctx->state;
	if (!s->def)
		return;
	if (s->def->probe_app->close) {
		hs_app_ctx ic;
		hs_meta m;
		inner_ctx(s, ctx, &ic, &m);
		s->def->probe_app->close(&ic);
	}
	g_free(s->inner);
	s->inner = NULL;
	hs_app_account(ctx, -(ssize_t)inner_cost(s->def->probe_app));
	s->def = NULL;
}

const hs_app hs_probe_app = {
	.name = "probe",
	.state_size = sizeof(probe_state),
	.stream = probe_stream,
	.gap = probe_gap,
	.datagram = NULL,
	.close = probe_close,
	.malformed = HS_ANOM_NONE,
};
