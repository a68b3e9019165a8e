/* request.h: answering one parsed request, whatever protocol carried it:
 * the virtual host, the location, access rules, return / try_files /
 * error_page (request.c), files (file.c), listings (autoindex.c) and the
 * status page (status.c). The answer is a reply (reply.h): a head in the
 * caller's buffer and a body as send segments. */
#ifndef KTLSD_REQUEST_H
#define KTLSD_REQUEST_H

#include <stddef.h>
#include <sys/socket.h>

#include "reply.h"

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
    int fd;             /* the client socket, for $server_addr / $server_port; -1 if none */
    struct ssl_st *tls; /* for the $ssl_* variables, or NULL */
    const struct log_ctx *log;
    int plain_on_tls;   /* a plain HTTP request on a TLS port (nginx's 497) */
    int client_verify;  /* ssl_verify_client failed: nginx's 495 or 496; 0 */
    int limit_req_done; /* answered again after a limit_req delay: not counted twice */
    char *buf;          /* the head (and small bodies) go here */
    size_t cap;
};

/* Fills r (never fails: errors become error answers). */
void request_respond(struct request_env *env, struct reply *r);
/* client_max_body_size that applies to this request (decided from its head,
 * before the body is read). */
long long request_body_limit(const struct request_env *env);

#endif
