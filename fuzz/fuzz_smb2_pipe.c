/* fuzz_smb2_pipe.c - libFuzzer target for DCE/RPC through SMB2 named pipes:
 * a two-sided SMB conversation (chunk_fuzz.h format) fed to hs_smb2_app, so
 * TREE_CONNECT / CREATE / READ requests and their responses meet (FileIds,
 * pending MessageIds) and the pipe's PDUs reach the reassembler and
 * dcerpc.c.  Seeds: make_smb2_pipe_corpus.py (a real Windows association's
 * PDUs through \PIPE\srvsvc, split READs, and the lab's smbclient sessions). */
#include "chunk_fuzz.h"
#include "smb2.h"

static const char *const no_keys[] = { NULL };

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	return chf_one_input(&hs_smb2_app, no_keys, data, size);
}
