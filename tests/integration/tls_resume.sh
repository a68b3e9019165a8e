#!/usr/bin/env bash
# TLS session resumption with 2 workers, as a client sees it: openssl
# s_client saves a session (-sess_out) and offers it on 4 new connections
# (-sess_in), which land on either worker. TLS 1.2 session IDs and TLS 1.3
# stateful tickets through "ssl_session_cache shared" (tickets off); tickets
# (keys the master made, or ssl_session_ticket_key files in nginx's 48- and
# 80-byte formats); sessions made before a reload resume after it;
# "ssl_session_cache off" resumes nothing; $ssl_session_reused and the
# status page count what resumed. KTLSD=/usr/sbin/nginx runs the same
# cases against nginx (but for what nginx 1.22 does not do: keep its own
# ticket keys across a reload).
# shellcheck source=../lib.sh disable=SC2119,SC2034
. "${SRCDIR:-$(cd "$(dirname "$0")/../.." && pwd)}/tests/lib.sh"
need openssl

printf 'hello\n' >"$WWW/index.html"

# session PROTO FILE: a full handshake and a request; the session goes to FILE
session() {
    rm -f "$2"
    printf 'GET / HTTP/1.0\r\n\r\n' |
        openssl s_client -ign_eof "$1" -connect "127.0.0.1:$PORT" -sess_out "$2" >/dev/null 2>&1
}

# resumed PROTO FILE: how many of 4 connections offering FILE's session resumed it
resumed() {
    local n=0 _
    for _ in 1 2 3 4; do
        printf 'GET / HTTP/1.0\r\n\r\n' |
            openssl s_client -ign_eof "$1" -connect "127.0.0.1:$PORT" -sess_in "$2" 2>/dev/null |
            grep -q '^Reused' && n=$((n + 1))
    done
    echo "$n"
}

# chained PROTO FILE: as resumed, but each connection offers the session
# the one before it got (a client that keeps the newest ticket, as browsers)
chained() {
    local n=0 _
    cp "$2" "$T/chain"
    for _ in 1 2 3 4; do
        printf 'GET / HTTP/1.0\r\n\r\n' |
            openssl s_client -ign_eof "$1" -connect "127.0.0.1:$PORT" -sess_in "$T/chain" \
                -sess_out "$T/chain.new" 2>/dev/null | grep -q '^Reused' && n=$((n + 1))
        mv "$T/chain.new" "$T/chain"
    done
    echo "$n"
}

# serve SERVER_LINES: (re)start the server, 2 workers, with these lines
serve() {
    [ -n "${SERVER_PID:-}" ] && stop_server
    WORKERS=2 HTTP_EXTRA='log_format reuse "$ssl_protocol $ssl_session_reused";' \
        ACCESS_LOG="$T/access.log reuse" SERVER_EXTRA="$1
        location = /status { ktlsd_status; }" gen_config
    [ "$IS_NGINX" = 1 ] && sed -i '/ktlsd_status/d' "$CONF"
    start_server || finish
    wait_workers 2 || fail "2 workers running"
}

# reload_with SERVER_LINES: rewrite the file, SIGHUP, wait until only new workers run
reload_with() {
    local old new _
    old=$(worker_pids | sort)
    WORKERS=2 HTTP_EXTRA='log_format reuse "$ssl_protocol $ssl_session_reused";' \
        ACCESS_LOG="$T/access.log reuse" SERVER_EXTRA="$1
        location = /status { ktlsd_status; }" gen_config
    [ "$IS_NGINX" = 1 ] && sed -i '/ktlsd_status/d' "$CONF"
    kill -HUP "$SERVER_PID"
    for _ in $(seq 1 100); do
        new=$(worker_pids | sort)
        if [ "$(echo "$new" | grep -c .)" -ge 2 ] && [ -z "$(comm -12 <(echo "$old") <(echo "$new"))" ]; then
            return 0
        fi
        sleep 0.05
    done
    fail "reload: new workers did not replace the old ones"
}

# --- shared cache, tickets off: session IDs (1.2), stateful tickets (1.3)
serve 'ssl_session_cache shared:SSL:10m; ssl_session_tickets off;'
session -tls1_2 "$T/s12"
session -tls1_3 "$T/s13"
expect_eq 4 "$(resumed -tls1_2 "$T/s12")" "shared cache, tickets off: TLS 1.2 session ID resumed 4 of 4"
expect_eq 4 "$(resumed -tls1_3 "$T/s13")" "shared cache, tickets off: TLS 1.3 resumed 4 of 4"
expect_eq 4 "$(chained -tls1_3 "$T/s13")" "shared cache, tickets off: TLS 1.3, each the newest ticket: 4 of 4"
sleep 1.2 # the access log is flushed once a second
expect_eq 4 "$(grep -c '^TLSv1.2 r$' "$T/access.log")" '$ssl_session_reused is "r" for the 4 resumed TLS 1.2 requests'
expect_eq 1 "$(grep -c '^TLSv1.2 \.$' "$T/access.log")" '$ssl_session_reused is "." for the full handshake'
if [ "$IS_NGINX" = 0 ]; then
    st=$(curl "${CURL_OPTS[@]}" "$(url '/status?format=json')")
    expect_match '"resumed":12[,}]' "$st" "the status page counts 12 resumed handshakes"
fi
# a client that closes without close_notify or a request (most clients
# just close the socket): its session must stay resumable (OpenSSL drops it
# unless the shutdown is marked done, as nginx does)
for _ in 1 2; do
    echo | openssl s_client -tls1_2 -connect "127.0.0.1:$PORT" -sess_out "$T/abrupt" >/dev/null 2>&1
    st=$(echo | openssl s_client -tls1_2 -connect "127.0.0.1:$PORT" -sess_in "$T/abrupt" 2>/dev/null | grep -c '^Reused')
    expect_eq 1 "$st" "a session whose connection ended without a request is resumed"
done
reload_with 'ssl_session_cache shared:SSL:10m; ssl_session_tickets off;'
expect_eq 4 "$(resumed -tls1_2 "$T/s12")" "after a reload: TLS 1.2 session from before resumed 4 of 4"
expect_eq 4 "$(resumed -tls1_3 "$T/s13")" "after a reload: TLS 1.3 session from before resumed 4 of 4"

# --- the builtin cache alone is per worker: not every reconnection resumes
# (not asserted: which worker accepts is up to the kernel)

# --- ssl_session_cache off, tickets off: nothing resumes
serve 'ssl_session_cache off; ssl_session_tickets off;'
session -tls1_2 "$T/s12"
session -tls1_3 "$T/s13"
expect_eq 0 "$(resumed -tls1_2 "$T/s12")" "ssl_session_cache off: TLS 1.2 resumed none"
expect_eq 0 "$(resumed -tls1_3 "$T/s13")" "ssl_session_cache off: TLS 1.3 resumed none"

# --- tickets with the master's keys (no cache at all)
serve 'ssl_session_cache none; ssl_session_tickets on;'
session -tls1_2 "$T/s12"
session -tls1_3 "$T/s13"
expect_eq 4 "$(resumed -tls1_2 "$T/s12")" "tickets, no cache: TLS 1.2 resumed 4 of 4 across 2 workers"
expect_eq 4 "$(resumed -tls1_3 "$T/s13")" "tickets, no cache: TLS 1.3 resumed 4 of 4 across 2 workers"
expect_eq 4 "$(chained -tls1_3 "$T/s13")" "tickets: TLS 1.3, each the newest ticket (a resumed handshake renews it): 4 of 4"
if [ "$IS_NGINX" = 0 ]; then
    reload_with 'ssl_session_cache none; ssl_session_tickets on;'
    expect_eq 4 "$(resumed -tls1_2 "$T/s12")" "after a reload: TLS 1.2 ticket from before resumed 4 of 4"
    expect_eq 4 "$(resumed -tls1_3 "$T/s13")" "after a reload: TLS 1.3 ticket from before resumed 4 of 4"
fi

# --- ssl_session_ticket_key files: the first seals, all open
head -c 80 /dev/urandom >"$T/k80.key"
head -c 48 /dev/urandom >"$T/k48.key"
serve "ssl_session_cache off; ssl_session_ticket_key $T/k80.key;"
session -tls1_2 "$T/s12"
session -tls1_3 "$T/s13"
expect_eq 4 "$(resumed -tls1_2 "$T/s12")" "80-byte key file: TLS 1.2 resumed 4 of 4"
expect_eq 4 "$(resumed -tls1_3 "$T/s13")" "80-byte key file: TLS 1.3 resumed 4 of 4"
reload_with "ssl_session_cache off; ssl_session_ticket_key $T/k48.key; ssl_session_ticket_key $T/k80.key;"
expect_eq 4 "$(resumed -tls1_2 "$T/s12")" "a ticket sealed with the second key still opens (TLS 1.2)"
expect_eq 4 "$(resumed -tls1_3 "$T/s13")" "a ticket sealed with the second key still opens (TLS 1.3)"
session -tls1_3 "$T/n13"
expect_eq 4 "$(resumed -tls1_3 "$T/n13")" "48-byte key file: TLS 1.3 resumed 4 of 4"
reload_with "ssl_session_cache off; ssl_session_ticket_key $T/k48.key;"
expect_eq 0 "$(resumed -tls1_3 "$T/s13")" "a key no longer listed opens nothing"
expect_eq 4 "$(resumed -tls1_3 "$T/n13")" "the 48-byte key's ticket still opens"

# --- a name-based server with its own keys and cache: OpenSSL looks a
# session up before SNI picks the server, so both ends use the first one's
head -c 80 /dev/urandom >"$T/kb.key"
stop_server
SERVER_PID=
WORKERS=2 HTTP_EXTRA="server {
        listen 127.0.0.1:$PORT ssl;
        server_name b.test;
        root $WWW;
        ssl_certificate $CERT;
        ssl_certificate_key $KEY;
        ssl_session_ticket_key $T/kb.key;
        ssl_session_cache shared:B:1m;
    }" SERVER_EXTRA="ssl_session_ticket_key $T/k80.key; ssl_session_cache shared:A:1m;" gen_config
start_server || finish
for v in -tls1_2 -tls1_3; do
    rm -f "$T/sb"
    printf 'GET / HTTP/1.0\r\n\r\n' | openssl s_client -ign_eof $v -servername b.test \
        -connect "127.0.0.1:$PORT" -sess_out "$T/sb" >/dev/null 2>&1
    n=0
    for _ in 1 2 3 4; do
        printf 'GET / HTTP/1.0\r\n\r\n' | openssl s_client -ign_eof $v -servername b.test \
            -connect "127.0.0.1:$PORT" -sess_in "$T/sb" 2>/dev/null | grep -q '^Reused' && n=$((n + 1))
    done
    expect_eq 4 "$n" "SNI b.test (not the default server), tickets and cache of its own: TLS $(echo "${v#-tls}" | tr _ .) resumed 4 of 4"
done
stop_server

# --- configuration errors
head -c 10 /dev/urandom >"$T/bad.key"
for bad in "ssl_session_cache shared:SSL;|invalid session cache" \
    "ssl_session_cache bogus;|invalid session cache" \
    "ssl_session_cache shared:SSL:1k;|too small" \
    "ssl_session_ticket_key $T/bad.key;|must be 48 or 80 bytes"; do
    SERVER_EXTRA="${bad%%|*}" gen_config "$T/bad.conf"
    # shellcheck disable=SC2046
    out=$($(server_cmd "$T/bad.conf") -t 2>&1)
    expect_match "${bad#*|}" "$out" "rejected: ${bad%%|*}"
done

finish
