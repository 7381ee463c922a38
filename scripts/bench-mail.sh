#!/usr/bin/env bash
# Issue 5 benchmark: a 100 000-message mailbox in Dovecot, measured in one run, side by side:
#   1. Dovecot alone: one `UID FETCH 1:*` of the items Cachet's sync asks for, over implicit
#      TLS, by a minimal client (benches/mail/imap_raw.py); also the same as Cachet batches it;
#   2. neomutt over IMAPS with its header cache (sort=threads): cold open (empty cache), warm
#      open to the first threaded screen, 50 page-downs, peak RSS, driven in tmux
#      (benches/mail/tui.py);
#   3. Cachet: cold sync into a fresh encrypted store, warm open to the first threaded
#      screen from the cache, scrolling, peak RSS (benches/mail_cache.rs, release build).
# Prints one markdown table and the command line. Not part of scripts/test.sh or CI.
#
# Usage (as root on Debian): scripts/bench-mail.sh [--messages N] [--runs R] [--no-neomutt]
#        [--no-cachet] [--regen] [--keep-server]
# Everything lives in its own STACK_DIR (default /tmp/cachet-bench) with its own Dovecot on
# its own port (BENCH_IMAPS_PORT, default 12993): the shared test stack in /tmp/cachet-stack
# is never started, stopped or read. The generated mailbox is kept between runs with the same
# N (--regen makes it again); the bench's Dovecot is stopped at the end unless --keep-server.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
MESSAGES=100000
RUNS=3
NEOMUTT=1
CACHET=1
REGEN=0
KEEP=0
ARGS="$*"
while [ $# -gt 0 ]; do
  case "$1" in
    --messages) MESSAGES=$2; shift 2 ;;
    --runs) RUNS=$2; shift 2 ;;
    --no-neomutt) NEOMUTT=0; shift ;;
    --no-cachet) CACHET=0; shift ;;
    --regen) REGEN=1; shift ;;
    --keep-server) KEEP=1; shift ;;
    -h|--help) sed -n '2,20p' "$0"; exit 0 ;;
    *) echo "bench-mail: unknown option $1 (see --help)" >&2; exit 2 ;;
  esac
done

export STACK_DIR="${BENCH_DIR:-/tmp/cachet-bench}"
case "$STACK_DIR" in
  /tmp/cachet-stack|/tmp/cachet-stack/) echo "bench-mail: refusing to use the shared stack's directory" >&2; exit 2 ;;
esac
# common.sh takes these from the environment; only IMAPS is listened on, the others are set
# away from the shared stack's so that nothing here can ever name one of its ports.
export IMAPS_PORT="${BENCH_IMAPS_PORT:-12993}"
export IMAP_STARTTLS_PORT=12143 IMAPS_CERT_PORT=12994 IMAP_NOSTARTTLS_PORT=12144 LMTP_PORT=12024
# shellcheck source=../tests/stack/common.sh
. "$ROOT/tests/stack/common.sh"

USER_NAME="bench@$MAIL_DOMAIN"
USER_PASSWORD=bench-secret
D="$STACK_DIR/dovecot"
MAILROOT="$STACK_DIR/mail"
MAILDIR="$MAILROOT/$USER_NAME/Maildir"
RESULTS="$STACK_DIR/results"
PIDFILE="$PIDS/dovecot-bench.pid"
CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$ROOT/target}"
log() { echo "bench-mail: $*" >&2; }

LOAD0=$(cut -d' ' -f1 /proc/loadavg)

# ---- 1. what the bench needs, from apt -------------------------------------------------
need=()
command -v dovecot >/dev/null || need+=(dovecot-imapd)
command -v neomutt >/dev/null || need+=(neomutt)
command -v tmux >/dev/null || need+=(tmux)
command -v openssl >/dev/null || need+=(openssl)
command -v python3 >/dev/null || need+=(python3)
if [ ${#need[@]} -gt 0 ]; then
  log "installing ${need[*]}"
  DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends "${need[@]}" >/dev/null ||
    { apt-get update >/dev/null && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends "${need[@]}" >/dev/null; }
fi

# ---- 2. our own Dovecot ----------------------------------------------------------------
stop_server() {
  [ -f "$PIDFILE" ] || return 0
  local pid; pid=$(tr -dc '0-9' < "$PIDFILE")
  if is_alive "$pid"; then
    kill -TERM "$pid" 2>/dev/null || true
    wait_gone "$pid" 10 || { kill -KILL "$pid" 2>/dev/null || true; wait_gone "$pid" 5 || true; }
  fi
  rm -f "$PIDFILE"
}
stop_server
trap '[ "$KEEP" = 1 ] || stop_server' EXIT

"$ROOT/tests/stack/gen-certs.sh" >/dev/null
check_ports_free bench-dovecot "$IMAPS_PORT"
mkdir -p "$D" "$MAILROOT" "$RESULTS"
MAIL_UID=$(id -u nobody)
MAIL_GID=$(getent group nogroup | cut -d: -f3)
chown "$MAIL_UID:$MAIL_GID" "$MAILROOT"
echo "$USER_NAME:{PLAIN}$USER_PASSWORD::::::" > "$D/users"
chmod 0644 "$D/users"
cat > "$D/dovecot.conf" <<CONF
# scripts/bench-mail.sh: one private instance, implicit TLS only
instance_name = cachet-bench
base_dir = $D/run
state_dir = $D/state
log_path = $LOGS/dovecot-bench.log
listen = 127.0.0.1
protocols = imap
ssl = required
ssl_cert = <$PKI_DIR/server.crt
ssl_key = <$PKI_DIR/server.key
ssl_min_protocol = TLSv1.2
disable_plaintext_auth = yes
auth_mechanisms = plain login
auth_failure_delay = 0
mail_location = maildir:~/Maildir
mail_uid = $MAIL_UID
mail_gid = $MAIL_GID
first_valid_uid = $MAIL_UID
first_valid_gid = $MAIL_GID
mail_max_userip_connections = 50
namespace inbox {
  inbox = yes
  separator = /
}
passdb {
  driver = passwd-file
  args = scheme=PLAIN $D/users
}
userdb {
  driver = passwd-file
  args = $D/users
  default_fields = uid=$MAIL_UID gid=$MAIL_GID home=$MAILROOT/%u
}
service imap-login {
  inet_listener imap {
    port = 0
  }
  inet_listener imaps {
    address = 127.0.0.1
    port = $IMAPS_PORT
    ssl = yes
  }
}
CONF

# ---- 3. the mailbox --------------------------------------------------------------------
fresh=0
if [ "$REGEN" = 1 ] || [ "$(cat "$MAILROOT/.messages" 2>/dev/null)" != "$MESSAGES" ]; then
  rm -rf "${MAILROOT:?}/$USER_NAME" "$MAILROOT/.messages" "$MAILROOT/.setup"
  log "generating $MESSAGES messages"
  t=$(now)
  python3 "$ROOT/benches/mail/gen_maildir.py" --maildir "$MAILDIR" --messages "$MESSAGES" --to "$USER_NAME" >&2
  chown -R "$MAIL_UID:$MAIL_GID" "$MAILROOT/$USER_NAME"
  GEN_S=$(elapsed "$t")
  echo "$MESSAGES" > "$MAILROOT/.messages"
  fresh=1
fi
MAIL_MB=$(du -sm "$MAILDIR/cur" | cut -f1)

: > "$LOGS/dovecot-bench.log"
doveconf -c "$D/dovecot.conf" -n > "$LOGS/doveconf-bench.log" 2>&1 ||
  die "the bench's dovecot configuration is invalid" "$LOGS/doveconf-bench.log"
dovecot -c "$D/dovecot.conf" </dev/null >>"$LOGS/dovecot-bench.log" 2>&1 ||
  die "the bench's dovecot did not start" "$LOGS/dovecot-bench.log"
wait_port "$IMAPS_PORT" || die "the bench's dovecot is not listening on $IMAPS_PORT" "$LOGS/dovecot-bench.log"
cp "$D/run/master.pid" "$PIDFILE"

raw() { python3 "$ROOT/benches/mail/imap_raw.py" --port "$IMAPS_PORT" --ca "$PKI_DIR/ca.crt" \
          --user "$USER_NAME" --password "$USER_PASSWORD" "$@"; }
jget() { python3 -c 'import json,sys; print(json.loads(sys.stdin.readline())[sys.argv[1]])' "$1"; }

if [ "$fresh" = 1 ]; then
  log "Dovecot indexes the folder"
  t=$(now)
  doveadm -c "$D/dovecot.conf" index -u "$USER_NAME" INBOX
  INDEX_S=$(elapsed "$t")
  # The first ENVELOPE/BODYSTRUCTURE fetch of a folder parses every message and fills
  # Dovecot's cache; it is reported apart, and everything below runs with that cache warm.
  raw > "$RESULTS/raw-first.json"
  FIRST_FETCH_S=$(jget fetch_s < "$RESULTS/raw-first.json")
  printf 'GEN_S=%s\nINDEX_S=%s\nFIRST_FETCH_S=%s\n' "$GEN_S" "$INDEX_S" "$FIRST_FETCH_S" > "$MAILROOT/.setup"
else
  # the mailbox was made by an earlier run: its setup figures come from that run
  # shellcheck disable=SC1091
  [ -f "$MAILROOT/.setup" ] && . "$MAILROOT/.setup"
fi

# ---- 4. the server alone ----------------------------------------------------------------
log "raw FETCH x$RUNS"
: > "$RESULTS/raw.jsonl"
for _ in $(seq "$RUNS"); do raw >> "$RESULTS/raw.jsonl"; done
raw --batch 200 > "$RESULTS/raw-batch200.json"
raw --batch 1000 > "$RESULTS/raw-batch1000.json"

# ---- 5. neomutt ------------------------------------------------------------------------
NM="$STACK_DIR/neomutt"
neomutt_run() { # $1 = cold|warm, output file
  [ "$1" = cold ] && rm -rf "$NM/hcache" "$NM/bodies"
  mkdir -p "$NM/hcache" "$NM/bodies"
  python3 "$ROOT/benches/mail/tui.py" --socket cachet-bench-neomutt \
    --env "HOME=$NM" --home-key = --page-key NPage --count "$MESSAGES" \
    --cmd "neomutt -n -F $NM/muttrc" \
    --ready "BENCH $MESSAGES\b" --position '^->\s*(\d+)' --screen-out "$RESULTS/neomutt-$1.screen" >> "$2"
}
if [ "$NEOMUTT" = 1 ]; then
  mkdir -p "$NM"
  cat > "$NM/muttrc" <<RC
# scripts/bench-mail.sh: neomutt over IMAPS with its header cache, threaded
set imap_user="$USER_NAME"
set imap_pass="$USER_PASSWORD"
set folder="imaps://localhost:$IMAPS_PORT/"
set spoolfile="imaps://localhost:$IMAPS_PORT/INBOX"
set ssl_ca_certificates_file="$PKI_DIR/ca.crt"
set certificate_file="$NM/certificates"
set ssl_force_tls=yes
set header_cache="$NM/hcache/"
set message_cachedir="$NM/bodies/"
set sort=threads
set sort_aux=last-date-received
set status_format="BENCH %m"
set arrow_cursor=yes
set sleep_time=0
set mail_check_stats=no
set imap_check_subscribed=no
set imap_idle=no
set timeout=600
set mail_check=600
set quit=yes
set move=no
set beep=no
set record=""
set postponed="$NM/postponed"
set mbox="$NM/mbox"
RC
  log "neomutt: a first run fills Dovecot's cache with the header fields neomutt asks for"
  : > "$RESULTS/neomutt-warmup.jsonl"
  neomutt_run cold "$RESULTS/neomutt-warmup.jsonl"
  : > "$RESULTS/neomutt-cold.jsonl"; : > "$RESULTS/neomutt-warm.jsonl"
  for _ in $(seq "$RUNS"); do
    log "neomutt cold + warm"
    neomutt_run cold "$RESULTS/neomutt-cold.jsonl"
    neomutt_run warm "$RESULTS/neomutt-warm.jsonl"
  done
  NM_HCACHE_MB=$(du -sm "$NM/hcache" | cut -f1)
fi

# ---- 6. Cachet ---------------------------------------------------------------------------
# benches/mail_cache.rs (a cargo bench, release profile): `sync` then `open`, each its own
# process, so each peak RSS is its own. Built here; the build is not timed.
HAVE_CACHET=0
if [ "$CACHET" = 1 ]; then
  if [ ! -f "$ROOT/benches/mail_cache.rs" ]; then
    log "no benches/mail_cache.rs in this tree (the store-backed mail cache has not landed); Cachet's rows are left empty"
  else
    log "building the Cachet bench (release; not timed)"
    CACHET_BIN=$(cd "$ROOT" && CARGO_TARGET_DIR="$CARGO_TARGET_DIR" cargo bench --bench mail_cache --no-run \
        --message-format=json 2>"$RESULTS/cargo-build.log" | python3 -c '
import json, sys
for line in sys.stdin:
    m = json.loads(line)
    if m.get("reason") == "compiler-artifact" and m["target"]["name"] == "mail_cache" and m.get("executable"):
        print(m["executable"])') || true
    if [ -n "$CACHET_BIN" ] && [ -x "$CACHET_BIN" ]; then
      HAVE_CACHET=1
    else
      log "the Cachet bench did not build (see $RESULTS/cargo-build.log); its rows are left empty"
    fi
  fi
fi
if [ "$HAVE_CACHET" = 1 ]; then
  CS="$STACK_DIR/cachet"
  : > "$RESULTS/cachet-sync.jsonl"; : > "$RESULTS/cachet-open.jsonl"; : > "$RESULTS/cachet-resync.jsonl"
  bench_mail() { python3 "$ROOT/benches/mail/append.py" "$@" --port "$IMAPS_PORT" --ca "$PKI_DIR/ca.crt" \
    --user "$USER_NAME" --password "$USER_PASSWORD"; }
  for _ in $(seq "$RUNS"); do
    log "cachet cold sync + warm open"
    rm -rf "$CS"; mkdir -p "$CS"
    BENCH_PASSWORD="$USER_PASSWORD" "$CACHET_BIN" sync --store "$CS" \
      --host localhost --port "$IMAPS_PORT" --ca "$PKI_DIR/ca.crt" --user "$USER_NAME" \
      --password-env BENCH_PASSWORD >> "$RESULTS/cachet-sync.jsonl" ||
      die "the Cachet bench's sync failed"
    "$CACHET_BIN" open --store "$CS" --pages 50 >> "$RESULTS/cachet-open.jsonl" ||
      die "the Cachet bench's open failed"
    # New mail in the cached folder: 10 messages appended, the incremental sync of the
    # same profile, then the messages removed again (every run starts from the same folder).
    log "cachet warm sync of 10 new messages"
    bench_mail add 10 || die "appending the bench's new messages failed"
    BENCH_PASSWORD="$USER_PASSWORD" "$CACHET_BIN" sync --store "$CS" \
      --host localhost --port "$IMAPS_PORT" --ca "$PKI_DIR/ca.crt" --user "$USER_NAME" \
      --password-env BENCH_PASSWORD >> "$RESULTS/cachet-resync.jsonl" ||
      die "the Cachet bench's warm sync failed"
    bench_mail remove || die "removing the bench's new messages failed"
  done
  CACHET_STORE_MB=$(du -sm "$CS" | cut -f1)
fi

# ---- 7. the table ----------------------------------------------------------------------
machine="$(lscpu | sed -n 's/^Model name: *//p' | head -1), $(nproc) cores, $(free -g | awk '/^Mem/{print $2}') GiB RAM, $(. /etc/os-release; echo "$PRETTY_NAME"), Dovecot $(dovecot --version | cut -d' ' -f1)"
{
  echo
  echo "### $MESSAGES messages ($MAIL_MB MB of Maildir), medians of $RUNS runs (min–max)"
  echo
  echo "Machine: $machine, neomutt $(neomutt -v 2>/dev/null | head -1 | cut -d' ' -f2)."
  echo "Load average (1 min) at the start and the end of the run: $LOAD0 → $(cut -d' ' -f1 /proc/loadavg)."
  echo "Command: \`scripts/bench-mail.sh $ARGS\`"
  echo
  python3 "$ROOT/benches/mail/table.py" "$RESULTS" "GEN_S=${GEN_S:-}" "INDEX_S=${INDEX_S:-}" \
    "FIRST_FETCH_S=${FIRST_FETCH_S:-}" "NM_HCACHE_MB=${NM_HCACHE_MB:-}" "CACHET_STORE_MB=${CACHET_STORE_MB:-}"
  echo
  echo "Raw JSON of every run: $RESULTS/"
} | tee "$RESULTS/table.md"
