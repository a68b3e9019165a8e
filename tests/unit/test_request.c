/* The request pipeline without a socket: a request is parsed from bytes,
 * request_respond() answers it from a real configuration and docroot, and
 * the reply (status, head, body segments) is checked as any protocol would
 * send it. Covers the file handler (200, HEAD, 206, multipart, 304, 404),
 * error_page, return (redirect, 444), try_files, autoindex, the status
 * page and the POST rule. */
#include "unit.h"

#include "config.h"
#include "http.h"
#include "log.h"
#include "request.h"
#include "activate.h"
#include "util.h"

#include <netinet/in.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

static char dir[] = "/tmp/ktlsd-unit-req-XXXXXX";
static struct vhosts vh;
static struct reply rep;
static char buf[16384];  /* the reply's head, then small bodies */
static char head[16384]; /* the head, as a string */

static void put(const char *name, const char *text)
{
    char path[512];
    FILE *f;
    snprintf(path, sizeof(path), "%s/%s", dir, name);
    f = fopen(path, "w");
    fputs(text, f);
    fclose(f);
}

/* Answers raw (one HTTP/1.1 request); the reply is in rep, the head in head. */
static int ask(const char *raw)
{
    static struct request rq;
    static char rbuf[8192];
    static struct sockaddr_in peer = {.sin_family = AF_INET};
    static struct log_ctx lc;
    size_t parsed = 0, len = strlen(raw);
    struct request_env env = {.req = &rq,
                              .rbuf = rbuf,
                              .vh = &vh,
                              .srv = vh.dflt,
                              .keepalive = 1,
                              .peer = (const struct sockaddr *)&peer,
                              .fd = -1,
                              .log = &lc,
                              .buf = buf,
                              .cap = sizeof(buf)};
    peer.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    memcpy(rbuf, raw, len);
    http_request_init(&rq);
    if (http_parse(&rq, rbuf, len, &parsed) != KT_OK)
        return -1;
    reply_free(&rep);
    request_respond(&env, &rep);
    memcpy(head, buf, rep.head_len < sizeof(head) ? rep.head_len : sizeof(head) - 1);
    head[rep.head_len < sizeof(head) ? rep.head_len : sizeof(head) - 1] = '\0';
    return rep.status;
}

static int has(const char *line)
{
    return strstr(head, line) != NULL;
}

/* The body as bytes: memory segments as they are, file segments read. */
static const char *body(void)
{
    static char out[65536];
    size_t o = 0;
    for (size_t i = 0; i < rep.nsegs && o < sizeof(out) - 1; i++) {
        const struct send_seg *g = &rep.segs[i];
        size_t n = g->len < sizeof(out) - 1 - o ? g->len : sizeof(out) - 1 - o;
        if (g->mem != NULL)
            memcpy(out + o, g->mem, n);
        else if (pread(rep.fd, out + o, n, g->off) != (ssize_t)n)
            return "(short read)";
        o += n;
    }
    out[o] = '\0';
    return out;
}

int main(void)
{
    char conf[1024], err[1024];
    struct config *cf;

    CHECK(mkdtemp(dir) != NULL);
    mkdir(strcat(strcpy(conf, dir), "/files"), 0755);
    mkdir(strcat(strcpy(conf, dir), "/app"), 0755);
    put("a.txt", "hello\n");
    put("err.html", "custom 404\n");
    put("files/one.txt", "1\n");
    put("app/index.html", "app\n");
    snprintf(conf, sizeof(conf),
             "error_log stderr crit;\n"
             "events {}\n"
             "http {\n"
             "  default_type text/plain; access_log off;\n"
             "  server {\n"
             "    listen 127.0.0.1:8443; server_name localhost; root %s;\n"
             "    location = /old { return 301 /a.txt; }\n"
             "    location = /drop { return 444; }\n"
             "    location /missing/ { error_page 404 /err.html; }\n"
             "    location /files/ { autoindex on; }\n"
             "    location /app/ { try_files $uri /app/index.html; }\n"
             "    location = /status { ktlsd_status; }\n"
             "  }\n"
             "}\n",
             dir);
    put("t.conf", conf);
    snprintf(conf, sizeof(conf), "%s/t.conf", dir);
    cf = config_load(conf, err, sizeof(err));
    if (cf == NULL)
        fprintf(stderr, "%s\n", err);
    CHECK(cf != NULL);
    if (cf == NULL)
        return unit_done();
    CHECK(activate_config(cf, err, sizeof(err)) == KT_OK);
    vh = (struct vhosts){
        .servers = cf->servers, .n = cf->nservers, .dflt = cf->servers[0], .port = 8443};
    rep.fd = -1;

    /* a file: the head, then the file itself as a segment (sendfile) */
    CHECK(ask("GET /a.txt HTTP/1.1\r\nHost: localhost\r\n\r\n") == 200);
    CHECK(strncmp(head, "HTTP/1.1 200 OK\r\n", 17) == 0);
    CHECK(has("\r\nContent-Length: 6\r\n") && has("\r\nContent-Type: text/plain\r\n"));
    CHECK(has("\r\nConnection: keep-alive\r\n") && has("\r\nETag: \""));
    CHECK(rep.nsegs == 1 && rep.segs[0].mem == NULL && rep.fd >= 0 && rep.file_len == 6);
    CHECK_STR(body(), "hello\n");
    /* HEAD: the same head, no body */
    CHECK(ask("HEAD /a.txt HTTP/1.1\r\nHost: localhost\r\n\r\n") == 200);
    CHECK(has("\r\nContent-Length: 6\r\n") && rep.nsegs == 0);
    /* one range, then several (multipart: part heads in memory) */
    CHECK(ask("GET /a.txt HTTP/1.1\r\nHost: localhost\r\nRange: bytes=1-2\r\n\r\n") == 206);
    CHECK(has("\r\nContent-Range: bytes 1-2/6\r\n"));
    CHECK_STR(body(), "el");
    CHECK(ask("GET /a.txt HTTP/1.1\r\nHost: localhost\r\nRange: bytes=0-0,4-4\r\n\r\n") == 206);
    CHECK(has("multipart/byteranges; boundary="));
    CHECK(strstr(body(), "Content-Range: bytes 0-0/6\r\n\r\nh\r\n") != NULL);
    CHECK(strstr(body(), "Content-Range: bytes 4-4/6\r\n\r\no\r\n") != NULL);
    /* a matching If-None-Match: 304, no body */
    {
        char etag[64] = "", req[256];
        const char *e;
        ask("GET /a.txt HTTP/1.1\r\nHost: localhost\r\n\r\n");
        e = strstr(head, "ETag: ");
        if (e != NULL)
            sscanf(e + 6, "%63[^\r]", etag);
        snprintf(req, sizeof(req),
                 "GET /a.txt HTTP/1.1\r\nHost: localhost\r\nIf-None-Match: %s\r\n\r\n", etag);
        CHECK(ask(req) == 304 && rep.nsegs == 0);
    }
    /* 404: nginx's page; with error_page, the page's file and the 404 */
    CHECK(ask("GET /nope HTTP/1.1\r\nHost: localhost\r\n\r\n") == 404);
    CHECK(strstr(body(), "<title>404 Not Found</title>") != NULL);
    CHECK(ask("GET /missing/x HTTP/1.1\r\nHost: localhost\r\n\r\n") == 404);
    CHECK_STR(body(), "custom 404\n");
    /* return: an absolute redirect; 444: nothing at all, and close */
    CHECK(ask("GET /old HTTP/1.1\r\nHost: localhost\r\n\r\n") == 301);
    CHECK(has("\r\nLocation: http://localhost:8443/a.txt\r\n"));
    CHECK(ask("GET /drop HTTP/1.1\r\nHost: localhost\r\n\r\n") == 444);
    CHECK(rep.head_len == 0 && rep.nsegs == 0 && rep.close);
    /* try_files falls back; autoindex lists; the status page counts */
    CHECK(ask("GET /app/deep/link HTTP/1.1\r\nHost: localhost\r\n\r\n") == 200);
    CHECK_STR(body(), "app\n");
    CHECK(ask("GET /files/ HTTP/1.1\r\nHost: localhost\r\n\r\n") == 200);
    CHECK(strstr(body(), "<a href=\"one.txt\">one.txt</a>") != NULL);
    CHECK(ask("GET /status HTTP/1.1\r\nHost: localhost\r\n\r\n") == 200);
    CHECK(strncmp(body(), "Active connections:", 19) == 0);
    /* a directory without its slash: 301; POST to a file: 405 with Allow */
    CHECK(ask("GET /files HTTP/1.1\r\nHost: localhost\r\n\r\n") == 301);
    CHECK(has("\r\nLocation: http://localhost:8443/files/\r\n"));
    CHECK(ask("POST /a.txt HTTP/1.1\r\nHost: localhost\r\nContent-Length: 0\r\n\r\n") == 405);
    CHECK(has("\r\nAllow: GET, HEAD\r\n"));
    /* a path above the root never reaches the file system */
    CHECK(ask("GET /../etc/passwd HTTP/1.1\r\nHost: localhost\r\n\r\n") == 400);

    reply_free(&rep);
    config_free(cf);
    return unit_done();
}
