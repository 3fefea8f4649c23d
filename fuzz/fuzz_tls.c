/* fuzz_tls.c - libFuzzer target for the TLS layer: records, handshake
 * reassembly, key schedule and decryption (hs_tls_conn) with HTTP inside
 * (hs_tls_http_app), through the app.h contract.
 *
 * Input: chunks [dir<<7 | len>>8][len & 255][len bytes] fed to the client
 * (dir 0) or server (dir 1) side in order, then end of stream on both.  The
 * engine holds the key log of the seed sessions (tls_seed_keys.h), so the
 * seeds decrypt and mutations reach the decrypted paths. */
#include "chunk_fuzz.h"
#include "tls_seed_keys.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	return chf_one_input(&hs_tls_http_app, tls_seed_keys, data, size);
}
