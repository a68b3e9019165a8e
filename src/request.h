/* request.h: answering one parsed request, whatever protocol carried it:
 * the virtual host, the location, access rules, return / try_files /
 * error_page (request.c), files (file.c), listings (autoindex.c) and the
 * status page (status.c). The answer is a reply (reply.h): a head in the
 * caller's buffer and a body as send segments. */
#ifndef KTLSD_REQUEST_H
#define KTLSD_REQUEST_H

#include <stddef.h>
#include <sys/socket.h>

#include "pipeline.h"

struct request;
struct server_conf;
struct ssl_st;
struct log_ctx;

/* The server block for a host name (SNI or Host, port stripped): exact
 * names, then "*.example.com" / ".example.com", then "www.example.*",
 * else the default server. */
struct server_conf *request_server(const struct vhosts *vh, const char *host, size_t len);

/* Fills r (never fails: errors become error answers). */
void request_respond(struct request_env *env, struct reply *r);
/* client_max_body_size that applies to this request (decided from its head,
 * before the body is read). */
long long request_body_limit(const struct request_env *env);

#endif
