/* ktls_info.c: the kind of kTLS the kernel runs for a socket, the NICs'
 * TLS offloads, and /proc/net/tls_stat.
 *
 * The mode: when OpenSSL sets TLS_TX / TLS_RX, the kernel (net/tls/
 * tls_main.c, tls_set_device_offload) tries the NIC first when the route's
 * netdev has tls-hw-tx-offload (tls-hw-rx-offload) on and the cipher is one
 * the driver takes (AES-GCM), and falls back to TLS_SW. Nothing comes back
 * to OpenSSL about which it chose; the only place it is told is sock_diag:
 * INET_DIAG_ULP_INFO -> INET_ULP_INFO_TLS -> TLS_INFO_TXCONF / _RXCONF
 * (tls_get_info; what `ss -tie` prints as "tls ... txconf: sw").
 *
 * Two kernel conditions on that answer (Linux 5.4 to at least 6.12,
 * net/ipv4/inet_diag.c and tcp_diag.c):
 *   - the ULP attributes come with the aux data, which inet_sk_diag_fill
 *     adds only when the request asks for INET_DIAG_INFO (tcp_info): the
 *     query sets that bit (INET_DIAG_ULP_INFO is attribute 19, beyond the
 *     eight bits of idiag_ext: it cannot be asked for by itself);
 *   - tcp_diag_get_aux adds them only for a CAP_NET_ADMIN requester
 *     (net_admin). Workers that switched to an unprivileged "user" get no
 *     answer; the mode is then inferred: TLS_HW needs an interface with a
 *     TLS offload on, so with none it can only be TLS_SW. */
#include "ktls_info.h"
#include "log.h"
#include "util.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

#include <netinet/in.h>
#include <netinet/tcp.h>
#include <linux/ethtool.h>
#include <linux/inet_diag.h>
#include <linux/netlink.h>
#include <linux/sock_diag.h>
#include <linux/sockios.h>
#include <linux/tls.h>

/* Debian 12's linux-libc-dev (6.1) has all of these; older uapi headers
 * may not. Values from include/uapi/linux/inet_diag.h and tls.h. */
#ifndef TLS_CONF_BASE
#define TLS_CONF_BASE 1
#define TLS_CONF_SW 2
#define TLS_CONF_HW 3
#define TLS_CONF_HW_RECORD 4
#endif

static const char *const mode_names[KTLS_MODE__COUNT] = {"off", "sw", "hw", "hw_record", "unknown"};

const char *ktls_mode_name(int mode)
{
    return mode >= 0 && mode < KTLS_MODE__COUNT ? mode_names[mode] : "unknown";
}

const char *ktls_modes_text(const struct ktls_modes *m, char *out, size_t cap)
{
    if (m->tx == KTLS_MODE_OFF && m->rx == KTLS_MODE_OFF)
        return "off";
    snprintf(out, cap, "tx=%s rx=%s", ktls_mode_name(m->tx), ktls_mode_name(m->rx));
    return out;
}

/* --- sock_diag ------------------------------------------------------------ */

/* The payload of the attribute of type want among the attributes in
 * [p, p + len), or NULL; *dlen its length. */
static const unsigned char *attr_find(const unsigned char *p, size_t len, int want, size_t *dlen)
{
    while (len >= NLA_HDRLEN) {
        struct nlattr a;
        size_t step;
        memcpy(&a, p, sizeof(a));
        if (a.nla_len < NLA_HDRLEN || a.nla_len > len)
            return NULL;
        if ((a.nla_type & NLA_TYPE_MASK) == want) {
            *dlen = a.nla_len - NLA_HDRLEN;
            return p + NLA_HDRLEN;
        }
        step = NLA_ALIGN(a.nla_len);
        if (step >= len)
            break;
        p += step;
        len -= step;
    }
    return NULL;
}

/* TLS_INFO_TXCONF / TLS_INFO_RXCONF (a u16, tls_user_config()) as a mode;
 * absent or TLS_CONF_BASE: that direction has no kTLS. */
static unsigned char conf_mode(const unsigned char *tls, size_t tlen, int type)
{
    size_t dlen;
    uint16_t v;
    const unsigned char *d = attr_find(tls, tlen, type, &dlen);
    if (d == NULL || dlen < sizeof(v))
        return KTLS_MODE_OFF;
    memcpy(&v, d, sizeof(v));
    switch (v) {
    case TLS_CONF_BASE:
        return KTLS_MODE_OFF;
    case TLS_CONF_SW:
        return KTLS_MODE_SW;
    case TLS_CONF_HW:
        return KTLS_MODE_HW;
    case TLS_CONF_HW_RECORD:
        return KTLS_MODE_HW_RECORD;
    default:
        return KTLS_MODE_UNKNOWN;
    }
}

int ktls_diag_parse(const void *buf, size_t len, uint32_t seq, struct ktls_modes *m, int *errnum)
{
    const unsigned char *p = buf;
    *errnum = 0;
    while (len >= sizeof(struct nlmsghdr)) {
        struct nlmsghdr h;
        size_t step;
        memcpy(&h, p, sizeof(h));
        if (h.nlmsg_len < sizeof(h) || h.nlmsg_len > len) {
            *errnum = EBADMSG;
            return KT_ERROR;
        }
        if (h.nlmsg_seq == seq && h.nlmsg_type == NLMSG_ERROR) {
            int e = 0;
            if (h.nlmsg_len >= NLMSG_LENGTH(sizeof(e)))
                memcpy(&e, p + NLMSG_HDRLEN, sizeof(e));
            *errnum = e < 0 ? -e : ENOENT; /* an ack without an answer: no such socket */
            return KT_ERROR;
        }
        if (h.nlmsg_seq == seq && h.nlmsg_type == SOCK_DIAG_BY_FAMILY) {
            size_t off = NLMSG_LENGTH(sizeof(struct inet_diag_msg)), ulen, tlen;
            struct inet_diag_msg msg;
            const unsigned char *ulp, *tls;
            if (h.nlmsg_len < off) {
                *errnum = EBADMSG;
                return KT_ERROR;
            }
            memcpy(&msg, p + NLMSG_HDRLEN, sizeof(msg));
            if (msg.idiag_state == TCP_LISTEN) {
                /* inet_diag_find_one_icsk falls back to the listener when
                 * the 4-tuple is no longer there: not our connection */
                *errnum = ENOENT;
                return KT_ERROR;
            }
            off = NLMSG_ALIGN(off);
            ulp = attr_find(p + off, h.nlmsg_len > off ? h.nlmsg_len - off : 0, INET_DIAG_ULP_INFO,
                            &ulen);
            if (ulp == NULL)
                return KT_ERROR; /* no ULP, or no CAP_NET_ADMIN: *errnum 0 */
            tls = attr_find(ulp, ulen, INET_ULP_INFO_TLS, &tlen);
            m->tx = tls != NULL ? conf_mode(tls, tlen, TLS_INFO_TXCONF) : KTLS_MODE_OFF;
            m->rx = tls != NULL ? conf_mode(tls, tlen, TLS_INFO_RXCONF) : KTLS_MODE_OFF;
            return KT_OK;
        }
        step = NLMSG_ALIGN(h.nlmsg_len);
        if (step >= len)
            break;
        p += step;
        len -= step;
    }
    return KT_AGAIN;
}

static int diag_fd = -1;
static uint32_t diag_seq;
/* A reply holds struct inet_diag_msg, tcp_info (about 250 bytes) and the
 * ULP attributes: 16 KiB leaves room for kernels to come. */
static union {
    struct nlmsghdr align;
    unsigned char b[16384];
} diag_buf;

/* One request for fd's socket, matched exactly by its addresses and ports
 * (inet_diag_find_one_icsk; no cookie). The kernel answers within send():
 * the reply is already queued when recv() is called. */
static int diag_query(int fd, struct ktls_modes *m, int *errnum)
{
    struct sockaddr_storage local, peer;
    socklen_t llen = sizeof(local), plen = sizeof(peer);
    struct {
        struct nlmsghdr nlh;
        struct inet_diag_req_v2 req;
    } rq;
    struct inet_diag_sockid *id = &rq.req.id;

    if (getsockname(fd, (struct sockaddr *)&local, &llen) != 0 ||
        getpeername(fd, (struct sockaddr *)&peer, &plen) != 0) {
        *errnum = errno;
        return KT_ERROR;
    }
    if (local.ss_family != peer.ss_family ||
        (local.ss_family != AF_INET && local.ss_family != AF_INET6)) {
        *errnum = EAFNOSUPPORT;
        return KT_ERROR;
    }
    if (diag_fd < 0) {
        diag_fd = socket(AF_NETLINK, SOCK_DGRAM | SOCK_CLOEXEC, NETLINK_SOCK_DIAG);
        if (diag_fd < 0) {
            *errnum = errno;
            return KT_ERROR;
        }
    }
    memset(&rq, 0, sizeof(rq));
    rq.nlh.nlmsg_len = sizeof(rq);
    rq.nlh.nlmsg_type = SOCK_DIAG_BY_FAMILY;
    rq.nlh.nlmsg_flags = NLM_F_REQUEST;
    rq.nlh.nlmsg_seq = ++diag_seq;
    rq.req.sdiag_family = (uint8_t)local.ss_family;
    rq.req.sdiag_protocol = IPPROTO_TCP;
    rq.req.idiag_ext = 1 << (INET_DIAG_INFO - 1); /* brings the ULP info along (see above) */
    rq.req.idiag_states = ~0U;
    if (local.ss_family == AF_INET) {
        const struct sockaddr_in *l = (const void *)&local, *r = (const void *)&peer;
        id->idiag_sport = l->sin_port;
        id->idiag_dport = r->sin_port;
        memcpy(id->idiag_src, &l->sin_addr, 4);
        memcpy(id->idiag_dst, &r->sin_addr, 4);
    } else {
        const struct sockaddr_in6 *l = (const void *)&local, *r = (const void *)&peer;
        id->idiag_sport = l->sin6_port;
        id->idiag_dport = r->sin6_port;
        memcpy(id->idiag_src, &l->sin6_addr, 16);
        memcpy(id->idiag_dst, &r->sin6_addr, 16);
    }
    id->idiag_cookie[0] = id->idiag_cookie[1] = INET_DIAG_NOCOOKIE;
    if (send(diag_fd, &rq, sizeof(rq), 0) != (ssize_t)sizeof(rq)) {
        *errnum = errno;
        return KT_ERROR;
    }
    for (;;) { /* a stale reply to an earlier request is skipped */
        ssize_t n = recv(diag_fd, diag_buf.b, sizeof(diag_buf.b), MSG_DONTWAIT);
        int r;
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0) {
            *errnum = errno;
            return KT_ERROR;
        }
        r = ktls_diag_parse(diag_buf.b, (size_t)n, rq.nlh.nlmsg_seq, m, errnum);
        if (r != KT_AGAIN)
            return r;
    }
}

/* Whether an interface has a TLS offload on, looked at once per process:
 * then a connection without an answer from sock_diag may be TLS_HW. */
static int offload_somewhere(void)
{
    static int known = -1;
    if (known < 0) {
        static struct ktls_nic nics[256];
        size_t n = ktls_nic_list(nics, ARRAY_LEN(nics));
        known = n > ARRAY_LEN(nics);
        for (size_t i = 0; i < n && i < ARRAY_LEN(nics); i++)
            if (nics[i].tx == KTLS_NIC_ON || nics[i].rx == KTLS_NIC_ON ||
                nics[i].record == KTLS_NIC_ON)
                known = 1;
    }
    return known;
}

void ktls_info_modes(int fd, int tx_on, int rx_on, struct ktls_modes *m, const struct log_ctx *log)
{
    static int told;
    struct ktls_modes k;
    int err = 0;
    unsigned char guess;

    m->tx = m->rx = KTLS_MODE_OFF;
    if (!tx_on && !rx_on)
        return;
    if (diag_query(fd, &k, &err) == KT_OK) {
        *m = k;
        return;
    }
    guess = offload_somewhere() ? KTLS_MODE_UNKNOWN : KTLS_MODE_SW;
    m->tx = tx_on ? guess : KTLS_MODE_OFF;
    m->rx = rx_on ? guess : KTLS_MODE_OFF;
    if (told)
        return;
    told = 1;
    if (err == 0)
        log_error(LL_NOTICE, log,
                  "the kernel tells the kTLS mode (sw/hw) only to a CAP_NET_ADMIN process: "
                  "$ktls_mode and the status page say \"%s\"%s",
                  ktls_mode_name(guess),
                  guess == KTLS_MODE_SW ? " (no interface has a TLS offload on)"
                                        : " (an interface has a TLS offload on)");
    else
        log_error(LL_WARN, log, "sock_diag query for the kTLS mode failed (%d: %s): \"%s\" said",
                  err, strerror(err), ktls_mode_name(guess));
}

/* --- NICs ------------------------------------------------------------------- */

static const char *const nic_features[3] = {"tls-hw-tx-offload", "tls-hw-rx-offload",
                                            "tls-hw-record"};
static const char *const nic_state_names[3] = {"absent", "off", "on"};

/* A feature is ON when active, OFF when the driver can change it
 * ("available": hw_features) but it is not active, ABSENT otherwise, or
 * when this kernel has no such feature name at all. */
void ktls_nic_parse(const char *strings, uint32_t nstr, const uint32_t *blocks, uint32_t nblocks,
                    struct ktls_nic *nic)
{
    unsigned char *st[3] = {&nic->tx, &nic->rx, &nic->record};
    for (int f = 0; f < 3; f++) {
        *st[f] = KTLS_NIC_ABSENT;
        for (uint32_t i = 0; i < nstr && i / 32 < nblocks; i++) {
            const uint32_t *b = blocks + 4 * (i / 32); /* available requested active never */
            uint32_t bit = 1u << (i % 32);
            if (strncmp(strings + (size_t)i * ETH_GSTRING_LEN, nic_features[f], ETH_GSTRING_LEN) !=
                0)
                continue;
            *st[f] = (b[2] & bit) ? KTLS_NIC_ON : (b[0] & bit) ? KTLS_NIC_OFF : KTLS_NIC_ABSENT;
            break;
        }
    }
}

/* ETHTOOL_GSSET_INFO for the number of feature names, ETHTOOL_GSTRINGS for
 * the names, ETHTOOL_GFEATURES for the bits: all three are allowed without
 * CAP_NET_ADMIN. */
static int nic_query(int s, struct ktls_nic *nic)
{
    struct ifreq ifr;
    union {
        struct ethtool_sset_info s;
        unsigned char b[sizeof(struct ethtool_sset_info) + sizeof(uint32_t)];
    } si;
    struct ethtool_gstrings *gs = NULL;
    struct ethtool_gfeatures *gf = NULL;
    uint32_t n, nb;
    int r = KT_ERROR;

    nic->tx = nic->rx = nic->record = KTLS_NIC_ABSENT;
    memset(&ifr, 0, sizeof(ifr));
    memcpy(ifr.ifr_name, nic->name, sizeof(ifr.ifr_name));
    memset(&si, 0, sizeof(si));
    si.s.cmd = ETHTOOL_GSSET_INFO;
    si.s.sset_mask = 1ULL << ETH_SS_FEATURES;
    ifr.ifr_data = (void *)&si;
    if (ioctl(s, SIOCETHTOOL, &ifr) != 0 || !(si.s.sset_mask & (1ULL << ETH_SS_FEATURES)))
        return KT_ERROR;
    memcpy(&n, si.b + sizeof(si.s), sizeof(n));
    if (n == 0 || n > 4096)
        return KT_ERROR;
    gs = xcalloc(1, sizeof(*gs) + (size_t)n * ETH_GSTRING_LEN);
    gs->cmd = ETHTOOL_GSTRINGS;
    gs->string_set = ETH_SS_FEATURES;
    gs->len = n;
    ifr.ifr_data = (void *)gs;
    if (ioctl(s, SIOCETHTOOL, &ifr) != 0)
        goto out;
    nb = (n + 31) / 32;
    gf = xcalloc(1, sizeof(*gf) + nb * sizeof(gf->features[0]));
    gf->cmd = ETHTOOL_GFEATURES;
    gf->size = nb;
    ifr.ifr_data = (void *)gf;
    if (ioctl(s, SIOCETHTOOL, &ifr) != 0)
        goto out;
    ktls_nic_parse((const char *)gs->data, gs->len < n ? gs->len : n,
                   (const uint32_t *)(void *)gf->features, gf->size < nb ? gf->size : nb, nic);
    r = KT_OK;
out:
    free(gs);
    free(gf);
    return r;
}

size_t ktls_nic_list(struct ktls_nic *out, size_t cap)
{
    struct if_nameindex *ifs = if_nameindex();
    size_t n = 0;
    int s;
    if (ifs == NULL)
        return 0;
    s = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    for (struct if_nameindex *i = ifs; i->if_index != 0 && i->if_name != NULL; i++, n++) {
        if (n >= cap)
            continue;
        memset(&out[n], 0, sizeof(out[n]));
        snprintf(out[n].name, sizeof(out[n].name), "%s", i->if_name);
        if (s < 0 || nic_query(s, &out[n]) != KT_OK)
            out[n].tx = out[n].rx = out[n].record = KTLS_NIC_ABSENT;
    }
    if (s >= 0)
        close(s);
    if_freenameindex(ifs);
    return n;
}

void ktls_nic_print(FILE *out)
{
    struct ktls_nic nics[64];
    size_t n = ktls_nic_list(nics, ARRAY_LEN(nics)), on = 0, offered = 0;
    if (n > ARRAY_LEN(nics))
        n = ARRAY_LEN(nics);
    fprintf(out, "NIC TLS offload (ethtool features; a NIC takes AES-GCM only, other ciphers "
                 "stay TLS_SW):\n");
    if (n == 0)
        fprintf(out, "  no network interfaces\n");
    for (size_t i = 0; i < n; i++) {
        const struct ktls_nic *c = &nics[i];
        const unsigned char st[3] = {c->tx, c->rx, c->record};
        char todo[128] = "";
        size_t t = 0;
        fprintf(out, "  %s: %s %s, %s %s, %s %s\n", c->name, nic_features[0],
                nic_state_names[c->tx], nic_features[1], nic_state_names[c->rx], nic_features[2],
                nic_state_names[c->record]);
        for (int f = 0; f < 3; f++) {
            on += st[f] == KTLS_NIC_ON;
            offered += st[f] != KTLS_NIC_ABSENT;
            if (st[f] == KTLS_NIC_OFF && t < sizeof(todo))
                t += (size_t)snprintf(todo + t, sizeof(todo) - t, " %s on", nic_features[f]);
        }
        if (t > 0)
            fprintf(out, "    to turn on: ethtool -K %s%s\n", c->name, todo);
    }
    if (on > 0)
        fprintf(out, "kTLS modes: TLS_HW possible for AES-GCM connections through an interface "
                     "with an offload on;\n      the kernel picks per connection, see "
                     "$ktls_mode and the status page\n");
    else
        fprintf(out, "kTLS modes: TLS_SW only (the kernel encrypts): %s\n",
                offered > 0 ? "turn an offload on as shown above for TLS_HW"
                            : "no interface offers a TLS offload");
}

const char *ktls_nic_summary(char *out, size_t cap)
{
    struct ktls_nic nics[64];
    size_t n = ktls_nic_list(nics, ARRAY_LEN(nics)), t, shown = 0;
    if (n > ARRAY_LEN(nics))
        n = ARRAY_LEN(nics);
    t = (size_t)snprintf(out, cap, "NIC TLS offload:");
    for (size_t i = 0; i < n && t < cap; i++) {
        const struct ktls_nic *c = &nics[i];
        const unsigned char st[3] = {c->tx, c->rx, c->record};
        int off = -1;
        if (c->tx == KTLS_NIC_ABSENT && c->rx == KTLS_NIC_ABSENT && c->record == KTLS_NIC_ABSENT)
            continue;
        for (int f = 2; f >= 0; f--)
            if (st[f] == KTLS_NIC_OFF)
                off = f;
        t += (size_t)snprintf(out + t, cap - t, "%s %s tx %s, rx %s, record %s", shown ? ";" : "",
                              c->name, nic_state_names[c->tx], nic_state_names[c->rx],
                              nic_state_names[c->record]);
        if (off >= 0 && t < cap)
            t += (size_t)snprintf(out + t, cap - t, " (ethtool -K %s %s on)", c->name,
                                  nic_features[off]);
        shown++;
    }
    if (t < cap && shown == 0)
        snprintf(out + t, cap - t, " none on %zu interface%s, kTLS is TLS_SW", n,
                 n == 1 ? "" : "s");
    return out;
}

/* --- /proc/net/tls_stat ------------------------------------------------------ */

/* A counter name as the kernel writes them (TlsTxSw): safe in JSON as is. */
static int plain_name(const char *s)
{
    for (; *s != '\0'; s++)
        if (!((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') || (*s >= '0' && *s <= '9') ||
              *s == '_'))
            return 0;
    return 1;
}

void ktls_stat_parse(const char *text, struct ktls_stat *st)
{
    st->n = 0;
    while (*text != '\0' && st->n < KTLS_STAT_MAX) {
        char name[32];
        unsigned long long v;
        if (sscanf(text, "%31s %llu", name, &v) == 2 && plain_name(name)) {
            memcpy(st->c[st->n].name, name, sizeof(name));
            st->c[st->n++].value = v;
        }
        text = strchr(text, '\n');
        if (text == NULL)
            break;
        text++;
    }
}

int ktls_stat_read(struct ktls_stat *st)
{
    char buf[4096];
    size_t n;
    FILE *f = fopen("/proc/net/tls_stat", "re");
    st->n = 0;
    if (f == NULL)
        return KT_ERROR;
    n = fread(buf, 1, sizeof(buf) - 1, f);
    fclose(f);
    buf[n] = '\0';
    ktls_stat_parse(buf, st);
    return KT_OK;
}
