/* rules.h - the diagnosis: from a chain's facts (model.h) to the delegation
 * method, verdict, most specific cause, detail, explanation, remedies and
 * needs of the report contract.
 *
 * A pure function of the facts (vocab.h: the rules do not know the model): no I/O, no global state, so unit tests
 * (rules_test.c) drive it with synthetic fact sets.  Causes are string
 * literals from report-contract.md.  When the facts cannot settle a
 * question (encrypted FAST e-data, no keys, one vantage point), the rules
 * give the generic cause and say in needs what would settle it.
 */
#ifndef HS_RULES_H
#define HS_RULES_H

#include <stdbool.h>

#include "vocab.h"

/* Fill *d (overwritten) from *f with the first rule of the ordered table
 * (rules.c) that matches.  Names in the texts (hosts, accounts, SPNs) come
 * from f; a name f does not have is said in words ("the user (not seen in
 * the capture)", "the second server"), and a remedy command that needs it
 * first asks for it (Read-Host), so no text carries a placeholder.  Evidence
 * frames are taken from the refs in f; d->decisive is the one the matching
 * rule names as deciding its cause ({0, 0} when it names none that f has).
 * When f->user_saw is set, the explanation quotes it. */
void hs_rules_diagnose(const hs_facts *f, hs_diag *d);

/* The rule table, for tests and documentation: its length, and the cause of
 * entry i in order (NULL past the end).  Several entries may give the same
 * cause. */
size_t hs_rules_count(void);
const char *hs_rules_cause(size_t i);

/* Policies the model applies while it builds and numbers chains, kept here
 * with the rules they feed.
 *
 * hs_rules_credssp_fresh(f): CredSSP hands the first server the password
 * (MS-CSSP): an AS exchange of another account from it, with no user known
 * otherwise, is that user's fresh logon - f's user becomes that account and
 * other_as becomes fresh_as.  Call once the hop-2 Kerberos evidence is in f;
 * true when it relabelled. */
bool hs_rules_credssp_fresh(hs_facts *f);

/* Cross-chain trust: a chain whose first server delegated a forwarded TGT
 * (used, not refused) shows that server trusted for delegation
 * (hs_rules_delegates); another chain of the same server is then judged
 * with server_trusted_seen: a missing TGT is the client's choice, not the
 * server's configuration.  delegating = the chains of f's server
 * (f->s_ip) that delegate, f's own included. */
bool hs_rules_delegates(const hs_facts *f);
void hs_rules_trust(hs_facts *f, unsigned delegating);

#endif
