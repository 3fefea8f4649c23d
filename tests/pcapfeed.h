/* pcapfeed.h - feed a capture file to an engine, frame by frame, for the
 * unit tests that run real captures through the decoders (model_test,
 * tls_test).  Header-only; link libpcap. */
#ifndef HS_PCAPFEED_H
#define HS_PCAPFEED_H

#include <pcap/pcap.h>
#include <stdio.h>
#include <stdlib.h>

#include "hs.h"

typedef struct pf_file {
	pcap_t *p;
	uint64_t frame;
	int64_t shift_sec; /* added to every timestamp (0 after pf_open) */
} pf_file;

/* Open $HS_CAPTURES/rel (or abort the test program: a missing capture is a
 * broken checkout, not a skipped test). */
static inline pf_file pf_open(const char *rel)
{
	char path[1024], err[PCAP_ERRBUF_SIZE];
	const char *root = getenv("HS_CAPTURES") ? getenv("HS_CAPTURES") : "captures";
	snprintf(path, sizeof path, "%s/%s", root, rel);
	pf_file f = { pcap_open_offline_with_tstamp_precision(path, PCAP_TSTAMP_PRECISION_NANO, err), 0, 0 };
	if (!f.p) {
		fprintf(stderr, "%s: %s\n", path, err);
		exit(2);
	}
	return f;
}

/* Feed up to n frames (SIZE_MAX: all); returns the number fed. */
static inline size_t pf_feed(hs_engine *e, pf_file *f, size_t n)
{
	struct pcap_pkthdr *h;
	const u_char *d;
	size_t k = 0;
	while (k < n && pcap_next_ex(f->p, &h, &d) == 1) {
		hs_frame fr = { 0, ++f->frame, h->ts.tv_sec + f->shift_sec, (uint32_t)h->ts.tv_usec, pcap_datalink(f->p), d,
				h->caplen, h->len > h->caplen ? h->len : h->caplen };
		hs_engine_feed(e, &fr);
		k++;
	}
	return k;
}

static inline void pf_close(pf_file *f)
{
	pcap_close(f->p);
}

#endif
