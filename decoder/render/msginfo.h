/* msginfo.h - what a front end that annotates frames (the Wireshark plugin)
 * shows about decoded messages and diagnosed chains, so that it needs no
 * protocol knowledge of its own.
 *
 * Messages: hs_msginfo_fill() describes one message as a flat list of nodes
 * (out.h HS_OUT_NODES) - the same fields, names and redaction as the CLI's
 * `decode` output - which a front end walks to build its own tree.
 * Chains: hs_chain_decisive() names the one frame that shows a chain's
 * outcome (where the verdict and an expert note belong), and
 * hs_chain_frame_role() says what a frame is to a chain.
 */
#ifndef HS_MSGINFO_H
#define HS_MSGINFO_H

#include <stdbool.h>

#include "hs.h"
#include "vocab.h"

/* Reset o (which must be an HS_OUT_NODES writer) and describe m into it:
 * node 0.. are the common header (input, frame, ts, src, dst, transport,
 * proto, carrier) followed by the protocol's fields.  flags: HS_DESCRIBE_*
 * (secrets are left out unless HS_DESCRIBE_SECRETS).  Returns false (o
 * left empty) when o is not a nodes writer. */
bool hs_msginfo_fill(const hs_msg *m, hs_out *o, unsigned flags);

/* The value of the first node named key at depth 1 (a top-level field such
 * as "proto", "operation", "msg"), or NULL.  Valid as hs_out_node_at's. */
const char *hs_msginfo_get(const hs_out *o, const char *key);

/* True for the common header's nodes (input, frame, ts, src, dst,
 * transport, proto, carrier at depth 1), which a front end that already
 * shows the frame may leave out. */
bool hs_msginfo_is_header(const hs_out_node *n);

/* The decrypted body of a sealed WinRM message (an HS_PROTO_HTTP message
 * whose Kerberos / NTLM / CredSSP sealing was opened): true with *out set
 * (valid during the sink call), false for any other message. */
bool hs_msginfo_plaintext(const hs_msg *m, hs_slice *out);

/* The frame that shows the chain's outcome, or {0, 0} when the chain lists
 * no frame at all: the evidence frame the diagnosis' rule names as deciding
 * its cause (c->diag.decisive: the refused S4U2Proxy, the KDC error, the
 * hop-2 connection ...; rules.c), else the last frame of the last hop. */
hs_ref hs_chain_decisive(const hs_chain *c);

typedef enum hs_frame_role {
	HS_ROLE_NONE = 0,     /* the frame is not listed by the chain */
	HS_ROLE_HOP,          /* a frame of a hop's connection or KDC exchange */
	HS_ROLE_EVIDENCE,     /* cited as evidence by the diagnosis */
	HS_ROLE_DECISIVE      /* hs_chain_decisive() */
} hs_frame_role;

/* What frame (input, frame) is to chain c; *hop is set to the hop index
 * (1 or 2) the frame belongs to, 0 when it is evidence outside both hops. */
hs_frame_role hs_chain_frame_role(const hs_chain *c, hs_ref r, unsigned *hop);

/* "hop", "evidence", "decisive" ("" for HS_ROLE_NONE). */
const char *hs_frame_role_name(hs_frame_role role);

#endif
