#!/usr/bin/env bash
# A real browser over HTTP/2: headless Chromium loads a page with 50 assets
# (20 images, 15 stylesheets, 15 scripts, 2 KiB to 40 KiB each, so that
# some span several DATA frames) from ktlsd with "http2 on". A script in
# the page counts the assets whose load event fired, the errors, and, from
# the Resource Timing entries, how many came over h2; it writes the result
# into the DOM, which --dump-dom prints. Then ktlsd's access log must show
# the page and all 50 assets as HTTP/2.0 requests, status 200, full size,
# on ONE connection ($connection the same, $connection_requests 1..51).
# shellcheck source=../lib.sh disable=SC2016
. "${SRCDIR:-$(cd "$(dirname "$0")/../.." && pwd)}/tests/lib.sh"
[ "$IS_NGINX" = 1 ] && skip "the test is about ktlsd's HTTP/2 (nginx would pass it too)"
need chromium

N_IMG=20 N_CSS=15 N_JS=15
# a 1x1 PNG; the padding after IEND (ignored by decoders) makes the files larger
PNG=iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8DwHwAFBQIAX8jx0gAAAABJRU5ErkJggg==
mkdir -p "$WWW/img" "$WWW/css" "$WWW/js"
body=""
for i in $(seq 1 $N_IMG); do
	f=$WWW/img/i$i.png
	{
		base64 -d <<<"$PNG"
		head -c $((i * 2048)) /dev/zero
	} >"$f"
	body="$body<img src=\"/img/i$i.png\" onload=\"seen(this)\" onerror=\"bad(this)\">"
done
for i in $(seq 1 $N_CSS); do
	{
		printf '.c%d { color: #%06x; }\n' "$i" "$i"
		for j in $(seq 1 $((i * 40))); do printf '.c%d-%d { margin: %dpx; }\n' "$i" "$j" "$j"; done
	} >"$WWW/css/c$i.css"
	body="$body<link rel=\"stylesheet\" href=\"/css/c$i.css\" onload=\"seen(this)\" onerror=\"bad(this)\">"
done
for i in $(seq 1 $N_JS); do
	{
		printf 'window.js%d = %d;\n' "$i" "$i"
		for j in $(seq 1 $((i * 30))); do printf '// filler line %d of script %d\n' "$j" "$i"; done
	} >"$WWW/js/j$i.js"
	body="$body<script src=\"/js/j$i.js\" onload=\"seen(this)\" onerror=\"bad(this)\"></script>"
done
# seen()/bad() are defined before any asset; the verdict is written on "load",
# which fires once every image, stylesheet and script has loaded or failed.
cat >"$WWW/index.html" <<EOF
<!doctype html><html><head><meta charset="utf-8"><title>h2 browser</title>
<link rel="icon" href="data:,">
<script>
var loaded = 0, errors = [];
function seen(e) { loaded++; }
function bad(e) { errors.push(e.src || e.href); }
window.addEventListener('load', function () {
  var h2 = 0, other = [];
  performance.getEntriesByType('resource').forEach(function (r) {
    if (r.nextHopProtocol === 'h2') h2++; else other.push(r.name + '=' + r.nextHopProtocol);
  });
  var d = document.createElement('div');
  d.id = 'verdict';
  d.textContent = 'VERDICT loaded=' + loaded + ' errors=' + errors.length + ' h2=' + h2 +
    ' page=' + performance.getEntriesByType('navigation')[0].nextHopProtocol +
    ' other=' + other.join(',') + ' failed=' + errors.join(',');
  document.body.appendChild(d);
});
</script>
</head><body>
$body
</body></html>
EOF
chmod -R a+rX "$WWW"
total=$((N_IMG + N_CSS + N_JS))

SERVER_EXTRA='http2 on;' \
	HTTP_EXTRA='log_format h2 "$connection $connection_requests $server_protocol $status $body_bytes_sent $request_uri";' \
	ACCESS_LOG="$T/access.log h2" gen_config
start_server || finish

# --no-sandbox: the sandbox cannot start as root or in most containers; the
# browser only ever talks to this test's server.
timeout -k 5 40 chromium --headless=new --no-sandbox --disable-gpu --disable-dev-shm-usage \
	--ignore-certificate-errors --no-first-run --no-default-browser-check \
	--disable-background-networking --disable-component-update --disable-sync \
	--user-data-dir="$T/chromium" --dump-dom "$(url /)" >"$T/dom.html" 2>"$T/chromium.err"
rc=$?
verdict=$(grep -o 'VERDICT loaded=[0-9][^<]*' "$T/dom.html")
log "chromium exit $rc: ${verdict:-no verdict; stderr: $(tail -n 3 "$T/chromium.err" | tr '\n' ' ')}"
expect_eq 0 "$rc" "chromium --headless --dump-dom exits 0"
num() { sed -n "s/.* $1=\([^ ]*\).*/\1/p" <<<"$verdict"; }
expect_eq "$total" "$(num loaded)" "the browser loaded all $total assets"
expect_eq 0 "$(num errors)" "no asset failed ($(num failed))"
expect_eq "$total" "$(num h2)" "Resource Timing: all $total assets came over h2 ($(num other))"
expect_eq h2 "$(num page)" "the page itself came over h2"

stop_server # the access log is complete once the server has stopped
# the page, the 50 assets (anything else Chromium asks for would be extra lines)
awk '$6 ~ /^\/(index\.html)?$|^\/(img|css|js)\//' "$T/access.log" >"$T/page.log"
expect_eq $((total + 1)) "$(wc -l <"$T/page.log")" "access log: the page and $total assets"
expect_eq 1 "$(awk '{ print $1 }' "$T/page.log" | sort -u | wc -l)" \
	"access log: all on one connection (\$connection: $(awk '{ print $1 }' "$T/page.log" | sort -u | tr '\n' ' '))"
expect_eq "HTTP/2.0 200" "$(awk '{ print $3, $4 }' "$T/page.log" | sort -u | tr '\n' ' ' | sed 's/ $//')" \
	"access log: every request HTTP/2.0 and 200"
expect_eq "$(seq 1 $((total + 1)) | tr '\n' ' ')" "$(awk '{ print $2 }' "$T/page.log" | sort -n | tr '\n' ' ')" \
	"access log: \$connection_requests 1..$((total + 1)) on that connection"
short=0
while read -r _ _ _ _ bytes uri; do
	f=$WWW$uri
	[ "$uri" = / ] && f=$WWW/index.html
	[ "$bytes" = "$(stat -c %s "$f")" ] || short=$((short + 1))
done <"$T/page.log"
expect_eq 0 "$short" "access log: every response had the file's full size"
finish
