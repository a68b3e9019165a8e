/* compress.c: gzip (zlib) and brotli (libbrotlienc) on the fly. Which
 * responses are compressed follows nginx's gzip filter (status 200, 403 or
 * 404, gzip_types, gzip_min_length, gzip_http_version, gzip_proxied,
 * gzip_disable; a HEAD gets the head of the compressed answer) and ngx_brotli's filter
 * (brotli_types, brotli_min_length), brotli first when the client takes it, as there.
 *
 * Which coding a response gets is encoding.c's (nginx's filters); this
 * file compresses. Unlike nginx, which compresses every response anew, a worker compresses
 * a file once per (device, inode, size, mtime, coding, level) and keeps the
 * result in a cache bounded by compress_cache_size, dropping the least
 * recently used entries; a file that changes gets a new key, so a cached
 * answer is never stale. Entries are reference counted: a reply still
 * sending one keeps it alive after it left the cache. */
#include "compress.h"
#include "config.h"
#include "static.h"
#include "util.h"

#include <brotli/encode.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>
#include <zlib.h>

#define BUCKETS 1024
#define BROTLI_LGWIN 19 /* ngx_brotli's default brotli_window 512k */

struct compress_data {
    unsigned refs; /* the cache's, and one per reply sending the bytes */
    dev_t dev;
    ino_t ino;
    off_t size;
    struct timespec mtime;
    int coding; /* 0: gzip, 1: br */
    int level;
    int cached;
    size_t bucket;
    struct compress_data *next;                /* bucket chain */
    struct compress_data *lru_prev, *lru_next; /* most recent first */
    size_t len;
    char bytes[];
};

static struct compress_data *table[BUCKETS];
static struct compress_data *lru_head, *lru_tail;
static size_t budget = 32u * 1024 * 1024, used;
static struct compress_stats stats;

/* --- compressing --------------------------------------------------------- */

static size_t deflate_gzip(const char *in, size_t inlen, int level, char *out, size_t cap)
{
    z_stream z;
    size_t n;
    memset(&z, 0, sizeof(z));
    if (deflateInit2(&z, level, Z_DEFLATED, MAX_WBITS + 16, 8, Z_DEFAULT_STRATEGY) != Z_OK)
        return 0;
    z.next_in = (Bytef *)(uintptr_t)in;
    z.avail_in = (uInt)inlen;
    z.next_out = (Bytef *)out;
    z.avail_out = (uInt)cap;
    n = deflate(&z, Z_FINISH) == Z_STREAM_END ? cap - z.avail_out : 0;
    deflateEnd(&z);
    return n;
}

static size_t gzip_bound(size_t inlen)
{
    z_stream z;
    size_t n;
    memset(&z, 0, sizeof(z));
    if (deflateInit2(&z, 9, Z_DEFLATED, MAX_WBITS + 16, 8, Z_DEFAULT_STRATEGY) != Z_OK)
        return 0;
    n = deflateBound(&z, (uLong)inlen);
    deflateEnd(&z);
    return n;
}

static struct compress_data *compress_make(const char *in, size_t inlen, int coding, int level)
{
    size_t cap = coding == 0 ? gzip_bound(inlen) : BrotliEncoderMaxCompressedSize(inlen);
    struct compress_data *d;
    if (cap == 0)
        return NULL;
    d = xmalloc(sizeof(*d) + cap);
    memset(d, 0, sizeof(*d));
    if (coding == 0) {
        d->len = deflate_gzip(in, inlen, level, d->bytes, cap);
    } else {
        d->len = cap;
        if (!BrotliEncoderCompress(level, BROTLI_LGWIN, BROTLI_MODE_GENERIC, inlen,
                                   (const uint8_t *)in, &d->len, (uint8_t *)d->bytes))
            d->len = 0;
    }
    if (d->len == 0) {
        free(d);
        return NULL;
    }
    return realloc(d, sizeof(*d) + d->len) ?: d; /* give back the bound's slack */
}

/* --- the cache ----------------------------------------------------------- */

static size_t bucket(const struct stat *st, int coding, int level)
{
    unsigned long long h = (unsigned long long)st->st_ino * 0x9E3779B97F4A7C15ULL;
    h ^= (unsigned long long)st->st_dev + (unsigned long long)st->st_size * 31 +
         (unsigned long long)st->st_mtim.tv_sec * 131 + (unsigned long long)st->st_mtim.tv_nsec;
    h ^= (unsigned long long)(coding * 16 + level) << 7;
    return (size_t)(h ^ (h >> 29)) & (BUCKETS - 1);
}

static int same_key(const struct compress_data *d, const struct stat *st, int coding, int level)
{
    return d->ino == st->st_ino && d->dev == st->st_dev && d->size == st->st_size &&
           d->mtime.tv_sec == st->st_mtim.tv_sec && d->mtime.tv_nsec == st->st_mtim.tv_nsec &&
           d->coding == coding && d->level == level;
}

void compress_release(struct compress_data *d)
{
    if (d != NULL && --d->refs == 0)
        free(d);
}

static void lru_unlink(struct compress_data *d)
{
    if (d->lru_prev != NULL)
        d->lru_prev->lru_next = d->lru_next;
    else
        lru_head = d->lru_next;
    if (d->lru_next != NULL)
        d->lru_next->lru_prev = d->lru_prev;
    else
        lru_tail = d->lru_prev;
    d->lru_prev = d->lru_next = NULL;
}

static void lru_push(struct compress_data *d)
{
    d->lru_next = lru_head;
    if (lru_head != NULL)
        lru_head->lru_prev = d;
    lru_head = d;
    if (lru_tail == NULL)
        lru_tail = d;
}

static void evict(struct compress_data *d)
{
    struct compress_data **pp = &table[d->bucket];
    while (*pp != d)
        pp = &(*pp)->next;
    *pp = d->next;
    lru_unlink(d);
    used -= d->len;
    stats.entries--;
    d->cached = 0;
    compress_release(d);
}

void compress_cache_size(size_t bytes)
{
    budget = bytes;
    while (used > budget && lru_tail != NULL)
        evict(lru_tail);
}

void compress_stats(struct compress_stats *s)
{
    *s = stats;
    s->bytes = used;
}

static char *read_all(int fd, size_t len)
{
    char *buf = xmalloc(len ? len : 1);
    size_t got = 0;
    while (got < len) {
        ssize_t n = pread(fd, buf + got, len - got, (off_t)got);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0) { /* shrinking under us */
            free(buf);
            return NULL;
        }
        got += (size_t)n;
    }
    return buf;
}

const char *compress_get(const struct stat *st, int fd, const char *mem, const char *coding,
                         int level, size_t *len, struct compress_data **ref)
{
    int c = strcmp(coding, "br") == 0;
    size_t b = bucket(st, c, level);
    struct compress_data *d;
    char *buf = NULL;

    *ref = NULL;
    for (d = table[b]; d != NULL; d = d->next)
        if (same_key(d, st, c, level)) {
            stats.hits++;
            lru_unlink(d);
            lru_push(d);
            d->refs++;
            *ref = d;
            *len = d->len;
            return d->bytes;
        }
    stats.misses++;
    if (st->st_size > COMPRESS_MAX_INPUT)
        return NULL;
    if (mem == NULL && (mem = buf = read_all(fd, (size_t)st->st_size)) == NULL)
        return NULL;
    d = compress_make(mem, (size_t)st->st_size, c, level);
    free(buf);
    if (d == NULL)
        return NULL;
    d->refs = 1; /* the reply's */
    d->dev = st->st_dev;
    d->ino = st->st_ino;
    d->size = st->st_size;
    d->mtime = st->st_mtim;
    d->coding = c;
    d->level = level;
    d->bucket = b;
    if (d->len <= budget) {
        while (used + d->len > budget && lru_tail != NULL)
            evict(lru_tail);
        d->refs++; /* the cache's */
        d->cached = 1;
        d->next = table[b];
        table[b] = d;
        lru_push(d);
        used += d->len;
        stats.entries++;
    }
    *ref = d;
    *len = d->len;
    return d->bytes;
}
