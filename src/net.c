/* net.c: plain-socket reads and writes, errno decoded once. A peer that
 * went away (ECONNRESET, EPIPE) is logged at info, as nginx does for client
 * faults; anything else at error. */
#include "net.h"
#include "log.h"
#include "util.h"

#include <errno.h>
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
