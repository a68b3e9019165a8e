# shellcheck shell=bash disable=SC2119,SC2120
# tests/lib.sh: helpers for ktlsd integration tests. Source it, do not run it.
#
#   . "$SRCDIR/tests/lib.sh"      (or relative to the test's own dirname)
#
# Environment: KTLSD (binary), SRCDIR (repo), BUILDDIR (build dir).
# KTLSD may point at nginx: IS_NGINX=1 then, and start_server/gen_config
# adapt (daemon off, -p/-e, mime types); use it to check expectations.
#
# Globals after init: T (private temp dir, removed on exit), WWW ($T/www),
# CERT, KEY, PASS, FAIL. gen_config sets CONF, PORT (and PLAIN_PORT if asked),
# LISTEN_PORT (the one start_server waits for).

set -u

: "${SRCDIR:=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)}"
: "${BUILDDIR:=$SRCDIR/build}"
: "${KTLSD:=$BUILDDIR/ktlsd}"

PASS=0
FAIL=0
SERVER_PIDS=()
BG_PIDS=()
IS_NGINX=0
case "$(basename "$KTLSD")" in nginx*) IS_NGINX=1 ;; esac

TEST_NAME=$(basename "${0:-test}" .sh)

# The MIME table the tests give both servers: the tests carry their own copy
# of Debian's /etc/nginx/mime.types, so none needs the nginx package for it.
MIME_TYPES=$SRCDIR/tests/data/mime.types

skip() { # skip REASON: exit 77 (ctest SKIP); under CI (CI=true) a skip fails
    echo "SKIP: $*"
    case "${CI:-}" in
    "" | 0 | false) exit 77 ;;
    *)
        echo "FAIL - skipped under CI=$CI: scripts/install-deps.sh --test must provide it"
        exit 1
        ;;
    esac
}

need() { # need CMD...: skip the test when a client tool is missing
    local c
    for c in "$@"; do
        command -v "$c" >/dev/null 2>&1 || skip "$c not installed"
    done
}

need curl openssl python3
[ -x "$KTLSD" ] || skip "KTLSD=$KTLSD not built"

# ---------------------------------------------------------------- temp dir
_cleanup() {
    local p
    for p in "${BG_PIDS[@]}"; do
        kill -KILL "$p" 2>/dev/null
    done
    for p in "${SERVER_PIDS[@]}"; do
        # each server runs in its own session/process group (setsid):
        # master and workers go together.
        kill -TERM -- "-$p" 2>/dev/null
    done
    if [ ${#SERVER_PIDS[@]} -gt 0 ]; then
        for _ in 1 2 3 4 5 6 7 8 9 10; do
            local alive=0
            for p in "${SERVER_PIDS[@]}"; do
                kill -0 -- "-$p" 2>/dev/null && alive=1
            done
            [ $alive = 0 ] && break
            sleep 0.1
        done
        for p in "${SERVER_PIDS[@]}"; do
            kill -KILL -- "-$p" 2>/dev/null
        done
    fi
    if [ -n "${T:-}" ] && [ -d "$T" ] && [ -z "${KEEP_TMP:-}" ]; then
        rm -rf "$T"
    fi
}
trap _cleanup EXIT
trap 'exit 130' INT TERM

T=$(mktemp -d "${TMPDIR:-/tmp}/ktlsd-test.XXXXXX")
chmod 755 "$T" # workers may run as another user when started as root
WWW=$T/www
mkdir -p "$WWW"
CERT=$T/cert.pem
KEY=$T/key.pem

# ---------------------------------------------------------------- output
log() { echo "# $*"; }

ok() {
    PASS=$((PASS + 1))
    echo "ok   - $*"
}

fail() {
    FAIL=$((FAIL + 1))
    echo "FAIL - $*"
}

# check MSG CMD...: pass when CMD succeeds
check() {
    local msg=$1
    shift
    if "$@"; then ok "$msg"; else fail "$msg"; fi
}

# check_not MSG CMD...: pass when CMD fails
check_not() {
    local msg=$1
    shift
    if "$@"; then fail "$msg"; else ok "$msg"; fi
}

# expect_eq EXPECTED GOT MSG
expect_eq() {
    if [ "$1" = "$2" ]; then
        ok "$3"
    else
        fail "$3: expected '$1', got '$2'"
    fi
}

# expect_ne UNEXPECTED GOT MSG
expect_ne() {
    if [ "$1" != "$2" ]; then
        ok "$3"
    else
        fail "$3: got '$2'"
    fi
}

# expect_match ERE STRING MSG
expect_match() {
    if printf '%s' "$2" | grep -Eq -- "$1"; then
        ok "$3"
    else
        fail "$3: '$2' does not match /$1/"
    fi
}

# expect_no_match ERE STRING MSG
expect_no_match() {
    if printf '%s' "$2" | grep -Eq -- "$1"; then
        fail "$3: '$2' matches /$1/"
    else
        ok "$3"
    fi
}

# expect_in LIST GOT MSG: GOT is one of the space-separated words in LIST
expect_in() {
    local w
    for w in $1; do
        if [ "$w" = "$2" ]; then
            ok "$3"
            return
        fi
    done
    fail "$3: expected one of '$1', got '$2'"
}

# expect_file_match ERE FILE MSG: some line of FILE matches
expect_file_match() {
    if grep -Eq -- "$1" "$2" 2>/dev/null; then
        ok "$3"
    else
        fail "$3: no line of $(basename "$2") matches /$1/"
        sed 's/^/#   | /' "$2" 2>/dev/null | tail -n 20
    fi
}

# ---------------------------------------------------------------- ports
_port_free() {
    python3 - "$1" <<'EOF' 2>/dev/null
import socket, sys
s = socket.socket()
try:
    s.bind(("127.0.0.1", int(sys.argv[1])))
except OSError:
    sys.exit(1)
EOF
}

# free_port: print a currently free TCP port on 127.0.0.1 in 20000-39999
# (below the ephemeral range, so client sockets do not take it meanwhile)
free_port() {
    local p
    for _ in $(seq 1 50); do
        p=$((20000 + (RANDOM * 32768 + RANDOM) % 20000))
        case " ${_USED_PORTS:-} " in *" $p "*) continue ;; esac
        if _port_free "$p"; then
            _USED_PORTS="${_USED_PORTS:-} $p"
            echo "$p"
            return 0
        fi
    done
    echo "free_port: no free port found" >&2
    return 1
}

# wait_port PORT [TIMEOUT_S]: wait until 127.0.0.1:PORT accepts
wait_port() {
    local port=$1 tmo=${2:-5} _
    for _ in $(seq 0 $((tmo * 20))); do
        if (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then
            return 0
        fi
        sleep 0.05
    done
    return 1
}

# ---------------------------------------------------------------- certs
# gen_cert [CERT KEY [CN]]: self-signed EC P-256 certificate
gen_cert() {
    local c=${1:-$CERT} k=${2:-$KEY} cn=${3:-localhost}
    openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes \
        -keyout "$k" -out "$c" -days 2 -subj "/CN=$cn" \
        -addext "subjectAltName=DNS:$cn,IP:127.0.0.1" >/dev/null 2>&1 ||
        { echo "gen_cert failed" >&2; return 1; }
    chmod 644 "$k" "$c"
}

# ---------------------------------------------------------------- config
# gen_config [FILE]: write a full config to FILE (default $T/ktlsd.conf) and
# set CONF and PORT. Knobs (set before calling, all optional):
#   PORT          TLS listen port (picked when empty)
#   PLAIN=1       add a plain-HTTP server; its port in PLAIN_PORT
#   NOSSL=1       no TLS server at all (only with PLAIN=1)
#   WORKERS       worker_processes (default 1)
#   WORKER_CONNECTIONS (default 64)
#   ERROR_LOG     (default $T/error.log), LOG_LEVEL (default info)
#   ACCESS_LOG    access_log arguments (default "$T/access.log")
#   MAIN_EXTRA EVENTS_EXTRA HTTP_EXTRA SERVER_EXTRA: extra lines
# Knobs may be given as prefix assignments (X=1 gen_config), except PORT and
# PLAIN_PORT: bash restores those after the call. Use new_ports to get fresh
# ones for a second server.
gen_config() {
    CONF=${1:-$T/ktlsd.conf}
    [ -n "${PORT:-}" ] || PORT=$(free_port) || return 1
    [ -f "$T/cert.pem" ] || gen_cert "$T/cert.pem" "$T/key.pem" || return 1
    if [ "${PLAIN:-0}" = 1 ] && [ -z "${PLAIN_PORT:-}" ]; then
        PLAIN_PORT=$(free_port) || return 1
    fi
    LISTEN_PORT=$PORT # the port start_server waits for
    [ "${NOSSL:-0}" = 1 ] && LISTEN_PORT=$PLAIN_PORT
    local nginx_main="" nginx_http=""
    if [ "$IS_NGINX" = 1 ]; then
        nginx_main="daemon off;
user root;"
        nginx_http="include $MIME_TYPES;
    default_type application/octet-stream;
    ssl_protocols TLSv1.2 TLSv1.3;"
    fi
    {
        cat <<EOF
# generated by tests/lib.sh for $TEST_NAME
$nginx_main
worker_processes ${WORKERS:-1};
error_log ${ERROR_LOG:-$T/error.log} ${LOG_LEVEL:-info};
pid $T/ktlsd.pid;
${MAIN_EXTRA:-}

events {
    worker_connections ${WORKER_CONNECTIONS:-64};
    ${EVENTS_EXTRA:-}
}

http {
    $nginx_http
    ${HTTP_EXTRA:-}
    access_log ${ACCESS_LOG:-$T/access.log};
    sendfile on;
EOF
        if [ "${NOSSL:-0}" != 1 ]; then
            cat <<EOF

    server {
        listen 127.0.0.1:$PORT ssl;
        server_name localhost;
        root $WWW;
        ssl_certificate $CERT;
        ssl_certificate_key $KEY;
        ${SERVER_EXTRA:-}
    }
EOF
        fi
        if [ "${PLAIN:-0}" = 1 ]; then
            cat <<EOF

    server {
        listen 127.0.0.1:$PLAIN_PORT;
        server_name localhost;
        root $WWW;
        ${SERVER_EXTRA:-}
    }
EOF
        fi
        echo "}"
    } >"$CONF"
}

new_ports() { PORT=; PLAIN_PORT=; }

# server_cmd CONF: the command line that runs the server in the foreground
server_cmd() {
    if [ "$IS_NGINX" = 1 ]; then
        echo "$KTLSD" -p "$T/" -e "$T/nginx-stderr.log" -c "$1"
    else
        echo "$KTLSD" -c "$1"
    fi
}

# start_server [CONF [PORT]]: start the server in the background (own process
# group), wait until PORT accepts. Sets SERVER_PID. Returns 1 (and prints the
# logs) when it dies or does not listen within 5 s.
start_server() {
    local conf=${1:-$CONF} port=${2:-$LISTEN_PORT}
    SERVER_OUT=$T/server.$((${#SERVER_PIDS[@]} + 1)).out
    # shellcheck disable=SC2046
    setsid $(server_cmd "$conf") >"$SERVER_OUT" 2>&1 </dev/null &
    SERVER_PID=$!
    SERVER_PIDS+=("$SERVER_PID")
    for _ in $(seq 1 100); do
        if ! kill -0 "$SERVER_PID" 2>/dev/null; then
            wait "$SERVER_PID" 2>/dev/null
            fail "server exited during start-up (status $?)"
            _dump_logs
            return 1
        fi
        if (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then
            return 0
        fi
        sleep 0.05
    done
    fail "server does not accept on port $port after 5 s"
    _dump_logs
    return 1
}

_dump_logs() {
    local f
    for f in "${SERVER_OUT:-}" "${ERROR_LOG:-$T/error.log}"; do
        [ -s "$f" ] || continue
        echo "# --- $f"
        tail -n 30 "$f" | sed 's/^/#   | /'
    done
}

# stop_server [PID]: SIGTERM, wait up to 5 s (then SIGKILL and fail).
# Returns the exit status of the master (or 1 on timeout).
stop_server() {
    local pid=${1:-$SERVER_PID} st
    kill -TERM "$pid" 2>/dev/null
    for _ in $(seq 1 100); do
        if ! kill -0 "$pid" 2>/dev/null; then
            wait "$pid" 2>/dev/null
            st=$?
            # workers must be gone too
            for _ in $(seq 1 20); do
                kill -0 -- "-$pid" 2>/dev/null || return $st
                sleep 0.05
            done
            fail "workers still alive after master $pid exited"
            kill -KILL -- "-$pid" 2>/dev/null
            return 1
        fi
        sleep 0.05
    done
    fail "server $pid did not exit within 5 s of SIGTERM"
    kill -KILL -- "-$pid" 2>/dev/null
    wait "$pid" 2>/dev/null
    return 1
}

# worker_pids [MASTER_PID]: pids of the master's children, one per line
worker_pids() {
    local m=${1:-$SERVER_PID}
    tr ' ' '\n' <"/proc/$m/task/$m/children" 2>/dev/null | grep -E '^[0-9]+$' ||
        ps -o pid= --ppid "$m" | tr -d ' '
}

# wait_workers N [MASTER_PID]: wait (<=5 s) until the master has N children
wait_workers() {
    local n=$1 m=${2:-$SERVER_PID} _
    for _ in $(seq 1 100); do
        [ "$(worker_pids "$m" | grep -c .)" -ge "$n" ] && return 0
        sleep 0.05
    done
    return 1
}

# cpu_ticks PID: utime+stime of PID in clock ticks
cpu_ticks() {
    # fields after "(comm)": state=3 ... utime=14 stime=15
    sed 's/^.*) //' "/proc/$1/stat" 2>/dev/null | awk '{print $12 + $13}'
}

# ---------------------------------------------------------------- clients
CURL_OPTS=(-s -k --max-time 5 --http1.1)

# url PATH: https URL for the TLS server
url() { echo "https://127.0.0.1:$PORT$1"; }
purl() { echo "http://127.0.0.1:$PLAIN_PORT$1"; }

# hstatus URL [curl opts]: print the HTTP status code (000 on failure)
hstatus() {
    local u=$1
    shift
    curl "${CURL_OPTS[@]}" -o /dev/null -w '%{http_code}' "$@" "$u"
}

# hheaders URL [curl opts]: print response headers (CR stripped)
hheaders() {
    local u=$1
    shift
    curl "${CURL_OPTS[@]}" -o /dev/null -D - "$@" "$u" | tr -d '\r'
}

# header NAME < headers: value of the first header NAME (case-insensitive)
header() {
    awk -v n="$(echo "$1" | tr 'A-Z' 'a-z')" -F': ' '
        { k = tolower($1) }
        k == n { sub(/^[^:]*: */, ""); print; exit }'
}

# raw [--tls] [--timeout S] [--split] [--tls-version 1.2|1.3] PORT < REQUEST
# Send stdin in one write (over TLS with --tls), read until the server closes
# or the timeout (default 3 s). Prints the response bytes (or, with --split,
# one line per response: "STATUS BODYLEN MD5"). On stderr: "closed" or
# "timeout" and "elapsed=S". Exit 0 server closed, 2 still open at timeout,
# 3 connect/handshake error, 4 reset by peer.
raw() {
    python3 "$T/raw.py" "$@"
}

cat >"$T/raw.py" <<'PYEOF'
import hashlib, socket, ssl, sys, time

args = sys.argv[1:]
use_tls = False
timeout = 3.0
split = False
tlsver = None
while args and args[0].startswith("--"):
    a = args.pop(0)
    if a == "--tls":
        use_tls = True
    elif a == "--timeout":
        timeout = float(args.pop(0))
    elif a == "--split":
        split = True
    elif a == "--tls-version":
        tlsver = args.pop(0)
port = int(args[0])
data = sys.stdin.buffer.read()

start = time.monotonic()
try:
    s = socket.create_connection(("127.0.0.1", port), timeout=timeout)
    if use_tls:
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
        ctx.check_hostname = False
        ctx.verify_mode = ssl.CERT_NONE
        if tlsver == "1.2":
            ctx.maximum_version = ssl.TLSVersion.TLSv1_2
        elif tlsver == "1.3":
            ctx.minimum_version = ssl.TLSVersion.TLSv1_3
        s = ctx.wrap_socket(s, server_hostname="localhost")
except (OSError, ssl.SSLError) as e:
    print("connect error: %s" % e, file=sys.stderr)
    sys.exit(3)

if data:
    s.sendall(data)
buf = b""
code = 0
deadline = start + timeout
try:
    while True:
        left = deadline - time.monotonic()
        if left <= 0:
            raise socket.timeout()
        s.settimeout(left)
        chunk = s.recv(65536)
        if not chunk:
            break
        buf += chunk
except socket.timeout:
    code = 2
except ssl.SSLError as e:
    # close without close_notify, or an alert: the server closed
    print("tls: %s" % e, file=sys.stderr)
except ConnectionResetError:
    code = 4
elapsed = time.monotonic() - start
print({0: "closed", 2: "timeout", 4: "reset"}[code], file=sys.stderr)
print("elapsed=%.2f" % elapsed, file=sys.stderr)

if not split:
    sys.stdout.buffer.write(buf)
    sys.exit(code)

# --split: parse the responses (GET only: bodies delimited by Content-Length)
while buf:
    end = buf.find(b"\r\n\r\n")
    if end < 0:
        print("PARTIAL %d" % len(buf))
        break
    head = buf[:end].decode("latin-1").split("\r\n")
    buf = buf[end + 4:]
    status = head[0].split(" ")[1] if len(head[0].split(" ")) > 1 else "?"
    clen = 0
    for h in head[1:]:
        k, _, v = h.partition(":")
        if k.strip().lower() == "content-length":
            clen = int(v.strip())
    body, buf = buf[:clen], buf[clen:]
    print("%s %d %s" % (status, len(body), hashlib.md5(body).hexdigest()))
sys.exit(code)
PYEOF

# ---------------------------------------------------------------- files
# mkfile PATH SIZE: random content of SIZE bytes under $WWW
mkfile() {
    mkdir -p "$(dirname "$WWW/$1")"
    head -c "$2" /dev/urandom >"$WWW/$1"
    chmod 644 "$WWW/$1"
}

md5() { md5sum "$1" | cut -d' ' -f1; }

# ---------------------------------------------------------------- finish
# finish: check error logs for [crit]/[alert]/[emerg] (lines matching
# ERRLOG_ALLOW, an ERE, are tolerated), print "N passed, M failed", exit.
finish() {
    local f bad
    for f in "$T"/error*.log; do
        [ -f "$f" ] || continue
        bad=$(grep -E '\[(crit|alert|emerg)\]' "$f" |
            { if [ -n "${ERRLOG_ALLOW:-}" ]; then grep -Ev -- "$ERRLOG_ALLOW"; else cat; fi })
        if [ -n "$bad" ]; then
            fail "$(basename "$f") has crit/alert/emerg lines:"
            printf '%s\n' "$bad" | head -n 10 | sed 's/^/#   | /'
        else
            ok "$(basename "$f") has no crit/alert/emerg lines"
        fi
    done
    echo "$PASS passed, $FAIL failed"
    [ "$FAIL" -eq 0 ] || exit 1
    exit 0
}
