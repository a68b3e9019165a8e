/* limit.c: limit_conn and limit_req (nginx's ngx_http_limit_conn_module and
 * ngx_http_limit_req_module). A zone is an anonymous MAP_SHARED mapping
 * made by the master while it loads the configuration, so the workers it
 * forks count together. It holds a small open-addressing table: a key
 * hashes to a window of PROBE nodes; a key not found takes a free node of
 * the window (limit_conn: one nobody holds; limit_req: the least recently
 * used, as nginx evicts the oldest), so nothing is ever deleted. A
 * spinlock guards the table: the critical sections are a few loads. A
 * reload keeps a zone that stays the same (limit_zones_adopt). */
#include "limit.h"
#include "answer.h"
#include "log.h"
#include "reqvars.h"
#include "util.h"
#include "vars.h"

#include <errno.h>
#include <limits.h>
#include <netinet/in.h>
#include <sched.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>

#define KEY_MAX 64 /* longer keys are told apart by their hash past this */
#define PROBE 16

struct limit_node {
    uint32_t hash;
    uint32_t klen;  /* 0: free */
    uint32_t count; /* limit_conn: requests holding it */
    uint32_t pad;
    int64_t excess; /* limit_req: milli-requests over the rate */
    int64_t last;   /* limit_req: ms of the last request counted */
    unsigned char key[KEY_MAX];
};

struct limit_shm {
    int lock;
    uint32_t nnodes;
    struct limit_node nodes[];
};

int limit_zone_map(struct limit_zone *z, char *err, size_t errlen)
{
    void *p = mmap(NULL, z->size, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    if (p == MAP_FAILED) {
        snprintf(err, errlen, "%s:%d: mmap() of zone \"%s\" (%zu bytes) failed (%d: %s)", z->file,
                 z->line, z->name, z->size, errno, strerror(errno));
        return KT_ERROR;
    }
    z->shm = p;
    z->shm->nnodes = (uint32_t)((z->size - sizeof(struct limit_shm)) / sizeof(struct limit_node));
    return KT_OK;
}

void limit_zone_free(struct limit_zone *z)
{
    if (z == NULL)
        return;
    if (z->shm != NULL)
        munmap(z->shm, z->size);
    vars_tpl_free(z->key);
    free(z->key_text);
    free(z->name);
    free(z);
}

void limit_zones_adopt(struct limit_zone **now, size_t n, struct limit_zone **old, size_t nold)
{
    for (size_t i = 0; i < n; i++)
        for (size_t j = 0; j < nold; j++) {
            struct limit_zone *a = now[i], *b = old[j];
            if (b->shm == NULL || strcmp(a->name, b->name) != 0 || a->kind != b->kind ||
                a->size != b->size || strcmp(a->key_text, b->key_text) != 0)
                continue;
            /* the old workers keep their own mapping of it until they exit */
            munmap(a->shm, a->size);
            a->shm = b->shm;
            b->shm = NULL;
            break;
        }
}

static void lock(struct limit_shm *s)
{
    while (__atomic_exchange_n(&s->lock, 1, __ATOMIC_ACQUIRE) != 0)
        sched_yield();
}

static void unlock(struct limit_shm *s)
{
    __atomic_store_n(&s->lock, 0, __ATOMIC_RELEASE);
}

static int64_t now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static uint32_t hash_key(const unsigned char *k, size_t n)
{
    uint32_t h = 2166136261u; /* FNV-1a */
    for (size_t i = 0; i < n; i++)
        h = (h ^ k[i]) * 16777619u;
    return h;
}

/* The node of a key, or a node to take for it (count 0 / oldest), or NULL
 * when limit_conn finds every node of the window held. Under the lock. */
static struct limit_node *lookup(struct limit_shm *s, int kind, const unsigned char *k, size_t n,
                                 uint32_t h, int *fresh)
{
    struct limit_node *take = NULL;
    size_t kl = n < KEY_MAX ? n : KEY_MAX;
    for (uint32_t i = 0; i < PROBE && i < s->nnodes; i++) {
        struct limit_node *nd = &s->nodes[(h + i) % s->nnodes];
        if (nd->klen == n && nd->hash == h && memcmp(nd->key, k, kl) == 0) {
            *fresh = 0;
            return nd;
        }
        if (nd->klen == 0 || (kind == LIMIT_CONN && nd->count == 0)) {
            if (take == NULL || take->klen != 0)
                take = nd;
        } else if (kind == LIMIT_REQ &&
                   (take == NULL || (take->klen != 0 && nd->last < take->last)))
            take = nd;
    }
    if (take != NULL) {
        *fresh = 1;
        take->hash = h;
        take->klen = (uint32_t)n;
        memcpy(take->key, k, kl);
        take->count = 0;
        take->excess = 0;
        take->last = 0;
    }
    return take;
}

/* The zone's key for this request: $binary_remote_addr, else its template.
 * Returns the length; 0: empty (nginx does not limit then). */
static size_t zone_key(struct answer *x, const struct limit_zone *z, unsigned char *out, size_t cap)
{
    const struct sockaddr *sa = x->env->peer;
    if (!z->binary_addr)
        return reqvars_expand(x, z->key, (char *)out, cap);
    if (sa->sa_family == AF_INET) {
        memcpy(out, &((const struct sockaddr_in *)sa)->sin_addr, 4);
        return 4;
    }
    if (sa->sa_family == AF_INET6) {
        const unsigned char *v6 = ((const struct sockaddr_in6 *)sa)->sin6_addr.s6_addr;
        static const unsigned char mapped[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};
        if (memcmp(v6, mapped, 12) == 0) { /* an IPv4 client on a dual-stack socket */
            memcpy(out, v6 + 12, 4);
            return 4;
        }
        memcpy(out, v6, 16);
        return 16;
    }
    return 0;
}

/* nginx's leaky bucket (ngx_http_limit_req_lookup): excess drains at the
 * rate and each request adds 1000; over the burst is refused. Returns the
 * excess after this request, or -1 when refused (*excess: what it was). */
static int64_t req_account(const struct limit_use *u, struct limit_node *nd, int fresh, int64_t now,
                           int64_t *seen)
{
    int64_t ms = fresh ? 0 : now - nd->last, excess;
    if (ms < 0)
        ms = 0;
    excess = fresh ? 0 : nd->excess - (int64_t)u->zone->rate * ms / 1000 + 1000;
    if (excess < 0)
        excess = 0;
    *seen = excess;
    if (excess > u->burst)
        return -1;
    nd->excess = excess;
    if (fresh || ms > 0)
        nd->last = now;
    return excess;
}

static int limit_reqs(struct answer *x, double *delay)
{
    const struct srv_conf *c = x->conf;
    int64_t now = now_ms(), max_ms = 0;
    const char *by = NULL;
    int64_t by_excess = 0;
    for (size_t i = 0; i < c->nlimit_reqs; i++) {
        const struct limit_use *u = &c->limit_reqs[i];
        struct limit_zone *z = u->zone;
        unsigned char key[512];
        size_t n = zone_key(x, z, key, sizeof(key));
        struct limit_node *nd;
        int fresh = 0;
        int64_t excess = 0, seen = 0;
        if (n == 0)
            continue;
        lock(z->shm);
        nd = lookup(z->shm, LIMIT_REQ, key, n, hash_key(key, n), &fresh);
        if (nd != NULL)
            excess = req_account(u, nd, fresh, now, &seen);
        unlock(z->shm);
        if (nd == NULL || excess < 0) {
            log_error(c->limit_req_log_level, x->env->log,
                      "limiting requests%s, excess: %lld.%03lld by zone \"%s\"",
                      c->limit_req_dry_run ? ", dry run" : "", (long long)(seen / 1000),
                      (long long)(seen % 1000), z->name);
            x->limit_req_st = c->limit_req_dry_run ? "REJECTED_DRY_RUN" : "REJECTED";
            return c->limit_req_dry_run ? 0 : c->limit_req_status;
        }
        if (u->delay != LONG_MAX && excess > u->delay) {
            int64_t ms = (excess - u->delay) * 1000 / z->rate;
            if (ms > max_ms) {
                max_ms = ms;
                by = z->name;
                by_excess = excess;
            }
        }
    }
    x->limit_req_st = c->nlimit_reqs > 0 ? "PASSED" : NULL;
    if (max_ms > 0) {
        int lvl = c->limit_req_log_level == LL_INFO ? LL_INFO : c->limit_req_log_level + 1;
        log_error(lvl, x->env->log, "delaying request%s, excess: %lld.%03lld, by zone \"%s\"",
                  c->limit_req_dry_run ? ", dry run" : "", (long long)(by_excess / 1000),
                  (long long)(by_excess % 1000), by);
        x->limit_req_st = c->limit_req_dry_run ? "DELAYED_DRY_RUN" : "DELAYED";
        if (!c->limit_req_dry_run)
            *delay = (double)max_ms / 1000;
    }
    return 0;
}

static int limit_conns(struct answer *x)
{
    const struct srv_conf *c = x->conf;
    struct reply *r = x->r;
    for (size_t i = 0; i < c->nlimit_conns && r->nheld < LIMIT_HOLD_MAX; i++) {
        const struct limit_use *u = &c->limit_conns[i];
        struct limit_zone *z = u->zone;
        unsigned char key[512];
        size_t n = zone_key(x, z, key, sizeof(key));
        struct limit_node *nd;
        int fresh = 0, over = 0;
        if (n == 0)
            continue;
        lock(z->shm);
        nd = lookup(z->shm, LIMIT_CONN, key, n, hash_key(key, n), &fresh);
        if (nd == NULL || nd->count >= (uint32_t)u->conn)
            over = 1;
        else if (!c->limit_conn_dry_run)
            nd->count++;
        unlock(z->shm);
        if (over) {
            log_error(c->limit_conn_log_level, x->env->log, "limiting connections%s by zone \"%s\"",
                      c->limit_conn_dry_run ? ", dry run" : "", z->name);
            x->limit_conn_st = c->limit_conn_dry_run ? "REJECTED_DRY_RUN" : "REJECTED";
            return c->limit_conn_dry_run ? 0 : c->limit_conn_status;
        }
        if (!c->limit_conn_dry_run)
            r->held[r->nheld++] = (struct limit_hold){z, (uint32_t)(nd - z->shm->nodes)};
        x->limit_conn_st = "PASSED";
    }
    return 0;
}

int limit_request(struct answer *x, double *delay)
{
    int st;
    *delay = 0;
    if (x->limits_done)
        return 0; /* once per request, internal redirects included (nginx) */
    x->limits_done = 1;
    if (x->env->limit_req_done) /* answered again after its delay */
        x->limit_req_st = "DELAYED";
    else if ((st = limit_reqs(x, delay)) != 0)
        return st;
    if (*delay > 0)
        return 0;
    return limit_conns(x);
}

void limit_release(struct limit_hold *h, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        struct limit_shm *s = h[i].zone->shm;
        lock(s);
        if (s->nodes[h[i].node].count > 0)
            s->nodes[h[i].node].count--;
        unlock(s);
    }
}
