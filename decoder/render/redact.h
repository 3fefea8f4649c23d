/* redact.h - --redact-names: stable pseudonyms for user, host and domain names.
 *
 * One redactor serves every output of a run, so a name gets the same
 * pseudonym everywhere: the report's chains (hs_redact_chain, which the
 * front ends hand to the model as its chain filter, so it runs before the
 * diagnosis is written), and every string the
 * output layer writes (hs_redact_out_filter on an hs_out: decode text and
 * JSON, --messages, HTML, the plugin's fields), names inside free text too
 * (SOAP, command lines, URLs, certificate subjects).
 *
 * Pseudonyms: users user1, user2 ...; hosts host1 ... (machine accounts
 * HOST1$); DNS domains dom1.example, NetBIOS domains dom2 (upper case where
 * the original was).  Names are learnt from the fields that carry them
 * (Kerberos cname/sname/realm, NTLM user/domain/workstation, HTTP Host, TLS
 * SNI ...) and from share paths in free text (\\host\share, //host/share) as
 * messages pass through the filter; free text is rewritten with
 * the names learnt so far, so a front end that wants every name of a
 * capture replaced from its first message runs a learning pass first
 * (hopsniff reads its files twice with --redact-names).
 */
#ifndef HS_REDACT_H
#define HS_REDACT_H

#include <glib.h>
#include <stddef.h>

#include "vocab.h" /* hs_chain */
#include "out.h"

typedef struct hs_redact hs_redact;

hs_redact *hs_redact_new(void);
void hs_redact_free(hs_redact *r);

/* In place, within s's n bytes.  host: first label -> hostN, the rest ->
 * domN.example; principal: user part -> userN (machine accounts HOSTN$),
 * realm -> DOMN.EXAMPLE, "DOM\user" kept in that form; spn: the host part
 * of "class/host[:port][@realm]" (a principal when there is no '/'). */
void hs_redact_host(hs_redact *r, char *s, size_t n);
void hs_redact_principal(hs_redact *r, char *s, size_t n);
void hs_redact_spn(hs_redact *r, char *s, size_t n);

/* Every name field of a chain (user, hops' hosts, principals, targets, facts). */
void hs_redact_chain(hs_redact *r, hs_chain *ch);
/* hs_redact_chain as the model's chain filter (hs_model_set_chain_filter:
 * ud is the hs_redact), so the diagnosis is written with the pseudonyms. */
void hs_redact_chain_filter(void *ud, hs_chain *ch);

/* Learn the names in a field: key says what value is (cname, realm, host ...;
 * other keys teach nothing).  value need not be NUL-terminated. */
void hs_redact_learn(hs_redact *r, const char *key, const char *value, size_t len);

/* Append s (len bytes) to out with every learnt name replaced.  Returns
 * true when something was replaced. */
bool hs_redact_text(hs_redact *r, const char *s, size_t len, GString *out);

/* An hs_out_filter (out.h) over a redactor (ud): learns from the field, then
 * rewrites its value. */
bool hs_redact_out_filter(void *ud, const char *key, const char *s, size_t len, GString *out);
/* Command output (a cmd shell's stdout / stderr, PowerShell information
 * text: the field "text") is free text in which a name can stand that no
 * field of the capture carries, so that it cannot be redacted with
 * certainty: the filters withhold it (its length is shown). */
bool hs_redact_withheld(const char *key);
/* An hs_out_filter that only learns (the field and the names its text
 * introduces) and leaves the value as it is: for a front end that keeps
 * what it describes and rewrites it once every name is known (the plugin,
 * at the end of Wireshark's first pass). */
bool hs_redact_learn_filter(void *ud, const char *key, const char *s, size_t len, GString *out);
/* A decrypted WinRM body (SOAP XML) for display: every learnt name
 * replaced, and every element text that is base64 of 16 characters or more
 * (rsp:Stream command output, PSRP fragments, creationXml, Arguments)
 * withheld with its length, since names inside it cannot be rewritten.
 * Appends to out. */
void hs_redact_xml_body(hs_redact *r, const char *s, size_t len, GString *out);

#endif
