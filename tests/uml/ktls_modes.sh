#!/bin/bash
# shellcheck source-path=SCRIPTDIR
# Which kind of kTLS each connection got, under User-Mode Linux (6.1 kernel
# with tls.ko, no NIC with a TLS offload):
#   - $ktls_mode in the access log, as the kernel says it through sock_diag:
#     TLS 1.2 AES-GCM "tx=sw rx=sw", TLS 1.3 AES-GCM "tx=sw rx=off" (OpenSSL
#     3.0 has no TLS 1.3 receive offload), ChaCha20-Poly1305 "off" (the VM
#     lacks its kernel crypto); $ktls keeps its meaning;
#   - `ss -tie` (iproute2) says the same of a connection held open;
#   - a second server whose worker runs as nobody (no CAP_NET_ADMIN, so
#     sock_diag gives no answer) infers "sw" (no NIC offload on) and says
#     why in one notice;
#   - the status page counts connections by TX and RX mode (text and JSON)
#     as they were made, and passes /proc/net/tls_stat through by name;
#   - `ktlsd -V` lists the VM's interfaces with the TLS offloads absent, and
#     the start-up notice says so in short;
#   - the kernel's sock_diag replies are recorded (out/*.hex: the unit test
#     tests/unit/test_ktls_info.c holds copies): TLS 1.2, TLS 1.3, asked
#     without CAP_NET_ADMIN, and for sockets that do not exist.
# See docs/ktls-uml.md. Env as tests/uml/ktls.sh. Exit: 0 pass, 77 skip, 1 fail.
set -u
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=uml_lib.sh
. "$HERE/uml_lib.sh"
[ "$MODE" = ktlsd ] || skip "\$ktls_mode and the status page are ktlsd's own"
uml_setup curl openssl python3 ss
head -c 5000 /dev/urandom >"$W/f.bin"

C12_128=ECDHE-ECDSA-AES128-GCM-SHA256
C12_256=ECDHE-ECDSA-AES256-GCM-SHA384
C12_CHA=ECDHE-ECDSA-CHACHA20-POLY1305
C13_128=TLS_AES_128_GCM_SHA256
C13_256=TLS_AES_256_GCM_SHA384
C13_CHA=TLS_CHACHA20_POLY1305_SHA256
: >"$T/cases"
add_case() { # PROTO CIPHER EXPECTED-KTLS EXPECTED-MODE (one connection each)
	n=$((n + 1))
	local name
	name=$(printf 'm%02d' "$n")
	ln "$W/f.bin" "$W/$name"
	echo "$name $1 $2 /$name $3 $4" >>"$T/cases"
}
add_case 1.2 $C12_128 tx+rx tx=sw_rx=sw
add_case 1.2 $C12_256 tx+rx tx=sw_rx=sw
add_case 1.3 $C13_128 tx tx=sw_rx=off
add_case 1.3 $C13_256 tx tx=sw_rx=off
add_case 1.2 $C12_CHA off off
add_case 1.3 $C13_CHA off off

# After the cases: a TLS 1.2 AES-GCM connection held open while ss and our
# own sock_diag query look at it; then the status page, text and JSON, each
# with the kernel's counters just before; then ktlsd -V.
cat >"$T/after-cases" <<EOS
#!/bin/bash
python3 "$CLIENTS/sock_diag.py" \$PORT \$O >"\$O/diag.log" 2>&1
cp /proc/net/tls_stat "\$O/tls_stat.text"
curl -sk --tlsv1.3 "https://127.0.0.1:\$PORT/status" >"\$O/status.text" 2>&1
cp /proc/net/tls_stat "\$O/tls_stat.json"
curl -sk --tlsv1.3 "https://127.0.0.1:\$PORT/status?format=json" >"\$O/status.json" 2>&1
"$SERVER" -V >"\$O/V" 2>&1
# a second server whose worker runs as nobody: no CAP_NET_ADMIN, no answer
# from sock_diag; the mode is inferred (no NIC offload on: TLS_SW)
"$SERVER" -c "$T/nobody.conf" >"\$O/nobody.out" 2>&1 &
np=\$!
for _ in \$(seq 100); do
    grep -q '^ *[0-9]*: 0100007F:20FC 00000000:0000 0A' /proc/net/tcp && break
    sleep 0.1
done
curl -sk --tlsv1.2 --tls-max 1.2 --ciphers $C12_128 -o /dev/null https://127.0.0.1:8444/f.bin
curl -sk --tlsv1.3 -o /dev/null 'https://127.0.0.1:8444/f.bin?13'
kill -TERM \$np
wait \$np
ls /sys/class/net >"\$O/ifaces"
EOS

uml_write_conf "$CONF" "log_format m '\$request_uri \$ktls \$ktls_mode';" \
	"access_log $T/modes.log m; location = /status { ktlsd_status; }"
sed -e 's/:8443 /:8444 /' -e "s|$T/error.log|$T/nobody-error.log|" -e "s|$T/server.pid|$T/nobody.pid|" \
	-e "s|$T/access.log|$T/nobody-access.log|" -e "s|$T/modes.log|$T/nobody-modes.log|" \
	-e '1i user nobody nogroup;' "$CONF" >"$T/nobody.conf"
uml_run

# --- $ktls_mode per connection ---------------------------------------------------
while read -r name proto cipher uri ektls emode; do
	uml_case_curl "$name" || continue
	uml_case_tls "$name" "$proto" "$cipher"
	emode=${emode//_/ }
	line=$(awk -v u="$uri" '$1 == u' "$T/modes.log")
	check "$name: a modes.log line for $uri" [ -n "$line" ]
	read -r _ lktls lmode <<<"$line"
	expect_eq "$ektls" "$lktls" "$name (TLS $proto $cipher): \$ktls"
	expect_eq "$emode" "$lmode" "$name (TLS $proto $cipher): \$ktls_mode"
	expect_eq "$kern" "$lktls" "$name: \$ktls as /proc/net/tls_stat says"
done <"$T/cases"

# --- ss -tie, and the recorded reply ------------------------------------------------
check "sock_diag.py recorded its replies ($(tail -n 3 "$O/diag.log" 2>/dev/null | tr '\n' ' '))" [ -s "$O/diag12.hex" ]
check "the held TLS 1.2 connection's \$ktls_mode: $(awk '$1 == "/f.bin"' "$T/modes.log" | tr '\n' ';')" \
	grep -q '^/f.bin tx+rx tx=sw rx=sw$' "$T/modes.log"
check "the TLS 1.3 connection's \$ktls_mode: $(awk '$1 == "/f.bin"' "$T/modes.log" | tr '\n' ';')" \
	grep -q '^/f.bin tx tx=sw rx=off$' "$T/modes.log"
if grep -q 'tls' "$O/ss" 2>/dev/null; then
	check "ss -tie: txconf sw and rxconf sw ($(grep -o 'tls.*' "$O/ss" | head -n 1))" \
		grep -q 'rxconf: sw txconf: sw' "$O/ss"
else
	echo "# ss shows no ULP info here (iproute2 too old?): $(head -c 300 "$O/ss" 2>/dev/null)"
fi

for f in diag12 diag12-nobody diag13 diag-listener diag-enoent; do
	check "a recorded reply $f.hex" [ -s "$O/$f.hex" ]
done

# --- a worker without CAP_NET_ADMIN ------------------------------------------------
nl=$T/nobody-modes.log
check "user nobody: TLS 1.2 \$ktls_mode inferred ($(tr '\n' ';' <"$nl" 2>/dev/null))" \
	grep -qx '/f.bin tx+rx tx=sw rx=sw' "$nl"
check "user nobody: TLS 1.3 \$ktls_mode inferred ($(tr '\n' ';' <"$nl" 2>/dev/null))" \
	grep -qx '/f.bin?13 tx tx=sw rx=off' "$nl"
check "user nobody: one notice says why ($(grep -c CAP_NET_ADMIN "$T/nobody-error.log" 2>/dev/null))" \
	[ "$(grep -c '\[notice\].*only to a CAP_NET_ADMIN process.*"sw" (no interface has a TLS offload on)' \
		"$T/nobody-error.log" 2>/dev/null)" = 1 ]

# --- status page ---------------------------------------------------------------------
# Connections by then: the 6 cases + sock_diag.py's two (TLS 1.2 and 1.3 AES-GCM)
# + the status request itself (TLS 1.3); the JSON request is one more TLS 1.3.
txt=$O/status.text
check "status text: TX modes line ($(grep 'TX modes' "$txt"))" \
	grep -qx 'kTLS TX modes: sw 7 hw 0 hw_record 0 unknown 0 off 2' "$txt"
check "status text: RX modes line ($(grep 'RX modes' "$txt"))" \
	grep -qx 'kTLS RX modes: sw 3 hw 0 hw_record 0 unknown 0 off 6' "$txt"
check "status text: first line still nginx's ($(head -n 1 "$txt"))" \
	grep -qE '^Active connections: [0-9]+ $' <(head -n 1 "$txt")
# the kernel's counters, passed through: the status connection is one more TlsTxSw
want_tx=$(($(stat_of "$O/tls_stat.text" TlsTxSw) + 1))
check "status text: TlsTxSw $want_tx ($(grep -o 'TlsTxSw [0-9]*' "$txt"))" \
	grep -q "^Kernel TLS counters (/proc/net/tls_stat):.* TlsTxSw $want_tx " "$txt"
check "status text: TlsDecryptError passed through" grep -q ' TlsDecryptError 0' "$txt"
jget() { python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); print(eval("d"+sys.argv[2]))' "$O/status.json" "$1" 2>&1; }
check "status JSON: tx sw $(jget '["ktls_modes"]["tx"]["sw"]'), expected 8" [ "$(jget '["ktls_modes"]["tx"]["sw"]')" = 8 ]
check "status JSON: tx off $(jget '["ktls_modes"]["tx"]["off"]'), expected 2" [ "$(jget '["ktls_modes"]["tx"]["off"]')" = 2 ]
check "status JSON: rx sw $(jget '["ktls_modes"]["rx"]["sw"]'), expected 3" [ "$(jget '["ktls_modes"]["rx"]["sw"]')" = 3 ]
check "status JSON: rx off $(jget '["ktls_modes"]["rx"]["off"]'), expected 7" [ "$(jget '["ktls_modes"]["rx"]["off"]')" = 7 ]
check "status JSON: tx hw $(jget '["ktls_modes"]["tx"]["hw"]'), expected 0" [ "$(jget '["ktls_modes"]["tx"]["hw"]')" = 0 ]
want_tx=$(($(stat_of "$O/tls_stat.json" TlsTxSw) + 1))
check "status JSON: tls_stat.TlsTxSw $(jget '["tls_stat"]["TlsTxSw"]'), expected $want_tx" \
	[ "$(jget '["tls_stat"]["TlsTxSw"]')" = "$want_tx" ]
check "status JSON: tls_stat.TlsCurrTxSw present" [ "$(jget '["tls_stat"]["TlsCurrTxSw"]')" -ge 1 ]

# --- ktlsd -V and the start-up notice -----------------------------------------------------
while read -r i; do
	check "ktlsd -V: $i with the offloads absent ($(grep "^  $i:" "$O/V"))" \
		grep -qx "  $i: tls-hw-tx-offload absent, tls-hw-rx-offload absent, tls-hw-record absent" "$O/V"
done <"$O/ifaces"
check "ktlsd -V lists lo" grep -q '^  lo: ' "$O/V"
check "ktlsd -V: TLS_SW only ($(grep 'kTLS modes' "$O/V"))" \
	grep -q '^kTLS modes: TLS_SW only (the kernel encrypts): no interface offers a TLS offload' "$O/V"
check "ktlsd -V: AES-GCM only" grep -q 'a NIC takes AES-GCM only' "$O/V"
check "start-up notice: NIC TLS offload none ($(grep -o 'NIC TLS offload.*' "$T/error.log" | head -n 1))" \
	grep -q '\[notice\].*kTLS available.*NIC TLS offload: none on [0-9]* interface.*TLS_SW' "$T/error.log"
check "no sock_diag failure logged" [ "$(grep -c 'sock_diag\|CAP_NET_ADMIN' "$T/error.log")" = 0 ]

uml_finish
