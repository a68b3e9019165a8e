/* config.c: nginx-syntax configuration. A tokenizer, a recursive block
 * parser, and a table of directives (nginx's ngx_command_t, redis's
 * static_configs[]): adding a directive is adding one row. Every error is
 * reported as "FILE:LINE: message". */
#include "config.h"
#include "log.h"
#include "mime.h"
#include "util.h"
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

enum { CTX_MAIN = 1, CTX_EVENTS = 2, CTX_HTTP = 4, CTX_SERVER = 8, CTX_LOC = 16, CTX_TYPES = 32 };
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

static const char *keep_string(struct config *cf, const char *s)
{
    cf->strings = xrealloc(cf->strings, (cf->nstrings + 1) * sizeof(char *));
    return cf->strings[cf->nstrings++] = xstrdup(s);
}

/* --- value setters ------------------------------------------------------ */

static int set_keyword(struct parser *p, const struct directive *d, char **a, int n, void *conf,
                       const char *const *words);
static int parse_size(const char *s, long long *out);

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

static int parse_long(const char *s, long *out)
{
    char *end;
    long v;
    if (*s == '\0' || *s == '-' || *s == '+')
        return KT_ERROR;
    errno = 0;
    v = strtol(s, &end, 10);
    if (errno != 0 || *end != '\0')
        return KT_ERROR;
    *out = v;
    return KT_OK;
}

static int set_num(struct parser *p, const struct directive *d, char **a, int n, void *conf)
{
    long v;
    (void)n;
    if (parse_long(a[0], &v) != KT_OK || v < d->lo || v > d->hi) {
        perr(p, "invalid value \"%s\" in \"%s\" directive (expected %ld..%ld)", a[0], d->name,
             d->lo, d->hi);
        return KT_ERROR;
    }
    *(int *)((char *)conf + d->off) = (int)v;
    return KT_OK;
}

/* nginx time syntax: "75", "75s", "1m30s", "500ms", "1h", "1d". */
static int parse_time(const char *s, double *out)
{
    double total = 0;
    if (*s == '\0')
        return KT_ERROR;
    while (*s) {
        char *end;
        double unit;
        long v;
        if (*s < '0' || *s > '9')
            return KT_ERROR;
        errno = 0;
        v = strtol(s, &end, 10);
        if (errno != 0)
            return KT_ERROR;
        s = end;
        if (strncmp(s, "ms", 2) == 0) {
            unit = 0.001;
            s += 2;
        } else {
            switch (*s) {
            case 's':
                unit = 1;
                s++;
                break;
            case 'm':
                unit = 60;
                s++;
                break;
            case 'h':
                unit = 3600;
                s++;
                break;
            case 'd':
                unit = 86400;
                s++;
                break;
            case 'w':
                unit = 7 * 86400;
                s++;
                break;
            case 'M':
                unit = 30 * 86400;
                s++;
                break;
            case 'y':
                unit = 365 * 86400;
                s++;
                break;
            case '\0':
                unit = 1;
                break;
            default:
                return KT_ERROR;
            }
        }
        total += (double)v * unit;
    }
    *out = total;
    return KT_OK;
}

static int set_time(struct parser *p, const struct directive *d, char **a, int n, void *conf)
{
    double v;
    (void)n;
    if (parse_time(a[0], &v) != KT_OK || v > (double)d->hi) {
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

static int set_error_log(struct parser *p, const struct directive *d, char **a, int n, void *conf)
{
    struct config *cf = conf;
    (void)d;
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
    if (strcmp(a[0], "off") == 0 && n > 1) {
        perr(p, "invalid parameter \"%s\" in \"access_log off\"", a[1]);
        return KT_ERROR;
    }
    for (int i = 2; i < n; i++) {
        /* accepted for compatibility: ktlsd always buffers and flushes each second */
        if (strncmp(a[i], "buffer=", 7) != 0 && strncmp(a[i], "flush=", 6) != 0) {
            perr(p, "invalid parameter \"%s\" in \"access_log\" directive", a[i]);
            return KT_ERROR;
        }
    }
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
        if (strcmp(a[1], "escape=default") != 0) {
            perr(p, "unsupported \"%s\" in \"log_format\" (only escape=default)", a[1]);
            return KT_ERROR;
        }
        a++;
        n--;
        if (n < 2) {
            perr(p, "invalid number of arguments in \"log_format\" directive");
            return KT_ERROR;
        }
    }
    for (int i = 1; i < n; i++)
        len += strlen(a[i]);
    text = xmalloc(len + 1);
    text[0] = '\0';
    for (int i = 1; i < n; i++)
        strcat(text, a[i]);
    f = log_format_compile(a[0], text, err, sizeof(err));
    free(text);
    if (f == NULL) {
        perr(p, "%s", err);
        return KT_ERROR;
    }
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
            log_error(LL_WARN, NULL,
                      "%s:%d: \"%s\" in \"ssl_protocols\" is ignored: ktlsd speaks TLSv1.2 and "
                      "TLSv1.3 only",
                      p->file, p->line, a[i]);
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
    if (parse_size(a[0], &v) != KT_OK || v < 512) {
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

static int set_listen(struct parser *p, const struct directive *d, char **a, int n, void *conf)
{
    struct server_conf *s = conf;
    struct listen_conf l = {.backlog = 511};
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
    } else if (parse_long(a[0], &portnum) != KT_OK) {
        host = a[0]; /* "listen localhost;" means port 80 */
        port = "80";
    }
    if (parse_long(port, &portnum) != KT_OK || portnum < 1 || portnum > 65535) {
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
        else if (strncmp(a[i], "backlog=", 8) == 0 && parse_long(a[i] + 8, &v) == KT_OK && v > 0 &&
                 v <= 65535)
            l.backlog = (int)v;
        else if (strcmp(a[i], "http2") == 0)
            l.http2 = 1;
        else if (strcmp(a[i], "quic") == 0 || strcmp(a[i], "proxy_protocol") == 0) {
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

/* "1m", "512k", "2g", "0": nginx sizes */
static int parse_size(const char *s, long long *out)
{
    char *end;
    long long v, mult = 1;
    if (*s < '0' || *s > '9')
        return KT_ERROR;
    errno = 0;
    v = strtoll(s, &end, 10);
    if (errno != 0)
        return KT_ERROR;
    switch (*end) {
    case 'k':
    case 'K':
        mult = 1024;
        end++;
        break;
    case 'm':
    case 'M':
        mult = 1024 * 1024;
        end++;
        break;
    case 'g':
    case 'G':
        mult = 1024LL * 1024 * 1024;
        end++;
        break;
    }
    if (*end != '\0' || v > (1LL << 50) / mult)
        return KT_ERROR;
    *out = v * mult;
    return KT_OK;
}

static int set_size(struct parser *p, const struct directive *d, char **a, int n, void *conf)
{
    (void)n;
    if (parse_size(a[0], (long long *)((char *)conf + d->off)) != KT_OK) {
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
    if (parse_long(a[0], &num) != KT_OK || num < 1 || num > 1024 ||
        parse_size(a[1], &size) != KT_OK || size < 1 || size > 1024 * 1024) {
        perr(p, "invalid value \"%s %s\" in \"%s\" directive", a[0], a[1], d->name);
        return KT_ERROR;
    }
    c->large_header_bufs = (int)num;
    c->large_header_size = size;
    return KT_OK;
}

/* A keyword out of a short list given in the directive's row: the index. */
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
    (void)d;
    if (n == 2) {
        if (strcmp(a[0], "modified") == 0) {
            perr(p, "\"expires modified\" is not supported by ktlsd");
            return KT_ERROR;
        }
        perr(p, "invalid number of arguments in \"expires\" directive");
        return KT_ERROR;
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
    if (*v == '@') {
        perr(p, "\"expires @time\" is not supported by ktlsd");
        return KT_ERROR;
    }
    if (*v == '-' || *v == '+') {
        neg = *v == '-';
        v++;
    }
    if (parse_time(v, &c->expires_time) != KT_OK) {
        perr(p, "invalid value \"%s\" in \"expires\" directive", a[0]);
        return KT_ERROR;
    }
    if (neg)
        c->expires_time = -c->expires_time;
    c->expires = EXPIRES_TIME;
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
        if (a[n - 2][1] != '\0' && (parse_long(a[n - 2] + 1, &v) != KT_OK || v < 200 || v > 599)) {
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
        if (parse_long(a[i], &v) != KT_OK || v < 300 || v > 599) {
            perr(p, "value \"%s\" must be between 300 and 599", a[i]);
            return KT_ERROR;
        }
        c->error_pages = xrealloc(c->error_pages, (c->nerror_pages + 1) * sizeof(*c->error_pages));
        c->error_pages[c->nerror_pages++] = (struct error_page){(int)v, new_code, xstrdup(uri)};
    }
    c->error_pages_set = 1;
    return KT_OK;
}

static int set_return(struct parser *p, const struct directive *d, char **a, int n, void *conf)
{
    struct srv_conf *c = conf;
    long v;
    (void)d;
    if (n == 1 && (strncmp(a[0], "http://", 7) == 0 || strncmp(a[0], "https://", 8) == 0 ||
                   strncmp(a[0], "$scheme", 7) == 0)) {
        if (check_vars(p, a[0]) != KT_OK)
            return KT_ERROR;
        c->return_code = 302;
        c->return_text = xstrdup(a[0]);
        return KT_OK;
    }
    if (parse_long(a[0], &v) != KT_OK || v < 0 || v > 999) {
        perr(p, "invalid return code \"%s\"", a[0]);
        return KT_ERROR;
    }
    if (n == 2 && check_vars(p, a[1]) != KT_OK)
        return KT_ERROR;
    c->return_code = (int)v;
    if (n == 2)
        c->return_text = xstrdup(a[1]);
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
            (parse_long(slash, &bits) != KT_OK || bits > (r.family == AF_INET ? 32 : 128))) {
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
    c->ssl_prefer_server_ciphers = c->ssl_session_tickets = c->tcp_nodelay = c->server_tokens =
        CONF_UNSET;
    c->keepalive_timeout = c->client_header_timeout = c->send_timeout = c->ssl_session_timeout =
        CONF_UNSET;
    c->expires = c->autoindex = c->return_code = c->gzip_static = c->gzip_vary = c->brotli_static =
        CONF_UNSET;
    c->disable_symlinks = c->etag = c->if_modified_since = c->max_ranges = CONF_UNSET;
    c->client_max_body_size = CONF_UNSET;
    c->large_header_bufs = CONF_UNSET;
    c->large_header_size = CONF_UNSET;
    c->ssl_buffer_size = c->ssl_early_data = c->ssl_stapling = c->ssl_stapling_verify = CONF_UNSET;
    c->ssl_verify_client = c->ssl_verify_depth = c->ktls_zerocopy_sendfile = CONF_UNSET;
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

#define SRV(field) TARGET_SRV, 0, 0, NULL, offsetof(struct srv_conf, field)
#define HS (CTX_HTTP | CTX_SERVER)
#define HSL (CTX_HTTP | CTX_SERVER | CTX_LOC)
#define BLOCK -2

/* The directive table. amin/amax count arguments after the name; amax BLOCK
 * marks a block directive ("name {"). */
static const struct directive directives[] = {
    {"worker_processes", CTX_MAIN, TARGET_MAIN, 1, 1, set_worker_processes,
     offsetof(struct config, worker_processes), 1, 1024},
    {"error_log", CTX_MAIN, TARGET_MAIN, 1, 2, set_error_log, 0, 0, 0},
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
    {"access_log", HSL, TARGET_SRV, 1, 4, set_access_log, 0, 0, 0},
    {"sendfile", HSL, TARGET_SRV, 1, 1, set_flag, offsetof(struct srv_conf, sendfile), 0, 0},
    {"ktls", HS, TARGET_SRV, 1, 1, set_flag, offsetof(struct srv_conf, ktls), 0, 0},
    {"tcp_nodelay", HSL, TARGET_SRV, 1, 1, set_flag, offsetof(struct srv_conf, tcp_nodelay), 0, 0},
    {"server_tokens", HSL, TARGET_SRV, 1, 1, set_flag, offsetof(struct srv_conf, server_tokens), 0,
     0},
    {"keepalive_timeout", HSL, TARGET_SRV, 1, 2, set_time,
     offsetof(struct srv_conf, keepalive_timeout), 0, 86400},
    {"keepalive_requests", HSL, TARGET_SRV, 1, 1, set_num,
     offsetof(struct srv_conf, keepalive_requests), 0, INT_MAX},
    {"client_header_timeout", HS, TARGET_SRV, 1, 1, set_time,
     offsetof(struct srv_conf, client_header_timeout), 0, 86400},
    {"send_timeout", HSL, TARGET_SRV, 1, 1, set_time, offsetof(struct srv_conf, send_timeout), 0,
     86400},
    {"root", HSL, TARGET_SRV, 1, 1, set_dir, offsetof(struct srv_conf, root), 0, 0},
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
    {"ssl_session_timeout", HS, TARGET_SRV, 1, 1, set_time,
     offsetof(struct srv_conf, ssl_session_timeout), 0, 86400 * 7},
    {"listen", CTX_SERVER, TARGET_SERVER, 1, 8, set_listen, 0, 0, 0},
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
    {"expires", HSL, TARGET_SRV, 1, 2, set_expires, 0, 0, 0},
    {"add_header", HSL, TARGET_SRV, 2, 3, set_add_header, 0, 0, 0},
    {"autoindex", HSL, TARGET_SRV, 1, 1, set_flag, offsetof(struct srv_conf, autoindex), 0, 0},
    {"error_page", HSL, TARGET_SRV, 2, 32, set_error_page, 0, 0, 0},
    {"return", CTX_SERVER | CTX_LOC, TARGET_SRV, 1, 2, set_return, 0, 0, 0},
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
    {"ktlsd_status", CTX_LOC, TARGET_SRV, 0, 0, set_on, offsetof(struct srv_conf, status_page), 0,
     0},
    {"allow", HSL, TARGET_SRV, 1, 1, set_access, 0, 0, 0},
    {"deny", HSL, TARGET_SRV, 1, 1, set_access, 0, 0, 0},
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
        if (p->pos < p->len && !strchr(" \t\r\n;{}", b[p->pos])) {
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
    else if (ctx == CTX_LOC)
        target = &((struct location *)conf)->c;
    else
        target = conf;
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
    if (c->expires == CONF_UNSET)
        c->expires_time = parent->expires_time;
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
}

/* Compiles the values that take variables, once merged (their names were
 * checked, with FILE:LINE, as they were read). */
static int compile_values(struct srv_conf *c, char *err, size_t errlen)
{
    const char *dir = c->alias != NULL ? c->alias : c->root;
    if (c->return_text != NULL &&
        (c->return_tpl = vars_compile(c->return_text, err, errlen)) == NULL)
        return KT_ERROR;
    if (dir != NULL && (c->dir_tpl = vars_compile(dir, err, errlen)) == NULL)
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
                         "%s:%d: no \"ssl_certificate%s\" is defined for the \"listen ... ssl\" "
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

struct config *config_load(const char *path, char *err, size_t errlen)
{
    struct config *cf = xcalloc(1, sizeof(*cf));
    struct parser top = {.cf = cf, .err = err, .errlen = errlen};

    cf->path = xstrdup(path);
    cf->worker_processes = 1;
    cf->error_log_level = LL_ERR;
    cf->worker_connections = 512;
    srv_conf_init(&cf->http);
    vars_reset_captures();
    if (parse_file(&top, path, CTX_MAIN, cf) != KT_OK)
        goto fail;
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
            if (compile_values(&l->c, err, errlen) != KT_OK)
                goto fail;
        }
        if (compile_values(&s->c, err, errlen) != KT_OK)
            goto fail;
    }
    if (check(cf, err, errlen) != KT_OK)
        goto fail;
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
    free(c->return_text);
    free(c->access);
    vars_tpl_free(c->return_tpl);
    vars_tpl_free(c->dir_tpl);
    for (size_t i = 0; c->try_tpl != NULL && i < c->ntry_files; i++)
        vars_tpl_free(c->try_tpl[i]);
    free(c->try_tpl);
    if (c->types_set)
        mime_table_free(c->types);
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
            static_dir_close(&l->dir);
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
        free(s->listens);
        if (s->ssl_ctx != NULL)
            SSL_CTX_free(s->ssl_ctx);
        static_dir_close(&s->dir);
        access_log_close(s->access_log);
        free(s);
    }
    free(cf->servers);
    srv_conf_free(&cf->http);
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
    free(cf->user);
    free(cf->group);
    free(cf);
}
