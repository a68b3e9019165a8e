#!/usr/bin/env bash
# Debian's default nginx configuration (/etc/nginx/nginx.conf with
# sites-enabled/default and modules-enabled/*.conf) passes "ktlsd -t"
# unchanged, copied into a temp dir with only its absolute paths moved
# there; load_module lines are warnings, a module's directive still fails.
# shellcheck source=../lib.sh disable=SC2119,SC2016,SC2034
. "${SRCDIR:-$(cd "$(dirname "$0")/../.." && pwd)}/tests/lib.sh"

[ -f /etc/nginx/nginx.conf ] || skip "no /etc/nginx/nginx.conf (Debian's nginx package)"
D=$T/etc
cp -rL /etc/nginx "$D"
# only the absolute paths change: the tree, the logs, the pid file
for f in "$D/nginx.conf" "$D"/sites-enabled/* "$D"/modules-enabled/*; do
    [ -f "$f" ] || continue
    sed -i "s#/etc/nginx#$D#g; s#/var/log/nginx#$T#g; s#/run/nginx.pid#$T/nginx.pid#g" "$f"
done
timeout 10 "$KTLSD" -t -c "$D/nginx.conf" >"$T/t.out" 2>&1
expect_eq 0 "$?" "ktlsd -t on Debian's nginx.conf exits 0"
expect_file_match "test is successful" "$T/t.out" "Debian's configuration: test is successful"
if ls "$D"/modules-enabled/*.conf >/dev/null 2>&1; then
    expect_file_match '\[warn\] .*modules-enabled/.*:1: "load_module .*" is ignored: ktlsd has no dynamic modules' \
        "$T/t.out" "load_module is a [warn] with FILE:LINE"
    expect_eq "" "$(grep -o '[^ ]*: "load_module .*' "$T/t.out" | sort | uniq -d)" \
        "each load_module warning is said once (the config is read twice)"
fi
check_not "no [emerg] line" grep -q "\[emerg\]" "$T/t.out"

# a directive from such a module is still unknown
cat >"$T/mod.conf" <<CONF
load_module modules/ngx_http_echo_module.so;
events {}
http { server { listen 127.0.0.1:1; location / { echo hi; } } }
CONF
timeout 10 "$KTLSD" -t -c "$T/mod.conf" >"$T/t2.out" 2>&1
expect_eq 1 "$?" "a module's directive fails -t"
expect_eq 1 "$(grep -c 'mod.conf:1: "load_module' "$T/t2.out")" "the load_module warning is said once (the config is read twice)"
expect_file_match "mod.conf:3: unknown directive \"echo\"" "$T/t2.out" "... as unknown, with FILE:LINE"

# the knobs of nginx's own tuning: accepted (each is a row with a reason in README)
cat >"$T/knobs.conf" <<CONF
worker_rlimit_nofile 4096;
worker_cpu_affinity auto;
events { multi_accept on; use epoll; accept_mutex off; }
http {
    types_hash_max_size 2048; types_hash_bucket_size 64;
    server_names_hash_max_size 512; server_names_hash_bucket_size 64;
    variables_hash_max_size 1024; variables_hash_bucket_size 64;
    tcp_nopush on;
    open_log_file_cache max=1000 inactive=20s valid=1m min_uses=2;
    access_log $T/access.log;
    server { listen 127.0.0.1:1; root $WWW; }
}
CONF
timeout 10 "$KTLSD" -t -c "$T/knobs.conf" >"$T/t3.out" 2>&1
expect_eq 0 "$?" "nginx tuning knobs pass -t"
printf 'events { use kqueue; }\nhttp { server { listen 127.0.0.1:1; } }\n' >"$T/kq.conf"
timeout 10 "$KTLSD" -t -c "$T/kq.conf" >"$T/t4.out" 2>&1
expect_eq 1 "$?" "use kqueue fails"
expect_file_match 'kq.conf:1: invalid event type "kqueue"' "$T/t4.out" "... with FILE:LINE"
printf 'worker_cpu_affinity 01 1x;\nevents {}\nhttp { server { listen 127.0.0.1:1; } }\n' >"$T/aff.conf"
timeout 10 "$KTLSD" -t -c "$T/aff.conf" >"$T/t5.out" 2>&1
expect_eq 1 "$?" "a bad cpu mask fails"
expect_file_match 'aff.conf:1: invalid character "x"' "$T/t5.out" "... with FILE:LINE"
finish
