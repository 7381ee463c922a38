#!/usr/bin/env bash
# Stops everything the start-*.sh scripts started in $STACK_DIR, by the PIDs in $STACK_DIR/pids:
# dependents before what they depend on (FHIR, pcscd, Postfix, then the Dovecot instances),
# and for each daemon its child processes (noted before the signal) are waited for too, so no
# process of ours outlives the script. SIGTERM first, SIGKILL after 10 s. Idempotent: with
# nothing running it does nothing and succeeds. Never kills anything by name.
. "$(dirname "${BASH_SOURCE[0]}")/common.sh"
set +e

t0=$(now)
children_of() { ps -o pid= --ppid "$1" 2>/dev/null; }   # by parent PID, never by name

# stop_group NAME...: SIGTERM to every named daemon at once (a Dovecot master takes ~1 s to
# wind down, so waiting for each in turn would triple that), then wait for each and its children.
stop_group() {
  local name f pid kids k
  local -a names=() pids=() kidlists=()
  for name in "$@"; do
    f="$PIDS/$name.pid"
    [ -f "$f" ] || continue
    pid=$(tr -dc '0-9' < "$f")
    if is_alive "$pid"; then
      kids=$(children_of "$pid" | tr '\n' ' ')
      kill -TERM "$pid" 2>/dev/null
      names+=("$name"); pids+=("$pid"); kidlists+=("$kids")
    fi
    rm -f "$f"
  done
  local i
  for i in "${!pids[@]}"; do
    pid=${pids[$i]}
    if ! wait_gone "$pid" 10; then
      echo "stop: ${names[$i]} ($pid) ignored SIGTERM; sending SIGKILL" >&2
      kill -KILL "$pid" 2>/dev/null
      wait_gone "$pid" 5
    fi
    for k in ${kidlists[$i]}; do
      wait_gone "$k" 5 || { kill -KILL "$k" 2>/dev/null; wait_gone "$k" 2; }
    done
    echo "stop: ${names[$i]} ($pid) stopped"
  done
}

# dependents first: FHIR, pcscd and Postfix (a client of Dovecot's auth and LMTP), then Dovecot
stop_group fhir pcscd postfix
stop_group dovecot-plain dovecot-cert dovecot-pw
# anything else a script of ours recorded (a later start-*.sh) goes too
for f in "$PIDS"/*.pid; do [ -e "$f" ] && stop_group "$(basename "$f" .pid)"; done
rm -f "$STACK_DIR/pcsc/run/pcscd.comm" "$STACK_DIR/pcsc/run/pcscd.pid"
echo "stop: done in $(elapsed "$t0") s"
exit 0
