/* psrp_test.c - MS-PSRP fragments and messages built from the spec's
 * layouts (2.2.4 fragment, 2.2.1 message) and CLIXML shaped as its examples
 * (2.2.2.1 SESSION_CAPABILITY, 2.2.2.10 CREATE_PIPELINE with 2.2.3.11/13
 * commands and parameters, 2.2.2.20 ERROR_RECORD with 2.2.3.15, 2.2.2.21
 * PIPELINE_STATE): hand-built, every expected value is the text placed in
 * them.  Also: a message split over two fragments, every truncation, the
 * decoded blob inside a WinRM ReceiveResponse, and the reassembler (2.2.4).
 * A recorded Windows exchange (pypsrp's test suite) is replayed end to end
 * by tests/winrm/psrp_reassembly.py. */
#include "psrp_winrm.h"

#include <glib.h>
#include <string.h>

#include "unit.h"
#include "winrm.h"

static const uint8_t rpid[16] = { 0x78, 0x56, 0x34, 0x12, 0x34, 0x12, 0x78, 0x56,
				  0x9a, 0xbc, 0xde, 0xf0, 0x12, 0x34, 0x56, 0x78 };

/* message (2.2.1) inside one fragment (2.2.4) with flags */
static size_t build(uint8_t *out, uint64_t obj, uint64_t frag, uint8_t flags, uint32_t dest, uint32_t type,
		    const char *xml, bool bom)
{
	size_t n = 0, xl = strlen(xml), ml = 40 + (bom ? 3 : 0) + xl;
	for (int i = 7; i >= 0; i--)
		out[n++] = (uint8_t)(obj >> (8 * i));
	for (int i = 7; i >= 0; i--)
		out[n++] = (uint8_t)(frag >> (8 * i));
	out[n++] = flags;
	for (int i = 3; i >= 0; i--)
		out[n++] = (uint8_t)(ml >> (8 * i));
	for (int i = 0; i < 4; i++)
		out[n++] = (uint8_t)(dest >> (8 * i));
	for (int i = 0; i < 4; i++)
		out[n++] = (uint8_t)(type >> (8 * i));
	memcpy(out + n, rpid, 16);
	n += 16;
	memset(out + n, 0, 16);
	n += 16;
	if (bom) {
		memcpy(out + n, "\xef\xbb\xbf", 3);
		n += 3;
	}
	memcpy(out + n, xml, xl);
	return n + xl;
}

static const char capability[] =
	"<Obj RefId=\"0\"><MS><Version N=\"protocolversion\">2.2</Version><Version N=\"PSVersion\">2.0</Version>"
	"<Version N=\"SerializationVersion\">1.1.0.1</Version></MS></Obj>";

static const char create_pipeline[] =
	"<Obj RefId=\"0\"><MS><B N=\"NoInput\">true</B><Obj N=\"PowerShell\" RefId=\"3\"><MS>"
	"<Obj N=\"Cmds\" RefId=\"4\"><TN RefId=\"1\"><T>System.Collections.Generic.List`1[[System.Management.Automation.PSObject]]</T>"
	"<T>System.Object</T></TN><LST><Obj RefId=\"5\"><MS><S N=\"Cmd\">Get-ChildItem</S><B N=\"IsScript\">false</B>"
	"<Nil N=\"UseLocalScope\" /><Obj N=\"Args\" RefId=\"11\"><TNRef RefId=\"1\" /><LST>"
	"<Obj RefId=\"12\"><MS><S N=\"N\">Path</S><S N=\"V\">\\\\srv2\\share</S></MS></Obj>"
	"<Obj RefId=\"13\"><MS><Nil N=\"N\" /><S N=\"V\">*.txt</S></MS></Obj>"
	"</LST></Obj></MS></Obj></LST></Obj><B N=\"IsNested\">false</B></MS></Obj></MS></Obj>";

static const char error_record[] =
	"<Obj RefId=\"0\"><TN RefId=\"0\"><T>System.Management.Automation.ErrorRecord</T><T>System.Object</T></TN>"
	"<ToString>Access to the path '\\\\srv2\\share' is denied.</ToString><MS>"
	"<Obj N=\"Exception\" RefId=\"1\"><TN RefId=\"1\"><T>System.UnauthorizedAccessException</T></TN>"
	"<ToString>System.UnauthorizedAccessException: Access to the path '\\\\srv2\\share' is denied.</ToString>"
	"<Props><S N=\"Message\">Access to the path '\\\\srv2\\share' is denied.</S></Props></Obj>"
	"<Nil N=\"TargetObject\" /><S N=\"FullyQualifiedErrorId\">DirUnauthorizedAccessError,Microsoft.PowerShell.Commands.GetChildItemCommand</S>"
	"<I32 N=\"ErrorCategory_Category\">18</I32><S N=\"ErrorCategory_Activity\">Get-ChildItem</S>"
	"<S N=\"ErrorCategory_Reason\">UnauthorizedAccessException</S><S N=\"ErrorCategory_TargetName\">\\\\srv2\\share</S>"
	"<S N=\"ErrorCategory_TargetType\">String</S></MS></Obj>";

static const char pipeline_state[] = "<Obj RefId=\"0\"><MS><I32 N=\"PipelineState\">4</I32></MS></Obj>";

static void one(const char *xml, uint32_t type, uint32_t dest, bool bom, hs_psrp_clixml *x)
{
	uint8_t buf[4096];
	size_t n = build(buf, 7, 0, 3, dest, type, xml, bom), used;
	hs_psrp_fragment f;
	hs_guard g = hs_guard_copy(buf, n);
	CU_ASSERT_EQUAL_FATAL(hs_psrp_fragment_parse(g.p, n, &f, &used), HS_OK);
	CU_ASSERT_EQUAL(used, n);
	CU_ASSERT_EQUAL(f.object_id, 7);
	CU_ASSERT(f.start && f.end);
	hs_psrp_message m;
	CU_ASSERT_EQUAL_FATAL(hs_psrp_message_parse(f.blob.p, f.blob.len, &m), HS_OK);
	CU_ASSERT_EQUAL(m.type, type);
	CU_ASSERT_EQUAL(m.destination, dest);
	CU_ASSERT_STRING_EQUAL(m.rpid, "12345678-1234-5678-9abc-def012345678");
	CU_ASSERT_STRING_EQUAL(m.pid, "00000000-0000-0000-0000-000000000000");
	CU_ASSERT_EQUAL(m.data.len, strlen(xml));
	CU_ASSERT_EQUAL(hs_psrp_clixml_read(&m, x), HS_OK);
	/* every truncation: truncated, never a crash */
	for (size_t k = 0; k < n; k++) {
		hs_guard t = hs_guard_copy(buf, k);
		CU_ASSERT_EQUAL(hs_psrp_fragment_parse(t.p, k, &f, &used), HS_E_TRUNCATED);
		hs_guard_free(&t);
	}
	hs_guard_free(&g);
}

static void test_messages(void)
{
	hs_psrp_clixml x;
	one(capability, 0x00010002, 2, false, &x);
	CU_ASSERT_STRING_EQUAL(hs_psrp_type_name(0x00010002), "SESSION_CAPABILITY");
	CU_ASSERT_STRING_EQUAL(x.protocol_version, "2.2");
	CU_ASSERT_STRING_EQUAL(x.ps_version, "2.0");
	one(create_pipeline, 0x00021006, 2, true, &x);
	CU_ASSERT_STRING_EQUAL(hs_psrp_type_name(0x00021006), "CREATE_PIPELINE");
	CU_ASSERT_STRING_EQUAL(x.command, "Get-ChildItem -Path \\\\srv2\\share *.txt");
	one(error_record, 0x00041005, 1, false, &x);
	CU_ASSERT_STRING_EQUAL(hs_psrp_type_name(0x00041005), "ERROR_RECORD");
	CU_ASSERT_STRING_EQUAL(x.text, "Access to the path '\\\\srv2\\share' is denied.");
	CU_ASSERT_STRING_EQUAL(x.error_id, "DirUnauthorizedAccessError,Microsoft.PowerShell.Commands.GetChildItemCommand");
	CU_ASSERT_STRING_EQUAL(x.reason, "UnauthorizedAccessException");
	CU_ASSERT_STRING_EQUAL(x.target, "\\\\srv2\\share");
	one(pipeline_state, 0x00041006, 1, false, &x);
	CU_ASSERT(x.has_state);
	CU_ASSERT_EQUAL(x.state, 4);
	CU_ASSERT_PTR_NULL(hs_psrp_type_name(0x12345678));
}

static void test_fragments(void)
{
	/* one message in two fragments: 2.2.4's S on the first, E on the last */
	uint8_t whole[4096], two[4096];
	size_t n = build(whole, 9, 0, 3, 1, 0x00041006, pipeline_state, false);
	size_t blob = n - 21, half = blob / 2, k = 0;
	memcpy(two, whole, 16);
	two[16] = 1; /* S */
	two[17] = 0, two[18] = 0, two[19] = (uint8_t)(half >> 8), two[20] = (uint8_t)half;
	memcpy(two + 21, whole + 21, half);
	k = 21 + half;
	memcpy(two + k, whole, 8);
	memset(two + k + 8, 0, 8);
	two[k + 15] = 1;
	two[k + 16] = 2; /* E */
	two[k + 17] = 0, two[k + 18] = 0, two[k + 19] = (uint8_t)((blob - half) >> 8), two[k + 20] = (uint8_t)(blob - half);
	memcpy(two + k + 21, whole + 21 + half, blob - half);
	size_t total = k + 21 + blob - half, used;
	hs_psrp_fragment f;
	CU_ASSERT_EQUAL(hs_psrp_fragment_parse(two, total, &f, &used), HS_OK);
	CU_ASSERT(f.start && !f.end);
	CU_ASSERT_EQUAL(f.blob.len, half);
	CU_ASSERT_EQUAL(hs_psrp_fragment_parse(two + used, total - used, &f, &used), HS_OK);
	CU_ASSERT(!f.start && f.end);
	CU_ASSERT_EQUAL(f.fragment_id, 1);
	/* undefined flag bits */
	whole[16] = 0x07;
	CU_ASSERT_EQUAL(hs_psrp_fragment_parse(whole, n, &f, &used), HS_E_MALFORMED);
	/* a DOCTYPE in the CLIXML is refused */
	hs_psrp_message m;
	memset(&m, 0, sizeof m);
	static const char dt[] = "<!DOCTYPE x [<!ENTITY a \"b\">]><Obj>&a;</Obj>";
	m.data = (hs_slice){ (const uint8_t *)dt, sizeof dt - 1 };
	hs_psrp_clixml x;
	CU_ASSERT_EQUAL(hs_psrp_clixml_read(&m, &x), HS_E_MALFORMED);
}

/* The ERROR_RECORD as a PowerShell ReceiveResponse carries it (MS-PSRP
 * 3.1.5.3.6: base64 in rsp:Stream Name="stdout"), through the WinRM decoder. */
static void test_in_winrm(void)
{
	uint8_t buf[4096];
	size_t n = build(buf, 3, 0, 3, 1, 0x00041005, error_record, true);
	gchar *b64 = g_base64_encode(buf, n);
	gchar *env = g_strdup_printf(
		"<s:Envelope xmlns:s=\"http://www.w3.org/2003/05/soap-envelope\""
		" xmlns:a=\"http://schemas.xmlsoap.org/ws/2004/08/addressing\""
		" xmlns:w=\"http://schemas.dmtf.org/wbem/wsman/1/wsman.xsd\""
		" xmlns:rsp=\"http://schemas.microsoft.com/wbem/wsman/1/windows/shell\"><s:Header>"
		"<a:Action>http://schemas.microsoft.com/wbem/wsman/1/windows/shell/ReceiveResponse</a:Action>"
		"<w:ResourceURI>http://schemas.microsoft.com/powershell/Microsoft.PowerShell</w:ResourceURI></s:Header>"
		"<s:Body><rsp:ReceiveResponse><rsp:Stream Name=\"stdout\" CommandId=\"1\">%s</rsp:Stream>"
		"</rsp:ReceiveResponse></s:Body></s:Envelope>", b64);
	hs_winrm_msg m;
	CU_ASSERT_EQUAL_FATAL(hs_winrm_parse((const uint8_t *)env, strlen(env), &m), HS_OK);
	hs_out *o = hs_out_new(HS_OUT_JSON);
	hs_out_begin(o, NULL);
	hs_winrm_describe(&m, o, 0);
	hs_out_end(o);
	const char *j = hs_out_text(o, NULL);
	CU_ASSERT_PTR_NOT_NULL(strstr(j, "\"psrp_messages\":[{\"object_id\":3,\"fragment_id\":0,\"type\":\"ERROR_RECORD\",\"destination\":\"client\""));
	CU_ASSERT_PTR_NOT_NULL(strstr(j, "\"category_reason\":\"UnauthorizedAccessException\""));
	hs_out_free(o);
	hs_winrm_release(&m);
	g_free(env);
	g_free(b64);
}

/* What the report takes as "the user saw" from a PowerShell stream: the
 * first ERROR_RECORD's message, after other messages. */
static void test_first_error(void)
{
	uint8_t buf[8192];
	size_t n = build(buf, 1, 0, 3, 1, 0x00041006, pipeline_state, false);
	n += build(buf + n, 2, 0, 3, 1, 0x00041005, error_record, true);
	gchar *b64 = g_base64_encode(buf, n);
	char out[256];
	CU_ASSERT(hs_psrp_first_error((hs_slice){ (const uint8_t *)b64, strlen(b64) }, out, sizeof out));
	CU_ASSERT_STRING_EQUAL(out, "Access to the path '\\\\srv2\\share' is denied.");
	g_free(b64);
	n = build(buf, 1, 0, 3, 1, 0x00041006, pipeline_state, false);
	b64 = g_base64_encode(buf, n);
	CU_ASSERT(!hs_psrp_first_error((hs_slice){ (const uint8_t *)b64, strlen(b64) }, out, sizeof out));
	g_free(b64);
}

static hs_psrp_fragment frag(uint64_t obj, uint64_t id, bool s, bool e, const uint8_t *p, size_t n)
{
	hs_psrp_fragment f = { obj, id, s, e, { p, n } };
	return f;
}

/* 2.2.4 reassembly: a message cut at every point into two fragments, and
 * into three, comes back byte for byte; the reassembler holds nothing after. */
static void test_reassembly(void)
{
	uint8_t msg[2048];
	size_t n = build(msg, 0, 0, 0, 1, 0x00041005, error_record, true) - 21;
	const uint8_t *m = msg + 21; /* the message (2.2.1) without the fragment header */
	hs_psrp_reasm *r = hs_psrp_reasm_new(1u << 20);
	GByteArray *out;
	unsigned nf;
	for (size_t cut = 1; cut < n; cut++) {
		hs_psrp_fragment a = frag(5, 0, true, false, m, cut), b = frag(5, 1, false, true, m + cut, n - cut);
		CU_ASSERT_EQUAL(hs_psrp_reasm_add(r, 1, &a, &out, &nf), HS_PSRP_PENDING);
		CU_ASSERT_EQUAL(hs_psrp_reasm_bytes(r), cut);
		CU_ASSERT_EQUAL_FATAL(hs_psrp_reasm_add(r, 1, &b, &out, &nf), HS_PSRP_DONE);
		CU_ASSERT_EQUAL(nf, 2);
		CU_ASSERT(out->len == n && !memcmp(out->data, m, n));
		g_byte_array_free(out, TRUE);
		CU_ASSERT_EQUAL(hs_psrp_reasm_bytes(r), 0);
	}
	hs_psrp_fragment f3[3] = { frag(6, 0, true, false, m, 100), frag(6, 1, false, false, m + 100, 200),
				   frag(6, 2, false, true, m + 300, n - 300) };
	CU_ASSERT_EQUAL(hs_psrp_reasm_add(r, 1, &f3[0], &out, &nf), HS_PSRP_PENDING);
	/* another sender's message with the same ObjectId does not mix in */
	CU_ASSERT_EQUAL(hs_psrp_reasm_add(r, 2, &f3[0], &out, &nf), HS_PSRP_PENDING);
	CU_ASSERT_EQUAL(hs_psrp_reasm_add(r, 1, &f3[1], &out, &nf), HS_PSRP_PENDING);
	CU_ASSERT_EQUAL_FATAL(hs_psrp_reasm_add(r, 1, &f3[2], &out, &nf), HS_PSRP_DONE);
	CU_ASSERT(nf == 3 && out->len == n && !memcmp(out->data, m, n));
	g_byte_array_free(out, TRUE);
	hs_psrp_message pm;
	CU_ASSERT_EQUAL(hs_psrp_reasm_pending(r), 1);
	hs_psrp_fragment whole = frag(7, 0, true, true, m, n);
	CU_ASSERT_EQUAL(hs_psrp_reasm_add(r, 1, &whole, &out, &nf), HS_PSRP_WHOLE);
	CU_ASSERT_EQUAL(hs_psrp_message_parse(whole.blob.p, whole.blob.len, &pm), HS_OK);
	hs_psrp_reasm_free(r);
}

/* Fragments that do not follow: typed results, the partial message dropped,
 * nothing reordered; caps on partial messages and bytes. */
static void test_reassembly_anomalies(void)
{
	static const uint8_t b[64];
	hs_psrp_reasm *r = hs_psrp_reasm_new(100);
	GByteArray *out;
	unsigned nf;
	hs_psrp_fragment f;
	f = frag(1, 1, false, true, b, 10); /* its start never seen */
	CU_ASSERT_EQUAL(hs_psrp_reasm_add(r, 0, &f, &out, &nf), HS_PSRP_ORPHAN);
	f = frag(1, 0, true, false, b, 10);
	CU_ASSERT_EQUAL(hs_psrp_reasm_add(r, 0, &f, &out, &nf), HS_PSRP_PENDING);
	f = frag(1, 2, false, true, b, 10); /* fragment 1 lost */
	CU_ASSERT_EQUAL(hs_psrp_reasm_add(r, 0, &f, &out, &nf), HS_PSRP_GAP);
	CU_ASSERT_PTR_NULL(out);
	CU_ASSERT_EQUAL(hs_psrp_reasm_pending(r), 0);
	CU_ASSERT_EQUAL(hs_psrp_reasm_bytes(r), 0);
	/* one result per broken message: its later fragments are skipped */
	f = frag(4, 0, true, false, b, 10);
	CU_ASSERT_EQUAL(hs_psrp_reasm_add(r, 0, &f, &out, &nf), HS_PSRP_PENDING);
	f = frag(4, 2, false, false, b, 10);
	CU_ASSERT_EQUAL(hs_psrp_reasm_add(r, 0, &f, &out, &nf), HS_PSRP_GAP);
	f = frag(4, 3, false, false, b, 10);
	CU_ASSERT_EQUAL(hs_psrp_reasm_add(r, 0, &f, &out, &nf), HS_PSRP_SKIPPED);
	CU_ASSERT_EQUAL(hs_psrp_reasm_pending(r), 0);
	CU_ASSERT_EQUAL(hs_psrp_reasm_bytes(r), 0);
	f = frag(4, 4, false, true, b, 10);
	CU_ASSERT_EQUAL(hs_psrp_reasm_add(r, 0, &f, &out, &nf), HS_PSRP_SKIPPED);
	f = frag(4, 5, false, true, b, 10); /* the marker went with the last one */
	CU_ASSERT_EQUAL(hs_psrp_reasm_add(r, 0, &f, &out, &nf), HS_PSRP_ORPHAN);
	f = frag(20, 3, false, false, b, 10); /* a lost start: one orphan */
	CU_ASSERT_EQUAL(hs_psrp_reasm_add(r, 0, &f, &out, &nf), HS_PSRP_ORPHAN);
	f = frag(20, 4, false, true, b, 10);
	CU_ASSERT_EQUAL(hs_psrp_reasm_add(r, 0, &f, &out, &nf), HS_PSRP_SKIPPED);
	f = frag(1, 3, true, false, b, 10); /* a start that is not fragment 0 */
	CU_ASSERT_EQUAL(hs_psrp_reasm_add(r, 0, &f, &out, &nf), HS_PSRP_GAP);
	CU_ASSERT_EQUAL(hs_psrp_reasm_pending(r), 0);
	f = frag(2, 0, true, false, b, 10);
	CU_ASSERT_EQUAL(hs_psrp_reasm_add(r, 0, &f, &out, &nf), HS_PSRP_PENDING);
	CU_ASSERT_EQUAL(hs_psrp_reasm_add(r, 0, &f, &out, &nf), HS_PSRP_RESTART);
	CU_ASSERT_EQUAL(hs_psrp_reasm_bytes(r), 10);
	f = frag(2, 0, true, true, b, 10);
	CU_ASSERT_EQUAL(hs_psrp_reasm_add(r, 0, &f, &out, &nf), HS_PSRP_RESTART);
	CU_ASSERT_EQUAL(hs_psrp_reasm_pending(r), 0);
	/* bytes: 60 + 50 passes 100, the message is dropped */
	f = frag(3, 0, true, false, b, 60);
	CU_ASSERT_EQUAL(hs_psrp_reasm_add(r, 0, &f, &out, &nf), HS_PSRP_PENDING);
	f = frag(3, 1, false, true, b, 50);
	CU_ASSERT_EQUAL(hs_psrp_reasm_add(r, 0, &f, &out, &nf), HS_PSRP_CAP);
	CU_ASSERT_PTR_NULL(out);
	CU_ASSERT_EQUAL(hs_psrp_reasm_bytes(r), 0);
	/* slots: the ninth partial message evicts the oldest */
	for (uint64_t i = 0; i < HS_PSRP_REASM_SLOTS; i++) {
		f = frag(10 + i, 0, true, false, b, 1);
		CU_ASSERT_EQUAL(hs_psrp_reasm_add(r, 0, &f, &out, &nf), HS_PSRP_PENDING);
	}
	f = frag(99, 0, true, false, b, 1);
	CU_ASSERT_EQUAL(hs_psrp_reasm_add(r, 0, &f, &out, &nf), HS_PSRP_CAP);
	CU_ASSERT_EQUAL(hs_psrp_reasm_pending(r), HS_PSRP_REASM_SLOTS);
	CU_ASSERT_EQUAL(hs_psrp_reasm_bytes(r), HS_PSRP_REASM_SLOTS);
	f = frag(10, 1, false, true, b, 1); /* the evicted one */
	CU_ASSERT_EQUAL(hs_psrp_reasm_add(r, 0, &f, &out, &nf), HS_PSRP_ORPHAN);
	f = frag(99, 1, false, true, b, 1);
	CU_ASSERT_EQUAL(hs_psrp_reasm_add(r, 0, &f, &out, &nf), HS_PSRP_DONE);
	CU_ASSERT(out && out->len == 2 && nf == 2);
	g_byte_array_free(out, TRUE);
	hs_psrp_reasm_free(r); /* frees the seven left */
}

HS_UNIT_MAIN("psrp",
	     { "reassembly", test_reassembly },
	     { "reassembly anomalies", test_reassembly_anomalies },
	     { "first error", test_first_error },
	     { "messages", test_messages },
	     { "fragments", test_fragments },
	     { "in a winrm receive response", test_in_winrm })
