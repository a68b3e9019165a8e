#!/bin/bash
# shellcheck source-path=SCRIPTDIR
# Ranges and precompressed files over kTLS: boots User-Mode Linux (a 6.1
# kernel with tls.ko, see tests/uml/ktls.sh and docs/ktls-uml.md),
# runs $KTLSD inside with uml-init as PID 1, and fetches with curl over
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
# The shared steps (setup, server config, boot, common checks) are in uml_lib.sh.
# Exit: 0 pass, 77 skip, 1 fail.

set -u
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=uml_lib.sh
. "$HERE/uml_lib.sh"
uml_setup curl openssl python3 gzip
mkdir -p "$W/gz"

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

# --- server config, boot -------------------------------------------------------
# the tests' own copy of Debian's nginx mime.types (the VM sees the host root)
MIME="include $HERE/../data/mime.types; default_type application/octet-stream;"
GZ='location /gz/ { gzip_static on; }'
uml_write_conf "$CONF" "$MIME" "$GZ"
# ktlsd's status page (when this build has it) says which path the file
# bytes took: they must all go through SSL_sendfile (kTLS), none through
# user space. uml-init fetches it (after-cases) into $O/status.txt.
if [ "$MODE" = ktlsd ]; then
	STATUS='location = /ktlsd-status { ktlsd_status; }'
	uml_write_conf "$T/probe.conf" "$MIME" "$GZ $STATUS"
	sed -i "s|error_log $T/error.log|error_log $T/probe.log|" "$T/probe.conf"
	if "$SERVER" -t -c "$T/probe.conf" >/dev/null 2>&1; then
		uml_write_conf "$CONF" "$MIME" "$GZ $STATUS"
		echo /ktlsd-status >"$T/status_uri"
		cat >"$T/after-cases" <<'AFTER'
#!/bin/bash
exec curl -q -sk --http1.1 --max-time 30 -o "$O/status.txt" \
	"https://127.0.0.1:$PORT/ktlsd-status" 2>"$O/status.err"
AFTER
	fi
fi
# Per-request curl arguments, run by uml-init in the VM for each line of $T/cases.
# shellcheck disable=SC2317 # run in the VM (uml_write_run_conf copies it)
case_curl_args() { # NAME RANGE ACCEPT-ENCODING ("-": no such header)
	curl_args=(-D "$O/$1.hdr")
	if [ "$2" != - ]; then curl_args+=(-H "Range: $2"); fi
	if [ "$3" != - ]; then curl_args+=(-H "Accept-Encoding: $3"); fi
}
UML_MODULES="tls gcm ghash-generic ctr aes"
uml_run

# --- checks --------------------------------------------------------------------
hdr_of() { # FILE NAME: header value from curl -D output (last block)
	tr -d '\r' <"$1" | awk -v n="$(echo "$2" | tr '[:upper:]' '[:lower:]')" '
		/^HTTP\// { v = "" }
		{ k = tolower($0); sub(/:.*/, "", k) }
		k == n { v = $0; sub(/^[^:]*: */, "", v) }
		END { print v }'
}

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
	uml_case_curl "$name" || continue
	body=$O/$name.body
	[ -f "$body" ] || : >"$body"
	src=$W/$f
	case $kind in
	full)
		expect_eq 200 "$code" "$name: status"
		check "$name: body byte-identical to $f ($size bytes; $(cmp "$src" "$body" 2>&1 | head -n 1))" \
			cmp -s "$src" "$body"
		;;
	single)
		expect_eq 206 "$code" "$name: status"
		cr=$(hdr_of "$O/$name.hdr" Content-Range)
		expect_eq "bytes $a1-$((a1 + a2 - 1))/$(stat -c %s "$src")" "$cr" "$name: Content-Range"
		slice "$src" "$a1" "$a2" >"$T/slice"
		check "$name: body ($size bytes) is bytes $a1..$((a1 + a2 - 1)) of $f ($(cmp "$T/slice" "$body" 2>&1 | head -n 1))" \
			cmp -s "$T/slice" "$body"
		;;
	multi)
		expect_eq 206 "$code" "$name: status"
		got=$(multipart "$src" "$(hdr_of "$O/$name.hdr" Content-Type)" "$body")
		expect_eq "$a1" "$got" "$name: multipart parts"
		cl=$(hdr_of "$O/$name.hdr" Content-Length)
		expect_eq "$size" "$cl" "$name: Content-Length is the body's length"
		;;
	gz)
		expect_eq 200 "$code" "$name: status"
		expect_eq gzip "$(hdr_of "$O/$name.hdr" Content-Encoding)" "$name: Content-Encoding"
		check "$name: body ($size bytes) is $f.gz ($(cmp "$src.gz" "$body" 2>&1 | head -n 1))" \
			cmp -s "$src.gz" "$body"
		;;
	esac
	uml_case_tls "$name" "$proto" "$cipher"
	expect=tx
	[ "$proto" = 1.2 ] && expect=tx+rx
	expect_eq "$expect" "$kern" "$name: kTLS by /proc/net/tls_stat"
	[ "$MODE" = nginx ] && continue

	uri=$(awk -v n="$name" '$1 == n {print $4}' "$T/cases")
	uml_check_access_log "$name" "$uri" "$proto" "$cipher" "$code" "$size" "curl got" || continue
	expect_eq "$expect" "$lktls" "$name: access log \$ktls"
done <"$T/expect"
expect_eq "$n" "$ncases" "cases checked"

b=$O/tls_stat.before
a=$O/tls_stat.after
check "TlsTxSw rose by $(($(stat_of "$a" TlsTxSw) - $(stat_of "$b" TlsTxSw))), expected $n (one per connection)" \
	[ "$(($(stat_of "$a" TlsTxSw) - $(stat_of "$b" TlsTxSw)))" = "$n" ]
check "TlsTxDevice unchanged: no device offload ($(stat_of "$a" TlsTxDevice))" \
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
# TlsDecryptError, error log and shutdown; "N passed, M failed".
uml_finish
