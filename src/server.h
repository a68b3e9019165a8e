/* server.h: the master process: listeners, workers, signals. */
#ifndef KTLSD_SERVER_H
#define KTLSD_SERVER_H

#include <stddef.h>

struct config;

/* Loads what the configuration names beyond its syntax: certificates and
 * keys (and that they match), roots, access logs. For "-t" and start-up. */
int server_activate(struct config *cf, char *err, size_t errlen);
/* Binds, forks the workers and supervises them until told to stop.
 * Returns the process exit status. */
int server_run(struct config *cf);

#endif
