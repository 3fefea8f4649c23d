/* model.h - the correlation model: decoded messages in, double-hop chains out.
 *
 * hs_model_sink() is an hs_msg_fn: register it with hs_engine_add_msg_sink()
 * and every decoded message becomes bounded, copied state (message bodies
 * live only during the sink call, so the model keeps its own fixed-size
 * copies of what it needs):
 *  - Kerberos exchanges with a KDC (request paired with its reply per flow):
 *    AS/TGS, forwarded-TGT requests, S4U2Self (PA-FOR-USER /
 *    PA-S4U-X509-USER), S4U2Proxy (cname-in-addl-tkt + additional ticket,
 *    PA-PAC-OPTIONS), KRB-ERRORs with the KERB-EXT-ERROR NTSTATUS;
 *  - a ticket table (fingerprint of a ticket's cipher text -> the principal
 *    it was issued to), which is how identities are followed without keys: the
 *    TGT srv1 presents is byte for byte the forwarded TGT the client got, the
 *    ticket in an AP-REQ is the one a TGS-REP carried;
 *  - connections carrying authentication (WinRM/HTTP, SMB2, LDAP, DCE/RPC,
 *    TDS): each authentication attempt (Kerberos AP-REQ, NTLM with user or
 *    anonymous, Basic, CredSSP), its outcome, SMB tree connects, HTTP
 *    401 offers, WinRM operations and faults;
 *  - hosts: IP address plus the names learned from SPNs, HTTP Host, SMB tree
 *    paths, NTLM AV pairs and machine accounts.
 * hs_model_finish() then builds hops and chains (hop 1 = a WinRM session
 * into server S; hop 2 = what S did next, attributed by identity links first
 * and by time windows second) and hands each chain's facts to the rules
 * (rules.h) for the diagnosis.
 *
 * Any vantage point works: the client's capture, srv1's, the DC's port 88,
 * or several merged by time (the same packet seen in two captures counts
 * once).  Memory is bounded by hs_model_config caps; what did not fit is
 * counted in hs_model_dropped().
 */
#ifndef HS_MODEL_H
#define HS_MODEL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "hs.h"

#include "vocab.h"

typedef struct hs_model_config {
	size_t max_conns;     /* connections carrying authentication */
	size_t max_kdc;       /* KDC exchanges */
	size_t max_tickets;   /* ticket fingerprints */
	size_t max_hosts;
	size_t max_chains;    /* chains built at once and held in memory (by one retirement or the finish;
			       * with spill_after, the chains in memory since the last spill) */
	int64_t settle_ns;    /* capture time without evidence after which a session is settled: it is
			       * built into its chain and its working state freed (0: never, all at the finish) */
	size_t spill_after;   /* settled chains kept in memory; past that they all go to an unlinked
			       * temporary file (chain_store.h) and hs_model_chain() reads them back
			       * one at a time (0: never, all in memory) */
} hs_model_config;

/* Defaults: 65536 connections, 65536 KDC exchanges, 65536 tickets, 16384
 * hosts, 4096 chains built at once; sessions settle after 300 s of capture
 * time without evidence; every chain in memory (spill_after 0). */
void hs_model_config_default(hs_model_config *c);

typedef struct hs_model hs_model;

/* NULL config = defaults.  NULL only when out of memory. */
hs_model *hs_model_new(const hs_model_config *cfg);
void hs_model_free(hs_model *m);

/* The message sink (hs_msg_fn): ud is the hs_model.  Copies what it keeps. */
void hs_model_sink(void *ud, const hs_msg *msg);

/* Build hops and chains and diagnose them (rules.h).  Call once, after
 * hs_engine_finish().  The chains belong to the model. */
void hs_model_finish(hs_model *m);

/* A rewrite of every chain before its diagnosis is written, so the texts
 * carry what it wrote.  The front ends pass redact.h's hs_redact_chain_filter
 * for --redact-names (ud: the one redactor of the whole output, so a name
 * gets the same pseudonym everywhere); the model knows nothing of
 * redaction.  ud is not owned and must outlive hs_model_finish; copies
 * (hs_model_copy) share it. */
typedef void (*hs_chain_filter_fn)(void *ud, hs_chain *ch);
void hs_model_set_chain_filter(hs_model *m, hs_chain_filter_fn fn, void *ud);

/* A deep copy of m's collected state, for a snapshot while messages keep
 * coming (live capture): finish the copy, read its chains, free it; m is
 * not changed and may still be fed and finished.  NULL when m is NULL or
 * already finished.  Costs time and memory in proportion to what m holds
 * (bounded by its caps). */
hs_model *hs_model_copy(const hs_model *m);

size_t hs_model_chain_count(const hs_model *m);
/* Chain i.  Once chains went to the store (spill_after, or a retired sink),
 * the pointer is to the model's one read-back slot: valid until the next
 * hs_model_chain() call on m or m is freed, NULL when i is out of range. */
const hs_chain *hs_model_chain(const hs_model *m, size_t i);
/* Chain i was handed to the retired sink (below) when its session settled. */
bool hs_model_chain_streamed(const hs_model *m, size_t i);
/* Chains in the store (out of memory) so far. */
size_t hs_model_stored(const hs_model *m);

/* Called for each chain as its session settles (retirement), judged with
 * what is known then (cross-chain trust from the chains settled so far,
 * the chain filter of hs_model_set_chain_filter); c lives during the call.  The
 * chain is kept (in the store) and judged again by hs_model_finish, which
 * numbers every chain.  Live capture streams verdicts with it. */
typedef void (*hs_model_retired_fn)(void *ud, const hs_chain *c);
void hs_model_set_retired_sink(hs_model *m, hs_model_retired_fn fn, void *ud);

/* Count what the model holds against the engine's memory budget
 * (max_total_buffer, hs_stats.buffered_bytes: one budget with the flows,
 * parser states and stream buffers).  When together they pass it and the
 * model holds more than a quarter, the model settles its oldest half of
 * connections and KDC exchanges early (open or not), builds their chains
 * with the evidence so far, and counts it (hs_model_cap_hits()->memory,
 * hs_model_evicted()).  e must outlive m. */
struct hs_engine;
void hs_model_set_budget(hs_model *m, struct hs_engine *e);
size_t hs_model_bytes(const hs_model *m);
/* Connections and KDC exchanges settled early by the budget. */
uint64_t hs_model_evicted(const hs_model *m);

/* Items not kept because a cap was hit (connections, KDC exchanges,
 * tickets, hosts, chains), and duplicate messages dropped (the same packet
 * seen in two merged captures). */
uint64_t hs_model_dropped(const hs_model *m);

/* What each cap refused (their sum is part of hs_model_dropped): items not
 * kept, and for chains, chains not reported.  The report lists every cap
 * that was hit as a "model_cap" anomaly. */
typedef struct hs_model_caps {
	uint64_t conns, kdc, tickets, hosts, chains;
	uint64_t memory; /* times the memory budget settled state early (hs_model_set_budget) */
} hs_model_caps;
const hs_model_caps *hs_model_cap_hits(const hs_model *m);
const hs_model_config *hs_model_config_of(const hs_model *m);

/* Chains built before the finish because their sessions settled (settle_ns),
 * their working state freed; they are among hs_model_chain()'s after it. */
uint64_t hs_model_retired(const hs_model *m);

/* Tickets the model can follow identities through: those of settled
 * sessions are kept for their lifetime (10 hours: MS-KILE MaxTicketAge),
 * then forgotten. */
size_t hs_model_ticket_count(const hs_model *m);
uint64_t hs_model_duplicates(const hs_model *m);

/* The working state held now: connections and KDC exchanges not settled
 * yet (retirement frees them; the finish builds the rest). */
typedef struct hs_model_held {
	size_t conns, kdc;
} hs_model_held;
hs_model_held hs_model_held_now(const hs_model *m);

#endif
