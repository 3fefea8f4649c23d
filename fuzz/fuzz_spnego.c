/* fuzz_spnego.c - libFuzzer target for the GSS token dispatcher
 * (hs_gss_decode: SPNEGO, and the Kerberos / NTLM tokens inside) and the
 * describers.  The first input byte picks the describe flags and output
 * mode; the rest is one security blob as a carrier would hand it over. */
#include <stddef.h>
#include <stdint.h>

#include "gss.h"
#include "hs.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 1)
		return 0;
	uint8_t sel = data[0];
	data++;
	size--;
	static hs_gss_token t; /* large; static keeps libFuzzer's stack small */
	hs_gss_decode(data, size, &t);
	hs_out *o = hs_out_new(sel & 1 ? HS_OUT_TEXT : HS_OUT_JSON);
	unsigned flags = sel & 2 ? HS_DESCRIBE_SECRETS : 0;
	hs_out_begin(o, NULL);
	switch (t.kind) {
	case HS_GSS_SPNEGO: hs_spnego_describe(&t, o, flags); break;
	case HS_GSS_KRB5: hs_krb_describe(&t.krb, o, flags); break;
	case HS_GSS_NTLM: hs_ntlm_describe(&t.ntlm, o, flags); break;
	default: break;
	}
	hs_out_end(o);
	hs_out_free(o);
	return 0;
}
