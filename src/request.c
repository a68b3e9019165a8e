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
#include "tls.h"
#include "util.h"
#include "vars.h"
#include "version.h"

#include <arpa/inet.h>
#include <limits.h>
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
#define MAX_CAPTURES 10 /* $0..$9 */
#define URI_MAX (HTTP_MAX_URL + 512)

enum { DONE, REDIRECT };

/* What a regex with capture groups matched. */
struct captures {
    const pcre2_code *re; /* NULL: none */
    int n;
    PCRE2_SIZE ov[2 * MAX_CAPTURES];
    char subject[URI_MAX];
};

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
    struct location *named; /* the target of an internal redirect to "@name" */
    const char *dyn_tpl;    /* the root or alias with variables dyn_fd is open for */
    int dyn_fd;
    int in_dir;                  /* expanding that root or alias: $document_root is empty */
    const struct response *resp; /* the head being written, or NULL */
    char uri[URI_MAX];           /* decoded and normalised */
    char args[URI_MAX];          /* the query, raw */
    char locbuf[URI_MAX * 2];
    struct captures cap[2]; /* of the regex server_name [0], of the regex location [1] */
    char scratch[PATH_MAX + 64];
    char docroot[PATH_MAX];                 /* a root or alias with variables, expanded */
    struct add_header add[ADD_HEADERS_MAX]; /* add_header values with variables, expanded */
    char add_values[8192];
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

/* Keeps what a regex matched (nginx's r->captures and named-capture
 * variables): $1..$9 come from the last regex that matched, the location's
 * if there was one (even one without groups: then they are empty, as in
 * nginx); a named capture from the regex that has that name, the
 * location's first. */
static void keep_captures(struct captures *c, const pcre2_code *re, pcre2_match_data *md, int rc,
                          const char *subject, size_t len)
{
    PCRE2_SIZE *ov = pcre2_get_ovector_pointer(md);
    uint32_t groups = 0;
    c->re = re;
    c->n = 0;
    pcre2_pattern_info(re, PCRE2_INFO_CAPTURECOUNT, &groups);
    if (groups == 0)
        return;
    if (len >= sizeof(c->subject))
        len = sizeof(c->subject) - 1;
    memcpy(c->subject, subject, len);
    c->subject[len] = '\0';
    c->n = rc > MAX_CAPTURES || rc == 0 ? MAX_CAPTURES : rc;
    memcpy(c->ov, ov, (size_t)c->n * 2 * sizeof(*ov));
}

/* The server block for a host: exact names, then wildcards, then the first
 * "~regex" name in file order that matches (nginx's order); its captures go
 * to x when there is one. */
static struct server_conf *pick_server(const struct vhosts *vh, const char *host, size_t len,
                                       struct ctx *x)
{
    struct server_conf *best = NULL;
    int best_score = 0;
    char lower[256];
    if (host == NULL || vh == NULL)
        return vh != NULL ? vh->dflt : NULL;
    if (len > 0 && host[len - 1] == '.')
        len--;
    for (size_t i = 0; i < vh->n; i++)
        for (size_t j = 0; j < vh->servers[i]->nnames; j++) {
            int score = vh->servers[i]->name_re[j] != NULL
                            ? 0
                            : name_matches(vh->servers[i]->names[j], host, len);
            if (score > best_score) {
                best_score = score;
                best = vh->servers[i];
            }
        }
    if (best != NULL || len >= sizeof(lower))
        return best != NULL ? best : vh->dflt;
    for (size_t k = 0; k < len; k++) /* nginx matches the lowercased Host */
        lower[k] = (host[k] >= 'A' && host[k] <= 'Z') ? (char)(host[k] + 32) : host[k];
    for (size_t i = 0; i < vh->n; i++)
        for (size_t j = 0; j < vh->servers[i]->nnames; j++) {
            pcre2_code *re = vh->servers[i]->name_re[j];
            pcre2_match_data *md = vh->servers[i]->name_md[j];
            int rc;
            if (re == NULL)
                continue;
            rc = pcre2_match(re, (PCRE2_SPTR)lower, len, 0, 0, md, NULL);
            if (rc < 0)
                continue;
            if (x != NULL)
                keep_captures(&x->cap[0], re, md, rc, lower, len);
            return vh->servers[i];
        }
    return vh->dflt;
}

struct server_conf *request_server(const struct vhosts *vh, const char *host, size_t len)
{
    return pick_server(vh, host, len, NULL);
}

/* --- locations -------------------------------------------------------------- */

/* nginx's order: an exact "=" match; else the longest prefix, which ends
 * the search if it is "^~"; else the first regex in the file's order; else
 * that longest prefix. */
static struct location *find_location(struct server_conf *s, const char *uri, size_t len, int *rc)
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
        int m = pcre2_match(l->re, (PCRE2_SPTR)uri, len, 0, 0, l->md, NULL);
        if (m >= 0) {
            if (rc != NULL)
                *rc = m;
            return l;
        }
    }
    return prefix;
}

static struct location *find_named(const struct server_conf *s, const char *name)
{
    for (size_t i = 0; i < s->nlocs; i++)
        if (s->locs[i]->kind == LOC_NAMED && strcmp(s->locs[i]->pattern, name) == 0)
            return s->locs[i];
    return NULL;
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

static size_t expand(struct ctx *x, const struct vars_tpl *t, char *out, size_t cap);

/* A value expanded into a header (Location, add_header) can hold what the
 * client sent, decoded: "$1" of "/a%0d%0aSet-Cookie:..." holds CR LF. Control
 * bytes become %XX, so that no value can end the header line (nginx writes
 * them as they are). Returns the new length, truncated to cap-1. */
static size_t header_safe(char *s, size_t n, size_t cap)
{
    static const char hex[] = "0123456789ABCDEF";
    size_t extra = 0;
    for (size_t i = 0; i < n; i++)
        extra += ((unsigned char)s[i] < 0x20 || s[i] == 0x7f) ? 2 : 0;
    if (extra == 0)
        return n;
    if (n + extra >= cap) /* no room to escape: cut before the first control byte */
        for (size_t i = 0; i < n; i++)
            if ((unsigned char)s[i] < 0x20 || s[i] == 0x7f) {
                s[i] = '\0';
                return i;
            }
    s[n + extra] = '\0';
    for (size_t i = n, o = n + extra; i-- > 0;) {
        unsigned char c = (unsigned char)s[i];
        if (c < 0x20 || c == 0x7f) {
            s[--o] = hex[c & 15];
            s[--o] = hex[c >> 4];
            s[--o] = '%';
        } else {
            s[--o] = (char)c;
        }
    }
    return n + extra;
}

/* add_header values that name variables: expanded per response into the
 * context's own copy of the list. */
static void expand_add_headers(struct ctx *x, struct response *resp)
{
    size_t used = 0, n = x->conf->nadd_headers;
    int any = 0;
    for (size_t i = 0; i < n && !any; i++)
        any = x->conf->add_headers[i].tpl != NULL;
    if (!any || n > ADD_HEADERS_MAX) /* refused by the config check */
        return;
    for (size_t i = 0; i < n; i++) {
        const struct add_header *h = &x->conf->add_headers[i];
        x->add[i] = *h;
        if (h->tpl != NULL && used < sizeof(x->add_values)) {
            char *v = x->add_values + used;
            size_t room = sizeof(x->add_values) - used;
            x->add[i].value = v;
            used += header_safe(v, expand(x, h->tpl, v, room), room) + 1;
        } else if (h->tpl != NULL) {
            x->add[i].value = ""; /* no room left: never the unexpanded text */
        }
    }
    resp->add = x->add;
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
    x->resp = resp; /* for $sent_http_ in add_header values */
    expand_add_headers(x, resp);
    x->resp = NULL;
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
            if (e->uri[0] == '@') { /* a named location: the URI stays */
                x->named = find_named(x->srv, e->uri);
                if (x->named == NULL) {
                    log_error(LL_ERR, x->env->log, "could not find named location \"%s\"", e->uri);
                    break;
                }
                x->error_status = e->new_code > 0 ? e->new_code : e->new_code < 0 ? 1 : status;
                x->internal = 1;
                return REDIRECT;
            }
            if (e->uri[0] != '/') { /* error_page 404 https://...: a redirect */
                x->error_status = 1;
                return answer_status(x, e->new_code >= 300 && e->new_code < 400 ? e->new_code : 302,
                                     e->uri, strlen(e->uri));
            }
            x->error_status = e->new_code > 0   ? e->new_code
                              : e->new_code < 0 ? 1
                              : status == 497   ? 400
                                                : status;
            x->internal = 1;
            x->ulen = (size_t)snprintf(x->uri, sizeof(x->uri), "%s", e->uri);
            x->alen = 0;
            return REDIRECT;
        }
    if (status == 400 || status == 413 || status == 414 || status == 431 ||
        status == HTTP_HEADER_TOO_LARGE || status == 497 || status >= 500)
        x->r->close = 1;
    body = http_error_body(status, &blen);
    if (status == HTTP_HEADER_TOO_LARGE || status == 497) /* nginx's 400s with their own page */
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

static const char *conf_dir(const struct ctx *x);

static const char *request_header(const void *rq, const char *lname, size_t *len)
{
    return http_header(rq, lname, len);
}

/* $sent_http_NAME while add_header values are expanded: the headers ktlsd
 * has set by then (nginx's headers_out); others are empty. */
static int sent_header(struct ctx *x, const struct var_ref *v, const char **val, size_t *len)
{
    const struct response *resp = x->resp;
    char *sc = x->scratch;
    size_t cap = sizeof(x->scratch);
    int n = -1;
    *val = NULL;
    if (v->klen == 12 && strncasecmp(v->key, "content_type", 12) == 0)
        *val = resp->content_type;
    else if (v->klen == 16 && strncasecmp(v->key, "content_encoding", 16) == 0)
        *val = resp->content_encoding;
    else if (v->klen == 4 && strncasecmp(v->key, "etag", 4) == 0)
        *val = resp->etag;
    else if (v->klen == 8 && strncasecmp(v->key, "location", 8) == 0 && resp->location != NULL) {
        *val = resp->location;
        *len = resp->location_len;
        return 1;
    } else if (v->klen == 14 && strncasecmp(v->key, "content_length", 14) == 0 &&
               resp->content_length >= 0)
        n = snprintf(sc, cap, "%lld", resp->content_length);
    else if (v->klen == 13 && strncasecmp(v->key, "last_modified", 13) == 0 &&
             resp->last_modified > 0)
        n = (int)time_http_date(sc, cap, resp->last_modified);
    if (n >= 0) {
        *val = sc;
        *len = (size_t)n;
        return 1;
    }
    if (*val == NULL)
        return 0;
    *len = strlen(*val);
    return 1;
}

/* One variable's value for vars_render (nginx's get_variable handlers).
 * Formatted values go to x->scratch, which vars_render copies at once. */
static int var_get(void *arg, const struct var_ref *v, const char **val, size_t *len)
{
    struct ctx *x = arg;
    const struct request *rq = x->env->req;
    char *sc = x->scratch, key[128];
    size_t cap = sizeof(x->scratch);
    int n = -1;

    *val = sc;
    switch (v->id) {
    case VAR_SCHEME:
        *val = x->env->ssl ? "https" : "http";
        break;
    case VAR_HTTPS:
        *val = x->env->ssl ? "on" : "";
        break;
    case VAR_HOST: /* lowercased Host without port, else the server's first name */
        if (x->host == NULL) {
            *val = x->srv->nnames ? x->srv->names[0] : "";
            break;
        }
        *len = x->hlen < cap ? x->hlen : cap - 1;
        for (size_t i = 0; i < *len; i++)
            sc[i] = (x->host[i] >= 'A' && x->host[i] <= 'Z') ? (char)(x->host[i] + 32) : x->host[i];
        return 1;
    case VAR_REQUEST_URI:
        *val = x->target;
        *len = x->tlen;
        return 1;
    case VAR_URI:
    case VAR_DOCUMENT_URI:
        *val = x->uri;
        *len = x->ulen;
        return 1;
    case VAR_ARGS:
    case VAR_QUERY_STRING: /* not found without a query (nginx: "-" in logs) */
        *val = x->args;
        *len = x->alen;
        return x->alen > 0;
    case VAR_IS_ARGS:
        *val = x->alen ? "?" : "";
        break;
    case VAR_SERVER_NAME:
        *val = x->srv->nnames ? x->srv->names[0] : "";
        break;
    case VAR_SERVER_PORT:
    case VAR_SERVER_ADDR: {
        struct sockaddr_storage ss;
        socklen_t sl = sizeof(ss);
        if (x->env->fd < 0 || getsockname(x->env->fd, (struct sockaddr *)&ss, &sl) != 0)
            return 0;
        if (v->id == VAR_SERVER_PORT)
            n = snprintf(sc, cap, "%u",
                         ntohs(ss.ss_family == AF_INET6 ? ((struct sockaddr_in6 *)&ss)->sin6_port
                                                        : ((struct sockaddr_in *)&ss)->sin_port));
        else if (inet_ntop(ss.ss_family,
                           ss.ss_family == AF_INET6
                               ? (const void *)&((struct sockaddr_in6 *)&ss)->sin6_addr
                               : (const void *)&((struct sockaddr_in *)&ss)->sin_addr,
                           sc, (socklen_t)cap) != NULL)
            n = (int)strlen(sc);
        break;
    }
    case VAR_REMOTE_ADDR:
    case VAR_REMOTE_PORT: {
        const struct sockaddr *pa = x->env->peer;
        if (pa == NULL || (pa->sa_family != AF_INET && pa->sa_family != AF_INET6))
            return 0;
        if (v->id == VAR_REMOTE_PORT)
            n = snprintf(sc, cap, "%u",
                         ntohs(pa->sa_family == AF_INET6
                                   ? ((const struct sockaddr_in6 *)pa)->sin6_port
                                   : ((const struct sockaddr_in *)pa)->sin_port));
        else if (inet_ntop(pa->sa_family,
                           pa->sa_family == AF_INET6
                               ? (const void *)&((const struct sockaddr_in6 *)pa)->sin6_addr
                               : (const void *)&((const struct sockaddr_in *)pa)->sin_addr,
                           sc, (socklen_t)cap) != NULL)
            n = (int)strlen(sc);
        break;
    }
    case VAR_SERVER_PROTOCOL:
        n = snprintf(sc, cap, "HTTP/%d.%d", rq->http_major, rq->http_minor);
        break;
    case VAR_REQUEST_METHOD:
        *val = http_method_name(rq);
        break;
    case VAR_REQUEST:
        n = snprintf(sc, cap, "%s %.*s HTTP/%d.%d", http_method_name(rq), (int)rq->url.len,
                     x->env->rbuf + rq->url.off, rq->http_major, rq->http_minor);
        break;
    case VAR_DOCUMENT_ROOT:
        if (x->in_dir)
            return 0;
        *val = conf_dir(x);
        break;
    case VAR_REALPATH_ROOT:
        if (x->in_dir || realpath(conf_dir(x), sc) == NULL)
            return 0;
        break;
    case VAR_REQUEST_FILENAME:
        if (x->in_dir)
            return 0;
        if (x->conf->alias != NULL && x->loc != NULL && x->loc->re != NULL)
            n = snprintf(sc, cap, "%s", conf_dir(x));
        else if (x->conf->alias != NULL && x->loc != NULL && x->ulen >= x->loc->plen)
            n = snprintf(sc, cap, "%s%.*s", conf_dir(x), (int)(x->ulen - x->loc->plen),
                         x->uri + x->loc->plen);
        else
            n = snprintf(sc, cap, "%s%.*s", conf_dir(x), (int)x->ulen, x->uri);
        break;
    case VAR_TIME_ISO8601:
    case VAR_TIME_LOCAL:
    case VAR_MSEC: {
        struct timespec ts;
        struct tm tm;
        long off;
        clock_gettime(CLOCK_REALTIME, &ts);
        if (v->id == VAR_MSEC) {
            n = snprintf(sc, cap, "%lld.%03ld", (long long)ts.tv_sec, ts.tv_nsec / 1000000);
            break;
        }
        localtime_r(&ts.tv_sec, &tm);
        off = tm.tm_gmtoff / 60;
        if (v->id == VAR_TIME_LOCAL) {
            time_update(ts.tv_sec);
            *val = time_now.log_local;
            break;
        }
        n = snprintf(sc, cap, "%04d-%02d-%02dT%02d:%02d:%02d%c%02ld:%02ld", tm.tm_year + 1900,
                     tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec,
                     off < 0 ? '-' : '+', labs(off) / 60, labs(off) % 60);
        break;
    }
    case VAR_SSL_SESSION_REUSED:
        if (x->env->tls == NULL)
            return 0;
        *val = tls_resumed(x->env->tls) ? "r" : ".";
        break;
    case VAR_SSL_SERVER_NAME:
    case VAR_SSL_PROTOCOL:
    case VAR_SSL_CIPHER:
        if (x->env->tls == NULL)
            return 0;
        *val = v->id == VAR_SSL_SERVER_NAME ? tls_servername(x->env->tls)
               : v->id == VAR_SSL_PROTOCOL  ? tls_protocol(x->env->tls)
                                            : tls_cipher(x->env->tls);
        if (*val == NULL)
            return 0;
        break;
    case VAR_HOSTNAME:
        if (gethostname(sc, cap) != 0)
            return 0;
        break;
    case VAR_CONTENT_TYPE:
    case VAR_CONTENT_LENGTH:
        *val = http_header(rq, v->id == VAR_CONTENT_TYPE ? "content-type" : "content-length", len);
        return *val != NULL;
    case VAR_SENT_HTTP:
        if (x->resp != NULL)
            return sent_header(x, v, val, len);
        return 0;
    case VAR_HTTP:
    case VAR_ARG:
    case VAR_COOKIE: {
        struct vars_src src = {request_header, rq, x->args, x->alen, NULL, 0};
        return vars_family(v, &src, val, len);
    }
    case VAR_CAPTURE:
    case VAR_NAMED_CAPTURE: {
        const struct captures *c = x->cap[1].re != NULL ? &x->cap[1] : &x->cap[0];
        int k = v->key[0] - '0';
        if (v->id == VAR_NAMED_CAPTURE) {
            if (v->klen >= sizeof(key))
                return 0;
            memcpy(key, v->key, v->klen);
            key[v->klen] = '\0';
            k = -1;
            for (int i = 1; i >= 0 && k < 0; i--) {
                c = &x->cap[i];
                if (c->re != NULL)
                    k = pcre2_substring_number_from_name(c->re, (PCRE2_SPTR)key);
            }
        }
        if (c->re == NULL || k < 0 || k >= c->n || c->ov[2 * k] == PCRE2_UNSET)
            return 0;
        *val = c->subject + c->ov[2 * k];
        *len = c->ov[2 * k + 1] - c->ov[2 * k];
        return 1;
    }
    }
    if (n >= 0)
        *len = (size_t)n < cap ? (size_t)n : cap - 1;
    else
        *len = strlen(*val);
    return 1;
}

static size_t expand(struct ctx *x, const struct vars_tpl *t, char *out, size_t cap)
{
    return vars_render(t, var_get, x, out, cap);
}

static int do_return(struct ctx *x, int code, const char *text, const struct vars_tpl *tpl)
{
    char val[URI_MAX];
    size_t n;
    struct response resp;

    if (code == 444) { /* nginx closes the connection without an answer:
                        * an empty reply that closes, logged as 444 */
        x->r->status = 444;
        x->r->close = 1;
        return DONE;
    }
    n = text ? expand(x, tpl, val, sizeof(val)) : 0;
    if (code == 301 || code == 302 || code == 303 || code == 307 || code == 308) {
        x->error_status = 1; /* no error_page for our own redirects */
        n = header_safe(val, n, sizeof(val));
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

/* A root or alias with variables ("alias /srv/$1", "root /srv/$host"), or
 * the alias of a regex location: the directory up to the first variable
 * (or the last '/') is opened, once per request and directive, and the
 * expanded rest goes in front of the path beneath it, so that no value can
 * climb out of that directory. Writes "/REST" into rel; returns the fd or
 * -1, with *rlen the length written. */
static int dynamic_dir(struct ctx *x, const char *tpl, char *rel, size_t cap, size_t *rlen)
{
    const char *dollar = strchr(tpl, '$');
    size_t plen = dollar != NULL ? (size_t)(dollar - tpl) : strlen(tpl), n;
    while (plen > 0 && tpl[plen - 1] != '/')
        plen--;
    if (plen == 0 || plen >= sizeof(x->docroot))
        return -1;
    if (x->dyn_tpl != tpl) {
        if (x->dyn_fd >= 0)
            close(x->dyn_fd);
        memcpy(x->docroot, tpl, plen);
        x->docroot[plen] = '\0';
        x->dyn_fd = static_root_open(x->docroot);
        x->dyn_tpl = tpl;
    }
    x->in_dir = 1;
    n = expand(x, x->conf->dir_tpl, x->docroot, sizeof(x->docroot));
    x->in_dir = 0;
    if (x->dyn_fd < 0 || n < plen || n - plen + 2 > cap)
        return -1;
    rel[0] = '/';
    memcpy(rel + 1, x->docroot + plen, n - plen + 1);
    *rlen = n - plen + 1;
    return x->dyn_fd;
}

/* The request's directory: where it lives on disk (root or alias) and the
 * path beneath it. An alias replaces the location's prefix: nginx joins
 * the two as strings, so "location /i { alias /srv/pub; }" maps "/i../x"
 * to "/srv/pub../x" and "/ix" to "/srv/pubx", outside the alias. ktlsd
 * serves only what lies beneath the alias directory: a rest that does not
 * start a new path segment is a 404, and "/i" itself is the directory (a
 * 301 to "/i/"). In a regex location the alias (with its captures) is the
 * whole path, as in nginx. Returns 0, 404 or 414 (too long). */
static int map_path(struct ctx *x, const char *uri, size_t ulen, int *dir_fd, char *rel, size_t cap)
{
    const char *dir = x->conf->alias != NULL ? x->conf->alias : x->conf->root, *p = uri;
    int alias = x->loc != NULL && x->conf->alias != NULL;
    size_t n = ulen, o = 0;
    char last = dir[0] != '\0' ? dir[strlen(dir) - 1] : '\0';

    if ((alias && x->loc->re != NULL) || vars_any(dir)) {
        *dir_fd = dynamic_dir(x, dir, rel, cap, &o);
        if (*dir_fd < 0)
            return 404;
        if (alias && x->loc->re != NULL)
            return 0;
        last = rel[o - 1];
    } else { /* a location's own root that cannot be opened is a 404: never another
              * directory's file */
        *dir_fd = static_dir_fd(x->loc != NULL ? &x->loc->dir : &x->srv->dir, time_now.sec);
    }
    if (alias) {
        p = uri + x->loc->plen;
        n = ulen - x->loc->plen;
        if (o + n + 2 > cap)
            return 414;
        if (n == 0) { /* the alias directory itself */
            if (o == 0)
                memcpy(rel, ".", 2);
            return 0;
        }
        if (p[0] != '/' && last != '/')
            return 404;
        if (o == 0 && p[0] != '/')
            rel[o++] = '/';
        memcpy(rel + o, p, n);
        rel[o + n] = '\0';
        return 0;
    }
    if (o + n + 1 > cap)
        return 414;
    memcpy(rel + o, p, n);
    rel[o + n] = '\0';
    return 0;
}

/* The directory as configured, or as expanded for this request. */
static const char *conf_dir(const struct ctx *x)
{
    const char *dir = x->conf->alias != NULL ? x->conf->alias : x->conf->root;
    return x->dyn_tpl != NULL && x->dyn_tpl == dir ? x->docroot : dir;
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
        size_t n = expand(x, c->try_tpl[i], cand, sizeof(cand)), len;
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
        if (last[0] == '@') {
            x->named = find_named(x->srv, last);
            if (x->named == NULL) {
                log_error(LL_ERR, x->env->log, "could not find named location \"%s\"", last);
                return answer_status(x, 500, NULL, 0);
            }
            x->internal = 1;
            return REDIRECT;
        }
        expand(x, c->try_tpl[c->ntry_files - 1], cand, sizeof(cand));
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
    if (x->named != NULL) {
        x->loc = x->named;
        x->named = NULL;
    } else {
        int rc = 0;
        x->loc = find_location(x->srv, x->uri, x->ulen, &rc);
        if (x->loc != NULL && x->loc->re != NULL)
            keep_captures(&x->cap[1], x->loc->re, x->loc->md, rc, x->uri, x->ulen);
    }
    x->conf = x->loc != NULL ? &x->loc->c : &x->srv->c;
    if (x->loc != NULL && x->loc->internal && !x->internal)
        return answer_status(x, 404, NULL, 0);
    if (!access_allowed(x->conf, x->env->peer)) {
        log_error(LL_ERR, x->env->log, "access forbidden by rule, request: \"%.*s\"", (int)x->tlen,
                  x->target);
        return answer_status(x, 403, NULL, 0);
    }
    if (x->loc != NULL && x->conf->return_code != CONF_UNSET)
        return do_return(x, x->conf->return_code, x->conf->return_text, x->conf->return_tpl);
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
    l = find_location(srv, norm, len, NULL);
    return l != NULL ? l->c.client_max_body_size : srv->c.client_max_body_size;
}

/* The request variables the server's access log names ($uri, $scheme, $1,
 * ...): valued now, while the request's state exists, into one block (the
 * values follow the array); the log line is written after the body. */
static void keep_log_values(struct ctx *x)
{
    const struct var_ref *refs;
    size_t n = x->r->srv != NULL ? access_log_request_vars(x->r->srv->access_log, &refs) : 0,
           total = n * sizeof(struct str);
    char vals[LOG_MAX_REQUEST_VARS][512], *p;
    size_t lens[LOG_MAX_REQUEST_VARS];
    struct str *out;
    if (n == 0)
        return;
    int found[LOG_MAX_REQUEST_VARS];
    for (size_t i = 0; i < n; i++) {
        const char *v;
        size_t len = 0;
        found[i] = var_get(x, &refs[i], &v, &len);
        if (!found[i])
            len = 0;
        if (len >= sizeof(vals[i]))
            len = sizeof(vals[i]) - 1;
        if (len > 0)
            memcpy(vals[i], v, len);
        lens[i] = len;
        total += len;
    }
    out = xmalloc(total);
    p = (char *)(out + n);
    for (size_t i = 0; i < n; i++) {
        memcpy(p, vals[i], lens[i]);
        out[i] = (struct str){found[i] ? p : NULL, lens[i]}; /* NULL: "-" in the log */
        p += lens[i];
    }
    x->r->log_values = out;
    x->r->nlog_values = n;
}

static void respond(struct ctx *x, struct request_env *env, struct reply *r);

void request_respond(struct request_env *env, struct reply *r)
{
    respond(&the_ctx, env, r);
    keep_log_values(&the_ctx);
}

static void respond(struct ctx *x, struct request_env *env, struct reply *r)
{
    const struct request *rq = env->req;
    const char *target = env->rbuf + rq->url.off, *q;
    size_t tlen = rq->url.len;

    memset(r, 0, offsetof(struct reply, segs));
    r->fd = -1;
    memset(x, 0, offsetof(struct ctx, uri));
    x->cap[0].re = x->cap[1].re = NULL;
    x->dyn_fd = -1;
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
            x->srv = pick_server(env->vh, x->host, x->hlen, x);
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
    if (env->plain_on_tls) { /* nginx's 497: a 400, or what error_page 497 says */
        r->close = 1;
        if (answer_status(x, 497, NULL, 0) == DONE)
            return;
    } else if (x->srv->c.return_code != CONF_UNSET) { /* server-level return runs first */
        do_return(x, x->srv->c.return_code, x->srv->c.return_text, x->srv->c.return_tpl);
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
    if (x->dyn_fd >= 0) /* the files it served are open by now */
        close(x->dyn_fd);
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
    free(r->head_copy);
    r->head_copy = NULL;
    free(r->log_values);
    r->log_values = NULL;
    r->nlog_values = 0;
}
