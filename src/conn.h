/* conn.h: client connections: a pool per worker, each connection a state
 * machine (TLS handshake, read request, send response, keep-alive). */
#ifndef KTLSD_CONN_H
#define KTLSD_CONN_H

#include <stddef.h>
#include <sys/socket.h>

#include <ev.h>

struct vhosts;
struct conn_pool;

/* on_release runs after each connection closes (the worker resumes
 * accepting, or finishes a graceful stop). */
struct conn_pool *conn_pool_create(struct ev_loop *loop, size_t max, void (*on_release)(void *),
                                   void *arg);
int conn_pool_full(const struct conn_pool *p);
size_t conn_pool_active(const struct conn_pool *p);
/* Takes over an accepted socket. KT_ERROR (socket closed) when full. */
int conn_open(struct conn_pool *p, int fd, const struct sockaddr *peer, socklen_t peerlen,
              const struct vhosts *vh, int ssl);
/* Graceful stop: busy connections close after their current response,
 * which goes out with "Connection: close"; idle keep-alive ones are
 * answered the same way if a request comes before their keepalive_timeout. */
void conn_pool_drain(struct conn_pool *p);
/* Closes up to want connections that are idle or have not sent a whole
 * request head yet (oldest first); returns how many. */
size_t conn_pool_reclaim(struct conn_pool *p, size_t want);
/* Closes every connection at once (fast stop). */
void conn_pool_close_all(struct conn_pool *p);
void conn_pool_destroy(struct conn_pool *p);

#endif
