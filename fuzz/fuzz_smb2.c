/* fuzz_smb2.c - libFuzzer target for the smb2 carrier: the input is a TCP
 * stream given to hs_smb2_app (see carrier_fuzz.h for the first byte). */
#include "carrier_fuzz.h"
#include "smb2.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	return cf_run(&hs_smb2_app, data, size);
}
