/* status.c: the status page (ktlsd_status): the counters of stats.c as
 * text in nginx's stub_status layout, or JSON. */
#include "status.h"
#include "answer.h"
#include "stats.h"
#include "util.h"

#include <stdlib.h>
#include <string.h>
/* ktlsd_status: the counters as text (stub_status layout) or JSON. */
int status_answer(struct answer *x)
{
    struct response resp;
    int json = x->alen >= 11 && strstr(x->args, "format=json") != NULL;
    char *page = xmalloc(4096);
    size_t n;
    if (x->method != HTTP_GET && x->method != HTTP_HEAD) {
        free(page);
        return 405;
    }
    n = stats_render(page, 4096, json);
    answer_response(x, &resp, 200);
    resp.content_type = json ? "application/json" : "text/plain";
    resp.content_length = (long long)n;
    resp.expires = EXPIRES_EPOCH; /* never cached */
    answer_head(x, &resp);
    x->r->mem = page;
    if (!answer_head_only(x))
        reply_add_mem(x->r, page, n);
    return DONE;
}
