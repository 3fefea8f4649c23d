/* out.c - JSON and text rendering of the structured writer (see out.h). */
#include "out.h"

#include <glib.h>
#include <stdarg.h>
#include <stdio.h>

typedef struct level {
	bool list;
	unsigned count;
	bool inline_text; /* text mode: a list of scalars printed on one line */
} level;

struct hs_out {
	hs_out_mode mode;
	GString *buf;
	level stack[HS_OUT_MAX_DEPTH + 1];
	unsigned depth;     /* 0 = outside everything */
	unsigned ignored;   /* levels opened past the cap */
	unsigned overflow;
	unsigned base_indent; /* text mode: extra spaces before every line */
	GArray *nodes;        /* nodes mode: node_rec, strings in buf */
	hs_out_filter filter; /* string values go through it (hs_out_set_filter) */
	void *filter_ud;
	GString *filtered;
};

/* HS_OUT_NODES: offsets into buf (which moves as it grows). */
typedef struct node_rec {
	unsigned depth;
	gssize key;       /* -1: no key */
	gsize value;
	bool container, list;
} node_rec;

hs_out *hs_out_new(hs_out_mode mode)
{
	hs_out *o = g_new0(hs_out, 1);
	o->mode = mode;
	o->buf = g_string_sized_new(512);
	if (mode == HS_OUT_NODES)
		o->nodes = g_array_new(FALSE, FALSE, sizeof(node_rec));
	return o;
}

void hs_out_free(hs_out *o)
{
	if (!o)
		return;
	g_string_free(o->buf, TRUE);
	if (o->nodes)
		g_array_free(o->nodes, TRUE);
	if (o->filtered)
		g_string_free(o->filtered, TRUE);
	g_free(o);
}

void hs_out_reset(hs_out *o)
{
	g_string_truncate(o->buf, 0);
	o->depth = 0;
	o->ignored = 0;
	o->overflow = 0;
	o->base_indent = 0;
	if (o->nodes)
		g_array_set_size(o->nodes, 0);
}

hs_out_mode hs_out_get_mode(const hs_out *o) { return o->mode; }

void hs_out_set_filter(hs_out *o, hs_out_filter fn, void *ud)
{
	o->filter = fn;
	o->filter_ud = ud;
	if (fn && !o->filtered)
		o->filtered = g_string_new(NULL);
}

const char *hs_out_text(const hs_out *o, size_t *len)
{
	if (len)
		*len = o->buf->len;
	return o->buf->str;
}

unsigned hs_out_overflow(const hs_out *o) { return o->overflow; }

void hs_out_drain(hs_out *o, GString *dst)
{
	if (o->nodes)
		return; /* nodes point into buf */
	g_string_append_len(dst, o->buf->str, (gssize)o->buf->len);
	g_string_truncate(o->buf, 0);
}

/* Escape s for JSON (quote included) or sanitise it for text.  Invalid UTF-8
 * becomes U+FFFD so output is always valid UTF-8. */
static void put_string(hs_out *o, const char *s, size_t len, bool json)
{
	const char *end = s + len;
	if (json)
		g_string_append_c(o->buf, '"');
	while (s < end) {
		/* the common case: a run of printable ASCII needing no escape */
		const char *run = s;
		while (run < end && (unsigned char)*run >= 0x20 && (unsigned char)*run < 0x7f &&
		       *run != '"' && *run != '\\')
			run++;
		if (run > s) {
			g_string_append_len(o->buf, s, run - s);
			s = run;
			continue;
		}
		unsigned char ch = (unsigned char)*s;
		if (ch < 0x80) {
			if (json && (ch == '"' || ch == '\\')) {
				g_string_append_c(o->buf, '\\');
				g_string_append_c(o->buf, (char)ch);
			} else if (ch < 0x20 || ch == 0x7f) {
				if (json)
					g_string_append_printf(o->buf, "\\u%04x", ch);
				else
					g_string_append_printf(o->buf, "\\x%02x", ch);
			} else {
				g_string_append_c(o->buf, (char)ch);
			}
			s++;
			continue;
		}
		const gchar *next = NULL;
		gunichar u = g_utf8_get_char_validated(s, end - s);
		if (u == (gunichar)-1 || u == (gunichar)-2 || (next = g_utf8_next_char(s)) > end) {
			g_string_append(o->buf, "\xef\xbf\xbd");
			s++;
			continue;
		}
		g_string_append_len(o->buf, s, next - s);
		s = next;
	}
	if (json)
		g_string_append_c(o->buf, '"');
}

/* Nodes mode: record one value (the outermost container itself is not a
 * node: its members are depth 1). */
static void node_add(hs_out *o, const char *key, const char *lit, size_t len, bool quoted,
		     bool container, bool list)
{
	level *l = o->depth ? &o->stack[o->depth] : NULL;
	if (l)
		l->count++;
	if (!o->depth)
		return;
	node_rec r = { o->depth, -1, 0, container, list };
	if (key && !(l && l->list)) {
		r.key = (gssize)o->buf->len;
		put_string(o, key, strlen(key), false);
		g_string_append_c(o->buf, '\0');
	}
	r.value = o->buf->len;
	if (quoted)
		put_string(o, lit, len, false);
	else
		g_string_append_len(o->buf, lit, (gssize)len);
	g_string_append_c(o->buf, '\0');
	g_array_append_val(o->nodes, r);
}

size_t hs_out_node_count(const hs_out *o)
{
	return o->nodes ? o->nodes->len : 0;
}

bool hs_out_node_at(const hs_out *o, size_t i, hs_out_node *n)
{
	if (!o->nodes || i >= o->nodes->len)
		return false;
	const node_rec *r = &g_array_index(o->nodes, node_rec, i);
	n->depth = r->depth;
	n->key = r->key >= 0 ? o->buf->str + r->key : NULL;
	n->value = o->buf->str + r->value;
	n->container = r->container;
	n->list = r->list;
	return true;
}

static void indent(hs_out *o, unsigned d)
{
	for (unsigned i = 0; i < o->base_indent; i++)
		g_string_append_c(o->buf, ' ');
	for (unsigned i = 0; i < d; i++)
		g_string_append(o->buf, "  ");
}

/* Emit what goes before a value: separators, key, indentation. */
static void before_value(hs_out *o, const char *key, bool container)
{
	level *l = o->depth ? &o->stack[o->depth] : NULL;
	if (o->mode == HS_OUT_JSON) {
		if (l && l->count)
			g_string_append_c(o->buf, ',');
		if (l && !l->list && key) {
			put_string(o, key, strlen(key), true);
			g_string_append_c(o->buf, ':');
		}
	} else if (l && l->list && l->inline_text && !container) {
		g_string_append(o->buf, l->count ? ", " : " ");
	} else if (l && l->list) {
		/* list of containers in text: each item starts a "- " line */
		if (l->inline_text && l->count == 0) {
			/* first item turned out to be a container: break the line */
			l->inline_text = false;
		}
		if (o->buf->len && o->buf->str[o->buf->len - 1] != '\n')
			g_string_append_c(o->buf, '\n');
		indent(o, o->depth - 1);
		g_string_append(o->buf, "- ");
	} else if (o->depth > 0) {
		if (!(l && l->count == 0 && o->depth > 1 && o->stack[o->depth - 1].list)) {
			if (o->buf->len && o->buf->str[o->buf->len - 1] != '\n')
				g_string_append_c(o->buf, '\n');
			indent(o, o->depth - 1);
		}
		if (key) {
			g_string_append(o->buf, key);
			g_string_append(o->buf, container ? ":" : ": ");
		}
	}
	if (l)
		l->count++;
}

static bool push(hs_out *o, bool list)
{
	if (o->ignored || o->depth >= HS_OUT_MAX_DEPTH) {
		o->ignored++;
		o->overflow++;
		return false;
	}
	o->depth++;
	o->stack[o->depth].list = list;
	o->stack[o->depth].count = 0;
	o->stack[o->depth].inline_text = list;
	return true;
}

void hs_out_begin(hs_out *o, const char *key)
{
	if (o->ignored || o->depth >= HS_OUT_MAX_DEPTH) {
		push(o, false);
		return;
	}
	if (o->mode == HS_OUT_NODES) {
		node_add(o, key, "", 0, false, true, false);
		push(o, false);
		return;
	}
	before_value(o, key, true);
	if (o->mode == HS_OUT_JSON)
		g_string_append_c(o->buf, '{');
	push(o, false);
}

void hs_out_end(hs_out *o)
{
	if (o->ignored) {
		o->ignored--;
		return;
	}
	if (o->depth == 0)
		return;
	o->depth--;
	if (o->mode == HS_OUT_NODES)
		return;
	if (o->mode == HS_OUT_JSON)
		g_string_append_c(o->buf, '}');
	if (o->depth == 0 && o->mode == HS_OUT_TEXT && o->buf->len &&
	    o->buf->str[o->buf->len - 1] != '\n')
		g_string_append_c(o->buf, '\n');
}

void hs_out_begin_list(hs_out *o, const char *key)
{
	if (o->ignored || o->depth >= HS_OUT_MAX_DEPTH) {
		push(o, true);
		return;
	}
	if (o->mode == HS_OUT_NODES) {
		node_add(o, key, "", 0, false, true, true);
		push(o, true);
		return;
	}
	before_value(o, key, true);
	if (o->mode == HS_OUT_JSON)
		g_string_append_c(o->buf, '[');
	/* text: "key: " was written; scalars follow inline */
	if (o->mode == HS_OUT_TEXT && o->depth && o->stack[o->depth].list) {
		/* a list inside a list: rare; render as a nested inline list */
		g_string_append_c(o->buf, '[');
	}
	push(o, true);
}

void hs_out_end_list(hs_out *o)
{
	if (o->ignored) {
		o->ignored--;
		return;
	}
	if (o->depth == 0)
		return;
	level *l = &o->stack[o->depth];
	o->depth--;
	if (o->mode == HS_OUT_NODES)
		return;
	if (o->mode == HS_OUT_JSON) {
		g_string_append_c(o->buf, ']');
	} else {
		if (l->count == 0)
			g_string_append(o->buf, " (none)");
		if (o->depth && o->stack[o->depth].list)
			g_string_append_c(o->buf, ']');
	}
}

static void scalar(hs_out *o, const char *key, const char *lit, size_t len, bool quoted)
{
	if (o->ignored)
		return;
	if (quoted && o->filter) {
		g_string_truncate(o->filtered, 0);
		if (o->filter(o->filter_ud, key, lit, len, o->filtered)) {
			lit = o->filtered->str;
			len = o->filtered->len;
		}
	}
	if (o->mode == HS_OUT_NODES) {
		node_add(o, key, lit, len, quoted, false, false);
		return;
	}
	before_value(o, key, false);
	if (quoted)
		put_string(o, lit, len, o->mode == HS_OUT_JSON);
	else
		g_string_append_len(o->buf, lit, (gssize)len);
	if (o->depth == 0 && o->mode == HS_OUT_TEXT)
		g_string_append_c(o->buf, '\n');
}

void hs_out_str(hs_out *o, const char *key, const void *s, size_t len)
{
	scalar(o, key, s ? (const char *)s : "", s ? len : 0, true);
}

void hs_out_slice(hs_out *o, const char *key, hs_slice s)
{
	hs_out_str(o, key, s.p, s.len);
}

void hs_out_cstr(hs_out *o, const char *key, const char *s)
{
	if (!s)
		hs_out_null(o, key);
	else
		scalar(o, key, s, strlen(s), true);
}

void hs_out_int(hs_out *o, const char *key, int64_t v)
{
	char b[32];
	int n = snprintf(b, sizeof b, "%lld", (long long)v);
	scalar(o, key, b, (size_t)n, false);
}

void hs_out_uint(hs_out *o, const char *key, uint64_t v)
{
	char b[32];
	int n = snprintf(b, sizeof b, "%llu", (unsigned long long)v);
	scalar(o, key, b, (size_t)n, false);
}

void hs_out_bool(hs_out *o, const char *key, bool v)
{
	scalar(o, key, v ? "true" : "false", v ? 4 : 5, false);
}

void hs_out_null(hs_out *o, const char *key)
{
	if (o->mode == HS_OUT_JSON)
		scalar(o, key, "null", 4, false);
	else
		scalar(o, key, "-", 1, false);
}

void hs_out_hex32(hs_out *o, const char *key, uint32_t v)
{
	char b[16];
	int n = snprintf(b, sizeof b, "0x%08x", v);
	scalar(o, key, b, (size_t)n, true);
}

void hs_out_fmt(hs_out *o, const char *key, const char *fmt, ...)
{
	char b[512];
	va_list ap;
	va_start(ap, fmt);
	int n = vsnprintf(b, sizeof b, fmt, ap);
	va_end(ap);
	if (n < 0)
		n = 0;
	if ((size_t)n >= sizeof b)
		n = sizeof b - 1;
	scalar(o, key, b, (size_t)n, true);
}

void hs_out_text_line(hs_out *o, const char *line, unsigned ind)
{
	if (o->mode != HS_OUT_TEXT)
		return;
	if (o->buf->len && o->buf->str[o->buf->len - 1] != '\n')
		g_string_append_c(o->buf, '\n');
	for (unsigned i = 0; i < o->base_indent; i++)
		g_string_append_c(o->buf, ' ');
	put_string(o, line, strlen(line), false);
	g_string_append_c(o->buf, '\n');
	o->base_indent += ind;
}
