/* model_attrib.c - what each hop-1 server did next, attributed to one of its
 * sessions (see model_int.h): identity links first, then the WinRM Command
 * window that contains it, through per-server indices so that the cost per
 * item does not grow with the number of sessions to that server. */
#include "model_int.h"

#include <stdlib.h>

/* ------------------------------------------------------------------ */
/* finish: attribution of hop-2 items to sessions */

typedef struct item {
	bool is_conn;
	int index;
	int64_t ts;
	char principal[HS_NAME_MAX];
	pkey key;
	bool named_user;             /* a principal that is not a machine account */
} item;

/* The tightest WinRM Command window of the session containing t, as its
 * length; INT64_MAX when none contains t. */
static int64_t cmd_window(hs_model *m, const session *y, int64_t t)
{
	int64_t best = INT64_MAX;
	for (unsigned k = 0; k < y->nconns; k++) {
		const conn *c = g_ptr_array_index(m->conns, y->conns[k]);
		for (unsigned w = 0; w < c->ncmd; w++) {
			/* a hop-2 step starts after the Command request and before
			 * its response (which reports its outcome) */
			int64_t a = c->cmd[w].a - 1000000, b = c->cmd[w].b;
			if (t >= a && t <= b && b - a < best)
				best = b - a;
		}
	}
	return best;
}

/* The latest time at which something can fall inside the session (its end
 * plus the slack, or a Command window's end); INT64_MAX for a Command that
 * was never answered. */
static int64_t session_reach(hs_model *m, const session *y)
{
	int64_t r = y->t1 + SLACK_NS;
	for (unsigned k = 0; k < y->nconns; k++) {
		const conn *c = g_ptr_array_index(m->conns, y->conns[k]);
		for (unsigned w = 0; w < c->ncmd; w++)
			if (c->cmd[w].b > r)
				r = c->cmd[w].b;
	}
	return r;
}

/* A session that reaches further than this past its start is looked at
 * for every item of its server (few: long-lived shells) rather than found
 * through the running maximum, which it would keep high for everyone. */
#define LONG_NS (60 * 1000000000LL)

/* The sessions of one hop-1 server, indexed so that attributing an item
 * costs a logarithm plus the sessions that overlap it in time, whatever
 * the number of sessions to that server (a jump server). */
typedef struct srv_ix {
	GArray *by_t0;        /* guint session, ascending (t0, index) */
	GArray *reach;        /* int64_t: running maximum of session_reach over by_t0, finite part */
	GArray *open;         /* guint: sessions that reach further than LONG_NS past their start
			       * (an unanswered Command: unbounded), ascending */
	GHashTable *by_user;  /* user id -> GArray guint: sessions by principal, ascending (t0, index) */
	GHashTable *by_link;  /* user id -> same, by link_user */
} srv_ix;

typedef struct attr_ctx {
	hs_model *m;
	GHashTable *servers;  /* hs_addr * -> srv_ix * */
	pkey *pk, *lk;        /* per session: principal, link_user */
} attr_ctx;

static void srv_ix_free(gpointer p)
{
	srv_ix *v = p;
	g_array_free(v->by_t0, TRUE);
	g_array_free(v->reach, TRUE);
	g_array_free(v->open, TRUE);
	g_hash_table_destroy(v->by_user);
	g_hash_table_destroy(v->by_link);
	g_free(v);
}

static hs_model *sort_model; /* qsort has no user pointer; the finish is not re-entered */

static int session_t0_cmp(const void *a, const void *b)
{
	guint x = *(const guint *)a, y = *(const guint *)b;
	int64_t tx = g_array_index(sort_model->sessions, session, x).t0;
	int64_t ty = g_array_index(sort_model->sessions, session, y).t0;
	if (tx != ty)
		return tx < ty ? -1 : 1;
	return x < y ? -1 : x > y;
}

static void sort_sessions(hs_model *m, GArray *l)
{
	sort_model = m;
	if (l->len > 1)
		qsort(l->data, l->len, sizeof(guint), session_t0_cmp);
}

static void user_list_add(GHashTable *h, uint32_t user, guint s)
{
	if (!user)
		return;
	GArray *l = g_hash_table_lookup(h, GUINT_TO_POINTER(user));
	if (!l) {
		l = g_array_new(FALSE, FALSE, sizeof(guint));
		g_hash_table_insert(h, GUINT_TO_POINTER(user), l);
	}
	g_array_append_val(l, s);
}

static void sort_user_lists(hs_model *m, GHashTable *h)
{
	GHashTableIter it;
	gpointer k, v;
	g_hash_table_iter_init(&it, h);
	while (g_hash_table_iter_next(&it, &k, &v))
		sort_sessions(m, v);
}

static void attr_ctx_build(attr_ctx *a, hs_model *m)
{
	a->m = m;
	a->servers = g_hash_table_new_full(hsm_addr_hash, hsm_addr_equal, NULL, srv_ix_free);
	a->pk = g_new0(pkey, m->sessions->len + 1);
	a->lk = g_new0(pkey, m->sessions->len + 1);
	for (guint s = 0; s < m->sessions->len; s++) {
		session *y = &g_array_index(m->sessions, session, s);
		a->pk[s] = hsm_pkey_of(m, y->principal);
		if (!y->s_known)
			continue;
		srv_ix *v = g_hash_table_lookup(a->servers, &y->s);
		if (!v) {
			v = g_new0(srv_ix, 1);
			v->by_t0 = g_array_new(FALSE, FALSE, sizeof(guint));
			v->reach = g_array_new(FALSE, FALSE, sizeof(int64_t));
			v->open = g_array_new(FALSE, FALSE, sizeof(guint));
			v->by_user = g_hash_table_new_full(g_direct_hash, g_direct_equal, NULL, hsm_array_free);
			v->by_link = g_hash_table_new_full(g_direct_hash, g_direct_equal, NULL, hsm_array_free);
			g_hash_table_insert(a->servers, &y->s, v);
		}
		g_array_append_val(v->by_t0, s);
		user_list_add(v->by_user, a->pk[s].user, s);
		if (session_reach(m, y) - LONG_NS > y->t0)
			g_array_append_val(v->open, s);
	}
	GHashTableIter it;
	gpointer k, p;
	g_hash_table_iter_init(&it, a->servers);
	while (g_hash_table_iter_next(&it, &k, &p)) {
		srv_ix *v = p;
		sort_sessions(m, v->by_t0);
		sort_user_lists(m, v->by_user);
		int64_t run = INT64_MIN;
		for (guint i = 0; i < v->by_t0->len; i++) {
			const session *y = &g_array_index(m->sessions, session, g_array_index(v->by_t0, guint, i));
			int64_t r = session_reach(m, y);
			if (r - LONG_NS > y->t0)
				r = INT64_MIN; /* the open list covers it */
			if (r > run)
				run = r;
			g_array_append_val(v->reach, run);
		}
	}
}

/* link_user is known from here on */
static void attr_ctx_links(attr_ctx *a)
{
	hs_model *m = a->m;
	for (guint s = 0; s < m->sessions->len; s++) {
		session *y = &g_array_index(m->sessions, session, s);
		a->lk[s] = hsm_pkey_of(m, y->link_user);
		srv_ix *v = y->s_known ? g_hash_table_lookup(a->servers, &y->s) : NULL;
		if (v)
			user_list_add(v->by_link, a->lk[s].user, s);
	}
	GHashTableIter it;
	gpointer k, p;
	g_hash_table_iter_init(&it, a->servers);
	while (g_hash_table_iter_next(&it, &k, &p))
		sort_user_lists(m, ((srv_ix *)p)->by_link);
}

static void attr_ctx_free(attr_ctx *a)
{
	g_hash_table_destroy(a->servers);
	g_free(a->pk);
	g_free(a->lk);
}

/* Positions 0 .. return-1 of a (t0, index)-sorted list hold the sessions
 * with t0 - slack <= t (started, give or take the slack, by t). */
static guint started_by(hs_model *m, const GArray *l, int64_t t, int64_t slack)
{
	guint lo = 0, hi = l->len;
	while (lo < hi) {
		guint mid = lo + (hi - lo) / 2;
		const session *y = &g_array_index(m->sessions, session, g_array_index(l, guint, mid));
		if (t < y->t0 - slack)
			hi = mid;
		else
			lo = mid + 1;
	}
	return lo;
}

/* The latest session (then the lowest index) of a user list started by
 * the item, whose key matches it, that is not the item's own session. */
static int latest_of_user(attr_ctx *a, const GArray *l, const pkey *keys, const item *it, int own)
{
	hs_model *m = a->m;
	if (!l)
		return -1;
	int best = -1;
	int64_t bt = INT64_MIN;
	for (guint p = started_by(m, l, it->ts, SLACK_NS / 4); p-- > 0;) {
		guint s = g_array_index(l, guint, p);
		const session *y = &g_array_index(m->sessions, session, s);
		if (best >= 0 && y->t0 < bt)
			break;
		if ((int)s == own || !hsm_pkey_eq(it->key, keys[s]))
			continue;
		best = (int)s; /* walking down: equal t0 gives lower indexes */
		bt = y->t0;
	}
	return best;
}

static bool better(int s, int64_t key, int64_t t0, int best, int64_t best_key, int64_t best_t0)
{
	if (best < 0 || key != best_key)
		return best < 0 || key < best_key;
	return t0 != best_t0 ? t0 > best_t0 : s < best;
}

/* Pass 2: tightest Command window; then a session still open; then the
 * latest started. */
static int64_t window_key(attr_ctx *a, const session *y, const item *it)
{
	int64_t w = cmd_window(a->m, y, it->ts);
	bool inside = it->ts <= y->t1 + SLACK_NS;
	if (w == INT64_MAX && !inside)
		w = INT64_MAX - 1 - (y->t0 > 0 ? 0 : 1);
	int64_t key = w != INT64_MAX ? w : (inside ? INT64_MAX - 4 : INT64_MAX - 3);
	/* concurrent sessions: a connection goes first to a session that has
	 * none yet (one second hop each) */
	if (it->is_conn && y->nconn_items && key < INT64_MAX - 8)
		key = INT64_MAX - 8;
	return key;
}

static int by_window(attr_ctx *a, const srv_ix *v, const item *it, int own)
{
	hs_model *m = a->m;
	if (it->named_user) {
		/* a named account that is some session's user belongs there (pass
		 * 1), not to another session */
		const GArray *l = g_hash_table_lookup(v->by_user, GUINT_TO_POINTER(it->key.user));
		for (guint p = 0; l && p < l->len; p++)
			if (hsm_pkey_eq(it->key, a->pk[g_array_index(l, guint, p)]))
				return -1;
	}
	int best = -1;
	int64_t bk = 0, bt = 0;
	guint hi = started_by(m, v->by_t0, it->ts, SLACK_NS / 4);
	/* the sessions that can contain the item: down from the latest started
	 * while some earlier one reaches it, and those left open */
	guint p = hi;
	while (p > 0 && g_array_index(v->reach, int64_t, p - 1) >= it->ts) {
		p--;
		guint s = g_array_index(v->by_t0, guint, p);
		const session *y = &g_array_index(m->sessions, session, s);
		if ((int)s == own)
			continue;
		int64_t key = window_key(a, y, it);
		if (better((int)s, key, y->t0, best, bk, bt))
			best = (int)s, bk = key, bt = y->t0;
	}
	for (guint o = 0; o < v->open->len; o++) {
		guint s = g_array_index(v->open, guint, o);
		const session *y = &g_array_index(m->sessions, session, s);
		if ((int)s == own || it->ts < y->t0 - SLACK_NS / 4)
			continue;
		int64_t key = window_key(a, y, it);
		if (better((int)s, key, y->t0, best, bk, bt))
			best = (int)s, bk = key, bt = y->t0;
	}
	if (best >= 0 && bk <= INT64_MAX - 3)
		return best;
	/* the rest (positions below p) all ended before the item: the latest
	 * started wins, one with no timestamp first (its key is lower) */
	int rest = -1;
	int64_t rk = 0, rt = 0;
	for (int pass = 0; pass < 2 && rest < 0; pass++) {
		guint q = pass ? p : started_by(m, v->by_t0, 0, 0);
		if (q > p)
			q = p;
		for (; q-- > 0;) {
			guint s = g_array_index(v->by_t0, guint, q);
			const session *y = &g_array_index(m->sessions, session, s);
			if (rest >= 0 && y->t0 < rt)
				break;
			if ((int)s == own)
				continue;
			rest = (int)s;
			rt = y->t0;
			rk = INT64_MAX - 1 - (y->t0 > 0 ? 0 : 1);
		}
	}
	if (rest >= 0 && better(rest, rk, rt, best, bk, bt))
		best = rest;
	return best;
}

/* Strong links name the user of a session whose hop-1 principal is unknown
 * (srv1's capture: the AP-REQ is encrypted): the session containing the
 * exchange, the tightest Command window first. */
static int link_session(attr_ctx *a, const srv_ix *v, const kx *x)
{
	hs_model *m = a->m;
	int best = -1;
	int64_t bw = INT64_MAX;
	guint hi = started_by(m, v->by_t0, x->ts, 0);
	for (int part = 0; part < 2; part++) {
		const GArray *l = part ? v->open : v->by_t0;
		for (guint p = part ? l->len : hi; p-- > 0;) {
			if (!part && g_array_index(v->reach, int64_t, p) < x->ts)
				break;
			guint s = g_array_index(l, guint, p);
			session *y = &g_array_index(m->sessions, session, s);
			if (y->principal[0] || y->link_user[0] || x->ts < y->t0)
				continue;
			int64_t w = cmd_window(m, y, x->ts);
			if (w == INT64_MAX && x->ts > y->t1 + SLACK_NS)
				continue;
			if (best < 0 || w < bw || (w == bw && (int)s < best)) {
				best = (int)s;
				bw = w;
			}
		}
	}
	return best;
}

/* Concurrent sessions, nothing to tell them apart: the sessions of the
 * item's server that were open when it happened (started by it, not ended
 * before it), none of them running a Command that contains it (with
 * readable bodies the Command window ties a second hop to its session), the
 * item naming no user (pass 1 and 2 tie those).  With two or more such
 * sessions the item is given to none of them: which session a second hop
 * belongs to is then a guess (two users at once with sealed bodies, lab 15
 * from srv1 alone), and the chains say so (rules.c m_ambiguous).  Returns
 * how many; their indexes in out (up to max). */
static guint concurrent_open(attr_ctx *a, const srv_ix *v, const item *it, int own, guint *out, guint max)
{
	hs_model *m = a->m;
	if (it->named_user)
		return 0;
	guint n = 0;
	guint hi = started_by(m, v->by_t0, it->ts, SLACK_NS / 4);
	for (int part = 0; part < 2; part++) {
		const GArray *l = part ? v->open : v->by_t0;
		for (guint p = part ? l->len : hi; p-- > 0;) {
			if (!part && g_array_index(v->reach, int64_t, p) < it->ts)
				break;
			guint s = g_array_index(l, guint, p);
			const session *y = &g_array_index(m->sessions, session, s);
			if ((int)s == own || it->ts < y->t0 - SLACK_NS / 4 || it->ts > y->t1)
				continue;
			if (!part && session_reach(m, y) - LONG_NS > y->t0)
				continue; /* the open list (part 1) holds it */
			if (cmd_window(m, y, it->ts) != INT64_MAX)
				return 0;
			/* a session whose second hop its user's name already ties
			 * (a forwarded TGT, S4U) is not the owner of an unnamed
			 * connection beside it: the others are (lab 15 merged) */
			if (it->is_conn && y->nconn_tied)
				continue;
			if (n < max)
				out[n] = s;
			n++;
		}
	}
	return n;
}

/* A refused item (a hop-2 connection that failed, a KDC refusal) and the
 * frame that shows it, else the item's first frame. */
static bool item_refused(hs_model *m, const item *it, hs_ref *ref)
{
	if (it->is_conn) {
		const conn *c = g_ptr_array_index(m->conns, it->index);
		const attempt *at = hsm_conn_final(c);
		bool refused = hsm_conn_result(c) == HS_RES_FAILED;
		*ref = c->tree_seen && c->tree_result == HS_RES_FAILED ? c->tree_ref : at ? at->ref : c->frames[0];
		return refused;
	}
	const kx *x = &g_array_index(m->kxs, kx, it->index);
	bool refused = x->answered && !x->ok && !x->s4u_routine;
	*ref = refused ? x->rep : x->req;
	return refused;
}

#define AMBIG_MAX 16

static void leave_ambiguous(hs_model *m, const guint *ss, guint n, const item *it)
{
	hs_ref ref;
	bool refused = item_refused(m, it, &ref);
	for (guint k = 0; k < n && k < AMBIG_MAX; k++) {
		session *y = &g_array_index(m->sessions, session, ss[k]);
		if (!y->ambig || (refused && !y->ambig_refused))
			y->ambig_ref = ref;
		y->ambig++;
		y->ambig_refused |= refused;
		if (n > y->ambig_max)
			y->ambig_max = n;
	}
}

static void take(hs_model *m, int *owner, int s, const item *it, bool tied)
{
	session *y = &g_array_index(m->sessions, session, s);
	*owner = s;
	y->nitems++;
	if (it->is_conn)
		y->nconn_items++;
	if (it->is_conn && tied)
		y->nconn_tied++;
}

/* Plain HTTP without WS-Management and without any authentication (an
 * agent's command-and-control on port 80, a download) carries nobody's
 * identity: it is no second hop. */
static bool hop2_carrier(const conn *c)
{
	return !(c->carrier == HS_CAR_HTTP && !c->winrm && !c->natt);
}

void hsm_attribute(hs_model *m)
{
	attr_ctx a;
	attr_ctx_build(&a, m);
	GArray *items = g_array_new(FALSE, TRUE, sizeof(item));
	for (guint i = 0; i < m->conns->len; i++) {
		const conn *c = g_ptr_array_index(m->conns, i);
		if (c->carrier == HS_CAR_KERBEROS || !hop2_carrier(c))
			continue;
		item it = { true, (int)i, c->t0, "", { 0, 0 }, false };
		const attempt *at = hsm_conn_final(c);
		if (at && at->principal[0])
			hsm_normalize_user(m, at->principal, it.principal, sizeof it.principal);
		g_array_append_val(items, it);
	}
	for (guint i = 0; i < m->kxs->len; i++) {
		const kx *x = &g_array_index(m->kxs, kx, i);
		item it = { false, (int)i, x->ts, "", { 0, 0 }, false };
		snprintf(it.principal, sizeof it.principal, "%s", x->principal);
		g_array_append_val(items, it);
	}
	for (guint i = 0; i < items->len; i++) {
		item *it = &g_array_index(items, item, i);
		it->key = hsm_pkey_of(m, it->principal);
		it->named_user = it->principal[0] && !hsm_is_machine(it->principal);
	}
	for (int pass = 1; pass <= 3; pass++) {
		if (pass == 2) {
			for (guint i = 0; i < m->kxs->len; i++) {
				const kx *x = &g_array_index(m->kxs, kx, i);
				const srv_ix *v = g_hash_table_lookup(a.servers, &x->c);
				if (x->owner >= 0 || !(x->s4u || x->tgt_forwarded) || !v)
					continue;
				int s = link_session(&a, v, x);
				if (s >= 0)
					snprintf(g_array_index(m->sessions, session, s).link_user, HS_NAME_MAX, "%s",
						 x->s4u ? x->s4u_user : x->tgt_owner);
			}
			attr_ctx_links(&a);
		}
		for (guint i = 0; i < items->len; i++) {
			const item *it = &g_array_index(items, item, i);
			const conn *c = it->is_conn ? g_ptr_array_index(m->conns, it->index) : NULL;
			kx *x = it->is_conn ? NULL : &g_array_index(m->kxs, kx, it->index);
			int *owner = c ? &((conn *)c)->owner : &x->owner;
			const srv_ix *v = g_hash_table_lookup(a.servers, c ? &c->c : &x->c);
			if (*owner >= 0 || !v)
				continue;
			/* a session's own hop-1 connection is never its hop 2 (client
			 * and server on one address: a loopback capture) */
			int own = c ? c->session : -1, best;
			if (pass == 1) {
				/* identity link: the latest session of that user before it */
				best = latest_of_user(&a, g_hash_table_lookup(v->by_user, GUINT_TO_POINTER(it->key.user)),
						      a.pk, it, own);
			} else if (pass == 2) {
				/* the same for the users the links named */
				best = latest_of_user(&a, g_hash_table_lookup(v->by_link, GUINT_TO_POINTER(it->key.user)),
						      a.lk, it, own);
			} else {
				guint cand[AMBIG_MAX];
				guint nc = concurrent_open(&a, v, it, own, cand, AMBIG_MAX);
				if (nc >= 2) {
					leave_ambiguous(m, cand, nc, it);
					continue;
				}
				best = by_window(&a, v, it, own);
			}
			if (best >= 0)
				take(m, owner, best, it, pass < 3);
		}
	}
	g_array_free(items, TRUE);
	attr_ctx_free(&a);
}

