#!/usr/bin/env bash
# The one test command (README): run from anywhere, as root on a Debian 12 machine.
#   1. installs the Debian packages the tests need (tests/stack/install-deps.sh; instant when present)
#   2. checks that cargo/rustc >= 1.95 are there
#   3. builds every target (--locked)
#   4. starts the loopback servers (tests/stack/start-all.sh) in $STACK_DIR (default /tmp/cachet-stack)
#   5. runs all tests with the stack required (CACHET_STACK_ENV, CACHET_REQUIRE_STACK=1), with
#      cargo nextest when installed, else cargo test
#   6. stops the servers whatever happened, and exits with the tests' status.
# Extra arguments go to the test runner (e.g. `scripts/test.sh stack_smoke`).
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
export STACK_DIR="${STACK_DIR:-/tmp/cachet-stack}"
MIN_RUST=1.95
t0=$(date +%s.%N)
elapsed() { awk -v a="$1" -v b="$(date +%s.%N)" 'BEGIN{printf "%.1f", b-a}'; }

bash tests/stack/install-deps.sh

# rustup installs into ~/.cargo/bin, which a root login shell may not have on PATH
cargo_bin="${CARGO_HOME:-${HOME:-/root}/.cargo}/bin"
[ -d "$cargo_bin" ] && case ":$PATH:" in *":$cargo_bin:"*) ;; *) PATH="$cargo_bin:$PATH" ;; esac
if ! command -v cargo >/dev/null 2>&1 || ! command -v rustc >/dev/null 2>&1; then
  echo "test: cargo is not installed; install Rust $MIN_RUST or newer with rustup (https://rustup.rs: curl --proto '=https' -sSf https://sh.rustup.rs | sh -s -- -y) and rerun." >&2
  exit 1
fi
have=$(rustc --version | awk '{print $2}')
if ! printf '%s\n%s\n' "$MIN_RUST" "${have%%-*}" | sort -V -C; then
  echo "test: rustc $have is too old, this crate needs $MIN_RUST or newer; run 'rustup update stable' (or install it from https://rustup.rs) and rerun." >&2
  exit 1
fi

echo "test: building all targets"
cargo build --locked --all-targets

stopped=0
stop_stack() {
  [ "$stopped" = 1 ] && return 0
  stopped=1
  bash "$ROOT/tests/stack/stop.sh" || true
}
trap stop_stack EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

ts=$(date +%s.%N)
bash tests/stack/start-all.sh
echo "test: stack started in $(elapsed "$ts") s"

export CACHET_STACK_ENV="$STACK_DIR/stack.env"
export CACHET_REQUIRE_STACK=1
# libpcsclite finds a private pcscd (see start-pcsc.sh) only through this variable
csock=$(sed -n 's/^PCSCLITE_CSOCK_NAME=//p' "$CACHET_STACK_ENV")
[ -n "$csock" ] && export PCSCLITE_CSOCK_NAME="$csock"

status=0
if cargo nextest --version >/dev/null 2>&1; then
  cargo nextest run --locked --no-fail-fast "$@" || status=$?
else
  echo "test: cargo-nextest is not installed; running cargo test"
  cargo test --locked --no-fail-fast "$@" || status=$?
fi

ts=$(date +%s.%N)
stop_stack
echo "test: stack stopped in $(elapsed "$ts") s"
if [ "$status" -eq 0 ]; then
  echo "test: all tests passed ($(elapsed "$t0") s in total)"
else
  echo "test: tests FAILED with status $status ($(elapsed "$t0") s in total)" >&2
fi
exit "$status"
