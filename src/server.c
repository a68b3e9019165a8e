/* server.c: the master process. It binds the listeners (so that workers
 * need no privileges) or takes those the service manager passed, forks
 * worker_processes workers, restarts a worker that dies (with a back-off),
 * and turns signals into stop, graceful stop, reload and log reopening,
 * telling systemd about each (notify.h). A configuration with its
 * listeners and its workers is a "generation": reload starts a new one
 * beside the running one, which then stops gracefully, keeping the
 * listening sockets they share. Old generations drain side by side until
 * their last worker exits. */
#include "server.h"
#include "activate.h"
#include "listen.h"
#include "config.h"
#include "ktls_info.h"
#include "limit.h"
#include "log.h"
#include "notify.h"
#include "sessions.h"
#include "stats.h"
#include "tls.h"
#include "util.h"
#include "worker.h"

#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <pwd.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define MAX_WORKERS 1024
#define STATS_GENERATIONS 8
#define STOP_TIMEOUT 10  /* seconds before SIGKILL: fast stop, or past worker_shutdown_timeout */
#define RESPAWN_FAST 2.0 /* a worker dying sooner than this after start... */
#define RESPAWN_BACKOFF_MAX 30.0
#define STATUS_INTERVAL 5.0 /* seconds between STATUS= updates of the counters alone */

struct slot {
    pid_t pid;
    double started;
    double respawn_at; /* 0: none pending */
    double backoff;
};

struct generation {
    int stats_base; /* first status-page slot: no two live generations share one */
    struct config *cf;
    struct listen_set set; /* its listeners */
    struct slot *slots;
    int nslots;
    uid_t uid;
    gid_t gid;
    int drop;
    unsigned id;             /* 1 at start-up, +1 per successful reload */
    int stopping;            /* told to stop (SIGQUIT or SIGTERM) */
    double kill_at;          /* SIGKILL what is left then; 0: never */
    struct generation *next; /* older generations, still draining */
};

struct master {
    struct generation *cur; /* the running one; ->next: old ones */
    int stopping, fast;
    char status[1200];       /* last STATUS= sent */
    char status_state[512];  /* its first part: workers, generation */
    int status_dirty;        /* a reload or stop happened: send at once */
    double status_at;        /* when it was last built */
    char reload_error[1024]; /* why the last reload failed; "" if it did not */
};

static double now_mono(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
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
        log_error(LL_EMERG, NULL, "switching to user \"%s\" failed (%d: %s)", g->cf->user, errno,
                  strerror(errno));
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
        for (size_t k = 0; k < g->set.n; k++) /* reuseport: this worker's own socket only */
            for (int w = 0; w < g->set.ls[k].nrp; w++) {
                if (w == i)
                    g->set.ls[k].fd = g->set.ls[k].rp_fds[w];
                else
                    close(g->set.ls[k].rp_fds[w]);
            }
        worker_run(g->cf, g->set.ls, g->set.n, g->stats_base + i);
    }
    g->slots[i].pid = pid;
    g->slots[i].started = now_mono();
    g->slots[i].respawn_at = 0;
    log_error(LL_INFO, NULL, "started worker process %d", (int)pid);
}

/* The status page's slots come in STATS_GENERATIONS blocks of MAX_WORKERS:
 * a new generation takes a block no draining one still writes to. */
static int free_stats_base(const struct generation *live)
{
    for (int b = 0; b < STATS_GENERATIONS; b++) {
        const struct generation *g;
        for (g = live; g != NULL && g->stats_base != b * MAX_WORKERS; g = g->next)
            ;
        if (g == NULL)
            return b * MAX_WORKERS;
    }
    return 0; /* that many reloads draining at once: gauges may mix */
}

/* A generation for cf: certificates, keys, roots and logs loaded, user
 * resolved, listeners bound; no worker yet. NULL with the reason in err. */
static struct generation *generation_new(struct config *cf, const struct generation *old, char *err,
                                         size_t errlen)
{
    struct generation *g = xcalloc(1, sizeof(*g));
    g->cf = cf;
    g->nslots = config_worker_count(cf);
    if (g->nslots > MAX_WORKERS)
        g->nslots = MAX_WORKERS;
    if (activate_config(cf, err, errlen) != KT_OK || resolve_user(g, err, errlen) != KT_OK ||
        listen_bind(&g->set, cf, old != NULL ? &old->set : NULL, g->nslots, err, errlen) != KT_OK) {
        listen_free(&g->set);
        free(g);
        return NULL;
    }
    g->id = old != NULL ? old->id + 1 : 1;
    g->slots = xcalloc((size_t)g->nslots, sizeof(*g->slots));
    /* the status page's slots: generations still draining keep theirs */
    g->stats_base = free_stats_base(old);
    for (int i = 0; i < g->nslots; i++)
        g->slots[i].backoff = 0.1;
    return g;
}

static void generation_free(struct generation *g)
{
    listen_free(&g->set);
    config_free(g->cf);
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

/* Tells the workers of g to stop: SIGQUIT lets in-flight responses finish
 * (bounded by worker_shutdown_timeout in the worker), SIGTERM closes every
 * connection now. Workers that outlive the bound by STOP_TIMEOUT are
 * killed. The master's copies of the listening sockets are closed, so that
 * an address that the next configuration dropped stops listening. */
static void generation_stop(struct generation *g, int sig)
{
    double t = now_mono(), limit = 0;
    signal_all(g, sig);
    listen_close(&g->set);
    if (sig == SIGQUIT && g->cf->worker_shutdown_timeout > 0)
        limit = g->cf->worker_shutdown_timeout + STOP_TIMEOUT;
    else if (sig != SIGQUIT)
        limit = STOP_TIMEOUT;
    if (limit > 0 && (g->kill_at == 0 || t + limit < g->kill_at))
        g->kill_at = t + limit;
    g->stopping = 1;
}

static void log_exit(pid_t pid, int status)
{
    if (WIFSIGNALED(status))
        log_error(LL_ALERT, NULL, "worker process %d exited on signal %d%s", (int)pid,
                  WTERMSIG(status), WCOREDUMP(status) ? " (core dumped)" : "");
    else if (WEXITSTATUS(status) != 0)
        log_error(LL_ALERT, NULL, "worker process %d exited with code %d", (int)pid,
                  WEXITSTATUS(status));
    else
        log_error(LL_INFO, NULL, "worker process %d exited", (int)pid);
}

/* A worker of the running generation that died is restarted; one that
 * keeps dying right after its start is restarted with a doubling back-off
 * (up to RESPAWN_BACKOFF_MAX), so that a crash loop does not fork-bomb. */
static void schedule_respawn(struct slot *s, pid_t pid)
{
    double t = now_mono();
    s->backoff = t - s->started < RESPAWN_FAST ? s->backoff * 2 : 0.1;
    if (s->backoff > RESPAWN_BACKOFF_MAX)
        s->backoff = RESPAWN_BACKOFF_MAX;
    s->respawn_at = t + (s->backoff > 0.2 ? s->backoff : 0);
    if (s->backoff > 0.2)
        log_error(LL_WARN, NULL, "worker process %d died %.1fs after start, restarting in %.1fs",
                  (int)pid, t - s->started, s->backoff);
}

/* Reaps exited workers of the running generation (restarted unless the
 * server is stopping) and of the old ones (draining after a reload). */
static void reap(struct master *m)
{
    int status;
    pid_t pid;
    while ((pid = waitpid(-1, &status, WNOHANG)) > 0) {
        log_exit(pid, status);
        for (struct generation *g = m->cur; g != NULL; g = g->next) {
            for (int i = 0; i < g->nslots; i++) {
                if (g->slots[i].pid != pid)
                    continue;
                g->slots[i].pid = 0;
                if (g == m->cur && !m->stopping)
                    schedule_respawn(&g->slots[i], pid);
            }
        }
    }
}

static void respawn_due(struct generation *g)
{
    double t = now_mono();
    for (int i = 0; i < g->nslots; i++)
        if (g->slots[i].pid == 0 && g->slots[i].respawn_at > 0 && g->slots[i].respawn_at <= t) {
            spawn(g, i);
            stats_master()->respawns++;
        }
}

static double now_real(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* The status page's process facts (stats_master): the running generation
 * and the result of the last reload, err NULL when it worked. */
static void publish_reload(const struct master *m, const char *err)
{
    struct stats_master *sm = stats_master();
    sm->generation = m->cur->id;
    sm->workers_configured = m->cur->nslots;
    sm->reload_time = now_real();
    sm->reload_ok = err == NULL;
    if (err == NULL) {
        sm->reloads++;
        sm->reload_error[0] = '\0';
    } else {
        sm->reload_fails++;
        snprintf(sm->reload_error, sizeof(sm->reload_error), "%s", err);
    }
}

/* Frees the old generations whose workers have all exited, and kills the
 * workers of any generation past its stop deadline. */
static void collect_old(struct master *m)
{
    double t = now_mono();
    struct generation **pp = &m->cur->next;
    for (struct generation *g = m->cur; g != NULL; g = g->next) {
        if (g->kill_at > 0 && t > g->kill_at && alive(g) > 0) {
            log_error(LL_ALERT, NULL, "%d worker%s of generation %u did not stop in time, killing",
                      alive(g), alive(g) == 1 ? "" : "s", g->id);
            signal_all(g, SIGKILL);
            g->kill_at = 0;
        }
    }
    while (*pp != NULL) {
        struct generation *g = *pp;
        if (alive(g) == 0) {
            *pp = g->next;
            log_error(LL_INFO, NULL, "generation %u finished", g->id);
            generation_free(g);
        } else {
            pp = &g->next;
        }
    }
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
    char nics[512];
    tls_ktls_probe(&k);
    if (k.openssl && k.kernel)
        log_error(LL_NOTICE, NULL,
                  "kTLS available (%s, kernel TLS ULP present): connections whose cipher "
                  "the kernel takes send bodies with SSL_sendfile; %s",
                  OpenSSL_version(OPENSSL_VERSION), ktls_nic_summary(nics, sizeof(nics)));
    else
        log_error(LL_NOTICE, NULL, "kTLS unavailable: %s; serving TLS from user space", k.reason);
}

/* Live counters for STATUS=, from the workers' shared slots (stats.h):
 * connections open (and how many of them the kernel encrypts), requests
 * served, and the share of TLS body bytes that went through kTLS. */
static void status_counters(char *out, size_t cap)
{
    struct stats t;
    unsigned long long tls_bytes;
    stats_total(&t);
    tls_bytes = t.bytes_ktls + t.bytes_fallback;
    if (tls_bytes == 0)
        snprintf(out, cap, "%ld connection%s (%ld on kTLS), %llu request%s", t.active,
                 t.active == 1 ? "" : "s", t.ktls_tx + t.ktls_txrx, t.requests,
                 t.requests == 1 ? "" : "s");
    else
        snprintf(out, cap,
                 "%ld connection%s (%ld on kTLS), %llu request%s, %.0f%% of TLS body bytes "
                 "sent by kTLS",
                 t.active, t.active == 1 ? "" : "s", t.ktls_tx + t.ktls_txrx, t.requests,
                 t.requests == 1 ? "" : "s", 100.0 * (double)t.bytes_ktls / (double)tls_bytes);
}

/* The STATUS= line that "systemctl status" shows. A change of state
 * (workers, generation, a failed reload, a stop) is sent at once; moving
 * counters at most every STATUS_INTERVAL seconds. */
static void status_update(struct master *m)
{
    char state[sizeof(m->status_state)], counters[256], buf[sizeof(m->status)];
    int old = 0, cur = alive(m->cur), n;
    double t = now_mono();
    for (const struct generation *g = m->cur->next; g != NULL; g = g->next)
        old += alive(g);
    if (m->stopping)
        n = snprintf(state, sizeof(state), "stopping: %d worker%s finishing requests", cur + old,
                     cur + old == 1 ? "" : "s");
    else
        n = snprintf(state, sizeof(state), "%d worker%s, %zu listener%s, generation %u", cur,
                     cur == 1 ? "" : "s", m->cur->set.n, m->cur->set.n == 1 ? "" : "s", m->cur->id);
    if (!m->stopping && old > 0 && n > 0 && (size_t)n < sizeof(state))
        snprintf(state + n, sizeof(state) - (size_t)n, "; %d old worker%s finishing requests", old,
                 old == 1 ? "" : "s");
    if (strcmp(state, m->status_state) == 0 && !m->status_dirty &&
        t - m->status_at < STATUS_INTERVAL)
        return;
    status_counters(counters, sizeof(counters));
    snprintf(buf, sizeof(buf), "%s; %s%s%.300s", state, counters,
             m->reload_error[0] != '\0' ? "; last reload failed: " : "", m->reload_error);
    memcpy(m->status_state, state, sizeof(m->status_state));
    m->status_dirty = 0;
    m->status_at = t;
    if (strcmp(buf, m->status) == 0)
        return;
    memcpy(m->status, buf, sizeof(m->status));
    notify_status(buf);
}

/* Opens a log file the way the workers will: as the master (root, when it
 * is) it may create the file, then hands it to the workers' user, whose
 * own reopen must succeed (nginx's ngx_reopen_files). */
static void chown_for_workers(const struct generation *g, const char *path)
{
    struct stat st;
    if (!g->drop || path == NULL || strcmp(path, "stderr") == 0 || strncmp(path, "/dev/", 5) == 0)
        return;
    if (stat(path, &st) == 0 && st.st_uid != g->uid && chown(path, g->uid, (gid_t)-1) != 0)
        log_error(LL_ALERT, NULL, "chown(\"%s\", %d) failed (%d: %s)", path, (int)g->uid, errno,
                  strerror(errno));
}

/* SIGUSR1 (logrotate): the master reopens its error log and its copies of
 * the access logs (a worker it starts later inherits those), then each
 * worker reopens its own. */
static void reopen_logs(struct master *m)
{
    struct config *cf = m->cur->cf;
    if (cf->error_log != NULL) {
        if (log_error_open(cf->error_log, cf->error_log_level) != KT_OK)
            log_error(LL_ALERT, NULL, "reopening \"%s\" failed (%d: %s)", cf->error_log, errno,
                      strerror(errno));
        chown_for_workers(m->cur, cf->error_log);
    }
    for (size_t i = 0; i < cf->nservers; i++) {
        struct server_conf *s = cf->servers[i];
        if (s->access_log == NULL)
            continue;
        if (access_log_reopen(s->access_log) != KT_OK)
            log_error(LL_ALERT, NULL, "reopening \"%s\" failed (%d: %s)", s->c.access_log_path,
                      errno, strerror(errno));
        chown_for_workers(m->cur, s->c.access_log_path);
    }
    for (struct generation *g = m->cur; g != NULL; g = g->next)
        signal_all(g, SIGUSR1);
    log_error(LL_NOTICE, NULL, "reopening logs");
}

/* SIGHUP: parse and activate the file again (certificates and keys are
 * re-read). A bad file is logged and the running generation keeps serving.
 * A good one becomes a new generation: its workers start on the kept,
 * passed or newly bound sockets, and the previous workers stop accepting
 * and finish their in-flight requests (SIGQUIT). */
static void reload(struct master *m)
{
    char err[1024];
    struct config *cf;
    struct generation *g, *prev = m->cur;

    notify_reloading();
    m->status_dirty = 1;
    log_error(LL_NOTICE, NULL, "reloading %s", prev->cf->path);
    cf = config_load(prev->cf->path, err, sizeof(err));
    g = cf != NULL ? generation_new(cf, prev, err, sizeof(err)) : NULL;
    if (g == NULL) {
        config_free(cf);
        log_error(LL_ERR, NULL, "%s", err);
        log_error(LL_ERR, NULL,
                  "reload failed, still serving with the configuration of generation %u", prev->id);
        snprintf(m->reload_error, sizeof(m->reload_error), "%s", err);
        publish_reload(m, err);
        notify_ready();
        return;
    }
    m->reload_error[0] = '\0';
    limit_zones_adopt(cf->zones, cf->nzones, prev->cf->zones, prev->cf->nzones);
    if (cf->error_log != NULL && log_error_open(cf->error_log, cf->error_log_level) != KT_OK)
        log_error(LL_ALERT, NULL, "open() \"%s\" failed (%d: %s), keeping the previous error log",
                  cf->error_log, errno, strerror(errno));
    /* before the fork: new workers must not inherit the previous sockets,
     * or an address dropped from the file would go on listening */
    generation_stop(prev, SIGQUIT);
    g->next = prev;
    m->cur = g;
    for (int i = 0; i < g->nslots; i++)
        spawn(g, i);
    if (g->cf->pid_file != NULL &&
        (prev->cf->pid_file == NULL || strcmp(g->cf->pid_file, prev->cf->pid_file) != 0)) {
        write_pid(g->cf->pid_file);
        if (prev->cf->pid_file != NULL)
            unlink(prev->cf->pid_file);
    }
    publish_reload(m, NULL);
    log_error(LL_NOTICE, NULL, "reconfigured from %s: generation %u, %d worker%s, %zu listener%s",
              g->cf->path, g->id, g->nslots, g->nslots == 1 ? "" : "s", g->set.n,
              g->set.n == 1 ? "" : "s");
    notify_ready();
}

static void stop(struct master *m, int sig)
{
    int fast = sig != SIGQUIT;
    if (m->stopping && (!fast || m->fast))
        return;
    if (!m->stopping)
        notify_stopping();
    m->status_dirty = 1;
    m->stopping = 1;
    m->fast = fast;
    log_error(LL_NOTICE, NULL, "%s, %s", fast ? "exiting" : "gracefully shutting down",
              strsignal(sig));
    for (struct generation *g = m->cur; g != NULL; g = g->next)
        generation_stop(g, fast ? SIGTERM : SIGQUIT);
}

static void block_signals(sigset_t *set)
{
    static const int sigs[] = {SIGCHLD, SIGTERM, SIGINT, SIGQUIT, SIGHUP, SIGUSR1};
    sigemptyset(set);
    for (size_t i = 0; i < ARRAY_LEN(sigs); i++)
        sigaddset(set, sigs[i]);
    sigprocmask(SIG_BLOCK, set, NULL);
}

/* The master's own set-up: its error log, the descriptor limit, signals,
 * the status page's shared counters. KT_ERROR: no error log (exit 1). */
static int master_init(struct config *cf, sigset_t *set)
{
    struct rlimit rl;
    if (cf->error_log != NULL && log_error_open(cf->error_log, cf->error_log_level) != KT_OK) {
        fprintf(stderr, "ktlsd: [emerg] open() \"%s\" failed (%d: %s)\n", cf->error_log, errno,
                strerror(errno));
        return KT_ERROR;
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
    block_signals(set);
    if (stats_init(STATS_GENERATIONS * MAX_WORKERS) != KT_OK)
        log_error(LL_WARN, NULL,
                  "mmap() for the status page's counters failed (%d: %s): it will show zeros",
                  errno, strerror(errno));
    stats_master()->start_time = now_real();
    return KT_OK;
}

/* The first generation: listeners bound, workers forked, systemd told. */
static int master_start(struct master *m, struct config *cf)
{
    char err[1024];
    int passed = notify_listen_fds();
    m->cur = generation_new(cf, NULL, err, sizeof(err));
    if (m->cur == NULL) {
        log_error(LL_EMERG, NULL, "%s", err);
        if (cf->error_log != NULL && strcmp(cf->error_log, "stderr") != 0)
            fprintf(stderr, "ktlsd: [emerg] %s\n", err);
        notify_status(err);
        return KT_ERROR;
    }
    notify_listen_close_unused();
    stats_master()->generation = m->cur->id;
    stats_master()->workers_configured = m->cur->nslots;
    log_ktls_support();
    if (geteuid() == 0 && cf->user == NULL)
        log_error(LL_WARN, NULL,
                  "running as root without a \"user\" directive: workers keep root privileges");
    write_pid(cf->pid_file);
    for (int i = 0; i < m->cur->nslots; i++)
        spawn(m->cur, i);
    stats_master()->workers = alive(m->cur);
    log_error(LL_NOTICE, NULL, "ktlsd started: %d worker%s, %zu listener%s%s", m->cur->nslots,
              m->cur->nslots == 1 ? "" : "s", m->cur->set.n, m->cur->set.n == 1 ? "" : "s",
              passed > 0 ? " (socket activation)" : "");
    notify_ready();
    status_update(m);
    return KT_OK;
}

/* Signals, dead workers and old generations, every 200 ms, until a stop
 * has seen the last worker exit. */
static void master_loop(struct master *m, sigset_t *set)
{
    for (;;) {
        struct timespec ts = {0, 200 * 1000 * 1000};
        siginfo_t info;
        int alive_n = 0, sig = sigtimedwait(set, &info, &ts);

        reap(m);
        collect_old(m);
        sessions_tick();
        if (sig == SIGTERM || sig == SIGINT || sig == SIGQUIT)
            stop(m, sig);
        else if (sig == SIGHUP && !m->stopping)
            reload(m);
        else if (sig == SIGUSR1)
            reopen_logs(m);
        for (const struct generation *g = m->cur; g != NULL; g = g->next)
            alive_n += alive(g);
        stats_master()->workers = alive_n;
        if (m->stopping && alive_n == 0)
            break;
        if (!m->stopping)
            respawn_due(m->cur);
        status_update(m);
    }
}

int server_run(struct config *cf)
{
    struct master m = {0};
    sigset_t set;

    if (master_init(cf, &set) != KT_OK || master_start(&m, cf) != KT_OK)
        return 1;
    master_loop(&m, &set);
    if (m.cur->cf->pid_file != NULL)
        unlink(m.cur->cf->pid_file);
    log_error(LL_NOTICE, NULL, "exit");
    while (m.cur != NULL) {
        struct generation *next = m.cur->next;
        generation_free(m.cur);
        m.cur = next;
    }
    return 0;
}
