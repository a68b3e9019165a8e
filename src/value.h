/* value.h: nginx's value syntaxes, for the configuration and for values
 * taken per response. Each returns KT_OK or KT_ERROR (the value is not of
 * that syntax; *out is then unchanged). */
#ifndef KTLSD_VALUE_H
#define KTLSD_VALUE_H

/* A decimal number without sign. */
int value_long(const char *s, long *out);
/* A size: "0", "512k", "1m", "2g" (upper case too), in bytes. */
int value_size(const char *s, long long *out);
/* A time: "75", "75s", "1m30s", "500ms", "1h", "1d", "1w", "1M", "1y",
 * in seconds. */
int value_time(const char *s, double *out);
/* An "expires" value ("off", "epoch", "max", "[+-]TIME"): EXPIRES_* in
 * kind and the seconds in t. */
int value_expires(const char *v, int *kind, double *t);

#endif
