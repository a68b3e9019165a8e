/* net.c: plain-socket reads and writes, errno decoded once. A peer that
 * went away (ECONNRESET, EPIPE) is logged at info, as nginx does for client
 * faults; anything else at error. */
#include "net.h"
#include "log.h"
#include "util.h"

#include <errno.h>
#include <stddef.h>
#include <linux/tcp.h> /* tcpi_data_segs_out, tcpi_notsent_bytes: not in glibc's */
#include <netinet/in.h>
#include <string.h>
#include <sys/sendfile.h>
#include <sys/socket.h>

static int failed(const char *call, const struct log_ctx *log)
{
    if (errno == EAGAIN || errno == EWOULDBLOCK)
        return KT_AGAIN;
    log_error(errno == EPIPE || errno == ECONNRESET ? LL_INFO : LL_ERR, log, "%s failed (%d: %s)",
              call, errno, strerror(errno));
    return KT_ERROR;
}

int net_read(int fd, void *buf, size_t len, size_t *n, int *want, const struct log_ctx *log)
{
    ssize_t r;
    do
        r = recv(fd, buf, len, 0);
    while (r < 0 && errno == EINTR);
    if (r >= 0) {
        *n = (size_t)r;
        return KT_OK;
    }
    *want = IO_READ;
    if (errno == ECONNRESET) { /* as tls_read: an end of stream */
        *n = 0;
        return KT_OK;
    }
    return failed("recv()", log);
}

int net_write(int fd, const void *buf, size_t len, int more, size_t *n, int *want,
              const struct log_ctx *log)
{
    ssize_t r;
    do
        r = send(fd, buf, len, MSG_NOSIGNAL | (more ? MSG_MORE : 0));
    while (r < 0 && errno == EINTR);
    if (r >= 0) {
        *n = (size_t)r;
        return KT_OK;
    }
    *want = IO_WRITE;
    return failed("send()", log);
}

int net_sendfile(int sock, int fd, off_t off, size_t len, size_t *n, int *want,
                 const struct log_ctx *log)
{
    ssize_t r;
    do
        r = sendfile(sock, fd, &off, len);
    while (r < 0 && errno == EINTR);
    if (r > 0) {
        *n = (size_t)r;
        return KT_OK;
    }
    if (r == 0) {
        log_error(LL_ERR, log, "sendfile() sent 0 bytes at offset %lld: file was truncated",
                  (long long)off);
        return KT_ERROR;
    }
    *want = IO_WRITE;
    return failed("sendfile()", log);
}

/* TCP paces a socket by itself (Linux 4.13+, whatever the qdisc) once
 * SO_MAX_PACING_RATE caps sk_pacing_rate, but tcp_update_skb_after_send()
 * (4.20+) lets the first 10 data segments go unpaced, as sch_fq does: on
 * loopback (MSS 64 KiB) that is 640 KiB at full speed, which is why a
 * rate set on a fresh connection overshot 1.6-1.7x over 1 MB. So the
 * kernel takes over only once those 10 have gone (the handshake and the
 * head count), and only when nothing unsent is queued, so that no byte of
 * limit_rate_after is paced. tcp_info's fields: 4.6 (data_segs_out) and
 * 4.6 (notsent_bytes). */
static int tcp_info_of(int sock, struct tcp_info *ti)
{
    socklen_t len = sizeof(*ti);
    memset(ti, 0, sizeof(*ti));
    return getsockopt(sock, IPPROTO_TCP, TCP_INFO, ti, &len) == 0 &&
           len >= offsetof(struct tcp_info, tcpi_data_segs_out) + sizeof(ti->tcpi_data_segs_out);
}

int net_pace_ready(int sock, unsigned *mss)
{
    struct tcp_info ti;
    if (!tcp_info_of(sock, &ti) || ti.tcpi_data_segs_out < 10 || ti.tcpi_notsent_bytes != 0)
        return 0;
    *mss = ti.tcpi_snd_mss;
    return 1;
}

unsigned net_unsent(int sock)
{
    struct tcp_info ti;
    return tcp_info_of(sock, &ti) ? ti.tcpi_notsent_bytes : 0;
}

int net_pace(int sock, unsigned long long rate, unsigned lowat)
{
    /* ~0U: no cap; a 32-bit value is what every kernel takes */
    unsigned int r = rate == 0 || rate >= ~0U ? ~0U : (unsigned int)rate;
    int low = rate == 0 ? 0 : (int)lowat; /* 0: net.ipv4.tcp_notsent_lowat again */
    if (setsockopt(sock, SOL_SOCKET, SO_MAX_PACING_RATE, &r, sizeof(r)) != 0)
        return KT_ERROR;
    if (setsockopt(sock, IPPROTO_TCP, TCP_NOTSENT_LOWAT, &low, sizeof(low)) != 0) {
        r = ~0U; /* the caller takes it as not paced: no rate left on the socket either */
        setsockopt(sock, SOL_SOCKET, SO_MAX_PACING_RATE, &r, sizeof(r));
        return KT_ERROR;
    }
    return KT_OK;
}
