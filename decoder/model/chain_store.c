/* chain_store.c - finished chains kept out of memory.  See chain_store.h. */
#include "chain_store.h"

#include <errno.h>
#include <glib.h>
#include <glib/gstdio.h>
#include <string.h>
#include <unistd.h>

typedef struct row {
	int64_t t0;     /* first hop's start: the report's order */
	uint64_t off;   /* record in the file */
	uint32_t len;
	uint32_t seq;   /* order of arrival (ties) */
	uint32_t flags;
} row;

struct hs_chain_store {
	int fd;
	uint64_t end;   /* file size */
	GArray *rows;   /* row */
	uint32_t seq;
	uint8_t *buf;   /* one encoded record */
};

/* ------------------------------------------------------------------ */
/* zero-run-length records: [u16 zeros][u16 literals][literals]...; a
 * literal run ends at a run of MIN_ZEROS zero bytes (shorter runs cost
 * less inside it than a new header) */

#define MIN_ZEROS 4
#define RUN_MAX 0xffff

size_t hs_chain_rle_bound(size_t n)
{
	return 2 * n + 16;
}

static size_t zeros_at(const uint8_t *p, size_t n, size_t max)
{
	size_t z = 0;
	while (z < n && z < max && !p[z])
		z++;
	return z;
}

size_t hs_chain_rle_encode(const uint8_t *src, size_t n, uint8_t *dst)
{
	size_t i = 0, o = 0;
	while (i < n) {
		size_t z = zeros_at(src + i, n - i, RUN_MAX);
		i += z;
		size_t l = 0;
		while (i + l < n && l < RUN_MAX && (src[i + l] || zeros_at(src + i + l, n - i - l, MIN_ZEROS) < MIN_ZEROS))
			l++;
		dst[o++] = (uint8_t)z;
		dst[o++] = (uint8_t)(z >> 8);
		dst[o++] = (uint8_t)l;
		dst[o++] = (uint8_t)(l >> 8);
		memcpy(dst + o, src + i, l);
		o += l;
		i += l;
	}
	return o;
}

bool hs_chain_rle_decode(const uint8_t *src, size_t len, uint8_t *dst, size_t n)
{
	size_t i = 0, o = 0;
	while (i < len) {
		if (len - i < 4)
			return false;
		size_t z = src[i] | (size_t)src[i + 1] << 8, l = src[i + 2] | (size_t)src[i + 3] << 8;
		i += 4;
		if (z > n - o || l > n - o - z || l > len - i)
			return false;
		memset(dst + o, 0, z);
		memcpy(dst + o + z, src + i, l);
		o += z + l;
		i += l;
	}
	return o == n;
}

/* ------------------------------------------------------------------ */

hs_chain_store *hs_chain_store_new(void)
{
	char *path = NULL;
	int fd = g_file_open_tmp("hopsniff-chains-XXXXXX", &path, NULL);
	if (fd < 0)
		return NULL;
	g_unlink(path); /* gone when the process ends, however it ends */
	g_free(path);
	hs_chain_store *s = g_new0(hs_chain_store, 1);
	s->fd = fd;
	s->rows = g_array_new(FALSE, FALSE, sizeof(row));
	s->buf = g_malloc(hs_chain_rle_bound(sizeof(hs_chain)));
	return s;
}

void hs_chain_store_free(hs_chain_store *s)
{
	if (!s)
		return;
	close(s->fd);
	g_array_free(s->rows, TRUE);
	g_free(s->buf);
	g_free(s);
}

static bool write_all(int fd, const uint8_t *p, size_t n, uint64_t off)
{
	while (n) {
		ssize_t w = pwrite(fd, p, n, (off_t)off);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return false;
		p += w;
		n -= (size_t)w;
		off += (uint64_t)w;
	}
	return true;
}

/* c encoded at the end of the file: *r's off and len */
static bool append(hs_chain_store *s, const hs_chain *c, row *r)
{
	size_t n = hs_chain_rle_encode((const uint8_t *)c, sizeof *c, s->buf);
	if (!write_all(s->fd, s->buf, n, s->end))
		return false;
	r->off = s->end;
	r->len = (uint32_t)n;
	s->end += n;
	return true;
}

bool hs_chain_store_put(hs_chain_store *s, const hs_chain *c, unsigned flags)
{
	row r = { .t0 = c->hops[0].t0_ns, .seq = s->seq++, .flags = flags };
	if (!append(s, c, &r))
		return false;
	g_array_append_val(s->rows, r);
	return true;
}

bool hs_chain_store_set(hs_chain_store *s, size_t i, const hs_chain *c)
{
	if (i >= s->rows->len)
		return false;
	/* the old record stays as dead bytes in the file: rewritten once per
	 * chain (when it is judged), so the file at most doubles */
	return append(s, c, &g_array_index(s->rows, row, i));
}

size_t hs_chain_store_count(const hs_chain_store *s)
{
	return s ? s->rows->len : 0;
}

unsigned hs_chain_store_flags(const hs_chain_store *s, size_t i)
{
	return s && i < s->rows->len ? g_array_index(s->rows, row, i).flags : 0;
}

bool hs_chain_store_get(const hs_chain_store *s, size_t i, hs_chain *out)
{
	memset(out, 0, sizeof *out);
	if (!s || i >= s->rows->len)
		return false;
	const row *r = &g_array_index(s->rows, row, i);
	size_t got = 0;
	while (got < r->len) {
		ssize_t n = pread(s->fd, s->buf + got, r->len - got, (off_t)(r->off + got));
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return false;
		got += (size_t)n;
	}
	if (!hs_chain_rle_decode(s->buf, r->len, (uint8_t *)out, sizeof *out)) {
		memset(out, 0, sizeof *out);
		return false;
	}
	return true;
}

static gint row_cmp(gconstpointer a, gconstpointer b)
{
	const row *x = a, *y = b;
	if (x->t0 != y->t0)
		return x->t0 < y->t0 ? -1 : 1;
	return x->seq < y->seq ? -1 : x->seq > y->seq;
}

void hs_chain_store_sort(hs_chain_store *s)
{
	if (s)
		g_array_sort(s->rows, row_cmp);
}

size_t hs_chain_store_mem(const hs_chain_store *s)
{
	return s ? s->rows->len * sizeof(row) + hs_chain_rle_bound(sizeof(hs_chain)) : 0;
}

uint64_t hs_chain_store_disk(const hs_chain_store *s)
{
	return s ? s->end : 0;
}
