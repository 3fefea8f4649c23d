/* msginfo_test.c - messages as nodes (a real WinRM envelope) and the frames
 * a chain lists (synthetic chains). */
#include <string.h>

#include "msginfo.h"
#include "rules.h"
#include "unit.h"
#include "winrm.h"

static unsigned char *load(const char *name, size_t *len)
{
	const char *src = getenv("HS_SOURCE");
	char path[1024];
	snprintf(path, sizeof path, "%s/decoder/testdata/winrm/%s", src ? src : ".", name);
	return hs_read_file(path, len);
}

static void describe_file(const char *name, hs_out *o, hs_winrm_msg *w)
{
	size_t len;
	unsigned char *b = load(name, &len);
	CU_ASSERT_PTR_NOT_NULL_FATAL(b);
	CU_ASSERT_EQUAL_FATAL(hs_winrm_parse(b, len, w), HS_OK);
	hs_meta meta;
	memset(&meta, 0, sizeof meta);
	meta.frame = 42;
	meta.src.family = meta.dst.family = 4;
	meta.src.a[0] = 10, meta.src.a[3] = 20;
	meta.dst.a[0] = 10, meta.dst.a[3] = 11;
	meta.sport = 50000, meta.dport = 5985, meta.ipproto = 6;
	hs_msg m = { &meta, HS_PROTO_WINRM, w, HS_PROTO_NONE };
	CU_ASSERT_TRUE(hs_msginfo_fill(&m, o, 0));
	free(b);
}

static void test_winrm_nodes(void)
{
	hs_out *o = hs_out_new(HS_OUT_NODES);
	hs_winrm_msg w;
	describe_file("req_command.xml", o, &w);
	CU_ASSERT_STRING_EQUAL(hs_msginfo_get(o, "proto"), "winrm");
	CU_ASSERT_STRING_EQUAL(hs_msginfo_get(o, "frame"), "42");
	CU_ASSERT_STRING_EQUAL(hs_msginfo_get(o, "src"), "10.0.0.20:50000");
	CU_ASSERT_STRING_EQUAL(hs_msginfo_get(o, "dst"), "10.0.0.11:5985");
	CU_ASSERT_PTR_NULL(hs_msginfo_get(o, "carrier"));
	/* the operation and command, as the XML says (winrm_test.c) */
	bool command = false;
	hs_out_node n;
	for (size_t i = 0; hs_out_node_at(o, i, &n); i++) {
		CU_ASSERT_TRUE(n.depth >= 1);
		if (n.key && strcmp(n.value, "ipconfig") == 0)
			command = true;
	}
	CU_ASSERT_TRUE(command);
	CU_ASSERT_STRING_EQUAL(hs_msginfo_get(o, "operation"), w.operation);
	/* the header is the first 7 nodes here (no carrier), then the body */
	size_t nheader = 0;
	for (size_t i = 0; hs_out_node_at(o, i, &n); i++)
		if (hs_msginfo_is_header(&n)) {
			CU_ASSERT_EQUAL(i, nheader);
			nheader++;
		}
	CU_ASSERT_EQUAL(nheader, 7);
	hs_winrm_release(&w);

	describe_file("resp_fault_timeout.xml", o, &w);
	const char *op = hs_msginfo_get(o, "operation");
	CU_ASSERT_PTR_NOT_NULL_FATAL(op);
	CU_ASSERT_STRING_EQUAL(op, w.operation);
	/* the fault is a subtree whose members are one level deeper */
	bool code = false;
	for (size_t i = 0; hs_out_node_at(o, i, &n); i++)
		if (strcmp(n.value, "w:TimedOut") == 0)
			code = true;
	CU_ASSERT_TRUE(code);
	hs_winrm_release(&w);

	/* not a nodes writer: refused, nothing written */
	hs_out *j = hs_out_new(HS_OUT_JSON);
	hs_meta meta = { 0 };
	hs_msg m = { &meta, HS_PROTO_WINRM, NULL, HS_PROTO_NONE };
	CU_ASSERT_FALSE(hs_msginfo_fill(&m, j, 0));
	CU_ASSERT_STRING_EQUAL(hs_out_text(j, NULL), "");
	hs_out_free(j);
	hs_out_free(o);
}

static hs_ref R(uint64_t f) { return (hs_ref){ 0, f }; }

/* Two hops (frames 6, 9 and 42, 46) of a Kerberos WinRM session into srv1
 * and its SMB connection to srv2; the diagnosis comes from the rules. */
static hs_chain chain(void)
{
	hs_chain c;
	memset(&c, 0, sizeof c);
	c.nhops = 2;
	c.hops[0].index = 1;
	c.hops[0].frames[0] = R(6);
	c.hops[0].frames[1] = R(9);
	c.hops[0].nframes = 2;
	c.hops[1].index = 2;
	c.hops[1].frames[0] = R(42);
	c.hops[1].frames[1] = R(46);
	c.hops[1].nframes = 2;
	hs_facts *f = &c.facts;
	strcpy(f->user, "alice@HOP.TEST");
	strcpy(f->s_name, "srv1.hop.test");
	strcpy(f->s_short, "srv1");
	strcpy(f->t_name, "srv2.hop.test");
	strcpy(f->t_short, "srv2");
	f->hop1_seen = true;
	f->hop1_auth = HS_AUTH_KERBEROS;
	f->hop1_result = HS_RES_OK;
	f->hop2_carrier = HS_CAR_SMB2;
	f->hop2_auth = HS_AUTH_KERBEROS;
	return c;
}

static hs_ref decisive(hs_chain *c)
{
	hs_rules_diagnose(&c->facts, &c->diag);
	return hs_chain_decisive(c);
}

static void test_decisive(void)
{
	/* scenario 08's shape: S4U2Proxy refused at 46 (S4U2Self fine at 36,
	 * the user's error line at 47): the refused step, not the last frame */
	hs_chain c = chain();
	c.facts.hop2_inferred = true;
	c.facts.hop2_result = HS_RES_FAILED;
	c.facts.s4u2self = c.facts.s4u2self_ok = true;
	c.facts.s4u2self_ref = R(36);
	c.facts.s4u2proxy = true;
	c.facts.s4u2proxy_error = 13;
	c.facts.s4u2proxy_ref = R(46);
	strcpy(c.facts.user_saw, "kvno: KDC can't fulfill requested option");
	c.facts.user_saw_ref = R(47);
	CU_ASSERT_EQUAL(decisive(&c).frame, 46);
	CU_ASSERT_STRING_EQUAL(c.diag.cause, "s4u2proxy_denied");
	/* a clock error decides over a refused S4U2Proxy (the rules' order) */
	c.facts.skew = true;
	c.facts.skew_error = 37;
	c.facts.skew_ref = R(44);
	CU_ASSERT_EQUAL(decisive(&c).frame, 44);
	CU_ASSERT_STRING_EQUAL(c.diag.cause, "clock_skew");
	c.facts.skew = false;
	/* the S4U2Proxy worked, the SMB connection was refused */
	c.facts.s4u2proxy_ok = true;
	c.facts.s4u2proxy_error = 0;
	c.facts.hop2_inferred = false;
	c.facts.hop2_seen = true;
	c.facts.hop2_auth = HS_AUTH_ANONYMOUS;
	c.facts.hop2_ref = R(50);
	CU_ASSERT_EQUAL(decisive(&c).frame, 50);
	/* a rule that names no frame the facts have: the last hop frame */
	hs_chain cs = chain();
	cs.facts.hop1_auth = HS_AUTH_CREDSSP;
	cs.facts.credssp_failed = true;
	CU_ASSERT_STRING_EQUAL((hs_rules_diagnose(&cs.facts, &cs.diag), cs.diag.cause), "credssp_auth_failed");
	CU_ASSERT_EQUAL(hs_chain_decisive(&cs).frame, 46);
	cs.nhops = 1;
	CU_ASSERT_EQUAL(hs_chain_decisive(&cs).frame, 9);

	/* delegated: the hop-2 connection, else the last evidence frame */
	hs_chain ok = chain();
	ok.facts.hop2_seen = true;
	ok.facts.hop2_result = HS_RES_OK;
	ok.facts.hop2_as_user = true;
	ok.facts.forwarded_tgt = ok.facts.tgt_forwarded_used = true;
	ok.facts.forwarded_ref = R(30);
	ok.facts.tgt_ref = R(40);
	ok.facts.hop2_ref = R(60);
	CU_ASSERT_EQUAL(decisive(&ok).frame, 60);
	CU_ASSERT_EQUAL(ok.diag.verdict, HS_VERDICT_DELEGATED);
	ok.facts.hop2_ref = R(0);
	CU_ASSERT_EQUAL(decisive(&ok).frame, 40); /* last evidence */
	ok.facts.forwarded_ref = ok.facts.tgt_ref = R(0);
	ok.nhops = 1;
	CU_ASSERT_EQUAL(decisive(&ok).frame, 9);
	ok.hops[0].nframes = 0;
	CU_ASSERT_EQUAL(decisive(&ok).frame, 0);
}

static void test_roles(void)
{
	hs_chain c = chain();
	c.facts.hop2_inferred = true;
	c.facts.hop2_result = HS_RES_FAILED;
	c.facts.s4u2self = c.facts.s4u2self_ok = true;
	c.facts.s4u2self_ref = R(36);
	c.facts.s4u2proxy = true;
	c.facts.s4u2proxy_error = 13;
	c.facts.s4u2proxy_ref = R(46);
	hs_rules_diagnose(&c.facts, &c.diag);
	unsigned hop;
	CU_ASSERT_EQUAL(hs_chain_frame_role(&c, R(6), &hop), HS_ROLE_HOP);
	CU_ASSERT_EQUAL(hop, 1);
	CU_ASSERT_EQUAL(hs_chain_frame_role(&c, R(42), &hop), HS_ROLE_HOP);
	CU_ASSERT_EQUAL(hop, 2);
	CU_ASSERT_EQUAL(hs_chain_frame_role(&c, R(36), &hop), HS_ROLE_EVIDENCE);
	CU_ASSERT_EQUAL(hop, 0);
	CU_ASSERT_EQUAL(hs_chain_frame_role(&c, R(46), &hop), HS_ROLE_DECISIVE);
	CU_ASSERT_EQUAL(hop, 2);
	CU_ASSERT_EQUAL(hs_chain_frame_role(&c, R(7), &hop), HS_ROLE_NONE);
	CU_ASSERT_EQUAL(hs_chain_frame_role(&c, (hs_ref){ 1, 6 }, &hop), HS_ROLE_NONE);
	CU_ASSERT_STRING_EQUAL(hs_frame_role_name(HS_ROLE_DECISIVE), "decisive");
	CU_ASSERT_STRING_EQUAL(hs_frame_role_name(HS_ROLE_NONE), "");
}

HS_UNIT_MAIN("msginfo",
	{ "WinRM envelopes as nodes", test_winrm_nodes },
	{ "decisive frame of a chain", test_decisive },
	{ "frame roles", test_roles })
