/* etl.h - packets out of Windows event-trace (ETL) files, as `pktmon start
 * --capture` and `netsh trace start capture=yes` write them, with no
 * Windows API: WMI buffers (plain or compressed with XPRESS, XPRESS Huffman or
 * LZNT1, MS-XCA),
 * the records of every header kind, events of all processors merged back
 * into time order, timestamps converted from the log's clock to UTC, and
 * the packet events of Microsoft-Windows-PktMon (160 packet, 170 drop) and
 * Microsoft-Windows-NDIS-PacketCapture (1001, and 1003 from the Hyper-V
 * switch; fragments joined).
 *
 * A capture-format reader, not protocol logic: it hands frames with their
 * link type to the front end, which feeds the decoder.  Every size read from
 * the file is checked against the input and against hard caps
 * (HS_ETL_MAX_BUFFER per buffer, mem_cap for the buffers held for ordering). */
#ifndef HS_ETL_H
#define HS_ETL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define HS_ETL_MAX_BUFFER (16u << 20) /* ETW buffers are at most 16 MiB (EVENT_TRACE_PROPERTIES.BufferSize, in KiB, max 16384) */

/* Reads up to n bytes into buf; returns the count (short only at the end
 * of the input) or -1 on a read error. */
typedef long (*hs_etl_read_fn)(void *ud, void *buf, size_t n);

typedef struct hs_etl hs_etl;

/* One packet (or recorded drop) of the trace. */
typedef struct hs_etl_packet {
	int64_t ts_ns;           /* UTC, nanoseconds since 1970 (the log keeps 100 ns) */
	int linktype;            /* LINKTYPE_ETHERNET (1), IEEE802_11 (105), RAW (101) */
	const uint8_t *data;     /* valid until the next hs_etl_next() or hs_etl_free() (a slice of the reader's buffer) */
	uint32_t caplen, wirelen;/* wirelen > caplen: pktmon truncated it (--pkt-size) */
	bool drop;               /* a drop pktmon recorded (event 170): not traffic */
	bool pktmon;             /* the metadata below is set */
	uint64_t group;          /* PktGroupId */
	uint16_t number, appearance, direction, type, component, edge, filter;
	uint32_t drop_reason, drop_location;
	uint32_t copies;         /* appearances folded into this one (1: none) */
	bool unprotected;        /* 802.11: the Protected flag of a frame Windows logged decrypted was cleared */
	uint16_t processor;
} hs_etl_packet;

typedef struct hs_etl_stats {
	uint64_t buffers, compressed_buffers, records, events;
	uint64_t packet_events;  /* PktMon 160 + NDIS 1001/1003 packets (after fragments are joined) */
	uint64_t drops;          /* PktMon 170 */
	uint64_t folded;         /* copies of one packet folded into one */
	uint64_t malformed;      /* packet events too short for their own sizes: skipped */
	uint64_t network_events; /* events of the two network providers, of any id */
	uint32_t processors, compression;
} hs_etl_stats;

/* True when the first n bytes (n >= 0x50 to decide) start an ETL file: a
 * WMI buffer whose first record is the system-header event 0 (version 2). */
bool hs_etl_detect(const uint8_t *b, size_t n);

/* A reader over rd (which the caller keeps valid), after the prefix bytes
 * the caller already took from it (copied).  all_copies: keep every
 * appearance of a packet instead of the one closest to the wire.  mem_cap:
 * bytes held for time ordering (0: 64 MiB): the uncompressed buffers that
 * queued packets are slices of, and the queue's entries; beyond it the
 * earliest half are released even if a later buffer could still hold an
 * earlier event.  NULL only when out of memory. */
hs_etl *hs_etl_new(hs_etl_read_fn rd, void *ud, const uint8_t *prefix, size_t prefix_len, bool all_copies,
		   size_t mem_cap);

/* The same over len bytes at data (which the caller keeps valid while the
 * reader lives): a mapped file, the fuzz target and the unit tests.
 * Buffers are read in place: compressed ones inflated from data, the
 * packets of uncompressed ones are slices of it (hs_etl_needed_from()
 * says where the caller may let pages go). */
hs_etl *hs_etl_new_buffer(const uint8_t *data, size_t len, bool all_copies, size_t mem_cap);

/* The next packet or drop in time order: 1, 0 at the end, -1 on an error
 * (hs_etl_error() says which; the reader stays at the error).  The first
 * call reads the whole header buffer and fails on an ETL that is not a
 * network trace or holds no packets. */
int hs_etl_next(hs_etl *e, hs_etl_packet *p);

/* The last error as one sentence, "" if none. */
const char *hs_etl_error(const hs_etl *e);

const hs_etl_stats *hs_etl_stats_get(const hs_etl *e);

/* Bytes of the input taken so far (the prefix included): the offset in
 * the file of the next buffer. */
uint64_t hs_etl_consumed(const hs_etl *e);

/* The offset in the input from which packets queued or handed out may
 * point into it (hs_etl_new_buffer: uncompressed buffers are read in
 * place); hs_etl_consumed() when none does. */
uint64_t hs_etl_needed_from(const hs_etl *e);

void hs_etl_free(hs_etl *e);

/* A 64-bit hash of n bytes at d, eight at a time: the key of a frame for
 * recognising its copies (NDIS events here, pktmon's pcapng in input.c). */
uint64_t hs_frame_hash(const uint8_t *d, size_t n, uint64_t seed);

/* MS-XCA 2.4: plain LZ77 ("XPRESS", COMPRESSION_FORMAT_XPRESS) into out;
 * returns the bytes written, or -1 on a malformed stream (a match before
 * the start of the output).  Stops when out is full. */
long hs_xpress_decompress(const uint8_t *in, size_t in_len, uint8_t *out, size_t out_len);

/* MS-XCA 2.2: LZ77+Huffman ("XPRESS Huffman", COMPRESSION_FORMAT_XPRESS_HUFF)
 * into out, in blocks of 64 KiB each with its own code; table: the caller's
 * HS_XPRESS_HUFF_TABLE entries of scratch space.  Returns the bytes
 * written (out_len unless the stream is short), or -1 on a malformed
 * stream (an incomplete code, a match before the start of the output, the
 * input ending inside a block).  Stops when out is full; does not ask for
 * the end-of-data symbol (256) that Windows' compressor appends. */
#define HS_XPRESS_HUFF_BITS 15
#define HS_XPRESS_HUFF_TABLE (1u << HS_XPRESS_HUFF_BITS)
long hs_xpress_huff_decompress(const uint8_t *in, size_t in_len, uint8_t *out, size_t out_len, uint16_t *table);

/* MS-XCA 2.5: LZNT1 (COMPRESSION_FORMAT_LZNT1) into out; as above. */
long hs_lznt1_decompress(const uint8_t *in, size_t in_len, uint8_t *out, size_t out_len);

#endif
