/* mask.c - credentials in command lines (see mask.h). */
#include "mask.h"

#include <string.h>

/* case-insensitive: does [t, t+n) equal / start with w */
static bool is(const char *t, size_t n, const char *w)
{
	return strlen(w) == n && g_ascii_strncasecmp(t, w, n) == 0;
}

static bool starts(const char *t, size_t n, const char *w)
{
	size_t l = strlen(w);
	return n >= l && g_ascii_strncasecmp(t, w, l) == 0;
}

/* Options whose value (the next token) is a password. */
static const char *const pass_opts[] = { "--password", "-password", "--pass", "--passwd", "-passwd", "-pw", "--pw",
					 "-p", "/p", "--secret", "-secret", "-pass", NULL };
/* Prefixes whose remainder (up to ';') is a password. */
static const char *const pass_prefixes[] = { "--password=", "-password:", "/password:", "password=", "pwd=",
					     "/p:", "--pass=", "-p:", "--secret=", NULL };

/* Where the secret inside token t starts (its length in *sl), or -1. */
static long secret_in(hs_mask *st, const char *t, size_t n, size_t *sl)
{
	/* a quoted literal keeps its quotes, parentheses and separators */
	size_t a = 0, b = n;
	while (a < b && strchr("('\"", t[a]))
		a++;
	while (b > a && strchr(")'\";,", t[b - 1]))
		b--;
	if (st->next_secret) {
		st->next_secret = false;
		*sl = b - a;
		return b > a ? (long)a : -1;
	}
	if (st->skip) {
		st->skip--;
		st->next_secret = st->skip == 0; /* user%password: the % rule below */
	}
	if (st->securestring && t[0] != '-' && t[0] != '|') {
		st->securestring = false;
		*sl = b - a;
		return b > a ? (long)a : -1;
	}
	for (const char *const *o = pass_opts; *o; o++)
		if (is(t, n, *o)) {
			st->next_secret = true;
			return -1;
		}
	/* at the token's start, or after a ';' (Server=h;User Id=u;Password=p;) */
	for (size_t k = 0; k < n; k++) {
		if (k && t[k - 1] != ';')
			continue;
		for (const char *const *p = pass_prefixes; *p; p++)
			if (starts(t + k, n - k, *p)) {
				size_t at = k + strlen(*p);
				const char *semi = memchr(t + at, ';', n - at);
				size_t end = semi ? (size_t)(semi - t) : b;
				*sl = end > at ? end - at : 0;
				return *sl ? (long)at : -1;
			}
	}
	if (is(t, n, "--cred") || is(t, n, "--credential") || is(t, n, "--credentials") || is(t, n, "-cred")) {
		st->skip = 1; /* USER, then PASSWORD */
		return -1;
	}
	if (starts(t, n, "/user:")) { /* net use [\\host\share] [password] /user:DOM\user [password] */
		st->next_secret = true;
		return -1;
	}
	if (is(t, n, "convertto-securestring")) {
		st->securestring = true;
		return -1;
	}
	if (is(t, n, "-string") && st->securestring)
		return -1;
	/* user%password (smbclient -U, rpcclient -U, net -U); not a URL's %XX */
	const char *pc = memchr(t + a, '%', b - a);
	if (pc && pc > t + a && pc + 1 < t + b && !memchr(t, '/', n) && !memchr(t, '\\', n) &&
	    !(pc + 2 < t + b && g_ascii_isxdigit(pc[1]) && g_ascii_isxdigit(pc[2]))) {
		size_t off = (size_t)(pc + 1 - t);
		st->next_secret = false;
		*sl = b - off;
		return (long)off;
	}
	return -1;
}

unsigned hs_mask_secrets(hs_mask *st, const char *s, size_t len, GString *out)
{
	unsigned found = 0;
	size_t i = 0;
	while (i < len) {
		if (s[i] == ' ' || s[i] == '\t' || s[i] == '\r' || s[i] == '\n') {
			if (out)
				g_string_append_c(out, s[i]);
			i++;
			continue;
		}
		/* a token ends at whitespace outside quotes: 'P@ss word' is one */
		size_t j = i;
		char q = 0;
		while (j < len && (q || (s[j] != ' ' && s[j] != '\t' && s[j] != '\r' && s[j] != '\n'))) {
			if (q && s[j] == q)
				q = 0;
			else if (!q && (s[j] == '\'' || s[j] == '"'))
				q = s[j];
			j++;
		}
		size_t sl = 0;
		long at = secret_in(st, s + i, j - i, &sl);
		if (at >= 0 && sl) {
			found++;
			if (out) {
				g_string_append_len(out, s + i, at);
				g_string_append(out, "***");
				g_string_append_len(out, s + i + at + sl, (gssize)(j - i - (size_t)at - sl));
			}
		} else if (out) {
			g_string_append_len(out, s + i, (gssize)(j - i));
		}
		i = j;
	}
	st->masked += found;
	return found;
}
