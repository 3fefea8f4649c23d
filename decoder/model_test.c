/* model_test.c - hs_model_copy(), the snapshot live capture takes while
 * packets keep coming: on real lab captures, a finished copy gives the
 * chains the original gives, and copying (at any point) leaves the
 * original's result unchanged.  Ground truth: the scenarios' expected.json
 * (lab configuration), not hopsniff's output. */
#include <stdint.h>

#include "model.h"
#include "pcapfeed.h"
#include "report.h"
#include "unit.h"

typedef struct run {
	hs_engine *e;
	hs_model *m;
	pf_file f;
} run;

static run run_open_with(const char *rel, const hs_model_config *cfg)
{
	run r = { hs_engine_new(NULL), hs_model_new(cfg), pf_open(rel) };
	CU_ASSERT_PTR_NOT_NULL_FATAL(r.e);
	hs_engine_add_msg_sink(r.e, hs_model_sink, r.m);
	return r;
}

static run run_open(const char *rel)
{
	return run_open_with(rel, NULL);
}

static void run_close(run *r)
{
	hs_engine_free(r->e);
	hs_model_free(r->m);
	pf_close(&r->f);
}

/* The fields the report contract makes stable. */
static void same_chain(const hs_chain *x, const hs_chain *y)
{
	CU_ASSERT_STRING_EQUAL(x->user, y->user);
	CU_ASSERT_EQUAL(x->nhops, y->nhops);
	CU_ASSERT_EQUAL(x->diag.verdict, y->diag.verdict);
	CU_ASSERT_EQUAL(x->diag.method, y->diag.method);
	CU_ASSERT_STRING_EQUAL(x->diag.cause, y->diag.cause);
	CU_ASSERT_STRING_EQUAL(x->diag.detail, y->diag.detail);
	for (unsigned h = 0; h < x->nhops && h < y->nhops; h++) {
		CU_ASSERT_EQUAL(x->hops[h].carrier, y->hops[h].carrier);
		CU_ASSERT_EQUAL(x->hops[h].auth, y->hops[h].auth);
		CU_ASSERT_EQUAL(x->hops[h].result, y->hops[h].result);
		CU_ASSERT_STRING_EQUAL(x->hops[h].principal, y->hops[h].principal);
		CU_ASSERT_EQUAL(x->hops[h].nframes, y->hops[h].nframes);
	}
}

/* chain by chain */
static void same_chains(const hs_model *a, const hs_model *b)
{
	CU_ASSERT_EQUAL_FATAL(hs_model_chain_count(a), hs_model_chain_count(b));
	for (size_t i = 0; i < hs_model_chain_count(a); i++)
		same_chain(hs_model_chain(a, i), hs_model_chain(b, i));
}

/* 08-constrained-target-not-allowed from srv1: expected.json says one
 * chain, kerberos_constrained, failed, s4u2proxy_target_not_allowed (or
 * s4u2proxy_denied, its acceptable_causes). */
static void test_copy_equals_original(void)
{
	run r = run_open("lab/scenarios/08-constrained-target-not-allowed/srv1.pcapng");
	CU_ASSERT(pf_feed(r.e, &r.f, SIZE_MAX) > 0);
	hs_engine_finish(r.e);
	hs_model *c = hs_model_copy(r.m);
	CU_ASSERT_PTR_NOT_NULL_FATAL(c);
	hs_model_finish(c, false);
	hs_model_finish(r.m, false);
	CU_ASSERT_EQUAL_FATAL(hs_model_chain_count(r.m), 1);
	const hs_chain *ch = hs_model_chain(c, 0);
	CU_ASSERT_EQUAL(ch->diag.verdict, HS_VERDICT_FAILED);
	CU_ASSERT_EQUAL(ch->diag.method, HS_METHOD_CONSTRAINED);
	/* expected.json's acceptable_causes (the KERB-EXT-ERROR is FAST-armored) */
	CU_ASSERT(!strcmp(ch->diag.cause, "s4u2proxy_target_not_allowed") || !strcmp(ch->diag.cause, "s4u2proxy_denied"));
	same_chains(c, r.m);
	/* a finished model is not copied */
	CU_ASSERT_PTR_NULL(hs_model_copy(r.m));
	CU_ASSERT_PTR_NULL(hs_model_copy(NULL));
	hs_model_free(c);
	run_close(&r);
}

/* Snapshots every few frames while feeding 15-two-users (two chains from
 * srv1 and client1's view): the original, finished at the end, equals a run
 * that was never copied; the last snapshot before the end already has the
 * final chains. */
static void test_snapshots_leave_original(void)
{
	const char *cap = "lab/scenarios/15-two-users/client1.pcapng";
	run ref = run_open(cap);
	size_t total = pf_feed(ref.e, &ref.f, SIZE_MAX);
	hs_engine_finish(ref.e);
	hs_model_finish(ref.m, false);
	CU_ASSERT_EQUAL_FATAL(hs_model_chain_count(ref.m), 2); /* alice and bob (expected.json) */

	run r = run_open(cap);
	size_t fed = 0, snaps = 0, grew = 0, last = 0;
	while (fed < total) {
		fed += pf_feed(r.e, &r.f, 7);
		hs_model *c = hs_model_copy(r.m);
		CU_ASSERT_PTR_NOT_NULL_FATAL(c);
		hs_model_finish(c, false);
		size_t n = hs_model_chain_count(c);
		CU_ASSERT(n <= 2);
		grew += n > last;
		last = n;
		snaps++;
		if (fed == total)
			same_chains(c, ref.m);
		hs_model_free(c);
	}
	hs_engine_finish(r.e);
	hs_model_finish(r.m, false);
	CU_ASSERT(snaps > 10);
	CU_ASSERT(grew >= 1); /* chains appeared along the way, not only at the end */
	same_chains(r.m, ref.m);
	run_close(&r);
	run_close(&ref);
}

/* A cap that refuses something is said: 08 from srv1 has one chain
 * (expected.json); with room for none, the session is counted against the
 * chain cap, in dropped, and the report lists a model_cap anomaly. */
static void test_cap_reported(void)
{
	hs_model_config cfg;
	hs_model_config_default(&cfg);
	cfg.max_chains = 0;
	run r = run_open_with("lab/scenarios/08-constrained-target-not-allowed/srv1.pcapng", &cfg);
	CU_ASSERT(pf_feed(r.e, &r.f, SIZE_MAX) > 0);
	hs_engine_finish(r.e);
	hs_model_finish(r.m, false);
	CU_ASSERT_EQUAL(hs_model_chain_count(r.m), 0);
	const hs_model_caps *c = hs_model_cap_hits(r.m);
	CU_ASSERT(c->chains >= 1);
	CU_ASSERT(hs_model_dropped(r.m) >= c->chains);
	CU_ASSERT_EQUAL(c->conns + c->kdc + c->tickets + c->hosts, 0);
	hs_report rep = { NULL, 0, r.m, NULL, NULL, 0, 0, NULL, NULL, NULL };
	GString *js = g_string_new(NULL), *tx = g_string_new(NULL);
	hs_report_json(&rep, js);
	hs_report_text(&rep, tx, false);
	CU_ASSERT_PTR_NOT_NULL(strstr(js->str, "\"kind\":\"model_cap\""));
	CU_ASSERT_PTR_NOT_NULL(strstr(js->str, "cap of 0 was reached"));
	CU_ASSERT_PTR_NOT_NULL(strstr(tx->str, "model_cap: the correlation model's cap of 0"));
	g_string_free(js, TRUE);
	g_string_free(tx, TRUE);
	run_close(&r);
}

/* 21 runs of 08 from srv1, 400 s apart (more than the 300 s settle
 * window): each session settles and is built while the next run is fed,
 * its working state freed; the report has the 21 chains, each what
 * expected.json says of the run and equal to the chain of one run alone,
 * and (more than 20 chains) the text report opens with the summary: one
 * row, 21 failed chains of that cause on srv1.  (Without retirement the three replays are one session: they
 * repeat the same WinRM shell id between the same two addresses.) */
#define RUNS 21
static void test_settled_sessions_retire(void)
{
	const char *rel = "lab/scenarios/08-constrained-target-not-allowed/srv1.pcapng";
	run one = run_open(rel), a = run_open(rel);
	CU_ASSERT(pf_feed(one.e, &one.f, SIZE_MAX) > 0);
	hs_engine_finish(one.e);
	hs_model_finish(one.m, false);
	CU_ASSERT_EQUAL_FATAL(hs_model_chain_count(one.m), 1);
	for (int i = 0; i < RUNS; i++) {
		if (i) {
			pf_close(&a.f);
			a.f = pf_open(rel);
			a.f.shift_sec = 400 * i;
		}
		CU_ASSERT(pf_feed(a.e, &a.f, SIZE_MAX) > 0);
		CU_ASSERT_EQUAL(hs_model_retired(a.m), (uint64_t)i);
	}
	hs_engine_finish(a.e);
	hs_model_finish(a.m, false);
	CU_ASSERT_EQUAL_FATAL(hs_model_chain_count(a.m), RUNS);
	for (size_t i = 0; i < RUNS; i++) {
		const hs_chain *ch = hs_model_chain(a.m, i);
		CU_ASSERT_EQUAL(ch->id, i + 1);
		CU_ASSERT_EQUAL(ch->diag.verdict, HS_VERDICT_FAILED);
		CU_ASSERT_EQUAL(ch->diag.method, HS_METHOD_CONSTRAINED);
		CU_ASSERT(!strcmp(ch->diag.cause, "s4u2proxy_target_not_allowed") ||
			  !strcmp(ch->diag.cause, "s4u2proxy_denied"));
		same_chain(ch, hs_model_chain(one.m, 0));
	}
	hs_report rep = { NULL, 0, a.m, NULL, NULL, 0, 0, NULL, NULL, NULL };
	GString *tx = g_string_new(NULL);
	hs_report_text(&rep, tx, false);
	const char *row = strstr(tx->str, "Summary by verdict, cause and first server:\n");
	CU_ASSERT_PTR_NOT_NULL_FATAL(row);
	row = strchr(strchr(row, '\n') + 1, '\n') + 1; /* past the column names */
	char cause[64], server[64];
	unsigned n = 0;
	CU_ASSERT_EQUAL(sscanf(row, " %u failed %63s srv1.hop.test (10.200.0.11)\n%63s", &n, cause, server), 3);
	CU_ASSERT_EQUAL(n, RUNS);
	CU_ASSERT(!strcmp(cause, "s4u2proxy_target_not_allowed") || !strcmp(cause, "s4u2proxy_denied"));
	CU_ASSERT_STRING_EQUAL(server, "Chain"); /* one row, then the first chain */
	g_string_free(tx, TRUE);
	run_close(&one);
	run_close(&a);
}

/* Runs of 08 from srv1 six hours apart: the tickets of a settled session
 * are kept while the next run is fed and forgotten once they are more than
 * 10 hours old (MS-KILE MaxTicketAge).  The runs replay the same ticket
 * bytes, so the table holds each ticket once, at its first issue: the
 * tickets learned when the first run settled are there while the second
 * is fed, and gone (12 hours old) while the third is. */
static void test_tickets_expire(void)
{
	const char *rel = "lab/scenarios/08-constrained-target-not-allowed/srv1.pcapng";
	run a = run_open(rel);
	size_t after[3];
	for (int i = 0; i < 3; i++) {
		if (i) {
			pf_close(&a.f);
			a.f = pf_open(rel);
			a.f.shift_sec = 6 * 3600 * i;
		}
		CU_ASSERT(pf_feed(a.e, &a.f, SIZE_MAX) > 0);
		after[i] = hs_model_ticket_count(a.m);
	}
	CU_ASSERT_EQUAL(after[0], 0); /* learned when a session is built */
	CU_ASSERT(after[1] > 0);
	CU_ASSERT_EQUAL(after[2], 0);
	hs_engine_finish(a.e);
	hs_model_finish(a.m, false);
	CU_ASSERT_EQUAL(hs_model_chain_count(a.m), 3);
	run_close(&a);
}

HS_UNIT_MAIN("model", { "a finished copy gives the original's chains (08, srv1)", test_copy_equals_original },
	     { "snapshots while feeding leave the original unchanged (15, client1)", test_snapshots_leave_original },
	     { "a cap that refuses something is reported (08, srv1)", test_cap_reported },
	     { "settled sessions retire; no chain lost; the summary (08, srv1, 21 runs)", test_settled_sessions_retire },
	     { "tickets of settled sessions expire after 10 hours (08, srv1)", test_tickets_expire })
