#!/bin/bash
# shellcheck source-path=SCRIPTDIR
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
# See docs/ktls-uml.md for the UML recipe: the host root is
# mounted read-only; only our private temp dir is mounted read-write.
#
# Env: KTLSD (required unless KTLSD_UML_SERVER=nginx), KTLSD_UML_SERVER=ktlsd|nginx
#      (nginx: run the same cases against /usr/sbin/nginx as a reference; no $ktls
#      there, so only tls_stat is checked), KTLSD_UML_REQUIRE=1 (fail instead of
#      skip when UML cannot boot at all), KTLSD_UML_KEEP=1 (keep the temp dir),
#      KTLSD_UML_MODULES="m1 m2" (extra kernel modules to load in the VM).
# The shared steps (setup, server config, boot, common checks) are in uml_lib.sh.
# Exit: 0 pass, 77 skip, 1 fail.

set -u
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=uml_lib.sh
. "$HERE/uml_lib.sh"
uml_setup curl openssl
mkdir -p "$T/src"

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

# A file that shrinks while sendfile() sends it on the kTLS socket (TLS 1.2): the
# connection must end with a logged error and a body that is a true prefix.
if [ "$MODE" = ktlsd ]; then
	# hostfs cannot truncate: the file lives in the VM's tmpfs, behind a symlink
	head -c $((16 << 20)) /dev/urandom >"$T/src/trunc"
	ln -s /run/ktlsd-trunc.bin "$T/www/trunc.bin"
	cat >"$T/after-cases" <<AFTER
#!/bin/bash
cp "$T/src/trunc" /run/ktlsd-trunc.bin
exec python3 "$CLIENTS/truncating_get.py" "\$PORT" tls1.2:$C12_128 /trunc.bin "\$O/trunc.body" \
	/run/ktlsd-trunc.bin >"\$O/trunc.result" 2>&1
AFTER
fi

# --- server config, boot --------------------------------------------------------
uml_write_conf "$CONF"
UML_MODULES="$UML_MODULES ${KTLSD_UML_MODULES:-}"
uml_run

# --- checks ----------------------------------------------------------------------

while read -r name proto cipher uri expect src; do
	uml_case_curl "$name" || continue
	expect_eq 200 "$code" "$name: HTTP status"
	check "$name: body byte-identical to the source ($size of ${SIZE[$src]} bytes; $(cmp "$T/src/$src" "$O/$name.body" 2>&1 | head -n 1))" \
		cmp -s "$T/src/$src" "$O/$name.body"
	# What the kernel says about this request: $kern.
	uml_case_tls "$name" "$proto" "$cipher"

	if [ "$MODE" = nginx ]; then
		# Reference run: report what nginx got; only AES-GCM is required to be offloaded.
		echo "  $name: kernel: $kern"
		[ "$expect" = '*' ] || expect_eq "$expect" "$kern" "$name: kTLS by /proc/net/tls_stat"
		continue
	fi

	uml_check_access_log "$name" "$uri" "$proto" "$cipher" 200 "${SIZE[$src]}" || continue
	[ "$expect" = '*' ] || expect_eq "$expect" "$lktls" "$name: access log \$ktls"
	expect_eq "$kern" "$lktls" "$name: access log \$ktls as /proc/net/tls_stat says"
done <"$T/cases"

# Whole-run kernel counters.
b=$O/tls_stat.before
a=$O/tls_stat.after
check "TlsTxSw rose ($(stat_of "$b" TlsTxSw) -> $(stat_of "$a" TlsTxSw))" \
	[ "$(stat_of "$a" TlsTxSw)" -gt "$(stat_of "$b" TlsTxSw)" ]
check "TlsRxSw rose ($(stat_of "$b" TlsRxSw) -> $(stat_of "$a" TlsRxSw))" \
	[ "$(stat_of "$a" TlsRxSw)" -gt "$(stat_of "$b" TlsRxSw)" ]

# The file truncated under sendfile() on the kTLS socket.
if [ "$MODE" = ktlsd ]; then
	read -r _ tgot tstate <"$O/trunc.result" 2>/dev/null
	check "truncated file: the connection is closed (client state ${tstate:-?}; $(tail -n 2 "$O/trunc.result" 2>/dev/null | tr '\n' ' '))" \
		[ "$tstate" = closed ]
	check "truncated file: fewer than 16 MiB sent (${tgot:-?} bytes)" [ "${tgot:-0}" -lt $((16 << 20)) ]
	check "truncated file: the body is a prefix of the file" \
		cmp -s "$O/trunc.body" <(head -c "${tgot:-0}" "$T/src/trunc")
	check "truncated file: \"sendfile() sent 0 bytes ... truncated\" in the error log" \
		grep -q 'sendfile() sent 0 bytes.*truncated' "$T/error.log"
fi

# TlsDecryptError, error log and shutdown; "N passed, M failed".
uml_finish
