/* send.h: writing a response: its head from a buffer, then the body by the
 * best path the connection allows. */
#ifndef KTLSD_SEND_H
#define KTLSD_SEND_H

#include <stddef.h>
#include <sys/types.h>

#include <openssl/ssl.h>

struct log_ctx;

enum send_mode {
    SEND_KTLS,      /* kTLS TX active: head by SSL_write, body by SSL_sendfile */
    SEND_TLS_COPY,  /* userspace TLS (or sendfile off): pread + SSL_write */
    SEND_PLAIN,     /* no TLS: send(MSG_MORE) + sendfile(2) */
    SEND_PLAIN_COPY /* no TLS, sendfile off: pread + send */
};

struct send_state {
    enum send_mode mode;
    char *buf;     /* head, then (copy modes) body bytes */
    size_t cap;
    size_t pos, len;
    int fd;        /* body file, or -1 when the body is in buf */
    off_t off, end;
    size_t head_len;
    unsigned long long bytes; /* written to the socket, head included */
};

/* Starts sending buf[0..len) (head, maybe an in-memory body) and, if fd >= 0,
 * the file bytes [off, end). In the copy modes the first body bytes join the
 * head in buf, so that a small file leaves in one TLS record. */
void send_start(struct send_state *s, enum send_mode mode, char *buf, size_t cap, size_t len, size_t head_len,
                int fd, off_t off, off_t end);
/* KT_OK: all sent; KT_AGAIN: wait for *want; KT_ERROR: logged, close. */
int send_run(struct send_state *s, int sock, SSL *ssl, int *want, const struct log_ctx *log);
unsigned long long send_body_bytes(const struct send_state *s);

#endif
