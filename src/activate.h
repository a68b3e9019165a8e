/* activate.h: loading what a parsed configuration names beyond its
 * syntax: certificates and keys (and that they match), roots, error and
 * access logs, status zones. */
#ifndef KTLSD_ACTIVATE_H
#define KTLSD_ACTIVATE_H

#include <stddef.h>

struct config;

/* For "-t", start-up and each reload. KT_ERROR with the reason in err. */
int activate_config(struct config *cf, char *err, size_t errlen);

#endif
