# shellcheck shell=bash disable=SC2034
# tests/uml/uml_lib.sh: host-side helpers shared by the User-Mode Linux tests
# (every tests/uml/*.sh). Not a test (ctest skips *_lib.sh):
# source it, do not run it. See docs/ktls-uml.md for the UML recipe:
# the host root is mounted read-only in the VM; only the test's private temp
# dir ($T) is mounted read-write, at the same path. uml-init is PID 1 in the VM.
#
# It sources tests/lib.sh (the one harness: $T, ok/fail/check, expect_*,
# skip, finish, gen_cert, multipart, slice...) and adds only what booting UML
# needs. A test goes through these steps:
#   uml_setup CMD...          skip rules; $MODE, $SERVER, $O, $W, cert, $CONF, $SERVER_CMD
#   (its files; $T/cases: NAME PROTO CIPHER URI [FIELDS...], one request a line; $n: how many)
#   uml_write_conf FILE [HTTP-LINES] [SERVER-LINES]
#   (optionally $T/after-cases: a script uml-init runs after the cases, server still up)
#   uml_run                   run.conf, boot, the server came up; logs the VM's kernel
#     (= uml_write_run_conf     $T/run.conf for uml-init ($UML_MODULES, case_curl_args)
#        uml_boot               boots; skips (77) or fails when the VM did not finish
#        uml_check_server_up)   the server listened in the VM, every module loaded
#   checks: lib.sh's, and uml_case_curl, uml_case_tls,
#           uml_check_access_log, stat_of; then uml_finish (the last checks, finish)
#
# Env: KTLSD (required unless KTLSD_UML_SERVER=nginx), KTLSD_UML_SERVER=ktlsd|nginx,
#      KTLSD_UML_REQUIRE=1 (fail instead of skip when UML cannot boot at all),
#      KTLSD_UML_KEEP=1 (keep the temp dir; as KEEP_TMP=1),
#      UML_LINUX (the UML kernel to boot; default "linux", Debian 12's 6.1),
#      UML_MODULES_DIR (its modules, one directory per release; default
#      /usr/lib/uml/modules). scripts/install-deps.sh --test unpacks Debian
#      sid's UML (a kernel that can rekey TLS 1.3) with these two at
#      $UML_SID/linux and $UML_SID/usr/lib/uml/modules; uml_use_sid picks it.
#      UML_SID (default /opt/ktlsd-uml-sid) as install-deps.sh takes it.

if [ "${BASH_SOURCE[0]}" = "$0" ]; then
	echo "SKIP: uml_lib.sh is a helper library for the tests/uml/*.sh tests"
	exit 77
fi

UML_HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
MODE=${KTLSD_UML_SERVER:-ktlsd}
case $MODE in
ktlsd) ;;
nginx) KTLSD=/usr/sbin/nginx ;; # the reference runs the same cases
*)
	echo "bad KTLSD_UML_SERVER=$MODE"
	exit 1
	;;
esac
[ "${KTLSD_UML_KEEP:-0}" = 1 ] && KEEP_TMP=1
# shellcheck source=../lib.sh
. "$UML_HERE/../lib.sh"
UML_LINUX=${UML_LINUX:-linux}
UML_MODULES_DIR=${UML_MODULES_DIR:-/usr/lib/uml/modules}
UML_SID=${UML_SID:-/opt/ktlsd-uml-sid} # where scripts/install-deps.sh --test unpacks sid's UML
PORT=8443 # inside the VM: its own network stack, no clash with the host
# Kernel modules uml-init loads (the VM cannot load them on demand).
# aes_generic is built in (modprobe aes is then a no-op); never load aes_ti.
UML_MODULES="tls gcm ghash-generic ctr chacha20poly1305 ccm aes"
n=0 # cases written to $T/cases

# uml_use_sid: boot sid's UML (see UML_SID) instead of the default kernel,
# with those of $UML_MODULES its modules dir knows (a module, built in, or an
# alias): install-deps.sh takes sid's current UML once the pinned one is
# gone, and modules come and go (7.x has no ghash-generic: GHASH is library
# code gcm pulls in).
uml_use_sid() {
	# chacha20poly1305 needs the "chacha20" skcipher of chacha.ko on 7.x
	# (6.1: chacha_generic, which it pulls in by itself)
	local d m want="tls gcm ghash-generic ctr chacha chacha20poly1305 ccm aes"
	UML_LINUX=$UML_SID/linux
	UML_MODULES_DIR=$UML_SID/usr/lib/uml/modules
	d=$(find "$UML_MODULES_DIR" -mindepth 2 -maxdepth 2 -name modules.dep -printf '%h\n' 2>/dev/null)
	d=${d%%$'\n'*} # the first release (one is unpacked)
	[ -n "$d" ] || return 0 # not unpacked: uml_setup skips
	UML_MODULES=
	for m in $want; do
		uml_module_known "$d" "$m" && UML_MODULES="$UML_MODULES $m"
	done
}

# uml_module_known DIR NAME: modprobe in the VM would find NAME in DIR (a
# kernel's modules: modules.dep, modules.builtin, modules.alias); - and _ are
# the same to modprobe.
uml_module_known() {
	local f files=()
	for f in modules.dep modules.builtin modules.alias; do
		[ -f "$1/$f" ] && files+=("$1/$f")
	done
	[ "${#files[@]}" -gt 0 ] || return 1
	awk -v n="${2//-/_}" '
		FILENAME ~ /alias$/ { a = $2 }
		FILENAME !~ /alias$/ { a = $1; sub(/:$/, "", a); sub(/.*\//, "", a); sub(/\.ko.*$/, "", a) }
		{ gsub(/-/, "_", a); if (a == n) { found = 1; exit } }
		END { exit !found }' "${files[@]}"
}

# uml_setup CMD...: skip (exit 77) unless UML, its modules and the commands
# CMD... are here; then make $O=$T/out (what uml-init writes), $W=$WWW (the
# docroot), $CERT and $KEY (lib.sh's gen_cert: ECDSA P-256, so TLS 1.2
# suites are ECDHE-ECDSA-*), and set $SERVER, $CONF, $SERVER_CMD and the
# server-specific config lines.
uml_setup() {
	local c
	command -v "$UML_LINUX" >/dev/null 2>&1 || skip "user-mode-linux ($UML_LINUX) not installed"
	[ -d "$UML_MODULES_DIR" ] || skip "no $UML_MODULES_DIR"
	for c in "$@"; do
		command -v "$c" >/dev/null 2>&1 || skip "$c not installed"
	done
	SERVER=$(cd "$(dirname "$KTLSD")" && pwd)/$(basename "$KTLSD")
	O=$T/out
	W=$WWW
	mkdir -p "$O" "$T/uml"
	gen_cert || exit 1

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
		KTLSVAR='-' # nginx has no $ktls: the access log says "-"
		EXTRA_MAIN='daemon off;'
		EXTRA_HTTP="client_body_temp_path $T/ngx/body; proxy_temp_path $T/ngx/proxy;
    fastcgi_temp_path $T/ngx/fastcgi; uwsgi_temp_path $T/ngx/uwsgi; scgi_temp_path $T/ngx/scgi;"
		EXTRA_SERVER='ssl_conf_command Options KTLS;'
	fi
}

# uml_write_conf FILE [HTTP-LINES] [SERVER-LINES]: the server's config (for
# ktlsd or nginx): one TLS server on 127.0.0.1:$PORT, root $W, sendfile, kTLS,
# error log $T/error.log, access log $T/access.log with the fields
# $ssl_protocol $ssl_cipher $ktls(or -) $status $body_bytes_sent $request_uri.
uml_write_conf() {
	cat >"$1" <<EOF
worker_processes 1;
error_log $T/error.log info;
pid $T/server.pid;
$EXTRA_MAIN
events { worker_connections 64; }
http {
    log_format k '\$ssl_protocol \$ssl_cipher $KTLSVAR \$status \$body_bytes_sent \$request_uri';
    access_log $T/access.log k;
    $EXTRA_HTTP
    ${2:-}
    server {
        listen 127.0.0.1:$PORT ssl;
        ssl_certificate $T/cert.pem;
        ssl_certificate_key $T/key.pem;
        root $W;
        sendfile on;
        ssl_protocols TLSv1.2 TLSv1.3;
        $EXTRA_SERVER
        ${3:-}
    }
}
EOF
}

# uml_write_run_conf: $T/run.conf, sourced by uml-init: SERVER_CMD, PORT,
# MODULES, and the test's case_curl_args function when it has one (called
# in the VM as case_curl_args NAME FIELDS... for each line of $T/cases, with
# the fields after the URI; it sets the array curl_args: extra curl arguments).
uml_write_run_conf() {
	{
		printf 'SERVER_CMD=('
		printf '%q ' "${SERVER_CMD[@]}"
		printf ')\nPORT=%s\n' "$PORT"
		printf 'MODULES=%q\n' "$UML_MODULES"
		printf 'MODULES_DIR=%q\n' "$UML_MODULES_DIR"
		declare -F case_curl_args >/dev/null && declare -f case_curl_args
	} >"$T/run.conf"
}

# uml_boot: boot UML with uml-init as PID 1 (at most 150 s). Exits 77
# (1 with KTLSD_UML_REQUIRE=1) when it did not boot or mount $T; a failure
# (finish) when it never finished.
uml_boot() {
	local t0 t1 urc
	t0=$(date +%s)
	timeout -k 5 150 "$UML_LINUX" mem=1G rootfstype=hostfs rootflags=/ ro \
		init="$UML_HERE/uml-init" con=null con0=null uml_dir="$T/uml" \
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
		{ [ "$urc" = 124 ] || [ "$urc" = 137 ]; } && fail "UML timed out after 150 s"
		fail "UML booted but never wrote $O/done (exit $urc);" \
			"$(find "$O" -name '*.rc' | wc -l) of $n cases finished"
		log "init log:"
		tail -n 30 "$O/init.log" 2>/dev/null | sed 's/^/#   | /'
		_dump_logs
		finish
	fi
}

# uml_run: what every test does once its files are written: $T/after-cases
# made executable (when there is one), $T/run.conf, boot, the server came up
# and every module loaded; logs the kernel the VM ran.
uml_run() {
	[ -e "$T/after-cases" ] && chmod +x "$T/after-cases"
	uml_write_run_conf
	uml_boot
	uml_check_server_up
	log "kernel: $(head -n 1 "$O/dmesg" 2>/dev/null | grep -o 'Linux version [^ ]*')"
}

# --- checks ----------------------------------------------------------------------
stat_of() { # FILE COUNTER: its value in a /proc/net/tls_stat copy (-1: none)
	awk -v k="$2" '$1 == k { print $2; found=1 } END { if (!found) print -1 }' "$1" 2>/dev/null
}

# uml_check_server_up: the server listened in the VM (else: its output, and
# the end of the test), and every module loaded.
uml_check_server_up() {
	if [ "$(cat "$O/server.up" 2>/dev/null)" != 1 ]; then
		fail "the server listens on 127.0.0.1:$PORT inside UML"
		SERVER_OUT=$O/server.out _dump_logs
		finish
	fi
	check_not "every kernel module loads ($(grep '^modprobe' "$O/init.log" | tr '\n' ' '))" \
		grep -q '^modprobe .* failed' "$O/init.log"
}

# uml_case_curl NAME: curl succeeded for case NAME (else a failure, return 1);
# sets code (HTTP status) and size (bytes received).
uml_case_curl() {
	local rc
	rc=$(cat "$O/$1.rc" 2>/dev/null)
	if [ "$rc" != 0 ]; then
		fail "$1: curl exit ${rc:-?}: $(grep -v '^[*<>{}]' "$O/$1.err" 2>/dev/null | tail -n 2 | tr '\n' ' ')"
		return 1
	fi
	read -r code size <"$O/$1.curl"
}

# uml_case_tls NAME PROTO CIPHER: curl negotiated TLSvPROTO with CIPHER; sets
# kern to what /proc/net/tls_stat says of this request: tx+rx, tx, rx or off.
uml_case_tls() {
	local want="TLSv$2 / $3" dtx drx
	check "$1: curl negotiated $want ($(grep -o 'SSL connection using.*' "$O/$1.err"))" \
		grep -q "SSL connection using $want\$" "$O/$1.err"
	dtx=$(($(stat_of "$O/$1.stat1" TlsTxSw) - $(stat_of "$O/$1.stat0" TlsTxSw)))
	drx=$(($(stat_of "$O/$1.stat1" TlsRxSw) - $(stat_of "$O/$1.stat0" TlsRxSw)))
	case "$dtx,$drx" in
	1,1) kern=tx+rx ;; 1,0) kern=tx ;; 0,1) kern=rx ;; 0,0) kern=off ;; *) kern="TlsTxSw+$dtx,TlsRxSw+$drx" ;;
	esac
}

# uml_check_access_log NAME URI PROTO CIPHER STATUS BYTES [WORD]: the access
# log line of URI has TLSvPROTO, CIPHER, STATUS and BYTES (the messages say
# "WORD STATUS", default "expected"); sets lktls (its $ktls). Return 1 (one
# failure) when there is no such line.
uml_check_access_log() {
	local name=$1 uri=$2 proto=$3 cipher=$4 status=$5 bytes=$6 word=${7:-expected}
	local line lproto lcipher lstatus lbytes
	line=$(awk -v u="$uri" '$6 == u' "$T/access.log" 2>/dev/null)
	if [ -z "$line" ]; then
		fail "$name: an access log line for $uri"
		return 1
	fi
	read -r lproto lcipher lktls lstatus lbytes _ <<<"$line"
	expect_eq "TLSv$proto" "$lproto" "$name: access log \$ssl_protocol"
	expect_eq "$cipher" "$lcipher" "$name: access log \$ssl_cipher"
	check "$name: access log \$status $lstatus, $word $status" [ "$lstatus" = "$status" ]
	check "$name: access log \$body_bytes_sent $lbytes, $word $bytes" [ "$lbytes" = "$bytes" ]
}

# uml_finish: the checks every test ends with (TlsDecryptError did not rise,
# ktlsd's "kTLS available", the server stopped on SIGTERM and left no
# process), then lib.sh's finish (no [crit]/[alert]/[emerg] in
# $T/error*.log, "N passed, M failed", the exit status).
uml_finish() {
	local b=$O/tls_stat.before a=$O/tls_stat.after src
	expect_eq "$(stat_of "$b" TlsDecryptError)" "$(stat_of "$a" TlsDecryptError)" \
		"TlsDecryptError unchanged over the run"
	if [ "$MODE" = ktlsd ]; then
		check "error log has the [notice] \"kTLS available\" ($(grep -o 'kTLS unavailable.*' "$T/error.log" | head -n 1))" \
			grep -q '\[notice\].*kTLS available' "$T/error.log"
	fi
	src=$(cat "$O/server.rc" 2>/dev/null)
	check "the server exits within 10 s of SIGTERM (status: ${src:-?})" [ "${src:-timeout}" != timeout ]
	check "no server process left after SIGTERM ($(tr '\n' ';' <"$O/leftover" 2>/dev/null))" [ ! -s "$O/leftover" ]
	finish
}
