#!/usr/bin/env python3
"""stalled_get.py PORT PATH SECONDS: a TLS client with a 4 KiB receive buffer
that sends GET PATH, reads 100 bytes of the answer and then reads no more
for SECONDS, so the server's send blocks. Run by
tests/integration/hostile.sh."""
import socket
import ssl
import sys
import time

port, path, secs = int(sys.argv[1]), sys.argv[2], float(sys.argv[3])
s = socket.socket()
s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
s.connect(("127.0.0.1", port))
c = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
c.check_hostname = False
c.verify_mode = ssl.CERT_NONE
s = c.wrap_socket(s)
s.sendall(("GET %s HTTP/1.1\r\nHost: x\r\n\r\n" % path).encode())
s.recv(100)
time.sleep(secs)
