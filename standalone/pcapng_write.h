/* pcapng_write.h - writing pcapng (draft-ietf-opsawg-pcapng): one section,
 * any number of interfaces, Enhanced Packet Blocks with an optional comment.
 * Used by live capture (-w: the analysed packets) and the file mode (-w: the
 * packets read, pktmon's copies folded, as a capture Wireshark opens).
 * Each block is written whole; hs_pcapng_flush() makes what is on disk a
 * valid capture (live capture flushes after every batch). */
#ifndef HS_PCAPNG_WRITE_H
#define HS_PCAPNG_WRITE_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

typedef struct hs_pcapng_out {
	FILE *f;
	const char *path;
	uint64_t packets;
	uint32_t interfaces;
	bool failed;            /* a write failed (said once on stderr); packets are no longer saved */
} hs_pcapng_out;

/* Create path and write the section header (shb_userappl "hopsniff VERSION").
 * false after printing why. */
bool hs_pcapng_open(hs_pcapng_out *w, const char *path);

/* An Interface Description Block; returns its id (0, 1 ...), or -1 on a
 * write error.  nano: timestamps in ns (else µs); name and comment may be NULL. */
int hs_pcapng_add_interface(hs_pcapng_out *w, int linktype, uint32_t snaplen, const char *name, const char *comment,
			    bool nano);

/* One packet on interface iface, ts in that interface's unit; comment may be NULL. */
void hs_pcapng_packet(hs_pcapng_out *w, uint32_t iface, uint64_t ts, const uint8_t *d, uint32_t caplen,
		      uint32_t wirelen, const char *comment);

/* fflush; false once a write failed. */
bool hs_pcapng_flush(hs_pcapng_out *w);

/* Flush and close; false if any write failed. */
bool hs_pcapng_close(hs_pcapng_out *w);

#endif
