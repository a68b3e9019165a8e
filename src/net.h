/* net.h: plain-socket I/O with the results tls.c gives (KT_OK / KT_AGAIN
 * with *want / KT_ERROR, logged), so that no caller decodes errno itself:
 * nginx's c->recv / c->send / c->send_chain for connections without SSL,
 * and for a kTLS socket, whose plaintext the kernel frames and encrypts. */
#ifndef KTLSD_NET_H
#define KTLSD_NET_H

#include <stddef.h>
#include <sys/types.h>

struct log_ctx;

/* KT_OK with *n = 0 means the peer closed the connection. */
int net_read(int fd, void *buf, size_t len, size_t *n, int *want, const struct log_ctx *log);
/* more: MSG_MORE, more bytes follow at once (one TCP segment, or one kTLS
 * record, instead of several). */
int net_write(int fd, const void *buf, size_t len, int more, size_t *n, int *want,
              const struct log_ctx *log);
/* sendfile(2) of file bytes [off, off+len); a file that has shrunk below
 * off is an error (logged), never a hang. */
int net_sendfile(int sock, int fd, off_t off, size_t len, size_t *n, int *want,
                 const struct log_ctx *log);
/* limit_rate by the kernel (send.c): 1 and the socket's MSS when TCP's
 * pacing holds for the next bytes: the socket has sent its first 10 data
 * segments and has no unsent bytes queued; 0 when not yet (or TCP_INFO
 * fails). */
int net_pace_ready(int sock, unsigned *mss);
/* The bytes queued on the socket that TCP has not sent yet (0 if unknown). */
unsigned net_unsent(int sock);
/* Paces the socket at rate bytes/s (SO_MAX_PACING_RATE) and keeps at most
 * about lowat unsent bytes queued (TCP_NOTSENT_LOWAT); rate 0: neither,
 * the socket's defaults again. KT_OK, or KT_ERROR (not logged). */
int net_pace(int sock, unsigned long long rate, unsigned lowat);

#endif
