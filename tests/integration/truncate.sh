#!/usr/bin/env bash
# A file that shrinks while it is being sent ends the connection with a
# logged error: the client gets a short body that is a true prefix of the
# file (never padding or garbage), on the TLS fallback and on plain sendfile,
# and over HTTP/2 on the TLS fallback (its file payloads are read by preadv
# after the frames are framed, so the whole connection ends there).
. "$(dirname "$0")/../lib.sh"
[ "$IS_NGINX" = 1 ] && skip "checks ktlsd's own log message"

mkfile big.bin $((32 << 20))
cp "$WWW/big.bin" "$T/orig.bin"
PLAIN=1 SERVER_EXTRA='http2 on;' gen_config
start_server || finish


# HTTP/2: the client opens the window for 1 MiB, shrinks the file, then
# opens it wide; DATA payloads (not frame headers) are what must be a prefix.

cp "$T/orig.bin" "$WWW/big.bin"
res=$(timeout 30 /usr/bin/python3 "$CLIENTS/slow_h2.py" "$PORT" /big.bin "$T/got.bin" "$WWW/big.bin" 2>&1)
read -r length got state <<<"$res"
expect_eq $((32 << 20)) "$length" "h2: content-length announced the whole file ($res)"
check "h2: fewer bytes than announced arrived ($got)" test "${got:-0}" -lt "$length"
expect_eq closed "$state" "h2: the server closed the connection"
check "h2: what arrived is a prefix of the file, no garbage" \
    cmp -s "$T/got.bin" <(head -c "${got:-0}" "$T/orig.bin")

for mode in tls plain; do
    cp "$T/orig.bin" "$WWW/big.bin"
    port=$PORT
    [ $mode = plain ] && port=$PLAIN_PORT
    res=$(timeout 30 python3 "$CLIENTS/truncating_get.py" "$port" "$mode" /big.bin "$T/got.bin" "$WWW/big.bin" 2>&1)
    read -r length got state <<<"$res"
    expect_eq $((32 << 20)) "$length" "$mode: Content-Length announced the whole file"
    check "$mode: fewer bytes than announced arrived ($got)" test "${got:-0}" -lt "$length"
    expect_eq closed "$state" "$mode: the server closed the connection"
    check "$mode: what arrived is a prefix of the file, no garbage" \
        cmp -s "$T/got.bin" <(head -c "${got:-0}" "$T/orig.bin")
done
sleep 0.2
expect_file_match 'truncated' "$T/error.log" "the error log says the file was truncated"
finish
