#!/usr/bin/env bash
# Runs Cachet's built-in demo (generated data, no server, no card).
# On a fresh Debian machine, as root: installs the one C library the build
# links (libpcsclite), builds, and opens the interface.
set -euo pipefail
cd "$(dirname "$0")/.."

if ! command -v cargo >/dev/null 2>&1; then
  echo "cachet: Rust (cargo, rustc >= 1.95) is required: install it with rustup (https://rustup.rs), then run this again." >&2
  exit 1
fi
if ! dpkg-query -W -f='${Status}' libpcsclite-dev 2>/dev/null | grep -q 'install ok installed'; then
  if [ "$(id -u)" -ne 0 ]; then
    echo "cachet: libpcsclite-dev is missing; run this script as root once, or: sudo apt-get install libpcsclite-dev" >&2
    exit 1
  fi
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends libpcsclite-dev pkg-config >/dev/null
fi
exec cargo run --locked --quiet -- demo "$@"
