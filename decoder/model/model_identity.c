/* model_identity.c - who is who (see model_int.h): hosts and the names
 * learned for them; at the finish, the identities followed through the
 * ticket table and the NetBIOS domains, and the forwarded TGT tied to the
 * AP-REQ that carries it. */
#include "model_int.h"

#include <ctype.h>

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
		hsm_cap_hit(m, &m->caps.hosts);
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
void hsm_host_learn(hs_model *m, const hs_addr *a, const char *name_in, int score)
{
	char name[HS_NAME_MAX];
	snprintf(name, sizeof name, "%s", name_in);
	char *colon = strchr(name, ':');
	if (colon)
		*colon = 0;
	hsm_lower(name);
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

/* The computer account a server names itself with (its NTLM CHALLENGE's
 * NetBIOS computer name): what setspn and Set-ADComputer take, which the
 * name a client reached it by (an alias) is not. */
void hsm_host_account_learn(hs_model *m, const hs_addr *a, const char *netbios)
{
	host *h = netbios[0] ? host_get(m, a, true) : NULL;
	if (!h)
		return;
	snprintf(h->account, sizeof h->account, "%s", netbios);
	hsm_upper(h->account);
}

const char *hsm_host_account(hs_model *m, const hs_addr *a)
{
	const host *h = host_get(m, a, false);
	return h ? h->account : "";
}

/* Best name: highest score, a fully qualified one preferred. */
const char *hsm_host_name(hs_model *m, const hs_addr *a)
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
const host *hsm_host_by_name(hs_model *m, const char *name)
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
void hsm_spn_host(const char *spn, char *dst, size_t n)
{
	const char *sl = strchr(spn, '/');
	snprintf(dst, n, "%s", sl ? sl + 1 : "");
	dst[strcspn(dst, ":/@")] = 0;
}

void hsm_learn_spn(hs_model *m, const hs_addr *a, const char *sname)
{
	char h[HS_NAME_MAX];
	if (!strncasecmp(sname, "krbtgt/", 7))
		return;
	hsm_spn_host(sname, h, sizeof h);
	if (h[0])
		hsm_host_learn(m, a, h, 3);
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
		hsm_cap_hit(m, &m->caps.tickets);
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
void hsm_normalize_user(hs_model *m, const char *in, char *out, size_t n)
{
	const char *bs = strchr(in, '\\');
	if (!bs) {
		snprintf(out, n, "%s", in);
		return;
	}
	char dom[64];
	snprintf(dom, sizeof dom, "%.*s", (int)(bs - in), in);
	hsm_upper(dom);
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

void hsm_resolve_kdc(hs_model *m)
{
	for (guint i = 0; i < m->kxs->len; i++) {
		kx *x = &g_array_index(m->kxs, kx, i);
		if (x->msg == KX_AS_REQ) {
			hsm_principal_of(x->principal, sizeof x->principal, x->cname, x->realm);
			if (!x->principal[0] && !hsm_is_anonymous_name(x->rep_cname))
				snprintf(x->principal, sizeof x->principal, "%s", x->rep_cname);
		} else {
			const ticket *t = ticket_find(m, x->tgt_fp);
			if (t) {
				x->tgt_known = true;
				x->tgt_forwarded = t->forwarded;
				snprintf(x->tgt_owner, sizeof x->tgt_owner, "%s", t->principal);
			} else if (x->tgs_client[0]) {
				/* --keytab: the TGT not obtained in the input, its owner
				 * named by the decrypted PA-TGS-REQ authenticator */
				snprintf(x->tgt_owner, sizeof x->tgt_owner, "%s", x->tgs_client);
			}
			if (x->s4u) {
				snprintf(x->principal, sizeof x->principal, "%s", x->s4u_user);
			} else if (x->proxy) {
				const ticket *e = ticket_find(m, x->addl_fp);
				if (e)
					snprintf(x->principal, sizeof x->principal, "%s", e->principal);
				else if (!hsm_is_anonymous_name(x->rep_cname))
					snprintf(x->principal, sizeof x->principal, "%s", x->rep_cname);
			} else if (x->ok && !hsm_is_anonymous_name(x->rep_cname)) {
				snprintf(x->principal, sizeof x->principal, "%s", x->rep_cname);
			} else if (t) {
				snprintf(x->principal, sizeof x->principal, "%s", t->principal);
			} else if (x->tgs_client[0]) {
				snprintf(x->principal, sizeof x->principal, "%s", x->tgs_client);
			}
		}
		if (x->ok)
			ticket_add(m, x->rep_fp, x->principal, x->forwarded_req, x->rep, x->ts);
		if (x->s4u && hsm_is_machine(x->sname)) {
			/* S4U2Self names the requesting service itself (MS-SFU 3.2.5.1) */
			char h[HS_NAME_MAX];
			snprintf(h, sizeof h, "%.*s", (int)strcspn(x->sname, "$@"), x->sname);
			hsm_host_learn(m, &x->c, h, 1);
		}
	}
}

void hsm_resolve_conns(hs_model *m)
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
				if (t && !hsm_is_anonymous_name(t->principal))
					snprintf(a->principal, sizeof a->principal, "%s", t->principal);
			}
		}
	}
}

/* ------------------------------------------------------------------ */
/* finish: the forwarded TGT and what carries it */

/* --keytab: a TGS-REQ whose TGT was not obtained in the input, its
 * authenticator naming the user (hsm_resolve_kdc), from a host the user's
 * decrypted AP-REQ delegated a TGT to (GSS_C_DELEG_FLAG with a KRB-CRED)
 * before: that forwarded TGT, with certainty (the authenticator opened only
 * with its session key, which the KRB-CRED carried). */
static void tgt_from_krb_cred(hs_model *m)
{
	GHashTable *fwd = NULL; /* "server|user" -> earliest ts (int64 *) */
	for (guint i = 0; i < m->conns->len; i++) {
		const conn *c = g_ptr_array_index(m->conns, i);
		for (unsigned j = 0; j < c->natt; j++) {
			const attempt *a = &c->att[j];
			if (!a->dec_auth || !a->deleg || !a->krb_cred || !a->principal[0])
				continue;
			char k[48 + HS_NAME_MAX + 2], ip[48];
			snprintf(k, sizeof k, "%s|%s", hs_addr_str(&c->s, ip, sizeof ip), a->principal);
			hsm_lower(k);
			if (!fwd)
				fwd = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, g_free);
			int64_t *t = g_hash_table_lookup(fwd, k);
			if (!t)
				g_hash_table_insert(fwd, g_strdup(k), g_memdup2(&a->ts, sizeof a->ts));
			else if (a->ts < *t)
				*t = a->ts;
		}
	}
	for (guint i = 0; fwd && i < m->kxs->len; i++) {
		kx *x = &g_array_index(m->kxs, kx, i);
		if (x->msg != KX_TGS_REQ || x->tgt_known || !x->tgs_client[0])
			continue;
		char k[48 + HS_NAME_MAX + 2], ip[48];
		snprintf(k, sizeof k, "%s|%s", hs_addr_str(&x->c, ip, sizeof ip), x->tgs_client);
		hsm_lower(k);
		const int64_t *t = g_hash_table_lookup(fwd, k);
		if (t && *t <= x->ts)
			x->tgt_known = x->tgt_forwarded = true;
	}
	if (fwd)
		g_hash_table_destroy(fwd);
}

static bool tgs_for_service(const kx *p)
{
	return p->msg == KX_TGS_REQ && !p->s4u && !p->proxy && !p->forwarded_req &&
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
		if (hsm_addr_eq(&p->c, &x->c) && tgs_for_service(p))
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
void hsm_tie_forwarded(hs_model *m)
{
	tgt_from_krb_cred(m);
	GHashTable *by_client = NULL; /* hs_addr * -> GArray guint: connections, ascending */
	for (guint i = 0; i < m->kxs->len; i++) {
		kx *x = &g_array_index(m->kxs, kx, i);
		if (!x->forwarded_req)
			continue;
		if (!by_client) {
			by_client = g_hash_table_new_full(hsm_addr_hash, hsm_addr_equal, NULL, hsm_array_free);
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
void hsm_mark_routine(hs_model *m)
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
			used = p->proxy && hsm_addr_eq(&p->c, &x->c) && (!p->principal[0] || hsm_principal_eq(p->principal, x->s4u_user));
		}
		x->s4u_routine = !used;
	}
	g_hash_table_destroy(evidence);
}

