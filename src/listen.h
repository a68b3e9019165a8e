/* listen.h: the listening sockets of a configuration (a "generation" of
 * server.c): one per distinct address, or one per worker with reuseport,
 * kept across a reload or taken from the service manager where possible. */
#ifndef KTLSD_LISTEN_H
#define KTLSD_LISTEN_H

#include <stddef.h>
#include <sys/socket.h>

#include "worker.h"

struct config;

struct listen_set {
    struct listener *ls;
    struct sockaddr_storage *addrs; /* ls[i]'s address */
    size_t n;
};

/* Binds the listeners cf names, taking the sockets of old (the running
 * configuration) where the address is the same. KT_ERROR with the reason
 * in err; listen_free then frees what was opened. */
int listen_bind(struct listen_set *set, const struct config *cf, const struct listen_set *old,
                int nworkers, char *err, size_t errlen);
/* Closes the sockets (the workers keep their copies). */
void listen_close(struct listen_set *set);
/* Closes the sockets and frees the set. */
void listen_free(struct listen_set *set);

#endif
