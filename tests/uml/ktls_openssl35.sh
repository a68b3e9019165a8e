#!/bin/bash
# shellcheck source-path=SCRIPTDIR
# ktlsd built against OpenSSL 3.5 (Debian 13's, which offloads TLS 1.3
# receive too; Debian 12's 3.0 gives the kernel the TLS 1.3 send key only).
# scripts/install-deps.sh --test unpacks it in /opt/ktlsd-openssl35 and sid's
# libc (3.5 wants glibc >= 2.38) and UML kernel (Linux 7.x) in $UML_SID.
# Unless $KTLSD runs with 3.5 already, this builds one (cmake
# -DKTLSD_OPENSSL_DIR -DKTLSD_GLIBC_DIR, in $BUILDDIR/openssl35 or the temp
# dir). Then, on the host: its libssl, libcrypto and libc are 3.5's and sid's,
# and "ktlsd -V" says TLS 1.2 tx+rx, TLS 1.3 tx+rx. Under sid's UML:
#   - curl, TLS 1.3 AES-128-GCM / AES-256-GCM / ChaCha20-Poly1305 and TLS 1.2
#     AES-128-GCM: bodies intact, $ktls (and /proc/net/tls_stat) tx+rx;
#   - requests read through kTLS RX (python3 ssl, TLS 1.3 and 1.2): three GETs
#     pipelined in one record, one GET cut over two records, a GET whose 12
#     KiB head spans records, then a POST with a 40 kB body (405 at once, as
#     nginx): every answer right, in order;
#   - TLS 1.3 KeyUpdate (openssl s_client "K", then "k") with both directions
#     in the kernel: the requests after each are answered, nothing under a
#     stale key; the status page counts the TLS 1.3 connections as tx_rx.
# Skips when the unpacked packages are absent. Exit: 0 pass, 77 skip, 1 fail.
set -u
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=uml_lib.sh
. "$HERE/uml_lib.sh"
# shellcheck source=openssl35_lib.sh
. "$HERE/openssl35_lib.sh"
o35_binary

# --- on the host: what it links and what -V says --------------------------------
"$UML_SID/ld.so" --list "$K35" >"$T/libs" 2>&1
for l in libssl.so.3:"$OSSL35" libcrypto.so.3:"$OSSL35" libc.so.6:"$UML_SID"; do
	check "links ${l%%:*} from ${l#*:} ($(grep -o "${l%%:*} => [^ ]*" "$T/libs"))" \
		grep -q "${l%%:*} => ${l#*:}/" "$T/libs"
done
check "its ELF interpreter is $UML_SID/ld.so" \
	sh -c "readelf -l '$K35' | grep -q 'interpreter: $UML_SID/ld.so'"
"$K35" -V >"$T/version" 2>&1
log "ktlsd -V: $(grep -E '^(built|kTLS with)' "$T/version" | tr '\n' ' ')"
check "-V: built with and running with OpenSSL 3.5" \
	grep -q '^built with OpenSSL 3\.5.*, running with OpenSSL 3\.5' "$T/version"
check "-V: TLS 1.2 tx+rx, TLS 1.3 tx+rx" \
	grep -q '^kTLS with OpenSSL 3\.5.*: TLS 1\.2 tx+rx, TLS 1\.3 tx+rx$' "$T/version"

# --- under UML --------------------------------------------------------------------
uml_use_sid
uml_setup curl openssl
head -c 1048576 /dev/urandom >"$T/big"
printf 'pipelined %s\n' a b c d e f g h >"$W/p.txt"
uml_write_conf "$CONF" "" "location = /status { ktlsd_status; }"
C13_128=TLS_AES_128_GCM_SHA256
C13_256=TLS_AES_256_GCM_SHA384
C13_CHA=TLS_CHACHA20_POLY1305_SHA256
C12_128=ECDHE-ECDSA-AES128-GCM-SHA256
: >"$T/cases"
for c in "1.3 $C13_128" "1.3 $C13_256" "1.3 $C13_CHA" "1.2 $C12_128"; do
	n=$((n + 1))
	read -r proto cipher <<<"$c"
	ln "$T/big" "$W/c$n"
	echo "c$n $proto $cipher /c$n" >>"$T/cases"
done

# the pipelining client: each exchange's bytes, written as separate records
# (sendall + a pause), and all that comes back until the server closes
cat >"$T/pipe.py" <<'EOF'
import socket, ssl, sys, time
proto, out = sys.argv[1], sys.argv[2]
ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
ctx.check_hostname = False
ctx.verify_mode = ssl.CERT_NONE
v = ssl.TLSVersion.TLSv1_3 if proto == "1.3" else ssl.TLSVersion.TLSv1_2
ctx.minimum_version = ctx.maximum_version = v
s = ctx.wrap_socket(socket.create_connection(("127.0.0.1", int(sys.argv[3])), timeout=20))
def get(u, extra=b""):
    return b"GET " + u + b" HTTP/1.1\r\nHost: x\r\n" + extra + b"\r\n"
pad = b"".join(b"X-Pad-%d: " % i + b"p" * 4000 + b"\r\n" for i in range(3))
body = b"b" * 40000
writes = [get(b"/p.txt?1") + get(b"/p.txt?2") + get(b"/p.txt?3"),  # one record
          get(b"/p.txt?4")[:9], get(b"/p.txt?4")[9:],                # two records
          get(b"/p.txt?5", pad),                                     # head over records
          # 405 at once, as nginx; its 40 kB body is in three records
          b"POST /p.txt?6 HTTP/1.1\r\nHost: x\r\nContent-Length: %d\r\n\r\n" % len(body) + body]
for w in writes:
    s.sendall(w)
    time.sleep(0.3)
data = b""
try:
    while True:
        d = s.recv(65536)
        if not d:
            break
        data += d
except (socket.timeout, ssl.SSLError, OSError) as e:
    data += b"\nCLIENT-ERROR " + repr(e).encode()
open(out, "wb").write(data)
EOF
cat >"$T/after-cases" <<EOS
#!/bin/bash
cd "$T"
for p in 1.3 1.2; do
	timeout 40 /usr/bin/python3 pipe.py \$p "\$O/pipe-\$p" \$PORT >"\$O/pipe-\$p.err" 2>&1
done
# (generous pauses: UML on a loaded machine is slow to answer)
{ printf 'GET /p.txt?k1 HTTP/1.1\nHost: x\n\n'; sleep 2; printf 'K\n'; sleep 2
  printf 'GET /p.txt?k2 HTTP/1.1\nHost: x\n\n'; sleep 2; printf 'k\n'; sleep 2
  printf 'GET /p.txt?k3 HTTP/1.1\nHost: x\n\n'; sleep 3; } |
    timeout 30 openssl s_client -connect 127.0.0.1:\$PORT -tls1_3 -crlf -msg >"\$O/ku" 2>&1
curl -sk "https://127.0.0.1:\$PORT/status" >"\$O/status" 2>&1
EOS
uml_run

for i in $(seq "$n"); do
	read -r name proto cipher uri <<<"$(sed -n "${i}p" "$T/cases")"
	uml_case_curl "$name" || continue
	uml_case_tls "$name" "$proto" "$cipher"
	check "$name: body intact" cmp -s "$T/big" "$O/$name.body"
	uml_check_access_log "$name" "$uri" "$proto" "$cipher" 200 1048576 || continue
	expect_eq tx+rx "$lktls" "$name: TLSv$proto $cipher: \$ktls"
	expect_eq tx+rx "$kern" "$name: TLSv$proto $cipher: /proc/net/tls_stat"
done

for p in 1.3 1.2; do
	f=$O/pipe-$p
	check "pipelined TLSv$p: client ran ($(tr '\n' ' ' <"$f.err" | cut -c1-200))" [ ! -s "$f.err" ]
	check_not "pipelined TLSv$p: no client error ($(grep -a -o 'CLIENT-ERROR.*' "$f"))" \
		grep -a -q CLIENT-ERROR "$f"
	check "pipelined TLSv$p: five 200s, then a 405, in that order" \
		[ "$(grep -a -o '^HTTP/1.1 [0-9]*' "$f" | tr '\n' ' ')" = \
			"HTTP/1.1 200 HTTP/1.1 200 HTTP/1.1 200 HTTP/1.1 200 HTTP/1.1 200 HTTP/1.1 405 " ]
	check "pipelined TLSv$p: five whole bodies" \
		[ "$(grep -a -c -x 'pipelined h' "$f")" = 5 ]
	for q in 1 2 3 4 5 6; do
		line=$(awk -v u="/p.txt?$q" '$6 == u' "$T/access.log" | grep "TLSv$p" | head -n 1)
		read -r _ _ k s _ <<<"$line"
		case $q in 6) want_s=405 ;; *) want_s=200 ;; esac
		check "pipelined TLSv$p /p.txt?$q: access log $want_s, \$ktls tx+rx ($line)" \
			[ "$k $s" = "tx+rx $want_s" ]
	done
done

check "KeyUpdate: three GETs answered ($(grep -c '^pipelined h' "$O/ku") answers)" \
	[ "$(grep -c '^pipelined h' "$O/ku")" = 3 ]
check "KeyUpdate: the client sent two" [ "$(grep -c '^>>> .*KeyUpdate' "$O/ku")" = 2 ]
check "KeyUpdate: the server answered the one requested" \
	[ "$(grep -c '^<<< .*KeyUpdate' "$O/ku")" = 1 ]
check_not "KeyUpdate: no record under a stale key ($(grep -i 'bad record mac\|decryption' "$O/ku" | head -n 1))" \
	grep -qi 'bad record mac\|decryption failed' "$O/ku"
line=$(awk '$6 == "/p.txt?k3"' "$T/access.log")
check "KeyUpdate: the GET after both: 200, \$ktls tx+rx ($line)" \
	sh -c "echo '$line' | grep -q '^TLSv1.3 [^ ]* tx+rx 200 '"

check "status: the one key update the client requested followed, none closed" \
	sh -c "grep -q 'TLS key updates kTLS followed (new kernel key): 1\$' '$O/status' &&
		grep -q 'TLS key updates kTLS could not follow (connections closed): 0\$' '$O/status'"
log "status: $(grep 'TLS connections since start' "$O/status" | tr '\n' ' ')"
check "status: TLS 1.3 connections counted as tx_rx, none tx alone" \
	grep -Eq 'TLS connections since start, TLSv1\.3:? .*tx_rx:? *[1-9].* tx:? *0( |$)' "$O/status"
uml_finish
