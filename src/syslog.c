/* syslog.c: nginx's syslog log targets: one UDP (or unix datagram) message
 * per log line, "<PRI>Mmm dd hh:mm:ss HOSTNAME TAG: LINE" (RFC 3164), sent
 * at once (nginx: logs to syslog cannot be buffered). A message that cannot
 * be sent is lost, as with nginx. */
#include "syslog.h"
#include "util.h"

#include <errno.h>
#include <netdb.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

static const char *const facilities[] = {
    "kern",   "user",   "mail",     "daemon", "auth",   "intern", "lpr",    "news",
    "uucp",   "clock",  "authpriv", "ftp",    "ntp",    "audit",  "alert",  "cron",
    "local0", "local1", "local2",   "local3", "local4", "local5", "local6", "local7"};
static const char *const severities[] = {"emerg", "alert",  "crit", "error",
                                         "warn",  "notice", "info", "debug"};

static int word_index(const char *const *words, size_t n, const char *w, size_t len)
{
    for (size_t i = 0; i < n; i++)
        if (strlen(words[i]) == len && strncmp(words[i], w, len) == 0)
            return (int)i;
    return -1;
}

int syslog_parse(const char *spec, struct syslog_target *t, char *err, size_t errlen)
{
    const char *p = spec;
    memset(t, 0, sizeof(*t));
    t->fd = -1;
    t->facility = 23; /* local7 */
    t->severity = 6;  /* info */
    snprintf(t->tag, sizeof(t->tag), "nginx");
    while (*p != '\0') {
        size_t len = strcspn(p, ",");
        if (strncmp(p, "server=", 7) == 0 && len > 7 && len - 7 < sizeof(t->server)) {
            memcpy(t->server, p + 7, len - 7);
            t->server[len - 7] = '\0';
        } else if (strncmp(p, "facility=", 9) == 0) {
            if ((t->facility = word_index(facilities, ARRAY_LEN(facilities), p + 9, len - 9)) < 0) {
                snprintf(err, errlen, "unknown syslog facility \"%.*s\"", (int)(len - 9), p + 9);
                return KT_ERROR;
            }
        } else if (strncmp(p, "severity=", 9) == 0) {
            if ((t->severity = word_index(severities, ARRAY_LEN(severities), p + 9, len - 9)) < 0) {
                snprintf(err, errlen, "unknown syslog severity \"%.*s\"", (int)(len - 9), p + 9);
                return KT_ERROR;
            }
        } else if (strncmp(p, "tag=", 4) == 0) {
            if (len - 4 == 0 || len - 4 > 32) {
                snprintf(err, errlen, "syslog tag length exceeds 32");
                return KT_ERROR;
            }
            for (size_t i = 4; i < len; i++)
                if (!((p[i] >= 'a' && p[i] <= 'z') || (p[i] >= 'A' && p[i] <= 'Z') ||
                      (p[i] >= '0' && p[i] <= '9') || p[i] == '_')) {
                    snprintf(err, errlen,
                             "syslog \"tag\" only allows alphanumeric characters "
                             "and underscore");
                    return KT_ERROR;
                }
            memcpy(t->tag, p + 4, len - 4);
            t->tag[len - 4] = '\0';
        } else if (len == 10 && strncmp(p, "nohostname", 10) == 0) {
            t->nohostname = 1;
        } else {
            snprintf(err, errlen, "unknown syslog parameter \"%.*s\"", (int)len, p);
            return KT_ERROR;
        }
        p += len + (p[len] == ',');
    }
    if (t->server[0] == '\0') {
        snprintf(err, errlen, "no syslog server specified");
        return KT_ERROR;
    }
    return KT_OK;
}

int syslog_open(struct syslog_target *t)
{
    struct addrinfo hints = {.ai_socktype = SOCK_DGRAM}, *res;
    char host[256], *port = "514", *colon;
    int fd;
    if (strncmp(t->server, "unix:", 5) == 0) {
        struct sockaddr_un sun = {.sun_family = AF_UNIX};
        if (strlen(t->server + 5) >= sizeof(sun.sun_path)) {
            errno = ENAMETOOLONG;
            return KT_ERROR;
        }
        strcpy(sun.sun_path, t->server + 5);
        fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
        if (fd < 0 || connect(fd, (struct sockaddr *)&sun, sizeof(sun)) != 0) {
            int e = errno;
            if (fd >= 0)
                close(fd);
            errno = e;
            return KT_ERROR;
        }
        t->fd = fd;
        return KT_OK;
    }
    snprintf(host, sizeof(host), "%s", t->server);
    if (host[0] == '[') { /* [::1]:514 */
        char *close_b = strchr(host, ']');
        if (close_b == NULL) {
            errno = EINVAL;
            return KT_ERROR;
        }
        *close_b = '\0';
        if (close_b[1] == ':')
            port = close_b + 2;
        memmove(host, host + 1, strlen(host + 1) + 1);
    } else if ((colon = strrchr(host, ':')) != NULL) {
        *colon = '\0';
        port = colon + 1;
    }
    if (getaddrinfo(host, port, &hints, &res) != 0) {
        errno = EHOSTUNREACH;
        return KT_ERROR;
    }
    fd = socket(res->ai_family, SOCK_DGRAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
    if (fd < 0 || connect(fd, res->ai_addr, res->ai_addrlen) != 0) {
        int e = errno;
        if (fd >= 0)
            close(fd);
        freeaddrinfo(res);
        errno = e;
        return KT_ERROR;
    }
    freeaddrinfo(res);
    t->fd = fd;
    return KT_OK;
}

void syslog_send(const struct syslog_target *t, int severity, const char *msg, size_t len)
{
    char buf[8192], date[32], host[256] = "";
    time_t now = time(NULL);
    struct tm tm;
    int n;
    localtime_r(&now, &tm);
    strftime(date, sizeof(date), "%b %e %H:%M:%S", &tm);
    if (!t->nohostname && gethostname(host, sizeof(host) - 1) != 0)
        host[0] = '\0';
    n = snprintf(buf, sizeof(buf), "<%d>%s %s%s%s: %.*s",
                 t->facility * 8 + (severity >= 0 ? severity : t->severity), date, host,
                 t->nohostname ? "" : " ", t->tag, (int)len, msg);
    if (n > 0 && t->fd >= 0) {
        ssize_t w = send(t->fd, buf, (size_t)n < sizeof(buf) ? (size_t)n : sizeof(buf) - 1, 0);
        (void)w;
    }
}
