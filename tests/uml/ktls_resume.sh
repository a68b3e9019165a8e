#!/bin/bash
# shellcheck source-path=SCRIPTDIR
# Resumed handshakes land on kTLS like full ones, under User-Mode Linux (a
# 6.1 kernel with tls.ko), 2 workers: openssl s_client saves a session and
# offers it on 4 new connections, TLS 1.2 and 1.3, once through the shared
# session cache (tickets off: session IDs, stateful TLS 1.3 tickets) and
# once through tickets (the master's keys). The access log's
# "$ssl_protocol $ssl_session_reused $ktls" shows each resumed request "r"
# on kTLS (TLS 1.2 tx+rx; TLS 1.3 as "ktlsd -V" says for the linked
# OpenSSL: tx, or tx+rx from OpenSSL 3.5), and bodies arrive intact.
# See docs/ktls-uml.md. Env as tests/uml/ktls.sh. Exit: 0 pass, 77 skip, 1 fail.
set -u
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=uml_lib.sh
. "$HERE/uml_lib.sh"
uml_setup openssl
[ "$MODE" = ktlsd ] || skip "ktlsd-specific (\$ktls, 2 workers sharing sessions)"
PORT2=8444
head -c 4096 /dev/urandom >"$W/4k.bin"
uml_write_conf "$CONF" "log_format r '\$ssl_protocol \$ssl_session_reused \$ktls \$status \$body_bytes_sent';
    server {
        listen 127.0.0.1:$PORT2 ssl;
        ssl_certificate $T/cert.pem;
        ssl_certificate_key $T/key.pem;
        root $W;
        ssl_session_tickets on;
        ssl_session_cache off;
        access_log $T/resume.log r;
    }" "ssl_session_cache shared:SSL:1m; ssl_session_tickets off; access_log $T/resume.log r;"
sed -i 's/^worker_processes 1;/worker_processes 2;/' "$CONF"
: >"$T/cases"
cat >"$T/after-cases" <<EOS
#!/bin/bash
cd "$T"
"$SERVER" -V >"\$O/V" 2>&1
for port in \$PORT $PORT2; do
    for v in 1_2 1_3; do
        printf 'GET /4k.bin HTTP/1.0\r\n\r\n' |
            timeout 10 openssl s_client -ign_eof -tls\$v -connect 127.0.0.1:\$port -sess_out "$T/s" >/dev/null 2>&1
        for i in 1 2 3 4; do
            printf 'GET /4k.bin HTTP/1.0\r\n\r\n' |
                timeout 10 openssl s_client -ign_eof -tls\$v -connect 127.0.0.1:\$port -sess_in "$T/s" 2>&1 |
                grep -c '^Reused' >>"\$O/reused-\$port-\$v"
        done
    done
done
EOS
uml_run

tx13=$(sed -n 's/^kTLS with .*TLS 1\.3 \(tx+rx\|tx\)$/\1/p' "$O/V")
check "ktlsd -V in the VM: kernel TLS ULP available" grep -q 'kernel TLS ULP: available' "$O/V"
check "ktlsd -V in the VM names TLS 1.3's directions (${tx13:-none})" [ -n "$tx13" ]
for port in "$PORT" "$PORT2"; do
	how="shared cache"
	[ "$port" = "$PORT2" ] && how="tickets"
	for v in 1_2 1_3; do
		r=$(awk '{ s += $1 } END { print s + 0 }' "$O/reused-$port-$v" 2>/dev/null)
		check "$how, TLS ${v/_/.}: 4 of 4 reconnections resumed (got ${r:-0})" [ "${r:-0}" = 4 ]
	done
done
# 2 ports x (1 full + 4 resumed) per protocol version, each a 200 with 4096 bytes
check "TLS 1.2 resumed on kTLS tx+rx: 8 requests ($(grep -c '^TLSv1.2 r ' "$T/resume.log"))" \
	[ "$(grep -c '^TLSv1.2 r tx+rx 200 4096$' "$T/resume.log")" = 8 ]
check "TLS 1.2 full handshakes on kTLS tx+rx: 2" \
	[ "$(grep -c '^TLSv1.2 \. tx+rx 200 4096$' "$T/resume.log")" = 2 ]
check "TLS 1.3 resumed on kTLS ${tx13:-?}: 8 requests ($(grep -c '^TLSv1.3 r ' "$T/resume.log"))" \
	[ "$(grep -c "^TLSv1.3 r ${tx13:-x} 200 4096\$" "$T/resume.log")" = 8 ]
check "TLS 1.3 full handshakes on kTLS ${tx13:-?}: 2" \
	[ "$(grep -c "^TLSv1.3 \\. ${tx13:-x} 200 4096\$" "$T/resume.log")" = 2 ]
uml_finish
