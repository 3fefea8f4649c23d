/* report.c - JSON, text and HTML renderings of the chains (see report.h). */
#include "report.h"

#include <stdio.h>
#include <string.h>

#include "anomalies.h"

/* ------------------------------------------------------------------ */
/* JSON, through the one structured writer (out.h) */

static void ts_or_null(hs_out *o, const char *key, bool has, int64_t s, uint32_t ns)
{
	if (!has) {
		hs_out_null(o, key);
		return;
	}
	char b[64];
	hs_ts_rfc3339(s, ns, b, sizeof b);
	hs_out_cstr(o, key, b);
}

static void str_or_null(hs_out *o, const char *key, const char *s)
{
	if (s && s[0])
		hs_out_cstr(o, key, s);
	else
		hs_out_null(o, key);
}

static void refs(hs_out *o, const char *key, const hs_ref *r, unsigned n)
{
	hs_out_begin_list(o, key);
	for (unsigned i = 0; i < n; i++) {
		hs_out_begin(o, NULL);
		hs_out_uint(o, "input", r[i].input);
		hs_out_uint(o, "frame", r[i].frame);
		hs_out_end(o);
	}
	hs_out_end_list(o);
}

static void endpoint(hs_out *o, const char *key, const hs_endpoint *e)
{
	hs_out_begin(o, key);
	str_or_null(o, "ip", e->has_ip ? e->ip : NULL);
	str_or_null(o, "name", e->name);
	if (e->port)
		hs_out_uint(o, "port", e->port);
	hs_out_end(o);
}

static const char *const VANTAGE_NAMES[4] = { "client", "server1", "dc", "span" };

static bool vantage_at(const hs_facts *f, int i)
{
	const bool at[4] = { f->at_client, f->at_server1, f->at_dc, f->at_span };
	return at[i];
}

static void chain_json(hs_out *o, const hs_chain *c)
{
	const hs_diag *d = &c->diag;
	hs_out_begin(o, NULL);
	hs_out_uint(o, "id", c->id);
	str_or_null(o, "user", c->user);
	/* where the input was captured, from its addresses (facts.at_*) */
	hs_out_begin_list(o, "captured_at");
	for (int i = 0; i < 4; i++)
		if (vantage_at(&c->facts, i))
			hs_out_cstr(o, NULL, VANTAGE_NAMES[i]);
	hs_out_end_list(o);
	hs_out_begin_list(o, "hops");
	for (unsigned i = 0; i < c->nhops; i++) {
		const hs_hop *h = &c->hops[i];
		hs_out_begin(o, NULL);
		hs_out_uint(o, "index", h->index);
		endpoint(o, "client", &h->client);
		endpoint(o, "server", &h->server);
		hs_out_cstr(o, "carrier", hs_carrier_name(h->carrier));
		hs_out_cstr(o, "auth", hs_auth_name(h->auth));
		str_or_null(o, "principal", h->principal);
		hs_out_cstr(o, "result", hs_result_name(h->result));
		if (h->target[0])
			hs_out_cstr(o, "target", h->target);
		if (h->inferred)
			hs_out_bool(o, "inferred", true);
		/* what of the hop the input holds: its own traffic, only the KDC
		 * exchange for its ticket, or nothing (rebuilt from the next hop) */
		hs_out_cstr(o, "observed", h->unseen ? "none" : h->inferred ? "kdc" : "connection");
		if (h->unseen)
			hs_out_cstr(o, "inferred_from", h->inferred_from);
		refs(o, "frames", h->frames, h->nframes);
		hs_out_end(o);
	}
	hs_out_end_list(o);
	hs_out_begin(o, "delegation");
	hs_out_cstr(o, "method", hs_method_name(d->method));
	hs_out_cstr(o, "verdict", hs_verdict_name(d->verdict));
	hs_out_cstr(o, "cause", d->cause ? d->cause : "unknown");
	hs_out_cstr(o, "detail", d->detail);
	refs(o, "evidence_frames", d->evidence, d->nevidence);
	hs_out_end(o);
	if (c->facts.user_saw[0]) {
		/* what the first hop's command reported (cmd stderr, WS-Management fault) */
		hs_out_begin(o, "user_saw");
		hs_out_cstr(o, "text", c->facts.user_saw);
		hs_out_uint(o, "input", c->facts.user_saw_ref.input);
		hs_out_uint(o, "frame", c->facts.user_saw_ref.frame);
		hs_out_end(o);
	}
	if (c->facts.hop2_ambiguous) {
		/* second-hop items this session could own, like others of the
		 * same server open at the time, that nothing ties to one of them */
		hs_out_begin(o, "untied_second_hop");
		hs_out_uint(o, "items", c->facts.hop2_ambiguous);
		hs_out_uint(o, "sessions", c->facts.hop2_ambiguous_sessions);
		hs_out_bool(o, "refused", c->facts.hop2_ambiguous_refused);
		hs_out_uint(o, "input", c->facts.hop2_ambiguous_ref.input);
		hs_out_uint(o, "frame", c->facts.hop2_ambiguous_ref.frame);
		hs_out_end(o);
	}
	hs_out_cstr(o, "explanation", d->explanation);
	hs_out_begin_list(o, "remedies");
	for (unsigned i = 0; i < d->nremedies; i++) {
		const hs_remedy *r = &d->remedies[i];
		hs_out_begin(o, NULL);
		hs_out_cstr(o, "method", hs_method_name(r->method));
		hs_out_cstr(o, "summary", r->summary);
		hs_out_begin_list(o, "commands");
		for (unsigned k = 0; k < r->ncommands; k++)
			hs_out_cstr(o, NULL, r->commands[k]);
		hs_out_end_list(o);
		hs_out_cstr(o, "security", r->security);
		hs_out_end(o);
	}
	hs_out_end_list(o);
	hs_out_begin_list(o, "needs");
	for (unsigned i = 0; i < d->nneeds; i++)
		hs_out_cstr(o, NULL, d->needs[i]);
	hs_out_end_list(o);
	hs_out_end(o);
}

/* Streamed output (hs_report.write): out handed over once it holds a piece;
 * last: whatever it holds. */
#define PIECE (64 * 1024)

static void piece(const hs_report *r, GString *out, bool last)
{
	if (!r->write || !out->len || (!last && out->len < PIECE))
		return;
	r->write(r->write_ud, out->str, out->len);
	g_string_truncate(out, 0);
}

/* The caller's anomalies, then one "model_cap" for each of the model's caps
 * that refused something (nothing is dropped silently).  g_free the result. */
static hs_anomaly_copy *all_anomalies(const hs_report *r, size_t *n)
{
	const hs_model_caps *c = hs_model_cap_hits(r->model);
	const hs_model_config *cfg = hs_model_config_of(r->model);
	const struct {
		uint64_t hits;
		size_t cap;
		const char *what;
	} caps[] = {
		{ c->chains, cfg->max_chains, "sessions not judged (no chain reported for them)" },
		{ c->conns, cfg->max_conns, "connections not kept (their evidence is missing)" },
		{ c->kdc, cfg->max_kdc, "KDC exchanges not kept (their evidence is missing)" },
		{ c->tickets, cfg->max_tickets, "tickets not kept (identities through them unresolved)" },
		{ c->hosts, cfg->max_hosts, "host names not kept" },
	};
	hs_anomaly_copy *all = g_new0(hs_anomaly_copy, r->nanomalies + G_N_ELEMENTS(caps) + 1);
	if (r->nanomalies)
		memcpy(all, r->anomalies, r->nanomalies * sizeof *all);
	*n = r->nanomalies;
	for (size_t i = 0; i < G_N_ELEMENTS(caps); i++) {
		if (!caps[i].hits)
			continue;
		hs_anomaly_copy *a = &all[(*n)++];
		snprintf(a->kind, sizeof a->kind, "%s", hs_anom_name(HS_ANOM_MODEL_CAP));
		snprintf(a->detail, sizeof a->detail, "the correlation model's cap of %zu was reached: %llu %s", caps[i].cap,
			 (unsigned long long)caps[i].hits, caps[i].what);
	}
	if (c->memory) {
		hs_anomaly_copy *a = &all[(*n)++];
		snprintf(a->kind, sizeof a->kind, "%s", hs_anom_name(HS_ANOM_MEMORY_CAP));
		snprintf(a->detail, sizeof a->detail,
			 "the memory budget (--memory-limit) was reached %llu times: the correlation model settled %llu "
			 "connections and KDC exchanges early; their chains were judged with the evidence seen until then",
			 (unsigned long long)c->memory, (unsigned long long)hs_model_evicted(r->model));
	}
	return all;
}

void hs_report_json(const hs_report *r, GString *out)
{
	size_t nanom;
	hs_anomaly_copy *anom = all_anomalies(r, &nanom);
	hs_out *o = hs_out_new(HS_OUT_JSON);
	hs_out_begin(o, NULL);
	hs_out_cstr(o, "hopsniff_version", HS_VERSION);
	hs_out_begin_list(o, "inputs");
	for (size_t i = 0; i < r->ninputs; i++) {
		const hs_report_input *in = &r->inputs[i];
		hs_out_begin(o, NULL);
		hs_out_cstr(o, "file", in->file);
		hs_out_uint(o, "packets", in->packets);
		ts_or_null(o, "first_ts", in->has_ts, in->first_sec, in->first_nsec);
		ts_or_null(o, "last_ts", in->has_ts, in->last_sec, in->last_nsec);
		hs_out_end(o);
	}
	hs_out_end_list(o);
	hs_out_begin_list(o, "chains");
	for (size_t i = 0; i < hs_model_chain_count(r->model); i++) {
		chain_json(o, hs_model_chain(r->model, i));
		if (r->write) {
			hs_out_drain(o, out);
			piece(r, out, false);
		}
	}
	hs_out_end_list(o);
	hs_out_begin_list(o, "anomalies");
	for (size_t i = 0; i < nanom; i++) {
		const hs_anomaly_copy *a = &anom[i];
		hs_out_begin(o, NULL);
		hs_out_uint(o, "frame", a->frame);
		hs_out_uint(o, "input", a->input);
		hs_out_cstr(o, "kind", a->kind);
		hs_out_cstr(o, "detail", a->detail);
		hs_out_end(o);
	}
	hs_out_end_list(o);
	hs_out_begin(o, "stats");
	hs_out_uint(o, "packets", r->stats ? r->stats->packets : 0);
	hs_out_uint(o, "bytes", r->stats ? r->stats->bytes : 0);
	hs_out_uint(o, "flows", r->stats ? r->stats->flows : 0);
	hs_out_uint(o, "decoded_messages", r->stats ? r->stats->decoded_messages : 0);
	hs_out_uint(o, "dropped", (r->stats ? r->stats->dropped : 0) + hs_model_dropped(r->model));
	hs_out_uint(o, "duplicates", hs_model_duplicates(r->model));
	hs_out_uint(o, "anomalies_not_listed", r->anomalies_more);
	if (hs_model_evicted(r->model))
		hs_out_uint(o, "model_evicted", hs_model_evicted(r->model));
	hs_out_end(o);
	hs_out_end(o);
	size_t n;
	const char *s = hs_out_text(o, &n);
	if (r->messages) {
		/* the messages are already JSON objects: splice them in before the
		 * closing brace */
		g_string_append_len(out, s, (gssize)n - 1);
		g_string_append(out, ",\"messages\":[");
		for (guint i = 0; i < r->messages->len; i++) {
			if (i)
				g_string_append_c(out, ',');
			g_string_append(out, g_ptr_array_index(r->messages, i));
		}
		g_string_append(out, "]}");
	} else {
		g_string_append_len(out, s, (gssize)n);
	}
	g_string_append_c(out, '\n');
	piece(r, out, true);
	hs_out_free(o);
	g_free(anom);
}

int hs_report_exit_status(const hs_model *m)
{
	for (size_t i = 0; i < hs_model_chain_count(m); i++)
		/* a refused second hop of concurrent sessions that nothing ties to
		 * one of them (their verdicts "unknown") is still a refusal */
		if (hs_model_chain(m, i)->diag.verdict == HS_VERDICT_FAILED ||
		    hs_model_chain(m, i)->facts.hop2_ambiguous_refused)
			return 1;
	return 0;
}

/* ------------------------------------------------------------------ */
/* text */

typedef struct pal {
	const char *bold, *red, *green, *yellow, *dim, *off;
} pal;

static const char *ep_label(const hs_endpoint *e, char *buf, size_t n)
{
	if (e->name[0] && e->has_ip)
		snprintf(buf, n, "%s (%s)", e->name, e->ip);
	else if (e->name[0])
		snprintf(buf, n, "%s", e->name);
	else if (e->has_ip)
		snprintf(buf, n, "%s", e->ip);
	else
		snprintf(buf, n, "?");
	return buf;
}

static void frames_text(GString *out, const hs_ref *r, unsigned n)
{
	for (unsigned i = 0; i < n; i++)
		g_string_append_printf(out, "%s%u:%llu", i ? ", " : "", r[i].input, (unsigned long long)r[i].frame);
	if (!n)
		g_string_append(out, "-");
}

/* Wrap a paragraph at ~100 columns with an indent. */
static void wrap2(GString *out, const char *text, const char *first, const char *indent)
{
	size_t col = 0;
	const char *p = text;
	g_string_append(out, first);
	while (*p) {
		size_t w = strcspn(p, " ");
		if (col && col + w > 96) {
			g_string_append_c(out, '\n');
			g_string_append(out, indent);
			col = 0;
		}
		g_string_append_len(out, p, (gssize)w);
		col += w;
		p += w;
		if (*p == ' ') {
			if (col)
				g_string_append_c(out, ' ');
			col++;
			p++;
		}
	}
	g_string_append_c(out, '\n');
}

static void wrap(GString *out, const char *text, const char *indent)
{
	wrap2(out, text, indent, indent);
}

static void chain_text(GString *out, const hs_chain *c, const pal *k)
{
	const hs_diag *d = &c->diag;
	char a[256], b[256];
	const char *vc = d->verdict == HS_VERDICT_FAILED ? k->red : d->verdict == HS_VERDICT_DELEGATED ? k->green : k->yellow;
	g_string_append_printf(out, "%sChain %u%s: user %s\n\n", k->bold, c->id, k->off, c->user[0] ? c->user : "(unknown)");
	/* the hop diagram */
	for (unsigned i = 0; i < c->nhops; i++) {
		const hs_hop *h = &c->hops[i];
		if (h->unseen) {
			/* rebuilt from what server1 did next: no frames of its own */
			g_string_append_printf(out, "  %s\n    :  hop %u: not in the capture - %s -> %s, inferred from %s\n    v\n  %s\n",
					       h->client.has_ip || h->client.name[0] ? ep_label(&h->client, a, sizeof a) : "(client not in the capture)",
					       h->index, h->principal[0] ? h->principal : "(unknown user)",
					       h->server.name[0] ? h->server.name : h->server.ip, h->inferred_from, ep_label(&h->server, b, sizeof b));
			continue;
		}
		if (i == 0)
			g_string_append_printf(out, "  %s\n", ep_label(&h->client, a, sizeof a));
		const char *rc = h->result == HS_RES_FAILED ? k->red : h->result == HS_RES_OK ? k->green : k->yellow;
		char port[16] = "";
		if (h->server.port) /* a hop seen only at the KDC has no port */
			snprintf(port, sizeof port, " port %u", h->server.port);
		g_string_append_printf(out, "    |  hop %u: %s%s, %s as %s%s%s\n", h->index, hs_carrier_name(h->carrier),
				       port, hs_auth_name(h->auth),
				       h->principal[0] ? h->principal : "(unknown)", h->target[0] ? ", target " : "",
				       h->target);
		g_string_append_printf(out, "    |  %s%s%s%s  frames ", rc, h->result == HS_RES_FAILED ? "FAILED" : h->result == HS_RES_OK ? "ok" : "result unknown", k->off,
				       h->inferred ? " (seen only at the KDC)" : "");
		frames_text(out, h->frames, h->nframes);
		g_string_append(out, "\n");
		g_string_append_printf(out, "    %sv\n  %s\n", h->result == HS_RES_FAILED ? "X" : "", ep_label(&h->server, b, sizeof b));
	}
	if (c->nhops < 2 && c->facts.hop2_ambiguous)
		g_string_append(out, "    :  hop 2: in this input, not tied to this session (see Detail)\n");
	else if (c->nhops < 2)
		g_string_append(out, "    :  hop 2: not in this input\n");
	bool any = false;
	for (int i = 0; i < 4; i++)
		if (vantage_at(&c->facts, i)) {
			g_string_append_printf(out, "%s%s", any ? ", " : "\n  Captured at: ", VANTAGE_NAMES[i]);
			any = true;
		}
	g_string_append_printf(out, "\n  Verdict:  %s%s%s (method %s)\n", vc, hs_verdict_name(d->verdict), k->off, hs_method_name(d->method));
	g_string_append_printf(out, "  Cause:    %s%s%s\n", k->bold, d->cause, k->off);
	g_string_append(out, "  Detail:\n");
	wrap(out, d->detail, "    ");
	if (c->facts.user_saw[0])
		g_string_append_printf(out, "  The user saw (hop 1, %u:%llu):\n    \"%s\"\n", c->facts.user_saw_ref.input,
				       (unsigned long long)c->facts.user_saw_ref.frame, c->facts.user_saw);
	g_string_append(out, "  Explanation:\n");
	wrap(out, d->explanation, "    ");
	if (d->nremedies) {
		g_string_append(out, "  Remedies (most secure first):\n");
		for (unsigned i = 0; i < d->nremedies; i++) {
			const hs_remedy *r = &d->remedies[i];
			g_string_append_printf(out, "    %u. %s [%s]\n", i + 1, r->summary, hs_method_name(r->method));
			for (unsigned j = 0; j < r->ncommands; j++)
				g_string_append_printf(out, "         %s%s%s\n", k->bold, r->commands[j], k->off);
			g_string_append_printf(out, "%s", "");
			wrap2(out, r->security, "       Security: ", "                 ");
		}
	}
	if (d->nneeds) {
		g_string_append(out, "  To be certain, hopsniff would need:\n");
		for (unsigned i = 0; i < d->nneeds; i++)
			g_string_append_printf(out, "    - %s\n", d->needs[i]);
	}
	g_string_append(out, "  Evidence frames (input:frame): ");
	frames_text(out, d->evidence, d->nevidence);
	g_string_append(out, "\n\n");
}

/* A long run's report opens with how many chains share each verdict, cause
 * and first server, most frequent first (the chains follow). */
#define SUMMARY_MIN_CHAINS 20

typedef struct summary_row {
	const char *key; /* verdict \t cause \t server */
	guint n;
} summary_row;

static int summary_cmp(const void *a, const void *b)
{
	const summary_row *x = a, *y = b;
	if (x->n != y->n)
		return x->n > y->n ? -1 : 1;
	return strcmp(x->key, y->key);
}

static void summary_text(GString *out, const hs_model *m)
{
	size_t n = hs_model_chain_count(m);
	GHashTable *count = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
	for (size_t i = 0; i < n; i++) {
		const hs_chain *c = hs_model_chain(m, i);
		char srv[HS_NAME_MAX + 64];
		char *key = g_strdup_printf("%s\t%s\t%s", hs_verdict_name(c->diag.verdict), c->diag.cause,
					    ep_label(&c->hops[0].server, srv, sizeof srv));
		guint k = GPOINTER_TO_UINT(g_hash_table_lookup(count, key));
		g_hash_table_replace(count, key, GUINT_TO_POINTER(k + 1));
	}
	GArray *rows = g_array_new(FALSE, FALSE, sizeof(summary_row));
	GHashTableIter it;
	gpointer k, v;
	g_hash_table_iter_init(&it, count);
	while (g_hash_table_iter_next(&it, &k, &v)) {
		summary_row row = { k, GPOINTER_TO_UINT(v) };
		g_array_append_val(rows, row);
	}
	g_array_sort(rows, summary_cmp);
	g_string_append_printf(out, "Summary by verdict, cause and first server:\n  %8s  %-9s  %-40s  %s\n", "chains",
			       "verdict", "cause", "server");
	for (guint i = 0; i < rows->len; i++) {
		const summary_row *row = &g_array_index(rows, summary_row, i);
		char **f = g_strsplit(row->key, "\t", 3);
		g_string_append_printf(out, "  %8u  %-9s  %-40s  %s\n", row->n, f[0], f[1], f[2]);
		g_strfreev(f);
	}
	g_string_append_c(out, '\n');
	g_array_free(rows, TRUE);
	g_hash_table_destroy(count);
}

void hs_report_text(const hs_report *r, GString *out, bool color)
{
	pal k = { "", "", "", "", "", "" };
	if (color) {
		k.bold = "\033[1m";
		k.red = "\033[1;31m";
		k.green = "\033[1;32m";
		k.yellow = "\033[1;33m";
		k.dim = "\033[2m";
		k.off = "\033[0m";
	}
	g_string_append_printf(out, "hopsniff %s report\n", HS_VERSION);
	for (size_t i = 0; i < r->ninputs; i++)
		g_string_append_printf(out, "  input %zu: %s (%llu packets)\n", i, r->inputs[i].file,
				       (unsigned long long)r->inputs[i].packets);
	size_t n = hs_model_chain_count(r->model);
	g_string_append_printf(out, "  %zu chain%s\n\n", n, n == 1 ? "" : "s");
	if (!n)
		g_string_append(out, "No WinRM first hop with a second hop was found in this input.\n\n");
	if (n > SUMMARY_MIN_CHAINS)
		summary_text(out, r->model);
	for (size_t i = 0; i < n; i++) {
		chain_text(out, hs_model_chain(r->model, i), &k);
		piece(r, out, false);
	}
	size_t nanom;
	hs_anomaly_copy *anom = all_anomalies(r, &nanom);
	if (nanom) {
		g_string_append_printf(out, "Anomalies (%zu):\n", nanom);
		for (size_t i = 0; i < nanom; i++) {
			/* the first 20, and every model cap */
			if (i >= 20 && i < r->nanomalies)
				continue;
			g_string_append_printf(out, "  ! input %u frame %llu: %s: %s\n", anom[i].input,
					       (unsigned long long)anom[i].frame, anom[i].kind, anom[i].detail);
		}
	}
	g_free(anom);
	piece(r, out, true);
}

/* ------------------------------------------------------------------ */
/* HTML */

static void esc(GString *out, const char *s)
{
	for (; *s; s++) {
		switch (*s) {
		case '<':
			g_string_append(out, "&lt;");
			break;
		case '>':
			g_string_append(out, "&gt;");
			break;
		case '&':
			g_string_append(out, "&amp;");
			break;
		case '"':
			g_string_append(out, "&quot;");
			break;
		default:
			g_string_append_c(out, *s);
		}
	}
}

static void svg_text(GString *out, int x, int y, const char *anchor, const char *cls, const char *s)
{
	g_string_append_printf(out, "<text x=\"%d\" y=\"%d\" text-anchor=\"%s\" class=\"%s\">", x, y, anchor, cls);
	esc(out, s);
	g_string_append(out, "</text>\n");
}

/* Sequence diagram: lifelines client / server1 / server2 (or KDC); one arrow
 * per hop, the failing one red and crossed. */
static void chain_svg(GString *out, const hs_chain *c)
{
	char a[256];
	const hs_endpoint *lanes[3];
	int nl = 0;
	lanes[nl++] = &c->hops[0].client;
	lanes[nl++] = &c->hops[0].server;
	if (c->nhops > 1)
		lanes[nl++] = &c->hops[1].server;
	int w = 260 * nl + 40, h = 120 + 70 * (int)c->nhops;
	g_string_append_printf(out, "<svg class=\"seq\" xmlns=\"http://www.w3.org/2000/svg\" width=\"%d\" height=\"%d\" viewBox=\"0 0 %d %d\">\n", w, h, w, h);
	g_string_append(out, "<defs><marker id=\"arr\" markerWidth=\"10\" markerHeight=\"8\" refX=\"9\" refY=\"4\" orient=\"auto\"><path d=\"M0,0 L10,4 L0,8 z\" fill=\"#333\"/></marker>"
			     "<marker id=\"arrf\" markerWidth=\"10\" markerHeight=\"8\" refX=\"9\" refY=\"4\" orient=\"auto\"><path d=\"M0,0 L10,4 L0,8 z\" fill=\"#c00\"/></marker></defs>\n");
	for (int i = 0; i < nl; i++) {
		int x = 150 + 260 * i;
		g_string_append_printf(out, "<rect x=\"%d\" y=\"10\" width=\"220\" height=\"40\" rx=\"6\" class=\"box\"/>\n", x - 110);
		svg_text(out, x, 35, "middle", "host",
			 i == 0 && c->hops[0].unseen ? "client (not in the capture)" : ep_label(lanes[i], a, sizeof a));
		g_string_append_printf(out, "<line x1=\"%d\" y1=\"50\" x2=\"%d\" y2=\"%d\" class=\"life\"/>\n", x, x, h - 10);
	}
	for (unsigned i = 0; i < c->nhops; i++) {
		const hs_hop *hp = &c->hops[i];
		int x1 = 150 + 260 * (int)i, x2 = x1 + 260, y = 100 + 70 * (int)i;
		bool fail = hp->result == HS_RES_FAILED;
		g_string_append_printf(out, "<line x1=\"%d\" y1=\"%d\" x2=\"%d\" y2=\"%d\" class=\"%s\" marker-end=\"url(#%s)\"/>\n",
				       x1, y, x2 - 4, y, fail ? "msg fail" : hp->unseen ? "msg unseen" : "msg", fail ? "arrf" : "arr");
		char lab[400];
		if (hp->unseen)
			snprintf(lab, sizeof lab, "hop %u: not in the capture, %s", hp->index, hp->principal[0] ? hp->principal : "?");
		else
			snprintf(lab, sizeof lab, "hop %u: %s, %s as %s", hp->index, hs_carrier_name(hp->carrier), hs_auth_name(hp->auth),
				 hp->principal[0] ? hp->principal : "?");
		svg_text(out, (x1 + x2) / 2, y - 8, "middle", "lab", lab);
		snprintf(lab, sizeof lab, "%s%s%s", hs_result_name(hp->result), hp->target[0] ? " - " : "", hp->target);
		svg_text(out, (x1 + x2) / 2, y + 18, "middle", fail ? "lab failtxt" : "lab", lab);
		if (fail)
			g_string_append_printf(out, "<path d=\"M%d,%d l12,12 m0,-12 l-12,12\" class=\"cross\"/>\n", x2 - 30, y - 6);
	}
	g_string_append(out, "</svg>\n");
}

void hs_report_html(const hs_report *r, GString *out)
{
	g_string_append(out, "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>hopsniff report</title>\n"
			     "<style>body{font-family:sans-serif;margin:2em;max-width:1100px;color:#222}"
			     "h2{border-bottom:1px solid #ccc}.verdict{font-size:1.3em;font-weight:bold}"
			     ".failed{color:#c00}.delegated{color:#080}.unknown,.not_attempted{color:#a60}"
			     ".box{fill:#eef;stroke:#449}.life{stroke:#999;stroke-dasharray:4 4}.msg{stroke:#333;stroke-width:2}"
			     ".msg.fail{stroke:#c00}.msg.unseen{stroke-dasharray:6 4}.cross{stroke:#c00;stroke-width:3}.host{font-size:13px}.lab{font-size:12px}"
			     ".failtxt{fill:#c00;font-weight:bold}code{background:#f4f4f4;padding:2px 4px;display:block;margin:2px 0}"
			     "table{border-collapse:collapse}td,th{border:1px solid #ccc;padding:3px 8px}</style></head><body>\n");
	g_string_append_printf(out, "<h1>hopsniff %s report</h1>\n<p>Inputs:", HS_VERSION);
	for (size_t i = 0; i < r->ninputs; i++) {
		g_string_append_printf(out, " [%zu] ", i);
		esc(out, r->inputs[i].file);
	}
	g_string_append(out, "</p>\n");
	size_t n = hs_model_chain_count(r->model);
	if (!n)
		g_string_append(out, "<p>No WinRM first hop with a second hop was found in this input.</p>\n");
	for (size_t i = 0; i < n; i++) {
		const hs_chain *c = hs_model_chain(r->model, i);
		const hs_diag *d = &c->diag;
		g_string_append_printf(out, "<section class=\"chain\" id=\"chain%u\"><h2>Chain %u: ", c->id, c->id);
		esc(out, c->user[0] ? c->user : "unknown user");
		g_string_append(out, "</h2>\n");
		chain_svg(out, c);
		g_string_append_printf(out, "<p class=\"verdict %s\">Verdict: %s &mdash; cause <span class=\"cause\">%s</span> (method %s)</p>\n",
				       hs_verdict_name(d->verdict), hs_verdict_name(d->verdict), d->cause, hs_method_name(d->method));
		g_string_append(out, "<p>");
		esc(out, d->detail);
		g_string_append(out, "</p>\n");
		if (c->facts.user_saw[0]) {
			g_string_append(out, "<h3>What the user saw</h3><p><code>");
			esc(out, c->facts.user_saw);
			g_string_append_printf(out, "</code> (hop 1, frame %u:%llu)</p>\n", c->facts.user_saw_ref.input,
					       (unsigned long long)c->facts.user_saw_ref.frame);
		}
		g_string_append(out, "<h3>Explanation</h3><p>");
		esc(out, d->explanation);
		g_string_append(out, "</p>\n");
		if (d->nremedies) {
			g_string_append(out, "<h3>Remedies (most secure first)</h3><ol>\n");
			for (unsigned j = 0; j < d->nremedies; j++) {
				const hs_remedy *rm = &d->remedies[j];
				g_string_append(out, "<li><b>");
				esc(out, rm->summary);
				g_string_append(out, "</b>");
				for (unsigned k = 0; k < rm->ncommands; k++) {
					g_string_append(out, "<code>");
					esc(out, rm->commands[k]);
					g_string_append(out, "</code>");
				}
				g_string_append(out, "<i>Security: ");
				esc(out, rm->security);
				g_string_append(out, "</i></li>\n");
			}
			g_string_append(out, "</ol>\n");
		}
		if (d->nneeds) {
			g_string_append(out, "<h3>To be certain</h3><ul>");
			for (unsigned j = 0; j < d->nneeds; j++) {
				g_string_append(out, "<li>");
				esc(out, d->needs[j]);
				g_string_append(out, "</li>");
			}
			g_string_append(out, "</ul>\n");
		}
		g_string_append(out, "<h3>Evidence</h3><table><tr><th>hop</th><th>carrier</th><th>auth</th><th>principal</th><th>result</th><th>frames (input:frame)</th></tr>\n");
		for (unsigned j = 0; j < c->nhops; j++) {
			const hs_hop *h = &c->hops[j];
			GString *fr = g_string_new(NULL);
			frames_text(fr, h->frames, h->nframes);
			g_string_append_printf(out, "<tr><td>%u</td><td>%s</td><td>%s</td><td>", h->index, hs_carrier_name(h->carrier), hs_auth_name(h->auth));
			esc(out, h->principal[0] ? h->principal : "-");
			g_string_append_printf(out, "</td><td>%s</td><td>%s</td></tr>\n", hs_result_name(h->result),
					       h->unseen ? "not in the capture" : fr->str);
			g_string_free(fr, TRUE);
		}
		GString *fr = g_string_new(NULL);
		frames_text(fr, d->evidence, d->nevidence);
		g_string_append_printf(out, "<tr><td colspan=\"5\">delegation evidence</td><td>%s</td></tr></table>\n</section>\n", fr->str);
		g_string_free(fr, TRUE);
		piece(r, out, false);
	}
	g_string_append(out, "</body></html>\n");
	piece(r, out, true);
}
