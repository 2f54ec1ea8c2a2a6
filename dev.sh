#!/usr/bin/env bash
# Tessera developer entry point. Sets up whatever is missing, then runs what you asked for.
#
#   ./dev.sh demo     the UI and a simulator panel on 127.0.0.1 (simulated readers, card, badge, key, provider)
#   ./dev.sh demo-cli the scripted terminal demo (headless agent, simulated card, real pcscd)
#   ./dev.sh test     the whole test suite (lint, type check, unit, integration)
#   ./dev.sh bench    the benchmarks (JSON in bench-results/)
#   ./dev.sh setup    only install system and npm dependencies
#
# System packages come from the distribution (apt), npm packages from package-lock.json.
# Root is used for apt and for the test bed (a private mount and network namespace per
# pcscd); run as root or with sudo available.
set -euo pipefail
cd "$(dirname "$0")"

APT_PACKAGES=(pcscd vsmartcard-vpcd libpcsclite-dev pkg-config iproute2 util-linux python3 make g++ ca-certificates chromium softhsm2 gnome-keyring libsecret-tools dbus-daemon dbus-bin)
NODE_MIN_MAJOR=20
NODE_MIN_MINOR=19

log() { printf '\033[1m[dev]\033[0m %s\n' "$*" >&2; }
die() { printf '[dev] error: %s\n' "$*" >&2; exit 1; }

as_root() {
  if [ "$(id -u)" = 0 ]; then "$@"
  elif command -v sudo >/dev/null 2>&1; then sudo "$@"
  else die "root needed for: $* (run as root or install sudo)"; fi
}

apt_install() {
  command -v apt-get >/dev/null 2>&1 || die "apt-get not found: install these packages by hand: $*"
  log "installing system packages: $*"
  if [ -z "${DEV_APT_UPDATED:-}" ]; then as_root apt-get update -qq; DEV_APT_UPDATED=1; fi
  as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "$@" >/dev/null
}

setup_system() {
  local missing=()
  for p in "${APT_PACKAGES[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
  done
  if ! command -v node >/dev/null 2>&1 || ! command -v npm >/dev/null 2>&1; then missing+=(nodejs npm); fi
  if [ ${#missing[@]} -gt 0 ]; then apt_install "${missing[@]}"; fi
  local v major minor
  v=$(node -p 'process.versions.node' 2>/dev/null || echo 0.0.0)
  major=${v%%.*}; minor=$(echo "$v" | cut -d. -f2)
  if [ "$major" -lt "$NODE_MIN_MAJOR" ] || { [ "$major" -eq "$NODE_MIN_MAJOR" ] && [ "$minor" -lt "$NODE_MIN_MINOR" ]; }; then
    die "Node.js >= ${NODE_MIN_MAJOR}.${NODE_MIN_MINOR} is needed (found $v): install Node 20 LTS or newer, then run this again"
  fi
}

setup_npm() {
  # Native addons (the PC/SC binding) build against the installed Node headers when present,
  # instead of downloading them.
  if [ -z "${npm_config_nodedir:-}" ] && [ -f /usr/include/node/node_api.h ]; then export npm_config_nodedir=/usr; fi
  # No Electron binary is needed to build, test or run the demo: skip its download unless the
  # caller wants it (a release machine sets TESSERA_ELECTRON_BINARY=1). A plain `npm install`
  # elsewhere is unaffected and downloads Electron as usual.
  if [ "${TESSERA_ELECTRON_BINARY:-0}" != 1 ]; then export ELECTRON_SKIP_BINARY_DOWNLOAD=1; fi
  local stamp=node_modules/.package-lock.json
  if [ ! -f "$stamp" ] || [ package-lock.json -nt "$stamp" ] || [ ! -e node_modules/@pokusew/pcsclite/build/Release/pcsclite.node ]; then
    log "installing npm packages (npm ci)"
    npm ci --no-audit --no-fund
  fi
}

setup() { setup_system; setup_npm; }

cmd=${1:-help}
case "$cmd" in
  setup) setup ;;
  test) setup; npm test ;;
  # Host network: the browser must reach the web shell (testnet.sh would hide it in a namespace).
  demo) setup; npm run build --silent; exec node --enable-source-maps build/scripts/demo-web.js ;;
  demo-cli) setup; npm run build --silent; exec ./scripts/testnet.sh node --enable-source-maps build/scripts/demo.js ;;
  bench) setup; npm run build --silent; exec ./scripts/testnet.sh ./scripts/bench/all.sh ;;
  *) sed -n '2,12p' "$0" | sed 's/^# \{0,1\}//'; [ "$cmd" = help ] || exit 2 ;;
esac
