/* spnego.c - SPNEGO NegotiationToken (RFC 4178 4.2, MS-SPNG 2.2).  See
 * spnego.h for the contract.
 *
 *   InitialContextToken ::= [APPLICATION 0] IMPLICIT SEQUENCE {
 *       thisMech OID (1.3.6.1.5.5.2), innerContextToken NegotiationToken }  -- RFC 2743 3.1
 *   NegotiationToken ::= CHOICE { negTokenInit [0] NegTokenInit, negTokenResp [1] NegTokenResp }
 *   NegTokenInit  ::= SEQUENCE { mechTypes [0] MechTypeList, reqFlags [1] ContextFlags OPTIONAL,
 *                                mechToken [2] OCTET STRING OPTIONAL, mechListMIC [3] OCTET STRING OPTIONAL }
 *   NegTokenInit2 ::= SEQUENCE { mechTypes [0], reqFlags [1], mechToken [2],
 *                                negHints [3] NegHints OPTIONAL, mechListMIC [4] OCTET STRING OPTIONAL }
 *   NegHints      ::= SEQUENCE { hintName [0] GeneralString OPTIONAL, hintAddress [1] OCTET STRING OPTIONAL }
 *   NegTokenResp  ::= SEQUENCE { negState [0] ENUMERATED OPTIONAL, supportedMech [1] OID OPTIONAL,
 *                                responseToken [2] OCTET STRING OPTIONAL, mechListMIC [3] OCTET STRING OPTIONAL }
 * NegTokenInit2 travels under the same [0] choice as NegTokenInit; the two
 * differ only in what [3] holds (MS-SPNG 2.2.1), so [3] decides.
 */
#include "spnego.h"

#include <stdio.h>

#include "der.h"

static void mech_types(hs_cur *c, hs_spnego_msg *m)
{
	hs_cur seq;
	if (!hs_der_expect(c, HS_DER_UNIVERSAL, HS_DER_SEQUENCE, true, &seq))
		return;
	while (seq.len > 0 && hs_cur_ok(&seq)) {
		hs_slice oid;
		if (!hs_der_oid(&seq, &oid))
			break;
		if (m->n_mech_types < HS_SPNEGO_MAX_MECHS)
			m->mech_types[m->n_mech_types++] = oid;
		else
			m->more_mech_types++;
	}
	hs_der_close(c, &seq);
}

static void neg_hints(hs_cur *c, hs_spnego_msg *m)
{
	hs_cur seq, f;
	if (!hs_der_expect(c, HS_DER_UNIVERSAL, HS_DER_SEQUENCE, true, &seq))
		return;
	m->has_neg_hints = true;
	if (hs_der_opt_ctx(&seq, 0, &f)) {
		hs_der_string(&f, &m->hint_name);
		hs_der_close(&seq, &f);
	}
	if (hs_der_opt_ctx(&seq, 1, &f)) {
		hs_der_octets(&f, &m->hint_address);
		hs_der_close(&seq, &f);
	}
	hs_der_close(c, &seq);
}

static void neg_token_init(hs_cur *c, hs_spnego_msg *m)
{
	hs_cur seq, f;
	m->kind = HS_SPNEGO_INIT;
	if (!hs_der_expect(c, HS_DER_UNIVERSAL, HS_DER_SEQUENCE, true, &seq))
		return;
	/* mechTypes is not OPTIONAL in RFC 4178, but an empty-ish init from
	 * some servers omits it; tolerate absence, decode when present. */
	if (hs_der_opt_ctx(&seq, 0, &f)) {
		mech_types(&f, m);
		hs_der_close(&seq, &f);
	}
	if (hs_der_opt_ctx(&seq, 1, &f)) {
		if (hs_der_bits32(&f, &m->req_flags))
			m->has_req_flags = true;
		hs_der_close(&seq, &f);
	}
	if (hs_der_opt_ctx(&seq, 2, &f)) {
		if (hs_der_octets(&f, &m->mech_token))
			m->has_mech_token = true;
		hs_der_close(&seq, &f);
	}
	if (hs_der_opt_ctx(&seq, 3, &f)) {
		uint8_t cls;
		bool cons;
		uint32_t tag;
		if (hs_der_peek(&f, &cls, &cons, &tag) && cls == HS_DER_UNIVERSAL && tag == HS_DER_SEQUENCE) {
			m->kind = HS_SPNEGO_INIT2;
			neg_hints(&f, m);
		} else if (hs_der_octets(&f, &m->mech_list_mic)) {
			m->has_mech_list_mic = true;
		}
		hs_der_close(&seq, &f);
	}
	if (hs_der_opt_ctx(&seq, 4, &f)) {
		if (hs_der_octets(&f, &m->mech_list_mic))
			m->has_mech_list_mic = true;
		hs_der_close(&seq, &f);
	}
	hs_der_close(c, &seq);
}

static void neg_token_resp(hs_cur *c, hs_spnego_msg *m)
{
	hs_cur seq, f;
	m->kind = HS_SPNEGO_RESP;
	if (!hs_der_expect(c, HS_DER_UNIVERSAL, HS_DER_SEQUENCE, true, &seq))
		return;
	if (hs_der_opt_ctx(&seq, 0, &f)) {
		int64_t v;
		if (hs_der_enum(&f, &v)) {
			m->has_neg_state = true;
			m->neg_state = v < 0 || v > 255 ? -1 : (int)v;
		}
		hs_der_close(&seq, &f);
	}
	if (hs_der_opt_ctx(&seq, 1, &f)) {
		hs_der_oid(&f, &m->supported_mech);
		hs_der_close(&seq, &f);
	}
	if (hs_der_opt_ctx(&seq, 2, &f)) {
		if (hs_der_octets(&f, &m->response_token))
			m->has_response_token = true;
		hs_der_close(&seq, &f);
	}
	if (hs_der_opt_ctx(&seq, 3, &f)) {
		if (hs_der_octets(&f, &m->mech_list_mic))
			m->has_mech_list_mic = true;
		hs_der_close(&seq, &f);
	}
	hs_der_close(c, &seq);
}

/* NegotiationToken CHOICE.  Returns false (c untouched) when the next
 * element is neither [0] nor [1]. */
static bool negotiation_token(hs_cur *c, hs_spnego_msg *m)
{
	hs_cur body;
	if (hs_der_opt_ctx(c, 0, &body)) {
		neg_token_init(&body, m);
	} else if (hs_der_opt_ctx(c, 1, &body)) {
		neg_token_resp(&body, m);
	} else {
		return false;
	}
	hs_der_close(c, &body);
	return true;
}

hs_err hs_spnego_decode(const uint8_t *p, size_t len, hs_spnego_msg *m)
{
	memset(m, 0, sizeof *m);
	hs_cur c = hs_cur_make(p, len);
	uint8_t cls;
	bool cons;
	uint32_t tag;
	if (len == 0)
		return HS_E_TRUNCATED;
	if (!hs_der_peek(&c, &cls, &cons, &tag)) {
		hs_der e;
		hs_der_next(&c, &e); /* to learn why */
		return c.err != HS_OK ? c.err : HS_E_MALFORMED;
	}
	if (cls == HS_DER_APPLICATION && tag == 0 && cons) {
		hs_cur app;
		hs_slice oid;
		if (!hs_der_expect(&c, HS_DER_APPLICATION, 0, true, &app))
			return c.err;
		if (!hs_der_oid(&app, &oid))
			return app.err;
		if (!hs_der_oid_is(oid, HS_OID_SPNEGO))
			return HS_E_UNKNOWN;
		m->gss_wrapped = true;
		if (!negotiation_token(&app, m))
			hs_cur_fail(&app, app.len ? HS_E_MALFORMED : HS_E_TRUNCATED);
		hs_der_close(&c, &app);
	} else if (cls == HS_DER_CONTEXT && (tag == 0 || tag == 1) && cons) {
		negotiation_token(&c, m);
	} else {
		return HS_E_UNKNOWN;
	}
	if (hs_cur_ok(&c) && c.len != 0)
		hs_cur_fail(&c, HS_E_TRAILING);
	return c.err;
}

const char *hs_spnego_mech_name(hs_slice oid)
{
	static const struct {
		const char *oid, *name;
	} mechs[] = {
		{ HS_OID_KRB5, "kerberos" },
		{ HS_OID_MS_KRB5, "ms-kerberos" },
		{ HS_OID_KRB5_U2U, "kerberos-u2u" },
		{ HS_OID_NTLMSSP, "ntlmssp" },
		{ HS_OID_NEGOEX, "negoex" },
		{ HS_OID_IAKERB, "iakerb" },
		{ HS_OID_SPNEGO, "spnego" },
	};
	char buf[128];
	if (!hs_der_oid_text(oid, buf, sizeof buf))
		return NULL;
	for (size_t i = 0; i < sizeof mechs / sizeof mechs[0]; i++)
		if (strcmp(buf, mechs[i].oid) == 0)
			return mechs[i].name;
	return NULL;
}

const char *hs_spnego_neg_state_name(int s)
{
	switch (s) {
	case HS_SPNEGO_ACCEPT_COMPLETED: return "accept-completed";
	case HS_SPNEGO_ACCEPT_INCOMPLETE: return "accept-incomplete";
	case HS_SPNEGO_REJECT: return "reject";
	case HS_SPNEGO_REQUEST_MIC: return "request-mic";
	default: return NULL;
	}
}

static void oid_text(hs_out *o, const char *key, hs_slice oid)
{
	char buf[128];
	if (hs_der_oid_text(oid, buf, sizeof buf))
		hs_out_cstr(o, key, buf);
	else
		hs_out_cstr(o, key, "invalid");
}

void hs_spnego_describe_fields(const hs_spnego_msg *m, hs_out *o, unsigned flags)
{
	static const char *const kinds[] = { "none", "negTokenInit", "negTokenInit2", "negTokenResp" };
	hs_out_cstr(o, "token", kinds[m->kind <= HS_SPNEGO_RESP ? m->kind : 0]);
	if (m->kind == HS_SPNEGO_INIT || m->kind == HS_SPNEGO_INIT2) {
		/* Names for reading, dotted OIDs as tshark's spnego.MechType for comparing. */
		hs_out_begin_list(o, "mech_types");
		for (unsigned i = 0; i < m->n_mech_types; i++) {
			const char *n = hs_spnego_mech_name(m->mech_types[i]);
			if (n)
				hs_out_cstr(o, NULL, n);
			else
				oid_text(o, NULL, m->mech_types[i]);
		}
		hs_out_end_list(o);
		hs_out_begin_list(o, "mech_type_oids");
		for (unsigned i = 0; i < m->n_mech_types; i++)
			oid_text(o, NULL, m->mech_types[i]);
		hs_out_end_list(o);
		if (m->more_mech_types)
			hs_out_uint(o, "mech_types_more", m->more_mech_types);
		if (m->has_req_flags) {
			/* ContextFlags (RFC 4178 4.2.1), bit 0 first. */
			static const char *const fl[] = { "deleg", "mutual", "replay", "sequence", "anon", "conf", "integ" };
			hs_out_begin_list(o, "req_flags");
			for (unsigned b = 0; b < 7; b++)
				if (m->req_flags & (0x80000000u >> b))
					hs_out_cstr(o, NULL, fl[b]);
			hs_out_end_list(o);
		}
		if (m->has_neg_hints) {
			if (m->hint_name.p)
				hs_out_slice(o, "hint_name", m->hint_name);
			if (m->hint_address.p)
				hs_out_uint(o, "hint_address_len", m->hint_address.len);
		}
	}
	if (m->kind == HS_SPNEGO_RESP) {
		if (m->has_neg_state) {
			/* neg_result: the number, as tshark's spnego.negResult. */
			hs_out_int(o, "neg_result", m->neg_state);
			const char *n = hs_spnego_neg_state_name(m->neg_state);
			if (n)
				hs_out_cstr(o, "neg_state", n);
			else
				hs_out_null(o, "neg_state");
		}
		if (m->supported_mech.p) {
			oid_text(o, "supported_mech", m->supported_mech);
			const char *n = hs_spnego_mech_name(m->supported_mech);
			if (n)
				hs_out_cstr(o, "supported_mech_name", n);
		}
	}
	hs_out_bool(o, "mech_list_mic", m->has_mech_list_mic);
	if (m->has_mech_list_mic) {
		hs_out_uint(o, "mech_list_mic_len", m->mech_list_mic.len);
		if (flags & HS_DESCRIBE_SECRETS) {
			char buf[2 * 256 + 1];
			size_t n = m->mech_list_mic.len > 256 ? 256 : m->mech_list_mic.len;
			for (size_t i = 0; i < n; i++)
				snprintf(buf + 2 * i, 3, "%02x", m->mech_list_mic.p[i]);
			hs_out_str(o, "mech_list_mic_value", buf, 2 * n);
		}
	}
}
