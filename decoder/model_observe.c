/* model_observe.c - decoded messages in (see model.h): hs_model_sink() turns
 * each hs_msg into the model's working state (connections and their
 * authentication attempts, KDC exchanges, host names).  The only file of the
 * model that knows the protocols' decoded structs; the rest of the model
 * reads what this file wrote (model_int.h). */
#include "model_int.h"

#include "credssp.h"
#include "dcerpc.h"
#include "gss.h"
#include "http.h"
#include "krb5.h"
#include "krb5_dec.h"
#include "ldap.h"
#include "ntlm.h"
#include "protos.h"
#include "psrp.h"
#include "smb2.h"
#include "tds.h"
#include "winrm.h"

#include <assert.h>

static_assert(KX_AS_REQ == HS_KRB_AS_REQ && KX_TGS_REQ == HS_KRB_TGS_REQ, "kx.msg is the RFC 4120 msg-type");
static_assert(KX_TF_FORWARDABLE == HS_KRB_TF_FORWARDABLE, "kx.tkt_flags are RFC 4120 TicketFlags");

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
	c->carrier = carrier_of_port(c->sport, mt->ipproto);
	if (msg->proto == HS_PROTO_DCERPC)
		c->carrier = HS_CAR_DCERPC;
	c->t0 = c->t1 = hsm_ts_of(mt);
	c->session = c->owner = -1;
	g_ptr_array_add(m->conns, c);
	g_hash_table_insert(m->conn_by_flow, &c->flow_id, c);
	return c;
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

static uint64_t ticket_fp(const hs_krb_ticket *t)
{
	if (!t->present || !t->enc.cipher.len)
		return 0;
	uint64_t h = hsm_fnv(0, t->enc.cipher.p, t->enc.cipher.len);
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
	hsm_upper(r);
	hsm_principal_of(a->principal, sizeof a->principal, d->ticket.cname, r);
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
		attempt *a = hsm_att_new(c, HS_AUTH_KERBEROS, mt);
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
		hsm_learn_spn(m, &c->s, a->sname);
		hsm_conn_frame(c, mt);
	} else if (k->msg_type == HS_KRB_AP_REP && mt->dir == 1) {
		attempt *a = hsm_att_last(c);
		if (a && a->auth == HS_AUTH_KERBEROS && a->result == HS_RES_UNKNOWN)
			a->result = HS_RES_OK;
	} else if (k->msg_type == HS_KRB_ERROR) {
		attempt *a = hsm_att_last(c);
		if (a && a->auth == HS_AUTH_KERBEROS) {
			a->result = HS_RES_FAILED;
			a->krb_error = k->error_code;
		}
		hsm_conn_frame(c, mt);
	}
}

static void on_ntlm_token(hs_model *m, conn *c, const hs_msg *msg, const hs_ntlm_msg *n)
{
	const hs_meta *mt = msg->meta;
	char buf[HS_NAME_MAX], dom[HS_NAME_MAX];
	if (n->type == 1 && mt->dir == 0) {
		hsm_att_new(c, HS_AUTH_NTLM, mt);
	} else if (n->type == 2) {
		/* CHALLENGE TargetInfo (MS-NLMP 2.2.2.1): the server's own names,
		 * and the NetBIOS -> DNS domain pair. */
		if (n->av.dns_computer.len) {
			hs_ntlm_text(n->av.dns_computer, true, buf, sizeof buf);
			hsm_host_learn(m, &c->s, buf, 3);
		} else if (n->av.nb_computer.len) {
			hs_ntlm_text(n->av.nb_computer, true, buf, sizeof buf);
			hsm_host_learn(m, &c->s, buf, 2);
		}
		if (n->av.nb_domain.len && n->av.dns_domain.len) {
			hs_ntlm_text(n->av.nb_domain, true, buf, sizeof buf);
			hs_ntlm_text(n->av.dns_domain, true, dom, sizeof dom);
			hsm_upper(buf);
			hsm_upper(dom);
			if (buf[0] && dom[0] && g_hash_table_size(m->nbmap) < 256)
				g_hash_table_replace(m->nbmap, g_strdup(buf), g_strdup(dom));
		}
	} else if (n->type == 3 && mt->dir == 0) {
		attempt *a = hsm_att_last(c);
		if (!a || a->auth != HS_AUTH_NTLM || a->final_sent)
			a = hsm_att_new(c, HS_AUTH_NTLM, mt);
		a->ref = hsm_ref_of(mt);
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
			hsm_host_learn(m, &c->c, buf, 1);
		}
		hsm_conn_frame(c, mt);
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
			attempt *a = hsm_att_last(c);
			if (a && t->spnego.neg_state == HS_SPNEGO_REJECT) {
				a->result = HS_RES_FAILED;
				hsm_conn_frame(c, mt);
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
	attempt *a = hsm_att_last(c);
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
		hsm_learn_spn(m, &c->s, a->sname);
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
	attempt *a = hsm_att_last(c);
	if (!a || a->auth != HS_AUTH_CREDSSP)
		return;
	if (x->req && x->req->has_error_code && x->req->error_code) {
		c->credssp_failed = true;
		c->credssp_status = x->req->error_code;
		a->result = HS_RES_FAILED;
		hsm_conn_frame(c, msg->meta);
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
			hsm_host_learn(m, &c->s, buf, 3);
		}
		for (size_t i = 0; i < h->nauth; i++) {
			const hs_http_auth *a = &h->auth[i];
			if (a->header != HS_HTTP_AUTHORIZATION)
				continue;
			if (a->scheme == HS_HTTP_SCHEME_CREDSSP) {
				c->credssp_asked = true;
				attempt *l = hsm_att_last(c);
				if (!l || l->auth != HS_AUTH_CREDSSP || l->result != HS_RES_UNKNOWN) {
					l = hsm_att_new(c, HS_AUTH_CREDSSP, mt);
					hsm_conn_frame(c, mt);
				}
				l->final_sent = true;
				l->last_401 = false;
			} else if (a->scheme == HS_HTTP_SCHEME_BASIC) {
				attempt *l = hsm_att_new(c, HS_AUTH_BASIC, mt);
				if (a->basic_ok) {
					size_t k = a->user_len < sizeof l->principal - 1 ? a->user_len : sizeof l->principal - 1;
					memcpy(l->principal, a->cred, k);
					l->principal[k] = 0;
				}
				l->final_sent = true;
				hsm_conn_frame(c, mt);
			}
		}
		return;
	}
	/* response */
	attempt *a = hsm_att_last(c);
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
		hsm_conn_frame(c, mt);
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
	int64_t t = hsm_ts_of(mt);
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
		hsm_conn_frame(c, mt);
	if (!c->saw[0])
		user_saw(c, mt, w);
}

static bool path_is_ipc(const char *p)
{
	size_t l = strlen(p);
	return l >= 4 && strcasecmp(p + l - 4, "IPC$") == 0;
}

/* The SMB server's clock (NEGOTIATE response SystemTime, MS-SMB2 2.2.4)
 * against the capture's time of the same frame: a Kerberos service whose
 * clock is off refuses AP-REQs, and Samba says only LOGON_FAILURE. */
static void smb2_server_clock(conn *c, const hs_meta *mt, uint64_t filetime)
{
	const int64_t epoch_diff = 11644473600LL; /* seconds 1601-01-01 .. 1970-01-01 */
	int64_t secs = (int64_t)(filetime / 10000000u) - epoch_diff;
	if (c->clock_known || secs < 0 || secs > INT64_MAX / 1000000000LL - 1)
		return;
	c->clock_known = true;
	c->clock_offset_ns = secs * 1000000000LL + (int64_t)(filetime % 10000000u) * 100 - hsm_ts_of(mt);
	c->clock_ref = hsm_ref_of(mt);
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
		hsm_host_learn(m, &c->s, h, 3);
	}
	if (s->kind == HS_SMB_V2 && s->command == HS_SMB2_NEGOTIATE && s->response && s->has_system_time)
		smb2_server_clock(c, mt, s->system_time);
	if (!s->response || !s->has_status)
		return;
	if (ss) {
		attempt *a = hsm_att_last(c);
		if (!a)
			a = hsm_att_new(c, HS_AUTH_UNKNOWN, mt);
		if (s->status == 0) {
			a->result = HS_RES_OK;
			if (s->has_session_flags && (s->session_flags & HS_SMB2_SESSION_FLAG_IS_NULL))
				a->auth = HS_AUTH_ANONYMOUS;
			hsm_conn_frame(c, mt);
		} else if (s->status != 0xC0000016u) { /* STATUS_MORE_PROCESSING_REQUIRED */
			a->result = HS_RES_FAILED;
			a->status = s->status;
			hsm_conn_frame(c, mt);
		}
	} else if (tc && s->has_path && !path_is_ipc(s->path)) {
		c->tree_seen = true;
		c->tree_result = s->status == 0 ? HS_RES_OK : HS_RES_FAILED;
		c->tree_status = s->status;
		c->tree_ref = hsm_ref_of(mt);
		hsm_conn_frame(c, mt);
	}
}

static void on_ldap(conn *c, const hs_msg *msg, const hs_ldap_msg *l)
{
	const hs_meta *mt = msg->meta;
	if (l->kind != HS_LDAP_MESSAGE)
		return;
	if (l->op == HS_LDAP_BIND_REQUEST && l->auth == HS_LDAP_AUTH_SIMPLE) {
		attempt *a = hsm_att_new(c, l->name.len || l->credentials.len ? HS_AUTH_BASIC : HS_AUTH_ANONYMOUS, mt);
		copy_slice(a->principal, sizeof a->principal, l->name);
		a->final_sent = true;
		hsm_conn_frame(c, mt);
	} else if (l->op == HS_LDAP_BIND_RESPONSE && l->has_result) {
		attempt *a = hsm_att_last(c);
		if (!a)
			a = hsm_att_new(c, HS_AUTH_UNKNOWN, mt);
		if (l->result_code == 0)
			a->result = HS_RES_OK;
		else if (l->result_code != 14) { /* saslBindInProgress */
			a->result = HS_RES_FAILED;
			a->status = l->result_code;
		}
		hsm_conn_frame(c, mt);
	}
}

static void on_dcerpc(conn *c, const hs_msg *msg, const hs_dcerpc_msg *d)
{
	attempt *a = hsm_att_last(c);
	if (d->ptype == HS_DCERPC_BIND_NAK || (d->ptype == HS_DCERPC_FAULT && d->status == 5)) {
		if (!a)
			a = hsm_att_new(c, HS_AUTH_UNKNOWN, msg->meta);
		a->result = HS_RES_FAILED;
		a->status = d->ptype == HS_DCERPC_FAULT ? 5 : d->reject_reason;
		hsm_conn_frame(c, msg->meta);
	} else if ((d->ptype == HS_DCERPC_BIND_ACK || d->ptype == HS_DCERPC_ALTER_CONTEXT_RESP) && a &&
		   a->result == HS_RES_UNKNOWN && a->final_sent) {
		a->result = HS_RES_OK;
	}
}

static void on_tds(conn *c, const hs_msg *msg, const hs_tds_msg *t)
{
	if (t->kind != HS_TDS_KIND_LOGIN_RESPONSE)
		return;
	attempt *a = hsm_att_last(c);
	if (!a)
		a = hsm_att_new(c, HS_AUTH_UNKNOWN, msg->meta);
	for (unsigned i = 0; i < t->n_errors; i++)
		if (!t->errors[i].info && t->errors[i].number == 18456) { /* Login failed for user */
			a->result = HS_RES_FAILED;
			a->status = 18456;
		}
	if (t->has_loginack && a->result == HS_RES_UNKNOWN)
		a->result = HS_RES_OK;
	hsm_conn_frame(c, msg->meta);
}

/* ------------------------------------------------------------------ */
/* the KDC */

static uint64_t krb_dedup_fp(const hs_msg *msg, const hs_krb_msg *k)
{
	const hs_meta *mt = msg->meta;
	uint64_t h = hsm_fnv(0, mt->src.a, 16);
	h = hsm_fnv(h, mt->dst.a, 16);
	h = hsm_fnv(h, &mt->sport, sizeof mt->sport);
	h = hsm_fnv(h, &mt->dport, sizeof mt->dport);
	h = hsm_fnv(h, &k->msg_type, sizeof k->msg_type);
	h = hsm_fnv(h, &k->nonce, sizeof k->nonce);
	h = hsm_fnv(h, &k->error_code, sizeof k->error_code);
	h = hsm_fnv(h, &k->susec, sizeof k->susec);
	if (k->stime.len)
		h = hsm_fnv(h, k->stime.p, k->stime.len);
	if (k->ticket.enc.cipher.len)
		h = hsm_fnv(h, k->ticket.enc.cipher.p, k->ticket.enc.cipher.len);
	if (k->enc_part.cipher.len)
		h = hsm_fnv(h, k->enc_part.cipher.p, k->enc_part.cipher.len);
	if (k->tgs_ap_req.authenticator.cipher.len)
		h = hsm_fnv(h, k->tgs_ap_req.authenticator.cipher.p, k->tgs_ap_req.authenticator.cipher.len);
	if (k->enc_timestamp.cipher.len)
		h = hsm_fnv(h, k->enc_timestamp.cipher.p, k->enc_timestamp.cipher.len);
	if (k->fast.enc.cipher.len)
		h = hsm_fnv(h, k->fast.enc.cipher.p, k->fast.enc.cipher.len);
	return h;
}

/* The same datagram captured on two hosts reaches the model twice (TCP is
 * de-duplicated by reassembly already). */
static bool krb_duplicate(hs_model *m, const hs_msg *msg, const hs_krb_msg *k)
{
	uint64_t fp = krb_dedup_fp(msg, k);
	int64_t t = hsm_ts_of(msg->meta);
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
			hsm_cap_hit(m, &m->caps.kdc);
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
		z.ts = hsm_ts_of(mt);
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
		x->req = hsm_ref_of(mt);
		x->msg = k->msg_type;
		x->opts = k->kdc_options;
		krb_name(x->cname, sizeof x->cname, &k->cname);
		copy_slice(x->realm, sizeof x->realm, k->realm);
		hsm_upper(x->realm);
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
			hsm_upper(r);
			x->s4u = true;
			hsm_principal_of(x->s4u_user, sizeof x->s4u_user, u, r);
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
		if (x->msg == HS_KRB_AS_REQ && hsm_is_machine(x->cname)) {
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
		hsm_upper(cr);
		hsm_principal_of(x->rep_cname, sizeof x->rep_cname, cn, cr);
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

void hs_model_sink(void *ud, const hs_msg *msg)
{
	hs_model *m = ud;
	const hs_meta *mt = msg->meta;
	if (m->finished)
		return;
	vantage_see(m, mt);
	hsm_maybe_retire(m, hsm_ts_of(mt));
	hsm_budget_check(m, hsm_ts_of(mt)); /* what the messages before this one added */
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
			hsm_conn_frame(c, mt);
		}
		break;
	default:
		break;
	}
}

