/* model_chain.c - chains (see model_int.h): one session and the items
 * attributed to it become an hs_chain (hop 1, hop 2, the facts the rules
 * read). */
#include "model_int.h"

#include "protos.h"
#include "ntstatus.h"
#include "rules.h"

#include <stdlib.h>

/* ------------------------------------------------------------------ */
/* finish: chains */

static void endpoint_set(hs_model *m, hs_endpoint *e, const hs_addr *a, bool known, uint16_t port)
{
	memset(e, 0, sizeof *e);
	if (known) {
		e->has_ip = true;
		hs_addr_str(a, e->ip, sizeof e->ip);
		snprintf(e->name, sizeof e->name, "%s", hsm_host_name(m, a));
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
	GHashTable *first_use;   /* ticket fingerprint -> conn *: the earliest hop-1 connection presenting it */
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

/* The hop-1 Kerberos tickets a connection presented, each kept with the
 * earliest connection that presented it. */
static void first_use_add(GHashTable *h, conn *c)
{
	if (c->session < 0)
		return;
	for (unsigned j = 0; j < c->natt; j++) {
		attempt *a = &c->att[j];
		if (a->auth != HS_AUTH_KERBEROS || !a->ticket_fp)
			continue;
		const conn *e = g_hash_table_lookup(h, &a->ticket_fp);
		if (!e || c->t0 < e->t0)
			g_hash_table_replace(h, &a->ticket_fp, c);
	}
}

static void chain_index_build(hs_model *m, chain_index *ix)
{
	ix->nsessions = m->sessions->len;
	ix->clients = g_hash_table_new(hsm_addr_hash, hsm_addr_equal);
	ix->kdc_clients = g_hash_table_new(hsm_addr_hash, hsm_addr_equal);
	ix->kdcs = g_hash_table_new(hsm_addr_hash, hsm_addr_equal);
	ix->fwd = g_array_new(FALSE, FALSE, sizeof(guint));
	ix->kxs = g_new0(GArray *, ix->nsessions + 1);
	ix->conns = g_new0(GArray *, ix->nsessions + 1);
	ix->first_use = g_hash_table_new(g_int64_hash, g_int64_equal);
	for (guint i = 0; i < m->conns->len; i++) {
		conn *c = g_ptr_array_index(m->conns, i);
		g_hash_table_add(ix->clients, &c->c);
		GArray *l = owned_list(ix->conns, c->owner, ix->nsessions);
		if (l)
			g_array_append_val(l, i);
		first_use_add(ix->first_use, c);
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
	g_hash_table_destroy(ix->first_use);
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
		if (!y->unseen && hsm_addr_eq(a, &y->c))
			f->at_client = true;
		else if (y->s_known && hsm_addr_eq(a, &y->s))
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
	if (!hsm_addr_eq(&x->c, &y->c) || y->t0 < x->ts || y->t0 > x->ts + FWD_NS)
		return false;
	char h[HS_NAME_MAX];
	hsm_spn_host(p->sname, h, sizeof h);
	const char *hn = hsm_host_name(m, &y->s);
	size_t l = strcspn(h, ".");
	if (!hn[0])
		return hsm_spn_is_winrm(p->sname);
	return !strncasecmp(h, hn, l) && (hn[l] == 0 || hn[l] == '.');
}

/* A hop-1 ticket an earlier session of the client already presented: a
 * cached service ticket, issued before that session (rules.c: a ticket
 * from before the server became trusted lacks ok-as-delegate). */
static void hop1_ticket_reuse(const chain_index *ix, const conn *c, int si, hs_facts *f)
{
	for (unsigned j = 0; j < c->natt && !f->hop1_ticket_reused; j++) {
		const attempt *a = &c->att[j];
		if (a->auth != HS_AUTH_KERBEROS || !a->ticket_fp)
			continue;
		const conn *e = g_hash_table_lookup(ix->first_use, &a->ticket_fp);
		if (!e || e->session == si || e->session < 0 || e->t0 >= c->t0 || !hsm_addr_eq(&e->c, &c->c))
			continue;
		f->hop1_ticket_reused = true;
		for (unsigned k = 0; k < e->natt; k++)
			if (e->att[k].ticket_fp == a->ticket_fp) {
				f->hop1_ticket_first_ref = e->att[k].ref;
				break;
			}
	}
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
	hsm_session_wire_principal(m, y, h1->principal, sizeof h1->principal);
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
		hop1_ticket_reuse(ix, c, si, f);
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
	f->hop2_ambiguous = y->ambig;
	f->hop2_ambiguous_sessions = y->ambig_max;
	f->hop2_ambiguous_refused = y->ambig_refused;
	f->hop2_ambiguous_ref = y->ambig_ref;
	if (y->s_known && g_hash_table_contains(ix->clients, &y->s))
		f->s_outbound_visible = true;
	if (g_hash_table_contains(ix->kdc_clients, &y->c))
		f->client_kdc_visible = true;
	for (guint n = 0; n < ix->fwd->len; n++) {
		const kx *x = &g_array_index(m->kxs, kx, g_array_index(ix->fwd, guint, n));
		/* the client's forwarded-TGT request that hop 1 carries (tie_forwarded) */
		if (forwarded_for_session(m, x, y, si) && (!f->user[0] || hsm_principal_eq(x->principal, f->user))) {
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
		if (x->msg == KX_AS_REQ) {
			if (hsm_is_machine(x->principal) || kx_benign(x) || (!x->preauth && !x->ok && x->err != 24))
				continue;
			bool for_user = f->user[0] ? hsm_principal_eq(x->principal, f->user) : false;
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
				f->s4u2self_forwardable = (x->tkt_flags & KX_TF_FORWARDABLE) != 0;
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
				f->s4u2self_forwardable = (x->tkt_flags & KX_TF_FORWARDABLE) != 0;
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
		if (x->msg == KX_TGS_REQ && strncasecmp(x->sname, "krbtgt/", 7)) {
			if (x->tgt_forwarded && (!f->user[0] || hsm_principal_eq(x->tgt_owner, f->user))) {
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
	hs_rules_credssp_fresh(f); /* may name the user */
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
		if (!h2c || hsm_conn_result(c) == HS_RES_FAILED || (hsm_conn_result(h2c) != HS_RES_FAILED && c->natt))
			h2c = c;
	}
	hs_hop *h2 = &ch->hops[1];
	h2->index = 2;
	if (h2c) {
		const attempt *a = hsm_conn_final(h2c);
		h2->t0_ns = h2c->t0;
		endpoint_set(m, &h2->client, &h2c->c, true, 0);
		endpoint_set(m, &h2->server, &h2c->s, true, h2c->sport);
		h2->carrier = h2c->carrier;
		h2->auth = a ? a->auth : HS_AUTH_NONE;
		if (a && a->principal[0])
			snprintf(h2->principal, sizeof h2->principal, "%s", a->principal);
		h2->result = hsm_conn_result(h2c);
		for (unsigned j = 0; j < h2c->nframes; j++)
			hop_frames_add(h2, h2c->frames[j]);
		f->hop2_seen = true;
		f->hop2_carrier = h2->carrier;
		f->hop2_auth = h2->auth;
		f->hop2_result = h2->result;
		f->hop2_is_winrm = hsm_is_hop1_carrier(h2c->carrier);
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
		snprintf(f->t_account, sizeof f->t_account, "%s", hsm_host_account(m, &h2c->s));
		f->hop2_clock_known = h2c->clock_known;
		f->hop2_clock_offset_ns = h2c->clock_offset_ns;
		f->hop2_clock_ref = h2c->clock_ref;
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
		if (x->msg == KX_TGS_REQ)
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
		hsm_spn_host(x->sname, th, sizeof th);
		const host *h = hsm_host_by_name(m, th);
		h2->t0_ns = x->ts;
		endpoint_set(m, &h2->client, &x->c, true, 0);
		h2->carrier = carrier_of_spn(x->sname);
		endpoint_set(m, &h2->server, h ? &h->addr : &x->k, h != NULL, port_of_carrier(h2->carrier));
		if (!h2->server.name[0])
			snprintf(h2->server.name, sizeof h2->server.name, "%s", th);
		if (h)
			snprintf(f->t_account, sizeof f->t_account, "%s", h->account);
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
		hsm_normalize_user(m, h2->principal, norm, sizeof norm);
		snprintf(f->hop2_principal, sizeof f->hop2_principal, "%s", norm);
		snprintf(f->t_name, sizeof f->t_name, "%s", h2->server.name);
		if (h2->carrier != HS_CAR_KERBEROS) /* else the KDC's address, not the target's */
			snprintf(f->t_ip, sizeof f->t_ip, "%s", h2->server.ip);
		if (!f->t_name[0] && f->t_spn[0])
			hsm_spn_host(f->t_spn, f->t_name, sizeof f->t_name);
		first_label(f->t_name, f->t_short, sizeof f->t_short);
		if (norm[0] && h2->auth != HS_AUTH_ANONYMOUS) {
			char su[64];
			snprintf(su, sizeof su, "%s$", f->s_short);
			char u[HS_NAME_MAX], d[HS_NAME_MAX];
			hs_split_principal(norm, u, sizeof u, d, sizeof d);
			if (f->user[0] && hsm_principal_eq(norm, f->user))
				f->hop2_as_user = true;
			else if (hsm_is_machine(norm) && (!f->s_short[0] || !strcasecmp(u, su)))
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
		hsm_normalize_user(m, f->user, ch->user, sizeof ch->user);
}

/* ------------------------------------------------------------------ */
/* ------------------------------------------------------------------ */

int hsm_chain_cmp(const void *a, const void *b)
{
	const hs_chain *x = a, *y = b;
	return x->hops[0].t0_ns < y->hops[0].t0_ns ? -1 : x->hops[0].t0_ns > y->hops[0].t0_ns;
}


/* Sessions, attribution and chains from what m holds, appended to
 * m->chains unjudged (the finish and retire() call it). */
void hsm_build_chains(hs_model *m)
{
	hsm_resolve_kdc(m);
	hsm_resolve_conns(m);
	hsm_mark_routine(m);
	hsm_tie_forwarded(m);
	hsm_build_sessions(m);
	hsm_credssp_principals(m);
	hsm_infer_sessions(m);
	hsm_attribute(m);
	if (hsm_partial_sessions(m))
		hsm_attribute(m);
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
			hsm_cap_hit(m, &m->caps.chains);
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
		if (m->cfg.spill_after && m->chains->len >= m->cfg.spill_after && hsm_flush_built(m))
			built = 0; /* max_chains bounds the chains in memory, not those stored */
	}
	chain_index_free(&ix);
}

