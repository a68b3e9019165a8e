#!/usr/bin/env bash
# Keep-alive connections whose requests wait together are answered in the
# order the requests arrived, as nginx (edge-triggered epoll) answers them.
# libev runs a loop turn's callbacks last in, first out, which served the
# longest-waiting connection last and doubled p99 against p50 in bench/run
# (conn.c: io_cb, run_ready). The worker is stopped while N requests arrive
# one after another on N idle connections, then resumed; the access log
# gives the order they were answered in.
# shellcheck source=../lib.sh disable=SC2119,SC2016,SC2034
. "${SRCDIR:-$(cd "$(dirname "$0")/../.." && pwd)}/tests/lib.sh"

printf 'x\n' >"$WWW/a.txt"
N=8

HTTP_EXTRA="log_format order '\$request_uri';" ACCESS_LOG="$T/order.log order" gen_config
start_server || finish
wait_workers 1 || fail "no worker process"
W=$(worker_pids | head -n1)

cat >"$T/order.py" <<'EOF'
# order.py PORT N WORKER_PID: N keep-alive TLS connections; with the worker
# stopped, request i goes out on connection i (i = 0..N-1, 20 ms apart);
# after SIGCONT every response must come back 200. Prints "ok".
import os, signal, socket, ssl, sys, time

port, n, worker = int(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3])
ctx = ssl.create_default_context()
ctx.check_hostname = False
ctx.verify_mode = ssl.CERT_NONE


def get(s, uri):
    s.sendall(("GET %s HTTP/1.1\r\nHost: localhost\r\n\r\n" % uri).encode())


def answer(s):
    data = b""
    while b"\r\n\r\n" not in data:
        chunk = s.recv(4096)
        if not chunk:
            raise SystemExit("connection closed before a response")
        data += chunk
    head, body = data.split(b"\r\n\r\n", 1)
    length = 0
    for line in head.split(b"\r\n")[1:]:
        k, v = line.split(b":", 1)
        if k.strip().lower() == b"content-length":
            length = int(v)
    while len(body) < length:
        body += s.recv(4096)
    return head.split(b" ")[1]


conns = []
for i in range(n):
    s = ctx.wrap_socket(socket.create_connection(("127.0.0.1", port), timeout=10))
    get(s, "/a.txt?warm%d" % i)  # the handshake and a first request: now idle
    if answer(s) != b"200":
        raise SystemExit("warm-up request %d failed" % i)
    conns.append(s)
time.sleep(0.2)
os.kill(worker, signal.SIGSTOP)
try:
    for i, s in enumerate(conns):
        get(s, "/a.txt?%d" % i)
        time.sleep(0.02)
finally:
    os.kill(worker, signal.SIGCONT)
for i, s in enumerate(conns):
    if answer(s) != b"200":
        raise SystemExit("request %d failed" % i)
print("ok")
EOF

expect_eq ok "$(timeout 30 python3 "$T/order.py" "$PORT" "$N" "$W")" "$N requests answered after the worker resumed"
# the access log is flushed within a second: wait for all the lines
for _ in $(seq 1 100); do
    [ "$(grep -c '^/a.txt?[0-9]' "$T/order.log" 2>/dev/null)" -ge "$N" ] && break
    sleep 0.1
done
expect_eq "$(seq -s ' ' 0 $((N - 1)))" "$(sed -n 's|^/a.txt?\([0-9]*\)$|\1|p' "$T/order.log" | tr '\n' ' ' | sed 's/ $//')" \
    "answered in the order the requests arrived"
stop_server
finish
