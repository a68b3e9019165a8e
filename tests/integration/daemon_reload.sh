#!/usr/bin/env bash
# Reload (SIGHUP and "ktlsd -s reload"): five reloads under load drop no
# request (wrk: keep-alive and new connections, TLS and plain; a Python
# client without wrk, or with NO_WRK=1); a bad file keeps the old
# configuration serving; certificates are re-read; listeners are opened and
# closed as the file says; "-s quit" stops gracefully, removing the pid file.
# shellcheck source=../lib.sh disable=SC2119,SC2034
. "${SRCDIR:-$(cd "$(dirname "$0")/../.." && pwd)}/tests/lib.sh"
[ "$IS_NGINX" = 1 ] && skip "ktlsd-specific (generations, log lines)"

mkfile small.bin 4096
printf 'hello\n' >"$WWW/index.html"

# "-s reload" goes through the pid file; plain SIGHUP through the pid.
reload() {
    if [ "${1:-}" = kill ]; then
        kill -HUP "$SERVER_PID"
    else
        "$KTLSD" -c "$CONF" -s reload
    fi
}


# ---------------------------------------------------------------- under load
WORKERS=2 PLAIN=1 gen_config
start_server || finish
wait_workers 2

LOAD_S=6
if [ -z "${NO_WRK:-}" ] && command -v wrk >/dev/null 2>&1; then
    log "load: wrk (keep-alive TLS, new-connection TLS, keep-alive plain)"
    wrk -t2 -c16 -d${LOAD_S}s --timeout 5s "$(url /small.bin)" >"$T/wrk.ka" 2>&1 &
    W1=$!
    wrk -t1 -c4 -d${LOAD_S}s --timeout 5s -H 'Connection: close' "$(url /small.bin)" >"$T/wrk.close" 2>&1 &
    W2=$!
    wrk -t1 -c8 -d${LOAD_S}s --timeout 5s "$(purl /small.bin)" >"$T/wrk.plain" 2>&1 &
    W3=$!
    BG_PIDS+=("$W1" "$W2" "$W3")
else
    log "load: python3 http.client (wrk not installed)"
    python3 "$CLIENTS/http_load.py" "$PORT" "$PLAIN_PORT" "$LOAD_S" >"$T/py.load" 2>&1 &
    W1=$!
    BG_PIDS+=("$W1")
fi
sleep 0.8
for how in pidfile kill pidfile kill pidfile; do
    reload "$how"
    sleep 0.9
done
wait "${BG_PIDS[@]}"

if [ -f "$T/wrk.ka" ]; then
    for f in "$T"/wrk.ka "$T"/wrk.close "$T"/wrk.plain; do
        name=$(basename "$f")
        n=$(awk '/requests in/ {print $1}' "$f")
        expect_match '^[1-9][0-9]*$' "${n:-0}" "$name: requests were made during the reloads"
        expect_eq "" "$(grep -E 'Socket errors|Non-2xx' "$f")" "$name: no socket error, no non-2xx answer"
    done
else
    expect_match '^requests=[1-9][0-9]* failures=0$' "$(head -n 1 "$T/py.load")" "python load: no failed request"
    sed 's/^/#   /' "$T/py.load" | head -n 6
fi
expect_eq 5 "$(grep -c 'reconfigured from' "$T/error.log")" "five reloads logged"
expect_file_match 'generation 6, 2 workers' "$T/error.log" "generation 6 runs after five reloads"
wait_log 'generation 5 finished' 5
check "old generations finished" test "$(grep -c 'generation [1-5] finished' "$T/error.log")" = 5
sleep 0.3
expect_eq 2 "$(worker_pids | grep -c .)" "only the new generation's 2 workers remain"

# ---------------------------------------------------------------- bad file
BEFORE=$(worker_pids | sort | tr '\n' ' ')
cp "$CONF" "$T/good.conf"
LINES=$(($(wc -l <"$CONF") + 1))
echo "no_such_directive on;" >>"$CONF"
reload kill
check "bad file: the error names FILE:LINE" wait_log "ktlsd\.conf:$LINES: unknown directive \"no_such_directive\""
expect_file_match '\[error\].*reload failed, still serving' "$T/error.log" "bad file: reload failed is logged"
expect_eq 200 "$(hstatus "$(url /small.bin)")" "bad file: the old configuration keeps serving TLS"
expect_eq 200 "$(hstatus "$(purl /small.bin)")" "bad file: ... and plain"
expect_eq "$BEFORE" "$(worker_pids | sort | tr '\n' ' ')" "bad file: the workers were not replaced"

# a certificate that no longer loads is a bad reload too
cp "$T/good.conf" "$CONF"
cp "$KEY" "$T/key.good"
echo garbage >"$KEY"
reload
check "bad key: reload refused" wait_log "reload failed.*generation 6"
expect_eq 200 "$(hstatus "$(url /small.bin)")" "bad key: still serving"
cp "$T/key.good" "$KEY"

# ---------------------------------------------------------------- certificates
subject() {
    openssl s_client -connect "127.0.0.1:$PORT" -servername localhost </dev/null 2>/dev/null |
        openssl x509 -noout -subject 2>/dev/null | sed 's/.*CN *= *//'
}
expect_eq localhost "$(subject)" "certificate before reload"
gen_cert "$T/new.pem" "$T/newkey.pem" reloaded.example
cp "$T/new.pem" "$CERT"
cp "$T/newkey.pem" "$KEY"
reload
wait_log 'generation 7, 2 workers'
expect_eq reloaded.example "$(subject)" "certificate and key are re-read on reload"

# ---------------------------------------------------------------- listeners
OLD_PLAIN=$PLAIN_PORT
NEW_PLAIN=$(free_port)
sed -i "s/listen 127.0.0.1:$OLD_PLAIN;/listen 127.0.0.1:$NEW_PLAIN;/" "$CONF"
reload
wait_log 'generation 8, 2 workers'
check "added listener accepts after reload" wait_port "$NEW_PLAIN" 3
expect_eq 200 "$(hstatus "http://127.0.0.1:$NEW_PLAIN/small.bin")" "added listener serves"
closed=no
for _ in $(seq 1 40); do
    if ! (exec 3<>"/dev/tcp/127.0.0.1/$OLD_PLAIN") 2>/dev/null; then
        closed=yes
        break
    fi
    sleep 0.05
done
expect_eq yes "$closed" "removed listener is closed"
expect_eq 200 "$(hstatus "$(url /small.bin)")" "kept listener still serves"

# ---------------------------------------------------------------- -s quit
check "pid file holds the master's pid" test "$(cat "$T/ktlsd.pid")" = "$SERVER_PID"
"$KTLSD" -c "$CONF" -s quit
for _ in $(seq 1 100); do
    kill -0 "$SERVER_PID" 2>/dev/null || break
    sleep 0.05
done
check_not "-s quit: the master exited" kill -0 "$SERVER_PID" 2>/dev/null
wait "$SERVER_PID"
expect_eq 0 "$?" "-s quit: exit status 0"
check_not "-s quit: pid file removed" test -e "$T/ktlsd.pid"
expect_file_match 'gracefully shutting down' "$T/error.log" "-s quit is a graceful stop"
OUT=$("$KTLSD" -c "$CONF" -s reload 2>&1)
expect_match 'open\(\) ".*ktlsd\.pid" failed' "$OUT" "-s reload without a running master says why"
OUT=$("$KTLSD" -c "$CONF" -s bogus 2>&1)
expect_match 'invalid option: "-s bogus"' "$OUT" "-s with an unknown signal name is refused"

finish
