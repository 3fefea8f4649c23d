/* xpress_bench.c - the cost of the ETL reader's plain XPRESS (MS-XCA 2.4)
 * decompression per output byte, on the compressed buffers of a real or
 * bench ETL file, against two references: libfwnt's LZXPRESS decoder (the
 * libyal one the forensic tools use; optional) and memcpy of the same
 * output (no decoder can write its output faster).  Every buffer is also
 * checked to decompress to the same bytes with both decoders.
 * cc -O2 -Istandalone bench/xpress_bench.c build-bench/standalone/libhsinput.a $(pkg-config --libs glib-2.0) [-DHS_HAVE_FWNT -lfwnt]
 * usage: xpress_bench FILE.etl [ROUNDS] */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "etl.h"
#ifdef HS_HAVE_FWNT
#include <libfwnt.h>
#endif

typedef struct {
	const uint8_t *in;
	size_t in_len, out_len;
} cbuf;

static double now(void)
{
	struct timespec t;
	clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &t);
	return t.tv_sec + t.tv_nsec / 1e9;
}

static uint32_t le32(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

int main(int argc, char **argv)
{
	if (argc < 2) {
		fprintf(stderr, "usage: xpress_bench FILE.etl [ROUNDS]\n");
		return 2;
	}
	int rounds = argc > 2 ? atoi(argv[2]) : 5;
	FILE *f = fopen(argv[1], "rb");
	if (!f)
		return 2;
	fseek(f, 0, SEEK_END);
	size_t n = (size_t)ftell(f);
	fseek(f, 0, SEEK_SET);
	uint8_t *file = malloc(n);
	if (!file || fread(file, 1, n, f) != n)
		return 2;
	fclose(f);
	/* WMI buffers: BufferSize at 0, SavedOffset at 4, BufferFlag 0x40 at 0x34: compressed after the 72-byte header */
	cbuf *bufs = NULL;
	size_t nb = 0, in_total = 0, out_total = 0, max_out = 0;
	for (size_t at = 0; n - at >= 72;) {
		uint32_t size = le32(file + at), saved = le32(file + at + 4);
		if (size < 72 || size > n - at)
			break;
		if ((file[at + 0x34] & 0x40) && saved > 72) {
			bufs = realloc(bufs, (nb + 1) * sizeof *bufs);
			bufs[nb++] = (cbuf){ file + at + 72, size - 72, saved - 72 };
			in_total += size - 72;
			out_total += saved - 72;
			if (saved - 72 > max_out)
				max_out = saved - 72;
		}
		at += size;
	}
	if (nb == 0) {
		fprintf(stderr, "xpress_bench: no compressed buffer in %s\n", argv[1]);
		return 2;
	}
	uint8_t *out = malloc(max_out + 64), *ref = malloc(max_out + 64);
	double best_hs = 1e9, best_mc = 1e9, best_fw = 1e9;
	for (int r = 0; r < rounds; r++) {
		double t = now();
		for (size_t i = 0; i < nb; i++)
			if (hs_xpress_decompress(bufs[i].in, bufs[i].in_len, out, bufs[i].out_len) != (long)bufs[i].out_len) {
				fprintf(stderr, "xpress_bench: buffer %zu does not decompress\n", i);
				return 1;
			}
		t = now() - t;
		best_hs = t < best_hs ? t : best_hs;
		t = now();
		for (size_t i = 0; i < nb; i++)
			memcpy(ref, out, bufs[i].out_len);
		__asm__ volatile("" : : "r"(ref) : "memory");
		t = now() - t;
		best_mc = t < best_mc ? t : best_mc;
#ifdef HS_HAVE_FWNT
		t = now();
		for (size_t i = 0; i < nb; i++) {
			size_t ol = bufs[i].out_len;
			if (libfwnt_lzxpress_decompress(bufs[i].in, bufs[i].in_len, ref, &ol, NULL) != 1 || ol != bufs[i].out_len) {
				fprintf(stderr, "xpress_bench: libfwnt fails on buffer %zu\n", i);
				return 1;
			}
		}
		t = now() - t;
		best_fw = t < best_fw ? t : best_fw;
#endif
	}
#ifdef HS_HAVE_FWNT
	for (size_t i = 0; i < nb; i++) { /* the same bytes from both decoders */
		size_t ol = bufs[i].out_len;
		hs_xpress_decompress(bufs[i].in, bufs[i].in_len, out, ol);
		libfwnt_lzxpress_decompress(bufs[i].in, bufs[i].in_len, ref, &ol, NULL);
		if (memcmp(out, ref, bufs[i].out_len) != 0) {
			fprintf(stderr, "xpress_bench: buffer %zu differs from libfwnt's\n", i);
			return 1;
		}
	}
#endif
	printf("%zu buffers, %.1f MiB compressed, %.1f MiB out; best of %d rounds (CPU time):\n", nb, in_total / 1048576.0,
	       out_total / 1048576.0, rounds);
	printf("%-22s %8s %10s\n", "decoder", "ms", "MB/s out");
	printf("%-22s %8.1f %10.0f\n", "hs_xpress_decompress", best_hs * 1e3, out_total / best_hs / 1e6);
#ifdef HS_HAVE_FWNT
	printf("%-22s %8.1f %10.0f\n", "libfwnt lzxpress", best_fw * 1e3, out_total / best_fw / 1e6);
#endif
	printf("%-22s %8.1f %10.0f\n", "memcpy of the output", best_mc * 1e3, out_total / best_mc / 1e6);
	return 0;
}
