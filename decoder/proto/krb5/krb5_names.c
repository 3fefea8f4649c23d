/* krb5_names.c - stable names of Kerberos numbers: error codes (RFC 4120
 * s7.5.9, RFC 4556, RFC 6113), message types (s7.5.7), PA-DATA types (IANA
 * "Kerberos Pre-authentication and Typed Data", MS-KILE, MS-SFU), encryption
 * types (RFC 3961/3962/4757/8009), name types (s6.2, MS-KILE) and the KDC
 * option bits (s5.4.1, MS-SFU 2.2.4 for bit 14, RFC 6806 for bit 15). */
#include <stddef.h>

#include "krb5.h"

typedef struct num_name {
	int32_t v;
	const char *name;
} num_name;

static const char *lookup(const num_name *t, size_t n, int32_t v)
{
	for (size_t i = 0; i < n; i++)
		if (t[i].v == v)
			return t[i].name;
	return NULL;
}

#define LOOKUP(t, v) lookup((t), sizeof(t) / sizeof((t)[0]), (v))

static const num_name errors[] = {
	{ 0, "KDC_ERR_NONE" },
	{ 1, "KDC_ERR_NAME_EXP" },
	{ 2, "KDC_ERR_SERVICE_EXP" },
	{ 3, "KDC_ERR_BAD_PVNO" },
	{ 4, "KDC_ERR_C_OLD_MAST_KVNO" },
	{ 5, "KDC_ERR_S_OLD_MAST_KVNO" },
	{ 6, "KDC_ERR_C_PRINCIPAL_UNKNOWN" },
	{ 7, "KDC_ERR_S_PRINCIPAL_UNKNOWN" },
	{ 8, "KDC_ERR_PRINCIPAL_NOT_UNIQUE" },
	{ 9, "KDC_ERR_NULL_KEY" },
	{ 10, "KDC_ERR_CANNOT_POSTDATE" },
	{ 11, "KDC_ERR_NEVER_VALID" },
	{ 12, "KDC_ERR_POLICY" },
	{ 13, "KDC_ERR_BADOPTION" },
	{ 14, "KDC_ERR_ETYPE_NOSUPP" },
	{ 15, "KDC_ERR_SUMTYPE_NOSUPP" },
	{ 16, "KDC_ERR_PADATA_TYPE_NOSUPP" },
	{ 17, "KDC_ERR_TRTYPE_NOSUPP" },
	{ 18, "KDC_ERR_CLIENT_REVOKED" },
	{ 19, "KDC_ERR_SERVICE_REVOKED" },
	{ 20, "KDC_ERR_TGT_REVOKED" },
	{ 21, "KDC_ERR_CLIENT_NOTYET" },
	{ 22, "KDC_ERR_SERVICE_NOTYET" },
	{ 23, "KDC_ERR_KEY_EXPIRED" },
	{ 24, "KDC_ERR_PREAUTH_FAILED" },
	{ 25, "KDC_ERR_PREAUTH_REQUIRED" },
	{ 26, "KDC_ERR_SERVER_NOMATCH" },
	{ 27, "KDC_ERR_MUST_USE_USER2USER" },
	{ 28, "KDC_ERR_PATH_NOT_ACCEPTED" },
	{ 29, "KDC_ERR_SVC_UNAVAILABLE" },
	{ 31, "KRB_AP_ERR_BAD_INTEGRITY" },
	{ 32, "KRB_AP_ERR_TKT_EXPIRED" },
	{ 33, "KRB_AP_ERR_TKT_NYV" },
	{ 34, "KRB_AP_ERR_REPEAT" },
	{ 35, "KRB_AP_ERR_NOT_US" },
	{ 36, "KRB_AP_ERR_BADMATCH" },
	{ 37, "KRB_AP_ERR_SKEW" },
	{ 38, "KRB_AP_ERR_BADADDR" },
	{ 39, "KRB_AP_ERR_BADVERSION" },
	{ 40, "KRB_AP_ERR_MSG_TYPE" },
	{ 41, "KRB_AP_ERR_MODIFIED" },
	{ 42, "KRB_AP_ERR_BADORDER" },
	{ 43, "KRB_AP_ERR_ILL_CR_TKT" },
	{ 44, "KRB_AP_ERR_BADKEYVER" },
	{ 45, "KRB_AP_ERR_NOKEY" },
	{ 46, "KRB_AP_ERR_MUT_FAIL" },
	{ 47, "KRB_AP_ERR_BADDIRECTION" },
	{ 48, "KRB_AP_ERR_METHOD" },
	{ 49, "KRB_AP_ERR_BADSEQ" },
	{ 50, "KRB_AP_ERR_INAPP_CKSUM" },
	{ 51, "KRB_AP_PATH_NOT_ACCEPTED" },
	{ 52, "KRB_ERR_RESPONSE_TOO_BIG" },
	{ 60, "KRB_ERR_GENERIC" },
	{ 61, "KRB_ERR_FIELD_TOOLONG" },
	{ 62, "KDC_ERROR_CLIENT_NOT_TRUSTED" },
	{ 63, "KDC_ERROR_KDC_NOT_TRUSTED" },
	{ 64, "KDC_ERROR_INVALID_SIG" },
	{ 65, "KDC_ERR_KEY_TOO_WEAK" },
	{ 66, "KDC_ERR_CERTIFICATE_MISMATCH" },
	{ 67, "KRB_AP_ERR_NO_TGT" },
	{ 68, "KDC_ERR_WRONG_REALM" },
	{ 69, "KRB_AP_ERR_USER_TO_USER_REQUIRED" },
	{ 70, "KDC_ERR_CANT_VERIFY_CERTIFICATE" },
	{ 71, "KDC_ERR_INVALID_CERTIFICATE" },
	{ 72, "KDC_ERR_REVOKED_CERTIFICATE" },
	{ 73, "KDC_ERR_REVOCATION_STATUS_UNKNOWN" },
	{ 74, "KDC_ERR_REVOCATION_STATUS_UNAVAILABLE" },
	{ 75, "KDC_ERR_CLIENT_NAME_MISMATCH" },
	{ 76, "KDC_ERR_KDC_NAME_MISMATCH" },
	{ 77, "KDC_ERR_INCONSISTENT_KEY_PURPOSE" },
	{ 78, "KDC_ERR_DIGEST_IN_CERT_NOT_ACCEPTED" },
	{ 79, "KDC_ERR_PA_CHECKSUM_MUST_BE_INCLUDED" },
	{ 80, "KDC_ERR_DIGEST_IN_SIGNED_DATA_NOT_ACCEPTED" },
	{ 81, "KDC_ERR_PUBLIC_KEY_ENCRYPTION_NOT_SUPPORTED" },
	{ 85, "KRB_AP_ERR_IAKERB_KDC_NOT_FOUND" },
	{ 86, "KRB_AP_ERR_IAKERB_KDC_NO_RESPONSE" },
	{ 90, "KDC_ERR_PREAUTH_EXPIRED" },
	{ 91, "KDC_ERR_MORE_PREAUTH_DATA_REQUIRED" },
	{ 92, "KDC_ERR_PREAUTH_BAD_AUTHENTICATION_SET" },
	{ 93, "KDC_ERR_UNKNOWN_CRITICAL_FAST_OPTIONS" },
	{ 94, "KDC_ERR_INVALID_HASH_ALG" },
	{ 95, "KDC_ERR_INVALID_ITERATION_COUNT" },
	{ 100, "KDC_ERR_NO_ACCEPTABLE_KDF" },
};

const char *hs_krb_error_name(int32_t code) { return LOOKUP(errors, code); }

static const num_name msgs[] = {
	{ 10, "AS-REQ" },
	{ 11, "AS-REP" },
	{ 12, "TGS-REQ" },
	{ 13, "TGS-REP" },
	{ 14, "AP-REQ" },
	{ 15, "AP-REP" },
	{ 16, "KRB-TGT-REQ" },
	{ 17, "KRB-TGT-REP" },
	{ 20, "KRB-SAFE" },
	{ 21, "KRB-PRIV" },
	{ 22, "KRB-CRED" },
	{ 30, "KRB-ERROR" },
};

const char *hs_krb_msg_name(int msg_type) { return LOOKUP(msgs, msg_type); }

static const num_name padata[] = {
	{ 0, "PA-NONE" },
	{ 1, "PA-TGS-REQ" },
	{ 2, "PA-ENC-TIMESTAMP" },
	{ 3, "PA-PW-SALT" },
	{ 5, "PA-ENC-UNIX-TIME" },
	{ 6, "PA-SANDIA-SECUREID" },
	{ 7, "PA-SESAME" },
	{ 8, "PA-OSF-DCE" },
	{ 9, "PA-CYBERSAFE-SECUREID" },
	{ 10, "PA-AFS3-SALT" },
	{ 11, "PA-ETYPE-INFO" },
	{ 12, "PA-SAM-CHALLENGE" },
	{ 13, "PA-SAM-RESPONSE" },
	{ 14, "PA-PK-AS-REQ_OLD" },
	{ 15, "PA-PK-AS-REP_OLD" },
	{ 16, "PA-PK-AS-REQ" },
	{ 17, "PA-PK-AS-REP" },
	{ 18, "PA-PK-OCSP-RESPONSE" },
	{ 19, "PA-ETYPE-INFO2" },
	{ 20, "PA-USE-SPECIFIED-KVNO" },
	{ 21, "PA-SAM-REDIRECT" },
	{ 22, "PA-GET-FROM-TYPED-DATA" },
	{ 23, "PA-SAM-ETYPE-INFO" },
	{ 24, "PA-ALT-PRINC" },
	{ 25, "PA-SERVER-REFERRAL" },
	{ 30, "PA-SAM-CHALLENGE2" },
	{ 31, "PA-SAM-RESPONSE2" },
	{ 41, "PA-EXTRA-TGT" },
	{ 101, "TD-PKINIT-CMS-CERTIFICATES" },
	{ 102, "TD-KRB-PRINCIPAL" },
	{ 103, "TD-KRB-REALM" },
	{ 104, "TD-TRUSTED-CERTIFIERS" },
	{ 105, "TD-CERTIFICATE-INDEX" },
	{ 106, "TD-APP-DEFINED-ERROR" },
	{ 107, "TD-REQ-NONCE" },
	{ 108, "TD-REQ-SEQ" },
	{ 109, "TD-DH-PARAMETERS" },
	{ 111, "TD-CMS-DIGEST-ALGORITHMS" },
	{ 112, "TD-CERT-DIGEST-ALGORITHMS" },
	{ 128, "PA-PAC-REQUEST" },
	{ 129, "PA-FOR-USER" },
	{ 130, "PA-S4U-X509-USER" },
	{ 131, "PA-FOR-CHECK-DUPS" },
	{ 132, "PA-AS-CHECKSUM" },
	{ 133, "PA-FX-COOKIE" },
	{ 134, "PA-AUTHENTICATION-SET" },
	{ 135, "PA-AUTH-SET-SELECTED" },
	{ 136, "PA-FX-FAST" },
	{ 137, "PA-FX-ERROR" },
	{ 138, "PA-ENCRYPTED-CHALLENGE" },
	{ 141, "PA-OTP-CHALLENGE" },
	{ 142, "PA-OTP-REQUEST" },
	{ 143, "PA-OTP-CONFIRM" },
	{ 144, "PA-OTP-PIN-CHANGE" },
	{ 145, "PA-EPAK-AS-REQ" },
	{ 146, "PA-EPAK-AS-REP" },
	{ 147, "PA-PKINIT-KX" },
	{ 148, "PA-PKU2U-NAME" },
	{ 149, "PA-REQ-ENC-PA-REP" },
	{ 150, "PA-AS-FRESHNESS" },
	{ 151, "PA-SPAKE" },
	{ 161, "KERB-KEY-LIST-REQ" },
	{ 162, "KERB-KEY-LIST-REP" },
	{ 165, "PA-SUPPORTED-ETYPES" },
	{ 166, "PA-EXTENDED-ERROR" },
	{ 167, "PA-PAC-OPTIONS" },
	{ 170, "KERB-SUPERSEDED-BY-USER" },
	{ 171, "KERB-DMSA-KEY-PACKAGE" },
};

const char *hs_krb_padata_name(int32_t type) { return LOOKUP(padata, type); }

static const num_name etypes[] = {
	{ 0, "null" },
	{ 1, "des-cbc-crc" },
	{ 2, "des-cbc-md4" },
	{ 3, "des-cbc-md5" },
	{ 5, "des3-cbc-md5" },
	{ 7, "des3-cbc-sha1" },
	{ 16, "des3-cbc-sha1-kd" },
	{ 17, "aes128-cts-hmac-sha1-96" },
	{ 18, "aes256-cts-hmac-sha1-96" },
	{ 19, "aes128-cts-hmac-sha256-128" },
	{ 20, "aes256-cts-hmac-sha384-192" },
	{ 23, "rc4-hmac" },
	{ 24, "rc4-hmac-exp" },
	{ 25, "camellia128-cts-cmac" },
	{ 26, "camellia256-cts-cmac" },
	{ -128, "rc4-md4" },
	{ -133, "rc4-hmac-old" },
	{ -135, "rc4-hmac-old-exp" },
};

const char *hs_krb_etype_name(int32_t etype) { return LOOKUP(etypes, etype); }

static const num_name name_types[] = {
	{ 0, "NT-UNKNOWN" },
	{ 1, "NT-PRINCIPAL" },
	{ 2, "NT-SRV-INST" },
	{ 3, "NT-SRV-HST" },
	{ 4, "NT-SRV-XHST" },
	{ 5, "NT-UID" },
	{ 6, "NT-X500-PRINCIPAL" },
	{ 7, "NT-SMTP-NAME" },
	{ 10, "NT-ENTERPRISE" },
	{ 11, "NT-WELLKNOWN" },
	{ 12, "NT-SRV-HST-DOMAIN" },
	{ -128, "NT-MS-PRINCIPAL" },
	{ -129, "NT-MS-PRINCIPAL-AND-ID" },
	{ -130, "NT-ENT-PRINCIPAL-AND-ID" },
};

const char *hs_krb_name_type_name(int32_t type) { return LOOKUP(name_types, type); }

/* KDCOptions (RFC 4120 s5.4.1), bit 0 = the most significant bit.  Named as
 * Wireshark names them, except bit 14, which MS-SFU 2.2.4 / RFC 4120 call
 * cname-in-addl-tkt (Wireshark: "constrained-delegation") and which is what
 * makes a TGS-REQ an S4U2Proxy request. */
static const char *const kdc_options[32] = {
	"reserved", "forwardable", "forwarded", "proxiable",
	"proxy", "allow-postdate", "postdated", "unused7",
	"renewable", "unused9", "unused10", "opt-hardware-auth",
	"unused12", "unused13", "cname-in-addl-tkt", "canonicalize",
	"request-anonymous", "unused17", "unused18", "unused19",
	"unused20", "unused21", "unused22", "unused23",
	"unused24", "unused25", "disable-transited-check", "renewable-ok",
	"enc-tkt-in-skey", "unused29", "renew", "validate",
};

const char *hs_krb_kdc_option_name(unsigned bit) { return bit < 32 ? kdc_options[bit] : NULL; }
