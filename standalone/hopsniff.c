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

#include "hs.h"

#define EXIT_OK 0
#define EXIT_USAGE 2

typedef struct input {
	const char *path;
	pcap_t *p;
	int linktype;
	uint64_t frame;            /* records read so far */
	struct pcap_pkthdr *h;     /* current record (valid until the next read of this input) */
	const u_char *data;
	int64_t ts_ns;
	bool has;                  /* h/data hold a record not fed yet */
} input;

typedef struct printer {
	hs_out *o;
	bool json;
	unsigned flags;
	uint64_t items;
	uint64_t cli_anomalies;
} printer;

static void separate(printer *pr)
{
	if (!pr->json && pr->items)
		fputc('\n', stdout);
	pr->items++;
}

static void on_msg(void *ud, const hs_msg *m)
{
	printer *pr = ud;
	size_t n;
	hs_out_reset(pr->o);
	hs_msg_describe(m, pr->o, pr->flags);
	const char *s = hs_out_text(pr->o, &n);
	separate(pr);
	fwrite(s, 1, n, stdout);
	if (pr->json)
		fputc('\n', stdout);
}

static void print_anomaly(printer *pr, uint32_t in, uint64_t frame, const char *kind, const char *detail)
{
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
}

static void on_anomaly(void *ud, const hs_anomaly *a)
{
	print_anomaly(ud, a->input, a->frame, a->kind, a->detail);
}

/* Read the next record of in; false at its end (or on a read error, which
 * is reported as an anomaly: what was read before stays decoded). */
static bool advance(input *in, uint32_t idx, printer *pr, int *status)
{
	int r = pcap_next_ex(in->p, &in->h, &in->data);
	if (r == 1) {
		in->frame++;
		in->ts_ns = (int64_t)in->h->ts.tv_sec * 1000000000LL + in->h->ts.tv_usec;
		in->has = true;
		return true;
	}
	in->has = false;
	if (r == PCAP_ERROR) {
		const char *err = pcap_geterr(in->p);
		bool trunc = strstr(err, "truncated") != NULL;
		char detail[512];
		snprintf(detail, sizeof detail, "%s: record %llu %s (libpcap: %s); the %llu records before it were decoded",
			 in->path, (unsigned long long)in->frame + 1, trunc ? "is truncated" : "is corrupt", err,
			 (unsigned long long)in->frame);
		pr->cli_anomalies++;
		print_anomaly(pr, idx, in->frame + 1, trunc ? "truncated_capture" : "corrupt_capture", detail);
		if (in->frame == 0) {
			fprintf(stderr, "hopsniff: %s: no readable record (%s)\n", in->path, err);
			*status = EXIT_USAGE;
		}
	}
	return false;
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

static bool open_input(input *in)
{
	char errbuf[PCAP_ERRBUF_SIZE];
	struct stat st;
	if (stat(in->path, &st) != 0) {
		fprintf(stderr, "hopsniff: %s: %s\n", in->path, strerror(errno));
		return false;
	}
	if (S_ISDIR(st.st_mode)) {
		fprintf(stderr, "hopsniff: %s: is a directory, not a capture file\n", in->path);
		return false;
	}
	if (st.st_size == 0) {
		fprintf(stderr, "hopsniff: %s: empty file, not a pcap or pcapng capture\n", in->path);
		return false;
	}
	/* Our own FILE with a large buffer: libpcap reads record by record
	 * through stdio, and the default 4 KiB buffer makes one read(2) per
	 * few packets. */
	FILE *fp = fopen(in->path, "rb");
	if (!fp) {
		fprintf(stderr, "hopsniff: %s: %s\n", in->path, strerror(errno));
		return false;
	}
	setvbuf(fp, NULL, _IOFBF, 1 << 20);
	in->p = pcap_fopen_offline_with_tstamp_precision(fp, PCAP_TSTAMP_PRECISION_NANO, errbuf);
	if (!in->p) {
		fclose(fp);
		if (strstr(errbuf, "unknown file format"))
			fprintf(stderr, "hopsniff: %s: not a pcap or pcapng capture (libpcap: %s)\n", in->path, errbuf);
		else
			fprintf(stderr, "hopsniff: %s: cannot read the capture (libpcap: %s)\n", in->path, errbuf);
		return false;
	}
	in->linktype = pcap_datalink(in->p);
	if (!hs_linktype_supported(in->linktype)) {
		const char *name = pcap_datalink_val_to_name(in->linktype);
		char user[16], list[512];
		if (!name && in->linktype >= 147 && in->linktype <= 162) {
			/* DLT_USER0..15: private use, unnamed by libpcap */
			snprintf(user, sizeof user, "USER%d", in->linktype - 147);
			name = user;
		}
		supported_list(list, sizeof list);
		fprintf(stderr, "hopsniff: %s: link type %d (%s) is not supported; supported: %s\n", in->path,
			in->linktype, name ? name : "unknown", list);
		return false;
	}
	return true;
}

/* --keylog FILE (repeatable), shared by every mode that builds an engine:
 * the TLS secrets that decrypt HTTPS WinRM, LDAPS, CredSSP and RDP. */
static bool load_keylogs(hs_engine *e, char **keylogs)
{
	for (guint i = 0; keylogs && keylogs[i]; i++)
		if (hs_engine_add_keylog(e, keylogs[i]) != HS_OK) {
			fprintf(stderr, "hopsniff: %s: cannot read the key log (%s)\n", keylogs[i], g_strerror(errno));
			return false;
		}
	return true;
}

static int run_decode(char **files, char **keylogs, bool json, bool secrets)
{
	guint n = files ? g_strv_length(files) : 0;
	if (n == 0) {
		fprintf(stderr, "hopsniff: no capture given; use -r FILE (see hopsniff decode --help)\n");
		return EXIT_USAGE;
	}
	input *in = g_new0(input, n);
	int status = EXIT_OK;
	for (guint i = 0; i < n; i++) {
		in[i].path = files[i];
		if (!open_input(&in[i])) {
			for (guint j = 0; j <= i; j++)
				if (in[j].p)
					pcap_close(in[j].p);
			g_free(in);
			return EXIT_USAGE;
		}
	}

	hs_config cfg;
	hs_config_default(&cfg);
	cfg.describe_flags = secrets ? HS_DESCRIBE_SECRETS : 0;
	hs_engine *e = hs_engine_new(&cfg);
	if (!e) {
		fprintf(stderr, "hopsniff: out of memory\n");
		return EXIT_USAGE;
	}
	if (!load_keylogs(e, keylogs)) {
		hs_engine_free(e);
		for (guint i = 0; i < n; i++)
			pcap_close(in[i].p);
		g_free(in);
		return EXIT_USAGE;
	}
	printer pr = { hs_out_new(json ? HS_OUT_JSON : HS_OUT_TEXT), json, cfg.describe_flags, 0, 0 };
	hs_engine_add_msg_sink(e, on_msg, &pr);
	hs_engine_set_anomaly_sink(e, on_anomaly, &pr);

	for (guint i = 0; i < n; i++)
		advance(&in[i], i, &pr, &status);
	/* k-way merge by timestamp; ties go to the lower input number, so the
	 * order is stable and each input keeps its own record order. */
	for (;;) {
		int best = -1;
		for (guint i = 0; i < n; i++)
			if (in[i].has && (best < 0 || in[i].ts_ns < in[best].ts_ns))
				best = (int)i;
		if (best < 0)
			break;
		input *c = &in[best];
		hs_frame f = {
			.input = (uint32_t)best,
			.frame = c->frame,
			.ts_sec = c->h->ts.tv_sec,
			.ts_nsec = (uint32_t)c->h->ts.tv_usec,
			.linktype = c->linktype,
			.data = c->data,
			.caplen = c->h->caplen,
			.wirelen = c->h->len > c->h->caplen ? c->h->len : c->h->caplen,
		};
		hs_engine_feed(e, &f);
		advance(c, (uint32_t)best, &pr, &status);
	}
	hs_engine_finish(e);
	fflush(stdout);

	const hs_stats *st = hs_engine_stats(e);
	uint64_t packets = st->packets;
	fprintf(stderr,
		"hopsniff: %llu packets (%llu bytes) from %u input%s, %llu flows, %llu messages, %llu anomalies, "
		"%llu tcp gaps, %llu dropped, %llu cap hits, %llu undecodable, peak buffered %zu bytes\n",
		(unsigned long long)packets, (unsigned long long)st->bytes, n, n == 1 ? "" : "s",
		(unsigned long long)st->flows, (unsigned long long)st->decoded_messages,
		(unsigned long long)(st->anomalies + pr.cli_anomalies), (unsigned long long)st->tcp_gaps,
		(unsigned long long)st->dropped, (unsigned long long)st->cap_hits,
		(unsigned long long)st->undecodable, st->peak_buffered_bytes);

	hs_engine_free(e);
	hs_out_free(pr.o);
	for (guint i = 0; i < n; i++)
		pcap_close(in[i].p);
	g_free(in);
	return status;
}

static const char *summary =
	"Commands:\n"
	"  decode   print every decoded authentication message (Kerberos ...)\n"
	"\n"
	"hopsniff decode -r FILE [-r FILE ...] [--keylog FILE ...] [--json] [--show-secrets]\n"
	"  Reads pcap and pcapng captures (several -r are merged by timestamp; input numbers\n"
	"  follow the order of -r from 0, frame numbers count from 1 in each input).\n"
	"  Prints one readable block per message, or with --json one JSON object per line.\n"
	"  Anomalies are printed too (text: lines starting with \"! \"); a summary goes to stderr.\n"
	"\n"
	"hopsniff -r FILE: the report mode is not built yet; for now it runs decode.\n"
	"\n"
	"Exit status: 0 ok, 2 usage or input error.";

int main(int argc, char **argv)
{
	gchar **files = NULL, **keylogs = NULL;
	gboolean json = FALSE, secrets = FALSE, version = FALSE;
	GOptionEntry entries[] = {
		{ "read", 'r', 0, G_OPTION_ARG_FILENAME_ARRAY, &files, "Capture file to read (pcap or pcapng); repeatable", "FILE" },
		{ "keylog", 0, 0, G_OPTION_ARG_FILENAME_ARRAY, &keylogs, "TLS key log (SSLKEYLOGFILE format) to decrypt TLS; repeatable", "FILE" },
		{ "json", 0, 0, G_OPTION_ARG_NONE, &json, "One JSON object per line (NDJSON) instead of readable blocks", NULL },
		{ "show-secrets", 0, 0, G_OPTION_ARG_NONE, &secrets, "Include secret material (ticket enc-parts, NTLM responses ...)", NULL },
		{ "version", 'V', 0, G_OPTION_ARG_NONE, &version, "Print the version and exit", NULL },
		{ NULL, 0, 0, 0, NULL, NULL, NULL }
	};
	bool decode = argc > 1 && strcmp(argv[1], "decode") == 0;
	if (decode) {
		argv[1] = argv[0];
		argv++;
		argc--;
	} else if (argc > 1 && argv[1][0] != '-') {
		fprintf(stderr, "hopsniff: unknown command '%s' (commands: decode; see hopsniff --help)\n", argv[1]);
		return EXIT_USAGE;
	}
	GOptionContext *ctx = g_option_context_new(decode ? "- print decoded messages" : "[decode] -r FILE ...");
	g_option_context_set_summary(ctx, summary);
	g_option_context_add_main_entries(ctx, entries, NULL);
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
		return EXIT_OK;
	}
	if (argc > 1) {
		fprintf(stderr, "hopsniff: unexpected argument '%s' (captures are given with -r FILE)\n", argv[1]);
		g_strfreev(files);
		g_strfreev(keylogs);
		return EXIT_USAGE;
	}
	if (!decode && !files) {
		fprintf(stderr, "hopsniff: nothing to do; try hopsniff decode -r FILE (hopsniff --help)\n");
		return EXIT_USAGE;
	}
	if (!decode)
		fprintf(stderr, "hopsniff: the report mode is not built yet; running 'hopsniff decode'\n");
	static char outbuf[1 << 16];
	setvbuf(stdout, outbuf, _IOFBF, sizeof outbuf);
	int rc = run_decode(files, keylogs, json, secrets);
	g_strfreev(files);
	g_strfreev(keylogs);
	return rc;
}
