/* The config parser: nginx syntax, the directive table, merge, and errors
 * reported as FILE:LINE: message. Runs in tests/unit (ctest's working dir). */
#include "unit.h"
#include "config.h"
#include "config_int.h"
#include "log.h"
#include "rewrite.h"
#include "util.h"

#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <sys/stat.h>

static char dir[] = "/tmp/ktlsd-unit-XXXXXX";

static const char *write_conf(const char *name, const char *text)
{
    static char path[512];
    FILE *f;
    snprintf(path, sizeof(path), "%s/%s", dir, name);
    f = fopen(path, "w");
    fputs(text, f);
    fclose(f);
    return path;
}

/* Loads text; returns NULL and leaves the error in err when it fails. */
static struct config *load(const char *text, char *err, size_t errlen)
{
    const char *path = write_conf("t.conf", text);
    err[0] = '\0';
    return config_load(path, err, errlen);
}

static void expect_error(const char *text, int line, const char *msg)
{
    char err[1024], want[512];
    struct config *cf = load(text, err, sizeof(err));
    snprintf(want, sizeof(want), "%s/t.conf:%d: ", dir, line);
    CHECK(cf == NULL);
    if (cf != NULL)
        config_free(cf);
    if (strncmp(err, want, strlen(want)) != 0 || strstr(err, msg) == NULL) {
        fprintf(stderr, "  config:\n%s\n  error: %s\n  want:  %s...%s\n", text, err, want, msg);
        CHECK(0);
    } else {
        CHECK(1);
    }
}

/* The table's rows are consistent: one row per name, a list's count apart
 * from its pointer, keywords only where a keyword setter reads them, a
 * field for every kind that init, merge and free walk. */
static void check_table(void)
{
    for (size_t i = 0; i < conf_ndirectives; i++) {
        const struct conf_directive *d = &conf_directives[i];
        for (size_t j = 0; j < i; j++)
            if (strcmp(conf_directives[j].name, d->name) == 0) {
                fprintf(stderr, "  directive \"%s\" has two rows\n", d->name);
                CHECK(0);
            }
        if (d->kind == CK_LIST || d->set == conf_set_list)
            CHECK(d->count_off != d->off);
        if (d->words != NULL)
            CHECK(d->set == conf_set_enum || d->set == conf_set_static ||
                  d->set == conf_set_symlinks || d->set == conf_set_limit_level);
        if (d->kind != CK_NONE)
            CHECK(d->target == TARGET_SRV || d->target == TARGET_MAIN);
    }
}

int main(void)
{
    char err[1024];
    struct config *cf;

    CHECK(mkdtemp(dir) != NULL);
    check_table();

    /* a typical nginx static-site config */
    cf = load("# comment\n"
              "worker_processes auto;\n"
              "error_log stderr warn;\n"
              "pid /run/ktlsd.pid;\n"
              "user www-data;\n"
              "events { worker_connections 768; }\n"
              "http {\n"
              "  sendfile on; tcp_nodelay on;\n"
              "  keepalive_timeout 65;\n"
              "  log_format k '$remote_addr \"$request\" '\n"
              "               '$status $ktls';\n"
              "  access_log /dev/null k;\n"
              "  ssl_protocols TLSv1 TLSv1.1 TLSv1.2 TLSv1.3; # Debian's default line\n"
              "  index index.htm index.html;\n"
              "  server {\n"
              "    listen 127.0.0.1:8443 ssl default_server;\n"
              "    listen [::1]:8443 ssl;\n"
              "    server_name example.com \"www.example.com\";\n"
              "    root /srv/www;\n"
              "    ssl_certificate /etc/c.pem; ssl_certificate_key /etc/k.pem;\n"
              "    keepalive_timeout 1m30s;\n"
              "    ktls off;\n"
              "  }\n"
              "  server { listen 8080; sendfile off; }\n"
              "}\n",
              err, sizeof(err));
    CHECK(cf != NULL);
    if (cf == NULL) {
        fprintf(stderr, "  %s\n", err);
        return unit_done();
    }
    CHECK(cf->worker_processes == 0);
    CHECK(config_worker_count(cf) >= 1);
    CHECK(cf->error_log_level == LL_WARN);
    CHECK_STR(cf->user, "www-data");
    CHECK_STR(cf->group, "www-data");
    CHECK(cf->worker_connections == 768);
    CHECK(cf->nservers == 2);
    {
        struct server_conf *s = cf->servers[0];
        CHECK(s->nlistens == 2);
        CHECK(s->listens[0].ssl && s->listens[0].default_server);
        CHECK(s->listens[1].addr.ss_family == AF_INET6);
        CHECK(s->nnames == 2);
        CHECK_STR(s->names[1], "www.example.com");
        CHECK_STR(s->c.root, "/srv/www");
        CHECK(s->c.keepalive_timeout == 90);
        CHECK(s->c.ktls == 0);
        CHECK(s->c.sendfile == 1);
        CHECK(s->c.nindex == 2);
        CHECK_STR(s->c.index[1], "index.html");
        CHECK(s->c.ssl_protocols == (PROTO_TLS12 | PROTO_TLS13));
        CHECK_STR(s->c.access_log_format, "k");
    }
    {
        struct server_conf *s = cf->servers[1];
        CHECK(s->c.sendfile == 0);
        CHECK(s->c.ktls == 1);
        CHECK(s->c.keepalive_timeout == 65);
        CHECK(!s->listens[0].ssl);
        CHECK(ntohs(((struct sockaddr_in *)&s->listens[0].addr)->sin_port) == 8080);
    }
    config_free(cf);

    /* defaults */
    cf = load("http { server { listen 80; } }", err, sizeof(err));
    CHECK(cf != NULL);
    if (cf != NULL) {
        CHECK(cf->worker_processes == 1);
        CHECK(cf->servers[0]->c.keepalive_timeout == 75);
        CHECK(cf->servers[0]->c.keepalive_requests == 1000);
        CHECK(cf->servers[0]->c.ktls == 1);
        CHECK_STR(cf->servers[0]->c.index[0], "index.html");
        config_free(cf);
    }

    /* HTTP/2: "listen ... http2" (the old form) and "http2 on|off" */
    cf = load("http {\n http2_max_concurrent_streams 8;\n server { listen 80 http2; }\n"
              " server { listen 81 http2; http2 off; }\n server { listen 82; http2 on;"
              " http2_chunk_size 4k; keepalive_timeout 7; }\n server { listen 83; }\n}\n",
              err, sizeof(err));
    CHECK(cf != NULL);
    if (cf != NULL) {
        CHECK(cf->servers[0]->c.http2 == 1);
        CHECK(cf->servers[0]->listens[0].http2 == 1);
        CHECK(cf->servers[0]->c.http2_max_concurrent_streams == 8);
        CHECK(cf->servers[0]->c.http2_chunk_size == 16384);
        CHECK(cf->servers[1]->c.http2 == 0);
        CHECK(cf->servers[2]->c.http2 == 1);
        CHECK(cf->servers[2]->c.http2_chunk_size == 4096);
        CHECK(cf->servers[2]->c.http2_idle_timeout == 7);
        CHECK(cf->servers[3]->c.http2 == 0);
        CHECK(cf->servers[3]->c.http2_max_concurrent_streams == 8);
        config_free(cf);
    }
    /* "listen ... http2" is the address's: every server there speaks h2 */
    cf = load("http {\n server { listen 90 http2; }\n server { listen 90; server_name b; }\n"
              " server { listen 90; server_name c; http2 off; }\n server { listen 91; }\n}\n",
              err, sizeof(err));
    CHECK(cf != NULL);
    if (cf != NULL) {
        CHECK(cf->servers[0]->c.http2 == 1);
        CHECK(cf->servers[1]->c.http2 == 1);
        CHECK(cf->servers[2]->c.http2 == 0);
        CHECK(cf->servers[3]->c.http2 == 0);
        config_free(cf);
    }

    /* variables, regex server names, named locations (issue "Trust first") */
    cf = load("http {\n server {\n  listen 80;\n  server_name a.test ~^(?<sub>.+)\\.x$;\n"
              "  root /srv/$sub;\n  error_page 404 = @fb;\n  error_page 403 @fb;\n"
              "  location @fb { return 200 \"$sub $1 $arg_a\"; }\n"
              "  location ~ ^/(?<w>\\w+)$ { add_header X-W $w; try_files /$w /$1 =404; }\n"
              " }\n}\n",
              err, sizeof(err));
    CHECK(cf != NULL);
    if (cf == NULL)
        fprintf(stderr, "  %s\n", err);
    if (cf != NULL) {
        struct server_conf *s = cf->servers[0];
        CHECK(s->nnames == 2 && s->name_re[0] == NULL && s->name_re[1] != NULL);
        CHECK(s->nlocs == 2 && s->locs[0]->kind == LOC_NAMED && s->locs[0]->internal);
        CHECK(s->c.error_pages[0].new_code == -1 && s->c.error_pages[1].new_code == 0);
        CHECK(s->c.dir_tpl != NULL && s->locs[0]->c.nrw == 1 && s->locs[0]->c.rw[0].tpl != NULL);
        CHECK(s->locs[1]->c.try_tpl != NULL && s->locs[1]->c.add_headers[0].tpl != NULL);
        config_free(cf);
    }
    expect_error("http {\n server {\n  location / {\n   return 302 /x?$nosuchvar;\n  }\n }\n}\n", 4,
                 "unknown \"nosuchvar\" variable");
    /* the rewrite module and map: a variable may be used before its "set" or "map";
     * "if" blocks get their level's settings */
    cf =
        load("http {\n server {\n  listen 80;\n  location /a { return 200 \"$late $m\"; }\n"
             "  location /b { set $late 1; alias /srv/b/;\n   if ($late) { add_header X 1; }\n  }\n"
             " }\n map $uri $m { default x; }\n}\n",
             err, sizeof(err));
    CHECK(cf != NULL);
    if (cf == NULL)
        fprintf(stderr, "  %s\n", err);
    if (cf != NULL) {
        struct location *b = cf->servers[0]->locs[1];
        CHECK(cf->nmaps == 1 && b->c.nrw == 2 && b->c.rw[1].kind == RW_IF);
        CHECK(b->c.rw[1].ifloc->c.alias != NULL && b->c.rw[1].ifloc->c.root == NULL);
        CHECK(b->c.rw[1].ifloc->c.nadd_headers == 1);
        config_free(cf);
    }
    expect_error("http {\n server {\n  map $uri $m { default x; }\n }\n}\n", 3,
                 "\"map\" directive is not allowed here");
    expect_error("http {\n server {\n  location / {\n   if ($uri) { autoindex on; }\n  }\n }\n}\n",
                 4, "\"autoindex\" directive inside \"if\" is not supported by ktlsd");
    expect_error("http {\n server {\n  ssl_protocol TLSv1.2;\n  return 200 $nope;\n }\n}\n", 3,
                 "unknown directive \"ssl_protocol\"");
    expect_error("http {\n server {\n  add_header X $nope;\n }\n}\n", 3,
                 "unknown \"nope\" variable");
    expect_error("http {\n server {\n  server_name ~^(a;\n }\n}\n", 3, "pcre2_compile() failed");
    expect_error("http {\n server {\n  server_name $host;\n }\n}\n", 3, "invalid server name");
    expect_error("http {\n server {\n  index $uri;\n }\n}\n", 3, "not supported");
    expect_error("http {\n server {\n  access_log /l/$host.log;\n }\n}\n", 3, "not supported");

    /* include with a glob, relative to the including file */
    {
        char sub[600];
        snprintf(sub, sizeof(sub), "%s/sites", dir);
        mkdir(sub, 0755);
        write_conf("sites/a.conf", "server { listen 8001; }\n");
        write_conf("sites/b.conf", "server { listen 8002; }\n");
        cf = load("http {\n include sites/*.conf;\n include sites/none-*.conf;\n}\n", err,
                  sizeof(err));
        CHECK(cf != NULL && cf->nservers == 2);
        if (cf != NULL)
            config_free(cf);
        write_conf("sites/c.conf", "server { listen 8003; bogus on; }\n");
        cf = load("http {\n include sites/*.conf;\n}\n", err, sizeof(err));
        CHECK(cf == NULL && strstr(err, "sites/c.conf:1: unknown directive \"bogus\"") != NULL);
        expect_error("http {\n include missing.conf;\n}\n", 2, "open()");
        write_conf("loop.conf", "include loop.conf;\n");
        cf = load("include loop.conf;\n", err, sizeof(err));
        CHECK(cf == NULL && strstr(err, "loop.conf:1: includes nested too deeply") != NULL);
    }

    /* errors, each with its line */
    expect_error("worker_processes 1;\nbogus on;\n", 2, "unknown directive \"bogus\"");
    expect_error("worker_processes abc;\n", 1, "invalid value \"abc\"");
    expect_error("worker_processes 1 2;\n", 1, "invalid number of arguments");
    expect_error("\n\nevents { worker_connections 0; }\n", 3, "worker_connections");
    expect_error("http {\n server {\n  listen 99999;\n }\n}\n", 3, "invalid port");
    expect_error("http {\n server {\n  listen 80 bogus;\n }\n}\n", 3,
                 "invalid parameter \"bogus\"");
    expect_error("http {\n server {\n  listen 80 quic;\n }\n}\n", 3, "not supported");
    expect_error("http {\n http2 maybe;\n}\n", 2, "must be \"on\" or \"off\"");
    expect_error("http {\n http2_chunk_size 0;\n}\n", 2, "cannot be zero");
    expect_error("http {\n http2_max_concurrent_streams 0;\n}\n", 2,
                 "http2_max_concurrent_streams");
    expect_error("http {\n sendfile maybe;\n}\n", 2, "must be \"on\" or \"off\"");
    expect_error("http {\n keepalive_timeout 5x;\n}\n", 2, "invalid time");
    expect_error("listen 80;\n", 1, "not allowed here");
    expect_error("http {\n server {\n", 3, "unexpected end of file");
    expect_error("http {\n}\n}\n", 3, "unexpected \"}\"");
    expect_error("http {\n root /a\n}\n", 3, "unexpected \"}\"");
    expect_error("http {\n log_format x '$nope';\n}\n", 2, "unknown \"nope\" variable");
    expect_error("http {\n access_log /dev/null nosuch;\n}\n", 2, "unknown log format \"nosuch\"");
    expect_error("http {\n root \"/a;\n}\n", 4, "unexpected end of file");
    expect_error("http {\n ssl_protocols SSLv3;\n}\n", 2, "enables no protocol");
    expect_error("http {\n server {\n  listen 443 ssl;\n }\n}\n", 3, "no \"ssl_certificate\"");
    expect_error(
        "http {\n server { listen 80 default_server; }\n server { listen 80 default_server; }\n}\n",
        3, "duplicate default server");
    expect_error("http {\n server { listen 80; }\n server { listen 80 ssl; ssl_certificate a; "
                 "ssl_certificate_key b; }\n}\n",
                 3, "mixes ssl and plain");
    /* TLS directives (tests/integration/tls_directives.sh runs them) */
    expect_error(
        "http {\n server {\n  listen 443 ssl;\n  ssl_certificate a; ssl_certificate_key b;\n"
        "  ssl_certificate c;\n }\n}\n",
        3, "no \"ssl_certificate_key\" is defined for \"c\"");
    expect_error("http {\n ssl_early_data on;\n}\n", 2, "0-RTT");
    expect_error("http {\n ssl_verify_client sometimes;\n}\n", 2, "invalid value \"sometimes\"");
    expect_error("http {\n ssl_buffer_size 1;\n}\n", 2, "invalid value \"1\"");
    expect_error("http {\n ssl_verify_client on;\n server {\n  listen 443 ssl;\n"
                 "  ssl_certificate a; ssl_certificate_key b;\n }\n}\n",
                 4, "no ssl_client_certificate for ssl_verify_client");
    expect_error("http {\n server {\n  listen 443 ssl; ssl_stapling_file f;\n"
                 "  ssl_certificate a; ssl_certificate_key b;\n }\n}\n",
                 3, "\"ssl_stapling\" is off");
    cf = load("http {\n ssl_certificate r.pem; ssl_certificate_key r.key;\n"
              " ssl_certificate e.pem; ssl_certificate_key e.key;\n ssl_buffer_size 64k;\n"
              " server { listen 443 ssl; ssl_verify_client optional_no_ca; }\n"
              " server { listen 444 ssl; ssl_certificate o.pem; ssl_certificate_key o.key; }\n}\n",
              err, sizeof(err));
    CHECK(cf != NULL);
    if (cf != NULL) {
        const struct srv_conf *a = &cf->servers[0]->c, *b = &cf->servers[1]->c;
        CHECK(a->nssl_certificate == 2 && a->nssl_certificate_key == 2);
        CHECK(strcmp(a->ssl_certificate[1], "e.pem") == 0);
        CHECK(strcmp(a->ssl_certificate_key[1], "e.key") == 0);
        CHECK(b->nssl_certificate == 1 && strcmp(b->ssl_certificate[0], "o.pem") == 0);
        CHECK(a->ssl_buffer_size == 16384); /* 64k: 16k records, as nginx's buffer makes */
        CHECK(a->ssl_verify_client == VERIFY_OPTIONAL_NO_CA && b->ssl_verify_client == VERIFY_OFF);
        CHECK(a->ssl_verify_depth == 1 && a->ktls_zerocopy_sendfile == 0);
        config_free(cf);
    }
    expect_error("events {\n worker_connections 10;\n", 3, "unexpected end of file");
    expect_error("http {}\nhttp {}\n", 2, "duplicate");
    expect_error("events;\n", 1, "has no opening");
    { /* found by fuzz_config: a quoted word past the argument limit was freed wrongly */
        char many[1024] = "http {\n index";
        for (int i = 0; i < 70; i++)
            strcat(many, " 'x'");
        strcat(many, ";\n}\n");
        expect_error(many, 2, "too many arguments");
    }
    expect_error("http {\n sendfile { }\n}\n", 2, "unexpected \"{\"");

    {
        char cmd[700];
        snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
        if (system(cmd) != 0)
            fprintf(stderr, "cleanup failed\n");
    }
    return unit_done();
}
