#!/bin/bash
# kTLS end-to-end test: boots User-Mode Linux (a 6.1 kernel with tls.ko), runs
# $KTLSD inside it and downloads files with curl over TLS 1.2 and 1.3 with
# AES-128-GCM, AES-256-GCM and ChaCha20-Poly1305; then checks, on the host:
#   - every body is byte-identical to its source file;
#   - curl negotiated the requested protocol/cipher and got 200;
#   - the access log's $ktls is tx+rx (TLS 1.2 AES-GCM), tx (TLS 1.3 AES-GCM),
#     off (ChaCha20-Poly1305), with matching $ssl_protocol/$ssl_cipher/$status/
#     $body_bytes_sent, and it agrees with /proc/net/tls_stat for that request
#     (TlsTxSw +1 iff tx, TlsRxSw +1 iff rx);
#   - TlsTxSw and TlsRxSw rose overall, TlsDecryptError did not;
#   - error log: "kTLS available", no [crit]/[alert]/[emerg];
#   - SIGTERM stops the server (no process left).
# See /work/shared/ktls-uml.md (docs) for the UML recipe: the host root is
# mounted read-only; only our private temp dir is mounted read-write.
#
# Env: KTLSD (required unless KTLSD_UML_SERVER=nginx), KTLSD_UML_SERVER=ktlsd|nginx
#      (nginx: run the same cases against /usr/sbin/nginx as a reference; no $ktls
#      there, so only tls_stat is checked), KTLSD_UML_REQUIRE=1 (fail instead of
#      skip when UML cannot boot at all), KTLSD_UML_KEEP=1 (keep the temp dir),
#      KTLSD_UML_MODULES="m1 m2" (extra kernel modules to load in the VM).
# Exit: 0 pass, 77 skip, 1 fail.

set -u
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
MODE=${KTLSD_UML_SERVER:-ktlsd}
PORT=8443 # inside the VM: its own network stack, no clash with the host

skip() {
	echo "SKIP: $*"
	exit 77
}

command -v linux >/dev/null 2>&1 || skip "user-mode-linux (linux) not installed"
[ -d /usr/lib/uml/modules ] || skip "no /usr/lib/uml/modules"
command -v curl >/dev/null 2>&1 || skip "curl not installed"
command -v openssl >/dev/null 2>&1 || skip "openssl not installed"
case $MODE in
ktlsd)
	if [ -z "${KTLSD:-}" ] || [ ! -x "$KTLSD" ]; then
		skip "KTLSD unset or not executable"
	fi
	SERVER=$(cd "$(dirname "$KTLSD")" && pwd)/$(basename "$KTLSD")
	;;
nginx)
	SERVER=/usr/sbin/nginx
	[ -x "$SERVER" ] || skip "no $SERVER"
	;;
*)
	echo "bad KTLSD_UML_SERVER=$MODE"
	exit 1
	;;
esac

T=$(mktemp -d) || exit 1
cleanup() {
	if [ "${KTLSD_UML_KEEP:-0}" = 1 ]; then
		echo "kept $T"
	else
		rm -rf "$T"
	fi
}
trap cleanup EXIT
# The server may drop privileges (nginx workers run as nobody): let it read the docroot.
chmod 755 "$T"
O=$T/out
mkdir -p "$O" "$T/src" "$T/www" "$T/uml"

# --- certificate: ECDSA P-256, so TLS 1.2 suites are ECDHE-ECDSA-* ---------------
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes \
	-keyout "$T/key.pem" -out "$T/cert.pem" -days 2 -subj /CN=localhost \
	>/dev/null 2>&1 || {
	echo "FAIL: openssl req"
	exit 1
}

# --- source files (random content) -------------------------------------------
declare -A SIZE=([0]=0 [1]=1 [16k]=16384 [16k1]=16385 [10m]=10485760)
for f in "${!SIZE[@]}"; do
	head -c "${SIZE[$f]}" /dev/urandom >"$T/src/$f"
done

# --- cases ---------------------------------------------------------------------
# Each case gets its own URI (a hard link to the source file), so that the
# access log line and the tls_stat snapshots of each request are unambiguous.
# The 10 MiB body goes only through a subset (TLS 1.2 + 1.3 AES-128-GCM and
# AES-256-GCM, TLS 1.3 ChaCha20): UML's kernel AES-GCM is generic C.
C12_128=ECDHE-ECDSA-AES128-GCM-SHA256
C12_256=ECDHE-ECDSA-AES256-GCM-SHA384
C12_CHA=ECDHE-ECDSA-CHACHA20-POLY1305
C13_128=TLS_AES_128_GCM_SHA256
C13_256=TLS_AES_256_GCM_SHA384
C13_CHA=TLS_CHACHA20_POLY1305_SHA256
: >"$T/cases"
n=0
add_case() { # PROTO CIPHER FILE EXPECT
	n=$((n + 1))
	local name
	name=$(printf 'c%02d-tls%s-%s-%s' "$n" "$1" "$2" "$3")
	ln "$T/src/$3" "$T/www/$name"
	echo "$name $1 $2 /$name $4 $3" >>"$T/cases"
}
for f in 0 1 16k 16k1 10m; do
	add_case 1.2 $C12_128 $f tx+rx
	add_case 1.2 $C12_256 $f tx+rx
	add_case 1.3 $C13_128 $f tx
	add_case 1.3 $C13_256 $f tx
done
# ChaCha20-Poly1305: the VM lacks chacha_generic/poly1305_generic (the kernel
# cannot load them on demand), so setsockopt(TLS_TX) fails inside OpenSSL and
# the server must fall back to user-space TLS: $ktls off, bodies still intact.
# (With KTLSD_UML_MODULES="chacha_generic poly1305_generic", nginx and ktlsd get kTLS
# for ChaCha20 too; then $ktls is only checked against tls_stat.)
CHA=off
[ -n "${KTLSD_UML_MODULES:-}" ] && CHA='*'
for f in 1 16k1; do
	add_case 1.2 $C12_CHA $f "$CHA"
	add_case 1.3 $C13_CHA $f "$CHA"
done
add_case 1.3 $C13_CHA 10m "$CHA"

# A file that shrinks while SSL_sendfile() sends it (kTLS TX, TLS 1.2): the
# connection must end with a logged error and a body that is a true prefix.
if [ "$MODE" = ktlsd ]; then
	# hostfs cannot truncate: the file lives in the VM's tmpfs, behind a symlink
	head -c $((16 << 20)) /dev/urandom >"$T/src/trunc"
	ln -s /run/ktlsd-trunc.bin "$T/www/trunc.bin"
	cat >"$T/after-cases" <<AFTER
#!/bin/bash
cp "$T/src/trunc" /run/ktlsd-trunc.bin
exec python3 - "\$PORT" /run/ktlsd-trunc.bin "\$O/trunc.body" >"\$O/trunc.result" 2>&1 <<'PY'
import os, socket, ssl, sys
port, path, out = int(sys.argv[1]), sys.argv[2], sys.argv[3]
ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
ctx.check_hostname = False
ctx.verify_mode = ssl.CERT_NONE
ctx.maximum_version = ssl.TLSVersion.TLSv1_2
ctx.set_ciphers("$C12_128")
raw = socket.create_connection(("127.0.0.1", port), timeout=20)
raw.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 65536)
s = ctx.wrap_socket(raw)
s.sendall(b"GET /trunc.bin HTTP/1.1\\r\\nHost: localhost\\r\\n\\r\\n")
data = b""
while b"\\r\\n\\r\\n" not in data:
    data += s.recv(65536)
head, body = data.split(b"\\r\\n\\r\\n", 1)
while len(body) < (1 << 20):
    body += s.recv(65536)
os.truncate(path, 2 << 20)
state = "open"
try:
    while True:
        b = s.recv(65536)
        if not b:
            state = "closed"
            break
        body += b
except (ConnectionResetError, ssl.SSLError):
    state = "closed"
except socket.timeout:
    state = "timeout"
open(out, "wb").write(body)
print(len(body), state)
PY
AFTER
	chmod +x "$T/after-cases"
fi

# --- server config ---------------------------------------------------------------
if [ "$MODE" = ktlsd ]; then
	CONF=$T/ktlsd.conf
	SERVER_CMD=("$SERVER" -c "$CONF")
	KTLSVAR=\$ktls
	EXTRA_MAIN=
	EXTRA_HTTP=
	EXTRA_SERVER=
else
	CONF=$T/nginx.conf
	mkdir -p "$T/ngx/logs"
	SERVER_CMD=("$SERVER" -p "$T/ngx/" -e "$T/error.log" -c "$CONF")
	KTLSVAR='-'
	EXTRA_MAIN='daemon off;'
	EXTRA_HTTP="client_body_temp_path $T/ngx/body; proxy_temp_path $T/ngx/proxy;
    fastcgi_temp_path $T/ngx/fastcgi; uwsgi_temp_path $T/ngx/uwsgi; scgi_temp_path $T/ngx/scgi;"
	EXTRA_SERVER='ssl_conf_command Options KTLS;'
fi
cat >"$CONF" <<EOF
worker_processes 1;
error_log $T/error.log info;
pid $T/server.pid;
$EXTRA_MAIN
events { worker_connections 64; }
http {
    log_format k '\$ssl_protocol \$ssl_cipher $KTLSVAR \$status \$body_bytes_sent \$request_uri';
    access_log $T/access.log k;
    $EXTRA_HTTP
    server {
        listen 127.0.0.1:$PORT ssl;
        ssl_certificate $T/cert.pem;
        ssl_certificate_key $T/key.pem;
        root $T/www;
        sendfile on;
        $([ "$MODE" = ktlsd ] && echo 'ktls on;')
        ssl_protocols TLSv1.2 TLSv1.3;
        $EXTRA_SERVER
    }
}
EOF
{
	printf 'SERVER_CMD=('
	printf '%q ' "${SERVER_CMD[@]}"
	printf ')\nPORT=%s\n' "$PORT"
	printf 'EXTRA_MODULES=%q\n' "${KTLSD_UML_MODULES:-}"
} >"$T/run.conf"

# --- boot ------------------------------------------------------------------------
t0=$(date +%s)
timeout -k 5 150 linux mem=1G rootfstype=hostfs rootflags=/ ro \
	init="$HERE/uml-init" con=null con0=null uml_dir="$T/uml" \
	KTLS_UML_DIR="$T" </dev/null >"$T/console.log" 2>&1
urc=$?
t1=$(date +%s)
echo "UML ran $((t1 - t0)) s (exit $urc), server: $MODE"

if [ ! -e "$O/booted" ]; then
	echo "UML did not boot or could not mount $T (exit $urc); console tail:"
	tail -n 20 "$T/console.log"
	[ "${KTLSD_UML_REQUIRE:-0}" = 1 ] && exit 1
	skip "User-Mode Linux cannot run here"
fi
if [ ! -e "$O/done" ]; then
	[ "$urc" = 124 ] || [ "$urc" = 137 ] && echo "FAIL: UML timed out after 150 s"
	echo "FAIL: UML booted but never wrote $O/done (exit $urc);" \
		"$(find "$O" -name '*.rc' | wc -l) of $n cases finished; init log:"
	tail -n 30 "$O/init.log" 2>/dev/null
	echo "error log tail:"
	tail -n 30 "$T/error.log" 2>/dev/null
	echo "0 passed, 1 failed"
	exit 1
fi

# --- checks ----------------------------------------------------------------------
pass=0
fail=0
ok() { pass=$((pass + 1)); }
bad() {
	fail=$((fail + 1))
	echo "FAIL: $*"
}
check() { # DESCRIPTION COMMAND...
	local d=$1
	shift
	if "$@"; then ok; else bad "$d"; fi
}
stat_of() { # FILE COUNTER
	awk -v k="$2" '$1 == k { print $2; found=1 } END { if (!found) print -1 }' "$1" 2>/dev/null
}

if [ "$(cat "$O/server.up" 2>/dev/null)" != 1 ]; then
	bad "server never listened on 127.0.0.1:$PORT inside UML; its output:"
	sed 's/^/    /' "$O/server.out" 2>/dev/null | tail -n 20
	tail -n 20 "$T/error.log" 2>/dev/null | sed 's/^/    /'
	echo "$pass passed, $fail failed"
	exit 1
fi
grep -q '^modprobe .* failed' "$O/init.log" && bad "module loading: $(grep '^modprobe' "$O/init.log" | tr '\n' ' ')"

while read -r name proto cipher uri expect src; do
	rc=$(cat "$O/$name.rc" 2>/dev/null)
	if [ "$rc" != 0 ]; then
		bad "$name: curl exit ${rc:-?}: $(grep -v '^[*<>{}]' "$O/$name.err" 2>/dev/null | tail -n 2 | tr '\n' ' ')"
		continue
	fi
	read -r code size <"$O/$name.curl"
	check "$name: HTTP status $code, expected 200" [ "$code" = 200 ]
	if cmp -s "$T/src/$src" "$O/$name.body"; then ok; else
		bad "$name: body differs from source ($size of ${SIZE[$src]} bytes; $(cmp "$T/src/$src" "$O/$name.body" 2>&1 | head -n 1))"
	fi
	want="TLSv$proto / $cipher"
	check "$name: curl did not negotiate $want: $(grep -o 'SSL connection using.*' "$O/$name.err")" \
		grep -q "SSL connection using $want\$" "$O/$name.err"

	# What the kernel says about this request.
	dtx=$(($(stat_of "$O/$name.stat1" TlsTxSw) - $(stat_of "$O/$name.stat0" TlsTxSw)))
	drx=$(($(stat_of "$O/$name.stat1" TlsRxSw) - $(stat_of "$O/$name.stat0" TlsRxSw)))
	case "$dtx,$drx" in
	1,1) kern=tx+rx ;; 1,0) kern=tx ;; 0,1) kern=rx ;; 0,0) kern=off ;; *) kern="TlsTxSw+$dtx,TlsRxSw+$drx" ;;
	esac

	if [ "$MODE" = nginx ]; then
		# Reference run: report what nginx got; only AES-GCM is required to be offloaded.
		echo "  $name: kernel: $kern"
		[ "$expect" = '*' ] || check "$name: tls_stat says $kern, expected $expect" [ "$kern" = "$expect" ]
		continue
	fi

	line=$(awk -v u="$uri" '$6 == u' "$T/access.log" 2>/dev/null)
	if [ -z "$line" ]; then
		bad "$name: no access log line for $uri"
		continue
	fi
	read -r lproto lcipher lktls lstatus lbytes _ <<<"$line"
	check "$name: access log \$ssl_protocol $lproto, expected TLSv$proto" [ "$lproto" = "TLSv$proto" ]
	check "$name: access log \$ssl_cipher $lcipher, expected $cipher" [ "$lcipher" = "$cipher" ]
	check "$name: access log \$status $lstatus, expected 200" [ "$lstatus" = 200 ]
	check "$name: access log \$body_bytes_sent $lbytes, expected ${SIZE[$src]}" [ "$lbytes" = "${SIZE[$src]}" ]
	[ "$expect" = '*' ] || check "$name: access log \$ktls is $lktls, expected $expect" [ "$lktls" = "$expect" ]
	check "$name: access log \$ktls is $lktls but /proc/net/tls_stat says $kern" [ "$lktls" = "$kern" ]
done <"$T/cases"

# Whole-run kernel counters.
b=$O/tls_stat.before
a=$O/tls_stat.after
check "TlsTxSw did not rise ($(stat_of "$b" TlsTxSw) -> $(stat_of "$a" TlsTxSw))" \
	[ "$(stat_of "$a" TlsTxSw)" -gt "$(stat_of "$b" TlsTxSw)" ]
check "TlsRxSw did not rise ($(stat_of "$b" TlsRxSw) -> $(stat_of "$a" TlsRxSw))" \
	[ "$(stat_of "$a" TlsRxSw)" -gt "$(stat_of "$b" TlsRxSw)" ]
check "TlsDecryptError rose ($(stat_of "$b" TlsDecryptError) -> $(stat_of "$a" TlsDecryptError))" \
	[ "$(stat_of "$a" TlsDecryptError)" = "$(stat_of "$b" TlsDecryptError)" ]

# The file truncated under SSL_sendfile().
if [ "$MODE" = ktlsd ]; then
	read -r tgot tstate <"$O/trunc.result" 2>/dev/null
	check "truncated file: client state ${tstate:-?} ($(tail -n 2 "$O/trunc.result" 2>/dev/null | tr '\n' ' ')), expected closed" \
		[ "$tstate" = closed ]
	check "truncated file: ${tgot:-?} bytes, expected fewer than 16 MiB" [ "${tgot:-0}" -lt $((16 << 20)) ]
	check "truncated file: the body is not a prefix of the file" \
		cmp -s "$O/trunc.body" <(head -c "${tgot:-0}" "$T/src/trunc")
	check "truncated file: no \"SSL_sendfile() sent 0 bytes ... truncated\" in the error log" \
		grep -q 'SSL_sendfile() sent 0 bytes.*truncated' "$T/error.log"
fi

# Error log and shutdown.
if grep -E '\[(crit|alert|emerg)\]' "$T/error.log" >"$T/errs" 2>/dev/null; then
	bad "error log has [crit]/[alert]/[emerg]:"
	head -n 10 "$T/errs" | sed 's/^/    /'
else ok; fi
if [ "$MODE" = ktlsd ]; then
	check "error log lacks the [notice] \"kTLS available\" (has: $(grep -o 'kTLS unavailable.*' "$T/error.log" | head -n 1))" \
		grep -q '\[notice\].*kTLS available' "$T/error.log"
fi
src=$(cat "$O/server.rc" 2>/dev/null)
check "server did not exit within 10 s of SIGTERM (status: ${src:-?})" [ "${src:-timeout}" != timeout ]
check "server processes left after SIGTERM: $(tr '\n' ';' <"$O/leftover" 2>/dev/null)" [ ! -s "$O/leftover" ]

echo "$pass passed, $fail failed"
[ "$fail" = 0 ]
