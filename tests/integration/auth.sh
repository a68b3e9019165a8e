#!/usr/bin/env bash
# auth_basic, auth_basic_user_file and satisfy, with allow/deny: one config
# served by nginx (the reference) and ktlsd. htpasswd writes a user file
# with each hash form it knows (bcrypt $2y$, SHA-512 $6$, SHA-256 $5$,
# Apache MD5 $apr1$, {SHA}, DES crypt, plain); every request goes to both,
# and the status and WWW-Authenticate header must be the same, and what
# this script expects.
# shellcheck source=../lib.sh disable=SC2016
. "${SRCDIR:-$(cd "$(dirname "$0")/../.." && pwd)}/tests/lib.sh"
need htpasswd

mkdir -p "$WWW"/{all,off,anyallow,anydeny,alldeny,allallow,nofile,realm,ep,ep2}
printf 'please log in\n' >"$WWW/e401.html"
printf 'page\n' >"$WWW/ep2/page.html"
for d in all off anyallow anydeny alldeny allallow nofile realm ep ep2; do printf '%s\n' "$d" >"$WWW/$d/f.txt"; done
printf 'top\n' >"$WWW/top.txt"

U=$T/users
: >"$U"
htpasswd -bB "$U" bcrypt pw-bcrypt 2>/dev/null
htpasswd -b5 "$U" sha512 pw-sha512 2>/dev/null
htpasswd -b2 "$U" sha256 pw-sha256 2>/dev/null
htpasswd -bm "$U" apr1 pw-apr1 2>/dev/null
htpasswd -bs "$U" sha1 pw-sha1 2>/dev/null
htpasswd -bd "$U" des pwdes 2>/dev/null
printf 'plain:{PLAIN}pw-plain\n# a comment\nwithcomment:%s:a comment\n' \
    "$(htpasswd -nbm x pw-comment | head -n1 | cut -d: -f2)" >>"$U"
expect_eq "$(grep -c '^[a-z0-9]*:' "$U")" 8 "htpasswd wrote each form"
if grep -q '^bcrypt:\$2y\$' "$U" && grep -q '^sha512:\$6\$' "$U" && grep -q '^apr1:\$apr1\$' "$U" &&
    grep -q '^sha1:{SHA}' "$U"; then
    ok "user file has \$2y\$, \$6\$, \$apr1\$, {SHA}"
else
    fail "user file lacks a hash form: $(cat "$U")"
fi

# pair_http NAME PORT: the http{} body both servers run
pair_http() {
    local n=$1 p=$2
    cat <<CONF
    access_log $T/$n/access.log;
    server {
        listen 127.0.0.1:$p ssl;
        server_name localhost;
        ssl_certificate $T/cert.pem;
        ssl_certificate_key $T/key.pem;
        root $WWW;
        auth_basic "Server Realm";
        auth_basic_user_file $U;
        location /all/ { auth_basic "Restricted Area"; }
        location /off/ { auth_basic off; }
        location /anyallow/ { satisfy any; allow 127.0.0.1; deny all; }
        location /anydeny/ { satisfy any; deny 127.0.0.1; }
        location /alldeny/ { deny all; }
        location /allallow/ { satisfy all; allow 127.0.0.1; deny all; }
        location /nofile/ { auth_basic_user_file $T/no-such-file; }
        location /realm/ { auth_basic "it's here"; }
        location /ep/ { error_page 401 /e401.html; }
        location = /e401.html { auth_basic off; }
        location /ep2/ { error_page 401 /ep2/page.html; }
        location /ret/ { deny all; return 200 "open"; }
    }
CONF
}
pair_start

# ask PORT PATH [curl args]: "STATUS|WWW-Authenticate"
ask() {
    local port=$1 path=$2
    shift 2
    curl "${CURL_OPTS[@]}" -o /dev/null -D - "$@" "https://127.0.0.1:$port$path" | tr -d '\r' |
        awk 'NR == 1 { s = $2 } tolower($1) == "www-authenticate:" { sub(/^[^:]*: */, ""); w = $0 }
             END { print s "|" w }'
}

# same EXPECTED PATH [curl args]: both answer alike, and as expected
same() {
    local want=$1 path=$2 a b
    shift 2
    a=$(ask "$PA" "$path" "$@")
    b=$(ask "$PB" "$path" "$@")
    if [ "$a" != "$b" ]; then
        fail "$path $*: nginx \"$a\", ktlsd \"$b\""
    elif [ "${a%%|*}" != "$want" ]; then
        fail "$path $*: \"$a\", expected status $want"
    else
        ok "$path $*: $a"
    fi
}

same 401 /top.txt
same 200 /top.txt -u bcrypt:pw-bcrypt
same 200 /top.txt -u sha512:pw-sha512
same 200 /top.txt -u sha256:pw-sha256
same 200 /top.txt -u apr1:pw-apr1
same 200 /top.txt -u sha1:pw-sha1
same 200 /top.txt -u des:pwdes
same 200 /top.txt -u plain:pw-plain
same 200 /top.txt -u withcomment:pw-comment
for u in bcrypt sha512 sha256 apr1 sha1 des plain; do
    same 401 /top.txt -u "$u:wrong"
done
same 401 /top.txt -u nobody:pw-bcrypt
same 401 /top.txt -u bcrypt:
same 401 /top.txt -H 'Authorization: Basic !!!!'
same 401 /top.txt -H 'Authorization: Bearer abc'
same 401 /top.txt -H "Authorization: Basic $(printf 'nocolon' | base64)"
same 200 /top.txt -H "Authorization: basic $(printf 'apr1:pw-apr1' | base64)"
same 401 /all/f.txt
same 200 /all/f.txt -u sha1:pw-sha1
same 200 /off/f.txt
same 200 /anyallow/f.txt
same 401 /anydeny/f.txt
same 200 /anydeny/f.txt -u apr1:pw-apr1
same 403 /alldeny/f.txt
same 403 /alldeny/f.txt -u apr1:pw-apr1
same 401 /allallow/f.txt
same 200 /allallow/f.txt -u apr1:pw-apr1
same 403 /nofile/f.txt -u apr1:pw-apr1
same 401 /realm/f.txt
same 401 /missing.txt
same 404 /missing.txt -u apr1:pw-apr1
same 200 /ret/ # nginx's rewrite phase (return) comes before access
# error_page 401: to a page outside auth (the challenge stays), to one inside
same 401 /ep/f.txt
same 200 /ep/f.txt -u apr1:pw-apr1
same 401 /ep2/f.txt
expect_eq "$(curl "${CURL_OPTS[@]}" "https://127.0.0.1:$PB/ep/f.txt")" "please log in" "error_page 401 body"

# the 401 page and the error log, as nginx's
body=$(curl "${CURL_OPTS[@]}" "https://127.0.0.1:$PB/top.txt")
expect_match "<title>401 Authorization Required</title>" "$body" "401 page"
expect_file_match 'user "apr1": password mismatch' "$T/error-test.log" "mismatch logged"
expect_file_match 'user "nobody" was not found in' "$T/error-test.log" "unknown user logged"
expect_file_match 'no user/password was provided for basic authentication' "$T/error-test.log" \
    "missing credentials logged"

# $remote_user in the combined log: the Basic user, checked or not (nginx)
sleep 1.2 # access logs are flushed each second
for n in nginx test; do
    expect_file_match '^127\.0\.0\.1 - sha512 \[.*"GET /top.txt HTTP/1.1" 200 ' "$T/$n/access.log" \
        "\$remote_user of an authorized request ($n)"
    expect_file_match '^127\.0\.0\.1 - nobody \[.*"GET /top.txt HTTP/1.1" 401 ' "$T/$n/access.log" \
        "\$remote_user of an unknown user ($n)"
    expect_file_match '^127\.0\.0\.1 - - \[.*"GET /off/f.txt HTTP/1.1" 200 ' "$T/$n/access.log" \
        "no \$remote_user without credentials ($n)"
done

# a changed user file counts at once (read per request, no reload)
htpasswd -b "$U" late pw-late 2>/dev/null
same 200 /top.txt -u late:pw-late

# config errors carry FILE:LINE
if [ "$IS_NGINX" = 0 ]; then
    printf 'events {}\nhttp {\n server {\n  listen 127.0.0.1:1;\n  auth_basic $host;\n }\n}\n' >"$T/bad.conf"
    out=$("$KTLSD" -t -c "$T/bad.conf" 2>&1)
    expect_match 'bad.conf:5: variables in "auth_basic" are not supported' "$out" "variables refused"
    printf 'events {}\nhttp {\n server {\n  listen 127.0.0.1:1;\n  satisfy some;\n }\n}\n' >"$T/bad.conf"
    out=$("$KTLSD" -t -c "$T/bad.conf" 2>&1)
    expect_match 'bad.conf:5: invalid value "some" in "satisfy"' "$out" "satisfy value checked"
fi

finish
