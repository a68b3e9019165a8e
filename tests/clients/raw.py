#!/usr/bin/env python3
"""raw.py [--tls] [--timeout S] [--split] [--tls-version 1.2|1.3] PORT < REQUEST

Sends stdin in one write to 127.0.0.1:PORT (over TLS with --tls), reads until
the server closes or the timeout (default 3 s). Prints the response bytes (or,
with --split, one line per response: "STATUS BODYLEN MD5"). On stderr:
"closed", "timeout" or "reset", and "elapsed=S". Exit 0 server closed, 2 still
open at timeout, 3 connect/handshake error, 4 reset by peer. tests/lib.sh's
raw() runs it."""
import hashlib, socket, ssl, sys, time

args = sys.argv[1:]
use_tls = False
timeout = 3.0
split = False
tlsver = None
while args and args[0].startswith("--"):
    a = args.pop(0)
    if a == "--tls":
        use_tls = True
    elif a == "--timeout":
        timeout = float(args.pop(0))
    elif a == "--split":
        split = True
    elif a == "--tls-version":
        tlsver = args.pop(0)
port = int(args[0])
data = sys.stdin.buffer.read()

start = time.monotonic()
try:
    s = socket.create_connection(("127.0.0.1", port), timeout=timeout)
    if use_tls:
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
        ctx.check_hostname = False
        ctx.verify_mode = ssl.CERT_NONE
        if tlsver == "1.2":
            ctx.maximum_version = ssl.TLSVersion.TLSv1_2
        elif tlsver == "1.3":
            ctx.minimum_version = ssl.TLSVersion.TLSv1_3
        s = ctx.wrap_socket(s, server_hostname="localhost")
except (OSError, ssl.SSLError) as e:
    print("connect error: %s" % e, file=sys.stderr)
    sys.exit(3)

if data:
    s.sendall(data)
buf = b""
code = 0
deadline = start + timeout
try:
    while True:
        left = deadline - time.monotonic()
        if left <= 0:
            raise socket.timeout()
        s.settimeout(left)
        chunk = s.recv(65536)
        if not chunk:
            break
        buf += chunk
except socket.timeout:
    code = 2
except ssl.SSLError as e:
    # close without close_notify, or an alert: the server closed
    print("tls: %s" % e, file=sys.stderr)
except ConnectionResetError:
    code = 4
elapsed = time.monotonic() - start
print({0: "closed", 2: "timeout", 4: "reset"}[code], file=sys.stderr)
print("elapsed=%.2f" % elapsed, file=sys.stderr)

if not split:
    sys.stdout.buffer.write(buf)
    sys.exit(code)

# --split: parse the responses (GET only: bodies delimited by Content-Length)
while buf:
    end = buf.find(b"\r\n\r\n")
    if end < 0:
        print("PARTIAL %d" % len(buf))
        break
    head = buf[:end].decode("latin-1").split("\r\n")
    buf = buf[end + 4:]
    status = head[0].split(" ")[1] if len(head[0].split(" ")) > 1 else "?"
    clen = 0
    for h in head[1:]:
        k, _, v = h.partition(":")
        if k.strip().lower() == "content-length":
            clen = int(v.strip())
    body, buf = buf[:clen], buf[clen:]
    print("%s %d %s" % (status, len(body), hashlib.md5(body).hexdigest()))
sys.exit(code)
