/* live.h - live capture (`hopsniff -i IFACE`): libpcap on an interface,
 * packets through the same engine, model, rules and report as the file
 * mode; each chain's verdict printed as soon as it settles, revised when a
 * later packet changes it; a summary (chains, packets, bytes, the kernel's
 * drops) when it stops; -w saves the analysed packets as pcapng.
 * A thin front end: no protocol logic here. */
#ifndef HS_LIVE_H
#define HS_LIVE_H

#include <glib.h>
#include <stdbool.h>
#include <stdint.h>

#include "cli.h"

typedef struct hs_live_options {
	const char *iface;        /* -i: an interface name, or "any" */
	const char *filter;       /* -f EXPR replaces the default filter; NULL: hs_live_default_filter() */
	bool rpc_dynamic;         /* default filter + TCP 49152-65535 (RPC endpoints assigned by port 135) */
	bool all_tcp;             /* default filter with every TCP port */
	uint64_t count;           /* -c: stop after this many packets analysed; 0 none */
	double duration;          /* --duration: stop after this many seconds; 0 none */
	int snaplen;              /* bytes kept per packet; 0: 262144 */
	int buffer_mib;           /* kernel capture buffer; 0: 64 MiB */
	bool no_promisc;          /* --no-promisc */
	double settle;            /* seconds without new messages before chains are judged; <= 0: 2 */
	const char *write;        /* -w FILE: the analysed packets as pcapng; NULL none */
	const options *report;    /* the report's options (--json, --html, --keylog ...) and the engine inputs */
} hs_live_options;

/* The command-line options of live capture, as GOption fills them. */
typedef struct hs_live_cli {
	gchar *iface, *filter, *write;
	gint64 count;
	gdouble duration, settle;
	gint snaplen, buffer_mib;
	gboolean no_promisc, rpc_dynamic, all_tcp, list, print_filter;
} hs_live_cli;

/* The option entries (-i, -f, -c, -w, --duration ...) for the command's
 * main group, filling *c (zeroed by the caller); valid while c lives. */
const GOptionEntry *hs_live_option_entries(hs_live_cli *c);

/* True when the command line asks for live capture or --list-interfaces (-w
 * alone does not: with -r it belongs to the file mode). */
bool hs_live_requested(const hs_live_cli *c);

/* Check the combination (no -r, no decode ...), run live capture or
 * --list-interfaces with the report's options, free c's strings; the exit
 * status. */
int hs_live_main(hs_live_cli *c, const options *opt, bool have_files, bool decode);

/* Installed from the Debian package (docs/install.md), live capture by a
 * user without CAP_NET_RAW goes through the capture helper (HS_CAPTURE_HELPER,
 * relative to the command's folder: ../libexec/hopsniff/hopsniff-capture),
 * a copy of the command with CAP_NET_RAW + CAP_NET_ADMIN that only members of
 * the group hopsniff may execute, as Wireshark goes through dumpcap: when
 * this process cannot capture and may execute the helper, exec it with argv
 * (the command line as given).  Returns when there is nothing to exec or the
 * exec failed. */
void hs_live_exec_helper(char **argv);

/* The default BPF filter: the well-known ports the decoders want (from the
 * decoder's port table, plus RDP 3389), TCP or UDP as the table says, also
 * inside one or two VLAN tags when vlan (Ethernet links), and every
 * IPv4/IPv6 fragment (a non-first fragment carries no port).  The caller
 * g_free()s it. */
/* rules: the ports of its decode-as rules (-d) are added; may be NULL. */
char *hs_live_default_filter(bool rpc_dynamic, bool all_tcp, bool vlan, const hs_config *rules);

/* --list-interfaces: one line per interface libpcap can open, with its
 * flags, description and addresses.  Returns an exit status (0, or 2 when
 * libpcap cannot list them). */
int hs_live_list_interfaces(void);

/* Capture until SIGINT/SIGTERM, -c or --duration, then print the summary
 * (stderr), the report (stdout) and --html.  Returns the exit status of
 * report-contract.md: 0, 1 a chain failed, 2 usage / capture error (no such
 * interface, no permission, bad filter, -w not writable). */
int hs_live_run(const hs_live_options *o);

#endif
