/* keyfile.h - reading key material files (--keylog, --keytab).
 *
 * One read for every kind of file: regular files, pipes, FIFOs, character
 * devices and process substitutions are read the same way, up to a cap
 * (a file that does not end within it is refused: /dev/zero cannot make
 * hopsniff read forever or fill memory); directories are refused.  Key
 * logs are text, and Windows tools write text as UTF-16 (PowerShell 5's
 * Out-File and ">" redirection): hs_keyfile_text() turns UTF-16 (with or
 * without BOM) and UTF-8 with BOM into plain UTF-8.  Key bytes are secret:
 * callers wipe the buffer (OPENSSL_cleanse) before freeing it.
 */
#ifndef HS_KEYFILE_H
#define HS_KEYFILE_H

#include <glib.h>
#include <stddef.h>

#include "status.h"

/* Read path whole into a new array (*out, the caller frees it).  Returns
 * HS_OK; HS_E_UNKNOWN when it cannot be opened or read, or is a directory
 * (errno set: EISDIR for a directory); HS_E_LIMIT when it holds more than
 * max bytes (only max + 1 bytes are read).  why gets the reason in words. */
hs_err hs_keyfile_read(const char *path, size_t offset, size_t max, GByteArray **out, char *why, size_t whylen);

/* Convert b in place to UTF-8 text: a UTF-8 BOM is dropped, UTF-16LE/BE
 * (BOM, or a NUL in every other byte of the first line) is converted.
 * Returns the encoding found ("UTF-8", "UTF-8 with BOM", "UTF-16LE", "UTF-16BE"), or NULL
 * when b is UTF-16 that does not convert (why says where). */
const char *hs_keyfile_text(GByteArray *b, char *why, size_t whylen);

#endif
