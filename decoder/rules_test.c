/* rules_test.c - the diagnosis on synthetic fact sets: each case is a
 * situation of double-hop-domain.md, described only by what the wire would
 * show, and the cause the contract prescribes for it. */
#include <CUnit/Basic.h>
#include <string.h>

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
	CU_ASSERT(has_cmd(&d, "setspn -S cifs/files.hop.test srv2"));

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
	/* no names at all: placeholders, never garbage */
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

HS_UNIT_MAIN("rules",
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
	{ "hop 1 only", test_hop1_only })
