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
BRMOD=/usr/lib/nginx/modules/ngx_http_brotli_filter_module.so

# ~100 KB of words (compressible), a page, JSON, CSS, a tiny file, random bytes
shuf -r -n 17000 --random-source=<(yes) -e kernel tls static file server nginx gzip brotli cache |
    tr '\n' ' ' | head -c 102400 >"$WWW/a.txt"
{ printf '<html>'; head -c 5000 "$WWW/a.txt"; printf '</html>\n'; } >"$WWW/page.html"
{ printf '{"k": "'; head -c 3000 "$WWW/a.txt"; printf '"}\n'; } >"$WWW/d.json"
for _ in $(seq 100); do echo 'a { color: red }'; done >"$WWW/s.css"
printf 'tiny\n' >"$WWW/tiny.txt"
head -c 4000 /dev/urandom >"$WWW/b.bin"
chmod -R a+rX "$WWW"

# pair_http NAME PORT: the http{} body both servers run (plain HTTP)
pair_http() {
    cat <<CONF
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
CONF
}
[ -f "$BRMOD" ] || log "no $BRMOD: the brotli location is checked against ktlsd alone"
[ -f "$BRMOD" ] && PAIR_NGINX_MAIN="load_module $BRMOD;"
PAIR_SCHEME=http
PAIR_HEADERS="Content-Type Content-Encoding Vary ETag Accept-Ranges Content-Range"
pair_start


AE=(-H 'Accept-Encoding: gzip, deflate')
pair_same "text/plain, gzip" /a.txt "${AE[@]}"
expect_eq gzip "$(header Content-Encoding <"$T/k.h")" "text/plain is gzipped"
expect_match '^W/"' "$(header ETag <"$T/k.h")" "... with a weak ETag"
check "... decoding to the file" cmp -s "$T/k.b" "$WWW/a.txt"
pair_same "no Accept-Encoding" /a.txt
pair_same "gzip;q=0" /a.txt -H 'Accept-Encoding: gzip;q=0'
pair_same "text/html, always a gzip type" /page.html "${AE[@]}"
pair_same "application/json" /d.json "${AE[@]}"
pair_same "text/css, not listed" /s.css "${AE[@]}"
pair_same "below gzip_min_length" /tiny.txt "${AE[@]}"
pair_same "binary" /b.bin "${AE[@]}"
pair_same "HEAD" /a.txt -I "${AE[@]}"
pair_same "a range of a gzipped answer: ignored" /a.txt -H 'Range: bytes=0-9' "${AE[@]}"
pair_same "a range without Accept-Encoding" /a.txt -H 'Range: bytes=0-9'
pair_same "HTTP/1.0 (gzip_http_version 1.1)" /a.txt -0 "${AE[@]}"
pair_same "gzip_http_version 1.0" /http10/a.txt -0 "${AE[@]}"
pair_same "Via, gzip_proxied off" /a.txt -H 'Via: 1.1 proxy' "${AE[@]}"
pair_same "Via, gzip_proxied any" /proxied/a.txt -H 'Via: 1.1 proxy' "${AE[@]}"
pair_same "gzip_disable" /a.txt -A 'Badbot/2' "${AE[@]}"
pair_same "gzip off" /off/a.txt "${AE[@]}"
pair_same "404 page" /missing.txt "${AE[@]}"
ETAG=$(curl -s -o /dev/null -D - "http://127.0.0.1:$PB/a.txt" | tr -d '\r' | header ETag)
pair_same "If-None-Match with the strong ETag" /a.txt -H "If-None-Match: $ETAG" "${AE[@]}"
pair_same "If-None-Match with the weak ETag" /a.txt -H "If-None-Match: W/$ETAG" "${AE[@]}"

BR=(-H 'Accept-Encoding: gzip, br')
if [ -f "$BRMOD" ]; then
    pair_same "brotli, text/plain" /brotli/a.txt "${BR[@]}"
    pair_same "brotli, text/css (a brotli type only)" /brotli/s.css "${BR[@]}"
    pair_same "brotli location, gzip only" /brotli/a.txt "${AE[@]}"
    pair_same "brotli location, json: gzip" /brotli/d.json "${BR[@]}"
fi
pair_get "$PB" k /brotli/a.txt "${BR[@]}"
expect_eq br "$(header Content-Encoding <"$T/k.h")" "brotli first when the client takes it"
check "... decoding to the file" cmp -s "$T/k.b" "$WWW/a.txt"
pair_get "$PB" k /brotli/tiny.txt "${BR[@]}"
expect_eq "" "$(header Content-Encoding <"$T/k.h")" "below brotli_min_length"

# ------------------------------------------------- the cache (ktlsd only)
# a repeat comes from the cache: same bytes; a rewritten file is compressed anew
pair_get "$PB" k1 /a.txt "${AE[@]}"
pair_get "$PB" k2 /a.txt "${AE[@]}"
check "a repeat: the same compressed bytes" cmp -s "$T/k1.raw" "$T/k2.raw"
python3 -c 'import sys; open(sys.argv[1], "w").write("changed " * 2000)' "$WWW/a.txt"
touch -d '+1 sec' "$WWW/a.txt"
pair_get "$PB" k3 /a.txt "${AE[@]}"
expect_eq "changed changed" "$(head -c 15 "$T/k3.b")" "a changed file is compressed again"
stop_server

# compress_cache_size 0: no cache, still compressed
sed -i 's/^    gzip on;/    gzip on; compress_cache_size 0;/' "$T/test.conf"
start_server "$T/test.conf" "$PB" || finish
pair_get "$PB" k /a.txt "${AE[@]}"
expect_eq gzip "$(header Content-Encoding <"$T/k.h")" "compress_cache_size 0: compressed anew"
check "... decoding to the file" cmp -s "$T/k.b" "$WWW/a.txt"
stop_server

# errors, with FILE:LINE
conf_rejects "gzip_comp_level 10" "gzip_comp_level 10;" 'invalid value "10"'
conf_rejects "brotli_comp_level 12" "brotli_comp_level 12;" 'invalid value "12"'
conf_rejects "gzip_proxied bogus" "gzip_proxied expired bogus;" 'invalid value "bogus"'
conf_rejects "gzip_http_version 2.0" "gzip_http_version 2.0;" 'invalid value "2.0"'
conf_rejects "gzip_disable bad regex" 'gzip_disable "(";' 'pcre2_compile\(\) failed'
conf_rejects "gzip_types twice" "gzip_types text/css; gzip_types text/xml;" '"gzip_types" directive is duplicate'
conf_rejects "compress_cache_size bad" "compress_cache_size 1x;" 'invalid size "1x"'
finish
