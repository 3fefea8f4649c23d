/* live.c - `hopsniff -i IFACE` (live.h).  libpcap delivers the packets; the
 * decoder (engine, model, rules, report) is the file mode's.  What is here:
 * opening the interface with clear errors, the default filter, the loop
 * (poll + non-blocking dispatch, so signals, -c, --duration and the settle
 * timer are all looked at between batches), the streamed verdicts, the
 * pcapng writer and the summary. */
#include "live.h"
#include "anomalies.h"
#include "pcapng_write.h"

#include <arpa/inet.h>
#include <errno.h>
#include <poll.h>
#include <pcap/pcap.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <linux/capability.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <sys/xattr.h>
#include <time.h>
#include <unistd.h>

#define DEFAULT_SNAPLEN 262144
#define DEFAULT_BUFFER_MIB 64
#define DEFAULT_SETTLE 2.0
#define POLL_MS 200

static volatile sig_atomic_t stop_signal;

static void on_signal(int sig)
{
	stop_signal = sig;
}

static int64_t mono_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

/* ------------------------------------------------------------ filter */

static void ports_expr(GString *s, const char *proto, uint8_t ipproto)
{
	uint16_t p[64];
	size_t n = MIN(hs_app_ports(ipproto, p, G_N_ELEMENTS(p)), G_N_ELEMENTS(p));
	for (size_t i = 0; i < n; i++)
		g_string_append_printf(s, "%s%s port %u", s->len ? " or " : "", proto, p[i]);
}

char *hs_live_default_filter(bool rpc_dynamic, bool all_tcp, bool vlan, const hs_config *rules)
{
	GString *base = g_string_new(NULL);
	if (all_tcp)
		g_string_append(base, "tcp");
	else
		ports_expr(base, "tcp", 6);
	ports_expr(base, "udp", 17);
	for (unsigned i = 0; rules && i < rules->n_decode_as; i++) /* -d tcp.port==8443,... */
		if (!all_tcp || rules->decode_as[i].ipproto != 6)
			g_string_append_printf(base, " or %s port %u", rules->decode_as[i].ipproto == 6 ? "tcp" : "udp",
					       rules->decode_as[i].port);
	if (rpc_dynamic && !all_tcp)
		g_string_append(base, " or tcp portrange 49152-65535");
	/* Non-first fragments have no ports; the first may not either (tiny
	 * fragments): every fragment goes to the engine's reassembly, which
	 * keeps only the datagrams a parser wants. */
	g_string_append(base, " or (ip and ip[6:2] & 0x3fff != 0) or (ip6 and ip6[6] == 44)");
	if (!vlan)
		return g_string_free(base, FALSE);
	/* `vlan` moves the offsets of what follows it by one tag (libpcap). */
	char *f = g_strdup_printf("%s or (vlan and (%s)) or (vlan and vlan and (%s))", base->str, base->str, base->str);
	g_string_free(base, TRUE);
	return f;
}

/* ------------------------------------------------------- interfaces */

int hs_live_list_interfaces(void)
{
	pcap_if_t *all = NULL;
	char err[PCAP_ERRBUF_SIZE];
	if (pcap_findalldevs(&all, err) != 0) {
		fprintf(stderr, "hopsniff: cannot list the interfaces (libpcap: %s)\n", err);
		return EXIT_USAGE;
	}
	for (pcap_if_t *d = all; d; d = d->next) {
		printf("%s", d->name);
		const char *st = "";
		switch (d->flags & PCAP_IF_CONNECTION_STATUS) {
		case PCAP_IF_CONNECTION_STATUS_CONNECTED: st = " connected"; break;
		case PCAP_IF_CONNECTION_STATUS_DISCONNECTED: st = " disconnected"; break;
		default: break;
		}
		printf("\t[%s%s%s%s]", d->flags & PCAP_IF_UP ? "up" : "down", d->flags & PCAP_IF_RUNNING ? " running" : "",
		       d->flags & PCAP_IF_LOOPBACK ? " loopback" : "", st);
		for (pcap_addr_t *a = d->addresses; a; a = a->next) {
			char buf[INET6_ADDRSTRLEN];
			if (!a->addr)
				continue;
			if (a->addr->sa_family == AF_INET)
				inet_ntop(AF_INET, &((struct sockaddr_in *)(void *)a->addr)->sin_addr, buf, sizeof buf);
			else if (a->addr->sa_family == AF_INET6)
				inet_ntop(AF_INET6, &((struct sockaddr_in6 *)(void *)a->addr)->sin6_addr, buf, sizeof buf);
			else
				continue;
			printf(" %s", buf);
		}
		if (d->description)
			printf("\t%s", d->description);
		putchar('\n');
	}
	pcap_freealldevs(all);
	return EXIT_OK;
}

/* ------------------------------------------------------ the capture */

typedef struct seen {
	unsigned no;
	uint64_t gen;          /* the last snapshot that had the chain */
	hs_verdict verdict;
	hs_method method;
	char cause[64];
	char user[HS_NAME_MAX];
} seen;

typedef struct live {
	const hs_live_options *o;
	pcap_t *p;
	int linktype;
	bool nano;
	hs_engine *e;
	hs_model *m;
	printer pr;
	hs_pcapng_out w;
	uint64_t frames, bytes;
	bool has_ts;
	int64_t first_ns, last_ns;
	bool dirty;            /* messages reached the model since the last judgement */
	int64_t last_msg;      /* monotonic time of the newest message */
	GHashTable *seen;      /* chain key -> seen: chains of open sessions already printed */
	unsigned next_no;      /* the number of the last chain printed */
	uint64_t gen;          /* snapshots taken */
	uint64_t streamed, revised; /* chains printed as their sessions settled; of them, revisions */
	int64_t snap_cost;     /* how long the last snapshot took (ns) */
	int64_t snap_end;      /* when it ended (monotonic) */
	bool slow_noted;
	FILE *stream;          /* where streamed verdicts go: stdout, stderr with --json */
} live;

static void got_packet(u_char *ud, const struct pcap_pkthdr *h, const u_char *d)
{
	live *L = (live *)(void *)ud;
	L->frames++;
	L->bytes += h->len;
	int64_t ns = hs_ts_ns(h->ts.tv_sec, (int64_t)h->ts.tv_usec * (L->nano ? 1 : 1000));
	if (!L->has_ts)
		L->first_ns = ns;
	L->has_ts = true;
	L->last_ns = ns;
	hs_frame f = {
		.input = 0,
		.frame = L->frames,
		.ts_sec = h->ts.tv_sec,
		.ts_nsec = (uint32_t)(L->nano ? h->ts.tv_usec : h->ts.tv_usec * 1000),
		.linktype = L->linktype,
		.data = d,
		.caplen = h->caplen,
		.wirelen = h->len > h->caplen ? h->len : h->caplen,
	};
	hs_engine_feed(L->e, &f);
	hs_pcapng_packet(&L->w, 0, (uint64_t)h->ts.tv_sec * (L->nano ? 1000000000ULL : 1000000ULL) + (uint64_t)h->ts.tv_usec, d,
			 h->caplen, h->len, NULL);
}

static void on_live_msg(void *ud, const hs_msg *m)
{
	(void)m;
	live *L = ud;
	L->dirty = true;
	L->last_msg = mono_ns();
}

static const char *ep_name(const hs_endpoint *e)
{
	return e->name[0] ? e->name : e->has_ip ? e->ip : "?";
}

/* A chain is the same chain from one judgement to the next when its first
 * hop starts at the same frame between the same addresses. */
static void chain_key(const hs_chain *c, char *k, size_t n)
{
	const hs_hop *h = &c->hops[0];
	snprintf(k, n, "%s|%s|%u|%u:%llu|%lld", h->client.ip, h->server.ip, h->server.port,
		 h->nframes ? h->frames[0].input : 0, h->nframes ? (unsigned long long)h->frames[0].frame : 0ULL,
		 (long long)h->t0_ns);
}

static void print_chain(live *L, const seen *s, const hs_chain *c, bool revised)
{
	char when[16];
	time_t now = time(NULL);
	struct tm tm;
	localtime_r(&now, &tm);
	strftime(when, sizeof when, "%H:%M:%S", &tm);
	const hs_diag *d = &c->diag;
	fprintf(L->stream, "%s chain %u%s: %s (%s, %s) %s: %s", when, s->no, revised ? " revised" : "",
		hs_verdict_name(d->verdict), hs_method_name(d->method), d->cause, c->user[0] ? c->user : "(user unknown)",
		c->hops[0].unseen ? "(hop 1 not in the capture)" : ep_name(&c->hops[0].client));
	for (unsigned i = 0; i < c->nhops; i++) {
		const hs_hop *h = &c->hops[i];
		fprintf(L->stream, " -> %s %s", ep_name(&h->server), hs_carrier_name(h->carrier));
		if (h->target[0])
			fprintf(L->stream, " (%s)", h->target);
	}
	fprintf(L->stream, "\n         %s\n", d->detail);
	fflush(L->stream);
}

/* Print c when it is new, or when its verdict, method, cause or user
 * changed since it was printed.  settled: the chain's session settled (the
 * model's retirement): its verdict is final and it leaves seen. */
static void judge_chain(live *L, const hs_chain *c, bool settled)
{
	char key[128];
	chain_key(c, key, sizeof key);
	seen *s = g_hash_table_lookup(L->seen, key);
	bool revised = s != NULL;
	/* pseudonyms (--redact-names) are handed out per judgement: a new
	 * chain may shift them, which is no revision */
	bool same = s && s->verdict == c->diag.verdict && s->method == c->diag.method && !strcmp(s->cause, c->diag.cause) &&
		    (L->o->report->redact_names || !strcmp(s->user, c->user));
	if (!s) {
		s = g_new0(seen, 1);
		s->no = ++L->next_no;
		g_hash_table_insert(L->seen, g_strdup(key), s);
	}
	s->gen = L->gen;
	if (!same) {
		s->verdict = c->diag.verdict;
		s->method = c->diag.method;
		snprintf(s->cause, sizeof s->cause, "%s", c->diag.cause);
		snprintf(s->user, sizeof s->user, "%s", c->user);
		print_chain(L, s, c, revised);
	}
	if (settled) {
		L->streamed++;
		L->revised += revised && !same;
		g_hash_table_remove(L->seen, key);
	}
}

/* hs_model_retired_fn: a session settled, its chain's last word. */
static void on_retired(void *ud, const hs_chain *c)
{
	judge_chain(ud, c, true);
}

static gboolean stale(gpointer k, gpointer v, gpointer ud)
{
	(void)k;
	return ((const seen *)v)->gen != *(const uint64_t *)ud;
}

/* Print the chains of a finished model that are new or changed (streamed
 * ones, whose sessions settled, were printed then), and forget the chains
 * it no longer has (their key changed as evidence came): seen holds the
 * chains of the last snapshot, whatever the length of the run. */
static void judge(live *L, const hs_model *m)
{
	L->gen++;
	for (size_t i = 0; i < hs_model_chain_count(m); i++)
		if (!hs_model_chain_streamed(m, i))
			judge_chain(L, hs_model_chain(m, i), false);
	g_hash_table_foreach_remove(L->seen, stale, &L->gen);
}

/* A snapshot: the model's state so far, finished on a copy. */
static void snapshot(live *L)
{
	int64_t t = mono_ns();
	hs_model *c = hs_model_copy(L->m);
	if (!c)
		return;
	hs_model_finish(c); /* the copy shares the chain filter (the redactor) */
	judge(L, c);
	size_t chains = hs_model_chain_count(c);
	hs_model_free(c);
	L->dirty = false;
	L->snap_end = mono_ns();
	L->snap_cost = L->snap_end - t;
	if (L->snap_cost > 1000000000LL && !L->slow_noted) {
		L->slow_noted = true;
		fprintf(stderr,
			"hopsniff: judging %zu chains took %.1f s (packets wait in the kernel buffer meanwhile); verdicts are "
			"now printed at most every %.0f s\n",
			chains, (double)L->snap_cost / 1e9, (double)L->snap_cost * 10 / 1e9);
	}
}

/* Judge when no message came for --settle seconds, and (a snapshot stops
 * the capture while it runs) not more than a tenth of the time. */
static bool snapshot_due(const live *L, double settle)
{
	int64_t now = mono_ns();
	return L->dirty && now - L->last_msg >= (int64_t)(settle * 1e9) && now - L->snap_end >= 10 * L->snap_cost;
}

static char *self_path(void)
{
	char *p = g_file_read_link("/proc/self/exe", NULL);
	return p ? p : g_strdup("hopsniff");
}

/* CAP_NET_RAW in the effective set (capget(2); root has it too). */
static bool can_capture(void)
{
	struct __user_cap_header_struct h = { _LINUX_CAPABILITY_VERSION_3, 0 };
	struct __user_cap_data_struct d[_LINUX_CAPABILITY_U32S_3];
	memset(d, 0, sizeof d);
	if (syscall(SYS_capget, &h, d) != 0)
		return geteuid() == 0;
	return (d[CAP_TO_INDEX(CAP_NET_RAW)].effective & CAP_TO_MASK(CAP_NET_RAW)) != 0;
}

/* Once the capture handle is open and its filter set, a process that is not
 * root gives up every capability it holds (the capture helper's file
 * capabilities, or a setcap'd binary's): the decoders then parse hostile
 * traffic with no privilege, as Wireshark's dissectors run apart from
 * dumpcap.  Root keeps its rights (it may still write -w or read key logs
 * anywhere); run as a user in the group hopsniff for the unprivileged
 * path.  Lowering the sets is always allowed (capset(2)). */
static bool drop_capabilities(void)
{
	if (geteuid() == 0)
		return true;
	struct __user_cap_header_struct h = { _LINUX_CAPABILITY_VERSION_3, 0 };
	struct __user_cap_data_struct d[_LINUX_CAPABILITY_U32S_3];
	memset(d, 0, sizeof d);
	if (syscall(SYS_capset, &h, d) != 0) {
		fprintf(stderr, "hopsniff: cannot give up the capture capabilities: %s\n", strerror(errno));
		return false;
	}
	return true;
}

/* The installed capture helper beside this program (HS_CAPTURE_HELPER:
 * its path relative to the command's folder, as installed, whatever the
 * prefix), or NULL when it is not there.  g_free() it. */
static char *helper_path(void)
{
#ifdef HS_CAPTURE_HELPER
	char *self = self_path(), *dir = g_path_get_dirname(self);
	char *rel = g_build_filename(dir, HS_CAPTURE_HELPER, NULL);
	char *abs = realpath(rel, NULL);
	g_free(self);
	g_free(dir);
	g_free(rel);
	char *h = abs ? g_strdup(abs) : NULL;
	free(abs);
	return h;
#else
	return NULL;
#endif
}

void hs_live_exec_helper(char **argv)
{
	if (can_capture())
		return;
	char *helper = helper_path(), *self = self_path();
	/* a helper without file capabilities (a plain `cmake --install`, or
	 * setcap failed) could not capture either */
	if (helper && strcmp(self, helper) != 0 && access(helper, X_OK) == 0 &&
	    getxattr(helper, "security.capability", NULL, 0) > 0)
		execv(helper, argv);
	/* nothing to exec, or exec failed: go on, and libpcap says what is missing */
	g_free(helper);
	g_free(self);
}

/* pcap_create + options + pcap_activate with the errors the issue asks
 * for; NULL after printing why. */
static pcap_t *open_iface(const hs_live_options *o, bool *nano)
{
	char err[PCAP_ERRBUF_SIZE];
	pcap_t *p = pcap_create(o->iface, err);
	if (!p) {
		fprintf(stderr, "hopsniff: %s: cannot open (libpcap: %s)\n", o->iface, err);
		return NULL;
	}
	pcap_set_snaplen(p, o->snaplen > 0 ? o->snaplen : DEFAULT_SNAPLEN);
	pcap_set_promisc(p, !o->no_promisc && strcmp(o->iface, "any") != 0);
	pcap_set_buffer_size(p, (o->buffer_mib > 0 ? o->buffer_mib : DEFAULT_BUFFER_MIB) << 20);
	pcap_set_timeout(p, POLL_MS);
	*nano = pcap_set_tstamp_precision(p, PCAP_TSTAMP_PRECISION_NANO) == 0;
	int rc = pcap_activate(p);
	if (rc < 0) {
		char *self = NULL;
		switch (rc) {
		case PCAP_ERROR_NO_SUCH_DEVICE:
			fprintf(stderr, "hopsniff: %s: no such interface (hopsniff --list-interfaces lists them)\n", o->iface);
			break;
		case PCAP_ERROR_PERM_DENIED:
		case PCAP_ERROR_PROMISC_PERM_DENIED:
			self = self_path();
			fprintf(stderr,
				"hopsniff: %s: no permission to capture (libpcap: %s).\n"
				"  Capturing needs the capability CAP_NET_RAW (and CAP_NET_ADMIN for promiscuous mode and the\n"
				"  kernel buffer size): run hopsniff as root, or give it the capabilities once:\n"
				"    sudo setcap cap_net_raw,cap_net_admin=eip %s\n",
				o->iface, pcap_geterr(p), self);
			g_free(self);
			self = helper_path();
			if (self)
				fprintf(stderr, "  Installed from the package, members of the group hopsniff may capture:\n"
						"    sudo adduser $USER hopsniff   (then log in again)\n");
			g_free(self);
			break;
		case PCAP_ERROR_IFACE_NOT_UP:
			fprintf(stderr, "hopsniff: %s: the interface is down\n", o->iface);
			break;
		default:
			fprintf(stderr, "hopsniff: %s: cannot capture (libpcap: %s)\n", o->iface,
				rc == PCAP_ERROR ? pcap_geterr(p) : pcap_statustostr(rc));
		}
		pcap_close(p);
		return NULL;
	}
	if (rc > 0)
		fprintf(stderr, "hopsniff: %s: warning: %s (%s)\n", o->iface, pcap_statustostr(rc), pcap_geterr(p));
	return p;
}

static bool set_filter(pcap_t *p, const hs_live_options *o)
{
	/* VLAN tags exist on Ethernet frames only; on "any" (Linux cooked) the
	 * kernel has removed them and libpcap refuses `vlan`. */
	hs_config rules;
	hs_cli_engine_config(&rules, o->report);
	char *def = o->filter ? NULL
			      : hs_live_default_filter(o->rpc_dynamic, o->all_tcp, pcap_datalink(p) == DLT_EN10MB, &rules);
	const char *f = o->filter ? o->filter : def;
	struct bpf_program prog;
	bool ok = pcap_compile(p, &prog, f, 1, PCAP_NETMASK_UNKNOWN) == 0;
	if (!ok)
		fprintf(stderr, "hopsniff: bad filter '%s': %s\n", f, pcap_geterr(p));
	else {
		ok = pcap_setfilter(p, &prog) == 0;
		if (!ok)
			fprintf(stderr, "hopsniff: %s: cannot set the filter (libpcap: %s)\n", o->iface, pcap_geterr(p));
		pcap_freecode(&prog);
	}
	g_free(def);
	return ok;
}

static void handle_signals(void)
{
	struct sigaction sa;
	memset(&sa, 0, sizeof sa);
	sa.sa_handler = on_signal; /* no SA_RESTART: poll() returns at once */
	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGHUP, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);
}

/* Capture until a stop; *why says which. */
static int capture(live *L, char *why, size_t whylen)
{
	const hs_live_options *o = L->o;
	double settle = o->settle > 0 ? o->settle : DEFAULT_SETTLE;
	int64_t t0 = mono_ns(), end = o->duration > 0 ? t0 + (int64_t)(o->duration * 1e9) : 0;
	struct pollfd pfd = { pcap_get_selectable_fd(L->p), POLLIN, 0 };
	int status = EXIT_OK;
	for (;;) {
		if (stop_signal) {
			snprintf(why, whylen, "stopped by %s", stop_signal == SIGINT ? "SIGINT" : stop_signal == SIGTERM ? "SIGTERM" : "SIGHUP");
			break;
		}
		if (o->count && L->frames >= o->count) {
			snprintf(why, whylen, "-c %llu reached", (unsigned long long)o->count);
			break;
		}
		int64_t now = mono_ns();
		if (end && now >= end) {
			snprintf(why, whylen, "--duration %g s reached", o->duration);
			break;
		}
		int wait = POLL_MS;
		if (end && (end - now) / 1000000 < wait)
			wait = (int)((end - now) / 1000000) + 1;
		if (pfd.fd >= 0 && poll(&pfd, 1, wait) < 0 && errno != EINTR) {
			snprintf(why, whylen, "poll failed (%s)", strerror(errno));
			status = EXIT_USAGE;
			break;
		}
		uint64_t left = o->count ? o->count - L->frames : 0;
		int n = pcap_dispatch(L->p, left ? (int)MIN(left, (uint64_t)G_MAXINT) : -1, got_packet, (u_char *)L);
		if (n == PCAP_ERROR) {
			snprintf(why, whylen, "capture error (libpcap: %s)", pcap_geterr(L->p));
			fprintf(stderr, "hopsniff: %s: %s\n", o->iface, why);
			status = EXIT_USAGE;
			break;
		}
		hs_pcapng_flush(&L->w);
		if (snapshot_due(L, settle))
			snapshot(L);
	}
	return status;
}

static void summary(live *L, const char *why, double secs, bool have_stats, const struct pcap_stat *ps)
{
	const hs_stats *st = hs_engine_stats(L->e);
	fprintf(stderr,
		"hopsniff: %s after %.1f s on %s: %zu chain%s, %llu packets analysed (%llu bytes), %llu messages, "
		"%llu anomalies, %llu tcp gaps, %llu dropped by the decoder's caps\n",
		why, secs, L->o->iface, hs_model_chain_count(L->m), hs_model_chain_count(L->m) == 1 ? "" : "s",
		(unsigned long long)L->frames, (unsigned long long)L->bytes, (unsigned long long)st->decoded_messages,
		(unsigned long long)(st->anomalies + L->pr.cli_anomalies), (unsigned long long)st->tcp_gaps,
		(unsigned long long)st->dropped);
	fprintf(stderr, "hopsniff: %llu chain%s printed as their sessions settled (%llu of them revised), %zu kept out of memory\n",
		(unsigned long long)L->streamed, L->streamed == 1 ? "" : "s", (unsigned long long)L->revised, hs_model_stored(L->m));
	if (have_stats)
		fprintf(stderr,
			"hopsniff: kernel (pcap_stats): %u packets received by the filter, %u dropped (buffer full), "
			"%u dropped by the interface\n",
			ps->ps_recv, ps->ps_drop, ps->ps_ifdrop);
	else
		fprintf(stderr, "hopsniff: kernel (pcap_stats): not available (libpcap: %s)\n", pcap_geterr(L->p));
	if (have_stats && (ps->ps_drop || ps->ps_ifdrop))
		fprintf(stderr,
			"hopsniff: WARNING: %u packets were lost before hopsniff saw them; a verdict may lack evidence. "
			"Raise --buffer-size or narrow the filter (-f).\n",
			ps->ps_drop + ps->ps_ifdrop);
	struct rusage ru;
	if (getrusage(RUSAGE_SELF, &ru) == 0)
		fprintf(stderr, "hopsniff: resources: peak RSS %.1f MiB, CPU %.2f s, peak stream buffers %zu bytes\n",
			(double)ru.ru_maxrss / 1024.0,
			(double)(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) + (double)(ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / 1e6,
			st->peak_buffered_bytes);
	if (L->o->write)
		fprintf(stderr, "hopsniff: %s: %llu packets saved (pcapng)%s\n", L->o->write, (unsigned long long)L->w.packets,
			L->w.failed ? " before a write error" : "");
}

int hs_live_run(const hs_live_options *o)
{
	const options *ro = o->report;
	live L;
	memset(&L, 0, sizeof L);
	L.o = o;
	L.stream = ro->json ? stderr : stdout;
	L.p = open_iface(o, &L.nano);
	if (!L.p)
		return EXIT_USAGE;
	L.linktype = pcap_datalink(L.p);
	if (!hs_linktype_supported(L.linktype)) {
		const char *name = pcap_datalink_val_to_name(L.linktype);
		fprintf(stderr, "hopsniff: %s: link type %d (%s) is not supported\n", o->iface, L.linktype,
			name ? name : "unknown");
		pcap_close(L.p);
		return EXIT_USAGE;
	}
	if (!set_filter(L.p, o) || pcap_setnonblock(L.p, 1, (char[PCAP_ERRBUF_SIZE]){ 0 }) != 0 ||
	    (o->write && (!hs_pcapng_open(&L.w, o->write) ||
			  hs_pcapng_add_interface(&L.w, L.linktype, (uint32_t)pcap_snapshot(L.p), o->iface, NULL, L.nano) < 0))) {
		hs_pcapng_close(&L.w);
		pcap_close(L.p);
		return EXIT_USAGE;
	}
	if (!drop_capabilities()) {
		hs_pcapng_close(&L.w);
		pcap_close(L.p);
		return EXIT_USAGE;
	}

	hs_config cfg;
	hs_cli_engine_config(&cfg, ro);
	L.e = hs_engine_new(&cfg);
	L.m = hs_cli_report_model(L.e);
	L.pr = (printer){ hs_out_new(HS_OUT_JSON), ro->json, cfg.describe_flags, 0, 0, true,
			  g_array_new(FALSE, TRUE, sizeof(hs_anomaly_copy)), 0,
			  ro->messages ? g_ptr_array_new_with_free_func(g_free) : NULL, 0, NULL, false };
	L.seen = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, g_free);
	hs_model_set_retired_sink(L.m, on_retired, &L);
	int status = EXIT_OK;
	for (guint i = 0; ro->keylogs && ro->keylogs[i]; i++)
		if (access(ro->keylogs[i], F_OK) != 0)
			fprintf(stderr, "hopsniff: %s: does not exist yet; read once the client creates it\n", ro->keylogs[i]);
	hs_cli_printer_redact(&L.pr, L.m, ro);
	hs_engine_set_anomaly_sink(L.e, hs_cli_on_anomaly, &L.pr); /* before the key files: they raise anomalies */
	if (!hs_cli_engine_inputs(L.e, ro, true))
		status = EXIT_USAGE;
	hs_engine_add_msg_sink(L.e, hs_model_sink, L.m);
	hs_engine_add_msg_sink(L.e, on_live_msg, &L);
	if (ro->messages)
		hs_engine_add_msg_sink(L.e, hs_cli_on_msg, &L.pr);

	char why[160] = "stopped";
	int64_t t0 = mono_ns();
	if (status == EXIT_OK) {
		handle_signals();
		fprintf(stderr, "hopsniff: capturing on %s (link type %s); Ctrl-C stops and prints the report\n", o->iface,
			pcap_datalink_val_to_name(L.linktype) ? pcap_datalink_val_to_name(L.linktype) : "?");
		status = capture(&L, why, sizeof why);
	}
	double secs = (double)(mono_ns() - t0) / 1e9;
	struct pcap_stat ps;
	memset(&ps, 0, sizeof ps);
	bool have_stats = pcap_stats(L.p, &ps) == 0;
	if (!hs_pcapng_close(&L.w))
		status = EXIT_USAGE;

	if (have_stats && (ps.ps_drop || ps.ps_ifdrop)) {
		/* in the report too (JSON and text), not only on stderr */
		hs_anomaly_copy a;
		memset(&a, 0, sizeof a);
		snprintf(a.kind, sizeof a.kind, "%s", hs_anom_name(HS_ANOM_CAPTURE_DROPPED));
		snprintf(a.detail, sizeof a.detail,
			 "%s: the kernel dropped %u packets (buffer full) and the interface %u (pcap_stats): evidence may be "
			 "missing",
			 o->iface, ps.ps_drop, ps.ps_ifdrop);
		g_array_append_val(L.pr.anomalies, a);
		L.pr.cli_anomalies++;
	}
	hs_engine_finish(L.e);
	hs_model_finish(L.m);
	judge(&L, L.m); /* the final word on every chain streamed so far */
	summary(&L, why, secs, have_stats, &ps);
	char name[256];
	snprintf(name, sizeof name, "live:%s", o->iface);
	hs_report_input ri = { name, L.frames, L.has_ts, L.first_ns / 1000000000LL, L.last_ns / 1000000000LL,
			       (uint32_t)(L.first_ns % 1000000000LL), (uint32_t)(L.last_ns % 1000000000LL) };
	int rs = hs_cli_report_out(&L.pr, &ri, 1, L.m, hs_engine_stats(L.e), ro);
	fflush(stdout);
	if (status == EXIT_OK)
		status = rs;

	hs_engine_free(L.e);
	hs_model_free(L.m);
	hs_out_free(L.pr.o);
	g_array_free(L.pr.anomalies, TRUE);
	if (L.pr.messages)
		g_ptr_array_free(L.pr.messages, TRUE);
	g_hash_table_destroy(L.seen);
	pcap_close(L.p);
	return status;
}

/* ------------------------------------------------------ command line */

const GOptionEntry *hs_live_option_entries(hs_live_cli *c)
{
	static GOptionEntry e[16];
	GOptionEntry v[] = {
		{ "interface", 'i', 0, G_OPTION_ARG_STRING, &c->iface, "Live capture on IFACE (\"any\": every interface)", "IFACE" },
		{ "filter", 'f', 0, G_OPTION_ARG_STRING, &c->filter, "Live: BPF filter replacing the default one", "EXPR" },
		{ "list-interfaces", 0, 0, G_OPTION_ARG_NONE, &c->list, "List the interfaces live capture can use", NULL },
		{ "print-filter", 0, 0, G_OPTION_ARG_NONE, &c->print_filter, "Print the default filter (with --rpc-dynamic / --all-tcp) and exit", NULL },
		{ "count", 'c', 0, G_OPTION_ARG_INT64, &c->count, "Live: stop after COUNT packets analysed", "COUNT" },
		{ "duration", 0, 0, G_OPTION_ARG_DOUBLE, &c->duration, "Live: stop after SECONDS", "SECONDS" },
		{ "write", 'w', 0, G_OPTION_ARG_FILENAME, &c->write, "Also save the packets as pcapng: live, the analysed ones; with -r, those read (pktmon's copies folded)", "FILE" },
		{ "rpc-dynamic", 0, 0, G_OPTION_ARG_NONE, &c->rpc_dynamic, "Live: default filter + TCP 49152-65535 (dynamic RPC)", NULL },
		{ "all-tcp", 0, 0, G_OPTION_ARG_NONE, &c->all_tcp, "Live: default filter with every TCP port", NULL },
		{ "settle", 0, 0, G_OPTION_ARG_DOUBLE, &c->settle, "Live: quiet seconds before verdicts are printed (2)", "SECONDS" },
		{ "snaplen", 0, 0, G_OPTION_ARG_INT, &c->snaplen, "Live: bytes kept per packet (262144)", "BYTES" },
		{ "buffer-size", 0, 0, G_OPTION_ARG_INT, &c->buffer_mib, "Live: kernel capture buffer in MiB (64)", "MIB" },
		{ "no-promisc", 0, 0, G_OPTION_ARG_NONE, &c->no_promisc, "Live: do not put the interface in promiscuous mode", NULL },
		{ NULL, 0, 0, 0, NULL, NULL, NULL },
	};
	G_STATIC_ASSERT(G_N_ELEMENTS(v) <= G_N_ELEMENTS(e));
	memcpy(e, v, sizeof v);
	return e;
}

bool hs_live_requested(const hs_live_cli *c)
{
	return c->iface || c->list || c->print_filter || c->filter || c->count || c->duration != 0 || c->rpc_dynamic ||
	       c->all_tcp || c->settle != 0 || c->snaplen || c->buffer_mib || c->no_promisc;
}

static void cli_free(hs_live_cli *c)
{
	g_free(c->iface);
	g_free(c->filter);
	g_free(c->write);
	c->iface = c->filter = c->write = NULL;
}

static int usage(hs_live_cli *c, const char *msg)
{
	fprintf(stderr, "hopsniff: %s (see hopsniff --help)\n", msg);
	cli_free(c);
	return EXIT_USAGE;
}

int hs_live_main(hs_live_cli *c, const options *opt, bool have_files, bool decode)
{
	if (c->list) {
		if (c->iface || have_files || decode)
			return usage(c, "--list-interfaces takes no other input");
		cli_free(c);
		return hs_live_list_interfaces();
	}
	if (c->print_filter) {
		if (c->iface || have_files || decode || c->filter)
			return usage(c, "--print-filter takes no other input");
		hs_config rules;
		hs_cli_engine_config(&rules, opt);
		char *f = hs_live_default_filter(c->rpc_dynamic, c->all_tcp, true, &rules);
		printf("%s\n", f);
		if (!c->all_tcp) /* on stderr: the filter alone stays on stdout for $(...) */
			fprintf(stderr, "hopsniff: note: this filter sees the well-known ports%s only; a service on another "
					"port (found by its content, e.g. WinRM on 443) needs --all-tcp, -d tcp.port==PORT,NAME "
					"or -f EXPR\n", rules.n_decode_as ? " and those of -d" : "");
		g_free(f);
		cli_free(c);
		return EXIT_OK;
	}
	if (!c->iface)
		return usage(c, "live capture options need an interface: -i IFACE");
	if (have_files)
		return usage(c, "-i and -r do not mix: capture live or read files");
	if (decode)
		return usage(c, "hopsniff decode reads files; live capture is the report mode: hopsniff -i IFACE");
	if (c->count < 0 || c->duration < 0 || c->settle < 0 || c->snaplen < 0 || c->buffer_mib < 0)
		return usage(c, "-c, --duration, --settle, --snaplen and --buffer-size take positive numbers");
	if (c->filter && (c->rpc_dynamic || c->all_tcp))
		return usage(c, "-f replaces the default filter: --rpc-dynamic and --all-tcp change the default only");
	hs_live_options o = { c->iface, c->filter, c->rpc_dynamic, c->all_tcp, (uint64_t)c->count, c->duration,
			      c->snaplen, c->buffer_mib, c->no_promisc, c->settle, c->write, opt };
	int rc = hs_live_run(&o);
	cli_free(c);
	return rc;
}
