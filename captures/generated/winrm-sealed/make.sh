#!/bin/bash
# Record the sealed-body scenarios (scenarios.sh) with the lab of captures/lab/run.sh (root; network
# namespaces, no route out, torn down at the end) into this folder: <scenario>/{client1,srv1,dc}.pcapng,
# keytabs, secrets.txt, srv1-plaintext.jsonl (the endpoint's plaintext of every sealed body).
#   captures/generated/winrm-sealed/make.sh [SCENARIO...]     (default: all)
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
source <(sed -n '/^HS_LAB_SEALED=/p' "$here/scenarios.sh")
[ $# -gt 0 ] || set -- "${HS_LAB_SEALED[@]}"
HS_LAB_OUT=$here HS_LAB_SCENARIO_FILE=$here/scenarios.sh HS_LAB_EXTRA="${HS_LAB_SEALED[*]}" \
  exec "$here/../../lab/run.sh" "$@"
