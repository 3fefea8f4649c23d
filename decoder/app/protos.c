/* protos.c - protocol registry (see protos.h): every lookup walks the
 * descriptors of protos.def, so the dispatcher, the model and live
 * capture's filter cannot disagree about a port or an SPN. */
#include "protos.h"

#include <glib.h>
#include <string.h>
#include <strings.h>

#define HS_PROTO(id, name, stem) extern const hs_proto_def hs_##stem##_proto;
#include "protos.def"
#undef HS_PROTO

static const hs_proto_def *const defs[HS_PROTO__COUNT] = {
#define HS_PROTO(id, name, stem) [HS_PROTO_##id] = &hs_##stem##_proto,
#include "protos.def"
#undef HS_PROTO
};

const hs_proto_def *hs_proto_def_of(hs_proto p)
{
	return (unsigned)p < HS_PROTO__COUNT ? defs[p] : NULL;
}

hs_describe_fn hs_proto_describe(hs_proto p)
{
	const hs_proto_def *d = hs_proto_def_of(p);
	return d ? d->describe : NULL;
}

/* Every packet of traffic no parser wants costs a port lookup (and a probe
 * when it carries payload), so the descriptors' ports and probes are copied
 * once into flat tables: the ports sorted by number, so that the first
 * entry naming either port is the lower well-known port. */
#define MAX_PORTS 128
#define MAX_PROBES 16

static struct {
	hs_port_def ports[MAX_PORTS];
	size_t nports;
	const hs_proto_def *probes[MAX_PROBES];
	size_t nprobes;
	/* first[b]: the probes (bit i = probes[i]) that do not refuse a flow
	 * whose first byte is b.  A probe says MORE for every prefix of what
	 * it accepts (app.h), so the one-byte call is exact; bulk traffic pays
	 * one table lookup. */
	uint16_t first[256];
} flat;

static gpointer flatten(gpointer unused)
{
	(void)unused;
	for (size_t i = 0; i < HS_PROTO__COUNT; i++) {
		for (const hs_port_def *p = defs[i]->ports; p && p->port && flat.nports < MAX_PORTS; p++) {
			size_t at = flat.nports++;
			while (at && flat.ports[at - 1].port > p->port) { /* insertion: stable, a handful of ports */
				flat.ports[at] = flat.ports[at - 1];
				at--;
			}
			flat.ports[at] = *p;
		}
		if (defs[i]->probe && flat.nprobes < MAX_PROBES)
			flat.probes[flat.nprobes++] = defs[i];
	}
	for (unsigned b = 0; b < 256; b++) {
		uint8_t byte = (uint8_t)b;
		for (size_t i = 0; i < flat.nprobes; i++)
			if (flat.probes[i]->probe(&byte, 1) != HS_PROBE_NO)
				flat.first[b] |= (uint16_t)(1u << i);
	}
	return NULL;
}

static void flat_init(void)
{
	static GOnce once = G_ONCE_INIT;
	g_once(&once, flatten, NULL);
}

/* The entry for (ipproto, port); ipproto 0 = either transport. */
static const hs_port_def *port_def(uint8_t ipproto, uint16_t port)
{
	flat_init();
	for (size_t i = 0; i < flat.nports; i++)
		if (flat.ports[i].port == port && (!ipproto || flat.ports[i].ipproto == ipproto))
			return &flat.ports[i];
	return NULL;
}

const hs_app *hs_app_for_ports(uint8_t ipproto, uint16_t sport, uint16_t dport, bool *server_is_src)
{
	/* The lower well-known port is the service: a client's ephemeral port
	 * can be another service's (47001, 8080 and 5985 are in Linux's range). */
	flat_init();
	for (size_t i = 0; i < flat.nports; i++) {
		const hs_port_def *p = &flat.ports[i];
		if (p->ipproto != ipproto)
			continue;
		if (p->port == dport) {
			*server_is_src = false;
			return p->app;
		}
		if (p->port == sport) {
			*server_is_src = true;
			return p->app;
		}
	}
	return NULL;
}

size_t hs_app_ports(uint8_t ipproto, uint16_t *out, size_t max)
{
	flat_init();
	size_t n = 0;
	for (size_t i = 0; i < flat.nports; i++)
		if (flat.ports[i].ipproto == ipproto) {
			if (n < max)
				out[n] = flat.ports[i].port;
			n++;
		}
	return n;
}

const hs_proto_def *hs_app_probe(uint8_t ipproto, const uint8_t *p, size_t len, hs_probe_verdict *v)
{
	flat_init();
	*v = HS_PROBE_NO;
	unsigned may = len ? flat.first[p[0]] : 0;
	for (size_t i = 0; may >> i; i++) {
		if (!(may >> i & 1) || flat.probes[i]->probe_ipproto != ipproto)
			continue;
		hs_probe_verdict r = flat.probes[i]->probe(p, len);
		if (r == HS_PROBE_CLIENT || r == HS_PROBE_SERVER) {
			*v = r;
			return flat.probes[i];
		}
		if (r == HS_PROBE_MORE)
			*v = HS_PROBE_MORE;
	}
	return NULL;
}

hs_carrier hs_proto_port_carrier(uint16_t port)
{
	const hs_port_def *p = port_def(0, port);
	return p ? p->carrier : HS_CAR_OTHER;
}

const hs_spn_def *hs_proto_spn(const char *spn)
{
	for (size_t i = 0; i < HS_PROTO__COUNT; i++)
		for (const hs_spn_def *s = defs[i]->spns; s && s->prefix; s++)
			if (!strncasecmp(spn, s->prefix, strlen(s->prefix)))
				return s;
	return NULL;
}

uint16_t hs_proto_carrier_port(hs_carrier c)
{
	for (size_t i = 0; i < HS_PROTO__COUNT; i++)
		for (const hs_spn_def *s = defs[i]->spns; s && s->prefix; s++)
			if (s->carrier == c)
				return s->port;
	return 0;
}
