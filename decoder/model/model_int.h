/* model_int.h - what the model's files (model_*.c) share and nothing else
 * includes: the working state behind hs_model (model.h) and the functions one
 * file of the model calls in another.  Protocol structs stay out of it: only
 * model_observe.c, which turns decoded messages into this state, knows them.
 *
 * Two phases.  While the engine runs, hs_model_sink() copies the few facts
 * each message carries into bounded tables (connections, KDC exchanges,
 * tickets, hosts).  At the end (or when sessions settle: retirement), the
 * finish resolves identities through the ticket table, groups WinRM
 * connections into hop-1 sessions, attributes what each hop-1 server did
 * next to one session (identity links first, then the WinRM Command window
 * that contains it), builds the chains and asks the rules for a diagnosis.
 *
 *   model_observe.c   hs_msg -> connections, attempts, KDC exchanges, host names
 *   model_store.c     the tables (new, free, copy, counts), interned names, small helpers
 *   model_identity.c  hosts and their names; the finish's identities (tickets,
 *                     NetBIOS domains), the forwarded TGT and what carries it
 *   model_session.c   hop-1 sessions (seen, inferred from the KDC, partial)
 *   model_attrib.c    what each hop-1 server did next, attributed to one session
 *   model_chain.c     a session and its attributed items -> hs_chain and its facts
 *   model_finish.c    retirement of settled sessions, the retired chains, the
 *                     memory budget and hs_model_finish
 */
#ifndef HS_MODEL_INT_H
#define HS_MODEL_INT_H

#include "model.h"
#include "model_obs.h"

#include <glib.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

/* Every text field is fixed-size on purpose (bounded memory): truncating a
 * very long name is the intended behaviour, not a bug. */
#if defined(__GNUC__) && !defined(__clang__) /* a GCC-only warning */
#pragma GCC diagnostic ignored "-Wformat-truncation"
#endif

struct hs_engine;
struct hs_chain_store;

/* kx.msg: the request's RFC 4120 msg-type; kx.tkt_flags: RFC 4120 5.3
 * TicketFlags as a 32-bit big-endian word (model_observe.c checks both
 * against the decoder's constants). */
#define KX_AS_REQ 10
#define KX_TGS_REQ 12
#define KX_TF_FORWARDABLE 0x40000000u

#define CONN_ATT 6        /* authentication attempts kept per connection */
#define CONN_CMDWIN 16    /* WinRM Command windows kept per connection */
#define SESS_CONNS 32     /* connections grouped into one hop-1 session */
#define DEDUP_RING 1024   /* recent Kerberos PDUs remembered for de-duplication */
#define DEDUP_NS 2000000000LL
#define HOST_NAMES 4
#define SLACK_NS 2000000000LL
#define FWD_NS (10 * 1000000000LL) /* a forwarded-TGT request follows its service ticket within this */
#define AUTH_WITH_TGT 1000       /* authenticator bytes above which it carries a forwarded TGT */
#define STORED_STREAMED 1u /* chain_store flag: handed to the on_retired sink when it retired */

typedef struct attempt {
	hs_auth auth;
	char principal[HS_NAME_MAX];
	uint64_t ticket_fp;          /* Kerberos: fingerprint of the AP-REQ ticket */
	char sname[HS_NAME_MAX];
	hs_result result;
	bool final_sent;             /* the client's last leg was sent (AP-REQ, NTLM AUTHENTICATE, Basic) */
	bool last_401;               /* CredSSP: the server's latest answer was a 401 (with a token) */
	uint32_t status;             /* NTSTATUS / LDAP result / HTTP status of a failure */
	int32_t krb_error;
	hs_ref ref;
	/* Kerberos with --keytab (krb5_dec.h): the ticket and authenticator */
	bool dec_ticket, ok_as_delegate, dec_auth, deleg, krb_cred;
	int64_t ts;                  /* when the attempt started */
	bool tgt_by_size;            /* Kerberos: the authenticator is large enough to carry a KRB-CRED (a TGT) */
	int fwd_kx;                  /* finish: the forwarded-TGT request tied to this AP-REQ (-1 none) */
} attempt;

typedef struct conn {
	uint64_t flow_id;
	hs_addr c, s;
	uint16_t cport, sport;
	hs_carrier carrier;
	int64_t t0, t1;
	hs_ref frames[HS_HOP_FRAMES];
	unsigned nframes;
	attempt att[CONN_ATT];
	unsigned natt;
	/* SMB */
	bool tree_seen;
	hs_result tree_result;
	uint32_t tree_status;
	hs_ref tree_ref;
	bool clock_known;            /* the server's SMB2 NEGOTIATE SystemTime was seen */
	int64_t clock_offset_ns;     /* its time minus the capture's, at that frame */
	hs_ref clock_ref;
	/* HTTP / WinRM */
	bool winrm, tls;
	char sni[HS_OBS_SNI_MAX];    /* TLS: the ClientHello's server_name */
	bool credssp_asked, credssp_offered, offers_seen, credssp_failed, deleg_flag;
	uint32_t credssp_status;     /* TSRequest errorCode (NTSTATUS), 0 = none */
	char offers[96];
	char shell_id[64];
	struct {
		int64_t a, b;
	} cmd[CONN_CMDWIN];
	unsigned ncmd;
	bool cmd_open;
	char saw[HS_SAW_MAX];        /* what the hop-1 user saw: cmd stderr / fault text (first one) */
	hs_ref saw_ref;
	/* attribution */
	int session;                 /* hop-1 session this connection belongs to (-1) */
	int owner;                   /* hop-2: session it was attributed to (-1) */
} conn;

typedef struct kx {
	uint64_t flow_id;
	hs_addr c, k;
	uint16_t cport, kport;
	int64_t ts;
	hs_ref req, rep;
	bool has_req;
	int msg;                     /* KX_AS_REQ / KX_TGS_REQ */
	uint32_t opts;
	char cname[HS_NAME_MAX];     /* AS-REQ client */
	char realm[64];
	char sname[HS_NAME_MAX];
	bool s4u;
	char s4u_user[HS_NAME_MAX];
	bool proxy, rbcd_bit;
	uint64_t addl_fp, tgt_fp;
	char tgs_client[HS_NAME_MAX]; /* --keytab: the PA-TGS-REQ authenticator's client (whose TGT) */
	bool preauth;
	bool forwarded_req;          /* TGS-REQ for krbtgt with the forwarded option */
	bool answered, ok;
	int32_t err;
	bool has_nt, fast_err;
	uint32_t nt;
	char rep_cname[HS_NAME_MAX];
	uint64_t rep_fp;
	char principal[HS_NAME_MAX]; /* resolved at finish: whose ticket this is */
	char tgt_owner[HS_NAME_MAX];
	bool tgt_known, tgt_forwarded;
	bool tkt_dec;                /* --keytab: the issued (S4U2Self) or evidence ticket was decrypted */
	uint32_t tkt_flags;          /* its RFC 4120 TicketFlags */
	int owner;                   /* session it was attributed to (-1) */
	int fwd_conn;                /* forwarded-TGT request: the connection whose AP-REQ carries it (-1) */
	int fwd_for;                 /* ... and the service-ticket exchange it was asked for (-1) */
	bool s4u_routine;            /* S4U2Self not followed by S4U2Proxy: the server reading the user's PAC */
} kx;

typedef struct ticket {
	uint64_t fp;
	char principal[HS_NAME_MAX];
	bool forwarded;
	hs_ref ref;
	int64_t ts;                  /* when the KDC issued it */
} ticket;

typedef struct host {
	char ip[48];
	hs_addr addr;
	struct {
		char name[HS_NAME_MAX];
		int score;
	} n[HOST_NAMES];
	unsigned nn;
	char account[64];  /* the computer account the host names itself with (NTLM CHALLENGE), upper case */
} host;

typedef struct session {
	hs_addr c, s;
	char shell_id[64];
	int conns[SESS_CONNS];
	unsigned nconns;
	int64_t t0, t1;
	char principal[HS_NAME_MAX];
	hs_auth auth;
	hs_result result;
	bool inferred;               /* from the client's TGS only */
	bool s_known;                /* s is a real address */
	char s_spn_host[HS_NAME_MAX];
	int kx_index;                /* inferred: the TGS exchange */
	int nitems;
	int nconn_items;             /* hop-2 connections attributed */
	int nconn_tied;              /* ... of them by identity (attribution's passes 1 and 2) */
	uint64_t ticket_fp;          /* the first Kerberos service ticket its connections presented (0 none) */
	bool logon_unseen;           /* its first connection logged on before the capture (model_session.c) */
	unsigned ambig;              /* hop-2 items it could own with other concurrent sessions, owned by none */
	unsigned ambig_max;          /* the most sessions one of them could belong to */
	bool ambig_refused;          /* one of them was refused */
	hs_ref ambig_ref;            /* the refusal, else the first of them */
	hs_carrier carrier;
	uint16_t sport;
	char link_user[HS_NAME_MAX]; /* from S4U2Self / forwarded TGT when principal unknown */
	bool unseen;                 /* hop 1 not in the input: started by server1's delegation (partial_sessions) */
	char unseen_from[128];       /* what names its user and server */
} session;

/* Where an input was captured: the addresses present in every message of
 * it (the capturing host's own, once two conversations have been seen). */
#define VANTAGE_INPUTS 16
typedef struct vantage {
	uint64_t n;                  /* messages seen */
	hs_addr cand[2];
	bool alive[2];
} vantage;

struct hs_model {
	hs_model_config cfg;
	vantage vp[VANTAGE_INPUTS];
	hs_chain_filter_fn filter;          /* hs_model_set_chain_filter (the output's redactor), or NULL */
	void *filter_ud;
	GPtrArray *conns;            /* conn* */
	GHashTable *conn_by_flow;    /* flow_id -> conn* */
	GArray *kxs;                 /* kx */
	GHashTable *kx_pending;      /* flow_id -> index+1 of the last unanswered request */
	GHashTable *tickets;         /* &fp -> ticket* */
	GHashTable *hosts;           /* ip string -> host* */
	GHashTable *nbmap;           /* NetBIOS domain (upper) -> DNS realm (upper) */
	struct {
		uint64_t fp;
		int64_t ts;
	} ring[DEDUP_RING];
	unsigned ring_at;
	uint64_t dropped, dups;
	hs_model_caps caps;          /* the part of dropped each cap caused */
	int64_t next_retire;         /* capture time of the next retire() (0: not yet set) */
	uint64_t retired_chains;     /* chains built by retire(), waiting in chains */
	GArray *sessions;            /* session */
	GArray *chains;              /* hs_chain */
	GHashTable *names;           /* interned names (pkey_of): kind + lower-case text -> id */
	GHashTable *realm_of_label;  /* finish: realm's first label -> realm (normalize_user) */
	bool finished;
	/* retired chains out of memory (spill_after, chain_store.h), and the one read back */
	struct hs_chain_store *store;
	hs_model *parent;            /* retire()'s model of the settled part: its chains go to parent's keep_retired */
	hs_chain *cache;
	size_t cache_at;             /* index + 1 of the chain in cache */
	hs_model_retired_fn on_retired;
	void *on_retired_ud;
	GHashTable *delegating;      /* s_ip -> chains retired so far that delegated a forwarded TGT */
	/* the memory budget shared with the engine (hs_model_set_budget) */
	struct hs_engine *budget;
	size_t charged;              /* bytes counted against it */
	uint64_t evicted;            /* connections and KDC exchanges retired early to stay within it */
};

/* A principal as two interned ids: its user part, lower case (0: no
 * principal at all), and the first label of its domain, lower case (0: no
 * domain).  hsm_pkey_eq(hsm_pkey_of(a), hsm_pkey_of(b)) == hsm_principal_eq(a, b). */
typedef struct pkey {
	uint32_t user, dom;
} pkey;

/* model_store.c: observations in.  hs_model_observe() is begin + records;
 * the sink begins before it builds the records (the retirement it runs may
 * free a connection whose "what the user saw" was known) */
bool hsm_observe_begin(hs_model *m, const hs_meta *mt);
void hsm_observe_records(hs_model *m, const hs_obs_msg *o);
bool hsm_conn_saw_known(const hs_model *m, uint64_t flow_id);

/* model_store.c: the tables and what every file shares */
bool hsm_addr_eq(const hs_addr *a, const hs_addr *b);
gboolean hsm_addr_equal(gconstpointer a, gconstpointer b);
guint hsm_addr_hash(gconstpointer p);
void hsm_array_free(gpointer p);
attempt *hsm_att_last(conn *c);
attempt *hsm_att_new(conn *c, hs_auth auth, const hs_meta *mt);
void hsm_cap_hit(hs_model *m, uint64_t *cap);
void hsm_conn_frame(conn *c, const hs_meta *mt);
uint64_t hsm_fnv(uint64_t h, const void *p, size_t n);
bool hsm_is_anonymous_name(const char *p);
bool hsm_is_machine(const char *p);
void hsm_lower(char *s);
bool hsm_pkey_eq(pkey a, pkey b);
pkey hsm_pkey_of(hs_model *m, const char *p);
bool hsm_principal_eq(const char *a, const char *b);
void hsm_principal_of(char *dst, size_t n, const char *name, const char *realm);
hs_ref hsm_ref_of(const hs_meta *mt);
int64_t hsm_ts_of(const hs_meta *mt);
void hsm_upper(char *s);

/* model_identity.c: who is who */
const host *hsm_host_by_name(hs_model *m, const char *name);
void hsm_host_learn(hs_model *m, const hs_addr *a, const char *name_in, int score);
void hsm_host_account_learn(hs_model *m, const hs_addr *a, const char *netbios);
const char *hsm_host_account(hs_model *m, const hs_addr *a);
const char *hsm_host_name(hs_model *m, const hs_addr *a);
void hsm_learn_spn(hs_model *m, const hs_addr *a, const char *sname);
void hsm_mark_routine(hs_model *m);
void hsm_normalize_user(hs_model *m, const char *in, char *out, size_t n);
void hsm_resolve_conns(hs_model *m);
void hsm_resolve_kdc(hs_model *m);
void hsm_spn_host(const char *spn, char *dst, size_t n);
void hsm_tie_forwarded(hs_model *m);

/* model_session.c: hop-1 sessions */
void hsm_build_sessions(hs_model *m);
const attempt *hsm_conn_final(const conn *c);
hs_result hsm_conn_result(const conn *c);
void hsm_credssp_principals(hs_model *m);
void hsm_infer_sessions(hs_model *m);
bool hsm_is_hop1_carrier(hs_carrier c);
bool hsm_partial_sessions(hs_model *m);
void hsm_session_wire_principal(hs_model *m, const session *x, char *out, size_t n);
bool hsm_spn_is_winrm(const char *sname);

/* model_attrib.c: attribution of hop-2 items */
void hsm_attribute(hs_model *m);

/* model_chain.c: chains */
void hsm_build_chains(hs_model *m);
int hsm_chain_cmp(const void *a, const void *b);

/* model_finish.c: retirement and the finish */
void hsm_budget_check(hs_model *m, int64_t t);
bool hsm_flush_built(hs_model *m);
void hsm_maybe_retire(hs_model *m, int64_t t);

#endif
