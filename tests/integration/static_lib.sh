# shellcheck shell=bash disable=SC2034
# tests/integration/static_lib.sh: helpers shared by the static_*.sh tests
# (not a test: ctest runs only executable top-level *.sh files, and this one
# is sourced after tests/lib.sh). Source it, do not run it.
#
#   . "$SRCDIR/tests/lib.sh"; . "$SRCDIR/tests/integration/static_lib.sh"
#
# ctest's glob picks up every tests/integration/*.sh: run on its own, this
# file says so and exits 77 (skipped).
if [ "${BASH_SOURCE[0]}" = "$0" ]; then
    echo "SKIP: static_lib.sh is a helper library for the static_*.sh tests"
    exit 77
fi

# The interpreter itself, not a pyenv/asdf shim: the shim costs ~0.1 s a call.
PY=$(python3 -c 'import sys; print(sys.executable)' 2>/dev/null)
[ -x "$PY" ] || PY=python3
# lib.sh's raw(), with $PY
raw() { "$PY" "$T/raw.py" "$@"; }

# fetch PATH [curl args...]: GET over TLS (HTTP/1.1, Host: localhost).
# Sets ST (status, 000 on failure), H (the last header block, CR stripped)
# and writes the body to $T/body.
fetch() {
    local p=$1
    shift
    rm -f "$T/body" "$T/hdrs"
    ST=$(curl "${CURL_OPTS[@]}" -D "$T/hdrs" -o "$T/body" -w '%{http_code}' "$@" "$(url "$p")")
    [ -f "$T/body" ] || : >"$T/body"
    # keep only the final header block (after any 1xx)
    H=$(tr -d '\r' <"$T/hdrs" 2>/dev/null | awk '/^HTTP\//{b=""} {b=b $0 "\n"} END{printf "%s", b}')
}

# hv NAME: value of header NAME in $H (empty when absent)
hv() { printf '%s\n' "$H" | header "$1"; }

# has_header NAME: header NAME present in $H
has_header() { printf '%s\n' "$H" | grep -qi "^$1:"; }

# body_is FILE: the last fetch's body equals FILE
body_is() { cmp -s "$T/body" "$1"; }

# slice FILE OFFSET LEN: print LEN bytes of FILE from OFFSET (to stdout)
slice() {
    "$PY" - "$@" <<'EOF'
import sys
with open(sys.argv[1], "rb") as f:
    f.seek(int(sys.argv[2]))
    sys.stdout.buffer.write(f.read(int(sys.argv[3])))
EOF
}

# body_is_slice FILE OFFSET LEN: the last body equals that slice of FILE
body_is_slice() {
    slice "$1" "$2" "$3" >"$T/slice"
    cmp -s "$T/body" "$T/slice"
}

# etag_of FILE: nginx's strong ETag "<mtime hex>-<size hex>"
etag_of() {
    printf '"%x-%x"' "$(stat -c %Y "$1")" "$(stat -c %s "$1")"
}

# lastmod_of FILE: Last-Modified value (RFC 1123, GMT)
lastmod_of() {
    TZ=GMT LC_ALL=C date -u -d "@$(stat -c %Y "$1")" '+%a, %d %b %Y %H:%M:%S GMT'
}

# multipart SRC CONTENT_TYPE [BODY_FILE]: check a multipart/byteranges body
# against SRC; prints "a-b,c-d" (the Content-Range of each part, in order)
# or "BAD: reason". Every part must carry Content-Type and
# Content-Range: bytes a-b/LEN, and its data must equal SRC[a..b].
multipart() {
    "$PY" - "$1" "$2" "${3:-$T/body}" <<'EOF'
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
EOF
}

# Raw-socket client for the request-rule tests. Writes a python script once.
# tlsreq [--plain] [--timeout S] [--sni NAME|-] PORT STEP...  (- : no SNI)
#   STEP: "send:BYTES" (escapes \r \n \xNN decoded), "resp" (read one
#   response), "wait:S" (sleep), "read" (read until close/timeout).
# Prints one line per response read: "STATUS <code> <body-len> <md5>" plus
# "HDR name: value" lines before it, and at the end "END closed" or
# "END open" (the server kept the connection open until the timeout) or
# "END reset".
tlsreq() { "$PY" "$T/tlsreq.py" "$@"; }
cat >"$T/tlsreq.py" <<'PYEOF'
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
PYEOF

# status_seq OUTPUT: the STATUS codes of a tlsreq output, space-separated
status_seq() { printf '%s\n' "$1" | awk '$1 == "STATUS" {printf "%s ", $2}' | sed 's/ $//'; }
# end_state OUTPUT: closed | open | reset
end_state() { printf '%s\n' "$1" | awk '$1 == "END" {print $2}'; }
# resp_header OUTPUT NAME [N]: header NAME of the Nth response (default 1)
resp_header() {
    printf '%s\n' "$1" | awk -v n="${3:-1}" -v k="$(echo "$2" | tr '[:upper:]' '[:lower:]')" '
        $1 == "STATUS" { i++ ; next }
        $1 == "HDR" && i == n - 1 { h = $2; sub(/:$/, "", h); if (h == k) { sub(/^HDR [^:]*: ?/, ""); print; exit } }'
}

# head_body_len PATH [EXTRA-HEADER-LINES]: send "HEAD PATH" over TLS with
# Connection: close and print how many bytes follow the header block (a
# HEAD response must have none)
head_body_len() {
    printf 'HEAD %s HTTP/1.1\r\nHost: localhost\r\n%sConnection: close\r\n\r\n' "$1" "${2:-}" |
        raw --tls "$PORT" 2>/dev/null | "$PY" -c '
import sys
d = sys.stdin.buffer.read()
i = d.find(b"\r\n\r\n")
print(-1 if i < 0 else len(d) - i - 4)'
}
