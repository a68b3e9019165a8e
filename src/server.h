/* server.h: the master process: listeners, workers, signals. */
#ifndef KTLSD_SERVER_H
#define KTLSD_SERVER_H

#include <stddef.h>

struct config;

/* Binds, forks the workers and supervises them until told to stop.
 * Returns the process exit status. */
int server_run(struct config *cf);

#endif
