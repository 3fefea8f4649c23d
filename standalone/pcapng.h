/* pcapng.h - reading pcapng (draft-ietf-opsawg-pcapng); writing is
 * pcapng_write.h.
 *
 * Every section, every interface with its own link type and time
 * resolution (libpcap refuses a file whose interfaces differ in link type,
 * which Wireshark, pktmon and our own -w of a mixed ETL write), Enhanced,
 * Simple and obsolete Packet Blocks; other blocks skipped. */
#ifndef HS_PCAPNG_H
#define HS_PCAPNG_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

/* Blocks larger than this are refused as corrupt (libpcap's own cap on a
 * record is 256 KiB of packet data; pcapng blocks also carry options). */
#define HS_PCAPNG_MAX_BLOCK (16u << 20)
#define HS_PCAPNG_MAX_IFACES 65536

typedef struct hs_pcapng_in hs_pcapng_in;

/* read: fills buf with up to n bytes, returns the count (short only at the
 * end), or -1 on an error; ud is passed back.  NULL when out of memory. */
hs_pcapng_in *hs_pcapng_in_new(long (*read)(void *ud, void *buf, size_t n), void *ud);
void hs_pcapng_in_free(hs_pcapng_in *r);

typedef struct hs_pcapng_pkt {
	int linktype;
	int64_t ts_sec;         /* the interface's if_tsoffset applied */
	uint32_t ts_nsec;
	const uint8_t *data;    /* valid until the next hs_pcapng_next() */
	uint32_t caplen, wirelen;
	uint32_t iface;
} hs_pcapng_pkt;

/* The next packet: 1, 0 at the end of the input, -1 on a corrupt or
 * truncated file (err says which block and why; truncated says whether the
 * input ended inside a block). */
int hs_pcapng_next(hs_pcapng_in *r, hs_pcapng_pkt *p, char *err, size_t errlen, bool *truncated);

/* From the first bytes of a pcapng (b, n): the link type of its first
 * interface when that follows the section header within them (it does in
 * the files tools write), else -1; and whether the section header's
 * shb_userappl is pktmon's "Packet Monitor" (its copies are folded). */
int hs_pcapng_peek_linktype(const uint8_t *b, size_t n);
bool hs_pcapng_peek_pktmon(const uint8_t *b, size_t n);

/* The link type of the first interface, -1 before one was read. */
int hs_pcapng_first_linktype(const hs_pcapng_in *r);

#endif
