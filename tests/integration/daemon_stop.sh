#!/usr/bin/env bash
# Stopping: SIGQUIT (graceful) lets a 100 MiB download in flight finish
# intact while new connections are refused; worker_shutdown_timeout cuts a
# download that takes too long; SIGTERM (fast) stops at once; a worker that
# crashes is restarted, and one that keeps crashing is restarted with a
# back-off, each event logged.
# shellcheck source=../lib.sh disable=SC2119,SC2034
. "${SRCDIR:-$(cd "$(dirname "$0")/../.." && pwd)}/tests/lib.sh"
[ "$IS_NGINX" = 1 ] && skip "ktlsd-specific (log lines)"

ERRLOG_ALLOW='exited on signal (9|11)'
mkfile big.bin $((100 * 1024 * 1024))
BIG_MD5=$(md5 "$WWW/big.bin")
printf 'hi\n' >"$WWW/index.html"

# wait_exit PID TIMEOUT_S: until PID is gone; prints the seconds it took
wait_exit() {
    local start=$SECONDS i
    for i in $(seq 1 $(($2 * 20))); do
        kill -0 "$1" 2>/dev/null || { echo $((SECONDS - start)); return 0; }
        sleep 0.05
    done
    return 1
}

exits_within() { wait_exit "$@" >/dev/null; }

# download RATE OUT: curl in the background, status into OUT.rc
download() {
    (
        curl -s -k --http1.1 --max-time 30 --limit-rate "$1" -o "$2" "$(url /big.bin)"
        echo $? >"$2.rc"
    ) &
    BG_PIDS+=($!)
    DL_PID=$!
    # until the response has started
    for _ in $(seq 1 100); do
        [ -s "$2" ] && return 0
        sleep 0.05
    done
}

refused() { ! (exec 3<>"/dev/tcp/127.0.0.1/$PORT") 2>/dev/null; }

# ---------------------------------------------------------------- graceful
WORKERS=2 gen_config
start_server || finish
download 60M "$T/dl1"
kill -QUIT "$SERVER_PID"
sleep 0.3
check "graceful stop: new connections are refused at once" refused
check "graceful stop: the master waits for the download" kill -0 "$SERVER_PID"
wait "$DL_PID"
expect_eq 0 "$(cat "$T/dl1.rc")" "graceful stop: curl finished without error"
expect_eq "$BIG_MD5" "$(md5 "$T/dl1")" "graceful stop: the 100 MiB body arrived intact"
check "graceful stop: the master exits after the download" exits_within "$SERVER_PID" 5
wait "$SERVER_PID"
expect_eq 0 "$?" "graceful stop: exit status 0"
check_not "graceful stop: pid file removed" test -e "$T/ktlsd.pid"
expect_file_match 'gracefully shutting down' "$T/error.log" "graceful stop logged"
rm -f "$T/dl1"

# ---------------------------------------------------------------- worker_shutdown_timeout
new_ports
MAIN_EXTRA="worker_shutdown_timeout 1s;" gen_config
start_server || finish
download 5M "$T/dl2" # 20 s at this rate
kill -QUIT "$SERVER_PID"
took=$(wait_exit "$SERVER_PID" 6)
check "worker_shutdown_timeout 1s: the master exits within 6 s" test -n "$took"
wait "$DL_PID"
expect_ne 0 "$(cat "$T/dl2.rc")" "worker_shutdown_timeout: the slow download was cut"
expect_file_match 'worker_shutdown_timeout \(1s\) expired, closing 1 connection' "$T/error.log" \
    "worker_shutdown_timeout logged"
rm -f "$T/dl2"

# ---------------------------------------------------------------- fast stop
new_ports
gen_config
start_server || finish
download 5M "$T/dl3"
kill -TERM "$SERVER_PID"
took=$(wait_exit "$SERVER_PID" 3)
check "SIGTERM: the master exits within 3 s, download in flight or not" test -n "$took"
wait "$DL_PID"
expect_ne 0 "$(cat "$T/dl3.rc")" "SIGTERM: the download was cut"
expect_file_match 'exiting, Terminated' "$T/error.log" "fast stop logged"
rm -f "$T/dl3"

# ---------------------------------------------------------------- crash and restart
new_ports
WORKERS=2 gen_config
start_server || finish
wait_workers 2
victim=$(worker_pids | head -n 1)
kill -SEGV "$victim"
restarted=no
for _ in $(seq 1 60); do
    pids=$(worker_pids)
    if [ "$(echo "$pids" | grep -c .)" = 2 ] && ! echo "$pids" | grep -qx "$victim"; then
        restarted=yes
        break
    fi
    sleep 0.05
done
expect_eq yes "$restarted" "a crashed worker is restarted"
expect_file_match "\[alert\].*worker process $victim exited on signal 11" "$T/error.log" "the crash is logged"
expect_eq 200 "$(hstatus "$(url /)")" "serving after the restart"

# a worker that dies right after each start: restarted with a growing delay
for _ in 1 2 3; do
    victim=$(worker_pids | head -n 1)
    kill -KILL "$victim"
    for _ in $(seq 1 40); do
        [ "$(worker_pids | grep -c .)" = 2 ] && ! worker_pids | grep -qx "$victim" && break
        sleep 0.05
    done
done
expect_file_match '\[warn\].*died [0-9.]+s after start, restarting in [0-9.]+s' "$T/error.log" \
    "a crash loop is rate-limited (back-off logged)"
check "the master survives worker crashes" kill -0 "$SERVER_PID"
stop_server
expect_eq 0 "$?" "stop after crashes: exit status 0"

finish
