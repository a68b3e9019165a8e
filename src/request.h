/* request.h: answering one parsed request: the virtual host, the location,
 * access rules, return / try_files / error_page, and for files the
 * validators, conditional requests, ranges and precompressed variants. The
 * answer is a head in a buffer and a body as send segments. */
#ifndef KTLSD_REQUEST_H
#define KTLSD_REQUEST_H

#include <stddef.h>
#include <sys/socket.h>

#include "send.h"

struct request;
struct server_conf;
struct fcache_data;
struct log_ctx;

/* The server blocks reachable on one listening address. */
struct vhosts {
    struct server_conf **servers;
    size_t n;
    struct server_conf *dflt;
    int port; /* the listening port, for absolute redirects */
};

/* The server block for a host name (SNI or Host, port stripped): exact
 * names, then "*.example.com" / ".example.com", then "www.example.*",
 * else the default server. */
struct server_conf *request_server(const struct vhosts *vh, const char *host, size_t len);

struct request_env {
    const struct request *req;
    const char *rbuf;
    const struct vhosts *vh;
    struct server_conf *srv; /* chosen by SNI, or the default */
    int ssl;
    int ktls_tx;   /* kTLS sends for this connection */
    int keepalive; /* the connection may stay open */
    const struct sockaddr *peer;
    const struct log_ctx *log;
    int plain_on_tls;  /* a plain HTTP request on a TLS port (nginx's 497) */
    int client_verify; /* ssl_verify_client failed: nginx's 495 or 496; 0 */
    char *buf;         /* the head (and small bodies) go here */
    size_t cap;
};

struct reply {
    int status;
    int close;     /* close after sending */
    int keepalive; /* what the head announced */
    int sendfile;  /* the location's "sendfile" */
    size_t head_len;
    int no_body; /* the head did not fit: a bodiless 500 went instead, add nothing */
    int fd;      /* file behind file segments, or -1 */
    size_t nsegs;
    unsigned long long body_len;
    unsigned long long file_len;         /* of which file bytes */
    char *mem;                           /* allocated body memory, freed after sending */
    struct fcache_data *cached;          /* the cached file bytes segments point into */
    struct server_conf *srv;             /* the server block that answered */
    struct send_seg segs[SEND_MAX_SEGS]; /* last: only segs[0..nsegs) is ever read */
};

/* Fills r (never fails: errors become error answers). */
void request_respond(struct request_env *env, struct reply *r);
/* client_max_body_size that applies to this request (decided from its head,
 * before the body is read). */
long long request_body_limit(const struct request_env *env);
void reply_free(struct reply *r);

#endif
