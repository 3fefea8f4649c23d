/* winrm_seal.h - opening WinRM bodies sealed with the first hop's own
 * Kerberos or NTLM authentication (MS-WSMV 2.2.9.1.1, 2.2.9.1.2:
 * "application/HTTP-SPNEGO-session-encrypted" and
 * "application/HTTP-Kerberos-session-encrypted").
 *
 * One hs_winrm_seal per HTTP connection (WinRM authenticates connections):
 * the carrier (http.c) hands it every security blob of the connection's
 * Authorization / WWW-Authenticate headers, then each sealed body.  With a
 * keytab of the service (--keytab) the Kerberos AP-REQ gives the ticket's
 * session key and the initiator subkey, the AP-REP the acceptor subkey
 * (RFC 4121 s2); with the user's password or NT hash (--ntlm-password,
 * --nt-hash) the NTLM exchange gives the session keys (ntlm_seal.c).  Each
 * part is opened (krb5_wrap.c / ntlm_seal.c) and its checksum verified;
 * the plaintexts are concatenated for the SOAP decoder.
 *
 * Memory: the state holds keys (wiped on free) and copies of the NTLM
 * CHALLENGE/AUTHENTICATE (a few hundred bytes); plaintext goes into the
 * caller's buffer, bounded by the caller.
 */
#ifndef HS_WINRM_SEAL_H
#define HS_WINRM_SEAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <glib.h>

#include "app.h"
#include "winrm.h"

typedef struct hs_winrm_seal hs_winrm_seal;

hs_winrm_seal *hs_winrm_seal_new(void);
void hs_winrm_seal_free(hs_winrm_seal *s); /* wipes keys; NULL is fine */

/* One decoded-from-base64 security blob of the connection (SPNEGO, raw
 * Kerberos or raw NTLMSSP), in wire order. */
void hs_winrm_seal_token(hs_winrm_seal *s, hs_app_ctx *ctx, const uint8_t *p, size_t n, bool from_server);

/* True when s knows how this body is sealed (a Kerberos or NTLM exchange
 * was seen on the connection). */
bool hs_winrm_seal_known(const hs_winrm_seal *s);
/* Bytes s holds (the state and the NTLM messages it keeps), for the memory
 * budget (engine.h hs_engine_account); 0 for NULL. */
size_t hs_winrm_seal_bytes(const hs_winrm_seal *s);

/* Open the parts of e (a parsed multipart/encrypted or x-multi-encrypted
 * body) sent by the server or the client, appending the plaintext to out
 * (at most max bytes in all).  Sets e->mech, and e->decrypted /
 * decrypted_len / sha256 or e->not_decrypted.  Returns true when every part
 * opened and each one's length equals its OriginalContent Length. */
bool hs_winrm_seal_open(hs_winrm_seal *s, hs_app_ctx *ctx, hs_winrm_enc *e, bool from_server, GByteArray *out,
			size_t max);

#endif
