#!/usr/bin/env bash
# Response headers: expires (time, negative, epoch, max, off) -> Expires +
# Cache-Control, on the statuses nginx adds them to (200 206 301 302 304 ...,
# not 404); add_header NAME VALUE [always] and its inheritance (a level with
# its own add_header drops the outer ones); default_type; types { } (which
# replaces the whole map); nginx's mime.types (tests/data) loads unchanged.
# shellcheck source=../lib.sh disable=SC2119,SC2016,SC2034
. "${SRCDIR:-$(cd "$(dirname "$0")/../.." && pwd)}/tests/lib.sh"

mkdir -p "$WWW"/{e1h,e30d,eneg,eepoch,emax,eoff,hdr,typed,raw,dir}
for d in e1h e30d eneg eepoch emax eoff hdr typed raw; do printf '%s\n' "$d" >"$WWW/$d/f.txt"; done
printf 'x\n' >"$WWW/raw/file.unknownext"
printf 'x\n' >"$WWW/typed/a.foo"
printf 'x\n' >"$WWW/typed/b.BAR"
printf 'x\n' >"$WWW/a.txt"
printf 'x\n' >"$WWW/dir/index.html"
for e in css js json svg woff2 webp mp4 pdf wasm xml ico htm PNG Json; do printf 'x\n' >"$WWW/m.$e"; done
touch -d '2021-03-04 05:06:07 UTC' "$WWW/e1h/f.txt"

# gen_config includes $MIME_TYPES for nginx; ktlsd gets it here too
MIME=""
[ "$IS_NGINX" = 0 ] && MIME="include $MIME_TYPES;
    default_type application/octet-stream;"
HTTP_EXTRA="$MIME
    add_header X-Http http-level;" SERVER_EXTRA='
        add_header X-Srv "server level";
        add_header X-Srv-Always yes always;
        location /e1h/ { expires 1h; }
        location /e30d/ { expires 30d; }
        location /eneg/ { expires -1; }
        location /eepoch/ { expires epoch; }
        location /emax/ { expires max; }
        location /eoff/ { expires off; }
        location /hdr/ {
            add_header X-Loc "a b";
            add_header X-Loc-Always 1 always;
            add_header Cache-Control "public, max-age=60";
        }
        location /typed/ { types { text/x-foo foo bar; } default_type text/x-default; }
        location /raw/ { default_type text/plain; }
        location = /ret { return 200 "text\n"; }
        location = /ret404 { return 404; }' gen_config
start_server || finish

# delta_of: Expires - Date in seconds for the last fetch
delta_of() {
    local e d
    e=$(date -d "$(hv Expires)" +%s 2>/dev/null) || { echo none; return; }
    d=$(date -d "$(hv Date)" +%s 2>/dev/null) || { echo nodate; return; }
    echo $((e - d))
}
HTTPDATE='^(Mon|Tue|Wed|Thu|Fri|Sat|Sun), [0-9]{2} [A-Z][a-z]{2} [0-9]{4} [0-9]{2}:[0-9]{2}:[0-9]{2} GMT$'

# ---------------------------------------------------------------- expires
fetch /e1h/f.txt
expect_match "$HTTPDATE" "$(hv Expires)" "expires 1h: Expires is an HTTP date"
expect_eq 3600 "$(delta_of)" "expires 1h: Expires = Date + 3600"
expect_eq "max-age=3600" "$(hv Cache-Control)" "expires 1h: Cache-Control: max-age=3600"
fetch /e30d/f.txt
expect_eq 2592000 "$(delta_of)" "expires 30d: Expires = Date + 30 days"
expect_eq "max-age=2592000" "$(hv Cache-Control)" "expires 30d: Cache-Control"
fetch /eneg/f.txt
expect_eq -1 "$(delta_of)" "expires -1: Expires = Date - 1"
expect_eq "no-cache" "$(hv Cache-Control)" "expires -1: Cache-Control: no-cache"
fetch /eepoch/f.txt
expect_eq "Thu, 01 Jan 1970 00:00:01 GMT" "$(hv Expires)" "expires epoch: Expires"
expect_eq "no-cache" "$(hv Cache-Control)" "expires epoch: Cache-Control: no-cache"
fetch /emax/f.txt
expect_eq "Thu, 31 Dec 2037 23:55:55 GMT" "$(hv Expires)" "expires max: Expires"
expect_eq "max-age=315360000" "$(hv Cache-Control)" "expires max: Cache-Control: max-age=315360000"
fetch /eoff/f.txt
check_not "expires off: no Expires" has_header Expires
check_not "expires off: no Cache-Control" has_header Cache-Control
fetch /a.txt
check_not "no expires directive: no Expires" has_header Expires
fetch /e1h/nope.txt
expect_eq 404 "$ST" "expires 1h, missing file: 404"
check_not "expires 1h: no Expires on a 404" has_header Expires
check_not "expires 1h: no Cache-Control on a 404" has_header Cache-Control
fetch /e1h/f.txt -H 'If-None-Match: "60406abf-4"'
expect_eq 304 "$ST" "expires 1h: If-None-Match -> 304"
expect_eq 3600 "$(delta_of)" "expires 1h: the 304 has Expires"
expect_eq "max-age=3600" "$(hv Cache-Control)" "expires 1h: the 304 has Cache-Control"
fetch /e1h/f.txt -H "Range: bytes=0-0"
expect_eq 206 "$ST" "expires 1h: Range -> 206"
expect_eq 3600 "$(delta_of)" "expires 1h: the 206 has Expires"

# ---------------------------------------------------------------- add_header
fetch /a.txt
expect_eq "server level" "$(hv X-Srv)" "add_header (server) on 200, quoted value"
expect_eq yes "$(hv X-Srv-Always)" "add_header always (server) on 200"
check_not "http-level add_header not inherited: the server has its own" has_header X-Http
fetch /nope.txt
expect_eq 404 "$ST" "missing file: 404"
check_not "add_header without always: not on a 404" has_header X-Srv
expect_eq yes "$(hv X-Srv-Always)" "add_header always: on a 404"
fetch /ret404
expect_eq 404 "$ST" "return 404"
expect_eq yes "$(hv X-Srv-Always)" "add_header always: on return 404"
fetch /dir
expect_eq 301 "$ST" "directory without slash: 301"
expect_eq "server level" "$(hv X-Srv)" "add_header on a 301"
fetch /a.txt -H 'If-None-Match: *'
expect_eq 304 "$ST" "If-None-Match: * -> 304"
expect_eq "server level" "$(hv X-Srv)" "add_header on a 304"
fetch /a.txt -H 'Range: bytes=0-0'
expect_eq "server level" "$(hv X-Srv)" "add_header on a 206"
fetch /ret
expect_eq "server level" "$(hv X-Srv)" "add_header on return 200 TEXT"
fetch /hdr/f.txt
expect_eq "a b" "$(hv X-Loc)" "add_header (location)"
expect_eq 1 "$(hv X-Loc-Always)" "add_header always (location)"
expect_eq "public, max-age=60" "$(hv Cache-Control)" "add_header Cache-Control"
check_not "location with its own add_header: server-level ones dropped" has_header X-Srv
check_not "location with its own add_header: server-level 'always' ones dropped" has_header X-Srv-Always
fetch /hdr/nope.txt
check_not "location add_header: not on a 404" has_header X-Loc
expect_eq 1 "$(hv X-Loc-Always)" "location add_header always: on a 404"
fetch /a.txt -X OPTIONS
expect_eq 405 "$ST" "OPTIONS: 405"
check_not "add_header without always: not on a 405" has_header X-Srv
expect_eq yes "$(hv X-Srv-Always)" "add_header always: on a 405"

# ---------------------------------------------------------------- types
ct() { fetch "$1" >/dev/null; hv Content-Type; }
# Debian's /etc/nginx/mime.types (the copy in tests/data), included unchanged
for spec in css:text/css js:application/javascript json:application/json svg:image/svg+xml \
    woff2:font/woff2 webp:image/webp mp4:video/mp4 pdf:application/pdf wasm:application/wasm \
    xml:text/xml ico:image/x-icon htm:text/html PNG:image/png Json:application/json; do
    e=${spec%%:*} t=${spec#*:}
    expect_eq "$t" "$(ct "/m.$e")" "mime.types: .$e -> $t"
done
fetch /dir/
expect_eq text/html "$(hv Content-Type)" "index.html -> text/html"
printf 'x\n' >"$WWW/m.unknownext"
expect_eq application/octet-stream "$(ct /m.unknownext)" "default_type application/octet-stream"
expect_eq text/plain "$(ct /raw/file.unknownext)" "location default_type text/plain"
expect_eq text/x-foo "$(ct /typed/a.foo)" "location types { text/x-foo foo bar; }: .foo"
expect_eq text/x-foo "$(ct /typed/b.BAR)" "location types: .BAR (case-insensitive)"
expect_eq text/x-default "$(ct /typed/f.txt)" "location types replace the map: .txt -> its default_type"
expect_eq application/octet-stream "$(ct /ret)" "return 200 TEXT: default_type"

finish
