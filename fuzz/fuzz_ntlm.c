/* fuzz_ntlm.c - libFuzzer target for the NTLMSSP decoder and describer.
 * The first input byte picks the describe flags (secrets or not) and the
 * output mode, llhttp-style; the rest is one NTLMSSP message. */
#include <stddef.h>
#include <stdint.h>

#include "hs.h"
#include "ntlm.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 1)
		return 0;
	uint8_t sel = data[0];
	data++;
	size--;
	hs_ntlm_msg m;
	hs_ntlm_decode(data, size, &m);
	hs_out *o = hs_out_new(sel & 1 ? HS_OUT_TEXT : HS_OUT_JSON);
	hs_out_begin(o, NULL);
	hs_ntlm_describe(&m, o, sel & 2 ? HS_DESCRIBE_SECRETS : 0);
	hs_out_end(o);
	hs_out_free(o);
	/* The text conversion alone, over the raw bytes, with a tiny buffer too. */
	char buf[64];
	hs_slice s = { data, size };
	hs_ntlm_text(s, (sel & 4) != 0, buf, sel & 8 ? 5 : sizeof buf);
	return 0;
}
