/* model_obs.h - observations: what one decoded message tells the
 * correlation model, in the model's own words (no protocol structs).
 *
 * model_observe.c turns each hs_msg into one hs_obs_msg (hs_model_sink);
 * hs_model_observe() applies it to the model's tables (model_store.c).
 * Between the two there is nothing else, so a test (model_test.c) can feed
 * synthetic observations and check the chains, as rules_test.c feeds facts
 * to the rules.  All text fields are NUL-terminated copies; a record lives
 * only during the call.
 *
 * Records of a message on a connection carrying authentication (every
 * message but those of a KDC's port 88) apply to that connection, found by
 * meta.flow_id and made on first sight: its client is meta.src when
 * meta.dir is 0 (meta.dst otherwise).  "The attempt" below is the
 * connection's latest authentication attempt.
 */
#ifndef HS_MODEL_OBS_H
#define HS_MODEL_OBS_H

#include <stdbool.h>
#include <stdint.h>

#include "hs.h"
#include "vocab.h"

struct hs_model;

typedef enum hs_obs_kind {
	HS_OBS_CONN = 1, /* what the message says about its connection (hs_obs_conn) */
	HS_OBS_AUTH,     /* a client's authentication leg (hs_obs_auth) */
	HS_OBS_OUTCOME,  /* the server's answer to the attempt (hs_obs_outcome) */
	HS_OBS_HOST,     /* a name of the connection's client or server (hs_obs_host) */
	HS_OBS_DOMAIN,   /* a NetBIOS domain and its DNS name (hs_obs_domain) */
	HS_OBS_KDC       /* a Kerberos PDU to or from a KDC (hs_obs_kdc) */
} hs_obs_kind;

/* hs_obs_conn.flags */
#define HS_OBS_FRAME 0x001u      /* the frame is evidence of the connection (listed with its hop) */
#define HS_OBS_DELEG_FLAG 0x002u /* the client's SPNEGO token asked for delegation (RFC 4178 delegFlag) */
#define HS_OBS_TLS 0x004u        /* the connection itself is TLS (WinRM over HTTPS) */
#define HS_OBS_WINRM 0x008u      /* the connection carries WinRM (shell_id when known) */
#define HS_OBS_CMD_START 0x010u  /* a WinRM Command request: opens a Command window */
#define HS_OBS_CMD_END 0x020u    /* a WinRM response: closes the open Command window */
#define HS_OBS_SAW 0x040u        /* what the hop-1 user saw (saw): kept when it is the first */
#define HS_OBS_OFFERS 0x080u     /* the server's list of offered schemes (offers, credssp_offered) */
#define HS_OBS_TREE 0x100u       /* a tree connect to a share and its result (tree_result, tree_status) */
#define HS_OBS_CLOCK 0x200u      /* the server's own clock at this frame (server_time_ns: SMB2 NEGOTIATE SystemTime) */

#define HS_OBS_SNI_MAX 96

typedef struct hs_obs_conn {
	unsigned flags;
	char shell_id[64];
	char sni[HS_OBS_SNI_MAX];    /* HS_OBS_TLS from a ClientHello: its server_name (RFC 6066 3) */
	char saw[HS_SAW_MAX];
	char offers[96];
	bool credssp_offered;
	hs_result tree_result;
	uint32_t tree_status;
	int64_t server_time_ns;      /* HS_OBS_CLOCK: ns since 1970 by the server's clock */
} hs_obs_conn;

/* How an authentication leg meets the attempt (hs_obs_auth.leg). */
typedef enum hs_obs_leg {
	HS_OBS_LEG_NEW = 0,  /* starts a new attempt (Kerberos AP-REQ, NTLM NEGOTIATE, Basic, simple bind) */
	HS_OBS_LEG_FINISH,   /* the last leg of the attempt of the same kind not finished yet, else a new one
			      * (NTLM AUTHENTICATE); principal "" with auth HS_AUTH_ANONYMOUS: an anonymous logon */
	HS_OBS_LEG_RESUME,   /* the attempt of the same kind still undecided, else a new one with the frame
			      * (each CredSSP round trip); the connection asked for it (credssp_asked) */
	HS_OBS_LEG_INNER     /* a token inside the attempt (CredSSP's own SPNEGO / Kerberos / NTLM): names
			      * its principal and ticket when they are not known yet; ignored unless the
			      * attempt is CredSSP */
} hs_obs_leg;

typedef struct hs_obs_auth {
	hs_auth auth;                /* LEG_INNER: HS_AUTH_KERBEROS (an AP-REQ), HS_AUTH_NTLM, or UNKNOWN */
	hs_obs_leg leg;
	bool final;                  /* the client's last leg was sent */
	bool frame;                  /* the frame is evidence */
	bool spnego_deleg;           /* LEG_INNER: the token asked for delegation */
	char principal[HS_NAME_MAX]; /* "" unknown */
	uint64_t ticket_fp;          /* Kerberos: fingerprint of the ticket's cipher text (0 none) */
	char sname[HS_NAME_MAX];     /* Kerberos: the ticket's service (names the server's host) */
	bool tgt_by_size;            /* Kerberos: the authenticator is large enough to carry a TGT */
	/* Kerberos with --keytab: the ticket (principal from its cname) and the authenticator */
	bool dec_ticket, ok_as_delegate, dec_auth, deleg, krb_cred;
} hs_obs_auth;

/* Which attempt an answer settles (hs_obs_outcome.when). */
typedef enum hs_obs_when {
	HS_OBS_ANY = 0,         /* whatever its state */
	HS_OBS_UNDECIDED,       /* its result still unknown */
	HS_OBS_FINAL_UNDECIDED, /* its last leg sent (or, with ntlm_final, NTLM) and the result unknown */
	HS_OBS_FINAL_NOT_OK     /* its last leg sent and the result not ok */
} hs_obs_when;

typedef enum hs_obs_frame {
	HS_OBS_FRAME_NO = 0,
	HS_OBS_FRAME_APPLIED, /* the frame is evidence when the answer settled an attempt */
	HS_OBS_FRAME_ALWAYS
} hs_obs_frame;

typedef struct hs_obs_outcome {
	hs_result result;      /* HS_RES_UNKNOWN: settles nothing (open, challenge, frame still apply) */
	hs_auth of;            /* only an attempt of this kind (HS_AUTH_UNKNOWN: any) */
	hs_obs_when when;
	bool ntlm_final;
	bool open;             /* no attempt yet: one of unknown kind is opened for the answer */
	bool anonymous;        /* the server made the session anonymous (SMB2 IS_NULL) */
	bool challenge;        /* the server asked for another leg: a CredSSP attempt remembers it, and
				* one the client does not answer counts as refused at the finish */
	bool credssp;          /* a refusal of a CredSSP attempt is the connection's CredSSP failure */
	uint32_t status;       /* NTSTATUS / LDAP result / HTTP status of a failure (0: left as it is) */
	uint32_t credssp_status; /* the connection's CredSSP errorCode (0: left as it is) */
	bool has_krb_error;
	int32_t krb_error;
	hs_obs_frame frame;
} hs_obs_outcome;

typedef struct hs_obs_host {
	bool client;             /* a name of the connection's client (else of its server) */
	char name[HS_NAME_MAX];  /* as seen: "srv2.hop.test", "SRV2:5985" (lower-cased, port cut by the model) */
	int score;               /* 3 SPN / Host header / tree path / NTLM DNS name, 2 NetBIOS name, 1 machine account */
	bool account;            /* the server's own NetBIOS computer name (NTLM CHALLENGE): its account, not a name to show */
} hs_obs_host;

typedef struct hs_obs_domain {
	char netbios[HS_NAME_MAX], dns[HS_NAME_MAX]; /* upper case */
} hs_obs_domain;

typedef enum hs_obs_kdc_op {
	HS_OBS_KDC_OTHER = 0, /* another Kerberos PDU: counts for de-duplication only */
	HS_OBS_KDC_REQ,       /* AS-REQ / TGS-REQ (meta.src is the client) */
	HS_OBS_KDC_REP        /* AS-REP / TGS-REP / KRB-ERROR (meta.dst is the client) */
} hs_obs_kdc_op;

typedef struct hs_obs_kdc {
	hs_obs_kdc_op op;
	uint64_t dedup_fp;         /* the PDU's fingerprint: the same PDU within 2 s (two captures merged) counts once */
	int msg;                   /* REQ: 10 AS-REQ / 12 TGS-REQ; REP: the request it answers (RFC 4120 msg-type) */
	/* REQ */
	uint32_t opts;             /* KDCOptions */
	char cname[HS_NAME_MAX];   /* AS-REQ client */
	char realm[64];            /* upper case */
	char sname[HS_NAME_MAX];   /* REQ: the service asked for; REP: the error's or the ticket's service */
	bool preauth;
	bool s4u;                  /* S4U2Self (PA-FOR-USER / PA-S4U-X509-USER) for s4u_user */
	char s4u_user[HS_NAME_MAX];
	bool proxy;                /* S4U2Proxy: cname-in-addl-tkt with an additional ticket (addl_fp) */
	bool rbcd_bit;             /* PA-PAC-OPTIONS resource-based constrained delegation */
	uint64_t addl_fp, tgt_fp;  /* the additional ticket, the TGT in PA-TGS-REQ */
	char tgs_client[HS_NAME_MAX]; /* --keytab: the PA-TGS-REQ authenticator's client, decrypted (whose TGT) */
	bool forwarded_req;        /* TGS-REQ for krbtgt with the forwarded option */
	/* REP */
	bool error;                /* KRB-ERROR */
	int32_t err;
	bool has_nt, fast_err;
	uint32_t nt;
	char rep_cname[HS_NAME_MAX]; /* the reply's client principal */
	uint64_t rep_fp;             /* the issued ticket */
	/* --keytab: REQ the evidence ticket, REP the issued ticket, decrypted; its TicketFlags */
	bool tkt_dec;
	uint32_t tkt_flags;
} hs_obs_kdc;

typedef struct hs_obs {
	hs_obs_kind kind;
	union {
		hs_obs_conn conn;
		hs_obs_auth auth;
		hs_obs_outcome outcome;
		hs_obs_host host;
		hs_obs_domain domain;
		hs_obs_kdc kdc;
	} u;
} hs_obs;

#define HS_OBS_MAX 12 /* records per message (an HTTP request: its host and 8 Authorization headers) */

typedef struct hs_obs_msg {
	hs_meta meta;        /* when, where, which input and frame, flow and direction */
	bool on_conn;        /* a connection carrying authentication (not a KDC's port) */
	hs_carrier carrier;  /* on_conn: what the connection carries, taken when it is first seen */
	unsigned n;
	hs_obs rec[HS_OBS_MAX];
} hs_obs_msg;

/* Apply one message's observations to m (what hs_model_sink does with each
 * decoded message): the input's vantage point, retirement of what settled
 * by meta's time, the memory budget, then each record in order.  Nothing
 * after hs_model_finish. */
void hs_model_observe(struct hs_model *m, const hs_obs_msg *o);

/* A new record in o (zeroed, kind set); NULL when o holds HS_OBS_MAX. */
hs_obs *hs_obs_add(hs_obs_msg *o, hs_obs_kind kind);

#endif
