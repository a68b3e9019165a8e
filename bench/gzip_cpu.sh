#!/usr/bin/env bash
# bench/gzip_cpu.sh: CPU per request of "gzip on" for a 100 KiB text file,
# ktlsd (which compresses it once and serves the cached result) against
# nginx (which compresses every response), plain HTTP, one worker each,
# wrk -c 8 for DURATION seconds (default 10) with Accept-Encoding: gzip.
# Prints requests/s and worker CPU milliseconds per request for each.
#   bench/gzip_cpu.sh [DURATION]      KTLSD, NGINX: the binaries
set -euo pipefail
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
KTLSD=${KTLSD:-$HERE/../build/ktlsd}
NGINX=${NGINX:-/usr/sbin/nginx}
DUR=${1:-10}
W=$(mktemp -d)
trap 'kill $(cat "$W"/*.pid 2>/dev/null) 2>/dev/null || true; rm -rf "$W"' EXIT
mkdir -p "$W/www"
python3 -c '
import random, sys
r = random.Random(1)
w = "the quick brown fox jumps over lazy dog kernel tls static file server".split()
sys.stdout.write(" ".join(r.choice(w) for _ in range(25000))[:102400])' >"$W/www/t.txt"
conf() { # conf NAME PORT
    local main=""
    [ "$1" = nginx ] && main="daemon on; user root;"
    cat >"$W/$1.conf" <<CONF
$main
worker_processes 1;
error_log $W/$1.err;
pid $W/$1.pid;
events { worker_connections 256; }
http {
    include /etc/nginx/mime.types;
    access_log off;
    gzip on;
    gzip_types text/plain;
    server { listen 127.0.0.1:$2; root $W/www; }
}
CONF
}
ticks() { # worker CPU ticks: children of the master
    local t=0 p
    for p in $(pgrep -P "$(cat "$W/$1.pid")"); do
        t=$((t + $(sed 's/^.*) //' "/proc/$p/stat" | awk '{print $12 + $13}')))
    done
    echo "$t"
}
run() { # run NAME PORT
    local t0 t1 out req
    t0=$(ticks "$1")
    out=$(wrk -t 2 -c 8 -d "${DUR}s" -H 'Accept-Encoding: gzip' "http://127.0.0.1:$2/t.txt")
    t1=$(ticks "$1")
    req=$(awk '/requests in/ {print $1}' <<<"$out")
    awk -v n="$1" -v r="$req" -v t=$((t1 - t0)) -v hz="$(getconf CLK_TCK)" -v d="$DUR" \
        'BEGIN { printf "%-6s %8.0f req/s  %.3f ms CPU per request\n", n, r / d, t * 1000 / hz / r }'
}
conf ktlsd 18451
conf nginx 18452
"$KTLSD" -c "$W/ktlsd.conf" 2>/dev/null &
echo $! >"$W/ktlsd-master.pid"
"$NGINX" -p "$W/" -c "$W/nginx.conf"
sleep 1
curl -s -H 'Accept-Encoding: gzip' -o /dev/null "http://127.0.0.1:18451/t.txt" # warm the cache
run ktlsd 18451
run nginx 18452
kill "$(cat "$W/nginx.pid")" "$(cat "$W/ktlsd-master.pid")"
