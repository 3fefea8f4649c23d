/* files.c - the file mode of the command (`hopsniff -r FILE ...` and
 * `hopsniff decode`): opens each input (input.h), merges their packets by
 * timestamp into one engine, writes -w's pcapng, and prints or reports
 * through the printer of cli.h.  No protocol logic here. */
#include "files.h"

#include <glib.h>
#include <pcap/pcap.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "anomalies.h"
#include "hs.h"
#include "input.h"
#include "pcapng_write.h"

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
	hs_cli_print_anomaly(pr, idx, in->frame, hs_anom_name(HS_ANOM_RECORDED_DROP), detail);
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
			hs_cli_print_anomaly(pr, idx, in->frame + 1,
					     hs_anom_name(trunc ? HS_ANOM_TRUNCATED_CAPTURE : HS_ANOM_CORRUPT_CAPTURE), detail);
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

/* Bytes of the captures read so far, for the progress display (input.h;
 * a finished input counts whole). */
static uint64_t bytes_read(const input *in, guint n)
{
	uint64_t at = 0;
	for (guint i = 0; i < n; i++)
		at += in[i].has ? hs_input_consumed(in[i].in) : hs_input_size(in[i].in);
	return at;
}

int hs_files_run(char **files, const options *opt)
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
	hs_cli_engine_config(&cfg, opt);
	hs_engine *e = hs_engine_new(&cfg);
	hs_model *model = opt->report && e ? hs_cli_report_model(e) : NULL;
	printer pr = { hs_out_new(opt->json || opt->report ? HS_OUT_JSON : HS_OUT_TEXT), opt->json, cfg.describe_flags, 0, 0,
		       opt->report, NULL, 0, NULL, 0, NULL, opt->learn_only };
	if (opt->report)
		pr.anomalies = g_array_new(FALSE, TRUE, sizeof(hs_anomaly_copy));
	hs_cli_printer_redact(&pr, model, opt);
	/* the anomaly sink first: loading the key files raises anomalies */
	if (e)
		hs_engine_set_anomaly_sink(e, opt->learn_only ? hs_cli_on_quiet_anomaly : hs_cli_on_anomaly, &pr);
	if (!e || (opt->report && !model) || !hs_cli_engine_inputs(e, opt, false)) {
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
		hs_engine_add_msg_sink(e, hs_cli_on_learn, &pr);
	} else {
		if (opt->report) {
			if (opt->messages)
				pr.messages = g_ptr_array_new_with_free_func(g_free);
			hs_engine_add_msg_sink(e, hs_model_sink, model);
		}
		if (!opt->report || opt->messages)
			hs_engine_add_msg_sink(e, hs_cli_on_msg, &pr);
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
		hs_model_finish(model);
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
		int rs = hs_cli_report_out(&pr, ri, n, model, st, opt);
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
bool hs_files_rereadable(char **files)
{
	struct stat st;
	for (guint i = 0; files && files[i]; i++)
		if (!strcmp(files[i], "-") || stat(files[i], &st) != 0 || !S_ISREG(st.st_mode))
			return false;
	return true;
}
