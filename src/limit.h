/* limit.h: nginx's limit_conn and limit_req, with their counters in
 * shared memory that the master maps while loading the configuration (so
 * every worker forked from it sees the same zone), and the limit_rate
 * pacing of a response's bytes (send.c). */
#ifndef KTLSD_LIMIT_H
#define KTLSD_LIMIT_H

#include <stddef.h>
#include <stdint.h>

#include "reply.h"

struct answer;
struct vars_tpl;

enum { LIMIT_CONN, LIMIT_REQ };

struct limit_shm;

struct limit_zone {
    char *name;
    int kind;              /* LIMIT_CONN or LIMIT_REQ */
    int binary_addr;       /* the key is $binary_remote_addr */
    struct vars_tpl *key;  /* else this template */
    char *key_text;        /* the key as written */
    long rate;             /* limit_req: milli-requests per second */
    size_t size;           /* 0: only used so far, not defined (yet) */
    struct limit_shm *shm; /* mapped by limit_zone_map */
    const char *file;      /* where it was defined, or first used */
    int line;
};

/* Maps the zone's shared memory (the master, before forking workers). */
int limit_zone_map(struct limit_zone *z, char *err, size_t errlen);
void limit_zone_free(struct limit_zone *z);
/* Reload: a zone of the new configuration that the old one has too (same
 * name, kind, size and key) takes over the old zone's memory, so its counts
 * go on, as nginx keeps a shared zone across reloads. Only after the new
 * configuration is certain to be used. */
void limit_zones_adopt(struct limit_zone **now, size_t n, struct limit_zone **old, size_t nold);

/* limit_req, then limit_conn, of x's location (nginx's preaccess phase).
 * Returns 0 to go on, or the status to answer (limit_req_status,
 * limit_conn_status). A request limit_req delays gets 0 with *delay set
 * (seconds): the caller answers it again once that time has passed, with
 * env->limit_req_done set. limit_conn slots go into x->r->held. */
int limit_request(struct answer *x, double *delay);
/* Gives back the limit_conn slots a reply holds. */
void limit_release(struct limit_hold *h, size_t n);

#endif
