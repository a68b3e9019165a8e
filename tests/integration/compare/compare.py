#!/usr/bin/env python3
"""Send the same raw HTTP/1.1 requests over TLS to two servers (A: the
reference, nginx; B: the server under test) and compare the responses:
status, selected headers, body bytes (multipart boundaries normalised,
"ktlsd" in generated error pages read as "nginx"), the interim 1xx
responses, whether the connection stays usable, and any extra responses.

Usage: compare.py [--dump] [--b-is-nginx] [--h2] [--plain] [--all-headers] [--decode]
                  REQUESTS_FILE PORT_A PORT_B [NAME_A NAME_B]
Prints "ok   - ..." / "FAIL - ..." lines (the lib.sh format) and, last,
"compare: P passed, F failed".  --dump prints A's responses instead.
--h2 sends each request over HTTP/2 instead (ALPN h2, one stream on its own
connection; needs python3-h2's hpack and hyperframe): requests that HTTP/2
cannot carry (RAW, NORESPONSE, NOHOST, HTTP/1.0, connection-specific
headers) are left out.  --plain: plain TCP instead of TLS (HTTP/1.1 only).
--all-headers: every response header is compared, not only the key ones
(but Date, Server and Keep-Alive, and Content-Length as below).  --decode:
a gzip or brotli body is compared decoded (Content-Encoding itself is
compared): zlib's output depends on buffer sizes, not on the content.
--default-vary: B may send "Vary: Accept-Encoding" where A sends none
(ktlsd's gzip_vary defaults to on, nginx's to off).

Request file: one request per line, fields separated by "|" and blanks:
    NAME | METHOD TARGET [VERSION] | Header: value | ... [| FLAG ...]
Escapes \\r \\n \\t \\xNN \\\\ are decoded in every field.  VERSION defaults
to HTTP/1.1.  "Host: localhost" is added unless a Host header or NOHOST is
given.  Flags:
    BODY=...      bytes sent right after the header block
    RAW=...       the whole request, sent as is (no Host added)
    SNI=name      TLS server name (default: the Host name, else localhost)
    NOSENTINEL    do not probe the connection with a second request
    NORESPONSE    both must close the connection without any response
                  (nginx's "return 444")
"""
import hashlib
import re
import socket
import ssl
import subprocess
import sys
import time
import zlib
from concurrent.futures import ThreadPoolExecutor
from email.utils import parsedate_to_datetime

COMPARED = [
    "content-type", "content-length", "content-range", "content-encoding",
    "vary", "etag", "last-modified", "location", "allow", "expires",
    "cache-control", "accept-ranges", "connection",
]
SENTINEL = b"GET /a.txt HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n"
NOT_COMPARED = ("date", "server", "keep-alive", "transfer-encoding")
OPTS = {"plain": False, "all": False, "decode": False, "vary": False}
IO_TIMEOUT = 3.0
LINGER = 0.4  # after "Connection: close": how long to look for more bytes


def unescape(s):
    out = bytearray()
    i = 0
    b = s.encode("utf-8")
    while i < len(b):
        c = b[i:i + 1]
        if c == b"\\" and i + 1 < len(b):
            n = b[i + 1:i + 2]
            if n == b"r":
                out += b"\r"; i += 2; continue
            if n == b"n":
                out += b"\n"; i += 2; continue
            if n == b"t":
                out += b"\t"; i += 2; continue
            if n == b"\\":
                out += b"\\"; i += 2; continue
            if n == b"x":
                out.append(int(b[i + 2:i + 4], 16)); i += 4; continue
        out += c
        i += 1
    return bytes(out)


class Req:
    def __init__(self, line):
        f = re.split(r"\s*\|\s+", line)
        self.name = f[0].strip()
        self.flags = {}
        headers = []
        reqline = f[1].strip() if len(f) > 1 else ""
        for x in f[2:]:
            x = x.strip()
            m = re.match(r"^(BODY|RAW|SNI)=(.*)$", x, re.S)
            if m:
                self.flags[m.group(1)] = m.group(2)
            elif x in ("NOHOST", "NOSENTINEL", "NORESPONSE"):
                self.flags[x] = True
            elif x:
                headers.append(x)
        if "RAW" in self.flags:
            self.data = unescape(self.flags["RAW"])
            self.method = self.data.split(b" ", 1)[0].decode("latin-1")
            self.desc = self.data[:60].decode("latin-1").replace("\r\n", "\\r\\n")
            host = re.search(rb"\r\nHost: *([^\r:]*)", self.data, re.I)
            host = host.group(1).decode("latin-1") if host else ""
        else:
            parts = reqline.split(" ")
            if len(parts) == 2:
                parts.append("HTTP/1.1")
            self.method = parts[0]
            host, has_host = "", False
            for h in headers:
                if h.lower().startswith("host:"):
                    host = h.split(":", 1)[1].strip().split(":")[0]
                    has_host = True
            if not has_host and "NOHOST" not in self.flags:
                headers.insert(0, "Host: localhost")
                host = "localhost"
            data = " ".join(parts) + "\r\n" + "".join(h + "\r\n" for h in headers) + "\r\n"
            self.data = unescape(data) + unescape(self.flags.get("BODY", ""))
            self.desc = " ".join(parts[:2]) + "".join(
                " [%s]" % h for h in headers if not h.lower().startswith("host: localhost"))
            if "BODY" in self.flags:
                self.desc += " +body(%d)" % len(unescape(self.flags["BODY"]))
        sni = self.flags.get("SNI") or host.rstrip(".")
        if not re.match(r"^[A-Za-z][A-Za-z0-9.-]*$", sni or ""):
            sni = "localhost"
        self.sni = sni


class Conn:
    def __init__(self, port, sni):
        s = socket.create_connection(("127.0.0.1", port), timeout=IO_TIMEOUT)
        if OPTS["plain"]:
            self.s = s
        else:
            ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
            ctx.check_hostname = False
            ctx.verify_mode = ssl.CERT_NONE
            self.s = ctx.wrap_socket(s, server_hostname=sni)
        self.buf = b""
        self.eof = False

    def fill(self, timeout=IO_TIMEOUT):
        if self.eof:
            return False
        self.s.settimeout(timeout)
        try:
            d = self.s.recv(65536)
        except socket.timeout:
            return False
        except (ssl.SSLError, ConnectionResetError, BrokenPipeError, OSError):
            d = b""
        if not d:
            self.eof = True
            return False
        self.buf += d
        return True

    def need(self, n):
        while len(self.buf) < n:
            if not self.fill():
                raise EOFError("short read: %d of %d bytes" % (len(self.buf), n))
        out, self.buf = self.buf[:n], self.buf[n:]
        return out

    def line(self):
        while b"\r\n" not in self.buf:
            if not self.fill():
                raise EOFError("no line (%d bytes buffered)" % len(self.buf))
        i = self.buf.index(b"\r\n")
        out, self.buf = self.buf[:i], self.buf[i + 2:]
        return out

    def send(self, data):
        try:
            self.s.sendall(data)
            return True
        except (OSError, ssl.SSLError):
            return False

    def response(self, method):
        """One final response (1xx collected in .interim). None on EOF."""
        interim = []
        while True:
            if not self.buf and not self.fill():
                return None
            while b"\r\n\r\n" not in self.buf:
                if not self.fill():
                    raise EOFError("incomplete header block: %r" % self.buf[:200])
            i = self.buf.index(b"\r\n\r\n")
            head, self.buf = self.buf[:i].decode("latin-1"), self.buf[i + 4:]
            lines = head.split("\r\n")
            st = lines[0].split(" ")
            status = int(st[1]) if len(st) > 1 and st[1].isdigit() else 0
            hdrs = []
            for h in lines[1:]:
                k, _, v = h.partition(":")
                hdrs.append((k.strip().lower(), v.strip()))
            if 100 <= status < 200:
                interim.append(status)
                continue
            break
        hd = {}
        for k, v in hdrs:
            hd.setdefault(k, []).append(v)
        chunked = "chunked" in ",".join(hd.get("transfer-encoding", [])).lower()
        body = b""
        if method == "HEAD" or status in (204, 304):
            pass
        elif chunked:
            while True:
                size = int(self.line().split(b";")[0].strip(), 16)
                if size == 0:
                    while self.line() != b"":
                        pass
                    break
                body += self.need(size)
                self.need(2)
        elif "content-length" in hd:
            body = self.need(int(hd["content-length"][0]))
        else:
            while self.fill():
                pass
            body, self.buf = self.buf, b""
        return {"status": status, "headers": hd, "body": body, "interim": interim,
                "chunked": chunked, "line": lines[0]}


def run(req, port):
    """Send the request; read the response; then, when the server keeps the
    connection, send SENTINEL and read everything until it closes."""
    res = {"error": None, "responses": [], "closed_after_first": None}
    try:
        c = Conn(port, req.sni)
    except (OSError, ssl.SSLError) as e:
        res["error"] = "connect: %s" % e
        return res
    try:
        c.send(req.data)
        r = c.response(req.method)
        if r is None:
            res["error"] = "no response (connection closed)"
            return res
        res["responses"].append(r)
        conn_hdr = ",".join(r["headers"].get("connection", [])).lower()
        if "close" in conn_hdr or "NOSENTINEL" in req.flags or r["line"].startswith("HTTP/1.0"):
            # Extra responses (smuggled requests) arrive now or never.
            deadline = time.monotonic() + LINGER
            while time.monotonic() < deadline and c.fill(max(0.01, deadline - time.monotonic())):
                pass
            if c.buf:
                res["extra_bytes"] = c.buf[:80]
            c.buf = b""
            res["closed_after_first"] = True
        else:
            c.send(SENTINEL)
            while True:
                r2 = c.response("GET")
                if r2 is None:
                    break
                res["responses"].append(r2)
            # said keep-alive, then closed without answering the next request
            res["dropped_keepalive"] = len(res["responses"]) == 1
    except (EOFError, ValueError, OSError, ssl.SSLError) as e:
        res["error"] = "%s: %s" % (type(e).__name__, e)
    return res


H2_DROP = ("host", "connection", "keep-alive", "transfer-encoding", "te", "upgrade",
           "proxy-connection")


def h2_request(req):
    """The request as HTTP/2 header fields and body, or None when HTTP/2
    cannot say it."""
    if any(f in req.flags for f in ("RAW", "NORESPONSE", "NOHOST")):
        return None
    head, _, body = req.data.partition(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    parts = lines[0].split(" ")
    if len(parts) != 3 or parts[2] != "HTTP/1.1" or not parts[1].startswith("/"):
        return None
    fields = [(":method", parts[0]), (":scheme", "https"), (":path", parts[1])]
    for h in lines[1:]:
        k, _, v = h.partition(":")
        k, v = k.strip().lower(), v.strip()
        if k == "host":
            if not v:  # an empty :authority is malformed: RST_STREAM, no answer
                return None
            fields.insert(3, (":authority", v))
        elif k in ("connection", "transfer-encoding", "te", "upgrade", "expect") or not k:
            return None
        elif k not in H2_DROP:
            fields.append((k, v))
    return fields, body


def run_h2(req, port):
    """One HTTP/2 stream on a fresh connection: the response as run() gives
    it (no sentinel: HTTP/2 has no keep-alive to probe)."""
    from hpack import Decoder, Encoder
    from hyperframe.frame import (DataFrame, Frame, GoAwayFrame, HeadersFrame, RstStreamFrame,
                                  SettingsFrame, WindowUpdateFrame)
    res = {"error": None, "responses": [], "closed_after_first": None}
    fields, body = req.h2
    try:
        s = socket.create_connection(("127.0.0.1", port), timeout=IO_TIMEOUT)
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
        ctx.check_hostname = False
        ctx.verify_mode = ssl.CERT_NONE
        ctx.set_alpn_protocols(["h2"])
        s = ctx.wrap_socket(s, server_hostname=req.sni)
        if s.selected_alpn_protocol() != "h2":
            res["error"] = "ALPN: %s" % s.selected_alpn_protocol()
            return res
        hf = HeadersFrame(1, Encoder().encode(fields), flags=["END_HEADERS"])
        wide = 2**31 - 1  # no flow control stops a body half way
        out = (b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n" +
               SettingsFrame(0, {SettingsFrame.INITIAL_WINDOW_SIZE: wide}).serialize() +
               WindowUpdateFrame(0, wide - 65535).serialize())
        if body:
            out += hf.serialize() + DataFrame(1, body, flags=["END_STREAM"]).serialize()
        else:
            hf.flags.add("END_STREAM")
            out += hf.serialize()
        s.sendall(out)
        buf, dec, status, hd, data, done = b"", Decoder(), 0, {}, b"", False
        interim = []
        while not done:
            while len(buf) >= 9 and not done:
                f, n = Frame.parse_frame_header(memoryview(buf[:9]))
                if len(buf) < 9 + n:
                    break
                f.parse_body(memoryview(buf[9:9 + n]))
                buf = buf[9 + n:]
                if isinstance(f, SettingsFrame) and "ACK" not in f.flags:
                    s.sendall(SettingsFrame(0, flags=["ACK"]).serialize())
                elif isinstance(f, HeadersFrame) and f.stream_id == 1:
                    fl = [(k.decode() if isinstance(k, bytes) else k,
                           v.decode("latin-1") if isinstance(v, bytes) else v)
                          for k, v in dec.decode(f.data)]
                    st = int(dict(fl).get(":status", "0"))
                    if 100 <= st < 200:
                        interim.append(st)
                    else:
                        status = st
                        for k, v in fl:
                            if not k.startswith(":"):
                                hd.setdefault(k, []).append(v)
                elif isinstance(f, DataFrame) and f.stream_id == 1:
                    data += f.data
                elif isinstance(f, (RstStreamFrame, GoAwayFrame)):
                    res["error"] = "%s %d" % (type(f).__name__, f.error_code)
                    done = True
                if f.stream_id == 1 and "END_STREAM" in f.flags:
                    done = True
            if done:
                break
            d = s.recv(65536)
            if not d:
                res["error"] = "connection closed"
                break
            buf += d
        s.close()
        if status:
            # no Content-Length (nginx's autoindex) is HTTP/2's "chunked":
            # the frames delimit the body, which is compared
            res["responses"].append({"status": status, "headers": hd, "body": data,
                                     "interim": interim, "chunked": "content-length" not in hd,
                                     "line": "HTTP/2 %d" % status})
    except (EOFError, ValueError, OSError, ssl.SSLError) as e:
        res["error"] = "%s: %s" % (type(e).__name__, e)
    return res


def hval(r, k):
    v = r["headers"].get(k)
    return None if v is None else ", ".join(v)


def httpdate(s):
    try:
        return parsedate_to_datetime(s).timestamp()
    except (TypeError, ValueError, IndexError):
        return None


def norm_expires(r):
    e, d = hval(r, "expires"), hval(r, "date")
    if e is None:
        return None
    te, td = httpdate(e), httpdate(d) if d else None
    if te is None or td is None:
        return e
    delta = int(te - td)
    if abs(delta) < 10 * 365 * 86400 and te > 86400:
        return "Date%+ds" % delta  # relative: "expires 1h" -> Date+3600s
    return e


def decoded(r, body):
    ce = (hval(r, "content-encoding") or "").lower()
    try:
        if ce == "gzip":
            return zlib.decompress(body, 16 + zlib.MAX_WBITS)
        if ce == "br":
            return subprocess.run(["brotli", "-d", "-c"], input=body, capture_output=True,
                                  check=True).stdout
    except (zlib.error, OSError, subprocess.CalledProcessError) as e:
        return b"(undecodable %s body: %s)" % (ce.encode(), str(e).encode())
    return body


def norm_body(r, port, is_b):
    body = r["body"]
    if OPTS["decode"] and body:
        body = decoded(r, body)
    ct = hval(r, "content-type") or ""
    m = re.search(r"boundary=\"?([^\";]+)", ct)
    if ct.startswith("multipart/byteranges") and m:
        body = body.replace(m.group(1).encode(), b"BOUNDARY")
    if is_b and b"<hr><center>ktlsd" in body:
        body = body.replace(b"<hr><center>ktlsd", b"<hr><center>nginx")
    # server_tokens on: each signs with its own version
    body = re.sub(rb"<hr><center>nginx/[^<]*</center>", b"<hr><center>nginx/VERSION</center>", body)
    if b"<h1>Index of " in body:
        body = re.sub(rb"[ \t]+", b" ", body)
    return body.replace(b":%d/" % port, b":PORT/")


def norm_headers(r, port):
    out = {}
    keys = COMPARED + sorted(x for x in r["headers"] if x.startswith("x-"))
    if OPTS["all"]:
        keys = COMPARED + sorted(x for x in r["headers"] if x not in COMPARED + list(NOT_COMPARED))
    for k in keys:
        v = hval(r, k)
        if k == "expires":
            v = norm_expires(r)
        elif k == "location" and v:
            v = v.replace(":%d/" % port, ":PORT/")
        elif k == "content-type" and v and v.startswith("multipart/byteranges"):
            v = re.sub(r"boundary=\S+", "boundary=BOUNDARY", v)
        elif k == "connection" and v:
            v = v.lower()
        out[k] = v
    return out


def show(b, n=120):
    if b is None:
        return "(none)"
    if isinstance(b, bytes):
        if len(b) > n:
            return "%d bytes md5 %s %r..." % (len(b), hashlib.md5(b).hexdigest()[:8], b[:n])
        return repr(b)
    return str(b)


def compare(req, a, b, pa, pb, na, nb, b_is_nginx):
    diffs = []

    def d(what, x, y):
        diffs.append("%s %s: %s %s: %s" % (what, na, show(x), nb, show(y)))

    if "NORESPONSE" in req.flags:
        if a["responses"]:
            return ["reference %s answered: %s" % (na, a["responses"][0]["line"])]
        if b["responses"]:
            d("response", a["error"], b["responses"][0]["line"])
        elif b["error"] != a["error"]:
            d("transport", a["error"], b["error"])
        return diffs
    if a["error"] and not a["responses"]:
        return ["reference %s failed: %s" % (na, a["error"])]
    if (a["responses"] and a["responses"][0]["line"].startswith("HTTP/2 ")
            and a["responses"][0]["status"] in (400, 413) and not b["responses"]
            and b["error"] == "RstStreamFrame 1"):
        # a request HTTP/2 calls malformed (a bad :authority, Content-Length
        # that disagrees with the DATA): nghttp2 resets the stream with
        # PROTOCOL_ERROR as RFC 9113 8.1.1 says; nginx answers 400 or 413
        return diffs
    if b["error"]:
        d("transport", a["error"], b["error"])
    if (a.get("dropped_keepalive") and len(b["responses"]) == 2
            and b["responses"][1]["status"] == 200):
        # nginx 1.22 closes after a 412 although it sent "Connection:
        # keep-alive"; answering the next request there is right.
        b = dict(b, responses=b["responses"][:1])
    n = max(len(a["responses"]), len(b["responses"]))
    for i in range(n):
        tag = "" if i == 0 else "[response %d] " % (i + 1)
        if i >= len(a["responses"]) or i >= len(b["responses"]):
            ra = a["responses"][i]["line"] if i < len(a["responses"]) else None
            rb = b["responses"][i]["line"] if i < len(b["responses"]) else None
            d(tag + "response", ra, rb)
            continue
        x, y = a["responses"][i], b["responses"][i]
        if x["status"] != y["status"]:
            d(tag + "status", x["status"], y["status"])
            continue
        if x["interim"] != y["interim"]:
            d(tag + "interim 1xx", x["interim"], y["interim"])
        hx, hy = norm_headers(x, pa), norm_headers(y, pb)
        multipart = (hval(x, "content-type") or "").startswith("multipart/")
        for k in sorted(set(hx) | set(hy)):
            vx, vy = hx.get(k), hy.get(k)
            sig_a, sig_b = hval(x, "server") or "", hval(y, "server") or ""
            if (k == "content-length" and vx and vy and x["status"] >= 300 and "/" in sig_a
                    and (hval(x, "content-type") or "").startswith("text/html")
                    and int(vx) - len(sig_a) == int(vy) - len(sig_b)):
                continue  # an error page signed with each server's version
            if k == "vary" and OPTS["vary"] and vx is None and vy == "Accept-Encoding":
                continue
            if k == "content-length" and (x["chunked"] or y["chunked"] or multipart):
                # framing differs or boundary lengths differ: the body is compared
                if vy is not None and int(vy) != len(y["body"]) and req.method != "HEAD":
                    d(tag + "Content-Length vs body", "-", "%s vs %d" % (vy, len(y["body"])))
                continue
            if k == "allow" and x["status"] == 405 and not b_is_nginx:
                # nginx sends no Allow with 405; ktlsd must (RFC 9110 15.5.6)
                if not re.match(r"^GET, ?HEAD$", vy or ""):
                    d(tag + "Allow (must be 'GET, HEAD')", vx, vy)
                continue
            if k == "connection" and i > 0:
                continue
            if (OPTS["all"] and x["status"] == 416
                    and k not in ("content-type", "content-length", "content-range")):
                # the same cause: nginx's 416 keeps the 200's add_header and
                # expires fields, and $sent_http_ map values cached from
                # the 200 (h5bp's maps); ktlsd's carries the 416's own
                continue
            if k.startswith("x-") and x["status"] == 416:
                # nginx runs the header filters for the 200 first, then for
                # the 416: add_header fields of the 200 show up, "always"
                # ones twice. Only require B's fields to be nginx's, once.
                if vy is not None and vy != vx and vy not in (vx or "").split(", "):
                    d(tag + k.title() + " (416)", vx, vy)
                continue
            if vx != vy:
                d(tag + k.title(), vx, vy)
        bx, by = norm_body(x, pa, False), norm_body(y, pb, not b_is_nginx)
        if bx != by:
            off = next((j for j in range(min(len(bx), len(by))) if bx[j] != by[j]),
                       min(len(bx), len(by)))
            d(tag + "body (first difference at byte %d)" % off, bx, by)
    if a.get("extra_bytes") != b.get("extra_bytes"):
        d("bytes after a Connection: close response", a.get("extra_bytes"), b.get("extra_bytes"))
    return diffs


def main():
    args = sys.argv[1:]
    dump = b_is_nginx = h2 = False
    while args and args[0].startswith("--"):
        o = args.pop(0)
        if o == "--dump":
            dump = True
        elif o == "--b-is-nginx":
            b_is_nginx = True
        elif o == "--h2":
            h2 = True
        elif o == "--plain":
            OPTS["plain"] = True
        elif o == "--all-headers":
            OPTS["all"] = True
        elif o == "--decode":
            OPTS["decode"] = True
        elif o == "--default-vary":
            OPTS["vary"] = True
    reqfile, pa, pb = args[0], int(args[1]), int(args[2])
    na, nb = (args[3], args[4]) if len(args) > 4 else ("nginx", "ktlsd")
    reqs = []
    with open(reqfile, encoding="utf-8") as f:
        for line in f:
            line = line.rstrip("\n")
            if line.strip() and not line.lstrip().startswith("#"):
                reqs.append(Req(line))
    names = [r.name for r in reqs]
    dup = {x for x in names if names.count(x) > 1}
    if dup:
        print("FAIL - duplicate request names: %s" % " ".join(sorted(dup)))
    runner = run
    if h2:
        for r in reqs:
            r.h2 = h2_request(r)
        reqs = [r for r in reqs if r.h2 is not None]
        runner = run_h2

    with ThreadPoolExecutor(max_workers=8) as ex:
        fa = [ex.submit(runner, r, pa) for r in reqs]
        fb = [None] * len(reqs) if dump else [ex.submit(runner, r, pb) for r in reqs]
        ra = [f.result() for f in fa]
        rb = None if dump else [f.result() for f in fb]

    if dump:
        for r, x in zip(reqs, ra):
            print("=== %s: %s" % (r.name, r.desc))
            if x["error"]:
                print("  error: %s" % x["error"])
            for i, y in enumerate(x["responses"]):
                print("  [%d] %s%s" % (i + 1, y["line"], " (interim %s)" % y["interim"] if y["interim"] else ""))
                if i > 0:
                    continue
                for k, v in norm_headers(y, pa).items():
                    if v is not None:
                        print("      %s: %s" % (k, v))
                print("      body: %s" % show(norm_body(y, pa, False), 200))
            if x.get("extra_bytes"):
                print("  extra: %r" % x["extra_bytes"])
        return 0

    npass = nfail = 0
    for r, x, y in zip(reqs, ra, rb):
        diffs = compare(r, x, y, pa, pb, na, nb, b_is_nginx)
        if diffs:
            nfail += 1
            print("FAIL - REQ %s (%s)" % (r.name, r.desc))
            for dd in diffs:
                print("         %s" % dd)
        else:
            npass += 1
            st = x["responses"][0]["status"] if x["responses"] else "-"
            print("ok   - REQ %s (%s) -> %s" % (r.name, r.desc, st))
    print("compare: %d passed, %d failed" % (npass, nfail))
    return 0


if __name__ == "__main__":
    sys.exit(main())
