/* notify.c: sd_notify(3) and socket activation through libsystemd. */
#include "notify.h"
#include "log.h"
#include "util.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <systemd/sd-daemon.h>

#define MAX_PASSED 64

struct passed {
    int fd;
    int taken;
};

static struct passed passed[MAX_PASSED];
static int npassed;

void notify_ready(void)
{
    sd_notify(0, "READY=1");
}

/* systemd >= 253 checks that MONOTONIC_USEC is recent to tell this reload
 * from a stale one; older versions ignore the field. */
void notify_reloading(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    sd_notifyf(0, "RELOADING=1\nMONOTONIC_USEC=%llu",
               (unsigned long long)ts.tv_sec * 1000000ULL +
                   (unsigned long long)ts.tv_nsec / 1000ULL);
}

void notify_stopping(void)
{
    sd_notify(0, "STOPPING=1");
}

void notify_status(const char *text)
{
    sd_notifyf(0, "STATUS=%s", text);
}

/* sd_listen_fds() checks LISTEN_PID against our pid: sockets meant for
 * another process (a wrapper that exec'd us without fixing it) are not ours. */
int notify_listen_fds(void)
{
    int n = sd_listen_fds(1);
    if (n < 0) {
        log_error(LL_ALERT, NULL, "sd_listen_fds() failed (%d: %s)", -n, strerror(-n));
        return 0;
    }
    if (n > MAX_PASSED) {
        log_error(LL_WARN, NULL, "%d sockets passed by the service manager, using the first %d", n,
                  MAX_PASSED);
        for (int i = MAX_PASSED; i < n; i++)
            close(SD_LISTEN_FDS_START + i);
        n = MAX_PASSED;
    }
    for (int i = 0; i < n; i++) {
        int fd = SD_LISTEN_FDS_START + i, fl = fcntl(fd, F_GETFL);
        fcntl(fd, F_SETFD, FD_CLOEXEC);
        if (fl >= 0)
            fcntl(fd, F_SETFL, fl | O_NONBLOCK);
        passed[npassed++] = (struct passed){.fd = fd};
    }
    return n;
}

int notify_listen_take(const struct sockaddr *addr, socklen_t len)
{
    for (int i = 0; i < npassed; i++) {
        if (passed[i].fd < 0 || sd_is_socket_sockaddr(passed[i].fd, SOCK_STREAM, addr, len, 1) <= 0)
            continue;
        passed[i].taken = 1;
        return fcntl(passed[i].fd, F_DUPFD_CLOEXEC, 0);
    }
    return -1;
}

static void describe(int fd, char *out, size_t cap)
{
    struct sockaddr_storage ss;
    socklen_t len = sizeof(ss);
    char host[INET6_ADDRSTRLEN] = "?";
    int port = 0;
    if (getsockname(fd, (struct sockaddr *)&ss, &len) == 0) {
        if (ss.ss_family == AF_INET) {
            const struct sockaddr_in *s = (const struct sockaddr_in *)&ss;
            inet_ntop(AF_INET, &s->sin_addr, host, sizeof(host));
            port = ntohs(s->sin_port);
        } else if (ss.ss_family == AF_INET6) {
            const struct sockaddr_in6 *s = (const struct sockaddr_in6 *)&ss;
            inet_ntop(AF_INET6, &s->sin6_addr, host, sizeof(host));
            port = ntohs(s->sin6_port);
        } else {
            snprintf(host, sizeof(host), "family %d", ss.ss_family);
        }
    }
    snprintf(out, cap, ss.ss_family == AF_INET6 ? "[%s]:%d" : "%s:%d", host, port);
}

void notify_listen_close_unused(void)
{
    for (int i = 0; i < npassed; i++) {
        char where[INET6_ADDRSTRLEN + 16];
        if (passed[i].fd < 0 || passed[i].taken)
            continue;
        describe(passed[i].fd, where, sizeof(where));
        log_error(LL_WARN, NULL,
                  "socket %s (fd %d) passed by the service manager matches no \"listen\" "
                  "directive: closed",
                  where, passed[i].fd);
        close(passed[i].fd);
        passed[i].fd = -1;
    }
}
