#!/usr/bin/env bash
# Configuration: -t on good and bad configs (FILE:LINE: messages), include
# with globs, start-up with a bad config, -v / -V.
# shellcheck source=../lib.sh disable=SC2119,SC2016,SC2034
. "${SRCDIR:-$(cd "$(dirname "$0")/../.." && pwd)}/tests/lib.sh"

NAME=$(basename "$KTLSD")
printf 'plain text\n' >"$WWW/a.txt"
GOOD_CERT=$CERT GOOD_KEY=$KEY

# ctest CONF: run "-t", output in $T/t.out, status in TST
ctest() {
    # shellcheck disable=SC2046
    timeout 10 $(server_cmd "$1") -t >"$T/t.out" 2>&1
    TST=$?
}

# bad CASE_NAME CONF_FILE PATTERN_FILE PATTERN_LINE [MSG_ERE]
# -t must fail (exit 1) with "NAME: [emerg] FILE:LINE: ..." and "test failed"
bad() {
    local what=$1 f=$2 pf=$3 line=$4 msg=${5:-}
    ctest "$f"
    expect_eq 1 "$TST" "$what: -t exits 1"
    local em
    em=$(grep -F '[emerg]' "$T/t.out" | head -n1)
    if [ "$IS_NGINX" = 1 ]; then # nginx: "... in FILE:LINE"
        expect_match "in $pf:$line\$" "$em" "$what: reports $(basename "$pf"):$line"
    else
        expect_match "^$NAME: \[emerg\] $pf:$line: " "$em" "$what: reports $(basename "$pf"):$line"
    fi
    [ -n "$msg" ] && expect_match "$msg" "$em" "$what: message /$msg/"
    expect_file_match "configuration file $f test failed" "$T/t.out" "$what: 'test failed' line"
}

# line_of ERE FILE: number of the first line matching
line_of() { grep -nE -- "$1" "$2" | head -n1 | cut -d: -f1; }

# ---------------------------------------------------------------- good
HTTP_EXTRA="# a comment line
    log_format q '\$remote_addr \"\$request\"' \"\$status\";   # trailing comment" \
    SERVER_EXTRA="index \"index.html\" 'default.htm';" PLAIN=1 gen_config
ctest "$CONF"
expect_eq 0 "$TST" "-t on a good config exits 0"
expect_file_match "^$NAME: the configuration file $CONF syntax is ok$" "$T/t.out" "-t: syntax is ok"
expect_file_match "^$NAME: configuration file $CONF test is successful$" "$T/t.out" "-t: test is successful"

# ---------------------------------------------------------------- bad configs
ERROR_LOG=$T/bad-config.log # keep error*.log free of the expected [emerg]s
B=$T/bad.conf

SERVER_EXTRA="bogus_directive on;" gen_config "$B"
bad "unknown directive" "$B" "$B" "$(line_of bogus_directive "$B")" 'bogus_directive'

SERVER_EXTRA="root;" gen_config "$B"
bad "root without argument" "$B" "$B" "$(line_of '^ *root;' "$B")" 'argument'

HTTP_EXTRA="sendfile on off;" gen_config "$B"
bad "sendfile with 2 arguments" "$B" "$B" "$(line_of 'sendfile on off' "$B")" 'argument'

HTTP_EXTRA="keepalive_timeout;" gen_config "$B"
bad "keepalive_timeout without argument" "$B" "$B" "$(line_of 'keepalive_timeout;' "$B")"

WORKERS=abc gen_config "$B"
bad "worker_processes abc" "$B" "$B" "$(line_of 'worker_processes abc' "$B")"

WORKER_CONNECTIONS=-5 gen_config "$B"
bad "worker_connections -5" "$B" "$B" "$(line_of 'worker_connections -5' "$B")"

SERVER_EXTRA="listen 127.0.0.1:99999;" gen_config "$B"
bad "listen 99999" "$B" "$B" "$(line_of 'listen 127.0.0.1:99999' "$B")" '99999'

HTTP_EXTRA="sendfile maybe;" gen_config "$B"
bad "sendfile maybe" "$B" "$B" "$(line_of 'sendfile maybe' "$B")"

HTTP_EXTRA="keepalive_timeout 5parsecs;" gen_config "$B"
bad "keepalive_timeout 5parsecs" "$B" "$B" "$(line_of 'keepalive_timeout 5parsecs' "$B")"

SERVER_EXTRA="ssl_protocols TLSv1.2 TLSv9;" gen_config "$B"
bad "ssl_protocols TLSv9" "$B" "$B" "$(line_of 'ssl_protocols TLSv1.2 TLSv9' "$B")"

HTTP_EXTRA="access_log $T/x.log nosuchformat;" gen_config "$B"
bad "access_log with undefined format" "$B" "$B" "$(line_of nosuchformat "$B")" 'nosuchformat'

# unknown variables: nginx's words; ktlsd adds FILE:LINE (nginx finds them
# after parsing and has no line to give)
for v in 'location = /v { return 302 /x?$nosuchvar; }' \
    'location /v { try_files $uri /$nosuchvar =404; }' \
    'add_header X-V "a $nosuchvar";'; do
    SERVER_EXTRA=$v gen_config "$B"
    if [ "$IS_NGINX" = 1 ]; then
        ctest "$B"
        expect_eq 1 "$TST" "unknown variable ($v): -t exits 1"
        expect_file_match 'unknown "nosuchvar" variable' "$T/t.out" "unknown variable ($v): message"
    else
        bad "unknown variable ($v)" "$B" "$B" "$(line_of nosuchvar "$B")" 'unknown "nosuchvar" variable$'
    fi
done
SERVER_EXTRA='index /index.html;' gen_config "$B"
[ "$IS_NGINX" = 1 ] || bad "absolute index (nginx: an internal redirect)" "$B" "$B" "$(line_of 'index /index' "$B")" 'absolute index'
SERVER_EXTRA='index $host.html;' gen_config "$B"
[ "$IS_NGINX" = 1 ] || bad "variables in index (not honoured)" "$B" "$B" "$(line_of 'index .host' "$B")" 'not supported'

gen_config "$B"
sed -i 's/^\( *server_name localhost;\)$/\1 }/' "$B" # one closing brace too many
ctest "$B"
expect_eq 1 "$TST" "unbalanced braces: -t exits 1"
expect_file_match "\[emerg\].*$B:[0-9]+" "$T/t.out" "unbalanced braces: FILE:LINE reported"

gen_config "$B"
sed -i 's/^\(    sendfile on\);$/\1/' "$B" # missing semicolon
ctest "$B"
expect_eq 1 "$TST" "missing semicolon: -t exits 1"
expect_file_match "\[emerg\].*$B:[0-9]+" "$T/t.out" "missing semicolon: FILE:LINE reported"

HTTP_EXTRA="worker_connections 10;" gen_config "$B"
bad "directive in the wrong context" "$B" "$B" "$(line_of 'worker_connections 10;' "$B")"

# certificates: [emerg] with the file name; FILE:LINE of the directive for ktlsd
certcase() {
    local what=$1 pattern=$2
    ctest "$B"
    expect_eq 1 "$TST" "$what: -t exits 1"
    local em
    em=$(grep -F '[emerg]' "$T/t.out" | head -n1)
    expect_match "$pattern" "$em" "$what: message names the problem"
    if [ "$IS_NGINX" = 0 ]; then
        expect_match "^$NAME: \[emerg\] $B:[0-9]+: " "$em" "$what: FILE:LINE: prefix"
    fi
    expect_file_match "configuration file $B test failed" "$T/t.out" "$what: 'test failed' line"
}
CERT=$T/nonexistent.pem gen_config "$B"
certcase "missing certificate file" 'nonexistent\.pem'
KEY=$T/nonexistent-key.pem gen_config "$B"
certcase "missing key file" 'nonexistent-key\.pem'
gen_cert "$T/other.pem" "$T/other-key.pem"
KEY=$T/other-key.pem gen_config "$B"
certcase "certificate/key mismatch" 'mismatch|match|key'
printf 'not a certificate\n' >"$T/garbage.pem"
CERT=$T/garbage.pem gen_config "$B"
certcase "garbage certificate file" 'garbage\.pem'

# ---------------------------------------------------------------- include
mkdir -p "$T/conf.d"
P2=$(free_port)
P3=$(free_port)
for p in $P2 $P3; do
    cat >"$T/conf.d/s$p.conf" <<EOF
server {
    listen 127.0.0.1:$p ssl;
    root $WWW;
    ssl_certificate $GOOD_CERT;
    ssl_certificate_key $GOOD_KEY;
}
EOF
done
printf 'bogus;\n' >"$T/conf.d/ignored.txt"
ERROR_LOG=$T/error.log
new_ports
HTTP_EXTRA="include $T/nothing-here/*.conf;" gen_config "$T/empty-glob.conf"
ctest "$T/empty-glob.conf"
expect_eq 0 "$TST" "-t with an include glob matching nothing exits 0 (as nginx)"
HTTP_EXTRA="include $T/conf.d/*.conf;" gen_config
ctest "$CONF"
expect_eq 0 "$TST" "-t with include globs exits 0"
# -T: test, then print the main file and every included file (nginx -T)
# shellcheck disable=SC2046
timeout 10 $(server_cmd "$CONF") -T >"$T/T.out" 2>"$T/T.err"
expect_eq 0 "$?" "-T with include globs exits 0"
expect_file_match "configuration file $CONF test is successful$" "$T/T.err" "-T: test is successful on stderr"
expect_eq "# configuration file $CONF:" "$(head -n1 "$T/T.out")" "-T: the main file comes first"
check "-T: the main file's text follows" grep -qF "include $T/conf.d/*.conf;" "$T/T.out"
for p in $P2 $P3; do
    check "-T: names the included s$p.conf" grep -qxF "# configuration file $T/conf.d/s$p.conf:" "$T/T.out"
    check "-T: prints the included s$p.conf" grep -qF "listen 127.0.0.1:$p ssl;" "$T/T.out"
done
check_not "-T: a file the glob does not match is not printed" grep -q 'ignored\.txt' "$T/T.out"
expect_eq 3 "$(grep -c "^# configuration file $T/" "$T/T.out")" "-T: three files, each once"
start_server || finish
for p in $PORT $P2 $P3; do
    expect_eq 200 "$(curl "${CURL_OPTS[@]}" -o /dev/null -w '%{http_code}' "https://127.0.0.1:$p/a.txt")" \
        "server on port $p (main or included) serves"
done
stop_server
expect_eq 0 "$?" "clean stop"

ERROR_LOG=$T/bad-config.log
printf 'server {\n    listen 127.0.0.1:%s;\n    bogus_in_include 1;\n}\n' "$(free_port)" >"$T/conf.d/zz-bad.conf"
HTTP_EXTRA="include $T/conf.d/*.conf;" gen_config "$B"
bad "error inside an included file" "$B" "$T/conf.d/zz-bad.conf" 3 'bogus_in_include'
rm -f "$T/conf.d/zz-bad.conf"
HTTP_EXTRA="include $T/no-such-file.conf;" gen_config "$B"
ctest "$B"
expect_eq 1 "$TST" "include of a missing (non-glob) file: -t exits 1"
expect_file_match "\[emerg\].*no-such-file\.conf" "$T/t.out" "include of a missing file: names the file"

# ---------------------------------------------------------------- start-up with a bad config
new_ports
WORKERS=abc gen_config "$B"
l=$(line_of 'worker_processes abc' "$B")
# shellcheck disable=SC2046
timeout 10 $(server_cmd "$B") >"$T/start.out" 2>&1
st=$?
expect_eq 1 "$st" "start-up with a bad config exits 1"
if [ "$IS_NGINX" = 1 ]; then
    expect_file_match "\[emerg\].* in $B:$l$" "$T/start.out" "start-up with a bad config: message"
else
    expect_file_match "^$NAME: \[emerg\] $B:$l: " "$T/start.out" "start-up with a bad config: FILE:LINE: message"
fi
check_not "nothing listens on port $PORT" wait_port "$PORT" 0

timeout 10 "$KTLSD" -c "$T/does-not-exist.conf" -t >"$T/t.out" 2>&1
expect_eq 1 "$?" "-t on a missing config file exits 1"
expect_file_match "does-not-exist\.conf" "$T/t.out" "missing config file is named"

# ---------------------------------------------------------------- -v / -V
if [ "$IS_NGINX" = 0 ]; then
    out=$(timeout 5 "$KTLSD" -v 2>&1)
    expect_eq 0 "$?" "-v exits 0"
    expect_match 'ktlsd' "$out" "-v prints the name/version"
    out=$(timeout 5 "$KTLSD" -V 2>&1)
    expect_eq 0 "$?" "-V exits 0"
    expect_match 'OpenSSL [0-9]+\.[0-9]+' "$out" "-V prints the OpenSSL version"
    expect_match 'kTLS in OpenSSL: (yes|no)' "$out" "-V prints 'kTLS in OpenSSL'"
    expect_match 'kernel TLS ULP: (available|unavailable)' "$out" "-V prints 'kernel TLS ULP'"
    if echo "$out" | grep -q 'kTLS in OpenSSL: yes'; then
        expect_match 'kTLS with OpenSSL .*: TLS 1\.2 tx\+rx, TLS 1\.3 tx(\+rx)?$' "$out" \
            "-V prints the directions per protocol version"
    fi
    if ! grep -qw tls /proc/sys/net/ipv4/tcp_available_ulp 2>/dev/null &&
        [ ! -e "/lib/modules/$(uname -r)/kernel/net/tls" ]; then
        expect_match 'kernel TLS ULP: unavailable' "$out" "-V: ULP unavailable on this kernel"
        # the reason: "(...)" on the same line, or on the following lines
        why=$(echo "$out" | sed -n 's/^.*kernel TLS ULP: unavailable *//p')
        [ -z "$why" ] && why=$(echo "$out" | grep -A2 'kernel TLS ULP: unavailable' | tail -n +2)
        expect_match '(ULP|tls|TLS|kernel|module)' "$why" "-V: says why the ULP is unavailable"
    fi
    out=$(timeout 5 "$KTLSD" -h 2>&1)
    expect_match '\-c' "$out" "-h prints usage"
    timeout 5 "$KTLSD" -Z >/dev/null 2>&1
    expect_ne 0 "$?" "unknown option fails"
fi

finish
