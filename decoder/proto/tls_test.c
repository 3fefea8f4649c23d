/* tls_test.c - TLS records, hellos, certificates and the key log store on
 * real OpenSSL bytes (captures/generated/tls), every truncated prefix before
 * a guard page.  Decryption is checked end to end against tshark by
 * tests/tls/diff_tls.py. */
#include "tls.h"

#include <fcntl.h>
#include <glib.h>

#include "pcapfeed.h"
#include "unit.h"

static unsigned char *load(const char *name, size_t *len)
{
	char path[512];
	snprintf(path, sizeof path, "%s/decoder/testdata/tls/%s", getenv("HS_SOURCE") ? getenv("HS_SOURCE") : ".", name);
	return hs_read_file(path, len);
}

static void test_records_and_prefixes(void)
{
	const char *files[] = { "client_hello12.rec", "client_hello13.rec", "server_flight12.rec" };
	for (size_t f = 0; f < 3; f++) {
		size_t len;
		unsigned char *b = load(files[f], &len);
		/* walk the records: each whole, each prefix incomplete */
		size_t off = 0, n = 0;
		while (off < len) {
			hs_tls_record r;
			hs_parse_result pr = hs_tls_record_parse(b + off, len - off, &r);
			CU_ASSERT_EQUAL_FATAL(pr.status, HS_PARSE_OK);
			CU_ASSERT_EQUAL(r.type, HS_TLS_CT_HANDSHAKE);
			for (size_t k = 0; k < pr.consumed; k++) {
				hs_guard g = hs_guard_copy(b + off, k);
				hs_tls_record r2;
				hs_parse_result p2 = hs_tls_record_parse(g.p, k, &r2);
				CU_ASSERT_EQUAL(p2.status, HS_PARSE_INCOMPLETE);
				CU_ASSERT(p2.needed == (k < 5 ? 5 : pr.consumed));
				hs_guard_free(&g);
			}
			off += pr.consumed;
			n++;
		}
		CU_ASSERT(n >= 1);
		free(b);
	}
}

static void test_client_hello(void)
{
	size_t len;
	unsigned char *b = load("client_hello13.rec", &len);
	/* record header (5) + handshake header (4) */
	CU_ASSERT_EQUAL_FATAL(b[5], HS_TLS_HS_CLIENT_HELLO);
	size_t blen = (size_t)b[6] << 16 | b[7] << 8 | b[8];
	CU_ASSERT_EQUAL_FATAL(blen + 9, len);
	hs_tls_hello h;
	CU_ASSERT_EQUAL(hs_tls_hello_parse(b + 9, blen, false, &h), HS_OK);
	CU_ASSERT(hs_slice_eq(h.sni, "srv1.hop.test"));
	CU_ASSERT_EQUAL(h.nalpn, 1);
	CU_ASSERT(hs_slice_eq(h.alpn[0], "http/1.1"));
	CU_ASSERT_EQUAL(h.nversions, 1); /* s_client -tls1_3 */
	CU_ASSERT_EQUAL(h.versions[0], 0x0304);
	CU_ASSERT_EQUAL(h.nsuites >= 1, 1);
	CU_ASSERT_EQUAL(h.suites[0], 0x1301);
	/* every prefix: never OK before the fixed part, never a crash */
	for (size_t k = 0; k < blen; k++) {
		hs_guard g = hs_guard_copy(b + 9, k);
		hs_err e = hs_tls_hello_parse(g.p, k, false, &h);
		if (k < 2 + 32 + 1 + 2 + 1)
			CU_ASSERT(e != HS_OK);
		hs_guard_free(&g);
	}
	free(b);
}

static void test_server_flight(void)
{
	size_t len;
	unsigned char *b = load("server_flight12.rec", &len);
	/* the flight's handshake messages, as one stream of records */
	size_t off = 0;
	bool sh = false, cert = false;
	while (off + 5 <= len) {
		size_t rl = (size_t)b[off + 3] << 8 | b[off + 4];
		const unsigned char *m = b + off + 5;
		size_t mo = 0;
		while (mo + 4 <= rl) {
			size_t ml = (size_t)m[mo + 1] << 16 | m[mo + 2] << 8 | m[mo + 3];
			const unsigned char *body = m + mo + 4;
			if (m[mo] == HS_TLS_HS_SERVER_HELLO) {
				hs_tls_hello h;
				CU_ASSERT_EQUAL(hs_tls_hello_parse(body, ml, true, &h), HS_OK);
				CU_ASSERT_EQUAL(h.suite, 0xC02F);
				CU_ASSERT_FALSE(h.hrr);
				CU_ASSERT_STRING_EQUAL(hs_tls_suite_name(h.suite), "TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256");
				sh = true;
			}
			if (m[mo] == HS_TLS_HS_CERTIFICATE) {
				hs_tls_cert c;
				CU_ASSERT_EQUAL(hs_tls_certificate_parse(body, ml, false, &c), HS_OK);
				CU_ASSERT_EQUAL(c.ncerts, 1);
				CU_ASSERT(c.decoded);
				CU_ASSERT_PTR_NOT_NULL(strstr(c.subject, "CN=srv1.hop.test"));
				CU_ASSERT(c.self_signed);
				for (size_t k = 0; k < ml; k++) {
					hs_guard g = hs_guard_copy(body, k);
					CU_ASSERT(hs_tls_certificate_parse(g.p, k, false, &c) != HS_OK);
					hs_guard_free(&g);
				}
				cert = true;
			}
			mo += 4 + ml;
		}
		off += 5 + rl;
	}
	CU_ASSERT(sh && cert);
	free(b);
}

static void test_keylog_lines(void)
{
	hs_keylog *k = hs_keylog_new();
	char cr[65], line[400];
	memset(cr, 'a', 64);
	cr[64] = 0;
	snprintf(line, sizeof line, "CLIENT_RANDOM %s %0*d", cr, 96, 1);
	CU_ASSERT_EQUAL(hs_keylog_add_line(k, line, strlen(line)), HS_OK);
	CU_ASSERT_EQUAL(hs_keylog_add_line(k, "# comment", 9), HS_E_UNKNOWN);
	CU_ASSERT_EQUAL(hs_keylog_add_line(k, "", 0), HS_E_UNKNOWN);
	snprintf(line, sizeof line, "EXPORTER_SECRET %s %064d", cr, 1);
	CU_ASSERT_EQUAL(hs_keylog_add_line(k, line, strlen(line)), HS_E_UNKNOWN);
	snprintf(line, sizeof line, "CLIENT_RANDOM %s %0*d", cr, 94, 1); /* 47-byte master */
	CU_ASSERT_EQUAL(hs_keylog_add_line(k, line, strlen(line)), HS_E_MALFORMED);
	snprintf(line, sizeof line, "CLIENT_RANDOM %.62s %0*d", cr, 96, 1); /* 31-byte random */
	CU_ASSERT_EQUAL(hs_keylog_add_line(k, line, strlen(line)), HS_E_MALFORMED);
	snprintf(line, sizeof line, "SERVER_TRAFFIC_SECRET_0 %s %0*dx", cr, 63, 1); /* not hex */
	CU_ASSERT_EQUAL(hs_keylog_add_line(k, line, strlen(line)), HS_E_MALFORMED);
	snprintf(line, sizeof line, "SERVER_TRAFFIC_SECRET_0 %s %0*d", cr, 130, 1); /* 65 bytes: over the cap */
	CU_ASSERT_EQUAL(hs_keylog_add_line(k, line, strlen(line)), HS_E_MALFORMED);
	snprintf(line, sizeof line, "SERVER_TRAFFIC_SECRET_0 %s %064d extra", cr, 1);
	CU_ASSERT_EQUAL(hs_keylog_add_line(k, line, strlen(line)), HS_E_MALFORMED);
	uint8_t r[32];
	memset(r, 0xaa, 32);
	hs_slice s;
	CU_ASSERT(hs_keylog_get(k, r, HS_KL_CLIENT_RANDOM, &s));
	CU_ASSERT_EQUAL(s.len, 48);
	CU_ASSERT_EQUAL(s.p[47], 1);
	CU_ASSERT_FALSE(hs_keylog_get(k, r, HS_KL_SERVER_TRAFFIC_SECRET_0, &s));
	r[0] = 0;
	CU_ASSERT_FALSE(hs_keylog_get(k, r, HS_KL_CLIENT_RANDOM, &s));
	hs_keylog_free(k);
}

static void test_names(void)
{
	CU_ASSERT_STRING_EQUAL(hs_tls_alert_name(40), "handshake_failure");
	CU_ASSERT_STRING_EQUAL(hs_tls_version_name(0x0304), "TLS 1.3");
	CU_ASSERT_STRING_EQUAL(hs_tls_suite_name(0x1303), "TLS_CHACHA20_POLY1305_SHA256");
	CU_ASSERT_STRING_EQUAL(hs_tls_suite_name(0x3a3a), "GREASE");
	CU_ASSERT_PTR_NULL(hs_tls_suite_name(0x1234));
	CU_ASSERT(hs_tls_suite_decryptable(0xC027));
	CU_ASSERT_FALSE(hs_tls_suite_decryptable(0x000A));
}

static void test_not_tls(void)
{
	hs_tls_record r;
	CU_ASSERT_EQUAL(hs_tls_record_parse((const uint8_t *)"POST ", 5, &r).status, HS_PARSE_ERROR);
	CU_ASSERT_EQUAL(hs_tls_record_parse((const uint8_t *)"P", 1, &r).status, HS_PARSE_ERROR);
	static const uint8_t big[5] = { 0x17, 0x03, 0x03, 0x48, 0x01 }; /* 18433 > 2^14 + 2048 */
	CU_ASSERT_EQUAL(hs_tls_record_parse(big, 5, &r).err, HS_E_LIMIT);
	CU_ASSERT_FALSE(hs_tls_looks_like_record((const uint8_t *)"GET", 3));
}


static void append(const char *path, const char *text, bool truncate)
{
	FILE *f = fopen(path, truncate ? "w" : "a");
	CU_ASSERT_PTR_NOT_NULL_FATAL(f);
	fputs(text, f);
	fclose(f);
}

#define CR_A "00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff"
#define CR_B "ffeeddccbbaa99887766554433221100ffeeddccbbaa99887766554433221100"
#define MS "000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f202122232425262728292a2b2c2d2e2f"

static bool has_random(const hs_keylog *k, const char *hex)
{
	uint8_t cr[32];
	for (int i = 0; i < 32; i++)
		sscanf(hex + 2 * i, "%2hhx", &cr[i]);
	hs_slice s;
	return hs_keylog_get(k, cr, HS_KL_CLIENT_RANDOM, &s) && s.len == 48;
}

/* A key log still being written: lines appended after hs_keylog_follow are
 * read by hs_keylog_refresh, a line without its newline only once complete,
 * a malformed line counted once, a truncated file read again. */
static void test_keylog_follow(void)
{
	char path[] = "/tmp/hs-keylog-follow.XXXXXX";
	int fd = mkstemp(path);
	CU_ASSERT_FATAL(fd >= 0);
	close(fd);
	hs_keylog *k = hs_keylog_new();
	size_t a = 9, b = 9;
	CU_ASSERT_FALSE(hs_keylog_following(k));
	/* a directory is refused (it used to open and read nothing, silently) */
	CU_ASSERT_EQUAL(hs_keylog_follow(k, "/", &a, &b), HS_E_UNKNOWN);
	CU_ASSERT_PTR_NOT_NULL(strstr(hs_keylog_why(k), "is a directory"));
	CU_ASSERT_FALSE(hs_keylog_following(k));
	hs_keylog_free(k);
	k = hs_keylog_new();
	/* not created yet: followed, read once it appears */
	unlink(path);
	CU_ASSERT_EQUAL(hs_keylog_follow(k, path, &a, &b), HS_OK);
	CU_ASSERT_TRUE(hs_keylog_following(k));
	CU_ASSERT_EQUAL(a, 0);
	CU_ASSERT_EQUAL(hs_keylog_refresh(k, &a, &b), HS_OK);
	CU_ASSERT_EQUAL(a, 0);
	append(path, "", true);
	CU_ASSERT_TRUE(hs_keylog_following(k));
	CU_ASSERT_EQUAL(a, 0);
	CU_ASSERT_EQUAL(b, 0);

	append(path, "# SSL/TLS secrets log file\nCLIENT_RANDOM " CR_A " 0001", false);
	CU_ASSERT_EQUAL(hs_keylog_refresh(k, &a, &b), HS_OK);
	CU_ASSERT_EQUAL(a, 0); /* half a line: still being written */
	CU_ASSERT_EQUAL(b, 0);
	CU_ASSERT_FALSE(has_random(k, CR_A));
	append(path, MS + 4, false);
	append(path, "\n", false);
	CU_ASSERT_EQUAL(hs_keylog_refresh(k, &a, &b), HS_OK);
	CU_ASSERT_EQUAL(a, 1);
	CU_ASSERT_EQUAL(b, 0);
	CU_ASSERT_TRUE(has_random(k, CR_A));
	CU_ASSERT_EQUAL(hs_keylog_refresh(k, &a, &b), HS_OK); /* nothing new */
	CU_ASSERT_EQUAL(a, 0);

	append(path, "CLIENT_RANDOM zz " MS "\n", false);
	CU_ASSERT_EQUAL(hs_keylog_refresh(k, &a, &b), HS_OK);
	CU_ASSERT_EQUAL(a, 0);
	CU_ASSERT_EQUAL(b, 1);
	CU_ASSERT_EQUAL(hs_keylog_refresh(k, &a, &b), HS_OK);
	CU_ASSERT_EQUAL(b, 0); /* counted once */

	/* a NUL byte inside a line: the line is malformed, the next one is read */
	FILE *nf = fopen(path, "a");
	fwrite("CLIENT_RANDOM \0zz\n", 1, 18, nf);
	fclose(nf);
	CU_ASSERT_EQUAL(hs_keylog_refresh(k, &a, &b), HS_OK);
	CU_ASSERT_EQUAL(a, 0);
	CU_ASSERT_EQUAL(b, 1);
	CU_ASSERT_EQUAL(hs_keylog_refresh(k, &a, &b), HS_OK);
	CU_ASSERT_EQUAL(b, 0);

	/* an over-long line, written in two goes: skipped once complete */
	char *lng = g_strnfill(HS_KEYLOG_MAX_LINE + 100, 'A');
	append(path, lng, false);
	CU_ASSERT_EQUAL(hs_keylog_refresh(k, &a, &b), HS_OK);
	CU_ASSERT_EQUAL(b, 0);
	append(path, "\nCLIENT_RANDOM " CR_B " " MS "\n", false);
	CU_ASSERT_EQUAL(hs_keylog_refresh(k, &a, &b), HS_OK);
	CU_ASSERT_EQUAL(a, 1);
	CU_ASSERT_EQUAL(b, 1);
	CU_ASSERT_TRUE(has_random(k, CR_B));
	g_free(lng);

	/* truncated and rewritten (a client restarted with the same file) */
	hs_keylog *k2 = hs_keylog_new();
	CU_ASSERT_EQUAL(hs_keylog_follow(k2, path, &a, &b), HS_OK);
	CU_ASSERT_EQUAL(a, 2);
	append(path, "CLIENT_RANDOM " CR_A " " MS "\n", true);
	CU_ASSERT_EQUAL(hs_keylog_refresh(k2, &a, &b), HS_OK);
	CU_ASSERT_EQUAL(a, 1);
	/* the file went away: what was read stays */
	unlink(path);
	CU_ASSERT_EQUAL(hs_keylog_refresh(k2, &a, &b), HS_OK);
	CU_ASSERT_EQUAL(a, 0);
	CU_ASSERT_TRUE(has_random(k2, CR_B));
	hs_keylog_free(k2);
	hs_keylog_free(k);
}

typedef struct counts {
	unsigned ntlm, credssp, msgs;
} counts;

static void count_sink(void *ud, const hs_msg *m)
{
	counts *c = ud;
	c->msgs++;
	c->ntlm += m->proto == HS_PROTO_NTLMSSP;
	c->credssp += m->proto == HS_PROTO_CREDSSP;
}

/* mode 0: key log loaded before; 1: followed, appended while the engine
 * runs (half a line after frame 4, the rest after frame 6, before the TLS
 * handshake's ChangeCipherSpec); 2: followed, never written. */
static counts credssp_run(int mode)
{
	const char *rel = "generated/credssp/credssp-enabled.pcap";
	char kl[1024], tmp[] = "/tmp/hs-keylog-engine.XXXXXX";
	snprintf(kl, sizeof kl, "%s/generated/credssp/credssp-enabled.keylog",
		 getenv("HS_CAPTURES") ? getenv("HS_CAPTURES") : "captures");
	gchar *text = NULL;
	gsize len = 0;
	CU_ASSERT_FATAL(g_file_get_contents(kl, &text, &len, NULL));
	int fd = mkstemp(tmp);
	CU_ASSERT_FATAL(fd >= 0);
	close(fd);
	counts c = { 0, 0, 0 };
	hs_engine *e = hs_engine_new(NULL);
	hs_engine_add_msg_sink(e, count_sink, &c);
	pf_file f = pf_open(rel);
	hs_err rc = mode == 0 ? hs_engine_add_keylog(e, kl) : hs_engine_follow_keylog(e, tmp);
	CU_ASSERT_EQUAL(rc, HS_OK);
	CU_ASSERT_EQUAL(pf_feed(e, &f, 4), 4);
	if (mode == 1) {
		FILE *o = fopen(tmp, "a");
		fwrite(text, 1, len - 20, o);
		fclose(o);
	}
	CU_ASSERT_EQUAL(pf_feed(e, &f, 2), 2);
	if (mode == 1) {
		FILE *o = fopen(tmp, "a");
		fwrite(text + len - 20, 1, 20, o);
		fclose(o);
	}
	pf_feed(e, &f, SIZE_MAX);
	hs_engine_finish(e);
	CU_ASSERT_EQUAL(hs_engine_reload_keylogs(e), 0);
	hs_engine_free(e);
	pf_close(&f);
	unlink(tmp);
	g_free(text);
	return c;
}

static void test_keylog_follow_engine(void)
{
	counts pre = credssp_run(0), grown = credssp_run(1), none = credssp_run(2);
	/* the inner NTLM of CredSSP is only visible decrypted (tshark with the
	 * key log: 3 NTLMSSP messages, tests/tls/credssp_http.py) */
	CU_ASSERT_EQUAL(pre.ntlm, 3);
	CU_ASSERT_EQUAL(grown.ntlm, pre.ntlm);
	CU_ASSERT_EQUAL(grown.credssp, pre.credssp);
	CU_ASSERT_EQUAL(grown.msgs, pre.msgs);
	CU_ASSERT_EQUAL(none.ntlm, 0);
	CU_ASSERT(none.msgs < pre.msgs);
}

HS_UNIT_MAIN("tls", { "records_and_prefixes", test_records_and_prefixes }, { "client_hello", test_client_hello },
	     { "server_flight", test_server_flight }, { "keylog_lines", test_keylog_lines }, { "names", test_names },
	     { "not_tls", test_not_tls }, { "key log followed as it grows", test_keylog_follow },
	     { "key log appended while the engine runs (CredSSP capture)", test_keylog_follow_engine })
