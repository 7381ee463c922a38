#!/usr/bin/env bash
# Three Dovecot 2.3 instances from private configs under $STACK_DIR/dovecot, one Maildir tree:
#   pw     IMAPS_PORT (implicit TLS) and IMAP_STARTTLS_PORT (STARTTLS), PLAIN/LOGIN against a
#          passwd-file; LMTP on LMTP_PORT for Postfix; the auth socket Postfix uses for SASL.
#          Dovecot treats a peer whose address equals the local one as secure, so on 127.0.0.1
#          it allows LOGIN before STARTTLS; the STARTTLS port therefore also listens on
#          IMAP_STRICT_ADDR (127.0.0.2), where LOGINDISABLED is advertised and enforced.
#   cert   IMAPS_CERT_PORT: a client certificate from the test CA is required, the user name is
#          the certificate CN, AUTHENTICATE EXTERNAL. Users: alice, bob and the card user, whose
#          mailbox is alice's (the simulated card belongs to Alice Martin).
#   plain  IMAP_NOSTARTTLS_PORT: ssl = no, so no STARTTLS is ever offered, and it accepts a
#          plaintext LOGIN; a client that does not refuse this port would leak the password,
#          which is what the tests must prove does not happen.
# Two instances for TLS because auth_ssl_require_client_cert and auth_mechanisms are global and
# local{} filters cannot tell ports apart. Each master daemonizes; its PID goes to pids/.
. "$(dirname "${BASH_SOURCE[0]}")/common.sh"

t0=$(now)
"$STACK_SCRIPTS/gen-certs.sh" >/dev/null
check_ports_free dovecot "$IMAPS_PORT" "$IMAP_STARTTLS_PORT" "$IMAPS_CERT_PORT" "$IMAP_NOSTARTTLS_PORT" "$LMTP_PORT"

D="$STACK_DIR/dovecot"
MAIL="$STACK_DIR/mail"
mkdir -p "$D" "$MAIL"
# Dovecot refuses uid 0 for mail access: mail belongs to nobody:nogroup.
MAIL_UID=$(id -u nobody)
MAIL_GID=$(getent group nogroup | cut -d: -f3)
chown "$MAIL_UID:$MAIL_GID" "$MAIL"

# passwd-file fields: user:password:uid:gid:gecos:home:shell:extra (uid/gid/home defaulted below)
cat > "$D/users" <<USERS
$ALICE_USER:{PLAIN}$ALICE_PASSWORD::::::
$BOB_USER:{PLAIN}$BOB_PASSWORD::::::
USERS
# the cert instance's user database: no passwords (the verified certificate is the credential)
cat > "$D/users-cert" <<USERS
$ALICE_USER:::::::
$BOB_USER:::::::
$CARD_USER:::::$MAIL/$ALICE_USER::
USERS
chmod 0644 "$D/users" "$D/users-cert"   # read by the auth process, which runs as "dovecot"

common_conf() { # $1 = instance name
  cat <<CONF
instance_name = cachet-$1
base_dir = $D/$1/run
state_dir = $D/$1/state
log_path = $LOGS/dovecot-$1.log
listen = 127.0.0.1
ssl_cert = <$PKI_DIR/server.crt
ssl_key = <$PKI_DIR/server.key
ssl_min_protocol = TLSv1.2
# tests: no 2 s delay after a failed login, and no anvil per-IP penalty, which would slow
# every later login and SMTP AUTH from 127.0.0.1 by 2-15 s after a wrong-password test
auth_failure_delay = 0
service anvil {
  unix_listener anvil-auth-penalty {
    mode = 0
  }
}
mail_location = maildir:~/Maildir
mail_uid = $MAIL_UID
mail_gid = $MAIL_GID
first_valid_uid = $MAIL_UID
first_valid_gid = $MAIL_GID
namespace inbox {
  inbox = yes
  separator = /
  mailbox Drafts {
    special_use = \\Drafts
    auto = subscribe
  }
  mailbox Sent {
    special_use = \\Sent
    auto = subscribe
  }
  mailbox Trash {
    special_use = \\Trash
    auto = subscribe
  }
  mailbox Archive {
    special_use = \\Archive
    auto = subscribe
  }
  mailbox Junk {
    special_use = \\Junk
    auto = subscribe
  }
}
CONF
}

{ common_conf pw; cat <<CONF
protocols = imap lmtp
ssl = required
disable_plaintext_auth = yes
auth_mechanisms = plain login
passdb {
  driver = passwd-file
  args = scheme=PLAIN $D/users
}
userdb {
  driver = passwd-file
  args = $D/users
  default_fields = uid=$MAIL_UID gid=$MAIL_GID home=$MAIL/%u
}
service imap-login {
  # also on $IMAP_STRICT_ADDR: there the peer address (127.0.0.1) differs from the local one,
  # so Dovecot does not count the connection as local-and-secure and enforces LOGINDISABLED
  inet_listener imap {
    address = 127.0.0.1 $IMAP_STRICT_ADDR
    port = $IMAP_STARTTLS_PORT
  }
  inet_listener imaps {
    address = 127.0.0.1
    port = $IMAPS_PORT
    ssl = yes
  }
}
service lmtp {
  unix_listener lmtp {
    mode = 0600
  }
  inet_listener lmtp {
    address = 127.0.0.1
    port = $LMTP_PORT
  }
}
# SASL for Postfix (smtpd_sasl_type = dovecot, smtpd_sasl_path = this socket)
service auth {
  unix_listener auth-client {
    mode = 0666
  }
}
protocol lmtp {
  postmaster_address = postmaster@$MAIL_DOMAIN
}
CONF
} > "$D/pw.conf"

{ common_conf cert; cat <<CONF
protocols = imap
ssl = required
disable_plaintext_auth = yes
ssl_ca = <$PKI_DIR/ca.crt
ssl_verify_client_cert = yes
# default yes: with no CRL published for the test CA every client certificate would be refused
ssl_require_crl = no
ssl_cert_username_field = commonName
auth_ssl_require_client_cert = yes
auth_ssl_username_from_cert = yes
auth_mechanisms = external
passdb {
  driver = static
  args = nopassword=y
}
userdb {
  driver = passwd-file
  args = $D/users-cert
  default_fields = uid=$MAIL_UID gid=$MAIL_GID home=$MAIL/%u
}
service imap-login {
  inet_listener imap {
    port = 0
  }
  inet_listener imaps {
    address = 127.0.0.1
    port = $IMAPS_CERT_PORT
    ssl = yes
  }
}
CONF
} > "$D/cert.conf"

{ common_conf plain | grep -v '^ssl_'; cat <<CONF
protocols = imap
ssl = no
disable_plaintext_auth = no
auth_mechanisms = plain login
passdb {
  driver = passwd-file
  args = scheme=PLAIN $D/users
}
userdb {
  driver = passwd-file
  args = $D/users
  default_fields = uid=$MAIL_UID gid=$MAIL_GID home=$MAIL/%u
}
service imap-login {
  inet_listener imap {
    address = 127.0.0.1
    port = $IMAP_NOSTARTTLS_PORT
  }
  inet_listener imaps {
    port = 0
  }
}
CONF
} > "$D/plain.conf"

for inst in pw cert plain; do
  mkdir -p "$D/$inst"
  doveconf -c "$D/$inst.conf" -n >"$LOGS/doveconf-$inst.log" 2>&1 ||
    die "the dovecot $inst configuration is invalid" "$LOGS/doveconf-$inst.log"
  : > "$LOGS/dovecot-$inst.log"
  dovecot -c "$D/$inst.conf" </dev/null >>"$LOGS/dovecot-$inst.log" 2>&1 ||
    die "dovecot $inst did not start" "$LOGS/dovecot-$inst.log"
done
for p in "$IMAPS_PORT:pw" "$IMAP_STARTTLS_PORT:pw" "$LMTP_PORT:pw" "$IMAPS_CERT_PORT:cert" "$IMAP_NOSTARTTLS_PORT:plain"; do
  wait_port "${p%%:*}" || die "dovecot ${p#*:} is not listening on ${p%%:*} after ${STACK_WAIT}s" "$LOGS/dovecot-${p#*:}.log"
done
for inst in pw cert plain; do
  cp "$D/$inst/run/master.pid" "$PIDS/dovecot-$inst.pid"
done
[ -S "$D/pw/run/auth-client" ] || die "dovecot pw did not create its auth socket" "$LOGS/dovecot-pw.log"
echo "dovecot: 3 instances ready in $(elapsed "$t0") s (pids $(cat "$PIDS"/dovecot-*.pid | tr '\n' ' '))"
