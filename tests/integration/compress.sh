#!/usr/bin/env bash
# Compression on the fly: gzip (nginx's gzip module) and brotli (Google's
# ngx_brotli, Debian's libnginx-mod-http-brotli-filter) against nginx with
# one config served by both: status, Content-Type, Content-Encoding, Vary,
# ETag (weakened), Accept-Ranges and Content-Range must agree, and bodies
# must decompress to the same bytes. nginx answers compressed bodies
# chunked, ktlsd with Content-Length (it has the whole body): not compared.
# Then what only ktlsd has: the cache (a repeat is served from memory, a
# changed file is compressed again, compress_cache_size 0), and FILE:LINE
# errors.
# shellcheck source=../lib.sh disable=SC2119,SC2016,SC2034
. "${SRCDIR:-$(cd "$(dirname "$0")/../.." && pwd)}/tests/lib.sh"
need curl gzip brotli
NGINX=${NGINX:-/usr/sbin/nginx}
[ -x "$NGINX" ] || skip "no reference nginx at $NGINX"
BRMOD=/usr/lib/nginx/modules/ngx_http_brotli_filter_module.so

python3 - "$WWW" <<'PY'
import random, sys
r = random.Random(5)
w = ["kernel", "tls", "static", "file", "server", "nginx", "gzip", "brotli", "cache"]
text = " ".join(r.choice(w) for _ in range(17000))[:102400]
open(sys.argv[1] + "/a.txt", "w").write(text)
open(sys.argv[1] + "/page.html", "w").write("<html>" + text[:5000] + "</html>\n")
open(sys.argv[1] + "/d.json", "w").write('{"k": "' + text[:3000] + '"}\n')
open(sys.argv[1] + "/s.css", "w").write("a { color: red }\n" * 100)
open(sys.argv[1] + "/tiny.txt", "w").write("tiny\n")
open(sys.argv[1] + "/b.bin", "wb").write(bytes(r.getrandbits(8) for _ in range(4000)))
PY
chmod -R a+rX "$WWW"

# conf NAME PORT EXTRA_MAIN: one config for both servers
conf() {
    local main=""
    [ "$1" = nginx ] && main="daemon off; user root;"
    [ "$1" = nginx ] && [ -f "$BRMOD" ] && main="load_module $BRMOD; $main"
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
    gzip on;
    gzip_types text/plain application/json;
    gzip_comp_level 5;
    gzip_min_length 100;
    gzip_vary on;
    gzip_disable "Badbot/[0-9]";
    server {
        listen 127.0.0.1:$2;
        root $WWW;
        location /brotli/ {
            alias $WWW/;
            brotli on;
            brotli_types text/css text/plain;
            brotli_comp_level 4;
            brotli_min_length 10;
        }
        location /proxied/ {
            alias $WWW/;
            gzip_proxied any;
        }
        location /http10/ {
            alias $WWW/;
            gzip_http_version 1.0;
        }
        location /off/ {
            alias $WWW/;
            gzip off;
        }
    }
}
CONF
}
NPORT=$(free_port)
KPORT=$(free_port)
[ -f "$BRMOD" ] || log "no $BRMOD: the brotli location is checked against ktlsd alone"
conf ktlsd "$KPORT"
conf nginx "$NPORT"
start_server "$T/ktlsd.conf" "$KPORT" || finish
mkdir -p "$T/ng"
setsid "$NGINX" -p "$T/ng/" -e "$T/ng/stderr.log" -c "$T/nginx.conf" >"$T/ng/out" 2>&1 </dev/null &
SERVER_PIDS+=("$!")
wait_port "$NPORT" || { fail "nginx does not start"; cat "$T/ng/stderr.log"; finish; }

# get PORT NAME PATH [curl args]: headers into $T/NAME.h, the decoded body into $T/NAME.b
get() {
    local port=$1 name=$2 path=$3
    shift 3
    : >"$T/$name.raw"
    curl -s --max-time 5 -o "$T/$name.raw" -D "$T/$name.h" "$@" "http://127.0.0.1:$port$path"
    tr -d '\r' <"$T/$name.h" >"$T/$name.h2" && mv "$T/$name.h2" "$T/$name.h"
    case "$(header Content-Encoding <"$T/$name.h")" in
        gzip) gzip -dc <"$T/$name.raw" >"$T/$name.b" 2>/dev/null ;;
        br) brotli -dc <"$T/$name.raw" >"$T/$name.b" 2>/dev/null ;;
        *) cp "$T/$name.raw" "$T/$name.b" ;;
    esac
    sed -i "s/ktlsd/nginx/; s,nginx/[0-9.]*<,nginx<," "$T/$name.b" # a generated page's signature
}

# same WHAT PATH [curl args]: both servers agree
same() {
    local what=$1 path=$2 h k n
    shift 2
    get "$KPORT" k "$path" "$@"
    get "$NPORT" n "$path" "$@"
    expect_eq "$(head -n1 "$T/n.h" | cut -d' ' -f2)" "$(head -n1 "$T/k.h" | cut -d' ' -f2)" "$what: status"
    for h in Content-Type Content-Encoding Vary ETag Accept-Ranges Content-Range; do
        expect_eq "$(header "$h" <"$T/n.h")" "$(header "$h" <"$T/k.h")" "$what: $h"
    done
    if cmp -s "$T/n.b" "$T/k.b"; then
        ok "$what: same decoded body"
    else
        fail "$what: same decoded body"
        head -c 300 "$T/n.b" | sed 's/^/#   nginx | /'
        head -c 300 "$T/k.b" | sed 's/^/#   ktlsd | /'
    fi
}

AE=(-H 'Accept-Encoding: gzip, deflate')
same "text/plain, gzip" /a.txt "${AE[@]}"
expect_eq gzip "$(header Content-Encoding <"$T/k.h")" "text/plain is gzipped"
expect_match '^W/"' "$(header ETag <"$T/k.h")" "... with a weak ETag"
check "... decoding to the file" cmp -s "$T/k.b" "$WWW/a.txt"
same "no Accept-Encoding" /a.txt
same "gzip;q=0" /a.txt -H 'Accept-Encoding: gzip;q=0'
same "text/html, always a gzip type" /page.html "${AE[@]}"
same "application/json" /d.json "${AE[@]}"
same "text/css, not listed" /s.css "${AE[@]}"
same "below gzip_min_length" /tiny.txt "${AE[@]}"
same "binary" /b.bin "${AE[@]}"
same "HEAD" /a.txt -I "${AE[@]}"
same "a range of a gzipped answer: ignored" /a.txt -H 'Range: bytes=0-9' "${AE[@]}"
same "a range without Accept-Encoding" /a.txt -H 'Range: bytes=0-9'
same "HTTP/1.0 (gzip_http_version 1.1)" /a.txt -0 "${AE[@]}"
same "gzip_http_version 1.0" /http10/a.txt -0 "${AE[@]}"
same "Via, gzip_proxied off" /a.txt -H 'Via: 1.1 proxy' "${AE[@]}"
same "Via, gzip_proxied any" /proxied/a.txt -H 'Via: 1.1 proxy' "${AE[@]}"
same "gzip_disable" /a.txt -A 'Badbot/2' "${AE[@]}"
same "gzip off" /off/a.txt "${AE[@]}"
same "404 page" /missing.txt "${AE[@]}"
ETAG=$(curl -s -o /dev/null -D - "http://127.0.0.1:$KPORT/a.txt" | tr -d '\r' | header ETag)
same "If-None-Match with the strong ETag" /a.txt -H "If-None-Match: $ETAG" "${AE[@]}"
same "If-None-Match with the weak ETag" /a.txt -H "If-None-Match: W/$ETAG" "${AE[@]}"

BR=(-H 'Accept-Encoding: gzip, br')
if [ -f "$BRMOD" ]; then
    same "brotli, text/plain" /brotli/a.txt "${BR[@]}"
    same "brotli, text/css (a brotli type only)" /brotli/s.css "${BR[@]}"
    same "brotli location, gzip only" /brotli/a.txt "${AE[@]}"
    same "brotli location, json: gzip" /brotli/d.json "${BR[@]}"
fi
get "$KPORT" k /brotli/a.txt "${BR[@]}"
expect_eq br "$(header Content-Encoding <"$T/k.h")" "brotli first when the client takes it"
check "... decoding to the file" cmp -s "$T/k.b" "$WWW/a.txt"
get "$KPORT" k /brotli/tiny.txt "${BR[@]}"
expect_eq "" "$(header Content-Encoding <"$T/k.h")" "below brotli_min_length"

# ------------------------------------------------- the cache (ktlsd only)
# a repeat comes from the cache: same bytes; a rewritten file is compressed anew
get "$KPORT" k1 /a.txt "${AE[@]}"
get "$KPORT" k2 /a.txt "${AE[@]}"
check "a repeat: the same compressed bytes" cmp -s "$T/k1.raw" "$T/k2.raw"
python3 -c 'import sys; open(sys.argv[1], "w").write("changed " * 2000)' "$WWW/a.txt"
touch -d '+1 sec' "$WWW/a.txt"
get "$KPORT" k3 /a.txt "${AE[@]}"
expect_eq "changed changed" "$(head -c 15 "$T/k3.b")" "a changed file is compressed again"
stop_server

# compress_cache_size 0: no cache, still compressed
sed -i 's/^    gzip on;/    gzip on; compress_cache_size 0;/' "$T/ktlsd.conf"
start_server "$T/ktlsd.conf" "$KPORT" || finish
get "$KPORT" k /a.txt "${AE[@]}"
expect_eq gzip "$(header Content-Encoding <"$T/k.h")" "compress_cache_size 0: compressed anew"
check "... decoding to the file" cmp -s "$T/k.b" "$WWW/a.txt"
stop_server

# errors, with FILE:LINE
bad() { # bad WHAT LINE_TEXT MSG_ERE
    printf 'events {}\nhttp {\n    %s\n    server { listen 127.0.0.1:1; }\n}\n' "$2" >"$T/bad.conf"
    "$KTLSD" -t -c "$T/bad.conf" >"$T/bad.out" 2>&1
    expect_file_match "\[emerg\] $T/bad.conf:3: $3" "$T/bad.out" "$1"
}
bad "gzip_comp_level 10" "gzip_comp_level 10;" 'invalid value "10"'
bad "brotli_comp_level 12" "brotli_comp_level 12;" 'invalid value "12"'
bad "gzip_proxied bogus" "gzip_proxied expired bogus;" 'invalid value "bogus"'
bad "gzip_http_version 2.0" "gzip_http_version 2.0;" 'invalid value "2.0"'
bad "gzip_disable bad regex" 'gzip_disable "(";' 'pcre2_compile\(\) failed'
bad "gzip_types twice" "gzip_types text/css; gzip_types text/xml;" '"gzip_types" directive is duplicate'
bad "compress_cache_size bad" "compress_cache_size 1x;" 'invalid size "1x"'
finish
