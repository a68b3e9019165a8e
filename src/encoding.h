/* encoding.h: the coding (gzip, br) a response gets, as nginx's filters
 * decide it. */
#ifndef KTLSD_ENCODING_H
#define KTLSD_ENCODING_H

struct answer;

/* The coding to answer with ("br", "gzip") or NULL, as nginx's filters
 * decide it for a response of this status, type and length; *level is the
 * level to use. *vary is set when the response is one the filters would
 * compress for some client (nginx's r->gzip_vary). */
const char *encoding_choose(const struct answer *x, int status, const char *content_type,
                            long long length, int *level, int *vary);

#endif
