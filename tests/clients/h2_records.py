#!/usr/bin/python3
"""h2_records.py PORT PATH FILE TLSVER [slow]: one HTTP/2 GET of PATH on a TLS
connection to 127.0.0.1:PORT (ALPN h2; TLSVER 1.2 or 1.3), through memory
BIOs so that the TLS records the server sends can be counted on the wire
(record headers are cleartext), with windows wide open so that flow control
never cuts a frame. Records sent before the request (the handshake, TLS 1.3
tickets) are not counted. Checks that the body is FILE byte for byte. "slow"
reads 4 KiB a millisecond through a small receive buffer, so that the
server's writes stop in the middle of frames. Prints
"records=R data_frames=D other_frames=F max_payload=M identical=0|1"."""
import hashlib
import socket
import ssl
import sys
import os

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from records import Wire  # noqa: E402

from hpack import Encoder
from hyperframe.frame import DataFrame, Frame, HeadersFrame, SettingsFrame, WindowUpdateFrame

port, path, fname, ver = int(sys.argv[1]), sys.argv[2], sys.argv[3], sys.argv[4]
slow = len(sys.argv) > 5 and sys.argv[5] == "slow"


w = Wire(port, ver, ["h2"], rcvbuf=8192 if slow else None, chunk=4096 if slow else 1 << 20,
         pause=0.001 if slow else 0.0)
sock, tls, rec, flush, fill = w.sock, w.tls, w.rec, w.flush, w.fill
if tls.selected_alpn_protocol() != "h2":
    raise RuntimeError("ALPN chose %r" % tls.selected_alpn_protocol())
buf = bytearray()  # the server's SETTINGS come with the TLS 1.3 tickets: kept
if ver == "1.3":  # tickets follow the handshake: read them before counting
    sock.settimeout(0.5)
    try:
        while True:
            fill(False)
            try:
                buf += tls.read(1 << 20)
            except ssl.SSLWantReadError:
                pass
    except socket.timeout:
        pass
    sock.settimeout(30)

WIDE = 2**31 - 1
hdrs = Encoder().encode([(":method", "GET"), (":scheme", "https"), (":path", path),
                         (":authority", "localhost")])
tls.write(b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n" +
          SettingsFrame(0, {SettingsFrame.INITIAL_WINDOW_SIZE: WIDE}).serialize() +
          WindowUpdateFrame(0, WIDE - 65535).serialize() +
          HeadersFrame(1, hdrs, flags=["END_HEADERS", "END_STREAM"]).serialize())
flush()
body = hashlib.sha256()
data_frames = other = max_payload = 0
done = False
while not done:
    while len(buf) >= 9:
        f, length = Frame.parse_frame_header(memoryview(bytes(buf[:9])))
        if len(buf) < 9 + length:
            break
        f.parse_body(memoryview(bytes(buf[9:9 + length])))
        del buf[:9 + length]
        if isinstance(f, SettingsFrame) and "ACK" not in f.flags:
            tls.write(SettingsFrame(0, flags=["ACK"]).serialize())
            flush()
        if isinstance(f, DataFrame) and f.stream_id == 1:
            data_frames += 1
            max_payload = max(max_payload, len(f.data))
            body.update(f.data)
        else:
            other += 1
        if f.stream_id == 1 and "END_STREAM" in f.flags:
            done = True
    if done:
        break
    try:
        buf += tls.read(1 << 20)
    except ssl.SSLWantReadError:
        fill()
with open(fname, "rb") as fh:
    same = hashlib.sha256(fh.read()).digest() == body.digest()
print("records=%d data_frames=%d other_frames=%d max_payload=%d identical=%d" %
      (rec.n, data_frames, other, max_payload, int(same)))
