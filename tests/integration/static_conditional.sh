#!/usr/bin/env bash
# Validators and conditional requests: strong ETag in nginx's "mtime-size"
# hex form and Last-Modified; If-None-Match (lists, *, weak comparison) and
# If-Modified-Since -> 304 with no body and the validators; If-Match /
# If-Unmodified-Since -> 412; precedence as RFC 9110 section 13.2.2 says.
#
# Where nginx 1.22 deviates from RFC 9110 the expected value differs with
# IS_NGINX (labelled "nginx deviates"): nginx evaluates If-Modified-Since even
# when If-None-Match is present, If-Unmodified-Since even when If-Match is
# present, and compares If-Modified-Since for equality only
# (if_modified_since exact), and fails If-Unmodified-Since with an invalid
# date (RFC: ignore it). ktlsd must follow the RFC.
# shellcheck source=../lib.sh disable=SC2119,SC2016,SC2034
. "${SRCDIR:-$(cd "$(dirname "$0")/../.." && pwd)}/tests/lib.sh"

F=$WWW/a.txt
printf 'hello, world\n' >"$F"
touch -d '2021-03-04 05:06:07 UTC' "$F"
mkfile big.bin 20000
touch -d '2023-01-02 03:04:05 UTC' "$WWW/big.bin"

gen_config
start_server || finish

ET=$(etag_of "$F")
LM=$(lastmod_of "$F")
OLDER='Thu, 04 Mar 2021 05:06:06 GMT'
LATER='Thu, 04 Mar 2021 06:06:07 GMT'
rfc() { if [ "$IS_NGINX" = 1 ]; then echo "$2"; else echo "$1"; fi; } # rfc RFC_VALUE NGINX_VALUE

# ---------------------------------------------------------------- validators
fetch /a.txt
expect_eq 200 "$ST" "GET -> 200"
expect_eq '"60406abf-d"' "$(hv ETag)" "ETag is \"<mtime hex>-<size hex>\""
expect_eq "Thu, 04 Mar 2021 05:06:07 GMT" "$(hv Last-Modified)" "Last-Modified"
fetch /big.bin
expect_eq "$(etag_of "$WWW/big.bin")" "$(hv ETag)" "ETag of a 20000-byte file"
expect_eq '"63b249a5-4e20"' "$(hv ETag)" "ETag of a 20000-byte file (literal)"

# c304 LABEL [curl args]: expect 304, no body, ETag + Last-Modified
c304() {
    local label=$1
    shift
    fetch /a.txt "$@"
    expect_eq 304 "$ST" "$label -> 304"
    expect_eq 0 "$(wc -c <"$T/body" | tr -d ' ')" "$label: 304 has no body"
    expect_eq "$ET" "$(hv ETag)" "$label: 304 carries the ETag"
    expect_eq "$LM" "$(hv Last-Modified)" "$label: 304 carries Last-Modified"
}
# cst LABEL STATUS [curl args]: expect STATUS
cst() {
    local label=$1 want=$2
    shift 2
    fetch /a.txt "$@"
    expect_eq "$want" "$ST" "$label -> $want"
}

# ---------------------------------------------------------------- If-None-Match
c304 "If-None-Match: current ETag" -H "If-None-Match: $ET"
c304 "If-None-Match: weak form of the ETag (weak comparison)" -H "If-None-Match: W/$ET"
c304 "If-None-Match: list with the ETag last" -H "If-None-Match: \"x\", \"y\",$ET"
c304 "If-None-Match: list with the ETag first" -H "If-None-Match: $ET, \"x\""
c304 "If-None-Match: *" -H "If-None-Match: *"
cst "If-None-Match: other ETag" 200 -H 'If-None-Match: "60406abf-e"'
check "If-None-Match: other ETag: full body" body_is "$F"
cst "If-None-Match: unquoted ETag text" 200 -H "If-None-Match: 60406abf-d"
fetch /a.txt -I -H "If-None-Match: $ET"
expect_eq 304 "$ST" "HEAD + If-None-Match -> 304"
fetch /nope.txt -H "If-None-Match: *"
expect_eq 404 "$ST" "If-None-Match: * on a missing file -> 404"

# ---------------------------------------------------------------- If-Modified-Since
c304 "If-Modified-Since: Last-Modified" -H "If-Modified-Since: $LM"
cst "If-Modified-Since: one second older" 200 -H "If-Modified-Since: $OLDER"
cst "If-Modified-Since: not a date" 200 -H "If-Modified-Since: yesterday"
cst "If-Modified-Since: an hour later (nginx deviates: exact)" "$(rfc 304 200)" -H "If-Modified-Since: $LATER"

# ---------------------------------------------------------------- If-Match
cst "If-Match: current ETag" 200 -H "If-Match: $ET"
check "If-Match: current ETag: full body" body_is "$F"
cst "If-Match: *" 200 -H "If-Match: *"
cst "If-Match: list containing the ETag" 200 -H "If-Match: \"x\", $ET"
cst "If-Match: other ETag" 412 -H 'If-Match: "nope"'
check_not "412 does not carry the file" body_is "$F"
cst "If-Match: weak ETag (strong comparison)" 412 -H "If-Match: W/$ET"
fetch /nope.txt -H 'If-Match: "x"'
expect_in "404 412" "$ST" "If-Match on a missing file -> 404 or 412"

# ---------------------------------------------------------------- If-Unmodified-Since
cst "If-Unmodified-Since: Last-Modified" 200 -H "If-Unmodified-Since: $LM"
cst "If-Unmodified-Since: later" 200 -H "If-Unmodified-Since: $LATER"
cst "If-Unmodified-Since: one second older" 412 -H "If-Unmodified-Since: $OLDER"
cst "If-Unmodified-Since: not a date: ignored (nginx deviates)" "$(rfc 200 412)" -H "If-Unmodified-Since: yesterday"

# ---------------------------------------------------------------- precedence (RFC 9110 13.2.2)
cst "If-Match fails, If-None-Match matches: If-Match first" 412 -H 'If-Match: "nope"' -H "If-None-Match: $ET"
cst "If-Unmodified-Since fails, If-None-Match matches" 412 -H "If-Unmodified-Since: $OLDER" -H "If-None-Match: $ET"
cst "If-Match matches, If-Unmodified-Since older: IUS ignored (nginx deviates)" "$(rfc 200 412)" \
    -H "If-Match: $ET" -H "If-Unmodified-Since: $OLDER"
cst "If-Match fails, If-Unmodified-Since later" 412 -H 'If-Match: "nope"' -H "If-Unmodified-Since: $LATER"
cst "If-None-Match matches, If-Modified-Since older: IMS ignored (nginx deviates)" "$(rfc 304 200)" \
    -H "If-None-Match: $ET" -H "If-Modified-Since: $OLDER"
cst "If-None-Match fails, If-Modified-Since equal: IMS ignored" 200 -H 'If-None-Match: "nope"' -H "If-Modified-Since: $LM"
c304 "If-None-Match and If-Modified-Since both match" -H "If-None-Match: $ET" -H "If-Modified-Since: $LM"
c304 "If-None-Match matches + Range: 304 before Range" -H "If-None-Match: $ET" -H "Range: bytes=0-1"
cst "If-Match fails + Range: 412 before Range" 412 -H 'If-Match: "nope"' -H "Range: bytes=0-1"
fetch /a.txt -H "If-Match: $ET" -H "Range: bytes=0-4"
expect_eq 206 "$ST" "If-Match matches + Range -> 206"
expect_eq hello "$(cat "$T/body")" "If-Match matches + Range: the range"
fetch /a.txt -H "If-Modified-Since: $OLDER" -H "Range: bytes=0-4"
expect_eq 206 "$ST" "If-Modified-Since older + Range -> 206"

# ---------------------------------------------------------------- 304 framing
# A 304 has no body: the next pipelined response must follow right after it.
exp="304 0 $(md5sum </dev/null | cut -d' ' -f1) 200 13 $(md5 "$F") "
got=$(printf 'GET /a.txt HTTP/1.1\r\nHost: localhost\r\nIf-None-Match: %s\r\n\r\nGET /a.txt HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n' "$ET" |
    raw --tls --split --timeout 5 "$PORT" 2>/dev/null | tr '\n' ' ')
expect_eq "$exp" "$got" "304 then 200 on one connection"

# ---------------------------------------------------------------- the file changes
printf 'hello, world!\n' >"$F"
touch -d '2021-03-04 05:06:08 UTC' "$F"
fetch /a.txt -H "If-None-Match: $ET"
expect_eq 200 "$ST" "after the file changed, the old ETag -> 200"
expect_eq '"60406ac0-e"' "$(hv ETag)" "after the file changed: new ETag"
fetch /a.txt -H "If-Modified-Since: $LM"
expect_eq 200 "$ST" "after the file changed, the old Last-Modified -> 200"

finish
