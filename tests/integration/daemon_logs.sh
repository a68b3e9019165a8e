#!/usr/bin/env bash
# Log reopening (logrotate): after the access and error logs are renamed,
# SIGUSR1 ("ktlsd -s reopen") makes new lines land in new files under the
# old names, and a worker started later (crash restart) writes there too.
# shellcheck source=../lib.sh disable=SC2119,SC2034
. "${SRCDIR:-$(cd "$(dirname "$0")/../.." && pwd)}/tests/lib.sh"
[ "$IS_NGINX" = 1 ] && skip "ktlsd-specific (log lines)"

ERRLOG_ALLOW='exited on signal 9'
printf 'x\n' >"$WWW/before.txt"
printf 'y\n' >"$WWW/after.txt"
printf 'z\n' >"$WWW/respawn.txt"

WORKERS=2 gen_config
start_server || finish
curl "${CURL_OPTS[@]}" -o /dev/null "$(url /before.txt)"
wait_log '"GET /before.txt ' 10 "$T/access.log" # flushed once a second
expect_file_match '"GET /before.txt ' "$T/access.log" "first line in access.log"

mv "$T/access.log" "$T/access.log.1"
mv "$T/error.log" "$T/error.log.1"
"$KTLSD" -c "$CONF" -s reopen
for _ in $(seq 1 40); do
    [ -f "$T/access.log" ] && [ -f "$T/error.log" ] && break
    sleep 0.05
done
check "reopen: access.log created again" test -f "$T/access.log"
check "reopen: error.log created again" test -f "$T/error.log"
# the workers reopen on the master's signal: wait (a loaded machine may take
# a while) until each holds the new access.log and none the renamed one
workers_reopened() {
    local pid pids
    pids=$(worker_pids)
    [ -n "$pids" ] || return 1
    for pid in $pids; do
        ls -l "/proc/$pid/fd" 2>/dev/null | grep -q " $T/access.log\$" || return 1
        ! ls -l "/proc/$pid/fd" 2>/dev/null | grep -q " $T/access.log.1\$" || return 1
    done
}
for _ in $(seq 1 200); do
    workers_reopened && break
    sleep 0.05
done
check "reopen: every worker holds the new access.log" workers_reopened
for _ in 1 2 3 4; do
    curl "${CURL_OPTS[@]}" -o /dev/null "$(url /after.txt)"
done
for _ in $(seq 1 200); do # flushed once a second
    [ "$(grep -c '"GET /after.txt ' "$T/access.log")" -ge 4 ] && break
    sleep 0.05
done
expect_eq 4 "$(grep -c '"GET /after.txt ' "$T/access.log")" "reopen: new lines land in the new access.log"
expect_eq 0 "$(grep -c '"GET /after.txt ' "$T/access.log.1")" "reopen: none in the renamed one"
expect_eq 1 "$(grep -c '"GET /before.txt ' "$T/access.log.1")" "reopen: the old line stays in the renamed one"
expect_file_match '\[notice\].*reopening logs' "$T/error.log" "reopen: the error log reopened too"

# a worker restarted after the rotation inherits the master's reopened files
victim=$(worker_pids | head -n 1)
kill -KILL "$victim"
for _ in $(seq 1 60); do
    [ "$(worker_pids | grep -c .)" = 2 ] && ! worker_pids | grep -qx "$victim" && break
    sleep 0.05
done
for _ in 1 2 3 4 5 6; do
    curl "${CURL_OPTS[@]}" -o /dev/null "$(url /respawn.txt)"
done
stop_server
expect_eq 6 "$(grep -c '"GET /respawn.txt ' "$T/access.log")" "a restarted worker writes to the new access.log"
expect_eq 0 "$(grep -c '"GET /respawn.txt ' "$T/access.log.1")" "... and not to the renamed one"

finish
