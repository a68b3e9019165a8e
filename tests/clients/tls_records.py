#!/usr/bin/env python3
"""tls_records.py PORT PATH N TLSVER [SIZE]: N keep-alive GETs of PATH on one
TLS connection to 127.0.0.1:PORT (TLSVER 1.2 or 1.3), through memory BIOs so
that the TLS records the server sends can be counted on the wire (record
headers are cleartext: type, version, length). Records sent before the first
request (the handshake, TLS 1.3 session tickets) are not counted. Checks each
body's length against SIZE when given. Prints
"records=R requests=N app_records=A per_request=R/N"."""
import socket
import ssl
import sys
import os

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from records import Wire  # noqa: E402

port, path, n, ver = int(sys.argv[1]), sys.argv[2], int(sys.argv[3]), sys.argv[4]
size = int(sys.argv[5]) if len(sys.argv) > 5 else None


w = Wire(port, ver)
sock, tls, rec, flush, fill = w.sock, w.tls, w.rec, w.flush, w.fill
# TLS 1.3 tickets follow the handshake: read them before counting
if ver == "1.3":
    sock.settimeout(0.5)
    try:
        while True:
            fill(False)
            try:
                tls.read(1)
            except ssl.SSLWantReadError:
                pass
    except socket.timeout:
        pass
    sock.settimeout(30)
buf = bytearray()
for _ in range(n):
    tls.write(("GET %s HTTP/1.1\r\nHost: localhost\r\n\r\n" % path).encode())
    flush()
    while True:
        end = buf.find(b"\r\n\r\n")
        if end >= 0:
            head = bytes(buf[:end]).decode("latin-1")
            clen = [int(h.split(":")[1]) for h in head.split("\r\n") if h.lower().startswith("content-length:")][0]
            if len(buf) >= end + 4 + clen:
                if size is not None and clen != size:
                    raise RuntimeError("body of %d bytes, expected %d" % (clen, size))
                del buf[:end + 4 + clen]
                break
        try:
            buf += tls.read(1 << 20)
        except ssl.SSLWantReadError:
            fill()
print("records=%d requests=%d app_records=%d per_request=%.2f" % (rec.n, n, rec.app, rec.n / n))
