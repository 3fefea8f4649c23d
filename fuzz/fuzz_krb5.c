/* fuzz_krb5.c - libFuzzer target for the Kerberos decoder.
 *
 * The first byte picks the entry point (as llhttp's fuzzer picks flags):
 *   0  hs_krb_decode       one PDU
 *   1  hs_krb_gss_decode   a GSS-API token (framed, bare, MIC/Wrap)
 *   2  TCP record marking  a byte stream of records, taken whole and then
 *                          again in chunks cut where byte 1 says: both
 *                          passes must find the same records (chunking must
 *                          not change the answer).
 * Every decoded message is also described (JSON, with secrets) so the
 * describer walks whatever the decoder accepted. */
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "krb5.h"

static hs_krb_msg msg;

static void describe(const hs_krb_msg *m)
{
	hs_out *o = hs_out_new(HS_OUT_JSON);
	hs_out_begin(o, NULL);
	hs_krb_describe(m, o, HS_DESCRIBE_SECRETS);
	hs_out_end(o);
	hs_out_free(o);
}

/* Decode every whole record of p; returns how many (and the bytes used). */
static size_t records(const uint8_t *p, size_t len, size_t *used, uint32_t *sum, bool desc)
{
	size_t n = 0, off = 0;
	for (;;) {
		hs_slice pdu;
		hs_parse_result r = hs_krb_tcp_record(p + off, len - off, &pdu);
		if (r.status != HS_PARSE_OK)
			break;
		if (r.consumed < 4 || r.consumed > len - off)
			abort();
		hs_err e = hs_krb_decode(pdu.p, pdu.len, &msg);
		*sum = *sum * 31u + (uint32_t)e * 7u + (uint32_t)msg.msg_type;
		if (desc)
			describe(&msg);
		off += r.consumed;
		n++;
	}
	*used = off;
	return n;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 1)
		return 0;
	uint8_t mode = data[0] % 3;
	const uint8_t *p = data + 1;
	size_t len = size - 1;

	if (mode == 0) {
		(void)hs_krb_decode(p, len, &msg);
		describe(&msg);
	} else if (mode == 1) {
		(void)hs_krb_gss_decode(p, len, &msg);
		describe(&msg);
	} else {
		size_t used1 = 0, used2 = 0, n2 = 0;
		uint32_t sum1 = 0, sum2 = 0;
		size_t n1 = records(p, len, &used1, &sum1, true);
		/* the same stream in two chunks, through a buffer like the engine's */
		size_t cut = len ? (size_t)(len ? p[0] : 0) % (len + 1) : 0;
		uint8_t *buf = malloc(len + 1);
		size_t have = 0, u;
		memcpy(buf, p, cut);
		have = cut;
		n2 += records(buf, have, &u, &sum2, false);
		memmove(buf, buf + u, have - u);
		have -= u;
		used2 += u;
		memcpy(buf + have, p + cut, len - cut);
		have += len - cut;
		n2 += records(buf, have, &u, &sum2, false);
		used2 += u;
		free(buf);
		if (n1 != n2 || used1 != used2 || sum1 != sum2)
			abort(); /* chunking changed the answer */
	}
	return 0;
}
