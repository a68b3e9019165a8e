#!/usr/bin/env bash
# The TLS directives that real nginx configurations carry: two certificates
# (RSA + ECDSA) chosen by the client's signature algorithms, an encrypted key
# with ssl_password_file, ssl_dhparam, ssl_ecdh_curve, ssl_buffer_size (record
# sizes), ssl_stapling from a file (verified against a test CA), ssl_early_data,
# ktls_zerocopy_sendfile, and client certificates (ssl_verify_client on and
# optional, $ssl_client_verify, $ssl_client_s_dn), the last compared with
# nginx on one config. The kTLS side (both certificates, zero-copy) is
# tests/uml/ktls_directives.sh.
# shellcheck source=../lib.sh disable=SC2016
. "${SRCDIR:-$(cd "$(dirname "$0")/../.." && pwd)}/tests/lib.sh"

NGINX=${NGINX:-/usr/sbin/nginx}

# ------------------------------------------------------------ a small PKI
P=$T/pki
mkdir -p "$P"
pki() {
    local cn=$1 name=$2 serial=$3 key=$4 ext=$5 ca=${6:-ca}
    openssl req -newkey "$key" -nodes -keyout "$P/$name.key" -out "$P/$name.csr" \
        -subj "/CN=$cn/O=ktlsd tests" >/dev/null 2>&1 &&
        printf '%b' "$ext" >"$P/$name.ext" &&
        openssl x509 -req -in "$P/$name.csr" -CA "$P/$ca.pem" -CAkey "$P/$ca.key" \
            -set_serial "0x$serial" -days 2 -extfile "$P/$name.ext" -out "$P/$name.pem" >/dev/null 2>&1
}
for ca in ca rogue; do
    openssl req -x509 -newkey rsa:2048 -nodes -keyout "$P/$ca.key" -out "$P/$ca.pem" -days 2 \
        -subj "/CN=ktlsd test $ca" -addext "basicConstraints=critical,CA:TRUE" \
        -addext "keyUsage=critical,keyCertSign,cRLSign" >/dev/null 2>&1 || fail "CA $ca"
done
SAN='subjectAltName=DNS:localhost,IP:127.0.0.1\n'
pki localhost rsa 1001 rsa:2048 "${SAN}authorityInfoAccess=OCSP;URI:http://127.0.0.1:9/\n" || fail "RSA cert"
printf '%b' "$SAN" >"$P/ec.ext"
openssl req -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout "$P/ec.key" -out "$P/ec.csr" \
    -subj "/CN=localhost/O=ktlsd tests" >/dev/null 2>&1 &&
    openssl x509 -req -in "$P/ec.csr" -CA "$P/ca.pem" -CAkey "$P/ca.key" -set_serial 0x1002 -days 2 \
        -extfile "$P/ec.ext" -out "$P/ec.pem" >/dev/null 2>&1 || fail "EC cert (P-256)"
pki "alice" client 2001 rsa:2048 'extendedKeyUsage=clientAuth\n' || fail "client cert"
pki "mallory" evil 3001 rsa:2048 'extendedKeyUsage=clientAuth\n' rogue || fail "rogue client cert"
# the RSA key encrypted; the password file's first line is wrong
openssl pkey -in "$P/rsa.key" -aes256 -passout pass:s3cret -out "$P/rsa-enc.key" || fail "encrypt key"
printf 'wrong\ns3cret\n' >"$P/pw.txt"
openssl genpkey -genparam -algorithm DH -pkeyopt dh_param:ffdhe2048 -out "$P/dh.pem" 2>/dev/null ||
    fail "DH params"
# an OCSP response for the RSA certificate, signed by the CA, made offline
printf 'V\t%s\t\t1001\tunknown\t/CN=localhost/O=ktlsd tests\n' "$(date -u -d '+2 days' +%y%m%d%H%M%SZ)" \
    >"$P/index.txt"
openssl ocsp -index "$P/index.txt" -rsigner "$P/ca.pem" -rkey "$P/ca.key" -CA "$P/ca.pem" \
    -issuer "$P/ca.pem" -cert "$P/rsa.pem" -respout "$P/resp.der" -ndays 1 >/dev/null 2>&1 ||
    fail "OCSP response"
chmod -R a+rX "$P"
[ "$FAIL" = 0 ] || finish

printf 'hello\n' >"$WWW/index.html"
printf '<title>please log in with your certificate\n' >"$WWW/nocert.html"
mkfile big.bin 30000
chmod -R a+rX "$WWW"

# conf NAME PORT1 PORT2 PORT3 NGINX(0|1): the TLS server (1), client
# certificates required (2) and optional (3)
conf() {
    local main="" temps=""
    if [ "$5" = 1 ]; then
        main=$'daemon off;\nuser root;'
        temps="client_body_temp_path $T/$1-b; proxy_temp_path $T/$1-p; fastcgi_temp_path $T/$1-f; uwsgi_temp_path $T/$1-u; scgi_temp_path $T/$1-s;"
    fi
    cat >"$T/$1.conf" <<EOF
$main
worker_processes 1;
error_log $T/error-$1.log info;
pid $T/$1.pid;
events { worker_connections 64; }
http {
    $temps
    default_type text/plain;
    log_format cc '\$status \$ssl_client_verify "\$ssl_client_s_dn"';
    access_log $T/access-$1.log cc;
    root $WWW;
    ssl_protocols TLSv1.2 TLSv1.3;
    server {
        listen 127.0.0.1:$2 ssl;
        ssl_certificate $P/rsa.pem;
        ssl_certificate_key $P/rsa-enc.key;
        ssl_certificate $P/ec.pem;
        ssl_certificate_key $P/ec.key;
        ssl_password_file $P/pw.txt;
        ssl_ciphers ECDHE+AESGCM:DHE+AESGCM;
        ssl_dhparam $P/dh.pem;
        ssl_ecdh_curve X25519:prime256v1;
        ssl_stapling on;
        ssl_stapling_file $P/resp.der;
        ssl_stapling_verify on;
        ssl_trusted_certificate $P/ca.pem;
        ssl_early_data off;
        ssl_buffer_size 4k;
        access_log off;
        ${ZC:-}
    }
    server {
        listen 127.0.0.1:$3 ssl;
        ssl_certificate $P/ec.pem;
        ssl_certificate_key $P/ec.key;
        ssl_client_certificate $P/ca.pem;
        ssl_verify_client on;
        ssl_verify_depth 2;
        error_page 496 /nocert.html;
    }
    server {
        listen 127.0.0.1:$4 ssl;
        ssl_certificate $P/ec.pem;
        ssl_certificate_key $P/ec.key;
        ssl_client_certificate $P/ca.pem;
        ssl_verify_client optional;
    }
}
EOF
}

K1=$(free_port) && K2=$(free_port) && K3=$(free_port) || finish
ZC='ktls_zerocopy_sendfile on;' conf ktlsd "$K1" "$K2" "$K3" 0
out=$("$KTLSD" -t -c "$T/ktlsd.conf" 2>&1)
check "ktlsd -t accepts every directive ($(printf '%s' "$out" | tail -1))" \
    grep -q 'test is successful' <<<"$out"
check "ssl_buffer_size 4k under ktls says that kTLS is off for the server" \
    grep -q 'ssl_buffer_size 4096.*userspace TLS' <<<"$out"
LISTEN_PORT=$K1 start_server "$T/ktlsd.conf" "$K1" || finish
KTLSD_PID=$SERVER_PID # the reference nginx below is a second server

s_client() { # s_client PORT ARGS...: the handshake's report
    local port=$1
    shift
    openssl s_client -connect "127.0.0.1:$port" -servername localhost "$@" </dev/null 2>&1
}

# --- two certificates, by signature algorithm; stapling for the one it is for
o=$(s_client "$K1" -sigalgs RSA-PSS+SHA256:RSA+SHA256 -status)
expect_match 'Peer signature type: RSA' "$o" "RSA signature algorithms get the RSA certificate"
expect_match 'Server public key is 2048 bit' "$o" "... a 2048-bit RSA key (decrypted with the 2nd passphrase)"
expect_match 'OCSP Response Status: successful' "$o" "ssl_stapling_file: the RSA certificate's response is stapled"
expect_match 'Cert Status: good' "$o" "... and says good"
o=$(s_client "$K1" -tls1_2 -sigalgs RSA+SHA256 -status)
expect_match 'Cert Status: good' "$o" "... under TLS 1.2 as well"
o=$(s_client "$K1" -sigalgs ECDSA+SHA256 -status)
expect_match 'Peer signature type: ECDSA' "$o" "ECDSA signature algorithms get the ECDSA certificate"
expect_match 'OCSP response: no response sent' "$o" "... which the response is not for: no staple"

# --- the stapling file is read again on reload (a response valid 2 days, not 1)
next_update() { s_client "$K1" -sigalgs RSA-PSS+SHA256 -status | sed -n 's/^ *Next Update: //p' | head -1; }
before=$(next_update)
openssl ocsp -index "$P/index.txt" -rsigner "$P/ca.pem" -rkey "$P/ca.key" -CA "$P/ca.pem" \
    -issuer "$P/ca.pem" -cert "$P/rsa.pem" -respout "$P/resp2.der" -ndays 2 >/dev/null 2>&1
mv "$P/resp2.der" "$P/resp.der"
kill -HUP "$SERVER_PID"
for _ in $(seq 1 100); do
    grep -q 'generation 2' "$T/error-ktlsd.log" 2>/dev/null && break
    sleep 0.05
done
sleep 0.3 # the old worker goes, the new one accepts
after=$(next_update)
check "reload staples the new response (Next Update $before -> $after)" \
    [ -n "$before" ] && [ -n "$after" ] && [ "$before" != "$after" ]

# --- DHE, groups
o=$(s_client "$K1" -tls1_2 -cipher DHE-RSA-AES128-GCM-SHA256)
expect_match 'Cipher is DHE-RSA-AES128-GCM-SHA256' "$o" "ssl_dhparam: TLS 1.2 DHE works"
expect_match 'Server Temp Key: DH, 2048 bits' "$o" "... with the 2048-bit group of the file"
o=$(s_client "$K1" -groups X25519)
expect_match 'Server Temp Key: X25519' "$o" "ssl_ecdh_curve: a listed group is used"
o=$(s_client "$K1" -groups secp384r1)
expect_match 'Cipher is \(NONE\)' "$o" "ssl_ecdh_curve: an unlisted group is refused"

# --- ssl_buffer_size 4k: application records of at most 4096 bytes (+ type + tag)
printf 'GET /big.bin HTTP/1.0\r\nHost: localhost\r\n\r\n' |
    openssl s_client -connect "127.0.0.1:$K1" -tls1_3 -trace -ign_eof -msgfile "$T/trace" >/dev/null 2>&1
max=$(awk '/^Received Record/ {r = 1} /^Sent Record/ {r = 0} r && /^  Length = / {len = $3}
    r && /Inner Content Type = ApplicationData/ {print len}' "$T/trace" | sort -n | tail -1)
expect_eq 4113 "${max:-none}" "ssl_buffer_size 4k: the largest record holds 4096 bytes"

# --- client certificates, against nginx on the same config
CURL=(curl -s -k --http1.1 -o "$T/body" -w '%{http_code}')
clients() { # clients NAME PORT2 PORT3: one line per case, status and page title
    local n=$1 st
    for c in none good rogue; do
        for port in "$2" "$3"; do
            local args=()
            [ $c = good ] && args=(--cert "$P/client.pem" --key "$P/client.key")
            [ $c = rogue ] && args=(--cert "$P/evil.pem" --key "$P/evil.key")
            : >"$T/body"
            st=$("${CURL[@]}" "${args[@]}" "https://127.0.0.1:$port/")
            echo "$c $([ "$port" = "$2" ] && echo on || echo optional) $st $(grep -o '<title>[^<]*' "$T/body" | head -1)" |
                sed 's/ *$//'
        done
    done >"$T/cases-$n"
}
clients ktlsd "$K2" "$K3"
expect_eq "none on 400 <title>please log in with your certificate" "$(sed -n 1p "$T/cases-ktlsd")" \
    "ssl_verify_client on, no certificate: 400 with error_page 496's page"
expect_eq "none optional 200" "$(sed -n 2p "$T/cases-ktlsd")" "ssl_verify_client optional, no certificate: 200"
expect_eq "good on 200" "$(sed -n 3p "$T/cases-ktlsd")" "on, a certificate from the CA: 200"
expect_eq "good optional 200" "$(sed -n 4p "$T/cases-ktlsd")" "optional, a certificate from the CA: 200"
expect_eq "rogue on 400 <title>400 The SSL certificate error" "$(sed -n 5p "$T/cases-ktlsd")" \
    "on, a certificate from another CA: 400 (nginx's 495 page)"
expect_eq "rogue optional 400 <title>400 The SSL certificate error" "$(sed -n 6p "$T/cases-ktlsd")" \
    "optional, a certificate from another CA: 400 (495)"
# a session with a verified certificate resumes only where it was verified
openssl s_client -connect "127.0.0.1:$K2" -tls1_2 -cert "$P/client.pem" -key "$P/client.key" \
    -sess_out "$T/sess" </dev/null >/dev/null 2>&1
o=$(s_client "$K2" -tls1_2 -sess_in "$T/sess")
expect_match '^Reused' "$o" "a client-certificate session resumes on its server"
o=$(s_client "$K3" -tls1_2 -sess_in "$T/sess")
expect_match '^New' "$o" "... but not on a server that verifies otherwise (its own session id context)"
sleep 1.2 # the access log is written out each second
check "access log: \$ssl_client_verify and \$ssl_client_s_dn (RFC 2253)" \
    grep -q '^200 SUCCESS "O=ktlsd tests,CN=alice"$' "$T/access-ktlsd.log"
check "access log: NONE without a certificate" grep -q '^400 NONE "-"$' "$T/access-ktlsd.log"
check "access log: FAILED:reason" \
    grep -q '^400 FAILED:unable to verify the first certificate "O=ktlsd tests,CN=mallory"$' \
    "$T/access-ktlsd.log"
check "error log: why, as nginx says it" grep -q 'client sent no required SSL certificate' \
    "$T/error-ktlsd.log"

if [ -x "$NGINX" ] && [ "$(id -u)" = 0 ]; then
    N1=$(free_port) && N2=$(free_port) && N3=$(free_port) || finish
    conf nginx "$N1" "$N2" "$N3" 1
    if KTLSD=$NGINX IS_NGINX=1 start_server "$T/nginx.conf" "$N2"; then
        clients nginx "$N2" "$N3"
        sleep 1.2
        check "client certificate cases: the same statuses and pages as nginx ($(tr '\n' '|' <"$T/cases-nginx"))" \
            cmp -s "$T/cases-ktlsd" "$T/cases-nginx"
        sort "$T/access-ktlsd.log" >"$T/a-k"
        sort "$T/access-nginx.log" >"$T/a-n"
        check "access log lines equal nginx's" cmp -s "$T/a-k" "$T/a-n"
        o=$(s_client "$N1" -sigalgs ECDSA+SHA256 -status)
        expect_match 'Peer signature type: ECDSA' "$o" "nginx too picks ECDSA for ECDSA signature algorithms"
    fi
else
    log "no nginx at $NGINX (or not root): not compared"
fi

# --- what is refused, and why, as FILE:LINE
t_conf() { # t_conf LINES...: ktlsd -t on a server with these lines; prints the output
    cat >"$T/t.conf" <<EOF
events {}
http {
    access_log off;
    root $WWW;
    server {
        listen 127.0.0.1:$K1 ssl;
        ssl_certificate $P/ec.pem;
        ssl_certificate_key $P/ec.key;
        $*
    }
}
EOF
    "$KTLSD" -t -c "$T/t.conf" 2>&1
}
o=$(t_conf 'ssl_early_data on;')
expect_match "t.conf:9: \"ssl_early_data on\" is not supported by ktlsd: TLS 1.3 0-RTT" "$o" \
    "ssl_early_data on: refused at FILE:LINE, saying 0-RTT is refused"
o=$(t_conf 'ssl_stapling on;')
expect_match '"ssl_stapling" ignored, no OCSP responder URL in the certificate' "$o" \
    "ssl_stapling without a URL in the certificate: nginx's warning"
expect_match 'test is successful' "$o" "... and the configuration is fine"
o=$(t_conf "ssl_certificate $P/rsa.pem; ssl_certificate_key $P/rsa.key; ssl_stapling on;")
expect_match 'needs "ssl_stapling_file": ktlsd does not fetch OCSP responses' "$o" \
    "ssl_stapling with a responder URL and no file: an error that says what to do"
o=$(t_conf "ssl_certificate $P/rsa.pem; ssl_certificate_key $P/rsa-enc.key;")
expect_match 'cannot load certificate key .*rsa-enc.key' "$o" "an encrypted key without ssl_password_file: refused, no prompt"
printf 'wrong\n' >"$P/pw-bad.txt"
o=$(t_conf "ssl_certificate $P/rsa.pem; ssl_certificate_key $P/rsa-enc.key; ssl_password_file $P/pw-bad.txt;")
expect_match 'with any passphrase of ssl_password_file' "$o" "no passphrase fits: refused"
o=$(t_conf "ssl_certificate $P/rsa.pem;")
expect_match 't.conf:6: no "ssl_certificate_key" is defined for ".*rsa.pem"' "$o" \
    "a certificate without its key: refused"
o=$(t_conf "ssl_verify_client on;")
expect_match 't.conf:6: no ssl_client_certificate for ssl_verify_client' "$o" \
    "ssl_verify_client on without a CA file: nginx's error"
o=$(t_conf "ssl_ecdh_curve nosuchcurve;")
expect_match 'SSL_CTX_set1_groups_list\("nosuchcurve"\) failed' "$o" "an unknown curve: refused"
o=$(t_conf "ssl_dhparam $P/ec.pem;")
expect_match 'cannot read DH parameters' "$o" "a file without DH parameters: refused"
o=$(t_conf "ssl_stapling on; ssl_stapling_file $P/resp.der; ssl_stapling_verify on; ssl_trusted_certificate $P/ca.pem;")
expect_match 'is for none of the server.s certificates' "$o" \
    "ssl_stapling_verify: a response for another certificate is refused"
o=$(t_conf "ssl_stapling on; ssl_stapling_file $P/resp.der;"; true)
expect_match 'test is successful' "$o" "ssl_stapling_file without verify: accepted (nginx does not check it)"
o=$(t_conf "ssl_buffer_size 100;")
expect_match 't.conf:9: invalid value "100" in "ssl_buffer_size"' "$o" "ssl_buffer_size below 512: refused"

stop_server "$KTLSD_PID"
ERRLOG_ALLOW='SSL_do_handshake|no suitable key share' finish
