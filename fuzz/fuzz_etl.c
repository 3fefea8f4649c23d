/* fuzz_etl.c - libFuzzer target for the ETL reader (standalone/etl.c): WMI
 * buffer and record sizes, the log header, XPRESS, XPRESS Huffman and LZNT1 decompression,
 * PktMon / NDIS packet events, copies folded and time ordering.  The first
 * byte picks: bit 0 --etl-all-copies, bit 1 a 4 KiB ordering cap (so that
 * early release runs), bit 2 the decompressors alone on the rest.  Checks
 * the reader's promises: lengths within the packet, an error always said.
 * Seeds: fuzz/corpus/etl (fuzz/make_etl_corpus.sh: lab captures through
 * tests/input/etl_writer.py). */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "etl.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 1)
		return 0;
	uint8_t mode = data[0];
	data++;
	size--;
	if (mode & 4) {
		static uint8_t out[1 << 16];
		static uint16_t table[HS_XPRESS_HUFF_TABLE];
		size_t want = size ? data[0] * 256u : 0;
		if (hs_xpress_decompress(data, size, out, want) > (long)want ||
		    hs_lznt1_decompress(data, size, out, want) > (long)want ||
		    hs_xpress_huff_decompress(data, size, out, want, table) > (long)want)
			abort();
		return 0;
	}
	hs_etl *e = hs_etl_new_buffer(data, size, mode & 1, mode & 2 ? 4096 : 0);
	if (!e)
		return 0;
	hs_etl_packet p;
	int r;
	uint64_t n = 0;
	while ((r = hs_etl_next(e, &p)) == 1) {
		if (!p.data || p.caplen > p.wirelen)
			abort();
		volatile uint8_t touch = p.caplen ? p.data[0] ^ p.data[p.caplen - 1] : 0; /* both ends readable (ASan) */
		(void)touch;
		n++;
	}
	const hs_etl_stats *st = hs_etl_stats_get(e);
	if ((r < 0 && !hs_etl_error(e)[0]) || (r == 0 && n != st->packet_events + st->drops - (mode & 1 ? 0 : st->folded)))
		abort();
	hs_etl_free(e);
	return 0;
}
