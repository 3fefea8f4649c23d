/* keytab_test.c - the keytab parser against MIT's klist on the lab's real
 * keytabs (klist -k -t -e -K is the oracle, run here), and on truncated,
 * hostile and hand-built 0x0501 files. */
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <glib.h>

#include "keytab.h"
#include "unit.h"

typedef struct got {
	GPtrArray *lines; /* "kvno timestamp principal (etype) (0xkey)" as klist prints */
	size_t n;
} got;

static const char *etype_klist(int32_t e)
{
	switch (e) {
	case 17: return "aes128-cts-hmac-sha1-96";
	case 18: return "aes256-cts-hmac-sha1-96";
	case 19: return "aes128-cts-hmac-sha256-128";
	case 20: return "aes256-cts-hmac-sha384-192";
	case 23: return "DEPRECATED:arcfour-hmac";
	default: return "?";
	}
}

static bool collect(void *ud, const hs_keytab_entry *e)
{
	got *g = ud;
	GString *s = g_string_new(NULL);
	char ts[32];
	time_t t = (time_t)e->timestamp;
	struct tm tm;
	gmtime_r(&t, &tm);
	/* klist's short date (two-digit year) */
	snprintf(ts, sizeof ts, "%02d/%02d/%02d %02d:%02d:%02d", tm.tm_mon + 1, tm.tm_mday, tm.tm_year % 100, tm.tm_hour,
		 tm.tm_min, tm.tm_sec);
	g_string_append_printf(s, "%u %s %s (%s)  (0x", e->kvno, ts, e->principal, etype_klist(e->etype));
	for (unsigned i = 0; i < e->keylen; i++)
		g_string_append_printf(s, "%02x", e->key[i]);
	g_string_append_c(s, ')');
	g_ptr_array_add(g->lines, g_string_free(s, FALSE));
	g->n++;
	return true;
}

static GPtrArray *klist(const char *path)
{
	GPtrArray *a = g_ptr_array_new_with_free_func(g_free);
	char *cmd = g_strdup_printf("TZ=UTC klist -k -t -e -K '%s'", path);
	FILE *f = popen(cmd, "r");
	char line[1024];
	CU_ASSERT_PTR_NOT_NULL_FATAL(f);
	while (fgets(line, sizeof line, f)) {
		unsigned kvno;
		char d[16], tm[16], rest[900];
		if (sscanf(line, " %u %15s %15s %899[^\n]", &kvno, d, tm, rest) == 4)
			g_ptr_array_add(a, g_strdup_printf("%u %s %s %s", kvno, d, tm, rest));
	}
	CU_ASSERT_EQUAL(pclose(f), 0);
	g_free(cmd);
	return a;
}

static void test_lab_keytabs_vs_klist(void)
{
	const char *caps = getenv("HS_CAPTURES");
	char *pat = g_strdup_printf("%s/lab/scenarios", caps ? caps : "captures");
	GDir *dir = g_dir_open(pat, 0, NULL);
	size_t files = 0, entries = 0;
	CU_ASSERT_PTR_NOT_NULL_FATAL(dir);
	const char *sc;
	while ((sc = g_dir_read_name(dir))) {
		static const char *const names[] = { "srv1.keytab", "srv2.keytab", "krbtgt.keytab", "svc_runas.keytab" };
		for (unsigned i = 0; i < 4; i++) {
			char *path = g_build_filename(pat, sc, names[i], NULL);
			gchar *buf;
			gsize len;
			if (!g_file_get_contents(path, &buf, &len, NULL)) {
				g_free(path);
				continue;
			}
			got g = { g_ptr_array_new_with_free_func(g_free), 0 };
			char err[128];
			CU_ASSERT_EQUAL(hs_keytab_parse((uint8_t *)buf, len, collect, &g, err, sizeof err), HS_OK);
			GPtrArray *want = klist(path);
			CU_ASSERT_EQUAL(g.lines->len, want->len);
			for (guint j = 0; j < want->len && j < g.lines->len; j++) {
				if (strcmp(want->pdata[j], g.lines->pdata[j]) != 0) {
					fprintf(stderr, "\n%s #%u:\n klist:  %s\n parser: %s\n", path, j,
						(char *)want->pdata[j], (char *)g.lines->pdata[j]);
					CU_FAIL("entry differs from klist");
				}
			}
			entries += g.n;
			files++;
			/* every truncated prefix: an error or fewer entries, no over-read */
			for (size_t n = 0; n < len; n++) {
				hs_guard gd = hs_guard_copy(buf, n);
				got h = { g_ptr_array_new_with_free_func(g_free), 0 };
				hs_err r = hs_keytab_parse(gd.p, n, collect, &h, err, sizeof err);
				CU_ASSERT(r != HS_OK || h.n < g.n);
				CU_ASSERT(n < 2 ? r == HS_E_UNKNOWN : true);
				g_ptr_array_free(h.lines, TRUE);
				hs_guard_free(&gd);
			}
			g_ptr_array_free(want, TRUE);
			g_ptr_array_free(g.lines, TRUE);
			g_free(buf);
			g_free(path);
		}
	}
	g_dir_close(dir);
	g_free(pat);
	printf("\n  %zu keytabs, %zu entries equal to klist's\n", files, entries);
	CU_ASSERT(files >= 60);
	CU_ASSERT(entries > files);
}

/* Build one 0x0502 record. */
static void rec(GByteArray *b, const char *realm, const char *c1, const char *c2, uint8_t vno8, uint16_t etype,
		uint16_t keylen, const uint8_t *key, bool k32, uint32_t kvno32)
{
	GByteArray *r = g_byte_array_new();
	uint8_t x[4];
#define P16(v) (x[0] = (uint8_t)((v) >> 8), x[1] = (uint8_t)(v), g_byte_array_append(r, x, 2))
#define P32(v) (x[0] = (uint8_t)((v) >> 24), x[1] = (uint8_t)((v) >> 16), x[2] = (uint8_t)((v) >> 8), \
		x[3] = (uint8_t)(v), g_byte_array_append(r, x, 4))
	P16(c2 ? 2 : 1);
	P16(strlen(realm));
	g_byte_array_append(r, (const uint8_t *)realm, (guint)strlen(realm));
	P16(strlen(c1));
	g_byte_array_append(r, (const uint8_t *)c1, (guint)strlen(c1));
	if (c2) {
		P16(strlen(c2));
		g_byte_array_append(r, (const uint8_t *)c2, (guint)strlen(c2));
	}
	P32(1u);
	P32(1700000000u);
	g_byte_array_append(r, &vno8, 1);
	P16(etype);
	P16(keylen);
	g_byte_array_append(r, key, keylen);
	if (k32)
		P32(kvno32);
	uint32_t n = r->len;
	x[0] = (uint8_t)(n >> 24), x[1] = (uint8_t)(n >> 16), x[2] = (uint8_t)(n >> 8), x[3] = (uint8_t)n;
	g_byte_array_append(b, x, 4);
	g_byte_array_append(b, r->data, r->len);
	g_byte_array_free(r, TRUE);
#undef P16
#undef P32
}

static bool keep_last(void *ud, const hs_keytab_entry *e)
{
	*(hs_keytab_entry *)ud = *e;
	return true;
}

static void test_built(void)
{
	uint8_t key[80];
	memset(key, 0xab, sizeof key);
	hs_keytab_entry e;
	char err[160];
	GByteArray *b = g_byte_array_new();
	g_byte_array_append(b, (const uint8_t *)"\x05\x02", 2);
	rec(b, "R.TEST", "HTTP", "web.r.test", 3, 18, 32, key, true, 300);
	memset(&e, 0, sizeof e);
	CU_ASSERT_EQUAL(hs_keytab_parse(b->data, b->len, keep_last, &e, err, sizeof err), HS_OK);
	CU_ASSERT_STRING_EQUAL(e.principal, "HTTP/web.r.test@R.TEST");
	CU_ASSERT_EQUAL(e.kvno, 300); /* the 32-bit kvno wins */
	CU_ASSERT_EQUAL(e.vno8, 3);
	CU_ASSERT_EQUAL(e.etype, 18);
	/* a hole (deleted entry), then an entry whose 32-bit kvno is 0 */
	uint8_t hole[4] = { 0xff, 0xff, 0xff, 0xf8 };
	g_byte_array_append(b, hole, 4);
	g_byte_array_append(b, key, 8);
	rec(b, "R.TEST", "u", NULL, 7, 17, 16, key, true, 0);
	CU_ASSERT_EQUAL(hs_keytab_parse(b->data, b->len, keep_last, &e, err, sizeof err), HS_OK);
	CU_ASSERT_STRING_EQUAL(e.principal, "u@R.TEST");
	CU_ASSERT_EQUAL(e.kvno, 7);
	/* a key over 64 bytes */
	rec(b, "R.TEST", "big", NULL, 1, 18, 80, key, false, 0);
	CU_ASSERT_EQUAL(hs_keytab_parse(b->data, b->len, keep_last, &e, err, sizeof err), HS_E_LIMIT);
	CU_ASSERT_PTR_NOT_NULL(strstr(err, "key longer"));
	g_byte_array_set_size(b, 2);
	/* a record whose key length runs past the record */
	rec(b, "R.TEST", "u", NULL, 1, 18, 32, key, false, 0);
	b->data[2 + 3] -= 10;
	g_byte_array_set_size(b, b->len - 10);
	CU_ASSERT_EQUAL(hs_keytab_parse(b->data, b->len, keep_last, &e, err, sizeof err), HS_E_MALFORMED);
	/* a record longer than the file */
	g_byte_array_set_size(b, 2);
	uint8_t big[4] = { 0x7f, 0, 0, 0 };
	g_byte_array_append(b, big, 4);
	CU_ASSERT_EQUAL(hs_keytab_parse(b->data, b->len, keep_last, &e, err, sizeof err), HS_E_TRUNCATED);
	uint8_t hugehole[4] = { 0x80, 0, 0, 0 };
	g_byte_array_set_size(b, 2);
	g_byte_array_append(b, hugehole, 4);
	CU_ASSERT_EQUAL(hs_keytab_parse(b->data, b->len, keep_last, &e, err, sizeof err), HS_E_TRUNCATED);
	/* not a keytab */
	CU_ASSERT_EQUAL(hs_keytab_parse((const uint8_t *)"\x05\x03", 2, keep_last, &e, err, sizeof err), HS_E_UNKNOWN);
	CU_ASSERT_EQUAL(hs_keytab_parse((const uint8_t *)"hello", 5, keep_last, &e, err, sizeof err), HS_E_UNKNOWN);
	/* too many entries */
	g_byte_array_set_size(b, 2);
	for (int i = 0; i <= HS_KEYTAB_MAX_ENTRIES; i++)
		rec(b, "R", "u", NULL, 1, 17, 16, key, false, 0);
	CU_ASSERT_EQUAL(hs_keytab_parse(b->data, b->len, keep_last, &e, err, sizeof err), HS_E_LIMIT);
	/* a NUL inside a component */
	g_byte_array_set_size(b, 2);
	rec(b, "R", "a", NULL, 1, 17, 16, key, false, 0);
	b->data[2 + 4 + 2 + 2 + 1 + 2] = 0;
	CU_ASSERT_EQUAL(hs_keytab_parse(b->data, b->len, keep_last, &e, err, sizeof err), HS_E_MALFORMED);
	g_byte_array_free(b, TRUE);
}

/* 0x0501: host byte order, the count includes the realm, no name type. */
static void test_v1(void)
{
	uint8_t f[128];
	size_t n = 0;
	uint16_t v16;
	uint32_t v32;
	f[n++] = 5, f[n++] = 1;
	size_t sizepos = n;
	n += 4;
	v16 = 2; memcpy(f + n, &v16, 2); n += 2;           /* realm + 1 component */
	v16 = 1; memcpy(f + n, &v16, 2); n += 2; f[n++] = 'R';
	v16 = 3; memcpy(f + n, &v16, 2); n += 2; memcpy(f + n, "bob", 3); n += 3;
	v32 = 1600000000u; memcpy(f + n, &v32, 4); n += 4; /* timestamp */
	f[n++] = 9;                                         /* vno8 */
	v16 = 23; memcpy(f + n, &v16, 2); n += 2;
	v16 = 16; memcpy(f + n, &v16, 2); n += 2;
	memset(f + n, 0x11, 16); n += 16;
	int32_t sz = (int32_t)(n - sizepos - 4);
	memcpy(f + sizepos, &sz, 4);
	hs_keytab_entry e;
	memset(&e, 0, sizeof e);
	CU_ASSERT_EQUAL(hs_keytab_parse(f, n, keep_last, &e, NULL, 0), HS_OK);
	CU_ASSERT_STRING_EQUAL(e.principal, "bob@R");
	CU_ASSERT_EQUAL(e.kvno, 9);
	CU_ASSERT_EQUAL(e.etype, 23);
	CU_ASSERT_EQUAL(e.timestamp, 1600000000u);
	CU_ASSERT_EQUAL(e.keylen, 16);
}

HS_UNIT_MAIN("keytab",
	     { "lab_keytabs_vs_klist", test_lab_keytabs_vs_klist },
	     { "built", test_built },
	     { "v1", test_v1 })
