#!/usr/bin/python3
"""h2_goaway.py PORT PATH SIZE PID SIGNAL: GET PATH over HTTP/2 with the
default 64 KiB windows, so that the body waits on our WINDOW_UPDATEs; once
the first DATA has come, send SIGNAL (HUP: reload, QUIT: graceful stop) to
PID. Checks that the server sends GOAWAY NO_ERROR naming our stream, that the
stream in flight still gets all SIZE bytes, that a stream opened after the
GOAWAY is not answered, and that the server then closes the connection.
Prints "ok   - ..." / "FAIL - ..." lines; exits 1 on a failure."""
import os
import signal
import socket
import ssl
import sys
import time

from hpack import Encoder
from hyperframe.frame import DataFrame, Frame, GoAwayFrame, HeadersFrame, SettingsFrame, WindowUpdateFrame

port, path, size, pid, sig = (int(sys.argv[1]), sys.argv[2], int(sys.argv[3]), int(sys.argv[4]),
                              sys.argv[5])
ctx = ssl.create_default_context()
ctx.check_hostname = False
ctx.verify_mode = ssl.CERT_NONE
ctx.set_alpn_protocols(["h2"])
s = ctx.wrap_socket(socket.create_connection(("127.0.0.1", port), timeout=10),
                    server_hostname="localhost")
enc = Encoder()


def headers(sid):
    return HeadersFrame(sid, enc.encode([(":method", "GET"), (":scheme", "https"), (":path", path),
                                         (":authority", "localhost")]),
                        flags=["END_HEADERS", "END_STREAM"]).serialize()


s.sendall(b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n" + SettingsFrame(0).serialize() + headers(1))
buf, got, goaway, signalled, eof, late = b"", 0, None, False, False, []


def send(data):
    """The server may close as soon as the stream is done: later frames of
    ours (WINDOW_UPDATEs) may meet a closed connection."""
    try:
        s.sendall(data)
    except (OSError, ssl.SSLError):
        pass


deadline = time.monotonic() + 60
while time.monotonic() < deadline:
    try:
        d = s.recv(65536)
    except (OSError, ssl.SSLError):
        d = b""
    if not d:
        eof = True
        break
    buf += d
    while len(buf) >= 9:
        f, length = Frame.parse_frame_header(memoryview(buf[:9]))
        if len(buf) < 9 + length:
            break
        f.parse_body(memoryview(buf[9:9 + length]))
        buf = buf[9 + length:]
        if isinstance(f, SettingsFrame) and "ACK" not in f.flags:
            send(SettingsFrame(0, flags=["ACK"]).serialize())
        elif isinstance(f, DataFrame) and f.stream_id == 1:
            got += len(f.data)
            if not signalled:
                os.kill(pid, getattr(signal, "SIG" + sig))
                signalled = True
                time.sleep(0.5)  # the old worker has sent GOAWAY by now
            if f.flow_controlled_length:
                send(WindowUpdateFrame(1, f.flow_controlled_length).serialize() +
                          WindowUpdateFrame(0, f.flow_controlled_length).serialize())
        elif isinstance(f, GoAwayFrame):
            goaway = f
            send(headers(3))  # too late: must not be answered
        elif f.stream_id == 3:
            late.append(type(f).__name__)


def result(good, msg):
    print(("ok   - " if good else "FAIL - ") + msg, flush=True)
    return good


good = result(goaway is not None and goaway.error_code == 0 and goaway.last_stream_id == 1,
              "SIG%s: GOAWAY NO_ERROR with last stream 1 (got %s)" %
              (sig, goaway and (goaway.error_code, goaway.last_stream_id)))
good &= result(got == size, "SIG%s: the stream in flight gets all %d bytes (got %d)" %
               (sig, size, got))
good &= result("HeadersFrame" not in late and "DataFrame" not in late,
               "SIG%s: a stream opened after GOAWAY is not answered (%s)" % (sig, late))
good &= result(eof, "SIG%s: the server closes the connection once it is done" % sig)
sys.exit(0 if good else 1)
