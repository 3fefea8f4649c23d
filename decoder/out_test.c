/* out_test.c - JSON and text rendering. */
#include "out.h"
#include "unit.h"

static void sample(hs_out *o)
{
	hs_out_begin(o, NULL);
	hs_out_uint(o, "frame", 46);
	hs_out_cstr(o, "msg", "TGS-REQ");
	hs_out_begin_list(o, "kdc_options");
	hs_out_cstr(o, NULL, "forwardable");
	hs_out_cstr(o, NULL, "canonicalize");
	hs_out_end_list(o);
	hs_out_begin(o, "s4u");
	hs_out_cstr(o, "user", "alice");
	hs_out_end(o);
	hs_out_begin_list(o, "tickets");
	hs_out_begin(o, NULL);
	hs_out_int(o, "kvno", -1);
	hs_out_end(o);
	hs_out_end_list(o);
	hs_out_bool(o, "fast_armored", false);
	hs_out_null(o, "e_text");
	hs_out_end(o);
}

static void test_json(void)
{
	hs_out *o = hs_out_new(HS_OUT_JSON);
	sample(o);
	CU_ASSERT_STRING_EQUAL(hs_out_text(o, NULL),
		"{\"frame\":46,\"msg\":\"TGS-REQ\",\"kdc_options\":[\"forwardable\",\"canonicalize\"],"
		"\"s4u\":{\"user\":\"alice\"},\"tickets\":[{\"kvno\":-1}],\"fast_armored\":false,\"e_text\":null}");
	hs_out_free(o);
}

static void test_json_escaping(void)
{
	hs_out *o = hs_out_new(HS_OUT_JSON);
	hs_out_begin(o, NULL);
	hs_out_str(o, "s", "a\"b\\c\n\x01\xff\xc3\xa9", 10);
	hs_out_end(o);
	CU_ASSERT_STRING_EQUAL(hs_out_text(o, NULL),
		"{\"s\":\"a\\\"b\\\\c\\u000a\\u0001\xef\xbf\xbd\xc3\xa9\"}");
	hs_out_free(o);
}

static void test_text(void)
{
	hs_out *o = hs_out_new(HS_OUT_TEXT);
	sample(o);
	CU_ASSERT_STRING_EQUAL(hs_out_text(o, NULL),
		"frame: 46\n"
		"msg: TGS-REQ\n"
		"kdc_options: forwardable, canonicalize\n"
		"s4u:\n"
		"  user: alice\n"
		"tickets:\n"
		"  - kvno: -1\n"
		"fast_armored: false\n"
		"e_text: -\n");
	hs_out_free(o);
}

static void test_depth_cap(void)
{
	hs_out *o = hs_out_new(HS_OUT_JSON);
	for (int i = 0; i < HS_OUT_MAX_DEPTH + 5; i++)
		hs_out_begin_list(o, i == 0 ? NULL : NULL);
	for (int i = 0; i < HS_OUT_MAX_DEPTH + 5; i++)
		hs_out_end_list(o);
	CU_ASSERT_EQUAL(hs_out_overflow(o), 5);
	size_t len;
	const char *t = hs_out_text(o, &len);
	CU_ASSERT_EQUAL(len, 2 * HS_OUT_MAX_DEPTH);
	CU_ASSERT_EQUAL(t[0], '[');
	hs_out_free(o);
}

HS_UNIT_MAIN("out",
	{ "JSON rendering", test_json },
	{ "JSON escaping and invalid UTF-8", test_json_escaping },
	{ "text rendering", test_text },
	{ "nesting cap", test_depth_cap })
