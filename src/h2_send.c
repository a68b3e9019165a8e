/* h2_send.c: what an HTTP/2 connection writes (see h2.c's opening comment
 * for the three ways DATA frames go out): the output buffer and its
 * writer, nghttp2's send callbacks, the response head read back into
 * HPACK fields, and the stream's access log line. */
#include "config.h"
#include "h2_core.h"
#include "net.h"
#include "reqlog.h"
#include "stats.h"
#include "tls.h"
#include "util.h"

#include <errno.h>
#include <string.h>
#include <strings.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <unistd.h>

#define OUT_CAP (64 * 1024) /* userspace: four full TLS records */

/* --- writing ---------------------------------------------------------------- */

/* The frames of one file that follow each other in out (a stream's frames
 * in a row) are read by one preadv(2) into their places between the 9-byte
 * headers, instead of a pread per frame. A file that shrank: its frames are
 * already framed, so only closing the connection is honest. */
int h2_reads_run(struct h2 *h)
{
    for (unsigned i = 0, n; i < h->nrd; i += n) {
        struct iovec iov[READS_MAX];
        unsigned k = 0;
        off_t off = h->rd[i].off, end = off;
        for (n = 0; i + n < h->nrd && h->rd[i + n].fd == h->rd[i].fd && h->rd[i + n].off == end;
             n++) {
            iov[n].iov_base = h->out + h->rd[i + n].pos;
            iov[n].iov_len = h->rd[i + n].len;
            end += (off_t)h->rd[i + n].len;
        }
        while (k < n) { /* a short read of a regular file: what is left, again */
            ssize_t r = preadv(h->rd[i].fd, iov + k, (int)(n - k), off);
            if (r < 0 && errno == EINTR)
                continue;
            if (r <= 0) {
                log_error(LL_ERR, h->log, "preadv() of %lld bytes at offset %lld failed: %s",
                          (long long)(end - off), (long long)off,
                          r < 0 ? strerror(errno) : "file was truncated");
                h->nrd = 0;
                return KT_ERROR;
            }
            off += r;
            for (size_t m; r > 0; r -= (ssize_t)m) {
                m = (size_t)r < iov[k].iov_len ? (size_t)r : iov[k].iov_len;
                iov[k].iov_base = (char *)iov[k].iov_base + m;
                if ((iov[k].iov_len -= m) == 0)
                    k++;
            }
        }
    }
    h->nrd = 0;
    return KT_OK;
}

/* OpenSSL writes each 16 KiB record by a write(2) of its own, and with
 * TCP_NODELAY each may leave as a packet of its own. While a connection
 * streams (out holds two records or more), TCP_CORK lets the records leave
 * in full-sized segments (64 KiB on loopback); it is lifted, pushing the
 * rest, as soon as there is nothing more to write, so small answers never
 * wait for it. kTLS frames keep send(MSG_MORE) + sendfile. */
void h2_cork(struct h2 *h, int on)
{
    if (h->corked == on || h->ssl == NULL || h->ktls)
        return;
    h->corked = on;
    setsockopt(h->fd, IPPROTO_TCP, TCP_CORK, &on, sizeof(on));
}

/* Writes out[opos..olen), then the rest of a kTLS frame in progress
 * (a frame is never interleaved: it was begun with out empty). KT_OK when
 * all is written. */
int h2_flush(struct h2 *h)
{
    int want = IO_WRITE;
    if (h->nrd > 0 && h2_reads_run(h) != KT_OK)
        return KT_ERROR;
    while (h->opos < h->olen) {
        size_t n = 0, len = h->wlen ? h->wlen : h->olen - h->opos;
        int r;
        if (h->ssl != NULL && !h->ktls)
            r = tls_write(h->ssl, h->out + h->opos, len, &n, &want, h->log);
        else /* kTLS: the kernel frames and encrypts what the socket gets */
            r = net_write(h->fd, h->out + h->opos, len, 0, &n, &want, h->log);
        if (r == KT_AGAIN) {
            h->wlen = len; /* SSL_write: the same bytes again */
            h->wblocked = 1;
            h->wwant = want;
            return KT_AGAIN;
        }
        if (r != KT_OK)
            return KT_ERROR;
        h->wlen = 0;
        h->opos += n;
    }
    h->opos = h->olen = 0;
    while (h->fr.active) {
        size_t n = 0;
        int r;
        if (h->fr.hpos < FRAME_HD) {
            r = net_write(h->fd, h->fr.hd + h->fr.hpos, FRAME_HD - h->fr.hpos, h->fr.left > 0, &n,
                          &want, h->log);
            if (r == KT_OK)
                h->fr.hpos += n;
        } else if (h->fr.left > 0) {
            r = net_sendfile(h->fd, h->fr.fd, h->fr.off, h->fr.left, &n, &want, h->log);
            if (r == KT_OK) {
                h->fr.off += (off_t)n;
                h->fr.left -= n;
                if (h->ssl != NULL)
                    stats_me->bytes_ktls += n;
                else
                    stats_me->bytes_sendfile += n;
                if (h->fr.st != NULL)
                    h->fr.st->file_bytes += n;
                h->progress = 1;
            }
        } else {
            h->fr.active = 0;
            if (h->fr.own_fd)
                close(h->fr.fd);
            h->fr.own_fd = 0;
            break;
        }
        if (r == KT_AGAIN) {
            h->wblocked = 1;
            h->wwant = want;
            return KT_AGAIN;
        }
        if (r != KT_OK)
            return KT_ERROR;
    }
    h->wblocked = 0;
    return KT_OK;
}

/* Room for len more bytes at the end of out: moves the unsent bytes down
 * when no SSL_write retry pins them. */
static int out_room(struct h2 *h, size_t len)
{
    if (h->fr.active)
        return 0;
    if (h->out == NULL) /* taken while there is something to write */
        h->out = xmalloc(OUT_CAP);
    if (h->olen + len <= OUT_CAP)
        return 1;
    if (h->wlen == 0 && h->opos > 0) {
        for (unsigned i = 0; i < h->nrd; i++) /* their places move with the bytes */
            h->rd[i].pos -= h->opos;
        memmove(h->out, h->out + h->opos, h->olen - h->opos);
        h->olen -= h->opos;
        h->opos = 0;
    }
    return h->olen + len <= OUT_CAP;
}

ssize_t h2_send_cb(nghttp2_session *s, const uint8_t *data, size_t len, int flags, void *arg)
{
    struct h2 *h = arg;
    (void)s;
    (void)flags;
    if (!out_room(h, len)) {
        if (h->olen > h->opos || h->fr.active)
            return NGHTTP2_ERR_WOULDBLOCK; /* written first, then this */
        len = OUT_CAP - h->olen;           /* a frame larger than out: in parts */
    }
    memcpy(h->out + h->olen, data, len);
    h->olen += len;
    return (ssize_t)len;
}

/* --- the body as DATA frames -------------------------------------------- */

struct h2_stream *h2_stream_of(struct h2 *h, int32_t id)
{
    return nghttp2_session_get_stream_user_data(h->s, id);
}

/* How much of the body the next frame carries: at most the rest of the
 * current segment (a frame never spans two), and what nghttp2 allows. */
ssize_t h2_read_cb(nghttp2_session *s, int32_t id, uint8_t *buf, size_t length, uint32_t *flags,
                   nghttp2_data_source *src, void *arg)
{
    struct h2 *h = arg;
    struct h2_stream *st = src->ptr;
    size_t n;
    (void)s;
    (void)id;
    (void)buf;
    while (st->seg < st->reply.nsegs && st->reply.segs[st->seg].len == st->seg_off) {
        st->seg++;
        st->seg_off = 0;
    }
    if (st->seg >= st->reply.nsegs) {
        *flags |= NGHTTP2_DATA_FLAG_EOF;
        return 0;
    }
    n = st->reply.segs[st->seg].len - st->seg_off;
    if (n > length)
        n = length;
    if (n > h->payload_max)
        n = h->payload_max;
    *flags |= NGHTTP2_DATA_FLAG_NO_COPY;
    if (n == st->body_left)
        *flags |= NGHTTP2_DATA_FLAG_EOF;
    return (ssize_t)n;
}

static void stream_advance(struct h2_stream *st, size_t len)
{
    st->seg_off += len;
    st->body_left -= len;
    st->body_sent += len;
    st->h->progress = 1;
}

/* One DATA frame: framehd (9 bytes) and length payload bytes of the
 * stream's current segment. Under kTLS with a file segment, the frame is
 * begun on the socket and finished by h2_flush(); otherwise it is copied into
 * out. WOULDBLOCK leaves it to nghttp2 to offer again. */
int h2_send_data_cb(nghttp2_session *s, nghttp2_frame *frame, const uint8_t *framehd, size_t length,
                    nghttp2_data_source *src, void *arg)
{
    struct h2 *h = arg;
    struct h2_stream *st = src->ptr;
    const struct send_seg *g = &st->reply.segs[st->seg];
    (void)s;

    if (frame->data.padlen > 0)
        return NGHTTP2_ERR_CALLBACK_FAILURE; /* no padding is ever asked for */
    if (h->direct && g->mem == NULL && st->reply.sendfile) {
        if (h->fr.active)
            return NGHTTP2_ERR_WOULDBLOCK;
        if (h->olen > h->opos) { /* HEADERS and the rest first, in records of their own */
            int r = h2_flush(h);
            if (r == KT_ERROR) {
                h->fatal = 1;
                return NGHTTP2_ERR_CALLBACK_FAILURE;
            }
            if (r == KT_AGAIN)
                return NGHTTP2_ERR_WOULDBLOCK;
        }
        memcpy(h->fr.hd, framehd, FRAME_HD);
        h->fr.hpos = 0;
        h->fr.fd = st->reply.fd;
        h->fr.off = g->off + (off_t)st->seg_off;
        h->fr.left = length;
        h->fr.st = st;
        h->fr.active = 1;
        stream_advance(st, length);
        if (h2_flush(h) == KT_ERROR)
            h->fatal = 1;
        return 0; /* begun: the frame is ours to finish */
    }
    if (!out_room(h, FRAME_HD + length))
        return NGHTTP2_ERR_WOULDBLOCK;
    memcpy(h->out + h->olen, framehd, FRAME_HD);
    if (g->mem != NULL) {
        memcpy(h->out + h->olen + FRAME_HD, g->mem + st->seg_off, length);
        stats_me->bytes_fallback += length;
    } else if (length > 0) { /* its place is kept; h2_flush() reads it with its neighbours */
        if (h->nrd == READS_MAX && h2_reads_run(h) != KT_OK) {
            h->fatal = 1;
            return NGHTTP2_ERR_CALLBACK_FAILURE;
        }
        h->rd[h->nrd].fd = st->reply.fd;
        h->rd[h->nrd].off = g->off + (off_t)st->seg_off;
        h->rd[h->nrd].pos = h->olen + FRAME_HD;
        h->rd[h->nrd++].len = length;
        stats_me->bytes_fallback += length;
        st->file_bytes += length;
    }
    h->olen += FRAME_HD + length;
    stream_advance(st, length);
    return 0;
}

/* --- answering ---------------------------------------------------------- */

static int nv_skip(const char *name, size_t len)
{
    static const char *const conn_specific[] = {"connection", "keep-alive", "transfer-encoding",
                                                "proxy-connection", "upgrade"};
    for (size_t i = 0; i < sizeof(conn_specific) / sizeof(conn_specific[0]); i++)
        if (strlen(conn_specific[i]) == len && strncasecmp(conn_specific[i], name, len) == 0)
            return 1;
    return 0;
}

/* Reads the HTTP/1.1 head http_head wrote back into an HTTP/2 header
 * list: ":status" from the status line, the fields with their names
 * lowercased in place, without the connection-specific ones. Returns the
 * count. */
size_t h2_head_to_nv(char *head, size_t len, nghttp2_nv *nv, size_t max, char *status)
{
    char *p = head, *end = head + len;
    char *eol = memchr(p, '\n', len);
    size_t n = 0;
    if (len < 12 || eol == NULL)
        return 0;
    memcpy(status, head + 9, 3);
    status[3] = '\0';
    nv[n++] = (nghttp2_nv){(uint8_t *)":status", (uint8_t *)status, 7, 3, NGHTTP2_NV_FLAG_NONE};
    p = eol + 1;
    while (p < end && n < max) {
        char *colon, *v, *ve;
        eol = memchr(p, '\n', (size_t)(end - p));
        if (eol == NULL)
            break;
        ve = eol > p && eol[-1] == '\r' ? eol - 1 : eol;
        if (ve == p) /* the empty line */
            break;
        colon = memchr(p, ':', (size_t)(ve - p));
        if (colon != NULL && !nv_skip(p, (size_t)(colon - p))) {
            for (char *c = p; c < colon; c++)
                if (*c >= 'A' && *c <= 'Z')
                    *c = (char)(*c + 32);
            v = colon + 1;
            while (v < ve && (*v == ' ' || *v == '\t'))
                v++;
            nv[n++] = (nghttp2_nv){(uint8_t *)p, (uint8_t *)v, (size_t)(colon - p),
                                   (size_t)(ve - v), NGHTTP2_NV_FLAG_NONE};
        }
        p = eol + 1;
    }
    return n;
}

/* The access log line of a stream, as HTTP/1.1 writes one ($bytes_sent
 * counts the head as HTTP/1.1 text, not its HPACK size). */
void h2_stream_log(struct h2_stream *st)
{
    struct h2 *h = st->h;
    struct reqlog l = {
        .srv = st->reply.srv != NULL ? st->reply.srv : h->env.srv,
        .req = &st->req,
        .rbuf = st->rbuf,
        .reply = &st->reply,
        .peer = h->log->peer,
        .ssl = h->ssl,
        .ktls = h->ktls_text,
        .ktls_mode = h->ktls_mode,
        .status = st->reply.status,
        .bytes = st->body_sent + st->reply.head_len,
        .body_bytes = st->body_sent,
        .start = st->start,
        .now = h->now(h->now_arg),
        .connection = h->id,
    };
    if (l.srv == NULL || l.srv->access_log == NULL)
        return;
    l.connection_requests = ++h->logged;
    reqlog_write(&l);
}
