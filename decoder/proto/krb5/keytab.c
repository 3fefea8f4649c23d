/* keytab.c - MIT keytab file parser (see keytab.h; MIT krb5
 * src/lib/krb5/keytab/kt_file.c documents the layout). */
#include "keytab.h"

#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <openssl/crypto.h>

#include "cursor.h"

typedef struct kt_reader {
	hs_cur c;
	bool v1; /* 0x0501: host byte order */
} kt_reader;

static uint16_t rd16(kt_reader *r)
{
	const uint8_t *p = hs_cur_bytes(&r->c, 2);
	if (!p)
		return 0;
	uint16_t be = (uint16_t)(p[0] << 8 | p[1]);
	if (r->v1) {
		uint16_t h;
		memcpy(&h, p, 2);
		return h;
	}
	return be;
}

static uint32_t rd32(kt_reader *r)
{
	const uint8_t *p = hs_cur_bytes(&r->c, 4);
	if (!p)
		return 0;
	if (r->v1) {
		uint32_t h;
		memcpy(&h, p, 4);
		return h;
	}
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static void say(char *err, size_t errlen, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static void say(char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;
	if (!err || !errlen)
		return;
	va_start(ap, fmt);
	vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
}

/* Append s (len bytes) to buf at *pos; false when it would pass the cap.
 * Bytes are copied as they are (MIT principals are UTF-8); NUL bytes make
 * the record malformed (a C string could not represent them). */
static hs_err append(char *buf, size_t *pos, const uint8_t *s, size_t len)
{
	if (memchr(s, 0, len))
		return HS_E_MALFORMED;
	if (*pos + len > HS_KEYTAB_MAX_PRINC)
		return HS_E_LIMIT;
	memcpy(buf + *pos, s, len);
	*pos += len;
	buf[*pos] = 0;
	return HS_OK;
}

/* One record body (its size already read and bounded). */
static hs_err entry(kt_reader *r, hs_keytab_entry *e, const char **why)
{
	size_t pos = 0, rpos = 0;
	hs_err x;
	uint16_t ncomp = rd16(r);
	if (r->v1) {
		/* 0x0501 counts the realm among the components */
		if (ncomp == 0) {
			*why = "component count 0";
			return HS_E_MALFORMED;
		}
		ncomp--;
	}
	if (ncomp == 0 && hs_cur_ok(&r->c)) {
		*why = "principal without components";
		return HS_E_MALFORMED;
	}
	if (ncomp > HS_KEYTAB_MAX_COMPONENTS) {
		*why = "too many principal components";
		return HS_E_LIMIT;
	}
	e->n_components = ncomp;
	uint16_t rl = rd16(r);
	const uint8_t *realm = hs_cur_bytes(&r->c, rl);
	if (!hs_cur_ok(&r->c)) {
		*why = "realm runs past the record";
		return r->c.err;
	}
	if ((x = append(e->realm, &rpos, realm, rl)) != HS_OK) {
		*why = "realm too long or with a NUL byte";
		return x;
	}
	for (uint16_t i = 0; i < ncomp; i++) {
		uint16_t cl = rd16(r);
		const uint8_t *comp = hs_cur_bytes(&r->c, cl);
		if (!hs_cur_ok(&r->c)) {
			*why = "principal component runs past the record";
			return r->c.err;
		}
		if ((i && (x = append(e->principal, &pos, (const uint8_t *)"/", 1)) != HS_OK) ||
		    (x = append(e->principal, &pos, comp, cl)) != HS_OK) {
			*why = "principal too long or with a NUL byte";
			return x;
		}
	}
	if ((x = append(e->principal, &pos, (const uint8_t *)"@", 1)) != HS_OK ||
	    (x = append(e->principal, &pos, realm, rl)) != HS_OK) {
		*why = "principal too long";
		return x;
	}
	e->name_type = r->v1 ? 0 : (int32_t)rd32(r);
	e->timestamp = rd32(r);
	const uint8_t *v8 = hs_cur_bytes(&r->c, 1);
	e->vno8 = v8 ? *v8 : 0;
	e->kvno = e->vno8;
	e->etype = rd16(r);
	uint16_t kl = rd16(r);
	const uint8_t *key = hs_cur_bytes(&r->c, kl);
	if (!hs_cur_ok(&r->c)) {
		*why = "entry fields run past the record";
		return r->c.err;
	}
	if (kl > HS_KEYTAB_MAX_KEY) {
		*why = "key longer than 64 bytes";
		return HS_E_LIMIT;
	}
	memcpy(e->key, key, kl);
	e->keylen = kl;
	/* MIT: a trailing 32-bit kvno when at least 4 bytes remain; 0 means
	 * "use the 8-bit one" (written by old code that padded records). */
	if (r->c.len >= 4) {
		uint32_t k32 = rd32(r);
		if (k32)
			e->kvno = k32;
	}
	return HS_OK;
}

hs_err hs_keytab_parse(const uint8_t *p, size_t len, hs_keytab_fn fn, void *ud, char *err, size_t errlen)
{
	kt_reader top = { hs_cur_make(p, len), false };
	size_t count = 0;
	if (err && errlen)
		err[0] = 0;
	if (len > HS_KEYTAB_MAX_FILE) {
		say(err, errlen, "keytab larger than the %u-byte cap", HS_KEYTAB_MAX_FILE);
		return HS_E_LIMIT;
	}
	if (len < 2 || p[0] != 5 || (p[1] != 1 && p[1] != 2)) {
		say(err, errlen, "not a keytab: the first two bytes are not 05 02 (or 05 01)");
		return HS_E_UNKNOWN;
	}
	top.v1 = p[1] == 1;
	hs_cur_skip(&top.c, 2);
	hs_keytab_entry e;
	while (top.c.len) {
		size_t off = len - top.c.len;
		if (top.c.len < 4) {
			/* MIT stops at a short tail (end of file) the same way */
			say(err, errlen, "record size at offset %zu cut short (%zu bytes left)", off, top.c.len);
			return HS_E_TRUNCATED;
		}
		int32_t size = (int32_t)rd32(&top);
		if (size == 0)
			break; /* MIT: a zero size ends the file (preallocated space) */
		if (size < 0) {
			if (size == INT32_MIN || (size_t)-(int64_t)size > top.c.len) {
				say(err, errlen, "deleted-entry hole at offset %zu runs past the end (%lu bytes)", off,
				    (unsigned long)-(int64_t)size);
				return HS_E_TRUNCATED;
			}
			hs_cur_skip(&top.c, (size_t)-(int64_t)size);
			continue;
		}
		if ((size_t)size > top.c.len) {
			say(err, errlen, "record at offset %zu claims %lu bytes, past the end of the file", off,
			    (unsigned long)size);
			return HS_E_TRUNCATED;
		}
		if (count == HS_KEYTAB_MAX_ENTRIES) {
			say(err, errlen, "more than %d entries (cap)", HS_KEYTAB_MAX_ENTRIES);
			return HS_E_LIMIT;
		}
		kt_reader rec = { hs_cur_make(top.c.p, (size_t)size), top.v1 };
		hs_cur_skip(&top.c, (size_t)size);
		memset(&e, 0, sizeof e);
		const char *why = "record";
		hs_err x = entry(&rec, &e, &why);
		if (x != HS_OK) {
			OPENSSL_cleanse(&e, sizeof e);
			say(err, errlen, "record at offset %zu: %s", off, why);
			/* an inner field cut short inside a complete record is malformed */
			return x == HS_E_TRUNCATED ? HS_E_MALFORMED : x;
		}
		count++;
		bool more = fn(ud, &e);
		OPENSSL_cleanse(&e, sizeof e);
		if (!more)
			break;
	}
	return HS_OK;
}
