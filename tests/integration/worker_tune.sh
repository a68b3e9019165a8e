#!/usr/bin/env bash
# The main context's process knobs, seen from /proc: worker_rlimit_nofile
# (each worker's RLIMIT_NOFILE), worker_cpu_affinity (masks per worker, and
# auto), multi_accept on (serves as before).
# shellcheck source=../lib.sh disable=SC2119,SC2016,SC2034
. "${SRCDIR:-$(cd "$(dirname "$0")/../.." && pwd)}/tests/lib.sh"
need curl
printf 'hello\n' >"$WWW/a.txt"
NCPU=$(nproc)

NOSSL=1 PLAIN=1 WORKERS=2 MAIN_EXTRA="worker_rlimit_nofile 3000;
worker_cpu_affinity 01 10;" EVENTS_EXTRA="multi_accept on;" gen_config
start_server || finish
wait_workers 2 || fail "two workers"
expect_eq 200 "$(hstatus "$(purl /a.txt)")" "served (multi_accept on)"
for p in $(worker_pids); do
    expect_eq 3000 "$(awk '/^Max open files/ { print $4 }' "/proc/$p/limits")" "worker $p: RLIMIT_NOFILE 3000"
done
if [ "$NCPU" -ge 2 ]; then
    expect_eq "0 1" "$(for p in $(worker_pids); do awk '/^Cpus_allowed_list/ { print $2 }' "/proc/$p/status"; done | sort | paste -sd' ')" \
        "worker_cpu_affinity 01 10: one worker on CPU 0, the other on CPU 1"
else
    log "one CPU: affinity masks not checked"
fi
check_not "the master keeps its limit" grep -qE '^Max open files +3000 ' "/proc/$SERVER_PID/limits"
stop_server

new_ports
NOSSL=1 PLAIN=1 WORKERS=2 MAIN_EXTRA="worker_cpu_affinity auto;" gen_config
start_server || finish
wait_workers 2 || fail "two workers"
if [ "$NCPU" -ge 2 ]; then
    expect_eq 2 "$(for p in $(worker_pids); do awk '/^Cpus_allowed_list/ { print $2 }' "/proc/$p/status"; done | sort -u | grep -c '^[0-9]*$')" \
        "worker_cpu_affinity auto: each worker on one CPU of its own"
fi
stop_server
finish
