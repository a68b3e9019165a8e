#!/usr/bin/env bash
# listen options: [::] with ipv6only (on by default, off: IPv4 too),
# reuseport (one socket per worker), backlog=, rcvbuf=/sndbuf=,
# so_keepalive=, fastopen=, deferred, bind; errors with FILE:LINE.
# Checked from the outside with ss(8).
# shellcheck source=../lib.sh disable=SC2119,SC2016,SC2034
. "${SRCDIR:-$(cd "$(dirname "$0")/../.." && pwd)}/tests/lib.sh"
need curl ss
printf 'hello\n' >"$WWW/a.txt"

# conf PORT LISTEN_LINES...: a plain server with those listen lines
conf() {
    local f=$T/l.conf
    shift 0
    {
        printf 'worker_processes %s;\nerror_log %s info;\npid %s;\nevents {}\n' \
            "${WORKERS:-1}" "$T/error.log" "$T/ktlsd.pid"
        printf 'http {\n    access_log %s;\n    server {\n' "$T/access.log"
        for l in "$@"; do printf '        listen %s;\n' "$l"; done
        printf '        root %s;\n    }\n}\n' "$WWW"
    } >"$f"
    CONF=$f
}
have_v6() { python3 -c 'import socket; s=socket.socket(socket.AF_INET6); s.bind(("::1", 0))' 2>/dev/null; }

P=$(free_port)
if have_v6; then
    conf "127.0.0.1:$P" "[::1]:$P"
    start_server "$CONF" "$P" || finish
    expect_eq 200 "$(hstatus "http://[::1]:$P/a.txt")" "[::1]:PORT serves IPv6"
    expect_eq 200 "$(hstatus "http://127.0.0.1:$P/a.txt")" "... and 127.0.0.1:PORT beside it (ipv6only on)"
    stop_server
    P=$(free_port)
    conf "[::]:$P ipv6only=off"
    start_server "$CONF" "$P" || finish
    expect_eq 200 "$(hstatus "http://127.0.0.1:$P/a.txt")" "[::]:PORT ipv6only=off takes IPv4 too"
    expect_eq 200 "$(hstatus "http://[::1]:$P/a.txt")" "... and IPv6"
    stop_server
    P=$(free_port)
    P2=$(free_port)
    conf "[::]:$P" "127.0.0.1:$P2" # start_server waits on IPv4
    start_server "$CONF" "$P2" || finish
    expect_eq 000 "$(hstatus "http://127.0.0.1:$P/a.txt" --max-time 2)" "[::]:PORT alone: no IPv4 (ipv6only on)"
    stop_server
else
    log "no IPv6 on this host: [::] cases skipped"
fi

# reuseport: one listening socket per worker
P=$(free_port)
WORKERS=2 conf "127.0.0.1:$P reuseport backlog=77 rcvbuf=64k sndbuf=32k deferred bind fastopen=16 so_keepalive=30s:10s:3"
start_server "$CONF" "$P" || finish
wait_workers 2 2>/dev/null || sleep 0.5
ss -ltnpm "( sport = :$P )" >"$T/ss.out"
expect_eq 2 "$(grep -c LISTEN "$T/ss.out")" "reuseport: two listening sockets for two workers"
# each socket: the master (which keeps it for reloads) and one worker, not the other
W=$(grep LISTEN "$T/ss.out" | while read -r line; do
    grep -o 'pid=[0-9]*' <<<"$line" | grep -v "pid=$SERVER_PID\$" | tr '\n' ' '
    echo
done)
expect_eq "1 1" "$(awk '{ print NF }' <<<"$W" | paste -sd' ')" "... each held by one worker"
expect_eq 2 "$(sort -u <<<"$W" | wc -l)" "... a different one each"
check "backlog=77 (ss Send-Q)" grep -qE "LISTEN +[0-9]+ +77 " "$T/ss.out"
check "rcvbuf=64k (rb, doubled by the kernel)" grep -q "rb131072" "$T/ss.out"
check "sndbuf=32k (tb)" grep -q "tb65536" "$T/ss.out"
ok=0
for _ in 1 2 3 4 5 6; do
    [ "$(hstatus "http://127.0.0.1:$P/a.txt")" = 200 ] && ok=$((ok + 1))
done
expect_eq 6 "$ok" "requests are served through the reuseport sockets"
# so_keepalive: an accepted connection carries the keepalive timer
exec 5<>"/dev/tcp/127.0.0.1/$P"
printf 'GET /a.txt HTTP/1.1\r\nHost: x\r\n\r\n' >&5
sleep 0.3
ss -tno state established "( sport = :$P )" >"$T/ss2.out"
check "so_keepalive=30s:10s:3: the connection has a keepalive timer" grep -q "timer:(keepalive" "$T/ss2.out"
exec 5>&-
# a reload keeps the sockets
kill -HUP "$SERVER_PID"
sleep 1
expect_eq 200 "$(hstatus "http://127.0.0.1:$P/a.txt")" "after a reload, still served"
ss -ltn "( sport = :$P )" >"$T/ss3.out"
expect_eq 2 "$(grep -c LISTEN "$T/ss3.out")" "... on the same two sockets"
stop_server

# errors, with FILE:LINE
bad() { # bad WHAT LISTEN_ARGS MSG_ERE
    conf "$2"
    "$KTLSD" -t -c "$CONF" >"$T/bad.out" 2>&1
    expect_file_match "\[emerg\] $CONF:8: $3" "$T/bad.out" "$1"
}
bad "ipv6only on an IPv4 address" "127.0.0.1:1 ipv6only=on" 'ipv6only is not supported on addr "127.0.0.1:1"'
bad "ipv6only=maybe" "[::1]:1 ipv6only=maybe" 'invalid ipv6only flags "maybe"'
bad "so_keepalive=1x" "127.0.0.1:1 so_keepalive=1x" 'invalid so_keepalive value'
bad "so_keepalive=1m:2" "127.0.0.1:1 so_keepalive=1m:2" 'invalid so_keepalive value'
bad "rcvbuf=big" "127.0.0.1:1 rcvbuf=big" 'invalid rcvbuf "big"'
bad "fastopen=-1" "127.0.0.1:1 fastopen=-1" 'invalid fastopen "-1"'
bad "backlog=0" "127.0.0.1:1 backlog=0" 'invalid backlog "0"'
bad "setfib" "127.0.0.1:1 setfib=1" 'invalid parameter "setfib=1"'
conf "127.0.0.1:1 so_keepalive=off" && "$KTLSD" -t -c "$CONF" >/dev/null 2>&1
expect_eq 0 "$?" "so_keepalive=off passes -t"
conf "127.0.0.1:1 so_keepalive=:10s:" && "$KTLSD" -t -c "$CONF" >/dev/null 2>&1
expect_eq 0 "$?" "so_keepalive=:10s: passes -t"
finish
