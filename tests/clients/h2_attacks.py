#!/usr/bin/python3
"""Hostile HTTP/2 peers, frame by frame (python3-h2's hyperframe and hpack).

    h2_attacks.py PORT PATH_OF_A_BIG_FILE MAX_STREAMS

Each attack runs on its own TLS connection (ALPN h2) and checks the answer it
must get (GOAWAY or RST_STREAM with the right code, a 400, or a close within
a bound); after each, a fresh connection must still be answered. Prints
"ok   - ..." / "FAIL - ..." lines as tests/lib.sh does; exits 1 on a failure.
"""
import socket
import ssl
import sys
import time

from hpack import Encoder
from hyperframe.frame import (ContinuationFrame, DataFrame, Frame, GoAwayFrame, HeadersFrame,
                              PingFrame, RstStreamFrame, SettingsFrame, WindowUpdateFrame)

PORT = int(sys.argv[1])
BIG = sys.argv[2]
MAX_STREAMS = int(sys.argv[3])
PREFACE = b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n"
PROTOCOL_ERROR, INTERNAL_ERROR, STREAM_CLOSED, REFUSED_STREAM, ENHANCE_YOUR_CALM = 1, 2, 5, 7, 11
failed = 0


def result(good, msg):
    global failed
    print(("ok   - " if good else "FAIL - ") + msg, flush=True)
    if not good:
        failed += 1


class Conn:
    def __init__(self, settings=None, rcvbuf=None, preface=True):
        ctx = ssl.create_default_context()
        ctx.check_hostname = False
        ctx.verify_mode = ssl.CERT_NONE
        ctx.set_alpn_protocols(["h2"])
        raw = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        if rcvbuf:
            raw.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, rcvbuf)
        raw.settimeout(5)
        raw.connect(("127.0.0.1", PORT))
        self.s = ctx.wrap_socket(raw, server_hostname="localhost")
        assert self.s.selected_alpn_protocol() == "h2", self.s.selected_alpn_protocol()
        self.buf = b""
        self.enc = Encoder()
        self.closed = False
        self.auto_ack = True
        if preface:
            self.send(PREFACE + SettingsFrame(0, settings or {}).serialize())

    def send(self, data):
        """False once the server has closed (or reset) the connection."""
        try:
            self.s.sendall(data)
            return True
        except (OSError, ssl.SSLError):
            self.closed = True
            return False

    def headers(self, sid, path="/small.bin", method="GET", end_stream=True, extra=()):
        hdrs = [(":method", method), (":scheme", "https"), (":path", path),
                (":authority", "localhost")] + list(extra)
        f = HeadersFrame(sid, self.enc.encode(hdrs))
        f.flags.add("END_HEADERS")
        if end_stream:
            f.flags.add("END_STREAM")
        return f.serialize()

    def frame(self, timeout=5.0):
        """The next frame, or None when the connection ends (or timeout)."""
        deadline = time.monotonic() + timeout
        while True:
            if len(self.buf) >= 9:
                f, length = Frame.parse_frame_header(memoryview(self.buf[:9]))
                if len(self.buf) >= 9 + length:
                    f.parse_body(memoryview(self.buf[9:9 + length]))
                    self.buf = self.buf[9 + length:]
                    if isinstance(f, SettingsFrame) and "ACK" not in f.flags and self.auto_ack:
                        self.send(SettingsFrame(0, flags=["ACK"]).serialize())
                    return f
            left = deadline - time.monotonic()
            if left <= 0:
                return None
            self.s.settimeout(left)
            try:
                d = self.s.recv(65536)
            except (socket.timeout, TimeoutError):
                return None
            except (OSError, ssl.SSLError):
                d = b""
            if not d:
                self.closed = True
                return None
            self.buf += d

    def until(self, pred, timeout=5.0):
        """Frames until pred(frame) holds: that frame, or None (closed, timeout)."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            f = self.frame(deadline - time.monotonic())
            if f is None:
                return None
            if pred(f):
                return f
        return None

    def goaway_or_close(self, timeout=5.0):
        """The GOAWAY's error code; -1 for a close without one; None: still open."""
        f = self.until(lambda f: isinstance(f, GoAwayFrame), timeout)
        if f is not None:
            return f.error_code
        return -1 if self.closed else None

    def close(self):
        try:
            self.s.close()
        except OSError:
            pass


def status_of(c, sid, timeout=5.0):
    f = c.until(lambda f: f.stream_id == sid and isinstance(f, (HeadersFrame, RstStreamFrame)),
                timeout)
    if isinstance(f, HeadersFrame):
        from hpack import Decoder
        for k, v in Decoder().decode(f.data):
            if k in (":status", b":status"):
                return int(v)
    if isinstance(f, RstStreamFrame):
        return "RST %d" % f.error_code
    return None


def served(label):
    t0 = time.monotonic()
    try:
        c = Conn()
        c.send(c.headers(1))
        st = status_of(c, 1)
        c.close()
    except OSError as e:
        st = repr(e)
    result(st == 200 and time.monotonic() - t0 < 3,
           "%s: another connection is still served (%s)" % (label, st))


def attack(label, fn):
    t0 = time.monotonic()
    try:
        fn(label)
    except (OSError, AssertionError) as e:
        result(False, "%s: %r" % (label, e))
    result(time.monotonic() - t0 < 15, "%s: over in %.1f s" % (label, time.monotonic() - t0))
    served(label)


def rapid_reset(label):
    c = Conn()
    c.frame()  # the server's SETTINGS
    sid, sent = 1, 0
    while sent < 20000 and not c.closed:
        batch = b"".join(c.headers(sid + 2 * i) + RstStreamFrame(sid + 2 * i, error_code=8)
                         .serialize() for i in range(100))
        if not c.send(batch):
            break
        sid += 200
        sent += 100
    code = c.goaway_or_close(10)
    result(code in (ENHANCE_YOUR_CALM, INTERNAL_ERROR, PROTOCOL_ERROR, -1),
           "%s: GOAWAY or close after at most %d HEADERS+RST_STREAM pairs (got %s)" %
           (label, sent, code))
    c.close()


def continuation_flood(label):
    c = Conn()
    block = c.enc.encode([(":method", "GET"), (":scheme", "https"), (":path", "/small.bin"),
                          (":authority", "localhost")])
    c.send(HeadersFrame(1, block).serialize())  # no END_HEADERS
    n = 0
    while n < 10000 and not c.closed:
        if not c.send(ContinuationFrame(1, c.enc.encode([("x-a%d" % n, "a" * 100)]))
                      .serialize()):
            break
        n += 1
    code = c.goaway_or_close(10)
    result(code is not None and code != 0,
           "%s: GOAWAY (error) or close after %d CONTINUATION frames (got %s)" % (label, n, code))
    c.close()


def hpack_bomb(label):
    c = Conn()
    big = "b" * 4000
    # the first use indexes it; every repeat is a 2-byte reference: 4 MB decoded
    c.send(c.headers(1, extra=[("x-bomb", big)] * 1000))
    st = status_of(c, 1)
    result(st == 400 or (isinstance(st, str) and st.startswith("RST")) or c.closed,
           "%s: 1000 references to a 4000-byte header -> 400, RST or close (got %s)" %
           (label, st))
    c.close()
    c = Conn()
    c.send(c.headers(1, extra=[("cookie", "c" * 20000)]))
    st = status_of(c, 1)
    result(st == 400 or c.closed, "%s: a 20 KB header field -> 400 (got %s)" % (label, st))
    c.close()


def ack_flood(label, make):
    c = Conn(rcvbuf=4096)  # reads nothing: the acks pile up on the server
    n, t0 = 0, time.monotonic()
    while n < 2000000 and time.monotonic() - t0 < 8 and not c.closed:
        if not c.send(make() * 100):
            break
        n += 100
    code = c.goaway_or_close(10)
    result(c.closed or code == ENHANCE_YOUR_CALM,
           "%s: GOAWAY ENHANCE_YOUR_CALM or close after %d frames nobody reads (got %s)" %
           (label, n, code))
    c.close()


def settings_flood(label):
    ack_flood(label, lambda: SettingsFrame(0, {SettingsFrame.MAX_FRAME_SIZE: 16384}).serialize())


def ping_flood(label):
    ack_flood(label, lambda: PingFrame(0, b"12345678").serialize())


def empty_data_flood(label):
    c = Conn()
    c.send(c.headers(1, end_stream=False))
    for _ in range(1000):
        if not c.send(DataFrame(1, b"").serialize()):
            break
    code = c.goaway_or_close(5)
    result(code == ENHANCE_YOUR_CALM or code == -1,
           "%s: 1000 empty DATA frames -> GOAWAY ENHANCE_YOUR_CALM (got %s)" % (label, code))
    c.close()


def zero_window(label):
    c = Conn(settings={SettingsFrame.INITIAL_WINDOW_SIZE: 0})
    c.send(c.headers(1, path=BIG))
    st = status_of(c, 1)
    result(st == 200, "%s: the HEADERS come (got %s)" % (label, st))
    served(label + " (while held)")
    t0 = time.monotonic()
    f = c.until(lambda f: isinstance(f, (DataFrame, GoAwayFrame)) and f.stream_id in (0, 1), 12)
    result(not isinstance(f, DataFrame), "%s: no DATA beyond a zero window" % label)
    result(c.closed and time.monotonic() - t0 < 10,
           "%s: the connection is closed at send_timeout (%.1f s)" % (label, time.monotonic() - t0))
    c.close()


def slow_stream(label):
    """Stream 1's window is never opened, stream 3's is: 3 must finish while 1
    waits (flow control per stream: a slow stream blocks no other)."""
    c = Conn(settings={SettingsFrame.INITIAL_WINDOW_SIZE: 0})
    c.send(WindowUpdateFrame(0, 2**30).serialize() + c.headers(1, path=BIG) +
           c.headers(3, path=BIG) + WindowUpdateFrame(3, 2**30).serialize())
    got, done, deadline = {1: 0, 3: 0}, False, time.monotonic() + 10
    while not done and time.monotonic() < deadline:
        f = c.until(lambda f: isinstance(f, DataFrame), deadline - time.monotonic())
        if f is None:
            break
        got[f.stream_id] = got.get(f.stream_id, 0) + len(f.data)
        done = f.stream_id == 3 and "END_STREAM" in f.flags
    result(done and got[1] == 0,
           "%s: stream 3 completes (%d bytes) while stream 1 gets none (%d)" %
           (label, got[3], got[1]))
    c.close()


def too_many_streams(label):
    c = Conn()
    c.until(lambda f: isinstance(f, SettingsFrame) and "ACK" in f.flags)
    n = MAX_STREAMS + 4
    for i in range(n):
        c.send(c.headers(1 + 2 * i, end_stream=False))
    refused, goaway = set(), None
    while True:
        f = c.until(lambda f: isinstance(f, (RstStreamFrame, GoAwayFrame)), 3)
        if f is None:
            break
        if isinstance(f, GoAwayFrame):
            goaway = f
            break
        if f.error_code in (REFUSED_STREAM, PROTOCOL_ERROR):
            refused.add(f.stream_id)
    want = {1 + 2 * i for i in range(MAX_STREAMS, n)}
    # a peer past the limit it has acknowledged: nghttp2 makes it a
    # connection error (RFC 9113 5.1.2 allows either)
    result(refused == want or (goaway is not None and goaway.error_code == PROTOCOL_ERROR and
                               goaway.last_stream_id == 1 + 2 * (MAX_STREAMS - 1)),
           "%s: the %d streams past %d are refused (RST %s, GOAWAY %s)" %
           (label, n - MAX_STREAMS, MAX_STREAMS, sorted(refused),
            goaway and (goaway.error_code, goaway.last_stream_id)))
    c.close()
    c = Conn()  # not yet acknowledged: REFUSED_STREAM, the connection lives
    c.auto_ack = False
    c.frame()
    for i in range(n):
        c.send(c.headers(1 + 2 * i, end_stream=False))
    refused = set()
    while True:
        f = c.until(lambda f: isinstance(f, (RstStreamFrame, GoAwayFrame)), 2)
        if f is None or isinstance(f, GoAwayFrame):
            break
        if f.error_code == REFUSED_STREAM:
            refused.add(f.stream_id)
    result(refused == want, "%s, before the SETTINGS ACK: REFUSED_STREAM for %s (got %s)" %
           (label, sorted(want), sorted(refused)))
    c.close()


def bad_preface(label):
    c = Conn(preface=False)
    c.send(b"GET / HTTP/1.1\r\nHost: localhost\r\n\r\n")
    code = c.goaway_or_close(5)
    result(code in (PROTOCOL_ERROR, -1) and b"HTTP/1.1" not in c.buf,
           "%s: an HTTP/1.1 request on h2 -> GOAWAY PROTOCOL_ERROR or close (got %s)" %
           (label, code))
    c.close()


def closed_stream(label):
    c = Conn()
    c.send(c.headers(1))
    c.until(lambda f: f.stream_id == 1 and "END_STREAM" in f.flags)
    c.send(DataFrame(1, b"late", flags=["END_STREAM"]).serialize())
    f = c.until(lambda f: isinstance(f, (GoAwayFrame, RstStreamFrame)), 5)
    code = f.error_code if f is not None else None
    result(code == STREAM_CLOSED, "%s: DATA on a closed stream -> STREAM_CLOSED (got %s %s)" %
           (label, type(f).__name__, code))
    c.close()
    c = Conn()
    c.send(c.headers(5))
    c.until(lambda f: f.stream_id == 5 and "END_STREAM" in f.flags)
    c.send(c.headers(3) + c.headers(7))
    f = c.until(lambda f: f.stream_id in (0, 3, 7) and
                isinstance(f, (HeadersFrame, GoAwayFrame, RstStreamFrame)), 5)
    # nghttp2 ignores HEADERS on a stream it has closed (they may be trailers
    # crossing its RST_STREAM), or ends the connection: never answers them
    result(f is not None and (f.stream_id == 7 or
                              (isinstance(f, GoAwayFrame) and f.error_code == PROTOCOL_ERROR)),
           "%s: HEADERS on a lower, closed stream id are not answered (got %s on %s)" %
           (label, type(f).__name__, f and f.stream_id))
    c.close()
    c = Conn()
    c.send(WindowUpdateFrame(0, 0).serialize())
    code = c.goaway_or_close(5)
    result(code == PROTOCOL_ERROR, "%s: WINDOW_UPDATE of 0 -> GOAWAY PROTOCOL_ERROR (got %s)" %
           (label, code))
    c.close()


served("before")
for name, fn in [("rapid reset", rapid_reset), ("CONTINUATION flood", continuation_flood),
                 ("HPACK bomb", hpack_bomb), ("SETTINGS flood", settings_flood),
                 ("PING flood", ping_flood), ("empty DATA flood", empty_data_flood),
                 ("zero window", zero_window), ("slow stream", slow_stream),
                 ("streams past the limit", too_many_streams),
                 ("bad preface", bad_preface), ("closed streams", closed_stream)]:
    attack(name, fn)
sys.exit(1 if failed else 0)
