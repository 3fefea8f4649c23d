/* winrm.h - WS-Management as Windows speaks it (MS-WSMV, DMTF DSP0226) and
 * the WinRM message encryption envelope (MS-WSMV 2.2.9.1).
 *
 * hs_winrm_parse reads one SOAP envelope through libxml2 with every
 * dangerous feature off: no network, no DTD loading, no entity substitution,
 * any DOCTYPE rejected before parsing, a size cap before parsing and a depth
 * cap while walking; libxml2's error output is silenced.  It fills an
 * hs_winrm_msg whose slices point into the parsed document; the document
 * belongs to the message until hs_winrm_release.
 *
 * hs_winrm_parse_encrypted reads the multipart/encrypted and
 * multipart/x-multi-encrypted bodies WinRM sends over plain HTTP once
 * authenticated (SPNEGO, Kerberos or CredSSP sealing): per part the original
 * SOAP length, the signature (GSS wrap token) size and the ciphertext size.
 * It allocates nothing.  Decryption is another module's job.
 */
#ifndef HS_WINRM_H
#define HS_WINRM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "anomalies.h"
#include "cursor.h"
#include "out.h"
#include "status.h"
#include "xml.h"

#define HS_WINRM_MAX_XML HS_XML_MAX_BYTES /* envelopes larger than this are not parsed */
#define HS_WINRM_MAX_DEPTH HS_XML_MAX_DEPTH /* element nesting walked */
#define HS_WINRM_MAX_OPTIONS 16
#define HS_WINRM_MAX_ARGS 16
#define HS_WINRM_MAX_STREAMS 16
#define HS_WINRM_MAX_PARTS 16
#define HS_WINRM_STREAM_TEXT 4096                /* stream bytes shown as text (cmd shells) */

typedef struct hs_winrm_option {
	hs_slice name, value;
} hs_winrm_option;

typedef struct hs_winrm_stream {
	hs_slice name;        /* "stdout", "stdin", "pr" ... */
	hs_slice command_id;
	size_t data_len;      /* decoded bytes of the base64 content */
	hs_slice b64;         /* the base64 content (cmd shells: describe shows it as text) */
	bool end;             /* End="true" */
} hs_winrm_stream;

typedef struct hs_winrm_msg {
	void *doc;                     /* the libxml2 document (private) */
	hs_slice action;               /* wsa:Action URI */
	const char *operation;         /* readable: "Create shell", "ReceiveResponse", "Fault" ... */
	hs_slice invoke_method;        /* operation "Invoke": the custom action's method */
	bool response;
	hs_slice to, message_id, relates_to, operation_timeout, locale, data_locale, max_envelope_size, session_id;
	hs_slice resource_uri;
	hs_slice endpoint;             /* "cmd", "Microsoft.PowerShell", a session configuration name */
	bool custom_endpoint;          /* a non built-in PowerShell session configuration (JEA ...) */
	bool powershell;               /* resource URI under http://schemas.microsoft.com/powershell/ */
	hs_slice shell_id, command_id;
	hs_winrm_option options[HS_WINRM_MAX_OPTIONS];
	size_t noptions, options_more;
	/* rsp:Shell (Create) */
	hs_slice shell_name, input_streams, output_streams, working_directory, idle_timeout;
	bool creation_xml;             /* PSRP creationXml present */
	size_t creation_xml_len;       /* its decoded size */
	hs_slice creation_xml_b64;     /* its base64 (PSRP fragments, described through psrp.c) */
	/* rsp:CommandLine */
	hs_slice command;
	hs_slice args[HS_WINRM_MAX_ARGS];
	size_t nargs, args_more;
	bool psrp;                     /* arguments/streams are PSRP fragments (base64): sizes only */
	size_t psrp_bytes;             /* decoded PSRP bytes in arguments / creationXml / streams */
	void *psrp_joined;             /* GPtrArray of hs_psrp_joined: the messages whose last fragment this
	                                * envelope carries, reassembled by hs_psrp_winrm_feed (psrp.h) */
	/* rsp:Signal, rsp:Receive, rsp:ReceiveResponse, rsp:Send */
	hs_slice signal_code;
	hs_slice desired_streams;
	hs_winrm_stream streams[HS_WINRM_MAX_STREAMS];
	size_t nstreams, streams_more;
	hs_slice command_state;
	bool has_exit_code;
	int64_t exit_code;
	hs_slice enumeration_context;
	hs_slice body_element;         /* local name of the first element in s:Body */
	/* s:Fault (SOAP 1.2 section 5.4) + wsmanfault:WSManFault (MS-WSMV 2.2.4.43) */
	bool fault;
	hs_slice fault_code, fault_subcode, fault_reason;
	bool wsman_fault;
	bool wsman_code_ok;
	uint32_t wsman_code;
	hs_slice fault_machine, fault_message;
	/* MS-WSMV 2.2.4.43: a plug-in's error nests as WSManFault > Message >
	 * ProviderFault (provider=, text) > WSManFault ...; the innermost one is
	 * what the provider (cmd, PowerShell, WMI) said */
	unsigned fault_depth;          /* WSManFault levels (1: not nested) */
	hs_slice fault_provider;       /* innermost ProviderFault's provider= */
	bool inner_code_ok;
	uint32_t inner_code;           /* innermost WSManFault Code (when nested) */
	hs_slice inner_message;        /* innermost Message / ProviderFault text (when nested) */
	/* wsmid:IdentifyResponse (DSP0226 11) */
	bool identify;
	hs_slice protocol_version, product_vendor, product_version;
	hs_anom error;                 /* on failure: the anomaly kind */
} hs_winrm_msg;

/* Parse one SOAP envelope (len bytes, at most HS_WINRM_MAX_XML).  Returns
 * HS_OK (m filled), HS_E_LIMIT (too large or too deep; m->error set),
 * HS_E_MALFORMED (not well-formed XML, a DOCTYPE, or no s:Envelope; m->error
 * set).  Always call hs_winrm_release(m) afterwards, whatever the result.
 * Thread-safe after the first call initialised libxml2. */
hs_err hs_winrm_parse(const uint8_t *p, size_t len, hs_winrm_msg *m);

/* Free the document behind m; m's slices become invalid.  Idempotent. */
void hs_winrm_release(hs_winrm_msg *m);

/* The documented meaning of a WS-Management fault code (a Win32 error, an
 * HRESULT, an ERROR_WSMAN_* value), NULL when not in hopsniff's table. */
const char *hs_winrm_code_meaning(uint32_t code);

/* Describe an hs_winrm_msg (hs_describe_fn). */
/* Passwords typed into the command line (mask.h): how many. */
unsigned hs_winrm_secrets(const hs_winrm_msg *m);

void hs_winrm_describe(const void *body, hs_out *o, unsigned flags);

typedef struct hs_winrm_enc_part {
	hs_slice original_type;   /* "application/soap+xml;charset=UTF-8" */
	bool has_length;
	uint64_t original_length; /* OriginalContent ... Length=N */
	size_t sig_len;           /* 4-byte little-endian length before the wrap token */
	size_t enc_len;           /* ciphertext after the wrap token */
	const char *wrap;         /* "krb5_wrap", "ntlm_signature", "tls_record", "gss_legacy", "unknown" */
	hs_slice signature;       /* the sig_len bytes after the 4-byte length (GSS wrap header / NTLM signature) */
	hs_slice sealed;          /* the sealed bytes (CredSSP: the TLS records after the 4-byte length) */
} hs_winrm_enc_part;

typedef struct hs_winrm_enc {
	hs_slice protocol;        /* "application/HTTP-SPNEGO-session-encrypted" ... */
	bool multi;               /* multipart/x-multi-encrypted (CredSSP, 16 KiB pieces) */
	hs_winrm_enc_part parts[HS_WINRM_MAX_PARTS];
	size_t nparts, parts_more;
	uint64_t original_total;  /* sum of Length= */
	uint64_t encrypted_total; /* sum of signature + ciphertext bytes */
	hs_anom error;            /* set when the body did not follow the format */
	/* Set by the carrier, not the parser: the sealed parts were decrypted
	 * (CredSSP: with the TLS session of the CredSSP exchange and the key
	 * log) into decrypted_len bytes of SOAP. */
	bool decrypted;
	size_t decrypted_len;
	const char *mech;         /* "kerberos" / "ntlm" / "credssp" when the carrier knows the sealing */
	const char *not_decrypted;/* why the carrier could not open it ("no session key ...", "checksum mismatch") */
	char detail[96];          /* etype, sequence numbers: what the carrier used (never a key) */
	uint8_t sha256[32];       /* of the plaintext when decrypted (tests compare it with the sender's) */
	hs_slice plaintext;       /* the decrypted SOAP (valid during the sink call; front ends show it) */
} hs_winrm_enc;

/* True when content_type is multipart/encrypted or multipart/x-multi-encrypted. */
bool hs_winrm_is_encrypted(hs_slice content_type);

/* Parse an encrypted WinRM body (MS-WSMV 2.2.9.1.1).  content_type is the
 * HTTP Content-Type (protocol= and boundary= are read from it).  Returns HS_OK,
 * or HS_E_MALFORMED / HS_E_TRUNCATED with e->error set and the parts decoded
 * so far kept.  Allocates nothing; slices point into content_type / body. */
hs_err hs_winrm_parse_encrypted(hs_slice content_type, const uint8_t *body, size_t len, hs_winrm_enc *e);

#endif
