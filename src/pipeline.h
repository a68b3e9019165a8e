/* pipeline.h: the data a request is answered with, shared by the steps of
 * the pipeline and by whatever protocol carries the request: what the
 * connection hands over (struct request_env), and the request being
 * answered (struct answer). Types only: request.c (the core), the handlers
 * (file.c, autoindex.c, status.c), the reply builders (answer.c) and the
 * variables (reqvars.c) all include it, and none of them includes a step
 * above it. */
#ifndef KTLSD_PIPELINE_H
#define KTLSD_PIPELINE_H

#include <limits.h>
#include <stddef.h>
#include <sys/socket.h>
#include <sys/types.h>

#include "config.h"
#include "http.h"
#include "reply.h"
#include "vars.h"

#define PCRE2_CODE_UNIT_WIDTH 8
#include <pcre2.h>

struct request;
struct server_conf;
struct ssl_st;
struct log_ctx;

/* The server blocks reachable on one listening address. */
struct vhosts {
    struct server_conf **servers;
    size_t n;
    struct server_conf *dflt;
    int port; /* the listening port, for absolute redirects */
};

struct request_env {
    const struct request *req;
    const char *rbuf;
    const struct vhosts *vh;
    struct server_conf *srv; /* chosen by SNI, or the default */
    int ssl;
    int ktls_tx;   /* kTLS sends for this connection */
    int keepalive; /* the connection may stay open */
    const struct sockaddr *peer;
    int fd;             /* the client socket, for $server_addr / $server_port; -1 if none */
    struct ssl_st *tls; /* for the $ssl_* variables, or NULL */
    const struct log_ctx *log;
    int plain_on_tls;   /* a plain HTTP request on a TLS port (nginx's 497) */
    int client_verify;  /* ssl_verify_client failed: nginx's 495 or 496; 0 */
    int limit_req_done; /* answered again after a limit_req delay: not counted twice */
    char *buf;          /* the head (and small bodies) go here */
    size_t cap;
};

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

/* The state of a "map" or "set" variable in a request. */
enum { USER_UNKNOWN, USER_BUSY, USER_FOUND };

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
    const char *part_type;       /* multipart/byteranges: the file's type, which
                                  * $sent_http_content_type is (nginx's headers
                                  * filter runs before its range filter) */
    int limits_done;             /* limit_req and limit_conn ran (once per request) */
    const char *limit_req_st;    /* $limit_req_status: "PASSED", "DELAYED"...; NULL: none */
    const char *limit_conn_st;   /* $limit_conn_status */
    const char *auth_realm;      /* a 401 from auth_basic: its WWW-Authenticate realm */
    int uri_changed;             /* a rewrite changed the URI: search the locations again */
    int skip_server_rw;          /* after a "last" rewrite: the server's steps do not run again */
    int escape_captures; /* a rewrite redirect of a URI that had escapes: $1..$9 %XX-escaped */
    unsigned char ustate[VARS_USER_MAX]; /* "map" and "set" variables: USER_* */
    size_t uused;                        /* of uarena */
    char uri[URI_MAX];                   /* decoded and normalised */
    char args[URI_MAX];                  /* the query, raw */
    char locbuf[URI_MAX * 2];
    char redirect_buf[URI_MAX + 8];
    char ctype[256];        /* the Content-Type with the charset parameter */
    char crange[96];        /* Content-Range of a 206 or 416 */
    struct captures cap[2]; /* of the regex server_name [0], of the regex location [1] */
    char scratch[PATH_MAX + 64];
    char docroot[PATH_MAX];                 /* a root or alias with variables, expanded */
    struct add_header add[ADD_HEADERS_MAX]; /* add_header values with variables, expanded */
    char add_values[8192];
    struct {
        const char *p;
        size_t len;
    } uval[VARS_USER_MAX]; /* their values, in uarena */
    char uarena[16384];
};

#endif
