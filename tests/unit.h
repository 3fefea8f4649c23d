/* unit.h - helpers shared by the CUnit programs (decoder/ *_test.c).
 *
 * HS_UNIT_MAIN runs the suite and exits with the number of failures
 * (CU_basic_run_tests returns 0 even when tests fail).
 * hs_guard_copy places bytes right before an inaccessible page, so any
 * over-read by a decoder faults at once, as picohttpparser's tests do. */
#ifndef HS_UNIT_H
#define HS_UNIT_H

#include <CUnit/Basic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

typedef struct hs_unit_case {
	const char *name;
	void (*fn)(void);
} hs_unit_case;

static inline int hs_unit_run(const char *suite, const hs_unit_case *cases)
{
	if (CU_initialize_registry() != CUE_SUCCESS)
		return 2;
	CU_pSuite s = CU_add_suite(suite, NULL, NULL);
	for (const hs_unit_case *c = cases; c->name; c++)
		CU_add_test(s, c->name, c->fn);
	CU_basic_set_mode(CU_BRM_VERBOSE);
	CU_basic_run_tests();
	unsigned fails = CU_get_number_of_failures();
	unsigned run = CU_get_number_of_tests_run();
	CU_cleanup_registry();
	return (fails || run == 0) ? 1 : 0;
}

#define HS_UNIT_MAIN(suite, ...)                                        \
	int main(void)                                                  \
	{                                                               \
		static const hs_unit_case cases[] = { __VA_ARGS__, { NULL, NULL } }; \
		return hs_unit_run(suite, cases);                       \
	}

/* A guarded copy of len bytes: the byte after the last is unmapped.  Free
 * with hs_guard_free.  Exits on mmap failure. */
typedef struct hs_guard {
	unsigned char *base;
	size_t maplen;
	unsigned char *p;
} hs_guard;

static inline hs_guard hs_guard_copy(const void *data, size_t len)
{
	hs_guard g;
	size_t pg = (size_t)sysconf(_SC_PAGESIZE);
	size_t pages = (len + pg - 1) / pg + 1;
	g.maplen = pages * pg;
	g.base = mmap(NULL, g.maplen, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (g.base == MAP_FAILED) {
		perror("mmap");
		exit(2);
	}
	mprotect(g.base + (pages - 1) * pg, pg, PROT_NONE);
	g.p = g.base + (pages - 1) * pg - len;
	if (len)
		memcpy(g.p, data, len);
	return g;
}

static inline void hs_guard_free(hs_guard *g) { munmap(g->base, g->maplen); }

/* Read a whole file (test data); exits on failure.  Caller frees. */
static inline unsigned char *hs_read_file(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	if (!f) {
		fprintf(stderr, "cannot open %s\n", path);
		exit(2);
	}
	fseek(f, 0, SEEK_END);
	long n = ftell(f);
	fseek(f, 0, SEEK_SET);
	unsigned char *b = malloc(n > 0 ? (size_t)n : 1);
	if (!b || fread(b, 1, (size_t)n, f) != (size_t)n) {
		fprintf(stderr, "cannot read %s\n", path);
		exit(2);
	}
	fclose(f);
	*len = (size_t)n;
	return b;
}

/* Hex text ("6a 81 ..", whitespace ignored) to bytes; returns length. */
static inline size_t hs_unhex(const char *hex, unsigned char *out, size_t max)
{
	size_t n = 0;
	int hi = -1;
	for (; *hex; hex++) {
		int v;
		char ch = *hex;
		if (ch >= '0' && ch <= '9') v = ch - '0';
		else if (ch >= 'a' && ch <= 'f') v = ch - 'a' + 10;
		else if (ch >= 'A' && ch <= 'F') v = ch - 'A' + 10;
		else continue;
		if (hi < 0) { hi = v; continue; }
		if (n < max) out[n++] = (unsigned char)(hi << 4 | v);
		hi = -1;
	}
	return n;
}

#endif
