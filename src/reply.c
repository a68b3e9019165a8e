/* reply.c: the body segments of a reply, and letting go of what it holds. */
#include "reply.h"
#include "compress.h"
#include "fcache.h"
#include "fdcache.h"

#include <stdlib.h>
#include <unistd.h>

void reply_add_mem(struct reply *r, const char *p, size_t len)
{
    if (r->nsegs < SEND_MAX_SEGS && len > 0 && !r->no_body) {
        r->segs[r->nsegs++] = (struct send_seg){p, 0, len};
        r->body_len += len;
    }
}

void reply_add_file(struct reply *r, off_t off, size_t len)
{
    if (r->nsegs < SEND_MAX_SEGS && len > 0 && !r->no_body) {
        r->segs[r->nsegs++] = (struct send_seg){NULL, off, len};
        r->body_len += len;
        r->file_len += len;
    }
}

void reply_drop_fd(struct reply *r)
{
    if (r->fd_ref != NULL)
        fdcache_release(r->fd_ref);
    else if (r->fd >= 0)
        close(r->fd);
    r->fd_ref = NULL;
    r->fd = -1;
}

void reply_free(struct reply *r)
{
    reply_drop_fd(r);
    free(r->mem);
    r->mem = NULL;
    fcache_release(r->cached);
    r->cached = NULL;
    compress_release(r->compressed);
    r->compressed = NULL;
    free(r->head_copy);
    r->head_copy = NULL;
    free(r->log_values);
    r->log_values = NULL;
    r->nlog_values = 0;
}
