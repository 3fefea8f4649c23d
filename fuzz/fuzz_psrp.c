/* fuzz_psrp.c - libFuzzer target for MS-PSRP: a run of fragments (2.2.4);
 * each complete one is parsed as a message (2.2.1) and its CLIXML read
 * through libxml2 (psrp.c). */
#include <stddef.h>
#include <stdint.h>

#include "psrp.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	size_t off = 0, used;
	hs_psrp_fragment f;
	while (off < size && hs_psrp_fragment_parse(data + off, size - off, &f, &used) == HS_OK) {
		off += used;
		hs_psrp_message m;
		hs_psrp_clixml x;
		if (hs_psrp_message_parse(f.blob.p, f.blob.len, &m) == HS_OK) {
			(void)hs_psrp_type_name(m.type);
			(void)hs_psrp_clixml_read(&m, &x);
		}
	}
	return 0;
}
