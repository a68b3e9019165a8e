/* conn_core.c: the shared parts of a client connection (conn_core.h):
 * buffers from per-worker free lists, the status page's state gauges,
 * events and timers, closing. */
#include "conn_core.h"
#include "config.h"
#include "h2.h"
#include "limit.h"
#include "stats.h"
#include "util.h"

#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#define LINGER_TIMEOUT 5.0 /* seconds a lingering close drains the client */

/* The gauge a state counts in: nginx's Reading / Writing / Waiting. An
 * HTTP/2 connection is writing while it has streams open or is being run
 * (so that a status page counts its own request, as for HTTP/1.1), and
 * waiting while it has none: nginx's "idle client connections". */
static long *state_gauge(const struct conn *c, enum state st)
{
    switch (st) {
    case C_HANDSHAKE:
    case C_READ:
        return &stats_me->reading;
    case C_SEND:
        return &stats_me->writing;
    case C_KEEPALIVE:
        return &stats_me->waiting;
    case C_H2:
        return c->h2_running || h2_streams(c->h2) > 0 ? &stats_me->writing : &stats_me->waiting;
    default:
        return NULL;
    }
}

static void count_in(struct conn *c, long *gauge)
{
    if (c->gauge != NULL)
        (*c->gauge)--;
    if (gauge != NULL)
        (*gauge)++;
    c->gauge = gauge;
}

void conn_set_state(struct conn *c, enum state st)
{
    count_in(c, state_gauge(c, st));
    c->state = st;
}

void conn_h2_recount(struct conn *c)
{
    if (c->state == C_H2)
        count_in(c, state_gauge(c, C_H2));
}

long *conn_ktls_gauge(int cls)
{
    if (cls == 0)
        return &stats_me->ktls_tx;
    if (cls == 1)
        return &stats_me->ktls_txrx;
    if (cls >= 2 && cls - 2 < FB__COUNT)
        return &stats_me->fallback[cls - 2];
    return NULL;
}

char *conn_buf_get(struct buf_list *l)
{
    void *b = l->head;
    if (b == NULL)
        return xmalloc(l->size);
    l->head = *(void **)b;
    l->count--;
    return b;
}

void conn_buf_put(struct buf_list *l, char *b)
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

/* The request being read and its buffer go back to the pool together. */
void conn_read_release(struct conn *c)
{
    if (c->req != NULL)
        conn_buf_put(&c->pool->reads, (char *)c->req);
    c->req = NULL;
    c->rbuf = NULL;
}

void conn_io_stop(struct conn *c)
{
    ev_io_stop(c->pool->loop, &c->io);
    if (c->ready_at != 0)
        c->pool->ready[c->ready_at - 1] = NULL;
    c->ready_at = 0;
}

void conn_wait_for(struct conn *c, int events)
{
    if (c->events == events && ev_is_active(&c->io))
        return;
    conn_io_stop(c);
    ev_io_set(&c->io, c->fd, events);
    ev_io_start(c->pool->loop, &c->io);
    c->events = events;
}

/* A timeout of 0 fires at once, as nginx's does (libev would take a
 * repeat of 0 to mean "stop the timer", and the connection would wait
 * forever). */
void conn_set_timeout(struct conn *c, double seconds)
{
    c->timer.repeat = seconds > 0 ? seconds : 1e-6;
    ev_timer_again(c->pool->loop, &c->timer);
}

void conn_release_response(struct conn *c)
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
        conn_buf_put(c->scap == SMALL_BUF ? &c->pool->small : &c->pool->large, c->sbuf);
        c->sbuf = NULL;
    }
}

void conn_linger(struct conn *c)
{
    tls_close(c->ssl, 1);
    c->ssl = NULL;
    shutdown(c->fd, SHUT_WR);
    conn_set_state(c, C_LINGER);
    c->log.action = "lingering close";
    conn_wait_for(c, EV_READ);
    conn_set_timeout(c, LINGER_TIMEOUT);
}

void conn_close(struct conn *c, int clean)
{
    struct conn_pool *p = c->pool;
    long *g = conn_ktls_gauge(c->ktls_class);
    if (g != NULL)
        (*g)--;
    conn_set_state(c, C_LINGER);
    stats_me->active--;
    conn_io_stop(c);
    ev_timer_stop(p->loop, &c->timer);
    h2_free(c->h2);
    c->h2 = NULL;
    tls_close(c->ssl, clean);
    c->ssl = NULL;
    close(c->fd);
    conn_release_response(c);
    conn_read_release(c);
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

const char *conn_ktls_text(const struct conn *c)
{
    if (c->ssl == NULL)
        return "off";
    return c->ktls_tx ? (c->ktls_rx ? "tx+rx" : "tx") : (c->ktls_rx ? "rx" : "off");
}

/* What the pipeline needs to know of this connection, whatever protocol
 * brought the request (HTTP/1.1 adds the request itself; h2.c its streams). */
struct request_env conn_env(struct conn *c)
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
