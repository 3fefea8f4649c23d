/* fuzz_http.c - libFuzzer target for the HTTP engine parser (hs_http_app)
 * through the real engine's stream driver, with every message described.
 *
 * Input: byte 0 picks flags (bit 0: describe with HS_DESCRIBE_SECRETS,
 * bit 1: text rendering, bits 2-7: segment size unit); the rest is a
 * sequence of records [dir:1 bit + len:7 bits][len*unit bytes] fed to the
 * client (dir 0) or server (dir 1) side, so pipelining, interleaving and
 * every segmentation are reachable.  Then both sides see end of stream.
 * The engine holds the key log of the CredSSP seed (http_seed_keys.h), so
 * its TSRequests and CredSSP-sealed bodies decrypt. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "engine.h"
#include "http.h"
#include "http_seed_keys.h"
#include "protos.h"
#include "tls.h"

static unsigned g_flags;
static int g_mode;

static void sink(void *ud, const hs_msg *m)
{
	(void)ud;
	hs_out *o = hs_out_new(g_mode ? HS_OUT_TEXT : HS_OUT_JSON);
	hs_msg_describe(m, o, g_flags);
	hs_out_free(o);
}

typedef struct side {
	uint8_t *buf;
	size_t len;
} side;

static void feed(hs_engine *e, hs_app_ctx *ctx, side *s, const uint8_t *p, size_t n)
{
	s->buf = realloc(s->buf, s->len + n + 1);
	if (n)
		memcpy(s->buf + s->len, p, n);
	s->len += n;
	hs_deliver d = hs_engine_stream(e, &hs_http_app, ctx, s->buf, s->len);
	if (d.drop) {
		s->len = 0;
		hs_http_app.gap(ctx);
		return;
	}
	memmove(s->buf, s->buf + d.consumed, s->len - d.consumed);
	s->len -= d.consumed;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 1)
		return 0;
	g_flags = data[0] & 1 ? HS_DESCRIBE_SECRETS : 0;
	g_mode = (data[0] >> 1) & 1;
	size_t unit = (size_t)(data[0] >> 2) + 1;
	data++;
	size--;

	hs_engine *e = hs_engine_new(NULL);
	hs_engine_add_msg_sink(e, sink, NULL);
	e->host.keylog = hs_keylog_new();
	for (size_t i = 0; http_seed_keys[i]; i++)
		hs_keylog_add_line(e->host.keylog, http_seed_keys[i], strlen(http_seed_keys[i]));
	void *state = calloc(1, hs_http_app.state_size);
	hs_meta meta;
	memset(&meta, 0, sizeof meta);
	meta.src.family = meta.dst.family = 4;
	meta.dport = 5985;
	meta.ipproto = 6;
	hs_app_ctx ctx = { hs_engine_host(e), &meta, state, 0, false, false };
	side sides[2] = { { NULL, 0 }, { NULL, 0 } };

	size_t off = 0;
	while (off < size) {
		uint8_t h = data[off++];
		size_t n = (size_t)(h & 0x7f) * unit;
		if (n > size - off)
			n = size - off;
		ctx.dir = h >> 7;
		meta.dir = ctx.dir;
		meta.frame++;
		feed(e, &ctx, &sides[ctx.dir], data + off, n);
		off += n;
	}
	for (int d = 0; d < 2; d++) {
		ctx.dir = (uint8_t)d;
		ctx.eof = true;
		feed(e, &ctx, &sides[d], NULL, 0);
	}
	hs_http_app.close(&ctx);
	free(state);
	free(sides[0].buf);
	free(sides[1].buf);
	hs_engine_free(e);
	return 0;
}
