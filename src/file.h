/* file.h: answering with a file beneath the location's root or alias. */
#ifndef KTLSD_FILE_H
#define KTLSD_FILE_H

#include <stddef.h>

struct answer;

/* Serves x->uri: a file, a directory's index, a listing, or a redirect to
 * the directory's "/"; DONE, or an HTTP status for the caller to answer. */
int file_serve(struct answer *x);
/* Where uri lives: the directory's fd and the path beneath it. 0, or 404
 * (an alias never yields a path outside its directory) or 414. */
int file_map_path(struct answer *x, const char *uri, size_t ulen, int *dir_fd, char *rel,
                  size_t cap);

#endif
