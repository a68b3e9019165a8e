#!/usr/bin/python3
"""h2_hold.py PORT [SECONDS]: opens a plain HTTP/2 connection (prior knowledge), waits
for the server's SETTINGS, prints "up" and holds the connection open with no stream for
SECONDS (default 3): status.sh counts it as idle."""
import socket
import sys
import time

s = socket.create_connection(("127.0.0.1", int(sys.argv[1])))
s.sendall(b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n" + bytes([0, 0, 0, 4, 0, 0, 0, 0, 0]))
s.recv(100)  # the server's SETTINGS: the session is up
print("up", flush=True)
time.sleep(float(sys.argv[2]) if len(sys.argv) > 2 else 3)
