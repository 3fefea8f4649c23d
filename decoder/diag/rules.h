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

#endif
