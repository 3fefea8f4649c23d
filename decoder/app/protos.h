/* protos.h - the registry tying protocols to the engine and the model: it
 * reads the descriptors (hs_proto_def, app.h) of the protocols listed in
 * protos.def.  Adding a protocol = its file + one line in protos.def. */
#ifndef HS_PROTOS_H
#define HS_PROTOS_H

#include "app.h"

/* The descriptor of p, or NULL when p is out of range. */
const hs_proto_def *hs_proto_def_of(hs_proto p);

/* The describe function for p, or NULL. */
hs_describe_fn hs_proto_describe(hs_proto p);

/* The parser for a TCP (ipproto 6) or UDP (17) flow between these ports,
 * chosen by the well-known port of either side; NULL if none.  When both
 * ports are well known the lower one wins (the destination on a tie). */
const hs_app *hs_app_for_ports(uint8_t ipproto, uint16_t sport, uint16_t dport, bool *server_is_src);

/* How many bytes of one direction a flow on an unknown port may hold while
 * its probes say HS_PROBE_MORE; then they have given up (probe.c).  Every
 * probe decides within its first PDU's header, far below this. */
#define HS_PROBE_MAX 512

/* The descriptor whose probe accepts p, the first bytes a flow on ports no
 * table names sent in one direction (*v = HS_PROBE_CLIENT or _SERVER: who
 * sent them); NULL with *v = HS_PROBE_MORE when some probe needs more
 * bytes, HS_PROBE_NO when none does.  Cheap: every probe looks at a few
 * header bytes; probes of different protocols never accept the same
 * bytes (protos_test.c). */
const hs_proto_def *hs_app_probe(uint8_t ipproto, const uint8_t *p, size_t len, hs_probe_verdict *v);

/* The parser of a flow between sport and dport per c's decode-as rules (a
 * rule on either port; the lower port on a tie), with the carrier the rule
 * names and which side the service is; NULL when no rule applies. */
const hs_app *hs_decode_as_app(const hs_config *c, uint8_t ipproto, uint16_t sport, uint16_t dport,
			       bool *server_is_src, hs_carrier *carrier);

/* The parser that waits for a flow's first bytes when its probes said
 * HS_PROBE_MORE, then hands the flow to the protocol they find (probe.c). */
extern const hs_app hs_probe_app;

/* What a connection to server port `port` carries for the model (a port
 * names one service whatever the transport); HS_CAR_OTHER when no
 * descriptor lists the port. */
hs_carrier hs_proto_port_carrier(uint16_t port);

/* The SPN entry whose prefix starts spn (without case), or NULL. */
const hs_spn_def *hs_proto_spn(const char *spn);

/* The port the model assumes for carrier c when a hop is known only by its
 * SPN (the first SPN entry of that carrier); 0 when no SPN names c. */
uint16_t hs_proto_carrier_port(hs_carrier c);

#endif
