/* smb2.h - SMB over TCP 445 / NetBIOS 139 as a carrier of authentication:
 * the SMB2/3 header of every PDU (MS-SMB2 2.2.1), NEGOTIATE, SESSION_SETUP
 * (security buffer -> GSS), TREE_CONNECT (share path, tied to its response
 * by MessageId), CREATE (file name, FileId), READ / WRITE / IOCTL
 * (FileId, data) and CLOSE - enough to follow DCE/RPC through named pipes
 * (MS-SMB2 2.2.13-2.2.32; the RPC PDUs go to dcerpc.c with carrier
 * "smb2" and the pipe's name), the SMB3 encryption / compression transform headers
 * (reported, never opened), and from SMB1 (MS-CIFS / MS-SMB) the NEGOTIATE
 * dialect list and SESSION_SETUP_ANDX extended-security blob, which is where
 * a pre-SMB2 client's NTLM/SPNEGO rides.
 *
 * Decoding is zero-copy and allocation-free: hs_smb2_msg is caller-owned,
 * its hs_slice members point into the decoded PDU; the only copy is the
 * tree path, converted UTF-16LE -> UTF-8 into a fixed array (the response
 * needs it after the request's bytes are gone).
 */
#ifndef HS_SMB2_H
#define HS_SMB2_H

#include <stdbool.h>
#include <stdint.h>

#include "app.h"
#include "cursor.h"
#include "out.h"
#include "status.h"

#define HS_SMB2_MAX_DIALECTS 16   /* dialects listed in a NEGOTIATE request */
#define HS_SMB2_MAX_PATH 256      /* UTF-8 bytes of a tree path, NUL included */
#define HS_SMB2_PENDING 16        /* TREE_CONNECT / CREATE / READ requests awaiting a response, per flow */
#define HS_SMB2_PIPES 8           /* named pipes followed per flow (MS-SMB2 FileId -> pipe name) */
#define HS_SMB2_PIPE_TREES 4      /* IPC$ tree ids remembered per flow */
#define HS_SMB2_PIPE_NAME 64      /* UTF-8 bytes of a pipe name, NUL included */
#define HS_SMB2_FSCTL_PIPE_TRANSCEIVE 0x0011c017u /* MS-FSCC 2.3.49 */

/* NetBIOS session message cap (RFC 1002 4.3.1 allows 17 bits on 139; MS-SMB2
 * 2.1 direct TCP allows 24).  Only a PDU's first HS_SMB2_DECODE_MAX bytes
 * are held: larger ones (READ / WRITE data) are decoded from their head and
 * the rest is skipped, so no flow buffers megabytes of file data. */
#define HS_SMB2_NBSS_MAX 0xffffffu
#define HS_SMB2_DECODE_MAX 0x10000u

/* Which header the PDU carried. */
typedef enum hs_smb_kind {
	HS_SMB_NONE = 0,
	HS_SMB_V1,          /* 0xFF 'SMB' */
	HS_SMB_V2,          /* 0xFE 'SMB' */
	HS_SMB_ENCRYPTED,   /* 0xFD 'SMB' transform header (MS-SMB2 2.2.41) */
	HS_SMB_COMPRESSED,  /* 0xFC 'SMB' compression transform (2.2.42) */
	HS_SMB_NBSS_CONTROL /* NetBIOS session request / response / keep-alive (RFC 1002 4.3) */
} hs_smb_kind;

/* SMB2 commands (MS-SMB2 2.2.1.2). */
enum {
	HS_SMB2_NEGOTIATE = 0,
	HS_SMB2_SESSION_SETUP = 1,
	HS_SMB2_LOGOFF = 2,
	HS_SMB2_TREE_CONNECT = 3,
	HS_SMB2_TREE_DISCONNECT = 4,
	HS_SMB2_CREATE = 5,
	HS_SMB2_CLOSE = 6,
	HS_SMB2_READ = 8,
	HS_SMB2_WRITE = 9,
	HS_SMB2_IOCTL = 0x0b,
	HS_SMB2_CMD_COUNT = 0x13
};

/* SMB1 commands decoded beyond the header (MS-CIFS 2.2.2.1). */
enum {
	HS_SMB1_NEGOTIATE = 0x72,
	HS_SMB1_SESSION_SETUP_ANDX = 0x73,
	HS_SMB1_TREE_CONNECT_ANDX = 0x75
};

/* SESSION_SETUP response SessionFlags (MS-SMB2 2.2.6). */
#define HS_SMB2_SESSION_FLAG_IS_GUEST 0x0001u
#define HS_SMB2_SESSION_FLAG_IS_NULL 0x0002u
#define HS_SMB2_SESSION_FLAG_ENCRYPT_DATA 0x0004u

typedef struct hs_smb2_msg {
	hs_smb_kind kind;
	uint8_t nbss_type;       /* NetBIOS session packet type (0 = session message) */
	uint16_t command;        /* SMB2 command, or SMB1 command byte */
	bool response;           /* SMB2 SERVER_TO_REDIR / SMB1 FLAGS_REPLY */
	bool async;              /* SMB2 ASYNC flag (async_id instead of tree_id) */
	bool signed_;            /* SMB2 SIGNED flag / SMB1 FLAGS2 security signature */
	bool related;            /* SMB2 RELATED_OPERATIONS (compound member) */
	uint32_t status;         /* NTSTATUS (responses; SMB1 with FLAGS2_NT_STATUS) */
	bool has_status;
	uint64_t message_id;     /* SMB2 MessageId / SMB1 MID */
	uint64_t session_id;     /* SMB2 SessionId / SMB1 UID */
	uint32_t tree_id;        /* SMB2 TreeId / SMB1 TID */
	uint64_t async_id;
	uint32_t nbss_len;       /* NetBIOS length of the whole session message */
	bool head_only;          /* PDU larger than HS_SMB2_DECODE_MAX: only its header was decoded */
	bool error_response;     /* SMB2 ERROR response body (2.2.2) instead of the command's */

	/* NEGOTIATE */
	uint16_t dialects[HS_SMB2_MAX_DIALECTS]; /* SMB2 request: DialectRevision values */
	hs_slice smb1_dialects[HS_SMB2_MAX_DIALECTS]; /* SMB1 request: dialect strings */
	uint8_t n_dialects;
	unsigned dialects_more;  /* listed but not kept */
	uint16_t dialect;        /* SMB2 response: chosen DialectRevision; SMB1 response: DialectIndex */
	bool has_dialect;
	uint16_t security_mode;  /* SMB2 SecurityMode (also SESSION_SETUP request); SMB1 SecurityMode byte */
	bool has_security_mode;
	uint32_t capabilities;
	uint64_t system_time;    /* SMB2 response: the server's SystemTime (FILETIME, 100 ns since 1601; tshark smb2.current_time) */
	bool has_system_time;    /* present and not 0 (0 = the server does not say) */
	bool extended_security;  /* SMB1: CAP_EXTENDED_SECURITY / FLAGS2_EXTENDED_SECURITY */

	/* NEGOTIATE response and SESSION_SETUP: the GSS-API security buffer */
	hs_slice security_blob;
	bool has_security_blob;
	uint64_t previous_session_id;

	/* SESSION_SETUP response */
	uint16_t session_flags;  /* SMB2 SessionFlags; SMB1 Action (bit 0 = guest) */
	bool has_session_flags;

	/* TREE_CONNECT: request path, and on the response the path of the
	 * request with the same MessageId when it was seen */
	char path[HS_SMB2_MAX_PATH];
	bool has_path;
	bool path_truncated;
	uint8_t share_type;      /* response: 1 disk, 2 pipe, 3 print */
	uint32_t share_flags;
	uint32_t maximal_access;

	/* CREATE request: the file name (UTF-8, like path); on the response the
	 * name of the request with the same MessageId when it was seen.
	 * CREATE response, CLOSE, READ / WRITE / IOCTL requests and IOCTL
	 * response: the FileId (persistent + volatile, 2.2.14.1). */
	char file_name[HS_SMB2_MAX_PATH];
	bool has_file_name;
	uint8_t file_id[16];
	bool has_file_id;
	/* WRITE request data, READ response data, IOCTL request input /
	 * response output (slices into the PDU; may be cut short when the PDU
	 * is head_only) */
	hs_slice data;
	bool has_data;
	uint32_t data_len;       /* the length the PDU announces */
	uint32_t ctl_code;       /* IOCTL */
	const char *pipe;        /* set by the flow parser: the named pipe the FileId is (NULL otherwise) */

	/* encrypted / compressed transform */
	uint32_t original_size;
	uint16_t transform_flags;
} hs_smb2_msg;

/* NetBIOS session service framing (RFC 1002 4.3.1; MS-SMB2 2.1 direct TCP
 * uses the same 4 bytes with type 0).  p[0..len) is stream data.  OK:
 * *type and *length (payload bytes after the 4-byte header) are set and
 * consumed = 4 (the caller takes the payload itself); INCOMPLETE when fewer
 * than 4 bytes; ERROR (HS_E_MALFORMED) for an unknown packet type. */
hs_parse_result hs_smb_nbss_header(const uint8_t *p, size_t len, uint8_t *type, uint32_t *length);

/* Decode one SMB PDU starting at byte off of a session message payload
 * (pl).  For SMB2 compound chains, *next receives the offset of the next PDU
 * in pl or 0 when this is the last one.  *m is overwritten.  SMB2 offsets
 * (security buffer, path) are relative to the PDU's own header, so a chained
 * PDU decodes like a lone one.  Returns HS_OK, HS_E_TRUNCATED when pl ends
 * inside a field the command needs, HS_E_MALFORMED for a bad header or an
 * offset pointing outside the PDU, HS_E_UNKNOWN when pl[off] starts no SMB
 * header.  What was decoded before an error is kept in *m. */
hs_err hs_smb2_decode(hs_slice pl, size_t off, hs_smb2_msg *m, size_t *next);

/* Names: "SESSION_SETUP" (SMB2), "SESSION_SETUP_ANDX" (SMB1 via
 * hs_smb1_command_name); "3.1.1" for 0x0311, "2.???" for 0x02ff.  Never
 * NULL ("unknown"). */
const char *hs_smb2_command_name(uint16_t cmd);
const char *hs_smb1_command_name(uint8_t cmd);
const char *hs_smb2_dialect_name(uint16_t dialect);

/* Describe an hs_smb2_msg (body of an HS_PROTO_SMB2 message).  Fields:
 * "smb" (1/2/"encrypted"/"compressed"), "command", "response", "status"
 * (NTSTATUS name) and "status_code", "message_id", "session_id", "tree_id",
 * then the command's fields ("dialects", "dialect", "signing_enabled",
 * "signing_required", "system_time" (RFC 3339, NEGOTIATE response),
 * "security_blob_len", "session_flags", "guest",
 * "anonymous", "tree" ...).  The security blob itself is described by the
 * GSS message emitted after this one. */
void hs_smb2_describe(const void *body, hs_out *o, unsigned flags);

/* The engine's parser for TCP 445 and 139. */
extern const hs_app hs_smb2_app;

#endif
