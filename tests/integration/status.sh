#!/usr/bin/env bash
# ktlsd_status: the counters match what this test sends (connections,
# requests, TLS handshakes full/resumed, the kTLS fallback reason, bytes per
# send path), in text and JSON, and allow/deny guard the page.
. "$(dirname "$0")/../lib.sh"
[ "$IS_NGINX" = 1 ] && skip "ktlsd_status is ktlsd's own"

mkfile f1000.bin 1000
mkfile f5000.bin 5000
PLAIN=1 SERVER_EXTRA='http2 on;
        location = /status { ktlsd_status; allow 127.0.0.1; deny all; }
        location = /denied-status { ktlsd_status; deny 127.0.0.1; }' gen_config
start_server || finish

CURL_K=(-s -k --http1.1)
status_json() { curl "${CURL_K[@]}" "http://127.0.0.1:$PLAIN_PORT/status?format=json"; }
jget() { python3 -c 'import json,sys; d=json.load(sys.stdin); print(eval("d"+sys.argv[1]))' "$1"; }

before=$(status_json)
expect_match '"requests"' "$before" "JSON status answers"

# 3 TLS connections: two file requests each, over keep-alive
for i in 1 2 3; do
    curl "${CURL_K[@]}" -o /dev/null -o /dev/null "$(url /f1000.bin)" "$(url /f5000.bin)"
done
# 2 plain requests (sendfile path)
curl "${CURL_K[@]}" -o /dev/null -o /dev/null "$(purl /f1000.bin)" "$(purl /f1000.bin)"
# a resumed TLS 1.2 session: the second s_client reuses the first's session
printf 'GET /f1000.bin HTTP/1.0\r\n\r\n' | openssl s_client -quiet -tls1_2 -connect "127.0.0.1:$PORT" \
    -sess_out "$T/sess" >/dev/null 2>&1
printf 'GET /f1000.bin HTTP/1.0\r\n\r\n' | openssl s_client -quiet -tls1_2 -connect "127.0.0.1:$PORT" \
    -sess_in "$T/sess" >/dev/null 2>&1
# a failed handshake: TLS 1.1 is never offered
openssl s_client -tls1_1 -connect "127.0.0.1:$PORT" </dev/null >/dev/null 2>&1

after=$(status_json)
d() { echo $(($(echo "$after" | jget "$1") - $(echo "$before" | jget "$1"))); }
# requests: 6 TLS + 2 plain + 2 s_client + the first status request itself
expect_eq 11 "$(d '["requests"]')" "requests counted (10 sent + the first status request)"
expect_eq 4 "$(d '["tls_handshakes"]["full"]')" "full handshakes: 3 curl + the first s_client"
expect_eq 1 "$(d '["tls_handshakes"]["resumed"]')" "one resumed handshake"
expect_eq 1 "$(d '["tls_handshakes"]["failed"]')" "one failed handshake (TLS 1.1)"
expect_eq 8 "$(d '["connections"]["accepted"]')" "accepted: 3 curl TLS + 1 plain + 3 s_client + 1 status"
expect_eq $((3 * 6000 + 2 * 1000)) "$(d '["bytes"]["fallback"]')" "file bytes through the userspace TLS fallback"
expect_eq 2000 "$(d '["bytes"]["sendfile"]')" "file bytes through plain sendfile"
expect_eq 0 "$(d '["bytes"]["ssl_sendfile"]')" "no SSL_sendfile bytes on a kernel without kTLS"
expect_eq 1 "$(echo "$after" | jget '["connections"]["active"]')" "one active connection: the status request"
expect_eq 1 "$(echo "$after" | jget '["connections"]["writing"]')" "the status request counts as writing"
# kTLS modes: every TLS connection that finished its handshake counts once
# per direction (sw/hw/... with kTLS, off without: a kernel without kTLS)
msum() { echo "$1" | python3 -c 'import json,sys; print(sum(json.load(sys.stdin)["ktls_modes"][sys.argv[1]].values()))' "$2"; }
expect_eq 5 $(($(msum "$after" tx) - $(msum "$before" tx))) "TLS connections by kTLS TX mode: 3 curl + 2 s_client"
expect_eq 5 $(($(msum "$after" rx) - $(msum "$before" rx))) "TLS connections by kTLS RX mode: 3 curl + 2 s_client"
if [ ! -e /proc/net/tls_stat ]; then
    expect_eq None "$(echo "$after" | jget '["tls_stat"]')" "no /proc/net/tls_stat: tls_stat is null"
fi

# a connection held open shows up as active, on the fallback for "no kernel TLS"
python3 "$CLIENTS/hold_conns.py" --tls "$PORT" 1 3 >"$T/held" 2>&1 &
disown $! # no "Killed" notice at clean-up
BG_PIDS+=($!)
for _ in $(seq 50); do grep -qx 1 "$T/held" 2>/dev/null && break; sleep 0.1; done
held=$(status_json)
expect_eq 2 "$(echo "$held" | jget '["connections"]["active"]')" "held TLS connection is active"
if [ -r /proc/sys/net/ipv4/tcp_available_ulp ] && ! grep -qw tls /proc/sys/net/ipv4/tcp_available_ulp; then
    expect_eq 1 "$(echo "$held" | jget '["ktls"]["fallback_reasons"]["no_kernel_tls"]')" \
        "held connection on the fallback, reason no_kernel_tls"
fi
text=$(curl "${CURL_K[@]}" "http://127.0.0.1:$PLAIN_PORT/status")
expect_match '^Active connections: [0-9]+ $' "$(echo "$text" | head -n1)" "text status: nginx stub_status first line"
expect_match '^server accepts handled requests$' "$(echo "$text" | sed -n 2p)" "text status: stub_status layout"
expect_match '^kTLS connections: tx [0-9]+ tx\+rx [0-9]+ fallback [0-9]+' "$text" "text status: kTLS line"
expect_match '^kTLS TX modes: sw [0-9]+ hw [0-9]+ hw_record [0-9]+ unknown [0-9]+ off [0-9]+$' "$text" \
    "text status: kTLS TX modes line"
expect_match '^kTLS RX modes: sw [0-9]+ hw [0-9]+ hw_record [0-9]+ unknown [0-9]+ off [0-9]+$' "$text" \
    "text status: kTLS RX modes line"
expect_match '^Kernel TLS counters \(/proc/net/tls_stat\):' "$text" "text status: the kernel's counters line"
expect_eq 403 "$(curl "${CURL_K[@]}" -o /dev/null -w '%{http_code}' "http://127.0.0.1:$PLAIN_PORT/denied-status")" \
    "deny 127.0.0.1 -> 403"
expect_eq 405 "$(curl "${CURL_K[@]}" -o /dev/null -w '%{http_code}' -X POST "http://127.0.0.1:$PLAIN_PORT/status")" \
    "POST to the status page -> 405"

# HTTP/2 (h2c with prior knowledge on the plain port): a connection is
# writing while it answers (the status request on it counts as its own, as
# over HTTP/1.1), and waiting only while it has no stream open (nginx's
# "idle client connections waiting for a request")
h2=$(curl -s --http2-prior-knowledge "http://127.0.0.1:$PLAIN_PORT/status?format=json")
expect_eq 1 "$(echo "$h2" | jget '["connections"]["writing"]')" "HTTP/2: the status request counts as writing"
expect_eq 0 "$(echo "$h2" | jget '["connections"]["idle"]')" "HTTP/2: an answering connection is not idle"
/usr/bin/python3 "$CLIENTS/h2_hold.py" "$PLAIN_PORT" 3 >"$T/h2held" 2>&1 &
BG_PIDS+=($!)
for _ in $(seq 50); do grep -q up "$T/h2held" 2>/dev/null && break; sleep 0.1; done
idle=$(status_json)
expect_eq 1 "$(echo "$idle" | jget '["connections"]["idle"]')" "HTTP/2 with no stream open counts as idle (waiting)"
expect_eq 1 "$(echo "$idle" | jget '["connections"]["writing"]')" "an idle HTTP/2 connection is not writing"
finish
