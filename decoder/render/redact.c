/* redact.c - stable pseudonyms for names, in the report and in every output
 * (see redact.h). */
#include "redact.h"

#include <ctype.h>
#include <stdio.h>
#include <string.h>

static void lower(char *s)
{
	for (; *s; s++)
		*s = (char)tolower((unsigned char)*s);
}

static void upper(char *s)
{
	for (; *s; s++)
		*s = (char)toupper((unsigned char)*s);
}

static void first_label(const char *name, char *out, size_t n)
{
	snprintf(out, n, "%.*s", (int)strcspn(name, "."), name);
}


struct hs_redact {
	GHashTable *map; /* "kind:lower-case original" -> pseudonym (kinds u, h, d) */
	unsigned users, hosts, doms;
};

hs_redact *hs_redact_new(void)
{
	hs_redact *r = g_new0(hs_redact, 1);
	r->map = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, g_free);
	return r;
}

void hs_redact_free(hs_redact *r)
{
	if (!r)
		return;
	g_hash_table_destroy(r->map);
	g_free(r);
}

static const char *pseudo_get(hs_redact *p, const char *kind, const char *orig)
{
	char key[HS_NAME_MAX + 8];
	snprintf(key, sizeof key, "%s:%s", kind, orig);
	lower(key);
	const char *v = g_hash_table_lookup(p->map, key);
	if (v)
		return v;
	char val[64];
	if (!strcmp(kind, "u"))
		snprintf(val, sizeof val, "user%u", ++p->users);
	else if (!strcmp(kind, "h"))
		snprintf(val, sizeof val, "host%u", ++p->hosts);
	else
		snprintf(val, sizeof val, "dom%u", ++p->doms);
	g_hash_table_insert(p->map, g_strdup(key), g_strdup(val));
	return g_hash_table_lookup(p->map, key);
}

/* host: first label -> hostN, rest -> domN.example */
void hs_redact_host(hs_redact *p, char *s, size_t n)
{
	if (!s[0])
		return;
	char first[HS_NAME_MAX];
	first_label(s, first, sizeof first);
	const char *rest = s + strlen(first);
	char out[HS_NAME_MAX];
	if (*rest == '.')
		snprintf(out, sizeof out, "%s.%s.example", pseudo_get(p, "h", first), pseudo_get(p, "d", rest + 1));
	else
		snprintf(out, sizeof out, "%s", pseudo_get(p, "h", first));
	snprintf(s, n, "%s", out);
}

/* principal: user part -> userN (machine accounts HOSTN$), realm -> DOMN.EXAMPLE */
void hs_redact_principal(hs_redact *p, char *s, size_t n)
{
	if (!s[0])
		return;
	char u[HS_NAME_MAX], d[HS_NAME_MAX], out[2 * 96 + 2]; /* cut to n below */
	bool bs = strchr(s, '\\') != NULL;
	hs_split_principal(s, u, sizeof u, d, sizeof d);
	size_t l = strlen(u);
	char pu[96];
	if (l > 1 && u[l - 1] == '$') {
		u[l - 1] = 0;
		snprintf(pu, sizeof pu, "%s$", pseudo_get(p, "h", u));
		upper(pu);
	} else {
		snprintf(pu, sizeof pu, "%s", pseudo_get(p, "u", u));
	}
	char pd[96] = "";
	if (d[0]) {
		char dl[HS_NAME_MAX];
		first_label(d, dl, sizeof dl);
		if (!strchr(d, '.'))
			snprintf(pd, sizeof pd, "%s", pseudo_get(p, "d", d));
		else
			snprintf(pd, sizeof pd, "%s.example", pseudo_get(p, "d", d));
		upper(pd);
	}
	if (bs)
		snprintf(out, sizeof out, "%s\\%s", pd, pu);
	else if (d[0])
		snprintf(out, sizeof out, "%s@%s", pu, pd);
	else
		snprintf(out, sizeof out, "%s", pu);
	snprintf(s, n, "%s", out);
}

void hs_redact_spn(hs_redact *p, char *s, size_t n)
{
	const char *sl = strchr(s, '/');
	if (!sl)
		return hs_redact_principal(p, s, n);
	char cls[64], hostp[HS_NAME_MAX];
	snprintf(cls, sizeof cls, "%.*s", (int)(sl - s), s);
	snprintf(hostp, sizeof hostp, "%s", sl + 1);
	char *at = strchr(hostp, '@');
	if (at)
		*at = 0;
	hs_redact_host(p, hostp, sizeof hostp);
	snprintf(s, n, "%s/%s", cls, hostp);
}

void hs_redact_chain_filter(void *ud, hs_chain *ch) { hs_redact_chain(ud, ch); }

void hs_redact_chain(hs_redact *p, hs_chain *ch)
{
	hs_facts *f = &ch->facts;
	hs_redact_principal(p, ch->user, sizeof ch->user);
	for (unsigned i = 0; i < ch->nhops; i++) {
		hs_hop *h = &ch->hops[i];
		hs_redact_host(p, h->client.name, sizeof h->client.name);
		hs_redact_host(p, h->server.name, sizeof h->server.name);
		hs_redact_principal(p, h->principal, sizeof h->principal);
		hs_redact_spn(p, h->target, sizeof h->target);
	}
	hs_redact_principal(p, f->user, sizeof f->user);
	hs_redact_host(p, f->s_name, sizeof f->s_name);
	hs_redact_host(p, f->s_short, sizeof f->s_short);
	hs_redact_host(p, f->t_name, sizeof f->t_name);
	hs_redact_host(p, f->t_short, sizeof f->t_short);
	hs_redact_host(p, f->t_account, sizeof f->t_account);
	hs_redact_spn(p, f->t_spn, sizeof f->t_spn);
	hs_redact_spn(p, f->tgs_error_sname, sizeof f->tgs_error_sname);
	hs_redact_principal(p, f->hop2_principal, sizeof f->hop2_principal);
	hs_redact_principal(p, f->other_principal, sizeof f->other_principal);
	if (f->user_saw[0]) {
		/* free text (cmd stderr, a fault): every name learnt so far, those
		 * of the fields above included */
		GString *g = g_string_new(NULL);
		hs_redact_text(p, f->user_saw, strlen(f->user_saw), g);
		snprintf(f->user_saw, sizeof f->user_saw, "%s", g->str);
		g_string_free(g, TRUE);
	}
}

/* ---- learning from fields ---- */

static bool key_in(const char *key, const char *const *set)
{
	for (; *set; set++)
		if (!strcmp(key, *set))
			return true;
	return false;
}

static const char *const user_keys[] = { "cname", "user", "client_name", "principal", "account", "username", NULL };
static const char *const domain_keys[] = { "realm", "crealm", "domain", "nb_domain_name", "dns_domain_name",
					   "dns_tree_name", "srealm", NULL };
static const char *const host_keys[] = { "host", "workstation", "nb_computer_name", "dns_computer_name", "sni",
					 "hostname", "server_name", NULL };
static const char *const spn_keys[] = { "sname", "target_name", "spn", "target", NULL };

/* A name the redactor knows: its pseudonym kind and value, or NULL. */
static const char *known(hs_redact *r, const char *kind, const char *name)
{
	char key[HS_NAME_MAX + 8];
	snprintf(key, sizeof key, "%s:%s", kind, name);
	lower(key);
	return g_hash_table_lookup(r->map, key);
}

void hs_redact_learn(hs_redact *r, const char *key, const char *value, size_t len)
{
	if (!key || !len || len >= HS_NAME_MAX)
		return;
	bool u = key_in(key, user_keys), d = key_in(key, domain_keys), h = key_in(key, host_keys),
	     s = key_in(key, spn_keys);
	if (!u && !d && !h && !s)
		return;
	char v[HS_NAME_MAX];
	snprintf(v, sizeof v, "%.*s", (int)len, value);
	if (memchr(value, 0, len) || !v[0])
		return;
	if (h) {
		v[strcspn(v, ":")] = 0; /* Host: name:port */
		if (v[0] && !g_hostname_is_ip_address(v))
			hs_redact_host(r, v, sizeof v);
	} else if (d) {
		(void)pseudo_get(r, "d", v);
	} else if (s) {
		/* krbtgt/REALM names a domain; other classes a host */
		if (!g_ascii_strncasecmp(v, "krbtgt/", 7)) {
			char *at = strchr(v + 7, '@');
			if (at)
				*at = 0;
			(void)pseudo_get(r, "d", v + 7);
		} else {
			char *sl = strchr(v, '/');
			if (sl) {
				char *end = sl + 1 + strcspn(sl + 1, ":/@");
				*end = 0;
				if (sl[1] && !g_hostname_is_ip_address(sl + 1))
					hs_redact_spn(r, v, sizeof v);
			} else {
				hs_redact_principal(r, v, sizeof v);
			}
		}
	} else {
		hs_redact_principal(r, v, sizeof v);
	}
}

/* ---- free text ---- */

static bool name_char(unsigned char c)
{
	return isalnum(c) || c == '_' || c == '-' || c == '.' || c == '$';
}

static bool all_upper(const char *s, size_t n)
{
	bool letter = false;
	for (size_t i = 0; i < n; i++) {
		if (islower((unsigned char)s[i]))
			return false;
		letter |= isupper((unsigned char)s[i]) != 0;
	}
	return letter;
}

/* The pseudonym of one token (no separators inside but dots), or false. */
static bool token_pseudo(hs_redact *r, const char *t, size_t n, char *out, size_t on)
{
	char tok[HS_NAME_MAX];
	if (n >= sizeof tok)
		return false;
	memcpy(tok, t, n);
	tok[n] = 0;
	const char *v;
	bool dotted = strchr(tok, '.') != NULL;
	if ((v = known(r, "d", tok)))
		snprintf(out, on, dotted ? "%s.example" : "%s", v);
	else if ((v = known(r, "u", tok)))
		snprintf(out, on, "%s", v);
	else if ((v = known(r, "h", tok)))
		snprintf(out, on, "%s", v);
	else if (n > 1 && tok[n - 1] == '$') {
		tok[n - 1] = 0;
		if (!(v = known(r, "h", tok)))
			return false;
		snprintf(out, on, "%s$", v);
		upper(out);
		return true;
	} else if (dotted) {
		char first[HS_NAME_MAX];
		first_label(tok, first, sizeof first);
		const char *rest = tok + strlen(first) + 1;
		/* a host of a known domain (files.hop.test) is a host too, and
		 * the DNS suffix of a known host (srv2.hop.test, where only the
		 * NetBIOS name SRV2 was seen) a domain */
		if (!first[0] || !rest[0] || (!known(r, "d", rest) && !known(r, "h", first)))
			return false;
		const char *h = pseudo_get(r, "h", first);
		snprintf(out, on, "%s.%s.example", h, pseudo_get(r, "d", rest));
	} else {
		return false;
	}
	if (all_upper(t, n))
		upper(out);
	return true;
}

/* The run of name characters that starts at i (a name char): its end, and
 * in [*a, *b) the token without the dots and dashes around it, which are
 * punctuation, not the name. */
static size_t token_at(const char *s, size_t len, size_t i, size_t *a, size_t *b)
{
	size_t j = i;
	while (j < len && name_char((unsigned char)s[j]))
		j++;
	*a = i;
	*b = j;
	while (*a < *b && (s[*a] == '.' || s[*a] == '-'))
		(*a)++;
	while (*b > *a && (s[*b - 1] == '.' || s[*b - 1] == '-'))
		(*b)--;
	return j;
}

/* Names that free text itself introduces, learnt before it is rewritten so
 * that an earlier mention in the same text is replaced too: a share path
 * names its host (\\host\share, //host/share; not a URL's scheme://, whose
 * hosts come from Host headers), and DOMAIN\user names an account as
 * Windows and Samba print it ("Password for [HOP\alice]": an upper-case
 * NetBIOS domain before a single backslash, not a path's folder: no
 * backslash, slash or colon before it). */
static void learn_text(hs_redact *r, const char *s, size_t len)
{
	size_t i = 0;
	while (i < len) {
		if (!name_char((unsigned char)s[i])) {
			i++;
			continue;
		}
		size_t a, b, j = token_at(s, len, i, &a, &b);
		bool unc = i >= 2 && ((s[i - 1] == '\\' && s[i - 2] == '\\') ||
				      (s[i - 1] == '/' && s[i - 2] == '/' && (i < 3 || s[i - 3] != ':')));
		if (b == a || b - a >= HS_NAME_MAX) {
			/* nothing */
		} else if (unc) {
			hs_redact_learn(r, "host", s + a, b - a);
		} else if (all_upper(s + a, b - a) && j + 1 < len && s[j] == '\\' && name_char((unsigned char)s[j + 1]) &&
			   (i == 0 || !strchr("\\/:", s[i - 1]))) {
			hs_redact_learn(r, "domain", s + a, b - a);
			size_t k = j + 1;
			while (k < len && name_char((unsigned char)s[k]))
				k++;
			if (k - j - 1 < HS_NAME_MAX)
				hs_redact_learn(r, "user", s + j + 1, k - j - 1);
		}
		i = j;
	}
}

bool hs_redact_text(hs_redact *r, const char *s, size_t len, GString *out)
{
	learn_text(r, s, len);
	bool changed = false;
	size_t i = 0;
	while (i < len) {
		if (!name_char((unsigned char)s[i])) {
			g_string_append_c(out, s[i++]);
			continue;
		}
		size_t a, b, j = token_at(s, len, i, &a, &b);
		char p[HS_NAME_MAX + 16];
		if (b > a && token_pseudo(r, s + a, b - a, p, sizeof p)) {
			g_string_append_len(out, s + i, (gssize)(a - i));
			g_string_append(out, p);
			g_string_append_len(out, s + b, (gssize)(j - b));
			changed = true;
		} else {
			g_string_append_len(out, s + i, (gssize)(j - i));
		}
		i = j;
	}
	return changed;
}

bool hs_redact_learn_filter(void *ud, const char *key, const char *s, size_t len, GString *out)
{
	(void)out;
	hs_redact_learn(ud, key, s, len);
	learn_text(ud, s, len);
	return false;
}

static bool b64_char(unsigned char c)
{
	return g_ascii_isalnum(c) || c == '+' || c == '/' || c == '=';
}

void hs_redact_xml_body(hs_redact *r, const char *s, size_t len, GString *out)
{
	size_t i = 0, from = 0;
	while (i < len) {
		if (s[i++] != '>')
			continue;
		size_t j = i;
		while (j < len && b64_char((unsigned char)s[j]))
			j++;
		if (j - i < 16 || j >= len || s[j] != '<')
			continue;
		hs_redact_text(r, s + from, i - from, out);
		g_string_append_printf(out, "(%zu base64 characters withheld by redact_names)", j - i);
		from = i = j;
	}
	hs_redact_text(r, s + from, len - from, out);
}

bool hs_redact_withheld(const char *key)
{
	return key && !strcmp(key, "text");
}

bool hs_redact_out_filter(void *ud, const char *key, const char *s, size_t len, GString *out)
{
	hs_redact *r = ud;
	hs_redact_learn(r, key, s, len);
	if (hs_redact_withheld(key)) {
		learn_text(r, s, len);
		g_string_append_printf(out, "(%zu bytes of command output withheld by --redact-names)", len);
		return true;
	}
	return hs_redact_text(r, s, len, out);
}
