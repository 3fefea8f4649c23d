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

/* Fill *d (overwritten) from *f.  Names in the texts (hosts, accounts, SPNs)
 * come from f; missing names are replaced by placeholders such as
 * "<server1>".  Evidence frames are taken from the refs in f. */
void hs_rules_diagnose(const hs_facts *f, hs_diag *d);

#endif
