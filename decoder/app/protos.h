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

/* The parser for a TCP (6) or UDP (17) flow on ports no table names, judged
 * from the first payload its initiator sent (e.g. DCE/RPC on the dynamic
 * ports of DCOM/WMI); NULL if nothing recognises it.  Cheap: a few byte
 * comparisons per probe. */
const hs_app *hs_app_probe(uint8_t ipproto, const uint8_t *payload, size_t len);

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
