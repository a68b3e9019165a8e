/* fcache.c: a direct-mapped table of small files, per worker. Every hit is
 * checked with one fstatat(): a file that was replaced, rewritten, resized,
 * removed or chmod-ed (ctime) is read again, so answers are never stale, and
 * a hit still saves open, fstat, pread and close. Only for paths where
 * symlinks are followed (disable_symlinks off): stat follows them the same
 * way open does. */
#include "fcache.h"
#include "config.h"
#include "static.h"
#include "util.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define SLOTS 1024

struct fcache_data {
    unsigned refs; /* the table's, and one per reply sending the bytes */
    char bytes[];
};

struct entry {
    char *rel;
    int dir_fd;
    struct stat st;
    struct fcache_data *data;
};

static struct entry table[SLOTS];

static size_t hash(int dir_fd, const char *s)
{
    size_t h = 5381u + (size_t)dir_fd;
    while (*s)
        h = h * 33 + (unsigned char)*s++;
    return h & (SLOTS - 1);
}

static int same_file(const struct stat *a, const struct stat *b)
{
    return a->st_ino == b->st_ino && a->st_dev == b->st_dev && a->st_size == b->st_size &&
           a->st_mtim.tv_sec == b->st_mtim.tv_sec && a->st_mtim.tv_nsec == b->st_mtim.tv_nsec &&
           a->st_ctim.tv_sec == b->st_ctim.tv_sec && a->st_ctim.tv_nsec == b->st_ctim.tv_nsec &&
           a->st_mode == b->st_mode;
}

void fcache_release(struct fcache_data *d)
{
    if (d != NULL && --d->refs == 0)
        free(d);
}

static void drop(struct entry *e)
{
    free(e->rel);
    fcache_release(e->data);
    memset(e, 0, sizeof(*e));
}

static const char *hand_out(struct entry *e, struct fcache_data **ref)
{
    e->data->refs++;
    *ref = e->data;
    return e->data->bytes;
}

const char *fcache_get(int dir_fd, const char *rel, struct stat *st, int *fd_out,
                       struct fcache_data **ref)
{
    struct entry *e = &table[hash(dir_fd, rel)];
    struct stat now;
    int fd;
    ssize_t n;

    *fd_out = -1;
    *ref = NULL;
    if (e->rel != NULL && e->dir_fd == dir_fd && strcmp(e->rel, rel) == 0) {
        if (fstatat(dir_fd, rel[0] == '/' && rel[1] ? rel + 1 : rel, &now, 0) == 0 &&
            same_file(&now, &e->st)) {
            *st = e->st;
            return hand_out(e, ref);
        }
    }
    /* (re)load, with the rules of an uncached request */
    if (e->rel != NULL)
        drop(e);
    fd = static_open_file(dir_fd, rel, SYMLINKS_OFF, &now);
    if (fd < 0)
        return NULL; /* errno says why */
    *st = now;
    if (!S_ISREG(now.st_mode) || now.st_size > FCACHE_MAX_FILE) {
        *fd_out = fd; /* not for the cache: the caller goes on with it */
        return NULL;
    }
    e->data = xmalloc(sizeof(*e->data) + (size_t)now.st_size);
    e->data->refs = 1;
    do
        n = pread(fd, e->data->bytes, (size_t)now.st_size, 0);
    while (n < 0 && errno == EINTR);
    if (n != now.st_size) { /* changing under us: the caller does it the slow way */
        fcache_release(e->data);
        e->data = NULL;
        *fd_out = fd;
        return NULL;
    }
    close(fd);
    e->rel = xstrdup(rel);
    e->dir_fd = dir_fd;
    e->st = now;
    return hand_out(e, ref);
}
