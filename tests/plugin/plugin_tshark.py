#!/usr/bin/env python3
"""The plugin under tshark against the CLI, on every lab scenario capture.

usage: plugin_tshark.py HOPSNIFF PLUGIN_DIR SCENARIOS_DIR [KEYLOG_CAPTURES...]

Per capture (client1, srv1, dc of every scenario), one `tshark -2` run with
the plugin gives per frame hopsniff.chain / verdict / cause / method and the
`-z hopsniff,tree` block; it must agree with `hopsniff -r X --json`:
  - every chain of the CLI's report appears, with the same verdict, cause
    and method on every frame that lists it, and no other chain appears;
  - each chain has exactly one decisive frame, the one carrying the expert info;
  - the stats tree counts chains by method, verdict and cause as the CLI does.
`-Y 'hopsniff.verdict == "failed"'` shows exactly the frames whose
chains include a failed one (docs/plugin.md), and Wireshark's own
dissection is unchanged: counts of kerberos.msg_type, ntlmssp.messagetype,
smb2.cmd, http.request.method and frame.protocols with and without the
plugin are equal.

KEYLOG_CAPTURES: captures with a TLS key log beside them (X.pcap + X.keylog,
or a lab scenario capture + tls-keylog-<name>.txt): with the key log given
to both (--keylog / -o hopsniff.keylog_files:FILE) the verdicts and causes
agree again, and the plugin shows what is carried in CredSSP or TLS only
when it has the key log: more decoded messages are shown with it.  On the
first CredSSP one, the NTLM responses inside (the secrets `hopsniff decode
--show-secrets` prints) are absent from the plugin's fields by default and
present with -o hopsniff.show_secrets:TRUE.

The keytab preference: on scenario 09 from srv1, -o hopsniff.keytab_files:srv1.keytab
gives the CLI's verdicts and causes with --keytab (which differ from those without).
"""
import collections
import concurrent.futures
import glob
import hashlib
import json
import os
import re
import subprocess
import sys
import threading

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import wsenv  # noqa: E402

ORACLE = ["kerberos.msg_type", "ntlmssp.messagetype", "smb2.cmd", "http.request.method",
          "ldap.protocolOp", "frame.protocols"]
FIELDS = ["frame.number", "hopsniff.chain", "hopsniff.verdict", "hopsniff.cause", "hopsniff.method",
          "hopsniff.decisive", "_ws.expert.group", "_ws.expert.severity", "_ws.expert.message"] + ORACLE
PI_SECURITY = 0x0a000000
SEVERITY = {"failed": 0x00800000, "not_attempted": 0x00600000, "unknown": 0x00600000, "delegated": 0x00400000}


def fields_args(fields):
    a = ["-T", "fields", "-E", "separator=\t", "-E", "occurrence=a", "-E", "aggregator=|"]
    for f in fields:
        a += ["-e", f]
    return a


def oracle_counts(lines, first):
    """Counts of each oracle field value; columns from index first."""
    c = collections.Counter()
    for cols in lines:
        for k, f in enumerate(ORACLE):
            v = cols[first + k] if first + k < len(cols) else ""
            if f == "frame.protocols":
                # the plugin adds its own name at the end; the rest must not change
                v = ":".join(p for p in v.split(":") if p != "hopsniff")
            for x in v.split("|") if v else []:
                c[(f, x)] += 1
    return c


def main():
    hopsniff, plugin_dir, scen = sys.argv[1:4]
    wsenv.need("tshark")
    caps = sorted(p for s in sorted(glob.glob(os.path.join(scen, "*/")))
                  for p in (os.path.join(s, n + ".pcapng") for n in ("client1", "srv1", "dc")) if os.path.exists(p))
    if not caps:
        print("no lab captures")
        return 1
    env = wsenv.Env(plugin_dir)
    bare = wsenv.Env(plugin_dir, with_plugin=False)
    checks = fails = chains_total = filter_runs = oracle_seen = 0
    secrets_checked = False

    lock = threading.Lock()

    def check(ok, what):
        nonlocal checks, fails
        with lock:
            checks += 1
            if not ok:
                fails += 1
                print("FAIL:", what)

    def count(**kw):
        nonlocal chains_total, filter_runs, oracle_seen
        with lock:
            chains_total += kw.get("chains", 0)
            filter_runs += kw.get("filters", 0)
            oracle_seen += kw.get("oracle", 0)

    try:
        if not os.environ.get("HS_LIBASAN"):  # `tshark -G` hangs with libasan preloaded
            plugins = env.run(["tshark", "-G", "plugins"]).stdout
            check("hopsniff.so" in plugins, "tshark -G plugins lists hopsniff.so")
        def one(cap):
            name = os.path.relpath(cap, scen)
            rep = json.loads(subprocess.run([hopsniff, "-r", cap, "--json"], capture_output=True, text=True).stdout)
            want = {c["id"]: (c["delegation"]["verdict"], c["delegation"]["cause"], c["delegation"]["method"])
                    for c in rep["chains"]}
            count(chains=len(want))
            p = env.run(["tshark", "-2", "-r", cap, "-z", "hopsniff,tree"] + fields_args(FIELDS))
            out = p.stdout.split("\n=====")[0]
            rows = [l.split("\t") for l in out.splitlines() if l and l[0].isdigit()]
            got = {}
            decisive = collections.Counter()
            frames_failed = set()
            for cols in rows:
                ids = [x for x in cols[1].split("|") if x]
                if not ids:
                    continue
                verdicts, causes, methods, dec = (cols[k].split("|") for k in (2, 3, 4, 5))
                # our expert infos at this frame: (severity, chain id)
                ours = [(int(sv), m.split(",")[0][len("Double hop (chain "):])
                        for g, sv, m in zip(cols[6].split("|"), cols[7].split("|"), cols[8].split("|"))
                        if g and int(g) == PI_SECURITY and m.startswith("Double hop (chain ")]
                check(len(verdicts) == len(ids) == len(causes) == len(methods) == len(dec),
                      f"{name} frame {cols[0]}: one verdict/cause/method per chain")
                for i, cid in enumerate(ids):
                    t = (verdicts[i], causes[i], methods[i])
                    got.setdefault(int(cid), set()).add(t)
                    is_dec = dec[i] in ("1", "True")
                    decisive[int(cid)] += is_dec
                    want_ei = [(SEVERITY[verdicts[i]], cid)] if is_dec else []
                    check([e for e in ours if e[1] == cid] == want_ei,
                          f"{name} frame {cols[0]} chain {cid}: expert infos {ours}, want {want_ei}")
                if "failed" in verdicts:
                    frames_failed.add(int(cols[0]))
            for cid, t in want.items():
                check(got.get(cid) == {t}, f"{name} chain {cid}: plugin {got.get(cid)} != CLI {t}")
                check(decisive[cid] == 1, f"{name} chain {cid}: {decisive[cid]} decisive frames (want 1)")
            check(set(got) <= set(want), f"{name}: chains {sorted(set(got) - set(want))} not in the CLI report")

            # the stats tree
            tree = wsenv.parse_stats_tree(p.stdout)
            check(tree is not None, f"{name}: no -z hopsniff,tree block")
            tree = tree or {}
            top = "Double-hop chains"
            check(tree.get((top,), 0) == len(want), f"{name}: tree total {tree.get((top,))} != {len(want)}")
            by_m = collections.Counter(t[2] for t in want.values())
            by_mv = collections.Counter((t[2], t[0]) for t in want.values())
            by_v = collections.Counter(t[0] for t in want.values())
            by_vc = collections.Counter((t[0], t[1]) for t in want.values())
            for m, n in by_m.items():
                check(tree.get((top, "By method", m)) == n, f"{name}: tree method {m}")
            for (m, v), n in by_mv.items():
                check(tree.get((top, "By method", m, v)) == n, f"{name}: tree method {m} verdict {v}")
            for v, n in by_v.items():
                check(tree.get((top, "By verdict", v)) == n, f"{name}: tree verdict {v}")
            for (v, c), n in by_vc.items():
                check(tree.get((top, "By verdict", v, c)) == n, f"{name}: tree verdict {v} cause {c}")
            leaves = sum(n for k, n in tree.items() if len(k) == 4 and k[1] == "By verdict")
            check(leaves == len(want), f"{name}: tree has {leaves} chains by cause, CLI {len(want)}")

            # the display filter, where the capture has a failed chain (and one where none failed)
            if "failed" in by_v or not want:
                count(filters=1)
                fp = env.run(["tshark", "-2", "-r", cap, "-Y", 'hopsniff.verdict == "failed"', "-T", "fields",
                              "-e", "frame.number"])
                shown = {int(x) for x in fp.stdout.split()}
                check(shown == frames_failed, f"{name}: -Y verdict==failed shows {sorted(shown)[:8]}..., "
                      f"want {sorted(frames_failed)[:8]}...")

            # Wireshark's own trees are intact
            bp = bare.run(["tshark", "-2", "-r", cap] + fields_args(["frame.number"] + ORACLE))
            brows = [l.split("\t") for l in bp.stdout.splitlines() if l and l[0].isdigit()]
            with_c, without_c = oracle_counts(rows, 9), oracle_counts(brows, 1)
            check(len(rows) == len(brows), f"{name}: {len(rows)} frames with the plugin, {len(brows)} without")
            check(with_c == without_c, f"{name}: Wireshark's fields differ with the plugin: "
                  f"{(with_c - without_c) or (without_c - with_c)}")
            count(oracle=sum(n for (f, _), n in without_c.items() if f != "frame.protocols"))

        # two tshark at a time (the machine's cores); each capture is independent
        with concurrent.futures.ThreadPoolExecutor(2) as ex:
            list(ex.map(one, caps))
        for cap in sys.argv[4:]:
            base, _ = os.path.splitext(cap)
            kl = base + ".keylog"
            if not os.path.exists(kl):
                kl = os.path.join(os.path.dirname(cap), "tls-keylog-" + os.path.basename(base) + ".txt")
            name = os.path.basename(cap)
            rep = json.loads(subprocess.run([hopsniff, "-r", cap, "--keylog", kl, "--json"], capture_output=True,
                                            text=True).stdout)
            want = {c["id"]: (c["delegation"]["verdict"], c["delegation"]["cause"]) for c in rep["chains"]}
            klcopy = os.path.join(env.home, os.path.basename(kl))
            with open(kl, "rb") as a, open(klcopy, "wb") as b:
                b.write(a.read())
            os.chmod(klcopy, 0o644)
            inner = {}
            for opt in ([], ["-o", "hopsniff.keylog_files:" + klcopy]):
                p = env.run(["tshark", "-2", "-r", cap] + opt + fields_args(
                    ["frame.number", "hopsniff.chain", "hopsniff.verdict", "hopsniff.cause", "hopsniff.msg.proto"]))
                got = {}
                inner[bool(opt)] = 0
                for cols in (l.split("\t") for l in p.stdout.splitlines() if l and l[0].isdigit()):
                    for cid, v, c in zip(*(cols[k].split("|") for k in (1, 2, 3))):
                        if cid:
                            got.setdefault(int(cid), set()).add((v, c))
                    inner[bool(opt)] += sum(1 for x in cols[4].split("|") if x)
                if opt:
                    check(got == {k: {v} for k, v in want.items()},
                          f"{name} with its key log: plugin {got} != CLI {want}")
            check(inner[True] > inner[False],
                  f"{name}: decoded messages shown: {inner[False]} without the key log, {inner[True]} with it")
            chains_total += len(want)
            if "credssp" in name and not secrets_checked:
                secrets_checked = True
                cli = subprocess.run([hopsniff, "decode", "-r", cap, "--keylog", kl, "--show-secrets"],
                                     capture_output=True, text=True).stdout
                secrets = re.findall(r"^\s+nt_response: ([0-9a-f]{32,})$", cli, re.M)
                check(bool(secrets), f"{name}: the CLI shows no nt_response with --show-secrets")
                for on in (False, True):
                    p = env.run(["tshark", "-2", "-r", cap, "-o", "hopsniff.keylog_files:" + klcopy,
                                 "-o", "hopsniff.show_secrets:" + ("TRUE" if on else "FALSE")]
                                + fields_args(["hopsniff.msg.field"]))
                    shown = sum(p.stdout.count(v) for v in secrets)
                    check((shown > 0) == on, f"{name}: show_secrets {on}: {shown} NTLM responses shown")
        # the keytab preference: scenario 09 from srv1 with srv1's keytab, where the decrypted S4U2Self
        # ticket changes the cause (the CLI's answer with --keytab differs from its answer without)
        sc = os.path.join(sys.argv[3], "09-constrained-no-protocol-transition")
        cap, kt = os.path.join(sc, "srv1.pcapng"), os.path.join(sc, "srv1.keytab")
        cli = {}
        for opt in ([], ["--keytab", kt]):
            rep = json.loads(subprocess.run([hopsniff, "-r", cap, "--json"] + opt, capture_output=True,
                                            text=True).stdout)
            cli[bool(opt)] = {c["id"]: {(c["delegation"]["verdict"], c["delegation"]["cause"])}
                              for c in rep["chains"]}
        check(cli[True] != cli[False], f"09 srv1: the keytab changes nothing in the CLI's report ({cli[True]})")
        ktcopy = os.path.join(env.home, "srv1.keytab")
        with open(kt, "rb") as a, open(ktcopy, "wb") as b:
            b.write(a.read())
        os.chmod(ktcopy, 0o644)
        p = env.run(["tshark", "-2", "-r", cap, "-o", "hopsniff.keytab_files:" + ktcopy] + fields_args(
            ["frame.number", "hopsniff.chain", "hopsniff.verdict", "hopsniff.cause"]))
        got = {}
        for cols in (l.split("\t") for l in p.stdout.splitlines() if l and l[0].isdigit()):
            for cid, v, c in zip(*(cols[k].split("|") for k in (1, 2, 3))):
                if cid:
                    got.setdefault(int(cid), set()).add((v, c))
        check(got == cli[True], f"09 srv1 with its keytab: plugin {got} != CLI {cli[True]}")
        # sealed WinRM bodies (captures/generated/winrm-sealed): the "Decrypted WinRM" data source holds, per
        # frame, the body the CLI decrypts (same SHA-256), with the keytab / NTLM password preferences; none
        # without them
        sealed = os.path.join(sys.argv[3], "..", "..", "generated", "winrm-sealed")
        for name, pref, secret_file in (("s1-kerberos-aes", "keytab_files", "srv1.keytab"),
                                        ("s3-ntlm", "ntlm_passwords", None)):
            sc = os.path.join(sealed, name)
            cap = os.path.join(sc, "srv1.pcapng")
            if secret_file:
                value = os.path.join(env.home, name + ".keytab")
                with open(os.path.join(sc, secret_file), "rb") as a, open(value, "wb") as b:
                    b.write(a.read())
                os.chmod(value, 0o644)
                cli_args = ["--keytab", os.path.join(sc, secret_file)]
            else:
                pw = [l.split(":", 1)[1].strip() for l in open(os.path.join(sc, "secrets.txt")) if l.startswith("alice:")][0]
                value = "HOP\\alice:" + pw
                cli_args = ["--ntlm-password", value]
            cli = subprocess.run([hopsniff, "decode", "-r", cap, "--json"] + cli_args, capture_output=True, text=True).stdout
            want = {m["frame"]: m["encrypted"]["decrypted_sha256"] for m in map(json.loads, cli.splitlines())
                    if m.get("proto") == "http" and m.get("encrypted", {}).get("decrypted_sha256")}
            for opt in ([], ["-o", "hopsniff.%s:%s" % (pref, value)]):
                p = env.run(["tshark", "-2", "-r", cap] + opt + ["-T", "json", "-j", "hopsniff", "-e", "frame.number",
                                                                 "-e", "hopsniff.winrm.plaintext"])
                got = {}
                for pk in json.loads(p.stdout or "[]"):
                    f = pk["_source"]["layers"]
                    for t in f.get("hopsniff.winrm.plaintext", []):
                        got[int(f["frame.number"][0])] = hashlib.sha256(t.encode()).hexdigest()
                if opt:
                    check(want and got == want, f"{name}: Decrypted WinRM in {len(got)} frames, CLI {len(want)}; "
                                                f"equal bodies {sum(got.get(k) == v for k, v in want.items())}")
                else:
                    check(not got, f"{name} without the preference: {len(got)} decrypted bodies")
        check(oracle_seen > 100, f"Wireshark's own fields seen {oracle_seen} times in all")
    finally:
        env.close()
        bare.close()
    print(f"plugin_tshark: {len(caps)} captures, {chains_total} chains, {filter_runs} filter runs, "
          f"{checks} checks, {fails} failures")
    return 1 if fails else 0


if __name__ == "__main__":
    sys.exit(main())
