/* input.c - capture inputs opened by content (see input.h).  A regular
 * file that is not gzip is mapped (mmap) and read from the mapping: one copy
 * of its bytes fewer than read() into a buffer and out of it again, and the
 * ETL reader inflates its compressed buffers straight from the mapping.
 * Every other input (a FIFO, standard input, gzip, a file that cannot be
 * mapped) is read through zlib's gzFile, which passes plain bytes through
 * unchanged (gzip "transparent" mode) and inflates gzip: so a path, a FIFO
 * and standard input read alike, with no seek and no size check before
 * reading.  libpcap reads pcap from a stdio stream made over either source
 * (fopencookie); pcapng goes to pcapng.c (libpcap refuses a pcapng whose
 * interfaces differ in link type), ETL to etl.c. */
#define _GNU_SOURCE
#include "input.h"

#include <errno.h>
#include <fcntl.h>
#include <glib.h>
#include <pcap/pcap.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>

#include "etl.h"
#include "pcapng.h"
#include "hs.h" /* hs_ts_ns */

#define PEEK 512
#define DUP_WINDOW_NS 1000000 /* pktmon's pcapng: copies of one packet are logged within microseconds */
#define DUP_RING 64
/* The mapping's pages behind the reader are let go in steps of this much:
 * file pages stay in the page cache, but not in the process's RSS. */
#define MAP_DROP_STEP (2u << 20)

enum kind { IN_PCAP, IN_PCAPNG, IN_ETL };

typedef struct dup_entry {
	uint64_t hash;
	uint32_t len;
	int64_t ts_ns;
} dup_entry;

struct hs_input {
	int fd;
	gzFile gz;
	const uint8_t *map;      /* a regular file, mapped: map_len bytes, read up to map_at */
	size_t map_len, map_at, map_dropped;
	bool gzip;
	enum kind kind;
	uint64_t size;
	uint8_t peek[PEEK];
	size_t peek_len, peek_at;
	char err[512];
	bool fatal;
	bool all_copies;
	hs_input_stats st;
	/* pcap */
	FILE *fp;
	pcap_t *p;
	/* pcapng */
	hs_pcapng_in *ng;
	int linktype;
	bool pktmon_pcapng;      /* written by `pktmon etl2pcap` (SHB user application "Packet Monitor") */
	dup_entry ring[DUP_RING];
	unsigned ring_at;
	uint64_t records;
	/* ETL */
	hs_etl *etl;
};

/* Let the mapped pages before offset upto go: the readers copy what they
 * keep (pcap, pcapng) or have inflated it (ETL); what the ETL reader still
 * points to would be read again from the page cache (the mapping is
 * read-only: no page of it is the process's own). */
static void map_drop_behind(hs_input *in, size_t upto)
{
	if (upto - in->map_dropped < MAP_DROP_STEP)
		return;
	size_t end = upto & ~(size_t)(MAP_DROP_STEP - 1); /* page-aligned: the mapping starts on a page */
	if (end > in->map_dropped) {
		madvise((void *)(in->map + in->map_dropped), end - in->map_dropped, MADV_DONTNEED);
		in->map_dropped = end;
	}
}

static long gz_take(hs_input *in, void *buf, size_t n)
{
	size_t got = 0;
	if (in->peek_at < in->peek_len) {
		got = in->peek_len - in->peek_at < n ? in->peek_len - in->peek_at : n;
		memcpy(buf, in->peek + in->peek_at, got);
		in->peek_at += got;
	}
	if (in->map) {
		size_t k = n - got < in->map_len - in->map_at ? n - got : in->map_len - in->map_at;
		memcpy((uint8_t *)buf + got, in->map + in->map_at, k);
		in->map_at += k;
		map_drop_behind(in, in->map_at);
		return (long)(got + k);
	}
	while (got < n) {
		size_t want = n - got > (1u << 30) ? (1u << 30) : n - got;
		int r = gzread(in->gz, (uint8_t *)buf + got, (unsigned)want);
		if (r < 0)
			return got ? (long)got : -1;
		if (r == 0)
			break;
		got += (size_t)r;
	}
	return (long)got;
}

static ssize_t cookie_read(void *c, char *buf, size_t n)
{
	long r = gz_take(c, buf, n);
	if (r < 0) {
		errno = EIO;
		return -1;
	}
	return r;
}

static long reader_read(void *ud, void *buf, size_t n)
{
	return gz_take(ud, buf, n);
}

static uint32_t rd32(const uint8_t *p, bool swap)
{
	uint32_t v = (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
	return swap ? GUINT32_SWAP_LE_BE(v) : v;
}

static hs_input *open_fail(hs_input *in, char *err, size_t errlen, const char *fmt, ...) G_GNUC_PRINTF(4, 5);
static hs_input *open_fail(hs_input *in, char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
	hs_input_close(in);
	return NULL;
}

/* A mapped file that another program truncates while it is read faults
 * (SIGBUS) on the pages past its new end.  The handler turns that into the
 * clear error a read() would have given ("the file shrank"), exit status 2,
 * for faults inside a mapping of ours; any other SIGBUS keeps its default
 * action.  The table is written before the signal can concern a range and
 * read only by the handler (async-signal-safe: no locks, write(2), _exit). */
#define MAP_SLOTS 64
static struct { uintptr_t lo, hi; } map_slot[MAP_SLOTS];
static volatile sig_atomic_t map_sigbus_set;

static void map_sigbus(int sig, siginfo_t *si, void *uc)
{
	(void)uc;
	uintptr_t a = (uintptr_t)si->si_addr;
	for (int i = 0; i < MAP_SLOTS; i++)
		if (a >= map_slot[i].lo && a < map_slot[i].hi) {
			static const char msg[] = "hopsniff: an input file was truncated by another program while being read; "
			                          "what it held past that point was not read\n";
			ssize_t r = write(2, msg, sizeof msg - 1);
			(void)r;
			_exit(2);
		}
	signal(sig, SIG_DFL);
	raise(sig);
}

static bool map_slot_take(const void *m, size_t len)
{
	for (int i = 0; i < MAP_SLOTS; i++)
		if (!map_slot[i].hi) {
			map_slot[i].lo = (uintptr_t)m;
			map_slot[i].hi = (uintptr_t)m + len;
			if (!map_sigbus_set) {
				struct sigaction sa;
				memset(&sa, 0, sizeof sa);
				sa.sa_sigaction = map_sigbus;
				sa.sa_flags = SA_SIGINFO;
				sigemptyset(&sa.sa_mask);
				sigaction(SIGBUS, &sa, NULL);
				map_sigbus_set = 1;
			}
			return true;
		}
	return false;
}

static void map_slot_free(const void *m)
{
	for (int i = 0; i < MAP_SLOTS; i++)
		if (map_slot[i].lo == (uintptr_t)m && map_slot[i].hi) {
			map_slot[i].hi = 0;
			map_slot[i].lo = 0;
		}
}

/* Map a regular file that is not gzip (which zlib must inflate): true
 * when mapped (the descriptor is closed then); false to read it through
 * the gzFile instead (empty, gzip, the mapping failed, or MAP_SLOTS files
 * are mapped already). */
static bool map_file(hs_input *in)
{
	uint8_t magic[2];
	if (in->size == 0 || in->size > SIZE_MAX || pread(in->fd, magic, 2, 0) != 2 ||
	    (magic[0] == 0x1f && magic[1] == 0x8b))
		return false;
	void *m = mmap(NULL, (size_t)in->size, PROT_READ, MAP_PRIVATE, in->fd, 0);
	if (m == MAP_FAILED)
		return false;
	if (!map_slot_take(m, (size_t)in->size)) {
		munmap(m, (size_t)in->size);
		return false;
	}
	madvise(m, (size_t)in->size, MADV_SEQUENTIAL);
	in->map = m;
	in->map_len = (size_t)in->size;
	close(in->fd);
	in->fd = -1;
	return true;
}

hs_input *hs_input_open(const char *path, bool all_copies, char *err, size_t errlen)
{
	hs_input *in = g_new0(hs_input, 1);
	in->fd = -1;
	in->all_copies = all_copies;
	in->linktype = -1;
	if (strcmp(path, "-") == 0) {
		in->fd = dup(0);
		if (in->fd < 0)
			return open_fail(in, err, errlen, "cannot read standard input (%s)", strerror(errno));
	} else {
		in->fd = open(path, O_RDONLY | O_CLOEXEC);
		if (in->fd < 0)
			return open_fail(in, err, errlen, "%s", strerror(errno));
	}
	struct stat st;
	bool regular = false;
	if (fstat(in->fd, &st) == 0) {
		regular = S_ISREG(st.st_mode);
		if (S_ISDIR(st.st_mode))
			return open_fail(in, err, errlen, "is a directory, not a capture file");
		if (S_ISREG(st.st_mode))
			in->size = (uint64_t)st.st_size;
	}
	if (!regular || !map_file(in)) {
		in->gz = gzdopen(in->fd, "rb");
		if (!in->gz)
			return open_fail(in, err, errlen, "out of memory");
		in->fd = -1; /* the gzFile owns it */
		gzbuffer(in->gz, 1u << 20);
	}
	long n = gz_take(in, in->peek, sizeof in->peek);
	if (n < 0) {
		int zerr;
		const char *m = gzerror(in->gz, &zerr);
		return open_fail(in, err, errlen, "%s", zerr == Z_ERRNO ? strerror(errno) : m);
	}
	in->peek_len = (size_t)n;
	in->gzip = in->gz && !gzdirect(in->gz);
	if (n == 0)
		return open_fail(in, err, errlen, "empty %s, not a pcap, pcapng or ETL capture",
				 in->gzip ? "gzip stream" : regular ? "file" : "input");
	uint32_t magic = rd32(in->peek, false);
	if (hs_etl_detect(in->peek, in->peek_len)) {
		in->kind = IN_ETL;
		if (in->map) /* read (and inflated) in place */
			in->etl = hs_etl_new_buffer(in->map, in->map_len, all_copies, 0);
		else
			in->etl = hs_etl_new(reader_read, in, in->peek, in->peek_len, all_copies, 0);
		in->peek_at = in->peek_len; /* the reader keeps its own copy */
		if (!in->etl)
			return open_fail(in, err, errlen, "out of memory");
		return in;
	}
	if (magic == 0x0a0d0d0a) {
		in->kind = IN_PCAPNG;
		in->pktmon_pcapng = hs_pcapng_peek_pktmon(in->peek, in->peek_len);
		in->ng = hs_pcapng_in_new(reader_read, in);
		in->linktype = hs_pcapng_peek_linktype(in->peek, in->peek_len);
		return in;
	} else if (magic == 0xa1b2c3d4 || magic == 0xd4c3b2a1 || magic == 0xa1b23c4d || magic == 0x4d3cb2a1) {
		in->kind = IN_PCAP;
	} else {
		return open_fail(in, err, errlen, "not a pcap, pcapng or ETL capture%s (it starts with %02x %02x %02x %02x)",
				 in->gzip ? " inside the gzip" : "", in->peek[0], n > 1 ? in->peek[1] : 0,
				 n > 2 ? in->peek[2] : 0, n > 3 ? in->peek[3] : 0);
	}
	cookie_io_functions_t io = { .read = cookie_read };
	in->fp = fopencookie(in, "rb", io);
	if (!in->fp)
		return open_fail(in, err, errlen, "out of memory");
	/* libpcap reads record by record through stdio: a large buffer
	 * saves a call per few packets */
	setvbuf(in->fp, NULL, _IOFBF, 1 << 20);
	char errbuf[PCAP_ERRBUF_SIZE];
	in->p = pcap_fopen_offline_with_tstamp_precision(in->fp, PCAP_TSTAMP_PRECISION_NANO, errbuf);
	if (!in->p)
		return open_fail(in, err, errlen, "cannot read the capture (libpcap: %s)", errbuf);
	in->fp = NULL; /* pcap_close closes it */
	in->linktype = pcap_datalink(in->p);
	return in;
}

/* pktmon's pcapng: a packet equal to one of the last few within the window is a copy. */
static bool pcapng_copy(hs_input *in, const hs_input_pkt *p)
{
	/* eight bytes at a time: byte-at-a-time FNV-1a was most of reading such a file */
	uint64_t h = hs_frame_hash(p->data, p->caplen, p->caplen);
	for (unsigned i = 0; i < DUP_RING; i++) {
		dup_entry *d = &in->ring[i];
		if (d->len == p->caplen && d->hash == h && d->len && p->ts_ns - d->ts_ns >= 0 &&
		    p->ts_ns - d->ts_ns <= DUP_WINDOW_NS)
			return true;
	}
	in->ring[in->ring_at++ % DUP_RING] = (dup_entry){ h, p->caplen, p->ts_ns };
	return false;
}

/* A pcap / pcapng record as the next packet: false when it is a copy of
 * the previous one that pktmon logged at another component (folded).  The
 * file's time is kept as written (the engine reports one outside
 * 1970..2262); ts_ns is clamped in checked form, for ordering. */
static bool take_record(hs_input *in, hs_input_pkt *p, int linktype, int64_t sec, uint32_t nsec, const uint8_t *data,
			uint32_t caplen, uint32_t wirelen)
{
	p->record = ++in->records;
	p->linktype = linktype;
	p->ts_sec = sec;
	p->ts_nsec = nsec;
	p->ts_ns = hs_ts_ns(sec, nsec);
	p->data = data;
	p->caplen = caplen;
	p->wirelen = wirelen > caplen ? wirelen : caplen;
	if (p->wirelen > p->caplen)
		in->st.truncated++;
	if (in->pktmon_pcapng && !in->all_copies && pcapng_copy(in, p)) {
		in->st.folded++;
		return false;
	}
	return true;
}

int hs_input_next(hs_input *in, hs_input_pkt *p)
{
	memset(p, 0, sizeof *p);
	if (in->kind == IN_ETL) {
		hs_etl_packet e;
		int r = hs_etl_next(in->etl, &e);
		if (r <= 0) {
			if (r < 0) {
				snprintf(in->err, sizeof in->err, "%s", hs_etl_error(in->etl));
				in->fatal = true;
			}
			return r;
		}
		p->linktype = e.linktype;
		p->ts_ns = e.ts_ns;
		p->ts_sec = e.ts_ns / 1000000000LL;
		p->ts_nsec = (uint32_t)(e.ts_ns % 1000000000LL);
		p->data = e.data;
		p->caplen = e.caplen;
		p->wirelen = e.wirelen;
		p->drop = e.drop;
		p->copies = e.copies;
		p->unprotected = e.unprotected;
		p->pktmon = e.pktmon;
		p->group = e.group;
		p->number = e.number;
		p->appearance = e.appearance;
		p->direction = e.direction;
		p->type = e.type;
		p->component = e.component;
		p->edge = e.edge;
		p->filter = e.filter;
		p->drop_reason = e.drop_reason;
		p->drop_location = e.drop_location;
		if (e.drop)
			in->st.drops++;
		if (e.wirelen > e.caplen && !e.drop)
			in->st.truncated++;
		in->st.folded = hs_etl_stats_get(in->etl)->folded;
		if (in->map) /* the packets of uncompressed buffers are slices of the mapping */
			map_drop_behind(in, (size_t)hs_etl_needed_from(in->etl));
		return 1;
	}
	while (in->ng) {
		bool trunc;
		hs_pcapng_pkt q;
		int r = hs_pcapng_next(in->ng, &q, in->err, sizeof in->err, &trunc);
		if (r <= 0) {
			if (r < 0 && trunc)
				g_strlcat(in->err, " (truncated)", sizeof in->err);
			return r;
		}
		if (take_record(in, p, q.linktype, q.ts_sec, q.ts_nsec, q.data, q.caplen, q.wirelen))
			return 1;
	}
	for (;;) {
		struct pcap_pkthdr *h;
		const u_char *d;
		int r = pcap_next_ex(in->p, &h, &d);
		if (r == PCAP_ERROR_BREAK)
			return 0;
		if (r != 1) {
			snprintf(in->err, sizeof in->err, "%s", pcap_geterr(in->p));
			return -1;
		}
		/* opened with nanosecond precision: tv_usec holds nanoseconds */
		if (take_record(in, p, in->linktype, h->ts.tv_sec, (uint32_t)h->ts.tv_usec, d, h->caplen, h->len))
			return 1;
	}
}

const char *hs_input_error(const hs_input *in)
{
	return in->err;
}

bool hs_input_fatal(const hs_input *in)
{
	return in->fatal;
}

const char *hs_input_format(const hs_input *in)
{
	static const char *names[2][3] = { { "pcap", "pcapng", "etl" }, { "pcap (gzip)", "pcapng (gzip)", "etl (gzip)" } };
	return names[in->gzip][in->kind];
}

int hs_input_linktype(const hs_input *in)
{
	return in->linktype;
}

uint64_t hs_input_consumed(const hs_input *in)
{
	if (in->map)
		return in->etl ? hs_etl_consumed(in->etl) : in->map_at;
	z_off_t o = gzoffset(in->gz);
	return o > 0 ? (uint64_t)o : 0;
}

uint64_t hs_input_size(const hs_input *in)
{
	return in->size;
}

const hs_input_stats *hs_input_stats_get(const hs_input *in)
{
	return &in->st;
}

const struct hs_etl_stats *hs_input_etl_stats(const hs_input *in)
{
	return in->etl ? hs_etl_stats_get(in->etl) : NULL;
}

void hs_input_close(hs_input *in)
{
	if (!in)
		return;
	if (in->p)
		pcap_close(in->p);
	hs_pcapng_in_free(in->ng);
	if (in->fp)
		fclose(in->fp);
	hs_etl_free(in->etl);
	if (in->gz)
		gzclose(in->gz);
	if (in->map) {
		map_slot_free(in->map);
		munmap((void *)in->map, in->map_len);
	}
	if (in->fd >= 0)
		close(in->fd);
	g_free(in);
}
