/* msginfo.c - messages and chains seen per frame (see msginfo.h). */
#include "msginfo.h"

#include <string.h>

#include "http.h"

bool hs_msginfo_fill(const hs_msg *m, hs_out *o, unsigned flags)
{
	hs_out_reset(o);
	if (hs_out_get_mode(o) != HS_OUT_NODES)
		return false;
	hs_msg_describe(m, o, flags);
	return true;
}

const char *hs_msginfo_get(const hs_out *o, const char *key)
{
	hs_out_node n;
	for (size_t i = 0; hs_out_node_at(o, i, &n); i++)
		if (n.depth == 1 && n.key && !n.container && strcmp(n.key, key) == 0)
			return n.value;
	return NULL;
}

bool hs_msginfo_is_header(const hs_out_node *n)
{
	static const char *const keys[] = { "input", "frame", "ts", "src", "dst", "transport", "proto", "carrier" };
	if (n->depth != 1 || !n->key)
		return false;
	for (size_t i = 0; i < sizeof keys / sizeof keys[0]; i++)
		if (strcmp(n->key, keys[i]) == 0)
			return true;
	return false;
}

static hs_ref last_hop_frame(const hs_chain *c)
{
	for (unsigned h = c->nhops; h-- > 0;)
		if (c->hops[h].nframes)
			return c->hops[h].frames[c->hops[h].nframes - 1];
	return (hs_ref){ 0, 0 };
}

hs_ref hs_chain_decisive(const hs_chain *c)
{
	/* the rule that gave the cause names its frame (rules.c); a rule
	 * whose evidence the capture lacks leaves the chain's own last frame */
	if (c->diag.decisive.frame)
		return c->diag.decisive;
	return last_hop_frame(c);
}

static bool same(hs_ref a, hs_ref b) { return a.input == b.input && a.frame == b.frame; }

hs_frame_role hs_chain_frame_role(const hs_chain *c, hs_ref r, unsigned *hop)
{
	*hop = 0;
	hs_frame_role role = HS_ROLE_NONE;
	for (unsigned h = 0; h < c->nhops && h < 2; h++)
		for (unsigned i = 0; i < c->hops[h].nframes && i < HS_HOP_FRAMES; i++)
			if (same(c->hops[h].frames[i], r) && !*hop) {
				*hop = c->hops[h].index;
				role = HS_ROLE_HOP;
			}
	for (unsigned i = 0; i < c->diag.nevidence && i < HS_EVIDENCE_MAX; i++)
		if (same(c->diag.evidence[i], r))
			role = HS_ROLE_EVIDENCE;
	hs_ref d = hs_chain_decisive(c);
	if (r.frame && same(d, r))
		role = HS_ROLE_DECISIVE;
	return role;
}

const char *hs_frame_role_name(hs_frame_role role)
{
	switch (role) {
	case HS_ROLE_HOP: return "hop";
	case HS_ROLE_EVIDENCE: return "evidence";
	case HS_ROLE_DECISIVE: return "decisive";
	default: return "";
	}
}

bool hs_msginfo_plaintext(const hs_msg *m, hs_slice *out)
{
	if (m->proto != HS_PROTO_HTTP || !m->body)
		return false;
	const hs_http_msg *h = m->body;
	if (!h->enc || !h->enc->decrypted || !h->enc->plaintext.len)
		return false;
	*out = h->enc->plaintext;
	return true;
}
