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
#include "frame_fuzz.h"
#include "model.h"
#include "redact.h"
#include "report.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	fuzz_frames fs;
	if (!fuzz_frames_init(&fs, data, size))
		return 0;
	uint8_t flags = fs.flags;
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

	while (fuzz_frames_next(&fs)) {
		for (uint32_t input = 0; input < (flags & 4 ? 2u : 1u); input++) {
			hs_frame f = fuzz_frames_frame(&fs, input, 0);
			hs_engine_feed(e, &f);
		}
	}
	hs_engine_finish(e);
	hs_redact *red = flags & 1 ? hs_redact_new() : NULL;
	if (red)
		hs_model_set_chain_filter(m, hs_redact_chain_filter, red);
	hs_model_finish(m);

	hs_report_input in[2] = { { "fuzz0", fs.frame, false, 0, 0, 0, 0 }, { "fuzz1", fs.frame, false, 0, 0, 0, 0 } };
	hs_anomaly_copy an = { 0, 1, "fuzz", "an anomaly" };
	hs_report r = { in, flags & 4 ? 2 : 1, m, hs_engine_stats(e), &an, 1, 0, NULL, NULL, NULL };
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
	hs_redact_free(red);
	hs_engine_free(e);
	return 0;
}
