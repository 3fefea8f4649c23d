/* protos.h - the registry tying protocols to the engine: which hs_app
 * parses which ports, and which describe function renders which hs_proto.
 * Adding a protocol = its file + one line in protos.c. */
#ifndef HS_PROTOS_H
#define HS_PROTOS_H

#include "app.h"

/* The describe function for p, or NULL. */
hs_describe_fn hs_proto_describe(hs_proto p);

/* The parser for a TCP (ipproto 6) or UDP (17) flow between these ports,
 * chosen by the well-known port of either side; NULL if none. */
const hs_app *hs_app_for_ports(uint8_t ipproto, uint16_t sport, uint16_t dport, bool *server_is_src);

/* The parser for a TCP (6) or UDP (17) flow on ports no table names, judged
 * from the first payload its initiator sent (e.g. DCE/RPC on the dynamic
 * ports of DCOM/WMI); NULL if nothing recognises it.  Cheap: a few byte
 * comparisons per probe. */
const hs_app *hs_app_probe(uint8_t ipproto, const uint8_t *payload, size_t len);

#endif
