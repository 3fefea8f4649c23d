/* app.c - what parsers call of their host (app.h), and the one loop that
 * delivers stream bytes to a parser, for the engine's TCP streams and for
 * TLS plaintext alike. */
#include "app.h"

#include <stdarg.h>
#include <stdio.h>

void hs_emit_token(hs_app_ctx *ctx, hs_proto proto, const void *body, hs_proto carrier)
{
	if (!ctx->host)
		return;
	hs_msg m = { ctx->meta, proto, body, carrier };
	ctx->host->emit(ctx->host->ud, &m);
}

void hs_emit(hs_app_ctx *ctx, hs_proto proto, const void *body)
{
	hs_emit_token(ctx, proto, body, HS_PROTO_NONE);
}

static void report_v(hs_app_ctx *ctx, const char *kind, const char *fmt, va_list ap) __attribute__((format(printf, 3, 0)));
static void report_v(hs_app_ctx *ctx, const char *kind, const char *fmt, va_list ap)
{
	if (!ctx->host)
		return;
	char detail[512]; /* bounded, as the engine's own */
	vsnprintf(detail, sizeof detail, fmt, ap);
	ctx->host->anomaly(ctx->host->ud, ctx->meta, kind, detail);
}

void hs_report_anomaly(hs_app_ctx *ctx, hs_anom kind, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	report_v(ctx, hs_anom_name(kind), fmt, ap);
	va_end(ap);
}

/* A parse error of app: its own kind, or for an app that names none (a
 * test's) malformed_<name>. */
static void report_malformed(hs_app_ctx *ctx, const hs_app *app, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static void report_malformed(hs_app_ctx *ctx, const hs_app *app, const char *fmt, ...)
{
	char kind[48];
	if (app->malformed)
		snprintf(kind, sizeof kind, "%s", hs_anom_name(app->malformed));
	else
		snprintf(kind, sizeof kind, "malformed_%s", app->name);
	va_list ap;
	va_start(ap, fmt);
	report_v(ctx, kind, fmt, ap);
	va_end(ap);
}

void hs_app_account(hs_app_ctx *ctx, ssize_t delta)
{
	if (ctx->host && ctx->host->account)
		ctx->host->account(ctx->host->ud, delta);
}

size_t hs_app_max_stream(const hs_app_ctx *ctx)
{
	if (ctx->host)
		return ctx->host->cfg->max_stream_buffer;
	hs_config c;
	hs_config_default(&c);
	return c.max_stream_buffer;
}

hs_deliver hs_app_deliver(const hs_app *app, hs_app_ctx *ctx, const uint8_t *data, size_t len, hs_deliver_from from)
{
	hs_deliver out = { 0, 0, false, false };
	size_t done = 0, max = hs_app_max_stream(ctx);
	for (;;) {
		hs_parse_result r = app->stream(ctx, len ? data + done : data, len - done);
		if (r.status == HS_PARSE_OK) {
			if (r.consumed > len - done) {
				/* A parser bug must not make the caller read past its buffer. */
				hs_report_anomaly(ctx, HS_ANOM_PARSER_OVERRUN, "%s consumed %zu of %zu bytes", app->name,
						  r.consumed, len - done);
				r.consumed = len - done;
			}
			done += r.consumed;
			if (r.consumed == 0 || done == len)
				break;
			continue;
		}
		if (r.status == HS_PARSE_INCOMPLETE) {
			if (r.needed > max) {
				if (from == HS_FROM_TLS)
					hs_report_anomaly(ctx, HS_ANOM_PDU_TOO_LARGE,
							  "%s PDU of %zu bytes over TLS exceeds max_stream_buffer", app->name,
							  r.needed);
				else
					hs_report_anomaly(ctx, HS_ANOM_PDU_TOO_LARGE,
							  "%s PDU of %zu bytes exceeds max_stream_buffer (%zu); skipped",
							  app->name, r.needed, max);
				out.drop = out.over_cap = true;
			} else {
				out.needed = r.needed;
			}
			break;
		}
		/* Bytes that follow a gap or a mid-stream pickup rarely start at a
		 * PDU boundary (Wireshark shows them as a continuation): dropping
		 * them until the parser finds its feet is resynchronisation, not
		 * malformed data.  The gap itself was reported. */
		if (!(ctx->resync && done == 0)) {
			if (from == HS_FROM_TLS)
				report_malformed(ctx, app, "%s over TLS: %s data after %zu bytes of plaintext; resynchronising",
						 app->name, hs_err_name(r.err), done);
			else
				report_malformed(ctx, app, "%s: %s data after %zu bytes of the stream segment; resynchronising",
						 app->name, hs_err_name(r.err), done);
		}
		out.drop = true;
		break;
	}
	out.consumed = done;
	return out;
}
