#!/usr/bin/env bash
# Byte ranges: bytes=a-b, a-, -n at 0, at the last byte, across the 16 KiB
# TLS record boundary and near the end of a 100 MiB (sparse) file; several
# ranges -> multipart/byteranges (every part checked against the file);
# overlapping abuse refused (200, whole file, as nginx); unsatisfiable -> 416
# with Content-Range: bytes */LEN; If-Range with an ETag or a date;
# Accept-Ranges: bytes; HEAD. Over TLS (SSL_sendfile at an offset) and over
# a plain listener (sendfile at an offset).
# shellcheck source=../lib.sh disable=SC2119,SC2016,SC2034
. "${SRCDIR:-$(cd "$(dirname "$0")/../.." && pwd)}/tests/lib.sh"

mkfile big.bin 100000
printf 'hello, world\n' >"$WWW/a.txt"
touch -d '2021-03-04 05:06:07 UTC' "$WWW/a.txt"
# 100 MiB, sparse: zeros, with 64 KiB of random bytes at the start and at the end
HUGE=$WWW/huge.bin
HUGE_LEN=104857600
truncate -s $HUGE_LEN "$HUGE"
head -c 65536 /dev/urandom | dd of="$HUGE" bs=65536 seek=0 conv=notrunc status=none
head -c 65536 /dev/urandom | dd of="$HUGE" bs=65536 seek=$((HUGE_LEN / 65536 - 1)) conv=notrunc status=none
chmod 644 "$HUGE"
BIG=$WWW/big.bin

PLAIN=1 gen_config
start_server || finish

# range206 LABEL PATH RANGE FILE OFFSET LEN TOTAL [curl args]: expect 206 and that slice
range206() {
    local label=$1 p=$2 r=$3 f=$4 off=$5 len=$6 total=$7
    shift 7
    fetch "$p" -H "Range: $r" "$@"
    expect_eq 206 "$ST" "$label: $r -> 206"
    expect_eq "bytes $off-$((off + len - 1))/$total" "$(hv Content-Range)" "$label: Content-Range"
    expect_eq "$len" "$(hv Content-Length)" "$label: Content-Length"
    check "$label: body is bytes $off..$((off + len - 1)) of the file" body_is_slice "$f" "$off" "$len"
}

# ---------------------------------------------------------------- 200 + Accept-Ranges
fetch /big.bin
expect_eq 200 "$ST" "no Range -> 200"
expect_eq bytes "$(hv Accept-Ranges)" "200 has Accept-Ranges: bytes"
check "200 body is the whole file" body_is "$BIG"

# ---------------------------------------------------------------- single ranges
range206 "first byte" /big.bin "bytes=0-0" "$BIG" 0 1 100000
range206 "first 100" /big.bin "bytes=0-99" "$BIG" 0 100 100000
range206 "last byte a-b" /big.bin "bytes=99999-99999" "$BIG" 99999 1 100000
range206 "last byte a-" /big.bin "bytes=99999-" "$BIG" 99999 1 100000
range206 "last byte -1" /big.bin "bytes=-1" "$BIG" 99999 1 100000
range206 "suffix -100" /big.bin "bytes=-100" "$BIG" 99900 100 100000
range206 "open 99900-" /big.bin "bytes=99900-" "$BIG" 99900 100 100000
range206 "whole 0-" /big.bin "bytes=0-" "$BIG" 0 100000 100000
range206 "end past EOF clipped" /big.bin "bytes=99990-200000" "$BIG" 99990 10 100000
range206 "suffix longer than file" /big.bin "bytes=-200000" "$BIG" 0 100000 100000
range206 "across 16384" /big.bin "bytes=16380-16390" "$BIG" 16380 11 100000
range206 "16383-16384" /big.bin "bytes=16383-16384" "$BIG" 16383 2 100000
range206 "exactly one record" /big.bin "bytes=0-16383" "$BIG" 0 16384 100000
range206 "one record + 1" /big.bin "bytes=0-16384" "$BIG" 0 16385 100000
range206 "second record" /big.bin "bytes=16384-32767" "$BIG" 16384 16384 100000
range206 "odd offset, 3 records" /big.bin "bytes=1000-50000" "$BIG" 1000 49001 100000
range206 "small file" /a.txt "bytes=7-11" "$WWW/a.txt" 7 5 13

fetch /big.bin -I -H "Range: bytes=10-19"
expect_eq 206 "$ST" "HEAD with Range -> 206"
expect_eq "bytes 10-19/100000" "$(hv Content-Range)" "HEAD with Range: Content-Range"
expect_eq 10 "$(hv Content-Length)" "HEAD with Range: Content-Length"
resp=$(printf 'HEAD /big.bin HTTP/1.1\r\nHost: localhost\r\nRange: bytes=10-19\r\nConnection: close\r\n\r\n' |
    raw --tls "$PORT" 2>/dev/null | od -An -c | tr -d ' \n')
expect_match '\\r\\n\\r\\n$' "${resp: -40}" "HEAD with Range: no body"

# ---------------------------------------------------------------- 100 MiB
range206 "100 MiB near the end" /huge.bin "bytes=104857000-104857599" "$HUGE" 104857000 600 $HUGE_LEN
range206 "100 MiB last 64 KiB" /huge.bin "bytes=-65536" "$HUGE" $((HUGE_LEN - 65536)) 65536 $HUGE_LEN
range206 "100 MiB last byte" /huge.bin "bytes=104857599-" "$HUGE" 104857599 1 $HUGE_LEN
range206 "100 MiB middle" /huge.bin "bytes=52428700-52428899" "$HUGE" 52428700 200 $HUGE_LEN
fetch /huge.bin -H "Range: bytes=0-9,-10"
expect_eq 206 "$ST" "100 MiB two ranges -> 206"
expect_eq "0-9,104857590-104857599" "$(multipart "$HUGE" "$(hv Content-Type)")" "100 MiB two ranges: parts"

# ---------------------------------------------------------------- several ranges
multi() { # LABEL RANGE EXPECTED-PARTS
    fetch /big.bin -H "Range: $2"
    expect_eq 206 "$ST" "$1: $2 -> 206"
    expect_match '^multipart/byteranges; boundary=' "$(hv Content-Type)" "$1: Content-Type multipart/byteranges"
    check_not "$1: no top-level Content-Range" has_header Content-Range
    expect_eq "$(wc -c <"$T/body" | tr -d ' ')" "$(hv Content-Length)" "$1: Content-Length is the multipart length"
    expect_eq "$3" "$(multipart "$BIG" "$(hv Content-Type)")" "$1: parts and their bytes"
}
multi "two ranges" "bytes=0-9,20-29" "0-9,20-29"
multi "three ranges incl. 16 KiB edge and suffix" "bytes=0-0,16383-16384,-5" "0-0,16383-16384,99995-99999"
multi "ranges with spaces" "bytes=0-1, 3-4" "0-1,3-4"
multi "overlapping, small total" "bytes=0-9,5-14" "0-9,5-14"
multi "last byte twice" "bytes=99999-99999,-1" "99999-99999,99999-99999"

fetch /big.bin -H "Range: bytes=0-4,200000-"
expect_eq 206 "$ST" "one satisfiable + one not -> 206"
expect_eq "bytes 0-4/100000" "$(hv Content-Range)" "one satisfiable + one not: single part"

# overlapping abuse: parts adding up to more than the file -> the whole file (nginx)
for r in "bytes=0-,0-" "bytes=0-60000,40000-99999" "bytes=-100000,0-1"; do
    fetch /big.bin -H "Range: $r"
    expect_eq 200 "$ST" "overlapping abuse $r -> 200"
    check "overlapping abuse $r: whole file" body_is "$BIG"
done

# ---------------------------------------------------------------- 416
for r in "bytes=100000-" "bytes=200000-300000" "bytes=100000-100000" "bytes=100000-,200000-"; do
    fetch /big.bin -H "Range: $r"
    expect_eq 416 "$ST" "unsatisfiable $r -> 416"
    expect_eq "bytes */100000" "$(hv Content-Range)" "unsatisfiable $r: Content-Range: bytes */100000"
done
fetch /huge.bin -H "Range: bytes=$HUGE_LEN-"
expect_eq 416 "$ST" "100 MiB: start at EOF -> 416"
expect_eq "bytes */$HUGE_LEN" "$(hv Content-Range)" "100 MiB 416: Content-Range"
fetch /big.bin -H "Range: items=0-1"
expect_eq 200 "$ST" "unknown range unit -> 200 (ignored)"

# ---------------------------------------------------------------- If-Range
ET=$(etag_of "$WWW/a.txt")
LM=$(lastmod_of "$WWW/a.txt")
expect_eq '"60406abf-d"' "$ET" "(test) a.txt ETag computed"
fetch /a.txt -H "Range: bytes=0-4" -H "If-Range: $ET"
expect_eq 206 "$ST" "If-Range: current ETag -> 206"
expect_eq hello "$(cat "$T/body")" "If-Range: current ETag -> the range"
fetch /a.txt -H "Range: bytes=0-4" -H 'If-Range: "60406abf-e"'
expect_eq 200 "$ST" "If-Range: other ETag -> 200"
check "If-Range: other ETag -> whole file" body_is "$WWW/a.txt"
fetch /a.txt -H "Range: bytes=0-4" -H "If-Range: W/$ET"
expect_eq 200 "$ST" "If-Range: weak ETag never matches -> 200"
fetch /a.txt -H "Range: bytes=0-4" -H "If-Range: $LM"
expect_eq 206 "$ST" "If-Range: Last-Modified date -> 206"
fetch /a.txt -H "Range: bytes=0-4" -H "If-Range: Thu, 04 Mar 2021 05:06:06 GMT"
expect_eq 200 "$ST" "If-Range: other date -> 200"
fetch /a.txt -H "If-Range: $ET"
expect_eq 200 "$ST" "If-Range without Range -> 200"

# ---------------------------------------------------------------- plain listener (sendfile)
pfetch() { # like fetch, on the plain port
    local p=$1
    shift
    rm -f "$T/body"
    ST=$(curl "${CURL_OPTS[@]}" -D "$T/hdrs" -o "$T/body" -w '%{http_code}' "$@" "$(purl "$p")")
    H=$(tr -d '\r' <"$T/hdrs")
}
for spec in "0 1 big.bin" "16380 11 big.bin" "99999 1 big.bin" "104857000 600 huge.bin"; do
    read -r off len f <<<"$spec"
    pfetch "/$f" -H "Range: bytes=$off-$((off + len - 1))"
    expect_eq 206 "$ST" "plain: $f bytes=$off-$((off + len - 1)) -> 206"
    check "plain: $f bytes=$off-$((off + len - 1)) body" body_is_slice "$WWW/$f" "$off" "$len"
done
pfetch /big.bin -H "Range: bytes=0-9,16383-16384"
expect_eq "0-9,16383-16384" "$(multipart "$BIG" "$(hv Content-Type)")" "plain: multipart parts"

# ---------------------------------------------------------------- keep-alive across ranges
exp="206 1 $(slice "$BIG" 0 1 | md5sum | cut -d' ' -f1) 206 1 $(slice "$BIG" 99999 1 | md5sum | cut -d' ' -f1) 200 100000 $(md5 "$BIG") "
got=$(printf 'GET /big.bin HTTP/1.1\r\nHost: localhost\r\nRange: bytes=0-0\r\n\r\nGET /big.bin HTTP/1.1\r\nHost: localhost\r\nRange: bytes=-1\r\n\r\nGET /big.bin HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n' |
    raw --tls --split --timeout 5 "$PORT" 2>/dev/null | tr '\n' ' ')
expect_eq "$exp" "$got" "3 pipelined requests (2 ranges, then the whole file) on one connection"

finish
