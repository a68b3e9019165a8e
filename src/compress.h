/* compress.h: gzip and brotli on the fly (nginx's gzip module, Google's
 * ngx_brotli), with a cache: a file is compressed once per (file, size,
 * mtime, coding, level) and repeats are served from memory. */
#ifndef KTLSD_COMPRESS_H
#define KTLSD_COMPRESS_H

#include <stddef.h>
#include <sys/stat.h>

struct compress_data;

/* Files larger than this are sent as they are: ktlsd compresses a file in
 * one piece, in the worker, and a larger one would stall its other
 * connections (nginx compresses in a stream instead). */
#define COMPRESS_MAX_INPUT (16 * 1024 * 1024)

/* The compressed bytes of a file, from fd (or from mem when not NULL),
 * cached; NULL when it cannot be compressed (then serve it as it is).
 * *ref holds them until compress_release(*ref). */
const char *compress_get(const struct stat *st, int fd, const char *mem, const char *coding,
                         int level, size_t *len, struct compress_data **ref);
void compress_release(struct compress_data *d);

/* The cache's memory budget (compress_cache_size; 0: no cache, each
 * response is compressed anew, as nginx does). Drops what no longer fits. */
void compress_cache_size(size_t bytes);

/* Cache counters, for the status page and tests. */
struct compress_stats {
    unsigned long long hits, misses, bytes, entries;
};
void compress_stats(struct compress_stats *s);

#endif
