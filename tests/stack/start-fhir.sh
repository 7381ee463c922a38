#!/usr/bin/env bash
# Starts the FHIR R4 test server (Medplum FhirRouter on an in-memory repository, see
# tests/servers/fhir/) on 127.0.0.1 with Annuaire-Santé-like seed data, then appends
# FHIR_URL and FHIR_API_KEY to $STACK_DIR/stack.env and writes $STACK_DIR/pids/fhir.pid
# (stop.sh kills by PID file). Contract: docs/dev/test-stack.md.
set -euo pipefail
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
SERVER_DIR="$HERE/../servers/fhir"
: "${STACK_DIR:=/tmp/cachet-stack}"
: "${FHIR_PORT:=0}"                 # 0: the server picks a free port and reports it
: "${FHIR_API_KEY:=cachet-test-api-key}"
: "${FHIR_READY_TIMEOUT:=60}"
mkdir -p "$STACK_DIR/pids" "$STACK_DIR/log"

# Install only when node_modules is missing or older than the lock file.
stamp="$SERVER_DIR/node_modules/.package-lock.json"
if [ ! -f "$stamp" ] || [ "$SERVER_DIR/package-lock.json" -nt "$stamp" ]; then
  (cd "$SERVER_DIR" && timeout 300 npm ci --no-audit --no-fund --loglevel=error)
fi

# A server left by a previous run of this script is ours to stop (by its PID file).
pidfile="$STACK_DIR/pids/fhir.pid"
if [ -f "$pidfile" ]; then
  old=$(tr -d ' \n' < "$pidfile")
  if [ -n "$old" ] && kill -0 "$old" 2>/dev/null; then kill "$old" 2>/dev/null || true; sleep 0.5; fi
  rm -f "$pidfile"
fi

seed="$STACK_DIR/fhir-seed.json"
node "$SERVER_DIR/seed.cjs" "$seed" >/dev/null
portfile="$STACK_DIR/fhir.port"
rm -f "$portfile"
FHIR_HOST=127.0.0.1 FHIR_PORT="$FHIR_PORT" FHIR_PREFIX=/fhir/R4 FHIR_SEED="$seed" \
FHIR_PORT_FILE="$portfile" FHIR_API_KEY="$FHIR_API_KEY" \
  nohup node "$SERVER_DIR/server.cjs" >"$STACK_DIR/log/fhir.log" 2>&1 &
pid=$!
echo "$pid" > "$pidfile"

# Bounded readiness wait: the port file appears once seeded and listening.
deadline=$((SECONDS + FHIR_READY_TIMEOUT))
until [ -s "$portfile" ]; do
  if ! kill -0 "$pid" 2>/dev/null; then echo "FHIR server exited; see $STACK_DIR/log/fhir.log" >&2; tail -5 "$STACK_DIR/log/fhir.log" >&2; exit 1; fi
  if [ $SECONDS -ge $deadline ]; then echo "FHIR server not ready after ${FHIR_READY_TIMEOUT}s" >&2; kill "$pid"; exit 1; fi
  sleep 0.1
done
port=$(cat "$portfile")
url="http://127.0.0.1:$port/fhir/R4"
curl -fsS --max-time 10 "$url/metadata" -o /dev/null

env_file="$STACK_DIR/stack.env"
touch "$env_file"
sed -i '/^FHIR_URL=/d;/^FHIR_API_KEY=/d' "$env_file"
printf 'FHIR_URL=%s\nFHIR_API_KEY=%s\n' "$url" "$FHIR_API_KEY" >> "$env_file"
echo "FHIR server ready at $url (pid $pid)"
