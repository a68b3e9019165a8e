/* tls_rekey.h: TLS 1.3 key updates under kTLS TX (tls_rekey.c), for tls.c
 * only: the rest of the server calls tls_key_update() (tls.h). */
#ifndef KTLSD_TLS_REKEY_H
#define KTLSD_TLS_REKEY_H

#include <openssl/ssl.h>

/* tls_key_update's step (tls.h): follows a TLS 1.3 key update the peer
 * asked for. NONE: none; REKEYED: OpenSSL sent its KeyUpdate and the
 * kernel has the next key; REFUSED: this kernel cannot take a new key,
 * nothing was sent; BROKEN: no key the peer reads is left. */
enum tls_ku { TLS_KU_NONE, TLS_KU_REKEYED, TLS_KU_REFUSED, TLS_KU_BROKEN };
enum tls_ku tls_rekey_follow(SSL *ssl);

/* tls.c's hooks: a context keeps the secrets of its connections
 * (keylog and message callbacks), a connection gets its slot. */
void tls_rekey_attach(SSL_CTX *ctx);
void tls_rekey_bind(SSL *ssl);

#endif
