/* engine.h - engine internals shared by engine.c, ip.c and tcp.c.
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
#include "tcp.h"

#define HS_MAX_SINKS 8

typedef const hs_app *(*hs_resolver_fn)(uint8_t ipproto, uint16_t sport, uint16_t dport, bool *server_is_src);

struct hs_engine {
	hs_config cfg;
	hs_stats st;
	struct { hs_msg_fn fn; void *ud; } sinks[HS_MAX_SINKS];
	unsigned nsinks;
	hs_anomaly_fn anom;
	void *anom_ud;
	hs_resolver_fn resolve;

	/* the frame being fed */
	uint32_t input;
	uint64_t frame;
	int64_t ts_sec;
	uint32_t ts_nsec;
	int64_t now_ns;        /* capture time of the newest frame seen */
	int64_t idle_ns;       /* cfg.flow_idle_timeout in ns */

	hs_ip_defrag *defrag;
	hs_flows flows;

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
	if (!e)
		return;
	e->st.buffered_bytes = (size_t)((ssize_t)e->st.buffered_bytes + delta);
	if (e->st.buffered_bytes > e->st.peak_buffered_bytes)
		e->st.peak_buffered_bytes = e->st.buffered_bytes;
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
