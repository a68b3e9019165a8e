/* config.c: nginx-syntax configuration. A tokenizer, a recursive block
 * parser, and a table of directives (nginx's ngx_command_t, redis's
 * static_configs[]): adding a directive is adding one row. Every error is
 * reported as "FILE:LINE: message". */
#include "config.h"
#include "limit.h"
#include "log.h"
#include "map.h"
#include "mime.h"
#include "rewrite.h"
#include "syslog.h"
#include "util.h"
#include "value.h"
#include "vars.h"

#include <arpa/inet.h>
#include <errno.h>
#include <glob.h>
#include <limits.h>
#include <netdb.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#define PCRE2_CODE_UNIT_WIDTH 8
#include <pcre2.h>

enum {
    CTX_MAIN = 1,
    CTX_EVENTS = 2,
    CTX_HTTP = 4,
    CTX_SERVER = 8,
    CTX_LOC = 16,
    CTX_TYPES = 32,
    CTX_SIF = 64,  /* "if" in a server */
    CTX_LIF = 128, /* "if" in a location */
    CTX_MAP = 256,
};
enum { TARGET_MAIN, TARGET_SRV, TARGET_SERVER, TARGET_LOC };

#define MAX_ARGS 64
#define MAX_INCLUDE_DEPTH 16

struct parser {
    struct config *cf;
    const char *file;
    char *buf;
    size_t pos, len;
    int line;
    int depth;    /* block nesting */
    int includes; /* include nesting */
    unsigned ctx; /* of the directive being run */
    char *err;
    size_t errlen;
};

struct directive;
typedef int (*set_fn)(struct parser *p, const struct directive *d, char **args, int nargs,
                      void *conf);

struct directive {
    const char *name;
    unsigned ctx;
    int target;
    int amin, amax; /* argument counts, the name excluded; amax -1: any */
    set_fn set;
    size_t off;
    long lo, hi; /* bounds for numbers */
};

static void perr(struct parser *p, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void perr(struct parser *p, const char *fmt, ...)
{
    va_list ap;
    int n = snprintf(p->err, p->errlen, "%s:%d: ", p->file, p->line);
    va_start(ap, fmt);
    if (n >= 0 && (size_t)n < p->errlen)
        vsnprintf(p->err + n, p->errlen - (size_t)n, fmt, ap);
    va_end(ap);
}

/* config_load reads the files twice (variables may be used before their
 * "set" or "map"): warnings are given by the second reading only. */
static int first_reading;

/* A warning at FILE:LINE. */
static void pwarn(struct parser *p, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void pwarn(struct parser *p, const char *fmt, ...)
{
    char msg[512];
    va_list ap;
    if (first_reading)
        return;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    log_error(LL_WARN, NULL, "%s:%d: %s", p->file, p->line, msg);
}

static const char *keep_string(struct config *cf, const char *s)
{
    cf->strings = xrealloc(cf->strings, (cf->nstrings + 1) * sizeof(char *));
    return cf->strings[cf->nstrings++] = xstrdup(s);
}

/* --- value setters ------------------------------------------------------ */

static int set_keyword(struct parser *p, const struct directive *d, char **a, int n, void *conf,
                       const char *const *words);

static int set_flag(struct parser *p, const struct directive *d, char **a, int n, void *conf)
{
    int *v = (int *)((char *)conf + d->off);
    (void)n;
    if (strcmp(a[0], "on") == 0)
        *v = 1;
    else if (strcmp(a[0], "off") == 0)
        *v = 0;
    else {
        perr(p, "invalid value \"%s\" in \"%s\" directive, it must be \"on\" or \"off\"", a[0],
             d->name);
        return KT_ERROR;
    }
    return KT_OK;
}

static int set_num(struct parser *p, const struct directive *d, char **a, int n, void *conf)
{
    long v;
    (void)n;
    if (value_long(a[0], &v) != KT_OK || v < d->lo || v > d->hi) {
        perr(p, "invalid value \"%s\" in \"%s\" directive (expected %ld..%ld)", a[0], d->name,
             d->lo, d->hi);
        return KT_ERROR;
    }
    *(int *)((char *)conf + d->off) = (int)v;
    return KT_OK;
}

/* open_file_cache off | max=N [inactive=TIME] (nginx's syntax). */
static int set_open_file_cache(struct parser *p, const struct directive *d, char **a, int n,
                               void *conf)
{
    struct fdcache_conf *c = (struct fdcache_conf *)((char *)conf + d->off);
    c->max = 0;
    c->inactive = 60;
    if (n == 1 && strcmp(a[0], "off") == 0)
        return KT_OK;
    for (int i = 0; i < n; i++) {
        long v;
        if (strncmp(a[i], "max=", 4) == 0 && value_long(a[i] + 4, &v) == KT_OK && v > 0 &&
            v <= (1 << 20))
            c->max = (int)v;
        else if (strncmp(a[i], "inactive=", 9) == 0 && value_time(a[i] + 9, &c->inactive) == KT_OK)
            ;
        else {
            perr(p, "invalid \"open_file_cache\" parameter \"%s\"", a[i]);
            return KT_ERROR;
        }
    }
    if (c->max == 0) {
        perr(p, "\"open_file_cache\" must have the \"max\" parameter");
        return KT_ERROR;
    }
    return KT_OK;
}

static int set_time(struct parser *p, const struct directive *d, char **a, int n, void *conf)
{
    double v;
    (void)n;
    if (value_time(a[0], &v) != KT_OK || v > (double)d->hi) {
        perr(p, "invalid time \"%s\" in \"%s\" directive", a[0], d->name);
        return KT_ERROR;
    }
    *(double *)((char *)conf + d->off) = v;
    return KT_OK;
}

static int set_str(struct parser *p, const struct directive *d, char **a, int n, void *conf)
{
    char **v = (char **)((char *)conf + d->off);
    (void)n;
    if (*v != NULL) {
        perr(p, "\"%s\" directive is duplicate", d->name);
        return KT_ERROR;
    }
    if (a[0][0] == '\0') {
        perr(p, "empty value in \"%s\" directive", d->name);
        return KT_ERROR;
    }
    *v = xstrdup(a[0]);
    return KT_OK;
}

static int set_list(struct parser *p, const struct directive *d, char **a, int n, void *conf)
{
    char ***v = (char ***)((char *)conf + d->off);
    size_t *count = (size_t *)((char *)v + sizeof(char **));
    (void)p;
    for (int i = 0; i < n; i++) {
        *v = xrealloc(*v, (*count + 1) * sizeof(char *));
        (*v)[(*count)++] = xstrdup(a[i]);
    }
    return KT_OK;
}

/* A value that takes variables: each must be one ktlsd knows (nginx's
 * "unknown "NAME" variable" otherwise). */
static int check_vars(struct parser *p, const char *v)
{
    char msg[256];
    if (vars_check(v, msg, sizeof(msg)) != KT_OK) {
        perr(p, "%s", msg);
        return KT_ERROR;
    }
    return KT_OK;
}

/* A path nginx would expand variables in but ktlsd takes literally: refused,
 * never served from a directory named "$host". */
static int set_path_list(struct parser *p, const struct directive *d, char **a, int n, void *conf)
{
    if (strchr(a[0], '$') != NULL) {
        perr(p, "variables in \"%s\" are not supported by ktlsd", d->name);
        return KT_ERROR;
    }
    return set_list(p, d, a, n, conf);
}

/* root and alias: variables are expanded per request (request.c opens the
 * directory before the first variable). */
static int set_dir(struct parser *p, const struct directive *d, char **a, int n, void *conf)
{
    if (check_vars(p, a[0]) != KT_OK)
        return KT_ERROR;
    return set_str(p, d, a, n, conf);
}

static int set_try_files(struct parser *p, const struct directive *d, char **a, int n, void *conf)
{
    for (int i = 0; i < n; i++)
        if (check_vars(p, a[i]) != KT_OK)
            return KT_ERROR;
    return set_list(p, d, a, n, conf);
}

static int set_index(struct parser *p, const struct directive *d, char **a, int n, void *conf)
{
    for (int i = 0; i < n; i++) {
        if (strchr(a[i], '$') != NULL) {
            perr(p, "variables in \"%s\" are not supported by ktlsd", d->name);
            return KT_ERROR;
        }
        if (a[i][0] == '/') { /* nginx: an internal redirect to that URI */
            perr(p, "absolute index \"%s\" is not supported by ktlsd", a[i]);
            return KT_ERROR;
        }
    }
    return set_list(p, d, a, n, conf);
}

/* server_name: "~regex" names are compiled (caseless, as nginx does); their
 * named captures become variables. */
static int set_server_name(struct parser *p, const struct directive *d, char **a, int n, void *conf)
{
    struct server_conf *s = conf;
    for (int i = 0; i < n; i++) {
        pcre2_code *re = NULL;
        char host[256] = "";
        if (strcmp(a[i], "$hostname") == 0) { /* nginx: this machine's name */
            if (gethostname(host, sizeof(host) - 1) != 0 || host[0] == '\0') {
                perr(p, "gethostname() failed in \"server_name\" directive");
                return KT_ERROR;
            }
        } else if (strchr(a[i], '$') != NULL && a[i][0] != '~') {
            perr(p, "invalid server name \"%s\": only \"$hostname\" is a variable here", a[i]);
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
                perr(p, "pcre2_compile() failed: %s in \"%s\" at \"%s\"", (char *)msg, a[i] + 1,
                     a[i] + 1 + erroff);
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
            if (set_list(p, d, one, 1, conf) != KT_OK)
                return KT_ERROR;
        }
    }
    return KT_OK;
}

static int set_worker_processes(struct parser *p, const struct directive *d, char **a, int n,
                                void *conf)
{
    struct config *cf = conf;
    if (strcmp(a[0], "auto") == 0) {
        cf->worker_processes = 0;
        return KT_OK;
    }
    return set_num(p, d, a, n, conf);
}

/* error_log's "syslog:..." is checked here; "memory:" (nginx's debugging
 * buffer) is refused. */
static int check_log_target(struct parser *p, const char *path)
{
    struct syslog_target t;
    char e[160];
    if (strncmp(path, "memory:", 7) == 0) {
        perr(p, "\"memory:\" error logs are not supported by ktlsd: log to a file, stderr or "
                "syslog:");
        return KT_ERROR;
    }
    if (strncmp(path, "syslog:", 7) == 0 && syslog_parse(path + 7, &t, e, sizeof(e)) != KT_OK) {
        perr(p, "%s", e);
        return KT_ERROR;
    }
    return KT_OK;
}

static int set_error_log(struct parser *p, const struct directive *d, char **a, int n, void *conf)
{
    struct config *cf = conf;
    (void)d;
    if (conf != p->cf) { /* http, server, location: the requests there log to it */
        struct srv_conf *c = conf;
        int level = LL_ERR;
        if (check_log_target(p, a[0]) != KT_OK)
            return KT_ERROR;
        if (c->error_log != NULL) {
            perr(p, "\"error_log\" directive is duplicate (ktlsd writes one error log per level)");
            return KT_ERROR;
        }
        if (n == 2 && (level = log_level_parse(a[1])) < 0) {
            perr(p, "invalid log level \"%s\"", a[1]);
            return KT_ERROR;
        }
        c->error_log = xstrdup(a[0]);
        c->error_log_level = level;
        return KT_OK;
    }
    if (check_log_target(p, a[0]) != KT_OK)
        return KT_ERROR;
    if (cf->error_log != NULL) {
        perr(p, "\"error_log\" directive is duplicate");
        return KT_ERROR;
    }
    if (n == 2 && (cf->error_log_level = log_level_parse(a[1])) < 0) {
        perr(p, "invalid log level \"%s\"", a[1]);
        return KT_ERROR;
    }
    cf->error_log = xstrdup(a[0]);
    return KT_OK;
}

static int set_user(struct parser *p, const struct directive *d, char **a, int n, void *conf)
{
    struct config *cf = conf;
    (void)p;
    (void)d;
    cf->user = xstrdup(a[0]);
    cf->group = xstrdup(n == 2 ? a[1] : a[0]);
    return KT_OK;
}

/* access_log's buffer=SIZE, flush=TIME, gzip[=LEVEL], if=CONDITION (log.c) */
static int access_log_option(struct parser *p, struct srv_conf *c, const char *o)
{
    long long size;
    long v;
    if (strncmp(o, "buffer=", 7) == 0) {
        if (value_size(o + 7, &size) != KT_OK || size < 1 || size > 64 * 1024 * 1024) {
            perr(p, "invalid buffer size \"%s\"", o + 7);
            return KT_ERROR;
        }
        c->access_log_buffer = size;
    } else if (strncmp(o, "flush=", 6) == 0) {
        if (value_time(o + 6, &c->access_log_flush) != KT_OK || c->access_log_flush <= 0) {
            perr(p, "invalid flush time \"%s\"", o + 6);
            return KT_ERROR;
        }
    } else if (strcmp(o, "gzip") == 0) {
        c->access_log_gzip = 1;
    } else if (strncmp(o, "gzip=", 5) == 0) {
        if (value_long(o + 5, &v) != KT_OK || v < 1 || v > 9) {
            perr(p, "invalid compression level \"%s\"", o + 5);
            return KT_ERROR;
        }
        c->access_log_gzip = (int)v;
    } else if (strncmp(o, "if=", 3) == 0) {
        if (o[3] == '\0' || check_vars(p, o + 3) != KT_OK) {
            if (o[3] == '\0')
                perr(p, "invalid parameter \"%s\" in \"access_log\" directive", o);
            return KT_ERROR;
        }
        free(c->access_log_if);
        c->access_log_if = xstrdup(o + 3);
    } else {
        perr(p, "invalid parameter \"%s\" in \"access_log\" directive", o);
        return KT_ERROR;
    }
    return KT_OK;
}

static int set_access_log(struct parser *p, const struct directive *d, char **a, int n, void *conf)
{
    struct srv_conf *c = conf;
    (void)d;
    if (c->access_log_path != NULL) {
        perr(p, "\"access_log\" directive is duplicate (ktlsd writes one access log per server)");
        return KT_ERROR;
    }
    if (strchr(a[0], '$') != NULL) {
        perr(p, "variables in \"access_log\" paths are not supported by ktlsd");
        return KT_ERROR;
    }
    if (strncmp(a[0], "syslog:", 7) == 0) {
        struct syslog_target t;
        char e[160];
        if (syslog_parse(a[0] + 7, &t, e, sizeof(e)) != KT_OK) {
            perr(p, "%s", e);
            return KT_ERROR;
        }
        for (int i = 2; i < n; i++)
            if (strncmp(a[i], "buffer=", 7) == 0 || strncmp(a[i], "flush=", 6) == 0 ||
                strncmp(a[i], "gzip", 4) == 0) {
                perr(p, "logs to syslog cannot be buffered");
                return KT_ERROR;
            }
    }
    if (strcmp(a[0], "off") == 0 && n > 1) {
        perr(p, "invalid parameter \"%s\" in \"access_log off\"", a[1]);
        return KT_ERROR;
    }
    c->access_log_buffer = 0;
    c->access_log_flush = 0;
    c->access_log_gzip = 0;
    for (int i = 2; i < n; i++)
        if (access_log_option(p, c, a[i]) != KT_OK)
            return KT_ERROR;
    if (n >= 2 && strcmp(a[1], "combined") != 0) {
        size_t i;
        for (i = 0; i < p->cf->nformats; i++)
            if (strcmp(log_format_name(p->cf->formats[i].fmt), a[1]) == 0)
                break;
        if (i == p->cf->nformats) {
            perr(p, "unknown log format \"%s\"", a[1]);
            return KT_ERROR;
        }
    }
    c->access_log_path = xstrdup(a[0]);
    if (n >= 2)
        c->access_log_format = xstrdup(a[1]);
    return KT_OK;
}

static int set_log_format(struct parser *p, const struct directive *d, char **a, int n, void *conf)
{
    struct config *cf = p->cf;
    char err[256];
    size_t len = 0;
    char *text;
    struct log_format *f;
    int escape = LOG_ESCAPE_DEFAULT, first = 1;
    (void)d;
    (void)conf;
    if (strcmp(a[0], "combined") == 0) {
        perr(p, "duplicate \"log_format\" name \"combined\"");
        return KT_ERROR;
    }
    for (size_t i = 0; i < cf->nformats; i++)
        if (strcmp(log_format_name(cf->formats[i].fmt), a[0]) == 0) {
            perr(p, "duplicate \"log_format\" name \"%s\"", a[0]);
            return KT_ERROR;
        }
    if (strncmp(a[1], "escape=", 7) == 0) {
        escape = strcmp(a[1] + 7, "default") == 0 ? LOG_ESCAPE_DEFAULT
                 : strcmp(a[1] + 7, "json") == 0  ? LOG_ESCAPE_JSON
                 : strcmp(a[1] + 7, "none") == 0  ? LOG_ESCAPE_NONE
                                                  : -1;
        if (escape < 0) {
            perr(p, "unknown log format escaping \"%s\"", a[1] + 7);
            return KT_ERROR;
        }
        first = 2; /* the name stays a[0] */
        if (n < 3) {
            perr(p, "invalid number of arguments in \"log_format\" directive");
            return KT_ERROR;
        }
    }
    for (int i = first; i < n; i++)
        len += strlen(a[i]);
    text = xmalloc(len + 1);
    text[0] = '\0';
    for (int i = first; i < n; i++)
        strcat(text, a[i]);
    f = log_format_compile(a[0], text, err, sizeof(err));
    free(text);
    if (f == NULL) {
        perr(p, "%s", err);
        return KT_ERROR;
    }
    log_format_set_escape(f, (enum log_escape)escape);
    cf->formats = xrealloc(cf->formats, (cf->nformats + 1) * sizeof(*cf->formats));
    cf->formats[cf->nformats++] = (struct named_format){f, keep_string(cf, p->file), p->line};
    return KT_OK;
}

static int set_ssl_protocols(struct parser *p, const struct directive *d, char **a, int n,
                             void *conf)
{
    struct srv_conf *c = conf;
    (void)d;
    c->ssl_protocols = 0;
    for (int i = 0; i < n; i++) {
        if (strcmp(a[i], "TLSv1.2") == 0)
            c->ssl_protocols |= PROTO_TLS12;
        else if (strcmp(a[i], "TLSv1.3") == 0)
            c->ssl_protocols |= PROTO_TLS13;
        else if (strcmp(a[i], "SSLv2") == 0 || strcmp(a[i], "SSLv3") == 0 ||
                 strcmp(a[i], "TLSv1") == 0 || strcmp(a[i], "TLSv1.1") == 0)
            pwarn(p,
                  "\"%s\" in \"ssl_protocols\" is ignored: ktlsd speaks TLSv1.2 and TLSv1.3 only",
                  a[i]);
        else {
            perr(p, "invalid value \"%s\" in \"ssl_protocols\" directive", a[i]);
            return KT_ERROR;
        }
    }
    if (c->ssl_protocols == 0) {
        perr(p, "\"ssl_protocols\" enables no protocol that ktlsd supports (TLSv1.2, TLSv1.3)");
        return KT_ERROR;
    }
    return KT_OK;
}

static int set_ssl_conf_command(struct parser *p, const struct directive *d, char **a, int n,
                                void *conf)
{
    struct srv_conf *c = conf;
    (void)p;
    (void)d;
    (void)n;
    c->ssl_conf_cmds =
        xrealloc(c->ssl_conf_cmds, (c->nssl_conf_cmds + 1) * sizeof(*c->ssl_conf_cmds));
    c->ssl_conf_cmds[c->nssl_conf_cmds++] = (struct conf_cmd){xstrdup(a[0]), xstrdup(a[1])};
    c->ssl_conf_cmds_set = 1;
    return KT_OK;
}

/* ssl_buffer_size: the size of the TLS records ktlsd's userspace TLS
 * writes (OpenSSL's max_send_fragment, 512..16k; a larger buffer still makes
 * 16k records, as in nginx). See tls_ctx_create for what it does to kTLS. */
static int set_ssl_buffer_size(struct parser *p, const struct directive *d, char **a, int n,
                               void *conf)
{
    struct srv_conf *c = conf;
    long long v;
    (void)n;
    if (value_size(a[0], &v) != KT_OK || v < 512) {
        perr(p, "invalid value \"%s\" in \"%s\" directive (512 or more)", a[0], d->name);
        return KT_ERROR;
    }
    c->ssl_buffer_size = v > 16384 ? 16384 : (int)v;
    return KT_OK;
}

/* 0-RTT data can be replayed by anyone who saw it; ktlsd refuses it (no
 * early data is ever read), so "on" is an error rather than a silent off. */
static int set_ssl_early_data(struct parser *p, const struct directive *d, char **a, int n,
                              void *conf)
{
    if (strcmp(a[0], "on") == 0) {
        perr(p, "\"ssl_early_data on\" is not supported by ktlsd: TLS 1.3 0-RTT data is always "
                "refused (the client sends it again after the handshake)");
        return KT_ERROR;
    }
    return set_flag(p, d, a, n, conf);
}

static int set_verify_client(struct parser *p, const struct directive *d, char **a, int n,
                             void *conf)
{
    static const char *const words[] = {"off", "on", "optional", "optional_no_ca", NULL};
    return set_keyword(p, d, a, n, conf, words);
}

static int parse_addr(const char *host, const char *port, struct listen_conf *l)
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
static int listen_option(struct parser *p, struct listen_conf *l, const char *o, const char *addr)
{
    long v;
    long long size;
    if (strcmp(o, "reuseport") == 0) {
        l->reuseport = 1;
    } else if (strcmp(o, "deferred") == 0 || strcmp(o, "bind") == 0) {
        l->deferred = 1;
    } else if (strncmp(o, "ipv6only=", 9) == 0) {
        if (strcmp(o + 9, "on") != 0 && strcmp(o + 9, "off") != 0) {
            perr(p, "invalid ipv6only flags \"%s\"", o + 9);
            return KT_ERROR;
        }
        if (l->addr.ss_family != AF_INET6) {
            perr(p, "ipv6only is not supported on addr \"%s\"", addr);
            return KT_ERROR;
        }
        l->ipv6only = strcmp(o + 9, "on") == 0;
    } else if (strncmp(o, "fastopen=", 9) == 0) {
        if (value_long(o + 9, &v) != KT_OK || v > 65535) {
            perr(p, "invalid fastopen \"%s\"", o + 9);
            return KT_ERROR;
        }
        l->fastopen = (int)v;
    } else if (strncmp(o, "rcvbuf=", 7) == 0 || strncmp(o, "sndbuf=", 7) == 0) {
        if (value_size(o + 7, &size) != KT_OK || size < 1 || size > INT_MAX) {
            perr(p, "invalid %.6s \"%s\"", o, o + 7);
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
                perr(p, "invalid so_keepalive value: \"%s\"", o + 13);
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
                    perr(p, "invalid so_keepalive value: \"%s\"", o + 13);
                    return KT_ERROR;
                }
                *out[k] = (int)t;
            }
            q += len + (k < 2);
        }
        l->so_keepalive = 1;
    } else {
        perr(p, "invalid parameter \"%s\" in \"listen\" directive", o);
        return KT_ERROR;
    }
    return KT_OK;
}

static int set_listen(struct parser *p, const struct directive *d, char **a, int n, void *conf)
{
    struct server_conf *s = conf;
    struct listen_conf l = {.backlog = 511, .ipv6only = 1};
    char hostbuf[256], *host = NULL, *port = a[0], *colon;
    long portnum;
    (void)d;

    if (a[0][0] == '[') { /* [::1]:443 */
        char *close = strchr(a[0], ']');
        if (close == NULL || (close[1] != ':' && close[1] != '\0') ||
            (size_t)(close - a[0]) >= sizeof(hostbuf)) {
            perr(p, "invalid address \"%s\" in \"listen\" directive", a[0]);
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
        perr(p, "invalid port in \"%s\" of the \"listen\" directive", a[0]);
        return KT_ERROR;
    }
    if (parse_addr(host, port, &l) != KT_OK) {
        perr(p, "host not found in \"%s\" of the \"listen\" directive", a[0]);
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
            perr(p, "invalid backlog \"%s\"", a[i] + 8);
            return KT_ERROR;
        } else if (strchr(a[i], '=') != NULL || strcmp(a[i], "reuseport") == 0 ||
                   strcmp(a[i], "deferred") == 0 || strcmp(a[i], "bind") == 0) {
            if (listen_option(p, &l, a[i], a[0]) != KT_OK)
                return KT_ERROR;
        } else if (strcmp(a[i], "http2") == 0) {
            l.http2 = 1;
        } else if (strcmp(a[i], "quic") == 0 || strcmp(a[i], "proxy_protocol") == 0) {
            perr(p, "\"%s\" parameter of the \"listen\" directive is not supported by ktlsd", a[i]);
            return KT_ERROR;
        } else {
            perr(p, "invalid parameter \"%s\" in \"listen\" directive", a[i]);
            return KT_ERROR;
        }
    }
    l.file = keep_string(p->cf, p->file);
    l.line = p->line;
    s->listens = xrealloc(s->listens, (s->nlistens + 1) * sizeof(*s->listens));
    s->listens[s->nlistens++] = l;
    return KT_OK;
}

static int set_size(struct parser *p, const struct directive *d, char **a, int n, void *conf)
{
    (void)n;
    if (value_size(a[0], (long long *)((char *)conf + d->off)) != KT_OK) {
        perr(p, "invalid size \"%s\" in \"%s\" directive", a[0], d->name);
        return KT_ERROR;
    }
    return KT_OK;
}

/* http2_chunk_size: a size, and not zero (nginx's "the http2 chunk size
 * cannot be zero"); h2.c caps it at one TLS record's payload. */
static int set_http2_chunk_size(struct parser *p, const struct directive *d, char **a, int n,
                                void *conf)
{
    if (set_size(p, d, a, n, conf) != KT_OK)
        return KT_ERROR;
    if (*(long long *)((char *)conf + d->off) == 0) {
        perr(p, "the http2 chunk size cannot be zero");
        return KT_ERROR;
    }
    return KT_OK;
}

/* large_client_header_buffers NUMBER SIZE (http.c applies them). Sizes
 * past the 16 KiB read buffer are allowed, as nginx allows them; the read
 * buffer is then the limit. */
static int set_large_header_buffers(struct parser *p, const struct directive *d, char **a, int n,
                                    void *conf)
{
    struct srv_conf *c = conf;
    long num;
    long long size;
    (void)n;
    if (value_long(a[0], &num) != KT_OK || num < 1 || num > 1024 ||
        value_size(a[1], &size) != KT_OK || size < 1 || size > 1024 * 1024) {
        perr(p, "invalid value \"%s %s\" in \"%s\" directive", a[0], a[1], d->name);
        return KT_ERROR;
    }
    c->large_header_bufs = (int)num;
    c->large_header_size = size;
    return KT_OK;
}

/* A keyword out of a short list given in the directive's row: the index. */
/* ssl_session_cache off | none | [builtin[:size]] [shared:name:size], as
 * nginx: "off" tells clients that sessions are never reused, "none" hands
 * out session IDs but keeps nothing, builtin is OpenSSL's cache in each
 * worker (in sessions), shared one in shared memory for all (in bytes). */
static int set_ssl_session_cache(struct parser *p, const struct directive *d, char **a, int n,
                                 void *conf)
{
    struct srv_conf *c = conf;
    (void)d;
    if (c->ssl_session_cache != CONF_UNSET) {
        perr(p, "\"ssl_session_cache\" directive is duplicate");
        return KT_ERROR;
    }
    c->ssl_session_cache = SCACHE_ON;
    c->ssl_cache_builtin = 0;
    for (int i = 0; i < n; i++) {
        long v;
        if (n == 1 && strcmp(a[i], "off") == 0) {
            c->ssl_session_cache = SCACHE_OFF;
        } else if (n == 1 && strcmp(a[i], "none") == 0) {
            c->ssl_session_cache = SCACHE_NONE;
        } else if (strcmp(a[i], "builtin") == 0) {
            c->ssl_cache_builtin = -1;
        } else if (strncmp(a[i], "builtin:", 8) == 0 && value_long(a[i] + 8, &v) == KT_OK &&
                   v > 0) {
            c->ssl_cache_builtin = v;
        } else if (strncmp(a[i], "shared:", 7) == 0 && c->ssl_cache_zone == NULL) {
            const char *name = a[i] + 7, *colon = strchr(name, ':');
            long long size;
            if (colon == NULL || colon == name || value_size(colon + 1, &size) != KT_OK ||
                size == 0)
                goto invalid;
            if (size < 8 * 4096 || size > 1024LL * 1024 * 1024) {
                /* the ring's offsets are 32-bit: up to 1g (about 4 million sessions) */
                perr(p, "zone \"%.*s\" is too %s", (int)(colon - name), name,
                     size < 8 * 4096 ? "small" : "large (at most 1g)");
                return KT_ERROR;
            }
            c->ssl_cache_zone = xstrndup(name, (size_t)(colon - name));
            c->ssl_cache_zone_size = size;
        } else {
            goto invalid;
        }
        continue;
    invalid:
        perr(p, "invalid session cache \"%s\"", a[i]);
        return KT_ERROR;
    }
    return KT_OK;
}

static int set_keyword(struct parser *p, const struct directive *d, char **a, int n, void *conf,
                       const char *const *words)
{
    (void)n;
    for (int i = 0; words[i] != NULL; i++)
        if (strcmp(a[0], words[i]) == 0) {
            *(int *)((char *)conf + d->off) = i;
            return KT_OK;
        }
    perr(p, "invalid value \"%s\" in \"%s\" directive", a[0], d->name);
    return KT_ERROR;
}

static int set_static(struct parser *p, const struct directive *d, char **a, int n, void *conf)
{
    static const char *const words[] = {"off", "on", "always", NULL};
    if (strcmp(d->name, "brotli_static") == 0 && strcmp(a[0], "always") == 0) {
        perr(p, "invalid value \"always\" in \"brotli_static\" directive, it must be \"on\" or "
                "\"off\"");
        return KT_ERROR;
    }
    return set_keyword(p, d, a, n, conf, words);
}

static int set_symlinks(struct parser *p, const struct directive *d, char **a, int n, void *conf)
{
    static const char *const words[] = {"off", "on", "if_not_owner", NULL};
    if (n > 1) {
        perr(p, "\"from=\" in \"disable_symlinks\" is not supported by ktlsd");
        return KT_ERROR;
    }
    return set_keyword(p, d, a, n, conf, words);
}

static int set_ims(struct parser *p, const struct directive *d, char **a, int n, void *conf)
{
    static const char *const words[] = {"off", "exact", "before", NULL};
    return set_keyword(p, d, a, n, conf, words);
}

static int set_expires(struct parser *p, const struct directive *d, char **a, int n, void *conf)
{
    struct srv_conf *c = conf;
    const char *v = a[0];
    int neg = 0;
    int modified = 0;
    (void)d;
    if (n == 2) {
        if (strcmp(a[0], "modified") != 0) {
            perr(p, "invalid value \"%s\" in \"expires\" directive", a[0]);
            return KT_ERROR;
        }
        modified = 1; /* from the file's Last-Modified */
        v = a[1];
    }
    if (vars_any(v)) { /* valued per response (h5bp: "expires $expires" with a map) */
        if (check_vars(p, v) != KT_OK)
            return KT_ERROR;
        c->expires = EXPIRES_VAR;
        c->expires_var = xstrdup(v);
        return KT_OK;
    }
    if (strcmp(v, "off") == 0) {
        c->expires = EXPIRES_OFF;
        return KT_OK;
    }
    if (strcmp(v, "epoch") == 0) {
        c->expires = EXPIRES_EPOCH;
        return KT_OK;
    }
    if (strcmp(v, "max") == 0) {
        c->expires = EXPIRES_MAX;
        return KT_OK;
    }
    if (*v == '@') { /* a time of day: the next one (local time) */
        if (modified) {
            perr(p, "daily time cannot be used with \"modified\" parameter");
            return KT_ERROR;
        }
        if (value_time(v + 1, &c->expires_time) != KT_OK) {
            perr(p, "invalid value \"%s\" in \"expires\" directive", v);
            return KT_ERROR;
        }
        if (c->expires_time >= 86400) {
            perr(p, "daily time value must be less than 24 hours");
            return KT_ERROR;
        }
        c->expires = EXPIRES_DAILY;
        return KT_OK;
    }
    if (*v == '-' || *v == '+') {
        neg = *v == '-';
        v++;
    }
    if (value_time(v, &c->expires_time) != KT_OK) {
        perr(p, "invalid value \"%s\" in \"expires\" directive", a[0]);
        return KT_ERROR;
    }
    if (neg)
        c->expires_time = -c->expires_time;
    c->expires = modified ? EXPIRES_MODIFIED : EXPIRES_TIME;
    return KT_OK;
}

static int no_variables(struct parser *p, const char *directive, const char *v)
{
    if (strchr(v, '$') != NULL) {
        perr(p, "variables in \"%s\" are not supported by ktlsd", directive);
        return KT_ERROR;
    }
    return KT_OK;
}

static int set_add_header(struct parser *p, const struct directive *d, char **a, int n, void *conf)
{
    struct srv_conf *c = conf;
    (void)d;
    if (n == 3 && strcmp(a[2], "always") != 0) {
        perr(p, "invalid parameter \"%s\" in \"add_header\" directive", a[2]);
        return KT_ERROR;
    }
    if (check_vars(p, a[1]) != KT_OK)
        return KT_ERROR;
    for (const char *q = a[0]; *q; q++)
        if (*q <= ' ' || *q == ':' || *q >= 0x7f) {
            perr(p, "invalid header name \"%s\" in \"add_header\" directive", a[0]);
            return KT_ERROR;
        }
    for (const char *q = a[1]; *q; q++)
        if (*q == '\r' || *q == '\n') {
            perr(p, "invalid header value in \"add_header\" directive");
            return KT_ERROR;
        }
    c->add_headers = xrealloc(c->add_headers, (c->nadd_headers + 1) * sizeof(*c->add_headers));
    c->add_headers[c->nadd_headers++] =
        (struct add_header){xstrdup(a[0]), xstrdup(a[1]), n == 3, NULL};
    c->add_headers_set = 1;
    return KT_OK;
}

static int set_error_page(struct parser *p, const struct directive *d, char **a, int n, void *conf)
{
    struct srv_conf *c = conf;
    const char *uri = a[n - 1];
    int new_code = 0, ncodes = n - 1;
    long v;
    (void)d;
    if (a[n - 2][0] == '=') {
        ncodes--;
        if (a[n - 2][1] != '\0' && (value_long(a[n - 2] + 1, &v) != KT_OK || v < 200 || v > 599)) {
            perr(p, "invalid value \"%s\" in \"error_page\" directive", a[n - 2]);
            return KT_ERROR;
        }
        new_code = a[n - 2][1] ? (int)v : -1; /* "=": the status of the page's own answer */
    }
    if (ncodes < 1 || (uri[0] != '/' && uri[0] != '@' && strncmp(uri, "http://", 7) != 0 &&
                       strncmp(uri, "https://", 8) != 0)) {
        perr(p, "invalid URI \"%s\" in \"error_page\" directive", uri);
        return KT_ERROR;
    }
    if (no_variables(p, "error_page", uri) != KT_OK)
        return KT_ERROR;
    for (int i = 0; i < ncodes; i++) {
        if (value_long(a[i], &v) != KT_OK || v < 300 || v > 599) {
            perr(p, "value \"%s\" must be between 300 and 599", a[i]);
            return KT_ERROR;
        }
        c->error_pages = xrealloc(c->error_pages, (c->nerror_pages + 1) * sizeof(*c->error_pages));
        c->error_pages[c->nerror_pages++] = (struct error_page){(int)v, new_code, xstrdup(uri)};
    }
    c->error_pages_set = 1;
    return KT_OK;
}

static int set_access(struct parser *p, const struct directive *d, char **a, int n, void *conf)
{
    struct srv_conf *c = conf;
    struct access_rule r = {.allow = strcmp(d->name, "allow") == 0};
    char addr[INET6_ADDRSTRLEN + 8], *slash;
    long bits;
    (void)n;
    if (strcmp(a[0], "all") != 0) {
        snprintf(addr, sizeof(addr), "%s", a[0]);
        slash = strchr(addr, '/');
        if (slash != NULL)
            *slash++ = '\0';
        if (inet_pton(AF_INET, addr, r.addr) == 1)
            r.family = AF_INET;
        else if (inet_pton(AF_INET6, addr, r.addr) == 1)
            r.family = AF_INET6;
        else {
            perr(p, "invalid parameter \"%s\"", a[0]);
            return KT_ERROR;
        }
        bits = r.family == AF_INET ? 32 : 128;
        if (slash != NULL &&
            (value_long(slash, &bits) != KT_OK || bits > (r.family == AF_INET ? 32 : 128))) {
            perr(p, "invalid parameter \"%s\"", a[0]);
            return KT_ERROR;
        }
        for (long i = 0; i < bits; i++)
            r.mask[i / 8] |= (unsigned char)(0x80 >> (i % 8));
        for (int i = 0; i < 16; i++)
            r.addr[i] &= r.mask[i];
    }
    c->access = xrealloc(c->access, (c->naccess + 1) * sizeof(*c->access));
    c->access[c->naccess++] = r;
    c->access_set = 1;
    return KT_OK;
}

static int set_on(struct parser *p, const struct directive *d, char **a, int n, void *conf)
{
    (void)p;
    (void)a;
    (void)n;
    *(int *)((char *)conf + d->off) = 1;
    return KT_OK;
}

static int parse_block(struct parser *p, unsigned ctx, void *conf, int file_level);

static void srv_conf_init(struct srv_conf *c)
{
    memset(c, 0, sizeof(*c));
    c->sendfile = c->ktls = c->keepalive_requests = c->ssl_protocols = CONF_UNSET;
    c->ssl_session_cache = CONF_UNSET;
    c->ssl_prefer_server_ciphers = c->ssl_session_tickets = c->tcp_nodelay = c->server_tokens =
        CONF_UNSET;
    c->keepalive_timeout = c->client_header_timeout = c->send_timeout = c->ssl_session_timeout =
        CONF_UNSET;
    c->expires = c->autoindex = c->gzip_static = c->gzip_vary = c->brotli_static = CONF_UNSET;
    c->disable_symlinks = c->etag = c->if_modified_since = c->max_ranges = CONF_UNSET;
    c->open_file_cache.max = c->open_file_cache.min_uses = c->open_file_cache.errors = CONF_UNSET;
    c->open_file_cache.inactive = c->open_file_cache.valid = CONF_UNSET;
    c->client_max_body_size = CONF_UNSET;
    c->large_header_bufs = CONF_UNSET;
    c->large_header_size = CONF_UNSET;
    c->ssl_buffer_size = c->ssl_early_data = c->ssl_stapling = c->ssl_stapling_verify = CONF_UNSET;
    c->ssl_verify_client = c->ssl_verify_depth = c->ktls_zerocopy_sendfile = CONF_UNSET;
    c->limit_rate = c->limit_rate_after = CONF_UNSET;
    c->limit_conn_status = c->limit_req_status = CONF_UNSET;
    c->limit_conn_log_level = c->limit_req_log_level = c->satisfy_any = CONF_UNSET;
    c->limit_conn_dry_run = c->limit_req_dry_run = CONF_UNSET;
    c->gzip = c->gzip_comp_level = c->gzip_proxied = c->gzip_http_version = CONF_UNSET;
    c->brotli = c->brotli_comp_level = CONF_UNSET;
    c->gzip_min_length = c->brotli_min_length = CONF_UNSET;
    c->keepalive_header = CONF_UNSET;
    c->access_log_buffer = CONF_UNSET;
    c->log_not_found = c->autoindex_exact_size = c->autoindex_localtime = c->autoindex_format =
        CONF_UNSET;
    c->http2 = c->http2_max_concurrent_streams = CONF_UNSET;
    c->http2_chunk_size = c->http2_body_preread_size = CONF_UNSET;
    c->http2_idle_timeout = CONF_UNSET;
}

static int block_events(struct parser *p, const struct directive *d, char **a, int n, void *conf)
{
    (void)d;
    (void)a;
    (void)n;
    return parse_block(p, CTX_EVENTS, conf, 0);
}

static int block_http(struct parser *p, const struct directive *d, char **a, int n, void *conf)
{
    struct config *cf = conf;
    (void)d;
    (void)a;
    (void)n;
    if (cf->have_http) {
        perr(p, "\"http\" directive is duplicate");
        return KT_ERROR;
    }
    cf->have_http = 1;
    return parse_block(p, CTX_HTTP, &cf->http, 0);
}

static int block_server(struct parser *p, const struct directive *d, char **a, int n, void *conf)
{
    struct config *cf = p->cf;
    struct server_conf *s = xcalloc(1, sizeof(*s));
    s->dir.fd = -1;
    (void)d;
    (void)a;
    (void)n;
    (void)conf;
    srv_conf_init(&s->c);
    s->file = keep_string(cf, p->file);
    s->line = p->line;
    s->cf = cf;
    cf->servers = xrealloc(cf->servers, (cf->nservers + 1) * sizeof(*cf->servers));
    cf->servers[cf->nservers++] = s;
    return parse_block(p, CTX_SERVER, s, 0);
}

static int block_location(struct parser *p, const struct directive *d, char **a, int n, void *conf)
{
    struct server_conf *s = conf;
    struct location *l = xcalloc(1, sizeof(*l));
    const char *mod = n == 2 ? a[0] : NULL, *pat = a[n - 1];
    (void)d;
    if (n > 2) {
        free(l);
        perr(p, "invalid number of arguments in \"location\" directive");
        return KT_ERROR;
    }
    srv_conf_init(&l->c);
    l->dir.fd = -1;
    l->file = keep_string(p->cf, p->file);
    l->line = p->line;
    l->kind = LOC_PREFIX;
    if (mod == NULL && pat[0] == '=' && pat[1] != '\0') { /* "location =/x" */
        l->kind = LOC_EXACT;
        pat++;
    } else if (mod != NULL) {
        if (strcmp(mod, "=") == 0)
            l->kind = LOC_EXACT;
        else if (strcmp(mod, "^~") == 0)
            l->kind = LOC_PREFIX_NOREGEX;
        else if (strcmp(mod, "~") == 0)
            l->kind = LOC_REGEX;
        else if (strcmp(mod, "~*") == 0)
            l->kind = LOC_REGEX_CASELESS;
        else {
            perr(p, "invalid location modifier \"%s\"", mod);
            goto fail;
        }
    } else if (pat[0] == '@') {
        l->kind = LOC_NAMED;
        l->internal = 1;
    }
    l->pattern = xstrdup(pat);
    l->plen = strlen(pat);
    if (l->kind == LOC_REGEX || l->kind == LOC_REGEX_CASELESS) {
        int errcode;
        PCRE2_SIZE erroff;
        l->re = pcre2_compile((PCRE2_SPTR)pat, PCRE2_ZERO_TERMINATED,
                              l->kind == LOC_REGEX_CASELESS ? PCRE2_CASELESS : 0, &errcode, &erroff,
                              NULL);
        if (l->re == NULL) {
            PCRE2_UCHAR msg[256];
            pcre2_get_error_message(errcode, msg, sizeof(msg));
            perr(p, "pcre2_compile() failed: %s in \"%s\" at \"%s\"", (char *)msg, pat,
                 pat + erroff);
            goto fail;
        }
        l->md = pcre2_match_data_create_from_pattern(l->re, NULL);
        vars_add_captures(l->re);
    } else if (l->kind != LOC_NAMED && pat[0] != '/') {
        perr(p, "location \"%s\" must start with \"/\"", pat);
        goto fail;
    }
    s->locs = xrealloc(s->locs, (s->nlocs + 1) * sizeof(*s->locs));
    s->locs[s->nlocs++] = l;
    return parse_block(p, CTX_LOC, l, 0);
fail:
    free(l->pattern);
    free(l);
    return KT_ERROR;
}

static int block_types(struct parser *p, const struct directive *d, char **a, int n, void *conf)
{
    struct srv_conf *c = conf;
    (void)d;
    (void)a;
    (void)n;
    if (c->types == NULL)
        c->types = mime_table_new();
    c->types_set = 1;
    return parse_block(p, CTX_TYPES, c, 0);
}

/* return, rewrite, set, break: a step of the level's rewrite list. */
static int set_rewrite(struct parser *p, const struct directive *d, char **a, int n, void *conf)
{
    char msg[512];
    if (rewrite_add(conf, d->name, a, n, msg, sizeof(msg)) != KT_OK) {
        perr(p, "%s", msg);
        return KT_ERROR;
    }
    return KT_OK;
}

/* --- compression, content knobs, listen options, logging ----------------- */

/* keepalive_timeout TIMEOUT [HEADER_TIMEOUT]: the second value is sent as
 * "Keep-Alive: timeout=N" (nginx). */
static int set_keepalive_timeout(struct parser *p, const struct directive *d, char **a, int n,
                                 void *conf)
{
    struct srv_conf *c = conf;
    if (set_time(p, d, a, 1, conf) != KT_OK)
        return KT_ERROR;
    if (n == 2 &&
        (value_time(a[1], &c->keepalive_header) != KT_OK || c->keepalive_header > 86400)) {
        perr(p, "invalid time \"%s\" in \"%s\" directive", a[1], d->name);
        return KT_ERROR;
    }
    return KT_OK;
}

/* "if (...) { ... }": its block has settings of its own (nginx's implicit
 * location), merged from the level it is in once that is merged. */
static int block_if(struct parser *p, const struct directive *d, char **a, int n, void *conf)
{
    struct location *l = xcalloc(1, sizeof(*l));
    char msg[512];
    unsigned ctx = p->ctx == CTX_SERVER ? CTX_SIF : CTX_LIF;
    (void)d;
    srv_conf_init(&l->c);
    l->dir.fd = -1;
    l->file = keep_string(p->cf, p->file);
    l->line = p->line;
    if (rewrite_add_if(conf, a, n, l, msg, sizeof(msg)) != KT_OK) {
        free(l);
        perr(p, "%s", msg);
        return KT_ERROR;
    }
    return parse_block(p, ctx, l, 0);
}

/* "map SOURCE $RESULT { ... }" */
static int block_map(struct parser *p, const struct directive *d, char **a, int n, void *conf)
{
    struct config *cf = conf;
    char msg[512];
    struct map_conf *m = map_new(a[0], a[1], msg, sizeof(msg));
    (void)d;
    (void)n;
    if (m == NULL) {
        perr(p, "%s", msg);
        return KT_ERROR;
    }
    cf->maps = xrealloc(cf->maps, (cf->nmaps + 1) * sizeof(*cf->maps));
    cf->maps[cf->nmaps++] = m;
    return parse_block(p, CTX_MAP, m, 0);
}

/* A list directive that may appear once per level (gzip_types, brotli_types,
 * charset_types): a second one in the same block is an error, as nginx's. */
static int set_types_list(struct parser *p, const struct directive *d, char **a, int n, void *conf)
{
    char ***v = (char ***)((char *)conf + d->off);
    if (*v != NULL) {
        perr(p, "\"%s\" directive is duplicate", d->name);
        return KT_ERROR;
    }
    return set_list(p, d, a, n, conf);
}

static int set_gzip_proxied(struct parser *p, const struct directive *d, char **a, int n,
                            void *conf)
{
    static const char *const words[] = {"expired",          "no-cache", "no-store", "private",
                                        "no_last_modified", "no_etag",  "auth",     "any"};
    struct srv_conf *c = conf;
    c->gzip_proxied = 0;
    for (int i = 0; i < n; i++) {
        size_t k;
        if (strcmp(a[i], "off") == 0 && n == 1)
            return KT_OK;
        for (k = 0; k < ARRAY_LEN(words); k++)
            if (strcmp(a[i], words[k]) == 0)
                break;
        if (k == ARRAY_LEN(words)) {
            perr(p, "invalid value \"%s\" in \"%s\" directive", a[i], d->name);
            return KT_ERROR;
        }
        c->gzip_proxied |= 1 << k;
    }
    return KT_OK;
}

/* gzip_disable REGEX ... | msie6: checked here, compiled once merged. */
static int set_gzip_disable(struct parser *p, const struct directive *d, char **a, int n,
                            void *conf)
{
    for (int i = 0; i < n; i++) {
        int rc;
        PCRE2_SIZE off;
        pcre2_code *re;
        if (strcmp(a[i], "msie6") == 0 || strcmp(a[i], "degradation") == 0) {
            if (a[i][0] == 'd') {
                perr(p, "\"degradation\" in \"gzip_disable\" is not supported by ktlsd");
                return KT_ERROR;
            }
            continue;
        }
        re =
            pcre2_compile((PCRE2_SPTR)a[i], PCRE2_ZERO_TERMINATED, PCRE2_CASELESS, &rc, &off, NULL);
        if (re == NULL) {
            PCRE2_UCHAR msg[128];
            pcre2_get_error_message(rc, msg, sizeof(msg));
            perr(p, "pcre2_compile() failed: %s in \"%s\" at \"%s\"", (char *)msg, a[i],
                 a[i] + off);
            return KT_ERROR;
        }
        pcre2_code_free(re);
    }
    return set_list(p, d, a, n, conf);
}

static int set_gzip_http_version(struct parser *p, const struct directive *d, char **a, int n,
                                 void *conf)
{
    struct srv_conf *c = conf;
    (void)n;
    if (strcmp(a[0], "1.0") != 0 && strcmp(a[0], "1.1") != 0) {
        perr(p, "invalid value \"%s\" in \"%s\" directive", a[0], d->name);
        return KT_ERROR;
    }
    c->gzip_http_version = a[0][2] == '0' ? 10 : 11;
    return KT_OK;
}

/* gzip_buffers NUMBER SIZE: checked, no effect (ktlsd compresses a file in
 * one piece into its cache; nginx's buffers bound streaming compression). */
static int set_gzip_buffers(struct parser *p, const struct directive *d, char **a, int n,
                            void *conf)
{
    long num;
    long long size;
    (void)n;
    (void)conf;
    if (value_long(a[0], &num) != KT_OK || num < 1 || value_size(a[1], &size) != KT_OK ||
        size < 1) {
        perr(p, "invalid value \"%s %s\" in \"%s\" directive", a[0], a[1], d->name);
        return KT_ERROR;
    }
    return KT_OK;
}

/* source_charset: ktlsd does not recode; a source charset other than the
 * charset would make nginx recode, so that case is refused. */
static int set_source_charset(struct parser *p, const struct directive *d, char **a, int n,
                              void *conf)
{
    struct srv_conf *c = conf;
    (void)d;
    (void)n;
    if (c->charset != NULL && strcmp(c->charset, "off") != 0 && strcasecmp(c->charset, a[0]) != 0) {
        perr(p, "\"source_charset %s\" differs from \"charset %s\": ktlsd does not recode", a[0],
             c->charset);
        return KT_ERROR;
    }
    return KT_OK;
}

static int set_autoindex_format(struct parser *p, const struct directive *d, char **a, int n,
                                void *conf)
{
    static const char *const words[] = {"html", "json", "xml", NULL};
    return set_keyword(p, d, a, n, conf, words);
}

/* Directives that tune nginx internals this design does not have: checked
 * for their argument count only (the table), no effect; the reason is in
 * the README's directive table. */
static int set_noop_size(struct parser *p, const struct directive *d, char **a, int n, void *conf)
{
    long long v;
    (void)n;
    (void)conf;
    if (value_size(a[0], &v) != KT_OK) {
        perr(p, "invalid value \"%s\" in \"%s\" directive", a[0], d->name);
        return KT_ERROR;
    }
    return KT_OK;
}

static int set_noop_flag(struct parser *p, const struct directive *d, char **a, int n, void *conf)
{
    int v; /* the row's offset is 0 */
    (void)conf;
    return set_flag(p, d, a, n, &v);
}

/* resolver ADDRESS ... [valid=T] [ipv6=on|off] [status_zone=Z] and
 * resolver_timeout T: nginx resolves names for OCSP responders (and
 * upstreams). ktlsd makes no outgoing connection at all (stapled responses
 * come from ssl_stapling_file), so there is nothing to resolve: the values
 * are checked and have no effect (a [warn] says so at -t). */
static int set_resolver(struct parser *p, const struct directive *d, char **a, int n, void *conf)
{
    double t;
    (void)conf;
    for (int i = 0; i < n; i++)
        if (strncmp(a[i], "valid=", 6) == 0 && value_time(a[i] + 6, &t) != KT_OK) {
            perr(p, "invalid parameter \"%s\" in \"%s\" directive", a[i], d->name);
            return KT_ERROR;
        }
    pwarn(p,
          "\"%s\" has no effect: ktlsd makes no outgoing connections (OCSP responses come "
          "from ssl_stapling_file)",
          d->name);
    return KT_OK;
}

static int set_resolver_timeout(struct parser *p, const struct directive *d, char **a, int n,
                                void *conf)
{
    double t;
    (void)n;
    (void)conf;
    if (value_time(a[0], &t) != KT_OK) {
        perr(p, "invalid time \"%s\" in \"%s\" directive", a[0], d->name);
        return KT_ERROR;
    }
    return KT_OK;
}

/* tcp_nopush: ktlsd already writes a response's head and first body bytes
 * together (one TLS record or one writev), which is what TCP_CORK buys
 * nginx; the flag is checked and has no further effect. */
static int set_tcp_nopush(struct parser *p, const struct directive *d, char **a, int n, void *conf)
{
    return set_noop_flag(p, d, a, n, conf);
}

/* accept_mutex: ktlsd has none; "on" (nginx's default before 1.11.3)
 * would make nginx's workers take turns accepting, so -t says so. */
static int set_accept_mutex(struct parser *p, const struct directive *d, char **a, int n,
                            void *conf)
{
    if (set_noop_flag(p, d, a, n, conf) != KT_OK)
        return KT_ERROR;
    if (strcmp(a[0], "on") == 0)
        log_error(LL_NOTICE, NULL,
                  "%s:%d: \"accept_mutex on\" has no effect: ktlsd workers accept as the "
                  "kernel wakes them (\"listen ... reuseport\" spreads connections)",
                  p->file, p->line);
    return KT_OK;
}

/* use epoll: the only event method ktlsd has (libev picks epoll on Linux). */
static int set_use(struct parser *p, const struct directive *d, char **a, int n, void *conf)
{
    (void)d;
    (void)n;
    (void)conf;
    if (strcmp(a[0], "epoll") != 0) {
        perr(p, "invalid event type \"%s\": ktlsd uses epoll", a[0]);
        return KT_ERROR;
    }
    return KT_OK;
}

/* load_module: ktlsd has no dynamic modules; a warning, and a directive of
 * such a module still fails as unknown. */
static int set_load_module(struct parser *p, const struct directive *d, char **a, int n, void *conf)
{
    (void)d;
    (void)n;
    (void)conf;
    log_error(LL_WARN, NULL, "%s:%d: \"load_module %s\" is ignored: ktlsd has no dynamic modules",
              p->file, p->line, a[0]);
    return KT_OK;
}

static int set_rlimit_nofile(struct parser *p, const struct directive *d, char **a, int n,
                             void *conf)
{
    struct config *cf = conf;
    long v;
    (void)n;
    if (value_long(a[0], &v) != KT_OK || v < 1 || v > (1L << 30)) {
        perr(p, "invalid value \"%s\" in \"%s\" directive", a[0], d->name);
        return KT_ERROR;
    }
    cf->worker_rlimit_nofile = v;
    return KT_OK;
}

/* worker_cpu_affinity auto [MASK] | MASK ...: masks of '0' and '1'. */
static int set_cpu_affinity(struct parser *p, const struct directive *d, char **a, int n,
                            void *conf)
{
    struct config *cf = conf;
    size_t len = 0;
    for (int i = 0; i < n; i++) {
        if (i == 0 && strcmp(a[i], "auto") == 0)
            continue;
        if (a[i][0] == '\0' || strspn(a[i], "01") != strlen(a[i]) || strlen(a[i]) > 64) {
            perr(p, "invalid character \"%c\" in \"%s\" directive", a[i][strspn(a[i], "01")],
                 d->name);
            return KT_ERROR;
        }
    }
    if (cf->worker_cpu_affinity != NULL) {
        perr(p, "\"%s\" directive is duplicate", d->name);
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

/* open_log_file_cache: ktlsd opens each access log once per configuration
 * (no variables in log paths), so there is nothing to cache. */
static int set_open_log_file_cache(struct parser *p, const struct directive *d, char **a, int n,
                                   void *conf)
{
    (void)conf;
    if (n == 1 && strcmp(a[0], "off") == 0)
        return KT_OK;
    for (int i = 0; i < n; i++)
        if (strncmp(a[i], "max=", 4) != 0 && strncmp(a[i], "inactive=", 9) != 0 &&
            strncmp(a[i], "min_uses=", 9) != 0 && strncmp(a[i], "valid=", 6) != 0) {
            perr(p, "invalid parameter \"%s\" in \"%s\" directive", a[i], d->name);
            return KT_ERROR;
        }
    return KT_OK;
}

#define SRV(field) TARGET_SRV, 0, 0, NULL, offsetof(struct srv_conf, field)
#define HS (CTX_HTTP | CTX_SERVER)
#define HSL (CTX_HTTP | CTX_SERVER | CTX_LOC)
#define BLOCK -2
#define RW_CTX (CTX_SERVER | CTX_LOC | CTX_SIF | CTX_LIF)

/* The directive table. amin/amax count arguments after the name; amax BLOCK
 * marks a block directive ("name {"). */
/* --- limits and access: limit_rate, limit_conn, limit_req, auth_basic, satisfy --- */

/* A zone by name: the one defined, or a placeholder made by its first use
 * (nginx lets a limit_req name a zone defined further down). */
static struct limit_zone *zone_get(struct parser *p, const char *name, int kind)
{
    struct config *cf = p->cf;
    struct limit_zone *z;
    for (size_t i = 0; i < cf->nzones; i++)
        if (strcmp(cf->zones[i]->name, name) == 0)
            return cf->zones[i];
    z = xcalloc(1, sizeof(*z));
    z->name = xstrdup(name);
    z->kind = kind;
    z->file = keep_string(cf, p->file);
    z->line = p->line;
    cf->zones = xrealloc(cf->zones, (cf->nzones + 1) * sizeof(*cf->zones));
    cf->zones[cf->nzones++] = z;
    return z;
}

static const char *zone_directive(int kind)
{
    return kind == LIMIT_CONN ? "limit_conn_zone" : "limit_req_zone";
}

/* limit_conn_zone KEY zone=NAME:SIZE; limit_req_zone KEY zone=NAME:SIZE
 * rate=Nr/s|Nr/m. The key is $binary_remote_addr or any value of known
 * variables ($remote_addr, $server_name, $host...); one without variables
 * is a single key for everyone, as in nginx. */
static int set_limit_zone(struct parser *p, const struct directive *d, char **a, int n, void *conf)
{
    int kind = strcmp(d->name, "limit_conn_zone") == 0 ? LIMIT_CONN : LIMIT_REQ;
    char name[128] = "", err[256];
    long long size = 0;
    long rate = 0;
    struct limit_zone *z;
    (void)conf;
    if (strcmp(a[0], "$binary_remote_addr") != 0 && check_vars(p, a[0]) != KT_OK)
        return KT_ERROR;
    for (int i = 1; i < n; i++) {
        if (strncmp(a[i], "zone=", 5) == 0) {
            const char *colon = strrchr(a[i] + 5, ':');
            size_t len = colon != NULL ? (size_t)(colon - a[i] - 5) : 0;
            if (colon == NULL || len == 0 || len >= sizeof(name) ||
                value_size(colon + 1, &size) != KT_OK) {
                perr(p, "invalid zone size \"%s\"", a[i] + 5);
                return KT_ERROR;
            }
            memcpy(name, a[i] + 5, len);
            name[len] = '\0';
            if (size < 8 * 4096) {
                perr(p, "zone \"%s\" is too small", name);
                return KT_ERROR;
            }
        } else if (kind == LIMIT_REQ && strncmp(a[i], "rate=", 5) == 0) {
            char *end;
            long v = strtol(a[i] + 5, &end, 10);
            if (end == a[i] + 5 || v <= 0 || v > 1000000 ||
                (strcmp(end, "r/s") != 0 && strcmp(end, "r/m") != 0)) {
                perr(p, "invalid rate \"%s\"", a[i]);
                return KT_ERROR;
            }
            rate = strcmp(end, "r/s") == 0 ? v * 1000 : v * 1000 / 60;
            if (rate == 0)
                rate = 1;
        } else if (kind == LIMIT_REQ && strcmp(a[i], "sync") == 0) {
            perr(p, "\"sync\" in \"limit_req_zone\" is not supported by ktlsd (nginx Plus "
                    "only)");
            return KT_ERROR;
        } else {
            perr(p, "invalid parameter \"%s\"", a[i]);
            return KT_ERROR;
        }
    }
    if (name[0] == '\0') {
        perr(p, "\"%s\" must have \"zone\" parameter", d->name);
        return KT_ERROR;
    }
    if (kind == LIMIT_REQ && rate == 0) {
        perr(p, "\"limit_req_zone\" must have \"rate\" parameter");
        return KT_ERROR;
    }
    z = zone_get(p, name, kind);
    if (z->size != 0) {
        perr(p, "duplicate zone \"%s\"", name);
        return KT_ERROR;
    }
    if (z->kind != kind) {
        perr(p, "zone \"%s\" is used by \"%s\" and cannot be a \"%s\"", name,
             kind == LIMIT_CONN ? "limit_req" : "limit_conn", d->name);
        return KT_ERROR;
    }
    z->binary_addr = strcmp(a[0], "$binary_remote_addr") == 0;
    if (!z->binary_addr && (z->key = vars_compile(a[0], err, sizeof(err))) == NULL) {
        perr(p, "%s", err);
        return KT_ERROR;
    }
    z->key_text = xstrdup(a[0]);
    z->size = (size_t)size;
    z->rate = rate;
    z->file = keep_string(p->cf, p->file);
    z->line = p->line;
    return KT_OK;
}

static int add_limit_use(struct parser *p, struct srv_conf *c, int kind, struct limit_use u)
{
    struct limit_use **list = kind == LIMIT_CONN ? &c->limit_conns : &c->limit_reqs;
    size_t *count = kind == LIMIT_CONN ? &c->nlimit_conns : &c->nlimit_reqs;
    for (size_t i = 0; i < *count; i++)
        if ((*list)[i].zone == u.zone) {
            perr(p, "\"%s\" directive is duplicate",
                 kind == LIMIT_CONN ? "limit_conn" : "limit_req");
            return KT_ERROR;
        }
    if (kind == LIMIT_CONN && *count >= LIMIT_HOLD_MAX) {
        perr(p, "more than %d \"limit_conn\" in one block", LIMIT_HOLD_MAX);
        return KT_ERROR;
    }
    if (u.zone->kind != kind) {
        perr(p, "zone \"%s\" is a \"%s\", not a \"%s\"", u.zone->name, zone_directive(u.zone->kind),
             zone_directive(kind));
        return KT_ERROR;
    }
    *list = xrealloc(*list, (*count + 1) * sizeof(**list));
    (*list)[(*count)++] = u;
    if (kind == LIMIT_CONN)
        c->limit_conns_set = 1;
    else
        c->limit_reqs_set = 1;
    return KT_OK;
}

/* limit_conn ZONE NUMBER */
static int set_limit_conn(struct parser *p, const struct directive *d, char **a, int n, void *conf)
{
    long v;
    (void)d;
    (void)n;
    if (value_long(a[1], &v) != KT_OK || v < 1 || v > 65535) {
        perr(p, "invalid number of connections \"%s\"", a[1]);
        return KT_ERROR;
    }
    return add_limit_use(p, conf, LIMIT_CONN,
                         (struct limit_use){zone_get(p, a[0], LIMIT_CONN), v, 0, 0});
}

/* limit_req zone=NAME [burst=N] [nodelay | delay=N] */
static int set_limit_req(struct parser *p, const struct directive *d, char **a, int n, void *conf)
{
    struct limit_use u = {0};
    long v;
    (void)d;
    for (int i = 0; i < n; i++) {
        if (strncmp(a[i], "zone=", 5) == 0 && a[i][5] != '\0')
            u.zone = zone_get(p, a[i] + 5, LIMIT_REQ);
        else if (strncmp(a[i], "burst=", 6) == 0) {
            if (value_long(a[i] + 6, &v) != KT_OK || v > 1000000) {
                perr(p, "invalid burst value \"%s\"", a[i]);
                return KT_ERROR;
            }
            u.burst = v * 1000;
        } else if (strncmp(a[i], "delay=", 6) == 0) {
            if (value_long(a[i] + 6, &v) != KT_OK || v > 1000000) {
                perr(p, "invalid delay value \"%s\"", a[i]);
                return KT_ERROR;
            }
            u.delay = v * 1000;
        } else if (strcmp(a[i], "nodelay") == 0)
            u.delay = LONG_MAX;
        else {
            perr(p, "invalid parameter \"%s\"", a[i]);
            return KT_ERROR;
        }
    }
    if (u.zone == NULL) {
        perr(p, "\"limit_req\" must have \"zone\" parameter");
        return KT_ERROR;
    }
    return add_limit_use(p, conf, LIMIT_REQ, u);
}

/* limit_rate and limit_rate_after: a size; nginx 1.17 takes variables
 * there, ktlsd does not. */
static int set_limit_size(struct parser *p, const struct directive *d, char **a, int n, void *conf)
{
    if (no_variables(p, d->name, a[0]) != KT_OK)
        return KT_ERROR;
    return set_size(p, d, a, n, conf);
}

static int set_limit_level(struct parser *p, const struct directive *d, char **a, int n, void *conf)
{
    static const char *const words[] = {"info", "notice", "warn", "error", NULL};
    static const int levels[] = {LL_INFO, LL_NOTICE, LL_WARN, LL_ERR};
    int *v = (int *)((char *)conf + d->off);
    if (set_keyword(p, d, a, n, conf, words) != KT_OK)
        return KT_ERROR;
    *v = levels[*v];
    return KT_OK;
}

/* auth_basic REALM | off; auth_basic_user_file FILE: literal (nginx
 * expands variables in both; ktlsd refuses them). */
static int set_auth_str(struct parser *p, const struct directive *d, char **a, int n, void *conf)
{
    char **v = (char **)((char *)conf + d->off);
    (void)n;
    if (no_variables(p, d->name, a[0]) != KT_OK)
        return KT_ERROR;
    for (const char *s = a[0]; *s; s++)
        if ((unsigned char)*s < 0x20 || *s == 0x7f ||
            (*s == '"' && strcmp(d->name, "auth_basic") == 0)) {
            perr(p, "invalid character in \"%s\" directive", d->name);
            return KT_ERROR;
        }
    if (*v != NULL) {
        perr(p, "\"%s\" directive is duplicate", d->name);
        return KT_ERROR;
    }
    *v = xstrdup(a[0]);
    return KT_OK;
}

static int set_satisfy(struct parser *p, const struct directive *d, char **a, int n, void *conf)
{
    static const char *const words[] = {"all", "any", NULL};
    return set_keyword(p, d, a, n, conf, words);
}

static const struct directive directives[] = {
    {"worker_processes", CTX_MAIN, TARGET_MAIN, 1, 1, set_worker_processes,
     offsetof(struct config, worker_processes), 1, 1024},
    {"error_log", CTX_MAIN | HSL, TARGET_SRV, 1, 2, set_error_log, 0, 0, 0},
    {"pid", CTX_MAIN, TARGET_MAIN, 1, 1, set_str, offsetof(struct config, pid_file), 0, 0},
    {"user", CTX_MAIN, TARGET_MAIN, 1, 2, set_user, 0, 0, 0},
    {"events", CTX_MAIN, TARGET_MAIN, 0, BLOCK, block_events, 0, 0, 0},
    {"http", CTX_MAIN, TARGET_MAIN, 0, BLOCK, block_http, 0, 0, 0},
    {"worker_shutdown_timeout", CTX_MAIN, TARGET_MAIN, 1, 1, set_time,
     offsetof(struct config, worker_shutdown_timeout), 0, 86400},
    {"worker_connections", CTX_EVENTS, TARGET_MAIN, 1, 1, set_num,
     offsetof(struct config, worker_connections), 1, 1 << 20},
    {"server", CTX_HTTP, TARGET_MAIN, 0, BLOCK, block_server, 0, 0, 0},
    {"log_format", CTX_HTTP, TARGET_MAIN, 2, -1, set_log_format, 0, 0, 0},
    {"access_log", HSL, TARGET_SRV, 1, 6, set_access_log, 0, 0, 0},
    {"sendfile", HSL, TARGET_SRV, 1, 1, set_flag, offsetof(struct srv_conf, sendfile), 0, 0},
    {"ktls", HS, TARGET_SRV, 1, 1, set_flag, offsetof(struct srv_conf, ktls), 0, 0},
    {"tcp_nodelay", HSL, TARGET_SRV, 1, 1, set_flag, offsetof(struct srv_conf, tcp_nodelay), 0, 0},
    {"server_tokens", HSL, TARGET_SRV, 1, 1, set_flag, offsetof(struct srv_conf, server_tokens), 0,
     0},
    {"keepalive_timeout", HSL, TARGET_SRV, 1, 2, set_keepalive_timeout,
     offsetof(struct srv_conf, keepalive_timeout), 0, 86400},
    {"keepalive_requests", HSL, TARGET_SRV, 1, 1, set_num,
     offsetof(struct srv_conf, keepalive_requests), 0, INT_MAX},
    {"client_header_timeout", HS, TARGET_SRV, 1, 1, set_time,
     offsetof(struct srv_conf, client_header_timeout), 0, 86400},
    {"send_timeout", HSL, TARGET_SRV, 1, 1, set_time, offsetof(struct srv_conf, send_timeout), 0,
     86400},
    {"root", HSL | CTX_LIF, TARGET_SRV, 1, 1, set_dir, offsetof(struct srv_conf, root), 0, 0},
    {"index", HSL, TARGET_SRV, 1, -1, set_index, offsetof(struct srv_conf, index), 0, 0},
    {"default_type", HSL, TARGET_SRV, 1, 1, set_str, offsetof(struct srv_conf, default_type), 0, 0},
    {"ssl_certificate", HS, TARGET_SRV, 1, 1, set_path_list,
     offsetof(struct srv_conf, ssl_certificate), 0, 0},
    {"ssl_certificate_key", HS, TARGET_SRV, 1, 1, set_path_list,
     offsetof(struct srv_conf, ssl_certificate_key), 0, 0},
    {"ssl_password_file", HS, TARGET_SRV, 1, 1, set_str,
     offsetof(struct srv_conf, ssl_password_file), 0, 0},
    {"ssl_dhparam", HS, TARGET_SRV, 1, 1, set_str, offsetof(struct srv_conf, ssl_dhparam), 0, 0},
    {"ssl_ecdh_curve", HS, TARGET_SRV, 1, 1, set_str, offsetof(struct srv_conf, ssl_ecdh_curve), 0,
     0},
    {"ssl_buffer_size", HS, TARGET_SRV, 1, 1, set_ssl_buffer_size, 0, 0, 0},
    {"ssl_early_data", HS, TARGET_SRV, 1, 1, set_ssl_early_data,
     offsetof(struct srv_conf, ssl_early_data), 0, 0},
    {"ssl_stapling", HS, TARGET_SRV, 1, 1, set_flag, offsetof(struct srv_conf, ssl_stapling), 0, 0},
    {"ssl_stapling_file", HS, TARGET_SRV, 1, 1, set_str,
     offsetof(struct srv_conf, ssl_stapling_file), 0, 0},
    {"ssl_stapling_verify", HS, TARGET_SRV, 1, 1, set_flag,
     offsetof(struct srv_conf, ssl_stapling_verify), 0, 0},
    {"ssl_trusted_certificate", HS, TARGET_SRV, 1, 1, set_str,
     offsetof(struct srv_conf, ssl_trusted_certificate), 0, 0},
    {"ssl_client_certificate", HS, TARGET_SRV, 1, 1, set_str,
     offsetof(struct srv_conf, ssl_client_certificate), 0, 0},
    {"ssl_verify_client", HS, TARGET_SRV, 1, 1, set_verify_client,
     offsetof(struct srv_conf, ssl_verify_client), 0, 0},
    {"ssl_verify_depth", HS, TARGET_SRV, 1, 1, set_num, offsetof(struct srv_conf, ssl_verify_depth),
     0, 100},
    {"ktls_zerocopy_sendfile", HS, TARGET_SRV, 1, 1, set_flag,
     offsetof(struct srv_conf, ktls_zerocopy_sendfile), 0, 0},
    {"ssl_protocols", HS, TARGET_SRV, 1, 6, set_ssl_protocols, 0, 0, 0},
    {"ssl_ciphers", HS, TARGET_SRV, 1, 1, set_str, offsetof(struct srv_conf, ssl_ciphers), 0, 0},
    {"ssl_conf_command", HS, TARGET_SRV, 2, 2, set_ssl_conf_command, 0, 0, 0},
    {"ssl_prefer_server_ciphers", HS, TARGET_SRV, 1, 1, set_flag,
     offsetof(struct srv_conf, ssl_prefer_server_ciphers), 0, 0},
    {"ssl_session_tickets", HS, TARGET_SRV, 1, 1, set_flag,
     offsetof(struct srv_conf, ssl_session_tickets), 0, 0},
    {"ssl_session_cache", HS, TARGET_SRV, 1, 2, set_ssl_session_cache, 0, 0, 0},
    {"ssl_session_ticket_key", HS, TARGET_SRV, 1, 1, set_list,
     offsetof(struct srv_conf, ssl_ticket_keys), 0, 0},
    {"ssl_session_timeout", HS, TARGET_SRV, 1, 1, set_time,
     offsetof(struct srv_conf, ssl_session_timeout), 0, 86400 * 7},
    {"listen", CTX_SERVER, TARGET_SERVER, 1, 16, set_listen, 0, 0, 0},
    {"http2", HS, TARGET_SRV, 1, 1, set_flag, offsetof(struct srv_conf, http2), 0, 0},
    {"http2_max_concurrent_streams", HS, TARGET_SRV, 1, 1, set_num,
     offsetof(struct srv_conf, http2_max_concurrent_streams), 1, 65536},
    {"http2_chunk_size", HS | CTX_LOC, TARGET_SRV, 1, 1, set_http2_chunk_size,
     offsetof(struct srv_conf, http2_chunk_size), 0, 0},
    {"http2_body_preread_size", HS, TARGET_SRV, 1, 1, set_size,
     offsetof(struct srv_conf, http2_body_preread_size), 0, 0},
    {"http2_idle_timeout", HS, TARGET_SRV, 1, 1, set_time,
     offsetof(struct srv_conf, http2_idle_timeout), 0, 86400},
    {"server_name", CTX_SERVER, TARGET_SERVER, 1, -1, set_server_name,
     offsetof(struct server_conf, names), 0, 0},
    {"location", CTX_SERVER, TARGET_SERVER, 1, BLOCK, block_location, 0, 0, 0},
    {"types", HSL, TARGET_SRV, 0, BLOCK, block_types, 0, 0, 0},
    {"alias", CTX_LOC, TARGET_SRV, 1, 1, set_dir, offsetof(struct srv_conf, alias), 0, 0},
    {"internal", CTX_LOC, TARGET_LOC, 0, 0, set_on, offsetof(struct location, internal), 0, 0},
    {"try_files", CTX_SERVER | CTX_LOC, TARGET_SRV, 2, -1, set_try_files,
     offsetof(struct srv_conf, try_files), 0, 0},
    {"expires", HSL | CTX_LIF, TARGET_SRV, 1, 2, set_expires, 0, 0, 0},
    {"add_header", HSL | CTX_LIF, TARGET_SRV, 2, 3, set_add_header, 0, 0, 0},
    {"autoindex", HSL, TARGET_SRV, 1, 1, set_flag, offsetof(struct srv_conf, autoindex), 0, 0},
    {"error_page", HSL, TARGET_SRV, 2, 32, set_error_page, 0, 0, 0},
    {"gzip_static", HSL, TARGET_SRV, 1, 1, set_static, offsetof(struct srv_conf, gzip_static), 0,
     0},
    {"gzip_vary", HSL, TARGET_SRV, 1, 1, set_flag, offsetof(struct srv_conf, gzip_vary), 0, 0},
    {"brotli_static", HSL, TARGET_SRV, 1, 1, set_static, offsetof(struct srv_conf, brotli_static),
     0, 0},
    {"client_max_body_size", HSL, TARGET_SRV, 1, 1, set_size,
     offsetof(struct srv_conf, client_max_body_size), 0, 0},
    {"large_client_header_buffers", HS, TARGET_SRV, 2, 2, set_large_header_buffers, 0, 0, 0},
    {"disable_symlinks", HSL, TARGET_SRV, 1, 2, set_symlinks,
     offsetof(struct srv_conf, disable_symlinks), 0, 0},
    {"etag", HSL, TARGET_SRV, 1, 1, set_flag, offsetof(struct srv_conf, etag), 0, 0},
    {"if_modified_since", HSL, TARGET_SRV, 1, 1, set_ims,
     offsetof(struct srv_conf, if_modified_since), 0, 0},
    {"max_ranges", HSL, TARGET_SRV, 1, 1, set_num, offsetof(struct srv_conf, max_ranges), 0,
     INT_MAX},
    {"open_file_cache", HSL, TARGET_SRV, 1, 2, set_open_file_cache,
     offsetof(struct srv_conf, open_file_cache), 0, 0},
    {"open_file_cache_valid", HSL, TARGET_SRV, 1, 1, set_time,
     offsetof(struct srv_conf, open_file_cache.valid), 0, 86400},
    {"open_file_cache_min_uses", HSL, TARGET_SRV, 1, 1, set_num,
     offsetof(struct srv_conf, open_file_cache.min_uses), 1, INT_MAX},
    {"open_file_cache_errors", HSL, TARGET_SRV, 1, 1, set_flag,
     offsetof(struct srv_conf, open_file_cache.errors), 0, 0},
    {"ktlsd_status", CTX_LOC, TARGET_SRV, 0, 0, set_on, offsetof(struct srv_conf, status_page), 0,
     0},
    {"status_zone", CTX_SERVER, TARGET_SERVER, 1, 1, set_str,
     offsetof(struct server_conf, status_zone), 0, 0},
    {"allow", HSL, TARGET_SRV, 1, 1, set_access, 0, 0, 0},
    {"deny", HSL, TARGET_SRV, 1, 1, set_access, 0, 0, 0},
    /* rewrite module: map, if, set, rewrite, break */
    {"map", CTX_HTTP, TARGET_MAIN, 2, BLOCK, block_map, 0, 0, 0},
    {"if", CTX_SERVER | CTX_LOC, TARGET_SRV, 1, BLOCK, block_if, 0, 0, 0},
    {"set", RW_CTX, TARGET_SRV, 2, 2, set_rewrite, 0, 0, 0},
    {"rewrite", RW_CTX, TARGET_SRV, 2, 3, set_rewrite, 0, 0, 0},
    {"break", RW_CTX, TARGET_SRV, 0, 0, set_rewrite, 0, 0, 0},
    {"return", RW_CTX, TARGET_SRV, 1, 2, set_rewrite, 0, 0, 0},
    /* limits and access: limit_rate, limit_conn, limit_req, auth_basic, satisfy */
    {"limit_rate", HSL, TARGET_SRV, 1, 1, set_limit_size, offsetof(struct srv_conf, limit_rate), 0,
     0},
    {"limit_rate_after", HSL, TARGET_SRV, 1, 1, set_limit_size,
     offsetof(struct srv_conf, limit_rate_after), 0, 0},
    {"limit_conn_zone", CTX_HTTP, TARGET_MAIN, 2, 2, set_limit_zone, 0, 0, 0},
    {"limit_conn", HSL, TARGET_SRV, 2, 2, set_limit_conn, 0, 0, 0},
    {"limit_conn_status", HSL, TARGET_SRV, 1, 1, set_num,
     offsetof(struct srv_conf, limit_conn_status), 400, 599},
    {"limit_conn_log_level", HSL, TARGET_SRV, 1, 1, set_limit_level,
     offsetof(struct srv_conf, limit_conn_log_level), 0, 0},
    {"limit_req_zone", CTX_HTTP, TARGET_MAIN, 3, 4, set_limit_zone, 0, 0, 0},
    {"limit_req", HSL, TARGET_SRV, 1, 3, set_limit_req, 0, 0, 0},
    {"limit_req_status", HSL, TARGET_SRV, 1, 1, set_num,
     offsetof(struct srv_conf, limit_req_status), 400, 599},
    {"limit_req_log_level", HSL, TARGET_SRV, 1, 1, set_limit_level,
     offsetof(struct srv_conf, limit_req_log_level), 0, 0},
    {"limit_conn_dry_run", HSL, TARGET_SRV, 1, 1, set_flag,
     offsetof(struct srv_conf, limit_conn_dry_run), 0, 0},
    {"limit_req_dry_run", HSL, TARGET_SRV, 1, 1, set_flag,
     offsetof(struct srv_conf, limit_req_dry_run), 0, 0},
    {"auth_basic", HSL, TARGET_SRV, 1, 1, set_auth_str, offsetof(struct srv_conf, auth_basic), 0,
     0},
    {"auth_basic_user_file", HSL, TARGET_SRV, 1, 1, set_auth_str,
     offsetof(struct srv_conf, auth_basic_user_file), 0, 0},
    {"satisfy", HSL, TARGET_SRV, 1, 1, set_satisfy, offsetof(struct srv_conf, satisfy_any), 0, 0},
    /* compression, content knobs, listen options, logging */
    {"gzip", HSL, TARGET_SRV, 1, 1, set_flag, offsetof(struct srv_conf, gzip), 0, 0},
    {"gzip_types", HSL, TARGET_SRV, 1, -1, set_types_list, offsetof(struct srv_conf, gzip_types), 0,
     0},
    {"gzip_comp_level", HSL, TARGET_SRV, 1, 1, set_num, offsetof(struct srv_conf, gzip_comp_level),
     1, 9},
    {"gzip_min_length", HSL, TARGET_SRV, 1, 1, set_size, offsetof(struct srv_conf, gzip_min_length),
     0, 0},
    {"gzip_proxied", HSL, TARGET_SRV, 1, 9, set_gzip_proxied, 0, 0, 0},
    {"gzip_disable", HSL, TARGET_SRV, 1, -1, set_gzip_disable,
     offsetof(struct srv_conf, gzip_disable), 0, 0},
    {"gzip_http_version", HSL, TARGET_SRV, 1, 1, set_gzip_http_version, 0, 0, 0},
    {"gzip_buffers", HSL, TARGET_SRV, 2, 2, set_gzip_buffers, 0, 0, 0},
    {"brotli", HSL, TARGET_SRV, 1, 1, set_flag, offsetof(struct srv_conf, brotli), 0, 0},
    {"brotli_types", HSL, TARGET_SRV, 1, -1, set_types_list,
     offsetof(struct srv_conf, brotli_types), 0, 0},
    {"brotli_comp_level", HSL, TARGET_SRV, 1, 1, set_num,
     offsetof(struct srv_conf, brotli_comp_level), 0, 11},
    {"brotli_min_length", HSL, TARGET_SRV, 1, 1, set_size,
     offsetof(struct srv_conf, brotli_min_length), 0, 0},
    {"compress_cache_size", CTX_HTTP, TARGET_MAIN, 1, 1, set_size,
     offsetof(struct config, compress_cache_size), 0, 0},
    {"charset", HSL, TARGET_SRV, 1, 1, set_str, offsetof(struct srv_conf, charset), 0, 0},
    {"charset_types", HSL, TARGET_SRV, 1, -1, set_types_list,
     offsetof(struct srv_conf, charset_types), 0, 0},
    {"source_charset", HSL, TARGET_SRV, 1, 1, set_source_charset, 0, 0, 0},
    {"tcp_nopush", HSL, TARGET_SRV, 1, 1, set_tcp_nopush, 0, 0, 0},
    {"resolver", HSL, TARGET_SRV, 1, -1, set_resolver, 0, 0, 0},
    {"resolver_timeout", HSL, TARGET_SRV, 1, 1, set_resolver_timeout, 0, 0, 0},
    {"types_hash_max_size", HSL, TARGET_SRV, 1, 1, set_noop_size, 0, 0, 0},
    {"types_hash_bucket_size", HSL, TARGET_SRV, 1, 1, set_noop_size, 0, 0, 0},
    {"server_names_hash_max_size", CTX_HTTP, TARGET_MAIN, 1, 1, set_noop_size, 0, 0, 0},
    {"server_names_hash_bucket_size", CTX_HTTP, TARGET_MAIN, 1, 1, set_noop_size, 0, 0, 0},
    {"variables_hash_max_size", CTX_HTTP, TARGET_MAIN, 1, 1, set_noop_size, 0, 0, 0},
    {"variables_hash_bucket_size", CTX_HTTP, TARGET_MAIN, 1, 1, set_noop_size, 0, 0, 0},
    {"worker_rlimit_nofile", CTX_MAIN, TARGET_MAIN, 1, 1, set_rlimit_nofile, 0, 0, 0},
    {"worker_cpu_affinity", CTX_MAIN, TARGET_MAIN, 1, 64, set_cpu_affinity, 0, 0, 0},
    {"multi_accept", CTX_EVENTS, TARGET_MAIN, 1, 1, set_flag, offsetof(struct config, multi_accept),
     0, 0},
    {"accept_mutex", CTX_EVENTS, TARGET_MAIN, 1, 1, set_accept_mutex, 0, 0, 0},
    {"use", CTX_EVENTS, TARGET_MAIN, 1, 1, set_use, 0, 0, 0},
    {"load_module", CTX_MAIN, TARGET_MAIN, 1, 1, set_load_module, 0, 0, 0},
    {"open_log_file_cache", HSL, TARGET_SRV, 1, 4, set_open_log_file_cache, 0, 0, 0},
    {"log_not_found", HSL, TARGET_SRV, 1, 1, set_flag, offsetof(struct srv_conf, log_not_found), 0,
     0},
    {"autoindex_exact_size", HSL, TARGET_SRV, 1, 1, set_flag,
     offsetof(struct srv_conf, autoindex_exact_size), 0, 0},
    {"autoindex_localtime", HSL, TARGET_SRV, 1, 1, set_flag,
     offsetof(struct srv_conf, autoindex_localtime), 0, 0},
    {"autoindex_format", HSL, TARGET_SRV, 1, 1, set_autoindex_format,
     offsetof(struct srv_conf, autoindex_format), 0, 0},
};

/* --- tokenizer ----------------------------------------------------------- */

enum tok { T_WORD, T_SEMI, T_OPEN, T_CLOSE, T_EOF, T_ERR };

static enum tok next_token(struct parser *p, char **word)
{
    char *b = p->buf;
    for (;;) {
        while (p->pos < p->len && strchr(" \t\r\n", b[p->pos])) {
            if (b[p->pos] == '\n')
                p->line++;
            p->pos++;
        }
        if (p->pos < p->len && b[p->pos] == '#') {
            while (p->pos < p->len && b[p->pos] != '\n')
                p->pos++;
            continue;
        }
        break;
    }
    if (p->pos >= p->len)
        return T_EOF;
    switch (b[p->pos]) {
    case ';':
        p->pos++;
        return T_SEMI;
    case '{':
        p->pos++;
        return T_OPEN;
    case '}':
        p->pos++;
        return T_CLOSE;
    }
    if (b[p->pos] == '"' || b[p->pos] == '\'') {
        char q = b[p->pos++];
        size_t out = p->pos, start = p->pos;
        /* unescape in place: \" \' \\ \n \r \t as nginx does */
        while (p->pos < p->len && b[p->pos] != q) {
            char c = b[p->pos++];
            if (c == '\n')
                p->line++;
            if (c == '\\' && p->pos < p->len) {
                char e = b[p->pos++];
                c = e == 'n' ? '\n' : e == 'r' ? '\r' : e == 't' ? '\t' : e;
                if (e != q && e != '\\' && e != 'n' && e != 'r' && e != 't')
                    b[out++] = '\\';
            }
            b[out++] = c;
        }
        if (p->pos >= p->len) {
            perr(p, "unexpected end of file, expecting %c", q);
            return T_ERR;
        }
        p->pos++;
        if (p->pos < p->len && !strchr(" \t\r\n;{})", b[p->pos])) {
            perr(p, "unexpected \"%c\" after a quoted string", b[p->pos]);
            return T_ERR;
        }
        b[out] = '\0';
        *word = xstrdup(b + start);
        return T_WORD;
    }
    size_t start = p->pos;
    while (p->pos < p->len && !strchr(" \t\r\n;{}\"'", b[p->pos]))
        p->pos++;
    /* a word ends at a delimiter which we may overwrite only after we've read it */
    *word = xstrndup(b + start, p->pos - start);
    return T_WORD;
}

/* next_token() allocates every word (quoted or bare); the statement owns them. */
static void free_args(char **args, int n)
{
    for (int i = 0; i < n; i++)
        free(args[i]);
}

static int parse_file(struct parser *parent, const char *path, unsigned ctx, void *conf);

static int do_include(struct parser *p, const char *pattern, unsigned ctx, void *conf)
{
    char full[PATH_MAX];
    glob_t g;
    int r, rc = KT_OK;

    if (pattern[0] != '/') {
        const char *slash = strrchr(p->cf->path, '/');
        int dirlen = slash ? (int)(slash - p->cf->path) : 1;
        snprintf(full, sizeof(full), "%.*s/%s", dirlen, slash ? p->cf->path : ".", pattern);
    } else {
        snprintf(full, sizeof(full), "%s", pattern);
    }
    r = glob(full, 0, NULL, &g);
    if (r == GLOB_NOMATCH) {
        if (strpbrk(full, "*?[") == NULL) {
            perr(p, "open() \"%s\" failed (%d: %s)", full, ENOENT, strerror(ENOENT));
            return KT_ERROR;
        }
        return KT_OK;
    }
    if (r != 0) {
        perr(p, "include \"%s\": glob() failed", full);
        return KT_ERROR;
    }
    for (size_t i = 0; i < g.gl_pathc && rc == KT_OK; i++)
        rc = parse_file(p, g.gl_pathv[i], ctx, conf);
    globfree(&g);
    return rc;
}

static int run_directive(struct parser *p, unsigned ctx, void *conf, char **args, int nargs,
                         int is_block)
{
    const struct directive *d = NULL;
    void *target;

    if (ctx == CTX_TYPES) { /* "type ext ext ...;" in a types block */
        struct srv_conf *c = conf;
        if (is_block || nargs < 2) {
            perr(p, "invalid entry in \"types\" block");
            return KT_ERROR;
        }
        for (int i = 1; i < nargs; i++)
            mime_table_add(c->types, args[i], args[0]);
        return KT_OK;
    }
    if (strcmp(args[0], "include") == 0) {
        if (nargs != 2 || is_block) {
            perr(p, "invalid number of arguments in \"include\" directive");
            return KT_ERROR;
        }
        return do_include(p, args[1], ctx, conf);
    }
    if (ctx == CTX_MAP) { /* "KEY VALUE;" in a map block */
        char msg[512];
        if (is_block || map_add(conf, args, nargs, msg, sizeof(msg)) != KT_OK) {
            perr(p, "%s", is_block ? "unexpected \"{\"" : msg);
            return KT_ERROR;
        }
        return KT_OK;
    }
    for (size_t i = 0; i < ARRAY_LEN(directives); i++)
        if (strcmp(directives[i].name, args[0]) == 0) {
            d = &directives[i];
            break;
        }
    if (d == NULL) {
        perr(p, "unknown directive \"%s\"", args[0]);
        return KT_ERROR;
    }
    if (d->set == block_location && ctx == CTX_LOC) {
        perr(p, "nested \"location\" blocks are not supported by ktlsd");
        return KT_ERROR;
    }
    if (!(d->ctx & ctx) && (ctx & (CTX_SIF | CTX_LIF)) && (d->ctx & (CTX_SERVER | CTX_LOC))) {
        perr(p, "\"%s\" directive inside \"if\" is not supported by ktlsd", d->name);
        return KT_ERROR;
    }
    if (!(d->ctx & ctx)) {
        perr(p, "\"%s\" directive is not allowed here", d->name);
        return KT_ERROR;
    }
    if (d->amax == BLOCK && !is_block) {
        perr(p, "directive \"%s\" has no opening \"{\"", d->name);
        return KT_ERROR;
    }
    if (d->amax != BLOCK && is_block) {
        perr(p, "unexpected \"{\" after \"%s\" directive", d->name);
        return KT_ERROR;
    }
    if (nargs - 1 < d->amin || (d->amax >= 0 && nargs - 1 > d->amax)) {
        perr(p, "invalid number of arguments in \"%s\" directive", d->name);
        return KT_ERROR;
    }
    if (d->target == TARGET_MAIN)
        target = p->cf;
    else if (d->target == TARGET_SERVER)
        target = conf;
    else if (d->target == TARGET_LOC)
        target = conf;
    else if (ctx == CTX_SERVER)
        target = &((struct server_conf *)conf)->c;
    else if (ctx == CTX_LOC || ctx == CTX_SIF || ctx == CTX_LIF)
        target = &((struct location *)conf)->c;
    else
        target = conf;
    p->ctx = ctx;
    return d->set(p, d, args + 1, nargs - 1, target);
}

/* Parses statements. A nested block ends at its "}" (end of file there is
 * an error); a file ends at its end ("}" there is an error). */
static int parse_block(struct parser *p, unsigned ctx, void *conf, int file_level)
{
    char *args[MAX_ARGS];
    int nargs = 0, rc = KT_OK;

    for (;;) {
        char *w = NULL;
        enum tok t = next_token(p, &w);
        if (t == T_ERR) {
            rc = KT_ERROR;
            break;
        }
        if (t == T_WORD) {
            if (nargs == MAX_ARGS) {
                free(w);
                perr(p, "too many arguments");
                rc = KT_ERROR;
                break;
            }
            args[nargs++] = w; /* every word is its own allocation */
            continue;
        }
        if (t == T_EOF) {
            if (nargs > 0) {
                perr(p, "unexpected end of file, expecting \";\" or \"}\"");
                rc = KT_ERROR;
            } else if (!file_level) {
                perr(p, "unexpected end of file, expecting \"}\"");
                rc = KT_ERROR;
            }
            break;
        }
        if (t == T_CLOSE) {
            if (nargs > 0 || file_level) {
                perr(p, "unexpected \"}\"");
                rc = KT_ERROR;
            }
            break;
        }
        if (nargs == 0) {
            perr(p, "unexpected \"%s\"", t == T_SEMI ? ";" : "{");
            rc = KT_ERROR;
            break;
        }
        if (t == T_OPEN && ++p->depth > 32) {
            perr(p, "blocks nested too deeply");
            rc = KT_ERROR;
            break;
        }
        rc = run_directive(p, ctx, conf, args, nargs, t == T_OPEN);
        if (t == T_OPEN)
            p->depth--;
        free_args(args, nargs);
        nargs = 0;
        if (rc != KT_OK)
            break;
    }
    free_args(args, nargs);
    return rc;
}

/* Keeps the text of a file read for ktlsd -T, in the order parsing began: the
 * main file first, then each include where it is. Returns 1 when it took text;
 * 0 for a file already kept (included twice: nginx dumps it once). */
static int keep_file(struct config *cf, const char *path, char *text, size_t len)
{
    for (size_t i = 0; i < cf->nfiles; i++)
        if (strcmp(cf->files[i].path, path) == 0)
            return 0;
    cf->files = xrealloc(cf->files, (cf->nfiles + 1) * sizeof(*cf->files));
    cf->files[cf->nfiles++] = (struct conf_file){xstrdup(path), text, len};
    return 1;
}

static int parse_file(struct parser *parent, const char *path, unsigned ctx, void *conf)
{
    struct parser p = {.cf = parent->cf, .line = 1, .err = parent->err, .errlen = parent->errlen};
    struct stat st;
    FILE *f;
    int rc, e, kept;

    p.includes = parent->includes + 1;
    if (p.includes > MAX_INCLUDE_DEPTH) {
        perr(parent, "includes nested too deeply (include loop?)");
        return KT_ERROR;
    }
    f = fopen(path, "re");
    e = errno;
    if (f != NULL &&
        (fstat(fileno(f), &st) != 0 || !S_ISREG(st.st_mode) || st.st_size > (16 << 20))) {
        e = S_ISREG(st.st_mode) ? EFBIG : EISDIR;
        fclose(f);
        f = NULL;
    }
    if (f == NULL) {
        if (parent->file != NULL)
            perr(parent, "open() \"%s\" failed (%d: %s)", path, e, strerror(e));
        else
            snprintf(parent->err, parent->errlen, "open() \"%s\" failed (%d: %s)", path, e,
                     strerror(e));
        return KT_ERROR;
    }
    p.len = (size_t)st.st_size;
    p.buf = xmalloc(p.len + 1);
    if (fread(p.buf, 1, p.len, f) != p.len)
        p.len = 0;
    fclose(f);
    p.buf[p.len] = '\0';
    p.file = keep_string(p.cf, path);
    kept = keep_file(p.cf, p.file, p.buf, p.len);
    rc = parse_block(&p, ctx, conf, 1);
    if (!kept)
        free(p.buf);
    return rc;
}

/* --- merge, check, free ------------------------------------------------- */

#define MERGE(field, unset, dflt)                                                                  \
    do {                                                                                           \
        if (c->field == (unset))                                                                   \
            c->field = parent->field != (unset) ? parent->field : (dflt);                          \
    } while (0)
#define MERGE_STR(field, dflt)                                                                     \
    do {                                                                                           \
        if (c->field == NULL && (parent->field != NULL || (dflt) != NULL))                         \
            c->field = xstrdup(parent->field != NULL ? parent->field : (dflt));                    \
    } while (0)

/* compression, content knobs, logging: the merge of the fields above */
static void copy_list(char ***dst, size_t *ndst, char *const *src, size_t nsrc)
{
    if (*dst != NULL || nsrc == 0)
        return;
    *dst = xcalloc(nsrc, sizeof(char *));
    for (size_t i = 0; i < nsrc; i++)
        (*dst)[i] = xstrdup(src[i]);
    *ndst = nsrc;
}

static void srv_conf_merge_more(struct srv_conf *c, const struct srv_conf *parent)
{
    MERGE(gzip, CONF_UNSET, 0);
    MERGE(gzip_comp_level, CONF_UNSET, 1);
    MERGE(gzip_min_length, CONF_UNSET, 20);
    MERGE(gzip_proxied, CONF_UNSET, 0);
    MERGE(gzip_http_version, CONF_UNSET, 11);
    MERGE(brotli, CONF_UNSET, 0);
    MERGE(brotli_comp_level, CONF_UNSET, 6);
    MERGE(brotli_min_length, CONF_UNSET, 20);
    copy_list(&c->gzip_types, &c->ngzip_types, parent->gzip_types, parent->ngzip_types);
    copy_list(&c->gzip_disable, &c->ngzip_disable, parent->gzip_disable, parent->ngzip_disable);
    copy_list(&c->brotli_types, &c->nbrotli_types, parent->brotli_types, parent->nbrotli_types);
    copy_list(&c->charset_types, &c->ncharset_types, parent->charset_types, parent->ncharset_types);
    MERGE_STR(charset, (const char *)NULL);
    MERGE(keepalive_header, CONF_UNSET, 0);
    MERGE(log_not_found, CONF_UNSET, 1);
    MERGE(autoindex_exact_size, CONF_UNSET, 1);
    MERGE(autoindex_localtime, CONF_UNSET, 0);
    MERGE(autoindex_format, CONF_UNSET, AUTOINDEX_HTML);
    if (c->access_log_buffer == CONF_UNSET) { /* the log inherited: its options with it */
        c->access_log_buffer =
            parent->access_log_buffer != CONF_UNSET ? parent->access_log_buffer : 0;
        c->access_log_flush =
            parent->access_log_buffer != CONF_UNSET ? parent->access_log_flush : 0;
        c->access_log_gzip = parent->access_log_buffer != CONF_UNSET ? parent->access_log_gzip : 0;
        MERGE_STR(access_log_if, (const char *)NULL);
    }
    if (c->error_log == NULL && parent->error_log != NULL) {
        c->error_log = xstrdup(parent->error_log);
        c->error_log_level = parent->error_log_level;
    }
}

/* "listen ... http2" (nginx before 1.25.1) is a property of the address:
 * every server block listening there speaks HTTP/2, unless it says
 * "http2 off" itself. */
static void listen_http2(struct config *cf)
{
    for (size_t i = 0; i < cf->nservers; i++)
        for (size_t j = 0; j < cf->servers[i]->nlistens; j++) {
            const struct listen_conf *l = &cf->servers[i]->listens[j];
            if (!l->http2)
                continue;
            for (size_t k = 0; k < cf->nservers; k++) {
                struct server_conf *s = cf->servers[k];
                for (size_t m = 0; m < s->nlistens && s->c.http2 == CONF_UNSET; m++)
                    if (s->listens[m].addrlen == l->addrlen &&
                        memcmp(&s->listens[m].addr, &l->addr, l->addrlen) == 0)
                        s->c.http2 = 1;
            }
        }
}

/* A server inherits from http{} what it does not set itself, then takes
 * the defaults (nginx's merge_srv_conf). */
static void srv_conf_merge(struct srv_conf *c, const struct srv_conf *parent)
{
    MERGE(sendfile, CONF_UNSET, 1);
    MERGE(ktls, CONF_UNSET, 1);
    MERGE(tcp_nodelay, CONF_UNSET, 1);
    MERGE(server_tokens, CONF_UNSET, 1);
    MERGE(keepalive_timeout, CONF_UNSET, 75);
    MERGE(keepalive_requests, CONF_UNSET, 1000);
    MERGE(client_header_timeout, CONF_UNSET, 60);
    MERGE(send_timeout, CONF_UNSET, 60);
    MERGE(ssl_protocols, CONF_UNSET, PROTO_TLS12 | PROTO_TLS13);
    MERGE(ssl_prefer_server_ciphers, CONF_UNSET, 1);
    MERGE(ssl_session_tickets, CONF_UNSET, 1);
    MERGE(ssl_session_timeout, CONF_UNSET, 300);
    if (c->ssl_session_cache == CONF_UNSET) {
        /* ktlsd's default: OpenSSL's cache in each worker, as before */
        c->ssl_session_cache =
            parent->ssl_session_cache != CONF_UNSET ? parent->ssl_session_cache : SCACHE_ON;
        c->ssl_cache_builtin =
            parent->ssl_session_cache != CONF_UNSET ? parent->ssl_cache_builtin : -1;
        c->ssl_cache_zone = parent->ssl_cache_zone ? xstrdup(parent->ssl_cache_zone) : NULL;
        c->ssl_cache_zone_size = parent->ssl_cache_zone_size;
    }
    if (c->nssl_ticket_keys == 0 && parent->nssl_ticket_keys > 0) {
        c->ssl_ticket_keys = xcalloc(parent->nssl_ticket_keys, sizeof(char *));
        for (size_t i = 0; i < parent->nssl_ticket_keys; i++)
            c->ssl_ticket_keys[i] = xstrdup(parent->ssl_ticket_keys[i]);
        c->nssl_ticket_keys = parent->nssl_ticket_keys;
    }
    MERGE_STR(root, "/var/www/ktlsd");
    MERGE_STR(default_type, "application/octet-stream");
    MERGE(ssl_buffer_size, CONF_UNSET, 16384);
    MERGE(ssl_early_data, CONF_UNSET, 0);
    MERGE(ssl_stapling, CONF_UNSET, 0);
    MERGE(ssl_stapling_verify, CONF_UNSET, 0);
    MERGE(ssl_verify_client, CONF_UNSET, VERIFY_OFF);
    MERGE(ssl_verify_depth, CONF_UNSET, 1);
    MERGE(ktls_zerocopy_sendfile, CONF_UNSET, 0);
    MERGE(http2, CONF_UNSET, 0);
    MERGE(http2_max_concurrent_streams, CONF_UNSET, 128);
    MERGE(http2_chunk_size, CONF_UNSET, 16 * 1024); /* nginx: 8k; 16k fills a TLS record */
    MERGE(http2_body_preread_size, CONF_UNSET, 64 * 1024);
    MERGE(http2_idle_timeout, CONF_UNSET, c->keepalive_timeout);
    MERGE_STR(ssl_password_file, (const char *)NULL);
    MERGE_STR(ssl_dhparam, (const char *)NULL);
    MERGE_STR(ssl_ecdh_curve, (const char *)NULL);
    MERGE_STR(ssl_stapling_file, (const char *)NULL);
    MERGE_STR(ssl_trusted_certificate, (const char *)NULL);
    MERGE_STR(ssl_client_certificate, (const char *)NULL);
    /* the certificate list goes whole, with its keys (nginx) */
    if (c->nssl_certificate == 0 && c->nssl_certificate_key == 0) {
        c->nssl_certificate = parent->nssl_certificate;
        c->ssl_certificate = xcalloc(c->nssl_certificate + 1, sizeof(char *));
        for (size_t i = 0; i < c->nssl_certificate; i++)
            c->ssl_certificate[i] = xstrdup(parent->ssl_certificate[i]);
        c->nssl_certificate_key = parent->nssl_certificate_key;
        c->ssl_certificate_key = xcalloc(c->nssl_certificate_key + 1, sizeof(char *));
        for (size_t i = 0; i < c->nssl_certificate_key; i++)
            c->ssl_certificate_key[i] = xstrdup(parent->ssl_certificate_key[i]);
    }
    MERGE_STR(ssl_ciphers, (const char *)NULL);
    if (c->access_log_path == NULL) {
        c->access_log_path = xstrdup(parent->access_log_path ? parent->access_log_path
                                                             : "/var/log/ktlsd/access.log");
        if (parent->access_log_format != NULL)
            c->access_log_format = xstrdup(parent->access_log_format);
    }
    if (c->nindex == 0) {
        const char *dflt = "index.html";
        size_t n = parent->nindex ? parent->nindex : 1;
        c->index = xcalloc(n, sizeof(char *));
        for (size_t i = 0; i < n; i++)
            c->index[i] = xstrdup(parent->nindex ? parent->index[i] : dflt);
        c->nindex = n;
    }
    if (c->expires == CONF_UNSET) {
        c->expires_time = parent->expires_time;
        if (parent->expires_var != NULL)
            c->expires_var = xstrdup(parent->expires_var);
    }
    MERGE(expires, CONF_UNSET, EXPIRES_OFF);
    MERGE(autoindex, CONF_UNSET, 0);
    MERGE(gzip_static, CONF_UNSET, STATIC_OFF);
    MERGE(gzip_vary, CONF_UNSET, 1);
    MERGE(brotli_static, CONF_UNSET, STATIC_OFF);
    MERGE(client_max_body_size, CONF_UNSET, 1024 * 1024);
    MERGE(large_header_bufs, CONF_UNSET, 4);
    MERGE(large_header_size, CONF_UNSET, 8192);
    MERGE(disable_symlinks, CONF_UNSET, SYMLINKS_OFF);
    MERGE(etag, CONF_UNSET, 1);
    MERGE(if_modified_since, CONF_UNSET, IMS_BEFORE); /* RFC 9110 13.1.3; nginx: exact */
    MERGE(max_ranges, CONF_UNSET, -1);
    if (c->open_file_cache.max == CONF_UNSET) { /* the pair goes together */
        c->open_file_cache.max =
            parent->open_file_cache.max != CONF_UNSET ? parent->open_file_cache.max : 0;
        c->open_file_cache.inactive =
            parent->open_file_cache.inactive != CONF_UNSET ? parent->open_file_cache.inactive : 60;
    }
    MERGE(open_file_cache.valid, CONF_UNSET, 60);
    MERGE(open_file_cache.min_uses, CONF_UNSET, 1);
    MERGE(open_file_cache.errors, CONF_UNSET, 0);
    /* lists: a level that sets any replaces the inherited ones (nginx) */
    if (!c->add_headers_set && parent->nadd_headers > 0) {
        c->add_headers = xcalloc(parent->nadd_headers, sizeof(*c->add_headers));
        for (size_t i = 0; i < parent->nadd_headers; i++)
            c->add_headers[i] = (struct add_header){xstrdup(parent->add_headers[i].name),
                                                    xstrdup(parent->add_headers[i].value),
                                                    parent->add_headers[i].always, NULL};
        c->nadd_headers = parent->nadd_headers;
    }
    if (!c->error_pages_set && parent->nerror_pages > 0) {
        c->error_pages = xcalloc(parent->nerror_pages, sizeof(*c->error_pages));
        for (size_t i = 0; i < parent->nerror_pages; i++)
            c->error_pages[i] =
                (struct error_page){parent->error_pages[i].code, parent->error_pages[i].new_code,
                                    xstrdup(parent->error_pages[i].uri)};
        c->nerror_pages = parent->nerror_pages;
    }
    if (!c->access_set && parent->naccess > 0) {
        c->access = xcalloc(parent->naccess, sizeof(*c->access));
        memcpy(c->access, parent->access, parent->naccess * sizeof(*c->access));
        c->naccess = parent->naccess;
    }
    MERGE(limit_rate, CONF_UNSET, 0);
    MERGE(limit_rate_after, CONF_UNSET, 0);
    MERGE(limit_conn_status, CONF_UNSET, 503);
    MERGE(limit_req_status, CONF_UNSET, 503);
    MERGE(limit_conn_log_level, CONF_UNSET, LL_ERR);
    MERGE(limit_req_log_level, CONF_UNSET, LL_ERR);
    MERGE(satisfy_any, CONF_UNSET, 0);
    MERGE(limit_conn_dry_run, CONF_UNSET, 0);
    MERGE(limit_req_dry_run, CONF_UNSET, 0);
    MERGE_STR(auth_basic, (const char *)NULL);
    MERGE_STR(auth_basic_user_file, (const char *)NULL);
    if (!c->limit_conns_set && parent->nlimit_conns > 0) {
        c->limit_conns = xcalloc(parent->nlimit_conns, sizeof(*c->limit_conns));
        memcpy(c->limit_conns, parent->limit_conns, parent->nlimit_conns * sizeof(*c->limit_conns));
        c->nlimit_conns = parent->nlimit_conns;
    }
    if (!c->limit_reqs_set && parent->nlimit_reqs > 0) {
        c->limit_reqs = xcalloc(parent->nlimit_reqs, sizeof(*c->limit_reqs));
        memcpy(c->limit_reqs, parent->limit_reqs, parent->nlimit_reqs * sizeof(*c->limit_reqs));
        c->nlimit_reqs = parent->nlimit_reqs;
    }
    if (!c->types_set && parent->types != NULL) {
        c->types = parent->types; /* shared, owned by the level that set it */
    }
    if (!c->ssl_conf_cmds_set && parent->nssl_conf_cmds > 0) {
        c->ssl_conf_cmds = xcalloc(parent->nssl_conf_cmds, sizeof(*c->ssl_conf_cmds));
        for (size_t i = 0; i < parent->nssl_conf_cmds; i++)
            c->ssl_conf_cmds[i] = (struct conf_cmd){xstrdup(parent->ssl_conf_cmds[i].name),
                                                    xstrdup(parent->ssl_conf_cmds[i].value)};
        c->nssl_conf_cmds = parent->nssl_conf_cmds;
    }
    srv_conf_merge_more(c, parent);
}

/* Compiles the values that take variables, once merged (their names were
 * checked, with FILE:LINE, as they were read). */
static int compile_values(struct srv_conf *c, char *err, size_t errlen)
{
    const char *dir = c->alias != NULL ? c->alias : c->root;
    if (dir != NULL && (c->dir_tpl = vars_compile(dir, err, errlen)) == NULL)
        return KT_ERROR;
    if (c->expires_var != NULL &&
        (c->expires_tpl = vars_compile(c->expires_var, err, errlen)) == NULL)
        return KT_ERROR;
    if (c->ntry_files > 0)
        c->try_tpl = xcalloc(c->ntry_files, sizeof(*c->try_tpl));
    for (size_t i = 0; i < c->ntry_files; i++)
        if ((c->try_tpl[i] = vars_compile(c->try_files[i], err, errlen)) == NULL)
            return KT_ERROR;
    for (size_t i = 0; i < c->nadd_headers; i++) {
        if (!vars_any(c->add_headers[i].value))
            continue;
        if (c->nadd_headers > ADD_HEADERS_MAX) {
            snprintf(err, errlen, "more than %d \"add_header\" lines with variables in one block",
                     ADD_HEADERS_MAX);
            return KT_ERROR;
        }
        if ((c->add_headers[i].tpl = vars_compile(c->add_headers[i].value, err, errlen)) == NULL)
            return KT_ERROR;
    }
    if (c->ngzip_disable > 0) /* checked as read: compiles */
        c->gzip_disable_re = xcalloc(c->ngzip_disable, sizeof(void *));
    for (size_t i = 0; i < c->ngzip_disable; i++) {
        int rc;
        PCRE2_SIZE off;
        if (strcmp(c->gzip_disable[i], "msie6") != 0)
            c->gzip_disable_re[i] =
                pcre2_compile((PCRE2_SPTR)c->gzip_disable[i], PCRE2_ZERO_TERMINATED, PCRE2_CASELESS,
                              &rc, &off, NULL);
    }
    return KT_OK;
}

/* The blocks of the level's "if"s take what they do not set from it
 * (nginx merges the implicit location into the one it is in). */
static int merge_ifs(struct srv_conf *c, char *err, size_t errlen)
{
    for (size_t i = 0; i < c->nrw; i++) {
        struct location *l = c->rw[i].ifloc;
        int own_root;
        if (l == NULL)
            continue;
        own_root = l->c.root != NULL;
        srv_conf_merge(&l->c, c);
        if (!own_root && c->alias != NULL) { /* the location's alias holds in the block */
            free(l->c.root);
            l->c.root = NULL;
            l->c.alias = xstrdup(c->alias);
        }
        l->c.status_page = c->status_page;
        if (compile_values(&l->c, err, errlen) != KT_OK)
            return KT_ERROR;
    }
    return KT_OK;
}

static int same_addr(const struct listen_conf *a, const struct listen_conf *b)
{
    return a->addrlen == b->addrlen && memcmp(&a->addr, &b->addr, a->addrlen) == 0;
}

/* The TLS settings of a server that only make sense together (nginx's
 * ngx_http_ssl_merge_srv_conf), reported at the "listen ... ssl" line. */
static int check_ssl(const struct server_conf *s, const struct listen_conf *l, char *err,
                     size_t errlen)
{
    const struct srv_conf *c = &s->c;
    if (c->nssl_certificate != c->nssl_certificate_key) {
        snprintf(err, errlen,
                 "%s:%d: no \"ssl_certificate%s\" is defined for \"%s\": each certificate "
                 "needs its key, in the same order",
                 l->file, l->line, c->nssl_certificate < c->nssl_certificate_key ? "" : "_key",
                 c->nssl_certificate < c->nssl_certificate_key
                     ? c->ssl_certificate_key[c->nssl_certificate]
                     : c->ssl_certificate[c->nssl_certificate_key]);
        return KT_ERROR;
    }
    if ((c->ssl_verify_client == VERIFY_ON || c->ssl_verify_client == VERIFY_OPTIONAL) &&
        c->ssl_client_certificate == NULL) {
        snprintf(err, errlen, "%s:%d: no ssl_client_certificate for ssl_verify_client", l->file,
                 l->line);
        return KT_ERROR;
    }
    if (c->ssl_stapling_file != NULL && !c->ssl_stapling) {
        snprintf(err, errlen, "%s:%d: \"ssl_stapling_file\" is set but \"ssl_stapling\" is off",
                 l->file, l->line);
        return KT_ERROR;
    }
    return KT_OK;
}

static int check(struct config *cf, char *err, size_t errlen)
{
    /* an empty file (or one without servers) would start, or reload, into
     * a server with no listener at all: refused (nginx refuses an empty
     * file too, for its missing "events") */
    if (cf->nservers == 0) {
        snprintf(err, errlen, "%s:1: no \"server\" block in the configuration: nothing to serve",
                 cf->path);
        return KT_ERROR;
    }
    for (size_t i = 0; i < cf->nservers; i++) {
        struct server_conf *s = cf->servers[i];
        if (s->nlistens == 0) { /* nginx: "listen *:80" when not given */
            struct listen_conf l = {.backlog = 511, .file = s->file, .line = s->line};
            parse_addr(NULL, "80", &l);
            snprintf(l.text, sizeof(l.text), "*:80");
            s->listens = xcalloc(1, sizeof(l));
            s->listens[0] = l;
            s->nlistens = 1;
        }
        for (size_t j = 0; j < s->nlistens; j++) {
            struct listen_conf *l = &s->listens[j];
            if (l->ssl && (s->c.nssl_certificate == 0 || s->c.nssl_certificate_key == 0)) {
                snprintf(err, errlen,
                         "%s:%d: no \"ssl_certificate%s\" is defined for the \"listen "
                         "... ssl\" "
                         "directive",
                         l->file, l->line, s->c.nssl_certificate == 0 ? "" : "_key");
                return KT_ERROR;
            }
            if (l->ssl && check_ssl(s, l, err, errlen) != KT_OK)
                return KT_ERROR;
            /* all servers on one address must agree on ssl; one default */
            for (size_t k = 0; k <= i; k++) {
                struct server_conf *o = cf->servers[k];
                for (size_t m = 0; m < o->nlistens; m++) {
                    struct listen_conf *ol = &o->listens[m];
                    if (ol == l)
                        break;
                    if (!same_addr(ol, l))
                        continue;
                    if (ol->ssl != l->ssl) {
                        snprintf(err, errlen, "%s:%d: \"listen %s\" mixes ssl and plain with %s:%d",
                                 l->file, l->line, l->text, ol->file, ol->line);
                        return KT_ERROR;
                    }
                    if (ol->default_server && l->default_server) {
                        snprintf(err, errlen, "%s:%d: a duplicate default server for %s", l->file,
                                 l->line, l->text);
                        return KT_ERROR;
                    }
                    if (o == s) {
                        snprintf(err, errlen, "%s:%d: duplicate listen %s", l->file, l->line,
                                 l->text);
                        return KT_ERROR;
                    }
                }
            }
        }
    }
    return KT_OK;
}

/* The files read into a fresh configuration, not yet merged. */
static struct config *config_read(const char *path, char *err, size_t errlen)
{
    struct config *cf = xcalloc(1, sizeof(*cf));
    struct parser top = {.cf = cf, .err = err, .errlen = errlen};

    cf->path = xstrdup(path);
    cf->worker_processes = 1;
    cf->error_log_level = LL_ERR;
    cf->worker_connections = 512;
    cf->compress_cache_size = 32LL * 1024 * 1024;
    srv_conf_init(&cf->http);
    if (parse_file(&top, path, CTX_MAIN, cf) != KT_OK) {
        config_free(cf);
        return NULL;
    }
    return cf;
}

struct config *config_load(const char *path, char *err, size_t errlen)
{
    struct config *cf;
    char first_err[1024];

    /* nginx knows every variable of the configuration before it checks a
     * use: "set", "map" and named captures may come after the values that
     * name them. A first reading, which takes unknown names, collects
     * them; the second, the real one, checks each use. */
    vars_reset_captures();
    vars_lenient(1);
    first_reading = 1;
    cf = config_read(path, first_err, sizeof(first_err));
    first_reading = 0;
    vars_lenient(0);
    if (cf == NULL) { /* an error that is not an unknown variable: it stands */
        snprintf(err, errlen, "%s", first_err);
        return NULL;
    }
    config_free(cf);
    if ((cf = config_read(path, err, errlen)) == NULL)
        return NULL;
    listen_http2(cf);
    for (size_t i = 0; i < cf->nservers; i++) {
        struct server_conf *s = cf->servers[i];
        srv_conf_merge(&s->c, &cf->http);
        for (size_t j = 0; j < s->nlocs; j++) {
            struct location *l = s->locs[j];
            if (l->c.alias != NULL && l->c.root != NULL) {
                snprintf(err, errlen, "%s:%d: \"alias\" and \"root\" in one location", l->file,
                         l->line);
                goto fail;
            }
            srv_conf_merge(&l->c, &s->c);
            if (compile_values(&l->c, err, errlen) != KT_OK ||
                merge_ifs(&l->c, err, errlen) != KT_OK)
                goto fail;
        }
        if (compile_values(&s->c, err, errlen) != KT_OK || merge_ifs(&s->c, err, errlen) != KT_OK)
            goto fail;
    }
    if (check(cf, err, errlen) != KT_OK)
        goto fail;
    for (size_t i = 0; i < cf->nzones; i++) {
        struct limit_zone *z = cf->zones[i];
        if (z->size == 0) { /* used, never defined */
            snprintf(err, errlen,
                     "%s:%d: zero size shared memory zone \"%s\" (no \"%s\" defines it)", z->file,
                     z->line, z->name,
                     z->kind == LIMIT_CONN ? "limit_conn_zone" : "limit_req_zone");
            goto fail;
        }
        if (limit_zone_map(z, err, errlen) != KT_OK)
            goto fail;
    }
    return cf;
fail:
    config_free(cf);
    return NULL;
}

void config_dump(const struct config *cf, FILE *out)
{
    for (size_t i = 0; i < cf->nfiles; i++) {
        const struct conf_file *f = &cf->files[i];
        fprintf(out, "# configuration file %s:\n", f->path);
        fwrite(f->text, 1, f->len, out);
        /* nginx ends each file with a newline of its own: a blank line between */
        fputc('\n', out);
    }
}

int config_worker_count(const struct config *cf)
{
    long n;
    if (cf->worker_processes > 0)
        return cf->worker_processes;
    n = sysconf(_SC_NPROCESSORS_ONLN);
    return n > 0 ? (int)n : 1;
}

static void srv_conf_free(struct srv_conf *c)
{
    free(c->root);
    for (size_t i = 0; i < c->nindex; i++)
        free(c->index[i]);
    free(c->index);
    free(c->access_log_path);
    free(c->access_log_format);
    for (size_t i = 0; i < c->nssl_certificate; i++)
        free(c->ssl_certificate[i]);
    free(c->ssl_certificate);
    for (size_t i = 0; i < c->nssl_certificate_key; i++)
        free(c->ssl_certificate_key[i]);
    free(c->ssl_certificate_key);
    free(c->ssl_password_file);
    free(c->ssl_dhparam);
    free(c->ssl_ecdh_curve);
    free(c->ssl_stapling_file);
    free(c->ssl_trusted_certificate);
    free(c->ssl_client_certificate);
    free(c->ssl_ciphers);
    free(c->ssl_cache_zone);
    for (size_t i = 0; i < c->nssl_ticket_keys; i++)
        free(c->ssl_ticket_keys[i]);
    free(c->ssl_ticket_keys);
    free(c->default_type);
    for (size_t i = 0; i < c->nssl_conf_cmds; i++) {
        free(c->ssl_conf_cmds[i].name);
        free(c->ssl_conf_cmds[i].value);
    }
    free(c->ssl_conf_cmds);
    free(c->alias);
    for (size_t i = 0; i < c->ntry_files; i++)
        free(c->try_files[i]);
    free(c->try_files);
    for (size_t i = 0; i < c->nadd_headers; i++) {
        free(c->add_headers[i].name);
        free(c->add_headers[i].value);
        vars_tpl_free(c->add_headers[i].tpl);
    }
    free(c->add_headers);
    for (size_t i = 0; i < c->nerror_pages; i++)
        free(c->error_pages[i].uri);
    free(c->error_pages);
    free(c->access);
    free(c->expires_var);
    vars_tpl_free(c->expires_tpl);
    free(c->limit_conns);
    free(c->limit_reqs);
    free(c->auth_basic);
    free(c->auth_basic_user_file);
    vars_tpl_free(c->dir_tpl);
    for (size_t i = 0; c->try_tpl != NULL && i < c->ntry_files; i++)
        vars_tpl_free(c->try_tpl[i]);
    free(c->try_tpl);
    if (c->types_set)
        mime_table_free(c->types);
    for (size_t i = 0; i < c->nrw; i++)
        if (c->rw[i].ifloc != NULL) {
            srv_conf_free(&c->rw[i].ifloc->c);
            free(c->rw[i].ifloc);
        }
    rewrite_free(c->rw, c->nrw);
    for (size_t i = 0; i < c->ngzip_types; i++)
        free(c->gzip_types[i]);
    free(c->gzip_types);
    for (size_t i = 0; i < c->ngzip_disable; i++) {
        free(c->gzip_disable[i]);
        if (c->gzip_disable_re != NULL)
            pcre2_code_free(c->gzip_disable_re[i]);
    }
    free(c->gzip_disable);
    free(c->gzip_disable_re);
    for (size_t i = 0; i < c->nbrotli_types; i++)
        free(c->brotli_types[i]);
    free(c->brotli_types);
    for (size_t i = 0; i < c->ncharset_types; i++)
        free(c->charset_types[i]);
    free(c->charset_types);
    free(c->charset);
    free(c->access_log_if);
    free(c->error_log);
}

void config_free(struct config *cf)
{
    if (cf == NULL)
        return;
    for (size_t i = 0; i < cf->nservers; i++) {
        struct server_conf *s = cf->servers[i];
        srv_conf_free(&s->c);
        for (size_t j = 0; j < s->nlocs; j++) {
            struct location *l = s->locs[j];
            srv_conf_free(&l->c);
            free(l->pattern);
            pcre2_match_data_free(l->md);
            pcre2_code_free(l->re);
            if (l->dir.fd >= 0) /* opened by server_activate */
                close(l->dir.fd);
            free(l);
        }
        free(s->locs);
        for (size_t j = 0; j < s->nnames; j++) {
            free(s->names[j]);
            pcre2_match_data_free(s->name_md[j]);
            pcre2_code_free(s->name_re[j]);
        }
        free(s->name_re);
        free(s->name_md);
        free(s->names);
        free(s->status_zone);
        free(s->listens);
        if (s->ssl_ctx != NULL)
            SSL_CTX_free(s->ssl_ctx);
        if (s->dir.fd >= 0)
            close(s->dir.fd);
        access_log_close(s->access_log);
        free(s);
    }
    free(cf->servers);
    srv_conf_free(&cf->http);
    for (size_t i = 0; i < cf->nmaps; i++)
        map_free(cf->maps[i]);
    free(cf->maps);
    for (size_t i = 0; i < cf->nzones; i++)
        limit_zone_free(cf->zones[i]);
    free(cf->zones);
    for (size_t i = 0; i < cf->nformats; i++)
        log_format_free(cf->formats[i].fmt);
    free(cf->formats);
    for (size_t i = 0; i < cf->nstrings; i++)
        free(cf->strings[i]);
    free(cf->strings);
    for (size_t i = 0; i < cf->nfiles; i++) {
        free(cf->files[i].path);
        free(cf->files[i].text);
    }
    free(cf->files);
    free(cf->path);
    free(cf->error_log);
    free(cf->pid_file);
    free(cf->worker_cpu_affinity);
    for (size_t i = 0; i < cf->nelogs; i++)
        error_log_close(cf->elogs[i]);
    free(cf->elogs);
    free(cf->user);
    free(cf->group);
    free(cf);
}
