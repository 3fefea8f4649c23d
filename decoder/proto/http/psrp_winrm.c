/* psrp_winrm.c - PSRP as WinRM carries it: the fragments of a PowerShell
 * WinRM message fed to the reassembler, and the first error a user saw.
 * See psrp_winrm.h.  Here, not in psrp.c or winrm.c, so that winrm.c can
 * describe the PSRP inside its bodies (psrp.h) without psrp.c needing
 * winrm.h back. */
#include "psrp_winrm.h"

#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include <glib.h>

#include "app.h"
#include "psrp.h"
#include "winrm.h"

/* The bytes of a base64 PSRP blob (g_free), NULL when empty or too large. */
static guchar *b64_raw(hs_slice b64, gsize *n)
{
	*n = 0;
	if (!b64.len || b64.len > HS_WINRM_MAX_XML)
		return NULL;
	guchar *raw = g_malloc(b64.len / 4 * 3 + 3);
	gint state = 0;
	guint save = 0;
	*n = g_base64_decode_step((const gchar *)b64.p, b64.len, raw, &state, &save);
	return raw;
}

#define T_ERROR_RECORD 0x00041005u
#define T_PIPELINE_STATE 0x00041006u

/* The message text of p if it is of type `type` and has one. */
static bool record_text(const uint8_t *p, size_t len, uint32_t type, char *out, size_t n)
{
	hs_psrp_message m;
	hs_psrp_clixml x;
	if (hs_psrp_message_parse(p, len, &m) != HS_OK || m.type != type || hs_psrp_clixml_read(&m, &x) != HS_OK ||
	    !x.text[0])
		return false;
	snprintf(out, n, "%s", x.text);
	return true;
}

/* The first message of `type` with a text among the fragments of b64: whole
 * ones, and (w given) the ones w's envelope completed. */
static bool first_text(hs_slice b64, const hs_winrm_msg *w, uint32_t type, char *out, size_t n)
{
	gsize len = 0;
	guchar *raw = n ? b64_raw(b64, &len) : NULL;
	size_t off = 0, used;
	bool found = false;
	hs_psrp_fragment f;
	while (!found && off < len && hs_psrp_fragment_parse(raw + off, len - off, &f, &used) == HS_OK) {
		off += used;
		const hs_psrp_joined *j = w && f.end && !f.start ? hs_psrp_joined_find(w->psrp_joined, f.object_id) : NULL;
		if (f.start && f.end)
			found = record_text(f.blob.p, f.blob.len, type, out, n);
		else if (j)
			found = record_text(j->data->data, j->data->len, type, out, n);
	}
	g_free(raw);
	return found;
}

bool hs_psrp_first_error(hs_slice b64, char *out, size_t n)
{
	return first_text(b64, NULL, T_ERROR_RECORD, out, n);
}

bool hs_psrp_winrm_first_error(const hs_winrm_msg *w, char *out, size_t n)
{
	/* an ERROR_RECORD (2.2.2.20) first, else a failed pipeline's error
	 * record (2.2.2.21 ExceptionAsErrorRecord: a terminating error) */
	static const uint32_t order[] = { T_ERROR_RECORD, T_PIPELINE_STATE };
	for (size_t t = 0; t < 2; t++)
		for (size_t i = 0; i < w->nstreams; i++)
			if (first_text(w->streams[i].b64, w, order[t], out, n))
				return true;
	return false;
}

static uint64_t session_key(const hs_winrm_msg *m, bool from_server)
{
	uint64_t h = 1469598103934665603ull ^ (from_server ? 1u : 0u); /* FNV-1a */
	for (size_t i = 0; i < m->shell_id.len; i++)
		h = (h ^ m->shell_id.p[i]) * 1099511628211ull;
	return h;
}

static void joined_item_free(gpointer p)
{
	hs_psrp_joined *j = p;
	g_byte_array_free(j->data, TRUE);
	g_free(j);
}

static void feed_blob(hs_psrp_reasm *r, hs_app_ctx *ctx, hs_winrm_msg *m, uint64_t key, hs_slice b64)
{
	gsize n;
	guchar *raw = b64_raw(b64, &n);
	size_t off = 0, used;
	while (raw && off < n) {
		hs_psrp_fragment f;
		hs_err e = hs_psrp_fragment_parse(raw + off, n - off, &f, &used);
		if (e != HS_OK) {
			/* 3.1.5.3.x: a stream chunk holds whole fragments */
			if (e == HS_E_TRUNCATED)
				hs_report_anomaly(ctx, HS_ANOM_PSRP_FRAGMENT_TRUNCATED,
						  "PSRP fragment runs past its stream (%zu bytes left, MS-PSRP 2.2.4)", n - off);
			else
				hs_report_anomaly(ctx, HS_ANOM_PSRP_FRAGMENT_MALFORMED,
						  "PSRP fragment with undefined flag bits (MS-PSRP 2.2.4)");
			break;
		}
		off += used;
		GByteArray *whole;
		unsigned nfrag;
		hs_psrp_reasm_res res = hs_psrp_reasm_add(r, key, &f, &whole, &nfrag);
		static const hs_anom kind[] = {
			[HS_PSRP_ORPHAN] = HS_ANOM_PSRP_FRAGMENT_ORPHAN, [HS_PSRP_GAP] = HS_ANOM_PSRP_FRAGMENT_GAP,
			[HS_PSRP_RESTART] = HS_ANOM_PSRP_FRAGMENT_RESTART, [HS_PSRP_CAP] = HS_ANOM_PSRP_REASSEMBLY_CAP,
		};
		static const char *const why[] = {
			[HS_PSRP_ORPHAN] = "continues a message whose first fragment was not seen",
			[HS_PSRP_GAP] = "is not the next fragment of its message (lost or out of order); the partial message is dropped",
			[HS_PSRP_RESTART] = "starts again a message that was not finished; the partial message is dropped",
			[HS_PSRP_CAP] = "passes the reassembly cap (partial messages or bytes); a partial message is dropped",
		};
		if (res >= HS_PSRP_ORPHAN && res <= HS_PSRP_CAP)
			hs_report_anomaly(ctx, kind[res], "PSRP ObjectId %" PRIu64 " FragmentId %" PRIu64 " %s (MS-PSRP 2.2.4)",
					  f.object_id, f.fragment_id, why[res]);
		if (res != HS_PSRP_DONE)
			continue;
		hs_psrp_joined *j = g_new0(hs_psrp_joined, 1);
		*j = (hs_psrp_joined){ f.object_id, nfrag, whole };
		if (!m->psrp_joined)
			m->psrp_joined = g_ptr_array_new_with_free_func(joined_item_free);
		g_ptr_array_add(m->psrp_joined, j);
	}
	g_free(raw);
}

void hs_psrp_winrm_feed(hs_psrp_reasm **r, hs_app_ctx *ctx, hs_winrm_msg *m, bool from_server, size_t max_bytes)
{
	if (!m->psrp && !m->powershell)
		return;
	if (!*r)
		*r = hs_psrp_reasm_new(max_bytes);
	uint64_t key = session_key(m, from_server);
	size_t before = hs_psrp_reasm_bytes(*r);
	if (m->creation_xml)
		feed_blob(*r, ctx, m, key, m->creation_xml_b64);
	for (size_t i = 0; m->psrp && i < m->nargs; i++)
		feed_blob(*r, ctx, m, key, m->args[i]);
	for (size_t i = 0; i < m->nstreams; i++)
		feed_blob(*r, ctx, m, key, m->streams[i].b64);
	hs_app_account(ctx, (ssize_t)hs_psrp_reasm_bytes(*r) - (ssize_t)before);
}
