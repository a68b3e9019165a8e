#!/usr/bin/env bash
# Hostile clients and operator mistakes (each case failed once): timeouts
# of 0, an empty configuration, a location root that does not exist, roots
# that change under a running server (symlink-flip deploys), slowloris with
# few worker_connections, 408 and cut responses in the access log, reloads
# under keep-alive clients that pause, plain HTTP on a TLS port, a POST
# whose body never comes, log injection and floods, and cached bytes that
# must outlive the cache entry. nginx is the reference where it answers.
# shellcheck source=../lib.sh disable=SC2016,SC2034
. "${SRCDIR:-$(cd "$(dirname "$0")/../.." && pwd)}/tests/lib.sh"

NGINX=${NGINX:-/usr/sbin/nginx}
printf 'plain text\n' >"$WWW/a.txt"
mkdir -p "$WWW/gone"
printf 'server root file\n' >"$WWW/gone/x.txt"
chmod -R a+rX "$WWW"

elapsed_of() { sed -n 's/^elapsed=//p' "$1"; }

# ---------------------------------------------------------------- timeouts of 0
# keepalive_timeout 0: no keep-alive at all (nginx: "Connection: close")
HTTP_EXTRA="keepalive_timeout 0;" WORKER_CONNECTIONS=8 gen_config
start_server || finish
H=$(hheaders "$(url /a.txt)")
expect_eq close "$(printf '%s\n' "$H" | header connection)" "keepalive_timeout 0: Connection: close"
printf 'GET /a.txt HTTP/1.1\r\nHost: x\r\n\r\n' | raw --tls --timeout 3 "$PORT" >/dev/null 2>"$T/k0"
expect_eq closed "$(sed -n 1p "$T/k0")" "keepalive_timeout 0: the server closes after the response"
# 8 idle clients cannot hold a server with worker_connections 8
python3 "$CLIENTS/hold_conns.py" "$PORT" 8 4 >"$T/held8" &
BG_PIDS+=($!)
check "8 idle clients connected" wait_log '^8$' 5 "$T/held8"
expect_eq 200 "$(hstatus "$(url /a.txt)" --max-time 2)" "8 idle clients with worker_connections 8: still served"
stop_server
kill "${BG_PIDS[@]}" 2>/dev/null
BG_PIDS=()
# client_header_timeout 0: a connection that has not sent its request is
# closed at once (the timer fires; nginx does the same)
new_ports
HTTP_EXTRA="client_header_timeout 0;" gen_config
start_server || finish
raw --tls --timeout 3 "$PORT" </dev/null >/dev/null 2>"$T/h0"
expect_in "closed reset" "$(sed -n 1p "$T/h0")" "client_header_timeout 0: idle connection closed"
check "client_header_timeout 0: at once ($(elapsed_of "$T/h0") s)" in_range "$(elapsed_of "$T/h0")" 0 0.8
stop_server

# ---------------------------------------------------------------- an empty configuration
: >"$T/empty.conf"
OUT=$("$KTLSD" -t -c "$T/empty.conf" 2>&1)
check "ktlsd -t rejects an empty configuration" test $? -ne 0
expect_match "empty\.conf:1: no \"server\" block" "$OUT" "... with FILE:LINE and why"
new_ports
PLAIN=1 gen_config
start_server || finish
cp "$CONF" "$T/good.conf"
: >"$CONF"
kill -HUP "$SERVER_PID"
check "reload into an empty configuration is refused" wait_log 'reload failed, still serving'
expect_eq 200 "$(hstatus "$(url /a.txt)")" "the old generation keeps serving TLS"
expect_eq 200 "$(hstatus "$(purl /a.txt)")" "... and plain"
stop_server

# ---------------------------------------------------------------- roots
mkdir -p "$T/rel1" "$T/rel2"
printf 'release 1\n' >"$T/rel1/v.txt"
printf 'release 2\n' >"$T/rel2/v.txt"
ln -s "$T/rel1" "$T/current"
new_ports
SERVER_EXTRA="location /gone/ { root $T/no-such-dir; }
        location /site/ { alias $T/current/; }" gen_config
sed -i "s|root $WWW;|root $WWW;|" "$CONF"
start_server || finish
B=$(curl "${CURL_OPTS[@]}" -w ' %{http_code}' "$(url /gone/x.txt)")
expect_match ' 404$' "$B" "a location root that does not exist: 404"
expect_no_match 'server root file' "$B" "... never the server root's file"
expect_file_match 'no-such-dir' "$T/error.log" "... and the missing root is logged"
expect_eq "release 1" "$(curl "${CURL_OPTS[@]}" "$(url /site/v.txt)")" "symlink deploy: release 1"
ln -sfn "$T/rel2" "$T/current"
sleep 1.2
expect_eq "release 2" "$(curl "${CURL_OPTS[@]}" "$(url /site/v.txt)")" "flipped symlink: release 2 without a reload"
rm -rf "$T/rel2"
sleep 1.2
expect_eq 404 "$(hstatus "$(url /site/v.txt)")" "root deleted: 404"
mkdir -p "$T/rel2"
printf 'release 3\n' >"$T/rel2/v.txt"
sleep 1.2
expect_eq "release 3" "$(curl "${CURL_OPTS[@]}" "$(url /site/v.txt)")" "root made anew: served without a reload"
stop_server

# ---------------------------------------------------------------- slowloris
new_ports
HTTP_EXTRA="client_header_timeout 60s;" WORKER_CONNECTIONS=32 gen_config
start_server || finish
python3 "$CLIENTS/slowloris.py" "$PORT" 200 8 >"$T/slow.out" 2>&1 &
SL=$!
BG_PIDS+=("$SL")
sleep 2
ok_probes=0
for i in $(seq 1 12); do
    [ "$(hstatus "$(url /a.txt)" --max-time 2)" = 200 ] && ok_probes=$((ok_probes + 1))
    sleep 0.3
done
wait "$SL"
BG_PIDS=()
log "slowloris: $(cat "$T/slow.out")"
expect_eq 12 "$ok_probes" "200 slowloris connections, worker_connections 32: 12 of 12 probes served"
n=$(grep -c 'worker_connections are not enough, reusing' "$T/error.log")
check "reclaiming is logged at most once a second ($n lines)" test "$n" -ge 1 -a "$n" -le 10
stop_server

# ---------------------------------------------------------------- access log of cut requests
new_ports
head -c 4000000 /dev/urandom >"$WWW/big.bin"
HTTP_EXTRA="client_header_timeout 1s; send_timeout 1s;" gen_config
start_server || finish
printf 'GET /a.txt HTTP/1.1\r\nHost: x\r\n' | raw --tls --timeout 3 "$PORT" >/dev/null 2>&1
python3 "$CLIENTS/stalled_get.py" "$PORT" /big.bin 3
sleep 0.3
expect_file_match '"GET /a.txt HTTP/1.1" 408 ' "$T/access.log" "client_header_timeout: the request is logged as 408"
line=$(grep '/big.bin' "$T/access.log")
bytes=$(echo "$line" | awk '{print $10}')
check "send_timeout: the cut response is logged ($line)" test -n "$line"
check "... with the bytes that went out ($bytes < 4000000)" test "${bytes:-0}" -gt 0 -a "${bytes:-0}" -lt 4000000
stop_server

# ---------------------------------------------------------------- reloads under pausing keep-alive clients
new_ports
WORKERS=2 gen_config
start_server || finish
python3 "$CLIENTS/pausing_keepalive.py" "$PORT" 8 8 >"$T/pause.out" 2>&1 &
PK=$!
BG_PIDS+=("$PK")
sleep 0.5
for i in $(seq 1 10); do
    kill -HUP "$SERVER_PID"
    sleep 0.6
done
wait "$PK"
BG_PIDS=()
sed 's/^/#   /' "$T/pause.out"
expect_match '^requests=[1-9][0-9]* failures=0$' "$(head -n 1 "$T/pause.out")" "10 reloads under pausing keep-alive clients: no request lost"
stop_server

# ---------------------------------------------------------------- plain HTTP on a TLS port, POST without its body
PA=$(free_port) && PB=$(free_port) && PA2=$(free_port) && PB2=$(free_port) || finish
nconf() { # nconf PORT NAME NGINX PORT2
    {
        [ "$3" = 1 ] && printf 'daemon off;\nuser root;\n'
        cat <<EOF
worker_processes 1;
error_log $T/error-$2.log info;
pid $T/$2.pid;
events { worker_connections 64; }
http {
    access_log off;
    default_type text/plain;
    server_tokens off;
EOF
        [ "$3" = 1 ] && echo "client_body_temp_path $T/$2-b; proxy_temp_path $T/$2-p; fastcgi_temp_path $T/$2-f; uwsgi_temp_path $T/$2-u; scgi_temp_path $T/$2-s;"
        cat <<EOF
    server {
        listen 127.0.0.1:$1 ssl;
        ssl_certificate $CERT;
        ssl_certificate_key $KEY;
        root $WWW;
    }
    server {
        listen 127.0.0.1:$4 ssl;
        ssl_certificate $CERT;
        ssl_certificate_key $KEY;
        root $WWW;
        error_page 497 =301 https://localhost:$4/a.txt;
    }
}
EOF
    } >"$T/$2.conf"
}
nconf "$PA" nginx 1 "$PA2"
nconf "$PB" ktlsd 0 "$PB2"
KTLSD=$NGINX IS_NGINX=1 start_server "$T/nginx.conf" "$PA" || finish
start_server "$T/ktlsd.conf" "$PB" || finish
for p in "$PA" "$PB"; do
    p2=$PA2
    [ "$p" = "$PB" ] && p2=$PB2
    printf 'GET /a.txt HTTP/1.1\r\nHost: localhost\r\n\r\n' | raw --timeout 3 "$p" 2>/dev/null | tr -d '\r' | sed 's/nginx/SERVER/; s/ktlsd/SERVER/' >"$T/plain.$p"
    printf 'GET /r/x HTTP/1.1\r\nHost: localhost\r\n\r\n' | raw --timeout 3 "$p2" 2>/dev/null | tr -d '\r' | sed "s/$p2/P/" >"$T/p497.$p"
    printf 'POST /a.txt HTTP/1.1\r\nHost: localhost\r\nContent-Length: 100000\r\n\r\n0123456789' |
        raw --tls --timeout 5 "$p" 2>"$T/post.err.$p" | tr -d '\r' >"$T/post.$p"
done
expect_eq "$(head -n1 "$T/plain.$PA")" "$(head -n1 "$T/plain.$PB")" "plain HTTP on a TLS port: nginx's status line"
expect_eq "$(sed '1,/^$/d' "$T/plain.$PA")" "$(sed '1,/^$/d' "$T/plain.$PB")" "... and nginx's page"
expect_eq "$(head -n1 "$T/p497.$PA")" "$(head -n1 "$T/p497.$PB")" "error_page 497 =301: nginx's status line"
expect_eq "$(grep -i '^location:' "$T/p497.$PA")" "$(grep -i '^location:' "$T/p497.$PB")" "... and Location"
expect_match '^Location: https://localhost:P/a.txt$' "$(grep -i '^location:' "$T/p497.$PB")" "... which is the error_page target"
expect_eq "$(head -n1 "$T/post.$PA")" "$(head -n1 "$T/post.$PB")" "POST whose body never comes: nginx's status"
check "... answered at once, not after a timeout ($(elapsed_of "$T/post.err.$PB") s)" in_range "$(elapsed_of "$T/post.err.$PB")" 0 1.5

# ---------------------------------------------------------------- log hygiene
ERROR_LOG=$T/error.log
: >"$T/error-ktlsd.log"
curl "${CURL_OPTS[@]}" -g -o /dev/null "https://127.0.0.1:$PB/x%0a2026/01/01%2000:00:00%20[notice]%20forged"
for i in $(seq 1 40); do printf 'GET /missing-%d HTTP/1.1\r\nHost: x\r\n\r\n' "$i"; done |
    raw --tls --timeout 2 "$PB" >/dev/null 2>&1
sleep 1.1
curl "${CURL_OPTS[@]}" -o /dev/null "https://127.0.0.1:$PB/missing-after"
# a client's TLS fault is its own: logged at info, not at error
openssl s_client -connect "127.0.0.1:$PB" -tls1_2 -cipher AES128-SHA256 </dev/null >/dev/null 2>&1
sleep 0.2
expect_file_match '\[info\].*no shared cipher' "$T/error-ktlsd.log" "no shared cipher: logged at info"
check_not "... and not at error" grep -q '\[error\].*no shared cipher' "$T/error-ktlsd.log"
check_not "a %0a in the URI forges no log line" grep -q '^2026/01/01 00:00:00 \[notice\] forged' "$T/error-ktlsd.log"
expect_file_match 'x\\x0A2026' "$T/error-ktlsd.log" "... it is escaped as \\x0A"
n=$(grep -c 'missing-' "$T/error-ktlsd.log")
check "40 identical errors in a second are not 40 lines ($n)" test "$n" -le 13
expect_file_match 'more messages like .* were not logged' "$T/error-ktlsd.log" "... the rest are counted"
finish
