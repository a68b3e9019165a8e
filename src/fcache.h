/* fcache.h: small files kept in memory (nginx's open_file_cache, with the
 * bytes). For the userspace-TLS path only: a hit costs one fstatat instead
 * of open, fstat, pread and close. */
#ifndef KTLSD_FCACHE_H
#define KTLSD_FCACHE_H

#include <stddef.h>
#include <sys/stat.h>

#define FCACHE_MAX_FILE 15360 /* head and body still fit one TLS record */

/* The bytes and stat of dir_fd/rel if it is a regular file of at most
 * FCACHE_MAX_FILE bytes; NULL otherwise (or when anything fails, or with
 * symlinks not "off": callers then open the file themselves). Each hit is
 * checked against the file (inode, size, mtime, ctime) first. The bytes stay
 * valid until the next fcache call. */
const char *fcache_get(int dir_fd, const char *rel, int symlinks, struct stat *st);

#endif
