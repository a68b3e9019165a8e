/* send.c: the body. Four paths, chosen once per response by the connection:
 *
 *   SEND_KTLS       SSL_sendfile: the kernel encrypts from the page cache;
 *                   no body byte passes through user space.
 *   SEND_TLS_COPY   the fallback: large pread()s and SSL_write(); the head
 *                   and the first body bytes share one buffer and so one
 *                   TLS record for small files.
 *   SEND_PLAIN      a listener without ssl: send(MSG_MORE) then sendfile(2).
 *   SEND_PLAIN_COPY the same with "sendfile off".
 *
 * Each call sends at most SEND_BUDGET bytes and then yields to the event
 * loop with KT_AGAIN, so that one fast reader cannot starve the others. */
#include "send.h"
#include "log.h"
#include "tls.h"
#include "util.h"

#include <errno.h>
#include <string.h>
#include <sys/sendfile.h>
#include <sys/socket.h>
#include <unistd.h>

#define SENDFILE_CHUNK (2u << 20)
#define SEND_BUDGET (8u << 20)

/* Reads the next body bytes into buf[at..cap). 0 bytes before the end means
 * the file shrank under us: an error, never padding or garbage. */
static int fill(struct send_state *s, size_t at, const struct log_ctx *log)
{
    size_t want = s->cap - at;
    ssize_t n;
    if ((off_t)want > s->end - s->off)
        want = (size_t)(s->end - s->off);
    do
        n = pread(s->fd, s->buf + at, want, s->off);
    while (n < 0 && errno == EINTR);
    if (n < 0) {
        log_error(LL_CRIT, log, "pread() failed at offset %lld (%d: %s)", (long long)s->off, errno, strerror(errno));
        return KT_ERROR;
    }
    if (n == 0) {
        log_error(LL_ERR, log, "file was truncated: pread() at offset %lld returned 0, %lld bytes short",
                  (long long)s->off, (long long)(s->end - s->off));
        return KT_ERROR;
    }
    s->off += n;
    s->len = at + (size_t)n;
    return KT_OK;
}

void send_start(struct send_state *s, enum send_mode mode, char *buf, size_t cap, size_t len, size_t head_len,
                int fd, off_t off, off_t end)
{
    s->mode = mode;
    s->buf = buf;
    s->cap = cap;
    s->pos = 0;
    s->len = len;
    s->fd = fd;
    s->off = off;
    s->end = fd >= 0 ? end : off;
    s->head_len = head_len;
    s->bytes = 0;
}

/* Writes buf[pos..len) to the socket, plain or through OpenSSL. */
static int flush_buf(struct send_state *s, int sock, SSL *ssl, int more, int *want, const struct log_ctx *log)
{
    while (s->pos < s->len) {
        size_t n = 0;
        if (ssl != NULL) {
            int r = tls_write(ssl, s->buf + s->pos, s->len - s->pos, &n, want, log);
            if (r != KT_OK)
                return r;
        } else {
            ssize_t w = send(sock, s->buf + s->pos, s->len - s->pos, MSG_NOSIGNAL | (more ? MSG_MORE : 0));
            if (w < 0) {
                if (errno == EINTR)
                    continue;
                if (errno == EAGAIN) {
                    *want = IO_WRITE;
                    return KT_AGAIN;
                }
                log_error(errno == EPIPE || errno == ECONNRESET ? LL_INFO : LL_ERR, log, "send() failed (%d: %s)",
                          errno, strerror(errno));
                return KT_ERROR;
            }
            n = (size_t)w;
        }
        s->pos += n;
        s->bytes += n;
    }
    return KT_OK;
}

static int plain_sendfile(struct send_state *s, int sock, size_t len, size_t *sent, int *want,
                          const struct log_ctx *log)
{
    off_t off = s->off;
    ssize_t n = sendfile(sock, s->fd, &off, len);
    if (n > 0) {
        *sent = (size_t)n;
        return KT_OK;
    }
    if (n == 0) {
        log_error(LL_ERR, log, "sendfile() sent 0 bytes at offset %lld: file was truncated", (long long)s->off);
        return KT_ERROR;
    }
    if (errno == EAGAIN || errno == EINTR) {
        *want = IO_WRITE;
        return KT_AGAIN;
    }
    log_error(errno == EPIPE || errno == ECONNRESET ? LL_INFO : LL_ERR, log, "sendfile() failed (%d: %s)", errno,
              strerror(errno));
    return KT_ERROR;
}

int send_run(struct send_state *s, int sock, SSL *ssl, int *want, const struct log_ctx *log)
{
    unsigned long long start = s->bytes;
    size_t budget = SEND_BUDGET;
    int r;

    if (s->mode == SEND_TLS_COPY || s->mode == SEND_PLAIN_COPY) {
        /* the first call: top up the head's buffer with body bytes */
        if (s->bytes == 0 && s->pos == 0 && s->fd >= 0 && s->off < s->end && s->len < s->cap &&
            fill(s, s->len, log) != KT_OK)
            return KT_ERROR;
        for (;;) {
            r = flush_buf(s, sock, s->mode == SEND_TLS_COPY ? ssl : NULL, 0, want, log);
            if (r != KT_OK)
                return r;
            if (s->fd < 0 || s->off >= s->end)
                return KT_OK;
            if (s->bytes - start >= budget) {
                *want = IO_WRITE;
                return KT_AGAIN;
            }
            s->pos = 0;
            if (fill(s, 0, log) != KT_OK)
                return KT_ERROR;
        }
    }

    r = flush_buf(s, sock, s->mode == SEND_KTLS ? ssl : NULL, s->fd >= 0, want, log);
    if (r != KT_OK)
        return r;
    while (s->fd >= 0 && s->off < s->end) {
        size_t n = 0, len = (size_t)(s->end - s->off);
        if (len > SENDFILE_CHUNK)
            len = SENDFILE_CHUNK;
        if (s->mode == SEND_KTLS)
            r = tls_sendfile(ssl, s->fd, s->off, len, &n, want, log);
        else
            r = plain_sendfile(s, sock, len, &n, want, log);
        if (r != KT_OK)
            return r;
        s->off += (off_t)n;
        s->bytes += n;
        if (budget <= n) {
            *want = IO_WRITE;
            return s->off < s->end ? KT_AGAIN : KT_OK;
        }
        budget -= n;
    }
    return KT_OK;
}

unsigned long long send_body_bytes(const struct send_state *s)
{
    return s->bytes > s->head_len ? s->bytes - s->head_len : 0;
}
