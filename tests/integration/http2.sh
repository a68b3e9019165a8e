#!/usr/bin/env bash
# HTTP/2 (ALPN h2, "http2 on" and "listen ... http2"): everything a request
# gets over HTTP/1.1 it gets over HTTP/2 from the same pipeline: files
# byte-identical (small, 16 KiB record boundary, 3 MiB), ranges (single and
# multipart), conditionals (304), HEAD (no DATA), precompressed .gz, 404 and
# error_page, return, autoindex, the status page, client_max_body_size (413)
# and other methods (405); no connection-specific header ever; $server_protocol
# is HTTP/2.0 and the access log says so; "sendfile off" (the copying path);
# h2c with prior knowledge beside HTTP/1.1 on a plain listener with "http2
# on"; HTTP/1.1 on the same TLS port; a reload sends GOAWAY and lets the
# stream in flight finish (tests/clients/h2_goaway.py); ALPN
# prefers h2; nghttp sees SETTINGS with our limits and many concurrent streams
# answered; h2load (short, bounded) all 2xx; a graceful stop lets a slow
# download in flight finish after GOAWAY.
# shellcheck source=../lib.sh disable=SC2119,SC2016,SC2034
. "${SRCDIR:-$(cd "$(dirname "$0")/../.." && pwd)}/tests/lib.sh"
[ "$IS_NGINX" = 1 ] && skip "the status page and \$ktls are ktlsd's own"
need nghttp h2load

mkfile small.bin 1000
mkfile rec.bin 16375
mkfile big.bin 3000000
mkdir -p "$WWW/dir"
printf 'x\n' >"$WWW/dir/f.txt"
printf 'plain text\n' >"$WWW/t.txt"
gzip -9 -c "$WWW/t.txt" >"$WWW/t.txt.gz"
chmod -R a+rX "$WWW"

SERVER_EXTRA='http2 on;
        http2_max_concurrent_streams 32;
        client_max_body_size 1k;
        add_header X-Proto $server_protocol;
        location /dir/ { autoindex on; }
        location = /moved { return 301 /t.txt; }
        location = /cookie { return 200 "$http_cookie|$cookie_b\n"; }
        location = /status { ktlsd_status; }
        location /gz/ { alias '"$WWW"'/; gzip_static on; }
        location /nosf/ { alias '"$WWW"'/; sendfile off; }
        error_page 404 /404.html;' PLAIN=1 gen_config
printf 'custom not found\n' >"$WWW/404.html"
chmod 644 "$WWW/404.html"
start_server || finish

CURL_OPTS=(-s -k --max-time 10 --http2)

# ---------------------------------------------------------------- files
for f in small.bin rec.bin big.bin; do
    fetch "/$f"
    expect_eq 200 "$ST" "h2 GET /$f -> 200"
    check "h2 GET /$f: body byte-identical" body_is "$WWW/$f"
done
expect_match '^HTTP/2 200' "$H" "the response is HTTP/2"
expect_eq HTTP/2.0 "$(hv X-Proto)" '$server_protocol is HTTP/2.0'
for h in Connection Keep-Alive Transfer-Encoding; do
    check_not "no $h header in an HTTP/2 response" has_header "$h"
done
expect_eq 3000000 "$(hv Content-Length)" "content-length of big.bin"

fetch /nosf/big.bin
expect_eq 200 "$ST" "h2 with sendfile off -> 200"
check "h2 with sendfile off: body byte-identical" body_is "$WWW/big.bin"

# ---------------------------------------------------------------- h2c (prior knowledge) on the plain listener
out=$(curl -s --http2-prior-knowledge --max-time 10 -o "$T/body" -w '%{http_version} %{http_code}' "$(purl /big.bin)")
expect_eq "2 200" "$out" "h2c prior knowledge on the plain http2 listener"
check "h2c: body byte-identical" body_is "$WWW/big.bin"
out=$(curl -s --http1.1 --max-time 10 -o "$T/body" -w '%{http_version} %{http_code}' "$(purl /small.bin)")
expect_eq "1.1 200" "$out" "HTTP/1.1 on the same plain listener"
check "HTTP/1.1 there: body byte-identical" body_is "$WWW/small.bin"
out=$(timeout 20 nghttp -n -s "$(purl /rec.bin)" "$(purl /small.bin)" 2>&1)
expect_eq 2 "$(grep -c ' 200 ' <<<"$out" || true)" "nghttp h2c: two streams, both 200"

# ---------------------------------------------------------------- ranges, conditionals, HEAD
fetch /big.bin -H 'Range: bytes=16370-16400'
expect_eq 206 "$ST" "h2 range -> 206"
expect_eq "bytes 16370-16400/3000000" "$(hv Content-Range)" "h2 range: Content-Range"
check "h2 range: the slice" body_is_slice "$WWW/big.bin" 16370 31
fetch /small.bin -H 'Range: bytes=0-9,100-109'
expect_eq 206 "$ST" "h2 two ranges -> 206"
expect_match '^multipart/byteranges' "$(hv Content-Type)" "h2 two ranges: multipart"
fetch /small.bin -H "If-None-Match: $(etag_of "$WWW/small.bin")"
expect_eq 304 "$ST" "h2 If-None-Match -> 304"
expect_eq 0 "$(stat -c %s "$T/body")" "304 has no body"
fetch /big.bin -I
expect_eq 200 "$ST" "h2 HEAD -> 200"
expect_eq 3000000 "$(hv Content-Length)" "h2 HEAD: Content-Length of the file"
out=$(nghttp -nv -H ':method: HEAD' "$(url /big.bin)" 2>&1)
check_not "h2 HEAD: no DATA frame" grep -q 'recv DATA frame' <<<"$out"
expect_match 'recv HEADERS frame <[^>]*flags=0x05' "$out" "h2 HEAD: HEADERS ends the stream"

# ---------------------------------------------------------------- precompressed, errors, return, autoindex
fetch /gz/t.txt -H 'Accept-Encoding: gzip'
expect_eq 200 "$ST" "h2 gzip_static -> 200"
expect_eq gzip "$(hv Content-Encoding)" "h2 gzip_static: Content-Encoding"
check "h2 gzip_static: the .gz bytes" body_is "$WWW/t.txt.gz"
fetch /nope
expect_eq 404 "$ST" "h2 missing -> 404"
expect_match 'custom not found' "$(cat "$T/body")" "h2 error_page 404 page"
fetch /moved
expect_eq 301 "$ST" "h2 return 301"
expect_match '/t\.txt$' "$(hv Location)" "h2 return: Location"
fetch /dir/
expect_eq 200 "$ST" "h2 autoindex -> 200"
expect_match 'f\.txt' "$(cat "$T/body")" "h2 autoindex lists the file"
fetch '/status?format=json'
expect_eq 200 "$ST" "h2 status page -> 200"
expect_match '"requests":' "$(cat "$T/body")" "h2 status page body"

out=$(timeout 10 nghttp -H 'cookie: a=1' -H 'cookie: b=2' -H 'cookie: c=3' "$(url /cookie)" 2>/dev/null)
expect_eq 'a=1; b=2; c=3|2' "$out" "h2 cookie crumbs joined for \$http_cookie and \$cookie_b"

# ---------------------------------------------------------------- request bodies, methods
fetch /t.txt -X POST --data-binary "@$WWW/rec.bin"
expect_eq 413 "$ST" "h2 POST over client_max_body_size -> 413"
fetch /t.txt -X POST --data-binary 'a=b'
expect_eq 405 "$ST" "h2 POST of a static file -> 405"
fetch /t.txt -X DELETE
expect_eq 405 "$ST" "h2 DELETE -> 405"

# ---------------------------------------------------------------- HTTP/1.1 beside it, ALPN
fetch /small.bin --http1.1
expect_eq 200 "$ST" "HTTP/1.1 on the http2 port -> 200"
expect_match '^HTTP/1.1 200' "$H" "HTTP/1.1 answer"
expect_eq HTTP/1.1 "$(hv X-Proto)" '$server_protocol is HTTP/1.1 there'
out=$(openssl s_client -connect "127.0.0.1:$PORT" -alpn http/1.1,h2 </dev/null 2>&1 | tr -d '\000')
expect_match 'ALPN protocol: h2' "$(grep ALPN <<<"$out")" "ALPN http/1.1,h2 -> h2 (ours first)"
out=$(openssl s_client -connect "127.0.0.1:$PORT" -alpn http/1.0 </dev/null 2>&1 | tr -d '\000')
expect_match 'ALPN protocol: http/1.0' "$(grep ALPN <<<"$out")" "ALPN http/1.0 alone -> http/1.0"

# ---------------------------------------------------------------- nghttp: SETTINGS, concurrency
out=$(timeout 20 nghttp -nv "$(url /small.bin)" 2>&1)
expect_match 'SETTINGS_MAX_CONCURRENT_STREAMS\(0x03\):32' "$out" "SETTINGS: max concurrent streams 32"
args=()
for i in $(seq 1 30); do args+=("$(url /rec.bin)?$i"); done
out=$(timeout 20 nghttp -ns "${args[@]}" 2>&1)
expect_eq 30 "$(grep -c ' 200 ' <<<"$out" || true)" "nghttp: 30 streams (under the limit of 32) on one connection, all 200"
out=$(timeout 30 nghttp -a -n "$(url /big.bin)" 2>&1)
expect_eq 0 "$?" "nghttp GET big.bin exits 0"

# ---------------------------------------------------------------- h2load, bounded
out=$(timeout 60 h2load -n 400 -c 4 -m 16 "$(url /small.bin)" 2>&1)
expect_match 'requests: 400 total, 400 started, 400 done, 400 succeeded' "$out" "h2load: 400 requests succeed"
expect_match 'status codes: 400 2xx' "$out" "h2load: all 2xx"
out=$(timeout 60 h2load -n 40 -c 2 -m 8 "$(url /big.bin)" 2>&1)
expect_match '40 succeeded' "$out" "h2load: 40 x 3 MB succeed"

# ---------------------------------------------------------------- access log
sleep 1.2 # the access log is flushed every second
expect_file_match 'GET /big.bin HTTP/2.0" 200 3000000' "$T/access.log" "access log: HTTP/2.0 request line, status, bytes"

# ---------------------------------------------------------------- reload: GOAWAY
if /usr/bin/python3 -c 'import hpack, hyperframe' 2>/dev/null; then
    out=$(timeout 90 /usr/bin/python3 "$SRCDIR/tests/clients/h2_goaway.py" "$PORT" /big.bin 3000000 "$SERVER_PID" HUP 2>&1)
    printf '%s\n' "$out"
    PASS=$((PASS + $(grep -c '^ok ' <<<"$out")))
    FAIL=$((FAIL + $(grep -c '^FAIL ' <<<"$out")))
    grep -qE '^(ok|FAIL) ' <<<"$out" || fail "h2_goaway.py ran no check: $out"
    fetch /small.bin
    expect_eq 200 "$ST" "after the reload: h2 served by the new worker"
fi

# ---------------------------------------------------------------- graceful stop
curl -s -k --http2 --limit-rate 1M -o "$T/slow" "$(url /big.bin)" &
cpid=$!
sleep 0.5
kill -QUIT "$SERVER_PID"
wait "$cpid"
expect_eq 0 "$?" "graceful stop: the h2 download in flight finishes"
check "graceful stop: its body is whole" cmp -s "$T/slow" "$WWW/big.bin"
for _ in $(seq 1 50); do kill -0 "$SERVER_PID" 2>/dev/null || break; sleep 0.1; done
check_not "graceful stop: the server is gone once it is done" kill -0 "$SERVER_PID" 2>/dev/null

finish
