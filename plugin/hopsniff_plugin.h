/* hopsniff_plugin.h - what the plugin's two files share. */
#ifndef HOPSNIFF_PLUGIN_H
#define HOPSNIFF_PLUGIN_H

/* The "hopsniff" tap: one tap_queue_packet() per chain, at the chain's
 * decisive frame, with the (const hs_chain *) as data, once the first pass
 * is over. */
extern int hs_plugin_tap;

/* Registers the stats tree (`-z hopsniff,tree`, Statistics menu). */
void hs_plugin_register_stats(void);

#endif
