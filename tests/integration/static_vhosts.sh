#!/usr/bin/env bash
# Virtual hosts: several server blocks on one port chosen by Host (exact,
# case-insensitive, port and trailing dot ignored; *.example.com wildcards,
# exact names before wildcards; default_server for no match / no Host;
# absolute-form targets choose by their host), and SNI choosing the
# certificate for the same names (openssl s_client -servername, and curl
# verifying each certificate against its own CA file), TLS 1.2 and 1.3.
# shellcheck source=../lib.sh disable=SC2119,SC2016,SC2034
. "${SRCDIR:-$(cd "$(dirname "$0")/../.." && pwd)}/tests/lib.sh"

need timeout
for v in a b wild exact dflt; do
    mkdir -p "$T/v-$v"
    printf '%s\n' "$v" >"$T/v-$v/who.txt"
done
printf 'localhost\n' >"$WWW/who.txt"
chmod -R a+rX "$T"/v-*

gen_cert "$CERT" "$KEY" localhost
gen_cert "$T/a.pem" "$T/a.key" a.test
gen_cert "$T/b.pem" "$T/b.key" b.test
gen_cert "$T/wild.pem" "$T/wild.key" '*.wild.test'
gen_cert "$T/exact.pem" "$T/exact.key" exact.wild.test
gen_cert "$T/dflt.pem" "$T/dflt.key" default.test

PORT=$(free_port) || finish
srv() { # NAME SERVER_NAMES [listen flags]
    cat <<EOF

    server {
        listen 127.0.0.1:$PORT ssl ${3:-};
        server_name $2;
        root $T/v-$1;
        ssl_certificate $T/$1.pem;
        ssl_certificate_key $T/$1.key;
    }
EOF
}
HTTP_EXTRA="$(srv a a.test)
$(srv wild '*.wild.test')
$(srv exact exact.wild.test)
$(srv dflt default.test default_server)
$(srv b 'www.b.test b.test')" gen_config
start_server || finish

# who HOST: the vhost that answered (the who.txt content) for Host: HOST
who() {
    curl "${CURL_OPTS[@]}" -H "Host: $1" "$(url /who.txt)"
}

# ---------------------------------------------------------------- Host
expect_eq a "$(who a.test)" "Host a.test -> a"
expect_eq a "$(who A.Test)" "Host A.Test -> a (case-insensitive)"
expect_eq a "$(who a.test:443)" "Host a.test:443 -> a (port ignored)"
expect_eq a "$(who a.test.)" "Host a.test. -> a (trailing dot)"
expect_eq b "$(who b.test)" "Host b.test -> b (second name)"
expect_eq b "$(who www.b.test)" "Host www.b.test -> b (first name)"
expect_eq localhost "$(who localhost)" "Host localhost -> the generated server"
expect_eq wild "$(who x.wild.test)" "Host x.wild.test -> *.wild.test"
expect_eq wild "$(who y.x.wild.test)" "Host y.x.wild.test -> *.wild.test"
expect_eq exact "$(who exact.wild.test)" "Host exact.wild.test -> the exact name beats the wildcard"
expect_eq dflt "$(who wild.test)" "Host wild.test: *.wild.test does not match it -> default_server"
expect_eq dflt "$(who unknown.test)" "unknown Host -> default_server (not the first block)"
expect_eq dflt "$(who 127.0.0.1)" "Host 127.0.0.1 -> default_server"
expect_eq dflt "$(curl "${CURL_OPTS[@]}" "$(url /who.txt)")" "curl's own Host (127.0.0.1:PORT) -> default_server"

d_md5=$(md5 "$T/v-dflt/who.txt")
out=$(tlsreq --sni - "$PORT" 'send:GET /who.txt HTTP/1.0\r\n\r\n' resp)
expect_eq "STATUS 200 5 $d_md5" "$(grep STATUS <<<"$out")" "HTTP/1.0 without Host, no SNI -> default_server"
out=$(tlsreq --sni localhost "$PORT" 'send:GET /who.txt HTTP/1.0\r\n\r\n' resp)
expect_eq "STATUS 200 5 $d_md5" "$(grep STATUS <<<"$out")" "HTTP/1.0 without Host, SNI localhost -> default_server (SNI picks only the certificate)"
out=$(printf 'GET https://b.test/who.txt HTTP/1.1\r\nHost: a.test\r\nConnection: close\r\n\r\n' | raw --tls "$PORT" 2>/dev/null | tail -n1)
expect_eq b "$out" "absolute-form https://b.test/ with Host a.test -> b"
out=$(printf 'GET http://x.wild.test:8080/who.txt HTTP/1.1\r\nHost: a.test\r\nConnection: close\r\n\r\n' | raw --tls "$PORT" 2>/dev/null | tail -n1)
expect_eq wild "$out" "absolute-form http://x.wild.test:8080/ -> *.wild.test"
out=$(printf 'GET /who.txt HTTP/1.1\r\nHost: a.test\r\n\r\nGET /who.txt HTTP/1.1\r\nHost: b.test\r\nConnection: close\r\n\r\n' |
    raw --tls --split "$PORT" 2>/dev/null | awk '{print $2}' | tr '\n' ' ')
expect_eq "2 2 " "$out" "two Hosts on one keep-alive connection: both answered"
a_md5=$(md5 "$T/v-a/who.txt") b_md5=$(md5 "$T/v-b/who.txt")
out=$(printf 'GET /who.txt HTTP/1.1\r\nHost: a.test\r\n\r\nGET /who.txt HTTP/1.1\r\nHost: b.test\r\nConnection: close\r\n\r\n' |
    raw --tls --split "$PORT" 2>/dev/null | awk '{print $3}' | tr '\n' ' ')
expect_eq "$a_md5 $b_md5 " "$out" "two Hosts on one keep-alive connection: each from its vhost"

# ---------------------------------------------------------------- SNI
# subject_cn SNI|- TLSVER: the CN of the certificate the server presents
subject_cn() {
    local sni=(-servername "$1")
    [ "$1" = - ] && sni=(-noservername)
    timeout 5 openssl s_client -connect "127.0.0.1:$PORT" "${sni[@]}" "-tls${2/./_}" </dev/null 2>/dev/null |
        openssl x509 -noout -subject 2>/dev/null | sed -E 's/^subject= *//; s/^CN *= *//'
}
for v in 1.2 1.3; do
    expect_eq a.test "$(subject_cn a.test $v)" "TLS $v SNI a.test -> a.test's certificate"
    expect_eq b.test "$(subject_cn www.b.test $v)" "TLS $v SNI www.b.test -> b.test's certificate"
    expect_eq '*.wild.test' "$(subject_cn x.wild.test $v)" "TLS $v SNI x.wild.test -> the wildcard certificate"
    expect_eq exact.wild.test "$(subject_cn exact.wild.test $v)" "TLS $v SNI exact.wild.test -> exact before wildcard"
    expect_eq localhost "$(subject_cn localhost $v)" "TLS $v SNI localhost -> localhost's certificate"
    expect_eq default.test "$(subject_cn unknown.test $v)" "TLS $v unknown SNI -> default_server's certificate"
    expect_eq default.test "$(subject_cn - $v)" "TLS $v no SNI -> default_server's certificate"
done
expect_eq a.test "$(subject_cn A.TEST 1.3)" "SNI A.TEST (case-insensitive) -> a.test's certificate"

# real clients: verification against each CA file succeeds only with the right certificate
for spec in a.test:a b.test:b x.wild.test:wild exact.wild.test:exact localhost:cert; do
    name=${spec%%:*} c=${spec#*:}
    body=$(curl -s --max-time 5 --http1.1 --cacert "$T/$c.pem" --resolve "$name:$PORT:127.0.0.1" \
        "https://$name:$PORT/who.txt")
    expect_eq "${c/cert/localhost}" "$body" "curl verifies $name against its own certificate and gets its vhost"
done

# SNI and Host disagree: nginx serves the Host's vhost; 421 is also acceptable
st=$(curl -s --max-time 5 --http1.1 --cacert "$T/a.pem" --resolve "a.test:$PORT:127.0.0.1" \
    -H "Host: b.test" -o "$T/body" -w '%{http_code}' "https://a.test:$PORT/who.txt")
case "$st:$(cat "$T/body")" in
200:b | 421:*) ok "SNI a.test + Host b.test -> $st" ;;
*) fail "SNI a.test + Host b.test: expected 200 'b' or 421, got $st '$(head -c 60 "$T/body")'" ;;
esac

finish
