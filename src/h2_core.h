/* h2_core.h: what the two halves of an HTTP/2 connection share: h2.c
 * (the session, receiving streams, handing them to the pipeline) and
 * h2_send.c (writing frames, DATA from the reply's segments, the head as
 * HPACK fields, the access log line). Not for other modules: h2.h is the
 * API. */
#ifndef KTLSD_H2_CORE_H
#define KTLSD_H2_CORE_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include <nghttp2/nghttp2.h>

#include "http.h"
#include "log.h"
#include "reply.h"
#include "request.h"

#define FRAME_HD 9
#define READS_MAX 16 /* userspace: file payloads waiting in out for one preadv */

struct h2_stream {
    int32_t id;
    struct h2 *h;
    struct request req;
    char *rbuf;
    size_t rlen, ralloc, rcap; /* used, allocated, allowed */
    int have_host, answered;
    unsigned long long body_in;
    long long body_limit; /* client_max_body_size; 0: none */
    struct reply reply;
    char *buf; /* the head and small bodies */
    size_t seg, seg_off;
    unsigned long long body_left, body_sent, file_bytes;
    double start;
    struct h2_stream *prev, *next; /* the connection's streams */
};

struct h2 {
    nghttp2_session *s;
    double (*now)(void *arg); /* from struct h2_conn */
    void *now_arg;
    unsigned long id;      /* $connection */
    const char *ktls_text; /* $ktls */
    struct request_env env;
    const struct log_ctx *log;
    int fd;
    SSL *ssl;
    int ktls;   /* kTLS TX: the socket takes plaintext */
    int direct; /* file payloads by sendfile on the socket: kTLS TX, or no TLS */
    char *out;
    size_t opos, olen;
    size_t wlen;       /* an SSL_write of out[opos..opos+wlen) to retry as it was */
    struct read_slot { /* userspace: a file payload whose place in out awaits it */
        int fd;
        off_t off;
        size_t pos, len;
    } rd[READS_MAX];
    unsigned nrd;
    struct { /* a kTLS DATA frame being written */
        unsigned char hd[FRAME_HD];
        size_t hpos;
        int fd;
        off_t off;
        size_t left;
        struct h2_stream *st;
        int active;
        int own_fd; /* the stream closed first: the frame holds its file */
    } fr;
    int wblocked, wwant; /* the socket refused bytes: wait for wwant */
    int fatal;
    int corked; /* TCP_CORK set (userspace TLS, streaming) */
    unsigned streams;
    unsigned empty_data;
    int progress;
    int draining;
    struct h2_stream *list;
    unsigned long logged; /* $connection_requests */
    size_t payload_max;
    char ktls_mode[32];
};

/* Writes out[opos..olen), then the rest of a kTLS frame in progress.
 * KT_OK when all is written. */
int h2_flush(struct h2 *h);
/* Fills the places in out that DATA frames left for file payloads, one
 * preadv(2) per run of one file's frames. KT_ERROR if a file shrank. */
int h2_reads_run(struct h2 *h);
/* Userspace TLS: TCP_CORK on while a connection streams, off to push. */
void h2_cork(struct h2 *h, int on);
struct h2_stream *h2_stream_of(struct h2 *h, int32_t id);
/* nghttp2's callbacks for what goes out: frames into out, a DATA frame's
 * length, and the DATA frame itself. */
ssize_t h2_send_cb(nghttp2_session *s, const uint8_t *data, size_t len, int flags, void *arg);
ssize_t h2_read_cb(nghttp2_session *s, int32_t id, uint8_t *buf, size_t length, uint32_t *flags,
                   nghttp2_data_source *src, void *arg);
int h2_send_data_cb(nghttp2_session *s, nghttp2_frame *frame, const uint8_t *framehd, size_t length,
                    nghttp2_data_source *src, void *arg);
/* Reads the HTTP/1.1 head http_head wrote back into an HTTP/2 header list;
 * returns the count (0: unreadable). */
size_t h2_head_to_nv(char *head, size_t len, nghttp2_nv *nv, size_t max, char *status);
/* The access log line of a stream. */
void h2_stream_log(struct h2_stream *st);

#endif
