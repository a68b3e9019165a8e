/* worker.c: the event loop of one worker process: accepting connections
 * (when worker_connections are all in use, idle and slow connections are
 * reclaimed; accepting pauses only when all are busy), the clock,
 * the access-log flush timer and the signals from the master: SIGQUIT
 * (graceful stop, bounded by worker_shutdown_timeout), SIGTERM/SIGINT
 * (fast stop), SIGUSR1 (reopen logs). */
#include "worker.h"
#include "config.h"
#include "conn.h"
#include "log.h"
#include "stats.h"
#include "tune.h"
#include "util.h"

#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <unistd.h>

#include <ev.h>

/* One accept per readiness event, as nginx without multi_accept: the new
 * connection's handshake starts at once (deferred accept), so a larger batch
 * would make requests already waiting on other connections queue behind
 * several handshakes (p50 3 ms instead of 0.8 ms with 32 clients that
 * reconnect for every request, bench close-wrk). */
#define ACCEPT_BATCH 1
#define ACCEPT_MULTI 1024 /* multi_accept on: until accept() says EAGAIN */
#define ACCEPT_RETRY 0.5  /* seconds without accepting after EMFILE and the like */

struct wlistener {
    ev_io io;
    struct listener *l;
    struct worker *w;
};

struct worker {
    struct ev_loop *loop;
    struct config *cf;
    struct wlistener *ls;
    size_t nls;
    struct conn_pool *pool;
    int accepting;
    int stopping;
    ev_timer flush;
    ev_timer accept_retry;
    ev_timer shutdown; /* worker_shutdown_timeout after SIGQUIT */
    ev_check clock;
    ev_signal sigs[4];
};

static void accept_enable(struct worker *w, int on)
{
    if (w->accepting == on)
        return;
    w->accepting = on;
    for (size_t i = 0; i < w->nls; i++) {
        if (on)
            ev_io_start(w->loop, &w->ls[i].io);
        else
            ev_io_stop(w->loop, &w->ls[i].io);
    }
}

static void accept_cb(struct ev_loop *loop, ev_io *io, int revents)
{
    struct wlistener *wl = (struct wlistener *)io;
    struct worker *w = wl->w;
    (void)loop;
    (void)revents;

    /* multi_accept on: all that wait, as nginx */
    for (int i = 0; i < (w->cf->multi_accept ? ACCEPT_MULTI : ACCEPT_BATCH); i++) {
        struct sockaddr_storage peer;
        socklen_t len = sizeof(peer);
        int fd;

        if (conn_pool_full(w->pool) && conn_pool_reclaim(w->pool, 1) == 0) {
            /* every connection is busy with a request: leave the rest in
             * the kernel's backlog; resume on a close */
            log_error(LL_WARN, NULL,
                      "%d worker_connections are not enough, not accepting on %s for now",
                      w->cf->worker_connections, wl->l->text);
            accept_enable(w, 0);
            return;
        }
        fd = accept4(wl->l->fd, (struct sockaddr *)&peer, &len, SOCK_NONBLOCK | SOCK_CLOEXEC);
        if (fd < 0) {
            if (errno == EAGAIN || errno == EINTR)
                return;
            if (errno == ECONNABORTED || errno == EPROTO || errno == EPERM)
                continue;
            if (errno == EMFILE || errno == ENFILE || errno == ENOBUFS || errno == ENOMEM) {
                log_error(LL_ERR, NULL, "accept4() on %s failed (%d: %s), pausing accepts for %gs",
                          wl->l->text, errno, strerror(errno), ACCEPT_RETRY);
                accept_enable(w, 0);
                ev_timer_set(&w->accept_retry, ACCEPT_RETRY, 0);
                ev_timer_start(w->loop, &w->accept_retry);
                return;
            }
            log_error(LL_ALERT, NULL, "accept4() on %s failed (%d: %s)", wl->l->text, errno,
                      strerror(errno));
            return;
        }
        conn_open(w->pool, fd, (struct sockaddr *)&peer, len, &wl->l->vh, wl->l->ssl);
    }
}

static void accept_retry_cb(struct ev_loop *loop, ev_timer *t, int revents)
{
    struct worker *w = container_of(t, struct worker, accept_retry);
    (void)loop;
    (void)revents;
    if (!w->stopping)
        accept_enable(w, 1);
}

static void on_release(void *arg)
{
    struct worker *w = arg;
    if (w->stopping) {
        if (conn_pool_active(w->pool) == 0)
            ev_break(w->loop, EVBREAK_ALL);
        return;
    }
    if (!w->accepting && !ev_is_active(&w->accept_retry) && !conn_pool_full(w->pool))
        accept_enable(w, 1);
}

/* The access logs' flush= intervals (access_log_tick); at most a second,
 * ktlsd's default. */
static double flush_interval(const struct worker *w)
{
    double iv = 1.0;
    for (size_t i = 0; i < w->cf->nservers; i++) {
        const struct access_log *l = w->cf->servers[i]->access_log;
        if (l != NULL && access_log_interval(l) > 0 && access_log_interval(l) < iv)
            iv = access_log_interval(l);
    }
    return iv;
}

static void flush_logs(struct worker *w)
{
    for (size_t i = 0; i < w->cf->nservers; i++)
        if (w->cf->servers[i]->access_log != NULL)
            access_log_flush(w->cf->servers[i]->access_log);
}

static void flush_cb(struct ev_loop *loop, ev_timer *t, int revents)
{
    struct worker *w = container_of(t, struct worker, flush);
    (void)revents;
    for (size_t i = 0; i < w->cf->nservers; i++)
        if (w->cf->servers[i]->access_log != NULL)
            access_log_tick(w->cf->servers[i]->access_log, ev_now(loop));
}

static void clock_cb(struct ev_loop *loop, ev_check *c, int revents)
{
    (void)c;
    (void)revents;
    time_update((time_t)ev_now(loop));
}

/* worker_shutdown_timeout has passed since SIGQUIT: the responses still in
 * flight are cut (nginx closes them the same way). */
static void shutdown_cb(struct ev_loop *loop, ev_timer *t, int revents)
{
    struct worker *w = container_of(t, struct worker, shutdown);
    (void)revents;
    log_error(LL_NOTICE, NULL, "worker_shutdown_timeout (%gs) expired, closing %zu connection%s",
              w->cf->worker_shutdown_timeout, conn_pool_active(w->pool),
              conn_pool_active(w->pool) == 1 ? "" : "s");
    conn_pool_close_all(w->pool);
    ev_break(loop, EVBREAK_ALL);
}

/* SIGQUIT: stop accepting (the listening sockets stay open in the master
 * and the other workers, so connections in the backlog are not lost), let
 * busy connections finish their response, then exit. */
static void graceful_stop(struct worker *w)
{
    if (w->stopping)
        return;
    w->stopping = 1;
    accept_enable(w, 0);
    ev_timer_stop(w->loop, &w->accept_retry);
    for (size_t i = 0; i < w->nls; i++)
        close(w->ls[i].l->fd); /* new connections go to other workers */
    conn_pool_drain(w->pool);
    if (conn_pool_active(w->pool) == 0) {
        ev_break(w->loop, EVBREAK_ALL);
        return;
    }
    if (w->cf->worker_shutdown_timeout > 0) {
        ev_timer_set(&w->shutdown, w->cf->worker_shutdown_timeout, 0);
        ev_timer_start(w->loop, &w->shutdown);
    }
}

static void signal_cb(struct ev_loop *loop, ev_signal *s, int revents)
{
    struct worker *w = s->data;
    (void)revents;
    switch (s->signum) {
    case SIGTERM:
    case SIGINT:
        w->stopping = 1;
        conn_pool_close_all(w->pool);
        ev_break(loop, EVBREAK_ALL);
        break;
    case SIGQUIT:
        graceful_stop(w);
        break;
    case SIGUSR1:
        for (size_t i = 0; i < w->cf->nservers; i++)
            if (w->cf->servers[i]->access_log != NULL &&
                access_log_reopen(w->cf->servers[i]->access_log) != KT_OK)
                log_error(LL_ALERT, NULL, "reopening access log of %s:%d failed (%d: %s)",
                          w->cf->servers[i]->file, w->cf->servers[i]->line, errno, strerror(errno));
        if (w->cf->error_log != NULL)
            log_error_open(w->cf->error_log, w->cf->error_log_level);
        for (size_t i = 0; i < w->cf->nelogs; i++)
            error_log_reopen(w->cf->elogs[i]);
        break;
    }
}

void worker_run(struct config *cf, struct listener *ls, size_t nls, int index)
{
    static const int signums[] = {SIGTERM, SIGINT, SIGQUIT, SIGUSR1};
    struct worker w = {.cf = cf, .nls = nls};
    sigset_t ours;

    stats_slot((size_t)index);
    /* The master blocks its signals; ours stay blocked until libev takes
     * them (through a signalfd), so that a SIGQUIT sent right after the
     * fork is not lost or fatal: it waits, pending, for the loop. */
    sigemptyset(&ours);
    for (size_t i = 0; i < ARRAY_LEN(signums); i++)
        sigaddset(&ours, signums[i]);
    sigprocmask(SIG_SETMASK, &ours, NULL);
    prctl(PR_SET_PDEATHSIG, SIGTERM); /* never outlive a killed master */
    signal(SIGPIPE, SIG_IGN);
    log_error_set_pid_tag(getpid());
    tune_worker(cf, index);

    w.loop = ev_loop_new(EVFLAG_AUTO | EVFLAG_SIGNALFD);
    if (w.loop == NULL) {
        log_error(LL_EMERG, NULL, "ev_loop_new() failed");
        exit(2);
    }
    w.pool = conn_pool_create(w.loop, (size_t)cf->worker_connections, on_release, &w);
    w.ls = xcalloc(nls, sizeof(*w.ls));
    for (size_t i = 0; i < nls; i++) {
        w.ls[i].l = &ls[i];
        w.ls[i].w = &w;
        ev_io_init(&w.ls[i].io, accept_cb, ls[i].fd, EV_READ);
    }
    accept_enable(&w, 1);
    ev_timer_init(&w.accept_retry, accept_retry_cb, ACCEPT_RETRY, 0);
    ev_timer_init(&w.shutdown, shutdown_cb, 0, 0);
    ev_timer_init(&w.flush, flush_cb, flush_interval(&w), flush_interval(&w));
    ev_timer_start(w.loop, &w.flush);
    ev_check_init(&w.clock, clock_cb);
    ev_check_start(w.loop, &w.clock);
    for (size_t i = 0; i < ARRAY_LEN(signums); i++) {
        ev_signal_init(&w.sigs[i], signal_cb, signums[i]);
        w.sigs[i].data = &w;
        ev_signal_start(w.loop, &w.sigs[i]);
    }
    time_update((time_t)ev_now(w.loop));
    ev_run(w.loop, 0);

    flush_logs(&w);
    conn_pool_destroy(w.pool);
    exit(0);
}
