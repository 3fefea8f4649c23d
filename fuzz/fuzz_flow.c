/* fuzz_flow.c - the packet -> flow -> stream path under libFuzzer.
 *
 * Input: byte 0 picks the link type; byte 1 flags: bit 0 = the real port
 * table (the registered protocol parsers) instead of a framing test parser,
 * bit 1 = tiny caps (flows, buffers, fragments, idle timeout) so cap and
 * expiry paths run.  Then frames: u16 big-endian length, u8 time step
 * (x 100 ms), then that many frame bytes.  Everything goes to one engine,
 * then finish().  The frame bytes are copied to an exact-size heap block so
 * ASan catches any read past caplen.
 */
#include <stdlib.h>
#include <string.h>

#include "engine.h"
#include "frame_fuzz.h"

/* A Kerberos-TCP-like framing parser (4-byte length + body) that also
 * exercises partial consumption and every parse status. */
static hs_parse_result framed(hs_app_ctx *c, const uint8_t *p, size_t n)
{
	uint32_t *st = c->state;
	st[c->dir]++;
	if (n < 4)
		return hs_parse_incomplete(c->eof ? 0 : 4);
	uint32_t l = (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
	if (l == 0xffffffffu)
		return hs_parse_error(HS_E_MALFORMED);
	if (l & 0x80000000u) /* a parser that takes a little and waits */
		return hs_parse_ok(n > 1 ? 1 : 0);
	if (n - 4 < l)
		return hs_parse_incomplete((size_t)l + 4);
	hs_emit(c, HS_PROTO_KERBEROS, NULL);
	return hs_parse_ok((size_t)l + 4);
}

static void gap(hs_app_ctx *c) { ((uint32_t *)c->state)[2]++; }

static void datagram(hs_app_ctx *c, const uint8_t *p, size_t n)
{
	if (n)
		((uint32_t *)c->state)[3] += p[0] + p[n - 1];
}

static const hs_app fuzz_app = { "fuzz", 4 * sizeof(uint32_t), framed, gap, datagram, NULL, HS_ANOM_NONE };

static const hs_app *fuzz_resolve(uint8_t proto, uint16_t sp, uint16_t dp, bool *srv)
{
	/* Any port below 1024 is "well known" to the fuzz parser. */
	if (dp < 1024) { *srv = false; return &fuzz_app; }
	if (sp < 1024) { *srv = true; return &fuzz_app; }
	return NULL;
}

static void sink(void *ud, const hs_msg *m)
{
	/* Render every message as the CLI would, so describe code is fuzzed too. */
	hs_out *o = ud;
	hs_out_reset(o);
	hs_msg_describe(m, o, HS_DESCRIBE_SECRETS);
}

static void anomaly(void *ud, const hs_anomaly *a)
{
	(void)ud;
	if (!a->kind || !a->detail || strlen(a->detail) >= 512)
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	fuzz_frames fs;
	if (!fuzz_frames_init(&fs, data, size))
		return 0;
	uint8_t flags = fs.flags;
	hs_config cfg;
	hs_config_default(&cfg);
	if (flags & 2) {
		cfg.max_flows = 3;
		cfg.max_stream_buffer = 3000;
		cfg.max_total_buffer = 8000;
		cfg.max_ip_fragments = 2;
		cfg.flow_idle_timeout = 5;
	}
	hs_engine *e = hs_engine_new(&cfg);
	hs_out *o = hs_out_new(HS_OUT_JSON);
	if (!(flags & 1))
		hs_engine_set_resolver(e, fuzz_resolve);
	hs_engine_add_msg_sink(e, sink, o);
	hs_engine_set_anomaly_sink(e, anomaly, NULL);

	while (fuzz_frames_next(&fs)) {
		hs_frame f = fuzz_frames_frame(&fs, 0, flags & 4 ? 100 : 0);
		hs_engine_feed(e, &f);
	}
	hs_engine_finish(e);
	const hs_stats *st = hs_engine_stats(e);
	if (st->buffered_bytes != 0)
		abort(); /* everything is released at finish */
	if (flags & 2 && st->peak_buffered_bytes > cfg.max_total_buffer)
		abort();
	hs_engine_free(e);
	hs_out_free(o);
	return 0;
}
