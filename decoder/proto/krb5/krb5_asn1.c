/* krb5_asn1.c - the one walker of Kerberos ASN.1 tables.  See krb5_asn1.h
 * for the rules; the tables are in krb5.c (PDUs) and krb5_dec.c (the
 * decrypted plain texts). */
#include "krb5_asn1.h"

#include <string.h>

#define AT(base, off) ((void *)((uint8_t *)(base) + (off)))

/* One primitive element of a leaf kind from c; out may be NULL (checked,
 * not kept).  Returns hs_cur_ok(c). */
static inline bool leaf(hs_cur *c, uint8_t kind, void *out)
{
	union {
		int64_t i;
		uint32_t u;
		hs_slice s;
		bool b;
	} v;
	switch (kind) {
	case HS_KA_INT32:
		if (!hs_der_int64(c, &v.i))
			return false;
		if (v.i < INT32_MIN || v.i > INT32_MAX)
			return hs_cur_fail(c, HS_E_LIMIT);
		if (out)
			*(int32_t *)out = (int32_t)v.i;
		return true;
	case HS_KA_UINT32:
		if (hs_der_uint32(c, &v.u) && out)
			*(uint32_t *)out = v.u;
		break;
	case HS_KA_BITS:
		if (hs_der_bits32(c, &v.u) && out)
			*(uint32_t *)out = v.u;
		break;
	case HS_KA_BOOL:
		if (hs_der_bool(c, &v.b) && out)
			*(bool *)out = v.b;
		break;
	case HS_KA_STR:
		if (hs_der_string(c, &v.s) && out)
			*(hs_slice *)out = v.s;
		break;
	case HS_KA_OCTETS:
		if (hs_der_octets(c, &v.s) && out)
			*(hs_slice *)out = v.s;
		break;
	case HS_KA_TIME:
		if (hs_der_gentime(c, &v.s) && out)
			*(hs_slice *)out = v.s;
		break;
	default: { /* HS_KA_SKIP */
		hs_der e;
		(void)hs_der_next(c, &e);
		break;
	}
	}
	return hs_cur_ok(c);
}

static bool element(hs_ka *k, hs_cur *l, const hs_ka_list *L, void *out)
{
	if (L->kind == HS_KA_TYPE)
		return hs_ka_walk(k, l, L->aux, out);
	return leaf(l, L->kind, out);
}

/* SEQUENCE OF (L) from b into the arrays of base. */
void hs_ka_seq_of(hs_ka *k, hs_cur *b, const hs_ka_list *L, void *base)
{
	hs_cur l;
	uint8_t *n = AT(base, L->n_off);
	uint32_t *more = AT(base, L->more_off);
	union {
		max_align_t a;
		uint8_t b[HS_KA_MAX_ELEM];
	} tmp;
	if (!hs_ka_open(k, b, HS_DER_UNIVERSAL, HS_DER_SEQUENCE, false, &l))
		return;
	while (hs_cur_ok(&l) && l.len) {
		void *slot = *n < L->max ? AT(base, L->arr_off + (size_t)*n * L->size) : NULL;
		if (L->in_place) {
			if (slot)
				(*n)++;
			else
				(*more)++;
			void *e = slot ? slot : tmp.b;
			memset(e, 0, L->size);
			element(k, &l, L, e);
			continue;
		}
		memset(tmp.b, 0, L->size);
		if (!element(k, &l, L, tmp.b))
			break;
		if (slot) {
			memcpy(slot, tmp.b, L->size);
			(*n)++;
		} else {
			(*more)++;
		}
	}
	hs_der_close(b, &l);
}

void hs_ka_fields(hs_ka *k, hs_cur *s, const hs_ka_type *t, void *dst)
{
	for (unsigned i = 0; i < t->n && hs_cur_ok(s); i++) {
		const hs_ka_field *f = &t->f[i];
		bool *has = f->has != HS_KA_NONE ? AT(dst, f->has) : NULL;
		void *out = f->off != HS_KA_NONE ? AT(dst, f->off) : NULL;
		hs_cur b;
		bool in;
		if (t->plain)
			in = f->opt ? hs_der_opt_ctx(s, f->tag, &b) : hs_der_ctx(s, f->tag, &b);
		else
			in = hs_ka_open(k, s, HS_DER_CONTEXT, f->tag, f->opt, &b);
		if (!in) {
			if (has)
				*has = false;
			continue;
		}
		switch (f->kind) {
		case HS_KA_TYPE:
			hs_ka_walk(k, &b, f->aux, out);
			break;
		case HS_KA_LIST:
			hs_ka_seq_of(k, &b, f->aux, dst);
			break;
		case HS_KA_FN:
			f->fn(k, &b, out, f);
			break;
		default:
			leaf(&b, f->kind, out);
			break;
		}
		bool ok = hs_der_close(s, &b);
		if (has)
			*has = ok || t->plain;
	}
}

bool hs_ka_walk(hs_ka *k, hs_cur *c, const hs_ka_type *t, void *dst)
{
	hs_cur w, s, *in = c;
	if (t->wrap_cls != HS_DER_UNIVERSAL) {
		if (!hs_ka_open(k, c, t->wrap_cls, t->wrap_tag, false, &w))
			return false;
		in = &w;
	}
	if (hs_ka_open(k, in, HS_DER_UNIVERSAL, HS_DER_SEQUENCE, false, &s)) {
		if (t->present != HS_KA_NONE)
			*(bool *)AT(dst, t->present) = true;
		hs_ka_fields(k, &s, t, dst);
		if (t->open)
			hs_cur_skip(&s, s.len);
		hs_der_close(in, &s);
	}
	if (in != c) {
		if (t->open)
			hs_cur_skip(&w, w.len);
		hs_der_close(c, &w);
	}
	return hs_cur_ok(c);
}
