"""tshark options a lab scenario names for its non-standard ports (issue 20: captures/lab/scenarios/NN/
tshark-opts.txt beside the captures, e.g. "-d tcp.port==4455,nbss"): tshark, the oracle, is told where the
protocols are, as a user would with Decode As; hopsniff is not. Shared by the tests that compare hopsniff's
decoded fields with tshark's (diff_carriers.py, http/compare_tshark.py, tls/lab_https.py)."""
import os


def tshark_opts(pcap):
    f = os.path.join(os.path.dirname(os.path.abspath(pcap)), "tshark-opts.txt")
    if not os.path.isfile(f):
        return []
    return [a for line in open(f) if not line.lstrip().startswith("#") for a in line.split()]
