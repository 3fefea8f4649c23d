/* smb2_test.c - SMB1/SMB2 carrier: real connections from the zeek captures
 * (tests/carriers/smb2_krb.txt from krb_smb2_krb.pcap, smb1_ntlm.txt from
 * smb_raw_ntlm_in_smb.pcap).  Expected values are tshark 4.0's (smb2.cmd,
 * smb2.nt_status, smb2.msg_id, smb2.tree, smb2.dialect, smb2.sec_mode.*,
 * smb2.sesid; smb.cmd, smb.nt_status, smb.path, smb.dialect,
 * smb.security_blob_len, smb.setup.action.guest), noted beside each check. */
#include <stdarg.h>

#include "carriers/replay.h"
#include "smb2.h"

/* krb_smb2_krb.pcap, frame 12 payload after the NetBIOS header would be
 * long; the unit checks below use whole session messages from the replay. */

static void test_smb2_krb_replay(void)
{
	rp_stream s;
	rp_load(&s, "smb2_krb.txt");
	unsigned msgs = 0, errors = 0;
	char *log = rp_replay(&s, &hs_smb2_app, &msgs, &errors);
	CU_ASSERT_EQUAL(errors, 0);
	CU_ASSERT_PTR_NULL(strstr(log, "! "));
	/* frame 4: SMB1 NEGOTIATE offering SMB 2.002 / 2.??? (tshark: smb.dialect) */
	CU_ASSERT_EQUAL(rp_count(log, "\"smb\":1", "\"command\":\"NEGOTIATE\"", "\"SMB 2.???\"", NULL), 1);
	/* frame 6: SMB2 NEGOTIATE response, dialect 0x02ff, signing enabled not required, SPNEGO NegTokenInit2 */
	CU_ASSERT_EQUAL(rp_count(log, "\"command\":\"NEGOTIATE\"", "\"response\":true", "\"dialect\":\"2.???\"",
				 "\"signing_enabled\":true", "\"signing_required\":false", "\"security_blob_len\":96", NULL), 1);
	/* frames 6 and 9: the server's SystemTime (tshark smb2.current_time: Mar 29, 2017 14:19:51.689437000 /
	 * 14:19:51.883161000 UTC) */
	CU_ASSERT_EQUAL(rp_count(log, "\"command\":\"NEGOTIATE\"", "\"system_time\":\"2017-03-29T14:19:51.689437Z\"", NULL), 1);
	CU_ASSERT_EQUAL(rp_count(log, "\"command\":\"NEGOTIATE\"", "\"system_time\":\"2017-03-29T14:19:51.883161Z\"", NULL), 1);
	/* frame 7: dialects 0x0202, 0x0210; frame 9: dialect 0x0210 */
	CU_ASSERT_EQUAL(rp_count(log, "\"dialects\":[\"2.0.2\",\"2.1\"]", NULL), 1);
	CU_ASSERT_EQUAL(rp_count(log, "\"dialect\":\"2.1\"", "\"message_id\":1", NULL), 1);
	/* both NEGOTIATE responses' blobs went to the GSS dispatcher */
	CU_ASSERT_EQUAL(rp_count(log, "\"proto\":\"spnego\"", "\"carrier\":\"smb2\"", "negTokenInit2", NULL), 2);
	/* frame 12: SESSION_SETUP request msg 2 with a Kerberos AP-REQ in SPNEGO */
	CU_ASSERT_EQUAL(rp_count(log, "\"command\":\"SESSION_SETUP\"", "\"response\":false", "\"message_id\":2",
				 "\"security_blob_len\":2645", NULL), 1);
	CU_ASSERT_EQUAL(rp_count(log, "\"proto\":\"spnego\"", "\"AP-REQ\"", NULL), 1);
	/* frame 14: STATUS_SUCCESS, session 0x00000000d31a67cf, flags 0x0000, AP-REP */
	CU_ASSERT_EQUAL(rp_count(log, "\"command\":\"SESSION_SETUP\"", "\"status\":\"STATUS_SUCCESS\"",
				 "\"session_id\":\"0x00000000d31a67cf\"", "\"guest\":false", "\"anonymous\":false", NULL), 1);
	CU_ASSERT_EQUAL(rp_count(log, "\"proto\":\"spnego\"", "\"AP-REP\"", NULL), 1);
	/* frames 15/17 and 20/21: TREE_CONNECT \\phxlabbal821\lustre and \IPC$, request and response */
	CU_ASSERT_EQUAL(rp_count(log, "\"command\":\"TREE_CONNECT\"", "\"tree\":\"\\\\\\\\phxlabbal821\\\\lustre\"", NULL), 2);
	CU_ASSERT_EQUAL(rp_count(log, "\"command\":\"TREE_CONNECT\"", "\"response\":true", "\"message_id\":5",
				 "\"tree\":\"\\\\\\\\phxlabbal821\\\\IPC$\"", "\"share_type\":\"pipe\"", NULL), 1);
	/* frames 24-31: QUERY_INFO (16), WRITE (9), READ (8), IOCTL (11): name + status + id */
	CU_ASSERT_EQUAL(rp_count(log, "\"command\":\"QUERY_INFO\"", "\"message_id\":7", NULL), 2);
	CU_ASSERT_EQUAL(rp_count(log, "\"command\":\"WRITE\"", "\"message_id\":8", NULL), 2);
	CU_ASSERT_EQUAL(rp_count(log, "\"command\":\"READ\"", "\"status\":\"STATUS_SUCCESS\"", "\"message_id\":9", NULL), 1);
	CU_ASSERT_EQUAL(rp_count(log, "\"command\":\"IOCTL\"", NULL), 2);
	g_free(log);
	rp_free(&s);
}

static void test_smb1_ntlm_replay(void)
{
	rp_stream s;
	rp_load(&s, "smb1_ntlm.txt");
	unsigned errors = 0;
	char *log = rp_replay(&s, &hs_smb2_app, NULL, &errors);
	CU_ASSERT_EQUAL(errors, 0);
	CU_ASSERT_PTR_NULL(strstr(log, "! "));
	/* frame 16: dialects "NT LM 0.12","SMB 2.002","SMB 2.???"; frame 17: index 0 */
	CU_ASSERT_EQUAL(rp_count(log, "\"dialects\":[\"NT LM 0.12\",\"SMB 2.002\",\"SMB 2.???\"]", NULL), 1);
	CU_ASSERT_EQUAL(rp_count(log, "\"dialect_index\":0", "\"extended_security\":true", NULL), 1);
	/* frames 19/20/22/23: SESSION_SETUP_ANDX blobs 40, 234, 440, 0; status of 20 = 0xc0000016 */
	CU_ASSERT_EQUAL(rp_count(log, "SESSION_SETUP_ANDX", "\"security_blob_len\":40", NULL), 1);
	CU_ASSERT_EQUAL(rp_count(log, "SESSION_SETUP_ANDX", "\"status\":\"STATUS_MORE_PROCESSING_REQUIRED\"",
				 "\"security_blob_len\":234", NULL), 1);
	CU_ASSERT_EQUAL(rp_count(log, "SESSION_SETUP_ANDX", "\"security_blob_len\":440", NULL), 1);
	/* frame 23: smb.setup.action.guest = 1 */
	CU_ASSERT_EQUAL(rp_count(log, "SESSION_SETUP_ANDX", "\"status\":\"STATUS_SUCCESS\"", "\"guest\":true", NULL), 1);
	/* raw NTLMSSP blobs: NEGOTIATE, CHALLENGE, AUTHENTICATE TEST-F7DFBC3FE9\test from BABYBOOK
	 * (ntlmssp.auth.username / domain / hostname) */
	CU_ASSERT_EQUAL(rp_count(log, "\"proto\":\"ntlmssp\"", "\"carrier\":\"smb2\"", NULL), 3);
	CU_ASSERT_EQUAL(rp_count(log, "\"proto\":\"ntlmssp\"", "\"user\":\"test\"", "\"domain\":\"TEST-F7DFBC3FE9\"",
				 "\"workstation\":\"BABYBOOK\"", NULL), 1);
	/* frames 25/26, 43/44: smb.path */
	CU_ASSERT_EQUAL(rp_count(log, "TREE_CONNECT_ANDX", "\"tree\":\"\\\\\\\\192.168.56.101\\\\IPC$\"", NULL), 2);
	CU_ASSERT_EQUAL(rp_count(log, "TREE_CONNECT_ANDX", "\"tree\":\"\\\\\\\\192.168.56.101\\\\MY PICTURES\"", NULL), 2);
	/* frames 31-35: SMB_COM_TRANSACTION (0x25), 37 CLOSE (0x04), 40 TREE_DISCONNECT (0x71) */
	CU_ASSERT_EQUAL(rp_count(log, "\"command\":\"TRANSACTION\"", NULL), 4);
	CU_ASSERT_EQUAL(rp_count(log, "\"command\":\"TREE_DISCONNECT\"", NULL), 2);
	g_free(log);
	rp_free(&s);
}

static void test_smb_every_split(void)
{
	const char *files[] = { "smb2_krb.txt", "smb1_ntlm.txt" };
	for (unsigned i = 0; i < 2; i++) {
		rp_stream s;
		rp_load(&s, files[i]);
		CU_ASSERT_EQUAL(rp_every_split(&s, &hs_smb2_app), 0);
		rp_free(&s);
	}
}

/* Every truncated prefix of every real SMB PDU, placed before a guard page:
 * no over-read; for the auth-bearing commands the result is an error. */
static void test_smb_every_prefix(void)
{
	const char *files[] = { "smb2_krb.txt", "smb1_ntlm.txt" };
	for (unsigned f = 0; f < 2; f++) {
		rp_stream s;
		rp_load(&s, files[f]);
		for (int dir = 0; dir < 2; dir++) {
			size_t n;
			unsigned char *p = rp_direction(&s, dir, &n);
			size_t at = 0;
			while (at + 4 <= n) {
				uint8_t type;
				uint32_t len;
				hs_parse_result r = hs_smb_nbss_header(p + at, n - at, &type, &len);
				CU_ASSERT_EQUAL_FATAL(r.status, HS_PARSE_OK);
				if (at + 4 + len > n)
					break;
				hs_slice whole = { p + at + 4, len };
				hs_smb2_msg m;
				size_t next;
				hs_err full = hs_smb2_decode(whole, 0, &m, &next);
				CU_ASSERT_EQUAL(full, HS_OK);
				bool auth = m.has_security_blob && m.security_blob.len;
				for (size_t k = 0; k < len; k++) {
					hs_guard g = hs_guard_copy(whole.p, k);
					hs_slice pre = { g.p, k };
					hs_err e = hs_smb2_decode(pre, 0, &m, &next);
					if (auth)
						CU_ASSERT_NOT_EQUAL(e, HS_OK);
					hs_guard_free(&g);
				}
				at += 4 + len;
			}
			free(p);
		}
		rp_free(&s);
	}
}

/* Hand-made PDUs for what the captures lack (layouts from MS-SMB2). */
static void test_smb2_synthetic(void)
{
	/* 2.2.6 SESSION_SETUP response, IS_NULL (anonymous), no blob */
	unsigned char ss[64 + 8] = { 0xfe, 'S', 'M', 'B', 64, 0 };
	ss[12] = 1;                      /* command SESSION_SETUP */
	ss[16] = 1;                      /* SERVER_TO_REDIR */
	ss[64] = 9;                      /* StructureSize */
	ss[66] = 0x02;                   /* SessionFlags IS_NULL */
	hs_slice pl = { ss, sizeof ss };
	hs_smb2_msg m;
	size_t next;
	CU_ASSERT_EQUAL(hs_smb2_decode(pl, 0, &m, &next), HS_OK);
	CU_ASSERT(m.has_session_flags);
	CU_ASSERT_EQUAL(m.session_flags, HS_SMB2_SESSION_FLAG_IS_NULL);

	/* 2.2.2 ERROR response to TREE_CONNECT: STATUS_ACCESS_DENIED (0xc0000022) */
	unsigned char er[64 + 9] = { 0xfe, 'S', 'M', 'B', 64, 0 };
	er[8] = 0x22; er[9] = 0x00; er[10] = 0x00; er[11] = 0xc0;
	er[12] = 3;
	er[16] = 1;
	er[64] = 9;
	hs_slice pe = { er, sizeof er };
	CU_ASSERT_EQUAL(hs_smb2_decode(pe, 0, &m, &next), HS_OK);
	CU_ASSERT(m.error_response);
	CU_ASSERT_EQUAL(m.status, 0xc0000022u);
	hs_out *o = hs_out_new(HS_OUT_JSON);
	hs_out_begin(o, NULL);
	hs_smb2_describe(&m, o, 0);
	hs_out_end(o);
	CU_ASSERT_PTR_NOT_NULL(strstr(hs_out_text(o, NULL), "\"status\":\"STATUS_ACCESS_DENIED\""));
	hs_out_free(o);

	/* 2.2.41 transform header: encrypted, OriginalMessageSize 0x1234 */
	unsigned char tf[52] = { 0xfd, 'S', 'M', 'B' };
	tf[36] = 0x34; tf[37] = 0x12;
	tf[42] = 1;
	tf[44] = 0x77;
	hs_slice pt = { tf, sizeof tf };
	CU_ASSERT_EQUAL(hs_smb2_decode(pt, 0, &m, &next), HS_OK);
	CU_ASSERT_EQUAL(m.kind, HS_SMB_ENCRYPTED);
	CU_ASSERT_EQUAL(m.original_size, 0x1234);
	CU_ASSERT_EQUAL(m.session_id, 0x77);

	/* compound: two 72-byte PDUs chained by NextCommand */
	unsigned char cp[144] = { 0 };
	for (int i = 0; i < 2; i++) {
		unsigned char *h = cp + 72 * i;
		h[0] = 0xfe; h[1] = 'S'; h[2] = 'M'; h[3] = 'B'; h[4] = 64;
		h[12] = 13;              /* ECHO */
		h[24] = (unsigned char)(7 + i);
		h[64] = 4;
	}
	cp[20] = 72;                     /* NextCommand of the first */
	hs_slice pc = { cp, sizeof cp };
	CU_ASSERT_EQUAL(hs_smb2_decode(pc, 0, &m, &next), HS_OK);
	CU_ASSERT_EQUAL(next, 72);
	CU_ASSERT_EQUAL(m.message_id, 7);
	CU_ASSERT_EQUAL(hs_smb2_decode(pc, next, &m, &next), HS_OK);
	CU_ASSERT_EQUAL(next, 0);
	CU_ASSERT_EQUAL(m.message_id, 8);
	cp[20] = 71;                     /* NextCommand must be 8-aligned */
	CU_ASSERT_EQUAL(hs_smb2_decode(pc, 0, &m, &next), HS_E_MALFORMED);

	/* security buffer offset pointing past the PDU */
	unsigned char bad[64 + 24] = { 0xfe, 'S', 'M', 'B', 64 };
	bad[12] = 1;
	bad[64] = 25;
	bad[64 + 12] = 0xff;             /* SecurityBufferOffset 0x00ff */
	bad[64 + 14] = 4;                /* length 4 */
	hs_slice pb = { bad, sizeof bad };
	CU_ASSERT_EQUAL(hs_smb2_decode(pb, 0, &m, &next), HS_E_MALFORMED);

	/* not SMB */
	hs_slice pn = { (const uint8_t *)"HTTP", 4 };
	CU_ASSERT_EQUAL(hs_smb2_decode(pn, 0, &m, &next), HS_E_UNKNOWN);
	uint8_t t;
	uint32_t l;
	CU_ASSERT_EQUAL(hs_smb_nbss_header((const uint8_t *)"\x42\0\0\0", 4, &t, &l).status, HS_PARSE_ERROR);
	CU_ASSERT_EQUAL(hs_smb_nbss_header((const uint8_t *)"\0\0", 2, &t, &l).status, HS_PARSE_INCOMPLETE);
}

/* A session message larger than HS_SMB2_DECODE_MAX: decoded from its head,
 * the rest skipped, with the same result for any segmentation. */
static void test_smb2_big_pdu(void)
{
	size_t body = HS_SMB2_DECODE_MAX + 5000;
	unsigned char *p = calloc(1, 4 + body + 4 + 68);
	p[1] = (unsigned char)(body >> 16);
	p[2] = (unsigned char)(body >> 8);
	p[3] = (unsigned char)body;
	unsigned char *h = p + 4;
	h[0] = 0xfe; h[1] = 'S'; h[2] = 'M'; h[3] = 'B'; h[4] = 64;
	h[12] = 8; h[16] = 1; h[24] = 42; /* READ response, message 42 */
	h[64] = 17;
	/* then an ECHO request */
	unsigned char *q = p + 4 + body;
	q[3] = 68;
	q[4] = 0xfe; q[5] = 'S'; q[6] = 'M'; q[7] = 'B'; q[8] = 64; q[16] = 13; q[28] = 43; q[68] = 4;
	size_t n = 4 + body + 72;
	char *whole = rp_split(&hs_smb2_app, 1, p, n, n, false);
	CU_ASSERT_PTR_NOT_NULL(strstr(whole, "\"command\":\"READ\""));
	CU_ASSERT_PTR_NOT_NULL(strstr(whole, "\"head_only\":true"));
	CU_ASSERT_PTR_NOT_NULL(strstr(whole, "\"command\":\"ECHO\""));
	static const size_t cuts[] = { 1, 4, 70, 1000, HS_SMB2_DECODE_MAX + 3, HS_SMB2_DECODE_MAX + 4,
				       HS_SMB2_DECODE_MAX + 4000, HS_SMB2_DECODE_MAX + 5004, HS_SMB2_DECODE_MAX + 5010 };
	for (unsigned i = 0; i < sizeof cuts / sizeof cuts[0]; i++) {
		char *x = rp_split(&hs_smb2_app, 1, p, n, cuts[i], false);
		CU_ASSERT_STRING_EQUAL(x, whole);
		g_free(x);
	}
	g_free(whole);
	free(p);
}

/* ---- DCE/RPC through a named pipe (MS-SMB2 2.2.13-2.2.32, MS-RPCE 2.1.1.2) ---- */

/* One SMB2 PDU in a NetBIOS session message: header (2.2.1.2), then body. */
static void pipe_pdu(rp_stream *s, int dir, uint16_t cmd, uint32_t status, uint64_t mid, const unsigned char *body,
		     size_t blen)
{
	rp_chunk *c = &s->c[s->n++];
	c->dir = dir;
	c->len = 4 + 64 + blen;
	c->p = calloc(1, c->len);
	unsigned char *h = c->p + 4;
	c->p[1] = (unsigned char)((64 + blen) >> 16);
	c->p[2] = (unsigned char)((64 + blen) >> 8);
	c->p[3] = (unsigned char)(64 + blen);
	h[0] = 0xfe; h[1] = 'S'; h[2] = 'M'; h[3] = 'B'; h[4] = 64;
	memcpy(h + 8, &status, 4);
	h[12] = (unsigned char)cmd;
	h[16] = dir ? 1 : 0;                  /* SERVER_TO_REDIR */
	memcpy(h + 24, &mid, 8);
	h[36] = 7;                            /* TreeId 7 */
	memcpy(h + 64, body, blen);
}

static const unsigned char fid[16] = { 3, 0, 0, 0, 7, 0, 0, 0, 1, 0, 0, 0, 7, 0, 0, 0 };

/* A WRITE request (2.2.21) or READ response (2.2.20) carrying data; an IOCTL
 * FSCTL_PIPE_TRANSCEIVE request (2.2.31) or response (2.2.32). */
static void pipe_data(rp_stream *s, int dir, uint16_t cmd, uint32_t status, uint64_t mid, const unsigned char *d,
		      size_t n)
{
	unsigned char b[8192] = { 0 };
	size_t hl;
	uint32_t off, len = (uint32_t)n, ctl = HS_SMB2_FSCTL_PIPE_TRANSCEIVE;
	if (cmd == HS_SMB2_WRITE) {
		hl = 48;
		b[0] = 49;
		off = 64 + 48;
		b[2] = (unsigned char)off;
		memcpy(b + 4, &len, 4);
		memcpy(b + 16, fid, 16);
	} else if (cmd == HS_SMB2_READ) {
		hl = 16;
		b[0] = 17;
		b[2] = 64 + 16;
		memcpy(b + 4, &len, 4);
	} else {
		hl = dir ? 48 : 56;
		b[0] = dir ? 49 : 57;
		memcpy(b + 4, &ctl, 4);
		memcpy(b + 8, fid, 16);
		off = 64 + (uint32_t)hl;
		memcpy(b + (dir ? 32 : 36), &off, 4); /* output (response) / input is at 24: set both below */
		memcpy(b + 24, &off, 4);
		memcpy(b + 28, &len, 4);
		memcpy(b + (dir ? 36 : 40), &len, 4);
		if (!dir)
			memset(b + 36, 0, 4), memset(b + 40, 0, 4);
	}
	memcpy(b + hl, d, n);
	pipe_pdu(s, dir, cmd, status, mid, b, hl + n);
}

/* The DCE/RPC PDUs of tests/carriers/dcerpc_ntlm.txt (a real IRemUnknown2
 * association from Windows, tshark-checked in dcerpc_test.c) carried through
 * \PIPE\srvsvc: bind in a WRITE, bind_ack split over two READ responses
 * (STATUS_BUFFER_OVERFLOW, then the rest) at split point k, alter_context /
 * alter_context_resp in an IOCTL transceive; then the PDUs again after a
 * READ answered STATUS_PIPE_DISCONNECTED with a READ body.  k = 0 or the
 * whole length: unsplit (k = 0 also keeps the SMB2 CREATE lines). */
static char *pipe_run(const rp_stream *rpc, size_t k)
{
	rp_stream s = { .n = 0 };
	unsigned char tc[16] = { 16, 0, 2 };                  /* TREE_CONNECT response: ShareType pipe */
	pipe_pdu(&s, 1, HS_SMB2_TREE_CONNECT, 0, 1, tc, sizeof tc);
	unsigned char cr[56 + 12] = { 57 };                   /* CREATE request, name "srvsvc" */
	cr[44] = 64 + 56;
	cr[46] = 12;
	const char *nm = "srvsvc";
	for (int i = 0; i < 6; i++)
		cr[56 + 2 * i] = (unsigned char)nm[i];
	pipe_pdu(&s, 0, HS_SMB2_CREATE, 0, 2, cr, sizeof cr);
	unsigned char cp[88] = { 89 };                        /* CREATE response: FileId */
	memcpy(cp + 64, fid, 16);
	pipe_pdu(&s, 1, HS_SMB2_CREATE, 0, 2, cp, sizeof cp);
	pipe_data(&s, 0, HS_SMB2_WRITE, 0, 3, rpc->c[0].p, rpc->c[0].len);
	unsigned char rd[48] = { 49 };                        /* READ request */
	memcpy(rd + 16, fid, 16);
	pipe_pdu(&s, 0, HS_SMB2_READ, 0, 4, rd, sizeof rd);
	const rp_chunk *ack = &rpc->c[1];
	if (k && k < ack->len) {
		pipe_data(&s, 1, HS_SMB2_READ, 0x80000005u, 4, ack->p, k);
		pipe_pdu(&s, 0, HS_SMB2_READ, 0, 5, rd, sizeof rd);
		pipe_data(&s, 1, HS_SMB2_READ, 0, 5, ack->p + k, ack->len - k);
	} else {
		pipe_data(&s, 1, HS_SMB2_READ, 0, 4, ack->p, ack->len);
	}
	pipe_data(&s, 0, HS_SMB2_IOCTL, 0, 6, rpc->c[2].p, rpc->c[2].len);
	pipe_data(&s, 1, HS_SMB2_IOCTL, 0, 6, rpc->c[3].p, rpc->c[3].len);
	pipe_pdu(&s, 0, HS_SMB2_READ, 0, 7, rd, sizeof rd);
	unsigned char rdis[16] = { 17 };                      /* READ response body with an error status */
	pipe_pdu(&s, 1, HS_SMB2_READ, 0xc00000b0u, 7, rdis, sizeof rdis);
	char *log = rp_replay(&s, &hs_smb2_app, NULL, NULL);
	for (size_t i = 0; i < s.n; i++)
		free(s.c[i].p);
	/* what the pipe carried: every line but the SMB2 PDUs' own, which the
	 * split changes (one more READ), and their frame numbers */
	GString *out = g_string_new(NULL);
	char **lines = g_strsplit(log, "\n", -1);
	GRegex *re = g_regex_new("\"frame\":[0-9]+,", 0, 0, NULL);
	for (char **l = lines; *l; l++) {
		if (!**l || (strstr(*l, "\"proto\":\"smb2\"") && !(k == 0 && strstr(*l, "\"command\":\"CREATE\""))))
			continue;
		char *x = g_regex_replace_literal(re, *l, -1, 0, "", 0, NULL);
		g_string_append(out, x);
		g_string_append_c(out, '\n');
		g_free(x);
	}
	g_regex_unref(re);
	g_strfreev(lines);
	g_free(log);
	return g_string_free(out, FALSE);
}

static void test_smb2_pipe_rpc(void)
{
	rp_stream rpc;
	rp_load(&rpc, "dcerpc_ntlm.txt");
	char *with_create = pipe_run(&rpc, 0);
	CU_ASSERT_EQUAL(rp_count(with_create, "\"command\":\"CREATE\"", "\"pipe\":\"srvsvc\"",
				 "\"file_id\":\"00000003-0007-0000-0100-000007000000\"", NULL), 1);
	g_free(with_create);
	char *whole = pipe_run(&rpc, rpc.c[1].len);
	CU_ASSERT_EQUAL(rp_count(whole, "\"proto\":\"dcerpc\"", "\"carrier\":\"smb2\"", "\"pipe\":\"srvsvc\"", NULL), 4);
	CU_ASSERT_EQUAL(rp_count(whole, "\"ptype\":\"bind\"", "\"interface\":\"IRemUnknown2\"", "\"pipe\":\"srvsvc\"", NULL), 1);
	CU_ASSERT_EQUAL(rp_count(whole, "\"ptype\":\"bind_ack\"", "\"sec_addr\":\"58772\"", NULL), 1);
	CU_ASSERT_EQUAL(rp_count(whole, "\"ptype\":\"alter_context\"", NULL), 1);
	CU_ASSERT_EQUAL(rp_count(whole, "\"ptype\":\"alter_context_resp\"", NULL), 1);
	/* the tokens inside, as on TCP: SPNEGO with NTLM NEGOTIATE / CHALLENGE */
	CU_ASSERT(rp_count(whole, "\"proto\":\"spnego\"", "\"carrier\":\"dcerpc\"", NULL) >= 2);
	CU_ASSERT_PTR_NULL(strstr(whole, "! "));   /* no anomaly: not the disconnected READ either */
	for (size_t k = 1; k < rpc.c[1].len; k++) {
		char *x = pipe_run(&rpc, k);
		CU_ASSERT_STRING_EQUAL(x, whole);
		if (strcmp(x, whole))
			fprintf(stderr, "\n  bind_ack split at %zu differs:\n%s\nvs\n%s\n", k, x, whole);
		g_free(x);
	}
	g_free(whole);
	rp_free(&rpc);
}

HS_UNIT_MAIN("smb2",
	{ "SMB2 Kerberos connection (krb_smb2_krb.pcap) vs tshark", test_smb2_krb_replay },
	{ "SMB1 NTLM connection (smb_raw_ntlm_in_smb.pcap) vs tshark", test_smb1_ntlm_replay },
	{ "every split point of both directions", test_smb_every_split },
	{ "every truncated prefix of every PDU", test_smb_every_prefix },
	{ "anonymous session, error body, transform, compound, bad offsets", test_smb2_synthetic },
	{ "oversized session message decoded from its head", test_smb2_big_pdu },
	{ "DCE/RPC through a named pipe, a PDU split over READs at every point", test_smb2_pipe_rpc })
