#!/usr/bin/env python3
"""http_load.py TLS_PORT PLAIN_PORT SECONDS: six clients (TLS and plain; two
keep-alive and one one-shot each) GET /small.bin (4096 bytes) for SECONDS;
prints "requests=N failures=N" and the first failures. The load of
tests/integration/daemon_reload.sh when wrk is not installed."""
import http.client, ssl, sys, threading, time
tls_port, plain_port, secs = int(sys.argv[1]), int(sys.argv[2]), float(sys.argv[3])
ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
ctx.check_hostname = False
ctx.verify_mode = ssl.CERT_NONE
lock = threading.Lock()
count = [0, 0]
errors = []
stop = time.monotonic() + secs

def conn(tls):
    if tls:
        return http.client.HTTPSConnection("127.0.0.1", tls_port, context=ctx, timeout=10)
    return http.client.HTTPConnection("127.0.0.1", plain_port, timeout=10)

def client(tls, keepalive):
    c = None
    while time.monotonic() < stop:
        try:
            if c is None:
                c = conn(tls)
            c.request("GET", "/small.bin", headers={} if keepalive else {"Connection": "close"})
            r = c.getresponse()
            body = r.read()
            ok = r.status == 200 and len(body) == 4096
            if not ok:
                raise RuntimeError("status %d, %d bytes" % (r.status, len(body)))
            if not keepalive or r.getheader("Connection", "").lower() == "close":
                c.close()
                c = None
            with lock:
                count[0] += 1
        except Exception as e:  # noqa: BLE001 - every failure counts
            with lock:
                count[1] += 1
                errors.append("%s keepalive=%s: %r" % ("tls" if tls else "plain", keepalive, e))
            if c is not None:
                c.close()
            c = None

threads = [threading.Thread(target=client, args=(tls, ka)) for tls in (True, False) for ka in (True, True, False)]
for t in threads:
    t.start()
for t in threads:
    t.join()
print("requests=%d failures=%d" % tuple(count))
for e in errors[:5]:
    print("  " + e)
