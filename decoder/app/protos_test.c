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

static bool toy_probe(const uint8_t *p, size_t len)
{
	return len >= 4 && !memcmp(p, "TOY!", 4);
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

static void feed_connection(uint16_t dport, const char *payload)
{
	uint8_t buf[2000];
	hs_engine *e = hs_engine_new(NULL);
	hs_engine_add_msg_sink(e, sink, NULL);
	hs_frame f = { 0, 1, 1, 0, HS_DLT_EN10MB, buf, 0, 0 };
	f.caplen = f.wirelen = ft_tcp4(buf, FT_CLI, 50000, FT_SRV, dport, 100, 0, FT_SYN, NULL, 0);
	hs_engine_feed(e, &f);
	f.frame = 2;
	f.caplen = f.wirelen = ft_tcp4(buf, FT_CLI, 50000, FT_SRV, dport, 101, 1, FT_ACK | FT_PSH, payload, strlen(payload));
	hs_engine_feed(e, &f);
	hs_engine_finish(e);
	hs_engine_free(e);
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

/* ---- the real descriptors ---- */

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
	{ "well-known ports, ascending", test_well_known_ports },
	{ "no port claimed twice", test_ports_unique },
	{ "the lower well-known port is the server", test_port_choice },
	{ "model carriers from the descriptors", test_model_carriers })
