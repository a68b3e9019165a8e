/* conn_core.h: what the parts of a client connection share (conn.c runs
 * the state machine, http1.c reads and answers HTTP/1.1 requests on it):
 * the connection and its pool, their buffers, the state gauges of the status
 * page, the event and timer helpers, and closing. Not for other modules:
 * conn.h is the connection's API. */
#ifndef KTLSD_CONN_CORE_H
#define KTLSD_CONN_CORE_H

#include <stddef.h>
#include <netinet/in.h>
#include <arpa/inet.h>

#include <ev.h>

#include "ktls_info.h"
#include "log.h"
#include "reply.h"
#include "request.h"
#include "send.h"
#include "tls.h"

#define SMALL_BUF 16384 /* request heads; response heads with small bodies */
#define LARGE_BUF 65536 /* the userspace fallback's preads */
#define POOL_KEEP 64    /* free buffers kept per size */

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
    long *gauge; /* the stats gauge it counts in: reading, writing, waiting or none */
    unsigned ktls_tx : 1, ktls_rx : 1;
    unsigned tls_checked : 1;  /* the first byte was looked at: TLS or not */
    unsigned plain_on_tls : 1; /* plain HTTP on a TLS port: answered 400 (nginx's 497) */
    unsigned close_clean : 1;  /* an ending that owes the peer a close_notify */
    unsigned delayed : 1;      /* limit_req delays the request: answered when the timer fires */
    unsigned paced : 1;        /* limit_rate: the timer says when to send on */
    unsigned h2_checked : 1;   /* a plain connection's first bytes are not the h2 preface */
    unsigned h2_running : 1;   /* in h2_run: counted as writing */
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
    ev_tstamp idle_since;  /* opened, or last response sent: the oldest is reclaimed first */
    size_t ready_at;       /* 1 + its index in pool->ready while its io event waits; else 0 */
    unsigned long arrived; /* pool->arrivals when it last became ready: the order to serve in */
    struct conn *next;
};

struct conn_pool {
    struct ev_loop *loop;
    size_t max, active;
    struct conn *free;
    struct conn **live; /* the open connections, for drain and close_all */
    size_t nlive;
    struct conn **ready; /* the connections with io events in this loop turn (conn.c io_cb) */
    size_t nready;
    int order_fd;           /* edge-triggered epoll: the order connections became ready in */
    unsigned long arrivals; /* readiness events seen on order_fd so far */
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

/* Moves the connection to a state, and its count to that state's gauge. */
void conn_set_state(struct conn *c, enum state st);
/* An HTTP/2 connection's gauge follows its streams and h2_running:
 * writing while it works, waiting while it has no stream open. */
void conn_h2_recount(struct conn *c);
long *conn_ktls_gauge(int cls);
char *conn_buf_get(struct buf_list *l);
void conn_buf_put(struct buf_list *l, char *b);
/* The request being read and its buffer go back to the pool together. */
void conn_read_release(struct conn *c);
void conn_wait_for(struct conn *c, int events);
/* Stops the connection's io watcher and, as ev_io_stop does for an event
 * libev has not delivered yet, forgets an event queued in pool->ready. */
void conn_io_stop(struct conn *c);
void conn_set_timeout(struct conn *c, double seconds);
/* The response's buffers and limit_conn slots go back to the pool. */
void conn_release_response(struct conn *c);
/* Answer sent, client maybe still sending: shut our side, drain theirs for
 * a while, then close (nginx's lingering_close), so that a RST does not
 * destroy the end of what the client has not read yet. */
void conn_linger(struct conn *c);
void conn_close(struct conn *c, int clean);
/* "off", "tx", "rx" or "tx+rx": $ktls. */
const char *conn_ktls_text(const struct conn *c);
/* What the pipeline needs to know of this connection, whatever protocol
 * brought the request (HTTP/1.1 adds the request itself; h2.c its streams). */
struct request_env conn_env(struct conn *c);

#endif
