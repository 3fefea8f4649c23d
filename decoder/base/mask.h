/* mask.h - credentials typed into command lines, masked in the output.
 *
 * WinRM carries what the user typed: `hop2 smb //srv2/share --cred alice
 * P@ss`, `net use \\srv2\c$ P@ss /user:HOP\alice`, `ConvertTo-SecureString
 * 'P@ss' -AsPlainText -Force`, `smbclient -U alice%P@ss`, `--password=P@ss`,
 * `Password=P@ss;` in a connection string.  These well-known forms are
 * recognised token by token (whitespace-separated, quotes kept) and the
 * secret is replaced by "***" unless HS_DESCRIBE_SECRETS; the describe
 * functions then add `"secrets_masked": true`, and the decoder raises the
 * anomaly "secret_in_command" so that the report says something was
 * hidden.  A command and its arguments are one line: the state carries
 * from one call to the next (an option in one argument, its value in the
 * next).
 */
#ifndef HS_MASK_H
#define HS_MASK_H

#include <glib.h>
#include <stdbool.h>
#include <stddef.h>

typedef struct hs_mask {
	unsigned skip;     /* tokens to pass before the secret (--cred USER PASS) */
	bool next_secret;  /* the next token is a secret */
	bool securestring; /* after ConvertTo-SecureString: its first literal is the secret */
	unsigned masked;   /* secrets found so far */
} hs_mask;

/* Append s (len bytes) to out (when out is not NULL) with the secrets it
 * holds replaced by "***"; st carries across the pieces of one command
 * line (zero it first).  Returns the secrets found in this piece. */
unsigned hs_mask_secrets(hs_mask *st, const char *s, size_t len, GString *out);

#endif
