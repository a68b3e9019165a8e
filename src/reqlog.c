/* reqlog.c: the access log line of one request. HTTP/1.1 (http1.c) and
 * HTTP/2 (h2.c) describe the request and its reply in a struct reqlog; the
 * variables nginx derives from them ($request, $host, $remote_user, $ssl_*,
 * ...) are computed here, once for both. */
#include "reqlog.h"
#include "auth.h"
#include "config.h"
#include "http.h"
#include "log.h"
#include "reply.h"
#include "tls.h"

#include <stdio.h>
#include <string.h>

static const char *log_header(const void *req, const char *lname, size_t *len)
{
    return http_header(req, lname, len);
}

static struct str str_of(const char *s)
{
    return (struct str){s, strlen(s)};
}

/* $request, $request_uri, $request_method and $args: from the request line. */
static void fill_request_line(struct log_vars *v, const struct reqlog *l, char *line, size_t cap)
{
    const struct request *rq = l->req;
    const char *u = l->rbuf + rq->url.off, *q;
    int n;
    if (rq->url.len == 0)
        return;
    n = snprintf(line, cap, "%s %.*s HTTP/%d.%d", http_method_name(rq), (int)rq->url.len, u,
                 rq->http_major, rq->http_minor);
    v->v[LV_REQUEST] = (struct str){line, n > 0 && (size_t)n < cap ? (size_t)n : 0};
    v->v[LV_REQUEST_URI] = (struct str){u, rq->url.len};
    v->v[LV_REQUEST_METHOD] = str_of(http_method_name(rq));
    q = memchr(u, '?', rq->url.len);
    if (q != NULL) {
        v->src.args = q + 1;
        v->src.alen = rq->url.len - (size_t)(q + 1 - u);
    }
}

/* $host (nginx's: lowercase, without the port; else the server's first
 * name, as $server_name) into host[cap]. */
static void fill_host(struct log_vars *v, const struct reqlog *l, char *host, size_t cap)
{
    const char *val;
    size_t hn;
    if (l->srv->nnames > 0)
        v->v[LV_SERVER_NAME] = v->v[LV_HOST] = str_of(l->srv->names[0]);
    if ((val = http_request_host(l->req, &hn)) == NULL)
        return;
    for (size_t i = 0; i < hn && i < cap; i++)
        host[i] = (val[i] >= 'A' && val[i] <= 'Z') ? (char)(val[i] + 32) : val[i];
    v->v[LV_HOST] = (struct str){host, hn < cap ? hn : cap};
}

static void fill_tls(struct log_vars *v, SSL *ssl, char *s_dn, size_t cap)
{
    if (ssl == NULL)
        return;
    v->v[LV_SSL_PROTOCOL] = str_of(tls_protocol(ssl));
    v->v[LV_SSL_CIPHER] = str_of(tls_cipher(ssl));
    v->v[LV_SSL_CLIENT_VERIFY] = str_of(tls_client_verify_text(ssl));
    v->v[LV_SSL_CLIENT_S_DN] = (struct str){s_dn, tls_client_s_dn(ssl, s_dn, cap)};
}

void reqlog_write(const struct reqlog *l)
{
    static const struct {
        enum log_var var;
        const char *name;
    } headers[] = {{LV_HTTP_REFERER, "referer"},
                   {LV_HTTP_USER_AGENT, "user-agent"},
                   {LV_HTTP_X_FORWARDED_FOR, "x-forwarded-for"}};
    struct log_vars v;
    char line[HTTP_MAX_URL + 64], host[256], s_dn[512];
    unsigned char cred[1024]; /* Basic credentials, for $remote_user */
    const char *val;
    size_t len, ulen = 0;

    if (l->srv == NULL || l->srv->access_log == NULL)
        return;
    memset(&v, 0, sizeof(v));
    v.v[LV_REMOTE_ADDR] = str_of(l->peer);
    fill_request_line(&v, l, line, sizeof(line));
    for (size_t i = 0; i < sizeof(headers) / sizeof(headers[0]); i++)
        if ((val = http_header(l->req, headers[i].name, &len)) != NULL)
            v.v[headers[i].var] = (struct str){val, len};
    /* $remote_user: the Basic user, with or without auth_basic (nginx) */
    if ((val = http_header(l->req, "authorization", &len)) != NULL &&
        auth_basic_decode(val, len, cred, sizeof(cred), &ulen) >= 0)
        v.v[LV_REMOTE_USER] = (struct str){(const char *)cred, ulen};
    fill_host(&v, l, host, sizeof(host));
    fill_tls(&v, l->ssl, s_dn, sizeof(s_dn));
    v.v[LV_KTLS] = str_of(l->ktls);
    v.v[LV_KTLS_MODE] = str_of(l->ktls_mode);
    v.status = l->status;
    v.bytes = l->bytes;
    v.body_bytes = l->body_bytes;
    v.msec = l->now;
    v.request_time = l->now - l->start > 0 ? l->now - l->start : 0;
    v.connection = l->connection;
    v.connection_requests = l->connection_requests;
    v.request_length = l->request_length;
    v.src.header = log_header;
    v.src.req = l->req;
    if (l->reply != NULL) {
        v.reqv = l->reply->log_values;
        v.nreqv = l->reply->nlog_values;
        if (l->reply->head_copy != NULL) {
            v.src.head = l->reply->head_copy;
            v.src.hlen = l->reply->head_len;
        }
    }
    access_log_write(l->srv->access_log, &v);
}
