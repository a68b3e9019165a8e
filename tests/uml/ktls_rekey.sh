#!/bin/bash
# shellcheck source-path=SCRIPTDIR
# TLS 1.3 key updates followed under kTLS, on a kernel that takes a new TX
# key (Linux 6.14+; here Debian sid's UML, 7.x, which scripts/install-deps.sh
# --test unpacks in $UML_SID; Debian 12's 6.1 refuses the new key, and
# tests/uml/ktls_records.sh checks the clean close there):
#   - HTTP/1.1 (openssl s_client): GET, "K" (KeyUpdate, update_requested),
#     GET, "K", GET on one connection: all three answered; the server sends
#     its own KeyUpdate after each K (s_client -msg shows it) and nothing
#     under a stale key (no "bad record mac");
#   - HTTP/2 (s_client -alpn h2 with frames python3-h2 encoded): the same,
#     three streams, two KeyUpdates between them;
#   - the status page counts 4 key updates followed, none closed; the
#     kernel saw no decryption error.
# See docs/ktls-uml.md. Env as tests/uml/ktls.sh. Exit: 0 pass, 77 skip, 1 fail.
set -u
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=uml_lib.sh
. "$HERE/uml_lib.sh"
[ "$MODE" = ktlsd ] || skip "nginx 1.22 does not follow key updates under kTLS"
[ -x "$UML_SID/linux" ] || skip "no $UML_SID/linux (scripts/install-deps.sh --test unpacks it)"
uml_use_sid
uml_setup openssl curl
/usr/bin/python3 -c 'import h2.connection' 2>/dev/null || skip "python3-h2 not installed"
printf 'key update\n' >"$W/k.txt"
uml_write_conf "$CONF" "" "http2 on; location = /status { ktlsd_status; }"

# HTTP/2 client bytes: the preface, SETTINGS and stream 1's GET; then the
# GETs of streams 3 and 5 (sent after each K)
/usr/bin/python3 "$CLIENTS/h2_gets.py" "$T" /k.txt 1 3 5

: >"$T/cases"
cat >"$T/after-cases" <<EOS
#!/bin/bash
cd "$T"
# (generous pauses: UML on a loaded machine is slow to answer)
{ printf 'GET /k.txt HTTP/1.1\nHost: x\n\n'; sleep 2; printf 'K\n'; sleep 2
  printf 'GET /k.txt HTTP/1.1\nHost: x\n\n'; sleep 2; printf 'K\n'; sleep 2
  printf 'GET /k.txt HTTP/1.1\nHost: x\n\n'; sleep 3; } |
    timeout 30 openssl s_client -connect 127.0.0.1:\$PORT -tls1_3 -crlf -msg >"\$O/h1" 2>&1
{ cat h2-0; sleep 2; printf 'K\n'; sleep 2; cat h2-1; sleep 2; printf 'K\n'; sleep 2
  cat h2-2; sleep 3; } |
    timeout 30 openssl s_client -connect 127.0.0.1:\$PORT -tls1_3 -alpn h2 -msg >"\$O/h2" 2>&1
curl -sk "https://127.0.0.1:\$PORT/status" >"\$O/status" 2>&1
EOS
uml_run

for p in h1 h2; do
	check "$p: three GETs answered ($(grep -c 'key update' "$O/$p") answers)" \
		[ "$(grep -c 'key update' "$O/$p")" = 3 ]
	check "$p: the client sent two KeyUpdates" [ "$(grep -c '^>>> .*KeyUpdate' "$O/$p")" = 2 ]
	check "$p: the server answered with two KeyUpdates" [ "$(grep -c '^<<< .*KeyUpdate' "$O/$p")" = 2 ]
	check_not "$p: no record under a stale key ($(grep -i 'bad record mac\|decryption' "$O/$p" | head -n 1))" \
		grep -qi 'bad record mac\|decryption failed' "$O/$p"
done
check "h2: ALPN h2" grep -q 'ALPN protocol: h2' "$O/h2"
check "status: 4 key updates followed ($(grep -i 'followed' "$O/status"))" \
	grep -q 'TLS key updates kTLS followed (new kernel key): 4$' "$O/status"
check "status: none closed" grep -q 'TLS key updates kTLS could not follow (connections closed): 0$' "$O/status"
check_not "error log: no key update close" grep -q 'key update' "$T/error.log"
uml_finish
