/* keytab.h - MIT keytab files (the FILE: format written by ktutil,
 * `samba-tool domain exportkeytab`, msktutil, ktpass): version 0x0502 (big
 * endian, with a name type) and 0x0501 (host byte order, the component
 * count includes the realm, no name type), as MIT krb5's kt_file.c reads
 * them.
 *
 * Layout: 2-byte version, then records: a signed 32-bit size (negative =
 * a hole left by a deleted entry, skipped), then that many bytes: component
 * count (16 bit), realm, components (each a 16-bit length + bytes), name
 * type (32 bit, 0x0502 only), timestamp (32 bit), kvno (8 bit), enctype
 * (16 bit), key (16-bit length + bytes), and, when at least 4 bytes remain
 * in the record, a 32-bit kvno that replaces the 8-bit one unless it is 0.
 *
 * The parser is bounds-checked through hs_cur and allocation-free: it
 * hands each entry to a callback.  Hard caps: HS_KEYTAB_MAX_FILE bytes,
 * HS_KEYTAB_MAX_ENTRIES entries, principals of HS_KEYTAB_MAX_PRINC
 * characters, keys of HS_KEYTAB_MAX_KEY bytes.  Key bytes are secret.
 */
#ifndef HS_KEYTAB_H
#define HS_KEYTAB_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "status.h"

#define HS_KEYTAB_MAX_FILE (4u << 20)  /* 4 MiB */
#define HS_KEYTAB_MAX_ENTRIES 4096
#define HS_KEYTAB_MAX_PRINC 512        /* "comp/comp@REALM" text, NUL excluded */
#define HS_KEYTAB_MAX_COMPONENTS 16
#define HS_KEYTAB_MAX_KEY 64

typedef struct hs_keytab_entry {
	char principal[HS_KEYTAB_MAX_PRINC + 1]; /* components joined by '/', '@', realm (as klist prints) */
	char realm[HS_KEYTAB_MAX_PRINC + 1];
	uint16_t n_components;
	int32_t name_type;                       /* 0x0501: 0 (not stored) */
	uint32_t timestamp;                      /* seconds since 1970, UTC */
	uint8_t vno8;
	uint32_t kvno;                           /* the 32-bit kvno when present and non-zero, else vno8 */
	int32_t etype;
	uint16_t keylen;
	uint8_t key[HS_KEYTAB_MAX_KEY];
} hs_keytab_entry;

/* Called once per entry; the entry is valid during the call only (the
 * parser wipes it afterwards).  Return false to stop parsing (the parse
 * then returns HS_OK with what was delivered). */
typedef bool (*hs_keytab_fn)(void *ud, const hs_keytab_entry *e);

/* Parse a whole keytab held in p[0..len).  Returns HS_OK; HS_E_UNKNOWN when
 * the version is not 0x0501/0x0502; HS_E_TRUNCATED when a record runs past
 * the end; HS_E_MALFORMED for an impossible record (a component or key
 * longer than its record, bytes in a record that do not fit the layout);
 * HS_E_LIMIT when a cap is hit (file size, entries, principal length,
 * components, key length).  Entries before an error have been delivered.
 * When err is not NULL, a one-line human reason is written to it (at most
 * errlen bytes) on failure, naming the byte offset. */
hs_err hs_keytab_parse(const uint8_t *p, size_t len, hs_keytab_fn fn, void *ud, char *err, size_t errlen);

#endif
