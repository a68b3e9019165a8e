/* stats.c: shared-memory counters (one slot per worker) and the status page. */
#include "stats.h"
#include "util.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>

static struct stats *slots;
static size_t nslots;
static struct stats dummy;
struct stats *stats_me = &dummy;

static const char *const fallback_names[FB__COUNT] = {"disabled", "no_kernel_tls", "cipher"};

int stats_init(size_t n)
{
    void *p = mmap(NULL, n * sizeof(struct stats), PROT_READ | PROT_WRITE,
                   MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    if (p == MAP_FAILED)
        return KT_ERROR;
    slots = p;
    nslots = n;
    return KT_OK;
}

struct stats *stats_slot(size_t slot)
{
    struct stats *s;
    if (slots == NULL || slot >= nslots)
        return stats_me = &dummy;
    s = &slots[slot];
    s->active = s->reading = s->writing = s->waiting = 0;
    s->ktls_tx = s->ktls_txrx = 0;
    memset(s->fallback, 0, sizeof(s->fallback));
    return stats_me = s;
}

size_t stats_slots(void)
{
    return nslots;
}

void stats_total(struct stats *t)
{
    memset(t, 0, sizeof(*t));
    for (size_t i = 0; i < nslots; i++) {
        const struct stats *s = &slots[i];
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
        for (int m = 0; m < KTLS_MODE__COUNT; m++) {
            t->ktls_mode_tx[m] += s->ktls_mode_tx[m];
            t->ktls_mode_rx[m] += s->ktls_mode_rx[m];
        }
        t->ktls_zerocopy += s->ktls_zerocopy;
    }
}

const char *stats_fallback_name(int reason)
{
    return reason >= 0 && reason < FB__COUNT ? fallback_names[reason] : "?";
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
            "\"fallback_reasons\":{\"%s\":%ld,\"%s\":%ld,\"%s\":%ld}},"
            "\"bytes\":{\"ssl_sendfile\":%llu,\"fallback\":%llu,\"sendfile\":%llu},"
            "\"tls_key_update_closes\":%llu,\"ktls_zerocopy_connections\":%llu",
            t.active, t.reading, t.writing, t.waiting, t.accepted, t.handled, t.requests, t.hs_full,
            t.hs_resumed, t.hs_failed, t.ktls_tx, t.ktls_txrx, fb, fallback_names[0], t.fallback[0],
            fallback_names[1], t.fallback[1], fallback_names[2], t.fallback[2], t.bytes_ktls,
            t.bytes_fallback, t.bytes_sendfile, t.key_update_closes, t.ktls_zerocopy);
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
                     "kTLS zero-copy sendfile connections: %llu\n",
                     t.active, t.accepted, t.handled, t.requests, t.reading, t.writing, t.waiting,
                     t.hs_full, t.hs_resumed, t.hs_failed, t.ktls_tx, t.ktls_txrx, fb,
                     fallback_names[0], t.fallback[0], fallback_names[1], t.fallback[1],
                     fallback_names[2], t.fallback[2], t.bytes_ktls, t.bytes_fallback,
                     t.bytes_sendfile, t.key_update_closes, t.ktls_zerocopy);
    if (n < 0 || (size_t)n >= cap)
        return 0;
    pos = (size_t)n;
    render_ktls(&t, out, cap, &pos, json);
    return pos < cap ? pos : 0;
}
