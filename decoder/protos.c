/* protos.c - protocol registry (see protos.h): every lookup walks the
 * descriptors of protos.def, so the dispatcher, the model and live
 * capture's filter cannot disagree about a port or an SPN. */
#include "protos.h"

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

/* The entry for (ipproto, port); ipproto 0 = either transport. */
static const hs_port_def *port_def(uint8_t ipproto, uint16_t port)
{
	for (size_t i = 0; i < HS_PROTO__COUNT; i++)
		for (const hs_port_def *p = defs[i]->ports; p && p->port; p++)
			if (p->port == port && (!ipproto || p->ipproto == ipproto))
				return p;
	return NULL;
}

const hs_app *hs_app_for_ports(uint8_t ipproto, uint16_t sport, uint16_t dport, bool *server_is_src)
{
	/* The lower well-known port is the service: a client's ephemeral port
	 * can be another service's (47001, 8080 and 5985 are in Linux's range). */
	const hs_port_def *d = port_def(ipproto, dport), *s = port_def(ipproto, sport);
	if (d && (!s || dport <= sport)) {
		*server_is_src = false;
		return d->app;
	}
	if (s) {
		*server_is_src = true;
		return s->app;
	}
	return NULL;
}

size_t hs_app_ports(uint8_t ipproto, uint16_t *out, size_t max)
{
	/* ascending, as a filter reads best; a handful of ports, so no sort */
	size_t n = 0;
	for (uint32_t last = 0;;) {
		uint32_t next = 0x10000;
		for (size_t i = 0; i < HS_PROTO__COUNT; i++)
			for (const hs_port_def *p = defs[i]->ports; p && p->port; p++)
				if (p->ipproto == ipproto && p->port > last && p->port < next)
					next = p->port;
		if (next > 0xffff)
			return n;
		if (n < max)
			out[n] = (uint16_t)next;
		n++;
		last = next;
	}
}

const hs_app *hs_app_probe(uint8_t ipproto, const uint8_t *payload, size_t len)
{
	for (size_t i = 0; i < HS_PROTO__COUNT; i++)
		if (defs[i]->probe && defs[i]->probe_ipproto == ipproto && defs[i]->probe(payload, len))
			return defs[i]->probe_app;
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
