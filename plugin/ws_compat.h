/* ws_compat.h - the one place where the plugin meets differences between
 * the Wireshark versions it builds against (4.0 in Debian 12, 4.4 in
 * Debian 13; tests/install/plugin_trixie.sh builds and tests the second).
 *
 *   - Boolean preferences: prefs_register_bool_preference() takes a
 *     gboolean * up to 4.2 and a bool * from 4.4 (epan/prefs.h).
 *   - plugin_describe(): from 4.2 a plugin also says what kinds of
 *     registration it makes (wsutil/plugins.h, WS_PLUGIN_DESC_*); 4.0 has
 *     no such symbol.
 *   - field_info.value is an embedded fvalue_t in 4.0 and a pointer from
 *     4.2: the plugin reads no field_info, so nothing here; a future reader
 *     of other dissectors' fields goes through a macro in this file. */
#ifndef HS_WS_COMPAT_H
#define HS_WS_COMPAT_H

#include <glib.h>
#include <stdbool.h>
#include <ws_version.h>

#define HS_WS_AT_LEAST(maj, min) \
	(WIRESHARK_VERSION_MAJOR > (maj) || (WIRESHARK_VERSION_MAJOR == (maj) && WIRESHARK_VERSION_MINOR >= (min)))

#if HS_WS_AT_LEAST(4, 4)
typedef bool hs_ws_bool_pref;
#else
typedef gboolean hs_ws_bool_pref;
#endif

#if HS_WS_AT_LEAST(4, 2)
#include <wsutil/plugins.h>
/* The plugin registers a dissector (the postdissector) and a tap listener
 * (the stats tree). */
#define HS_WS_PLUGIN_DESCRIBE                                                   \
	WS_DLL_PUBLIC uint32_t plugin_describe(void);                           \
	uint32_t plugin_describe(void)                                          \
	{                                                                       \
		return WS_PLUGIN_DESC_DISSECTOR | WS_PLUGIN_DESC_TAP_LISTENER;  \
	}
#else
#define HS_WS_PLUGIN_DESCRIBE
#endif

#endif
