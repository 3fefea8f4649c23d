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
#include "xml.h"

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
	hs_xml_fail err;
	xmlDocPtr doc = hs_xml_read(m->data.p, m->data.len, &err);
	if (!doc)
		return HS_E_MALFORMED;
	walker w = { x, "", false, 0 };
	walk(&w, xmlDocGetRootElement(doc), 0);
	xmlFreeDoc(doc);
	return HS_OK;
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

void hs_psrp_joined_free(void *list)
{
	if (list)
		g_ptr_array_free(list, TRUE);
}

const hs_psrp_joined *hs_psrp_joined_find(const void *list, uint64_t object_id)
{
	const GPtrArray *a = list;
	for (guint i = 0; a && i < a->len; i++) {
		const hs_psrp_joined *j = g_ptr_array_index(a, i);
		if (j->object_id == object_id)
			return j;
	}
	return NULL;
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
