/* config_set_server.c: listen and server_name, and the directives of the
 * master and worker processes and events (server.c and worker.c apply them). */
#include "config_int.h"
#include "log.h"
#include "util.h"
#include "value.h"
#include "vars.h"

#include <limits.h>
#include <netdb.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define PCRE2_CODE_UNIT_WIDTH 8
#include <pcre2.h>

int conf_parse_addr(const char *host, const char *port, struct listen_conf *l)
{
    struct addrinfo hints = {.ai_socktype = SOCK_STREAM, .ai_flags = AI_PASSIVE | AI_NUMERICSERV},
                    *res;
    if (host != NULL && strcmp(host, "*") == 0)
        host = NULL;
    if (host == NULL)
        hints.ai_family = AF_INET;
    if (getaddrinfo(host, port, &hints, &res) != 0)
        return KT_ERROR;
    memcpy(&l->addr, res->ai_addr, res->ai_addrlen);
    l->addrlen = res->ai_addrlen;
    freeaddrinfo(res);
    return KT_OK;
}

/* nginx's listen options past ssl, default_server and backlog (server.c
 * applies them): ipv6only=, reuseport, deferred (ktlsd always defers
 * accept until the client has sent), bind (every address is bound on its
 * own anyway), fastopen=, so_keepalive=, rcvbuf=, sndbuf=. */
static int listen_option(struct conf_parser *p, struct listen_conf *l, const char *o,
                         const char *addr)
{
    long v;
    long long size;
    if (strcmp(o, "reuseport") == 0) {
        l->reuseport = 1;
    } else if (strcmp(o, "deferred") == 0 || strcmp(o, "bind") == 0) {
        /* what ktlsd does anyway (above) */
    } else if (strncmp(o, "ipv6only=", 9) == 0) {
        if (strcmp(o + 9, "on") != 0 && strcmp(o + 9, "off") != 0) {
            conf_perr(p, "invalid ipv6only flags \"%s\"", o + 9);
            return KT_ERROR;
        }
        if (l->addr.ss_family != AF_INET6) {
            conf_perr(p, "ipv6only is not supported on addr \"%s\"", addr);
            return KT_ERROR;
        }
        l->ipv6only = strcmp(o + 9, "on") == 0;
    } else if (strncmp(o, "fastopen=", 9) == 0) {
        if (value_long(o + 9, &v) != KT_OK || v > 65535) {
            conf_perr(p, "invalid fastopen \"%s\"", o + 9);
            return KT_ERROR;
        }
        l->fastopen = (int)v;
    } else if (strncmp(o, "rcvbuf=", 7) == 0 || strncmp(o, "sndbuf=", 7) == 0) {
        if (value_size(o + 7, &size) != KT_OK || size < 1 || size > INT_MAX) {
            conf_perr(p, "invalid %.6s \"%s\"", o, o + 7);
            return KT_ERROR;
        }
        *(o[0] == 'r' ? &l->rcvbuf : &l->sndbuf) = (int)size;
    } else if (strncmp(o, "so_keepalive=", 13) == 0) {
        const char *q = o + 13;
        if (strcmp(q, "on") == 0 || strcmp(q, "off") == 0) {
            l->so_keepalive = strcmp(q, "on") == 0 ? 1 : -1;
            return KT_OK;
        }
        /* [keepidle]:[keepintvl]:[keepcnt], times with units */
        int *out[3] = {&l->keepidle, &l->keepintvl, &l->keepcnt};
        char part[32];
        for (int k = 0; k < 3; k++) {
            size_t len = strcspn(q, ":");
            double t;
            if (len >= sizeof(part) || (k < 2 && q[len] != ':') || (k == 2 && q[len] != '\0')) {
                conf_perr(p, "invalid so_keepalive value: \"%s\"", o + 13);
                return KT_ERROR;
            }
            memcpy(part, q, len);
            part[len] = '\0';
            if (len > 0) {
                int good;
                if (k < 2) {
                    good = value_time(part, &t) == KT_OK;
                } else {
                    good = value_long(part, &v) == KT_OK;
                    t = good ? (double)v : 0;
                }
                if (!good || t < 1 || t > 32767) {
                    conf_perr(p, "invalid so_keepalive value: \"%s\"", o + 13);
                    return KT_ERROR;
                }
                *out[k] = (int)t;
            }
            q += len + (k < 2);
        }
        l->so_keepalive = 1;
    } else {
        conf_perr(p, "invalid parameter \"%s\" in \"listen\" directive", o);
        return KT_ERROR;
    }
    return KT_OK;
}

int conf_set_listen(struct conf_parser *p, const struct conf_directive *d, char **a, int n,
                    void *conf)
{
    struct server_conf *s = conf;
    struct listen_conf l = {.backlog = LISTEN_BACKLOG, .ipv6only = 1};
    char hostbuf[256], *host = NULL, *port = a[0], *colon;
    long portnum;
    (void)d;

    if (a[0][0] == '[') { /* [::1]:443 */
        char *close = strchr(a[0], ']');
        if (close == NULL || (close[1] != ':' && close[1] != '\0') ||
            (size_t)(close - a[0]) >= sizeof(hostbuf)) {
            conf_perr(p, "invalid address \"%s\" in \"listen\" directive", a[0]);
            return KT_ERROR;
        }
        snprintf(hostbuf, sizeof(hostbuf), "%.*s", (int)(close - a[0] - 1), a[0] + 1);
        host = hostbuf;
        port = close[1] == ':' ? close + 2 : "80";
    } else if ((colon = strrchr(a[0], ':')) != NULL) {
        snprintf(hostbuf, sizeof(hostbuf), "%.*s", (int)(colon - a[0]), a[0]);
        host = hostbuf;
        port = colon + 1;
    } else if (value_long(a[0], &portnum) != KT_OK) {
        host = a[0]; /* "listen localhost;" means port 80 */
        port = "80";
    }
    if (value_long(port, &portnum) != KT_OK || portnum < 1 || portnum > 65535) {
        conf_perr(p, "invalid port in \"%s\" of the \"listen\" directive", a[0]);
        return KT_ERROR;
    }
    if (conf_parse_addr(host, port, &l) != KT_OK) {
        conf_perr(p, "host not found in \"%s\" of the \"listen\" directive", a[0]);
        return KT_ERROR;
    }
    snprintf(l.text, sizeof(l.text), "%s", a[0]);
    for (int i = 1; i < n; i++) {
        long v;
        if (strcmp(a[i], "ssl") == 0)
            l.ssl = 1;
        else if (strcmp(a[i], "default_server") == 0 || strcmp(a[i], "default") == 0)
            l.default_server = 1;
        else if (strncmp(a[i], "backlog=", 8) == 0 && value_long(a[i] + 8, &v) == KT_OK && v > 0 &&
                 v <= 65535)
            l.backlog = (int)v;
        else if (strncmp(a[i], "backlog=", 8) == 0) {
            conf_perr(p, "invalid backlog \"%s\"", a[i] + 8);
            return KT_ERROR;
        } else if (strchr(a[i], '=') != NULL || strcmp(a[i], "reuseport") == 0 ||
                   strcmp(a[i], "deferred") == 0 || strcmp(a[i], "bind") == 0) {
            if (listen_option(p, &l, a[i], a[0]) != KT_OK)
                return KT_ERROR;
        } else if (strcmp(a[i], "http2") == 0) {
            l.http2 = 1;
        } else if (strcmp(a[i], "quic") == 0 || strcmp(a[i], "proxy_protocol") == 0) {
            conf_perr(p, "\"%s\" parameter of the \"listen\" directive is not supported by ktlsd",
                      a[i]);
            return KT_ERROR;
        } else {
            conf_perr(p, "invalid parameter \"%s\" in \"listen\" directive", a[i]);
            return KT_ERROR;
        }
    }
    l.file = conf_keep_string(p->cf, p->file);
    l.line = p->line;
    s->listens = xrealloc(s->listens, (s->nlistens + 1) * sizeof(*s->listens));
    s->listens[s->nlistens++] = l;
    return KT_OK;
}

/* server_name: "~regex" names are compiled (caseless, as nginx does); their
 * named captures become variables. */
int conf_set_server_name(struct conf_parser *p, const struct conf_directive *d, char **a, int n,
                         void *conf)
{
    struct server_conf *s = conf;
    for (int i = 0; i < n; i++) {
        pcre2_code *re = NULL;
        char host[256] = "";
        if (strcmp(a[i], "$hostname") == 0) { /* nginx: this machine's name */
            if (gethostname(host, sizeof(host) - 1) != 0 || host[0] == '\0') {
                conf_perr(p, "gethostname() failed in \"server_name\" directive");
                return KT_ERROR;
            }
        } else if (strchr(a[i], '$') != NULL && a[i][0] != '~') {
            conf_perr(p, "invalid server name \"%s\": only \"$hostname\" is a variable here", a[i]);
            return KT_ERROR;
        }
        if (a[i][0] == '~') {
            int errcode;
            PCRE2_SIZE erroff;
            re = pcre2_compile((PCRE2_SPTR)a[i] + 1, PCRE2_ZERO_TERMINATED, PCRE2_CASELESS,
                               &errcode, &erroff, NULL);
            if (re == NULL) {
                PCRE2_UCHAR msg[256];
                pcre2_get_error_message(errcode, msg, sizeof(msg));
                conf_perr(p, "pcre2_compile() failed: %s in \"%s\" at \"%s\"", (char *)msg,
                          a[i] + 1, a[i] + 1 + erroff);
                return KT_ERROR;
            }
            vars_add_captures(re);
        }
        s->name_re = xrealloc(s->name_re, (s->nnames + 1) * sizeof(*s->name_re));
        s->name_re[s->nnames] = re;
        s->name_md = xrealloc(s->name_md, (s->nnames + 1) * sizeof(*s->name_md));
        s->name_md[s->nnames] = re != NULL ? pcre2_match_data_create_from_pattern(re, NULL) : NULL;
        {
            char *one[1] = {host[0] != '\0' ? host : a[i]};
            if (conf_set_list(p, d, one, 1, conf) != KT_OK)
                return KT_ERROR;
        }
    }
    return KT_OK;
}

int conf_set_worker_processes(struct conf_parser *p, const struct conf_directive *d, char **a,
                              int n, void *conf)
{
    struct config *cf = conf;
    if (strcmp(a[0], "auto") == 0) {
        cf->worker_processes = 0;
        return KT_OK;
    }
    return conf_set_num(p, d, a, n, conf);
}

int conf_set_user(struct conf_parser *p, const struct conf_directive *d, char **a, int n,
                  void *conf)
{
    struct config *cf = conf;
    (void)p;
    (void)d;
    cf->user = xstrdup(a[0]);
    cf->group = xstrdup(n == 2 ? a[1] : a[0]);
    return KT_OK;
}

int conf_set_rlimit_nofile(struct conf_parser *p, const struct conf_directive *d, char **a, int n,
                           void *conf)
{
    struct config *cf = conf;
    long v;
    (void)n;
    if (value_long(a[0], &v) != KT_OK || v < 1 || v > (1L << 30)) {
        conf_perr(p, "invalid value \"%s\" in \"%s\" directive", a[0], d->name);
        return KT_ERROR;
    }
    cf->worker_rlimit_nofile = v;
    return KT_OK;
}

/* worker_cpu_affinity auto [MASK] | MASK ...: masks of '0' and '1'. */
int conf_set_cpu_affinity(struct conf_parser *p, const struct conf_directive *d, char **a, int n,
                          void *conf)
{
    struct config *cf = conf;
    size_t len = 0;
    for (int i = 0; i < n; i++) {
        if (i == 0 && strcmp(a[i], "auto") == 0)
            continue;
        if (a[i][0] == '\0' || strspn(a[i], "01") != strlen(a[i]) || strlen(a[i]) > 64) {
            conf_perr(p, "invalid character \"%c\" in \"%s\" directive", a[i][strspn(a[i], "01")],
                      d->name);
            return KT_ERROR;
        }
    }
    if (cf->worker_cpu_affinity != NULL) {
        conf_perr(p, "\"%s\" directive is duplicate", d->name);
        return KT_ERROR;
    }
    for (int i = 0; i < n; i++)
        len += strlen(a[i]) + 1;
    cf->worker_cpu_affinity = xcalloc(1, len + 1);
    for (int i = 0; i < n; i++) {
        strcat(cf->worker_cpu_affinity, a[i]);
        if (i + 1 < n)
            strcat(cf->worker_cpu_affinity, " ");
    }
    return KT_OK;
}

/* use epoll: the only event method ktlsd has (libev picks epoll on Linux). */
int conf_set_use(struct conf_parser *p, const struct conf_directive *d, char **a, int n, void *conf)
{
    (void)d;
    (void)n;
    (void)conf;
    if (strcmp(a[0], "epoll") != 0) {
        conf_perr(p, "invalid event type \"%s\": ktlsd uses epoll", a[0]);
        return KT_ERROR;
    }
    return KT_OK;
}

/* accept_mutex: ktlsd has none; "on" (nginx's default before 1.11.3)
 * would make nginx's workers take turns accepting, so -t says so. */
int conf_set_accept_mutex(struct conf_parser *p, const struct conf_directive *d, char **a, int n,
                          void *conf)
{
    if (conf_set_noop_flag(p, d, a, n, conf) != KT_OK)
        return KT_ERROR;
    if (strcmp(a[0], "on") == 0)
        conf_pnotice(p, "\"accept_mutex on\" has no effect: ktlsd workers accept as the "
                        "kernel wakes them (\"listen ... reuseport\" spreads connections)");
    return KT_OK;
}

/* load_module: ktlsd has no dynamic modules; a warning, and a directive of
 * such a module still fails as unknown. */
int conf_set_load_module(struct conf_parser *p, const struct conf_directive *d, char **a, int n,
                         void *conf)
{
    (void)d;
    (void)n;
    (void)conf;
    conf_pwarn(p, "\"load_module %s\" is ignored: ktlsd has no dynamic modules", a[0]);
    return KT_OK;
}

/* resolver ADDRESS ... [valid=T] [ipv6=on|off] [status_zone=Z] and
 * resolver_timeout T: nginx resolves names for OCSP responders (and
 * upstreams). ktlsd makes no outgoing connection at all (stapled responses
 * come from ssl_stapling_file), so there is nothing to resolve: the values
 * are checked and have no effect (a [warn] says so at -t). */
int conf_set_resolver(struct conf_parser *p, const struct conf_directive *d, char **a, int n,
                      void *conf)
{
    double t;
    (void)conf;
    for (int i = 0; i < n; i++)
        if (strncmp(a[i], "valid=", 6) == 0 && value_time(a[i] + 6, &t) != KT_OK) {
            conf_perr(p, "invalid parameter \"%s\" in \"%s\" directive", a[i], d->name);
            return KT_ERROR;
        }
    conf_pwarn(p,
               "\"%s\" has no effect: ktlsd makes no outgoing connections (OCSP responses come "
               "from ssl_stapling_file)",
               d->name);
    return KT_OK;
}

int conf_set_resolver_timeout(struct conf_parser *p, const struct conf_directive *d, char **a,
                              int n, void *conf)
{
    double t;
    (void)n;
    (void)conf;
    if (value_time(a[0], &t) != KT_OK) {
        conf_perr(p, "invalid time \"%s\" in \"%s\" directive", a[0], d->name);
        return KT_ERROR;
    }
    return KT_OK;
}
