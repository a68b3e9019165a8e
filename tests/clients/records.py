"""records.py: counts the TLS records a server sends, from the raw byte
stream (record headers are cleartext: type, version, length). Imported by
tls_records.py and h2_records.py, and by bench/count.py (by path), with Wire,
the TLS connection whose records they count."""
import socket
import ssl
import time


class Records:
    """n: records, app: application-data records, bytes: bytes fed."""

    def __init__(self):
        self.n = self.app = self.bytes = 0
        # bytes still wanted for the current header (5) or body
        self.need, self.hdr, self.in_body = 5, b"", False

    def feed(self, data):
        self.bytes += len(data)
        i = 0
        while i < len(data):
            take = min(self.need, len(data) - i)
            if not self.in_body:
                self.hdr += data[i:i + take]
            i += take
            self.need -= take
            if self.need:
                continue
            if self.in_body:
                self.in_body, self.need, self.hdr = False, 5, b""
                continue
            self.n += 1
            self.app += self.hdr[0] == 23
            self.in_body, self.need = True, int.from_bytes(self.hdr[3:5], "big")
            if self.need == 0:
                self.in_body, self.need, self.hdr = False, 5, b""


class Wire:
    """A TLS client connection to 127.0.0.1:port through memory BIOs, handshake
    done, whose incoming records rec counts: flush() sends what tls wrote,
    fill(count) reads from the socket into tls (and rec, when count). ver "1.2"
    caps the version, "1.3" requires it; alpn: protocols to offer. Records of
    the handshake are counted only with count_handshake. rcvbuf, chunk and
    pause make a slow reader (pause seconds before each counted read of at
    most chunk bytes); what names the connection in errors."""

    def __init__(self, port, ver=None, alpn=None, timeout=30, rcvbuf=None, chunk=1 << 20,
                 pause=0.0, count_handshake=False, what=None):
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
        ctx.check_hostname = False
        ctx.verify_mode = ssl.CERT_NONE
        if alpn:
            ctx.set_alpn_protocols(alpn)
        if ver == "1.2":
            ctx.maximum_version = ssl.TLSVersion.TLSv1_2
        elif ver == "1.3":
            ctx.minimum_version = ssl.TLSVersion.TLSv1_3
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        if rcvbuf:
            self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, rcvbuf)
        self.sock.settimeout(timeout)
        self.sock.connect(("127.0.0.1", port))
        self.inc, self.out = ssl.MemoryBIO(), ssl.MemoryBIO()
        self.tls = ctx.wrap_bio(self.inc, self.out, server_hostname="localhost")
        self.rec = Records()
        self.chunk, self.pause = chunk, pause
        self.closed = ("%s: " % what if what else "") + "connection closed by the server"
        while True:
            try:
                self.tls.do_handshake()
                break
            except ssl.SSLWantReadError:
                self.flush()
                self.fill(count_handshake)
        self.flush()

    def flush(self):
        d = self.out.read()
        if d:
            self.sock.sendall(d)

    def fill(self, count=True):
        if self.pause and count:
            time.sleep(self.pause)
        d = self.sock.recv(self.chunk)
        if not d:
            raise RuntimeError(self.closed)
        if count:
            self.rec.feed(d)
        self.inc.write(d)
