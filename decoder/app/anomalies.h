/* anomalies.h - the anomaly kinds of anomalies.def as a type.  Parsers
 * report an hs_anom (app.h hs_report_anomaly), so a misspelt kind does not
 * compile; the string that reaches hs_anomaly.kind, JSON and text output is
 * the list's.  The Wireshark plugin registers one expert info per kind from
 * the same list. */
#ifndef HS_ANOMALIES_H
#define HS_ANOMALIES_H

typedef enum hs_anom {
	HS_ANOM_NONE = 0, /* no anomaly: the "unset" value of error fields */
#define HS_ANOM(id, kind, severity, meaning) HS_ANOM_##id,
#include "anomalies.def"
#undef HS_ANOM
	HS_ANOM__COUNT
} hs_anom;

typedef enum hs_anom_severity {
	HS_ANOM_SEV_NOTE = 0,
	HS_ANOM_SEV_WARN,
	HS_ANOM_SEV_ERROR
} hs_anom_severity;

/* The kind's stable string ("tcp_gap"); NULL for HS_ANOM_NONE or out of range. */
const char *hs_anom_name(hs_anom a);

/* The one-line meaning of docs/engine.md's table; NULL as hs_anom_name. */
const char *hs_anom_meaning(hs_anom a);

/* How serious the kind is (its Wireshark expert severity); NOTE when out of range. */
hs_anom_severity hs_anom_severity_of(hs_anom a);

/* The kind named kind, or HS_ANOM_NONE (NULL or not in the list). */
hs_anom hs_anom_by_name(const char *kind);

#endif
