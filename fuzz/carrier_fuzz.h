/* carrier_fuzz.h - the libFuzzer driver shared by fuzz_smb2, fuzz_ldap,
 * fuzz_dcerpc and fuzz_tds: the input is a TCP stream fed to the carrier's
 * hs_app as the engine would (stream() while it consumes, gap() after an
 * error), every emitted message described.  The first byte picks, llhttp
 * style: bit 0 describe secrets, bit 1 text output, bit 2 alternate the
 * direction per chunk, bits 3-6 the chunk size (0: all at once, n: 2^(n-1)
 * bytes), so segmentation is fuzzed too. */
#ifndef HS_CARRIER_FUZZ_H
#define HS_CARRIER_FUZZ_H

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "app.h"
#include "engine.h"

static hs_out *cf_out;
static unsigned cf_flags;

static void cf_on_msg(void *ud, const hs_msg *m)
{
	(void)ud;
	hs_out_reset(cf_out);
	hs_msg_describe(m, cf_out, cf_flags);
}

static int cf_run(const hs_app *app, const uint8_t *data, size_t size)
{
	static hs_engine *eng;
	if (!eng) {
		eng = hs_engine_new(NULL);
		hs_engine_add_msg_sink(eng, cf_on_msg, NULL);
	}
	if (size < 1)
		return 0;
	uint8_t sel = data[0];
	data++;
	size--;
	cf_flags = sel & 1 ? HS_DESCRIBE_SECRETS : 0;
	cf_out = hs_out_new(sel & 2 ? HS_OUT_TEXT : HS_OUT_JSON);
	size_t chunk = (sel >> 3) & 15 ? (size_t)1 << (((sel >> 3) & 15) - 1) : size + 1;
	void *state = calloc(1, app->state_size ? app->state_size : 1);
	uint8_t *buf[2] = { malloc(size + 1), malloc(size + 1) };
	size_t have[2] = { 0, 0 };
	hs_meta meta;
	memset(&meta, 0, sizeof meta);
	meta.ipproto = 6;
	int dir = 0;
	for (size_t at = 0; at < size; at += chunk) {
		size_t n = size - at < chunk ? size - at : chunk;
		memcpy(buf[dir] + have[dir], data + at, n);
		have[dir] += n;
		meta.dir = (uint8_t)dir;
		hs_app_ctx ctx = { hs_engine_host(eng), &meta, state, (uint8_t)dir, false, false };
		size_t done = 0;
		while (done < have[dir]) {
			hs_parse_result r = app->stream(&ctx, buf[dir] + done, have[dir] - done);
			if (r.status == HS_PARSE_OK) {
				if (r.consumed == 0 || r.consumed > have[dir] - done)
					abort(); /* a parser bug: consumed more than given */
				done += r.consumed;
				continue;
			}
			if (r.status == HS_PARSE_ERROR) {
				done = have[dir];
				if (app->gap)
					app->gap(&ctx);
			}
			break;
		}
		memmove(buf[dir], buf[dir] + done, have[dir] - done);
		have[dir] -= done;
		if (sel & 4)
			dir ^= 1;
	}
	if (app->close) { /* as the engine does when a flow ends (smb2: the pipes' buffers) */
		hs_app_ctx ctx = { hs_engine_host(eng), &meta, state, (uint8_t)dir, true, false };
		app->close(&ctx);
	}
	free(buf[0]);
	free(buf[1]);
	free(state);
	hs_out_free(cf_out);
	return 0;
}

#endif
