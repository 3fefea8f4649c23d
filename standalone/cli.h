/* cli.h - what the hopsniff command's modes share (cli.c): the options of
 * the report, the printer that collects messages and anomalies, the inputs
 * every engine gets, and the report output.  The file mode (files.c) and
 * live capture (live.c) use the same pieces; hopsniff.c only parses the
 * command line and picks the mode. */
#ifndef HS_CLI_H
#define HS_CLI_H

#include <glib.h>
#include <stdbool.h>
#include <stdint.h>

#include "hs.h"
#include "model.h"
#include "progress.h"
#include "report.h"

#define EXIT_OK 0
#define EXIT_FAILED 1
#define EXIT_USAGE 2

typedef struct printer {
	hs_out *o;
	bool json;
	unsigned flags;
	uint64_t items;
	uint64_t cli_anomalies;
	/* report mode: nothing is printed while reading */
	bool report;
	GArray *anomalies;         /* hs_report_anomaly, capped */
	uint64_t anomalies_more;
	GPtrArray *messages;       /* --messages: JSON of every message, capped */
	uint64_t messages_more;
	struct hs_redact *redact;  /* --redact-names: anomaly details go through it too */
	bool quiet;                /* the learning pass of --redact-names: nothing printed */
} printer;

typedef struct options {
	bool report, json, secrets, messages, redact_names;
	const char *html;
	char **keylogs; /* --keylog FILE ..., NULL-terminated or NULL */
	char **keytabs; /* --keytab FILE ..., NULL-terminated or NULL */
	hs_progress_mode progress; /* --progress / --no-progress (file mode) */
	bool etl_all_copies; /* --etl-all-copies: keep every appearance pktmon logged of a packet */
	const char *write;   /* file mode -w FILE: the packets read, de-duplicated, as pcapng */
	char **ntlm_passwords, **nt_hashes; /* --ntlm-password / --nt-hash SPEC or @FILE ..., or NULL */
	unsigned memory_mib; /* --memory-limit MIB (0: the decoder's default) */
	struct hs_redact *redact; /* --redact-names: the pseudonyms of every output */
	bool learn_only;     /* the first pass of --redact-names: learn names, print nothing */
	char **decode_as;    /* -d tcp.port==PORT,NAME ... (checked by hs_cli_decode_as_ok), or NULL */
} options;

/* Check every -d rule (hs_config_decode_as); false after printing why. */
bool hs_cli_decode_as_ok(char **specs);

/* Make pr's output go through opt's redactor (--redact-names), and the
 * model's chains (may be NULL). */
void hs_cli_printer_redact(printer *pr, hs_model *model, const options *opt);

/* The engine's configuration for opt: caps, --memory-limit, --show-secrets, -d. */
void hs_cli_engine_config(hs_config *cfg, const options *opt);

/* Sinks (ud: the printer): print, or in report mode keep (capped). */
void hs_cli_on_msg(void *ud, const hs_msg *m);
void hs_cli_on_anomaly(void *ud, const hs_anomaly *a);
/* The sinks of the first pass of --redact-names: a message only goes
 * through the output filter, which learns its names; anomalies go nowhere. */
void hs_cli_on_learn(void *ud, const hs_msg *m);
void hs_cli_on_quiet_anomaly(void *ud, const hs_anomaly *a);
/* An anomaly the command itself found (capture read errors, recorded
 * drops): printed or kept as the decoder's are. */
void hs_cli_print_anomaly(printer *pr, uint32_t in, uint64_t frame, const char *kind, const char *detail);

/* Hand e what every mode gives its engine (key logs, keytabs; follow:
 * re-read the key logs as they grow, for live capture).  false after printing why. */
bool hs_cli_engine_inputs(hs_engine *e, const options *opt, bool follow);

/* The model of report mode and live capture: settled chains past
 * SPILL_AFTER go to the model's temporary file (model.h spill_after), and
 * its tables count against e's memory budget (--memory-limit). */
#define SPILL_AFTER 256
hs_model *hs_cli_report_model(hs_engine *e);

/* The report of a finished model to stdout (text, or JSON with --json) and
 * to --html FILE; returns the exit status (0, 1 a chain failed, 2 the HTML
 * could not be written). */
int hs_cli_report_out(const printer *pr, const hs_report_input *ri, size_t n, const hs_model *model,
		      const hs_stats *st, const options *opt);

#endif
