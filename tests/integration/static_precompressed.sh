#!/usr/bin/env bash
# Precompressed files: gzip_static on|off|always and brotli_static on|off
# serve FILE.gz / FILE.br when Accept-Encoding allows it (q-values, case),
# with Content-Encoding, the original's Content-Type, Vary: Accept-Encoding
# and the variant's own validators (ETag/Last-Modified of FILE.gz).
# brotli_static is not in Debian's nginx: with KTLSD=nginx those cases are
# left out (nginx gets "gzip_vary on", which ktlsd implies).
# shellcheck source=../lib.sh disable=SC2119,SC2016,SC2034
. "${SRCDIR:-$(cd "$(dirname "$0")/../.." && pwd)}/tests/lib.sh"

mkdir -p "$WWW"/{gz,gza,gzoff,br,broff}
for d in gz gza gzoff br broff; do
    "$PY" -c 'print("/* css */\n" + "a { color: blue }\n" * 300)' >"$WWW/$d/s.css"
    gzip -9 -n -c "$WWW/$d/s.css" >"$WWW/$d/s.css.gz"
    touch -d '2021-03-04 05:06:07 UTC' "$WWW/$d/s.css"
    touch -d '2022-11-12 13:14:15 UTC' "$WWW/$d/s.css.gz"
done
for d in br broff; do
    # not a real brotli stream: the server never looks inside
    printf 'BROTLI-VARIANT-OF-s.css\n' >"$WWW/$d/s.css.br"
    touch -d '2023-05-06 07:08:09 UTC' "$WWW/$d/s.css.br"
    printf 'only gz here\n' >"$WWW/$d/g.js"
    gzip -n -c "$WWW/$d/g.js" >"$WWW/$d/g.js.gz"
done
printf 'var x = 1;\n' >"$WWW/gz/plain.js"
printf 'only the gz exists\n' | gzip -n -c >"$WWW/gz/only.txt.gz"
printf 'no variant\n' >"$WWW/gza/novariant.txt"
chmod -R a+rX "$WWW"

SERVER_EXTRA="
        location /gz/ { gzip_static on; }
        location /gza/ { gzip_static always; }
        location /gzoff/ { gzip_static off; }"
if [ "$IS_NGINX" = 1 ]; then
    HTTP_EXTRA="gzip_vary on;"
else
    SERVER_EXTRA="$SERVER_EXTRA
        location /br/ { brotli_static on; gzip_static on; }
        location /broff/ { brotli_static off; gzip_static on; }"
fi
HTTP_EXTRA=${HTTP_EXTRA:-} SERVER_EXTRA=$SERVER_EXTRA gen_config
start_server || finish

G=$WWW/gz/s.css
# gzhit LABEL PATH [curl args]: expect the .gz variant of PATH
gzhit() {
    local label=$1 p=$2 f=$WWW$2
    shift 2
    fetch "$p" "$@"
    expect_eq 200 "$ST" "$label: 200"
    expect_eq gzip "$(hv Content-Encoding)" "$label: Content-Encoding: gzip"
    check "$label: body is the .gz file" body_is "$f.gz"
    expect_eq "$(wc -c <"$f.gz" | tr -d ' ')" "$(hv Content-Length)" "$label: Content-Length of the .gz"
    expect_eq "$(etag_of "$f.gz")" "$(hv ETag)" "$label: ETag of the .gz"
    expect_eq "$(lastmod_of "$f.gz")" "$(hv Last-Modified)" "$label: Last-Modified of the .gz"
}
# plainhit LABEL PATH [curl args]: expect the uncompressed file
plainhit() {
    local label=$1 p=$2 f=$WWW$2
    shift 2
    fetch "$p" "$@"
    expect_eq 200 "$ST" "$label: 200"
    expect_eq "" "$(hv Content-Encoding)" "$label: no Content-Encoding"
    check "$label: body is the plain file" body_is "$f"
    expect_eq "$(etag_of "$f")" "$(hv ETag)" "$label: ETag of the plain file"
}

# ---------------------------------------------------------------- gzip_static on
gzhit "gzip" /gz/s.css -H "Accept-Encoding: gzip"
expect_match '^text/css' "$(hv Content-Type)" "gzip: Content-Type of the original (text/css)"
expect_match '(^|, *)Accept-Encoding($|,)' "$(hv Vary)" "gzip: Vary: Accept-Encoding"
gzhit "gzip, deflate, br" /gz/s.css -H "Accept-Encoding: gzip, deflate, br"
gzhit "deflate, gzip;q=0.5" /gz/s.css -H "Accept-Encoding: deflate, gzip;q=0.5"
gzhit "gzip;q=0.001" /gz/s.css -H "Accept-Encoding: gzip;q=0.001"
gzhit "GZIP (case-insensitive)" /gz/s.css -H "Accept-Encoding: GZIP"
gzhit "identity;q=0, gzip" /gz/s.css -H "Accept-Encoding: identity;q=0, gzip"
plainhit "no Accept-Encoding" /gz/s.css
expect_match '(^|, *)Accept-Encoding($|,)' "$(hv Vary)" "no Accept-Encoding: still Vary: Accept-Encoding"
plainhit "gzip;q=0" /gz/s.css -H "Accept-Encoding: gzip;q=0"
expect_match '(^|, *)Accept-Encoding($|,)' "$(hv Vary)" "gzip;q=0: Vary: Accept-Encoding"
plainhit "deflate, gzip; q=0.000" /gz/s.css -H "Accept-Encoding: deflate, gzip; q=0.000"
plainhit "br only" /gz/s.css -H "Accept-Encoding: br"
plainhit "x-gzip is not gzip" /gz/s.css -H "Accept-Encoding: x-gzip"
plainhit "no .gz variant" /gz/plain.js -H "Accept-Encoding: gzip"
expect_eq "" "$(hv Vary)" "no .gz variant: no Vary"

fetch /gz/s.css -I -H "Accept-Encoding: gzip"
expect_eq gzip "$(hv Content-Encoding)" "HEAD gzip: Content-Encoding"
expect_eq "$(wc -c <"$G.gz" | tr -d ' ')" "$(hv Content-Length)" "HEAD gzip: Content-Length of the .gz"

fetch /gz/only.txt -H "Accept-Encoding: gzip"
expect_eq 200 "$ST" "only FILE.gz exists, gzip accepted -> 200"
check "only FILE.gz: body" body_is "$WWW/gz/only.txt.gz"
expect_eq gzip "$(hv Content-Encoding)" "only FILE.gz: Content-Encoding"
fetch /gz/only.txt
expect_eq 404 "$ST" "only FILE.gz exists, gzip not accepted -> 404"

# a real client decodes it back to the original
rm -f "$T/dec"
st=$(curl "${CURL_OPTS[@]}" --compressed -o "$T/dec" -w '%{http_code}' "$(url /gz/s.css)")
expect_eq 200 "$st" "curl --compressed: 200"
check "curl --compressed: decoded body equals the original" cmp -s "$T/dec" "$G"

# validators per variant
GZE=$(etag_of "$G.gz")
PLE=$(etag_of "$G")
fetch /gz/s.css -H "Accept-Encoding: gzip" -H "If-None-Match: $GZE"
expect_eq 304 "$ST" "If-None-Match: the .gz ETag, gzip accepted -> 304"
expect_eq "$GZE" "$(hv ETag)" "304 for the .gz: its ETag"
expect_match 'Accept-Encoding' "$(hv Vary)" "304 for the .gz: Vary"
fetch /gz/s.css -H "If-None-Match: $GZE"
expect_eq 200 "$ST" "If-None-Match: the .gz ETag, gzip not accepted -> 200 (other variant)"
fetch /gz/s.css -H "Accept-Encoding: gzip" -H "If-None-Match: $PLE"
expect_eq 200 "$ST" "If-None-Match: the plain ETag, gzip accepted -> 200 (other variant)"
expect_eq gzip "$(hv Content-Encoding)" "... and it is the gzip variant"
fetch /gz/s.css -H "If-None-Match: $PLE"
expect_eq 304 "$ST" "If-None-Match: the plain ETag, no gzip -> 304"

# ---------------------------------------------------------------- always / off
gzhit "gzip_static always, no Accept-Encoding" /gza/s.css
gzhit "gzip_static always, gzip;q=0" /gza/s.css -H "Accept-Encoding: gzip;q=0"
fetch /gza/novariant.txt
expect_eq 200 "$ST" "gzip_static always without FILE.gz: 200"
check "gzip_static always without FILE.gz: plain body" body_is "$WWW/gza/novariant.txt"
expect_eq "" "$(hv Content-Encoding)" "gzip_static always without FILE.gz: no Content-Encoding"
plainhit "gzip_static off" /gzoff/s.css -H "Accept-Encoding: gzip"

# ---------------------------------------------------------------- brotli_static (ktlsd only)
if [ "$IS_NGINX" = 0 ]; then
    B=$WWW/br/s.css
    brhit() {
        local label=$1 p=$2 f=$WWW$2
        shift 2
        fetch "$p" "$@"
        expect_eq 200 "$ST" "$label: 200"
        expect_eq br "$(hv Content-Encoding)" "$label: Content-Encoding: br"
        check "$label: body is the .br file" body_is "$f.br"
        expect_eq "$(wc -c <"$f.br" | tr -d ' ')" "$(hv Content-Length)" "$label: Content-Length of the .br"
        expect_eq "$(etag_of "$f.br")" "$(hv ETag)" "$label: ETag of the .br"
        expect_match '^text/css' "$(hv Content-Type)" "$label: Content-Type of the original"
        expect_match 'Accept-Encoding' "$(hv Vary)" "$label: Vary: Accept-Encoding"
    }
    brhit "br" /br/s.css -H "Accept-Encoding: br"
    brhit "gzip, deflate, br (br preferred at equal q)" /br/s.css -H "Accept-Encoding: gzip, deflate, br"
    brhit "BR;q=0.5" /br/s.css -H "Accept-Encoding: BR;q=0.5"
    gzhit "br;q=0, gzip" /br/s.css -H "Accept-Encoding: br;q=0, gzip"
    gzhit "br + gzip accepted, only FILE.gz" /br/g.js -H "Accept-Encoding: gzip, br"
    plainhit "br;q=0" /br/s.css -H "Accept-Encoding: br;q=0"
    plainhit "no Accept-Encoding (brotli)" /br/s.css
    gzhit "brotli_static off, br + gzip accepted" /broff/s.css -H "Accept-Encoding: br, gzip"
    plainhit "brotli_static off, br only" /broff/s.css -H "Accept-Encoding: br"
    fetch /br/s.css -I -H "Accept-Encoding: br"
    expect_eq "$(wc -c <"$B.br" | tr -d ' ')" "$(hv Content-Length)" "HEAD br: Content-Length of the .br"
    fetch /br/s.css -H "Accept-Encoding: br" -H "If-None-Match: $(etag_of "$B.br")"
    expect_eq 304 "$ST" "If-None-Match: the .br ETag, br accepted -> 304"
    fetch /br/s.css -H "Accept-Encoding: gzip" -H "If-None-Match: $(etag_of "$B.br")"
    expect_eq 200 "$ST" "If-None-Match: the .br ETag, only gzip accepted -> 200"
    expect_eq gzip "$(hv Content-Encoding)" "... and it is the gzip variant"
else
    log "brotli_static: not in Debian's nginx, cases skipped"
fi

finish
