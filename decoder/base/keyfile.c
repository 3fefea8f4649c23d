/* keyfile.c - capped reads and text decoding of key files (see keyfile.h). */
#include "keyfile.h"

#include <errno.h>
#include <fcntl.h>
#include <openssl/crypto.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

hs_err hs_keyfile_read(const char *path, size_t offset, size_t max, GByteArray **out, char *why, size_t whylen)
{
	*out = NULL;
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		snprintf(why, whylen, "%s", g_strerror(errno));
		return HS_E_UNKNOWN;
	}
	struct stat st;
	if (fstat(fd, &st) != 0 || S_ISDIR(st.st_mode)) {
		int err = S_ISDIR(st.st_mode) ? EISDIR : errno;
		close(fd);
		snprintf(why, whylen, "%s", err == EISDIR ? "is a directory, not a file" : g_strerror(err));
		errno = err;
		return HS_E_UNKNOWN;
	}
	if (S_ISREG(st.st_mode) && (uint64_t)st.st_size > offset + (uint64_t)max) {
		close(fd);
		snprintf(why, whylen, "larger than the %zu-byte cap", max);
		return HS_E_LIMIT;
	}
	if (offset && lseek(fd, (off_t)offset, SEEK_SET) < 0) {
		int err = errno;
		close(fd);
		snprintf(why, whylen, "%s", g_strerror(err));
		errno = err;
		return HS_E_UNKNOWN;
	}
	/* Non-regular files have no size to trust: read until the end or one
	 * byte past the cap. */
	GByteArray *b = g_byte_array_new();
	uint8_t chunk[65536];
	for (;;) {
		size_t room = max + 1 - b->len;
		ssize_t n = read(fd, chunk, room < sizeof chunk ? room : sizeof chunk);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			int err = errno;
			close(fd);
			OPENSSL_cleanse(b->data, b->len);
			g_byte_array_free(b, TRUE);
			snprintf(why, whylen, "%s", g_strerror(err));
			errno = err;
			return HS_E_UNKNOWN;
		}
		if (n == 0)
			break;
		g_byte_array_append(b, chunk, (guint)n);
		if (b->len > max) {
			close(fd);
			OPENSSL_cleanse(chunk, sizeof chunk);
			OPENSSL_cleanse(b->data, b->len);
			g_byte_array_free(b, TRUE);
			snprintf(why, whylen, "more than the %zu-byte cap (a device or a pipe that does not end?)", max);
			return HS_E_LIMIT;
		}
	}
	OPENSSL_cleanse(chunk, sizeof chunk);
	close(fd);
	*out = b;
	return HS_OK;
}

/* UTF-16 without a BOM: ASCII text has a NUL in every other byte. */
static int utf16_guess(const uint8_t *p, size_t n)
{
	size_t m = n < 64 ? n & ~(size_t)1 : 64;
	if (m < 4)
		return 0;
	size_t even = 0, odd = 0;
	for (size_t i = 0; i < m; i += 2) {
		even += p[i] == 0;
		odd += p[i + 1] == 0;
	}
	if (odd == m / 2 && even == 0)
		return 1;  /* LE */
	if (even == m / 2 && odd == 0)
		return 2;  /* BE */
	return 0;
}

const char *hs_keyfile_text(GByteArray *b, char *why, size_t whylen)
{
	const uint8_t *p = b->data;
	size_t n = b->len;
	if (n >= 3 && p[0] == 0xEF && p[1] == 0xBB && p[2] == 0xBF) {
		g_byte_array_remove_range(b, 0, 3);
		return "UTF-8 with BOM";
	}
	int kind = 0;
	size_t skip = 0;
	if (n >= 2 && p[0] == 0xFF && p[1] == 0xFE)
		kind = 1, skip = 2;
	else if (n >= 2 && p[0] == 0xFE && p[1] == 0xFF)
		kind = 2, skip = 2;
	else
		kind = utf16_guess(p, n);
	if (!kind)
		return "UTF-8";
	const char *enc = kind == 1 ? "UTF-16LE" : "UTF-16BE";
	gsize rd = 0, wr = 0;
	GError *ge = NULL;
	gchar *u = g_convert((const gchar *)p + skip, (gssize)((n - skip) & ~(size_t)1), "UTF-8", enc, &rd, &wr, &ge);
	if (!u || (n - skip) % 2) {
		snprintf(why, whylen, "%s text that does not convert at byte %zu%s%s", enc, (size_t)rd + skip,
			 ge ? ": " : " (odd length)", ge ? ge->message : "");
		g_clear_error(&ge);
		if (u) {
			OPENSSL_cleanse(u, wr);
			g_free(u);
		}
		return NULL;
	}
	OPENSSL_cleanse(b->data, b->len);
	g_byte_array_set_size(b, 0);
	g_byte_array_append(b, (const guint8 *)u, (guint)wr);
	OPENSSL_cleanse(u, wr);
	g_free(u);
	return enc;
}
