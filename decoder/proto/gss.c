/* gss.c - recognise a GSS-API security blob and decode it with the right
 * decoder (SPNEGO, Kerberos, NTLMSSP).  See gss.h for the contract.
 *
 * Recognition looks at the first bytes only, the way Windows' Negotiate
 * package itself tells the mechanisms apart:
 *   "NTLMSSP\0"                          raw NTLMSSP (HTTP "NTLM", LDAP sicily, DCE/RPC auth_type 10)
 *   [APPLICATION 0] 0x60 + OID           RFC 2743 3.1 initial token: the OID says SPNEGO or Kerberos
 *   [0] 0xa0 / [1] 0xa1                  bare NegotiationToken (every SPNEGO leg after the first)
 *   0x6e AP-REQ, 0x6f AP-REP, 0x7e KRB-ERROR ...
 *                                        bare Kerberos PDU: DCE/RPC "DCE-style" Kerberos puts the
 *                                        AP-REQ in SPNEGO's mechToken without the GSS header (MS-KILE 3.4.5.1)
 *   04 04 / 05 04                        RFC 4121 MIC / Wrap token (per-message, after the handshake)
 */
#include "gss.h"

#include "der.h"
#include "krb5_dec.h"

static const uint8_t ntlm_sig[8] = { 'N', 'T', 'L', 'M', 'S', 'S', 'P', 0 };

static bool is_krb5_oid(hs_slice oid)
{
	return hs_der_oid_is(oid, HS_OID_KRB5) || hs_der_oid_is(oid, HS_OID_MS_KRB5) ||
	       hs_der_oid_is(oid, HS_OID_KRB5_U2U) || hs_der_oid_is(oid, HS_OID_IAKERB);
}

/* Kind of a token from its first bytes.  *err is set when even that cannot
 * be read (a truncated GSS header). */
static hs_gss_kind sniff(const uint8_t *p, size_t len, hs_err *err)
{
	*err = HS_OK;
	if (len == 0)
		return HS_GSS_NONE;
	if (memcmp(p, ntlm_sig, len < 8 ? len : 8) == 0)
		return HS_GSS_NTLM; /* also a cut-short signature: NTLM reports the truncation */
	switch (p[0]) {
	case 0x60: {
		/* Read the header and the OID without trusting the outer length
		 * (it may run past a truncated blob; the decoder reports that). */
		hs_cur c = hs_cur_make(p + 1, len - 1);
		uint8_t l = hs_cur_u8(&c);
		if (l & 0x80)
			hs_cur_skip(&c, l & 0x7f);
		hs_slice oid;
		if (!hs_der_oid(&c, &oid)) {
			*err = c.err;
			return HS_GSS_UNKNOWN;
		}
		if (hs_der_oid_is(oid, HS_OID_SPNEGO))
			return HS_GSS_SPNEGO;
		if (is_krb5_oid(oid))
			return HS_GSS_KRB5;
		return HS_GSS_UNKNOWN;
	}
	case 0xa0:
	case 0xa1:
		return HS_GSS_SPNEGO;
	case 0x6a: case 0x6b: case 0x6c: case 0x6d: case 0x6e: case 0x6f: /* AS-REQ .. AP-REP */
	case 0x74: case 0x75: case 0x76: /* KRB-SAFE, KRB-PRIV, KRB-CRED */
	case 0x7e: /* KRB-ERROR */
		return HS_GSS_KRB5;
	case 0x04:
	case 0x05:
		return len >= 2 && p[1] == 0x04 ? HS_GSS_KRB5 : HS_GSS_UNKNOWN;
	default:
		return HS_GSS_UNKNOWN;
	}
}

static hs_err krb(const uint8_t *p, size_t len, hs_krb_msg *m)
{
	/* Bare PDUs: hs_krb_decode knows all of them (the GSS decoder takes
	 * only the bare AP-REP / KRB-ERROR). */
	if ((p[0] & 0xe0) == 0x60 && p[0] != 0x60)
		return hs_krb_decode(p, len, m);
	return hs_krb_gss_decode(p, len, m);
}

/* Decode a non-SPNEGO token of kind k into t's krb or ntlm member. */
static hs_err mech(hs_gss_kind k, const uint8_t *p, size_t len, hs_gss_token *t)
{
	hs_err e = HS_OK;
	if (k == HS_GSS_KRB5) {
		e = krb(p, len, &t->krb);
		t->has_krb = true;
	} else if (k == HS_GSS_NTLM) {
		e = hs_ntlm_decode(p, len, &t->ntlm);
		t->has_ntlm = true;
	}
	return e;
}

hs_err hs_gss_decode(const uint8_t *p, size_t len, hs_gss_token *t)
{
	hs_err e;
	memset(t, 0, sizeof *t);
	t->kind = sniff(p, len, &e);
	switch (t->kind) {
	case HS_GSS_NONE:
		return HS_OK;
	case HS_GSS_UNKNOWN:
		t->err = e != HS_OK ? e : HS_E_UNKNOWN;
		return t->err;
	case HS_GSS_KRB5:
	case HS_GSS_NTLM:
		t->err = mech(t->kind, p, len, t);
		return t->err;
	case HS_GSS_SPNEGO:
		break;
	}
	t->err = hs_spnego_decode(p, len, &t->spnego);
	/* The inner token: mechToken of an init, responseToken of a resp.
	 * Decoded even when the SPNEGO layer had an error after it. */
	const hs_spnego_msg *s = &t->spnego;
	hs_slice in = s->has_mech_token ? s->mech_token : s->response_token;
	if (!s->has_mech_token && !s->has_response_token)
		return t->err;
	t->inner = sniff(in.p, in.len, &e);
	if (t->inner == HS_GSS_SPNEGO) {
		/* SPNEGO does not nest (RFC 4178 does not negotiate itself). */
		t->inner = HS_GSS_UNKNOWN;
	}
	if (t->inner == HS_GSS_UNKNOWN)
		t->inner_err = e != HS_OK ? e : HS_E_UNKNOWN;
	else
		t->inner_err = mech(t->inner, in.p, in.len, t);
	return t->err != HS_OK ? t->err : t->inner_err;
}

const char *hs_gss_kind_name(hs_gss_kind k)
{
	switch (k) {
	case HS_GSS_NONE: return "none";
	case HS_GSS_SPNEGO: return "spnego";
	case HS_GSS_KRB5: return "kerberos";
	case HS_GSS_NTLM: return "ntlm";
	default: return "unknown";
	}
}

static hs_anom anomaly_kind(hs_gss_kind k)
{
	switch (k) {
	case HS_GSS_SPNEGO: return HS_ANOM_MALFORMED_SPNEGO;
	case HS_GSS_KRB5: return HS_ANOM_MALFORMED_KERBEROS;
	case HS_GSS_NTLM: return HS_ANOM_MALFORMED_NTLMSSP;
	default: return HS_ANOM_UNKNOWN_GSS_TOKEN;
	}
}

hs_gss_kind hs_gss_emit(hs_app_ctx *ctx, hs_proto carrier, const uint8_t *p, size_t len)
{
	hs_gss_token t;
	hs_gss_decode(p, len, &t);
	switch (t.kind) {
	case HS_GSS_NONE:
		return t.kind;
	case HS_GSS_UNKNOWN:
		hs_report_anomaly(ctx, HS_ANOM_UNKNOWN_GSS_TOKEN, "%s: %zu-byte security blob of no known mechanism (first byte 0x%02x)",
				  carrier != HS_PROTO_NONE ? hs_proto_name(carrier) : "?", len, p[0]);
		return t.kind;
	case HS_GSS_SPNEGO:
		if (t.err != HS_OK)
			hs_report_anomaly(ctx, HS_ANOM_MALFORMED_SPNEGO, "%s: SPNEGO token (%zu bytes): %s",
					  carrier != HS_PROTO_NONE ? hs_proto_name(carrier) : "?", len, hs_err_name(t.err));
		/* An unknown inner mechanism (NEGOEX ...), or a Kerberos GSS
		 * token kind the Kerberos decoder does not cover, is legal, not
		 * an anomaly. */
		if (t.inner_err != HS_OK && t.inner_err != HS_E_UNKNOWN)
			hs_report_anomaly(ctx, anomaly_kind(t.inner), "%s: %s token inside SPNEGO: %s",
					  carrier != HS_PROTO_NONE ? hs_proto_name(carrier) : "?", hs_gss_kind_name(t.inner), hs_err_name(t.inner_err));
		if (t.has_krb)
			hs_krb_dec_emit(ctx, HS_PROTO_SPNEGO, &t, &t.krb, carrier);
		else
			hs_emit_token(ctx, HS_PROTO_SPNEGO, &t, carrier);
		return t.kind;
	case HS_GSS_KRB5:
		if (t.err != HS_OK)
			hs_report_anomaly(ctx, HS_ANOM_MALFORMED_KERBEROS, "%s: Kerberos GSS token (%zu bytes): %s",
					  carrier != HS_PROTO_NONE ? hs_proto_name(carrier) : "?", len, hs_err_name(t.err));
		hs_krb_dec_emit(ctx, HS_PROTO_KERBEROS, &t.krb, &t.krb, carrier);
		return t.kind;
	case HS_GSS_NTLM:
		if (t.err != HS_OK)
			hs_report_anomaly(ctx, HS_ANOM_MALFORMED_NTLMSSP, "%s: NTLMSSP %s (%zu bytes): %s",
					  carrier != HS_PROTO_NONE ? hs_proto_name(carrier) : "?", hs_ntlm_type_name(t.ntlm.type), len, hs_err_name(t.err));
		hs_emit_token(ctx, HS_PROTO_NTLMSSP, &t.ntlm, carrier);
		return t.kind;
	}
	return t.kind;
}

void hs_spnego_describe(const void *body, hs_out *o, unsigned flags)
{
	const hs_gss_token *t = body;
	if (!t)
		return;
	hs_spnego_describe_fields(&t->spnego, o, flags);
	if (t->err != HS_OK)
		hs_out_cstr(o, "error", hs_err_name(t->err));
	if (t->inner == HS_GSS_NONE)
		return;
	hs_out_begin(o, "mech_token");
	if (t->has_krb) {
		hs_out_cstr(o, "proto", hs_proto_name(HS_PROTO_KERBEROS));
		hs_krb_describe(&t->krb, o, flags);
	} else if (t->has_ntlm) {
		hs_out_cstr(o, "proto", hs_proto_name(HS_PROTO_NTLMSSP));
		hs_ntlm_describe(&t->ntlm, o, flags);
	} else {
		hs_out_cstr(o, "proto", "unknown");
		const hs_spnego_msg *s = &t->spnego;
		hs_out_uint(o, "len", s->has_mech_token ? s->mech_token.len : s->response_token.len);
	}
	if (t->inner_err != HS_OK && !t->has_krb) /* hs_krb_describe reports its own */
		hs_out_cstr(o, "error", hs_err_name(t->inner_err));
	hs_out_end(o);
}

/* SPNEGO travels inside other protocols only: no port of its own. */
const hs_proto_def hs_spnego_proto = { .id = HS_PROTO_SPNEGO, .describe = hs_spnego_describe };
