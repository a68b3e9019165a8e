/* autoindex.h: a directory listing as the answer. */
#ifndef KTLSD_AUTOINDEX_H
#define KTLSD_AUTOINDEX_H

struct answer;

/* Lists rel beneath dir_fd: DONE, or 404/403 for the caller to answer. */
int autoindex_answer(struct answer *x, int dir_fd, const char *rel);

#endif
