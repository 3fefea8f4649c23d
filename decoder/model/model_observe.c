/* model_observe.c - decoded messages in (see model.h): hs_model_sink() turns
 * each hs_msg into observations (model_obs.h) and hands them to
 * hs_model_observe().  The only file of the model that knows the protocols'
 * decoded structs; it reads nothing of the model's state but whether a
 * connection's "what the user saw" is known (a cost: that text is decoded
 * only while it is wanted). */
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
#include "psrp_winrm.h"
#include "rules.h"
#include "smb2.h"
#include "tds.h"
#include "tls.h"
#include "winrm.h"

#include <assert.h>

static_assert(KX_AS_REQ == HS_KRB_AS_REQ && KX_TGS_REQ == HS_KRB_TGS_REQ, "kx.msg is the RFC 4120 msg-type");
static_assert(KX_TF_FORWARDABLE == HS_KRB_TF_FORWARDABLE, "kx.tkt_flags are RFC 4120 TicketFlags");

/* ------------------------------------------------------------------ */
/* small helpers */

static void copy_slice(char *dst, size_t n, hs_slice s)
{
	size_t k = s.len < n - 1 ? s.len : n - 1;
	for (size_t i = 0; i < k; i++) {
		uint8_t ch = s.p[i];
		dst[i] = (char)(ch < 0x20 || ch == 0x7f ? '?' : ch);
	}
	dst[k] = 0;
}

/* FNV-1a: a fingerprint of cipher text, to recognise the same ticket where
 * it appears again (KDC-REP -> AP-REQ / PA-TGS-REQ / additional-tickets). */
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

static hs_obs_outcome *outcome(hs_obs_msg *o, hs_result r, hs_auth of, hs_obs_when when, hs_obs_frame frame)
{
	hs_obs *x = hs_obs_add(o, HS_OBS_OUTCOME);
	if (!x)
		return NULL;
	x->u.outcome.result = r;
	x->u.outcome.of = of;
	x->u.outcome.when = when;
	x->u.outcome.frame = frame;
	return &x->u.outcome;
}

static void conn_flags(hs_obs_msg *o, unsigned flags)
{
	hs_obs *x = hs_obs_add(o, HS_OBS_CONN);
	if (x)
		x->u.conn.flags = flags;
}

/* The connection is TLS; its ClientHello names the server it is for (SNI):
 * without the key log, what ties it to a WinRM ticket (hsm_infer_sessions). */
static void on_tls(hs_obs_msg *o, const hs_tls_msg *t)
{
	hs_obs *x = hs_obs_add(o, HS_OBS_CONN);
	if (!x)
		return;
	x->u.conn.flags = HS_OBS_TLS | HS_OBS_FRAME;
	if (t->kind == HS_TLS_MSG_HANDSHAKE && t->hello && !t->hello->server && t->hello->sni.len && o->meta.dir == 0)
		copy_slice(x->u.conn.sni, sizeof x->u.conn.sni, t->hello->sni);
}

static void host_name(hs_obs_msg *o, bool client, const char *name, int score)
{
	hs_obs *x = hs_obs_add(o, HS_OBS_HOST);
	if (!x)
		return;
	x->u.host.client = client;
	snprintf(x->u.host.name, sizeof x->u.host.name, "%s", name);
	x->u.host.score = score;
}

/* ------------------------------------------------------------------ */
/* tokens carried by a connection */

/* "cname@CREALM" of a decrypted ticket or authenticator (realm upper case) */
static void dec_principal(char *dst, size_t n, const char *cname, const char *crealm)
{
	char r[HS_NAME_MAX];
	snprintf(r, sizeof r, "%s", crealm);
	hsm_upper(r);
	hsm_principal_of(dst, n, cname, r);
}

/* With --keytab: the hop-1 ticket names its client (EncTicketPart cname),
 * carries ok-as-delegate, and the authenticator's RFC 4121 4.1.1 checksum
 * says whether a TGT was delegated (GSS_C_DELEG_FLAG + KRB-CRED).  Without
 * the service's key, an authenticator opened with a session key learnt on
 * the way (the TGS reply that issued the ticket) still names the client:
 * only the ticket's holder has that key (srv1's hop 2 with a forwarded TGT). */
static void auth_decrypted(hs_obs_auth *a, const hs_krb_msg *k)
{
	const hs_krb_dec *d = k->dec;
	if (d && d->ticket.status != HS_KRB_DEC_OK && d->auth.status == HS_KRB_DEC_OK && d->auth.cname[0]) {
		dec_principal(a->principal, sizeof a->principal, d->auth.cname, d->auth.crealm);
		return;
	}
	if (!d || d->ticket.status != HS_KRB_DEC_OK || !d->ticket.cname[0])
		return;
	dec_principal(a->principal, sizeof a->principal, d->ticket.cname, d->ticket.crealm);
	a->dec_ticket = true;
	a->ok_as_delegate = (d->ticket.flags & HS_KRB_TF_OK_AS_DELEGATE) != 0;
	if (d->auth.status == HS_KRB_DEC_OK) {
		a->dec_auth = true;
		a->deleg = d->auth.delegation;
		a->krb_cred = d->auth.krb_cred;
	}
}

static void on_krb_token(hs_obs_msg *o, const hs_krb_msg *k)
{
	const hs_meta *mt = &o->meta;
	if (k->kind != HS_KRB_KIND_PDU)
		return;
	if (k->msg_type == HS_KRB_AP_REQ && mt->dir == 0) {
		hs_obs *x = hs_obs_add(o, HS_OBS_AUTH);
		if (!x)
			return;
		hs_obs_auth *a = &x->u.auth;
		a->auth = HS_AUTH_KERBEROS;
		a->leg = HS_OBS_LEG_NEW;
		a->ticket_fp = ticket_fp(&k->ap_req.ticket);
		krb_name(a->sname, sizeof a->sname, &k->ap_req.ticket.sname);
		a->final = true;
		/* RFC 4121 4.1.1: with GSS_C_DELEG_FLAG the authenticator's
		 * checksum carries a KRB-CRED holding the TGT (a ticket of 1 KB
		 * and more, its PAC included); without it Windows' authenticators
		 * are ~440 bytes, MIT's ~190 (real captures: 1849 vs 437, lab 1638
		 * vs 189) */
		a->tgt_by_size = k->ap_req.authenticator.cipher.len > AUTH_WITH_TGT;
		auth_decrypted(a, k);
		a->frame = true;
	} else if (k->msg_type == HS_KRB_AP_REP && mt->dir == 1) {
		outcome(o, HS_RES_OK, HS_AUTH_KERBEROS, HS_OBS_UNDECIDED, HS_OBS_FRAME_NO);
	} else if (k->msg_type == HS_KRB_ERROR) {
		hs_obs_outcome *r = outcome(o, HS_RES_FAILED, HS_AUTH_KERBEROS, HS_OBS_ANY, HS_OBS_FRAME_ALWAYS);
		if (r) {
			r->has_krb_error = true;
			r->krb_error = k->error_code;
		}
	}
}

/* "DOMAIN\user" (or "user") of an NTLM AUTHENTICATE */
static void ntlm_principal(const hs_ntlm_msg *n, char *out, size_t size)
{
	char user[HS_NAME_MAX], dom[HS_NAME_MAX];
	hs_ntlm_text(n->user, n->unicode, user, sizeof user);
	hs_ntlm_text(n->domain, n->unicode, dom, sizeof dom);
	if (dom[0])
		snprintf(out, size, "%s\\%s", dom, user);
	else
		snprintf(out, size, "%s", user);
}

static void on_ntlm_token(hs_obs_msg *o, const hs_ntlm_msg *n)
{
	const hs_meta *mt = &o->meta;
	char buf[HS_NAME_MAX], dom[HS_NAME_MAX];
	if (n->type == 1 && mt->dir == 0) {
		hs_obs *x = hs_obs_add(o, HS_OBS_AUTH);
		if (x)
			x->u.auth.auth = HS_AUTH_NTLM;
	} else if (n->type == 2) {
		/* CHALLENGE TargetInfo (MS-NLMP 2.2.2.1): the server's own names,
		 * and the NetBIOS -> DNS domain pair. */
		if (n->av.dns_computer.len) {
			hs_ntlm_text(n->av.dns_computer, true, buf, sizeof buf);
			host_name(o, false, buf, 3);
		} else if (n->av.nb_computer.len) {
			hs_ntlm_text(n->av.nb_computer, true, buf, sizeof buf);
			host_name(o, false, buf, 2);
		}
		/* the NetBIOS computer name is the server's account (SRV2$),
		 * whatever name the client used to reach it (an alias: lab 36) */
		hs_obs *acct = n->av.nb_computer.len ? hs_obs_add(o, HS_OBS_HOST) : NULL;
		if (acct) {
			hs_ntlm_text(n->av.nb_computer, true, acct->u.host.name, sizeof acct->u.host.name);
			acct->u.host.account = true;
		}
		if (n->av.nb_domain.len && n->av.dns_domain.len) {
			hs_ntlm_text(n->av.nb_domain, true, buf, sizeof buf);
			hs_ntlm_text(n->av.dns_domain, true, dom, sizeof dom);
			hsm_upper(buf);
			hsm_upper(dom);
			hs_obs *x = buf[0] && dom[0] ? hs_obs_add(o, HS_OBS_DOMAIN) : NULL;
			if (x) {
				snprintf(x->u.domain.netbios, sizeof x->u.domain.netbios, "%s", buf);
				snprintf(x->u.domain.dns, sizeof x->u.domain.dns, "%s", dom);
			}
		}
	} else if (n->type == 3 && mt->dir == 0) {
		hs_obs *x = hs_obs_add(o, HS_OBS_AUTH);
		if (x) {
			hs_obs_auth *a = &x->u.auth;
			a->leg = HS_OBS_LEG_FINISH;
			a->final = true;
			a->frame = true;
			a->auth = n->anonymous ? HS_AUTH_ANONYMOUS : HS_AUTH_NTLM;
			if (!n->anonymous)
				ntlm_principal(n, a->principal, sizeof a->principal);
		}
		if (n->workstation.len) {
			hs_ntlm_text(n->workstation, n->unicode, buf, sizeof buf);
			host_name(o, true, buf, 1);
		}
	}
}

static void on_gss(hs_obs_msg *o, const hs_gss_token *t)
{
	const hs_meta *mt = &o->meta;
	if (t->kind != HS_GSS_SPNEGO)
		return;
	/* RFC 4178 4.2.1: reqFlags bit 0 is delegFlag. */
	if (mt->dir == 0 && t->spnego.has_req_flags && (t->spnego.req_flags & 0x80000000u))
		conn_flags(o, HS_OBS_DELEG_FLAG);
	if (t->has_krb)
		on_krb_token(o, &t->krb);
	else if (t->has_ntlm)
		on_ntlm_token(o, &t->ntlm);
	if (mt->dir == 1 && t->spnego.has_neg_state) {
		if (t->spnego.neg_state == HS_SPNEGO_REJECT)
			outcome(o, HS_RES_FAILED, HS_AUTH_UNKNOWN, HS_OBS_ANY, HS_OBS_FRAME_APPLIED);
		else if (t->spnego.neg_state == HS_SPNEGO_ACCEPT_COMPLETED)
			outcome(o, HS_RES_OK, HS_AUTH_UNKNOWN, HS_OBS_UNDECIDED, HS_OBS_FRAME_NO);
	}
}

/* CredSSP decrypted with a TLS key log (MS-CSSP 3.1.5): the SPNEGO, NTLM
 * and Kerberos tokens inside the TSRequests (carrier "credssp") are the
 * CredSSP attempt's own authentication, not attempts of the carrier.  They
 * name its principal: the NTLM AUTHENTICATE user, or the AP-REQ's ticket
 * (followed to the user through the ticket table). */
static void on_credssp_token(hs_obs_msg *o, const hs_msg *msg)
{
	const hs_meta *mt = &o->meta;
	const hs_krb_msg *k = NULL;
	const hs_ntlm_msg *n = NULL;
	bool deleg = false;
	if (msg->proto == HS_PROTO_KERBEROS)
		k = msg->body;
	else if (msg->proto == HS_PROTO_NTLMSSP)
		n = msg->body;
	else if (msg->proto == HS_PROTO_SPNEGO) {
		const hs_gss_token *t = msg->body;
		deleg = t->kind == HS_GSS_SPNEGO && mt->dir == 0 && t->spnego.has_req_flags &&
			(t->spnego.req_flags & 0x80000000u);
		k = t->has_krb ? &t->krb : NULL;
		n = t->has_ntlm ? &t->ntlm : NULL;
	}
	hs_obs *x = hs_obs_add(o, HS_OBS_AUTH);
	if (!x)
		return;
	hs_obs_auth *a = &x->u.auth;
	a->leg = HS_OBS_LEG_INNER;
	a->spnego_deleg = deleg;
	if (k && k->kind == HS_KRB_KIND_PDU && k->msg_type == HS_KRB_AP_REQ && mt->dir == 0) {
		a->auth = HS_AUTH_KERBEROS;
		a->ticket_fp = ticket_fp(&k->ap_req.ticket);
		auth_decrypted(a, k);
		krb_name(a->sname, sizeof a->sname, &k->ap_req.ticket.sname);
	} else if (n && n->type == 3 && mt->dir == 0 && !n->anonymous) {
		a->auth = HS_AUTH_NTLM;
		ntlm_principal(n, a->principal, sizeof a->principal);
	}
}

/* A TSRequest errorCode (version 3+) is the server's refusal with its
 * NTSTATUS; the carrier's stage report says accepted / refused. */
static void on_credssp(hs_obs_msg *o, const hs_credssp_msg *x)
{
	if (x->req && x->req->has_error_code && x->req->error_code) {
		hs_obs_outcome *r = outcome(o, HS_RES_FAILED, HS_AUTH_CREDSSP, HS_OBS_ANY, HS_OBS_FRAME_APPLIED);
		if (r) {
			r->credssp = true;
			r->credssp_status = x->req->error_code;
		}
	} else if (x->stage == HS_CREDSSP_STAGE_ACCEPTED) {
		outcome(o, HS_RES_OK, HS_AUTH_CREDSSP, HS_OBS_UNDECIDED, HS_OBS_FRAME_NO);
	} else if (x->stage == HS_CREDSSP_STAGE_REFUSED) {
		hs_obs_outcome *r = outcome(o, HS_RES_FAILED, HS_AUTH_CREDSSP, HS_OBS_ANY, HS_OBS_FRAME_NO);
		if (r)
			r->credssp = true;
	}
}

/* ------------------------------------------------------------------ */
/* carriers */

static void on_http_request(hs_obs_msg *o, const hs_http_msg *h)
{
	char buf[HS_NAME_MAX];
	if (h->host.len) {
		copy_slice(buf, sizeof buf, h->host);
		host_name(o, false, buf, 3);
	}
	for (size_t i = 0; i < h->nauth; i++) {
		const hs_http_auth *a = &h->auth[i];
		if (a->header != HS_HTTP_AUTHORIZATION)
			continue;
		if (a->scheme == HS_HTTP_SCHEME_CREDSSP) {
			hs_obs *x = hs_obs_add(o, HS_OBS_AUTH);
			if (x) {
				x->u.auth.auth = HS_AUTH_CREDSSP;
				x->u.auth.leg = HS_OBS_LEG_RESUME;
				x->u.auth.final = true;
			}
		} else if (a->scheme == HS_HTTP_SCHEME_BASIC) {
			hs_obs *x = hs_obs_add(o, HS_OBS_AUTH);
			if (!x)
				continue;
			x->u.auth.auth = HS_AUTH_BASIC;
			if (a->basic_ok) {
				char *p = x->u.auth.principal;
				size_t k = a->user_len < HS_NAME_MAX - 1 ? a->user_len : HS_NAME_MAX - 1;
				memcpy(p, a->cred, k);
				p[k] = 0;
			}
			x->u.auth.final = true;
			x->u.auth.frame = true;
		}
	}
}

/* WinRM whose SOAP stays closed (sealed bodies and no key, or a port a probe
 * found as HTTP): its URL (MS-WSMV 2.2.1: http://server:port/wsman, the
 * listener's default URLPrefix) or its sealed body (2.2.9.1: multipart/
 * encrypted, protocol="application/HTTP-...-session-encrypted", which http.c
 * parsed into h->enc) still names it. */
static bool http_is_winrm(const hs_http_msg *h)
{
	static const char wsman[] = "/wsman";
	const size_t n = sizeof wsman - 1;
	hs_slice u = h->uri;
	if (hs_slice_iprefix(u, wsman) && (u.len == n || u.p[n] == '?' || u.p[n] == '/'))
		return true;
	return h->enc && hs_slice_iprefix(h->enc->protocol, "application/HTTP-");
}

static void on_http(hs_obs_msg *o, const hs_http_msg *h)
{
	char buf[HS_NAME_MAX];
	if (http_is_winrm(h))
		conn_flags(o, HS_OBS_WINRM);
	/* A body sealed by CredSSP (MS-WSMV 2.2.9.1.2: the TLS channel the
	 * CredSSP exchange set up) shows that hop 1 authenticated with CredSSP,
	 * even when the exchange itself is not in the capture (a capture
	 * started after the logon): the same observation as a CredSSP
	 * Authorization header that resumes the exchange. */
	if (h->enc && hs_slice_iprefix(h->enc->protocol, "application/HTTP-CredSSP-session-encrypted")) {
		hs_obs *x = hs_obs_add(o, HS_OBS_AUTH);
		if (x) {
			x->u.auth.auth = HS_AUTH_CREDSSP;
			x->u.auth.leg = HS_OBS_LEG_RESUME;
			x->u.auth.final = true;
		}
	}
	if (!h->response) {
		on_http_request(o, h);
		return;
	}
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
		/* a 401 carrying a token continues the exchange (CredSSP legs); only
		 * the offer list of a 401 without one tells what the server accepts */
		bool cont = false;
		for (size_t i = 0; i < h->nauth; i++)
			if (h->auth[i].header == HS_HTTP_WWW_AUTHENTICATE && h->auth[i].token.len)
				cont = true;
		if (offers[0] && h->nauth && !cont) {
			hs_obs *x = hs_obs_add(o, HS_OBS_CONN);
			if (x) {
				x->u.conn.flags = HS_OBS_OFFERS;
				snprintf(x->u.conn.offers, sizeof x->u.conn.offers, "%s", offers);
				x->u.conn.credssp_offered = credssp;
			}
		}
		hs_obs_outcome *r = outcome(o, cont ? HS_RES_UNKNOWN : HS_RES_FAILED, HS_AUTH_UNKNOWN, HS_OBS_FINAL_NOT_OK,
					    HS_OBS_FRAME_ALWAYS);
		if (r) {
			r->challenge = true;
			r->credssp = true;
			r->status = 401;
		}
	} else if (h->status >= 200 && h->status != 407) {
		hs_obs_outcome *r = outcome(o, HS_RES_OK, HS_AUTH_UNKNOWN, HS_OBS_FINAL_UNDECIDED, HS_OBS_FRAME_NO);
		if (r)
			r->ntlm_final = true;
	}
}

/* "What the user saw" on hop 1 (issue 16): the first non-empty line a cmd
 * shell wrote to stderr (MS-WSMV 2.2.4.36), else the innermost message of a
 * WS-Management fault.  The first one per connection is kept. */
/* The first line of a cmd shell's stdout that reads as an error about the
 * second hop (hs_rules_saw_says): tools such as smbclient print "tree
 * connect failed: NT_STATUS_ACCESS_DENIED" to stdout, not stderr.  Only
 * the first STDOUT_SCAN decoded bytes of a message are read. */
#define STDOUT_SCAN 8192

static size_t stdout_error_line(const hs_winrm_msg *w, char *buf, size_t size)
{
	for (size_t i = 0; i < w->nstreams; i++) {
		const hs_winrm_stream *st = &w->streams[i];
		if (!hs_slice_eq(st->name, "stdout") || !st->data_len)
			continue;
		guchar *text = g_malloc(STDOUT_SCAN + 4);
		size_t in = st->b64.len < STDOUT_SCAN / 3 * 4 ? st->b64.len : STDOUT_SCAN / 3 * 4;
		gint state = 0;
		guint save = 0;
		size_t n = g_base64_decode_step((const gchar *)st->b64.p, in, text, &state, &save);
		size_t found = 0;
		for (size_t a = 0; a < n && !found;) {
			size_t b = a;
			while (b < n && text[b] != '\n' && text[b] != '\r')
				b++;
			char line[HS_SAW_MAX];
			size_t l = b - a < sizeof line - 1 ? b - a : sizeof line - 1;
			memcpy(line, text + a, l);
			line[l] = 0;
			if (l && !memchr(line, 0, l) && hs_rules_saw_says(line) != HS_SAW_NONE) {
				found = l < size ? l : size;
				memcpy(buf, line, found);
			}
			a = b + 1;
		}
		g_free(text);
		if (found)
			return found;
	}
	return 0;
}

static bool user_saw(const hs_winrm_msg *w, char *saw)
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
	if (!n && !w->powershell)
		n = stdout_error_line(w, buf, sizeof buf);
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
		return false;
	gchar *text = g_utf8_make_valid(buf + a, (gssize)(b - a));
	size_t cut = strlen(text);
	if (cut >= HS_SAW_MAX) {
		cut = HS_SAW_MAX - 1;
		while (cut && ((unsigned char)text[cut] & 0xc0) == 0x80)
			cut--; /* on a character boundary */
	}
	memcpy(saw, text, cut);
	saw[cut] = 0;
	g_free(text);
	return true;
}

static void on_winrm(hs_model *m, hs_obs_msg *o, const hs_winrm_msg *w)
{
	hs_obs *x = hs_obs_add(o, HS_OBS_CONN);
	if (!x)
		return;
	hs_obs_conn *c = &x->u.conn;
	c->flags = HS_OBS_WINRM;
	if (w->shell_id.len)
		copy_slice(c->shell_id, sizeof c->shell_id, w->shell_id);
	if (w->operation && !w->response && !strcmp(w->operation, "Command"))
		c->flags |= HS_OBS_CMD_START;
	else if (w->response)
		c->flags |= HS_OBS_CMD_END; /* the answer to the Command (WinRM answers in order on one connection) */
	if (w->fault)
		c->flags |= HS_OBS_FRAME;
	if (!hsm_conn_saw_known(m, o->meta.flow_id) && user_saw(w, c->saw))
		c->flags |= HS_OBS_SAW;
}

static bool path_is_ipc(const char *p)
{
	size_t l = strlen(p);
	return l >= 4 && strcasecmp(p + l - 4, "IPC$") == 0;
}

/* The SMB server's clock (NEGOTIATE response SystemTime, MS-SMB2 2.2.4):
 * a Kerberos service whose clock is off refuses AP-REQs, and Samba says
 * only LOGON_FAILURE (the model compares it with the frame's time). */
static void smb2_server_clock(hs_obs_msg *o, uint64_t filetime)
{
	const int64_t epoch_diff = 11644473600LL; /* seconds 1601-01-01 .. 1970-01-01 */
	int64_t secs = (int64_t)(filetime / 10000000u) - epoch_diff;
	if (secs < 0 || secs > INT64_MAX / 1000000000LL - 1)
		return;
	hs_obs *x = hs_obs_add(o, HS_OBS_CONN);
	if (x) {
		x->u.conn.flags = HS_OBS_CLOCK;
		x->u.conn.server_time_ns = secs * 1000000000LL + (int64_t)(filetime % 10000000u) * 100;
	}
}

static void on_smb2(hs_obs_msg *o, const hs_smb2_msg *s)
{
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
		host_name(o, false, h, 3);
	}
	if (s->kind == HS_SMB_V2 && s->command == HS_SMB2_NEGOTIATE && s->response && s->has_system_time)
		smb2_server_clock(o, s->system_time);
	if (!s->response || !s->has_status)
		return;
	if (ss) {
		hs_obs_outcome *r;
		if (s->status == 0) {
			r = outcome(o, HS_RES_OK, HS_AUTH_UNKNOWN, HS_OBS_ANY, HS_OBS_FRAME_ALWAYS);
			if (r)
				r->anonymous = s->has_session_flags && (s->session_flags & HS_SMB2_SESSION_FLAG_IS_NULL);
		} else if (s->status != 0xC0000016u) { /* STATUS_MORE_PROCESSING_REQUIRED */
			r = outcome(o, HS_RES_FAILED, HS_AUTH_UNKNOWN, HS_OBS_ANY, HS_OBS_FRAME_ALWAYS);
			if (r)
				r->status = s->status;
		} else {
			r = outcome(o, HS_RES_UNKNOWN, HS_AUTH_UNKNOWN, HS_OBS_ANY, HS_OBS_FRAME_NO);
		}
		if (r)
			r->open = true;
	} else if (tc && s->has_path && !path_is_ipc(s->path)) {
		hs_obs *x = hs_obs_add(o, HS_OBS_CONN);
		if (x) {
			x->u.conn.flags = HS_OBS_TREE | HS_OBS_FRAME;
			x->u.conn.tree_result = s->status == 0 ? HS_RES_OK : HS_RES_FAILED;
			x->u.conn.tree_status = s->status;
		}
	}
}

static void on_ldap(hs_obs_msg *o, const hs_ldap_msg *l)
{
	if (l->kind != HS_LDAP_MESSAGE)
		return;
	if (l->op == HS_LDAP_BIND_REQUEST && l->auth == HS_LDAP_AUTH_SIMPLE) {
		hs_obs *x = hs_obs_add(o, HS_OBS_AUTH);
		if (!x)
			return;
		x->u.auth.auth = l->name.len || l->credentials.len ? HS_AUTH_BASIC : HS_AUTH_ANONYMOUS;
		copy_slice(x->u.auth.principal, sizeof x->u.auth.principal, l->name);
		x->u.auth.final = true;
		x->u.auth.frame = true;
	} else if (l->op == HS_LDAP_BIND_RESPONSE && l->has_result) {
		hs_obs_outcome *r;
		if (l->result_code == 0) {
			r = outcome(o, HS_RES_OK, HS_AUTH_UNKNOWN, HS_OBS_ANY, HS_OBS_FRAME_ALWAYS);
		} else if (l->result_code != 14) { /* saslBindInProgress */
			r = outcome(o, HS_RES_FAILED, HS_AUTH_UNKNOWN, HS_OBS_ANY, HS_OBS_FRAME_ALWAYS);
			if (r)
				r->status = l->result_code;
		} else {
			r = outcome(o, HS_RES_UNKNOWN, HS_AUTH_UNKNOWN, HS_OBS_ANY, HS_OBS_FRAME_ALWAYS);
		}
		if (r)
			r->open = true;
	}
}

static void on_dcerpc(hs_obs_msg *o, const hs_dcerpc_msg *d)
{
	if (d->ptype == HS_DCERPC_BIND_NAK || (d->ptype == HS_DCERPC_FAULT && d->status == 5)) {
		hs_obs_outcome *r = outcome(o, HS_RES_FAILED, HS_AUTH_UNKNOWN, HS_OBS_ANY, HS_OBS_FRAME_ALWAYS);
		if (r) {
			r->open = true;
			r->status = d->ptype == HS_DCERPC_FAULT ? 5 : d->reject_reason;
		}
	} else if (d->ptype == HS_DCERPC_BIND_ACK || d->ptype == HS_DCERPC_ALTER_CONTEXT_RESP) {
		outcome(o, HS_RES_OK, HS_AUTH_UNKNOWN, HS_OBS_FINAL_UNDECIDED, HS_OBS_FRAME_NO);
	}
}

static void on_tds(hs_obs_msg *o, const hs_tds_msg *t)
{
	if (t->kind != HS_TDS_KIND_LOGIN_RESPONSE)
		return;
	bool refused = false;
	for (unsigned i = 0; i < t->n_errors; i++)
		if (!t->errors[i].info && t->errors[i].number == 18456) /* Login failed for user */
			refused = true;
	hs_obs_outcome *r;
	if (refused) {
		r = outcome(o, HS_RES_FAILED, HS_AUTH_UNKNOWN, HS_OBS_ANY, HS_OBS_FRAME_ALWAYS);
		if (r)
			r->status = 18456;
	} else {
		r = outcome(o, t->has_loginack ? HS_RES_OK : HS_RES_UNKNOWN, HS_AUTH_UNKNOWN, HS_OBS_UNDECIDED,
			    HS_OBS_FRAME_ALWAYS);
	}
	if (r)
		r->open = true;
}

/* ------------------------------------------------------------------ */
/* the KDC */

static uint64_t krb_dedup_fp(const hs_meta *mt, const hs_krb_msg *k)
{
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

static bool has_padata(const hs_krb_msg *k, int32_t type)
{
	for (unsigned i = 0; i < k->n_padata; i++)
		if (k->padata[i].type == type)
			return true;
	return false;
}

static void kdc_req(hs_obs_kdc *x, const hs_krb_msg *k)
{
	x->op = HS_OBS_KDC_REQ;
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
	if (k->msg_type == HS_KRB_TGS_REQ && k->tgs_ap_req.present) {
		x->tgt_fp = ticket_fp(&k->tgs_ap_req.ticket);
		/* --keytab: the authenticator opened (with the krbtgt key's
		 * ticket, or the TGT's session key a KRB-CRED forwarded) names
		 * whose TGT this is, whatever the reply's cname says (FAST
		 * replies may give the anonymous one) */
		if (k->dec && k->dec->auth.status == HS_KRB_DEC_OK && k->dec->auth.cname[0])
			dec_principal(x->tgs_client, sizeof x->tgs_client, k->dec->auth.cname, k->dec->auth.crealm);
	}
	/* RFC 4120 5.4.1: forwarded = bit 2 */
	x->forwarded_req = k->msg_type == HS_KRB_TGS_REQ && (k->kdc_options & (0x80000000u >> 2)) &&
			   !strncasecmp(x->sname, "krbtgt/", 7);
}

static void kdc_rep(hs_obs_kdc *x, const hs_krb_msg *k)
{
	x->op = HS_OBS_KDC_REP;
	x->msg = k->msg_type == HS_KRB_AS_REP ? HS_KRB_AS_REQ : HS_KRB_TGS_REQ;
	if (k->msg_type == HS_KRB_ERROR) {
		x->error = true;
		x->err = k->error_code;
		x->has_nt = k->has_ntstatus;
		x->nt = k->ntstatus;
		x->fast_err = k->fast.present;
		krb_name(x->sname, sizeof x->sname, &k->sname);
	} else {
		char cn[HS_NAME_MAX], cr[64];
		krb_name(cn, sizeof cn, &k->cname);
		copy_slice(cr, sizeof cr, k->crealm);
		hsm_upper(cr);
		hsm_principal_of(x->rep_cname, sizeof x->rep_cname, cn, cr);
		x->rep_fp = ticket_fp(&k->ticket);
		krb_name(x->sname, sizeof x->sname, &k->ticket.sname);
		/* --keytab: the issued ticket (for S4U2Self: to the first server
		 * itself, readable with its key; MS-SFU 3.2.5.1.2 forwardable) */
		if (k->dec && k->dec->rep_ticket.status == HS_KRB_DEC_OK) {
			x->tkt_dec = true;
			x->tkt_flags = k->dec->rep_ticket.flags;
		}
	}
}

static void on_kdc(hs_obs_msg *o, const hs_krb_msg *k)
{
	if (k->kind != HS_KRB_KIND_PDU)
		return;
	hs_obs *r = hs_obs_add(o, HS_OBS_KDC);
	if (!r)
		return;
	hs_obs_kdc *x = &r->u.kdc;
	/* the same datagram captured on two hosts reaches the model twice (TCP
	 * is de-duplicated by reassembly already) */
	x->dedup_fp = krb_dedup_fp(&o->meta, k);
	if (k->msg_type == HS_KRB_AS_REQ || k->msg_type == HS_KRB_TGS_REQ)
		kdc_req(x, k);
	else if (k->msg_type == HS_KRB_AS_REP || k->msg_type == HS_KRB_TGS_REP || k->msg_type == HS_KRB_ERROR)
		kdc_rep(x, k);
}

/* ------------------------------------------------------------------ */
/* the sink */

static void on_conn_msg(hs_model *m, hs_obs_msg *o, const hs_msg *msg)
{
	if (msg->carrier == HS_PROTO_CREDSSP) {
		on_credssp_token(o, msg);
		return;
	}
	switch (msg->proto) {
	case HS_PROTO_CREDSSP:
		on_credssp(o, msg->body);
		break;
	case HS_PROTO_KERBEROS:
		on_krb_token(o, msg->body);
		break;
	case HS_PROTO_SPNEGO:
		on_gss(o, msg->body);
		break;
	case HS_PROTO_NTLMSSP:
		on_ntlm_token(o, msg->body);
		break;
	case HS_PROTO_HTTP:
		on_http(o, msg->body);
		break;
	case HS_PROTO_WINRM:
		on_winrm(m, o, msg->body);
		break;
	case HS_PROTO_SMB2:
		on_smb2(o, msg->body);
		break;
	case HS_PROTO_LDAP:
		on_ldap(o, msg->body);
		break;
	case HS_PROTO_DCERPC:
		on_dcerpc(o, msg->body);
		break;
	case HS_PROTO_TDS:
		on_tds(o, msg->body);
		break;
	case HS_PROTO_TLS:
		/* TLS of the connection itself (WinRM HTTPS); the TLS that CredSSP
		 * tunnels inside HTTP headers (carrier "http") is not transport. */
		if (msg->carrier == HS_PROTO_NONE)
			on_tls(o, msg->body);
		break;
	default:
		break;
	}
}

void hs_model_sink(void *ud, const hs_msg *msg)
{
	hs_model *m = ud;
	const hs_meta *mt = msg->meta;
	if (!hsm_observe_begin(m, mt))
		return;
	hs_obs_msg o;
	o.meta = *mt;
	o.n = 0;
	/* Kerberos not carried by another protocol, on 88 or on a port a probe
	 * or decode-as rule named Kerberos, is a KDC exchange */
	o.on_conn = !(msg->proto == HS_PROTO_KERBEROS && msg->carrier == HS_PROTO_NONE &&
		      (mt->sport == 88 || mt->dport == 88 || mt->carrier == HS_CAR_KERBEROS));
	o.carrier = HS_CAR_OTHER;
	if (!o.on_conn) {
		on_kdc(&o, msg->body);
	} else {
		/* a decode-as rule or a probe chose the parser: it names the carrier;
		 * else the carrier tables are the protocols' descriptors (protos.h) */
		o.carrier = msg->proto == HS_PROTO_DCERPC ? HS_CAR_DCERPC
			    : mt->carrier		  ? (hs_carrier)mt->carrier
							  : hs_proto_port_carrier(mt->dir == 0 ? mt->dport : mt->sport);
		on_conn_msg(m, &o, msg);
	}
	hsm_observe_records(m, &o);
}
