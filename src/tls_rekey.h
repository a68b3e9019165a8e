/* tls_rekey.h: TLS 1.3 key updates under kTLS TX (tls_rekey.c). tls.h
 * includes it: tls_key_update() is part of the TLS API. */
#ifndef KTLSD_TLS_REKEY_H
#define KTLSD_TLS_REKEY_H

#include <openssl/ssl.h>

/* After each read on a kTLS TX connection, before anything is written:
 * follows a TLS 1.3 key update the peer asked for (see tls_rekey.c).
 * NONE: none; REKEYED: OpenSSL sent its KeyUpdate and the kernel has the
 * next key; REFUSED: this kernel cannot take a new key, nothing was sent:
 * close cleanly; BROKEN: no key the peer reads is left: close at once,
 * without close_notify. */
enum tls_ku { TLS_KU_NONE, TLS_KU_REKEYED, TLS_KU_REFUSED, TLS_KU_BROKEN };
enum tls_ku tls_key_update(SSL *ssl);

/* tls.c's hooks: a context keeps the secrets of its connections
 * (keylog and message callbacks), a connection gets its slot. */
void tls_rekey_attach(SSL_CTX *ctx);
void tls_rekey_bind(SSL *ssl);

#endif
