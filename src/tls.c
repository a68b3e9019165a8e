/* tls.c: OpenSSL and kernel TLS. This is the one file that knows OpenSSL's
 * and the kernel's quirks; callers see KT_OK / KT_AGAIN / KT_ERROR only.
 *
 * How kTLS comes about (OpenSSL 3.0): SSL_OP_ENABLE_KTLS on the SSL_CTX and
 * a socket BIO (SSL_set_fd). When the handshake switches keys, OpenSSL calls
 * setsockopt(TCP_ULP, "tls") and setsockopt(SOL_TLS, TLS_TX / TLS_RX) itself
 * if the negotiated cipher is one the kernel can take (AES-GCM 128/256 and,
 * in 3.0, not ChaCha20-Poly1305; receive only for TLS 1.2, where 3.5 gives
 * the kernel the TLS 1.3 receive key too: see rx_key_refused). Any failure
 * there is silent: the connection simply stays on userspace TLS. So we never
 * assume kTLS; we ask the BIOs after the handshake (tls_ktls_tx /
 * tls_ktls_rx). */
#include "tls.h"
#include "tls_rekey.h"
#include "config.h"
#include "log.h"
#include "sessions.h"
#include "stats.h"
#include "util.h"

#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <openssl/err.h>
#include <openssl/opensslv.h>

/* TLS 1.2: forward secrecy only, AES-GCM first (the kernel can offload it),
 * then ChaCha20 for clients without AES hardware. */
#define DEFAULT_CIPHERS "ECDHE+AESGCM:ECDHE+CHACHA20:!aNULL:!MD5"
#define DEFAULT_SUITES "TLS_AES_256_GCM_SHA384:TLS_AES_128_GCM_SHA256:TLS_CHACHA20_POLY1305_SHA256"

static int rx_key_refused(SSL *ssl, const struct log_ctx *log);

const char *tls_error_text(void)
{
    static char text[512];
    unsigned long e;
    size_t n = 0;
    text[0] = '\0';
    while ((e = ERR_get_error()) != 0) {
        char one[256];
        ERR_error_string_n(e, one, sizeof(one));
        n += (size_t)snprintf(text + n, n < sizeof(text) ? sizeof(text) - n : 0, "%s%s",
                              n ? "; " : "", one);
        if (n >= sizeof(text))
            n = sizeof(text) - 1;
    }
    return text[0] ? text : "no OpenSSL error";
}

/* The kernel offers the TLS ULP when setsockopt(TCP_ULP, "tls") on a TCP
 * socket gets past the ULP lookup: on an unconnected socket a kernel with the
 * tls module answers ENOTCONN (tls_init wants ESTABLISHED), one without it
 * ENOENT (after trying to autoload "tcp-ulp-tls"). */
void tls_ktls_probe(struct ktls_support *s)
{
    int fd;
    memset(s, 0, sizeof(*s));
#ifdef OPENSSL_NO_KTLS
    snprintf(s->reason, sizeof(s->reason), "OpenSSL %s was built without kTLS (no-ktls)",
             OPENSSL_VERSION_STR);
#else
    s->openssl = 1;
#endif
    fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0) {
        snprintf(s->reason, sizeof(s->reason), "socket() failed (%d: %s)", errno, strerror(errno));
        return;
    }
    if (setsockopt(fd, IPPROTO_TCP, TCP_ULP, "tls", 3) == 0 || errno == ENOTCONN ||
        errno == EEXIST) {
        s->kernel = 1;
    } else if (errno == ENOENT) {
        snprintf(s->reason + strlen(s->reason), sizeof(s->reason) - strlen(s->reason),
                 "%sthe kernel has no TLS ULP (CONFIG_TLS off or module \"tls\" not loaded: try "
                 "\"modprobe tls\")",
                 s->reason[0] ? "; " : "");
    } else {
        int e = errno;
        snprintf(s->reason + strlen(s->reason), sizeof(s->reason) - strlen(s->reason),
                 "%ssetsockopt(TCP_ULP, \"tls\") failed (%d: %s)", s->reason[0] ? "; " : "", e,
                 strerror(e));
    }
    close(fd);
}

/* OpenSSL has no call that says which directions it will offload: it
 * decides inside, per connection, and ktlsd reads the outcome from the
 * BIOs after each handshake ($ktls, the status page). For "ktlsd -V" this
 * goes by the version of the library linked at run time (not the headers
 * built against, so a distribution's OpenSSL upgrade shows): 3.0 to 3.4
 * give the kernel the TLS 1.3 send key only, TLS 1.2 both; 3.5 adds TLS
 * 1.3 receive offload (Linux 5.1 has the kernel side). Measured with Debian
 * 13's 3.5.9 (tests/uml/ktls_openssl35*.sh): TLS 1.3 AES-GCM is tx+rx
 * under Linux 6.1 and 7.2, ChaCha20-Poly1305 under 7.2. */
const char *tls_ktls_directions(int version)
{
    if (version == TLS1_3_VERSION && OpenSSL_version_num() < 0x30500000UL)
        return "tx";
    return "tx+rx";
}

static SSL_CTX *(*sni_pick)(void *arg, const char *name);

void tls_set_sni_picker(SSL_CTX *(*pick)(void *arg, const char *name))
{
    sni_pick = pick;
}

/* Switches the connection to the certificate of the server block that the
 * client named; an unknown name keeps the default server's. */
static int sni_select(SSL *ssl, int *alert, void *arg)
{
    const char *name = SSL_get_servername(ssl, TLSEXT_NAMETYPE_host_name);
    SSL_CTX *ctx;
    (void)alert;
    (void)arg;
    if (name == NULL || sni_pick == NULL)
        return SSL_TLSEXT_ERR_NOACK;
    ctx = sni_pick(SSL_get_app_data(ssl), name);
    if (ctx != NULL && ctx != SSL_get_SSL_CTX(ssl)) {
        SSL_set_SSL_CTX(ssl, ctx);
        /* SSL_set_SSL_CTX takes the certificates, not the client
         * verification that the SSL copied from its first SSL_CTX (nginx's
         * ngx_http_ssl_servername does the same) */
        SSL_set_verify(ssl, SSL_CTX_get_verify_mode(ctx), SSL_CTX_get_verify_callback(ctx));
        SSL_set_verify_depth(ssl, SSL_CTX_get_verify_depth(ctx));
    }
    return SSL_TLSEXT_ERR_OK;
}

const char *tls_servername(SSL *ssl)
{
    return SSL_get_servername(ssl, TLSEXT_NAMETYPE_host_name);
}

/* ALPN: the HTTP versions ktlsd speaks, in our order of preference: h2
 * where the server block has http2 on, then the HTTP/1.x versions (nginx's
 * ngx_http_ssl_alpn_select accepts the same). `curl -0` offers only
 * "http/1.0". A client that offers none of them (say "h2" alone to a
 * server without http2) gets the
 * fatal no_application_protocol alert, as from nginx (RFC 7301 section 3.2). */
static int alpn_select(SSL *ssl, const unsigned char **out, unsigned char *outlen,
                       const unsigned char *in, unsigned int inlen, void *arg)
{
    static const unsigned char h2[] = "\x02h2\x08http/1.1\x08http/1.0\x08http/0.9";
    const unsigned char *ours = arg != NULL ? h2 : h2 + 3;
    unsigned int ourlen = (unsigned int)(arg != NULL ? sizeof(h2) - 1 : sizeof(h2) - 4);
    unsigned char *sel;
    (void)ssl;
    if (SSL_select_next_proto(&sel, outlen, ours, ourlen, in, inlen) != OPENSSL_NPN_NEGOTIATED)
        return SSL_TLSEXT_ERR_ALERT_FATAL; /* e.g. a client offering only h2 */
    *out = sel;
    return SSL_TLSEXT_ERR_OK;
}

SSL_CTX *tls_ctx_create(const struct srv_conf *c, char *err, size_t errlen)
{
    SSL_CTX *ctx = SSL_CTX_new(TLS_server_method());
    SSL_CONF_CTX *cctx = NULL;
    uint64_t opts = SSL_OP_NO_RENEGOTIATION | SSL_OP_NO_COMPRESSION | SSL_OP_SINGLE_ECDH_USE;

    if (ctx == NULL) {
        snprintf(err, errlen, "SSL_CTX_new() failed (SSL: %s)", tls_error_text());
        return NULL;
    }
    SSL_CTX_set_min_proto_version(ctx, (c->ssl_protocols & PROTO_TLS12) ? TLS1_2_VERSION
                                                                        : TLS1_3_VERSION);
    SSL_CTX_set_max_proto_version(ctx, (c->ssl_protocols & PROTO_TLS13) ? TLS1_3_VERSION
                                                                        : TLS1_2_VERSION);
    if (c->ssl_prefer_server_ciphers)
        opts |= SSL_OP_CIPHER_SERVER_PREFERENCE;
    if (!c->ssl_session_tickets)
        opts |= SSL_OP_NO_TICKET;
#ifndef OPENSSL_NO_KTLS
    if (c->ktls) {
        opts |= SSL_OP_ENABLE_KTLS;
        tls_rekey_attach(ctx);
    }
#endif
    SSL_CTX_set_options(ctx, opts);
    /* Idle keep-alive connections hold no 17 KiB read/write buffers. */
    SSL_CTX_set_mode(ctx, SSL_MODE_RELEASE_BUFFERS);
    /* One read(2) per record instead of two (5-byte header, then body):
     * OpenSSL reads as much as the socket has into its buffer. */
    SSL_CTX_set_read_ahead(ctx, 1);
    /* session cache and ticket keys, shared by the workers (sessions.c) */
    if (sessions_attach(ctx, c, err, errlen) != KT_OK)
        goto fail;
    /* the server block's "http2 on" (or "listen ... http2"): h2 first. After
     * SNI, OpenSSL asks the chosen server's SSL_CTX. */
    SSL_CTX_set_alpn_select_cb(ctx, alpn_select, c->http2 > 0 ? (void *)ctx : NULL);
    SSL_CTX_set_tlsext_servername_callback(ctx, sni_select);

    if (SSL_CTX_set_cipher_list(ctx, c->ssl_ciphers ? c->ssl_ciphers : DEFAULT_CIPHERS) != 1) {
        snprintf(err, errlen, "SSL_CTX_set_cipher_list(\"%s\") failed (SSL: %s)",
                 c->ssl_ciphers ? c->ssl_ciphers : DEFAULT_CIPHERS, tls_error_text());
        goto fail;
    }
    SSL_CTX_set_ciphersuites(ctx, DEFAULT_SUITES);
    if (tls_ctx_configure(ctx, c, err, errlen) != KT_OK)
        goto fail;
    /* ssl_conf_command last, so that it overrides what came before (nginx). */
    if (c->nssl_conf_cmds > 0) {
        cctx = SSL_CONF_CTX_new();
        SSL_CONF_CTX_set_flags(cctx, SSL_CONF_FLAG_FILE | SSL_CONF_FLAG_SERVER |
                                         SSL_CONF_FLAG_CERTIFICATE | SSL_CONF_FLAG_SHOW_ERRORS);
        SSL_CONF_CTX_set_ssl_ctx(cctx, ctx);
        for (size_t i = 0; i < c->nssl_conf_cmds; i++) {
            if (SSL_CONF_cmd(cctx, c->ssl_conf_cmds[i].name, c->ssl_conf_cmds[i].value) <= 0) {
                snprintf(err, errlen, "ssl_conf_command \"%s\" \"%s\" failed (SSL: %s)",
                         c->ssl_conf_cmds[i].name, c->ssl_conf_cmds[i].value, tls_error_text());
                goto fail;
            }
        }
        if (SSL_CONF_CTX_finish(cctx) != 1) {
            snprintf(err, errlen, "SSL_CONF_CTX_finish() failed (SSL: %s)", tls_error_text());
            goto fail;
        }
        SSL_CONF_CTX_free(cctx);
    }
    ERR_clear_error();
    return ctx;
fail:
    SSL_CONF_CTX_free(cctx);
    SSL_CTX_free(ctx);
    return NULL;
}

SSL *tls_new(SSL_CTX *ctx, int fd, void *sni_arg)
{
    SSL *ssl = SSL_new(ctx);
    if (ssl == NULL)
        return NULL;
    SSL_set_app_data(ssl, sni_arg);
    sessions_bind(ssl);
    tls_rekey_bind(ssl);
    /* SSL_set_fd makes a socket BIO: OpenSSL 3.0 enables kTLS only on those. */
    if (SSL_set_fd(ssl, fd) != 1) {
        SSL_free(ssl);
        return NULL;
    }
    SSL_set_accept_state(ssl);
    return ssl;
}

/* OpenSSL reasons that a client causes (nginx's ngx_ssl_connection_error
 * list, plus the ones OpenSSL 3.0 added): logged at info, as a peer going
 * away is. Any other SSL error is the server's business and is logged at
 * error, where the default level shows it. Alerts the peer sent (reasons
 * from SSL_AD_REASON_OFFSET on) are the client's too. */
static const int client_faults[] = {
    SSL_R_BAD_CHANGE_CIPHER_SPEC,
    SSL_R_NO_SUITABLE_KEY_SHARE,
    SSL_R_BLOCK_CIPHER_PAD_IS_WRONG,
    SSL_R_DIGEST_CHECK_FAILED,
    SSL_R_ERROR_IN_RECEIVED_CIPHER_LIST,
    SSL_R_EXCESSIVE_MESSAGE_SIZE,
    SSL_R_HTTPS_PROXY_REQUEST,
    SSL_R_HTTP_REQUEST,
    SSL_R_LENGTH_MISMATCH,
    SSL_R_NO_CIPHERS_SPECIFIED,
    SSL_R_NO_COMPRESSION_SPECIFIED,
    SSL_R_NO_SHARED_CIPHER,
    SSL_R_RECORD_LENGTH_MISMATCH,
    SSL_R_UNEXPECTED_MESSAGE,
    SSL_R_UNEXPECTED_RECORD,
    SSL_R_UNKNOWN_ALERT_TYPE,
    SSL_R_UNKNOWN_PROTOCOL,
    SSL_R_UNSUPPORTED_PROTOCOL,
    SSL_R_NO_SHARED_GROUPS,
    SSL_R_WRONG_VERSION_NUMBER,
    SSL_R_DECRYPTION_FAILED_OR_BAD_RECORD_MAC,
    SSL_R_RENEGOTIATE_EXT_TOO_LONG,
    SSL_R_RENEGOTIATION_ENCODING_ERR,
    SSL_R_RENEGOTIATION_MISMATCH,
    SSL_R_UNSAFE_LEGACY_RENEGOTIATION_DISABLED,
    SSL_R_SCSV_RECEIVED_WHEN_RENEGOTIATING,
    SSL_R_INAPPROPRIATE_FALLBACK,
    SSL_R_VERSION_TOO_LOW,
    /* beyond nginx's list */
    SSL_R_NO_APPLICATION_PROTOCOL,
    SSL_R_UNEXPECTED_EOF_WHILE_READING,
    SSL_R_NO_SHARED_SIGNATURE_ALGORITHMS,
    SSL_R_BAD_KEY_SHARE,
    SSL_R_BAD_EXTENSION,
    SSL_R_BAD_PACKET_LENGTH,
    SSL_R_PACKET_LENGTH_TOO_LONG,
    SSL_R_WRONG_SSL_VERSION,
    SSL_R_MISSING_SIGALGS_EXTENSION,
    SSL_R_BAD_KEY_UPDATE,
    SSL_R_CERTIFICATE_VERIFY_FAILED,
    SSL_R_PEER_DID_NOT_RETURN_A_CERTIFICATE,
};

static int client_fault(unsigned long err)
{
    int reason = ERR_GET_REASON(err);
    if (reason >= SSL_AD_REASON_OFFSET) /* an alert from the peer */
        return 1;
    for (size_t i = 0; i < ARRAY_LEN(client_faults); i++)
        if (client_faults[i] == reason)
            return 1;
    return 0;
}

/* Decodes SSL_get_error() once for every call site. A peer that goes away
 * (EOF, ECONNRESET, EPIPE) and the protocol errors a client causes (see
 * client_faults) are logged at info, as nginx does; anything else at
 * error. */
static int decode(SSL *ssl, int r, int *want, const struct log_ctx *log, const char *call)
{
    int e = SSL_get_error(ssl, r), err = errno;
    switch (e) {
    case SSL_ERROR_WANT_READ:
        *want = IO_READ;
        return KT_AGAIN;
    case SSL_ERROR_WANT_WRITE:
        *want = IO_WRITE;
        return KT_AGAIN;
    case SSL_ERROR_ZERO_RETURN:
        log_error(LL_INFO, log, "peer closed connection (close_notify) in %s", call);
        return KT_ERROR;
    case SSL_ERROR_SYSCALL:
        ERR_clear_error();
        if (err == 0 || err == ECONNRESET || err == EPIPE || err == ETIMEDOUT)
            log_error(LL_INFO, log, "peer closed connection in %s (%d: %s)", call, err,
                      err ? strerror(err) : "unexpected EOF");
        else
            log_error(LL_ERR, log, "%s failed (%d: %s)", call, err, strerror(err));
        return KT_ERROR;
    case SSL_ERROR_SSL:
    default: {
        int level = client_fault(ERR_peek_error()) ? LL_INFO : LL_ERR; /* before the drain */
        log_error(level, log, "%s failed (SSL: %s)", call, tls_error_text());
        return KT_ERROR;
    }
    }
}

int tls_handshake(SSL *ssl, int *want, const struct log_ctx *log)
{
    int r;
    ERR_clear_error();
    errno = 0;
    r = SSL_do_handshake(ssl);
    if (r == 1)
        return KT_OK;
    return decode(ssl, r, want, log, "SSL_do_handshake()");
}

int tls_read(SSL *ssl, void *buf, size_t len, size_t *n, int *want, const struct log_ctx *log)
{
    int r, e;
    ERR_clear_error();
    errno = 0;
    r = SSL_read_ex(ssl, buf, len, n);
    if (r == 1)
        return KT_OK;
    e = SSL_get_error(ssl, r);
    /* A clean close_notify, or a peer that just closes the socket between
     * requests (very common: browsers, curl): both are an end of stream. */
    if (e == SSL_ERROR_ZERO_RETURN ||
        (e == SSL_ERROR_SYSCALL && (errno == 0 || errno == ECONNRESET))) {
        ERR_clear_error();
        *n = 0;
        return KT_OK;
    }
    if (e == SSL_ERROR_SSL && rx_key_refused(ssl, log))
        return KT_ERROR;
    return decode(ssl, r, want, log, "SSL_read()");
}

/* TLS 1.3 KeyUpdate from the client under kTLS RX (OpenSSL 3.5+ gives the
 * kernel the TLS 1.3 receive key). The kernel hands the KeyUpdate up as a
 * control record; OpenSSL 3.5 then sets the next receive key itself
 * (setsockopt TLS_RX again). Linux 6.14+ takes it (it stops decrypting at a
 * KeyUpdate until the new key comes, EKEYEXPIRED meanwhile) and the
 * connection goes on. Older kernels answer EBUSY; OpenSSL cannot go back to
 * user space either ("no suitable record layer"), sends a fatal
 * internal_error alert and fails the read: seen under Linux 6.1 with OpenSSL
 * 3.5.9. Nothing is misread, and the connection must end: logged at info as a
 * key update kTLS could not follow, and counted as one. */
static int rx_key_refused(SSL *ssl, const struct log_ctx *log)
{
#ifdef SSL_R_NO_SUITABLE_RECORD_LAYER
    if (ERR_GET_REASON(ERR_peek_error()) == SSL_R_NO_SUITABLE_RECORD_LAYER &&
        SSL_version(ssl) == TLS1_3_VERSION && tls_ktls_rx(ssl)) {
        ERR_clear_error();
        log_error(LL_INFO, log,
                  "client sent a TLS 1.3 key update, and this kernel cannot take the new kTLS "
                  "receive key (Linux 6.14+ can): closing the connection");
        stats_me->key_update_closes++;
        return 1;
    }
#else
    (void)ssl, (void)log;
#endif
    return 0;
}

int tls_write(SSL *ssl, const void *buf, size_t len, size_t *n, int *want,
              const struct log_ctx *log)
{
    int r;
    ERR_clear_error();
    errno = 0;
    /* Without SSL_MODE_ENABLE_PARTIAL_WRITE a WANT_WRITE must be retried with
     * the same buffer and length: the caller keeps its buffer unchanged. */
    r = SSL_write_ex(ssl, buf, len, n);
    if (r == 1)
        return KT_OK;
    return decode(ssl, r, want, log, "SSL_write()");
}

/* SSL_free() of a connection that did not finish with close_notify makes
 * OpenSSL drop its session from the cache (the SSLv3-era truncation rule):
 * a client that just closes its socket, as most do, or one we close on a
 * timeout, could then never resume. nginx marks the shutdown done before
 * freeing (ngx_ssl_shutdown); so does ktlsd. */
void tls_close(SSL *ssl, int clean)
{
    if (ssl == NULL)
        return;
    if (clean && SSL_is_init_finished(ssl)) {
        /* one non-blocking attempt: we do not wait for the peer's close_notify */
        ERR_clear_error();
        if (SSL_shutdown(ssl) < 0)
            ERR_clear_error();
    }
    SSL_set_shutdown(ssl, SSL_SENT_SHUTDOWN | SSL_RECEIVED_SHUTDOWN);
    SSL_free(ssl);
}

int tls_alpn_h2(SSL *ssl)
{
    const unsigned char *p;
    unsigned int len;
    SSL_get0_alpn_selected(ssl, &p, &len);
    return len == 2 && memcmp(p, "h2", 2) == 0;
}

int tls_pending(SSL *ssl)
{
    return SSL_has_pending(ssl);
}

int tls_kernel_ktls(void)
{
    static int known = -1;
    if (known < 0) {
        struct ktls_support k;
        tls_ktls_probe(&k);
        known = k.kernel;
    }
    return known;
}

/* The ciphers Linux kTLS encrypts (include/uapi/linux/tls.h): AES-GCM 128
 * and 256, AES-CCM 128 (4.17+), ChaCha20-Poly1305 (5.11+), the only ones
 * OpenSSL 3.0 hands over (ktls_check_supported_cipher). A connection on
 * one of these without kTLS was refused by OpenSSL itself (built without
 * kTLS, SSL_OP_ENABLE_KTLS off, or setsockopt failed), not by the cipher. */
int tls_ktls_cipher(SSL *ssl)
{
    const SSL_CIPHER *c = SSL_get_current_cipher(ssl);
    int nid = c != NULL ? SSL_CIPHER_get_cipher_nid(c) : NID_undef;
    return nid == NID_aes_128_gcm || nid == NID_aes_256_gcm || nid == NID_aes_128_ccm ||
           nid == NID_chacha20_poly1305;
}

int tls_resumed(SSL *ssl)
{
    return SSL_session_reused(ssl);
}

/* kTLS TX, and why ktlsd then writes to the socket itself.
 *
 * Once OpenSSL has put the TX keys into the kernel (TCP_ULP "tls", then
 * TLS_TX), the kernel owns the record layer: plaintext written to the
 * socket is framed into records and encrypted (by the NIC with TLS_HW).
 * OpenSSL 3.0's SSL_write is then a send() with bookkeeping, and
 * SSL_sendfile is sendfile(2) after a flush of what OpenSSL holds. ktlsd
 * writes the response itself: the head by send(MSG_MORE), the file by
 * sendfile(2) (net.c). The kernel keeps a record open while MSG_MORE says
 * more follows, and sendfile's last chunk carries no MSG_MORE, so a head
 * and a small body go out as ONE record, where SSL_write + SSL_sendfile
 * sealed two (Documentation/networking/tls.rst, "Sending TLS application
 * data"). This is safe because OpenSSL holds nothing to write after the
 * handshake: the TLS 1.3 NewSessionTickets go out within it, and nothing
 * after it goes through SSL_write once kTLS TX is on ("100 Continue" too
 * is written directly). Control records (close_notify) still come from
 * OpenSSL, which tags them with a cmsg TLS_SET_RECORD_TYPE; the kernel
 * closes any open record first.
 *
 * Partial writes: a send() or sendfile() that stops short (EAGAIN) leaves
 * the kernel's open record as it is; the rest follows with the same flags.
 * sendfile() returning 0 means the file shrank below the offset: an error
 * that ends the connection (net_sendfile), never a hang or padding.
 *
 * TLS 1.3 KeyUpdate: see tls_key_update(). */
int tls_ktls_tx(SSL *ssl)
{
    return BIO_get_ktls_send(SSL_get_wbio(ssl)) ? 1 : 0;
}

int tls_ktls_rx(SSL *ssl)
{
    return BIO_get_ktls_recv(SSL_get_rbio(ssl)) ? 1 : 0;
}

const char *tls_protocol(SSL *ssl)
{
    return SSL_get_version(ssl);
}

const char *tls_cipher(SSL *ssl)
{
    return SSL_get_cipher_name(ssl);
}

int tls_key_update(SSL *ssl, const struct log_ctx *log, int *clean)
{
    switch (tls_rekey_follow(ssl)) {
    case TLS_KU_NONE:
        return KT_OK;
    case TLS_KU_REKEYED:
        stats_me->key_update_rekeys++;
        log_error(LL_DEBUG, log, "TLS 1.3 key update: kTLS has the next key");
        return KT_OK;
    case TLS_KU_REFUSED:
        log_error(LL_INFO, log,
                  "client asked for a TLS 1.3 key update, which kTLS cannot follow on "
                  "this kernel: closing the connection");
        *clean = 1;
        break;
    case TLS_KU_BROKEN:
        log_error(LL_ERR, log, "TLS 1.3 key update: the next key did not reach kTLS (%s)",
                  tls_error_text());
        *clean = 0;
        break;
    }
    stats_me->key_update_closes++;
    return KT_ERROR;
}
