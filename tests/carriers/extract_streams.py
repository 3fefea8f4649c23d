#!/usr/bin/env python3
"""extract_streams.py - regenerate the carrier unit tests' stream files.

Each file holds one TCP connection of a real capture as tshark reassembled
it (`tshark -z follow,tcp,raw`), one chunk per line in capture order:
"C <hex>" for bytes from the connection's initiator, "S <hex>" for the
replies.  The unit tests (decoder/{smb2,ldap,dcerpc}_test.c) replay these
chunks through the parsers, whole and split at every byte.

usage: tests/carriers/extract_streams.py CAPTURE_DIR   (writes beside this script)
"""
import os
import subprocess
import sys

# (capture, tcp.stream, chunks kept (None = all), output name)
STREAMS = [
    ("smb_raw_ntlm_in_smb.pcap", 2, 20, "smb1_ntlm.txt"),
    # chunk 22 onwards follows a snaplen cut (frame 43): not a valid stream
    ("krb_smb2_krb.pcap", 0, 30, "smb2_krb.txt"),
    ("ldap_sasl-ntlm.pcap", 0, None, "ldap_sasl_ntlm.txt"),
    ("ldap_krb5-sign-seal-01.pcap", 0, None, "ldap_krb5_sign_seal.txt"),
    ("dce-rpc_dce_rpc_ntlm.pcapng", 0, None, "dcerpc_ntlm.txt"),
    ("dce-rpc_kerberos135_auth.pcapng", 0, None, "dcerpc_krb135.txt"),
]


def follow(path, stream):
    out = subprocess.run(["tshark", "-r", path, "-q", "-z", "follow,tcp,raw,%d" % stream],
                         check=True, capture_output=True, text=True).stdout
    chunks = []
    started = False
    for line in out.splitlines():
        if line.startswith("Node 1:"):
            started = True
            continue
        if not started or not line.strip() or line.startswith("="):
            continue
        side = "S" if line.startswith("\t") else "C"
        chunks.append((side, line.strip()))
    return chunks


def main():
    if len(sys.argv) != 2:
        print(__doc__, file=sys.stderr)
        return 2
    here = os.path.dirname(os.path.abspath(__file__))
    for cap, stream, keep, name in STREAMS:
        chunks = follow(os.path.join(sys.argv[1], cap), stream)
        if keep is not None:
            chunks = chunks[:keep]
        with open(os.path.join(here, name), "w") as f:
            f.write("# %s tcp.stream %d (%d chunks) - tshark -z follow,tcp,raw\n" % (cap, stream, len(chunks)))
            for side, hx in chunks:
                f.write("%s %s\n" % (side, hx))
    return 0


if __name__ == "__main__":
    sys.exit(main())
