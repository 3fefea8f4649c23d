/* engine.h - engine internals (engine.c; ip.c and tcp.c see only its hs_net, net.h).
 * Not part of the public API (front ends use hs.h only); tests and the flow
 * fuzz target use hs_engine_set_resolver() to plug in their own hs_app.
 * Parsers never include this: they see the engine as an hs_host (app.h).
 */
#ifndef HS_ENGINE_H
#define HS_ENGINE_H

#include <glib.h>
#include <sys/types.h>

#include "app.h"
#include "ip.h"
#include "net.h"
#include "tcp.h"

#define HS_MAX_SINKS 8

struct hs_engine {
	hs_config cfg;
	hs_stats st;
	struct { hs_msg_fn fn; void *ud; } sinks[HS_MAX_SINKS];
	unsigned nsinks;
	hs_anomaly_fn anom;
	void *anom_ud;

	hs_net net;            /* what ip.c and tcp.c see: the frame being fed, fragments, flows */

	char detail[512];      /* anomaly detail, formatted here: bounded */
	hs_host host;          /* what parsers see: sinks, caps, key stores (keylog, krbkeys, ntlmcreds) */
	char error_detail[512];   /* hs_engine_error_detail() */
};

/* Report an anomaly at the frame being fed (or at input/frame given). */
void hs_engine_anomaly(hs_engine *e, hs_anom kind, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
void hs_engine_anomaly_at(hs_engine *e, uint32_t input, uint64_t frame, hs_anom kind,
			  const char *fmt, ...) __attribute__((format(printf, 5, 6)));

/* Count delta bytes (negative: released) of lasting per-flow memory against
 * max_total_buffer (hs_stats.buffered_bytes): parsers call it for state
 * they allocate beyond their app's state_size (tls.c: the inner parser's). */
static inline void hs_engine_account(hs_engine *e, ssize_t delta)
{
	if (e)
		hs_net_account(&e->st, delta);
}

/* Replace the port -> parser lookup (default hs_app_for_ports).  For tests
 * and fuzzing; call before the first feed. */
void hs_engine_set_resolver(hs_engine *e, hs_resolver_fn fn);

/* The engine as its parsers see it (app.h); valid until hs_engine_free. */
const hs_host *hs_engine_host(hs_engine *e);

/* hs_app_deliver over a TCP stream of e, counting a PDU over the cap as a
 * cap hit (hs_stats.cap_hits). */
hs_deliver hs_engine_stream(hs_engine *e, const hs_app *app, hs_app_ctx *ctx, const uint8_t *data,
			    size_t len);

#endif
