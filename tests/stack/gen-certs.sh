#!/usr/bin/env bash
# Makes the test PKI in $STACK_DIR/pki with openssl, all keys RSA-2048:
#   ca.crt ca.key                 the test CA every server certificate chains to
#   server.crt server.key         CN=localhost, SAN DNS:localhost, IP:127.0.0.1, IP:::1
#   client-alice.crt/.key         CN=alice@example.test, signed by the CA (Dovecot cert login)
#   rogue.crt/.key                self-signed (another CA), CN=810100000017: must be refused
# The Rust card simulator later adds card.crt/card.key (CN 810100000017) signed by ca.key.
#
# A complete PKI whose CA is valid for at least two more days is kept (the run is then
# instant); otherwise the whole folder is rebuilt, card.* included, since a new CA would make
# an old card certificate unverifiable. The new folder is built aside and swapped in whole.
. "$(dirname "${BASH_SOURCE[0]}")/common.sh"

complete=1
for f in ca.crt ca.key server.crt server.key client-alice.crt client-alice.key rogue.crt rogue.key; do
  [ -s "$PKI_DIR/$f" ] || complete=0
done
if [ "$complete" = 1 ] && openssl x509 -checkend 172800 -noout -in "$PKI_DIR/ca.crt" >/dev/null &&
   openssl verify -CAfile "$PKI_DIR/ca.crt" "$PKI_DIR/server.crt" >/dev/null 2>&1; then
  echo "gen-certs: keeping the PKI in $PKI_DIR"
  exit 0
fi

t0=$(now)
DAYS=30
work="$STACK_DIR/pki.new"
rm -rf "$work"; mkdir -p "$work"; chmod 0755 "$work"
cd "$work"
log="$LOGS/gen-certs.log"; : > "$log"
ossl() { openssl "$@" >>"$log" 2>&1 || die "openssl $1 failed while making the test PKI" "$log"; }

ossl req -x509 -newkey rsa:2048 -nodes -keyout ca.key -out ca.crt -days "$DAYS" \
  -subj "/O=Cachet Test/CN=Cachet Test CA" \
  -addext "basicConstraints=critical,CA:TRUE" -addext "keyUsage=critical,keyCertSign,cRLSign"

# leaf NAME SUBJECT EXTENSIONS: an RSA-2048 key and a CA-signed certificate
leaf() {
  local name=$1 subj=$2 ext=$3
  ossl req -newkey rsa:2048 -nodes -keyout "$name.key" -out "$name.csr" -subj "$subj"
  printf '%b' "$ext" > "$name.ext"
  ossl x509 -req -in "$name.csr" -CA ca.crt -CAkey ca.key -CAcreateserial -days "$DAYS" \
    -extfile "$name.ext" -out "$name.crt"
}
leaf server "/O=Cachet Test/CN=localhost" \
  'basicConstraints=CA:FALSE\nkeyUsage=critical,digitalSignature,keyEncipherment\nextendedKeyUsage=serverAuth\nsubjectAltName=DNS:localhost,IP:127.0.0.1,IP:::1\n'
# Dovecot's cert instance takes the IMAP user name from the CN (ssl_cert_username_field)
leaf client-alice "/O=Cachet Test/CN=$ALICE_USER" \
  "basicConstraints=CA:FALSE\nkeyUsage=critical,digitalSignature\nextendedKeyUsage=clientAuth\nsubjectAltName=email:$ALICE_USER\n"
# Another CA, and the card user's CN: an impersonation attempt that must fail.
ossl req -x509 -newkey rsa:2048 -nodes -keyout rogue.key -out rogue.crt -days "$DAYS" \
  -subj "/O=Rogue/CN=$CARD_USER" -addext "extendedKeyUsage=clientAuth"

rm -f ./*.csr ./*.ext ./*.srl
chmod 0644 ./*.crt; chmod 0600 ./*.key
cd "$STACK_DIR"
rm -rf "$PKI_DIR"; mv "$work" "$PKI_DIR"
echo "gen-certs: new PKI in $PKI_DIR in $(elapsed "$t0") s"
