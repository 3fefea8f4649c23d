/* psrp_winrm.h - PSRP as WinRM carries it (MS-PSRP 2.2.4 over MS-WSMV):
 * the binding between the SOAP messages winrm.c parses and the fragments,
 * messages and reassembly of psrp.h.  Apart from both so that the include
 * graph goes one way: psrp_winrm -> winrm -> psrp. */
#ifndef HS_PSRP_WINRM_H
#define HS_PSRP_WINRM_H

#include <stdbool.h>
#include <stddef.h>

#include "psrp.h"
#include "winrm.h"

/* The message text of the first complete ERROR_RECORD in a base64 PSRP
 * blob (a PowerShell stream), into out (n bytes); false when there is none. */
bool hs_psrp_first_error(hs_slice b64, char *out, size_t n);

/* Feed the PSRP fragments a PowerShell WinRM message carries (creationXml,
 * command arguments, stream contents) into *r (created on first use with
 * max_bytes), in document order, under a key made of the direction and the
 * shell id.  Messages that complete go to m->psrp_joined (freed by
 * hs_winrm_release).  Fragments that do not follow are anomalies
 * ("psrp_fragment_orphan", "psrp_fragment_gap", "psrp_fragment_restart",
 * "psrp_reassembly_cap", "psrp_fragment_truncated", "psrp_fragment_malformed"),
 * never a crash.  Nothing is done for other shells. */
void hs_psrp_winrm_feed(hs_psrp_reasm **r, struct hs_app_ctx *ctx, hs_winrm_msg *m, bool from_server,
			size_t max_bytes);

/* What the user saw in a PowerShell ReceiveResponse: the message text of
 * the first ERROR_RECORD in w's streams, whole or reassembled
 * (hs_psrp_winrm_feed ran on w), else of the error record of a failed
 * PIPELINE_STATE; into out (n bytes), false when there is none. */
bool hs_psrp_winrm_first_error(const hs_winrm_msg *w, char *out, size_t n);

#endif
