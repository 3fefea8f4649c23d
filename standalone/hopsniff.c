/* hopsniff.c - the `hopsniff` command: reads captures with libpcap, feeds
 * the shared decoder (libhsdecoder) and prints what it reports.  No protocol
 * logic lives here. */
#include <errno.h>
#include <glib.h>
#include <pcap/pcap.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "anomalies.h"
#include "cli.h"
#include "hs.h"
#include "input.h"
#include "pcapng.h"
#include "live.h"
#include "model.h"
#include "progress.h"
#include "redact.h"
#include "report.h"

typedef struct input {
	const char *path;
	hs_input *in;
	uint64_t frame;            /* the current packet's number: the file's record number (pcap, pcapng), or
				    * packets read so far (ETL: recorded drops are not frames) */
	uint64_t packets;          /* packets fed */
	hs_input_pkt pkt;          /* current record (valid until the next read of this input) */
	bool has;                  /* pkt holds a record not fed yet */
	bool has_ts;
	bool fatal;                /* the input is unusable as a whole: no report */
	int64_t first_ns, last_ns;
} input;

#define REPORT_MAX_ANOMALIES 1000
#define REPORT_MAX_MESSAGES 200000

static void separate(printer *pr)
{
	if (!pr->json && pr->items)
		fputc('\n', stdout);
	pr->items++;
}

void on_msg(void *ud, const hs_msg *m)
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

void printer_redact(printer *pr, hs_model *model, const options *opt)
{
	if (!opt->redact)
		return;
	pr->redact = opt->redact;
	hs_out_set_filter(pr->o, hs_redact_out_filter, opt->redact);
	if (model)
		hs_model_set_redactor(model, opt->redact);
}

static void print_anomaly(printer *pr, uint32_t in, uint64_t frame, const char *kind, const char *detail)
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
static void on_learn(void *ud, const hs_msg *m)
{
	printer *pr = ud;
	hs_out_reset(pr->o);
	hs_msg_describe(m, pr->o, pr->flags);
}

static void on_quiet_anomaly(void *ud, const hs_anomaly *a)
{
	(void)ud;
	(void)a;
}

void on_anomaly(void *ud, const hs_anomaly *a)
{
	/* frame 0: raised while loading --keylog / --keytab files, before any
	 * packet; the user hears of them at once, whatever the output mode */
	if (a->frame == 0)
		fprintf(stderr, "hopsniff: warning: %s (%s)\n", a->detail, a->kind);
	print_anomaly(ud, a->input, a->frame, a->kind, a->detail);
}

static void show_drop(input *in, uint32_t idx, printer *pr)
{
	char detail[256];
	const hs_input_pkt *p = &in->pkt;
	snprintf(detail, sizeof detail,
		 "%s: after frame %llu pktmon recorded a drop at component %u (%s, reason %u, location 0x%08x, %u bytes): "
		 "not decoded as traffic", in->path, (unsigned long long)in->frame, p->component,
		 p->direction == 4 ? "Tx" : p->direction == 3 ? "Rx" : "direction ?", p->drop_reason, p->drop_location,
		 p->wirelen);
	pr->cli_anomalies++;
	print_anomaly(pr, idx, in->frame, hs_anom_name(HS_ANOM_RECORDED_DROP), detail);
}

/* Read the next record of in; false at its end (or on a read error, which
 * is reported as an anomaly: what was read before stays decoded; or, for
 * an input whose error makes it unusable as a whole, exit status 2).
 * Drops the capture tool recorded are shown, never fed. */
static bool advance(input *in, uint32_t idx, printer *pr, int *status)
{
	for (;;) {
		int r = hs_input_next(in->in, &in->pkt);
		if (r == 1) {
			if (in->pkt.drop) { /* not a frame: numbers follow the packets, as in -w's pcapng */
				show_drop(in, idx, pr);
				continue;
			}
			/* frame numbers are the file's own (Wireshark's), folded copies counted */
			in->frame = in->pkt.record ? in->pkt.record : in->frame + 1;
			in->packets++;
			in->has = true;
			if (!in->has_ts)
				in->first_ns = in->pkt.ts_ns;
			in->has_ts = true;
			in->last_ns = in->pkt.ts_ns;
			return true;
		}
		in->has = false;
		if (r < 0 && hs_input_fatal(in->in)) {
			if (!pr->quiet)
				fprintf(stderr, "hopsniff: %s: %s\n", in->path, hs_input_error(in->in));
			in->fatal = true;
			*status = EXIT_USAGE;
		} else if (r < 0) {
			const char *err = hs_input_error(in->in);
			bool trunc = strstr(err, "truncated") != NULL;
			char detail[512];
			snprintf(detail, sizeof detail,
				 "%s: record %llu %s (libpcap: %s); the %llu records before it were decoded", in->path,
				 (unsigned long long)in->frame + 1, trunc ? "is truncated" : "is corrupt", err,
				 (unsigned long long)in->frame);
			pr->cli_anomalies++;
			print_anomaly(pr, idx, in->frame + 1, hs_anom_name(trunc ? HS_ANOM_TRUNCATED_CAPTURE : HS_ANOM_CORRUPT_CAPTURE),
				      detail);
			if (in->frame == 0) {
				if (!pr->quiet)
					fprintf(stderr, "hopsniff: %s: no readable record (%s)\n", in->path, err);
				*status = EXIT_USAGE;
			}
		}
		return false;
	}
}

/* -w in file mode: each input's link types become interfaces of one pcapng;
 * a packet that stands for several copies pktmon logged says so. */
typedef struct writer {
	hs_pcapng_out w;
	GHashTable *iface; /* input << 16 | linktype -> interface id + 1 */
	bool on;
} writer;

static void write_packet(writer *wr, uint32_t idx, const input *in)
{
	const hs_input_pkt *p = &in->pkt;
	gpointer key = GUINT_TO_POINTER(idx << 16 | (uint32_t)(p->linktype & 0xffff));
	guint id = GPOINTER_TO_UINT(g_hash_table_lookup(wr->iface, key));
	if (!id) {
		char name[512], comment[600];
		const char *lt = pcap_datalink_val_to_name(p->linktype);
		snprintf(name, sizeof name, "%s", in->path);
		snprintf(comment, sizeof comment, "input %u: %s (%s), link type %d (%s)", idx, in->path,
			 hs_input_format(in->in), p->linktype, lt ? lt : "?");
		int r = hs_pcapng_add_interface(&wr->w, p->linktype, 262144, name, comment, true);
		if (r < 0)
			return;
		id = (guint)r + 1;
		g_hash_table_insert(wr->iface, key, GUINT_TO_POINTER(id));
	}
	char comment[300] = "";
	if (p->pktmon && p->copies > 1)
		snprintf(comment, sizeof comment,
			 "pktmon logged %u copies; kept the one closest to the wire: component %u, edge %u, appearance %u, %s%s",
			 p->copies, p->component, p->edge, p->appearance,
			 p->direction == 4 ? "Tx" : p->direction == 3 ? "Rx" : "direction ?",
			 p->unprotected ? "; 802.11 Protected flag cleared (Windows logged the frame decrypted)" : "");
	hs_pcapng_packet(&wr->w, id - 1, (uint64_t)p->ts_ns, p->data, p->caplen, p->wirelen, comment);
}

/* "EN10MB (1), ..." from the decoder's own answer, so it cannot drift. */
static void supported_list(char *buf, size_t n)
{
	size_t at = 0;
	buf[0] = 0;
	for (int dlt = 0; dlt < 300 && at < n; dlt++) {
		if (!hs_linktype_supported(dlt))
			continue;
		const char *name = pcap_datalink_val_to_name(dlt);
		if (!name)
			continue; /* LINKTYPE_RAW (101): libpcap reports it as DLT_RAW (12) */
		int w = snprintf(buf + at, n - at, "%s%s (%d)", at ? ", " : "", name, dlt);
		if (w < 0)
			break;
		at += (size_t)w;
	}
}

static bool open_input(input *in, bool all_copies)
{
	char err[512];
	in->in = hs_input_open(in->path, all_copies, err, sizeof err);
	if (!in->in) {
		fprintf(stderr, "hopsniff: %s: %s\n", in->path, err);
		return false;
	}
	int linktype = hs_input_linktype(in->in);
	if (linktype >= 0 && !hs_linktype_supported(linktype)) {
		const char *name = pcap_datalink_val_to_name(linktype);
		char user[16], list[512];
		if (!name && linktype >= 147 && linktype <= 162) {
			/* DLT_USER0..15: private use, unnamed by libpcap */
			snprintf(user, sizeof user, "USER%d", linktype - 147);
			name = user;
		}
		supported_list(list, sizeof list);
		fprintf(stderr, "hopsniff: %s: link type %d (%s) is not supported; supported: %s\n", in->path, linktype,
			name ? name : "unknown", list);
		return false;
	}
	return true;
}

void engine_config(hs_config *cfg, const options *opt)
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
		hs_config_decode_as(cfg, opt->decode_as[i], NULL, 0); /* checked by decode_as_ok */
}

bool decode_as_ok(char **specs)
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
bool engine_inputs(hs_engine *e, const options *opt, bool follow)
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

/* Bytes of the captures read so far, for the progress display (input.h;
 * a finished input counts whole). */
static uint64_t bytes_read(const input *in, guint n)
{
	uint64_t at = 0;
	for (guint i = 0; i < n; i++)
		at += in[i].has ? hs_input_consumed(in[i].in) : hs_input_size(in[i].in);
	return at;
}

bool write_file(const char *path, const GString *s)
{
	FILE *f = fopen(path, "w");
	if (!f) {
		fprintf(stderr, "hopsniff: %s: %s\n", path, strerror(errno));
		return false;
	}
	bool ok = fwrite(s->str, 1, s->len, f) == s->len;
	ok = (fclose(f) == 0) && ok;
	if (!ok)
		fprintf(stderr, "hopsniff: %s: write error\n", path);
	return ok;
}

hs_model *report_model(hs_engine *e)
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
int report_out(const printer *pr, const hs_report_input *ri, size_t n, const hs_model *model, const hs_stats *st,
	       const options *opt)
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

static int run(char **files, const options *opt)
{
	guint n = files ? g_strv_length(files) : 0;
	if (n == 0) {
		fprintf(stderr, "hopsniff: no capture given; use -r FILE (see hopsniff --help)\n");
		return EXIT_USAGE;
	}
	input *in = g_new0(input, n);
	int status = EXIT_OK;
	for (guint i = 0; i < n; i++) {
		in[i].path = files[i];
		bool twice = false;
		for (guint j = 0; j < i && strcmp(files[i], "-") == 0; j++)
			twice = twice || strcmp(files[j], "-") == 0;
		if (twice)
			fprintf(stderr, "hopsniff: -r - (standard input) is given twice\n");
		if (twice || !open_input(&in[i], opt->etl_all_copies)) {
			for (guint j = 0; j <= i; j++)
				hs_input_close(in[j].in);
			g_free(in);
			return EXIT_USAGE;
		}
	}

	writer wr = { .on = opt->write != NULL };
	if (wr.on) {
		if (!hs_pcapng_open(&wr.w, opt->write)) {
			for (guint i = 0; i < n; i++)
				hs_input_close(in[i].in);
			g_free(in);
			return EXIT_USAGE;
		}
		wr.iface = g_hash_table_new(NULL, NULL);
	}

	hs_config cfg;
	engine_config(&cfg, opt);
	hs_engine *e = hs_engine_new(&cfg);
	hs_model *model = opt->report && e ? report_model(e) : NULL;
	printer pr = { hs_out_new(opt->json || opt->report ? HS_OUT_JSON : HS_OUT_TEXT), opt->json, cfg.describe_flags, 0, 0,
		       opt->report, NULL, 0, NULL, 0, NULL, opt->learn_only };
	if (opt->report)
		pr.anomalies = g_array_new(FALSE, TRUE, sizeof(hs_anomaly_copy));
	printer_redact(&pr, model, opt);
	/* the anomaly sink first: loading the key files raises anomalies */
	if (e)
		hs_engine_set_anomaly_sink(e, opt->learn_only ? on_quiet_anomaly : on_anomaly, &pr);
	if (!e || (opt->report && !model) || !engine_inputs(e, opt, false)) {
		if (!e || (opt->report && !model))
			fprintf(stderr, "hopsniff: out of memory\n");
		hs_engine_free(e);
		hs_model_free(model);
		hs_out_free(pr.o);
		if (pr.anomalies)
			g_array_free(pr.anomalies, TRUE);
		for (guint i = 0; i < n; i++)
			hs_input_close(in[i].in);
		g_free(in);
		if (wr.on) {
			hs_pcapng_close(&wr.w);
			g_hash_table_destroy(wr.iface);
		}
		return EXIT_USAGE;
	}
	if (opt->learn_only) {
		hs_engine_add_msg_sink(e, on_learn, &pr);
	} else {
		if (opt->report) {
			if (opt->messages)
				pr.messages = g_ptr_array_new_with_free_func(g_free);
			hs_engine_add_msg_sink(e, hs_model_sink, model);
		}
		if (!opt->report || opt->messages)
			hs_engine_add_msg_sink(e, on_msg, &pr);
	}

	/* a progress line on a terminal, for work worth waiting for */
	uint64_t total = 0, fed = 0;
	for (guint i = 0; i < n; i++)
		total += hs_input_size(in[i].in);
	hs_progress *prog = hs_progress_new(opt->progress, opt->json, !opt->report && isatty(1), total);

	bool fatal = false;
	for (guint i = 0; i < n; i++) {
		advance(&in[i], i, &pr, &status);
		fatal = fatal || in[i].fatal;
	}
	/* k-way merge by timestamp; ties go to the lower input number, so the
	 * order is stable and each input keeps its own record order. */
	for (;;) {
		int best = -1;
		for (guint i = 0; i < n; i++)
			if (in[i].has && (best < 0 || in[i].pkt.ts_ns < in[best].pkt.ts_ns))
				best = (int)i;
		if (best < 0 || fatal)
			break;
		input *c = &in[best];
		hs_frame f = {
			.input = (uint32_t)best,
			.frame = c->frame,
			.ts_sec = c->pkt.ts_sec,
			.ts_nsec = c->pkt.ts_nsec,
			.linktype = c->pkt.linktype,
			.data = c->pkt.data,
			.caplen = c->pkt.caplen,
			.wirelen = c->pkt.wirelen,
		};
		hs_engine_feed(e, &f);
		if (wr.on)
			write_packet(&wr, (uint32_t)best, c);
		advance(c, (uint32_t)best, &pr, &status);
		fatal = c->fatal;
		if ((++fed & 0x3ff) == 0)
			hs_progress_update(prog, bytes_read(in, n), fed, model);
	}
	hs_engine_finish(e);
	hs_progress_update(prog, bytes_read(in, n), fed, NULL);

	if (wr.on) {
		if (!hs_pcapng_close(&wr.w))
			status = EXIT_USAGE;
		else
			fprintf(stderr, "hopsniff: %s: %llu packets saved (pcapng)\n", opt->write,
				(unsigned long long)wr.w.packets);
		g_hash_table_destroy(wr.iface);
	}
	const hs_stats *st = hs_engine_stats(e);
	for (guint i = 0; i < n; i++) {
		const hs_input_stats *is = hs_input_stats_get(in[i].in);
		if (!opt->learn_only && !in[i].fatal && (is->folded || is->drops || strncmp(hs_input_format(in[i].in), "etl", 3) == 0))
			fprintf(stderr, "hopsniff: %s (%s): %llu packets, %llu copies folded%s, %llu recorded drops (not traffic), "
				"%llu truncated by the capture tool\n", in[i].path, hs_input_format(in[i].in),
				(unsigned long long)in[i].packets, (unsigned long long)is->folded,
				opt->etl_all_copies ? " (--etl-all-copies: none)" : "", (unsigned long long)is->drops,
				(unsigned long long)is->truncated);
	}
	if (opt->report && !fatal && !opt->learn_only) {
		hs_model_finish(model, opt->redact_names);
		hs_progress_done(prog, bytes_read(in, n), fed, model);
		prog = NULL;
		hs_report_input *ri = g_new0(hs_report_input, n);
		for (guint i = 0; i < n; i++) {
			ri[i].file = in[i].path;
			ri[i].packets = in[i].packets;
			ri[i].has_ts = in[i].has_ts;
			ri[i].first_sec = in[i].first_ns / 1000000000LL;
			ri[i].first_nsec = (uint32_t)(in[i].first_ns % 1000000000LL);
			ri[i].last_sec = in[i].last_ns / 1000000000LL;
			ri[i].last_nsec = (uint32_t)(in[i].last_ns % 1000000000LL);
		}
		int rs = report_out(&pr, ri, n, model, st, opt);
		g_free(ri);
		if (status == EXIT_OK)
			status = rs;
	}
	hs_progress_done(prog, bytes_read(in, n), fed, NULL);
	fflush(stdout);

	uint64_t packets = st->packets;
	if ((!opt->report || isatty(2)) && !opt->learn_only)
		fprintf(stderr,
			"hopsniff: %llu packets (%llu bytes) from %u input%s, %llu flows, %llu messages, %llu anomalies, "
			"%llu tcp gaps, %llu dropped, %llu cap hits, %llu undecodable, peak buffered %zu bytes\n",
			(unsigned long long)packets, (unsigned long long)st->bytes, n, n == 1 ? "" : "s",
			(unsigned long long)st->flows, (unsigned long long)st->decoded_messages,
			(unsigned long long)(st->anomalies + pr.cli_anomalies), (unsigned long long)st->tcp_gaps,
			(unsigned long long)st->dropped, (unsigned long long)st->cap_hits,
			(unsigned long long)st->undecodable, st->peak_buffered_bytes);

	hs_engine_free(e);
	hs_model_free(model);
	hs_out_free(pr.o);
	if (pr.anomalies)
		g_array_free(pr.anomalies, TRUE);
	if (pr.messages)
		g_ptr_array_free(pr.messages, TRUE);
	for (guint i = 0; i < n; i++)
		hs_input_close(in[i].in);
	g_free(in);
	return status;
}

/* Regular files only: they can be read a second time. */
static bool rereadable(char **files)
{
	struct stat st;
	for (guint i = 0; files && files[i]; i++)
		if (!strcmp(files[i], "-") || stat(files[i], &st) != 0 || !S_ISREG(st.st_mode))
			return false;
	return true;
}

static const char *summary =
	"hopsniff -r FILE [-r FILE ...] [--keylog FILE ...] [--keytab FILE ...] [--json] [--messages] [--html FILE]\n"
	"         [--redact-names] [--show-secrets] [--memory-limit MIB] [--progress | --no-progress] [-w FILE]\n"
	"         [--etl-all-copies] [-d tcp.port==PORT,NAME ...]\n"
	"  Report mode: correlates each WinRM first hop (client -> server1) with the second hop it\n"
	"  caused (server1 -> server2: SMB, LDAP, WinRM, RPC, SQL, or the KDC) and explains the\n"
	"  delegation: method, verdict, cause, explanation, remedies, evidence frames.\n"
	"  Several -r are merged by timestamp (client1 + srv1 + DC captures make one chain).\n"
	"  -r takes pcap, pcapng, Windows ETL traces (pktmon, netsh trace) and gzip of any, from a\n"
	"  file, a FIFO or standard input (-r -).  pktmon's copies of a packet are folded into the\n"
	"  one closest to the wire (--etl-all-copies keeps them); drops it recorded are listed apart.\n"
	"  -w FILE: also write the packets read as pcapng (an ETL becomes a capture Wireshark opens).\n"
	"  --json: the report as JSON (docs/report.schema.json); --messages adds every decoded message.\n"
	"  --html FILE: also write a self-contained HTML report with a sequence diagram.\n"
	"  --redact-names (also decode): user, host and domain names become stable pseudonyms\n"
	"  (user1, host1 ...) in every output, inside SOAP and command text too; the files are\n"
	"  read twice (the first time to learn the names).\n"
	"  Secrets (tickets, keys, NTLM responses, passwords) are never shown unless --show-secrets.\n"
	"  --memory-limit MIB (all modes): the budget of flows, parser states, TCP buffers and\n"
	"  the correlation model's tables (default 256); beyond it the least recently active flows\n"
	"  are evicted and the model settles its oldest sessions early (memory_cap).\n"
	"  --keylog FILE (all modes, repeatable): an SSLKEYLOGFILE-format key log that decrypts\n"
	"  TLS (WinRM over HTTPS 5986, CredSSP over HTTP and RDP NLA on 3389).\n"
	"  Services on other ports (WinRM on 443 or a port of its own, SQL on a named instance's\n"
	"  port ...) are found by their first bytes: TLS, HTTP, Kerberos, SMB, LDAP, TDS, RDP, RPC;\n"
	"  HTTP inside TLS too (with --keylog).  -d tcp.port==PORT,NAME (all modes, repeatable)\n"
	"  names what content cannot tell, e.g. -d tcp.port==8443,winrm-https without a key log.\n"
	"  --keytab FILE (all modes, repeatable): an MIT keytab (ktutil, samba-tool domain\n"
	"  exportkeytab, ktpass) whose keys decrypt Kerberos tickets, authenticators and KDC\n"
	"  replies: the ticket's user and flags, the delegation flag and forwarded TGT, and\n"
	"  the WinRM bodies sealed with Kerberos (the service's keytab).\n"
	"  --ntlm-password 'DOMAIN\\user:PASSWORD', --nt-hash 'DOMAIN\\user:HEX' (all modes,\n"
	"  repeatable; @FILE reads one per line): open WinRM bodies sealed with NTLM.\n"
	"  Reading files, a progress line (bytes, packets, rate, chains, ETA) shows on stderr\n"
	"  when it is a terminal and the work lasts over 1.5 s, unless --json; --progress shows\n"
	"  it always, --no-progress never.\n"
	"\n"
	"hopsniff -i IFACE [-f EXPR | --rpc-dynamic | --all-tcp] [-c COUNT] [--duration SECONDS]\n"
	"         [-w FILE.pcapng] [--settle SECONDS] [--keylog FILE ...] [--keytab FILE ...]\n"
	"         [-d tcp.port==PORT,NAME ...] [report options]\n"
	"  Live capture (root, or CAP_NET_RAW + CAP_NET_ADMIN): the report mode on an interface\n"
	"  (\"any\": all).  Each chain's verdict is printed once no new message came for --settle\n"
	"  seconds, and again as \"revised\" when later packets change it (with --json: on stderr).\n"
	"  Stops on Ctrl-C, SIGTERM, -c or --duration, then prints a summary (chains, packets,\n"
	"  bytes, the kernel's dropped packets) and the report.  The default filter covers the\n"
	"  decoded ports (Kerberos 88, WinRM 5985/5986, SMB 445, LDAP 389/636/3268, RPC 135,\n"
	"  MS-SQL 1433, RDP 3389 ...) and those of -d, VLAN-tagged traffic and IP fragments:\n"
	"  services on other ports need --all-tcp or -f EXPR (--print-filter says so).  -w saves the\n"
	"  analysed packets as pcapng; --keylog files are re-read as the client appends to them.\n"
	"  --list-interfaces lists the interfaces.\n"
	"\n"
	"hopsniff decode -r FILE [-r FILE ...] [--keylog FILE ...] [--keytab FILE ...] [--ntlm-password ...] [--json]\n"
	"         [--show-secrets] [--redact-names] [--memory-limit MIB] [-w FILE] [--etl-all-copies]\n"
	"         [-d tcp.port==PORT,NAME ...]\n"
	"  Prints every decoded authentication message, one readable block each, or with --json\n"
	"  one JSON object per line; anomalies too (text: lines starting with \"! \").\n"
	"  Input numbers follow the order of -r from 0; frame numbers count from 1 in each input.\n"
	"\n"
	"Exit status: 0 no failed delegation found, 1 at least one chain failed (report mode),\n"
	"2 usage or input error.";

/* The option strings of --ntlm-password / --nt-hash, wiped before freed. */
static void free_secrets(gchar **a, gchar **b)
{
	for (gchar **v = a; v && *v; v++)
		memset(*v, 0, strlen(*v));
	for (gchar **v = b; v && *v; v++)
		memset(*v, 0, strlen(*v));
	g_strfreev(a);
	g_strfreev(b);
}

int main(int argc, char **argv)
{
	gchar **files = NULL, **keylogs = NULL, **keytabs = NULL, **ntlm_pw = NULL, **nt_hash = NULL;
	gboolean json = FALSE, secrets = FALSE, version = FALSE, messages = FALSE, redact = FALSE, all_copies = FALSE;
	gboolean progress_on = FALSE, progress_off = FALSE;
	gchar *html = NULL;
	gint memory_mib = 0;
	g_auto(GStrv) decode_as = NULL;
	GString *names = g_string_new(NULL); /* -d's names are the decoder's (decode_as.c) */
	for (size_t i = 0; hs_decode_as_name(i); i++)
		g_string_append_printf(names, "%s%s", i ? ", " : "", hs_decode_as_name(i));
	g_autofree gchar *das_help = g_strdup_printf("Decode a port's flows as NAME, as tshark -d (NAME: %s); "
						     "repeatable", names->str);
	g_string_free(names, TRUE);
	GOptionEntry entries[] = {
		{ "read", 'r', 0, G_OPTION_ARG_FILENAME_ARRAY, &files, "Capture to read (pcap, pcapng, Windows ETL, gzip of any; - standard input); repeatable", "FILE" },
		{ "etl-all-copies", 0, 0, G_OPTION_ARG_NONE, &all_copies, "Keep every copy pktmon logged of a packet (default: the one closest to the wire)", NULL },
		{ "decode-as", 'd', 0, G_OPTION_ARG_STRING_ARRAY, &decode_as, das_help, "tcp.port==PORT,NAME" },
		{ "keylog", 0, 0, G_OPTION_ARG_FILENAME_ARRAY, &keylogs, "TLS key log (SSLKEYLOGFILE format) to decrypt TLS; repeatable", "FILE" },
		{ "keytab", 0, 0, G_OPTION_ARG_FILENAME_ARRAY, &keytabs, "Kerberos keytab (MIT format) to decrypt tickets; repeatable", "FILE" },
		{ "ntlm-password", 0, 0, G_OPTION_ARG_STRING_ARRAY, &ntlm_pw, "NTLM user's password, opens NTLM-sealed WinRM; repeatable, @FILE", "'DOMAIN\\user:PASSWORD'" },
		{ "nt-hash", 0, 0, G_OPTION_ARG_STRING_ARRAY, &nt_hash, "NTLM user's NT hash (hex), as --ntlm-password; repeatable, @FILE", "'DOMAIN\\user:HEX'" },
		{ "json", 0, 0, G_OPTION_ARG_NONE, &json, "One JSON object per line (NDJSON) instead of readable blocks", NULL },
		{ "show-secrets", 0, 0, G_OPTION_ARG_NONE, &secrets, "Include secret material (ticket enc-parts, NTLM responses ...)", NULL },
		{ "messages", 0, 0, G_OPTION_ARG_NONE, &messages, "Report: add every decoded message (with --json)", NULL },
		{ "html", 0, 0, G_OPTION_ARG_FILENAME, &html, "Report: also write a self-contained HTML report to FILE", "FILE" },
		{ "redact-names", 0, 0, G_OPTION_ARG_NONE, &redact, "Replace user, host and domain names by stable pseudonyms in every output", NULL },
		{ "memory-limit", 0, 0, G_OPTION_ARG_INT, &memory_mib,
		  "Memory budget of flows, parser states, stream buffers and the correlation model in MiB (default "
		  "256); least recently active flows are evicted and the oldest sessions settled early beyond it", "MIB" },
		{ "progress", 0, 0, G_OPTION_ARG_NONE, &progress_on, "Show the progress line even in a pipe or with --json", NULL },
		{ "no-progress", 0, 0, G_OPTION_ARG_NONE, &progress_off, "Never show the progress line", NULL },
		{ "version", 'V', 0, G_OPTION_ARG_NONE, &version, "Print the version and exit", NULL },
		{ NULL, 0, 0, 0, NULL, NULL, NULL }
	};
	hs_live_cli live;
	memset(&live, 0, sizeof live);
	g_auto(GStrv) given = g_strdupv(argv); /* for hs_live_exec_helper: parsing changes argv */
	bool decode = argc > 1 && strcmp(argv[1], "decode") == 0;
	if (decode) {
		argv[1] = argv[0];
		argv++;
		argc--;
	} else if (argc > 1 && argv[1][0] != '-') {
		fprintf(stderr, "hopsniff: unknown command '%s' (commands: decode; see hopsniff --help)\n", argv[1]);
		return EXIT_USAGE;
	}
	GOptionContext *ctx = g_option_context_new(decode ? "- print decoded messages" : "[decode] -r FILE ... | -i IFACE");
	g_option_context_set_summary(ctx, summary);
	g_option_context_add_main_entries(ctx, entries, NULL);
	g_option_context_add_main_entries(ctx, hs_live_option_entries(&live), NULL);
	GError *err = NULL;
	if (!g_option_context_parse(ctx, &argc, &argv, &err)) {
		fprintf(stderr, "hopsniff: %s (see hopsniff %s--help)\n", err->message, decode ? "decode " : "");
		g_error_free(err);
		g_option_context_free(ctx);
		return EXIT_USAGE;
	}
	g_option_context_free(ctx);
	if (version) {
		printf("hopsniff %s (%s)\n", HS_VERSION, pcap_lib_version());
		g_strfreev(files);
		g_strfreev(keylogs);
		g_strfreev(keytabs);
		free_secrets(ntlm_pw, nt_hash);
		return EXIT_OK;
	}
	bool rules_ok = decode_as_ok(decode_as);
	if (!rules_ok || memory_mib < 0 || (memory_mib > 0 && memory_mib < 8) || memory_mib > (1 << 20)) {
		if (rules_ok)
			fprintf(stderr, "hopsniff: --memory-limit %d: give MiB between 8 and 1048576\n", memory_mib);
		g_strfreev(files);
		g_strfreev(keylogs);
		g_strfreev(keytabs);
		g_free(html);
		return EXIT_USAGE;
	}
	if (argc > 1) {
		fprintf(stderr, "hopsniff: unexpected argument '%s' (captures are given with -r FILE)\n", argv[1]);
		g_strfreev(files);
		g_strfreev(keylogs);
		g_strfreev(keytabs);
		free_secrets(ntlm_pw, nt_hash);
		return EXIT_USAGE;
	}
	if (hs_live_requested(&live)) {
		if (live.iface)
			hs_live_exec_helper(given);
		options opt = { .report = true, .json = json, .secrets = secrets, .messages = messages,
				.redact_names = redact, .html = html, .keylogs = keylogs, .keytabs = keytabs,
				.progress = HS_PROGRESS_OFF, .ntlm_passwords = ntlm_pw, .nt_hashes = nt_hash,
				.memory_mib = (unsigned)memory_mib, .redact = redact ? hs_redact_new() : NULL,
				.decode_as = decode_as };
		int rc = hs_live_main(&live, &opt, files != NULL, decode);
		hs_redact_free(opt.redact);
		g_strfreev(files);
		g_strfreev(keylogs);
		g_strfreev(keytabs);
		free_secrets(ntlm_pw, nt_hash);
		g_free(html);
		return rc;
	}
	if (!files) {
		fprintf(stderr, "hopsniff: nothing to do; give a capture with -r FILE (hopsniff --help)\n");
		g_free(live.write);
		g_free(html);
		return EXIT_USAGE;
	}
	if (decode && (messages || html)) {
		fprintf(stderr, "hopsniff: --messages and --html belong to the report mode (hopsniff -r FILE)\n");
		g_free(live.write);
		g_strfreev(files);
		g_strfreev(keylogs);
		g_strfreev(keytabs);
		free_secrets(ntlm_pw, nt_hash);
		g_free(html);
		return EXIT_USAGE;
	}
	static char outbuf[1 << 16];
	setvbuf(stdout, outbuf, _IOFBF, sizeof outbuf);
	if (progress_on && progress_off) {
		fprintf(stderr, "hopsniff: --progress and --no-progress exclude each other\n");
		g_strfreev(files);
		g_strfreev(keylogs);
		g_strfreev(keytabs);
		g_free(html);
		free_secrets(ntlm_pw, nt_hash);
		return EXIT_USAGE;
	}
	options opt = { .report = !decode, .json = json, .secrets = secrets, .messages = messages,
			.redact_names = redact, .html = html, .keylogs = keylogs, .keytabs = keytabs,
			.progress = progress_on ? HS_PROGRESS_ON : progress_off ? HS_PROGRESS_OFF : HS_PROGRESS_AUTO,
			.etl_all_copies = all_copies, .write = live.write, .ntlm_passwords = ntlm_pw, .nt_hashes = nt_hash,
			.memory_mib = (unsigned)memory_mib, .decode_as = decode_as };
	int rc = EXIT_OK;
	if (redact)
		opt.redact = hs_redact_new();
	if (redact && rereadable(files)) {
		/* --redact-names: a first pass learns every name of the inputs, so
		 * that a name is replaced from its first appearance on (a pipe
		 * cannot be read twice: its names are learnt as they come) */
		options learn = opt;
		learn.learn_only = true;
		learn.report = false;
		learn.write = NULL;
		learn.progress = HS_PROGRESS_OFF;
		rc = run(files, &learn);
	}
	if (rc == EXIT_OK)
		rc = run(files, &opt);
	hs_redact_free(opt.redact);
	g_free(live.write);
	g_strfreev(files);
	g_strfreev(keylogs);
	g_strfreev(keytabs);
	free_secrets(ntlm_pw, nt_hash);
	g_free(html);
	return rc;
}
