/* fuzz_credssp.c - libFuzzer target for CredSSP: the input is decoded as a
 * TSRequest (hs_credssp_decode, framing, describe), and also fed as the TLS
 * bytes of a CredSSP exchange (hs_credssp_flow_feed: client half, then
 * server half, then an HTTP outcome). */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "credssp.h"
#include "engine.h"

static void sink(void *ud, const hs_msg *m)
{
	(void)ud;
	hs_out *o = hs_out_new(HS_OUT_TEXT);
	hs_msg_describe(m, o, HS_DESCRIBE_SECRETS);
	hs_out_free(o);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static hs_engine *eng;
	if (!eng) {
		eng = hs_engine_new(NULL);
		hs_engine_add_msg_sink(eng, sink, NULL);
	}
	hs_credssp_req r;
	hs_credssp_msg m;
	memset(&m, 0, sizeof m);
	m.err = hs_credssp_decode(data, size, &r);
	m.req = &r;
	(void)hs_credssp_frame(data, size);
	hs_out *o = hs_out_new(HS_OUT_JSON);
	hs_credssp_describe(&m, o, HS_DESCRIBE_SECRETS);
	hs_out_free(o);

	hs_credssp_flow *f = calloc(1, sizeof *f);
	hs_meta meta;
	memset(&meta, 0, sizeof meta);
	size_t half = size / 2;
	for (int d = 0; d < 2; d++) {
		meta.dir = (uint8_t)d;
		hs_app_ctx ctx = { hs_engine_host(eng), &meta, NULL, (uint8_t)d, false, false };
		hs_credssp_flow_feed(f, &ctx, HS_PROTO_HTTP, d ? data + half : data, d ? size - half : half);
	}
	hs_app_ctx ctx = { hs_engine_host(eng), &meta, NULL, 1, false, false };
	hs_credssp_flow_outcome(f, &ctx, size ? 200 + data[0] : 401, size > 1 && (data[1] & 1));
	hs_credssp_flow_release(f);
	free(f);
	return 0;
}
