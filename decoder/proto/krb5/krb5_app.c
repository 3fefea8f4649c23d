/* krb5_app.c - the engine parser for Kerberos on port 88 (RFC 4120 s7.2.1
 * UDP, s7.2.2 TCP) and the protocol's descriptor (protos.def): PDUs decoded
 * by krb5.c, emitted decrypted by krb5_dec.c when the host has keys. */
#include "krb5.h"

#include "der.h"

#include "krb5_dec.h"

typedef struct krb_flow {
	bool resync[2]; /* after a gap: look for the next record start */
} krb_flow;

static void emit_pdu(hs_app_ctx *ctx, const uint8_t *p, size_t len)
{
	hs_krb_msg m;
	hs_err e = hs_krb_decode(p, len, &m);
	if (e == HS_E_UNKNOWN || m.kind == HS_KRB_KIND_NONE) {
		hs_report_anomaly(ctx, HS_ANOM_MALFORMED_KERBEROS, "%zu bytes on port 88 are not a Kerberos PDU (first byte 0x%02x)",
				  len, len ? p[0] : 0);
		return;
	}
	hs_krb_dec_emit(ctx, HS_PROTO_KERBEROS, &m, &m, HS_PROTO_NONE);
	if (e != HS_OK) {
		const char *n = hs_krb_msg_name(m.msg_type);
		hs_report_anomaly(ctx, HS_ANOM_MALFORMED_KERBEROS, "%s of %zu bytes: %s%s", n ? n : "PDU", len, hs_err_name(e),
				  m.value_err != HS_OK ? " (in a PA-DATA / e-data value)" : "");
	}
}

static hs_parse_result krb_stream(hs_app_ctx *ctx, const uint8_t *data, size_t len)
{
	krb_flow *f = ctx->state;
	hs_slice pdu = { NULL, 0 };
	hs_parse_result r;
	if (f && f->resync[ctx->dir & 1]) {
		size_t i;
		for (i = 0; i + 6 <= len; i++)
			if (hs_krb_tcp_record_start(data + i, len - i))
				break;
		if (i + 6 > len) {
			/* keep a possible partial header */
			if (len <= 5)
				return hs_parse_incomplete(0);
			return hs_parse_ok(len - 5);
		}
		f->resync[ctx->dir & 1] = false;
		if (i)
			return hs_parse_ok(i);
	}
	r = hs_krb_tcp_record(data, len, &pdu);
	/* HS_PARSE_ERROR (reserved bit, over the cap): the engine reports
	 * "malformed_kerberos", drops the direction's bytes and calls gap(). */
	if (r.status == HS_PARSE_OK)
		emit_pdu(ctx, pdu.p, pdu.len);
	return r;
}

static void krb_gap(hs_app_ctx *ctx)
{
	krb_flow *f = ctx->state;
	if (f)
		f->resync[ctx->dir & 1] = true;
}

static void krb_datagram(hs_app_ctx *ctx, const uint8_t *data, size_t len)
{
	emit_pdu(ctx, data, len);
}

const hs_app hs_krb5_app = {
	.name = "kerberos",
	.state_size = sizeof(krb_flow),
	.stream = krb_stream,
	.gap = krb_gap,
	.datagram = krb_datagram,
	.close = NULL,
	.malformed = HS_ANOM_MALFORMED_KERBEROS,
};

/* Kerberos over TCP and UDP 88 (RFC 4120 7.2.1-2). */
static const hs_port_def krb5_ports[] = {
	{ 6, 88, &hs_krb5_app, HS_CAR_KERBEROS },
	{ 17, 88, &hs_krb5_app, HS_CAR_KERBEROS },
	{ 0 }
};

/* Kerberos over TCP on another port (a KDC proxy, a lab's KDC): the record
 * marker (RFC 4120 7.2.2: 4-byte length, high bit clear) whose length is
 * exactly the DER element that follows, an [APPLICATION 10/12] request from
 * the client or [APPLICATION 11/13/30] reply or error from the server,
 * holding a SEQUENCE.  MIT clients may send the marker in a segment of its
 * own: four bytes are a prefix. */
static hs_probe_verdict krb5_probe(const uint8_t *p, size_t len)
{
	if (len && p[0] != 0)
		return HS_PROBE_NO;
	if (len < 5)
		return HS_PROBE_MORE;
	size_t rec = ((size_t)p[1] << 16) | ((size_t)p[2] << 8) | p[3];
	uint8_t tag = p[4];
	bool req = tag == 0x6a || tag == 0x6c;
	if (!req && tag != 0x6b && tag != 0x6d && tag != 0x7e)
		return HS_PROBE_NO;
	size_t at = 4, n, seq;
	int r = hs_der_probe_header(p, len, &at, tag, &n);
	if (r <= 0)
		return r ? HS_PROBE_MORE : HS_PROBE_NO;
	if (at - 4 + n != rec)
		return HS_PROBE_NO;
	if ((r = hs_der_probe_header(p, len, &at, 0x30, &seq)) <= 0)
		return r ? HS_PROBE_MORE : HS_PROBE_NO;
	return req ? HS_PROBE_CLIENT : HS_PROBE_SERVER;
}

const hs_proto_def hs_krb5_proto = {
	.id = HS_PROTO_KERBEROS, .describe = hs_krb_describe, .ports = krb5_ports,
	.probe = krb5_probe, .probe_ipproto = 6, .probe_app = &hs_krb5_app, .probe_carrier = HS_CAR_KERBEROS,
};
