#!/usr/bin/env bash
# ktlsd_status ?format=prometheus: every counter matches a known mix of
# clients (TLS 1.2 and TLS 1.3 connections, HTTP/1.0 and 1.1, a 404, plain
# HTTP) sent in parallel to 3 workers, across a reload and a worker killed
# and respawned; the process facts (generation, reloads, workers, respawns)
# follow; a failed reload shows with its error; promtool accepts the page.
. "$(dirname "$0")/../lib.sh"
[ "$IS_NGINX" = 1 ] && skip "ktlsd_status is ktlsd's own"
need promtool

mkfile a.bin 1000
mkfile b.bin 5000
PLAIN=1 WORKERS=3 SERVER_EXTRA='location = /status { ktlsd_status; allow 127.0.0.1; deny all; }' \
    gen_config
# a server counted apart (status_zone), on the same port after the default
# one, chosen by Host: the http block's closing brace moves below it
sed -i '$d' "$CONF"
cat >>"$CONF" <<EOF
    server {
        listen 127.0.0.1:$PORT ssl;
        server_name zoned.test;
        root $WWW;
        ssl_certificate $CERT;
        ssl_certificate_key $KEY;
        status_zone zoned;
    }
}
EOF
start_server || finish
# the worker killed below on purpose
ERRLOG_ALLOW='exited on signal 9'

CURL=(curl -s -k --http1.1)
prom() { "${CURL[@]}" -o "$1" "$(purl '/status?format=prometheus')"; }

# pv FILE NAME [LABEL=VALUE...]: the sum of NAME's samples that carry those labels
pv() {
    python3 "$CLIENTS/prom.py" sum "$@"
}
# d NAME [LABEL=VALUE...]: how much it grew from $T/before to $T/after
d() { echo $(($(pv "$T/after" "$@") - $(pv "$T/before" "$@"))); }

# One round of the mix, all clients at once, so that the 3 workers share them:
# 4 TLS 1.2 and 4 TLS 1.3 connections of two requests each (a.bin, b.bin),
# a TLS 1.3 connection for a 404, a TLS 1.3 HTTP/1.0 request (openssl), a
# TLS 1.3 connection of two requests (a.bin, b.bin) to the zoned server, and
# 3 plain connections of one request each (b.bin, sendfile).
K12=4 L13=7 ROUND_REQ=23 ROUND_CONN=14
mix() {
    local pids=()
    for _ in 1 2 3 4; do
        "${CURL[@]}" --tls-max 1.2 -o /dev/null -o /dev/null "$(url /a.bin)" "$(url /b.bin)" &
        pids+=($!)
        "${CURL[@]}" --tlsv1.3 -o /dev/null -o /dev/null "$(url /a.bin)" "$(url /b.bin)" &
        pids+=($!)
    done
    "${CURL[@]}" --tlsv1.3 -o /dev/null -w '%{size_download}\n' "$(url /missing)" >>"$T/size404" &
    pids+=($!)
    "${CURL[@]}" --tlsv1.3 -H 'Host: zoned.test' -o /dev/null -o /dev/null "$(url /a.bin)" \
        "$(url /b.bin)" &
    pids+=($!)
    printf 'GET /a.bin HTTP/1.0\r\n\r\n' |
        openssl s_client -quiet -tls1_3 -connect "127.0.0.1:$PORT" >/dev/null 2>&1 &
    pids+=($!)
    for _ in 1 2 3; do
        "${CURL[@]}" -o /dev/null "$(purl /b.bin)" &
        pids+=($!)
    done
    wait "${pids[@]}"
}

prom "$T/before"
expect_eq 1 "$(pv "$T/before" ktlsd_config_generation)" "generation 1 at start"
expect_eq 3 "$(pv "$T/before" ktlsd_workers)" "3 workers alive"
expect_eq 3 "$(pv "$T/before" ktlsd_workers_configured)" "3 workers configured"
check "promtool check metrics accepts the page" promtool check metrics <"$T/before"
ctype=$("${CURL[@]}" -o /dev/null -w '%{content_type}' "$(purl '/status?format=prometheus')")
expect_eq 'text/plain; version=0.0.4' "$ctype" "Prometheus content type"
prom "$T/before" # again: that request's own counts are known below

mix
kill -HUP "$SERVER_PID"
check "reload: generation 2" wait_log 'generation 2, 3 workers'
check "generation 1 finished draining" wait_log 'generation 1 finished'
mix
victim=$(worker_pids | head -n1)
kill -KILL "$victim"
check "the killed worker is respawned" wait_log 'worker process [0-9]+ exited on signal 9'
for _ in $(seq 1 100); do
    [ "$(worker_pids | grep -c .)" = 3 ] && ! worker_pids | grep -qx "$victim" && break
    sleep 0.05
done
mix
sleep 0.3 # the master publishes the workers it counts every 200 ms
prom "$T/after"

size404=$(head -n1 "$T/size404")
R=3
# the scrape before counted its request, not yet its response: the one after, the reverse
expect_eq $((R * ROUND_REQ + 1)) "$(d ktlsd_http_requests_total)" "requests: the mix + the scrape after"
expect_eq $((R * ROUND_REQ + 1)) "$(d ktlsd_http_responses_total)" "responses: the mix + the scrape before"
expect_eq $((R * (ROUND_REQ - 1) + 1)) "$(d ktlsd_http_responses_total code=2xx)" "2xx responses"
expect_eq $R "$(d ktlsd_http_responses_total code=4xx)" "4xx responses: one 404 a round"
expect_eq $R "$(d ktlsd_http_protocol_responses_total version=1.0)" "HTTP/1.0 responses"
expect_eq $((R * (ROUND_REQ - 1) + 1)) "$(d ktlsd_http_protocol_responses_total version=1.1)" \
    "HTTP/1.1 responses"
expect_eq $((R * ROUND_CONN + 1)) "$(d ktlsd_connections_accepted_total)" "connections accepted"
expect_eq $((R * ROUND_CONN + 1)) "$(d ktlsd_connections_handled_total)" "connections handled"
expect_eq $((R * K12)) "$(d ktlsd_tls_connections_total version=TLSv1.2)" "TLS 1.2 connections"
expect_eq $((R * L13)) "$(d ktlsd_tls_connections_total version=TLSv1.3)" "TLS 1.3 connections"
expect_eq $((R * (K12 + L13))) "$(d ktlsd_tls_handshakes_total result=full)" "full handshakes"
expect_eq 0 "$(d ktlsd_tls_handshakes_total result=resumed)" "no resumed handshake"
expect_eq 0 "$(d ktlsd_tls_handshakes_total result=failed)" "no failed handshake"
ktls_on=$(($(d ktlsd_tls_connections_total ktls=tx) + $(d ktlsd_tls_connections_total ktls=tx_rx)))
fb=$(($(d ktlsd_ktls_fallbacks_total) - $(d ktlsd_ktls_fallbacks_total reason=key_update)))
expect_eq $((R * (K12 + L13))) $((ktls_on + fb)) "every TLS connection is on kTLS TX or a fallback"
if [ -r /proc/sys/net/ipv4/tcp_available_ulp ] && ! grep -qw tls /proc/sys/net/ipv4/tcp_available_ulp; then
    expect_eq $((R * (K12 + L13))) "$(d ktlsd_ktls_fallbacks_total reason=no_kernel_tls)" \
        "no tls ULP: every TLS connection falls back for no_kernel_tls"
fi
tls_bytes=$(($(d ktlsd_response_body_bytes_total path=ktls_sendfile) +
    $(d ktlsd_response_body_bytes_total path=ktls_copy) + $(d ktlsd_response_body_bytes_total path=tls_copy)))
expect_eq $((R * (9 * 6000 + 1000 + size404))) "$tls_bytes" "TLS body bytes, all paths"
expect_eq $((R * 2)) "$(d ktlsd_zone_responses_total zone=zoned)" "status_zone: the zoned server's responses"
expect_eq $((R * 2)) "$(d ktlsd_zone_responses_total zone=zoned code=2xx)" "status_zone: all 2xx"
expect_eq $((R * 6000)) "$(d ktlsd_zone_response_body_bytes_total zone=zoned)" "status_zone: body bytes"
zj=$("${CURL[@]}" "$(purl '/status?format=json')" |
    python3 -c 'import json,sys; print(json.load(sys.stdin)["zones"]["zoned"]["body_bytes"])')
expect_eq "$(pv "$T/after" ktlsd_zone_response_body_bytes_total zone=zoned)" "$zj" "status_zone in JSON"
# the sendfile paths send a body from memory (the status page) with send()
expect_eq $((R * 3 * 5000 + $(stat -c %s "$T/before"))) \
    "$(d ktlsd_response_body_bytes_total path=plain_sendfile)" \
    "plain sendfile-path body bytes: the files + the scrape before"
expect_eq 0 "$(d ktlsd_response_body_bytes_total path=plain_copy)" "no plain copy with sendfile on"
expect_eq "$(d ktlsd_http_responses_total)" "$(d ktlsd_http_request_duration_seconds_count)" \
    "the duration histogram counts every response"
expect_eq "$(pv "$T/after" ktlsd_http_request_duration_seconds_count)" \
    "$(pv "$T/after" ktlsd_http_request_duration_seconds_bucket le=+Inf)" "+Inf bucket = count"
check "histogram buckets are cumulative" \
    python3 "$CLIENTS/prom.py" cumulative "$T/after" ktlsd_http_request_duration_seconds 12
expect_eq 2 "$(pv "$T/after" ktlsd_config_generation)" "generation 2 after the reload"
expect_eq 1 "$(pv "$T/after" ktlsd_config_reloads_total result=ok)" "one reload that worked"
expect_eq 1 "$(pv "$T/after" ktlsd_config_last_reload_successful)" "the last reload worked"
expect_eq 3 "$(pv "$T/after" ktlsd_workers)" "3 workers alive after the respawn"
expect_eq 1 "$(pv "$T/after" ktlsd_worker_respawns_total)" "one worker respawned"
check "uptime is positive" python3 -c "import sys; sys.exit(not float(sys.argv[1]) > 0)" \
    "$(pv "$T/after" ktlsd_uptime_seconds)"
check "open descriptors are counted" test "$(pv "$T/after" ktlsd_worker_open_fds)" -gt 3
check "promtool check metrics accepts the page after the mix" promtool check metrics <"$T/after"

# a reload that fails: the running generation stays, the page tells why
cp "$CONF" "$T/good.conf"
echo 'no_such_directive "x";' >>"$CONF"
kill -HUP "$SERVER_PID"
check "a bad file: reload refused" wait_log 'reload failed'
prom "$T/failed"
expect_eq 2 "$(pv "$T/failed" ktlsd_config_generation)" "still generation 2"
expect_eq 0 "$(pv "$T/failed" ktlsd_config_last_reload_successful)" "the last reload failed"
expect_eq 1 "$(pv "$T/failed" ktlsd_config_reloads_total result=failed)" "one failed reload"
expect_file_match 'ktlsd_config_last_reload_error_info\{error=".*no_such_directive.*"\} 1' "$T/failed" \
    "the reload's error as a label"
check "promtool check metrics accepts the error label" promtool check metrics <"$T/failed"
# the same facts in JSON and text
pj=$("${CURL[@]}" "$(purl '/status?format=json')")
jq_() { echo "$pj" | python3 -c 'import json,sys; print(eval("json.load(sys.stdin)"+sys.argv[1]))' "$1"; }
expect_eq 2 "$(jq_ '["process"]["generation"]')" "JSON: process generation"
expect_eq False "$(jq_ '["process"]["last_reload"]["ok"]')" "JSON: the last reload failed"
expect_match 'no_such_directive' "$(jq_ '["process"]["last_reload"]["error"]')" "JSON: the reload's error"
expect_eq 1 "$(jq_ '["process"]["respawns"]')" "JSON: one respawn"
expect_match '^Process: started [0-9]+, up [0-9]+ s, generation 2, workers 3 of 3, respawned 1, reloads ok 1 failed 1, last reload failed: .*no_such_directive' \
    "$("${CURL[@]}" "$(purl /status)")" "text: the process line"
cp "$T/good.conf" "$CONF"
finish
