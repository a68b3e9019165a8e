#!/usr/bin/env bash
# The three configurations of issue 13 ("Real nginx configurations run
# unchanged"), each served side by side by the reference nginx
# (/usr/sbin/nginx or $NGINX, Debian 12's) and by $KTLSD from the same
# config text, and compared by compare/compare.py (--all-headers: every
# response header but Date/Server/Keep-Alive; --decode: gzip and brotli
# bodies compared decoded, Content-Encoding itself compared):
#
#   debian   /etc/nginx/nginx.conf + sites-enabled/default + modules-enabled
#            (load_module lines: nginx loads them, ktlsd warns), plain HTTP
#   h5bp     tests/data/h5bp (server-configs-nginx) with its example.com
#            template and every optional snippet, HTTPS (HTTP/1.1 and h2)
#            and its port-80 default server ("return 444")
#   certbot  a site as certbot's nginx plugin leaves it: its
#            options-ssl-nginx.conf, ssl_dhparam, "# managed by Certbot"
#            listen/ssl lines, and the port-80 server of
#            "if ($host = ...) { return 301 https://$host$request_uri; }"
#
# With KTLSD=/usr/sbin/nginx both sides are nginx: a self-check of the
# harness (nothing may differ but what the options above accept).
#
# Both servers get the same text: each tree is copied twice and the same sed
# moves the listen ports (80/443 -> free 127.0.0.1 ports, [::] lines dropped),
# the absolute paths (/etc/nginx, logs, pid, root, certificates) into the
# test's directory. nginx alone gets "-g 'daemon off;'", -p and -e on its
# command line (its temp paths stay Debian's /var/lib/nginx).
# h5bp's brotli_static needs nginx's module (libnginx-mod-http-brotli-static):
# a load_module line on top of h5bp's nginx.conf loads it, for both (custom.d/
# comes after events {}, too late for load_module; ktlsd warns and ignores it).
#
# Accepted differences (compare.py options, all else fails the test):
#   --default-vary  Debian's nginx.conf has "gzip on" without gzip_vary:
#                   nginx sends no Vary, ktlsd "Vary: Accept-Encoding" where
#                   the answer depends on it (its gzip_vary defaults to on,
#                   README; a shared cache needs it, RFC 9110 12.5.5).
#   error pages     with server_tokens on, each signs its page with its own
#                   name/version (the lengths differ by that much).
#   416             only Content-Type/-Length/-Range and the body compared:
#                   nginx runs its header filters for the 200, then again for
#                   the 416, so its 416 keeps the image's add_header/expires
#                   fields (a year of caching, CORS) and h5bp's
#                   $sent_http_content_type maps cached from the 200 (no CSP
#                   on the HTML page); ktlsd's 416 has the fields of a 416.
# The harness functions (start_server, free_port, gen_cert) are tests/lib.sh's;
# the comparison is compare/compare.py, as nginx_compare.sh and rewrite.sh.
# shellcheck source=../lib.sh disable=SC2119,SC2016,SC2034
. "${SRCDIR:-$(cd "$(dirname "$0")/../.." && pwd)}/tests/lib.sh"

HERE=$SRCDIR/tests/integration
NGINX=${NGINX:-/usr/sbin/nginx}
[ -x "$NGINX" ] || skip "no reference nginx at $NGINX"
[ -f /etc/nginx/nginx.conf ] || skip "no /etc/nginx/nginx.conf (Debian's nginx package)"
BROTLI_MOD=/usr/lib/nginx/modules/ngx_http_brotli_static_module.so
[ -f "$BROTLI_MOD" ] || skip "no $BROTLI_MOD (libnginx-mod-http-brotli-static)"
need brotli
# "user www-data" stays: the workers of both must reach the tree ($T is
# 755, lib.sh)

# ---------------------------------------------------------------- the site
# one docroot both servers read
S=$T/site
mkdir -p "$S"/{dir,img,.git,.well-known/acme-challenge,sub}
printf '<!doctype html><title>home</title>\n<p>%s</p>\n' "$(printf 'lorem ipsum %.0s' $(seq 1 80))" >"$S/index.html"
cp /usr/share/nginx/html/index.html "$S/index.nginx-debian.html" 2>/dev/null ||
    printf '<html>Welcome to nginx!</html>\n' >"$S/index.nginx-debian.html"
printf '<!doctype html><title>404</title>\n' >"$S/404.html"
printf '<html>dir</html>\n' >"$S/dir/index.html"
python3 -c 'print("/* css */\n" + "a { color: blue }\n" * 300)' >"$S/style.css"
gzip -9 -n -c "$S/style.css" >"$S/style.css.gz"
brotli -c "$S/style.css" >"$S/style.css.br"
python3 -c 'print("var x = [" + ",".join(str(i) for i in range(2000)) + "];")' >"$S/app.js"
python3 -c 'print("{\"k\": [" + ",".join(str(i) for i in range(500)) + "]}")' >"$S/data.json"
printf '{"name":"t"}\n' >"$S/site.webmanifest"
printf 'short\n' >"$S/small.txt"
python3 -c 'print("plain text line\n" * 400)' >"$S/big.txt"
python3 -c 'import random,sys; r=random.Random(7); sys.stdout.buffer.write(bytes(r.getrandbits(8) for _ in range(70000)))' >"$S/img/pic.png"
printf '<svg xmlns="http://www.w3.org/2000/svg"></svg>\n' >"$S/img/i.svg"
printf 'wOF2' >"$S/font.woff2"
printf 'secret\n' >"$S/.env"
printf '[core]\n' >"$S/.git/config"
printf 'token-abc\n' >"$S/.well-known/acme-challenge/token-abc"
printf 'Contact: mailto:a@example.com\n' >"$S/.well-known/security.txt"
printf 'dump\n' >"$S/db.sql"
printf 'backup\n' >"$S/index.html~"
printf 'sub\n' >"$S/sub/f.txt"
chmod -R a+rX "$S"
find "$S" -exec touch -h -d '2021-03-04 05:06:07 UTC' {} +

gen_cert "$CERT" "$KEY" example.com || finish
openssl genpkey -genparam -algorithm DH -pkeyopt group:ffdhe2048 -out "$T/dhparam.pem" 2>/dev/null ||
    fail "openssl: no ffdhe2048 parameters"
chmod 644 "$T/dhparam.pem"

# ---------------------------------------------------------------- harness
# run_pair NAME DIR CONF: DIR holds two copies of the configuration, DIR/ngx
# and DIR/kt, CONF is its main file relative to them. Starts nginx and
# ktlsd on them; WAIT_NGX and WAIT_KT: the ports to wait for.
run_pair() {
    local n=$1 d=$2 conf=$3
    NGX_PID='' KT_PID=''
    mkdir -p "$d/ngx/prefix" "$d/kt/prefix"
    # Debian's load_module lines name modules/ under the prefix
    ln -sfn /usr/lib/nginx/modules "$d/ngx/prefix/modules"
    ln -sfn /usr/lib/nginx/modules "$d/kt/prefix/modules"
    _start_ngx "$NGINX" "$d/ngx/$conf" "$d/ngx/prefix" "$WAIT_NGX" || return 1
    NGX_PID=$SERVER_PID
    if [ "$IS_NGINX" = 1 ]; then # KTLSD=nginx: the harness checks itself
        _start_ngx "$KTLSD" "$d/kt/$conf" "$d/kt/prefix" "$WAIT_KT" || return 1
        KT_PID=$SERVER_PID
        return 0
    fi
    timeout 10 "$KTLSD" -t -c "$d/kt/$conf" >"$T/$n-t.out" 2>&1
    expect_eq 0 "$?" "$n: ktlsd -t accepts the configuration"
    log "$n: ktlsd -t: $(grep -c '\[warn\]' "$T/$n-t.out") warnings"
    check_not "$n: no [emerg] in ktlsd -t" grep -q '\[emerg\]' "$T/$n-t.out"
    start_server "$d/kt/$conf" "$WAIT_KT" || return 1
    KT_PID=$SERVER_PID
}

# _start_ngx NGINX CONF PREFIX PORT: nginx in the foreground, its own prefix
_start_ngx() {
    local bin=$1 conf=$2 prefix=$3 port=$4
    SERVER_OUT=$T/ngx-$(basename "$(dirname "$(dirname "$prefix")")")-$(basename "$(dirname "$prefix")").out
    setsid "$bin" -g 'daemon off;' -p "$prefix/" -e "$prefix/stderr.log" -c "$conf" \
        >"$SERVER_OUT" 2>&1 </dev/null &
    SERVER_PID=$!
    SERVER_PIDS+=("$SERVER_PID")
    for _ in $(seq 1 100); do
        kill -0 "$SERVER_PID" 2>/dev/null || break
        (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null && return 0
        sleep 0.05
    done
    fail "reference nginx does not run $conf"
    tail -n 20 "$SERVER_OUT" "$prefix/stderr.log" 2>/dev/null | sed 's/^/#   | /'
    return 1
}

# compare NAME REQFILE PORT_NGX PORT_KT ARGS...: compare.py, counted here
compare() {
    local n=$1 req=$2 pa=$3 pb=$4 out
    shift 4
    out=$T/compare-$n.out
    [ "$IS_NGINX" = 1 ] && set -- --b-is-nginx "$@"
    if ! /usr/bin/python3 "$HERE/compare/compare.py" --all-headers --decode "$@" "$req" "$pa" "$pb" \
        nginx "$(basename "$KTLSD")" >"$out" 2>&1; then
        fail "$n: compare.py failed"
    fi
    sed "s/^\(ok   - \|FAIL - \)REQ /\1$n REQ /" "$out"
    PASS=$((PASS + $(grep -c '^ok ' "$out")))
    FAIL=$((FAIL + $(grep -c '^FAIL ' "$out")))
}

# stop_pair LOG...: both servers, then no [crit]/[alert]/[emerg] in ktlsd's
# error logs (each must be there)
stop_pair() {
    local log
    [ -n "$KT_PID" ] && stop_server "$KT_PID"
    [ -n "$NGX_PID" ] && stop_server "$NGX_PID"
    for log in "$@"; do
        check "ktlsd wrote $(basename "$log")" [ -f "$log" ]
        check_not "no [crit]/[alert]/[emerg] in $(basename "$log")" grep -Eq '\[(crit|alert|emerg)\]' "$log"
    done
}

# requests every configuration gets (Host added per config)
common_requests() {
    local h=$1 ei ep
    ei=$(etag_of "$S/index.html")
    ep=$(etag_of "$S/img/pic.png")
    cat <<EOF
home            | GET / | Host: $h
home-head       | HEAD / | Host: $h
home-gzip       | GET / | Host: $h | Accept-Encoding: gzip
home-ims        | GET / | Host: $h | If-Modified-Since: Thu, 04 Mar 2021 05:06:07 GMT
home-inm        | GET /index.html | Host: $h | If-None-Match: $ei
home-inm-other  | GET /index.html | Host: $h | If-None-Match: "nope"
home-ims-old    | GET /index.html | Host: $h | If-Modified-Since: Mon, 01 Jan 2001 00:00:00 GMT
missing         | GET /nope.html | Host: $h
missing-head    | HEAD /nope.html | Host: $h
dir-noslash     | GET /dir | Host: $h
dir-slash       | GET /dir/ | Host: $h
sub-noindex     | GET /sub/ | Host: $h
css             | GET /style.css | Host: $h
css-gzip        | GET /style.css | Host: $h | Accept-Encoding: gzip
css-br          | GET /style.css | Host: $h | Accept-Encoding: br
css-br-gzip     | GET /style.css | Host: $h | Accept-Encoding: gzip, deflate, br
css-busted      | GET /style.123abc.css | Host: $h
js-gzip         | GET /app.js | Host: $h | Accept-Encoding: gzip
json            | GET /data.json | Host: $h | Accept-Encoding: gzip
manifest        | GET /site.webmanifest | Host: $h
small-gzip      | GET /small.txt | Host: $h | Accept-Encoding: gzip
big-txt-gzip    | GET /big.txt | Host: $h | Accept-Encoding: gzip
big-txt         | GET /big.txt | Host: $h
png             | GET /img/pic.png | Host: $h
svg-gzip        | GET /img/i.svg | Host: $h | Accept-Encoding: gzip
font            | GET /font.woff2 | Host: $h
range           | GET /img/pic.png | Host: $h | Range: bytes=100-199
range-suffix    | GET /img/pic.png | Host: $h | Range: bytes=-10
range-multi     | GET /img/pic.png | Host: $h | Range: bytes=0-9,60000-60009
range-bad       | GET /img/pic.png | Host: $h | Range: bytes=90000-
range-gzip      | GET /big.txt | Host: $h | Range: bytes=0-9 | Accept-Encoding: gzip
if-range-ok     | GET /img/pic.png | Host: $h | Range: bytes=0-9 | If-Range: $ep
if-range-stale  | GET /img/pic.png | Host: $h | Range: bytes=0-9 | If-Range: "0-0"
dot-env         | GET /.env | Host: $h
dot-git         | GET /.git/config | Host: $h
wk-acme         | GET /.well-known/acme-challenge/token-abc | Host: $h
wk-security     | GET /.well-known/security.txt | Host: $h
backup-tilde    | GET /index.html~ | Host: $h
sql             | GET /db.sql | Host: $h
post            | POST /index.html | Host: $h | Content-Length: 0
query           | GET /index.html?a=1 | Host: $h
EOF
}

# subst FILE...: the same edits for both copies; $PH (https), $PP (http)
subst() {
    sed -i -e "s#/etc/nginx/certs/default.crt#$CERT#; s#/etc/nginx/certs/default.key#$KEY#" \
        -e "s#/etc/nginx#$CUR#g; s#/var/log/nginx#$CUR/logs#g; s#/var/run/nginx.pid#$CUR/nginx.pid#g; s#/run/nginx.pid#$CUR/nginx.pid#g" \
        -e "s#/var/www/html#$S#g; s#/var/www/example.com/public#$S#g" \
        -e "s#/etc/letsencrypt/live/example.com/fullchain.pem#$CERT#; s#/etc/letsencrypt/live/example.com/privkey.pem#$KEY#" \
        -e "s#/etc/letsencrypt/options-ssl-nginx.conf#$CUR/options-ssl-nginx.conf#; s#/etc/letsencrypt/ssl-dhparams.pem#$T/dhparam.pem#" \
        -e '/^[[:space:]]*listen \[::\]:/d' \
        -e "s#^\([[:space:]]*listen\) 443\b#\1 127.0.0.1:$PH#; s#^\([[:space:]]*listen\) 80\b#\1 127.0.0.1:$PP#" "$@"
}

# ---------------------------------------------------------------- debian
declare -A PORTS # side (ngx, kt) -> "HTTPS_PORT HTTP_PORT"
D=$T/debian
for side in ngx kt; do
    if ! p1=$(free_port) || ! p2=$(free_port); then finish; fi
    PORTS[$side]="$p1 $p2"
    CUR=$D/$side PH=$p1 PP=$p2
    mkdir -p "$CUR/logs"
    cp -rL /etc/nginx/. "$CUR/"
    # the edits above, for /etc/nginx's own certificate paths (sites' snippets)
    find "$CUR" -type f \( -name '*.conf' -o -path '*sites-enabled*' \) | while read -r f; do subst "$f"; done
done
read -r _ DNP <<<"${PORTS[ngx]}"
read -r _ DKP <<<"${PORTS[kt]}"
WAIT_NGX=$DNP WAIT_KT=$DKP
common_requests localhost >"$T/req-debian.txt"
if run_pair debian "$D" nginx.conf; then
    compare debian "$T/req-debian.txt" "$DNP" "$DKP" --plain --default-vary
fi
stop_pair "$D/kt/logs/error.log"

# ---------------------------------------------------------------- h5bp
H=$T/h5bp
for side in ngx kt; do
    if ! p1=$(free_port) || ! p2=$(free_port); then finish; fi
    PORTS[$side]="$p1 $p2"
    CUR=$H/$side PH=$p1 PP=$p2
    mkdir -p "$H"
    cp -r "$SRCDIR/tests/data/h5bp" "$CUR"
    chmod -R u+w,a+rX "$CUR"
    mkdir -p "$CUR/logs"
    sed -i "1i load_module $BROTLI_MOD;" "$CUR/nginx.conf"
    cp "$CUR/conf.d/templates/example.com.conf" "$CUR/conf.d/"
    # every optional snippet h5bp ships, in the HTTPS server (as config_h5bp.sh)
    h5bp_all_snippets "$CUR/conf.d/example.com.conf"
    find "$CUR" -type f -name '*.conf' | while read -r f; do subst "$f"; done
done
read -r HNS HNP <<<"${PORTS[ngx]}"
read -r HKS HKP <<<"${PORTS[kt]}"
WAIT_NGX=$HNS WAIT_KT=$HKS
{
    common_requests example.com
    cat <<EOF
www-redirect    | GET /a/b?c=d | Host: www.example.com
other-host      | GET / | Host: other.example
EOF
} >"$T/req-h5bp.txt"
{
    echo "no-ssl-444     | GET / | Host: example.com | NORESPONSE"
    echo "no-ssl-444-any | GET /x | Host: whatever | NORESPONSE"
} >"$T/req-h5bp-80.txt"
if run_pair h5bp "$H" nginx.conf; then
    compare h5bp "$T/req-h5bp.txt" "$HNS" "$HKS"
    compare h5bp-h2 "$T/req-h5bp.txt" "$HNS" "$HKS" --h2
    compare h5bp-80 "$T/req-h5bp-80.txt" "$HNP" "$HKP" --plain
fi
stop_pair "$H/kt/logs/error.log"

# ---------------------------------------------------------------- certbot
# A site after "certbot --nginx -d example.com -d www.example.com" on
# Debian's nginx.conf: the server block it edits (its "# managed by Certbot"
# lines) and the port-80 server it adds, in sites-enabled/ instead of
# Debian's default site; options-ssl-nginx.conf as certbot 2.x writes it.
C=$T/certbot
for side in ngx kt; do
    if ! p1=$(free_port) || ! p2=$(free_port); then finish; fi
    PORTS[$side]="$p1 $p2"
    CUR=$C/$side PH=$p1 PP=$p2
    mkdir -p "$CUR/logs"
    cp -rL /etc/nginx/. "$CUR/"
    rm -f "$CUR/sites-enabled/default"
    cat >"$CUR/options-ssl-nginx.conf" <<'EOF'
# This file contains important security parameters. If you modify this file
# manually, Certbot will be unable to automatically provide future security
# updates. Instead, Certbot will print and log an error message with a path to
# the up-to-date file that you will need to refer to when manually updating
# this file. Contents are based on https://ssl-config.mozilla.org

ssl_session_cache shared:le_nginx_SSL:10m;
ssl_session_timeout 1440m;
ssl_session_tickets off;

ssl_protocols TLSv1.2 TLSv1.3;
ssl_prefer_server_ciphers off;

ssl_ciphers "ECDHE-ECDSA-AES128-GCM-SHA256:ECDHE-RSA-AES128-GCM-SHA256:ECDHE-ECDSA-AES256-GCM-SHA384:ECDHE-RSA-AES256-GCM-SHA384:ECDHE-ECDSA-CHACHA20-POLY1305:ECDHE-RSA-CHACHA20-POLY1305:DHE-RSA-AES128-GCM-SHA256:DHE-RSA-AES256-GCM-SHA384";
EOF
    cat >"$CUR/sites-enabled/example.com" <<'EOF'
server {
    root /var/www/html;
    index index.html index.htm index.nginx-debian.html;
    server_name example.com www.example.com;
    error_log /var/log/nginx/example.com.error.log;
    log_not_found off;

    location / {
        try_files $uri $uri/ =404;
    }

    location ~ /\.ht {
        deny all;
    }

    listen [::]:443 ssl ipv6only=on; # managed by Certbot
    listen 443 ssl; # managed by Certbot
    ssl_certificate /etc/letsencrypt/live/example.com/fullchain.pem; # managed by Certbot
    ssl_certificate_key /etc/letsencrypt/live/example.com/privkey.pem; # managed by Certbot
    include /etc/letsencrypt/options-ssl-nginx.conf; # managed by Certbot
    ssl_dhparam /etc/letsencrypt/ssl-dhparams.pem; # managed by Certbot

}
server {
    if ($host = www.example.com) {
        return 301 https://$host$request_uri;
    } # managed by Certbot


    if ($host = example.com) {
        return 301 https://$host$request_uri;
    } # managed by Certbot


    listen 80;
    listen [::]:80;
    server_name example.com www.example.com;
    return 404; # managed by Certbot


}
EOF
    find "$CUR" -type f \( -name '*.conf' -o -path '*sites-enabled*' \) | while read -r f; do subst "$f"; done
done
read -r CNS CNP <<<"${PORTS[ngx]}"
read -r CKS CKP <<<"${PORTS[kt]}"
WAIT_NGX=$CNS WAIT_KT=$CKS
{
    common_requests example.com
    echo "www-https       | GET /dir/ | Host: www.example.com"
} >"$T/req-certbot.txt"
cat >"$T/req-certbot-80.txt" <<'EOF'
http-redirect     | GET /a/b?c=d | Host: example.com
http-redirect-www | GET /.well-known/acme-challenge/token-abc | Host: www.example.com
http-redirect-hd  | HEAD / | Host: example.com
http-other-host   | GET / | Host: other.example
http-ip           | GET /
EOF
if run_pair certbot "$C" nginx.conf; then
    compare certbot "$T/req-certbot.txt" "$CNS" "$CKS" --default-vary
    # certbot's "listen 443 ssl" has no http2: neither server offers h2
    for p in "$CNS" "$CKS"; do
        v=$(curl -sk --http2 -o /dev/null -w '%{http_version}' --resolve "example.com:$p:127.0.0.1" "https://example.com:$p/")
        expect_eq 1.1 "$v" "certbot: curl --http2 gets HTTP/1.1 on port $p (no h2 in ALPN)"
    done
    compare certbot-80 "$T/req-certbot-80.txt" "$CNP" "$CKP" --plain --default-vary
fi
stop_pair "$C/kt/logs/error.log" "$C/kt/logs/example.com.error.log"
finish
