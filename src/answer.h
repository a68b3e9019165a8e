/* answer.h: one request being answered, as the pipeline's handlers see
 * it. request.c (routing: server, location, access, return, try_files,
 * error_page) drives file.c (files), autoindex.c (listings) and status.c
 * (the status page). A handler fills the reply through the builders below
 * and returns DONE, or returns an HTTP status (>= 100) that request.c
 * answers, applying error_page: nginx's static module returning
 * NGX_HTTP_NOT_FOUND to the core. The head is written into env->buf; the
 * body is send segments (reply.h). */
#ifndef KTLSD_ANSWER_H
#define KTLSD_ANSWER_H

#include <stddef.h>
#include <sys/stat.h>
#include <sys/types.h>

#include "pipeline.h"

/* A response head with the location's defaults (Server, expires,
 * add_header). */
void answer_response(struct answer *x, struct response *resp, int status);
/* Writes the head into env->buf. KT_ERROR when it does not fit: a bare 500
 * goes instead, and no body may follow it (its Content-Length is 0). */
int answer_head(struct answer *x, struct response *resp);
/* File bytes [off, off+len): from the cached copy, or the open file. */
void answer_body(struct answer *x, off_t off, size_t len);
int answer_head_only(const struct answer *x);
/* gzip or brotli on the fly, when the location and the client call for it
 * (compress.c): answers with the whole body compressed, the file open in
 * r->fd or mem (st: the key of the cache), and returns 1; else 0. Sets
 * resp->vary for a response the filters would compress for some client. */
int answer_compressed(struct answer *x, struct response *resp, const struct stat *st,
                      const char *mem);
/* The Content-Type for a file name (types {} of the location, else the
 * MIME table). */
const char *answer_type(const struct answer *x, const char *name, size_t len);
/* A request header by its lowercase name, or NULL. */
const char *answer_header(const struct answer *x, const char *name, size_t *len);

#endif
