/* tls.h: OpenSSL set-up, the non-blocking handshake, and every I/O call that
 * goes through OpenSSL, kTLS included. All of OpenSSL's and the kernel's
 * quirks are handled in tls.c and nowhere else. */
#ifndef KTLSD_TLS_H
#define KTLSD_TLS_H

#include <stddef.h>
#include <sys/types.h>

#include <openssl/ssl.h>

struct srv_conf;
struct log_ctx;

/* kTLS as seen by this process: OpenSSL built with it, kernel with the ULP. */
struct ktls_support {
    int openssl;      /* OpenSSL compiled with kTLS */
    int kernel;       /* setsockopt(TCP_ULP, "tls") is possible */
    char reason[256]; /* why not, when either is 0 */
};
void tls_ktls_probe(struct ktls_support *s);
/* "tx+rx" or "tx": what kTLS takes for a protocol version (TLS1_2_VERSION,
 * TLS1_3_VERSION) with the OpenSSL this process runs with. */
const char *tls_ktls_directions(int version);

/* Creates the SSL_CTX for one server block: certificate chain, key (and that
 * they match), protocols, ciphers, ALPN, kTLS, ssl_conf_command. On error
 * returns NULL with a message in err. */
SSL_CTX *tls_ctx_create(const struct srv_conf *c, char *err, size_t errlen);

/* The server block's certificates, DH parameters, groups, record size,
 * stapling, client certificates and zero-copy flag (tls_ctx.c). */
int tls_ctx_configure(SSL_CTX *ctx, const struct srv_conf *c, char *err, size_t errlen);
/* ssl_verify_client: 0 when the request may go on, else nginx's 495 (the
 * certificate did not verify) or 496 (none sent); logged with log. */
int tls_client_verify(SSL *ssl, const struct log_ctx *log);
/* $ssl_client_verify: "SUCCESS", "FAILED:reason" or "NONE". */
const char *tls_client_verify_text(SSL *ssl);
/* $ssl_client_s_dn (RFC 2253) into buf; its length, 0 without a certificate. */
size_t tls_client_s_dn(SSL *ssl, char *buf, size_t cap);
/* ktls_zerocopy_sendfile: turns TLS_TX_ZEROCOPY_RO on for a kTLS TX
 * connection of a server that asks for it; 1 when the kernel says it is on. */
int tls_ktls_zerocopy(SSL *ssl, const struct log_ctx *log);

/* SNI: pick(arg, name) returns the SSL_CTX of the server block for name
 * (or NULL to keep the default); arg is what tls_new was given. */
void tls_set_sni_picker(SSL_CTX *(*pick)(void *arg, const char *name));
SSL *tls_new(SSL_CTX *ctx, int fd, void *sni_arg);
/* The name the client asked for (SNI), or NULL. */
const char *tls_servername(SSL *ssl);
/* Each returns KT_OK, KT_AGAIN (with *want = IO_READ or IO_WRITE) or
 * KT_ERROR (already logged with ctx). */
int tls_handshake(SSL *ssl, int *want, const struct log_ctx *log);
/* KT_OK with *n = 0 means the peer closed the connection. */
int tls_read(SSL *ssl, void *buf, size_t len, size_t *n, int *want, const struct log_ctx *log);
int tls_write(SSL *ssl, const void *buf, size_t len, size_t *n, int *want,
              const struct log_ctx *log);
/* Sends close_notify without waiting for the peer's, then frees. */
void tls_close(SSL *ssl, int clean);

/* Decrypted bytes OpenSSL holds that the socket will not signal again. */
int tls_pending(SSL *ssl);
/* Whether this kernel offers the TLS ULP (probed once per process). */
int tls_kernel_ktls(void);
/* Whether the connection's cipher is one the kernel's kTLS takes. */
int tls_ktls_cipher(SSL *ssl);
int tls_resumed(SSL *ssl);
/* kTLS sends for this socket: then plaintext goes to the socket itself
 * (see the comment in tls.c). */
int tls_ktls_tx(SSL *ssl);
int tls_ktls_rx(SSL *ssl);
/* Whether ALPN chose "h2". */
int tls_alpn_h2(SSL *ssl);
const char *tls_protocol(SSL *ssl);
const char *tls_cipher(SSL *ssl);
/* Text of the OpenSSL error queue (drains it). */
const char *tls_error_text(void);
/* After each read on a kTLS TX connection, before anything is written:
 * follows a TLS 1.3 key update the peer asked for (tls_rekey.c), logged
 * and counted. KT_OK: none, or the kernel has the next key; KT_ERROR:
 * close the connection before anything else is written, *clean saying
 * how: 1 (close_notify) where this kernel cannot take a new key and nothing
 * was sent, 0 (at once) where no key the peer reads is left. */
int tls_key_update(SSL *ssl, const struct log_ctx *log, int *clean);

#endif
