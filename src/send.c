/* send.c: the response bytes. Four paths, chosen once per response by the
 * connection:
 *
 *   SEND_KTLS       kTLS TX is on: the kernel frames and encrypts whatever is
 *                   written to the socket, so the head goes by send(MSG_MORE)
 *                   and the file by sendfile(2), straight on the socket: the
 *                   kernel seals both into one record when they fit 16 KiB,
 *                   and no file byte passes through user space (see
 *                   tls_ktls_direct() for why OpenSSL may be bypassed).
 *   SEND_TLS_COPY   the fallback: large pread()s and SSL_write(); the head and
 *                   the first body bytes share one buffer, and so one TLS
 *                   record for small files.
 *   SEND_PLAIN      a listener without ssl: send(MSG_MORE) then sendfile(2).
 *   SEND_PLAIN_COPY the same with "sendfile off".
 *
 * Each call sends at most SEND_BUDGET bytes and then yields to the event
 * loop with KT_AGAIN, so that one fast reader cannot starve the others. */
#include "send.h"
#include "log.h"
#include "net.h"
#include "tls.h"
#include "util.h"

#include <errno.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define SENDFILE_CHUNK (2u << 20)
#define SEND_BUDGET (8u << 20)

void send_start(struct send_state *s, enum send_mode mode, char *buf, size_t cap, size_t head_len,
                int fd, struct send_seg *segs, size_t nsegs)
{
    s->mode = mode;
    s->buf = buf;
    s->cap = cap;
    s->pos = 0;
    s->len = head_len;
    s->head_len = head_len;
    s->fd = fd;
    s->segs = segs;
    s->nsegs = nsegs;
    s->cur = 0;
    s->pending = 0;
    s->bytes = s->file_bytes = 0;
    s->rate = s->rate_after = 0;
    s->start = s->delay = 0;
    s->kpace = 0;
}

/* limit_rate, as nginx paces it (ngx_http_write_filter delays each send
 * by the time its bytes take at the rate): past limit_rate_after, the
 * bytes sent take bytes / rate seconds from the first one.
 *
 * The kernel paces the socket itself once it can (net_pace_ready(): TCP's
 * first 10 data segments go unpaced, and limit_rate_after's bytes must
 * have left): SO_MAX_PACING_RATE at the rate, and TCP_NOTSENT_LOWAT keeps
 * about PACE_LOWAT unsent bytes queued, so the connection waits on the
 * socket like any other, with no timer, and sendfile() hands kTLS whole
 * 16 KiB records (a timer's quantum cuts one short at each wake-up). The
 * bytes written then may run ahead of rate * time by the queue and a TSO
 * burst only (PACE_SLACK); beyond that, the timer below takes over as a
 * backstop. The last two segments' bytes keep to rate * time exactly: TCP
 * waits after each packet, not before, so its last one (TSO: two segments,
 * 128 KiB on loopback) would end the transfer that much early. Measured
 * (README, limits row): within 5% over 5 s on loopback, where a rate set
 * from the first byte overshot 1.6-1.7x.
 *
 * Until then, and wherever setsockopt() fails, a timer, the same on every
 * send path: returns 0 with *room cut to what may go now, or 1 when less
 * than a quantum (an eighth of a second's worth, 1..64 KiB) may: s->delay
 * says how long until one may, and the connection waits on its timer. */
/* about an eighth of a second's worth, 64 KiB (four kTLS records) to 4 MiB */
#define PACE_LOWAT(rate)                                                                           \
    ((rate) / 8 < 65536 ? 65536 : (rate) / 8 > (4 << 20) ? (4 << 20) : (rate) / 8)
#define PACE_SLACK(rate, mss) (2 * PACE_LOWAT(rate) + 4 * (long long)(mss))

static double mono_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* The response's bytes not yet written (the buffered ones included). */
static unsigned long long left_bytes(const struct send_state *s)
{
    unsigned long long n = s->len - s->pos;
    for (size_t i = s->cur; i < s->nsegs; i++)
        n += s->segs[i].len;
    return n;
}

/* What may be written now: rate * time past what was written, on the
 * timers' timeline (from the first byte, limit_rate_after free) or, once
 * the kernel paces, on its own (with the slack of its queue). */
static long long pace_allowed(const struct send_state *s, double now)
{
    long long slack;
    if (!s->kpace)
        return (long long)((double)s->rate * (now - s->start)) -
               ((long long)s->bytes - s->rate_after);
    slack = left_bytes(s) > 2ull * s->kmss ? PACE_SLACK(s->rate, s->kmss) : 0;
    return (long long)((double)s->rate * (now - s->kstart)) + slack -
           (long long)(s->bytes - s->kbase);
}

static int paced(struct send_state *s, int sock, size_t *room)
{
    double now;
    long long allowed, quantum;
    if (s->rate <= 0)
        return 0;
    now = mono_now();
    if (s->start == 0)
        s->start = now;
    quantum = s->rate / 8 < 1 ? 1 : s->rate / 8 > 65536 ? 65536 : s->rate / 8;
    allowed = pace_allowed(s, now);
    /* the kernel takes over when the timers would wait, so that what they
     * had in hand (under a quantum) is not lost; it carries over */
    if (!s->kpace && allowed < quantum && (long long)s->bytes >= s->rate_after &&
        net_pace_ready(sock, &s->kmss) &&
        net_pace(sock, (unsigned long long)s->rate, (unsigned)PACE_LOWAT(s->rate)) == KT_OK) {
        s->kpace = 1;
        s->kstart = now;
        s->kend = 0;
        s->kbase = s->bytes - (unsigned long long)allowed;
        allowed = pace_allowed(s, now);
    }
    if (allowed < quantum && (allowed < 0 || (unsigned long long)allowed < *room)) {
        s->delay = (double)(quantum - allowed) / (double)s->rate;
        return 1;
    }
    if ((unsigned long long)allowed < *room)
        *room = (size_t)allowed;
    return 0;
}

/* The response's last bytes are queued: with the kernel pacing, 1 (and
 * s->delay) while some are unsent, so that the next response on the
 * connection does not go at this one's rate; then the socket's defaults
 * again. Not past the time those bytes take and a second: the timer does
 * not watch for a client that stopped reading, send_timeout does. */
static int pace_end(struct send_state *s, int sock)
{
    unsigned left;
    double now;
    if (!s->kpace)
        return 0;
    left = net_unsent(sock);
    now = mono_now();
    if (s->kend == 0) /* a client that stops reading is not waited for longer */
        s->kend = now + (double)left / (double)s->rate + 1;
    if (left > 0 && now < s->kend) {
        s->delay = (double)left / (double)s->rate + 0.001;
        return 1;
    }
    net_pace(sock, 0, 0);
    s->kpace = 0;
    return 0;
}

/* Copy modes: moves body bytes into buf[len..cap) from the segments. 0 file
 * bytes before the end means the file shrank under us: an error, never
 * padding or garbage. */
static int stage(struct send_state *s, const struct log_ctx *log)
{
    while (s->cur < s->nsegs && s->len < s->cap) {
        struct send_seg *g = &s->segs[s->cur];
        size_t room = s->cap - s->len, n = g->len < room ? g->len : room;
        if (g->mem != NULL) {
            memcpy(s->buf + s->len, g->mem, n);
            g->mem += n;
        } else {
            ssize_t r;
            do
                r = pread(s->fd, s->buf + s->len, n, g->off);
            while (r < 0 && errno == EINTR);
            if (r < 0) {
                log_error(LL_CRIT, log, "pread() failed at offset %lld (%d: %s)", (long long)g->off,
                          errno, strerror(errno));
                return KT_ERROR;
            }
            if (r == 0) {
                log_error(LL_ERR, log,
                          "file was truncated: pread() at offset %lld returned 0, %zu bytes short",
                          (long long)g->off, g->len);
                return KT_ERROR;
            }
            n = (size_t)r;
            g->off += r;
            s->file_bytes += n;
        }
        g->len -= n;
        s->len += n;
        if (g->len == 0)
            s->cur++;
    }
    return KT_OK;
}

/* Writes buf[pos..len) through OpenSSL (ssl set), or to the socket itself
 * (plain, or kTLS: the kernel encrypts). more: MSG_MORE, file bytes follow. */
static int flush_buf(struct send_state *s, int sock, SSL *ssl, int more, int *want,
                     const struct log_ctx *log)
{
    while (s->pos < s->len) {
        size_t n = 0;
        int r = ssl != NULL
                    ? tls_write(ssl, s->buf + s->pos, s->len - s->pos, &n, want, log)
                    : net_write(sock, s->buf + s->pos, s->len - s->pos, more, &n, want, log);
        if (r != KT_OK) {
            s->pending = 1;
            return r;
        }
        s->pos += n;
        s->bytes += n;
    }
    s->pos = s->len = 0;
    s->pending = 0;
    return KT_OK;
}

static int run_copy(struct send_state *s, int sock, SSL *ssl, int *want, const struct log_ctx *log)
{
    unsigned long long start = s->bytes;
    for (;;) {
        int r;
        if (!s->pending && s->cur < s->nsegs) {
            size_t cap = s->cap, room = s->cap - s->len;
            if (paced(s, sock, &room)) {
                *want = 0;
                return KT_AGAIN;
            }
            s->cap = s->len + room;
            r = stage(s, log);
            s->cap = cap;
            if (r != KT_OK)
                return KT_ERROR;
        }
        r = flush_buf(s, sock, s->mode == SEND_TLS_COPY ? ssl : NULL, 0, want, log);
        if (r != KT_OK)
            return r;
        if (s->cur >= s->nsegs) {
            if (pace_end(s, sock)) {
                *want = 0;
                return KT_AGAIN;
            }
            return KT_OK;
        }
        if (s->bytes - start >= SEND_BUDGET) {
            *want = IO_WRITE;
            return KT_AGAIN;
        }
    }
}

int send_run(struct send_state *s, int sock, SSL *ssl, int *want, const struct log_ctx *log)
{
    size_t budget = SEND_BUDGET;
    int r;

    if (s->mode == SEND_TLS_COPY || s->mode == SEND_PLAIN_COPY)
        return run_copy(s, sock, ssl, want, log);

    for (;;) {
        struct send_seg *g;
        /* memory (the head, part heads) goes through buf */
        while (!s->pending && s->cur < s->nsegs && s->segs[s->cur].mem != NULL && s->len < s->cap) {
            g = &s->segs[s->cur];
            size_t n = g->len < s->cap - s->len ? g->len : s->cap - s->len;
            memcpy(s->buf + s->len, g->mem, n);
            g->mem += n;
            g->len -= n;
            s->len += n;
            if (g->len == 0)
                s->cur++;
        }
        r = flush_buf(s, sock, NULL, s->cur < s->nsegs, want, log);
        if (r != KT_OK)
            return r;
        if (s->cur >= s->nsegs) {
            if (pace_end(s, sock)) {
                *want = 0;
                return KT_AGAIN;
            }
            return KT_OK;
        }
        g = &s->segs[s->cur];
        if (g->mem != NULL)
            continue;
        while (g->len > 0) {
            size_t n = 0, len = g->len < SENDFILE_CHUNK ? g->len : SENDFILE_CHUNK;
            if (paced(s, sock, &len)) {
                *want = 0;
                return KT_AGAIN;
            }
            r = net_sendfile(sock, s->fd, g->off, len, &n, want, log);
            if (r != KT_OK)
                return r;
            g->off += (off_t)n;
            g->len -= n;
            s->bytes += n;
            s->file_bytes += n;
            if (budget <= n) {
                if (g->len == 0)
                    s->cur++;
                *want = IO_WRITE;
                if (s->cur >= s->nsegs && pace_end(s, sock)) {
                    *want = 0;
                    return KT_AGAIN;
                }
                return s->cur < s->nsegs ? KT_AGAIN : KT_OK;
            }
            budget -= n;
        }
        s->cur++;
    }
}

unsigned long long send_body_bytes(const struct send_state *s)
{
    return s->bytes > s->head_len ? s->bytes - s->head_len : 0;
}
