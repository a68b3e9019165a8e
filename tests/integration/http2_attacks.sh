#!/usr/bin/env bash
# Hostile HTTP/2 peers (tests/clients/h2_attacks.py, frame level with
# python3-h2): rapid reset, CONTINUATION flood, HPACK bomb and oversized
# header fields, SETTINGS / PING floods nobody reads, empty DATA flood, a
# zero window held forever (closed at send_timeout), a stream whose window
# stays shut beside one whose window opens (the latter completes), streams past
# http2_max_concurrent_streams, a preface that is not HTTP/2, frames on
# closed streams. Each gets the right GOAWAY / RST_STREAM / 400 or a close,
# within a bound, and other connections are served throughout; the worker's
# memory stays bounded.
# shellcheck source=../lib.sh disable=SC2119,SC2016,SC2034
. "${SRCDIR:-$(cd "$(dirname "$0")/../.." && pwd)}/tests/lib.sh"
if ! /usr/bin/python3 -c 'import h2, hpack, hyperframe' 2>/dev/null; then
    skip "python3-h2 not installed"
fi

mkfile small.bin 1000
mkfile big.bin 2000000
SERVER_EXTRA='http2 on;
        http2_max_concurrent_streams 8;
        send_timeout 3s;' gen_config
start_server || finish
wpid=$(worker_pids | head -n 1)
rss() { awk '/^VmRSS/ {print $2}' "/proc/$1/status"; }
rss0=$(rss "$wpid")

out=$(timeout 240 /usr/bin/python3 "$SRCDIR/tests/clients/h2_attacks.py" "$PORT" /big.bin 8 2>&1)
printf '%s\n' "$out"
PASS=$((PASS + $(grep -c '^ok ' <<<"$out")))
FAIL=$((FAIL + $(grep -c '^FAIL ' <<<"$out")))
grep -qE '^(ok|FAIL) ' <<<"$out" || fail "h2_attacks.py ran no check"

rss1=$(rss "$wpid")
log "worker RSS ${rss0} kB before, ${rss1} kB after"
check "the worker survived" kill -0 "$wpid"
# an ASan build keeps freed memory in its quarantine (256 MB by default):
# the bound is for the real allocator; ASan's run checks the memory errors
if ldd "$KTLSD" 2>/dev/null | grep -q libasan; then
    log "ASan build: RSS growth not bounded here (quarantine)"
else
    check "worker memory bounded (< 64 MB growth)" test $((rss1 - rss0)) -lt 65536
fi
finish
