/* psrp.c - MS-PSRP fragments, messages and the CLIXML hopsniff reads.  See
 * psrp.h. */
#include "psrp.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <glib.h>
#include <libxml/tree.h>

#include "app.h"
#include "winrm.h"

hs_err hs_psrp_fragment_parse(const uint8_t *p, size_t len, hs_psrp_fragment *f, size_t *consumed)
{
	memset(f, 0, sizeof *f);
	*consumed = 0;
	hs_cur c = hs_cur_make(p, len);
	f->object_id = hs_cur_u64be(&c);
	f->fragment_id = hs_cur_u64be(&c);
	uint8_t flags = hs_cur_u8(&c);
	uint32_t bl = hs_cur_u32be(&c);
	f->blob = hs_cur_slice(&c, bl);
	if (!hs_cur_ok(&c))
		return HS_E_TRUNCATED;
	if (flags & ~3u)
		return HS_E_MALFORMED; /* 2.2.4: only S (0x1) and E (0x2) are defined */
	f->start = flags & 1;
	f->end = flags & 2;
	*consumed = len - c.len;
	return HS_OK;
}

/* 2.2.1: RPID / PID as .NET writes a Guid (the first three groups
 * little-endian). */
static void guid_text(const uint8_t *g, char out[37])
{
	snprintf(out, 37, "%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-%02x%02x%02x%02x%02x%02x", g[3], g[2], g[1], g[0],
		 g[5], g[4], g[7], g[6], g[8], g[9], g[10], g[11], g[12], g[13], g[14], g[15]);
}

hs_err hs_psrp_message_parse(const uint8_t *p, size_t len, hs_psrp_message *m)
{
	memset(m, 0, sizeof *m);
	hs_cur c = hs_cur_make(p, len);
	m->destination = hs_cur_u32le(&c);
	m->type = hs_cur_u32le(&c);
	const uint8_t *r = hs_cur_bytes(&c, 16), *q = hs_cur_bytes(&c, 16);
	if (!hs_cur_ok(&c))
		return HS_E_TRUNCATED;
	guid_text(r, m->rpid);
	guid_text(q, m->pid);
	m->data = (hs_slice){ c.p, c.len };
	if (m->data.len >= 3 && m->data.p[0] == 0xef && m->data.p[1] == 0xbb && m->data.p[2] == 0xbf)
		m->data = (hs_slice){ m->data.p + 3, m->data.len - 3 };
	return HS_OK;
}

const char *hs_psrp_type_name(uint32_t type)
{
	static const struct { uint32_t t; const char *n; } names[] = {
		{ 0x00010002, "SESSION_CAPABILITY" }, { 0x00010004, "INIT_RUNSPACEPOOL" },
		{ 0x00010005, "PUBLIC_KEY" }, { 0x00010006, "ENCRYPTED_SESSION_KEY" },
		{ 0x00010007, "PUBLIC_KEY_REQUEST" }, { 0x00010008, "CONNECT_RUNSPACEPOOL" },
		{ 0x0002100B, "RUNSPACEPOOL_INIT_DATA" }, { 0x0002100C, "RESET_RUNSPACE_STATE" },
		{ 0x00021002, "SET_MAX_RUNSPACES" }, { 0x00021003, "SET_MIN_RUNSPACES" },
		{ 0x00021004, "RUNSPACE_AVAILABILITY" }, { 0x00021005, "RUNSPACEPOOL_STATE" },
		{ 0x00021006, "CREATE_PIPELINE" }, { 0x00021007, "GET_AVAILABLE_RUNSPACES" },
		{ 0x00021008, "USER_EVENT" }, { 0x00021009, "APPLICATION_PRIVATE_DATA" },
		{ 0x0002100A, "GET_COMMAND_METADATA" }, { 0x00021100, "RUNSPACEPOOL_HOST_CALL" },
		{ 0x00021101, "RUNSPACEPOOL_HOST_RESPONSE" }, { 0x00041002, "PIPELINE_INPUT" },
		{ 0x00041003, "END_OF_PIPELINE_INPUT" }, { 0x00041004, "PIPELINE_OUTPUT" },
		{ 0x00041005, "ERROR_RECORD" }, { 0x00041006, "PIPELINE_STATE" },
		{ 0x00041007, "DEBUG_RECORD" }, { 0x00041008, "VERBOSE_RECORD" },
		{ 0x00041009, "WARNING_RECORD" }, { 0x00041010, "PROGRESS_RECORD" },
		{ 0x00041011, "INFORMATION_RECORD" }, { 0x00041100, "PIPELINE_HOST_CALL" },
		{ 0x00041101, "PIPELINE_HOST_RESPONSE" },
	};
	for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
		if (names[i].t == type)
			return names[i].n;
	return NULL;
}

/* ---- CLIXML (2.2.5) ---- */

typedef struct walker {
	hs_psrp_clixml *x;
	char arg_name[128];
	bool have_name;
	unsigned cmds;
} walker;

static void append(char *dst, size_t cap, const char *s)
{
	size_t l = strlen(dst);
	if (l + 1 < cap)
		snprintf(dst + l, cap - l, "%s", s);
}

static void set_text(char *dst, size_t cap, const xmlNode *n)
{
	xmlChar *t = xmlNodeGetContent(n);
	snprintf(dst, cap, "%s", t ? (const char *)t : "");
	xmlFree(t);
}

/* The value of an element as text: a primitive's content, a complex
 * object's ToString. */
static void value_text(const xmlNode *n, char *out, size_t cap)
{
	out[0] = 0;
	if (!xmlStrcmp(n->name, (const xmlChar *)"Obj")) {
		for (const xmlNode *c = n->children; c; c = c->next)
			if (c->type == XML_ELEMENT_NODE && !xmlStrcmp(c->name, (const xmlChar *)"ToString"))
				set_text(out, cap, c);
		return;
	}
	if (xmlStrcmp(n->name, (const xmlChar *)"Nil"))
		set_text(out, cap, n);
}

static void walk(walker *w, const xmlNode *n, unsigned depth)
{
	for (; n && depth < 64; n = n->next) {
		if (n->type != XML_ELEMENT_NODE)
			continue;
		xmlChar *name = xmlGetProp(n, (const xmlChar *)"N");
		const char *nm = name ? (const char *)name : "";
		hs_psrp_clixml *x = w->x;
		char v[HS_PSRP_TEXT];
		bool descend = true;
		if (!strcmp(nm, "Cmd")) {
			/* 2.2.3.11 Command: one per pipeline element */
			value_text(n, v, sizeof v);
			if (w->cmds++)
				append(x->command, sizeof x->command, " | ");
			append(x->command, sizeof x->command, v);
			w->have_name = false;
		} else if (!strcmp(nm, "N")) {
			/* 2.2.3.13 Command parameter: N (name, or Nil for a positional value), V */
			value_text(n, w->arg_name, sizeof w->arg_name);
			w->have_name = w->arg_name[0] != 0;
		} else if (!strcmp(nm, "V") && w->cmds) {
			value_text(n, v, sizeof v);
			if (w->have_name) {
				append(x->command, sizeof x->command, " -");
				append(x->command, sizeof x->command, w->arg_name);
			}
			if (v[0]) {
				append(x->command, sizeof x->command, " ");
				append(x->command, sizeof x->command, v);
			}
			w->have_name = false;
			descend = false;
		} else if (!strcmp(nm, "RunspaceState") || !strcmp(nm, "PipelineState")) {
			value_text(n, v, sizeof v);
			x->has_state = true;
			x->state = (int32_t)strtol(v, NULL, 10);
		} else if (!strcmp(nm, "FullyQualifiedErrorId")) {
			value_text(n, x->error_id, sizeof x->error_id);
		} else if (!strcmp(nm, "ErrorCategory_Reason")) {
			value_text(n, x->reason, sizeof x->reason);
		} else if (!strcmp(nm, "ErrorCategory_TargetName")) {
			value_text(n, x->target, sizeof x->target);
		} else if (!strcmp(nm, "InformationalRecord_Message") || (!strcmp(nm, "Message") && !x->text[0])) {
			value_text(n, x->text, sizeof x->text);
		} else if (!strcmp(nm, "protocolversion")) {
			value_text(n, x->protocol_version, sizeof x->protocol_version);
		} else if (!strcmp(nm, "PSVersion")) {
			value_text(n, x->ps_version, sizeof x->ps_version);
		} else if (depth == 1 && !xmlStrcmp(n->name, (const xmlChar *)"ToString") && !x->text[0]) {
			set_text(x->text, sizeof x->text, n);
		}
		xmlFree(name);
		if (descend)
			walk(w, n->children, depth + 1);
	}
}

hs_err hs_psrp_clixml_read(const hs_psrp_message *m, hs_psrp_clixml *x)
{
	memset(x, 0, sizeof *x);
	if (!m->data.len)
		return HS_OK;
	const char *err;
	xmlDocPtr doc = hs_winrm_xml_read(m->data.p, m->data.len, &err);
	if (!doc)
		return HS_E_MALFORMED;
	walker w = { x, "", false, 0 };
	walk(&w, xmlDocGetRootElement(doc), 0);
	xmlFreeDoc(doc);
	return HS_OK;
}

/* The bytes of a base64 PSRP blob (g_free), NULL when empty or too large. */
static guchar *b64_raw(hs_slice b64, gsize *n)
{
	*n = 0;
	if (!b64.len || b64.len > HS_WINRM_MAX_XML)
		return NULL;
	guchar *raw = g_malloc(b64.len / 4 * 3 + 3);
	gint state = 0;
	guint save = 0;
	*n = g_base64_decode_step((const gchar *)b64.p, b64.len, raw, &state, &save);
	return raw;
}

#define T_ERROR_RECORD 0x00041005u
#define T_PIPELINE_STATE 0x00041006u

/* The message text of p if it is of type `type` and has one. */
static bool record_text(const uint8_t *p, size_t len, uint32_t type, char *out, size_t n)
{
	hs_psrp_message m;
	hs_psrp_clixml x;
	if (hs_psrp_message_parse(p, len, &m) != HS_OK || m.type != type || hs_psrp_clixml_read(&m, &x) != HS_OK ||
	    !x.text[0])
		return false;
	snprintf(out, n, "%s", x.text);
	return true;
}

/* The first message of `type` with a text among the fragments of b64: whole
 * ones, and (w given) the ones w's envelope completed. */
static bool first_text(hs_slice b64, const hs_winrm_msg *w, uint32_t type, char *out, size_t n)
{
	gsize len = 0;
	guchar *raw = n ? b64_raw(b64, &len) : NULL;
	size_t off = 0, used;
	bool found = false;
	hs_psrp_fragment f;
	while (!found && off < len && hs_psrp_fragment_parse(raw + off, len - off, &f, &used) == HS_OK) {
		off += used;
		const hs_psrp_joined *j = w && f.end && !f.start ? hs_psrp_joined_find(w, f.object_id) : NULL;
		if (f.start && f.end)
			found = record_text(f.blob.p, f.blob.len, type, out, n);
		else if (j)
			found = record_text(j->data->data, j->data->len, type, out, n);
	}
	g_free(raw);
	return found;
}

bool hs_psrp_first_error(hs_slice b64, char *out, size_t n)
{
	return first_text(b64, NULL, T_ERROR_RECORD, out, n);
}

bool hs_psrp_winrm_first_error(const hs_winrm_msg *w, char *out, size_t n)
{
	/* an ERROR_RECORD (2.2.2.20) first, else a failed pipeline's error
	 * record (2.2.2.21 ExceptionAsErrorRecord: a terminating error) */
	static const uint32_t order[] = { T_ERROR_RECORD, T_PIPELINE_STATE };
	for (size_t t = 0; t < 2; t++)
		for (size_t i = 0; i < w->nstreams; i++)
			if (first_text(w->streams[i].b64, w, order[t], out, n))
				return true;
	return false;
}

/* ---- reassembly (2.2.4) ---- */

typedef struct slot {
	bool used;
	bool broken;            /* reported; its later fragments are skipped until E */
	uint64_t key, object_id, next_id, age;
	unsigned fragments;
	GByteArray *buf;
} slot;

struct hs_psrp_reasm {
	slot s[HS_PSRP_REASM_SLOTS];
	size_t bytes, max_bytes;
	uint64_t clock;
};

hs_psrp_reasm *hs_psrp_reasm_new(size_t max_bytes)
{
	hs_psrp_reasm *r = g_new0(hs_psrp_reasm, 1);
	r->max_bytes = max_bytes;
	return r;
}

static void slot_drop(hs_psrp_reasm *r, slot *s)
{
	if (!s->used)
		return;
	if (s->buf) {
		r->bytes -= s->buf->len;
		g_byte_array_free(s->buf, TRUE);
	}
	memset(s, 0, sizeof *s);
}

/* The message in s cannot complete: keep only a marker so that its later
 * fragments are skipped without a report each (the last one frees it). */
static void slot_break(hs_psrp_reasm *r, slot *s, const hs_psrp_fragment *f)
{
	uint64_t key = s->key;
	slot_drop(r, s);
	if (f->end)
		return;
	*s = (slot){ .used = true, .broken = true, .key = key, .object_id = f->object_id, .age = ++r->clock };
}

void hs_psrp_reasm_free(hs_psrp_reasm *r)
{
	if (!r)
		return;
	for (size_t i = 0; i < HS_PSRP_REASM_SLOTS; i++)
		slot_drop(r, &r->s[i]);
	g_free(r);
}

size_t hs_psrp_reasm_bytes(const hs_psrp_reasm *r) { return r ? r->bytes : 0; }

unsigned hs_psrp_reasm_pending(const hs_psrp_reasm *r)
{
	unsigned n = 0;
	for (size_t i = 0; r && i < HS_PSRP_REASM_SLOTS; i++)
		n += r->s[i].used && !r->s[i].broken;
	return n;
}

static slot *slot_find(hs_psrp_reasm *r, uint64_t key, uint64_t object_id)
{
	for (size_t i = 0; i < HS_PSRP_REASM_SLOTS; i++)
		if (r->s[i].used && r->s[i].key == key && r->s[i].object_id == object_id)
			return &r->s[i];
	return NULL;
}

/* A free slot, else a broken message's marker, else the oldest message
 * dropped (*evicted). */
static slot *slot_take(hs_psrp_reasm *r, bool *evicted)
{
	slot *oldest = &r->s[0];
	for (size_t i = 0; i < HS_PSRP_REASM_SLOTS; i++) {
		if (!r->s[i].used)
			return &r->s[i];
		if (r->s[i].age < oldest->age)
			oldest = &r->s[i];
	}
	for (size_t i = 0; i < HS_PSRP_REASM_SLOTS; i++)
		if (r->s[i].broken) { /* a marker goes first, quietly */
			slot_drop(r, &r->s[i]);
			return &r->s[i];
		}
	slot_drop(r, oldest);
	*evicted = true;
	return oldest;
}

/* Append f's blob to s unless that passes the cap (then s is dropped). */
static bool slot_append(hs_psrp_reasm *r, slot *s, const hs_psrp_fragment *f)
{
	if (f->blob.len > r->max_bytes - r->bytes) {
		slot_break(r, s, f);
		return false;
	}
	g_byte_array_append(s->buf, f->blob.p, (guint)f->blob.len);
	r->bytes += f->blob.len;
	s->next_id = f->fragment_id + 1;
	s->fragments++;
	s->age = ++r->clock;
	return true;
}

hs_psrp_reasm_res hs_psrp_reasm_add(hs_psrp_reasm *r, uint64_t key, const hs_psrp_fragment *f, GByteArray **out,
				    unsigned *nfrag)
{
	*out = NULL;
	*nfrag = 0;
	slot *s = slot_find(r, key, f->object_id);
	if (s && s->broken && f->start) {
		slot_drop(r, s); /* the ObjectId reused: the broken message is over */
		s = NULL;
	}
	if (f->start && f->end) {
		if (!s)
			return HS_PSRP_WHOLE;
		slot_drop(r, s); /* a whole message reusing the ObjectId of a partial one */
		return HS_PSRP_RESTART;
	}
	hs_psrp_reasm_res res = HS_PSRP_PENDING;
	if (f->start) {
		bool evicted = false;
		if (s) {
			slot_drop(r, s);
			res = HS_PSRP_RESTART;
		} else {
			s = slot_take(r, &evicted);
		}
		if (f->fragment_id != 0)
			return HS_PSRP_GAP; /* 2.2.4: the first fragment is number 0 */
		*s = (slot){ .used = true, .key = key, .object_id = f->object_id, .buf = g_byte_array_new() };
		if (!slot_append(r, s, f) || evicted)
			return HS_PSRP_CAP;
		return res;
	}
	if (!s) {
		/* remembered only in a free slot: a marker never evicts a message */
		for (size_t i = 0; !f->end && i < HS_PSRP_REASM_SLOTS; i++)
			if (!r->s[i].used) {
				r->s[i] = (slot){ .key = key };
				slot_break(r, &r->s[i], f);
				break;
			}
		return HS_PSRP_ORPHAN;
	}
	if (s->broken) {
		if (f->end)
			slot_drop(r, s);
		return HS_PSRP_SKIPPED;
	}
	if (f->fragment_id != s->next_id) {
		slot_break(r, s, f);
		return HS_PSRP_GAP;
	}
	if (!slot_append(r, s, f))
		return HS_PSRP_CAP;
	if (!f->end)
		return HS_PSRP_PENDING;
	r->bytes -= s->buf->len;
	*out = s->buf;
	*nfrag = s->fragments;
	memset(s, 0, sizeof *s);
	return HS_PSRP_DONE;
}

static uint64_t session_key(const hs_winrm_msg *m, bool from_server)
{
	uint64_t h = 1469598103934665603ull ^ (from_server ? 1u : 0u); /* FNV-1a */
	for (size_t i = 0; i < m->shell_id.len; i++)
		h = (h ^ m->shell_id.p[i]) * 1099511628211ull;
	return h;
}

static void joined_item_free(gpointer p)
{
	hs_psrp_joined *j = p;
	g_byte_array_free(j->data, TRUE);
	g_free(j);
}

void hs_psrp_joined_free(void *list)
{
	if (list)
		g_ptr_array_free(list, TRUE);
}

const hs_psrp_joined *hs_psrp_joined_find(const hs_winrm_msg *m, uint64_t object_id)
{
	GPtrArray *a = m->psrp_joined;
	for (guint i = 0; a && i < a->len; i++) {
		const hs_psrp_joined *j = g_ptr_array_index(a, i);
		if (j->object_id == object_id)
			return j;
	}
	return NULL;
}

static void feed_blob(hs_psrp_reasm *r, hs_app_ctx *ctx, hs_winrm_msg *m, uint64_t key, hs_slice b64)
{
	gsize n;
	guchar *raw = b64_raw(b64, &n);
	size_t off = 0, used;
	while (raw && off < n) {
		hs_psrp_fragment f;
		hs_err e = hs_psrp_fragment_parse(raw + off, n - off, &f, &used);
		if (e != HS_OK) {
			/* 3.1.5.3.x: a stream chunk holds whole fragments */
			if (e == HS_E_TRUNCATED)
				hs_report_anomaly(ctx, HS_ANOM_PSRP_FRAGMENT_TRUNCATED,
						  "PSRP fragment runs past its stream (%zu bytes left, MS-PSRP 2.2.4)", n - off);
			else
				hs_report_anomaly(ctx, HS_ANOM_PSRP_FRAGMENT_MALFORMED,
						  "PSRP fragment with undefined flag bits (MS-PSRP 2.2.4)");
			break;
		}
		off += used;
		GByteArray *whole;
		unsigned nfrag;
		hs_psrp_reasm_res res = hs_psrp_reasm_add(r, key, &f, &whole, &nfrag);
		static const hs_anom kind[] = {
			[HS_PSRP_ORPHAN] = HS_ANOM_PSRP_FRAGMENT_ORPHAN, [HS_PSRP_GAP] = HS_ANOM_PSRP_FRAGMENT_GAP,
			[HS_PSRP_RESTART] = HS_ANOM_PSRP_FRAGMENT_RESTART, [HS_PSRP_CAP] = HS_ANOM_PSRP_REASSEMBLY_CAP,
		};
		static const char *const why[] = {
			[HS_PSRP_ORPHAN] = "continues a message whose first fragment was not seen",
			[HS_PSRP_GAP] = "is not the next fragment of its message (lost or out of order); the partial message is dropped",
			[HS_PSRP_RESTART] = "starts again a message that was not finished; the partial message is dropped",
			[HS_PSRP_CAP] = "passes the reassembly cap (partial messages or bytes); a partial message is dropped",
		};
		if (res >= HS_PSRP_ORPHAN && res <= HS_PSRP_CAP)
			hs_report_anomaly(ctx, kind[res], "PSRP ObjectId %" PRIu64 " FragmentId %" PRIu64 " %s (MS-PSRP 2.2.4)",
					  f.object_id, f.fragment_id, why[res]);
		if (res != HS_PSRP_DONE)
			continue;
		hs_psrp_joined *j = g_new0(hs_psrp_joined, 1);
		*j = (hs_psrp_joined){ f.object_id, nfrag, whole };
		if (!m->psrp_joined)
			m->psrp_joined = g_ptr_array_new_with_free_func(joined_item_free);
		g_ptr_array_add(m->psrp_joined, j);
	}
	g_free(raw);
}

void hs_psrp_winrm_feed(hs_psrp_reasm **r, hs_app_ctx *ctx, hs_winrm_msg *m, bool from_server, size_t max_bytes)
{
	if (!m->psrp && !m->powershell)
		return;
	if (!*r)
		*r = hs_psrp_reasm_new(max_bytes);
	uint64_t key = session_key(m, from_server);
	size_t before = (*r)->bytes;
	if (m->creation_xml)
		feed_blob(*r, ctx, m, key, m->creation_xml_b64);
	for (size_t i = 0; m->psrp && i < m->nargs; i++)
		feed_blob(*r, ctx, m, key, m->args[i]);
	for (size_t i = 0; i < m->nstreams; i++)
		feed_blob(*r, ctx, m, key, m->streams[i].b64);
	hs_app_account(ctx, (ssize_t)(*r)->bytes - (ssize_t)before);
}

void hs_psrp_reasm_close(hs_psrp_reasm *r, hs_app_ctx *ctx)
{
	if (!r)
		return;
	unsigned n = hs_psrp_reasm_pending(r);
	if (n)
		hs_report_anomaly(ctx, HS_ANOM_PSRP_FRAGMENT_INCOMPLETE,
				  "%u PSRP message(s) unfinished when the connection ended (%zu bytes; MS-PSRP 2.2.4)", n, r->bytes);
	hs_app_account(ctx, -(ssize_t)r->bytes);
	hs_psrp_reasm_free(r);
}
