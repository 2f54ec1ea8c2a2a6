#!/bin/sh
# Every benchmark, one JSON file each in bench-results/ (run inside scripts/testnet.sh).
set -eu
cd "$(dirname "$0")/../.."
run() { echo "== $1"; shift; node --enable-source-maps "$@"; }
run "CPS login (card + PIN)" build/scripts/bench/run.js
run "DESFire tap to unlock" build/scripts/bench/tap-unlock.js
run "FIDO2 assertion" build/scripts/bench/fido-assertion.js
run "session policy and engine" --expose-gc build/scripts/bench/policy.js
run "audit trail" build/scripts/bench/audit.js
