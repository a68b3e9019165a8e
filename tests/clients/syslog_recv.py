#!/usr/bin/env python3
"""syslog_recv.py PORT OUT MAX [WORD]: a syslog server on UDP 127.0.0.1:PORT.
Writes each datagram to OUT as a line, and stops after MAX datagrams, after
one that holds WORD, or after 6 s without one. Run by
tests/integration/log_options.sh."""
import socket
import sys

port, out, most = int(sys.argv[1]), sys.argv[2], int(sys.argv[3])
word = sys.argv[4].encode() if len(sys.argv) > 4 else None
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.bind(("127.0.0.1", port))
s.settimeout(6)
with open(out, "wb") as f:
    try:
        for _ in range(most):
            m = s.recv(65536)
            f.write(m + b"\n")
            f.flush()
            if word is not None and word in m:
                break
    except socket.timeout:
        pass
