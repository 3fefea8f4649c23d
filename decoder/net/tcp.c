/* tcp.c - flow table, TCP reassembly (RFC 9293) and UDP dispatch.
 * Policies are documented in tcp.h. */
#include "tcp.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/types.h>

#include "cursor.h"
#include "net.h"
#include "protos.h"

#define TH_FIN 0x01
#define TH_SYN 0x02
#define TH_RST 0x04
#define TH_ACK 0x10

#define BUF_MIN 256 /* a half-open connection's first partial PDU costs this, not pages */
#define BUF_KEEP (64 * 1024) /* an emptied buffer larger than this is freed */

/* An out-of-order run of bytes.  A segment that continues the run before
 * it is appended to that run (capacity doubled), so ascending segments after
 * a hole cost one run, not one node each. */
typedef struct seg {
	uint32_t seq, len, cap;
	uint8_t data[];
} seg;

/* What a run costs beyond its bytes: its header, the GTree node (five
 * pointers) and the allocator's headers; counted against the caps so that
 * 1-byte segments are charged what they take. */
#define SEG_OVERHEAD (sizeof(seg) + 5 * sizeof(void *) + 32)
#define SEG_COST(s) (SEG_OVERHEAD + (s)->cap)

typedef struct tdir {
	uint32_t next_seq;  /* next byte expected in order */
	uint32_t isn;
	uint32_t fin_seq;   /* sequence number after the last byte, once FIN seen */
	uint8_t *buf;       /* unconsumed in-order bytes at buf + off */
	size_t off, len, cap;
	size_t needed;      /* parser said it needs this many bytes in total */
	GTree *ooo;         /* out of order runs by seq, non-overlapping; NULL when none */
	size_t ooo_bytes;   /* what they cost (bytes + SEG_OVERHEAD each) */
	bool started, syn, fin, eof, pickup;
	bool resync;        /* after a gap or pickup, until the parser takes a PDU (app.h) */
} tdir;

typedef struct flow_key {
	uint8_t a[16], b[16];
	uint16_t pa, pb;
	uint8_t family, proto;
	uint8_t pad[2];
} flow_key;

struct hs_flow {
	flow_key key;
	hs_flow *prev, *next;
	uint64_t id;
	const hs_app *app;
	void *state;
	hs_addr addr[2];   /* [0] initiator, [1] responder */
	uint16_t port[2];
	uint8_t ipproto;
	bool closed;
	bool probed;       /* found by payload (hs_app_probe), not by a well-known port */
	uint8_t carrier;   /* hs_carrier a decode-as rule or a probe named (hs_meta.carrier) */
	int64_t last_ns;
	int64_t last_sec;
	uint32_t last_nsec, last_input;
	uint64_t last_frame;
	tdir d[2];
};

static inline bool seq_lt(uint32_t a, uint32_t b) { return (int32_t)(a - b) < 0; }
static inline bool seq_leq(uint32_t a, uint32_t b) { return (int32_t)(a - b) <= 0; }

static const char *dir_name(int dir) { return dir == 0 ? "client->server" : "server->client"; }

/* ---- flow table ---- */

static guint key_hash(gconstpointer p)
{
	/* FNV-1a over the normalised key */
	const uint8_t *k = p;
	guint h = 2166136261u;
	for (size_t i = 0; i < sizeof(flow_key); i++)
		h = (h ^ k[i]) * 16777619u;
	return h;
}

static gboolean key_eq(gconstpointer a, gconstpointer b) { return memcmp(a, b, sizeof(flow_key)) == 0; }

void hs_flows_init(hs_flows *t)
{
	memset(t, 0, sizeof *t);
	t->tab = g_hash_table_new(key_hash, key_eq);
	t->next_id = 1;
}

static void make_key(flow_key *k, uint8_t proto, const hs_addr *s, uint16_t sp, const hs_addr *d, uint16_t dp)
{
	memset(k, 0, sizeof *k);
	int c = memcmp(s->a, d->a, 16);
	bool swap = c > 0 || (c == 0 && sp > dp);
	memcpy(k->a, swap ? d->a : s->a, 16);
	memcpy(k->b, swap ? s->a : d->a, 16);
	k->pa = swap ? dp : sp;
	k->pb = swap ? sp : dp;
	k->family = s->family;
	k->proto = proto;
}

static void lru_unlink(hs_flows *t, hs_flow *f)
{
	if (f->prev) f->prev->next = f->next; else t->head = f->next;
	if (f->next) f->next->prev = f->prev; else t->tail = f->prev;
	f->prev = f->next = NULL;
}

static void lru_append(hs_flows *t, hs_flow *f)
{
	f->prev = t->tail;
	f->next = NULL;
	if (t->tail) t->tail->next = f; else t->head = f;
	t->tail = f;
}

static void touch(hs_net *e, hs_flow *f)
{
	f->last_ns = e->now_ns;
	f->last_sec = e->ts_sec;
	f->last_nsec = e->ts_nsec;
	f->last_input = e->input;
	f->last_frame = e->frame;
	if (e->flows.tail != f) {
		lru_unlink(&e->flows, f);
		lru_append(&e->flows, f);
	}
}

/* Meta for data flowing in dir, at the flow's latest frame (which is the
 * frame being fed when called from packet processing). */
static void make_meta(const hs_flow *f, int dir, hs_meta *m)
{
	m->input = f->last_input;
	m->frame = f->last_frame;
	m->ts_sec = f->last_sec;
	m->ts_nsec = f->last_nsec;
	m->src = f->addr[dir];
	m->dst = f->addr[!dir];
	m->sport = f->port[dir];
	m->dport = f->port[!dir];
	m->ipproto = f->ipproto;
	m->flow_id = f->id;
	m->dir = (uint8_t)dir;
	m->carrier = f->carrier;
}

static void make_ctx(hs_net *e, hs_flow *f, int dir, const hs_meta *m, bool eof, hs_app_ctx *c)
{
	c->host = e->host;
	c->meta = m;
	c->state = f->state;
	c->dir = (uint8_t)dir;
	c->eof = eof;
	c->resync = f->d[dir].resync;
}

static void flow_anomaly(hs_net *e, const hs_flow *f, hs_anom kind, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));
static void flow_anomaly(hs_net *e, const hs_flow *f, hs_anom kind, const char *fmt, ...)
{
	char a[64], b[64], msg[320];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof msg, fmt, ap);
	va_end(ap);
	hs_addr_str(&f->addr[0], a, sizeof a);
	hs_addr_str(&f->addr[1], b, sizeof b);
	hs_net_anomaly_at(e, f->last_input, f->last_frame, kind, "%s %s:%u -> %s:%u (flow %llu): %s",
			  f->app->name, a, f->port[0], b, f->port[1], (unsigned long long)f->id, msg);
}

/* ---- buffers ---- */

static void buf_clear(hs_net *e, tdir *d, bool release)
{
	d->off = d->len = 0;
	d->needed = 0;
	if (d->buf && (release || d->cap > BUF_KEEP)) {
		hs_net_account(e->stats, -(ssize_t)d->cap);
		g_free(d->buf);
		d->buf = NULL;
		d->cap = 0;
	}
}

static gboolean seg_free(gpointer key, gpointer value, gpointer ud)
{
	(void)key;
	(void)ud;
	g_free(value);
	return FALSE;
}

static void ooo_clear(hs_net *e, tdir *d)
{
	if (d->ooo) {
		g_tree_foreach(d->ooo, seg_free, NULL);
		g_tree_destroy(d->ooo);
	}
	hs_net_account(e->stats, -(ssize_t)d->ooo_bytes);
	d->ooo = NULL;
	d->ooo_bytes = 0;
}

/* Sequence numbers in one queue lie within max_stream_buffer of next_seq,
 * so comparing them modulo 2^32 is a total order. */
static gint seq_cmp(gconstpointer a, gconstpointer b)
{
	int32_t d = (int32_t)(GPOINTER_TO_UINT(a) - GPOINTER_TO_UINT(b));
	return d < 0 ? -1 : d > 0;
}

static seg *ooo_first(const tdir *d)
{
	GTreeNode *n = d->ooo ? g_tree_node_first(d->ooo) : NULL;
	return n ? g_tree_node_value(n) : NULL;
}

/* Room for n more bytes in d->buf within the caps; false when a cap says no. */
static bool buf_reserve(hs_net *e, tdir *d, size_t n)
{
	size_t want = d->len + n;
	if (want + d->ooo_bytes > e->caps->max_stream_buffer)
		return false;
	if (d->off + want <= d->cap)
		return true;
	if (want <= d->cap) {
		memmove(d->buf, d->buf + d->off, d->len);
		d->off = 0;
		return true;
	}
	size_t ncap = d->cap ? d->cap : BUF_MIN;
	while (ncap < want)
		ncap *= 2;
	if (ncap > e->caps->max_stream_buffer)
		ncap = want > e->caps->max_stream_buffer ? want : e->caps->max_stream_buffer;
	if (e->stats->buffered_bytes + (ncap - d->cap) > e->caps->max_total_buffer)
		return false;
	uint8_t *nb = g_malloc(ncap);
	if (d->len)
		memcpy(nb, d->buf + d->off, d->len);
	g_free(d->buf);
	hs_net_account(e->stats, (ssize_t)ncap - (ssize_t)d->cap);
	d->buf = nb;
	d->cap = ncap;
	d->off = 0;
	return true;
}

/* ---- delivery ---- */

static void call_gap(hs_net *e, hs_flow *f, int dir)
{
	f->d[dir].resync = true;
	if (!f->app->gap)
		return;
	hs_meta m;
	hs_app_ctx c;
	make_meta(f, dir, &m);
	make_ctx(e, f, dir, &m, false, &c);
	f->app->gap(&c);
}

/* Drop what the parser holds in dir and tell it to resynchronise. */
static void drop_and_gap(hs_net *e, hs_flow *f, int dir)
{
	buf_clear(e, &f->d[dir], false);
	call_gap(e, f, dir);
}

static void cap_hit(hs_net *e, hs_flow *f, int dir, size_t dropped)
{
	tdir *d = &f->d[dir];
	bool total = d->len + d->ooo_bytes + dropped <= e->caps->max_stream_buffer;
	e->stats->cap_hits++;
	e->stats->dropped += d->len + dropped;
	flow_anomaly(e, f, total ? HS_ANOM_MEMORY_CAP : HS_ANOM_STREAM_CAP,
		     "%s: %zu bytes buffered would pass %s (%zu); buffered data dropped", dir_name(dir),
		     d->len + d->ooo_bytes + dropped, total ? "max_total_buffer" : "max_stream_buffer",
		     total ? e->caps->max_total_buffer : e->caps->max_stream_buffer);
	drop_and_gap(e, f, dir);
}

/* Run the parser over data, which is either d->buf+off (buffered) or a
 * segment's bytes (nothing buffered). */
static hs_deliver run_parser(hs_net *e, hs_flow *f, int dir, const uint8_t *data, size_t len, bool eof)
{
	hs_meta m;
	hs_app_ctx c;
	if (!f->app->stream) {
		hs_deliver all = { len, 0, false, false };
		return all;
	}
	make_meta(f, dir, &m);
	make_ctx(e, f, dir, &m, eof, &c);
	hs_deliver r = hs_net_deliver(e, f->app, &c, data, len);
	if (r.consumed && !r.drop)
		f->d[dir].resync = false;
	return r;
}

/* In-order bytes for dir: zero-copy when nothing is buffered and the parser
 * takes them all; what it leaves is kept for the next call. */
static void push_bytes(hs_net *e, hs_flow *f, int dir, const uint8_t *data, size_t len)
{
	tdir *d = &f->d[dir];
	hs_deliver r;
	if (d->pickup) {
		d->pickup = false;
		call_gap(e, f, dir);
	}
	if (d->len) {
		if (!buf_reserve(e, d, len)) {
			cap_hit(e, f, dir, len);
			return;
		}
		memcpy(d->buf + d->off + d->len, data, len);
		d->len += len;
		/* A parser that said how much it needs is not asked again before:
		 * a large PDU is not re-parsed once per segment. */
		if (d->needed && d->len < d->needed)
			return;
		r = run_parser(e, f, dir, d->buf + d->off, d->len, false);
		if (r.drop) {
			e->stats->dropped += d->len;
			drop_and_gap(e, f, dir);
			return;
		}
		d->off += r.consumed;
		d->len -= r.consumed;
		d->needed = r.needed;
		if (!d->len)
			buf_clear(e, d, false);
		return;
	}
	r = run_parser(e, f, dir, data, len, false);
	if (r.drop) {
		e->stats->dropped += len;
		drop_and_gap(e, f, dir);
		return;
	}
	if (r.consumed == len)
		return;
	if (!buf_reserve(e, d, len - r.consumed)) {
		cap_hit(e, f, dir, len - r.consumed);
		return;
	}
	memcpy(d->buf + d->off, data + r.consumed, len - r.consumed);
	d->len = len - r.consumed;
	d->needed = r.needed;
}

/* Deliver out-of-order segments that have become contiguous. */
static void drain(hs_net *e, hs_flow *f, int dir)
{
	tdir *d = &f->d[dir];
	seg *s;
	while ((s = ooo_first(d)) && seq_leq(s->seq, d->next_seq)) {
		g_tree_remove(d->ooo, GUINT_TO_POINTER(s->seq));
		d->ooo_bytes -= SEG_COST(s);
		hs_net_account(e->stats, -(ssize_t)SEG_COST(s));
		uint32_t skip = d->next_seq - s->seq;
		if (skip < s->len) {
			d->next_seq += s->len - skip;
			push_bytes(e, f, dir, s->data + skip, s->len - skip);
		}
		g_free(s);
		if (f->closed)
			break;
	}
}

/* The bytes [next_seq, to) will never be seen: say so and resume at to. */
static void skip_to(hs_net *e, hs_flow *f, int dir, uint32_t to, const char *why)
{
	tdir *d = &f->d[dir];
	uint32_t n = to - d->next_seq;
	e->stats->tcp_gaps++;
	flow_anomaly(e, f, HS_ANOM_TCP_GAP, "%s: %u bytes missing at seq %u (%s)", dir_name(dir), n, d->next_seq, why);
	e->stats->dropped += d->len;
	d->next_seq = to;
	d->pickup = false;
	drop_and_gap(e, f, dir);
	drain(e, f, dir);
}

/* Queue the bytes [seq, seq+len) as a run of their own, or at the end of
 * the run that ends at seq. */
static void ooo_put(hs_net *e, tdir *d, uint32_t seq, const uint8_t *data, uint32_t len)
{
	if (!d->ooo)
		d->ooo = g_tree_new(seq_cmp);
	GTreeNode *n = g_tree_upper_bound(d->ooo, GUINT_TO_POINTER(seq));
	n = n ? g_tree_node_previous(n) : g_tree_node_last(d->ooo);
	seg *p = n ? g_tree_node_value(n) : NULL;
	if (p && p->seq + p->len == seq) {
		if (p->len + len > p->cap) {
			size_t old = SEG_COST(p);
			uint32_t ncap = p->cap * 2 > p->len + len ? p->cap * 2 : p->len + len;
			p = g_realloc(p, sizeof(seg) + ncap);
			p->cap = ncap;
			d->ooo_bytes += SEG_COST(p) - old;
			hs_net_account(e->stats, (ssize_t)(SEG_COST(p) - old));
			g_tree_insert(d->ooo, GUINT_TO_POINTER(p->seq), p);
		}
		memcpy(p->data + p->len, data, len);
		p->len += len;
		return;
	}
	seg *s = g_malloc(sizeof(seg) + len);
	s->seq = seq;
	s->len = s->cap = len;
	memcpy(s->data, data, len);
	d->ooo_bytes += SEG_COST(s);
	hs_net_account(e->stats, (ssize_t)SEG_COST(s));
	g_tree_insert(d->ooo, GUINT_TO_POINTER(seq), s);
}

/* The queued run that holds seq, else the first one after it (NULL: none). */
static seg *ooo_at(const tdir *d, uint32_t seq)
{
	GTreeNode *n = g_tree_upper_bound(d->ooo, GUINT_TO_POINTER(seq));
	GTreeNode *p = n ? g_tree_node_previous(n) : g_tree_node_last(d->ooo);
	if (p) {
		seg *s = g_tree_node_value(p);
		if (seq_lt(seq, s->seq + s->len))
			return s;
	}
	return n ? g_tree_node_value(n) : NULL;
}

static bool ooo_over_cap(hs_net *e, const tdir *d, uint32_t len)
{
	return d->len + d->ooo_bytes + len + SEG_OVERHEAD > e->caps->max_stream_buffer;
}

/* Queue [seq, seq+len) out of order; bytes already queued win.  Each step
 * is a lookup in the tree: O(log n) per segment plus the bytes compared. */
static void ooo_insert(hs_net *e, hs_flow *f, int dir, uint32_t seq, const uint8_t *data, uint32_t len)
{
	tdir *d = &f->d[dir];
	if (ooo_over_cap(e, d, len) || e->stats->buffered_bytes + len + SEG_OVERHEAD > e->caps->max_total_buffer) {
		/* The hole is not being filled within the budget: give it up. */
		e->stats->cap_hits++;
		flow_anomaly(e, f, ooo_over_cap(e, d, len) ? HS_ANOM_STREAM_CAP : HS_ANOM_MEMORY_CAP,
			     "%s: out-of-order data would pass the buffer cap; hole skipped", dir_name(dir));
		seg *first = ooo_first(d);
		uint32_t to = first && seq_lt(first->seq, seq) ? first->seq : seq;
		skip_to(e, f, dir, to, "buffer cap");
		if (f->closed)
			return;
		if (seq_leq(seq, d->next_seq)) {
			uint32_t skip = d->next_seq - seq;
			if (skip < len) {
				d->next_seq += len - skip;
				push_bytes(e, f, dir, data + skip, len - skip);
				drain(e, f, dir);
			}
			return;
		}
		if (ooo_over_cap(e, d, len) || e->stats->buffered_bytes + len + SEG_OVERHEAD > e->caps->max_total_buffer) {
			e->stats->dropped += len;
			return;
		}
	}
	uint32_t cur = seq, end = seq + len;
	bool differs = false;
	while (seq_lt(cur, end)) {
		seg *s = d->ooo ? ooo_at(d, cur) : NULL;
		if (!s || seq_leq(end, s->seq)) {
			ooo_put(e, d, cur, data + (cur - seq), end - cur);
			break;
		}
		if (seq_lt(cur, s->seq)) {
			uint32_t upto = s->seq;
			ooo_put(e, d, cur, data + (cur - seq), upto - cur);
			cur = upto;
			continue; /* s may have moved: look it up again */
		}
		uint32_t s_end = s->seq + s->len;
		uint32_t o_end = seq_lt(end, s_end) ? end : s_end;
		if (memcmp(s->data + (cur - s->seq), data + (cur - seq), o_end - cur) != 0)
			differs = true;
		cur = o_end;
	}
	if (differs)
		flow_anomaly(e, f, HS_ANOM_TCP_OVERLAP, "%s: retransmitted bytes differ from the first copy; first kept",
			     dir_name(dir));
}

static void segment_data(hs_net *e, hs_flow *f, int dir, uint32_t seq, const uint8_t *data, uint32_t len)
{
	tdir *d = &f->d[dir];
	if (d->eof)
		return;
	if (seq_lt(seq, d->next_seq)) {
		uint32_t old = d->next_seq - seq;
		if (old >= len)
			return; /* retransmission of delivered bytes: first copy won */
		data += old;
		len -= old;
		seq = d->next_seq;
	}
	if (seq != d->next_seq) {
		ooo_insert(e, f, dir, seq, data, len);
		return;
	}
	d->next_seq += len;
	push_bytes(e, f, dir, data, len);
	if (ooo_first(d) && !f->closed)
		drain(e, f, dir);
}

/* ---- closing ---- */

/* End of dir: give up remaining holes, hand the parser its last bytes
 * with eof. */
static void dir_eof(hs_net *e, hs_flow *f, int dir)
{
	tdir *d = &f->d[dir];
	if (d->eof || !d->started)
		return;
	seg *s;
	while ((s = ooo_first(d)) && !f->closed)
		skip_to(e, f, dir, s->seq, "never received before the end of the stream");
	d->eof = true;
	if (f->app->stream) {
		hs_deliver r = run_parser(e, f, dir, d->buf ? d->buf + d->off : NULL, d->len, true);
		if (!r.drop && r.consumed < d->len) {
			e->stats->dropped += d->len - r.consumed;
			flow_anomaly(e, f, HS_ANOM_TRUNCATED_PDU, "%s: stream ended inside a PDU (%zu bytes unparsed)",
				     dir_name(dir), d->len - r.consumed);
		}
	}
	buf_clear(e, d, true);
	ooo_clear(e, d);
}

/* What a flow costs while it is tracked (its struct, the hash table's
 * entry) and what its parser's state costs until it closes: both are
 * counted with the stream buffers against max_total_buffer. */
#define FLOW_COST (sizeof(hs_flow) + 4 * sizeof(void *) + 16)
static size_t state_cost(const hs_app *app) { return app->state_size ? app->state_size : 1; }

static void close_flow(hs_net *e, hs_flow *f)
{
	if (f->closed)
		return;
	if (f->ipproto == 6) {
		dir_eof(e, f, 0);
		dir_eof(e, f, 1);
	}
	if (f->app->close) {
		hs_meta m;
		hs_app_ctx c;
		make_meta(f, 0, &m);
		make_ctx(e, f, 0, &m, true, &c);
		f->app->close(&c);
	}
	f->closed = true;
	g_free(f->state);
	f->state = NULL;
	hs_net_account(e->stats, -(ssize_t)state_cost(f->app));
	for (int i = 0; i < 2; i++) {
		buf_clear(e, &f->d[i], true);
		ooo_clear(e, &f->d[i]);
	}
}

static void flow_remove(hs_net *e, hs_flow *f)
{
	close_flow(e, f);
	g_hash_table_remove(e->flows.tab, &f->key);
	lru_unlink(&e->flows, f);
	e->flows.count--;
	if (f->probed && !--e->flows.probed)
		memset(e->flows.probed_ports, 0, sizeof e->flows.probed_ports);
	hs_net_account(e->stats, -(ssize_t)FLOW_COST);
	g_free(f);
}

void hs_flows_expire(hs_net *e)
{
	while (e->flows.head && e->now_ns - e->flows.head->last_ns > e->idle_ns)
		flow_remove(e, e->flows.head);
}

void hs_flows_finish(hs_net *e)
{
	while (e->flows.head)
		flow_remove(e, e->flows.head);
}

void hs_flows_free(hs_net *e)
{
	hs_flow *f = e->flows.head;
	while (f) {
		hs_flow *n = f->next;
		for (int i = 0; i < 2; i++) {
			buf_clear(e, &f->d[i], true);
			ooo_clear(e, &f->d[i]);
		}
		g_free(f->state);
		g_free(f);
		f = n;
	}
	if (e->flows.tab)
		g_hash_table_destroy(e->flows.tab);
	memset(&e->flows, 0, sizeof e->flows);
}

/* ---- lookup and creation ---- */

static hs_flow *flow_new(hs_net *e, const flow_key *k, const hs_app *app, uint8_t proto, const hs_addr *cli,
			 uint16_t cport, const hs_addr *srv, uint16_t sport)
{
	/* Under pressure the least recently active flows go first: an
	 * attacker's never-closed connections cannot hold the budget. */
	size_t cost = FLOW_COST + state_cost(app);
	while (e->flows.head &&
	       (e->flows.count >= e->caps->max_flows || e->stats->buffered_bytes + cost > e->caps->max_total_buffer)) {
		hs_flow *old = e->flows.head;
		e->stats->cap_hits++;
		e->stats->evicted_flows++;
		if (e->flows.count >= e->caps->max_flows)
			flow_anomaly(e, old, HS_ANOM_FLOW_CAP, "%zu flows tracked (max_flows); least recently active flow evicted",
				     e->flows.count);
		else
			flow_anomaly(e, old, HS_ANOM_MEMORY_CAP,
				     "%zu bytes held by flows and buffers would pass max_total_buffer (%zu); "
				     "least recently active flow evicted",
				     e->stats->buffered_bytes + cost, e->caps->max_total_buffer);
		flow_remove(e, old);
	}
	hs_flow *f = g_new0(hs_flow, 1);
	hs_net_account(e->stats, (ssize_t)cost);
	f->key = *k;
	f->id = e->flows.next_id++;
	f->app = app;
	f->state = g_malloc0(state_cost(app));
	f->addr[0] = *cli;
	f->addr[1] = *srv;
	f->port[0] = cport;
	f->port[1] = sport;
	f->ipproto = proto;
	g_hash_table_insert(e->flows.tab, &f->key, f);
	lru_append(&e->flows, f);
	e->flows.count++;
	e->stats->flows++;
	return f;
}

/* Which side initiated, when no SYN says so. */
static bool server_is_src_by_port(hs_net *e, uint8_t proto, uint16_t sp, uint16_t dp, bool hint)
{
	bool x;
	bool s_known = e->resolve(proto, sp, 0, &x) != NULL;
	bool d_known = e->resolve(proto, 0, dp, &x) != NULL;
	if (s_known && d_known)
		return sp < dp || (sp == dp && hint);
	return hint;
}

/* The parser by the decode-as rules (and the carrier a rule names), else
 * by the well-known ports; NULL when neither names one. */
static const hs_app *resolve(hs_net *e, uint8_t ipproto, uint16_t sp, uint16_t dp, bool *srv_src,
			     hs_carrier *carrier)
{
	*carrier = HS_CAR_OTHER;
	const hs_app *app = e->caps->n_decode_as ? hs_decode_as_app(e->caps, ipproto, sp, dp, srv_src, carrier) : NULL;
	return app ? app : e->resolve(ipproto, sp, dp, srv_src);
}

static inline bool port_probed(const hs_flows *t, uint16_t port)
{
	return t->probed_ports[port >> 6] >> (port & 63) & 1;
}

/* The parser for a flow on unknown ports, from its first payload: the
 * protocol a probe accepts (and which side sent it), the waiting parser
 * while a probe needs more bytes (probe.c), else NULL. */
static const hs_app *probe_first(const uint8_t *p, size_t len, bool *srv_src, hs_carrier *carrier)
{
	hs_probe_verdict v;
	const hs_proto_def *d = hs_app_probe(6, p, len, &v);
	*srv_src = v == HS_PROBE_SERVER;
	if (d) {
		*carrier = d->probe_carrier;
		return d->probe_app;
	}
	return v == HS_PROBE_MORE ? &hs_probe_app : NULL;
}

void hs_tcp_input(hs_net *e, const hs_ip_pkt *ip)
{
	hs_cur c = hs_cur_make(ip->payload, ip->len);
	uint16_t sp = hs_cur_u16be(&c);
	uint16_t dp = hs_cur_u16be(&c);
	uint32_t seq = hs_cur_u32be(&c);
	uint32_t ack = hs_cur_u32be(&c);
	uint8_t doff = hs_cur_u8(&c);
	uint8_t flags = hs_cur_u8(&c);
	if (!hs_cur_ok(&c)) {
		e->stats->undecodable++;
		return;
	}
	size_t hl = (size_t)(doff >> 4) * 4;
	if (hl < 20 || hl > ip->wire_len) {
		e->stats->undecodable++;
		return;
	}
	if (hl > ip->len) { /* options cut by snaplen: nothing usable */
		e->stats->undecodable++;
		return;
	}

	/* The app follows from the ports, so traffic no app wants is known to
	 * have no flow: it costs this lookup and nothing else. */
	bool srv_src;
	bool probed = false;
	flow_key k;
	hs_flow *f = NULL;
	hs_carrier carrier;
	const hs_app *app = resolve(e, 6, sp, dp, &srv_src, &carrier);
	if (!app) {
		/* Unknown ports (DCE/RPC's dynamic ones, a service moved off its
		 * port): such a flow exists only if a probe recognised its first
		 * payload.  The table lookup is paid only while such flows exist. */
		if (e->flows.probed && (port_probed(&e->flows, sp) || port_probed(&e->flows, dp))) {
			make_key(&k, 6, &ip->src, sp, &ip->dst, dp);
			f = g_hash_table_lookup(e->flows.tab, &k);
		}
		if (f) {
			app = f->app;
		} else {
			if (flags & (TH_SYN | TH_RST) || ip->len <= hl || e->caps->no_probes)
				return;
			app = probe_first(ip->payload + hl, ip->len - hl, &srv_src, &carrier);
			if (!app)
				return;
			probed = true;
			make_key(&k, 6, &ip->src, sp, &ip->dst, dp);
		}
	} else {
		make_key(&k, 6, &ip->src, sp, &ip->dst, dp);
		f = g_hash_table_lookup(e->flows.tab, &k);
	}
	bool syn_only = (flags & (TH_SYN | TH_ACK)) == TH_SYN;
	if (f && syn_only) {
		/* Port reuse: a fresh SYN from the initiator on a finished flow,
		 * or one with a new ISN, is a new connection. */
		bool from_init = memcmp(ip->src.a, f->addr[0].a, 16) == 0 && sp == f->port[0];
		tdir *d0 = &f->d[0];
		if (f->closed || !from_init || (d0->syn && d0->isn != seq) || (!d0->syn && d0->started)) {
			flow_remove(e, f);
			f = NULL;
		}
	}
	if (!f) {
		if (flags & TH_RST)
			return;
		if (flags & TH_SYN)
			srv_src = flags & TH_ACK; /* the SYN's sender initiated */
		else if (!probed) /* else the probe said which side sent it */
			srv_src = server_is_src_by_port(e, 6, sp, dp, srv_src);
		f = srv_src ? flow_new(e, &k, app, 6, &ip->dst, dp, &ip->src, sp)
			    : flow_new(e, &k, app, 6, &ip->src, sp, &ip->dst, dp);
		f->carrier = (uint8_t)carrier;
		if (probed) {
			f->probed = true;
			e->flows.probed++;
			e->flows.probed_ports[sp >> 6] |= 1ull << (sp & 63);
			e->flows.probed_ports[dp >> 6] |= 1ull << (dp & 63);
		}
	}
	touch(e, f);
	if (f->closed)
		return;

	int dir = (sp == f->port[0] && memcmp(ip->src.a, f->addr[0].a, 16) == 0) ? 0 : 1;
	if (f->port[0] == f->port[1] && memcmp(f->addr[0].a, f->addr[1].a, 16) == 0)
		dir = 0; /* a connection to itself: one direction */
	tdir *d = &f->d[dir];
	const uint8_t *payload = ip->payload + hl;
	uint32_t caplen = (uint32_t)(ip->len - hl);
	uint32_t wirelen = (uint32_t)(ip->wire_len - hl);
	uint32_t dseq = seq;

	if (flags & TH_SYN) {
		if (!d->syn && (!d->started || (d->next_seq == seq + 1 && !ooo_first(d)))) {
			d->isn = seq;
			d->next_seq = seq + 1;
			d->syn = d->started = true;
			d->pickup = false;
		}
		dseq = seq + 1;
	}
	if (!d->started) {
		d->started = true;
		d->next_seq = dseq;
		/* A flow made by a probe starts at the PDU it accepted, and the
		 * peer answers after it: no mid-stream pickup (TLS would take it
		 * for lost bytes and stop decrypting). */
		d->pickup = !f->probed;
		/* Picked up mid-stream on a lone byte: a TCP keep-alive (RFC 1122
		 * 4.2.3.6: one garbage octet at SND.NXT - 1, which Windows sends
		 * every few seconds on idle SMB and WinRM connections).  The
		 * stream resumes after it; the octet is no data. */
		if (caplen == 1 && wirelen == 1 && !(flags & (TH_SYN | TH_FIN | TH_RST))) {
			d->next_seq = dseq + 1;
			caplen = wirelen = 0;
		}
	}
	if (flags & TH_ACK) {
		/* The peer acknowledged bytes we never saw while later ones wait:
		 * the capture lost them. */
		tdir *o = &f->d[!dir];
		seg *first = ooo_first(o);
		if (first && seq_lt(o->next_seq, ack) && seq_leq(first->seq, ack) && !o->eof)
			skip_to(e, f, !dir, first->seq, "acknowledged by the peer but not captured");
		if (f->closed)
			return;
	}
	if (caplen)
		segment_data(e, f, dir, dseq, payload, caplen);
	if (f->closed)
		return;
	if (wirelen > caplen && !d->eof) {
		uint32_t end = dseq + wirelen;
		if (d->next_seq == dseq + caplen)
			skip_to(e, f, dir, end, "cut by the capture's snaplen");
		if (f->closed)
			return;
	}
	if (flags & TH_FIN && !d->fin) {
		d->fin = true;
		d->fin_seq = dseq + wirelen;
	}
	if (flags & TH_RST) {
		close_flow(e, f);
		return;
	}
	/* Either direction may have reached its FIN: this one by its data,
	 * the other by a hole given up on this segment's ACK. */
	for (int i = 0; i < 2 && !f->closed; i++) {
		tdir *x = &f->d[i];
		if (x->fin && !x->eof && seq_leq(x->fin_seq, x->next_seq))
			dir_eof(e, f, i);
	}
	if (f->d[0].eof && f->d[1].eof)
		close_flow(e, f);
}

void hs_udp_input(hs_net *e, const hs_ip_pkt *ip)
{
	hs_cur c = hs_cur_make(ip->payload, ip->len);
	uint16_t sp = hs_cur_u16be(&c);
	uint16_t dp = hs_cur_u16be(&c);
	uint16_t ulen = hs_cur_u16be(&c);
	hs_cur_skip(&c, 2);
	if (!hs_cur_ok(&c)) {
		e->stats->undecodable++;
		return;
	}
	bool srv_src;
	hs_carrier carrier;
	const hs_app *app = resolve(e, 17, sp, dp, &srv_src, &carrier);
	if (!app)
		return;
	size_t plen = ip->len - 8;
	/* The UDP length bounds the payload (frames may be padded); 0 happens
	 * with offload, and jumbograms (RFC 2675) have no limit here. */
	if (ulen >= 8 && (size_t)ulen - 8 < plen)
		plen = (size_t)ulen - 8;
	flow_key k;
	make_key(&k, 17, &ip->src, sp, &ip->dst, dp);
	hs_flow *f = g_hash_table_lookup(e->flows.tab, &k);
	if (!f) {
		srv_src = server_is_src_by_port(e, 17, sp, dp, srv_src);
		f = srv_src ? flow_new(e, &k, app, 17, &ip->dst, dp, &ip->src, sp)
			    : flow_new(e, &k, app, 17, &ip->src, sp, &ip->dst, dp);
		f->carrier = (uint8_t)carrier;
	}
	touch(e, f);
	if (f->closed || !f->app->datagram)
		return;
	int dir = (sp == f->port[0] && memcmp(ip->src.a, f->addr[0].a, 16) == 0) ? 0 : 1;
	if (ip->truncated)
		flow_anomaly(e, f, HS_ANOM_TRUNCATED_DATAGRAM, "%s: datagram cut by the capture (%zu of %zu bytes)",
			     dir_name(dir), plen, ip->wire_len - 8);
	hs_meta m;
	hs_app_ctx ctx;
	make_meta(f, dir, &m);
	make_ctx(e, f, dir, &m, false, &ctx);
	f->app->datagram(&ctx, c.p, plen);
}
