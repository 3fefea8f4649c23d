#!/usr/bin/env python3
"""lab_live_check.py OUT SCENARIOS - checks the live scenarios recorded by
tests/live/lab_live.sh.  For each: hopsniff's exit status, its streamed
verdict and its final --json report against the original scenario's
expected.json (tests/lab_reports.py's comparison, vantage srv1), its -w file
against dumpcap's capture of the same interface (tshark, frame by frame),
and the summary's packet count against both."""
import json
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import livecheck as lc  # noqa: E402

OUT, SCN = sys.argv[1], sys.argv[2]
# live scenario -> (original scenario, vantage for the comparison, exit status)
LIVE = {
    "90-live-08": ("08-constrained-target-not-allowed", "srv1", 1),
    # the client's key log, followed while written: the "+keylog" view
    "91-live-14-keylog": ("14-https-keylog", "srv1+keylog", 0),
}
check = lc.Checks()


for live, (orig, vantage, want_rc) in LIVE.items():
    d = os.path.join(OUT, live)
    exp = lc.load(os.path.join(SCN, orig, "expected.json"))
    scn = orig[:2]
    rc = int(open(os.path.join(d, "live.rc")).read())
    err = open(os.path.join(d, "live.stderr")).read()
    check(rc == want_rc, f"{live}: exit status {rc}, want {want_rc}")
    try:
        rep = json.load(open(os.path.join(d, "live.json")))
    except ValueError as ex:
        check(False, f"{live}: --json report readable ({ex})")
        continue
    errs = lc.compare_report(rep, exp, scn, vantage)
    check(not errs, f"{live}: final JSON = {orig}/expected.json [{vantage}] ({'; '.join(errs) or 'same'})")
    errs = lc.compare_streamed(lc.streamed(err), exp, scn, vantage)
    check(not errs, f"{live}: streamed verdict = expected.json ({'; '.join(errs) or 'same'})")
    s = lc.summary(err)
    mine = lc.tshark_fields(os.path.join(d, "live-srv1.pcapng"))
    dumpcap = lc.tshark_fields(os.path.join(d, "srv1.pcapng"))
    check(s["packets"] == len(mine) == len(dumpcap),
          f"{live}: summary {s['packets']} packets = -w file {len(mine)} = dumpcap {len(dumpcap)}")
    check(mine == dumpcap, f"{live}: -w file = dumpcap's capture of srv1's eth0, frame by frame (tshark)")
    check(s["kernel_drop"] == 0, f"{live}: pcap_stats drops shown: {s['kernel_drop']}")
    if scn == "14":
        # only visible through TLS decryption with the followed key log
        h1 = rep["chains"][0]["hops"][0] if rep["chains"] else {}
        check(h1.get("auth") == "kerberos" and h1.get("carrier") == "winrm-https",
              f"{live}: hop 1 inside HTTPS decrypted with the growing key log (auth {h1.get('auth')!r})")
check.done()
