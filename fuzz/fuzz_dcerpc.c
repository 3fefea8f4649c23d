/* fuzz_dcerpc.c - libFuzzer target for the dcerpc carrier: the input is a TCP
 * stream given to hs_dcerpc_app (see carrier_fuzz.h for the first byte). */
#include "carrier_fuzz.h"
#include "dcerpc.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	return cf_run(&hs_dcerpc_app, data, size);
}
