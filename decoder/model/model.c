/* model.c - the correlation model (see model.h).
 *
 * Two phases.  While the engine runs, hs_model_sink() copies the few facts
 * each message carries into bounded tables (connections, KDC exchanges,
 * tickets, hosts).  At the end, hs_model_finish() resolves identities
 * through the ticket table, groups WinRM connections into hop-1 sessions,
 * attributes what each hop-1 server did next to one session (identity links
 * first, then the WinRM Command window that contains it), and asks the rules
 * for a diagnosis.
 */
#include "model.h"
#include "chain_store.h"
#include "engine.h"
#include "psrp_winrm.h"
#include "redact.h"
#include "krb5_dec.h"

#include <ctype.h>
#include <glib.h>
#include <stdio.h>
#include <stdlib.h>

/* Every text field is fixed-size on purpose (bounded memory): truncating a
 * very long name is the intended behaviour, not a bug. */
#if defined(__GNUC__) && !defined(__clang__) /* a GCC-only warning */
#pragma GCC diagnostic ignored "-Wformat-truncation"
#endif
#include <string.h>
#include <strings.h>

#include "credssp.h"
#include "dcerpc.h"
#include "gss.h"
#include "http.h"
#include "krb5.h"
#include "ldap.h"
#include "ntlm.h"
#include "protos.h"
#include "rules.h"
#include "smb2.h"
#include "tds.h"
#include "winrm.h"

#define CONN_ATT 6        /* authentication attempts kept per connection */
#define CONN_CMDWIN 16    /* WinRM Command windows kept per connection */
#define SESS_CONNS 32     /* connections grouped into one hop-1 session */
#define DEDUP_RING 1024   /* recent Kerberos PDUs remembered for de-duplication */
#define DEDUP_NS 2000000000LL
#define HOST_NAMES 4
#define SLACK_NS 2000000000LL
#define AUTH_WITH_TGT 1000       /* authenticator bytes above which it carries a forwarded TGT */
#define STORED_STREAMED 1u /* chain_store flag: handed to the on_retired sink when it retired */

/* ------------------------------------------------------------------ */
/* state */

typedef struct attempt {
	hs_auth auth;
	char principal[HS_NAME_MAX];
	uint64_t ticket_fp;          /* Kerberos: fingerprint of the AP-REQ ticket */
	char sname[HS_NAME_MAX];
	hs_result result;
	bool final_sent;             /* the client's last leg was sent (AP-REQ, NTLM AUTHENTICATE, Basic) */
	bool last_401;               /* CredSSP: the server's latest answer was a 401 (with a token) */
	uint32_t status;             /* NTSTATUS / LDAP result / HTTP status of a failure */
	int32_t krb_error;
	hs_ref ref;
	/* Kerberos with --keytab (krb5_dec.h): the ticket and authenticator */
	bool dec_ticket, ok_as_delegate, dec_auth, deleg, krb_cred;
	int64_t ts;                  /* when the attempt started */
	bool tgt_by_size;            /* Kerberos: the authenticator is large enough to carry a KRB-CRED (a TGT) */
	int fwd_kx;                  /* finish: the forwarded-TGT request tied to this AP-REQ (-1 none) */
} attempt;

typedef struct conn {
	uint64_t flow_id;
	hs_addr c, s;
	uint16_t cport, sport;
	hs_carrier carrier;
	int64_t t0, t1;
	hs_ref frames[HS_HOP_FRAMES];
	unsigned nframes;
	attempt att[CONN_ATT];
	unsigned natt;
	/* SMB */
	bool tree_seen;
	hs_result tree_result;
	uint32_t tree_status;
	hs_ref tree_ref;
	/* HTTP / WinRM */
	bool winrm, tls;
	bool credssp_asked, credssp_offered, offers_seen, credssp_failed, deleg_flag;
	uint32_t credssp_status;     /* TSRequest errorCode (NTSTATUS), 0 = none */
	char offers[96];
	char shell_id[64];
	struct {
		int64_t a, b;
	} cmd[CONN_CMDWIN];
	unsigned ncmd;
	bool cmd_open;
	char saw[HS_SAW_MAX];        /* what the hop-1 user saw: cmd stderr / fault text (first one) */
	hs_ref saw_ref;
	/* attribution */
	int session;                 /* hop-1 session this connection belongs to (-1) */
	int owner;                   /* hop-2: session it was attributed to (-1) */
} conn;

typedef struct kx {
	uint64_t flow_id;
	hs_addr c, k;
	uint16_t cport, kport;
	int64_t ts;
	hs_ref req, rep;
	bool has_req;
	int msg;                     /* HS_KRB_AS_REQ / HS_KRB_TGS_REQ */
	uint32_t opts;
	char cname[HS_NAME_MAX];     /* AS-REQ client */
	char realm[64];
	char sname[HS_NAME_MAX];
	bool s4u;
	char s4u_user[HS_NAME_MAX];
	bool proxy, rbcd_bit;
	uint64_t addl_fp, tgt_fp;
	bool preauth;
	bool forwarded_req;          /* TGS-REQ for krbtgt with the forwarded option */
	bool answered, ok;
	int32_t err;
	bool has_nt, fast_err;
	uint32_t nt;
	char rep_cname[HS_NAME_MAX];
	uint64_t rep_fp;
	char principal[HS_NAME_MAX]; /* resolved at finish: whose ticket this is */
	char tgt_owner[HS_NAME_MAX];
	bool tgt_known, tgt_forwarded;
	bool tkt_dec;                /* --keytab: the issued (S4U2Self) or evidence ticket was decrypted */
	uint32_t tkt_flags;          /* its RFC 4120 TicketFlags */
	int owner;                   /* session it was attributed to (-1) */
	int fwd_conn;                /* forwarded-TGT request: the connection whose AP-REQ carries it (-1) */
	int fwd_for;                 /* ... and the service-ticket exchange it was asked for (-1) */
	bool s4u_routine;            /* S4U2Self not followed by S4U2Proxy: the server reading the user's PAC */
} kx;

typedef struct ticket {
	uint64_t fp;
	char principal[HS_NAME_MAX];
	bool forwarded;
	hs_ref ref;
	int64_t ts;                  /* when the KDC issued it */
} ticket;

typedef struct host {
	char ip[48];
	hs_addr addr;
	struct {
		char name[HS_NAME_MAX];
		int score;
	} n[HOST_NAMES];
	unsigned nn;
} host;

typedef struct session {
	hs_addr c, s;
	char shell_id[64];
	int conns[SESS_CONNS];
	unsigned nconns;
	int64_t t0, t1;
	char principal[HS_NAME_MAX];
	hs_auth auth;
	hs_result result;
	bool inferred;               /* from the client's TGS only */
	bool s_known;                /* s is a real address */
	char s_spn_host[HS_NAME_MAX];
	int kx_index;                /* inferred: the TGS exchange */
	int nitems;
	int nconn_items;             /* hop-2 connections attributed */
	hs_carrier carrier;
	uint16_t sport;
	char link_user[HS_NAME_MAX]; /* from S4U2Self / forwarded TGT when principal unknown */
	bool unseen;                 /* hop 1 not in the input: started by server1's delegation (partial_sessions) */
	char unseen_from[128];       /* what names its user and server */
} session;

/* Where an input was captured: the addresses present in every message of
 * it (the capturing host's own, once two conversations have been seen). */
#define VANTAGE_INPUTS 16
typedef struct vantage {
	uint64_t n;                  /* messages seen */
	hs_addr cand[2];
	bool alive[2];
} vantage;

struct hs_model {
	hs_model_config cfg;
	vantage vp[VANTAGE_INPUTS];
	hs_redact *redact;           /* the output's redactor (hs_model_set_redactor), not owned */
	GPtrArray *conns;            /* conn* */
	GHashTable *conn_by_flow;    /* flow_id -> conn* */
	GArray *kxs;                 /* kx */
	GHashTable *kx_pending;      /* flow_id -> index+1 of the last unanswered request */
	GHashTable *tickets;         /* &fp -> ticket* */
	GHashTable *hosts;           /* ip string -> host* */
	GHashTable *nbmap;           /* NetBIOS domain (upper) -> DNS realm (upper) */
	struct {
		uint64_t fp;
		int64_t ts;
	} ring[DEDUP_RING];
	unsigned ring_at;
	uint64_t dropped, dups;
	hs_model_caps caps;          /* the part of dropped each cap caused */
	int64_t next_retire;         /* capture time of the next retire() (0: not yet set) */
	uint64_t retired_chains;     /* chains built by retire(), waiting in chains */
	GArray *sessions;            /* session */
	GArray *chains;              /* hs_chain */
	GHashTable *names;           /* interned names (pkey_of): kind + lower-case text -> id */
	GHashTable *realm_of_label;  /* finish: realm's first label -> realm (normalize_user) */
	bool finished;
	/* retired chains out of memory (spill_after, chain_store.h), and the one read back */
	hs_chain_store *store;
	hs_model *parent;            /* retire()'s model of the settled part: its chains go to parent's keep_retired */
	hs_chain *cache;
	size_t cache_at;             /* index + 1 of the chain in cache */
	hs_model_retired_fn on_retired;
	void *on_retired_ud;
	GHashTable *delegating;      /* s_ip -> chains retired so far that delegated a forwarded TGT */
	/* the memory budget shared with the engine (hs_model_set_budget) */
	hs_engine *budget;
	size_t charged;              /* bytes counted against it */
	uint64_t evicted;            /* connections and KDC exchanges retired early to stay within it */
};

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
static void cap_hit(hs_model *m, uint64_t *cap)
{
	m->dropped++;
	(*cap)++;
}

static void array_free(gpointer p)
{
	g_array_free(p, TRUE);
}

static int64_t ts_of(const hs_meta *mt)
{
	return hs_ts_ns(mt->ts_sec, mt->ts_nsec);
}

static hs_ref ref_of(const hs_meta *mt)
{
	hs_ref r = { mt->input, mt->frame };
	return r;
}

static bool addr_eq(const hs_addr *a, const hs_addr *b)
{
	if (a->family != b->family)
		return false;
	return memcmp(a->a, b->a, a->family == 6 ? 16 : 4) == 0;
}

static void copy_slice(char *dst, size_t n, hs_slice s)
{
	size_t k = s.len < n - 1 ? s.len : n - 1;
	for (size_t i = 0; i < k; i++) {
		uint8_t ch = s.p[i];
		dst[i] = (char)(ch < 0x20 || ch == 0x7f ? '?' : ch);
	}
	dst[k] = 0;
}

static void lower(char *s)
{
	for (; *s; s++)
		*s = (char)tolower((unsigned char)*s);
}

static void upper(char *s)
{
	for (; *s; s++)
		*s = (char)toupper((unsigned char)*s);
}

/* FNV-1a: a fingerprint of cipher text, to recognise the same ticket where
 * it appears again (KDC-REP -> AP-REQ / PA-TGS-REQ / additional-tickets). */
static uint64_t fnv(uint64_t h, const void *p, size_t n)
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

static guint addr_hash(gconstpointer p)
{
	const hs_addr *a = p;
	return (guint)fnv(fnv(0, &a->family, 1), a->a, a->family == 6 ? 16 : 4);
}

static gboolean addr_equal(gconstpointer a, gconstpointer b)
{
	return addr_eq(a, b);
}

static uint64_t ticket_fp(const hs_krb_ticket *t)
{
	if (!t->present || !t->enc.cipher.len)
		return 0;
	uint64_t h = fnv(0, t->enc.cipher.p, t->enc.cipher.len);
	return h ? h : 1;
}

static void krb_name(char *dst, size_t n, const hs_krb_name *nm)
{
	dst[0] = 0;
	if (!nm->present)
		return;
	size_t at = 0;
	for (unsigned i = 0; i < nm->n && at + 1 < n; i++) {
		if (i)
			dst[at++] = '/';
		char part[HS_NAME_MAX];
		copy_slice(part, sizeof part, nm->comp[i]);
		size_t l = strlen(part);
		if (at + l >= n)
			l = n - 1 - at;
		memcpy(dst + at, part, l);
		at += l;
	}
	dst[at] = 0;
}

/* "alice" + "HOP.TEST" -> "alice@HOP.TEST" (an enterprise name already
 * holding '@' keeps it). */
static void principal_of(char *dst, size_t n, const char *name, const char *realm)
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

static bool is_anonymous_name(const char *p)
{
	return !p[0] || strncasecmp(p, "WELLKNOWN/ANONYMOUS", 19) == 0;
}

/* Same account?  Case-insensitive user part; domains compared by their
 * first label so that the NTLM domain HOP matches the realm HOP.TEST. */
static bool principal_eq(const char *a, const char *b)
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

static bool is_machine(const char *p)
{
	char u[HS_NAME_MAX], d[HS_NAME_MAX];
	hs_split_principal(p, u, sizeof u, d, sizeof d);
	size_t l = strlen(u);
	return l > 1 && u[l - 1] == '$';
}

/* ------------------------------------------------------------------ */
/* interned principals: what principal_eq() compares, computed once */

/* A principal as two interned ids: its user part, lower case (0: no
 * principal at all), and the first label of its domain, lower case (0: no
 * domain).  pkey_eq(pkey_of(a), pkey_of(b)) == principal_eq(a, b). */
typedef struct pkey {
	uint32_t user, dom;
} pkey;

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

static pkey pkey_of(hs_model *m, const char *p)
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

static bool pkey_eq(pkey a, pkey b)
{
	return a.user && a.user == b.user && (!a.dom || !b.dom || a.dom == b.dom);
}

/* ------------------------------------------------------------------ */
/* hosts */

static host *host_get(hs_model *m, const hs_addr *a, bool create)
{
	char ip[48];
	hs_addr_str(a, ip, sizeof ip);
	host *h = g_hash_table_lookup(m->hosts, ip);
	if (h || !create)
		return h;
	if (g_hash_table_size(m->hosts) >= m->cfg.max_hosts) {
		cap_hit(m, &m->caps.hosts);
		return NULL;
	}
	h = g_new0(host, 1);
	snprintf(h->ip, sizeof h->ip, "%s", ip);
	h->addr = *a;
	g_hash_table_insert(m->hosts, h->ip, h);
	return h;
}

static bool looks_like_ip(const char *s)
{
	bool dots = true;
	for (const char *p = s; *p; p++)
		if (!isdigit((unsigned char)*p) && *p != '.')
			dots = false;
	return dots || strchr(s, ':') != NULL || s[0] == '[';
}

/* score: 3 SPN / Host header / tree path / NTLM DNS name, 1 machine account */
static void host_learn(hs_model *m, const hs_addr *a, const char *name_in, int score)
{
	char name[HS_NAME_MAX];
	snprintf(name, sizeof name, "%s", name_in);
	char *colon = strchr(name, ':');
	if (colon)
		*colon = 0;
	lower(name);
	if (!name[0] || looks_like_ip(name) || strcmp(name, "localhost") == 0)
		return;
	host *h = host_get(m, a, true);
	if (!h)
		return;
	for (unsigned i = 0; i < h->nn; i++) {
		if (strcmp(h->n[i].name, name) == 0) {
			if (score > h->n[i].score)
				h->n[i].score = score;
			return;
		}
	}
	if (h->nn < HOST_NAMES) {
		snprintf(h->n[h->nn].name, sizeof h->n[h->nn].name, "%s", name);
		h->n[h->nn].score = score;
		h->nn++;
	}
}

/* Best name: highest score, a fully qualified one preferred. */
static const char *host_name(hs_model *m, const hs_addr *a)
{
	host *h = host_get(m, a, false);
	if (!h || !h->nn)
		return "";
	int best = -1, bs = -1;
	for (unsigned i = 0; i < h->nn; i++) {
		int s = h->n[i].score * 2 + (strchr(h->n[i].name, '.') ? 1 : 0);
		if (s > bs) {
			bs = s;
			best = (int)i;
		}
	}
	return h->n[best].name;
}

/* The address of a host by name (first labels compared): NULL when unknown. */
static const host *host_by_name(hs_model *m, const char *name)
{
	if (!name[0])
		return NULL;
	size_t l = strcspn(name, ".:/");
	GHashTableIter it;
	gpointer k, v;
	const host *found = NULL;
	g_hash_table_iter_init(&it, m->hosts);
	while (g_hash_table_iter_next(&it, &k, &v)) {
		const host *h = v;
		for (unsigned i = 0; i < h->nn; i++) {
			size_t hl = strcspn(h->n[i].name, ".");
			if (hl == l && strncasecmp(h->n[i].name, name, l) == 0) {
				if (!found || h->n[i].score >= 3)
					found = h;
			}
		}
	}
	return found;
}

/* "cifs/srv2.hop.test:445@HOP.TEST" -> "srv2.hop.test" */
static void spn_host(const char *spn, char *dst, size_t n)
{
	const char *sl = strchr(spn, '/');
	snprintf(dst, n, "%s", sl ? sl + 1 : "");
	dst[strcspn(dst, ":/@")] = 0;
}

static void learn_spn(hs_model *m, const hs_addr *a, const char *sname)
{
	char h[HS_NAME_MAX];
	if (!strncasecmp(sname, "krbtgt/", 7))
		return;
	spn_host(sname, h, sizeof h);
	if (h[0])
		host_learn(m, a, h, 3);
}

/* ------------------------------------------------------------------ */
/* connections */

/* The carrier tables are the protocols' descriptors (protos.h). */
static hs_carrier carrier_of_port(uint16_t port, uint8_t ipproto)
{
	(void)ipproto;
	return hs_proto_port_carrier(port);
}

static conn *conn_get(hs_model *m, const hs_msg *msg)
{
	const hs_meta *mt = msg->meta;
	uint64_t id = mt->flow_id;
	conn *c = g_hash_table_lookup(m->conn_by_flow, &id);
	if (c) {
		int64_t t = ts_of(mt);
		if (t > c->t1)
			c->t1 = t;
		return c;
	}
	if (m->conns->len >= m->cfg.max_conns) {
		cap_hit(m, &m->caps.conns);
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
	c->carrier = carrier_of_port(c->sport, mt->ipproto);
	if (msg->proto == HS_PROTO_DCERPC)
		c->carrier = HS_CAR_DCERPC;
	c->t0 = c->t1 = ts_of(mt);
	c->session = c->owner = -1;
	g_ptr_array_add(m->conns, c);
	g_hash_table_insert(m->conn_by_flow, &c->flow_id, c);
	return c;
}

static void conn_frame(conn *c, const hs_meta *mt)
{
	if (c->nframes && c->frames[c->nframes - 1].input == mt->input && c->frames[c->nframes - 1].frame == mt->frame)
		return;
	if (c->nframes < HS_HOP_FRAMES)
		c->frames[c->nframes++] = ref_of(mt);
	else
		c->frames[HS_HOP_FRAMES - 1] = ref_of(mt); /* keep the latest as the last one */
}

static attempt *att_new(conn *c, hs_auth auth, const hs_meta *mt)
{
	if (c->natt == CONN_ATT) {
		memmove(&c->att[0], &c->att[1], sizeof(attempt) * (CONN_ATT - 1));
		c->natt--;
	}
	attempt *a = &c->att[c->natt++];
	memset(a, 0, sizeof *a);
	a->auth = auth;
	a->ref = ref_of(mt);
	a->ts = ts_of(mt);
	a->fwd_kx = -1;
	return a;
}

static attempt *att_last(conn *c)
{
	return c->natt ? &c->att[c->natt - 1] : NULL;
}

/* ------------------------------------------------------------------ */
/* tokens carried by a connection */

/* With --keytab: the hop-1 ticket names its client (EncTicketPart cname),
 * carries ok-as-delegate, and the authenticator's RFC 4121 4.1.1 checksum
 * says whether a TGT was delegated (GSS_C_DELEG_FLAG + KRB-CRED). */
static void att_decrypted(attempt *a, const hs_krb_msg *k)
{
	const hs_krb_dec *d = k->dec;
	char r[HS_NAME_MAX];
	if (!d || d->ticket.status != HS_KRB_DEC_OK || !d->ticket.cname[0])
		return;
	snprintf(r, sizeof r, "%s", d->ticket.crealm);
	upper(r);
	principal_of(a->principal, sizeof a->principal, d->ticket.cname, r);
	a->dec_ticket = true;
	a->ok_as_delegate = (d->ticket.flags & HS_KRB_TF_OK_AS_DELEGATE) != 0;
	if (d->auth.status == HS_KRB_DEC_OK) {
		a->dec_auth = true;
		a->deleg = d->auth.delegation;
		a->krb_cred = d->auth.krb_cred;
	}
}

static void on_krb_token(hs_model *m, conn *c, const hs_msg *msg, const hs_krb_msg *k)
{
	const hs_meta *mt = msg->meta;
	if (k->kind != HS_KRB_KIND_PDU)
		return;
	if (k->msg_type == HS_KRB_AP_REQ && mt->dir == 0) {
		attempt *a = att_new(c, HS_AUTH_KERBEROS, mt);
		a->ticket_fp = ticket_fp(&k->ap_req.ticket);
		krb_name(a->sname, sizeof a->sname, &k->ap_req.ticket.sname);
		a->final_sent = true;
		/* RFC 4121 4.1.1: with GSS_C_DELEG_FLAG the authenticator's
		 * checksum carries a KRB-CRED holding the TGT (a ticket of 1 KB
		 * and more, its PAC included); without it Windows' authenticators
		 * are ~440 bytes, MIT's ~190 (real captures: 1849 vs 437, lab 1638
		 * vs 189) */
		a->tgt_by_size = k->ap_req.authenticator.cipher.len > AUTH_WITH_TGT;
		att_decrypted(a, k);
		learn_spn(m, &c->s, a->sname);
		conn_frame(c, mt);
	} else if (k->msg_type == HS_KRB_AP_REP && mt->dir == 1) {
		attempt *a = att_last(c);
		if (a && a->auth == HS_AUTH_KERBEROS && a->result == HS_RES_UNKNOWN)
			a->result = HS_RES_OK;
	} else if (k->msg_type == HS_KRB_ERROR) {
		attempt *a = att_last(c);
		if (a && a->auth == HS_AUTH_KERBEROS) {
			a->result = HS_RES_FAILED;
			a->krb_error = k->error_code;
		}
		conn_frame(c, mt);
	}
}

static void on_ntlm_token(hs_model *m, conn *c, const hs_msg *msg, const hs_ntlm_msg *n)
{
	const hs_meta *mt = msg->meta;
	char buf[HS_NAME_MAX], dom[HS_NAME_MAX];
	if (n->type == 1 && mt->dir == 0) {
		att_new(c, HS_AUTH_NTLM, mt);
	} else if (n->type == 2) {
		/* CHALLENGE TargetInfo (MS-NLMP 2.2.2.1): the server's own names,
		 * and the NetBIOS -> DNS domain pair. */
		if (n->av.dns_computer.len) {
			hs_ntlm_text(n->av.dns_computer, true, buf, sizeof buf);
			host_learn(m, &c->s, buf, 3);
		} else if (n->av.nb_computer.len) {
			hs_ntlm_text(n->av.nb_computer, true, buf, sizeof buf);
			host_learn(m, &c->s, buf, 2);
		}
		if (n->av.nb_domain.len && n->av.dns_domain.len) {
			hs_ntlm_text(n->av.nb_domain, true, buf, sizeof buf);
			hs_ntlm_text(n->av.dns_domain, true, dom, sizeof dom);
			upper(buf);
			upper(dom);
			if (buf[0] && dom[0] && g_hash_table_size(m->nbmap) < 256)
				g_hash_table_replace(m->nbmap, g_strdup(buf), g_strdup(dom));
		}
	} else if (n->type == 3 && mt->dir == 0) {
		attempt *a = att_last(c);
		if (!a || a->auth != HS_AUTH_NTLM || a->final_sent)
			a = att_new(c, HS_AUTH_NTLM, mt);
		a->ref = ref_of(mt);
		a->final_sent = true;
		if (n->anonymous) {
			a->auth = HS_AUTH_ANONYMOUS;
			a->principal[0] = 0;
		} else {
			char user[HS_NAME_MAX];
			hs_ntlm_text(n->user, n->unicode, user, sizeof user);
			hs_ntlm_text(n->domain, n->unicode, dom, sizeof dom);
			if (dom[0])
				snprintf(a->principal, sizeof a->principal, "%s\\%s", dom, user);
			else
				snprintf(a->principal, sizeof a->principal, "%s", user);
		}
		if (n->workstation.len) {
			hs_ntlm_text(n->workstation, n->unicode, buf, sizeof buf);
			host_learn(m, &c->c, buf, 1);
		}
		conn_frame(c, mt);
	}
}

static void on_gss(hs_model *m, conn *c, const hs_msg *msg, const hs_gss_token *t)
{
	const hs_meta *mt = msg->meta;
	if (t->kind == HS_GSS_SPNEGO) {
		/* RFC 4178 4.2.1: reqFlags bit 0 is delegFlag. */
		if (mt->dir == 0 && t->spnego.has_req_flags && (t->spnego.req_flags & 0x80000000u))
			c->deleg_flag = true;
		if (t->has_krb)
			on_krb_token(m, c, msg, &t->krb);
		else if (t->has_ntlm)
			on_ntlm_token(m, c, msg, &t->ntlm);
		if (mt->dir == 1 && t->spnego.has_neg_state) {
			attempt *a = att_last(c);
			if (a && t->spnego.neg_state == HS_SPNEGO_REJECT) {
				a->result = HS_RES_FAILED;
				conn_frame(c, mt);
			} else if (a && t->spnego.neg_state == HS_SPNEGO_ACCEPT_COMPLETED && a->result == HS_RES_UNKNOWN) {
				a->result = HS_RES_OK;
			}
		}
	}
}

/* CredSSP decrypted with a TLS key log (MS-CSSP 3.1.5): the SPNEGO, NTLM
 * and Kerberos tokens inside the TSRequests (carrier "credssp") are the
 * CredSSP attempt's own authentication, not attempts of the carrier.  They
 * name its principal: the NTLM AUTHENTICATE user, or the AP-REQ's ticket
 * (followed to the user through the ticket table).  A TSRequest errorCode
 * (version 3+) is the server's refusal with its NTSTATUS; the carrier's
 * stage report says accepted / refused. */
static void on_credssp_token(hs_model *m, conn *c, const hs_msg *msg)
{
	const hs_meta *mt = msg->meta;
	attempt *a = att_last(c);
	if (!a || a->auth != HS_AUTH_CREDSSP)
		return;
	const hs_krb_msg *k = NULL;
	const hs_ntlm_msg *n = NULL;
	if (msg->proto == HS_PROTO_KERBEROS)
		k = msg->body;
	else if (msg->proto == HS_PROTO_NTLMSSP)
		n = msg->body;
	else if (msg->proto == HS_PROTO_SPNEGO) {
		const hs_gss_token *t = msg->body;
		if (t->kind == HS_GSS_SPNEGO && mt->dir == 0 && t->spnego.has_req_flags &&
		    (t->spnego.req_flags & 0x80000000u))
			c->deleg_flag = true;
		k = t->has_krb ? &t->krb : NULL;
		n = t->has_ntlm ? &t->ntlm : NULL;
	}
	if (k && k->kind == HS_KRB_KIND_PDU && k->msg_type == HS_KRB_AP_REQ && mt->dir == 0 && !a->ticket_fp) {
		a->ticket_fp = ticket_fp(&k->ap_req.ticket);
		if (!a->principal[0])
			att_decrypted(a, k);
		krb_name(a->sname, sizeof a->sname, &k->ap_req.ticket.sname);
		learn_spn(m, &c->s, a->sname);
	}
	if (n && n->type == 3 && mt->dir == 0 && !a->principal[0] && !n->anonymous) {
		char user[HS_NAME_MAX], dom[HS_NAME_MAX];
		hs_ntlm_text(n->user, n->unicode, user, sizeof user);
		hs_ntlm_text(n->domain, n->unicode, dom, sizeof dom);
		snprintf(a->principal, sizeof a->principal, dom[0] ? "%s\\%s" : "%s%s", dom, user);
	}
}

static void on_credssp(conn *c, const hs_msg *msg, const hs_credssp_msg *x)
{
	attempt *a = att_last(c);
	if (!a || a->auth != HS_AUTH_CREDSSP)
		return;
	if (x->req && x->req->has_error_code && x->req->error_code) {
		c->credssp_failed = true;
		c->credssp_status = x->req->error_code;
		a->result = HS_RES_FAILED;
		conn_frame(c, msg->meta);
	} else if (x->stage == HS_CREDSSP_STAGE_ACCEPTED && a->result == HS_RES_UNKNOWN) {
		a->result = HS_RES_OK;
	} else if (x->stage == HS_CREDSSP_STAGE_REFUSED) {
		c->credssp_failed = true;
		a->result = HS_RES_FAILED;
	}
}

/* ------------------------------------------------------------------ */
/* carriers */

static void on_http(hs_model *m, conn *c, const hs_msg *msg, const hs_http_msg *h)
{
	const hs_meta *mt = msg->meta;
	char buf[HS_NAME_MAX];
	if (!h->response) {
		if (h->host.len) {
			copy_slice(buf, sizeof buf, h->host);
			host_learn(m, &c->s, buf, 3);
		}
		for (size_t i = 0; i < h->nauth; i++) {
			const hs_http_auth *a = &h->auth[i];
			if (a->header != HS_HTTP_AUTHORIZATION)
				continue;
			if (a->scheme == HS_HTTP_SCHEME_CREDSSP) {
				c->credssp_asked = true;
				attempt *l = att_last(c);
				if (!l || l->auth != HS_AUTH_CREDSSP || l->result != HS_RES_UNKNOWN) {
					l = att_new(c, HS_AUTH_CREDSSP, mt);
					conn_frame(c, mt);
				}
				l->final_sent = true;
				l->last_401 = false;
			} else if (a->scheme == HS_HTTP_SCHEME_BASIC) {
				attempt *l = att_new(c, HS_AUTH_BASIC, mt);
				if (a->basic_ok) {
					size_t k = a->user_len < sizeof l->principal - 1 ? a->user_len : sizeof l->principal - 1;
					memcpy(l->principal, a->cred, k);
					l->principal[k] = 0;
				}
				l->final_sent = true;
				conn_frame(c, mt);
			}
		}
		return;
	}
	/* response */
	attempt *a = att_last(c);
	if (h->status == 401) {
		char offers[96] = "";
		bool credssp = false;
		for (size_t i = 0; i < h->nauth; i++) {
			const hs_http_auth *x = &h->auth[i];
			if (x->header != HS_HTTP_WWW_AUTHENTICATE)
				continue;
			if (x->scheme == HS_HTTP_SCHEME_CREDSSP)
				credssp = true;
			copy_slice(buf, 32, x->scheme_name);
			if (!strstr(offers, buf) && strlen(offers) + strlen(buf) + 3 < sizeof offers) {
				if (offers[0])
					strcat(offers, ", ");
				strcat(offers, buf);
			}
		}
		if (offers[0] && !h->nauth) {
			offers[0] = 0;
		}
		if (offers[0]) {
			/* only the offer list of a 401 without a continuation token tells
			 * what the server accepts */
			bool has_token = false;
			for (size_t i = 0; i < h->nauth; i++)
				if (h->auth[i].header == HS_HTTP_WWW_AUTHENTICATE && h->auth[i].token.len)
					has_token = true;
			if (!has_token) {
				c->offers_seen = true;
				snprintf(c->offers, sizeof c->offers, "%s", offers);
				if (credssp)
					c->credssp_offered = true;
			}
		}
		bool cont = false; /* a 401 carrying a token continues the exchange (CredSSP legs) */
		for (size_t i = 0; i < h->nauth; i++)
			if (h->auth[i].header == HS_HTTP_WWW_AUTHENTICATE && h->auth[i].token.len)
				cont = true;
		if (a && a->auth == HS_AUTH_CREDSSP)
			a->last_401 = true;
		if (a && a->final_sent && a->result != HS_RES_OK && !cont) {
			a->result = HS_RES_FAILED;
			a->status = 401;
			if (a->auth == HS_AUTH_CREDSSP)
				c->credssp_failed = true;
		}
		conn_frame(c, mt);
	} else if (h->status >= 200 && h->status != 407) {
		if (a && a->result == HS_RES_UNKNOWN && (a->final_sent || a->auth == HS_AUTH_NTLM))
			a->result = HS_RES_OK;
	}
}

/* "What the user saw" on hop 1 (issue 16): the first non-empty line a cmd
 * shell wrote to stderr (MS-WSMV 2.2.4.36), else the innermost message of a
 * WS-Management fault.  The first one per connection is kept. */
static void user_saw(conn *c, const hs_meta *mt, const hs_winrm_msg *w)
{
	char buf[HS_SAW_MAX * 2 + 4];
	size_t n = 0;
	if (w->powershell && hs_psrp_winrm_first_error(w, buf, sizeof buf))
		n = strlen(buf); /* a PowerShell ErrorRecord (MS-PSRP 2.2.2.20), also reassembled */
	for (size_t i = 0; i < w->nstreams && !n; i++) {
		const hs_winrm_stream *st = &w->streams[i];
		if (w->powershell || !hs_slice_eq(st->name, "stderr") || !st->data_len)
			continue;
		size_t in = st->b64.len < HS_SAW_MAX / 3 * 4 * 2 ? st->b64.len : HS_SAW_MAX / 3 * 4 * 2;
		gint state = 0;
		guint save = 0;
		n = g_base64_decode_step((const gchar *)st->b64.p, in, (guchar *)buf, &state, &save);
	}
	if (!n && w->fault) {
		hs_slice t = w->inner_message.len ? w->inner_message : w->fault_message.len ? w->fault_message : w->fault_reason;
		n = t.len < sizeof buf ? t.len : sizeof buf;
		if (n)
			memcpy(buf, t.p, n);
	}
	/* the first non-empty line, as UTF-8 */
	size_t a = 0;
	while (a < n && (buf[a] == '\r' || buf[a] == '\n' || buf[a] == ' '))
		a++;
	size_t b = a;
	while (b < n && buf[b] != '\r' && buf[b] != '\n')
		b++;
	if (b == a)
		return;
	gchar *text = g_utf8_make_valid(buf + a, (gssize)(b - a));
	size_t cut = strlen(text);
	if (cut >= HS_SAW_MAX) {
		cut = HS_SAW_MAX - 1;
		while (cut && ((unsigned char)text[cut] & 0xc0) == 0x80)
			cut--; /* on a character boundary */
	}
	memcpy(c->saw, text, cut);
	c->saw[cut] = 0;
	g_free(text);
	c->saw_ref.input = mt->input;
	c->saw_ref.frame = mt->frame;
}

static void on_winrm(conn *c, const hs_msg *msg, const hs_winrm_msg *w)
{
	const hs_meta *mt = msg->meta;
	int64_t t = ts_of(mt);
	if (c->carrier == HS_CAR_HTTP || c->carrier == HS_CAR_OTHER)
		c->carrier = HS_CAR_WINRM_HTTP;
	c->winrm = true;
	if (w->shell_id.len && !c->shell_id[0])
		copy_slice(c->shell_id, sizeof c->shell_id, w->shell_id);
	if (w->operation && !w->response && !strcmp(w->operation, "Command")) {
		if (c->ncmd < CONN_CMDWIN) {
			c->cmd[c->ncmd].a = t;
			c->cmd[c->ncmd].b = INT64_MAX;
			c->ncmd++;
			c->cmd_open = true;
		}
	} else if (w->response && c->cmd_open && c->ncmd) {
		/* the answer to the Command (WinRM answers in order on one connection) */
		c->cmd[c->ncmd - 1].b = t;
		c->cmd_open = false;
	}
	if (w->fault)
		conn_frame(c, mt);
	if (!c->saw[0])
		user_saw(c, mt, w);
}

static bool path_is_ipc(const char *p)
{
	size_t l = strlen(p);
	return l >= 4 && strcasecmp(p + l - 4, "IPC$") == 0;
}

static void on_smb2(hs_model *m, conn *c, const hs_msg *msg, const hs_smb2_msg *s)
{
	const hs_meta *mt = msg->meta;
	if (s->kind != HS_SMB_V2 && s->kind != HS_SMB_V1)
		return;
	bool ss = (s->kind == HS_SMB_V2 && s->command == HS_SMB2_SESSION_SETUP) ||
		  (s->kind == HS_SMB_V1 && s->command == HS_SMB1_SESSION_SETUP_ANDX);
	bool tc = (s->kind == HS_SMB_V2 && s->command == HS_SMB2_TREE_CONNECT) ||
		  (s->kind == HS_SMB_V1 && s->command == HS_SMB1_TREE_CONNECT_ANDX);
	if (tc && s->has_path) {
		/* \\server\share: the name the client used for the server */
		const char *p = s->path;
		while (*p == '\\')
			p++;
		char h[HS_NAME_MAX];
		snprintf(h, sizeof h, "%.*s", (int)strcspn(p, "\\"), p);
		host_learn(m, &c->s, h, 3);
	}
	if (!s->response || !s->has_status)
		return;
	if (ss) {
		attempt *a = att_last(c);
		if (!a)
			a = att_new(c, HS_AUTH_UNKNOWN, mt);
		if (s->status == 0) {
			a->result = HS_RES_OK;
			if (s->has_session_flags && (s->session_flags & HS_SMB2_SESSION_FLAG_IS_NULL))
				a->auth = HS_AUTH_ANONYMOUS;
			conn_frame(c, mt);
		} else if (s->status != 0xC0000016u) { /* STATUS_MORE_PROCESSING_REQUIRED */
			a->result = HS_RES_FAILED;
			a->status = s->status;
			conn_frame(c, mt);
		}
	} else if (tc && s->has_path && !path_is_ipc(s->path)) {
		c->tree_seen = true;
		c->tree_result = s->status == 0 ? HS_RES_OK : HS_RES_FAILED;
		c->tree_status = s->status;
		c->tree_ref = ref_of(mt);
		conn_frame(c, mt);
	}
}

static void on_ldap(conn *c, const hs_msg *msg, const hs_ldap_msg *l)
{
	const hs_meta *mt = msg->meta;
	if (l->kind != HS_LDAP_MESSAGE)
		return;
	if (l->op == HS_LDAP_BIND_REQUEST && l->auth == HS_LDAP_AUTH_SIMPLE) {
		attempt *a = att_new(c, l->name.len || l->credentials.len ? HS_AUTH_BASIC : HS_AUTH_ANONYMOUS, mt);
		copy_slice(a->principal, sizeof a->principal, l->name);
		a->final_sent = true;
		conn_frame(c, mt);
	} else if (l->op == HS_LDAP_BIND_RESPONSE && l->has_result) {
		attempt *a = att_last(c);
		if (!a)
			a = att_new(c, HS_AUTH_UNKNOWN, mt);
		if (l->result_code == 0)
			a->result = HS_RES_OK;
		else if (l->result_code != 14) { /* saslBindInProgress */
			a->result = HS_RES_FAILED;
			a->status = l->result_code;
		}
		conn_frame(c, mt);
	}
}

static void on_dcerpc(conn *c, const hs_msg *msg, const hs_dcerpc_msg *d)
{
	attempt *a = att_last(c);
	if (d->ptype == HS_DCERPC_BIND_NAK || (d->ptype == HS_DCERPC_FAULT && d->status == 5)) {
		if (!a)
			a = att_new(c, HS_AUTH_UNKNOWN, msg->meta);
		a->result = HS_RES_FAILED;
		a->status = d->ptype == HS_DCERPC_FAULT ? 5 : d->reject_reason;
		conn_frame(c, msg->meta);
	} else if ((d->ptype == HS_DCERPC_BIND_ACK || d->ptype == HS_DCERPC_ALTER_CONTEXT_RESP) && a &&
		   a->result == HS_RES_UNKNOWN && a->final_sent) {
		a->result = HS_RES_OK;
	}
}

static void on_tds(conn *c, const hs_msg *msg, const hs_tds_msg *t)
{
	if (t->kind != HS_TDS_KIND_LOGIN_RESPONSE)
		return;
	attempt *a = att_last(c);
	if (!a)
		a = att_new(c, HS_AUTH_UNKNOWN, msg->meta);
	for (unsigned i = 0; i < t->n_errors; i++)
		if (!t->errors[i].info && t->errors[i].number == 18456) { /* Login failed for user */
			a->result = HS_RES_FAILED;
			a->status = 18456;
		}
	if (t->has_loginack && a->result == HS_RES_UNKNOWN)
		a->result = HS_RES_OK;
	conn_frame(c, msg->meta);
}

/* ------------------------------------------------------------------ */
/* the KDC */

static uint64_t krb_dedup_fp(const hs_msg *msg, const hs_krb_msg *k)
{
	const hs_meta *mt = msg->meta;
	uint64_t h = fnv(0, mt->src.a, 16);
	h = fnv(h, mt->dst.a, 16);
	h = fnv(h, &mt->sport, sizeof mt->sport);
	h = fnv(h, &mt->dport, sizeof mt->dport);
	h = fnv(h, &k->msg_type, sizeof k->msg_type);
	h = fnv(h, &k->nonce, sizeof k->nonce);
	h = fnv(h, &k->error_code, sizeof k->error_code);
	h = fnv(h, &k->susec, sizeof k->susec);
	if (k->stime.len)
		h = fnv(h, k->stime.p, k->stime.len);
	if (k->ticket.enc.cipher.len)
		h = fnv(h, k->ticket.enc.cipher.p, k->ticket.enc.cipher.len);
	if (k->enc_part.cipher.len)
		h = fnv(h, k->enc_part.cipher.p, k->enc_part.cipher.len);
	if (k->tgs_ap_req.authenticator.cipher.len)
		h = fnv(h, k->tgs_ap_req.authenticator.cipher.p, k->tgs_ap_req.authenticator.cipher.len);
	if (k->enc_timestamp.cipher.len)
		h = fnv(h, k->enc_timestamp.cipher.p, k->enc_timestamp.cipher.len);
	if (k->fast.enc.cipher.len)
		h = fnv(h, k->fast.enc.cipher.p, k->fast.enc.cipher.len);
	return h;
}

/* The same datagram captured on two hosts reaches the model twice (TCP is
 * de-duplicated by reassembly already). */
static bool krb_duplicate(hs_model *m, const hs_msg *msg, const hs_krb_msg *k)
{
	uint64_t fp = krb_dedup_fp(msg, k);
	int64_t t = ts_of(msg->meta);
	for (unsigned i = 0; i < DEDUP_RING; i++) {
		if (m->ring[i].fp == fp && m->ring[i].ts && t - m->ring[i].ts < DEDUP_NS && m->ring[i].ts - t < DEDUP_NS)
			return true;
	}
	m->ring[m->ring_at].fp = fp;
	m->ring[m->ring_at].ts = t ? t : 1;
	m->ring_at = (m->ring_at + 1) % DEDUP_RING;
	return false;
}

static bool has_padata(const hs_krb_msg *k, int32_t type)
{
	for (unsigned i = 0; i < k->n_padata; i++)
		if (k->padata[i].type == type)
			return true;
	return false;
}

static void on_kdc(hs_model *m, const hs_msg *msg, const hs_krb_msg *k)
{
	const hs_meta *mt = msg->meta;
	if (k->kind != HS_KRB_KIND_PDU)
		return;
	if (krb_duplicate(m, msg, k)) {
		m->dups++;
		return;
	}
	uint64_t id = mt->flow_id;
	bool req = k->msg_type == HS_KRB_AS_REQ || k->msg_type == HS_KRB_TGS_REQ;
	bool rep = k->msg_type == HS_KRB_AS_REP || k->msg_type == HS_KRB_TGS_REP || k->msg_type == HS_KRB_ERROR;
	if (!req && !rep)
		return;
	kx *x = NULL;
	if (rep) {
		gpointer v = g_hash_table_lookup(m->kx_pending, &id);
		if (v) {
			x = &g_array_index(m->kxs, kx, GPOINTER_TO_SIZE(v) - 1);
			g_hash_table_remove(m->kx_pending, &id);
		}
	}
	if (!x) {
		if (m->kxs->len >= m->cfg.max_kdc) {
			cap_hit(m, &m->caps.kdc);
			return;
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
			z.msg = k->msg_type == HS_KRB_AS_REP ? HS_KRB_AS_REQ : HS_KRB_TGS_REQ;
		}
		z.ts = ts_of(mt);
		g_array_append_val(m->kxs, z);
		x = &g_array_index(m->kxs, kx, m->kxs->len - 1);
		if (req) {
			uint64_t *key = g_new(uint64_t, 1);
			*key = id;
			g_hash_table_replace(m->kx_pending, key, GSIZE_TO_POINTER((gsize)m->kxs->len));
		}
	}
	if (req) {
		x->has_req = true;
		x->req = ref_of(mt);
		x->msg = k->msg_type;
		x->opts = k->kdc_options;
		krb_name(x->cname, sizeof x->cname, &k->cname);
		copy_slice(x->realm, sizeof x->realm, k->realm);
		upper(x->realm);
		krb_name(x->sname, sizeof x->sname, &k->sname);
		x->preauth = has_padata(k, HS_KRB_PA_ENC_TIMESTAMP) || has_padata(k, HS_KRB_PA_ENCRYPTED_CHALLENGE) ||
			     has_padata(k, 16 /* PA-PK-AS-REQ */);
		/* MS-SFU 2.2.1 / 2.2.2: the user srv1 asks a ticket for */
		if (k->for_user.present || k->s4u_x509.present) {
			char u[HS_NAME_MAX], r[64];
			if (k->s4u_x509.present && k->s4u_x509.cname.present) {
				krb_name(u, sizeof u, &k->s4u_x509.cname);
				copy_slice(r, sizeof r, k->s4u_x509.crealm);
			} else {
				krb_name(u, sizeof u, &k->for_user.user);
				copy_slice(r, sizeof r, k->for_user.realm);
			}
			upper(r);
			x->s4u = true;
			principal_of(x->s4u_user, sizeof x->s4u_user, u, r);
		}
		/* RFC 4120 5.4.1: cname-in-addl-tkt is KDC option bit 14 (MS-SFU 3.2.5.2.2) */
		if ((k->kdc_options & (0x80000000u >> 14)) && k->n_addl) {
			x->proxy = true;
			x->addl_fp = ticket_fp(&k->addl[0]);
			/* --keytab: the evidence ticket, with the first server's key */
			if (k->dec && k->dec->n_addl && k->dec->addl[0].status == HS_KRB_DEC_OK) {
				x->tkt_dec = true;
				x->tkt_flags = k->dec->addl[0].flags;
			}
		}
		/* MS-KILE 2.2.10 PA-PAC-OPTIONS: resource-based-constrained-delegation */
		x->rbcd_bit = k->has_pac_options && (k->pac_options & 0x10000000u);
		if (k->msg_type == HS_KRB_TGS_REQ && k->tgs_ap_req.present)
			x->tgt_fp = ticket_fp(&k->tgs_ap_req.ticket);
		/* RFC 4120 5.4.1: forwarded = bit 2 */
		x->forwarded_req = k->msg_type == HS_KRB_TGS_REQ && (k->kdc_options & (0x80000000u >> 2)) &&
				   !strncasecmp(x->sname, "krbtgt/", 7);
		if (x->msg == HS_KRB_AS_REQ && is_machine(x->cname)) {
			/* SRV1$ asking for its own TGT: the address is srv1 */
			char h[HS_NAME_MAX];
			snprintf(h, sizeof h, "%s", x->cname);
			h[strlen(h) - 1] = 0;
			host_learn(m, &x->c, h, 1);
		}
		return;
	}
	x->answered = true;
	x->rep = ref_of(mt);
	if (k->msg_type == HS_KRB_ERROR) {
		x->ok = false;
		x->err = k->error_code;
		x->has_nt = k->has_ntstatus;
		x->nt = k->ntstatus;
		x->fast_err = k->fast.present;
		if (!x->sname[0])
			krb_name(x->sname, sizeof x->sname, &k->sname);
	} else {
		x->ok = true;
		char cn[HS_NAME_MAX], cr[64];
		krb_name(cn, sizeof cn, &k->cname);
		copy_slice(cr, sizeof cr, k->crealm);
		upper(cr);
		principal_of(x->rep_cname, sizeof x->rep_cname, cn, cr);
		x->rep_fp = ticket_fp(&k->ticket);
		if (!x->sname[0])
			krb_name(x->sname, sizeof x->sname, &k->ticket.sname);
		/* --keytab: the issued ticket (for S4U2Self: to the first server
		 * itself, readable with its key; MS-SFU 3.2.5.1.2 forwardable) */
		if (k->dec && k->dec->rep_ticket.status == HS_KRB_DEC_OK) {
			x->tkt_dec = true;
			x->tkt_flags = k->dec->rep_ticket.flags;
		}
	}
}

/* ------------------------------------------------------------------ */
/* the sink */

static void maybe_retire(hs_model *m, int64_t t);
static void budget_check(hs_model *m, int64_t t);

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
		if (v->alive[i] && !addr_eq(&v->cand[i], &mt->src) && !addr_eq(&v->cand[i], &mt->dst))
			v->alive[i] = false;
}

void hs_model_sink(void *ud, const hs_msg *msg)
{
	hs_model *m = ud;
	const hs_meta *mt = msg->meta;
	if (m->finished)
		return;
	vantage_see(m, mt);
	maybe_retire(m, ts_of(mt));
	budget_check(m, ts_of(mt)); /* what the messages before this one added */
	if (msg->proto == HS_PROTO_KERBEROS && !msg->carrier && (mt->sport == 88 || mt->dport == 88)) {
		on_kdc(m, msg, msg->body);
		return;
	}
	conn *c = conn_get(m, msg);
	if (!c)
		return;
	if (msg->carrier && strcmp(msg->carrier, "credssp") == 0) {
		on_credssp_token(m, c, msg);
		return;
	}
	switch (msg->proto) {
	case HS_PROTO_CREDSSP:
		on_credssp(c, msg, msg->body);
		break;
	case HS_PROTO_KERBEROS:
		on_krb_token(m, c, msg, msg->body);
		break;
	case HS_PROTO_SPNEGO:
		on_gss(m, c, msg, msg->body);
		break;
	case HS_PROTO_NTLMSSP:
		on_ntlm_token(m, c, msg, msg->body);
		break;
	case HS_PROTO_HTTP:
		on_http(m, c, msg, msg->body);
		break;
	case HS_PROTO_WINRM:
		on_winrm(c, msg, msg->body);
		break;
	case HS_PROTO_SMB2:
		on_smb2(m, c, msg, msg->body);
		break;
	case HS_PROTO_LDAP:
		on_ldap(c, msg, msg->body);
		break;
	case HS_PROTO_DCERPC:
		on_dcerpc(c, msg, msg->body);
		break;
	case HS_PROTO_TDS:
		on_tds(c, msg, msg->body);
		break;
	case HS_PROTO_TLS:
		/* TLS of the connection itself (WinRM HTTPS); the TLS that CredSSP
		 * tunnels inside HTTP headers (carrier "http") is not transport. */
		if (!msg->carrier) {
			c->tls = true;
			conn_frame(c, mt);
		}
		break;
	default:
		break;
	}
}

/* ------------------------------------------------------------------ */
/* finish: identities */

static const ticket *ticket_find(hs_model *m, uint64_t fp)
{
	return fp ? g_hash_table_lookup(m->tickets, &fp) : NULL;
}

static void ticket_add(hs_model *m, uint64_t fp, const char *principal, bool forwarded, hs_ref ref, int64_t ts)
{
	if (!fp || !principal[0] || ticket_find(m, fp))
		return;
	if (g_hash_table_size(m->tickets) >= m->cfg.max_tickets) {
		cap_hit(m, &m->caps.tickets);
		return;
	}
	ticket *t = g_new0(ticket, 1);
	t->fp = fp;
	snprintf(t->principal, sizeof t->principal, "%s", principal);
	t->forwarded = forwarded;
	t->ref = ref;
	t->ts = ts;
	g_hash_table_insert(m->tickets, &t->fp, t);
}

/* NetBIOS domain -> realm: "HOP\alice" -> "alice@HOP.TEST" when the pair was
 * learned from NTLM AV pairs or a Kerberos realm starts with that label. */
static void normalize_user(hs_model *m, const char *in, char *out, size_t n)
{
	const char *bs = strchr(in, '\\');
	if (!bs) {
		snprintf(out, n, "%s", in);
		return;
	}
	char dom[64];
	snprintf(dom, sizeof dom, "%.*s", (int)(bs - in), in);
	upper(dom);
	const char *realm = g_hash_table_lookup(m->nbmap, dom);
	if (!realm) {
		/* the first Kerberos realm whose first label is that domain */
		if (!m->realm_of_label) {
			m->realm_of_label = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
			for (guint i = 0; i < m->kxs->len; i++) {
				const kx *x = &g_array_index(m->kxs, kx, i);
				char *l = g_strndup(x->realm, strcspn(x->realm, "."));
				if (x->realm[0] && !g_hash_table_contains(m->realm_of_label, l))
					g_hash_table_insert(m->realm_of_label, l, (gpointer)x->realm);
				else
					g_free(l);
			}
		}
		realm = g_hash_table_lookup(m->realm_of_label, dom);
	}
	if (realm)
		snprintf(out, n, "%s@%s", bs + 1, realm);
	else
		snprintf(out, n, "%s", in);
}

static void resolve_kdc(hs_model *m)
{
	for (guint i = 0; i < m->kxs->len; i++) {
		kx *x = &g_array_index(m->kxs, kx, i);
		if (x->msg == HS_KRB_AS_REQ) {
			principal_of(x->principal, sizeof x->principal, x->cname, x->realm);
			if (!x->principal[0] && !is_anonymous_name(x->rep_cname))
				snprintf(x->principal, sizeof x->principal, "%s", x->rep_cname);
		} else {
			const ticket *t = ticket_find(m, x->tgt_fp);
			if (t) {
				x->tgt_known = true;
				x->tgt_forwarded = t->forwarded;
				snprintf(x->tgt_owner, sizeof x->tgt_owner, "%s", t->principal);
			}
			if (x->s4u) {
				snprintf(x->principal, sizeof x->principal, "%s", x->s4u_user);
			} else if (x->proxy) {
				const ticket *e = ticket_find(m, x->addl_fp);
				if (e)
					snprintf(x->principal, sizeof x->principal, "%s", e->principal);
				else if (!is_anonymous_name(x->rep_cname))
					snprintf(x->principal, sizeof x->principal, "%s", x->rep_cname);
			} else if (x->ok && !is_anonymous_name(x->rep_cname)) {
				snprintf(x->principal, sizeof x->principal, "%s", x->rep_cname);
			} else if (t) {
				snprintf(x->principal, sizeof x->principal, "%s", t->principal);
			}
		}
		if (x->ok)
			ticket_add(m, x->rep_fp, x->principal, x->forwarded_req, x->rep, x->ts);
		if (x->s4u && is_machine(x->sname)) {
			/* S4U2Self names the requesting service itself (MS-SFU 3.2.5.1) */
			char h[HS_NAME_MAX];
			snprintf(h, sizeof h, "%.*s", (int)strcspn(x->sname, "$@"), x->sname);
			host_learn(m, &x->c, h, 1);
		}
	}
}

static void resolve_conns(hs_model *m)
{
	for (guint i = 0; i < m->conns->len; i++) {
		conn *c = g_ptr_array_index(m->conns, i);
		for (unsigned j = 0; j < c->natt; j++) {
			attempt *a = &c->att[j];
			/* MS-CSSP over WinRM: a 401 continues the exchange only if the
			 * client answers it; when the server's last word was a 401 and
			 * the client sent nothing more, the exchange was refused (the
			 * errorCode TSRequest it carried needs the key log to read). */
			if (a->auth == HS_AUTH_CREDSSP && a->result == HS_RES_UNKNOWN && a->last_401) {
				a->result = HS_RES_FAILED;
				a->status = 401;
				c->credssp_failed = true;
			}
			if ((a->auth == HS_AUTH_KERBEROS || a->auth == HS_AUTH_CREDSSP) && !a->principal[0]) {
				const ticket *t = ticket_find(m, a->ticket_fp);
				if (t && !is_anonymous_name(t->principal))
					snprintf(a->principal, sizeof a->principal, "%s", t->principal);
			}
		}
	}
}

/* ------------------------------------------------------------------ */
/* finish: the forwarded TGT and what carries it */

#define FWD_NS (10 * 1000000000LL)

static bool tgs_for_service(const kx *p)
{
	return p->msg == HS_KRB_TGS_REQ && !p->s4u && !p->proxy && !p->forwarded_req &&
	       strncasecmp(p->sname, "krbtgt/", 7) != 0;
}

/* The service-ticket exchange of x's client just before x (within FWD_NS):
 * the service a forwarded TGT is asked for; -1 when the ticket was cached. */
static int service_before(hs_model *m, guint i)
{
	const kx *x = &g_array_index(m->kxs, kx, i);
	for (guint j = i; j-- > 0;) {
		const kx *p = &g_array_index(m->kxs, kx, j);
		if (p->ts < x->ts - FWD_NS)
			break;
		if (addr_eq(&p->c, &x->c) && tgs_for_service(p))
			return (int)j;
	}
	return -1;
}

/* Evidence belongs to what caused it.  A client asks for a forwarded TGT
 * (RFC 4120 2.6) right after a service ticket that carries ok-as-delegate
 * (Windows and MIT alike), and sends it in the KRB-CRED of the next AP-REQ
 * to that service - an SMB session to a DC as much as a WinRM hop 1.
 * Without keys the request is tied to the client's next Kerberos AP-REQ
 * for that service (the same ticket or SPN), or, when the service ticket
 * was cached, to its next AP-REQ at all; when that connection is not in
 * the input, to the service ticket alone (fwd_for).  A request that fits
 * none is tied to nothing and is evidence for no chain. */
static void tie_forwarded(hs_model *m)
{
	GHashTable *by_client = NULL; /* hs_addr * -> GArray guint: connections, ascending */
	for (guint i = 0; i < m->kxs->len; i++) {
		kx *x = &g_array_index(m->kxs, kx, i);
		if (!x->forwarded_req)
			continue;
		if (!by_client) {
			by_client = g_hash_table_new_full(addr_hash, addr_equal, NULL, array_free);
			for (guint k = 0; k < m->conns->len; k++) {
				conn *c = g_ptr_array_index(m->conns, k);
				GArray *l = g_hash_table_lookup(by_client, &c->c);
				if (!l) {
					l = g_array_new(FALSE, FALSE, sizeof(guint));
					g_hash_table_insert(by_client, &c->c, l);
				}
				g_array_append_val(l, k);
			}
		}
		x->fwd_for = service_before(m, i);
		const kx *p = x->fwd_for >= 0 ? &g_array_index(m->kxs, kx, x->fwd_for) : NULL;
		const GArray *l = g_hash_table_lookup(by_client, &x->c);
		attempt *best = NULL;
		for (guint n = 0; l && n < l->len; n++) {
			conn *c = g_ptr_array_index(m->conns, g_array_index(l, guint, n));
			for (unsigned j = 0; j < c->natt; j++) {
				attempt *a = &c->att[j];
				if (!a->ticket_fp || a->ts < x->ts || a->ts > x->ts + FWD_NS || (best && a->ts >= best->ts))
					continue;
				if (p && a->ticket_fp != p->rep_fp && strcasecmp(a->sname, p->sname))
					continue;
				best = a;
				x->fwd_conn = (int)g_array_index(l, guint, n);
			}
		}
		if (best)
			best->fwd_kx = (int)i;
	}
	if (by_client)
		g_hash_table_destroy(by_client);
}

/* A server asks S4U2Self for a user who just logged on to read the user's
 * groups (the PAC: MS-SFU 3.1.5.1.1, used by WinRM, IIS, file servers
 * alike); only an S4U2Proxy with that ticket (MS-SFU 3.2.5.2) makes it
 * constrained delegation.  An S4U2Self whose ticket no S4U2Proxy uses (its
 * fingerprint in additional-tickets, or one for the same user from the same
 * server within FWD_NS when the reply was not seen) is routine, failed or
 * not: never evidence of a delegation failure. */
static void mark_routine(hs_model *m)
{
	GHashTable *evidence = g_hash_table_new(g_int64_hash, g_int64_equal);
	for (guint i = 0; i < m->kxs->len; i++) {
		kx *x = &g_array_index(m->kxs, kx, i);
		if (x->proxy && x->addl_fp)
			g_hash_table_add(evidence, &x->addl_fp);
	}
	for (guint i = 0; i < m->kxs->len; i++) {
		kx *x = &g_array_index(m->kxs, kx, i);
		if (!x->s4u)
			continue;
		bool used = x->rep_fp && g_hash_table_contains(evidence, &x->rep_fp);
		for (guint j = i + 1; j < m->kxs->len && !used; j++) {
			const kx *p = &g_array_index(m->kxs, kx, j);
			if (p->ts > x->ts + FWD_NS)
				break;
			used = p->proxy && addr_eq(&p->c, &x->c) && (!p->principal[0] || principal_eq(p->principal, x->s4u_user));
		}
		x->s4u_routine = !used;
	}
	g_hash_table_destroy(evidence);
}

/* ------------------------------------------------------------------ */
/* finish: hop-1 sessions */

static bool is_hop1_carrier(hs_carrier c)
{
	return c == HS_CAR_WINRM_HTTP || c == HS_CAR_WINRM_HTTPS;
}

/* The attempt that decided the connection: the last one that succeeded,
 * else the last one. */
static const attempt *conn_final(const conn *c)
{
	for (int j = (int)c->natt - 1; j >= 0; j--)
		if (c->att[j].result == HS_RES_OK)
			return &c->att[j];
	return c->natt ? &c->att[c->natt - 1] : NULL;
}

static hs_result conn_result(const conn *c)
{
	if (c->tree_seen)
		return c->tree_result;
	const attempt *a = conn_final(c);
	return a ? a->result : HS_RES_UNKNOWN;
}

/* The first principal a connection's attempts name, as the sessions keep it. */
static void conn_principal(hs_model *m, const conn *c, char *out, size_t n)
{
	out[0] = 0;
	for (unsigned j = 0; j < c->natt && !out[0]; j++)
		if (c->att[j].principal[0])
			normalize_user(m, c->att[j].principal, out, n);
}

static bool conn_authenticated(const conn *c)
{
	for (unsigned j = 0; j < c->natt; j++)
		if (c->att[j].result == HS_RES_OK)
			return true;
	return false;
}

/* Sessions, not connections: Windows' WinRM client opens a TCP connection
 * per stream of one session (shell, command, receive: three within a
 * second, interleaved in time) and starts each with a 401 round trip; with
 * the SOAP encrypted the shell id is not readable.  A connection joins a
 * session of the same client, server and port when their shell ids do not
 * differ, their principals do not differ, and it opens while the session
 * is still active - or within SLACK_NS of a session that so far only got
 * 401s (the client authenticates on its next connection). */
static bool session_takes(hs_model *m, const session *x, const conn *c, const char *cp, bool x_auth)
{
	if (x->nconns >= SESS_CONNS || !addr_eq(&x->c, &c->c) || !addr_eq(&x->s, &c->s) || x->sport != c->sport)
		return false;
	if (x->shell_id[0] && c->shell_id[0] && strcmp(x->shell_id, c->shell_id))
		return false;
	if (x->principal[0] && cp[0] && !principal_eq(x->principal, cp))
		return false;
	(void)m;
	if (c->t0 <= x->t1)
		return true;
	return !x_auth && c->t0 <= x->t1 + SLACK_NS;
}

static void build_sessions(hs_model *m)
{
	GHashTable *shells = g_hash_table_new_full(g_str_hash, g_str_equal, NULL, array_free);
	GHashTable *pairs = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, array_free);
	GArray *authed = g_array_new(FALSE, TRUE, sizeof(bool)); /* per session: some connection logged on */
	for (guint i = 0; i < m->conns->len; i++) {
		conn *c = g_ptr_array_index(m->conns, i);
		if (!is_hop1_carrier(c->carrier))
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
				if (addr_eq(&x->c, &c->c) && addr_eq(&x->s, &c->s) && x->nconns < SESS_CONNS) {
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
			if (session_takes(m, &g_array_index(m->sessions, session, s), c, cp, g_array_index(authed, bool, s)))
				si = (int)s;
		}
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
			bool no = false;
			g_array_append_val(authed, no);
			si = (int)m->sessions->len - 1;
			if (!pl) {
				pl = g_array_new(FALSE, FALSE, sizeof(guint));
				g_hash_table_insert(pairs, g_strdup(pk), pl);
			}
			g_array_append_val(pl, si);
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
		if (conn_authenticated(c))
			g_array_index(authed, bool, si) = true;
		x->conns[x->nconns++] = (int)i;
		c->session = si;
		if (c->t0 < x->t0)
			x->t0 = c->t0;
		if (c->t1 > x->t1)
			x->t1 = c->t1;
	}
	g_hash_table_destroy(pairs);
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
					normalize_user(m, a->principal, x->principal, sizeof x->principal), (void)0;
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
static void credssp_principals(hs_model *m)
{
	for (guint s = 0; s < m->sessions->len; s++) {
		session *y = &g_array_index(m->sessions, session, s);
		if (y->principal[0] || y->auth != HS_AUTH_CREDSSP)
			continue;
		const char *hn = host_name(m, &y->s);
		for (guint i = 0; i < m->kxs->len; i++) {
			const kx *x = &g_array_index(m->kxs, kx, i);
			char h[HS_NAME_MAX];
			if (!x->ok || !addr_eq(&x->c, &y->c) || x->msg != HS_KRB_TGS_REQ || x->s4u || x->proxy ||
			    strncasecmp(x->sname, "HTTP/", 5) || !x->principal[0])
				continue;
			spn_host(x->sname, h, sizeof h);
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
static void session_wire_principal(hs_model *m, const session *x, char *out, size_t n)
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

static bool spn_is_winrm(const char *sname)
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

/* From the KDC's view only: the client's TGS-REQ for HTTP/ or WSMAN/ is
 * the trace of a hop 1 whose connection was not captured. */
static void infer_sessions(hs_model *m)
{
	guint real = m->sessions->len;
	GHashTable *used = tickets_used_by_conns(m);
	for (guint i = 0; i < m->kxs->len; i++) {
		const kx *x = &g_array_index(m->kxs, kx, i);
		if (x->msg != HS_KRB_TGS_REQ || !x->ok || x->s4u || x->proxy || !spn_is_winrm(x->sname))
			continue;
		if (g_hash_table_contains(used, &x->rep_fp))
			continue;
		bool covered = false;
		for (guint s = 0; s < real; s++) {
			const session *y = &g_array_index(m->sessions, session, s);
			if (addr_eq(&y->c, &x->c) && x->ts >= y->t0 - 120 * 1000000000LL && x->ts <= y->t1)
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
		spn_host(x->sname, z.s_spn_host, sizeof z.s_spn_host);
		const host *h = host_by_name(m, z.s_spn_host);
		if (h) {
			z.s = h->addr;
			z.s_known = true;
		}
		g_array_append_val(m->sessions, z);
	}
	g_hash_table_destroy(used);
	/* An inferred session's server: whoever later acts for its user with a
	 * strong link (S4U2Self for the user, the user's forwarded TGT, an
	 * AS exchange for the user from another address). */
	for (guint s = real; s < m->sessions->len; s++) {
		session *y = &g_array_index(m->sessions, session, s);
		if (y->s_known)
			continue;
		for (guint i = 0; i < m->kxs->len && !y->s_known; i++) {
			const kx *x = &g_array_index(m->kxs, kx, i);
			if (x->ts < y->t0 || addr_eq(&x->c, &y->c))
				continue;
			bool link = (x->s4u && principal_eq(x->s4u_user, y->principal)) ||
				    (x->tgt_forwarded && principal_eq(x->tgt_owner, y->principal)) ||
				    (x->msg == HS_KRB_AS_REQ && x->preauth && principal_eq(x->principal, y->principal));
			if (link) {
				y->s = x->c;
				y->s_known = true;
				host_learn(m, &y->s, y->s_spn_host, 2);
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
 * attribute() then gives it its hop 2 as for any session.  Returns whether
 * any was added. */
#define PARTIAL_NS (60 * 1000000000LL)

static const char *partial_evidence(const kx *x, const char **user)
{
	if (x->s4u && !x->s4u_routine) {
		*user = x->s4u_user;
		return "the S4U2Self user and the requesting account";
	}
	if (x->proxy) {
		*user = x->principal;
		return "the S4U2Proxy evidence ticket and the requesting account";
	}
	if (x->msg == HS_KRB_TGS_REQ && x->tgt_forwarded && strncasecmp(x->sname, "krbtgt/", 7)) {
		*user = x->tgt_owner;
		return "the forwarded TGT's owner and the account presenting it";
	}
	return NULL;
}

static bool partial_sessions(hs_model *m)
{
	guint first = m->sessions->len;
	GHashTable *by_server = g_hash_table_new_full(addr_hash, addr_equal, g_free, array_free);
	for (guint i = 0; i < m->kxs->len; i++) {
		const kx *x = &g_array_index(m->kxs, kx, i);
		const char *user = "";
		const char *why = x->owner < 0 ? partial_evidence(x, &user) : NULL;
		if (!why)
			continue;
		/* the server's latest partial sessions (a busy delegating server
		 * has many: the few latest are the ones still open) */
		GArray *l = g_hash_table_lookup(by_server, &x->c);
		session *y = NULL;
		for (guint n = l ? l->len : 0; n-- > 0 && l->len - n <= 8 && !y;) {
			session *z = &g_array_index(m->sessions, session, g_array_index(l, guint, n));
			if (x->ts >= z->t0 && x->ts <= z->t1 + PARTIAL_NS &&
			    (!user[0] || !z->principal[0] || principal_eq(user, z->principal)))
				y = z;
		}
		if (!y) {
			session z;
			memset(&z, 0, sizeof z);
			z.s = x->c;
			z.s_known = true;
			z.unseen = true;
			z.t0 = z.t1 = x->ts;
			z.kx_index = -1;
			z.carrier = HS_CAR_OTHER;
			snprintf(z.unseen_from, sizeof z.unseen_from, "%s", why);
			g_array_append_val(m->sessions, z);
			guint si = m->sessions->len - 1;
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
	return m->sessions->len > first;
}

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
	a->servers = g_hash_table_new_full(addr_hash, addr_equal, NULL, srv_ix_free);
	a->pk = g_new0(pkey, m->sessions->len + 1);
	a->lk = g_new0(pkey, m->sessions->len + 1);
	for (guint s = 0; s < m->sessions->len; s++) {
		session *y = &g_array_index(m->sessions, session, s);
		a->pk[s] = pkey_of(m, y->principal);
		if (!y->s_known)
			continue;
		srv_ix *v = g_hash_table_lookup(a->servers, &y->s);
		if (!v) {
			v = g_new0(srv_ix, 1);
			v->by_t0 = g_array_new(FALSE, FALSE, sizeof(guint));
			v->reach = g_array_new(FALSE, FALSE, sizeof(int64_t));
			v->open = g_array_new(FALSE, FALSE, sizeof(guint));
			v->by_user = g_hash_table_new_full(g_direct_hash, g_direct_equal, NULL, array_free);
			v->by_link = g_hash_table_new_full(g_direct_hash, g_direct_equal, NULL, array_free);
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
		a->lk[s] = pkey_of(m, y->link_user);
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
		if ((int)s == own || !pkey_eq(it->key, keys[s]))
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
			if (pkey_eq(it->key, a->pk[g_array_index(l, guint, p)]))
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

static void take(hs_model *m, int *owner, int s, const item *it)
{
	session *y = &g_array_index(m->sessions, session, s);
	*owner = s;
	y->nitems++;
	if (it->is_conn)
		y->nconn_items++;
}

/* Plain HTTP without WS-Management and without any authentication (an
 * agent's command-and-control on port 80, a download) carries nobody's
 * identity: it is no second hop. */
static bool hop2_carrier(const conn *c)
{
	return !(c->carrier == HS_CAR_HTTP && !c->winrm && !c->natt);
}

static void attribute(hs_model *m)
{
	attr_ctx a;
	attr_ctx_build(&a, m);
	GArray *items = g_array_new(FALSE, TRUE, sizeof(item));
	for (guint i = 0; i < m->conns->len; i++) {
		const conn *c = g_ptr_array_index(m->conns, i);
		if (c->carrier == HS_CAR_KERBEROS || !hop2_carrier(c))
			continue;
		item it = { true, (int)i, c->t0, "", { 0, 0 }, false };
		const attempt *at = conn_final(c);
		if (at && at->principal[0])
			normalize_user(m, at->principal, it.principal, sizeof it.principal);
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
		it->key = pkey_of(m, it->principal);
		it->named_user = it->principal[0] && !is_machine(it->principal);
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
				best = by_window(&a, v, it, own);
			}
			if (best >= 0)
				take(m, owner, best, it);
		}
	}
	g_array_free(items, TRUE);
	attr_ctx_free(&a);
}

/* ------------------------------------------------------------------ */
/* finish: chains */

static void endpoint_set(hs_model *m, hs_endpoint *e, const hs_addr *a, bool known, uint16_t port)
{
	memset(e, 0, sizeof *e);
	if (known) {
		e->has_ip = true;
		hs_addr_str(a, e->ip, sizeof e->ip);
		snprintf(e->name, sizeof e->name, "%s", host_name(m, a));
	}
	e->port = port;
}

static hs_carrier carrier_of_spn(const char *spn)
{
	const hs_spn_def *d = hs_proto_spn(spn);
	return d ? d->carrier : HS_CAR_OTHER;
}

static uint16_t port_of_carrier(hs_carrier c)
{
	return hs_proto_carrier_port(c);
}

static void hop_frames_add(hs_hop *h, hs_ref r)
{
	if (!r.frame)
		return;
	for (unsigned i = 0; i < h->nframes; i++)
		if (h->frames[i].input == r.input && h->frames[i].frame == r.frame)
			return;
	if (h->nframes < HS_HOP_FRAMES)
		h->frames[h->nframes++] = r;
}

static void first_label(const char *name, char *out, size_t n)
{
	snprintf(out, n, "%.*s", (int)strcspn(name, "."), name);
}

static bool kx_benign(const kx *x)
{
	/* RFC 4120: PREAUTH_REQUIRED starts every pre-authenticated AS
	 * exchange; RESPONSE_TOO_BIG sends the client to TCP. */
	return !x->ok && (x->err == 25 || x->err == 52);
}

/* Built once per finish so that each chain costs what its own items cost,
 * not the whole model: build_chain runs once per session. */
typedef struct chain_index {
	GHashTable *clients;     /* hs_addr *: the client of every connection and KDC exchange */
	GHashTable *kdc_clients; /* hs_addr *: the client of every KDC exchange */
	GHashTable *kdcs;        /* hs_addr *: every KDC */
	GArray *fwd;             /* guint: exchanges with a forwarded-TGT request, ascending */
	GArray **kxs;            /* per session: its exchanges (owner), ascending */
	GArray **conns;          /* per session: its connections (owner), ascending */
	guint nsessions;
} chain_index;

static GArray *owned_list(GArray **lists, int owner, guint n)
{
	if (owner < 0 || (guint)owner >= n)
		return NULL;
	if (!lists[owner])
		lists[owner] = g_array_new(FALSE, FALSE, sizeof(guint));
	return lists[owner];
}

static void chain_index_build(hs_model *m, chain_index *ix)
{
	ix->nsessions = m->sessions->len;
	ix->clients = g_hash_table_new(addr_hash, addr_equal);
	ix->kdc_clients = g_hash_table_new(addr_hash, addr_equal);
	ix->kdcs = g_hash_table_new(addr_hash, addr_equal);
	ix->fwd = g_array_new(FALSE, FALSE, sizeof(guint));
	ix->kxs = g_new0(GArray *, ix->nsessions + 1);
	ix->conns = g_new0(GArray *, ix->nsessions + 1);
	for (guint i = 0; i < m->conns->len; i++) {
		conn *c = g_ptr_array_index(m->conns, i);
		g_hash_table_add(ix->clients, &c->c);
		GArray *l = owned_list(ix->conns, c->owner, ix->nsessions);
		if (l)
			g_array_append_val(l, i);
	}
	for (guint i = 0; i < m->kxs->len; i++) {
		kx *x = &g_array_index(m->kxs, kx, i);
		g_hash_table_add(ix->clients, &x->c);
		g_hash_table_add(ix->kdc_clients, &x->c);
		g_hash_table_add(ix->kdcs, &x->k);
		if (x->forwarded_req)
			g_array_append_val(ix->fwd, i);
		GArray *l = owned_list(ix->kxs, x->owner, ix->nsessions);
		if (l)
			g_array_append_val(l, i);
	}
}

static void chain_index_free(chain_index *ix)
{
	g_hash_table_destroy(ix->clients);
	g_hash_table_destroy(ix->kdc_clients);
	g_hash_table_destroy(ix->kdcs);
	g_array_free(ix->fwd, TRUE);
	for (guint s = 0; s < ix->nsessions; s++) {
		if (ix->kxs[s])
			g_array_free(ix->kxs[s], TRUE);
		if (ix->conns[s])
			g_array_free(ix->conns[s], TRUE);
	}
	g_free(ix->kxs);
	g_free(ix->conns);
}

static guint owned_len(const GArray *l) { return l ? l->len : 0; }

/* Vantage point inference: an input whose messages all involve one
 * address was captured on that host - the session's client, its server1,
 * or a KDC; one whose messages share no address on a span port.  With two
 * addresses left (a single conversation, e.g. server1's capture filtered
 * to port 88) the capture point is not known. */
static void vantage_facts(hs_model *m, const chain_index *ix, const session *y, hs_facts *f)
{
	for (int i = 0; i < VANTAGE_INPUTS; i++) {
		const vantage *v = &m->vp[i];
		if (!v->n)
			continue;
		if (!v->alive[0] && !v->alive[1]) {
			f->at_span = true;
			continue;
		}
		if (v->alive[0] && v->alive[1])
			continue;
		const hs_addr *a = &v->cand[v->alive[0] ? 0 : 1];
		if (!y->unseen && addr_eq(a, &y->c))
			f->at_client = true;
		else if (y->s_known && addr_eq(a, &y->s))
			f->at_server1 = true;
		else if (g_hash_table_contains(ix->kdcs, a))
			f->at_dc = true;
	}
}

/* Is x (a forwarded-TGT request, tied by tie_forwarded) carried by session
 * si's hop 1?  Tied to a connection: that connection's session.  Tied to a
 * service ticket only: the inferred session of that ticket, or a session of
 * the same client to that host (to a WinRM server whose name is not known,
 * e.g. HTTPS without its key log) starting within FWD_NS. */
static bool forwarded_for_session(hs_model *m, const kx *x, const session *y, int si)
{
	if (x->fwd_conn >= 0)
		return ((const conn *)g_ptr_array_index(m->conns, x->fwd_conn))->session == si;
	if (x->fwd_for < 0)
		return false;
	if (y->inferred)
		return y->kx_index == x->fwd_for;
	const kx *p = &g_array_index(m->kxs, kx, x->fwd_for);
	if (!addr_eq(&x->c, &y->c) || y->t0 < x->ts || y->t0 > x->ts + FWD_NS)
		return false;
	char h[HS_NAME_MAX];
	spn_host(p->sname, h, sizeof h);
	const char *hn = host_name(m, &y->s);
	size_t l = strcspn(h, ".");
	if (!hn[0])
		return spn_is_winrm(p->sname);
	return !strncasecmp(h, hn, l) && (hn[l] == 0 || hn[l] == '.');
}

static void build_chain(hs_model *m, const chain_index *ix, int si, hs_chain *ch)
{
	session *y = &g_array_index(m->sessions, session, si);
	hs_facts *f = &ch->facts;
	memset(ch, 0, sizeof *ch);

	/* hop 1 */
	hs_hop *h1 = &ch->hops[0];
	h1->index = 1;
	h1->t0_ns = y->t0;
	endpoint_set(m, &h1->client, &y->c, !y->unseen, 0);
	endpoint_set(m, &h1->server, &y->s, y->s_known, y->inferred ? 0 : y->sport);
	if (y->unseen) {
		h1->unseen = true;
		snprintf(h1->inferred_from, sizeof h1->inferred_from, "%s", y->unseen_from);
		snprintf(h1->principal, sizeof h1->principal, "%s", y->principal);
	}
	if (!h1->server.name[0] && y->s_spn_host[0])
		snprintf(h1->server.name, sizeof h1->server.name, "%s", y->s_spn_host);
	h1->carrier = y->carrier;
	h1->auth = y->auth;
	h1->result = y->result;
	h1->inferred = y->inferred;
	session_wire_principal(m, y, h1->principal, sizeof h1->principal);
	bool tls = false;
	for (unsigned k = 0; k < y->nconns; k++) {
		const conn *c = g_ptr_array_index(m->conns, y->conns[k]);
		tls |= c->tls || (c->carrier == HS_CAR_WINRM_HTTPS && !c->natt && !c->winrm);
		for (unsigned j = 0; j < c->nframes; j++)
			hop_frames_add(h1, c->frames[j]);
		for (unsigned j = 0; j < c->natt; j++) {
			const attempt *a = &c->att[j];
			if (!a->dec_ticket)
				continue;
			f->hop1_decrypted = true;
			f->hop1_ok_as_delegate = a->ok_as_delegate;
			f->hop1_auth_decrypted = a->dec_auth;
			f->hop1_deleg_flag = a->deleg;
			f->hop1_krb_cred = a->krb_cred;
			f->hop1_dec_ref = a->ref;
		}
		for (unsigned j = 0; j < c->natt && !f->hop1_tgt_by_size; j++) {
			const attempt *a = &c->att[j];
			if (a->auth == HS_AUTH_KERBEROS && a->tgt_by_size && !a->dec_auth) {
				/* the TGT rides in hop 1 itself: forwarded, whether or not
				 * the request for it is in the input (a cached forwarded TGT
				 * is sent again without one) */
				f->hop1_tgt_by_size = f->forwarded_tgt = true;
				f->forwarded_ref = a->ref;
			}
		}
		f->credssp_asked |= c->credssp_asked;
		f->credssp_offered |= c->credssp_offered;
		f->credssp_failed |= c->credssp_failed;
		if (c->credssp_status)
			f->credssp_status = c->credssp_status;
		f->deleg_flag |= c->deleg_flag;
		if (c->offers_seen) {
			f->offers_seen = true;
			snprintf(f->offers, sizeof f->offers, "%s", c->offers);
		}
	}
	if (y->inferred) {
		const kx *x = &g_array_index(m->kxs, kx, y->kx_index);
		hop_frames_add(h1, x->req);
		hop_frames_add(h1, x->rep);
		snprintf(h1->target, sizeof h1->target, "%s", x->sname);
		snprintf(h1->principal, sizeof h1->principal, "%s", y->principal);
	}
	ch->nhops = 1;

	/* who */
	if (y->principal[0])
		snprintf(f->user, sizeof f->user, "%s", y->principal);
	else if (y->link_user[0])
		snprintf(f->user, sizeof f->user, "%s", y->link_user);
	if (!h1->principal[0] && y->link_user[0])
		snprintf(h1->principal, sizeof h1->principal, "%s", y->link_user);
	snprintf(f->s_name, sizeof f->s_name, "%s", h1->server.name);
	first_label(f->s_name, f->s_short, sizeof f->s_short);
	snprintf(f->s_ip, sizeof f->s_ip, "%s", h1->server.ip);
	f->hop1_seen = !y->unseen;
	f->hop1_inferred = y->inferred;
	f->hop1_auth = y->auth;
	f->hop1_result = y->result;
	f->hop1_carrier = y->carrier;
	f->hop1_tls_opaque = tls && y->auth == HS_AUTH_UNKNOWN;
	for (unsigned k = 0; k < y->nconns && !f->user_saw[0]; k++) {
		const conn *yc = g_ptr_array_index(m->conns, y->conns[k]);
		if (yc->saw[0]) {
			snprintf(f->user_saw, sizeof f->user_saw, "%s", yc->saw);
			f->user_saw_ref = yc->saw_ref;
		}
	}

	/* visibility */
	vantage_facts(m, ix, y, f);
	if (y->s_known && g_hash_table_contains(ix->clients, &y->s))
		f->s_outbound_visible = true;
	if (g_hash_table_contains(ix->kdc_clients, &y->c))
		f->client_kdc_visible = true;
	for (guint n = 0; n < ix->fwd->len; n++) {
		const kx *x = &g_array_index(m->kxs, kx, g_array_index(ix->fwd, guint, n));
		/* the client's forwarded-TGT request that hop 1 carries (tie_forwarded) */
		if (forwarded_for_session(m, x, y, si) && (!f->user[0] || principal_eq(x->principal, f->user))) {
			f->forwarded_tgt = true;
			f->forwarded_ref = x->req;
			if (x->answered && !x->ok) {
				f->forwarded_error = x->err;
				f->forwarded_ref = x->rep;
			}
			if (!f->user[0] && x->principal[0])
				snprintf(f->user, sizeof f->user, "%s", x->principal);
		}
	}

	/* hop-2 Kerberos evidence */
	const kx *fail_kx = NULL, *ok_kx = NULL;
	const GArray *own_kx = ix->kxs[si], *own_conn = ix->conns[si];
	for (guint n = 0; n < owned_len(own_kx); n++) {
		const kx *x = &g_array_index(m->kxs, kx, g_array_index(own_kx, guint, n));
		if (x->err == 37 || x->err == 38) {
			f->skew = true;
			f->skew_error = x->err;
			f->skew_ref = x->rep;
		}
		if (x->msg == HS_KRB_AS_REQ) {
			if (is_machine(x->principal) || kx_benign(x) || (!x->preauth && !x->ok && x->err != 24))
				continue;
			bool for_user = f->user[0] ? principal_eq(x->principal, f->user) : false;
			if (for_user) {
				if (!f->fresh_as || x->ok || !f->fresh_as_ok) {
					f->fresh_as = true;
					f->fresh_as_ok = x->ok;
					f->fresh_as_error = x->ok ? 0 : x->err;
					f->fresh_as_ref = x->ok ? x->rep : (x->answered ? x->rep : x->req);
				}
			} else {
				f->other_as = true;
				snprintf(f->other_principal, sizeof f->other_principal, "%s", x->principal);
				f->other_as_ref = x->answered ? x->rep : x->req;
				if (!x->ok && x->answered && !kx_benign(x)) {
					f->fresh_as_error = x->err;
					f->fresh_as_ref = x->rep;
				}
				if (x->ok)
					f->fresh_as_ok = true;
			}
			if (!x->ok && x->answered)
				fail_kx = x;
			continue;
		}
		if (x->s4u && x->s4u_routine)
			continue; /* the server reading the user's PAC (mark_routine) */
		if (x->s4u) {
			if (x->tkt_dec) {
				f->s4u2self_flags_known = true;
				f->s4u2self_forwardable = (x->tkt_flags & HS_KRB_TF_FORWARDABLE) != 0;
			}
			f->s4u2self = true;
			f->s4u2self_ok = x->ok;
			f->s4u2self_error = x->ok ? 0 : x->err;
			f->s4u2self_ref = x->answered ? x->rep : x->req;
			if (!f->user[0])
				snprintf(f->user, sizeof f->user, "%s", x->s4u_user);
			if (!x->ok && x->answered)
				fail_kx = x;
			continue;
		}
		if (x->proxy) {
			if (x->tkt_dec && !f->s4u2self_flags_known) {
				f->s4u2self_flags_known = true;
				f->s4u2self_forwardable = (x->tkt_flags & HS_KRB_TF_FORWARDABLE) != 0;
			}
			f->s4u2proxy = true;
			f->s4u2proxy_ok = x->ok;
			f->s4u2proxy_error = x->ok ? 0 : x->err;
			f->s4u2proxy_rbcd_bit = x->rbcd_bit;
			f->s4u2proxy_has_ntstatus = x->has_nt;
			f->s4u2proxy_ntstatus = x->nt;
			f->s4u2proxy_fast = x->fast_err && !x->has_nt;
			f->s4u2proxy_ref = x->answered ? x->rep : x->req;
			snprintf(f->t_spn, sizeof f->t_spn, "%s", x->sname);
			if (x->ok)
				ok_kx = x;
			else if (x->answered)
				fail_kx = x;
			continue;
		}
		if (x->msg == HS_KRB_TGS_REQ && strncasecmp(x->sname, "krbtgt/", 7)) {
			if (x->tgt_forwarded && (!f->user[0] || principal_eq(x->tgt_owner, f->user))) {
				f->tgt_forwarded_used = true;
				f->tgt_ref = x->req;
			} else if (!x->tgt_known && x->tgt_fp) {
				f->tgt_unknown_used = true;
				f->tgt_ref = x->req;
			}
			if (!f->t_spn[0] || x->ok)
				snprintf(f->t_spn, sizeof f->t_spn, "%s", x->sname);
			if (!x->ok && x->answered) {
				f->tgs_error = true;
				f->tgs_error_code = x->err;
				snprintf(f->tgs_error_sname, sizeof f->tgs_error_sname, "%s", x->sname);
				f->tgs_error_ref = x->rep;
				fail_kx = x;
			} else if (x->ok) {
				ok_kx = x;
			}
		}
	}
	if (!f->user[0] && f->hop1_auth == HS_AUTH_CREDSSP && f->other_as) {
		/* CredSSP hands srv1 the password; its fresh AS exchange names the
		 * user (the CredSSP TSCredentials are inside TLS) */
		snprintf(f->user, sizeof f->user, "%s", f->other_principal);
		f->other_as = false;
		f->fresh_as = true;
	}
	if (!f->user[0] && f->tgt_forwarded_used) {
		for (guint n = 0; n < owned_len(own_kx); n++) {
			const kx *x = &g_array_index(m->kxs, kx, g_array_index(own_kx, guint, n));
			if (x->tgt_forwarded)
				snprintf(f->user, sizeof f->user, "%s", x->tgt_owner);
		}
	}

	/* hop 2: the connection that decided, else the KDC exchange */
	const conn *h2c = NULL;
	for (guint n = 0; n < owned_len(own_conn); n++) {
		const conn *c = g_ptr_array_index(m->conns, g_array_index(own_conn, guint, n));
		if (!h2c || conn_result(c) == HS_RES_FAILED || (conn_result(h2c) != HS_RES_FAILED && c->natt))
			h2c = c;
	}
	hs_hop *h2 = &ch->hops[1];
	h2->index = 2;
	if (h2c) {
		const attempt *a = conn_final(h2c);
		h2->t0_ns = h2c->t0;
		endpoint_set(m, &h2->client, &h2c->c, true, 0);
		endpoint_set(m, &h2->server, &h2c->s, true, h2c->sport);
		h2->carrier = h2c->carrier;
		h2->auth = a ? a->auth : HS_AUTH_NONE;
		if (a && a->principal[0])
			snprintf(h2->principal, sizeof h2->principal, "%s", a->principal);
		h2->result = conn_result(h2c);
		for (unsigned j = 0; j < h2c->nframes; j++)
			hop_frames_add(h2, h2c->frames[j]);
		f->hop2_seen = true;
		f->hop2_carrier = h2->carrier;
		f->hop2_auth = h2->auth;
		f->hop2_result = h2->result;
		f->hop2_is_winrm = is_hop1_carrier(h2c->carrier);
		f->hop2_auth_ok = a && a->result == HS_RES_OK;
		if (h2c->tree_seen && h2c->tree_result == HS_RES_FAILED) {
			f->hop2_status = h2c->tree_status;
			f->hop2_ref = h2c->tree_ref;
		} else if (a) {
			f->hop2_status = a->status;
			f->hop2_ref = a->ref;
		}
		if (a && a->sname[0])
			snprintf(f->t_spn, sizeof f->t_spn, "%s", a->sname);
		ch->nhops = 2;
	} else if (fail_kx) {
		const kx *x = fail_kx;
		h2->t0_ns = x->ts;
		endpoint_set(m, &h2->client, &x->c, true, 0);
		endpoint_set(m, &h2->server, &x->k, true, x->kport);
		h2->carrier = HS_CAR_KERBEROS;
		h2->auth = HS_AUTH_KERBEROS;
		snprintf(h2->principal, sizeof h2->principal, "%s", f->user[0] ? f->user : x->principal);
		h2->result = HS_RES_FAILED;
		if (x->msg == HS_KRB_TGS_REQ)
			snprintf(h2->target, sizeof h2->target, "%s", x->sname);
		hop_frames_add(h2, x->req);
		hop_frames_add(h2, x->rep);
		f->hop2_inferred = true;
		f->hop2_carrier = HS_CAR_KERBEROS;
		f->hop2_auth = HS_AUTH_KERBEROS;
		f->hop2_result = HS_RES_FAILED;
		ch->nhops = 2;
	} else if (ok_kx) {
		const kx *x = ok_kx;
		char th[HS_NAME_MAX];
		spn_host(x->sname, th, sizeof th);
		const host *h = host_by_name(m, th);
		h2->t0_ns = x->ts;
		endpoint_set(m, &h2->client, &x->c, true, 0);
		h2->carrier = carrier_of_spn(x->sname);
		endpoint_set(m, &h2->server, h ? &h->addr : &x->k, h != NULL, port_of_carrier(h2->carrier));
		if (!h2->server.name[0])
			snprintf(h2->server.name, sizeof h2->server.name, "%s", th);
		h2->auth = HS_AUTH_KERBEROS;
		snprintf(h2->principal, sizeof h2->principal, "%s", x->principal);
		h2->result = HS_RES_UNKNOWN;
		h2->inferred = true;
		snprintf(h2->target, sizeof h2->target, "%s", x->sname);
		hop_frames_add(h2, x->req);
		hop_frames_add(h2, x->rep);
		f->hop2_inferred = true;
		f->hop2_carrier = h2->carrier;
		f->hop2_auth = HS_AUTH_KERBEROS;
		f->hop2_result = HS_RES_UNKNOWN;
		f->hop2_auth_ok = true;
		ch->nhops = 2;
	}
	if (ch->nhops == 2) {
		/* the Kerberos hop-2 principal, when the ticket did not name it:
		 * the exchange that issued it (AS for a fresh / RunAs account) */
		if (!h2->principal[0] && h2->auth == HS_AUTH_KERBEROS && f->other_as && !f->user[0])
			snprintf(h2->principal, sizeof h2->principal, "%s", f->other_principal);
		char norm[HS_NAME_MAX];
		normalize_user(m, h2->principal, norm, sizeof norm);
		snprintf(f->hop2_principal, sizeof f->hop2_principal, "%s", norm);
		snprintf(f->t_name, sizeof f->t_name, "%s", h2->server.name);
		if (h2->carrier != HS_CAR_KERBEROS) /* else the KDC's address, not the target's */
			snprintf(f->t_ip, sizeof f->t_ip, "%s", h2->server.ip);
		if (!f->t_name[0] && f->t_spn[0])
			spn_host(f->t_spn, f->t_name, sizeof f->t_name);
		first_label(f->t_name, f->t_short, sizeof f->t_short);
		if (norm[0] && h2->auth != HS_AUTH_ANONYMOUS) {
			char su[64];
			snprintf(su, sizeof su, "%s$", f->s_short);
			char u[HS_NAME_MAX], d[HS_NAME_MAX];
			hs_split_principal(norm, u, sizeof u, d, sizeof d);
			if (f->user[0] && principal_eq(norm, f->user))
				f->hop2_as_user = true;
			else if (is_machine(norm) && (!f->s_short[0] || !strcasecmp(u, su)))
				f->hop2_as_machine = true;
			else if (f->user[0])
				f->hop2_as_other = true;
		}
		if (h2c && f->hop2_status) {
			const char *nm = hs_ntstatus_name(f->hop2_status);
			if (nm)
				snprintf(f->hop2_status_name, sizeof f->hop2_status_name, "%s", nm);
			else
				snprintf(f->hop2_status_name, sizeof f->hop2_status_name, "0x%08x", f->hop2_status);
		}
	}
	if (f->user[0])
		normalize_user(m, f->user, ch->user, sizeof ch->user);
}

/* ------------------------------------------------------------------ */
/* ------------------------------------------------------------------ */

static int chain_cmp(const void *a, const void *b)
{
	const hs_chain *x = a, *y = b;
	return x->hops[0].t0_ns < y->hops[0].t0_ns ? -1 : x->hops[0].t0_ns > y->hops[0].t0_ns;
}

static bool flush_built(hs_model *m);

/* Sessions, attribution and chains from what m holds, appended to
 * m->chains unjudged (the finish and retire() call it). */
static void build_chains(hs_model *m)
{
	resolve_kdc(m);
	resolve_conns(m);
	mark_routine(m);
	tie_forwarded(m);
	build_sessions(m);
	credssp_principals(m);
	infer_sessions(m);
	attribute(m);
	if (partial_sessions(m))
		attribute(m);
	if (getenv("HS_MODEL_DEBUG")) {
		for (guint s = 0; s < m->sessions->len; s++) {
			const session *y = &g_array_index(m->sessions, session, s);
			fprintf(stderr, "session %u shell=%s principal=%s link=%s t0=%lld t1=%lld nconns=%u items=%d\n", s, y->shell_id,
				y->principal, y->link_user, (long long)y->t0, (long long)y->t1, y->nconns, y->nitems);
		}
		for (guint i = 0; i < m->conns->len; i++) {
			const conn *c = g_ptr_array_index(m->conns, i);
			char a[48], b[48];
			fprintf(stderr, "conn %u %s:%u -> %s:%u car=%s sess=%d owner=%d t0=%lld ncmd=%u\n", i, hs_addr_str(&c->c, a, sizeof a), c->cport,
				hs_addr_str(&c->s, b, sizeof b), c->sport, hs_carrier_name(c->carrier), c->session, c->owner, (long long)c->t0, c->ncmd);
		}
		for (guint i = 0; i < m->kxs->len; i++) {
			const kx *x = &g_array_index(m->kxs, kx, i);
			char a[48];
			fprintf(stderr, "kx %u %s msg=%d sname=%s principal=%s ok=%d err=%d owner=%d\n", i, hs_addr_str(&x->c, a, sizeof a), x->msg,
				x->sname, x->principal, x->ok, x->err, x->owner);
		}
	}
	chain_index ix;
	chain_index_build(m, &ix);
	guint built = 0;
	for (guint s = 0; s < m->sessions->len; s++) {
		if (built >= m->cfg.max_chains) {
			cap_hit(m, &m->caps.chains);
			continue;
		}
		hs_chain ch;
		build_chain(m, &ix, (int)s, &ch);
		/* A session whose server's own traffic is visible and shows no
		 * second hop is still a remoting session: its chain says "not
		 * attempted" (from server1's capture that is an answer, and
		 * the contract's count is one chain per session). */
		g_array_append_val(m->chains, ch);
		built++;
		if (m->cfg.spill_after && m->chains->len >= m->cfg.spill_after && flush_built(m))
			built = 0; /* max_chains bounds the chains in memory, not those stored */
	}
	chain_index_free(&ix);
}

/* ------------------------------------------------------------------ */
/* retirement: settled sessions leave the working tables */

/* Everything whose last evidence is older than cut, minus what a session
 * still open may claim (the items from SLACK_NS before the earliest
 * connection still active on), is built into chains now, as the finish
 * would, in a model of its own that shares the tickets, hosts and NetBIOS
 * domains learned so far; the chains wait in m->chains for the finish (which
 * judges, numbers and redacts all of them together) and the working state
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
		build_chains(sub);
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
static void maybe_retire(hs_model *m, int64_t t)
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

/* A chain whose server delegated a forwarded TGT: that server is trusted
 * for delegation (the finish's cross-chain trust). */
static bool delegates(const hs_chain *c)
{
	return c->facts.tgt_forwarded_used && c->facts.hop2_result != HS_RES_FAILED;
}

static void count_delegation(GHashTable *t, const hs_chain *c)
{
	if (!delegates(c))
		return;
	guint n = GPOINTER_TO_UINT(g_hash_table_lookup(t, c->facts.s_ip));
	g_hash_table_replace(t, g_strdup(c->facts.s_ip), GUINT_TO_POINTER(n + 1));
}

static void apply_trust(GHashTable *t, hs_chain *c)
{
	guint n = GPOINTER_TO_UINT(g_hash_table_lookup(t, c->facts.s_ip));
	if (delegates(c))
		n--; /* another chain than itself */
	if (n && c->facts.s_ip[0])
		c->facts.server_trusted_seen = true;
}

/* Judge each newly retired chain with what is known so far (trust from the
 * chains retired before it and with it) and hand it to on_retired.  The
 * stored chain stays unjudged: the finish judges every chain again with the
 * whole input's trust, and numbers them. */
static void stream_retired(hs_model *m, GArray *built)
{
	if (!m->delegating)
		m->delegating = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
	for (guint i = 0; i < built->len; i++)
		count_delegation(m->delegating, &g_array_index(built, hs_chain, i));
	hs_chain *ch = g_new(hs_chain, 1);
	for (guint i = 0; i < built->len; i++) {
		*ch = g_array_index(built, hs_chain, i);
		apply_trust(m->delegating, ch);
		if (m->redact)
			hs_redact_chain(m->redact, ch);
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
 * (by first hop's start, stable), trust, numbering, redaction and diagnosis
 * as the in-memory finish, one chain in memory at a time; each judged chain
 * replaces its record. */
static void finish_stored(hs_model *m, bool redact_names)
{
	spill_chains(m);
	if (m->chains->len) { /* the disk is full: what could not be stored is not reported, and said so */
		for (guint i = 0; i < m->chains->len; i++)
			cap_hit(m, &m->caps.chains);
		g_array_set_size(m->chains, 0);
	}
	hs_chain_store_sort(m->store);
	size_t n = hs_chain_store_count(m->store);
	GHashTable *deleg = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
	hs_chain *ch = g_new(hs_chain, 1);
	for (size_t i = 0; i < n; i++)
		if (hs_chain_store_get(m->store, i, ch))
			count_delegation(deleg, ch);
	hs_redact *own = redact_names && !m->redact ? hs_redact_new() : NULL;
	for (size_t i = 0; i < n; i++) {
		hs_chain_store_get(m->store, i, ch);
		apply_trust(deleg, ch);
		ch->id = (unsigned)(i + 1);
		if (redact_names)
			hs_redact_chain(m->redact ? m->redact : own, ch);
		hs_rules_diagnose(&ch->facts, &ch->diag);
		hs_chain_store_set(m->store, i, ch);
	}
	hs_redact_free(own);
	g_free(ch);
	g_hash_table_destroy(deleg);
	m->cache_at = 0;
}

/* During build_chains, with spill_after: the chains built so far leave
 * memory (retire()'s model hands them to its parent, the finish's go to the
 * store), so that however many sessions settle at once only spill_after
 * chains are in memory.  True when m->chains is empty after it. */
static bool flush_built(hs_model *m)
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
static void budget_check(hs_model *m, int64_t t)
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

void hs_model_set_redactor(hs_model *m, hs_redact *r) { m->redact = r; }

void hs_model_finish(hs_model *m, bool redact_names)
{
	if (m->finished)
		return;
	m->finished = true;
	build_chains(m);
	if (m->chains->len > 1)
		qsort(m->chains->data, m->chains->len, sizeof(hs_chain), chain_cmp);
	/* A server that delegated someone's forwarded TGT in this capture is
	 * trusted for delegation: another user's missing TGT is then the
	 * client's choice, not the server's configuration. */
	if (m->store) {
		finish_stored(m, redact_names);
		return;
	}
	GHashTable *delegated = g_hash_table_new(g_str_hash, g_str_equal); /* s_ip -> chains that delegated */
	for (guint i = 0; i < m->chains->len; i++) {
		const hs_chain *b = &g_array_index(m->chains, hs_chain, i);
		if (delegates(b)) {
			guint n = GPOINTER_TO_UINT(g_hash_table_lookup(delegated, b->facts.s_ip));
			g_hash_table_insert(delegated, (gpointer)b->facts.s_ip, GUINT_TO_POINTER(n + 1));
		}
	}
	for (guint i = 0; i < m->chains->len; i++) {
		hs_chain *a = &g_array_index(m->chains, hs_chain, i);
		guint n = GPOINTER_TO_UINT(g_hash_table_lookup(delegated, a->facts.s_ip));
		if (delegates(a))
			n--; /* another chain than itself */
		if (n && a->facts.s_ip[0])
			a->facts.server_trusted_seen = true;
	}
	g_hash_table_destroy(delegated);
	hs_redact *own = redact_names && !m->redact ? hs_redact_new() : NULL;
	for (guint i = 0; i < m->chains->len; i++) {
		hs_chain *ch = &g_array_index(m->chains, hs_chain, i);
		ch->id = i + 1;
		if (redact_names)
			hs_redact_chain(m->redact ? m->redact : own, ch);
		hs_rules_diagnose(&ch->facts, &ch->diag);
	}
	hs_redact_free(own);
}
