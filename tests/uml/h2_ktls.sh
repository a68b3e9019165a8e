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
uml_setup curl openssl
if ! /usr/bin/python3 -c 'import hpack, hyperframe' 2>/dev/null; then
	skip "python3-h2 not installed"
fi
SIZE=10485760
head -c $SIZE /dev/urandom >"$W/10m.bin"
uml_write_conf "$CONF" "" "http2 on;
        location = /status { ktlsd_status; }"
: >"$T/cases"
cat >"$T/after-cases" <<EOS
#!/bin/bash
cd "$T"
for v in 1.2 1.3; do
    /usr/bin/python3 "$CLIENTS/h2_records.py" \$PORT /10m.bin "$W/10m.bin" \$v >"\$O/h2rec-\$v" 2>&1
done
/usr/bin/python3 "$CLIENTS/h2_records.py" \$PORT /10m.bin "$W/10m.bin" 1.3 slow >"\$O/h2rec-slow" 2>&1
curl -sk --http2 --max-time 60 -o "\$O/curl.body" -w '%{http_version} %{http_code}\n' \
    "https://127.0.0.1:\$PORT/10m.bin" >"\$O/curl.out" 2>&1
cmp -s "\$O/curl.body" "$W/10m.bin" && echo same >"\$O/curl.cmp"
rm -f "\$O/curl.body"
curl -sk --http1.1 "https://127.0.0.1:\$PORT/status?format=json" >"\$O/status" 2>&1
EOS
chmod +x "$T/after-cases"
uml_write_run_conf
uml_boot
uml_check_server_up

for v in 1.2 1.3 slow; do
	r=$(cat "$O/h2rec-$v")
	echo "# TLS $v, 10 MiB over HTTP/2: $r"
	num() { sed -n "s/.*$1=\([0-9]*\).*/\1/p" "$O/h2rec-$v"; }
	check "TLS $v: h2_records.py ran ($r)" grep -q '^records=' "$O/h2rec-$v"
	check "TLS $v: body byte-identical" [ "$(num identical)" = 1 ]
	check "TLS $v: DATA payloads of 16,375 bytes (max $(num max_payload))" [ "$(num max_payload)" = 16375 ]
	frames=$(num data_frames)
	records=$(num records)
	check "TLS $v: one record per DATA frame ($records records, $frames DATA frames)" \
		[ -n "$frames" ] && [ -n "$records" ] && [ "$records" -ge "$frames" ] && [ "$records" -le $((frames + 4)) ]
done
check "curl --http2: $(cat "$O/curl.out")" grep -q '^2 200$' "$O/curl.out"
check "curl --http2: 10 MiB byte-identical" [ -f "$O/curl.cmp" ]

st=$(cat "$O/status")
kb=$(sed -n 's/.*"ssl_sendfile":\([0-9]*\).*/\1/p' <<<"$st")
fb=$(sed -n 's/.*"bytes":{[^}]*"fallback":\([0-9]*\).*/\1/p' <<<"$st")
echo "# status bytes: ssl_sendfile=$kb fallback=$fb"
check "all file bytes by kTLS sendfile (ssl_sendfile=$kb >= $((4 * SIZE)))" [ "${kb:-0}" -ge $((4 * SIZE)) ]
check "no file byte copied through user space (fallback=$fb)" [ "${fb:-1}" = 0 ]
n=$(awk -v s=$SIZE '$6 == "/10m.bin" && $5 == s && ($3 == "tx" || $3 == "tx+rx")' "$T/access.log" | wc -l)
check "access log: 4 lines with \$ktls tx and $SIZE bytes (got $n)" [ "$n" = 4 ]
uml_finish
