/* hopsniff_stats.c - the "hopsniff" stats tree: chains counted by delegation
 * method (then verdict) and by verdict (then cause).  `tshark -2 -z
 * hopsniff,tree`, or Statistics > Double-Hop > Chains in the GUI. */
#include <epan/packet.h>
#include <epan/stats_tree.h>

#include "hopsniff_plugin.h"
#include "model.h"

static const char st_chains[] = "Double-hop chains";
static const char st_methods[] = "By method";
static const char st_verdicts[] = "By verdict";
static int st_node_chains = -1, st_node_methods = -1, st_node_verdicts = -1;

static void stats_init(stats_tree *st)
{
	st_node_chains = stats_tree_create_node(st, st_chains, 0, STAT_DT_INT, TRUE);
	st_node_methods = stats_tree_create_node(st, st_methods, st_node_chains, STAT_DT_INT, TRUE);
	st_node_verdicts = stats_tree_create_node(st, st_verdicts, st_node_chains, STAT_DT_INT, TRUE);
}

static tap_packet_status stats_packet(stats_tree *st, packet_info *pinfo, epan_dissect_t *edt, const void *p,
				      tap_flags_t flags)
{
	(void)pinfo, (void)edt, (void)flags;
	const hs_chain *c = (const hs_chain *)p;
	if (!c)
		return TAP_PACKET_DONT_REDRAW;
	const char *method = hs_method_name(c->diag.method);
	const char *verdict = hs_verdict_name(c->diag.verdict);
	const char *cause = c->diag.cause ? c->diag.cause : "-";
	tick_stat_node(st, st_chains, 0, FALSE);
	tick_stat_node(st, st_methods, st_node_chains, FALSE);
	int m = tick_stat_node(st, method, st_node_methods, TRUE);
	tick_stat_node(st, verdict, m, FALSE);
	tick_stat_node(st, st_verdicts, st_node_chains, FALSE);
	int v = tick_stat_node(st, verdict, st_node_verdicts, TRUE);
	tick_stat_node(st, cause, v, FALSE);
	return TAP_PACKET_REDRAW;
}

void hs_plugin_register_stats(void)
{
	stats_tree_register_plugin("hopsniff", "hopsniff", "Double-Hop/Chains", 0, stats_packet, stats_init, NULL);
}
