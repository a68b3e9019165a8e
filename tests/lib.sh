# shellcheck shell=bash disable=SC2119,SC2120,SC2034
# tests/lib.sh: helpers for ktlsd integration tests. Source it, do not run it.
#
#   . "$SRCDIR/tests/lib.sh"      (or relative to the test's own dirname)
#
# Environment: KTLSD (binary), SRCDIR (repo), BUILDDIR (build dir).
# KTLSD may point at nginx: IS_NGINX=1 then, and start_server/gen_config
# adapt (daemon off, -p/-e, mime types); use it to check expectations.
#
# Globals after init: T (private temp dir, removed on exit unless KEEP_TMP
# is set), WWW ($T/www), CERT, KEY, PASS, FAIL, CLIENTS (tests/clients: the
# Python clients the helpers and tests run), PY (the python3 interpreter).
# gen_config sets CONF, PORT (and PLAIN_PORT if asked), LISTEN_PORT (the one
# start_server waits for).
#
# The one dialect of the tests (tests/uml/uml_lib.sh builds on it):
#   assert       ok/fail MSG, check/check_not MSG CMD..., expect_* ..., finish
#   set up       T, gen_cert, gen_config, start_server, stop_server, mkfile
#   clients      curl (hstatus, hheaders, fetch), raw (one write, read to the
#                close), tlsreq (a scripted connection), tests/clients/*.py
#   two servers  pair_start / pair_same / pair_compare: one config served by
#                nginx (the reference) and by $KTLSD

set -u

: "${SRCDIR:=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)}"
CLIENTS=$SRCDIR/tests/clients
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
# The interpreter itself, not a pyenv/asdf shim: the shim costs ~0.1 s a call.
PY=$(python3 -c 'import sys; print(sys.executable)' 2>/dev/null)
[ -x "$PY" ] || PY=python3

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
    if [ -n "${T:-}" ] && [ -d "$T" ]; then
        if [ -z "${KEEP_TMP:-}" ]; then rm -rf "$T"; else echo "# kept $T"; fi
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
_port_free() { "$PY" "$CLIENTS/port_free.py" "$1" 2>/dev/null; }

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

# wait_log ERE [SECONDS [FILE]]: until a line of FILE (default the error
# log) matches, at most SECONDS (default 5)
wait_log() {
    for _ in $(seq 1 $((${2:-5} * 20))); do
        grep -Eq -- "$1" "${3:-${ERROR_LOG:-$T/error.log}}" 2>/dev/null && return 0
        sleep 0.05
    done
    return 1
}

# in_range X LO HI: LO <= X <= HI (decimal numbers)
in_range() { awk -v x="$1" -v lo="$2" -v hi="$3" 'BEGIN { exit !(x >= lo && x <= hi) }'; }

# ---------------------------------------------------------------- certs
# gen_cert [CERT KEY [CN [rsa]]]: self-signed EC P-256 (or RSA 2048) certificate
gen_cert() {
    local c=${1:-$CERT} k=${2:-$KEY} cn=${3:-localhost} key=(ec -pkeyopt ec_paramgen_curve:P-256)
    [ "${4:-ec}" = rsa ] && key=(rsa:2048)
    openssl req -x509 -newkey "${key[@]}" -nodes \
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
# 3 connect/handshake error, 4 reset by peer. (tests/clients/raw.py)
raw() { "$PY" "$CLIENTS/raw.py" "$@"; }

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
slice() { tail -c "+$(($2 + 1))" "$1" | head -c "$3"; }

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
# (default $T/body) against SRC; prints "a-b,c-d" (the Content-Range of each
# part, in order) or "BAD: reason". (tests/clients/multipart.py)
multipart() { "$PY" "$CLIENTS/multipart.py" "$1" "$2" "${3:-$T/body}"; }

# tlsreq [--plain] [--timeout S] [--sni NAME|-] PORT STEP...: one scripted
# connection. STEP: "send:BYTES" (escapes \r \n \xNN decoded), "resp" (read
# one response), "wait:S", "read" (until close/timeout). Prints per response
# "HDR name: value" lines and "STATUS <code> <body-len> <md5>", then
# "END closed|open|reset". (tests/clients/tlsreq.py)
tlsreq() { "$PY" "$CLIENTS/tlsreq.py" "$@"; }

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

# after_head: how many bytes of stdin follow the first header block (-1: none)
after_head() {
    "$PY" -c '
import sys
d = sys.stdin.buffer.read()
i = d.find(b"\r\n\r\n")
print(-1 if i < 0 else len(d) - i - 4)'
}

# head_body_len PATH [EXTRA-HEADER-LINES]: send "HEAD PATH" over TLS with
# Connection: close and print how many bytes follow the header block (a
# HEAD response must have none)
head_body_len() {
    printf 'HEAD %s HTTP/1.1\r\nHost: localhost\r\n%sConnection: close\r\n\r\n' "$1" "${2:-}" |
        raw --tls "$PORT" 2>/dev/null | after_head
}

# ---------------------------------------------------------------- files
# mkfile PATH SIZE: random content of SIZE bytes under $WWW
mkfile() {
    mkdir -p "$(dirname "$WWW/$1")"
    head -c "$2" /dev/urandom >"$WWW/$1"
    chmod 644 "$WWW/$1"
}

md5() { md5sum "$1" | cut -d' ' -f1; }

# h5bp_all_snippets CONF: include every optional h5bp snippet (tests/data/h5bp_snippets.txt)
# after "include h5bp/basic.conf;" in CONF, as a user enabling them all would
h5bp_all_snippets() {
    local extra='' f
    while read -r f; do extra="$extra\\n  include h5bp/$f;"; done <"$SRCDIR/tests/data/h5bp_snippets.txt"
    sed -i "s|include h5bp/basic.conf;|&$extra|" "$1"
}

# ---------------------------------------------------------------- two servers, one config
# A test that holds $KTLSD against nginx (the reference: $NGINX, default
# /usr/sbin/nginx) on one config defines
#     pair_http NAME PORT [PORT2]: print the http{} body of server NAME
#         (nginx or test) listening on PORT (and PORT2 with PAIR_PORTS=2)
# and calls pair_start. Knobs: WORKERS (default 1), PAIR_PORTS=2, and
# PAIR_NGINX_MAIN / PAIR_NGINX_HTTP: lines only an nginx gets (load_module,
# gzip_vary on). With KTLSD=/usr/sbin/nginx both sides are nginx: a
# self-check of the test.

# pair_conf NAME PORT [PORT2]: write $T/NAME.conf (error log
# $T/error-NAME.log, pid and temp dirs in $T/NAME/); NAME=nginx is the
# reference's config, NAME=test the one for $KTLSD (nginx syntax in both).
pair_conf() {
    local n=$1 ngx=$IS_NGINX
    [ "$n" = nginx ] && ngx=1
    mkdir -p "$T/$n"
    {
        if [ "$ngx" = 1 ]; then
            echo "daemon off;"
            [ "$(id -u)" = 0 ] && echo "user root;"
            echo "${PAIR_NGINX_MAIN:-}"
        fi
        cat <<CONF
worker_processes ${WORKERS:-1};
error_log $T/error-$n.log info;
pid $T/$n/server.pid;
events { worker_connections 64; }
http {
CONF
        if [ "$ngx" = 1 ]; then
            cat <<CONF
    client_body_temp_path $T/$n/body; proxy_temp_path $T/$n/proxy;
    fastcgi_temp_path $T/$n/fastcgi; uwsgi_temp_path $T/$n/uwsgi; scgi_temp_path $T/$n/scgi;
CONF
            echo "    ${PAIR_NGINX_HTTP:-}"
        fi
        pair_http "$@"
        echo "}"
    } >"$T/$n.conf"
}

# pair_start: skip without nginx; a certificate ($CERT, $KEY) unless one is
# there; free ports PA (nginx) and PB (the server under test), QA and QB
# with PAIR_PORTS=2; write $T/nginx.conf and $T/test.conf; start nginx
# (NGINX_PID), then $KTLSD (TEST_PID, also SERVER_PID: stop_server stops it).
# Any failure ends the test (finish).
pair_start() {
    NGINX=${NGINX:-/usr/sbin/nginx}
    [ -x "$NGINX" ] || skip "no reference nginx at $NGINX"
    [ -f "$CERT" ] || gen_cert || finish
    if ! PA=$(free_port) || ! PB=$(free_port); then finish; fi
    QA='' QB=''
    if [ "${PAIR_PORTS:-1}" = 2 ]; then
        if ! QA=$(free_port) || ! QB=$(free_port); then finish; fi
    fi
    pair_conf nginx "$PA" ${QA:+"$QA"}
    pair_conf test "$PB" ${QB:+"$QB"}
    KTLSD=$NGINX IS_NGINX=1 start_server "$T/nginx.conf" "$PA" || finish
    NGINX_PID=$SERVER_PID
    if ! start_server "$T/test.conf" "$PB"; then
        log "the server under test does not run this config: $T/test.conf"
        finish
    fi
    TEST_PID=$SERVER_PID
}

# pair_get PORT NAME PATH [curl args]: GET PAIR_SCHEME (default https)
# ://127.0.0.1:PORT/PATH; headers (CR stripped) into $T/NAME.h, the body as
# sent into $T/NAME.raw, decoded (gzip, br) into $T/NAME.b, where a
# generated page's signature reads "nginx" whichever server sent it.
pair_get() {
    local port=$1 name=$2 path=$3
    shift 3
    : >"$T/$name.raw"
    curl -s -k --max-time 5 -o "$T/$name.raw" -D "$T/$name.h" "$@" \
        "${PAIR_SCHEME:-https}://127.0.0.1:$port$path"
    tr -d '\r' <"$T/$name.h" >"$T/$name.h2" && mv "$T/$name.h2" "$T/$name.h"
    case "$(header Content-Encoding <"$T/$name.h")" in
    gzip) gzip -dc <"$T/$name.raw" >"$T/$name.b" 2>/dev/null ;;
    br) brotli -dc <"$T/$name.raw" >"$T/$name.b" 2>/dev/null ;;
    *) cp "$T/$name.raw" "$T/$name.b" ;;
    esac
    sed -i "s/ktlsd/nginx/; s,nginx/[0-9.]*<,nginx<," "$T/$name.b"
}

# pair_same WHAT PATH [curl args]: both servers answer alike: the status,
# each header of PAIR_HEADERS (a list) and the decoded body. The answers
# stay in $T/n.* (nginx) and $T/k.* (the server under test).
PAIR_HEADERS="Content-Type Content-Length"
pair_same() {
    local what=$1 path=$2 h
    shift 2
    pair_get "$PB" k "$path" "$@"
    pair_get "$PA" n "$path" "$@"
    expect_eq "$(head -n1 "$T/n.h" | cut -d' ' -f2)" "$(head -n1 "$T/k.h" | cut -d' ' -f2)" "$what: status"
    for h in $PAIR_HEADERS; do
        expect_eq "$(header "$h" <"$T/n.h")" "$(header "$h" <"$T/k.h")" "$what: $h"
    done
    if cmp -s "$T/n.b" "$T/k.b"; then
        ok "$what: same body"
    else
        fail "$what: same body"
        diff <(head -c 2000 "$T/n.b") <(head -c 2000 "$T/k.b") | head -n 10 | sed 's/^/#   | /'
    fi
}

# pair_compare [--h2] REQUESTS: tests/integration/compare/compare.py sends
# the requests of REQUESTS (a file) to both servers (HTTP/2 with --h2, when
# python3-h2 is installed) and compares the answers; its ok/FAIL lines count
# as this test's. COMPARE_DUMP=1: print nginx's answers and exit.
pair_compare() {
    local py=$PY out=$T/compare.out prefix=REQ args=() nb
    local cmp=$SRCDIR/tests/integration/compare/compare.py
    if [ "$1" = --h2 ]; then
        shift
        /usr/bin/python3 -c 'import hpack, hyperframe' 2>/dev/null || return 0
        py=/usr/bin/python3 out=$T/compare-h2.out prefix="h2 REQ" args=(--h2)
    fi
    if [ "${COMPARE_DUMP:-0}" = 1 ]; then
        "$py" "$cmp" --dump "$1" "$PA" "$PA"
        exit 0
    fi
    nb=$(basename "$KTLSD")
    [ "$IS_NGINX" = 1 ] && args+=(--b-is-nginx) && nb="$nb(test)"
    "$py" "$cmp" "${args[@]}" "$1" "$PA" "$PB" nginx "$nb" >"$out" 2>&1
    local rc=$?
    sed "s/^\(ok   - \|FAIL - \)REQ /\1$prefix /" "$out"
    [ "$rc" = 0 ] || fail "compare.py ${args[*]} exited with status $rc"
    PASS=$((PASS + $(grep -c '^ok ' "$out")))
    FAIL=$((FAIL + $(grep -c '^FAIL ' "$out")))
}

# conf_rejects WHAT HTTP_LINES MSG_ERE [LINE]: $KTLSD -t refuses a config
# whose http{} holds HTTP_LINES (from its line 3) with "[emerg] FILE:LINE:
# MSG" (LINE default 3)
conf_rejects() {
    printf 'events {}\nhttp {\n    %s\n    server { listen 127.0.0.1:1; }\n}\n' "$2" >"$T/bad.conf"
    "$KTLSD" -t -c "$T/bad.conf" >"$T/bad.out" 2>&1
    expect_file_match "\[emerg\] $T/bad.conf:${4:-3}: $3" "$T/bad.out" "$1"
}

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
