/* cursor.h - the one bounds-checked reader for every binary format.
 *
 * A cursor is a (pointer, length) window into a caller-owned buffer plus the
 * first error met.  Reads past the end set HS_E_TRUNCATED, return zero / NULL
 * and leave the cursor empty, so a run of reads needs one check at the end
 * (krb5's k5-input.h does the same).  Once an error is set it sticks: later
 * reads fail and the first cause is kept.  Nothing here allocates.
 */
#ifndef HS_CURSOR_H
#define HS_CURSOR_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "status.h"

/* A zero-copy view into someone else's buffer.  p may be NULL when len is 0. */
typedef struct hs_slice {
	const uint8_t *p;
	size_t len;
} hs_slice;

typedef struct hs_cur {
	const uint8_t *p;
	size_t len;
	hs_err err;
} hs_cur;

static inline hs_cur hs_cur_make(const void *p, size_t len)
{
	hs_cur c = { (const uint8_t *)p, len, HS_OK };
	return c;
}

static inline bool hs_cur_ok(const hs_cur *c) { return c->err == HS_OK; }

/* Record e unless an error is already set; empties the cursor.  Returns false
 * so that callers can write `return hs_cur_fail(c, HS_E_MALFORMED);`. */
static inline bool hs_cur_fail(hs_cur *c, hs_err e)
{
	if (c->err == HS_OK)
		c->err = e;
	c->len = 0;
	return false;
}

/* Copy a sub-cursor's error into its parent (first error wins). */
static inline void hs_cur_join(hs_cur *parent, const hs_cur *sub)
{
	if (sub->err != HS_OK)
		hs_cur_fail(parent, sub->err);
}

static inline bool hs_cur_need(hs_cur *c, size_t n)
{
	if (c->err != HS_OK)
		return false;
	if (c->len < n)
		return hs_cur_fail(c, HS_E_TRUNCATED);
	return true;
}

static inline const uint8_t *hs_cur_bytes(hs_cur *c, size_t n)
{
	const uint8_t *p;
	if (!hs_cur_need(c, n))
		return NULL;
	p = c->p;
	c->p += n;
	c->len -= n;
	return p;
}

static inline void hs_cur_skip(hs_cur *c, size_t n) { (void)hs_cur_bytes(c, n); }

static inline hs_slice hs_cur_slice(hs_cur *c, size_t n)
{
	hs_slice s = { NULL, 0 };
	const uint8_t *p = hs_cur_bytes(c, n);
	if (p) {
		s.p = p;
		s.len = n;
	}
	return s;
}

/* Take the next n bytes as a cursor of their own.  On a short read the
 * parent fails and the returned cursor carries the same error. */
static inline hs_cur hs_cur_sub(hs_cur *c, size_t n)
{
	hs_cur s;
	const uint8_t *p = hs_cur_bytes(c, n);
	s.p = p;
	s.len = p ? n : 0;
	s.err = p ? HS_OK : c->err;
	return s;
}

static inline uint8_t hs_cur_u8(hs_cur *c)
{
	const uint8_t *p = hs_cur_bytes(c, 1);
	return p ? p[0] : 0;
}

static inline uint16_t hs_cur_u16be(hs_cur *c)
{
	const uint8_t *p = hs_cur_bytes(c, 2);
	return p ? (uint16_t)((p[0] << 8) | p[1]) : 0;
}

static inline uint16_t hs_cur_u16le(hs_cur *c)
{
	const uint8_t *p = hs_cur_bytes(c, 2);
	return p ? (uint16_t)((p[1] << 8) | p[0]) : 0;
}

static inline uint32_t hs_cur_u24be(hs_cur *c)
{
	const uint8_t *p = hs_cur_bytes(c, 3);
	return p ? ((uint32_t)p[0] << 16) | ((uint32_t)p[1] << 8) | p[2] : 0;
}

static inline uint32_t hs_cur_u32be(hs_cur *c)
{
	const uint8_t *p = hs_cur_bytes(c, 4);
	return p ? ((uint32_t)p[0] << 24) | ((uint32_t)p[1] << 16) | ((uint32_t)p[2] << 8) | p[3] : 0;
}

static inline uint32_t hs_cur_u32le(hs_cur *c)
{
	const uint8_t *p = hs_cur_bytes(c, 4);
	return p ? ((uint32_t)p[3] << 24) | ((uint32_t)p[2] << 16) | ((uint32_t)p[1] << 8) | p[0] : 0;
}

static inline uint64_t hs_cur_u64le(hs_cur *c)
{
	const uint8_t *p = hs_cur_bytes(c, 8);
	uint64_t v = 0;
	if (p)
		for (int i = 7; i >= 0; i--)
			v = (v << 8) | p[i];
	return v;
}

static inline uint64_t hs_cur_u64be(hs_cur *c)
{
	const uint8_t *p = hs_cur_bytes(c, 8);
	uint64_t v = 0;
	if (p)
		for (int i = 0; i < 8; i++)
			v = (v << 8) | p[i];
	return v;
}

/* Bytes [off, off+n) of s as a slice, or an empty slice when out of range
 * (for formats that address fields by offset, like NTLMSSP and SMB2). */
static inline hs_slice hs_slice_at(hs_slice s, size_t off, size_t n)
{
	hs_slice r = { NULL, 0 };
	if (off <= s.len && n <= s.len - off) {
		r.p = s.p + off;
		r.len = n;
	}
	return r;
}

static inline bool hs_slice_eq(hs_slice s, const char *lit)
{
	size_t n = strlen(lit);
	return s.len == n && (n == 0 || memcmp(s.p, lit, n) == 0);
}

/* s starts with lit, ASCII letters in either case (HTTP tokens, media types). */
static inline bool hs_slice_iprefix(hs_slice s, const char *lit)
{
	size_t n = strlen(lit);
	if (s.len < n)
		return false;
	for (size_t i = 0; i < n; i++) {
		uint8_t a = s.p[i], b = (uint8_t)lit[i];
		if ((a >= 'A' && a <= 'Z' ? a + 32 : a) != (b >= 'A' && b <= 'Z' ? b + 32 : b))
			return false;
	}
	return true;
}

#endif
