/* model_finish.c - retirement and the finish (see model.h): settled sessions
 * leave the working tables as chains, retired chains are streamed, kept or
 * stored out of memory, the memory budget is shared with the engine, and
 * hs_model_finish() builds the rest, orders, numbers and judges every chain
 * (rules.h). */
#include "model_int.h"

#include "chain_store.h"
#include "engine.h"
#include "rules.h"

/* ------------------------------------------------------------------ */
/* retirement: settled sessions leave the working tables */

/* Everything whose last evidence is older than cut, minus what a session
 * still open may claim (the items from SLACK_NS before the earliest
 * connection still active on), is built into chains now, as the finish
 * would, in a model of its own that shares the tickets, hosts and NetBIOS
 * domains learned so far; the chains wait in m->chains for the finish (which
 * judges, numbers and filters all of them together) and the working state
 * is freed.  A session settled this way takes no later evidence: what
 * comes after the settle window starts a new chain. */
#define TICKET_LIFE_NS (10 * 3600 * 1000000000LL)

static gboolean ticket_expired(gpointer k, gpointer v, gpointer ud)
{
	(void)k;
	return ((const ticket *)v)->ts < *(const int64_t *)ud;
}

static void keep_retired(hs_model *m, GArray *built);

/* force: the memory budget's eviction (evict_oldest), the connections still
 * active before cut are retired too */
static uint64_t retire(hs_model *m, int64_t cut, bool force)
{
	for (guint i = 0; i < m->conns->len && !force; i++) {
		const conn *c = g_ptr_array_index(m->conns, i);
		if (c->t1 >= cut && c->t0 - SLACK_NS < cut)
			cut = c->t0 - SLACK_NS;
	}
	hs_model *sub = hs_model_new(&m->cfg);
	GPtrArray *keep = g_ptr_array_new_with_free_func(g_free);
	for (guint i = 0; i < m->conns->len; i++) {
		conn *c = g_ptr_array_index(m->conns, i);
		if (c->t1 < cut || (force && c->t0 < cut)) {
			g_hash_table_remove(m->conn_by_flow, &c->flow_id);
			g_ptr_array_add(sub->conns, c);
		} else {
			g_ptr_array_add(keep, c);
		}
	}
	g_ptr_array_set_free_func(m->conns, NULL);
	g_ptr_array_free(m->conns, TRUE);
	m->conns = keep;
	/* KDC exchanges: kx_pending holds index + 1 */
	/* compacted in place: a second array of the exchanges in the settle
	 * window would double the model's largest table at every retirement */
	guint *to = g_new(guint, m->kxs->len + 1), nkept = 0, nsub = 0;
	for (guint i = 0; i < m->kxs->len; i++)
		nsub += g_array_index(m->kxs, kx, i).ts < cut;
	g_array_set_size(sub->kxs, nsub);
	nsub = 0;
	for (guint i = 0; i < m->kxs->len; i++) {
		const kx *x = &g_array_index(m->kxs, kx, i);
		if (x->ts < cut) {
			g_array_index(sub->kxs, kx, nsub++) = *x;
			to[i] = 0;
		} else {
			if (nkept != i)
				g_array_index(m->kxs, kx, nkept) = *x;
			to[i] = ++nkept;
		}
	}
	GHashTableIter it;
	gpointer k, v;
	g_hash_table_iter_init(&it, m->kx_pending);
	while (g_hash_table_iter_next(&it, &k, &v)) {
		guint n = to[GPOINTER_TO_SIZE(v) - 1];
		if (n)
			g_hash_table_iter_replace(&it, GSIZE_TO_POINTER((gsize)n));
		else
			g_hash_table_iter_remove(&it);
	}
	g_free(to);
	g_array_set_size(m->kxs, nkept);
	uint64_t gone = sub->conns->len + sub->kxs->len;
	if (sub->conns->len || sub->kxs->len) {
		GHashTable *own[3] = { sub->tickets, sub->hosts, sub->nbmap };
		sub->tickets = m->tickets;
		sub->hosts = m->hosts;
		sub->nbmap = m->nbmap;
		memcpy(sub->vp, m->vp, sizeof sub->vp);
		sub->parent = m;
		hsm_build_chains(sub);
		keep_retired(m, sub->chains);
		m->caps.chains += sub->caps.chains;
		m->caps.tickets += sub->caps.tickets;
		m->caps.hosts += sub->caps.hosts;
		m->dropped += sub->dropped;
		sub->tickets = own[0];
		sub->hosts = own[1];
		sub->nbmap = own[2];
	}
	hs_model_free(sub);
	/* a ticket outlives its session, not its lifetime: MS-KILE 3.3.1 (MaxTicketAge, 10 hours by default) */
	int64_t expired = cut - TICKET_LIFE_NS;
	g_hash_table_foreach_remove(m->tickets, ticket_expired, &expired);
	return gone;
}

/* Called with the time of each message: retires what settled, at most
 * every quarter of the settle window (of capture time). */
void hsm_maybe_retire(hs_model *m, int64_t t)
{
	if (!m->cfg.settle_ns || !t)
		return;
	if (!m->next_retire)
		m->next_retire = t + m->cfg.settle_ns;
	if (t < m->next_retire)
		return;
	m->next_retire = t + m->cfg.settle_ns / 4;
	retire(m, t - m->cfg.settle_ns, false);
}

/* ------------------------------------------------------------------ */
/* retired chains: kept, stored out of memory, streamed */

/* Cross-chain trust (hs_rules_delegates, hs_rules_trust): the chains of
 * each first server that delegated a forwarded TGT, counted by s_ip. */
static GHashTable *trust_new(void)
{
	return g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
}

static void count_delegation(GHashTable *t, const hs_chain *c)
{
	if (!hs_rules_delegates(&c->facts))
		return;
	guint n = GPOINTER_TO_UINT(g_hash_table_lookup(t, c->facts.s_ip));
	g_hash_table_replace(t, g_strdup(c->facts.s_ip), GUINT_TO_POINTER(n + 1));
}

static void apply_trust(GHashTable *t, hs_chain *c)
{
	hs_rules_trust(&c->facts, GPOINTER_TO_UINT(g_hash_table_lookup(t, c->facts.s_ip)));
}

/* Judge each newly retired chain with what is known so far (trust from the
 * chains retired before it and with it) and hand it to on_retired.  The
 * stored chain stays unjudged: the finish judges every chain again with the
 * whole input's trust, and numbers them. */
static void stream_retired(hs_model *m, GArray *built)
{
	if (!m->delegating)
		m->delegating = trust_new();
	for (guint i = 0; i < built->len; i++)
		count_delegation(m->delegating, &g_array_index(built, hs_chain, i));
	hs_chain *ch = g_new(hs_chain, 1);
	for (guint i = 0; i < built->len; i++) {
		*ch = g_array_index(built, hs_chain, i);
		apply_trust(m->delegating, ch);
		if (m->filter)
			m->filter(m->filter_ud, ch);
		hs_rules_diagnose(&ch->facts, &ch->diag);
		m->on_retired(m->on_retired_ud, ch);
	}
	g_free(ch);
}

/* The in-memory chains into the store (in their order); false when the
 * store cannot be had. */
static bool spill_chains(hs_model *m)
{
	if (!m->store)
		m->store = hs_chain_store_new();
	if (!m->store)
		return false;
	guint kept = 0;
	for (guint i = 0; i < m->chains->len; i++) {
		const hs_chain *c = &g_array_index(m->chains, hs_chain, i);
		if (!hs_chain_store_put(m->store, c, 0))
			g_array_index(m->chains, hs_chain, kept++) = *c; /* disk full: stays in memory */
	}
	if (!kept) {
		g_array_free(m->chains, TRUE); /* its capacity too */
		m->chains = g_array_new(FALSE, TRUE, sizeof(hs_chain));
	} else {
		g_array_set_size(m->chains, kept);
	}
	return true;
}

/* Chains built by retire(): streamed (on_retired), then kept in m->chains
 * until there are more than spill_after, in the store after that; streamed
 * ones always go to the store (a live snapshot copies m->chains, and must
 * not judge them again). */
static void keep_retired(hs_model *m, GArray *built)
{
	m->retired_chains += built->len;
	if (m->on_retired)
		stream_retired(m, built);
	bool spill = m->on_retired || m->store || (m->cfg.spill_after && m->chains->len + built->len > m->cfg.spill_after);
	if (spill && spill_chains(m)) {
		for (guint i = 0; i < built->len; i++) {
			const hs_chain *c = &g_array_index(built, hs_chain, i);
			if (!hs_chain_store_put(m->store, c, m->on_retired ? STORED_STREAMED : 0))
				g_array_append_val(m->chains, *c);
		}
	} else {
		g_array_append_vals(m->chains, built->data, built->len);
	}
	m->cache_at = 0;
}

/* The finish of a model whose chains are in the store: the same order
 * (by first hop's start, stable), trust, numbering, the chain filter and diagnosis
 * as the in-memory finish, one chain in memory at a time; each judged chain
 * replaces its record. */
static void finish_stored(hs_model *m)
{
	spill_chains(m);
	if (m->chains->len) { /* the disk is full: what could not be stored is not reported, and said so */
		for (guint i = 0; i < m->chains->len; i++)
			hsm_cap_hit(m, &m->caps.chains);
		g_array_set_size(m->chains, 0);
	}
	hs_chain_store_sort(m->store);
	size_t n = hs_chain_store_count(m->store);
	GHashTable *deleg = trust_new();
	hs_chain *ch = g_new(hs_chain, 1);
	for (size_t i = 0; i < n; i++)
		if (hs_chain_store_get(m->store, i, ch))
			count_delegation(deleg, ch);
	for (size_t i = 0; i < n; i++) {
		hs_chain_store_get(m->store, i, ch);
		apply_trust(deleg, ch);
		ch->id = (unsigned)(i + 1);
		if (m->filter)
			m->filter(m->filter_ud, ch);
		hs_rules_diagnose(&ch->facts, &ch->diag);
		hs_chain_store_set(m->store, i, ch);
	}
	g_free(ch);
	g_hash_table_destroy(deleg);
	m->cache_at = 0;
}

/* During build_chains, with spill_after: the chains built so far leave
 * memory (retire()'s model hands them to its parent, the finish's go to the
 * store), so that however many sessions settle at once only spill_after
 * chains are in memory.  True when m->chains is empty after it. */
bool hsm_flush_built(hs_model *m)
{
	if (m->parent) {
		keep_retired(m->parent, m->chains);
		g_array_set_size(m->chains, 0);
		return true;
	}
	return spill_chains(m) && !m->chains->len;
}

void hs_model_set_retired_sink(hs_model *m, hs_model_retired_fn fn, void *ud)
{
	m->on_retired = fn;
	m->on_retired_ud = ud;
}

/* ------------------------------------------------------------------ */
/* the memory budget */

#define ENTRY_COST 48 /* a GHashTable entry: hash, key and value slots, and the table's slack */

/* What the model holds, by its tables' sizes (O(1)). */
static size_t model_bytes(const hs_model *m)
{
	return m->conns->len * (sizeof(conn) + sizeof(void *) + ENTRY_COST) + m->kxs->len * sizeof(kx) +
	       g_hash_table_size(m->kx_pending) * (ENTRY_COST + sizeof(uint64_t)) +
	       g_hash_table_size(m->tickets) * (sizeof(ticket) + ENTRY_COST) +
	       g_hash_table_size(m->hosts) * (sizeof(host) + ENTRY_COST) +
	       g_hash_table_size(m->names) * (ENTRY_COST + HS_NAME_MAX / 4) +
	       m->chains->len * sizeof(hs_chain) + hs_chain_store_mem(m->store) +
	       (m->delegating ? g_hash_table_size(m->delegating) * (ENTRY_COST + 16) : 0);
}

void hs_model_set_budget(hs_model *m, hs_engine *e)
{
	m->budget = e;
	m->charged = model_bytes(m);
	hs_engine_account(e, (ssize_t)m->charged);
}

/* Over the budget: the older half (by capture time) of the working state
 * is settled now, open or not, and its chains built with the evidence seen
 * so far; chains in memory go to the store. */
static void evict_oldest(hs_model *m, int64_t t)
{
	int64_t oldest = t;
	for (guint i = 0; i < m->conns->len; i++)
		oldest = MIN(oldest, ((const conn *)g_ptr_array_index(m->conns, i))->t0);
	for (guint i = 0; i < m->kxs->len; i++)
		oldest = MIN(oldest, g_array_index(m->kxs, kx, i).ts);
	m->caps.memory++;
	m->evicted += retire(m, oldest + (t - oldest) / 2 + 1, true);
	if (m->chains->len)
		spill_chains(m);
}

/* After each message: the model's bytes counted with the engine's flows
 * and buffers (hs_model_set_budget); when together they pass the budget and
 * the model holds more than a quarter of it, the model gives up its oldest
 * state (the engine evicts flows for the rest). */
void hsm_budget_check(hs_model *m, int64_t t)
{
	if (!m->budget)
		return;
	size_t now = model_bytes(m);
	hs_engine_account(m->budget, (ssize_t)now - (ssize_t)m->charged);
	m->charged = now;
	const hs_engine *e = m->budget;
	if (!t || e->st.buffered_bytes <= e->cfg.max_total_buffer || now <= e->cfg.max_total_buffer / 4)
		return;
	evict_oldest(m, t);
	now = model_bytes(m);
	hs_engine_account(m->budget, (ssize_t)now - (ssize_t)m->charged);
	m->charged = now;
}

void hs_model_set_chain_filter(hs_model *m, hs_chain_filter_fn fn, void *ud)
{
	m->filter = fn;
	m->filter_ud = ud;
}

void hs_model_finish(hs_model *m)
{
	if (m->finished)
		return;
	m->finished = true;
	hsm_build_chains(m);
	if (m->chains->len > 1)
		qsort(m->chains->data, m->chains->len, sizeof(hs_chain), hsm_chain_cmp);
	/* A server that delegated someone's forwarded TGT in this capture is
	 * trusted for delegation: another user's missing TGT is then the
	 * client's choice, not the server's configuration. */
	if (m->store) {
		finish_stored(m);
		return;
	}
	GHashTable *deleg = trust_new();
	for (guint i = 0; i < m->chains->len; i++)
		count_delegation(deleg, &g_array_index(m->chains, hs_chain, i));
	for (guint i = 0; i < m->chains->len; i++)
		apply_trust(deleg, &g_array_index(m->chains, hs_chain, i));
	g_hash_table_destroy(deleg);
	for (guint i = 0; i < m->chains->len; i++) {
		hs_chain *ch = &g_array_index(m->chains, hs_chain, i);
		ch->id = i + 1;
		if (m->filter)
			m->filter(m->filter_ud, ch);
		hs_rules_diagnose(&ch->facts, &ch->diag);
	}
}

