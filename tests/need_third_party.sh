#!/bin/sh
# need_third_party.sh DIR COMMAND... - run COMMAND when the third-party captures are at DIR, else skip (77).
# They are public captures (Zeek's test suite, real Windows domains, pktmon ETL) kept outside the project in
# ../shared/captures/third-party beside the clone; configure with -DHS_THIRD_PARTY=DIR to point elsewhere.
dir=$1
shift
if [ ! -d "$dir" ]; then
	echo "SKIP: third-party captures not found at $dir (set -DHS_THIRD_PARTY=DIR)"
	exit 77
fi
exec "$@"
