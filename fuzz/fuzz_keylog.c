/* fuzz_keylog.c - the key log store, read whole (hs_keylog_load) and
 * followed as it grows (hs_keylog_follow / hs_keylog_refresh): the input is
 * written to a file in pieces (the first byte picks how many), with a
 * refresh after each piece.  Invariant: once the file ends with a newline,
 * following it found exactly the secrets and the malformed lines that
 * reading it whole finds, whatever the pieces. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "tls.h"

static char path[64];

static void remove_file(void)
{
	unlink(path);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 1)
		return 0;
	if (!path[0]) {
		snprintf(path, sizeof path, "/dev/shm/hs-fuzz-keylog.%d", (int)getpid());
		atexit(remove_file);
	}
	unsigned pieces = 1 + data[0] % 8;
	data++, size--;
	FILE *f = fopen(path, "w");
	if (!f)
		return 0;
	fclose(f);
	hs_keylog *k = hs_keylog_new();
	size_t added = 0, bad = 0, a, b;
	hs_keylog_follow(k, path, &a, &b);
	added += a, bad += b;
	size_t at = 0;
	for (unsigned i = 0; i < pieces; i++) {
		size_t n = i + 1 == pieces ? size - at : size / pieces;
		f = fopen(path, "a");
		fwrite(data + at, 1, n, f);
		if (i + 1 == pieces)
			fputc('\n', f);
		fclose(f);
		at += n;
		if (hs_keylog_refresh(k, &a, &b) != HS_OK)
			goto out; /* the entry cap: nothing to compare */
		added += a, bad += b;
	}
	hs_keylog *w = hs_keylog_new();
	size_t wa = 0, wb = 0;
	if (hs_keylog_load(w, path, &wa, &wb) == HS_OK && (wa != added || wb != bad)) {
		fprintf(stderr, "followed: %zu secrets %zu bad; whole: %zu secrets %zu bad\n", added, bad, wa, wb);
		abort();
	}
	hs_keylog_free(w);
out:
	hs_keylog_free(k);
	return 0;
}
