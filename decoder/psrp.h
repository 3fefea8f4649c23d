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

/* The message text of the first complete ERROR_RECORD in a base64 PSRP
 * blob (a PowerShell stream), into out (n bytes); false when there is none. */
bool hs_psrp_first_error(hs_slice b64, char *out, size_t n);

#endif
