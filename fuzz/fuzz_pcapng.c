/* fuzz_pcapng.c - libFuzzer target for the pcapng reader (standalone/pcapng.c):
 * block and option lengths, byte order per section, interfaces, time
 * resolutions and offsets, Enhanced / Simple / obsolete Packet Blocks.  The
 * first byte picks how many bytes each read returns at most (1..256, or
 * whole), so that short reads are exercised.  Checks the reader's promises:
 * packet bytes within the block read, an error always said.  Seeds:
 * fuzz/corpus/pcapng (lab captures cut to their first blocks, and a -w
 * pcapng of a mixed-link-type ETL). */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "pcapng.h"

typedef struct src {
	const uint8_t *d;
	size_t n, at, step;
} src;

static long rd(void *ud, void *buf, size_t n)
{
	src *s = ud;
	size_t got = 0;
	while (got < n && s->at < s->n) {
		size_t k = n - got;
		if (s->step && k > s->step)
			k = s->step;
		if (k > s->n - s->at)
			k = s->n - s->at;
		memcpy((uint8_t *)buf + got, s->d + s->at, k);
		s->at += k;
		got += k;
	}
	return (long)got;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 1)
		return 0;
	src s = { data + 1, size - 1, 0, data[0] };
	hs_pcapng_in *r = hs_pcapng_in_new(rd, &s);
	hs_pcapng_pkt p;
	char err[256];
	bool trunc;
	int k;
	while ((k = hs_pcapng_next(r, &p, err, sizeof err, &trunc)) == 1)
		if (p.caplen > p.wirelen || p.caplen > HS_PCAPNG_MAX_BLOCK || (p.caplen && !p.data))
			abort();
	if (k < 0 && !err[0])
		abort();
	hs_pcapng_in_free(r);
	return 0;
}
