/* http.h: HTTP/1.x requests parsed by llhttp into struct request (the
 * response head is http_head.h). */
#ifndef KTLSD_HTTP_H
#define KTLSD_HTTP_H

#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include <llhttp.h>

#define HTTP_MAX_HEADERS 64
#define HTTP_MAX_URL 8192
/* nginx's NGX_HTTP_REQUEST_HEADER_TOO_LARGE: a header line, or the whole
 * head, over large_client_header_buffers. Answered as "400 Bad Request"
 * with nginx's "Request Header Or Cookie Too Large" page; error_page 494
 * catches it, as in nginx. */
#define HTTP_HEADER_TOO_LARGE 494
/* nginx's defaults: client_header_buffer_size 1k (not configurable here),
 * large_client_header_buffers 4 8k */
#define HTTP_HEADER_BUF 1024
#define HTTP_LARGE_BUFS 4
#define HTTP_LARGE_BUF_SIZE 8192

/* A span of the connection's read buffer: requests are parsed in place. */
struct span {
    uint16_t off, len;
};

struct header {
    struct span name, value;
};

struct request {
    llhttp_t parser;
    const char *base; /* the read buffer the spans point into */
    int method;       /* llhttp_method_t */
    int http_major, http_minor;
    int keepalive;
    int url_done, headers_done, complete;
    int error; /* HTTP status to answer when parsing failed */
    int host_count;
    struct span url;
    uint16_t body_off;                       /* where the first body bytes were */
    unsigned long long body_len, body_limit; /* read so far; 0: no limit */
    int expect_continue;
    struct span cur_name, cur_value;
    int in_value;
    struct header headers[HTTP_MAX_HEADERS];
    unsigned nheaders;
    /* the head's lines, checked as nginx packs them into its header
     * buffers (offsets into base; a head is never moved while read) */
    unsigned large_num, large_size; /* large_client_header_buffers */
    unsigned nlarge;                /* large buffers the head has taken */
    unsigned buf_start, buf_cap;    /* the buffer the current line is in */
    unsigned line_start, scanned;
    int in_head, in_request_line;
    /* a chunked body's framing, read ahead of llhttp (http.c, CH_*) */
    int chunk_state;
    unsigned long long chunk_size; /* the size being read, then the data left */
};

void http_request_init(struct request *r);
/* large_client_header_buffers for this connection's requests (the default
 * is 4 8k): a request line longer than size is 414, a header line longer
 * than size, or a head that needs more than num buffers of size, is
 * HTTP_HEADER_TOO_LARGE. */
void http_request_limits(struct request *r, unsigned num, unsigned size);
/* Feeds buf[0..len) to the parser, which has already seen buf[0..*parsed).
 * Returns KT_OK when a whole request has been parsed (*parsed then points
 * past it: the rest is the next pipelined request), and also once when the
 * head of a request with a body is complete (r->complete still 0: check
 * the body's size, answer Expect, then call again); KT_AGAIN when it needs
 * more bytes; KT_ERROR with r->error set to the status to answer. */
int http_parse(struct request *r, const char *buf, size_t len, size_t *parsed);
/* Value of a header (case-insensitive name), or NULL. */
const char *http_header(const struct request *r, const char *name, size_t *len);
const char *http_method_name(const struct request *r);
/* The length of a Host value without its ":port" (nginx's $host). A
 * bracketed IPv6 literal is kept whole. */
size_t http_host_len(const char *host, size_t len);
/* The authority of an absolute-form target ("http://a.example:8/p" ->
 * "a.example:8", RFC 9112 3.2.2; *alen its length; the path follows it),
 * or NULL when the target is not absolute-form. */
const char *http_target_authority(const char *t, size_t tlen, size_t *alen);
/* The request's host as nginx's $host takes it: the authority of an
 * absolute-form target, else the Host header; without its port. NULL (and
 * *len 0) when there is none or it is empty. */
const char *http_request_host(const struct request *r, size_t *len);

#endif
