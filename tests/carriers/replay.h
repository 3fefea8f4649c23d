/* replay.h - replay a real TCP connection (tests/carriers/NAME.txt, made by
 * extract_streams.py from the zeek captures) through a carrier's hs_app,
 * the way the engine does (app.h contract: call stream() while it consumes,
 * keep what it did not), and record every emitted message as its JSON line.
 * Header-only, for decoder/{smb2,ldap,dcerpc,tds}_test.c. */
#ifndef HS_CARRIER_REPLAY_H
#define HS_CARRIER_REPLAY_H

#include <glib.h>
#include <stdlib.h>
#include <string.h>

#include "app.h"
#include "engine.h"
#include "unit.h"

#define RP_UNUSED __attribute__((unused))
#define RP_MAX_CHUNKS 256

typedef struct rp_chunk {
	int dir;            /* 0 = initiator ('C'), 1 = reply ('S') */
	unsigned char *p;
	size_t len;
} rp_chunk;

typedef struct rp_stream {
	rp_chunk c[RP_MAX_CHUNKS];
	size_t n;
} rp_stream;

/* Load tests/carriers/NAME (HS_SOURCE is set by ctest). Exits on error. */
static RP_UNUSED void rp_load(rp_stream *s, const char *name)
{
	const char *src = getenv("HS_SOURCE");
	char path[1024];
	snprintf(path, sizeof path, "%s/tests/carriers/%s", src ? src : "..", name);
	size_t len;
	unsigned char *txt = hs_read_file(path, &len);
	char *text = g_strndup((const char *)txt, len);
	free(txt);
	char **lines = g_strsplit(text, "\n", -1);
	s->n = 0;
	for (char **l = lines; *l; l++) {
		if ((**l != 'C' && **l != 'S') || (*l)[1] != ' ' || s->n == RP_MAX_CHUNKS)
			continue;
		rp_chunk *c = &s->c[s->n++];
		c->dir = **l == 'S';
		size_t hl = strlen(*l + 2);
		c->p = malloc(hl / 2 + 1);
		c->len = hs_unhex(*l + 2, c->p, hl / 2 + 1);
	}
	g_strfreev(lines);
	g_free(text);
}

static RP_UNUSED void rp_free(rp_stream *s)
{
	for (size_t i = 0; i < s->n; i++)
		free(s->c[i].p);
	s->n = 0;
}

/* All bytes of one direction, concatenated (caller frees). */
static RP_UNUSED unsigned char *rp_direction(const rp_stream *s, int dir, size_t *len)
{
	size_t n = 0;
	for (size_t i = 0; i < s->n; i++)
		if (s->c[i].dir == dir)
			n += s->c[i].len;
	unsigned char *b = malloc(n ? n : 1);
	n = 0;
	for (size_t i = 0; i < s->n; i++)
		if (s->c[i].dir == dir) {
			memcpy(b + n, s->c[i].p, s->c[i].len);
			n += s->c[i].len;
		}
	*len = n;
	return b;
}

/* One replay: an engine for the sinks, the app's state, two direction
 * buffers. */
typedef struct rp_run {
	hs_engine *eng;
	const hs_app *app;
	void *state;
	hs_meta meta;
	GByteArray *buf[2];
	GString *log;        /* one JSON line per message, "! kind" per anomaly */
	unsigned errors;     /* HS_PARSE_ERROR results */
	unsigned msgs;
	bool number_frames;  /* meta.frame = chunk index (else 0: segmentation-independent logs) */
	hs_out *o;
} rp_run;

static void rp_on_msg(void *ud, const hs_msg *m)
{
	rp_run *r = ud;
	size_t n;
	hs_out_reset(r->o);
	hs_msg_describe(m, r->o, 0);
	const char *t = hs_out_text(r->o, &n);
	g_string_append_len(r->log, t, (gssize)n);
	g_string_append_c(r->log, '\n');
	r->msgs++;
}

static void rp_on_anom(void *ud, const hs_anomaly *a)
{
	rp_run *r = ud;
	g_string_append_printf(r->log, "! %s: %s\n", a->kind, a->detail);
}

static RP_UNUSED void rp_begin(rp_run *r, const hs_app *app)
{
	memset(r, 0, sizeof *r);
	r->eng = hs_engine_new(NULL);
	r->o = hs_out_new(HS_OUT_JSON);
	hs_engine_add_msg_sink(r->eng, rp_on_msg, r);
	hs_engine_set_anomaly_sink(r->eng, rp_on_anom, r);
	r->app = app;
	r->state = calloc(1, app->state_size ? app->state_size : 1);
	r->buf[0] = g_byte_array_new();
	r->buf[1] = g_byte_array_new();
	r->log = g_string_new(NULL);
	r->meta.ipproto = 6;
	r->meta.src.family = r->meta.dst.family = 4;
}

/* Append bytes of direction dir and run the parser as the engine would. */
static RP_UNUSED void rp_feed(rp_run *r, int dir, const unsigned char *p, size_t n, uint64_t frame)
{
	GByteArray *b = r->buf[dir];
	g_byte_array_append(b, p, (guint)n);
	r->meta.dir = (uint8_t)dir;
	r->meta.frame = r->number_frames ? frame : 0;
	r->meta.sport = dir ? 445 : 50000;
	r->meta.dport = dir ? 50000 : 445;
	hs_app_ctx ctx = { hs_engine_host(r->eng), &r->meta, r->state, (uint8_t)dir, false, false };
	size_t done = 0;
	while (done < b->len) {
		/* a private copy ending at a guard page: over-reads fault */
		hs_guard g = hs_guard_copy(b->data + done, b->len - done);
		hs_parse_result res = r->app->stream(&ctx, g.p, b->len - done);
		hs_guard_free(&g);
		if (res.status == HS_PARSE_OK) {
			CU_ASSERT(res.consumed <= b->len - done);
			if (res.consumed == 0 || res.consumed > b->len - done)
				break;
			done += res.consumed;
			continue;
		}
		if (res.status == HS_PARSE_ERROR) {
			r->errors++;
			g_string_append_printf(r->log, "! parse error %s\n", hs_err_name(res.err));
			done = b->len;
			if (r->app->gap)
				r->app->gap(&ctx);
		}
		break;
	}
	g_byte_array_remove_range(b, 0, (guint)done);
}

static RP_UNUSED void rp_end(rp_run *r)
{
	hs_app_ctx ctx = { hs_engine_host(r->eng), &r->meta, r->state, 0, true, false };
	if (r->app->close)
		r->app->close(&ctx);
	free(r->state);
	g_byte_array_free(r->buf[0], TRUE);
	g_byte_array_free(r->buf[1], TRUE);
	g_string_free(r->log, TRUE);
	hs_out_free(r->o);
	hs_engine_free(r->eng);
}

/* Replay the whole connection in capture order; returns the log (caller
 * g_free()s).  Frames are numbered by chunk (1-based). */
static RP_UNUSED char *rp_replay(const rp_stream *s, const hs_app *app, unsigned *msgs, unsigned *errors)
{
	rp_run r;
	rp_begin(&r, app);
	r.number_frames = true;
	for (size_t i = 0; i < s->n; i++)
		rp_feed(&r, s->c[i].dir, s->c[i].p, s->c[i].len, i + 1);
	char *out = g_strdup(r.log->str);
	if (msgs)
		*msgs = r.msgs;
	if (errors)
		*errors = r.errors;
	rp_end(&r);
	return out;
}

/* The log of one direction's bytes fed as pieces [0,k) and [k,n) (k = n:
 * whole).  piece = 1 instead feeds byte by byte. */
static RP_UNUSED char *rp_split(const hs_app *app, int dir, const unsigned char *p, size_t n, size_t k, bool bytewise)
{
	rp_run r;
	rp_begin(&r, app);
	if (bytewise) {
		for (size_t i = 0; i < n; i++)
			rp_feed(&r, dir, p + i, 1, 0);
	} else {
		rp_feed(&r, dir, p, k, 0);
		rp_feed(&r, dir, p + k, n - k, 0);
	}
	char *out = g_strdup(r.log->str);
	rp_end(&r);
	return out;
}

/* Every split point of both directions gives the same log as the whole
 * direction, and so does byte-by-byte feeding.  Returns mismatches. */
static RP_UNUSED unsigned rp_every_split(const rp_stream *s, const hs_app *app)
{
	unsigned bad = 0;
	for (int dir = 0; dir < 2; dir++) {
		size_t n;
		unsigned char *p = rp_direction(s, dir, &n);
		char *whole = rp_split(app, dir, p, n, n, false);
		for (size_t k = 0; k < n; k++) {
			char *x = rp_split(app, dir, p, n, k, false);
			if (strcmp(x, whole)) {
				if (!bad)
					fprintf(stderr, "split at %zu of dir %d differs:\n%s\nvs\n%s\n", k, dir, x, whole);
				bad++;
			}
			g_free(x);
		}
		char *x = rp_split(app, dir, p, n, 0, true);
		if (strcmp(x, whole))
			bad++;
		g_free(x);
		g_free(whole);
		free(p);
	}
	return bad;
}

/* The n-th line (0-based) of a log, or "" (static buffer). */
static RP_UNUSED const char *rp_line(const char *log, unsigned n)
{
	static char line[65536];
	const char *p = log;
	for (unsigned i = 0; i < n && p; i++) {
		p = strchr(p, '\n');
		if (p)
			p++;
	}
	if (!p || !*p)
		return "";
	const char *e = strchr(p, '\n');
	size_t l = e ? (size_t)(e - p) : strlen(p);
	if (l >= sizeof line)
		l = sizeof line - 1;
	memcpy(line, p, l);
	line[l] = '\0';
	return line;
}

/* Number of log lines containing every one of the NULL-terminated needles. */
static RP_UNUSED unsigned rp_count(const char *log, ...)
{
	unsigned hits = 0;
	for (unsigned i = 0;; i++) {
		const char *l = rp_line(log, i);
		if (!*l)
			break;
		va_list ap;
		va_start(ap, log);
		bool all = true;
		for (const char *nd = va_arg(ap, const char *); nd; nd = va_arg(ap, const char *))
			if (!strstr(l, nd))
				all = false;
		va_end(ap);
		hits += all;
	}
	return hits;
}

#endif
