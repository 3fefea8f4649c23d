/* winrm_seal.c - Kerberos- and NTLM-sealed WinRM bodies (MS-WSMV 2.2.9.1).
 * See winrm_seal.h. */
#include "winrm_seal.h"

#include <stdio.h>
#include <string.h>

#include <openssl/crypto.h>

#include "gss.h"
#include "krb5_dec.h"
#include "krb5_wrap.h"
#include "ntlm_seal.h"

typedef enum mech { M_NONE = 0, M_KRB, M_NTLM } mech;

struct hs_winrm_seal {
	mech mech;
	/* Kerberos (RFC 4121 s2) */
	bool apreq_seen, has_sess, has_isub, has_asub;
	hs_krb_dec_status ticket_status;
	hs_krb_key sess, isub, asub;
	/* NTLM */
	GByteArray *challenge, *authenticate;
	bool ntlm_ready;
	hs_ntlm_seal_status ntlm_status;
	hs_ntlm_seal ntlm;
};

hs_winrm_seal *hs_winrm_seal_new(void) { return g_new0(hs_winrm_seal, 1); }

static void drop_ntlm(hs_winrm_seal *s)
{
	if (s->challenge)
		g_byte_array_free(s->challenge, TRUE);
	if (s->authenticate)
		g_byte_array_free(s->authenticate, TRUE);
	s->challenge = s->authenticate = NULL;
}

void hs_winrm_seal_free(hs_winrm_seal *s)
{
	if (!s)
		return;
	drop_ntlm(s);
	OPENSSL_cleanse(s, sizeof *s);
	g_free(s);
}

bool hs_winrm_seal_known(const hs_winrm_seal *s) { return s && s->mech != M_NONE; }

size_t hs_winrm_seal_bytes(const hs_winrm_seal *s)
{
	if (!s)
		return 0;
	return sizeof *s + (s->challenge ? s->challenge->len : 0) + (s->authenticate ? s->authenticate->len : 0);
}

static void copy_blob(GByteArray **dst, hs_slice whole)
{
	if (!*dst)
		*dst = g_byte_array_new();
	g_byte_array_set_size(*dst, 0);
	g_byte_array_append(*dst, whole.p, (guint)whole.len);
}

/* The NTLMSSP message inside a blob: raw, or SPNEGO's inner token.  The
 * message is located by its signature (MS-NLMP 2.2.1) within the blob. */
static hs_slice ntlm_bytes(const uint8_t *p, size_t n)
{
	for (size_t i = 0; i + 8 <= n; i++)
		if (memcmp(p + i, "NTLMSSP\0", 8) == 0)
			return (hs_slice){ p + i, n - i };
	return (hs_slice){ NULL, 0 };
}

static void ntlm_init(hs_winrm_seal *s, hs_app_ctx *ctx)
{
	hs_ntlm_msg ch, au;
	s->ntlm_ready = false;
	if (!s->challenge || !s->authenticate || !ctx->host || !ctx->host->ntlmcreds) {
		s->ntlm_status = HS_NTLM_SEAL_NO_CRED;
		return;
	}
	(void)hs_ntlm_decode(s->challenge->data, s->challenge->len, &ch);
	(void)hs_ntlm_decode(s->authenticate->data, s->authenticate->len, &au);
	s->ntlm_status = hs_ntlm_seal_init(ctx->host->ntlmcreds, &ch, &au, &s->ntlm);
	s->ntlm_ready = s->ntlm_status == HS_NTLM_SEAL_OK;
}

void hs_winrm_seal_token(hs_winrm_seal *s, hs_app_ctx *ctx, const uint8_t *p, size_t n, bool from_server)
{
	hs_gss_token t;
	if (hs_gss_decode(p, n, &t) != HS_OK && !t.has_krb && !t.has_ntlm)
		return;
	if (t.has_ntlm) {
		s->mech = M_NTLM;
		hs_slice raw = ntlm_bytes(p, n);
		if (t.ntlm.type == 2 && from_server && raw.len)
			copy_blob(&s->challenge, raw);
		if (t.ntlm.type == 3 && !from_server && raw.len) {
			copy_blob(&s->authenticate, raw);
			ntlm_init(s, ctx);
		}
		return;
	}
	if (!t.has_krb)
		return;
	hs_krb_msg *m = &t.krb;
	if (m->msg_type != HS_KRB_AP_REQ && m->msg_type != HS_KRB_AP_REP)
		return;
	s->mech = M_KRB;
	if (m->msg_type == HS_KRB_AP_REQ) {
		s->apreq_seen = true;
		s->has_sess = s->has_isub = s->has_asub = false;
		s->ticket_status = HS_KRB_DEC_NOT_TRIED;
	}
	if (!ctx->host || !ctx->host->krbkeys)
		return;
	hs_krb_dec *d = g_new(hs_krb_dec, 1);
	hs_krb_dec_run(ctx->host->krbkeys, m, d);
	if (m->msg_type == HS_KRB_AP_REQ) {
		s->ticket_status = d->ticket.tried ? d->ticket.status : HS_KRB_DEC_NOT_TRIED;
		if (d->ticket.status == HS_KRB_DEC_OK) {
			s->sess = d->ticket.session_key;
			s->has_sess = true;
		}
		if (d->auth.status == HS_KRB_DEC_OK && d->auth.has_subkey) {
			s->isub = d->auth.subkey;
			s->has_isub = true;
		}
	} else if (d->aprep.status == HS_KRB_DEC_OK && d->aprep.has_subkey) {
		s->asub = d->aprep.subkey;
		s->has_asub = true;
	}
	m->dec = NULL;
	hs_krb_dec_wipe(d);
	g_free(d);
}

/* RFC 4121 s2: the acceptor subkey when the acceptor sent one, else the
 * initiator's subkey, else the ticket's session key (RFC 4757 tokens, which
 * carry no AcceptorSubkey flag, follow the same order, MS-KILE 3.4.5.4). */
static hs_krb_dec_status krb_open(hs_winrm_seal *s, const hs_winrm_enc_part *pt, uint8_t *out, size_t *olen,
				  hs_krb_wrap_info *info)
{
	const hs_krb_key *cand[3];
	size_t nc = 0;
	if (s->has_asub)
		cand[nc++] = &s->asub;
	if (s->has_isub)
		cand[nc++] = &s->isub;
	if (s->has_sess)
		cand[nc++] = &s->sess;
	/* The split between the header part and the cipher text varies (Windows:
	 * header + rotated trailer + confounder; MIT's gss_wrap_iov: 16 bytes);
	 * the token is the two joined, so it is opened joined. */
	size_t n = pt->signature.len + pt->sealed.len;
	uint8_t *scratch = g_malloc(2 * n + 1), *joined = scratch + n;
	memcpy(joined, pt->signature.p, pt->signature.len);
	if (pt->sealed.len)
		memcpy(joined + pt->signature.len, pt->sealed.p, pt->sealed.len);
	size_t orig = pt->has_length ? (size_t)pt->original_length : SIZE_MAX;
	/* the most telling failure: a checksum that did not verify, then a
	 * token of no known shape, else no key of the token's etype */
	hs_krb_dec_status best = HS_KRB_DEC_NO_KEY;
	for (size_t i = 0; i < nc; i++) {
		hs_krb_dec_status st = hs_krb_unwrap(cand[i], joined, n, NULL, 0, orig, scratch, out, olen, info);
		if (st == HS_KRB_DEC_OK || st == HS_KRB_DEC_INTEGRITY || (st == HS_KRB_DEC_MALFORMED && best == HS_KRB_DEC_NO_KEY))
			best = st;
		if (st == HS_KRB_DEC_OK)
			break;
	}
	if (!nc && hs_krb_wrap_kind(joined, n) == 0)
		best = HS_KRB_DEC_MALFORMED;
	OPENSSL_cleanse(scratch, 2 * n);
	g_free(scratch);
	return best;
}

static const char *krb_reason(const hs_winrm_seal *s, hs_krb_dec_status st, const hs_app_ctx *ctx)
{
	if (st == HS_KRB_DEC_INTEGRITY)
		return "checksum mismatch";
	if (st == HS_KRB_DEC_MALFORMED)
		return "not a sealed Kerberos wrap token";
	if (!ctx->host || !ctx->host->krbkeys)
		return "no keytab (--keytab with the service's keys)";
	if (!s->apreq_seen)
		return "the connection's Kerberos AP-REQ was not captured";
	if (!s->has_sess) {
		switch (s->ticket_status) {
		case HS_KRB_DEC_NO_KEY: return "no session key: no key in the keytab for the AP-REQ ticket";
		case HS_KRB_DEC_WRONG_KVNO: return "no session key: the keytab has another kvno of the service key";
		case HS_KRB_DEC_INTEGRITY: return "no session key: the AP-REQ ticket did not decrypt with the keytab (checksum mismatch)";
		default: return "no session key: the AP-REQ ticket was not decrypted";
		}
	}
	return "no key of the token's encryption type";
}

static const char *ntlm_reason(hs_ntlm_seal_status st, const hs_app_ctx *ctx)
{
	switch (st) {
	case HS_NTLM_SEAL_NO_CRED:
		return ctx->host && ctx->host->ntlmcreds ? "no password or NT hash given for this NTLM user"
						       : "no NTLM password (--ntlm-password or --nt-hash)";
	case HS_NTLM_SEAL_WRONG_CRED: return "wrong password or NT hash (NTProofStr does not verify)";
	case HS_NTLM_SEAL_UNSUPPORTED: return "no sealing negotiated, or NTLMv1's LM key (LM_KEY / NON_NT_SESSION_KEY) without the password: keys not derived";
	case HS_NTLM_SEAL_INTEGRITY: return "signature mismatch";
	default: return "not decrypted";
	}
}

bool hs_winrm_seal_open(hs_winrm_seal *s, hs_app_ctx *ctx, hs_winrm_enc *e, bool from_server, GByteArray *out,
			size_t max)
{
	size_t start = out->len;
	if (!s || s->mech == M_NONE) {
		e->not_decrypted = "no Kerberos or NTLM exchange seen on this connection";
		return false;
	}
	e->mech = s->mech == M_KRB ? "kerberos" : "ntlm";
	if (s->mech == M_NTLM && !s->ntlm_ready) {
		e->not_decrypted = ntlm_reason(s->authenticate ? s->ntlm_status : HS_NTLM_SEAL_NO_CRED, ctx);
		if (!s->authenticate)
			e->not_decrypted = "the connection's NTLM AUTHENTICATE was not captured";
		return false;
	}
	if (e->parts_more) {
		e->not_decrypted = "more parts than hopsniff keeps";
		return false;
	}
	uint64_t seq_first = 0;
	for (size_t i = 0; i < e->nparts; i++) {
		const hs_winrm_enc_part *pt = &e->parts[i];
		size_t n = pt->signature.len + pt->sealed.len;
		if (out->len + n > max) {
			e->not_decrypted = "plaintext over the stream buffer cap";
			g_byte_array_set_size(out, (guint)start);
			return false;
		}
		size_t at = out->len, olen = 0;
		g_byte_array_set_size(out, (guint)(at + n));
		if (s->mech == M_KRB) {
			hs_krb_wrap_info info;
			hs_krb_dec_status st = krb_open(s, pt, out->data + at, &olen, &info);
			if (st != HS_KRB_DEC_OK) {
				e->not_decrypted = krb_reason(s, st, ctx);
				g_byte_array_set_size(out, (guint)start);
				return false;
			}
			if (i == 0)
				seq_first = info.seq;
			snprintf(e->detail, sizeof e->detail, "%s, %s, seq %llu%s", info.cfx ? "RFC 4121" : "RFC 4757 rc4-hmac",
				 info.acceptor ? "acceptor" : "initiator", (unsigned long long)seq_first,
				 e->nparts > 1 ? ".." : "");
		} else {
			uint32_t seq = 0;
			if (pt->signature.len != 16) {
				e->not_decrypted = "not an NTLM signature";
				g_byte_array_set_size(out, (guint)start);
				return false;
			}
			hs_ntlm_seal_status st = hs_ntlm_unseal(&s->ntlm, from_server, pt->signature.p, pt->sealed.p,
								pt->sealed.len, out->data + at, &seq);
			if (st != HS_NTLM_SEAL_OK) {
				e->not_decrypted = ntlm_reason(st, ctx);
				OPENSSL_cleanse(out->data + at, n);
				g_byte_array_set_size(out, (guint)start);
				return false;
			}
			olen = pt->sealed.len;
			if (i == 0)
				seq_first = seq;
			snprintf(e->detail, sizeof e->detail, "%s session security, seq %llu%s",
				 s->ntlm.kind ? s->ntlm.kind : "NTLM", (unsigned long long)seq_first, e->nparts > 1 ? ".." : "");
		}
		g_byte_array_set_size(out, (guint)(at + olen));
		if (pt->has_length && pt->original_length != olen) {
			e->not_decrypted = "plaintext length differs from OriginalContent Length";
			g_byte_array_set_size(out, (guint)start);
			return false;
		}
	}
	e->decrypted = true;
	e->decrypted_len = out->len - start;
	(void)hs_digest("SHA256", out->data + start, e->decrypted_len, NULL, 0, e->sha256);
	return true;
}
