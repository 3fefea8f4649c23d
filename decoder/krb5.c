/* krb5.c - Kerberos V5 PDUs (RFC 4120 s5), their PA-DATA (MS-KILE, MS-SFU,
 * RFC 6113), GSS-API krb5 tokens (RFC 4121 s4.1) and the port-88 parser
 * (RFC 4120 s7.2).  See krb5.h for the contract.
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
#include "krb5_dec.h"

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

/* ---- describe ---- */

static void w_name(hs_out *o, const char *key, const char *type_key, const hs_krb_name *n)
{
	GString *g;
	if (!n->present)
		return;
	g = g_string_new(NULL);
	for (unsigned i = 0; i < n->n; i++) {
		if (i)
			g_string_append_c(g, '/');
		g_string_append_len(g, (const char *)n->comp[i].p, (gssize)n->comp[i].len);
	}
	if (n->more)
		g_string_append(g, "/...");
	hs_out_str(o, key, g->str, g->len);
	g_string_free(g, TRUE);
	if (type_key)
		hs_out_int(o, type_key, n->type);
}

static void w_hex(hs_out *o, const char *key, hs_slice s)
{
	GString *g = g_string_sized_new(s.len * 2 + 1);
	for (size_t i = 0; i < s.len; i++)
		g_string_append_printf(g, "%02x", s.p[i]);
	hs_out_str(o, key, g->str, g->len);
	g_string_free(g, TRUE);
}

static void w_time(hs_out *o, const char *key, hs_slice t)
{
	if (t.len)
		hs_out_slice(o, key, t);
}

/* EncryptedData: etype/kvno/size; the cipher text only with secrets. */
static void w_enc(hs_out *o, const char *key, const hs_krb_enc *e, unsigned flags)
{
	if (!e->present)
		return;
	hs_out_begin(o, key);
	hs_out_int(o, "etype", e->etype);
	if (e->has_kvno)
		hs_out_uint(o, "kvno", e->kvno);
	hs_out_uint(o, "size", e->cipher.len);
	if (flags & HS_DESCRIBE_SECRETS)
		w_hex(o, "cipher", e->cipher);
	hs_out_end(o);
}

static void w_cksum(hs_out *o, const char *key, const hs_krb_cksum *k, unsigned flags)
{
	if (!k->present)
		return;
	hs_out_begin(o, key);
	hs_out_int(o, "type", k->type);
	hs_out_uint(o, "size", k->value.len);
	if (flags & HS_DESCRIBE_SECRETS)
		w_hex(o, "value", k->value);
	hs_out_end(o);
}

static void w_ticket(hs_out *o, const char *key, const hs_krb_ticket *t, unsigned flags)
{
	if (!t->present)
		return;
	hs_out_begin(o, key);
	hs_out_slice(o, "realm", t->realm);
	w_name(o, "sname", "sname_type", &t->sname);
	if (t->enc.present) {
		hs_out_int(o, "etype", t->enc.etype);
		if (t->enc.has_kvno)
			hs_out_uint(o, "kvno", t->enc.kvno);
	}
	w_enc(o, "enc_part", &t->enc, flags);
	hs_out_end(o);
}

/* A 32-bit flag word as a list of names.  names[i] is bit i (bit 0 = MSB,
 * the Kerberos convention); NULL entries print as "bitN". */
static void w_flags(hs_out *o, const char *key, uint32_t v, const char *const *names, unsigned n)
{
	hs_out_begin_list(o, key);
	for (unsigned i = 0; i < 32; i++) {
		if (!(v & (0x80000000u >> i)))
			continue;
		if (i < n && names[i])
			hs_out_cstr(o, NULL, names[i]);
		else
			hs_out_fmt(o, NULL, "bit%u", i);
	}
	hs_out_end_list(o);
}

/* APOptions (RFC 4120 s5.5.1) */
static const char *const ap_option_names[] = { "reserved", "use-session-key", "mutual-required" };

static void w_ap_req(hs_out *o, const char *key, const hs_krb_ap_req *ap, unsigned flags)
{
	if (key)
		hs_out_begin(o, key);
	if (key) {
		hs_out_int(o, "msg_type", HS_KRB_AP_REQ);
		hs_out_cstr(o, "msg", "AP-REQ");
	}
	w_flags(o, "ap_options", ap->ap_options, ap_option_names, 3);
	hs_out_hex32(o, "ap_options_raw", ap->ap_options);
	w_ticket(o, "ticket", &ap->ticket, flags);
	w_enc(o, "authenticator", &ap->authenticator, flags);
	if (key)
		hs_out_end(o);
}

/* MS-KILE 2.2.10 PA-PAC-OPTIONS flags */
static const char *const pac_option_names[] = {
	"claims", "branch-aware", "forward-to-full-dc", "resource-based-constrained-delegation",
};

/* MS-SFU 2.2.2 S4UUserID options */
static const char *const s4u_option_names[] = {
	"reserved", "check-logon-hour-restrictions", "signed-with-kun-27",
	"nt-auth-policy-not-required", "unconditional-delegation",
};

/* MS-KILE 2.2.7 supported encryption types, least significant bit first. */
static void w_supported_etypes(hs_out *o, uint32_t v)
{
	static const struct { uint32_t bit; const char *name; } b[] = {
		{ 0x1, "des-cbc-crc" }, { 0x2, "des-cbc-md5" }, { 0x4, "rc4-hmac" },
		{ 0x8, "aes128-cts-hmac-sha1-96" }, { 0x10, "aes256-cts-hmac-sha1-96" },
		{ 0x20, "aes256-cts-hmac-sha1-96-sk" }, { 0x10000, "fast-supported" },
		{ 0x20000, "compound-identity-supported" }, { 0x40000, "claims-supported" },
		{ 0x80000, "resource-sid-compression-disabled" },
	};
	hs_out_hex32(o, "supported_etypes_raw", v);
	hs_out_begin_list(o, "supported_etypes");
	for (size_t i = 0; i < sizeof b / sizeof b[0]; i++)
		if (v & b[i].bit)
			hs_out_cstr(o, NULL, b[i].name);
	hs_out_end_list(o);
}

static void w_padata(hs_out *o, const hs_krb_msg *m, unsigned flags)
{
	bool errs = false;
	if (!m->n_padata && !m->more_padata)
		return;
	hs_out_begin_list(o, "padata");
	for (unsigned i = 0; i < m->n_padata; i++)
		hs_out_int(o, NULL, m->padata[i].type);
	hs_out_end_list(o);
	hs_out_begin_list(o, "padata_names");
	for (unsigned i = 0; i < m->n_padata; i++) {
		const char *n = hs_krb_padata_name(m->padata[i].type);
		if (n)
			hs_out_cstr(o, NULL, n);
		else
			hs_out_fmt(o, NULL, "%d", m->padata[i].type);
		errs = errs || m->padata[i].err != HS_OK;
	}
	hs_out_end_list(o);
	if (m->more_padata)
		hs_out_uint(o, "padata_more", m->more_padata);
	if (errs) {
		hs_out_begin_list(o, "padata_errors");
		for (unsigned i = 0; i < m->n_padata; i++) {
			if (m->padata[i].err == HS_OK)
				continue;
			hs_out_begin(o, NULL);
			hs_out_int(o, "type", m->padata[i].type);
			hs_out_cstr(o, "error", hs_err_name(m->padata[i].err));
			hs_out_end(o);
		}
		hs_out_end_list(o);
	}

	if (m->tgs_ap_req.present)
		w_ap_req(o, "ap_req", &m->tgs_ap_req, flags);
	w_enc(o, "enc_timestamp", &m->enc_timestamp, flags);
	w_enc(o, "enc_challenge", &m->enc_challenge, flags);
	if (m->n_etype_info) {
		hs_out_begin_list(o, m->etype_info2 ? "etype_info2" : "etype_info");
		for (unsigned i = 0; i < m->n_etype_info; i++) {
			const hs_krb_etype_info *e = &m->etype_info[i];
			hs_out_begin(o, NULL);
			hs_out_int(o, "etype", e->etype);
			hs_out_bool(o, "salt", e->has_salt);
			if (e->has_salt && (flags & HS_DESCRIBE_SECRETS))
				hs_out_slice(o, "salt_value", e->salt);
			if (e->has_s2kparams)
				w_hex(o, "s2kparams", e->s2kparams);
			hs_out_end(o);
		}
		hs_out_end_list(o);
	}
	if (m->has_pac_request)
		hs_out_bool(o, "include_pac", m->include_pac);
	/* The contract's "s4u": who the service asks a ticket for (S4U2Self). */
	if (m->for_user.present || m->s4u_x509.present) {
		hs_out_begin(o, "s4u");
		if (m->for_user.present) {
			w_name(o, "user", "name_type", &m->for_user.user);
			hs_out_slice(o, "realm", m->for_user.realm);
			hs_out_slice(o, "auth_package", m->for_user.auth_package);
			hs_out_cstr(o, "source", "PA-FOR-USER");
		} else {
			w_name(o, "user", "name_type", &m->s4u_x509.cname);
			hs_out_slice(o, "realm", m->s4u_x509.crealm);
			hs_out_cstr(o, "source", "PA-S4U-X509-USER");
		}
		hs_out_end(o);
	}
	if (m->s4u_x509.present) {
		hs_out_begin(o, "s4u_x509");
		w_name(o, "user", "name_type", &m->s4u_x509.cname);
		hs_out_slice(o, "realm", m->s4u_x509.crealm);
		hs_out_uint(o, "nonce", m->s4u_x509.nonce);
		hs_out_bool(o, "certificate", m->s4u_x509.has_cert);
		if (m->s4u_x509.has_options) {
			w_flags(o, "options", m->s4u_x509.options, s4u_option_names, 5);
			hs_out_hex32(o, "options_raw", m->s4u_x509.options);
		}
		hs_out_end(o);
	}
	if (m->has_pac_options) {
		w_flags(o, "pac_options", m->pac_options, pac_option_names, 4);
		hs_out_hex32(o, "pac_options_raw", m->pac_options);
	}
	if (m->fast.present) {
		hs_out_bool(o, "fast_armored", true);
		hs_out_begin(o, "fast");
		hs_out_bool(o, "reply", m->fast.reply);
		if (m->fast.has_armor) {
			hs_out_int(o, "armor_type", m->fast.armor_type);
			if (m->fast.armor_ap_req.present)
				w_ap_req(o, "armor", &m->fast.armor_ap_req, flags);
		}
		w_cksum(o, "req_checksum", &m->fast.req_cksum, flags);
		w_enc(o, "enc", &m->fast.enc, flags);
		hs_out_end(o);
	}
	if (m->has_supported_etypes)
		w_supported_etypes(o, m->supported_etypes);
	if (m->req_enc_pa_rep)
		hs_out_bool(o, "req_enc_pa_rep", true);
}

static void w_req_body(hs_out *o, const hs_krb_msg *m, unsigned flags)
{
	hs_out_begin_list(o, "kdc_options");
	for (unsigned i = 0; i < 32; i++)
		if (m->kdc_options & (0x80000000u >> i))
			hs_out_cstr(o, NULL, hs_krb_kdc_option_name(i));
	hs_out_end_list(o);
	hs_out_hex32(o, "kdc_options_raw", m->kdc_options);
	w_name(o, "cname", "cname_type", &m->cname);
	if (m->realm.p)
		hs_out_slice(o, "realm", m->realm);
	w_name(o, "sname", "sname_type", &m->sname);
	if (m->has_from)
		w_time(o, "from", m->from);
	w_time(o, "till", m->till);
	if (m->has_rtime)
		w_time(o, "rtime", m->rtime);
	if (m->has_nonce)
		hs_out_uint(o, "nonce", m->nonce);
	hs_out_begin_list(o, "etypes");
	for (unsigned i = 0; i < m->n_etypes; i++)
		hs_out_int(o, NULL, m->etypes[i]);
	hs_out_end_list(o);
	if (m->more_etypes)
		hs_out_uint(o, "etypes_more", m->more_etypes);
	if (m->n_addrs) {
		hs_out_begin_list(o, "addresses");
		for (unsigned i = 0; i < m->n_addrs; i++) {
			const hs_krb_addr *a = &m->addrs[i];
			hs_out_begin(o, NULL);
			hs_out_int(o, "type", a->type);
			if (a->type == 2 && a->addr.len == 4)
				hs_out_fmt(o, "addr", "%u.%u.%u.%u", a->addr.p[0], a->addr.p[1], a->addr.p[2], a->addr.p[3]);
			else if (a->type == 20) /* NetBIOS name, space padded */
				hs_out_slice(o, "addr", a->addr);
			else
				w_hex(o, "addr", a->addr);
			hs_out_end(o);
		}
		hs_out_end_list(o);
	}
	w_enc(o, "enc_authorization_data", &m->enc_authorization_data, flags);
	if (m->n_addl) {
		hs_out_begin_list(o, "additional_tickets");
		for (unsigned i = 0; i < m->n_addl; i++)
			w_ticket(o, NULL, &m->addl[i], flags);
		hs_out_end_list(o);
	}
	if (m->more_addl)
		hs_out_uint(o, "additional_tickets_more", m->more_addl);
}

static void w_error(hs_out *o, const hs_krb_msg *m, unsigned flags)
{
	const char *n = hs_krb_error_name(m->error_code);
	if (m->has_error_code) {
		hs_out_int(o, "error_code", m->error_code);
		if (n)
			hs_out_cstr(o, "error", n);
		else
			hs_out_fmt(o, "error", "%d", m->error_code);
	}
	if (m->has_ctime)
		w_time(o, "ctime", m->ctime);
	if (m->has_cusec)
		hs_out_int(o, "cusec", m->cusec);
	if (m->stime.p) {
		w_time(o, "stime", m->stime);
		hs_out_int(o, "susec", m->susec);
	}
	if (m->crealm.p)
		hs_out_slice(o, "crealm", m->crealm);
	w_name(o, "cname", "cname_type", &m->cname);
	if (m->realm.p)
		hs_out_slice(o, "realm", m->realm);
	w_name(o, "sname", "sname_type", &m->sname);
	if (m->has_e_text)
		hs_out_slice(o, "e_text", m->e_text);
	if (m->has_ntstatus) {
		const char *s = hs_ntstatus_name(m->ntstatus);
		if (s)
			hs_out_fmt(o, "ntstatus", "0x%08x %s", m->ntstatus, s);
		else
			hs_out_fmt(o, "ntstatus", "0x%08x", m->ntstatus);
	}
	if (m->has_e_data) {
		static const char *const kinds[] = {
			[HS_KRB_EDATA_NONE] = "none",
			[HS_KRB_EDATA_METHOD_DATA] = "method-data",
			[HS_KRB_EDATA_TYPED_DATA] = "typed-data",
			[HS_KRB_EDATA_ERROR_DATA] = "kerb-error-data",
			[HS_KRB_EDATA_RAW] = "raw",
		};
		hs_out_begin(o, "e_data");
		hs_out_cstr(o, "kind", kinds[m->edata_kind]);
		hs_out_uint(o, "size", m->e_data.len);
		if (m->edata_kind == HS_KRB_EDATA_ERROR_DATA) {
			hs_out_int(o, "data_type", m->edata_type);
			if (!m->has_ntstatus)
				w_hex(o, "data_value", m->edata_value);
		}
		if (m->has_ntstatus) {
			hs_out_hex32(o, "ntstatus", m->ntstatus);
			hs_out_cstr(o, "ntstatus_name", hs_ntstatus_name(m->ntstatus));
			hs_out_hex32(o, "flags", m->ext_error_flags);
		}
		if (m->edata_kind == HS_KRB_EDATA_RAW)
			w_hex(o, "raw", m->e_data);
		hs_out_end(o);
	}
	(void)flags;
}

void hs_krb_describe(const void *body, hs_out *o, unsigned flags)
{
	const hs_krb_msg *m = body;
	if (m->gss) {
		char oid[64];
		hs_out_begin(o, "gss");
		if (m->gss_oid.len && hs_der_oid_text(m->gss_oid, oid, sizeof oid))
			hs_out_cstr(o, "oid", oid);
		if (m->gss_tok_id)
			hs_out_fmt(o, "tok_id", "0x%04x", m->gss_tok_id);
		hs_out_end(o);
	}
	switch (m->kind) {
	case HS_KRB_KIND_GSS_WRAP:
	case HS_KRB_KIND_GSS_MIC:
		hs_out_cstr(o, "msg", m->kind == HS_KRB_KIND_GSS_WRAP ? "GSS-Wrap" : "GSS-MIC");
		hs_out_uint(o, "gss_flags", m->gss_flags);
		goto status;
	case HS_KRB_KIND_GSS_OTHER:
		hs_out_cstr(o, "msg", "GSS-token");
		goto status;
	case HS_KRB_KIND_NONE:
		goto status;
	case HS_KRB_KIND_PDU:
		break;
	}
	hs_out_int(o, "msg_type", m->msg_type);
	hs_out_cstr(o, "msg", hs_krb_msg_name(m->msg_type));
	if (m->pvno)
		hs_out_int(o, "pvno", m->pvno);
	switch (m->msg_type) {
	case HS_KRB_AS_REQ:
	case HS_KRB_TGS_REQ:
		w_padata(o, m, flags);
		w_req_body(o, m, flags);
		break;
	case HS_KRB_AS_REP:
	case HS_KRB_TGS_REP:
		w_padata(o, m, flags);
		if (m->crealm.p)
			hs_out_slice(o, "crealm", m->crealm);
		w_name(o, "cname", "cname_type", &m->cname);
		w_ticket(o, "ticket", &m->ticket, flags);
		w_enc(o, "enc_part", &m->enc_part, flags);
		break;
	case HS_KRB_AP_REQ:
		w_ap_req(o, NULL, &m->ap_req, flags);
		break;
	case HS_KRB_TGT_REQ:
		w_name(o, "sname", "sname_type", &m->sname);
		if (m->realm.p)
			hs_out_slice(o, "realm", m->realm);
		break;
	case HS_KRB_TGT_REP:
		w_ticket(o, "ticket", &m->ticket, flags);
		break;
	case HS_KRB_AP_REP:
	case HS_KRB_PRIV:
		w_enc(o, "enc_part", &m->enc_part, flags);
		break;
	case HS_KRB_CRED:
		hs_out_begin_list(o, "tickets");
		for (unsigned i = 0; i < m->n_addl; i++)
			w_ticket(o, NULL, &m->addl[i], flags);
		hs_out_end_list(o);
		if (m->more_addl)
			hs_out_uint(o, "tickets_more", m->more_addl);
		w_enc(o, "enc_part", &m->enc_part, flags);
		break;
	case HS_KRB_SAFE:
		hs_out_uint(o, "user_data_size", m->safe_user_data.len);
		if (flags & HS_DESCRIBE_SECRETS)
			w_hex(o, "user_data", m->safe_user_data);
		if (m->has_safe_seq)
			hs_out_uint(o, "seq_number", m->safe_seq);
		w_cksum(o, "cksum", &m->cksum, flags);
		break;
	case HS_KRB_ERROR:
		w_error(o, m, flags);
		w_padata(o, m, flags);
		break;
	}
	if (m->dec)
		hs_krb_dec_describe(m->dec, m, o, flags);
status:
	if (m->err != HS_OK)
		hs_out_cstr(o, "decode_error", hs_err_name(m->err));
}

/* ---- port 88 (RFC 4120 s7.2.1 UDP, s7.2.2 TCP) ---- */

typedef struct krb_flow {
	bool resync[2]; /* after a gap: look for the next record start */
} krb_flow;

static void emit_pdu(hs_app_ctx *ctx, const uint8_t *p, size_t len)
{
	hs_krb_msg m;
	hs_err e = hs_krb_decode(p, len, &m);
	if (e == HS_E_UNKNOWN || m.kind == HS_KRB_KIND_NONE) {
		hs_report_anomaly(ctx, HS_ANOM_MALFORMED_KERBEROS, "%zu bytes on port 88 are not a Kerberos PDU (first byte 0x%02x)",
				  len, len ? p[0] : 0);
		return;
	}
	hs_krb_dec_emit(ctx, HS_PROTO_KERBEROS, &m, &m, NULL);
	if (e != HS_OK) {
		const char *n = hs_krb_msg_name(m.msg_type);
		hs_report_anomaly(ctx, HS_ANOM_MALFORMED_KERBEROS, "%s of %zu bytes: %s%s", n ? n : "PDU", len, hs_err_name(e),
				  m.value_err != HS_OK ? " (in a PA-DATA / e-data value)" : "");
	}
}

/* Could p be the start of a record: a sane length followed by a Kerberos
 * APPLICATION element whose DER length fills the record exactly? */
static bool record_start(const uint8_t *p, size_t len)
{
	tlv t;
	if (len < 6)
		return false;
	uint32_t n = (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
	if (n < 2 || n > HS_KRB_TCP_MAX || (p[4] & 0xe0) != 0x60 || !known_pdu(p[4] & 0x1f))
		return false;
	return tlv_hdr(p + 4, len - 4, &t) == HS_OK && t.hlen + t.blen == n;
}

static hs_parse_result krb_stream(hs_app_ctx *ctx, const uint8_t *data, size_t len)
{
	krb_flow *f = ctx->state;
	hs_slice pdu = { NULL, 0 };
	hs_parse_result r;
	if (f && f->resync[ctx->dir & 1]) {
		size_t i;
		for (i = 0; i + 6 <= len; i++)
			if (record_start(data + i, len - i))
				break;
		if (i + 6 > len) {
			/* keep a possible partial header */
			if (len <= 5)
				return hs_parse_incomplete(0);
			return hs_parse_ok(len - 5);
		}
		f->resync[ctx->dir & 1] = false;
		if (i)
			return hs_parse_ok(i);
	}
	r = hs_krb_tcp_record(data, len, &pdu);
	/* HS_PARSE_ERROR (reserved bit, over the cap): the engine reports
	 * "malformed_kerberos", drops the direction's bytes and calls gap(). */
	if (r.status == HS_PARSE_OK)
		emit_pdu(ctx, pdu.p, pdu.len);
	return r;
}

static void krb_gap(hs_app_ctx *ctx)
{
	krb_flow *f = ctx->state;
	if (f)
		f->resync[ctx->dir & 1] = true;
}

static void krb_datagram(hs_app_ctx *ctx, const uint8_t *data, size_t len)
{
	emit_pdu(ctx, data, len);
}

const hs_app hs_krb5_app = {
	.name = "kerberos",
	.state_size = sizeof(krb_flow),
	.stream = krb_stream,
	.gap = krb_gap,
	.datagram = krb_datagram,
	.close = NULL,
	.malformed = HS_ANOM_MALFORMED_KERBEROS,
};

/* Kerberos over TCP and UDP 88 (RFC 4120 7.2.1-2). */
static const hs_port_def krb5_ports[] = {
	{ 6, 88, &hs_krb5_app, HS_CAR_KERBEROS },
	{ 17, 88, &hs_krb5_app, HS_CAR_KERBEROS },
	{ 0 }
};

const hs_proto_def hs_krb5_proto = { .id = HS_PROTO_KERBEROS, .describe = hs_krb_describe, .ports = krb5_ports };
