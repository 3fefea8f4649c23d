/* krb5.h - the Kerberos V5 ASN.1 module: RFC 4120 PDUs, with the MS-KILE,
 * MS-SFU (S4U2Self / S4U2Proxy) and RFC 6113 (FAST) pre-authentication data
 * a delegation diagnosis needs, plus the RFC 4121 GSS-API token framing and
 * the RFC 4120 s7.2.2 TCP record marking (port 88).
 *
 * Decoding is zero-copy and allocation-free: hs_krb_msg is a caller-owned
 * struct of fixed-size arrays whose hs_slice members point into the input
 * buffer, so a decoded message is valid only while that buffer is.  Arrays
 * have explicit maxima (HS_KRB_MAX_*); elements that did not fit are counted
 * in the matching `more_*` counter, never dropped silently.
 *
 * Nesting is bounded by the code, not by the input: the only PDU nested
 * inside another is an AP-REQ (inside PA-TGS-REQ, and as the FAST armor), and
 * an AP-REQ carries no PA-DATA, so the depth is one level.  Ticket contents
 * are never decrypted here: krb5_dec.c does that with keytabs and hangs the
 * result on `dec`.
 *
 * Secret material (cipher text of tickets, authenticators, enc-parts,
 * checksums) is kept as slices but hs_krb_describe writes it only with
 * HS_DESCRIBE_SECRETS; otherwise it writes etype/kvno/size.
 */
#ifndef HS_KRB5_H
#define HS_KRB5_H

#include <stdbool.h>
#include <stdint.h>

#include "app.h"
#include "cursor.h"
#include "ntstatus.h"
#include "out.h"
#include "status.h"

#define HS_KRB_MAX_NAME 8        /* PrincipalName components */
#define HS_KRB_MAX_ETYPES 32     /* KDC-REQ-BODY etype list */
#define HS_KRB_MAX_PADATA 16     /* PA-DATA entries (padata or e-data METHOD-DATA) */
#define HS_KRB_MAX_ADDL 4        /* additional-tickets / KRB-CRED tickets */
#define HS_KRB_MAX_ADDRS 8       /* HostAddresses */
#define HS_KRB_MAX_ETYPE_INFO 8  /* ETYPE-INFO(2) entries */
#define HS_KRB_MAX_TYPED 8       /* TYPED-DATA entries */

/* Cap on one TCP record (RFC 4120 s7.2.2 allows 2^31-1; real PDUs with a
 * PAC stay well below 64 KiB).  A larger length is an error, not a wait. */
#define HS_KRB_TCP_MAX 0x100000u

/* Message types (RFC 4120 s5.10 / application tags). */
enum {
	HS_KRB_AS_REQ = 10,
	HS_KRB_AS_REP = 11,
	HS_KRB_TGS_REQ = 12,
	HS_KRB_TGS_REP = 13,
	HS_KRB_AP_REQ = 14,
	HS_KRB_AP_REP = 15,
	HS_KRB_TGT_REQ = 16,   /* user-to-user KERB-TGT-REQUEST (GSS TOK_ID 04 00) */
	HS_KRB_TGT_REP = 17,   /* user-to-user KERB-TGT-REPLY (GSS TOK_ID 04 01) */
	HS_KRB_SAFE = 20,
	HS_KRB_PRIV = 21,
	HS_KRB_CRED = 22,
	HS_KRB_ERROR = 30
};

/* PA-DATA types this decoder understands (RFC 4120 s7.5.2, MS-KILE, MS-SFU,
 * RFC 6113). */
enum {
	HS_KRB_PA_TGS_REQ = 1,
	HS_KRB_PA_ENC_TIMESTAMP = 2,
	HS_KRB_PA_PW_SALT = 3,
	HS_KRB_PA_ETYPE_INFO = 11,
	HS_KRB_PA_ETYPE_INFO2 = 19,
	HS_KRB_PA_PAC_REQUEST = 128,
	HS_KRB_PA_FOR_USER = 129,
	HS_KRB_PA_S4U_X509_USER = 130,
	HS_KRB_PA_FX_COOKIE = 133,
	HS_KRB_PA_FX_FAST = 136,
	HS_KRB_PA_FX_ERROR = 137,
	HS_KRB_PA_ENCRYPTED_CHALLENGE = 138,
	HS_KRB_PA_REQ_ENC_PA_REP = 149,
	HS_KRB_PA_SUPPORTED_ETYPES = 165,
	HS_KRB_PA_PAC_OPTIONS = 167
};

/* What an hs_krb_msg holds. */
typedef enum hs_krb_kind {
	HS_KRB_KIND_NONE = 0,  /* nothing decoded */
	HS_KRB_KIND_PDU,       /* a Kerberos PDU (msg_type says which) */
	HS_KRB_KIND_GSS_WRAP,  /* RFC 4121 s4.2.6.2 Wrap token (TOK_ID 05 04) */
	HS_KRB_KIND_GSS_MIC,   /* RFC 4121 s4.2.6.1 MIC token (TOK_ID 04 04) */
	HS_KRB_KIND_GSS_OTHER  /* GSS krb5 token with a TOK_ID this code does not decode */
} hs_krb_kind;

/* PrincipalName (RFC 4120 s5.2.2). */
typedef struct hs_krb_name {
	bool present;
	int32_t type;                       /* name-type: 1 NT-PRINCIPAL, 2 NT-SRV-INST, 10 NT-ENTERPRISE ... */
	uint8_t n;                          /* components stored */
	uint32_t more;                      /* components that did not fit */
	hs_slice comp[HS_KRB_MAX_NAME];
} hs_krb_name;

/* EncryptedData (RFC 4120 s5.2.9).  cipher is secret. */
typedef struct hs_krb_enc {
	bool present;
	int32_t etype;
	bool has_kvno;
	uint32_t kvno;
	hs_slice cipher;
} hs_krb_enc;

/* Checksum (RFC 4120 s5.2.9).  value is secret. */
typedef struct hs_krb_cksum {
	bool present;
	int32_t type;
	hs_slice value;
} hs_krb_cksum;

/* Ticket (RFC 4120 s5.3): only the clear-text part. */
typedef struct hs_krb_ticket {
	bool present;
	int32_t tkt_vno;
	hs_slice realm;
	hs_krb_name sname;
	hs_krb_enc enc;
} hs_krb_ticket;

/* AP-REQ (RFC 4120 s5.5.1), top-level or nested (PA-TGS-REQ, FAST armor). */
typedef struct hs_krb_ap_req {
	bool present;
	int32_t pvno;
	uint32_t ap_options;                /* bit 1 use-session-key = 0x40000000, bit 2 mutual-required = 0x20000000 */
	hs_krb_ticket ticket;
	hs_krb_enc authenticator;           /* encrypted; etype/kvno only unless secrets */
} hs_krb_ap_req;

/* HostAddress (RFC 4120 s5.2.5). */
typedef struct hs_krb_addr {
	int32_t type;                       /* 2 IPv4, 24 IPv6, 20 NetBIOS ... */
	hs_slice addr;
} hs_krb_addr;

/* One PA-DATA (RFC 4120 s5.2.7) or, in KRB-ERROR e-data, one TYPED-DATA /
 * KERB-ERROR-DATA entry.  The value is decoded by type into the typed
 * members of hs_krb_msg (first occurrence of each type); err is the result
 * of decoding this value (HS_OK also for types that are only listed). */
typedef struct hs_krb_padata {
	int32_t type;
	hs_slice value;
	hs_err err;
} hs_krb_padata;

/* ETYPE-INFO-ENTRY / ETYPE-INFO2-ENTRY (RFC 4120 s5.2.7.4, s5.2.7.5). */
typedef struct hs_krb_etype_info {
	int32_t etype;
	bool has_salt;
	hs_slice salt;
	bool has_s2kparams;
	hs_slice s2kparams;
} hs_krb_etype_info;

/* How KRB-ERROR e-data was shaped. */
typedef enum hs_krb_edata_kind {
	HS_KRB_EDATA_NONE = 0,
	HS_KRB_EDATA_METHOD_DATA,  /* SEQUENCE OF PA-DATA (RFC 4120 s5.9.1): entries in padata[] */
	HS_KRB_EDATA_TYPED_DATA,   /* SEQUENCE OF {data-type [0], data-value [1]} (RFC 4120 s5.9.1): entries in padata[] */
	HS_KRB_EDATA_ERROR_DATA,   /* KERB-ERROR-DATA (MS-KILE 2.2.2): edata_type / edata_value */
	HS_KRB_EDATA_RAW           /* none of the above */
} hs_krb_edata_kind;

typedef struct hs_krb_msg {
	hs_krb_kind kind;
	/* GSS framing (hs_krb_gss_decode) */
	bool gss;                           /* came inside an InitialContextToken or as a GSS per-message token */
	hs_slice gss_oid;                   /* mech OID content bytes (empty for a bare PDU) */
	uint16_t gss_tok_id;                /* 0x0100 AP-REQ, 0x0200 AP-REP, 0x0300 KRB-ERROR, 0x0400 / 0x0401 user-to-user TGT-REQ / TGT-REP, 0x0404 MIC, 0x0504 Wrap */
	uint8_t gss_flags;                  /* Wrap/MIC tokens: RFC 4121 s4.2.2 flags */

	int32_t pvno;
	int32_t msg_type;                   /* HS_KRB_* (also the APPLICATION tag) */

	/* PA-DATA: KDC-REQ/KDC-REP padata, or KRB-ERROR METHOD-DATA/TYPED-DATA */
	uint8_t n_padata;
	uint32_t more_padata;
	hs_krb_padata padata[HS_KRB_MAX_PADATA];

	/* KDC-REQ-BODY (AS-REQ, TGS-REQ) */
	uint32_t kdc_options;               /* bit 0 = 0x80000000 ... bit 31 = 0x1 */
	hs_krb_name cname;                  /* also KDC-REP / KRB-ERROR cname */
	hs_slice realm;                     /* KDC-REQ-BODY realm; KRB-ERROR realm (of sname) */
	hs_krb_name sname;                  /* also KRB-ERROR sname */
	bool has_from, has_rtime;
	hs_slice from, till, rtime;         /* KerberosTime text "YYYYMMDDHHMMSSZ" */
	bool has_nonce;
	uint32_t nonce;
	uint8_t n_etypes;
	uint32_t more_etypes;
	int32_t etypes[HS_KRB_MAX_ETYPES];
	uint8_t n_addrs;
	uint32_t more_addrs;
	hs_krb_addr addrs[HS_KRB_MAX_ADDRS];
	hs_krb_enc enc_authorization_data;
	uint8_t n_addl;                     /* additional-tickets (KDC-REQ) or tickets (KRB-CRED) */
	uint32_t more_addl;
	hs_krb_ticket addl[HS_KRB_MAX_ADDL];

	/* KDC-REP (AS-REP, TGS-REP), KRB-ERROR */
	hs_slice crealm;
	hs_krb_ticket ticket;               /* KDC-REP ticket; AP-REQ ticket is ap_req.ticket */
	hs_krb_enc enc_part;                /* KDC-REP, AP-REP, KRB-PRIV, KRB-CRED enc-part */

	/* AP-REQ (msg_type 14) */
	hs_krb_ap_req ap_req;

	/* KRB-ERROR */
	bool has_error_code;
	int32_t error_code;
	bool has_ctime, has_cusec;
	hs_slice ctime;
	int32_t cusec;
	hs_slice stime;
	int32_t susec;
	bool has_e_text;
	hs_slice e_text;
	bool has_e_data;
	hs_slice e_data;
	hs_krb_edata_kind edata_kind;
	int32_t edata_type;                 /* KERB-ERROR-DATA data-type (3 = KERB_ERR_TYPE_EXTENDED) */
	hs_slice edata_value;
	bool has_ntstatus;                  /* KERB-EXT-ERROR (MS-KILE 2.2.1) found */
	uint32_t ntstatus;
	uint32_t ext_error_flags;

	/* KRB-SAFE (RFC 4120 s5.6) */
	hs_slice safe_user_data;            /* user data in the clear */
	bool has_safe_seq;
	uint32_t safe_seq;
	hs_krb_cksum cksum;                 /* KRB-SAFE cksum */

	/* PA-DATA values decoded by type (first occurrence of each) */
	hs_krb_ap_req tgs_ap_req;           /* PA-TGS-REQ (1) */
	hs_krb_enc enc_timestamp;           /* PA-ENC-TIMESTAMP (2) */
	hs_krb_enc enc_challenge;           /* PA-ENCRYPTED-CHALLENGE (138) */
	bool etype_info2;                   /* true: entries from ETYPE-INFO2 (19); false: ETYPE-INFO (11) */
	uint8_t n_etype_info;
	uint32_t more_etype_info;
	hs_krb_etype_info etype_info[HS_KRB_MAX_ETYPE_INFO];
	bool has_pac_request;               /* PA-PAC-REQUEST (128) */
	bool include_pac;
	struct {                            /* PA-FOR-USER (129), MS-SFU 2.2.1 */
		bool present;
		hs_krb_name user;
		hs_slice realm;
		hs_krb_cksum cksum;
		hs_slice auth_package;
	} for_user;
	struct {                            /* PA-S4U-X509-USER (130), MS-SFU 2.2.2 */
		bool present;
		uint32_t nonce;
		hs_krb_name cname;
		hs_slice crealm;
		bool has_cert;
		hs_slice cert;
		bool has_options;
		uint32_t options;           /* bit 0 0x80000000 ? ; bit 1 check-logon-hours 0x40000000; bit 2 sign-reply 0x20000000 */
		hs_krb_cksum cksum;
	} s4u_x509;
	bool has_pac_options;               /* PA-PAC-OPTIONS (167), MS-KILE 2.2.10 */
	uint32_t pac_options;               /* claims 0x80000000, branch-aware 0x40000000, forward-to-full-dc 0x20000000, rbcd 0x10000000 */
	struct {                            /* PA-FX-FAST (136), RFC 6113 s5.4.2 */
		bool present;
		bool reply;                 /* PA-FX-FAST-REPLY (KDC-REP / KRB-ERROR) */
		bool has_armor;
		int32_t armor_type;         /* 1 = FX_FAST_ARMOR_AP_REQUEST */
		hs_slice armor_value;
		hs_krb_ap_req armor_ap_req; /* armor_type 1, decoded */
		hs_krb_cksum req_cksum;
		hs_krb_enc enc;             /* enc-fast-req / enc-fast-rep */
	} fast;
	bool has_supported_etypes;          /* PA-SUPPORTED-ENCTYPES (165), MS-KILE 2.2.8 */
	uint32_t supported_etypes;          /* little-endian 32-bit flags */
	bool req_enc_pa_rep;                /* PA-REQ-ENC-PA-REP (149), RFC 6806 s11 */
	hs_slice pw_salt;                   /* PA-PW-SALT (3), when not an NTSTATUS carrier */

	/* what keys revealed (krb5_dec.h): set by the emitters when the engine
	 * has keytabs, NULL otherwise; described as "decrypted" */
	const struct hs_krb_dec *dec;

	/* decoding bookkeeping */
	hs_err err;                         /* what the decode function returned */
	hs_err value_err;                   /* first error met inside a PA-DATA/e-data value (outer PDU intact) */
} hs_krb_msg;

/* Decode one Kerberos PDU: an [APPLICATION n] element, n one of 10..15,
 * 20, 21, 22, 30.  p/len: the caller's buffer, which must outlive *m.
 * *m is zeroed first, then holds what was decoded so far in all cases.
 * Returns HS_OK; HS_E_TRUNCATED when p is a prefix of a longer PDU (the
 * outer element claims more bytes than len); HS_E_MALFORMED (or another
 * error) when the bytes cannot be a valid PDU, including an inner element
 * cut short inside a complete outer one and a malformed PA-DATA value;
 * HS_E_TRAILING when bytes follow the PDU; HS_E_UNKNOWN when the first
 * element is not a Kerberos application tag. */
hs_err hs_krb_decode(const uint8_t *p, size_t len, hs_krb_msg *m);

/* Decode a GSS-API krb5 token: an InitialContextToken (RFC 2743 s3.1,
 * RFC 4121 s4.1: [APPLICATION 0] { mech OID 1.2.840.113554.1.2.2, or
 * 1.2.840.48018.1.2.2 (Microsoft), 1.3.5.1.5.2, 1.3.6.1.5.2.5 (IAKERB);
 * TOK_ID 01 00 AP-REQ / 02 00 AP-REP / 03 00 KRB-ERROR; inner PDU }), or a
 * bare AP-REP / KRB-ERROR (what Windows puts in SPNEGO responseToken), or an
 * RFC 4121 MIC (04 04) / Wrap (05 04) token, reported as kind
 * HS_KRB_KIND_GSS_MIC / _WRAP with no further decoding.  Same return
 * conventions and ownership as hs_krb_decode. */
hs_err hs_krb_gss_decode(const uint8_t *p, size_t len, hs_krb_msg *m);

/* RFC 4120 s7.2.2 TCP record marking: find the first record in p[0..len).
 * HS_PARSE_OK: *pdu is the record's body, consumed = 4 + its length.
 * HS_PARSE_INCOMPLETE: needed = total bytes the record needs (4 when even
 * the length is not there).  HS_PARSE_ERROR: high (reserved) bit set
 * (HS_E_UNSUPPORTED) or length over HS_KRB_TCP_MAX (HS_E_LIMIT).
 * Pure function of the bytes, so chunking cannot change the answer. */
hs_parse_result hs_krb_tcp_record(const uint8_t *p, size_t len, hs_slice *pdu);

/* Could p be the start of a record: a sane length followed by a Kerberos
 * APPLICATION element whose DER length fills the record exactly?  (Where
 * the port-88 parser resynchronises after a gap.) */
bool hs_krb_tcp_record_start(const uint8_t *p, size_t len);

/* hs_describe_fn for HS_PROTO_KERBEROS: body is an hs_krb_msg. */
void hs_krb_describe(const void *m, hs_out *o, unsigned flags);

/* Stable names.  Each returns a string literal, or NULL for a value it does
 * not know (describers then print the number alone). */
const char *hs_krb_error_name(int32_t code);    /* 13 -> "KDC_ERR_BADOPTION" */
const char *hs_krb_msg_name(int msg_type);      /* 12 -> "TGS-REQ" */
const char *hs_krb_padata_name(int32_t type);   /* 129 -> "PA-FOR-USER" */
const char *hs_krb_etype_name(int32_t etype);   /* 18 -> "aes256-cts-hmac-sha1-96" */
const char *hs_krb_kdc_option_name(unsigned bit); /* bit 0..31 (RFC numbering) -> "forwardable" ...; never NULL for 0..31 */
const char *hs_krb_name_type_name(int32_t type);  /* 1 -> "NT-PRINCIPAL" */
/* hs_ntstatus_name(): see ntstatus.h */

/* The port-88 parser (TCP record marking and UDP datagrams).  Emits one
 * HS_PROTO_KERBEROS message per PDU; a PDU that does not decode is emitted
 * as far as it decoded plus a "malformed_kerberos" anomaly. */
extern const hs_app hs_krb5_app;

#endif
