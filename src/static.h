/* static.h: request path -> an open file under the server's root, safely. */
#ifndef KTLSD_STATIC_H
#define KTLSD_STATIC_H

#include <stddef.h>
#include <sys/stat.h>

struct log_ctx;

/* Percent-decodes the path of a request target (the query dropped), merges
 * slashes and resolves "." and ".." segments. Returns 0, or 400 for a path
 * that is malformed, holds a NUL, or climbs above the root. */
int static_normalize(const char *target, size_t len, char *out, size_t cap, size_t *outlen);

struct static_file {
    int fd;             /* open regular file, or -1 */
    struct stat st;
    const char *name;   /* path whose extension gives the type */
    size_t name_len;
};

/* Opens the root directory (O_PATH) that static_open() resolves beneath. */
int static_root_open(const char *root);

/* Resolves path (normalised, starting with '/') beneath root_fd: a regular
 * file (200, f->fd open), index files for a path ending in '/', or a status:
 * 301 (a directory without its slash), 403, 404, 500. path must have room
 * for the longest index name appended (cap). */
int static_open(int root_fd, const char *root, char *const *index, size_t nindex, char *path, size_t len,
                size_t cap, struct static_file *f, const struct log_ctx *log);

#endif
