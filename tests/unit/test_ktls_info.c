/* ktls_info: the kernel's replies, recorded, as ktlsd parses them.
 *
 * The sock_diag replies were recorded under User-Mode Linux (Debian's
 * 6.1.176 kernel, tls.ko, x86-64) by tests/uml/ktls_modes.sh (the .hex files it writes):
 * the server's socket of a TLS 1.2 and a TLS 1.3 AES-GCM connection asked as
 * root, the TLS 1.2 one asked by nobody, and two sockets that do not exist.
 * The ethtool feature names and bits were recorded on a 6.18 host (lo and a
 * virtio eth0). No machine here has a NIC with TLS offload: the TLS_HW and
 * TLS_HW_RECORD cases change the recorded values to what the kernel sends
 * then (TLS_CONF_HW = 3, TLS_CONF_HW_RECORD = 4 in TLS_INFO_TXCONF /
 * TLS_INFO_RXCONF; the feature bits of tls-hw-tx-offload, tls-hw-rx-offload
 * and tls-hw-record set in "available" and "active"). */
#include "unit.h"
#include "../../src/ktls_info.c"

/* TLS 1.2 ECDHE-ECDSA-AES128-GCM-SHA256, asked as root: ULP "tls", version
 * 0x0303, cipher 51, txconf 2 (sw), rxconf 2 (sw) in the last 48 bytes. */
static const char diag12[] = "a00100001400000007000000f40200000201010020fbd0fe7f0000010000000000000"
                             "000000000007f00000100000000"
                             "0000000000000000000000000500000000000000d200000000000000a314000000000"
                             "0008c0000000500080000000000"
                             "08000f000000000004000e000c0015000100000000000000060016005200000004000"
                             "e00ec0002000100000000077701"
                             "605b0300409c000000800000180200000100000000000000000000000000000000000"
                             "0000a0000000000000014000000"
                             "14000000ffff0000cbff0000da350000d72a0000ffffff7f0a000000cbff000003000"
                             "00000000000cbff000000000000"
                             "a25fd50200000000ffffffffffffffff4703000000000000220100000000000005000"
                             "000070000000000000025000000"
                             "03000000040000007583c934000000001027000000000000000000000000000000000"
                             "000000000000400000000000000"
                             "ea1700000000000000000000000000000000000000000000000000000000010030001"
                             "30008000100746c730024000200"
                             "0600010003030000060002003300000006000300020000000600040002000000";
/* TLS 1.3 TLS_AES_256_GCM_SHA384: version 0x0304, cipher 52, txconf 2, rxconf 1 (base). */
static const char diag13[] = "a00100001400000007000000f40200000201010020fbd10c7f0000010000000000000"
                             "000000000007f00000100000000"
                             "0000000000000000000000000600000000000000d2000000000000009c14000000000"
                             "0009a0000000500080000000000"
                             "08000f000000000004000e000c0015000100000000000000060016005200000004000"
                             "e00ec0002000100000000077701"
                             "50340300409c000000800000180200000100000000000000000000000000000000000"
                             "000000000000000000000000000"
                             "00000000ffff0000cbff0000851300009d0c0000ffffff7f0a000000cbff000003000"
                             "00000000000cbff000000000000"
                             "6233d10700000000fffffffffffffffff104000000000000670100000000000005000"
                             "00005000000000000002d000000"
                             "0300000004000000711c672b000000000000000000000000000000000000000000000"
                             "000000000000400000000000000"
                             "8d19000000000000000000000000000000000000000000000000000080fe000030001"
                             "30008000100746c730024000200"
                             "0600010004030000060002003400000006000300020000000600040001000000";
/* The TLS 1.2 socket asked without CAP_NET_ADMIN: no INET_DIAG_ULP_INFO at all. */
static const char diag12_nobody[] = "680100001400000007000000f50200000201000020fbd0fe7f000001000000"
                                    "0000000000000000007f00000100000000"
                                    "00000000000000000000000005000000000000000000000000000000000000"
                                    "00000000008c0000000500080000000000"
                                    "04000e000c0015000100000000000000060016005200000004000e00ec0002"
                                    "000100000000077701605b0300409c0000"
                                    "00800000180200000000000000000000000000000000000000000000aa0000"
                                    "0000000000b400000078000000ffff0000"
                                    "cbff0000d3430000133c0000ffffff7f0a000000cbff000003000000000000"
                                    "00cbff000000000000e5ee3f0200000000"
                                    "ffffffffffffffffea17000000000000220100000000000005000000080000"
                                    "0000000000250000000300000004000000"
                                    "7583c9340000000050c3000000000000000000000000000000000000000000"
                                    "000500000000000000ea17000000000000"
                                    "000000000000000000000000000000000000000000000100";
/* A 4-tuple that is gone: the kernel answers with the listener (state 10). */
static const char diag_listener[] =
    "700100001400000007000000f4020000020a000020fb00007f00000100000000000000000000000000000000000000"
    "00"
    "00000000000000000000000007000000000000000000000000000000ff010000000000003b00000005000800000000"
    "00"
    "08000f000000000004000e000c0015000100000000000000060016005200000004000e00ec0002000a000000000000"
    "00"
    "0000000000000000000000000000000000000000ff0100000000000000000000000000000000000000000000000000"
    "00"
    "0000000000000000000000000000000000000000000000000a00000000000000030000000000000000000000000000"
    "00"
    "ffffffffffffffffffffffffffffffff00000000000000000000000000000000000000000000000000000000000000"
    "00"
    "0000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000"
    "00"
    "0000000000000000000000000000000000000000000000000000000000000000";
/* Nothing on that port: NLMSG_ERROR, -ENOENT. */
static const char diag_enoent[] =
    "5c0000000200000007000000f4020000feffffff4800000014000100070000000000000002060200ffffffff000900"
    "01"
    "7f0000010000000000000000000000007f00000100000000000000000000000000000000ffffffffffffffff";

/* ETHTOOL_GSTRINGS(ETH_SS_FEATURES), 64 names (Linux 6.18; the same list
 * for every interface), each padded to ETH_GSTRING_LEN bytes by the kernel. */
static const char *const feature_names[] = {
    "tx-scatter-gather",
    "tx-checksum-ipv4",
    "",
    "tx-checksum-ip-generic",
    "tx-checksum-ipv6",
    "highdma",
    "tx-scatter-gather-fraglist",
    "tx-vlan-hw-insert",
    "rx-vlan-hw-parse",
    "rx-vlan-filter",
    "vlan-challenged",
    "tx-generic-segmentation",
    "",
    "",
    "rx-gro",
    "rx-lro",
    "tx-tcp-segmentation",
    "tx-gso-robust",
    "tx-tcp-ecn-segmentation",
    "tx-tcp-mangleid-segmentation",
    "tx-tcp6-segmentation",
    "tx-fcoe-segmentation",
    "tx-gre-segmentation",
    "tx-gre-csum-segmentation",
    "tx-ipxip4-segmentation",
    "tx-ipxip6-segmentation",
    "tx-udp_tnl-segmentation",
    "tx-udp_tnl-csum-segmentation",
    "tx-gso-partial",
    "tx-tunnel-remcsum-segmentation",
    "tx-sctp-segmentation",
    "tx-esp-segmentation",
    "",
    "tx-udp-segmentation",
    "tx-gso-list",
    "tx-tcp-accecn-segmentation",
    "tx-checksum-fcoe-crc",
    "tx-checksum-sctp",
    "rx-ntuple-filter",
    "rx-hashing",
    "rx-checksum",
    "tx-nocache-copy",
    "loopback",
    "rx-fcs",
    "rx-all",
    "tx-vlan-stag-hw-insert",
    "rx-vlan-stag-hw-parse",
    "rx-vlan-stag-filter",
    "l2-fwd-offload",
    "hw-tc-offload",
    "esp-hw-offload",
    "esp-tx-csum-hw-offload",
    "rx-udp_tunnel-port-offload",
    "tls-hw-tx-offload",
    "tls-hw-rx-offload",
    "rx-gro-hw",
    "tls-hw-record",
    "rx-gro-list",
    "macsec-hw-offload",
    "rx-udp-gro-forwarding",
    "hsr-tag-ins-offload",
    "hsr-tag-rm-offload",
    "hsr-fwd-offload",
    "hsr-dup-offload",
};
/* ETHTOOL_GFEATURES: available, requested, active, never_changed per block of 32. */
static const uint32_t lo_blocks[] = {
    0x401d4800, 0x401d4800, 0x401d4c69, 0x00000400, /* */
    0x0a00000e, 0x0000000e, 0x0000052e, 0x00000000,
};
static const uint32_t eth0_blocks[] = {
    0x00194809, 0x00114809, 0x00134829, 0x00000400, /* */
    0x0a000200, 0x00000000, 0x00800100, 0x00000000,
};

static unsigned char buf[4096];

/* Decodes a recorded hex string into buf; returns the length. */
static size_t unhex(const char *h)
{
    size_t n = 0;
    for (; h[0] != '\0' && h[1] != '\0' && n < sizeof(buf); h += 2) {
        unsigned v;
        sscanf(h, "%2x", &v);
        buf[n++] = (unsigned char)v;
    }
    return n;
}

/* The u16 value of TLS_INFO_TXCONF (offset len-12) and TLS_INFO_RXCONF
 * (len-4): the last two attributes of the recorded replies. */
static void set_conf(size_t len, uint16_t tx, uint16_t rx)
{
    uint16_t t;
    memcpy(&t, buf + len - 14, 2);
    CHECK(t == TLS_INFO_TXCONF);
    memcpy(&t, buf + len - 6, 2);
    CHECK(t == TLS_INFO_RXCONF);
    memcpy(buf + len - 12, &tx, 2);
    memcpy(buf + len - 4, &rx, 2);
}

static const char *parse_text(size_t len, uint32_t seq, int *r, int *err)
{
    static char text[32];
    struct ktls_modes m = {KTLS_MODE__COUNT, KTLS_MODE__COUNT};
    *r = ktls_diag_parse(buf, len, seq, &m, err);
    if (*r != KT_OK)
        return "-";
    return ktls_modes_text(&m, text, sizeof(text));
}

static void test_diag(void)
{
    size_t len;
    int r, err;

    /* TLS 1.2: both directions TLS_SW, as `ss -tie` says "rxconf: sw txconf: sw" */
    len = unhex(diag12);
    CHECK(len == 416);
    CHECK_STR(parse_text(len, 7, &r, &err), "tx=sw rx=sw");
    CHECK(r == KT_OK);
    /* another request's reply: read on */
    CHECK_STR(parse_text(len, 8, &r, &err), "-");
    CHECK(r == KT_AGAIN);
    /* cut short: a broken message */
    CHECK_STR(parse_text(100, 7, &r, &err), "-");
    CHECK(r == KT_ERROR && err == EBADMSG);

    /* TLS 1.3 with OpenSSL 3.0: sent by the kernel, received by OpenSSL */
    len = unhex(diag13);
    CHECK_STR(parse_text(len, 7, &r, &err), "tx=sw rx=off");

    /* what a NIC with TLS offload makes of the TLS 1.2 socket (no machine
     * here has one): mlx5 ConnectX-6 Dx TX and RX offload, the RX fallen
     * back to software, the whole record layer on the NIC, and a value
     * this ktlsd does not know */
    len = unhex(diag12);
    set_conf(len, TLS_CONF_HW, TLS_CONF_HW);
    CHECK_STR(parse_text(len, 7, &r, &err), "tx=hw rx=hw");
    set_conf(len, TLS_CONF_HW, TLS_CONF_SW);
    CHECK_STR(parse_text(len, 7, &r, &err), "tx=hw rx=sw");
    set_conf(len, TLS_CONF_HW, TLS_CONF_BASE);
    CHECK_STR(parse_text(len, 7, &r, &err), "tx=hw rx=off");
    set_conf(len, TLS_CONF_HW_RECORD, TLS_CONF_HW_RECORD);
    CHECK_STR(parse_text(len, 7, &r, &err), "tx=hw_record rx=hw_record");
    set_conf(len, 9, TLS_CONF_SW);
    CHECK_STR(parse_text(len, 7, &r, &err), "tx=unknown rx=sw");
    set_conf(len, TLS_CONF_BASE, TLS_CONF_BASE);
    CHECK_STR(parse_text(len, 7, &r, &err), "off");

    /* two replies in one read: a stale one (TLS 1.3, seq 6), then ours */
    {
        static unsigned char pair[sizeof(buf)];
        size_t l13 = unhex(diag13), l12;
        memcpy(buf + 8, &(uint32_t){6}, 4);
        memcpy(pair, buf, l13);
        l12 = unhex(diag12);
        memcpy(pair + l13, buf, l12);
        memcpy(buf, pair, l13 + l12);
        CHECK_STR(parse_text(l13 + l12, 7, &r, &err), "tx=sw rx=sw");
        CHECK_STR(parse_text(l13 + l12, 6, &r, &err), "tx=sw rx=off");
    }

    /* without CAP_NET_ADMIN: a reply, but no ULP info (errnum 0) */
    len = unhex(diag12_nobody);
    CHECK_STR(parse_text(len, 7, &r, &err), "-");
    CHECK(r == KT_ERROR && err == 0);

    /* the connection is gone: the listener answers, or nothing does */
    len = unhex(diag_listener);
    CHECK_STR(parse_text(len, 7, &r, &err), "-");
    CHECK(r == KT_ERROR && err == ENOENT);
    len = unhex(diag_enoent);
    CHECK_STR(parse_text(len, 7, &r, &err), "-");
    CHECK(r == KT_ERROR && err == ENOENT);

    /* the names */
    CHECK_STR(ktls_mode_name(KTLS_MODE_HW_RECORD), "hw_record");
    CHECK_STR(ktls_mode_name(-1), "unknown");
    CHECK_STR(ktls_modes_text(&(struct ktls_modes){KTLS_MODE_OFF, KTLS_MODE_OFF}, (char *)buf, 32),
              "off");
    CHECK_STR(ktls_modes_text(&(struct ktls_modes){KTLS_MODE_OFF, KTLS_MODE_SW}, (char *)buf, 32),
              "tx=off rx=sw");
}

/* The names as the kernel lays them out: ETH_GSTRING_LEN bytes each. */
static char strings[ARRAY_LEN(feature_names) * ETH_GSTRING_LEN];

static const char *nic_text(uint32_t nstr, const uint32_t *blocks, uint32_t nblocks)
{
    static char text[64];
    struct ktls_nic nic = {"x", 9, 9, 9};
    ktls_nic_parse(strings, nstr, blocks, nblocks, &nic);
    snprintf(text, sizeof(text), "%s %s %s", nic_state_names[nic.tx], nic_state_names[nic.rx],
             nic_state_names[nic.record]);
    return text;
}

static void test_nic(void)
{
    uint32_t b[8];
    const uint32_t tx = 1u << (53 - 32), rx = 1u << (54 - 32), rec = 1u << (56 - 32);
    for (size_t i = 0; i < ARRAY_LEN(feature_names); i++)
        strncpy(strings + i * ETH_GSTRING_LEN, feature_names[i], ETH_GSTRING_LEN);
    CHECK(strcmp(strings + 53 * ETH_GSTRING_LEN, "tls-hw-tx-offload") == 0);

    /* lo and virtio_net: the names are there, the bits are not */
    CHECK_STR(nic_text(64, lo_blocks, 2), "absent absent absent");
    CHECK_STR(nic_text(64, eth0_blocks, 2), "absent absent absent");

    /* mlx5 with TX offload on and RX offload offered but off */
    memcpy(b, eth0_blocks, sizeof(b));
    b[4] |= tx | rx; /* available */
    b[5] |= tx;      /* requested */
    b[6] |= tx;      /* active */
    CHECK_STR(nic_text(64, b, 2), "on off absent");
    /* both on, and a NIC that runs the record layer, fixed on */
    b[5] |= rx;
    b[6] |= rx | rec;
    CHECK_STR(nic_text(64, b, 2), "on on on");

    /* a kernel older than the tls-hw-* names (4.x): 53 names, one block... */
    CHECK_STR(nic_text(53, b, 2), "absent absent absent");
    /* ...and a reply with fewer blocks than names */
    CHECK_STR(nic_text(64, b, 1), "absent absent absent");
}

static void test_stat(void)
{
    struct ktls_stat st;
    /* /proc/net/tls_stat of the 6.1 kernel, after one TLS 1.2 connection,
     * and two lines of newer kernels (6.14: rekey counters) */
    ktls_stat_parse("TlsCurrTxSw                     \t1\n"
                    "TlsCurrRxSw                     \t1\n"
                    "TlsCurrTxDevice                 \t0\n"
                    "TlsCurrRxDevice                 \t0\n"
                    "TlsTxSw                         \t7\n"
                    "TlsRxSw                         \t3\n"
                    "TlsTxDevice                     \t0\n"
                    "TlsRxDevice                     \t0\n"
                    "TlsDecryptError                 \t0\n"
                    "TlsRxDeviceResync               \t0\n"
                    "TlsDecryptRetry                 \t0\n"
                    "TlsRxNoPadViolation             \t0\n"
                    "TlsTxRekeyOk                    \t2\n"
                    "garbage line\n"
                    "Bad\"Name 4\n"
                    "TlsTxRekeyError                 \t18446744073709551615",
                    &st);
    CHECK(st.n == 14);
    CHECK_STR(st.c[0].name, "TlsCurrTxSw");
    CHECK(st.c[0].value == 1);
    CHECK_STR(st.c[4].name, "TlsTxSw");
    CHECK(st.c[4].value == 7);
    CHECK_STR(st.c[12].name, "TlsTxRekeyOk");
    CHECK_STR(st.c[13].name, "TlsTxRekeyError");
    CHECK(st.c[13].value == 18446744073709551615ULL);
    ktls_stat_parse("", &st);
    CHECK(st.n == 0);
}

int main(void)
{
    test_diag();
    test_nic();
    test_stat();
    /* the real interfaces of this machine: listed, whatever they offer */
    {
        struct ktls_nic nics[64];
        size_t n = ktls_nic_list(nics, ARRAY_LEN(nics));
        CHECK(n >= 1);
        CHECK(n > 0 && nics[0].name[0] != '\0');
    }
    return unit_done();
}
