/* fuzz_msginfo.c - what the Wireshark plugin does with the decoder's output:
 * every message described as nodes (HS_OUT_NODES, hs_msginfo_fill) and
 * walked, then after finish every chain's decisive frame and the role of
 * every frame it lists.  Input: fuzz_flow's frame format (byte 0 picks the
 * link type, byte 1 flags: bit 0 describe secrets, bit 1 redact names; then
 * frames of u16 big-endian length, u8 time step x 100 ms, bytes).  Seeds:
 * whole lab captures (a few of corpus/report).
 */
#include <stdlib.h>
#include <string.h>

#include "engine.h"
#include "frame_fuzz.h"
#include "model.h"
#include "redact.h"
#include "msginfo.h"

typedef struct sink {
	hs_out *o;
	unsigned flags;
} sink;

static void on_msg(void *ud, const hs_msg *m)
{
	sink *s = ud;
	if (!hs_msginfo_fill(m, s->o, s->flags))
		abort();
	hs_out_node n;
	unsigned limit = 1; /* the first node is at depth 1; a container's members one deeper */
	for (size_t i = 0; hs_out_node_at(s->o, i, &n); i++) {
		if (n.depth < 1 || n.depth > limit || !n.value)
			abort();
		limit = n.container ? n.depth + 1 : n.depth;
		(void)hs_msginfo_is_header(&n);
	}
	(void)hs_msginfo_get(s->o, "operation");
	if (hs_out_node_count(s->o) && !hs_msginfo_get(s->o, "proto"))
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	fuzz_frames fs;
	if (!fuzz_frames_init(&fs, data, size))
		return 0;
	uint8_t flags = fs.flags;
	hs_engine *e = hs_engine_new(NULL);
	hs_model *m = hs_model_new(NULL);
	sink s = { hs_out_new(HS_OUT_NODES), flags & 1 ? HS_DESCRIBE_SECRETS : 0 };
	if (!e || !m || !s.o)
		abort();
	hs_engine_add_msg_sink(e, hs_model_sink, m);
	hs_engine_add_msg_sink(e, on_msg, &s);

	while (fuzz_frames_next(&fs)) {
		hs_frame f = fuzz_frames_frame(&fs, 0, 0);
		hs_engine_feed(e, &f);
	}
	hs_engine_finish(e);
	hs_redact *red = flags & 2 ? hs_redact_new() : NULL;
	if (red)
		hs_model_set_chain_filter(m, hs_redact_chain_filter, red);
	hs_model_finish(m);
	for (size_t i = 0; i < hs_model_chain_count(m); i++) {
		const hs_chain *c = hs_model_chain(m, i);
		hs_ref d = hs_chain_decisive(c);
		unsigned hop;
		if (d.frame && hs_chain_frame_role(c, d, &hop) != HS_ROLE_DECISIVE)
			abort();
		for (unsigned h = 0; h < c->nhops; h++)
			for (unsigned k = 0; k < c->hops[h].nframes; k++)
				if (hs_chain_frame_role(c, c->hops[h].frames[k], &hop) == HS_ROLE_NONE)
					abort();
		for (unsigned k = 0; k < c->diag.nevidence; k++)
			if (hs_chain_frame_role(c, c->diag.evidence[k], &hop) == HS_ROLE_NONE)
				abort();
	}
	hs_out_free(s.o);
	hs_model_free(m);
	hs_redact_free(red);
	hs_engine_free(e);
	return 0;
}
