/* value.c: the nginx value syntaxes that both the configuration and the
 * answers read (answer.c values "expires $var" per response). */
#include "value.h"
#include "config.h"
#include "util.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

int value_long(const char *s, long *out)
{
    char *end;
    long v;
    if (*s == '\0' || *s == '-' || *s == '+')
        return KT_ERROR;
    errno = 0;
    v = strtol(s, &end, 10);
    if (errno != 0 || *end != '\0')
        return KT_ERROR;
    *out = v;
    return KT_OK;
}

/* nginx time syntax: "75", "75s", "1m30s", "500ms", "1h", "1d". */
int value_time(const char *s, double *out)
{
    double total = 0;
    if (*s == '\0')
        return KT_ERROR;
    while (*s) {
        char *end;
        double unit;
        long v;
        if (*s < '0' || *s > '9')
            return KT_ERROR;
        errno = 0;
        v = strtol(s, &end, 10);
        if (errno != 0)
            return KT_ERROR;
        s = end;
        if (strncmp(s, "ms", 2) == 0) {
            unit = 0.001;
            s += 2;
        } else {
            switch (*s) {
            case 's':
                unit = 1;
                s++;
                break;
            case 'm':
                unit = 60;
                s++;
                break;
            case 'h':
                unit = 3600;
                s++;
                break;
            case 'd':
                unit = 86400;
                s++;
                break;
            case 'w':
                unit = 7 * 86400;
                s++;
                break;
            case 'M':
                unit = 30 * 86400;
                s++;
                break;
            case 'y':
                unit = 365 * 86400;
                s++;
                break;
            case '\0':
                unit = 1;
                break;
            default:
                return KT_ERROR;
            }
        }
        total += (double)v * unit;
    }
    *out = total;
    return KT_OK;
}

/* "1m", "512k", "2g", "0": nginx sizes */
int value_size(const char *s, long long *out)
{
    char *end;
    long long v, mult = 1;
    if (*s < '0' || *s > '9')
        return KT_ERROR;
    errno = 0;
    v = strtoll(s, &end, 10);
    if (errno != 0)
        return KT_ERROR;
    switch (*end) {
    case 'k':
    case 'K':
        mult = 1024;
        end++;
        break;
    case 'm':
    case 'M':
        mult = 1024 * 1024;
        end++;
        break;
    case 'g':
    case 'G':
        mult = 1024LL * 1024 * 1024;
        end++;
        break;
    }
    if (*end != '\0' || v > (1LL << 50) / mult)
        return KT_ERROR;
    *out = v * mult;
    return KT_OK;
}

int value_expires(const char *v, int *kind, double *t)
{
    int neg = 0;
    if (strcmp(v, "off") == 0 || strcmp(v, "epoch") == 0 || strcmp(v, "max") == 0) {
        *kind = v[0] == 'o' ? EXPIRES_OFF : v[0] == 'e' ? EXPIRES_EPOCH : EXPIRES_MAX;
        return KT_OK;
    }
    if (*v == '-' || *v == '+') {
        neg = *v == '-';
        v++;
    }
    if (value_time(v, t) != KT_OK)
        return KT_ERROR;
    if (neg)
        *t = -*t;
    *kind = EXPIRES_TIME;
    return KT_OK;
}
