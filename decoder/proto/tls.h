/* tls.h - TLS 1.0-1.3 (RFC 5246, RFC 8446): records, handshake, and
 * decryption with NSS key log files, as the layer between the engine's TCP
 * streams and the protocol inside (HTTP/WinRM on 5986, LDAP on 636/3269,
 * CredSSP inside HTTP headers and RDP).
 *
 * Three layers:
 *  - pure parsers (hs_tls_record_parse, hs_tls_hello_parse,
 *    hs_tls_certificate_parse) that never allocate and return slices into
 *    the caller's bytes;
 *  - hs_tls_conn: the lasting state of one TLS connection (both directions):
 *    handshake reassembly, randoms, the negotiated suite, per-direction keys
 *    and sequence numbers.  It is fed whole records per direction
 *    (hs_tls_conn_stream), emits HS_PROTO_TLS messages and hands each
 *    decrypted application-data fragment to a callback;
 *  - engine parsers (tls_app.c: hs_tls_http_app, hs_tls_ldap_app) that wrap an inner
 *    hs_app: the inner parser receives the plaintext exactly as it would
 *    receive a cleartext stream (app.h contract), so HTTPS WinRM is decoded
 *    by http.c like 5985.
 *
 * Decryption (tls_crypt.c, OpenSSL 3 EVP): TLS 1.2 AES-GCM, AES-CBC with
 * HMAC-SHA1/SHA256/SHA384 (MAC-then-encrypt and encrypt-then-MAC, RFC 7366),
 * ChaCha20-Poly1305 (RFC 7905); TLS 1.3 AES-GCM and ChaCha20-Poly1305 with
 * KeyUpdate.  A record is decrypted only with the key log's secret for its
 * connection; an authentication failure (AEAD tag, MAC, padding) is
 * reported ("bad_key") and decryption of that direction stops: nothing is
 * ever guessed.
 */
#ifndef HS_TLS_H
#define HS_TLS_H

#include <glib.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "app.h"
#include "cursor.h"
#include "status.h"

/* RFC 5246 6.2.3: TLSCiphertext.length <= 2^14 + 2048 (RFC 8446 5.2 is
 * tighter: 2^14 + 256). */
#define HS_TLS_MAX_RECORD (16384u + 2048u)
/* One handshake message (a certificate chain is the largest in practice). */
#define HS_TLS_MAX_HANDSHAKE (256u * 1024u)
#define HS_TLS_MAX_SUITES 64
#define HS_TLS_MAX_EXT 40
#define HS_TLS_MAX_ALPN 8
#define HS_TLS_MAX_VERSIONS 8
#define HS_TLS_NAME_MAX 256 /* certificate subject / issuer text */

/* Content types (RFC 8446 5.1). */
enum {
	HS_TLS_CT_CCS = 20,
	HS_TLS_CT_ALERT = 21,
	HS_TLS_CT_HANDSHAKE = 22,
	HS_TLS_CT_APPDATA = 23
};

/* Handshake types (RFC 8446 4, RFC 5246 7.4). */
enum {
	HS_TLS_HS_HELLO_REQUEST = 0,
	HS_TLS_HS_CLIENT_HELLO = 1,
	HS_TLS_HS_SERVER_HELLO = 2,
	HS_TLS_HS_NEW_SESSION_TICKET = 4,
	HS_TLS_HS_END_OF_EARLY_DATA = 5,
	HS_TLS_HS_ENCRYPTED_EXTENSIONS = 8,
	HS_TLS_HS_CERTIFICATE = 11,
	HS_TLS_HS_SERVER_KEY_EXCHANGE = 12,
	HS_TLS_HS_CERTIFICATE_REQUEST = 13,
	HS_TLS_HS_SERVER_HELLO_DONE = 14,
	HS_TLS_HS_CERTIFICATE_VERIFY = 15,
	HS_TLS_HS_CLIENT_KEY_EXCHANGE = 16,
	HS_TLS_HS_FINISHED = 20,
	HS_TLS_HS_KEY_UPDATE = 24
};

/* ------------------------------------------------------------ records */

typedef struct hs_tls_record {
	uint8_t type;       /* content type */
	uint16_t version;   /* legacy_record_version */
	hs_slice fragment;  /* the record's payload (opaque when encrypted) */
} hs_tls_record;

/* One record header + fragment at p.  HS_PARSE_OK with consumed = 5 + length;
 * HS_PARSE_INCOMPLETE with needed = the record's total size (5 when the
 * header is not complete); HS_PARSE_ERROR HS_E_MALFORMED when the bytes are
 * not a TLS record (content type outside 20..24, major version not 3) or
 * HS_E_LIMIT when length > HS_TLS_MAX_RECORD. */
hs_parse_result hs_tls_record_parse(const uint8_t *p, size_t len, hs_tls_record *r);

/* True when p starts like a TLS record (type 20..23, version 3.x); for
 * protocol detection (HTTP, LDAP and RDP see TLS where they expect
 * cleartext). */
bool hs_tls_looks_like_record(const uint8_t *p, size_t len);

/* --------------------------------------------------------- handshake */

typedef struct hs_tls_hello {
	bool server;              /* ServerHello (else ClientHello) */
	bool hrr;                 /* ServerHello that is a HelloRetryRequest (RFC 8446 4.1.3) */
	uint16_t legacy_version;
	const uint8_t *random;    /* 32 bytes */
	hs_slice session_id;
	uint16_t suites[HS_TLS_MAX_SUITES]; /* ClientHello: offered suites */
	size_t nsuites, suites_more;
	uint16_t suite;           /* ServerHello: the chosen one */
	uint16_t ext[HS_TLS_MAX_EXT];       /* extension types in order */
	size_t next, ext_more;
	hs_slice sni;             /* server_name host_name (ClientHello) */
	hs_slice alpn[HS_TLS_MAX_ALPN];     /* offered (client) / selected (server, EncryptedExtensions) */
	size_t nalpn, alpn_more;
	uint16_t versions[HS_TLS_MAX_VERSIONS]; /* supported_versions (client list) */
	size_t nversions;
	uint16_t selected_version; /* supported_versions in ServerHello (0 = absent) */
	bool etm;                 /* encrypt_then_mac (RFC 7366) */
	bool ems;                 /* extended_master_secret (RFC 7627) */
	bool session_ticket;      /* SessionTicket extension present (RFC 5077) */
	size_t ticket_len;        /* its length (client: a ticket offered for resumption) */
	bool psk;                 /* pre_shared_key (RFC 8446 4.2.11) */
	uint16_t psk_identities;  /* client: identities offered */
	uint16_t psk_selected;    /* server: identity chosen */
	bool early_data;          /* early_data extension */
	bool reneg_info;          /* renegotiation_info or the SCSV */
	uint16_t key_share_group; /* server: chosen group; client: first share's group */
} hs_tls_hello;

/* Parse a ClientHello (server = false) or ServerHello body (after the
 * 4-byte handshake header); with encrypted_extensions = true, the body of
 * an EncryptedExtensions message (only extensions are read).  Slices point
 * into p.  Returns HS_OK, HS_E_TRUNCATED, HS_E_MALFORMED or
 * HS_E_TRAILING; h holds what was decoded. */
hs_err hs_tls_hello_parse(const uint8_t *p, size_t len, bool server, hs_tls_hello *h);
hs_err hs_tls_encrypted_extensions_parse(const uint8_t *p, size_t len, hs_tls_hello *h);

typedef struct hs_tls_cert {
	size_t ncerts;            /* certificates in the chain */
	size_t first_len;         /* DER size of the end-entity certificate */
	bool decoded;             /* the first certificate was parsed by OpenSSL */
	char subject[HS_TLS_NAME_MAX]; /* RFC 2253 text ("CN=srv1.hop.test,O=...") */
	char issuer[HS_TLS_NAME_MAX];
	bool self_signed;         /* subject == issuer */
} hs_tls_cert;

/* Parse a Certificate body (TLS 1.2: certificate_list; TLS 1.3: context +
 * CertificateEntry list).  The first certificate's subject and issuer come
 * from OpenSSL's d2i_X509 (which allocates internally and is freed before
 * returning).  Returns HS_OK or the first error. */
hs_err hs_tls_certificate_parse(const uint8_t *p, size_t len, bool tls13, hs_tls_cert *c);

/* Names: "TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256", "TLS 1.2", "handshake_failure",
 * "client_hello"; NULL when unknown (callers print the number). */
const char *hs_tls_suite_name(uint16_t id);
const char *hs_tls_version_name(uint16_t v);
const char *hs_tls_alert_name(uint8_t desc);
const char *hs_tls_handshake_name(uint8_t type);

/* ------------------------------------------------------------ key log */

typedef struct hs_keylog hs_keylog;

/* Secrets a key log line can hold (NSS key log format). */
typedef enum hs_keylog_label {
	HS_KL_CLIENT_RANDOM = 0,                  /* TLS 1.2: the 48-byte master secret */
	HS_KL_CLIENT_HANDSHAKE_TRAFFIC_SECRET,
	HS_KL_SERVER_HANDSHAKE_TRAFFIC_SECRET,
	HS_KL_CLIENT_TRAFFIC_SECRET_0,
	HS_KL_SERVER_TRAFFIC_SECRET_0,
	HS_KL__COUNT
} hs_keylog_label;

#define HS_KEYLOG_MAX_ENTRIES 1000000u /* client randoms kept */
#define HS_KEYLOG_MAX_LINE 1024u
#define HS_KEYLOG_MAX_SECRET 64u
#define HS_KEYLOG_MAX_FILE (128u << 20) /* bytes read from one key log (keyfile.h) */

hs_keylog *hs_keylog_new(void);
void hs_keylog_free(hs_keylog *k);

/* Add the lines of one key log file.  Unknown labels (EXPORTER_SECRET, RSA,
 * EARLY ...) and comments are skipped; malformed lines (bad hex, a random
 * that is not 32 bytes, a secret over HS_KEYLOG_MAX_SECRET, a line over
 * HS_KEYLOG_MAX_LINE) are counted in *bad.  *added counts the secrets
 * stored (either may be NULL).  The file may be a pipe, FIFO or device
 * (read up to HS_KEYLOG_MAX_FILE like a regular file); UTF-16 (PowerShell's
 * default) and a UTF-8 BOM are read as text (keyfile.h).  Returns HS_OK,
 * HS_E_UNKNOWN when the file cannot be opened or is a directory (errno
 * kept), HS_E_NOMEM when it holds more than HS_KEYLOG_MAX_FILE bytes,
 * HS_E_MALFORMED when it is UTF-16 that does not convert (nothing read),
 * or HS_E_LIMIT when HS_KEYLOG_MAX_ENTRIES is reached (lines after it are
 * ignored).  hs_keylog_why() then says why, or names the first malformed
 * line ("FILE line N: NUL byte"). */
hs_err hs_keylog_load(hs_keylog *k, const char *path, size_t *added, size_t *bad);

/* Follow a key log still being written (a running client's SSLKEYLOGFILE):
 * read its whole lines now, and the lines appended later at each
 * hs_keylog_refresh().  A last line without its newline is read once it is
 * complete; a file that shrinks (truncated, replaced) is read again from
 * the start.  A file that does not exist yet is followed too (the client
 * creates it when it starts).  Returns and counts as hs_keylog_load; the
 * file is not followed when it exists but cannot be read (HS_E_UNKNOWN),
 * nor when it is not a regular file (a FIFO or pipe is read once). */
hs_err hs_keylog_follow(hs_keylog *k, const char *path, size_t *added, size_t *bad);

/* Read what was appended to every followed file since the last read.
 * *added / *bad count this call's secrets and malformed lines (either may
 * be NULL).  A followed file that cannot be opened any more is skipped
 * (its secrets stay).  Returns HS_OK or HS_E_LIMIT. */
hs_err hs_keylog_refresh(hs_keylog *k, size_t *added, size_t *bad);

/* The last read's failure, or its first malformed line ("FILE line 3: NUL
 * byte"); NULL when there was none.  Valid until the next read. */
const char *hs_keylog_why(const hs_keylog *k);

/* "UTF-16LE", "UTF-16BE" or "UTF-8 with BOM" when the last file read
 * was converted, else NULL. */
const char *hs_keylog_encoding(const hs_keylog *k);

/* True when at least one file is followed. */
bool hs_keylog_following(const hs_keylog *k);

/* Add one line (no newline needed).  Returns HS_OK, HS_E_UNKNOWN for a
 * label hopsniff does not use or a comment/blank line, HS_E_MALFORMED,
 * HS_E_LIMIT. */
hs_err hs_keylog_add_line(hs_keylog *k, const char *line, size_t len);

/* The secret for (client_random, label): true and *secret set (valid while
 * k lives), or false. */
bool hs_keylog_get(const hs_keylog *k, const uint8_t client_random[32], hs_keylog_label label, hs_slice *secret);

/* -------------------------------------------------------- decryption */

typedef struct hs_tls_suite_info hs_tls_suite_info; /* tls_crypt.c */

/* Keys of one direction. */
typedef struct hs_tls_keys {
	const hs_tls_suite_info *suite;
	uint16_t version;           /* negotiated (0x0301..0x0304) */
	bool etm;
	uint8_t key[32], iv[12], mac_key[48];
	uint8_t secret[48];         /* TLS 1.3 current traffic secret */
	uint8_t secret_len;
	uint64_t seq;
} hs_tls_keys;

/* Why a record was not decrypted. */
typedef enum hs_tls_dec {
	HS_TLS_DEC_OK = 0,
	HS_TLS_DEC_BAD,        /* authentication failed (AEAD tag, MAC, padding): wrong key */
	HS_TLS_DEC_SHORT,      /* fragment too short for the cipher's overhead */
	HS_TLS_DEC_ERROR       /* OpenSSL failure */
} hs_tls_dec;

/* True when hopsniff can decrypt this suite. */
bool hs_tls_suite_decryptable(uint16_t id);

/* TLS 1.2 (and 1.1 / 1.0 AEAD-less CBC is not supported): derive both
 * directions' keys from the master secret (RFC 5246 6.3, TLS1-PRF).  Returns
 * HS_OK or HS_E_UNSUPPORTED (suite not decryptable) / HS_E_MALFORMED. */
hs_err hs_tls12_derive(const uint8_t *master, size_t mlen, const uint8_t cr[32], const uint8_t sr[32], uint16_t suite,
		       uint16_t version, bool etm, hs_tls_keys *client, hs_tls_keys *server);

/* TLS 1.3: keys from a traffic secret (RFC 8446 7.3); seq restarts at 0. */
hs_err hs_tls13_derive(const uint8_t *secret, size_t len, uint16_t suite, hs_tls_keys *k);

/* TLS 1.3 KeyUpdate (RFC 8446 7.2): the next traffic secret and its keys. */
hs_err hs_tls13_update(hs_tls_keys *k);

/* Decrypt one record (header hdr[5], fragment frag/len) into out (at least
 * len bytes).  On HS_TLS_DEC_OK *outlen is the plaintext length and *type
 * the real content type (TLS 1.3 inner type; the record's otherwise), and
 * k->seq is advanced.  Nothing is advanced on failure. */
hs_tls_dec hs_tls_decrypt(hs_tls_keys *k, const uint8_t hdr[5], const uint8_t *frag, size_t len, uint8_t *out,
			  size_t *outlen, uint8_t *type);

/* ------------------------------------------------------- connection */

/* What an HS_PROTO_TLS message is. */
typedef enum hs_tls_msg_kind {
	HS_TLS_MSG_HANDSHAKE = 0, /* a handshake message (hs_type) */
	HS_TLS_MSG_ALERT,
	HS_TLS_MSG_CCS,
	HS_TLS_MSG_UNDECRYPTED    /* first encrypted record of a direction that cannot be decrypted */
} hs_tls_msg_kind;

/* Body of an HS_PROTO_TLS message; pointers live during the sink call. */
typedef struct hs_tls_msg {
	hs_tls_msg_kind kind;
	uint8_t hs_type;            /* HANDSHAKE */
	uint32_t hs_len;
	uint16_t record_version;
	uint16_t version;           /* negotiated version once known (else 0) */
	uint16_t suite;             /* negotiated suite once known */
	bool decrypted;             /* came out of an encrypted record */
	bool resumed;               /* ServerHello: session resumption (TLS 1.2 id/ticket, TLS 1.3 PSK) */
	const hs_tls_hello *hello;  /* CLIENT_HELLO / SERVER_HELLO / ENCRYPTED_EXTENSIONS */
	const hs_tls_cert *cert;    /* CERTIFICATE */
	uint8_t alert_level, alert_desc;
	uint8_t key_update_request; /* KEY_UPDATE: 1 = update_requested */
	const char *reason;         /* UNDECRYPTED: "no_key_log", "no_key", "bad_key", "unsupported_cipher",
				       "no_handshake", "handshake_lost" */
	const char *secret_label;   /* UNDECRYPTED "no_key": which key log label was missing */
	hs_err err;                 /* HANDSHAKE: parse result of the body */
} hs_tls_msg;

void hs_tls_describe(const void *body, hs_out *o, unsigned flags);

/* Decrypted application data of one direction (dir = ctx->dir). */
typedef void (*hs_tls_data_fn)(void *ud, hs_app_ctx *ctx, const uint8_t *p, size_t len);

typedef struct hs_tls_dir {
	GByteArray *hs;             /* handshake bytes not yet a whole message */
	hs_tls_keys keys;
	bool encrypting;            /* records of this direction are protected */
	bool have_keys;
	bool failed;                /* decryption stopped (reason reported) */
	bool hs_lost;               /* handshake reassembly given up (cap, gap) */
	bool lost;                  /* stream gap: records no longer aligned/decryptable */
	bool reported;
	uint8_t want;               /* label + 1 of the secret the last set_keys asked for (0 none) */
	uint64_t records, decrypted;
} hs_tls_dir;

typedef struct hs_tls_conn {
	hs_tls_dir d[2];             /* 0 = client (the connection's initiator) */
	uint8_t client_random[32], server_random[32];
	bool have_cr, have_sr;
	uint16_t version;            /* negotiated */
	uint16_t suite;
	bool tls13, etm, hrr_seen, resumed;
	uint8_t sid[32];
	uint8_t sid_len;
	bool client_ticket;
	hs_proto carrier;            /* carrier of the emitted messages (HS_PROTO_NONE = none) */
	hs_tls_data_fn on_data;
	void *ud;
} hs_tls_conn;

/* Set up a connection whose memory is zeroed or was set up before (what it
 * held is released). */
void hs_tls_conn_init(hs_tls_conn *c, hs_proto carrier, hs_tls_data_fn on_data, void *ud);

/* Free what the connection allocated (it may be reused after init). */
void hs_tls_conn_release(hs_tls_conn *c);

/* Feed bytes of direction ctx->dir (0 = client).  Consumes whole records
 * only: HS_PARSE_OK with consumed (possibly 0 when no whole record is
 * there: then incomplete with needed), HS_PARSE_ERROR when the bytes are
 * not TLS (the caller resynchronises with hs_tls_conn_gap).  Emits
 * HS_PROTO_TLS messages through ctx and hands plaintext to on_data. */
hs_parse_result hs_tls_conn_stream(hs_tls_conn *c, hs_app_ctx *ctx, const uint8_t *p, size_t len);

/* Bytes were lost in ctx->dir: that direction cannot be decrypted any
 * more (sequence numbers and CBC state are gone); records are still parsed
 * once a record boundary is found again. */
void hs_tls_conn_gap(hs_tls_conn *c, hs_app_ctx *ctx);

/* Engine parsers: TLS around HTTP (5986) and LDAP (636, 3269). */
extern const hs_app hs_tls_http_app;
extern const hs_app hs_tls_ldap_app;
/* TLS found by a probe on another port: its plaintext is probed (probe.c). */
extern const hs_app hs_tls_any_app;

#endif
