/* krb5.c - the Kerberos V5 ASN.1 module as tables: the PDUs (RFC 4120 s5),
 * their PA-DATA (MS-KILE, MS-SFU, RFC 6113), GSS-API krb5 tokens (RFC 4121
 * s4.1) and the TCP record marking (RFC 4120 s7.2.2).  See krb5.h for the
 * contract.  Each type is a table of its fields walked by krb5_asn1.c (the
 * walker krb5_dec.c uses for the plain texts it decrypts), reading through
 * der.h; the describer is krb5_describe.c, the port-88 parser krb5_app.c.
 *
 * Prefix versus malformed.  The decoder looks at the outermost element
 * first.  When it claims more bytes than the caller has, the input is a
 * prefix: elements that run past the end of the input are entered anyway
 * (hs_der_open's cut) so that everything before the cut is decoded, and the
 * answer is HS_E_TRUNCATED.  When the outermost element is complete, any
 * inner element that runs past its parent is corruption: the answer is
 * HS_E_MALFORMED, never "need more data".
 *
 * PA-DATA values and KRB-ERROR e-data are OCTET STRINGs holding more DER;
 * they are decoded strictly in their own cursor, and an error there is kept
 * apart (value_err, padata[i].err) so the outer fields stay usable.
 */
#include "krb5.h"

#include <stddef.h>
#include <string.h>

#include "der.h"
#include "krb5_asn1.h"

#define UNIV HS_DER_UNIVERSAL
#define APP HS_DER_APPLICATION
#define CTX HS_DER_CONTEXT
#define SEQ HS_DER_SEQUENCE
#define NONE HS_KA_NONE

/* The decoder's state for the functions of the tables (hs_ka.ud). */
typedef struct kd {
	hs_krb_msg *m;
	bool in_error; /* inside KRB-ERROR e-data (PA-PW-SALT may hold an NTSTATUS) */
} kd;

static void value_error(hs_krb_msg *m, hs_err e)
{
	if (m->value_err == HS_OK)
		m->value_err = e == HS_E_TRUNCATED ? HS_E_MALFORMED : e;
}

/* msg-type must repeat the APPLICATION tag (RFC 4120 s5.10): f->arg, or
 * the PDU's own when 0. */
static void msg_type(hs_ka *k, hs_cur *b, void *out, const hs_ka_field *f)
{
	hs_krb_msg *m = ((kd *)k->ud)->m;
	int64_t t = 0;
	(void)out;
	if (!hs_der_int64(b, &t))
		return;
	if (t < INT32_MIN || t > INT32_MAX) {
		hs_cur_fail(b, HS_E_LIMIT);
		return;
	}
	if (b->len == 0 && t != (f->arg ? f->arg : m->msg_type))
		value_error(m, HS_E_MALFORMED);
}

static void padata_field(hs_ka *k, hs_cur *b, void *out, const hs_ka_field *f);
static void safe_addr(hs_ka *k, hs_cur *b, void *out, const hs_ka_field *f);

#define MSGTYPE(t) HS_KA_FF(t, false, msg_type, 0)

/* ---- common types (RFC 4120 s5.2) ---- */

/* PrincipalName ::= SEQUENCE { name-type [0] Int32, name-string [1]
 * SEQUENCE OF KerberosString } (s5.2.2) */
static const hs_ka_list name_strings = { HS_KA_STR, false, HS_KRB_MAX_NAME, sizeof(hs_slice),
					 offsetof(hs_krb_name, comp), offsetof(hs_krb_name, n), offsetof(hs_krb_name, more),
					 NULL };
#define TYPE hs_krb_name
static const hs_ka_field name_f[] = { HS_KA_F(0, false, HS_KA_INT32, type), HS_KA_FL(1, false, name_strings) };
#undef TYPE
static const hs_ka_type principal_t = { UNIV, 0, false, false, HS_KA_N(name_f), offsetof(hs_krb_name, present), name_f };

/* EncryptedData ::= SEQUENCE { etype [0] Int32, kvno [1] UInt32 OPTIONAL,
 * cipher [2] OCTET STRING } (s5.2.9) */
#define TYPE hs_krb_enc
static const hs_ka_field enc_f[] = {
	HS_KA_F(0, false, HS_KA_INT32, etype),
	HS_KA_FH(1, true, HS_KA_UINT32, kvno, has_kvno),
	HS_KA_F(2, false, HS_KA_OCTETS, cipher),
};
#undef TYPE
static const hs_ka_type enc_t = { UNIV, 0, false, false, HS_KA_N(enc_f), offsetof(hs_krb_enc, present), enc_f };

/* Checksum ::= SEQUENCE { cksumtype [0] Int32, checksum [1] OCTET STRING } */
#define TYPE hs_krb_cksum
static const hs_ka_field cksum_f[] = { HS_KA_F(0, false, HS_KA_INT32, type), HS_KA_F(1, false, HS_KA_OCTETS, value) };
#undef TYPE
static const hs_ka_type cksum_t = { UNIV, 0, false, false, HS_KA_N(cksum_f), offsetof(hs_krb_cksum, present), cksum_f };

/* Ticket ::= [APPLICATION 1] SEQUENCE { tkt-vno [0], realm [1], sname [2],
 * enc-part [3] } (s5.3) */
#define TYPE hs_krb_ticket
static const hs_ka_field ticket_f[] = {
	HS_KA_F(0, false, HS_KA_INT32, tkt_vno),
	HS_KA_F(1, false, HS_KA_STR, realm),
	HS_KA_FT(2, false, sname, principal_t),
	HS_KA_FT(3, false, enc, enc_t),
};
#undef TYPE
static const hs_ka_type ticket_t = { APP, 1, false, false, HS_KA_N(ticket_f), offsetof(hs_krb_ticket, present), ticket_f };

/* SEQUENCE OF Ticket: additional-tickets (s5.4.1), KRB-CRED tickets
 * (s5.8.1); the ones over the maximum are still read, not kept. */
static const hs_ka_list tickets = { HS_KA_TYPE, true, HS_KRB_MAX_ADDL, sizeof(hs_krb_ticket),
				    offsetof(hs_krb_msg, addl), offsetof(hs_krb_msg, n_addl),
				    offsetof(hs_krb_msg, more_addl), &ticket_t };
_Static_assert(sizeof(hs_krb_ticket) <= HS_KA_MAX_ELEM, "list element too large for the walker");

/* HostAddress ::= SEQUENCE { addr-type [0] Int32, address [1] OCTET STRING } (s5.2.5) */
#define TYPE hs_krb_addr
static const hs_ka_field addr_f[] = { HS_KA_F(0, false, HS_KA_INT32, type), HS_KA_F(1, false, HS_KA_OCTETS, addr) };
#undef TYPE
static const hs_ka_type addr_t = { UNIV, 0, false, false, HS_KA_N(addr_f), NONE, addr_f };
static const hs_ka_list addrs = { HS_KA_TYPE, false, HS_KRB_MAX_ADDRS, sizeof(hs_krb_addr), offsetof(hs_krb_msg, addrs),
				  offsetof(hs_krb_msg, n_addrs), offsetof(hs_krb_msg, more_addrs), &addr_t };
static const hs_ka_list etypes = { HS_KA_INT32, false, HS_KRB_MAX_ETYPES, sizeof(int32_t), offsetof(hs_krb_msg, etypes),
				   offsetof(hs_krb_msg, n_etypes), offsetof(hs_krb_msg, more_etypes), NULL };

/* AP-REQ ::= [APPLICATION 14] SEQUENCE { pvno [0], msg-type [1], ap-options
 * [2] APOptions, ticket [3] Ticket, authenticator [4] EncryptedData }
 * (s5.5.1).  Nested in an OCTET STRING (PA-TGS-REQ, FAST armor) it is the
 * whole value; one level only: an AP-REQ has no PA-DATA. */
#define TYPE hs_krb_ap_req
static const hs_ka_field ap_req_f[] = {
	HS_KA_F(0, false, HS_KA_INT32, pvno),
	HS_KA_FF(1, false, msg_type, HS_KRB_AP_REQ),
	HS_KA_F(2, false, HS_KA_BITS, ap_options),
	HS_KA_FT(3, false, ticket, ticket_t),
	HS_KA_FT(4, false, authenticator, enc_t),
};
#undef TYPE
static const hs_ka_type ap_req_body_t = { UNIV, 0, false, false, HS_KA_N(ap_req_f), offsetof(hs_krb_ap_req, present), ap_req_f };
static const hs_ka_type ap_req_t = { APP, HS_KRB_AP_REQ, false, false, HS_KA_N(ap_req_f), offsetof(hs_krb_ap_req, present),
				     ap_req_f };

/* ---- the PDUs (their SEQUENCE; the APPLICATION tag is read by decode_pdu) ---- */

#define TYPE hs_krb_msg

/* KDC-REQ-BODY (s5.4.1).  till is mandatory in RFC 4120 but OPTIONAL in
 * Heimdal's module and in what Wireshark accepts; do not fail a request
 * for it. */
static const hs_ka_field req_body_f[] = {
	HS_KA_F(0, false, HS_KA_BITS, kdc_options),
	HS_KA_FT(1, true, cname, principal_t),
	HS_KA_F(2, false, HS_KA_STR, realm),
	HS_KA_FT(3, true, sname, principal_t),
	HS_KA_FH(4, true, HS_KA_TIME, from, has_from),
	HS_KA_F(5, true, HS_KA_TIME, till),
	HS_KA_FH(6, true, HS_KA_TIME, rtime, has_rtime),
	HS_KA_FH(7, false, HS_KA_UINT32, nonce, has_nonce),
	HS_KA_FL(8, false, etypes),
	HS_KA_FL(9, true, addrs),
	HS_KA_FT(10, true, enc_authorization_data, enc_t),
	HS_KA_FL(11, true, tickets),
};
static const hs_ka_type req_body_t = { UNIV, 0, false, false, HS_KA_N(req_body_f), NONE, req_body_f };

/* KDC-REQ ::= SEQUENCE { pvno [1], msg-type [2], padata [3] OPTIONAL,
 * req-body [4] } (s5.4.1) */
static const hs_ka_field kdc_req_f[] = {
	HS_KA_F(1, false, HS_KA_INT32, pvno),
	MSGTYPE(2),
	HS_KA_FF(3, true, padata_field, 0),
	HS_KA_FS(4, false, req_body_t),
};

/* KDC-REP ::= SEQUENCE { pvno [0], msg-type [1], padata [2] OPTIONAL,
 * crealm [3], cname [4], ticket [5], enc-part [6] } (s5.4.2) */
static const hs_ka_field kdc_rep_f[] = {
	HS_KA_F(0, false, HS_KA_INT32, pvno),
	MSGTYPE(1),
	HS_KA_FF(2, true, padata_field, 0),
	HS_KA_F(3, false, HS_KA_STR, crealm),
	HS_KA_FT(4, false, cname, principal_t),
	HS_KA_FT(5, false, ticket, ticket_t),
	HS_KA_FT(6, false, enc_part, enc_t),
};

/* AP-REP ::= [APPLICATION 15] SEQUENCE { pvno [0], msg-type [1], enc-part [2] } (s5.5.2) */
static const hs_ka_field ap_rep_f[] = {
	HS_KA_F(0, false, HS_KA_INT32, pvno),
	MSGTYPE(1),
	HS_KA_FT(2, false, enc_part, enc_t),
};

/* KRB-SAFE (s5.6.1): pvno [0], msg-type [1], safe-body [2] KRB-SAFE-BODY
 * ::= SEQUENCE { user-data [0], timestamp [1] OPT, usec [2] OPT,
 * seq-number [3] OPT, s-address [4], r-address [5] OPT }, cksum [3] */
static const hs_ka_field safe_body_f[] = {
	HS_KA_F(0, false, HS_KA_OCTETS, safe_user_data),
	HS_KA_CHECK(1, true, HS_KA_TIME),
	HS_KA_CHECK(2, true, HS_KA_INT32),
	HS_KA_FH(3, true, HS_KA_UINT32, safe_seq, has_safe_seq),
	HS_KA_FF(4, false, safe_addr, 0),
	HS_KA_FF(5, true, safe_addr, 0),
};
static const hs_ka_type safe_body_t = { UNIV, 0, false, false, HS_KA_N(safe_body_f), NONE, safe_body_f };
static const hs_ka_field safe_f[] = {
	HS_KA_F(0, false, HS_KA_INT32, pvno),
	MSGTYPE(1),
	HS_KA_FS(2, false, safe_body_t),
	HS_KA_FT(3, false, cksum, cksum_t),
};

/* KRB-PRIV (s5.7.1): pvno [0], msg-type [1], enc-part [3] */
static const hs_ka_field priv_f[] = {
	HS_KA_F(0, false, HS_KA_INT32, pvno),
	MSGTYPE(1),
	HS_KA_FT(3, false, enc_part, enc_t),
};

/* KRB-CRED (s5.8.1): pvno [0], msg-type [1], tickets [2], enc-part [3] */
static const hs_ka_field cred_f[] = {
	HS_KA_F(0, false, HS_KA_INT32, pvno),
	MSGTYPE(1),
	HS_KA_FL(2, false, tickets),
	HS_KA_FT(3, false, enc_part, enc_t),
};

/* KRB-ERROR ::= [APPLICATION 30] SEQUENCE (s5.9.1).  sname is mandatory in
 * s5.9.1, yet MIT and Heimdal omit it in some errors (zeek's
 * krb_optional-service-name.pcap); accept its absence. */
static const hs_ka_field error_f[] = {
	HS_KA_F(0, false, HS_KA_INT32, pvno),
	MSGTYPE(1),
	HS_KA_FH(2, true, HS_KA_TIME, ctime, has_ctime),
	HS_KA_FH(3, true, HS_KA_INT32, cusec, has_cusec),
	HS_KA_F(4, false, HS_KA_TIME, stime),
	HS_KA_F(5, false, HS_KA_INT32, susec),
	HS_KA_FH(6, false, HS_KA_INT32, error_code, has_error_code),
	HS_KA_F(7, true, HS_KA_STR, crealm),
	HS_KA_FT(8, true, cname, principal_t),
	HS_KA_F(9, false, HS_KA_STR, realm),
	HS_KA_FT(10, true, sname, principal_t),
	HS_KA_FH(11, true, HS_KA_STR, e_text, has_e_text),
	HS_KA_FH(12, true, HS_KA_OCTETS, e_data, has_e_data),
};

/* Kerberos user-to-user (draft-swift-win2k-krb-user2user, MS-KILE 3.4.5.x;
 * mech OID 1.2.840.113554.1.2.2.3): the client's TOK_ID 04 00
 *   KERB-TGT-REQUEST ::= SEQUENCE { pvno [0] INTEGER, msg-type [1] INTEGER (16),
 *       server-name [2] PrincipalName OPTIONAL, realm [3] Realm OPTIONAL }
 * and the server's TOK_ID 04 01
 *   KERB-TGT-REPLY ::= SEQUENCE { pvno [0] INTEGER, msg-type [1] INTEGER (17),
 *       ticket [2] Ticket }
 * (the server's TGT, which the client sends back to the KDC in a TGS-REQ
 * with enc-tkt-in-skey).  Windows' SPNEGO offers it when the target is a
 * user account; NTLM usually follows. */
static const hs_ka_field tgt_req_f[] = {
	HS_KA_F(0, false, HS_KA_INT32, pvno),
	MSGTYPE(1),
	HS_KA_FT(2, true, sname, principal_t),
	HS_KA_F(3, true, HS_KA_STR, realm),
};
static const hs_ka_field tgt_rep_f[] = {
	HS_KA_F(0, false, HS_KA_INT32, pvno),
	MSGTYPE(1),
	HS_KA_FT(2, false, ticket, ticket_t),
};

#define PDU(f) { UNIV, 0, false, false, HS_KA_N(f), NONE, f }
static const hs_ka_type kdc_req_t = PDU(kdc_req_f), kdc_rep_t = PDU(kdc_rep_f), ap_rep_t = PDU(ap_rep_f),
			safe_t = PDU(safe_f), priv_t = PDU(priv_f), cred_t = PDU(cred_f), error_t = PDU(error_f),
			tgt_req_t = PDU(tgt_req_f), tgt_rep_t = PDU(tgt_rep_f);

/* ---- PA-DATA values (RFC 4120 s5.2.7, MS-KILE, MS-SFU, RFC 6113) ---- */

/* MS-KILE 2.2.3 KERB-PA-PAC-REQUEST ::= SEQUENCE { include-pac [0] BOOLEAN } */
static const hs_ka_field pac_request_f[] = { HS_KA_FH(0, false, HS_KA_BOOL, include_pac, has_pac_request) };
static const hs_ka_type pac_request_t = PDU(pac_request_f);

/* MS-KILE 2.2.10 PA-PAC-OPTIONS ::= SEQUENCE { [0] PAC-OPTIONS-FLAGS } */
static const hs_ka_field pac_options_f[] = { HS_KA_FH(0, false, HS_KA_BITS, pac_options, has_pac_options) };
static const hs_ka_type pac_options_t = PDU(pac_options_f);

/* MS-SFU 2.2.1 PA-FOR-USER ::= SEQUENCE { userName [0] PrincipalName,
 * userRealm [1] Realm, cksum [2] Checksum, auth-package [3] KerberosString } */
static const hs_ka_field for_user_f[] = {
	HS_KA_FT(0, false, for_user.user, principal_t),
	HS_KA_F(1, false, HS_KA_STR, for_user.realm),
	HS_KA_FT(2, false, for_user.cksum, cksum_t),
	HS_KA_F(3, false, HS_KA_STR, for_user.auth_package),
};
static const hs_ka_type for_user_t = { UNIV, 0, false, false, HS_KA_N(for_user_f), offsetof(hs_krb_msg, for_user.present),
				       for_user_f };

/* MS-SFU 2.2.2 PA-S4U-X509-USER ::= SEQUENCE { user-id [0] S4UUserID,
 * checksum [1] Checksum }; S4UUserID ::= SEQUENCE { nonce [0] UInt32,
 * cname [1] PrincipalName OPTIONAL, crealm [2] Realm, subject-certificate
 * [3] OCTET STRING OPTIONAL, options [4] BIT STRING OPTIONAL, ... } */
static const hs_ka_field s4u_user_f[] = {
	HS_KA_F(0, false, HS_KA_UINT32, s4u_x509.nonce),
	HS_KA_FT(1, true, s4u_x509.cname, principal_t),
	HS_KA_F(2, false, HS_KA_STR, s4u_x509.crealm),
	HS_KA_FH(3, true, HS_KA_OCTETS, s4u_x509.cert, s4u_x509.has_cert),
	HS_KA_FH(4, true, HS_KA_BITS, s4u_x509.options, s4u_x509.has_options),
};
static const hs_ka_type s4u_user_t = { UNIV, 0, true, false, HS_KA_N(s4u_user_f), NONE, s4u_user_f };
static const hs_ka_field s4u_f[] = {
	HS_KA_FS(0, false, s4u_user_t),
	HS_KA_FT(1, false, s4u_x509.cksum, cksum_t),
};
static const hs_ka_type s4u_t = { UNIV, 0, false, false, HS_KA_N(s4u_f), offsetof(hs_krb_msg, s4u_x509.present), s4u_f };

/* RFC 6113 s5.4.2 KrbFastArmoredReq ::= SEQUENCE { armor [0] KrbFastArmor
 * OPTIONAL, req-checksum [1] Checksum, enc-fast-req [2] EncryptedData };
 * KrbFastArmor ::= SEQUENCE { armor-type [0] Int32, armor-value [1] OCTET
 * STRING }; KrbFastArmoredRep ::= SEQUENCE { enc-fast-rep [0] EncryptedData } */
static const hs_ka_field fast_armor_f[] = {
	HS_KA_F(0, false, HS_KA_INT32, fast.armor_type),
	HS_KA_F(1, false, HS_KA_OCTETS, fast.armor_value),
};
static const hs_ka_type fast_armor_t = { UNIV, 0, false, false, HS_KA_N(fast_armor_f), offsetof(hs_krb_msg, fast.has_armor),
					 fast_armor_f };
static const hs_ka_field fast_req_f[] = {
	HS_KA_FS(0, true, fast_armor_t),
	HS_KA_FT(1, false, fast.req_cksum, cksum_t),
	HS_KA_FT(2, false, fast.enc, enc_t),
};
static const hs_ka_field fast_rep_f[] = { HS_KA_FT(0, false, fast.enc, enc_t) };
static const hs_ka_type fast_req_t = PDU(fast_req_f), fast_rep_t = PDU(fast_rep_f);

/* KERB-ERROR-DATA ::= SEQUENCE { data-type [1] Int32, data-value [2] OCTET
 * STRING OPTIONAL } (MS-KILE 2.2.2) */
static const hs_ka_field error_data_f[] = {
	HS_KA_F(1, false, HS_KA_INT32, edata_type),
	HS_KA_F(2, true, HS_KA_OCTETS, edata_value),
};
static const hs_ka_type error_data_t = PDU(error_data_f);
#undef TYPE

/* ETYPE-INFO-ENTRY ::= SEQUENCE { etype [0] Int32, salt [1] OCTET STRING
 * OPTIONAL } (s5.2.7.4); ETYPE-INFO2-ENTRY ::= SEQUENCE { etype [0] Int32,
 * salt [1] KerberosString OPTIONAL, s2kparams [2] OCTET STRING OPTIONAL }
 * (s5.2.7.5) */
#define TYPE hs_krb_etype_info
static const hs_ka_field etype_info_f[] = {
	HS_KA_F(0, false, HS_KA_INT32, etype),
	HS_KA_FH(1, true, HS_KA_OCTETS, salt, has_salt),
};
static const hs_ka_field etype_info2_f[] = {
	HS_KA_F(0, false, HS_KA_INT32, etype),
	HS_KA_FH(1, true, HS_KA_STR, salt, has_salt),
	HS_KA_FH(2, true, HS_KA_OCTETS, s2kparams, has_s2kparams),
};
#undef TYPE
static const hs_ka_type etype_info_t = PDU(etype_info_f), etype_info2_t = PDU(etype_info2_f);
#define ETYPE_INFO_LIST(type) { HS_KA_TYPE, false, HS_KRB_MAX_ETYPE_INFO, sizeof(hs_krb_etype_info), \
				offsetof(hs_krb_msg, etype_info), offsetof(hs_krb_msg, n_etype_info), \
				offsetof(hs_krb_msg, more_etype_info), &(type) }
static const hs_ka_list etype_info_l = ETYPE_INFO_LIST(etype_info_t), etype_info2_l = ETYPE_INFO_LIST(etype_info2_t);

/* PA-DATA ::= SEQUENCE { padata-type [1] Int32, padata-value [2] OCTET
 * STRING } (s5.2.7); TYPED-DATA's entries (s5.9.1) are { data-type [0]
 * Int32, data-value [1] OCTET STRING OPTIONAL }.  got: the type was read. */
typedef struct pa_elem {
	hs_krb_padata pd;
	bool got;
} pa_elem;
#define TYPE pa_elem
static const hs_ka_field pa_f[] = {
	HS_KA_FH(1, false, HS_KA_INT32, pd.type, got),
	HS_KA_F(2, false, HS_KA_OCTETS, pd.value),
};
static const hs_ka_field typed_f[] = {
	HS_KA_FH(0, false, HS_KA_INT32, pd.type, got),
	HS_KA_F(1, true, HS_KA_OCTETS, pd.value),
};
#undef TYPE
static const hs_ka_type pa_t = PDU(pa_f), typed_t = PDU(typed_f);

/* KRB-SAFE's s-address / r-address: into the message's addresses. */
static void safe_addr(hs_ka *k, hs_cur *b, void *out, const hs_ka_field *f)
{
	hs_krb_msg *m = ((kd *)k->ud)->m;
	hs_krb_addr a = { 0, { NULL, 0 } };
	(void)out;
	(void)f;
	if (hs_ka_walk(k, b, &addr_t, &a) && m->n_addrs < HS_KRB_MAX_ADDRS)
		m->addrs[m->n_addrs++] = a;
}

/* Keep the first ETYPE-INFO list, but prefer ETYPE-INFO2 (RFC 4120
 * s5.2.7.5: a KDC sends both to old clients; INFO2 is the authoritative
 * one). */
static void etype_info(hs_ka *k, hs_cur *v, bool info2)
{
	hs_krb_msg *m = ((kd *)k->ud)->m;
	if (m->n_etype_info && (m->etype_info2 || !info2)) {
		hs_cur_skip(v, v->len);
		return;
	}
	m->n_etype_info = 0;
	m->more_etype_info = 0;
	m->etype_info2 = info2;
	hs_ka_seq_of(k, v, info2 ? &etype_info2_l : &etype_info_l, m);
}

/* PA-FX-FAST-REQUEST ::= CHOICE { armored-data [0] KrbFastArmoredReq },
 * PA-FX-FAST-REPLY ::= CHOICE { armored-data [0] KrbFastArmoredRep } (RFC
 * 6113 s5.4.2, s5.4.3).  An empty value only advertises FAST (in
 * METHOD-DATA of KDC_ERR_PREAUTH_REQUIRED). */
static void fx_fast(hs_ka *k, hs_cur *v)
{
	hs_krb_msg *m = ((kd *)k->ud)->m;
	hs_cur b;
	bool reply = m->msg_type != HS_KRB_AS_REQ && m->msg_type != HS_KRB_TGS_REQ;
	if (v->len == 0)
		return;
	if (!hs_ka_open(k, v, CTX, 0, false, &b))
		return;
	m->fast.present = true;
	m->fast.reply = reply;
	hs_ka_walk(k, &b, reply ? &fast_rep_t : &fast_req_t, m);
	hs_der_close(v, &b);
	/* FX_FAST_ARMOR_AP_REQUEST (1): the armor is an AP-REQ (s5.4.1.1). */
	if (hs_cur_ok(v) && m->fast.has_armor && m->fast.armor_type == 1) {
		hs_cur av = hs_cur_make(m->fast.armor_value.p, m->fast.armor_value.len);
		hs_ka_walk(k, &av, &ap_req_t, &m->fast.armor_ap_req);
		if (hs_cur_ok(&av) && av.len)
			hs_cur_fail(&av, HS_E_TRAILING);
		hs_cur_join(v, &av);
	}
}

/* MS-KILE 2.2.1 KERB-EXT-ERROR: NTSTATUS, reserved, flags; 32-bit little
 * endian each.  strict: the bytes came as a PA-PW-SALT, which may also be a
 * real 12-byte salt; take it as a status only when it looks like one (an
 * error or warning severity, reserved zero). */
static bool ext_error(hs_krb_msg *m, hs_slice v, bool strict)
{
	hs_cur c = hs_cur_make(v.p, v.len);
	if (v.len != 12)
		return false;
	uint32_t status = hs_cur_u32le(&c);
	uint32_t reserved = hs_cur_u32le(&c);
	uint32_t flags = hs_cur_u32le(&c);
	if (strict && (status >> 30 < 2 || reserved != 0 || flags > 1))
		return false;
	m->has_ntstatus = true;
	m->ntstatus = status;
	m->ext_error_flags = flags;
	return true;
}

/* A PA-DATA value by its type: the first occurrence of each type is
 * decoded into the message, strictly (its own cursor, no prefix). */
static void padata_value(hs_ka *parent, hs_krb_padata *pd)
{
	kd *d = parent->ud;
	hs_krb_msg *m = d->m;
	hs_ka k = { NULL, d };
	hs_cur v = hs_cur_make(pd->value.p, pd->value.len);

	/* An empty value names a method the KDC offers (METHOD-DATA in
	 * KDC_ERR_PREAUTH_REQUIRED) or, for PA-REQ-ENC-PA-REP, asks for it. */
	if (pd->value.len == 0) {
		if (pd->type == HS_KRB_PA_REQ_ENC_PA_REP)
			m->req_enc_pa_rep = true;
		return;
	}
	switch (pd->type) {
	case HS_KRB_PA_TGS_REQ:
		if (m->tgs_ap_req.present)
			return;
		hs_ka_walk(&k, &v, &ap_req_t, &m->tgs_ap_req);
		break;
	case HS_KRB_PA_ENC_TIMESTAMP:
		if (m->enc_timestamp.present)
			return;
		hs_ka_walk(&k, &v, &enc_t, &m->enc_timestamp);
		break;
	case HS_KRB_PA_ENCRYPTED_CHALLENGE:
		if (m->enc_challenge.present)
			return;
		hs_ka_walk(&k, &v, &enc_t, &m->enc_challenge);
		break;
	case HS_KRB_PA_PW_SALT:
		/* Samba's KDC puts KERB-EXT-ERROR here in KRB-ERROR METHOD-DATA
		 * (Wireshark decodes it so too); otherwise it is a salt. */
		if (!(d->in_error && ext_error(m, pd->value, true)))
			m->pw_salt = pd->value;
		return;
	case HS_KRB_PA_ETYPE_INFO:
	case HS_KRB_PA_ETYPE_INFO2:
		etype_info(&k, &v, pd->type == HS_KRB_PA_ETYPE_INFO2);
		break;
	case HS_KRB_PA_PAC_REQUEST:
		if (m->has_pac_request)
			return;
		hs_ka_walk(&k, &v, &pac_request_t, m);
		break;
	case HS_KRB_PA_FOR_USER:
		if (m->for_user.present)
			return;
		hs_ka_walk(&k, &v, &for_user_t, m);
		break;
	case HS_KRB_PA_S4U_X509_USER:
		if (m->s4u_x509.present)
			return;
		hs_ka_walk(&k, &v, &s4u_t, m);
		break;
	case HS_KRB_PA_FX_FAST:
		if (m->fast.present)
			return;
		fx_fast(&k, &v);
		break;
	case HS_KRB_PA_PAC_OPTIONS:
		if (m->has_pac_options)
			return;
		hs_ka_walk(&k, &v, &pac_options_t, m);
		break;
	case HS_KRB_PA_SUPPORTED_ETYPES: /* MS-KILE 2.2.8: a 32-bit little-endian flag word */
		if (m->has_supported_etypes)
			return;
		m->supported_etypes = hs_cur_u32le(&v);
		m->has_supported_etypes = hs_cur_ok(&v);
		break;
	case HS_KRB_PA_REQ_ENC_PA_REP:
		/* RFC 6806 s11: empty in the request; in the reply the checksum
		 * lives in the encrypted part, so nothing to read here. */
		m->req_enc_pa_rep = true;
		return;
	default:
		return; /* listed by number only */
	}
	if (hs_cur_ok(&v) && v.len)
		hs_cur_fail(&v, HS_E_TRAILING);
	if (!hs_cur_ok(&v)) {
		pd->err = v.err == HS_E_TRUNCATED ? HS_E_MALFORMED : v.err;
		value_error(m, pd->err);
	}
}

/* SEQUENCE OF PA-DATA (METHOD-DATA) when !typed; TYPED-DATA when typed.
 * c is positioned on the SEQUENCE.  Each PA-DATA value is decoded by type;
 * the entries over HS_KRB_MAX_PADATA are counted. */
static void padata_seq(hs_ka *k, hs_cur *c, bool typed)
{
	hs_krb_msg *m = ((kd *)k->ud)->m;
	hs_cur l;
	if (!hs_ka_open(k, c, UNIV, SEQ, false, &l))
		return;
	while (hs_cur_ok(&l) && l.len) {
		pa_elem e;
		memset(&e, 0, sizeof e);
		bool ok = hs_ka_walk(k, &l, typed ? &typed_t : &pa_t, &e);
		if (!e.got)
			break;
		if (m->n_padata >= HS_KRB_MAX_PADATA) {
			m->more_padata++;
			continue;
		}
		m->padata[m->n_padata] = e.pd;
		if (ok && !typed)
			padata_value(k, &m->padata[m->n_padata]);
		m->n_padata++;
	}
	hs_der_close(c, &l);
}

static void padata_field(hs_ka *k, hs_cur *b, void *out, const hs_ka_field *f)
{
	(void)out;
	(void)f;
	padata_seq(k, b, false);
}

/* KRB-ERROR e-data (s5.9.1, MS-KILE 2.2.2).  The shapes are told apart by
 * their first tags, not by error code (Windows and MIT disagree on which
 * code gets which shape):
 *   METHOD-DATA      SEQUENCE { SEQUENCE { [1] type, [2] value }, ... }
 *   TYPED-DATA       SEQUENCE { SEQUENCE { [0] type, [1] value }, ... }
 *   KERB-ERROR-DATA  SEQUENCE { [1] data-type, [2] data-value OPTIONAL } */
static void e_data(hs_krb_msg *m, hs_slice v)
{
	kd d = { m, true };
	hs_ka k = { NULL, &d };
	hs_cur c = hs_cur_make(v.p, v.len);
	hs_der_hdr t, u;
	m->edata_kind = HS_KRB_EDATA_RAW;
	if (hs_der_header(c.p, c.len, &t) != HS_OK || t.cls != UNIV || t.tag != SEQ || !t.constructed)
		return;
	if (t.hlen + t.blen > c.len)
		goto bad;
	if (t.blen == 0) {
		m->edata_kind = HS_KRB_EDATA_METHOD_DATA;
		hs_cur_skip(&c, c.len);
		goto done;
	}
	if (hs_der_header(c.p + t.hlen, c.len - t.hlen, &u) != HS_OK)
		goto bad;
	if (u.cls == CTX && u.tag == 1) {
		m->edata_kind = HS_KRB_EDATA_ERROR_DATA;
		hs_ka_walk(&k, &c, &error_data_t, m);
		/* data-type 3 = KERB_ERR_TYPE_EXTENDED: value is KERB-EXT-ERROR */
		if (hs_cur_ok(&c) && m->edata_type == 3 && !ext_error(m, m->edata_value, false))
			hs_cur_fail(&c, HS_E_MALFORMED);
	} else if (u.cls == UNIV && u.tag == SEQ && u.constructed) {
		hs_der_hdr w;
		size_t off = t.hlen + u.hlen;
		if (off < c.len && hs_der_header(c.p + off, c.len - off, &w) == HS_OK && w.cls == CTX && w.tag == 0) {
			m->edata_kind = HS_KRB_EDATA_TYPED_DATA;
			padata_seq(&k, &c, true);
		} else {
			m->edata_kind = HS_KRB_EDATA_METHOD_DATA;
			padata_seq(&k, &c, false);
		}
	} else {
		return;
	}
done:
	if (hs_cur_ok(&c) && c.len)
		hs_cur_fail(&c, HS_E_TRAILING);
	if (hs_cur_ok(&c))
		return;
bad:
	value_error(m, hs_cur_ok(&c) ? HS_E_MALFORMED : c.err);
}

static bool known_pdu(unsigned tag)
{
	return (tag >= 10 && tag <= 15) || (tag >= 20 && tag <= 22) || tag == 30;
}

/* Decode one PDU into the already-cleared *m. */
static hs_err decode_pdu(const uint8_t *p, size_t len, hs_krb_msg *m)
{
	static const hs_ka_type *const pdus[] = {
		[HS_KRB_AS_REQ] = &kdc_req_t, [HS_KRB_TGS_REQ] = &kdc_req_t, [HS_KRB_AS_REP] = &kdc_rep_t,
		[HS_KRB_TGS_REP] = &kdc_rep_t, [HS_KRB_AP_REP] = &ap_rep_t, [HS_KRB_SAFE] = &safe_t,
		[HS_KRB_PRIV] = &priv_t, [HS_KRB_CRED] = &cred_t, [HS_KRB_ERROR] = &error_t,
	};
	hs_der_hdr t;
	hs_err r, e;
	if (len == 0)
		return HS_E_TRUNCATED;
	if ((p[0] & 0xe0) != 0x60 || !known_pdu(p[0] & 0x1f))
		return HS_E_UNKNOWN;
	m->kind = HS_KRB_KIND_PDU;
	m->msg_type = p[0] & 0x1f;
	r = hs_der_header(p, len, &t);
	if (r != HS_OK)
		return r;

	size_t avail = len - t.hlen;
	bool prefix = t.blen > avail;
	kd d = { m, false };
	hs_ka k = { prefix ? p + len : NULL, &d };
	hs_cur c = hs_cur_make(p + t.hlen, prefix ? avail : t.blen);
	if (m->msg_type == HS_KRB_AP_REQ) {
		hs_ka_walk(&k, &c, &ap_req_body_t, &m->ap_req);
		m->pvno = m->ap_req.pvno;
	} else {
		hs_ka_walk(&k, &c, pdus[m->msg_type], m);
		if (m->msg_type == HS_KRB_ERROR && m->has_e_data)
			e_data(m, m->e_data);
	}
	e = c.err;
	if (e == HS_OK && c.len)
		e = HS_E_TRAILING;
	if (prefix) {
		if (e == HS_OK || e == HS_E_TRUNCATED)
			return m->value_err != HS_OK ? m->value_err : HS_E_TRUNCATED;
		return e;
	}
	if (e == HS_E_TRUNCATED)
		e = HS_E_MALFORMED; /* an inner element ran past a complete outer one */
	if (e == HS_OK)
		e = m->value_err;
	if (e == HS_OK && t.hlen + t.blen < len)
		e = HS_E_TRAILING;
	return e;
}

hs_err hs_krb_decode(const uint8_t *p, size_t len, hs_krb_msg *m)
{
	memset(m, 0, sizeof *m);
	m->err = decode_pdu(p, len, m);
	return m->err;
}

/* ---- GSS-API (RFC 2743 s3.1, RFC 4121) ---- */

/* KERB-TGT-REQUEST / KERB-TGT-REPLY (tables above), the inside of a GSS
 * user-to-user token. */
static hs_err decode_tgt(const uint8_t *p, size_t len, bool prefix, bool reply, hs_krb_msg *m)
{
	kd d = { m, false };
	hs_ka k = { prefix ? p + len : NULL, &d };
	hs_cur c = hs_cur_make(p, len);
	m->kind = HS_KRB_KIND_PDU;
	m->msg_type = reply ? HS_KRB_TGT_REP : HS_KRB_TGT_REQ;
	hs_ka_walk(&k, &c, reply ? &tgt_rep_t : &tgt_req_t, m);
	hs_err e = c.err;
	if (prefix)
		return e == HS_OK || e == HS_E_TRUNCATED ? (m->value_err != HS_OK ? m->value_err : HS_E_TRUNCATED) : e;
	if (e == HS_E_TRUNCATED)
		e = HS_E_MALFORMED;
	if (e == HS_OK)
		e = m->value_err;
	if (e == HS_OK && c.len)
		e = HS_E_TRAILING;
	return e;
}

static const char *const krb5_mechs[] = {
	"1.2.840.113554.1.2.2", /* RFC 1964 / 4121 */
	"1.2.840.48018.1.2.2",  /* Microsoft's mistaken encoding, still sent by Windows */
	"1.2.840.113554.1.2.2.3", /* user-to-user (TOK_ID 04 00 / 04 01, then AP-REQ ...) */
	"1.3.5.1.5.2",          /* pre-RFC krb5 OID */
	"1.3.6.1.5.2.5",        /* IAKERB (RFC draft-ietf-kitten-iakerb) */
};

static hs_err gss_decode(const uint8_t *p, size_t len, hs_krb_msg *m)
{
	hs_der_hdr t;
	hs_err r;
	if (len == 0)
		return HS_E_TRUNCATED;
	/* RFC 4121 s4.2.6: per-message tokens have no framing: TOK_ID, flags,
	 * filler, then 12 more header bytes. */
	if ((p[0] == 0x04 || p[0] == 0x05) && (len < 2 || p[1] == 0x04)) {
		if (len < 16)
			return HS_E_TRUNCATED;
		m->gss = true;
		m->gss_tok_id = (uint16_t)(p[0] << 8 | p[1]);
		m->gss_flags = p[2];
		if (p[0] == 0x04) {
			m->kind = HS_KRB_KIND_GSS_MIC;
			for (int i = 3; i < 8; i++)
				if (p[i] != 0xff)
					return HS_E_MALFORMED;
		} else {
			m->kind = HS_KRB_KIND_GSS_WRAP;
			if (p[3] != 0xff)
				return HS_E_MALFORMED;
		}
		return HS_OK;
	}
	if (p[0] != 0x60) {
		/* a bare PDU: Windows' SPNEGO responseToken AP-REP / KRB-ERROR */
		r = decode_pdu(p, len, m);
		m->gss = m->kind != HS_KRB_KIND_NONE;
		return r;
	}
	r = hs_der_header(p, len, &t);
	if (r != HS_OK)
		return r;
	bool prefix = t.blen > len - t.hlen;
	hs_cur c = hs_cur_make(p + t.hlen, prefix ? len - t.hlen : t.blen);
	hs_slice oid = { NULL, 0 };
	if (!hs_der_oid(&c, &oid))
		return prefix && c.err == HS_E_TRUNCATED ? HS_E_TRUNCATED : HS_E_MALFORMED;
	bool krb = false;
	for (size_t i = 0; i < sizeof krb5_mechs / sizeof krb5_mechs[0]; i++)
		krb = krb || hs_der_oid_is(oid, krb5_mechs[i]);
	if (!krb)
		return HS_E_UNKNOWN; /* e.g. SPNEGO's own InitialContextToken */
	m->gss = true;
	m->gss_oid = oid;
	m->gss_tok_id = hs_cur_u16be(&c);
	if (!hs_cur_ok(&c))
		return prefix ? HS_E_TRUNCATED : HS_E_MALFORMED;
	switch (m->gss_tok_id) {
	case 0x0100: /* KRB_AP_REQ */
	case 0x0200: /* KRB_AP_REP */
	case 0x0300: /* KRB_ERROR */
		break;
	case 0x0400: /* KERB_TGT_REQUEST (user-to-user) */
	case 0x0401: /* KERB_TGT_REPLY */
		r = decode_tgt(c.p, c.len, prefix, m->gss_tok_id == 0x0401, m);
		if (r == HS_OK && t.hlen + t.blen < len)
			r = HS_E_TRAILING;
		return r;
	default:
		/* RFC 1964 MIC/wrap (01 01, 02 01), IAKERB (05 01) ... */
		m->kind = HS_KRB_KIND_GSS_OTHER;
		return prefix ? HS_E_TRUNCATED : HS_OK;
	}
	r = decode_pdu(c.p, c.len, m);
	if (m->kind == HS_KRB_KIND_NONE)
		m->kind = HS_KRB_KIND_GSS_OTHER;
	if (prefix)
		return r == HS_OK ? HS_E_TRUNCATED : r;
	if (r == HS_E_TRUNCATED)
		return HS_E_MALFORMED;
	if (r == HS_OK) {
		static const int32_t want[] = { 0, HS_KRB_AP_REQ, HS_KRB_AP_REP, HS_KRB_ERROR };
		if (m->msg_type != want[m->gss_tok_id >> 8])
			r = HS_E_MALFORMED; /* TOK_ID and PDU disagree */
	}
	if (r == HS_OK && t.hlen + t.blen < len)
		r = HS_E_TRAILING;
	return r;
}

hs_err hs_krb_gss_decode(const uint8_t *p, size_t len, hs_krb_msg *m)
{
	memset(m, 0, sizeof *m);
	m->err = gss_decode(p, len, m);
	return m->err;
}

/* ---- TCP record marking (RFC 4120 s7.2.2) ---- */

hs_parse_result hs_krb_tcp_record(const uint8_t *p, size_t len, hs_slice *pdu)
{
	uint32_t n;
	if (len < 4)
		return hs_parse_incomplete(4);
	n = (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
	/* The high bit is reserved for extensions; a KDC that does not know
	 * them answers KRB_ERR_FIELD_TOOLONG and closes (s7.2.2). */
	if (n & 0x80000000u)
		return hs_parse_error(HS_E_UNSUPPORTED);
	if (n > HS_KRB_TCP_MAX)
		return hs_parse_error(HS_E_LIMIT);
	if (len - 4 < n)
		return hs_parse_incomplete(4 + (size_t)n);
	pdu->p = p + 4;
	pdu->len = n;
	return hs_parse_ok(4 + (size_t)n);
}

/* Could p be the start of a record: a sane length followed by a Kerberos
 * APPLICATION element whose DER length fills the record exactly? */
bool hs_krb_tcp_record_start(const uint8_t *p, size_t len)
{
	hs_der_hdr t;
	if (len < 6)
		return false;
	uint32_t n = (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
	if (n < 2 || n > HS_KRB_TCP_MAX || (p[4] & 0xe0) != 0x60 || !known_pdu(p[4] & 0x1f))
		return false;
	return hs_der_header(p + 4, len - 4, &t) == HS_OK && t.hlen + t.blen == n;
}
