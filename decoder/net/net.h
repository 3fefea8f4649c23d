/* net.h - the engine as its network layers see it.  ip.c and tcp.c get an
 * hs_net: the caps, the counters, the frame being fed, their own tables,
 * an anomaly sink and the delivery to a flow's parser.  The engine
 * (engine.c) embeds one hs_net and fills it in; the network layers never
 * include engine.h, so engine -> ip/tcp is one-way.
 * Internal to the decoder library (front ends use hs.h only). */
#ifndef HS_NET_H
#define HS_NET_H

#include <glib.h>
#include <stdarg.h>
#include <sys/types.h>

#include "app.h"

typedef struct hs_flow hs_flow;
typedef struct hs_ip_defrag hs_ip_defrag;

/* Port -> parser (default hs_app_for_ports; tests and fuzzers plug in their
 * own through hs_engine_set_resolver). */
typedef const hs_app *(*hs_resolver_fn)(uint8_t ipproto, uint16_t sport, uint16_t dport, bool *server_is_src);

/* The flow table (tcp.c). */
typedef struct hs_flows {
	GHashTable *tab;
	hs_flow *head, *tail; /* least recently active first */
	size_t count;
	size_t probed;        /* flows found by hs_app_probe */
	/* The ports of those flows (a bit per port, cleared when the last one
	 * goes): traffic on other unknown ports needs no table lookup. */
	uint64_t probed_ports[65536 / 64];
	uint64_t next_id;
} hs_flows;

typedef struct hs_net {
	const hs_config *caps; /* never NULL */
	hs_stats *stats;       /* counters; buffered bytes through hs_net_account */
	const hs_host *host;   /* what the flows' parsers see (hs_app_ctx.host) */
	/* An anomaly at input/frame: fmt with ap is its detail; the sink
	 * counts it and may skip formatting when nobody listens. */
	void (*anomaly)(void *ud, uint32_t input, uint64_t frame, hs_anom kind, const char *fmt, va_list ap);
	void *ud;
	hs_resolver_fn resolve;

	/* the frame being fed (set by the engine) */
	uint32_t input;
	uint64_t frame;
	int64_t ts_sec;
	uint32_t ts_nsec;
	int64_t now_ns;        /* capture time of the newest frame seen */
	int64_t idle_ns;       /* caps->flow_idle_timeout in ns */

	hs_ip_defrag *defrag;  /* ip.c */
	hs_flows flows;        /* tcp.c */
} hs_net;

/* Report an anomaly at the frame being fed (or at input/frame given). */
void hs_net_anomaly(hs_net *n, hs_anom kind, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
void hs_net_anomaly_at(hs_net *n, uint32_t input, uint64_t frame, hs_anom kind, const char *fmt, ...)
	__attribute__((format(printf, 5, 6)));

/* Count delta bytes (negative: released) of lasting memory against
 * max_total_buffer (hs_stats.buffered_bytes, and its peak). */
static inline void hs_net_account(hs_stats *st, ssize_t delta)
{
	st->buffered_bytes = (size_t)((ssize_t)st->buffered_bytes + delta);
	if (st->buffered_bytes > st->peak_buffered_bytes)
		st->peak_buffered_bytes = st->buffered_bytes;
}

/* hs_app_deliver over a TCP stream, counting a PDU over the cap as a cap
 * hit (hs_stats.cap_hits). */
hs_deliver hs_net_deliver(hs_net *n, const hs_app *app, hs_app_ctx *ctx, const uint8_t *data, size_t len);

#endif
