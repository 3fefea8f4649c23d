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

/* Every item of a list of objects starts its own "- " line (the second one
 * used to follow the first's last field on the same line). */
static void test_text_list_items(void)
{
	hs_out *o = hs_out_new(HS_OUT_TEXT);
	hs_out_begin(o, NULL);
	hs_out_begin_list(o, "etype_info2");
	for (int i = 0; i < 2; i++) {
		hs_out_begin(o, NULL);
		hs_out_uint(o, "etype", i ? 23 : 18);
		hs_out_bool(o, "salt", true);
		hs_out_end(o);
	}
	hs_out_end_list(o);
	hs_out_uint(o, "after", 1);
	hs_out_end(o);
	CU_ASSERT_STRING_EQUAL(hs_out_text(o, NULL),
		"etype_info2:\n"
		"  - etype: 18\n"
		"    salt: true\n"
		"  - etype: 23\n"
		"    salt: true\n"
		"after: 1\n");
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

static void test_nodes(void)
{
	hs_out *o = hs_out_new(HS_OUT_NODES);
	sample(o);
	hs_out_text_line(o, "ignored", 2);
	/* frame, msg, kdc_options[2], s4u{user}, tickets[{kvno}], fast_armored, e_text */
	static const struct { unsigned depth; const char *key, *value; bool container; } want[] = {
		{ 1, "frame", "46", false }, { 1, "msg", "TGS-REQ", false },
		{ 1, "kdc_options", "", true }, { 2, NULL, "forwardable", false }, { 2, NULL, "canonicalize", false },
		{ 1, "s4u", "", true }, { 2, "user", "alice", false },
		{ 1, "tickets", "", true }, { 2, NULL, "", true }, { 3, "kvno", "-1", false },
		{ 1, "fast_armored", "false", false }, { 1, "e_text", "-", false },
	};
	CU_ASSERT_EQUAL_FATAL(hs_out_node_count(o), sizeof want / sizeof want[0]);
	for (size_t i = 0; i < sizeof want / sizeof want[0]; i++) {
		hs_out_node n;
		CU_ASSERT_TRUE_FATAL(hs_out_node_at(o, i, &n));
		CU_ASSERT_EQUAL(n.depth, want[i].depth);
		if (want[i].key) {
			CU_ASSERT_STRING_EQUAL(n.key, want[i].key);
		} else {
			CU_ASSERT_PTR_NULL(n.key);
		}
		CU_ASSERT_STRING_EQUAL(n.value, want[i].value);
		CU_ASSERT_EQUAL(n.container, want[i].container);
	}
	hs_out_node n;
	CU_ASSERT_FALSE(hs_out_node_at(o, sizeof want / sizeof want[0], &n));
	/* control bytes and invalid UTF-8 are sanitised as in text mode */
	hs_out_reset(o);
	CU_ASSERT_EQUAL(hs_out_node_count(o), 0);
	hs_out_begin(o, NULL);
	hs_out_str(o, "k\n", "a\x01\xff", 3);
	hs_out_end(o);
	CU_ASSERT_TRUE_FATAL(hs_out_node_at(o, 0, &n));
	CU_ASSERT_STRING_EQUAL(n.key, "k\\x0a");
	CU_ASSERT_STRING_EQUAL(n.value, "a\\x01\xef\xbf\xbd");
	/* a JSON writer has no nodes */
	hs_out *j = hs_out_new(HS_OUT_JSON);
	sample(j);
	CU_ASSERT_EQUAL(hs_out_node_count(j), 0);
	CU_ASSERT_FALSE(hs_out_node_at(j, 0, &n));
	hs_out_free(j);
	hs_out_free(o);
}

HS_UNIT_MAIN("out",
	{ "nodes (front ends' own trees)", test_nodes },
	{ "JSON rendering", test_json },
	{ "JSON escaping and invalid UTF-8", test_json_escaping },
	{ "text rendering", test_text },
	{ "text: each list item on its own line", test_text_list_items },
	{ "nesting cap", test_depth_cap })
