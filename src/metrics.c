/* metrics.c: the status page in the Prometheus text format (version
 * 0.0.4, which `promtool check metrics` reads): the counters of stats.c
 * summed over the workers, the master's facts, and the serving worker's
 * open descriptors. Names follow Prometheus' conventions: a ktlsd_ prefix,
 * counters end in _total, times in seconds, sizes in bytes. */
#include "metrics.h"
#include "ktls_info.h"
#include "stats.h"
#include "util.h"

#include <dirent.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

struct page {
    char *out;
    size_t cap, pos;
};

static void put(struct page *p, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void put(struct page *p, const char *fmt, ...)
{
    va_list ap;
    int n;
    if (p->pos >= p->cap)
        return;
    va_start(ap, fmt);
    n = vsnprintf(p->out + p->pos, p->cap - p->pos, fmt, ap);
    va_end(ap);
    p->pos = n < 0 ? p->cap : p->pos + (size_t)n;
}

/* # HELP and # TYPE of a family; its samples follow. */
static void family(struct page *p, const char *name, const char *type, const char *help)
{
    put(p, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, type);
}

/* One family with one label: name{label="names[i]"} v[i]. */
static void labelled(struct page *p, const char *name, const char *type, const char *help,
                     const char *label, const char *const *names, const unsigned long long *v,
                     size_t n)
{
    family(p, name, type, help);
    for (size_t i = 0; i < n; i++)
        put(p, "%s{%s=\"%s\"} %llu\n", name, label, names[i], v[i]);
}

/* A label value: backslash, double quote and newline escaped, as the format asks. */
static void put_label_value(struct page *p, const char *s)
{
    for (; *s != '\0'; s++) {
        if (*s == '\\' || *s == '"')
            put(p, "\\%c", *s);
        else if (*s == '\n')
            put(p, "\\n");
        else
            put(p, "%c", *s);
    }
}

/* The descriptors this worker holds (the one answering the scrape). */
static long open_fds(void)
{
    DIR *d = opendir("/proc/self/fd");
    struct dirent *e;
    long n = 0;
    if (d == NULL)
        return -1;
    while ((e = readdir(d)) != NULL)
        n += e->d_name[0] != '.';
    closedir(d);
    return n - 1; /* opendir's own */
}

static void render_connections(struct page *p, const struct stats *t)
{
    static const char *const states[] = {"reading", "writing", "waiting"};
    static const char *const ktls_now[] = {"tx", "tx_rx"};
    static const char *const results[] = {"full", "resumed", "failed"};
    unsigned long long g[FB__COUNT + 1];

    family(p, "ktlsd_connections_active", "gauge", "Client connections open now.");
    put(p, "ktlsd_connections_active %ld\n", t->active);
    g[0] = (unsigned long long)t->reading;
    g[1] = (unsigned long long)t->writing;
    g[2] = (unsigned long long)t->waiting;
    labelled(p, "ktlsd_connections", "gauge",
             "Connections open now by state (nginx's Reading, Writing, Waiting).", "state", states,
             g, 3);
    g[0] = (unsigned long long)t->ktls_tx;
    g[1] = (unsigned long long)t->ktls_txrx;
    labelled(p, "ktlsd_ktls_connections", "gauge", "TLS connections open now on kTLS.", "ktls",
             ktls_now, g, 2);
    for (int k = 0; k < FB__COUNT; k++)
        g[k] = (unsigned long long)t->fallback[k];
    labelled(p, "ktlsd_ktls_fallback_connections", "gauge",
             "TLS connections open now without kTLS TX, by reason.", "reason", stats_fallback_names,
             g, FB__COUNT);

    family(p, "ktlsd_connections_accepted_total", "counter", "Connections accepted.");
    put(p, "ktlsd_connections_accepted_total %llu\n", t->accepted);
    family(p, "ktlsd_connections_handled_total", "counter",
           "Connections handled (accepted and not refused for lack of worker_connections).");
    put(p, "ktlsd_connections_handled_total %llu\n", t->handled);
    family(p, "ktlsd_tls_connections_total", "counter",
           "TLS connections that finished their handshake, by TLS version and kTLS state.");
    for (int v = 0; v < TLSV__COUNT; v++)
        for (int k = 0; k < KST__COUNT; k++)
            put(p, "ktlsd_tls_connections_total{version=\"%s\",ktls=\"%s\"} %llu\n",
                stats_tls_version_names[v], stats_ktls_state_names[k], t->tls_conns[v][k]);
    for (int k = 0; k < FB__COUNT; k++)
        g[k] = t->fallbacks[k];
    g[FB__COUNT] = t->key_update_closes;
    labelled(p, "ktlsd_ktls_fallbacks_total", "counter",
             "TLS connections served without kTLS TX by reason (disabled: ktls off or "
             "ssl_buffer_size below 16k; no_kernel_tls: no tls ULP; cipher: not offloaded; "
             "openssl_refused: an offloaded cipher that OpenSSL kept in user space), and "
             "kTLS connections closed on a TLS 1.3 key update kTLS cannot follow (key_update).",
             "reason", stats_fallback_names, g, FB__COUNT + 1);
    family(p, "ktlsd_ktls_zerocopy_connections_total", "counter",
           "kTLS connections with zero-copy sendfile (TLS_TX_ZEROCOPY_RO).");
    put(p, "ktlsd_ktls_zerocopy_connections_total %llu\n", t->ktls_zerocopy);
    family(p, "ktlsd_tls_key_update_rekeys_total", "counter",
           "TLS 1.3 key updates kTLS followed: the kernel took the next key.");
    put(p, "ktlsd_tls_key_update_rekeys_total %llu\n", t->key_update_rekeys);
    family(p, "ktlsd_ktls_mode_connections_total", "counter",
           "TLS connections by the kernel's kTLS mode of each direction.");
    for (int m = 0; m < KTLS_MODE__COUNT; m++)
        put(p,
            "ktlsd_ktls_mode_connections_total{direction=\"tx\",mode=\"%s\"} %llu\n"
            "ktlsd_ktls_mode_connections_total{direction=\"rx\",mode=\"%s\"} %llu\n",
            ktls_mode_name(m), t->ktls_mode_tx[m], ktls_mode_name(m), t->ktls_mode_rx[m]);
    g[0] = t->hs_full;
    g[1] = t->hs_resumed;
    g[2] = t->hs_failed;
    labelled(p, "ktlsd_tls_handshakes_total", "counter",
             "TLS handshakes: full, resumed (session reuse), failed.", "result", results, g, 3);
}

static void render_requests(struct page *p, const struct stats *t)
{
    unsigned long long cum = 0;
    family(p, "ktlsd_http_requests_total", "counter", "HTTP requests read.");
    put(p, "ktlsd_http_requests_total %llu\n", t->requests);
    labelled(p, "ktlsd_http_responses_total", "counter",
             "Responses sent (or cut short), by status class (444, closed without one, is 4xx); "
             "other: no status.",
             "code", stats_response_names, t->responses, ARRAY_LEN(t->responses));
    labelled(p, "ktlsd_http_protocol_responses_total", "counter",
             "Responses by the HTTP version of the request.", "version", stats_http_version_names,
             t->http_versions, HV__COUNT);
    labelled(p, "ktlsd_response_body_bytes_total", "counter",
             "Response body bytes by send path: ktls_sendfile (the kernel encrypts, files by "
             "sendfile), ktls_copy (the kernel encrypts, sendfile off: pread and send), tls_copy "
             "(userspace TLS), plain_sendfile, plain_copy. The sendfile paths send bodies held in "
             "memory (status page, error pages) by send().",
             "path", stats_path_names, t->body_bytes, PATH__COUNT);
    family(p, "ktlsd_http_request_duration_seconds", "histogram",
           "Time from the first byte of a request to the last byte of its response.");
    for (int b = 0; b < STATS_BUCKETS; b++) {
        cum += t->duration[b];
        if (b < STATS_BUCKETS - 1)
            put(p, "ktlsd_http_request_duration_seconds_bucket{le=\"%g\"} %llu\n",
                stats_bucket_le[b], cum);
        else
            put(p, "ktlsd_http_request_duration_seconds_bucket{le=\"+Inf\"} %llu\n", cum);
    }
    put(p, "ktlsd_http_request_duration_seconds_sum %.6f\n", (double)t->duration_usec / 1e6);
    put(p, "ktlsd_http_request_duration_seconds_count %llu\n", cum);
}

/* status_zone counters, labelled by zone (at most STATS_ZONES of them). */
static void render_zones(struct page *p, const struct stats *t)
{
    const struct stats_master *m = stats_master();
    if (m->nzones <= 0)
        return;
    family(p, "ktlsd_zone_responses_total", "counter",
           "Responses of the servers with a status_zone, by zone and status class.");
    for (int z = 0; z < m->nzones && z < STATS_ZONES; z++)
        for (size_t k = 0; k < ARRAY_LEN(t->zones[z].responses); k++)
            put(p, "ktlsd_zone_responses_total{zone=\"%s\",code=\"%s\"} %llu\n", m->zone_names[z],
                stats_response_names[k], t->zones[z].responses[k]);
    family(p, "ktlsd_zone_response_body_bytes_total", "counter",
           "Response body bytes of the servers with a status_zone, by zone.");
    for (int z = 0; z < m->nzones && z < STATS_ZONES; z++)
        put(p, "ktlsd_zone_response_body_bytes_total{zone=\"%s\"} %llu\n", m->zone_names[z],
            t->zones[z].body_bytes);
}

static void render_process(struct page *p)
{
    const struct stats_master *m = stats_master();
    struct timespec ts;
    double now;
    clock_gettime(CLOCK_REALTIME, &ts);
    now = (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;

    family(p, "ktlsd_start_time_seconds", "gauge", "When the master process started (Unix time).");
    put(p, "ktlsd_start_time_seconds %.3f\n", m->start_time);
    family(p, "ktlsd_uptime_seconds", "gauge", "Seconds since the master process started.");
    put(p, "ktlsd_uptime_seconds %.3f\n", m->start_time > 0 ? now - m->start_time : 0);
    family(p, "ktlsd_config_generation", "gauge",
           "The configuration's generation: 1 at start, +1 per successful reload.");
    put(p, "ktlsd_config_generation %u\n", m->generation);
    family(p, "ktlsd_config_reloads_total", "counter", "Reloads (SIGHUP) by result.");
    put(p,
        "ktlsd_config_reloads_total{result=\"ok\"} %llu\n"
        "ktlsd_config_reloads_total{result=\"failed\"} %llu\n",
        m->reloads, m->reload_fails);
    family(p, "ktlsd_config_last_reload_successful", "gauge",
           "Whether the last reload worked (1 when there was none).");
    put(p, "ktlsd_config_last_reload_successful %d\n", m->reload_time == 0 || m->reload_ok);
    family(p, "ktlsd_config_last_reload_timestamp_seconds", "gauge",
           "When the last reload was tried (Unix time; 0: none yet).");
    put(p, "ktlsd_config_last_reload_timestamp_seconds %.3f\n", m->reload_time);
    family(p, "ktlsd_config_last_reload_error_info", "gauge",
           "Why the last reload failed, as a label (absent when it did not fail).");
    if (m->reload_time > 0 && !m->reload_ok) {
        char err[sizeof(m->reload_error)];
        memcpy(err, m->reload_error, sizeof(err)); /* the master may be writing it */
        err[sizeof(err) - 1] = '\0';
        put(p, "ktlsd_config_last_reload_error_info{error=\"");
        put_label_value(p, err);
        put(p, "\"} 1\n");
    }
    family(p, "ktlsd_workers", "gauge", "Worker processes alive (old generations included).");
    put(p, "ktlsd_workers %d\n", m->workers);
    family(p, "ktlsd_workers_configured", "gauge",
           "worker_processes of the running configuration.");
    put(p, "ktlsd_workers_configured %d\n", m->workers_configured);
    family(p, "ktlsd_worker_respawns_total", "counter", "Workers restarted after they died.");
    put(p, "ktlsd_worker_respawns_total %llu\n", m->respawns);
    family(p, "ktlsd_worker_open_fds", "gauge",
           "Open file descriptors of the worker that answered this scrape.");
    put(p, "ktlsd_worker_open_fds %ld\n", open_fds());
}

/* The kernel's /proc/net/tls_stat: gauges (TlsCurr*) and counters side by
 * side, so one untyped family labelled by the kernel's own names. */
static void render_kernel(struct page *p)
{
    struct ktls_stat ks;
    if (ktls_stat_read(&ks) != KT_OK)
        return;
    family(p, "ktlsd_kernel_tls_stat", "untyped",
           "The kernel's /proc/net/tls_stat, system-wide, by its own counter names.");
    for (size_t i = 0; i < ks.n; i++)
        put(p, "ktlsd_kernel_tls_stat{name=\"%s\"} %llu\n", ks.c[i].name, ks.c[i].value);
}

size_t metrics_render(char *out, size_t cap)
{
    struct page p = {out, cap, 0};
    struct stats t;
    stats_total(&t);
    render_connections(&p, &t);
    render_requests(&p, &t);
    render_zones(&p, &t);
    render_process(&p);
    render_kernel(&p);
    return p.pos < cap ? p.pos : 0;
}
