/* reply.h: the answer to one request as any protocol sends it: the head
 * (written into the caller's buffer) and the body as send segments, memory
 * or file ranges. Nothing in it knows the connection that carries it. */
#ifndef KTLSD_REPLY_H
#define KTLSD_REPLY_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "log.h"
#include "send.h"

struct server_conf;
struct fcache_data;
struct limit_zone;

/* A limit_conn slot that a request holds until its reply is let go of
 * (limit.c gives it back: the protocol calls limit_release first). */
struct limit_hold {
    struct limit_zone *zone;
    uint32_t node;
};
#define LIMIT_HOLD_MAX 8

struct fdcache_ref;
struct compress_data;

struct reply {
    int status;
    int close;     /* close after sending */
    int keepalive; /* what the head announced */
    int sendfile;  /* the location's "sendfile" */
    size_t head_len;
    int no_body; /* the head did not fit: a bodiless 500 went instead, add nothing */
    int fd;      /* file behind file segments, or -1 */
    size_t nsegs;
    unsigned long long body_len;
    unsigned long long file_len; /* of which file bytes */
    char *mem;                   /* allocated body memory, freed after sending */
    struct fcache_data *cached;  /* the cached file bytes segments point into */
    struct fdcache_ref *fd_ref;  /* fd belongs to the open_file_cache: released, not closed */
    char *head_copy;             /* the head kept for $sent_http_ in the access log */
    struct str *log_values;      /* the access log's request variables, valued while answering */
    struct compress_data *compressed; /* the compressed bytes segments point into */
    size_t nlog_values;
    struct server_conf *srv; /* the server block that answered */
    double delay;            /* limit_req: answer again in that many seconds */
    long long limit_rate;    /* limit_rate of the location: bytes/s, 0 none */
    long long limit_rate_after;
    struct limit_hold held[LIMIT_HOLD_MAX]; /* limit_conn slots, given back by reply_free */
    size_t nheld;
    struct send_seg segs[SEND_MAX_SEGS]; /* last: only segs[0..nsegs) is ever read */
};

/* Appends a body segment (nothing once the head failed: r->no_body). */
void reply_add_mem(struct reply *r, const char *p, size_t len);
void reply_add_file(struct reply *r, off_t off, size_t len);
/* Lets go of the file (closed, or released to the open_file_cache). */
void reply_drop_fd(struct reply *r);
/* Closes the file and frees what the reply holds. */
void reply_free(struct reply *r);

#endif
