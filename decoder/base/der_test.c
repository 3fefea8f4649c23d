/* der_test.c - the cursor and the DER reader. */
#include "der.h"
#include "unit.h"

static void test_cursor_sticky_error(void)
{
	const uint8_t b[] = { 1, 2, 3 };
	hs_cur c = hs_cur_make(b, sizeof b);
	CU_ASSERT_EQUAL(hs_cur_u16be(&c), 0x0102);
	CU_ASSERT_EQUAL(hs_cur_u32be(&c), 0); /* short read */
	CU_ASSERT_EQUAL(c.err, HS_E_TRUNCATED);
	CU_ASSERT_EQUAL(c.len, 0);
	CU_ASSERT_EQUAL(hs_cur_u8(&c), 0);    /* stays failed */
	hs_cur_fail(&c, HS_E_MALFORMED);
	CU_ASSERT_EQUAL(c.err, HS_E_TRUNCATED); /* first error kept */
}

static void test_cursor_endianness_and_sub(void)
{
	const uint8_t b[] = { 0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07, 0x08, 0xaa };
	hs_cur c = hs_cur_make(b, sizeof b);
	hs_cur s = hs_cur_sub(&c, 8);
	CU_ASSERT_EQUAL(hs_cur_u64le(&s), 0x0807060504030201ULL);
	CU_ASSERT_EQUAL(hs_cur_u8(&c), 0xaa);
	CU_ASSERT(hs_cur_ok(&c));
	hs_cur c2 = hs_cur_make(b, 4);
	CU_ASSERT_EQUAL(hs_cur_u32le(&c2), 0x04030201u);
	hs_cur c3 = hs_cur_make(b, 2);
	hs_cur s3 = hs_cur_sub(&c3, 3);
	CU_ASSERT_EQUAL(s3.err, HS_E_TRUNCATED);
	CU_ASSERT_EQUAL(c3.err, HS_E_TRUNCATED);
	hs_slice sl = { b, sizeof b };
	CU_ASSERT_EQUAL(hs_slice_at(sl, 8, 1).len, 1);
	CU_ASSERT_EQUAL(hs_slice_at(sl, 8, 2).len, 0);
	CU_ASSERT_EQUAL(hs_slice_at(sl, SIZE_MAX, 2).len, 0);
}

static void test_der_lengths(void)
{
	/* short, long (0x81, 0x82) forms */
	const uint8_t a[] = { 0x04, 0x02, 'h', 'i' };
	hs_cur c = hs_cur_make(a, sizeof a);
	hs_slice s;
	CU_ASSERT(hs_der_octets(&c, &s));
	CU_ASSERT(hs_slice_eq(s, "hi"));
	CU_ASSERT_EQUAL(c.len, 0);

	uint8_t b[300] = { 0x04, 0x82, 0x01, 0x00 };
	hs_cur d = hs_cur_make(b, 4 + 256);
	CU_ASSERT(hs_der_octets(&d, &s));
	CU_ASSERT_EQUAL(s.len, 256);

	/* indefinite length refused */
	const uint8_t ind[] = { 0x30, 0x80, 0x00, 0x00 };
	hs_cur e = hs_cur_make(ind, sizeof ind);
	hs_der el;
	CU_ASSERT_FALSE(hs_der_next(&e, &el));
	CU_ASSERT_EQUAL(e.err, HS_E_UNSUPPORTED);

	/* length-of-length over 4 refused */
	const uint8_t big[] = { 0x04, 0x85, 0, 0, 0, 0, 1, 0 };
	hs_cur f = hs_cur_make(big, sizeof big);
	CU_ASSERT_FALSE(hs_der_next(&f, &el));
	CU_ASSERT_EQUAL(f.err, HS_E_LIMIT);

	/* content longer than input */
	const uint8_t over[] = { 0x04, 0x05, 1, 2 };
	hs_cur g = hs_cur_make(over, sizeof over);
	CU_ASSERT_FALSE(hs_der_next(&g, &el));
	CU_ASSERT_EQUAL(g.err, HS_E_TRUNCATED);
}

static void test_der_close_trailing(void)
{
	/* SEQUENCE { INTEGER 5, extra byte } */
	const uint8_t a[] = { 0x30, 0x04, 0x02, 0x01, 0x05, 0xff };
	hs_cur c = hs_cur_make(a, sizeof a);
	hs_cur body;
	int64_t v;
	CU_ASSERT(hs_der_expect(&c, HS_DER_UNIVERSAL, HS_DER_SEQUENCE, true, &body));
	CU_ASSERT(hs_der_int64(&body, &v));
	CU_ASSERT_EQUAL(v, 5);
	CU_ASSERT_FALSE(hs_der_close(&c, &body));
	CU_ASSERT_EQUAL(c.err, HS_E_TRAILING);
}

static void test_der_integers(void)
{
	const uint8_t neg[] = { 0x02, 0x04, 0xff, 0xff, 0xff, 0xfe };
	hs_cur c = hs_cur_make(neg, sizeof neg);
	uint32_t u;
	CU_ASSERT(hs_der_uint32(&c, &u));
	CU_ASSERT_EQUAL(u, 0xfffffffeu); /* Windows' negative nonce */
	const uint8_t big[] = { 0x02, 0x05, 0x00, 0xff, 0xff, 0xff, 0xff };
	hs_cur d = hs_cur_make(big, sizeof big);
	CU_ASSERT(hs_der_uint32(&d, &u));
	CU_ASSERT_EQUAL(u, 0xffffffffu);
	const uint8_t huge[] = { 0x02, 0x09, 1, 0, 0, 0, 0, 0, 0, 0, 0 };
	hs_cur e = hs_cur_make(huge, sizeof huge);
	int64_t v;
	CU_ASSERT_FALSE(hs_der_int64(&e, &v));
	CU_ASSERT_EQUAL(e.err, HS_E_LIMIT);
	const uint8_t empty[] = { 0x02, 0x00 };
	hs_cur f = hs_cur_make(empty, sizeof empty);
	CU_ASSERT_FALSE(hs_der_int64(&f, &v));
	CU_ASSERT_EQUAL(f.err, HS_E_MALFORMED);
}

static void test_der_bits_and_ctx(void)
{
	/* [0] { BIT STRING 40810010 } as KDC options forwardable|renewable|canonicalize|renewable-ok */
	const uint8_t a[] = { 0xa0, 0x07, 0x03, 0x05, 0x00, 0x40, 0x81, 0x00, 0x10 };
	hs_cur c = hs_cur_make(a, sizeof a);
	hs_cur body;
	uint32_t bits;
	CU_ASSERT_FALSE(hs_der_opt_ctx(&c, 1, &body)); /* not [1]: untouched */
	CU_ASSERT(hs_cur_ok(&c));
	CU_ASSERT_EQUAL(c.len, sizeof a);
	CU_ASSERT(hs_der_ctx(&c, 0, &body));
	CU_ASSERT(hs_der_bits32(&body, &bits));
	CU_ASSERT_EQUAL(bits, 0x40810010u);
	CU_ASSERT(hs_der_close(&c, &body));
	hs_cur d = hs_cur_make(a, sizeof a);
	CU_ASSERT_FALSE(hs_der_ctx(&d, 2, &body));
	CU_ASSERT_EQUAL(d.err, HS_E_MALFORMED);
}

static void test_der_high_tag(void)
{
	/* [APPLICATION 30] KRB-ERROR header: 0x7e; and a high tag [APPLICATION 40]: 0x7f 0x28 */
	const uint8_t a[] = { 0x7f, 0x28, 0x00 };
	hs_cur c = hs_cur_make(a, sizeof a);
	hs_der e;
	CU_ASSERT(hs_der_next(&c, &e));
	CU_ASSERT_EQUAL(e.cls, HS_DER_APPLICATION);
	CU_ASSERT_EQUAL(e.tag, 40);
	CU_ASSERT_EQUAL(e.raw.len, 3);
	const uint8_t bad[] = { 0x7f, 0x80, 0x01, 0x00 };
	hs_cur d = hs_cur_make(bad, sizeof bad);
	CU_ASSERT_FALSE(hs_der_next(&d, &e));
	CU_ASSERT_EQUAL(d.err, HS_E_MALFORMED);
}

static void test_der_oid(void)
{
	/* 1.2.840.113554.1.2.2 (Kerberos v5 GSS mech) */
	const uint8_t a[] = { 0x06, 0x09, 0x2a, 0x86, 0x48, 0x86, 0xf7, 0x12, 0x01, 0x02, 0x02 };
	hs_cur c = hs_cur_make(a, sizeof a);
	hs_slice oid;
	char buf[64];
	CU_ASSERT(hs_der_oid(&c, &oid));
	CU_ASSERT(hs_der_oid_text(oid, buf, sizeof buf));
	CU_ASSERT_STRING_EQUAL(buf, "1.2.840.113554.1.2.2");
	CU_ASSERT(hs_der_oid_is(oid, "1.2.840.113554.1.2.2"));
	CU_ASSERT_FALSE(hs_der_oid_is(oid, "1.2.840.48018.1.2.2"));
	CU_ASSERT_FALSE(hs_der_oid_text(oid, buf, 5)); /* too small */
}

/* Every prefix of a nested element is "truncated", never a crash or a read
 * past the end (guard page). */
static void test_der_every_prefix(void)
{
	const uint8_t a[] = { 0x30, 0x0d, 0xa0, 0x03, 0x02, 0x01, 0x05, 0xa1, 0x06, 0x1b, 0x04, 'H', 'O', 'P', '!' };
	for (size_t n = 0; n < sizeof a; n++) {
		hs_guard g = hs_guard_copy(a, n);
		hs_cur c = hs_cur_make(g.p, n), body, f;
		int64_t v = 0;
		hs_slice s;
		if (hs_der_expect(&c, HS_DER_UNIVERSAL, HS_DER_SEQUENCE, true, &body)) {
			if (hs_der_ctx(&body, 0, &f) && hs_der_int64(&f, &v))
				hs_der_close(&body, &f);
			if (hs_der_ctx(&body, 1, &f) && hs_der_string(&f, &s))
				hs_der_close(&body, &f);
			hs_der_close(&c, &body);
		}
		CU_ASSERT_EQUAL(c.err, HS_E_TRUNCATED);
		hs_guard_free(&g);
	}
}

HS_UNIT_MAIN("der",
	{ "cursor keeps its first error", test_cursor_sticky_error },
	{ "cursor byte orders and sub-cursors", test_cursor_endianness_and_sub },
	{ "DER length forms", test_der_lengths },
	{ "DER element closing with bytes left", test_der_close_trailing },
	{ "DER integers", test_der_integers },
	{ "DER bit strings and context tags", test_der_bits_and_ctx },
	{ "DER high tag numbers", test_der_high_tag },
	{ "DER object identifiers", test_der_oid },
	{ "DER every truncated prefix", test_der_every_prefix })
