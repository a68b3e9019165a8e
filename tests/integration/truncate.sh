#!/usr/bin/env bash
# A file that shrinks while it is being sent ends the connection with a
# logged error: the client gets a short body that is a true prefix of the
# file (never padding or garbage), on the TLS fallback and on plain sendfile.
. "$(dirname "$0")/../lib.sh"
[ "$IS_NGINX" = 1 ] && skip "checks ktlsd's own log message"

mkfile big.bin $((32 << 20))
cp "$WWW/big.bin" "$T/orig.bin"
PLAIN=1 gen_config
start_server || finish

cat >"$T/slow.py" <<'PY'
import socket, ssl, sys, time, os
port, tls, path, out, cut = int(sys.argv[1]), sys.argv[2] == "tls", sys.argv[3], sys.argv[4], sys.argv[5]
s = socket.create_connection(("127.0.0.1", port), timeout=10)
s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 65536)
if tls:
    ctx = ssl.create_default_context(); ctx.check_hostname = False; ctx.verify_mode = ssl.CERT_NONE
    s = ctx.wrap_socket(s)
s.sendall(f"GET {path} HTTP/1.1\r\nHost: localhost\r\n\r\n".encode())
data = b""
while b"\r\n\r\n" not in data:
    data += s.recv(65536)
head, body = data.split(b"\r\n\r\n", 1)
length = int([l.split(b":")[1] for l in head.split(b"\r\n") if l.lower().startswith(b"content-length")][0])
while len(body) < (1 << 20):          # read 1 MiB, slowly enough that the server waits on us
    body += s.recv(65536)
os.truncate(cut, 2 << 20)             # the file shrinks to 2 MiB under the server
closed = False
try:
    while True:
        b = s.recv(65536)
        if not b:
            closed = True
            break
        body += b
        if len(body) >= length:
            break
except (ConnectionResetError, ssl.SSLError, socket.timeout) as e:
    closed = not isinstance(e, socket.timeout)
open(out, "wb").write(body)
print(length, len(body), "closed" if closed else "open")
PY

for mode in tls plain; do
    cp "$T/orig.bin" "$WWW/big.bin"
    port=$PORT
    [ $mode = plain ] && port=$PLAIN_PORT
    res=$(timeout 30 python3 "$T/slow.py" "$port" "$mode" /big.bin "$T/got.bin" "$WWW/big.bin" 2>&1)
    read -r length got state <<<"$res"
    expect_eq $((32 << 20)) "$length" "$mode: Content-Length announced the whole file"
    check "$mode: fewer bytes than announced arrived ($got)" test "${got:-0}" -lt "$length"
    expect_eq closed "$state" "$mode: the server closed the connection"
    check "$mode: what arrived is a prefix of the file, no garbage" \
        cmp -s "$T/got.bin" <(head -c "${got:-0}" "$T/orig.bin")
done
sleep 0.2
expect_file_match 'truncated' "$T/error.log" "the error log says the file was truncated"
finish
