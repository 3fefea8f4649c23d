/* fuzz_report.c - packets -> real decoders -> correlation model -> reports.
 *
 * The model and the rules take their input from the decoders, so they are
 * fuzzed through them: the input is fuzz_flow's frame format (byte 0 picks
 * the link type, byte 1 flags, then frames of u16 big-endian length, u8 time
 * step x 100 ms, bytes), always with the real port table.  Flags: bit 0 =
 * --redact-names, bit 1 = tiny model caps (so every "dropped" path runs),
 * bit 2 = every frame is fed twice, as from two merged captures of the same
 * link (the duplicate path).  After finish, the JSON, text (with and without
 * colour) and HTML reports are rendered.  Seeds: whole lab scenario captures
 * (fuzz/make_flow_corpus.py --whole).
 */
#include <stdlib.h>
#include <string.h>

#include "engine.h"
#include "model.h"
#include "report.h"

static const int linktypes[] = {
	HS_DLT_EN10MB, HS_DLT_LINUX_SLL, HS_DLT_LINUX_SLL2, HS_DLT_RAW, HS_DLT_RAW_ALT,
	HS_DLT_IPV4, HS_DLT_IPV6, HS_DLT_NULL, HS_DLT_LOOP,
};

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 2)
		return 0;
	int lt = linktypes[data[0] % (sizeof linktypes / sizeof linktypes[0])];
	uint8_t flags = data[1];
	hs_config cfg;
	hs_config_default(&cfg);
	hs_model_config mc;
	hs_model_config_default(&mc);
	if (flags & 2) {
		mc.max_conns = 2;
		mc.max_kdc = 2;
		mc.max_tickets = 2;
		mc.max_hosts = 2;
		mc.max_chains = 1;
	}
	hs_engine *e = hs_engine_new(&cfg);
	hs_model *m = hs_model_new(&mc);
	if (!e || !m)
		abort();
	hs_engine_add_msg_sink(e, hs_model_sink, m);

	size_t at = 2;
	uint64_t frame = 0;
	int64_t t = 1500000000LL * 1000000000LL;
	while (at + 3 <= size) {
		size_t len = (size_t)data[at] << 8 | data[at + 1];
		t += (int64_t)data[at + 2] * 100000000LL;
		at += 3;
		if (len > size - at)
			len = size - at;
		uint8_t *copy = malloc(len ? len : 1);
		memcpy(copy, data + at, len);
		at += len;
		++frame;
		for (uint32_t input = 0; input < (flags & 4 ? 2u : 1u); input++) {
			hs_frame f = { input, frame, t / 1000000000LL, (uint32_t)(t % 1000000000LL), lt, copy, len, len };
			hs_engine_feed(e, &f);
		}
		free(copy);
	}
	hs_engine_finish(e);
	hs_model_finish(m, flags & 1);

	hs_report_input in[2] = { { "fuzz0", frame, false, 0, 0, 0, 0 }, { "fuzz1", frame, false, 0, 0, 0, 0 } };
	hs_anomaly_copy an = { 0, 1, "fuzz", "an anomaly" };
	hs_report r = { in, flags & 4 ? 2 : 1, m, hs_engine_stats(e), &an, 1, 0, NULL };
	GString *s = g_string_new(NULL);
	hs_report_json(&r, s);
	if (s->len == 0 || s->str[s->len - 1] != '\n')
		abort();
	g_string_truncate(s, 0);
	hs_report_text(&r, s, flags & 8);
	g_string_truncate(s, 0);
	hs_report_html(&r, s);
	g_string_free(s, TRUE);
	int rc = hs_report_exit_status(m);
	if (rc != 0 && rc != 1)
		abort();
	hs_model_free(m);
	hs_engine_free(e);
	return 0;
}
