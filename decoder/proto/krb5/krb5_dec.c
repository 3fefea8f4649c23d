/* krb5_dec.c - the key store and the decryption of Kerberos encrypted
 * parts (see krb5_dec.h). */
#include "krb5_dec.h"

#include <errno.h>
#include <stddef.h>
#include <string.h>

#include <glib.h>
#include <glib/gstdio.h>
#include <sys/stat.h>
#include <openssl/crypto.h>

#include "der.h"
#include "krb5_asn1.h"
#include "keyfile.h"
#include "keytab.h"

typedef struct lt_key {
	char principal[HS_KEYTAB_MAX_PRINC + 1];
	uint32_t kvno;
	hs_krb_key key;
} lt_key;

struct hs_krb_keys {
	GArray *lt;                                  /* lt_key: long-term keys */
	hs_krb_key sess[HS_KRB_MAX_SESSION_KEYS];    /* ring of learnt keys */
	size_t n_sess, next_sess;
	uint64_t evicted;
	/* scratch of the decryptions, kept from one message to the next so
	 * that decrypting allocates nothing per message: plain texts (grown to
	 * the largest cipher text met, at most 2 x HS_KRB_DEC_MAX_PLAIN + 2)
	 * and the KRB-CRED of a forwarded TGT; wiped after each use */
	uint8_t *work;
	size_t work_len;
	hs_krb_msg cred;
};

hs_krb_keys *hs_krb_keys_new(void)
{
	hs_krb_keys *k = g_new0(hs_krb_keys, 1);
	k->lt = g_array_new(FALSE, TRUE, sizeof(lt_key));
	return k;
}

void hs_krb_keys_free(hs_krb_keys *k)
{
	if (!k)
		return;
	if (k->lt->len)
		OPENSSL_cleanse(k->lt->data, k->lt->len * sizeof(lt_key));
	g_array_free(k->lt, TRUE);
	if (k->work) {
		OPENSSL_cleanse(k->work, k->work_len);
		g_free(k->work);
	}
	OPENSSL_cleanse(k, sizeof *k);
	g_free(k);
}

size_t hs_krb_keys_count(const hs_krb_keys *k) { return k ? k->lt->len : 0; }
uint64_t hs_krb_keys_evicted(const hs_krb_keys *k) { return k ? k->evicted : 0; }

typedef struct load_ctx {
	hs_krb_keys *k;
	size_t added, unsupported;
	size_t seen;   /* entries the parser handed over */
	bool capped;
} load_ctx;

static bool same_key(const hs_krb_key *a, const hs_krb_key *b)
{
	return a->etype == b->etype && a->len == b->len && CRYPTO_memcmp(a->k, b->k, a->len) == 0;
}

static bool on_entry(void *ud, const hs_keytab_entry *e)
{
	load_ctx *c = ud;
	lt_key n;
	c->seen++;
	memset(&n, 0, sizeof n);
	if (!hs_krb_etype_keylen(e->etype) || e->keylen != hs_krb_etype_keylen(e->etype)) {
		c->unsupported++;
		return true;
	}
	g_strlcpy(n.principal, e->principal, sizeof n.principal);
	n.kvno = e->kvno;
	n.key.etype = e->etype;
	n.key.len = e->keylen;
	memcpy(n.key.k, e->key, e->keylen);
	for (guint i = 0; i < c->k->lt->len; i++) {
		lt_key *o = &g_array_index(c->k->lt, lt_key, i);
		if (o->kvno == n.kvno && same_key(&o->key, &n.key) && !g_ascii_strcasecmp(o->principal, n.principal)) {
			OPENSSL_cleanse(&n, sizeof n);
			return true;
		}
	}
	if (c->k->lt->len >= HS_KRB_MAX_KEYS) {
		c->capped = true;
		OPENSSL_cleanse(&n, sizeof n);
		return false;
	}
	g_array_append_val(c->k->lt, n);
	OPENSSL_cleanse(&n, sizeof n);
	c->added++;
	return true;
}

hs_err hs_krb_keys_load(hs_krb_keys *k, const char *path, size_t *added, size_t *unsupported, bool *capped, char *err,
			size_t errlen)
{
	gchar *buf = NULL;
	gsize len = 0;
	load_ctx c = { k, 0, 0, 0, false };
	if (added) *added = 0;
	if (unsupported) *unsupported = 0;
	if (capped) *capped = false;
	GByteArray *b = NULL;
	hs_err rr = hs_keyfile_read(path, 0, HS_KEYTAB_MAX_FILE, &b, err, errlen);
	if (rr != HS_OK)
		return rr;
	len = b->len;
	buf = (gchar *)g_byte_array_free(b, FALSE);
	hs_err r = hs_keytab_parse((const uint8_t *)buf, len, on_entry, &c, err, errlen);
	/* The format's entry cap is the key store's cap too: a keytab with more
	 * entries loads its first ones, with the krb_key_cap warning. */
	if (r == HS_E_LIMIT && c.seen == HS_KEYTAB_MAX_ENTRIES) {
		r = HS_OK;
		c.capped = true;
	}
	OPENSSL_cleanse(buf, len);
	g_free(buf);
	if (added) *added = c.added;
	if (unsupported) *unsupported = c.unsupported;
	if (capped) *capped = c.capped;
	return r;
}

/* Remember a learnt key (newest first when searched); false when the ring
 * evicted one. */
static bool learn(hs_krb_keys *k, const hs_krb_key *key)
{
	bool ok = true;
	if (!key->len || !hs_krb_etype_keylen(key->etype))
		return true;
	for (size_t i = 0; i < k->n_sess; i++)
		if (same_key(&k->sess[i], key))
			return true;
	if (k->n_sess == HS_KRB_MAX_SESSION_KEYS) {
		k->evicted++;
		ok = false;
	} else {
		k->n_sess++;
	}
	k->sess[k->next_sess] = *key;
	k->next_sess = (k->next_sess + 1) % HS_KRB_MAX_SESSION_KEYS;
	return ok;
}

/* ---- key trials ---- */

/* One decryption run: the key store, its work buffer (plain texts; the
 * second half keeps an authenticator while the KRB-CRED in its checksum is
 * decrypted into the first) and the trials made on the current part. */
typedef struct trial {
	hs_krb_keys *k;
	uint8_t *buf;
	size_t buf_len;
	size_t plain_len;
	unsigned tried;
	bool cred_info; /* an EncKrbCredPart's first KrbCredInfo was reached */
} trial;

/* ---- plain text ASN.1 (RFC 4120 s5) ----
 * The plain texts are tables walked by krb5_asn1.c, the walker of the
 * PDUs: what each field is and where it goes.  Names, realms and times go
 * into text buffers (arg: the buffer's size); fields after the last entry
 * of an `open` type (renew-till, caddr, authorization-data: the PAC ...)
 * are not needed. */

/* printed text: no control bytes */
static void sanitize(char *out)
{
	for (char *p = out; *p; p++)
		if ((unsigned char)*p < 0x20 || *p == 0x7f)
			*p = '?';
}

/* PrincipalName as "a/b" text, cut to the buffer (n >= 1). */
static void name_join(const hs_krb_name *nm, char *out, size_t n)
{
	size_t off = 0;
	for (unsigned i = 0; i < nm->n; i++) {
		if (i && off + 1 < n)
			out[off++] = '/';
		size_t k = nm->comp[i].len < n - 1 - off ? nm->comp[i].len : n - 1 - off;
		if (k)
			memcpy(out + off, nm->comp[i].p, k);
		off += k;
	}
	out[off] = 0;
}

/* The leaves of the plain texts are read leniently (as they always were
 * here): they come out of an integrity-checked cipher text, so a name-type,
 * keytype or checksum member that does not decode is left out rather than
 * failing the part; the structure around them (the [n] and SEQUENCE
 * elements) is checked as everywhere else. */

/* PrincipalName (s5.2.2) as "a/b" text (f->arg: the buffer's size) */
static void name_text(hs_ka *k, hs_cur *c, void *out, const hs_ka_field *f)
{
	hs_cur s, t, b, l;
	char *o = out;
	size_t n = (size_t)f->arg, off = 0, total = 0;
	(void)k;
	o[0] = 0;
	if (!hs_der_expect(c, HS_DER_UNIVERSAL, HS_DER_SEQUENCE, true, &s))
		return;
	int64_t type;
	if (hs_der_ctx(&s, 0, &t) && hs_der_int64(&t, &type))
		hs_der_close(&s, &t);
	if (hs_der_ctx(&s, 1, &b) && hs_der_expect(&b, HS_DER_UNIVERSAL, HS_DER_SEQUENCE, true, &l)) {
		while (hs_cur_ok(&l) && l.len) {
			hs_slice x;
			if (!hs_der_string(&l, &x))
				break;
			hs_slice part[2] = { { (const uint8_t *)"/", total ? 1u : 0u }, x };
			for (int i = 0; i < 2; i++) {
				size_t room = n - 1 - off, w = part[i].len < room ? part[i].len : room;
				if (w)
					memcpy(o + off, part[i].p, w);
				off += w;
				total += part[i].len;
			}
		}
		o[off] = 0;
		hs_der_close(&b, &l);
		hs_der_close(&s, &b);
	}
	hs_der_close(c, &s);
	sanitize(o);
}

static void str_text(hs_ka *k, hs_cur *b, void *out, const hs_ka_field *f)
{
	hs_slice s;
	char *o = out;
	size_t n = (size_t)f->arg;
	(void)k;
	if (!hs_der_string(b, &s))
		return;
	size_t len = s.len < n - 1 ? s.len : n - 1;
	memcpy(o, s.p, len);
	o[len] = 0;
	sanitize(o);
	if (memchr(s.p, 0, len))
		o[0] = 0;
}

static void time_text(hs_ka *k, hs_cur *b, void *out, const hs_ka_field *f)
{
	hs_slice s;
	(void)k;
	(void)f;
	if (hs_der_gentime(b, &s) && s.len == 15) {
		memcpy(out, s.p, 15);
		((char *)out)[15] = 0;
	}
}

/* EncryptionKey ::= SEQUENCE { keytype [0] Int32, keyvalue [1] OCTET
 * STRING } (s5.2.9): kept when its length is the etype's. */
static void enc_key(hs_ka *k, hs_cur *c, void *out, const hs_ka_field *f)
{
	hs_krb_key *key = out;
	hs_cur s, m;
	int64_t t = 0;
	hs_slice v = { NULL, 0 };
	(void)k;
	(void)f;
	if (!hs_der_expect(c, HS_DER_UNIVERSAL, HS_DER_SEQUENCE, true, &s))
		return;
	if (hs_der_ctx(&s, 0, &m) && hs_der_int64(&m, &t))
		hs_der_close(&s, &m);
	if (hs_der_ctx(&s, 1, &m) && hs_der_octets(&m, &v))
		hs_der_close(&s, &m);
	hs_der_close(c, &s);
	if (hs_cur_ok(c) && v.len <= HS_KRB_KEY_MAX && v.len == hs_krb_etype_keylen((int32_t)t)) {
		key->etype = (int32_t)t;
		key->len = (uint32_t)v.len;
		memcpy(key->k, v.p, v.len);
	}
}

/* Checksum ::= SEQUENCE { cksumtype [0] Int32, checksum [1] OCTET STRING }
 * into an hs_krb_cksum (its value a slice into the plain text) */
static void cksum(hs_ka *k, hs_cur *c, void *out, const hs_ka_field *f)
{
	hs_krb_cksum *ck = out;
	hs_cur q, g;
	int64_t ty = 0;
	(void)k;
	(void)f;
	if (hs_der_expect(c, HS_DER_UNIVERSAL, HS_DER_SEQUENCE, true, &q)) {
		if (hs_der_ctx(&q, 0, &g) && hs_der_int64(&g, &ty))
			hs_der_close(&q, &g);
		if (hs_der_ctx(&q, 1, &g) && hs_der_octets(&g, &ck->value))
			hs_der_close(&q, &g);
		hs_der_close(c, &q);
	}
	ck->present = true;
	ck->type = (int32_t)ty;
}

#define TEXT(t, o, fn, m) { t, o, HS_KA_FN, (int32_t)sizeof(((TYPE *)0)->m), offsetof(TYPE, m), HS_KA_NONE, NULL, fn }
#define KEY(t, o, m) HS_KA_FFO(t, o, enc_key, m)
#define KEYH(t, o, m, h) { t, o, HS_KA_FN, 0, offsetof(TYPE, m), offsetof(TYPE, h), NULL, enc_key }
#define SKIP(t, o) HS_KA_CHECK(t, o, HS_KA_SKIP)
#define OPEN(cls, tag, f) { cls, tag, true, true, HS_KA_N(f), HS_KA_NONE, f }

/* EncTicketPart ::= [APPLICATION 3] SEQUENCE (RFC 4120 s5.3) */
#define TYPE hs_krb_dec_ticket
static const hs_ka_field enc_ticket_f[] = {
	HS_KA_F(0, false, HS_KA_BITS, flags), KEY(1, false, session_key), TEXT(2, false, str_text, crealm),
	TEXT(3, false, name_text, cname), SKIP(4, false) /* transited */, TEXT(5, false, time_text, authtime),
	SKIP(6, true) /* starttime */, TEXT(7, false, time_text, endtime),
};
#undef TYPE
static const hs_ka_type enc_ticket_t = OPEN(HS_DER_APPLICATION, 3, enc_ticket_f);

/* EncKDCRepPart (s5.4.2), as [APPLICATION 25] or [26] */
#define TYPE hs_krb_dec_rep
static const hs_ka_field enc_rep_f[] = {
	KEY(0, false, session_key), SKIP(1, false) /* last-req */, HS_KA_F(2, false, HS_KA_UINT32, nonce),
	SKIP(3, true) /* key-expiration */, HS_KA_F(4, false, HS_KA_BITS, flags), TEXT(5, false, time_text, authtime),
	SKIP(6, true) /* starttime */, TEXT(7, false, time_text, endtime), SKIP(8, true) /* renew-till */,
	TEXT(9, false, str_text, srealm), TEXT(10, false, name_text, sname),
};
#undef TYPE
static const hs_ka_type enc_rep_t = OPEN(HS_DER_APPLICATION, 25, enc_rep_f);

/* Authenticator ::= [APPLICATION 2] SEQUENCE (s5.5.1): into v, and the
 * checksum into cks (its value a slice into the plain text). */
typedef struct auth_walk {
	hs_krb_dec_auth v;
	hs_krb_cksum cks;
} auth_walk;
#define TYPE auth_walk
static const hs_ka_field auth_f[] = {
	SKIP(0, false) /* authenticator-vno */, TEXT(1, false, str_text, v.crealm), TEXT(2, false, name_text, v.cname),
	HS_KA_FFO(3, true, cksum, cks), SKIP(4, false) /* cusec */, TEXT(5, false, time_text, v.ctime),
	KEYH(6, true, v.subkey, v.has_subkey),
};
#undef TYPE
static const hs_ka_type auth_t = OPEN(HS_DER_APPLICATION, 2, auth_f);

/* EncAPRepPart ::= [APPLICATION 27] SEQUENCE (s5.5.2) */
#define TYPE hs_krb_dec_aprep
static const hs_ka_field aprep_f[] = {
	SKIP(0, false) /* ctime */, SKIP(1, false) /* cusec */, KEYH(2, true, subkey, has_subkey),
	HS_KA_FH(3, true, HS_KA_UINT32, seq, has_seq),
};
#undef TYPE
static const hs_ka_type aprep_t = OPEN(HS_DER_APPLICATION, 27, aprep_f);

/* KrbCredInfo (s5.8.1): its key is learnt at once (and not kept), the rest
 * taken as far as it decodes */
static void learn_key(hs_ka *k, hs_cur *b, void *out, const hs_ka_field *f);
#define TYPE hs_krb_dec_auth
static const hs_ka_field cred_info_f[] = {
	HS_KA_FF(0, false, learn_key, 0), TEXT(1, true, str_text, cred_prealm), TEXT(2, true, name_text, cred_pname),
	HS_KA_FH(3, true, HS_KA_BITS, cred_flags, cred_has_flags),
};
#undef TYPE
static const hs_ka_type cred_info_t = OPEN(HS_DER_UNIVERSAL, 0, cred_info_f);

/* EncKrbCredPart ::= [APPLICATION 29] SEQUENCE { ticket-info [0] SEQUENCE
 * OF KrbCredInfo, ... } (s5.8.1): the first KrbCredInfo (a forwarded TGT
 * comes alone) */
static void learn_key(hs_ka *k, hs_cur *b, void *out, const hs_ka_field *f)
{
	trial *t = k->ud;
	hs_krb_key key = { 0, 0, { 0 } };
	hs_der e;
	hs_cur kb = *b;
	(void)out;
	enc_key(k, &kb, &key, f);
	learn(t->k, &key);
	hs_krb_key_wipe(&key);
	(void)hs_der_next(b, &e);
}

static void first_cred_info(hs_ka *k, hs_cur *b, void *out, const hs_ka_field *f)
{
	trial *t = k->ud;
	hs_cur l, ki;
	(void)f;
	if (!hs_ka_open(k, b, HS_DER_UNIVERSAL, HS_DER_SEQUENCE, false, &l) ||
	    !hs_der_expect(&l, HS_DER_UNIVERSAL, HS_DER_SEQUENCE, true, &ki))
		return;
	t->cred_info = true;
	hs_ka_fields(k, &ki, &cred_info_t, out);
	hs_cur_skip(&l, l.len);
	hs_der_close(b, &l);
}
static const hs_ka_field enc_cred_f[] = { { 0, false, HS_KA_FN, 0, 0, HS_KA_NONE, NULL, first_cred_info } };
static const hs_ka_type enc_cred_t = OPEN(HS_DER_APPLICATION, 29, enc_cred_f);

/* KrbFastResponse ::= SEQUENCE { padata [0], strengthen-key [1]
 * EncryptionKey OPTIONAL, finished [2] OPTIONAL, nonce [3] } (RFC 6113
 * s5.4.3) */
typedef struct fast_resp {
	hs_krb_key strengthen;
	bool has_strengthen;
} fast_resp;
#define TYPE fast_resp
static const hs_ka_field fast_resp_f[] = { SKIP(0, false) /* padata */, KEYH(1, true, strengthen, has_strengthen) };
#undef TYPE
static const hs_ka_type fast_resp_t = OPEN(HS_DER_UNIVERSAL, 0, fast_resp_f);

/* Walk a plain text (strictly: no prefix) of type ty into dst. */
static bool walk_plain(trial *t, const uint8_t *p, size_t len, const hs_ka_type *ty, void *dst)
{
	hs_ka k = { NULL, t };
	hs_cur c = hs_cur_make(p, len);
	return hs_ka_walk(&k, &c, ty, dst);
}

static bool enc_ticket_part(trial *t, const uint8_t *p, size_t len, hs_krb_dec_ticket *d)
{
	return walk_plain(t, p, len, &enc_ticket_t, d) && d->session_key.len;
}

/* as [APPLICATION 25] or [26] (Windows uses 25 for both) */
static bool enc_kdc_rep_part(trial *t, const uint8_t *p, size_t len, hs_krb_dec_rep *r)
{
	hs_cur c = hs_cur_make(p, len);
	uint8_t cls;
	bool cons;
	uint32_t tag;
	if (!hs_der_peek(&c, &cls, &cons, &tag) || cls != HS_DER_APPLICATION || (tag != 25 && tag != 26))
		return false;
	hs_ka_type ty = enc_rep_t;
	ty.wrap_tag = (uint8_t)tag;
	return walk_plain(t, p, len, &ty, r) && r->session_key.len;
}


static hs_krb_dec_status try_key(trial *t, const hs_krb_key *key, uint32_t usage, hs_slice ct)
{
	if (t->tried >= HS_KRB_MAX_TRIALS)
		return HS_KRB_DEC_NOT_TRIED;
	t->tried++;
	return hs_krb_decrypt(key, usage, ct.p, ct.len, t->buf, &t->plain_len);
}

static bool principal_is(const char *keyp, const char *name, const char *realm)
{
	char want[2 * HS_KRB_DEC_MAX_TEXT + 2];
	snprintf(want, sizeof want, "%s@%s", name, realm);
	return g_ascii_strcasecmp(keyp, want) == 0;
}

/* Decrypt with a long-term key: the named principal's first, then any key
 * of the etype (an account's keys serve all its SPNs; keytabs name
 * krbtgt as "krbtgt@REALM").  The key that verifies is the answer. */
static hs_krb_dec_status with_lt(trial *t, const hs_krb_enc *e, uint32_t usage, const char *name, const char *realm,
				 char *who, size_t wholen)
{
	hs_krb_dec_status best = HS_KRB_DEC_NO_KEY;
	bool named_other_kvno = false;
	if (!hs_krb_etype_keylen(e->etype))
		return HS_KRB_DEC_UNSUPPORTED;
	for (int pass = 0; pass < 2; pass++) {
		for (guint i = 0; i < t->k->lt->len; i++) {
			lt_key *l = &g_array_index(t->k->lt, lt_key, i);
			bool named = name && principal_is(l->principal, name, realm);
			if ((pass == 0) != named || l->key.etype != e->etype)
				continue;
			if (e->has_kvno && l->kvno != e->kvno && e->kvno != 0) {
				if (named)
					named_other_kvno = true;
				continue;
			}
			hs_krb_dec_status s = try_key(t, &l->key, usage, e->cipher);
			if (s == HS_KRB_DEC_OK) {
				g_strlcpy(who, l->principal, wholen);
				return s;
			}
			/* only the named principal's key failing is an integrity
			 * failure; other accounts' keys failing just are not it */
			if (named && (s == HS_KRB_DEC_INTEGRITY || s == HS_KRB_DEC_MALFORMED))
				best = s;
		}
	}
	if (best == HS_KRB_DEC_NO_KEY && named_other_kvno)
		return HS_KRB_DEC_WRONG_KVNO;
	return best;
}

/* Decrypt with a given key first, then learnt session keys, newest first. */
static hs_krb_dec_status with_session(trial *t, const hs_krb_enc *e, uint32_t usage, const hs_krb_key *first,
				      hs_krb_key *used)
{
	hs_krb_dec_status best = HS_KRB_DEC_NO_KEY;
	if (!hs_krb_etype_keylen(e->etype))
		return HS_KRB_DEC_UNSUPPORTED;
	if (first && first->len && first->etype == e->etype) {
		hs_krb_dec_status s = try_key(t, first, usage, e->cipher);
		if (s == HS_KRB_DEC_OK) {
			if (used)
				*used = *first;
			return s;
		}
		best = s == HS_KRB_DEC_NOT_TRIED ? best : s;
	}
	for (size_t j = 0; j < t->k->n_sess; j++) {
		size_t i = (t->k->next_sess + HS_KRB_MAX_SESSION_KEYS - 1 - j) % HS_KRB_MAX_SESSION_KEYS;
		const hs_krb_key *key = &t->k->sess[i];
		if (key->etype != e->etype || (first && same_key(first, key)))
			continue;
		hs_krb_dec_status s = try_key(t, key, usage, e->cipher);
		if (s == HS_KRB_DEC_OK) {
			if (used)
				*used = *key;
			return s;
		}
		if (s == HS_KRB_DEC_NOT_TRIED)
			break;
		/* a learnt key that does not verify was simply not this part's */
		if (s == HS_KRB_DEC_MALFORMED)
			best = s;
	}
	return best;
}

static void slice_text(hs_slice s, char *out, size_t len)
{
	size_t k = s.len < len - 1 ? s.len : len - 1;
	if (k)
		memcpy(out, s.p, k);
	out[k] = 0;
}

static void dec_ticket(trial *t, const hs_krb_ticket *tk, hs_krb_dec_ticket *d)
{
	char sname[HS_KRB_DEC_MAX_TEXT], realm[HS_KRB_DEC_MAX_TEXT];
	if (!tk->present || !tk->enc.present)
		return;
	d->tried = true;
	name_join(&tk->sname, sname, sizeof sname);
	slice_text(tk->realm, realm, sizeof realm);
	t->tried = 0;
	d->status = with_lt(t, &tk->enc, 2, sname, realm, d->key_principal, sizeof d->key_principal);
	if (d->status == HS_KRB_DEC_OK) {
		if (!enc_ticket_part(t, t->buf, t->plain_len, d)) {
			d->status = HS_KRB_DEC_MALFORMED;
			hs_krb_key_wipe(&d->session_key);
		} else {
			learn(t->k, &d->session_key);
		}
	}
}

/* RFC 4121 s4.1.1: Lgth(4) Bnd(16) Flags(4) [DlgOpt(2) Dlgth(2) Deleg] [Exts] */
static void gss_cksum(trial *t, hs_slice v, const hs_krb_key *sess, hs_krb_dec_auth *a)
{
	hs_cur c = hs_cur_make(v.p, v.len);
	const uint8_t *lg = hs_cur_bytes(&c, 4);
	hs_cur_skip(&c, 16);
	const uint8_t *fl = hs_cur_bytes(&c, 4);
	if (!lg || !fl)
		return;
	a->gss_cksum = true;
	a->gss_flags = (uint32_t)fl[0] | (uint32_t)fl[1] << 8 | (uint32_t)fl[2] << 16 | (uint32_t)fl[3] << 24;
	a->delegation = (a->gss_flags & HS_KRB_GSS_DELEG) != 0;
	if (!a->delegation || c.len < 4)
		return;
	const uint8_t *opt = hs_cur_bytes(&c, 4);
	size_t dl = (size_t)opt[2] | (size_t)opt[3] << 8;
	const uint8_t *cred = hs_cur_bytes(&c, dl);
	if (!cred || dl == 0)
		return;
	hs_krb_msg *km = &t->k->cred; /* too large for the stack, kept by the store */
	if (hs_krb_decode(cred, dl, km) != HS_OK || km->msg_type != HS_KRB_CRED)
		return;
	a->krb_cred = true;
	if (km->n_addl) {
		name_join(&km->addl[0].sname, a->cred_sname, sizeof a->cred_sname);
		slice_text(km->addl[0].realm, a->cred_realm, sizeof a->cred_realm);
	}
	a->cred_status = HS_KRB_DEC_NOT_TRIED;
	if (km->enc_part.present) {
		t->tried = 0;
		if (km->enc_part.etype == 0) {
			a->cred_status = HS_KRB_DEC_UNSUPPORTED;
		} else {
			a->cred_status = with_session(t, &km->enc_part, 14, sess, NULL);
		}
		if (a->cred_status == HS_KRB_DEC_OK) {
			t->cred_info = false;
			walk_plain(t, t->buf, t->plain_len, &enc_cred_t, a);
			if (!t->cred_info)
				a->cred_status = HS_KRB_DEC_MALFORMED;
			OPENSSL_cleanse(t->buf, t->plain_len);
		}
	}
	if (km->n_addl)
		dec_ticket(t, &km->addl[0], &a->cred_ticket);
	memset(km, 0, sizeof *km);
}

/* An Authenticator decrypted with `used`; a KRB-CRED in its GSS checksum
 * is decrypted through t. */
static void auth_plain(trial *t, const uint8_t *plain, size_t plen, const hs_krb_key *used, hs_krb_dec_auth *a)
{
	auth_walk w;
	memset(&w, 0, sizeof w);
	w.v = *a;
	bool ok = walk_plain(t, plain, plen, &auth_t, &w);
	*a = w.v;
	OPENSSL_cleanse(&w.v, sizeof w.v);
	if (!ok) {
		a->status = HS_KRB_DEC_MALFORMED;
		return;
	}
	a->has_cksum = w.cks.present;
	a->cksum_type = w.cks.type;
	a->has_subkey = a->has_subkey && a->subkey.len;
	if (a->has_subkey)
		learn(t->k, &a->subkey);
	if (a->has_cksum && a->cksum_type == 0x8003)
		gss_cksum(t, w.cks.value, used, a);
}

/* An authenticator, with the ticket's session key when the ticket opened,
 * else a learnt one (the key of a forwarded TGT, learnt from the KRB-CRED
 * that carried it); *key_out (may be NULL) gets the key that opened it:
 * the ticket's session key either way. */
static void dec_auth(trial *t, const hs_krb_enc *e, uint32_t usage, const hs_krb_key *sess, hs_krb_dec_auth *a,
		     hs_krb_key *key_out)
{
	if (!e->present)
		return;
	a->tried = true;
	t->tried = 0;
	hs_krb_key used = { 0, 0, { 0 } };
	a->status = with_session(t, e, usage, sess, &used);
	if (a->status != HS_KRB_DEC_OK)
		return;
	if (key_out)
		*key_out = used;
	/* the KRB-CRED inside is decrypted through t->buf: the authenticator
	 * moves to the second half of the work buffer */
	uint8_t *plain = t->buf + t->buf_len;
	size_t plen = t->plain_len;
	memcpy(plain, t->buf, plen);
	OPENSSL_cleanse(t->buf, plen);
	auth_plain(t, plain, plen, &used, a);
	hs_krb_key_wipe(&used);
	OPENSSL_cleanse(plain, plen);
}

static void dec_aprep(trial *t, const hs_krb_enc *e, hs_krb_dec_aprep *r)
{
	if (!e->present)
		return;
	r->tried = true;
	t->tried = 0;
	r->status = with_session(t, e, 12, NULL, &r->used);
	if (r->status != HS_KRB_DEC_OK)
		return;
	if (!walk_plain(t, t->buf, t->plain_len, &aprep_t, r))
		r->status = HS_KRB_DEC_MALFORMED;
	OPENSSL_cleanse(t->buf, t->plain_len);
	r->has_subkey = r->status == HS_KRB_DEC_OK && r->has_subkey && r->subkey.len;
	if (r->has_subkey)
		learn(t->k, &r->subkey);
}

/* Try the candidates of a FAST reply: the reply key is KRB-FX-CF2(
 * strengthen-key, reply key, "strengthenkey", "replykey") (RFC 6113
 * s5.4.3), the reply key being the client's long-term key (AS) or the
 * TGS session key / subkey (8 / 9). */
static bool try_strengthened(trial *t, const hs_krb_enc *e, const fast_resp *fr, const hs_krb_key *cand,
			     const uint32_t *usages, unsigned nu, hs_krb_dec_rep *r, const char *kind)
{
	hs_krb_key rk;
	bool ok = false;
	if (!hs_krb_cf2(&fr->strengthen, cand, "strengthenkey", "replykey", &rk) || rk.etype != e->etype)
		return false;
	for (unsigned u = 0; u < nu && !ok; u++)
		if (try_key(t, &rk, usages[u], e->cipher) == HS_KRB_DEC_OK)
			ok = true;
	hs_krb_key_wipe(&rk);
	if (ok) {
		r->status = HS_KRB_DEC_OK;
		r->key_kind = kind;
	}
	return ok;
}

/* A FAST-armoured reply (RFC 6113): enc-fast-rep (usage 52) opens with
 * the armor key learnt from the request; its strengthen key then turns
 * the usual reply key into the one that encrypts the enc-part. */
static void fast_reply(trial *t, const hs_krb_msg *m, hs_krb_dec_rep *r)
{
	fast_resp fr;
	memset(&fr, 0, sizeof fr);
	t->tried = 0;
	r->fast_status = with_session(t, &m->fast.enc, 52, NULL, NULL);
	r->fast_tried = true;
	if (r->fast_status != HS_KRB_DEC_OK)
		return;
	bool ok = walk_plain(t, t->buf, t->plain_len, &fast_resp_t, &fr);
	OPENSSL_cleanse(t->buf, t->plain_len);
	if (!ok) {
		r->fast_status = HS_KRB_DEC_MALFORMED;
		goto out;
	}
	r->fast_strengthened = fr.has_strengthen && fr.strengthen.len;
	if (!r->fast_strengthened)
		goto out;
	t->tried = 0;
	if (m->msg_type == HS_KRB_AS_REP) {
		static const uint32_t as_usage[] = { 3 };
		char cname[HS_KRB_DEC_MAX_TEXT], crealm[HS_KRB_DEC_MAX_TEXT];
		name_join(&m->cname, cname, sizeof cname);
		slice_text(m->crealm, crealm, sizeof crealm);
		for (guint i = 0; i < t->k->lt->len && t->tried < HS_KRB_MAX_TRIALS; i++) {
			lt_key *l = &g_array_index(t->k->lt, lt_key, i);
			if (principal_is(l->principal, cname, crealm) &&
			    try_strengthened(t, &m->enc_part, &fr, &l->key, as_usage, 1, r, "client_key"))
				goto out;
		}
		goto out;
	}
	static const uint32_t tgs_usage[] = { 8, 9 };
	for (size_t j = 0; j < t->k->n_sess && t->tried < HS_KRB_MAX_TRIALS; j++) {
		size_t i = (t->k->next_sess + HS_KRB_MAX_SESSION_KEYS - 1 - j) % HS_KRB_MAX_SESSION_KEYS;
		if (try_strengthened(t, &m->enc_part, &fr, &t->k->sess[i], tgs_usage, 2, r, "session_key"))
			break;
	}
out:
	hs_krb_key_wipe(&fr.strengthen);
}

/* The FAST armor key of a request (RFC 6113 s5.4.1.1): KRB-FX-CF2(subkey,
 * ticket session key, "subkeyarmor", "ticketarmor") from the explicit armor
 * AP-REQ (AS) or the PA-TGS-REQ itself (TGS, implicit armor); learnt so
 * that the reply's enc-fast-rep opens. */
static void learn_armor(trial *t, const hs_krb_key *ticket_key, const hs_krb_dec_auth *a)
{
	hs_krb_key ak;
	if (!ticket_key->len || a->status != HS_KRB_DEC_OK || !a->has_subkey)
		return;
	if (hs_krb_cf2(&a->subkey, ticket_key, "subkeyarmor", "ticketarmor", &ak))
		learn(t->k, &ak);
	hs_krb_key_wipe(&ak);
}

static void dec_rep(trial *t, const hs_krb_msg *m, hs_krb_dec_rep *r)
{
	const hs_krb_enc *e = &m->enc_part;
	if (!e->present)
		return;
	r->tried = true;
	t->tried = 0;
	if (m->msg_type == HS_KRB_AS_REP) {
		char cname[HS_KRB_DEC_MAX_TEXT], crealm[HS_KRB_DEC_MAX_TEXT], who[HS_KRB_DEC_MAX_TEXT];
		name_join(&m->cname, cname, sizeof cname);
		slice_text(m->crealm, crealm, sizeof crealm);
		r->status = with_lt(t, e, 3, cname, crealm, who, sizeof who);
		r->key_kind = "client_key";
		if (r->status != HS_KRB_DEC_OK) {
			/* FAST / PKINIT replies use a reply key that is no long-term key:
			 * a learnt one may be it (RFC 6113 s5.4.3 strengthen key) */
			t->tried = 0;
			if (with_session(t, e, 3, NULL, NULL) == HS_KRB_DEC_OK)
				r->status = HS_KRB_DEC_OK, r->key_kind = "session_key";
		}
	} else {
		r->status = with_session(t, e, 8, NULL, NULL);
		r->key_kind = "session_key";
		if (r->status != HS_KRB_DEC_OK) {
			t->tried = 0;
			hs_krb_dec_status s = with_session(t, e, 9, NULL, NULL);
			if (s == HS_KRB_DEC_OK || r->status == HS_KRB_DEC_NO_KEY)
				r->status = s, r->key_kind = "subkey";
		}
	}
	if (r->status != HS_KRB_DEC_OK && m->fast.present && m->fast.reply && m->fast.enc.present)
		fast_reply(t, m, r);
	if (r->status == HS_KRB_DEC_OK) {
		if (!enc_kdc_rep_part(t, t->buf, t->plain_len, r)) {
			r->status = HS_KRB_DEC_MALFORMED;
			hs_krb_key_wipe(&r->session_key);
		} else {
			learn(t->k, &r->session_key);
		}
		OPENSSL_cleanse(t->buf, t->plain_len);
	}
}

/* The store's work buffer for cipher texts of up to n bytes: 2n bytes
 * (trial's two halves), grown when a larger one comes, never per message. */
static uint8_t *work(hs_krb_keys *k, size_t n)
{
	if (k->work_len < 2 * n) {
		if (k->work) {
			OPENSSL_cleanse(k->work, k->work_len);
			g_free(k->work);
		}
		k->work_len = 2 * n;
		k->work = g_malloc(k->work_len);
	}
	return k->work;
}

bool hs_krb_dec_run(hs_krb_keys *k, hs_krb_msg *m, hs_krb_dec *d)
{
	memset(d, 0, sizeof *d);
	m->dec = NULL;
	if (!k || m->kind != HS_KRB_KIND_PDU)
		return false;
	size_t need = 0;
	/* the largest cipher text of the message bounds the work buffer */
#define NEED(e) do { if ((e).present && (e).cipher.len > need) need = (e).cipher.len; } while (0)
	NEED(m->ap_req.ticket.enc);
	NEED(m->ap_req.authenticator);
	NEED(m->tgs_ap_req.ticket.enc);
	NEED(m->tgs_ap_req.authenticator);
	NEED(m->fast.armor_ap_req.ticket.enc);
	NEED(m->fast.armor_ap_req.authenticator);
	NEED(m->fast.enc);
	NEED(m->ticket.enc);
	NEED(m->enc_part);
	for (unsigned i = 0; i < m->n_addl; i++)
		NEED(m->addl[i].enc);
#undef NEED
	if (!need || need > HS_KRB_DEC_MAX_PLAIN)
		return false;
	trial t = { k, work(k, need), need, 0, 0, false };
	const hs_krb_ap_req *ap = m->msg_type == HS_KRB_AP_REQ ? &m->ap_req
				  : m->tgs_ap_req.present    ? &m->tgs_ap_req
							     : NULL;
	/* the session keys of the AP-REQ's ticket and of the armor ticket, as
	 * the authenticators proved them: without the krbtgt key, the TGT's
	 * comes from the KRB-CRED that forwarded it (the implicit TGS armor,
	 * RFC 6113 s5.4.1.1, then still opens the FAST reply) */
	hs_krb_key tkey = { 0, 0, { 0 } }, akey = { 0, 0, { 0 } };
	if (ap) {
		dec_ticket(&t, &ap->ticket, &d->ticket);
		/* RFC 4120 s7.5.1: 7 = PA-TGS-REQ authenticator, 11 = AP-REQ */
		dec_auth(&t, &ap->authenticator, m->msg_type == HS_KRB_AP_REQ ? 11 : 7,
			 d->ticket.status == HS_KRB_DEC_OK ? &d->ticket.session_key : NULL, &d->auth, &tkey);
	}
	if (m->fast.armor_ap_req.present) {
		dec_ticket(&t, &m->fast.armor_ap_req.ticket, &d->armor);
		hs_krb_dec_auth aa;
		memset(&aa, 0, sizeof aa);
		dec_auth(&t, &m->fast.armor_ap_req.authenticator, 11,
			 d->armor.status == HS_KRB_DEC_OK ? &d->armor.session_key : NULL, &aa, &akey);
		learn_armor(&t, &akey, &aa);
		OPENSSL_cleanse(&aa, sizeof aa);
	} else if (m->fast.present && !m->fast.reply && ap) {
		learn_armor(&t, &tkey, &d->auth);
	}
	hs_krb_key_wipe(&tkey);
	hs_krb_key_wipe(&akey);
	if (m->msg_type == HS_KRB_AS_REP || m->msg_type == HS_KRB_TGS_REP) {
		dec_rep(&t, m, &d->rep);
		dec_ticket(&t, &m->ticket, &d->rep_ticket);
	}
	if (m->msg_type == HS_KRB_AP_REP)
		dec_aprep(&t, &m->enc_part, &d->aprep);
	if (m->msg_type == HS_KRB_TGS_REQ || m->msg_type == HS_KRB_CRED) {
		d->n_addl = m->n_addl;
		for (unsigned i = 0; i < m->n_addl; i++)
			dec_ticket(&t, &m->addl[i], &d->addl[i]);
	}
	OPENSSL_cleanse(t.buf, 2 * need);
	bool any = d->ticket.tried || d->auth.tried || d->armor.tried || d->rep.tried || d->rep_ticket.tried || d->n_addl ||
		   d->aprep.tried;
	m->dec = any ? d : NULL;
	return any;
}

void hs_krb_dec_plain(hs_krb_keys *k, int what, const uint8_t *p, size_t len, hs_krb_dec *d)
{
	memset(d, 0, sizeof *d);
	if (!k || len > HS_KRB_DEC_MAX_PLAIN)
		return;
	trial t = { k, work(k, len + 1), len + 1, 0, 0, false };
	hs_krb_key sess = { 0, 0, { 0 } };
	if (k->n_sess)
		sess = k->sess[(k->next_sess + HS_KRB_MAX_SESSION_KEYS - 1) % HS_KRB_MAX_SESSION_KEYS];
	switch (what) {
	case 0:
		d->ticket.tried = true;
		if (!enc_ticket_part(&t, p, len, &d->ticket))
			d->ticket.status = HS_KRB_DEC_MALFORMED;
		break;
	case 1:
		d->auth.tried = true;
		auth_plain(&t, p, len, &sess, &d->auth);
		break;
	default:
		d->rep.tried = true;
		if (!enc_kdc_rep_part(&t, p, len, &d->rep))
			d->rep.status = HS_KRB_DEC_MALFORMED;
		break;
	}
	OPENSSL_cleanse(t.buf, 2 * t.buf_len);
	hs_krb_key_wipe(&sess);
}

bool hs_krb_keys_add(hs_krb_keys *k, const char *principal, uint32_t kvno, const hs_krb_key *key)
{
	load_ctx c = { k, 0, 0, 0, false };
	hs_keytab_entry e;
	memset(&e, 0, sizeof e);
	if (key->len > HS_KEYTAB_MAX_KEY || strlen(principal) > HS_KEYTAB_MAX_PRINC)
		return false;
	g_strlcpy(e.principal, principal, sizeof e.principal);
	e.kvno = kvno;
	e.etype = key->etype;
	e.keylen = (uint16_t)key->len;
	memcpy(e.key, key->k, key->len);
	on_entry(&c, &e);
	OPENSSL_cleanse(&e, sizeof e);
	return c.added == 1;
}

bool hs_krb_keys_learn(hs_krb_keys *k, const hs_krb_key *key) { return learn(k, key); }

void hs_krb_dec_wipe(hs_krb_dec *d) { OPENSSL_cleanse(d, sizeof *d); }

/* ---- describe ---- */

static const char *const tflag_names[32] = {
	"reserved", "forwardable", "forwarded", "proxiable", "proxy", "may-postdate", "postdated", "invalid",
	"renewable", "initial", "pre-authent", "hw-authent", "transited-policy-checked", "ok-as-delegate",
	NULL, "enc-pa-rep",
};

const char *hs_krb_ticket_flag_name(unsigned bit) { return bit < 32 ? tflag_names[bit] : NULL; }

static void w_tflags(hs_out *o, const char *key, uint32_t v)
{
	hs_out_begin_list(o, key);
	for (unsigned i = 0; i < 32; i++) {
		if (!(v & (0x80000000u >> i)))
			continue;
		if (tflag_names[i])
			hs_out_cstr(o, NULL, tflag_names[i]);
		else
			hs_out_fmt(o, NULL, "bit%u", i);
	}
	hs_out_end_list(o);
}

static void w_key(hs_out *o, const char *key, const hs_krb_key *k, unsigned flags)
{
	if (!k->len)
		return;
	hs_out_begin(o, key);
	hs_out_int(o, "etype", k->etype);
	if (flags & HS_DESCRIBE_SECRETS) {
		char hex[2 * HS_KRB_KEY_MAX + 1];
		for (uint32_t i = 0; i < k->len; i++)
			snprintf(hex + 2 * i, 3, "%02x", k->k[i]);
		hs_out_cstr(o, "value", hex);
		OPENSSL_cleanse(hex, sizeof hex);
	}
	hs_out_end(o);
}

static void w_status(hs_out *o, hs_krb_dec_status s) { hs_out_cstr(o, "status", hs_krb_dec_status_name(s)); }

static void w_dticket(hs_out *o, const char *key, const hs_krb_dec_ticket *t, unsigned flags)
{
	if (!t->tried)
		return;
	hs_out_begin(o, key);
	w_status(o, t->status);
	if (t->status == HS_KRB_DEC_OK) {
		hs_out_cstr(o, "key_principal", t->key_principal);
		hs_out_cstr(o, "cname", t->cname);
		hs_out_cstr(o, "crealm", t->crealm);
		w_tflags(o, "flags", t->flags);
		hs_out_hex32(o, "flags_raw", t->flags);
		if (t->authtime[0])
			hs_out_cstr(o, "authtime", t->authtime);
		if (t->endtime[0])
			hs_out_cstr(o, "endtime", t->endtime);
		w_key(o, "session_key", &t->session_key, flags);
	}
	hs_out_end(o);
}

static const char *const gss_flag_names[] = {
	"deleg", "mutual", "replay", "sequence", "conf", "integ", "anon", NULL,
	NULL, NULL, NULL, NULL, "dce-style", "identify", "extended-error",
};

static void w_dauth(hs_out *o, const hs_krb_dec_auth *a, unsigned flags)
{
	if (!a->tried)
		return;
	hs_out_begin(o, "authenticator");
	w_status(o, a->status);
	if (a->status == HS_KRB_DEC_OK) {
		hs_out_cstr(o, "cname", a->cname);
		hs_out_cstr(o, "crealm", a->crealm);
		if (a->ctime[0])
			hs_out_cstr(o, "ctime", a->ctime);
		if (a->has_cksum)
			hs_out_int(o, "cksum_type", a->cksum_type);
		if (a->gss_cksum) {
			hs_out_begin_list(o, "gss_flags");
			for (unsigned i = 0; i < 32; i++) {
				if (!(a->gss_flags & (1u << i)))
					continue;
				if (i < sizeof gss_flag_names / sizeof *gss_flag_names && gss_flag_names[i])
					hs_out_cstr(o, NULL, gss_flag_names[i]);
				else
					hs_out_fmt(o, NULL, "bit%u", i);
			}
			hs_out_end_list(o);
			hs_out_hex32(o, "gss_flags_raw", a->gss_flags);
			hs_out_bool(o, "delegation", a->delegation);
			hs_out_bool(o, "krb_cred", a->krb_cred);
		}
		if (a->krb_cred) {
			hs_out_begin(o, "forwarded_ticket");
			hs_out_cstr(o, "sname", a->cred_sname);
			hs_out_cstr(o, "realm", a->cred_realm);
			hs_out_cstr(o, "enc_part_status", hs_krb_dec_status_name(a->cred_status));
			if (a->cred_pname[0])
				hs_out_cstr(o, "pname", a->cred_pname);
			if (a->cred_prealm[0])
				hs_out_cstr(o, "prealm", a->cred_prealm);
			if (a->cred_has_flags) {
				w_tflags(o, "flags", a->cred_flags);
				hs_out_hex32(o, "flags_raw", a->cred_flags);
			}
			w_dticket(o, "ticket", &a->cred_ticket, flags);
			hs_out_end(o);
		}
		if (a->has_subkey)
			w_key(o, "subkey", &a->subkey, flags);
	}
	hs_out_end(o);
}

void hs_krb_dec_describe(const hs_krb_dec *d, const hs_krb_msg *m, hs_out *o, unsigned flags)
{
	(void)m;
	hs_out_begin(o, "decrypted");
	w_dticket(o, "ticket", &d->ticket, flags);
	w_dauth(o, &d->auth, flags);
	w_dticket(o, "armor_ticket", &d->armor, flags);
	if (d->aprep.tried) {
		hs_out_begin(o, "ap_rep");
		w_status(o, d->aprep.status);
		if (d->aprep.status == HS_KRB_DEC_OK) {
			if (d->aprep.has_subkey)
				w_key(o, "subkey", &d->aprep.subkey, flags);
			if (d->aprep.has_seq)
				hs_out_uint(o, "seq_number", d->aprep.seq);
		}
		hs_out_end(o);
	}
	if (d->rep.tried) {
		const hs_krb_dec_rep *r = &d->rep;
		hs_out_begin(o, "enc_part");
		w_status(o, r->status);
		if (r->status == HS_KRB_DEC_OK) {
			hs_out_cstr(o, "key", r->key_kind);
			hs_out_cstr(o, "sname", r->sname);
			hs_out_cstr(o, "srealm", r->srealm);
			w_tflags(o, "flags", r->flags);
			hs_out_hex32(o, "flags_raw", r->flags);
			if (r->authtime[0])
				hs_out_cstr(o, "authtime", r->authtime);
			if (r->endtime[0])
				hs_out_cstr(o, "endtime", r->endtime);
			hs_out_uint(o, "nonce", r->nonce);
			w_key(o, "session_key", &r->session_key, flags);
		}
		if (r->fast_tried) {
			hs_out_begin(o, "fast");
			hs_out_cstr(o, "enc_fast_rep_status", hs_krb_dec_status_name(r->fast_status));
			hs_out_bool(o, "strengthen_key", r->fast_strengthened);
			hs_out_end(o);
		}
		if (r->status != HS_KRB_DEC_OK && m->fast.present && m->fast.reply) {
			/* RFC 6113 s5.4.3: with FAST the KDC may replace the reply key by
			 * KRB-FX-CF2(strengthen-key, reply key); the strengthen key is
			 * inside the armored reply, which needs the armor key. */
			hs_out_bool(o, "fast_armored", true);
			hs_out_cstr(o, "note", "FAST-armoured reply (RFC 6113): its key is strengthened through the FAST "
					       "armor, which needs the request's armor key (the armor ticket's service key, or "
					       "krbtgt's for a TGS request)");
		}
		hs_out_end(o);
	}
	w_dticket(o, "issued_ticket", &d->rep_ticket, flags);
	if (d->n_addl) {
		hs_out_begin_list(o, "additional_tickets");
		for (unsigned i = 0; i < d->n_addl; i++) {
			if (d->addl[i].tried) {
				w_dticket(o, NULL, &d->addl[i], flags);
			} else {
				hs_out_begin(o, NULL);
				w_status(o, HS_KRB_DEC_NOT_TRIED);
				hs_out_end(o);
			}
		}
		hs_out_end_list(o);
	}
	hs_out_end(o);
}

static bool emit_prep(hs_app_ctx *ctx, hs_krb_msg *m, hs_krb_dec *d)
{
	hs_krb_keys *k = ctx->host->krbkeys;
	if (!k) {
		m->dec = NULL;
		return false;
	}
	uint64_t ev = k->evicted;
	bool r = hs_krb_dec_run(k, m, d);
	if (k->evicted != ev && ev == 0)
		hs_report_anomaly(ctx, HS_ANOM_KRB_KEY_CAP,
				  "more than %d learnt Kerberos session keys; the oldest are forgotten (later tickets may stay "
				  "encrypted)", HS_KRB_MAX_SESSION_KEYS);
	return r;
}

void hs_krb_dec_emit(hs_app_ctx *ctx, hs_proto proto, const void *body, hs_krb_msg *m, hs_proto carrier)
{
	if (!ctx->host || !ctx->host->krbkeys) {
		hs_emit_token(ctx, proto, body, carrier);
		return;
	}
	hs_krb_dec dec; /* decoders do not allocate: the caller's stack, not the heap */
	emit_prep(ctx, m, &dec);
	hs_emit_token(ctx, proto, body, carrier);
	m->dec = NULL;
	hs_krb_dec_wipe(&dec);
}
