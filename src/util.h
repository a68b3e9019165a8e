/* util.h: the one result convention, allocation wrappers, cached clocks. */
#ifndef KTLSD_UTIL_H
#define KTLSD_UTIL_H

#include <stddef.h>
#include <time.h>

/* Every function that can block or fail answers with one of these (nginx's
 * NGX_OK / NGX_AGAIN / NGX_ERROR). Callers never look at errno or
 * SSL_get_error() again: the callee has already decoded and logged it. */
enum { KT_OK = 0, KT_ERROR = -1, KT_AGAIN = -2 };

/* Which readiness an AGAIN waits for; equal to libev's EV_READ / EV_WRITE. */
enum { IO_READ = 1, IO_WRITE = 2 };

#define ARRAY_LEN(a) (sizeof(a) / sizeof((a)[0]))
/* The struct that embeds member m at p (libev watchers inside their owner). */
#define container_of(p, type, m) ((type *)((char *)(p)-offsetof(type, m)))

/* Small allocations abort on OOM (lighttpd's ck_malloc): nothing sensible can
 * continue without 100 bytes, and a NULL check at every call site hides bugs. */
void *xmalloc(size_t n);
void *xcalloc(size_t n, size_t size);
void *xrealloc(void *p, size_t n);
char *xstrdup(const char *s);
char *xstrndup(const char *s, size_t n);

/* Clocks formatted once per second, shared by the HTTP Date header and logs. */
struct time_cache {
    time_t sec;
    char http_date[40]; /* "Wed, 25 Nov 2026 15:07:38 GMT" */
    char log_local[40]; /* "25/Nov/2026:15:07:38 +0000" */
    char err_local[24]; /* "2026/11/25 15:07:38" */
};
extern struct time_cache time_now;
void time_update(time_t now);
/* Formats t as an RFC 9110 IMF-fixdate into out (>= 30 bytes); returns length. */
size_t time_http_date(char *out, size_t cap, time_t t);

/* Appends printf-style text to out at pos, never past cap; returns the new
 * position, cap when the text did not fit (so pos >= cap means truncated). */
size_t buf_printf(char *out, size_t pos, size_t cap, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

#endif
