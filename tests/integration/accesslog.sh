#!/usr/bin/env bash
# access_log: default combined format, custom log_format with TLS/kTLS
# variables, buffered flushing; start-up kTLS notice in the error log.
# shellcheck source=../lib.sh disable=SC2119,SC2016,SC2034
. "${SRCDIR:-$(cd "$(dirname "$0")/../.." && pwd)}/tests/lib.sh"

printf 'plain text\n' >"$WWW/a.txt"
mkfile big.bin 100000

# does this kernel offer the "tls" ULP?
KERNEL_KTLS=0
grep -qw tls /proc/sys/net/ipv4/tcp_available_ulp 2>/dev/null && KERNEL_KTLS=1
# could still be loadable as a module; only be strict when clearly absent
[ "$KERNEL_KTLS" = 0 ] && [ -e "/lib/modules/$(uname -r)/kernel/net/tls" ] && KERNEL_KTLS=unknown

# ---------------------------------------------------------------- combined
PLAIN=1 gen_config
start_server || finish

curl "${CURL_OPTS[@]}" -o /dev/null -A 'test-agent/1.0' -e 'https://ref.example/' "$(url /a.txt)"
curl "${CURL_OPTS[@]}" -o /dev/null "$(url /missing)"
curl "${CURL_OPTS[@]}" -o /dev/null -A 'plain-agent' "$(purl /big.bin)"
curl "${CURL_OPTS[@]}" -o /dev/null -I "$(url /big.bin)"

# buffered log is flushed at least once per second while running
sleep 1.5
check "access log written within 1.5 s while running" test -s "$T/access.log"

stop_server
A=$T/access.log
combined_re='^127\.0\.0\.1 - - \[[0-9]{2}/[A-Z][a-z]{2}/[0-9]{4}:[0-9]{2}:[0-9]{2}:[0-9]{2} [+-][0-9]{4}\] '
expect_file_match "${combined_re}\"GET /a.txt HTTP/1.1\" 200 11 \"https://ref.example/\" \"test-agent/1.0\"$" "$A" "combined line for 200 with referer and agent"
expect_file_match "${combined_re}\"GET /missing HTTP/1.1\" 404 [0-9]+ \"-\" \"curl/[^\"]+\"$" "$A" "combined line for 404"
expect_file_match "${combined_re}\"GET /big.bin HTTP/1.1\" 200 100000 \"-\" \"plain-agent\"$" "$A" "combined line for plain listener (sendfile)"
expect_file_match "${combined_re}\"HEAD /big.bin HTTP/1.1\" 200 0 " "$A" "combined line for HEAD, 0 body bytes"
expect_eq 4 "$(grep -c . "$A")" "exactly 4 access log lines"

if [ "$IS_NGINX" = 0 ]; then
    case $KERNEL_KTLS in
    0) expect_file_match '\[notice\].*kTLS unavailable' "$T/error.log" "start-up notice: kTLS unavailable" ;;
    1) expect_file_match '\[notice\].*kTLS available' "$T/error.log" "start-up notice: kTLS available" ;;
    esac
    expect_eq 1 "$(grep -cE 'kTLS (un)?available' "$T/error.log")" "kTLS notice logged exactly once"
fi

# ---------------------------------------------------------------- custom
if [ "$IS_NGINX" = 1 ]; then KV=''; else KV=' $ktls'; fi
rm -f "$T/access.log" "$T/tls.log"
new_ports
PLAIN=1 \
    HTTP_EXTRA="log_format tls '\$ssl_protocol \$ssl_cipher$KV' ' \$status' \" \$request_uri\";" \
    ACCESS_LOG="$T/tls.log tls" gen_config
start_server || finish
curl "${CURL_OPTS[@]}" -o /dev/null "$(url /a.txt)"
curl "${CURL_OPTS[@]}" -o /dev/null --tlsv1.2 --tls-max 1.2 "$(url /a.txt?v12)"
curl "${CURL_OPTS[@]}" -o /dev/null "$(purl /a.txt?plain)"
curl "${CURL_OPTS[@]}" -o /dev/null "$(url /nope)"
stop_server
check "access log flushed at exit" test -s "$T/tls.log"
L=$T/tls.log
if [ "$KERNEL_KTLS" = 0 ]; then KT=' off'; else KT=' (tx\+rx|tx|rx|off)'; fi
[ "$IS_NGINX" = 1 ] && KT=''
expect_file_match "^TLSv1\.3 TLS_AES_256_GCM_SHA384$KT 200 /a.txt$" "$L" "custom format, TLS 1.3"
expect_file_match "^TLSv1\.2 ECDHE-ECDSA-[A-Z0-9-]+$KT 200 /a.txt\?v12$" "$L" "custom format, TLS 1.2"
expect_file_match "^- -( off| -)? 200 /a.txt\?plain$" "$L" "custom format, plain listener: empty TLS variables are -"
expect_file_match "^TLSv1\.3 TLS_AES_256_GCM_SHA384$KT 404 /nope$" "$L" "custom format, 404"

# ---------------------------------------------------------------- ktls off, access_log off
if [ "$IS_NGINX" = 0 ]; then
    rm -f "$T/tls.log"
    new_ports
    PLAIN=0 SERVER_EXTRA="ktls off;" \
        HTTP_EXTRA="log_format k '\$ssl_protocol \$ktls \$status [\$ktls_mode]';" \
        ACCESS_LOG="$T/tls.log k" gen_config
    start_server || finish
    curl "${CURL_OPTS[@]}" -o /dev/null "$(url /big.bin)"
    stop_server
    expect_file_match '^TLSv1\.3 off 200 \[off\]$' "$T/tls.log" "ktls off -> \$ktls and \$ktls_mode are off"
fi

# ---------------------------------------------------------------- variable families, return 444
rm -f "$T/vars.log"
new_ports
PLAIN=1 \
    HTTP_EXTRA="log_format v '\$host \$status [\$sent_http_content_type] [\$sent_http_x_tag] [\$http_x_test] [\$arg_a] [\$cookie_sid] [\$uri] [\$scheme] [\$is_args\$args] [\$server_protocol]';" \
    SERVER_EXTRA='add_header X-Tag "t-$arg_a"; location = /drop { return 444; }
        location = /v { return 200 "$server_port|$time_iso8601|$scheme|$https|$server_addr\n"; }' \
    ACCESS_LOG="$T/vars.log v" gen_config
start_server || finish
curl "${CURL_OPTS[@]}" -o /dev/null -H 'X-Test: hi' -H 'Host: WWW.Example.COM:443' -b 'z=1; sid=abc' "$(url '/big.bin?a=1&b=2')"
curl "${CURL_OPTS[@]}" -o /dev/null "$(url /drop)"
check_not "return 444: no response" curl "${CURL_OPTS[@]}" -o /dev/null "$(url /drop)"
V=$(curl "${CURL_OPTS[@]}" "$(url /v)")
expect_match "^$PORT\|[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}[+-][0-9]{2}:[0-9]{2}\|https\|on\|127\.0\.0\.1$" "$V" "\$server_port \$time_iso8601 \$scheme \$https \$server_addr"
V=$(curl "${CURL_OPTS[@]}" "$(purl /v)")
expect_match "^$PLAIN_PORT\|.*\|http\|\|127\.0\.0\.1$" "$V" "the same on the plain listener"
# an absolute-form target names the host, not the Host header (RFC 9112 3.2.2)
printf 'GET http://Abs.Example:8/big.bin?a=2 HTTP/1.1\r\nHost: other.example\r\nConnection: close\r\n\r\n' |
    raw --tls "$PORT" >/dev/null 2>&1
stop_server
expect_file_match '^abs\.example 200 .* \[/big\.bin\] \[https\] \[\?a=2\]' "$T/vars.log" \
    "\$host of an absolute-form target: its authority (lowercase, no port), as the answer's"
expect_file_match '^www\.example\.com 200 \[application/octet-stream\] \[t-1\] \[hi\] \[1\] \[abc\] \[/big\.bin\] \[https\] \[\?a=1&b=2\] \[HTTP/1\.1\]$' "$T/vars.log" "\$host (lowercase, no port), \$sent_http_NAME, \$http_NAME, \$arg_NAME, \$cookie_NAME, request variables"
expect_file_match '^127\.0\.0\.1 444 \[-\] \[-\] \[-\] \[-\] \[-\] \[/drop\] \[https\] \[-\] \[HTTP/1\.1\]$' "$T/vars.log" "return 444 is logged as 444"

# ---------------------------------------------------------------- escape=json
# a JSON access log is one line away: values as JSON strings, a missing one
# empty; $request_length counts the request head as sent, $pid is the worker
rm -f "$T/json.log"
new_ports
PLAIN=1 SERVER_EXTRA="" \
    HTTP_EXTRA="log_format j escape=json '{\"ua\":\"\$http_user_agent\",\"ref\":\"\$http_referer\",' '\"len\":\$request_length,\"pid\":\$pid,\"scheme\":\"\$scheme\",\"reused\":\"\$ssl_session_reused\",\"t\":\"\$time_iso8601\"}';" \
    ACCESS_LOG="$T/json.log j" gen_config
start_server || finish
req=$'GET /a.txt HTTP/1.1\r\nHost: x\r\nUser-Agent: q"b\\s\tz\r\nConnection: close\r\n\r\n'
printf '%s' "$req" | raw "$PLAIN_PORT" >/dev/null 2>&1
curl "${CURL_OPTS[@]}" -o /dev/null -A 'tls-agent' "$(url /a.txt)"
workers=$(worker_pids | tr '\n' ' ')
stop_server
check "escape=json: every line is JSON" python3 -c '
import json, sys
for line in open(sys.argv[1]):
    json.loads(line)' "$T/json.log"
# jl SCHEME KEY: KEY of the line logged for the request over SCHEME
jl() { python3 -c 'import json,sys; print([d for d in map(json.loads, open(sys.argv[1])) if d["scheme"] == sys.argv[2]][0][sys.argv[3]])' "$T/json.log" "$@"; }
expect_eq 'q"b\s'$'\t''z' "$(jl http ua)" "escape=json: quote, backslash and a tab survive the round trip"
expect_eq "" "$(jl http ref)" "escape=json: a missing value is an empty string"
expect_eq "${#req}" "$(jl http len)" "\$request_length: the request head's bytes"
expect_in "$workers" "$(jl http pid)" "\$pid: a worker's"
expect_eq 2 "$(grep -c . "$T/json.log")" "\$scheme: one line over http, one over https"
expect_eq . "$(jl https reused)" "\$ssl_session_reused: . for a full handshake"
expect_match '^[0-9]{4}-[0-9]{2}-[0-9]{2}T' "$(jl https t)" "\$time_iso8601"

rm -f "$T/access.log"
new_ports
PLAIN=0 SERVER_EXTRA="" HTTP_EXTRA="" ACCESS_LOG="off" gen_config
start_server || finish
curl "${CURL_OPTS[@]}" -o /dev/null "$(url /a.txt)"
stop_server
check_not "access_log off writes nothing" test -s "$T/access.log"

finish
