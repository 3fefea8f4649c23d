/* krb5_describe.c - hs_krb_describe (krb5.h): a decoded Kerberos message
 * through the writer (JSON, text, the plugin's tree), with what krb5_dec.c
 * decrypted.  Apart from krb5.c so that the decoder does not depend on the
 * decryption that depends on it. */
#include "krb5.h"

#include <stdio.h>
#include <string.h>

#include "der.h"
#include "krb5_dec.h"

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

