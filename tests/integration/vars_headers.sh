#!/usr/bin/env bash
# Variables expanded into headers (return's Location, add_header values) can
# carry what the client sent, decoded: "$1" of "/a%0d%0aX-Evil: yes". ktlsd
# writes control bytes as %XX, so no value ends a header line (nginx writes
# them raw: a CRLF injection). Not in nginx_compare for that reason.
# shellcheck source=../lib.sh disable=SC2119,SC2016,SC2034
. "${SRCDIR:-$(cd "$(dirname "$0")/../.." && pwd)}/tests/lib.sh"
[ "$IS_NGINX" = 1 ] && skip "nginx writes decoded captures into headers as they are"

PLAIN=1 SERVER_EXTRA='location ~ ^/inj/([\s\S]*)$ { add_header X-C "<$1>" always; return 302 /x/$1; }
        location ~ ^/ok/(.*)$ { return 301 /new/$1?$args; }' gen_config
start_server || finish

H=$(printf 'GET /inj/a%%0d%%0aX-Evil:%%20yes HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n' |
    raw "$PLAIN_PORT" 2>/dev/null | tr -d '\r' | sed '/^$/q')
expect_eq 302 "$(echo "$H" | head -n1 | cut -d' ' -f2)" "capture with CR LF: still a 302"
check_not "no header injected" grep -qi '^X-Evil' <<<"$H"
expect_eq "http://x:$PLAIN_PORT/x/a%0D%0AX-Evil: yes" "$(echo "$H" | header Location)" "Location: control bytes as %XX"
expect_eq "<a%0D%0AX-Evil: yes>" "$(echo "$H" | header X-C)" "add_header value: control bytes as %XX"

H=$(hheaders "$(purl '/ok/a%20b.txt?q=1')")
expect_eq "http://127.0.0.1:$PLAIN_PORT/new/a b.txt?q=1" "$(echo "$H" | header Location)" "ordinary values unchanged"

finish
