#!/usr/bin/env bash
# Path traversal: one config through nginx (the reference) and ktlsd, a
# corpus of hostile paths against root, alias (with and without trailing
# slashes), try_files and symlinks. Every answer must equal nginx's status,
# and no body may ever carry a byte from outside the served directories.
# Where nginx itself escapes (the "off-by-slash" alias: location without a
# trailing slash, alias with one), ktlsd must answer 404 and nginx is not
# the reference.
# shellcheck source=../lib.sh disable=SC2016
. "${SRCDIR:-$(cd "$(dirname "$0")/../.." && pwd)}/tests/lib.sh"

# no skip: the reference is part of the test (pair_start would skip)
NGINX=${NGINX:-/usr/sbin/nginx}
[ -x "$NGINX" ] || { fail "no reference nginx at $NGINX (scripts/install-deps.sh --test installs it)"; finish; }

# /srv layout under $T: pub (alias target), www (root), and secrets beside them
S=$T/srv
mkdir -p "$S/pub/sub" "$S/www/app" "$S/pubx" "$S/pub.." "$S/outside"
printf 'public\n' >"$S/pub/p.txt"
printf 'public sub\n' >"$S/pub/sub/s.txt"
printf 'SECRET-SIBLING\n' >"$S/secret.txt"
printf 'SECRET-PUBX\n' >"$S/pubx/x.txt"
printf 'SECRET-PUBDOTDOT\n' >"$S/pub../secret.txt"
printf 'linked-outside\n' >"$S/outside/o.txt"
printf 'www\n' >"$S/www/w.txt"
printf '<html>app</html>\n' >"$S/www/app/index.html"
ln -s "$S/outside" "$S/www/outlink" # out of the root: followed with disable_symlinks off, as nginx
chmod -R a+rX "$S"
gen_cert "$CERT" "$KEY" localhost

# pair_http NAME PORT: the http{} body both servers run
pair_http() {
    cat <<EOF
    default_type text/plain;
    access_log off;
    server {
        listen 127.0.0.1:$2 ssl;
        ssl_certificate $CERT;
        ssl_certificate_key $KEY;
        root $S/www;
        location /i { alias $S/pub; }
        location /j/ { alias $S/pub/; }
        location /k/ { alias $S/pub; }
        location /sl { alias $S/pub/; }
        location /ds/ { alias $S/pub/; disable_symlinks on; }
        location /t/ { alias $S/pub/; try_files \$uri =404; }
        location /app/ { try_files \$uri \$uri/ /app/index.html; }
        location /nosym/ { disable_symlinks on; }
        location ~ ^/ra/(.*)\$ { alias $S/pub/\$1; }
        location ~ ^/rb/(?<rest>.*)\$ { alias $S/pub/\$rest; }
        location /vr/ { root $S/\$arg_d; }
    }
EOF
}
pair_start

# get PORT PATH: "STATUS BODY" with the path sent exactly as written
get() {
    printf 'GET %s HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n' "$2" |
        raw --tls "$1" 2>/dev/null | tr -d '\r' | awk 'NR == 1 {s = $2} /^$/ {b = 1; next} b {body = body $0} END {print s, body}'
}

# compared with nginx: status equal, no secret in ktlsd's body
compare() {
    local p a b
    for p in "$@"; do
        a=$(get "$PA" "$p")
        b=$(get "$PB" "$p")
        expect_eq "${a%% *}" "${b%% *}" "status of $p equals nginx's"
        expect_no_match SECRET "$b" "no secret in the answer to $p"
    done
}

compare /i/p.txt /i/sub/s.txt /i /i/ /j/p.txt /j/sub/s.txt /k/p.txt \
    '/i/../secret.txt' '/i/%2e%2e/secret.txt' '/i/..%2f..%2fsecret.txt' '/i/sub/../../secret.txt' \
    '/j/../secret.txt' '/j/%2e%2e/secret.txt' '/j/..%2fsecret.txt' '/j/sub/%2e%2e/%2e%2e/secret.txt' \
    '/k/../secret.txt' '/../secret.txt' '/%2e%2e/secret.txt' '/w.txt/..' '/w.txt/../../secret.txt' \
    '/t/p.txt' '/t/../secret.txt' '/t/%2e%2e/secret.txt' '/t/..%2fsecret.txt' '/t/nope.txt' \
    '/app/' '/app/../secret.txt' '/app/%2e%2e/%2e%2e/secret.txt' '/app/nothere' \
    '/ds/p.txt' '/ds/../secret.txt' '/outlink/o.txt' '/nosym/../outlink/o.txt' \
    '/i/p.txt%00.png' '/i\..\secret.txt' '/i/.%2e/secret.txt' '/i/%252e%252e/secret.txt' \
    '/ra/p.txt' '/ra/sub/s.txt' '/ra/../secret.txt' '/ra/%2e%2e/secret.txt' '/ra/sub/%2e%2e/%2e%2e/secret.txt' \
    '/rb/p.txt' '/rb/%2e%2e/secret.txt' '/vr/w.txt?d=www' '/vr/../secret.txt?d=www'

# Where nginx joins alias and URI as strings it leaves the directory:
# "location /i" + "alias .../pub" maps "/i../secret.txt" to the sibling
# "pub../secret.txt" and "/ix/x.txt" to "pubx/x.txt" (both exist here, and
# nginx serves them); "location /sl" + "alias .../pub/" maps
# "/sl../secret.txt" to "pub/../secret.txt" (nginx's off-by-slash escape).
# ktlsd never leaves the alias directory: 404, and nothing secret.
for p in '/i../secret.txt' '/i%2e%2e/secret.txt' '/i%2E%2E/secret.txt' '/ix/x.txt' '/i..%2fsecret.txt' \
    '/sl../secret.txt' '/sl%2e%2e/secret.txt' '/sl../pub../secret.txt' '/slx/x.txt' '/kx/x.txt'; do
    b=$(get "$PB" "$p")
    expect_eq 404 "${b%% *}" "$p is 404 (never outside the alias)"
    expect_no_match SECRET "$b" "no secret in the answer to $p"
done
b=$(get "$PB" /sl/p.txt)
expect_eq "200 public" "$b" "/sl/p.txt is served from the alias"

# a capture or a variable in alias/root never climbs out, whatever it holds
# (nginx would join "..": not compared)
for p in '/vr/w.txt?d=..' '/vr/secret.txt?d=..' '/vr/secret.txt?d=www/..' '/vr/secret.txt?d=%2e%2e' \
    '/vr/x.txt?d=pubx/..'; do
    b=$(get "$PB" "$p")
    expect_no_match SECRET "$b" "no secret in the answer to $p"
done

# disable_symlinks on: a symlink out of the root is refused by the kernel
ln -s "$S/outside" "$S/pub/link"
b=$(get "$PB" /ds/link/o.txt)
expect_eq 403 "${b%% *}" "disable_symlinks on: a symlink out of the alias is 403"
expect_no_match 'SECRET|linked-outside' "$b" "nothing through a refused symlink"
finish
