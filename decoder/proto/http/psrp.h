/* psrp.h - PowerShell Remoting Protocol (MS-PSRP) as it rides in WinRM:
 * the base64 of creationXml, rsp:Arguments and the stdin / stdout / pr
 * streams is a sequence of fragments (MS-PSRP 2.2.4: ObjectId, FragmentId,
 * Start/End flags, blob; integers in network byte order); a message (2.2.1:
 * Destination, MessageType, RPID, PID little-endian, then the CLIXML data)
 * is one fragment with both flags, or the blobs of consecutive fragments
 * of one ObjectId.
 *
 * Pure functions: no allocation, slices into the caller's bytes.  What is
 * read from the CLIXML (2.2.5) is left to hs_psrp_clixml (libxml2, with the
 * same safety settings as the SOAP decoder).
 */
#ifndef HS_PSRP_H
#define HS_PSRP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <glib.h>

#include "cursor.h"
#include "status.h"

#define HS_PSRP_FRAGMENT_HEADER 21u

typedef struct hs_psrp_fragment {
	uint64_t object_id, fragment_id;
	bool start, end;
	hs_slice blob;
} hs_psrp_fragment;

/* One fragment at p: HS_OK with *consumed bytes, HS_E_TRUNCATED when the
 * header or the blob runs past len, HS_E_MALFORMED for unknown flag bits. */
hs_err hs_psrp_fragment_parse(const uint8_t *p, size_t len, hs_psrp_fragment *f, size_t *consumed);

#define HS_PSRP_MESSAGE_HEADER 40u

typedef struct hs_psrp_message {
	uint32_t destination;   /* 1 client, 2 server */
	uint32_t type;          /* MS-PSRP 2.2.1 MessageType */
	char rpid[37], pid[37]; /* GUIDs as text (Microsoft's mixed-endian layout, 2.2.1) */
	hs_slice data;          /* the CLIXML (a UTF-8 BOM removed) */
} hs_psrp_message;

/* A whole message (the blob of a complete fragment): HS_OK or HS_E_TRUNCATED. */
hs_err hs_psrp_message_parse(const uint8_t *p, size_t len, hs_psrp_message *m);

/* "SESSION_CAPABILITY", "CREATE_PIPELINE", "ERROR_RECORD" ...; NULL when unknown. */
const char *hs_psrp_type_name(uint32_t type);

#define HS_PSRP_TEXT 512

/* What hopsniff reads from a message's CLIXML (2.2.5, 2.2.2.x):
 * CREATE_PIPELINE: the command line (the Cmd strings of its commands, with
 * their positional / named argument values), RUNSPACEPOOL_STATE and
 * PIPELINE_STATE: the state number, ERROR_RECORD and the
 * WARNING/VERBOSE/INFORMATION records: the message text, ERROR_RECORD also
 * FullyQualifiedErrorId, ErrorCategory_Reason and ErrorCategory_TargetName,
 * SESSION_CAPABILITY: protocolversion / PSVersion. */
typedef struct hs_psrp_clixml {
	char command[HS_PSRP_TEXT];
	bool has_state;
	int32_t state;
	char text[HS_PSRP_TEXT];          /* record message / ToString */
	char error_id[HS_PSRP_TEXT / 2];  /* FullyQualifiedErrorId */
	char reason[HS_PSRP_TEXT / 4];    /* ErrorCategory_Reason */
	char target[HS_PSRP_TEXT / 2];    /* ErrorCategory_TargetName */
	char protocol_version[16], ps_version[16];
} hs_psrp_clixml;

/* Read m's CLIXML into *x (zeroed first).  HS_OK, or HS_E_MALFORMED when it
 * is no well-formed XML (DOCTYPEs refused, size capped as for SOAP). */
hs_err hs_psrp_clixml_read(const hs_psrp_message *m, hs_psrp_clixml *x);

/* ---- Reassembly (2.2.4) ----
 * A message larger than the peer's fragment size (MaxEnvelopeSize minus the
 * envelope, 3.1.5.3.x) is sent as fragments of one ObjectId, FragmentId 0
 * with S, then 1, 2 ... the last with E, in stream order, possibly spread
 * over several Send requests / Receive responses.  ObjectIds are unique per
 * sender within a runspace pool, so a partial message is keyed by the
 * caller's key (direction and shell) and the ObjectId.
 *
 * hs_psrp_reasm holds the partial messages of one connection: at most
 * HS_PSRP_REASM_SLOTS at once and max_bytes of blobs together (the caller
 * accounts them to the engine through the byte count).  Nothing is ever
 * reordered: a fragment that does not continue its message is a typed
 * result, and the partial message is dropped; the message's later
 * fragments are then skipped quietly (one result per broken message). */
#define HS_PSRP_REASM_SLOTS 8

typedef struct hs_psrp_reasm hs_psrp_reasm;

typedef enum hs_psrp_reasm_res {
	HS_PSRP_WHOLE = 0,   /* S and E: a whole message in one fragment (not kept) */
	HS_PSRP_PENDING,     /* kept, waiting for the next fragment */
	HS_PSRP_DONE,        /* E completed a message: *out is its bytes */
	HS_PSRP_ORPHAN,      /* a continuation whose start was never seen: dropped */
	HS_PSRP_GAP,         /* FragmentId not the next one (lost or reordered): the partial message dropped */
	HS_PSRP_RESTART,     /* S for an ObjectId with a partial message: the old one dropped, the new kept */
	HS_PSRP_CAP,         /* over max_bytes or out of slots: this (or the oldest) message dropped */
	HS_PSRP_SKIPPED,     /* a later fragment of a message already reported (orphan, gap, cap): dropped */
} hs_psrp_reasm_res;

/* A reassembler whose kept blobs never exceed max_bytes together. */
hs_psrp_reasm *hs_psrp_reasm_new(size_t max_bytes);
/* Free r and its partial messages (NULL is fine). */
void hs_psrp_reasm_free(hs_psrp_reasm *r);
/* Blob bytes held now; partial messages held now (not counting broken ones). */
size_t hs_psrp_reasm_bytes(const hs_psrp_reasm *r);
unsigned hs_psrp_reasm_pending(const hs_psrp_reasm *r);

/* Add one parsed fragment under key.  On HS_PSRP_DONE *out is the whole
 * message (2.2.1), owned by the caller (g_byte_array_free) and *nfrag the
 * number of fragments it came in; otherwise *out is NULL.  HS_PSRP_CAP:
 * a start with every slot taken evicts the oldest partial message (the new
 * one is kept); a fragment that would pass max_bytes drops its message. */
hs_psrp_reasm_res hs_psrp_reasm_add(hs_psrp_reasm *r, uint64_t key, const hs_psrp_fragment *f, GByteArray **out,
				    unsigned *nfrag);

/* A message completed from several fragments, as the WinRM message that
 * carried its last fragment keeps it (hs_winrm_msg.psrp_joined,
 * hs_psrp_winrm_feed in psrp_winrm.h). */
typedef struct hs_psrp_joined {
	uint64_t object_id;
	unsigned fragments;
	GByteArray *data; /* the message (2.2.1) */
} hs_psrp_joined;

struct hs_app_ctx;

/* At the end of a connection: one "psrp_fragment_incomplete" anomaly when
 * messages were left unfinished; then frees r. */
void hs_psrp_reasm_close(hs_psrp_reasm *r, struct hs_app_ctx *ctx);

/* The message joined for object_id in a list of joined messages (a
 * GPtrArray: hs_winrm_msg.psrp_joined; NULL is fine); NULL when none. */
const hs_psrp_joined *hs_psrp_joined_find(const void *list, uint64_t object_id);

/* Free a list of joined messages (a GPtrArray; NULL is fine). */
void hs_psrp_joined_free(void *list);

#endif
