/* der.c - DER element reader.  See der.h for the contract. */
#include "der.h"

#include <stdio.h>

static hs_err header_slow(const uint8_t *p, size_t n, hs_der_hdr *h)
{
	size_t i = 1;
	if (n < 1)
		return HS_E_TRUNCATED;
	h->cls = p[0] >> 6;
	h->constructed = (p[0] & 0x20) != 0;
	h->tag = p[0] & 0x1f;
	if (h->tag == 0x1f) {
		/* high tag number form: base-128, at most 3 bytes (tags < 2^21) */
		uint32_t t = 0;
		int k;
		for (k = 0; k < 3; k++) {
			if (i >= n)
				return HS_E_TRUNCATED;
			uint8_t x = p[i++];
			if (k == 0 && x == 0x80)
				return HS_E_MALFORMED; /* non-minimal */
			t = (t << 7) | (x & 0x7f);
			if (!(x & 0x80))
				break;
		}
		if (k == 3)
			return HS_E_LIMIT;
		h->tag = t;
	}
	if (i >= n)
		return HS_E_TRUNCATED;
	uint8_t l = p[i++];
	if (l < 0x80) {
		h->blen = l;
	} else if (l == 0x80) {
		return HS_E_UNSUPPORTED; /* indefinite length: BER only */
	} else {
		unsigned k = l & 0x7f;
		size_t v = 0;
		if (k > 4)
			return HS_E_LIMIT;
		if (n - i < k)
			return HS_E_TRUNCATED;
		for (unsigned j = 0; j < k; j++)
			v = (v << 8) | p[i++];
		h->blen = v;
	}
	h->hlen = i;
	return HS_OK;
}

/* The common case (a low tag number, a short length) inline: the Kerberos
 * walk reads a header per field, and every primitive reads one more. */
static inline hs_err header(const uint8_t *p, size_t n, hs_der_hdr *h)
{
	if (n >= 2 && (p[0] & 0x1f) != 0x1f && p[1] < 0x80) {
		h->cls = p[0] >> 6;
		h->constructed = (p[0] & 0x20) != 0;
		h->tag = p[0] & 0x1f;
		h->blen = p[1];
		h->hlen = 2;
		return HS_OK;
	}
	return header_slow(p, n, h);
}

hs_err hs_der_header(const uint8_t *p, size_t n, hs_der_hdr *h) { return header(p, n, h); }

static bool read_header(hs_cur *c, uint8_t *cls, bool *cons, uint32_t *tag, size_t *len)
{
	hs_der_hdr h;
	hs_err r;
	if (!hs_cur_ok(c))
		return false;
	r = header(c->p, c->len, &h);
	if (r != HS_OK)
		return hs_cur_fail(c, r);
	c->p += h.hlen; /* header() read that much within c */
	c->len -= h.hlen;
	*cls = h.cls;
	*cons = h.constructed;
	*tag = h.tag;
	*len = h.blen;
	return true;
}

bool hs_der_next(hs_cur *c, hs_der *e)
{
	const uint8_t *start = c->p;
	size_t len = 0;
	if (!hs_cur_ok(c))
		return false;
	if (c->len == 0)
		return hs_cur_fail(c, HS_E_TRUNCATED);
	if (!read_header(c, &e->cls, &e->constructed, &e->tag, &len))
		return false;
	e->body = hs_cur_sub(c, len);
	if (!hs_cur_ok(c))
		return false;
	e->raw.p = start;
	e->raw.len = (size_t)(c->p - start);
	return true;
}

bool hs_der_peek(const hs_cur *c, uint8_t *cls, bool *cons, uint32_t *tag)
{
	hs_cur t = *c;
	size_t len;
	if (!hs_cur_ok(&t) || t.len == 0)
		return false;
	return read_header(&t, cls, cons, tag, &len);
}

bool hs_der_expect(hs_cur *c, uint8_t cls, uint32_t tag, bool cons, hs_cur *body)
{
	hs_der e;
	if (!hs_der_next(c, &e))
		return false;
	if (e.cls != cls || e.tag != tag || e.constructed != cons)
		return hs_cur_fail(c, HS_E_MALFORMED);
	*body = e.body;
	return true;
}

bool hs_der_opt_ctx(hs_cur *c, uint32_t n, hs_cur *body)
{
	uint8_t cls;
	bool cons;
	uint32_t tag;
	if (!hs_der_peek(c, &cls, &cons, &tag))
		return false;
	if (cls != HS_DER_CONTEXT || tag != n || !cons)
		return false;
	return hs_der_expect(c, HS_DER_CONTEXT, n, true, body);
}

bool hs_der_ctx(hs_cur *c, uint32_t n, hs_cur *body)
{
	if (hs_der_opt_ctx(c, n, body))
		return true;
	if (hs_cur_ok(c))
		hs_cur_fail(c, c->len ? HS_E_MALFORMED : HS_E_TRUNCATED);
	return false;
}

bool hs_der_open(hs_cur *c, uint8_t cls, uint32_t tag, bool opt, const uint8_t *cut, hs_cur *body)
{
	hs_der_hdr h;
	hs_err r;
	if (!hs_cur_ok(c))
		return false;
	if (c->len == 0)
		return opt ? false : hs_cur_fail(c, HS_E_TRUNCATED);
	r = header(c->p, c->len, &h);
	if (r != HS_OK)
		return hs_cur_fail(c, r);
	if (h.cls != cls || h.tag != tag || !h.constructed)
		return opt ? false : hs_cur_fail(c, HS_E_MALFORMED);
	c->p += h.hlen;
	c->len -= h.hlen;
	if (h.blen <= c->len) {
		*body = hs_cur_sub(c, h.blen);
		return true;
	}
	if (cut && c->p + c->len == cut) {
		*body = hs_cur_sub(c, c->len);
		return true;
	}
	return hs_cur_fail(c, HS_E_TRUNCATED);
}

bool hs_der_close(hs_cur *parent, hs_cur *sub)
{
	hs_cur_join(parent, sub);
	if (hs_cur_ok(parent) && sub->len != 0)
		hs_cur_fail(parent, HS_E_TRAILING);
	return hs_cur_ok(parent);
}

static bool prim(hs_cur *c, uint32_t tag, hs_cur *body)
{
	return hs_der_expect(c, HS_DER_UNIVERSAL, tag, false, body);
}

static bool read_int(hs_cur *c, uint32_t tag, int64_t *v)
{
	hs_cur b;
	if (!prim(c, tag, &b))
		return false;
	if (b.len == 0 || b.len > 8)
		return hs_cur_fail(c, b.len ? HS_E_LIMIT : HS_E_MALFORMED);
	/* two's complement, sign-extended from the first byte */
	uint64_t u = (b.p[0] & 0x80) ? UINT64_MAX : 0;
	for (size_t i = 0; i < b.len; i++)
		u = (u << 8) | b.p[i];
	*v = (int64_t)u;
	return true;
}

bool hs_der_int64(hs_cur *c, int64_t *v) { return read_int(c, HS_DER_INTEGER, v); }
bool hs_der_enum(hs_cur *c, int64_t *v) { return read_int(c, HS_DER_ENUMERATED, v); }

bool hs_der_uint32(hs_cur *c, uint32_t *v)
{
	int64_t x = 0;
	if (!hs_der_int64(c, &x))
		return false;
	/* Kerberos UInt32 (nonce, seq-number) is sometimes encoded by Windows
	 * as a negative Int32; accept both and keep the 32 low bits. */
	if (x < INT32_MIN || x > (int64_t)UINT32_MAX)
		return hs_cur_fail(c, HS_E_LIMIT);
	*v = (uint32_t)x;
	return true;
}

bool hs_der_bool(hs_cur *c, bool *v)
{
	hs_cur b;
	if (!prim(c, HS_DER_BOOLEAN, &b))
		return false;
	if (b.len != 1)
		return hs_cur_fail(c, HS_E_MALFORMED);
	*v = b.p[0] != 0;
	return true;
}

bool hs_der_octets(hs_cur *c, hs_slice *v)
{
	hs_cur b;
	if (!prim(c, HS_DER_OCTET_STRING, &b))
		return false;
	v->p = b.p;
	v->len = b.len;
	return true;
}

bool hs_der_string(hs_cur *c, hs_slice *v)
{
	hs_der e;
	if (!hs_der_next(c, &e))
		return false;
	if (e.cls != HS_DER_UNIVERSAL || e.constructed)
		return hs_cur_fail(c, HS_E_MALFORMED);
	switch (e.tag) {
	case HS_DER_GENERALSTRING:
	case HS_DER_UTF8STRING:
	case HS_DER_IA5STRING:
	case HS_DER_PRINTABLESTRING:
	case HS_DER_OCTET_STRING:
		v->p = e.body.p;
		v->len = e.body.len;
		return true;
	default:
		return hs_cur_fail(c, HS_E_MALFORMED);
	}
}

bool hs_der_oid(hs_cur *c, hs_slice *v)
{
	hs_cur b;
	if (!prim(c, HS_DER_OID, &b))
		return false;
	if (b.len == 0 || (b.p[b.len - 1] & 0x80))
		return hs_cur_fail(c, HS_E_MALFORMED);
	v->p = b.p;
	v->len = b.len;
	return true;
}

bool hs_der_gentime(hs_cur *c, hs_slice *v)
{
	hs_cur b;
	if (!prim(c, HS_DER_GENERALIZEDTIME, &b))
		return false;
	v->p = b.p;
	v->len = b.len;
	return true;
}

bool hs_der_bits32(hs_cur *c, uint32_t *v)
{
	hs_cur b;
	if (!prim(c, HS_DER_BIT_STRING, &b))
		return false;
	uint8_t unused = hs_cur_u8(&b);
	if (!hs_cur_ok(&b) || unused > 7)
		return hs_cur_fail(c, HS_E_MALFORMED);
	uint32_t x = 0;
	size_t n = b.len;
	/* Kerberos flags are 32 bits; longer strings are legal, keep the first 32. */
	for (size_t i = 0; i < 4; i++)
		x = (x << 8) | (i < n ? b.p[i] : 0);
	*v = x;
	return true;
}

bool hs_der_oid_text(hs_slice oid, char *buf, size_t n)
{
	size_t off = 0;
	uint64_t arc = 0;
	bool first = true;
	if (oid.len == 0 || n == 0)
		return false;
	for (size_t i = 0; i < oid.len; i++) {
		if (arc > (UINT64_MAX >> 7))
			return false;
		arc = (arc << 7) | (oid.p[i] & 0x7f);
		if (oid.p[i] & 0x80)
			continue;
		int w;
		if (first) {
			unsigned top = arc < 40 ? 0 : arc < 80 ? 1 : 2;
			w = snprintf(buf + off, n - off, "%u.%llu", top,
				     (unsigned long long)(arc - 40u * top));
			first = false;
		} else {
			w = snprintf(buf + off, n - off, ".%llu", (unsigned long long)arc);
		}
		if (w < 0 || (size_t)w >= n - off)
			return false;
		off += (size_t)w;
		arc = 0;
	}
	return (oid.p[oid.len - 1] & 0x80) == 0;
}

bool hs_der_oid_is(hs_slice oid, const char *dotted)
{
	char buf[128];
	return hs_der_oid_text(oid, buf, sizeof buf) && strcmp(buf, dotted) == 0;
}

int hs_der_probe_header(const uint8_t *p, size_t len, size_t *at, uint8_t tag, size_t *n)
{
	size_t i = *at;
	if (i >= len)
		return -1;
	if (p[i] != tag)
		return 0;
	if (i + 1 >= len)
		return -1;
	uint8_t b = p[i + 1];
	size_t k = b & 0x7f, v = b;
	if (b & 0x80) {
		if (k == 0 || k > 4) /* indefinite, or longer than any PDU we take */
			return 0;
		if (i + 2 + k > len)
			return -1;
		v = 0;
		for (size_t j = 0; j < k; j++)
			v = (v << 8) | p[i + 2 + j];
	} else {
		k = 0;
	}
	*at = i + 2 + k;
	*n = v;
	return 1;
}
