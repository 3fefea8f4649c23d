/* model_test.c - hs_model_copy(), the snapshot live capture takes while
 * packets keep coming: on real lab captures, a finished copy gives the
 * chains the original gives, and copying (at any point) leaves the
 * original's result unchanged.  Ground truth: the scenarios' expected.json
 * (lab configuration), not hopsniff's output.  Then session grouping and
 * attribution on synthetic Kerberos messages fed straight to the sink
 * (what each exchange means: RFC 4120, MS-SFU). */
#include <stdint.h>
#include <string.h>

#include "http.h"
#include "krb5.h"
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

/* ------------------------------------------------------------------ */
/* synthetic messages: client 10.0.0.20, srv1 10.0.0.11, DC 10.0.0.10 */

#define CLIENT 20
#define SRV1 11
#define DC 10

typedef struct syn {
	hs_model *m;
	uint64_t frame;
	uint32_t nonce;
} syn;

static hs_addr ip(uint8_t last)
{
	hs_addr a = { 4, { 10, 0, 0, last } };
	return a;
}

static hs_slice sl(const char *s)
{
	hs_slice x = { (const uint8_t *)s, strlen(s) };
	return x;
}

/* "a/b" -> a two-component name */
static hs_krb_name kname(const char *a, const char *b)
{
	hs_krb_name n;
	memset(&n, 0, sizeof n);
	n.present = true;
	n.comp[n.n++] = sl(a);
	if (b)
		n.comp[n.n++] = sl(b);
	return n;
}

/* a ticket recognised by its cipher text (the model's fingerprint) */
static hs_krb_ticket tkt(const char *cipher)
{
	hs_krb_ticket t;
	memset(&t, 0, sizeof t);
	t.present = true;
	t.enc.present = true;
	t.enc.cipher = sl(cipher);
	return t;
}

/* One message of any protocol at ms milliseconds on flow `flow` (dir 0:
 * from cli to srv).  Returns its frame number. */
static uint64_t feed_body(syn *y, int64_t ms, uint64_t flow, uint8_t cli, uint16_t cport, uint8_t srv, uint16_t sport,
			  int dir, hs_proto proto, const char *carrier, const void *body)
{
	hs_meta mt;
	memset(&mt, 0, sizeof mt);
	mt.frame = ++y->frame;
	mt.ts_sec = 1700000000 + ms / 1000;
	mt.ts_nsec = (uint32_t)(ms % 1000) * 1000000u;
	mt.src = ip(dir ? srv : cli);
	mt.dst = ip(dir ? cli : srv);
	mt.sport = dir ? sport : cport;
	mt.dport = dir ? cport : sport;
	mt.ipproto = 6;
	mt.flow_id = flow;
	mt.dir = (uint8_t)dir;
	hs_msg msg = { &mt, proto, body, carrier };
	hs_model_sink(y->m, &msg);
	return mt.frame;
}

/* A Kerberos message (see feed_body). */
static uint64_t feed(syn *y, int64_t ms, uint64_t flow, uint8_t cli, uint16_t cport, uint8_t srv, uint16_t sport, int dir,
		     const char *carrier, hs_krb_msg *k)
{
	k->kind = HS_KRB_KIND_PDU;
	k->has_nonce = true;
	k->nonce = ++y->nonce; /* distinct PDUs are not duplicates */
	return feed_body(y, ms, flow, cli, cport, srv, sport, dir, HS_PROTO_KERBEROS, carrier, k);
}

/* A KDC exchange from `who`: the request (filled by the caller), then a
 * TGS-REP issuing `issued` to cname, or a KRB-ERROR with err.  Returns the
 * request's frame. */
static uint64_t kdc(syn *y, int64_t ms, uint8_t who, hs_krb_msg *req, const char *cname, const char *issued, int err)
{
	uint64_t flow = 1000 + y->frame;
	uint16_t port = (uint16_t)(40000 + y->frame);
	req->msg_type = HS_KRB_TGS_REQ;
	req->realm = sl("HOP.TEST");
	uint64_t f = feed(y, ms, flow, who, port, DC, 88, 0, NULL, req);
	hs_krb_msg rep;
	memset(&rep, 0, sizeof rep);
	if (err) {
		rep.msg_type = HS_KRB_ERROR;
		rep.has_error_code = true;
		rep.error_code = err;
		rep.sname = req->sname;
	} else {
		rep.msg_type = HS_KRB_TGS_REP;
		rep.cname = kname(cname, NULL);
		rep.crealm = sl("HOP.TEST");
		rep.ticket = tkt(issued);
		rep.ticket.sname = req->sname;
	}
	feed(y, ms + 2, flow, who, port, DC, 88, 1, NULL, &rep);
	return f;
}

static hs_krb_msg tgs(const char *svc, const char *host, const char *tgt)
{
	hs_krb_msg k;
	memset(&k, 0, sizeof k);
	k.kdc_options = 0x40810000u; /* forwardable, renewable, canonicalize */
	k.sname = kname(svc, host);
	k.tgs_ap_req.present = true;
	k.tgs_ap_req.ticket = tkt(tgt);
	return k;
}

/* hop 1 or an SMB session: an AP-REQ with `ticket` on a connection to
 * srv:port (flow), then the server's AP-REP at end_ms (the connection's
 * last activity) */
static void ap(syn *y, int64_t ms, int64_t end_ms, uint64_t flow, uint8_t cli, uint8_t srv, uint16_t port,
	       const char *carrier, const char *svc, const char *host, const char *ticket)
{
	hs_krb_msg k;
	memset(&k, 0, sizeof k);
	k.msg_type = HS_KRB_AP_REQ;
	k.ap_req.present = true;
	k.ap_req.ticket = tkt(ticket);
	k.ap_req.ticket.sname = kname(svc, host);
	feed(y, ms, flow, cli, (uint16_t)(50000 + flow), srv, port, 0, carrier, &k);
	memset(&k, 0, sizeof k);
	k.msg_type = HS_KRB_AP_REP;
	feed(y, end_ms, flow, cli, (uint16_t)(50000 + flow), srv, port, 1, carrier, &k);
}

static bool cites(const hs_chain *c, uint64_t frame)
{
	for (unsigned i = 0; i < c->diag.nevidence; i++)
		if (c->diag.evidence[i].frame == frame)
			return true;
	for (unsigned h = 0; h < c->nhops; h++)
		for (unsigned i = 0; i < c->hops[h].nframes; i++)
			if (c->hops[h].frames[i].frame == frame)
				return true;
	return false;
}

/* Windows opens three connections per WinRM session within a second,
 * interleaved in time, each with the same service ticket: one session,
 * one chain.  A connection that opens after they all ended is another
 * session (the lab's scenario 11: two sessions one after the other). */
static void test_sessions_not_connections(void)
{
	syn y = { hs_model_new(NULL), 0, 0 };
	hs_krb_msg k = tgs("HTTP", "srv1.hop.test", "TGT-alice");
	kdc(&y, 0, CLIENT, &k, "alice", "HTTP-srv1-alice", 0);
	ap(&y, 10, 5000, 1, CLIENT, SRV1, 5985, "http", "HTTP", "srv1.hop.test", "HTTP-srv1-alice");
	ap(&y, 400, 4000, 2, CLIENT, SRV1, 5985, "http", "HTTP", "srv1.hop.test", "HTTP-srv1-alice");
	ap(&y, 900, 4800, 3, CLIENT, SRV1, 5985, "http", "HTTP", "srv1.hop.test", "HTTP-srv1-alice");
	ap(&y, 20000, 21000, 4, CLIENT, SRV1, 5985, "http", "HTTP", "srv1.hop.test", "HTTP-srv1-alice");
	hs_model_finish(y.m, false);
	CU_ASSERT_EQUAL(hs_model_chain_count(y.m), 2);
	const hs_chain *c = hs_model_chain(y.m, 0);
	CU_ASSERT_PTR_NOT_NULL_FATAL(c);
	CU_ASSERT_STRING_EQUAL(c->user, "alice@HOP.TEST");
	CU_ASSERT(c->hops[0].nframes >= 3); /* the AP-REQs of the three connections */
	hs_model_free(y.m);
}

/* Windows starts each new connection of a session with a 401 round trip
 * (no credentials yet, the server lists Negotiate); when that connection
 * ends there and the client authenticates on its next connection to the
 * same server within 2 s, it is the same session: one chain.  A second
 * authenticated session 30 s later is another one. */
static void test_401_round_trip_folds(void)
{
	syn y = { hs_model_new(NULL), 0, 0 };
	hs_krb_msg k = tgs("HTTP", "srv1.hop.test", "TGT-alice");
	kdc(&y, 0, CLIENT, &k, "alice", "HTTP-srv1-alice", 0);
	hs_http_msg req, rep;
	memset(&req, 0, sizeof req);
	req.method = sl("POST");
	req.host = sl("srv1.hop.test:5985");
	memset(&rep, 0, sizeof rep);
	rep.response = true;
	rep.status = 401;
	rep.nauth = 1;
	rep.auth[0].header = HS_HTTP_WWW_AUTHENTICATE;
	rep.auth[0].scheme = HS_HTTP_SCHEME_NEGOTIATE;
	rep.auth[0].scheme_name = sl("Negotiate");
	feed_body(&y, 10, 7, CLIENT, 50007, SRV1, 5985, 0, HS_PROTO_HTTP, NULL, &req);
	feed_body(&y, 12, 7, CLIENT, 50007, SRV1, 5985, 1, HS_PROTO_HTTP, NULL, &rep);
	ap(&y, 600, 3000, 8, CLIENT, SRV1, 5985, "http", "HTTP", "srv1.hop.test", "HTTP-srv1-alice");
	ap(&y, 30000, 31000, 9, CLIENT, SRV1, 5985, "http", "HTTP", "srv1.hop.test", "HTTP-srv1-alice");
	hs_model_finish(y.m, false);
	CU_ASSERT_EQUAL(hs_model_chain_count(y.m), 2);
	for (size_t i = 0; i < hs_model_chain_count(y.m); i++)
		CU_ASSERT_STRING_EQUAL(hs_model_chain(y.m, i)->user, "alice@HOP.TEST");
	hs_model_free(y.m);
}

/* A forwarded TGT belongs to the AP-REQ that carries it: the client asks
 * for it right after the service ticket of an ok-as-delegate server (here
 * cifs/dc, an SMB session to the DC) and before that AP-REQ; a WinRM hop 1
 * to srv1 a second later did not carry it.  Asked right after the HTTP/srv1
 * ticket, it is hop 1's. */
static void forwarded_case(bool for_winrm)
{
	syn y = { hs_model_new(NULL), 0, 0 };
	hs_krb_msg k = tgs("cifs", "dc.hop.test", "TGT-alice");
	kdc(&y, 0, CLIENT, &k, "alice", "cifs-dc-alice", 0);
	hs_krb_msg h = tgs("HTTP", "srv1.hop.test", "TGT-alice");
	if (for_winrm)
		kdc(&y, 1000, CLIENT, &h, "alice", "HTTP-srv1-alice", 0);
	hs_krb_msg f = tgs("krbtgt", "HOP.TEST", "TGT-alice");
	f.kdc_options = 0x60810010u; /* forwardable, forwarded, renewable, canonicalize, renewable-ok */
	uint64_t fwd = kdc(&y, for_winrm ? 1010 : 10, CLIENT, &f, "alice", "TGT-alice-forwarded", 0);
	if (!for_winrm) {
		ap(&y, 20, 500, 1, CLIENT, DC, 445, "smb2", "cifs", "dc.hop.test", "cifs-dc-alice");
		kdc(&y, 1000, CLIENT, &h, "alice", "HTTP-srv1-alice", 0);
	}
	ap(&y, 1020, 3000, 2, CLIENT, SRV1, 5985, "http", "HTTP", "srv1.hop.test", "HTTP-srv1-alice");
	hs_model_finish(y.m, false);
	CU_ASSERT_EQUAL_FATAL(hs_model_chain_count(y.m), 1);
	const hs_chain *c = hs_model_chain(y.m, 0);
	CU_ASSERT_EQUAL(c->facts.forwarded_tgt, for_winrm);
	CU_ASSERT_EQUAL(cites(c, fwd), for_winrm);
	hs_model_free(y.m);
}

static void test_forwarded_tgt_belongs_to_its_ap_req(void)
{
	forwarded_case(false);
	forwarded_case(true);
}

/* srv1 sends S4U2Self for the user who just logged on to read the user's
 * groups (PAC) and gets KDC_ERR_C_PRINCIPAL_UNKNOWN (6); no S4U2Proxy
 * follows: routine, never a delegation failure - no chain from the KDC
 * exchange alone, and hop 1's chain is not "failed". */
static void test_routine_s4u2self(void)
{
	for (int with_hop1 = 0; with_hop1 < 2; with_hop1++) {
		syn y = { hs_model_new(NULL), 0, 0 };
		if (with_hop1) {
			hs_krb_msg k = tgs("HTTP", "srv1.hop.test", "TGT-alice");
			kdc(&y, 0, CLIENT, &k, "alice", "HTTP-srv1-alice", 0);
			ap(&y, 10, 3000, 1, CLIENT, SRV1, 5985, "http", "HTTP", "srv1.hop.test", "HTTP-srv1-alice");
		}
		hs_krb_msg s = tgs("SRV1$", NULL, "TGT-srv1");
		s.for_user.present = true;
		s.for_user.user = kname("alice", NULL);
		s.for_user.realm = sl("HOP.TEST");
		kdc(&y, 100, SRV1, &s, NULL, NULL, 6);
		hs_model_finish(y.m, false);
		CU_ASSERT_EQUAL(hs_model_chain_count(y.m), (size_t)with_hop1);
		for (size_t i = 0; i < hs_model_chain_count(y.m); i++)
			CU_ASSERT_NOT_EQUAL(hs_model_chain(y.m, i)->diag.verdict, HS_VERDICT_FAILED);
		hs_model_free(y.m);
	}
}

/* server1's capture filtered to port 88: its S4U2Self for alice, then the
 * S4U2Proxy with that ticket for cifs/srv2 refused (KDC_ERR_BADOPTION).
 * Hop 1 is not in the input; the chain is built from the S4U exchanges,
 * its hop 1 marked unseen, and it is "failed". */
static void test_partial_chain(void)
{
	syn y = { hs_model_new(NULL), 0, 0 };
	hs_krb_msg s = tgs("SRV1$", NULL, "TGT-srv1");
	s.for_user.present = true;
	s.for_user.user = kname("alice", NULL);
	s.for_user.realm = sl("HOP.TEST");
	kdc(&y, 0, SRV1, &s, "alice", "S4U-alice-srv1", 0);
	hs_krb_msg p = tgs("cifs", "srv2.hop.test", "TGT-srv1");
	p.kdc_options |= 0x80000000u >> 14; /* cname-in-addl-tkt */
	p.n_addl = 1;
	p.addl[0] = tkt("S4U-alice-srv1");
	uint64_t proxy = kdc(&y, 20, SRV1, &p, NULL, NULL, 13);
	hs_model_finish(y.m, false);
	CU_ASSERT_EQUAL_FATAL(hs_model_chain_count(y.m), 1);
	const hs_chain *c = hs_model_chain(y.m, 0);
	CU_ASSERT(c->hops[0].unseen);
	CU_ASSERT(!c->hops[0].client.has_ip);
	CU_ASSERT_STRING_EQUAL(c->hops[0].server.ip, "10.0.0.11");
	CU_ASSERT_STRING_EQUAL(c->user, "alice@HOP.TEST");
	CU_ASSERT_EQUAL(c->diag.verdict, HS_VERDICT_FAILED);
	CU_ASSERT_EQUAL(c->diag.method, HS_METHOD_CONSTRAINED);
	CU_ASSERT(cites(c, proxy + 1)); /* the KRB-ERROR */
	hs_model_free(y.m);
}

HS_UNIT_MAIN("model", { "a finished copy gives the original's chains (08, srv1)", test_copy_equals_original },
	     { "snapshots while feeding leave the original unchanged (15, client1)", test_snapshots_leave_original },
	     { "a cap that refuses something is reported (08, srv1)", test_cap_reported },
	     { "settled sessions retire; no chain lost; the summary (08, srv1, 21 runs)", test_settled_sessions_retire },
	     { "tickets of settled sessions expire after 10 hours (08, srv1)", test_tickets_expire },
	     { "one chain per WinRM session, not per connection (synthetic)", test_sessions_not_connections },
	     { "a connection with only a 401 folds into the session the client opens next (synthetic)", test_401_round_trip_folds },
	     { "a forwarded TGT belongs to the AP-REQ that carries it (synthetic)", test_forwarded_tgt_belongs_to_its_ap_req },
	     { "an S4U2Self no S4U2Proxy uses is routine (synthetic)", test_routine_s4u2self },
	     { "a refused S4U2Proxy without hop 1 makes a failed chain (synthetic)", test_partial_chain })
