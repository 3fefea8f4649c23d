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

/* What an error line the hop-1 user saw (facts.user_saw: cmd output, a
 * PowerShell ErrorRecord, a WS-Management fault) says about the second hop,
 * from the words and codes Windows and the Samba/MIT tools print
 * (double-hop-domain.md): a refusal by the second server, the first server
 * holding no credential of the user, the KDC refusing, a clock error, a
 * target not found.  Case-insensitive; HS_SAW_NONE for a line that is none
 * of these (the model also uses it to take an error line from stdout). */
typedef enum hs_saw_says {
	HS_SAW_NONE = 0,
	HS_SAW_DENIED,          /* "Access is denied", E_ACCESSDENIED, NT_STATUS_ACCESS_DENIED */
	HS_SAW_ANONYMOUS,       /* "NT AUTHORITY\ANONYMOUS LOGON" */
	HS_SAW_NO_CREDENTIALS,  /* "A specified logon session does not exist" (0x8009030E), SEC_E_NO_CREDENTIALS */
	HS_SAW_LOGON_FAILURE,   /* STATUS_LOGON_FAILURE, "The user name or password is incorrect" */
	HS_SAW_S4U2PROXY,       /* the KDC refused constrained delegation (MIT kvno: "constrained delegation failed") */
	HS_SAW_KDC,             /* another KDC refusal ("KDC can't fulfill requested option", KDC_ERR_*) */
	HS_SAW_SKEW,            /* clock skew (KRB_AP_ERR_SKEW, SEC_E_TIME_SKEW 0x80090324) */
	HS_SAW_NOT_FOUND        /* "The network path was not found", BAD_NETWORK_NAME: the target was not reached */
} hs_saw_says;
hs_saw_says hs_rules_saw_says(const char *line);

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

/* Cross-chain trust: a chain whose first server received a forwarded TGT
 * (used by it, or riding in the hop-1 authenticator; hop 2 not refused)
 * shows that server trusted for delegation
 * (hs_rules_delegates); another chain of the same server is then judged
 * with server_trusted_seen: a missing TGT is the client's choice, not the
 * server's configuration.  delegating = the chains of f's server
 * (f->s_ip) that delegate, f's own included. */
bool hs_rules_delegates(const hs_facts *f);
void hs_rules_trust(hs_facts *f, unsigned delegating);

#endif
