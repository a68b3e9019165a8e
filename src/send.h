/* send.h: writing a response: its head from a buffer, then the body as a
 * list of segments (memory or file ranges) by the best path the connection
 * allows. */
#ifndef KTLSD_SEND_H
#define KTLSD_SEND_H

#include <stddef.h>
#include <sys/types.h>

#include <openssl/ssl.h>

struct log_ctx;

enum send_mode {
    SEND_KTLS,      /* kTLS TX active: memory by SSL_write, file by SSL_sendfile */
    SEND_TLS_COPY,  /* userspace TLS (or sendfile off): pread + SSL_write */
    SEND_PLAIN,     /* no TLS: send(MSG_MORE) + sendfile(2) */
    SEND_PLAIN_COPY /* no TLS, sendfile off: pread + send */
};

/* A piece of the body: mem[0..len) when mem is set, else file bytes [off, off+len). */
struct send_seg {
    const char *mem;
    off_t off;
    size_t len;
};

#define SEND_MAX_SEGS 130 /* 64 ranges of a multipart answer, with their part heads */

struct send_state {
    enum send_mode mode;
    char *buf; /* the head first; in the copy modes, staging for the body */
    size_t cap;
    size_t pos, len;
    int pending; /* a write of buf[pos..len) is in progress: SSL_write must be
                    retried with the same bytes, so nothing is staged */
    int fd;
    struct send_seg *segs; /* the caller's, consumed as they go out */
    size_t nsegs, cur;
    size_t head_len;
    unsigned long long bytes;      /* written to the socket, head included */
    unsigned long long file_bytes; /* of which file bytes */
    long long rate;           /* limit_rate: bytes per second, 0: none (set after send_start) */
    long long rate_after;     /* limit_rate_after */
    double start;             /* when the first byte went (monotonic seconds) */
    double delay;             /* KT_AGAIN with *want 0: come back in that many seconds */
    int kpace;                /* the kernel paces the socket (SO_MAX_PACING_RATE) */
    double kstart;            /* since then */
    unsigned long long kbase; /* bytes by then */
    unsigned kmss;            /* the socket's MSS then */
    double kend;              /* the last bytes queued: wait for them until then */
};

/* Starts sending buf[0..head_len) followed by the segments. */
void send_start(struct send_state *s, enum send_mode mode, char *buf, size_t cap, size_t head_len,
                int fd, struct send_seg *segs, size_t nsegs);
/* KT_OK: all sent; KT_AGAIN: wait for *want, or, when *want is 0, for
 * s->delay seconds (limit_rate); KT_ERROR: logged, close. */
int send_run(struct send_state *s, int sock, SSL *ssl, int *want, const struct log_ctx *log);
unsigned long long send_body_bytes(const struct send_state *s);

#endif
