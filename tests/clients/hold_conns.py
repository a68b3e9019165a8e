#!/usr/bin/env python3
"""hold_conns.py [--tls] PORT N SECONDS: opens N connections to
127.0.0.1:PORT (TLS handshakes done with --tls), prints how many opened,
and holds them for SECONDS. Run by tests/integration/timeouts.sh and
status.sh."""
import socket
import ssl
import sys
import time

args = sys.argv[1:]
tls = args[0] == "--tls"
if tls:
    args = args[1:]
port, n, secs = int(args[0]), int(args[1]), float(args[2])
ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
ctx.check_hostname = False
ctx.verify_mode = ssl.CERT_NONE
socks = []
for _ in range(n):
    try:
        s = socket.create_connection(("127.0.0.1", port), timeout=2)
        socks.append(ctx.wrap_socket(s) if tls else s)
    except OSError:
        pass
print(len(socks), flush=True)
time.sleep(secs)
