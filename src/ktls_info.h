/* ktls_info.h: which kind of kTLS the kernel gave a socket (TLS_SW, TLS_HW,
 * TLS_HW_RECORD), asked through sock_diag as `ss -tie` asks; which TLS
 * offloads this machine's NICs offer (ethtool features); and the kernel's
 * own counters in /proc/net/tls_stat. ktlsd only reads these: the kernel
 * picks the mode when OpenSSL turns kTLS on. */
#ifndef KTLSD_KTLS_INFO_H
#define KTLSD_KTLS_INFO_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include <net/if.h>

struct log_ctx;

/* One direction of a connection. SW: the kernel encrypts; HW: the kernel
 * frames records and the NIC encrypts; HW_RECORD: the NIC runs the whole
 * record layer; UNKNOWN: kTLS is on but the kernel would not say how. */
enum ktls_mode {
    KTLS_MODE_OFF,
    KTLS_MODE_SW,
    KTLS_MODE_HW,
    KTLS_MODE_HW_RECORD,
    KTLS_MODE_UNKNOWN,
    KTLS_MODE__COUNT
};

struct ktls_modes {
    unsigned char tx, rx; /* enum ktls_mode */
};

/* "off", "sw", "hw", "hw_record", "unknown". */
const char *ktls_mode_name(int mode);
/* $ktls_mode: "tx=sw rx=sw", "tx=hw rx=off", or "off" when neither is on. */
const char *ktls_modes_text(const struct ktls_modes *m, char *out, size_t cap);

/* The modes of the connected TCP socket fd, whose directions OpenSSL put
 * on kTLS or not (tx_on, rx_on). A direction that is off is not asked
 * about; otherwise one sock_diag query (this process's netlink socket,
 * opened on first use) filtered to fd's addresses and ports. When the
 * kernel does not say (workers without CAP_NET_ADMIN), a direction is SW
 * if no interface has a TLS offload on, else UNKNOWN; why is logged once. */
void ktls_info_modes(int fd, int tx_on, int rx_on, struct ktls_modes *m, const struct log_ctx *log);

/* Reads one sock_diag reply (buf, len) to the request numbered seq.
 * KT_OK: the kernel's TLS ULP info filled m; KT_AGAIN: the buffer holds
 * only messages to other requests, read again; KT_ERROR: *errnum is the
 * kernel's error, or 0 when the reply carries no TLS ULP info. */
int ktls_diag_parse(const void *buf, size_t len, uint32_t seq, struct ktls_modes *m, int *errnum);

/* --- NICs --------------------------------------------------------------- */

enum ktls_nic_state { KTLS_NIC_ABSENT, KTLS_NIC_OFF, KTLS_NIC_ON };

/* The three TLS features of one interface (ethtool's names:
 * tls-hw-tx-offload, tls-hw-rx-offload, tls-hw-record). OFF: the driver
 * offers it and it is off (`ethtool -K IFACE FEATURE on`). */
struct ktls_nic {
    char name[IF_NAMESIZE];
    unsigned char tx, rx, record; /* enum ktls_nic_state */
};

/* Every interface, up or down (at most cap); returns how many there are. */
size_t ktls_nic_list(struct ktls_nic *out, size_t cap);
/* One interface's features from ETHTOOL_GSTRINGS(ETH_SS_FEATURES) (nstr
 * names of ETH_GSTRING_LEN bytes) and ETHTOOL_GFEATURES (nblocks blocks of
 * four u32: available, requested, active, never_changed). */
void ktls_nic_parse(const char *strings, uint32_t nstr, const uint32_t *blocks, uint32_t nblocks,
                    struct ktls_nic *nic);
/* ktlsd -V: each interface, and what to do to turn an offload on. */
void ktls_nic_print(FILE *out);
/* The start-up notice's words for it: "NIC TLS offload: none (lo), ...". */
const char *ktls_nic_summary(char *out, size_t cap);

/* --- /proc/net/tls_stat ------------------------------------------------- */

#define KTLS_STAT_MAX 48

struct ktls_stat {
    size_t n;
    struct {
        char name[32];
        unsigned long long value;
    } c[KTLS_STAT_MAX];
};

/* KT_ERROR when there is no /proc/net/tls_stat (the tls module is not
 * loaded): st->n is then 0. */
int ktls_stat_read(struct ktls_stat *st);
/* The file's text: "NAME VALUE" lines, names kept as the kernel has them. */
void ktls_stat_parse(const char *text, struct ktls_stat *st);

#endif
