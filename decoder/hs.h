/* hs.h - the public API of libhsdecoder, the one decoder shared by the
 * `hopsniff` command and the Wireshark plugin.
 *
 * A front end creates an engine, registers sinks, and feeds it link-layer
 * frames in capture order (hs_engine_feed).  The engine parses link, IP
 * (with fragment reassembly) and TCP/UDP, reassembles TCP streams per
 * direction, hands payload to the protocol parsers and calls the message
 * sink once per decoded message and the anomaly sink once per anomaly.
 * Front ends contain no protocol logic.
 *
 * Threading: an engine is used by one thread at a time.  Memory: every
 * buffer the engine keeps is bounded by hs_config caps; hitting a cap is an
 * anomaly plus a counter, never unbounded growth.
 */
#ifndef HS_H
#define HS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "out.h"
#include "status.h"

#define HS_VERSION "0.1.0"

/* Link types: the libpcap DLT_/LINKTYPE_ numbers hopsniff decodes. */
enum {
	HS_DLT_NULL = 0,        /* BSD loopback */
	HS_DLT_EN10MB = 1,      /* Ethernet, with 802.1Q / 802.1ad tags */
	HS_DLT_RAW = 101,       /* LINKTYPE_RAW: raw IPv4/IPv6 */
	HS_DLT_IEEE802_11 = 105,/* native 802.11 data frames with LLC/SNAP (Windows ETL traces of Wi-Fi adapters) */
	HS_DLT_LOOP = 108,      /* OpenBSD loopback (network byte order AF) */
	HS_DLT_LINUX_SLL = 113,
	HS_DLT_IPV4 = 228,
	HS_DLT_IPV6 = 229,
	HS_DLT_LINUX_SLL2 = 276,
	HS_DLT_RAW_ALT = 12     /* DLT_RAW on some BSDs */
};

/* True when hs_engine_feed understands frames of this link type. */
bool hs_linktype_supported(int linktype);

/* Capture times as int64 nanoseconds since 1970.  Seconds are clamped to
 * [0, HS_TS_MAX_SEC] (up to year 2262, less an hour so that adding or
 * subtracting the model's windows of minutes cannot overflow, and any two
 * clamped times subtract without overflow); a frame outside that range is
 * the anomaly "timestamp_out_of_range" (engine).  pcapng's 64-bit
 * timestamps reach year 2554, pcap's 32-bit seconds 2106. */
#define HS_TS_MAX_SEC (INT64_MAX / 1000000000LL - 3600)
static inline bool hs_ts_in_range(int64_t sec) { return sec >= 0 && sec <= HS_TS_MAX_SEC; }
static inline int64_t hs_ts_ns(int64_t sec, int64_t nsec)
{
	if (sec < 0)
		sec = 0;
	if (sec > HS_TS_MAX_SEC)
		sec = HS_TS_MAX_SEC;
	if (nsec < 0 || nsec > 999999999)
		nsec = nsec < 0 ? 0 : 999999999;
	return sec * 1000000000LL + nsec;
}

typedef struct hs_addr {
	uint8_t family; /* 4 or 6 */
	uint8_t a[16];  /* IPv4 in the first 4 bytes */
} hs_addr;

/* Render "10.0.0.1" / "2001:db8::1" into buf (at least 46 bytes). */
const char *hs_addr_str(const hs_addr *a, char *buf, size_t n);

/* Where a message came from.  For a message reassembled from several TCP
 * segments, frame and ts are those of the segment that completed it (as
 * Wireshark shows a reassembled PDU); src/dst follow the data's direction. */
typedef struct hs_meta {
	uint32_t input;      /* index of the capture file, 0-based */
	uint64_t frame;      /* 1-based frame number within that input */
	int64_t ts_sec;      /* UTC */
	uint32_t ts_nsec;
	hs_addr src, dst;
	uint16_t sport, dport;
	uint8_t ipproto;     /* 6 TCP, 17 UDP */
	uint64_t flow_id;    /* unique per connection instance (port reuse = new id) */
	uint8_t dir;         /* 0 = from the connection's initiator, 1 = reply */
	uint8_t carrier;     /* what the flow carries when a decode-as rule or a probe chose its
	                      * parser (hs_carrier, vocab.h); 0 = go by the server's port */
} hs_meta;

/* RFC 3339 UTC with microseconds ("2016-07-21T10:01:02.123456Z"). */
void hs_ts_rfc3339(int64_t sec, uint32_t nsec, char *buf, size_t n);

/* One per line of protos.def, in its order. */
typedef enum hs_proto {
#define HS_PROTO(id, name, stem) HS_PROTO_##id,
#include "protos.def"
#undef HS_PROTO
	HS_PROTO__COUNT
} hs_proto;

/* The contract's "proto" string ("kerberos", "ntlmssp", ...). */
const char *hs_proto_name(hs_proto p);

/* One decoded message.  body points to the protocol's decoded struct
 * (hs_krb_msg for HS_PROTO_KERBEROS, ...), whose slices point into the
 * engine's buffers: everything is valid only during the sink call. */
typedef struct hs_msg {
	const hs_meta *meta;
	hs_proto proto;
	const void *body;
	/* For an authentication token carried inside another protocol (SPNEGO
	 * in an HTTP header, NTLMSSP in an SMB2 SESSION_SETUP ...): that
	 * protocol's name ("http", "smb2", "ldap", "dcerpc", "tds", "credssp").
	 * NULL for messages that are not carried tokens. */
	const char *carrier;
} hs_msg;

/* Flags for describing messages. */
#define HS_DESCRIBE_SECRETS 0x1u /* include secret material (tickets, responses...) */

/* Describe m through the writer: the common header (input, frame, ts, src,
 * dst, proto) and the protocol's fields.  Secret material is left out unless
 * HS_DESCRIBE_SECRETS. */
void hs_msg_describe(const hs_msg *m, hs_out *o, unsigned flags);

typedef struct hs_anomaly {
	uint32_t input;
	uint64_t frame;
	const char *kind;   /* stable identifier: "malformed_der", "tcp_gap", "flow_cap" ... */
	const char *detail; /* human sentence; valid during the sink call only */
} hs_anomaly;

#define HS_DECODE_AS_MAX 16

typedef struct hs_config {
	size_t max_flows;          /* concurrent TCP/UDP flows tracked */
	size_t max_stream_buffer;  /* bytes buffered per TCP direction (unconsumed + out of order) */
	size_t max_total_buffer;   /* the memory budget: flows, parser states and buffers together */
	size_t max_ip_fragments;   /* IPv4/IPv6 datagrams being reassembled at once */
	double flow_idle_timeout;  /* seconds of silence before a flow is expired */
	unsigned describe_flags;   /* HS_DESCRIBE_* */
	bool no_probes;            /* flows on ports no table names are not probed by content (benchmarks) */
	/* Decode-as rules (hs_config_decode_as), before the well-known ports. */
	struct hs_decode_as {
		uint8_t ipproto;   /* 6 TCP, 17 UDP */
		uint16_t port;     /* either side of the flow */
		uint8_t target;    /* index of its name in hs_decode_as_name() */
	} decode_as[HS_DECODE_AS_MAX];
	unsigned n_decode_as;
} hs_config;

/* Add a decode-as rule written as in tshark: "tcp.port==8443,winrm-https"
 * (udp.port too; spaces around the parts are allowed): flows with that port
 * on either side go to the named parser and count as that carrier, before
 * any well-known port or probe.  A later rule for the same port replaces
 * the earlier one.  Returns HS_OK, HS_E_MALFORMED (why says what is wrong
 * in the spec, an unknown name, a name that has no parser on that transport)
 * or HS_E_LIMIT (more than HS_DECODE_AS_MAX rules).  why may be NULL. */
hs_err hs_config_decode_as(hs_config *c, const char *spec, char *why, size_t n);

/* The names decode-as accepts, i = 0, 1, ... until NULL: the carriers of
 * report-contract.md that have a parser ("winrm-http", "smb2" ...) and
 * the TLS-wrapped services the model names no carrier ("ldaps"). */
const char *hs_decode_as_name(size_t i);

/* Defaults: 100k flows, 4 MiB per direction, 256 MiB total, 1024 fragments,
 * 600 s idle. */
void hs_config_default(hs_config *c);

typedef struct hs_stats {
	uint64_t packets, bytes;        /* frames fed and their wire length */
	uint64_t flows;                 /* flows ever created */
	uint64_t decoded_messages;
	uint64_t dropped;               /* frames or bytes discarded because of a cap */
	uint64_t anomalies;
	uint64_t tcp_gaps;
	uint64_t cap_hits;              /* times any memory cap was hit */
	uint64_t evicted_flows;         /* flows closed early by max_flows or max_total_buffer */
	uint64_t bad_timestamps;        /* frames whose time is outside 1970..2262 (clamped) */
	uint64_t ip_fragments;
	uint64_t undecodable;           /* frames whose link/IP layer could not be parsed */
	size_t buffered_bytes;          /* current bytes held by flows, parser states and streams */
	size_t peak_buffered_bytes;
} hs_stats;

typedef struct hs_engine hs_engine;

typedef struct hs_frame {
	uint32_t input;
	uint64_t frame;       /* 1-based */
	int64_t ts_sec;
	uint32_t ts_nsec;
	int linktype;
	const uint8_t *data;  /* caller's buffer, only read during the call */
	size_t caplen;        /* bytes present */
	size_t wirelen;       /* bytes on the wire (>= caplen when snaplen cut) */
} hs_frame;

typedef void (*hs_msg_fn)(void *ud, const hs_msg *m);
typedef void (*hs_anomaly_fn)(void *ud, const hs_anomaly *a);

/* NULL config = defaults.  Returns NULL only when out of memory. */
hs_engine *hs_engine_new(const hs_config *cfg);
void hs_engine_free(hs_engine *e);

/* Sinks may be NULL.  Several message sinks may be added (e.g. the printer
 * and the correlation model); they are called in the order added. */
void hs_engine_add_msg_sink(hs_engine *e, hs_msg_fn fn, void *ud);
void hs_engine_set_anomaly_sink(hs_engine *e, hs_anomaly_fn fn, void *ud);

/* The well-known ports of ipproto (6 TCP, 17 UDP) that a parser wants, in
 * table order, into out (at most max); returns how many there are (may be
 * more than max).  Live capture builds its default BPF filter from them. */
size_t hs_app_ports(uint8_t ipproto, uint16_t *out, size_t max);

/* Load an NSS key log file (SSLKEYLOGFILE format: CLIENT_RANDOM for TLS
 * 1.2, *_TRAFFIC_SECRET_* for TLS 1.3) whose secrets decrypt TLS
 * connections (HTTPS WinRM, LDAPS, CredSSP, RDP).  May be called several
 * times (files add up); call before the first feed, after the anomaly
 * sink is set (the anomalies below are raised here).  Pipes, FIFOs and
 * devices are read like files, up to HS_KEYLOG_MAX_FILE bytes; UTF-16 text
 * is converted (anomaly "keylog_encoding").  Returns HS_OK (bad lines are
 * skipped and reported as a "keylog_malformed" anomaly naming the first
 * one's line), or: HS_E_UNKNOWN when the file cannot be read or is a
 * directory (errno set), HS_E_NOMEM when it is larger than the cap,
 * HS_E_MALFORMED for UTF-16 that does not convert; then
 * hs_engine_error_detail() says why.  Secrets stay in the engine and are
 * wiped by hs_engine_free. */
hs_err hs_engine_add_keylog(hs_engine *e, const char *path);

/* Like hs_engine_add_keylog, for a key log still being written by a running
 * client (live capture): the file is read now and again whenever a TLS
 * connection needs a secret that is not known yet (and at each
 * hs_engine_reload_keylogs), so secrets appended later are used.  May be
 * called at any time. */
hs_err hs_engine_follow_keylog(hs_engine *e, const char *path);

/* Read what was appended to the followed key logs; returns the number of
 * secrets added (0 when nothing is followed).  Malformed lines are reported
 * as "keylog_malformed" anomalies. */
size_t hs_engine_reload_keylogs(hs_engine *e);
/* Load an MIT keytab file (0x0502 / 0x0501, as written by ktutil,
 * samba-tool domain exportkeytab, ktpass) whose keys decrypt Kerberos:
 * tickets (service keys, krbtgt's for TGTs), then with the session keys
 * found there the authenticators (GSS delegation flag, forwarded TGT),
 * the KDC replies and the S4U2Proxy evidence ticket.  Results appear as
 * the "decrypted" object of Kerberos messages (docs/messages.md).  May be
 * called several times (keys add up); call before the first feed.
 * Supported etypes: 17, 18 (RFC 3962), 19, 20 (RFC 8009), 23 (RFC 4757);
 * keys of other etypes are skipped (anomaly "keytab_unsupported_etype").
 * Returns HS_OK, or: HS_E_UNKNOWN (file unreadable, or not a keytab),
 * HS_E_TRUNCATED / HS_E_MALFORMED (damaged file), HS_E_LIMIT (over 4 MiB,
 * or another cap of the format); then hs_engine_error_detail() says why.
 * Pipes, FIFOs and devices are read like files within the 4 MiB cap; a
 * directory is HS_E_UNKNOWN.  Keys past HS_KRB_MAX_KEYS (4096, all keytabs
 * together) are ignored with the anomaly "krb_key_cap".
 * Keys stay in the engine, are never printed without HS_DESCRIBE_SECRETS,
 * and are wiped by hs_engine_free. */
hs_err hs_engine_add_keytab(hs_engine *e, const char *path);

/* An NTLM credential that opens NTLM-sealed WinRM bodies (MS-NLMP 3.4):
 * "DOMAIN\user:password" (nt_hash false) or "DOMAIN\user:<32 hex digits>"
 * (the NT hash).  Repeatable; call before the first feed.  Returns HS_OK or
 * HS_E_MALFORMED (hs_engine_error_detail() says why, never quoting the
 * secret).  Kept in the engine, never printed, wiped by hs_engine_free. */
hs_err hs_engine_add_ntlm_cred(hs_engine *e, const char *spec, bool nt_hash);

/* A human sentence about the last failed hs_engine_add_keytab ("FILE:
 * record at offset 42: key longer than 64 bytes"); "" when none.  Valid
 * until the next call on e. */
const char *hs_engine_error_detail(const hs_engine *e);

/* Feed one frame.  Frames of several inputs may be interleaved (merged by
 * timestamp by the caller).  Returns HS_OK, or HS_E_UNSUPPORTED for a link
 * type hopsniff does not decode (nothing else is done with that frame). */
hs_err hs_engine_feed(hs_engine *e, const hs_frame *f);

/* End of all input: flush partial streams (reporting truncated PDUs). */
void hs_engine_finish(hs_engine *e);

const hs_stats *hs_engine_stats(const hs_engine *e);

#endif
