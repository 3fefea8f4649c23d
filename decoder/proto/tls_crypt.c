/* tls_crypt.c - TLS cipher suites, the NSS key log store, key derivation
 * and record decryption with OpenSSL 3 (see tls.h).
 *
 * Key log format: NSS's SSLKEYLOGFILE ("LABEL <client_random hex>
 * <secret hex>"), written by OpenSSL's keylog callback, curl, browsers and
 * Python's SSLContext.keylog_filename. */
#include <errno.h>
#include <openssl/core_names.h>
#include <openssl/evp.h>
#include <openssl/kdf.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include "keyfile.h"
#include "tls.h"

/* ------------------------------------------------------------ suites */

enum { C_NONE = 0, C_GCM, C_CHACHA, C_CBC, C_OTHER };
enum { H_SHA1 = 1, H_SHA256, H_SHA384 };

struct hs_tls_suite_info {
	uint16_t id;
	const char *name;
	uint8_t cipher;   /* C_* */
	uint8_t key_len;
	uint8_t mac;      /* H_*: record MAC (CBC) */
	uint8_t prf;      /* H_*: PRF / HKDF hash */
};

/* IANA TLS Cipher Suites registry: the suites Windows, OpenSSL and
 * browsers negotiate.  C_OTHER suites are named but not decrypted. */
static const hs_tls_suite_info suites[] = {
	{ 0x0005, "TLS_RSA_WITH_RC4_128_SHA", C_OTHER, 0, 0, 0 },
	{ 0x000A, "TLS_RSA_WITH_3DES_EDE_CBC_SHA", C_OTHER, 0, 0, 0 },
	{ 0x002F, "TLS_RSA_WITH_AES_128_CBC_SHA", C_CBC, 16, H_SHA1, H_SHA256 },
	{ 0x0033, "TLS_DHE_RSA_WITH_AES_128_CBC_SHA", C_CBC, 16, H_SHA1, H_SHA256 },
	{ 0x0035, "TLS_RSA_WITH_AES_256_CBC_SHA", C_CBC, 32, H_SHA1, H_SHA256 },
	{ 0x0039, "TLS_DHE_RSA_WITH_AES_256_CBC_SHA", C_CBC, 32, H_SHA1, H_SHA256 },
	{ 0x003C, "TLS_RSA_WITH_AES_128_CBC_SHA256", C_CBC, 16, H_SHA256, H_SHA256 },
	{ 0x003D, "TLS_RSA_WITH_AES_256_CBC_SHA256", C_CBC, 32, H_SHA256, H_SHA256 },
	{ 0x0067, "TLS_DHE_RSA_WITH_AES_128_CBC_SHA256", C_CBC, 16, H_SHA256, H_SHA256 },
	{ 0x006B, "TLS_DHE_RSA_WITH_AES_256_CBC_SHA256", C_CBC, 32, H_SHA256, H_SHA256 },
	{ 0x009C, "TLS_RSA_WITH_AES_128_GCM_SHA256", C_GCM, 16, 0, H_SHA256 },
	{ 0x009D, "TLS_RSA_WITH_AES_256_GCM_SHA384", C_GCM, 32, 0, H_SHA384 },
	{ 0x009E, "TLS_DHE_RSA_WITH_AES_128_GCM_SHA256", C_GCM, 16, 0, H_SHA256 },
	{ 0x009F, "TLS_DHE_RSA_WITH_AES_256_GCM_SHA384", C_GCM, 32, 0, H_SHA384 },
	{ 0x00FF, "TLS_EMPTY_RENEGOTIATION_INFO_SCSV", C_NONE, 0, 0, 0 },
	{ 0x1301, "TLS_AES_128_GCM_SHA256", C_GCM, 16, 0, H_SHA256 },
	{ 0x1302, "TLS_AES_256_GCM_SHA384", C_GCM, 32, 0, H_SHA384 },
	{ 0x1303, "TLS_CHACHA20_POLY1305_SHA256", C_CHACHA, 32, 0, H_SHA256 },
	{ 0x1304, "TLS_AES_128_CCM_SHA256", C_OTHER, 0, 0, 0 },
	{ 0x1305, "TLS_AES_128_CCM_8_SHA256", C_OTHER, 0, 0, 0 },
	{ 0x5600, "TLS_FALLBACK_SCSV", C_NONE, 0, 0, 0 },
	{ 0xC009, "TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA", C_CBC, 16, H_SHA1, H_SHA256 },
	{ 0xC00A, "TLS_ECDHE_ECDSA_WITH_AES_256_CBC_SHA", C_CBC, 32, H_SHA1, H_SHA256 },
	{ 0xC013, "TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA", C_CBC, 16, H_SHA1, H_SHA256 },
	{ 0xC014, "TLS_ECDHE_RSA_WITH_AES_256_CBC_SHA", C_CBC, 32, H_SHA1, H_SHA256 },
	{ 0xC023, "TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA256", C_CBC, 16, H_SHA256, H_SHA256 },
	{ 0xC024, "TLS_ECDHE_ECDSA_WITH_AES_256_CBC_SHA384", C_CBC, 32, H_SHA384, H_SHA384 },
	{ 0xC027, "TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA256", C_CBC, 16, H_SHA256, H_SHA256 },
	{ 0xC028, "TLS_ECDHE_RSA_WITH_AES_256_CBC_SHA384", C_CBC, 32, H_SHA384, H_SHA384 },
	{ 0xC02B, "TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256", C_GCM, 16, 0, H_SHA256 },
	{ 0xC02C, "TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384", C_GCM, 32, 0, H_SHA384 },
	{ 0xC02F, "TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256", C_GCM, 16, 0, H_SHA256 },
	{ 0xC030, "TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384", C_GCM, 32, 0, H_SHA384 },
	{ 0xCCA8, "TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256", C_CHACHA, 32, 0, H_SHA256 },
	{ 0xCCA9, "TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256", C_CHACHA, 32, 0, H_SHA256 },
	{ 0xCCAA, "TLS_DHE_RSA_WITH_CHACHA20_POLY1305_SHA256", C_CHACHA, 32, 0, H_SHA256 },
};

static const hs_tls_suite_info *suite_find(uint16_t id)
{
	size_t lo = 0, hi = sizeof suites / sizeof suites[0];
	while (lo < hi) {
		size_t mid = (lo + hi) / 2;
		if (suites[mid].id == id)
			return &suites[mid];
		if (suites[mid].id < id)
			lo = mid + 1;
		else
			hi = mid;
	}
	return NULL;
}

const char *hs_tls_suite_name(uint16_t id)
{
	/* RFC 8701: GREASE values 0x?A?A */
	if ((id & 0x0f0f) == 0x0a0a && (id >> 12) == ((id >> 4) & 0xf))
		return "GREASE";
	const hs_tls_suite_info *s = suite_find(id);
	return s ? s->name : NULL;
}

bool hs_tls_suite_decryptable(uint16_t id)
{
	const hs_tls_suite_info *s = suite_find(id);
	return s && (s->cipher == C_GCM || s->cipher == C_CHACHA || s->cipher == C_CBC);
}

static const char *md_name(uint8_t h)
{
	return h == H_SHA1 ? "SHA1" : h == H_SHA384 ? "SHA384" : "SHA256";
}

static size_t md_len(uint8_t h)
{
	return h == H_SHA1 ? 20 : h == H_SHA384 ? 48 : 32;
}

static const EVP_CIPHER *cipher_of(const hs_tls_suite_info *s)
{
	switch (s->cipher) {
	case C_GCM:
		return s->key_len == 16 ? EVP_aes_128_gcm() : EVP_aes_256_gcm();
	case C_CHACHA:
		return EVP_chacha20_poly1305();
	case C_CBC:
		return s->key_len == 16 ? EVP_aes_128_cbc() : EVP_aes_256_cbc();
	default:
		return NULL;
	}
}

/* ------------------------------------------------------------ key log */

typedef struct kl_entry {
	uint8_t have; /* bit per hs_keylog_label */
	uint8_t len[HS_KL__COUNT];
	uint8_t secret[HS_KL__COUNT][HS_KEYLOG_MAX_SECRET];
} kl_entry;

/* A key log followed as it grows (hs_keylog_follow): the offset just past
 * the last whole line read; a line still being written is read next time. */
typedef struct kl_follow {
	char *path;
	size_t off;    /* bytes of whole lines read (UTF-8 files) */
	size_t lines;  /* whole lines read */
	bool utf16;    /* UTF-16 file: read again whole, the first `lines` skipped */
} kl_follow;

struct hs_keylog {
	GHashTable *by_random; /* 32-byte client random (GBytes) -> kl_entry */
	GPtrArray *follow;     /* kl_follow*, NULL when none */
	char why[256];         /* the last read: why it failed, or its first malformed line */
	const char *encoding;  /* the last file read when it was not plain UTF-8, else NULL */
};

hs_keylog *hs_keylog_new(void)
{
	hs_keylog *k = g_new0(hs_keylog, 1);
	k->by_random = g_hash_table_new_full(g_bytes_hash, g_bytes_equal, (GDestroyNotify)g_bytes_unref, g_free);
	return k;
}

void hs_keylog_free(hs_keylog *k)
{
	if (!k)
		return;
	/* secrets are wiped before the memory goes back */
	GHashTableIter it;
	gpointer key, val;
	g_hash_table_iter_init(&it, k->by_random);
	while (g_hash_table_iter_next(&it, &key, &val))
		OPENSSL_cleanse(val, sizeof(kl_entry));
	g_hash_table_destroy(k->by_random);
	for (guint i = 0; k->follow && i < k->follow->len; i++) {
		kl_follow *f = g_ptr_array_index(k->follow, i);
		g_free(f->path);
		g_free(f);
	}
	if (k->follow)
		g_ptr_array_free(k->follow, TRUE);
	g_free(k);
}

static int hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* Hex field of s (len n) into out (max bytes); false when not hex or too long. */
static bool unhex(const char *s, size_t n, uint8_t *out, size_t max, size_t *olen)
{
	if (n % 2 || n / 2 > max)
		return false;
	for (size_t i = 0; i < n; i += 2) {
		int a = hexval(s[i]), b = hexval(s[i + 1]);
		if (a < 0 || b < 0)
			return false;
		out[i / 2] = (uint8_t)(a << 4 | b);
	}
	*olen = n / 2;
	return true;
}

static const char *const labels[HS_KL__COUNT] = {
	[HS_KL_CLIENT_RANDOM] = "CLIENT_RANDOM",
	[HS_KL_CLIENT_HANDSHAKE_TRAFFIC_SECRET] = "CLIENT_HANDSHAKE_TRAFFIC_SECRET",
	[HS_KL_SERVER_HANDSHAKE_TRAFFIC_SECRET] = "SERVER_HANDSHAKE_TRAFFIC_SECRET",
	[HS_KL_CLIENT_TRAFFIC_SECRET_0] = "CLIENT_TRAFFIC_SECRET_0",
	[HS_KL_SERVER_TRAFFIC_SECRET_0] = "SERVER_TRAFFIC_SECRET_0",
};

/* next space-separated field of [*p, end) */
static bool field(const char **p, const char *end, const char **f, size_t *n)
{
	while (*p < end && (**p == ' ' || **p == '\t'))
		(*p)++;
	*f = *p;
	while (*p < end && **p != ' ' && **p != '\t')
		(*p)++;
	*n = (size_t)(*p - *f);
	return *n > 0;
}

hs_err hs_keylog_add_line(hs_keylog *k, const char *line, size_t len)
{
	const char *p = line, *end = line + len;
	while (end > p && (end[-1] == '\r' || end[-1] == '\n' || end[-1] == ' '))
		end--;
	const char *f;
	size_t n;
	if (!field(&p, end, &f, &n) || f[0] == '#')
		return HS_E_UNKNOWN;
	int label = -1;
	for (int i = 0; i < HS_KL__COUNT; i++)
		if (n == strlen(labels[i]) && memcmp(f, labels[i], n) == 0)
			label = i;
	if (label < 0)
		return HS_E_UNKNOWN;
	uint8_t cr[32], secret[HS_KEYLOG_MAX_SECRET];
	size_t crlen, slen;
	if (!field(&p, end, &f, &n) || !unhex(f, n, cr, sizeof cr, &crlen) || crlen != 32)
		return HS_E_MALFORMED;
	if (!field(&p, end, &f, &n) || !unhex(f, n, secret, sizeof secret, &slen) || slen == 0)
		return HS_E_MALFORMED;
	if (field(&p, end, &f, &n))
		return HS_E_MALFORMED; /* trailing field */
	if (label == HS_KL_CLIENT_RANDOM && slen != 48)
		return HS_E_MALFORMED; /* RFC 5246 8.1: master_secret is 48 bytes */
	GBytes *key = g_bytes_new(cr, sizeof cr);
	kl_entry *e = g_hash_table_lookup(k->by_random, key);
	if (!e) {
		if (g_hash_table_size(k->by_random) >= HS_KEYLOG_MAX_ENTRIES) {
			g_bytes_unref(key);
			OPENSSL_cleanse(secret, sizeof secret);
			return HS_E_LIMIT;
		}
		e = g_new0(kl_entry, 1);
		g_hash_table_insert(k->by_random, key, e);
	} else {
		g_bytes_unref(key);
	}
	memcpy(e->secret[label], secret, slen);
	e->len[label] = (uint8_t)slen;
	e->have |= (uint8_t)(1u << label);
	OPENSSL_cleanse(secret, sizeof secret);
	return HS_OK;
}

/* Why a line is malformed, for the message naming it. */
static const char *bad_line_why(const char *line, size_t n)
{
	if (n > HS_KEYLOG_MAX_LINE)
		return "longer than the line cap";
	if (memchr(line, 0, n))
		return "NUL byte";
	return "not LABEL <64 hex digits> <hex secret>";
}

/* The lines of text [p, p+len); line numbers go on from *lines.  follow: a
 * last line without its newline is being written and is left for the next
 * read.  *used is the bytes of the lines read.  The first malformed line
 * is named in k->why. */
static hs_err read_text(hs_keylog *k, const char *path, const char *p, size_t len, bool follow, size_t skip,
			size_t *lines, size_t *used, size_t *added, size_t *bad)
{
	size_t at = 0;
	hs_err rc = HS_OK;
	while (at < len) {
		const char *nl = memchr(p + at, '\n', len - at);
		if (!nl && follow)
			break;
		size_t n = nl ? (size_t)(nl - (p + at)) : len - at;
		const char *line = p + at;
		at += n + (nl ? 1 : 0);
		++*lines;
		if (*lines <= skip)
			continue;
		hs_err e = n > HS_KEYLOG_MAX_LINE || memchr(line, 0, n) ? HS_E_MALFORMED
									 : hs_keylog_add_line(k, line, n);
		if (e == HS_OK) {
			(*added)++;
		} else if (e == HS_E_MALFORMED) {
			if (!*bad)
				snprintf(k->why, sizeof k->why, "%s line %zu: %s", path, *lines, bad_line_why(line, n));
			(*bad)++;
		} else if (e == HS_E_LIMIT) {
			rc = HS_E_LIMIT;
			break;
		}
	}
	*used = at;
	return rc;
}

/* Read path from offset (a UTF-16 file: whole) and its lines after the
 * first skip. */
static hs_err read_file(hs_keylog *k, const char *path, size_t offset, bool follow, size_t skip, size_t *lines,
			size_t *used, bool *utf16, size_t *added, size_t *bad)
{
	GByteArray *b = NULL;
	char why[200];
	k->why[0] = 0;
	k->encoding = NULL;
	hs_err rc = hs_keyfile_read(path, offset, HS_KEYLOG_MAX_FILE, &b, why, sizeof why);
	if (rc != HS_OK) {
		snprintf(k->why, sizeof k->why, "%s: %s", path, why);
		return rc == HS_E_LIMIT ? HS_E_NOMEM : rc;
	}
	size_t raw = b->len;
	const char *enc = offset ? "UTF-8" : hs_keyfile_text(b, why, sizeof why);
	if (!enc) {
		snprintf(k->why, sizeof k->why, "%s: %s", path, why);
		OPENSSL_cleanse(b->data, b->len);
		g_byte_array_free(b, TRUE);
		return HS_E_MALFORMED;
	}
	*utf16 = strncmp(enc, "UTF-16", 6) == 0;
	if (strcmp(enc, "UTF-8") != 0)
		k->encoding = enc;
	rc = read_text(k, path, (const char *)b->data, b->len, follow && !*utf16, skip, lines, used, added, bad);
	if (*utf16 || b->len != raw)
		*used = raw; /* converted text: offsets do not map back; a UTF-8 BOM is 3 bytes */
	OPENSSL_cleanse(b->data, b->len);
	g_byte_array_free(b, TRUE);
	return rc;
}

hs_err hs_keylog_load(hs_keylog *k, const char *path, size_t *added, size_t *bad)
{
	size_t a = 0, b = 0, lines = 0, used = 0;
	bool utf16 = false;
	hs_err rc = read_file(k, path, 0, false, 0, &lines, &used, &utf16, &a, &b);
	if (added)
		*added = a;
	if (bad)
		*bad = b;
	return rc;
}

/* One followed file: the bytes after f->off.  A file shorter than what was
 * read was truncated or replaced: it is read again from the start (secrets
 * already stored stay).  A UTF-16 file is read whole each time, its lines
 * already read skipped. */
static hs_err follow_read(hs_keylog *k, kl_follow *f, size_t *added, size_t *bad)
{
	struct stat st;
	if (stat(f->path, &st) != 0)
		return errno == ENOENT ? HS_OK : HS_E_UNKNOWN; /* not created yet: read once it is */
	if (S_ISREG(st.st_mode) && (size_t)st.st_size < f->off)
		f->off = f->lines = 0;
	if (S_ISREG(st.st_mode) && (size_t)st.st_size == f->off && f->off)
		return HS_OK;
	size_t used = 0, lines = f->utf16 ? 0 : f->lines;
	hs_err rc = read_file(k, f->path, f->utf16 ? 0 : f->off, true, f->utf16 ? f->lines : 0, &lines, &used,
			      &f->utf16, added, bad);
	if (rc == HS_OK || rc == HS_E_LIMIT) {
		f->off = f->utf16 ? used : f->off + used;
		f->lines = lines;
	}
	return rc;
}

hs_err hs_keylog_follow(hs_keylog *k, const char *path, size_t *added, size_t *bad)
{
	size_t a = 0, b = 0;
	kl_follow *f = g_new0(kl_follow, 1);
	f->path = g_strdup(path);
	hs_err rc = follow_read(k, f, &a, &b);
	struct stat st;
	bool regular = stat(path, &st) != 0 || S_ISREG(st.st_mode); /* not created yet: it will be a file */
	if ((rc != HS_OK && rc != HS_E_LIMIT) || !regular) {
		/* a FIFO or a pipe was read whole once: reading it again would
		 * wait for a writer */
		g_free(f->path);
		g_free(f);
		if (added)
			*added = a;
		if (bad)
			*bad = b;
		return rc;
	}
	if (!k->follow)
		k->follow = g_ptr_array_new();
	g_ptr_array_add(k->follow, f);
	if (added)
		*added = a;
	if (bad)
		*bad = b;
	return rc;
}

hs_err hs_keylog_refresh(hs_keylog *k, size_t *added, size_t *bad)
{
	size_t a = 0, b = 0;
	hs_err rc = HS_OK;
	for (guint i = 0; k && k->follow && i < k->follow->len; i++) {
		hs_err e = follow_read(k, g_ptr_array_index(k->follow, i), &a, &b);
		if (e == HS_E_LIMIT)
			rc = e; /* a file that went away or broke keeps what was read */
	}
	if (added)
		*added = a;
	if (bad)
		*bad = b;
	return rc;
}

const char *hs_keylog_why(const hs_keylog *k) { return k && k->why[0] ? k->why : NULL; }

const char *hs_keylog_encoding(const hs_keylog *k) { return k ? k->encoding : NULL; }

bool hs_keylog_following(const hs_keylog *k)
{
	return k && k->follow && k->follow->len;
}

bool hs_keylog_get(const hs_keylog *k, const uint8_t client_random[32], hs_keylog_label label, hs_slice *secret)
{
	if (!k || (unsigned)label >= HS_KL__COUNT)
		return false;
	GBytes *key = g_bytes_new_static(client_random, 32);
	const kl_entry *e = g_hash_table_lookup(k->by_random, key);
	g_bytes_unref(key);
	if (!e || !(e->have & (1u << label)))
		return false;
	secret->p = e->secret[label];
	secret->len = e->len[label];
	return true;
}

/* -------------------------------------------------------- derivation */

/* RFC 5246 5: PRF(secret, label, seed) with the suite's hash. */
static bool tls12_prf(uint8_t h, const uint8_t *secret, size_t slen, const char *label, const uint8_t *s1,
		      const uint8_t *s2, uint8_t *out, size_t olen)
{
	EVP_KDF *kdf = EVP_KDF_fetch(NULL, "TLS1-PRF", NULL);
	if (!kdf)
		return false;
	EVP_KDF_CTX *kctx = EVP_KDF_CTX_new(kdf);
	EVP_KDF_free(kdf);
	if (!kctx)
		return false;
	OSSL_PARAM params[6], *p = params;
	*p++ = OSSL_PARAM_construct_utf8_string(OSSL_KDF_PARAM_DIGEST, (char *)md_name(h), 0);
	*p++ = OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_SECRET, (void *)secret, slen);
	/* multiple seed parameters are concatenated: label || seed */
	*p++ = OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_SEED, (void *)label, strlen(label));
	*p++ = OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_SEED, (void *)s1, 32);
	*p++ = OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_SEED, (void *)s2, 32);
	*p = OSSL_PARAM_construct_end();
	bool ok = EVP_KDF_derive(kctx, out, olen, params) > 0;
	EVP_KDF_CTX_free(kctx);
	return ok;
}

hs_err hs_tls12_derive(const uint8_t *master, size_t mlen, const uint8_t cr[32], const uint8_t sr[32], uint16_t suite,
		       uint16_t version, bool etm, hs_tls_keys *client, hs_tls_keys *server)
{
	const hs_tls_suite_info *s = suite_find(suite);
	if (!s || (s->cipher != C_GCM && s->cipher != C_CHACHA && s->cipher != C_CBC))
		return HS_E_UNSUPPORTED;
	/* TLS 1.0 CBC chains its IV across records; not supported here. */
	if (version < 0x0302 && s->cipher == C_CBC)
		return HS_E_UNSUPPORTED;
	size_t mac = s->cipher == C_CBC ? md_len(s->mac) : 0;
	size_t ivl = s->cipher == C_GCM ? 4 : s->cipher == C_CHACHA ? 12 : 0;
	uint8_t kb[2 * 48 + 2 * 32 + 2 * 12];
	size_t need = 2 * mac + 2 * s->key_len + 2 * ivl;
	/* RFC 5246 6.3: key_block = PRF(master, "key expansion", server_random + client_random) */
	if (!tls12_prf(s->prf, master, mlen, "key expansion", sr, cr, kb, need))
		return HS_E_MALFORMED;
	memset(client, 0, sizeof *client);
	memset(server, 0, sizeof *server);
	size_t o = 0;
	memcpy(client->mac_key, kb + o, mac), o += mac;
	memcpy(server->mac_key, kb + o, mac), o += mac;
	memcpy(client->key, kb + o, s->key_len), o += s->key_len;
	memcpy(server->key, kb + o, s->key_len), o += s->key_len;
	memcpy(client->iv, kb + o, ivl), o += ivl;
	memcpy(server->iv, kb + o, ivl);
	OPENSSL_cleanse(kb, sizeof kb);
	client->suite = server->suite = s;
	client->version = server->version = version;
	client->etm = server->etm = etm && s->cipher == C_CBC;
	return HS_OK;
}

/* RFC 8446 7.1: HKDF-Expand-Label(Secret, Label, "", Length). */
static bool expand_label(uint8_t h, const uint8_t *secret, size_t slen, const char *label, uint8_t *out, size_t olen)
{
	uint8_t info[2 + 1 + 255 + 1];
	size_t ll = strlen("tls13 ") + strlen(label);
	info[0] = (uint8_t)(olen >> 8);
	info[1] = (uint8_t)olen;
	info[2] = (uint8_t)ll;
	memcpy(info + 3, "tls13 ", 6);
	memcpy(info + 9, label, strlen(label));
	info[3 + ll] = 0; /* empty context */
	EVP_KDF *kdf = EVP_KDF_fetch(NULL, "HKDF", NULL);
	if (!kdf)
		return false;
	EVP_KDF_CTX *kctx = EVP_KDF_CTX_new(kdf);
	EVP_KDF_free(kdf);
	if (!kctx)
		return false;
	int mode = EVP_KDF_HKDF_MODE_EXPAND_ONLY;
	OSSL_PARAM params[5], *p = params;
	*p++ = OSSL_PARAM_construct_int(OSSL_KDF_PARAM_MODE, &mode);
	*p++ = OSSL_PARAM_construct_utf8_string(OSSL_KDF_PARAM_DIGEST, (char *)md_name(h), 0);
	*p++ = OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_KEY, (void *)secret, slen);
	*p++ = OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_INFO, info, 4 + ll);
	*p = OSSL_PARAM_construct_end();
	bool ok = EVP_KDF_derive(kctx, out, olen, params) > 0;
	EVP_KDF_CTX_free(kctx);
	return ok;
}

hs_err hs_tls13_derive(const uint8_t *secret, size_t len, uint16_t suite, hs_tls_keys *k)
{
	const hs_tls_suite_info *s = suite_find(suite);
	if (!s || (s->cipher != C_GCM && s->cipher != C_CHACHA) || (suite >> 8) != 0x13)
		return HS_E_UNSUPPORTED;
	if (len != md_len(s->prf))
		return HS_E_MALFORMED;
	memset(k, 0, sizeof *k);
	k->suite = s;
	k->version = 0x0304;
	memcpy(k->secret, secret, len);
	k->secret_len = (uint8_t)len;
	if (!expand_label(s->prf, secret, len, "key", k->key, s->key_len) ||
	    !expand_label(s->prf, secret, len, "iv", k->iv, 12))
		return HS_E_MALFORMED;
	return HS_OK;
}

hs_err hs_tls13_update(hs_tls_keys *k)
{
	uint8_t next[48];
	if (!k->suite || !expand_label(k->suite->prf, k->secret, k->secret_len, "traffic upd", next, k->secret_len))
		return HS_E_MALFORMED;
	hs_err e = hs_tls13_derive(next, k->secret_len, k->suite->id, k);
	OPENSSL_cleanse(next, sizeof next);
	return e;
}

/* --------------------------------------------------------- decryption */

static void put_u64(uint8_t *p, uint64_t v)
{
	for (int i = 7; i >= 0; i--, v >>= 8)
		p[i] = (uint8_t)v;
}

static hs_tls_dec aead_open(const hs_tls_keys *k, const uint8_t *nonce, const uint8_t *aad, size_t aadlen,
			    const uint8_t *ct, size_t ctlen, const uint8_t *tag, uint8_t *out)
{
	EVP_CIPHER_CTX *c = EVP_CIPHER_CTX_new();
	if (!c)
		return HS_TLS_DEC_ERROR;
	int n = 0, f = 0;
	hs_tls_dec r = HS_TLS_DEC_ERROR;
	if (EVP_DecryptInit_ex(c, cipher_of(k->suite), NULL, NULL, NULL) != 1 ||
	    EVP_CIPHER_CTX_ctrl(c, EVP_CTRL_AEAD_SET_IVLEN, 12, NULL) != 1 ||
	    EVP_DecryptInit_ex(c, NULL, NULL, k->key, nonce) != 1 ||
	    EVP_DecryptUpdate(c, NULL, &n, aad, (int)aadlen) != 1 ||
	    (ctlen && EVP_DecryptUpdate(c, out, &n, ct, (int)ctlen) != 1) ||
	    EVP_CIPHER_CTX_ctrl(c, EVP_CTRL_AEAD_SET_TAG, 16, (void *)tag) != 1)
		goto done;
	r = EVP_DecryptFinal_ex(c, out + (ctlen ? n : 0), &f) == 1 ? HS_TLS_DEC_OK : HS_TLS_DEC_BAD;
done:
	EVP_CIPHER_CTX_free(c);
	return r;
}

static bool cbc_decrypt(const hs_tls_keys *k, const uint8_t *iv, const uint8_t *ct, size_t len, uint8_t *out)
{
	EVP_CIPHER_CTX *c = EVP_CIPHER_CTX_new();
	int n = 0, f = 0;
	bool ok = c && EVP_DecryptInit_ex(c, cipher_of(k->suite), NULL, k->key, iv) == 1 &&
		  EVP_CIPHER_CTX_set_padding(c, 0) == 1 && EVP_DecryptUpdate(c, out, &n, ct, (int)len) == 1 &&
		  EVP_DecryptFinal_ex(c, out + n, &f) == 1;
	EVP_CIPHER_CTX_free(c);
	return ok;
}

/* HMAC(mac_key, seq || type || version || length || a || b) (RFC 5246 6.2.3.1, RFC 7366 3) */
static void record_mac(const hs_tls_keys *k, uint8_t type, uint16_t version, const uint8_t *a, size_t alen,
		       const uint8_t *b, size_t blen, uint8_t *out)
{
	uint8_t hdr[13];
	put_u64(hdr, k->seq);
	hdr[8] = type;
	hdr[9] = (uint8_t)(version >> 8);
	hdr[10] = (uint8_t)version;
	hdr[11] = (uint8_t)((alen + blen) >> 8);
	hdr[12] = (uint8_t)(alen + blen);
	size_t olen = 0;
	EVP_MAC *mac = EVP_MAC_fetch(NULL, "HMAC", NULL);
	EVP_MAC_CTX *h = mac ? EVP_MAC_CTX_new(mac) : NULL;
	OSSL_PARAM params[2];
	params[0] = OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST, (char *)md_name(k->suite->mac), 0);
	params[1] = OSSL_PARAM_construct_end();
	if (!h || EVP_MAC_init(h, k->mac_key, md_len(k->suite->mac), params) != 1 ||
	    EVP_MAC_update(h, hdr, sizeof hdr) != 1 || (alen && EVP_MAC_update(h, a, alen) != 1) ||
	    (blen && EVP_MAC_update(h, b, blen) != 1) || EVP_MAC_final(h, out, &olen, 48) != 1)
		memset(out, 0, 48);
	EVP_MAC_CTX_free(h);
	EVP_MAC_free(mac);
}

hs_tls_dec hs_tls_decrypt(hs_tls_keys *k, const uint8_t hdr[5], const uint8_t *frag, size_t len, uint8_t *out,
			  size_t *outlen, uint8_t *type)
{
	const hs_tls_suite_info *s = k->suite;
	uint8_t nonce[12], aad[13];
	*type = hdr[0];
	if (!s)
		return HS_TLS_DEC_ERROR;
	if (k->version == 0x0304) {
		/* RFC 8446 5.2/5.3: nonce = iv XOR seq; AAD = the record header */
		if (len < 17)
			return HS_TLS_DEC_SHORT;
		memcpy(nonce, k->iv, 12);
		uint8_t seq[8];
		put_u64(seq, k->seq);
		for (int i = 0; i < 8; i++)
			nonce[4 + i] ^= seq[i];
		hs_tls_dec r = aead_open(k, nonce, hdr, 5, frag, len - 16, frag + len - 16, out);
		if (r != HS_TLS_DEC_OK)
			return r;
		/* TLSInnerPlaintext: content || type || zeros */
		size_t n = len - 16;
		while (n && out[n - 1] == 0)
			n--;
		if (!n)
			return HS_TLS_DEC_BAD; /* RFC 8446 5.4: no non-zero type byte */
		*type = out[n - 1];
		*outlen = n - 1;
		k->seq++;
		return HS_TLS_DEC_OK;
	}
	uint16_t version = (uint16_t)(hdr[1] << 8 | hdr[2]);
	if (s->cipher == C_GCM || s->cipher == C_CHACHA) {
		size_t explicit_len = s->cipher == C_GCM ? 8 : 0;
		if (len < explicit_len + 16)
			return HS_TLS_DEC_SHORT;
		size_t ptlen = len - explicit_len - 16;
		if (s->cipher == C_GCM) {
			/* RFC 5288 3: salt (4) || nonce_explicit (8) */
			memcpy(nonce, k->iv, 4);
			memcpy(nonce + 4, frag, 8);
		} else {
			/* RFC 7905 2: iv XOR padded sequence number */
			memcpy(nonce, k->iv, 12);
			uint8_t seq[8];
			put_u64(seq, k->seq);
			for (int i = 0; i < 8; i++)
				nonce[4 + i] ^= seq[i];
		}
		put_u64(aad, k->seq);
		aad[8] = hdr[0];
		aad[9] = hdr[1];
		aad[10] = hdr[2];
		aad[11] = (uint8_t)(ptlen >> 8);
		aad[12] = (uint8_t)ptlen;
		hs_tls_dec r = aead_open(k, nonce, aad, 13, frag + explicit_len, ptlen, frag + len - 16, out);
		if (r != HS_TLS_DEC_OK)
			return r;
		*outlen = ptlen;
		k->seq++;
		return HS_TLS_DEC_OK;
	}
	/* CBC, TLS 1.1+: explicit IV (RFC 4346 6.2.3.2) */
	size_t mac = md_len(s->mac);
	if (k->etm) {
		/* RFC 7366 3: IV || ciphertext || MAC(over IV || ciphertext) */
		if (len < 16 + 16 + mac || (len - mac) % 16)
			return HS_TLS_DEC_SHORT;
		uint8_t m[48];
		record_mac(k, hdr[0], version, frag, len - mac, NULL, 0, m);
		if (CRYPTO_memcmp(m, frag + len - mac, mac) != 0)
			return HS_TLS_DEC_BAD;
		size_t ctlen = len - mac - 16;
		if (!cbc_decrypt(k, frag, frag + 16, ctlen, out))
			return HS_TLS_DEC_ERROR;
		uint8_t pad = out[ctlen - 1];
		if ((size_t)pad + 1 > ctlen)
			return HS_TLS_DEC_BAD;
		for (size_t i = ctlen - 1 - pad; i < ctlen; i++)
			if (out[i] != pad)
				return HS_TLS_DEC_BAD;
		*outlen = ctlen - pad - 1;
		k->seq++;
		return HS_TLS_DEC_OK;
	}
	/* MAC-then-encrypt: IV || E(content || MAC || padding) */
	if (len < 16 + 16 || len % 16)
		return HS_TLS_DEC_SHORT;
	size_t ctlen = len - 16;
	if (!cbc_decrypt(k, frag, frag + 16, ctlen, out))
		return HS_TLS_DEC_ERROR;
	uint8_t pad = out[ctlen - 1];
	if ((size_t)pad + 1 + mac > ctlen)
		return HS_TLS_DEC_BAD;
	for (size_t i = ctlen - 1 - pad; i < ctlen; i++)
		if (out[i] != pad)
			return HS_TLS_DEC_BAD;
	size_t clen = ctlen - pad - 1 - mac;
	uint8_t m[48];
	record_mac(k, hdr[0], version, out, clen, NULL, 0, m);
	if (CRYPTO_memcmp(m, out + clen, mac) != 0)
		return HS_TLS_DEC_BAD;
	*outlen = clen;
	k->seq++;
	return HS_TLS_DEC_OK;
}
