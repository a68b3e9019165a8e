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

#include <limits.h>
#include <stddef.h>
#include <sys/stat.h>
#include <sys/types.h>

#include "config.h"
#include "http.h"
#include "request.h"

#define PCRE2_CODE_UNIT_WIDTH 8
#include <pcre2.h>

#define MAX_CAPTURES 10 /* $0..$9 */
#define URI_MAX (HTTP_MAX_URL + 512)

/* What a step of the pipeline returns, besides an HTTP status >= 100. */
enum { DONE, REDIRECT };

/* What a regex with capture groups matched. */
struct captures {
    const pcre2_code *re; /* NULL: none */
    int n;
    PCRE2_SIZE ov[2 * MAX_CAPTURES];
    char subject[URI_MAX];
};

/* One request's working state. The buffers come last: a request resets
 * only what precedes them (a worker answers one request at a time, so one
 * static instance serves, with no allocation per request). */
struct answer {
    struct request_env *env;
    struct reply *r;
    struct server_conf *srv;
    struct location *loc;
    const struct srv_conf *conf;
    size_t ulen;
    size_t alen;
    const char *target; /* $request_uri */
    size_t tlen;
    const char *host; /* Host without port, or NULL */
    size_t hlen;
    const char *content_range; /* for a 416 */
    const char *body_mem;      /* the file's bytes from fcache, instead of r->fd */
    int internal;
    int no_error_page;    /* error_page no longer applies (serving one, or our own redirect) */
    int page_status;      /* serving an error_page: the status to answer with (0: the page's) */
    const char *redirect; /* a handler's 3xx: where to (its Location), or NULL */
    size_t redirect_len;
    int method;
    struct location *named; /* the target of an internal redirect to "@name" */
    const char *dyn_tpl;    /* the root or alias with variables dyn_fd is open for */
    int dyn_fd;
    int in_dir;                  /* expanding that root or alias: $document_root is empty */
    const struct response *resp; /* the head being written, or NULL */
    char uri[URI_MAX];           /* decoded and normalised */
    char args[URI_MAX];          /* the query, raw */
    char locbuf[URI_MAX * 2];
    char redirect_buf[URI_MAX + 8];
    char crange[96];        /* Content-Range of a 206 or 416 */
    struct captures cap[2]; /* of the regex server_name [0], of the regex location [1] */
    char scratch[PATH_MAX + 64];
    char docroot[PATH_MAX];                 /* a root or alias with variables, expanded */
    struct add_header add[ADD_HEADERS_MAX]; /* add_header values with variables, expanded */
    char add_values[8192];
    char ctype[256]; /* the Content-Type with the charset parameter */
};

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
