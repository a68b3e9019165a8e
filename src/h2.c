/* h2.c: one HTTP/2 connection: an nghttp2 server session over the TLS
 * connection conn.c has handed over once ALPN chose "h2".
 *
 * Requests. A stream's HEADERS become a struct request like the one llhttp
 * fills for HTTP/1.1: its own read buffer holds ":path" and the header
 * fields (":authority" as Host), the spans point into it, and the request
 * goes through request_respond, the pipeline HTTP/1.1 uses. The head the
 * pipeline writes ("HTTP/1.1 200 OK\r\nName: value\r\n...") is read back
 * into an nghttp2 header list: names lowercased, the connection-specific
 * fields (Connection, Keep-Alive, Transfer-Encoding, ...) dropped. This is
 * the simplest correct hand-over: the pipeline stays protocol-blind and its
 * head writer (http_head) is the only one.
 *
 * Bodies. The reply's segments (memory, or file ranges) go out as DATA
 * frames through nghttp2's NO_COPY data provider: nghttp2 decides which
 * stream sends next and how much flow control allows, and
 * send_data_callback writes the frame itself:
 *
 *   kTLS TX    the 9-byte frame header by send(MSG_MORE), the payload by
 *              sendfile(2), straight on the socket: the kernel seals both
 *              into one record (payloads are at most 16,384 - 9 bytes), and
 *              no file byte enters user space. A frame once begun must be
 *              finished before any other byte: a short write leaves the
 *              rest in h->fr, and everything else waits for it.
 *   no TLS     (h2c with prior knowledge) the same, without records.
 *   userspace  frames are gathered in h->out (file payloads by preadv, one
 *              call for a run of frames, see h2_reads_run) and
 *              written by SSL_write in one go, so OpenSSL cuts full 16 KiB
 *              records, never a 9-byte one; while a connection streams,
 *              TCP_CORK packs those records into full segments (h2_cork).
 *              "sendfile off" takes this path on every connection.
 *
 * Every other frame (SETTINGS, HEADERS, WINDOW_UPDATE, PING, GOAWAY, ...)
 * goes through h->out and the same writer. */
#include "h2.h"
#include "h2_core.h"
#include "config.h"
#include "http.h"
#include "log.h"
#include "net.h"
#include "reqlog.h"
#include "request.h"
#include "stats.h"
#include "tls.h"
#include "util.h"

#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include <nghttp2/nghttp2.h>

#define READ_CAP 16384
#define HEAD_BUF 16384 /* a response head and a small body, as conn.c's */
#define TLS_RECORD 16384
#define KTLS_PAYLOAD 16375 /* 16,384 - 9: a DATA frame fills one TLS record */
#define READS_PER_RUN 16   /* socket reads before yielding to other connections */
#define EMPTY_DATA_MAX 100 /* empty DATA frames without END_STREAM before GOAWAY */

static const nghttp2_session_callbacks *callbacks(void);

static int is_cookie(const struct h2_stream *st, const struct header *h)
{
    return h->name.len == 6 && memcmp(st->rbuf + h->name.off, "cookie", 6) == 0;
}

/* HTTP/2 may split Cookie into one field per crumb (RFC 9113 8.2.3): they
 * are joined again with "; " into the first, as HTTP/1.1 carries them, so
 * that $http_cookie and $cookie_NAME see them all. */
static void join_cookies(struct h2_stream *st)
{
    struct request *rq = &st->req;
    size_t start = st->rlen, need = 0;
    unsigned n = 0, out = 0;
    char *p;
    for (unsigned i = 0; i < rq->nheaders; i++)
        if (is_cookie(st, &rq->headers[i])) {
            need += (n++ > 0 ? 2 : 0) + rq->headers[i].value.len;
        }
    if (n < 2)
        return;
    if (start + need > st->rcap) {
        rq->error = HTTP_HEADER_TOO_LARGE;
        return;
    }
    if (start + need > st->ralloc) {
        st->ralloc = start + need;
        st->rbuf = xrealloc(st->rbuf, st->ralloc);
    }
    p = st->rbuf + start;
    for (unsigned i = 0; i < rq->nheaders; i++) {
        struct header h = rq->headers[i];
        if (!is_cookie(st, &h)) {
            rq->headers[out++] = h;
            continue;
        }
        if (p > st->rbuf + start) {
            *p++ = ';';
            *p++ = ' ';
        } else { /* the first keeps its place and takes the joined value */
            rq->headers[out].name = h.name;
            rq->headers[out].value = (struct span){(uint16_t)start, (uint16_t)need};
            out++;
        }
        memcpy(p, st->rbuf + h.value.off, h.value.len);
        p += h.value.len;
    }
    rq->nheaders = out;
    st->rlen = start + need;
}

/* Answers a stream through the HTTP/1.1 pipeline and submits the response:
 * HEADERS, then the body through the data provider. */
static int stream_answer(struct h2_stream *st)
{
    struct h2 *h = st->h;
    struct request_env env = h->env;
    nghttp2_nv nv[HTTP_MAX_HEADERS + ADD_HEADERS_MAX + 8];
    nghttp2_data_provider prd = {.source.ptr = st, .read_callback = h2_read_cb};
    char status[4];
    size_t nnv;
    int rv;

    if (st->answered)
        return 0;
    st->answered = 1;
    if (st->req.error == 0)
        join_cookies(st);
    st->req.base = st->rbuf;
    st->req.headers_done = st->req.url_done = st->req.complete = 1;
    st->buf = xmalloc(HEAD_BUF);
    env.req = &st->req;
    env.rbuf = st->rbuf;
    env.buf = st->buf;
    env.cap = HEAD_BUF;
    env.keepalive = 1; /* no "Connection: close" to drop */
    stats_me->requests++;
    request_respond(&env, &st->reply);
    if (st->reply.srv != NULL && access_log_wants_head(st->reply.srv->access_log))
        st->reply.head_copy = xstrndup(st->buf, st->reply.head_len);
    nnv = h2_head_to_nv(st->buf, st->reply.head_len, nv, sizeof(nv) / sizeof(nv[0]), status);
    if (nnv == 0) {
        log_error(LL_ALERT, h->log, "unreadable response head for HTTP/2 stream %d", st->id);
        return nghttp2_submit_rst_stream(h->s, NGHTTP2_FLAG_NONE, st->id, NGHTTP2_INTERNAL_ERROR);
    }
    st->body_left = 0;
    for (size_t i = 0; !st->reply.no_body && i < st->reply.nsegs; i++)
        st->body_left += st->reply.segs[i].len;
    rv = nghttp2_submit_response(h->s, st->id, nv, nnv, st->body_left > 0 ? &prd : NULL);
    if (rv != 0) { /* this stream fails, not the connection */
        log_error(LL_ERR, h->log, "nghttp2_submit_response(): %s", nghttp2_strerror(rv));
        return nghttp2_submit_rst_stream(h->s, NGHTTP2_FLAG_NONE, st->id, NGHTTP2_INTERNAL_ERROR);
    }
    return 0;
}

/* --- receiving ------------------------------------------------------------ */

static int begin_headers_cb(nghttp2_session *s, const nghttp2_frame *frame, void *arg)
{
    struct h2 *h = arg;
    struct h2_stream *st;
    const struct srv_conf *c = &h->env.srv->c;
    if (frame->hd.type != NGHTTP2_HEADERS || frame->headers.cat != NGHTTP2_HCAT_REQUEST)
        return 0;
    st = xcalloc(1, sizeof(*st));
    st->id = frame->hd.stream_id;
    st->h = h;
    st->reply.fd = -1;
    st->req.method = HTTP_GET; /* until ":method" (nghttp2 makes sure there is one) */
    st->req.http_major = 2;
    st->req.keepalive = 1;
    st->rcap = (size_t)c->large_header_bufs * (size_t)c->large_header_size;
    if (st->rcap > UINT16_MAX) /* spans are 16-bit offsets */
        st->rcap = UINT16_MAX;
    st->ralloc = st->rcap < 1024 ? st->rcap : 1024;
    st->rbuf = xmalloc(st->ralloc);
    st->start = h->now(h->now_arg);
    st->next = h->list;
    if (h->list != NULL)
        h->list->prev = st;
    h->list = st;
    h->streams++;
    h->progress = 1;
    nghttp2_session_set_stream_user_data(s, st->id, st);
    return 0;
}

/* Appends bytes to the stream's request buffer: a span, or 0 when the
 * header list outgrows large_client_header_buffers (494, as nginx). */
static int stream_put(struct h2_stream *st, const uint8_t *p, size_t len, struct span *sp)
{
    if (st->rlen + len > st->rcap) {
        st->req.error = HTTP_HEADER_TOO_LARGE;
        return 0;
    }
    if (st->rlen + len > st->ralloc) {
        size_t want = (st->rlen + len) * 2;
        st->ralloc = want < st->rcap ? want : st->rcap;
        st->rbuf = xrealloc(st->rbuf, st->ralloc);
    }
    memcpy(st->rbuf + st->rlen, p, len);
    sp->off = (uint16_t)st->rlen;
    sp->len = (uint16_t)len;
    st->rlen += len;
    return 1;
}

/* llhttp's number for an HTTP method name (llhttp_method_name aborts on
 * numbers it does not know, so only these are ever stored); -1 if none. */
static int method_of(const uint8_t *v, size_t len)
{
#define METHOD_ROW(num, name, string) {#string, HTTP_##name},
    static const struct {
        const char *name;
        int num;
    } methods[] = {HTTP_METHOD_MAP(METHOD_ROW)};
#undef METHOD_ROW
    for (size_t i = 0; i < sizeof(methods) / sizeof(methods[0]); i++)
        if (strlen(methods[i].name) == len && memcmp(methods[i].name, v, len) == 0)
            return methods[i].num;
    return -1;
}

static int header_cb(nghttp2_session *s, const nghttp2_frame *frame, const uint8_t *name,
                     size_t nlen, const uint8_t *value, size_t vlen, uint8_t flags, void *arg)
{
    struct h2 *h = arg;
    struct h2_stream *st = h2_stream_of(h, frame->hd.stream_id);
    struct header hd;
    (void)s;
    (void)flags;
    if (st == NULL || frame->hd.type != NGHTTP2_HEADERS || st->req.error)
        return 0; /* trailers, or past a limit: nothing more is kept */
    if (nlen + vlen > (size_t)h->env.srv->c.large_header_size) {
        log_error(LL_INFO, h->log, "client sent too large header field");
        st->req.error = HTTP_HEADER_TOO_LARGE;
        return 0;
    }
    if (nlen == 7 && memcmp(name, ":method", 7) == 0) {
        st->req.method = method_of(value, vlen);
        if (st->req.method < 0) {
            st->req.method = HTTP_GET;
            st->req.error = 400;
        }
        return 0;
    }
    if (nlen == 5 && memcmp(name, ":path", 5) == 0) {
        if (vlen > HTTP_MAX_URL) {
            st->req.error = 414;
            return 0;
        }
        stream_put(st, value, vlen, &st->req.url);
        return 0;
    }
    if (nlen == 10 && memcmp(name, ":authority", 10) == 0) {
        if (st->have_host)
            return 0;
        name = (const uint8_t *)"host";
        nlen = 4;
    } else if (nlen > 0 && name[0] == ':') {
        return 0; /* :scheme (nghttp2 checks it is there), :protocol */
    } else if (nlen == 4 && memcmp(name, "host", 4) == 0) {
        if (st->have_host) { /* :authority came first: RFC 9113 8.3.1 says they agree */
            return 0;
        }
    }
    if (st->req.nheaders >= HTTP_MAX_HEADERS) {
        log_error(LL_INFO, h->log, "client sent too many header fields");
        st->req.error = HTTP_HEADER_TOO_LARGE;
        return 0;
    }
    if (!stream_put(st, name, nlen, &hd.name) || !stream_put(st, value, vlen, &hd.value)) {
        log_error(LL_INFO, h->log, "client sent too large request header list");
        return 0;
    }
    if (nlen == 4 && memcmp(name, "host", 4) == 0) {
        st->have_host = 1;
        st->req.host_count = 1;
    }
    st->req.headers[st->req.nheaders++] = hd;
    return 0;
}

/* The head is complete: a request that may carry a body is checked
 * against client_max_body_size first (413 before the body, as HTTP/1.1);
 * methods other than GET and HEAD are answered at once, without their
 * body, as HTTP/1.1 answers them; GET and HEAD once the stream ends. */
static int headers_done(struct h2 *h, struct h2_stream *st, int end_stream)
{
    struct request_env env = h->env;
    const char *cl;
    size_t len;
    st->req.base = st->rbuf;
    if (st->req.error || end_stream)
        return stream_answer(st);
    env.req = &st->req;
    env.rbuf = st->rbuf;
    st->body_limit = request_body_limit(&env);
    if ((cl = http_header(&st->req, "content-length", &len)) != NULL && st->body_limit > 0) {
        char num[24];
        snprintf(num, sizeof(num), "%.*s", (int)(len < 23 ? len : 23), cl);
        if (strtoull(num, NULL, 10) > (unsigned long long)st->body_limit) {
            log_error(LL_ERR, h->log, "client intended to send too large body: %s bytes", num);
            st->req.error = 413;
            return stream_answer(st);
        }
    }
    if (st->req.method != HTTP_GET && st->req.method != HTTP_HEAD)
        return stream_answer(st);
    return 0;
}

static int frame_recv_cb(nghttp2_session *s, const nghttp2_frame *frame, void *arg)
{
    struct h2 *h = arg;
    struct h2_stream *st = h2_stream_of(h, frame->hd.stream_id);
    int end = (frame->hd.flags & NGHTTP2_FLAG_END_STREAM) != 0;
    (void)s;
    switch (frame->hd.type) {
    case NGHTTP2_HEADERS:
        if (st != NULL && frame->headers.cat == NGHTTP2_HCAT_REQUEST)
            return headers_done(h, st, end);
        if (st != NULL && end) /* trailers end the body */
            return stream_answer(st);
        break;
    case NGHTTP2_DATA:
        if (frame->hd.length == 0 && !end && ++h->empty_data > EMPTY_DATA_MAX) {
            log_error(LL_INFO, h->log, "client sent too many empty DATA frames");
            return nghttp2_session_terminate_session(h->s, NGHTTP2_ENHANCE_YOUR_CALM);
        }
        if (st != NULL && end)
            return stream_answer(st);
        break;
    }
    return 0;
}

/* Request body bytes: counted against client_max_body_size and dropped (a
 * static server has no use for them; nghttp2 opens the window again). */
static int data_chunk_cb(nghttp2_session *s, uint8_t flags, int32_t id, const uint8_t *data,
                         size_t len, void *arg)
{
    struct h2 *h = arg;
    struct h2_stream *st = h2_stream_of(h, id);
    (void)s;
    (void)flags;
    (void)data;
    if (st == NULL || st->answered)
        return 0;
    st->body_in += len;
    if (st->body_limit > 0 && st->body_in > (unsigned long long)st->body_limit) {
        log_error(LL_ERR, h->log, "client intended to send too large body: %llu+ bytes",
                  st->body_in);
        st->req.error = 413;
        return stream_answer(st);
    }
    return 0;
}

static void stream_free(struct h2_stream *st)
{
    struct h2 *h = st->h;
    if (st->prev != NULL)
        st->prev->next = st->next;
    else
        h->list = st->next;
    if (st->next != NULL)
        st->next->prev = st->prev;
    if (h->nrd > 0 && h2_reads_run(h) != KT_OK) /* they may need its file */
        h->fatal = 1;
    if (h->fr.st == st) { /* the kTLS frame in progress finishes without it */
        h->fr.st = NULL;
        if (h->fr.active && h->fr.fd == st->reply.fd) {
            h->fr.own_fd = 1;
            st->reply.fd = -1;
        }
    }
    reply_free(&st->reply);
    free(st->buf);
    free(st->rbuf);
    free(st);
}

static int stream_close_cb(nghttp2_session *s, int32_t id, uint32_t error_code, void *arg)
{
    struct h2 *h = arg;
    struct h2_stream *st = h2_stream_of(h, id);
    (void)error_code;
    if (st == NULL)
        return 0;
    nghttp2_session_set_stream_user_data(s, id, NULL);
    if (st->answered)
        h2_stream_log(st);
    stream_free(st);
    h->streams--;
    h->progress = 1;
    return 0;
}

static const nghttp2_session_callbacks *callbacks(void)
{
    static nghttp2_session_callbacks *cbs;
    if (cbs == NULL) {
        if (nghttp2_session_callbacks_new(&cbs) != 0)
            abort(); /* out of memory, as xmalloc */
        nghttp2_session_callbacks_set_send_callback(cbs, h2_send_cb);
        nghttp2_session_callbacks_set_send_data_callback(cbs, h2_send_data_cb);
        nghttp2_session_callbacks_set_on_begin_headers_callback(cbs, begin_headers_cb);
        nghttp2_session_callbacks_set_on_header_callback(cbs, header_cb);
        nghttp2_session_callbacks_set_on_frame_recv_callback(cbs, frame_recv_cb);
        nghttp2_session_callbacks_set_on_data_chunk_recv_callback(cbs, data_chunk_cb);
        nghttp2_session_callbacks_set_on_stream_close_callback(cbs, stream_close_cb);
    }
    return cbs;
}

/* --- the connection ------------------------------------------------------- */

/* nghttp2's own limits against hostile peers, set explicitly: SETTINGS
 * frames with many entries, queued PING/SETTINGS acks (a peer that sends
 * and never reads), rapid reset (HEADERS + RST_STREAM, CVE-2023-44487),
 * CONTINUATION floods (CVE-2024-27316), HPACK tables. */
struct h2 *h2_open(const struct h2_conn *hc)
{
    struct h2 *h = xcalloc(1, sizeof(*h));
    const struct srv_conf *c = &hc->env->srv->c;
    nghttp2_option *opt = NULL;
    nghttp2_settings_entry set[3];
    int rv;

    h->now = hc->now;
    h->now_arg = hc->arg;
    h->id = hc->id;
    h->ktls_text = hc->ktls;
    snprintf(h->ktls_mode, sizeof(h->ktls_mode), "%s", hc->ktls_mode);
    h->env = *hc->env;
    h->log = hc->env->log;
    h->fd = hc->env->fd;
    h->ssl = hc->ssl;
    h->ktls = hc->env->ktls_tx;
    h->direct = h->ktls || h->ssl == NULL;
    h->payload_max = c->http2_chunk_size > 0 ? (size_t)c->http2_chunk_size : 1;
    if (h->payload_max > KTLS_PAYLOAD) /* one frame, one TLS record */
        h->payload_max = KTLS_PAYLOAD;
    if (nghttp2_option_new(&opt) != 0)
        goto fail;
    nghttp2_option_set_max_settings(opt, 32);
    nghttp2_option_set_max_outbound_ack(opt, 1000);
    nghttp2_option_set_stream_reset_rate_limit(opt, 1000, 33);
    nghttp2_option_set_max_continuations(opt, 8);
    nghttp2_option_set_max_deflate_dynamic_table_size(opt, 4096);
    rv = nghttp2_session_server_new2(&h->s, callbacks(), h, opt);
    nghttp2_option_del(opt);
    if (rv != 0)
        goto fail;
    set[0] = (nghttp2_settings_entry){NGHTTP2_SETTINGS_MAX_CONCURRENT_STREAMS,
                                      (uint32_t)c->http2_max_concurrent_streams};
    set[1] = (nghttp2_settings_entry){
        NGHTTP2_SETTINGS_INITIAL_WINDOW_SIZE,
        (uint32_t)(c->http2_body_preread_size < NGHTTP2_MAX_WINDOW_SIZE ? c->http2_body_preread_size
                                                                        : NGHTTP2_MAX_WINDOW_SIZE)};
    set[2] =
        (nghttp2_settings_entry){NGHTTP2_SETTINGS_MAX_HEADER_LIST_SIZE,
                                 (uint32_t)c->large_header_bufs * (uint32_t)c->large_header_size};
    rv = nghttp2_submit_settings(h->s, NGHTTP2_FLAG_NONE, set, 3);
    if (rv != 0)
        goto fail;
    return h;
fail:
    log_error(LL_CRIT, h->log, "could not start an HTTP/2 session");
    h2_free(h);
    return NULL;
}

/* An idle connection (no stream, nothing to write) holds no output buffer:
 * 10,000 idle HTTP/2 connections would otherwise pin 640 MiB. */
static void idle_release(struct h2 *h)
{
    if (h->streams == 0 && h->out != NULL && h->olen == h->opos && h->wlen == 0) {
        free(h->out);
        h->out = NULL;
        h->olen = h->opos = 0;
    }
}

/* Output first (it may free room and streams), then input, until the
 * socket says wait. A peer that keeps sending is yielded to the other
 * connections after READS_PER_RUN reads. */
static int run(struct h2 *h, int *events)
{
    /* nghttp2 takes what it reads at once: one buffer serves the worker */
    static char rbuf[READ_CAP];
    int reads = 0;
    int clean;
    for (;;) {
        int r, rwant = IO_READ;
        size_t n = 0;
        ssize_t used;

        if (h->olen - h->opos >= 2 * TLS_RECORD)
            h2_cork(h, 1);
        if (h2_flush(h) == KT_ERROR || h->fatal)
            return KT_ERROR;
        if (!h->wblocked) {
            if ((r = nghttp2_session_send(h->s)) != 0) {
                log_error(LL_INFO, h->log, "HTTP/2: %s", nghttp2_strerror(r));
                return KT_ERROR;
            }
            if (h->fatal)
                return KT_ERROR;
            if (h->olen > h->opos || h->fr.active)
                continue; /* written at the top */
        }
        h2_cork(h, 0); /* all written, or the socket is full: push what is corked */
        if (!h->wblocked && !nghttp2_session_want_read(h->s) && !nghttp2_session_want_write(h->s))
            return KT_OK; /* GOAWAY sent and nothing in flight */
        if (h->draining && h->streams == 0 && !h->wblocked && !nghttp2_session_want_write(h->s))
            return KT_OK;
        if (reads >= READS_PER_RUN && !(h->ssl != NULL && tls_pending(h->ssl))) {
            *events = IO_READ | (h->wblocked ? h->wwant : 0);
            return KT_AGAIN;
        }
        if (h->ssl != NULL)
            r = tls_read(h->ssl, rbuf, sizeof(rbuf), &n, &rwant, h->log);
        else
            r = net_read(h->fd, rbuf, sizeof(rbuf), &n, &rwant, h->log);
        /* a key update not followed: KT_ERROR closes at once (without
         * close_notify even where tls_key_update says it may be sent) */
        if (r != KT_ERROR && h->ktls && h->ssl != NULL &&
            tls_key_update(h->ssl, h->log, &clean) != KT_OK)
            return KT_ERROR;
        if (r == KT_AGAIN) {
            *events = rwant | (h->wblocked ? h->wwant : 0);
            idle_release(h);
            return KT_AGAIN;
        }
        if (r == KT_ERROR)
            return KT_ERROR;
        if (n == 0)
            return h->streams == 0 ? KT_OK : KT_ERROR; /* the peer closed */
        reads++;
        used = nghttp2_session_mem_recv(h->s, (const uint8_t *)rbuf, n);
        if (used < 0) {
            /* a preface that is not HTTP/2, a flood nghttp2 refuses: GOAWAY
             * with the reason, sent if the socket takes it, then close */
            log_error(LL_INFO, h->log, "client sent invalid HTTP/2: %s",
                      nghttp2_strerror((int)used));
            nghttp2_session_terminate_session(h->s, used == NGHTTP2_ERR_FLOODED
                                                        ? NGHTTP2_ENHANCE_YOUR_CALM
                                                        : NGHTTP2_PROTOCOL_ERROR);
            if (nghttp2_session_send(h->s) == 0)
                h2_flush(h);
            return KT_ERROR;
        }
    }
}

int h2_run(struct h2 *h, int *events)
{
    int r = run(h, events);
    h2_cork(h, 0);
    return r;
}

void h2_drain(struct h2 *h)
{
    if (h->draining)
        return;
    h->draining = 1;
    nghttp2_submit_goaway(h->s, NGHTTP2_FLAG_NONE, nghttp2_session_get_last_proc_stream_id(h->s),
                          NGHTTP2_NO_ERROR, NULL, 0);
}

unsigned h2_streams(const struct h2 *h)
{
    return h->streams;
}

int h2_progress(struct h2 *h)
{
    int p = h->progress;
    h->progress = 0;
    return p;
}

void h2_free(struct h2 *h)
{
    if (h == NULL)
        return;
    h->nrd = 0; /* nothing is written any more */
    /* nghttp2_session_del calls no callback: the streams still open are
     * logged (with what they sent) and freed here */
    while (h->list != NULL) {
        if (h->list->answered)
            h2_stream_log(h->list);
        stream_free(h->list);
    }
    if (h->s != NULL)
        nghttp2_session_del(h->s);
    if (h->fr.own_fd)
        close(h->fr.fd);
    free(h->out);
    free(h);
}
