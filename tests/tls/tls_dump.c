/* tls_dump.c - test helper: run a capture through the engine with TLS on
 * every TCP flow (hs_tls_conn, the key logs given) and print, per
 * connection, each decrypted application-data fragment as
 *   <flow> <C|S> <hex>
 * and each HS_PROTO_TLS message as JSON ("#" lines), each anomaly as "!".
 *
 *   tls_dump [--split N] CAPTURE [KEYLOG ...]
 *
 * --split N: the shim takes whatever the engine delivers and hands the TLS
 * parser the stream growing by at most N bytes per call, to show that
 * segmentation changes nothing (same messages, same frames, same bytes). */
#include <pcap/pcap.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "engine.h"
#include "tls.h"

static size_t split;

typedef struct dump_state {
	hs_tls_conn conn;
	bool init;
	GByteArray *buf[2];
} dump_state;

static void on_data(void *ud, hs_app_ctx *ctx, const uint8_t *p, size_t n)
{
	(void)ud;
	printf("%llu %c ", (unsigned long long)ctx->meta->flow_id, ctx->dir ? 'S' : 'C');
	for (size_t i = 0; i < n; i++)
		printf("%02x", p[i]);
	putchar('\n');
}

static hs_parse_result dump_stream(hs_app_ctx *ctx, const uint8_t *p, size_t len)
{
	dump_state *s = ctx->state;
	if (!s->init) {
		hs_tls_conn_init(&s->conn, HS_PROTO_NONE, on_data, s);
		s->init = true;
	}
	if (!split)
		return hs_tls_conn_stream(&s->conn, ctx, p, len);
	GByteArray *b = s->buf[ctx->dir & 1];
	if (!b)
		b = s->buf[ctx->dir & 1] = g_byte_array_new();
	g_byte_array_append(b, p, (guint)len);
	size_t window = 0;
	while (window < b->len) {
		window = window + split < b->len ? window + split : b->len;
		hs_parse_result r = hs_tls_conn_stream(&s->conn, ctx, b->data, window);
		if (r.status == HS_PARSE_ERROR)
			return r;
		if (r.status == HS_PARSE_OK && r.consumed) {
			g_byte_array_remove_range(b, 0, (guint)r.consumed);
			window -= r.consumed;
		}
	}
	return hs_parse_ok(len);
}

static void dump_gap(hs_app_ctx *ctx)
{
	dump_state *s = ctx->state;
	if (s->init)
		hs_tls_conn_gap(&s->conn, ctx);
}

static void dump_close(hs_app_ctx *ctx)
{
	dump_state *s = ctx->state;
	hs_tls_conn_release(&s->conn);
	for (int i = 0; i < 2; i++)
		if (s->buf[i])
			g_byte_array_free(s->buf[i], TRUE);
}

static const hs_app dump_app = { "tls", sizeof(dump_state), dump_stream, dump_gap, NULL, dump_close, HS_ANOM_NONE };

static const hs_app *resolve(uint8_t ipproto, uint16_t sport, uint16_t dport, bool *server_is_src)
{
	(void)dport;
	if (ipproto != 6)
		return NULL;
	*server_is_src = sport < 10000; /* the test servers listen on low ports */
	return &dump_app;
}

static void on_msg(void *ud, const hs_msg *m)
{
	hs_out *o = ud;
	hs_out_reset(o);
	hs_msg_describe(m, o, 0);
	printf("# %s\n", hs_out_text(o, NULL));
}

static void on_anomaly(void *ud, const hs_anomaly *a)
{
	(void)ud;
	printf("! %llu %s %s\n", (unsigned long long)a->frame, a->kind, a->detail);
}

int main(int argc, char **argv)
{
	int i = 1;
	if (argc > 2 && strcmp(argv[1], "--split") == 0) {
		split = (size_t)atoi(argv[2]);
		i = 3;
	}
	if (i >= argc) {
		fprintf(stderr, "usage: tls_dump [--split N] CAPTURE [KEYLOG ...]\n");
		return 2;
	}
	char err[PCAP_ERRBUF_SIZE];
	pcap_t *pc = pcap_open_offline(argv[i], err);
	if (!pc) {
		fprintf(stderr, "%s\n", err);
		return 2;
	}
	hs_engine *e = hs_engine_new(NULL);
	hs_engine_set_resolver(e, resolve);
	hs_out *o = hs_out_new(HS_OUT_JSON);
	hs_engine_add_msg_sink(e, on_msg, o);
	hs_engine_set_anomaly_sink(e, on_anomaly, NULL);
	for (int k = i + 1; k < argc; k++)
		if (hs_engine_add_keylog(e, argv[k]) != HS_OK) {
			fprintf(stderr, "cannot read %s\n", argv[k]);
			return 2;
		}
	struct pcap_pkthdr *h;
	const u_char *d;
	uint64_t n = 0;
	while (pcap_next_ex(pc, &h, &d) == 1) {
		hs_frame f = { 0, ++n, h->ts.tv_sec, (uint32_t)h->ts.tv_usec * 1000u, pcap_datalink(pc), d, h->caplen,
			       h->len };
		hs_engine_feed(e, &f);
	}
	hs_engine_finish(e);
	hs_engine_free(e);
	hs_out_free(o);
	pcap_close(pc);
	return 0;
}
