/* mask_test.c - credentials in command lines (mask.h): the forms users type. */
#include "mask.h"

#include <string.h>

#include "unit.h"

/* The line split into pieces at '|' (a command and its arguments), masked. */
static char *masked(const char *line, unsigned *n)
{
	hs_mask st;
	memset(&st, 0, sizeof st);
	GString *out = g_string_new(NULL);
	gchar **pieces = g_strsplit(line, "|", -1);
	for (gchar **p = pieces; *p; p++) {
		if (p != pieces)
			g_string_append_c(out, '|');
		hs_mask_secrets(&st, *p, strlen(*p), out);
	}
	g_strfreev(pieces);
	*n = st.masked;
	return g_string_free(out, FALSE);
}

static void check(const char *in, const char *want, unsigned nwant)
{
	unsigned n;
	char *got = masked(in, &n);
	CU_ASSERT_STRING_EQUAL(got, want);
	CU_ASSERT_EQUAL(n, nwant);
	if (strcmp(got, want) != 0)
		fprintf(stderr, "\n  in:   %s\n  got:  %s\n  want: %s\n", in, got, want);
	g_free(got);
}

static const struct {
	const char *in, *want;
	unsigned n;
} forms[] = {
	/* the lab's hop2 tool (scenario 11), one argument per piece */
	{ "hop2|smb|//srv2.hop.test/share|--cred|alice|Al1ce-HopLab!", "hop2|smb|//srv2.hop.test/share|--cred|alice|***", 1 },
	{ "net use \\\\srv2\\c$ /user:HOP\\alice S3cret! /persistent:no", "net use \\\\srv2\\c$ /user:HOP\\alice *** /persistent:no", 1 },
	{ "$p = ConvertTo-SecureString 'P@ss w' -AsPlainText -Force", "$p = ConvertTo-SecureString '***' -AsPlainText -Force", 1 },
	{ "ConvertTo-SecureString -String \"Pw1\" -AsPlainText -Force", "ConvertTo-SecureString -String \"***\" -AsPlainText -Force", 1 },
	{ "smbclient //srv2/share -U alice%Pw1", "smbclient //srv2/share -U alice%***", 1 },
	{ "tool --password=Pw1 --user bob", "tool --password=*** --user bob", 1 },
	{ "tool --password Pw1", "tool --password ***", 1 },
	{ "sqlcmd -S srv2 -U sa -P Pw1", "sqlcmd -S srv2 -U sa -P ***", 1 },
	{ "Server=srv2;User Id=bob;Password=Pw1;", "Server=srv2;User Id=bob;Password=***;", 1 },
	/* nothing to mask */
	{ "Get-ChildItem \\\\srv2\\share", "Get-ChildItem \\\\srv2\\share", 0 },
	{ "echo %PATH% 50% http://h/a%20b", "echo %PATH% 50% http://h/a%20b", 0 },
	{ "", "", 0 },
};

static void test_forms(void)
{
	for (size_t i = 0; i < sizeof forms / sizeof forms[0]; i++)
		check(forms[i].in, forms[i].want, forms[i].n);
}

HS_UNIT_MAIN("mask", { "credential forms in command lines", test_forms })
