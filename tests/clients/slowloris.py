#!/usr/bin/env python3
"""slowloris.py PORT N SECONDS: open N TLS connections to 127.0.0.1:PORT
that send a request head one header line at a time, a line every second,
never finishing it, for SECONDS (bounded). Connections the server closes are
reopened. Prints, when done, "opened=A reopened=B"."""
import socket
import ssl
import sys
import time

port, n, seconds = int(sys.argv[1]), int(sys.argv[2]), float(sys.argv[3])
ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
ctx.check_hostname = False
ctx.verify_mode = ssl.CERT_NONE
end = time.monotonic() + seconds
socks, opened, reopened = [], 0, 0


def connect():
    s = socket.create_connection(("127.0.0.1", port), timeout=2)
    s = ctx.wrap_socket(s, server_hostname="localhost")
    s.sendall(b"GET / HTTP/1.1\r\nHost: localhost\r\n")
    s.setblocking(False)
    return s


while len(socks) < n and time.monotonic() < end:
    try:
        socks.append(connect())
        opened += 1
    except (OSError, ssl.SSLError):
        time.sleep(0.01)
while time.monotonic() < end:
    for i, s in enumerate(socks):
        try:
            s.sendall(b"X-a: b\r\n")
        except (OSError, ssl.SSLError):
            try:
                socks[i] = connect()
                reopened += 1
            except (OSError, ssl.SSLError):
                pass
        if time.monotonic() >= end:
            break
    time.sleep(1)
print("opened=%d reopened=%d" % (opened, reopened))
