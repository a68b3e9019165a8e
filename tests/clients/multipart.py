#!/usr/bin/env python3
"""multipart.py SRC CONTENT_TYPE BODY_FILE: checks a multipart/byteranges body
against the file SRC; prints "a-b,c-d" (the Content-Range of each part, in
order) or "BAD: reason". Every part must carry Content-Type and
Content-Range: bytes a-b/LEN, and its data must equal SRC[a..b].
tests/lib.sh's multipart() runs it."""
import mmap, re, sys
with open(sys.argv[1], "rb") as f:
    src = mmap.mmap(f.fileno(), 0, access=mmap.ACCESS_READ) if f.seek(0, 2) else b""
m = re.search(r'boundary="?([^";]+)"?', sys.argv[2])
if not m or not sys.argv[2].startswith("multipart/byteranges"):
    print("BAD: content-type %r" % sys.argv[2]); sys.exit()
b = m.group(1).encode()
body = open(sys.argv[3], "rb").read()
delim = b"\r\n--" + b
if not body.startswith(delim):
    # the CRLF before the first delimiter is optional
    if body.startswith(b"--" + b):
        body = b"\r\n" + body
    else:
        print("BAD: body does not start with the boundary: %r" % body[:60]); sys.exit()
end = body.rfind(delim + b"--")
if end < 0 or body[end + len(delim) + 2:].strip(b"\r\n") != b"":
    print("BAD: no closing delimiter / trailing bytes: %r" % body[-60:]); sys.exit()
parts = body[:end].split(delim)[1:]
out = []
for p in parts:
    if not p.startswith(b"\r\n"):
        print("BAD: delimiter not followed by CRLF"); sys.exit()
    head, sep, data = p[2:].partition(b"\r\n\r\n")
    if not sep:
        print("BAD: part without header block"); sys.exit()
    hd = {}
    for line in head.split(b"\r\n"):
        k, _, v = line.decode("latin-1").partition(":")
        hd[k.strip().lower()] = v.strip()
    if "content-type" not in hd:
        print("BAD: part without Content-Type"); sys.exit()
    cr = re.match(r"^bytes (\d+)-(\d+)/(\d+)$", hd.get("content-range", ""))
    if not cr:
        print("BAD: part Content-Range %r" % hd.get("content-range")); sys.exit()
    a, z, n = map(int, cr.groups())
    if n != len(src):
        print("BAD: complete length %d, file has %d" % (n, len(src))); sys.exit()
    if data != src[a:z + 1]:
        print("BAD: part %d-%d: %d bytes, differs from the file" % (a, z, len(data))); sys.exit()
    out.append("%d-%d" % (a, z))
print(",".join(out))
