/* psrp_bench.c - cost of MS-PSRP reassembly (2.2.4): one message of SIZE
 * bytes cut into fragments of FRAG bytes of blob, added to a reassembler
 * fragment by fragment, repeated; prints the fragments per second, MB/s of
 * message bytes and the most the reassembler held.
 * cc -O2 -Idecoder bench/psrp_bench.c build/decoder/libhsdecoder.a $(pkg-config --libs glib-2.0 libxml-2.0 libcrypto)
 * usage: psrp_bench [SIZE [FRAG]]   (default 4194304 200) */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "psrp.h"

static double now(void)
{
	struct timespec t;
	clock_gettime(CLOCK_MONOTONIC, &t);
	return t.tv_sec + t.tv_nsec / 1e9;
}

int main(int argc, char **argv)
{
	size_t size = argc > 1 ? strtoul(argv[1], NULL, 10) : 4u << 20, frag = argc > 2 ? strtoul(argv[2], NULL, 10) : 200;
	if (!size || !frag)
		return 2;
	uint8_t *msg = malloc(size);
	memset(msg, 0x41, size);
	size_t nfrag = (size + frag - 1) / frag, peak = 0;
	int reps = 20;
	hs_psrp_reasm *r = hs_psrp_reasm_new(size);
	double t0 = now();
	for (int k = 0; k < reps; k++) {
		for (size_t i = 0; i < nfrag; i++) {
			size_t off = i * frag, n = size - off < frag ? size - off : frag;
			hs_psrp_fragment f = { (uint64_t)k, i, i == 0, i == nfrag - 1, { msg + off, n } };
			GByteArray *out;
			unsigned nf;
			hs_psrp_reasm_res res = hs_psrp_reasm_add(r, 1, &f, &out, &nf);
			if (hs_psrp_reasm_bytes(r) > peak)
				peak = hs_psrp_reasm_bytes(r);
			if (res == HS_PSRP_DONE) {
				if (out->len != size || nf != nfrag)
					return 1;
				g_byte_array_free(out, TRUE);
			} else if (res != HS_PSRP_PENDING) {
				return 1;
			}
		}
	}
	double s = now() - t0;
	printf("message %zu bytes in %zu fragments of %zu: %.1f M fragments/s, %.0f MB/s, peak held %zu bytes\n", size,
	       nfrag, frag, reps * nfrag / s / 1e6, reps * size / s / 1e6, peak);
	hs_psrp_reasm_free(r);
	free(msg);
	return 0;
}
