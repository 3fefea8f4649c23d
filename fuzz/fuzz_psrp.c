/* fuzz_psrp.c - libFuzzer target for MS-PSRP: a run of fragments (2.2.4);
 * each complete one is parsed as a message (2.2.1) and its CLIXML read
 * through libxml2 (psrp.c); every fragment also goes through the
 * reassembler (a small byte cap, two senders chosen by the fragment's
 * position), and each message it completes is parsed the same way. */
#include <stddef.h>
#include <stdint.h>

#include "psrp.h"

static void message(const uint8_t *p, size_t n)
{
	hs_psrp_message m;
	hs_psrp_clixml x;
	if (hs_psrp_message_parse(p, n, &m) == HS_OK) {
		(void)hs_psrp_type_name(m.type);
		(void)hs_psrp_clixml_read(&m, &x);
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	size_t off = 0, used;
	unsigned k = 0;
	hs_psrp_fragment f;
	hs_psrp_reasm *r = hs_psrp_reasm_new(1u << 16);
	while (off < size && hs_psrp_fragment_parse(data + off, size - off, &f, &used) == HS_OK) {
		off += used;
		if (f.start && f.end)
			message(f.blob.p, f.blob.len);
		GByteArray *whole;
		unsigned nf;
		if (hs_psrp_reasm_add(r, k++ % 3 == 2, &f, &whole, &nf) == HS_PSRP_DONE) {
			message(whole->data, whole->len);
			g_byte_array_free(whole, TRUE);
		}
		if (hs_psrp_reasm_bytes(r) > (1u << 16))
			__builtin_trap(); /* the cap holds */
	}
	hs_psrp_reasm_free(r);
	return 0;
}
