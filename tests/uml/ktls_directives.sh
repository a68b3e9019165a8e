#!/bin/bash
# shellcheck source-path=SCRIPTDIR
# TLS directives where kTLS matters, under User-Mode Linux (a 6.1 kernel
# with tls.ko, docs/ktls-uml.md):
#   - two certificates in one server (ECDSA + RSA): a TLS 1.2 ECDHE-ECDSA and
#     an ECDHE-RSA connection, and TLS 1.3 with ECDSA and with RSA-PSS
#     signature algorithms, each served the matching certificate AND kTLS
#     (TLS 1.2: tx+rx, TLS 1.3: tx, by the access log and /proc/net/tls_stat);
#   - ktls_zerocopy_sendfile on: kTLS still works, 1 MiB bodies byte-identical,
#     and the status page counts every kTLS connection as zero-copy (the
#     kernel's getsockopt(TLS_TX_ZEROCOPY_RO) says 1). Linux 6.1 has no
#     tls_stat counter for it, and uses it with device offload only: under
#     software kTLS (UML) the bytes are encrypted from a copy as before;
#   - ssl_buffer_size 4k on a second server: the records are small and, as
#     OpenSSL 3.0 wants 16k records for kTLS, the connection is in userspace
#     ($ktls off) while the first server's are on kTLS.
# Env as tests/uml/ktls.sh. Exit: 0 pass, 77 skip, 1 fail.
set -u
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=uml_lib.sh
. "$HERE/uml_lib.sh"
[ "$MODE" = nginx ] && skip "ktls_zerocopy_sendfile and ktlsd_status are ktlsd's own"
uml_setup curl openssl python3
gen_cert "$T/rsa.pem" "$T/rsa.key" localhost rsa || finish
head -c 1048576 /dev/urandom >"$W/1m.bin"
head -c 1024 /dev/urandom >"$W/1k.bin"
SMALL_PORT=8444
uml_write_conf "$CONF" "server {
        listen 127.0.0.1:$SMALL_PORT ssl;
        ssl_certificate $T/cert.pem;
        ssl_certificate_key $T/key.pem;
        root $W;
        ktls on;
        ssl_buffer_size 4k;
    }" "ssl_certificate $T/rsa.pem;
        ssl_certificate_key $T/rsa.key;
        ktls_zerocopy_sendfile on;
        location = /status { ktlsd_status; }"
cat >"$T/cases" <<EOF
ec12 1.2 ECDHE-ECDSA-AES128-GCM-SHA256 /1m.bin?ec12
rsa12 1.2 ECDHE-RSA-AES128-GCM-SHA256 /1m.bin?rsa12
aes13 1.3 TLS_AES_128_GCM_SHA256 /1m.bin?aes13
EOF
n=3
cat >"$T/after-cases" <<EOS
#!/bin/bash
cd "$T"
# TLS 1.3: the certificate follows the signature algorithms
for sa in ECDSA+SHA256 RSA-PSS+SHA256; do
    printf 'GET /1m.bin?%s HTTP/1.0\r\nHost: localhost\r\n\r\n' "\$sa" |
        timeout 60 openssl s_client -connect 127.0.0.1:\$PORT -tls1_3 -sigalgs "\$sa" -brief \
        -ign_eof >"\$O/s13-\$sa" 2>"\$O/s13-\$sa.err"
done
curl -sk --http1.1 -o "\$O/small.body" "https://127.0.0.1:$SMALL_PORT/1k.bin?small"
curl -sk --http1.1 "https://127.0.0.1:\$PORT/status" >"\$O/status" 2>&1
EOS
uml_run

for c in ec12:1.2:ECDHE-ECDSA-AES128-GCM-SHA256:tx+rx rsa12:1.2:ECDHE-RSA-AES128-GCM-SHA256:tx+rx \
	aes13:1.3:TLS_AES_128_GCM_SHA256:tx; do
	IFS=: read -r name proto cipher want <<<"$c"
	uml_case_curl "$name" || continue
	expect_eq 200 "$code" "$name: status"
	check "$name: body byte-identical to the file" cmp -s "$O/$name.body" "$W/1m.bin"
	uml_case_tls "$name" "$proto" "$cipher"
	expect_eq "$want" "$kern" "$name: kTLS by /proc/net/tls_stat"
	uml_check_access_log "$name" "/1m.bin?$name" "$proto" "$cipher" 200 1048576 || continue
	expect_eq "$want" "$lktls" "$name: access log \$ktls"
done
check "ec12: the ECDSA certificate (ECDHE-ECDSA)" grep -q 'ECDHE-ECDSA' "$O/ec12.err"
check "rsa12: the RSA certificate (ECDHE-RSA)" grep -q 'ECDHE-RSA' "$O/rsa12.err"

for sa in ECDSA+SHA256 RSA-PSS+SHA256; do
	kind=${sa%%+*}
	kind=${kind%-PSS}
	check "TLS 1.3 $sa: the $kind certificate ($(grep -a 'Signature type' "$O/s13-$sa.err"))" \
		grep -aq "^Signature type: $kind" "$O/s13-$sa.err"
	body=$(after_head <"$O/s13-$sa")
	check "TLS 1.3 $sa: the whole body came ($body bytes)" [ "$body" = 1048576 ]
	line=$(awk -v u="/1m.bin?$sa" '$6 == u' "$T/access.log")
	check "TLS 1.3 $sa: access log says kTLS tx ($line)" [ "$(echo "$line" | cut -d' ' -f3)" = tx ]
done

check "ssl_buffer_size 4k: the body came" cmp -s "$O/small.body" "$W/1k.bin"
line=$(awk '$6 == "/1k.bin?small"' "$T/access.log")
check "ssl_buffer_size 4k: userspace TLS, as OpenSSL 3.0 wants 16k records for kTLS ($line)" \
	[ "$(echo "$line" | cut -d' ' -f3)" = off ]
check "ssl_buffer_size 4k: the warning says so" grep -q 'ssl_buffer_size 4096.*userspace TLS' \
	"$T/error.log"

zc=$(sed -n 's/^kTLS zero-copy sendfile connections: //p' "$O/status")
echo "# status page: kTLS zero-copy sendfile connections: ${zc:-?}"
# 3 curl cases + 2 s_client + the status request, all on the first server
check "ktls_zerocopy_sendfile: 6 connections with TLS_TX_ZEROCOPY_RO on (got ${zc:-?})" [ "${zc:-x}" = 6 ]
check_not "no notice that the kernel lacks TLS_TX_ZEROCOPY_RO" \
	grep -q 'has no TLS_TX_ZEROCOPY_RO' "$T/error.log"
uml_finish
