/* model_session.c - hop-1 sessions (see model_int.h): WinRM connections of
 * one client to one server grouped into sessions, sessions inferred from the
 * client's KDC exchanges when the connection itself was not captured, and
 * partial sessions started by a first server's delegation. */
#include "model_int.h"

/* ------------------------------------------------------------------ */
/* finish: hop-1 sessions */

bool hsm_is_hop1_carrier(hs_carrier c)
{
	return c == HS_CAR_WINRM_HTTP || c == HS_CAR_WINRM_HTTPS;
}

/* The attempt that decided the connection: the last one that succeeded,
 * else the last one. */
const attempt *hsm_conn_final(const conn *c)
{
	for (int j = (int)c->natt - 1; j >= 0; j--)
		if (c->att[j].result == HS_RES_OK)
			return &c->att[j];
	return c->natt ? &c->att[c->natt - 1] : NULL;
}

hs_result hsm_conn_result(const conn *c)
{
	if (c->tree_seen)
		return c->tree_result;
	const attempt *a = hsm_conn_final(c);
	return a ? a->result : HS_RES_UNKNOWN;
}

/* The first principal a connection's attempts name, as the sessions keep it. */
static void conn_principal(hs_model *m, const conn *c, char *out, size_t n)
{
	out[0] = 0;
	for (unsigned j = 0; j < c->natt && !out[0]; j++)
		if (c->att[j].principal[0])
			hsm_normalize_user(m, c->att[j].principal, out, n);
}

static bool conn_authenticated(const conn *c)
{
	for (unsigned j = 0; j < c->natt; j++)
		if (c->att[j].result == HS_RES_OK)
			return true;
	return false;
}

/* The first Kerberos service ticket a connection presented (0: none). */
static uint64_t conn_ticket(const conn *c)
{
	for (unsigned j = 0; j < c->natt; j++)
		if (c->att[j].auth == HS_AUTH_KERBEROS && c->att[j].ticket_fp)
			return c->att[j].ticket_fp;
	return 0;
}

/* An authenticated WinRM connection (over plain HTTP, where the logon
 * would show) with no logon and no 401 in the input: it logged on before
 * the capture started. */
static bool logon_unseen(const conn *c)
{
	return !c->natt && !c->offers_seen && !c->tls && c->carrier == HS_CAR_WINRM_HTTP && c->winrm;
}

/* Sessions, not connections: Windows' WinRM client opens a TCP connection
 * per stream of one session (shell, command, receive: three within a
 * second, interleaved in time) and starts each with a 401 round trip; with
 * the SOAP encrypted the shell id is not readable.  A connection joins a
 * session of the same client, server and port when their shell ids do not
 * differ, their principals do not differ, and it opens while the session
 * is still active - or within SLACK_NS of a session that so far only got
 * 401s (the client authenticates on its next connection; a connection
 * whose start is not in the capture got none, and is no such session).
 * Two different service tickets are two logons: the client caches its
 * ticket for the server and presents it on every connection of a session,
 * so a connection with another ticket while the session is open is another
 * session (two users at once, lab 15: their names are inside the tickets). */
static bool session_takes(hs_model *m, const session *x, const conn *c, const char *cp, bool only_401)
{
	if (x->nconns >= SESS_CONNS || !hsm_addr_eq(&x->c, &c->c) || !hsm_addr_eq(&x->s, &c->s) || x->sport != c->sport)
		return false;
	if (x->shell_id[0] && c->shell_id[0] && strcmp(x->shell_id, c->shell_id))
		return false;
	if (x->principal[0] && cp[0] && !hsm_principal_eq(x->principal, cp))
		return false;
	uint64_t tk = conn_ticket(c);
	if (x->ticket_fp && tk && x->ticket_fp != tk)
		return false;
	/* a connection whose logon is before the capture and one that logs on
	 * in it: nothing says the unseen logon was the same (srv1's capture
	 * started late, lab 15 srv1-late: alice's connection mid-stream, bob's
	 * logging on); only a shell id joins them */
	if (!(x->shell_id[0] && c->shell_id[0]) && (x->logon_unseen != logon_unseen(c)))
		return false;
	(void)m;
	if (c->t0 <= x->t1)
		return true;
	return only_401 && c->t0 <= x->t1 + SLACK_NS;
}

/* A WinRM connection that a session's server opens while that session is
 * open is the session's second hop (Invoke-Command inside Invoke-Command),
 * not a session of its own: attribution gives it to the session as hop 2.
 * by_server: server address -> its sessions, ascending. */
static bool nested_hop(hs_model *m, GHashTable *by_server, const conn *c)
{
	const GArray *l = g_hash_table_lookup(by_server, &c->c);
	for (guint n = l ? l->len : 0; n-- > 0 && l->len - n <= 8;) {
		const session *x = &g_array_index(m->sessions, session, g_array_index(l, guint, n));
		if (c->t0 >= x->t0 && c->t0 <= x->t1)
			return true;
	}
	return false;
}

void hsm_build_sessions(hs_model *m)
{
	GHashTable *shells = g_hash_table_new_full(g_str_hash, g_str_equal, NULL, hsm_array_free);
	GHashTable *pairs = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, hsm_array_free);
	GHashTable *by_server = g_hash_table_new_full(hsm_addr_hash, hsm_addr_equal, NULL, hsm_array_free);
	/* per session: AUTHED some connection logged on, GOT_401 some got a 401 with offers */
	enum { AUTHED = 1, GOT_401 = 2 };
	GArray *authed = g_array_new(FALSE, TRUE, sizeof(uint8_t));
	for (guint i = 0; i < m->conns->len; i++) {
		conn *c = g_ptr_array_index(m->conns, i);
		if (!hsm_is_hop1_carrier(c->carrier))
			continue;
		int si = -1;
		char cp[HS_NAME_MAX];
		conn_principal(m, c, cp, sizeof cp);
		GArray *same = NULL; /* the sessions of this shell id, ascending */
		if (c->shell_id[0]) {
			same = g_hash_table_lookup(shells, c->shell_id);
			for (guint n = 0; same && n < same->len; n++) {
				guint s = g_array_index(same, guint, n);
				session *x = &g_array_index(m->sessions, session, s);
				if (hsm_addr_eq(&x->c, &c->c) && hsm_addr_eq(&x->s, &c->s) && x->nconns < SESS_CONNS) {
					si = (int)s;
					break;
				}
			}
		}
		/* the sessions between the same two endpoints, the latest first */
		char pk[120], a[48], b[48];
		snprintf(pk, sizeof pk, "%s|%s|%u", hs_addr_str(&c->c, a, sizeof a), hs_addr_str(&c->s, b, sizeof b), c->sport);
		GArray *pl = g_hash_table_lookup(pairs, pk);
		for (guint n = pl ? pl->len : 0; si < 0 && n-- > 0 && pl->len - n <= 8;) {
			guint s = g_array_index(pl, guint, n);
			if (session_takes(m, &g_array_index(m->sessions, session, s), c, cp,
					  g_array_index(authed, uint8_t, s) == GOT_401))
				si = (int)s;
		}
		if (si < 0 && nested_hop(m, by_server, c))
			continue;
		if (si < 0) {
			session z;
			memset(&z, 0, sizeof z);
			z.c = c->c;
			z.s = c->s;
			z.s_known = true;
			z.t0 = c->t0;
			z.t1 = c->t1;
			z.kx_index = -1;
			z.carrier = c->carrier;
			z.sport = c->sport;
			g_array_append_val(m->sessions, z);
			uint8_t no = 0;
			g_array_append_val(authed, no);
			si = (int)m->sessions->len - 1;
			if (!pl) {
				pl = g_array_new(FALSE, FALSE, sizeof(guint));
				g_hash_table_insert(pairs, g_strdup(pk), pl);
			}
			g_array_append_val(pl, si);
			GArray *sl = g_hash_table_lookup(by_server, &c->s);
			if (!sl) {
				sl = g_array_new(FALSE, FALSE, sizeof(guint));
				g_hash_table_insert(by_server, &c->s, sl); /* conns do not move */
			}
			g_array_append_val(sl, si);
		}
		session *x = &g_array_index(m->sessions, session, si);
		if (c->shell_id[0] && !x->shell_id[0]) {
			snprintf(x->shell_id, sizeof x->shell_id, "%s", c->shell_id);
			same = g_hash_table_lookup(shells, c->shell_id);
			if (!same) {
				same = g_array_new(FALSE, FALSE, sizeof(guint));
				g_hash_table_insert(shells, c->shell_id, same); /* conns do not move */
			}
			g_array_append_val(same, si);
		}
		if (!x->principal[0] && cp[0])
			snprintf(x->principal, sizeof x->principal, "%s", cp);
		if (!x->ticket_fp)
			x->ticket_fp = conn_ticket(c);
		if (x->nconns == 0)
			x->logon_unseen = logon_unseen(c);
		if (conn_authenticated(c))
			g_array_index(authed, uint8_t, si) |= AUTHED;
		if (c->offers_seen)
			g_array_index(authed, uint8_t, si) |= GOT_401;
		x->conns[x->nconns++] = (int)i;
		c->session = si;
		if (c->t0 < x->t0)
			x->t0 = c->t0;
		if (c->t1 > x->t1)
			x->t1 = c->t1;
	}
	g_hash_table_destroy(pairs);
	g_hash_table_destroy(by_server);
	g_array_free(authed, TRUE);
	g_hash_table_destroy(shells);
	/* principal, auth, result */
	for (guint s = 0; s < m->sessions->len; s++) {
		session *x = &g_array_index(m->sessions, session, s);
		hs_result res = HS_RES_UNKNOWN;
		for (unsigned k = 0; k < x->nconns; k++) {
			const conn *c = g_ptr_array_index(m->conns, x->conns[k]);
			for (unsigned j = 0; j < c->natt; j++) {
				const attempt *a = &c->att[j];
				if (!x->principal[0] && a->principal[0])
					hsm_normalize_user(m, a->principal, x->principal, sizeof x->principal), (void)0;
				if (a->result == HS_RES_OK || x->auth == HS_AUTH_UNKNOWN)
					x->auth = a->auth;
				if (a->result == HS_RES_OK)
					res = HS_RES_OK;
				else if (a->result == HS_RES_FAILED && res != HS_RES_OK)
					res = HS_RES_FAILED;
			}
			if (c->credssp_asked && x->auth == HS_AUTH_UNKNOWN)
				x->auth = HS_AUTH_CREDSSP;
		}
		x->result = res;
	}
}

/* CredSSP (MS-CSSP) runs its SPNEGO inside TLS: the AP-REQ is invisible,
 * but the client's TGS exchange for HTTP/<server> just before names the
 * user. */
void hsm_credssp_principals(hs_model *m)
{
	for (guint s = 0; s < m->sessions->len; s++) {
		session *y = &g_array_index(m->sessions, session, s);
		if (y->principal[0] || y->auth != HS_AUTH_CREDSSP)
			continue;
		const char *hn = hsm_host_name(m, &y->s);
		for (guint i = 0; i < m->kxs->len; i++) {
			const kx *x = &g_array_index(m->kxs, kx, i);
			char h[HS_NAME_MAX];
			if (!x->ok || !hsm_addr_eq(&x->c, &y->c) || x->msg != KX_TGS_REQ || x->s4u || x->proxy ||
			    strncasecmp(x->sname, "HTTP/", 5) || !x->principal[0])
				continue;
			hsm_spn_host(x->sname, h, sizeof h);
			size_t l = strcspn(h, ".");
			if (!hn[0] || strncasecmp(h, hn, l) || (hn[l] != 0 && hn[l] != '.'))
				continue;
			if (x->ts < y->t0 - 60 * 1000000000LL || x->ts > y->t1)
				continue;
			snprintf(y->principal, sizeof y->principal, "%s", x->principal);
		}
	}
}

/* Keep the hop-1 principal as it was on the wire (NTLM: DOMAIN\user). */
void hsm_session_wire_principal(hs_model *m, const session *x, char *out, size_t n)
{
	out[0] = 0;
	for (unsigned k = 0; k < x->nconns && !out[0]; k++) {
		const conn *c = g_ptr_array_index(m->conns, x->conns[k]);
		for (unsigned j = 0; j < c->natt && !out[0]; j++)
			if (c->att[j].principal[0])
				snprintf(out, n, "%s", c->att[j].principal);
	}
	if (!out[0] && x->principal[0])
		snprintf(out, n, "%s", x->principal);
}

bool hsm_spn_is_winrm(const char *sname)
{
	return !strncasecmp(sname, "HTTP/", 5) || !strncasecmp(sname, "WSMAN/", 6);
}

/* the ticket fingerprints connections presented (0 for an attempt without one) */
static GHashTable *tickets_used_by_conns(hs_model *m)
{
	GHashTable *h = g_hash_table_new(g_int64_hash, g_int64_equal);
	for (guint i = 0; i < m->conns->len; i++) {
		conn *c = g_ptr_array_index(m->conns, i);
		for (unsigned j = 0; j < c->natt; j++)
			g_hash_table_add(h, &c->att[j].ticket_fp);
	}
	return h;
}

/* The TLS connection an inferred hop 1 went over, when the input holds it
 * without its key log (WinRM over HTTPS on any port): a TLS connection of
 * the session's client, opened within SLACK_NS of its ticket exchange, to
 * the session's server (by address when known, else by the ClientHello's
 * server name against the SPN's host), that nothing decoded as HTTP.
 * Evidence for winrm-https; the server's address with it.
 * *by_client: client address -> those TLS connections, built on first use. */
static void inferred_over_tls(hs_model *m, GHashTable **by_client, session *z)
{
	if (!*by_client) {
		*by_client = g_hash_table_new_full(hsm_addr_hash, hsm_addr_equal, NULL, hsm_array_free);
		for (guint i = 0; i < m->conns->len; i++) {
			conn *c = g_ptr_array_index(m->conns, i);
			if (!c->tls || c->natt || c->winrm || c->session >= 0 ||
			    (c->carrier != HS_CAR_OTHER && c->carrier != HS_CAR_WINRM_HTTPS))
				continue;
			GArray *l = g_hash_table_lookup(*by_client, &c->c);
			if (!l) {
				l = g_array_new(FALSE, FALSE, sizeof(guint));
				g_hash_table_insert(*by_client, &c->c, l); /* conns do not move */
			}
			g_array_append_val(l, i);
		}
	}
	const GArray *l = g_hash_table_lookup(*by_client, &z->c);
	const conn *best = NULL;
	int64_t bd = 0;
	for (guint n = 0; l && n < l->len; n++) {
		const conn *c = g_ptr_array_index(m->conns, g_array_index(l, guint, n));
		int64_t d = c->t0 > z->t0 ? c->t0 - z->t0 : z->t0 - c->t0;
		if (d > SLACK_NS || (best && d >= bd))
			continue;
		const char *h = c->sni;
		size_t hl = strcspn(z->s_spn_host, ".");
		bool named = h[0] && hl && !strncasecmp(h, z->s_spn_host, hl) && (h[hl] == 0 || h[hl] == '.');
		if (z->s_known ? !hsm_addr_eq(&c->s, &z->s) : !named)
			continue;
		best = c;
		bd = d;
	}
	if (!best)
		return;
	z->carrier = HS_CAR_WINRM_HTTPS;
	if (!z->s_known) {
		z->s = best->s;
		z->s_known = true;
		hsm_host_learn(m, &z->s, z->s_spn_host, 3);
	}
}

/* From the KDC's view only: the client's TGS-REQ for HTTP/ or WSMAN/ is
 * the trace of a hop 1 whose connection was not captured.  One presenting
 * a forwarded TGT is a server acting for the TGT's owner: a nested WinRM
 * second hop (Invoke-Command inside Invoke-Command), not a session. */
void hsm_infer_sessions(hs_model *m)
{
	guint real = m->sessions->len;
	GHashTable *used = tickets_used_by_conns(m);
	GHashTable *tls = NULL;
	for (guint i = 0; i < m->kxs->len; i++) {
		const kx *x = &g_array_index(m->kxs, kx, i);
		if (x->msg != KX_TGS_REQ || !x->ok || x->s4u || x->proxy || x->tgt_forwarded || !hsm_spn_is_winrm(x->sname))
			continue;
		if (g_hash_table_contains(used, &x->rep_fp))
			continue;
		bool covered = false;
		for (guint s = 0; s < real; s++) {
			const session *y = &g_array_index(m->sessions, session, s);
			if (hsm_addr_eq(&y->c, &x->c) && x->ts >= y->t0 - 120 * 1000000000LL && x->ts <= y->t1)
				covered = true;
		}
		if (covered)
			continue;
		session z;
		memset(&z, 0, sizeof z);
		z.c = x->c;
		z.inferred = true;
		z.t0 = z.t1 = x->ts;
		z.kx_index = (int)i;
		z.auth = HS_AUTH_KERBEROS;
		z.result = HS_RES_UNKNOWN;
		z.carrier = HS_CAR_WINRM_HTTP;
		snprintf(z.principal, sizeof z.principal, "%s", x->principal);
		hsm_spn_host(x->sname, z.s_spn_host, sizeof z.s_spn_host);
		const host *h = hsm_host_by_name(m, z.s_spn_host);
		if (h) {
			z.s = h->addr;
			z.s_known = true;
		}
		inferred_over_tls(m, &tls, &z);
		g_array_append_val(m->sessions, z);
	}
	g_hash_table_destroy(used);
	if (tls)
		g_hash_table_destroy(tls);
	/* An inferred session's server: whoever later acts for its user with a
	 * strong link (S4U2Self for the user, the user's forwarded TGT, an
	 * AS exchange for the user from another address). */
	for (guint s = real; s < m->sessions->len; s++) {
		session *y = &g_array_index(m->sessions, session, s);
		if (y->s_known)
			continue;
		for (guint i = 0; i < m->kxs->len && !y->s_known; i++) {
			const kx *x = &g_array_index(m->kxs, kx, i);
			if (x->ts < y->t0 || hsm_addr_eq(&x->c, &y->c))
				continue;
			bool link = (x->s4u && hsm_principal_eq(x->s4u_user, y->principal)) ||
				    (x->tgt_forwarded && hsm_principal_eq(x->tgt_owner, y->principal)) ||
				    (x->msg == KX_AS_REQ && x->preauth && hsm_principal_eq(x->principal, y->principal));
			if (link) {
				y->s = x->c;
				y->s_known = true;
				hsm_host_learn(m, &y->s, y->s_spn_host, 2);
			}
		}
	}
}

/* Chains from partial evidence.  When hop 1 is not in the input (server1's
 * capture filtered to port 88, the DC's capture without the client's
 * TGS, a capture started after the session opened), server1's own
 * delegation still names the user and server1: an S4U2Self that an
 * S4U2Proxy uses, an S4U2Proxy (its evidence ticket names the user), or a
 * TGS-REQ presenting a user's forwarded TGT.  Each such exchange that no
 * session took starts one for (server1, user) with an unseen hop 1; the
 * next ones of the same server and user within PARTIAL_NS join it, and
 * hsm_attribute() then gives it its hop 2 as for any session.  Returns whether
 * any was added. */
#define PARTIAL_NS (60 * 1000000000LL)

/* A server's own logon as a user (fresh credentials: $using:cred, the
 * password CredSSP delegated, a RunAs account): an AS exchange for a
 * non-machine account that got an answer other than the normal first step
 * (PREAUTH_REQUIRED, RESPONSE_TOO_BIG). */
static bool fresh_logon(const kx *x)
{
	return x->msg == KX_AS_REQ && x->principal[0] && !hsm_is_machine(x->principal) && x->answered &&
	       (x->ok || (x->err != 25 && x->err != 52)) && (x->preauth || x->err == 24);
}

/* Servers of the input's remoting sessions (a WinRM connection to it, or a
 * client's ticket for its HTTP/ or WSMAN/ service).  Only there is a fresh
 * logon decisive evidence of a second hop: on any other host it is an
 * ordinary logon (a user at a workstation, a service account). */
static GHashTable *remoting_servers(hs_model *m)
{
	/* copies: the partial sessions added while it is in use move m->sessions */
	GHashTable *h = g_hash_table_new_full(hsm_addr_hash, hsm_addr_equal, g_free, NULL);
	for (guint s = 0; s < m->sessions->len; s++) {
		session *y = &g_array_index(m->sessions, session, s);
		if (y->s_known && !y->unseen && !g_hash_table_contains(h, &y->s))
			g_hash_table_add(h, g_memdup2(&y->s, sizeof y->s));
	}
	return h;
}

/* With no hop-1 connection to delimit it (a session inferred from the
 * client's ticket at the DC, or one from partial evidence), a session's
 * server logging on anew as the user after an earlier fresh logon of that
 * session already reached a second-hop service is another script block,
 * most likely another session (lab 11 at the DC: the second session
 * re-used the cached HTTP/srv1 ticket, so only srv1's second logon shows
 * it): from that logon on, the server's items go to a new session with an
 * unseen hop 1.  The number of sessions cannot be known from there (the
 * same session may run two such script blocks); each logon's verdict can. */
/* A session with an unseen hop 1 into server s (a chain from partial
 * evidence: why names what stands for hop 1); its index. */
static guint unseen_session(hs_model *m, const hs_addr *s, int64_t t, const char *user, const char *why)
{
	session z;
	memset(&z, 0, sizeof z);
	z.s = *s;
	z.s_known = true;
	z.unseen = true;
	z.t0 = z.t1 = t;
	z.kx_index = -1;
	z.carrier = HS_CAR_OTHER;
	snprintf(z.principal, sizeof z.principal, "%s", user);
	snprintf(z.unseen_from, sizeof z.unseen_from, "%s", why);
	g_array_append_val(m->sessions, z);
	return m->sessions->len - 1;
}

typedef struct fresh_state {
	bool as_ok, used;
	int now;  /* the session this one's later items go to */
} fresh_state;

static void split_fresh_logons(hs_model *m)
{
	guint n0 = m->sessions->len;
	fresh_state *st = g_new0(fresh_state, n0 + 1);
	for (guint s = 0; s < n0; s++)
		st[s].now = (int)s;
	for (guint i = 0; i < m->kxs->len; i++) {
		kx *x = &g_array_index(m->kxs, kx, i);
		if (x->owner < 0 || (guint)x->owner >= n0)
			continue;
		int o = x->owner;
		session *y = &g_array_index(m->sessions, session, o);
		if (y->nconns || !y->s_known || !hsm_addr_eq(&y->s, &x->c))
			continue;
		fresh_state *f = &st[o];
		session *cur = &g_array_index(m->sessions, session, f->now);
		if (fresh_logon(x) && f->used && cur->principal[0] && hsm_principal_eq(x->principal, cur->principal)) {
			f->now = (int)unseen_session(m, &x->c, x->ts, x->principal, "the server's second fresh logon as the user");
			f->as_ok = f->used = false;
		}
		if (fresh_logon(x) && x->ok)
			f->as_ok = true;
		else if (f->as_ok && x->msg == KX_TGS_REQ && x->ok && strncasecmp(x->sname, "krbtgt/", 7))
			f->used = true;
		if (f->now != o) {
			x->owner = f->now;
			session *z = &g_array_index(m->sessions, session, f->now);
			if (x->ts > z->t1)
				z->t1 = x->ts;
		}
	}
	g_free(st);
}

static const char *partial_evidence(const kx *x, GHashTable *remoting, const char **user)
{
	if (x->s4u && !x->s4u_routine) {
		*user = x->s4u_user;
		return "the S4U2Self user and the requesting account";
	}
	if (x->proxy) {
		*user = x->principal;
		return "the S4U2Proxy evidence ticket and the requesting account";
	}
	if (x->msg == KX_TGS_REQ && x->tgt_forwarded && strncasecmp(x->sname, "krbtgt/", 7)) {
		*user = x->tgt_owner;
		return "the forwarded TGT's owner and the account presenting it";
	}
	if (fresh_logon(x) && g_hash_table_contains(remoting, &x->c)) {
		*user = x->principal;
		return "the fresh logon's user and the remoting server that made it";
	}
	return NULL;
}

/* A remoting server's own logon as a user on another host (NTLM with the
 * user's name, or Kerberos naming the user) that no session took: the
 * second hop of a session whose hop 1 is not in the input (filtered out,
 * or before the capture started).  Only from a remoting server, for the
 * reason fresh_logon() gives; one unseen session per (server, user) within
 * PARTIAL_NS, counting those the server's KDC exchanges already started
 * (sessions from first on: lab 11 from srv1 without session 1's WinRM
 * connection has both the fresh logon and its SMB logon as alice, one
 * session). */
static void partial_from_logons(hs_model *m, GHashTable *remoting, guint first)
{
	for (guint i = 0; i < m->conns->len; i++) {
		const conn *c = g_ptr_array_index(m->conns, i);
		if (c->session >= 0 || c->owner >= 0 || c->carrier == HS_CAR_KERBEROS || !g_hash_table_contains(remoting, &c->c))
			continue;
		const attempt *a = hsm_conn_final(c);
		if (!a || (a->auth != HS_AUTH_NTLM && a->auth != HS_AUTH_KERBEROS) || !a->principal[0] ||
		    hsm_is_machine(a->principal))
			continue;
		char user[HS_NAME_MAX];
		hsm_normalize_user(m, a->principal, user, sizeof user);
		session *y = NULL;
		for (guint s = first; s < m->sessions->len && !y; s++) {
			session *z = &g_array_index(m->sessions, session, s);
			if (hsm_addr_eq(&z->s, &c->c) && hsm_principal_eq(z->principal, user) && c->t0 >= z->t0 &&
			    c->t0 <= z->t1 + PARTIAL_NS)
				y = z;
		}
		if (!y) {
			guint si = unseen_session(m, &c->c, c->t0, user, "the user the remoting server authenticated as on the second hop");
			y = &g_array_index(m->sessions, session, si);
		}
		if (c->t1 > y->t1)
			y->t1 = c->t1;
	}
}

bool hsm_partial_sessions(hs_model *m)
{
	guint first = m->sessions->len;
	split_fresh_logons(m);
	GHashTable *remoting = remoting_servers(m);
	GHashTable *by_server = g_hash_table_new_full(hsm_addr_hash, hsm_addr_equal, g_free, hsm_array_free);
	for (guint i = 0; i < m->kxs->len; i++) {
		const kx *x = &g_array_index(m->kxs, kx, i);
		const char *user = "";
		const char *why = x->owner < 0 ? partial_evidence(x, remoting, &user) : NULL;
		if (!why)
			continue;
		/* the server's latest partial sessions (a busy delegating server
		 * has many: the few latest are the ones still open) */
		GArray *l = g_hash_table_lookup(by_server, &x->c);
		session *y = NULL;
		for (guint n = l ? l->len : 0; n-- > 0 && l->len - n <= 8 && !y;) {
			session *z = &g_array_index(m->sessions, session, g_array_index(l, guint, n));
			if (x->ts >= z->t0 && x->ts <= z->t1 + PARTIAL_NS &&
			    (!user[0] || !z->principal[0] || hsm_principal_eq(user, z->principal)))
				y = z;
		}
		if (!y) {
			guint si = unseen_session(m, &x->c, x->ts, "", why);
			y = &g_array_index(m->sessions, session, si);
			if (!l) {
				l = g_array_new(FALSE, FALSE, sizeof(guint));
				g_hash_table_insert(by_server, g_memdup2(&x->c, sizeof x->c), l);
			}
			g_array_append_val(l, si);
		}
		if (!y->principal[0] && user[0])
			snprintf(y->principal, sizeof y->principal, "%s", user);
		if (x->ts > y->t1)
			y->t1 = x->ts;
	}
	g_hash_table_destroy(by_server);
	partial_from_logons(m, remoting, first);
	g_hash_table_destroy(remoting);
	return m->sessions->len > first;
}

