/* input.h - one capture input of the `hopsniff` command, opened by its
 * content: pcap or pcapng (libpcap), a Windows ETL trace (etl.h), or a
 * gzip-compressed file of any of them (zlib), from a path, a FIFO or
 * standard input ("-").  One packet iterator whatever the format, with link
 * type, timestamp and original length per packet, and how many bytes of the
 * input were consumed (for a progress display).
 *
 * Duplicates: pktmon logs one packet once per network component it crossed;
 * unless all_copies, the copies are folded into the one closest to the wire
 * (ETL: by PktGroupId / PktNumber; pktmon's pcapng: the same bytes within
 * 1 ms of the first copy), and the drops pktmon recorded come out as
 * hs_input_pkt.drop, never as traffic. */
#ifndef HS_INPUT_H
#define HS_INPUT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef struct hs_input hs_input;

typedef struct hs_input_pkt {
	int linktype;
	int64_t ts_ns;           /* nanoseconds since 1970, UTC (clamped to 1970..2262: hs_ts_ns) */
	int64_t ts_sec;          /* the time as the file says it, */
	uint32_t ts_nsec;        /* possibly outside that range */
	const uint8_t *data;     /* valid until the next hs_input_next() */
	uint32_t caplen, wirelen;
	uint64_t record;         /* pcap / pcapng: its number in the file (1-based, folded copies counted), as
				  * Wireshark numbers it; 0 for ETL */
	bool drop;               /* a drop the capture tool recorded: show it, never decode it as traffic */
	uint32_t copies;         /* appearances folded into this packet (0 or 1: none) */
	bool unprotected;        /* 802.11 frame logged decrypted: its Protected flag was cleared */
	/* ETL (pktmon) metadata, when pktmon is set */
	bool pktmon;
	uint64_t group;          /* PktGroupId */
	uint16_t number, appearance, direction, type, component, edge, filter;
	uint32_t drop_reason, drop_location;
} hs_input_pkt;

typedef struct hs_input_stats {
	uint64_t folded;         /* copies folded away */
	uint64_t drops;          /* recorded drops */
	uint64_t truncated;      /* packets shorter than on the wire */
} hs_input_stats;

/* Open path ("-": standard input) and read its first bytes to tell the
 * format.  NULL after writing one sentence into err (no such file, a
 * directory, empty, not a capture, an unsupported ETL ...). */
hs_input *hs_input_open(const char *path, bool all_copies, char *err, size_t errlen);

/* The next packet: 1, 0 at the end, -1 on an error (hs_input_error(); see
 * hs_input_fatal()). */
int hs_input_next(hs_input *in, hs_input_pkt *p);

/* The error of the last hs_input_next() (one sentence, without the path). */
const char *hs_input_error(const hs_input *in);

/* True when the error makes the whole input unusable (a truncated or
 * corrupt ETL): nothing read from it may be presented as complete.  False
 * for a damaged pcap record, after which what was read before stands. */
bool hs_input_fatal(const hs_input *in);

/* "pcap", "pcapng", "etl", with " (gzip)" when compressed. */
const char *hs_input_format(const hs_input *in);

/* The link type of a pcap input (of its first interface for pcapng); -1
 * for ETL, whose packets carry theirs. */
int hs_input_linktype(const hs_input *in);

/* Bytes of the file consumed so far (compressed bytes for gzip), and its
 * size (0 when unknown: a pipe). */
uint64_t hs_input_consumed(const hs_input *in);
uint64_t hs_input_size(const hs_input *in);

const hs_input_stats *hs_input_stats_get(const hs_input *in);

/* For an ETL input: its counters (NULL otherwise). */
struct hs_etl_stats;
const struct hs_etl_stats *hs_input_etl_stats(const hs_input *in);

void hs_input_close(hs_input *in);

#endif
