/* net.c - what the network layers call through their hs_net (net.h). */
#include "net.h"

void hs_net_anomaly(hs_net *n, hs_anom kind, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	n->anomaly(n->ud, n->input, n->frame, kind, fmt, ap);
	va_end(ap);
}

void hs_net_anomaly_at(hs_net *n, uint32_t input, uint64_t frame, hs_anom kind, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	n->anomaly(n->ud, input, frame, kind, fmt, ap);
	va_end(ap);
}

hs_deliver hs_net_deliver(hs_net *n, const hs_app *app, hs_app_ctx *ctx, const uint8_t *data, size_t len)
{
	hs_deliver r = hs_app_deliver(app, ctx, data, len, HS_FROM_TCP);
	if (r.over_cap)
		n->stats->cap_hits++;
	return r;
}
