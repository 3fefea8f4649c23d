/* decode_as.c - decode-as rules as tshark users write them
 * ("tcp.port==8443,winrm-https"; hs.h hs_config_decode_as) and their
 * lookup by the dispatcher (protos.h hs_decode_as_app).
 *
 * The names are not a table of their own: they are the (parser, carrier)
 * pairs the descriptors of protos.def already give for their well-known
 * ports and probes, named by the carrier (report-contract.md) or, for a
 * pair the model counts as no carrier, by the parser ("ldaps", "tls").
 * So a protocol added with its line in protos.def can be decoded-as at
 * once, under the name its port already has. */
#include <glib.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "protos.h"

#define MAX_TARGETS 32

typedef struct target {
	const char *name;
	const hs_app *app[2]; /* [0] TCP, [1] UDP; NULL: none on that transport */
	hs_carrier carrier;
} target;

static struct {
	target t[MAX_TARGETS];
	size_t n;
} targets;

static void add_target(uint8_t ipproto, const hs_app *app, hs_carrier carrier)
{
	const char *name = carrier != HS_CAR_OTHER ? hs_carrier_name(carrier) : app->name;
	size_t i;
	for (i = 0; i < targets.n; i++)
		if (!strcmp(targets.t[i].name, name))
			break;
	if (i == targets.n) {
		if (targets.n == MAX_TARGETS)
			return;
		targets.n++;
		targets.t[i].name = name;
		targets.t[i].carrier = carrier;
	}
	if (!targets.t[i].app[ipproto == 17])
		targets.t[i].app[ipproto == 17] = app;
}

static gpointer collect(gpointer unused)
{
	(void)unused;
	for (int p = 0; p < HS_PROTO__COUNT; p++) {
		const hs_proto_def *d = hs_proto_def_of((hs_proto)p);
		for (const hs_port_def *x = d->ports; x && x->port; x++)
			add_target(x->ipproto, x->app, x->carrier);
		if (d->probe)
			add_target(d->probe_ipproto, d->probe_app, d->probe_carrier);
	}
	return NULL;
}

static void targets_init(void)
{
	static GOnce once = G_ONCE_INIT;
	g_once(&once, collect, NULL);
}

const char *hs_decode_as_name(size_t i)
{
	targets_init();
	return i < targets.n ? targets.t[i].name : NULL;
}

static void names_on(uint8_t ipproto, char *buf, size_t n)
{
	size_t at = 0;
	buf[0] = 0;
	for (size_t i = 0; i < targets.n && at < n; i++)
		if (targets.t[i].app[ipproto == 17])
			at += (size_t)snprintf(buf + at, n - at, "%s%s", at ? ", " : "", targets.t[i].name);
}

static const char *skip_space(const char *s)
{
	while (*s == ' ' || *s == '\t')
		s++;
	return s;
}

static hs_err fail(char *why, size_t n, const char *spec, const char *what)
{
	if (why && n)
		snprintf(why, n, "decode-as '%s': %s", spec, what);
	return HS_E_MALFORMED;
}

hs_err hs_config_decode_as(hs_config *c, const char *spec, char *why, size_t n)
{
	static const char form[] = "expected tcp.port==PORT,NAME or udp.port==PORT,NAME";
	targets_init();
	const char *s = skip_space(spec);
	uint8_t ipproto;
	if (!strncmp(s, "tcp.port", 8))
		ipproto = 6;
	else if (!strncmp(s, "udp.port", 8))
		ipproto = 17;
	else
		return fail(why, n, spec, form);
	s = skip_space(s + 8);
	if (strncmp(s, "==", 2))
		return fail(why, n, spec, form);
	s = skip_space(s + 2);
	char *end;
	if (*s < '0' || *s > '9')
		return fail(why, n, spec, form);
	unsigned long port = strtoul(s, &end, 10);
	if (port < 1 || port > 65535 || end - s > 5)
		return fail(why, n, spec, "the port must be 1-65535");
	s = skip_space(end);
	if (*s != ',')
		return fail(why, n, spec, form);
	s = skip_space(s + 1);
	size_t len = strcspn(s, " \t");
	if (*skip_space(s + len))
		return fail(why, n, spec, form);
	char names[512];
	size_t i;
	for (i = 0; i < targets.n; i++)
		if (strlen(targets.t[i].name) == len && !strncmp(targets.t[i].name, s, len))
			break;
	if (i == targets.n || !targets.t[i].app[ipproto == 17]) {
		char what[600];
		names_on(ipproto, names, sizeof names);
		snprintf(what, sizeof what, "%.*s names no parser on %s (one of: %s)", (int)len, s,
			 ipproto == 6 ? "tcp" : "udp", names);
		return fail(why, n, spec, what);
	}
	unsigned k;
	for (k = 0; k < c->n_decode_as; k++)
		if (c->decode_as[k].ipproto == ipproto && c->decode_as[k].port == port)
			break;
	if (k == HS_DECODE_AS_MAX) {
		char what[64];
		snprintf(what, sizeof what, "more than %d rules", HS_DECODE_AS_MAX);
		fail(why, n, spec, what);
		return HS_E_LIMIT;
	}
	c->decode_as[k].ipproto = ipproto;
	c->decode_as[k].port = (uint16_t)port;
	c->decode_as[k].target = (uint8_t)i;
	if (k == c->n_decode_as)
		c->n_decode_as++;
	return HS_OK;
}

const hs_app *hs_decode_as_app(const hs_config *c, uint8_t ipproto, uint16_t sport, uint16_t dport,
			       bool *server_is_src, hs_carrier *carrier)
{
	const struct hs_decode_as *hit = NULL;
	for (unsigned k = 0; k < c->n_decode_as && k < HS_DECODE_AS_MAX; k++) {
		const struct hs_decode_as *r = &c->decode_as[k];
		if (r->ipproto != ipproto || (r->port != sport && r->port != dport))
			continue;
		if (!hit || r->port < hit->port)
			hit = r;
	}
	if (!hit)
		return NULL;
	targets_init();
	if (hit->target >= targets.n)
		return NULL;
	*server_is_src = hit->port == sport && hit->port != dport;
	*carrier = targets.t[hit->target].carrier;
	return targets.t[hit->target].app[ipproto == 17];
}
