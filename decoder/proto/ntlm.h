/* ntlm.h - NTLMSSP messages (MS-NLMP 2.2.1): NEGOTIATE, CHALLENGE, AUTHENTICATE.
 *
 * NTLM matters to a double hop in two ways: NTLM on hop 1 can never be
 * delegated, and hop 2 failing with "NT AUTHORITY\ANONYMOUS LOGON" is an
 * anonymous AUTHENTICATE (MS-NLMP 3.2.5.1.2).  So the decoder keeps who
 * authenticated (user, domain, workstation), how (NTLMv1/v2, flags) and
 * whether the logon was anonymous; it never needs the responses' values.
 *
 * Zero-copy: every hs_slice in hs_ntlm_msg points into the caller's buffer
 * and is valid as long as that buffer is.  Name fields are raw wire bytes
 * (UTF-16LE when the UNICODE flag is negotiated, OEM otherwise); use
 * hs_ntlm_text() to get UTF-8.
 */
#ifndef HS_NTLM_H
#define HS_NTLM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "cursor.h"
#include "hs.h"

/* NegotiateFlags (MS-NLMP 2.2.2.5), bit values as on the wire (LE u32). */
enum {
	HS_NTLM_NEGOTIATE_UNICODE = 0x00000001u,
	HS_NTLM_NEGOTIATE_OEM = 0x00000002u,
	HS_NTLM_REQUEST_TARGET = 0x00000004u,
	HS_NTLM_NEGOTIATE_SIGN = 0x00000010u,
	HS_NTLM_NEGOTIATE_SEAL = 0x00000020u,
	HS_NTLM_NEGOTIATE_DATAGRAM = 0x00000040u,
	HS_NTLM_NEGOTIATE_LM_KEY = 0x00000080u,
	HS_NTLM_NEGOTIATE_NTLM = 0x00000200u,
	HS_NTLM_ANONYMOUS = 0x00000800u, /* "J": the client says the logon is anonymous */
	HS_NTLM_NEGOTIATE_OEM_DOMAIN_SUPPLIED = 0x00001000u,
	HS_NTLM_NEGOTIATE_OEM_WORKSTATION_SUPPLIED = 0x00002000u,
	HS_NTLM_NEGOTIATE_ALWAYS_SIGN = 0x00008000u,
	HS_NTLM_TARGET_TYPE_DOMAIN = 0x00010000u,
	HS_NTLM_TARGET_TYPE_SERVER = 0x00020000u,
	HS_NTLM_NEGOTIATE_EXTENDED_SESSIONSECURITY = 0x00080000u,
	HS_NTLM_NEGOTIATE_IDENTIFY = 0x00100000u,
	HS_NTLM_REQUEST_NON_NT_SESSION_KEY = 0x00400000u,
	HS_NTLM_NEGOTIATE_TARGET_INFO = 0x00800000u,
	HS_NTLM_NEGOTIATE_VERSION = 0x02000000u,
	HS_NTLM_NEGOTIATE_128 = 0x20000000u,
	HS_NTLM_NEGOTIATE_KEY_EXCH = 0x40000000u,
	HS_NTLM_NEGOTIATE_56 = 0x80000000u
};

/* AV_PAIR AvId values (MS-NLMP 2.2.2.1). */
enum {
	HS_NTLM_AV_EOL = 0,
	HS_NTLM_AV_NB_COMPUTER_NAME = 1,
	HS_NTLM_AV_NB_DOMAIN_NAME = 2,
	HS_NTLM_AV_DNS_COMPUTER_NAME = 3,
	HS_NTLM_AV_DNS_DOMAIN_NAME = 4,
	HS_NTLM_AV_DNS_TREE_NAME = 5,
	HS_NTLM_AV_FLAGS = 6,
	HS_NTLM_AV_TIMESTAMP = 7,
	HS_NTLM_AV_SINGLE_HOST = 8,
	HS_NTLM_AV_TARGET_NAME = 9,
	HS_NTLM_AV_CHANNEL_BINDINGS = 10
};

/* MsvAvFlags bits (MS-NLMP 2.2.2.1). */
enum {
	HS_NTLM_AVF_ACCOUNT_CONSTRAINED = 0x1u,
	HS_NTLM_AVF_MIC_PRESENT = 0x2u,
	HS_NTLM_AVF_UNTRUSTED_SPN = 0x4u
};

#define HS_NTLM_MAX_AV 16

/* An AV_PAIR list (CHALLENGE TargetInfo, or the NTLMv2 response's).  The
 * decoded pairs, in wire order, up to HS_NTLM_MAX_AV; `more` counts those
 * that did not fit.  The well-known ones are also pulled out for direct use. */
typedef struct hs_ntlm_avlist {
	bool present;              /* the list exists in the message */
	struct {
		uint16_t id;
		hs_slice value;
	} av[HS_NTLM_MAX_AV];
	unsigned n, more;
	bool eol;                  /* ended with MsvAvEOL (it MUST) */
	hs_slice nb_computer, nb_domain, dns_computer, dns_domain, dns_tree, target_name; /* UTF-16LE */
	bool has_flags;
	uint32_t flags;            /* MsvAvFlags */
	bool has_timestamp;
	uint64_t timestamp;        /* FILETIME: 100 ns since 1601-01-01 UTC */
	bool has_single_host, has_channel_bindings;
	hs_slice channel_bindings; /* 16-byte MD5 of gss_channel_bindings_struct (all zero = none given) */
} hs_ntlm_avlist;

/* Fields of the three messages whose (length, offset) pointed outside the
 * message: bits of hs_ntlm_msg.bad_fields.  The field is left empty. */
enum {
	HS_NTLM_F_DOMAIN = 1u << 0,
	HS_NTLM_F_WORKSTATION = 1u << 1,
	HS_NTLM_F_USER = 1u << 2,
	HS_NTLM_F_LM_RESPONSE = 1u << 3,
	HS_NTLM_F_NT_RESPONSE = 1u << 4,
	HS_NTLM_F_SESSION_KEY = 1u << 5,
	HS_NTLM_F_TARGET_NAME = 1u << 6,
	HS_NTLM_F_TARGET_INFO = 1u << 7
};

typedef struct hs_ntlm_msg {
	uint32_t type;       /* 1 NEGOTIATE, 2 CHALLENGE, 3 AUTHENTICATE; 0 when not decoded */
	uint32_t flags;      /* NegotiateFlags */
	bool unicode;        /* strings are UTF-16LE (the UNICODE flag; NEGOTIATE's names are always OEM) */
	bool has_version;
	uint8_t ver_major, ver_minor, ntlm_revision;
	uint16_t ver_build;
	unsigned bad_fields; /* HS_NTLM_F_* */

	/* NEGOTIATE (OEM) and AUTHENTICATE */
	hs_slice domain, workstation;
	/* AUTHENTICATE */
	hs_slice user;
	hs_slice lm_response, nt_response, session_key; /* SECRET: never printed without HS_DESCRIBE_SECRETS */
	bool has_mic_field;  /* the 16-byte MIC field sits before the payload */
	hs_slice mic;        /* SECRET-ish (a MAC): lengths only by default */
	bool ntlmv2;         /* NT response longer than 24 bytes (MS-NLMP 3.3.2) */
	hs_slice nt_proof;   /* NTLMv2: NTProofStr (16 bytes), SECRET */
	bool has_client_timestamp;
	uint64_t client_timestamp; /* NTLMv2_CLIENT_CHALLENGE.TimeStamp (FILETIME) */
	hs_slice client_challenge; /* 8 bytes, SECRET */
	bool anonymous;      /* MS-NLMP 3.2.5.1.2 / 3.3.1: empty user, empty NT response, LM empty or one 0x00 */

	/* CHALLENGE */
	hs_slice target_name;
	hs_slice server_challenge; /* 8 bytes; kept behind HS_DESCRIBE_SECRETS */

	/* CHALLENGE TargetInfo, or the AV pairs inside an NTLMv2 response. */
	hs_ntlm_avlist av;
} hs_ntlm_msg;

/* Decode one NTLMSSP message (starting with "NTLMSSP\0") of exactly len
 * bytes into *m (overwritten).  Never allocates; never reads outside
 * [p, p+len).
 * Returns HS_OK; HS_E_UNKNOWN when the signature is not "NTLMSSP\0" (m->type
 * 0); HS_E_TRUNCATED when the fixed header is cut short or a payload field
 * runs past the end; HS_E_MALFORMED for an unknown message type, a field
 * overlapping nothing sensible, or broken AV pairs.  On error m still holds
 * everything decoded (bad fields are empty and flagged in m->bad_fields). */
hs_err hs_ntlm_decode(const uint8_t *p, size_t len, hs_ntlm_msg *m);

/* Render an NTLM name field as UTF-8 into buf (size n >= 1, always NUL
 * terminated).  unicode: UTF-16LE (unpaired surrogates and an odd final byte
 * become U+FFFD); otherwise OEM bytes: the code page is not on the wire, so
 * valid UTF-8 (what non-Windows clients send) is kept and every other
 * non-ASCII byte becomes U+FFFD.  Output that does not fit is cut at a
 * character boundary.  Returns the byte length written (without the NUL). */
size_t hs_ntlm_text(hs_slice s, bool unicode, char *buf, size_t n);

/* "NEGOTIATE" / "CHALLENGE" / "AUTHENTICATE" / "unknown". */
const char *hs_ntlm_type_name(uint32_t type);

/* Name of one NegotiateFlags bit ("NEGOTIATE_UNICODE" ...), or NULL for a
 * reserved bit. */
const char *hs_ntlm_flag_name(uint32_t bit);

/* Describe an hs_ntlm_msg (the body of an HS_PROTO_NTLMSSP message) into the
 * current object: ntlm_type, msg, flags (hex) and flag_names, version,
 * user, domain, workstation, anonymous, "version": "v1"/"v2" (AUTHENTICATE),
 * target_name, av_pairs, mic presence; response values only with
 * HS_DESCRIBE_SECRETS, lengths otherwise. */
void hs_ntlm_describe(const void *body, hs_out *o, unsigned flags);

#endif
