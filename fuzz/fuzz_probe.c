/* fuzz_probe.c - libFuzzer target for the probes (issue 20: protocols by
 * content on any port) and the parser that waits for them (probe.c).
 * The first byte picks, llhttp style:
 *   bit 7 clear: the probe contract.  Bits 0-3 pick one descriptor's
 *     probe (in protos.def order among those that have one), or, past the
 *     last, every probe alone and all of them through hs_app_probe; the
 *     rest of the input is a flow's first bytes.  A probe that does not refuse the whole input must
 *     not refuse any prefix of it (the dispatcher's first-byte table and the
 *     bounded wait rely on it), and hs_app_probe names a descriptor exactly
 *     when it says CLIENT or SERVER.  A breach aborts.
 *   bit 7 set: the rest is a TCP stream for hs_probe_app, driven as the
 *     engine drives a parser (carrier_fuzz.h, whose first byte picks the
 *     chunking): probing, the bounded wait, then whatever parser the probe
 *     chose (TLS probing its plaintext in turn). */
#include "carrier_fuzz.h"
#include "protos.h"

static const hs_proto_def *probes[HS_PROTO__COUNT];
static size_t nprobes;

static hs_probe_verdict run_probe(size_t which, const uint8_t *p, size_t len)
{
	if (which < nprobes)
		return probes[which]->probe(p, len);
	hs_probe_verdict v;
	const hs_proto_def *d = hs_app_probe(6, p, len, &v);
	if ((d != NULL) != (v == HS_PROBE_CLIENT || v == HS_PROBE_SERVER))
		abort();
	return v;
}

static void check_prefixes(size_t which, const uint8_t *p, size_t len)
{
	hs_probe_verdict v = run_probe(which, p, len);
	if (v > HS_PROBE_SERVER)
		abort();
	if (v != HS_PROBE_NO)
		for (size_t k = 1; k < len; k++)
			if (run_probe(which, p, k) == HS_PROBE_NO)
				abort(); /* a prefix of what the probe takes was refused */
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (!nprobes)
		for (int i = 0; i < HS_PROTO__COUNT; i++)
			if (hs_proto_def_of((hs_proto)i)->probe)
				probes[nprobes++] = hs_proto_def_of((hs_proto)i);
	if (size < 1)
		return 0;
	if (data[0] & 0x80)
		return cf_run(&hs_probe_app, data + 1, size - 1);
	size_t which = data[0] & 15;
	const uint8_t *p = data + 1;
	size_t len = size - 1 < HS_PROBE_MAX ? size - 1 : HS_PROBE_MAX;
	if (!len)
		return 0;
	/* past the last probe: hs_app_probe, and each probe alone too */
	for (size_t w = which < nprobes ? which : 0; w <= (which < nprobes ? which : nprobes); w++)
		check_prefixes(w, p, len);
	return 0;
}
