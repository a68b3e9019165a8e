#!/usr/bin/env bash
# limit_rate, limit_rate_after, limit_conn and limit_req (burst, nodelay,
# delay, limit_*_status): one config served by nginx (the reference) and
# ktlsd, two workers each (the zones are shared). Rates are measured with
# curl's own timing, within a tolerance; bursts are quick runs of requests
# whose statuses are counted. Every part is bounded in time (~30 s in all).
# shellcheck source=../lib.sh disable=SC2016
. "${SRCDIR:-$(cd "$(dirname "$0")/../.." && pwd)}/tests/lib.sh"

mkdir -p "$WWW"/{rate,after,conn,nodelay,delay,zero,st,sn,ra,dry,dl}
mkfile rate/f.bin 614400  # 600k at 200k/s: 3 s
mkfile after/f.bin 819200 # 800k, 500k at once, then 150k/s: 2 s
mkfile conn/f.bin 409600  # 400k at 64k/s: held ~5 s
for d in nodelay delay zero st sn ra dry dl; do printf '%s\n' "$d" >"$WWW/$d/f.txt"; done

# pair_http NAME PORT PLAIN_PORT: the http{} body both servers run
pair_http() {
    local n=$1 p=$2 pp=$3
    cat <<CONF
    log_format lr '\$uri \$status \$limit_rate \$limit_req_status \$limit_conn_status';
    access_log $T/$n/access.log lr;
    limit_conn_zone \$binary_remote_addr zone=addr:1m;
    limit_req_zone \$binary_remote_addr zone=nodelay:1m rate=6r/m;
    limit_req_zone \$binary_remote_addr zone=delay:1m rate=2r/s;
    limit_req_zone \$binary_remote_addr zone=zero:1m rate=1r/m;
    limit_req_zone \$binary_remote_addr zone=st:1m rate=1r/m;
    limit_req_zone \$server_name zone=sn:1m rate=1r/m;
    limit_req_zone \$remote_addr zone=ra:1m rate=1r/m;
    limit_req_zone \$binary_remote_addr zone=dry:1m rate=1r/m;
    limit_req_zone \$binary_remote_addr zone=dl:1m rate=2r/s;
    server {
        listen 127.0.0.1:$p ssl;
        listen 127.0.0.1:$pp;
        server_name localhost;
        ssl_certificate $T/cert.pem;
        ssl_certificate_key $T/key.pem;
        root $WWW;
        location /rate/ { limit_rate 200k; }
        location /after/ { limit_rate_after 500k; limit_rate 150k; }
        location /conn/ { limit_conn addr 1; limit_rate 64k; }
        location /nodelay/ { limit_req zone=nodelay burst=2 nodelay; }
        location /delay/ { limit_req zone=delay burst=2; }
        location /zero/ { limit_req zone=zero; }
        location /st/ { limit_req zone=st; limit_req_status 429; limit_req_log_level warn; }
        location /sn/ { limit_req zone=sn; }
        location /ra/ { limit_req zone=ra; }
        location /dl/ { limit_req zone=dl burst=3 delay=1; }
        location /dry/ { limit_req zone=dry; limit_req_dry_run on; }
        location /lr/ { limit_rate 300k; return 200 "rate=\$limit_rate"; }
        location /lr0/ { return 200 "rate=\$limit_rate"; }
    }
CONF
}
WORKERS=2 PAIR_PORTS=2 pair_start

a=$(curl -s -k "https://127.0.0.1:$PA/lr/")/$(curl -s -k "https://127.0.0.1:$PA/lr0/")
b=$(curl -s -k "https://127.0.0.1:$PB/lr/")/$(curl -s -k "https://127.0.0.1:$PB/lr0/")
# nginx's $limit_rate is 0 until the body is written (its write filter
# takes the location's value then): 0 in a return text, set in the log
if [ "$a" = "$b" ] && [ "$b" = "rate=0/rate=0" ]; then ok "\$limit_rate in return: $b"; else fail "\$limit_rate in return: nginx $a, ktlsd $b"; fi
sleep 1.2 # access logs are flushed each second
a=$(grep -c '^/lr/ 200 307200 - -$' "$T/nginx/access.log")
b=$(grep -c '^/lr/ 200 307200 - -$' "$T/test/access.log")
if [ "$a" = 1 ] && [ "$b" = 1 ]; then ok "\$limit_rate logged"; else fail "\$limit_rate logged: nginx $a, ktlsd $b: $(cat "$T/test/access.log")"; fi

# timed URL: "STATUS SECONDS BYTES" of one download
timed() {
    curl -s -k --max-time 15 --http1.1 -o /dev/null -w '%{http_code} %{time_total} %{size_download}' "$1"
}

# rate NAME PATH LO HI: the download takes LO..HI seconds on both servers
rate() {
    local name=$1 path=$2 lo=$3 hi=$4 a b
    a=$(timed "https://127.0.0.1:$PA$path")
    for u in "https://127.0.0.1:$PB$path" "http://127.0.0.1:$QB$path"; do
        b=$(timed "$u")
        if [ "${b%% *}" = 200 ] && in_range "$(echo "$b" | cut -d' ' -f2)" "$lo" "$hi"; then
            ok "$name ${u%%:*}: ktlsd $b, nginx $a (status, s, bytes)"
        else
            fail "$name ${u%%:*}: ktlsd $b, nginx $a; expected 200 in $lo..$hi s"
        fi
    done
}
rate "limit_rate 200k, 600k" /rate/f.bin 2.4 5
rate "limit_rate_after 500k, limit_rate 150k, 800k" /after/f.bin 1.5 4

# statuses PORT PATH N: the statuses of N requests in a row, each on its
# own connection (so both workers take some)
statuses() {
    local i out=""
    for i in $(seq 1 "$3"); do
        out="$out $(curl -s -k --max-time 5 --http1.1 -o /dev/null -w '%{http_code}' "https://127.0.0.1:$1$2")"
    done
    echo "${out# }"
}

# same_seq NAME PATH N EXPECTED
same_seq() {
    local a b
    a=$(statuses "$PA" "$2" "$3")
    b=$(statuses "$PB" "$2" "$3")
    if [ "$a" = "$b" ] && [ "$b" = "$4" ]; then
        ok "$1: $b"
    else
        fail "$1: nginx \"$a\", ktlsd \"$b\", expected \"$4\""
    fi
}
same_seq "limit_req burst=2 nodelay" /nodelay/f.txt 5 "200 200 200 503 503"
same_seq "limit_req without burst" /zero/f.txt 2 "200 503"
same_seq "limit_req_status 429" /st/f.txt 2 "200 429"
same_seq "key \$server_name" /sn/f.txt 2 "200 503"
same_seq "key \$remote_addr" /ra/f.txt 2 "200 503"
same_seq "limit_req_dry_run" /dry/f.txt 2 "200 200"
expect_file_match 'limiting requests, excess: [0-9]+\.[0-9]{3} by zone "zero"' "$T/error-test.log" \
    "a refused request is logged as nginx logs it"
expect_file_match '\[warn\].*limiting requests, excess: .* by zone "st"' "$T/error-test.log" \
    "limit_req_log_level warn"

# limit_req with burst=2 and no nodelay: 4 at once, 3 served (the 2nd and
# 3rd delayed by 0.5 s and 1 s at 2r/s), the 4th refused
# burst PORT PATH N: N requests at once, "STATUS SECONDS" of each, sorted
burst() {
    local port=$1 i
    rm -f "$T"/burst.*
    for i in $(seq 1 "$3"); do
        curl -s -k --max-time 10 --http1.1 -o /dev/null -w '%{http_code} %{time_total}\n' \
            "https://127.0.0.1:$port$2" >"$T/burst.$i" &
    done
    wait
    cat "$T"/burst.* | sort
}
sleep 1.1 # the "delay" zone is fresh, the bucket of nodelay drained: nothing else counts
for side in nginx:$PA ktlsd:$PB; do
    out=$(burst "${side#*:}" /delay/f.txt 4)
    codes=$(echo "$out" | cut -d' ' -f1 | sort | tr '\n' ' ')
    slowest=$(echo "$out" | awk '$1 == 200 { if ($2 > m) m = $2 } END { print m + 0 }')
    if [ "$codes" = "200 200 200 503 " ] && in_range "$slowest" 0.8 3.0; then
        ok "limit_req burst=2 delayed (${side%%:*}): $codes, the last served after ${slowest}s"
    else
        fail "limit_req burst=2 delayed (${side%%:*}): $(echo "$out" | tr '\n' ',')"
    fi
    # burst=3 delay=1 at 2r/s: 2 at once, then 0.5 s and 1 s later, the 5th refused
    out=$(burst "${side#*:}" /dl/f.txt 5)
    codes=$(echo "$out" | cut -d' ' -f1 | sort | tr '\n' ' ')
    # the served ones, fastest first, take t, t, t + 0.5, t + 1 (t: the
    # handshake, whatever the machine's load)
    gaps=$(echo "$out" | awk '$1 == 200 { print $2 }' | sort -n | tr '\n' ' ')
    if [ "$codes" = "200 200 200 200 503 " ] &&
        echo "$gaps" | awk '{ exit !($2 - $1 < 0.25 && $3 - $2 > 0.3 && $4 - $2 > 0.75 && $4 - $2 < 1.6) }'; then
        ok "limit_req burst=3 delay=1 (${side%%:*}): $codes, served after $gaps s"
    else
        fail "limit_req burst=3 delay=1 (${side%%:*}): $(echo "$out" | tr '\n' ',')"
    fi
done
expect_file_match 'delaying request, excess: [0-9]+\.[0-9]{3}, by zone "delay"' "$T/error-test.log" \
    "a delayed request is logged"

# limit_conn 1: a slow download holds the slot; a second request while it
# runs is refused, and served once it has ended
conn_check() {
    local side=$1 port=$2 bg second after
    curl -s -k --max-time 10 --http1.1 -o /dev/null "https://127.0.0.1:$port/conn/f.bin" &
    bg=$!
    BG_PIDS+=("$bg")
    sleep 0.7
    second=$(curl -s -k --max-time 5 --http1.1 -o /dev/null -w '%{http_code}' "https://127.0.0.1:$port/conn/f.bin" --range 0-9)
    kill "$bg" 2>/dev/null
    wait "$bg" 2>/dev/null
    sleep 0.3
    after=$(curl -s -k --max-time 5 --http1.1 -o /dev/null -w '%{http_code}' "https://127.0.0.1:$port/conn/f.bin" --range 0-9)
    if [ "$second" = 503 ] && [ "$after" = 206 ]; then
        ok "limit_conn addr 1 ($side): 503 while a download runs, 206 after"
    else
        fail "limit_conn addr 1 ($side): \"$second\" while a download runs, \"$after\" after"
    fi
}
conn_check nginx "$PA"
conn_check ktlsd "$PB"
expect_file_match 'limiting connections by zone "addr"' "$T/error-test.log" "limit_conn logged"
expect_file_match 'limiting requests, dry run, excess: [0-9.]+ by zone "dry"' "$T/error-test.log" \
    "limit_req_dry_run logged"

# $limit_req_status and $limit_conn_status in the access log, as nginx's
sleep 1.2 # access logs are flushed each second
for line in '/dry/f.txt 200 0 PASSED -' '/dry/f.txt 200 0 REJECTED_DRY_RUN -' \
    '/nodelay/f.txt 503 0 REJECTED -' '/delay/f.txt 200 0 DELAYED -' '/delay/f.txt 200 0 PASSED -' \
    '/conn/f.bin 503 65536 - REJECTED' '/conn/f.bin 206 65536 - PASSED'; do
    a=$(grep -cxF "$line" "$T/nginx/access.log")
    b=$(grep -cxF "$line" "$T/test/access.log")
    if [ "$a" -gt 0 ] && [ "$a" = "$b" ]; then ok "logged $a time(s): $line"; else fail "\"$line\" logged: nginx $a, ktlsd $b"; fi
done

# a reload keeps the zones (nginx reuses a zone of the same name, size and
# key): the "zero" bucket is still full, so the next request is refused
kill -HUP "$(cat "$T/nginx/server.pid")" "$(cat "$T/test/server.pid")"
sleep 1.5
same_seq "limit_req after a reload" /zero/f.txt 1 "503"

# configuration errors carry FILE:LINE
if [ "$IS_NGINX" = 0 ]; then
    conf_rejects "unknown variable in a key" 'limit_req_zone $nope zone=z:1m rate=1r/s;' \
        'unknown "nope" variable'
    conf_rejects "a zone nobody defines" 'limit_req zone=z;' 'zero size shared memory zone "z"'
    conf_rejects "a zone of the other kind" \
        "limit_conn_zone \$binary_remote_addr zone=z:1m;"$'\n'"limit_req zone=z;" \
        'zone "z" is a "limit_conn_zone", not a "limit_req_zone"' 4
    conf_rejects "variables in limit_rate" 'limit_rate $arg_r;' \
        'variables in "limit_rate" are not supported'
    conf_rejects "rate without unit" 'limit_req_zone $binary_remote_addr zone=z:1m rate=5;' \
        'invalid rate "rate=5"'
    conf_rejects "zone too small" 'limit_conn_zone $binary_remote_addr zone=z:1k;' \
        'zone "z" is too small'
fi

stop_server "$NGINX_PID" >/dev/null
finish
