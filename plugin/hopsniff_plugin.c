/* hopsniff_plugin.c - the Wireshark plugin (4.0 to 4.4; ws_compat.h): a postdissector that feeds
 * every frame to the shared decoder (decoder/hs.h) and shows its results.
 *
 * No protocol logic lives here.  On Wireshark's first (sequential) pass each
 * frame's raw bytes go into one hs_engine whose messages feed one hs_model;
 * what the GUI tree needs per frame (the decoded messages as nodes, the
 * decoder's anomalies) is copied into file-scoped memory keyed by frame
 * number.  When the first pass is over (the "post-sequential" routine that
 * both tshark -2 and the GUI call after reading the file) the engine and the
 * model are finished, the chains are diagnosed, and every frame a chain lists
 * is annotated.  Later dissections (tshark's second pass, the GUI's random
 * access) only read those stored results, so revisits show the same thing.
 * Init/cleanup routines reset everything for each new file.
 */
#include <string.h>

#include <epan/expert.h>
#include <epan/packet.h>
#include <epan/prefs.h>
#include <epan/proto.h>
#include <epan/tap.h>
#include <wiretap/wtap.h>
#include <wsutil/wslog.h>
#include <ws_version.h>

#include "anomalies.h"
#include "hopsniff_plugin.h"
#include "hs.h"
#include "model.h"
#include "redact.h"
#include "msginfo.h"
#include "ws_compat.h"

#ifndef HS_PLUGIN_VERSION
#define HS_PLUGIN_VERSION HS_VERSION
#endif

WS_DLL_PUBLIC_DEF const gchar plugin_version[] = HS_PLUGIN_VERSION;
WS_DLL_PUBLIC_DEF const int plugin_want_major = WIRESHARK_VERSION_MAJOR;
WS_DLL_PUBLIC_DEF const int plugin_want_minor = WIRESHARK_VERSION_MINOR;
WS_DLL_PUBLIC void plugin_register(void);
HS_WS_PLUGIN_DESCRIBE

/* Caps on what is kept per file for the tree (the engine and the model have
 * their own caps, hs_config / hs_model_config). */
#define MAX_NODES_PER_MSG 256
#define MAX_MSGS_PER_FRAME 16
#define MAX_STORED_MSGS 200000
#define MAX_ANOMALIES_PER_FRAME 8
#define MAX_PLAIN_PER_FRAME (1u << 20)   /* decrypted WinRM body kept per frame */
#define MAX_PLAIN_TOTAL (256u << 20)     /* and per file */

static int proto_hopsniff = -1;
static dissector_handle_t hopsniff_handle;
int hs_plugin_tap = -1;

static int hf_chain = -1, hf_role = -1, hf_hop = -1, hf_user = -1, hf_method = -1, hf_verdict = -1;
static int hf_cause = -1, hf_detail = -1, hf_explanation = -1, hf_decisive = -1;
static int hf_carrier = -1, hf_auth = -1, hf_principal = -1, hf_result = -1, hf_client = -1;
static int hf_server = -1, hf_target = -1, hf_hop1_frame = -1, hf_hop2_frame = -1;
static int hf_evidence_frame = -1, hf_decisive_frame = -1, hf_remedy = -1, hf_need = -1;
static int hf_msg = -1, hf_msg_proto = -1, hf_msg_carrier = -1, hf_msg_field = -1;
static int hf_winrm_operation = -1, hf_anomaly = -1, hf_winrm_plaintext = -1;

static gint ett_hopsniff = -1, ett_chain = -1, ett_hop = -1, ett_frames = -1, ett_msg = -1;
static gint ett_node = -1, ett_remedy = -1;

static expert_field ei_failed = EI_INIT, ei_not_attempted = EI_INIT, ei_delegated = EI_INIT;
static expert_field ei_unknown = EI_INIT, ei_anomaly = EI_INIT;
/* one expert info per anomaly kind (decoder/anomalies.def); ei_anomaly for a
 * kind not in the list */
static expert_field ei_kind[HS_ANOM__COUNT];

/* preferences */
static const char *pref_keylogs = "";
static hs_ws_bool_pref pref_show_secrets = FALSE;
static hs_ws_bool_pref pref_all_messages = FALSE;
static hs_ws_bool_pref pref_redact_names = FALSE;
static const char *pref_keytabs = "";
static const char *pref_ntlm_passwords = "";
static const char *pref_nt_hashes = "";
static const char *pref_decode_as = "";

/* One decoded message as stored for the tree. */
typedef struct stored_node {
	guint8 depth;
	gboolean container;
	const char *key;   /* NULL for list items */
	const char *value;
} stored_node;

typedef struct stored_msg {
	const char *proto, *carrier, *operation;
	guint nnodes;
	stored_node *nodes;
} stored_msg;

typedef struct chain_ref {
	guint chain;       /* index into the model's chains */
	hs_frame_role role;
	guint hop;
} chain_ref;

typedef struct frame_info {
	wmem_array_t *msgs;      /* stored_msg */
	wmem_array_t *chains;    /* chain_ref */
	wmem_array_t *anomalies; /* const char * "kind: detail" */
	guint8 *plain;           /* decrypted WinRM body (the "Decrypted WinRM" data source), or NULL */
	guint plain_len;
} frame_info;

static struct {
	hs_engine *engine;
	hs_model *model;
	hs_out *nodes;
	wmem_map_t *frames;     /* frame number -> frame_info */
	guint32 last_fed;       /* highest frame fed (the first pass feeds each once) */
	guint64 stored_msgs;
	guint64 plain_bytes;    /* decrypted WinRM bodies kept */
	gboolean finished;
	gboolean late;          /* first-pass frames arrived after the analysis was finished */
	guint *anchorless;      /* chains listing no frame: shown on frame 1 */
	guint nanchorless;
	unsigned describe_flags;
	hs_redact *redact;      /* redact_names: the pseudonyms of fields and chains */
} st;

static frame_info *frame_get(guint32 num, gboolean create)
{
	frame_info *fi = (frame_info *)wmem_map_lookup(st.frames, GUINT_TO_POINTER(num));
	if (!fi && create) {
		fi = wmem_new0(wmem_file_scope(), frame_info);
		wmem_map_insert(st.frames, GUINT_TO_POINTER(num), fi);
	}
	return fi;
}

/* Which messages get a subtree: by default those Wireshark cannot decode
 * itself (WinRM SOAP, CredSSP and what travels inside it, anything hopsniff
 * decrypted); the "all messages" preference shows every one. */
static gboolean msg_shown(const hs_msg *m)
{
	if (pref_all_messages)
		return TRUE;
	if (m->proto == HS_PROTO_WINRM || m->proto == HS_PROTO_CREDSSP)
		return TRUE;
	return m->carrier == HS_PROTO_CREDSSP || m->carrier == HS_PROTO_TLS;
}

/* A sealed WinRM body the engine opened: kept for its frame's "Decrypted
 * WinRM" data source (capped per body and per file). */
static void keep_plaintext(const hs_msg *m)
{
	hs_slice p;
	if (!hs_msginfo_plaintext(m, &p) || m->meta->frame > G_MAXUINT32 || p.len > MAX_PLAIN_PER_FRAME ||
	    st.plain_bytes + p.len > MAX_PLAIN_TOTAL)
		return;
	frame_info *fi = frame_get((guint32)m->meta->frame, TRUE);
	if (fi->plain)
		return;
	fi->plain = (guint8 *)wmem_memdup(wmem_file_scope(), p.p, p.len);
	fi->plain_len = (guint)p.len;
	st.plain_bytes += fi->plain_len;
}

static void on_msg(void *ud, const hs_msg *m)
{
	(void)ud;
	keep_plaintext(m);
	if (!msg_shown(m) || st.stored_msgs >= MAX_STORED_MSGS || m->meta->frame > G_MAXUINT32)
		return;
	frame_info *fi = frame_get((guint32)m->meta->frame, TRUE);
	if (!fi->msgs)
		fi->msgs = wmem_array_new(wmem_file_scope(), sizeof(stored_msg));
	if (wmem_array_get_count(fi->msgs) >= MAX_MSGS_PER_FRAME)
		return;
	if (!hs_msginfo_fill(m, st.nodes, st.describe_flags))
		return;
	stored_msg sm = { hs_proto_name(m->proto), NULL, NULL, 0, NULL };
	if (m->carrier != HS_PROTO_NONE) /* its name from the descriptor list, for display */
		sm.carrier = wmem_strdup(wmem_file_scope(), hs_proto_name(m->carrier));
	const char *op = hs_msginfo_get(st.nodes, "operation");
	if (op)
		sm.operation = wmem_strdup(wmem_file_scope(), op);
	size_t n = hs_out_node_count(st.nodes);
	if (n > MAX_NODES_PER_MSG)
		n = MAX_NODES_PER_MSG;
	sm.nodes = wmem_alloc_array(wmem_file_scope(), stored_node, n ? n : 1);
	hs_out_node node;
	for (size_t i = 0; i < n && hs_out_node_at(st.nodes, i, &node); i++) {
		if (hs_msginfo_is_header(&node))
			continue; /* the frame already shows addresses and times */
		stored_node *s = &sm.nodes[sm.nnodes++];
		s->depth = (guint8)MIN(node.depth, 255u);
		s->container = node.container;
		s->key = node.key ? wmem_strdup(wmem_file_scope(), node.key) : NULL;
		s->value = wmem_strdup(wmem_file_scope(), node.value);
	}
	wmem_array_append_one(fi->msgs, sm);
	st.stored_msgs++;
}

static void on_anomaly(void *ud, const hs_anomaly *a)
{
	(void)ud;
	if (!a->frame || a->frame > G_MAXUINT32)
		return;
	frame_info *fi = frame_get((guint32)a->frame, TRUE);
	if (!fi->anomalies)
		fi->anomalies = wmem_array_new(wmem_file_scope(), sizeof(const char *));
	if (wmem_array_get_count(fi->anomalies) >= MAX_ANOMALIES_PER_FRAME)
		return;
	const char *s = wmem_strdup_printf(wmem_file_scope(), "%s: %s", a->kind ? a->kind : "?",
					   a->detail ? a->detail : "");
	wmem_array_append_one(fi->anomalies, s);
}

/* The expert info of a stored "kind: detail". */
static expert_field *anomaly_ei(const char *s)
{
	const char *colon = strchr(s, ':');
	char kind[64];
	g_strlcpy(kind, s, colon && (size_t)(colon - s) < sizeof kind ? (gsize)(colon - s) + 1 : sizeof kind);
	hs_anom a = hs_anom_by_name(kind);
	return a ? &ei_kind[a] : &ei_anomaly;
}

static void state_free(void)
{
	hs_engine_free(st.engine);
	hs_model_free(st.model);
	hs_out_free(st.nodes);
	hs_redact_free(st.redact);
	g_free(st.anchorless);
	memset(&st, 0, sizeof st);
}

/* The files of a "path;path" preference handed to the engine by add(); a
 * bad path is reported on stderr/console once per file and otherwise
 * ignored. */
static void add_files(const char *pref, hs_err (*add)(hs_engine *, const char *), const char *what)
{
	gchar **paths = g_strsplit(pref ? pref : "", ";", 0);
	for (guint i = 0; paths[i]; i++) {
		gchar *p = g_strstrip(paths[i]);
		if (*p && add(st.engine, p) != HS_OK) {
			/* the detail ("FILE: why") when the engine gives one */
			const char *d = hs_engine_error_detail(st.engine);
			g_warning("hopsniff: cannot use the %s %s", what, *d ? d : p);
		}
	}
	g_strfreev(paths);
}

/* The NTLM credentials of a "DOMAIN\\user:secret;..." preference (as
 * --ntlm-password / --nt-hash); a bad entry is reported without its secret. */
static void add_ntlm(const char *pref, bool hash)
{
	gchar **specs = g_strsplit(pref ? pref : "", ";", 0);
	for (guint i = 0; specs[i]; i++) {
		gchar *p = g_strstrip(specs[i]);
		if (*p && hs_engine_add_ntlm_cred(st.engine, p, hash) != HS_OK)
			g_warning("hopsniff: %s", hs_engine_error_detail(st.engine));
		memset(specs[i], 0, strlen(specs[i]));
	}
	g_strfreev(specs);
}

/* The "decode_as" preference: hopsniff -d rules separated by ';' (flows on
 * other ports are found by their content anyway, as in the command). */
static void add_decode_as(hs_config *cfg, const char *pref)
{
	gchar **specs = g_strsplit(pref ? pref : "", ";", 0);
	char why[640];
	for (guint i = 0; specs[i]; i++) {
		gchar *p = g_strstrip(specs[i]);
		if (*p && hs_config_decode_as(cfg, p, why, sizeof why) != HS_OK)
			g_warning("hopsniff: %s", why);
	}
	g_strfreev(specs);
}

/* A new file (or a full redissection): a fresh engine and model. */
static void state_init(void)
{
	state_free();
	hs_config cfg;
	hs_config_default(&cfg);
	add_decode_as(&cfg, pref_decode_as);
	st.describe_flags = pref_show_secrets ? HS_DESCRIBE_SECRETS : 0;
	cfg.describe_flags = st.describe_flags;
	st.engine = hs_engine_new(&cfg);
	st.model = hs_model_new(NULL);
	st.nodes = hs_out_new(HS_OUT_NODES);
	if (pref_redact_names && st.model) {
		/* the first pass only learns the names (fields that carry them,
		 * and what free text introduces); the stored fields, anomalies
		 * and decrypted bodies are rewritten once it ends (redact_frame),
		 * so a name is replaced wherever it appears, even before the
		 * first field that carried it */
		st.redact = hs_redact_new();
		hs_out_set_filter(st.nodes, hs_redact_learn_filter, st.redact);
		hs_model_set_chain_filter(st.model, hs_redact_chain_filter, st.redact);
	}
	st.frames = wmem_map_new(wmem_file_scope(), g_direct_hash, g_direct_equal);
	if (!st.engine || !st.model) {
		state_free();
		return;
	}
	hs_engine_add_msg_sink(st.engine, hs_model_sink, st.model);
	hs_engine_add_msg_sink(st.engine, on_msg, NULL);
	hs_engine_set_anomaly_sink(st.engine, on_anomaly, NULL);
	add_files(pref_keylogs, hs_engine_add_keylog, "key log");
	add_files(pref_keytabs, hs_engine_add_keytab, "keytab");
	add_ntlm(pref_ntlm_passwords, false);
	add_ntlm(pref_nt_hashes, true);
}

static void state_cleanup(void)
{
	state_free();
}

static void chain_add_frame(guint chain, hs_ref r, gboolean *seen_any)
{
	if (!r.frame || r.input != 0 || r.frame > G_MAXUINT32)
		return;
	*seen_any = TRUE;
	frame_info *fi = frame_get((guint32)r.frame, TRUE);
	if (!fi->chains)
		fi->chains = wmem_array_new(wmem_file_scope(), sizeof(chain_ref));
	guint n = wmem_array_get_count(fi->chains);
	for (guint i = 0; i < n; i++)
		if (((chain_ref *)wmem_array_index(fi->chains, i))->chain == chain)
			return;
	const hs_chain *c = hs_model_chain(st.model, chain);
	chain_ref cr = { chain, HS_ROLE_NONE, 0 };
	cr.role = hs_chain_frame_role(c, r, &cr.hop);
	wmem_array_append_one(fi->chains, cr);
}

/* redact_names, at the end of the first pass: one frame's stored fields,
 * anomalies and decrypted WinRM body with every name learnt replaced. */
static const char *redacted(const char *v, size_t len)
{
	GString *g = g_string_new(NULL);
	hs_redact_text(st.redact, v, len, g);
	const char *r = wmem_strndup(wmem_file_scope(), g->str, g->len);
	g_string_free(g, TRUE);
	return r;
}

static void redact_frame(gpointer key, gpointer value, gpointer ud)
{
	(void)key;
	(void)ud;
	frame_info *fi = value;
	for (guint i = 0; fi->msgs && i < wmem_array_get_count(fi->msgs); i++) {
		stored_msg *sm = wmem_array_index(fi->msgs, i);
		for (guint k = 0; k < sm->nnodes; k++) {
			stored_node *n = &sm->nodes[k];
			if (n->value && hs_redact_withheld(n->key))
				n->value = wmem_strdup_printf(wmem_file_scope(),
							      "(%zu bytes of command output withheld by redact_names)",
							      strlen(n->value));
			else if (n->value)
				n->value = redacted(n->value, strlen(n->value));
		}
	}
	for (guint i = 0; fi->anomalies && i < wmem_array_get_count(fi->anomalies); i++) {
		const char **a = wmem_array_index(fi->anomalies, i);
		*a = redacted(*a, strlen(*a));
	}
	if (fi->plain) {
		GString *g = g_string_new(NULL);
		hs_redact_xml_body(st.redact, (const char *)fi->plain, fi->plain_len, g);
		fi->plain = (guint8 *)wmem_strndup(wmem_file_scope(), g->str, g->len);
		fi->plain_len = (guint)g->len;
		g_string_free(g, TRUE);
	}
}

/* End of the sequential pass: finish the decoder, diagnose the chains and
 * note, per frame, which chains list it. */
static void state_finish(void)
{
	if (!st.engine || st.finished)
		return;
	st.finished = TRUE;
	hs_engine_finish(st.engine);
	hs_model_finish(st.model);
	if (st.redact)
		wmem_map_foreach(st.frames, redact_frame, NULL);
	size_t n = hs_model_chain_count(st.model);
	for (size_t i = 0; i < n; i++) {
		const hs_chain *c = hs_model_chain(st.model, i);
		gboolean any = FALSE;
		for (unsigned h = 0; h < c->nhops && h < 2; h++)
			for (unsigned k = 0; k < c->hops[h].nframes && k < HS_HOP_FRAMES; k++)
				chain_add_frame((guint)i, c->hops[h].frames[k], &any);
		for (unsigned k = 0; k < c->diag.nevidence && k < HS_EVIDENCE_MAX; k++)
			chain_add_frame((guint)i, c->diag.evidence[k], &any);
		chain_add_frame((guint)i, hs_chain_decisive(c), &any);
		if (!any) {
			st.anchorless = g_renew(guint, st.anchorless, st.nanchorless + 1);
			st.anchorless[st.nanchorless++] = (guint)i;
		}
	}
	/* one line per analysed file at level info (--log-level info):
	 * "analysis: F frames, N chain(s): verdict/cause ..." */
	GString *line = g_string_new(NULL);
	g_string_printf(line, "analysis: %u frames, %zu chain(s):", st.last_fed, n);
	for (size_t i = 0; i < n; i++) {
		const hs_chain *c = hs_model_chain(st.model, i);
		g_string_append_printf(line, " %s/%s", hs_verdict_name(c->diag.verdict), c->diag.cause ? c->diag.cause : "-");
	}
	ws_log("hopsniff", LOG_LEVEL_INFO, "%s", line->str);
	g_string_free(line, TRUE);
}

static int encap_to_linktype(int encap)
{
	switch (encap) {
	case WTAP_ENCAP_ETHERNET: return HS_DLT_EN10MB;
	case WTAP_ENCAP_RAW_IP: return HS_DLT_RAW;
	case WTAP_ENCAP_RAW_IP4: return HS_DLT_IPV4;
	case WTAP_ENCAP_RAW_IP6: return HS_DLT_IPV6;
	case WTAP_ENCAP_SLL: return HS_DLT_LINUX_SLL;
	case WTAP_ENCAP_SLL2: return HS_DLT_LINUX_SLL2;
	case WTAP_ENCAP_NULL: return HS_DLT_NULL;
	case WTAP_ENCAP_LOOP: return HS_DLT_LOOP;
	default: return -1;
	}
}

static void feed(tvbuff_t *tvb, packet_info *pinfo)
{
	if (!st.engine || st.finished || pinfo->num <= st.last_fed || !pinfo->rec ||
	    pinfo->rec->rec_type != REC_TYPE_PACKET)
		return;
	st.last_fed = pinfo->num;
	int lt = encap_to_linktype(pinfo->rec->rec_header.packet_header.pkt_encap);
	if (lt < 0)
		return;
	guint caplen = tvb_captured_length(tvb);
	if (!caplen)
		return;
	hs_frame f = {
		.input = 0,
		.frame = pinfo->num,
		.ts_sec = (int64_t)pinfo->abs_ts.secs,
		.ts_nsec = (uint32_t)pinfo->abs_ts.nsecs,
		.linktype = lt,
		.data = tvb_get_ptr(tvb, 0, caplen),
		.caplen = caplen,
		.wirelen = MAX(tvb_reported_length(tvb), caplen),
	};
	hs_engine_feed(st.engine, &f);
}

static proto_item *add_gen(proto_item *it)
{
	proto_item_set_generated(it);
	return it;
}

static const char *or_dash(const char *s) { return s && *s ? s : "-"; }

static void endpoint_text(const hs_endpoint *e, char *buf, size_t n)
{
	if (e->name[0] && e->has_ip)
		g_snprintf(buf, (gulong)n, "%s (%s)", e->name, e->ip);
	else
		g_snprintf(buf, (gulong)n, "%s", e->name[0] ? e->name : e->has_ip ? e->ip : "-");
}

static void add_hop(proto_tree *tree, tvbuff_t *tvb, const hs_hop *h)
{
	char cl[HS_NAME_MAX + 64], sv[HS_NAME_MAX + 64];
	endpoint_text(&h->client, cl, sizeof cl);
	endpoint_text(&h->server, sv, sizeof sv);
	proto_tree *t;
	if (h->unseen) /* hop 1 rebuilt from what the first server did next: no frames of its own */
		t = proto_tree_add_subtree_format(tree, tvb, 0, 0, ett_hop, NULL,
			"Hop %u: not in the capture - %s -> %s, inferred from %s", h->index, or_dash(h->principal), sv,
			h->inferred_from);
	else
		t = proto_tree_add_subtree_format(tree, tvb, 0, 0, ett_hop, NULL,
			"Hop %u: %s -> %s, %s, %s as %s: %s", h->index, cl, sv, hs_carrier_name(h->carrier),
			hs_auth_name(h->auth), or_dash(h->principal), hs_result_name(h->result));
	add_gen(proto_tree_add_string(t, hf_carrier, tvb, 0, 0, hs_carrier_name(h->carrier)));
	add_gen(proto_tree_add_string(t, hf_auth, tvb, 0, 0, hs_auth_name(h->auth)));
	if (h->principal[0])
		add_gen(proto_tree_add_string(t, hf_principal, tvb, 0, 0, h->principal));
	add_gen(proto_tree_add_string(t, hf_result, tvb, 0, 0, hs_result_name(h->result)));
	add_gen(proto_tree_add_string(t, hf_client, tvb, 0, 0, cl));
	add_gen(proto_tree_add_string(t, hf_server, tvb, 0, 0, sv));
	if (h->target[0])
		add_gen(proto_tree_add_string(t, hf_target, tvb, 0, 0, h->target));
	int hf = h->index == 1 ? hf_hop1_frame : hf_hop2_frame;
	for (unsigned k = 0; k < h->nframes && k < HS_HOP_FRAMES; k++)
		if (h->frames[k].input == 0 && h->frames[k].frame <= G_MAXUINT32)
			add_gen(proto_tree_add_uint(t, hf, tvb, 0, 0, (guint32)h->frames[k].frame));
}

static void add_chain(proto_tree *tree, tvbuff_t *tvb, packet_info *pinfo, const chain_ref *cr)
{
	const hs_chain *c = hs_model_chain(st.model, cr->chain);
	if (!c)
		return;
	const hs_diag *d = &c->diag;
	const char *verdict = hs_verdict_name(d->verdict);
	proto_tree *t = proto_tree_add_subtree_format(tree, tvb, 0, 0, ett_chain, NULL,
		"Chain %u: %s, %s, %s (%s)%s", c->id, or_dash(c->user), hs_method_name(d->method), verdict,
		or_dash(d->cause), cr->role == HS_ROLE_DECISIVE ? " [decisive frame]" : "");
	add_gen(proto_tree_add_uint(t, hf_chain, tvb, 0, 0, c->id));
	add_gen(proto_tree_add_string(t, hf_role, tvb, 0, 0, hs_frame_role_name(cr->role)));
	if (cr->hop)
		add_gen(proto_tree_add_uint(t, hf_hop, tvb, 0, 0, cr->hop));
	if (c->user[0])
		add_gen(proto_tree_add_string(t, hf_user, tvb, 0, 0, c->user));
	add_gen(proto_tree_add_string(t, hf_method, tvb, 0, 0, hs_method_name(d->method)));
	proto_item *vi = add_gen(proto_tree_add_string(t, hf_verdict, tvb, 0, 0, verdict));
	add_gen(proto_tree_add_string(t, hf_cause, tvb, 0, 0, or_dash(d->cause)));
	add_gen(proto_tree_add_boolean(t, hf_decisive, tvb, 0, 0, cr->role == HS_ROLE_DECISIVE));
	if (cr->role == HS_ROLE_DECISIVE || cr->role == HS_ROLE_EVIDENCE)
		add_gen(proto_tree_add_string(t, hf_detail, tvb, 0, 0, d->detail));
	for (unsigned h = 0; h < c->nhops && h < 2; h++)
		add_hop(t, tvb, &c->hops[h]);
	proto_tree *ft = proto_tree_add_subtree(t, tvb, 0, 0, ett_frames, NULL, "Evidence frames");
	for (unsigned k = 0; k < d->nevidence && k < HS_EVIDENCE_MAX; k++)
		if (d->evidence[k].input == 0 && d->evidence[k].frame <= G_MAXUINT32)
			add_gen(proto_tree_add_uint(ft, hf_evidence_frame, tvb, 0, 0, (guint32)d->evidence[k].frame));
	hs_ref dr = hs_chain_decisive(c);
	if (dr.frame && dr.input == 0 && dr.frame <= G_MAXUINT32)
		add_gen(proto_tree_add_uint(t, hf_decisive_frame, tvb, 0, 0, (guint32)dr.frame));
	if (cr->role != HS_ROLE_DECISIVE)
		return;
	/* the decisive frame: the whole diagnosis and the expert note */
	add_gen(proto_tree_add_string(t, hf_explanation, tvb, 0, 0, d->explanation));
	for (unsigned k = 0; k < d->nremedies && k < HS_REMEDY_MAX; k++) {
		const hs_remedy *r = &d->remedies[k];
		proto_tree *rt = proto_tree_add_subtree_format(t, tvb, 0, 0, ett_remedy, NULL, "Remedy (%s): %s",
			hs_method_name(r->method), r->summary);
		add_gen(proto_tree_add_string(rt, hf_remedy, tvb, 0, 0, r->summary));
		for (unsigned j = 0; j < r->ncommands && j < HS_REMEDY_CMDS; j++)
			add_gen(proto_tree_add_string_format(rt, hf_remedy, tvb, 0, 0, r->commands[j], "Command: %s",
							     r->commands[j]));
		if (r->security[0])
			add_gen(proto_tree_add_string_format(rt, hf_remedy, tvb, 0, 0, r->security, "Security: %s",
							     r->security));
	}
	for (unsigned k = 0; k < d->nneeds && k < HS_NEEDS_MAX; k++)
		add_gen(proto_tree_add_string(t, hf_need, tvb, 0, 0, d->needs[k]));
	expert_field *ei = d->verdict == HS_VERDICT_FAILED ? &ei_failed
		: d->verdict == HS_VERDICT_NOT_ATTEMPTED ? &ei_not_attempted
		: d->verdict == HS_VERDICT_DELEGATED ? &ei_delegated : &ei_unknown;
	/* on the verdict item: visible as soon as the chain is expanded */
	expert_add_info_format(pinfo, vi, ei, "Double hop (chain %u, %s): %s %s: %s", c->id,
			       hs_method_name(d->method), verdict, or_dash(d->cause), d->detail);
}

static void add_msg(proto_tree *tree, tvbuff_t *tvb, const stored_msg *sm)
{
	proto_item *mi = proto_tree_add_string_format(tree, hf_msg, tvb, 0, 0, sm->proto, "Decoded by hopsniff: %s%s%s%s%s",
		sm->proto, sm->carrier ? " in " : "", sm->carrier ? sm->carrier : "",
		sm->operation ? ": " : "", sm->operation ? sm->operation : "");
	add_gen(mi);
	proto_tree *mt = proto_item_add_subtree(mi, ett_msg);
	add_gen(proto_tree_add_string(mt, hf_msg_proto, tvb, 0, 0, sm->proto));
	if (sm->carrier)
		add_gen(proto_tree_add_string(mt, hf_msg_carrier, tvb, 0, 0, sm->carrier));
	if (sm->operation && strcmp(sm->proto, "winrm") == 0)
		add_gen(proto_tree_add_string(mt, hf_winrm_operation, tvb, 0, 0, sm->operation));
	/* the nodes, nested by depth (the header fields are depth 1 too) */
	proto_tree *parents[HS_OUT_MAX_DEPTH + 2];
	parents[0] = parents[1] = mt;
	unsigned limit = 1; /* deepest level with a known parent */
	for (guint i = 0; i < sm->nnodes; i++) {
		const stored_node *n = &sm->nodes[i];
		if (n->depth < 1 || n->depth > HS_OUT_MAX_DEPTH || n->depth > limit)
			continue;
		limit = n->container ? n->depth + 1u : n->depth;
		proto_tree *parent = parents[n->depth];
		const char *key = n->key ? n->key : "-";
		proto_item *it;
		if (n->container)
			it = proto_tree_add_string_format(parent, hf_msg_field, tvb, 0, 0, key, "%s", key);
		else
			it = proto_tree_add_string_format(parent, hf_msg_field, tvb, 0, 0, n->value, "%s: %s", key,
							  n->value);
		add_gen(it);
		if (n->container)
			parents[n->depth + 1] = proto_item_add_subtree(it, ett_node);
	}
}

static int dissect_hopsniff(tvbuff_t *tvb, packet_info *pinfo, proto_tree *tree, void *data)
{
	(void)data;
	if (!st.engine)
		return 0;
	if (!PINFO_FD_VISITED(pinfo) && st.finished && pinfo->num > st.last_fed)
		st.late = TRUE;
	if (!PINFO_FD_VISITED(pinfo))
		feed(tvb, pinfo);
	else if (!st.finished)
		/* a redissection that did not end with the post-sequential
		 * routine (the GUI after a preference change): the first pass
		 * is over once frames are revisited */
		state_finish();
	frame_info *fi = frame_get(pinfo->num, FALSE);
	gboolean anchor = st.finished && pinfo->num == 1 && st.nanchorless;
	if (!fi && !anchor)
		return 0;
	guint nchains = fi && fi->chains && st.finished ? wmem_array_get_count(fi->chains) : 0;
	/* the stats tree counts each chain once, at its decisive frame */
	for (guint i = 0; i < nchains; i++) {
		const chain_ref *cr = (const chain_ref *)wmem_array_index(fi->chains, i);
		if (cr->role == HS_ROLE_DECISIVE)
			tap_queue_packet(hs_plugin_tap, pinfo, hs_model_chain(st.model, cr->chain));
	}
	for (guint i = 0; anchor && i < st.nanchorless; i++)
		tap_queue_packet(hs_plugin_tap, pinfo, hs_model_chain(st.model, st.anchorless[i]));
	if (!tree)
		return tvb_captured_length(tvb);
	proto_item *ti = proto_tree_add_item(tree, proto_hopsniff, tvb, 0, 0, ENC_NA);
	proto_item_set_generated(ti);
	proto_tree *t = proto_item_add_subtree(ti, ett_hopsniff);
	for (guint i = 0; i < nchains; i++)
		add_chain(t, tvb, pinfo, (const chain_ref *)wmem_array_index(fi->chains, i));
	for (guint i = 0; anchor && i < st.nanchorless; i++) {
		chain_ref cr = { st.anchorless[i], HS_ROLE_DECISIVE, 0 };
		add_chain(t, tvb, pinfo, &cr);
	}
	if (fi && fi->plain) {
		/* the body as the endpoint wrote it, before sealing (MS-WSMV 2.2.9.1) */
		tvbuff_t *pt = tvb_new_child_real_data(tvb, fi->plain, fi->plain_len, fi->plain_len);
		add_new_data_source(pinfo, pt, "Decrypted WinRM");
		proto_tree_add_item(t, hf_winrm_plaintext, pt, 0, fi->plain_len, ENC_UTF_8 | ENC_NA);
	}
	guint nm = fi && fi->msgs ? wmem_array_get_count(fi->msgs) : 0;
	for (guint i = 0; i < nm; i++)
		add_msg(t, tvb, (const stored_msg *)wmem_array_index(fi->msgs, i));
	guint na = fi && fi->anomalies ? wmem_array_get_count(fi->anomalies) : 0;
	for (guint i = 0; i < na; i++) {
		const char *s = *(const char **)wmem_array_index(fi->anomalies, i);
		proto_item *ai = add_gen(proto_tree_add_string(t, hf_anomaly, tvb, 0, 0, s));
		expert_add_info_format(pinfo, ai, anomaly_ei(s), "hopsniff decoder: %s", s);
	}
	if (!st.finished)
		proto_item_append_text(ti, " (chains are shown once the file has been read: use tshark -2)");
	else if (st.late)
		proto_item_append_text(ti, " (frames arrived after the analysis: reload the file)");
	return tvb_captured_length(tvb);
}

/* hopsniff.anomaly.<kind>, group Malformed, with the list's severity and
 * meaning.  Registered once for the life of the process (Wireshark keeps
 * the pointers). */
static void register_anomaly_experts(expert_module_t *em)
{
	static ei_register_info kinds[HS_ANOM__COUNT - 1];
	static const int sev[] = { [HS_ANOM_SEV_NOTE] = PI_NOTE, [HS_ANOM_SEV_WARN] = PI_WARN,
				   [HS_ANOM_SEV_ERROR] = PI_ERROR };
	for (unsigned a = 1; a < HS_ANOM__COUNT; a++) {
		ei_register_info *r = &kinds[a - 1];
		ei_kind[a] = (expert_field)EI_INIT;
		r->ids = &ei_kind[a];
		r->eiinfo = (expert_field_info){ g_strdup_printf("hopsniff.anomaly.%s", hs_anom_name((hs_anom)a)), PI_MALFORMED,
						 sev[hs_anom_severity_of((hs_anom)a)], hs_anom_meaning((hs_anom)a), EXPFILL };
	}
	expert_register_field_array(em, kinds, array_length(kinds));
}

static void proto_register_hopsniff(void)
{
	static hf_register_info hf[] = {
		{ &hf_chain, { "Chain", "hopsniff.chain", FT_UINT32, BASE_DEC, NULL, 0, "Chain id (as in the hopsniff report)", HFILL } },
		{ &hf_role, { "Role", "hopsniff.role", FT_STRING, BASE_NONE, NULL, 0, "What this frame is to the chain: hop, evidence, decisive", HFILL } },
		{ &hf_hop, { "Hop", "hopsniff.hop", FT_UINT32, BASE_DEC, NULL, 0, "The hop (1 or 2) this frame belongs to", HFILL } },
		{ &hf_user, { "User", "hopsniff.user", FT_STRING, BASE_NONE, NULL, 0, "The identity that should reach hop 2", HFILL } },
		{ &hf_method, { "Method", "hopsniff.method", FT_STRING, BASE_NONE, NULL, 0, "Delegation method", HFILL } },
		{ &hf_verdict, { "Verdict", "hopsniff.verdict", FT_STRING, BASE_NONE, NULL, 0, "delegated, failed, not_attempted, unknown", HFILL } },
		{ &hf_cause, { "Cause", "hopsniff.cause", FT_STRING, BASE_NONE, NULL, 0, "The most specific cause (report contract)", HFILL } },
		{ &hf_detail, { "Detail", "hopsniff.detail", FT_STRING, BASE_NONE, NULL, 0, NULL, HFILL } },
		{ &hf_explanation, { "Explanation", "hopsniff.explanation", FT_STRING, BASE_NONE, NULL, 0, NULL, HFILL } },
		{ &hf_decisive, { "Decisive frame", "hopsniff.decisive", FT_BOOLEAN, BASE_NONE, NULL, 0, "This frame shows the chain's outcome", HFILL } },
		{ &hf_carrier, { "Carrier", "hopsniff.carrier", FT_STRING, BASE_NONE, NULL, 0, NULL, HFILL } },
		{ &hf_auth, { "Authentication", "hopsniff.auth", FT_STRING, BASE_NONE, NULL, 0, NULL, HFILL } },
		{ &hf_principal, { "Principal", "hopsniff.principal", FT_STRING, BASE_NONE, NULL, 0, "The identity the hop was made as", HFILL } },
		{ &hf_result, { "Result", "hopsniff.result", FT_STRING, BASE_NONE, NULL, 0, NULL, HFILL } },
		{ &hf_client, { "Client", "hopsniff.client", FT_STRING, BASE_NONE, NULL, 0, NULL, HFILL } },
		{ &hf_server, { "Server", "hopsniff.server", FT_STRING, BASE_NONE, NULL, 0, NULL, HFILL } },
		{ &hf_target, { "Target SPN", "hopsniff.target", FT_STRING, BASE_NONE, NULL, 0, NULL, HFILL } },
		{ &hf_hop1_frame, { "Hop 1 frame", "hopsniff.hop1_frame", FT_FRAMENUM, BASE_NONE, NULL, 0, NULL, HFILL } },
		{ &hf_hop2_frame, { "Hop 2 frame", "hopsniff.hop2_frame", FT_FRAMENUM, BASE_NONE, NULL, 0, NULL, HFILL } },
		{ &hf_evidence_frame, { "Evidence frame", "hopsniff.evidence_frame", FT_FRAMENUM, BASE_NONE, NULL, 0, NULL, HFILL } },
		{ &hf_decisive_frame, { "Decisive frame", "hopsniff.decisive_frame", FT_FRAMENUM, BASE_NONE, NULL, 0, NULL, HFILL } },
		{ &hf_remedy, { "Remedy", "hopsniff.remedy", FT_STRING, BASE_NONE, NULL, 0, NULL, HFILL } },
		{ &hf_need, { "Needed to settle", "hopsniff.need", FT_STRING, BASE_NONE, NULL, 0, NULL, HFILL } },
		{ &hf_msg, { "Message", "hopsniff.msg", FT_STRING, BASE_NONE, NULL, 0, "A message decoded by hopsniff", HFILL } },
		{ &hf_msg_proto, { "Protocol", "hopsniff.msg.proto", FT_STRING, BASE_NONE, NULL, 0, NULL, HFILL } },
		{ &hf_msg_carrier, { "Carried in", "hopsniff.msg.carrier", FT_STRING, BASE_NONE, NULL, 0, NULL, HFILL } },
		{ &hf_msg_field, { "Field", "hopsniff.msg.field", FT_STRING, BASE_NONE, NULL, 0, "A field of a decoded message", HFILL } },
		{ &hf_winrm_operation, { "WinRM operation", "hopsniff.winrm.operation", FT_STRING, BASE_NONE, NULL, 0, NULL, HFILL } },
		{ &hf_winrm_plaintext, { "Decrypted WinRM body", "hopsniff.winrm.plaintext", FT_STRING, BASE_NONE, NULL, 0, "The SOAP body of a Kerberos-, NTLM- or CredSSP-sealed WinRM message, decrypted", HFILL } },
		{ &hf_anomaly, { "Decoder anomaly", "hopsniff.anomaly", FT_STRING, BASE_NONE, NULL, 0, NULL, HFILL } },
	};
	static gint *ett[] = { &ett_hopsniff, &ett_chain, &ett_hop, &ett_frames, &ett_msg, &ett_node, &ett_remedy };
	static ei_register_info ei[] = {
		{ &ei_failed, { "hopsniff.delegation.failed", PI_SECURITY, PI_ERROR, "Delegation failed", EXPFILL } },
		{ &ei_not_attempted, { "hopsniff.delegation.not_attempted", PI_SECURITY, PI_WARN, "Delegation not attempted", EXPFILL } },
		{ &ei_delegated, { "hopsniff.delegation.delegated", PI_SECURITY, PI_NOTE, "Identity delegated", EXPFILL } },
		{ &ei_unknown, { "hopsniff.delegation.unknown", PI_SECURITY, PI_WARN, "Delegation outcome unknown", EXPFILL } },
		{ &ei_anomaly, { "hopsniff.anomaly", PI_MALFORMED, PI_WARN, "hopsniff decoder anomaly", EXPFILL } },
	};
	proto_hopsniff = proto_register_protocol("Double-Hop Analysis (hopsniff)", "hopsniff", "hopsniff");
	proto_register_field_array(proto_hopsniff, hf, array_length(hf));
	proto_register_subtree_array(ett, array_length(ett));
	expert_module_t *em = expert_register_protocol(proto_hopsniff);
	expert_register_field_array(em, ei, array_length(ei));
	register_anomaly_experts(em);

	module_t *m = prefs_register_protocol(proto_hopsniff, NULL);
	prefs_register_string_preference(m, "keylog_files", "TLS key log files",
		"SSLKEYLOGFILE-format key logs (separated by ';') that decrypt WinRM over HTTPS and CredSSP; "
		"read when a file is opened", &pref_keylogs);
	prefs_register_bool_preference(m, "show_secrets", "Show secrets",
		"Show secret material (tickets, NTLM responses, decrypted keys) in decoded messages; off by default",
		&pref_show_secrets);
	prefs_register_bool_preference(m, "redact_names", "Redact names",
		"Replace user, host and domain names by stable pseudonyms (user1, host1.dom1.example) in the "
		"chains and the decoded fields, like --redact-names", &pref_redact_names);
	prefs_register_bool_preference(m, "all_messages", "Show all decoded messages",
		"Show every message hopsniff decodes, not only those Wireshark cannot decode itself "
		"(WinRM SOAP, CredSSP and what it carries)", &pref_all_messages);
	prefs_register_string_preference(m, "keytab_files", "Kerberos keytab files",
		"MIT keytabs (separated by ';') whose keys decrypt Kerberos tickets, authenticators and KDC replies "
		"(the ticket's user and flags, the delegation flag and forwarded TGT); read when a file is opened",
		&pref_keytabs);
	prefs_register_string_preference(m, "ntlm_passwords", "NTLM passwords",
		"DOMAIN\\user:password entries (separated by ';') that open NTLM-sealed WinRM bodies (as hopsniff "
		"--ntlm-password); read when a file is opened. Like Wireshark's NTLMSSP \"NT Password\", a saved value "
		"is written to the preferences file", &pref_ntlm_passwords);
	prefs_register_string_preference(m, "nt_hashes", "NT hashes",
		"DOMAIN\\user:NTHASH entries (32 hex digits, separated by ';'), as --nt-hash", &pref_nt_hashes);
	prefs_register_string_preference(m, "decode_as", "Decode as",
		"Rules like hopsniff -d, separated by ';': tcp.port==8443,winrm-https (names: winrm-http, "
		"winrm-https, http, smb2, ldap, ldaps, dcerpc, mssql, rdp, kerberos, tls). Services on other ports "
		"are found by their content without a rule; a rule names what content cannot tell (WinRM over HTTPS "
		"without a key log)", &pref_decode_as);

	register_init_routine(state_init);
	register_cleanup_routine(state_cleanup);
	register_postseq_cleanup_routine(state_finish);
	hs_plugin_tap = register_tap("hopsniff");
}

static void proto_reg_handoff_hopsniff(void)
{
	hopsniff_handle = create_dissector_handle(dissect_hopsniff, proto_hopsniff);
	register_postdissector(hopsniff_handle);
}

void plugin_register(void)
{
	static proto_plugin plug;
	plug.register_protoinfo = proto_register_hopsniff;
	plug.register_handoff = proto_reg_handoff_hopsniff;
	proto_register_plugin(&plug);
	static tap_plugin tap;
	tap.register_tap_listener = hs_plugin_register_stats;
	tap_register_plugin(&tap);
}
