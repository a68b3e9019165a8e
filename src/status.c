/* status.c: the status page (ktlsd_status): the counters of stats.c as
 * text in nginx's stub_status layout, JSON (?format=json), or the
 * Prometheus text format (?format=prometheus, metrics.c). */
#include "status.h"
#include "answer.h"
#include "http_head.h"
#include "metrics.h"
#include "stats.h"
#include "util.h"

#include <stdlib.h>
#include <string.h>
#define PAGE_MAX 65536

enum format { FMT_TEXT, FMT_JSON, FMT_PROMETHEUS };

/* The format= argument of the query string; text without one. */
static enum format status_format(const struct answer *x)
{
    static const char key[] = "format=";
    const char *a = x->args, *end = x->args + x->alen;
    while (a != NULL && a < end) {
        const char *amp = memchr(a, '&', (size_t)(end - a));
        size_t len = (size_t)((amp != NULL ? amp : end) - a);
        if (len > sizeof(key) - 1 && memcmp(a, key, sizeof(key) - 1) == 0) {
            const char *v = a + sizeof(key) - 1;
            size_t vlen = len - (sizeof(key) - 1);
            if (vlen == 4 && memcmp(v, "json", 4) == 0)
                return FMT_JSON;
            if (vlen == 10 && memcmp(v, "prometheus", 10) == 0)
                return FMT_PROMETHEUS;
        }
        a = amp != NULL ? amp + 1 : NULL;
    }
    return FMT_TEXT;
}

/* ktlsd_status: the counters as text (stub_status layout), JSON or Prometheus. */
int status_answer(struct answer *x)
{
    static const char *const types[] = {"text/plain", "application/json",
                                        "text/plain; version=0.0.4"};
    struct response resp;
    enum format fmt = x->alen > 0 ? status_format(x) : FMT_TEXT;
    char *page;
    size_t n;
    if (x->method != HTTP_GET && x->method != HTTP_HEAD)
        return 405;
    page = xmalloc(PAGE_MAX);
    n = fmt == FMT_PROMETHEUS ? metrics_render(page, PAGE_MAX)
                              : stats_render(page, PAGE_MAX, fmt == FMT_JSON);
    answer_response(x, &resp, 200);
    resp.content_type = types[fmt];
    resp.content_length = (long long)n;
    resp.expires = EXPIRES_EPOCH; /* never cached */
    answer_head(x, &resp);
    x->r->mem = page;
    if (!answer_head_only(x))
        reply_add_mem(x->r, page, n);
    return DONE;
}
