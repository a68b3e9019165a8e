/* notify_none.c: the service manager interface when built without
 * libsystemd (-DKTLSD_SYSTEMD=OFF): no notifications, no passed sockets. */
#include "notify.h"

void notify_ready(void)
{
}

void notify_reloading(void)
{
}

void notify_stopping(void)
{
}

void notify_status(const char *text)
{
    (void)text;
}

int notify_listen_fds(void)
{
    return 0;
}

int notify_listen_take(const struct sockaddr *addr, socklen_t len)
{
    (void)addr;
    (void)len;
    return -1;
}

void notify_listen_close_unused(void)
{
}
