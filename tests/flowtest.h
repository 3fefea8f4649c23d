/* flowtest.h - frames built in memory and a recording hs_app, for the
 * engine's unit tests (link_test, ip_test, tcp_test, engine_test) and the
 * flow fuzz target.  Header-only; each test program includes it once. */
#ifndef HS_FLOWTEST_H
#define HS_FLOWTEST_H

#include <arpa/inet.h>
#include <stdio.h>
#include <string.h>

#include "engine.h"

#define FT_UNUSED __attribute__((unused))

#define FT_PORT 88       /* the test app's well-known port (TCP and UDP) */
#define FT_MAX_FLOWS 16
#define FT_CAP 65536

/* What the test app saw, per flow instance (by flow_id order of arrival). */
typedef struct ft_flow {
	uint64_t id;
	uint8_t data[2][FT_CAP];
	size_t len[2];
	unsigned gaps[2], eofs[2], closes, datagrams[2];
	size_t msgs[2];          /* framed mode: records delivered */
	hs_addr cli;             /* src of dir 0 */
	uint16_t cport;
} ft_flow;

typedef enum ft_mode {
	FT_CONSUME_ALL = 0,  /* take every byte */
	FT_FRAMED,           /* 4-byte big-endian length + body records (Kerberos TCP style);
			      * length 0xffffffff = malformed */
	FT_HOLD              /* consume nothing until eof */
} ft_mode;

typedef struct ft_anom {
	char kind[48];
	char detail[512];
	uint64_t frame;
} ft_anom;

static struct {
	ft_flow flows[FT_MAX_FLOWS];
	size_t nflows;
	ft_mode mode;
	ft_anom anoms[64];
	size_t nanoms;
	uint64_t frame;
	int64_t ts;
} ft;

static FT_UNUSED ft_flow *ft_flow_for(const hs_app_ctx *c)
{
	for (size_t i = 0; i < ft.nflows; i++)
		if (ft.flows[i].id == c->meta->flow_id)
			return &ft.flows[i];
	if (ft.nflows == FT_MAX_FLOWS)
		return &ft.flows[FT_MAX_FLOWS - 1];
	ft_flow *f = &ft.flows[ft.nflows++];
	f->id = c->meta->flow_id;
	f->cli = c->dir == 0 ? c->meta->src : c->meta->dst;
	f->cport = c->dir == 0 ? c->meta->sport : c->meta->dport;
	return f;
}

static FT_UNUSED void ft_keep(ft_flow *f, int dir, const uint8_t *p, size_t n)
{
	if (n && f->len[dir] + n <= FT_CAP) {
		memcpy(f->data[dir] + f->len[dir], p, n);
		f->len[dir] += n;
	}
}

static FT_UNUSED hs_parse_result ft_stream(hs_app_ctx *c, const uint8_t *p, size_t n)
{
	ft_flow *f = ft_flow_for(c);
	if (c->eof)
		f->eofs[c->dir]++;
	switch (ft.mode) {
	case FT_CONSUME_ALL:
		ft_keep(f, c->dir, p, n);
		return hs_parse_ok(n);
	case FT_HOLD:
		if (!c->eof)
			return hs_parse_ok(0);
		ft_keep(f, c->dir, p, n);
		return hs_parse_ok(n);
	case FT_FRAMED:
	default: {
		if (n < 4)
			return hs_parse_incomplete(4);
		uint32_t l = (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
		if (l == 0xffffffffu)
			return hs_parse_error(HS_E_MALFORMED);
		if (n - 4 < l)
			return hs_parse_incomplete((size_t)l + 4);
		ft_keep(f, c->dir, p, (size_t)l + 4);
		f->msgs[c->dir]++;
		hs_emit(c, HS_PROTO_KERBEROS, NULL);
		return hs_parse_ok((size_t)l + 4);
	}
	}
}

static FT_UNUSED void ft_gap(hs_app_ctx *c) { ft_flow_for(c)->gaps[c->dir]++; }

static FT_UNUSED void ft_datagram(hs_app_ctx *c, const uint8_t *p, size_t n)
{
	ft_flow *f = ft_flow_for(c);
	f->datagrams[c->dir]++;
	ft_keep(f, c->dir, p, n);
}

static FT_UNUSED void ft_close(hs_app_ctx *c) { ft_flow_for(c)->closes++; }

static const hs_app ft_app = { "test", 16, ft_stream, ft_gap, ft_datagram, ft_close, HS_ANOM_NONE };

static FT_UNUSED const hs_app *ft_resolve(uint8_t proto, uint16_t sp, uint16_t dp, bool *server_is_src)
{
	(void)proto;
	if (dp == FT_PORT) { *server_is_src = false; return &ft_app; }
	if (sp == FT_PORT) { *server_is_src = true; return &ft_app; }
	return NULL;
}

static FT_UNUSED void ft_on_anomaly(void *ud, const hs_anomaly *a)
{
	(void)ud;
	if (ft.nanoms < 64) {
		ft_anom *x = &ft.anoms[ft.nanoms++];
		snprintf(x->kind, sizeof x->kind, "%s", a->kind);
		snprintf(x->detail, sizeof x->detail, "%s", a->detail);
		x->frame = a->frame;
	}
}

static FT_UNUSED size_t ft_count(const char *kind)
{
	size_t n = 0;
	for (size_t i = 0; i < ft.nanoms; i++)
		n += strcmp(ft.anoms[i].kind, kind) == 0;
	return n;
}

static FT_UNUSED hs_engine *ft_engine(const hs_config *cfg, ft_mode mode)
{
	memset(&ft, 0, sizeof ft);
	ft.mode = mode;
	hs_engine *e = hs_engine_new(cfg);
	hs_engine_set_resolver(e, ft_resolve);
	hs_engine_set_anomaly_sink(e, ft_on_anomaly, NULL);
	return e;
}

static FT_UNUSED void ft_feed_lt(hs_engine *e, int linktype, const uint8_t *p, size_t n, size_t wirelen)
{
	hs_frame f;
	memset(&f, 0, sizeof f);
	f.frame = ++ft.frame;
	ft.ts += 1000; /* 1 us apart */
	f.ts_sec = 1500000000 + ft.ts / 1000000000;
	f.ts_nsec = (uint32_t)(ft.ts % 1000000000);
	f.linktype = linktype;
	f.data = p;
	f.caplen = n;
	f.wirelen = wirelen ? wirelen : n;
	hs_engine_feed(e, &f);
}

/* ---- frame builders ---- */

static FT_UNUSED void ft_put16(uint8_t *p, uint16_t v) { p[0] = (uint8_t)(v >> 8); p[1] = (uint8_t)v; }
static FT_UNUSED void ft_put32(uint8_t *p, uint32_t v) { ft_put16(p, (uint16_t)(v >> 16)); ft_put16(p + 2, (uint16_t)v); }

/* IPv4 header (20 bytes) at p; total = 20 + plen. */
static FT_UNUSED size_t ft_ipv4(uint8_t *p, const char *src, const char *dst, uint8_t proto, size_t plen, uint16_t id,
		      uint16_t frag)
{
	memset(p, 0, 20);
	p[0] = 0x45;
	ft_put16(p + 2, (uint16_t)(20 + plen));
	ft_put16(p + 4, id);
	ft_put16(p + 6, frag);
	p[8] = 64;
	p[9] = proto;
	inet_pton(AF_INET, src, p + 12);
	inet_pton(AF_INET, dst, p + 16);
	return 20;
}

static FT_UNUSED size_t ft_ipv6(uint8_t *p, const char *src, const char *dst, uint8_t nh, size_t plen)
{
	memset(p, 0, 40);
	p[0] = 0x60;
	ft_put16(p + 4, (uint16_t)plen);
	p[6] = nh;
	p[7] = 64;
	inet_pton(AF_INET6, src, p + 8);
	inet_pton(AF_INET6, dst, p + 24);
	return 40;
}

static FT_UNUSED size_t ft_tcphdr(uint8_t *p, uint16_t sp, uint16_t dp, uint32_t seq, uint32_t ack, uint8_t flags)
{
	memset(p, 0, 20);
	ft_put16(p, sp);
	ft_put16(p + 2, dp);
	ft_put32(p + 4, seq);
	ft_put32(p + 8, ack);
	p[12] = 5 << 4;
	p[13] = flags;
	ft_put16(p + 14, 65535);
	return 20;
}

static FT_UNUSED size_t ft_eth(uint8_t *p, uint16_t type)
{
	memset(p, 0, 12);
	p[0] = 0x02; p[6] = 0x02; p[11] = 1;
	ft_put16(p + 12, type);
	return 14;
}

#define FT_FIN 0x01
#define FT_SYN 0x02
#define FT_RST 0x04
#define FT_PSH 0x08
#define FT_ACK 0x10

#define FT_CLI "10.0.0.20"
#define FT_SRV "10.0.0.10"

/* Ethernet + IPv4 + TCP frame into buf (>= 1600 + n); returns its length. */
static FT_UNUSED size_t ft_tcp4(uint8_t *buf, const char *src, uint16_t sp, const char *dst, uint16_t dp, uint32_t seq,
		      uint32_t ack, uint8_t flags, const void *data, size_t n)
{
	size_t o = ft_eth(buf, 0x0800);
	o += ft_ipv4(buf + o, src, dst, 6, 20 + n, 1, 0x4000);
	o += ft_tcphdr(buf + o, sp, dp, seq, ack, flags);
	if (n)
		memcpy(buf + o, data, n);
	return o + n;
}

/* Client (FT_CLI:40000) <-> server (FT_SRV:88) segment; dir 0 = from client. */
static FT_UNUSED void ft_seg(hs_engine *e, int dir, uint32_t seq, uint32_t ack, uint8_t flags, const void *data, size_t n)
{
	static uint8_t buf[70000];
	size_t len = dir == 0 ? ft_tcp4(buf, FT_CLI, 40000, FT_SRV, FT_PORT, seq, ack, flags, data, n)
			      : ft_tcp4(buf, FT_SRV, FT_PORT, FT_CLI, 40000, seq, ack, flags, data, n);
	ft_feed_lt(e, HS_DLT_EN10MB, buf, len, 0);
}

static FT_UNUSED size_t ft_udp4(uint8_t *buf, const char *src, uint16_t sp, const char *dst, uint16_t dp, const void *data,
		      size_t n)
{
	size_t o = ft_eth(buf, 0x0800);
	o += ft_ipv4(buf + o, src, dst, 17, 8 + n, 7, 0);
	ft_put16(buf + o, sp);
	ft_put16(buf + o + 2, dp);
	ft_put16(buf + o + 4, (uint16_t)(8 + n));
	ft_put16(buf + o + 6, 0);
	memcpy(buf + o + 8, data, n);
	return o + 8 + n;
}

#endif
