/* stats.c: shared-memory counters (one slot per worker) and the status page. */
#include "stats.h"
#include "util.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>

static struct stats *slots;
static size_t nslots;
static unsigned char *used; /* slots a worker has written to: the sum skips the rest */
static struct stats dummy;
static struct stats_master master_dummy, *master = &master_dummy;
struct stats *stats_me = &dummy;

static const char *const *const fallback_names = stats_fallback_names;
const char *const stats_fallback_names[FB__COUNT + 1] = {"disabled", "no_kernel_tls", "cipher",
                                                         "openssl_refused", "key_update"};

const char *const stats_tls_version_names[TLSV__COUNT] = {"TLSv1.2", "TLSv1.3", "other"};
const char *const stats_ktls_state_names[KST__COUNT] = {"tx_rx", "tx", "rx", "off"};
const char *const stats_http_version_names[HV__COUNT] = {"1.0", "1.1", "2", "other"};
const char *const stats_path_names[PATH__COUNT] = {"ktls_sendfile", "ktls_copy", "tls_copy",
                                                   "plain_sendfile", "plain_copy"};
const char *const stats_response_names[6] = {"other", "1xx", "2xx", "3xx", "4xx", "5xx"};

const double stats_bucket_le[STATS_BUCKETS - 1] = {0.005, 0.01, 0.025, 0.05, 0.1, 0.25,
                                                   0.5,   1,    2.5,   5,    10};

/* One mapping: the master's facts, a byte per slot that tells whether a
 * worker ever took it (so that the sum reads, and the kernel backs, only
 * the slots in use out of the thousands reserved), then the slots. */
int stats_init(size_t n)
{
    size_t head = (sizeof(struct stats_master) + 63) & ~(size_t)63;
    size_t flags = (n + 63) & ~(size_t)63;
    char *p = mmap(NULL, head + flags + n * sizeof(struct stats), PROT_READ | PROT_WRITE,
                   MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    if (p == MAP_FAILED)
        return KT_ERROR;
    master = (struct stats_master *)p;
    used = (unsigned char *)p + head;
    slots = (struct stats *)(p + head + flags);
    nslots = n;
    return KT_OK;
}

struct stats_master *stats_master(void)
{
    return master;
}

struct stats *stats_slot(size_t slot)
{
    struct stats *s;
    if (slots == NULL || slot >= nslots)
        return stats_me = &dummy;
    used[slot] = 1;
    s = &slots[slot];
    s->active = s->reading = s->writing = s->waiting = 0;
    s->ktls_tx = s->ktls_txrx = 0;
    memset(s->fallback, 0, sizeof(s->fallback));
    return stats_me = s;
}

void stats_total(struct stats *t)
{
    memset(t, 0, sizeof(*t));
    for (size_t i = 0; i < nslots; i++) {
        const struct stats *s = &slots[i];
        if (!used[i])
            continue;
        t->active += s->active;
        t->reading += s->reading;
        t->writing += s->writing;
        t->waiting += s->waiting;
        t->ktls_tx += s->ktls_tx;
        t->ktls_txrx += s->ktls_txrx;
        for (int k = 0; k < FB__COUNT; k++)
            t->fallback[k] += s->fallback[k];
        t->accepted += s->accepted;
        t->handled += s->handled;
        t->requests += s->requests;
        t->hs_full += s->hs_full;
        t->hs_resumed += s->hs_resumed;
        t->hs_failed += s->hs_failed;
        t->bytes_ktls += s->bytes_ktls;
        t->bytes_fallback += s->bytes_fallback;
        t->bytes_sendfile += s->bytes_sendfile;
        t->key_update_closes += s->key_update_closes;
        t->key_update_rekeys += s->key_update_rekeys;
        for (int m = 0; m < KTLS_MODE__COUNT; m++) {
            t->ktls_mode_tx[m] += s->ktls_mode_tx[m];
            t->ktls_mode_rx[m] += s->ktls_mode_rx[m];
        }
        t->ktls_zerocopy += s->ktls_zerocopy;
        for (int v = 0; v < TLSV__COUNT; v++)
            for (int k = 0; k < KST__COUNT; k++)
                t->tls_conns[v][k] += s->tls_conns[v][k];
        for (int k = 0; k < FB__COUNT; k++)
            t->fallbacks[k] += s->fallbacks[k];
        for (size_t k = 0; k < ARRAY_LEN(s->responses); k++)
            t->responses[k] += s->responses[k];
        for (int k = 0; k < HV__COUNT; k++)
            t->http_versions[k] += s->http_versions[k];
        for (int k = 0; k < PATH__COUNT; k++)
            t->body_bytes[k] += s->body_bytes[k];
        for (int k = 0; k < STATS_BUCKETS; k++)
            t->duration[k] += s->duration[k];
        t->duration_usec += s->duration_usec;
        for (int z = 0; z < STATS_ZONES; z++) {
            for (size_t k = 0; k < ARRAY_LEN(s->responses); k++)
                t->zones[z].responses[k] += s->zones[z].responses[k];
            t->zones[z].body_bytes += s->zones[z].body_bytes;
        }
    }
}

int stats_zone_id(const char *name)
{
    if (strlen(name) >= STATS_ZONE_NAME)
        return -1;
    for (int z = 0; z < master->nzones; z++)
        if (strcmp(master->zone_names[z], name) == 0)
            return z;
    if (master->nzones >= STATS_ZONES)
        return -1;
    snprintf(master->zone_names[master->nzones], STATS_ZONE_NAME, "%s", name);
    return master->nzones++;
}

void stats_count_zone(int zone, int status, unsigned long long body)
{
    struct stats_zone *z;
    if (zone <= 0 || zone > STATS_ZONES)
        return;
    z = &stats_me->zones[zone - 1];
    z->responses[status >= 100 && status < 600 ? status / 100 : 0]++;
    z->body_bytes += body;
}

void stats_count_tls(const char *protocol, int ktls_tx, int ktls_rx, int fallback)
{
    int v = strcmp(protocol, "TLSv1.3") == 0   ? TLSV_13
            : strcmp(protocol, "TLSv1.2") == 0 ? TLSV_12
                                               : TLSV_OTHER;
    int k = ktls_tx ? (ktls_rx ? KST_TX_RX : KST_TX) : (ktls_rx ? KST_RX : KST_OFF);
    stats_me->tls_conns[v][k]++;
    if (fallback >= 0 && fallback < FB__COUNT)
        stats_me->fallbacks[fallback]++;
}

void stats_count_response(int status, int http_major, int http_minor, unsigned long long body,
                          enum stats_path path, double seconds)
{
    int b = 0;
    stats_me->responses[status >= 100 && status < 600 ? status / 100 : 0]++;
    stats_me->http_versions[http_major == 2                      ? HV_2
                            : http_major == 1 && http_minor == 1 ? HV_11
                            : http_major == 1 && http_minor == 0 ? HV_10
                                                                 : HV_OTHER]++;
    if (path >= 0 && path < PATH__COUNT)
        stats_me->body_bytes[path] += body;
    if (seconds < 0)
        seconds = 0;
    while (b < STATS_BUCKETS - 1 && seconds > stats_bucket_le[b])
        b++;
    stats_me->duration[b]++;
    stats_me->duration_usec += (unsigned long long)(seconds * 1e6 + 0.5);
}

/* Appends to out at *pos; *pos passes cap when it does not fit. */
static void put(char *out, size_t cap, size_t *pos, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
static void put(char *out, size_t cap, size_t *pos, const char *fmt, ...)
{
    va_list ap;
    int n;
    if (*pos >= cap)
        return;
    va_start(ap, fmt);
    n = vsnprintf(out + *pos, cap - *pos, fmt, ap);
    va_end(ap);
    *pos = n < 0 ? cap : *pos + (size_t)n;
}

/* ktlsd's kTLS lines after the others: connections by mode, then the
 * kernel's counters under their own names (text), or the same as JSON
 * members "ktls_modes" and "tls_stat" (null without the tls module). */
static void render_ktls(const struct stats *t, char *out, size_t cap, size_t *pos, int json)
{
    static const int order[] = {KTLS_MODE_SW, KTLS_MODE_HW, KTLS_MODE_HW_RECORD, KTLS_MODE_UNKNOWN,
                                KTLS_MODE_OFF};
    const unsigned long long *dir[2] = {t->ktls_mode_tx, t->ktls_mode_rx};
    struct ktls_stat ks;
    int have = ktls_stat_read(&ks) == KT_OK;

    for (int d = 0; d < 2; d++) {
        if (json)
            put(out, cap, pos, d == 0 ? ",\"ktls_modes\":{\"tx\":{" : ",\"rx\":{");
        else
            put(out, cap, pos, "kTLS %s modes:", d == 0 ? "TX" : "RX");
        for (size_t i = 0; i < ARRAY_LEN(order); i++)
            put(out, cap, pos, json ? "%s\"%s\":%llu" : "%s%s %llu",
                json ? (i > 0 ? "," : "") : " ", ktls_mode_name(order[i]), dir[d][order[i]]);
        put(out, cap, pos, json ? "}" : "\n");
    }
    if (json) {
        put(out, cap, pos, "},\"tls_stat\":%s", have ? "{" : "null");
        for (size_t i = 0; i < ks.n; i++)
            put(out, cap, pos, "%s\"%s\":%llu", i > 0 ? "," : "", ks.c[i].name, ks.c[i].value);
        put(out, cap, pos, "%s}\n", have ? "}" : "");
        return;
    }
    put(out, cap, pos, "Kernel TLS counters (/proc/net/tls_stat):%s",
        have ? "" : " none, the tls module is not loaded");
    for (size_t i = 0; i < ks.n; i++)
        put(out, cap, pos, " %s %llu", ks.c[i].name, ks.c[i].value);
    put(out, cap, pos, "\n");
}

/* One "name value" list: text "label: a 1 b 2\n", or JSON "\"key\":{\"a\":1,\"b\":2}"
 * after a comma unless it is the first member. */
static void put_list(char *out, size_t cap, size_t *pos, int json, int first, const char *key,
                     const char *const *names, const unsigned long long *v, size_t n)
{
    put(out, cap, pos, json ? "%s\"%s\":{" : "%s%s:", json && !first ? "," : "", key);
    for (size_t i = 0; i < n; i++)
        put(out, cap, pos, json ? "%s\"%s\":%llu" : "%s%s %llu", json ? (i > 0 ? "," : "") : " ",
            names[i], v[i]);
    put(out, cap, pos, json ? "}" : "\n");
}

/* status_zone counters: a line per zone, or a JSON member "zones" (names
 * are plain: server.c allows letters, digits, "_-."). */
static void render_zones(const struct stats *t, char *out, size_t cap, size_t *pos, int json)
{
    if (json)
        put(out, cap, pos, ",\"zones\":{");
    for (int z = 0; z < master->nzones && z < STATS_ZONES; z++) {
        char key[STATS_ZONE_NAME + 16];
        snprintf(key, sizeof(key), json ? "%s" : "Zone %s responses", master->zone_names[z]);
        if (json)
            put(out, cap, pos, "%s\"%s\":{", z > 0 ? "," : "", master->zone_names[z]);
        put_list(out, cap, pos, json, 1, json ? "responses" : key, stats_response_names,
                 t->zones[z].responses, ARRAY_LEN(t->zones[z].responses));
        if (json)
            put(out, cap, pos, ",\"body_bytes\":%llu}", t->zones[z].body_bytes);
        else
            put(out, cap, pos, "Zone %s body bytes: %llu\n", master->zone_names[z],
                t->zones[z].body_bytes);
    }
    if (json)
        put(out, cap, pos, "}");
}

/* The counters since start that the gauges above do not tell: TLS
 * connections by version and kTLS state, fallbacks by reason, responses by
 * class and HTTP version, body bytes by path. JSON: a "totals" member. */
static void render_totals(const struct stats *t, char *out, size_t cap, size_t *pos, int json)
{
    unsigned long long fb[FB__COUNT + 1];
    for (int k = 0; k < FB__COUNT; k++)
        fb[k] = t->fallbacks[k];
    fb[FB__COUNT] = t->key_update_closes;
    if (json)
        put(out, cap, pos, ",\"totals\":{\"tls_connections\":{");
    else
        put(out, cap, pos,
            "(Active, Reading, Writing, Waiting and \"kTLS connections\" are "
            "gauges: connections open now; the other numbers count since start)\n");
    for (int v = 0; v < TLSV__COUNT; v++) {
        char key[64];
        snprintf(key, sizeof(key), json ? "%s" : "TLS connections since start, %s",
                 stats_tls_version_names[v]);
        put_list(out, cap, pos, json, v == 0, key, stats_ktls_state_names, t->tls_conns[v],
                 KST__COUNT);
    }
    if (json)
        put(out, cap, pos, "}");
    put_list(out, cap, pos, json, 0, json ? "ktls_fallbacks" : "kTLS fallbacks since start",
             stats_fallback_names, fb, FB__COUNT + 1);
    put_list(out, cap, pos, json, 0, json ? "responses" : "Responses", stats_response_names,
             t->responses, ARRAY_LEN(t->responses));
    put_list(out, cap, pos, json, 0, json ? "http_versions" : "Requests by HTTP version",
             stats_http_version_names, t->http_versions, HV__COUNT);
    put_list(out, cap, pos, json, 0, json ? "body_bytes" : "Body bytes by path", stats_path_names,
             t->body_bytes, PATH__COUNT);
    if (json)
        put(out, cap, pos, "}");
    render_zones(t, out, cap, pos, json);
}

/* The master's facts: start, uptime, generation, last reload, workers. In
 * JSON a member "process", the reload's error a string with '"', '\\' and
 * control bytes escaped. */
static void render_process(char *out, size_t cap, size_t *pos, int json)
{
    const struct stats_master *m = master;
    char err[sizeof(m->reload_error)];
    struct timespec ts;
    double up;
    clock_gettime(CLOCK_REALTIME, &ts);
    up = m->start_time > 0 ? (double)ts.tv_sec + (double)ts.tv_nsec / 1e9 - m->start_time : 0;
    memcpy(err, m->reload_error, sizeof(err)); /* the master may be writing it */
    err[sizeof(err) - 1] = '\0';
    if (!json) {
        put(out, cap, pos,
            "Process: started %.0f, up %.0f s, generation %u, workers %d of %d, respawned %llu, "
            "reloads ok %llu failed %llu%s%s\n",
            m->start_time, up, m->generation, m->workers, m->workers_configured, m->respawns,
            m->reloads, m->reload_fails,
            m->reload_time > 0 && !m->reload_ok ? ", last reload failed: " : "",
            m->reload_time > 0 && !m->reload_ok ? err : "");
        return;
    }
    put(out, cap, pos,
        ",\"process\":{\"start_time\":%.3f,\"uptime\":%.3f,\"generation\":%u,\"workers\":%d,"
        "\"workers_configured\":%d,\"respawns\":%llu,\"reloads\":{\"ok\":%llu,\"failed\":%llu},"
        "\"last_reload\":",
        m->start_time, up, m->generation, m->workers, m->workers_configured, m->respawns,
        m->reloads, m->reload_fails);
    if (m->reload_time == 0) {
        put(out, cap, pos, "null}");
        return;
    }
    put(out, cap, pos, "{\"time\":%.3f,\"ok\":%s,\"error\":\"", m->reload_time,
        m->reload_ok ? "true" : "false");
    for (const char *e = m->reload_ok ? "" : err; *e != '\0'; e++) {
        unsigned char c = (unsigned char)*e;
        if (c == '"' || c == '\\')
            put(out, cap, pos, "\\%c", c);
        else if (c < 0x20)
            put(out, cap, pos, "\\u%04x", c);
        else
            put(out, cap, pos, "%c", c);
    }
    put(out, cap, pos, "\"}}");
}

size_t stats_render(char *out, size_t cap, int json)
{
    struct stats t;
    long fb = 0;
    size_t pos;
    int n;
    stats_total(&t);
    for (int k = 0; k < FB__COUNT; k++)
        fb += t.fallback[k];
    if (json)
        n = snprintf(
            out, cap,
            "{\"connections\":{\"active\":%ld,\"reading\":%ld,\"writing\":%ld,\"idle\":%ld,"
            "\"accepted\":%llu,\"handled\":%llu},\"requests\":%llu,"
            "\"tls_handshakes\":{\"full\":%llu,\"resumed\":%llu,\"failed\":%llu},"
            "\"ktls\":{\"tx\":%ld,\"tx_rx\":%ld,\"fallback\":%ld,"
            "\"fallback_reasons\":{\"%s\":%ld,\"%s\":%ld,\"%s\":%ld,\"%s\":%ld}},"
            "\"bytes\":{\"ssl_sendfile\":%llu,\"fallback\":%llu,\"sendfile\":%llu},"
            "\"tls_key_update_closes\":%llu,\"tls_key_update_rekeys\":%llu,"
            "\"ktls_zerocopy_connections\":%llu",
            t.active, t.reading, t.writing, t.waiting, t.accepted, t.handled, t.requests, t.hs_full,
            t.hs_resumed, t.hs_failed, t.ktls_tx, t.ktls_txrx, fb, fallback_names[0], t.fallback[0],
            fallback_names[1], t.fallback[1], fallback_names[2], t.fallback[2], fallback_names[3],
            t.fallback[3], t.bytes_ktls, t.bytes_fallback, t.bytes_sendfile, t.key_update_closes,
            t.key_update_rekeys, t.ktls_zerocopy);
    else
        n = snprintf(out, cap,
                     "Active connections: %ld \n"
                     "server accepts handled requests\n"
                     " %llu %llu %llu \n"
                     "Reading: %ld Writing: %ld Waiting: %ld \n"
                     "TLS handshakes: full %llu resumed %llu failed %llu\n"
                     "kTLS connections: tx %ld tx+rx %ld fallback %ld (%s %ld, %s %ld, %s %ld)\n"
                     "Bytes sent: ssl_sendfile %llu fallback %llu sendfile %llu\n"
                     "TLS key updates kTLS could not follow (connections closed): %llu\n"
                     "TLS key updates kTLS followed (new kernel key): %llu\n"
                     "kTLS zero-copy sendfile connections: %llu\n",
                     t.active, t.accepted, t.handled, t.requests, t.reading, t.writing, t.waiting,
                     t.hs_full, t.hs_resumed, t.hs_failed, t.ktls_tx, t.ktls_txrx, fb,
                     fallback_names[0], t.fallback[0], fallback_names[1], t.fallback[1],
                     fallback_names[2], t.fallback[2], t.bytes_ktls, t.bytes_fallback,
                     t.bytes_sendfile, t.key_update_closes, t.key_update_rekeys, t.ktls_zerocopy);
    if (n < 0 || (size_t)n >= cap)
        return 0;
    pos = (size_t)n;
    render_totals(&t, out, cap, &pos, json);
    render_process(out, cap, &pos, json);
    render_ktls(&t, out, cap, &pos, json);
    return pos < cap ? pos : 0;
}
