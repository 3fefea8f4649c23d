/* fuzz_keytab.c - libFuzzer target for the MIT keytab parser (keytab.c).
 * The input is a whole keytab file; every delivered entry is checked for
 * the parser's promises (NUL-terminated principal within the cap, key
 * length within the cap).  Seeds: the lab's keytabs (fuzz/corpus/keytab). */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "keytab.h"

static bool check(void *ud, const hs_keytab_entry *e)
{
	size_t *n = ud;
	if (strlen(e->principal) > HS_KEYTAB_MAX_PRINC || strlen(e->realm) > HS_KEYTAB_MAX_PRINC ||
	    e->keylen > HS_KEYTAB_MAX_KEY || e->n_components > HS_KEYTAB_MAX_COMPONENTS || !strchr(e->principal, '@'))
		abort();
	(*n)++;
	return true;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	size_t n = 0;
	char err[256];
	hs_err r = hs_keytab_parse(data, size, check, &n, err, sizeof err);
	if (n > HS_KEYTAB_MAX_ENTRIES || (r != HS_OK && !err[0]))
		abort();
	return 0;
}
