/* tds.h - MS-SQL Tabular Data Stream (MS-TDS) over TCP 1433 as a carrier of
 * authentication: packet framing (8-byte header, messages spanning packets
 * up to the EOM status bit), PRELOGIN (version, encryption - and whether
 * the login then runs inside TLS), LOGIN7 (integrated security flag, names
 * when SQL authentication is used - never the password -, SSPI token ->
 * GSS), SSPI packets -> GSS, and the login response's ERROR / INFO /
 * LOGINACK / SSPI tokens (error 18456 "Login failed for user 'NT
 * AUTHORITY\ANONYMOUS LOGON'." is the double hop's signature on SQL).
 *
 * Zero-copy, allocation-free: hs_tds_msg's slices point into the message
 * payload given to hs_tds_decode (strings stay UTF-16LE as on the wire; the
 * describer converts them).
 */
#ifndef HS_TDS_H
#define HS_TDS_H

#include <stdbool.h>
#include <stdint.h>

#include "app.h"
#include "cursor.h"
#include "out.h"
#include "status.h"

#define HS_TDS_HEADER 8
/* Messages the parser reassembles (PRELOGIN, LOGIN7, SSPI, login
 * response) larger than this are reported by type and size only. */
#define HS_TDS_MAX_MESSAGE 0x10000u
#define HS_TDS_MAX_ERRORS 4      /* ERROR / INFO tokens kept per response */

/* Packet types (MS-TDS 2.2.3.1.1). */
enum {
	HS_TDS_SQL_BATCH = 0x01,
	HS_TDS_PRE_TDS7_LOGIN = 0x02,
	HS_TDS_RPC = 0x03,
	HS_TDS_TABULAR_RESULT = 0x04,
	HS_TDS_ATTENTION = 0x06,
	HS_TDS_BULK_LOAD = 0x07,
	HS_TDS_FEDAUTH_TOKEN = 0x08,
	HS_TDS_TRANSACTION_MANAGER = 0x0e,
	HS_TDS_LOGIN7 = 0x10,
	HS_TDS_SSPI = 0x11,
	HS_TDS_PRELOGIN = 0x12
};

/* What a message is, by packet type and the connection's phase. */
typedef enum hs_tds_kind {
	HS_TDS_KIND_OTHER = 0,      /* any other message: type and size only */
	HS_TDS_KIND_PRELOGIN,       /* client PRELOGIN (or one carrying a TLS handshake) */
	HS_TDS_KIND_PRELOGIN_RESPONSE,
	HS_TDS_KIND_LOGIN7,
	HS_TDS_KIND_SSPI,           /* client SSPI message (type 0x11) */
	HS_TDS_KIND_LOGIN_RESPONSE, /* server token stream during login */
	HS_TDS_KIND_TLS             /* raw TLS records on the TCP stream (encrypted TDS) */
} hs_tds_kind;

/* PRELOGIN ENCRYPTION values (MS-TDS 2.2.6.5). */
enum {
	HS_TDS_ENCRYPT_OFF = 0,
	HS_TDS_ENCRYPT_ON = 1,
	HS_TDS_ENCRYPT_NOT_SUP = 2,
	HS_TDS_ENCRYPT_REQ = 3
};

typedef struct hs_tds_error {
	bool info;            /* INFO token (0xAB) rather than ERROR (0xAA) */
	uint32_t number;
	uint8_t state;
	uint8_t cls;
	hs_slice text;        /* UTF-16LE */
	hs_slice server;      /* UTF-16LE */
	hs_slice proc;        /* UTF-16LE */
	uint32_t line;
} hs_tds_error;

typedef struct hs_tds_msg {
	hs_tds_kind kind;
	uint8_t type;         /* packet type of the message */
	uint16_t spid;
	uint32_t length;      /* payload bytes of the whole message */
	unsigned packets;
	bool too_big;         /* over HS_TDS_MAX_MESSAGE: not decoded */

	/* PRELOGIN / response */
	bool tls_handshake;   /* payload is a TLS record (handshake inside PRELOGIN, 3.2.5.2) */
	bool has_version;
	uint8_t ver_major, ver_minor;
	uint16_t ver_build, ver_sub;
	bool has_encryption;
	uint8_t encryption;
	bool has_mars;
	uint8_t mars;
	bool has_fedauth_required;
	uint8_t fedauth_required;
	hs_slice instance;    /* INSTOPT, NUL-terminated MBCS */
	bool tls;             /* response: both sides agreed, login (or all) continues inside TLS */

	/* LOGIN7 (2.2.6.4) */
	uint32_t tds_version; /* LOGIN7 (little-endian on the wire) or LOGINACK (big-endian) */
	uint32_t packet_size;
	uint8_t option_flags1, option_flags2, type_flags, option_flags3;
	bool integrated;      /* OptionFlags2 fIntSecurity: SSPI (Windows) authentication */
	hs_slice host, user, app, server, library, language, database; /* UTF-16LE */
	hs_slice password;    /* obfuscated UTF-16LE: secret */
	hs_slice change_password; /* secret */
	hs_slice sspi;        /* LOGIN7 SSPI data, SSPI message body, or SSPI token (0xED) of a response */
	bool has_sspi;

	/* login response tokens (2.2.7) */
	hs_tds_error errors[HS_TDS_MAX_ERRORS];
	uint8_t n_errors;
	unsigned errors_more;
	bool has_loginack;
	uint8_t interface;
	hs_slice prog_name;   /* UTF-16LE */
	uint8_t prog_major, prog_minor;
	uint16_t prog_build;
	bool has_done;
	uint16_t done_status;
	uint8_t undecoded_token; /* first token type not walked past (0 when all were) */
} hs_tds_msg;

/* One packet header (2.2.3.1): OK with consumed = the packet's length
 * (header included) when the whole packet is there and *type / *status
 * set; INCOMPLETE (needed = packet length once known, else 8); ERROR
 * HS_E_MALFORMED for a length below 8 or an unknown packet type. */
hs_parse_result hs_tds_packet(const uint8_t *p, size_t len, uint8_t *type, uint8_t *status);

/* How the bytes at p start: a TLS record (first byte 0x14-0x17, then 0x03)
 * rather than a TDS packet.  Needs 2 bytes (false with fewer). */
bool hs_tds_is_tls(const uint8_t *p, size_t len);

/* Decode one reassembled message payload (the packets' payloads
 * concatenated, headers removed) of the given kind into *m; m->type,
 * spid, length and packets are the caller's to set (left as they are).
 * tds_version_hint: the TDS version in use if known (LOGINACK's), else 0
 * (assume 7.2+: 4-byte LineNumber, 12-byte DONE).  Slices point into p.
 * Returns HS_OK or the first error (what was decoded is kept). */
hs_err hs_tds_decode(hs_tds_kind kind, const uint8_t *p, size_t len, uint32_t tds_version_hint, hs_tds_msg *m);

/* Names: "PRELOGIN", "LOGIN7" ...; "ENCRYPT_OFF" ...; never NULL. */
const char *hs_tds_type_name(uint8_t type);
const char *hs_tds_encryption_name(uint8_t enc);

/* Describe an hs_tds_msg (body of HS_PROTO_TDS): "type", "kind", "length",
 * per kind "version", "encryption", "tls", "tls_handshake",
 * "integrated_security", "user", "host", "app", "server", "database",
 * "library", "password_present" (never the password unless
 * HS_DESCRIBE_SECRETS, and then decoded), "sspi_len", "errors" [{"number",
 * "state", "class", "message", "server", "proc", "line"}], "login_ack"
 * {"tds_version", "program", "version"}. */
void hs_tds_describe(const void *body, hs_out *o, unsigned flags);

/* The engine's parser for TCP 1433. */
extern const hs_app hs_tds_app;

#endif
