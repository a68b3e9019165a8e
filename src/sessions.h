/* sessions.h: TLS session resumption that works across workers and
 * reloads: the ssl_session_cache (OpenSSL's per-process cache and/or a
 * cache in shared memory) and the session ticket keys (from
 * ssl_session_ticket_key files, or made and rotated by the master in shared
 * memory). Everything here is set up in the master before the workers are
 * forked, and the master keeps it from one generation to the next. */
#ifndef KTLSD_SESSIONS_H
#define KTLSD_SESSIONS_H

#include <stddef.h>

#include <openssl/ssl.h>

struct srv_conf;

/* Called by activate_config before it sets up the server blocks of a new
 * configuration: zone sizes are checked for conflicts within one pass. */
void sessions_begin(void);
/* Sets up session caching and tickets on ctx as c says: cache mode and
 * callbacks, timeout, ticket keys. On error returns KT_ERROR with a message
 * in err. */
int sessions_attach(SSL_CTX *ctx, const struct srv_conf *c, char *err, size_t errlen);
/* For each new connection: its session cache and ticket keys are those of
 * the SSL_CTX it starts with, whatever server SNI picks later. */
void sessions_bind(SSL *ssl);
/* The master, on every turn of its loop: rotates the automatic ticket keys
 * when they are due. */
void sessions_tick(void);

#endif
