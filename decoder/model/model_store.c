/* model_store.c - the model's tables (see model.h, model_int.h): creating,
 * freeing and copying them, the counts model.h exposes, the small helpers
 * every file of the model shares, and the interned names the finish
 * compares instead of formatting and case-folding strings in its loops.
 * Bounded: each table has its cap (hs_model_config), and what a cap refused
 * is counted (hsm_cap_hit). */
#include "model_int.h"

#include "chain_store.h"

#include <ctype.h>
#include <stddef.h>
#include <stdlib.h>

void hs_model_config_default(hs_model_config *c)
{
	c->max_conns = 65536;
	c->max_kdc = 65536;
	c->max_tickets = 65536;
	c->max_hosts = 16384;
	c->max_chains = 4096;
	c->settle_ns = 300 * 1000000000LL;
	c->spill_after = 0;
}

static void ticket_free(gpointer p)
{
	g_free(p);
}

hs_model *hs_model_new(const hs_model_config *cfg)
{
	hs_model *m = g_new0(hs_model, 1);
	if (cfg)
		m->cfg = *cfg;
	else
		hs_model_config_default(&m->cfg);
	m->conns = g_ptr_array_new_with_free_func(g_free);
	m->conn_by_flow = g_hash_table_new_full(g_int64_hash, g_int64_equal, NULL, NULL);
	m->kxs = g_array_new(FALSE, TRUE, sizeof(kx));
	m->kx_pending = g_hash_table_new_full(g_int64_hash, g_int64_equal, g_free, NULL);
	m->tickets = g_hash_table_new_full(g_int64_hash, g_int64_equal, NULL, ticket_free);
	m->hosts = g_hash_table_new_full(g_str_hash, g_str_equal, NULL, g_free);
	m->nbmap = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, g_free);
	m->sessions = g_array_new(FALSE, TRUE, sizeof(session));
	m->chains = g_array_new(FALSE, TRUE, sizeof(hs_chain));
	m->names = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
	return m;
}

void hs_model_free(hs_model *m)
{
	if (!m)
		return;
	g_ptr_array_free(m->conns, TRUE);
	g_hash_table_destroy(m->conn_by_flow);
	g_array_free(m->kxs, TRUE);
	g_hash_table_destroy(m->kx_pending);
	g_hash_table_destroy(m->tickets);
	g_hash_table_destroy(m->hosts);
	g_hash_table_destroy(m->nbmap);
	g_array_free(m->sessions, TRUE);
	g_array_free(m->chains, TRUE);
	g_hash_table_destroy(m->names);
	if (m->realm_of_label)
		g_hash_table_destroy(m->realm_of_label);
	hs_chain_store_free(m->store);
	g_free(m->cache);
	if (m->delegating)
		g_hash_table_destroy(m->delegating);
	g_free(m); /* the budget's engine may be gone already: its count is left as it is */
}

/* A deep copy of the collected state (live mode finishes the copy for a
 * snapshot and keeps feeding the original).  Every table is copied with its
 * own keys: conn_by_flow and tickets are keyed by a field of their value,
 * hosts by the host's ip field. */
hs_model *hs_model_copy(const hs_model *m)
{
	if (!m || m->finished)
		return NULL;
	hs_model *c = hs_model_new(&m->cfg);
	for (guint i = 0; i < m->conns->len; i++) {
		conn *x = g_memdup2(g_ptr_array_index(m->conns, i), sizeof(conn));
		g_ptr_array_add(c->conns, x);
		g_hash_table_insert(c->conn_by_flow, &x->flow_id, x);
	}
	g_array_append_vals(c->kxs, m->kxs->data, m->kxs->len);
	GHashTableIter it;
	gpointer k, v;
	g_hash_table_iter_init(&it, m->kx_pending);
	while (g_hash_table_iter_next(&it, &k, &v))
		g_hash_table_insert(c->kx_pending, g_memdup2(k, sizeof(uint64_t)), v);
	g_hash_table_iter_init(&it, m->tickets);
	while (g_hash_table_iter_next(&it, &k, &v)) {
		ticket *t = g_memdup2(v, sizeof(ticket));
		g_hash_table_insert(c->tickets, &t->fp, t);
	}
	g_hash_table_iter_init(&it, m->hosts);
	while (g_hash_table_iter_next(&it, &k, &v)) {
		host *h = g_memdup2(v, sizeof(host));
		g_hash_table_insert(c->hosts, h->ip, h);
	}
	g_hash_table_iter_init(&it, m->nbmap);
	while (g_hash_table_iter_next(&it, &k, &v))
		g_hash_table_insert(c->nbmap, g_strdup(k), g_strdup(v));
	memcpy(c->ring, m->ring, sizeof c->ring);
	memcpy(c->vp, m->vp, sizeof c->vp);
	c->ring_at = m->ring_at;
	c->dropped = m->dropped;
	c->caps = m->caps;
	c->dups = m->dups;
	c->next_retire = m->next_retire;
	c->retired_chains = m->retired_chains;
	c->filter = m->filter;
	c->filter_ud = m->filter_ud;
	g_array_append_vals(c->chains, m->chains->data, m->chains->len); /* retired, not judged yet */
	return c;
}

size_t hs_model_chain_count(const hs_model *m)
{
	return m->chains->len + hs_chain_store_count(m->store);
}

const hs_chain *hs_model_chain(const hs_model *m, size_t i)
{
	if (i < m->chains->len)
		return &g_array_index(m->chains, hs_chain, i);
	i -= m->chains->len;
	if (i >= hs_chain_store_count(m->store))
		return NULL;
	/* read back into the model's one slot (the cache is not part of the
	 * model's observable state) */
	hs_model *w = (hs_model *)m;
	if (w->cache_at != i + 1) {
		if (!w->cache)
			w->cache = g_new0(hs_chain, 1);
		hs_chain_store_get(w->store, i, w->cache);
		w->cache_at = i + 1;
	}
	return w->cache;
}

bool hs_model_chain_streamed(const hs_model *m, size_t i)
{
	return i >= m->chains->len && (hs_chain_store_flags(m->store, i - m->chains->len) & STORED_STREAMED);
}

size_t hs_model_stored(const hs_model *m)
{
	return hs_chain_store_count(m->store);
}

size_t hs_model_bytes(const hs_model *m)
{
	return m->charged;
}

uint64_t hs_model_evicted(const hs_model *m)
{
	return m->evicted;
}

uint64_t hs_model_dropped(const hs_model *m)
{
	return m->dropped;
}

const hs_model_caps *hs_model_cap_hits(const hs_model *m)
{
	return &m->caps;
}

uint64_t hs_model_retired(const hs_model *m)
{
	return m->retired_chains;
}

size_t hs_model_ticket_count(const hs_model *m)
{
	return g_hash_table_size(m->tickets);
}

const hs_model_config *hs_model_config_of(const hs_model *m)
{
	return &m->cfg;
}

uint64_t hs_model_duplicates(const hs_model *m)
{
	return m->dups;
}

hs_model_held hs_model_held_now(const hs_model *m)
{
	hs_model_held h = { m->conns->len, m->kxs->len };
	return h;
}

/* ------------------------------------------------------------------ */
/* small helpers */

/* an item not kept: counted in dropped and against the cap that refused it */
void hsm_cap_hit(hs_model *m, uint64_t *cap)
{
	m->dropped++;
	(*cap)++;
}

void hsm_array_free(gpointer p)
{
	g_array_free(p, TRUE);
}

int64_t hsm_ts_of(const hs_meta *mt)
{
	return hs_ts_ns(mt->ts_sec, mt->ts_nsec);
}

hs_ref hsm_ref_of(const hs_meta *mt)
{
	hs_ref r = { mt->input, mt->frame };
	return r;
}

bool hsm_addr_eq(const hs_addr *a, const hs_addr *b)
{
	if (a->family != b->family)
		return false;
	return memcmp(a->a, b->a, a->family == 6 ? 16 : 4) == 0;
}

void hsm_lower(char *s)
{
	for (; *s; s++)
		*s = (char)tolower((unsigned char)*s);
}

void hsm_upper(char *s)
{
	for (; *s; s++)
		*s = (char)toupper((unsigned char)*s);
}

/* FNV-1a: a fingerprint of cipher text, to recognise the same ticket where
 * it appears again (KDC-REP -> AP-REQ / PA-TGS-REQ / additional-tickets). */
uint64_t hsm_fnv(uint64_t h, const void *p, size_t n)
{
	const uint8_t *b = p;
	if (!h)
		h = 0xcbf29ce484222325ULL;
	for (size_t i = 0; i < n; i++) {
		h ^= b[i];
		h *= 0x100000001b3ULL;
	}
	return h;
}

guint hsm_addr_hash(gconstpointer p)
{
	const hs_addr *a = p;
	return (guint)hsm_fnv(hsm_fnv(0, &a->family, 1), a->a, a->family == 6 ? 16 : 4);
}

gboolean hsm_addr_equal(gconstpointer a, gconstpointer b)
{
	return hsm_addr_eq(a, b);
}

/* "alice" + "HOP.TEST" -> "alice@HOP.TEST" (an enterprise name already
 * holding '@' keeps it). */
void hsm_principal_of(char *dst, size_t n, const char *name, const char *realm)
{
	if (!name[0]) {
		dst[0] = 0;
		return;
	}
	if (strchr(name, '@') || !realm || !realm[0])
		snprintf(dst, n, "%s", name);
	else
		snprintf(dst, n, "%s@%s", name, realm);
}

bool hsm_is_anonymous_name(const char *p)
{
	return !p[0] || strncasecmp(p, "WELLKNOWN/ANONYMOUS", 19) == 0;
}

/* Same account?  Case-insensitive user part; domains compared by their
 * first label so that the NTLM domain HOP matches the realm HOP.TEST. */
bool hsm_principal_eq(const char *a, const char *b)
{
	if (!a[0] || !b[0])
		return false;
	char ua[HS_NAME_MAX], da[HS_NAME_MAX], ub[HS_NAME_MAX], db[HS_NAME_MAX];
	hs_split_principal(a, ua, sizeof ua, da, sizeof da);
	hs_split_principal(b, ub, sizeof ub, db, sizeof db);
	if (strcasecmp(ua, ub) != 0)
		return false;
	if (!da[0] || !db[0])
		return true;
	size_t la = strcspn(da, "."), lb = strcspn(db, ".");
	return la == lb && strncasecmp(da, db, la) == 0;
}

bool hsm_is_machine(const char *p)
{
	char u[HS_NAME_MAX], d[HS_NAME_MAX];
	hs_split_principal(p, u, sizeof u, d, sizeof d);
	size_t l = strlen(u);
	return l > 1 && u[l - 1] == '$';
}

/* ------------------------------------------------------------------ */
/* interned principals: what hsm_principal_eq() compares, computed once */

static uint32_t intern(hs_model *m, char kind, const char *s, size_t n)
{
	char buf[HS_NAME_MAX + 1];
	if (n > HS_NAME_MAX - 1)
		n = HS_NAME_MAX - 1;
	buf[0] = kind;
	for (size_t i = 0; i < n; i++)
		buf[i + 1] = (char)tolower((unsigned char)s[i]);
	buf[n + 1] = 0;
	gpointer v = g_hash_table_lookup(m->names, buf);
	if (v)
		return GPOINTER_TO_UINT(v);
	uint32_t id = g_hash_table_size(m->names) + 1;
	g_hash_table_insert(m->names, g_strdup(buf), GUINT_TO_POINTER(id));
	return id;
}

pkey hsm_pkey_of(hs_model *m, const char *p)
{
	pkey k = { 0, 0 };
	if (!p[0])
		return k;
	const char *bs = strchr(p, '\\'), *at = strrchr(p, '@');
	const char *u = p, *d = "";
	size_t ul = strlen(p), dl = 0;
	if (bs) {
		d = p;
		dl = (size_t)(bs - p);
		u = bs + 1;
		ul = strlen(u);
	} else if (at) {
		ul = (size_t)(at - p);
		d = at + 1;
		dl = strlen(d);
	}
	k.user = intern(m, 'u', u, ul);
	if (dl)
		k.dom = intern(m, 'd', d, strcspn(d, ".") < dl ? strcspn(d, ".") : dl);
	return k;
}

bool hsm_pkey_eq(pkey a, pkey b)
{
	return a.user && a.user == b.user && (!a.dom || !b.dom || a.dom == b.dom);
}

void hsm_conn_frame(conn *c, const hs_meta *mt)
{
	if (c->nframes && c->frames[c->nframes - 1].input == mt->input && c->frames[c->nframes - 1].frame == mt->frame)
		return;
	if (c->nframes < HS_HOP_FRAMES)
		c->frames[c->nframes++] = hsm_ref_of(mt);
	else
		c->frames[HS_HOP_FRAMES - 1] = hsm_ref_of(mt); /* keep the latest as the last one */
}

attempt *hsm_att_new(conn *c, hs_auth auth, const hs_meta *mt)
{
	if (c->natt == CONN_ATT) {
		memmove(&c->att[0], &c->att[1], sizeof(attempt) * (CONN_ATT - 1));
		c->natt--;
	}
	attempt *a = &c->att[c->natt++];
	memset(a, 0, sizeof *a);
	a->auth = auth;
	a->ref = hsm_ref_of(mt);
	a->ts = hsm_ts_of(mt);
	a->fwd_kx = -1;
	return a;
}

attempt *hsm_att_last(conn *c)
{
	return c->natt ? &c->att[c->natt - 1] : NULL;
}


/* ------------------------------------------------------------------ */
/* observations in (model_obs.h): the tables they change */

hs_obs *hs_obs_add(hs_obs_msg *o, hs_obs_kind kind)
{
	if (o->n >= HS_OBS_MAX)
		return NULL;
	/* only the record's own member is cleared: a KDC record is 20 times an
	 * outcome, and a message builds one or two records */
	static const size_t size[] = { [HS_OBS_CONN] = sizeof(hs_obs_conn), [HS_OBS_AUTH] = sizeof(hs_obs_auth),
				       [HS_OBS_OUTCOME] = sizeof(hs_obs_outcome), [HS_OBS_HOST] = sizeof(hs_obs_host),
				       [HS_OBS_DOMAIN] = sizeof(hs_obs_domain), [HS_OBS_KDC] = sizeof(hs_obs_kdc) };
	hs_obs *x = &o->rec[o->n++];
	memset(x, 0, offsetof(hs_obs, u) + ((unsigned)kind <= HS_OBS_KDC ? size[kind] : sizeof x->u));
	x->kind = kind;
	return x;
}

static void vantage_see(hs_model *m, const hs_meta *mt)
{
	if (mt->input >= VANTAGE_INPUTS)
		return;
	vantage *v = &m->vp[mt->input];
	if (!v->n++) {
		v->cand[0] = mt->src;
		v->cand[1] = mt->dst;
		v->alive[0] = v->alive[1] = true;
		return;
	}
	for (int i = 0; i < 2; i++)
		if (v->alive[i] && !hsm_addr_eq(&v->cand[i], &mt->src) && !hsm_addr_eq(&v->cand[i], &mt->dst))
			v->alive[i] = false;
}

bool hsm_observe_begin(hs_model *m, const hs_meta *mt)
{
	if (m->finished)
		return false;
	vantage_see(m, mt);
	hsm_maybe_retire(m, hsm_ts_of(mt));
	hsm_budget_check(m, hsm_ts_of(mt)); /* what the messages before this one added */
	return true;
}

bool hsm_conn_saw_known(const hs_model *m, uint64_t flow_id)
{
	const conn *c = g_hash_table_lookup(m->conn_by_flow, &flow_id);
	return c && c->saw[0];
}

static conn *conn_get(hs_model *m, const hs_obs_msg *o)
{
	const hs_meta *mt = &o->meta;
	uint64_t id = mt->flow_id;
	conn *c = g_hash_table_lookup(m->conn_by_flow, &id);
	if (c) {
		int64_t t = hsm_ts_of(mt);
		if (t > c->t1)
			c->t1 = t;
		return c;
	}
	if (m->conns->len >= m->cfg.max_conns) {
		hsm_cap_hit(m, &m->caps.conns);
		return NULL;
	}
	c = g_new0(conn, 1);
	c->flow_id = id;
	if (mt->dir == 0) {
		c->c = mt->src;
		c->s = mt->dst;
		c->cport = mt->sport;
		c->sport = mt->dport;
	} else {
		c->c = mt->dst;
		c->s = mt->src;
		c->cport = mt->dport;
		c->sport = mt->sport;
	}
	c->carrier = o->carrier;
	c->t0 = c->t1 = hsm_ts_of(mt);
	c->session = c->owner = -1;
	g_ptr_array_add(m->conns, c);
	g_hash_table_insert(m->conn_by_flow, &c->flow_id, c);
	return c;
}

static void apply_conn(conn *c, const hs_meta *mt, const hs_obs_conn *r)
{
	int64_t t = hsm_ts_of(mt);
	if (r->flags & HS_OBS_DELEG_FLAG)
		c->deleg_flag = true;
	if (r->flags & HS_OBS_TLS)
		c->tls = true;
	if (r->sni[0] && !c->sni[0])
		snprintf(c->sni, sizeof c->sni, "%s", r->sni);
	if (r->flags & HS_OBS_OFFERS) {
		c->offers_seen = true;
		snprintf(c->offers, sizeof c->offers, "%s", r->offers);
		if (r->credssp_offered)
			c->credssp_offered = true;
	}
	if (r->flags & HS_OBS_WINRM) {
		if (c->carrier == HS_CAR_HTTP || c->carrier == HS_CAR_OTHER) /* TLS: found by a probe (443) */
			c->carrier = c->tls ? HS_CAR_WINRM_HTTPS : HS_CAR_WINRM_HTTP;
		c->winrm = true;
		if (r->shell_id[0] && !c->shell_id[0])
			snprintf(c->shell_id, sizeof c->shell_id, "%s", r->shell_id);
	}
	if (r->flags & HS_OBS_CMD_START) {
		if (c->ncmd < CONN_CMDWIN) {
			c->cmd[c->ncmd].a = t;
			c->cmd[c->ncmd].b = INT64_MAX;
			c->ncmd++;
			c->cmd_open = true;
		}
	} else if ((r->flags & HS_OBS_CMD_END) && c->cmd_open && c->ncmd) {
		c->cmd[c->ncmd - 1].b = t;
		c->cmd_open = false;
	}
	if (r->flags & HS_OBS_TREE) {
		c->tree_seen = true;
		c->tree_result = r->tree_result;
		c->tree_status = r->tree_status;
		c->tree_ref = hsm_ref_of(mt);
	}
	if ((r->flags & HS_OBS_CLOCK) && !c->clock_known) {
		c->clock_known = true;
		c->clock_offset_ns = r->server_time_ns - hsm_ts_of(mt);
		c->clock_ref = hsm_ref_of(mt);
	}
	if (r->flags & HS_OBS_FRAME)
		hsm_conn_frame(c, mt);
	if ((r->flags & HS_OBS_SAW) && !c->saw[0] && r->saw[0]) {
		snprintf(c->saw, sizeof c->saw, "%s", r->saw);
		c->saw_ref = hsm_ref_of(mt);
	}
}

/* --keytab: what the decrypted ticket and authenticator say */
static void auth_decrypted(attempt *a, const hs_obs_auth *r)
{
	if (!r->dec_ticket)
		return;
	snprintf(a->principal, sizeof a->principal, "%s", r->principal);
	a->dec_ticket = true;
	a->ok_as_delegate = r->ok_as_delegate;
	a->dec_auth = r->dec_auth;
	a->deleg = r->deleg;
	a->krb_cred = r->krb_cred;
}

/* A token inside the CredSSP attempt: its own authentication */
static void apply_inner(hs_model *m, conn *c, const hs_obs_auth *r)
{
	attempt *a = hsm_att_last(c);
	if (!a || a->auth != HS_AUTH_CREDSSP)
		return;
	if (r->spnego_deleg)
		c->deleg_flag = true;
	if (r->auth == HS_AUTH_KERBEROS && !a->ticket_fp) {
		a->ticket_fp = r->ticket_fp;
		if (!a->principal[0])
			auth_decrypted(a, r);
		snprintf(a->sname, sizeof a->sname, "%s", r->sname);
		hsm_learn_spn(m, &c->s, a->sname);
	} else if (r->auth == HS_AUTH_NTLM && !a->principal[0]) {
		snprintf(a->principal, sizeof a->principal, "%s", r->principal);
	}
}

static void apply_auth(hs_model *m, conn *c, const hs_meta *mt, const hs_obs_auth *r)
{
	attempt *a = hsm_att_last(c);
	switch (r->leg) {
	case HS_OBS_LEG_INNER:
		apply_inner(m, c, r);
		return;
	case HS_OBS_LEG_NEW:
		a = hsm_att_new(c, r->auth, mt);
		break;
	case HS_OBS_LEG_FINISH: {
		hs_auth kind = r->auth == HS_AUTH_ANONYMOUS ? HS_AUTH_NTLM : r->auth;
		if (!a || a->auth != kind || a->final_sent)
			a = hsm_att_new(c, kind, mt);
		a->ref = hsm_ref_of(mt);
		a->auth = r->auth;
		break;
	}
	case HS_OBS_LEG_RESUME:
		if (r->auth == HS_AUTH_CREDSSP)
			c->credssp_asked = true;
		if (!a || a->auth != r->auth || a->result != HS_RES_UNKNOWN) {
			a = hsm_att_new(c, r->auth, mt);
			hsm_conn_frame(c, mt);
		}
		a->final_sent = a->final_sent || r->final;
		a->last_401 = false;
		return;
	}
	if (r->final)
		a->final_sent = true;
	snprintf(a->principal, sizeof a->principal, "%s", r->principal);
	a->ticket_fp = r->ticket_fp;
	a->tgt_by_size = r->tgt_by_size;
	if (r->sname[0])
		snprintf(a->sname, sizeof a->sname, "%s", r->sname);
	auth_decrypted(a, r);
	if (r->sname[0])
		hsm_learn_spn(m, &c->s, a->sname);
	if (r->frame)
		hsm_conn_frame(c, mt);
}

static bool outcome_applies(const attempt *a, const hs_obs_outcome *r)
{
	if (r->of != HS_AUTH_UNKNOWN && a->auth != r->of)
		return false;
	bool final = a->final_sent || (r->ntlm_final && a->auth == HS_AUTH_NTLM);
	switch (r->when) {
	case HS_OBS_UNDECIDED:
		return a->result == HS_RES_UNKNOWN;
	case HS_OBS_FINAL_UNDECIDED:
		return final && a->result == HS_RES_UNKNOWN;
	case HS_OBS_FINAL_NOT_OK:
		return a->final_sent && a->result != HS_RES_OK;
	default:
		return true;
	}
}

static void apply_outcome(conn *c, const hs_meta *mt, const hs_obs_outcome *r)
{
	attempt *a = hsm_att_last(c);
	if (!a && r->open)
		a = hsm_att_new(c, HS_AUTH_UNKNOWN, mt);
	bool applied = false;
	if (a && r->challenge && a->auth == HS_AUTH_CREDSSP)
		a->last_401 = true;
	if (a && r->result != HS_RES_UNKNOWN && outcome_applies(a, r)) {
		applied = true;
		a->result = r->result;
		if (r->status)
			a->status = r->status;
		if (r->has_krb_error)
			a->krb_error = r->krb_error;
		if (r->result == HS_RES_OK && r->anonymous)
			a->auth = HS_AUTH_ANONYMOUS;
		if (r->result == HS_RES_FAILED && r->credssp && a->auth == HS_AUTH_CREDSSP) {
			c->credssp_failed = true;
			if (r->credssp_status)
				c->credssp_status = r->credssp_status;
		}
	}
	if (r->frame == HS_OBS_FRAME_ALWAYS || (r->frame == HS_OBS_FRAME_APPLIED && applied))
		hsm_conn_frame(c, mt);
}

static void apply_domain(hs_model *m, const hs_obs_domain *r)
{
	if (r->netbios[0] && r->dns[0] && g_hash_table_size(m->nbmap) < 256)
		g_hash_table_replace(m->nbmap, g_strdup(r->netbios), g_strdup(r->dns));
}

/* The same datagram captured on two hosts reaches the model twice (TCP is
 * de-duplicated by reassembly already). */
static bool kdc_duplicate(hs_model *m, uint64_t fp, int64_t t)
{
	for (unsigned i = 0; i < DEDUP_RING; i++) {
		if (m->ring[i].fp == fp && m->ring[i].ts && t - m->ring[i].ts < DEDUP_NS && m->ring[i].ts - t < DEDUP_NS)
			return true;
	}
	m->ring[m->ring_at].fp = fp;
	m->ring[m->ring_at].ts = t ? t : 1;
	m->ring_at = (m->ring_at + 1) % DEDUP_RING;
	return false;
}

/* A request opens an exchange on its flow; the reply (or KRB-ERROR) on that
 * flow completes it, or opens one of its own when the request was not seen. */
static kx *kdc_exchange(hs_model *m, const hs_meta *mt, const hs_obs_kdc *r)
{
	uint64_t id = mt->flow_id;
	bool req = r->op == HS_OBS_KDC_REQ;
	if (!req) {
		gpointer v = g_hash_table_lookup(m->kx_pending, &id);
		if (v) {
			kx *x = &g_array_index(m->kxs, kx, GPOINTER_TO_SIZE(v) - 1);
			g_hash_table_remove(m->kx_pending, &id);
			return x;
		}
	}
	if (m->kxs->len >= m->cfg.max_kdc) {
		hsm_cap_hit(m, &m->caps.kdc);
		return NULL;
	}
	kx z;
	memset(&z, 0, sizeof z);
	z.flow_id = id;
	z.owner = z.fwd_conn = z.fwd_for = -1;
	if (req) {
		z.c = mt->src;
		z.k = mt->dst;
		z.cport = mt->sport;
		z.kport = mt->dport;
	} else {
		z.c = mt->dst;
		z.k = mt->src;
		z.cport = mt->dport;
		z.kport = mt->sport;
		z.msg = r->msg;
	}
	z.ts = hsm_ts_of(mt);
	g_array_append_val(m->kxs, z);
	if (req) {
		uint64_t *key = g_new(uint64_t, 1);
		*key = id;
		g_hash_table_replace(m->kx_pending, key, GSIZE_TO_POINTER((gsize)m->kxs->len));
	}
	return &g_array_index(m->kxs, kx, m->kxs->len - 1);
}

static void apply_kdc(hs_model *m, const hs_meta *mt, const hs_obs_kdc *r)
{
	if (kdc_duplicate(m, r->dedup_fp, hsm_ts_of(mt))) {
		m->dups++;
		return;
	}
	if (r->op == HS_OBS_KDC_OTHER)
		return;
	kx *x = kdc_exchange(m, mt, r);
	if (!x)
		return;
	if (r->op == HS_OBS_KDC_REQ) {
		x->has_req = true;
		x->req = hsm_ref_of(mt);
		x->msg = r->msg;
		x->opts = r->opts;
		snprintf(x->cname, sizeof x->cname, "%s", r->cname);
		snprintf(x->realm, sizeof x->realm, "%s", r->realm);
		snprintf(x->sname, sizeof x->sname, "%s", r->sname);
		x->preauth = r->preauth;
		x->s4u = r->s4u;
		snprintf(x->s4u_user, sizeof x->s4u_user, "%s", r->s4u_user);
		x->proxy = r->proxy;
		x->addl_fp = r->addl_fp;
		if (r->tkt_dec) {
			x->tkt_dec = true;
			x->tkt_flags = r->tkt_flags;
		}
		x->rbcd_bit = r->rbcd_bit;
		x->tgt_fp = r->tgt_fp;
		snprintf(x->tgs_client, sizeof x->tgs_client, "%s", r->tgs_client);
		x->forwarded_req = r->forwarded_req;
		if (x->msg == KX_AS_REQ && hsm_is_machine(x->cname)) {
			/* SRV1$ asking for its own TGT: the address is srv1 */
			char h[HS_NAME_MAX];
			snprintf(h, sizeof h, "%s", x->cname);
			h[strlen(h) - 1] = 0;
			hsm_host_learn(m, &x->c, h, 1);
		}
		return;
	}
	x->answered = true;
	x->rep = hsm_ref_of(mt);
	if (r->error) {
		x->ok = false;
		x->err = r->err;
		x->has_nt = r->has_nt;
		x->nt = r->nt;
		x->fast_err = r->fast_err;
	} else {
		x->ok = true;
		snprintf(x->rep_cname, sizeof x->rep_cname, "%s", r->rep_cname);
		x->rep_fp = r->rep_fp;
		if (r->tkt_dec) {
			x->tkt_dec = true;
			x->tkt_flags = r->tkt_flags;
		}
	}
	if (!x->sname[0])
		snprintf(x->sname, sizeof x->sname, "%s", r->sname);
}

void hsm_observe_records(hs_model *m, const hs_obs_msg *o)
{
	const hs_meta *mt = &o->meta;
	conn *c = NULL;
	if (o->on_conn && !(c = conn_get(m, o)))
		return;
	for (unsigned i = 0; i < o->n && i < HS_OBS_MAX; i++) {
		const hs_obs *r = &o->rec[i];
		switch (r->kind) {
		case HS_OBS_CONN:
			if (c)
				apply_conn(c, mt, &r->u.conn);
			break;
		case HS_OBS_AUTH:
			if (c)
				apply_auth(m, c, mt, &r->u.auth);
			break;
		case HS_OBS_OUTCOME:
			if (c)
				apply_outcome(c, mt, &r->u.outcome);
			break;
		case HS_OBS_HOST:
			if (c && r->u.host.account)
				hsm_host_account_learn(m, r->u.host.client ? &c->c : &c->s, r->u.host.name);
			else if (c)
				hsm_host_learn(m, r->u.host.client ? &c->c : &c->s, r->u.host.name, r->u.host.score);
			break;
		case HS_OBS_DOMAIN:
			apply_domain(m, &r->u.domain);
			break;
		case HS_OBS_KDC:
			if (!c)
				apply_kdc(m, mt, &r->u.kdc);
			break;
		}
	}
}

void hs_model_observe(hs_model *m, const hs_obs_msg *o)
{
	if (hsm_observe_begin(m, &o->meta))
		hsm_observe_records(m, o);
}
