#!/usr/bin/env bash
# pcscd in the foreground as our child, with a private reader.conf.d holding only the vsmartcard
# vpcd driver: two virtual readers ("Virtual PCD 00 00" and "... 00 01") whose vpcd driver
# listens on VPCD_PORT and VPCD_PORT + 1 for a card to connect (connect = insert, close =
# remove). No card is started here: the project's Rust simulator connects to vpcd itself.
#
# pcscd's socket path is compiled in (/run/pcscd/pcscd.comm), so a machine has one pcscd. When
# another pcscd already owns it (a developer's other stack), ours runs in a private mount
# namespace where $STACK_DIR/pcsc/run is bind-mounted on /run/pcscd, and clients reach it
# through PCSCLITE_CSOCK_NAME, which libpcsclite honours; the vpcd ports then move to the
# next free pair unless VPCD_PORT was given. The socket in use and the ports are written to
# $STACK_DIR/pcsc/stack.env for start-all.sh. Ready means pcsc_scan lists our reader.
. "$(dirname "${BASH_SOURCE[0]}")/common.sh"

t0=$(now)
P="$STACK_DIR/pcsc"
mkdir -p "$P/reader.conf.d" "$P/run"
LOG="$LOGS/pcscd.log"

# The system socket is free when absent, or when left behind by a pcscd that died (its PID file
# names a dead process: pcscd then cleans up itself). Anything else, including a socket held by
# systemd's socket activation with no pcscd yet, belongs to someone else.
system_socket_free() {
  [ -e /run/pcscd/pcscd.comm ] || return 0
  [ -f /run/pcscd/pcscd.pid ] || return 1
  ! is_alive "$(tr -dc '0-9' < /run/pcscd/pcscd.pid)"
}

private=${PCSC_PRIVATE:-auto}
if [ "$private" = auto ]; then
  if system_socket_free; then
    private=0
  else
    echo "pcsc: /run/pcscd is in use by another pcscd; starting ours in a private mount namespace"
    private=1
  fi
fi

if port_busy "$VPCD_PORT" || port_busy $((VPCD_PORT + 1)); then
  [ -z "$VPCD_PORT_GIVEN" ] || check_ports_free vpcd "$VPCD_PORT" $((VPCD_PORT + 1))
  for p in $(seq $((VPCD_PORT + 2)) 2 $((VPCD_PORT + 200))); do
    if ! port_busy "$p" && ! port_busy $((p + 1)); then VPCD_PORT=$p; break; fi
  done
  check_ports_free vpcd "$VPCD_PORT" $((VPCD_PORT + 1))
fi

# DEVICENAME /dev/null:PORT = vpcd LISTENS on PORT (slot 0) and PORT + 1 (slot 1). One entry
# only: two entries for the same driver share its per-slot state.
cat > "$P/reader.conf.d/vpcd" <<CONF
FRIENDLYNAME "Virtual PCD"
DEVICENAME   /dev/null:$(printf '0x%X' "$VPCD_PORT")
LIBPATH      /usr/lib/pcsc/drivers/serial/libifdvpcd.so
CHANNELID    $(printf '0x%X' "$VPCD_PORT")
CONF
[ -f /usr/lib/pcsc/drivers/serial/libifdvpcd.so ] ||
  die "the vpcd driver is missing (install vsmartcard-vpcd: tests/stack/install-deps.sh)"

flags=(--foreground --config "$P/reader.conf.d")   # --config must be absolute: pcscd chdirs to /
if [ "${PCSCD_DEBUG:-0}" = 1 ]; then flags+=(--debug --apdu); else flags+=(--info); fi
# pcsc-lite >= 2.0 may be built with polkit, and no polkitd runs in CI: every client would be refused
pcscd --help 2>&1 | grep -q -- '--disable-polkit' && flags+=(--disable-polkit)

: > "$LOG"
if [ "$private" = 1 ]; then
  SOCK="$P/run/pcscd.comm"
  rm -f "$P/run/pcscd.comm" "$P/run/pcscd.pid"
  mkdir -p /run/pcscd
  # unshare and sh both exec, so $! is pcscd's own PID
  command -v unshare >/dev/null || die "another pcscd owns /run/pcscd and unshare (util-linux) is missing; stop that pcscd or install util-linux"
  # needs CAP_SYS_ADMIN; if denied, the error lands in the log that die() shows below
  unshare --mount --propagation private sh -c 'mount --bind "$1" /run/pcscd && shift && exec pcscd "$@"' \
    sh "$P/run" "${flags[@]}" </dev/null >>"$LOG" 2>&1 &
else
  SOCK=/run/pcscd/pcscd.comm
  pcscd "${flags[@]}" </dev/null >>"$LOG" 2>&1 &
fi
pid=$!
echo "$pid" > "$PIDS/pcscd.pid"
export PCSCLITE_CSOCK_NAME="$SOCK"

i=0
until [ -S "$SOCK" ] && port_busy "$VPCD_PORT" && port_busy $((VPCD_PORT + 1)); do
  is_alive "$pid" || die "pcscd exited during start-up" "$LOG"
  i=$((i + 1)); [ "$i" -le $((STACK_WAIT * 20)) ] || die "pcscd not ready after ${STACK_WAIT}s" "$LOG"
  sleep 0.05
done
i=0
until timeout 5 pcsc_scan -r 2>/dev/null | grep -q 'Virtual PCD 00 00'; do
  i=$((i + 1)); [ "$i" -le $((STACK_WAIT * 5)) ] || die "pcscd lists no vpcd reader after ${STACK_WAIT}s" "$LOG"
  sleep 0.2
done

cat > "$P/stack.env" <<ENV
VPCD_PORT=$VPCD_PORT
VPCD_PORT_2=$((VPCD_PORT + 1))
PCSCLITE_CSOCK_NAME=$SOCK
ENV
echo "pcsc: pcscd ready in $(elapsed "$t0") s (pid $pid, vpcd $VPCD_PORT/$((VPCD_PORT + 1)), socket $SOCK)"
