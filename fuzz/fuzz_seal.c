/* fuzz_seal.c - libFuzzer target for the sealed-body layers: Kerberos GSS
 * Wrap tokens (krb5_wrap.c: RFC 4121 with any split / EC / RRC, RFC 4757)
 * and NTLM sealing (ntlm_seal.c: RC4 state and signatures across messages).
 * Byte 0 selects: even = Kerberos: byte 1 the etype (17, 18, 23 by value
 * % 3), then the key (its length), 2 bytes the header length, 4 bytes the
 * announced length, the token; odd = NTLM: 4 bytes flags, 16 the exported
 * session key, then messages { 1 byte direction, 2 bytes length, 16 bytes
 * signature, data } (flags without ESS: NTLMv1 sealing); byte 0 & 3 == 3:
 * an AUTHENTICATE message whose keys are derived with a fixed password. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "krb5_wrap.h"
#include "ntlm_seal.h"

static void krb(const uint8_t *d, size_t n)
{
	static const int32_t et[3] = { 17, 18, 23 };
	if (n < 1)
		return;
	hs_krb_key k;
	memset(&k, 0, sizeof k);
	k.etype = et[d[0] % 3];
	k.len = (uint32_t)hs_krb_etype_keylen(k.etype);
	d++, n--;
	if (n < k.len + 6)
		return;
	memcpy(k.k, d, k.len);
	d += k.len, n -= k.len;
	size_t hl = (size_t)(d[0] << 8 | d[1]);
	uint32_t orig = (uint32_t)d[2] << 24 | (uint32_t)d[3] << 16 | (uint32_t)d[4] << 8 | d[5];
	d += 6, n -= 6;
	if (hl > n)
		hl = n;
	uint8_t *hdr = malloc(hl ? hl : 1), *data = malloc(n - hl ? n - hl : 1);
	uint8_t *scratch = malloc(n + 1), *out = malloc(n + 1);
	memcpy(hdr, d, hl);
	memcpy(data, d + hl, n - hl);
	size_t olen;
	hs_krb_wrap_info info;
	hs_krb_unwrap(&k, hdr, hl, data, n - hl, orig == 0xffffffffu ? SIZE_MAX : orig, scratch, out, &olen, &info);
	free(hdr);
	free(data);
	free(scratch);
	free(out);
}

static void ntlm(const uint8_t *d, size_t n)
{
	if (n < 20)
		return;
	hs_ntlm_seal s;
	uint32_t flags = (uint32_t)d[0] | (uint32_t)d[1] << 8 | (uint32_t)d[2] << 16 | (uint32_t)d[3] << 24;
	/* without extended session security: NTLMv1's CRC32 signatures */
	if (flags & HS_NTLM_NEGOTIATE_EXTENDED_SESSIONSECURITY)
		hs_ntlm_seal_from_key(&s, flags, d + 4);
	else
		hs_ntlm_seal_from_key_v1(&s, flags, d + 4);
	d += 20, n -= 20;
	while (n >= 19) {
		bool srv = d[0] & 1;
		size_t l = (size_t)(d[1] << 8 | d[2]);
		const uint8_t *sig = d + 3;
		d += 19, n -= 19;
		if (l > n)
			l = n;
		uint8_t *out = malloc(l ? l : 1);
		uint32_t seq;
		hs_ntlm_unseal(&s, srv, sig, d, l, out, &seq);
		free(out);
		d += l, n -= l;
	}
	hs_ntlm_seal_wipe(&s);
}

/* The key derivation from an AUTHENTICATE message (NTLMv2, NTLMv1 with and
 * without ESS, LM_KEY) with a fixed password and server challenge. */
static void ntlm_init(const uint8_t *d, size_t n)
{
	static const uint8_t chal[8] = { 1, 0x23, 0x45, 0x67, 0x89, 0xab, 0xcd, 0xef };
	static hs_ntlm_creds *c;
	if (!c) {
		char err[64];
		c = hs_ntlm_creds_new();
		(void)hs_ntlm_creds_add(c, "Domain\\User:Password", false, err, sizeof err);
	}
	hs_ntlm_msg ch, au;
	memset(&ch, 0, sizeof ch);
	ch.type = 2;
	ch.server_challenge = (hs_slice){ chal, 8 };
	if (hs_ntlm_decode(d, n, &au) != HS_OK || au.type != 3)
		return;
	hs_ntlm_seal s;
	(void)hs_ntlm_seal_init(c, &ch, &au, &s);
	hs_ntlm_seal_wipe(&s);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 1)
		return 0;
	if ((data[0] & 3) == 3)
		ntlm_init(data + 1, size - 1);
	else if (data[0] & 1)
		ntlm(data + 1, size - 1);
	else
		krb(data + 1, size - 1);
	return 0;
}
