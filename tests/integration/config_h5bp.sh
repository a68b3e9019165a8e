#!/usr/bin/env bash
# h5bp's server-configs-nginx (tests/data/h5bp, MIT, see its LICENSE.txt),
# its example.com template with every optional snippet enabled, as a user
# moving from nginx would run it: only the paths (certificate, logs, root,
# pid) and the port point into the test's directory. ktlsd -t accepts it,
# and the site answers with h5bp's headers (security headers, charset,
# cache policy by type) as nginx does.
# shellcheck source=../lib.sh disable=SC2016
. "${SRCDIR:-$(cd "$(dirname "$0")/../.." && pwd)}/tests/lib.sh"

H=$T/h5bp
cp -r "$SRCDIR/tests/data/h5bp" "$H"
chmod -R u+w "$H"
gen_cert "$CERT" "$KEY" example.com
PORT=$(free_port) || finish
mkdir -p "$H/www" "$H/logs"
printf '<!doctype html><title>h5bp</title>\n' >"$H/www/index.html"
printf 'body{}\n' >"$H/www/style.css"
cp "$H/conf.d/templates/example.com.conf" "$H/conf.d/"
sed -i "s|/var/log/nginx/|$H/logs/|; s|/var/run/nginx.pid|$H/nginx.pid|; s|^user www-data;|# user|" "$H/nginx.conf"
sed -i "s|/etc/nginx/certs/default.crt|$CERT|; s|/etc/nginx/certs/default.key|$KEY|" "$H/h5bp/tls/certificate_files.conf"
sed -i "s|/var/www/example.com/public|$H/www|; s|listen 443 ssl http2;|listen 127.0.0.1:$PORT ssl http2;|; s|listen \[::\]:443 ssl http2;||" "$H/conf.d/example.com.conf"
sed -i "s|listen \[::\]:80 default_server;||; s|listen 80 default_server;|listen 127.0.0.1:$(free_port) default_server;|" "$H/conf.d/no-ssl.default.conf"
sed -i '/^ *listen \[::\]:80;/d; s|^ *listen 80;|  listen 127.0.0.1:'"$(free_port)"';|' "$H/conf.d/example.com.conf"
# every optional snippet h5bp ships (tests/data/h5bp_snippets.txt), in the HTTPS server
h5bp_all_snippets "$H/conf.d/example.com.conf"
OUT=$("$KTLSD" -t -c "$H/nginx.conf" 2>&1)
st=$?
log "$(printf '%s\n' "$OUT" | grep -v 'cannot be opened' | head -5)"
expect_eq 0 "$st" "h5bp with all its snippets: ktlsd -t accepts it"
check_not "... with no error" grep -q '\[emerg\]' <<<"$OUT"

ERROR_LOG=$H/logs/error.log
start_server "$H/nginx.conf" "$PORT" || finish
H1=$(curl "${CURL_OPTS[@]}" -D - -o /dev/null --resolve "example.com:$PORT:127.0.0.1" "https://example.com:$PORT/" | tr -d '\r')
expect_match '^HTTP/1.1 200' "$H1" "the site answers"
expect_match 'content-type: text/html; charset=utf-8' "$(printf '%s\n' "$H1" | tr 'A-Z' 'a-z')" "charset=utf-8 on HTML (character_encodings.conf)"
for h in x-content-type-options referrer-policy x-frame-options strict-transport-security \
    content-security-policy permissions-policy cross-origin-opener-policy cache-control; do
    check "h5bp header $h" grep -qi "^$h:" <<<"$H1"
done
H2=$(curl "${CURL_OPTS[@]}" -D - -o /dev/null --resolve "example.com:$PORT:127.0.0.1" "https://example.com:$PORT/style.css" | tr -d '\r')
expect_match 'max-age=31536000' "$H2" "a year of caching for CSS (cache_expiration.conf)"
stop_server
finish
