#!/usr/bin/env python3
"""pausing_keepalive.py PORT CLIENTS SECONDS: CLIENTS keep-alive HTTPS
clients, each on one connection, each sending GET /a.txt then pausing a
random 0.1-1.5 s, for SECONDS. A client whose response said
"Connection: close" (or whose connection the server closed cleanly before
a request was sent) opens a new connection; a request that gets no
response is a failure. Prints "requests=N failures=F" and the failures."""
import http.client
import random
import ssl
import sys
import threading
import time

port, clients, seconds = int(sys.argv[1]), int(sys.argv[2]), float(sys.argv[3])
ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
ctx.check_hostname = False
ctx.verify_mode = ssl.CERT_NONE
lock = threading.Lock()
stats = {"requests": 0, "failures": []}


def run(seed):
    rnd = random.Random(seed)
    end = time.monotonic() + seconds
    conn = None
    while time.monotonic() < end:
        if conn is None:
            conn = http.client.HTTPSConnection("127.0.0.1", port, context=ctx, timeout=5)
        try:
            conn.request("GET", "/a.txt")
            r = conn.getresponse()
            body = r.read()
            ok = r.status == 200 and body == b"plain text\n"
            with lock:
                stats["requests"] += 1
                if not ok:
                    stats["failures"].append("status %d" % r.status)
            if r.getheader("Connection", "").lower() == "close":
                conn.close()
                conn = None
        except Exception as e:  # the request was lost
            with lock:
                stats["requests"] += 1
                stats["failures"].append(repr(e))
            conn.close()
            conn = None
        time.sleep(rnd.uniform(0.1, 1.5))


threads = [threading.Thread(target=run, args=(i,)) for i in range(clients)]
for t in threads:
    t.start()
for t in threads:
    t.join()
print("requests=%d failures=%d" % (stats["requests"], len(stats["failures"])))
for f in stats["failures"][:10]:
    print(f)
