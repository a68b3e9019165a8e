/* conn.c: one client connection, from accept to close.
 *
 *   HANDSHAKE -> READ -> SEND -> (KEEPALIVE -> READ -> SEND)* -> close
 *                                \-> LINGER (error answers: drain, then close)
 *            \-> H2 (ALPN chose "h2", or a plain connection opened with the h2c
 *                  preface: h2.c runs the connection) -> close
 *
 * One ev_io and one ev_timer are embedded in each connection; connections
 * and their 16 KiB buffers come from per-worker free lists and are reset
 * explicitly (lighttpd's connection_reset). An idle keep-alive connection
 * holds no buffer: it is returned to the pool until the next request. */
#include "conn.h"
#include "config.h"
#include "h2.h"
#include "http.h"
#include "ktls_info.h"
#include "limit.h"
#include "log.h"
#include "net.h"
#include "reqlog.h"
#include "request.h"
#include "send.h"
#include "stats.h"
#include "tls.h"
#include "util.h"
#include "version.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

_Static_assert((int)IO_READ == (int)EV_READ && (int)IO_WRITE == (int)EV_WRITE,
               "IO_* must match libev's EV_*");

#define SMALL_BUF 16384 /* request heads; response heads with small bodies */
#define LARGE_BUF 65536 /* the userspace fallback's preads */
#define POOL_KEEP 64    /* free buffers kept per size */
#define LINGER_TIMEOUT 5.0
#define RECLAIM_LOG_EVERY 1.0 /* seconds between "not enough worker_connections" lines */

enum state { C_HANDSHAKE, C_READ, C_SEND, C_KEEPALIVE, C_LINGER, C_H2 };

struct buf_list {
    void *head;
    size_t count, size;
};

/* What a response in flight needs beyond the idle connection: taken from a
 * pool when a request is answered, returned when it has gone out. */
struct xfer {
    struct send_state snd;
    struct reply reply;
    struct xfer *next;
};

struct conn {
    ev_io io;
    ev_timer timer;
    struct conn_pool *pool;
    const struct vhosts *vh;
    struct server_conf *srv; /* by SNI, else the listener's default */
    int fd;
    int events;
    SSL *ssl;
    enum state state;
    unsigned ktls_tx : 1, ktls_rx : 1;
    unsigned tls_checked : 1;  /* the first byte was looked at: TLS or not */
    unsigned plain_on_tls : 1; /* plain HTTP on a TLS port: answered 400 (nginx's 497) */
    unsigned close_clean : 1;  /* an ending that owes the peer a close_notify */
    unsigned delayed : 1;      /* limit_req delays the request: answered when the timer fires */
    unsigned paced : 1;        /* limit_rate: the timer says when to send on */
    unsigned h2_checked : 1;   /* a plain connection's first bytes are not the h2 preface */
    int ktls_class; /* which kTLS gauge counts this connection: -1 none, 0 tx, 1 tx+rx, 2+ fallback
                     */
    struct ktls_modes ktls_mode; /* what the kernel runs each direction as (sw, hw, ...) */
    struct log_ctx log;
    char peer[INET6_ADDRSTRLEN];
    char *rbuf;
    size_t rlen, rparsed;
    struct request *req; /* with rbuf: held only while a request is being read or answered */
    struct xfer *xf;
    struct h2 *h2; /* in C_H2 */
    char *sbuf;
    size_t scap;
    int status;
    struct sockaddr_in6 peer_addr; /* large enough for IPv4 and IPv6 */
    unsigned long requests;
    ev_tstamp req_start;
    ev_tstamp idle_since; /* opened, or last response sent: the oldest is reclaimed first */
    struct conn *next;
};

struct conn_pool {
    struct ev_loop *loop;
    size_t max, active;
    struct conn *free;
    struct conn **live; /* the open connections, for drain and close_all */
    size_t nlive;
    struct buf_list small, large;
    struct buf_list reads; /* a struct request followed by its SMALL_BUF read buffer */
    struct xfer *free_xfers;
    unsigned long next_id;
    int draining;
    ev_tstamp reclaim_logged;
    unsigned long reclaimed; /* since the last log line */
    void (*on_release)(void *);
    void *arg;
};

static void conn_step(struct conn *c);
static SSL_CTX *sni_pick(void *arg, const char *name);
static void conn_close(struct conn *c, int clean);

/* The gauge a state counts in: nginx's Reading / Writing / Waiting. */
static long *state_gauge(enum state st)
{
    switch (st) {
    case C_HANDSHAKE:
    case C_READ:
        return &stats_me->reading;
    case C_SEND:
        return &stats_me->writing;
    case C_KEEPALIVE:
    case C_H2: /* its streams are not counted one by one */
        return &stats_me->waiting;
    default:
        return NULL;
    }
}

static void set_state(struct conn *c, enum state st)
{
    long *from = state_gauge(c->state), *to = state_gauge(st);
    if (from != NULL)
        (*from)--;
    if (to != NULL)
        (*to)++;
    c->state = st;
}

static long *ktls_gauge(int cls)
{
    if (cls == 0)
        return &stats_me->ktls_tx;
    if (cls == 1)
        return &stats_me->ktls_txrx;
    if (cls >= 2 && cls - 2 < FB__COUNT)
        return &stats_me->fallback[cls - 2];
    return NULL;
}

/* --- pools ---------------------------------------------------------------- */

static char *buf_get(struct buf_list *l)
{
    void *b = l->head;
    if (b == NULL)
        return xmalloc(l->size);
    l->head = *(void **)b;
    l->count--;
    return b;
}

static void buf_put(struct buf_list *l, char *b)
{
    if (b == NULL)
        return;
    if (l->count >= POOL_KEEP) {
        free(b);
        return;
    }
    *(void **)b = l->head;
    l->head = b;
    l->count++;
}

struct conn_pool *conn_pool_create(struct ev_loop *loop, size_t max, void (*on_release)(void *),
                                   void *arg)
{
    struct conn_pool *p = xcalloc(1, sizeof(*p));
    p->loop = loop;
    p->max = max;
    p->live = xcalloc(max, sizeof(struct conn *));
    p->small.size = SMALL_BUF;
    p->large.size = LARGE_BUF;
    p->reads.size = sizeof(struct request) + SMALL_BUF;
    p->on_release = on_release;
    p->arg = arg;
    tls_set_sni_picker(sni_pick); /* once: SNI looks names up in this file's vhosts */
    return p;
}

int conn_pool_full(const struct conn_pool *p)
{
    return p->active >= p->max;
}

size_t conn_pool_active(const struct conn_pool *p)
{
    return p->active;
}

/* The request being read and its buffer go back to the pool together. */
static void read_release(struct conn *c)
{
    if (c->req != NULL)
        buf_put(&c->pool->reads, (char *)c->req);
    c->req = NULL;
    c->rbuf = NULL;
}

/* --- events and timers ---------------------------------------------------- */

static void wait_for(struct conn *c, int events)
{
    if (c->events == events && ev_is_active(&c->io))
        return;
    ev_io_stop(c->pool->loop, &c->io);
    ev_io_set(&c->io, c->fd, events);
    ev_io_start(c->pool->loop, &c->io);
    c->events = events;
}

/* A timeout of 0 fires at once, as nginx's does (libev would take a
 * repeat of 0 to mean "stop the timer", and the connection would wait
 * forever). */
static void set_timeout(struct conn *c, double seconds)
{
    c->timer.repeat = seconds > 0 ? seconds : 1e-6;
    ev_timer_again(c->pool->loop, &c->timer);
}

/* Whether the client has sent bytes we have not read yet: a keep-alive
 * connection with a request in flight is answered, not closed under it. */
static int bytes_waiting(const struct conn *c)
{
    int n = 0;
    if (c->ssl != NULL && tls_pending(c->ssl))
        return 1;
    return ioctl(c->fd, FIONREAD, &n) == 0 && n > 0;
}

static void io_cb(struct ev_loop *loop, ev_io *w, int revents)
{
    (void)loop;
    (void)revents;
    conn_step((struct conn *)w);
}

static void access_log(struct conn *c);
static void count_bytes(const struct conn *c);
static int handle_request(struct conn *c, int again);

/* A timeout. An idle keep-alive connection closes cleanly, unless its next
 * request has just arrived (then it is answered). A request cut short by
 * client_header_timeout is logged as 408, a response cut by send_timeout
 * with the bytes that went out, as nginx logs them. */
static void timer_cb(struct ev_loop *loop, ev_timer *w, int revents)
{
    struct conn *c = container_of(w, struct conn, timer);
    (void)loop;
    (void)revents;
    if (c->delayed) { /* limit_req's delay is over: answer it now */
        c->delayed = 0;
        if (handle_request(c, 1) == KT_OK) {
            set_timeout(c, c->srv->c.send_timeout);
            conn_step(c);
        }
        return;
    }
    if (c->paced) { /* limit_rate: the next bytes may go */
        c->paced = 0;
        set_timeout(c, c->srv->c.send_timeout);
        conn_step(c);
        return;
    }
    if (c->state == C_KEEPALIVE) {
        if (bytes_waiting(c)) {
            conn_step(c);
            return;
        }
        conn_close(c, 1);
        return;
    }
    if (c->state == C_LINGER) {
        conn_close(c, 0);
        return;
    }
    if (c->state == C_H2 && h2_streams(c->h2) == 0) { /* idle: keepalive_timeout */
        conn_close(c, 1);
        return;
    }
    log_error(LL_INFO, &c->log, "client timed out (%d: %s)", ETIMEDOUT, strerror(ETIMEDOUT));
    if (c->state == C_READ && c->rlen > 0) {
        c->status = 408;
        access_log(c);
    } else if (c->state == C_SEND && c->xf != NULL) {
        count_bytes(c); /* a response cut short counts, as on a send error */
        access_log(c);
    }
    conn_close(c, 0);
}

/* --- open / close ------------------------------------------------------- */

static SSL_CTX *sni_pick(void *arg, const char *name)
{
    struct server_conf *s = request_server(arg, name, strlen(name));
    return s != NULL ? s->ssl_ctx : NULL;
}

int conn_open(struct conn_pool *p, int fd, const struct sockaddr *peer, socklen_t peerlen,
              const struct vhosts *vh, int ssl)
{
    struct conn *c;
    struct server_conf *srv = vh->dflt;
    int one = 1;

    stats_me->accepted++;
    if (p->active >= p->max) {
        close(fd);
        return KT_ERROR;
    }
    c = p->free;
    if (c != NULL)
        p->free = c->next;
    else
        c = xmalloc(sizeof(*c));
    memset(c, 0, sizeof(*c));
    c->pool = p;
    c->srv = srv;
    c->vh = vh;
    c->fd = fd;
    if (peerlen <= sizeof(c->peer_addr))
        memcpy(&c->peer_addr, peer, peerlen);
    c->log.id = ++p->next_id;
    c->log.peer = c->peer;
    if (peer->sa_family == AF_INET)
        inet_ntop(AF_INET, &((const struct sockaddr_in *)peer)->sin_addr, c->peer, sizeof(c->peer));
    else if (peer->sa_family == AF_INET6)
        inet_ntop(AF_INET6, &((const struct sockaddr_in6 *)peer)->sin6_addr, c->peer,
                  sizeof(c->peer));
    else
        snprintf(c->peer, sizeof(c->peer), "unix:");
    if (srv->c.tcp_nodelay)
        setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
    c->ktls_class = -1;
    c->idle_since = ev_now(p->loop);
    c->state = C_LINGER; /* counted in no gauge until set_state() below */
    if (ssl) {
        c->ssl = tls_new(srv->ssl_ctx, fd, (void *)vh);
        if (c->ssl == NULL) {
            log_error(LL_CRIT, &c->log, "SSL_new() failed (SSL: %s)", tls_error_text());
            close(fd);
            c->next = p->free;
            p->free = c;
            return KT_ERROR;
        }
        set_state(c, C_HANDSHAKE);
        c->log.action = "SSL handshaking";
    } else {
        set_state(c, C_READ);
        c->log.action = "reading client request line";
    }
    stats_me->handled++;
    stats_me->active++;
    p->live[p->nlive++] = c;
    p->active++;
    ev_io_init(&c->io, io_cb, fd, EV_READ);
    c->events = EV_READ;
    ev_io_start(p->loop, &c->io);
    ev_init(&c->timer, timer_cb);
    set_timeout(c, srv->c.client_header_timeout);
    /* the listener defers accept until data arrives: start at once rather
     * than wait for a readiness event that has already happened */
    conn_step(c);
    return KT_OK;
}

static void release_response(struct conn *c)
{
    if (c->xf != NULL) {
        limit_release(c->xf->reply.held, c->xf->reply.nheld); /* limit_conn slots */
        c->xf->reply.nheld = 0;
        reply_free(&c->xf->reply);
        c->xf->next = c->pool->free_xfers;
        c->pool->free_xfers = c->xf;
        c->xf = NULL;
    }
    if (c->sbuf != NULL) {
        buf_put(c->scap == SMALL_BUF ? &c->pool->small : &c->pool->large, c->sbuf);
        c->sbuf = NULL;
    }
}

static void conn_close(struct conn *c, int clean)
{
    struct conn_pool *p = c->pool;
    long *g = ktls_gauge(c->ktls_class);
    if (g != NULL)
        (*g)--;
    set_state(c, C_LINGER);
    stats_me->active--;
    ev_io_stop(p->loop, &c->io);
    ev_timer_stop(p->loop, &c->timer);
    h2_free(c->h2);
    c->h2 = NULL;
    tls_close(c->ssl, clean);
    c->ssl = NULL;
    close(c->fd);
    release_response(c);
    read_release(c);
    for (size_t i = 0; i < p->nlive; i++)
        if (p->live[i] == c) {
            p->live[i] = p->live[--p->nlive];
            break;
        }
    p->active--;
    c->next = p->free;
    p->free = c;
    if (p->on_release != NULL)
        p->on_release(p->arg);
}

/* --- reading a request ---------------------------------------------------- */

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
        read_release(c);
    }
}

/* KT_OK: a request (or a parse error to answer) is ready; KT_AGAIN: wait;
 * KT_ERROR: the peer went away or the read failed (logged). */
static int read_request(struct conn *c)
{
    int want = IO_READ;
    if (c->rbuf == NULL) {
        c->req = (struct request *)buf_get(&c->pool->reads);
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
        if (r == KT_AGAIN) {
            idle_release(c);
            wait_for(c, want);
            return KT_AGAIN;
        }
        if (r == KT_ERROR)
            return KT_ERROR;
        if (c->ktls_tx && tls_key_update_pending(c->ssl)) {
            log_error(LL_INFO, &c->log,
                      "client asked for a TLS 1.3 key update, which kTLS cannot follow on "
                      "this kernel: closing the connection");
            stats_me->key_update_closes++;
            c->close_clean = 1;
            return KT_ERROR;
        }
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

/* --- answering ------------------------------------------------------------ */

static const char *ktls_text(const struct conn *c)
{
    if (c->ssl == NULL)
        return "off";
    return c->ktls_tx ? (c->ktls_rx ? "tx+rx" : "tx") : (c->ktls_rx ? "rx" : "off");
}

/* The access log line of the request: a response, or one cut short. */
static void access_log(struct conn *c)
{
    char kmode[32];
    struct reqlog l = {
        .srv = c->xf != NULL ? c->xf->reply.srv : c->srv,
        .req = c->req,
        .rbuf = c->rbuf,
        .reply = c->xf != NULL ? &c->xf->reply : NULL,
        .peer = c->peer,
        .ssl = c->ssl,
        .ktls = ktls_text(c),
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
    if (l.srv == NULL || l.srv->access_log == NULL)
        return;
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

/* What the pipeline needs to know of this connection, whatever protocol
 * brought the request (HTTP/1.1 adds the request itself; h2.c its streams). */
static struct request_env conn_env(struct conn *c)
{
    return (struct request_env){
        .vh = c->vh,
        .srv = c->srv,
        .ssl = c->ssl != NULL,
        .ktls_tx = c->ktls_tx,
        .peer = (const struct sockaddr *)&c->peer_addr,
        .fd = c->fd,
        .tls = c->ssl,
        .log = &c->log,
        .client_verify = c->ssl != NULL ? tls_client_verify(c->ssl, &c->log) : 0,
    };
}

/* Hands the parsed request to request.c, then picks the send path: kTLS
 * sendfile, plain sendfile, or a copying fallback with a large buffer.
 * KT_AGAIN: limit_req delays the request; the timer answers it again
 * (again set: counted once, and limit_req is not asked twice). */
static int handle_request(struct conn *c, int again)
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
    c->sbuf = buf_get(&c->pool->small);
    c->scap = SMALL_BUF;
    env.buf = c->sbuf;
    env.cap = c->scap;
    env.keepalive = keepalive_allowed(c) && c->req->complete;
    c->log.action = "processing request";
    set_state(c, C_SEND); /* the status page counts its own request as writing */
    request_respond(&env, r);
    if (r->delay > 0) {
        /* nginx's limit_req delay: nothing read or sent meanwhile */
        double delay = r->delay;
        release_response(c);
        c->delayed = 1;
        c->log.action = "delaying request (limit_req)";
        ev_io_stop(c->pool->loop, &c->io);
        set_timeout(c, delay);
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
        char *big = buf_get(&c->pool->large);
        memcpy(big, c->sbuf, r->head_len);
        for (size_t i = 0; i < r->nsegs; i++) /* memory inside the small buffer moves along */
            if (r->segs[i].mem >= c->sbuf && r->segs[i].mem < c->sbuf + SMALL_BUF)
                r->segs[i].mem = big + (r->segs[i].mem - c->sbuf);
        buf_put(&c->pool->small, c->sbuf);
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
    release_response(c);
    c->req_start = 0;
    if (!keep) {
        if (must_close || c->rparsed < c->rlen) {
            /* the client may still be sending: lingering close, so that our
             * answer is not destroyed by a RST (nginx lingering_close) */
            tls_close(c->ssl, 1);
            c->ssl = NULL;
            shutdown(c->fd, SHUT_WR);
            set_state(c, C_LINGER);
            c->log.action = "lingering close";
            wait_for(c, EV_READ);
            set_timeout(c, LINGER_TIMEOUT);
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
        set_state(c, C_READ);
        c->log.action = "reading client pipelined request";
        set_timeout(c, c->srv->c.client_header_timeout);
        return;
    }
    c->rlen = c->rparsed = 0;
    read_release(c);
    c->idle_since = ev_now(c->pool->loop);
    set_state(c, C_KEEPALIVE);
    c->log.action = "keepalive";
    wait_for(c, EV_READ);
    set_timeout(c, c->srv->c.keepalive_timeout);
}

static void handshake_done(struct conn *c)
{
    char kmode[32];
    /* SNI chose the certificate only: without a Host header the request
     * goes to the address's default server, as in nginx */
    c->ktls_tx = (unsigned)tls_ktls_tx(c->ssl);
    c->ktls_rx = (unsigned)tls_ktls_rx(c->ssl);
    if (tls_resumed(c->ssl))
        stats_me->hs_resumed++;
    else
        stats_me->hs_full++;
    /* which kind of kTLS: one sock_diag query, only when kTLS is on */
    ktls_info_modes(c->fd, c->ktls_tx, c->ktls_rx, &c->ktls_mode, &c->log);
    stats_me->ktls_mode_tx[c->ktls_mode.tx]++;
    stats_me->ktls_mode_rx[c->ktls_mode.rx]++;
    if (c->ktls_tx) {
        c->ktls_class = c->ktls_rx ? 1 : 0;
        stats_me->ktls_zerocopy += (unsigned)tls_ktls_zerocopy(c->ssl, &c->log);
    } else /* why not: switched off, no kernel support, a cipher it cannot take, or OpenSSL */
        /* ssl_buffer_size below 16k turns it off too (tls_ctx_configure) */
        c->ktls_class = 2 + (!c->srv->c.ktls || c->srv->c.ssl_buffer_size < 16384 ? FB_DISABLED
                             : !tls_kernel_ktls()                                 ? FB_NO_KERNEL
                             : !tls_ktls_cipher(c->ssl)                           ? FB_CIPHER
                                                                                  : FB_OPENSSL);
    (*ktls_gauge(c->ktls_class))++;
    stats_count_tls(tls_protocol(c->ssl), c->ktls_tx, c->ktls_rx, c->ktls_class - 2);
    if (log_enabled(LL_DEBUG))
        log_error(LL_DEBUG, &c->log, "%s %s, kTLS %s (%s)", tls_protocol(c->ssl),
                  tls_cipher(c->ssl), ktls_text(c),
                  ktls_modes_text(&c->ktls_mode, kmode, sizeof(kmode)));
    set_state(c, C_READ);
    c->log.action = "reading client request line";
}

static double loop_now(void *arg)
{
    return ev_now(((struct conn *)arg)->pool->loop);
}

/* ALPN chose h2: the connection is h2.c's from here on. */
static int h2_start(struct conn *c)
{
    char kmode[32];
    struct request_env env = conn_env(c);
    struct h2_conn hc = {.env = &env,
                         .ssl = c->ssl,
                         .now = loop_now,
                         .arg = c,
                         .id = c->log.id,
                         .ktls = ktls_text(c),
                         .ktls_mode = ktls_modes_text(&c->ktls_mode, kmode, sizeof(kmode))};
    c->h2 = h2_open(&hc);
    if (c->h2 == NULL)
        return KT_ERROR;
    if (c->pool->draining) /* a graceful stop began during the handshake */
        h2_drain(c->h2);
    set_state(c, C_H2);
    c->log.action = "processing HTTP/2 connection";
    set_timeout(c, c->srv->c.http2_idle_timeout);
    return KT_OK;
}

/* "http2 on" on a listener without ssl: a connection that opens with the
 * HTTP/2 preface is HTTP/2 (h2c with prior knowledge, as nginx 1.25.1+),
 * anything else HTTP/1.x. KT_OK: it is (h2.c then reads the preface);
 * KT_AGAIN: the first bytes are a prefix of it, wait; KT_ERROR: it is not. */
static int plain_h2(struct conn *c)
{
    char b[H2_PREFACE_LEN];
    ssize_t n = recv(c->fd, b, sizeof(b), MSG_PEEK);
    if (n <= 0)
        return n < 0 && (errno == EAGAIN || errno == EINTR) ? KT_AGAIN : KT_ERROR;
    if (memcmp(b, H2_PREFACE, (size_t)n) != 0)
        return KT_ERROR;
    return n == H2_PREFACE_LEN ? KT_OK : KT_AGAIN;
}

/* An HTTP/2 connection's turn: its timer is send_timeout while streams are
 * open (restarted as they make progress), keepalive_timeout (or
 * http2_idle_timeout) while none is. */
static void h2_step(struct conn *c)
{
    int events = IO_READ, r = h2_run(c->h2, &events);
    if (r == KT_OK) {
        /* GOAWAY went out and every stream is done, but the client may still
         * be sending (WINDOW_UPDATEs for the last DATA): a lingering close,
         * so that a RST does not destroy the end of what it has not read */
        h2_free(c->h2);
        c->h2 = NULL;
        tls_close(c->ssl, 1);
        c->ssl = NULL;
        shutdown(c->fd, SHUT_WR);
        set_state(c, C_LINGER);
        c->log.action = "lingering close";
        wait_for(c, EV_READ);
        set_timeout(c, LINGER_TIMEOUT);
        return;
    }
    if (r == KT_ERROR) {
        conn_close(c, 0);
        return;
    }
    wait_for(c, events);
    if (h2_progress(c->h2))
        set_timeout(c,
                    h2_streams(c->h2) > 0 ? c->srv->c.send_timeout : c->srv->c.http2_idle_timeout);
}

/* nginx's test for plain HTTP on a TLS port: a TLS client opens with a
 * handshake record (0x16) or an SSLv2-style hello (0x80). Anything else is
 * read as a plain HTTP request and answered 400 "The plain HTTP request
 * was sent to HTTPS port" (error_page 497 can redirect it), then closed. */
static int check_tls(struct conn *c)
{
    unsigned char b;
    ssize_t n = recv(c->fd, &b, 1, MSG_PEEK);
    if (n < 0)
        return errno == EAGAIN || errno == EINTR ? KT_AGAIN : KT_ERROR;
    if (n == 0)
        return KT_ERROR;
    c->tls_checked = 1;
    if (b == 0x16 || b == 0x80)
        return KT_OK;
    tls_close(c->ssl, 0);
    c->ssl = NULL;
    c->plain_on_tls = 1;
    set_state(c, C_READ);
    c->log.action = "reading client request line";
    log_error(LL_INFO, &c->log, "client sent plain HTTP request to HTTPS port");
    return KT_OK;
}

static void conn_step(struct conn *c)
{
    int r, want = IO_READ;

    for (;;) {
        switch (c->state) {
        case C_HANDSHAKE:
            if (!c->tls_checked) {
                r = check_tls(c);
                if (r == KT_AGAIN) {
                    wait_for(c, EV_READ);
                    return;
                }
                if (r == KT_ERROR) {
                    conn_close(c, 0);
                    return;
                }
                if (c->plain_on_tls)
                    break;
            }
            r = tls_handshake(c->ssl, &want, &c->log);
            if (r == KT_AGAIN) {
                wait_for(c, want);
                return;
            }
            if (r == KT_ERROR) {
                stats_me->hs_failed++;
                conn_close(c, 0);
                return;
            }
            handshake_done(c);
            if (tls_alpn_h2(c->ssl)) {
                if (h2_start(c) != KT_OK) {
                    conn_close(c, 0);
                    return;
                }
                h2_step(c);
                return;
            }
            break;

        case C_H2:
            h2_step(c);
            return;

        case C_KEEPALIVE:
            set_state(c, C_READ);
            c->log.action = "reading client request line";
            set_timeout(c, c->srv->c.client_header_timeout);
            /* fall through */
        case C_READ:
            if (!c->h2_checked && c->ssl == NULL && !c->plain_on_tls && c->srv->c.http2 > 0) {
                r = plain_h2(c);
                if (r == KT_AGAIN) {
                    wait_for(c, EV_READ);
                    return;
                }
                c->h2_checked = 1;
                if (r == KT_OK) {
                    if (h2_start(c) != KT_OK) {
                        conn_close(c, 0);
                        return;
                    }
                    h2_step(c);
                    return;
                }
            }
            r = read_request(c);
            if (r == KT_AGAIN)
                return;
            if (r == KT_ERROR) {
                conn_close(c, c->close_clean);
                return;
            }
            if (handle_request(c, 0) != KT_OK)
                return; /* delayed: the timer comes back */
            set_timeout(c, c->srv->c.send_timeout);
            break;

        case C_SEND:
            r = send_run(&c->xf->snd, c->fd, c->ssl, &want, &c->log);
            if (r == KT_AGAIN && want == 0) { /* limit_rate: wait, not for the socket */
                ev_io_stop(c->pool->loop, &c->io);
                c->paced = 1;
                set_timeout(c, c->xf->snd.delay);
                return;
            }
            if (r == KT_AGAIN) {
                wait_for(c, want);
                set_timeout(c, c->srv->c.send_timeout);
                return;
            }
            if (r == KT_ERROR) {
                c->status = c->status ? c->status : 500;
                count_bytes(c);
                access_log(c);
                conn_close(c, 0);
                return;
            }
            finish_request(c);
            if (c->state == C_KEEPALIVE) {
                /* OpenSSL may already hold the next request's bytes */
                if (c->ssl != NULL && tls_pending(c->ssl))
                    break;
                return;
            }
            if (c->state != C_READ)
                return; /* closed or lingering */
            break;

        case C_LINGER: {
            char drain[4096];
            ssize_t n = recv(c->fd, drain, sizeof(drain), 0);
            if (n < 0 && (errno == EAGAIN || errno == EINTR))
                return;
            if (n > 0)
                return;
            conn_close(c, 0);
            return;
        }
        }
    }
}

/* --- pool-wide ------------------------------------------------------------ */

/* Graceful stop (reload, SIGQUIT). Closing an idle keep-alive connection
 * races with a client that has just sent its next request: the request
 * meets a closed socket, and the client sees an error (nginx loses such
 * requests on every reload). So idle keep-alive connections are not cut:
 * the next request that arrives is answered with "Connection: close", and
 * a silent one closes at its keepalive_timeout as it would have anyway
 * (checking first that no request is in flight, see timer_cb);
 * worker_shutdown_timeout bounds the wait. A connection still waiting for
 * its first request has one in flight: it is left to client_header_timeout. */
void conn_pool_drain(struct conn_pool *p)
{
    p->draining = 1;
    /* HTTP/2: GOAWAY now; the streams in flight finish, then each closes.
     * Backwards: a connection may close (and leave live[]) as it steps. */
    for (size_t i = p->nlive; i-- > 0;)
        if (i < p->nlive && p->live[i]->state == C_H2) {
            h2_drain(p->live[i]->h2);
            h2_step(p->live[i]);
        }
}

/* Waiting for a next request: keep-alive, or HTTP/2 with no stream open. */
static int conn_idle(const struct conn *c)
{
    return c->state == C_KEEPALIVE || (c->state == C_H2 && h2_streams(c->h2) == 0);
}

/* worker_connections are all in use: close the connections that are
 * waiting rather than working, so that new clients are served (nginx's
 * ngx_drain_connections reuses idle keep-alive connections). Idle
 * keep-alive connections (and HTTP/2 ones with no stream open) go first, then those that have not
 * finished a request head (a handshake or a head trickling in: slowloris), oldest first. At most
 * one line a second is logged. Returns how many were closed. */
size_t conn_pool_reclaim(struct conn_pool *p, size_t want)
{
    size_t done = 0;
    while (done < want) {
        struct conn *best = NULL;
        for (size_t i = 0; i < p->nlive; i++) {
            struct conn *c = p->live[i];
            int idle = conn_idle(c);
            if (!idle && c->state != C_HANDSHAKE &&
                !(c->state == C_READ && (c->req == NULL || !c->req->headers_done)))
                continue;
            if (best == NULL || (idle && !conn_idle(best)) ||
                (idle == conn_idle(best) && c->idle_since < best->idle_since))
                best = c;
        }
        if (best == NULL)
            break;
        conn_close(best, conn_idle(best));
        done++;
    }
    p->reclaimed += done;
    if (p->reclaimed > 0 && ev_now(p->loop) - p->reclaim_logged >= RECLAIM_LOG_EVERY) {
        log_error(LL_WARN, NULL,
                  "%zu worker_connections are not enough, reusing connections (%lu closed since "
                  "the last report)",
                  p->max, p->reclaimed);
        p->reclaim_logged = ev_now(p->loop);
        p->reclaimed = 0;
    }
    return done;
}

void conn_pool_close_all(struct conn_pool *p)
{
    while (p->nlive > 0)
        conn_close(p->live[p->nlive - 1], 0);
}

void conn_pool_destroy(struct conn_pool *p)
{
    void *b;
    conn_pool_close_all(p);
    while (p->free != NULL) {
        struct conn *c = p->free;
        p->free = c->next;
        free(c);
    }
    while (p->free_xfers != NULL) {
        struct xfer *x = p->free_xfers;
        p->free_xfers = x->next;
        free(x);
    }
    while ((b = p->small.head) != NULL) {
        p->small.head = *(void **)b;
        free(b);
    }
    while ((b = p->reads.head) != NULL) {
        p->reads.head = *(void **)b;
        free(b);
    }
    while ((b = p->large.head) != NULL) {
        p->large.head = *(void **)b;
        free(b);
    }
    free(p->live);
    free(p);
}
