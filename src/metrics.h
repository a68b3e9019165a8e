/* metrics.h: the status page in the Prometheus text format. */
#ifndef KTLSD_METRICS_H
#define KTLSD_METRICS_H

#include <stddef.h>

/* Writes the page into out; its length, or 0 when it does not fit in cap. */
size_t metrics_render(char *out, size_t cap);

#endif
