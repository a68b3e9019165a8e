#!/usr/bin/env bash
# One docroot, one nginx-syntax config, two servers: nginx (the reference,
# /usr/sbin/nginx or $NGINX) and $KTLSD, each on its own TLS port. The ~90
# requests of compare/requests.txt go to both (raw TLS sockets, one
# connection each, then a second request on the same connection when it is
# kept open) and compare/compare.py compares status, the interim 1xx, the key
# headers (Content-Type/-Length/-Range/-Encoding, Vary, ETag, Last-Modified,
# Location, Allow, Expires relative to Date, Cache-Control, Accept-Ranges,
# Connection, every X-*) and the body bytes (multipart boundaries normalised;
# "ktlsd" in a generated error page reads as "nginx"; autoindex: runs of
# blanks count as one). Server and Date are not compared. Then the requests
# HTTP/2 can carry go again over HTTP/2 (compare.py --h2; the default server
# listens "ssl http2"), compared the same way.
#
# Intentional differences, not compared here (see static_*.sh):
#   - 405: nginx sends no Allow; ktlsd must send "Allow: GET, HEAD" (checked).
#   - RFC 9110 precedence (If-None-Match over If-Modified-Since, If-Match over
#     If-Unmodified-Since) and If-Modified-Since later than the file: nginx
#     deviates (if_modified_since exact); static_conditional.sh has them.
#   - brotli_static: not in Debian's nginx (static_precompressed.sh, ktlsd only).
#   - gzip_vary on: given to nginx only (ktlsd always sends Vary with
#     gzip_static, as the issue asks).
# With KTLSD=/usr/sbin/nginx both sides are nginx: a self-check of the harness.
#
# Env: NGINX (reference binary), COMPARE_DUMP=1 (print nginx's responses).
# shellcheck source=../lib.sh disable=SC2119,SC2016,SC2034
. "${SRCDIR:-$(cd "$(dirname "$0")/../.." && pwd)}/tests/lib.sh"

HERE=$SRCDIR/tests/integration

# ---------------------------------------------------------------- docroot
A=$T/assets
mkdir -p "$WWW"/{dir,noindex,img,IMG,re,deep/er,gz,gza,gzoff,app/sub,app/withidx,strict,files/sub,private,errors} \
    "$WWW"/{exp/1h,exp/epoch,exp/max,exp/off,exp/neg,typed,raw,links,hdr} "$A/sub" "$T/vhost-b" "$T/vhost-c"
printf '<html>home</html>\n' >"$WWW/index.html"
printf 'hello, world\n' >"$WWW/a.txt"
: >"$WWW/empty.txt"
python3 -c 'import random,sys; r=random.Random(7); sys.stdout.buffer.write(bytes(r.getrandbits(8) for _ in range(100000)))' >"$WWW/big.bin"
printf 'body { color: red }\n' >"$WWW/style.css"
printf 'whatever\n' >"$WWW/data.unknownext"
printf '<html>dir index</html>\n' >"$WWW/dir/index.html"
printf 'x\n' >"$WWW/noindex/file.txt"
printf 'exact prefix file\n' >"$WWW/exact.txt"
printf 'PNGDATA' >"$WWW/img/pic.png"
printf 'PNGUPPER' >"$WWW/IMG/PIC.PNG"
printf 'PNGALIAS' >"$A/img.png"
printf 'alias sub\n' >"$A/sub/f.txt"
printf 're lower\n' >"$WWW/re/abc.txt"
printf 're upper\n' >"$WWW/re/ABC.TXT"
printf 'deep\n' >"$WWW/deep/a.txt"
printf 'deeper\n' >"$WWW/deep/er/a.txt"
for d in gz gza gzoff; do
    python3 -c 'print("/* css */\n" + "a { color: blue }\n" * 200)' >"$WWW/$d/s.css"
    gzip -9 -n -c "$WWW/$d/s.css" >"$WWW/$d/s.css.gz"
done
printf 'var x = 1;\n' >"$WWW/gz/plain.js"
printf 'only gz\n' | gzip -n -c >"$WWW/gz/only.txt.gz"
printf '<html>spa</html>\n' >"$WWW/app/index.html"
printf 'console.log(1)\n' >"$WWW/app/real.js"
printf '<html>withidx</html>\n' >"$WWW/app/withidx/index.html"
printf 'strict\n' >"$WWW/strict/ok.txt"
for f in 'a&b.txt' '<x>.txt' 'sp ace.txt' '"q".txt' 'ü.txt' 'B.txt' '.hidden' \
    'a-very-long-file-name-that-goes-beyond-fifty-characters.txt'; do
    printf '%s\n' "$f" >"$WWW/files/$f"
done
head -c 123456 /dev/zero >"$WWW/files/zeros.bin"
printf 'in sub\n' >"$WWW/files/sub/x.txt"
printf 'secret\n' >"$WWW/private/secret.txt"
printf '<html>custom 404</html>\n' >"$WWW/errors/404.html"
printf '<html>custom 403</html>\n' >"$WWW/errors/403.html"
for d in 1h epoch max off neg; do printf '%s\n' "$d" >"$WWW/exp/$d/f.txt"; done
printf 'custom type\n' >"$WWW/typed/x.cust"
printf 'txt in typed\n' >"$WWW/typed/y.txt"
printf 'raw\n' >"$WWW/raw/file.unknownext"
ln -s ../a.txt "$WWW/links/in.txt"
ln -s a.txt "$WWW/sym.txt"
printf 'hdr\n' >"$WWW/hdr/f.txt"
mkdir -p "$WWW/sent" && printf 'sent\n' >"$WWW/sent/f.txt"
printf 'a\n' >"$WWW/who.txt"
printf 'b\n' >"$T/vhost-b/who.txt"
printf 'c\n' >"$T/vhost-c/who.txt"
mkdir -p "$T/vr/one/vroot" && printf 'root one\n' >"$T/vr/one/vroot/x.txt"
chmod -R a+rX "$WWW" "$A" "$T/vhost-b" "$T/vhost-c" "$T/vr"
# fixed mtimes: ETag/Last-Modified/autoindex dates are the same for both
find "$WWW" "$A" "$T/vhost-b" "$T/vhost-c" "$T/vr" -exec touch -h -d '2021-03-04 05:06:07 UTC' {} +
touch -d '2022-11-12 13:14:15 UTC' "$WWW/gz/s.css.gz" "$WWW/files/zeros.bin"

gen_cert "$CERT" "$KEY" localhost

# ---------------------------------------------------------------- config
# pair_http NAME PORT: the http{} body both servers run
pair_http() {
    local n=$1 p=$2
    cat <<EOF
    include $MIME_TYPES;
    default_type application/octet-stream;
    server_tokens off;
    sendfile on;
    keepalive_timeout 10s;
    client_max_body_size 1k;
    access_log $T/access-$n.log;

    server {
        listen 127.0.0.1:$p ssl http2 default_server;
        server_name localhost a.test;
        root $WWW;
        index index.html;
        ssl_certificate $CERT;
        ssl_certificate_key $KEY;
        error_page 404 /errors/404.html;
        error_page 403 /errors/403.html;
        add_header X-Server main;
        add_header X-Always yes always;

        location = /exact { return 200 "exact match\n"; }
        location /exact { add_header X-Loc exact-prefix; }
        location ^~ /static/ { alias $A/; }
        location ~* \.(png|jpe?g)\$ { expires 7d; add_header X-Loc regex-img; }
        location ~ ^/re/\w+\.txt\$ { add_header X-Loc regex-txt; }
        location /deep/ { add_header X-Loc deep; }
        location /deep/er/ { add_header X-Loc deeper; }
        location /gz/ { gzip_static on; }
        location /gza/ { gzip_static always; }
        location /gzoff/ { gzip_static off; }
        location /app/ { try_files \$uri \$uri/ /app/index.html; }
        location /strict/ { try_files \$uri =404; }
        location /files/ { autoindex on; }
        location /private/ { internal; }
        location /errors/ { internal; }
        location = /old { return 301 /a.txt; }
        location = /moved { return 302 https://example.com/elsewhere; }
        location = /text { return 200 "hello from return\n"; }
        location = /forbidden { return 403; }
        location = /gone { return 410; }
        location = /nocontent { return 204; }
        location /exp/1h/ { expires 1h; }
        location /exp/epoch/ { expires epoch; }
        location /exp/max/ { expires max; }
        location /exp/off/ { expires off; }
        location /exp/neg/ { expires -1; }
        location /typed/ { types { text/x-custom cust; } default_type text/x-default; }
        location /raw/ { default_type text/plain; }
        location /links/ { disable_symlinks on; }
        location /hdr/ { add_header X-Loc hdr; add_header Cache-Control "public, max-age=60"; }
        # variables, captures, named locations, return 444 (issue "Trust first", part 3)
        location ~* ^/cb/(.+)\.v\d+\.(css)\$ { try_files \$uri /\$1.\$2; }
        location = /redir-host { return 301 https://\$http_host\$request_uri; }
        location = /redir-arg { return 302 /x?a=\$arg_foo; }
        location = /drop { return 444; }
        location /fb/ { try_files /nonexistent @fallback; }
        location /fbfile/ { try_files /nonexistent @fbfile; }
        location /ep/ { error_page 404 @fbfile; }
        location /sent/ { add_header X-Sent "\$sent_http_content_type|\$sent_http_content_length|\$sent_http_etag|\$sent_http_last_modified|\$sent_http_x_nope"; }
        location /epeq/ { error_page 404 = @fbfile; }
        location /epequri/ { error_page 404 = /a.txt; }
        location /epcode/ { error_page 404 =200 @fallback; }
        location @fallback { return 200 "fallback \$uri \$is_args\$args|\$arg_b\n"; }
        location @fbfile { add_header X-Loc named; try_files /a.txt =404; }
        location = /vars {
            add_header X-Vars "\$scheme \$https \$server_protocol \$request_method \$is_args";
            add_header X-Req "\$http_x_test|\$cookie_sid|\$arg_q|\$server_addr";
            return 200 "\$host \$request_uri \$uri \$args \$document_root \$realpath_root \$request_filename \$ssl_server_name \$ssl_session_reused \$remote_addr \$server_name\n";
        }
        location ~ ^/ali/(\w+)/(.+)\$ { alias $A/\$1/\$2; }
        location ~ ^/aln/(?<rest>.+)\$ { alias $A/sub/\$rest; }
        location /av/ { alias $A/\$arg_d/; }
        location /vroot/ { root $T/vr/\$arg_v; }
        location ~ ^/cap/(?<word>[a-z]+)/(\d+)\$ { return 200 "word=\$word 1=\$1 2=\$2 3=\$3\n"; }
    }
    server {
        listen 127.0.0.1:$p ssl;
        server_name ~^(www\.)?(?<dom>.+)\.rx\.test\$;
        root $WWW;
        ssl_certificate $CERT;
        ssl_certificate_key $KEY;
        location / { return 200 "rx dom=\$dom 1=\$1 2=\$2 host=\$host sn=\$server_name\n"; }
        location ~ ^/in/(\w+)\$ { return 200 "rx dom=\$dom 1=\$1 2=\$2\n"; }
        location ~ ^/nocap/ { return 200 "rx 2=\$2\n"; }
    }

    server {
        listen 127.0.0.1:$p ssl;
        server_name b.test;
        root $T/vhost-b;
        ssl_certificate $CERT;
        ssl_certificate_key $KEY;
    }

    server {
        listen 127.0.0.1:$p ssl;
        server_name *.wild.test;
        root $T/vhost-c;
        ssl_certificate $CERT;
        ssl_certificate_key $KEY;
    }
EOF
}

PAIR_NGINX_HTTP="gzip_vary on;"
pair_start
pair_compare "$HERE/compare/requests.txt"
# The same requests over HTTP/2 (both listen "ssl http2", the form nginx 1.22
# knows): what HTTP/2 can carry of them, one stream each.
pair_compare --h2 "$HERE/compare/requests.txt"
finish
