#!/usr/bin/env bash
# Request rules: Host required for HTTP/1.1 (400); absolute-form targets;
# other methods -> 405 with Allow; bodies on GET/HEAD read and discarded up
# to client_max_body_size (413 beyond); Expect: 100-continue; request
# smuggling shapes (CL+TE, duplicate/list/signed Content-Length, TE with
# HTTP/1.0, obs-fold, space before colon) -> 400 and the connection closed,
# the smuggled request never answered. Raw TLS sockets (lib.sh tlsreq).
# shellcheck source=../lib.sh disable=SC2119,SC2016,SC2034
. "${SRCDIR:-$(cd "$(dirname "$0")/../.." && pwd)}/tests/lib.sh"

printf 'hello, world\n' >"$WWW/a.txt"
printf 'SMUGGLED\n' >"$WWW/smuggled.txt"
A_MD5=$(md5 "$WWW/a.txt")
S_MD5=$(md5 "$WWW/smuggled.txt")

# nginx: lingering close would keep a 413 connection open 5 s
[ "$IS_NGINX" = 1 ] && HTTP_EXTRA="lingering_timeout 1s;"
HTTP_EXTRA="${HTTP_EXTRA:-}
    client_max_body_size 1k;" gen_config
start_server || finish

NEXT='GET /a.txt HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n'
SMUG='GET /smuggled.txt HTTP/1.1\r\nHost: localhost\r\n\r\n'
SL=$(printf %b "$SMUG" | wc -c | tr -d ' ') # its length: a Content-Length that would swallow it

# rq LABEL STEPS...: run tlsreq on the TLS port, output in OUT
rq() {
    local label=$1
    shift
    OUT=$(tlsreq --timeout 4 "$PORT" "$@" 2>&1)
    LABEL=$label
}
# expect_seq "STATUSES" [closed|open]: status sequence and the end state
expect_seq() {
    expect_eq "$1" "$(status_seq "$OUT")" "$LABEL: responses"
    [ -n "${2:-}" ] && expect_eq "$2" "$(end_state "$OUT")" "$LABEL: connection $2"
    if printf '%s\n' "$OUT" | grep -q "STATUS 200 9 $S_MD5"; then
        fail "$LABEL: the smuggled request was answered"
    fi
}
# rej LABEL RAW-REQUEST [ALLOWED-STATUSES]: rejected (400 by default), closed,
# the pipelined request after it never answered
rej() {
    local label=$1 req=$2 want=${3:-400}
    rq "$label" "send:$req$NEXT" resp read
    expect_in "$want" "$(status_seq "$OUT")" "$label: -> $want, and nothing else answered"
    expect_eq closed "$(end_state "$OUT")" "$label: connection closed"
    if printf '%s\n' "$OUT" | grep -q "STATUS 200 9 $S_MD5"; then
        fail "$label: the smuggled request was answered"
    fi
}

# ---------------------------------------------------------------- Host
rej "HTTP/1.1 without Host" 'GET /a.txt HTTP/1.1\r\n\r\n'
rej "HTTP/1.1 with an empty Host" 'GET /a.txt HTTP/1.1\r\nHost:\r\n\r\n'
rej "two Host headers" 'GET /a.txt HTTP/1.1\r\nHost: localhost\r\nHost: localhost\r\n\r\n'
rej "Host with a slash" 'GET /a.txt HTTP/1.1\r\nHost: a/b\r\n\r\n'
rej "absolute-form without Host (HTTP/1.1)" 'GET https://localhost/a.txt HTTP/1.1\r\n\r\n'
rq "HTTP/1.0 without Host" 'send:GET /a.txt HTTP/1.0\r\n\r\n' resp read
expect_eq "200" "$(status_seq "$OUT")" "$LABEL: 200"
rq "absolute-form https" 'send:GET https://localhost/a.txt HTTP/1.1\r\nHost: localhost\r\n\r\n' resp "send:$NEXT" resp read
expect_seq "200 200" closed
check "absolute-form: the file" grep -q "STATUS 200 13 $A_MD5" <<<"$OUT"
rq "absolute-form http with a port" 'send:GET http://localhost:8443/a.txt?q=1 HTTP/1.1\r\nHost: localhost\r\n\r\n' resp
expect_eq "200" "$(status_seq "$OUT")" "$LABEL: 200"

# ---------------------------------------------------------------- methods
for m in POST PUT DELETE OPTIONS PATCH TRACE; do
    rq "$m" "send:$m /a.txt HTTP/1.1\r\nHost: localhost\r\nContent-Length: 0\r\n\r\n" resp
    expect_eq 405 "$(status_seq "$OUT")" "$m -> 405"
    if [ "$IS_NGINX" = 0 ]; then # nginx 1.22 sends no Allow on 405
        expect_match '^GET, ?HEAD$' "$(resp_header "$OUT" allow)" "$m 405: Allow: GET, HEAD"
    fi
done
rq "POST with a body, then GET" "send:POST /a.txt HTTP/1.1\r\nHost: localhost\r\nContent-Length: $SL\r\n\r\n${SMUG}$NEXT" resp resp read
expect_seq "405 200" closed

# ---------------------------------------------------------------- bodies on GET/HEAD
rq "GET with a 5-byte body" "send:GET /a.txt HTTP/1.1\r\nHost: localhost\r\nContent-Length: 5\r\n\r\nhello$NEXT" resp resp read
expect_seq "200 200" closed
rq "GET whose body is a request" "send:GET /a.txt HTTP/1.1\r\nHost: localhost\r\nContent-Length: $SL\r\n\r\n${SMUG}$NEXT" resp resp read
expect_seq "200 200" closed
rq "HEAD with a body" "send:HEAD /a.txt HTTP/1.1\r\nHost: localhost\r\nContent-Length: 3\r\n\r\nabc$NEXT" resp:HEAD resp:GET read
expect_seq "200 200" closed
rq "GET with a chunked body" "send:GET /a.txt HTTP/1.1\r\nHost: localhost\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n0\r\n\r\n$NEXT" resp resp read
expect_seq "200 200" closed
rq "GET with a chunked body + trailer" "send:GET /a.txt HTTP/1.1\r\nHost: localhost\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n0\r\nX-Trailer: 1\r\n\r\n$NEXT" resp resp read
expect_seq "200 200" closed
body1k=$(head -c 1024 /dev/zero | tr '\0' 'x')
rq "GET with a body of exactly client_max_body_size" "send:GET /a.txt HTTP/1.1\r\nHost: localhost\r\nContent-Length: 1024\r\n\r\n$body1k$NEXT" resp resp read
expect_seq "200 200" closed
rq "GET with Content-Length 1025 (> 1k)" "send:GET /a.txt HTTP/1.1\r\nHost: localhost\r\nContent-Length: 1025\r\n\r\n${body1k}x$NEXT" resp read
expect_seq "413" closed
expect_eq close "$(resp_header "$OUT" connection)" "$LABEL: Connection: close"
rq "HEAD with Content-Length 5000" 'send:HEAD /a.txt HTTP/1.1\r\nHost: localhost\r\nContent-Length: 5000\r\n\r\n' resp read
expect_seq "413" closed
rq "413 before the body is sent" 'send:GET /a.txt HTTP/1.1\r\nHost: localhost\r\nContent-Length: 100000000\r\n\r\n' resp
expect_eq 413 "$(status_seq "$OUT")" "$LABEL: 413 without waiting for the body"
# a 2000-byte chunked body (over 1k): nginx reads and discards it (200); 413 is fine too
big=$(head -c 2000 /dev/zero | tr '\0' 'y')
rq "GET with a 2000-byte chunked body" "send:GET /a.txt HTTP/1.1\r\nHost: localhost\r\nTransfer-Encoding: chunked\r\n\r\n7d0\r\n$big\r\n0\r\n\r\n$NEXT" resp resp read
case $(status_seq "$OUT") in
"200 200") ok "$LABEL: 200, body discarded, next request answered" ;;
413) expect_eq closed "$(end_state "$OUT")" "$LABEL: 413 and closed" ;;
*) fail "$LABEL: expected '200 200' or '413', got '$(status_seq "$OUT")'" ;;
esac

# ---------------------------------------------------------------- Expect: 100-continue
rq "Expect: 100-continue, small body" \
    'send:GET /a.txt HTTP/1.1\r\nHost: localhost\r\nExpect: 100-continue\r\nContent-Length: 5\r\n\r\n' resp \
    "send:hello$NEXT" resp resp read
expect_seq "100 200 200" closed
check "Expect: the 200 carries the file" grep -q "STATUS 200 13 $A_MD5" <<<"$OUT"
rq "Expect: 100-continue, body over the limit" \
    'send:GET /a.txt HTTP/1.1\r\nHost: localhost\r\nExpect: 100-continue\r\nContent-Length: 5000\r\n\r\n' resp read
expect_seq "413" closed
rq "Expect: 100-continue with HTTP/1.0: no 100" \
    'send:GET /a.txt HTTP/1.0\r\nExpect: 100-continue\r\nContent-Length: 5\r\n\r\n' wait:0.3 send:hello resp read
expect_eq 200 "$(status_seq "$OUT")" "$LABEL: only the 200"
rq "Expect: 100-continue, body sent at once" \
    "send:GET /a.txt HTTP/1.1\r\nHost: localhost\r\nExpect: 100-continue\r\nContent-Length: 5\r\n\r\nhello$NEXT" resp resp read
case $(status_seq "$OUT") in
"100 200" | "200 200") ok "$LABEL: $(status_seq "$OUT") (+1 after the close request)" ;;
*) fail "$LABEL: expected '[100] 200 200', got '$(status_seq "$OUT")'" ;;
esac
[ "$(status_seq "$OUT")" = "100 200" ] && {
    rq "Expect: 100-continue, body sent at once (all)" \
        "send:GET /a.txt HTTP/1.1\r\nHost: localhost\r\nExpect: 100-continue\r\nContent-Length: 5\r\n\r\nhello$NEXT" resp resp resp read
    expect_seq "100 200 200" closed
}

# ---------------------------------------------------------------- smuggling shapes
rej "Content-Length + Transfer-Encoding" \
    "GET /a.txt HTTP/1.1\r\nHost: localhost\r\nContent-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n$SMUG"
rej "Transfer-Encoding + Content-Length" \
    "GET /a.txt HTTP/1.1\r\nHost: localhost\r\nTransfer-Encoding: chunked\r\nContent-Length: $SL\r\n\r\n0\r\n\r\n$SMUG"
rej "POST Content-Length + Transfer-Encoding" \
    "POST /a.txt HTTP/1.1\r\nHost: localhost\r\nContent-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n$SMUG"
rej "duplicate Content-Length, same value" \
    'GET /a.txt HTTP/1.1\r\nHost: localhost\r\nContent-Length: 3\r\nContent-Length: 3\r\n\r\nabc'
rej "duplicate Content-Length, different values" \
    "GET /a.txt HTTP/1.1\r\nHost: localhost\r\nContent-Length: 0\r\nContent-Length: $SL\r\n\r\n$SMUG"
rej "Content-Length list" "GET /a.txt HTTP/1.1\r\nHost: localhost\r\nContent-Length: $SL, $SL\r\n\r\n$SMUG"
rej "negative Content-Length" 'GET /a.txt HTTP/1.1\r\nHost: localhost\r\nContent-Length: -1\r\n\r\n'
rej "Content-Length with a sign" "GET /a.txt HTTP/1.1\r\nHost: localhost\r\nContent-Length: +$SL\r\n\r\n$SMUG"
rej "hex Content-Length" "GET /a.txt HTTP/1.1\r\nHost: localhost\r\nContent-Length: $(printf 0x%x "$SL")\r\n\r\n$SMUG"
rej "Content-Length overflow" 'GET /a.txt HTTP/1.1\r\nHost: localhost\r\nContent-Length: 99999999999999999999999\r\n\r\n'
rej "Transfer-Encoding with HTTP/1.0" "GET /a.txt HTTP/1.0\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n$SMUG"
rej "Transfer-Encoding: gzip, chunked" "GET /a.txt HTTP/1.1\r\nHost: localhost\r\nTransfer-Encoding: gzip, chunked\r\n\r\n0\r\n\r\n$SMUG" "400 501"
rej "Transfer-Encoding: chunked, identity" "GET /a.txt HTTP/1.1\r\nHost: localhost\r\nTransfer-Encoding: chunked, identity\r\n\r\n0\r\n\r\n$SMUG" "400 501"
rej "bad chunk size" "GET /a.txt HTTP/1.1\r\nHost: localhost\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n\r\n$SMUG"
rej "obs-fold (space)" 'GET /a.txt HTTP/1.1\r\nHost: localhost\r\nX-Foo: a\r\n folded\r\n\r\n'
rej "obs-fold (tab) on Content-Length" "GET /a.txt HTTP/1.1\r\nHost: localhost\r\nContent-Length: 0\r\n\t$SL\r\n\r\n$SMUG"
rej "space before the colon" "GET /a.txt HTTP/1.1\r\nHost: localhost\r\nContent-Length : $SL\r\n\r\n$SMUG"
rej "lower-case method" 'get /a.txt HTTP/1.1\r\nHost: localhost\r\n\r\n'

# the server is fine after all that
rq "still serving" "send:$NEXT" resp read
expect_seq "200" closed

finish
