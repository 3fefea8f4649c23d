/* tcp.h - the flow table, TCP stream reassembly and UDP dispatch.
 *
 * A flow exists only for traffic some hs_app wants (hs_app_for_ports, or
 * the engine's resolver): every other packet costs one port-table lookup
 * and nothing else (no hashing, no buffering, no allocation).
 *
 * Per TCP direction the reassembler keeps the bytes the parser has not
 * consumed yet plus out-of-order segments, both within
 * hs_config.max_stream_buffer.  Policies (all deterministic):
 *  - overlaps: the bytes seen first win (what Linux and Windows do for data
 *    already queued); a later copy that differs is anomaly "tcp_overlap".
 *  - holes: waited for until the peer acknowledges data beyond the hole,
 *    the direction's buffer cap is reached, the direction ends (FIN/RST),
 *    the flow expires or input ends.  Then: anomaly "tcp_gap" with the
 *    missing byte count, hs_stats.tcp_gaps++, buffered partial PDU dropped,
 *    app gap(), and delivery resumes after the hole.
 *  - mid-stream pickup (no SYN seen): the stream starts at the first
 *    sequence number seen; the parser gets gap() before its first bytes.
 *  - orientation (hs_meta.dir 0 = initiator): a SYN says who initiated;
 *    without one, the side on the app's well-known port is the responder;
 *    when both ports are well known, the lower port is.
 *  - port reuse: a SYN (without ACK) on a closed flow, or with an ISN other
 *    than the one seen, starts a new flow instance with a new flow_id.
 *  - closed flows stay in the table (absorbing late ACKs/retransmissions)
 *    until idle expiry or reuse; their buffers and parser state are freed.
 *  - snaplen-truncated segments: the captured bytes are used and the cut
 *    remainder is a gap.
 */
#ifndef HS_TCP_H
#define HS_TCP_H

#include <glib.h>

#include "hs.h"
#include "ip.h"
#include "net.h"

void hs_flows_init(hs_flows *t);
/* Flush and close every flow (parsers get eof and close()), then free. */
void hs_flows_finish(hs_net *e);
/* Free everything without calling parsers (engine teardown). */
void hs_flows_free(hs_net *e);
/* Close flows idle longer than the timeout at e->now_ns. */
void hs_flows_expire(hs_net *e);

/* One TCP segment / UDP datagram from the IP layer, at the engine's
 * current frame. */
void hs_tcp_input(hs_net *e, const hs_ip_pkt *ip);
void hs_udp_input(hs_net *e, const hs_ip_pkt *ip);

#endif
