#!/usr/bin/env bash
# access_log buffer=, flush=, gzip[=N], if=, syslog:; error_log in http,
# server and location; log_not_found; errors with FILE:LINE.
# shellcheck source=../lib.sh disable=SC2119,SC2016,SC2034
. "${SRCDIR:-$(cd "$(dirname "$0")/../.." && pwd)}/tests/lib.sh"
need curl gzip
printf 'hello\n' >"$WWW/a.txt"

run() { # run ACCESS_LOG_ARGS [SERVER_EXTRA]: a plain server with that access_log
    new_ports
    NOSSL=1 PLAIN=1 ACCESS_LOG="$1" SERVER_EXTRA="${2:-}" gen_config
    start_server || finish
}
lines() { if [ -f "$1" ]; then wc -l <"$1"; else echo 0; fi; }

# buffer= without flush=: written when full or at exit (nginx), not each second
run "$T/a.log combined buffer=32k"
curl -s -o /dev/null "$(purl /a.txt)"
sleep 1.5
expect_eq 0 "$(lines "$T/a.log")" "buffer=32k: nothing written after 1.5 s"
stop_server
expect_eq 1 "$(lines "$T/a.log")" "... the line is written at exit"

# flush=: written within the interval
run "$T/b.log combined buffer=32k flush=300ms"
curl -s -o /dev/null "$(purl /a.txt)"
sleep 0.9
expect_eq 1 "$(lines "$T/b.log")" "flush=300ms: written within 0.9 s"
stop_server

# the default: written each second
run "$T/c.log"
curl -s -o /dev/null "$(purl /a.txt)"
sleep 1.6
expect_eq 1 "$(lines "$T/c.log")" "no buffer=: written within a second (ktlsd's default)"
stop_server

# gzip: each flush a gzip member; zcat reads them all
run "$T/d.log.gz combined gzip=5 flush=200ms"
curl -s -o /dev/null "$(purl /a.txt)"
sleep 0.6
curl -s -o /dev/null "$(purl /a.txt?second)"
stop_server
check "gzip=5: the file is gzip" gzip -t "$T/d.log.gz"
expect_eq 2 "$(zcat "$T/d.log.gz" | grep -c 'GET /a.txt')" "... with both lines (two members)"

# if=: not logged when the condition is empty or "0"
run "$T/e.log combined if=\$arg_log"
for q in "?log=1" "?log=0" "" "?log=yes"; do
    curl -s -o /dev/null "$(purl "/a.txt$q")"
done
stop_server
expect_eq 2 "$(lines "$T/e.log")" "if=\$arg_log: two of four requests logged"
check "... ?log=1" grep -q 'GET /a.txt?log=1 ' "$T/e.log"
check "... ?log=yes" grep -q 'GET /a.txt?log=yes ' "$T/e.log"

# log_not_found
: >"$T/error.log"
run "$T/f.log" "log_not_found off;"
expect_eq 404 "$(hstatus "$(purl /missing.txt)")" "log_not_found off: 404"
stop_server
check_not "... and no error line for it" grep -q 'missing.txt' "$T/error.log"
run "$T/f.log"
expect_eq 404 "$(hstatus "$(purl /missing.txt)")" "log_not_found on (default): 404"
stop_server
check "... with its error line" grep -q 'open() ".*missing.txt" failed (2: No such file or directory)' "$T/error.log"

# error_log in http, server and location: a request's messages go to its level's log
: >"$T/error.log"
new_ports
NOSSL=1 PLAIN=1 ACCESS_LOG="$T/g.log" HTTP_EXTRA="error_log $T/http-error.log;" \
    SERVER_EXTRA="location /s/ { error_log $T/loc-error.log info; } location /t/ { }" gen_config
start_server || finish
hstatus "$(purl /missing-http.txt)" >/dev/null
hstatus "$(purl /s/missing-loc.txt)" >/dev/null
hstatus "$(purl /t/missing-t.txt)" >/dev/null
sleep 0.2
check "http{} error_log: a server's request is logged there" grep -q 'missing-http.txt' "$T/http-error.log"
check "... an inheriting location's too" grep -q 'missing-t.txt' "$T/http-error.log"
check "location error_log: its request is logged there" grep -q 'missing-loc.txt' "$T/loc-error.log"
check_not "... not in the http one" grep -q 'missing-loc.txt' "$T/http-error.log"
check_not "the main error_log has none of them" grep -q 'missing-' "$T/error.log"
mv "$T/loc-error.log" "$T/loc-error.log.1"
kill -USR1 "$SERVER_PID"
sleep 0.5
hstatus "$(purl /s/after-reopen.txt)" >/dev/null
sleep 0.2
check "SIGUSR1 reopens it" grep -q 'after-reopen.txt' "$T/loc-error.log"
stop_server

# syslog: one RFC 3164 datagram per line
SPORT=$(free_port)
python3 "$CLIENTS/syslog_recv.py" "$SPORT" "$T/syslog.out" 2 &
BG_PIDS+=("$!")
SYSPID=$!
sleep 0.3
run "syslog:server=127.0.0.1:$SPORT,facility=local3,severity=notice,tag=ktlsd_test combined"
curl -s -o /dev/null "$(purl /a.txt?one)"
curl -s -o /dev/null "$(purl /a.txt?two)"
wait "$SYSPID"
stop_server
check "syslog: the first line, <PRI> local3.notice, tag" \
    grep -qE '^<157>[A-Z][a-z]{2} [ 0-9][0-9] [0-9:]{8} [^ ]+ ktlsd_test: 127\.0\.0\.1 - - \[.*\] "GET /a.txt\?one HTTP/1.1" 200 ' "$T/syslog.out"
check "... and the second, at once (no buffer)" grep -q 'GET /a.txt?two ' "$T/syslog.out"

# error_log syslog: the whole line, the level as the severity (error: local7.err, 187)
SPORT=$(free_port)
python3 "$CLIENTS/syslog_recv.py" "$SPORT" "$T/syslog-err.out" 1000 missing-sys &
BG_PIDS+=("$!")
SYSPID=$!
sleep 0.3
run "$T/h.log" "error_log syslog:server=127.0.0.1:$SPORT,tag=ktlsd_err;"
hstatus "$(purl /missing-sys.txt)" >/dev/null
wait "$SYSPID"
stop_server
check "error_log syslog: the line, <187> (local7.err)" \
    grep -qE '^<187>[A-Z][a-z]{2} [ 0-9][0-9] [0-9:]{8} [^ ]+ ktlsd_err: [0-9/]{10} [0-9:]{8} \[error\] [0-9]+#0: \*[0-9]+ open\(\) ".*missing-sys.txt" failed' "$T/syslog-err.out"

# errors, with FILE:LINE
bad() { # bad WHAT ACCESS_LOG_ARGS MSG_ERE [MAIN_EXTRA]
    new_ports
    NOSSL=1 PLAIN=1 ACCESS_LOG="$2" MAIN_EXTRA="${4:-}" gen_config "$T/bad.conf"
    "$KTLSD" -t -c "$T/bad.conf" >"$T/bad.out" 2>&1
    local line
    line=$(grep -nF -- "${5:-access_log $2}" "$T/bad.conf" | head -n1 | cut -d: -f1)
    expect_file_match "\[emerg\] $T/bad.conf:$line: $3" "$T/bad.out" "$1"
}
bad "buffer=0" "$T/x.log combined buffer=0" 'invalid buffer size "0"'
bad "flush=0" "$T/x.log combined flush=0" 'invalid flush time "0"'
bad "gzip=10" "$T/x.log combined gzip=10" 'invalid compression level "10"'
bad "if= empty" "$T/x.log combined if=" 'invalid parameter "if="'
bad "if= unknown variable" "$T/x.log combined if=\$nonesuch" 'unknown "nonesuch" variable'
bad "syslog: without server=" "syslog:tag=x" 'no syslog server specified'
bad "syslog: bad facility" "syslog:server=127.0.0.1,facility=local9" 'unknown syslog facility "local9"'
bad "syslog: bad tag" "syslog:server=127.0.0.1,tag=a-b" 'syslog "tag" only allows alphanumeric characters and underscore'
bad "syslog: buffered" "syslog:server=127.0.0.1 combined buffer=4k" 'logs to syslog cannot be buffered'
bad "error_log memory:" "$T/x.log" '"memory:" error logs are not supported by ktlsd' \
    "error_log memory:32m;" "error_log memory"
finish
