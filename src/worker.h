/* worker.h: a worker process: one libev loop serving the listeners. */
#ifndef KTLSD_WORKER_H
#define KTLSD_WORKER_H

#include <stddef.h>

#include "request.h"

struct config;
struct server_conf;

/* A bound listening socket and the server block that answers on it. */
struct listener {
    int fd;
    int ssl;
    struct vhosts vh; /* the server blocks on this address; vh.dflt by default */
    const char *text;
    int *rp_fds; /* "listen ... reuseport": one socket per worker (fd is rp_fds[0]), or NULL */
    int nrp;
};

/* Runs the worker's loop until it is told to stop; never returns.
 * Signals: SIGTERM/SIGINT stop now, SIGQUIT stops gracefully (in-flight
 * responses finish), SIGUSR1 reopens the access logs. */
void worker_run(struct config *cf, struct listener *ls, size_t nls, int index)
    __attribute__((noreturn));

#endif
