#!/usr/bin/env bash
# Starts the whole loopback stack in $STACK_DIR and writes $STACK_DIR/stack.env, the KEY=value
# file the tests read (its keys are the contract in docs/dev/test-stack.md).
#
# Order: stop and clear whatever a previous run left in the same $STACK_DIR (the PKI is kept
# while valid), the PKI, Dovecot, Postfix (needs Dovecot's LMTP and auth socket), pcscd, then
# the FHIR server when tests/stack/start-fhir.sh exists (it appends FHIR_URL to stack.env).
# Every wait is bounded. On any failure the failing script has printed the relevant log tail;
# everything already started is stopped again and the exit status is non-zero, so a caller
# never runs tests against half a stack. Safe to run twice in a row, from any directory.
. "$(dirname "${BASH_SOURCE[0]}")/common.sh"

t0=$(now)
"$STACK_SCRIPTS/stop.sh" >/dev/null
rm -rf "$STACK_DIR/dovecot" "$STACK_DIR/postfix" "$STACK_DIR/mail" "$STACK_DIR/pcsc" \
  "$STACK_DIR/stack.env" "$STACK_DIR"/fhir* "$STACK_DIR/pki.new"
rm -f "$LOGS"/*

started=0
on_exit() {
  local status=$?
  if [ "$started" = 0 ]; then
    echo "stack: start failed; stopping what was started" >&2
    "$STACK_SCRIPTS/stop.sh" >/dev/null
    [ "$status" -ne 0 ] || status=1
  fi
  exit "$status"
}
trap on_exit EXIT

"$STACK_SCRIPTS/gen-certs.sh"
"$STACK_SCRIPTS/start-dovecot.sh"
"$STACK_SCRIPTS/start-postfix.sh"
"$STACK_SCRIPTS/start-pcsc.sh"

env_file="$STACK_DIR/stack.env"
{
  cat <<ENV
# written by tests/stack/start-all.sh; keys: docs/dev/test-stack.md
STACK_DIR=$STACK_DIR
PKI_DIR=$PKI_DIR
CA_CERT=$PKI_DIR/ca.crt
ROGUE_CERT=$PKI_DIR/rogue.crt
ROGUE_KEY=$PKI_DIR/rogue.key
ALICE_CERT=$PKI_DIR/client-alice.crt
ALICE_KEY=$PKI_DIR/client-alice.key
IMAP_HOST=localhost
IMAPS_PORT=$IMAPS_PORT
IMAP_STARTTLS_PORT=$IMAP_STARTTLS_PORT
IMAP_STRICT_ADDR=$IMAP_STRICT_ADDR
IMAP_NOSTARTTLS_PORT=$IMAP_NOSTARTTLS_PORT
IMAPS_CERT_PORT=$IMAPS_CERT_PORT
SMTP_HOST=localhost
SMTP_SUBMISSION_PORT=$SMTP_SUBMISSION_PORT
SMTPS_PORT=$SMTPS_PORT
SMTP_SIZE_LIMIT=$SMTP_SIZE_LIMIT
ALICE_USER=$ALICE_USER
ALICE_PASSWORD=$ALICE_PASSWORD
BOB_USER=$BOB_USER
BOB_PASSWORD=$BOB_PASSWORD
CARD_USER=$CARD_USER
ENV
  cat "$STACK_DIR/pcsc/stack.env"
} > "$env_file.tmp"
mv "$env_file.tmp" "$env_file"

if [ -f "$STACK_SCRIPTS/start-fhir.sh" ]; then
  bash "$STACK_SCRIPTS/start-fhir.sh"
  grep -q '^FHIR_URL=' "$env_file" || die "start-fhir.sh did not write FHIR_URL to $env_file" "$LOGS/fhir.log"
fi
started=1
echo "stack: ready in $(elapsed "$t0") s; settings in $env_file"
