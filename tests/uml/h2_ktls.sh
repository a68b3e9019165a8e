#!/bin/bash
# shellcheck source-path=SCRIPTDIR
# HTTP/2 over kTLS, under User-Mode Linux (a 6.1 kernel with tls.ko):
#   - a 10 MiB file over HTTP/2 (TLS 1.2 and 1.3) arrives byte-identical, as
#     DATA frames of 16,375 bytes, each ONE TLS record on the wire: the frame
#     header goes by send(MSG_MORE), the payload by sendfile(2), and the
#     kernel seals both into one record (tests/clients/h2_records.py counts
#     record headers and frames); records <= frames + a few for the
#     SETTINGS / HEADERS / WINDOW_UPDATE around them;
#   - the same for a slow reader (TLS 1.3, "slow": a small receive buffer
#     read 4 KiB a millisecond), whose socket stops the server's writes in
#     the middle of frames: each frame is still finished as one record;
#   - a partial write inside a frame, forced: a second listener with a tiny
#     send buffer (listen ... sndbuf=4k) and the slow reader; strace on the
#     worker shows frames whose 9-byte header went out (MSG_MORE: the kernel
#     holds it in the open record) and whose payload's sendfile(2) then
#     found the socket full (EAGAIN) or wrote only part of it; each such
#     frame is continued where it stopped (the next write is a sendfile
#     asking for exactly the rest, never another frame's header), and the
#     body still arrives byte-identical with one record per frame plus the
#     few for other frames. (Kernel 6.1's kTLS takes a record's payload
#     whole or not at all here: the partial frames are header-only; a short
#     sendfile is counted and checked the same way when one happens). Such
#     a write depends on the kernel's timing (a few frames of 641 a run,
#     none in one CI run): up to 5 transfers, until one has one;
#   - curl --http2 gets the same 10 MiB intact;
#   - no file byte in user space: the status page counts them all as kTLS
#     sendfile bytes, none as fallback (copied) bytes;
#   - the access log has $ktls tx (or tx+rx) and the full size for each.
# See docs/ktls-uml.md. Env as tests/uml/ktls.sh. Exit: 0 pass, 77 skip, 1 fail.
set -u
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=uml_lib.sh
. "$HERE/uml_lib.sh"
[ "$MODE" = ktlsd ] || skip "the status page counters are ktlsd's own"
uml_setup curl openssl strace
if ! /usr/bin/python3 -c 'import hpack, hyperframe' 2>/dev/null; then
	skip "python3-h2 not installed"
fi
SIZE=10485760
head -c $SIZE /dev/urandom >"$W/10m.bin"
SMALL=8444 # the listener with a tiny send buffer (forces partial writes)
TRIES=5    # transfers on it at most, until one has a partial write
uml_write_conf "$CONF" "" "http2 on;
        listen 127.0.0.1:$SMALL ssl sndbuf=4k;
        location = /status { ktlsd_status; }"
# The sendfile calls of the sndbuf=4k connection: "sendfile(S, F, [off] =>
# [off'], want) = got". A partial write inside a frame is a call that wrote
# 0 < got < want, or that found the socket full (EAGAIN) after its frame
# header went out; each must be followed by a sendfile asking for the rest
# (want - got) from where it stopped, never by another frame's header.
# (the VM stops trying on the first trace with one; the host checks them all)
cat >"$T/partial.awk" <<'AWK'
FNR == 1 { traces++; rest = "" }
/sendfile\(/ {
    want = $0; sub(/.*, /, "", want); sub(/\).*/, "", want)
    got = $0; sub(/.*\) *= */, "", got); sub(/ .*/, "", got)
    from = $0; sub(/^[^[]*\[/, "", from); sub(/\].*/, "", from)
    off = $0; sub(/.*\[/, "", off); sub(/\].*/, "", off)
    if (rest != "") { calls++; if (want != rest || from != at) broken++ }
    rest = ""
    if (got == -1 && $0 ~ /EAGAIN/) { partial++; rest = want; at = off }
    else if (got + 0 > 0 && got + 0 < want + 0) { partial++; short++; rest = want - got; at = off }
    sendfiles++
    next
}
/(sendto|sendmsg|write)\(/ && rest != "" { broken++; rest = "" }
END { printf "traces=%d sendfiles=%d partial=%d short=%d continued=%d broken=%d\n", traces, sendfiles, partial, short, calls, broken }
AWK
: >"$T/cases"
cat >"$T/after-cases" <<EOS
#!/bin/bash
cd "$T"
for v in 1.2 1.3; do
    /usr/bin/python3 "$CLIENTS/h2_records.py" \$PORT /10m.bin "$W/10m.bin" \$v >"\$O/h2rec-\$v" 2>&1
done
/usr/bin/python3 "$CLIENTS/h2_records.py" \$PORT /10m.bin "$W/10m.bin" 1.3 slow >"\$O/h2rec-slow" 2>&1
# the partial writes: strace the worker while the slow reader drains the
# sndbuf=4k listener (-e: the frame header sends and the sendfiles only).
# Whether the socket fills between a frame's header and its payload is up
# to the kernel's timing (0 to 10 of 641 frames a transfer): up to $TRIES
# transfers, until one has a partial write (each is checked on the host)
master=\$(cat "$T/server.pid")
worker=\$(awk '{ print \$1 }' /proc/\$master/task/\$master/children)
for i in \$(seq $TRIES); do
    strace -e trace=sendfile,sendto,sendmsg -o "\$O/partial-\$i.strace" -p "\$worker" 2>"\$O/strace-\$i.err" &
    st=\$!
    for _ in \$(seq 100); do grep -q attached "\$O/strace-\$i.err" && break; sleep 0.1; done
    /usr/bin/python3 "$CLIENTS/h2_records.py" $SMALL /10m.bin "$W/10m.bin" 1.3 slow >"\$O/h2rec-partial-\$i" 2>&1
    sleep 0.5
    kill -INT \$st
    wait \$st
    awk -f "$T/partial.awk" "\$O/partial-\$i.strace" | grep -q ' partial=[1-9]' && break
done
curl -sk --http2 --max-time 60 -o "\$O/curl.body" -w '%{http_version} %{http_code}\n' \
    "https://127.0.0.1:\$PORT/10m.bin" >"\$O/curl.out" 2>&1
cmp -s "\$O/curl.body" "$W/10m.bin" && echo same >"\$O/curl.cmp"
rm -f "\$O/curl.body"
curl -sk --http1.1 "https://127.0.0.1:\$PORT/status?format=json" >"\$O/status" 2>&1
EOS
uml_run

tries=$(find "$O" -name 'h2rec-partial-*' | wc -l)
echo "# sndbuf=4k listener: $tries transfer(s) of at most $TRIES"
for v in 1.2 1.3 slow $(seq -f 'partial-%g' "$tries"); do
	r=$(cat "$O/h2rec-$v")
	echo "# TLS $v, 10 MiB over HTTP/2: $r"
	num() { sed -n "s/.*$1=\([0-9]*\).*/\1/p" "$O/h2rec-$v"; }
	check "TLS $v: h2_records.py ran ($r)" grep -q '^records=' "$O/h2rec-$v"
	check "TLS $v: body byte-identical" [ "$(num identical)" = 1 ]
	check "TLS $v: DATA payloads of 16,375 bytes (max $(num max_payload))" [ "$(num max_payload)" = 16375 ]
	frames=$(num data_frames)
	records=$(num records)
	check "TLS $v: one record per DATA frame ($records records, $frames DATA frames)" \
		in_range "$records" "${frames:-x}" $((${frames:-0} + 4))
done
awk -f "$T/partial.awk" "$O"/partial-*.strace >"$T/partial.sum" 2>&1
echo "# sndbuf=4k listener, strace of the worker: $(cat "$T/partial.sum")"
pnum() { sed -n "s/.*$1=\([0-9]*\).*/\1/p" "$T/partial.sum"; }
traced_all() { [ "$tries" -ge 1 ] && [ "$(pnum traces)" = "$tries" ]; }
check "the sndbuf=4k transfers ran and strace saw each ($(pnum traces) traces of $tries transfers)" traced_all
check "strace saw the worker's sendfile calls ($(pnum sendfiles); $(head -c 200 "$O/strace-1.err"))" \
	[ "$(pnum sendfiles)" -gt $((600 * tries)) ]
check "partial writes inside a frame (header sent, payload stopped): $(pnum partial), of which short sendfiles: $(pnum short)" \
	[ "$(pnum partial)" -ge 1 ]
check "each partial frame continued with exactly its rest: $(pnum continued) of $(pnum partial), $(pnum broken) not" \
	[ "$(pnum broken)/$(pnum continued)" = "0/$(pnum partial)" ]
check "curl --http2: $(cat "$O/curl.out")" grep -q '^2 200$' "$O/curl.out"
check "curl --http2: 10 MiB byte-identical" [ -f "$O/curl.cmp" ]

st=$(cat "$O/status")
kb=$(sed -n 's/.*"ssl_sendfile":\([0-9]*\).*/\1/p' <<<"$st")
fb=$(sed -n 's/.*"bytes":{[^}]*"fallback":\([0-9]*\).*/\1/p' <<<"$st")
echo "# status bytes: ssl_sendfile=$kb fallback=$fb"
gets=$((4 + tries)) # 1.2, 1.3, slow, the sndbuf=4k transfers, curl
check "all file bytes by kTLS sendfile (ssl_sendfile=$kb >= $((gets * SIZE)))" [ "${kb:-0}" -ge $((gets * SIZE)) ]
check "no file byte copied through user space (fallback=$fb)" [ "${fb:-1}" = 0 ]
n=$(awk -v s=$SIZE '$6 == "/10m.bin" && $5 == s && ($3 == "tx" || $3 == "tx+rx")' "$T/access.log" | wc -l)
check "access log: $gets lines with \$ktls tx and $SIZE bytes (got $n)" [ "$n" = "$gets" ]
uml_finish
