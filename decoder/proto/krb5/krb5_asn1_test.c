/* krb5_asn1_test.c - the table walker's contract (krb5_asn1.h) on a toy type
 *   Toy ::= SEQUENCE { a [0] Int32, s [1] KerberosString OPTIONAL,
 *                      l [2] SEQUENCE OF Int32 (2 kept), t [3] Inner OPTIONAL }
 *   Inner ::= [APPLICATION 5] SEQUENCE { x [0] UInt32 }
 * and on der.h's hs_der_header / hs_der_open, which it reads through. */
#include <stddef.h>
#include <string.h>

#include "krb5_asn1.h"
#include "unit.h"

typedef struct inner {
	bool present;
	uint32_t x;
} inner;

typedef struct toy {
	int32_t a;
	bool has_s;
	hs_slice s;
	uint8_t n;
	uint32_t more;
	int32_t l[2];
	inner t;
} toy;

#define TYPE inner
static const hs_ka_field inner_f[] = { HS_KA_F(0, false, HS_KA_UINT32, x) };
#undef TYPE
static const hs_ka_type inner_t = { HS_DER_APPLICATION, 5, false, false, HS_KA_N(inner_f), offsetof(inner, present),
				    inner_f };
static const hs_ka_list ints = { HS_KA_INT32, false, 2, sizeof(int32_t), offsetof(toy, l), offsetof(toy, n),
				 offsetof(toy, more), NULL };
#define TYPE toy
static const hs_ka_field toy_f[] = {
	HS_KA_F(0, false, HS_KA_INT32, a),
	HS_KA_FH(1, true, HS_KA_STR, s, has_s),
	HS_KA_FL(2, false, ints),
	HS_KA_FT(3, true, t, inner_t),
};
#undef TYPE
static const hs_ka_type toy_t = { HS_DER_UNIVERSAL, 0, false, false, HS_KA_N(toy_f), HS_KA_NONE, toy_f };
static const hs_ka_type toy_open_t = { HS_DER_UNIVERSAL, 0, true, false, HS_KA_N(toy_f), HS_KA_NONE, toy_f };

/* a=5, s="HOP", l={1,2,3}, t={x=7} */
static const uint8_t full[] = {
	0x30, 0x24,
	0xa0, 0x03, 0x02, 0x01, 0x05,
	0xa1, 0x05, 0x1b, 0x03, 'H', 'O', 'P',
	0xa2, 0x0b, 0x30, 0x09, 0x02, 0x01, 0x01, 0x02, 0x01, 0x02, 0x02, 0x01, 0x03,
	0xa3, 0x09, 0x65, 0x07, 0x30, 0x05, 0xa0, 0x03, 0x02, 0x01, 0x07,
	0x04, 0x00, /* outside the SEQUENCE: the caller's business */
};

static hs_err walk(const hs_ka_type *t, const uint8_t *p, size_t len, const uint8_t *cut, toy *out)
{
	hs_ka k = { cut, NULL };
	hs_cur c = hs_cur_make(p, len);
	memset(out, 0, sizeof *out);
	hs_ka_walk(&k, &c, t, out);
	return c.err;
}

static void test_walk_fields(void)
{
	toy v;
	CU_ASSERT_EQUAL(walk(&toy_t, full, sizeof full, NULL, &v), HS_OK);
	CU_ASSERT_EQUAL(v.a, 5);
	CU_ASSERT(v.has_s && hs_slice_eq(v.s, "HOP"));
	CU_ASSERT_EQUAL(v.n, 2); /* the list keeps 2 and counts the third */
	CU_ASSERT_EQUAL(v.more, 1);
	CU_ASSERT(v.l[0] == 1 && v.l[1] == 2);
	CU_ASSERT(v.t.present && v.t.x == 7);
}

static void test_walk_optional_and_mandatory(void)
{
	/* s and t absent: has_s false, t not present */
	const uint8_t noopt[] = { 0x30, 0x0c, 0xa0, 0x03, 0x02, 0x01, 0x05, 0xa2, 0x05, 0x30, 0x03, 0x02, 0x01 };
	toy v;
	uint8_t b[sizeof noopt + 1];
	memcpy(b, noopt, sizeof noopt);
	b[sizeof noopt] = 0x09;
	CU_ASSERT_EQUAL(walk(&toy_t, b, sizeof b, NULL, &v), HS_OK);
	CU_ASSERT(!v.has_s && !v.t.present && v.n == 1 && v.l[0] == 9);
	/* a missing mandatory field: [0] replaced by [4] */
	memcpy(b, noopt, sizeof noopt);
	b[2] = 0xa4;
	CU_ASSERT_EQUAL(walk(&toy_t, b, sizeof b, NULL, &v), HS_E_MALFORMED);
	/* a field closing with bytes left: [0] holds INTEGER + one byte */
	const uint8_t trail[] = { 0x30, 0x0d, 0xa0, 0x04, 0x02, 0x01, 0x05, 0x00, 0xa2, 0x05, 0x30, 0x03, 0x02, 0x01, 0x09 };
	CU_ASSERT_EQUAL(walk(&toy_t, trail, sizeof trail, NULL, &v), HS_E_TRAILING);
	CU_ASSERT_EQUAL(walk(&toy_t, trail, sizeof trail - 1, NULL, &v), HS_E_TRUNCATED); /* cut short */
	/* Int32 out of range */
	const uint8_t big[] = { 0x30, 0x10, 0xa0, 0x07, 0x02, 0x05, 0x01, 0x00, 0x00, 0x00, 0x00,
				0xa2, 0x05, 0x30, 0x03, 0x02, 0x01, 0x09 };
	CU_ASSERT_EQUAL(walk(&toy_t, big, sizeof big, NULL, &v), HS_E_LIMIT);
}

static void test_walk_extensible(void)
{
	/* a [4] field after the last one: an error, unless the type is open */
	uint8_t b[64];
	const uint8_t extra[] = { 0xa4, 0x02, 0x05, 0x00 };
	memcpy(b, full, 38);
	memcpy(b + 38, extra, sizeof extra);
	b[1] = 0x24 + sizeof extra;
	toy v;
	CU_ASSERT_EQUAL(walk(&toy_t, b, 38 + sizeof extra, NULL, &v), HS_E_TRAILING);
	CU_ASSERT_EQUAL(walk(&toy_open_t, b, 38 + sizeof extra, NULL, &v), HS_OK);
	CU_ASSERT(v.t.present && v.t.x == 7);
}

/* Every prefix (each right before a guard page): walked strictly it is
 * truncated; walked with its end as the cut, what lies before the cut is
 * read. */
static void test_walk_prefixes(void)
{
	for (size_t n = 0; n < 38; n++) {
		hs_guard g = hs_guard_copy(full, n);
		toy v;
		CU_ASSERT_EQUAL(walk(&toy_t, g.p, n, NULL, &v), HS_E_TRUNCATED);
		/* with the cut, the walk ends at it: "truncated" or, cut between
		 * fields, nothing wrong (the PDU decoder answers "truncated" for a
		 * prefix either way); never "malformed" */
		hs_err e = walk(&toy_t, g.p, n, g.p + n, &v);
		CU_ASSERT(e == HS_E_TRUNCATED || e == HS_OK);
		if (n >= 7)
			CU_ASSERT_EQUAL(v.a, 5);
		if (n >= 14)
			CU_ASSERT(v.has_s && hs_slice_eq(v.s, "HOP"));
		if (n >= 21)
			CU_ASSERT(v.n >= 1 && v.l[0] == 1);
		hs_guard_free(&g);
	}
}

static void test_der_header_and_open(void)
{
	hs_der_hdr h;
	const uint8_t longlen[] = { 0x30, 0x82, 0x01, 0x00, 0x02, 0x01 };
	CU_ASSERT_EQUAL(hs_der_header(longlen, sizeof longlen, &h), HS_OK);
	CU_ASSERT(h.hlen == 4 && h.blen == 256 && h.constructed && h.tag == HS_DER_SEQUENCE);
	CU_ASSERT_EQUAL(hs_der_header(longlen, 1, &h), HS_E_TRUNCATED);
	CU_ASSERT_EQUAL(hs_der_header(longlen, 3, &h), HS_E_TRUNCATED);
	const uint8_t indef[] = { 0x30, 0x80 }, toolong[] = { 0x30, 0x85, 1, 1, 1, 1, 1 };
	CU_ASSERT_EQUAL(hs_der_header(indef, sizeof indef, &h), HS_E_UNSUPPORTED);
	CU_ASSERT_EQUAL(hs_der_header(toolong, sizeof toolong, &h), HS_E_LIMIT);

	/* an optional element of another tag: false, c untouched and error free */
	hs_cur c = hs_cur_make(full, sizeof full), body;
	CU_ASSERT(!hs_der_open(&c, HS_DER_CONTEXT, 0, true, NULL, &body));
	CU_ASSERT(hs_cur_ok(&c) && c.len == sizeof full);
	CU_ASSERT(!hs_der_open(&c, HS_DER_CONTEXT, 0, false, NULL, &body));
	CU_ASSERT_EQUAL(c.err, HS_E_MALFORMED);
	/* cut short: entered with what is there only at the cut */
	c = hs_cur_make(full, 10);
	CU_ASSERT(hs_der_open(&c, HS_DER_UNIVERSAL, HS_DER_SEQUENCE, false, full + 10, &body));
	CU_ASSERT(hs_cur_ok(&c) && body.len == 8 && body.p == full + 2);
	c = hs_cur_make(full, 10);
	CU_ASSERT(!hs_der_open(&c, HS_DER_UNIVERSAL, HS_DER_SEQUENCE, false, full + 11, &body));
	CU_ASSERT_EQUAL(c.err, HS_E_TRUNCATED);
	c = hs_cur_make(full, 10);
	CU_ASSERT(!hs_der_open(&c, HS_DER_UNIVERSAL, HS_DER_SEQUENCE, false, NULL, &body));
	CU_ASSERT_EQUAL(c.err, HS_E_TRUNCATED);
}

HS_UNIT_MAIN("krb5_asn1",
	{ "walk: fields, lists, nested types", test_walk_fields },
	{ "walk: optional and mandatory fields, closing", test_walk_optional_and_mandatory },
	{ "walk: extensible (open) types", test_walk_extensible },
	{ "walk: every prefix, strict and cut", test_walk_prefixes },
	{ "der: declared header, open with a cut", test_der_header_and_open })
