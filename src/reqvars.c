/* reqvars.c: the values of variables for the request being answered
 * (nginx's get_variable handlers): $uri, $args, $host, $http_NAME,
 * $arg_NAME, $cookie_NAME, captures, $document_root, the $ssl_* family...
 * vars.c knows the names and templates; this file knows the request. */
#include "reqvars.h"
#include "pipeline.h"
#include "http.h"
#include "http_head.h"
#include "log.h"
#include "map.h"
#include "tls.h"
#include "util.h"
#include "vars.h"

#include <arpa/inet.h>
#include <stdarg.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>
/* A value expanded into a header (Location, add_header) can hold what the
 * client sent, decoded: "$1" of "/a%0d%0aSet-Cookie:..." holds CR LF. Control
 * bytes become %XX, so that no value can end the header line (nginx writes
 * them as they are). Returns the new length, truncated to cap-1. */
size_t reqvars_header_safe(char *s, size_t n, size_t cap)
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

/* The directory as configured, or as expanded for this request. */
const char *reqvars_dir(const struct answer *x)
{
    const char *dir = x->conf->alias != NULL ? x->conf->alias : x->conf->root;
    return x->dyn_tpl != NULL && x->dyn_tpl == dir ? x->docroot : dir;
}

static const char *request_header(const void *rq, const char *lname, size_t *len)
{
    return http_header(rq, lname, len);
}

/* $sent_http_NAME while add_header values are expanded: the headers ktlsd
 * has set by then (nginx's headers_out); others are empty. */
static int sent_header(struct answer *x, const struct var_ref *v, const char **val, size_t *len)
{
    const struct response *resp = x->resp;
    char *sc = x->scratch;
    size_t cap = sizeof(x->scratch);
    int n = -1;
    *val = NULL;
    if (v->klen == 12 && strncasecmp(v->key, "content_type", 12) == 0)
        *val = x->part_type != NULL ? x->part_type : resp->content_type;
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

/* A value kept for the rest of the request, in its arena (cut short
 * when that is full). */
static void keep_user(struct answer *x, int index, const char *val, size_t len)
{
    size_t room = sizeof(x->uarena) - x->uused;
    if (len > room)
        len = room;
    if (val != x->uarena + x->uused)
        memmove(x->uarena + x->uused, val, len);
    x->uval[index].p = x->uarena + x->uused;
    x->uval[index].len = len;
    x->uused += len;
    x->ustate[index] = USER_FOUND;
}

void reqvars_set(struct answer *x, int index, const char *val, size_t len)
{
    keep_user(x, index, val, len);
}

static const struct map_conf *find_map(const struct answer *x, int index)
{
    const struct config *cf = x->srv != NULL ? x->srv->cf : NULL;
    for (size_t i = 0; cf != NULL && i < cf->nmaps; i++)
        if (cf->maps[i]->index == index)
            return cf->maps[i];
    return NULL;
}

/* A "map" or "set" variable: a value "set" gave, else the map's, looked
 * up the first time the request asks and kept for the rest of it unless
 * the map is "volatile" (nginx's cacheable variables). A map that needs
 * itself is empty, as nginx's "cycle while evaluating variable". */
static int user_var(struct answer *x, const struct var_ref *v, const char **val, size_t *len)
{
    const struct map_conf *m;
    const struct map_entry *e;
    const struct vars_tpl *t;
    char src[4096];
    size_t n, room;
    int rc = 0;
    if (v->index < 0) /* only in a configuration's first reading */
        return 0;
    if (x->ustate[v->index] == USER_FOUND) {
        *val = x->uval[v->index].p;
        *len = x->uval[v->index].len;
        return 1;
    }
    if (x->ustate[v->index] == USER_BUSY) {
        log_error(LL_ERR, x->env->log, "cycle while evaluating variable \"%.*s\"", (int)v->klen,
                  v->key);
        return 0;
    }
    if ((m = find_map(x, v->index)) == NULL) { /* "set" has not run: empty, as nginx's
                                                * uninitialized variables */
        *val = "";
        *len = 0;
        return 1;
    }
    x->ustate[v->index] = USER_BUSY;
    n = reqvars_expand(x, m->source, src, sizeof(src));
    e = map_find(m, src, n, &rc);
    if (e != NULL && e->re != NULL) {
        uint32_t groups = 0;
        pcre2_pattern_info(e->re, PCRE2_INFO_CAPTURECOUNT, &groups);
        if (groups > 0)
            reqvars_captures(&x->cap[1], e->re, e->md, rc, src, n);
    }
    t = e != NULL ? e->value : m->dflt;
    room = sizeof(x->uarena) - x->uused;
    n = t != NULL && room > 1 ? reqvars_expand(x, t, x->uarena + x->uused, room) : 0;
    keep_user(x, v->index, x->uarena + x->uused, n);
    if (m->is_volatile) { /* valued again at the next use */
        x->ustate[v->index] = USER_UNKNOWN;
        x->uused -= n;
    }
    *val = x->uval[v->index].p;
    *len = n;
    return 1;
}

/* nginx's ngx_escape_uri(NGX_ESCAPE_ARGS): " ", "#", "%", "&", "+", ";",
 * "?", controls and bytes above 0x7e become %XX. Into out; returns the
 * length, with *val pointing at out. */
static size_t escape_args(const char *s, size_t n, char *out, size_t cap, const char **val)
{
    static const char hex[] = "0123456789ABCDEF";
    size_t o = 0;
    for (size_t i = 0; i < n && o + 4 < cap; i++) {
        unsigned char c = (unsigned char)s[i];
        if (c <= 0x20 || c >= 0x7f || strchr("#%&+;?", c) != NULL) {
            out[o++] = '%';
            out[o++] = hex[c >> 4];
            out[o++] = hex[c & 15];
        } else {
            out[o++] = (char)c;
        }
    }
    *val = out;
    return o;
}

/* Each getter gives one variable's value (or a family's): 1 with *val and
 * *len set, 0 when the variable has no value here (nginx's "not found",
 * "-" in a log). Values made here go into x->scratch. */
typedef int (*var_getter)(struct answer *x, const struct var_ref *v, const char **val, size_t *len);

static int give(const char *s, const char **val, size_t *len)
{
    *val = s;
    *len = strlen(s);
    return 1;
}

static int give_span(const char *s, size_t n, const char **val, size_t *len)
{
    *val = s;
    *len = n;
    return 1;
}

/* A value printed into the scratch buffer, cut to fit. */
static int give_fmt(struct answer *x, const char **val, size_t *len, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
static int give_fmt(struct answer *x, const char **val, size_t *len, const char *fmt, ...)
{
    va_list ap;
    int n;
    va_start(ap, fmt);
    n = vsnprintf(x->scratch, sizeof(x->scratch), fmt, ap);
    va_end(ap);
    *val = x->scratch;
    *len = n < 0 ? 0 : (size_t)n < sizeof(x->scratch) ? (size_t)n : sizeof(x->scratch) - 1;
    return 1;
}

static int get_scheme(struct answer *x, const struct var_ref *v, const char **val, size_t *len)
{
    return give(v->id == VAR_SCHEME ? (x->env->ssl ? "https" : "http") : (x->env->ssl ? "on" : ""),
                val, len);
}

/* $host: the lowercased Host without port, else the server's first name. */
static int get_host(struct answer *x, const struct var_ref *v, const char **val, size_t *len)
{
    size_t cap = sizeof(x->scratch);
    (void)v;
    if (x->host == NULL)
        return give(x->srv->nnames ? x->srv->names[0] : "", val, len);
    *len = x->hlen < cap ? x->hlen : cap - 1;
    for (size_t i = 0; i < *len; i++)
        x->scratch[i] =
            (x->host[i] >= 'A' && x->host[i] <= 'Z') ? (char)(x->host[i] + 32) : x->host[i];
    *val = x->scratch;
    return 1;
}

static int get_uri(struct answer *x, const struct var_ref *v, const char **val, size_t *len)
{
    switch (v->id) {
    case VAR_REQUEST_URI:
        return give_span(x->target, x->tlen, val, len);
    case VAR_IS_ARGS:
        return give(x->alen ? "?" : "", val, len);
    case VAR_ARGS:
    case VAR_QUERY_STRING: /* not found without a query (nginx: "-" in logs) */
        give_span(x->args, x->alen, val, len);
        return x->alen > 0;
    default: /* $uri, $document_uri */
        return give_span(x->uri, x->ulen, val, len);
    }
}

static int get_server_name(struct answer *x, const struct var_ref *v, const char **val, size_t *len)
{
    (void)v;
    return give(x->srv->nnames ? x->srv->names[0] : "", val, len);
}

/* An address's port ($server_port, $remote_port) or text ($server_addr,
 * $remote_addr). */
static int give_addr(struct answer *x, const struct sockaddr *sa, int port, const char **val,
                     size_t *len)
{
    const struct sockaddr_in6 *s6 = (const struct sockaddr_in6 *)sa;
    const struct sockaddr_in *s4 = (const struct sockaddr_in *)sa;
    if (port)
        return give_fmt(x, val, len, "%u",
                        ntohs(sa->sa_family == AF_INET6 ? s6->sin6_port : s4->sin_port));
    if (inet_ntop(sa->sa_family,
                  sa->sa_family == AF_INET6 ? (const void *)&s6->sin6_addr
                                            : (const void *)&s4->sin_addr,
                  x->scratch, (socklen_t)sizeof(x->scratch)) == NULL)
        return give("", val, len);
    return give(x->scratch, val, len);
}

static int get_server_addr(struct answer *x, const struct var_ref *v, const char **val, size_t *len)
{
    struct sockaddr_storage ss;
    socklen_t sl = sizeof(ss);
    if (x->env->fd < 0 || getsockname(x->env->fd, (struct sockaddr *)&ss, &sl) != 0)
        return 0;
    return give_addr(x, (const struct sockaddr *)&ss, v->id == VAR_SERVER_PORT, val, len);
}

static int get_remote_addr(struct answer *x, const struct var_ref *v, const char **val, size_t *len)
{
    const struct sockaddr *pa = x->env->peer;
    if (pa == NULL || (pa->sa_family != AF_INET && pa->sa_family != AF_INET6))
        return 0;
    return give_addr(x, pa, v->id == VAR_REMOTE_PORT, val, len);
}

static int get_request(struct answer *x, const struct var_ref *v, const char **val, size_t *len)
{
    const struct request *rq = x->env->req;
    switch (v->id) {
    case VAR_SERVER_PROTOCOL:
        return give_fmt(x, val, len, "HTTP/%d.%d", rq->http_major, rq->http_minor);
    case VAR_REQUEST_METHOD:
        return give(http_method_name(rq), val, len);
    case VAR_CONTENT_TYPE:
    case VAR_CONTENT_LENGTH:
        *val = http_header(rq, v->id == VAR_CONTENT_TYPE ? "content-type" : "content-length", len);
        return *val != NULL;
    default: /* $request */
        return give_fmt(x, val, len, "%s %.*s HTTP/%d.%d", http_method_name(rq), (int)rq->url.len,
                        x->env->rbuf + rq->url.off, rq->http_major, rq->http_minor);
    }
}

/* $document_root, $realpath_root, $request_filename: not while the root
 * itself is being expanded. */
static int get_path(struct answer *x, const struct var_ref *v, const char **val, size_t *len)
{
    const struct location *l = x->loc;
    if (x->in_dir)
        return 0;
    if (v->id == VAR_DOCUMENT_ROOT)
        return give(reqvars_dir(x), val, len);
    if (v->id == VAR_REALPATH_ROOT)
        return realpath(reqvars_dir(x), x->scratch) != NULL && give(x->scratch, val, len);
    if (x->conf->alias != NULL && l != NULL && l->re != NULL)
        return give_fmt(x, val, len, "%s", reqvars_dir(x));
    if (x->conf->alias != NULL && l != NULL && x->ulen >= l->plen)
        return give_fmt(x, val, len, "%s%.*s", reqvars_dir(x), (int)(x->ulen - l->plen),
                        x->uri + l->plen);
    return give_fmt(x, val, len, "%s%.*s", reqvars_dir(x), (int)x->ulen, x->uri);
}

static int get_time(struct answer *x, const struct var_ref *v, const char **val, size_t *len)
{
    struct timespec ts;
    struct tm tm;
    long off;
    clock_gettime(CLOCK_REALTIME, &ts);
    if (v->id == VAR_MSEC)
        return give_fmt(x, val, len, "%lld.%03ld", (long long)ts.tv_sec, ts.tv_nsec / 1000000);
    if (v->id == VAR_TIME_LOCAL) {
        time_update(ts.tv_sec);
        return give(time_now.log_local, val, len);
    }
    localtime_r(&ts.tv_sec, &tm);
    off = tm.tm_gmtoff / 60;
    return give_fmt(x, val, len, "%04d-%02d-%02dT%02d:%02d:%02d%c%02ld:%02ld", tm.tm_year + 1900,
                    tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec,
                    off < 0 ? '-' : '+', labs(off) / 60, labs(off) % 60);
}

static int get_ssl(struct answer *x, const struct var_ref *v, const char **val, size_t *len)
{
    SSL *tls = x->env->tls;
    const char *s;
    if (tls == NULL)
        return 0;
    s = v->id == VAR_SSL_SESSION_REUSED ? (tls_resumed(tls) ? "r" : ".")
        : v->id == VAR_SSL_SERVER_NAME  ? tls_servername(tls)
        : v->id == VAR_SSL_PROTOCOL     ? tls_protocol(tls)
                                        : tls_cipher(tls);
    return s != NULL && give(s, val, len);
}

static int get_hostname(struct answer *x, const struct var_ref *v, const char **val, size_t *len)
{
    (void)v;
    return gethostname(x->scratch, sizeof(x->scratch)) == 0 && give(x->scratch, val, len);
}

static int get_limit(struct answer *x, const struct var_ref *v, const char **val, size_t *len)
{
    const char *s;
    if (v->id == VAR_LIMIT_RATE) /* bytes per second: 0 until the body goes (nginx's write
                                  * filter takes the location's limit_rate then), so set for
                                  * the log */
        return give_fmt(x, val, len, "%lld", x->r->limit_rate);
    /* empty where no limit_req / limit_conn applies */
    s = v->id == VAR_LIMIT_REQ_STATUS ? x->limit_req_st : x->limit_conn_st;
    return s != NULL && give(s, val, len);
}

static int get_sent_http(struct answer *x, const struct var_ref *v, const char **val, size_t *len)
{
    if (x->resp != NULL)
        return sent_header(x, v, val, len);
    if (x->r != NULL && x->r->head_len > 0) { /* once the head is written (the access
                                               * log's "map" of a $sent_http_) */
        struct vars_src src = {NULL, NULL, NULL, 0, x->env->buf, x->r->head_len};
        return vars_family(v, &src, val, len);
    }
    return 0;
}

static int get_family(struct answer *x, const struct var_ref *v, const char **val, size_t *len)
{
    struct vars_src src = {request_header, x->env->req, x->args, x->alen, NULL, 0};
    return vars_family(v, &src, val, len);
}

/* $1..$9 and named captures: of the location's regex, else the server
 * name's. */
static int get_capture(struct answer *x, const struct var_ref *v, const char **val, size_t *len)
{
    const struct captures *c = x->cap[1].re != NULL ? &x->cap[1] : &x->cap[0];
    int k = v->key[0] - '0';
    char key[128];
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
    if (x->escape_captures && v->id == VAR_CAPTURE)
        *len = escape_args(*val, *len, x->scratch, sizeof(x->scratch), val);
    return 1;
}

static const var_getter getters[] = {
    [VAR_SCHEME] = get_scheme,
    [VAR_HTTPS] = get_scheme,
    [VAR_HOST] = get_host,
    [VAR_REQUEST_URI] = get_uri,
    [VAR_URI] = get_uri,
    [VAR_DOCUMENT_URI] = get_uri,
    [VAR_ARGS] = get_uri,
    [VAR_QUERY_STRING] = get_uri,
    [VAR_IS_ARGS] = get_uri,
    [VAR_SERVER_NAME] = get_server_name,
    [VAR_SERVER_PORT] = get_server_addr,
    [VAR_SERVER_ADDR] = get_server_addr,
    [VAR_SERVER_PROTOCOL] = get_request,
    [VAR_REMOTE_ADDR] = get_remote_addr,
    [VAR_REMOTE_PORT] = get_remote_addr,
    [VAR_REQUEST_METHOD] = get_request,
    [VAR_REQUEST] = get_request,
    [VAR_DOCUMENT_ROOT] = get_path,
    [VAR_REALPATH_ROOT] = get_path,
    [VAR_REQUEST_FILENAME] = get_path,
    [VAR_TIME_ISO8601] = get_time,
    [VAR_TIME_LOCAL] = get_time,
    [VAR_MSEC] = get_time,
    [VAR_SSL_SESSION_REUSED] = get_ssl,
    [VAR_SSL_SERVER_NAME] = get_ssl,
    [VAR_SSL_PROTOCOL] = get_ssl,
    [VAR_SSL_CIPHER] = get_ssl,
    [VAR_CONTENT_TYPE] = get_request,
    [VAR_CONTENT_LENGTH] = get_request,
    [VAR_HOSTNAME] = get_hostname,
    [VAR_LIMIT_RATE] = get_limit,
    [VAR_LIMIT_REQ_STATUS] = get_limit,
    [VAR_LIMIT_CONN_STATUS] = get_limit,
    [VAR_HTTP] = get_family,
    [VAR_ARG] = get_family,
    [VAR_COOKIE] = get_family,
    [VAR_SENT_HTTP] = get_sent_http,
    [VAR_CAPTURE] = get_capture,
    [VAR_NAMED_CAPTURE] = get_capture,
    [VAR_USER] = user_var,
};

/* One variable's value for vars_render (nginx's get_variable handlers).
 * Formatted values go to x->scratch, which vars_render copies at once. */
int reqvars_get(void *arg, const struct var_ref *v, const char **val, size_t *len)
{
    if ((size_t)v->id >= ARRAY_LEN(getters) || getters[v->id] == NULL)
        return 0;
    return getters[v->id](arg, v, val, len);
}

size_t reqvars_expand(struct answer *x, const struct vars_tpl *t, char *out, size_t cap)
{
    return vars_render(t, reqvars_get, x, out, cap);
}

/* Keeps what a regex matched (nginx's r->captures and named-capture
 * variables): $1..$9 come from the last regex that matched, the location's
 * if there was one (even one without groups: then they are empty, as in
 * nginx); a named capture from the regex that has that name, the
 * location's first. */
void reqvars_captures(struct captures *c, const pcre2_code *re, pcre2_match_data *md, int rc,
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
