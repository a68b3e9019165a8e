/* fcache.h: small files kept in memory (nginx's open_file_cache, with the
 * bytes). For the userspace-TLS path only: a hit costs one fstatat instead
 * of open, fstat, pread and close. */
#ifndef KTLSD_FCACHE_H
#define KTLSD_FCACHE_H

#include <stddef.h>
#include <sys/stat.h>

#define FCACHE_MAX_FILE 15360 /* head and body still fit one TLS record */

/* A cached file's bytes, shared by reference counting. */
struct fcache_data;

/* The bytes and stat of dir_fd/rel (opened as with disable_symlinks off)
 * if it is a regular file of at most FCACHE_MAX_FILE bytes; each hit is
 * checked against the file (inode, size, mtime, ctime, mode) first. *ref
 * then holds a reference that keeps the bytes valid, however the cache
 * changes meanwhile (a reply sent slowly), until fcache_release(*ref).
 * Otherwise NULL, and either *fd is the file, opened, with *st filled (too
 * large, not regular, or changing: the caller serves it itself), or *fd is
 * -1 and errno tells why the open failed. */
const char *fcache_get(int dir_fd, const char *rel, struct stat *st, int *fd,
                       struct fcache_data **ref);
/* Drops a reference (NULL is fine). */
void fcache_release(struct fcache_data *d);

#endif
