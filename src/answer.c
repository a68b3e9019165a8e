/* answer.c: the builders a handler answers with: the response head with
 * the location's defaults (add_header values with variables expanded, made
 * safe for a header line), written into the caller's buffer; body bytes
 * from the open file or the cached copy. */
#include "answer.h"
#include "http_head.h"
#include "log.h"
#include "compress.h"
#include "encoding.h"
#include "mime.h"
#include "reqvars.h"
#include "util.h"
#include "value.h"
#include "version.h"

#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

static const char *server_header(const struct answer *x)
{
    return x->srv->c.server_tokens ? "ktlsd/" KTLSD_VERSION : "ktlsd";
}

/* add_header values that name variables: expanded per response into the
 * context's own copy of the list. */
static void expand_add_headers(struct answer *x, struct response *resp)
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
            used += reqvars_header_safe(v, reqvars_expand(x, h->tpl, v, room), room) + 1;
        } else if (h->tpl != NULL) {
            x->add[i].value = ""; /* no room left: never the unexpanded text */
        }
    }
    resp->add = x->add;
}

/* "expires $var": the value parsed per response, as nginx does; one that
 * is no expires value sets nothing. */
static void expires_value(struct answer *x, struct response *resp)
{
    char v[128];
    reqvars_expand(x, x->conf->expires_tpl, v, sizeof(v));
    if (value_expires(v, &resp->expires, &resp->expires_time) != KT_OK) {
        log_error(LL_ERR, x->env->log, "invalid \"expires\" value \"%s\"", v);
        resp->expires = EXPIRES_OFF;
    }
}

void answer_response(struct answer *x, struct response *resp, int status)
{
    memset(resp, 0, sizeof(*resp));
    resp->status = status;
    resp->content_length = -1;
    resp->server = server_header(x);
    resp->expires = x->conf->expires;
    resp->expires_time = x->conf->expires_time;
    resp->add = x->conf->add_headers;
    resp->nadd = x->conf->nadd_headers;
    /* auth_basic's challenge goes with any 401, an error_page's included */
    resp->auth_realm = status == 401 ? x->auth_realm : NULL;
}

/* nginx's charset filter, without recoding: "; charset=NAME" after a type
 * of charset_types or text/html (default: text/html, text/xml, text/plain,
 * text/vnd.wap.wml, application/javascript, application/rss+xml), but not
 * on a 301 or 302. */
static void add_charset(struct answer *x, struct response *resp)
{
    static const char *const dflt[] = {"text/html",
                                       "text/xml",
                                       "text/plain",
                                       "text/vnd.wap.wml",
                                       "application/javascript",
                                       "application/rss+xml"};
    const char *cs = x->conf->charset, *t = resp->content_type;
    size_t tlen, n = x->conf->ncharset_types;
    int listed;
    if (cs == NULL || strcmp(cs, "off") == 0 || t == NULL || strchr(t, ';') != NULL)
        return;
    if (resp->status == 301 || resp->status == 302)
        return; /* nginx's charset filter: none on a redirect ("NN 4.x") */
    tlen = strlen(t);
    listed = strcasecmp(t, "text/html") == 0; /* always, as nginx */
    for (size_t i = 0; i < (n ? n : ARRAY_LEN(dflt)) && !listed; i++) {
        const char *w = n ? x->conf->charset_types[i] : dflt[i];
        listed = strcmp(w, "*") == 0 || (strlen(w) == tlen && strncasecmp(w, t, tlen) == 0);
    }
    if (listed &&
        (size_t)snprintf(x->ctype, sizeof(x->ctype), "%s; charset=%s", t, cs) < sizeof(x->ctype))
        resp->content_type = x->ctype;
}

/* KT_ERROR when the head does not fit the send buffer: a bare 500 goes
 * instead, and no body may follow it (its Content-Length is 0). */
int answer_head(struct answer *x, struct response *resp)
{
    struct reply *r = x->r;
    r->status = resp->status;
    r->sendfile = x->conf->sendfile;
    r->keepalive = resp->keepalive = x->env->keepalive && !r->close;
    resp->keepalive_header = (long)x->srv->c.keepalive_header;
    add_charset(x, resp);
    x->resp = resp; /* for $sent_http_ in add_header values */
    if (x->conf->expires == EXPIRES_VAR)
        expires_value(x, resp);
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

/* File bytes [off, off+len): from the cached copy, or the open file. */
void answer_body(struct answer *x, off_t off, size_t len)
{
    if (x->body_mem != NULL)
        reply_add_mem(x->r, x->body_mem + off, len);
    else
        reply_add_file(x->r, off, len);
}

/* gzip or brotli on the fly (compress.c): the whole body, compressed or
 * from the cache, with a weak ETag and no ranges, as nginx. */
int answer_compressed(struct answer *x, struct response *resp, const struct stat *st,
                      const char *mem)
{
    struct reply *r = x->r;
    char wetag[80];
    const char *body, *coding;
    int level = 0, vary = 0;
    size_t len;

    coding =
        encoding_choose(x, resp->status, resp->content_type, (long long)st->st_size, &level, &vary);
    if (vary && x->conf->gzip_vary)
        resp->vary = 1;
    if (coding == NULL)
        return 0;
    body = compress_get(st, r->fd, mem, coding, level, &len, &r->compressed);
    if (body == NULL)
        return 0;
    reply_drop_fd(r); /* the compressed copy is the body now */
    resp->content_encoding = coding;
    resp->content_length = (long long)len;
    resp->accept_ranges = 0;
    if (resp->etag != NULL && strncmp(resp->etag, "W/", 2) != 0) {
        snprintf(wetag, sizeof(wetag), "W/%s", resp->etag);
        resp->etag = wetag;
    }
    answer_head(x, resp);
    if (!answer_head_only(x))
        reply_add_mem(r, body, len);
    return 1;
}

int answer_head_only(const struct answer *x)
{
    return x->method == HTTP_HEAD;
}

const char *answer_type(const struct answer *x, const char *name, size_t len)
{
    if (x->conf->types != NULL)
        return mime_table_lookup(x->conf->types, name, len, x->conf->default_type);
    return mime_lookup(name, len, x->conf->default_type);
}

const char *answer_header(const struct answer *x, const char *name, size_t *len)
{
    return http_header(x->env->req, name, len);
}
