#!/usr/bin/env bash
# Create a self-signed development certificate for https://localhost/:
#   DIR/dev.crt and DIR/dev.key (ECDSA P-256, CN=localhost,
#   subjectAltName DNS:localhost, IP:127.0.0.1, valid 825 days).
# Does nothing if both files already exist.
#
# Usage: scripts/dev-cert.sh DIR
#
# Trust it explicitly rather than with -k, e.g.:
#   curl --cacert DIR/dev.crt https://localhost:8443/
set -euo pipefail

if [ "$#" -ne 1 ] || [ -z "$1" ]; then
    echo "usage: $0 DIR" >&2
    exit 2
fi

dir=$1
crt="$dir/dev.crt"
key="$dir/dev.key"

if [ -s "$crt" ] && [ -s "$key" ]; then
    exit 0
fi

mkdir -p "$dir"
tmp=$(mktemp -d "$dir/.dev-cert.XXXXXX")
trap 'rm -rf "$tmp"' EXIT

umask 077
openssl req -x509 -new -nodes \
    -newkey ec -pkeyopt ec_paramgen_curve:P-256 \
    -keyout "$tmp/dev.key" -out "$tmp/dev.crt" \
    -days 825 -sha256 \
    -subj "/CN=localhost" \
    -addext "subjectAltName=DNS:localhost,IP:127.0.0.1" \
    -addext "extendedKeyUsage=serverAuth" \
    2>/dev/null
chmod 644 "$tmp/dev.crt"
chmod 600 "$tmp/dev.key"

# Key first, certificate last: a present dev.crt implies a matching dev.key.
mv -f "$tmp/dev.key" "$key"
mv -f "$tmp/dev.crt" "$crt"
echo "dev-cert.sh: wrote $crt and $key" >&2
