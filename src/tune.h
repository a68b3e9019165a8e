/* tune.h: what a worker sets up about its own process from the main
 * context: worker_rlimit_nofile, worker_cpu_affinity, and the budget of
 * its compression cache. */
#ifndef KTLSD_TUNE_H
#define KTLSD_TUNE_H

#include "config.h"

/* Applies them to the calling worker, the index-th; failures are logged
 * (as nginx logs them) and the worker goes on. */
void tune_worker(const struct config *cf, int index);

#endif
