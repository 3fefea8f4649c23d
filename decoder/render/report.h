/* report.h - render the chains of a finished model as the report of
 * report-contract.md: JSON (docs/report.schema.json), readable text with a
 * hop diagram, or one self-contained HTML page with an SVG sequence diagram.
 *
 * The caller owns everything passed in; the functions append to a GString
 * (or hand it to hs_report.write in pieces) and keep nothing.
 */
#ifndef HS_REPORT_H
#define HS_REPORT_H

#include <glib.h>
#include <stdbool.h>
#include <stdint.h>

#include "hs.h"
#include "model.h"

typedef struct hs_report_input {
	const char *file;
	uint64_t packets;
	bool has_ts;
	int64_t first_sec, last_sec;
	uint32_t first_nsec, last_nsec;
} hs_report_input;

/* A kept copy of an hs_anomaly (whose strings live only during the sink
 * call).  Not "hs_report_anomaly": that is app.h's reporting function. */
typedef struct hs_anomaly_copy {
	uint32_t input;
	uint64_t frame;
	char kind[48];
	char detail[256];
} hs_anomaly_copy;

typedef struct hs_report {
	const hs_report_input *inputs;
	size_t ninputs;
	const hs_model *model;            /* finished */
	const hs_stats *stats;            /* the engine's counters */
	const hs_anomaly_copy *anomalies;
	size_t nanomalies;
	uint64_t anomalies_more;          /* anomalies not kept by the caller */
	const GPtrArray *messages;        /* char* JSON objects (one per message), or NULL: no "messages" key */
	/* Optional: the rendered report is handed to write in pieces (after
	 * every few chains) and out holds at most one piece at a time, so that
	 * a report of tens of thousands of chains is never whole in memory.
	 * NULL: everything is appended to out. */
	void (*write)(void *ud, const char *s, size_t n);
	void *write_ud;
} hs_report;

/* The JSON report: one object, then a newline. */
void hs_report_json(const hs_report *r, GString *out);

/* The readable report.  color: ANSI colours (the caller decides: only on a
 * terminal). */
void hs_report_text(const hs_report *r, GString *out, bool color);

/* One self-contained HTML page (no external resources). */
void hs_report_html(const hs_report *r, GString *out);

/* 1 when at least one chain's verdict is "failed", else 0 (the exit
 * status of report-contract.md, usage errors aside). */
int hs_report_exit_status(const hs_model *m);

#endif
