/* request.c: what to answer. conn.c hands over a parsed request; this file
 * picks the server block (Host) and location (nginx's rules), applies
 * allow/deny, return, try_files and error_page, and for a file works out
 * validators, conditional requests, ranges and precompressed variants. It
 * writes the response head into the connection's buffer and describes the
 * body as send segments; it never touches the socket. */
#include "request.h"
#include "config.h"
#include "fcache.h"
#include "http.h"
#include "log.h"
#include "mime.h"
#include "static.h"
#include "stats.h"
#include "util.h"
#include "version.h"

#include <arpa/inet.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#define PCRE2_CODE_UNIT_WIDTH 8
#include <pcre2.h>

#define MAX_REDIRECTS 10
#define MAX_RANGES 64
#define URI_MAX (HTTP_MAX_URL + 512)

enum { DONE, REDIRECT };

/* One request's working state. The buffers come last: a request resets
 * only what precedes them (a worker answers one request at a time, so one
 * static instance serves, with no allocation per request). */
struct ctx {
    struct request_env *env;
    struct reply *r;
    struct server_conf *srv;
    struct location *loc;
    const struct srv_conf *conf;
    size_t ulen;
    size_t alen;
    const char *target; /* $request_uri */
    size_t tlen;
    const char *host; /* Host without port, or NULL */
    size_t hlen;
    const char *content_range; /* for a 416 */
    const char *body_mem;      /* the file's bytes from fcache, instead of r->fd */
    int internal;
    int error_status; /* serving an error_page: the status to answer with */
    int method;
    char uri[URI_MAX];  /* decoded and normalised */
    char args[URI_MAX]; /* the query, raw */
    char locbuf[URI_MAX * 2];
};

static struct ctx the_ctx;

/* --- virtual hosts ---------------------------------------------------------- */

static int name_matches(const char *name, const char *host, size_t len)
{
    size_t n = strlen(name);
    if (n == len && strncasecmp(name, host, len) == 0)
        return 3;
    if (name[0] == '*' && name[1] == '.' && len > n - 1 &&
        strncasecmp(host + len - (n - 1), name + 1, n - 1) == 0)
        return 2;
    if (name[0] == '.' && ((len == n - 1 && strncasecmp(host, name + 1, len) == 0) ||
                           (len > n && strncasecmp(host + len - n, name, n) == 0)))
        return 2;
    if (n > 2 && name[n - 1] == '*' && name[n - 2] == '.' && len > n - 1 &&
        strncasecmp(host, name, n - 1) == 0)
        return 1;
    return 0;
}

struct server_conf *request_server(const struct vhosts *vh, const char *host, size_t len)
{
    struct server_conf *best = NULL;
    int best_score = 0;
    if (host == NULL || vh == NULL)
        return vh != NULL ? vh->dflt : NULL;
    if (len > 0 && host[len - 1] == '.')
        len--;
    for (size_t i = 0; i < vh->n; i++)
        for (size_t j = 0; j < vh->servers[i]->nnames; j++) {
            int score = name_matches(vh->servers[i]->names[j], host, len);
            if (score > best_score) {
                best_score = score;
                best = vh->servers[i];
            }
        }
    return best != NULL ? best : vh->dflt;
}

/* --- locations -------------------------------------------------------------- */

/* nginx's order: an exact "=" match; else the longest prefix, which ends
 * the search if it is "^~"; else the first regex in the file's order; else
 * that longest prefix. */
static struct location *find_location(struct server_conf *s, const char *uri, size_t len)
{
    struct location *prefix = NULL;
    for (size_t i = 0; i < s->nlocs; i++) {
        struct location *l = s->locs[i];
        if (l->kind == LOC_EXACT && l->plen == len && memcmp(l->pattern, uri, len) == 0)
            return l;
        if ((l->kind == LOC_PREFIX || l->kind == LOC_PREFIX_NOREGEX) && l->plen <= len &&
            memcmp(l->pattern, uri, l->plen) == 0 && (prefix == NULL || l->plen > prefix->plen))
            prefix = l;
    }
    if (prefix != NULL && prefix->kind == LOC_PREFIX_NOREGEX)
        return prefix;
    for (size_t i = 0; i < s->nlocs; i++) {
        struct location *l = s->locs[i];
        if (l->re == NULL)
            continue;
        if (pcre2_match(l->re, (PCRE2_SPTR)uri, len, 0, 0, l->md, NULL) >= 0)
            return l;
    }
    return prefix;
}

static int access_allowed(const struct srv_conf *c, const struct sockaddr *peer)
{
    unsigned char a[16] = {0};
    int family = peer->sa_family;
    if (family == AF_INET)
        memcpy(a, &((const struct sockaddr_in *)peer)->sin_addr, 4);
    else if (family == AF_INET6) {
        const unsigned char *v6 = ((const struct sockaddr_in6 *)peer)->sin6_addr.s6_addr;
        static const unsigned char mapped[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};
        if (memcmp(v6, mapped, 12) == 0) {
            family = AF_INET;
            memcpy(a, v6 + 12, 4);
        } else {
            memcpy(a, v6, 16);
        }
    }
    for (size_t i = 0; i < c->naccess; i++) {
        const struct access_rule *r = &c->access[i];
        int match = 1;
        if (r->family != 0) {
            if (r->family != family)
                continue;
            for (int k = 0; k < 16 && match; k++)
                match = (a[k] & r->mask[k]) == r->addr[k];
        }
        if (match)
            return r->allow;
    }
    return 1;
}

/* --- answers ---------------------------------------------------------------- */

static const char *server_header(const struct ctx *x)
{
    return x->srv->c.server_tokens ? "ktlsd/" KTLSD_VERSION : "ktlsd";
}

static void init_response(struct ctx *x, struct response *resp, int status)
{
    memset(resp, 0, sizeof(*resp));
    resp->status = status;
    resp->content_length = -1;
    resp->server = server_header(x);
    resp->expires = x->conf->expires;
    resp->expires_time = x->conf->expires_time;
    resp->add = x->conf->add_headers;
    resp->nadd = x->conf->nadd_headers;
}

/* KT_ERROR when the head does not fit the send buffer: a bare 500 goes
 * instead, and no body may follow it (its Content-Length is 0). */
static int write_head(struct ctx *x, struct response *resp)
{
    struct reply *r = x->r;
    r->status = resp->status;
    r->sendfile = x->conf->sendfile;
    r->keepalive = resp->keepalive = x->env->keepalive && !r->close;
    r->head_len = http_head(x->env->buf, x->env->cap, resp);
    if (r->head_len == 0) { /* absurd add_header lists, a huge Location */
        r->close = 1;
        r->keepalive = 0;
        r->status = 500;
        r->no_body = 1;
        r->nsegs = 0;
        r->body_len = r->file_len = 0;
        r->head_len = (size_t)snprintf(x->env->buf, x->env->cap,
                                       "HTTP/1.1 500 Internal Server Error\r\nContent-Length: 0\r\n"
                                       "Connection: close\r\n\r\n");
        return KT_ERROR;
    }
    r->no_body = 0;
    return KT_OK;
}

static void add_mem(struct reply *r, const char *p, size_t len)
{
    if (r->nsegs < SEND_MAX_SEGS && len > 0 && !r->no_body) {
        r->segs[r->nsegs++] = (struct send_seg){p, 0, len};
        r->body_len += len;
    }
}

static void add_file(struct reply *r, off_t off, size_t len)
{
    if (r->nsegs < SEND_MAX_SEGS && len > 0 && !r->no_body) {
        r->segs[r->nsegs++] = (struct send_seg){NULL, off, len};
        r->body_len += len;
        r->file_len += len;
    }
}

/* File bytes [off, off+len): from the cached copy, or the open file. */
static void add_body(struct ctx *x, off_t off, size_t len)
{
    if (x->body_mem != NULL)
        add_mem(x->r, x->body_mem + off, len);
    else
        add_file(x->r, off, len);
}

static int head_only(const struct ctx *x)
{
    return x->method == HTTP_HEAD;
}

/* "scheme://host[:port]" for absolute redirects: the Host the client sent
 * without its port (else the first server_name), then the port ktlsd
 * listens on unless it is the scheme's default (nginx's port_in_redirect). */
static size_t base_url(const struct ctx *x, char *out, size_t cap)
{
    const char *host = x->host                                 ? x->host
                       : x->srv->nnames && x->srv->names[0][0] ? x->srv->names[0]
                                                               : "localhost";
    size_t hlen = x->host ? x->hlen : strlen(host);
    int port = x->env->vh != NULL ? x->env->vh->port : 0, n;
    if (port == 0 || port == (x->env->ssl ? 443 : 80))
        n = snprintf(out, cap, "%s://%.*s", x->env->ssl ? "https" : "http", (int)hlen, host);
    else
        n = snprintf(out, cap, "%s://%.*s:%d", x->env->ssl ? "https" : "http", (int)hlen, host,
                     port);
    return n > 0 && (size_t)n < cap ? (size_t)n : 0;
}

/* An error or redirect with nginx's little HTML page, unless error_page
 * says where the page is. Returns REDIRECT for an internal error_page. */
static int answer_status(struct ctx *x, int status, const char *location, size_t location_len)
{
    struct response resp;
    const char *body;
    size_t blen;

    if (!x->error_status && status >= 300)
        for (size_t i = 0; i < x->conf->nerror_pages; i++) {
            const struct error_page *e = &x->conf->error_pages[i];
            if (e->code != status)
                continue;
            if (e->uri[0] != '/') { /* error_page 404 https://...: a redirect */
                x->error_status = 1;
                return answer_status(x, e->new_code >= 300 && e->new_code < 400 ? e->new_code : 302,
                                     e->uri, strlen(e->uri));
            }
            x->error_status = e->new_code                      ? e->new_code
                              : status >= 495 && status <= 497 ? 400
                                                               : status;
            x->internal = 1;
            x->ulen = (size_t)snprintf(x->uri, sizeof(x->uri), "%s", e->uri);
            x->alen = 0;
            return REDIRECT;
        }
    if (status == 400 || status == 413 || status == 414 || status == 431 ||
        (status >= HTTP_HEADER_TOO_LARGE && status <= 497) || status >= 500)
        x->r->close = 1;
    body = http_error_body(status, &blen);
    /* nginx's 400s with their own page: 494 head too large, 495 and 496
     * client certificate, 497 plain HTTP */
    if (status >= HTTP_HEADER_TOO_LARGE && status <= 497)
        status = 400;
    init_response(x, &resp, status);
    resp.content_type = "text/html";
    if (location != NULL && location[0] == '/') { /* nginx makes them absolute */
        size_t n = base_url(x, x->locbuf, sizeof(x->locbuf));
        n += (size_t)snprintf(x->locbuf + n, sizeof(x->locbuf) - n, "%.*s", (int)location_len,
                              location);
        location = x->locbuf;
        location_len = n < sizeof(x->locbuf) ? n : sizeof(x->locbuf) - 1;
    }
    resp.location = location;
    resp.location_len = location_len;
    resp.allow = status == 405;
    resp.content_range = status == 416 ? x->content_range : NULL;
    if (status == 204 || status == 304 || status < 200)
        blen = 0;
    resp.content_length = (long long)blen;
    if (write_head(x, &resp) != KT_OK && location != NULL && status != 414) {
        /* a redirect whose Location cannot fit (an 8k Host and an 8k
         * query): refused as too long before anything is sent */
        x->error_status = 1;
        return answer_status(x, 414, NULL, 0);
    }
    if (!head_only(x) && blen > 0 && x->r->head_len + blen <= x->env->cap) {
        memcpy(x->env->buf + x->r->head_len, body, blen);
        add_mem(x->r, x->env->buf + x->r->head_len, blen);
    }
    return DONE;
}

/* The few variables return and try_files need: $scheme $host $request_uri
 * $uri $args $server_name. Unknown ones stay as written. */
static size_t expand(const struct ctx *x, const char *in, char *out, size_t cap)
{
    size_t o = 0;
    while (*in && o + 1 < cap) {
        const char *val = NULL;
        size_t vlen = 0, nlen = 0;
        if (*in == '$') {
            static const char *const names[] = {"scheme", "host",         "request_uri", "uri",
                                                "args",   "query_string", "server_name"};
            for (size_t i = 0; i < ARRAY_LEN(names); i++) {
                size_t n = strlen(names[i]);
                if (strncmp(in + 1, names[i], n) == 0) {
                    char next = in[1 + n];
                    if ((next >= 'a' && next <= 'z') || next == '_' || (next >= '0' && next <= '9'))
                        continue;
                    nlen = n + 1;
                    switch (i) {
                    case 0:
                        val = x->env->ssl ? "https" : "http";
                        vlen = strlen(val);
                        break;
                    case 1:
                        val = x->host ? x->host : x->srv->nnames ? x->srv->names[0] : "";
                        vlen = x->host ? x->hlen : strlen(val);
                        break;
                    case 2:
                        val = x->target;
                        vlen = x->tlen;
                        break;
                    case 3:
                        val = x->uri;
                        vlen = x->ulen;
                        break;
                    case 4:
                    case 5:
                        val = x->args;
                        vlen = x->alen;
                        break;
                    case 6:
                        val = x->srv->nnames ? x->srv->names[0] : "";
                        vlen = strlen(val);
                        break;
                    }
                    break;
                }
            }
        }
        if (nlen == 0) {
            out[o++] = *in++;
            continue;
        }
        if (vlen > cap - 1 - o)
            vlen = cap - 1 - o;
        memcpy(out + o, val, vlen);
        o += vlen;
        in += nlen;
    }
    out[o] = '\0';
    return o;
}

static int do_return(struct ctx *x, int code, const char *text)
{
    char val[URI_MAX];
    size_t n = text ? expand(x, text, val, sizeof(val)) : 0;
    struct response resp;

    if (code == 301 || code == 302 || code == 303 || code == 307 || code == 308) {
        x->error_status = 1; /* no error_page for our own redirects */
        return answer_status(x, code, text ? val : NULL, n);
    }
    if (code == 204) {
        init_response(x, &resp, 204);
        write_head(x, &resp);
        return DONE;
    }
    if (text == NULL || code >= 400)
        return answer_status(x, code, NULL, 0);
    init_response(x, &resp, code);
    resp.content_type = x->conf->default_type;
    resp.content_length = (long long)n;
    write_head(x, &resp);
    if (!head_only(x) && x->r->head_len + n <= x->env->cap) {
        memcpy(x->env->buf + x->r->head_len, val, n);
        add_mem(x->r, x->env->buf + x->r->head_len, n);
    }
    return DONE;
}

static const char *type_of(const struct ctx *x, const char *name, size_t len)
{
    if (x->conf->types != NULL)
        return mime_table_lookup(x->conf->types, name, len, x->conf->default_type);
    return mime_lookup(name, len, x->conf->default_type);
}

/* The request's directory: where it lives on disk (root or alias) and the
 * path beneath it. An alias replaces the location's prefix: nginx joins
 * the two as strings, so "location /i { alias /srv/pub; }" maps "/i../x"
 * to "/srv/pub../x" and "/ix" to "/srv/pubx", outside the alias. ktlsd
 * serves only what lies beneath the alias directory: a rest that does not
 * start a new path segment is a 404, and "/i" itself is the directory (a
 * 301 to "/i/"). Returns 0, 404 or 414 (too long). */
static int map_path(const struct ctx *x, const char *uri, size_t ulen, int *dir_fd, char *rel,
                    size_t cap)
{
    const char *p = uri;
    size_t n = ulen;
    /* a location's own root that cannot be opened is a 404: never another
     * directory's file */
    *dir_fd = static_dir_fd(x->loc != NULL ? &x->loc->dir : &x->srv->dir, time_now.sec);
    if (x->loc != NULL && x->conf->alias != NULL) {
        const char *a = x->conf->alias;
        p = uri + x->loc->plen;
        n = ulen - x->loc->plen;
        if (n + 2 > cap)
            return 414;
        if (n == 0) { /* the alias directory itself */
            memcpy(rel, ".", 2);
            return 0;
        }
        if (p[0] != '/' && (a[0] == '\0' || a[strlen(a) - 1] != '/'))
            return 404;
        rel[0] = '/';
        memcpy(rel + (p[0] != '/'), p, n);
        n += p[0] != '/';
        rel[n] = '\0';
        return 0;
    }
    if (n + 1 > cap)
        return 414;
    memcpy(rel, p, n);
    rel[n] = '\0';
    return 0;
}

static const char *conf_dir(const struct ctx *x)
{
    return x->conf->alias != NULL ? x->conf->alias : x->conf->root;
}

static const char *header(const struct ctx *x, const char *name, size_t *len)
{
    return http_header(x->env->req, name, len);
}

/* --- files ------------------------------------------------------------------ */

static int cmp_names(const void *a, const void *b)
{
    const struct dirent *const *da = a, *const *db = b;
    int dira = (*da)->d_type == DT_DIR, dirb = (*db)->d_type == DT_DIR;
    if (dira != dirb)
        return dirb - dira; /* directories first, as nginx lists them */
    return strcmp((*da)->d_name, (*db)->d_name);
}

static size_t put_escaped_html(char *out, size_t o, size_t cap, const char *s, size_t max_chars,
                               int uri)
{
    size_t chars = 0;
    for (; *s && o + 8 < cap && chars < max_chars; s++, chars++) {
        unsigned char c = (unsigned char)*s;
        if (uri && (c <= ' ' || c >= 0x7f || strchr("\"#%&'+<>?\\^`{|}", c) != NULL)) {
            o += (size_t)snprintf(out + o, cap - o, "%%%02X", c);
        } else if (c == '<') {
            memcpy(out + o, "&lt;", 4);
            o += 4;
        } else if (c == '>') {
            memcpy(out + o, "&gt;", 4);
            o += 4;
        } else if (c == '&') {
            memcpy(out + o, "&amp;", 5);
            o += 5;
        } else if (c == '"' && !uri) {
            memcpy(out + o, "&quot;", 6);
            o += 6;
        } else {
            out[o++] = (char)c;
        }
    }
    return o;
}

/* nginx's autoindex page: directories first, then files, by name; hidden
 * files left out; names escaped for HTML and for the link. */
static int answer_autoindex(struct ctx *x, int dir_fd, const char *rel)
{
    int fd = static_open_dir(dir_fd, rel, x->conf->disable_symlinks);
    DIR *d = fd >= 0 ? fdopendir(fd) : NULL;
    struct dirent **list = NULL, *e;
    size_t n = 0, cap, o = 0, ncap = 0;
    char *page;
    struct response resp;

    if (d == NULL) {
        if (fd >= 0)
            close(fd);
        log_error(LL_ERR, x->env->log, "opendir() \"%s%s\" failed (%d: %s)", conf_dir(x), rel,
                  errno, strerror(errno));
        return answer_status(x, errno == ENOENT ? 404 : 403, NULL, 0);
    }
    while ((e = readdir(d)) != NULL) {
        struct stat st;
        if (e->d_name[0] == '.')
            continue;
        if (n == ncap) {
            ncap = ncap ? ncap * 2 : 64;
            list = xrealloc(list, ncap * sizeof(*list));
        }
        list[n] = xmalloc(sizeof(struct dirent));
        memcpy(list[n], e, sizeof(struct dirent));
        if (fstatat(dirfd(d), e->d_name, &st, 0) == 0)
            list[n]->d_type = S_ISDIR(st.st_mode) ? DT_DIR : DT_REG;
        n++;
    }
    qsort(list, n, sizeof(*list), cmp_names);
    cap = 512 + 2 * x->ulen * 6 + n * (300 + 6 * 256);
    page = xmalloc(cap);
    o += (size_t)snprintf(page, cap, "<html>\r\n<head><title>Index of ");
    o = put_escaped_html(page, o, cap, x->uri, SIZE_MAX, 0);
    o += (size_t)snprintf(page + o, cap - o, "</title></head>\r\n<body>\r\n<h1>Index of ");
    o = put_escaped_html(page, o, cap, x->uri, SIZE_MAX, 0);
    o += (size_t)snprintf(page + o, cap - o, "</h1><hr><pre><a href=\"../\">../</a>\r\n");
    for (size_t i = 0; i < n; i++) {
        struct stat st;
        struct tm tm;
        char date[32], size[32];
        int isdir = list[i]->d_type == DT_DIR;
        size_t namelen = strlen(list[i]->d_name) + (size_t)isdir, shown, pad;
        if (fstatat(dirfd(d), list[i]->d_name, &st, 0) != 0)
            memset(&st, 0, sizeof(st));
        o += (size_t)snprintf(page + o, cap - o, "<a href=\"");
        o = put_escaped_html(page, o, cap, list[i]->d_name, SIZE_MAX, 1);
        o += (size_t)snprintf(page + o, cap - o, "%s\">", isdir ? "/" : "");
        shown = namelen > 50 ? 47 : namelen - (size_t)isdir;
        o = put_escaped_html(page, o, cap, list[i]->d_name, shown, 0);
        if (namelen > 50)
            o += (size_t)snprintf(page + o, cap - o, "..&gt;</a>");
        else
            o += (size_t)snprintf(page + o, cap - o, "%s</a>", isdir ? "/" : "");
        pad = namelen > 50 ? 1 : 51 - namelen;
        gmtime_r(&st.st_mtime, &tm);
        strftime(date, sizeof(date), "%d-%b-%Y %H:%M", &tm);
        if (isdir)
            snprintf(size, sizeof(size), "%19s", "-");
        else
            snprintf(size, sizeof(size), "%19lld", (long long)st.st_size);
        o += (size_t)snprintf(page + o, cap - o, "%*s%s %s\r\n", (int)pad, "", date, size);
        free(list[i]);
    }
    free(list);
    closedir(d);
    o += (size_t)snprintf(page + o, cap - o, "</pre><hr></body>\r\n</html>\r\n");
    init_response(x, &resp, 200);
    resp.content_type = "text/html";
    resp.content_length = head_only(x) ? -1 : (long long)o;
    write_head(x, &resp);
    x->r->mem = page;
    if (!head_only(x))
        add_mem(x->r, page, o);
    return DONE;
}

/* Opens name.gz / name.br next to the file when the client takes it;
 * replaces fd/st and returns the coding, or NULL. *vary is set when a
 * variant exists, whether or not it was chosen (nginx's gzip_vary). */
static const char *precompressed(struct ctx *x, int dir_fd, const char *rel, int *fd,
                                 struct stat *st, int *vary)
{
    static const char *const codings[2] = {"br", "gzip"};
    const char *ae;
    size_t aelen = 0;
    int q[2] = {0, 0}, order[2] = {0, 1};
    char alt[URI_MAX + 4];

    if (x->conf->gzip_static == STATIC_OFF && x->conf->brotli_static == STATIC_OFF)
        return NULL;
    ae = header(x, "accept-encoding", &aelen);
    if (x->conf->brotli_static == STATIC_ON && ae != NULL)
        q[0] = static_accepts(ae, aelen, "br");
    if (x->conf->gzip_static == STATIC_ALWAYS)
        q[1] = 1000;
    else if (x->conf->gzip_static == STATIC_ON && ae != NULL)
        q[1] = static_accepts(ae, aelen, "gzip");
    if (q[1] > q[0]) { /* gzip first only when preferred; ties go to br */
        order[0] = 1;
        order[1] = 0;
    }
    for (int k = 0; k < 2; k++) {
        int i = order[k], afd;
        struct stat ast;
        if ((i == 0 ? x->conf->brotli_static : x->conf->gzip_static) == STATIC_OFF)
            continue;
        snprintf(alt, sizeof(alt), "%s.%s", rel, i == 0 ? "br" : "gz");
        afd = static_open_file(dir_fd, alt, x->conf->disable_symlinks, &ast);
        if (afd < 0)
            continue;
        if (!S_ISREG(ast.st_mode)) {
            close(afd);
            continue;
        }
        /* nginx adds Vary for "on" (the answer depends on the client), not
         * for "always" */
        *vary = x->conf->gzip_vary && (i == 0 || x->conf->gzip_static == STATIC_ON);
        if (q[i] == 0) {
            close(afd);
            continue;
        }
        if (*fd >= 0)
            close(*fd);
        *fd = afd;
        *st = ast;
        return codings[i];
    }
    return NULL;
}

static int answer_file_variant(struct ctx *x, int fd, struct stat *st, const char *name,
                               size_t namelen, const char *coding, int vary);

/* A regular file: a precompressed variant if one fits, then validators,
 * conditions, ranges and the head. The file stays open in r->fd for the
 * send segments. */
static int answer_file(struct ctx *x, int fd, struct stat *st, const char *name, size_t namelen,
                       int dir_fd, const char *rel)
{
    int vary = 0;
    const char *coding = NULL;
    if (!x->error_status)
        coding = precompressed(x, dir_fd, rel, &fd, st, &vary);
    return answer_file_variant(x, fd, st, name, namelen, coding, vary);
}

static int answer_file_variant(struct ctx *x, int fd, struct stat *st, const char *name,
                               size_t namelen, const char *coding, int vary)
{
    struct reply *r = x->r;
    struct response resp;
    char etag[64], crange[96];
    int status = x->error_status > 1 ? x->error_status : 200, cond;
    const char *v;
    size_t vlen;

    r->fd = fd;
    if (x->method == HTTP_POST && !x->error_status) {
        if (fd >= 0)
            close(fd);
        r->fd = -1;
        return answer_status(x, 405, NULL, 0);
    }
    if (x->conf->etag)
        static_etag(etag, sizeof(etag), st);
    init_response(x, &resp, status);
    resp.content_type = type_of(x, name, namelen);
    resp.last_modified = st->st_mtime;
    resp.etag = x->conf->etag && status == 200 ? etag : NULL;
    resp.content_encoding = coding;
    resp.vary = vary;
    if (status != 200) { /* an error_page body: nginx keeps its ETag */
        resp.last_modified = 0;
        resp.etag = x->conf->etag ? etag : NULL;
        resp.content_length = st->st_size;
        write_head(x, &resp);
        if (!head_only(x))
            add_body(x, 0, (size_t)st->st_size);
        return DONE;
    }

    struct conditions c = {0};
    c.if_match = header(x, "if-match", &c.if_match_len);
    c.if_unmodified_since = header(x, "if-unmodified-since", &c.if_unmodified_since_len);
    c.if_none_match = header(x, "if-none-match", &c.if_none_match_len);
    c.if_modified_since = header(x, "if-modified-since", &c.if_modified_since_len);
    cond = static_conditions(&c, resp.etag, st->st_mtime, 1, x->conf->if_modified_since);
    if (cond == 412) {
        if (fd >= 0)
            close(fd);
        r->fd = -1;
        return answer_status(x, 412, NULL, 0);
    }
    if (cond == 304) {
        resp.status = 304;
        resp.content_type = NULL;
        resp.content_encoding = NULL;
        write_head(x, &resp);
        return DONE;
    }

    v = coding == NULL ? header(x, "range", &vlen) : NULL; /* nginx: no ranges of a variant */
    if (v != NULL) {
        const char *ir;
        size_t irlen;
        struct range ranges[MAX_RANGES];
        size_t n = 0;
        int rs = 200;
        ir = header(x, "if-range", &irlen);
        if (ir == NULL || static_if_range(ir, irlen, resp.etag, st->st_mtime))
            rs = static_ranges(v, vlen, st->st_size, x->conf->max_ranges, ranges, MAX_RANGES, &n);
        if (rs == 416) {
            snprintf(crange, sizeof(crange), "bytes */%lld", (long long)st->st_size);
            if (fd >= 0)
                close(fd);
            r->fd = -1;
            x->content_range = crange;
            return answer_status(x, 416, NULL, 0);
        }
        if (rs == 206 && n == 1) {
            resp.status = 206;
            snprintf(crange, sizeof(crange), "bytes %lld-%lld/%lld", (long long)ranges[0].start,
                     (long long)ranges[0].end - 1, (long long)st->st_size);
            resp.content_range = crange;
            resp.content_length = ranges[0].end - ranges[0].start;
            write_head(x, &resp);
            if (!head_only(x))
                add_body(x, ranges[0].start, (size_t)(ranges[0].end - ranges[0].start));
            return DONE;
        }
        if (rs == 206) {
            /* multipart/byteranges: part heads in one allocation, file
             * ranges between them, as nginx lays them out */
            static unsigned long counter;
            char ctype[80], *mem, *p;
            size_t each = 256 + strlen(resp.content_type), total = 0;
            unsigned long boundary = ++counter + (unsigned long)getpid() * 1000003UL;
            mem = p = xmalloc(each * (n + 1));
            r->mem = mem;
            snprintf(ctype, sizeof(ctype), "multipart/byteranges; boundary=%020lu", boundary);
            for (size_t i = 0; i < n; i++) {
                int len = snprintf(p, each,
                                   "\r\n--%020lu\r\nContent-Type: %s\r\nContent-Range: bytes "
                                   "%lld-%lld/%lld\r\n\r\n",
                                   boundary, resp.content_type, (long long)ranges[i].start,
                                   (long long)ranges[i].end - 1, (long long)st->st_size);
                if (!head_only(x)) {
                    add_mem(r, p, (size_t)len);
                    add_body(x, ranges[i].start, (size_t)(ranges[i].end - ranges[i].start));
                }
                total += (size_t)len + (size_t)(ranges[i].end - ranges[i].start);
                p += len;
            }
            {
                int len = snprintf(p, each, "\r\n--%020lu--\r\n", boundary);
                if (!head_only(x))
                    add_mem(r, p, (size_t)len);
                total += (size_t)len;
            }
            resp.status = 206;
            resp.content_type = ctype;
            resp.content_length = (long long)total;
            write_head(x, &resp);
            return DONE;
        }
    }
    resp.accept_ranges = coding == NULL;
    resp.content_length = st->st_size;
    write_head(x, &resp);
    if (!head_only(x))
        add_body(x, 0, (size_t)st->st_size);
    return DONE;
}

/* Small files may come from fcache when their bytes pass through user space
 * anyway (userspace TLS, or sendfile off) and no variant is to be looked for:
 * with kTLS or plain sendfile the kernel reads the page cache itself. */
static int cacheable_here(const struct ctx *x)
{
    int zero_copy = x->conf->sendfile && (!x->env->ssl || x->env->ktls_tx);
    return !zero_copy && x->conf->gzip_static == STATIC_OFF &&
           x->conf->brotli_static == STATIC_OFF && x->conf->disable_symlinks == SYMLINKS_OFF;
}

/* Serves uri from the location's directory: a file, a directory's index,
 * an autoindex listing, or the matching error. */
static int serve_path(struct ctx *x)
{
    char rel[URI_MAX + 256];
    struct stat st;
    int dir_fd, fd;

    int st_map = map_path(x, x->uri, x->ulen, &dir_fd, rel, URI_MAX);
    if (st_map == 404)
        log_error(LL_ERR, x->env->log, "\"%s%.*s\" is not found (outside the alias)", conf_dir(x),
                  (int)(x->ulen - x->loc->plen), x->uri + x->loc->plen);
    if (st_map != 0)
        return answer_status(x, st_map, NULL, 0);
    if (dir_fd < 0) {
        log_error(LL_ERR, x->env->log, "root \"%s\" cannot be opened", conf_dir(x));
        return answer_status(x, 404, NULL, 0);
    }
    if (rel[strlen(rel) - 1] == '/') {
        size_t rl = strlen(rel);
        for (size_t i = 0; i < x->conf->nindex; i++) {
            snprintf(rel + rl, sizeof(rel) - rl, "%s", x->conf->index[i]);
            fd = static_open_file(dir_fd, rel, x->conf->disable_symlinks, &st);
            if (fd < 0) {
                if (errno == ENOENT)
                    continue;
                log_error(LL_ERR, x->env->log, "open() \"%s%s\" failed (%d: %s)", conf_dir(x), rel,
                          errno, strerror(errno));
                return answer_status(x, static_errno_status(errno), NULL, 0);
            }
            if (S_ISREG(st.st_mode))
                return answer_file(x, fd, &st, rel, strlen(rel), dir_fd, rel);
            close(fd);
        }
        rel[rl] = '\0';
        fd = static_open_file(dir_fd, rel, x->conf->disable_symlinks, &st);
        if (fd < 0) {
            int e = errno;
            log_error(LL_ERR, x->env->log, "\"%s%s\" is not found (%d: %s)", conf_dir(x), rel, e,
                      strerror(e));
            return answer_status(x, static_errno_status(e), NULL, 0);
        }
        close(fd);
        if (x->conf->autoindex)
            return x->method == HTTP_POST ? answer_status(x, 405, NULL, 0)
                                          : answer_autoindex(x, dir_fd, rel);
        log_error(LL_ERR, x->env->log, "directory index of \"%s%s\" is forbidden", conf_dir(x),
                  rel);
        return answer_status(x, 403, NULL, 0);
    }
    if (cacheable_here(x)) { /* one open at most, cached or not */
        x->body_mem = fcache_get(dir_fd, rel, &st, &fd, &x->r->cached);
        if (x->body_mem != NULL)
            return answer_file_variant(x, -1, &st, rel, strlen(rel), NULL, 0);
    } else {
        fd = static_open_file(dir_fd, rel, x->conf->disable_symlinks, &st);
    }
    if (fd < 0 && errno == ENOENT && !x->error_status) {
        /* only FILE.gz / FILE.br on disk: served to clients that take it */
        int vary = 0;
        const char *coding;
        fd = -1;
        coding = precompressed(x, dir_fd, rel, &fd, &st, &vary);
        if (coding != NULL)
            return answer_file_variant(x, fd, &st, rel, strlen(rel), coding, vary);
        errno = ENOENT;
    }
    if (fd < 0) {
        int e = errno;
        log_error(static_errno_status(e) == 500 ? LL_CRIT : LL_ERR, x->env->log,
                  "open() \"%s%s\" failed (%d: %s)", conf_dir(x), rel, e, strerror(e));
        return answer_status(x, static_errno_status(e), NULL, 0);
    }
    if (S_ISDIR(st.st_mode)) {
        char loc[URI_MAX + 8];
        int n = snprintf(loc, sizeof(loc), "%.*s/%s%.*s", (int)x->ulen, x->uri, x->alen ? "?" : "",
                         (int)x->alen, x->args);
        close(fd);
        x->error_status = 1;
        return answer_status(x, 301, loc, n > 0 && (size_t)n < sizeof(loc) ? (size_t)n : 0);
    }
    if (!S_ISREG(st.st_mode)) {
        close(fd);
        log_error(LL_ERR, x->env->log, "\"%s%s\" is not a regular file", conf_dir(x), rel);
        return answer_status(x, 403, NULL, 0);
    }
    return answer_file(x, fd, &st, rel, strlen(rel), dir_fd, rel);
}

static void set_uri(struct ctx *x, const char *uri)
{
    const char *q = strchr(uri, '?');
    size_t len = q ? (size_t)(q - uri) : strlen(uri);
    if (static_normalize(uri, len, x->uri, sizeof(x->uri), &x->ulen) != 0)
        x->ulen = (size_t)snprintf(x->uri, sizeof(x->uri), "/");
    if (q != NULL)
        x->alen = (size_t)snprintf(x->args, sizeof(x->args), "%s", q + 1);
}

/* try_files: the first that exists wins; the last is a fallback URI (an
 * internal redirect) or "=CODE". */
static int try_files(struct ctx *x)
{
    const struct srv_conf *c = x->conf;
    char cand[URI_MAX], rel[URI_MAX + 256];
    /* nginx's rules: a candidate written with a trailing "/" must be a
     * directory, any other a file; the URI becomes the candidate without
     * that slash (so "$uri/" on "/dir" ends in the 301 to "/dir/") */
    for (size_t i = 0; i + 1 < c->ntry_files; i++) {
        struct stat st;
        int dir_fd, fd,
            test_dir = c->try_files[i][0] && c->try_files[i][strlen(c->try_files[i]) - 1] == '/';
        size_t n = expand(x, c->try_files[i], cand, sizeof(cand)), len;
        char norm[URI_MAX];
        if (test_dir && n > 0)
            cand[--n] = '\0';
        if (n == 0 || cand[0] != '/' || static_normalize(cand, n, norm, sizeof(norm), &len) != 0)
            continue;
        if (map_path(x, norm, len, &dir_fd, rel, URI_MAX) != 0 || dir_fd < 0)
            continue;
        fd = static_open_file(dir_fd, rel, SYMLINKS_OFF, &st);
        if (fd < 0)
            continue;
        close(fd);
        if ((S_ISDIR(st.st_mode) != 0) != test_dir)
            continue;
        memcpy(x->uri, norm, len + 1);
        x->ulen = len;
        return serve_path(x);
    }
    {
        const char *last = c->try_files[c->ntry_files - 1];
        long code;
        char *end;
        if (last[0] == '=') {
            code = strtol(last + 1, &end, 10);
            if (*end == '\0' && code >= 200 && code <= 599)
                return answer_status(x, (int)code, NULL, 0);
        }
        expand(x, last, cand, sizeof(cand));
        set_uri(x, cand);
        x->internal = 1;
        return REDIRECT;
    }
}

/* ktlsd_status: the counters as text (stub_status layout) or JSON. */
static int answer_stats(struct ctx *x)
{
    struct response resp;
    int json = x->alen >= 11 && strstr(x->args, "format=json") != NULL;
    char *page = xmalloc(4096);
    size_t n;
    if (x->method != HTTP_GET && x->method != HTTP_HEAD) {
        free(page);
        return answer_status(x, 405, NULL, 0);
    }
    n = stats_render(page, 4096, json);
    init_response(x, &resp, 200);
    resp.content_type = json ? "application/json" : "text/plain";
    resp.content_length = (long long)n;
    resp.expires = EXPIRES_EPOCH; /* never cached */
    write_head(x, &resp);
    x->r->mem = page;
    if (!head_only(x))
        add_mem(x->r, page, n);
    return DONE;
}

static int handle(struct ctx *x)
{
    x->loc = find_location(x->srv, x->uri, x->ulen);
    x->conf = x->loc != NULL ? &x->loc->c : &x->srv->c;
    if (x->loc != NULL && x->loc->internal && !x->internal)
        return answer_status(x, 404, NULL, 0);
    if (!access_allowed(x->conf, x->env->peer)) {
        log_error(LL_ERR, x->env->log, "access forbidden by rule, request: \"%.*s\"", (int)x->tlen,
                  x->target);
        return answer_status(x, 403, NULL, 0);
    }
    if (x->loc != NULL && x->conf->return_code != CONF_UNSET)
        return do_return(x, x->conf->return_code, x->conf->return_text);
    if (x->conf->status_page)
        return answer_stats(x);
    /* nginx's static handler: other methods get 405 at once; POST gets it
     * only once the file is found (a missing one is still a 404) */
    if (x->method != HTTP_GET && x->method != HTTP_HEAD && x->method != HTTP_POST)
        return answer_status(x, 405, NULL, 0);
    if (x->conf->ntry_files > 0)
        return try_files(x);
    return serve_path(x);
}

long long request_body_limit(const struct request_env *env)
{
    /* the limit of the location the path falls in; cheap enough to redo */
    const struct request *rq = env->req;
    struct server_conf *srv;
    const char *host;
    size_t hlen = 0, len;
    struct location *l;
    char norm[URI_MAX];
    host = http_header(rq, "host", &hlen);
    if (host != NULL) {
        const char *colon = memchr(host, ':', hlen);
        if (colon != NULL && host[0] != '[')
            hlen = (size_t)(colon - host);
    }
    srv = request_server(env->vh, host, hlen);
    if (srv == NULL)
        srv = env->srv;
    if (static_normalize(env->rbuf + rq->url.off, rq->url.len, norm, sizeof(norm), &len) != 0)
        return srv->c.client_max_body_size;
    l = find_location(srv, norm, len);
    return l != NULL ? l->c.client_max_body_size : srv->c.client_max_body_size;
}

void request_respond(struct request_env *env, struct reply *r)
{
    struct ctx *x = &the_ctx;
    const struct request *rq = env->req;
    const char *target = env->rbuf + rq->url.off, *q;
    size_t tlen = rq->url.len;

    memset(r, 0, offsetof(struct reply, segs));
    r->fd = -1;
    memset(x, 0, offsetof(struct ctx, uri));
    x->env = env;
    x->r = r;
    x->method = rq->method;
    x->srv = env->srv;
    x->conf = &x->srv->c;
    if (rq->error) {
        r->srv = x->srv;
        answer_status(x, rq->error, NULL, 0);
        return;
    }
    x->host = http_header(rq, "host", &x->hlen);
    /* absolute-form (RFC 9112 3.2.2): its authority replaces Host */
    if (tlen > 8 &&
        (strncasecmp(target, "http://", 7) == 0 || strncasecmp(target, "https://", 8) == 0)) {
        const char *auth = (const char *)memchr(target, ':', tlen) + 3, *slash;
        slash = memchr(auth, '/', tlen - (size_t)(auth - target));
        x->host = auth;
        x->hlen = slash ? (size_t)(slash - auth) : tlen - (size_t)(auth - target);
        if (slash == NULL) {
            target = "/";
            tlen = 1;
        } else {
            tlen -= (size_t)(slash - target);
            target = slash;
        }
    }
    if (x->host != NULL) {
        const char *colon = x->hlen && x->host[0] != '[' ? memchr(x->host, ':', x->hlen) : NULL;
        if (colon != NULL)
            x->hlen = (size_t)(colon - x->host);
        if (x->hlen == 0)
            x->host = NULL;
        else
            x->srv = request_server(env->vh, x->host, x->hlen);
        if (x->srv == NULL)
            x->srv = env->srv;
        x->conf = &x->srv->c;
    }
    r->srv = x->srv;
    x->target = target;
    x->tlen = tlen;
    q = memchr(target, '?', tlen);
    if (q != NULL) {
        size_t alen = tlen - (size_t)(q - target) - 1;
        if (alen >= sizeof(x->args))
            alen = sizeof(x->args) - 1;
        memcpy(x->args, q + 1, alen);
        x->args[alen] = '\0';
        x->alen = alen;
    }
    {
        int st = static_normalize(target, tlen, x->uri, sizeof(x->uri) - 256, &x->ulen);
        if (st != 0) {
            answer_status(x, st, NULL, 0);
            return;
        }
    }
    if (env->plain_on_tls || env->client_verify) { /* nginx's 497, 495, 496: a 400, or what
                                                     error_page says */
        r->close = 1;
        if (answer_status(x, env->plain_on_tls ? 497 : env->client_verify, NULL, 0) == DONE)
            return;
    } else if (x->srv->c.return_code != CONF_UNSET) { /* server-level return runs first */
        do_return(x, x->srv->c.return_code, x->srv->c.return_text);
        return;
    }
    for (int i = 0; i <= MAX_REDIRECTS; i++) {
        if (r->fd >= 0) {
            close(r->fd);
            r->fd = -1;
        }
        if (handle(x) == DONE)
            break;
        if (i == MAX_REDIRECTS) {
            log_error(
                LL_ERR, x->env->log,
                "rewrite or internal redirection cycle while internally redirecting to \"%s\"",
                x->uri);
            x->error_status = 1;
            answer_status(x, 500, NULL, 0);
        }
    }
}

void reply_free(struct reply *r)
{
    if (r->fd >= 0)
        close(r->fd);
    r->fd = -1;
    free(r->mem);
    r->mem = NULL;
    fcache_release(r->cached);
    r->cached = NULL;
}
