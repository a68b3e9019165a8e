#!/usr/bin/env bash
# systemd integration without systemd: sd_notify messages caught on a
# NOTIFY_SOCKET of the test's own (READY, RELOADING + MONOTONIC_USEC, READY,
# STOPPING, STATUS lines), and socket activation with listening sockets
# handed over by a harness as systemd does (LISTEN_FDS / LISTEN_PID), also
# through systemd-socket-activate when it is installed.
# shellcheck source=../lib.sh disable=SC2119,SC2034
. "${SRCDIR:-$(cd "$(dirname "$0")/../.." && pwd)}/tests/lib.sh"
[ "$IS_NGINX" = 1 ] && skip "ktlsd-specific (sd_notify, socket activation)"
if ! "$KTLSD" -V >/dev/null 2>&1 || ! ldd "$KTLSD" 2>/dev/null | grep -q libsystemd; then
    skip "ktlsd built without libsystemd (-DKTLSD_SYSTEMD=OFF)"
fi

printf 'hello\n' >"$WWW/index.html"

# ---------------------------------------------------------------- sd_notify
# One datagram per line, its newlines turned into "|".
python3 "$CLIENTS/notify_listener.py" "$T/notify.sock" "$T/notify.log" &
BG_PIDS+=($!)
disown $! # no "Killed" notice at clean-up
for _ in $(seq 1 100); do
    [ -f "$T/notify.log.ready" ] && break
    sleep 0.05
done

# wait_msg ERE: until a notification matches, <= 5 s
wait_msg() {
    for _ in $(seq 1 100); do
        grep -Eq -- "$1" "$T/notify.log" 2>/dev/null && return 0
        sleep 0.05
    done
    return 1
}

WORKERS=2 PLAIN=1 gen_config
export NOTIFY_SOCKET=$T/notify.sock
start_server || finish
unset NOTIFY_SOCKET
check "READY=1 after start-up" wait_msg '^READY=1$'
check "STATUS= names the workers" wait_msg '^STATUS=2 workers, 2 listeners, generation 1; 0 connections \(0 on kTLS\), 0 requests'
expect_eq 200 "$(hstatus "$(url /)")" "serving once READY=1 is sent"

mono_usec() { python3 -c 'import time; print(time.monotonic_ns() // 1000)'; }
MONO_BEFORE=$(mono_usec)
kill -HUP "$SERVER_PID"
check "a reload is reported" wait_log 'generation 2, 2 workers'
wait_msg '^STATUS=.*generation 2' >/dev/null
MONO_AFTER=$(mono_usec)
cp "$CONF" "$T/good.conf"
echo "bogus_directive;" >>"$CONF"
kill -HUP "$SERVER_PID"
check "a failed reload is reported" wait_msg '^STATUS=.*last reload failed: .*ktlsd\.conf:[0-9]+: unknown directive "bogus_directive"'
cp "$T/good.conf" "$CONF"
kill -QUIT "$SERVER_PID"
for _ in $(seq 1 100); do
    kill -0 "$SERVER_PID" 2>/dev/null || break
    sleep 0.05
done
check_not "the server stopped" kill -0 "$SERVER_PID" 2>/dev/null
sleep 0.1

STATES=$(grep -Ev '^STATUS=' "$T/notify.log" | sed 's/|MONOTONIC_USEC=[0-9]*//' | tr '\n' ' ')
expect_eq "READY=1 RELOADING=1 READY=1 RELOADING=1 READY=1 STOPPING=1 " "$STATES" \
    "state notifications in order (start, reload, failed reload, stop)"
USEC=$(grep -m1 '^RELOADING=1' "$T/notify.log" | sed -n 's/.*MONOTONIC_USEC=\([0-9]*\).*/\1/p')
expect_match '^[0-9]+$' "${USEC:-}" "RELOADING=1 carries MONOTONIC_USEC"
check "MONOTONIC_USEC is the monotonic clock at the reload" \
    test "${USEC:-0}" -ge "$MONO_BEFORE" -a "${USEC:-0}" -le "$MONO_AFTER"
expect_match 'STATUS=stopping' "$(cat "$T/notify.log")" "STATUS= tells about the stop"
log "notifications:"
sed 's/^/#   /' "$T/notify.log"

# ---------------------------------------------------------------- socket activation
# The harness binds what a ktlsd.socket unit would (the TLS and the plain
# port, plus one that no listen directive names), puts them at fds 3, 4, 5,
# sets LISTEN_FDS/LISTEN_PID and execs ktlsd. It keeps its own copies of the
# two used sockets open, so a bind() of ktlsd's own would fail (EADDRINUSE):
# serving proves the passed sockets are used.
new_ports
UNUSED_PORT=$(free_port)
WORKERS=2 PLAIN=1 gen_config
SERVER_OUT=$T/activate.out
setsid python3 "$CLIENTS/socket_activate.py" "$PORT" "$PLAIN_PORT" "$UNUSED_PORT" "$KTLSD" -c "$CONF" >"$SERVER_OUT" 2>&1 </dev/null &
SERVER_PID=$!
SERVER_PIDS+=("$SERVER_PID")
check "activated: TLS port accepts" wait_port "$PORT" 5
expect_eq 200 "$(hstatus "$(url /)")" "activated: serves TLS on the passed socket"
expect_eq 200 "$(hstatus "$(purl /)")" "activated: serves plain HTTP on the passed socket"
expect_file_match 'ktlsd started: 2 workers, 2 listeners \(socket activation\)' "$T/error.log" \
    "activated: start-up says the sockets were passed"
expect_file_match "\[warn\].*socket 127\.0\.0\.1:$UNUSED_PORT \(fd 5\) passed by the service manager matches no \"listen\" directive: closed" \
    "$T/error.log" "activated: an unmatched socket is logged"
check_not "activated: the unmatched socket is closed" wait_port "$UNUSED_PORT" 1
MASTER=$(cat "$T/ktlsd.pid")

# reload: the same sockets; a listener dropped and brought back takes the
# passed socket again (bind() would fail: the harness holds the port)
cp "$CONF" "$T/full.conf"
RUNNING=$CONF
WORKERS=2 PLAIN=0 gen_config "$T/noplain.conf" # the same TLS server, no plain one
CONF=$RUNNING
cp "$T/noplain.conf" "$CONF"
kill -HUP "$MASTER"
# (the first server's log lines are in the same file: wait for this reload's
# own line, else the next SIGHUP can arrive before this one is handled, the
# two merge into one reload, and generation 3 never comes: the flake seen
# under ctest -j4)
check "activated: reload without the plain listener" wait_log 'generation 2, 2 workers, 1 listener( |$)'
cp "$T/full.conf" "$CONF"
kill -HUP "$MASTER"
check "activated: reload with it again" wait_log 'generation 3, 2 workers, 2 listeners'
expect_eq 200 "$(hstatus "$(purl /)")" "activated: the plain socket is served again after the reloads"
expect_eq 200 "$(hstatus "$(url /)")" "activated: TLS still served after the reloads"
expect_eq 0 "$(grep -c 'bind() to' "$T/error.log")" "activated: ktlsd never bound a socket itself"
stop_server "$MASTER"

# ---------------------------------------------------------------- systemd-socket-activate
if command -v systemd-socket-activate >/dev/null 2>&1; then
    new_ports
    gen_config
    rm -f "$T/error.log"
    SERVER_OUT=$T/ssa.out
    setsid systemd-socket-activate -l "127.0.0.1:$PORT" "$KTLSD" -c "$CONF" >"$SERVER_OUT" 2>&1 </dev/null &
    SERVER_PID=$!
    SERVER_PIDS+=("$SERVER_PID")
    # systemd-socket-activate binds, then execs ktlsd on the first connection
    check "systemd-socket-activate listens" wait_port "$PORT" 5
    expect_eq 200 "$(hstatus "$(url /)" --max-time 10)" "systemd-socket-activate: first request answered"
    expect_file_match '\(socket activation\)' "$T/error.log" "systemd-socket-activate: the passed socket is used"
    stop_server
else
    log "systemd-socket-activate not installed: that part skipped"
fi

finish
