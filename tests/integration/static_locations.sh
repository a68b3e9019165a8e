#!/usr/bin/env bash
# location blocks with nginx's matching rules: = exact, longest prefix, ^~
# (only when it is the longest prefix), regex ~ / ~* in config order beating
# prefixes, matching on the decoded URI. Inside: root, alias, index,
# try_files ($uri, $uri/, =404, fallback URI re-matched: the single-page
# app), return CODE [URL|TEXT] and return URL, internal, error_page
# (custom pages from the tree, status kept, per-location override, missing
# target, POST turned into GET), add_header as the location marker.
# shellcheck source=../lib.sh disable=SC2119,SC2016,SC2034
. "${SRCDIR:-$(cd "$(dirname "$0")/../.." && pwd)}/tests/lib.sh"

mkdir -p "$WWW"/{a/b,img,static,pre/longer,re,spa/assets,spa/sub,strict,fb,int,err,own,idx,noindex,other} \
    "$T/aliased/sub" "$T/otherroot/other"
printf 'root index\n' >"$WWW/index.html"
printf 'x\n' >"$WWW/x.txt"
printf 'ab\n' >"$WWW/a/b/c.txt"
printf 'a\n' >"$WWW/a/c.txt"
printf 'PNG' >"$WWW/img/x.png"
printf 'PNG' >"$WWW/img/Y.PNG"
printf 'PNG' >"$WWW/static/x.png"
printf 'PNG' >"$WWW/pre/x.png"
printf 'PNG' >"$WWW/pre/longer/x.png"
printf 're\n' >"$WWW/re/a.text"
printf 're\n' >"$WWW/re/A.TEXT"
printf 're\n' >"$WWW/re/b.dat"
printf 'exact file\n' >"$WWW/exactfile"
printf '<html>spa</html>\n' >"$WWW/spa/index.html"
printf 'js\n' >"$WWW/spa/assets/app.js"
printf 'strict\n' >"$WWW/strict/ok.txt"
printf 'fallback\n' >"$WWW/fb/ok.txt"
printf 'internal\n' >"$WWW/int/page.html"
printf '<html>custom 404</html>\n' >"$WWW/err/404.html"
printf '<html>custom 403</html>\n' >"$WWW/err/403.html"
printf '<html>custom 405</html>\n' >"$WWW/err/405.html"
printf '<html>own 404</html>\n' >"$WWW/err/own404.html"
printf 'home\n' >"$WWW/idx/index.htm"
printf 'html\n' >"$WWW/idx/index.html"
printf 'aliased\n' >"$T/aliased/f.txt"
printf 'aliased index\n' >"$T/aliased/sub/index.html"
printf 'other root\n' >"$T/otherroot/other/f.txt"
printf 'NOT THIS\n' >"$WWW/other/f.txt"
chmod -R a+rX "$WWW" "$T/aliased" "$T/otherroot"

SERVER_EXTRA="
        error_page 404 /err/404.html;
        error_page 403 /err/403.html;
        error_page 405 /err/405.html;
        error_page 410 /err/missing.html;
        location = / { return 200 \"exact root\\n\"; }
        location = /exactfile { add_header X-Loc exact; }
        location /a/ { add_header X-Loc a; }
        location /a/b/ { add_header X-Loc ab; }
        location /img/ { add_header X-Loc prefix-img; }
        location ^~ /static/ { add_header X-Loc caret-static; }
        location ^~ /pre/ { add_header X-Loc caret-pre; }
        location /pre/longer/ { add_header X-Loc pre-longer; }
        location ~* \\.png\$ { add_header X-Loc regex-png; }
        location ~ \\.text\$ { add_header X-Loc regex-text; }
        location ~ ^/re/ { add_header X-Loc regex-re; }
        location /al/ { alias $T/aliased/; add_header X-Loc alias; }
        location /other/ { root $T/otherroot; add_header X-Loc other-root; }
        location /idx/ { index index.htm index.html; }
        location /spa/ { try_files \$uri \$uri/ /spa/index.html; add_header X-Loc spa; }
        location /strict/ { try_files \$uri =404; add_header X-Loc strict; }
        location /tf/ { try_files \$uri /fb/ok.txt; }
        location /tfi/ { try_files \$uri /int/page.html; }
        location /fb/ { add_header X-Loc fb; }
        location /int/ { internal; }
        location /err/ { internal; }
        location /own/ { error_page 404 /err/own404.html; }
        location = /r301 { return 301 /x.txt; }
        location = /r302 { return 302 https://example.com/elsewhere; }
        location = /r307 { return 307 /x.txt?q=1; }
        location = /rurl { return https://example.com/u; }
        location = /rtext { return 200 'hello from return'; }
        location = /rtext201 { return 201 \"created\\n\"; }
        location = /r204 { return 204; }
        location = /r403 { return 403; }
        location = /r404 { return 404; }
        location = /r410 { return 410; }
        location = /r500 { return 500; }"
gen_config
start_server || finish

# loc LABEL PATH X-LOC [STATUS]: expect STATUS (200) and X-Loc (empty: none)
loc() {
    fetch "$2"
    expect_eq "${4:-200}" "$ST" "$1: $2 -> ${4:-200}"
    expect_eq "$3" "$(hv X-Loc)" "$1: $2 handled by location '${3:-(none)}'"
}

# ---------------------------------------------------------------- matching
fetch /
expect_eq "exact root" "$(cat "$T/body")" "= / beats every prefix"
fetch /index.html
expect_eq "root index" "$(cat "$T/body")" "= / does not match /index.html"
loc "= exact on a file" /exactfile exact
loc "= exact ignores the query" "/exactfile?x=1" exact
loc "= does not match a longer URI" /exactfile/ "" 404
printf 'ab dat\n' >"$WWW/a/b/c.dat"
loc "longest prefix wins over a shorter one (file)" /a/b/c.dat ab
printf 'a dat\n' >"$WWW/a/c.dat"
loc "shorter prefix" /a/c.dat a
loc "regex beats a prefix" /img/x.png regex-png
loc "~* is case-insensitive" /img/Y.PNG regex-png
loc "^~ stops the regex search" /static/x.png caret-static
loc "^~ not the longest prefix: regexes still run" /pre/longer/x.png regex-png
loc "^~ longest prefix" /pre/x.png caret-pre
loc "first matching regex in config order" /re/a.text regex-text
loc "second regex" /re/b.dat regex-re
loc "~ is case-sensitive" /re/A.TEXT regex-re
loc "matching on the decoded URI" /st%61tic/x.png caret-static
loc "no location: server root" /x.txt ""

# ---------------------------------------------------------------- root / alias / index
loc "alias" /al/f.txt alias
check "alias: the file from the alias dir" body_is "$T/aliased/f.txt"
loc "alias + index" /al/sub/ alias
check "alias + index: body" body_is "$T/aliased/sub/index.html"
fetch /al/sub
expect_eq 301 "$ST" "alias: directory without slash -> 301"
expect_match '/al/sub/$' "$(hv Location)" "alias: 301 Location is the URI + /"
loc "root in a location" /other/f.txt other-root
check "root in a location: URI appended to that root" body_is "$T/otherroot/other/f.txt"
fetch /idx/
expect_eq 200 "$ST" "index list: 200"
expect_eq home "$(cat "$T/body")" "index index.htm index.html: the first that exists"
rm "$WWW/idx/index.htm"
fetch /idx/
expect_eq html "$(cat "$T/body")" "index list: falls to the second"

# ---------------------------------------------------------------- try_files
loc "try_files SPA: deep link -> fallback" /spa/some/client/route spa
check "try_files SPA: fallback body" body_is "$WWW/spa/index.html"
expect_match '^text/html' "$(hv Content-Type)" "try_files SPA: fallback Content-Type"
loc "try_files SPA: real file" /spa/assets/app.js spa
check "try_files SPA: real file body" body_is "$WWW/spa/assets/app.js"
loc "try_files SPA: the dir itself" /spa/ spa
check "try_files SPA: / -> index" body_is "$WWW/spa/index.html"
fetch /spa/some/route -I
expect_eq 200 "$ST" "try_files SPA: HEAD deep link -> 200"
fetch /spa/some/route -H "Range: bytes=0-5"
expect_eq 206 "$ST" "try_files SPA: Range on the fallback -> 206"
loc "try_files \$uri =404: file" /strict/ok.txt strict
fetch /strict/nope.txt
expect_eq 404 "$ST" "try_files \$uri =404: missing -> 404"
check "try_files =404: served through error_page" body_is "$WWW/err/404.html"
loc "try_files fallback URI is matched again" /tf/nope.txt fb
check "try_files fallback URI: body" body_is "$WWW/fb/ok.txt"
fetch /tfi/nope
expect_eq 200 "$ST" "try_files fallback into an internal location -> 200"
check "try_files fallback into an internal location: body" body_is "$WWW/int/page.html"

# ---------------------------------------------------------------- internal
fetch /int/page.html
expect_eq 404 "$ST" "internal location requested directly -> 404"
check "internal: custom 404 page" body_is "$WWW/err/404.html"
fetch /err/404.html
expect_eq 404 "$ST" "error page location is internal too -> 404"

# ---------------------------------------------------------------- return
fetch /r301 -H "Host: localhost"
expect_eq 301 "$ST" "return 301 /x.txt"
expect_eq "https://localhost:$PORT/x.txt" "$(hv Location)" "return 301: absolute Location (scheme, Host, port)"
fetch /r301 -H "Host: other.test:1234"
expect_eq "https://other.test:$PORT/x.txt" "$(hv Location)" "return 301: Location uses the Host name and the listen port"
fetch /r302
expect_eq 302 "$ST" "return 302 URL"
expect_eq "https://example.com/elsewhere" "$(hv Location)" "return 302: Location as given"
fetch /r307 -H "Host: localhost"
expect_eq 307 "$ST" "return 307"
expect_eq "https://localhost:$PORT/x.txt?q=1" "$(hv Location)" "return 307: Location with the query"
fetch /rurl
expect_eq 302 "$ST" "return URL -> 302"
expect_eq "https://example.com/u" "$(hv Location)" "return URL: Location"
fetch /rtext
expect_eq 200 "$ST" "return 200 TEXT"
expect_eq "hello from return" "$(cat "$T/body")" "return 200 TEXT: body"
expect_eq 17 "$(hv Content-Length)" "return 200 TEXT: Content-Length"
expect_eq application/octet-stream "$(hv Content-Type)" "return 200 TEXT: default_type"
fetch /rtext201
expect_eq 201 "$ST" "return 201 TEXT"
expect_eq created "$(cat "$T/body")" "return 201 TEXT: body"
fetch /rtext -I
expect_eq 200 "$ST" "HEAD return 200 TEXT"
expect_eq 0 "$(head_body_len /rtext)" "HEAD return 200 TEXT: no body"
fetch /r204
expect_eq 204 "$ST" "return 204"
expect_eq 0 "$(wc -c <"$T/body" | tr -d ' ')" "return 204: no body"
fetch /r403
expect_eq 403 "$ST" "return 403"
check "return 403: error_page 403 page" body_is "$WWW/err/403.html"
fetch /r404
expect_eq 404 "$ST" "return 404"
check "return 404: error_page 404 page" body_is "$WWW/err/404.html"
fetch /r500
expect_eq 500 "$ST" "return 500"
expect_match '<h1>500 Internal Server Error</h1>' "$(cat "$T/body")" "return 500: built-in error page"

# ---------------------------------------------------------------- error_page
fetch /nope.txt
expect_eq 404 "$ST" "error_page 404: status stays 404"
check "error_page 404: the custom page" body_is "$WWW/err/404.html"
expect_match '^text/html' "$(hv Content-Type)" "error_page 404: Content-Type of the page"
expect_eq "$(wc -c <"$WWW/err/404.html" | tr -d ' ')" "$(hv Content-Length)" "error_page 404: Content-Length of the page"
fetch /nope.txt -I
expect_eq 404 "$ST" "error_page 404, HEAD: 404"
expect_eq 0 "$(head_body_len /nope.txt)" "error_page 404, HEAD: no body"
fetch /noindex/
expect_eq 403 "$ST" "error_page 403: directory without index -> 403"
check "error_page 403: the custom page" body_is "$WWW/err/403.html"
fetch /own/nope
expect_eq 404 "$ST" "error_page in a location: 404"
check "error_page in a location overrides the server's" body_is "$WWW/err/own404.html"
fetch /x.txt -X POST -d x
expect_eq 405 "$ST" "error_page 405: POST -> 405"
check "error_page 405: page served to a POST (redirect as GET)" body_is "$WWW/err/405.html"
fetch /r410
expect_eq 404 "$ST" "error_page whose page is missing -> 404 (nginx)"
expect_match '<h1>404 Not Found</h1>' "$(cat "$T/body")" "error_page whose page is missing: built-in 404 page"
fetch /x.txt -H "If-Match: \"nope\""
expect_eq 412 "$ST" "412 is not redirected by error_page 404"

finish
