/* model_store.c - the model's tables (see model.h, model_int.h): creating,
 * freeing and copying them, the counts model.h exposes, the small helpers
 * every file of the model shares, and the interned names the finish
 * compares instead of formatting and case-folding strings in its loops.
 * Bounded: each table has its cap (hs_model_config), and what a cap refused
 * is counted (hsm_cap_hit). */
#include "model_int.h"

#include "chain_store.h"
#include "redact.h"

#include <ctype.h>
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

