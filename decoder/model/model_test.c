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
#include "model_obs.h"
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
	hs_model_finish(c);
	hs_model_finish(r.m);
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
	hs_model_finish(ref.m);
	CU_ASSERT_EQUAL_FATAL(hs_model_chain_count(ref.m), 2); /* alice and bob (expected.json) */

	run r = run_open(cap);
	size_t fed = 0, snaps = 0, grew = 0, last = 0;
	while (fed < total) {
		fed += pf_feed(r.e, &r.f, 7);
		hs_model *c = hs_model_copy(r.m);
		CU_ASSERT_PTR_NOT_NULL_FATAL(c);
		hs_model_finish(c);
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
	hs_model_finish(r.m);
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
	hs_model_finish(r.m);
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
	hs_model_finish(one.m);
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
	hs_model_finish(a.m);
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
	hs_model_finish(a.m);
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
			  int dir, hs_proto proto, hs_proto carrier, const void *body)
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
		     hs_proto carrier, hs_krb_msg *k)
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
	uint64_t f = feed(y, ms, flow, who, port, DC, 88, 0, HS_PROTO_NONE, req);
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
	feed(y, ms + 2, flow, who, port, DC, 88, 1, HS_PROTO_NONE, &rep);
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
	       hs_proto carrier, const char *svc, const char *host, const char *ticket)
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
	ap(&y, 10, 5000, 1, CLIENT, SRV1, 5985, HS_PROTO_HTTP, "HTTP", "srv1.hop.test", "HTTP-srv1-alice");
	ap(&y, 400, 4000, 2, CLIENT, SRV1, 5985, HS_PROTO_HTTP, "HTTP", "srv1.hop.test", "HTTP-srv1-alice");
	ap(&y, 900, 4800, 3, CLIENT, SRV1, 5985, HS_PROTO_HTTP, "HTTP", "srv1.hop.test", "HTTP-srv1-alice");
	ap(&y, 20000, 21000, 4, CLIENT, SRV1, 5985, HS_PROTO_HTTP, "HTTP", "srv1.hop.test", "HTTP-srv1-alice");
	hs_model_finish(y.m);
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
	feed_body(&y, 10, 7, CLIENT, 50007, SRV1, 5985, 0, HS_PROTO_HTTP, HS_PROTO_NONE, &req);
	feed_body(&y, 12, 7, CLIENT, 50007, SRV1, 5985, 1, HS_PROTO_HTTP, HS_PROTO_NONE, &rep);
	ap(&y, 600, 3000, 8, CLIENT, SRV1, 5985, HS_PROTO_HTTP, "HTTP", "srv1.hop.test", "HTTP-srv1-alice");
	ap(&y, 30000, 31000, 9, CLIENT, SRV1, 5985, HS_PROTO_HTTP, "HTTP", "srv1.hop.test", "HTTP-srv1-alice");
	hs_model_finish(y.m);
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
		ap(&y, 20, 500, 1, CLIENT, DC, 445, HS_PROTO_SMB2, "cifs", "dc.hop.test", "cifs-dc-alice");
		kdc(&y, 1000, CLIENT, &h, "alice", "HTTP-srv1-alice", 0);
	}
	ap(&y, 1020, 3000, 2, CLIENT, SRV1, 5985, HS_PROTO_HTTP, "HTTP", "srv1.hop.test", "HTTP-srv1-alice");
	hs_model_finish(y.m);
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
			ap(&y, 10, 3000, 1, CLIENT, SRV1, 5985, HS_PROTO_HTTP, "HTTP", "srv1.hop.test", "HTTP-srv1-alice");
		}
		hs_krb_msg s = tgs("SRV1$", NULL, "TGT-srv1");
		s.for_user.present = true;
		s.for_user.user = kname("alice", NULL);
		s.for_user.realm = sl("HOP.TEST");
		kdc(&y, 100, SRV1, &s, NULL, NULL, 6);
		hs_model_finish(y.m);
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
	hs_model_finish(y.m);
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

/* ------------------------------------------------------------------ */
/* synthetic observations (model_obs.h): the model fed what messages mean,
 * not protocol structs, as rules_test.c feeds facts to the rules.  What
 * each exchange means: RFC 4120 (tickets, forwarded TGT), MS-SFU (S4U2Self,
 * S4U2Proxy), MS-WSMV (Command windows); the expected chains follow from
 * the scenario each test builds, never from hopsniff's output. */

typedef struct obs_run {
	hs_model *m;
	uint64_t frame, dedup;
} obs_run;

static hs_addr a4(uint8_t a, uint8_t b, uint8_t c, uint8_t d)
{
	hs_addr x = { 4, { a, b, c, d } };
	return x;
}

/* the n-th client of a jump server: 10.1.x.y */
static hs_addr client_n(unsigned n)
{
	return a4(10, 1, (uint8_t)(n / 250), (uint8_t)(1 + n % 250));
}

#define O_SRV1 a4(10, 0, 0, 11)
#define O_SRV2 a4(10, 0, 0, 12)
#define O_DC a4(10, 0, 0, 10)

/* One message's observations at ms milliseconds on flow (dir 0: from cli
 * to srv); records are added with hs_obs_add, then obs_feed. */
static hs_obs_msg obs_at(obs_run *y, int64_t ms, uint64_t flow, hs_addr cli, uint16_t cport, hs_addr srv,
			 uint16_t sport, int dir, hs_carrier carrier)
{
	hs_obs_msg o;
	memset(&o, 0, sizeof o);
	o.meta.frame = ++y->frame;
	o.meta.ts_sec = 1700000000 + ms / 1000;
	o.meta.ts_nsec = (uint32_t)(ms % 1000) * 1000000u;
	o.meta.src = dir ? srv : cli;
	o.meta.dst = dir ? cli : srv;
	o.meta.sport = dir ? sport : cport;
	o.meta.dport = dir ? cport : sport;
	o.meta.ipproto = 6;
	o.meta.flow_id = flow;
	o.meta.dir = (uint8_t)dir;
	o.on_conn = sport != 88;
	o.carrier = carrier;
	return o;
}

static uint64_t obs_feed(obs_run *y, hs_obs_msg *o)
{
	hs_model_observe(y->m, o);
	return o->meta.frame;
}

/* A KDC exchange from cli: a TGS-REQ (fill with req), then a TGS-REP to
 * cname issuing ticket `issued`, or a KRB-ERROR err.  Returns the reply's
 * frame. */
static uint64_t obs_kdc(obs_run *y, int64_t ms, uint64_t flow, hs_addr cli, hs_obs_kdc req, const char *cname,
			uint64_t issued, int err)
{
	uint16_t port = (uint16_t)(20000 + flow % 40000);
	hs_obs_msg o = obs_at(y, ms, flow, cli, port, O_DC, 88, 0, HS_CAR_KERBEROS);
	hs_obs *r = hs_obs_add(&o, HS_OBS_KDC);
	r->u.kdc = req;
	r->u.kdc.op = HS_OBS_KDC_REQ;
	r->u.kdc.msg = 12; /* TGS-REQ */
	snprintf(r->u.kdc.realm, sizeof r->u.kdc.realm, "HOP.TEST");
	r->u.kdc.dedup_fp = ++y->dedup;
	obs_feed(y, &o);
	o = obs_at(y, ms + 2, flow, cli, port, O_DC, 88, 1, HS_CAR_KERBEROS);
	r = hs_obs_add(&o, HS_OBS_KDC);
	r->u.kdc.op = HS_OBS_KDC_REP;
	r->u.kdc.msg = 12;
	r->u.kdc.dedup_fp = ++y->dedup;
	snprintf(r->u.kdc.sname, sizeof r->u.kdc.sname, "%s", req.sname);
	if (err) {
		r->u.kdc.error = true;
		r->u.kdc.err = err;
	} else {
		snprintf(r->u.kdc.rep_cname, sizeof r->u.kdc.rep_cname, "%s", cname);
		r->u.kdc.rep_fp = issued;
	}
	return obs_feed(y, &o);
}

/* a TGS-REQ for sname with the TGT tgt */
static hs_obs_kdc obs_tgs(const char *sname, uint64_t tgt)
{
	hs_obs_kdc k;
	memset(&k, 0, sizeof k);
	k.opts = 0x40810000u; /* forwardable, renewable, canonicalize */
	snprintf(k.sname, sizeof k.sname, "%s", sname);
	k.tgt_fp = tgt;
	return k;
}

/* A Kerberos AP-REQ with ticket on a connection (flow) and the server's
 * answer at ans_ms: accepted (AP-REP) or, for SMB, a refused session. */
static uint64_t obs_ap(obs_run *y, int64_t ms, int64_t ans_ms, uint64_t flow, hs_addr cli, hs_addr srv, uint16_t port,
		       hs_carrier carrier, const char *sname, uint64_t ticket, bool tgt_inside, bool ok)
{
	uint16_t cport = (uint16_t)(1024 + flow % 60000);
	hs_obs_msg o = obs_at(y, ms, flow, cli, cport, srv, port, 0, carrier);
	hs_obs *r = hs_obs_add(&o, HS_OBS_AUTH);
	r->u.auth.auth = HS_AUTH_KERBEROS;
	r->u.auth.leg = HS_OBS_LEG_NEW;
	r->u.auth.final = r->u.auth.frame = true;
	r->u.auth.ticket_fp = ticket;
	snprintf(r->u.auth.sname, sizeof r->u.auth.sname, "%s", sname);
	r->u.auth.tgt_by_size = tgt_inside;
	obs_feed(y, &o);
	o = obs_at(y, ans_ms, flow, cli, cport, srv, port, 1, carrier);
	r = hs_obs_add(&o, HS_OBS_OUTCOME);
	r->u.outcome.result = ok ? HS_RES_OK : HS_RES_FAILED;
	r->u.outcome.status = ok ? 0 : 0xC0000022u; /* STATUS_ACCESS_DENIED */
	r->u.outcome.open = true;
	r->u.outcome.frame = HS_OBS_FRAME_ALWAYS;
	return obs_feed(y, &o);
}

/* WinRM on hop 1's connection: a Command request (start) or its answer */
static void obs_cmd(obs_run *y, int64_t ms, uint64_t flow, hs_addr cli, bool start)
{
	uint16_t cport = (uint16_t)(1024 + flow % 60000);
	hs_obs_msg o = obs_at(y, ms, flow, cli, cport, O_SRV1, 5985, start ? 0 : 1, HS_CAR_WINRM_HTTP);
	hs_obs *r = hs_obs_add(&o, HS_OBS_CONN);
	r->u.conn.flags = HS_OBS_WINRM | (start ? HS_OBS_CMD_START : HS_OBS_CMD_END);
	snprintf(r->u.conn.shell_id, sizeof r->u.conn.shell_id, "SHELL-%llu", (unsigned long long)flow);
	obs_feed(y, &o);
}

/* hop 1 of user u from cli: the client's service ticket for srv1 (the KDC
 * names u), its AP-REQ to srv1's WinRM (with a forwarded TGT inside when
 * fwd: the client asked the KDC for one just before, RFC 4120 2.6) and a
 * Command window [cmd_ms, end_ms] */
static void obs_hop1(obs_run *y, int64_t ms, int64_t cmd_ms, int64_t end_ms, uint64_t flow, hs_addr cli, const char *u,
		     uint64_t id, bool fwd)
{
	obs_kdc(y, ms, flow + 1, cli, obs_tgs("HTTP/srv1.hop.test", 0x7100000000ull + id), u, 0x7200000000ull + id, 0);
	if (fwd) {
		hs_obs_kdc f = obs_tgs("krbtgt/HOP.TEST", 0x7100000000ull + id);
		f.opts |= 0x80000000u >> 2; /* forwarded */
		f.forwarded_req = true;
		obs_kdc(y, ms + 5, flow + 2, cli, f, u, 0x7300000000ull + id, 0);
	}
	obs_ap(y, ms + 10, ms + 20, flow, cli, O_SRV1, 5985, HS_CAR_WINRM_HTTP, "HTTP/srv1.hop.test", 0x7200000000ull + id,
	       fwd, true);
	obs_cmd(y, cmd_ms, flow, cli, true);
	obs_cmd(y, end_ms, flow, cli, false);
}

/* srv1's constrained delegation for user u (MS-SFU): S4U2Self, then
 * S4U2Proxy for cifs/srv2 with that ticket, then SMB to srv2 with the
 * ticket it got, or the KDC's refusal (KDC_ERR_BADOPTION, 13) and no SMB.
 * Returns the frame of the S4U2Proxy reply. */
static uint64_t obs_s4u(obs_run *y, int64_t ms, uint64_t flow, const char *u, uint64_t id, bool granted)
{
	hs_obs_kdc s = obs_tgs("SRV1$", 0x7400000000ull);
	s.s4u = true;
	snprintf(s.s4u_user, sizeof s.s4u_user, "%s", u);
	obs_kdc(y, ms, flow, O_SRV1, s, u, 0x7500000000ull + id, 0);
	hs_obs_kdc p = obs_tgs("cifs/srv2.hop.test", 0x7400000000ull);
	p.opts |= 0x80000000u >> 14; /* cname-in-addl-tkt */
	p.proxy = true;
	p.addl_fp = 0x7500000000ull + id;
	uint64_t f = obs_kdc(y, ms + 10, flow + 1, O_SRV1, p, u, 0x7600000000ull + id, granted ? 0 : 13);
	if (granted)
		obs_ap(y, ms + 20, ms + 30, flow + 2, O_SRV1, O_SRV2, 445, HS_CAR_SMB2, "cifs/srv2.hop.test",
		       0x7600000000ull + id, false, true);
	return f;
}

/* srv1's anonymous SMB session to srv2 (NTLM AUTHENTICATE with no user) on
 * flow at ms, refused with STATUS_ACCESS_DENIED 10 ms later.  Returns the
 * AUTHENTICATE's frame (the refused attempt the chain cites). */
static uint64_t obs_anon_refused(obs_run *y, int64_t ms, uint64_t flow)
{
	hs_obs_msg o = obs_at(y, ms, flow, O_SRV1, 50022, O_SRV2, 445, 0, HS_CAR_SMB2);
	hs_obs *r = hs_obs_add(&o, HS_OBS_AUTH);
	r->u.auth.auth = HS_AUTH_ANONYMOUS;
	r->u.auth.leg = HS_OBS_LEG_FINISH;
	r->u.auth.final = r->u.auth.frame = true;
	uint64_t f = obs_feed(y, &o);
	o = obs_at(y, ms + 10, flow, O_SRV1, 50022, O_SRV2, 445, 1, HS_CAR_SMB2);
	r = hs_obs_add(&o, HS_OBS_OUTCOME);
	r->u.outcome.result = HS_RES_FAILED;
	r->u.outcome.status = 0xC0000022u; /* STATUS_ACCESS_DENIED */
	r->u.outcome.open = true;
	r->u.outcome.frame = HS_OBS_FRAME_ALWAYS;
	obs_feed(y, &o);
	return f;
}

/* Unconstrained delegation (RFC 4120 2.6, 2.8): alice's client sends srv1
 * a forwarded TGT inside hop 1's AP-REQ; srv1 presents it to the KDC for
 * cifs/srv2 and opens SMB on srv2 with the ticket it got, accepted: one
 * chain, alice on both hops, delegated by unconstrained delegation.  The
 * same without the forwarded TGT (nothing configured): srv1 has no
 * credential of alice and its anonymous SMB session is refused: failed. */
static void test_obs_double_hop_delegated(void)
{
	obs_run y = { hs_model_new(NULL), 0, 0 };
	obs_hop1(&y, 0, 100, 5000, 10, client_n(0), "alice@HOP.TEST", 1, true);
	obs_kdc(&y, 200, 20, O_SRV1, obs_tgs("cifs/srv2.hop.test", 0x7300000001ull), "alice@HOP.TEST", 0x7700000001ull, 0);
	obs_ap(&y, 210, 220, 22, O_SRV1, O_SRV2, 445, HS_CAR_SMB2, "cifs/srv2.hop.test", 0x7700000001ull, false, true);
	hs_model_finish(y.m);
	CU_ASSERT_EQUAL_FATAL(hs_model_chain_count(y.m), 1);
	const hs_chain *c = hs_model_chain(y.m, 0);
	CU_ASSERT_STRING_EQUAL(c->user, "alice@HOP.TEST");
	CU_ASSERT_EQUAL_FATAL(c->nhops, 2);
	CU_ASSERT_EQUAL(c->hops[0].carrier, HS_CAR_WINRM_HTTP);
	CU_ASSERT_EQUAL(c->hops[0].auth, HS_AUTH_KERBEROS);
	CU_ASSERT_EQUAL(c->hops[0].result, HS_RES_OK);
	CU_ASSERT_STRING_EQUAL(c->hops[0].principal, "alice@HOP.TEST");
	CU_ASSERT_EQUAL(c->hops[1].carrier, HS_CAR_SMB2);
	CU_ASSERT_EQUAL(c->hops[1].auth, HS_AUTH_KERBEROS);
	CU_ASSERT_EQUAL(c->hops[1].result, HS_RES_OK);
	CU_ASSERT_STRING_EQUAL(c->hops[1].principal, "alice@HOP.TEST");
	CU_ASSERT_EQUAL(c->diag.method, HS_METHOD_UNCONSTRAINED);
	CU_ASSERT_EQUAL(c->diag.verdict, HS_VERDICT_DELEGATED);
	hs_model_free(y.m);

	obs_run n = { hs_model_new(NULL), 0, 0 };
	obs_hop1(&n, 0, 100, 5000, 10, client_n(0), "alice@HOP.TEST", 1, false);
	obs_anon_refused(&n, 210, 22);
	hs_model_finish(n.m);
	CU_ASSERT_EQUAL_FATAL(hs_model_chain_count(n.m), 1);
	c = hs_model_chain(n.m, 0);
	CU_ASSERT_STRING_EQUAL(c->user, "alice@HOP.TEST");
	CU_ASSERT_EQUAL_FATAL(c->nhops, 2);
	CU_ASSERT_EQUAL(c->hops[1].auth, HS_AUTH_ANONYMOUS);
	CU_ASSERT_EQUAL(c->hops[1].result, HS_RES_FAILED);
	CU_ASSERT_EQUAL(c->diag.verdict, HS_VERDICT_FAILED);
	CU_ASSERT_EQUAL(c->diag.method, HS_METHOD_NONE);
	hs_model_free(n.m);
}

/* Constrained delegation refused (MS-SFU 3.2.5.2.2): srv1's S4U2Self for
 * alice succeeds, its S4U2Proxy for cifs/srv2 gets KDC_ERR_BADOPTION: one
 * chain, hop 2 the failed KDC exchange for cifs/srv2 as alice, failed,
 * constrained delegation, the refusal cited.  Granted, the same exchanges
 * and an accepted SMB session are delegated. */
static void test_obs_double_hop_refused(void)
{
	for (int granted = 0; granted < 2; granted++) {
		obs_run y = { hs_model_new(NULL), 0, 0 };
		obs_hop1(&y, 0, 100, 5000, 10, client_n(0), "alice@HOP.TEST", 1, false);
		uint64_t refusal = obs_s4u(&y, 200, 20, "alice@HOP.TEST", 1, granted);
		hs_model_finish(y.m);
		CU_ASSERT_EQUAL_FATAL(hs_model_chain_count(y.m), 1);
		const hs_chain *c = hs_model_chain(y.m, 0);
		CU_ASSERT_STRING_EQUAL(c->user, "alice@HOP.TEST");
		CU_ASSERT_EQUAL_FATAL(c->nhops, 2);
		CU_ASSERT_STRING_EQUAL(c->hops[1].principal, "alice@HOP.TEST");
		CU_ASSERT_EQUAL(c->diag.method, HS_METHOD_CONSTRAINED);
		if (granted) {
			CU_ASSERT_EQUAL(c->hops[1].carrier, HS_CAR_SMB2);
			CU_ASSERT_EQUAL(c->hops[1].result, HS_RES_OK);
			CU_ASSERT_EQUAL(c->diag.verdict, HS_VERDICT_DELEGATED);
		} else {
			CU_ASSERT_EQUAL(c->hops[1].carrier, HS_CAR_KERBEROS);
			CU_ASSERT_STRING_EQUAL(c->hops[1].target, "cifs/srv2.hop.test");
			CU_ASSERT_EQUAL(c->hops[1].result, HS_RES_FAILED);
			CU_ASSERT_EQUAL(c->diag.verdict, HS_VERDICT_FAILED);
			CU_ASSERT(cites(c, refusal));
		}
		hs_model_free(y.m);
	}
}

/* Two users at once from one client (lab 15 from srv1 alone): two WinRM
 * connections with two different service tickets are two sessions; srv1's
 * anonymous SMB to srv2, refused, while both are open and neither names
 * its user nor runs a readable Command, belongs to one of them - which is
 * not known: both chains "unknown" with a need for the keytab, the refusal
 * kept (the exit status).  With a Command window on one session only, the
 * refusal is that session's (failed) and the other's chain is not
 * attempted. */
static void test_obs_concurrent_untied(void)
{
	for (int cmd = 0; cmd < 2; cmd++) {
		obs_run y = { hs_model_new(NULL), 0, 0 };
		obs_ap(&y, 0, 10, 10, client_n(0), O_SRV1, 5985, HS_CAR_WINRM_HTTP, "HTTP/srv1.hop.test", 0x7200000001ull,
		       false, true);
		obs_ap(&y, 50, 60, 11, client_n(0), O_SRV1, 5985, HS_CAR_WINRM_HTTP, "HTTP/srv1.hop.test", 0x7200000002ull,
		       false, true);
		if (cmd) {
			obs_cmd(&y, 100, 11, client_n(0), true);
			obs_cmd(&y, 900, 11, client_n(0), false);
		}
		uint64_t refusal = obs_anon_refused(&y, 300, 22);
		/* both sessions stay open past the second hop */
		obs_ap(&y, 1000, 1010, 10, client_n(0), O_SRV1, 5985, HS_CAR_WINRM_HTTP, "HTTP/srv1.hop.test",
		       0x7200000001ull, false, true);
		obs_ap(&y, 1000, 1010, 11, client_n(0), O_SRV1, 5985, HS_CAR_WINRM_HTTP, "HTTP/srv1.hop.test",
		       0x7200000002ull, false, true);
		hs_model_finish(y.m);
		CU_ASSERT_EQUAL_FATAL(hs_model_chain_count(y.m), 2);
		unsigned failed = 0, unknown = 0, needs_keytab = 0, refused = 0;
		for (size_t i = 0; i < 2; i++) {
			const hs_chain *c = hs_model_chain(y.m, i);
			failed += c->diag.verdict == HS_VERDICT_FAILED;
			unknown += c->diag.verdict == HS_VERDICT_UNKNOWN && c->nhops == 1;
			refused += c->facts.hop2_ambiguous_refused && cites(c, refusal);
			for (unsigned k = 0; k < c->diag.nneeds; k++)
				needs_keytab += strstr(c->diag.needs[k], "keytab") != NULL;
		}
		CU_ASSERT_EQUAL(failed, cmd ? 1u : 0u);
		CU_ASSERT_EQUAL(unknown, cmd ? 0u : 2u);
		CU_ASSERT_EQUAL(refused, cmd ? 0u : 2u);
		CU_ASSERT(cmd || needs_keytab == 2);
		hs_model_free(y.m);
	}
}

/* A jump server: 3,000 users on 3,000 clients hold WinRM sessions to the
 * same srv1 at once (all Command windows open over the whole second
 * phase), and srv1's constrained delegation for them (S4U2Self,
 * S4U2Proxy, SMB to srv2) comes in an order unrelated to the sessions'.
 * Time cannot tell the sessions apart: each chain's hop 2 must be its own
 * user's (S4U2Self names the user; the SMB ticket is the one S4U2Proxy
 * issued for that user's evidence ticket).  Every third user is refused. */
#define JUMP_USERS 3000
static void test_obs_jump_server(void)
{
	obs_run y = { hs_model_new(NULL), 0, 0 };
	char u[64];
	for (unsigned i = 0; i < JUMP_USERS; i++) {
		snprintf(u, sizeof u, "user%u@HOP.TEST", i);
		obs_hop1(&y, (int64_t)i * 2, (int64_t)i * 2 + 50, 40000 + (int64_t)i * 2, 100000 + 10ull * i, client_n(i), u,
			 1000 + i, false);
	}
	for (unsigned k = 0; k < JUMP_USERS; k++) {
		unsigned i = (k * 7919u) % JUMP_USERS; /* a permutation (7919 is prime to 3,000) */
		snprintf(u, sizeof u, "user%u@HOP.TEST", i);
		obs_s4u(&y, 10000 + (int64_t)k * 5, 500000 + 10ull * i, u, 1000 + i, i % 3 != 0);
	}
	hs_model_finish(y.m);
	CU_ASSERT_EQUAL_FATAL(hs_model_chain_count(y.m), JUMP_USERS);
	CU_ASSERT_EQUAL(hs_model_dropped(y.m), 0);
	unsigned right = 0, delegated = 0, failed = 0;
	bool *seen = g_new0(bool, JUMP_USERS);
	for (size_t n = 0; n < JUMP_USERS; n++) {
		const hs_chain *c = hs_model_chain(y.m, n);
		unsigned i = 0;
		if (sscanf(c->user, "user%u@", &i) != 1 || i >= JUMP_USERS || seen[i] || c->nhops != 2)
			continue;
		seen[i] = true;
		char want[HS_NAME_MAX];
		snprintf(want, sizeof want, "%s", c->user);
		bool ok = !strcmp(c->hops[0].principal, want) && !strcmp(c->hops[1].principal, want);
		if (i % 3) {
			ok = ok && c->hops[1].carrier == HS_CAR_SMB2 && c->diag.verdict == HS_VERDICT_DELEGATED;
			delegated += ok;
		} else {
			ok = ok && c->hops[1].carrier == HS_CAR_KERBEROS && c->diag.verdict == HS_VERDICT_FAILED;
			failed += ok;
		}
		right += ok;
	}
	CU_ASSERT_EQUAL(right, JUMP_USERS);
	CU_ASSERT_EQUAL(delegated, JUMP_USERS - JUMP_USERS / 3);
	CU_ASSERT_EQUAL(failed, JUMP_USERS / 3);
	g_free(seen);
	hs_model_free(y.m);
}

static unsigned retired_calls;
static char retired_user[HS_NAME_MAX];

static void on_retired(void *ud, const hs_chain *c)
{
	(void)ud;
	retired_calls++;
	snprintf(retired_user, sizeof retired_user, "%s", c->user);
}

/* Retirement (settle window 300 s of capture time): alice's double hop,
 * then nothing for 400 s, then bob's.  When bob's first message comes,
 * alice's session has settled: her chain is built and handed to the
 * retired sink once, her connections and KDC exchanges leave the working
 * tables (only bob's are held), and the finish reports both chains once,
 * hers marked streamed. */
static void test_obs_retirement(void)
{
	hs_model_config cfg;
	hs_model_config_default(&cfg);
	CU_ASSERT_EQUAL(cfg.settle_ns, 300 * 1000000000LL);
	obs_run y = { hs_model_new(&cfg), 0, 0 };
	retired_calls = 0;
	hs_model_set_retired_sink(y.m, on_retired, NULL);
	obs_hop1(&y, 0, 100, 5000, 10, client_n(0), "alice@HOP.TEST", 1, false);
	obs_s4u(&y, 200, 20, "alice@HOP.TEST", 1, true);
	hs_model_held h = hs_model_held_now(y.m);
	CU_ASSERT_EQUAL(h.conns, 2); /* hop 1, SMB */
	CU_ASSERT_EQUAL(h.kdc, 3);   /* the client's TGS, S4U2Self, S4U2Proxy */
	CU_ASSERT_EQUAL(hs_model_retired(y.m), 0);
	obs_hop1(&y, 405000, 405100, 410000, 30, client_n(1), "bob@HOP.TEST", 2, false);
	CU_ASSERT_EQUAL(hs_model_retired(y.m), 1);
	CU_ASSERT_EQUAL(retired_calls, 1);
	CU_ASSERT_STRING_EQUAL(retired_user, "alice@HOP.TEST");
	h = hs_model_held_now(y.m);
	CU_ASSERT_EQUAL(h.conns, 1); /* bob's hop 1 */
	CU_ASSERT_EQUAL(h.kdc, 1);   /* bob's TGS */
	obs_s4u(&y, 405200, 40, "bob@HOP.TEST", 2, false);
	hs_model_finish(y.m);
	CU_ASSERT_EQUAL(retired_calls, 1);
	CU_ASSERT_EQUAL_FATAL(hs_model_chain_count(y.m), 2);
	const hs_chain *a = hs_model_chain(y.m, 0);
	CU_ASSERT_STRING_EQUAL(a->user, "alice@HOP.TEST");
	CU_ASSERT_EQUAL(a->diag.verdict, HS_VERDICT_DELEGATED);
	CU_ASSERT(hs_model_chain_streamed(y.m, 0));
	const hs_chain *b = hs_model_chain(y.m, 1);
	CU_ASSERT_STRING_EQUAL(b->user, "bob@HOP.TEST");
	CU_ASSERT_EQUAL(b->diag.verdict, HS_VERDICT_FAILED);
	CU_ASSERT(!hs_model_chain_streamed(y.m, 1));
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
	     { "a refused S4U2Proxy without hop 1 makes a failed chain (synthetic)", test_partial_chain },
	     { "observations: a delegated Kerberos double hop, and one without delegation", test_obs_double_hop_delegated },
	     { "observations: a refused (and a granted) constrained delegation", test_obs_double_hop_refused },
	     { "observations: concurrent sessions, a second hop tied to neither", test_obs_concurrent_untied },
	     { "observations: 3,000 concurrent sessions to one server, KDC exchanges interleaved", test_obs_jump_server },
	     { "observations: settled chains retire, are emitted once, their state freed", test_obs_retirement })
