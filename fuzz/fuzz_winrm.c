/* fuzz_winrm.c - libFuzzer target for the SOAP path (hs_winrm_parse through
 * libxml2) and the encrypted-body MIME parser, with the describers.
 * Byte 0: bit 0 selects the MIME parser (the Content-Type is the first line
 * of the rest, up to '\n'), else SOAP; bit 1 text rendering. */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "http.h"
#include "winrm.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 1)
		return 0;
	uint8_t sel = data[0];
	data++;
	size--;
	hs_out *o = hs_out_new(sel & 2 ? HS_OUT_TEXT : HS_OUT_JSON);
	hs_out_begin(o, NULL);
	if (sel & 1) {
		const uint8_t *nl = memchr(data, '\n', size);
		size_t cl = nl ? (size_t)(nl - data) : size;
		hs_slice ct = { data, cl };
		hs_winrm_enc e;
		hs_winrm_parse_encrypted(ct, data + cl + (nl ? 1 : 0), size - cl - (nl ? 1 : 0), &e);
		hs_http_msg m;
		memset(&m, 0, sizeof m);
		m.enc = &e;
		hs_http_describe(&m, o, 0);
	} else {
		hs_winrm_msg m;
		hs_winrm_parse(data, size, &m);
		hs_winrm_describe(&m, o, 0);
		hs_winrm_release(&m);
	}
	hs_out_end(o);
	hs_out_free(o);
	return 0;
}
