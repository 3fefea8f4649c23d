/* krb5_crypt_test.c - the Kerberos etypes against published vectors.
 *
 * Sources of the expected values (none computed by hopsniff):
 *  - RFC 3962 appendix B: AES string-to-key ("password" /
 *    "ATHENA.MIT.EDUraeburn", 2 iterations, 128-bit; 64 x "X" / "pass
 *    phrase equals block size", 1200 iterations, 256-bit);
 *  - RFC 8009 appendix A: string-to-key, key derivation (Kc, Ke, Ki for
 *    usage 2) and the four sample encryptions of each etype;
 *  - MIT krb5's crypto test vectors (t_encrypt / the python k5test suite,
 *    also carried by impacket tests/misc/test_krb5_crypto.py): AES128 /
 *    AES256 / RC4 encryptions with known confounders, keys and usages.
 *    RFC 4757 publishes no vectors; the RC4 one is MIT's.  PRF and
 *    KRB-FX-CF2 (RFC 6113): MIT's t_prf / t_cf2 vectors, RFC 8009's PRF.
 *  - The lab's keytab (captures/lab/scenarios/05-unconstrained/svc_runas.keytab
 *    via `klist -k -K`) against string-to-key of the lab password in
 *    secrets.txt with the AD salt REALM + user: Samba's KDC is the oracle.
 */
#include <stdlib.h>
#include <string.h>

#include "krb5_crypt.h"
#include "unit.h"

static size_t unhex(const char *h, uint8_t *out, size_t max)
{
	size_t n = 0;
	while (*h && n < max) {
		if (*h == ' ') {
			h++;
			continue;
		}
		unsigned v;
		if (sscanf(h, "%2x", &v) != 1)
			break;
		out[n++] = (uint8_t)v;
		h += 2;
	}
	return n;
}

static hs_krb_key key_of(int32_t etype, const char *hex)
{
	hs_krb_key k;
	memset(&k, 0, sizeof k);
	k.etype = etype;
	k.len = (uint32_t)unhex(hex, k.k, sizeof k.k);
	return k;
}

/* Decrypt ct and compare with confounder||plain: the vectors give
 * E(conf|plain); decryption must return plain and verify the MAC. */
static void check_dec(int32_t etype, const char *keyhex, uint32_t usage, const char *cthex, const char *plain,
		      size_t plen)
{
	uint8_t ct[512], out[512];
	size_t n = unhex(cthex, ct, sizeof ct), olen = 99;
	hs_krb_key k = key_of(etype, keyhex);
	CU_ASSERT_EQUAL_FATAL(hs_krb_decrypt(&k, usage, ct, n, out, &olen), HS_KRB_DEC_OK);
	CU_ASSERT_EQUAL(olen, plen);
	CU_ASSERT(memcmp(out, plain, plen) == 0);
	/* any flipped bit fails the integrity check; a wrong usage too */
	for (size_t i = 0; i < n; i++) {
		ct[i] ^= 0x01;
		CU_ASSERT_EQUAL(hs_krb_decrypt(&k, usage, ct, n, out, &olen), HS_KRB_DEC_INTEGRITY);
		CU_ASSERT_EQUAL(olen, 0);
		ct[i] ^= 0x01;
	}
	CU_ASSERT_EQUAL(hs_krb_decrypt(&k, usage + 1, ct, n, out, &olen), HS_KRB_DEC_INTEGRITY);
	/* every truncation is an error, never a read past the end */
	for (size_t i = 0; i < n; i++) {
		hs_guard g = hs_guard_copy(ct, i);
		hs_krb_dec_status s = hs_krb_decrypt(&k, usage, g.p, i, out, &olen);
		CU_ASSERT(s == HS_KRB_DEC_INTEGRITY || s == HS_KRB_DEC_MALFORMED);
		hs_guard_free(&g);
	}
}

static void test_rfc3962_string_to_key(void)
{
	hs_krb_key k;
	uint8_t want[32];
	CU_ASSERT_FATAL(hs_krb_string_to_key(17, "password", 8, (const uint8_t *)"ATHENA.MIT.EDUraeburn", 21, 2, &k));
	unhex("c651bf29e2300ac27fa469d693bdda13", want, 16);
	CU_ASSERT(k.len == 16 && memcmp(k.k, want, 16) == 0);
	char x64[65];
	memset(x64, 'X', 64);
	x64[64] = 0;
	CU_ASSERT_FATAL(hs_krb_string_to_key(18, x64, 64, (const uint8_t *)"pass phrase equals block size", 29, 1200, &k));
	unhex("89adee3608db8bc71f1bfbfe459486b05618b70cbae22092534e56c553ba4b34", want, 32);
	CU_ASSERT(k.len == 32 && memcmp(k.k, want, 32) == 0);
	CU_ASSERT_FALSE(hs_krb_string_to_key(23, "x", 1, NULL, 0, 0, &k));
}

static void test_rfc8009_string_to_key(void)
{
	hs_krb_key k;
	uint8_t salt[64], want[32];
	size_t sl = unhex("10DF9DD783E5BC8ACEA1730E74355F61", salt, sizeof salt);
	memcpy(salt + sl, "ATHENA.MIT.EDUraeburn", 21);
	sl += 21;
	CU_ASSERT_FATAL(hs_krb_string_to_key(19, "password", 8, salt, sl, 32768, &k));
	unhex("089BCA48B105EA6EA77CA5D2F39DC5E7", want, 16);
	CU_ASSERT(k.len == 16 && memcmp(k.k, want, 16) == 0);
	CU_ASSERT_FATAL(hs_krb_string_to_key(20, "password", 8, salt, sl, 32768, &k));
	unhex("45BD806DBF6A833A9CFFC1C94589A222367A79BC21C413718906E9F578A78467", want, 32);
	CU_ASSERT(k.len == 32 && memcmp(k.k, want, 32) == 0);
}

static void test_rfc8009_derive(void)
{
	uint8_t ke[32], ki[32], kc[32], want[32];
	size_t il = 0;
	hs_krb_key k = key_of(19, "3705D96080C17728A0E800EAB6E0D23C");
	CU_ASSERT_FATAL(hs_krb_derive(&k, 2, ke, ki, &il, kc));
	CU_ASSERT_EQUAL(il, 16);
	unhex("9B197DD1E8C5609D6E67C3E37C62C72E", want, 16);
	CU_ASSERT(memcmp(ke, want, 16) == 0);
	unhex("9FDA0E56AB2D85E1569A688696C26A6C", want, 16);
	CU_ASSERT(memcmp(ki, want, 16) == 0);
	unhex("B31A018A48F54776F403E9A396325DC3", want, 16);
	CU_ASSERT(memcmp(kc, want, 16) == 0);

	k = key_of(20, "6D404D37FAF79F9DF0D33568D320669800EB4836472EA8A026D16B7182460C52");
	CU_ASSERT_FATAL(hs_krb_derive(&k, 2, ke, ki, &il, kc));
	CU_ASSERT_EQUAL(il, 24);
	unhex("56AB22BEE63D82D7BC5227F6773F8EA7A5EB1C825160C38312980C442E5C7E49", want, 32);
	CU_ASSERT(memcmp(ke, want, 32) == 0);
	unhex("69B16514E3CD8E56B82010D5C73012B622C4D00FFC23ED1F", want, 24);
	CU_ASSERT(memcmp(ki, want, 24) == 0);
	unhex("EF5718BE86CC84963D8BBB5031E9F5C4BA41F28FAF69E73D", want, 24);
	CU_ASSERT(memcmp(kc, want, 24) == 0);
}

static const char p21[] = "\x00\x01\x02\x03\x04\x05\x06\x07\x08\x09\x0a\x0b\x0c\x0d\x0e\x0f\x10\x11\x12\x13\x14";

/* RFC 8009 appendix A sample encryptions (usage 2). */
static void test_rfc8009_encryptions(void)
{
	const char *k19 = "3705D96080C17728A0E800EAB6E0D23C";
	check_dec(19, k19, 2, "EF85FB890BB8472F4DAB20394DCA781DAD877EDA39D50C870C0D5A0A8E48C718", "", 0);
	check_dec(19, k19, 2, "84D7F30754ED987BAB0BF3506BEB09CFB55402CEF7E6877CE99E247E52D16ED4421DFDF8976C", p21, 6);
	check_dec(19, k19, 2,
		  "3517D640F50DDC8AD3628722B3569D2AE07493FA8263254080EA65C1008E8FC295FB4852E7D83E1E7C48C37EEBE6B0D3",
		  p21, 16);
	check_dec(19, k19, 2,
		  "720F73B18D9859CD6CCB4346115CD336C70F58EDC0C4437C5573544C31C813BCE1E6D072C186B39A413C2F92CA9B8334A287FFCBFC",
		  p21, 21);
	const char *k20 = "6D404D37FAF79F9DF0D33568D320669800EB4836472EA8A026D16B7182460C52";
	check_dec(20, k20, 2, "41F53FA5BFE7026D91FAF9BE959195A058707273A96A40F0A01960621AC612748B9BBFBE7EB4CE3C", "", 0);
	check_dec(20, k20, 2,
		  "4ED7B37C2BCAC8F74F23C1CF07E62BC7B75FB3F637B9F559C7F664F69EAB7B6092237526EA0D1F61CB20D69D10F2", p21, 6);
	check_dec(20, k20, 2,
		  "BC47FFEC7998EB91E8115CF8D19DAC4BBBE2E163E87DD37F49BECA92027764F68CF51F14D798C2273F35DF574D1F932E40C4FF255B36A266",
		  p21, 16);
	check_dec(20, k20, 2,
		  "40013E2DF58E8751957D2878BCD2D6FE101CCFD556CB1EAE79DB3C3EE86429F2B2A602AC86FEF6ECB647D6295FAE077A1FEB517508D2C16B4192E01F62",
		  p21, 21);
}

/* MIT krb5 vectors (aes-sha1 and rc4-hmac encrypt/decrypt). */
static void test_mit_vectors(void)
{
	check_dec(17, "9062430C8CDA3388922E6D6A509F5B7A", 2,
		  "68FB9679601F45C78857B2BF820FD6E53ECA8D42FD4B1D7024A09205ABB7CD2EC26C355D2F", "9 bytesss", 9);
	check_dec(18, "F1C795E9248A09338D82C3F8D5B567040B0110736845041347235B1404231398", 4,
		  "D1137A4D634CFECE924DBC3BF6790648BD5CFF7DE0E7B99460211D0DAEF3D79A295C688858F3B34B9CBD6EEBAE81DAF6B734D4D498B6714F1C1D",
		  "30 bytes bytes bytes bytes byt", 30);
	check_dec(23, "68F263DB3FCE15D031C9EAB02D67107A", 4,
		  "95F9047C3AD75891C2E9B04B16566DC8B6EB9CE4231AFB2542EF87A7B5A0F260A99F0460508DE0CECC632D07C354124E46C5D2234EB8",
		  "30 bytes bytes bytes bytes byt", 30);
}

/* Samba's KDC wrote svc_runas.keytab for the lab password: string-to-key
 * of that password (AD salt "HOP.TESTsvc_runas", RFC 3962 default 4096
 * iterations) must give the keytab's keys (klist -k -K values). */
static void test_lab_keytab_keys(void)
{
	hs_krb_key k;
	uint8_t want[32];
	const char *pw = "Svc-RunAs-HopLab1!";
	const uint8_t *salt = (const uint8_t *)"HOP.TESTsvc_runas";
	CU_ASSERT_FATAL(hs_krb_string_to_key(18, pw, strlen(pw), salt, 17, 0, &k));
	unhex("c0c3f4325b74243c80270250608369daa1e43bc9adc9708259bf7b6024f73837", want, 32);
	CU_ASSERT(memcmp(k.k, want, 32) == 0);
	CU_ASSERT_FATAL(hs_krb_string_to_key(17, pw, strlen(pw), salt, 17, 0, &k));
	unhex("d05f19a35e4d6b7ad6ce2c8bc7050e00", want, 16);
	CU_ASSERT(memcmp(k.k, want, 16) == 0);
}

/* MIT krb5 t_prf / t_cf2 vectors (also in impacket's test_krb5_crypto.py)
 * and RFC 8009 appendix A's PRF */
static void test_prf_cf2(void)
{
	hs_krb_key k1, k2, out;
	uint8_t o[64], want[48];
	size_t ol = 0;
	CU_ASSERT_FATAL(hs_krb_string_to_key(17, "key1", 4, (const uint8_t *)"key1", 4, 0, &k1));
	CU_ASSERT_FATAL(hs_krb_prf(&k1, (const uint8_t *)"\x01\x61", 2, o, &ol));
	unhex("77B39A37A868920F2A51F9DD150C5717", want, 16);
	CU_ASSERT(ol == 16 && memcmp(o, want, 16) == 0);
	CU_ASSERT_FATAL(hs_krb_string_to_key(17, "key2", 4, (const uint8_t *)"key2", 4, 0, &k2));
	CU_ASSERT_FATAL(hs_krb_cf2(&k1, &k2, "a", "b", &out));
	unhex("97DF97E4B798B29EB31ED7280287A92A", want, 16);
	CU_ASSERT(out.len == 16 && memcmp(out.k, want, 16) == 0);
	CU_ASSERT_FATAL(hs_krb_string_to_key(18, "key2", 4, (const uint8_t *)"key2", 4, 0, &k2));
	CU_ASSERT_FATAL(hs_krb_prf(&k2, (const uint8_t *)"\x02\x62", 2, o, &ol));
	unhex("0D674DD0F9A6806525A4D92E828BD15A", want, 16);
	CU_ASSERT(ol == 16 && memcmp(o, want, 16) == 0);
	CU_ASSERT_FATAL(hs_krb_string_to_key(18, "key1", 4, (const uint8_t *)"key1", 4, 0, &k1));
	CU_ASSERT_FATAL(hs_krb_cf2(&k1, &k2, "a", "b", &out));
	unhex("4D6CA4E629785C1F01BAF55E2E548566B9617AE3A96868C337CB93B5E72B1C7B", want, 32);
	CU_ASSERT(out.len == 32 && memcmp(out.k, want, 32) == 0);
	hs_krb_key k = key_of(19, "3705D96080C17728A0E800EAB6E0D23C");
	CU_ASSERT_FATAL(hs_krb_prf(&k, (const uint8_t *)"test", 4, o, &ol));
	unhex("9D188616F63852FE86915BB840B4A886FF3E6BB0F819B49B893393D393854295", want, 32);
	CU_ASSERT(ol == 32 && memcmp(o, want, 32) == 0);
	k = key_of(20, "6D404D37FAF79F9DF0D33568D320669800EB4836472EA8A026D16B7182460C52");
	CU_ASSERT_FATAL(hs_krb_prf(&k, (const uint8_t *)"test", 4, o, &ol));
	unhex("9801F69A368C2BF675E59521E177D9A07F67EFE1CFDE8D3C8D6F6A0256E3B17DB3C1B62AD1B8553360D17367EB1514D2", want, 48);
	CU_ASSERT(ol == 48 && memcmp(o, want, 48) == 0);
	k = key_of(23, "68F263DB3FCE15D031C9EAB02D67107A");
	CU_ASSERT_FALSE(hs_krb_cf2(&k, &k, "a", "b", &out));
}

static void test_bad_keys(void)
{
	uint8_t ct[64] = { 0 }, out[64];
	size_t ol = 5;
	hs_krb_key k = key_of(16, "00112233445566778899aabbccddeeff0011223344556677"); /* 3DES: unsupported */
	CU_ASSERT_EQUAL(hs_krb_decrypt(&k, 2, ct, sizeof ct, out, &ol), HS_KRB_DEC_UNSUPPORTED);
	k = key_of(18, "00112233"); /* wrong length for the etype */
	CU_ASSERT_EQUAL(hs_krb_decrypt(&k, 2, ct, sizeof ct, out, &ol), HS_KRB_DEC_MALFORMED);
	k = key_of(17, "9062430C8CDA3388922E6D6A509F5B7A");
	CU_ASSERT_EQUAL(hs_krb_decrypt(&k, 2, ct, 27, out, &ol), HS_KRB_DEC_MALFORMED); /* < 16 + 12 */
	CU_ASSERT_EQUAL(hs_krb_decrypt(&k, 2, ct, 28, out, &ol), HS_KRB_DEC_INTEGRITY);
	CU_ASSERT_STRING_EQUAL(hs_krb_dec_status_name(HS_KRB_DEC_INTEGRITY), "integrity_failed");
	CU_ASSERT_STRING_EQUAL(hs_krb_dec_status_name(HS_KRB_DEC_NO_KEY), "no_key");
}

HS_UNIT_MAIN("krb5_crypt",
	     { "rfc3962_string_to_key", test_rfc3962_string_to_key },
	     { "rfc8009_string_to_key", test_rfc8009_string_to_key },
	     { "rfc8009_derive", test_rfc8009_derive },
	     { "rfc8009_encryptions", test_rfc8009_encryptions },
	     { "mit_vectors", test_mit_vectors },
	     { "lab_keytab_keys", test_lab_keytab_keys },
	     { "prf_cf2", test_prf_cf2 },
	     { "bad_keys", test_bad_keys })
