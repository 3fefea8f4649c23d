#!/usr/bin/env python3
"""TLS decryption check on the real OpenSSL sessions of captures/generated/tls.

For each NAME.pcap + NAME.keylog: hopsniff's decrypted plaintext (tls_dump,
fed whole and with the stream presented 1 and 7 bytes at a time) must equal
tshark's (-o tls.keylog_file, follow,tls,raw) byte for byte per direction,
and equal what the client sent (NAME.sent) and what the server answered
(NAME.recv).  Without the key log, nothing may be decrypted and each
direction must say why ("no_key_log").  Also: the negotiated cipher suite
and version and the certificate subject match tshark's.

usage: diff_tls.py TLS_DUMP CAPTURE_DIR
"""
import json
import os
import subprocess
import sys


def hopsniff(dump, pcap, keylogs, split=None):
    cmd = [dump] + (["--split", str(split)] if split else []) + [pcap] + keylogs
    out = subprocess.run(cmd, check=True, capture_output=True, text=True).stdout
    data = {"C": b"", "S": b""}
    msgs, anomalies = [], []
    for line in out.splitlines():
        if line.startswith("# "):
            msgs.append(json.loads(line[2:]))
        elif line.startswith("! "):
            anomalies.append(line)
        else:
            _, d, hx = line.split(" ")
            data[d] += bytes.fromhex(hx)
    return data, msgs, anomalies


def tshark_follow(pcap, keylog):
    out = subprocess.run(["tshark", "-o", "tls.keylog_file:" + keylog, "-r", pcap, "-q", "-z", "follow,tls,raw,0"],
                         check=True, capture_output=True, text=True).stdout
    data = {"C": b"", "S": b""}
    node0_is_server = None
    for line in out.splitlines():
        if line.startswith("Node 0:"):
            node0_is_server = line.rstrip().endswith(":5986")
            continue
        if not line.strip() or line.startswith(("=", "Follow", "Filter", "Node")):
            continue
        tabbed = line.startswith("\t")
        from_server = (not tabbed) == node0_is_server
        data["S" if from_server else "C"] += bytes.fromhex(line.strip())
    return data


def tshark_fields(pcap, keylog):
    out = subprocess.run(["tshark", "-o", "tls.keylog_file:" + keylog, "-r", pcap, "-Y", "tls.handshake.type==2",
                          "-T", "fields", "-e", "tls.handshake.ciphersuite", "-e",
                          "tls.handshake.extensions.supported_version", "-e", "tls.handshake.version"],
                         check=True, capture_output=True, text=True).stdout.split("\n")[0].split("\t")
    # subject then issuer of the first certificate: CN, O, CN, O (UTF8String)
    names = subprocess.run(["tshark", "-o", "tls.keylog_file:" + keylog, "-r", pcap, "-Y", "tls.handshake.type==11",
                            "-T", "fields", "-e", "x509sat.uTF8String"],
                           check=True, capture_output=True, text=True).stdout.split("\n")[0].split(",")
    return int(out[0], 16), int(out[1] or out[2], 16), names


def main():
    dump, d = sys.argv[1], sys.argv[2]
    names = sorted(f[:-5] for f in os.listdir(d) if f.endswith(".pcap"))
    fails, checks = 0, 0

    def check(ok, what):
        nonlocal fails, checks
        checks += 1
        if not ok:
            fails += 1
            print("FAIL", what)

    for n in names:
        pcap, kl = os.path.join(d, n + ".pcap"), os.path.join(d, n + ".keylog")
        sent = open(os.path.join(d, n + ".sent"), "rb").read()
        recv = open(os.path.join(d, n + ".recv"), "rb").read()
        ts = tshark_follow(pcap, kl)
        hs, msgs, anomalies = hopsniff(dump, pcap, [kl])
        check(ts["C"] == sent and ts["S"] == recv, f"{n}: tshark's plaintext is not what was sent (oracle broken)")
        check(hs["C"] == ts["C"], f"{n}: client plaintext differs from tshark ({len(hs['C'])} vs {len(ts['C'])} bytes)")
        check(hs["S"] == ts["S"], f"{n}: server plaintext differs from tshark ({len(hs['S'])} vs {len(ts['S'])} bytes)")
        check(hs["C"] == sent and hs["S"] == recv, f"{n}: plaintext differs from what was sent")
        check(not anomalies, f"{n}: anomalies {anomalies}")
        check(not [m for m in msgs if m.get("tls_msg") == "undecrypted"], f"{n}: undecrypted records")
        for split in (1, 7):
            hs2, msgs2, an2 = hopsniff(dump, pcap, [kl], split)
            check(hs2 == hs and msgs2 == msgs and an2 == anomalies, f"{n}: different result with --split {split}")
        suite, version, cn = tshark_fields(pcap, kl)
        sh = [m for m in msgs if m.get("tls_msg") == "server_hello"][0]
        check(int(sh["cipher_suite_id"], 16) == suite, f"{n}: suite {sh['cipher_suite_id']} vs tshark 0x{suite:04x}")
        want = {0x0303: "TLS 1.2", 0x0304: "TLS 1.3"}[version]
        check(sh["version"] == want, f"{n}: version {sh['version']} vs tshark {want}")
        if "-sha-" in n:  # AES128-SHA: with and without encrypt-then-MAC (RFC 7366)
            check(sh.get("encrypt_then_mac", False) == ("noetm" not in n), f"{n}: encrypt_then_mac negotiation")
        cert = [m for m in msgs if m.get("tls_msg") == "certificate"][0]
        rdn = sorted(cert["subject"].split(","))
        check(rdn == sorted(["CN=" + cn[0], "O=" + cn[1]]) and cert["issuer"] == cert["subject"] and cert["self_signed"],
              f"{n}: subject {cert['subject']} vs tshark {cn}")
        check(cert["decrypted"] == (version == 0x0304), f"{n}: certificate decrypted flag")
        if n.startswith("tls13") and "aes256" not in n:
            ku = [m for m in msgs if m.get("tls_msg") == "key_update"]
            check(len(ku) == 2 and ku[0]["update_requested"] and not ku[1]["update_requested"],
                  f"{n}: expected the client's and the server's KeyUpdate, got {ku}")
        # without the key log: nothing decrypted, the reason said once per direction
        hs0, msgs0, _ = hopsniff(dump, pcap, [])
        und = [m for m in msgs0 if m.get("tls_msg") == "undecrypted"]
        check(hs0 == {"C": b"", "S": b""} and len(und) == 2 and all(m["reason"] == "no_key_log" for m in und),
              f"{n}: without key log: {und}")
        print(f"{n}: client {len(hs['C'])} bytes, server {len(hs['S'])} bytes = tshark = sent; "
              f"{sh['cipher_suite']} {sh['version']}")
    # a wrong key: the tag check must fail, never produce bytes
    n = names[0]
    bad = os.path.join(os.environ.get("TMPDIR", "/tmp"), "hs_bad.keylog")
    with open(os.path.join(d, n + ".keylog")) as f, open(bad, "w") as g:
        for line in f:
            p = line.split()
            if len(p) == 3:
                p[2] = ("00" if p[2][:2] != "00" else "11") + p[2][2:]
            g.write(" ".join(p) + "\n")
    hsb, msgsb, anb = hopsniff(dump, os.path.join(d, n + ".pcap"), [bad])
    und = [m for m in msgsb if m.get("tls_msg") == "undecrypted"]
    check(hsb == {"C": b"", "S": b""} and len(und) == 2 and all(m["reason"] == "bad_key" for m in und)
          and len([a for a in anb if "tls_decrypt_failed" in a]) == 2, f"{n}: wrong key: {und} {anb}")
    os.unlink(bad)
    print(f"{len(names)} sessions, {checks} checks, {fails} failures")
    return 1 if fails else 0


if __name__ == "__main__":
    sys.exit(main())
