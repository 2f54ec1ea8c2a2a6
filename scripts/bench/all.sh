#!/bin/sh
# Every benchmark, one JSON file each in bench-results/ (run inside scripts/testnet.sh), then the
# single report: bench/report.md, bench/report.json and bench/*.svg.
# BENCH_QUICK=1 runs the soak and the control channel load in their quick modes (development).
set -eu
cd "$(dirname "$0")/../.."
run() { echo "== $1"; shift; node --enable-source-maps "$@"; }
quick=""
if [ -n "${BENCH_QUICK:-}" ]; then quick="--quick"; fi
run "CPS login (card + PIN)" build/scripts/bench/run.js
run "DESFire tap to unlock" build/scripts/bench/tap-unlock.js
run "FIDO2 assertion" build/scripts/bench/fido-assertion.js
run "session policy and engine" --expose-gc build/scripts/bench/policy.js
run "audit trail" build/scripts/bench/audit.js
if [ -f build/scripts/bench/sso-signin.js ]; then run "web SSO sign-in" build/scripts/bench/sso-signin.js; fi
run "control channel under load" build/scripts/bench/control-load.js $quick
run "soak (taps and logins)" --expose-gc build/scripts/bench/soak.js $quick
run "report" build/scripts/bench/report.js
