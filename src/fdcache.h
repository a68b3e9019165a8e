/* fdcache.h: nginx's open_file_cache: descriptors and stat of files
 * served, per worker, so that a keep-alive request for a small file sent
 * by sendfile (kTLS or plain) costs no open, fstat or close. */
#ifndef KTLSD_FDCACHE_H
#define KTLSD_FDCACHE_H

#include <sys/stat.h>
#include <time.h>

/* A cached descriptor, held by a reply while its file is being sent. */
struct fdcache_ref;

struct fdcache_conf; /* config.h */

/* Opens dir_fd/rel (disable_symlinks off) through the cache. Returns the
 * fd with *st filled; *ref is then the cache's reference to pass to
 * fdcache_release() instead of close(), or NULL for an fd of the caller's
 * own (not cached: not a regular file, or not used often enough yet). -1
 * with errno when the open fails (remembered with errors on). */
int fdcache_open(const struct fdcache_conf *c, int dir_fd, const char *rel, struct stat *st,
                 time_t now, struct fdcache_ref **ref);
/* Drops a reference; the fd closes once neither cache nor reply holds it. */
void fdcache_release(struct fdcache_ref *r);

#endif
