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
#include "conn_core.h"
#include "h2.h"
#include "http1.h"
#include "ktls_info.h"
#include "log.h"
#include "request.h"
#include "stats.h"
#include "tls.h"
#include "util.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/epoll.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

_Static_assert((int)IO_READ == (int)EV_READ && (int)IO_WRITE == (int)EV_WRITE,
               "IO_* must match libev's EV_*");

#define RECLAIM_LOG_EVERY 1.0 /* seconds between "not enough worker_connections" lines */

static void conn_step(struct conn *c);
static SSL_CTX *sni_pick(void *arg, const char *name);
static void invoke_pending(struct ev_loop *loop);

struct conn_pool *conn_pool_create(struct ev_loop *loop, size_t max, void (*on_release)(void *),
                                   void *arg)
{
    struct conn_pool *p = xcalloc(1, sizeof(*p));
    p->loop = loop;
    p->max = max;
    p->live = xcalloc(max, sizeof(struct conn *));
    p->ready = xcalloc(max, sizeof(struct conn *));
    p->small.size = SMALL_BUF;
    p->large.size = LARGE_BUF;
    p->reads.size = sizeof(struct request) + SMALL_BUF;
    p->on_release = on_release;
    p->arg = arg;
    tls_set_sni_picker(sni_pick); /* once: SNI looks names up in this file's vhosts */
    p->order_fd = epoll_create1(EPOLL_CLOEXEC);
    ev_set_userdata(loop, p);
    ev_set_invoke_pending_cb(loop, invoke_pending);
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

/* Whether the client has sent bytes we have not read yet: a keep-alive
 * connection with a request in flight is answered, not closed under it. */
static int bytes_waiting(const struct conn *c)
{
    int n = 0;
    if (c->ssl != NULL && tls_pending(c->ssl))
        return 1;
    return ioctl(c->fd, FIONREAD, &n) == 0 && n > 0;
}

/* Connections are served in the order their requests arrived, as nginx
 * serves them with edge-triggered epoll. Left to libev they were not, twice
 * over: libev runs a loop turn's callbacks last in, first out
 * (ev_invoke_pending in 4.33), and its level-triggered epoll reports a
 * socket it reported last time at its old place in the ready list (the
 * kernel puts it back there), ahead of sockets whose requests came earlier.
 * With 64 keep-alive clients the connection that had waited longest was
 * often served last, so p99 was about twice p50 (bench: p99 1.13x nginx's
 * on 1 KiB, 1.49x on the 10,000-file tree). So io_cb only queues the
 * connection, and run_ready(), after libev's callbacks, serves the queue in
 * the order they became ready. That order comes from a second epoll, which
 * holds every connection edge-triggered for EPOLLIN and EPOLLOUT and is
 * read (one epoll_wait that never blocks) in each turn with several
 * connections to order: there a socket joins the kernel's ready list when
 * bytes arrive or, after a write found its buffer full, room frees up. A
 * connection it does not name (bytes left from before) goes first: what it
 * waits for is older. */
static void io_cb(struct ev_loop *loop, ev_io *w, int revents)
{
    struct conn *c = (struct conn *)w;
    (void)loop;
    (void)revents;
    if (c->ready_at == 0) {
        c->pool->ready[c->pool->nready++] = c;
        c->ready_at = c->pool->nready;
    }
}

static void note_arrivals(struct conn_pool *p)
{
    struct epoll_event ev[256];
    int n;
    do {
        n = epoll_wait(p->order_fd, ev, (int)ARRAY_LEN(ev), 0);
        for (int i = 0; i < n; i++)
            ((struct conn *)ev[i].data.ptr)->arrived = ++p->arrivals;
    } while (n == (int)ARRAY_LEN(ev));
}

static int arrived_first(const void *a, const void *b)
{
    const struct conn *x = *(struct conn *const *)a, *y = *(struct conn *const *)b;
    if (x == NULL || y == NULL)
        return (x == NULL) - (y == NULL);
    return x->arrived < y->arrived ? -1 : x->arrived > y->arrived;
}

static void run_ready(struct conn_pool *p)
{
    int sorted = p->nready > 1 && p->order_fd >= 0;
    if (sorted) {
        note_arrivals(p);
        qsort(p->ready, p->nready, sizeof(*p->ready), arrived_first);
        for (size_t i = 0; i < p->nready && p->ready[i] != NULL; i++)
            p->ready[i]->ready_at = i + 1;
    }
    for (size_t k = 0; k < p->nready; k++) {
        size_t i = sorted ? k : p->nready - 1 - k; /* else libev's order reversed: epoll's */
        struct conn *c = p->ready[i];
        if (c == NULL)
            continue; /* its watcher was stopped, or it closed, meanwhile */
        p->ready[i] = NULL;
        c->ready_at = 0;
        conn_step(c);
    }
    p->nready = 0;
}

/* The loop's ev_invoke_pending, followed by the queued connections; again
 * if these fed the loop events to deliver. */
static void invoke_pending(struct ev_loop *loop)
{
    struct conn_pool *p = ev_userdata(loop);
    do {
        ev_invoke_pending(loop);
        run_ready(p);
    } while (ev_pending_count(loop) > 0);
}

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
        if (http1_answer(c, 1) == KT_OK) {
            conn_set_timeout(c, c->srv->c.send_timeout);
            conn_step(c);
        }
        return;
    }
    if (c->paced) { /* limit_rate: the next bytes may go */
        c->paced = 0;
        conn_set_timeout(c, c->srv->c.send_timeout);
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
    http1_timed_out(c);
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
    c->arrived = ++p->arrivals;
    if (p->order_fd >= 0) { /* without it, in epoll's order */
        struct epoll_event ev = {.events = EPOLLIN | EPOLLOUT | EPOLLET, .data.ptr = c};
        epoll_ctl(p->order_fd, EPOLL_CTL_ADD, fd, &ev);
    }
    c->state = C_LINGER; /* counted in no gauge until conn_set_state() below */
    if (ssl) {
        c->ssl = tls_new(srv->ssl_ctx, fd, (void *)vh);
        if (c->ssl == NULL) {
            log_error(LL_CRIT, &c->log, "SSL_new() failed (SSL: %s)", tls_error_text());
            close(fd);
            c->next = p->free;
            p->free = c;
            return KT_ERROR;
        }
        conn_set_state(c, C_HANDSHAKE);
        c->log.action = "SSL handshaking";
    } else {
        conn_set_state(c, C_READ);
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
    conn_set_timeout(c, srv->c.client_header_timeout);
    /* the listener defers accept until data arrives: start at once rather
     * than wait for a readiness event that has already happened */
    conn_step(c);
    return KT_OK;
}

/* --- answering ------------------------------------------------------------ */

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
    (*conn_ktls_gauge(c->ktls_class))++;
    stats_count_tls(tls_protocol(c->ssl), c->ktls_tx, c->ktls_rx, c->ktls_class - 2);
    if (log_enabled(LL_DEBUG))
        log_error(LL_DEBUG, &c->log, "%s %s, kTLS %s (%s)", tls_protocol(c->ssl),
                  tls_cipher(c->ssl), conn_ktls_text(c),
                  ktls_modes_text(&c->ktls_mode, kmode, sizeof(kmode)));
    conn_set_state(c, C_READ);
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
                         .ktls = conn_ktls_text(c),
                         .ktls_mode = ktls_modes_text(&c->ktls_mode, kmode, sizeof(kmode))};
    c->h2 = h2_open(&hc);
    if (c->h2 == NULL)
        return KT_ERROR;
    if (c->pool->draining) /* a graceful stop began during the handshake */
        h2_drain(c->h2);
    conn_set_state(c, C_H2);
    c->log.action = "processing HTTP/2 connection";
    conn_set_timeout(c, c->srv->c.http2_idle_timeout);
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
    int events = IO_READ, r;
    c->h2_running = 1; /* writing while it runs */
    conn_h2_recount(c);
    r = h2_run(c->h2, &events);
    c->h2_running = 0;
    conn_h2_recount(c);
    if (r == KT_OK) {
        /* GOAWAY went out and every stream is done, but the client may still
         * be sending (WINDOW_UPDATEs for the last DATA): a lingering close */
        h2_free(c->h2);
        c->h2 = NULL;
        conn_linger(c);
        return;
    }
    if (r == KT_ERROR) {
        conn_close(c, 0);
        return;
    }
    conn_wait_for(c, events);
    if (h2_progress(c->h2))
        conn_set_timeout(c, h2_streams(c->h2) > 0 ? c->srv->c.send_timeout
                                                  : c->srv->c.http2_idle_timeout);
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
    conn_set_state(c, C_READ);
    c->log.action = "reading client request line";
    log_error(LL_INFO, &c->log, "client sent plain HTTP request to HTTPS port");
    return KT_OK;
}

/* C_HANDSHAKE's turn: KT_OK when the connection goes on as HTTP/1.x
 * (C_READ), KT_AGAIN when it waits, has closed or became HTTP/2. */
static int step_handshake(struct conn *c)
{
    int r, want = IO_READ;
    if (!c->tls_checked) {
        r = check_tls(c);
        if (r == KT_AGAIN) {
            conn_wait_for(c, EV_READ);
            return KT_AGAIN;
        }
        if (r == KT_ERROR) {
            conn_close(c, 0);
            return KT_AGAIN;
        }
        if (c->plain_on_tls)
            return KT_OK;
    }
    r = tls_handshake(c->ssl, &want, &c->log);
    if (r == KT_AGAIN) {
        conn_wait_for(c, want);
        return KT_AGAIN;
    }
    if (r == KT_ERROR) {
        stats_me->hs_failed++;
        conn_close(c, 0);
        return KT_AGAIN;
    }
    handshake_done(c);
    if (tls_alpn_h2(c->ssl)) {
        if (h2_start(c) != KT_OK)
            conn_close(c, 0);
        else
            h2_step(c);
        return KT_AGAIN;
    }
    return KT_OK;
}

/* C_READ's turn on a plain "http2 on" listener: KT_OK when the connection
 * is HTTP/1.x, KT_AGAIN when it waits, has closed or became HTTP/2 (h2c). */
static int step_h2c(struct conn *c)
{
    int r = plain_h2(c);
    if (r == KT_AGAIN) {
        conn_wait_for(c, EV_READ);
        return KT_AGAIN;
    }
    c->h2_checked = 1;
    if (r != KT_OK)
        return KT_OK;
    if (h2_start(c) != KT_OK)
        conn_close(c, 0);
    else
        h2_step(c);
    return KT_AGAIN;
}

/* Drains a lingering connection until the client closes or it times out. */
static void step_linger(struct conn *c)
{
    char drain[4096];
    ssize_t n = recv(c->fd, drain, sizeof(drain), 0);
    if (n < 0 && (errno == EAGAIN || errno == EINTR))
        return;
    if (n > 0)
        return;
    conn_close(c, 0);
}

/* Runs the connection until it must wait: each state's step returns KT_OK
 * to go on at once (in its new state), KT_AGAIN to wait for an event. */
static void conn_step(struct conn *c)
{
    int r = KT_OK;
    while (r == KT_OK) {
        switch (c->state) {
        case C_HANDSHAKE:
            r = step_handshake(c);
            break;
        case C_H2:
            h2_step(c);
            return;
        case C_KEEPALIVE:
            conn_set_state(c, C_READ);
            c->log.action = "reading client request line";
            conn_set_timeout(c, c->srv->c.client_header_timeout);
            /* fall through */
        case C_READ:
            if (!c->h2_checked && c->ssl == NULL && !c->plain_on_tls && c->srv->c.http2 > 0 &&
                step_h2c(c) != KT_OK)
                return;
            r = http1_read(c);
            break;
        case C_SEND:
            r = http1_send(c);
            break;
        case C_LINGER:
            step_linger(c);
            return;
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
    ev_set_invoke_pending_cb(p->loop, ev_invoke_pending);
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
    free(p->ready);
    if (p->order_fd >= 0)
        close(p->order_fd);
    free(p);
}
