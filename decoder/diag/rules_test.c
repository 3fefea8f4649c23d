/* rules_test.c - the diagnosis on synthetic fact sets: each case is a
 * situation of double-hop-domain.md, described only by what the wire would
 * show, and the cause the contract prescribes for it. */
#include <CUnit/Basic.h>
#include <stddef.h>
#include <string.h>

#include "krb5.h"
#include "rules.h"
#include "unit.h"

static hs_ref R(uint64_t frame)
{
	hs_ref r = { 0, frame };
	return r;
}

/* alice -> srv1 over WinRM with Kerberos, hop 2 SMB to srv2 */
static hs_facts base(void)
{
	hs_facts f;
	memset(&f, 0, sizeof f);
	strcpy(f.user, "alice@HOP.TEST");
	strcpy(f.s_name, "srv1.hop.test");
	strcpy(f.s_short, "srv1");
	strcpy(f.s_ip, "10.0.0.11");
	strcpy(f.t_name, "srv2.hop.test");
	strcpy(f.t_short, "srv2");
	strcpy(f.t_spn, "cifs/srv2.hop.test");
	f.hop1_seen = true;
	f.hop1_auth = HS_AUTH_KERBEROS;
	f.hop1_result = HS_RES_OK;
	f.hop1_carrier = HS_CAR_WINRM_HTTP;
	f.s_outbound_visible = true;
	f.client_kdc_visible = true;
	f.hop2_seen = true;
	f.hop2_carrier = HS_CAR_SMB2;
	return f;
}

static hs_diag run(const hs_facts *f)
{
	hs_diag d;
	hs_rules_diagnose(f, &d);
	return d;
}

static bool has_cmd(const hs_diag *d, const char *needle)
{
	for (unsigned i = 0; i < d->nremedies; i++)
		for (unsigned j = 0; j < d->remedies[i].ncommands; j++)
			if (strstr(d->remedies[i].commands[j], needle))
				return true;
	return false;
}

static void test_anonymous(void)
{
	hs_facts f = base();
	f.hop2_auth = HS_AUTH_ANONYMOUS;
	f.hop2_result = HS_RES_FAILED;
	f.hop2_status = 0xC0000022u;
	strcpy(f.hop2_status_name, "STATUS_ACCESS_DENIED");
	hs_diag d = run(&f);
	CU_ASSERT_STRING_EQUAL(d.cause, "second_hop_anonymous");
	CU_ASSERT_EQUAL(d.verdict, HS_VERDICT_FAILED);
	CU_ASSERT_EQUAL(d.method, HS_METHOD_NONE);
	CU_ASSERT(d.nneeds > 0); /* ok-as-delegate is encrypted: say what would settle it */
	CU_ASSERT(has_cmd(&d, "Set-ADComputer srv2 -PrincipalsAllowedToDelegateToAccount (Get-ADComputer srv1)"));
	CU_ASSERT(has_cmd(&d, "Enable-WSManCredSSP -Role Client -DelegateComputer srv1.hop.test"));
	CU_ASSERT(has_cmd(&d, "klist purge -li 0x3e7"));
	/* most secure first: RBCD before CredSSP */
	CU_ASSERT_EQUAL(d.remedies[0].method, HS_METHOD_RBCD);
	CU_ASSERT(strstr(d.detail, "STATUS_ACCESS_DENIED") != NULL);
	/* the same server delegated someone else's forwarded TGT: this client did not send one */
	f.server_trusted_seen = true;
	d = run(&f);
	CU_ASSERT_STRING_EQUAL(d.cause, "tgt_not_forwarded");
	CU_ASSERT_EQUAL(d.method, HS_METHOD_UNCONSTRAINED);
}

static void test_machine_account(void)
{
	hs_facts f = base();
	f.hop2_auth = HS_AUTH_KERBEROS;
	f.hop2_result = HS_RES_FAILED;
	f.hop2_as_machine = true;
	strcpy(f.hop2_principal, "SRV1$@HOP.TEST");
	CU_ASSERT_STRING_EQUAL(run(&f).cause, "second_hop_as_machine_account");
}

static void test_ntlm_first_hop(void)
{
	hs_facts f = base();
	f.hop1_auth = HS_AUTH_NTLM;
	f.s_name[0] = 0;
	f.hop2_auth = HS_AUTH_ANONYMOUS;
	f.hop2_result = HS_RES_FAILED;
	hs_diag d = run(&f);
	CU_ASSERT_STRING_EQUAL(d.cause, "ntlm_first_hop");
	CU_ASSERT_EQUAL(d.verdict, HS_VERDICT_FAILED);
	/* only hop 1 visible: not a failure yet */
	f.hop2_seen = false;
	f.s_outbound_visible = false;
	d = run(&f);
	CU_ASSERT_STRING_EQUAL(d.cause, "ntlm_first_hop");
	CU_ASSERT_EQUAL(d.verdict, HS_VERDICT_UNKNOWN);
}

static void test_unconstrained_ok(void)
{
	hs_facts f = base();
	f.forwarded_tgt = true;
	f.forwarded_ref = R(28);
	f.tgt_forwarded_used = true;
	f.tgt_ref = R(40);
	f.hop2_auth = HS_AUTH_KERBEROS;
	f.hop2_result = HS_RES_OK;
	f.hop2_as_user = true;
	hs_diag d = run(&f);
	CU_ASSERT_EQUAL(d.method, HS_METHOD_UNCONSTRAINED);
	CU_ASSERT_EQUAL(d.verdict, HS_VERDICT_DELEGATED);
	CU_ASSERT_STRING_EQUAL(d.cause, "ok");
	CU_ASSERT_EQUAL(d.nevidence, 2);
}

/* S4U2Self ok, S4U2Proxy refused with BADOPTION, its e-data FAST-armored */
static hs_facts s4u2proxy_refused(void)
{
	hs_facts f = base();
	f.hop2_seen = false;
	f.hop2_inferred = true;
	f.hop2_carrier = HS_CAR_KERBEROS;
	f.hop2_auth = HS_AUTH_KERBEROS;
	f.hop2_result = HS_RES_FAILED;
	f.s4u2self = f.s4u2self_ok = true;
	f.s4u2proxy = true;
	f.s4u2proxy_error = 13;
	f.s4u2proxy_fast = true;
	return f;
}

static void test_s4u2proxy(void)
{
	hs_facts f = s4u2proxy_refused();
	f.s4u2proxy_ref = R(56);
	hs_diag d = run(&f);
	/* FAST hides KERB-EXT-ERROR: generic cause, and say what would settle it */
	CU_ASSERT_STRING_EQUAL(d.cause, "s4u2proxy_denied");
	CU_ASSERT_EQUAL(d.method, HS_METHOD_CONSTRAINED);
	CU_ASSERT(d.nneeds >= 2);
	CU_ASSERT(has_cmd(&d, "msDS-AllowedToDelegateTo'='cifs/srv2.hop.test'"));
	struct {
		uint32_t nt;
		const char *cause;
		hs_method m;
	} t[] = {
		{ 0xC0000272u, "s4u2proxy_target_not_allowed", HS_METHOD_CONSTRAINED },
		{ 0xC0000225u, "rbcd_denied", HS_METHOD_RBCD },
		{ 0xC000006Eu, "s4u2self_not_forwardable", HS_METHOD_CONSTRAINED },
		{ 0xC00000BBu, "no_delegation_configured", HS_METHOD_CONSTRAINED },
	};
	for (size_t i = 0; i < sizeof t / sizeof t[0]; i++) {
		f.s4u2proxy_has_ntstatus = true;
		f.s4u2proxy_ntstatus = t[i].nt;
		d = run(&f);
		CU_ASSERT_STRING_EQUAL(d.cause, t[i].cause);
		CU_ASSERT_EQUAL(d.method, t[i].m);
	}
	/* S4U2Self itself refused */
	f = base();
	f.s4u2self = true;
	f.s4u2self_error = 7;
	f.hop2_seen = false;
	f.hop2_inferred = true;
	f.hop2_result = HS_RES_FAILED;
	CU_ASSERT_STRING_EQUAL(run(&f).cause, "s4u2self_failed");
}

static void test_fresh_and_runas(void)
{
	hs_facts f = base();
	f.fresh_as = f.fresh_as_ok = true;
	f.hop2_auth = HS_AUTH_KERBEROS;
	f.hop2_result = HS_RES_OK;
	f.hop2_as_user = true;
	strcpy(f.hop2_principal, "alice@HOP.TEST");
	hs_diag d = run(&f);
	CU_ASSERT_EQUAL(d.method, HS_METHOD_FRESH);
	CU_ASSERT_EQUAL(d.verdict, HS_VERDICT_DELEGATED);
	/* wrong password */
	f = base();
	f.hop2_seen = false;
	f.hop2_inferred = true;
	f.hop2_result = HS_RES_FAILED;
	f.fresh_as = true;
	f.fresh_as_error = 24;
	d = run(&f);
	CU_ASSERT_STRING_EQUAL(d.cause, "preauth_failed");
	CU_ASSERT_EQUAL(d.method, HS_METHOD_FRESH);
	CU_ASSERT(has_cmd(&d, "$using:cred"));
	/* a fixed other account */
	f = base();
	f.other_as = true;
	strcpy(f.other_principal, "svc_runas@HOP.TEST");
	strcpy(f.hop2_principal, "svc_runas@HOP.TEST");
	f.hop2_auth = HS_AUTH_KERBEROS;
	f.hop2_result = HS_RES_OK;
	f.hop2_as_other = true;
	d = run(&f);
	CU_ASSERT_EQUAL(d.method, HS_METHOD_RUNAS);
	CU_ASSERT(strstr(d.detail, "svc_runas") != NULL);
	/* the hop-1 user unknown (srv1's capture alone): fresh vs RunAs undecidable */
	f.user[0] = 0;
	f.hop2_as_other = false;
	d = run(&f);
	CU_ASSERT_EQUAL(d.method, HS_METHOD_UNKNOWN);
	CU_ASSERT_EQUAL(d.verdict, HS_VERDICT_DELEGATED);
	CU_ASSERT(d.nneeds > 0);
}

/* lab 22: srv1's TGS-REQ with the forwarded TGT answered KDC_ERR_ETYPE_NOSUPP;
 * lab 18 / 20: the client's forwarded-TGT request answered KDC_ERR_BADOPTION
 * (Protected Users / sensitive account), hop 2 anonymous */
static void test_etype_and_not_delegable(void)
{
	hs_facts f = base();
	f.tgt_forwarded_used = true;
	f.hop2_seen = false;
	f.tgs_error = true;
	f.tgs_error_code = 14;
	strcpy(f.tgs_error_sname, "cifs/srv2.hop.test");
	hs_diag d = run(&f);
	CU_ASSERT_STRING_EQUAL(d.cause, "etype_not_supported");
	CU_ASSERT_EQUAL(d.method, HS_METHOD_UNCONSTRAINED);
	CU_ASSERT(has_cmd(&d, "Set-ADComputer srv2 -KerberosEncryptionType AES128,AES256"));
	f.tgs_error_code = 13;   /* another TGS error is not an etype problem */
	CU_ASSERT_STRING_NOT_EQUAL(run(&f).cause, "etype_not_supported");

	f = base();
	f.forwarded_tgt = true;
	f.forwarded_error = 13;
	f.hop2_auth = HS_AUTH_ANONYMOUS;
	f.hop2_result = HS_RES_FAILED;
	d = run(&f);
	CU_ASSERT_STRING_EQUAL(d.cause, "user_not_delegable");
	CU_ASSERT_EQUAL(d.method, HS_METHOD_UNCONSTRAINED);
	CU_ASSERT_EQUAL(d.verdict, HS_VERDICT_FAILED);
	CU_ASSERT(has_cmd(&d, "Set-ADAccountControl alice -AccountNotDelegated $false"));
	f.forwarded_error = 0;   /* the forwarded TGT was issued: not this cause */
	CU_ASSERT_STRING_NOT_EQUAL(run(&f).cause, "user_not_delegable");
}

static void test_spn_skew_credssp_winrm(void)
{
	hs_facts f = base();
	f.hop2_auth = HS_AUTH_NTLM;
	f.hop2_result = HS_RES_FAILED;
	f.tgs_error = true;
	f.tgs_error_code = 7;
	strcpy(f.tgs_error_sname, "cifs/files.hop.test");
	hs_diag d = run(&f);
	CU_ASSERT_STRING_EQUAL(d.cause, "spn_unknown");
	/* the account is not known (the target never named itself): asked for,
	 * the name's first label only offered */
	CU_ASSERT(has_cmd(&d, "$TargetAccount = Read-Host 'Computer account of the server that answers as srv2.hop.test (srv2 if"));
	CU_ASSERT(has_cmd(&d, "setspn -S cifs/files.hop.test $TargetAccount"));
	CU_ASSERT_EQUAL(d.method, HS_METHOD_UNKNOWN);
	/* lab 36: reached as files.hop.test (an alias), the server's NTLM
	 * CHALLENGE names it SRV2: its account, not "files" */
	strcpy(f.t_name, "files.hop.test");
	strcpy(f.t_short, "files");
	strcpy(f.t_account, "SRV2");
	d = run(&f);
	CU_ASSERT(has_cmd(&d, "setspn -S cifs/files.hop.test srv2"));
	CU_ASSERT_FALSE(has_cmd(&d, "files$") || has_cmd(&d, "hop.test files") || has_cmd(&d, "Read-Host"));

	/* lab 36: the TGS-REQ was made with the user's forwarded TGT (seen only
	 * in the decrypted authenticator), then Negotiate fell back to anonymous
	 * NTLM and the share was denied */
	f.hop1_krb_cred = true;
	f.hop2_auth = HS_AUTH_ANONYMOUS;
	strcpy(f.hop2_status_name, "STATUS_ACCESS_DENIED");
	d = run(&f);
	CU_ASSERT_STRING_EQUAL(d.cause, "spn_unknown");
	CU_ASSERT_EQUAL(d.method, HS_METHOD_UNCONSTRAINED);
	CU_ASSERT_EQUAL(d.verdict, HS_VERDICT_FAILED);
	CU_ASSERT(strstr(d.detail, "fell back to NTLM as ANONYMOUS LOGON and was refused with STATUS_ACCESS_DENIED.") != NULL);
	CU_ASSERT(strstr(d.explanation, "no password or NT hash") != NULL);

	f = base();
	f.skew = true;
	f.hop2_result = HS_RES_FAILED;
	CU_ASSERT_STRING_EQUAL(run(&f).cause, "clock_skew");

	f = base();
	f.credssp_asked = true;
	f.offers_seen = true;
	strcpy(f.offers, "Negotiate, Kerberos");
	f.hop2_seen = false;
	d = run(&f);
	CU_ASSERT_STRING_EQUAL(d.cause, "credssp_not_enabled_on_server");
	CU_ASSERT(strstr(d.detail, "Negotiate, Kerberos") != NULL);

	f = base();
	f.hop1_auth = HS_AUTH_CREDSSP;
	f.credssp_failed = true;
	f.hop1_result = HS_RES_FAILED;
	f.hop2_seen = false;
	CU_ASSERT_STRING_EQUAL(run(&f).cause, "credssp_auth_failed");

	f = base();
	f.hop2_carrier = HS_CAR_WINRM_HTTP;
	f.hop2_is_winrm = true;
	f.hop2_auth = HS_AUTH_KERBEROS;
	f.hop2_result = HS_RES_FAILED;
	f.forwarded_tgt = true;
	d = run(&f);
	CU_ASSERT_STRING_EQUAL(d.cause, "winrm_second_hop_needs_credssp_or_fresh_credentials");

	f = base();
	f.hop1_auth = HS_AUTH_CREDSSP;
	f.hop2_auth = HS_AUTH_KERBEROS;
	f.hop2_result = HS_RES_OK;
	f.hop2_as_user = true;
	d = run(&f);
	CU_ASSERT_EQUAL(d.method, HS_METHOD_CREDSSP);
	CU_ASSERT_EQUAL(d.verdict, HS_VERDICT_DELEGATED);
}

static void test_hop1_only(void)
{
	hs_facts f = base();
	f.hop2_seen = false;
	f.s_outbound_visible = false;
	f.forwarded_tgt = true;
	hs_diag d = run(&f);
	CU_ASSERT_EQUAL(d.verdict, HS_VERDICT_UNKNOWN);
	CU_ASSERT_EQUAL(d.method, HS_METHOD_UNCONSTRAINED);
	CU_ASSERT_STRING_EQUAL(d.cause, "unknown");
	CU_ASSERT(d.nneeds > 0);
	/* no names at all: words, never garbage */
	memset(&f, 0, sizeof f);
	d = run(&f);
	CU_ASSERT(d.cause != NULL);
	CU_ASSERT(strlen(d.detail) > 0);
}

static bool has_need(const hs_diag *d, const char *needle)
{
	for (unsigned i = 0; i < d->nneeds; i++)
		if (strstr(d->needs[i], needle))
			return true;
	return false;
}

/* --keytab: the hop-1 ticket and authenticator decrypted */
static void test_keytab_hop1(void)
{
	hs_facts f = base();
	f.hop2_auth = HS_AUTH_ANONYMOUS;
	f.hop2_result = HS_RES_FAILED;
	/* without keys: generic anonymous, and ask for the ok-as-delegate flag */
	hs_diag d = run(&f);
	CU_ASSERT_STRING_EQUAL(d.cause, "second_hop_anonymous");
	CU_ASSERT(has_need(&d, "ok-as-delegate"));
	/* decrypted: no ok-as-delegate, no KRB-CRED -> nothing configured */
	f.hop1_decrypted = f.hop1_auth_decrypted = true;
	f.hop1_dec_ref = R(6);
	d = run(&f);
	CU_ASSERT_STRING_EQUAL(d.cause, "no_delegation_configured");
	CU_ASSERT_EQUAL(d.method, HS_METHOD_NONE);
	CU_ASSERT_FALSE(has_need(&d, "ok-as-delegate"));
	CU_ASSERT(strstr(d.detail, "ok-as-delegate") != NULL);
	bool ev6 = false;
	for (unsigned i = 0; i < d.nevidence; i++)
		ev6 |= d.evidence[i].frame == 6;
	CU_ASSERT(ev6);
	/* trusted (ok-as-delegate) but the client sent no TGT */
	f.hop1_ok_as_delegate = true;
	d = run(&f);
	CU_ASSERT_STRING_EQUAL(d.cause, "tgt_not_forwarded");
	CU_ASSERT_EQUAL(d.method, HS_METHOD_UNCONSTRAINED);
	CU_ASSERT(strstr(d.detail, "GSS delegation flag not set") != NULL);
	/* the TGT was in the authenticator: not the "no TGT" causes */
	f.hop1_krb_cred = f.hop1_deleg_flag = true;
	d = run(&f);
	CU_ASSERT_STRING_EQUAL(d.cause, "second_hop_anonymous");
	/* the machine account on hop 2 is judged the same way */
	f = base();
	f.hop2_auth = HS_AUTH_KERBEROS;
	f.hop2_result = HS_RES_FAILED;
	f.hop2_as_machine = true;
	f.hop1_decrypted = true;
	CU_ASSERT_STRING_EQUAL(run(&f).cause, "no_delegation_configured");
}

/* --keytab: the S4U2Self ticket's forwardable flag (scenario 09) */
static void test_keytab_s4u2self_flag(void)
{
	hs_facts f = s4u2proxy_refused();
	f.s4u2proxy_rbcd_bit = true; /* MIT sets it on every S4U2Proxy */
	hs_diag d = run(&f);
	CU_ASSERT_STRING_EQUAL(d.cause, "s4u2proxy_denied");
	CU_ASSERT(has_need(&d, "keytab to read whether the S4U2Self ticket is forwardable"));
	f.s4u2self_flags_known = true;
	f.s4u2self_forwardable = false;
	d = run(&f);
	CU_ASSERT_STRING_EQUAL(d.cause, "s4u2self_not_forwardable");
	CU_ASSERT_EQUAL(d.method, HS_METHOD_CONSTRAINED);
	CU_ASSERT_FALSE(has_need(&d, "keytab to read whether"));
	CU_ASSERT(strstr(d.detail, "not forwardable") != NULL);
	/* a forwardable ticket: the flag rules itself out, the cause stays generic */
	f.s4u2self_forwardable = true;
	d = run(&f);
	CU_ASSERT_STRING_EQUAL(d.cause, "s4u2proxy_denied");
	CU_ASSERT_FALSE(has_need(&d, "keytab to read whether"));
	/* an NTSTATUS naming another cause wins over the flag */
	f.s4u2self_forwardable = false;
	f.s4u2proxy_has_ntstatus = true;
	f.s4u2proxy_ntstatus = 0xC0000225u;
	CU_ASSERT_STRING_EQUAL(run(&f).cause, "rbcd_denied");
	f.s4u2proxy_ntstatus = 0xC0000272u;
	CU_ASSERT_STRING_EQUAL(run(&f).cause, "s4u2self_not_forwardable");
}

/* ---- every cause rendered: no placeholder, words that fit the KDC code ---- */

/* A text with "<...>" (a placeholder such as <user> or <server2>). */
static bool placeholder(const char *t)
{
	const char *lt = strchr(t, '<');
	return lt && strchr(lt, '>') != NULL;
}

static int bad_texts;

static void check_texts(const hs_diag *d, const char *what)
{
	const char *texts[2 + HS_NEEDS_MAX + HS_REMEDY_MAX * (2 + HS_REMEDY_CMDS)];
	size_t n = 0;
	texts[n++] = d->detail;
	texts[n++] = d->explanation;
	for (unsigned i = 0; i < d->nneeds; i++)
		texts[n++] = d->needs[i];
	for (unsigned i = 0; i < d->nremedies; i++) {
		texts[n++] = d->remedies[i].summary;
		texts[n++] = d->remedies[i].security;
		for (unsigned j = 0; j < d->remedies[i].ncommands; j++)
			texts[n++] = d->remedies[i].commands[j];
	}
	for (size_t i = 0; i < n; i++)
		if (placeholder(texts[i]) || (i < 2 && !texts[i][0])) {
			printf("\n  %s (%s): %s\n", what, d->cause, texts[i]);
			bad_texts++;
		}
}

/* The same facts without any name: user, servers, addresses, SPNs,
 * principals, offers and status names all unknown. */
static hs_facts nameless(hs_facts f)
{
	f.user[0] = f.s_name[0] = f.s_short[0] = f.s_ip[0] = 0;
	f.t_name[0] = f.t_short[0] = f.t_ip[0] = f.t_spn[0] = 0;
	f.hop2_principal[0] = f.other_principal[0] = f.tgs_error_sname[0] = 0;
	f.offers[0] = f.hop2_status_name[0] = 0;
	return f;
}

typedef struct cause_case {
	const char *cause;
	hs_facts f;
	size_t code; /* offsetof the KDC code this cause carries in hs_facts (0: none) */
} cause_case;

static hs_facts hop2_failed_as(hs_auth a)
{
	hs_facts f = base();
	f.hop2_auth = a;
	f.hop2_result = HS_RES_FAILED;
	f.hop2_ref = R(50);
	return f;
}

/* One fact set per rule of the table (named facts; the test also renders
 * each without names). */
static size_t all_cases(cause_case *c, size_t max)
{
	size_t n = 0;
	hs_facts f;
#define ADD(cs, facts, codep)                                                  \
	do {                                                                   \
		if (n < max)                                                   \
			c[n++] = (cause_case){ (cs), (facts), (codep) };       \
	} while (0)
	/* 1. what worked */
	f = base(); f.hop1_auth = HS_AUTH_CREDSSP; f.hop2_auth = HS_AUTH_KERBEROS; f.hop2_result = HS_RES_OK; f.hop2_as_user = true;
	ADD("ok", f, 0);
	f = base(); f.fresh_as = f.fresh_as_ok = true; f.hop2_auth = HS_AUTH_NTLM; f.hop2_result = HS_RES_OK; f.hop2_as_user = true;
	f.tgs_error = true; f.tgs_error_code = 7; strcpy(f.tgs_error_sname, "cifs/files.hop.test");
	ADD("ok", f, 0);
	f = base(); f.s4u2self = f.s4u2self_ok = f.s4u2proxy = f.s4u2proxy_ok = true; f.hop2_auth = HS_AUTH_KERBEROS; f.hop2_result = HS_RES_OK;
	ADD("ok", f, 0);
	f = base(); f.forwarded_tgt = f.tgt_forwarded_used = true; f.hop2_auth = HS_AUTH_KERBEROS; f.hop2_result = HS_RES_OK; f.hop2_as_user = true;
	ADD("ok", f, 0);
	f = base(); f.tgt_unknown_used = true; f.hop2_auth = HS_AUTH_KERBEROS; f.hop2_result = HS_RES_OK;
	ADD("ok", f, 0);
	f = base(); f.other_as = true; strcpy(f.other_principal, "svc_runas@HOP.TEST"); strcpy(f.hop2_principal, "svc_runas@HOP.TEST");
	f.hop2_auth = HS_AUTH_KERBEROS; f.hop2_result = HS_RES_OK; f.hop2_as_other = true;
	ADD("ok", f, 0);
	f.user[0] = 0; f.hop2_as_other = false;
	ADD("ok", f, 0);
	/* 2. specific failures, each with every KDC code it can carry */
	f = base(); f.skew = true; f.skew_error = 37; f.hop2_result = HS_RES_FAILED;
	ADD("clock_skew", f, 0);
	f.skew_error = 38;
	ADD("kdc_error", f, offsetof(hs_facts, skew_error));
	f = hop2_failed_as(HS_AUTH_KERBEROS); f.tgt_unknown_used = true; strcpy(f.hop2_status_name, "STATUS_LOGON_FAILURE");
	f.hop2_clock_known = true; f.hop2_clock_offset_ns = 900 * 1000000000LL; f.hop2_clock_ref = R(20);
	ADD("clock_skew", f, 0);
	f = hop2_failed_as(HS_AUTH_NONE); f.hop2_seen = false; f.hop2_inferred = true; f.fresh_as = true; f.fresh_as_error = 24;
	ADD("preauth_failed", f, 0);
	f.fresh_as_error = 18;
	ADD("kdc_error", f, offsetof(hs_facts, fresh_as_error));
	f = hop2_failed_as(HS_AUTH_NONE); f.hop2_seen = false; f.hop2_inferred = true; f.s4u2self = true; f.s4u2self_error = 6;
	ADD("s4u2self_failed", f, offsetof(hs_facts, s4u2self_error));
	f = s4u2proxy_refused(); f.s4u2proxy_ref = R(56);
	f.s4u2self_flags_known = true;
	ADD("s4u2self_not_forwardable", f, 0);
	f.s4u2self_flags_known = false; f.s4u2proxy_has_ntstatus = true;
	f.s4u2proxy_ntstatus = 0xC00000BBu;
	ADD("no_delegation_configured", f, 0);
	f.s4u2proxy_ntstatus = 0xC0000272u;
	ADD("s4u2proxy_target_not_allowed", f, 0);
	f.s4u2proxy_ntstatus = 0xC0000225u;
	ADD("rbcd_denied", f, 0);
	f.s4u2proxy_has_ntstatus = false;
	ADD("s4u2proxy_denied", f, offsetof(hs_facts, s4u2proxy_error));
	f = hop2_failed_as(HS_AUTH_NTLM); f.tgs_error = true; f.tgs_error_code = 7; strcpy(f.tgs_error_sname, "cifs/files.hop.test");
	ADD("spn_unknown", f, 0);
	f.tgs_error_code = 14;
	ADD("etype_not_supported", f, 0);
	f.tgs_error_code = 12;
	ADD("kdc_error", f, offsetof(hs_facts, tgs_error_code));
	f = hop2_failed_as(HS_AUTH_ANONYMOUS); f.forwarded_tgt = true; f.forwarded_error = 13; f.forwarded_ref = R(9);
	ADD("user_not_delegable", f, 0);
	f = base(); f.credssp_asked = f.offers_seen = true; strcpy(f.offers, "Negotiate, Kerberos"); f.hop2_seen = false;
	ADD("credssp_not_enabled_on_server", f, 0);
	f = base(); f.hop1_auth = HS_AUTH_CREDSSP; f.credssp_failed = true; f.hop1_result = HS_RES_FAILED; f.hop2_seen = false;
	ADD("credssp_auth_failed", f, 0);
	f.credssp_status = 0xC000006Du;
	ADD("credssp_auth_failed", f, 0);
	f = hop2_failed_as(HS_AUTH_ANONYMOUS); f.hop1_auth = HS_AUTH_NTLM;
	ADD("ntlm_first_hop", f, 0);
	f = hop2_failed_as(HS_AUTH_KERBEROS); f.hop2_carrier = HS_CAR_WINRM_HTTP; f.hop2_is_winrm = true;
	ADD("winrm_second_hop_needs_credssp_or_fresh_credentials", f, 0);
	/* 3. generic */
	f = hop2_failed_as(HS_AUTH_ANONYMOUS); f.hop1_ticket_reused = true; f.hop1_ticket_first_ref = R(3); f.server_trusted_seen = true;
	ADD("stale_service_ticket", f, 0);
	f = hop2_failed_as(HS_AUTH_ANONYMOUS); f.hop1_decrypted = true; f.hop1_dec_ref = R(6);
	ADD("no_delegation_configured", f, 0);
	f.hop1_ok_as_delegate = true;
	ADD("tgt_not_forwarded", f, 0);
	f = hop2_failed_as(HS_AUTH_ANONYMOUS); f.server_trusted_seen = true;
	ADD("tgt_not_forwarded", f, 0);
	f = hop2_failed_as(HS_AUTH_KERBEROS); f.hop2_as_user = f.hop2_auth_ok = true; strcpy(f.hop2_status_name, "STATUS_ACCESS_DENIED");
	ADD("access_denied_on_target", f, 0);
	f = hop2_failed_as(HS_AUTH_ANONYMOUS); strcpy(f.hop2_status_name, "STATUS_ACCESS_DENIED");
	ADD("second_hop_anonymous", f, 0);
	f = hop2_failed_as(HS_AUTH_KERBEROS); f.hop2_as_machine = true; strcpy(f.hop2_principal, "SRV1$@HOP.TEST");
	ADD("second_hop_as_machine_account", f, 0);
	f = hop2_failed_as(HS_AUTH_KERBEROS);
	ADD("unknown", f, 0);
	/* 4. what the input cannot show */
	f = base(); f.hop2_seen = false; f.forwarded_tgt = true;
	ADD("unknown", f, 0);
	f = base(); f.hop2_auth = HS_AUTH_KERBEROS; f.hop2_result = HS_RES_UNKNOWN;
	ADD("unknown", f, 0);
	/* 4. ... but the user saw what became of hop 2 */
	f = base(); f.hop2_seen = false; f.user_saw_ref = R(80);
	strcpy(f.user_saw, "kvno: KDC can't fulfill requested option cifs/srv2.hop.test@HOP.TEST: constrained delegation failed");
	ADD("s4u2proxy_denied", f, 0);
	strcpy(f.user_saw, "The network connection failed with KRB_AP_ERR_SKEW");
	ADD("clock_skew", f, 0);
	strcpy(f.user_saw, "kinit: KDC_ERR_POLICY");
	ADD("kdc_error", f, 0);
	strcpy(f.user_saw, "Access is denied. (Exception from HRESULT: 0x80070005 (E_ACCESSDENIED))");
	ADD("no_credentials_delegated", f, 0);
	f.hop1_decrypted = true; f.hop1_dec_ref = R(6);
	ADD("no_delegation_configured", f, 0);
	f.hop1_ok_as_delegate = true;
	ADD("tgt_not_forwarded", f, 0);
	f.hop1_decrypted = f.hop1_ok_as_delegate = false; f.server_trusted_seen = true;
	ADD("tgt_not_forwarded", f, 0);
	f.hop1_ticket_reused = true; f.hop1_ticket_first_ref = R(2);
	ADD("stale_service_ticket", f, 0);
	f.server_trusted_seen = f.hop1_ticket_reused = false; f.forwarded_tgt = true; f.forwarded_ref = R(4);
	ADD("second_hop_refused", f, 0);
#undef ADD
	return n;
}

/* Codes a KRB-ERROR can carry (RFC 4120 7.5.9), and one nobody defined. */
static const int32_t kdc_codes[] = { 1, 2, 6, 7, 8, 9, 12, 13, 14, 16, 18, 19, 23, 24, 25, 29, 31, 32, 37, 38, 41, 44, 60, 68, 99 };

static void test_every_cause(void)
{
	static cause_case cases[96];
	size_t n = all_cases(cases, sizeof cases / sizeof cases[0]);
	CU_ASSERT(n < sizeof cases / sizeof cases[0]);
	bool seen[64] = { false };
	CU_ASSERT_FATAL(hs_rules_count() <= sizeof seen / sizeof seen[0]);
	bad_texts = 0;
	for (size_t i = 0; i < n; i++) {
		hs_diag d = run(&cases[i].f);
		CU_ASSERT_STRING_EQUAL(d.cause, cases[i].cause);
		if (strcmp(d.cause, cases[i].cause))
			printf("\n  case %zu: got %s, want %s\n", i, d.cause, cases[i].cause);
		for (size_t r = 0; r < hs_rules_count(); r++)
			seen[r] |= !strcmp(hs_rules_cause(r), d.cause);
		check_texts(&d, "named");
		hs_facts nf = nameless(cases[i].f);
		hs_diag dn = run(&nf);
		check_texts(&dn, "nameless");
		/* the user saw an error line: the explanation quotes it */
		hs_facts sf = cases[i].f;
		strcpy(sf.user_saw, "Access is denied");
		sf.user_saw_ref = R(70);
		hs_diag ds = run(&sf);
		CU_ASSERT(strstr(ds.explanation, "\"Access is denied\"") != NULL);
		if (!cases[i].code)
			continue;
		/* every code the cause can carry */
		size_t off = cases[i].code;
		for (size_t k = 0; k < sizeof kdc_codes / sizeof kdc_codes[0]; k++) {
			hs_facts cf = cases[i].f;
			*(int32_t *)((char *)&cf + off) = kdc_codes[k];
			hs_diag dc = run(&cf);
			check_texts(&dc, "code");
			const char *name = hs_krb_error_name(kdc_codes[k]);
			char want[96];
			if (name)
				snprintf(want, sizeof want, "%s", name);
			else
				snprintf(want, sizeof want, "Kerberos error %d", kdc_codes[k]);
			if (!strstr(dc.detail, want) && !strstr(dc.explanation, want)) {
				printf("\n  %s with code %d does not name it: %s\n", dc.cause, kdc_codes[k], dc.detail);
				bad_texts++;
			}
			hs_facts nc = nameless(cf);
			hs_diag dnc = run(&nc);
			check_texts(&dnc, "code, nameless");
		}
	}
	CU_ASSERT_EQUAL(bad_texts, 0);
	/* the cases cover every cause of the table */
	for (size_t r = 0; r < hs_rules_count(); r++) {
		if (!seen[r])
			printf("\n  no case gives %s\n", hs_rules_cause(r));
		CU_ASSERT(seen[r]);
	}
}

/* The words fit the code (RFC 4120 7.5.9, MS-KILE 3.3.5.7.1, MS-SFU 3.2.5). */
static bool says(const hs_diag *d, const char *words)
{
	return strstr(d->detail, words) || strstr(d->explanation, words);
}

static void test_kdc_code_wording(void)
{
	/* S4U2Self for a user the KDC does not know: not a delegation refusal,
	 * and no delegation remedy */
	hs_facts f = base();
	f.hop2_seen = false;
	f.hop2_inferred = true;
	f.hop2_result = HS_RES_FAILED;
	f.s4u2self = true;
	f.s4u2self_error = 6;
	hs_diag d = run(&f);
	CU_ASSERT_STRING_EQUAL(d.cause, "s4u2self_failed");
	CU_ASSERT(says(&d, "KDC_ERR_C_PRINCIPAL_UNKNOWN"));
	CU_ASSERT(says(&d, "no account for"));
	CU_ASSERT(says(&d, "No delegation setting was refused"));
	CU_ASSERT_FALSE(says(&d, "not allowed"));
	for (unsigned i = 0; i < d.nremedies; i++)
		CU_ASSERT(d.remedies[i].method != HS_METHOD_RBCD && d.remedies[i].method != HS_METHOD_CREDSSP);
	CU_ASSERT(has_cmd(&d, "Get-ADUser"));
	/* the user's account revoked */
	f.s4u2self_error = 18;
	d = run(&f);
	CU_ASSERT(says(&d, "KDC_ERR_CLIENT_REVOKED"));
	CU_ASSERT(says(&d, "disabled"));
	CU_ASSERT(has_cmd(&d, "LockedOut"));

	/* S4U2Proxy: BADOPTION is the delegation check; other codes are not */
	f = s4u2proxy_refused();
	d = run(&f);
	CU_ASSERT(says(&d, "msDS-AllowedToDelegateTo"));
	f.s4u2proxy_error = 14;
	d = run(&f);
	CU_ASSERT(says(&d, "KDC_ERR_ETYPE_NOSUPP"));
	CU_ASSERT(says(&d, "encryption type"));
	CU_ASSERT_FALSE(says(&d, "msDS-AllowedToDelegateTo list"));
	f.s4u2proxy_error = 12;
	d = run(&f);
	CU_ASSERT(says(&d, "KDC_ERR_POLICY"));
	CU_ASSERT(says(&d, "policy"));
	f.s4u2proxy_error = 7;
	d = run(&f);
	CU_ASSERT(says(&d, "KDC_ERR_S_PRINCIPAL_UNKNOWN"));
	CU_ASSERT(has_cmd(&d, "setspn -S cifs/srv2.hop.test $TargetAccount"));
	f.hop2_auth = HS_AUTH_NTLM;
	strcpy(f.t_account, "SRV2");
	d = run(&f);
	CU_ASSERT(has_cmd(&d, "setspn -S cifs/srv2.hop.test srv2"));

	/* a ticket for the second hop refused for another reason than its SPN */
	f = base();
	f.hop2_auth = HS_AUTH_KERBEROS;
	f.hop2_result = HS_RES_FAILED;
	f.tgs_error = true;
	f.tgs_error_code = 14;
	strcpy(f.tgs_error_sname, "cifs/srv2.hop.test");
	f.tgs_error_ref = R(44);
	d = run(&f);
	CU_ASSERT_STRING_EQUAL(d.cause, "etype_not_supported");
	CU_ASSERT(says(&d, "encryption type"));
	CU_ASSERT(has_cmd(&d, "-KerberosEncryptionType AES128,AES256"));
	CU_ASSERT_EQUAL(d.decisive.frame, 44);

	/* a fresh logon refused: the account, not the password */
	f = base();
	f.hop2_seen = false;
	f.hop2_inferred = true;
	f.hop2_result = HS_RES_FAILED;
	f.fresh_as = true;
	f.fresh_as_error = 18;
	d = run(&f);
	CU_ASSERT_STRING_EQUAL(d.cause, "kdc_error");
	CU_ASSERT(says(&d, "locked out"));
	CU_ASSERT_FALSE(says(&d, "wrong password"));
	f.fresh_as_error = 6;
	d = run(&f);
	CU_ASSERT(says(&d, "no account for the client name"));

	/* KRB_AP_ERR_SKEW is a clock problem, KRB_AP_ERR_BADADDR is not */
	f = base();
	f.skew = true;
	f.skew_error = 37;
	CU_ASSERT_STRING_EQUAL(run(&f).cause, "clock_skew");
	f.skew_error = 38;
	d = run(&f);
	CU_ASSERT_STRING_EQUAL(d.cause, "kdc_error");
	CU_ASSERT(says(&d, "KRB_AP_ERR_BADADDR"));
	CU_ASSERT_FALSE(says(&d, "clock"));
}

/* Names the capture does not give are said in words, once, and commands
 * ask for them instead of carrying a placeholder. */
static void test_unknown_names(void)
{
	hs_facts f = nameless(base());
	f.hop2_auth = HS_AUTH_ANONYMOUS;
	f.hop2_result = HS_RES_FAILED;
	hs_diag d = run(&f);
	CU_ASSERT_STRING_EQUAL(d.cause, "second_hop_anonymous");
	CU_ASSERT(strstr(d.detail, "the user (not seen in the capture)") != NULL);
	CU_ASSERT(strncmp(d.detail, "The first server (not seen in the capture) held", 47) == 0);
	CU_ASSERT(strstr(d.explanation, "the second server (not seen in the capture)") != NULL);
	CU_ASSERT(has_cmd(&d, "$SecondServer = Read-Host"));
	CU_ASSERT(has_cmd(&d, "Set-ADComputer $SecondServer -PrincipalsAllowedToDelegateToAccount (Get-ADComputer $FirstServer)"));
	CU_ASSERT(has_cmd(&d, "$cred = Get-Credential"));
	CU_ASSERT(has_cmd(&d, "-Credential (Get-Credential)"));
	/* an address stands in for a name the capture does not give */
	strcpy(f.s_ip, "10.0.0.11");
	strcpy(f.t_ip, "10.0.0.12");
	d = run(&f);
	CU_ASSERT(strstr(d.explanation, "10.0.0.12") != NULL);
	CU_ASSERT(has_cmd(&d, "Invoke-Command -ComputerName 10.0.0.11 -ScriptBlock { klist purge"));
	CU_ASSERT(has_cmd(&d, "Read-Host 'Host name of the second server (10.0.0.12; its name is not in the capture)'"));
	/* NTLM by address: resolve the name the client should use */
	f = base();
	f.hop1_auth = HS_AUTH_NTLM;
	f.s_name[0] = f.s_short[0] = 0;
	f.hop2_auth = HS_AUTH_ANONYMOUS;
	f.hop2_result = HS_RES_FAILED;
	d = run(&f);
	CU_ASSERT(has_cmd(&d, "Invoke-Command -ComputerName ([System.Net.Dns]::GetHostEntry('10.0.0.11').HostName)"));
}

/* What the user saw on hop 1 goes into the explanation, said as the
 * refusal it is (issue 16). */
static void test_user_saw(void)
{
	hs_facts f = base();
	f.hop2_auth = HS_AUTH_ANONYMOUS;
	f.hop2_result = HS_RES_FAILED;
	strcpy(f.user_saw, "Access is denied");
	f.user_saw_ref = R(61);
	hs_diag d = run(&f);
	CU_ASSERT(strstr(d.explanation, "The user saw srv2.hop.test's refusal on hop 1 as: \"Access is denied\".") != NULL);
	bool cited = false;
	for (unsigned i = 0; i < d.nevidence; i++)
		cited |= d.evidence[i].frame == 61;
	CU_ASSERT(cited);
	f = s4u2proxy_refused();
	strcpy(f.user_saw, "kvno: KDC can't fulfill requested option");
	d = run(&f);
	CU_ASSERT(strstr(d.explanation, "The user saw the KDC's refusal on hop 1 as: \"kvno: KDC can't fulfill requested option\".") != NULL);
	/* a long line is cut on a character boundary */
	memset(f.user_saw, 'a', sizeof f.user_saw - 3);
	memcpy(f.user_saw + 196, "\xc3\xa9", 2);
	f.user_saw[sizeof f.user_saw - 1] = 0;
	d = run(&f);
	CU_ASSERT(strstr(d.explanation, "aaa...\".") != NULL);
}

/* Issue 17: the target's clock from its SMB2 NEGOTIATE response (lab 26:
 * srv2 15 minutes ahead, STATUS_LOGON_FAILURE, no KRB-ERROR). */
static void test_clock_from_server_time(void)
{
	hs_facts f = hop2_failed_as(HS_AUTH_KERBEROS);
	f.tgt_unknown_used = true;
	strcpy(f.hop2_status_name, "STATUS_LOGON_FAILURE");
	f.hop2_clock_known = true;
	f.hop2_clock_offset_ns = 900 * 1000000000LL + 2500000; /* 15 min ahead */
	f.hop2_clock_ref = R(20);
	hs_diag d = run(&f);
	CU_ASSERT_STRING_EQUAL(d.cause, "clock_skew");
	CU_ASSERT_EQUAL(d.method, HS_METHOD_UNCONSTRAINED);
	CU_ASSERT_EQUAL(d.decisive.frame, 20);
	CU_ASSERT(strstr(d.detail, "15 minutes ahead of") != NULL);
	CU_ASSERT(has_cmd(&d, "w32tm /resync   # on srv2.hop.test"));
	/* behind, too */
	f.hop2_clock_offset_ns = -(2 * 3600 + 7 * 60) * 1000000000LL;
	d = run(&f);
	CU_ASSERT_STRING_EQUAL(d.cause, "clock_skew");
	CU_ASSERT(strstr(d.detail, "2 hours 7 minutes behind") != NULL);
	/* within the 5 minutes Kerberos allows: not the clock */
	f.hop2_clock_offset_ns = 299 * 1000000000LL;
	CU_ASSERT_STRING_NOT_EQUAL(run(&f).cause, "clock_skew");
	/* an anonymous (NTLM) hop 2 does not care about clocks */
	f = hop2_failed_as(HS_AUTH_ANONYMOUS);
	f.hop2_clock_known = true;
	f.hop2_clock_offset_ns = 900 * 1000000000LL;
	CU_ASSERT_STRING_EQUAL(run(&f).cause, "second_hop_anonymous");
	/* hop 2 worked: the clock did not matter */
	f = base();
	f.forwarded_tgt = f.tgt_forwarded_used = f.hop2_as_user = true;
	f.hop2_auth = HS_AUTH_KERBEROS;
	f.hop2_result = HS_RES_OK;
	f.hop2_clock_known = true;
	f.hop2_clock_offset_ns = 900 * 1000000000LL;
	CU_ASSERT_STRING_EQUAL(run(&f).cause, "ok");
}

/* Issue 17: a cached hop-1 ticket from before the server became trusted
 * (lab 23, session 2). */
static void test_stale_ticket(void)
{
	hs_facts f = hop2_failed_as(HS_AUTH_ANONYMOUS);
	strcpy(f.hop2_status_name, "STATUS_ACCESS_DENIED");
	f.hop1_ticket_reused = true;
	f.hop1_ticket_first_ref = R(3);
	f.server_trusted_seen = true;
	hs_diag d = run(&f);
	CU_ASSERT_STRING_EQUAL(d.cause, "stale_service_ticket");
	CU_ASSERT_EQUAL(d.method, HS_METHOD_UNCONSTRAINED);
	CU_ASSERT_EQUAL(d.verdict, HS_VERDICT_FAILED);
	CU_ASSERT_EQUAL(d.decisive.frame, 3);
	CU_ASSERT(has_cmd(&d, "klist purge"));
	CU_ASSERT(d.nneeds > 0); /* the keytab would confirm the missing ok-as-delegate */
	/* decrypted and without ok-as-delegate: settled, no need for the keytab */
	f.hop1_decrypted = true;
	f.hop1_dec_ref = R(6);
	d = run(&f);
	CU_ASSERT_STRING_EQUAL(d.cause, "stale_service_ticket");
	CU_ASSERT(strstr(d.detail, "issued without ok-as-delegate") != NULL);
	/* the cached ticket does carry ok-as-delegate: the client just did not ask */
	f.hop1_ok_as_delegate = true;
	CU_ASSERT_STRING_EQUAL(run(&f).cause, "tgt_not_forwarded");
	/* the server is not trusted anywhere in the input: no fix to have missed */
	f.hop1_ok_as_delegate = false;
	f.server_trusted_seen = false;
	CU_ASSERT_STRING_EQUAL(run(&f).cause, "no_delegation_configured");
	/* a fresh ticket (first session): the plain cause */
	f = hop2_failed_as(HS_AUTH_ANONYMOUS);
	f.server_trusted_seen = true;
	CU_ASSERT_STRING_EQUAL(run(&f).cause, "tgt_not_forwarded");
}

/* Issue 16: what the user saw sharpens the cause when hop 2 is not in the
 * input (the client's capture of sealed WinRM, opened with the keys). */
static void test_user_saw_cause(void)
{
	CU_ASSERT_EQUAL(hs_rules_saw_says("Access is denied. (Exception from HRESULT: 0x80070005 (E_ACCESSDENIED))"), HS_SAW_DENIED);
	CU_ASSERT_EQUAL(hs_rules_saw_says("tree connect failed: NT_STATUS_ACCESS_DENIED"), HS_SAW_DENIED);
	CU_ASSERT_EQUAL(hs_rules_saw_says("Login failed for user 'NT AUTHORITY\\ANONYMOUS LOGON'."), HS_SAW_ANONYMOUS);
	CU_ASSERT_EQUAL(hs_rules_saw_says("WinRM cannot process the request ... 0x8009030e occurred ... A specified logon session does not exist."), HS_SAW_NO_CREDENTIALS);
	CU_ASSERT_EQUAL(hs_rules_saw_says("session setup failed: NT_STATUS_LOGON_FAILURE"), HS_SAW_LOGON_FAILURE);
	CU_ASSERT_EQUAL(hs_rules_saw_says("kvno: KDC can't fulfill requested option cifs/srv2.hop.test@HOP.TEST: constrained delegation failed"), HS_SAW_S4U2PROXY);
	CU_ASSERT_EQUAL(hs_rules_saw_says("The network path was not found."), HS_SAW_NOT_FOUND);
	CU_ASSERT_EQUAL(hs_rules_saw_says("Directory: \\\\srv2\\share"), HS_SAW_NONE);
	CU_ASSERT_EQUAL(hs_rules_saw_says(""), HS_SAW_NONE);

	/* the client's view, Kerberos hop 1 without a forwarded TGT, the user saw "Access is denied" */
	hs_facts f = base();
	f.hop2_seen = false;
	f.s_outbound_visible = false;
	strcpy(f.user_saw, "tree connect failed: NT_STATUS_ACCESS_DENIED");
	f.user_saw_ref = R(70);
	hs_diag d = run(&f);
	CU_ASSERT_STRING_EQUAL(d.cause, "no_credentials_delegated");
	CU_ASSERT_EQUAL(d.verdict, HS_VERDICT_FAILED);
	CU_ASSERT_EQUAL(d.decisive.frame, 70);
	/* without the line: nothing to tell */
	f.user_saw[0] = 0;
	d = run(&f);
	CU_ASSERT_STRING_EQUAL(d.cause, "unknown");
	CU_ASSERT(d.verdict != HS_VERDICT_FAILED);
	/* the client's TGT went along: the target refused what reached it */
	strcpy(f.user_saw, "Access is denied");
	f.forwarded_tgt = true;
	CU_ASSERT_STRING_EQUAL(run(&f).cause, "second_hop_refused");
	/* the server is trusted (another session sent it a TGT), this client sent none: with a ticket cached
	 * from an earlier session that is the stale ticket (lab 23 from client1) */
	f.forwarded_tgt = false;
	f.server_trusted_seen = true;
	CU_ASSERT_STRING_EQUAL(run(&f).cause, "tgt_not_forwarded");
	f.hop1_ticket_reused = true;
	d = run(&f);
	CU_ASSERT_STRING_EQUAL(d.cause, "stale_service_ticket");
	CU_ASSERT(has_cmd(&d, "klist purge"));
	f.server_trusted_seen = f.hop1_ticket_reused = false;
	/* a line that is no refusal changes nothing */
	f.forwarded_tgt = false;
	strcpy(f.user_saw, "The network path was not found.");
	CU_ASSERT_STRING_EQUAL(run(&f).cause, "unknown");
	/* "A specified logon session does not exist": the first server says it had nothing, even unseen */
	f.client_kdc_visible = false;
	strcpy(f.user_saw, "A specified logon session does not exist. It may already have been terminated.");
	CU_ASSERT_STRING_EQUAL(run(&f).cause, "no_credentials_delegated");
	/* NTLM hop 1 with a refusal the user saw: failed, not unknown */
	f = base();
	f.hop1_auth = HS_AUTH_NTLM;
	f.hop2_seen = false;
	strcpy(f.user_saw, "tree connect failed: NT_STATUS_ACCESS_DENIED");
	d = run(&f);
	CU_ASSERT_STRING_EQUAL(d.cause, "ntlm_first_hop");
	CU_ASSERT_EQUAL(d.verdict, HS_VERDICT_FAILED);
	/* hop 2 seen: the protocol evidence decides, the line is quoted */
	f = hop2_failed_as(HS_AUTH_ANONYMOUS);
	strcpy(f.user_saw, "tree connect failed: NT_STATUS_ACCESS_DENIED");
	CU_ASSERT_STRING_EQUAL(run(&f).cause, "second_hop_anonymous");
}

HS_UNIT_MAIN("rules",
	{ "clock from the target's SMB2 system time", test_clock_from_server_time },
	{ "cached hop-1 ticket from before the fix", test_stale_ticket },
	{ "what the user saw decides the cause without hop 2", test_user_saw_cause },
	{ "keytab: hop-1 ticket flags and forwarded TGT", test_keytab_hop1 },
	{ "keytab: S4U2Self ticket forwardable flag", test_keytab_s4u2self_flag },
	{ "anonymous second hop, trusted server", test_anonymous },
	{ "machine account", test_machine_account },
	{ "NTLM first hop", test_ntlm_first_hop },
	{ "unconstrained delegation works", test_unconstrained_ok },
	{ "S4U2Self / S4U2Proxy failures by NTSTATUS", test_s4u2proxy },
	{ "fresh credentials, wrong password, RunAs", test_fresh_and_runas },
	{ "SPN unknown, clock skew, CredSSP, WinRM hop 2", test_spn_skew_credssp_winrm },
	{ "etype not supported, user not delegable", test_etype_and_not_delegable },
	{ "hop 1 only", test_hop1_only },
	{ "every cause, every KDC code, names missing: no placeholder", test_every_cause },
	{ "KDC error codes worded by their meaning", test_kdc_code_wording },
	{ "names the capture does not give", test_unknown_names },
	{ "what the user saw in the explanation", test_user_saw })
