#!/usr/bin/env python3
"""truncating_get.py PORT MODE PATH OUT FILE: GET PATH from 127.0.0.1:PORT
(MODE: "plain", "tls", or "tls1.2:CIPHER" for TLS 1.2 with that cipher),
read the first 1 MiB of the body slowly enough that the server waits on us,
then truncate FILE (the file the server is sending) to 2 MiB and read on.
The body received goes to OUT. Prints "LENGTH GOT STATE": the announced
Content-Length, the body bytes received, and "closed" (the server ended the
connection) or "open" (it had not by the timeout, 20 s). Run by
tests/integration/truncate.sh and, in the VM, by tests/uml/ktls.sh."""
import os
import socket
import ssl
import sys

port, mode, path, out, cut = int(sys.argv[1]), sys.argv[2], sys.argv[3], sys.argv[4], sys.argv[5]
s = socket.create_connection(("127.0.0.1", port), timeout=20)
s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 65536)
if mode != "plain":
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    ctx.check_hostname = False
    ctx.verify_mode = ssl.CERT_NONE
    if mode.startswith("tls1.2:"):
        ctx.maximum_version = ssl.TLSVersion.TLSv1_2
        ctx.set_ciphers(mode.split(":", 1)[1])
    s = ctx.wrap_socket(s)
s.sendall(("GET %s HTTP/1.1\r\nHost: localhost\r\n\r\n" % path).encode())
data = b""
while b"\r\n\r\n" not in data:
    data += s.recv(65536)
head, body = data.split(b"\r\n\r\n", 1)
length = int([h.split(b":")[1] for h in head.split(b"\r\n") if h.lower().startswith(b"content-length")][0])
while len(body) < (1 << 20):
    body += s.recv(65536)
os.truncate(cut, 2 << 20)  # the file shrinks to 2 MiB under the server
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
