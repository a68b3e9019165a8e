/* stats.h: counters for the status page, in memory shared by the master
 * and all workers. Each worker writes only its own slot (no atomics, no
 * locks); the status page adds the slots up. */
#ifndef KTLSD_STATS_H
#define KTLSD_STATS_H

#include <stddef.h>

#include "ktls_info.h"

/* why a TLS connection is not on kTLS TX: ktls off (or a small
 * ssl_buffer_size), no tls ULP in the kernel, a cipher the kernel does not
 * take, or one it takes and OpenSSL still did not hand over */
enum stats_fallback { FB_DISABLED, FB_NO_KERNEL, FB_CIPHER, FB_OPENSSL, FB__COUNT };
enum stats_tls_version { TLSV_12, TLSV_13, TLSV_OTHER, TLSV__COUNT };
/* kTLS state of a TLS connection after its handshake */
enum stats_ktls_state { KST_TX_RX, KST_TX, KST_RX, KST_OFF, KST__COUNT };
enum stats_http_version { HV_10, HV_11, HV_2, HV_OTHER, HV__COUNT };
/* the path a response body took */
enum stats_path {
    PATH_KTLS_SENDFILE,
    PATH_KTLS_COPY,
    PATH_TLS_COPY,
    PATH_PLAIN_SENDFILE,
    PATH_PLAIN_COPY,
    PATH__COUNT
};
/* request-duration histogram: the upper bounds are in stats.c, +Inf last */
#define STATS_BUCKETS 12
/* status_zone names the status page counts apart: a bound on the labels */
#define STATS_ZONES 16
#define STATS_ZONE_NAME 64

/* A status_zone's counters. */
struct stats_zone {
    unsigned long long responses[6]; /* as struct stats' */
    unsigned long long body_bytes;
};

struct stats {
    /* gauges: connections now */
    long active, reading, writing, waiting;
    long ktls_tx, ktls_txrx, fallback[FB__COUNT];
    /* counters since start */
    unsigned long long accepted, handled, requests;
    unsigned long long hs_full, hs_resumed, hs_failed;
    unsigned long long bytes_ktls, bytes_fallback, bytes_sendfile;
    unsigned long long key_update_closes; /* TLS 1.3 KeyUpdate that kTLS could not follow */
    unsigned long long key_update_rekeys; /* TLS 1.3 KeyUpdate followed: the kernel's next key */
    /* TLS connections (handshake done) by the kTLS mode of each direction */
    unsigned long long ktls_mode_tx[KTLS_MODE__COUNT], ktls_mode_rx[KTLS_MODE__COUNT];
    unsigned long long ktls_zerocopy; /* connections on TLS_TX_ZEROCOPY_RO sendfile */
    /* counters since start, for the Prometheus page (metrics.c) */
    unsigned long long tls_conns[TLSV__COUNT][KST__COUNT]; /* by version and kTLS state */
    unsigned long long fallbacks[FB__COUNT];               /* TLS connections without kTLS TX */
    unsigned long long responses[6];                       /* [c]: cxx; [0]: no status */
    unsigned long long http_versions[HV__COUNT];
    unsigned long long body_bytes[PATH__COUNT];
    unsigned long long duration[STATS_BUCKETS]; /* not cumulative: the first bucket that fits */
    unsigned long long duration_usec;           /* their sum, in microseconds */
    struct stats_zone zones[STATS_ZONES];
};

/* Process facts the master writes and the status page reads. */
struct stats_master {
    double start_time;   /* Unix time the master started */
    unsigned generation; /* 1 at start-up, +1 per successful reload */
    int workers;         /* worker processes alive, all generations */
    int workers_configured;
    unsigned long long respawns;              /* workers restarted after they died */
    unsigned long long reloads, reload_fails; /* SIGHUP reloads that worked, that failed */
    double reload_time;                       /* Unix time of the last reload; 0: none yet */
    int reload_ok;
    char reload_error[1024]; /* why the last reload failed; "" if it did not */
    /* status_zone names, in the order they first appeared; the first
     * nzones are taken, and keep their index across reloads */
    int nzones;
    char zone_names[STATS_ZONES][STATS_ZONE_NAME];
};

/* Maps the shared slots (the master, before the first fork). */
int stats_init(size_t slots);
/* The calling worker's slot: its gauges start at zero, counters carry on
 * from the worker it replaces. */
struct stats *stats_slot(size_t slot);
/* The sum over all slots. */
void stats_total(struct stats *out);
/* The page: nginx stub_status's layout plus ktlsd's lines, or JSON; the
 * kernel's /proc/net/tls_stat counters are passed through by name. */
size_t stats_render(char *out, size_t cap, int json);
/* The master's facts: in the shared mapping (a dummy without it). */
struct stats_master *stats_master(void);
/* A connection's TLS version ("TLSv1.3") and kTLS state, once per handshake. */
void stats_count_tls(const char *protocol, int ktls_tx, int ktls_rx, int fallback);
/* A finished response: its status, HTTP version, body bytes and path, and
 * how long it took from the first byte of the request. */
void stats_count_response(int status, int http_major, int http_minor, unsigned long long body,
                          enum stats_path path, double seconds);
/* ... and in a status_zone: zone is server_conf's (1 + index; 0: none). */
void stats_count_zone(int zone, int status, unsigned long long body);
/* The index of a status_zone name (added when new), by the master before
 * it forks; -1 when STATS_ZONES are taken or the name is too long. */
int stats_zone_id(const char *name);
/* Label names, by index of the arrays above. */
extern const char *const stats_tls_version_names[TLSV__COUNT];
/* the fallback reasons, then "key_update" (key_update_closes) */
extern const char *const stats_fallback_names[FB__COUNT + 1];
extern const char *const stats_ktls_state_names[KST__COUNT];
extern const char *const stats_http_version_names[HV__COUNT];
extern const char *const stats_path_names[PATH__COUNT];
extern const char *const stats_response_names[6];
/* The histogram's upper bounds in seconds (STATS_BUCKETS - 1 of them; +Inf is last). */
extern const double stats_bucket_le[STATS_BUCKETS - 1];

/* This worker's slot; a dummy before stats_slot() is called. */
extern struct stats *stats_me;

#endif
