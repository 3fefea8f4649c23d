/* http_test.c - the HTTP parser: pure functions, then golden text cases
 * (decoder/testdata/http/ *.txt) replayed through hs_http_app at every split
 * point and byte by byte, which must all give the same messages.
 *
 * Golden file format (llhttp-like, readable):
 *   "> text"  client bytes: text + CRLF     ">~ text"  client bytes, no CRLF
 *   "< text"  server bytes                  "<~ text"  server bytes, no CRLF
 *   ">" / "<" alone: a bare CRLF.  Escapes in text: \r \n \t \\ \xNN.
 *   Consecutive lines of one direction form one segment (frame = segment
 *   number, from 1); "--" ends a segment.
 *   "@ proto | frag | frag ..."  the next message: proto and substrings of
 *   its JSON description ("-frag": must not appear).  "! kind"  an anomaly, in order.  "#" comment.
 * Expectations are written by hand from the RFC / the input, not from
 * hopsniff's output. */
#include <glib.h>

#include "http.h"
#include "protos.h"
#include "unit.h"

/* ------------------------------------------- a tiny engine for the tests */

typedef struct seg {
	int dir;
	GByteArray *b;
} seg;

typedef struct run {
	GPtrArray *msgs;      /* char *: "proto\tjson" */
	GPtrArray *anomalies; /* char *: kind */
} run;

static run *cur_run;
static hs_meta cur_meta;

/* The host the parser sees (app.h): no engine, messages and anomalies
 * recorded for the golden files. */
static void t_emit(void *ud, const hs_msg *m)
{
	(void)ud;
	hs_out *o = hs_out_new(HS_OUT_JSON);
	hs_msg_describe(m, o, 0);
	g_ptr_array_add(cur_run->msgs, g_strdup_printf("%s\t%s", hs_proto_name(m->proto), hs_out_text(o, NULL)));
	hs_out_free(o);
}

static void t_anomaly(void *ud, const hs_meta *at, const char *kind, const char *detail)
{
	(void)ud;
	(void)at;
	(void)detail;
	g_ptr_array_add(cur_run->anomalies, g_strdup(kind));
}

static hs_config t_cfg;
static const hs_host t_host = { t_emit, t_anomaly, NULL, NULL, &t_cfg, NULL, NULL, NULL };

typedef struct engine {
	GByteArray *buf[2];
	void *state;
	hs_app_ctx ctx;
} engine;

static void eng_init(engine *e)
{
	memset(e, 0, sizeof *e);
	e->buf[0] = g_byte_array_new();
	e->buf[1] = g_byte_array_new();
	e->state = g_malloc0(hs_http_app.state_size);
	hs_config_default(&t_cfg);
	e->ctx.host = &t_host;
	memset(&cur_meta, 0, sizeof cur_meta);
	cur_meta.src.family = cur_meta.dst.family = 4;
	cur_meta.sport = 49152;
	cur_meta.dport = 5985;
	cur_meta.ipproto = 6;
}

/* As the engine does (app.h): call while something is consumed. */
static void eng_deliver(engine *e, int dir, const uint8_t *p, size_t n, uint64_t frame, bool eof)
{
	GByteArray *b = e->buf[dir];
	g_byte_array_append(b, p, (guint)n);
	cur_meta.frame = frame;
	cur_meta.dir = (uint8_t)dir;
	e->ctx.meta = &cur_meta;
	e->ctx.state = e->state;
	e->ctx.dir = (uint8_t)dir;
	e->ctx.eof = eof;
	for (;;) {
		/* the parser sees a guarded copy: any over-read faults */
		hs_guard g = hs_guard_copy(b->data, b->len);
		hs_parse_result r = hs_http_app.stream(&e->ctx, b->len ? g.p : NULL, b->len);
		hs_guard_free(&g);
		if (r.status == HS_PARSE_OK) {
			CU_ASSERT_FATAL(r.consumed <= b->len);
			g_byte_array_remove_range(b, 0, (guint)r.consumed);
			if (r.consumed == 0 || b->len == 0)
				break;
			continue;
		}
		if (r.status == HS_PARSE_ERROR) {
			g_ptr_array_add(cur_run->anomalies, g_strdup("malformed_http"));
			g_byte_array_set_size(b, 0);
			hs_http_app.gap(&e->ctx);
		}
		break;
	}
}

static void eng_finish(engine *e, uint64_t frame)
{
	eng_deliver(e, 0, NULL, 0, frame, true);
	eng_deliver(e, 1, NULL, 0, frame, true);
	hs_http_app.close(&e->ctx);
	g_free(e->state);
	g_byte_array_free(e->buf[0], TRUE);
	g_byte_array_free(e->buf[1], TRUE);
}

/* ----------------------------------------------------- golden files */

typedef struct golden {
	GPtrArray *segs;   /* seg * */
	GPtrArray *expect; /* char *: "@ ..." or "! ..." lines */
} golden;

static void unescape_into(GByteArray *b, const char *s)
{
	for (; *s; s++) {
		if (*s != '\\' || !s[1]) {
			g_byte_array_append(b, (const guint8 *)s, 1);
			continue;
		}
		s++;
		uint8_t c;
		switch (*s) {
		case 'r': c = '\r'; break;
		case 'n': c = '\n'; break;
		case 't': c = '\t'; break;
		case 'x': {
			char hx[3] = { s[1], s[1] ? s[2] : 0, 0 };
			c = (uint8_t)strtoul(hx, NULL, 16);
			s += 2;
			break;
		}
		default: c = (uint8_t)*s; break;
		}
		g_byte_array_append(b, &c, 1);
	}
}

static golden load_golden(const char *path)
{
	golden g = { g_ptr_array_new(), g_ptr_array_new_with_free_func(g_free) };
	size_t len;
	char *text = (char *)hs_read_file(path, &len);
	text = g_realloc(text, len + 1);
	text[len] = 0;
	char **lines = g_strsplit(text, "\n", -1);
	seg *cur = NULL;
	for (char **l = lines; *l; l++) {
		char *line = *l;
		if (line[0] == '#' || (line[0] == 0 && !cur))
			continue;
		if (strcmp(line, "--") == 0 || line[0] == 0) {
			cur = NULL;
			continue;
		}
		if (line[0] == '@' || line[0] == '!') {
			cur = NULL;
			g_ptr_array_add(g.expect, g_strdup(line));
			continue;
		}
		if (line[0] != '>' && line[0] != '<')
			continue;
		int dir = line[0] == '>' ? 0 : 1;
		bool raw = line[1] == '~';
		const char *t = line + (raw ? 2 : 1);
		if (*t == ' ')
			t++;
		if (!cur || cur->dir != dir) {
			cur = g_new0(seg, 1);
			cur->dir = dir;
			cur->b = g_byte_array_new();
			g_ptr_array_add(g.segs, cur);
		}
		unescape_into(cur->b, t);
		if (!raw)
			g_byte_array_append(cur->b, (const guint8 *)"\r\n", 2);
	}
	g_strfreev(lines);
	g_free(text);
	return g;
}

static void free_golden(golden *g)
{
	for (guint i = 0; i < g->segs->len; i++) {
		seg *s = g->segs->pdata[i];
		g_byte_array_free(s->b, TRUE);
		g_free(s);
	}
	g_ptr_array_free(g->segs, TRUE);
	g_ptr_array_free(g->expect, TRUE);
}

/* Run the segments; segment split_seg is cut at split_at (0 = whole);
 * bytewise delivers everything one byte at a time. */
static run run_golden(const golden *g, guint split_seg, size_t split_at, bool bytewise)
{
	run r = { g_ptr_array_new_with_free_func(g_free), g_ptr_array_new_with_free_func(g_free) };
	cur_run = &r;
	engine e;
	eng_init(&e);
	for (guint i = 0; i < g->segs->len; i++) {
		const seg *s = g->segs->pdata[i];
		if (bytewise) {
			for (size_t k = 0; k < s->b->len; k++)
				eng_deliver(&e, s->dir, s->b->data + k, 1, i + 1, false);
		} else if (i == split_seg && split_at) {
			eng_deliver(&e, s->dir, s->b->data, split_at, i + 1, false);
			eng_deliver(&e, s->dir, s->b->data + split_at, s->b->len - split_at, i + 1, false);
		} else {
			eng_deliver(&e, s->dir, s->b->data, s->b->len, i + 1, false);
		}
	}
	eng_finish(&e, g->segs->len);
	cur_run = NULL;
	return r;
}

static bool same_run(const run *a, const run *b)
{
	if (a->msgs->len != b->msgs->len || a->anomalies->len != b->anomalies->len)
		return false;
	for (guint i = 0; i < a->msgs->len; i++)
		if (strcmp(a->msgs->pdata[i], b->msgs->pdata[i]) != 0)
			return false;
	for (guint i = 0; i < a->anomalies->len; i++)
		if (strcmp(a->anomalies->pdata[i], b->anomalies->pdata[i]) != 0)
			return false;
	return true;
}

static void free_run(run *r)
{
	g_ptr_array_free(r->msgs, TRUE);
	g_ptr_array_free(r->anomalies, TRUE);
}

static int check_expectations(const char *name, const golden *g, const run *r)
{
	guint mi = 0, ai = 0;
	int bad = 0;
	for (guint i = 0; i < g->expect->len; i++) {
		const char *x = g->expect->pdata[i];
		if (x[0] == '!') {
			const char *kind = x + 1;
			while (*kind == ' ')
				kind++;
			if (ai >= r->anomalies->len || strcmp(r->anomalies->pdata[ai], kind) != 0) {
				fprintf(stderr, "%s: anomaly %u: want %s, got %s\n", name, ai, kind,
					ai < r->anomalies->len ? (char *)r->anomalies->pdata[ai] : "(none)");
				bad++;
			}
			ai++;
			continue;
		}
		char **parts = g_strsplit(x + 1, " | ", -1);
		const char *got = mi < r->msgs->len ? r->msgs->pdata[mi] : NULL;
		char *proto = g_strstrip(g_strdup(parts[0]));
		if (!got || strncmp(got, proto, strlen(proto)) != 0 || got[strlen(proto)] != '\t') {
			fprintf(stderr, "%s: message %u: want %s, got %s\n", name, mi, proto, got ? got : "(none)");
			bad++;
		} else {
			for (char **p = parts + 1; *p; p++)
				if ((*p)[0] == '-' ? strstr(got, *p + 1) != NULL : !strstr(got, *p)) {
					fprintf(stderr, "%s: message %u lacks %s\n  %s\n", name, mi, *p, got);
					bad++;
				}
		}
		g_free(proto);
		g_strfreev(parts);
		mi++;
	}
	if (mi != r->msgs->len) {
		fprintf(stderr, "%s: %u messages expected, %u emitted\n", name, mi, r->msgs->len);
		for (guint i = mi; i < r->msgs->len; i++)
			fprintf(stderr, "  extra: %s\n", (char *)r->msgs->pdata[i]);
		bad++;
	}
	if (ai != r->anomalies->len) {
		fprintf(stderr, "%s: %u anomalies expected, %u reported\n", name, ai, r->anomalies->len);
		for (guint i = ai; i < r->anomalies->len; i++)
			fprintf(stderr, "  extra: %s\n", (char *)r->anomalies->pdata[i]);
		bad++;
	}
	return bad;
}

static void test_golden_files(void)
{
	const char *src = getenv("HS_SOURCE");
	char *dir = g_build_filename(src ? src : ".", "decoder", "testdata", "http", NULL);
	GDir *d = g_dir_open(dir, 0, NULL);
	CU_ASSERT_PTR_NOT_NULL_FATAL(d);
	const char *name;
	unsigned files = 0, replays = 0;
	while ((name = g_dir_read_name(d))) {
		if (!g_str_has_suffix(name, ".txt"))
			continue;
		char *path = g_build_filename(dir, name, NULL);
		golden g = load_golden(path);
		run whole = run_golden(&g, 0, 0, false);
		if (getenv("HS_GOLDEN_DUMP")) /* debugging aid: show what was emitted */
			for (guint i = 0; i < whole.msgs->len; i++)
				fprintf(stderr, "%s: %s\n", name, (char *)whole.msgs->pdata[i]);
		int bad = check_expectations(name, &g, &whole);
		CU_ASSERT_EQUAL(bad, 0);
		/* the same messages whatever the segmentation */
		run bytes = run_golden(&g, 0, 0, true);
		if (!same_run(&whole, &bytes)) {
			fprintf(stderr, "%s: byte-by-byte replay differs\n", name);
			CU_FAIL("byte-by-byte replay differs");
		}
		free_run(&bytes);
		for (guint s = 0; s < g.segs->len; s++) {
			const seg *sg = g.segs->pdata[s];
			for (size_t k = 1; k < sg->b->len; k++) {
				run split = run_golden(&g, s, k, false);
				replays++;
				if (!same_run(&whole, &split)) {
					fprintf(stderr, "%s: split of segment %u at %zu differs\n", name, s + 1, k);
					CU_FAIL("split replay differs");
					free_run(&split);
					goto next;
				}
				free_run(&split);
			}
		}
	next:
		free_run(&whole);
		free_golden(&g);
		g_free(path);
		files++;
	}
	g_dir_close(d);
	g_free(dir);
	fprintf(stderr, "golden: %u files, %u split replays\n", files, replays);
	CU_ASSERT(files >= 8);
}

/* ------------------------------------------------------ pure functions */

#define SLICE_IS(s, lit) CU_ASSERT_TRUE(hs_slice_eq((s), (lit)))

static hs_parse_result head_of(const char *s, hs_http_head *h)
{
	return hs_http_parse_head((const uint8_t *)s, strlen(s), h, NULL);
}

static void test_head_request_response(void)
{
	hs_http_head h;
	const char *req = "\r\nPOST /wsman?PSVersion=5.1 HTTP/1.1\r\nHost: srv1:5985\r\nContent-Length:  0 \r\n\r\nX";
	hs_parse_result r = head_of(req, &h);
	CU_ASSERT_EQUAL_FATAL(r.status, HS_PARSE_OK);
	CU_ASSERT_EQUAL(r.consumed, strlen(req) - 1);
	CU_ASSERT_EQUAL(h.leading_crlf, 1);
	CU_ASSERT_FALSE(h.response);
	SLICE_IS(h.method, "POST");
	SLICE_IS(h.uri, "/wsman?PSVersion=5.1");
	CU_ASSERT_EQUAL(h.minor, 1);
	CU_ASSERT_EQUAL_FATAL(h.nh, 2);
	SLICE_IS(h.h[1].name, "Content-Length");
	SLICE_IS(h.h[1].value, "0");
	hs_slice v;
	CU_ASSERT_TRUE(hs_http_header_get(&h, "host", &v));
	SLICE_IS(v, "srv1:5985");

	r = head_of("HTTP/1.1 401 \r\nWWW-Authenticate: Negotiate\r\n\r\n", &h);
	CU_ASSERT_EQUAL_FATAL(r.status, HS_PARSE_OK);
	CU_ASSERT_TRUE(h.response);
	CU_ASSERT_EQUAL(h.status, 401);
	CU_ASSERT_EQUAL(h.reason.len, 0);
	r = head_of("HTTP/1.0 200\r\n\r\n", &h);
	CU_ASSERT_EQUAL(r.status, HS_PARSE_OK);
	CU_ASSERT_EQUAL(h.minor, 0);
}

static void test_head_strict(void)
{
	static const struct { const char *in; const char *kind; } bad[] = {
		{ "GET / HTTP/1.1\r\nA: b\r\n c\r\n\r\n", "http_obs_fold" },
		{ "GET / HTTP/1.1\r\nA : b\r\n\r\n", "http_malformed_field" },
		{ "GET / HTTP/1.1\r\nA: b\rc\r\n\r\n", "http_bare_cr_lf" },
		{ "GET / HTTP/1.1\nA: b\r\n\r\n", "http_malformed_start_line" },
		{ "GET  / HTTP/1.1\r\n\r\n", "http_malformed_start_line" },
		{ "GET / HTTP/2.0\r\n\r\n", "http_malformed_start_line" },
		{ "HTTP/1.1 20 OK\r\n\r\n", "http_malformed_start_line" },
		{ "GET / HTTP/1.1\r\nA: \x01\r\n\r\n", "http_malformed_field" },
		{ "\x16\x03\x01\x02", "http_malformed_start_line" },
	};
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		hs_http_head h;
		hs_parse_result r = head_of(bad[i].in, &h);
		CU_ASSERT_EQUAL(r.status, HS_PARSE_ERROR);
		if (r.status == HS_PARSE_ERROR && strcmp(hs_anom_name(h.error), bad[i].kind) != 0) {
			fprintf(stderr, "case %zu: %s\n", i, hs_anom_name(h.error));
			CU_FAIL("wrong anomaly kind");
		}
	}
	/* too many fields */
	GString *s = g_string_new("GET / HTTP/1.1\r\n");
	for (int i = 0; i <= HS_HTTP_MAX_HEADERS; i++)
		g_string_append_printf(s, "X-%d: y\r\n", i);
	g_string_append(s, "\r\n");
	hs_http_head h;
	hs_parse_result r = hs_http_parse_head((const uint8_t *)s->str, s->len, &h, NULL);
	CU_ASSERT_EQUAL(r.status, HS_PARSE_ERROR);
	CU_ASSERT_EQUAL(r.err, HS_E_LIMIT);
	g_string_free(s, TRUE);
	/* a head that never ends hits the cap as an error, not a stall */
	GString *big = g_string_new("GET / HTTP/1.1\r\n");
	while (big->len <= HS_HTTP_MAX_HEAD)
		g_string_append(big, "X-Pad: aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\r\n");
	r = hs_http_parse_head((const uint8_t *)big->str, big->len, &h, NULL);
	CU_ASSERT_EQUAL(r.status, HS_PARSE_ERROR);
	CU_ASSERT_EQUAL(r.err, HS_E_LIMIT);
	g_string_free(big, TRUE);
}

/* Every prefix of a real-shaped head, before a guard page: incomplete. */
static void test_head_prefixes(void)
{
	static const char req[] =
		"POST /wsman HTTP/1.1\r\nConnection: Keep-Alive\r\nContent-Type: application/soap+xml;charset=UTF-8\r\n"
		"User-Agent: Microsoft WinRM Client\r\nContent-Length: 0\r\nHost: srv1.hop.test:5985\r\n"
		"Authorization: Kerberos YIIHBgYJKoZIhvcSAQICAQBuggb1MIIG8aADAgEFoQMCAQ6iBwMFACAAAACjggT+\r\n\r\n";
	size_t n = sizeof req - 1;
	for (size_t k = 0; k < n; k++) {
		hs_guard g = hs_guard_copy(req, k);
		hs_http_head h;
		size_t scan = 0;
		hs_parse_result r = hs_http_parse_head(g.p, k, &h, &scan);
		CU_ASSERT_EQUAL(r.status, HS_PARSE_INCOMPLETE);
		hs_guard_free(&g);
	}
	hs_guard g = hs_guard_copy(req, n);
	hs_http_head h;
	CU_ASSERT_EQUAL(hs_http_parse_head(g.p, n, &h, NULL).consumed, n);
	hs_guard_free(&g);
}

static void test_framing(void)
{
	hs_http_head h;
	hs_http_framing f;
	hs_slice none = { NULL, 0 }, head = { (const uint8_t *)"HEAD", 4 }, conn = { (const uint8_t *)"CONNECT", 7 };
	head_of("HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\n", &h);
	CU_ASSERT_EQUAL(hs_http_framing_of(&h, head, &f), HS_OK);
	CU_ASSERT_EQUAL(f.kind, HS_HTTP_BODY_NONE); /* RFC 9112 6.3 #1 */
	CU_ASSERT_EQUAL(hs_http_framing_of(&h, none, &f), HS_OK);
	CU_ASSERT_EQUAL(f.kind, HS_HTTP_BODY_LENGTH);
	CU_ASSERT_EQUAL(f.length, 10);
	head_of("HTTP/1.1 200 OK\r\n\r\n", &h);
	hs_http_framing_of(&h, conn, &f);
	CU_ASSERT_EQUAL(f.kind, HS_HTTP_BODY_TUNNEL);
	hs_http_framing_of(&h, none, &f);
	CU_ASSERT_EQUAL(f.kind, HS_HTTP_BODY_CLOSE);
	head_of("HTTP/1.1 304 Not Modified\r\nContent-Length: 5\r\n\r\n", &h);
	hs_http_framing_of(&h, none, &f);
	CU_ASSERT_EQUAL(f.kind, HS_HTTP_BODY_NONE);
	head_of("POST / HTTP/1.1\r\nContent-Length: 5, 5\r\n\r\n", &h);
	CU_ASSERT_EQUAL(hs_http_framing_of(&h, none, &f), HS_OK);
	CU_ASSERT_EQUAL(f.length, 5);
	head_of("POST / HTTP/1.1\r\nContent-Length: 5\r\nContent-Length: 6\r\n\r\n", &h);
	CU_ASSERT_EQUAL(hs_http_framing_of(&h, none, &f), HS_E_MALFORMED);
	head_of("POST / HTTP/1.1\r\nContent-Length: -1\r\n\r\n", &h);
	CU_ASSERT_EQUAL(hs_http_framing_of(&h, none, &f), HS_E_MALFORMED);
	head_of("POST / HTTP/1.1\r\nTransfer-Encoding: gzip, chunked\r\nContent-Length: 3\r\n\r\n", &h);
	CU_ASSERT_EQUAL(hs_http_framing_of(&h, none, &f), HS_OK);
	CU_ASSERT_EQUAL(f.kind, HS_HTTP_BODY_CHUNKED);
	CU_ASSERT_TRUE(f.te_and_cl);
	head_of("POST / HTTP/1.1\r\nTransfer-Encoding: chunked, gzip\r\n\r\n", &h);
	CU_ASSERT_EQUAL(hs_http_framing_of(&h, none, &f), HS_E_MALFORMED);
	head_of("GET / HTTP/1.1\r\n\r\n", &h);
	hs_http_framing_of(&h, none, &f);
	CU_ASSERT_EQUAL(f.kind, HS_HTTP_BODY_NONE);
}

static void test_chunked(void)
{
	/* RFC 9112 7.1 example shape, with an extension and a trailer */
	static const char body[] = "4;name=val\r\nWiki\r\n5\r\npedia\r\nE\r\n in\r\n\r\nchunks.\r\n0\r\nExpires: x\r\n\r\n";
	hs_http_chunked c;
	memset(&c, 0, sizeof c);
	GString *out = g_string_new(NULL);
	size_t off = 0, n = sizeof body - 1;
	while (!c.done) {
		hs_slice d;
		hs_parse_result r = hs_http_chunked_step(&c, (const uint8_t *)body + off, n - off, &d);
		CU_ASSERT_EQUAL_FATAL(r.status, HS_PARSE_OK);
		g_string_append_len(out, (const char *)d.p, (gssize)d.len);
		off += r.consumed;
	}
	CU_ASSERT_EQUAL(off, n);
	CU_ASSERT_STRING_EQUAL(out->str, "Wikipedia in\r\n\r\nchunks.");
	CU_ASSERT_EQUAL(c.trailers, 1);
	g_string_free(out, TRUE);

	static const char *bad[] = { "g\r\n", "4\r\nWikiXX", "4 x\r\n", "1234567890abcdef0\r\n", "0\r\n X: y\r\n" };
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		memset(&c, 0, sizeof c);
		hs_parse_result r;
		size_t o = 0, l = strlen(bad[i]);
		hs_slice d;
		do {
			r = hs_http_chunked_step(&c, (const uint8_t *)bad[i] + o, l - o, &d);
			o += r.consumed;
		} while (r.status == HS_PARSE_OK && o < l);
		CU_ASSERT_EQUAL(r.status, HS_PARSE_ERROR);
	}
}

static void test_b64(void)
{
	uint8_t out[16];
	size_t n;
	hs_slice s = { (const uint8_t *)"dXNlcjpwYXNzd29yZA==", 20 };
	CU_ASSERT_EQUAL(hs_http_b64_decode(s, out, sizeof out, &n), HS_OK);
	CU_ASSERT_EQUAL(n, 13);
	CU_ASSERT_EQUAL(memcmp(out, "user:password", 13), 0);
	static const char *bad[] = { "dXNlcjpwYXNzd29yZA=", "dXNl cjpw", "dXNlcjpwYXNzd29yZB==", "=AAA", "A=AA" };
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		hs_slice b = { (const uint8_t *)bad[i], strlen(bad[i]) };
		CU_ASSERT_EQUAL(hs_http_b64_decode(b, out, sizeof out, &n), HS_E_MALFORMED);
	}
	hs_slice big = { (const uint8_t *)"QUFBQUFBQUFBQUFBQUFBQUFBQUE=", 28 };
	CU_ASSERT_EQUAL(hs_http_b64_decode(big, out, 4, &n), HS_E_LIMIT);
	CU_ASSERT_EQUAL(n, 20);
}

static void test_auth_parse(void)
{
	hs_http_auth a[HS_HTTP_MAX_AUTH];
	size_t n = 0, more = 0;
	/* RFC 9110 11.6.1's own example of two challenges in one field */
	hs_slice v = { (const uint8_t *)"Basic realm=\"simple\", Newauth realm=\"apps\", type=1, title=\"Login to \\\"apps\\\"\"",
		       0 };
	v.len = strlen((const char *)v.p);
	CU_ASSERT_EQUAL(hs_http_auth_parse(v, HS_HTTP_WWW_AUTHENTICATE, a, HS_HTTP_MAX_AUTH, &n, &more), HS_OK);
	CU_ASSERT_EQUAL_FATAL(n, 2);
	SLICE_IS(a[0].scheme_name, "Basic");
	SLICE_IS(a[0].realm, "simple");
	SLICE_IS(a[1].scheme_name, "Newauth");
	SLICE_IS(a[1].realm, "apps");
	CU_ASSERT_EQUAL(a[0].token.len, 0);

	n = more = 0;
	hs_slice w = { (const uint8_t *)"Negotiate, Kerberos,CredSSP , NTLM TlRMTVNTUAABAAAAB4IIog==", 0 };
	w.len = strlen((const char *)w.p);
	CU_ASSERT_EQUAL(hs_http_auth_parse(w, HS_HTTP_WWW_AUTHENTICATE, a, HS_HTTP_MAX_AUTH, &n, &more), HS_OK);
	CU_ASSERT_EQUAL_FATAL(n, 4);
	CU_ASSERT_EQUAL(a[0].scheme, HS_HTTP_SCHEME_NEGOTIATE);
	CU_ASSERT_EQUAL(a[1].scheme, HS_HTTP_SCHEME_KERBEROS);
	CU_ASSERT_EQUAL(a[2].scheme, HS_HTTP_SCHEME_CREDSSP);
	CU_ASSERT_EQUAL(a[3].scheme, HS_HTTP_SCHEME_NTLM);
	SLICE_IS(a[3].token, "TlRMTVNTUAABAAAAB4IIog==");
	CU_ASSERT_TRUE(a[3].token_ok);
	CU_ASSERT_EQUAL(a[3].token_len, 16);

	/* over the cap: counted */
	n = more = 0;
	CU_ASSERT_EQUAL(hs_http_auth_parse(w, HS_HTTP_WWW_AUTHENTICATE, a, 3, &n, &more), HS_OK);
	CU_ASSERT_EQUAL(n, 3);
	CU_ASSERT_EQUAL(more, 1);

	n = more = 0;
	hs_slice bad = { (const uint8_t *)"Digest realm=", 13 };
	CU_ASSERT_EQUAL(hs_http_auth_parse(bad, HS_HTTP_AUTHORIZATION, a, HS_HTTP_MAX_AUTH, &n, &more), HS_OK);
	n = more = 0;
	hs_slice bad2 = { (const uint8_t *)"Digest realm=\"x", 15 };
	CU_ASSERT_EQUAL(hs_http_auth_parse(bad2, HS_HTTP_AUTHORIZATION, a, HS_HTTP_MAX_AUTH, &n, &more),
			HS_E_MALFORMED);
}

HS_UNIT_MAIN("http",
	     { "head request/response", test_head_request_response },
	     { "head strictness", test_head_strict },
	     { "head prefixes", test_head_prefixes },
	     { "framing", test_framing },
	     { "chunked", test_chunked },
	     { "base64", test_b64 },
	     { "auth parse", test_auth_parse },
	     { "golden files", test_golden_files })
