/* status.c - names of hs_err codes. */
#include "status.h"

const char *hs_err_name(hs_err e)
{
	static const char *const names[HS_E__COUNT] = {
		[HS_OK] = "ok",
		[HS_E_TRUNCATED] = "truncated",
		[HS_E_MALFORMED] = "malformed",
		[HS_E_UNSUPPORTED] = "unsupported",
		[HS_E_LIMIT] = "limit",
		[HS_E_NOMEM] = "nomem",
		[HS_E_TRAILING] = "trailing_bytes",
		[HS_E_UNKNOWN] = "unknown_protocol",
	};
	if ((unsigned)e < HS_E__COUNT && names[e])
		return names[e];
	return "invalid_error_code";
}
