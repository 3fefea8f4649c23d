#!/usr/bin/env python3
"""Seed corpus for fuzz_smb2_pipe (chunk_fuzz.h format): SMB2 conversations
that open a named pipe and carry DCE/RPC through it - the PDUs of
tests/carriers/dcerpc_ntlm.txt (a real Windows IRemUnknown2 association,
SPNEGO / NTLM and a user-to-user TGT-REQ) in WRITE, READ (whole, and split
with STATUS_BUFFER_OVERFLOW), IOCTL FSCTL_PIPE_TRANSCEIVE, a READ answered
STATUS_PIPE_DISCONNECTED, CLOSE - laid out as MS-SMB2 2.2.x says (the same
layout decoder/smb2_test.c builds); and the lab's SMB2 sessions on 445.
Run from the repository root."""
import os
import struct
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import subprocess  # noqa: E402

FID = bytes([3, 0, 0, 0, 7, 0, 0, 0, 1, 0, 0, 0, 7, 0, 0, 0])


def pdu(d, cmd, mid, body, status=0):
    h = bytearray(64)
    h[0:4] = b"\xfeSMB"
    h[4] = 64
    struct.pack_into("<IH", h, 8, status, cmd)
    h[16] = d
    struct.pack_into("<Q", h, 24, mid)
    h[36] = 7
    msg = bytes(h) + body
    return d, struct.pack(">I", len(msg)) + msg


def data_pdu(d, cmd, mid, data, status=0):
    if cmd == 9:    # WRITE request 2.2.21
        b = struct.pack("<HHIQ", 49, 64 + 48, len(data), 0) + FID + bytes(16)
    elif cmd == 8:  # READ response 2.2.20
        b = struct.pack("<HBBIII", 17, 64 + 16, 0, len(data), 0, 0)
    elif d == 0:    # IOCTL request 2.2.31
        b = struct.pack("<HHI", 57, 0, 0x0011c017) + FID + struct.pack("<IIIIIIII", 64 + 56, len(data), 0, 0, 0, 4280, 1, 0)
    else:           # IOCTL response 2.2.32
        b = struct.pack("<HHI", 49, 0, 0x0011c017) + FID + struct.pack("<IIIIII", 64 + 48, 0, 64 + 48, len(data), 0, 0)
    return pdu(d, cmd, mid, b + data, status)


def smb_conversation(pcap):
    """The SMB payloads (TCP 445) of a capture, in order, as (dir, bytes)."""
    rows = subprocess.run(["tshark", "-r", pcap, "-Y", "tcp.port == 445 && tcp.len > 0", "-T", "fields",
                           "-e", "tcp.srcport", "-e", "tcp.payload"], check=True, capture_output=True, text=True).stdout
    seq = []
    for r in rows.splitlines():
        port, hx = r.split("\t")
        data = bytes.fromhex(hx)
        for i in range(0, len(data), 0x7fff):
            seq.append((1 if port == "445" else 0, data[i:i + 0x7fff]))
    return seq


def chunks(seq):
    out = b""
    for d, c in seq:
        out += bytes([d << 7 | len(c) >> 8, len(c) & 255]) + c
    return out


def pipe_session(rpc, split):
    name = "srvsvc".encode("utf-16-le")
    create = struct.pack("<HBBIQQIIIII", 57, 0, 0, 2, 0, 0, 0x12019f, 0, 7, 1, 0) + struct.pack("<HHII", 64 + 56, len(name), 0, 0) + name
    read = struct.pack("<HBBIQ", 49, 0, 0, 4280, 0) + FID + bytes(16)
    seq = [pdu(1, 3, 1, struct.pack("<HBBIII", 16, 2, 0, 0, 0, 0x1f01ff)),
           pdu(0, 5, 2, create),
           pdu(1, 5, 2, struct.pack("<HBBI", 89, 0, 0, 1) + bytes(48) + bytes(8) + FID + bytes(8)),
           data_pdu(0, 9, 3, rpc[0]), pdu(0, 8, 4, read)]
    if split:
        seq += [data_pdu(1, 8, 4, rpc[1][:split], 0x80000005), pdu(0, 8, 5, read), data_pdu(1, 8, 5, rpc[1][split:])]
    else:
        seq += [data_pdu(1, 8, 4, rpc[1])]
    seq += [data_pdu(0, 11, 6, rpc[2]), data_pdu(1, 11, 6, rpc[3]), pdu(0, 8, 7, read),
            pdu(1, 8, 7, struct.pack("<HBBIII", 17, 0, 0, 0, 0, 0), 0xc00000b0),
            pdu(0, 6, 8, struct.pack("<HHI", 24, 0, 0) + FID)]
    return chunks(seq)


rpc = [bytes.fromhex(line[2:].strip()) for line in open("tests/carriers/dcerpc_ntlm.txt") if line[:2] in ("C ", "S ")]
out = "fuzz/corpus/smb2_pipe"
os.makedirs(out, exist_ok=True)
open(f"{out}/srvsvc_pipe", "wb").write(pipe_session(rpc, 0))
open(f"{out}/srvsvc_pipe_split_read", "wb").write(pipe_session(rpc, 37))
for sc in ("15-two-users", "13-target-without-spn"):
    open(f"{out}/lab_{sc}_srv1", "wb").write(chunks(smb_conversation(f"captures/lab/scenarios/{sc}/srv1.pcapng")))
