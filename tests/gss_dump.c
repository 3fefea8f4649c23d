/* gss_dump.c - test helper: decode each security-blob file named on the
 * command line with hs_gss_decode and print one JSON object per line:
 * {"kind", "result"} plus the describer's fields (hs_spnego_describe,
 * hs_ntlm_describe or hs_krb_describe).  Used by tshark_gss_diff.py. */
#include "gss.h"
#include "unit.h"

int main(int argc, char **argv)
{
	static hs_gss_token t;
	for (int i = 1; i < argc; i++) {
		size_t n;
		unsigned char *b = hs_read_file(argv[i], &n);
		hs_err e = hs_gss_decode(b, n, &t);
		hs_out *o = hs_out_new(HS_OUT_JSON);
		hs_out_begin(o, NULL);
		hs_out_cstr(o, "kind", hs_gss_kind_name(t.kind));
		hs_out_cstr(o, "result", hs_err_name(e));
		if (t.kind == HS_GSS_SPNEGO)
			hs_spnego_describe(&t, o, 0);
		else if (t.kind == HS_GSS_NTLM)
			hs_ntlm_describe(&t.ntlm, o, 0);
		else if (t.kind == HS_GSS_KRB5)
			hs_krb_describe(&t.krb, o, 0);
		hs_out_end(o);
		puts(hs_out_text(o, NULL));
		hs_out_free(o);
		free(b);
	}
	return 0;
}
