#!/usr/bin/env bash
# Installs, as root on Debian 12, every package the tests need: the mail servers, the PC/SC
# daemon with the vpcd virtual reader, the tools the stack scripts use, the C toolchain that
# ring and pcsc-sys build with, and Node.js for the FHIR test server when `node` is missing.
#
# Idempotent and non-interactive: when dpkg-query says everything is installed it returns at
# once; otherwise package scripts are forbidden to start system daemons (a policy-rc.d that
# exits 101, for the duration of the install when the machine had none) and debconf is
# preseeded so postfix asks nothing and writes no config. Nothing else in /etc is touched. LDAP (slapd) is deliberately absent: the project does not use it.
set -euo pipefail

PKGS=(
  # mail: IMAP + LMTP server, MTA, an SMTP test client and its TLS module
  dovecot-imapd dovecot-lmtpd postfix swaks libnet-ssleay-perl
  # smart card: daemon, vpcd virtual reader driver, client library headers, pcsc_scan
  pcscd vsmartcard-vpcd libpcsclite-dev pcsc-tools
  tmux
  # opening the AES-256 protected attachment archives as a recipient would (7zz)
  7zip
  # building the crate (ring, pcsc-sys) and the scripts' own tools
  gcc libc6-dev pkg-config openssl ca-certificates iproute2 curl util-linux bsdutils procps
)
command -v node >/dev/null 2>&1 || PKGS+=(nodejs npm)

missing=()
for p in "${PKGS[@]}"; do
  status=$(dpkg-query -W -f='${db:Status-Status}' "$p" 2>/dev/null || true)
  [ "$status" = installed ] || missing+=("$p")
done
if [ ${#missing[@]} -eq 0 ]; then
  echo "install-deps: all ${#PKGS[@]} packages already installed"
  exit 0
fi

if [ "$(id -u)" -ne 0 ]; then
  echo "install-deps: missing packages (${missing[*]}); run this script as root to install them" >&2
  exit 1
fi

t0=$(date +%s.%N)
export DEBIAN_FRONTEND=noninteractive
# Package scripts must never start the system-wide daemons (dovecot/postfix/pcscd on their
# default ports with /etc configs); Docker-style images already ship this file.
# Ours is removed afterwards, so later installs on a developer's machine behave as usual.
if [ ! -e /usr/sbin/policy-rc.d ]; then
  printf '#!/bin/sh\nexit 101\n' > /usr/sbin/policy-rc.d
  chmod 755 /usr/sbin/policy-rc.d
  trap 'rm -f /usr/sbin/policy-rc.d' EXIT
fi
debconf-set-selections <<'SEL'
postfix postfix/main_mailer_type select No configuration
SEL
echo "install-deps: installing ${missing[*]}"
timeout 600 apt-get update -qq
timeout 1200 apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
echo "install-deps: done in $(awk -v a="$t0" -v b="$(date +%s.%N)" 'BEGIN{printf "%.1f", b-a}') s"
