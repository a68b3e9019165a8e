/* server.c: the master process. It binds the listeners (so that workers
 * need no privileges), forks worker_processes workers, restarts a worker
 * that dies (with a back-off), and turns signals into stop, graceful stop,
 * reload and log reopening. A configuration with its listeners and its
 * workers is a "generation": reload starts a new one beside the old, which
 * then stops gracefully, keeping the listening sockets they share. */
#include "server.h"
#include "config.h"
#include "log.h"
#include "mime.h"
#include "static.h"
#include "tls.h"
#include "util.h"
#include "worker.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <netinet/in.h>
#include <pwd.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define MAX_WORKERS 1024
#define STOP_TIMEOUT 10   /* seconds before SIGKILL on a fast stop */
#define RESPAWN_FAST 2.0  /* a worker dying sooner than this after start... */
#define RESPAWN_BACKOFF_MAX 30.0

struct slot {
    pid_t pid;
    double started;
    double respawn_at; /* 0: none pending */
    double backoff;
};

struct generation {
    struct config *cf;
    struct listener *ls;
    struct sockaddr_storage *addrs;
    size_t nls;
    struct slot *slots;
    int nslots;
    uid_t uid;
    gid_t gid;
    int drop;
};

static double now_mono(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

int server_activate(struct config *cf, char *err, size_t errlen)
{
    mime_load("/etc/mime.types");
    for (size_t i = 0; i < cf->nservers; i++) {
        struct server_conf *s = cf->servers[i];
        int need_ssl = 0;
        s->root_fd = static_root_open(s->c.root);
        if (s->root_fd < 0)
            log_error(LL_WARN, NULL, "%s:%d: root \"%s\" cannot be opened (%d: %s): its requests will get 404",
                      s->file, s->line, s->c.root, errno, strerror(errno));
        for (size_t j = 0; j < s->nlistens; j++)
            need_ssl |= s->listens[j].ssl;
        if (need_ssl) {
            char e[768];
            s->ssl_ctx = tls_ctx_create(&s->c, e, sizeof(e));
            if (s->ssl_ctx == NULL) {
                snprintf(err, errlen, "%s:%d: %s", s->file, s->line, e);
                return KT_ERROR;
            }
        }
        if (strcmp(s->c.access_log_path, "off") != 0) {
            const struct log_format *f = log_format_combined();
            if (s->c.access_log_format != NULL && strcmp(s->c.access_log_format, "combined") != 0)
                for (size_t k = 0; k < cf->nformats; k++)
                    if (strcmp(log_format_name(cf->formats[k].fmt), s->c.access_log_format) == 0)
                        f = cf->formats[k].fmt;
            s->access_log = access_log_open(s->c.access_log_path, f);
            if (s->access_log == NULL) {
                snprintf(err, errlen, "%s:%d: open() \"%s\" failed (%d: %s)", s->file, s->line,
                         s->c.access_log_path, errno, strerror(errno));
                return KT_ERROR;
            }
        }
    }
    return KT_OK;
}

static void fatal_or_log(int to_stderr, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void fatal_or_log(int to_stderr, const char *fmt, ...)
{
    char msg[1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    log_error(LL_EMERG, NULL, "%s", msg);
    if (to_stderr)
        fprintf(stderr, "ktlsd: [emerg] %s\n", msg);
}

static int open_listener(const struct listen_conf *l, char *err, size_t errlen)
{
    int one = 1, fd = socket(l->addr.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd < 0) {
        snprintf(err, errlen, "socket() for %s failed (%d: %s)", l->text, errno, strerror(errno));
        return -1;
    }
    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
    if (l->addr.ss_family == AF_INET6)
        setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof(one));
    if (bind(fd, (const struct sockaddr *)&l->addr, l->addrlen) != 0) {
        snprintf(err, errlen, "%s:%d: bind() to %s failed (%d: %s)", l->file, l->line, l->text, errno,
                 strerror(errno));
        close(fd);
        return -1;
    }
    if (listen(fd, l->backlog) != 0) {
        snprintf(err, errlen, "%s:%d: listen() to %s failed (%d: %s)", l->file, l->line, l->text, errno,
                 strerror(errno));
        close(fd);
        return -1;
    }
    return fd;
}

/* One listener per distinct address. Its server block is the one marked
 * default_server, else the first that listens there. Sockets of the old
 * generation with the same address are kept (reload without a gap). */
static int bind_listeners(struct generation *g, const struct generation *old, char *err, size_t errlen)
{
    size_t cap = 0;
    for (size_t i = 0; i < g->cf->nservers; i++)
        cap += g->cf->servers[i]->nlistens;
    g->ls = xcalloc(cap ? cap : 1, sizeof(*g->ls));
    g->addrs = xcalloc(cap ? cap : 1, sizeof(*g->addrs));
    for (size_t i = 0; i < g->cf->nservers; i++) {
        struct server_conf *s = g->cf->servers[i];
        for (size_t j = 0; j < s->nlistens; j++) {
            const struct listen_conf *l = &s->listens[j];
            size_t k;
            for (k = 0; k < g->nls; k++)
                if (memcmp(&g->addrs[k], &l->addr, l->addrlen) == 0)
                    break;
            if (k < g->nls) {
                if (l->default_server)
                    g->ls[k].srv = s;
                continue;
            }
            g->addrs[k] = l->addr;
            g->ls[k] = (struct listener){.fd = -1, .ssl = l->ssl, .srv = s, .text = l->text};
            g->nls++;
            for (size_t o = 0; old != NULL && o < old->nls; o++)
                if (old->ls[o].fd >= 0 && memcmp(&old->addrs[o], &l->addr, l->addrlen) == 0)
                    g->ls[k].fd = fcntl(old->ls[o].fd, F_DUPFD_CLOEXEC, 0);
            if (g->ls[k].fd < 0 && (g->ls[k].fd = open_listener(l, err, errlen)) < 0)
                return KT_ERROR;
        }
    }
    return KT_OK;
}

static void close_listeners(struct generation *g)
{
    for (size_t i = 0; i < g->nls; i++)
        if (g->ls[i].fd >= 0)
            close(g->ls[i].fd);
    g->nls = 0;
}

static int resolve_user(struct generation *g, char *err, size_t errlen)
{
    struct passwd *pw;
    struct group *gr;
    if (g->cf->user == NULL || geteuid() != 0)
        return KT_OK;
    pw = getpwnam(g->cf->user);
    if (pw == NULL) {
        snprintf(err, errlen, "getpwnam(\"%s\") failed: no such user", g->cf->user);
        return KT_ERROR;
    }
    gr = getgrnam(g->cf->group);
    if (gr == NULL) {
        snprintf(err, errlen, "getgrnam(\"%s\") failed: no such group", g->cf->group);
        return KT_ERROR;
    }
    g->uid = pw->pw_uid;
    g->gid = gr->gr_gid;
    g->drop = 1;
    return KT_OK;
}

static void drop_privileges(const struct generation *g)
{
    if (!g->drop)
        return;
    if (setgid(g->gid) != 0 || initgroups(g->cf->user, g->gid) != 0 || setuid(g->uid) != 0) {
        log_error(LL_EMERG, NULL, "switching to user \"%s\" failed (%d: %s)", g->cf->user, errno, strerror(errno));
        exit(2);
    }
}

static void spawn(struct generation *g, int i)
{
    pid_t pid = fork();
    if (pid < 0) {
        log_error(LL_ALERT, NULL, "fork() failed (%d: %s), retrying", errno, strerror(errno));
        g->slots[i].respawn_at = now_mono() + 1;
        return;
    }
    if (pid == 0) {
        drop_privileges(g);
        worker_run(g->cf, g->ls, g->nls, i);
    }
    g->slots[i].pid = pid;
    g->slots[i].started = now_mono();
    g->slots[i].respawn_at = 0;
    log_error(LL_INFO, NULL, "started worker process %d", (int)pid);
}

static struct generation *generation_new(struct config *cf, const struct generation *old, int to_stderr)
{
    struct generation *g = xcalloc(1, sizeof(*g));
    char err[1024];
    g->cf = cf;
    if (server_activate(cf, err, sizeof(err)) != KT_OK || resolve_user(g, err, sizeof(err)) != KT_OK ||
        bind_listeners(g, old, err, sizeof(err)) != KT_OK) {
        fatal_or_log(to_stderr, "%s", err);
        close_listeners(g);
        free(g->ls);
        free(g->addrs);
        free(g);
        return NULL;
    }
    g->nslots = config_worker_count(cf);
    if (g->nslots > MAX_WORKERS)
        g->nslots = MAX_WORKERS;
    g->slots = xcalloc((size_t)g->nslots, sizeof(*g->slots));
    for (int i = 0; i < g->nslots; i++)
        g->slots[i].backoff = 0.1;
    return g;
}

static void generation_free(struct generation *g)
{
    close_listeners(g);
    config_free(g->cf);
    free(g->ls);
    free(g->addrs);
    free(g->slots);
    free(g);
}

static int alive(const struct generation *g)
{
    int n = 0;
    for (int i = 0; g != NULL && i < g->nslots; i++)
        n += g->slots[i].pid > 0;
    return n;
}

static void signal_all(const struct generation *g, int sig)
{
    for (int i = 0; g != NULL && i < g->nslots; i++)
        if (g->slots[i].pid > 0)
            kill(g->slots[i].pid, sig);
}

/* Reaps exited workers. Those of the current generation are restarted,
 * with a doubling back-off when they keep dying right after start. */
static void reap(struct generation *cur, struct generation *old, int stopping)
{
    int status;
    pid_t pid;
    while ((pid = waitpid(-1, &status, WNOHANG)) > 0) {
        struct generation *gs[2] = {cur, old};
        for (int k = 0; k < 2; k++) {
            struct generation *g = gs[k];
            for (int i = 0; g != NULL && i < g->nslots; i++) {
                struct slot *s = &g->slots[i];
                double t = now_mono();
                if (s->pid != pid)
                    continue;
                s->pid = 0;
                if (WIFSIGNALED(status))
                    log_error(LL_ALERT, NULL, "worker process %d exited on signal %d%s", (int)pid, WTERMSIG(status),
                              WCOREDUMP(status) ? " (core dumped)" : "");
                else if (WEXITSTATUS(status) != 0)
                    log_error(LL_ALERT, NULL, "worker process %d exited with code %d", (int)pid, WEXITSTATUS(status));
                else
                    log_error(LL_INFO, NULL, "worker process %d exited", (int)pid);
                if (g != cur || stopping)
                    continue;
                s->backoff = t - s->started < RESPAWN_FAST ? s->backoff * 2 : 0.1;
                if (s->backoff > RESPAWN_BACKOFF_MAX)
                    s->backoff = RESPAWN_BACKOFF_MAX;
                s->respawn_at = t + (s->backoff > 0.2 ? s->backoff : 0);
                if (s->backoff > 0.2)
                    log_error(LL_WARN, NULL, "worker process %d died %.1fs after start, restarting in %.1fs",
                              (int)pid, t - s->started, s->backoff);
            }
        }
    }
}

static void respawn_due(struct generation *g)
{
    double t = now_mono();
    for (int i = 0; i < g->nslots; i++)
        if (g->slots[i].pid == 0 && g->slots[i].respawn_at > 0 && g->slots[i].respawn_at <= t)
            spawn(g, i);
}

static void write_pid(const char *path)
{
    FILE *f;
    if (path == NULL)
        return;
    f = fopen(path, "we");
    if (f == NULL) {
        log_error(LL_ALERT, NULL, "open() \"%s\" failed (%d: %s)", path, errno, strerror(errno));
        return;
    }
    fprintf(f, "%d\n", (int)getpid());
    fclose(f);
}

static void log_ktls_support(void)
{
    struct ktls_support k;
    tls_ktls_probe(&k);
    if (k.openssl && k.kernel)
        log_error(LL_NOTICE, NULL, "kTLS available (%s, kernel TLS ULP present): connections whose cipher "
                                   "the kernel takes send bodies with SSL_sendfile", OpenSSL_version(OPENSSL_VERSION));
    else
        log_error(LL_NOTICE, NULL, "kTLS unavailable: %s; serving TLS from user space", k.reason);
}

/* SIGHUP: a new generation from the re-read file, or the old one kept. */
static struct generation *reload(struct generation *cur, struct generation **old)
{
    char err[1024];
    struct config *cf = config_load(cur->cf->path, err, sizeof(err));
    struct generation *g;
    if (cf == NULL) {
        log_error(LL_EMERG, NULL, "reload failed, keeping the running configuration: %s", err);
        return cur;
    }
    g = generation_new(cf, cur, 0);
    if (g == NULL) {
        config_free(cf);
        log_error(LL_EMERG, NULL, "reload failed, keeping the running configuration");
        return cur;
    }
    if (*old != NULL) { /* a reload while the previous one drains: hurry it */
        signal_all(*old, SIGTERM);
    }
    for (int i = 0; i < g->nslots; i++)
        spawn(g, i);
    signal_all(cur, SIGQUIT);
    close_listeners(cur);
    if (*old != NULL && alive(*old) == 0)
        generation_free(*old);
    else if (*old != NULL)
        log_error(LL_WARN, NULL, "reloaded again before the previous workers finished: they were stopped");
    *old = cur;
    if (g->cf->error_log != NULL)
        log_error_open(g->cf->error_log, g->cf->error_log_level);
    log_error(LL_NOTICE, NULL, "reconfigured from %s", g->cf->path);
    return g;
}

int server_run(struct config *cf)
{
    struct generation *cur, *old = NULL;
    struct rlimit rl;
    sigset_t set;
    int stopping = 0, stop_sig = 0;
    double kill_at = 0;

    if (cf->error_log != NULL && log_error_open(cf->error_log, cf->error_log_level) != KT_OK) {
        fprintf(stderr, "ktlsd: [emerg] open() \"%s\" failed (%d: %s)\n", cf->error_log, errno, strerror(errno));
        return 1;
    }
    if (cf->error_log == NULL)
        log_error_open("stderr", cf->error_log_level);
    log_error_set_pid_tag(getpid());
    /* every connection is a descriptor: take the hard limit */
    if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
        rl.rlim_cur = rl.rlim_max;
        setrlimit(RLIMIT_NOFILE, &rl);
    }
    signal(SIGPIPE, SIG_IGN);
    sigemptyset(&set);
    sigaddset(&set, SIGCHLD);
    sigaddset(&set, SIGTERM);
    sigaddset(&set, SIGINT);
    sigaddset(&set, SIGQUIT);
    sigaddset(&set, SIGHUP);
    sigaddset(&set, SIGUSR1);
    sigprocmask(SIG_BLOCK, &set, NULL);

    cur = generation_new(cf, NULL, cf->error_log != NULL && strcmp(cf->error_log, "stderr") != 0);
    if (cur == NULL)
        return 1;
    log_ktls_support();
    if (geteuid() == 0 && cf->user == NULL)
        log_error(LL_WARN, NULL, "running as root without a \"user\" directive: workers keep root privileges");
    write_pid(cf->pid_file);
    for (int i = 0; i < cur->nslots; i++)
        spawn(cur, i);
    log_error(LL_NOTICE, NULL, "ktlsd started: %d worker%s, %zu listener%s", cur->nslots, cur->nslots == 1 ? "" : "s",
              cur->nls, cur->nls == 1 ? "" : "s");

    for (;;) {
        struct timespec ts = {0, 200 * 1000 * 1000};
        siginfo_t info;
        int sig = sigtimedwait(&set, &info, &ts);

        reap(cur, old, stopping);
        if (old != NULL && alive(old) == 0) {
            generation_free(old);
            old = NULL;
        }
        if (stopping) {
            if (alive(cur) == 0 && alive(old) == 0)
                break;
            if (sig == SIGTERM || sig == SIGINT) {
                stop_sig = SIGTERM;
                signal_all(cur, SIGTERM);
                signal_all(old, SIGTERM);
                kill_at = now_mono() + STOP_TIMEOUT;
            }
            if (kill_at > 0 && now_mono() > kill_at) {
                log_error(LL_ALERT, NULL, "workers did not stop in %ds, killing them", STOP_TIMEOUT);
                signal_all(cur, SIGKILL);
                signal_all(old, SIGKILL);
                kill_at = 0;
            }
            continue;
        }
        switch (sig) {
        case SIGTERM:
        case SIGINT:
        case SIGQUIT:
            stopping = 1;
            stop_sig = sig == SIGQUIT ? SIGQUIT : SIGTERM;
            log_error(LL_NOTICE, NULL, "%s, %s", sig == SIGQUIT ? "gracefully shutting down" : "exiting",
                      strsignal(sig));
            signal_all(cur, stop_sig);
            signal_all(old, stop_sig);
            close_listeners(cur);
            if (stop_sig == SIGTERM)
                kill_at = now_mono() + STOP_TIMEOUT;
            if (alive(cur) == 0 && alive(old) == 0)
                goto done;
            break;
        case SIGHUP:
            cur = reload(cur, &old);
            break;
        case SIGUSR1:
            if (cur->cf->error_log != NULL)
                log_error_open(cur->cf->error_log, cur->cf->error_log_level);
            signal_all(cur, SIGUSR1);
            signal_all(old, SIGUSR1);
            log_error(LL_NOTICE, NULL, "reopening logs");
            break;
        default:
            break;
        }
        respawn_due(cur);
    }
done:
    (void)stop_sig;
    if (cur->cf->pid_file != NULL)
        unlink(cur->cf->pid_file);
    log_error(LL_NOTICE, NULL, "exit");
    if (old != NULL)
        generation_free(old);
    generation_free(cur);
    return 0;
}
