#!/usr/bin/env bash
# Timeouts and limits: client_header_timeout, keepalive_timeout,
# worker_connections saturation (no busy loop), worker restart after SIGKILL.
# shellcheck source=../lib.sh disable=SC2119,SC2016,SC2034
. "${SRCDIR:-$(cd "$(dirname "$0")/../.." && pwd)}/tests/lib.sh"

printf 'plain text\n' >"$WWW/a.txt"

# elapsed TIMEOUT [raw args...] < input: run raw, print "EXIT ELAPSED"
elapsed() {
    local out st
    out=$(raw --timeout "$@" 2>&1 >/dev/null)
    st=$?
    echo "$st $(echo "$out" | sed -n 's/^elapsed=//p')"
}
# ---------------------------------------------------------------- timeouts
PLAIN=1 HTTP_EXTRA="client_header_timeout 1s; keepalive_timeout 1s;" gen_config
start_server || finish

# Run the idle clients in parallel: each waits ~1 s.
raw --timeout 4 "$PORT" </dev/null >/dev/null 2>"$T/t1" &
BG_PIDS+=($!)
raw --tls --timeout 4 "$PORT" </dev/null >/dev/null 2>"$T/t2" &
BG_PIDS+=($!)
printf 'GET /a.txt HTTP/1.1\r\n' | raw --tls --timeout 4 "$PORT" >/dev/null 2>"$T/t3" &
BG_PIDS+=($!)
raw --timeout 4 "$PLAIN_PORT" </dev/null >/dev/null 2>"$T/t4" &
BG_PIDS+=($!)
printf 'GET /a.txt HTTP/1.1\r\nHost: x\r\n\r\n' | raw --tls --timeout 4 "$PORT" >"$T/ka.out" 2>"$T/t5" &
BG_PIDS+=($!)
wait "${BG_PIDS[@]}" 2>/dev/null
BG_PIDS=()
i=1
for what in "TCP connect to TLS port, no ClientHello" "TLS handshake, then no request" \
    "TLS, partial request line" "plain listener, no request" "TLS keep-alive idle after a response"; do
    st=$(sed -n 's/^\(closed\|timeout\|reset\)$/\1/p' "$T/t$i")
    el=$(sed -n 's/^elapsed=//p' "$T/t$i")
    expect_in "closed reset" "$st" "$what: closed by the server"
    check "$what: closed after ~1 s (took ${el:-?} s)" in_range "${el:-99}" 0.7 2.5
    i=$((i + 1))
done
check "keep-alive request answered before the idle close" grep -q '^plain text' "$T/ka.out"
expect_eq 200 "$(hstatus "$(url /a.txt)")" "serving normally after the timeouts"
stop_server

# ---------------------------------------------------------------- worker_connections
N=8
new_ports
WORKER_CONNECTIONS=$N HTTP_EXTRA="client_header_timeout 20s;" gen_config
start_server || finish
wait_workers 1 || fail "no worker process"
W=$(worker_pids | head -n1)

# hold N+4 idle TCP connections (the extra ones sit in the backlog or are
# refused; either way the listener stays readable)
python3 "$CLIENTS/hold_conns.py" "$PORT" $((N + 4)) 30 >"$T/hold.out" &
HOLD=$!
BG_PIDS+=("$HOLD")
for i in $(seq 1 50); do [ -s "$T/hold.out" ] && break; sleep 0.05; done
check "idle connections opened ($(cat "$T/hold.out"))" test -s "$T/hold.out"
sleep 0.3 # let the worker accept what it can
c0=$(cpu_ticks "$W")
m0=$(cpu_ticks "$SERVER_PID")
sleep 1
c1=$(cpu_ticks "$W")
m1=$(cpu_ticks "$SERVER_PID")
check "worker does not spin at worker_connections (cpu $((c1 - c0)) ticks/s)" test $((c1 - c0)) -le 10
check "master does not spin (cpu $((m1 - m0)) ticks/s)" test $((m1 - m0)) -le 10
check "worker still alive while saturated" kill -0 "$W"

kill -KILL $HOLD
wait $HOLD 2>/dev/null
BG_PIDS=()
st=000
for i in $(seq 1 20); do # recovers once they close
    st=$(hstatus "$(url /a.txt)" --max-time 2)
    [ "$st" = 200 ] && break
    sleep 0.1
done
expect_eq 200 "$st" "serves again after the idle connections close"
# a few concurrent requests, all succeed
for i in 1 2 3 4 5 6; do
    hstatus "$(url /a.txt)" >"$T/par.$i" &
    BG_PIDS+=($!)
done
wait "${BG_PIDS[@]}" 2>/dev/null
BG_PIDS=()
expect_eq "200200200200200200" "$(cat "$T"/par.*)" "6 parallel requests after recovery"

# ---------------------------------------------------------------- worker restart
kill -KILL "$W"
ERRLOG_ALLOW='signal 9|exited on signal'
new=
for i in $(seq 1 60); do
    new=$(worker_pids | grep -vx "$W" | head -n1)
    [ -n "$new" ] && break
    sleep 0.05
done
check "master restarts a worker killed with SIGKILL (new pid ${new:-none})" test -n "$new"
st=000
for i in $(seq 1 20); do
    st=$(hstatus "$(url /a.txt)" --max-time 2)
    [ "$st" = 200 ] && break
    sleep 0.1
done
expect_eq 200 "$st" "serving resumes after the worker restart"
check "master still running" kill -0 "$SERVER_PID"
stop_server
expect_eq 0 "$?" "SIGTERM: master and workers exit, status 0"

# ---------------------------------------------------------------- several workers
new_ports
WORKERS=3 gen_config
start_server || finish
check "worker_processes 3 starts 3 workers" wait_workers 3
expect_eq 3 "$(worker_pids | grep -c .)" "exactly 3 workers"
for i in 1 2 3 4 5 6; do
    hstatus "$(url /a.txt)" >"$T/par.$i" &
    BG_PIDS+=($!)
done
wait "${BG_PIDS[@]}" 2>/dev/null
BG_PIDS=()
expect_eq "200200200200200200" "$(cat "$T"/par.*)" "6 parallel requests with 3 workers"
stop_server
expect_eq 0 "$?" "SIGTERM with 3 workers: clean exit"

finish
