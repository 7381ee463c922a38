# Shared settings and helpers for the loopback test stack; sourced by every tests/stack script.
#
# Everything a run creates lives under $STACK_DIR (default /tmp/cachet-stack): configs, PKI,
# mail, queues, logs and one PID file per daemon in $STACK_DIR/pids. Nothing in /etc is edited.
# Every daemon listens on 127.0.0.1 (vpcd, hard-coded to INADDR_ANY, is the one exception), and
# every wait is bounded. Ports are private-range defaults that any caller may override by
# exporting the variable; docs/dev/test-stack.md is the contract the tests read.
set -euo pipefail

STACK_SCRIPTS="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
: "${STACK_DIR:=/tmp/cachet-stack}"
case "$STACK_DIR" in /*) ;; *) STACK_DIR="$PWD/$STACK_DIR" ;; esac   # daemons chdir to /
export STACK_DIR

: "${IMAPS_PORT:=11993}"             # Dovecot "pw": implicit TLS, PLAIN/LOGIN
: "${IMAP_STARTTLS_PORT:=11143}"     # Dovecot "pw": plain port offering STARTTLS
: "${IMAP_STRICT_ADDR:=127.0.0.2}"   # the STARTTLS port there too: LOGINDISABLED enforced (not "local")
: "${IMAPS_CERT_PORT:=11994}"        # Dovecot "cert": implicit TLS, client cert required, AUTHENTICATE EXTERNAL
: "${IMAP_NOSTARTTLS_PORT:=11144}"   # Dovecot "plain": ssl = no, never offers STARTTLS (clients must refuse it)
: "${LMTP_PORT:=11024}"              # Dovecot "pw": LMTP, Postfix delivers here
: "${SMTP_SUBMISSION_PORT:=11587}"   # Postfix: submission, STARTTLS required, SASL via Dovecot
: "${SMTPS_PORT:=11465}"             # Postfix: implicit TLS, SASL via Dovecot
: "${SMTP_SIZE_LIMIT:=10485760}"     # Postfix message_size_limit (10 MB)
VPCD_PORT_GIVEN=${VPCD_PORT:-}        # an explicit choice is never silently replaced
: "${VPCD_PORT:=35963}"              # vpcd slot 0 (slot 1 is VPCD_PORT + 1)
: "${STACK_WAIT:=30}"                # seconds any single readiness wait may take

MAIL_DOMAIN=example.test
ALICE_USER="alice@$MAIL_DOMAIN"; ALICE_PASSWORD=alice-secret
BOB_USER="bob@$MAIL_DOMAIN";     BOB_PASSWORD=bob-secret
CARD_USER=810100000017               # CN of the simulated card's certificate (IDNPS)

PKI_DIR="$STACK_DIR/pki"
LOGS="$STACK_DIR/log"
PIDS="$STACK_DIR/pids"

mkdir -p "$STACK_DIR" "$LOGS" "$PIDS"
chmod 0755 "$STACK_DIR"   # the mail uid (nobody) and the dovecot/postfix users traverse it

now() { date +%s.%N; }
elapsed() { awk -v a="$1" -v b="$(date +%s.%N)" 'BEGIN{printf "%.2f", b-a}'; }

# die MESSAGE [LOGFILE...]: one clear sentence on stderr, then the tail of each log named.
die() {
  local msg=$1; shift
  echo "stack: $msg" >&2
  local f
  for f in "$@"; do
    [ -f "$f" ] || continue
    echo "---- last lines of $f ----" >&2
    tail -n 25 "$f" >&2
  done
  exit 1
}

# port_busy PORT: true when something already listens on 127.0.0.1/0.0.0.0 PORT.
port_busy() { [ -n "$(ss -Hltn "sport = :$1" 2>/dev/null)" ]; }

# wait_port PORT [TIMEOUT_S]: poll (without connecting, so TLS servers log no failed
# handshake) until a TCP listener exists on PORT.
wait_port() {
  local port=$1 t=${2:-$STACK_WAIT} i=0
  until port_busy "$port"; do
    i=$((i + 1))
    [ "$i" -le $((t * 20)) ] || return 1
    sleep 0.05
  done
}

# is_alive PID: the process exists and is not a zombie (re-parented daemons that were killed
# can linger as zombies of PID 1 for a while; kill -0 succeeds on them).
is_alive() {
  [ -n "${1:-}" ] && kill -0 "$1" 2>/dev/null &&
    [ "$(awk '{print $3}' "/proc/$1/stat" 2>/dev/null)" != Z ]
}

# wait_gone PID [TIMEOUT_S]
wait_gone() {
  local pid=$1 t=${2:-10} i=0
  while is_alive "$pid"; do
    i=$((i + 1))
    [ "$i" -le $((t * 20)) ] || return 1
    sleep 0.05
  done
}

# check_ports_free NAME PORT...: refuse to start over someone else's listener, naming it.
check_ports_free() {
  local name=$1 p; shift
  for p in "$@"; do
    if port_busy "$p"; then
      die "$name cannot start: port $p is already in use ($(ss -Hltnp "sport = :$p" | awk '{print $NF}' | head -1)); stop it or export another port"
    fi
  done
}
