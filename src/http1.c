/* http1.c: HTTP/1.x on a connection: read a request head (and drop its
 * body), hand it to the pipeline (request_respond), send the reply through
 * send.c, log it, then keep the connection alive, linger or close. conn.c
 * calls in when the connection's state is C_READ or C_SEND. */
#include "http1.h"
#include "config.h"
#include "http.h"
#include "log.h"
#include "net.h"
#include "reqlog.h"
#include "stats.h"
#include "util.h"

#include <string.h>
#include <sys/socket.h>

/* The body of a request that is not GET or HEAD is never used: what has
 * arrived with the head is parsed and dropped, and the request is answered
 * (405, or what the location says) without waiting for the rest, as nginx's
 * static module does; the connection then closes, draining it. */
static int body_unwanted(const struct request *rq)
{
    return rq->method != HTTP_GET && rq->method != HTTP_HEAD;
}

/* A request with a body: refuse one larger than client_max_body_size
 * before reading it (413), else answer "Expect: 100-continue" and read on
 * (the body is dropped as it is parsed). A static server has no use for a
 * body: other methods than GET and HEAD get no "100 Continue", and are
 * answered without waiting for the rest of their body (see read_request). */
static int body_head(struct conn *c)
{
    struct request_env env = {.req = c->req, .rbuf = c->rbuf, .vh = c->vh, .srv = c->srv};
    long long limit = request_body_limit(&env);
    static const char cont[] = "HTTP/1.1 100 Continue\r\n\r\n";

    if (limit > 0 && c->req->parser.content_length > (unsigned long long)limit) {
        log_error(LL_ERR, &c->log, "client intended to send too large body: %llu bytes",
                  (unsigned long long)c->req->parser.content_length);
        c->req->error = 413;
        return KT_ERROR;
    }
    c->req->body_limit = limit > 0 ? (unsigned long long)limit : 0;
    if (c->req->expect_continue && !body_unwanted(c->req) && c->rparsed == c->rlen) {
        /* 25 bytes into a fresh socket buffer: a short write is a broken peer */
        size_t n = 0;
        int want, r;
        if (c->ssl != NULL && !c->ktls_tx)
            r = tls_write(c->ssl, cont, sizeof(cont) - 1, &n, &want, &c->log);
        else /* plain, or kTLS: the kernel encrypts (see tls_ktls_tx) */
            r = net_write(c->fd, cont, sizeof(cont) - 1, 0, &n, &want, &c->log);
        if (r != KT_OK || n != sizeof(cont) - 1) {
            c->req->error = 400;
            return KT_ERROR;
        }
    }
    return KT_OK;
}

/* A connection waiting for a request that has not started holds no read
 * buffer: 10,000 idle TLS connections would otherwise pin 160 MiB. */
static void idle_release(struct conn *c)
{
    if (c->rlen == 0 && c->rbuf != NULL) {
        conn_read_release(c);
    }
}

/* KT_OK: a request (or a parse error to answer) is ready; KT_AGAIN: wait;
 * KT_ERROR: the peer went away or the read failed (logged). */
static int read_request(struct conn *c)
{
    int want = IO_READ;
    int clean;
    if (c->rbuf == NULL) {
        c->req = (struct request *)conn_buf_get(&c->pool->reads);
        c->rbuf = (char *)(c->req + 1);
        c->rlen = c->rparsed = 0;
        http_request_init(c->req);
        http_request_limits(c->req, (unsigned)c->srv->c.large_header_bufs,
                            (unsigned)c->srv->c.large_header_size);
    }
    for (;;) {
        size_t n = 0;
        int r;
        if (c->rparsed < c->rlen) {
            r = http_parse(c->req, c->rbuf, c->rlen, &c->rparsed);
            if (r == KT_OK && !c->req->complete) {
                if (body_head(c) != KT_OK)
                    return KT_OK; /* 413, or an answer before the body */
                continue;
            }
            if (r != KT_AGAIN)
                return KT_OK; /* a request, or c->req->error to answer */
        }
        if (c->req->headers_done && !c->req->complete && body_unwanted(c->req))
            return KT_OK; /* answered before the rest of the body */
        if (c->rlen == SMALL_BUF) {
            if (!c->req->headers_done) {
                /* the head outgrew the read buffer (large_client_header_buffers allow more) */
                c->req->error = c->req->url_done ? HTTP_HEADER_TOO_LARGE : 414;
                return KT_OK;
            }
            /* a body on GET/HEAD: parsed and dropped, its room reused */
            if (c->req->body_off == 0) {
                c->req->error = 431;
                return KT_OK;
            }
            c->rlen = c->rparsed = c->req->body_off;
        }
        r = c->ssl != NULL
                ? tls_read(c->ssl, c->rbuf + c->rlen, SMALL_BUF - c->rlen, &n, &want, &c->log)
                : net_read(c->fd, c->rbuf + c->rlen, SMALL_BUF - c->rlen, &n, &want, &c->log);
        if (r != KT_ERROR && c->ktls_tx && tls_key_update(c->ssl, &c->log, &clean) != KT_OK) {
            c->close_clean = clean; /* before anything else is written */
            return KT_ERROR;
        }
        if (r == KT_AGAIN) {
            idle_release(c);
            conn_wait_for(c, want);
            return KT_AGAIN;
        }
        if (r == KT_ERROR)
            return KT_ERROR;
        if (n == 0) {
            if (c->rlen > 0)
                log_error(LL_INFO, &c->log, "client closed connection with a partial request");
            return KT_ERROR;
        }
        if (c->rlen == 0) {
            c->req_start = ev_now(c->pool->loop);
            c->log.action = "reading client request headers";
        }
        c->rlen += n;
    }
}

/* The access log line of the request: a response, or one cut short. */
static void access_log(struct conn *c)
{
    struct server_conf *srv = c->xf != NULL ? c->xf->reply.srv : c->srv;
    char kmode[32];
    struct reqlog l;
    if (srv == NULL || srv->access_log == NULL) /* before any of the line's work */
        return;
    l = (struct reqlog){
        .srv = srv,
        .req = c->req,
        .rbuf = c->rbuf,
        .reply = c->xf != NULL ? &c->xf->reply : NULL,
        .peer = c->peer,
        .ssl = c->ssl,
        .ktls = conn_ktls_text(c),
        .ktls_mode = ktls_modes_text(&c->ktls_mode, kmode, sizeof(kmode)),
        .status = c->status,
        .bytes = c->xf != NULL ? c->xf->snd.bytes : 0,
        .body_bytes = c->xf != NULL ? send_body_bytes(&c->xf->snd) : 0,
        .request_length = c->req->headers_done ? c->rparsed : c->rlen,
        .start = c->req_start,
        .now = ev_now(c->pool->loop),
        .connection = c->log.id,
        .connection_requests = c->requests,
    };
    if (!c->req->headers_done) { /* cut short (408): what the parser has seen */
        c->req->method = c->req->parser.method;
        c->req->http_major = c->req->parser.http_major;
        c->req->http_minor = c->req->parser.http_minor;
    }
    reqlog_write(&l);
}

/* keepalive_timeout 0 turns keep-alive off, as in nginx. */
static int keepalive_allowed(struct conn *c)
{
    return c->req->keepalive && !c->pool->draining && !c->plain_on_tls &&
           c->srv->c.keepalive_timeout > 0 &&
           c->requests < (unsigned long)c->srv->c.keepalive_requests;
}

/* Hands the parsed request to request.c, then picks the send path: kTLS
 * sendfile, plain sendfile, or a copying fallback with a large buffer.
 * KT_AGAIN: limit_req delays the request; the timer answers it again
 * (again set: counted once, and limit_req is not asked twice). */
int http1_answer(struct conn *c, int again)
{
    struct request_env env = conn_env(c);
    struct reply *r;
    enum send_mode mode;

    env.req = c->req;
    env.rbuf = c->rbuf;
    env.plain_on_tls = c->plain_on_tls;
    env.limit_req_done = again;

    if (!again) {
        c->requests++;
        stats_me->requests++;
    }
    if (c->req_start == 0)
        c->req_start = ev_now(c->pool->loop);
    if (c->req->error)
        log_error(LL_INFO, &c->log, "client sent invalid request (%d), closing", c->req->error);
    c->xf = c->pool->free_xfers;
    if (c->xf != NULL)
        c->pool->free_xfers = c->xf->next;
    else
        c->xf = xmalloc(sizeof(*c->xf));
    r = &c->xf->reply;
    c->sbuf = conn_buf_get(&c->pool->small);
    c->scap = SMALL_BUF;
    env.buf = c->sbuf;
    env.cap = c->scap;
    env.keepalive = keepalive_allowed(c) && c->req->complete;
    c->log.action = "processing request";
    conn_set_state(c, C_SEND); /* the status page counts its own request as writing */
    request_respond(&env, r);
    if (r->delay > 0) {
        /* nginx's limit_req delay: nothing read or sent meanwhile */
        double delay = r->delay;
        conn_release_response(c);
        c->delayed = 1;
        c->log.action = "delaying request (limit_req)";
        conn_io_stop(c);
        conn_set_timeout(c, delay);
        return KT_AGAIN;
    }
    if (!c->req->complete || c->plain_on_tls)
        r->close = 1; /* a body still on its way is drained by the lingering close */
    c->status = r->status;
    if (r->srv != NULL && access_log_wants_head(r->srv->access_log)) /* the send reuses sbuf */
        r->head_copy = xstrndup(c->sbuf, r->head_len);
    if (c->ssl != NULL && c->ktls_tx) /* the kernel encrypts what the socket gets */
        mode = r->sendfile ? SEND_KTLS : SEND_PLAIN_COPY;
    else if (c->ssl != NULL)
        mode = SEND_TLS_COPY;
    else
        mode = r->sendfile ? SEND_PLAIN : SEND_PLAIN_COPY;
    if ((mode == SEND_TLS_COPY || mode == SEND_PLAIN_COPY) &&
        r->body_len > SMALL_BUF - r->head_len) {
        /* a large body through user space: large preads. A body from
         * fcache stays valid through the reply's reference to it. */
        char *big = conn_buf_get(&c->pool->large);
        memcpy(big, c->sbuf, r->head_len);
        for (size_t i = 0; i < r->nsegs; i++) /* memory inside the small buffer moves along */
            if (r->segs[i].mem >= c->sbuf && r->segs[i].mem < c->sbuf + SMALL_BUF)
                r->segs[i].mem = big + (r->segs[i].mem - c->sbuf);
        conn_buf_put(&c->pool->small, c->sbuf);
        c->sbuf = big;
        c->scap = LARGE_BUF;
    }
    c->log.action = "sending response to client";
    send_start(&c->xf->snd, mode, c->sbuf, c->scap, r->head_len, r->fd, r->segs, r->nsegs);
    c->xf->snd.rate = r->limit_rate;
    c->xf->snd.rate_after = r->limit_rate_after;
    return KT_OK;
}

/* Adds the file bytes of the response to the counter of the path they took,
 * and counts the response (status class, HTTP version, body path, duration). */
static void count_bytes(const struct conn *c)
{
    enum send_mode m = c->xf->snd.mode;
    stats_count_response(c->status, c->req->http_major, c->req->http_minor,
                         send_body_bytes(&c->xf->snd),
                         m == SEND_KTLS       ? PATH_KTLS_SENDFILE
                         : m == SEND_TLS_COPY ? PATH_TLS_COPY
                         : m == SEND_PLAIN    ? PATH_PLAIN_SENDFILE
                         : c->ssl != NULL     ? PATH_KTLS_COPY /* the kernel encrypts */
                                              : PATH_PLAIN_COPY,
                         ev_now(c->pool->loop) - c->req_start);
    stats_count_zone((c->xf->reply.srv != NULL ? c->xf->reply.srv : c->srv)->zone, c->status,
                     send_body_bytes(&c->xf->snd));
    switch (c->xf->snd.mode) {
    case SEND_KTLS:
        stats_me->bytes_ktls += c->xf->snd.file_bytes;
        break;
    case SEND_PLAIN:
        stats_me->bytes_sendfile += c->xf->snd.file_bytes;
        break;
    default: /* small files may come from fcache's memory: count the body */
        stats_me->bytes_fallback += send_body_bytes(&c->xf->snd);
        break;
    }
}

/* After a response: log it, then keep the connection for the next request
 * (pipelined bytes already read are parsed at once) or close it. */
static void finish_request(struct conn *c)
{
    int keep = c->xf->reply.keepalive, must_close = c->xf->reply.close;
    count_bytes(c);
    access_log(c);
    conn_release_response(c);
    c->req_start = 0;
    if (!keep) {
        if (must_close || c->rparsed < c->rlen) {
            /* the client may still be sending: lingering close */
            conn_linger(c);
            return;
        }
        conn_close(c, 1);
        return;
    }
    if (c->rparsed < c->rlen) {
        memmove(c->rbuf, c->rbuf + c->rparsed, c->rlen - c->rparsed);
        c->rlen -= c->rparsed;
        c->rparsed = 0;
        c->req_start = ev_now(c->pool->loop);
        conn_set_state(c, C_READ);
        c->log.action = "reading client pipelined request";
        conn_set_timeout(c, c->srv->c.client_header_timeout);
        return;
    }
    c->rlen = c->rparsed = 0;
    conn_read_release(c);
    c->idle_since = ev_now(c->pool->loop);
    conn_set_state(c, C_KEEPALIVE);
    c->log.action = "keepalive";
    conn_wait_for(c, EV_READ);
    conn_set_timeout(c, c->srv->c.keepalive_timeout);
}

int http1_read(struct conn *c)
{
    int r = read_request(c);
    if (r == KT_AGAIN)
        return KT_AGAIN;
    if (r == KT_ERROR) {
        conn_close(c, c->close_clean);
        return KT_AGAIN;
    }
    if (http1_answer(c, 0) != KT_OK)
        return KT_AGAIN; /* delayed: the timer comes back */
    conn_set_timeout(c, c->srv->c.send_timeout);
    return KT_OK;
}

int http1_send(struct conn *c)
{
    int want = IO_READ, r = send_run(&c->xf->snd, c->fd, c->ssl, &want, &c->log);
    if (r == KT_AGAIN && want == 0) { /* limit_rate: wait, not for the socket */
        conn_io_stop(c);
        c->paced = 1;
        conn_set_timeout(c, c->xf->snd.delay);
        return KT_AGAIN;
    }
    if (r == KT_AGAIN) {
        conn_wait_for(c, want);
        conn_set_timeout(c, c->srv->c.send_timeout);
        return KT_AGAIN;
    }
    if (r == KT_ERROR) {
        c->status = c->status ? c->status : 500;
        count_bytes(c);
        access_log(c);
        conn_close(c, 0);
        return KT_AGAIN;
    }
    finish_request(c);
    if (c->state == C_KEEPALIVE) /* OpenSSL may already hold the next request's bytes */
        return c->ssl != NULL && tls_pending(c->ssl) ? KT_OK : KT_AGAIN;
    return c->state == C_READ ? KT_OK : KT_AGAIN; /* else closed or lingering */
}

void http1_timed_out(struct conn *c)
{
    if (c->state == C_READ && c->rlen > 0) {
        c->status = 408;
        access_log(c);
    } else if (c->state == C_SEND && c->xf != NULL) {
        count_bytes(c); /* a response cut short counts, as on a send error */
        access_log(c);
    }
}
