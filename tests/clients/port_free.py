#!/usr/bin/env python3
"""port_free.py PORT: exit 0 when 127.0.0.1:PORT can be bound now, else 1.
tests/lib.sh's free_port() runs it."""
import socket
import sys

s = socket.socket()
try:
    s.bind(("127.0.0.1", int(sys.argv[1])))
except OSError:
    sys.exit(1)
