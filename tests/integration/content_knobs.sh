#!/usr/bin/env bash
# Content knobs against nginx, one config served by both: autoindex_format
# html|json|xml, autoindex_exact_size off, autoindex_localtime; charset and
# charset_types (no recoding); keepalive_timeout's second value
# (Keep-Alive: timeout=N); expires modified and @time. Then source_charset refused where nginx would
# recode, with FILE:LINE.
# shellcheck source=../lib.sh disable=SC2119,SC2016,SC2034
. "${SRCDIR:-$(cd "$(dirname "$0")/../.." && pwd)}/tests/lib.sh"
need curl
NGINX=${NGINX:-/usr/sbin/nginx}
[ -x "$NGINX" ] || skip "no reference nginx at $NGINX"

mkdir -p "$WWW/ls/sub dir" "$WWW/ls2"
printf 'five\n' >"$WWW/ls/a.txt"
head -c 12345 /dev/zero >"$WWW/ls/twelve.bin"
truncate -s 2600000 "$WWW/ls/big.bin"
truncate -s 9999 "$WWW/ls/n9999"
truncate -s 10000 "$WWW/ls/n10000"
printf 'x' >"$WWW/ls/q\"uote&amp<.txt"
printf 'plain\n' >"$WWW/a.txt"
printf '<p>x</p>\n' >"$WWW/p.html"
printf '{}\n' >"$WWW/d.json"
printf 'a{}\n' >"$WWW/s.css"
touch -d '2024-02-03 04:05:06 UTC' "$WWW"/ls/* "$WWW/ls/sub dir"
export TZ=Asia/Kolkata # autoindex_localtime: +05:30, for both servers

conf() { # conf NAME PORT
    local main=""
    [ "$1" = nginx ] && main="daemon off; user root;"
    cat >"$T/$1.conf" <<CONF
$main
worker_processes 1;
error_log $T/error-$1.log info;
pid $T/$1.pid;
events { worker_connections 64; }
http {
    include $MIME_TYPES;
    default_type application/octet-stream;
    access_log $T/access-$1.log;
    keepalive_timeout 30 25;
    server {
        listen 127.0.0.1:$2;
        root $WWW;
        charset utf-8;
        location /ls/ { autoindex on; }
        location /ls2/ { alias $WWW/ls/; autoindex on; autoindex_exact_size off; autoindex_localtime on; }
        location /json/ { alias $WWW/ls/; autoindex on; autoindex_format json; }
        location /xml/ { alias $WWW/ls/; autoindex on; autoindex_format xml; }
        location /cs/ { alias $WWW/; charset koi8-r; charset_types text/css; }
        location /off/ { alias $WWW/; charset off; }
        location /em1/ { alias $WWW/ls/; expires modified +1h; }
        location /em2/ { alias $WWW/ls/; expires modified 100000d; }
        location /daily/ { alias $WWW/ls/; expires @15h30m; }
    }
}
CONF
}
NPORT=$(free_port)
KPORT=$(free_port)
conf ktlsd "$KPORT"
conf nginx "$NPORT"
start_server "$T/ktlsd.conf" "$KPORT" || finish
mkdir -p "$T/ng"
setsid "$NGINX" -p "$T/ng/" -e "$T/ng/stderr.log" -c "$T/nginx.conf" >"$T/ng/out" 2>&1 </dev/null &
SERVER_PIDS+=("$!")
wait_port "$NPORT" || { fail "nginx does not start"; cat "$T/ng/stderr.log"; finish; }

get() { # get PORT NAME PATH [curl args]
    local port=$1 name=$2 path=$3
    shift 3
    : >"$T/$name.b"
    curl -s --max-time 5 -o "$T/$name.b" -D "$T/$name.h" "$@" "http://127.0.0.1:$port$path"
    tr -d '\r' <"$T/$name.h" >"$T/$name.h2" && mv "$T/$name.h2" "$T/$name.h"
    sed -i "s/ktlsd/nginx/; s,nginx/[0-9.]*<,nginx<," "$T/$name.b" # a generated page's signature
}
same() { # same WHAT PATH [curl args]
    local what=$1 path=$2 h
    shift 2
    get "$KPORT" k "$path" "$@"
    get "$NPORT" n "$path" "$@"
    expect_eq "$(head -n1 "$T/n.h" | cut -d' ' -f2)" "$(head -n1 "$T/k.h" | cut -d' ' -f2)" "$what: status"
    for h in Content-Type Keep-Alive Connection Expires; do
        expect_eq "$(header "$h" <"$T/n.h")" "$(header "$h" <"$T/k.h")" "$what: $h"
    done
    if cmp -s "$T/n.b" "$T/k.b"; then
        ok "$what: same body"
    else
        fail "$what: same body"
        diff "$T/n.b" "$T/k.b" | head -n 10 | sed 's/^/#   | /'
    fi
}
same "autoindex html" /ls/
same "autoindex_exact_size off, autoindex_localtime on" /ls2/
same "autoindex_format json" /json/
same "autoindex_format xml" /xml/
same "charset on text/plain" /a.txt
same "charset on text/html" /p.html
same "charset on application/json (not a charset type)" /d.json
same "charset_types text/css" /cs/s.css
same "charset_types: text/html still" /cs/p.html
same "charset_types: text/plain no longer" /cs/a.txt
same "charset off" /off/a.txt
same "404 page" /missing
same "HTTP/1.0: no keep-alive, no Keep-Alive header" /a.txt -0
same "expires modified +1h (passed)" /em1/a.txt
expect_eq "no-cache" "$(header Cache-Control <"$T/k.h")" "... Cache-Control: no-cache"
expect_eq "$(header Cache-Control <"$T/n.h")" "$(header Cache-Control <"$T/k.h")" "... as nginx"
same "expires modified 100000d" /em2/a.txt
expect_match '^max-age=[0-9]+$' "$(header Cache-Control <"$T/k.h")" "... Cache-Control: max-age"
same "expires @15h30m (Asia/Kolkata)" /daily/a.txt
expect_match '^max-age=[0-9]+$' "$(header Cache-Control <"$T/k.h")" "... Cache-Control: max-age"
expect_match ' 10:00:00 GMT$' "$(header Expires <"$T/k.h")" "... at 15:30 IST (10:00 GMT)"

# source_charset: ktlsd does not recode
bad() { # bad WHAT LINES MSG_ERE
    printf 'events {}\nhttp {\n    %s\n    server { listen 127.0.0.1:1; }\n}\n' "$2" >"$T/bad.conf"
    "$KTLSD" -t -c "$T/bad.conf" >"$T/bad.out" 2>&1
    expect_file_match "\[emerg\] $T/bad.conf:3: $3" "$T/bad.out" "$1"
}
bad "source_charset other than charset" "charset utf-8; source_charset koi8-r;" \
    '"source_charset koi8-r" differs from "charset utf-8": ktlsd does not recode'
bad "expires modified @time" "expires modified @10h;" 'daily time cannot be used with "modified" parameter'
bad "expires @25h" "expires @25h;" 'daily time value must be less than 24 hours'
bad "autoindex_format yaml" "autoindex_format yaml;" 'invalid value "yaml"'
bad "keepalive_timeout bad header value" "keepalive_timeout 10 x;" 'invalid time "x"'
printf 'events {}\nhttp {\n    charset utf-8; source_charset utf-8;\n    access_log %s;\n    server { listen 127.0.0.1:1; }\n}\n' "$T/x.log" >"$T/ok.conf"
"$KTLSD" -t -c "$T/ok.conf" >/dev/null 2>&1
expect_eq 0 "$?" "source_charset equal to charset passes"
finish
