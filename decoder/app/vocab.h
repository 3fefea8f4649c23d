/* vocab.h - what the correlation model (model.h) hands the rules (rules.h)
 * and the renderers: the contract vocabularies (carrier, authentication,
 * result, delegation method, verdict: report-contract.md) with their exact
 * names, and the chain record (hops, the facts the rules read, the
 * diagnosis they write).  Plain data: no functions but the *_name() ones,
 * so the rules depend on this file and not on the model.
 */
#ifndef HS_VOCAB_H
#define HS_VOCAB_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define HS_NAME_MAX 160      /* principals, host names, SPNs (bytes, NUL included) */
#define HS_HOP_FRAMES 12     /* frames listed per hop */
#define HS_EVIDENCE_MAX 16   /* evidence frames per chain */
#define HS_REMEDY_MAX 6
#define HS_REMEDY_CMDS 4
#define HS_NEEDS_MAX 4
#define HS_SAW_MAX 256       /* what the hop-1 user saw (UTF-8, NUL included) */

typedef struct hs_ref {
	uint32_t input;
	uint64_t frame;
} hs_ref;

/* Contract vocabularies (report-contract.md); the *_name() functions give the
 * exact strings. */
typedef enum hs_carrier {
	HS_CAR_OTHER = 0,
	HS_CAR_WINRM_HTTP,
	HS_CAR_WINRM_HTTPS,
	HS_CAR_HTTP,
	HS_CAR_SMB2,
	HS_CAR_LDAP,
	HS_CAR_DCERPC,
	HS_CAR_MSSQL,
	HS_CAR_RDP,
	HS_CAR_KERBEROS
} hs_carrier;

typedef enum hs_auth {
	HS_AUTH_UNKNOWN = 0,
	HS_AUTH_KERBEROS,
	HS_AUTH_NTLM,
	HS_AUTH_CREDSSP,
	HS_AUTH_BASIC,
	HS_AUTH_ANONYMOUS,
	HS_AUTH_NONE
} hs_auth;

typedef enum hs_result {
	HS_RES_UNKNOWN = 0,
	HS_RES_OK,
	HS_RES_FAILED
} hs_result;

typedef enum hs_method {
	HS_METHOD_UNKNOWN = 0,
	HS_METHOD_NONE,
	HS_METHOD_CREDSSP,
	HS_METHOD_UNCONSTRAINED,
	HS_METHOD_CONSTRAINED,
	HS_METHOD_RBCD,
	HS_METHOD_FRESH,
	HS_METHOD_RUNAS
} hs_method;

typedef enum hs_verdict {
	HS_VERDICT_UNKNOWN = 0,
	HS_VERDICT_DELEGATED,
	HS_VERDICT_FAILED,
	HS_VERDICT_NOT_ATTEMPTED
} hs_verdict;

const char *hs_carrier_name(hs_carrier c);
const char *hs_auth_name(hs_auth a);
const char *hs_result_name(hs_result r);
const char *hs_method_name(hs_method m);
const char *hs_verdict_name(hs_verdict v);

typedef struct hs_endpoint {
	bool has_ip;
	char ip[48];
	char name[HS_NAME_MAX];     /* "" when unknown */
	uint16_t port;              /* 0 when unknown */
} hs_endpoint;

typedef struct hs_hop {
	unsigned index;             /* 1 or 2 */
	hs_endpoint client, server;
	hs_carrier carrier;
	hs_auth auth;
	char principal[HS_NAME_MAX]; /* "" = null */
	hs_result result;
	char target[HS_NAME_MAX];   /* SPN asked for when the hop is a KDC exchange ("" none) */
	bool inferred;              /* built from KDC traffic only (the connection itself was not seen) */
	bool unseen;                /* not in the input at all: reconstructed from what the next hop shows */
	char inferred_from[128];    /* unseen: the evidence it was reconstructed from ("" otherwise) */
	hs_ref frames[HS_HOP_FRAMES];
	unsigned nframes;
	int64_t t0_ns;
} hs_hop;

/* Everything the rules look at, filled by the model (or by unit tests). */
typedef struct hs_facts {
	/* who */
	char user[HS_NAME_MAX];          /* identity that should reach hop 2 ("" unknown) */
	char s_name[HS_NAME_MAX];        /* hop-1 server name (fqdn if known) */
	char s_short[64];                /* its first label ("srv1") */
	char s_ip[48];
	char t_name[HS_NAME_MAX];        /* hop-2 target host name */
	char t_short[64];
	char t_account[64];              /* its computer account as it names itself (NTLM CHALLENGE NetBIOS name: "SRV2"; "" unknown) */
	char t_ip[48];                   /* hop-2 target address ("" unknown, or hop 2 is only a KDC exchange) */
	char t_spn[HS_NAME_MAX];         /* hop-2 SPN (from the ticket / TGS) */
	char hop2_principal[HS_NAME_MAX];

	/* what could be seen */
	bool hop1_seen;                  /* a hop-1 connection (or its ticket) was seen */
	bool hop1_inferred;              /* only from the client's TGS for the hop-1 SPN */
	bool s_outbound_visible;         /* traffic initiated by the hop-1 server is in the input */
	bool client_kdc_visible;         /* the hop-1 client's KDC exchanges are in the input */
	bool hop2_seen;                  /* a hop-2 connection was seen */
	bool hop2_inferred;              /* only a KDC exchange for the hop-2 target */
	/* second-hop items of the hop-1 server that more than one of its
	 * concurrent sessions could own and nothing ties to one (model_attrib.c):
	 * attributed to none of them */
	unsigned hop2_ambiguous;         /* how many such items this session was a candidate for */
	unsigned hop2_ambiguous_sessions; /* the most sessions one of them could belong to */
	bool hop2_ambiguous_refused;     /* one of them was refused (some session failed) */
	hs_ref hop2_ambiguous_ref;       /* the refusal, else the first such item */
	/* where the input was captured (every message of one input involves
	 * that host's address): several may hold with several inputs */
	bool at_client, at_server1, at_dc;
	bool at_span;                    /* an input whose messages share no address (a span port, a hub) */

	/* hop 1 */
	hs_auth hop1_auth;
	hs_result hop1_result;
	hs_carrier hop1_carrier;
	bool hop1_tls_opaque;            /* WinRM over TLS without keys: auth not visible */
	bool credssp_asked;              /* client sent Authorization: CredSSP */
	bool credssp_offered;            /* a 401 listed CredSSP */
	bool offers_seen;                /* a 401 WWW-Authenticate list was seen */
	char offers[96];                 /* "Negotiate, Kerberos" */
	bool credssp_failed;             /* CredSSP exchange ended in 401 / TSRequest errorCode */
	uint32_t credssp_status;         /* the TSRequest errorCode (NTSTATUS; needs the TLS key log), 0 = none */
	bool forwarded_tgt;              /* the client asked the KDC for a forwarded TGT, or sent one (hop1_tgt_by_size) */
	bool hop1_tgt_by_size;           /* a hop-1 authenticator too large for anything but a KRB-CRED with a TGT */
	bool deleg_flag;                 /* SPNEGO reqFlags delegFlag in the client's token */
	hs_ref forwarded_ref;
	int32_t forwarded_error;         /* the KDC refused that request: its KRB-ERROR code (0 none) */

	/* hop 2 */
	hs_carrier hop2_carrier;
	hs_auth hop2_auth;
	hs_result hop2_result;
	bool hop2_as_user;
	bool hop2_as_machine;            /* the hop-1 server's own account (SRV1$) */
	bool hop2_as_other;              /* a fixed other account (RunAs, gMSA) */
	bool hop2_is_winrm;
	bool hop2_auth_ok;               /* authentication succeeded (even if access was denied later) */
	uint32_t hop2_status;            /* NTSTATUS of the failing step (SMB), 0 none */
	char hop2_status_name[64];
	hs_ref hop2_ref;

	/* Kerberos evidence from the hop-1 server */
	bool tgt_forwarded_used;         /* S presented the user's forwarded TGT (ticket fingerprint link) */
	bool tgt_unknown_used;           /* S presented a TGT not obtained in the capture */
	hs_ref tgt_ref;
	bool s4u2self, s4u2self_ok;
	int32_t s4u2self_error;
	hs_ref s4u2self_ref;
	bool s4u2proxy, s4u2proxy_ok, s4u2proxy_rbcd_bit;
	int32_t s4u2proxy_error;
	bool s4u2proxy_has_ntstatus;
	uint32_t s4u2proxy_ntstatus;
	bool s4u2proxy_fast;             /* the KRB-ERROR's e-data was FAST-armored (NTSTATUS hidden) */
	hs_ref s4u2proxy_ref;
	bool fresh_as, fresh_as_ok;      /* AS exchange for the user started by S (with pre-authentication) */
	int32_t fresh_as_error;
	hs_ref fresh_as_ref;
	bool other_as;                   /* AS exchange by S for another, non-machine account */
	char other_principal[HS_NAME_MAX];
	hs_ref other_as_ref;
	bool tgs_error;                  /* a TGS for the hop-2 target failed (not S4U2Proxy) */
	int32_t tgs_error_code;
	char tgs_error_sname[HS_NAME_MAX];
	hs_ref tgs_error_ref;
	bool skew;                       /* a clock error anywhere in the chain */
	int32_t skew_error;              /* its code: 37 KRB_AP_ERR_SKEW, else what the model took for one (0 = not told) */
	hs_ref skew_ref;
	bool server_trusted_seen;        /* another chain through S delegated a forwarded TGT: S is trusted */

	/* with --keytab (decoder/krb5_dec.h): decrypted, not inferred */
	bool hop1_decrypted;             /* S's key opened the hop-1 ticket */
	bool hop1_ok_as_delegate;        /* its ok-as-delegate flag (S trusted for unconstrained delegation) */
	bool hop1_auth_decrypted;        /* the authenticator too */
	bool hop1_deleg_flag;            /* RFC 4121 checksum GSS_C_DELEG_FLAG */
	bool hop1_krb_cred;              /* the forwarded TGT (KRB-CRED) rode in the authenticator */
	hs_ref hop1_dec_ref;
	bool s4u2self_flags_known;       /* the S4U2Self / evidence ticket was decrypted */
	bool s4u2self_forwardable;

	/* what the user saw on hop 1 (cmd stderr, WS-Management fault), "" = nothing */
	char user_saw[HS_SAW_MAX];
	hs_ref user_saw_ref;

	/* the hop-2 server's own clock: its SMB2 NEGOTIATE response SystemTime
	 * minus the capture's time of that frame (MS-SMB2 2.2.4) */
	bool hop2_clock_known;
	int64_t hop2_clock_offset_ns;    /* positive: the server runs ahead */
	hs_ref hop2_clock_ref;
	/* the hop-1 AP-REQ presents a service ticket that an earlier session of
	 * the same client already presented (a cached ticket, not a new TGS) */
	bool hop1_ticket_reused;
	hs_ref hop1_ticket_first_ref;    /* where that ticket was first seen (its TGS-REP, or the first AP-REQ) */
} hs_facts;

typedef struct hs_remedy {
	hs_method method;
	char summary[256];
	char commands[HS_REMEDY_CMDS][320];
	unsigned ncommands;
	char security[384];
} hs_remedy;

typedef struct hs_diag {
	hs_method method;
	hs_verdict verdict;
	const char *cause;               /* string literal from the contract's list */
	char detail[512];
	char explanation[1536];
	hs_remedy remedies[HS_REMEDY_MAX];
	unsigned nremedies;
	char needs[HS_NEEDS_MAX][256];
	unsigned nneeds;
	hs_ref evidence[HS_EVIDENCE_MAX];
	unsigned nevidence;
	hs_ref decisive;                 /* the evidence frame that decided the cause ({0, 0}: none named) */
} hs_diag;

typedef struct hs_chain {
	unsigned id;
	char user[HS_NAME_MAX];          /* "" = null */
	hs_hop hops[2];
	unsigned nhops;
	hs_facts facts;
	hs_diag diag;
} hs_chain;

/* The user part and the realm / domain of "alice@HOP.TEST" or "HOP\\alice"
 * (dom "" when there is none). */
void hs_split_principal(const char *p, char *user, size_t un, char *dom, size_t dn);

#endif
