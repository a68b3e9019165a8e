#!/bin/bash
# shellcheck source-path=SCRIPTDIR
# ktlsd with OpenSSL 3.5 (see tests/uml/ktls_openssl35.sh) under Debian 12's
# UML, Linux 6.1, whose kTLS cannot take a new TLS 1.3 key in either
# direction. With 3.5 the TLS 1.3 receive key is in the kernel too, so a
# client's KeyUpdate fails inside OpenSSL's read (it cannot set the next
# receive key, nor go back to user space):
#   - "k" (no update requested), then a GET: the connection ends (OpenSSL's
#     internal_error alert), no answer under a wrong key, nothing misread;
#   - "K" (update requested), the same;
#   - each logged at info ("cannot take the new kTLS receive key"), never at
#     error; the status page counts 2 key updates kTLS could not follow;
#   - a new connection afterwards is served (tx+rx), TlsDecryptError unchanged.
# Exit: 0 pass, 77 skip, 1 fail.
set -u
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=uml_lib.sh
. "$HERE/uml_lib.sh"
# shellcheck source=openssl35_lib.sh
. "$HERE/openssl35_lib.sh"
o35_binary
uml_setup curl openssl
printf 'key update\n' >"$W/k.txt"
uml_write_conf "$CONF" "" "location = /status { ktlsd_status; }"
: >"$T/cases"
cat >"$T/after-cases" <<EOS
#!/bin/bash
for u in k K; do
	{ printf 'GET /k.txt?%s-1 HTTP/1.1\nHost: x\n\n' \$u; sleep 2; printf '%s\n' \$u; sleep 2
	  printf 'GET /k.txt?%s-2 HTTP/1.1\nHost: x\n\n' \$u; sleep 3; } |
		timeout 30 openssl s_client -connect 127.0.0.1:\$PORT -tls1_3 -crlf -msg >"\$O/ku-\$u" 2>&1
	echo \$? >"\$O/ku-\$u.rc"
done
curl -sk -o "\$O/after" -w '%{http_code}\n' --tlsv1.3 "https://127.0.0.1:\$PORT/k.txt?after" >"\$O/after.code" 2>&1
curl -sk "https://127.0.0.1:\$PORT/status" >"\$O/status" 2>&1
EOS
uml_run

for u in k K; do
	f=$O/ku-$u
	check "$u: s_client finished within 30 s (exit $(cat "$f.rc"))" [ "$(cat "$f.rc")" != 124 ]
	check "$u: the GET before it answered" [ "$(grep -c '^key update' "$f")" = 1 ]
	check "$u: the client sent its KeyUpdate" grep -q '^>>> .*KeyUpdate' "$f"
	check_not "$u: the GET after it not answered" grep -q '^HTTP/1.1 .*' <(sed -n '/>>> .*KeyUpdate/,$p' "$f")
	check_not "$u: nothing under a wrong key ($(grep -i 'bad record mac\|decrypt' "$f" | head -n 1))" \
		grep -qi 'bad record mac\|decryption failed' "$f"
	check "$u: access log has the GET before only" \
		[ "$(grep -c "/k.txt?$u-1\$" "$T/access.log") $(grep -c "/k.txt?$u-2\$" "$T/access.log")" = "1 0" ]
done
check "error log: two info lines \"cannot take the new kTLS receive key\"" \
	[ "$(grep -c '\[info\].*cannot take the new kTLS receive key' "$T/error.log")" = 2 ]
check_not "error log: no [error] line ($(grep '\[error\]' "$T/error.log" | head -n 1))" \
	grep -q '\[error\]' "$T/error.log"
check "status: 2 key updates kTLS could not follow" \
	grep -q 'TLS key updates kTLS could not follow (connections closed): 2$' "$O/status"
check "a new connection is served ($(cat "$O/after.code"))" \
	sh -c "[ \"\$(cat '$O/after.code')\" = 200 ] && cmp -s '$O/after' '$W/k.txt'"
line=$(awk '$6 == "/k.txt?after"' "$T/access.log")
check "... on kTLS tx+rx ($line)" sh -c "echo '$line' | grep -q '^TLSv1.3 [^ ]* tx+rx 200 '"
uml_finish
