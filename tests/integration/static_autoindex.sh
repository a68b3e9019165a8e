#!/usr/bin/env bash
# autoindex on|off (off by default: 403): an HTML listing in nginx's layout:
# "../" first, directories first, then files, each group in byte order;
# dot files hidden; hrefs percent-encoded, names HTML-escaped (also in the
# title); dates "DD-Mon-YYYY HH:MM" (GMT); exact sizes, "-" for directories.
# shellcheck source=../lib.sh disable=SC2119,SC2016,SC2034
. "${SRCDIR:-$(cd "$(dirname "$0")/../.." && pwd)}/tests/lib.sh"

D=$WWW/files
LONG=a-very-long-file-name-that-goes-well-beyond-fifty-characters.txt
mkdir -p "$D"/{sub,'z dir','a&dir','<d>'} "$WWW/off" "$WWW/withindex"
for f in 'a&b.txt' '<x>.txt' 'sp ace.txt' '"q".txt' 'ü.txt' 'B.txt' 'a.txt' '10.txt' '2.txt' \
    '.hidden' '100%.txt' 'q?.txt' 'h#.txt' "it's.txt" 'plus+.txt' "$LONG"; do
    printf '%s\n' "$f" >"$D/$f"
done
head -c 123456 /dev/zero >"$D/zeros.bin"
: >"$D/empty"
mkdir "$D/.hiddendir"
printf 'x\n' >"$WWW/off/f.txt"
printf 'index page\n' >"$WWW/withindex/index.html"
printf 'x\n' >"$WWW/withindex/other.txt"
chmod -R a+rX "$WWW"
find "$D" -exec touch -h -d '2021-03-04 05:06:07 UTC' {} +
touch -d '2020-12-31 23:59:59 UTC' "$D/zeros.bin" "$D/sub"

SERVER_EXTRA='
        location /files/ { autoindex on; }
        location /withindex/ { autoindex on; }' gen_config
start_server || finish

# rows < HTML: one "HREF|TEXT|DATE|SIZE" line per entry (blanks collapsed)
rows() {
    "$PY" -c '
import re, sys
html = sys.stdin.buffer.read().decode("utf-8", "replace")
for m in re.finditer(r"<a href=\"([^\"]*)\">(.*?)</a>[ \t]*([0-9]{2}-[A-Z][a-z]{2}-[0-9]{4} [0-9]{2}:[0-9]{2})?[ \t]*(\S*)", html):
    href = m.group(1).replace("%27", "'"'"'").replace("%2B", "+").replace("%2b", "+")
    print("%s|%s|%s|%s" % (href, m.group(2), m.group(3) or "", m.group(4)))'
}

fetch /files/
expect_eq 200 "$ST" "autoindex on: 200"
expect_match '^text/html' "$(hv Content-Type)" "autoindex: Content-Type text/html"
expect_match '<title>Index of /files/</title>' "$(cat "$T/body")" "autoindex: title"
expect_match '<h1>Index of /files/</h1>' "$(cat "$T/body")" "autoindex: heading"
rows <"$T/body" >"$T/rows"
D1='04-Mar-2021 05:06'
D0='31-Dec-2020 23:59'
cat >"$T/want" <<EOF
../|../||
%3Cd%3E/|&lt;d&gt;/|$D1|-
a%26dir/|a&amp;dir/|$D1|-
sub/|sub/|$D0|-
z%20dir/|z dir/|$D1|-
%22q%22.txt|&quot;q&quot;.txt|$D1|8
10.txt|10.txt|$D1|7
100%25.txt|100%.txt|$D1|9
2.txt|2.txt|$D1|6
%3Cx%3E.txt|&lt;x&gt;.txt|$D1|8
B.txt|B.txt|$D1|6
a%26b.txt|a&amp;b.txt|$D1|8
$LONG|LONG|$D1|65
a.txt|a.txt|$D1|6
empty|empty|$D1|0
h%23.txt|h#.txt|$D1|7
it's.txt|it's.txt|$D1|9
plus+.txt|plus+.txt|$D1|10
q%3F.txt|q?.txt|$D1|7
sp%20ace.txt|sp ace.txt|$D1|11
zeros.bin|zeros.bin|$D0|123456
%C3%BC.txt|ü.txt|$D1|7
EOF
# the long name's text may be shortened (nginx: 50 columns, "..&gt;")
sed -i "s#^\($LONG\)|\(a-very-long[^|]*\)|#\1|LONG|#" "$T/rows"
if cmp -s "$T/want" "$T/rows"; then
    ok "autoindex: entries, order, escaping, dates and sizes"
else
    fail "autoindex: entries differ (want vs got):"
    diff "$T/want" "$T/rows" | sed 's/^/#   /'
fi
check_not "autoindex: dot files hidden" grep -q 'hidden' "$T/body"
check_not "autoindex: no raw '<x>' in the page" grep -q '<x>' "$T/body"

fetch "/files/a%26dir/"
expect_eq 200 "$ST" "autoindex of a directory named a&dir: 200"
expect_match '<title>Index of /files/a&amp;dir/</title>' "$(cat "$T/body")" "autoindex: title HTML-escaped"
fetch "/files/%3Cd%3E/"
check_not "autoindex: '<d>' escaped in the title" grep -q '<d>' "$T/body"
fetch /files/sub/
expect_eq "../|../||" "$(rows <"$T/body")" "empty directory: only ../"

# every link works
for href in a%26b.txt %3Cx%3E.txt sp%20ace.txt %22q%22.txt 100%25.txt q%3F.txt h%23.txt %C3%BC.txt; do
    expect_eq 200 "$(hstatus "$(url "/files/$href")")" "autoindex link /files/$href -> 200"
done

fetch /files -H "Host: localhost"
expect_eq 301 "$ST" "autoindex dir without slash -> 301"
fetch /files/ -I
expect_eq 200 "$ST" "HEAD autoindex -> 200"
expect_eq 0 "$(head_body_len /files/)" "HEAD autoindex: no body"
fetch /withindex/
check "autoindex on + index.html: the index is served" body_is "$WWW/withindex/index.html"
fetch /off/
expect_eq 403 "$ST" "autoindex off by default: 403"

finish
