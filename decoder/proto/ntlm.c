/* ntlm.c - NTLMSSP messages (MS-NLMP 2.2.1).  See ntlm.h for the contract.
 *
 * Layout reminder (all integers little-endian, MS-NLMP 2.2.1.1-3):
 *   0  Signature "NTLMSSP\0"      8  MessageType (1, 2, 3)
 *   NEGOTIATE:    12 flags, 16 DomainNameFields, 24 WorkstationFields, 32 Version
 *   CHALLENGE:    12 TargetNameFields, 20 flags, 24 ServerChallenge, 32 Reserved,
 *                 40 TargetInfoFields, 48 Version
 *   AUTHENTICATE: 12 Lm, 20 Nt, 28 Domain, 36 User, 44 Workstation,
 *                 52 EncryptedRandomSessionKey, 60 flags, 64 Version, 72 MIC
 * A "Fields" entry is {u16 Len, u16 MaxLen, u32 BufferOffset} from the start
 * of the message.  Version and MIC exist only when the payload starts after
 * them (Windows before XP SP2 sends neither), which is how Wireshark decides
 * too: the lowest payload offset marks the end of the fixed part.
 */
#include "ntlm.h"

#include <stdint.h>
#include <stdio.h>

#include "app.h"

static const uint8_t signature[8] = { 'N', 'T', 'L', 'M', 'S', 'S', 'P', 0 };

typedef struct fixed {
	hs_slice msg;     /* the whole message */
	size_t data_start; /* lowest offset of a non-empty payload field; SIZE_MAX when none */
	hs_err err;       /* first field error */
} fixed;

/* One {Len, MaxLen, Offset} descriptor.  A field pointing outside the
 * message is left empty and flagged: a corrupt offset must never make us read
 * someone else's memory, and the rest of the message is still worth showing. */
static hs_slice field(hs_cur *c, fixed *fx, hs_ntlm_msg *m, unsigned bit, uint16_t *declared)
{
	hs_slice r = { NULL, 0 };
	uint16_t len = hs_cur_u16le(c);
	(void)hs_cur_u16le(c); /* MaxLen: SHOULD equal Len, ignored by Windows */
	uint32_t off = hs_cur_u32le(c);
	if (declared)
		*declared = len;
	if (!hs_cur_ok(c) || len == 0)
		return r;
	r = hs_slice_at(fx->msg, off, len);
	if (!r.p) {
		m->bad_fields |= bit;
		if (fx->err == HS_OK)
			fx->err = HS_E_TRUNCATED;
		return r;
	}
	if (off < fx->data_start)
		fx->data_start = off;
	return r;
}

/* Version (MS-NLMP 2.2.2.10): 8 bytes at `at` when the flag asks for it and
 * the payload leaves room for it.  With no payload at all the Version must
 * be there (a message cut short is truncated, not "without Version"). */
static void version(hs_ntlm_msg *m, fixed *fx, size_t at)
{
	if (!(m->flags & HS_NTLM_NEGOTIATE_VERSION) || fx->data_start < at + 8)
		return;
	hs_slice v = hs_slice_at(fx->msg, at, 8);
	if (!v.p) {
		if (fx->err == HS_OK)
			fx->err = HS_E_TRUNCATED;
		return;
	}
	m->has_version = true;
	m->ver_major = v.p[0];
	m->ver_minor = v.p[1];
	m->ver_build = (uint16_t)(v.p[2] | v.p[3] << 8);
	m->ntlm_revision = v.p[7];
}

/* AV_PAIR list (MS-NLMP 2.2.2.1).  Stops at MsvAvEOL: NTLMv2 responses pad
 * after it (Windows adds 4 zero bytes), so bytes after EOL are not an error. */
static hs_err avlist(hs_slice s, hs_ntlm_avlist *a)
{
	hs_cur c = hs_cur_make(s.p, s.len);
	a->present = true;
	while (c.len > 0) {
		uint16_t id = hs_cur_u16le(&c);
		uint16_t len = hs_cur_u16le(&c);
		hs_slice v = hs_cur_slice(&c, len);
		if (!hs_cur_ok(&c))
			return HS_E_MALFORMED; /* a pair runs past its field */
		if (id == HS_NTLM_AV_EOL) {
			a->eol = true;
			return HS_OK;
		}
		if (a->n < HS_NTLM_MAX_AV) {
			a->av[a->n].id = id;
			a->av[a->n].value = v;
			a->n++;
		} else {
			a->more++;
		}
		switch (id) {
		case HS_NTLM_AV_NB_COMPUTER_NAME: a->nb_computer = v; break;
		case HS_NTLM_AV_NB_DOMAIN_NAME: a->nb_domain = v; break;
		case HS_NTLM_AV_DNS_COMPUTER_NAME: a->dns_computer = v; break;
		case HS_NTLM_AV_DNS_DOMAIN_NAME: a->dns_domain = v; break;
		case HS_NTLM_AV_DNS_TREE_NAME: a->dns_tree = v; break;
		case HS_NTLM_AV_TARGET_NAME: a->target_name = v; break;
		case HS_NTLM_AV_SINGLE_HOST: a->has_single_host = true; break;
		case HS_NTLM_AV_CHANNEL_BINDINGS:
			a->has_channel_bindings = true;
			a->channel_bindings = v;
			break;
		case HS_NTLM_AV_FLAGS:
			if (len != 4)
				return HS_E_MALFORMED;
			a->has_flags = true;
			a->flags = (uint32_t)v.p[0] | (uint32_t)v.p[1] << 8 | (uint32_t)v.p[2] << 16 | (uint32_t)v.p[3] << 24;
			break;
		case HS_NTLM_AV_TIMESTAMP: {
			if (len != 8)
				return HS_E_MALFORMED;
			hs_cur t = hs_cur_make(v.p, v.len);
			a->has_timestamp = true;
			a->timestamp = hs_cur_u64le(&t);
			break;
		}
		default:
			break;
		}
	}
	return HS_OK; /* ended without MsvAvEOL: tolerated, a->eol says so */
}

static hs_err negotiate(hs_cur *c, fixed *fx, hs_ntlm_msg *m)
{
	m->flags = hs_cur_u32le(c);
	/* NEGOTIATE's names are OEM whatever the flags say (MS-NLMP 2.2.1.1). */
	m->unicode = false;
	m->domain = field(c, fx, m, HS_NTLM_F_DOMAIN, NULL);
	m->workstation = field(c, fx, m, HS_NTLM_F_WORKSTATION, NULL);
	if (!hs_cur_ok(c))
		return c->err;
	version(m, fx, 32);
	return fx->err;
}

static hs_err challenge(hs_cur *c, fixed *fx, hs_ntlm_msg *m)
{
	hs_cur tn = hs_cur_sub(c, 8); /* TargetNameFields: read after flags */
	m->flags = hs_cur_u32le(c);
	m->unicode = (m->flags & HS_NTLM_NEGOTIATE_UNICODE) != 0;
	m->server_challenge = hs_cur_slice(c, 8);
	hs_cur_skip(c, 8); /* Reserved */
	hs_cur ti = hs_cur_sub(c, 8);
	if (!hs_cur_ok(c))
		return c->err;
	m->target_name = field(&tn, fx, m, HS_NTLM_F_TARGET_NAME, NULL);
	hs_slice info = field(&ti, fx, m, HS_NTLM_F_TARGET_INFO, NULL);
	version(m, fx, 48);
	if (info.p) {
		hs_err e = avlist(info, &m->av);
		if (e != HS_OK && fx->err == HS_OK)
			fx->err = e;
	}
	return fx->err;
}

/* NTLMv2 response (MS-NLMP 2.2.2.8): NTProofStr(16) then
 * NTLMv2_CLIENT_CHALLENGE (2.2.2.7): RespType(1)=1 HiRespType(1)=1
 * Reserved1(2) Reserved2(4) TimeStamp(8) ChallengeFromClient(8) Reserved3(4)
 * AvPairs. */
static hs_err ntlmv2_response(hs_ntlm_msg *m)
{
	hs_cur c = hs_cur_make(m->nt_response.p, m->nt_response.len);
	m->nt_proof = hs_cur_slice(&c, 16);
	uint8_t resp = hs_cur_u8(&c), hi = hs_cur_u8(&c);
	hs_cur_skip(&c, 6);
	uint64_t ts = hs_cur_u64le(&c);
	hs_slice cc = hs_cur_slice(&c, 8);
	hs_cur_skip(&c, 4);
	if (!hs_cur_ok(&c) || resp != 1 || hi != 1)
		return HS_E_MALFORMED;
	m->has_client_timestamp = true;
	m->client_timestamp = ts;
	m->client_challenge = cc;
	hs_slice av = { c.p, c.len };
	return avlist(av, &m->av);
}

static hs_err authenticate(hs_cur *c, fixed *fx, hs_ntlm_msg *m)
{
	/* Descriptors first, flags at 60, then interpret the names. */
	hs_cur d = hs_cur_sub(c, 48);
	m->flags = hs_cur_u32le(c);
	if (!hs_cur_ok(c))
		return c->err;
	m->unicode = (m->flags & HS_NTLM_NEGOTIATE_UNICODE) != 0;
	uint16_t lm_len = 0, nt_len = 0, user_len = 0;
	m->lm_response = field(&d, fx, m, HS_NTLM_F_LM_RESPONSE, &lm_len);
	m->nt_response = field(&d, fx, m, HS_NTLM_F_NT_RESPONSE, &nt_len);
	m->domain = field(&d, fx, m, HS_NTLM_F_DOMAIN, NULL);
	m->user = field(&d, fx, m, HS_NTLM_F_USER, &user_len);
	m->workstation = field(&d, fx, m, HS_NTLM_F_WORKSTATION, NULL);
	m->session_key = field(&d, fx, m, HS_NTLM_F_SESSION_KEY, NULL);
	version(m, fx, 64);
	/* The MIC (MS-NLMP 2.2.1.3) has no flag of its own in the header: it is
	 * there when the payload leaves 16 bytes for it after the Version, and
	 * MsvAvFlags bit 0x2 in the NTLMv2 response says it is meaningful. */
	if (m->has_version && fx->data_start >= 88) {
		hs_slice mic = hs_slice_at(fx->msg, 72, 16);
		if (mic.p) {
			m->has_mic_field = true;
			m->mic = mic;
		}
	}
	/* MS-NLMP 3.3.1/3.3.2: an NT response of 24 bytes is NTLMv1 (or v1 with
	 * extended session security); longer ones are NTLMv2. */
	if (m->nt_response.len > 24) {
		m->ntlmv2 = true;
		hs_err e = ntlmv2_response(m);
		if (e != HS_OK && fx->err == HS_OK)
			fx->err = e;
	}
	/* Anonymous (MS-NLMP 3.2.5.1.2 client side, 3.3.1 server side): user
	 * name empty, NtChallengeResponse empty, LmChallengeResponse empty or
	 * Z(1).  This is the NT AUTHORITY\ANONYMOUS LOGON of a failed second
	 * hop.  Declared lengths are used so a corrupt offset cannot fake it. */
	bool lm_empty = lm_len == 0 ||
		(lm_len == 1 && m->lm_response.p && m->lm_response.p[0] == 0);
	m->anonymous = user_len == 0 && nt_len == 0 && lm_empty;
	return fx->err;
}

hs_err hs_ntlm_decode(const uint8_t *p, size_t len, hs_ntlm_msg *m)
{
	memset(m, 0, sizeof *m);
	hs_cur c = hs_cur_make(p, len);
	fixed fx = { { p, len }, SIZE_MAX, HS_OK };
	const uint8_t *sig = hs_cur_bytes(&c, 8);
	if (!sig)
		return len > 0 && memcmp(p, signature, len < 8 ? len : 8) != 0 ? HS_E_UNKNOWN : HS_E_TRUNCATED;
	if (memcmp(sig, signature, 8) != 0)
		return HS_E_UNKNOWN;
	uint32_t type = hs_cur_u32le(&c);
	if (!hs_cur_ok(&c))
		return c.err;
	m->type = type;
	switch (type) {
	case 1: return negotiate(&c, &fx, m);
	case 2: return challenge(&c, &fx, m);
	case 3: return authenticate(&c, &fx, m);
	default: return HS_E_MALFORMED;
	}
}

/* Append one code point as UTF-8 if it fits entirely. */
static bool put_cp(char *buf, size_t n, size_t *o, uint32_t cp)
{
	char t[4];
	size_t k;
	if (cp < 0x80) {
		t[0] = (char)cp;
		k = 1;
	} else if (cp < 0x800) {
		t[0] = (char)(0xc0 | cp >> 6);
		t[1] = (char)(0x80 | (cp & 0x3f));
		k = 2;
	} else if (cp < 0x10000) {
		t[0] = (char)(0xe0 | cp >> 12);
		t[1] = (char)(0x80 | ((cp >> 6) & 0x3f));
		t[2] = (char)(0x80 | (cp & 0x3f));
		k = 3;
	} else {
		t[0] = (char)(0xf0 | cp >> 18);
		t[1] = (char)(0x80 | ((cp >> 12) & 0x3f));
		t[2] = (char)(0x80 | ((cp >> 6) & 0x3f));
		t[3] = (char)(0x80 | (cp & 0x3f));
		k = 4;
	}
	if (*o + k >= n)
		return false;
	memcpy(buf + *o, t, k);
	*o += k;
	return true;
}

/* Length of a valid UTF-8 sequence at s (at most n bytes), 0 if invalid. */
static size_t utf8_seq(const uint8_t *s, size_t n, uint32_t *cp)
{
	uint8_t b = s[0];
	size_t k;
	uint32_t v, min;
	if (b < 0x80) {
		*cp = b;
		return 1;
	} else if ((b & 0xe0) == 0xc0) {
		k = 2; v = b & 0x1f; min = 0x80;
	} else if ((b & 0xf0) == 0xe0) {
		k = 3; v = b & 0x0f; min = 0x800;
	} else if ((b & 0xf8) == 0xf0) {
		k = 4; v = b & 0x07; min = 0x10000;
	} else {
		return 0;
	}
	if (k > n)
		return 0;
	for (size_t i = 1; i < k; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return 0;
		v = v << 6 | (s[i] & 0x3f);
	}
	if (v < min || v > 0x10ffff || (v >= 0xd800 && v <= 0xdfff))
		return 0;
	*cp = v;
	return k;
}

size_t hs_ntlm_text(hs_slice s, bool unicode, char *buf, size_t n)
{
	size_t o = 0;
	if (n == 0)
		return 0;
	if (unicode) {
		size_t i = 0;
		while (i + 1 < s.len) {
			uint32_t u = (uint32_t)(s.p[i] | s.p[i + 1] << 8);
			i += 2;
			if (u >= 0xd800 && u <= 0xdbff) {
				uint32_t l = i + 1 < s.len ? (uint32_t)(s.p[i] | s.p[i + 1] << 8) : 0;
				if (l >= 0xdc00 && l <= 0xdfff) {
					u = 0x10000 + ((u - 0xd800) << 10) + (l - 0xdc00);
					i += 2;
				} else {
					u = 0xfffd; /* high surrogate without its pair */
				}
			} else if (u >= 0xdc00 && u <= 0xdfff) {
				u = 0xfffd; /* lone low surrogate */
			}
			if (!put_cp(buf, n, &o, u))
				goto out;
		}
		if (s.len & 1)
			(void)put_cp(buf, n, &o, 0xfffd); /* odd byte count: half a code unit */
	} else {
		size_t i = 0;
		while (i < s.len) {
			uint32_t cp;
			size_t k = utf8_seq(s.p + i, s.len - i, &cp);
			if (k == 0) {
				cp = 0xfffd;
				k = 1;
			}
			if (!put_cp(buf, n, &o, cp))
				goto out;
			i += k;
		}
	}
out:
	buf[o] = 0;
	return o;
}

const char *hs_ntlm_type_name(uint32_t type)
{
	switch (type) {
	case 1: return "NEGOTIATE";
	case 2: return "CHALLENGE";
	case 3: return "AUTHENTICATE";
	default: return "unknown";
	}
}

const char *hs_ntlm_flag_name(uint32_t bit)
{
	switch (bit) {
	case HS_NTLM_NEGOTIATE_UNICODE: return "NEGOTIATE_UNICODE";
	case HS_NTLM_NEGOTIATE_OEM: return "NEGOTIATE_OEM";
	case HS_NTLM_REQUEST_TARGET: return "REQUEST_TARGET";
	case HS_NTLM_NEGOTIATE_SIGN: return "NEGOTIATE_SIGN";
	case HS_NTLM_NEGOTIATE_SEAL: return "NEGOTIATE_SEAL";
	case HS_NTLM_NEGOTIATE_DATAGRAM: return "NEGOTIATE_DATAGRAM";
	case HS_NTLM_NEGOTIATE_LM_KEY: return "NEGOTIATE_LM_KEY";
	case HS_NTLM_NEGOTIATE_NTLM: return "NEGOTIATE_NTLM";
	case HS_NTLM_ANONYMOUS: return "ANONYMOUS";
	case HS_NTLM_NEGOTIATE_OEM_DOMAIN_SUPPLIED: return "NEGOTIATE_OEM_DOMAIN_SUPPLIED";
	case HS_NTLM_NEGOTIATE_OEM_WORKSTATION_SUPPLIED: return "NEGOTIATE_OEM_WORKSTATION_SUPPLIED";
	case HS_NTLM_NEGOTIATE_ALWAYS_SIGN: return "NEGOTIATE_ALWAYS_SIGN";
	case HS_NTLM_TARGET_TYPE_DOMAIN: return "TARGET_TYPE_DOMAIN";
	case HS_NTLM_TARGET_TYPE_SERVER: return "TARGET_TYPE_SERVER";
	case HS_NTLM_NEGOTIATE_EXTENDED_SESSIONSECURITY: return "NEGOTIATE_EXTENDED_SESSIONSECURITY";
	case HS_NTLM_NEGOTIATE_IDENTIFY: return "NEGOTIATE_IDENTIFY";
	case HS_NTLM_REQUEST_NON_NT_SESSION_KEY: return "REQUEST_NON_NT_SESSION_KEY";
	case HS_NTLM_NEGOTIATE_TARGET_INFO: return "NEGOTIATE_TARGET_INFO";
	case HS_NTLM_NEGOTIATE_VERSION: return "NEGOTIATE_VERSION";
	case HS_NTLM_NEGOTIATE_128: return "NEGOTIATE_128";
	case HS_NTLM_NEGOTIATE_KEY_EXCH: return "NEGOTIATE_KEY_EXCH";
	case HS_NTLM_NEGOTIATE_56: return "NEGOTIATE_56";
	default: return NULL;
	}
}

/* ---- describe ---------------------------------------------------------- */

#define NAME_BUF 1024

static void text(hs_out *o, const char *key, hs_slice s, bool unicode)
{
	char buf[NAME_BUF];
	size_t n = hs_ntlm_text(s, unicode, buf, sizeof buf);
	hs_out_str(o, key, buf, n);
}

static void hex(hs_out *o, const char *key, hs_slice s)
{
	char buf[2 * 1024 + 1];
	size_t n = s.len > 1024 ? 1024 : s.len;
	for (size_t i = 0; i < n; i++)
		snprintf(buf + 2 * i, 3, "%02x", s.p[i]);
	hs_out_str(o, key, buf, 2 * n);
}

static void secret(hs_out *o, const char *key, const char *len_key, hs_slice s, unsigned flags)
{
	hs_out_uint(o, len_key, s.len);
	if ((flags & HS_DESCRIBE_SECRETS) && s.len)
		hex(o, key, s);
}

static bool all_zero(hs_slice s)
{
	for (size_t i = 0; i < s.len; i++)
		if (s.p[i])
			return false;
	return true;
}

static void describe_av(const hs_ntlm_avlist *a, hs_out *o)
{
	hs_out_begin(o, "av_pairs");
	/* AV pair values are always UTF-16LE (MS-NLMP 2.2.2.1). */
	if (a->nb_computer.p)
		text(o, "nb_computer_name", a->nb_computer, true);
	if (a->nb_domain.p)
		text(o, "nb_domain_name", a->nb_domain, true);
	if (a->dns_computer.p)
		text(o, "dns_computer_name", a->dns_computer, true);
	if (a->dns_domain.p)
		text(o, "dns_domain_name", a->dns_domain, true);
	if (a->dns_tree.p)
		text(o, "dns_tree_name", a->dns_tree, true);
	if (a->target_name.p)
		text(o, "target_name", a->target_name, true);
	if (a->has_flags) {
		hs_out_hex32(o, "av_flags", a->flags);
		hs_out_begin_list(o, "av_flag_names");
		if (a->flags & HS_NTLM_AVF_ACCOUNT_CONSTRAINED)
			hs_out_cstr(o, NULL, "account_constrained");
		if (a->flags & HS_NTLM_AVF_MIC_PRESENT)
			hs_out_cstr(o, NULL, "mic_present");
		if (a->flags & HS_NTLM_AVF_UNTRUSTED_SPN)
			hs_out_cstr(o, NULL, "untrusted_spn_source");
		hs_out_end_list(o);
	}
	if (a->has_timestamp)
		hs_out_filetime(o, "timestamp", a->timestamp);
	hs_out_bool(o, "single_host", a->has_single_host);
	hs_out_bool(o, "channel_bindings", a->has_channel_bindings);
	if (a->has_channel_bindings)
		/* All-zero bindings = the client had none to give (no TLS). */
		hs_out_bool(o, "channel_bindings_zero", all_zero(a->channel_bindings));
	hs_out_begin_list(o, "ids");
	for (unsigned i = 0; i < a->n; i++)
		hs_out_uint(o, NULL, a->av[i].id);
	hs_out_end_list(o);
	if (a->more)
		hs_out_uint(o, "ids_more", a->more);
	hs_out_bool(o, "eol", a->eol);
	hs_out_end(o);
}

void hs_ntlm_describe(const void *body, hs_out *o, unsigned flags)
{
	const hs_ntlm_msg *m = body;
	if (!m)
		return;
	hs_out_uint(o, "ntlm_type", m->type);
	hs_out_cstr(o, "msg", hs_ntlm_type_name(m->type));
	if (m->type < 1 || m->type > 3)
		return;
	hs_out_hex32(o, "flags", m->flags);
	hs_out_begin_list(o, "flag_names");
	for (unsigned b = 0; b < 32; b++) {
		const char *n = hs_ntlm_flag_name(1u << b);
		if ((m->flags & (1u << b)) && n)
			hs_out_cstr(o, NULL, n);
	}
	hs_out_end_list(o);
	if (m->has_version) {
		hs_out_fmt(o, "os_version", "%u.%u.%u", m->ver_major, m->ver_minor, m->ver_build);
		hs_out_uint(o, "ntlm_revision", m->ntlm_revision);
	}
	switch (m->type) {
	case 1:
		if (m->domain.p)
			text(o, "domain", m->domain, false);
		if (m->workstation.p)
			text(o, "workstation", m->workstation, false);
		break;
	case 2:
		text(o, "target_name", m->target_name, m->unicode);
		hs_out_uint(o, "server_challenge_len", m->server_challenge.len);
		if (flags & HS_DESCRIBE_SECRETS)
			hex(o, "server_challenge", m->server_challenge);
		if (m->av.present)
			describe_av(&m->av, o);
		break;
	case 3:
		text(o, "user", m->user, m->unicode);
		text(o, "domain", m->domain, m->unicode);
		text(o, "workstation", m->workstation, m->unicode);
		hs_out_bool(o, "anonymous", m->anonymous);
		if (m->nt_response.len > 24)
			hs_out_cstr(o, "version", "v2");
		else if (m->nt_response.len == 24)
			hs_out_cstr(o, "version", "v1");
		else
			hs_out_null(o, "version");
		secret(o, "lm_response", "lm_response_len", m->lm_response, flags);
		secret(o, "nt_response", "nt_response_len", m->nt_response, flags);
		secret(o, "session_key", "session_key_len", m->session_key, flags);
		hs_out_bool(o, "mic", m->has_mic_field && m->av.has_flags && (m->av.flags & HS_NTLM_AVF_MIC_PRESENT));
		if ((flags & HS_DESCRIBE_SECRETS) && m->has_mic_field)
			hex(o, "mic_value", m->mic);
		if (m->has_client_timestamp)
			hs_out_filetime(o, "client_timestamp", m->client_timestamp);
		if (m->av.present)
			describe_av(&m->av, o);
		break;
	default:
		break;
	}
	if (m->bad_fields) {
		static const char *const names[] = { "domain", "workstation", "user", "lm_response",
			"nt_response", "session_key", "target_name", "target_info" };
		hs_out_begin_list(o, "bad_fields");
		for (unsigned i = 0; i < sizeof names / sizeof names[0]; i++)
			if (m->bad_fields & (1u << i))
				hs_out_cstr(o, NULL, names[i]);
		hs_out_end_list(o);
	}
}

/* NTLMSSP travels inside other protocols only: no port of its own. */
const hs_proto_def hs_ntlm_proto = { .id = HS_PROTO_NTLMSSP, .describe = hs_ntlm_describe };
