/* vocab.c - the exact names of the contract vocabularies (vocab.h,
 * report-contract.md). */
#include "vocab.h"

#include <glib.h>
#include <stdio.h>
#include <string.h>

const char *hs_carrier_name(hs_carrier c)
{
	static const char *const n[] = { "other", "winrm-http", "winrm-https", "http", "smb2",
					 "ldap", "dcerpc", "mssql", "rdp", "kerberos" };
	return (unsigned)c < G_N_ELEMENTS(n) ? n[c] : "other";
}

const char *hs_auth_name(hs_auth a)
{
	static const char *const n[] = { "unknown", "kerberos", "ntlm", "credssp", "basic", "anonymous", "none" };
	return (unsigned)a < G_N_ELEMENTS(n) ? n[a] : "unknown";
}

const char *hs_result_name(hs_result r)
{
	static const char *const n[] = { "unknown", "ok", "failed" };
	return (unsigned)r < G_N_ELEMENTS(n) ? n[r] : "unknown";
}

const char *hs_method_name(hs_method m)
{
	static const char *const n[] = { "unknown", "none", "credssp", "kerberos_unconstrained",
					 "kerberos_constrained", "kerberos_rbcd", "fresh_credentials", "runas" };
	return (unsigned)m < G_N_ELEMENTS(n) ? n[m] : "unknown";
}

const char *hs_verdict_name(hs_verdict v)
{
	static const char *const n[] = { "unknown", "delegated", "failed", "not_attempted" };
	return (unsigned)v < G_N_ELEMENTS(n) ? n[v] : "unknown";
}

/* "DOM\user" / "user@REALM" / "user" (vocab.h) */
void hs_split_principal(const char *p, char *user, size_t un, char *dom, size_t dn)
{
	const char *bs = strchr(p, '\\');
	const char *at = strrchr(p, '@');
	if (bs) {
		snprintf(dom, dn, "%.*s", (int)(bs - p), p);
		snprintf(user, un, "%s", bs + 1);
	} else if (at) {
		snprintf(user, un, "%.*s", (int)(at - p), p);
		snprintf(dom, dn, "%s", at + 1);
	} else {
		snprintf(user, un, "%s", p);
		dom[0] = 0;
	}
}
