#!/usr/bin/env python3
"""notify_listener.py SOCKET OUT: a systemd NOTIFY_SOCKET stand-in. Binds the
AF_UNIX datagram socket SOCKET, touches OUT.ready, then appends each
notification to OUT as one line (its newlines turned into "|") until killed.
Run by tests/integration/daemon_notify.sh."""
import socket
import sys

path, out = sys.argv[1], sys.argv[2]
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
s.bind(path)
open(out + ".ready", "w").close()
with open(out, "a") as f:
    while True:
        msg = s.recv(65536).decode()
        f.write(msg.strip("\n").replace("\n", "|") + "\n")
        f.flush()
