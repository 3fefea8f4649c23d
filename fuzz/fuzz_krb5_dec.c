/* fuzz_krb5_dec.c - libFuzzer target for Kerberos decryption (krb5_dec.c,
 * krb5_crypt.c) with a fixed key set: the throw-away lab domain's keys
 * (the keytabs of captures/lab/scenarios/05-unconstrained, committed test data).
 *
 * The first byte picks the entry point:
 *   0  a Kerberos PDU (hs_krb_decode), decrypted with the keys: hostile
 *      cipher texts, etypes, kvnos, lengths; real lab PDUs as seeds go all
 *      the way through (their cipher texts verify);
 *   1  a GSS token (hs_krb_gss_decode), the same;
 *   2..4  a plain text as if decrypted: EncTicketPart, Authenticator (its
 *      GSS checksum and KRB-CRED, whose enc-part is decrypted with the
 *      fixed keys), EncKDCRepPart.
 * The result is always described (JSON, with secrets). */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "krb5.h"
#include "krb5_dec.h"

static hs_krb_keys *keys;
static hs_krb_msg msg;
static hs_krb_dec dec;

static void add(const char *princ, uint32_t kvno, int32_t etype, const char *hex)
{
	hs_krb_key k;
	memset(&k, 0, sizeof k);
	k.etype = etype;
	for (size_t i = 0; hex[2 * i] && i < sizeof k.k; i++) {
		unsigned v;
		sscanf(hex + 2 * i, "%2x", &v);
		k.k[k.len++] = (uint8_t)v;
	}
	hs_krb_keys_add(keys, princ, kvno, &k);
}

static void init(void)
{
	keys = hs_krb_keys_new();
	add("krbtgt@HOP.TEST", 1, 18, "e4d83cc47fb427cc904842e8d9b9187e2de8d7541ead579654d238dd44ee8641");
	add("SRV1$@HOP.TEST", 2, 18, "73efe87b545530ca1967d3531a4217a3940d3347e2a2b711cb426812fea10700");
	add("SRV1$@HOP.TEST", 2, 17, "43f49ad1120109d82df64df3ecc229c8");
	add("HTTP/srv1.hop.test@HOP.TEST", 2, 23, "04810073d9cfc25bcfd9d3f1b0449b13");
	add("SRV2$@HOP.TEST", 1, 18, "41197e699733bc28db37d6c47cb7f56a69f9fd7fc9a3daa08b0b2fc5ed429130");
	add("cifs/srv2.hop.test@HOP.TEST", 1, 23, "ebd88b00ed44ab6a5f393851eb4e2e48");
	/* a learnt session key of each supported etype */
	hs_krb_key s;
	for (int32_t e = 17; e <= 23; e++) {
		if (!hs_krb_etype_keylen(e))
			continue;
		memset(&s, 0, sizeof s);
		s.etype = e;
		s.len = (uint32_t)hs_krb_etype_keylen(e);
		memset(s.k, 0x40 + e, s.len);
		hs_krb_keys_learn(keys, &s);
	}
}

static void describe(const hs_krb_msg *m)
{
	hs_out *o = hs_out_new(HS_OUT_JSON);
	hs_out_begin(o, NULL);
	hs_krb_describe(m, o, HS_DESCRIBE_SECRETS);
	hs_out_end(o);
	hs_out_free(o);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (!keys)
		init();
	if (size < 1)
		return 0;
	uint8_t mode = data[0] % 5;
	data++, size--;
	if (mode <= 1) {
		if (mode == 0)
			hs_krb_decode(data, size, &msg);
		else
			hs_krb_gss_decode(data, size, &msg);
		if (hs_krb_dec_run(keys, &msg, &dec) && msg.dec != &dec)
			abort();
		describe(&msg);
	} else {
		memset(&msg, 0, sizeof msg);
		msg.kind = HS_KRB_KIND_PDU;
		msg.msg_type = mode == 2 ? HS_KRB_AP_REQ : mode == 3 ? HS_KRB_AP_REQ : HS_KRB_TGS_REP;
		hs_krb_dec_plain(keys, mode - 2, data, size, &dec);
		msg.dec = &dec;
		describe(&msg);
	}
	hs_krb_dec_wipe(&dec);
	return 0;
}
