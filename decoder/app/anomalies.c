/* anomalies.c - names, meanings and severities of anomalies.def. */
#include "anomalies.h"

#include <string.h>

static const struct {
	const char *name, *meaning;
	hs_anom_severity severity;
} kinds[HS_ANOM__COUNT] = {
#define HS_ANOM(id, kind, sev, text) [HS_ANOM_##id] = { kind, text, HS_ANOM_SEV_##sev },
#include "anomalies.def"
#undef HS_ANOM
};

const char *hs_anom_name(hs_anom a)
{
	return (unsigned)a < HS_ANOM__COUNT ? kinds[a].name : NULL;
}

const char *hs_anom_meaning(hs_anom a)
{
	return (unsigned)a < HS_ANOM__COUNT ? kinds[a].meaning : NULL;
}

hs_anom_severity hs_anom_severity_of(hs_anom a)
{
	return (unsigned)a < HS_ANOM__COUNT ? kinds[a].severity : HS_ANOM_SEV_NOTE;
}

hs_anom hs_anom_by_name(const char *kind)
{
	for (unsigned i = 1; kind && i < HS_ANOM__COUNT; i++)
		if (!strcmp(kinds[i].name, kind))
			return (hs_anom)i;
	return HS_ANOM_NONE;
}
