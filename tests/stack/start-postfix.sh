#!/usr/bin/env bash
# Postfix 3.7 from a private config dir ($STACK_DIR/postfix/etc) with a private queue:
#   SMTP_SUBMISSION_PORT  submission: STARTTLS required before AUTH, AUTH PLAIN/LOGIN via Dovecot
#   SMTPS_PORT            submissions: implicit TLS, same AUTH
# Accepted mail for @example.test goes by LMTP to Dovecot (LMTP_PORT); every other destination
# is refused at RCPT time by the error transport, so nothing can leave the machine.
# message_size_limit is SMTP_SIZE_LIMIT (advertised as EHLO SIZE). Needs start-dovecot.sh first.
. "$(dirname "${BASH_SOURCE[0]}")/common.sh"

t0=$(now)
check_ports_free postfix "$SMTP_SUBMISSION_PORT" "$SMTPS_PORT"
P="$STACK_DIR/postfix"
mkdir -p "$P/etc" "$P/spool" "$P/data"
AUTH_SOCK="$STACK_DIR/dovecot/pw/run/auth-client"
[ -S "$AUTH_SOCK" ] || die "postfix needs Dovecot's auth socket $AUTH_SOCK: run start-dovecot.sh first"
chown postfix "$P/data"   # data_directory must belong to mail_owner
LOG="$LOGS/postfix.log"

# existing recipients (texthash: read as plain text, no postmap run needed)
printf '%s OK\n%s OK\n' "$ALICE_USER" "$BOB_USER" > "$P/etc/vmailbox"

cat > "$P/etc/main.cf" <<CONF
compatibility_level = 3.6
queue_directory = $P/spool
data_directory = $P/data
mail_owner = postfix
setgid_group = postdrop
# no syslog here: log to a file through postlogd (needs the postlog line in master.cf)
maillog_file = $LOG
maillog_file_prefixes = $STACK_DIR
myhostname = mail.$MAIL_DOMAIN
mydomain = $MAIL_DOMAIN
myorigin = \$mydomain
mydestination =
inet_interfaces = 127.0.0.1
inet_protocols = ipv4
mynetworks = 127.0.0.0/8
smtpd_peername_lookup = no
smtp_dns_support_level = disabled
lmtp_dns_support_level = disabled
alias_maps =
alias_database =
local_recipient_maps =
biff = no
message_size_limit = $SMTP_SIZE_LIMIT
# the only deliverable destination: the test domain, through Dovecot LMTP
virtual_mailbox_domains = $MAIL_DOMAIN
virtual_mailbox_maps = texthash:$P/etc/vmailbox
virtual_mailbox_limit = 0
virtual_transport = lmtp:inet:127.0.0.1:$LMTP_PORT
relay_domains =
relayhost =
default_transport = error:external delivery disabled in test stack
relay_transport = error:external delivery disabled in test stack
smtpd_tls_cert_file = $PKI_DIR/server.crt
smtpd_tls_key_file = $PKI_DIR/server.key
smtpd_tls_security_level = may
smtpd_tls_mandatory_protocols = >=TLSv1.2
smtpd_tls_protocols = >=TLSv1.2
smtpd_tls_loglevel = 1
smtpd_tls_received_header = yes
smtpd_sasl_type = dovecot
smtpd_sasl_path = $AUTH_SOCK
smtpd_sasl_auth_enable = no
smtpd_relay_restrictions = permit_mynetworks, permit_sasl_authenticated, reject_unauth_destination
CONF

# chroot is off everywhere: a private chroot would need /etc files and the SASL socket inside it
cat > "$P/etc/master.cf" <<CONF
127.0.0.1:$SMTP_SUBMISSION_PORT inet n - n - - smtpd
  -o syslog_name=postfix/submission
  -o smtpd_tls_security_level=encrypt
  -o smtpd_sasl_auth_enable=yes
  -o smtpd_tls_auth_only=yes
  -o smtpd_client_restrictions=permit_sasl_authenticated,reject
  -o smtpd_relay_restrictions=permit_sasl_authenticated,reject
127.0.0.1:$SMTPS_PORT inet n - n - - smtpd
  -o syslog_name=postfix/submissions
  -o smtpd_tls_wrappermode=yes
  -o smtpd_sasl_auth_enable=yes
  -o smtpd_client_restrictions=permit_sasl_authenticated,reject
  -o smtpd_relay_restrictions=permit_sasl_authenticated,reject
pickup    unix  n       -       n       60      1       pickup
cleanup   unix  n       -       n       -       0       cleanup
qmgr      unix  n       -       n       300     1       qmgr
tlsmgr    unix  -       -       n       1000?   1       tlsmgr
rewrite   unix  -       -       n       -       -       trivial-rewrite
bounce    unix  -       -       n       -       0       bounce
defer     unix  -       -       n       -       0       bounce
trace     unix  -       -       n       -       0       bounce
verify    unix  -       -       n       -       1       verify
flush     unix  n       -       n       1000?   0       flush
proxymap  unix  -       -       n       -       -       proxymap
proxywrite unix -       -       n       -       1       proxymap
smtp      unix  -       -       n       -       -       smtp
relay     unix  -       -       n       -       -       smtp
showq     unix  n       -       n       -       -       showq
error     unix  -       -       n       -       -       error
retry     unix  -       -       n       -       -       error
discard   unix  -       -       n       -       -       discard
lmtp      unix  -       -       n       -       -       lmtp
anvil     unix  -       -       n       -       1       anvil
scache    unix  -       -       n       -       1       scache
postlog   unix-dgram n  -       n       -       1       postlogd
CONF

# Postfix commands stall ~2 s when main.cf/master.cf changed in the last ~2 s; back-date them.
touch -d '-10 seconds' "$P/etc/main.cf" "$P/etc/master.cf" "$P/etc/vmailbox"
# Errors raised before postlogd runs go to syslog, which does not exist here; on failure,
# "postfix check" under a pseudo-terminal shows them.
if ! timeout "$STACK_WAIT" postfix -c "$P/etc" start </dev/null >>"$LOG" 2>&1; then
  timeout 10 script -qc "postfix -c '$P/etc' check" /dev/null >>"$LOG" 2>&1 || true
  die "postfix did not start" "$LOG"
fi
for p in "$SMTP_SUBMISSION_PORT" "$SMTPS_PORT"; do
  wait_port "$p" || die "postfix is not listening on $p after ${STACK_WAIT}s" "$LOG"
done
tr -d ' ' < "$P/spool/pid/master.pid" > "$PIDS/postfix.pid"
echo "postfix: ready in $(elapsed "$t0") s (master pid $(cat "$PIDS/postfix.pid"))"
