/* chunk_fuzz.h - the libFuzzer driver shared by fuzz_tls and fuzz_rdp: the
 * input is a two-sided TCP conversation as chunks
 * [dir<<7 | len>>8][len & 255][len bytes] fed to the client (dir 0) or
 * server (dir 1) side of an hs_app in order, as the engine would (stream()
 * while it consumes, gap() after an error), then end of stream on both and
 * close().  The engine holds the key log lines given, so seeds recorded with
 * those keys decrypt and mutations reach the decrypted paths. */
#ifndef HS_CHUNK_FUZZ_H
#define HS_CHUNK_FUZZ_H

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "engine.h"
#include "tls.h"

static void chf_sink(void *ud, const hs_msg *m)
{
	(void)ud;
	hs_out *o = hs_out_new(HS_OUT_JSON);
	hs_msg_describe(m, o, HS_DESCRIBE_SECRETS);
	hs_out_free(o);
}

static void chf_run(hs_app_ctx *ctx, const hs_app *app, uint8_t **buf, size_t *have, const uint8_t *p, size_t n)
{
	int d = ctx->dir;
	buf[d] = realloc(buf[d], have[d] + n + 1);
	if (n)
		memcpy(buf[d] + have[d], p, n);
	have[d] += n;
	size_t done = 0;
	while (done < have[d] || (ctx->eof && done == 0)) {
		hs_parse_result r = app->stream(ctx, buf[d] + done, have[d] - done);
		if (r.status == HS_PARSE_OK) {
			if (r.consumed > have[d] - done || (r.consumed == 0 && have[d] - done))
				abort();
			done += r.consumed;
			if (!r.consumed)
				break;
			continue;
		}
		if (r.status == HS_PARSE_ERROR) {
			done = have[d];
			app->gap(ctx);
		}
		break;
	}
	memmove(buf[d], buf[d] + done, have[d] - done);
	have[d] -= done;
}

static int chf_one_input(const hs_app *app, const char *const *keys, const uint8_t *data, size_t size)
{
	static hs_engine *eng;
	if (!eng) {
		eng = hs_engine_new(NULL);
		hs_engine_add_msg_sink(eng, chf_sink, NULL);
		eng->host.keylog = hs_keylog_new();
		for (size_t i = 0; keys[i]; i++)
			hs_keylog_add_line(eng->host.keylog, keys[i], strlen(keys[i]));
	}
	void *state = calloc(1, app->state_size);
	uint8_t *buf[2] = { NULL, NULL };
	size_t have[2] = { 0, 0 };
	hs_meta meta;
	memset(&meta, 0, sizeof meta);
	meta.ipproto = 6;
	size_t at = 0;
	while (at + 2 <= size) {
		int d = data[at] >> 7;
		size_t n = (size_t)(data[at] & 0x7f) << 8 | data[at + 1];
		at += 2;
		if (n > size - at)
			n = size - at;
		meta.dir = (uint8_t)d;
		hs_app_ctx ctx = { hs_engine_host(eng), &meta, state, (uint8_t)d, false, false };
		chf_run(&ctx, app, buf, have, data + at, n);
		at += n;
	}
	for (int d = 0; d < 2; d++) {
		meta.dir = (uint8_t)d;
		hs_app_ctx ctx = { hs_engine_host(eng), &meta, state, (uint8_t)d, true, false };
		chf_run(&ctx, app, buf, have, NULL, 0);
	}
	hs_app_ctx ctx = { hs_engine_host(eng), &meta, state, 0, true, false };
	app->close(&ctx);
	free(state);
	free(buf[0]);
	free(buf[1]);
	return 0;
}

#endif
