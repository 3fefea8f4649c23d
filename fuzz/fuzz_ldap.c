/* fuzz_ldap.c - libFuzzer target for the ldap carrier: the input is a TCP
 * stream given to hs_ldap_app (see carrier_fuzz.h for the first byte). */
#include "carrier_fuzz.h"
#include "ldap.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	return cf_run(&hs_ldap_app, data, size);
}
