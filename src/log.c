/* log.c: the error log: levels, targets (a file, stderr, syslog), per-server
 * error_logs, flood control, lines with context. Access logs and
 * log_format are in access_log.c. */
#include "log.h"
#include "syslog.h"
#include "util.h"

#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static const char *level_names[] = {"emerg", "alert",  "crit", "error",
                                    "warn",  "notice", "info", "debug"};

static int err_fd = 2;
static int err_level = LL_NOTICE;
static int err_pid;
static struct syslog_target *err_sl; /* "error_log syslog:...": the main log's target */

int log_level_parse(const char *name)
{
    for (size_t i = 0; i < ARRAY_LEN(level_names); i++)
        if (strcmp(name, level_names[i]) == 0)
            return (int)i;
    return -1;
}

struct error_log {
    char *path;
    int fd;
    int level;
    struct syslog_target *sl; /* "syslog:...", or NULL */
};

struct syslog_target *log_syslog_open(const char *path)
{
    char err[128];
    struct syslog_target *t = xcalloc(1, sizeof(*t));
    errno = 0;
    if (syslog_parse(path + 7, t, err, sizeof(err)) != KT_OK || syslog_open(t) != KT_OK) {
        int e = errno ? errno : EINVAL;
        free(t);
        errno = e;
        return NULL;
    }
    return t;
}

int log_open_file(const char *path)
{
    return open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0644);
}

int log_reopen(const char *path, int fd)
{
    int nfd = log_open_file(path);
    int r;
    if (nfd < 0)
        return KT_ERROR;
    r = dup3(nfd, fd, O_CLOEXEC);
    close(nfd);
    return r < 0 ? KT_ERROR : KT_OK;
}

/* A file, "stderr", or "syslog:..." (*sl then holds its target). */
static int open_log_target(const char *path, struct syslog_target **sl)
{
    *sl = NULL;
    if (strncmp(path, "syslog:", 7) == 0) {
        *sl = log_syslog_open(path);
        return *sl != NULL ? (*sl)->fd : -1;
    }
    if (strcmp(path, "stderr") == 0)
        return fcntl(2, F_DUPFD_CLOEXEC, 3);
    return log_open_file(path);
}

struct error_log *error_log_open(const char *path, int level)
{
    struct error_log *l;
    struct syslog_target *sl;
    int fd = open_log_target(path, &sl);
    if (fd < 0)
        return NULL;
    l = xcalloc(1, sizeof(*l));
    l->path = xstrdup(path);
    l->fd = fd;
    l->level = level;
    l->sl = sl;
    return l;
}

int error_log_is(const struct error_log *l, const char *path, int level)
{
    return strcmp(l->path, path) == 0 && l->level == level;
}

int error_log_reopen(struct error_log *l)
{
    /* a syslog target is not reopened; "stderr" is reopened as a file, as before */
    return l->sl != NULL ? KT_OK : log_reopen(l->path, l->fd);
}

void error_log_close(struct error_log *l)
{
    if (l == NULL)
        return;
    close(l->fd);
    free(l->path);
    free(l->sl);
    free(l);
}

int log_error_open(const char *path, int level)
{
    int fd = 2;
    struct syslog_target *sl = NULL;
    if (strcmp(path, "stderr") != 0) {
        fd = open_log_target(path, &sl);
        if (fd < 0)
            return KT_ERROR;
    }
    if (err_fd > 2)
        close(err_fd);
    free(err_sl);
    err_fd = fd;
    err_sl = sl;
    err_level = level;
    return KT_OK;
}

void log_error_set_pid_tag(int pid)
{
    err_pid = pid;
}

int log_pid(void)
{
    return err_pid != 0 ? err_pid : (int)getpid();
}

int log_error_level(void)
{
    return err_level;
}

/* Flood control: a message (by its format) is written at most LOG_BURST
 * times a second; the rest are counted and the count is written once the
 * second is over, so that a client-driven storm (connections refused, a
 * full disk) cannot fill the log or cost a write(2) each. */
#define LOG_BURST 10
#define LOG_SLOTS 32

static struct {
    const char *fmt;
    time_t sec;
    unsigned n, dropped;
} flood[LOG_SLOTS];

static void write_line(int level, const struct log_ctx *ctx, const char *msg, size_t mlen);

static void flood_report(size_t i)
{
    char msg[160];
    int m;
    if (flood[i].dropped == 0)
        return;
    m = snprintf(msg, sizeof(msg), "%u more messages like \"%.60s\" were not logged in that second",
                 flood[i].dropped, flood[i].fmt);
    flood[i].dropped = 0;
    write_line(LL_WARN, NULL, msg, m > 0 && (size_t)m < sizeof(msg) ? (size_t)m : sizeof(msg) - 1);
}

/* Whether a message with this format may be written now. */
static int flood_allows(const char *fmt, time_t now)
{
    size_t i = ((uintptr_t)fmt >> 3) % LOG_SLOTS;
    if (flood[i].fmt != fmt || flood[i].sec != now) {
        flood_report(i);
        flood[i].fmt = fmt;
        flood[i].sec = now;
        flood[i].n = 0;
    }
    if (++flood[i].n <= LOG_BURST)
        return 1;
    flood[i].dropped++;
    return 0;
}

/* One line: the message's control characters escaped as \xHH, so that a
 * client's "%0a" in a URI cannot forge a line of its own. */
static void write_line(int level, const struct log_ctx *ctx, const char *msg, size_t mlen)
{
    int fd = err_fd;
    const struct syslog_target *sl = err_sl;
    char line[2048];
    size_t n;
    int r;

    r = snprintf(line, sizeof(line), "%s [%s] %d#0: ", time_now.err_local, level_names[level],
                 err_pid ? err_pid : (int)getpid());
    n = (size_t)r;
    if (ctx != NULL && ctx->id != 0 && n < sizeof(line))
        n += (size_t)snprintf(line + n, sizeof(line) - n, "*%lu ", ctx->id);
    for (size_t i = 0; i < mlen && n + 4 < sizeof(line); i++) {
        unsigned char c = (unsigned char)msg[i];
        if (c < 0x20 || c == 0x7f)
            n += (size_t)snprintf(line + n, sizeof(line) - n, "\\x%02X", c);
        else
            line[n++] = (char)c;
    }
    if (ctx != NULL && ctx->action != NULL && n < sizeof(line))
        n += (size_t)snprintf(line + n, sizeof(line) - n, " while %s", ctx->action);
    if (ctx != NULL && ctx->peer != NULL && n < sizeof(line))
        n += (size_t)snprintf(line + n, sizeof(line) - n, ", client: %s", ctx->peer);
    if (n > sizeof(line) - 2)
        n = sizeof(line) - 2;
    line[n++] = '\n';
    if (ctx != NULL && ctx->dest != NULL) {
        fd = ctx->dest->fd;
        sl = ctx->dest->sl;
    }
    if (sl != NULL) { /* nginx: the whole line, the level as the severity */
        syslog_send(sl, level, line, n - 1);
        return;
    }
    /* One write(2) per line: O_APPEND keeps lines of concurrent workers whole. */
    while (write(fd, line, n) < 0 && errno == EINTR)
        ;
}

void log_verror(int level, const struct log_ctx *ctx, const char *fmt, va_list ap)
{
    char msg[2048];
    int saved = errno, r;

    if (level > (ctx != NULL && ctx->dest != NULL ? ctx->dest->level : err_level))
        return;
    time_update(time(NULL));
    if (flood_allows(fmt, time_now.sec)) {
        r = vsnprintf(msg, sizeof(msg), fmt, ap);
        if (r < 0)
            r = 0;
        write_line(level, ctx, msg, (size_t)r < sizeof(msg) ? (size_t)r : sizeof(msg) - 1);
    }
    errno = saved; /* callers may still want it */
}

void log_error(int level, const struct log_ctx *ctx, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    log_verror(level, ctx, fmt, ap);
    va_end(ap);
}
