#!/usr/bin/env bash
# Request parsing against nginx (the reference): one config through both,
# each case sent as raw bytes over TLS on its own connection; the status
# lines (all of them: a framing bug shows as an extra response) must equal
# nginx's. Covers chunk framing, chunk extensions, header-name syntax, the
# HTTP version, bare-LF line ends and large_client_header_buffers; then a
# redirect whose head cannot fit (ktlsd only: nginx grows its buffer).
# shellcheck source=../lib.sh disable=SC2016
. "${SRCDIR:-$(cd "$(dirname "$0")/../.." && pwd)}/tests/lib.sh"

# no skip: the reference is part of the test (pair_start would skip)
NGINX=${NGINX:-/usr/sbin/nginx}
[ -x "$NGINX" ] || { fail "no reference nginx at $NGINX (scripts/install-deps.sh --test installs it)"; finish; }

mkdir -p "$WWW/dir"
printf 'hello\n' >"$WWW/a.txt"
printf 'dir\n' >"$WWW/dir/index.html"
chmod -R a+rX "$WWW"
gen_cert "$CERT" "$KEY" localhost

# pair_http NAME PORT SMALL_PORT: the http{} body both servers run
pair_http() {
    cat <<EOF
    default_type text/plain;
    access_log off;
    ssl_certificate $CERT;
    ssl_certificate_key $KEY;
    root $WWW;
    server {
        listen 127.0.0.1:$2 ssl;
    }
    server {
        listen 127.0.0.1:$3 ssl;
        large_client_header_buffers 2 1k;
    }
EOF
}
PAIR_PORTS=2 pair_start

# statuses PORT: the bytes on stdin (printf %b escapes) to PORT; prints the
# status code of every response on the connection, space-separated
statuses() {
    printf '%b' "$(cat)" | raw --tls "$1" 2>/dev/null |
        LC_ALL=C grep -a -o '^HTTP/1\.[01] [0-9][0-9][0-9]' | awk '{printf "%s%s", s, $2; s = " "} END {print ""}'
}

# same NAME EXPECTED BYTES [PORTS]: nginx and ktlsd answer BYTES alike
same() {
    local a b pn=${4:-$PA} pk=${5:-$PB}
    a=$(printf '%s' "$3" | statuses "$pn")
    b=$(printf '%s' "$3" | statuses "$pk")
    expect_eq "$2" "$a" "$1: nginx answers $2"
    expect_eq "$a" "$b" "$1: ktlsd answers as nginx"
}

H='Host: localhost\r\n'
C='Connection: close\r\n'
NEXT="GET /a.txt HTTP/1.1\r\n$H$C\r\n"
CH="GET /a.txt HTTP/1.1\r\n${H}Transfer-Encoding: chunked\r\n\r\n"

same "chunked body" "200 200" "${CH}5\r\nhello\r\n0\r\n\r\n$NEXT"
same "bytes after chunk data" 400 "${CH}5\r\nhelloXX0\r\n\r\n$NEXT"
same "LF only after chunk data" 400 "${CH}5\r\nhelloX\n0\r\n\r\n$NEXT"
same "chunk extension" "200 200" "${CH}5;a=1\r\nhello\r\n0\r\n\r\n$NEXT"
same "chunk extension, no value" "200 200" "${CH}5;a;b=2\r\nhello\r\n0\r\n\r\n$NEXT"
same "chunk extension, quoted" "200 200" "${CH}5;a=\"b c\"\r\nhello\r\n0\r\n\r\n$NEXT"
same "chunk extension, BWS" "200 200" "${CH}5 ;a=1\r\nhello\r\n2; b = 2\r\nxy\r\n0 ;z\r\n\r\n$NEXT"
same "chunked, bare LFs" "200 200" "${CH}5\nhello\n0\n\n$NEXT"
same "chunked, a trailer" "200 200" "${CH}5\r\nhello\r\n0\r\nX-T: 1\r\n\r\n$NEXT"
same "chunk size not hex" 400 "${CH}x\r\nhello\r\n0\r\n\r\n$NEXT"
same "space inside a header name" 400 "GET /a.txt HTTP/1.1\r\n${H}Foo Bar: x\r\n$C\r\n"
same "space before the colon" 400 "GET /a.txt HTTP/1.1\r\n${H}Foo : x\r\n$C\r\n"
same "HTTP/9.9" 505 "GET /a.txt HTTP/9.9\r\n$H$C\r\n"
same "HTTP/2.0" 505 "GET /a.txt HTTP/2.0\r\n$H$C\r\n"
same "HTTP/1.5" 200 "GET /a.txt HTTP/1.5\r\n$H$C\r\n"
same "bare LF line ends" 200 "GET /a.txt HTTP/1.1\n${H%\\r\\n}\n${C%\\r\\n}\n\n"
same "bare LF, pipelined" "200 200" "GET /a.txt HTTP/1.1\n${H%\\r\\n}\n\n$NEXT"
same "mixed line ends" 200 "GET /a.txt HTTP/1.1\r\n${H%\\r\\n}\n$C\n"

# large_client_header_buffers 4 8k (the default), and 2 1k
long() { head -c "$1" /dev/zero | tr '\0' "${2:-a}"; }
same "request line over 8k" 414 "GET /a.txt?$(long 9000) HTTP/1.1\r\n$H$C\r\n"
same "request line under 8k" 200 "GET /a.txt?$(long 8000) HTTP/1.1\r\n$H$C\r\n"
same "header line over 8k" 400 "GET /a.txt HTTP/1.1\r\n${H}X-Big: $(long 9000)\r\n$C\r\n"
same "header line under 8k" 200 "GET /a.txt HTTP/1.1\r\n${H}X-Big: $(long 8000)\r\n$C\r\n"
same "1k buffers: request line over 1k" 414 "GET /a.txt?$(long 1100) HTTP/1.1\r\n$H$C\r\n" "$QA" "$QB"
same "1k buffers: header line over 1k" 400 "GET /a.txt HTTP/1.1\r\n${H}X-Big: $(long 1100)\r\n$C\r\n" "$QA" "$QB"
same "1k buffers: header lines under 1k" 200 "GET /a.txt HTTP/1.1\r\n${H}X-A: $(long 600)\r\n$C\r\n" "$QA" "$QB"
same "2x1k buffers: 3k of headers" 400 "GET /a.txt HTTP/1.1\r\n${H}X-A: $(long 700)\r\nX-B: $(long 700)\r\nX-C: $(long 700)\r\nX-D: $(long 700)\r\n$C\r\n" "$QA" "$QB"

# the page of a header line too large is nginx's "Request Header Or Cookie Too Large"
body() { printf '%b' "$(cat)" | raw --tls "$1" 2>/dev/null | tr -d '\r' | sed '1,/^$/d' | sed 's/nginx[^<]*/SERVER/; s/ktlsd[^<]*/SERVER/'; }
a=$(printf '%s' "GET / HTTP/1.1\r\n${H}X-Big: $(long 9000)\r\n$C\r\n" | body "$PA")
b=$(printf '%s' "GET / HTTP/1.1\r\n${H}X-Big: $(long 9000)\r\n$C\r\n" | body "$PB")
expect_match 'Request Header Or Cookie Too Large' "$a" "nginx's page for a header line too large"
expect_eq "$a" "$b" "ktlsd's page for a header line too large is nginx's"

# A redirect whose Location cannot fit the response head (8k Host, 8k
# query): one whole 414 answer, its Content-Length bytes and nothing after
# (nginx grows its buffer and answers 301: a deliberate difference).
out=$T/bigredir.out
printf '%b' "GET /dir?$(long 8150) HTTP/1.1\r\nHost: $(long 8150 b)\r\n$C\r\n" | raw --tls "$PB" >"$out" 2>/dev/null
b=$(LC_ALL=C grep -a -c '^HTTP/1' "$out")
expect_eq 1 "$b" "an oversized redirect: one response"
b=$(head -n1 "$out" | tr -d '\r')
expect_match '^HTTP/1.1 414 ' "$b" "an oversized redirect is refused with 414"
expect_eq "$(tr -d '\r' <"$out" | header Content-Length)" "$(after_head <"$out")" \
    "the 414's body is its Content-Length"

finish # (it checks error-nginx.log and error-test.log)
