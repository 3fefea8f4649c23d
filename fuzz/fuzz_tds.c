/* fuzz_tds.c - libFuzzer target for the tds carrier: the input is a TCP
 * stream given to hs_tds_app (see carrier_fuzz.h for the first byte). */
#include "carrier_fuzz.h"
#include "tds.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	return cf_run(&hs_tds_app, data, size);
}
