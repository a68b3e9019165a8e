/* http1.h: HTTP/1.x requests on a connection (conn.c's C_READ and C_SEND
 * states). Each returns KT_OK when the connection's state machine should
 * go on at once, KT_AGAIN when it waits (for the socket, a timer, or
 * because the connection has closed). */
#ifndef KTLSD_HTTP1_H
#define KTLSD_HTTP1_H

#include "conn_core.h"

/* Reads a request and answers it: on KT_OK the reply is ready (C_SEND). */
int http1_read(struct conn *c);
/* Hands the parsed request to the pipeline and starts its reply. KT_AGAIN:
 * limit_req delays it, and the timer calls again with again set (counted
 * once, limit_req not asked twice). */
int http1_answer(struct conn *c, int again);
/* Sends the reply on; when it is out, logs it and keeps the connection
 * alive (KT_OK: the next request is already here), lingers or closes. */
int http1_send(struct conn *c);
/* A timeout: logs the request cut short (408) or the response cut short. */
void http1_timed_out(struct conn *c);

#endif
