#!/usr/bin/env bash
# The rewrite module and map (issue "Real nginx configurations run
# unchanged"): one config served by nginx (the reference, /usr/sbin/nginx
# or $NGINX) and by $KTLSD, the requests of compare/rewrite_requests.txt
# sent to both and compared by compare/compare.py: map (exact, caseless,
# regex with captures, default, hostnames, include, ""), map variables in
# add_header / return / try_files / root, h5bp's $sent_http_content_type
# maps, set, if (=, !=, ~, ~*, !~, $var, -f, -d, -e and their negations,
# with add_header / expires / root / return / rewrite inside), rewrite
# (last, break, redirect, permanent, absolute replacements, arguments kept
# or dropped, a cycle), server-level rewrites before the location search,
# certbot's "if ($host = ...) { return 301 ...; }". Then -t on what ktlsd
# refuses (FILE:LINE).
# shellcheck source=../lib.sh disable=SC2119,SC2016,SC2034
. "${SRCDIR:-$(cd "$(dirname "$0")/../.." && pwd)}/tests/lib.sh"

HERE=$SRCDIR/tests/integration

# ---------------------------------------------------------------- docroot
mkdir -p "$WWW"/{new,re,rw,brkdir,if/sub,ifroot,ifexp,int,tf,h5} "$T/alt/ifroot"
printf 'hello, world\n' >"$WWW/a.txt"
printf '<html>home</html>\n' >"$WWW/index.html"
printf 'new x\n' >"$WWW/new/x.txt"
printf 'brk\n' >"$WWW/brkdir/f.txt"
printf 'if file\n' >"$WWW/if/f.txt"
mkdir -p "$WWW/if/sub2" && printf 'if sub2\n' >"$WWW/if/sub2/index.html"
printf 'main root\n' >"$WWW/ifroot/r.txt"
printf 'alt root\n' >"$T/alt/ifroot/r.txt"
printf 'exp\n' >"$WWW/ifexp/e.txt"
printf 'internal\n' >"$WWW/int/a.txt"
printf 'tf b\n' >"$WWW/tf/b.txt"
printf '<html>h5</html>\n' >"$WWW/h5/p.html"
mkdir -p "$WWW/wp" && printf 'wp index\n' >"$WWW/wp/index.html" && printf 'wp real\n' >"$WWW/wp/real.txt"
printf 'body{}\n' >"$WWW/h5/s.css"
printf 'PNG' >"$WWW/h5/i.png"
printf '{}\n' >"$WWW/h5/d.json"
chmod -R a+rX "$WWW" "$T/alt"
find "$WWW" "$T/alt" -exec touch -h -d '2021-03-04 05:06:07 UTC' {} +
printf '/inc.txt "from include";\n~^/incre/(.+)$ inc-$1;\n' >"$T/map-inc.conf"

gen_cert "$CERT" "$KEY" localhost

# ---------------------------------------------------------------- config
# pair_http NAME PORT: the http{} body both servers run
pair_http() {
    local n=$1 p=$2
    cat <<EOF
    log_format rw '\$request_uri \$status m=\$mapped x=\$x_frame_options s=\$seen';
    access_log $T/rw-$n.log rw;
    include $MIME_TYPES;
    default_type application/octet-stream;
    server_tokens off;

    map \$uri \$mapped {
        default         "dflt";
        /a.txt          "exact";
        /CaSe.txt       "caseless";
        \\default       "word";
        ~^/re/(?<name>\w+)\.txt\$ "re-\$name";
        ~*^/ci/(.*)\$    "ci-\$1";
        include $T/map-inc.conf;
    }
    map \$args \$vargs {
        volatile;
        default         "none";
        x               "x-val";
    }
    map \$args \$cargs {
        default         "none";
        x               "x-val";
    }
    map \$host \$hmap {
        hostnames;
        default         none;
        example.org     exact;
        *.example.org   wild;
        .example.net    dotted;
        www.example.*   tail;
    }
    map \$http_x_test \$xt {
        ""              empty;
        default         set;
        volatile;
    }
    map \$arg_f \$tfname {
        default         a.txt;
        b               tf/b.txt;
    }
    map \$arg_r \$rootpick {
        default         www;
        alt             alt;
    }
    map \$mapped \$chained {
        default         "chain-\$mapped";
    }
    map \$sent_http_content_type \$cache_control {
        default                           "public, immutable, stale-while-revalidate";
        ""                                "no-store";
        ~*text/html                       "private, must-revalidate";
        ~*json                            "";
    }
    map \$sent_http_content_type \$expires {
        default                           1y;
        ""                                off;
        ~*image/svg\+xml                  1y;
        ~*text/html                       epoch;
        ~*json                            epoch;
        ~*text/css                        -1h;
    }
    map \$sent_http_content_type \$x_frame_options {
        ~*text/html DENY;
    }

    server {
        listen 127.0.0.1:$p ssl default_server;
        server_name localhost;
        root $WWW;
        ssl_certificate $CERT;
        ssl_certificate_key $KEY;

        rewrite ^/old/(.*)\$ /new/\$1 permanent;
        rewrite ^/srvlast/(.*)\$ /new/\$1 last;
        rewrite ^/srvplain\$ /a.txt;
        rewrite ^/srvint\$ /int/a.txt;
        if (\$http_x_block) {
            return 418;
        }

        location / {
            add_header X-Map \$mapped;
            add_header X-Chained \$chained;
        }
        location = /hmap { return 200 "h=\$hmap"; }
        location = /xt { return 200 "xt=\$xt"; }
        location /tf/ { try_files /\$tfname =404; }
        location /pick/ { root $T/\$rootpick; rewrite ^/pick/(.*)\$ /ifroot/\$1 break; }
        location /h5/ {
            expires \$expires;
            add_header Cache-Control \$cache_control;
            add_header X-Frame-Options \$x_frame_options always;
        }

        location /set {
            set \$a "hello";
            set \$b "\$a-\$uri";
            return 200 "b=\$b";
        }
        location /setover {
            set \$mapped "overridden";
            return 200 "m=\$mapped";
        }

        location /if/ {
            if (\$arg_x = 1) {
                return 200 "x is 1";
            }
            if (\$arg_x != 2) {
                add_header X-NotTwo yes;
            }
            if (\$arg_y) {
                add_header X-Y "y=\$arg_y";
            }
            if (\$arg_z ~ ^(\d+)-(\w+)\$) {
                return 200 "z \$1 \$2";
            }
            if (\$arg_w ~* "^OK\$") {
                return 200 "w ok";
            }
            if (\$arg_v !~ ^[a-z]*\$) {
                return 400;
            }
            if (-d \$request_filename) {
                add_header X-Dir yes always;
            }
            if (!-e \$request_filename) {
                return 404 "nothing here";
            }
            if (-f \$request_filename) {
                add_header X-File yes;
            }
        }
        location /ifroot/ {
            if (\$arg_alt) {
                root $T/alt;
            }
        }
        location /al/ {
            alias $T/alt/ifroot/;
            if (\$arg_h) {
                add_header X-H 1;
            }
        }
        location /ifexp/ {
            expires 1d;
            if (\$arg_e) {
                expires 1h;
            }
        }

        location /rw/ {
            rewrite ^/rw/last/(.*)\$ /\$1 last;
            rewrite ^/rw/brk/(.*)\$ /brkdir/\$1 break;
            rewrite ^/rw/redir(.*)\$ /target\$1 redirect;
            rewrite ^/rw/perm\$ /target permanent;
            rewrite ^/rw/echo/(.*)\$ /rw/echoed/\$1 last;
            rewrite ^/rw/argcap/(.*)\$ /rw/show?c=\$1 last;
            rewrite ^/rw/qa/(.*)\$ /target%41?x=\$1 redirect;
            rewrite ^/rw/abs\$ https://example.com/x;
            rewrite ^/rw/scheme\$ \$scheme://example.com/s;
            rewrite ^/rw/absq\$ https://example.com/x? redirect;
            rewrite ^/rw/args\$ /rw/show?p=1 last;
            rewrite ^/rw/noargs\$ /rw/show? last;
            rewrite ^/rw/plain\$ /a.txt;
            rewrite ^/rw/toint\$ /int/a.txt last;
            return 403;
        }
        location /rw/echoed/ { return 200 "uri=\$uri args=\$args"; }
        location = /rw/show { return 200 "args=\$args uri=\$uri"; }
        location /int/ { internal; }
        location /loop { rewrite ^ /loop last; }
        location /brkdir/ {
            break;
            return 403;
        }
        location = /late { return 200 "late=\$late_map set=\$late_set"; }
        location = /setlate { set \$late_set 1; return 200 "\$late_set"; }
        location /denyret {
            deny all;
            return 200 "return comes before access";
        }
        location /wp/ {
            if (!-e \$request_filename) {
                rewrite ^/wp/(.+)\$ /wp/index.html?p=\$1 last;
            }
        }
        location = /tohttps {
            rewrite ^ https://\$host\$request_uri? permanent;
        }
        location = /setif {
            set \$flag "";
            if (\$arg_a) {
                set \$flag "\${flag}A";
            }
            if (\$arg_b) {
                set \$flag "\${flag}B";
            }
            if (\$flag = AB) {
                return 200 "both";
            }
            return 200 "flag=\$flag";
        }
        location = /cached {
            set \$seen "\$cargs/\$vargs";
            rewrite ^ /show-cache?x? last;
        }
        location = /show-cache {
            return 200 "seen=\$seen now=\$cargs/\$vargs";
        }
        location /retmap { return 200 "m=\$mapped c=\$chained"; }
        location /caps/ {
            rewrite ^/caps/(\w+)/(\w+)\$ /rw/show?a=\$2&b=\$1 last;
        }
    }

    server {
        if (\$host = www.example.com) {
            return 301 https://\$host\$request_uri;
        } # managed by Certbot
        listen 127.0.0.1:$p ssl;
        server_name www.example.com example.com;
        ssl_certificate $CERT;
        ssl_certificate_key $KEY;
        return 404; # managed by Certbot
    }

    # defined after the values that use them (/late above)
    map \$arg_q \$late_map {
        default         lm;
        x               lx;
    }
EOF
}

pair_start
pair_compare "$HERE/compare/rewrite_requests.txt"
expect_file_match "rewrite or internal redirection cycle" "$T/error-test.log" \
    "a rewrite cycle is logged"
# map and set variables in log_format: the same lines, in any order
# ktlsd flushes its access logs once a second: wait (up to 8 s, for slow
# sanitizer builds) until it has written as many lines as nginx
for _ in $(seq 1 80); do
    [ "$(wc -l <"$T/rw-test.log" 2>/dev/null)" -ge "$(wc -l <"$T/rw-nginx.log")" ] && break
    sleep 0.1
done
if cmp -s <(sort "$T/rw-nginx.log") <(sort "$T/rw-test.log"); then
    ok "map and set variables in the access log as nginx writes them"
else
    fail "map and set variables in the access log differ: $(diff <(sort "$T/rw-nginx.log") <(sort "$T/rw-test.log") | head -5)"
fi

# ---------------------------------------------------------------- -t
[ "$IS_NGINX" = 1 ] && finish
NAME=$(basename "$KTLSD")
# bad WHAT LINE ERE: a config whose server block holds $BODY fails -t at LINE
bad() {
    local what=$1 line=$2 msg=$3 f=$T/bad.conf
    printf 'events {}\nhttp {\n server {\n  listen 127.0.0.1:1;\n%s\n }\n}\n' "$BODY" >"$f"
    timeout 10 "$KTLSD" -c "$f" -t >"$T/t.out" 2>&1
    expect_eq 1 "$?" "$what: -t exits 1"
    expect_match "^$NAME: \[emerg\] $f:$line: $msg" "$(grep -F '[emerg]' "$T/t.out" | head -n1)" \
        "$what: $f:$line: /$msg/"
}
BODY='  location / {
   if ($uri) {
    proxy_pass http://x;
   }
  }' bad "proxy_pass inside if" 7 'unknown directive "proxy_pass"'
BODY='  location / {
   if ($uri) {
    try_files $uri =404;
   }
  }' bad "try_files inside if" 7 '"try_files" directive inside "if" is not supported by ktlsd'
BODY='  if ($uri) {
   add_header X y;
  }' bad "add_header inside a server if" 6 '"add_header" directive'
BODY='  location / {
   if ($uri) {
    if ($uri) { return 200; }
   }
  }' bad "nested if" 7 '"if" directive'
BODY='  if ($uri -z x) { return 200; }' bad "unknown operator" 5 'unexpected "-z" in condition'
BODY='  if (-q /x) { return 200; }' bad "unknown test" 5 'unknown condition "-q"'
BODY='  if $uri { return 200; }' bad "no parentheses" 5 'invalid condition'
BODY='  rewrite ^/ /x bogus;' bad "rewrite flag" 5 'invalid parameter "bogus"'
BODY='  rewrite "^/(" /x;' bad "rewrite regex" 5 'pcre2_compile\(\) failed'
BODY='  set $uri x;' bad "set a built-in variable" 5 'the duplicate "uri" variable'
BODY='  set x y;' bad "set without \$" 5 'invalid variable name "x"'
BODY='  return 200 $notyet;' bad "undefined variable" 5 'unknown "notyet" variable'
printf 'events {}\nhttp {\n map $uri $m {\n  /a 1;\n  /a 2;\n }\n server { listen 127.0.0.1:1; }\n}\n' >"$T/bad.conf"
timeout 10 "$KTLSD" -c "$T/bad.conf" -t >"$T/t.out" 2>&1
expect_file_match "bad.conf:5: conflicting parameter \"/a\"" "$T/t.out" "map: a duplicate key"
printf 'events {}\nhttp {\n map $uri $m {\n  /a 1 2;\n }\n server { listen 127.0.0.1:1; }\n}\n' >"$T/bad.conf"
timeout 10 "$KTLSD" -c "$T/bad.conf" -t >"$T/t.out" 2>&1
expect_file_match "bad.conf:4: invalid number of the map parameters" "$T/t.out" "map: three words"
finish
