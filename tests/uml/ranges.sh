#!/bin/bash
# Ranges and precompressed files over kTLS: boots User-Mode Linux (a 6.1
# kernel with tls.ko, see tests/uml/ktls.sh and /work/shared/ktls-uml.md),
# runs $KTLSD inside with ranges-init as PID 1, and fetches with curl over
# TLS 1.2 (AES-128-GCM) and TLS 1.3 (AES-256-GCM, AES-128-GCM):
#   - single ranges at byte 0, at the last byte, across the 16 KiB record
#     boundary, a 300 KB range at an odd offset, a suffix range;
#   - multi-ranges (multipart/byteranges, every part checked);
#   - a gzip_static .gz (Accept-Encoding: gzip) of ~300 KB, and the whole file;
# then checks on the host that every body is byte-identical to the file (or
# its slice / its .gz), that curl negotiated the requested protocol/cipher,
# that the access log's $ktls is tx+rx (TLS 1.2) / tx (TLS 1.3) and agrees
# with /proc/net/tls_stat for that request (TlsTxSw +1 each), that
# $body_bytes_sent is what curl received, that TlsTxSw rose and
# TlsDecryptError did not, and that the server stops on SIGTERM.
#
# Env: KTLSD, KTLSD_UML_SERVER=ktlsd|nginx (nginx: the same cases against
# /usr/sbin/nginx, tls_stat only), KTLSD_UML_REQUIRE=1 (fail instead of skip
# when UML cannot boot), KTLSD_UML_KEEP=1 (keep the temp dir).
# Exit: 0 pass, 77 skip, 1 fail.

set -u
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
MODE=${KTLSD_UML_SERVER:-ktlsd}
PORT=8443 # inside the VM: its own network stack

skip() {
	echo "SKIP: $*"
	exit 77
}

command -v linux >/dev/null 2>&1 || skip "user-mode-linux (linux) not installed"
[ -d /usr/lib/uml/modules ] || skip "no /usr/lib/uml/modules"
for c in curl openssl python3 gzip; do
	command -v $c >/dev/null 2>&1 || skip "$c not installed"
done
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
chmod 755 "$T"
O=$T/out
W=$T/www
mkdir -p "$O" "$W/gz" "$T/uml"
# static_lib.sh: multipart() and slice() (it needs $T; it writes $T/tlsreq.py)
# shellcheck source=../integration/static_lib.sh
. "$HERE/../integration/static_lib.sh"

openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes \
	-keyout "$T/key.pem" -out "$T/cert.pem" -days 2 -subj /CN=localhost \
	>/dev/null 2>&1 || {
	echo "FAIL: openssl req"
	exit 1
}
chmod 644 "$T/key.pem"

# --- files ---------------------------------------------------------------------
SIZE=1048576
head -c $SIZE /dev/urandom >"$W/r1m.bin"
# ~400 KB of base64 text: its .gz (~300 KB) spans many 16 KiB records
head -c 300000 /dev/urandom | base64 >"$W/gz/s.css"
gzip -9 -n -c "$W/gz/s.css" >"$W/gz/s.css.gz"
printf 'small\n' >"$W/gz/small.txt"
gzip -n -c "$W/gz/small.txt" >"$W/gz/small.txt.gz"
chmod -R a+rX "$W"

# --- cases ---------------------------------------------------------------------
C12_128=ECDHE-ECDSA-AES128-GCM-SHA256
C13_128=TLS_AES_128_GCM_SHA256
C13_256=TLS_AES_256_GCM_SHA384
: >"$T/cases"
: >"$T/expect"
n=0
# add PROTO CIPHER URI RANGE AE KIND ARGS...  (KIND: full FILE | single FILE OFF LEN |
# multi FILE PARTS | gz FILE)
add() {
	local proto=$1 cipher=$2 uri=$3 range=$4 ae=$5
	shift 5
	n=$((n + 1))
	local name
	name=$(printf 'c%02d-tls%s-%s' "$n" "$proto" "$1")
	echo "$name $proto $cipher $uri?c=$name $range $ae" >>"$T/cases"
	echo "$name $proto $cipher $*" >>"$T/expect"
}
L=$((SIZE - 1))
for pc in "1.2 $C12_128" "1.3 $C13_256"; do
	read -r p c <<<"$pc"
	add "$p" "$c" /r1m.bin - - full r1m.bin
	add "$p" "$c" /r1m.bin bytes=0-0 - single r1m.bin 0 1
	add "$p" "$c" /r1m.bin "bytes=$L-$L" - single r1m.bin $L 1
	add "$p" "$c" /r1m.bin bytes=-1 - single r1m.bin $L 1
	add "$p" "$c" /r1m.bin bytes=16380-16390 - single r1m.bin 16380 11
	add "$p" "$c" /r1m.bin bytes=16383-16384 - single r1m.bin 16383 2
	add "$p" "$c" /r1m.bin bytes=100-300099 - single r1m.bin 100 300000
	add "$p" "$c" /r1m.bin bytes=-70000 - single r1m.bin $((SIZE - 70000)) 70000
	add "$p" "$c" /r1m.bin bytes=0-9,16383-16384,-5 - multi r1m.bin "0-9,16383-16384,$((SIZE - 5))-$L"
	add "$p" "$c" /r1m.bin bytes=1000-40000,500000-600000 - multi r1m.bin "1000-40000,500000-600000"
	add "$p" "$c" /gz/s.css - gzip gz gz/s.css
	add "$p" "$c" /gz/small.txt - gzip gz gz/small.txt
done
add 1.3 $C13_128 /r1m.bin bytes=16383-16384 - single r1m.bin 16383 2
add 1.3 $C13_128 /r1m.bin bytes=0-9,16383-16384,-5 - multi r1m.bin "0-9,16383-16384,$((SIZE - 5))-$L"
add 1.3 $C13_128 /gz/s.css - gzip gz gz/s.css

# --- server config -------------------------------------------------------------
if [ "$MODE" = ktlsd ]; then
	CONF=$T/ktlsd.conf
	SERVER_CMD=("$SERVER" -c "$CONF")
	KTLSVAR=\$ktls
	EXTRA_MAIN=
	EXTRA_HTTP=
	EXTRA_SERVER='ktls on;'
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
write_conf() { # FILE [EXTRA-SERVER-LINE]
cat >"$1" <<EOF
worker_processes 1;
error_log $T/error.log info;
pid $T/server.pid;
$EXTRA_MAIN
events { worker_connections 64; }
http {
    include /etc/nginx/mime.types;
    default_type application/octet-stream;
    log_format k '\$ssl_protocol \$ssl_cipher $KTLSVAR \$status \$body_bytes_sent \$request_uri';
    access_log $T/access.log k;
    $EXTRA_HTTP
    server {
        listen 127.0.0.1:$PORT ssl;
        ssl_certificate $T/cert.pem;
        ssl_certificate_key $T/key.pem;
        root $W;
        sendfile on;
        ssl_protocols TLSv1.2 TLSv1.3;
        $EXTRA_SERVER
        location /gz/ { gzip_static on; }
        ${2:-}
    }
}
EOF
}
write_conf "$CONF"
# ktlsd's status page (when this build has it) says which path the file
# bytes took: they must all go through SSL_sendfile (kTLS), none through
# user space.
if [ "$MODE" = ktlsd ]; then
	STATUS='location = /ktlsd-status { ktlsd_status; }'
	write_conf "$T/probe.conf" "$STATUS"
	sed -i "s|error_log $T/error.log|error_log $T/probe.log|" "$T/probe.conf"
	if "$SERVER" -t -c "$T/probe.conf" >/dev/null 2>&1; then
		write_conf "$CONF" "$STATUS"
		echo /ktlsd-status >"$T/status_uri"
	fi
fi
{
	printf 'SERVER_CMD=('
	printf '%q ' "${SERVER_CMD[@]}"
	printf ')\nPORT=%s\n' "$PORT"
} >"$T/run.conf"

# --- boot ----------------------------------------------------------------------
t0=$(date +%s)
timeout -k 5 150 linux mem=1G rootfstype=hostfs rootflags=/ ro \
	init="$HERE/ranges-init" con=null con0=null uml_dir="$T/uml" \
	KTLS_UML_DIR="$T" </dev/null >"$T/console.log" 2>&1
urc=$?
t1=$(date +%s)
echo "UML ran $((t1 - t0)) s (exit $urc), server: $MODE, $n cases"

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
	tail -n 30 "$T/error.log" 2>/dev/null
	echo "0 passed, 1 failed"
	exit 1
fi

# --- checks --------------------------------------------------------------------
pass=0
fail=0
ok() { pass=$((pass + 1)); }
bad() {
	fail=$((fail + 1))
	echo "FAIL: $*"
}
check() {
	local d=$1
	shift
	if "$@"; then ok; else bad "$d"; fi
}
stat_of() {
	awk -v k="$2" '$1 == k { print $2; found=1 } END { if (!found) print -1 }' "$1" 2>/dev/null
}
hdr_of() { # FILE NAME: header value from curl -D output (last block)
	tr -d '\r' <"$1" | awk -v n="$(echo "$2" | tr '[:upper:]' '[:lower:]')" '
		/^HTTP\// { v = "" }
		{ k = tolower($0); sub(/:.*/, "", k) }
		k == n { v = $0; sub(/^[^:]*: */, "", v) }
		END { print v }'
}

if [ "$(cat "$O/server.up" 2>/dev/null)" != 1 ]; then
	bad "server never listened on 127.0.0.1:$PORT inside UML; its output:"
	sed 's/^/    /' "$O/server.out" 2>/dev/null | tail -n 20
	tail -n 20 "$T/error.log" 2>/dev/null | sed 's/^/    /'
	echo "$pass passed, $fail failed"
	exit 1
fi
grep -q '^modprobe .* failed' "$O/init.log" && bad "module loading: $(grep '^modprobe' "$O/init.log" | tr '\n' ' ')"

ncases=0
big_bytes=0   # file bytes of responses from files over 15360 bytes (SSL_sendfile)
small_bytes=0 # file bytes of small files (may come from memory)
while read -r name proto cipher kind f a1 a2; do
	ncases=$((ncases + 1))
	case $kind in
	full) fb=$(stat -c %s "$W/$f") ;;
	single) fb=$a2 ;;
	multi) fb=$(echo "$a1" | tr ',' '\n' | awk -F- '{s += $2 - $1 + 1} END {print s}') ;;
	gz) fb=$(stat -c %s "$W/$f.gz") ;;
	esac
	if [ "$(stat -c %s "$W/$f$([ "$kind" = gz ] && echo .gz)")" -gt 15360 ]; then
		big_bytes=$((big_bytes + fb))
	else
		small_bytes=$((small_bytes + fb))
	fi
	rc=$(cat "$O/$name.rc" 2>/dev/null)
	if [ "$rc" != 0 ]; then
		bad "$name: curl exit ${rc:-?}: $(grep -v '^[*<>{}]' "$O/$name.err" 2>/dev/null | tail -n 2 | tr '\n' ' ')"
		continue
	fi
	read -r code size <"$O/$name.curl"
	body=$O/$name.body
	[ -f "$body" ] || : >"$body"
	src=$W/$f
	case $kind in
	full)
		check "$name: status $code, expected 200" [ "$code" = 200 ]
		if cmp -s "$src" "$body"; then ok; else
			bad "$name: body differs from $f ($size bytes; $(cmp "$src" "$body" 2>&1 | head -n 1))"
		fi
		;;
	single)
		check "$name: status $code, expected 206" [ "$code" = 206 ]
		cr=$(hdr_of "$O/$name.hdr" Content-Range)
		want="bytes $a1-$((a1 + a2 - 1))/$(stat -c %s "$src")"
		check "$name: Content-Range '$cr', expected '$want'" [ "$cr" = "$want" ]
		slice "$src" "$a1" "$a2" >"$T/slice"
		if cmp -s "$T/slice" "$body"; then ok; else
			bad "$name: body ($size bytes) differs from bytes $a1..$((a1 + a2 - 1)) of $f ($(cmp "$T/slice" "$body" 2>&1 | head -n 1))"
		fi
		;;
	multi)
		check "$name: status $code, expected 206" [ "$code" = 206 ]
		got=$(multipart "$src" "$(hdr_of "$O/$name.hdr" Content-Type)" "$body")
		check "$name: multipart parts '$got', expected '$a1'" [ "$got" = "$a1" ]
		cl=$(hdr_of "$O/$name.hdr" Content-Length)
		check "$name: Content-Length $cl, body $size" [ "$cl" = "$size" ]
		;;
	gz)
		check "$name: status $code, expected 200" [ "$code" = 200 ]
		ce=$(hdr_of "$O/$name.hdr" Content-Encoding)
		check "$name: Content-Encoding '$ce', expected gzip" [ "$ce" = gzip ]
		if cmp -s "$src.gz" "$body"; then ok; else
			bad "$name: body ($size bytes) differs from $f.gz ($(cmp "$src.gz" "$body" 2>&1 | head -n 1))"
		fi
		;;
	esac
	want="TLSv$proto / $cipher"
	check "$name: curl did not negotiate $want: $(grep -o 'SSL connection using.*' "$O/$name.err")" \
		grep -q "SSL connection using $want\$" "$O/$name.err"

	dtx=$(($(stat_of "$O/$name.stat1" TlsTxSw) - $(stat_of "$O/$name.stat0" TlsTxSw)))
	drx=$(($(stat_of "$O/$name.stat1" TlsRxSw) - $(stat_of "$O/$name.stat0" TlsRxSw)))
	case "$dtx,$drx" in
	1,1) kern=tx+rx ;; 1,0) kern=tx ;; 0,1) kern=rx ;; 0,0) kern=off ;; *) kern="TlsTxSw+$dtx,TlsRxSw+$drx" ;;
	esac
	expect=tx
	[ "$proto" = 1.2 ] && expect=tx+rx
	check "$name: tls_stat says $kern, expected $expect" [ "$kern" = "$expect" ]
	[ "$MODE" = nginx ] && continue

	line=$(awk -v u="$(awk -v n="$name" '$1 == n {print $4}' "$T/cases")" '$6 == u' "$T/access.log" 2>/dev/null)
	if [ -z "$line" ]; then
		bad "$name: no access log line"
		continue
	fi
	read -r lproto lcipher lktls lstatus lbytes _ <<<"$line"
	check "$name: access log \$ssl_protocol $lproto, expected TLSv$proto" [ "$lproto" = "TLSv$proto" ]
	check "$name: access log \$ssl_cipher $lcipher, expected $cipher" [ "$lcipher" = "$cipher" ]
	check "$name: access log \$status $lstatus, curl got $code" [ "$lstatus" = "$code" ]
	check "$name: access log \$body_bytes_sent $lbytes, curl got $size" [ "$lbytes" = "$size" ]
	check "$name: access log \$ktls is $lktls, expected $expect" [ "$lktls" = "$expect" ]
done <"$T/expect"
check "cases checked: $ncases of $n" [ "$ncases" = "$n" ]

b=$O/tls_stat.before
a=$O/tls_stat.after
check "TlsTxSw rose by $(($(stat_of "$a" TlsTxSw) - $(stat_of "$b" TlsTxSw))), expected $n (one per connection)" \
	[ "$(($(stat_of "$a" TlsTxSw) - $(stat_of "$b" TlsTxSw)))" = "$n" ]
check "TlsDecryptError rose ($(stat_of "$b" TlsDecryptError) -> $(stat_of "$a" TlsDecryptError))" \
	[ "$(stat_of "$a" TlsDecryptError)" = "$(stat_of "$b" TlsDecryptError)" ]
check "TlsTxDevice/TlsRxDevice: no device offload expected ($(stat_of "$a" TlsTxDevice))" \
	[ "$(stat_of "$a" TlsTxDevice)" = "$(stat_of "$b" TlsTxDevice)" ]

if [ -s "$T/status_uri" ]; then
	# "Bytes sent: ssl_sendfile N fallback M sendfile K"
	read -r ssf fbk <<<"$(awk '/^Bytes sent:/ {print $4, $6}' "$O/status.txt" 2>/dev/null)"
	check "status page: SSL_sendfile carried ${ssf:-?} file bytes, expected every byte of the large files' responses ($big_bytes, + up to $small_bytes of small files)" \
		test "${ssf:--1}" -ge "$big_bytes" -a "${ssf:--1}" -le $((big_bytes + small_bytes))
	check "status page: ${fbk:-?} file bytes through user space, expected at most the small files' ($small_bytes)" \
		[ "${fbk:-99999999999}" -le "$small_bytes" ]
elif [ "$MODE" = ktlsd ]; then
	echo "# no ktlsd_status in this build: SSL_sendfile use not counted"
fi
if grep -E '\[(crit|alert|emerg)\]' "$T/error.log" >"$T/errs" 2>/dev/null; then
	bad "error log has [crit]/[alert]/[emerg]:"
	head -n 10 "$T/errs" | sed 's/^/    /'
else ok; fi
if [ "$MODE" = ktlsd ]; then
	check "error log lacks the [notice] \"kTLS available\"" grep -q '\[notice\].*kTLS available' "$T/error.log"
fi
src=$(cat "$O/server.rc" 2>/dev/null)
check "server did not exit within 10 s of SIGTERM (status: ${src:-?})" [ "${src:-timeout}" != timeout ]
check "server processes left after SIGTERM: $(tr '\n' ';' <"$O/leftover" 2>/dev/null)" [ ! -s "$O/leftover" ]

echo "$pass passed, $fail failed"
[ "$fail" = 0 ]
