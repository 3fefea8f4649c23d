/* krb5_dec.h - seeing inside Kerberos with keys: the key store (long-term
 * keys from keytabs, session keys learnt from what was decrypted) and the
 * decryption of the encrypted parts krb5.c leaves as cipher text.
 *
 * What is decrypted, with which key (RFC 4120 s7.5.1 key usages):
 *  - every Ticket (AP-REQ, PA-TGS-REQ, FAST armor, KDC-REP, additional
 *    tickets, the KRB-CRED forwarded TGT) with the service's long-term key
 *    (usage 2): cname/crealm, flags, authtime, session key;
 *  - the AP-REQ authenticator (11; 7 inside PA-TGS-REQ) with that ticket's
 *    session key, else a learnt one: cname, subkey, the RFC 4121 s4.1.1
 *    GSS checksum (flags, delegation) and its KRB-CRED (enc-part usage 14);
 *  - the AP-REP enc-part (12) with a learnt session key: the acceptor
 *    subkey (learnt) and sequence number;
 *  - the AS-REP enc-part (3) with the client's long-term key, the TGS-REP
 *    enc-part with a learnt session key (8) or authenticator subkey (9);
 *  - FAST (RFC 6113): the armor key KRB-FX-CF2(subkey, ticket session key)
 *    of the armor AP-REQ (AS) or the PA-TGS-REQ (TGS) is learnt; the
 *    reply's enc-fast-rep (52) gives the strengthen key, and the enc-part
 *    opens with KRB-FX-CF2(strengthen key, reply key).
 * A key is only ever "found" by its integrity check: keys are tried (the
 * named principal's first, then others of the etype, at most
 * HS_KRB_MAX_TRIALS), never guessed.  Failures are reported as statuses
 * (no_key, wrong_kvno, integrity_failed ...).
 *
 * Secrets: session keys and subkeys are held in the store and written only
 * with HS_DESCRIBE_SECRETS.  Everything is wiped when freed.
 */
#ifndef HS_KRB5_DEC_H
#define HS_KRB5_DEC_H

#include "krb5.h"
#include "krb5_crypt.h"

#define HS_KRB_MAX_KEYS 4096         /* long-term keys from keytabs */
#define HS_KRB_MAX_SESSION_KEYS 512  /* learnt session keys / subkeys (oldest evicted: krb_key_cap) */
#define HS_KRB_MAX_TRIALS 64         /* keys tried on one cipher text */
#define HS_KRB_DEC_MAX_TEXT 256      /* names, as text */
#define HS_KRB_DEC_MAX_PLAIN (1u << 20)

typedef struct hs_krb_keys hs_krb_keys;

/* The store also keeps the decryptions' scratch (a work buffer grown to
 * twice the largest cipher text met, at most 2 x HS_KRB_DEC_MAX_PLAIN + 2
 * bytes, and the KRB-CRED of a forwarded TGT), so that decrypting a message
 * allocates nothing; one thread at a time uses a store. */
hs_krb_keys *hs_krb_keys_new(void);
void hs_krb_keys_free(hs_krb_keys *k); /* wipes every key */

/* Load a keytab file.  Returns HS_OK (entries added; *capped when some did
 * not fit HS_KRB_MAX_KEYS; duplicates across files count once), or the
 * parse error with a human reason in err (also for an unreadable file:
 * HS_E_UNKNOWN).  Entries of unsupported etypes are kept (counted in
 * *unsupported) but never used. */
hs_err hs_krb_keys_load(hs_krb_keys *k, const char *path, size_t *added, size_t *unsupported, bool *capped, char *err,
			size_t errlen);
size_t hs_krb_keys_count(const hs_krb_keys *k);
/* Add one long-term key (tests, fuzzers); false when unsupported, a
 * duplicate or over the cap. */
bool hs_krb_keys_add(hs_krb_keys *k, const char *principal, uint32_t kvno, const hs_krb_key *key);
/* Add a learnt session key; false when the ring evicted an older one. */
bool hs_krb_keys_learn(hs_krb_keys *k, const hs_krb_key *key);
/* Times a learnt session key was evicted by the cap (for krb_key_cap). */
uint64_t hs_krb_keys_evicted(const hs_krb_keys *k);

typedef struct hs_krb_dec_ticket {
	bool tried;
	hs_krb_dec_status status;
	char key_principal[HS_KRB_DEC_MAX_TEXT]; /* whose key decrypted it */
	uint32_t flags;
	char cname[HS_KRB_DEC_MAX_TEXT], crealm[HS_KRB_DEC_MAX_TEXT];
	char authtime[16], endtime[16];
	hs_krb_key session_key;
} hs_krb_dec_ticket;

typedef struct hs_krb_dec_auth {
	bool tried;
	hs_krb_dec_status status;
	char cname[HS_KRB_DEC_MAX_TEXT], crealm[HS_KRB_DEC_MAX_TEXT];
	char ctime[16];
	bool has_cksum;
	int32_t cksum_type;
	bool gss_cksum;        /* type 0x8003 (RFC 4121 s4.1.1) */
	uint32_t gss_flags;
	bool delegation;       /* GSS_C_DELEG_FLAG */
	bool krb_cred;         /* a KRB-CRED (forwarded TGT) is in the checksum */
	bool has_subkey;
	hs_krb_key subkey;
	/* the KRB-CRED: its first ticket and enc-part */
	char cred_sname[HS_KRB_DEC_MAX_TEXT], cred_realm[HS_KRB_DEC_MAX_TEXT];
	hs_krb_dec_status cred_status; /* enc-part (usage 14) */
	bool cred_has_flags;
	uint32_t cred_flags;
	char cred_pname[HS_KRB_DEC_MAX_TEXT], cred_prealm[HS_KRB_DEC_MAX_TEXT];
	hs_krb_dec_ticket cred_ticket; /* the forwarded TGT itself, with the krbtgt key */
} hs_krb_dec_auth;

typedef struct hs_krb_dec_rep {
	bool tried;
	hs_krb_dec_status status;
	const char *key_kind;  /* "client_key", "session_key", "subkey" */
	uint32_t flags;
	char sname[HS_KRB_DEC_MAX_TEXT], srealm[HS_KRB_DEC_MAX_TEXT];
	char authtime[16], endtime[16];
	uint32_t nonce;
	hs_krb_key session_key;
	bool fast_tried;                 /* PA-FX-FAST-REPLY enc-fast-rep (usage 52) */
	hs_krb_dec_status fast_status;
	bool fast_strengthened;          /* it carried a strengthen key */
} hs_krb_dec_rep;

/* EncAPRepPart (RFC 4120 s5.5.2), with a learnt session key (usage 12):
 * the acceptor's subkey and sequence number (RFC 4121 s2). */
typedef struct hs_krb_dec_aprep {
	bool tried;
	hs_krb_dec_status status;
	bool has_subkey, has_seq;
	hs_krb_key subkey;
	uint32_t seq;
	hs_krb_key used;       /* the session key that opened it */
} hs_krb_dec_aprep;

/* Everything decrypted in one hs_krb_msg. */
typedef struct hs_krb_dec {
	hs_krb_dec_ticket ticket;      /* AP-REQ ticket, or PA-TGS-REQ ticket (the TGT) */
	hs_krb_dec_auth auth;          /* its authenticator */
	hs_krb_dec_ticket armor;       /* FAST armor ticket */
	hs_krb_dec_ticket rep_ticket;  /* KDC-REP: the issued ticket */
	hs_krb_dec_rep rep;            /* KDC-REP enc-part */
	hs_krb_dec_aprep aprep;        /* AP-REP enc-part */
	uint8_t n_addl;
	hs_krb_dec_ticket addl[HS_KRB_MAX_ADDL]; /* additional tickets / KRB-CRED tickets */
} hs_krb_dec;

/* Decrypt what m holds with the keys in k (learning session keys into
 * k), filling *d (zeroed first).  Returns true when anything was tried.
 * m->dec is set to d when true (d must outlive the use of m). */
bool hs_krb_dec_run(hs_krb_keys *k, hs_krb_msg *m, hs_krb_dec *d);

/* The one decrypt-and-emit of Kerberos (port 88 in krb5_app.c, GSS-API tokens
 * in gss.c): emit body (which holds m) as hs_emit_token does, with m
 * decrypted by the host's key store for the time of the sink calls when
 * there is one (reporting "krb_key_cap" the first time a learnt key is
 * evicted).  The decryption state lives on the stack and is wiped after;
 * m->dec is NULL again on return. */
void hs_krb_dec_emit(hs_app_ctx *ctx, hs_proto proto, const void *body, hs_krb_msg *m, hs_proto carrier);

/* Parse a plain text as if decrypted (fuzzing and tests of the plain-text
 * parsers): what 0 EncTicketPart into d->ticket, 1 Authenticator into
 * d->auth (its KRB-CRED, if any, is decrypted with the newest learnt key
 * and the rest of k), 2 EncKDCRepPart into d->rep. */
void hs_krb_dec_plain(hs_krb_keys *k, int what, const uint8_t *p, size_t len, hs_krb_dec *d);

/* Wipe d's keys (call when the message has been emitted). */
void hs_krb_dec_wipe(hs_krb_dec *d);

/* Write d as the "decrypted" object of a Kerberos message. */
void hs_krb_dec_describe(const hs_krb_dec *d, const hs_krb_msg *m, hs_out *o, unsigned flags);

/* Ticket flag names (RFC 4120 s5.3, RFC 6806): bit 1 "forwardable" ...,
 * bit 13 "ok-as-delegate"; NULL for unnamed bits. */
const char *hs_krb_ticket_flag_name(unsigned bit);

#define HS_KRB_TF_FORWARDABLE 0x40000000u
#define HS_KRB_TF_FORWARDED 0x20000000u
#define HS_KRB_TF_OK_AS_DELEGATE 0x00040000u
#define HS_KRB_GSS_DELEG 0x1u

#endif
