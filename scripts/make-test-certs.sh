#!/bin/sh
# Makes a throwaway certificate authority and certificates for testing TLS, with openssl.
set -eu

usage() {
  cat <<'EOF'
usage: scripts/make-test-certs.sh DIR [HOST...]

Makes, in DIR (created if missing), with fresh P-256 keys:
  ca.pem, ca.key                  a certificate authority to trust (get-poetry --ca DIR/ca.pem)
  server.pem, server.key          for localhost, 127.0.0.1, ::1 and each HOST, signed by the CA
                                  (poetry-server --tls-cert DIR/server.pem --tls-key DIR/server.key)
  expired.pem, expired.key        as server.pem, but expired yesterday
  other-name.pem, other-name.key  signed by the CA for other.invalid only (a wrong host)
  self-signed.pem, self-signed.key  for localhost and 127.0.0.1, signed by itself

For tests only: the keys are written unencrypted, and the CA signs whatever this script asks.
EOF
}

if [ "$#" -lt 1 ] || [ "$1" = "-h" ] || [ "$1" = "--help" ]; then
  usage
  [ "$#" -ge 1 ] && exit 0
  exit 2
fi
command -v openssl >/dev/null 2>&1 || {
  echo "make-test-certs: openssl not found (install the openssl package)" >&2
  exit 1
}

dir=$1
shift
mkdir -p "$dir"
cd "$dir"

names="DNS:localhost,IP:127.0.0.1,IP:::1"
for host in "$@"; do
  case $host in
    *[!0-9.]*) case $host in *:*) names="$names,IP:$host" ;; *) names="$names,DNS:$host" ;; esac ;;
    *) names="$names,IP:$host" ;;
  esac
done

key() {
  openssl ecparam -name prime256v1 -genkey -noout -out "$1.key" 2>/dev/null
}

# A certificate for $1 (file stem) with subject $2 and subjectAltName $3, signed by the CA for $4 days.
signed() {
  key "$1"
  printf 'subjectAltName=%s\nbasicConstraints=CA:FALSE\nextendedKeyUsage=serverAuth\n' "$3" >"$1.ext"
  openssl req -new -key "$1.key" -subj "$2" -out "$1.csr" 2>/dev/null
  openssl x509 -req -in "$1.csr" -CA ca.pem -CAkey ca.key -CAcreateserial -days "$4" \
    -extfile "$1.ext" -out "$1.pem" 2>/dev/null
  rm -f "$1.csr" "$1.ext"
}

key ca
openssl req -new -x509 -key ca.key -subj "/CN=Poetry Now test CA" -days 30 \
  -addext basicConstraints=critical,CA:TRUE -addext keyUsage=critical,keyCertSign,cRLSign \
  -out ca.pem 2>/dev/null

signed server "/CN=localhost" "$names" 30
signed other-name "/CN=other.invalid" "DNS:other.invalid" 30

# Expired: valid until a day before it was made. OpenSSL before 3.4 takes a negative -days;
# later ones take explicit dates instead.
signed expired "/CN=localhost" "$names" -1 2>/dev/null || true
if [ ! -s expired.pem ] || openssl x509 -in expired.pem -noout -checkend 0 >/dev/null 2>&1; then
  key expired
  printf 'subjectAltName=%s\n' "$names" >expired.ext
  openssl req -new -key expired.key -subj "/CN=localhost" -out expired.csr 2>/dev/null
  openssl x509 -req -in expired.csr -CA ca.pem -CAkey ca.key -CAcreateserial \
    -not_before 20200101000000Z -not_after 20200102000000Z -extfile expired.ext \
    -out expired.pem 2>/dev/null
  rm -f expired.csr expired.ext
fi

key self-signed
openssl req -new -x509 -key self-signed.key -subj "/CN=localhost" -days 30 \
  -addext "subjectAltName=DNS:localhost,IP:127.0.0.1,IP:::1" -out self-signed.pem 2>/dev/null

rm -f ca.srl
