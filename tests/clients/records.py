"""records.py: counts the TLS records a server sends, from the raw byte
stream (record headers are cleartext: type, version, length). Imported by
tls_records.py and h2_records.py, and by bench/count.py (by path)."""


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
