/* stats.h: counters for the status page, in memory shared by the master
 * and all workers. Each worker writes only its own slot (no atomics, no
 * locks); the status page adds the slots up. */
#ifndef KTLSD_STATS_H
#define KTLSD_STATS_H

#include <stddef.h>

#include "ktls_info.h"

enum stats_fallback { FB_DISABLED, FB_NO_KERNEL, FB_CIPHER, FB__COUNT };

struct stats {
    /* gauges: connections now */
    long active, reading, writing, waiting;
    long ktls_tx, ktls_txrx, fallback[FB__COUNT];
    /* counters since start */
    unsigned long long accepted, handled, requests;
    unsigned long long hs_full, hs_resumed, hs_failed;
    unsigned long long bytes_ktls, bytes_fallback, bytes_sendfile;
    unsigned long long key_update_closes; /* TLS 1.3 KeyUpdate that kTLS could not follow */
    /* TLS connections (handshake done) by the kTLS mode of each direction */
    unsigned long long ktls_mode_tx[KTLS_MODE__COUNT], ktls_mode_rx[KTLS_MODE__COUNT];
    unsigned long long ktls_zerocopy; /* connections on TLS_TX_ZEROCOPY_RO sendfile */
};

/* Maps the shared slots (the master, before the first fork). */
int stats_init(size_t slots);
/* The calling worker's slot: its gauges start at zero, counters carry on
 * from the worker it replaces. */
struct stats *stats_slot(size_t slot);
size_t stats_slots(void);
/* The sum over all slots. */
void stats_total(struct stats *out);
/* The page: nginx stub_status's layout plus ktlsd's lines, or JSON; the
 * kernel's /proc/net/tls_stat counters are passed through by name. */
size_t stats_render(char *out, size_t cap, int json);
const char *stats_fallback_name(int reason);

/* This worker's slot; a dummy before stats_slot() is called. */
extern struct stats *stats_me;

#endif
