#!/usr/bin/env bash
# Content knobs against nginx, one config served by both: autoindex_format
# html|json|xml, autoindex_exact_size off, autoindex_localtime; charset and
# charset_types (no recoding); keepalive_timeout's second value
# (Keep-Alive: timeout=N); expires modified and @time. Then source_charset refused where nginx would
# recode, with FILE:LINE.
# shellcheck source=../lib.sh disable=SC2119,SC2016,SC2034
. "${SRCDIR:-$(cd "$(dirname "$0")/../.." && pwd)}/tests/lib.sh"
need curl

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

# pair_http NAME PORT: the http{} body both servers run (plain HTTP)
pair_http() {
    cat <<CONF
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
CONF
}
PAIR_SCHEME=http
PAIR_HEADERS="Content-Type Keep-Alive Connection Expires"
pair_start

pair_same "autoindex html" /ls/
pair_same "autoindex_exact_size off, autoindex_localtime on" /ls2/
pair_same "autoindex_format json" /json/
pair_same "autoindex_format xml" /xml/
pair_same "charset on text/plain" /a.txt
pair_same "charset on text/html" /p.html
pair_same "charset on application/json (not a charset type)" /d.json
pair_same "charset_types text/css" /cs/s.css
pair_same "charset_types: text/html still" /cs/p.html
pair_same "charset_types: text/plain no longer" /cs/a.txt
pair_same "charset off" /off/a.txt
pair_same "404 page" /missing
pair_same "HTTP/1.0: no keep-alive, no Keep-Alive header" /a.txt -0
pair_same "expires modified +1h (passed)" /em1/a.txt
expect_eq "no-cache" "$(header Cache-Control <"$T/k.h")" "... Cache-Control: no-cache"
expect_eq "$(header Cache-Control <"$T/n.h")" "$(header Cache-Control <"$T/k.h")" "... as nginx"
pair_same "expires modified 100000d" /em2/a.txt
expect_match '^max-age=[0-9]+$' "$(header Cache-Control <"$T/k.h")" "... Cache-Control: max-age"
pair_same "expires @15h30m (Asia/Kolkata)" /daily/a.txt
expect_match '^max-age=[0-9]+$' "$(header Cache-Control <"$T/k.h")" "... Cache-Control: max-age"
expect_match ' 10:00:00 GMT$' "$(header Expires <"$T/k.h")" "... at 15:30 IST (10:00 GMT)"

# source_charset: ktlsd does not recode
conf_rejects "source_charset other than charset" "charset utf-8; source_charset koi8-r;" \
    '"source_charset koi8-r" differs from "charset utf-8": ktlsd does not recode'
conf_rejects "expires modified @time" "expires modified @10h;" 'daily time cannot be used with "modified" parameter'
conf_rejects "expires modified with a bad time" "expires modified 1x;" 'invalid value "1x" in "expires" directive'
conf_rejects "expires @25h" "expires @25h;" 'daily time value must be less than 24 hours'
conf_rejects "autoindex_format yaml" "autoindex_format yaml;" 'invalid value "yaml"'
conf_rejects "keepalive_timeout bad header value" "keepalive_timeout 10 x;" 'invalid time "x"'
printf 'events {}\nhttp {\n    charset utf-8; source_charset utf-8;\n    access_log %s;\n    server { listen 127.0.0.1:1; }\n}\n' "$T/x.log" >"$T/ok.conf"
"$KTLSD" -t -c "$T/ok.conf" >/dev/null 2>&1
expect_eq 0 "$?" "source_charset equal to charset passes"
finish
