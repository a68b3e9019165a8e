#!/usr/bin/env python3
"""tlsreq.py [--plain] [--timeout S] [--sni NAME|-] PORT STEP...  (- : no SNI)

A scripted client for request-rule tests, one connection. STEP: "send:BYTES"
(escapes \\r \\n \\xNN decoded), "resp" (read one response), "wait:S" (sleep),
"read" (read until close/timeout). Prints one line per response read:
"STATUS <code> <body-len> <md5>", "HDR name: value" lines before it, and at
the end "END closed", "END open" (the server kept the connection open until
the timeout) or "END reset". tests/lib.sh's tlsreq() runs it."""
import hashlib, socket, ssl, sys, time

args = sys.argv[1:]
plain = False
timeout = 3.0
sni = "localhost"
while args and args[0].startswith("--"):
    a = args.pop(0)
    if a == "--plain":
        plain = True
    elif a == "--timeout":
        timeout = float(args.pop(0))
    elif a == "--sni":
        sni = args.pop(0)
        sni = None if sni == "-" else sni
port = int(args.pop(0))

def unesc(s):
    return s.encode("latin-1").decode("unicode_escape").encode("latin-1")

s = socket.create_connection(("127.0.0.1", port), timeout=timeout)
if not plain:
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    ctx.check_hostname = False
    ctx.verify_mode = ssl.CERT_NONE
    s = ctx.wrap_socket(s, server_hostname=sni)
buf = b""
state = "open"

def fill(t=timeout):
    global buf, state
    if state != "open":
        return False
    s.settimeout(t)
    try:
        d = s.recv(65536)
    except socket.timeout:
        return False
    except ConnectionResetError:
        state = "reset"
        return False
    except (ssl.SSLError, OSError):
        d = b""
    if not d:
        state = "closed"
        return False
    buf += d
    return True

def take(n):
    global buf
    while len(buf) < n:
        if not fill():
            break
    out, buf = buf[:n], buf[n:]
    return out

def response(method="GET"):
    """read one response (an interim 1xx counts as one); print it"""
    global buf
    while b"\r\n\r\n" not in buf:
        if not fill():
            print("NORESPONSE %d bytes" % len(buf))
            return
    i = buf.index(b"\r\n\r\n")
    head, buf = buf[:i].decode("latin-1").split("\r\n"), buf[i + 4:]
    st = head[0].split(" ")
    code = int(st[1]) if len(st) > 1 and st[1].isdigit() else 0
    clen = 0
    for h in head[1:]:
        k, _, v = h.partition(":")
        print("HDR %s: %s" % (k.strip().lower(), v.strip()))
        if k.strip().lower() == "content-length":
            clen = int(v.strip())
    body = b""
    if code >= 200 and code not in (204, 304) and method != "HEAD":
        body = take(clen)
    print("STATUS %d %d %s" % (code, len(body), hashlib.md5(body).hexdigest()))
    sys.stdout.flush()

method = "GET"
for step in args:
    kind, _, arg = step.partition(":")
    if kind == "send":
        data = unesc(arg)
        method = data.split(b" ", 1)[0].decode("latin-1")
        try:
            s.sendall(data)
        except OSError as e:
            print("SENDERROR %s" % e)
    elif kind == "resp":
        response(arg or method)
    elif kind == "wait":
        time.sleep(float(arg))
    elif kind == "read":
        t0 = time.monotonic()
        while fill(max(0.01, timeout - (time.monotonic() - t0))):
            if time.monotonic() - t0 > timeout:
                break
        if buf:
            print("EXTRA %d %r" % (len(buf), buf[:80]))
            buf = b""
print("END %s" % state)
