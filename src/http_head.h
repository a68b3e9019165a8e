/* http_head.h: what an HTTP/1.1 response head says and how it is written
 * (struct response -> "HTTP/1.1 200 OK\r\n..."), HTTP dates and the error
 * page bodies. */
#ifndef KTLSD_HTTP_HEAD_H
#define KTLSD_HTTP_HEAD_H

#include <stddef.h>
#include <time.h>

struct add_header;

struct response {
    int status;
    const char *content_type;
    long long content_length; /* -1: none */
    time_t last_modified;     /* 0: none */
    const char *location;
    size_t location_len;
    const char *server;
    int keepalive;
    int allow; /* add "Allow: GET, HEAD" */
    int accept_ranges;
    const char *etag;
    const char *content_range;
    const char *content_encoding;
    int vary;    /* Vary: Accept-Encoding */
    int expires; /* EXPIRES_* (config.h), applied to cacheable statuses */
    double expires_time;
    const struct add_header *add;
    size_t nadd;
    const char *auth_realm; /* a 401's WWW-Authenticate: Basic realm="..." */
    long keepalive_header;  /* keepalive_timeout's second value: "Keep-Alive: timeout=N"; 0 none */
};

/* Parses an HTTP date (IMF-fixdate, RFC 850 or asctime); -1 if invalid. */
time_t http_parse_date(const char *s, size_t len);

/* The reason phrase nginx sends for status ("Unknown" when it has none). */
const char *http_reason(int status);
/* Writes the status line and headers; returns the length, or 0 if cap is
 * too small. */
size_t http_head(char *out, size_t cap, const struct response *resp);
/* nginx-like HTML body for an error status, signed "ktlsd/VERSION" with
 * server_tokens on (tokens), as nginx signs its pages, else "ktlsd". */
const char *http_error_body(int status, int tokens, size_t *len);

#endif
