/* hopsniff.c - the `hopsniff` command's main: parses the command line
 * and runs the file mode (files.c) or live capture (live.c), which share
 * cli.c.  No protocol logic lives here. */
#include <glib.h>
#include <pcap/pcap.h>
#include <stdio.h>
#include <string.h>

#include "cli.h"
#include "files.h"
#include "hs.h"
#include "live.h"
#include "redact.h"

static const char *summary =
	"hopsniff -r FILE [-r FILE ...] [--keylog FILE ...] [--keytab FILE ...] [--json] [--messages] [--html FILE]\n"
	"         [--redact-names] [--show-secrets] [--memory-limit MIB] [--progress | --no-progress] [-w FILE]\n"
	"         [--etl-all-copies] [-d tcp.port==PORT,NAME ...]\n"
	"  Report mode: correlates each WinRM first hop (client -> server1) with the second hop it\n"
	"  caused (server1 -> server2: SMB, LDAP, WinRM, RPC, SQL, or the KDC) and explains the\n"
	"  delegation: method, verdict, cause, explanation, remedies, evidence frames.\n"
	"  Several -r are merged by timestamp (client1 + srv1 + DC captures make one chain).\n"
	"  -r takes pcap, pcapng, Windows ETL traces (pktmon, netsh trace) and gzip of any, from a\n"
	"  file, a FIFO or standard input (-r -).  pktmon's and netsh's copies of a packet are folded into the\n"
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
	"Exit status: 0 no failed delegation found, 1 at least one chain failed or a refused second hop\n"
	"of concurrent sessions the input cannot tell apart (report mode), 2 usage or input error.";

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
		{ "etl-all-copies", 0, 0, G_OPTION_ARG_NONE, &all_copies, "Keep every copy pktmon or netsh logged of a packet (default: the one closest to the wire)", NULL },
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
	bool rules_ok = hs_cli_decode_as_ok(decode_as);
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
	if (redact && hs_files_rereadable(files)) {
		/* --redact-names: a first pass learns every name of the inputs, so
		 * that a name is replaced from its first appearance on (a pipe
		 * cannot be read twice: its names are learnt as they come) */
		options learn = opt;
		learn.learn_only = true;
		learn.report = false;
		learn.write = NULL;
		learn.progress = HS_PROGRESS_OFF;
		rc = hs_files_run(files, &learn);
	}
	if (rc == EXIT_OK)
		rc = hs_files_run(files, &opt);
	hs_redact_free(opt.redact);
	g_free(live.write);
	g_strfreev(files);
	g_strfreev(keylogs);
	g_strfreev(keytabs);
	free_secrets(ntlm_pw, nt_hash);
	g_free(html);
	return rc;
}
