/* protos_test.c - the protocol list and its registry (protos.def, protos.c).
 * This program compiles protos.c and msg.c again with one more line in the
 * list (protos_test.def: a toy protocol on TCP port 9 with a probe) and
 * shows that the line alone gives the enum, the name, port and probe
 * dispatch and the JSON "proto"; then that the real descriptors keep the
 * ports, carriers and SPNs the dispatcher and the model had before. */
#include "unit.h"

#include "flowtest.h"
#include "protos.h"

/* ---- the toy protocol: counts the bytes of each segment ---- */

typedef struct toy_msg {
	size_t bytes;
} toy_msg;

static hs_parse_result toy_stream(hs_app_ctx *ctx, const uint8_t *p, size_t n)
{
	(void)p;
	toy_msg m = { n };
	if (n) /* the end of the stream is a call with no bytes */
		hs_emit(ctx, HS_PROTO_TOY, &m);
	return hs_parse_ok(n);
}

static void toy_describe(const void *body, hs_out *o, unsigned flags)
{
	(void)flags;
	hs_out_uint(o, "bytes", ((const toy_msg *)body)->bytes);
}

static hs_probe_verdict toy_probe(const uint8_t *p, size_t len)
{
	if (memcmp(p, "TOY!", MIN(len, 4)))
		return HS_PROBE_NO;
	return len < 4 ? HS_PROBE_MORE : HS_PROBE_CLIENT;
}

static const hs_app toy_app = { "toy", 0, toy_stream, NULL, NULL, NULL, HS_ANOM_NONE };
static const hs_port_def toy_ports[] = { { 6, 9, &toy_app, HS_CAR_OTHER }, { 0 } };
const hs_proto_def hs_toy_proto = {
	.id = HS_PROTO_TOY,
	.describe = toy_describe,
	.ports = toy_ports,
	.probe = toy_probe,
	.probe_ipproto = 6,
	.probe_app = &toy_app,
	.probe_carrier = HS_CAR_OTHER,
};

/* ---- what the engine emitted, as JSON ---- */

static char seen[8][512];
static unsigned nseen;

static void sink(void *ud, const hs_msg *m)
{
	(void)ud;
	hs_out *o = hs_out_new(HS_OUT_JSON);
	hs_msg_describe(m, o, 0);
	if (nseen < 8)
		snprintf(seen[nseen++], sizeof seen[0], "%s", hs_out_text(o, NULL));
	hs_out_free(o);
}

static char anomalies[4][256];
static unsigned nanomalies;

static void anomaly_sink(void *ud, const hs_anomaly *a)
{
	(void)ud;
	if (nanomalies < 4)
		snprintf(anomalies[nanomalies], sizeof anomalies[0], "%s", a->kind);
	nanomalies++;
}

/* A connection to dport whose client sends the segments of payloads (NULL
 * ended), then FIN; cfg may be NULL. */
static void feed_segments(const hs_config *cfg, uint16_t dport, const char *const *payloads)
{
	uint8_t buf[2000];
	hs_engine *e = hs_engine_new(cfg);
	hs_engine_add_msg_sink(e, sink, NULL);
	hs_engine_set_anomaly_sink(e, anomaly_sink, NULL);
	hs_frame f = { 0, 1, 1, 0, HS_DLT_EN10MB, buf, 0, 0 };
	f.caplen = f.wirelen = ft_tcp4(buf, FT_CLI, 50000, FT_SRV, dport, 100, 0, FT_SYN, NULL, 0);
	hs_engine_feed(e, &f);
	uint32_t seq = 101;
	for (const char *const *p = payloads; *p; p++) {
		f.frame++;
		f.caplen = f.wirelen = ft_tcp4(buf, FT_CLI, 50000, FT_SRV, dport, seq, 1, FT_ACK | FT_PSH, *p, strlen(*p));
		hs_engine_feed(e, &f);
		seq += (uint32_t)strlen(*p);
	}
	f.frame++;
	f.caplen = f.wirelen = ft_tcp4(buf, FT_CLI, 50000, FT_SRV, dport, seq, 1, FT_ACK | FT_FIN, NULL, 0);
	hs_engine_feed(e, &f);
	hs_engine_finish(e);
	hs_engine_free(e);
}

static void feed_connection(uint16_t dport, const char *payload)
{
	const char *one[] = { payload, NULL };
	feed_segments(NULL, dport, one);
}

static void test_one_line_names_it(void)
{
	CU_ASSERT_STRING_EQUAL(hs_proto_name(HS_PROTO_TOY), "toy");
	CU_ASSERT_EQUAL(HS_PROTO_TOY, HS_PROTO__COUNT - 1);
	CU_ASSERT_PTR_EQUAL(hs_proto_def_of(HS_PROTO_TOY), &hs_toy_proto);
	CU_ASSERT_PTR_NULL(hs_proto_def_of(HS_PROTO__COUNT));
	/* every line's descriptor is the one of its own id */
	for (int p = 0; p < HS_PROTO__COUNT; p++)
		CU_ASSERT_EQUAL(hs_proto_def_of((hs_proto)p)->id, p);
}

static void test_dispatched_by_port(void)
{
	nseen = 0;
	feed_connection(9, "hello");
	CU_ASSERT_EQUAL(nseen, 1);
	CU_ASSERT_PTR_NOT_NULL(strstr(seen[0], "\"proto\":\"toy\""));
	CU_ASSERT_PTR_NOT_NULL(strstr(seen[0], "\"bytes\":5"));
	uint16_t p[32];
	size_t n = hs_app_ports(6, p, 32);
	CU_ASSERT(n > 0 && p[0] == 9); /* in the live filter too */
}

static void test_dispatched_by_probe(void)
{
	nseen = 0;
	feed_connection(50001, "not a toy");
	CU_ASSERT_EQUAL(nseen, 0);
	feed_connection(50001, "TOY!x");
	CU_ASSERT_EQUAL(nseen, 1);
	CU_ASSERT_PTR_NOT_NULL(strstr(seen[0], "\"proto\":\"toy\""));
}

/* A first segment that is only a prefix of the toy's first PDU waits (the
 * waiting parser, probe.c) for the next one; a prefix that never completes
 * is given up at the end of the stream. */
static void test_probe_waits_for_more(void)
{
	static const char *const split[] = { "TO", "Y!x", NULL };
	nseen = nanomalies = 0;
	feed_segments(NULL, 50001, split);
	CU_ASSERT_EQUAL(nseen, 1);
	CU_ASSERT_PTR_NOT_NULL(strstr(seen[0], "\"proto\":\"toy\""));
	CU_ASSERT_PTR_NOT_NULL(strstr(seen[0], "\"bytes\":5"));
	CU_ASSERT_EQUAL(nanomalies, 0);
	static const char *const never[] = { "T", "O", NULL };
	nseen = nanomalies = 0;
	feed_segments(NULL, 50001, never);
	CU_ASSERT_EQUAL(nseen, 0);
	CU_ASSERT_EQUAL(nanomalies, 1);
	CU_ASSERT_STRING_EQUAL(anomalies[0], "probe_undecided");
	static const char *const other[] = { "T", "OX", "TOY!", NULL }; /* refused at "TOX": not re-probed later */
	nseen = nanomalies = 0;
	feed_segments(NULL, 50001, other);
	CU_ASSERT_EQUAL(nseen, 0);
	CU_ASSERT_EQUAL(nanomalies, 0);
}

/* -d tcp.port==N,NAME: the names are the descriptors' (parser, carrier)
 * pairs; a rule sends a port's flows to that parser whatever they hold. */
static void test_decode_as(void)
{
	static const char *const names[] = { "kerberos", "http", "winrm-http", "smb2", "ldap", "dcerpc", "mssql",
					     "ldaps", "winrm-https", "tls", "rdp", "toy" };
	size_t n = 0;
	while (hs_decode_as_name(n))
		n++;
	CU_ASSERT_EQUAL(n, G_N_ELEMENTS(names));
	for (size_t i = 0; i < n && i < G_N_ELEMENTS(names); i++)
		CU_ASSERT_STRING_EQUAL(hs_decode_as_name(i), names[i]);

	hs_config c;
	hs_config_default(&c);
	char why[640];
	CU_ASSERT_EQUAL(hs_config_decode_as(&c, "tcp.port==50001,toy", why, sizeof why), HS_OK);
	CU_ASSERT_EQUAL(hs_config_decode_as(&c, " tcp.port == 8443 , winrm-https ", why, sizeof why), HS_OK);
	CU_ASSERT_EQUAL(hs_config_decode_as(&c, "udp.port==750,kerberos", why, sizeof why), HS_OK);
	CU_ASSERT_EQUAL(hs_config_decode_as(&c, "tcp.port==8443,winrm-http", why, sizeof why), HS_OK); /* replaces */
	CU_ASSERT_EQUAL(c.n_decode_as, 3);
	static const struct { const char *spec, *says; } bad[] = {
		{ "tcp.port=8443,http", "expected tcp.port==PORT,NAME" },
		{ "ip.port==8443,http", "expected" },
		{ "tcp.port==,http", "expected" },
		{ "tcp.port==8443", "expected" },
		{ "tcp.port==8443,http extra", "expected" },
		{ "tcp.port==0,http", "1-65535" },
		{ "tcp.port==65536,http", "1-65535" },
		{ "tcp.port==8443,smb3", "smb3 names no parser on tcp (one of: kerberos, http," },
		{ "udp.port==445,smb2", "smb2 names no parser on udp (one of: kerberos)" },
		{ "tcp.port==8443,", "names no parser" },
	};
	for (size_t i = 0; i < G_N_ELEMENTS(bad); i++) {
		why[0] = 0;
		CU_ASSERT_EQUAL(hs_config_decode_as(&c, bad[i].spec, why, sizeof why), HS_E_MALFORMED);
		CU_ASSERT_PTR_NOT_NULL(strstr(why, bad[i].says));
	}
	CU_ASSERT_EQUAL(c.n_decode_as, 3);
	char spec[64];
	for (unsigned p = 1; c.n_decode_as < HS_DECODE_AS_MAX; p++) {
		snprintf(spec, sizeof spec, "tcp.port==%u,smb2", 20000 + p);
		CU_ASSERT_EQUAL_FATAL(hs_config_decode_as(&c, spec, NULL, 0), HS_OK);
	}
	CU_ASSERT_EQUAL(hs_config_decode_as(&c, "tcp.port==1,smb2", why, sizeof why), HS_E_LIMIT);

	/* dispatched by the rule: "hello" is no toy, port 50001 no table's */
	hs_config_default(&c);
	CU_ASSERT_EQUAL(hs_config_decode_as(&c, "tcp.port==50001,toy", NULL, 0), HS_OK);
	static const char *const hello[] = { "hello", NULL };
	nseen = 0;
	feed_segments(&c, 50001, hello);
	CU_ASSERT_EQUAL(nseen, 1);
	CU_ASSERT_PTR_NOT_NULL(strstr(seen[0], "\"proto\":\"toy\""));
	nseen = 0;
	feed_connection(50001, "hello"); /* without the rule: nothing */
	CU_ASSERT_EQUAL(nseen, 0);
	bool src = true;
	hs_carrier car = HS_CAR_OTHER;
	hs_config_default(&c);
	hs_config_decode_as(&c, "tcp.port==8443,winrm-https", NULL, 0);
	CU_ASSERT_PTR_NOT_NULL(hs_decode_as_app(&c, 6, 8443, 50000, &src, &car));
	CU_ASSERT_TRUE(src);
	CU_ASSERT_EQUAL(car, HS_CAR_WINRM_HTTPS);
	CU_ASSERT_PTR_NULL(hs_decode_as_app(&c, 17, 8443, 50000, &src, &car));
}

/* ---- the real descriptors ---- */

/* First PDUs of real sessions (the lab's captures, committed seeds; a few
 * dozen bytes each, what the probes look at): each is accepted by its own
 * protocol's probe only, with the right side, and no prefix of it is
 * refused by that probe (the first-byte table and the wait rely on it). */
static const struct sample {
	hs_proto proto;
	hs_probe_verdict side;
	const char *hex;
} samples[] = {
	/* lab 14: pywinrm's ClientHello to srv1:5986 */
	{ HS_PROTO_TLS, HS_PROBE_CLIENT, "1603010200010001fc0303db302a7693b5f98e5cb978054de67d5e1efe4fe922" },
	/* lab 14: srv1's ServerHello (Python ssl, TLS 1.3) */
	{ HS_PROTO_TLS, HS_PROBE_SERVER, "160303007a020000760303af0af818d65bc15ecb3b9b96239eb31ff6c8fe6993" },
	/* lab 05: pywinrm's first request to srv1:5985 */
	{ HS_PROTO_HTTP, HS_PROBE_CLIENT, "504f5354202f77736d616e20485454502f312e310d0a486f73743a20737276" },
	/* lab 05: srv1's answer */
	{ HS_PROTO_HTTP, HS_PROBE_SERVER, "485454502f312e3120323030204f4b0d0a5365727665723a204d6963726f736f" },
	/* lab 05: srv1's SMB2 NEGOTIATE to srv2:445 and its answer; an SMB1 NEGOTIATE (committed smb2 seed) */
	{ HS_PROTO_SMB2, HS_PROBE_CLIENT, "00000108fe534d42400000000000000000001f0000000000000000000000" },
	{ HS_PROTO_SMB2, HS_PROBE_SERVER, "0000012cfe534d42400000000000000000000100010000000000000000000000" },
	{ HS_PROTO_SMB2, HS_PROBE_CLIENT, "00000045ff534d4272000000000801c8000000000000000000000000ffff01" },
	/* lab 05: AS-REQ, TGS-REQ and an AS-REP on the DC's TCP 88 */
	{ HS_PROTO_KERBEROS, HS_PROBE_CLIENT, "000000fe6a81fb3081f8a103020105a20302010aa3683066304c" },
	{ HS_PROTO_KERBEROS, HS_PROBE_CLIENT, "000007306c82072c30820728a103020105a20302010ca382068630" },
	{ HS_PROTO_KERBEROS, HS_PROBE_SERVER, "0000060f6b82060b30820607a003020105a10302010ba22f302d302ba1030201" },
	/* Windows' LDAP client and server (committed ldap seeds): rootDSE search, SASL bind, bind
	 * responses; OpenLDAP's anonymous simple bind (RFC 4513 5.1.1) */
	{ HS_PROTO_LDAP, HS_PROBE_CLIENT, "308400000159020200d563840000014f04000a01000a0100020100020178" },
	{ HS_PROTO_LDAP, HS_PROBE_CLIENT, "30840000054b020200d76084000005410201030400a38400000536040a47" },
	{ HS_PROTO_LDAP, HS_PROBE_CLIENT, "300c020101600702010304008000" },
	{ HS_PROTO_LDAP, HS_PROBE_SERVER, "300c02010261070a010004000400" },
	{ HS_PROTO_LDAP, HS_PROBE_SERVER, "306c02010161670a010e0400041c5341534c2830293a207375636365737366" },
	/* DCE/RPC bind (committed dcerpc seed) */
	{ HS_PROTO_DCERPC, HS_PROBE_CLIENT, "05000b0310000000b407380708000000d016d016000000000200000000000100" },
	/* FreeTDS's PRELOGIN (committed tds seed) */
	{ HS_PROTO_TDS, HS_PROBE_CLIENT, "1201003a0000000000001a00060100200001020021000c03002d0004040031" },
	/* generated/rdp nla-ok: the X.224 Connection Request and Confirm */
	{ HS_PROTO_RDP, HS_PROBE_CLIENT, "0300002b26e00000000000436f6f6b69653a206d737473686173683d616c" },
	{ HS_PROTO_RDP, HS_PROBE_SERVER, "030000130ed000000000000203080002000000" },
};

static size_t unhex(const char *h, uint8_t *out, size_t max)
{
	size_t n = 0;
	for (; h[0] && h[1] && n < max; h += 2)
		out[n++] = (uint8_t)(g_ascii_xdigit_value(h[0]) << 4 | g_ascii_xdigit_value(h[1]));
	return n;
}

static void test_real_probes(void)
{
	for (size_t i = 0; i < G_N_ELEMENTS(samples); i++) {
		uint8_t b[64];
		size_t n = unhex(samples[i].hex, b, sizeof b);
		hs_probe_verdict v;
		const hs_proto_def *d = hs_app_probe(6, b, n, &v);
		CU_ASSERT_PTR_NOT_NULL_FATAL(d);
		CU_ASSERT_EQUAL(d->id, samples[i].proto);
		CU_ASSERT_EQUAL(v, samples[i].side);
		for (int p = 0; p < HS_PROTO__COUNT; p++) {
			const hs_proto_def *o = hs_proto_def_of((hs_proto)p);
			if (o->probe && o != d)
				CU_ASSERT_EQUAL(o->probe(b, n), HS_PROBE_NO);
		}
		for (size_t k = 1; k < n; k++)
			CU_ASSERT_NOT_EQUAL(d->probe(b, k), HS_PROBE_NO);
		/* another first byte: refused (the first-byte table) */
		b[0] ^= 0x80;
		CU_ASSERT_PTR_NULL(hs_app_probe(6, b, n, &v));
		CU_ASSERT_EQUAL(v, HS_PROBE_NO);
	}
}

/* The ports of the earlier fixed table (and of live capture's filter). */
static void test_well_known_ports(void)
{
	static const uint16_t tcp[] = { 9, 80, 88, 135, 139, 389, 445, 636, 1433, 3268, 3269, 3389, 5985, 5986, 8080, 47001 };
	uint16_t p[64];
	size_t n = hs_app_ports(6, p, 64);
	CU_ASSERT_EQUAL(n, G_N_ELEMENTS(tcp));
	for (size_t i = 0; i < n && i < G_N_ELEMENTS(tcp); i++)
		CU_ASSERT_EQUAL(p[i], tcp[i]);
	n = hs_app_ports(17, p, 64);
	CU_ASSERT_EQUAL(n, 1);
	CU_ASSERT_EQUAL(p[0], 88);
	CU_ASSERT_EQUAL(hs_app_ports(6, p, 2), G_N_ELEMENTS(tcp)); /* counts past max */
}

/* No two descriptors claim a port: the dispatcher would pick by list order. */
static void test_ports_unique(void)
{
	for (int a = 0; a < HS_PROTO__COUNT; a++)
		for (const hs_port_def *x = hs_proto_def_of((hs_proto)a)->ports; x && x->port; x++) {
			CU_ASSERT_PTR_NOT_NULL(x->app);
			for (int b = 0; b < HS_PROTO__COUNT; b++)
				for (const hs_port_def *y = hs_proto_def_of((hs_proto)b)->ports; y && y->port; y++)
					if (x != y && x->port == y->port) {
						CU_ASSERT(x->ipproto != y->ipproto);
						CU_ASSERT_EQUAL(x->carrier, y->carrier); /* a port is one service */
					}
		}
}

/* The lower well-known port is the server, whichever side it is on. */
static void test_port_choice(void)
{
	bool src = true;
	const hs_app *krb = hs_app_for_ports(6, 47001, 88, &src);
	CU_ASSERT_PTR_NOT_NULL(krb);
	CU_ASSERT_FALSE(src);
	const hs_app *http = hs_app_for_ports(6, 80, 47001, &src);
	CU_ASSERT_PTR_NOT_NULL(http);
	CU_ASSERT_TRUE(src);
	CU_ASSERT_PTR_NOT_EQUAL(krb, http);
	CU_ASSERT_PTR_NOT_NULL(hs_app_for_ports(17, 50000, 88, &src));
	CU_ASSERT_FALSE(src);
	CU_ASSERT_PTR_NULL(hs_app_for_ports(17, 50000, 445, &src));
	CU_ASSERT_PTR_NULL(hs_app_for_ports(6, 50000, 50001, &src));
}

/* The model's carriers (report-contract.md) per server port and per SPN. */
static void test_model_carriers(void)
{
	static const struct { uint16_t port; hs_carrier c; } ports[] = {
		{ 5985, HS_CAR_WINRM_HTTP }, { 47001, HS_CAR_WINRM_HTTP }, { 5986, HS_CAR_WINRM_HTTPS },
		{ 80, HS_CAR_HTTP }, { 8080, HS_CAR_HTTP }, { 445, HS_CAR_SMB2 }, { 139, HS_CAR_SMB2 },
		{ 389, HS_CAR_LDAP }, { 3268, HS_CAR_LDAP }, { 1433, HS_CAR_MSSQL }, { 3389, HS_CAR_RDP },
		{ 88, HS_CAR_KERBEROS }, { 135, HS_CAR_DCERPC }, { 636, HS_CAR_OTHER }, { 3269, HS_CAR_OTHER },
		{ 9, HS_CAR_OTHER }, { 50000, HS_CAR_OTHER },
	};
	for (size_t i = 0; i < G_N_ELEMENTS(ports); i++)
		CU_ASSERT_EQUAL(hs_proto_port_carrier(ports[i].port), ports[i].c);
	static const struct { const char *spn; hs_carrier c; uint16_t port; } spns[] = {
		{ "cifs/fs1.corp", HS_CAR_SMB2, 445 }, { "ldap/dc1", HS_CAR_LDAP, 389 }, { "GC/dc1", HS_CAR_LDAP, 389 },
		{ "MSSQLSvc/sql1:1433", HS_CAR_MSSQL, 1433 }, { "HTTP/web1", HS_CAR_WINRM_HTTP, 5985 },
		{ "wsman/web1", HS_CAR_WINRM_HTTP, 5985 }, { "RPCSS/h", HS_CAR_DCERPC, 135 }, { "host/h", HS_CAR_DCERPC, 135 },
		{ "TERMSRV/ts1", HS_CAR_RDP, 3389 },
	};
	for (size_t i = 0; i < G_N_ELEMENTS(spns); i++) {
		const hs_spn_def *d = hs_proto_spn(spns[i].spn);
		CU_ASSERT_PTR_NOT_NULL_FATAL(d);
		CU_ASSERT_EQUAL(d->carrier, spns[i].c);
		CU_ASSERT_EQUAL(hs_proto_carrier_port(d->carrier), spns[i].port);
	}
	CU_ASSERT_PTR_NULL(hs_proto_spn("krbtgt/CORP"));
	CU_ASSERT_PTR_NULL(hs_proto_spn("cif"));
	CU_ASSERT_EQUAL(hs_proto_carrier_port(HS_CAR_OTHER), 0);
	CU_ASSERT_EQUAL(hs_proto_carrier_port(HS_CAR_HTTP), 0);
}

HS_UNIT_MAIN("protos",
	{ "one list line names a protocol", test_one_line_names_it },
	{ "one list line: dispatched by port, named in JSON", test_dispatched_by_port },
	{ "one list line: dispatched by probe", test_dispatched_by_probe },
	{ "a probe that needs more bytes waits for them, boundedly", test_probe_waits_for_more },
	{ "decode-as: names, specs, errors, dispatch", test_decode_as },
	{ "real first PDUs: one probe each, prefixes never refused", test_real_probes },
	{ "well-known ports, ascending", test_well_known_ports },
	{ "no port claimed twice", test_ports_unique },
	{ "the lower well-known port is the server", test_port_choice },
	{ "model carriers from the descriptors", test_model_carriers })
