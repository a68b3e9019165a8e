#!/usr/bin/env python3
"""socket_activate.py TLS_PORT PLAIN_PORT UNUSED_PORT CMD...: what systemd does
for a ktlsd.socket unit. Binds the three ports on 127.0.0.1, passes them as
fds 3, 4, 5 (LISTEN_FDS, LISTEN_PID, LISTEN_FDNAMES=tls:plain:unused) to CMD,
and keeps its own copies of the two used sockets open, so that a bind() of
CMD's own would fail (EADDRINUSE): serving proves the passed sockets are
used. Exits with CMD's status. Run by tests/integration/daemon_notify.sh."""
import os
import socket
import sys

ports = [int(p) for p in sys.argv[1:4]]
argv = sys.argv[4:]
socks = []
for p in ports:
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    s.bind(("127.0.0.1", p))
    s.listen(128)
    socks.append(s)
pid = os.fork()
if pid == 0:
    for i, s in enumerate(socks):
        if s.fileno() != 3 + i:
            os.dup2(s.fileno(), 3 + i)
        os.set_inheritable(3 + i, True)  # dup2 onto itself keeps CLOEXEC
    os.environ["LISTEN_FDS"] = str(len(socks))
    os.environ["LISTEN_PID"] = str(os.getpid())
    os.environ["LISTEN_FDNAMES"] = "tls:plain:unused"
    os.execv(argv[0], argv)
socks[2].close()  # only the server holds the unused one: it must close it
_, status = os.waitpid(pid, 0)
sys.exit(os.waitstatus_to_exitcode(status))
