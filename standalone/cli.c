/* cli.c - what the command's modes share (cli.h): the printer that prints
 * or collects messages and anomalies, the engine's configuration and
 * inputs (key logs, keytabs, NTLM secrets), the model of report mode and
 * the report's output.  The file mode (files.c) and live capture (live.c)
 * both use it; neither includes the other. */
#include "cli.h"

#include <errno.h>
#include <glib.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "redact.h"

#define REPORT_MAX_ANOMALIES 1000
#define REPORT_MAX_MESSAGES 200000

static void separate(printer *pr)
{
	if (!pr->json && pr->items)
		fputc('\n', stdout);
	pr->items++;
}

void hs_cli_on_msg(void *ud, const hs_msg *m)
{
	printer *pr = ud;
	size_t n;
	if (pr->report) {
		if (!pr->messages)
			return;
		if (pr->messages->len >= REPORT_MAX_MESSAGES) {
			pr->messages_more++;
			return;
		}
		hs_out_reset(pr->o);
		hs_msg_describe(m, pr->o, pr->flags);
		g_ptr_array_add(pr->messages, g_strdup(hs_out_text(pr->o, NULL)));
		return;
	}
	hs_out_reset(pr->o);
	hs_msg_describe(m, pr->o, pr->flags);
	const char *s = hs_out_text(pr->o, &n);
	separate(pr);
	fwrite(s, 1, n, stdout);
	if (pr->json)
		fputc('\n', stdout);
}

void hs_cli_printer_redact(printer *pr, hs_model *model, const options *opt)
{
	if (!opt->redact)
		return;
	pr->redact = opt->redact;
	hs_out_set_filter(pr->o, hs_redact_out_filter, opt->redact);
	if (model)
		hs_model_set_chain_filter(model, hs_redact_chain_filter, opt->redact);
}

void hs_cli_print_anomaly(printer *pr, uint32_t in, uint64_t frame, const char *kind, const char *detail)
{
	if (pr->quiet)
		return;
	GString *red = NULL;
	if (pr->redact) {
		red = g_string_new(NULL);
		hs_redact_text(pr->redact, detail, strlen(detail), red);
		detail = red->str;
	}
	if (pr->report) {
		if (pr->anomalies->len >= REPORT_MAX_ANOMALIES) {
			pr->anomalies_more++;
			return;
		}
		hs_anomaly_copy a;
		memset(&a, 0, sizeof a);
		a.input = in;
		a.frame = frame;
		snprintf(a.kind, sizeof a.kind, "%s", kind);
		snprintf(a.detail, sizeof a.detail, "%s", detail);
		g_array_append_val(pr->anomalies, a);
		if (red)
			g_string_free(red, TRUE);
		return;
	}
	separate(pr);
	if (pr->json) {
		size_t n;
		hs_out_reset(pr->o);
		hs_out_begin(pr->o, NULL);
		hs_out_uint(pr->o, "input", in);
		hs_out_uint(pr->o, "frame", frame);
		hs_out_cstr(pr->o, "anomaly", kind);
		hs_out_cstr(pr->o, "detail", detail);
		hs_out_end(pr->o);
		const char *s = hs_out_text(pr->o, &n);
		fwrite(s, 1, n, stdout);
		fputc('\n', stdout);
	} else {
		fprintf(stdout, "! input %u frame %llu: %s: %s\n", in, (unsigned long long)frame, kind, detail);
	}
	if (red)
		g_string_free(red, TRUE);
}

/* The first pass of --redact-names: the message goes through the output
 * filter, which learns its names; nothing is printed. */
void hs_cli_on_learn(void *ud, const hs_msg *m)
{
	printer *pr = ud;
	hs_out_reset(pr->o);
	hs_msg_describe(m, pr->o, pr->flags);
}

void hs_cli_on_quiet_anomaly(void *ud, const hs_anomaly *a)
{
	(void)ud;
	(void)a;
}

void hs_cli_on_anomaly(void *ud, const hs_anomaly *a)
{
	/* frame 0: raised while loading --keylog / --keytab files, before any
	 * packet; the user hears of them at once, whatever the output mode */
	if (a->frame == 0)
		fprintf(stderr, "hopsniff: warning: %s (%s)\n", a->detail, a->kind);
	hs_cli_print_anomaly(ud, a->input, a->frame, a->kind, a->detail);
}

void hs_cli_engine_config(hs_config *cfg, const options *opt)
{
	hs_config_default(cfg);
	cfg->describe_flags = opt->secrets ? HS_DESCRIBE_SECRETS : 0;
	if (opt->memory_mib)
		cfg->max_total_buffer = (size_t)opt->memory_mib << 20;
	/* for the live soak (bench/soak.sh, docs/performance.md): flows that never close (their FIN not
	 * captured) are kept flow_idle_timeout (600 s), which is then the warm-up of the memory */
	const char *v = getenv("HOPSNIFF_FLOW_IDLE_SECONDS");
	if (v && atof(v) > 0)
		cfg->flow_idle_timeout = atof(v);
	/* bench/probes.sh: the same run without probes, to measure what they cost */
	cfg->no_probes = getenv("HOPSNIFF_NO_PROBES") != NULL;
	for (guint i = 0; opt->decode_as && opt->decode_as[i]; i++)
		hs_config_decode_as(cfg, opt->decode_as[i], NULL, 0); /* checked by hs_cli_decode_as_ok */
}

bool hs_cli_decode_as_ok(char **specs)
{
	hs_config c;
	hs_config_default(&c);
	char why[640];
	for (guint i = 0; specs && specs[i]; i++)
		if (hs_config_decode_as(&c, specs[i], why, sizeof why) != HS_OK) {
			fprintf(stderr, "hopsniff: -d: %s\n", why);
			return false;
		}
	return true;
}

/* --keytab FILE (repeatable): Kerberos keys that decrypt tickets,
 * authenticators and KDC replies. */
static bool load_keytabs(hs_engine *e, char **keytabs)
{
	for (guint i = 0; keytabs && keytabs[i]; i++)
		if (hs_engine_add_keytab(e, keytabs[i]) != HS_OK) {
			fprintf(stderr, "hopsniff: cannot use the keytab %s\n", hs_engine_error_detail(e));
			return false;
		}
	return true;
}

/* --ntlm-password / --nt-hash: "DOMAIN\\user:SECRET", or @FILE with one
 * such line each (so the secret stays out of the process list). */
static bool add_ntlm_spec(hs_engine *e, const char *spec, bool hash, const char *where)
{
	if (hs_engine_add_ntlm_cred(e, spec, hash) != HS_OK) {
		fprintf(stderr, "hopsniff: %s%s\n", where, hs_engine_error_detail(e));
		return false;
	}
	return true;
}

static bool load_ntlm(hs_engine *e, char **specs, bool hash)
{
	for (guint i = 0; specs && specs[i]; i++) {
		if (specs[i][0] != '@') {
			if (!add_ntlm_spec(e, specs[i], hash, ""))
				return false;
			continue;
		}
		gchar *text = NULL;
		gsize len = 0;
		GError *err = NULL;
		if (!g_file_get_contents(specs[i] + 1, &text, &len, &err)) {
			fprintf(stderr, "hopsniff: %s\n", err->message);
			g_error_free(err);
			return false;
		}
		gchar **lines = g_strsplit(text, "\n", -1);
		bool ok = true;
		char where[300];
		for (guint l = 0; ok && lines[l]; l++) {
			g_strchomp(lines[l]);
			if (!lines[l][0] || lines[l][0] == '#')
				continue;
			snprintf(where, sizeof where, "%s line %u: ", specs[i] + 1, l + 1);
			ok = add_ntlm_spec(e, lines[l], hash, where);
		}
		for (guint l = 0; lines[l]; l++)
			memset(lines[l], 0, strlen(lines[l]));
		memset(text, 0, len);
		g_strfreev(lines);
		g_free(text);
		if (!ok)
			return false;
	}
	return true;
}

/* Inputs every mode hands to its engine: --keylog FILE (repeatable), the
 * TLS secrets that decrypt HTTPS WinRM, LDAPS, CredSSP and RDP, followed as
 * they grow in live capture (a running client still writes them); then
 * --keytab FILE (repeatable). */
bool hs_cli_engine_inputs(hs_engine *e, const options *opt, bool follow)
{
	for (guint i = 0; opt->keylogs && opt->keylogs[i]; i++)
		if ((follow ? hs_engine_follow_keylog(e, opt->keylogs[i]) : hs_engine_add_keylog(e, opt->keylogs[i])) !=
		    HS_OK) {
			fprintf(stderr, "hopsniff: cannot use the key log %s\n", hs_engine_error_detail(e));
			return false;
		}
	return load_keytabs(e, opt->keytabs) && load_ntlm(e, opt->ntlm_passwords, false) &&
	       load_ntlm(e, opt->nt_hashes, true);
}

hs_model *hs_cli_report_model(hs_engine *e)
{
	hs_model_config mc;
	hs_model_config_default(&mc);
	mc.spill_after = SPILL_AFTER;
	/* for the tests and benchmarks of retirement (docs/performance.md):
	 * settle window and spill threshold of a run */
	const char *v = getenv("HOPSNIFF_SETTLE_SECONDS");
	if (v && atof(v) > 0)
		mc.settle_ns = (int64_t)(atof(v) * 1e9);
	v = getenv("HOPSNIFF_SPILL_AFTER");
	if (v && atoi(v) > 0)
		mc.spill_after = (size_t)atoi(v);
	hs_model *m = hs_model_new(&mc);
	if (m)
		hs_model_set_budget(m, e);
	return m;
}

static void write_piece(void *ud, const char *s, size_t n)
{
	fwrite(s, 1, n, ud);
}

/* The report of a finished model to stdout (text or --json) and --html;
 * the exit status of report-contract.md. */
int hs_cli_report_out(const printer *pr, const hs_report_input *ri, size_t n, const hs_model *model,
		      const hs_stats *st, const options *opt)
{
	int status = EXIT_OK;
	hs_report rep = { ri, n, model, st, (const hs_anomaly_copy *)(void *)pr->anomalies->data,
			  pr->anomalies->len, pr->anomalies_more, pr->messages, NULL, NULL };
	GString *out = g_string_sized_new(8192);
	rep.write = write_piece; /* in pieces: a report of many chains is never whole in memory */
	rep.write_ud = stdout;
	if (opt->json)
		hs_report_json(&rep, out);
	else
		hs_report_text(&rep, out, isatty(1));
	if (opt->html) {
		FILE *f = fopen(opt->html, "w");
		if (!f) {
			fprintf(stderr, "hopsniff: %s: %s\n", opt->html, strerror(errno));
			status = EXIT_USAGE;
		} else {
			rep.write_ud = f;
			hs_report_html(&rep, out);
			bool ok = !ferror(f);
			if ((fclose(f) != 0) || !ok) {
				fprintf(stderr, "hopsniff: %s: write error\n", opt->html);
				status = EXIT_USAGE;
			}
		}
	}
	g_string_free(out, TRUE);
	return status == EXIT_OK ? hs_report_exit_status(model) : status;
}
