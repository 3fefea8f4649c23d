/* fuzz_rdp.c - libFuzzer target for RDP on 3389 (hs_rdp_app): TPKT / X.224
 * negotiation, the TLS upgrade, CredSSP inside it and the payload after it.
 * Input format: chunk_fuzz.h.  Seeds: the FreeRDP conversations of
 * captures/generated/rdp (make_rdp_corpus.py), whose key log lines are in
 * rdp_seed_keys.h so they decrypt. */
#include "chunk_fuzz.h"
#include "rdp.h"
#include "rdp_seed_keys.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	return chf_one_input(&hs_rdp_app, rdp_seed_keys, data, size);
}
