/* notify.h: the service manager's interface (systemd): state notifications
 * through sd_notify(3) and socket activation through sd_listen_fds(3).
 * Outside a service manager (no NOTIFY_SOCKET, no LISTEN_FDS) every call is
 * a no-op. Built from notify.c (libsystemd) or notify_none.c when CMake is
 * told -DKTLSD_SYSTEMD=OFF. */
#ifndef KTLSD_NOTIFY_H
#define KTLSD_NOTIFY_H

#include <sys/socket.h>

/* READY=1: the listeners are bound and the workers started (also the end
 * of a reload). */
void notify_ready(void);
/* RELOADING=1 with MONOTONIC_USEC=now; READY=1 must follow. */
void notify_reloading(void);
/* STOPPING=1: a graceful or fast stop has begun. */
void notify_stopping(void);
/* STATUS=text, the line systemctl status shows. */
void notify_status(const char *text);

/* Takes the sockets the service manager passed (LISTEN_FDS) and removes
 * LISTEN_* from the environment, so that workers do not see them. The
 * sockets become close-on-exec and non-blocking (workers accept from one
 * socket together). Returns how many were passed; 0 when none. */
int notify_listen_fds(void);
/* A new descriptor (close-on-exec) for the passed socket that listens on
 * addr, or -1 when none does. The passed socket stays open, so that a
 * reload can take it again. */
int notify_listen_take(const struct sockaddr *addr, socklen_t len);
/* Logs and closes the passed sockets that no listen directive took. */
void notify_listen_close_unused(void);

#endif
