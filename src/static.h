/* static.h: request path -> an open file under the server's root, safely. */
#ifndef KTLSD_STATIC_H
#define KTLSD_STATIC_H

#include <stddef.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <time.h>

/* Percent-decodes the path of a request target (the query dropped), merges
 * slashes and resolves "." and ".." segments. Returns 0, or 400 for a path
 * that is malformed, holds a NUL, or climbs above the root. */
int static_normalize(const char *target, size_t len, char *out, size_t cap, size_t *outlen);

struct static_dir; /* config.h */
/* Opens a directory (O_PATH) that files are then opened beneath: the fd,
 * or -1 with errno. */
int static_root_open(const char *path);
/* Opens path into d; the fd, or -1 with errno. */
int static_dir_open(struct static_dir *d, const char *path, time_t now);
/* The directory's descriptor as of now (reopened if the path has come to
 * name another directory), or -1. */
int static_dir_fd(struct static_dir *d, time_t now);
void static_dir_close(struct static_dir *d);

/* Opens one file (no index, no logging) beneath root_fd; -1 with errno. */
int static_open_file(int root_fd, const char *path, int symlinks, struct stat *st);

/* Opens a directory beneath root_fd with the same rules, for listing it. */
int static_open_dir(int root_fd, const char *path, int symlinks);

/* The HTTP status for an open() errno: 404, 403 or 500. */
int static_errno_status(int err);

/* The strong validator nginx sends: "mtime-size" in hex. */
size_t static_etag(char *out, size_t cap, const struct stat *st);

/* RFC 9110 13.2.2 in order: If-Match, If-Unmodified-Since, If-None-Match,
 * If-Modified-Since (imsmode: IMS_* from config.h). Header values may be
 * NULL. Returns 0 (go on), 304 or 412. */
struct conditions {
    const char *if_match, *if_unmodified_since, *if_none_match, *if_modified_since;
    size_t if_match_len, if_unmodified_since_len, if_none_match_len, if_modified_since_len;
};
int static_conditions(const struct conditions *c, const char *etag, time_t mtime, int get_or_head,
                      int imsmode);
/* If-Range: whether the Range header may be honoured (nginx's rules:
 * an exact ETag match, or a date equal to Last-Modified). */
int static_if_range(const char *v, size_t len, const char *etag, time_t mtime);

struct range {
    off_t start, end; /* [start, end) */
};
/* Parses "bytes=..." as nginx does. Returns 206 with the ranges, 416 when
 * none is satisfiable, or 200 when the header is to be ignored (not bytes,
 * more than max ranges, or parts adding up past the file's size). */
int static_ranges(const char *v, size_t len, off_t size, int max_ranges, struct range *out,
                  size_t cap, size_t *n);

/* The q-value (0..1000) that Accept-Encoding gives coding ("gzip", "br"). */
int static_accepts(const char *v, size_t len, const char *coding);

#endif
