/* h2.h: HTTP/2 on one TLS connection (libnghttp2): framing, HPACK, flow
 * control, SETTINGS and GOAWAY are nghttp2's; each stream's request goes
 * through the same pipeline as HTTP/1.1 (request_respond), and the bodies
 * go out as DATA frames, under kTLS one TLS record per frame with the file
 * bytes by sendfile(2). conn.c hands a connection over once ALPN has
 * chosen "h2", or when a plain connection opens with the HTTP/2 preface
 * (h2c with prior knowledge). */
#define H2_PREFACE "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n"
#define H2_PREFACE_LEN 24
#ifndef KTLSD_H2_H
#define KTLSD_H2_H

#include <openssl/ssl.h>

struct h2;
struct request_env;

/* What a connection gives its HTTP/2 session: env is the template of every
 * stream's request_env (vh, srv, ssl, ktls_tx, peer, fd, tls, log,
 * client_verify; the rest is filled per stream). now() is the loop's time. */
struct h2_conn {
    const struct request_env *env;
    SSL *ssl; /* NULL: no TLS */
    double (*now)(void *arg);
    void *arg;
    unsigned long id;      /* $connection */
    const char *ktls;      /* $ktls */
    const char *ktls_mode; /* $ktls_mode (copied) */
};

/* Starts the session and queues the server's SETTINGS; NULL if nghttp2
 * cannot (logged). */
struct h2 *h2_open(const struct h2_conn *hc);
/* Reads, answers and writes as far as the socket allows. KT_AGAIN: wait for
 * *events (IO_READ and/or IO_WRITE); KT_OK: the session is over (GOAWAY
 * sent, nothing in flight), close cleanly; KT_ERROR: close now (logged). */
int h2_run(struct h2 *h, int *events);
/* Graceful stop: GOAWAY, the streams in flight finish, then h2_run returns
 * KT_OK. */
void h2_drain(struct h2 *h);
/* Streams open (being received or answered). */
unsigned h2_streams(const struct h2 *h);
/* Whether a stream made progress (opened, closed, body bytes sent) since
 * the last call: the connection then restarts its timer. */
int h2_progress(struct h2 *h);
void h2_free(struct h2 *h);

#endif
