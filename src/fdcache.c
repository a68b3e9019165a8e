/* fdcache.c: nginx's open_file_cache. A direct-mapped table of at most
 * `max` entries per worker (the largest max any location asks for), each
 * the descriptor and stat of one file beneath one root. Within
 * open_file_cache_valid an entry is used as it is, with no syscall at all
 * (so a keep-alive request for a small file under kTLS is recv, send and
 * sendfile); after it, one fstatat checks the file is still the same (inode,
 * size, mtime, ctime, mode), as nginx's revalidation does. A change within
 * the valid period is seen only when it expires: that is nginx's meaning,
 * and why the cache is off unless asked for. Entries unused for `inactive`
 * are closed when their slot is next looked at, and one other slot is
 * swept on each lookup. A reply keeps a reference, so a descriptor being
 * sent is never closed under it. Only with disable_symlinks off (the
 * caller's rule): the open goes through static_open_file like any other. */
#include "fdcache.h"
#include "static.h"
#include "config.h"
#include "util.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

struct fdcache_ref {
    int fd;
    unsigned refs; /* the table's, and one per reply sending from it */
};

struct entry {
    char *rel;
    int dir_fd;
    int err; /* a remembered failure (errors on), with no ref */
    struct fdcache_ref *ref;
    struct stat st;
    time_t checked, used;
    int uses;
};

static struct entry *table;
static size_t slots, sweep;

void fdcache_release(struct fdcache_ref *r)
{
    if (r != NULL && --r->refs == 0) {
        close(r->fd);
        free(r);
    }
}

static void drop(struct entry *e)
{
    free(e->rel);
    fdcache_release(e->ref);
    memset(e, 0, sizeof(*e));
}

static size_t hash(int dir_fd, const char *s)
{
    size_t h = 5381u + (size_t)dir_fd;
    while (*s)
        h = h * 33 + (unsigned char)*s++;
    return h & (slots - 1);
}

static int same_file(const struct stat *a, const struct stat *b)
{
    return a->st_ino == b->st_ino && a->st_dev == b->st_dev && a->st_size == b->st_size &&
           a->st_mtim.tv_sec == b->st_mtim.tv_sec && a->st_mtim.tv_nsec == b->st_mtim.tv_nsec &&
           a->st_ctim.tv_sec == b->st_ctim.tv_sec && a->st_ctim.tv_nsec == b->st_ctim.tv_nsec &&
           a->st_mode == b->st_mode;
}

/* The table, made the first time a location asks for it; a location with
 * a larger max later on does not grow it (one table per worker). */
static int ensure(int max)
{
    if (table != NULL)
        return 1;
    for (slots = 16; slots < (size_t)max && slots < (1u << 20); slots <<= 1)
        ;
    table = xcalloc(slots, sizeof(*table));
    return 1;
}

/* Whether e can answer now without touching the file system, or after
 * one fstatat that finds the file unchanged. */
static int still_good(const struct fdcache_conf *c, struct entry *e, time_t now)
{
    struct stat st;
    if (difftime(now, e->checked) < c->valid)
        return 1;
    if (e->ref == NULL) /* a remembered error: look again */
        return 0;
    if (fstatat(e->dir_fd, e->rel[0] == '/' && e->rel[1] ? e->rel + 1 : e->rel, &st, 0) != 0 ||
        !same_file(&st, &e->st))
        return 0;
    e->checked = now;
    return 1;
}

int fdcache_open(const struct fdcache_conf *c, int dir_fd, const char *rel, struct stat *st,
                 time_t now, struct fdcache_ref **ref)
{
    struct entry *e, *s;
    int fd;

    *ref = NULL;
    if (c->max <= 0 || !ensure(c->max))
        return static_open_file(dir_fd, rel, SYMLINKS_OFF, st);
    s = &table[sweep++ & (slots - 1)]; /* close what nobody asked for lately */
    if (s->rel != NULL && difftime(now, s->used) >= c->inactive)
        drop(s);
    e = &table[hash(dir_fd, rel)];
    if (e->rel != NULL &&
        (e->dir_fd != dir_fd || strcmp(e->rel, rel) != 0 || difftime(now, e->used) >= c->inactive))
        drop(e);
    if (e->rel != NULL && (e->ref != NULL || e->err != 0) && still_good(c, e, now)) {
        e->used = now;
        if (e->err != 0) {
            errno = e->err;
            return -1;
        }
        *st = e->st;
        e->ref->refs++;
        *ref = e->ref;
        return e->ref->fd;
    }
    if (e->rel != NULL && (e->ref != NULL || e->err != 0)) { /* changed: open anew */
        int uses = e->uses;
        drop(e);
        e->uses = uses;
    }
    fd = static_open_file(dir_fd, rel, SYMLINKS_OFF, st);
    if (e->rel == NULL) {
        e->rel = xstrdup(rel);
        e->dir_fd = dir_fd;
    }
    e->used = now;
    if (++e->uses < c->min_uses)
        return fd; /* not used often enough yet: the caller's own */
    if (fd < 0) {
        if (c->errors) {
            e->err = errno;
            e->checked = now;
        }
        return -1;
    }
    if (!S_ISREG(st->st_mode))
        return fd;
    e->ref = xmalloc(sizeof(*e->ref));
    e->ref->fd = fd;
    e->ref->refs = 2; /* the table's and the caller's */
    e->st = *st;
    e->checked = now;
    *ref = e->ref;
    return fd;
}
