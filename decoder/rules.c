/* rules.c - the diagnosis (see rules.h).
 *
 * Order matters: first what the evidence proves worked, then the most
 * specific failure the evidence supports, then the generic failures, then
 * what cannot be told from this input.  Sources for the facts used here:
 * MS-SFU 3.2.5 (S4U2Self / S4U2Proxy), MS-KILE 2.2.1 (KERB-EXT-ERROR),
 * RFC 4120 2.6 (forwarded tickets), MS-CSSP, and Microsoft's "Making the
 * second hop in PowerShell Remoting" for the remedies and their trade-offs.
 */
#include "rules.h"

#include <ctype.h>
#include <stdarg.h>
#include <stdio.h>

/* Every text field is fixed-size on purpose (bounded memory): truncating a
 * very long name is the intended behaviour, not a bug. */
#if defined(__GNUC__) && !defined(__clang__) /* a GCC-only warning */
#pragma GCC diagnostic ignored "-Wformat-truncation"
#endif
#include <string.h>

#include "krb5.h"
#include "ntstatus.h"

typedef struct names {
	char user[HS_NAME_MAX];   /* alice@HOP.TEST */
	char uname[HS_NAME_MAX];  /* alice */
	char s[HS_NAME_MAX];      /* srv1.hop.test */
	char ss[64];              /* srv1 */
	char SS[64];              /* SRV1 (account names) */
	char TS[64];
	char t[HS_NAME_MAX];      /* srv2.hop.test */
	char ts[64];              /* srv2 */
	char spn[HS_NAME_MAX];    /* cifs/srv2.hop.test */
} names;

static void fill_names(const hs_facts *f, names *n)
{
	snprintf(n->user, sizeof n->user, "%s", f->user[0] ? f->user : "<user>");
	snprintf(n->uname, sizeof n->uname, "%.*s", (int)strcspn(n->user, "@"), n->user);
	const char *bs = strchr(n->uname, '\\');
	if (bs)
		memmove(n->uname, bs + 1, strlen(bs));
	snprintf(n->s, sizeof n->s, "%s", f->s_name[0] ? f->s_name : (f->s_ip[0] ? f->s_ip : "<server1>"));
	snprintf(n->ss, sizeof n->ss, "%s", f->s_short[0] ? f->s_short : "<server1>");
	snprintf(n->t, sizeof n->t, "%s", f->t_name[0] ? f->t_name : "<server2>");
	snprintf(n->ts, sizeof n->ts, "%s", f->t_short[0] ? f->t_short : "<server2>");
	snprintf(n->SS, sizeof n->SS, "%s", n->ss);
	snprintf(n->TS, sizeof n->TS, "%s", n->ts);
	for (char *p = n->SS; *p && *p != '<'; p++)
		*p = (char)toupper((unsigned char)*p);
	for (char *p = n->TS; *p && *p != '<'; p++)
		*p = (char)toupper((unsigned char)*p);
	if (f->t_spn[0])
		snprintf(n->spn, sizeof n->spn, "%s", f->t_spn);
	else
		snprintf(n->spn, sizeof n->spn, "cifs/%s", n->t);
}

static void ev(hs_diag *d, hs_ref r)
{
	if (!r.frame)
		return;
	for (unsigned i = 0; i < d->nevidence; i++)
		if (d->evidence[i].input == r.input && d->evidence[i].frame == r.frame)
			return;
	if (d->nevidence < HS_EVIDENCE_MAX)
		d->evidence[d->nevidence++] = r;
}

static void need(hs_diag *d, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void need(hs_diag *d, const char *fmt, ...)
{
	if (d->nneeds >= HS_NEEDS_MAX)
		return;
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(d->needs[d->nneeds++], sizeof d->needs[0], fmt, ap);
	va_end(ap);
}

static hs_remedy *remedy(hs_diag *d, hs_method m, const char *summary, const char *security)
{
	if (d->nremedies >= HS_REMEDY_MAX)
		return NULL;
	hs_remedy *r = &d->remedies[d->nremedies++];
	memset(r, 0, sizeof *r);
	r->method = m;
	snprintf(r->summary, sizeof r->summary, "%s", summary);
	snprintf(r->security, sizeof r->security, "%s", security);
	return r;
}

static void cmd(hs_remedy *r, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void cmd(hs_remedy *r, const char *fmt, ...)
{
	if (!r || r->ncommands >= HS_REMEDY_CMDS)
		return;
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(r->commands[r->ncommands++], sizeof r->commands[0], fmt, ap);
	va_end(ap);
}

/* The standard list, most secure first (Microsoft's second-hop guidance). */
static void remedies_std(hs_diag *d, const names *n, bool winrm_target, bool want_rbcd, bool want_fresh,
			 bool want_credssp, bool want_kcd)
{
	hs_remedy *r;
	if (want_rbcd && !winrm_target) {
		r = remedy(d, HS_METHOD_RBCD,
			   "Let the second server accept delegated identities from the first (resource-based constrained delegation)",
			   "Most contained: only the first server's account may delegate, only to this resource, and no password or TGT leaves the client. The KDC caches a refusal for 15 minutes: purge the first server's tickets after the change. Does not work for accounts that are sensitive or in Protected Users.");
		cmd(r, "Set-ADComputer %s -PrincipalsAllowedToDelegateToAccount (Get-ADComputer %s)", n->ts, n->ss);
		cmd(r, "Invoke-Command -ComputerName %s -ScriptBlock { klist purge -li 0x3e7 }", n->s);
	}
	if (want_fresh) {
		r = remedy(d, HS_METHOD_FRESH,
			   "Pass credentials explicitly to the second hop ($using:cred)",
			   "No delegation configuration at all; the password travels inside the encrypted first-hop session and is used on the first server only for this script block. The script must handle a credential object; a compromised first server sees it while it runs.");
		cmd(r, "$cred = Get-Credential %s", n->user);
		cmd(r, "Invoke-Command -ComputerName %s -ScriptBlock { Get-ChildItem \\\\%s\\share -Credential $using:cred }", n->s, n->t);
	}
	if (want_kcd && !winrm_target) {
		r = remedy(d, HS_METHOD_CONSTRAINED,
			   "Classic constrained delegation from the first server to this service",
			   "Limited to the listed SPNs, but configured on the first server's account (domain admin right needed) and, with protocol transition, the first server can impersonate any user to those services.");
		cmd(r, "Set-ADComputer %s -Add @{'msDS-AllowedToDelegateTo'='%s'}", n->ss, n->spn);
		cmd(r, "Set-ADAccountControl (Get-ADComputer %s) -TrustedToAuthForDelegation $true", n->ss);
	}
	if (want_credssp) {
		r = remedy(d, HS_METHOD_CREDSSP,
			   "CredSSP: send the user's credentials to the first server",
			   "Works for every kind of second hop (also WinRM), but the first server receives the reusable password: anyone in control of it can reuse it. Does not work for Protected Users; avoid for privileged accounts.");
		cmd(r, "Enable-WSManCredSSP -Role Client -DelegateComputer %s   # on the client", n->s);
		cmd(r, "Enable-WSManCredSSP -Role Server   # on %s", n->ss);
		cmd(r, "Invoke-Command -ComputerName %s -Authentication CredSSP -Credential %s -ScriptBlock { ... }", n->s, n->user);
	}
}

static void remedy_unconstrained_note(hs_diag *d, const names *n)
{
	hs_remedy *r = remedy(d, HS_METHOD_UNCONSTRAINED,
			      "Unconstrained delegation (least secure: listed for completeness)",
			      "The first server receives the user's TGT and can act as the user anywhere in the domain; Microsoft recommends against it. The client must also ask for delegation (the ticket carries ok-as-delegate only when the server is trusted).");
	cmd(r, "Set-ADComputer %s -TrustedForDelegation $true", n->ss);
}

static const char *krb_err(int32_t code, char *buf, size_t n)
{
	const char *nm = hs_krb_error_name(code);
	if (nm)
		snprintf(buf, n, "%s (%d)", nm, code);
	else
		snprintf(buf, n, "Kerberos error %d", code);
	return buf;
}

static void set(hs_diag *d, hs_method m, hs_verdict v, const char *cause)
{
	d->method = m;
	d->verdict = v;
	d->cause = cause;
}

static void detail(hs_diag *d, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void detail(hs_diag *d, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(d->detail, sizeof d->detail, fmt, ap);
	va_end(ap);
}

static void explain(hs_diag *d, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void explain(hs_diag *d, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(d->explanation, sizeof d->explanation, fmt, ap);
	va_end(ap);
}

static const char *hop2_what(const hs_facts *f)
{
	switch (f->hop2_carrier) {
	case HS_CAR_SMB2:
		return "the SMB connection";
	case HS_CAR_LDAP:
		return "the LDAP bind";
	case HS_CAR_MSSQL:
		return "the SQL Server login";
	case HS_CAR_DCERPC:
		return "the DCOM/RPC call";
	case HS_CAR_WINRM_HTTP:
	case HS_CAR_WINRM_HTTPS:
		return "the nested WinRM connection";
	default:
		return "the second hop";
	}
}

void hs_rules_diagnose(const hs_facts *f, hs_diag *d)
{
	memset(d, 0, sizeof *d);
	names n;
	fill_names(f, &n);
	char e1[96];
	bool hop2_ok = f->hop2_result == HS_RES_OK || (f->hop2_inferred && f->hop2_auth_ok);
	bool hop2_failed = f->hop2_result == HS_RES_FAILED;
	bool anon = f->hop2_auth == HS_AUTH_ANONYMOUS;

	ev(d, f->forwarded_ref);
	ev(d, f->s4u2self_ref);
	ev(d, f->s4u2proxy_ref);
	ev(d, f->fresh_as_ref);
	ev(d, f->other_as_ref);
	ev(d, f->tgt_ref);
	ev(d, f->tgs_error_ref);
	ev(d, f->hop2_ref);
	ev(d, f->skew_ref);
	ev(d, f->user_saw_ref);

	/* ---- 1. what worked ---- */
	if (hop2_ok && (f->hop2_as_user || !f->hop2_principal[0]) && f->hop1_auth == HS_AUTH_CREDSSP) {
		set(d, HS_METHOD_CREDSSP, HS_VERDICT_DELEGATED, "ok");
		detail(d, "%s delegated %s's credentials to %s with CredSSP; %s authenticated as %s.", "The client", n.user, n.s, hop2_what(f), n.user);
		explain(d, "Hop 1 used CredSSP, which hands the user's password to %s. %s then logged on to %s as %s. This works, but %s holds a reusable credential of %s; consider resource-based constrained delegation or $using:cred instead.", n.s, n.ss, n.t, n.user, n.ss, n.uname);
		return;
	}
	if (hop2_ok && f->fresh_as && f->fresh_as_ok && (f->hop2_as_user || !f->hop2_principal[0])) {
		set(d, HS_METHOD_FRESH, HS_VERDICT_DELEGATED, "ok");
		if (f->tgs_error && f->tgs_error_code == 7)
			detail(d, "%s authenticated anew as %s (AS exchange); Kerberos for %s failed with KDC_ERR_S_PRINCIPAL_UNKNOWN (no such SPN), %s fell back to %s and succeeded as %s.", n.ss, n.user, f->tgs_error_sname, hop2_what(f), hs_auth_name(f->hop2_auth), n.user);
		else
			detail(d, "%s authenticated anew as %s (AS exchange from %s) and reached %s with that identity: fresh credentials, no delegation.", n.ss, n.user, n.ss, n.t);
		explain(d, "No delegation was involved: the script on %s was given %s's credentials (for example Invoke-Command with $using:cred, or a -Credential parameter) and %s logged on to the domain as %s itself before connecting to %s.%s", n.s, n.user, n.ss, n.uname, n.t,
			f->tgs_error && f->tgs_error_code == 7 ? " Kerberos could not be used for the name the script used (no SPN registered for it), so the logon fell back to NTLM; register the SPN or use the host's registered name to keep Kerberos." : "");
		if (f->tgs_error && f->tgs_error_code == 7) {
			hs_remedy *r = remedy(d, HS_METHOD_FRESH, "Register the SPN (or use the registered name) so the second hop keeps Kerberos instead of NTLM",
					      "NTLM works here but cannot be delegated further and is weaker than Kerberos.");
			cmd(r, "setspn -S %s %s", f->tgs_error_sname, n.ts);
		}
		return;
	}
	if (hop2_ok && f->s4u2proxy && f->s4u2proxy_ok) {
		set(d, HS_METHOD_CONSTRAINED, HS_VERDICT_DELEGATED, "ok");
		detail(d, "%s obtained a ticket for %s to itself (S4U2Self) and exchanged it for %s (S4U2Proxy); hop 2 authenticated as %s.", n.ss, n.user, n.spn, n.user);
		explain(d, "Kerberos constrained delegation worked: %s impersonated %s with S4U2Self and S4U2Proxy for %s. Whether the KDC allowed it through msDS-AllowedToDelegateTo on %s$ or resource-based delegation on %s is not visible on the wire (the client sets the resource-based bit of PA-PAC-OPTIONS in both cases).", n.ss, n.user, n.spn, n.SS, n.ts);
		need(d, "the AD configuration (msDS-AllowedToDelegateTo of %s$, msDS-AllowedToActOnBehalfOfOtherIdentity of %s$) to tell classic constrained from resource-based delegation", n.SS, n.TS);
		return;
	}
	if (hop2_ok && (f->tgt_forwarded_used || (f->forwarded_tgt && (f->hop2_as_user || !f->hop2_principal[0]) && f->hop2_auth == HS_AUTH_KERBEROS))) {
		set(d, HS_METHOD_UNCONSTRAINED, HS_VERDICT_DELEGATED, "ok");
		detail(d, "The client forwarded %s's TGT to %s (TGS-REQ with the forwarded option); %s used it for %s and reached %s as %s.", n.user, n.ss, n.ss, n.spn, n.t, n.user);
		explain(d, "Kerberos unconstrained delegation worked: %s is trusted for delegation, the client sent %s's TGT along with hop 1, and %s used that TGT to get a ticket for %s. It works, but %s can now act as %s anywhere in the domain; resource-based constrained delegation limits that to %s.", n.ss, n.uname, n.ss, n.spn, n.ss, n.uname, n.ts);
		remedies_std(d, &n, f->hop2_is_winrm, true, false, false, false);
		return;
	}
	if (hop2_ok && f->tgt_unknown_used && f->hop2_auth == HS_AUTH_KERBEROS && !f->other_as && !f->hop2_as_machine) {
		set(d, HS_METHOD_UNCONSTRAINED, HS_VERDICT_DELEGATED, "ok");
		detail(d, "%s presented a TGT it did not obtain in this capture (no AS exchange of its own) for %s and %s succeeded: a TGT forwarded with hop 1.", n.ss, n.spn, hop2_what(f));
		explain(d, "Hop 2 used Kerberos with a TGT that %s received rather than requested: the signature of unconstrained delegation (the client forwards the user's TGT inside the hop-1 AP-REQ). Whose TGT it was is encrypted on this side of the exchange.", n.ss);
		need(d, "the client's or the DC's capture (the forwarded-TGT request names the user and links the ticket)");
		return;
	}
	if (hop2_ok && f->hop2_as_other && !f->hop2_as_machine) {
		const char *acct = f->hop2_principal[0] ? f->hop2_principal : f->other_principal;
		set(d, HS_METHOD_RUNAS, HS_VERDICT_DELEGATED, "ok");
		detail(d, "Hop 2 succeeded but as %s, not as %s: %s never held %s's credentials (RunAs / fixed account).", acct, n.user, n.ss, n.uname);
		explain(d, "%s reached %s with the fixed account %s (a session configuration RunAs account, a JEA virtual account/gMSA, or explicit credentials of another user). The second server authorises %s, not %s; if that is intended this is a working design, otherwise give the script %s's own credentials or configure delegation.", n.ss, n.t, acct, acct, n.uname, n.uname);
		remedies_std(d, &n, f->hop2_is_winrm, true, true, false, false);
		return;
	}
	if (hop2_ok && !f->user[0] && f->other_as && f->hop2_principal[0] && !f->hop2_as_machine) {
		set(d, HS_METHOD_UNKNOWN, HS_VERDICT_DELEGATED, "ok");
		detail(d, "%s authenticated anew as %s (AS exchange) and hop 2 succeeded as that account: fresh credentials if %s is the hop-1 user, RunAs otherwise.", n.ss, f->hop2_principal, f->hop2_principal);
		explain(d, "The second hop did not use delegation: %s logged on as %s itself. Who authenticated hop 1 is not visible in this input, so it cannot be told whether these were the user's own credentials ($using:cred) or a fixed RunAs account.", n.ss, f->hop2_principal);
		need(d, "the client's or the DC's capture (who hop 1 authenticated as), or %s's keytab to read the hop-1 ticket", n.ss);
		return;
	}

	/* ---- 2. specific failures ---- */
	if (f->skew) {
		set(d, HS_METHOD_UNKNOWN, HS_VERDICT_FAILED, "clock_skew");
		detail(d, "The KDC or the second server rejected a request with KRB_AP_ERR_SKEW: the clocks differ by more than 5 minutes.");
		explain(d, "Kerberos refuses authenticators whose time is more than the allowed skew (5 minutes by default) away from the receiver's clock. Synchronise %s, %s and the domain controllers (w32tm /resync).", n.ss, n.t);
		hs_remedy *r = remedy(d, HS_METHOD_UNKNOWN, "Synchronise the clocks", "No security trade-off.");
		cmd(r, "w32tm /resync   # on %s and %s", n.ss, n.t);
		return;
	}
	if ((f->fresh_as && !f->fresh_as_ok && f->fresh_as_error) || (!f->user[0] && f->other_as && f->fresh_as_error == 24)) {
		hs_method m = f->fresh_as ? HS_METHOD_FRESH : HS_METHOD_UNKNOWN;
		const char *acct = f->fresh_as ? n.user : f->other_principal;
		if (f->fresh_as_error == 24 || f->fresh_as_error == 0x18) {
			set(d, m, HS_VERDICT_FAILED, "preauth_failed");
			detail(d, "%s tried to authenticate anew as %s: KDC_ERR_PREAUTH_FAILED (wrong password); hop 2 never started.", n.ss, acct);
			explain(d, "The script on %s logged on with explicit credentials for %s (for example $using:cred) and the domain controller rejected the password (KDC_ERR_PREAUTH_FAILED, event 4771 on the DC). Nothing was delegated; check the credential passed to the script (and account lockout).", n.s, acct);
		} else {
			set(d, m, HS_VERDICT_FAILED, "kdc_error");
			detail(d, "%s tried to authenticate anew as %s and the KDC answered %s.", n.ss, acct, krb_err(f->fresh_as_error, e1, sizeof e1));
			explain(d, "The fresh logon on %s failed at the KDC (%s), so the second hop could not start.", n.ss, e1);
		}
		hs_remedy *r = remedy(d, m == HS_METHOD_FRESH ? HS_METHOD_FRESH : HS_METHOD_UNKNOWN, "Pass the right credential", "The credential travels inside the encrypted hop-1 session; keep it out of scripts and history.");
		cmd(r, "$cred = Get-Credential %s", acct);
		cmd(r, "Invoke-Command -ComputerName %s -ScriptBlock { Get-ChildItem \\\\%s\\share -Credential $using:cred }", n.s, n.t);
		if (!f->fresh_as)
			need(d, "the client's or the DC's capture (who hop 1 authenticated as: fresh credentials of the same user or a RunAs account)");
		return;
	}
	if (f->s4u2self && !f->s4u2self_ok && f->s4u2self_error) {
		set(d, HS_METHOD_CONSTRAINED, HS_VERDICT_FAILED, "s4u2self_failed");
		detail(d, "%s asked the KDC for a ticket for %s to itself (S4U2Self) and got %s.", n.ss, n.user, krb_err(f->s4u2self_error, e1, sizeof e1));
		explain(d, "Constrained delegation starts with S4U2Self: %s asks for a service ticket for %s to itself. The KDC refused (%s), so S4U2Proxy could not follow. Typical reasons: the user does not exist in that realm (name/UPN typo), or the account of %s is not allowed to use S4U.", n.ss, n.uname, e1, n.ss);
		remedies_std(d, &n, f->hop2_is_winrm, true, true, true, false);
		return;
	}
	if (f->s4u2proxy && !f->s4u2proxy_ok && f->s4u2proxy_error) {
		hs_method m = HS_METHOD_CONSTRAINED;
		const char *cause = "s4u2proxy_denied";
		const char *why = "";
		if (f->s4u2proxy_has_ntstatus) {
			switch (f->s4u2proxy_ntstatus) {
			case 0xC00000BBu:
				cause = "no_delegation_configured";
				why = " STATUS_NOT_SUPPORTED: the first server's account has no msDS-AllowedToDelegateTo list and the target does not allow it by resource-based delegation.";
				break;
			case 0xC0000272u:
				cause = "s4u2proxy_target_not_allowed";
				why = " STATUS_NO_MATCH: the target SPN is not in the first server's msDS-AllowedToDelegateTo list (or the evidence ticket is not forwardable).";
				break;
			case 0xC0000225u:
				cause = "rbcd_denied";
				m = HS_METHOD_RBCD;
				why = " STATUS_NOT_FOUND: the resource-based access check on the target failed (the first server is not in msDS-AllowedToActOnBehalfOfOtherIdentity).";
				break;
			case 0xC000006Eu:
				cause = "s4u2self_not_forwardable";
				why = " STATUS_ACCOUNT_RESTRICTION: the evidence ticket is not forwardable (the user is sensitive / in Protected Users, or no protocol transition).";
				break;
			default:
				break;
			}
		}
		/* --keytab: the S4U2Self (evidence) ticket itself says it (MS-SFU
		 * 3.2.5.1.2: not forwardable without protocol transition, or for a
		 * sensitive account); STATUS_NO_MATCH / ACCOUNT_RESTRICTION or a
		 * hidden NTSTATUS are then explained by it. */
		/* Resource-based delegation accepts a non-forwardable evidence
		 * ticket (MS-SFU 3.2.5.2.2), classic constrained delegation does
		 * not; MIT clients set the RBCD PA-PAC-OPTIONS bit either way, so
		 * the wire cannot tell them apart: the detail says both. */
		bool not_fwd = f->s4u2self_flags_known && !f->s4u2self_forwardable &&
			       (!f->s4u2proxy_has_ntstatus || f->s4u2proxy_ntstatus == 0xC0000272u ||
				f->s4u2proxy_ntstatus == 0xC000006Eu);
		if (not_fwd) {
			m = HS_METHOD_CONSTRAINED;
			cause = "s4u2self_not_forwardable";
			why = " The S4U2Self ticket, decrypted with the first server's key, is not forwardable: the server is not trusted for protocol transition (TrustedToAuthForDelegation off, \"Kerberos only\" constrained delegation) or the user is sensitive / in Protected Users.";
		}
		set(d, m, HS_VERDICT_FAILED, cause);
		if (not_fwd)
			detail(d, "S4U2Proxy for %s refused with %s: the S4U2Self ticket for %s (decrypted with %s's keytab) is not forwardable, which classic constrained delegation refuses (no protocol transition for %s$, or %s is sensitive); resource-based delegation would accept it.", n.spn,
			       krb_err(f->s4u2proxy_error, e1, sizeof e1), n.uname, n.ss, n.SS, n.uname);
		else if (f->s4u2proxy_error == 13)
			detail(d, "S4U2Proxy for %s refused with KDC_ERR_BADOPTION%s%s%s", n.spn,
			       f->s4u2proxy_has_ntstatus ? " (" : "",
			       f->s4u2proxy_has_ntstatus ? (hs_ntstatus_name(f->s4u2proxy_ntstatus) ? hs_ntstatus_name(f->s4u2proxy_ntstatus) : "NTSTATUS") : "",
			       f->s4u2proxy_has_ntstatus ? ")." : ": the KDC does not let this server delegate to that service.");
		else
			detail(d, "S4U2Proxy for %s refused with %s.", n.spn, krb_err(f->s4u2proxy_error, e1, sizeof e1));
		explain(d, "%s%s tried constrained delegation for %s: S4U2Self%s, then S4U2Proxy for %s, which the KDC refused.%s Either the target is not in %s$'s msDS-AllowedToDelegateTo list, or the S4U2Self ticket was not forwardable (no protocol transition: TrustedToAuthForDelegation off, or %s is sensitive / in Protected Users), or resource-based delegation on %s$ does not list %s$. After fixing, purge %s's tickets (the KDC also caches refusals for 15 minutes).",
			"", n.ss, n.user, f->s4u2self ? (f->s4u2self_ok ? " succeeded" : " was sent") : " (not captured)", n.spn, why, n.SS, n.uname, n.TS, n.SS, n.ss);
		if (!f->s4u2proxy_has_ntstatus && !not_fwd)
			need(d, "the KERB-EXT-ERROR NTSTATUS%s: the DC's event 4769 failure code",
			     f->s4u2proxy_fast ? " (inside this FAST-armored KRB-ERROR, which hopsniff does not decrypt)"
					       : " (this KRB-ERROR carries none)");
		if (!f->s4u2self_flags_known)
			need(d, "%s's keytab to read whether the S4U2Self ticket is forwardable (protocol transition / sensitive account)", n.ss);
		need(d, "the AD configuration: msDS-AllowedToDelegateTo of %s$, TrustedToAuthForDelegation, msDS-AllowedToActOnBehalfOfOtherIdentity of %s$", n.SS, n.TS);
		remedies_std(d, &n, f->hop2_is_winrm, true, true, true, true);
		return;
	}
	if (f->tgs_error && f->tgs_error_code == 7) {
		/* Seen only at the KDC, the client may still have fallen back to
		 * NTLM with fresh credentials: then the hop itself is unknown. */
		bool only_kdc = !f->hop2_seen;
		set(d, f->fresh_as ? HS_METHOD_FRESH : (f->tgt_forwarded_used ? HS_METHOD_UNCONSTRAINED : HS_METHOD_UNKNOWN),
		    only_kdc && f->fresh_as && f->fresh_as_ok ? HS_VERDICT_UNKNOWN : HS_VERDICT_FAILED, "spn_unknown");
		detail(d, "The KDC does not know the SPN %s (KDC_ERR_S_PRINCIPAL_UNKNOWN): Kerberos to that name is impossible%s.", f->tgs_error_sname,
		       only_kdc && f->fresh_as && f->fresh_as_ok ? "; with the fresh credentials an NTLM fallback may still have reached the target" : "");
		if (only_kdc)
			need(d, "%s's capture (whether the second hop fell back to NTLM and succeeded)", n.ss);
		explain(d, "%s asked for a service ticket for %s and the KDC has no account with that SPN. This happens when the second server is addressed by an IP address, an alias (CNAME) or a name its account does not register. Without a ticket the second hop falls back to NTLM, which cannot carry delegated identity.", n.ss, f->tgs_error_sname);
		hs_remedy *r = remedy(d, HS_METHOD_UNKNOWN, "Register the SPN on the target's account, or use the registered host name", "No security trade-off; duplicate SPNs break Kerberos, so check first with setspn -Q.");
		cmd(r, "setspn -Q %s", f->tgs_error_sname);
		cmd(r, "setspn -S %s %s", f->tgs_error_sname, n.ts);
		return;
	}
	if (f->tgs_error && f->tgs_error_code == 14) {
		/* KDC_ERR_ETYPE_NOSUPP for the hop-2 service: no key of an
		 * encryption type the KDC may use and the requester accepts */
		bool fwd = f->tgt_forwarded_used || f->hop1_krb_cred || f->forwarded_tgt;
		set(d, f->fresh_as ? HS_METHOD_FRESH : (fwd ? HS_METHOD_UNCONSTRAINED : HS_METHOD_UNKNOWN),
		    HS_VERDICT_FAILED, "etype_not_supported");
		detail(d, "The KDC cannot issue a ticket for %s in an encryption type both it and the requester accept (KDC_ERR_ETYPE_NOSUPP).", f->tgs_error_sname);
		explain(d, "%s asked for a service ticket for %s and the KDC refused with KDC_ERR_ETYPE_NOSUPP: the target's account allows only encryption types the KDC or %s no longer use (DES only, or RC4 only where RC4 is disabled), or it has no AES keys because its password was never changed since AES was enabled. Delegation itself was not the problem.", n.ss, f->tgs_error_sname, n.ss);
		hs_remedy *r = remedy(d, HS_METHOD_UNKNOWN, "Let the target's account use AES, and renew its keys",
				      "No security trade-off: AES replaces DES/RC4, which are weak.");
		cmd(r, "Set-ADComputer %s -KerberosEncryptionType AES128,AES256", n.ts);
		cmd(r, "Reset-ComputerMachinePassword   # on %s: new keys in every allowed encryption type", n.t);
		cmd(r, "klist purge   # on %s", n.ss);
		return;
	}
	if (f->forwarded_error == 13 && !hop2_ok) {
		/* the client's forwarded-TGT request refused with BADOPTION: the
		 * user's TGT is not forwardable (MS-KILE 3.3.5.7: a sensitive
		 * account or a Protected Users member gets no forwardable ticket) */
		set(d, HS_METHOD_UNCONSTRAINED, HS_VERDICT_FAILED, "user_not_delegable");
		detail(d, "The client asked the KDC to forward %s's TGT to %s and the KDC refused (KDC_ERR_BADOPTION): %s's tickets are not forwardable.", n.user, n.ss, n.uname);
		explain(d, "%s asked for delegation, but the KDC issues %s no forwardable ticket: the account is marked \"Account is sensitive and cannot be delegated\" or is a member of Protected Users. No delegation method can carry this identity (constrained and resource-based delegation need a forwardable ticket too); if the account is meant to be protected this is by design, otherwise clear the flag or the group membership. The second hop can still use explicit credentials.", n.uname, n.uname);
		remedies_std(d, &n, f->hop2_is_winrm, false, true, false, false);
		hs_remedy *r = remedy(d, HS_METHOD_UNKNOWN, "If the account need not be protected: make it delegable again",
			   "Removes a protection meant for privileged accounts: only for accounts that are not.");
		cmd(r, "Set-ADAccountControl %s -AccountNotDelegated $false", n.uname);
		cmd(r, "Remove-ADGroupMember 'Protected Users' -Members %s", n.uname);
		need(d, "the account's settings: \"Account is sensitive and cannot be delegated\" or membership of Protected Users");
		return;
	}
	if (f->credssp_asked && f->offers_seen && !f->credssp_offered) {
		set(d, HS_METHOD_CREDSSP, HS_VERDICT_FAILED, "credssp_not_enabled_on_server");
		detail(d, "The client asked for CredSSP but %s answered 401 offering only %s: CredSSP is disabled on the server.", n.s, f->offers);
		explain(d, "WinRM on %s does not accept CredSSP (the client reports \"The authentication mechanism requested by the client is not supported by the server\"). Enable it on the server role, or prefer a method that does not hand the password to %s.", n.s, n.ss);
		remedies_std(d, &n, f->hop2_is_winrm, true, true, true, false);
		return;
	}
	if (f->hop1_auth == HS_AUTH_CREDSSP && (f->credssp_failed || f->hop1_result == HS_RES_FAILED)) {
		set(d, HS_METHOD_CREDSSP, HS_VERDICT_FAILED, "credssp_auth_failed");
		if (f->credssp_status) {
			/* MS-CSSP 2.2.1 errorCode: the NTSTATUS of the server's failed
			 * logon, e.g. STATUS_LOGON_FAILURE for a wrong password */
			const char *st = hs_ntstatus_name(f->credssp_status);
			detail(d, "%s refused the CredSSP logon with %s (0x%08x in the TSRequest errorCode): the delegated credentials were not accepted.",
			       n.s, st ? st : "an NTSTATUS", f->credssp_status);
		} else {
			detail(d, "The CredSSP exchange with %s ended in HTTP 401: the delegated credentials were not accepted.", n.s);
			need(d, "the TLS key log of hop 1 (--keylog) to read the server's TSRequest errorCode");
		}
		explain(d, "The client used CredSSP for hop 1 but %s refused the credentials (wrong password, account restrictions, Protected Users cannot use CredSSP, or the TLS channel binding failed).", n.s);
		remedies_std(d, &n, f->hop2_is_winrm, true, true, false, false);
		return;
	}
	if (f->hop1_auth == HS_AUTH_NTLM && !(f->hop2_as_user && hop2_ok)) {
		set(d, HS_METHOD_NONE, f->hop2_seen || f->hop2_inferred ? HS_VERDICT_FAILED : HS_VERDICT_UNKNOWN, "ntlm_first_hop");
		detail(d, "Hop 1 used NTLM%s, which cannot be delegated%s", f->s_name[0] ? "" : " (server addressed by IP address)",
		       anon ? ": hop 2 went anonymous and was denied." : (f->hop2_as_machine ? ": hop 2 went as the machine account." : "."));
		explain(d, "NTLM proves the user's identity to %s but gives it nothing it could pass on, so every second hop runs without %s's identity. The client used NTLM because Kerberos was not possible: typically %s was addressed by IP address or a name without an SPN, or it is outside the domain. Connect by the registered host name so Kerberos is used, then choose a delegation method.", n.ss, n.uname, n.ss);
		hs_remedy *r = remedy(d, HS_METHOD_NONE, "Connect by the host name so hop 1 uses Kerberos", "No trade-off: Kerberos is stronger than NTLM.");
		cmd(r, "Invoke-Command -ComputerName %s -ScriptBlock { ... }   # not the IP address", f->s_name[0] && strchr(f->s_name, '.') ? f->s_name : "<server1 FQDN>");
		remedies_std(d, &n, f->hop2_is_winrm, true, true, true, false);
		if (!f->hop2_seen && !f->hop2_inferred)
			need(d, "%s's capture to see the second hop", n.ss);
		return;
	}
	if (f->hop2_is_winrm && f->hop2_auth == HS_AUTH_KERBEROS && hop2_failed) {
		set(d, HS_METHOD_UNKNOWN, HS_VERDICT_FAILED, "winrm_second_hop_needs_credssp_or_fresh_credentials");
		detail(d, "Hop 2 is WinRM (Invoke-Command inside Invoke-Command) with Kerberos and failed: Kerberos delegation does not carry a WinRM second hop.");
		explain(d, "Microsoft documents that Kerberos delegation (unconstrained, constrained or resource-based) does not work for a nested WinRM session; use CredSSP or pass credentials explicitly ($using:cred) for the inner Invoke-Command.");
		remedies_std(d, &n, false, false, true, true, false);
		return;
	}

	/* ---- 3. generic: no usable identity on hop 2 ---- */
	if ((f->hop2_seen || f->hop2_inferred) && (anon || f->hop2_as_machine || hop2_failed)) {
		hs_method m = HS_METHOD_NONE;
		const char *cause;
		if (anon)
			cause = "second_hop_anonymous";
		else if (f->hop2_as_machine)
			cause = "second_hop_as_machine_account";
		else if (f->hop2_as_user && f->hop2_auth_ok)
			cause = "access_denied_on_target";
		else
			cause = "unknown";
		if ((anon || f->hop2_as_machine) && f->hop1_auth == HS_AUTH_KERBEROS && !f->forwarded_tgt && f->client_kdc_visible && f->server_trusted_seen) {
			/* the server is trusted (another user's TGT went through it):
			 * this client just did not send the TGT */
			m = HS_METHOD_UNCONSTRAINED;
			cause = "tgt_not_forwarded";
		}
		bool dec_no_tgt = (anon || f->hop2_as_machine) && f->hop1_auth == HS_AUTH_KERBEROS && f->hop1_decrypted &&
				  !f->hop1_krb_cred && !f->forwarded_tgt;
		if (dec_no_tgt && f->hop1_ok_as_delegate) {
			/* --keytab: the ticket says S is trusted; the authenticator
			 * carries no KRB-CRED (RFC 4121 4.1.1) */
			m = HS_METHOD_UNCONSTRAINED;
			cause = "tgt_not_forwarded";
		} else if (dec_no_tgt) {
			cause = "no_delegation_configured";
		}
		set(d, m, HS_VERDICT_FAILED, cause);
		if (dec_no_tgt && !f->hop1_ok_as_delegate) {
			detail(d, "%s's ticket for %s has no ok-as-delegate flag and its authenticator carries no forwarded TGT (both decrypted with %s's keytab): %s is not trusted for delegation, and %s went %s%s.", n.uname, n.ss, n.ss, n.ss, hop2_what(f), anon ? "as ANONYMOUS LOGON" : "as the machine account", hop2_failed ? " and was refused" : "");
			explain(d, "This is the classic PowerShell double hop, confirmed by the decrypted hop-1 ticket: the KDC did not mark %s's ticket ok-as-delegate, so %s's account is trusted for no kind of delegation and the client sent no TGT. %s held only a service ticket for %s, which proves %s to %s but cannot be passed on: when the script touched %s, %s connected %s.",
				n.uname, n.SS, n.ss, n.uname, n.uname, n.ss, n.t, n.ss, anon ? "anonymously (NT AUTHORITY\\ANONYMOUS LOGON)" : "as its own machine account");
			ev(d, f->hop1_dec_ref);
			remedies_std(d, &n, f->hop2_is_winrm, true, true, true, true);
			remedy_unconstrained_note(d, &n);
			return;
		}
		if (!strcmp(cause, "access_denied_on_target")) {
			detail(d, "%s authenticated to %s as %s but was refused: %s.", n.ss, n.t, n.user, f->hop2_status_name[0] ? f->hop2_status_name : "access denied");
			explain(d, "The delegated identity reached %s; the failure is authorisation on the target (share or file ACL, SQL login, group membership), not delegation.", n.t);
			return;
		}
		if (!strcmp(cause, "tgt_not_forwarded") && dec_no_tgt) {
			detail(d, "%s's ticket for %s carries ok-as-delegate but the authenticator carries no forwarded TGT (GSS delegation flag %s; decrypted with %s's keytab); hop 2 went %s and %s.", n.uname, n.ss, f->hop1_deleg_flag ? "set" : "not set", n.ss, anon ? "anonymous" : "as the machine account", hop2_failed ? "was denied" : "ran without the user's identity");
			explain(d, "%s is trusted for unconstrained delegation (the KDC set ok-as-delegate in %s's ticket), but the client did not put %s's TGT in its authenticator: the client did not request delegation (e.g. pywinrm kerberos_delegation=False, curl without --delegation), or its TGT is not forwardable (sensitive account). Without it %s had no credential of %s for %s.", n.ss, n.uname, n.uname, n.ss, n.uname, n.t);
			ev(d, f->hop1_dec_ref);
			remedies_std(d, &n, f->hop2_is_winrm, true, true, false, false);
			return;
		}
		if (!strcmp(cause, "tgt_not_forwarded")) {
			detail(d, "%s's client did not forward a TGT (no TGS-REQ with the forwarded option) although %s is trusted for delegation; hop 2 went %s and %s.", n.uname, n.ss, anon ? "anonymous" : "as the machine account", hop2_failed ? "was denied" : "ran without the user's identity");
			explain(d, "%s accepts delegated TGTs (another session in this capture used one), but this client did not send %s's TGT: the client did not request delegation (e.g. pywinrm kerberos_delegation=False, curl without --delegation), or the user is marked sensitive. Without it %s had no credential of %s for %s.", n.ss, n.uname, n.ss, n.uname, n.t);
			remedies_std(d, &n, f->hop2_is_winrm, true, true, false, false);
			return;
		}
		detail(d, "%s held no usable credential of %s (Kerberos service ticket only: no forwarded TGT, no S4U, no fresh logon): %s went %s%s%s.", n.ss, n.user, hop2_what(f),
		       anon ? "as ANONYMOUS LOGON" : (f->hop2_as_machine ? "as the machine account " : "without the user's identity"),
		       f->hop2_as_machine ? f->hop2_principal : "",
		       hop2_failed ? (f->hop2_status_name[0] ? ", refused with " : " and was refused") : "");
		if (hop2_failed && f->hop2_status_name[0]) {
			size_t l = strlen(d->detail);
			if (l && d->detail[l - 1] == '.')
				d->detail[l - 1] = 0;
			snprintf(d->detail + strlen(d->detail), sizeof d->detail - strlen(d->detail), "%s.", f->hop2_status_name);
		}
		explain(d, "This is the classic PowerShell double hop: %s authenticated %s with %s, which proves the user to %s but gives it nothing to pass on. When the script touched %s, %s had no credential of %s and connected %s, so %s %s. None of CredSSP, Kerberos delegation (unconstrained, constrained, resource-based), fresh credentials or RunAs is in use.",
			n.ss, n.uname, hs_auth_name(f->hop1_auth), n.ss, n.t, n.ss, n.uname,
			anon ? "anonymously (NT AUTHORITY\\ANONYMOUS LOGON)" : "as its own machine account",
			n.t, hop2_failed ? "denied access" : "did not see the user");
		if (f->hop1_auth == HS_AUTH_KERBEROS && !f->forwarded_tgt && !f->hop1_decrypted) {
			if (f->client_kdc_visible)
				need(d, "the ok-as-delegate flag of %s's ticket (encrypted: needs the client's session key or %s's keytab) to tell 'not trusted for delegation' from 'client did not ask'", n.ss, n.ss);
			else
				need(d, "the client's or the DC's capture (a forwarded-TGT request would show attempted unconstrained delegation)");
		}
		remedies_std(d, &n, f->hop2_is_winrm, true, true, true, true);
		remedy_unconstrained_note(d, &n);
		return;
	}

	/* ---- 4. what this input cannot show ---- */
	if (!f->hop2_seen && !f->hop2_inferred) {
		hs_method m = HS_METHOD_UNKNOWN;
		if (f->hop1_auth == HS_AUTH_CREDSSP)
			m = HS_METHOD_CREDSSP;
		else if (f->forwarded_tgt)
			m = HS_METHOD_UNCONSTRAINED;
		set(d, m, f->s_outbound_visible ? HS_VERDICT_NOT_ATTEMPTED : HS_VERDICT_UNKNOWN, "unknown");
		if (f->hop1_tls_opaque)
			detail(d, "Hop 1 to %s runs over TLS (WinRM HTTPS): its authentication is not visible, and no second hop is in this input.", n.s);
		else if (f->forwarded_tgt)
			detail(d, "The client forwarded %s's TGT to %s (unconstrained delegation requested); the second hop is not in this input.", n.user, n.ss);
		else if (f->hop1_auth == HS_AUTH_KERBEROS && f->client_kdc_visible)
			detail(d, "Hop 1 used Kerberos without a forwarded TGT: only constrained delegation, fresh credentials or RunAs could carry %s further; the second hop is not in this input.", n.uname);
		else
			detail(d, "Hop 1 to %s was seen; the second hop is not in this input.", n.s);
		explain(d, "This input shows the first hop (%s as %s to %s) but nothing %s did afterwards, so whether the delegation worked cannot be told.", hs_auth_name(f->hop1_auth), f->user[0] ? n.user : "an unidentified user", n.s, n.ss);
		need(d, "%s's capture (or the DC's port 88) covering the second hop", n.ss);
		if (f->hop1_tls_opaque)
			need(d, "the TLS key log of the hop-1 connection to see its authentication");
		return;
	}
	set(d, HS_METHOD_UNKNOWN, HS_VERDICT_UNKNOWN, "unknown");
	detail(d, "Hop 2 from %s to %s was seen (%s, %s) but the evidence does not settle how or whether %s's identity was delegated.", n.ss, n.t, hs_auth_name(f->hop2_auth), hs_result_name(f->hop2_result), n.uname);
	explain(d, "hopsniff saw both hops but no decisive trace (forwarded TGT, S4U, fresh logon, CredSSP) linking them.");
	need(d, "captures of the client, %s and the DC's port 88 together", n.ss);
}
