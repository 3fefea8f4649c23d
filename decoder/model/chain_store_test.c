/* chain_store_test.c - the chain store (chain_store.h) and the model's
 * retirement through it: records round-trip exactly, rows sort by start
 * time (ties in arrival order), and a model that puts its settled chains
 * in the store, streams them (hs_model_set_retired_sink) or gives up state
 * under the memory budget (hs_model_set_budget) reports the chains of a
 * model that keeps everything in memory: none lost, none twice.  Ground
 * truth for the runs of scenario 08: its expected.json (one failed chain
 * per run, constrained delegation refused). */
#include <stdint.h>

#include "chain_store.h"
#include "engine.h"
#include "model.h"
#include "pcapfeed.h"
#include "report.h"
#include "unit.h"

/* ------------------------------------------------------------ records */

static void roundtrip(const uint8_t *src, size_t n)
{
	uint8_t *enc = g_malloc(hs_chain_rle_bound(n)), *dec = g_malloc(n + 1);
	size_t len = hs_chain_rle_encode(src, n, enc);
	CU_ASSERT(len <= hs_chain_rle_bound(n));
	CU_ASSERT_FATAL(hs_chain_rle_decode(enc, len, dec, n));
	CU_ASSERT(memcmp(src, dec, n) == 0);
	/* every truncation and a wrong size are refused, never over-read */
	for (size_t cut = 0; cut < len; cut += 1 + len / 64)
		CU_ASSERT(!hs_chain_rle_decode(enc, cut, dec, n));
	if (n)
		CU_ASSERT(!hs_chain_rle_decode(enc, len, dec, n - 1));
	CU_ASSERT(!hs_chain_rle_decode(enc, len, dec, n + 1));
	g_free(enc);
	g_free(dec);
}

static void test_rle(void)
{
	GRand *r = g_rand_new_with_seed(14);
	for (int t = 0; t < 200; t++) {
		size_t n = (size_t)g_rand_int_range(r, 0, 70000); /* past one run's 65535 */
		uint8_t *b = g_malloc0(n + 1);
		for (size_t i = 0; i < n; i++) {
			int mode = t % 4; /* dense, sparse, alternating, long zero runs */
			if (mode == 0 || (mode == 1 && g_rand_int_range(r, 0, 10) == 0) || (mode == 2 && i % 2) ||
			    (mode == 3 && i % 70000 < 10))
				b[i] = (uint8_t)g_rand_int_range(r, 1, 256);
		}
		roundtrip(b, n);
		g_free(b);
	}
	g_rand_free(r);
	/* an hs_chain: mostly the unused tails of its strings */
	hs_chain c;
	memset(&c, 0, sizeof c);
	snprintf(c.user, sizeof c.user, "alice@HOP.TEST");
	snprintf(c.diag.explanation, sizeof c.diag.explanation, "an explanation");
	c.hops[0].t0_ns = 42;
	uint8_t *enc = g_malloc(hs_chain_rle_bound(sizeof c));
	size_t len = hs_chain_rle_encode((const uint8_t *)&c, sizeof c, enc);
	CU_ASSERT(len < sizeof c / 50);
	g_free(enc);
	roundtrip((const uint8_t *)&c, sizeof c);
}

static void test_store_order(void)
{
	hs_chain_store *s = hs_chain_store_new();
	CU_ASSERT_PTR_NOT_NULL_FATAL(s);
	hs_chain c, got;
	const int64_t t0[] = { 30, 10, 20, 10, 5, 20, 10 };
	for (unsigned i = 0; i < G_N_ELEMENTS(t0); i++) {
		memset(&c, 0, sizeof c);
		c.hops[0].t0_ns = t0[i];
		c.id = i; /* arrival */
		CU_ASSERT(hs_chain_store_put(s, &c, i & 1));
	}
	CU_ASSERT_EQUAL(hs_chain_store_count(s), G_N_ELEMENTS(t0));
	hs_chain_store_sort(s);
	const unsigned want[] = { 4, 1, 3, 6, 2, 5, 0 }; /* by t0, ties in arrival order */
	for (unsigned i = 0; i < G_N_ELEMENTS(want); i++) {
		CU_ASSERT_FATAL(hs_chain_store_get(s, i, &got));
		CU_ASSERT_EQUAL(got.id, want[i]);
		CU_ASSERT_EQUAL(hs_chain_store_flags(s, i), want[i] & 1);
	}
	/* a rewrite replaces the record, keeps the row's place and flags */
	CU_ASSERT_FATAL(hs_chain_store_get(s, 2, &got));
	snprintf(got.user, sizeof got.user, "bob@HOP.TEST");
	CU_ASSERT(hs_chain_store_set(s, 2, &got));
	CU_ASSERT_FATAL(hs_chain_store_get(s, 2, &c));
	CU_ASSERT_STRING_EQUAL(c.user, "bob@HOP.TEST");
	CU_ASSERT_EQUAL(c.id, 3);
	CU_ASSERT_EQUAL(hs_chain_store_flags(s, 2), 1);
	CU_ASSERT(!hs_chain_store_get(s, G_N_ELEMENTS(t0), &got));
	hs_chain_store_free(s);
}

/* ------------------------------------------------------ the model */

#define RUNS 21
#define REL "lab/scenarios/08-constrained-target-not-allowed/srv1.pcapng"

typedef struct sink_log {
	unsigned n;
	hs_verdict verdict[RUNS];
	char cause[RUNS][64];
} sink_log;

static void on_retired(void *ud, const hs_chain *c)
{
	sink_log *l = ud;
	if (l->n < RUNS) {
		l->verdict[l->n] = c->diag.verdict;
		snprintf(l->cause[l->n], sizeof l->cause[0], "%s", c->diag.cause);
	}
	l->n++;
}

/* RUNS runs of 08 from srv1, gap_sec apart, into a model with cfg (NULL:
 * defaults), budget max_total_buffer when budget != 0, a retired sink when
 * log != NULL. */
static hs_model *feed_runs(const hs_model_config *cfg, int64_t gap_sec, size_t budget, sink_log *log, hs_engine **ep)
{
	hs_config ec;
	hs_config_default(&ec);
	if (budget)
		ec.max_total_buffer = budget;
	hs_engine *e = hs_engine_new(&ec);
	hs_model *m = hs_model_new(cfg);
	CU_ASSERT_PTR_NOT_NULL_FATAL(e);
	hs_engine_add_msg_sink(e, hs_model_sink, m);
	if (budget)
		hs_model_set_budget(m, e);
	if (log)
		hs_model_set_retired_sink(m, on_retired, log);
	for (int i = 0; i < RUNS; i++) {
		pf_file f = pf_open(REL);
		f.shift_sec = gap_sec * i;
		CU_ASSERT(pf_feed(e, &f, SIZE_MAX) > 0);
		pf_close(&f);
	}
	hs_engine_finish(e);
	hs_model_finish(m);
	*ep = e;
	return m;
}

static void json_of(const hs_model *m, GString *out)
{
	hs_report rep = { NULL, 0, m, NULL, NULL, 0, 0, NULL, NULL, NULL };
	hs_report_json(&rep, out);
}

/* Settled chains in the store (spill_after 1) and streamed: the same
 * chains, bit for bit, as when they wait in memory; every run's chain
 * streamed once when its session settled, but the last (settled by the
 * finish, not retired). */
static void test_store_and_stream(void)
{
	hs_model_config mem, st;
	hs_model_config_default(&mem);
	st = mem;
	st.spill_after = 1;
	hs_engine *e1, *e2, *e3;
	sink_log log = { 0 };
	hs_model *a = feed_runs(&mem, 400, 0, NULL, &e1), *b = feed_runs(&st, 400, 0, NULL, &e2),
		 *c = feed_runs(&mem, 400, 0, &log, &e3);
	CU_ASSERT_EQUAL_FATAL(hs_model_chain_count(a), RUNS);
	CU_ASSERT_EQUAL(hs_model_stored(a), 0);
	CU_ASSERT_EQUAL_FATAL(hs_model_chain_count(b), RUNS);
	CU_ASSERT_EQUAL(hs_model_stored(b), RUNS);
	CU_ASSERT_EQUAL_FATAL(hs_model_chain_count(c), RUNS);
	for (size_t i = 0; i < RUNS; i++) {
		hs_chain x = *hs_model_chain(a, i);
		CU_ASSERT_EQUAL(x.id, i + 1);
		CU_ASSERT_EQUAL(x.diag.verdict, HS_VERDICT_FAILED);
		CU_ASSERT(memcmp(&x, hs_model_chain(b, i), sizeof x) == 0);
		CU_ASSERT(memcmp(&x, hs_model_chain(c, i), sizeof x) == 0);
		CU_ASSERT(!hs_model_chain_streamed(a, i));
		CU_ASSERT_EQUAL(hs_model_chain_streamed(c, i), i < RUNS - 1);
	}
	CU_ASSERT_EQUAL(log.n, RUNS - 1);
	for (unsigned i = 0; i < log.n && i < RUNS; i++) {
		CU_ASSERT_EQUAL(log.verdict[i], HS_VERDICT_FAILED);
		CU_ASSERT_STRING_EQUAL(log.cause[i], hs_model_chain(a, i)->diag.cause);
	}
	GString *ja = g_string_new(NULL), *jb = g_string_new(NULL);
	json_of(a, ja);
	json_of(b, jb);
	CU_ASSERT_STRING_EQUAL(ja->str, jb->str);
	g_string_free(ja, TRUE);
	g_string_free(jb, TRUE);
	hs_model_free(a);
	hs_model_free(b);
	hs_model_free(c);
	hs_engine_free(e1);
	hs_engine_free(e2);
	hs_engine_free(e3);
}

/* write pieces of the streamed report */
static void collect(void *ud, const char *s, size_t n)
{
	g_string_append_len(ud, s, (gssize)n);
}

/* The report handed over in pieces is the report. */
static void test_streamed_report(void)
{
	hs_model_config st;
	hs_model_config_default(&st);
	st.spill_after = 1;
	hs_engine *e;
	hs_model *m = feed_runs(&st, 400, 0, NULL, &e);
	GString *whole = g_string_new(NULL), *piece = g_string_new(NULL), *got = g_string_new(NULL);
	hs_report rep = { NULL, 0, m, NULL, NULL, 0, 0, NULL, collect, got };
	json_of(m, whole);
	hs_report_json(&rep, piece);
	CU_ASSERT_EQUAL(piece->len, 0);
	CU_ASSERT_STRING_EQUAL(got->str, whole->str);
	g_string_truncate(whole, 0);
	g_string_truncate(got, 0);
	hs_report plain = { NULL, 0, m, NULL, NULL, 0, 0, NULL, NULL, NULL };
	hs_report_text(&plain, whole, false);
	hs_report_text(&rep, piece, false);
	CU_ASSERT_STRING_EQUAL(got->str, whole->str);
	g_string_free(whole, TRUE);
	g_string_free(piece, TRUE);
	g_string_free(got, TRUE);
	hs_model_free(m);
	hs_engine_free(e);
}

/* Runs 10 s apart never settle by time (one session: the replays repeat
 * the same shell id between the same addresses); in a budget far too small
 * for the model's tables, the model counts its bytes with the engine's,
 * settles its oldest state early and says so; the runs still give chains
 * (the evidence of each run ends up in one). */
static void test_budget(void)
{
	hs_model_config mc;
	hs_model_config_default(&mc);
	hs_engine *e, *e0;
	hs_model *free_m = feed_runs(&mc, 10, 0, NULL, &e0);
	hs_model *m = feed_runs(&mc, 10, 64 * 1024, NULL, &e);
	CU_ASSERT_EQUAL(hs_model_cap_hits(free_m)->memory, 0);
	CU_ASSERT_EQUAL(hs_model_evicted(free_m), 0);
	CU_ASSERT(hs_model_cap_hits(m)->memory > 0);
	CU_ASSERT(hs_model_evicted(m) > 0);
	CU_ASSERT(hs_model_chain_count(m) >= hs_model_chain_count(free_m));
	CU_ASSERT(hs_engine_stats(e)->buffered_bytes >= hs_model_bytes(m));
	GString *js = g_string_new(NULL);
	json_of(m, js);
	CU_ASSERT_PTR_NOT_NULL(strstr(js->str, "\"kind\":\"memory_cap\""));
	CU_ASSERT_PTR_NOT_NULL(strstr(js->str, "\"model_evicted\":"));
	g_string_truncate(js, 0);
	json_of(free_m, js);
	CU_ASSERT_PTR_NULL(strstr(js->str, "memory_cap"));
	CU_ASSERT_PTR_NULL(strstr(js->str, "model_evicted"));
	g_string_free(js, TRUE);
	hs_model_free(m);
	hs_model_free(free_m);
	hs_engine_free(e);
	hs_engine_free(e0);
}

/* Many sessions settling at once (every scenario's srv1 view, judged by
 * one finish): with the store, max_chains bounds the chains in memory
 * between two spills, not the chains reported; without it, the cap refuses
 * the rest and says so. */
static size_t all_scenarios(size_t max_chains, size_t spill_after, uint64_t *cap_hits)
{
	static const char *const scen[] = { "01-kerberos-nothing-configured", "02-ntlm-first-hop", "03-credssp",
					    "05-unconstrained", "07-constrained-protocol-transition",
					    "08-constrained-target-not-allowed", "11-fresh-credentials", "15-two-users" };
	hs_model_config mc;
	hs_model_config_default(&mc);
	mc.max_chains = max_chains;
	mc.spill_after = spill_after;
	mc.settle_ns = 0;
	hs_engine *e = hs_engine_new(NULL);
	hs_model *m = hs_model_new(&mc);
	hs_engine_add_msg_sink(e, hs_model_sink, m);
	for (size_t i = 0; i < G_N_ELEMENTS(scen); i++) {
		char rel[256];
		snprintf(rel, sizeof rel, "lab/scenarios/%s/srv1.pcapng", scen[i]);
		pf_file f = pf_open(rel);
		pf_feed(e, &f, SIZE_MAX);
		pf_close(&f);
	}
	hs_engine_finish(e);
	hs_model_finish(m);
	size_t n = hs_model_chain_count(m);
	*cap_hits = hs_model_cap_hits(m)->chains;
	hs_model_free(m);
	hs_engine_free(e);
	return n;
}

static void test_cap_with_store(void)
{
	uint64_t hits;
	size_t all = all_scenarios(4096, 0, &hits);
	CU_ASSERT(all >= 4);
	CU_ASSERT_EQUAL(hits, 0);
	CU_ASSERT_EQUAL(all_scenarios(2, 2, &hits), all);
	CU_ASSERT_EQUAL(hits, 0);
	CU_ASSERT_EQUAL(all_scenarios(2, 0, &hits), 2);
	CU_ASSERT(hits >= all - 2); /* sessions refused: some would have had no chain */
}

HS_UNIT_MAIN("chain_store", { "records round-trip, damaged ones refused", test_rle },
	     { "rows sorted by start, ties in arrival order; rewrites", test_store_order },
	     { "stored and streamed chains = in-memory chains", test_store_and_stream },
	     { "the report handed over in pieces", test_streamed_report },
	     { "the model inside the memory budget", test_budget },
	     { "max_chains bounds the chains in memory, not those stored", test_cap_with_store })
