#!/usr/bin/env bash
# HTTP behaviour over TLS (curl, openssl s_client, python ssl) and over a
# plain listener (sendfile path).
# shellcheck source=../lib.sh disable=SC2119,SC2016,SC2034
. "${SRCDIR:-$(cd "$(dirname "$0")/../.." && pwd)}/tests/lib.sh"

# ---------------------------------------------------------------- content
for s in 0 1 16384 16385 1048576; do mkfile "f$s.bin" "$s"; done
printf '<html>hello</html>\n' >"$WWW/index.html"
printf 'body { color: red }\n' >"$WWW/style.css"
printf 'plain text\n' >"$WWW/a.txt"
printf 'whatever\n' >"$WWW/data.unknownext"
mkdir -p "$WWW/dir" "$WWW/noindex"
printf '<html>dir index</html>\n' >"$WWW/dir/index.html"
printf 'x\n' >"$WWW/noindex/file.txt"
printf 'TOPSECRET\n' >"$T/secret.txt" # beside the root, never served
ln -s ../secret.txt "$WWW/link.txt"
ln -s "$T" "$WWW/linkdir"
chmod -R a+rX "$WWW"
touch -d '2021-03-04 05:06:07 UTC' "$WWW/a.txt"

PLAIN=1 gen_config
start_server || finish

# ---------------------------------------------------------------- bodies
for s in 0 1 16384 16385 1048576; do
    rm -f "$T/out"
    st=$(curl "${CURL_OPTS[@]}" -o "$T/out" -w '%{http_code}' "$(url "/f$s.bin")")
    expect_eq 200 "$st" "GET /f$s.bin status"
    check "GET /f$s.bin body is byte-identical" cmp -s "$T/out" "$WWW/f$s.bin"
done

# ---------------------------------------------------------------- HEAD
h=$(hheaders "$(url /f16385.bin)" -I)
expect_match '^HTTP/1.1 200' "$(echo "$h" | head -n1)" "HEAD status"
expect_eq 16385 "$(echo "$h" | header Content-Length)" "HEAD Content-Length"
resp=$(printf 'HEAD /f16385.bin HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n' |
    raw --tls "$PORT" 2>/dev/null | od -An -c | tr -d ' \n')
# everything after the header terminator must be empty
expect_match '\\r\\n\\r\\n$' "${resp: -40}" "HEAD response has no body"

# ---------------------------------------------------------------- headers
ctype() { hheaders "$(url "$1")" | header Content-Type; }
expect_match '^text/html' "$(ctype /index.html)" "Content-Type .html"
expect_match '^text/css' "$(ctype /style.css)" "Content-Type .css"
expect_match '^text/plain' "$(ctype /a.txt)" "Content-Type .txt"
expect_eq application/octet-stream "$(ctype /data.unknownext)" "Content-Type unknown extension"

h=$(hheaders "$(url /a.txt)")
expect_eq 11 "$(echo "$h" | header Content-Length)" "Content-Length"
expect_eq "Thu, 04 Mar 2021 05:06:07 GMT" "$(echo "$h" | header Last-Modified)" "Last-Modified"
d=$(echo "$h" | header Date)
expect_match '^(Mon|Tue|Wed|Thu|Fri|Sat|Sun), [0-9]{2} [A-Z][a-z]{2} [0-9]{4} [0-9]{2}:[0-9]{2}:[0-9]{2} GMT$' "$d" "Date format"
dd=$(($(date +%s) - $(date -d "$d" +%s 2>/dev/null || echo 0)))
check "Date is current (off by ${dd}s)" test "${dd#-}" -le 5
if [ "$IS_NGINX" = 1 ]; then
    expect_match '^nginx' "$(echo "$h" | header Server)" "Server header"
else
    expect_match '^ktlsd(/[0-9][0-9a-z.+-]*)?$' "$(echo "$h" | header Server)" "Server header"
fi

# ---------------------------------------------------------------- dirs, errors
h=$(hheaders "$(url /dir)")
expect_match '^HTTP/1.1 301' "$(echo "$h" | head -n1)" "directory without slash -> 301"
expect_match '/dir/$' "$(echo "$h" | header Location)" "301 Location ends in /dir/"
curl "${CURL_OPTS[@]}" -o "$T/out" "$(url /dir/)"
check "GET /dir/ serves dir/index.html" cmp -s "$T/out" "$WWW/dir/index.html"
curl "${CURL_OPTS[@]}" -o "$T/out" "$(url /)"
check "GET / serves index.html" cmp -s "$T/out" "$WWW/index.html"
expect_eq 403 "$(hstatus "$(url /noindex/)")" "directory without index -> 403"
expect_eq 404 "$(hstatus "$(url /nope.html)")" "missing file -> 404"
expect_eq 404 "$(hstatus "$(url /dir/nope/deeper)")" "missing nested path -> 404"
expect_eq 200 "$(hstatus "$(url /a%2etxt)")" "percent-encoded name decoded"

for m in POST DELETE OPTIONS PUT; do
    if [ $m = POST ]; then extra=(-d 'x=1'); else extra=(); fi
    h=$(hheaders "$(url /a.txt)" -X $m "${extra[@]}")
    expect_match '^HTTP/1.1 405' "$(echo "$h" | head -n1)" "$m -> 405"
    if [ "$IS_NGINX" = 0 ]; then
        expect_match '^GET, ?HEAD$' "$(echo "$h" | header Allow)" "$m 405 has Allow: GET, HEAD"
    fi
done

expect_eq 400 "$(hstatus "$(url /a%00.txt)")" "%00 in path -> 400"

# ---------------------------------------------------------------- traversal
for p in '/../secret.txt' '/%2e%2e/secret.txt' '/%2E%2E/secret.txt' '//../secret.txt' \
    '/dir/../../secret.txt' '/dir/%2e%2e/%2e%2e/secret.txt' '/..%2fsecret.txt' \
    '/dir/..%2f..%2fsecret.txt' '/./../secret.txt' '/dir/./../../secret.txt'; do
    st=$(curl "${CURL_OPTS[@]}" --path-as-is -o "$T/out" -w '%{http_code}' "$(url "$p")")
    expect_in "400 403 404" "$st" "traversal $p -> 400/403/404"
    check_not "traversal $p does not leak the secret" grep -q TOPSECRET "$T/out"
    # same request, raw (no client-side normalisation), plain listener
    printf 'GET %s HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n' "$p" |
        raw "$PLAIN_PORT" >"$T/out" 2>/dev/null
    check_not "raw traversal $p does not leak the secret" grep -q TOPSECRET "$T/out"
done
# Symlinks are the operator's own doing: with disable_symlinks off (the
# default, as in nginx) they are followed, out of the root too. "on" refuses
# them (tests/integration/nginx_compare.sh, static_request.sh).
for p in /link.txt /linkdir/secret.txt; do
    st=$(curl "${CURL_OPTS[@]}" -o "$T/out" -w '%{http_code}' "$(url "$p")")
    expect_eq 200 "$st" "symlink out of root $p followed (disable_symlinks off, as nginx)"
done

# ---------------------------------------------------------------- limits
long=$(head -c 10240 /dev/zero | tr '\0' 'a')
expect_eq 414 "$(hstatus "$(url "/$long")")" "10 KiB URL -> 414"
big=$(head -c 20480 /dev/zero | tr '\0' 'b')
st=$(hstatus "$(url /a.txt)" -H "X-Big: $big")
expect_eq 400 "$st" "one 20 KiB header -> 400 (as nginx: Request Header Or Cookie Too Large)"
hargs=()
for i in $(seq 1 40); do hargs+=(-H "X-H$i: $(head -c 500 /dev/zero | tr '\0' 'c')"); done
st=$(hstatus "$(url /a.txt)" "${hargs[@]}")
if [ "$IS_NGINX" = 1 ]; then
    expect_eq 200 "$st" "40 x 512 B headers (nginx: 200, 32 KiB limit)"
else
    expect_eq 400 "$st" "40 x 512 B headers (20 KiB) -> 400 (over the 16 KiB read buffer)"
fi

resp=$(printf 'GET /a.txt HTTP/1.1\r\n\r\n' | raw --tls "$PORT" 2>/dev/null | head -n1 | tr -d '\r')
expect_match '^HTTP/1.1 400' "$resp" "HTTP/1.1 without Host -> 400"
resp=$(printf 'GET /a.txt HTTP/1.0\r\n\r\n' | raw --tls "$PORT" 2>/dev/null | head -n1 | tr -d '\r')
expect_match '^HTTP/1.[01] 200' "$resp" "HTTP/1.0 without Host -> 200"

# ---------------------------------------------------------------- connections
n=$(curl "${CURL_OPTS[@]}" -o /dev/null -o /dev/null -w '%{num_connects}\n' \
    "$(url /a.txt)" "$(url /f16385.bin)" | tr '\n' ' ')
expect_eq "1 0 " "$n" "keep-alive: curl reuses the connection for the second URL"

printf 'GET /a.txt HTTP/1.0\r\n\r\n' | raw --tls --timeout 3 "$PORT" >"$T/out" 2>"$T/err"
st=$?
expect_eq 0 "$st" "HTTP/1.0 request: server closes the connection"
check "HTTP/1.0 response body" grep -q '^plain text' "$T/out"
printf 'GET /a.txt HTTP/1.0\r\nConnection: keep-alive\r\n\r\n' | raw --tls --timeout 1.5 "$PORT" >"$T/out" 2>/dev/null
expect_eq 2 "$?" "HTTP/1.0 with Connection: keep-alive stays open"
printf 'GET /a.txt HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n' | raw --tls --timeout 3 "$PORT" >"$T/out" 2>/dev/null
expect_eq 0 "$?" "HTTP/1.1 Connection: close -> closed"

req() { printf 'GET /f16385.bin HTTP/1.1\r\nHost: localhost\r\n\r\nGET /a.txt HTTP/1.1\r\nHost: localhost\r\n\r\nGET /f1048576.bin HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n'; }
exp="200 16385 $(md5 "$WWW/f16385.bin") 200 11 $(md5 "$WWW/a.txt") 200 1048576 $(md5 "$WWW/f1048576.bin") "
got=$(req | raw --tls --split --timeout 5 "$PORT" 2>/dev/null | tr '\n' ' ')
expect_eq "$exp" "$got" "3 pipelined requests over TLS, in order"
got=$(req | raw --split --timeout 5 "$PLAIN_PORT" 2>/dev/null | tr '\n' ' ')
expect_eq "$exp" "$got" "3 pipelined requests over plain TCP, in order"

printf '\x01\x02\x03garbage\xff\r\n\r\n' | raw --tls --timeout 3 "$PORT" >"$T/out" 2>/dev/null
st=$?
expect_match '^HTTP/1.1 400' "$(head -n1 "$T/out" | tr -d '\r')" "garbage -> 400"
expect_eq 0 "$st" "garbage -> connection closed"
printf 'GET /a.txt HTTP/1.1\r\nHost: x\r\nBad Header Line\r\n\r\n' | raw --tls --timeout 3 "$PORT" >"$T/out" 2>/dev/null
expect_match '^HTTP/1.1 400' "$(head -n1 "$T/out" | tr -d '\r')" "header line without colon -> 400"
printf 'GET /a.txt HTTP/9.9\r\nHost: x\r\n\r\n' | raw --tls --timeout 3 "$PORT" >"$T/out" 2>/dev/null
expect_match '^HTTP/1.1 (400|505)' "$(head -n1 "$T/out" | tr -d '\r')" "HTTP/9.9 -> 400/505"

# ---------------------------------------------------------------- TLS
for v in 1.2 1.3; do
    out=$(printf 'GET /a.txt HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n' |
        timeout 5 openssl s_client -connect "127.0.0.1:$PORT" -servername localhost \
            "-tls${v/./_}" -alpn http/1.1 -ign_eof 2>&1)
    expect_match "Protocol *: *TLSv$v" "$(echo "$out" | grep -E '^ *Protocol *:' | head -n1)" "TLS $v negotiates"
    expect_match 'ALPN protocol: http/1.1' "$(echo "$out" | grep ALPN)" "TLS $v: ALPN http/1.1 selected"
    check "TLS $v: request served" grep -q '^plain text' <<<"$out"
done
# ALPN: the HTTP/1.x versions are accepted (curl -0 offers only http/1.0);
# a protocol we do not speak alone (h2) gets the fatal no_application_protocol
# alert, as from nginx.
for p in http/1.0 http/0.9; do
    out=$(printf 'GET /a.txt HTTP/1.0\r\nHost: localhost\r\n\r\n' |
        timeout 5 openssl s_client -connect "127.0.0.1:$PORT" -servername localhost \
            -alpn "$p" -ign_eof 2>&1)
    expect_match "ALPN protocol: $p" "$(echo "$out" | grep ALPN)" "ALPN $p alone is selected"
    check "ALPN $p: request served" grep -q '^plain text' <<<"$out"
done
out=$(timeout 5 openssl s_client -connect "127.0.0.1:$PORT" -servername localhost \
    -alpn h2,http/1.0,http/1.1 </dev/null 2>&1)
expect_match 'ALPN protocol: http/1.1' "$(echo "$out" | grep ALPN)" "ALPN h2,http/1.0,http/1.1 -> http/1.1"
out=$(timeout 5 openssl s_client -connect "127.0.0.1:$PORT" -servername localhost \
    -alpn h2 </dev/null 2>&1)
expect_match 'alert no application protocol' "$out" "ALPN h2 alone -> fatal no_application_protocol alert"
rm -f "$T/out"
st=$(curl -sv -k --max-time 5 -0 -o "$T/out" -w '%{http_code}' "$(url /a.txt)" 2>"$T/curl.err")
expect_eq 200 "$st" "curl -0 (HTTP/1.0, ALPN http/1.0) -> 200"
check "curl -0: ALPN http/1.0 accepted" grep -qiE 'ALPN.*(accepted|server accepted to use) http/1\.0' "$T/curl.err"
check "curl -0: body" cmp -s "$T/out" "$WWW/a.txt"
st=$(curl "${CURL_OPTS[@]}" --tlsv1.2 --tls-max 1.2 -o /dev/null -w '%{http_code}' "$(url /a.txt)")
expect_eq 200 "$st" "curl --tls-max 1.2 -> 200"
st=$(curl "${CURL_OPTS[@]}" --tlsv1.3 -o /dev/null -w '%{http_code}' "$(url /a.txt)")
expect_eq 200 "$st" "curl --tlsv1.3 -> 200"
st=$(curl -s --max-time 5 --cacert "$CERT" -o /dev/null -w '%{http_code}' "https://localhost:$PORT/a.txt" \
    --resolve "localhost:$PORT:127.0.0.1")
expect_eq 200 "$st" "certificate verifies for CN/SAN localhost"
out=$(curl -s --max-time 5 -o /dev/null -w '%{http_code}' "http://127.0.0.1:$PORT/a.txt")
expect_ne 200 "$out" "plain HTTP on the TLS port is not served as 200"

# ---------------------------------------------------------------- plain listener
for s in 0 16385 1048576; do
    rm -f "$T/out"
    st=$(curl "${CURL_OPTS[@]}" -o "$T/out" -w '%{http_code}' "$(purl "/f$s.bin")")
    expect_eq 200 "$st" "plain GET /f$s.bin status"
    check "plain GET /f$s.bin body is byte-identical" cmp -s "$T/out" "$WWW/f$s.bin"
done
h=$(hheaders "$(purl /f1048576.bin)" -I)
expect_eq 1048576 "$(echo "$h" | header Content-Length)" "plain HEAD Content-Length"
n=$(curl "${CURL_OPTS[@]}" -o /dev/null -o /dev/null -w '%{num_connects}\n' \
    "$(purl /f1048576.bin)" "$(purl /a.txt)" | tr '\n' ' ')
expect_eq "1 0 " "$n" "plain keep-alive after a 1 MiB sendfile"

# server still healthy after all that
expect_eq 200 "$(hstatus "$(url /a.txt)")" "still serving at the end"
stop_server
expect_eq 0 "$?" "SIGTERM: clean exit status 0"
finish
