/* listen.c: binding the listeners of a configuration (listen.h): socket
 * options from "listen", TCP_DEFER_ACCEPT, reuseport's socket per worker,
 * sockets kept across a reload or passed by the service manager. */
#include "listen.h"
#include "config.h"
#include "log.h"
#include "notify.h"
#include "util.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

/* The listen options that may change on a socket kept across a reload
 * (nginx sets them again too): backlog, buffers, keepalive, fastopen. */
static void listen_options(int fd, const struct listen_conf *l)
{
    int on = l->so_keepalive > 0;
    if (l->rcvbuf > 0)
        setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &l->rcvbuf, sizeof(l->rcvbuf));
    if (l->sndbuf > 0)
        setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &l->sndbuf, sizeof(l->sndbuf));
    if (l->so_keepalive != 0) /* accepted sockets inherit these */
        setsockopt(fd, SOL_SOCKET, SO_KEEPALIVE, &on, sizeof(on));
    if (l->keepidle > 0)
        setsockopt(fd, IPPROTO_TCP, TCP_KEEPIDLE, &l->keepidle, sizeof(l->keepidle));
    if (l->keepintvl > 0)
        setsockopt(fd, IPPROTO_TCP, TCP_KEEPINTVL, &l->keepintvl, sizeof(l->keepintvl));
    if (l->keepcnt > 0)
        setsockopt(fd, IPPROTO_TCP, TCP_KEEPCNT, &l->keepcnt, sizeof(l->keepcnt));
    if (l->fastopen > 0 &&
        setsockopt(fd, IPPROTO_TCP, TCP_FASTOPEN, &l->fastopen, sizeof(l->fastopen)) != 0)
        log_error(LL_ALERT, NULL, "%s:%d: setsockopt(TCP_FASTOPEN) %s failed (%d: %s), ignored",
                  l->file, l->line, l->text, errno, strerror(errno));
}

static int open_listener(const struct listen_conf *l, char *err, size_t errlen)
{
    int one = 1, v6only = l->ipv6only,
        fd = socket(l->addr.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd < 0) {
        snprintf(err, errlen, "socket() for %s failed (%d: %s)", l->text, errno, strerror(errno));
        return -1;
    }
    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
    if (l->reuseport)
        setsockopt(fd, SOL_SOCKET, SO_REUSEPORT, &one, sizeof(one));
    /* HTTP and TLS clients speak first: wake a worker only once the first
     * bytes (request line or ClientHello) are there (nginx's "deferred") */
    setsockopt(fd, IPPROTO_TCP, TCP_DEFER_ACCEPT, &one, sizeof(one));
    if (l->addr.ss_family == AF_INET6)
        setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &v6only, sizeof(v6only));
    listen_options(fd, l);
    if (bind(fd, (const struct sockaddr *)&l->addr, l->addrlen) != 0) {
        snprintf(err, errlen, "%s:%d: bind() to %s failed (%d: %s)", l->file, l->line, l->text,
                 errno, strerror(errno));
        close(fd);
        return -1;
    }
    if (listen(fd, l->backlog) != 0) {
        snprintf(err, errlen, "%s:%d: listen() to %s failed (%d: %s)", l->file, l->line, l->text,
                 errno, strerror(errno));
        close(fd);
        return -1;
    }
    return fd;
}

/* "reuseport": a socket per worker, all bound to the address, and the
 * kernel spreads new connections over them. A reload keeps the sockets it
 * can (same index), so that no waiting connection is lost. */
static int open_reuseport(struct listener *ln, const struct listen_conf *l,
                          const struct listener *old, int nworkers, char *err, size_t errlen)
{
    ln->rp_fds = xcalloc((size_t)nworkers, sizeof(int));
    ln->nrp = nworkers;
    for (int i = 0; i < nworkers; i++) {
        ln->rp_fds[i] =
            old != NULL && i < old->nrp ? fcntl(old->rp_fds[i], F_DUPFD_CLOEXEC, 0) : -1;
        if (ln->rp_fds[i] >= 0) {
            listen_options(ln->rp_fds[i], l);
            listen(ln->rp_fds[i], l->backlog);
        } else if ((ln->rp_fds[i] = open_listener(l, err, errlen)) < 0) {
            ln->nrp = i;
            return KT_ERROR;
        }
    }
    ln->fd = ln->rp_fds[0];
    return KT_OK;
}

/* One listener per distinct address. Its server block is the one marked
 * default_server, else the first that listens there. The socket comes, in
 * this order, from the running generation (a reload keeps the very socket,
 * so that no connection waiting in its backlog is lost), from the service
 * manager (socket activation), or from bind(). */
int listen_bind(struct listen_set *g, const struct config *cf, const struct listen_set *old,
                int nworkers, char *err, size_t errlen)
{
    size_t cap = 0;
    for (size_t i = 0; i < cf->nservers; i++)
        cap += cf->servers[i]->nlistens;
    g->ls = xcalloc(cap ? cap : 1, sizeof(*g->ls));
    g->addrs = xcalloc(cap ? cap : 1, sizeof(*g->addrs));
    for (size_t i = 0; i < cf->nservers; i++) {
        struct server_conf *s = cf->servers[i];
        for (size_t j = 0; j < s->nlistens; j++) {
            const struct listen_conf *l = &s->listens[j];
            struct listener *ln;
            size_t k;
            for (k = 0; k < g->n; k++)
                if (memcmp(&g->addrs[k], &l->addr, l->addrlen) == 0)
                    break;
            if (k < g->n) {
                struct vhosts *vh = &g->ls[k].vh;
                if (l->default_server)
                    vh->dflt = s;
                vh->servers = xrealloc(vh->servers, (vh->n + 1) * sizeof(*vh->servers));
                vh->servers[vh->n++] = s;
                continue;
            }
            g->addrs[k] = l->addr;
            ln = &g->ls[k];
            *ln = (struct listener){.fd = -1, .ssl = l->ssl, .vh = {.dflt = s}, .text = l->text};
            ln->vh.port = ntohs(l->addr.ss_family == AF_INET6
                                    ? ((const struct sockaddr_in6 *)&l->addr)->sin6_port
                                    : ((const struct sockaddr_in *)&l->addr)->sin_port);
            ln->vh.servers = xcalloc(1, sizeof(*ln->vh.servers));
            ln->vh.servers[ln->vh.n++] = s;
            g->n++;
            if (l->reuseport) {
                const struct listener *prev = NULL;
                for (size_t o = 0; old != NULL && o < old->n; o++)
                    if (old->ls[o].nrp > 0 && memcmp(&old->addrs[o], &l->addr, l->addrlen) == 0)
                        prev = &old->ls[o];
                if (open_reuseport(ln, l, prev, nworkers, err, errlen) != KT_OK)
                    return KT_ERROR;
                continue;
            }
            for (size_t o = 0; old != NULL && o < old->n && ln->fd < 0; o++)
                if (old->ls[o].fd >= 0 && old->ls[o].nrp == 0 &&
                    memcmp(&old->addrs[o], &l->addr, l->addrlen) == 0)
                    ln->fd = fcntl(old->ls[o].fd, F_DUPFD_CLOEXEC, 0);
            if (ln->fd >= 0) {
                listen_options(ln->fd, l);
                listen(ln->fd, l->backlog);
            }
            if (ln->fd < 0)
                ln->fd = notify_listen_take((const struct sockaddr *)&l->addr, l->addrlen);
            if (ln->fd < 0 && (ln->fd = open_listener(l, err, errlen)) < 0)
                return KT_ERROR;
        }
    }
    return KT_OK;
}

void listen_close(struct listen_set *g)
{
    for (size_t i = 0; i < g->n; i++) {
        if (g->ls[i].nrp > 0) {
            for (int k = 0; k < g->ls[i].nrp; k++)
                close(g->ls[i].rp_fds[k]);
            g->ls[i].nrp = 0;
        } else if (g->ls[i].fd >= 0) {
            close(g->ls[i].fd);
        }
        free(g->ls[i].rp_fds);
        g->ls[i].rp_fds = NULL;
        g->ls[i].fd = -1;
    }
}

void listen_free(struct listen_set *g)
{
    listen_close(g);
    for (size_t i = 0; i < g->n; i++)
        free(g->ls[i].vh.servers);
    free(g->ls);
    free(g->addrs);
    *g = (struct listen_set){0};
}
