/* reqlog.h: the access log line of one request, whichever protocol carried
 * it (HTTP/1.1 in http1.c, an HTTP/2 stream in h2.c): the variables that
 * come from the request, its connection and its reply, filled in one place. */
#ifndef KTLSD_REQLOG_H
#define KTLSD_REQLOG_H

#include <stddef.h>

#include <openssl/ssl.h>

struct request;
struct reply;
struct server_conf;

struct reqlog {
    struct server_conf *srv;   /* whose access_log; none: nothing is written */
    const struct request *req; /* its spans point into rbuf */
    const char *rbuf;
    const struct reply *reply; /* NULL: cut short (408), no answer to tell of */
    const char *peer;          /* $remote_addr */
    SSL *ssl;                  /* NULL: plain */
    const char *ktls, *ktls_mode;
    long status;
    unsigned long long bytes, body_bytes, request_length;
    double start, now;
    unsigned long connection, connection_requests;
};

/* Writes the line to l->srv's access log, if it has one. */
void reqlog_write(const struct reqlog *l);

#endif
