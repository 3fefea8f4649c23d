/* krb5.c - Kerberos V5 PDUs (RFC 4120 s5), their PA-DATA (MS-KILE, MS-SFU,
 * RFC 6113), GSS-API krb5 tokens (RFC 4121 s4.1) and the TCP record
 * marking (RFC 4120 s7.2.2).  See krb5.h for the contract; the describer is
 * krb5_describe.c, the port-88 parser krb5_app.c.
 *
 * Prefix versus malformed.  The decoder looks at the outermost element
 * first.  When it claims more bytes than the caller has, the input is a
 * prefix: elements that run past the end of the input are entered anyway
 * (open_el gives their available part) so that everything before the cut
 * is decoded, and the answer is HS_E_TRUNCATED.  When the outermost element
 * is complete, any inner element that runs past its parent is corruption:
 * the answer is HS_E_MALFORMED, never "need more data".
 *
 * PA-DATA values and KRB-ERROR e-data are OCTET STRINGs holding more DER;
 * they are decoded strictly in their own cursor, and an error there is kept
 * apart (value_err, padata[i].err) so the outer fields stay usable.
 */
#include "krb5.h"

#include <stdio.h>
#include <string.h>

#include <glib.h>

#include "der.h"

#define UNIV HS_DER_UNIVERSAL
#define APP HS_DER_APPLICATION
#define CTX HS_DER_CONTEXT
#define SEQ HS_DER_SEQUENCE

/* Decoder state for one call. */
typedef struct kd {
	hs_krb_msg *m;
	const uint8_t *end; /* end of the caller's input */
	bool prefix;        /* the outermost element runs past `end` */
	bool in_error;      /* inside KRB-ERROR e-data (PA-PW-SALT may hold an NTSTATUS) */
} kd;

typedef struct tlv {
	uint8_t cls;
	bool cons;
	uint32_t tag;
	size_t hlen; /* identifier + length octets */
	size_t blen; /* declared content length */
} tlv;

/* An X.690 header, as der.c reads it (definite lengths, length-of-length
 * <= 4, tags < 2^21), but reporting the declared length even when the
 * content is not all there: that is how a prefix is told from corruption. */
static hs_err tlv_hdr(const uint8_t *p, size_t n, tlv *t)
{
	size_t i = 0;
	if (n < 1)
		return HS_E_TRUNCATED;
	t->cls = p[0] >> 6;
	t->cons = (p[0] & 0x20) != 0;
	t->tag = p[0] & 0x1f;
	i = 1;
	if (t->tag == 0x1f) {
		uint32_t v = 0;
		int k;
		for (k = 0; k < 3; k++) {
			if (i >= n)
				return HS_E_TRUNCATED;
			uint8_t x = p[i++];
			if (k == 0 && x == 0x80)
				return HS_E_MALFORMED;
			v = (v << 7) | (x & 0x7f);
			if (!(x & 0x80))
				break;
		}
		if (k == 3)
			return HS_E_LIMIT;
		t->tag = v;
	}
	if (i >= n)
		return HS_E_TRUNCATED;
	uint8_t l = p[i++];
	if (l < 0x80) {
		t->blen = l;
	} else if (l == 0x80) {
		return HS_E_UNSUPPORTED; /* indefinite length is BER, never Kerberos DER */
	} else {
		unsigned k = l & 0x7f;
		size_t v = 0;
		if (k > 4)
			return HS_E_LIMIT;
		if (n - i < k)
			return HS_E_TRUNCATED;
		for (unsigned j = 0; j < k; j++)
			v = (v << 8) | p[i++];
		t->blen = v;
	}
	t->hlen = i;
	return HS_OK;
}

/* Enter the next element if it is constructed [cls tag].  opt: when the
 * next element is something else (or there is none), return false and
 * leave c untouched.  In prefix mode an element cut by the end of the input
 * is entered with the bytes that are there. */
static bool open_el(kd *d, hs_cur *c, uint8_t cls, uint32_t tag, bool opt, hs_cur *body)
{
	tlv t;
	hs_err r;
	if (!hs_cur_ok(c))
		return false;
	if (c->len == 0)
		return opt ? false : hs_cur_fail(c, HS_E_TRUNCATED);
	r = tlv_hdr(c->p, c->len, &t);
	if (r != HS_OK)
		return hs_cur_fail(c, r);
	if (t.cls != cls || t.tag != tag || !t.cons)
		return opt ? false : hs_cur_fail(c, HS_E_MALFORMED);
	hs_cur_skip(c, t.hlen);
	if (t.blen <= c->len) {
		*body = hs_cur_sub(c, t.blen);
		return true;
	}
	if (d->prefix && c->p + c->len == d->end) {
		*body = hs_cur_sub(c, c->len);
		return true;
	}
	return hs_cur_fail(c, HS_E_TRUNCATED);
}

static void value_error(hs_krb_msg *m, hs_err e)
{
	if (m->value_err == HS_OK)
		m->value_err = e == HS_E_TRUNCATED ? HS_E_MALFORMED : e;
}

/* ---- [n] EXPLICIT primitives.  Each returns true when the field was
 * present and decoded; on error the parent cursor carries it. ---- */

static bool ctx_int32(kd *d, hs_cur *c, uint32_t n, bool opt, int32_t *v)
{
	hs_cur b;
	int64_t x = 0;
	if (!open_el(d, c, CTX, n, opt, &b))
		return false;
	if (hs_der_int64(&b, &x)) {
		if (x < INT32_MIN || x > INT32_MAX)
			hs_cur_fail(&b, HS_E_LIMIT);
		else
			*v = (int32_t)x;
	}
	return hs_der_close(c, &b);
}

static bool ctx_uint32(kd *d, hs_cur *c, uint32_t n, bool opt, uint32_t *v)
{
	hs_cur b;
	uint32_t x = 0;
	if (!open_el(d, c, CTX, n, opt, &b))
		return false;
	if (hs_der_uint32(&b, &x))
		*v = x;
	return hs_der_close(c, &b);
}

static bool ctx_str(kd *d, hs_cur *c, uint32_t n, bool opt, hs_slice *v)
{
	hs_cur b;
	if (!open_el(d, c, CTX, n, opt, &b))
		return false;
	hs_der_string(&b, v);
	return hs_der_close(c, &b);
}

static bool ctx_octets(kd *d, hs_cur *c, uint32_t n, bool opt, hs_slice *v)
{
	hs_cur b;
	if (!open_el(d, c, CTX, n, opt, &b))
		return false;
	hs_der_octets(&b, v);
	return hs_der_close(c, &b);
}

static bool ctx_time(kd *d, hs_cur *c, uint32_t n, bool opt, hs_slice *v)
{
	hs_cur b;
	if (!open_el(d, c, CTX, n, opt, &b))
		return false;
	hs_der_gentime(&b, v);
	return hs_der_close(c, &b);
}

static bool ctx_bits(kd *d, hs_cur *c, uint32_t n, bool opt, uint32_t *v)
{
	hs_cur b;
	uint32_t x = 0;
	if (!open_el(d, c, CTX, n, opt, &b))
		return false;
	if (hs_der_bits32(&b, &x))
		*v = x;
	return hs_der_close(c, &b);
}

static bool ctx_bool(kd *d, hs_cur *c, uint32_t n, bool opt, bool *v)
{
	hs_cur b;
	bool x = false;
	if (!open_el(d, c, CTX, n, opt, &b))
		return false;
	if (hs_der_bool(&b, &x))
		*v = x;
	return hs_der_close(c, &b);
}

/* msg-type must repeat the APPLICATION tag (RFC 4120 s5.10). */
static void ctx_msgtype(kd *d, hs_cur *c, uint32_t n, int32_t expect)
{
	int32_t t = 0;
	if (ctx_int32(d, c, n, false, &t) && t != expect)
		value_error(d->m, HS_E_MALFORMED);
}

/* ---- common types (RFC 4120 s5.2) ---- */

static void principal(kd *d, hs_cur *c, hs_krb_name *nm)
{
	hs_cur s, b, l;
	if (!open_el(d, c, UNIV, SEQ, false, &s))
		return;
	nm->present = true;
	ctx_int32(d, &s, 0, false, &nm->type);
	if (open_el(d, &s, CTX, 1, false, &b)) {
		if (open_el(d, &b, UNIV, SEQ, false, &l)) {
			while (hs_cur_ok(&l) && l.len) {
				hs_slice x;
				if (!hs_der_string(&l, &x))
					break;
				if (nm->n < HS_KRB_MAX_NAME)
					nm->comp[nm->n++] = x;
				else
					nm->more++;
			}
			hs_der_close(&b, &l);
		}
		hs_der_close(&s, &b);
	}
	hs_der_close(c, &s);
}

static void ctx_principal(kd *d, hs_cur *c, uint32_t n, bool opt, hs_krb_name *nm)
{
	hs_cur b;
	if (!open_el(d, c, CTX, n, opt, &b))
		return;
	principal(d, &b, nm);
	hs_der_close(c, &b);
}

static void enc_data(kd *d, hs_cur *c, hs_krb_enc *e)
{
	hs_cur s;
	if (!open_el(d, c, UNIV, SEQ, false, &s))
		return;
	e->present = true;
	ctx_int32(d, &s, 0, false, &e->etype);
	e->has_kvno = ctx_uint32(d, &s, 1, true, &e->kvno);
	ctx_octets(d, &s, 2, false, &e->cipher);
	hs_der_close(c, &s);
}

static void ctx_enc(kd *d, hs_cur *c, uint32_t n, bool opt, hs_krb_enc *e)
{
	hs_cur b;
	if (!open_el(d, c, CTX, n, opt, &b))
		return;
	enc_data(d, &b, e);
	hs_der_close(c, &b);
}

static void ctx_cksum(kd *d, hs_cur *c, uint32_t n, bool opt, hs_krb_cksum *k)
{
	hs_cur b, s;
	if (!open_el(d, c, CTX, n, opt, &b))
		return;
	if (open_el(d, &b, UNIV, SEQ, false, &s)) {
		k->present = true;
		ctx_int32(d, &s, 0, false, &k->type);
		ctx_octets(d, &s, 1, false, &k->value);
		hs_der_close(&b, &s);
	}
	hs_der_close(c, &b);
}

/* Ticket ::= [APPLICATION 1] SEQUENCE (s5.3) */
static void ticket(kd *d, hs_cur *c, hs_krb_ticket *t)
{
	hs_cur a, s;
	if (!open_el(d, c, APP, 1, false, &a))
		return;
	if (open_el(d, &a, UNIV, SEQ, false, &s)) {
		t->present = true;
		ctx_int32(d, &s, 0, false, &t->tkt_vno);
		ctx_str(d, &s, 1, false, &t->realm);
		ctx_principal(d, &s, 2, false, &t->sname);
		ctx_enc(d, &s, 3, false, &t->enc);
		hs_der_close(&a, &s);
	}
	hs_der_close(c, &a);
}

static void ctx_ticket(kd *d, hs_cur *c, uint32_t n, hs_krb_ticket *t)
{
	hs_cur b;
	if (!open_el(d, c, CTX, n, false, &b))
		return;
	ticket(d, &b, t);
	hs_der_close(c, &b);
}

/* [n] SEQUENCE OF Ticket: additional-tickets (s5.4.1), KRB-CRED tickets (s5.8.1) */
static void ctx_tickets(kd *d, hs_cur *c, uint32_t n, bool opt)
{
	hs_krb_msg *m = d->m;
	hs_cur b, l;
	if (!open_el(d, c, CTX, n, opt, &b))
		return;
	if (open_el(d, &b, UNIV, SEQ, false, &l)) {
		while (hs_cur_ok(&l) && l.len) {
			hs_krb_ticket scratch, *t = &scratch;
			if (m->n_addl < HS_KRB_MAX_ADDL)
				t = &m->addl[m->n_addl++];
			else
				m->more_addl++;
			memset(t, 0, sizeof *t);
			ticket(d, &l, t);
		}
		hs_der_close(&b, &l);
	}
	hs_der_close(c, &b);
}

/* AP-REQ ::= [APPLICATION 14] SEQUENCE (s5.5.1); c is the APPLICATION body. */
static void ap_req_body(kd *d, hs_cur *c, hs_krb_ap_req *ap, int32_t *pvno)
{
	hs_cur s;
	if (!open_el(d, c, UNIV, SEQ, false, &s))
		return;
	ap->present = true;
	ctx_int32(d, &s, 0, false, pvno);
	ctx_msgtype(d, &s, 1, HS_KRB_AP_REQ);
	ctx_bits(d, &s, 2, false, &ap->ap_options);
	ctx_ticket(d, &s, 3, &ap->ticket);
	ctx_enc(d, &s, 4, false, &ap->authenticator);
	hs_der_close(c, &s);
}

/* An AP-REQ nested in an OCTET STRING (PA-TGS-REQ, FAST armor): the whole
 * value must be exactly one AP-REQ.  One level only: an AP-REQ has no
 * PA-DATA, so nothing nests further. */
static void nested_ap_req(kd *d, hs_cur *v, hs_krb_ap_req *ap)
{
	hs_cur a;
	int32_t pvno = 0;
	if (!open_el(d, v, APP, HS_KRB_AP_REQ, false, &a))
		return;
	ap_req_body(d, &a, ap, &pvno);
	hs_der_close(v, &a);
}

/* ---- PA-DATA values by type ---- */

static void etype_info(kd *d, hs_cur *v, bool info2)
{
	hs_krb_msg *m = d->m;
	hs_cur l;
	/* Keep the first list, but prefer ETYPE-INFO2 (RFC 4120 s5.2.7.5: a KDC
	 * sends both to old clients; INFO2 is the authoritative one). */
	if (m->n_etype_info && (m->etype_info2 || !info2)) {
		hs_cur_skip(v, v->len);
		return;
	}
	m->n_etype_info = 0;
	m->more_etype_info = 0;
	m->etype_info2 = info2;
	if (!open_el(d, v, UNIV, SEQ, false, &l))
		return;
	while (hs_cur_ok(&l) && l.len) {
		hs_krb_etype_info e;
		hs_cur s;
		memset(&e, 0, sizeof e);
		if (!open_el(d, &l, UNIV, SEQ, false, &s))
			break;
		ctx_int32(d, &s, 0, false, &e.etype);
		if (info2) {
			e.has_salt = ctx_str(d, &s, 1, true, &e.salt);
			e.has_s2kparams = ctx_octets(d, &s, 2, true, &e.s2kparams);
		} else {
			e.has_salt = ctx_octets(d, &s, 1, true, &e.salt);
		}
		if (!hs_der_close(&l, &s))
			break;
		if (m->n_etype_info < HS_KRB_MAX_ETYPE_INFO)
			m->etype_info[m->n_etype_info++] = e;
		else
			m->more_etype_info++;
	}
	hs_der_close(v, &l);
}

/* MS-SFU 2.2.1 PA-FOR-USER ::= SEQUENCE { userName [0] PrincipalName,
 * userRealm [1] Realm, cksum [2] Checksum, auth-package [3] KerberosString } */
static void for_user(kd *d, hs_cur *v)
{
	hs_krb_msg *m = d->m;
	hs_cur s;
	if (!open_el(d, v, UNIV, SEQ, false, &s))
		return;
	m->for_user.present = true;
	ctx_principal(d, &s, 0, false, &m->for_user.user);
	ctx_str(d, &s, 1, false, &m->for_user.realm);
	ctx_cksum(d, &s, 2, false, &m->for_user.cksum);
	ctx_str(d, &s, 3, false, &m->for_user.auth_package);
	hs_der_close(v, &s);
}

/* MS-SFU 2.2.2 PA-S4U-X509-USER ::= SEQUENCE { user-id [0] S4UUserID,
 * checksum [1] Checksum }; S4UUserID ::= SEQUENCE { nonce [0] UInt32,
 * cname [1] PrincipalName OPTIONAL, crealm [2] Realm, subject-certificate
 * [3] OCTET STRING OPTIONAL, options [4] BIT STRING OPTIONAL, ... } */
static void s4u_x509(kd *d, hs_cur *v)
{
	hs_krb_msg *m = d->m;
	hs_cur s, b, u;
	if (!open_el(d, v, UNIV, SEQ, false, &s))
		return;
	m->s4u_x509.present = true;
	if (open_el(d, &s, CTX, 0, false, &b)) {
		if (open_el(d, &b, UNIV, SEQ, false, &u)) {
			ctx_uint32(d, &u, 0, false, &m->s4u_x509.nonce);
			ctx_principal(d, &u, 1, true, &m->s4u_x509.cname);
			ctx_str(d, &u, 2, false, &m->s4u_x509.crealm);
			m->s4u_x509.has_cert = ctx_octets(d, &u, 3, true, &m->s4u_x509.cert);
			m->s4u_x509.has_options = ctx_bits(d, &u, 4, true, &m->s4u_x509.options);
			hs_cur_skip(&u, u.len); /* extensible: "..." */
			hs_der_close(&b, &u);
		}
		hs_der_close(&s, &b);
	}
	ctx_cksum(d, &s, 1, false, &m->s4u_x509.cksum);
	hs_der_close(v, &s);
}

/* RFC 6113 s5.4.2 PA-FX-FAST-REQUEST ::= CHOICE { armored-data [0]
 * KrbFastArmoredReq }; KrbFastArmoredReq ::= SEQUENCE { armor [0]
 * KrbFastArmor OPTIONAL, req-checksum [1] Checksum, enc-fast-req [2]
 * EncryptedData }; KrbFastArmor ::= SEQUENCE { armor-type [0] Int32,
 * armor-value [1] OCTET STRING }.  PA-FX-FAST-REPLY ::= CHOICE {
 * armored-data [0] KrbFastArmoredRep }; KrbFastArmoredRep ::= SEQUENCE {
 * enc-fast-rep [0] EncryptedData }.  An empty value only advertises FAST
 * (in METHOD-DATA of KDC_ERR_PREAUTH_REQUIRED). */
static void fx_fast(kd *d, hs_cur *v)
{
	hs_krb_msg *m = d->m;
	hs_cur b, s, a, av;
	bool reply = m->msg_type != HS_KRB_AS_REQ && m->msg_type != HS_KRB_TGS_REQ;
	if (v->len == 0)
		return;
	if (!open_el(d, v, CTX, 0, false, &b))
		return;
	m->fast.present = true;
	m->fast.reply = reply;
	if (open_el(d, &b, UNIV, SEQ, false, &s)) {
		if (reply) {
			ctx_enc(d, &s, 0, false, &m->fast.enc);
		} else {
			if (open_el(d, &s, CTX, 0, true, &a)) {
				hs_cur as;
				if (open_el(d, &a, UNIV, SEQ, false, &as)) {
					m->fast.has_armor = true;
					ctx_int32(d, &as, 0, false, &m->fast.armor_type);
					ctx_octets(d, &as, 1, false, &m->fast.armor_value);
					hs_der_close(&a, &as);
				}
				hs_der_close(&s, &a);
			}
			ctx_cksum(d, &s, 1, false, &m->fast.req_cksum);
			ctx_enc(d, &s, 2, false, &m->fast.enc);
		}
		hs_der_close(&b, &s);
	}
	hs_der_close(v, &b);
	/* FX_FAST_ARMOR_AP_REQUEST (1): the armor is an AP-REQ (s5.4.1.1). */
	if (hs_cur_ok(v) && m->fast.has_armor && m->fast.armor_type == 1) {
		av = hs_cur_make(m->fast.armor_value.p, m->fast.armor_value.len);
		nested_ap_req(d, &av, &m->fast.armor_ap_req);
		if (hs_cur_ok(&av) && av.len)
			hs_cur_fail(&av, HS_E_TRAILING);
		hs_cur_join(v, &av);
	}
}

/* MS-KILE 2.2.1 KERB-EXT-ERROR: NTSTATUS, reserved, flags; 32-bit little
 * endian each.  strict: the bytes came as a PA-PW-SALT, which may also be a
 * real 12-byte salt; take it as a status only when it looks like one (an
 * error or warning severity, reserved zero). */
static bool ext_error(hs_krb_msg *m, hs_slice v, bool strict)
{
	hs_cur c = hs_cur_make(v.p, v.len);
	if (v.len != 12)
		return false;
	uint32_t status = hs_cur_u32le(&c);
	uint32_t reserved = hs_cur_u32le(&c);
	uint32_t flags = hs_cur_u32le(&c);
	if (strict && (status >> 30 < 2 || reserved != 0 || flags > 1))
		return false;
	m->has_ntstatus = true;
	m->ntstatus = status;
	m->ext_error_flags = flags;
	return true;
}

static void padata_value(kd *parent, hs_krb_padata *pd)
{
	hs_krb_msg *m = parent->m;
	kd d = { m, pd->value.p + pd->value.len, false, parent->in_error };
	hs_cur v = hs_cur_make(pd->value.p, pd->value.len);
	hs_cur s;

	/* An empty value names a method the KDC offers (METHOD-DATA in
	 * KDC_ERR_PREAUTH_REQUIRED) or, for PA-REQ-ENC-PA-REP, asks for it. */
	if (pd->value.len == 0) {
		if (pd->type == HS_KRB_PA_REQ_ENC_PA_REP)
			m->req_enc_pa_rep = true;
		return;
	}
	switch (pd->type) {
	case HS_KRB_PA_TGS_REQ:
		if (m->tgs_ap_req.present)
			return;
		nested_ap_req(&d, &v, &m->tgs_ap_req);
		break;
	case HS_KRB_PA_ENC_TIMESTAMP:
		if (m->enc_timestamp.present)
			return;
		enc_data(&d, &v, &m->enc_timestamp);
		break;
	case HS_KRB_PA_ENCRYPTED_CHALLENGE:
		if (m->enc_challenge.present)
			return;
		enc_data(&d, &v, &m->enc_challenge);
		break;
	case HS_KRB_PA_PW_SALT:
		/* Samba's KDC puts KERB-EXT-ERROR here in KRB-ERROR METHOD-DATA
		 * (Wireshark decodes it so too); otherwise it is a salt. */
		if (!(d.in_error && ext_error(m, pd->value, true)))
			m->pw_salt = pd->value;
		return;
	case HS_KRB_PA_ETYPE_INFO:
	case HS_KRB_PA_ETYPE_INFO2:
		etype_info(&d, &v, pd->type == HS_KRB_PA_ETYPE_INFO2);
		break;
	case HS_KRB_PA_PAC_REQUEST: /* MS-KILE 2.2.3 KERB-PA-PAC-REQUEST */
		if (m->has_pac_request)
			return;
		if (open_el(&d, &v, UNIV, SEQ, false, &s)) {
			m->has_pac_request = ctx_bool(&d, &s, 0, false, &m->include_pac);
			hs_der_close(&v, &s);
		}
		break;
	case HS_KRB_PA_FOR_USER:
		if (m->for_user.present)
			return;
		for_user(&d, &v);
		break;
	case HS_KRB_PA_S4U_X509_USER:
		if (m->s4u_x509.present)
			return;
		s4u_x509(&d, &v);
		break;
	case HS_KRB_PA_FX_FAST:
		if (m->fast.present)
			return;
		fx_fast(&d, &v);
		break;
	case HS_KRB_PA_PAC_OPTIONS: /* MS-KILE 2.2.10 PA-PAC-OPTIONS ::= SEQUENCE { [0] PAC-OPTIONS-FLAGS } */
		if (m->has_pac_options)
			return;
		if (open_el(&d, &v, UNIV, SEQ, false, &s)) {
			m->has_pac_options = ctx_bits(&d, &s, 0, false, &m->pac_options);
			hs_der_close(&v, &s);
		}
		break;
	case HS_KRB_PA_SUPPORTED_ETYPES: /* MS-KILE 2.2.8: a 32-bit little-endian flag word */
		if (m->has_supported_etypes)
			return;
		m->supported_etypes = hs_cur_u32le(&v);
		m->has_supported_etypes = hs_cur_ok(&v);
		break;
	case HS_KRB_PA_REQ_ENC_PA_REP:
		/* RFC 6806 s11: empty in the request; in the reply the checksum
		 * lives in the encrypted part, so nothing to read here. */
		m->req_enc_pa_rep = true;
		return;
	default:
		return; /* listed by number only */
	}
	if (hs_cur_ok(&v) && v.len)
		hs_cur_fail(&v, HS_E_TRAILING);
	if (!hs_cur_ok(&v)) {
		pd->err = v.err == HS_E_TRUNCATED ? HS_E_MALFORMED : v.err;
		value_error(m, pd->err);
	}
}

/* SEQUENCE OF PA-DATA (METHOD-DATA) when !typed; TYPED-DATA (s5.9.1:
 * SEQUENCE OF { data-type [0] Int32, data-value [1] OCTET STRING OPTIONAL })
 * when typed.  c is positioned on the SEQUENCE. */
static void padata_seq(kd *d, hs_cur *c, bool typed)
{
	hs_krb_msg *m = d->m;
	hs_cur l;
	if (!open_el(d, c, UNIV, SEQ, false, &l))
		return;
	while (hs_cur_ok(&l) && l.len) {
		hs_krb_padata pd;
		hs_cur s;
		bool got;
		memset(&pd, 0, sizeof pd);
		if (!open_el(d, &l, UNIV, SEQ, false, &s))
			break;
		if (typed) {
			got = ctx_int32(d, &s, 0, false, &pd.type);
			ctx_octets(d, &s, 1, true, &pd.value);
		} else {
			got = ctx_int32(d, &s, 1, false, &pd.type);
			ctx_octets(d, &s, 2, false, &pd.value);
		}
		bool ok = hs_der_close(&l, &s);
		if (!got)
			break;
		if (m->n_padata >= HS_KRB_MAX_PADATA) {
			m->more_padata++;
			continue;
		}
		m->padata[m->n_padata] = pd;
		if (ok && !typed)
			padata_value(d, &m->padata[m->n_padata]);
		m->n_padata++;
	}
	hs_der_close(c, &l);
}

static void ctx_padata(kd *d, hs_cur *c, uint32_t n)
{
	hs_cur b;
	if (!open_el(d, c, CTX, n, true, &b))
		return;
	padata_seq(d, &b, false);
	hs_der_close(c, &b);
}

/* ---- the PDUs ---- */

/* KDC-REQ-BODY (s5.4.1) */
static void req_body(kd *d, hs_cur *c)
{
	hs_krb_msg *m = d->m;
	hs_cur s, b, l;
	if (!open_el(d, c, UNIV, SEQ, false, &s))
		return;
	ctx_bits(d, &s, 0, false, &m->kdc_options);
	ctx_principal(d, &s, 1, true, &m->cname);
	ctx_str(d, &s, 2, false, &m->realm);
	ctx_principal(d, &s, 3, true, &m->sname);
	m->has_from = ctx_time(d, &s, 4, true, &m->from);
	/* till is mandatory in RFC 4120 but OPTIONAL in Heimdal's module and
	 * in what Wireshark accepts; do not fail a request for it. */
	ctx_time(d, &s, 5, true, &m->till);
	m->has_rtime = ctx_time(d, &s, 6, true, &m->rtime);
	m->has_nonce = ctx_uint32(d, &s, 7, false, &m->nonce);
	if (open_el(d, &s, CTX, 8, false, &b)) {
		if (open_el(d, &b, UNIV, SEQ, false, &l)) {
			while (hs_cur_ok(&l) && l.len) {
				int64_t x = 0;
				if (!hs_der_int64(&l, &x))
					break;
				if (x < INT32_MIN || x > INT32_MAX) {
					hs_cur_fail(&l, HS_E_LIMIT);
					break;
				}
				if (m->n_etypes < HS_KRB_MAX_ETYPES)
					m->etypes[m->n_etypes++] = (int32_t)x;
				else
					m->more_etypes++;
			}
			hs_der_close(&b, &l);
		}
		hs_der_close(&s, &b);
	}
	if (open_el(d, &s, CTX, 9, true, &b)) {
		if (open_el(d, &b, UNIV, SEQ, false, &l)) {
			while (hs_cur_ok(&l) && l.len) {
				hs_krb_addr a = { 0, { NULL, 0 } };
				hs_cur as;
				if (!open_el(d, &l, UNIV, SEQ, false, &as))
					break;
				ctx_int32(d, &as, 0, false, &a.type);
				ctx_octets(d, &as, 1, false, &a.addr);
				if (!hs_der_close(&l, &as))
					break;
				if (m->n_addrs < HS_KRB_MAX_ADDRS)
					m->addrs[m->n_addrs++] = a;
				else
					m->more_addrs++;
			}
			hs_der_close(&b, &l);
		}
		hs_der_close(&s, &b);
	}
	ctx_enc(d, &s, 10, true, &m->enc_authorization_data);
	ctx_tickets(d, &s, 11, true);
	hs_der_close(c, &s);
}

/* KDC-REQ ::= SEQUENCE { pvno [1], msg-type [2], padata [3] OPTIONAL,
 * req-body [4] } (s5.4.1) */
static void kdc_req(kd *d, hs_cur *c)
{
	hs_krb_msg *m = d->m;
	hs_cur s, b;
	if (!open_el(d, c, UNIV, SEQ, false, &s))
		return;
	ctx_int32(d, &s, 1, false, &m->pvno);
	ctx_msgtype(d, &s, 2, m->msg_type);
	ctx_padata(d, &s, 3);
	if (open_el(d, &s, CTX, 4, false, &b)) {
		req_body(d, &b);
		hs_der_close(&s, &b);
	}
	hs_der_close(c, &s);
}

/* KDC-REP ::= SEQUENCE { pvno [0], msg-type [1], padata [2] OPTIONAL,
 * crealm [3], cname [4], ticket [5], enc-part [6] } (s5.4.2) */
static void kdc_rep(kd *d, hs_cur *c)
{
	hs_krb_msg *m = d->m;
	hs_cur s;
	if (!open_el(d, c, UNIV, SEQ, false, &s))
		return;
	ctx_int32(d, &s, 0, false, &m->pvno);
	ctx_msgtype(d, &s, 1, m->msg_type);
	ctx_padata(d, &s, 2);
	ctx_str(d, &s, 3, false, &m->crealm);
	ctx_principal(d, &s, 4, false, &m->cname);
	ctx_ticket(d, &s, 5, &m->ticket);
	ctx_enc(d, &s, 6, false, &m->enc_part);
	hs_der_close(c, &s);
}

/* KRB-ERROR e-data (s5.9.1, MS-KILE 2.2.2).  The shapes are told apart by
 * their first tags, not by error code (Windows and MIT disagree on which
 * code gets which shape):
 *   METHOD-DATA      SEQUENCE { SEQUENCE { [1] type, [2] value }, ... }
 *   TYPED-DATA       SEQUENCE { SEQUENCE { [0] type, [1] value }, ... }
 *   KERB-ERROR-DATA  SEQUENCE { [1] data-type, [2] data-value OPTIONAL } */
static void e_data(kd *parent, hs_slice v)
{
	hs_krb_msg *m = parent->m;
	kd d = { m, v.p + v.len, false, true };
	hs_cur c = hs_cur_make(v.p, v.len), s;
	tlv t, u;
	m->edata_kind = HS_KRB_EDATA_RAW;
	if (tlv_hdr(c.p, c.len, &t) != HS_OK || t.cls != UNIV || t.tag != SEQ || !t.cons)
		return;
	if (t.hlen + t.blen > c.len)
		goto bad;
	if (t.blen == 0) {
		m->edata_kind = HS_KRB_EDATA_METHOD_DATA;
		hs_cur_skip(&c, c.len);
		goto done;
	}
	if (tlv_hdr(c.p + t.hlen, c.len - t.hlen, &u) != HS_OK)
		goto bad;
	if (u.cls == CTX && u.tag == 1) {
		m->edata_kind = HS_KRB_EDATA_ERROR_DATA;
		if (open_el(&d, &c, UNIV, SEQ, false, &s)) {
			ctx_int32(&d, &s, 1, false, &m->edata_type);
			ctx_octets(&d, &s, 2, true, &m->edata_value);
			hs_der_close(&c, &s);
		}
		/* data-type 3 = KERB_ERR_TYPE_EXTENDED: value is KERB-EXT-ERROR */
		if (hs_cur_ok(&c) && m->edata_type == 3 && !ext_error(m, m->edata_value, false))
			hs_cur_fail(&c, HS_E_MALFORMED);
	} else if (u.cls == UNIV && u.tag == SEQ && u.cons) {
		tlv w;
		size_t off = t.hlen + u.hlen;
		if (off < c.len && tlv_hdr(c.p + off, c.len - off, &w) == HS_OK && w.cls == CTX && w.tag == 0) {
			m->edata_kind = HS_KRB_EDATA_TYPED_DATA;
			padata_seq(&d, &c, true);
		} else {
			m->edata_kind = HS_KRB_EDATA_METHOD_DATA;
			padata_seq(&d, &c, false);
		}
	} else {
		return;
	}
done:
	if (hs_cur_ok(&c) && c.len)
		hs_cur_fail(&c, HS_E_TRAILING);
	if (hs_cur_ok(&c))
		return;
bad:
	value_error(m, hs_cur_ok(&c) ? HS_E_MALFORMED : c.err);
}

/* KRB-ERROR ::= [APPLICATION 30] SEQUENCE (s5.9.1) */
static void krb_error(kd *d, hs_cur *c)
{
	hs_krb_msg *m = d->m;
	hs_cur s;
	if (!open_el(d, c, UNIV, SEQ, false, &s))
		return;
	ctx_int32(d, &s, 0, false, &m->pvno);
	ctx_msgtype(d, &s, 1, m->msg_type);
	m->has_ctime = ctx_time(d, &s, 2, true, &m->ctime);
	m->has_cusec = ctx_int32(d, &s, 3, true, &m->cusec);
	ctx_time(d, &s, 4, false, &m->stime);
	ctx_int32(d, &s, 5, false, &m->susec);
	m->has_error_code = ctx_int32(d, &s, 6, false, &m->error_code);
	ctx_str(d, &s, 7, true, &m->crealm);
	ctx_principal(d, &s, 8, true, &m->cname);
	ctx_str(d, &s, 9, false, &m->realm);
	/* sname is mandatory in s5.9.1, yet MIT and Heimdal omit it in some
	 * errors (zeek's krb_optional-service-name.pcap); accept its absence. */
	ctx_principal(d, &s, 10, true, &m->sname);
	m->has_e_text = ctx_str(d, &s, 11, true, &m->e_text);
	m->has_e_data = ctx_octets(d, &s, 12, true, &m->e_data);
	hs_der_close(c, &s);
	if (m->has_e_data)
		e_data(d, m->e_data);
}

static void ap_rep(kd *d, hs_cur *c)
{
	hs_krb_msg *m = d->m;
	hs_cur s;
	if (!open_el(d, c, UNIV, SEQ, false, &s))
		return;
	ctx_int32(d, &s, 0, false, &m->pvno);
	ctx_msgtype(d, &s, 1, m->msg_type);
	ctx_enc(d, &s, 2, false, &m->enc_part);
	hs_der_close(c, &s);
}

/* KRB-SAFE (s5.6.1): safe-body [2] KRB-SAFE-BODY ::= SEQUENCE { user-data
 * [0], timestamp [1] OPT, usec [2] OPT, seq-number [3] OPT, s-address [4],
 * r-address [5] OPT }, cksum [3] */
static void krb_safe(kd *d, hs_cur *c)
{
	hs_krb_msg *m = d->m;
	hs_cur s, b, sb;
	hs_slice ts;
	int32_t usec = 0;
	if (!open_el(d, c, UNIV, SEQ, false, &s))
		return;
	ctx_int32(d, &s, 0, false, &m->pvno);
	ctx_msgtype(d, &s, 1, m->msg_type);
	if (open_el(d, &s, CTX, 2, false, &b)) {
		if (open_el(d, &b, UNIV, SEQ, false, &sb)) {
			hs_cur a;
			ctx_octets(d, &sb, 0, false, &m->safe_user_data);
			ctx_time(d, &sb, 1, true, &ts);
			ctx_int32(d, &sb, 2, true, &usec);
			m->has_safe_seq = ctx_uint32(d, &sb, 3, true, &m->safe_seq);
			for (uint32_t n = 4; n <= 5; n++) {
				if (open_el(d, &sb, CTX, n, n == 5, &a)) {
					hs_cur as;
					if (open_el(d, &a, UNIV, SEQ, false, &as)) {
						hs_krb_addr ad = { 0, { NULL, 0 } };
						ctx_int32(d, &as, 0, false, &ad.type);
						ctx_octets(d, &as, 1, false, &ad.addr);
						if (hs_der_close(&a, &as) && m->n_addrs < HS_KRB_MAX_ADDRS)
							m->addrs[m->n_addrs++] = ad;
					}
					hs_der_close(&sb, &a);
				}
			}
			hs_der_close(&b, &sb);
		}
		hs_der_close(&s, &b);
	}
	ctx_cksum(d, &s, 3, false, &m->cksum);
	hs_der_close(c, &s);
}

/* KRB-PRIV (s5.7.1): pvno [0], msg-type [1], enc-part [3] */
static void krb_priv(kd *d, hs_cur *c)
{
	hs_krb_msg *m = d->m;
	hs_cur s;
	if (!open_el(d, c, UNIV, SEQ, false, &s))
		return;
	ctx_int32(d, &s, 0, false, &m->pvno);
	ctx_msgtype(d, &s, 1, m->msg_type);
	ctx_enc(d, &s, 3, false, &m->enc_part);
	hs_der_close(c, &s);
}

/* KRB-CRED (s5.8.1): pvno [0], msg-type [1], tickets [2], enc-part [3] */
static void krb_cred(kd *d, hs_cur *c)
{
	hs_krb_msg *m = d->m;
	hs_cur s;
	if (!open_el(d, c, UNIV, SEQ, false, &s))
		return;
	ctx_int32(d, &s, 0, false, &m->pvno);
	ctx_msgtype(d, &s, 1, m->msg_type);
	ctx_tickets(d, &s, 2, false);
	ctx_enc(d, &s, 3, false, &m->enc_part);
	hs_der_close(c, &s);
}

static bool known_pdu(unsigned tag)
{
	return (tag >= 10 && tag <= 15) || (tag >= 20 && tag <= 22) || tag == 30;
}

/* Decode one PDU into the already-cleared *m. */
static hs_err decode_pdu(const uint8_t *p, size_t len, hs_krb_msg *m)
{
	tlv t;
	hs_err r, e;
	if (len == 0)
		return HS_E_TRUNCATED;
	if ((p[0] & 0xe0) != 0x60 || !known_pdu(p[0] & 0x1f))
		return HS_E_UNKNOWN;
	m->kind = HS_KRB_KIND_PDU;
	m->msg_type = p[0] & 0x1f;
	r = tlv_hdr(p, len, &t);
	if (r != HS_OK)
		return r;

	size_t avail = len - t.hlen;
	kd d = { m, p + len, t.blen > avail, false };
	hs_cur c = hs_cur_make(p + t.hlen, d.prefix ? avail : t.blen);
	hs_krb_ap_req *ap = &m->ap_req;
	switch (m->msg_type) {
	case HS_KRB_AS_REQ:
	case HS_KRB_TGS_REQ:
		kdc_req(&d, &c);
		break;
	case HS_KRB_AS_REP:
	case HS_KRB_TGS_REP:
		kdc_rep(&d, &c);
		break;
	case HS_KRB_AP_REQ:
		ap_req_body(&d, &c, ap, &m->pvno);
		break;
	case HS_KRB_AP_REP:
		ap_rep(&d, &c);
		break;
	case HS_KRB_SAFE:
		krb_safe(&d, &c);
		break;
	case HS_KRB_PRIV:
		krb_priv(&d, &c);
		break;
	case HS_KRB_CRED:
		krb_cred(&d, &c);
		break;
	case HS_KRB_ERROR:
		krb_error(&d, &c);
		break;
	}
	e = c.err;
	if (e == HS_OK && c.len)
		e = HS_E_TRAILING;
	if (d.prefix) {
		if (e == HS_OK || e == HS_E_TRUNCATED)
			return m->value_err != HS_OK ? m->value_err : HS_E_TRUNCATED;
		return e;
	}
	if (e == HS_E_TRUNCATED)
		e = HS_E_MALFORMED; /* an inner element ran past a complete outer one */
	if (e == HS_OK)
		e = m->value_err;
	if (e == HS_OK && t.hlen + t.blen < len)
		e = HS_E_TRAILING;
	return e;
}

hs_err hs_krb_decode(const uint8_t *p, size_t len, hs_krb_msg *m)
{
	memset(m, 0, sizeof *m);
	m->err = decode_pdu(p, len, m);
	return m->err;
}

/* ---- GSS-API (RFC 2743 s3.1, RFC 4121) ---- */

/* Kerberos user-to-user (draft-swift-win2k-krb-user2user, MS-KILE 3.4.5.x;
 * mech OID 1.2.840.113554.1.2.2.3): the client's TOK_ID 04 00
 *   KERB-TGT-REQUEST ::= SEQUENCE { pvno [0] INTEGER, msg-type [1] INTEGER (16),
 *       server-name [2] PrincipalName OPTIONAL, realm [3] Realm OPTIONAL }
 * and the server's TOK_ID 04 01
 *   KERB-TGT-REPLY ::= SEQUENCE { pvno [0] INTEGER, msg-type [1] INTEGER (17),
 *       ticket [2] Ticket }
 * (the server's TGT, which the client sends back to the KDC in a TGS-REQ
 * with enc-tkt-in-skey).  Windows' SPNEGO offers it when the target is a
 * user account; NTLM usually follows. */
static hs_err decode_tgt(const uint8_t *p, size_t len, bool prefix, bool reply, hs_krb_msg *m)
{
	kd d = { m, p + len, prefix, false };
	hs_cur c = hs_cur_make(p, len), s;
	m->kind = HS_KRB_KIND_PDU;
	m->msg_type = reply ? HS_KRB_TGT_REP : HS_KRB_TGT_REQ;
	if (open_el(&d, &c, UNIV, SEQ, false, &s)) {
		ctx_int32(&d, &s, 0, false, &m->pvno);
		ctx_msgtype(&d, &s, 1, m->msg_type);
		if (reply) {
			ctx_ticket(&d, &s, 2, &m->ticket);
		} else {
			ctx_principal(&d, &s, 2, true, &m->sname);
			ctx_str(&d, &s, 3, true, &m->realm);
		}
		hs_der_close(&c, &s);
	}
	hs_err e = c.err;
	if (prefix)
		return e == HS_OK || e == HS_E_TRUNCATED ? (m->value_err != HS_OK ? m->value_err : HS_E_TRUNCATED) : e;
	if (e == HS_E_TRUNCATED)
		e = HS_E_MALFORMED;
	if (e == HS_OK)
		e = m->value_err;
	if (e == HS_OK && c.len)
		e = HS_E_TRAILING;
	return e;
}

static const char *const krb5_mechs[] = {
	"1.2.840.113554.1.2.2", /* RFC 1964 / 4121 */
	"1.2.840.48018.1.2.2",  /* Microsoft's mistaken encoding, still sent by Windows */
	"1.2.840.113554.1.2.2.3", /* user-to-user (TOK_ID 04 00 / 04 01, then AP-REQ ...) */
	"1.3.5.1.5.2",          /* pre-RFC krb5 OID */
	"1.3.6.1.5.2.5",        /* IAKERB (RFC draft-ietf-kitten-iakerb) */
};

static hs_err gss_decode(const uint8_t *p, size_t len, hs_krb_msg *m)
{
	tlv t;
	hs_err r;
	if (len == 0)
		return HS_E_TRUNCATED;
	/* RFC 4121 s4.2.6: per-message tokens have no framing: TOK_ID, flags,
	 * filler, then 12 more header bytes. */
	if ((p[0] == 0x04 || p[0] == 0x05) && (len < 2 || p[1] == 0x04)) {
		if (len < 16)
			return HS_E_TRUNCATED;
		m->gss = true;
		m->gss_tok_id = (uint16_t)(p[0] << 8 | p[1]);
		m->gss_flags = p[2];
		if (p[0] == 0x04) {
			m->kind = HS_KRB_KIND_GSS_MIC;
			for (int i = 3; i < 8; i++)
				if (p[i] != 0xff)
					return HS_E_MALFORMED;
		} else {
			m->kind = HS_KRB_KIND_GSS_WRAP;
			if (p[3] != 0xff)
				return HS_E_MALFORMED;
		}
		return HS_OK;
	}
	if (p[0] != 0x60) {
		/* a bare PDU: Windows' SPNEGO responseToken AP-REP / KRB-ERROR */
		r = decode_pdu(p, len, m);
		m->gss = m->kind != HS_KRB_KIND_NONE;
		return r;
	}
	r = tlv_hdr(p, len, &t);
	if (r != HS_OK)
		return r;
	bool prefix = t.blen > len - t.hlen;
	hs_cur c = hs_cur_make(p + t.hlen, prefix ? len - t.hlen : t.blen);
	hs_slice oid = { NULL, 0 };
	if (!hs_der_oid(&c, &oid))
		return prefix && c.err == HS_E_TRUNCATED ? HS_E_TRUNCATED : HS_E_MALFORMED;
	bool krb = false;
	for (size_t i = 0; i < sizeof krb5_mechs / sizeof krb5_mechs[0]; i++)
		krb = krb || hs_der_oid_is(oid, krb5_mechs[i]);
	if (!krb)
		return HS_E_UNKNOWN; /* e.g. SPNEGO's own InitialContextToken */
	m->gss = true;
	m->gss_oid = oid;
	m->gss_tok_id = hs_cur_u16be(&c);
	if (!hs_cur_ok(&c))
		return prefix ? HS_E_TRUNCATED : HS_E_MALFORMED;
	switch (m->gss_tok_id) {
	case 0x0100: /* KRB_AP_REQ */
	case 0x0200: /* KRB_AP_REP */
	case 0x0300: /* KRB_ERROR */
		break;
	case 0x0400: /* KERB_TGT_REQUEST (user-to-user) */
	case 0x0401: /* KERB_TGT_REPLY */
		r = decode_tgt(c.p, c.len, prefix, m->gss_tok_id == 0x0401, m);
		if (r == HS_OK && t.hlen + t.blen < len)
			r = HS_E_TRAILING;
		return r;
	default:
		/* RFC 1964 MIC/wrap (01 01, 02 01), IAKERB (05 01) ... */
		m->kind = HS_KRB_KIND_GSS_OTHER;
		return prefix ? HS_E_TRUNCATED : HS_OK;
	}
	r = decode_pdu(c.p, c.len, m);
	if (m->kind == HS_KRB_KIND_NONE)
		m->kind = HS_KRB_KIND_GSS_OTHER;
	if (prefix)
		return r == HS_OK ? HS_E_TRUNCATED : r;
	if (r == HS_E_TRUNCATED)
		return HS_E_MALFORMED;
	if (r == HS_OK) {
		static const int32_t want[] = { 0, HS_KRB_AP_REQ, HS_KRB_AP_REP, HS_KRB_ERROR };
		if (m->msg_type != want[m->gss_tok_id >> 8])
			r = HS_E_MALFORMED; /* TOK_ID and PDU disagree */
	}
	if (r == HS_OK && t.hlen + t.blen < len)
		r = HS_E_TRAILING;
	return r;
}

hs_err hs_krb_gss_decode(const uint8_t *p, size_t len, hs_krb_msg *m)
{
	memset(m, 0, sizeof *m);
	m->err = gss_decode(p, len, m);
	return m->err;
}

/* ---- TCP record marking (RFC 4120 s7.2.2) ---- */

hs_parse_result hs_krb_tcp_record(const uint8_t *p, size_t len, hs_slice *pdu)
{
	uint32_t n;
	if (len < 4)
		return hs_parse_incomplete(4);
	n = (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
	/* The high bit is reserved for extensions; a KDC that does not know
	 * them answers KRB_ERR_FIELD_TOOLONG and closes (s7.2.2). */
	if (n & 0x80000000u)
		return hs_parse_error(HS_E_UNSUPPORTED);
	if (n > HS_KRB_TCP_MAX)
		return hs_parse_error(HS_E_LIMIT);
	if (len - 4 < n)
		return hs_parse_incomplete(4 + (size_t)n);
	pdu->p = p + 4;
	pdu->len = n;
	return hs_parse_ok(4 + (size_t)n);
}

/* Could p be the start of a record: a sane length followed by a Kerberos
 * APPLICATION element whose DER length fills the record exactly? */
bool hs_krb_tcp_record_start(const uint8_t *p, size_t len)
{
	tlv t;
	if (len < 6)
		return false;
	uint32_t n = (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
	if (n < 2 || n > HS_KRB_TCP_MAX || (p[4] & 0xe0) != 0x60 || !known_pdu(p[4] & 0x1f))
		return false;
	return tlv_hdr(p + 4, len - 4, &t) == HS_OK && t.hlen + t.blen == n;
}
