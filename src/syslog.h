/* syslog.h: nginx's "syslog:" log targets (RFC 3164 datagrams) for
 * access_log and error_log: syslog:server=ADDR[:PORT]|unix:PATH[,facility=F][,severity=S]
 * [,tag=T][,nohostname]. */
#ifndef KTLSD_SYSLOG_H
#define KTLSD_SYSLOG_H

#include <stddef.h>

struct syslog_target {
    int fd;
    int facility, severity;
    char tag[33];
    int nohostname;
    char server[256];
};

/* Parses the text after "syslog:"; KT_ERROR with nginx's message in err. */
int syslog_parse(const char *spec, struct syslog_target *t, char *err, size_t errlen);
/* A connected datagram socket to the server; KT_ERROR with errno. */
int syslog_open(struct syslog_target *t);
/* One message ("<PRI>TIMESTAMP HOST TAG: MSG"), without its line end;
 * severity -1: the target's (an error log gives each message's level). */
void syslog_send(const struct syslog_target *t, int severity, const char *msg, size_t len);

#endif
