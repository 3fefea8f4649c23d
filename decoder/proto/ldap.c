/* ldap.c - LDAP as a carrier of authentication (see ldap.h).
 *
 * References: RFC 4511 4.1.1 (LDAPMessage), 4.1.9 (resultCode), 4.2
 * (bind), RFC 4513 5.1 (simple bind: anonymous / unauthenticated), RFC 4422
 * 3.7 and RFC 4752 3.3 (SASL security layer buffers), MS-ADTS 5.1.1.1.3
 * (sicily NTLM bind), MS-ADTS 3.1.1.3.1.9 (Windows error text in
 * diagnosticMessage).
 */
#include "ldap.h"

#include <string.h>

#include "der.h"
#include "gss.h"

const char *hs_ldap_op_name(int op)
{
	switch (op) {
	case 0: return "bindRequest";
	case 1: return "bindResponse";
	case 2: return "unbindRequest";
	case 3: return "searchRequest";
	case 4: return "searchResEntry";
	case 5: return "searchResDone";
	case 6: return "modifyRequest";
	case 7: return "modifyResponse";
	case 8: return "addRequest";
	case 9: return "addResponse";
	case 10: return "delRequest";
	case 11: return "delResponse";
	case 12: return "modDNRequest";
	case 13: return "modDNResponse";
	case 14: return "compareRequest";
	case 15: return "compareResponse";
	case 16: return "abandonRequest";
	case 19: return "searchResRef";
	case 23: return "extendedRequest";
	case 24: return "extendedResponse";
	case 25: return "intermediateResponse";
	default: return "unknown";
	}
}

const char *hs_ldap_result_name(uint32_t code)
{
	switch (code) {
	case 0: return "success";
	case 1: return "operationsError";
	case 2: return "protocolError";
	case 3: return "timeLimitExceeded";
	case 4: return "sizeLimitExceeded";
	case 5: return "compareFalse";
	case 6: return "compareTrue";
	case 7: return "authMethodNotSupported";
	case 8: return "strongerAuthRequired";
	case 10: return "referral";
	case 11: return "adminLimitExceeded";
	case 12: return "unavailableCriticalExtension";
	case 13: return "confidentialityRequired";
	case 14: return "saslBindInProgress";
	case 16: return "noSuchAttribute";
	case 17: return "undefinedAttributeType";
	case 18: return "inappropriateMatching";
	case 19: return "constraintViolation";
	case 20: return "attributeOrValueExists";
	case 21: return "invalidAttributeSyntax";
	case 32: return "noSuchObject";
	case 33: return "aliasProblem";
	case 34: return "invalidDNSyntax";
	case 36: return "aliasDereferencingProblem";
	case 48: return "inappropriateAuthentication";
	case 49: return "invalidCredentials";
	case 50: return "insufficientAccessRights";
	case 51: return "busy";
	case 52: return "unavailable";
	case 53: return "unwillingToPerform";
	case 54: return "loopDetect";
	case 64: return "namingViolation";
	case 65: return "objectClassViolation";
	case 66: return "notAllowedOnNonLeaf";
	case 67: return "notAllowedOnRDN";
	case 68: return "entryAlreadyExists";
	case 69: return "objectClassModsProhibited";
	case 71: return "affectsMultipleDSAs";
	case 80: return "other";
	default: return "unknown";
	}
}

const char *hs_ldap_auth_name(int auth)
{
	switch (auth) {
	case HS_LDAP_AUTH_SIMPLE: return "simple";
	case HS_LDAP_AUTH_SASL: return "sasl";
	case HS_LDAP_AUTH_SICILY_DISCOVERY: return "sicilyPackageDiscovery";
	case HS_LDAP_AUTH_SICILY_NEGOTIATE: return "sicilyNegotiate";
	case HS_LDAP_AUTH_SICILY_RESPONSE: return "sicilyResponse";
	default: return "unknown";
	}
}

/* ---- framing ---------------------------------------------------------- */

hs_parse_result hs_ldap_frame(const uint8_t *p, size_t len, hs_ldap_kind *kind)
{
	if (len < 1)
		return hs_parse_incomplete(0);
	if (p[0] == 0x30) { /* LDAPMessage ::= SEQUENCE */
		if (len < 2)
			return hs_parse_incomplete(0);
		size_t hdr = 2, body;
		if (p[1] < 0x80) {
			body = p[1];
		} else if (p[1] == 0x80) {
			return hs_parse_error(HS_E_UNSUPPORTED);
		} else {
			size_t n = p[1] & 0x7f;
			if (n > 4)
				return hs_parse_error(HS_E_LIMIT);
			if (len < 2 + n)
				return hs_parse_incomplete(0);
			body = 0;
			for (size_t i = 0; i < n; i++)
				body = (body << 8) | p[2 + i];
			hdr += n;
		}
		if (body > HS_LDAP_MAX_PDU)
			return hs_parse_error(HS_E_LIMIT);
		*kind = HS_LDAP_MESSAGE;
		return len < hdr + body ? hs_parse_incomplete(hdr + body) : hs_parse_ok(hdr + body);
	}
	if (p[0] == 0x00) {
		/* A SASL buffer: 4-byte big-endian length (RFC 4422 3.7).  Its
		 * first byte is 0 for any length under 16 MiB, which no
		 * LDAPMessage (0x30) or TLS record (0x14-0x17) starts with. */
		if (len < 4)
			return hs_parse_incomplete(0);
		size_t n = ((size_t)p[1] << 16) | ((size_t)p[2] << 8) | p[3];
		if (n == 0)
			return hs_parse_error(HS_E_MALFORMED);
		*kind = HS_LDAP_SASL_WRAPPED;
		return len < 4 + n ? hs_parse_incomplete(4 + n) : hs_parse_ok(4 + n);
	}
	if (p[0] >= 0x14 && p[0] <= 0x17) { /* TLS record (RFC 8446 5.1) */
		if (len < 2)
			return hs_parse_incomplete(0);
		if (p[1] != 0x03)
			return hs_parse_error(HS_E_MALFORMED);
		if (len < 5)
			return hs_parse_incomplete(0);
		size_t n = ((size_t)p[3] << 8) | p[4];
		*kind = HS_LDAP_TLS;
		return len < 5 + n ? hs_parse_incomplete(5 + n) : hs_parse_ok(5 + n);
	}
	return hs_parse_error(HS_E_MALFORMED);
}

/* ---- decoding --------------------------------------------------------- */

/* LDAPResult fields, shared by every response (RFC 4511 4.1.9). */
static void decode_result(hs_cur *c, hs_ldap_msg *m)
{
	int64_t rc = 0;
	if (!hs_der_enum(c, &rc))
		return;
	m->result_code = (uint32_t)rc;
	m->has_result = true;
	hs_der_octets(c, &m->matched_dn);
	hs_der_octets(c, &m->diagnostic);
	/* referral [3] and, for bindResponse, serverSaslCreds [7] (primitive)
	 * or extendedResponse responseName [10] follow. */
	while (c->len && hs_cur_ok(c)) {
		hs_der e;
		if (!hs_der_next(c, &e))
			return;
		if (e.cls != HS_DER_CONTEXT)
			continue;
		if (m->op == HS_LDAP_BIND_RESPONSE && e.tag == 7) {
			m->server_sasl_creds.p = e.body.p;
			m->server_sasl_creds.len = e.body.len;
			m->has_server_sasl_creds = true;
		} else if (m->op == HS_LDAP_EXTENDED_RESPONSE && e.tag == 10) {
			m->oid.p = e.body.p;
			m->oid.len = e.body.len;
		}
	}
}

static void decode_bind(hs_cur *c, hs_ldap_msg *m)
{
	hs_der_int64(c, &m->version);
	hs_der_octets(c, &m->name);
	hs_der e;
	if (!hs_der_next(c, &e))
		return;
	if (e.cls != HS_DER_CONTEXT) {
		hs_cur_fail(c, HS_E_MALFORMED);
		return;
	}
	m->auth = (int)e.tag;
	switch (e.tag) {
	case HS_LDAP_AUTH_SASL: { /* SaslCredentials ::= SEQUENCE { mechanism, credentials OPTIONAL } */
		if (!e.constructed) {
			hs_cur_fail(c, HS_E_MALFORMED);
			return;
		}
		hs_cur b = e.body;
		hs_der_octets(&b, &m->mechanism);
		if (b.len && hs_der_octets(&b, &m->credentials))
			m->has_credentials = true;
		hs_cur_join(c, &b);
		return;
	}
	case HS_LDAP_AUTH_SIMPLE:
	case HS_LDAP_AUTH_SICILY_DISCOVERY:
	case HS_LDAP_AUTH_SICILY_NEGOTIATE:
	case HS_LDAP_AUTH_SICILY_RESPONSE:
		m->credentials.p = e.body.p;
		m->credentials.len = e.body.len;
		m->has_credentials = true;
		return;
	default:
		return;
	}
}

static hs_err decode_message(const uint8_t *p, size_t len, hs_ldap_msg *m)
{
	hs_cur c = hs_cur_make(p, len), body;
	if (!hs_der_expect(&c, HS_DER_UNIVERSAL, HS_DER_SEQUENCE, true, &body))
		return c.err;
	uint32_t id = 0;
	if (!hs_der_uint32(&body, &id))
		return body.err;
	m->message_id = id;
	hs_der op;
	if (!hs_der_next(&body, &op))
		return body.err;
	if (op.cls != HS_DER_APPLICATION)
		return HS_E_MALFORMED;
	m->op = (int)op.tag;
	hs_cur b = op.body;
	switch (op.tag) {
	case HS_LDAP_BIND_REQUEST:
		decode_bind(&b, m);
		break;
	case HS_LDAP_SEARCH_REQUEST:
		hs_der_octets(&b, &m->name);
		hs_der_enum(&b, &m->scope);
		b.len = 0; /* filter and attributes: not needed */
		break;
	case HS_LDAP_SEARCH_RES_ENTRY:
	case 6: /* modifyRequest */
	case 8: /* addRequest */
	case 12: /* modDNRequest */
	case 14: /* compareRequest */
		hs_der_octets(&b, &m->name);
		b.len = 0;
		break;
	case HS_LDAP_DEL_REQUEST: /* [APPLICATION 10] LDAPDN, primitive */
		m->name.p = b.p;
		m->name.len = b.len;
		b.len = 0;
		break;
	case 1: case 5: case 7: case 9: case 11: case 13: case 15: case 24:
		decode_result(&b, m);
		break;
	case HS_LDAP_EXTENDED_REQUEST: {
		hs_der e;
		if (hs_der_next(&b, &e) && e.cls == HS_DER_CONTEXT && e.tag == 0) {
			m->oid.p = e.body.p;
			m->oid.len = e.body.len;
		}
		b.len = 0;
		break;
	}
	default:
		b.len = 0; /* unbind, abandon, searchResRef, intermediate: name only */
		break;
	}
	hs_cur_join(&body, &b);
	/* controls [0] OPTIONAL: counted, not decoded */
	hs_cur ctl;
	if (hs_cur_ok(&body) && hs_der_opt_ctx(&body, 0, &ctl)) {
		while (ctl.len && hs_cur_ok(&ctl)) {
			hs_der e;
			if (hs_der_next(&ctl, &e))
				m->controls++;
		}
		hs_cur_join(&body, &ctl);
	}
	if (!hs_cur_ok(&body))
		return body.err;
	hs_der_close(&c, &body);
	return c.err;
}

hs_err hs_ldap_decode(const uint8_t *p, size_t len, hs_ldap_msg *m)
{
	memset(m, 0, sizeof *m);
	m->op = -1;
	m->auth = -1;
	hs_ldap_kind k = HS_LDAP_NONE;
	hs_parse_result r = hs_ldap_frame(p, len, &k);
	if (r.status == HS_PARSE_INCOMPLETE)
		return HS_E_TRUNCATED;
	if (r.status == HS_PARSE_ERROR)
		return r.err;
	if (r.consumed != len)
		return HS_E_TRAILING;
	m->kind = k;
	switch (k) {
	case HS_LDAP_SASL_WRAPPED:
		m->sasl_len = (uint32_t)(len - 4);
		m->sasl_token.p = p + 4;
		m->sasl_token.len = len - 4;
		return HS_OK;
	case HS_LDAP_TLS:
		m->tls_type = p[0];
		m->tls_len = (uint16_t)(len - 5);
		return HS_OK;
	default:
		return decode_message(p, len, m);
	}
}

/* ---- describe --------------------------------------------------------- */

/* What kind of GSS token protects a SASL buffer: RFC 4121 4.2.6.2 Wrap
 * (TOK_ID 05 04) or MIC (04 04), RFC 1964 1.2.2 Wrap ([APPLICATION 0] with
 * TOK_ID 02 01 inside), MS-NLMP 2.2.2.9 NTLM signature (version 1). */
static const char *wrap_token_name(hs_slice t)
{
	if (t.len >= 2 && t.p[0] == 0x05 && t.p[1] == 0x04)
		return "krb5_wrap";
	if (t.len >= 2 && t.p[0] == 0x04 && t.p[1] == 0x04)
		return "krb5_mic";
	if (t.len >= 1 && t.p[0] == 0x60)
		return "krb5_rfc1964";
	if (t.len >= 4 && t.p[0] == 0x01 && t.p[1] == 0 && t.p[2] == 0 && t.p[3] == 0)
		return "ntlm_sealed";
	return "unknown";
}

static bool is_sicily(int auth)
{
	return auth == HS_LDAP_AUTH_SICILY_DISCOVERY || auth == HS_LDAP_AUTH_SICILY_NEGOTIATE ||
	       auth == HS_LDAP_AUTH_SICILY_RESPONSE;
}

void hs_ldap_describe(const void *body, hs_out *o, unsigned flags)
{
	const hs_ldap_msg *m = body;
	if (m->kind == HS_LDAP_SASL_WRAPPED) {
		hs_out_bool(o, "sasl_wrapped", true);
		hs_out_uint(o, "sasl_len", m->sasl_len);
		hs_out_cstr(o, "wrap_token", wrap_token_name(m->sasl_token));
		return;
	}
	if (m->kind == HS_LDAP_TLS) {
		hs_out_bool(o, "tls", true);
		hs_out_uint(o, "tls_content_type", m->tls_type);
		hs_out_uint(o, "tls_len", m->tls_len);
		return;
	}
	hs_out_uint(o, "message_id", m->message_id);
	if (m->op < 0)
		return;
	hs_out_cstr(o, "op", hs_ldap_op_name(m->op));
	hs_out_uint(o, "op_code", (unsigned)m->op);
	if (m->op == HS_LDAP_BIND_REQUEST) {
		hs_out_int(o, "version", m->version);
		hs_out_slice(o, "name", m->name);
		if (m->auth >= 0) {
			hs_out_cstr(o, "auth", hs_ldap_auth_name(m->auth));
			hs_out_uint(o, "auth_code", (unsigned)m->auth);
		}
		if (m->auth == HS_LDAP_AUTH_SIMPLE) {
			/* RFC 4513 5.1.1-2: empty password = anonymous (empty name) or
			 * unauthenticated (a name but no password) - both end up as
			 * ANONYMOUS LOGON on Windows. */
			bool pw = m->credentials.len > 0;
			hs_out_bool(o, "cleartext_password", pw);
			if (!pw)
				hs_out_bool(o, "anonymous", true);
			if (pw && (flags & HS_DESCRIBE_SECRETS))
				hs_out_slice(o, "password", m->credentials);
		} else if (m->auth == HS_LDAP_AUTH_SASL) {
			hs_out_slice(o, "mechanism", m->mechanism);
			hs_out_uint(o, "credentials_len", m->has_credentials ? m->credentials.len : 0);
		} else if (is_sicily(m->auth)) {
			hs_out_cstr(o, "mechanism", "NTLM");
			hs_out_uint(o, "credentials_len", m->credentials.len);
		}
	} else if (m->name.p || m->op == HS_LDAP_SEARCH_REQUEST || m->op == HS_LDAP_SEARCH_RES_ENTRY) {
		hs_out_slice(o, "dn", m->name);
	}
	if (m->op == HS_LDAP_SEARCH_REQUEST) {
		static const char *const sc[] = { "baseObject", "singleLevel", "wholeSubtree" };
		hs_out_cstr(o, "scope", m->scope >= 0 && m->scope < 3 ? sc[m->scope] : "unknown");
	}
	if (m->oid.len)
		hs_out_slice(o, "oid", m->oid);
	if (m->has_result) {
		hs_out_uint(o, "result_code", m->result_code);
		hs_out_cstr(o, "result", hs_ldap_result_name(m->result_code));
		/* A sicily negotiate response carries the NTLM CHALLENGE in
		 * matchedDN (MS-ADTS 5.1.1.1.3): binary, described as a token. */
		if (m->matched_dn.len >= 8 && !memcmp(m->matched_dn.p, "NTLMSSP", 8))
			hs_out_uint(o, "matched_dn_ntlmssp_len", m->matched_dn.len);
		else
			hs_out_slice(o, "matched_dn", m->matched_dn);
		hs_out_slice(o, "diagnostic_message", m->diagnostic);
		if (m->has_server_sasl_creds)
			hs_out_uint(o, "server_sasl_creds_len", m->server_sasl_creds.len);
	}
	if (m->controls)
		hs_out_uint(o, "controls", m->controls);
}

/* ---- the engine's parser ---------------------------------------------- */

typedef enum sasl_mech {
	MECH_NONE = 0,
	MECH_GSS,      /* GSS-SPNEGO, GSSAPI, GSS-*: credentials are GSS tokens */
	MECH_OTHER     /* DIGEST-MD5, EXTERNAL, PLAIN ...: not GSS */
} sasl_mech;

typedef struct ldap_state {
	uint8_t mech;         /* mechanism of the last SASL bindRequest */
	bool tls_reported[2]; /* one message per direction for a TLS stream */
} ldap_state;

/* Mechanisms whose credentials are tokens the GSS dispatcher knows:
 * GSSAPI (RFC 4752), GSS-SPNEGO (MS-ADTS), other GSS-* (RFC 5801), and
 * the bare "NTLM" mechanism (raw NTLMSSP messages; Cyrus SASL, Samba). */
static bool mech_is_gss(hs_slice mech)
{
	return (mech.len >= 3 && !memcmp(mech.p, "GSS", 3)) || hs_slice_eq(mech, "NTLM");
}

/* GSSAPI's security-layer negotiation (RFC 4752 3.1) travels as a GSS Wrap
 * token inside the bind: not an authentication token for the dispatcher. */
static bool is_wrap_token(hs_slice t)
{
	return t.len >= 2 && (t.p[0] == 0x05 || t.p[0] == 0x04) && t.p[1] == 0x04;
}

static void ldap_tokens(hs_app_ctx *ctx, const hs_ldap_msg *m)
{
	ldap_state *s = ctx->state;
	if (m->op == HS_LDAP_BIND_REQUEST) {
		if (m->auth == HS_LDAP_AUTH_SASL) {
			s->mech = mech_is_gss(m->mechanism) ? MECH_GSS : MECH_OTHER;
			if (s->mech == MECH_GSS && m->credentials.len && !is_wrap_token(m->credentials))
				hs_gss_emit(ctx, HS_PROTO_LDAP, m->credentials.p, m->credentials.len);
		} else if (m->auth == HS_LDAP_AUTH_SICILY_NEGOTIATE || m->auth == HS_LDAP_AUTH_SICILY_RESPONSE) {
			s->mech = MECH_GSS;
			if (m->credentials.len)
				hs_gss_emit(ctx, HS_PROTO_LDAP, m->credentials.p, m->credentials.len);
		} else {
			s->mech = MECH_NONE;
		}
	} else if (m->op == HS_LDAP_BIND_RESPONSE) {
		if (m->matched_dn.len >= 8 && !memcmp(m->matched_dn.p, "NTLMSSP", 8))
			hs_gss_emit(ctx, HS_PROTO_LDAP, m->matched_dn.p, m->matched_dn.len);
		if (m->has_server_sasl_creds && m->server_sasl_creds.len && s->mech != MECH_OTHER &&
		    !is_wrap_token(m->server_sasl_creds))
			hs_gss_emit(ctx, HS_PROTO_LDAP, m->server_sasl_creds.p, m->server_sasl_creds.len);
	}
}

static hs_parse_result ldap_stream(hs_app_ctx *ctx, const uint8_t *data, size_t len)
{
	ldap_state *s = ctx->state;
	hs_ldap_kind k = HS_LDAP_NONE;
	hs_parse_result r = hs_ldap_frame(data, len, &k);
	if (r.status != HS_PARSE_OK)
		return r;
	hs_ldap_msg m;
	hs_err e = hs_ldap_decode(data, r.consumed, &m);
	/* After a gap, bytes that frame like a message but do not decode are
	 * the middle of one: resynchronisation (app.h), not a malformed PDU. */
	if (e != HS_OK && ctx->resync)
		return hs_parse_error(e);
	if (k == HS_LDAP_TLS) {
		if (!s->tls_reported[ctx->dir & 1]) {
			s->tls_reported[ctx->dir & 1] = true;
			hs_emit(ctx, HS_PROTO_LDAP, &m);
		}
		return r;
	}
	hs_emit(ctx, HS_PROTO_LDAP, &m);
	if (e != HS_OK)
		hs_report_anomaly(ctx, HS_ANOM_MALFORMED_LDAP, "LDAPMessage %u (%s): %s", m.message_id,
				  hs_ldap_op_name(m.op), hs_err_name(e));
	else if (k == HS_LDAP_MESSAGE)
		ldap_tokens(ctx, &m);
	return r;
}

const hs_app hs_ldap_app = {
	.name = "ldap",
	.state_size = sizeof(ldap_state),
	.stream = ldap_stream,
	.gap = NULL,
	.datagram = NULL,
	.close = NULL,
	.malformed = HS_ANOM_MALFORMED_LDAP,
};

/* LDAP and the global catalog; over TLS they are tls.c's ports. */
static const hs_port_def ldap_ports[] = {
	{ 6, 389, &hs_ldap_app, HS_CAR_LDAP },
	{ 6, 3268, &hs_ldap_app, HS_CAR_LDAP },
	{ 0 }
};

static const hs_spn_def ldap_spns[] = {
	{ "ldap/", HS_CAR_LDAP, 389 },
	{ "GC/", HS_CAR_LDAP, 389 },
	{ NULL, HS_CAR_OTHER, 0 }
};

/* An LDAP connection on another port, by its first PDU (RFC 4511 4.2,
 * 4.5): LDAPMessage ::= SEQUENCE { messageID INTEGER, protocolOp } with a
 * BindRequest (version 3), a rootDSE SearchRequest (what Windows' LDAP
 * client sends before binding) or, from the server, a BindResponse. */
static hs_probe_verdict ldap_probe(const uint8_t *p, size_t len)
{
	size_t at = 0, n, id;
	int r = hs_der_probe_header(p, len, &at, 0x30, &n);
	if (r <= 0)
		return r ? HS_PROBE_MORE : HS_PROBE_NO;
	if ((r = hs_der_probe_header(p, len, &at, 0x02, &id)) <= 0)
		return r ? HS_PROBE_MORE : HS_PROBE_NO;
	if (id < 1 || id > 4)
		return HS_PROBE_NO;
	at += id;
	if (at >= len)
		return HS_PROBE_MORE;
	uint8_t op = p[at];
	size_t body;
	if (op != 0x60 && op != 0x61 && op != 0x63)
		return HS_PROBE_NO;
	if ((r = hs_der_probe_header(p, len, &at, op, &body)) <= 0)
		return r ? HS_PROBE_MORE : HS_PROBE_NO;
	if (at + 3 > len)
		return HS_PROBE_MORE;
	if (op == 0x60) /* version INTEGER 3 */
		return p[at] == 0x02 && p[at + 1] == 1 && p[at + 2] == 3 ? HS_PROBE_CLIENT : HS_PROBE_NO;
	if (op == 0x61) /* resultCode ENUMERATED */
		return p[at] == 0x0a && p[at + 1] == 1 ? HS_PROBE_SERVER : HS_PROBE_NO;
	return p[at] == 0x04 ? HS_PROBE_CLIENT : HS_PROBE_NO; /* baseObject LDAPDN */
}

const hs_proto_def hs_ldap_proto = {
	.id = HS_PROTO_LDAP, .describe = hs_ldap_describe, .ports = ldap_ports, .spns = ldap_spns,
	.probe = ldap_probe, .probe_ipproto = 6, .probe_app = &hs_ldap_app, .probe_carrier = HS_CAR_LDAP,
};
