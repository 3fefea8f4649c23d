/* out.h - one structured writer, two renderings.
 *
 * Every decoder describes its message once, as a tree of keys and values,
 * through these calls; the writer renders that tree either as one compact
 * JSON object (for `--json`, one per line) or as an indented readable block.
 * Strings are escaped (JSON) or sanitised (text): control bytes and invalid
 * UTF-8 never reach the terminal raw.
 *
 * Inside an object every value has a key; inside a list key must be NULL.
 * The writer owns its buffer (a GString); hs_out_text() stays valid until the
 * next write, reset or free.  Nesting is limited to HS_OUT_MAX_DEPTH levels
 * (deeper calls are ignored and counted in hs_out_overflow()).
 */
#ifndef HS_OUT_H
#define HS_OUT_H

#include <glib.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "cursor.h"

#define HS_OUT_MAX_DEPTH 24

typedef enum hs_out_mode {
	HS_OUT_JSON = 0,
	HS_OUT_TEXT = 1,
	/* No rendering: the tree is kept as a flat list of nodes (hs_out_node_at)
	 * for front ends that build trees of their own (the Wireshark plugin). */
	HS_OUT_NODES = 2
} hs_out_mode;

typedef struct hs_out hs_out;

hs_out *hs_out_new(hs_out_mode mode);
void hs_out_free(hs_out *o);
void hs_out_reset(hs_out *o);

/* A filter every string value goes through before it is written (text,
 * JSON and nodes alike): it appends the value to write to out and returns
 * true, or returns false to write the value as it is.  key is the field's
 * key (NULL inside lists).  Used for --redact-names (redact.h); NULL
 * removes it.  Kept across hs_out_reset. */
typedef bool (*hs_out_filter)(void *ud, const char *key, const char *s, size_t len, GString *out);
void hs_out_set_filter(hs_out *o, hs_out_filter fn, void *ud);
hs_out_mode hs_out_get_mode(const hs_out *o);
/* The rendered text so far (NUL terminated); *len may be NULL. */
const char *hs_out_text(const hs_out *o, size_t *len);
unsigned hs_out_overflow(const hs_out *o);
/* Move the rendered text so far to the end of dst and empty the writer's
 * buffer; the nesting goes on where it was (a long document written out in
 * pieces).  Nothing in nodes mode. */
void hs_out_drain(hs_out *o, GString *dst);

void hs_out_begin(hs_out *o, const char *key);      /* object */
void hs_out_end(hs_out *o);
void hs_out_begin_list(hs_out *o, const char *key); /* array */
void hs_out_end_list(hs_out *o);

void hs_out_str(hs_out *o, const char *key, const void *s, size_t len);
void hs_out_slice(hs_out *o, const char *key, hs_slice s);
void hs_out_cstr(hs_out *o, const char *key, const char *s); /* NULL prints null */
void hs_out_int(hs_out *o, const char *key, int64_t v);
void hs_out_uint(hs_out *o, const char *key, uint64_t v);
void hs_out_bool(hs_out *o, const char *key, bool v);
void hs_out_null(hs_out *o, const char *key);
void hs_out_hex32(hs_out *o, const char *key, uint32_t v);   /* "0xc000006d" */
void hs_out_fmt(hs_out *o, const char *key, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* Text mode only (ignored in JSON): write a line of the caller's own text
 * (sanitised like strings) at the current position, and indent everything
 * that follows by `indent` more spaces until hs_out_reset. */
void hs_out_text_line(hs_out *o, const char *line, unsigned indent);

/* HS_OUT_NODES mode: the values written so far, in document order.  depth is
 * 1 for the members of the outermost object; key is NULL for list items;
 * value is the sanitised scalar text (as text mode prints it, "" for
 * containers); container is true for objects and lists, whose members follow
 * with depth + 1.  Fills *n and returns true for i < hs_out_node_count(o).
 * The strings stay valid until the next write, reset or free. */
typedef struct hs_out_node {
	unsigned depth;
	const char *key;
	const char *value;
	bool container;
	bool list;
} hs_out_node;

size_t hs_out_node_count(const hs_out *o);
bool hs_out_node_at(const hs_out *o, size_t i, hs_out_node *n);

#endif
