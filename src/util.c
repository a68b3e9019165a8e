/* util.c: allocation wrappers that abort on OOM, and the per-second clocks. */
#include "util.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct time_cache time_now = {.sec = -1};

static void oom(size_t n)
{
    fprintf(stderr, "ktlsd: out of memory allocating %zu bytes\n", n);
    abort();
}

void *xmalloc(size_t n)
{
    void *p = malloc(n ? n : 1);
    if (p == NULL)
        oom(n);
    return p;
}

void *xcalloc(size_t n, size_t size)
{
    void *p = calloc(n ? n : 1, size ? size : 1);
    if (p == NULL)
        oom(n * size);
    return p;
}

void *xrealloc(void *p, size_t n)
{
    p = realloc(p, n ? n : 1);
    if (p == NULL)
        oom(n);
    return p;
}

char *xstrdup(const char *s)
{
    return xstrndup(s, strlen(s));
}

char *xstrndup(const char *s, size_t n)
{
    char *p = xmalloc(n + 1);
    memcpy(p, s, n);
    p[n] = '\0';
    return p;
}

size_t time_http_date(char *out, size_t cap, time_t t)
{
    struct tm tm;
    gmtime_r(&t, &tm);
    return strftime(out, cap, "%a, %d %b %Y %H:%M:%S GMT", &tm);
}

void time_update(time_t now)
{
    struct tm tm;
    if (now == time_now.sec)
        return;
    time_now.sec = now;
    time_http_date(time_now.http_date, sizeof(time_now.http_date), now);
    localtime_r(&now, &tm);
    strftime(time_now.log_local, sizeof(time_now.log_local), "%d/%b/%Y:%H:%M:%S %z", &tm);
    strftime(time_now.err_local, sizeof(time_now.err_local), "%Y/%m/%d %H:%M:%S", &tm);
}

size_t buf_printf(char *out, size_t pos, size_t cap, const char *fmt, ...)
{
    va_list ap;
    int r;
    if (pos >= cap)
        return cap;
    va_start(ap, fmt);
    r = vsnprintf(out + pos, cap - pos, fmt, ap);
    va_end(ap);
    if (r < 0)
        return pos;
    return (size_t)r >= cap - pos ? cap : pos + (size_t)r;
}
