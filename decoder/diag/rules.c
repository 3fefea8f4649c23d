/* rules.c - the diagnosis (see rules.h).
 *
 * One ordered table (rules[] below): first what the evidence proves worked,
 * then the most specific failure the evidence supports, then the generic
 * failures, then what cannot be told from this input.  The first entry whose
 * match() holds gives the cause, its explain() the texts, and the entry names
 * the evidence frame that decided it.  Sources for the facts used here:
 * MS-SFU 3.2.5 (S4U2Self / S4U2Proxy), MS-KILE 2.2.1 (KERB-EXT-ERROR) and
 * 3.3.5.7.1 (revoked accounts), RFC 4120 2.6 (forwarded tickets) and 7.5.9
 * (error codes), MS-CSSP, and Microsoft's "Making the second hop in
 * PowerShell Remoting" for the remedies and their trade-offs.
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

/* ---- names: from the facts, or words that say what the input does not show ---- */

/* What the texts call a name the capture does not give; the first plain
 * use in a text says so (mark_unknown). */
#define UNKNOWN_NOTE " (not seen in the capture)"
#define W_USER "the user"
#define W_S "the first server"
#define W_T "the second server"

/* In PowerShell commands an unknown server is a variable the remedy asks for
 * first (ask_missing), so every command stays paste-ready. */
#define PS_S "$FirstServer"
#define PS_T "$SecondServer"

typedef struct names {
	bool user_known, s_known, t_known;
	char user[HS_NAME_MAX];   /* alice@HOP.TEST | the user */
	char uname[HS_NAME_MAX];  /* alice | the user */
	char s[HS_NAME_MAX];      /* srv1.hop.test | 10.0.0.11 | the first server */
	char ss[HS_NAME_MAX];     /* srv1 | 10.0.0.11 | the first server */
	char SS[HS_NAME_MAX];     /* SRV1 | ... */
	char SSacct[HS_NAME_MAX]; /* SRV1$ | the account of the first server */
	char t[HS_NAME_MAX];      /* srv2.hop.test | 10.0.0.12 | the second server */
	char ts[HS_NAME_MAX];     /* srv2 | ... */
	char TSacct[HS_NAME_MAX]; /* SRV2$ | the account of the second server */
	char spn[HS_NAME_MAX];    /* cifs/srv2.hop.test | a service of the second server */
	/* the same in commands */
	char ps_s[HS_NAME_MAX];   /* -ComputerName of the first server: name, address or $FirstServer */
	char ps_ss[HS_NAME_MAX];  /* its AD identity: srv1 | $FirstServer */
	char ps_t[HS_NAME_MAX];   /* UNC host inside a remote script block: srv2.hop.test | $($using:SecondServer) */
	char ps_ts[HS_NAME_MAX];  /* AD identity of the second server: srv2 | $SecondServer */
	bool ts_named_itself;     /* ps_ts is the account it named itself with (NTLM), not a label of a name */
	char ps_spn[HS_NAME_MAX]; /* quoted: 'cifs/srv2.hop.test' | "cifs/$SecondServer" */
	char ps_cred[HS_NAME_MAX]; /* -Credential argument: alice@HOP.TEST | (Get-Credential) */
	char ps_getcred[HS_NAME_MAX]; /* Get-Credential alice@HOP.TEST | Get-Credential */
	char ask_s[160], ask_t[160]; /* the Read-Host prompts */
} names;

static void upper(char *dst, size_t n, const char *src)
{
	snprintf(dst, n, "%s", src);
	for (char *p = dst; *p; p++)
		*p = (char)toupper((unsigned char)*p);
}

static void fill_names(const hs_facts *f, names *n)
{
	memset(n, 0, sizeof *n);
	n->user_known = f->user[0] != 0;
	snprintf(n->user, sizeof n->user, "%s", n->user_known ? f->user : W_USER);
	if (n->user_known) {
		snprintf(n->uname, sizeof n->uname, "%.*s", (int)strcspn(f->user, "@"), f->user);
		const char *bs = strchr(n->uname, '\\');
		if (bs)
			memmove(n->uname, bs + 1, strlen(bs));
	} else {
		snprintf(n->uname, sizeof n->uname, W_USER);
	}

	/* the first server: its name, else its address, else words */
	n->s_known = f->s_name[0] || f->s_ip[0];
	snprintf(n->s, sizeof n->s, "%s", f->s_name[0] ? f->s_name : (f->s_ip[0] ? f->s_ip : W_S));
	snprintf(n->ss, sizeof n->ss, "%s", f->s_short[0] ? f->s_short : (f->s_ip[0] ? f->s_ip : W_S));
	if (f->s_short[0]) {
		upper(n->SS, sizeof n->SS, f->s_short);
		snprintf(n->SSacct, sizeof n->SSacct, "%s$", n->SS);
		snprintf(n->ps_ss, sizeof n->ps_ss, "%s", f->s_short);
	} else {
		snprintf(n->SS, sizeof n->SS, "%s", n->ss);
		snprintf(n->SSacct, sizeof n->SSacct, "the account of %s", n->ss);
		snprintf(n->ps_ss, sizeof n->ps_ss, PS_S);
	}
	snprintf(n->ps_s, sizeof n->ps_s, "%s", n->s_known ? n->s : PS_S);
	snprintf(n->ask_s, sizeof n->ask_s, "Host name of the first server%s%s%s", f->s_ip[0] ? " (" : "", f->s_ip,
		 f->s_ip[0] ? "; its name is not in the capture)" : " (not in the capture)");

	/* the second server: its name, else its address, else words */
	n->t_known = f->t_name[0] || f->t_ip[0];
	snprintf(n->t, sizeof n->t, "%s", f->t_name[0] ? f->t_name : (f->t_ip[0] ? f->t_ip : W_T));
	snprintf(n->ts, sizeof n->ts, "%s", f->t_short[0] ? f->t_short : (f->t_ip[0] ? f->t_ip : W_T));
	if (f->t_account[0] || f->t_short[0]) {
		/* the account the server names itself with, else the first label
		 * of the name it was reached by (wrong for an alias: lab 36) */
		const char *acct = f->t_account[0] ? f->t_account : f->t_short;
		n->ts_named_itself = f->t_account[0] != 0;
		char TS[HS_NAME_MAX];
		upper(TS, sizeof TS, acct);
		snprintf(n->TSacct, sizeof n->TSacct, "%s$", TS);
		snprintf(n->ps_ts, sizeof n->ps_ts, "%s", acct);
		for (char *p = n->ps_ts; *p; p++)
			*p = (char)tolower((unsigned char)*p);
	} else {
		snprintf(n->TSacct, sizeof n->TSacct, "the account of %s", n->ts);
		snprintf(n->ps_ts, sizeof n->ps_ts, PS_T);
	}
	snprintf(n->ps_t, sizeof n->ps_t, "%s", n->t_known ? n->t : "$($using:SecondServer)");
	snprintf(n->ask_t, sizeof n->ask_t, "Host name of the second server%s%s%s", f->t_ip[0] ? " (" : "", f->t_ip,
		 f->t_ip[0] ? "; its name is not in the capture)" : " (not in the capture)");

	if (f->t_spn[0]) {
		snprintf(n->spn, sizeof n->spn, "%s", f->t_spn);
		snprintf(n->ps_spn, sizeof n->ps_spn, "'%s'", f->t_spn);
	} else if (f->t_name[0] || f->t_ip[0]) {
		snprintf(n->spn, sizeof n->spn, "cifs/%s", n->t);
		snprintf(n->ps_spn, sizeof n->ps_spn, "'cifs/%s'", n->t);
	} else {
		snprintf(n->spn, sizeof n->spn, "a service of " W_T);
		snprintf(n->ps_spn, sizeof n->ps_spn, "\"cifs/" PS_T "\"");
	}
	snprintf(n->ps_cred, sizeof n->ps_cred, "%s", n->user_known ? f->user : "(Get-Credential)");
	snprintf(n->ps_getcred, sizeof n->ps_getcred, "Get-Credential%s%s", n->user_known ? " " : "", n->user_known ? f->user : "");
}

/* A name the facts did not give, or words instead. */
static const char *or_words(const char *s, const char *words) { return s && s[0] ? s : words; }

/* ---- the diagnosis' parts ---- */

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

static void set(hs_diag *d, hs_method m, hs_verdict v)
{
	d->method = m;
	d->verdict = v;
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

static void append(char *buf, size_t size, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static void append(char *buf, size_t size, const char *fmt, ...)
{
	size_t l = strlen(buf);
	if (l + 1 >= size)
		return;
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(buf + l, size - l, fmt, ap);
	va_end(ap);
}

/* ---- Kerberos error codes: what each says (RFC 4120 7.5.9; MS-KILE 3.3.5.7.1 for revocation) ---- */

static const struct krb_meaning {
	int32_t code;
	const char *says;
} krb_meanings[] = {
	{ 1, "the client's account has expired" },
	{ 2, "the service's account has expired" },
	{ 6, "the KDC has no account for the client name in the request" },
	{ 7, "the KDC has no account with the requested service principal name (SPN)" },
	{ 8, "the name is registered on more than one account (a duplicate SPN or UPN)" },
	{ 9, "the account has no usable key (its password must be reset)" },
	{ 12, "the KDC's policy refuses the request (a logon restriction: workstation or logon-hours limits, an authentication policy or silo)" },
	{ 13, "the KDC cannot grant an option the request asked for" },
	{ 14, "the request and the account's keys share no encryption type (for example RC4 disabled and no AES key)" },
	{ 15, "the KDC does not support the checksum type" },
	{ 16, "the KDC does not support a pre-authentication type of the request" },
	{ 18, "the client's credentials are revoked: the account is disabled, expired, locked out or outside its logon hours" },
	{ 19, "the service's credentials are revoked (its account is disabled)" },
	{ 20, "the ticket-granting ticket is revoked" },
	{ 23, "the password has expired" },
	{ 24, "pre-authentication failed: the password is wrong" },
	{ 25, "the KDC requires pre-authentication" },
	{ 29, "the KDC service is unavailable" },
	{ 31, "an integrity check failed: the request was encrypted with the wrong key" },
	{ 32, "the ticket has expired" },
	{ 33, "the ticket is not yet valid" },
	{ 34, "the request is a replay" },
	{ 37, "the clocks differ by more than the allowed skew (5 minutes by default)" },
	{ 38, "the addresses in the ticket do not include the sender's address" },
	{ 41, "the message was modified or encrypted with the wrong key" },
	{ 44, "the ticket's key version is not the account's current one" },
	{ 60, "a generic error (the DC's event log says more)" },
	{ 68, "the request went to the wrong realm" },
};

static const char *krb_says(int32_t code)
{
	for (size_t i = 0; i < sizeof krb_meanings / sizeof krb_meanings[0]; i++)
		if (krb_meanings[i].code == code)
			return krb_meanings[i].says;
	return NULL;
}

/* "KDC_ERR_BADOPTION (13)" */
static const char *krb_err(int32_t code, char *buf, size_t n)
{
	const char *nm = hs_krb_error_name(code);
	if (nm)
		snprintf(buf, n, "%s (%d)", nm, code);
	else
		snprintf(buf, n, "Kerberos error %d", code);
	return buf;
}

/* "KDC_ERR_POLICY (12): the KDC's policy refuses ..." */
static const char *krb_err_says(int32_t code, char *buf, size_t n)
{
	krb_err(code, buf, n);
	const char *s = krb_says(code);
	if (s)
		append(buf, n, ": %s", s);
	return buf;
}

/* What a KRB-ERROR code means for the step it answered, where the code's
 * meaning alone (krb_says) does not say what to do.  MS-SFU 3.2.5.1 (the KDC
 * looks the S4U2Self user up by PA-FOR-USER name and realm), 3.2.5.2
 * (S4U2Proxy: BADOPTION is the delegation check itself), MS-KILE 3.3.5.7.1
 * (revoked accounts). */
enum { STEP_S4U2SELF = 1, STEP_S4U2PROXY = 2, STEP_TGS = 4, STEP_ANY = 7 };

static const struct code_why {
	int32_t code;
	unsigned steps;
	const char *why;
} code_whys[] = {
	{ 6, STEP_S4U2SELF, " The KDC found no account for the user the request named (PA-FOR-USER name and realm): a user name or UPN typo, a user of a domain this KDC cannot refer to, or an account not yet replicated to this domain controller. No delegation setting was refused." },
	{ 7, STEP_S4U2SELF, " The KDC did not find the requesting server's own account under the name the request used: S4U2Self must ask for a ticket to the server's own SPN or account name." },
	{ 7, STEP_S4U2PROXY, " The target's SPN is registered on no account: register it on the second server's account, or address the second server by its registered name." },
	{ 8, STEP_TGS, " The SPN is registered on more than one account, so the KDC cannot tell which key to use: remove the duplicate (setspn -X lists them)." },
	{ 12, STEP_ANY, " A policy of the domain controller refused it (for example an authentication policy or silo restricting the user or a server's account)." },
	{ 13, STEP_S4U2SELF, " The KDC could not grant an option the S4U2Self request asked for (for example a forwardable ticket for a user it may not make forwardable)." },
	{ 13, STEP_TGS, " When the first server uses a forwarded TGT, this is typically an option that TGT does not allow (the user's TGT is not forwardable, or the target may not receive delegated tickets)." },
	{ 14, STEP_S4U2PROXY | STEP_TGS, " The target's account and the KDC share no encryption type for the ticket: give the account AES keys (msDS-SupportedEncryptionTypes, then reset its password) or allow the type it has." },
	{ 16, STEP_S4U2SELF, " The KDC does not support S4U2Self (PA-FOR-USER): it is not a Windows Server 2003 or later domain controller, or an older Samba / MIT KDC." },
	{ 18, STEP_ANY, " The user's account is disabled, expired, locked out or outside its logon hours (MS-KILE 3.3.5.7.1): no delegation setting is at fault." },
	{ 32, STEP_TGS, " The TGT used for the request has expired: the user has to log on again (or the forwarded TGT has to be renewed)." },
};

static const char *code_why(int32_t code, unsigned step)
{
	for (size_t i = 0; i < sizeof code_whys / sizeof code_whys[0]; i++)
		if (code_whys[i].code == code && (code_whys[i].steps & step))
			return code_whys[i].why;
	/* S4U2Proxy's delegation check answers BADOPTION; another code is not it */
	if (step == STEP_S4U2PROXY)
		return " This is not the delegation check itself (that answers KDC_ERR_BADOPTION); the DC's event 4769 names the reason.";
	return "";
}

/* ---- the standard remedies ---- */

/* Commands that name an unknown server get a first line that asks for it. */
/* setspn for an SPN no account has (KDC_ERR_S_PRINCIPAL_UNKNOWN): on the
 * target's own account when it named itself (its NTLM CHALLENGE), else the
 * account is asked for: the name it was reached by may be an alias (lab 36:
 * files.hop.test is srv2), whose first label is no account. */
static void cmd_setspn(hs_remedy *r, const names *n, const char *spn)
{
	if (n->ts_named_itself) {
		cmd(r, "setspn -S %s %s", spn, n->ps_ts);
		return;
	}
	cmd(r, "$TargetAccount = Read-Host 'Computer account of the server that answers as %s (%s if that is its own name, not an alias: no account has %s)'",
	    n->t, n->ps_ts, spn);
	cmd(r, "setspn -S %s $TargetAccount", spn);
}

static void ask_missing(hs_remedy *r, const names *n)
{
	if (!r)
		return;
	bool s = false, t = false;
	for (unsigned i = 0; i < r->ncommands; i++) {
		s |= strstr(r->commands[i], PS_S) != NULL;
		t |= strstr(r->commands[i], "SecondServer") != NULL;
	}
	if (!(s || t) || r->ncommands >= HS_REMEDY_CMDS)
		return;
	memmove(r->commands[1], r->commands[0], r->ncommands * sizeof r->commands[0]);
	r->ncommands++;
	r->commands[0][0] = 0;
	if (s)
		append(r->commands[0], sizeof r->commands[0], PS_S " = Read-Host '%s'", n->ask_s);
	if (t)
		append(r->commands[0], sizeof r->commands[0], "%s" PS_T " = Read-Host '%s'", s ? "; " : "", n->ask_t);
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
		cmd(r, "Set-ADComputer %s -PrincipalsAllowedToDelegateToAccount (Get-ADComputer %s)", n->ps_ts, n->ps_ss);
		cmd(r, "Invoke-Command -ComputerName %s -ScriptBlock { klist purge -li 0x3e7 }", n->ps_s);
		ask_missing(r, n);
	}
	if (want_fresh) {
		r = remedy(d, HS_METHOD_FRESH,
			   "Pass credentials explicitly to the second hop ($using:cred)",
			   "No delegation configuration at all; the password travels inside the encrypted first-hop session and is used on the first server only for this script block. The script must handle a credential object; a compromised first server sees it while it runs.");
		cmd(r, "$cred = %s", n->ps_getcred);
		cmd(r, "Invoke-Command -ComputerName %s -ScriptBlock { Get-ChildItem \\\\%s\\share -Credential $using:cred }", n->ps_s, n->ps_t);
		ask_missing(r, n);
	}
	if (want_kcd && !winrm_target) {
		r = remedy(d, HS_METHOD_CONSTRAINED,
			   "Classic constrained delegation from the first server to this service",
			   "Limited to the listed SPNs, but configured on the first server's account (domain admin right needed) and, with protocol transition, the first server can impersonate any user to those services.");
		cmd(r, "Set-ADComputer %s -Add @{'msDS-AllowedToDelegateTo'=%s}", n->ps_ss, n->ps_spn);
		cmd(r, "Set-ADAccountControl (Get-ADComputer %s) -TrustedToAuthForDelegation $true", n->ps_ss);
		ask_missing(r, n);
	}
	if (want_credssp) {
		r = remedy(d, HS_METHOD_CREDSSP,
			   "CredSSP: send the user's credentials to the first server",
			   "Works for every kind of second hop (also WinRM), but the first server receives the reusable password: anyone in control of it can reuse it. Does not work for Protected Users; avoid for privileged accounts.");
		cmd(r, "Enable-WSManCredSSP -Role Client -DelegateComputer %s   # on the client", n->ps_s);
		cmd(r, "Enable-WSManCredSSP -Role Server   # on %s", n->ss);
		cmd(r, "Invoke-Command -ComputerName %s -Authentication CredSSP -Credential %s -ScriptBlock { ... }", n->ps_s, n->ps_cred);
		ask_missing(r, n);
	}
}

static void remedy_unconstrained_note(hs_diag *d, const names *n)
{
	hs_remedy *r = remedy(d, HS_METHOD_UNCONSTRAINED,
			      "Unconstrained delegation (least secure: listed for completeness)",
			      "The first server receives the user's TGT and can act as the user anywhere in the domain; Microsoft recommends against it. The client must also ask for delegation (the ticket carries ok-as-delegate only when the server is trusted).");
	cmd(r, "Set-ADComputer %s -TrustedForDelegation $true", n->ps_ss);
	ask_missing(r, n);
}

/* The remedy a KRB-ERROR code itself calls for, whatever the step: an
 * account the KDC refused by its state (CLIENT_REVOKED, KEY_EXPIRED,
 * NAME_EXP) or did not find (C_PRINCIPAL_UNKNOWN), an SPN registered on no
 * account or on several, no common encryption type.  acct: the account the
 * request named ("" unknown); spn: the service it asked for ("" unknown).
 * NULL for other codes. */
static hs_remedy *remedy_for_code(hs_diag *d, const names *n, int32_t code, const char *acct, const char *spn)
{
	hs_remedy *r = NULL;
	char sam[HS_NAME_MAX];
	snprintf(sam, sizeof sam, "%.*s", (int)strcspn(acct, "@"), acct);
	const char *bs = strrchr(sam, '\\');
	const char *id = bs ? bs + 1 : sam;
	const char *ps_spn = spn[0] ? spn : "cifs/" PS_T;
	switch (code) {
	case 6:
		r = remedy(d, HS_METHOD_UNKNOWN, "Check the account name (user name, UPN and realm) the request named",
			   "No security trade-off: the request named an account the domain controller does not have.");
		if (acct[0])
			cmd(r, "Get-ADUser -Filter \"UserPrincipalName -eq '%s' -or SamAccountName -eq '%s'\"", acct, id);
		else
			cmd(r, "Get-ADUser -Filter \"UserPrincipalName -eq '$(Read-Host 'User principal name')'\"");
		break;
	case 1:
	case 18:
	case 23:
		r = remedy(d, HS_METHOD_UNKNOWN, "Check the account's state (enabled, locked out, expired, logon hours, password expiry) on the domain controller",
			   "No security trade-off; unlocking or re-enabling an account is an administrator's decision.");
		cmd(r, "Get-ADUser %s -Properties Enabled,LockedOut,AccountExpirationDate,PasswordExpired,LogonHours",
		    acct[0] ? id : "(Read-Host 'User name')");
		break;
	case 7:
		r = remedy(d, HS_METHOD_UNKNOWN, "Register the SPN on the target's account, or use the registered host name", "No security trade-off; duplicate SPNs break Kerberos, so check first with setspn -Q.");
		cmd(r, "setspn -Q %s", ps_spn);
		cmd_setspn(r, n, ps_spn);
		break;
	case 8:
		r = remedy(d, HS_METHOD_UNKNOWN, "Find and remove the duplicate SPN", "No security trade-off; keep the SPN on the account that runs the service.");
		cmd(r, "setspn -X");
		cmd(r, "setspn -Q %s", ps_spn);
		break;
	case 14:
		r = remedy(d, HS_METHOD_UNKNOWN, "Give the target's account AES keys", "No security trade-off: AES replaces the weaker RC4.");
		cmd(r, "Set-ADComputer %s -KerberosEncryptionType AES128,AES256", n->ps_ts);
		break;
	default:
		break;
	}
	ask_missing(r, n);
	return r;
}

/* ---- the context every rule reads ---- */

typedef struct ctx {
	const hs_facts *f;
	names n;
	bool hop2_ok, hop2_failed, anon;
	hs_saw_says saw;                /* what the user's error line says (hs_rules_saw_says) */
	bool saw_refused;               /* ... a refusal of the second hop (denied, anonymous, no credentials, logon failure) */
} ctx;

/* ---- what the user saw: the words and codes of the second hop's refusal ---- */

/* Most specific first: "constrained delegation failed" is also a KDC
 * error, an anonymous logon is also denied. */
static const struct saw_words {
	const char *needle;             /* lower case */
	hs_saw_says says;
} saw_words[] = {
	{ "constrained delegation failed", HS_SAW_S4U2PROXY },
	{ "krb_ap_err_skew", HS_SAW_SKEW },
	{ "clock skew", HS_SAW_SKEW },
	{ "time skew", HS_SAW_SKEW },
	{ "0x80090324", HS_SAW_SKEW },      /* SEC_E_TIME_SKEW */
	{ "kdc can't fulfill", HS_SAW_KDC },
	{ "kdc_err_", HS_SAW_KDC },
	{ "anonymous logon", HS_SAW_ANONYMOUS },
	{ "logon session does not exist", HS_SAW_NO_CREDENTIALS },
	{ "0x8009030e", HS_SAW_NO_CREDENTIALS }, /* SEC_E_NO_CREDENTIALS, printed as the line above */
	{ "sec_e_no_credentials", HS_SAW_NO_CREDENTIALS },
	{ "no credentials are available", HS_SAW_NO_CREDENTIALS },
	{ "logon_failure", HS_SAW_LOGON_FAILURE },
	{ "logon failure", HS_SAW_LOGON_FAILURE },
	{ "user name or password is incorrect", HS_SAW_LOGON_FAILURE },
	{ "access is denied", HS_SAW_DENIED },
	{ "access_denied", HS_SAW_DENIED },
	{ "access denied", HS_SAW_DENIED },
	{ "accessdenied", HS_SAW_DENIED },  /* E_ACCESSDENIED */
	{ "0x80070005", HS_SAW_DENIED },
	{ "unauthorizedaccess", HS_SAW_DENIED },
	{ "network path was not found", HS_SAW_NOT_FOUND },
	{ "bad_network_name", HS_SAW_NOT_FOUND },
	{ "0x80070035", HS_SAW_NOT_FOUND },
};

hs_saw_says hs_rules_saw_says(const char *line)
{
	if (!line || !line[0])
		return HS_SAW_NONE;
	char low[HS_SAW_MAX];
	size_t n = 0;
	for (; line[n] && n + 1 < sizeof low; n++)
		low[n] = (char)tolower((unsigned char)line[n]);
	low[n] = 0;
	for (size_t i = 0; i < sizeof saw_words / sizeof saw_words[0]; i++)
		if (strstr(low, saw_words[i].needle))
			return saw_words[i].says;
	return HS_SAW_NONE;
}

static bool saw_is_refusal(hs_saw_says s)
{
	return s == HS_SAW_DENIED || s == HS_SAW_ANONYMOUS || s == HS_SAW_NO_CREDENTIALS || s == HS_SAW_LOGON_FAILURE;
}

/* The input already holds the client's or the DC's view (facts.at_*):
 * asking for it again is asking for what is there. */
static bool have_client_or_dc(const hs_facts *f)
{
	return f->at_client || f->at_dc;
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

/* ---- 1. what worked ---- */

static bool m_ok_credssp(const ctx *c, const char *cause)
{
	(void)cause;
	return c->hop2_ok && (c->f->hop2_as_user || !c->f->hop2_principal[0]) && c->f->hop1_auth == HS_AUTH_CREDSSP;
}

static void x_ok_credssp(const ctx *c, hs_diag *d)
{
	const hs_facts *f = c->f;
	const names *n = &c->n;
	set(d, HS_METHOD_CREDSSP, HS_VERDICT_DELEGATED);
	detail(d, "The client delegated %s's credentials to %s with CredSSP; %s authenticated as %s.", n->user, n->s, hop2_what(f), n->user);
	explain(d, "Hop 1 used CredSSP, which hands the user's password to %s. %s then logged on to %s as %s. This works, but %s holds a reusable credential of %s; consider resource-based constrained delegation or $using:cred instead.", n->s, n->ss, n->t, n->user, n->ss, n->uname);
}

static bool m_ok_fresh(const ctx *c, const char *cause)
{
	(void)cause;
	const hs_facts *f = c->f;
	return c->hop2_ok && f->fresh_as && f->fresh_as_ok && (f->hop2_as_user || !f->hop2_principal[0]);
}

static void x_ok_fresh(const ctx *c, hs_diag *d)
{
	const hs_facts *f = c->f;
	const names *n = &c->n;
	bool no_spn = f->tgs_error && f->tgs_error_code == 7;
	const char *sname = or_words(f->tgs_error_sname, "the requested service");
	set(d, HS_METHOD_FRESH, HS_VERDICT_DELEGATED);
	if (no_spn)
		detail(d, "%s authenticated anew as %s (AS exchange); Kerberos for %s failed with KDC_ERR_S_PRINCIPAL_UNKNOWN (no such SPN), %s fell back to %s and succeeded as %s.", n->ss, n->user, sname, hop2_what(f), hs_auth_name(f->hop2_auth), n->user);
	else
		detail(d, "%s authenticated anew as %s (AS exchange from %s) and reached %s with that identity: fresh credentials, no delegation.", n->ss, n->user, n->ss, n->t);
	explain(d, "No delegation was involved: the script on %s was given %s's credentials (for example Invoke-Command with $using:cred, or a -Credential parameter) and %s logged on to the domain as %s itself before connecting to %s.%s", n->s, n->user, n->ss, n->uname, n->t,
		no_spn ? " Kerberos could not be used for the name the script used (no SPN registered for it), so the logon fell back to NTLM; register the SPN or use the host's registered name to keep Kerberos." : "");
	if (no_spn) {
		hs_remedy *r = remedy(d, HS_METHOD_FRESH, "Register the SPN (or use the registered name) so the second hop keeps Kerberos instead of NTLM",
				      "NTLM works here but cannot be delegated further and is weaker than Kerberos.");
		cmd_setspn(r, n, or_words(f->tgs_error_sname, "cifs/" PS_T));
		ask_missing(r, n);
	}
}

static bool m_ok_constrained(const ctx *c, const char *cause)
{
	(void)cause;
	return c->hop2_ok && c->f->s4u2proxy && c->f->s4u2proxy_ok;
}

static void x_ok_constrained(const ctx *c, hs_diag *d)
{
	const names *n = &c->n;
	set(d, HS_METHOD_CONSTRAINED, HS_VERDICT_DELEGATED);
	detail(d, "%s obtained a ticket for %s to itself (S4U2Self) and exchanged it for %s (S4U2Proxy); hop 2 authenticated as %s.", n->ss, n->user, n->spn, n->user);
	explain(d, "Kerberos constrained delegation worked: %s impersonated %s with S4U2Self and S4U2Proxy for %s. Whether the KDC allowed it through msDS-AllowedToDelegateTo on %s or resource-based delegation on %s is not visible on the wire (the client sets the resource-based bit of PA-PAC-OPTIONS in both cases).", n->ss, n->user, n->spn, n->SSacct, n->ts);
	need(d, "the AD configuration (msDS-AllowedToDelegateTo of %s, msDS-AllowedToActOnBehalfOfOtherIdentity of %s) to tell classic constrained from resource-based delegation", n->SSacct, n->TSacct);
}

static bool m_ok_unconstrained(const ctx *c, const char *cause)
{
	(void)cause;
	const hs_facts *f = c->f;
	return c->hop2_ok && (f->tgt_forwarded_used || (f->forwarded_tgt && (f->hop2_as_user || !f->hop2_principal[0]) && f->hop2_auth == HS_AUTH_KERBEROS));
}

static void x_ok_unconstrained(const ctx *c, hs_diag *d)
{
	const names *n = &c->n;
	set(d, HS_METHOD_UNCONSTRAINED, HS_VERDICT_DELEGATED);
	/* srv1's view with its keytab holds no forwarded-TGT request, but the
	 * TGT itself in hop 1's authenticator */
	const char *how = !c->f->forwarded_tgt && c->f->hop1_krb_cred ? "a KRB-CRED in hop 1's decrypted authenticator"
								      : "TGS-REQ with the forwarded option";
	detail(d, "The client forwarded %s's TGT to %s (%s); %s used it for %s and reached %s as %s.", n->user, n->ss, how, n->ss, n->spn, n->t, n->user);
	explain(d, "Kerberos unconstrained delegation worked: %s is trusted for delegation, the client sent %s's TGT along with hop 1, and %s used that TGT to get a ticket for %s. It works, but %s can now act as %s anywhere in the domain; resource-based constrained delegation limits that to %s.", n->ss, n->uname, n->ss, n->spn, n->ss, n->uname, n->ts);
	remedies_std(d, n, c->f->hop2_is_winrm, true, false, false, false);
}

static bool m_ok_tgt_unknown(const ctx *c, const char *cause)
{
	(void)cause;
	const hs_facts *f = c->f;
	return c->hop2_ok && f->tgt_unknown_used && f->hop2_auth == HS_AUTH_KERBEROS && !f->other_as && !f->hop2_as_machine;
}

static void x_ok_tgt_unknown(const ctx *c, hs_diag *d)
{
	const names *n = &c->n;
	set(d, HS_METHOD_UNCONSTRAINED, HS_VERDICT_DELEGATED);
	detail(d, "%s presented a TGT it did not obtain in this capture (no AS exchange of its own) for %s and %s succeeded: a TGT forwarded with hop 1.", n->ss, n->spn, hop2_what(c->f));
	explain(d, "Hop 2 used Kerberos with a TGT that %s received rather than requested: the signature of unconstrained delegation (the client forwards the user's TGT inside the hop-1 AP-REQ). Whose TGT it was is encrypted on this side of the exchange.", n->ss);
	if (!have_client_or_dc(c->f))
		need(d, "the client's or the DC's capture (the forwarded-TGT request names the user and links the ticket)");
}

static bool m_ok_runas(const ctx *c, const char *cause)
{
	(void)cause;
	return c->hop2_ok && c->f->hop2_as_other && !c->f->hop2_as_machine;
}

static void x_ok_runas(const ctx *c, hs_diag *d)
{
	const hs_facts *f = c->f;
	const names *n = &c->n;
	const char *acct = or_words(f->hop2_principal[0] ? f->hop2_principal : f->other_principal, "another account (not named in the capture)");
	set(d, HS_METHOD_RUNAS, HS_VERDICT_DELEGATED);
	detail(d, "Hop 2 succeeded but as %s, not as %s: %s never held %s's credentials (RunAs / fixed account).", acct, n->user, n->ss, n->uname);
	explain(d, "%s reached %s with the fixed account %s (a session configuration RunAs account, a JEA virtual account/gMSA, or explicit credentials of another user). The second server authorises %s, not %s; if that is intended this is a working design, otherwise give the script %s's own credentials or configure delegation.", n->ss, n->t, acct, acct, n->uname, n->uname);
	remedies_std(d, n, f->hop2_is_winrm, true, true, false, false);
}

static bool m_ok_who(const ctx *c, const char *cause)
{
	(void)cause;
	const hs_facts *f = c->f;
	return c->hop2_ok && !f->user[0] && f->other_as && f->hop2_principal[0] && !f->hop2_as_machine;
}

static void x_ok_who(const ctx *c, hs_diag *d)
{
	const hs_facts *f = c->f;
	const names *n = &c->n;
	set(d, HS_METHOD_UNKNOWN, HS_VERDICT_DELEGATED);
	detail(d, "%s authenticated anew as %s (AS exchange) and hop 2 succeeded as that account: fresh credentials if %s is the hop-1 user, RunAs otherwise.", n->ss, f->hop2_principal, f->hop2_principal);
	explain(d, "The second hop did not use delegation: %s logged on as %s itself. Who authenticated hop 1 is not visible in this input, so it cannot be told whether these were the user's own credentials ($using:cred) or a fixed RunAs account.", n->ss, f->hop2_principal);
	if (have_client_or_dc(f))
		need(d, "%s's keytab to read the hop-1 ticket (who hop 1 authenticated as)", n->ss);
	else
		need(d, "the client's or the DC's capture (who hop 1 authenticated as), or %s's keytab to read the hop-1 ticket", n->ss);
}

/* ---- 2. specific failures ---- */

/* Only KRB_AP_ERR_SKEW is a clock problem; another code the model took for
 * one is a plain KDC error. */
static bool m_clock_skew(const ctx *c, const char *cause)
{
	(void)cause;
	return c->f->skew && (!c->f->skew_error || c->f->skew_error == 37);
}

static void x_clock_skew(const ctx *c, hs_diag *d)
{
	const names *n = &c->n;
	set(d, HS_METHOD_UNKNOWN, HS_VERDICT_FAILED);
	detail(d, "The KDC or the second server rejected a request with KRB_AP_ERR_SKEW: the clocks differ by more than 5 minutes.");
	explain(d, "Kerberos refuses authenticators whose time is more than the allowed skew (5 minutes by default) away from the receiver's clock. Synchronise %s, %s and the domain controllers (w32tm /resync).", n->ss, n->t);
	hs_remedy *r = remedy(d, HS_METHOD_UNKNOWN, "Synchronise the clocks", "No security trade-off.");
	cmd(r, "w32tm /resync   # on %s and %s", n->ss, n->t);
}

static bool m_skew_other(const ctx *c, const char *cause)
{
	(void)cause;
	return c->f->skew && c->f->skew_error && c->f->skew_error != 37;
}

static void x_skew_other(const ctx *c, hs_diag *d)
{
	char e[256];
	set(d, HS_METHOD_UNKNOWN, HS_VERDICT_FAILED);
	detail(d, "A Kerberos request in this chain was rejected with %s.", krb_err_says(c->f->skew_error, e, sizeof e));
	explain(d, "The request was rejected with %s, so the authentication it carried did not complete. This is not a delegation setting; the DC's event log (events 4768/4769/4771) says which account and which check.", e);
	need(d, "the DC's event log for this request (which account and which check failed)");
}

/* The method the evidence shows was used, for failures that are not the
 * delegation's own (a clock, a cached ticket). */
static hs_method method_seen(const hs_facts *f)
{
	if (f->fresh_as)
		return HS_METHOD_FRESH;
	if (f->s4u2proxy)
		return HS_METHOD_CONSTRAINED;
	if (f->tgt_forwarded_used || f->tgt_unknown_used || f->forwarded_tgt || f->hop1_krb_cred)
		return HS_METHOD_UNCONSTRAINED;
	if (f->hop1_auth == HS_AUTH_CREDSSP)
		return HS_METHOD_CREDSSP;
	return HS_METHOD_UNKNOWN;
}

/* Kerberos' default allowed skew (RFC 4120 1.6 "typically 5 minutes";
 * Windows' "Maximum tolerance for computer clock synchronization"). */
#define SKEW_MAX_NS (5 * 60 * 1000000000LL)

static int64_t abs_ns(int64_t v) { return v < 0 ? -v : v; }

/* Hop 2 refused a Kerberos logon and the target's own clock (its SMB2
 * NEGOTIATE SystemTime) is off from the capture's by more than the allowed
 * skew: the AP-REQ's authenticator time was out of its window.  Samba's
 * smbd says only STATUS_LOGON_FAILURE and sends no KRB-ERROR (lab 26). */
static bool m_clock_skew_server(const ctx *c, const char *cause)
{
	(void)cause;
	const hs_facts *f = c->f;
	return f->hop2_clock_known && abs_ns(f->hop2_clock_offset_ns) > SKEW_MAX_NS && c->hop2_failed &&
	       f->hop2_auth == HS_AUTH_KERBEROS;
}

/* "15 minutes ahead of", "3 hours 2 minutes behind" */
static const char *offset_words(int64_t ns, char *buf, size_t n)
{
	int64_t s = abs_ns(ns) / 1000000000LL;
	int64_t h = s / 3600, m = (s % 3600 + 30) / 60;
	if (m == 60)
		h++, m = 0;
	if (h)
		snprintf(buf, n, "%lld hour%s %lld minute%s %s", (long long)h, h == 1 ? "" : "s", (long long)m, m == 1 ? "" : "s",
			 ns > 0 ? "ahead of" : "behind");
	else
		snprintf(buf, n, "%lld minute%s %s", (long long)m, m == 1 ? "" : "s", ns > 0 ? "ahead of" : "behind");
	return buf;
}

static void x_clock_skew_server(const ctx *c, hs_diag *d)
{
	const hs_facts *f = c->f;
	const names *n = &c->n;
	char off[96];
	offset_words(f->hop2_clock_offset_ns, off, sizeof off);
	set(d, method_seen(f), HS_VERDICT_FAILED);
	detail(d, "%s's clock runs %s the capture's (its SMB2 NEGOTIATE response's system time), more than the 5 minutes Kerberos allows, and %s refused %s's Kerberos logon%s%s.",
	       n->t, off, n->t, n->ss, f->hop2_status_name[0] ? " with " : "", f->hop2_status_name);
	explain(d, "A Kerberos service refuses an AP-REQ whose authenticator time is more than the allowed skew (5 minutes by default) from its own clock. %s's clock is %s the capturing host's (the capture's timestamps; in a domain every member follows the domain controllers' time), so the ticket %s presented was refused whatever the delegation settings; some servers (Samba's smbd) answer only with a logon failure and send no KRB_AP_ERR_SKEW. Synchronise %s with the domain's time source (w32tm /resync, or the NTP service), then retry.",
		n->t, off, n->ss, n->t);
	ev(d, f->hop2_clock_ref);
	hs_remedy *r = remedy(d, HS_METHOD_UNKNOWN, "Synchronise the second server's clock with the domain", "No security trade-off.");
	cmd(r, "w32tm /resync   # on %s (or restart its NTP client)", n->ps_t);
	cmd(r, "w32tm /stripchart /computer:%s /samples:3   # the offset, from %s", n->ps_t, n->ps_s);
	ask_missing(r, n);
}

/* The first server's own logon: an AS exchange of its own (fresh
 * credentials, or a RunAs account when the hop-1 user is unknown). */
static bool fresh_failed(const hs_facts *f)
{
	return (f->fresh_as && !f->fresh_as_ok && f->fresh_as_error) || (!f->user[0] && f->other_as && f->fresh_as_error == 24);
}

static bool m_preauth_failed(const ctx *c, const char *cause)
{
	(void)cause;
	return fresh_failed(c->f) && c->f->fresh_as_error == 24;
}

static bool m_fresh_kdc_error(const ctx *c, const char *cause)
{
	(void)cause;
	return fresh_failed(c->f) && c->f->fresh_as_error != 24;
}

static void x_fresh_failed(const ctx *c, hs_diag *d)
{
	const hs_facts *f = c->f;
	const names *n = &c->n;
	hs_method m = f->fresh_as ? HS_METHOD_FRESH : HS_METHOD_UNKNOWN;
	const char *acct = f->fresh_as ? n->user : or_words(f->other_principal, "an account (not named in the capture)");
	char e[256];
	set(d, m, HS_VERDICT_FAILED);
	if (f->fresh_as_error == 24) {
		detail(d, "%s tried to authenticate anew as %s: KDC_ERR_PREAUTH_FAILED (wrong password); hop 2 never started.", n->ss, acct);
		explain(d, "The script on %s logged on with explicit credentials for %s (for example $using:cred) and the domain controller rejected the password (KDC_ERR_PREAUTH_FAILED, event 4771 on the DC). Nothing was delegated; check the credential passed to the script (and account lockout).", n->s, acct);
	} else {
		detail(d, "%s tried to authenticate anew as %s and the KDC answered %s.", n->ss, acct, krb_err_says(f->fresh_as_error, e, sizeof e));
		explain(d, "The fresh logon on %s failed at the KDC (%s), so the second hop could not start. Nothing was delegated: the account the script logged on with is the one to check.", n->ss, e);
	}
	hs_remedy *a = f->fresh_as_error == 24 ? NULL : remedy_for_code(d, n, f->fresh_as_error, f->fresh_as ? f->user : f->other_principal, "");
	if (!a) {
		hs_remedy *r = remedy(d, m == HS_METHOD_FRESH ? HS_METHOD_FRESH : HS_METHOD_UNKNOWN, "Pass the right credential", "The credential travels inside the encrypted hop-1 session; keep it out of scripts and history.");
		if (f->fresh_as || f->other_principal[0])
			cmd(r, "$cred = Get-Credential %s", f->fresh_as ? f->user : f->other_principal);
		else
			cmd(r, "$cred = Get-Credential");
		cmd(r, "Invoke-Command -ComputerName %s -ScriptBlock { Get-ChildItem \\\\%s\\share -Credential $using:cred }", n->ps_s, n->ps_t);
		ask_missing(r, n);
	}
	if (!f->fresh_as && !have_client_or_dc(f))
		need(d, "the client's or the DC's capture (who hop 1 authenticated as: fresh credentials of the same user or a RunAs account)");
}

static bool m_s4u2self_failed(const ctx *c, const char *cause)
{
	(void)cause;
	return c->f->s4u2self && !c->f->s4u2self_ok && c->f->s4u2self_error;
}

static void x_s4u2self_failed(const ctx *c, hs_diag *d)
{
	const hs_facts *f = c->f;
	const names *n = &c->n;
	char e[256], e1[96];
	set(d, HS_METHOD_CONSTRAINED, HS_VERDICT_FAILED);
	detail(d, "%s asked the KDC for a ticket for %s to itself (S4U2Self) and got %s.", n->ss, n->user, krb_err_says(f->s4u2self_error, e, sizeof e));
	explain(d, "Constrained delegation starts with S4U2Self: %s asks for a service ticket for %s to itself. The KDC refused (%s), so S4U2Proxy could not follow.%s", n->ss, n->uname,
		krb_err(f->s4u2self_error, e1, sizeof e1), code_why(f->s4u2self_error, STEP_S4U2SELF));
	if (!remedy_for_code(d, n, f->s4u2self_error, f->user, ""))
		remedies_std(d, n, f->hop2_is_winrm, true, true, true, false);
}

/* The S4U2Proxy refusal's cause: by the KERB-EXT-ERROR NTSTATUS when it is
 * visible (MS-SFU 3.2.5.2.1-3), else by the S4U2Self ticket's forwardable
 * flag when --keytab opened it (MS-SFU 3.2.5.1.2: not forwardable without
 * protocol transition, or for a sensitive account); STATUS_NO_MATCH /
 * ACCOUNT_RESTRICTION or a hidden NTSTATUS are then explained by it.
 * Resource-based delegation accepts a non-forwardable evidence ticket
 * (MS-SFU 3.2.5.2.2), classic constrained delegation does not; MIT clients
 * set the RBCD PA-PAC-OPTIONS bit either way, so the wire cannot tell them
 * apart: the detail says both. */
typedef struct s4u2proxy_class {
	const char *cause;
	hs_method m;
	const char *why;
	bool not_fwd;
} s4u2proxy_class;

static s4u2proxy_class s4u2proxy_classify(const hs_facts *f)
{
	s4u2proxy_class k = { "s4u2proxy_denied", HS_METHOD_CONSTRAINED, "", false };
	if (f->s4u2proxy_has_ntstatus) {
		switch (f->s4u2proxy_ntstatus) {
		case 0xC00000BBu:
			k.cause = "no_delegation_configured";
			k.why = " STATUS_NOT_SUPPORTED: the first server's account has no msDS-AllowedToDelegateTo list and the target does not allow it by resource-based delegation.";
			break;
		case 0xC0000272u:
			k.cause = "s4u2proxy_target_not_allowed";
			k.why = " STATUS_NO_MATCH: the target SPN is not in the first server's msDS-AllowedToDelegateTo list (or the evidence ticket is not forwardable).";
			break;
		case 0xC0000225u:
			k.cause = "rbcd_denied";
			k.m = HS_METHOD_RBCD;
			k.why = " STATUS_NOT_FOUND: the resource-based access check on the target failed (the first server is not in msDS-AllowedToActOnBehalfOfOtherIdentity).";
			break;
		case 0xC000006Eu:
			k.cause = "s4u2self_not_forwardable";
			k.why = " STATUS_ACCOUNT_RESTRICTION: the evidence ticket is not forwardable (the user is sensitive / in Protected Users, or no protocol transition).";
			break;
		default:
			break;
		}
	}
	k.not_fwd = f->s4u2self_flags_known && !f->s4u2self_forwardable &&
		    (!f->s4u2proxy_has_ntstatus || f->s4u2proxy_ntstatus == 0xC0000272u || f->s4u2proxy_ntstatus == 0xC000006Eu);
	if (k.not_fwd) {
		k.m = HS_METHOD_CONSTRAINED;
		k.cause = "s4u2self_not_forwardable";
		k.why = " The S4U2Self ticket, decrypted with the first server's key, is not forwardable: the server is not trusted for protocol transition (TrustedToAuthForDelegation off, \"Kerberos only\" constrained delegation) or the user is sensitive / in Protected Users.";
	}
	return k;
}

static bool m_s4u2proxy(const ctx *c, const char *cause)
{
	const hs_facts *f = c->f;
	return f->s4u2proxy && !f->s4u2proxy_ok && f->s4u2proxy_error && !strcmp(s4u2proxy_classify(f).cause, cause);
}

static void x_s4u2proxy(const ctx *c, hs_diag *d)
{
	const hs_facts *f = c->f;
	const names *n = &c->n;
	s4u2proxy_class k = s4u2proxy_classify(f);
	bool badoption = f->s4u2proxy_error == 13;
	char e1[96], e[256];
	set(d, k.m, HS_VERDICT_FAILED);
	if (k.not_fwd)
		detail(d, "S4U2Proxy for %s refused with %s: the S4U2Self ticket for %s (decrypted with %s's keytab) is not forwardable, which classic constrained delegation refuses (no protocol transition for %s, or %s is sensitive); resource-based delegation would accept it.", n->spn,
		       krb_err(f->s4u2proxy_error, e1, sizeof e1), n->uname, n->ss, n->SSacct, n->uname);
	else if (badoption)
		detail(d, "S4U2Proxy for %s refused with KDC_ERR_BADOPTION%s%s%s", n->spn,
		       f->s4u2proxy_has_ntstatus ? " (" : "",
		       f->s4u2proxy_has_ntstatus ? (hs_ntstatus_name(f->s4u2proxy_ntstatus) ? hs_ntstatus_name(f->s4u2proxy_ntstatus) : "NTSTATUS") : "",
		       f->s4u2proxy_has_ntstatus ? ")." : ": the KDC does not let this server delegate to that service.");
	else
		detail(d, "S4U2Proxy for %s refused with %s.", n->spn, krb_err_says(f->s4u2proxy_error, e, sizeof e));
	const char *s4u2self = f->s4u2self ? (f->s4u2self_ok ? " succeeded" : " was sent") : " (not captured)";
	if (badoption || k.not_fwd) {
		explain(d, "%s tried constrained delegation for %s: S4U2Self%s, then S4U2Proxy for %s, which the KDC refused.%s Either the target is not in %s's msDS-AllowedToDelegateTo list, or the S4U2Self ticket was not forwardable (no protocol transition: TrustedToAuthForDelegation off, or %s is sensitive / in Protected Users), or resource-based delegation on %s does not list %s. After fixing, purge %s's tickets (the KDC also caches refusals for 15 minutes).",
			n->ss, n->user, s4u2self, n->spn, k.why, n->SSacct, n->uname, n->TSacct, n->SSacct, n->ss);
	} else {
		explain(d, "%s tried constrained delegation for %s: S4U2Self%s, then S4U2Proxy for %s, which the KDC refused with %s.%s%s", n->ss, n->user, s4u2self, n->spn,
			krb_err_says(f->s4u2proxy_error, e, sizeof e), k.why, code_why(f->s4u2proxy_error, STEP_S4U2PROXY));
	}
	if (badoption && !f->s4u2proxy_has_ntstatus && !k.not_fwd)
		need(d, "the KERB-EXT-ERROR NTSTATUS%s: the DC's event 4769 failure code",
		     f->s4u2proxy_fast ? " (inside this FAST-armored KRB-ERROR, which hopsniff does not decrypt)"
				       : " (this KRB-ERROR carries none)");
	if (badoption && !f->s4u2self_flags_known)
		need(d, "%s's keytab to read whether the S4U2Self ticket is forwardable (protocol transition / sensitive account)", n->ss);
	if (badoption || k.not_fwd)
		need(d, "the AD configuration: msDS-AllowedToDelegateTo of %s, TrustedToAuthForDelegation, msDS-AllowedToActOnBehalfOfOtherIdentity of %s", n->SSacct, n->TSacct);
	if (badoption || k.not_fwd) {
		remedies_std(d, n, f->hop2_is_winrm, true, true, true, true);
		return;
	}
	/* another code: what the code calls for, not the delegation settings */
	if (!remedy_for_code(d, n, f->s4u2proxy_error, f->user, f->t_spn))
		need(d, "the DC's event 4769 for this request (the failure code and the accounts it names)");
}

/* The user's TGT reached the first server: srv1 presented it, the client
 * asked for it, or it rode in the decrypted authenticator (--keytab). */
static bool tgt_forwarded(const hs_facts *f)
{
	return f->tgt_forwarded_used || f->hop1_krb_cred || f->forwarded_tgt;
}

static bool m_spn_unknown(const ctx *c, const char *cause)
{
	(void)cause;
	return c->f->tgs_error && c->f->tgs_error_code == 7;
}

static void x_spn_unknown(const ctx *c, hs_diag *d)
{
	const hs_facts *f = c->f;
	const names *n = &c->n;
	const char *sname = or_words(f->tgs_error_sname, "the requested service");
	/* Seen only at the KDC, the client may still have fallen back to NTLM
	 * with fresh credentials: then the hop itself is unknown. */
	bool only_kdc = !f->hop2_seen;
	/* a forwarded TGT (no fresh logon) leaves srv1 no password or NT hash:
	 * Negotiate's NTLM fallback is anonymous or refused (lab 36, 37) */
	bool ticket_only = !f->fresh_as && tgt_forwarded(f);
	set(d, f->fresh_as ? HS_METHOD_FRESH : (ticket_only ? HS_METHOD_UNCONSTRAINED : HS_METHOD_UNKNOWN),
	    only_kdc && f->fresh_as && f->fresh_as_ok ? HS_VERDICT_UNKNOWN : HS_VERDICT_FAILED);
	detail(d, "The KDC does not know the SPN %s (KDC_ERR_S_PRINCIPAL_UNKNOWN): Kerberos to that name is impossible%s.", sname,
	       only_kdc && f->fresh_as && f->fresh_as_ok ? "; with the fresh credentials an NTLM fallback may still have reached the target" : "");
	if (!only_kdc && c->hop2_failed && (c->anon || f->hop2_auth == HS_AUTH_NTLM)) {
		size_t l = strlen(d->detail);
		if (l)
			d->detail[l - 1] = 0;   /* the full stop */
		append(d->detail, sizeof d->detail, "; %s fell back to NTLM as %s and was refused%s%s.", hop2_what(f),
		       c->anon ? "ANONYMOUS LOGON" : or_words(f->hop2_principal, "the user"),
		       f->hop2_status_name[0] ? " with " : "", f->hop2_status_name);
	}
	if (only_kdc && !f->at_server1)
		need(d, "%s's capture (whether the second hop fell back to NTLM and succeeded)", n->ss);
	explain(d, "%s asked for a service ticket for %s and the KDC has no account with that SPN. This happens when the second server is addressed by an IP address, an alias (CNAME) or a name its account does not register. Without a ticket the second hop falls back to NTLM, which cannot carry delegated identity.%s", n->ss, sname,
		ticket_only ? " The user's forwarded TGT gives the first server no password or NT hash of the user, so that NTLM is anonymous (ANONYMOUS LOGON) or refused." : "");
	remedy_for_code(d, n, 7, f->user, f->tgs_error_sname);
}

/* KDC_ERR_ETYPE_NOSUPP for the hop-2 service: no key of an encryption type
 * the KDC may use and the requester accepts (lab 22: srv2's account DES
 * only).  Delegation itself was not the problem. */
static bool m_etype(const ctx *c, const char *cause)
{
	(void)cause;
	return c->f->tgs_error && c->f->tgs_error_code == 14;
}

static void x_etype(const ctx *c, hs_diag *d)
{
	const hs_facts *f = c->f;
	const names *n = &c->n;
	const char *sname = or_words(f->tgs_error_sname, n->spn);
	set(d, f->fresh_as ? HS_METHOD_FRESH : (tgt_forwarded(f) ? HS_METHOD_UNCONSTRAINED : HS_METHOD_UNKNOWN), HS_VERDICT_FAILED);
	detail(d, "The KDC cannot issue a ticket for %s in an encryption type both it and the requester accept (KDC_ERR_ETYPE_NOSUPP).", sname);
	explain(d, "%s asked for a service ticket for %s and the KDC refused with KDC_ERR_ETYPE_NOSUPP: the target's account allows only encryption types the KDC or %s no longer use (DES only, or RC4 only where RC4 is disabled), or it has no AES keys because its password was never changed since AES was enabled. Delegation itself was not the problem.", n->ss, sname, n->ss);
	hs_remedy *r = remedy_for_code(d, n, 14, f->user, f->tgs_error_sname);
	if (r) {
		cmd(r, "Reset-ComputerMachinePassword   # on %s: new keys in every allowed encryption type", n->ps_t);
		cmd(r, "klist purge   # on %s", n->ps_s);
	}
}

/* The client's forwarded-TGT request refused with BADOPTION: the user's TGT
 * is not forwardable (MS-KILE 3.3.5.7: a sensitive account or a Protected
 * Users member gets no forwardable ticket; lab 18, 20). */
static bool m_not_delegable(const ctx *c, const char *cause)
{
	(void)cause;
	return c->f->forwarded_error == 13 && !c->hop2_ok;
}

static void x_not_delegable(const ctx *c, hs_diag *d)
{
	const hs_facts *f = c->f;
	const names *n = &c->n;
	const char *acct = n->user_known ? n->uname : "(Read-Host 'the user account')";
	set(d, HS_METHOD_UNCONSTRAINED, HS_VERDICT_FAILED);
	detail(d, "The client asked the KDC to forward %s's TGT to %s and the KDC refused (KDC_ERR_BADOPTION): %s's tickets are not forwardable.", n->user, n->ss, n->uname);
	explain(d, "%s asked for delegation, but the KDC issues %s no forwardable ticket: the account is marked \"Account is sensitive and cannot be delegated\" or is a member of Protected Users. No delegation method can carry this identity (constrained and resource-based delegation need a forwardable ticket too); if the account is meant to be protected this is by design, otherwise clear the flag or the group membership. The second hop can still use explicit credentials.", n->uname, n->uname);
	remedies_std(d, n, f->hop2_is_winrm, false, true, false, false);
	hs_remedy *r = remedy(d, HS_METHOD_UNKNOWN, "If the account need not be protected: make it delegable again",
			      "Removes a protection meant for privileged accounts: only for accounts that are not.");
	cmd(r, "Set-ADAccountControl %s -AccountNotDelegated $false", acct);
	cmd(r, "Remove-ADGroupMember 'Protected Users' -Members %s", acct);
	need(d, "the account's settings: \"Account is sensitive and cannot be delegated\" or membership of Protected Users");
}

/* A ticket for the second hop refused for another reason than an unknown
 * SPN: the KDC's answer is the cause, whatever the delegation method. */
static bool m_tgs_kdc_error(const ctx *c, const char *cause)
{
	(void)cause;
	const hs_facts *f = c->f;
	return f->tgs_error && f->tgs_error_code && f->tgs_error_code != 7 && !c->hop2_ok;
}

static void x_tgs_kdc_error(const ctx *c, hs_diag *d)
{
	const hs_facts *f = c->f;
	const names *n = &c->n;
	const char *sname = or_words(f->tgs_error_sname, n->spn);
	char e[256];
	set(d, f->fresh_as ? HS_METHOD_FRESH : (f->tgt_forwarded_used ? HS_METHOD_UNCONSTRAINED : HS_METHOD_UNKNOWN), HS_VERDICT_FAILED);
	detail(d, "The KDC refused %s's request for a ticket to %s with %s.", n->ss, sname, krb_err_says(f->tgs_error_code, e, sizeof e));
	explain(d, "%s asked the KDC for a service ticket for %s to reach %s, and the KDC refused it with %s. Without that ticket the second hop cannot use Kerberos.%s", n->ss, sname, n->t, e, code_why(f->tgs_error_code, STEP_TGS));
	need(d, "the DC's event 4769 for this request (the failure code and the accounts it names)");
	remedy_for_code(d, n, f->tgs_error_code, f->user, f->tgs_error_sname);
}

static bool m_credssp_not_enabled(const ctx *c, const char *cause)
{
	(void)cause;
	return c->f->credssp_asked && c->f->offers_seen && !c->f->credssp_offered;
}

static void x_credssp_not_enabled(const ctx *c, hs_diag *d)
{
	const hs_facts *f = c->f;
	const names *n = &c->n;
	set(d, HS_METHOD_CREDSSP, HS_VERDICT_FAILED);
	detail(d, "The client asked for CredSSP but %s answered 401 offering only %s: CredSSP is disabled on the server.", n->s, or_words(f->offers, "other methods"));
	explain(d, "WinRM on %s does not accept CredSSP (the client reports \"The authentication mechanism requested by the client is not supported by the server\"). Enable it on the server role, or prefer a method that does not hand the password to %s.", n->s, n->ss);
	remedies_std(d, n, f->hop2_is_winrm, true, true, true, false);
}

static bool m_credssp_auth_failed(const ctx *c, const char *cause)
{
	(void)cause;
	return c->f->hop1_auth == HS_AUTH_CREDSSP && (c->f->credssp_failed || c->f->hop1_result == HS_RES_FAILED);
}

static void x_credssp_auth_failed(const ctx *c, hs_diag *d)
{
	const hs_facts *f = c->f;
	const names *n = &c->n;
	set(d, HS_METHOD_CREDSSP, HS_VERDICT_FAILED);
	if (f->credssp_status) {
		/* MS-CSSP 2.2.1 errorCode: the NTSTATUS of the server's failed
		 * logon, e.g. STATUS_LOGON_FAILURE for a wrong password */
		const char *st = hs_ntstatus_name(f->credssp_status);
		detail(d, "%s refused the CredSSP logon with %s (0x%08x in the TSRequest errorCode): the delegated credentials were not accepted.",
		       n->s, st ? st : "an NTSTATUS", f->credssp_status);
	} else {
		detail(d, "The CredSSP exchange with %s ended in HTTP 401: the delegated credentials were not accepted.", n->s);
		need(d, "the TLS key log of hop 1 (--keylog) to read the server's TSRequest errorCode");
	}
	explain(d, "The client used CredSSP for hop 1 but %s refused the credentials (wrong password, account restrictions, Protected Users cannot use CredSSP, or the TLS channel binding failed).", n->s);
	remedies_std(d, n, f->hop2_is_winrm, true, true, false, false);
}

static bool m_ntlm_first_hop(const ctx *c, const char *cause)
{
	(void)cause;
	return c->f->hop1_auth == HS_AUTH_NTLM && !(c->f->hop2_as_user && c->hop2_ok);
}

static void x_ntlm_first_hop(const ctx *c, hs_diag *d)
{
	const hs_facts *f = c->f;
	const names *n = &c->n;
	set(d, HS_METHOD_NONE, f->hop2_seen || f->hop2_inferred || c->saw_refused ? HS_VERDICT_FAILED : HS_VERDICT_UNKNOWN);
	detail(d, "Hop 1 used NTLM%s, which cannot be delegated%s", f->s_name[0] ? "" : " (server addressed by IP address)",
	       c->anon ? ": hop 2 went anonymous and was denied." : (f->hop2_as_machine ? ": hop 2 went as the machine account." : "."));
	explain(d, "NTLM proves the user's identity to %s but gives it nothing it could pass on, so every second hop runs without %s's identity. The client used NTLM because Kerberos was not possible: typically %s was addressed by IP address or a name without an SPN, or it is outside the domain. Connect by the registered host name so Kerberos is used, then choose a delegation method.", n->ss, n->uname, n->ss);
	hs_remedy *r = remedy(d, HS_METHOD_NONE, "Connect by the host name so hop 1 uses Kerberos", "No trade-off: Kerberos is stronger than NTLM.");
	/* the FQDN when the capture has it, else the client resolves the name or
	 * address it has (a reverse lookup for an address) */
	const char *known = f->s_name[0] ? f->s_name : f->s_ip;
	if (f->s_name[0] && strchr(f->s_name, '.'))
		cmd(r, "Invoke-Command -ComputerName %s -ScriptBlock { ... }   # not the IP address", f->s_name);
	else if (known[0])
		cmd(r, "Invoke-Command -ComputerName ([System.Net.Dns]::GetHostEntry('%s').HostName) -ScriptBlock { ... }   # not the IP address", known);
	else
		cmd(r, "Invoke-Command -ComputerName " PS_S " -ScriptBlock { ... }   # not the IP address");
	ask_missing(r, n);
	remedies_std(d, n, f->hop2_is_winrm, true, true, true, false);
	if (!f->hop2_seen && !f->hop2_inferred && !f->at_server1)
		need(d, "%s's capture to see the second hop", n->ss);
}

static bool m_winrm_second_hop(const ctx *c, const char *cause)
{
	(void)cause;
	return c->f->hop2_is_winrm && c->f->hop2_auth == HS_AUTH_KERBEROS && c->hop2_failed;
}

static void x_winrm_second_hop(const ctx *c, hs_diag *d)
{
	set(d, HS_METHOD_UNKNOWN, HS_VERDICT_FAILED);
	detail(d, "Hop 2 is WinRM (Invoke-Command inside Invoke-Command) with Kerberos and failed: Kerberos delegation does not carry a WinRM second hop.");
	explain(d, "Microsoft documents that Kerberos delegation (unconstrained, constrained or resource-based) does not work for a nested WinRM session; use CredSSP or pass credentials explicitly ($using:cred) for the inner Invoke-Command.");
	remedies_std(d, &c->n, false, false, true, true, false);
}

/* ---- 3. generic: no usable identity on hop 2 ---- */

/* Kerberos hop 1 decrypted with the first server's key (--keytab), and no
 * TGT rode along (RFC 4121 4.1.1: KRB-CRED in the authenticator). */
static bool dec_no_tgt(const ctx *c)
{
	const hs_facts *f = c->f;
	return (c->anon || f->hop2_as_machine) && f->hop1_auth == HS_AUTH_KERBEROS && f->hop1_decrypted && !f->hop1_krb_cred &&
	       !f->forwarded_tgt;
}

/* The server is trusted (another user's TGT went through it): this client
 * just did not send the TGT. */
static bool trusted_no_tgt(const ctx *c)
{
	const hs_facts *f = c->f;
	return (c->anon || f->hop2_as_machine) && f->hop1_auth == HS_AUTH_KERBEROS && !f->forwarded_tgt && f->client_kdc_visible &&
	       f->server_trusted_seen;
}

/* The cause of a hop 2 without the user's identity, most specific first. */
static const char *no_identity_cause(const ctx *c)
{
	const hs_facts *f = c->f;
	if (dec_no_tgt(c))
		return f->hop1_ok_as_delegate ? "tgt_not_forwarded" : "no_delegation_configured";
	if (trusted_no_tgt(c))
		return "tgt_not_forwarded";
	if (c->anon)
		return "second_hop_anonymous";
	if (f->hop2_as_machine)
		return "second_hop_as_machine_account";
	if (f->hop2_as_user && f->hop2_auth_ok)
		return "access_denied_on_target";
	return "unknown";
}

static bool m_no_identity(const ctx *c, const char *cause)
{
	const hs_facts *f = c->f;
	return (f->hop2_seen || f->hop2_inferred) && (c->anon || f->hop2_as_machine || c->hop2_failed) && !strcmp(no_identity_cause(c), cause);
}

static bool m_no_identity_decrypted(const ctx *c, const char *cause)
{
	return m_no_identity(c, cause) && dec_no_tgt(c);
}

static bool m_no_identity_trusted(const ctx *c, const char *cause)
{
	return m_no_identity(c, cause) && !dec_no_tgt(c);
}

/* The client presented a service ticket for the first server that it had
 * cached from an earlier session (no new TGS exchange), while the first
 * server is trusted for delegation now (another session through it carried
 * a forwarded TGT), and this session's hop 2 had no identity: the ticket
 * was issued before the server became trusted and lacks ok-as-delegate, so
 * the client sent no TGT (lab 23; MS-KILE 3.3.5.7.5: the KDC sets
 * ok-as-delegate when it issues the ticket, a cached one keeps its flags).
 * The decrypted ticket settles it when --keytab opened it; a ticket that
 * does carry ok-as-delegate is another cause (the client did not ask). */
static bool m_stale_ticket(const ctx *c, const char *cause)
{
	(void)cause;
	const hs_facts *f = c->f;
	return (f->hop2_seen || f->hop2_inferred) && (c->anon || f->hop2_as_machine || c->hop2_failed) && !c->hop2_ok &&
	       f->hop1_auth == HS_AUTH_KERBEROS && f->hop1_ticket_reused && f->server_trusted_seen && !f->forwarded_tgt &&
	       !f->hop1_krb_cred && !(f->hop1_decrypted && f->hop1_ok_as_delegate);
}

static void x_stale_ticket(const ctx *c, hs_diag *d)
{
	const hs_facts *f = c->f;
	const names *n = &c->n;
	set(d, HS_METHOD_UNCONSTRAINED, HS_VERDICT_FAILED);
	detail(d, "%s is trusted for delegation (another session through it carried a forwarded TGT), but %s's client re-used a service ticket for %s cached from an earlier session%s: no TGT was forwarded and %s went %s%s.",
	       n->ss, n->uname, n->ss, f->hop1_decrypted ? ", issued without ok-as-delegate (decrypted with the server's keytab)" : "",
	       hop2_what(f), c->anon ? "as ANONYMOUS LOGON" : (f->hop2_as_machine ? "as the machine account" : "without the user's identity"),
	       c->hop2_failed ? " and was refused" : "");
	explain(d, "The KDC sets ok-as-delegate when it issues a ticket, and a client forwards its TGT only to a server whose ticket carries it. %s's client presented a ticket for %s that it already held (no new ticket request before this session), most likely issued before %s was trusted for delegation: the fix did not reach this client. Purge the client's tickets (klist purge, or log off and on) so it asks the KDC for a new ticket, then reconnect.",
		n->uname, n->ss, n->ss);
	hs_remedy *r = remedy(d, HS_METHOD_UNCONSTRAINED, "Purge the client's cached tickets so the next session gets a ticket with ok-as-delegate",
			      "No security trade-off: the client only requests new tickets.");
	cmd(r, "klist purge   # on the client, as %s", n->uname);
	cmd(r, "Invoke-Command -ComputerName %s -ScriptBlock { Get-ChildItem \\\\%s\\share }", n->ps_s, n->ps_t);
	ask_missing(r, n);
	ev(d, f->hop1_ticket_first_ref);
	ev(d, f->hop1_dec_ref);
	if (!f->hop1_decrypted)
		need(d, "%s's keytab to confirm that the cached ticket lacks ok-as-delegate", n->ss);
	remedies_std(d, n, f->hop2_is_winrm, true, true, false, false);
}

static void x_no_delegation_decrypted(const ctx *c, hs_diag *d)
{
	const hs_facts *f = c->f;
	const names *n = &c->n;
	set(d, trusted_no_tgt(c) ? HS_METHOD_UNCONSTRAINED : HS_METHOD_NONE, HS_VERDICT_FAILED);
	detail(d, "%s's ticket for %s has no ok-as-delegate flag and its authenticator carries no forwarded TGT (both decrypted with %s's keytab): %s is not trusted for delegation, and %s went %s%s.", n->uname, n->ss, n->ss, n->ss, hop2_what(f), c->anon ? "as ANONYMOUS LOGON" : "as the machine account", c->hop2_failed ? " and was refused" : "");
	explain(d, "This is the classic PowerShell double hop, confirmed by the decrypted hop-1 ticket: the KDC did not mark %s's ticket ok-as-delegate, so %s's account is trusted for no kind of delegation and the client sent no TGT. %s held only a service ticket for %s, which proves %s to %s but cannot be passed on: when the script touched %s, %s connected %s.",
		n->uname, n->SS, n->ss, n->uname, n->uname, n->ss, n->t, n->ss, c->anon ? "anonymously (NT AUTHORITY\\ANONYMOUS LOGON)" : "as its own machine account");
	ev(d, f->hop1_dec_ref);
	remedies_std(d, n, f->hop2_is_winrm, true, true, true, true);
	remedy_unconstrained_note(d, n);
}

static void x_access_denied(const ctx *c, hs_diag *d)
{
	const hs_facts *f = c->f;
	const names *n = &c->n;
	set(d, HS_METHOD_NONE, HS_VERDICT_FAILED);
	detail(d, "%s authenticated to %s as %s but was refused: %s.", n->ss, n->t, n->user, f->hop2_status_name[0] ? f->hop2_status_name : "access denied");
	explain(d, "The delegated identity reached %s; the failure is authorisation on the target (share or file ACL, SQL login, group membership), not delegation.", n->t);
}

static void x_tgt_not_forwarded_decrypted(const ctx *c, hs_diag *d)
{
	const hs_facts *f = c->f;
	const names *n = &c->n;
	set(d, HS_METHOD_UNCONSTRAINED, HS_VERDICT_FAILED);
	detail(d, "%s's ticket for %s carries ok-as-delegate but the authenticator carries no forwarded TGT (GSS delegation flag %s; decrypted with %s's keytab); hop 2 went %s and %s.", n->uname, n->ss, f->hop1_deleg_flag ? "set" : "not set", n->ss, c->anon ? "anonymous" : "as the machine account", c->hop2_failed ? "was denied" : "ran without the user's identity");
	explain(d, "%s is trusted for unconstrained delegation (the KDC set ok-as-delegate in %s's ticket), but the client did not put %s's TGT in its authenticator: the client did not request delegation (e.g. pywinrm kerberos_delegation=False, curl without --delegation), or its TGT is not forwardable (sensitive account). Without it %s had no credential of %s for %s.", n->ss, n->uname, n->uname, n->ss, n->uname, n->t);
	ev(d, f->hop1_dec_ref);
	remedies_std(d, n, f->hop2_is_winrm, true, true, false, false);
}

static void x_tgt_not_forwarded(const ctx *c, hs_diag *d)
{
	const hs_facts *f = c->f;
	const names *n = &c->n;
	set(d, HS_METHOD_UNCONSTRAINED, HS_VERDICT_FAILED);
	detail(d, "%s's client did not forward a TGT (no TGS-REQ with the forwarded option) although %s is trusted for delegation; hop 2 went %s and %s.", n->uname, n->ss, c->anon ? "anonymous" : "as the machine account", c->hop2_failed ? "was denied" : "ran without the user's identity");
	explain(d, "%s accepts delegated TGTs (another session in this capture used one), but this client did not send %s's TGT: the client did not request delegation (e.g. pywinrm kerberos_delegation=False, curl without --delegation), or the user is marked sensitive. Without it %s had no credential of %s for %s.", n->ss, n->uname, n->ss, n->uname, n->t);
	remedies_std(d, n, f->hop2_is_winrm, true, true, false, false);
}

static void x_no_identity(const ctx *c, hs_diag *d)
{
	const hs_facts *f = c->f;
	const names *n = &c->n;
	set(d, HS_METHOD_NONE, HS_VERDICT_FAILED);
	detail(d, "%s held no usable credential of %s (Kerberos service ticket only: no forwarded TGT, no S4U, no fresh logon): %s went %s%s%s.", n->ss, n->user, hop2_what(f),
	       c->anon ? "as ANONYMOUS LOGON" : (f->hop2_as_machine ? "as the machine account " : "without the user's identity"),
	       f->hop2_as_machine ? f->hop2_principal : "",
	       c->hop2_failed ? (f->hop2_status_name[0] ? ", refused with " : " and was refused") : "");
	if (c->hop2_failed && f->hop2_status_name[0]) {
		size_t l = strlen(d->detail);
		if (l && d->detail[l - 1] == '.')
			d->detail[l - 1] = 0;
		append(d->detail, sizeof d->detail, "%s.", f->hop2_status_name);
	}
	explain(d, "This is the classic PowerShell double hop: %s authenticated %s with %s, which proves the user to %s but gives it nothing to pass on. When the script touched %s, %s had no credential of %s and connected %s, so %s %s. None of CredSSP, Kerberos delegation (unconstrained, constrained, resource-based), fresh credentials or RunAs is in use.",
		n->ss, n->uname, hs_auth_name(f->hop1_auth), n->ss, n->t, n->ss, n->uname,
		c->anon ? "anonymously (NT AUTHORITY\\ANONYMOUS LOGON)" : "as its own machine account",
		n->t, c->hop2_failed ? "denied access" : "did not see the user");
	if (f->hop1_auth == HS_AUTH_KERBEROS && !f->forwarded_tgt && !f->hop1_decrypted) {
		if (f->client_kdc_visible)
			need(d, "the ok-as-delegate flag of %s's ticket (encrypted: needs the client's session key or %s's keytab) to tell 'not trusted for delegation' from 'client did not ask'", n->ss, n->ss);
		else if (!have_client_or_dc(f))
			need(d, "the client's or the DC's capture (a forwarded-TGT request would show attempted unconstrained delegation)");
	}
	remedies_std(d, n, f->hop2_is_winrm, true, true, true, true);
	remedy_unconstrained_note(d, n);
}

/* ---- 4. what this input cannot show ---- */

/* Hop 2 is not in the input, but the user saw on hop 1 what became of it
 * (issue 16: an error line of the hop-1 command): the line decides that it
 * failed and how, and the hop-1 evidence decides whether a credential had
 * gone to the first server at all. */
static const char *saw_cause(const ctx *c)
{
	const hs_facts *f = c->f;
	switch (c->saw) {
	case HS_SAW_S4U2PROXY:
		return "s4u2proxy_denied";
	case HS_SAW_SKEW:
		return "clock_skew";
	case HS_SAW_KDC:
		return "kdc_error";
	default:
		break;
	}
	if (!c->saw_refused)
		return NULL;
	bool sent = f->forwarded_tgt || f->hop1_krb_cred || f->hop1_auth == HS_AUTH_CREDSSP;
	if (f->hop1_auth == HS_AUTH_KERBEROS && f->hop1_decrypted && !sent)
		return f->hop1_ok_as_delegate ? "tgt_not_forwarded" : "no_delegation_configured";
	/* the server is trusted (another session sent it a TGT): this client
	 * did not, with a cached ticket most likely from before the fix */
	if (f->hop1_auth == HS_AUTH_KERBEROS && !sent && f->server_trusted_seen && f->client_kdc_visible)
		return f->hop1_ticket_reused ? "stale_service_ticket" : "tgt_not_forwarded";
	/* no forwarded TGT where the client's KDC exchanges (or the decrypted
	 * authenticator) would show one; or the first server says itself that
	 * it holds no credential of the user */
	if (!sent && ((f->hop1_auth == HS_AUTH_KERBEROS && (f->client_kdc_visible || f->hop1_auth_decrypted)) ||
		      c->saw == HS_SAW_NO_CREDENTIALS))
		return "no_credentials_delegated";
	return "second_hop_refused";
}

static bool m_saw_unseen(const ctx *c, const char *cause)
{
	const char *k = !c->f->hop2_seen && !c->f->hop2_inferred ? saw_cause(c) : NULL;
	return k && !strcmp(k, cause);
}

static void x_saw_unseen(const ctx *c, hs_diag *d)
{
	const hs_facts *f = c->f;
	const names *n = &c->n;
	const char *k = saw_cause(c);
	bool sent = f->forwarded_tgt || f->hop1_krb_cred || f->hop1_auth == HS_AUTH_CREDSSP;
	const char *lacks = f->hop1_decrypted ? "lacks ok-as-delegate" : "";
	if (!strcmp(k, "s4u2proxy_denied")) {
		set(d, HS_METHOD_CONSTRAINED, HS_VERDICT_FAILED);
		detail(d, "The second hop is not in this input, but the error the hop-1 command printed says the KDC refused %s's constrained delegation (S4U2Proxy) for %s.", n->ss, n->uname);
		explain(d, "%s tried Kerberos constrained delegation for %s and the KDC refused the S4U2Proxy request: %s's account is not allowed to delegate to the target (msDS-AllowedToDelegateTo), it lacks protocol transition, %s is sensitive / in Protected Users, or resource-based delegation on %s does not list %s. The KDC's answer itself (its KERB-EXT-ERROR status) is in %s's or the DC's traffic.",
			n->ss, n->uname, n->SSacct, n->uname, n->TSacct, n->SSacct, n->ss);
		need(d, "%s's capture or the DC's port 88 (the S4U2Proxy KRB-ERROR and its NTSTATUS)", n->ss);
		need(d, "the AD configuration: msDS-AllowedToDelegateTo of %s, TrustedToAuthForDelegation, msDS-AllowedToActOnBehalfOfOtherIdentity of %s", n->SSacct, n->TSacct);
		remedies_std(d, n, f->hop2_is_winrm, true, true, true, true);
	} else if (!strcmp(k, "clock_skew")) {
		set(d, method_seen(f), HS_VERDICT_FAILED);
		detail(d, "The second hop is not in this input, but the error the hop-1 command printed is a Kerberos clock-skew refusal.");
		explain(d, "Kerberos refuses authenticators whose time is more than the allowed skew (5 minutes by default) away from the receiver's clock. Synchronise %s, %s and the domain controllers (w32tm /resync).", n->ss, n->t);
		hs_remedy *r = remedy(d, HS_METHOD_UNKNOWN, "Synchronise the clocks", "No security trade-off.");
		cmd(r, "w32tm /resync   # on %s and %s", n->ss, n->t);
		need(d, "%s's capture covering the second hop (which server's clock is off)", n->ss);
	} else if (!strcmp(k, "kdc_error")) {
		set(d, method_seen(f), HS_VERDICT_FAILED);
		detail(d, "The second hop is not in this input, but the error the hop-1 command printed is a refusal by the KDC.");
		explain(d, "The command on %s asked the KDC for a ticket on %s's behalf and the KDC refused; the KRB-ERROR (its code and the account it names) is in %s's or the DC's traffic.", n->ss, n->uname, n->ss);
		need(d, "%s's capture or the DC's port 88 (the KRB-ERROR and its code)", n->ss);
	} else if (!f->hop1_decrypted && (!strcmp(k, "tgt_not_forwarded") || !strcmp(k, "stale_service_ticket"))) {
		bool stale = !strcmp(k, "stale_service_ticket");
		set(d, HS_METHOD_UNCONSTRAINED, HS_VERDICT_FAILED);
		detail(d, "The second hop is not in this input, but the hop-1 command's error says %s refused it; %s is trusted for delegation (another session sent it a TGT) and %s's client sent none%s.",
		       n->t, n->ss, n->uname, stale ? ", presenting a service ticket cached from an earlier session" : "");
		explain(d, "A client forwards its TGT only to a server whose ticket carries ok-as-delegate. %s accepts delegated TGTs, but this client did not send %s's: %s Without it %s had no credential of %s for %s.",
			n->ss, n->uname, stale ? "it re-used a ticket for the server issued before (most likely before the server became trusted, so without ok-as-delegate); purge the client's tickets (klist purge) and reconnect." : "the client did not request delegation, or the user's TGT is not forwardable.",
			n->ss, n->uname, n->t);
		if (stale) {
			hs_remedy *r = remedy(d, HS_METHOD_UNCONSTRAINED, "Purge the client's cached tickets so the next session gets a ticket with ok-as-delegate",
					      "No security trade-off: the client only requests new tickets.");
			cmd(r, "klist purge   # on the client, as %s", n->uname);
			ev(d, f->hop1_ticket_first_ref);
		}
		need(d, "%s's keytab to read the hop-1 ticket's ok-as-delegate flag", n->ss);
		remedies_std(d, n, f->hop2_is_winrm, true, true, false, false);
	} else if (!strcmp(k, "no_delegation_configured") || !strcmp(k, "tgt_not_forwarded")) {
		bool trusted = f->hop1_ok_as_delegate;
		set(d, trusted ? HS_METHOD_UNCONSTRAINED : HS_METHOD_NONE, HS_VERDICT_FAILED);
		detail(d, "The second hop is not in this input, but the hop-1 command's error says %s refused it, and %s's ticket for %s %s and its authenticator carries no forwarded TGT (decrypted with %s's keytab): %s held no credential of %s to pass on.",
		       n->t, n->uname, n->ss, trusted ? "carries ok-as-delegate" : lacks, n->ss, n->ss, n->uname);
		if (trusted)
			explain(d, "%s is trusted for unconstrained delegation (ok-as-delegate), but the client did not send %s's TGT (it did not request delegation, or the TGT is not forwardable). With only a service ticket %s could not act as %s on %s, which refused it.", n->ss, n->uname, n->ss, n->uname, n->t);
		else
			explain(d, "This is the classic PowerShell double hop, confirmed by the decrypted hop-1 ticket: %s's account is trusted for no kind of delegation and the client sent no TGT, so %s held only a service ticket for %s and %s refused what it presented (anonymous or its machine account).", n->SS, n->ss, n->uname, n->t);
		ev(d, f->hop1_dec_ref);
		remedies_std(d, n, f->hop2_is_winrm, true, true, !trusted, !trusted);
	} else if (!strcmp(k, "no_credentials_delegated")) {
		set(d, HS_METHOD_NONE, HS_VERDICT_FAILED);
		detail(d, "The second hop is not in this input, but the hop-1 command's error says %s refused it%s; hop 1 carried no credential %s could pass on (Kerberos service ticket only: no forwarded TGT%s).",
		       n->t, c->saw == HS_SAW_NO_CREDENTIALS ? " (the first server had no credential of the user to offer)" : "", n->ss,
		       f->client_kdc_visible ? " request in the client's KDC exchanges" : " in the authenticator");
		explain(d, "%s authenticated %s with Kerberos, which proves the user to %s but gives it nothing to pass on, so %s reached %s without %s's identity (anonymously or as its machine account) and was refused. Only constrained or resource-based delegation (configured on the accounts), fresh credentials or CredSSP could have carried %s further.",
			n->ss, n->uname, n->ss, n->ss, n->t, n->uname, n->uname);
		need(d, "%s's capture covering the second hop (whether it tried S4U2Proxy, went anonymous or as its machine account)", n->ss);
		remedies_std(d, n, f->hop2_is_winrm, true, true, true, true);
	} else {
		set(d, method_seen(f), HS_VERDICT_FAILED);
		detail(d, "The second hop is not in this input, but the hop-1 command's error says %s refused it%s.", n->t,
		       sent ? " although the user's credential reached the first server (forwarded TGT or CredSSP)" : "");
		explain(d, "What reached %s is not in this input: %s. %s's own capture shows whether it presented %s's identity (then %s's permissions are at fault) or not (then the delegation is).",
			n->t, sent ? "the user's credential went to the first server, so an authorisation refusal by the target (share or file permissions, group membership) is the likely cause" : "whether the first server held a credential of the user cannot be told from it",
			n->ss, n->uname, n->t);
		need(d, "%s's capture covering the second hop", n->ss);
		if (!sent && !have_client_or_dc(f))
			need(d, "the client's or the DC's capture (a forwarded-TGT request would show delegation)");
	}
	ev(d, f->user_saw_ref);
}

static bool m_hop2_unseen(const ctx *c, const char *cause)
{
	(void)cause;
	return !c->f->hop2_seen && !c->f->hop2_inferred;
}

static void x_hop2_unseen(const ctx *c, hs_diag *d)
{
	const hs_facts *f = c->f;
	const names *n = &c->n;
	hs_method m = HS_METHOD_UNKNOWN;
	if (f->hop1_auth == HS_AUTH_CREDSSP)
		m = HS_METHOD_CREDSSP;
	else if (f->forwarded_tgt)
		m = HS_METHOD_UNCONSTRAINED;
	/* the DC sees only the first server's Kerberos: an anonymous or NTLM
	 * second hop never reaches it, so its absence there proves nothing */
	bool only_kdc_view = f->at_dc && !f->at_server1 && !f->at_span;
	set(d, m, f->s_outbound_visible && !only_kdc_view ? HS_VERDICT_NOT_ATTEMPTED : HS_VERDICT_UNKNOWN);
	if (f->hop1_tls_opaque)
		detail(d, "Hop 1 to %s runs over TLS (WinRM HTTPS): its authentication is not visible, and no second hop is in this input.", n->s);
	else if (f->forwarded_tgt)
		detail(d, "The client forwarded %s's TGT to %s (unconstrained delegation requested); the second hop is not in this input.", n->user, n->ss);
	else if (f->hop1_auth == HS_AUTH_KERBEROS && f->client_kdc_visible)
		detail(d, "Hop 1 used Kerberos without a forwarded TGT: only constrained delegation, fresh credentials or RunAs could carry %s further; the second hop is not in this input.", n->uname);
	else
		detail(d, "Hop 1 to %s was seen; the second hop is not in this input.", n->s);
	explain(d, "This input shows the first hop (%s as %s to %s) but nothing %s did afterwards, so whether the delegation worked cannot be told.", hs_auth_name(f->hop1_auth), f->user[0] ? n->user : "an unidentified user", n->s, n->ss);
	if (f->at_dc && !f->at_server1)
		need(d, "%s's capture covering the second hop (this input, taken at the DC, shows no Kerberos of %s for it: NTLM, or outside the capture's time)", n->ss, n->ss);
	else if (!f->at_server1)
		need(d, "%s's capture (or the DC's port 88) covering the second hop", n->ss);
	if (f->hop1_tls_opaque)
		need(d, "the TLS key log of the hop-1 connection to see its authentication");
}

/* Concurrent sessions into one server with nothing to tell them apart
 * (model_attrib.c concurrent_open): the second hops it made then belong to
 * one of them, which one is a guess, so this chain's verdict is not known.
 * A refusal among them is still a refusal: the exit status says so
 * (hs_report_exit_status), the texts say it belongs to one of them. */
static bool m_ambiguous(const ctx *c, const char *cause)
{
	(void)cause;
	return c->f->hop2_ambiguous && !c->f->hop2_seen && !c->f->hop2_inferred;
}

static void x_ambiguous(const ctx *c, hs_diag *d)
{
	const hs_facts *f = c->f;
	const names *n = &c->n;
	set(d, f->hop1_auth == HS_AUTH_CREDSSP ? HS_METHOD_CREDSSP : f->forwarded_tgt ? HS_METHOD_UNCONSTRAINED : HS_METHOD_UNKNOWN,
	    HS_VERDICT_UNKNOWN);
	ev(d, f->hop2_ambiguous_ref);
	detail(d, "%u sessions into %s were open at once when %s made %s; nothing in this input (a user name, a key, a shell or a Command) ties %s to one session, so this session's second hop is not known.%s",
	       f->hop2_ambiguous_sessions, n->s, n->ss, f->hop2_ambiguous > 1 ? "its second-hop connections and KDC requests" : "a second hop",
	       f->hop2_ambiguous > 1 ? "them" : "it",
	       f->hop2_ambiguous_refused ? " One of them was refused: some session failed (exit status 1), which one cannot be told from here." : "");
	explain(d, "The hop-1 bodies and tickets that would name each session's user are encrypted, and the sessions ran at the same time, so giving the second hop to one of them would be a guess.");
	need(d, "%s's keytab: it opens each session's hop-1 ticket (its user) and the forwarded TGT or S4U request that ties a second hop to it", n->ss);
	if (!f->at_client && !f->at_dc)
		need(d, "the client's or the DC's capture of the same time: the KDC exchange that issued each session's hop-1 ticket names its user");
}

static bool m_any(const ctx *c, const char *cause)
{
	(void)c;
	(void)cause;
	return true;
}

static void x_undecided(const ctx *c, hs_diag *d)
{
	const hs_facts *f = c->f;
	const names *n = &c->n;
	set(d, HS_METHOD_UNKNOWN, HS_VERDICT_UNKNOWN);
	detail(d, "Hop 2 from %s to %s was seen (%s, %s) but the evidence does not settle how or whether %s's identity was delegated.", n->ss, n->t, hs_auth_name(f->hop2_auth), hs_result_name(f->hop2_result), n->uname);
	explain(d, "hopsniff saw both hops but no decisive trace (forwarded TGT, S4U, fresh logon, CredSSP) linking them.");
	char who[3][HS_NAME_MAX + 16];
	int nw = 0;
	if (!f->at_client)
		snprintf(who[nw++], sizeof who[0], "the client");
	if (!f->at_server1)
		snprintf(who[nw++], sizeof who[0], "%s", n->ss);
	if (!f->at_dc)
		snprintf(who[nw++], sizeof who[0], "the DC's port 88");
	if (nw)
		need(d, "captures of %s%s%s%s%s together%s", who[0], nw == 3 ? ", " : nw == 2 ? " and " : "",
		     nw > 1 ? who[1] : "", nw == 3 ? " and " : "", nw == 3 ? who[2] : "",
		     nw < 3 ? " with this one" : "");
}

/* ---- the table ---- */

/* The evidence a rule names as the frame that decided it, in order of
 * preference (EV_LAST: the last evidence frame cited). */
typedef enum ev_kind {
	EV_END = 0,
	EV_HOP2,
	EV_SKEW,
	EV_FRESH_AS,
	EV_S4U2SELF,
	EV_S4U2PROXY,
	EV_TGS_ERROR,
	EV_FORWARDED,
	EV_CLOCK,
	EV_TICKET,
	EV_SAW,
	EV_AMBIG,
	EV_LAST
} ev_kind;

/* Whose refusal the user saw on hop 1 when the chain failed: the texts'
 * words for the error line the hop-1 command printed (facts.user_saw). */
typedef enum saw_kind {
	SAW_THIS = 0, /* "this failure" */
	SAW_KDC,      /* the KDC's refusal */
	SAW_TARGET    /* the second server's refusal */
} saw_kind;

typedef struct rule {
	const char *cause;                        /* contract cause (report-contract.md) */
	bool (*match)(const ctx *c, const char *cause);
	void (*explain)(const ctx *c, hs_diag *d); /* method, verdict, texts, remedies, needs */
	ev_kind decisive[2];
	saw_kind saw;
} rule;

static const rule rules[] = {
	/* 0. which session a second hop belongs to is not known */
	{ "unknown", m_ambiguous, x_ambiguous, { EV_AMBIG }, SAW_THIS },
	/* 1. what worked */
	{ "ok", m_ok_credssp, x_ok_credssp, { EV_HOP2, EV_LAST }, SAW_THIS },
	{ "ok", m_ok_fresh, x_ok_fresh, { EV_HOP2, EV_LAST }, SAW_THIS },
	{ "ok", m_ok_constrained, x_ok_constrained, { EV_HOP2, EV_LAST }, SAW_THIS },
	{ "ok", m_ok_unconstrained, x_ok_unconstrained, { EV_HOP2, EV_LAST }, SAW_THIS },
	{ "ok", m_ok_tgt_unknown, x_ok_tgt_unknown, { EV_HOP2, EV_LAST }, SAW_THIS },
	{ "ok", m_ok_runas, x_ok_runas, { EV_HOP2, EV_LAST }, SAW_THIS },
	{ "ok", m_ok_who, x_ok_who, { EV_HOP2, EV_LAST }, SAW_THIS },
	/* 2. specific failures */
	{ "clock_skew", m_clock_skew, x_clock_skew, { EV_SKEW }, SAW_THIS },
	{ "clock_skew", m_clock_skew_server, x_clock_skew_server, { EV_CLOCK, EV_HOP2 }, SAW_TARGET },
	{ "kdc_error", m_skew_other, x_skew_other, { EV_SKEW }, SAW_THIS },
	{ "preauth_failed", m_preauth_failed, x_fresh_failed, { EV_FRESH_AS }, SAW_KDC },
	{ "kdc_error", m_fresh_kdc_error, x_fresh_failed, { EV_FRESH_AS }, SAW_KDC },
	{ "s4u2self_failed", m_s4u2self_failed, x_s4u2self_failed, { EV_S4U2SELF }, SAW_KDC },
	{ "s4u2self_not_forwardable", m_s4u2proxy, x_s4u2proxy, { EV_S4U2PROXY }, SAW_KDC },
	{ "no_delegation_configured", m_s4u2proxy, x_s4u2proxy, { EV_S4U2PROXY }, SAW_KDC },
	{ "s4u2proxy_target_not_allowed", m_s4u2proxy, x_s4u2proxy, { EV_S4U2PROXY }, SAW_KDC },
	{ "rbcd_denied", m_s4u2proxy, x_s4u2proxy, { EV_S4U2PROXY }, SAW_KDC },
	{ "s4u2proxy_denied", m_s4u2proxy, x_s4u2proxy, { EV_S4U2PROXY }, SAW_KDC },
	{ "spn_unknown", m_spn_unknown, x_spn_unknown, { EV_TGS_ERROR }, SAW_KDC },
	{ "etype_not_supported", m_etype, x_etype, { EV_TGS_ERROR }, SAW_KDC },
	{ "user_not_delegable", m_not_delegable, x_not_delegable, { EV_FORWARDED }, SAW_KDC },
	{ "kdc_error", m_tgs_kdc_error, x_tgs_kdc_error, { EV_TGS_ERROR }, SAW_KDC },
	{ "credssp_not_enabled_on_server", m_credssp_not_enabled, x_credssp_not_enabled, { EV_HOP2 }, SAW_THIS },
	{ "credssp_auth_failed", m_credssp_auth_failed, x_credssp_auth_failed, { EV_END }, SAW_THIS },
	{ "ntlm_first_hop", m_ntlm_first_hop, x_ntlm_first_hop, { EV_HOP2 }, SAW_TARGET },
	{ "winrm_second_hop_needs_credssp_or_fresh_credentials", m_winrm_second_hop, x_winrm_second_hop, { EV_HOP2 }, SAW_TARGET },
	/* 3. generic: no usable identity on hop 2 */
	{ "stale_service_ticket", m_stale_ticket, x_stale_ticket, { EV_TICKET, EV_HOP2 }, SAW_TARGET },
	{ "no_delegation_configured", m_no_identity, x_no_delegation_decrypted, { EV_HOP2 }, SAW_TARGET },
	{ "tgt_not_forwarded", m_no_identity_decrypted, x_tgt_not_forwarded_decrypted, { EV_HOP2 }, SAW_TARGET },
	{ "tgt_not_forwarded", m_no_identity_trusted, x_tgt_not_forwarded, { EV_HOP2 }, SAW_TARGET },
	{ "access_denied_on_target", m_no_identity, x_access_denied, { EV_HOP2 }, SAW_TARGET },
	{ "second_hop_anonymous", m_no_identity, x_no_identity, { EV_HOP2 }, SAW_TARGET },
	{ "second_hop_as_machine_account", m_no_identity, x_no_identity, { EV_HOP2 }, SAW_TARGET },
	{ "unknown", m_no_identity, x_no_identity, { EV_HOP2 }, SAW_TARGET },
	/* 4. what this input cannot show, unless the user saw it */
	{ "s4u2proxy_denied", m_saw_unseen, x_saw_unseen, { EV_SAW }, SAW_KDC },
	{ "clock_skew", m_saw_unseen, x_saw_unseen, { EV_SAW }, SAW_THIS },
	{ "kdc_error", m_saw_unseen, x_saw_unseen, { EV_SAW }, SAW_KDC },
	{ "no_delegation_configured", m_saw_unseen, x_saw_unseen, { EV_SAW }, SAW_TARGET },
	{ "tgt_not_forwarded", m_saw_unseen, x_saw_unseen, { EV_SAW }, SAW_TARGET },
	{ "stale_service_ticket", m_saw_unseen, x_saw_unseen, { EV_SAW }, SAW_TARGET },
	{ "no_credentials_delegated", m_saw_unseen, x_saw_unseen, { EV_SAW }, SAW_TARGET },
	{ "second_hop_refused", m_saw_unseen, x_saw_unseen, { EV_SAW }, SAW_TARGET },
	{ "unknown", m_hop2_unseen, x_hop2_unseen, { EV_LAST }, SAW_THIS },
	{ "unknown", m_any, x_undecided, { EV_HOP2, EV_LAST }, SAW_THIS },
};

size_t hs_rules_count(void) { return sizeof rules / sizeof rules[0]; }

const char *hs_rules_cause(size_t i) { return i < hs_rules_count() ? rules[i].cause : NULL; }

static hs_ref ev_ref(const hs_facts *f, const hs_diag *d, ev_kind k)
{
	switch (k) {
	case EV_HOP2: return f->hop2_ref;
	case EV_SKEW: return f->skew_ref;
	case EV_FRESH_AS: return f->fresh_as_ref;
	case EV_S4U2SELF: return f->s4u2self_ref;
	case EV_S4U2PROXY: return f->s4u2proxy_ref;
	case EV_TGS_ERROR: return f->tgs_error_ref;
	case EV_FORWARDED: return f->forwarded_ref;
	case EV_CLOCK: return f->hop2_clock_ref;
	case EV_TICKET: return f->hop1_ticket_first_ref;
	case EV_SAW: return f->user_saw_ref;
	case EV_AMBIG: return f->hop2_ambiguous_ref;
	case EV_LAST: return d->nevidence ? d->evidence[d->nevidence - 1] : (hs_ref){ 0, 0 };
	default: return (hs_ref){ 0, 0 };
	}
}

/* ---- what the texts say about what the capture does not show ---- */

/* After the first plain use (not a possessive) of the words that stand for
 * an unknown name, say that the capture does not show it. */
static bool mark_in(char *text, size_t size, const char *words)
{
	size_t wl = strlen(words);
	for (char *p = strstr(text, words); p; p = strstr(p + wl, words)) {
		char next = p[wl];
		if (next == '\'' || isalnum((unsigned char)next) || (p > text && isalnum((unsigned char)p[-1])) ||
		    !strncmp(p + wl, UNKNOWN_NOTE, sizeof UNKNOWN_NOTE - 1))
			continue;
		size_t at = (size_t)(p - text) + wl, l = strlen(text), nl = sizeof UNKNOWN_NOTE - 1;
		if (l + nl + 1 > size)
			return false;
		memmove(text + at + nl, text + at, l - at + 1);
		memcpy(text + at, UNKNOWN_NOTE, nl);
		return true;
	}
	return false;
}

static void mark_unknown(hs_diag *d, const names *n)
{
	const struct { bool unknown; const char *words; } w[] = {
		{ !n->user_known, W_USER },
		{ !n->s_known, W_S },
		{ !n->t_known, W_T },
	};
	for (size_t i = 0; i < sizeof w / sizeof w[0]; i++)
		if (w[i].unknown && !mark_in(d->detail, sizeof d->detail, w[i].words))
			mark_in(d->explanation, sizeof d->explanation, w[i].words);
	/* words in place of a name may open a sentence (a name stays as it is) */
	if (!strncmp(d->detail, "the ", 4))
		d->detail[0] = 'T';
	if (!strncmp(d->explanation, "the ", 4))
		d->explanation[0] = 'T';
}

/* The error line the user saw on hop 1, quoted in the explanation (issue
 * 16: what the admin actually read).  Redaction already rewrote it with
 * the chain's other names (hs_redact_chain runs before the rules). */
static void quote_user_saw(hs_diag *d, const ctx *c, saw_kind k)
{
	const hs_facts *f = c->f;
	if (!f->user_saw[0])
		return;
	char q[200];
	size_t l = strlen(f->user_saw);
	if (l < sizeof q) {
		memcpy(q, f->user_saw, l + 1);
	} else {
		size_t cut = sizeof q - 4;
		while (cut && ((unsigned char)f->user_saw[cut] & 0xc0) == 0x80)
			cut--; /* on a character boundary */
		memcpy(q, f->user_saw, cut);
		memcpy(q + cut, "...", 4);
	}
	if (d->verdict == HS_VERDICT_FAILED) {
		char whose[HS_NAME_MAX + 32];
		if (k == SAW_KDC)
			snprintf(whose, sizeof whose, "the KDC's refusal");
		else if (k == SAW_TARGET && c->n.t_known)
			snprintf(whose, sizeof whose, "%s's refusal", c->n.t);
		else if (k == SAW_TARGET)
			snprintf(whose, sizeof whose, "the second server's refusal");
		else
			snprintf(whose, sizeof whose, "this failure");
		append(d->explanation, sizeof d->explanation, " The user saw %s on hop 1 as: \"%s\".", whose, q);
	} else if (d->verdict == HS_VERDICT_DELEGATED) {
		append(d->explanation, sizeof d->explanation, " The user still saw an error on hop 1: \"%s\"; the delegation itself worked, so it comes from what the command did with the identity (permissions on the target, a wrong path).", q);
	} else {
		append(d->explanation, sizeof d->explanation, " On hop 1 the user saw: \"%s\".", q);
	}
}

void hs_rules_diagnose(const hs_facts *f, hs_diag *d)
{
	memset(d, 0, sizeof *d);
	ctx c = { .f = f };
	fill_names(f, &c.n);
	c.hop2_ok = f->hop2_result == HS_RES_OK || (f->hop2_inferred && f->hop2_auth_ok);
	c.hop2_failed = f->hop2_result == HS_RES_FAILED;
	c.anon = f->hop2_auth == HS_AUTH_ANONYMOUS;
	c.saw = hs_rules_saw_says(f->user_saw);
	c.saw_refused = saw_is_refusal(c.saw);

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

	for (size_t i = 0; i < hs_rules_count(); i++) {
		const rule *r = &rules[i];
		if (!r->match(&c, r->cause))
			continue;
		d->cause = r->cause;
		r->explain(&c, d);
		for (size_t k = 0; k < sizeof r->decisive / sizeof r->decisive[0] && !d->decisive.frame; k++)
			d->decisive = ev_ref(f, d, r->decisive[k]);
		quote_user_saw(d, &c, r->saw);
		mark_unknown(d, &c.n);
		return;
	}
}

/* ------------------------------------------------------------------ */
/* policies the model applies (rules.h) */

bool hs_rules_credssp_fresh(hs_facts *f)
{
	if (f->user[0] || f->hop1_auth != HS_AUTH_CREDSSP || !f->other_as)
		return false;
	/* CredSSP hands srv1 the password; its fresh AS exchange names the
	 * user (the CredSSP TSCredentials are inside TLS) */
	snprintf(f->user, sizeof f->user, "%s", f->other_principal);
	f->other_as = false;
	f->fresh_as = true;
	return true;
}

bool hs_rules_delegates(const hs_facts *f)
{
	/* srv1 used a forwarded TGT, or (seen from srv1 alone, FAST hiding its
	 * TGS) the TGT rode in the hop-1 authenticator: clients forward it only
	 * to a server whose ticket carries ok-as-delegate (lab 23) */
	return (f->tgt_forwarded_used || f->hop1_krb_cred || f->hop1_tgt_by_size) && f->hop2_result != HS_RES_FAILED;
}

void hs_rules_trust(hs_facts *f, unsigned delegating)
{
	if (hs_rules_delegates(f))
		delegating--; /* another chain than itself */
	if (delegating && f->s_ip[0])
		f->server_trusted_seen = true;
}
