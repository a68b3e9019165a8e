/* status.h: the status page as the answer. */
#ifndef KTLSD_STATUS_H
#define KTLSD_STATUS_H

struct answer;

/* DONE, or 405 for the caller to answer. */
int status_answer(struct answer *x);

#endif
