/* config_set_log.c: error_log, access_log, log_format and their options
 * (log.c and syslog.c apply them). */
#include "config_int.h"
#include "log.h"
#include "syslog.h"
#include "util.h"
#include "value.h"

#include <stdlib.h>
#include <string.h>

/* error_log's "syslog:..." is checked here; "memory:" (nginx's debugging
 * buffer) is refused. */
static int check_log_target(struct conf_parser *p, const char *path)
{
    struct syslog_target t;
    char e[160];
    if (strncmp(path, "memory:", 7) == 0) {
        conf_perr(p, "\"memory:\" error logs are not supported by ktlsd: log to a file, stderr or "
                     "syslog:");
        return KT_ERROR;
    }
    if (strncmp(path, "syslog:", 7) == 0 && syslog_parse(path + 7, &t, e, sizeof(e)) != KT_OK) {
        conf_perr(p, "%s", e);
        return KT_ERROR;
    }
    return KT_OK;
}

int conf_set_error_log(struct conf_parser *p, const struct conf_directive *d, char **a, int n,
                       void *conf)
{
    struct config *cf = conf;
    (void)d;
    if (conf != p->cf) { /* http, server, location: the requests there log to it */
        struct srv_conf *c = conf;
        int level = LL_ERR;
        if (check_log_target(p, a[0]) != KT_OK)
            return KT_ERROR;
        if (c->error_log != NULL) {
            conf_perr(
                p, "\"error_log\" directive is duplicate (ktlsd writes one error log per level)");
            return KT_ERROR;
        }
        if (n == 2 && (level = log_level_parse(a[1])) < 0) {
            conf_perr(p, "invalid log level \"%s\"", a[1]);
            return KT_ERROR;
        }
        c->error_log = xstrdup(a[0]);
        c->error_log_level = level;
        return KT_OK;
    }
    if (check_log_target(p, a[0]) != KT_OK)
        return KT_ERROR;
    if (cf->error_log != NULL) {
        conf_perr(p, "\"error_log\" directive is duplicate");
        return KT_ERROR;
    }
    if (n == 2 && (cf->error_log_level = log_level_parse(a[1])) < 0) {
        conf_perr(p, "invalid log level \"%s\"", a[1]);
        return KT_ERROR;
    }
    cf->error_log = xstrdup(a[0]);
    return KT_OK;
}

/* access_log's buffer=SIZE, flush=TIME, gzip[=LEVEL], if=CONDITION (log.c) */
static int access_log_option(struct conf_parser *p, struct srv_conf *c, const char *o)
{
    long long size;
    long v;
    if (strncmp(o, "buffer=", 7) == 0) {
        if (value_size(o + 7, &size) != KT_OK || size < 1 || size > 64 * 1024 * 1024) {
            conf_perr(p, "invalid buffer size \"%s\"", o + 7);
            return KT_ERROR;
        }
        c->access_log_buffer = size;
    } else if (strncmp(o, "flush=", 6) == 0) {
        if (value_time(o + 6, &c->access_log_flush) != KT_OK || c->access_log_flush <= 0) {
            conf_perr(p, "invalid flush time \"%s\"", o + 6);
            return KT_ERROR;
        }
    } else if (strcmp(o, "gzip") == 0) {
        c->access_log_gzip = 1;
    } else if (strncmp(o, "gzip=", 5) == 0) {
        if (value_long(o + 5, &v) != KT_OK || v < 1 || v > 9) {
            conf_perr(p, "invalid compression level \"%s\"", o + 5);
            return KT_ERROR;
        }
        c->access_log_gzip = (int)v;
    } else if (strncmp(o, "if=", 3) == 0) {
        if (o[3] == '\0' || conf_check_vars(p, o + 3) != KT_OK) {
            if (o[3] == '\0')
                conf_perr(p, "invalid parameter \"%s\" in \"access_log\" directive", o);
            return KT_ERROR;
        }
        free(c->access_log_if);
        c->access_log_if = xstrdup(o + 3);
    } else {
        conf_perr(p, "invalid parameter \"%s\" in \"access_log\" directive", o);
        return KT_ERROR;
    }
    return KT_OK;
}

int conf_set_access_log(struct conf_parser *p, const struct conf_directive *d, char **a, int n,
                        void *conf)
{
    struct srv_conf *c = conf;
    (void)d;
    if (c->access_log_path != NULL) {
        conf_perr(p,
                  "\"access_log\" directive is duplicate (ktlsd writes one access log per server)");
        return KT_ERROR;
    }
    if (strchr(a[0], '$') != NULL) {
        conf_perr(p, "variables in \"access_log\" paths are not supported by ktlsd");
        return KT_ERROR;
    }
    if (strncmp(a[0], "syslog:", 7) == 0) {
        struct syslog_target t;
        char e[160];
        if (syslog_parse(a[0] + 7, &t, e, sizeof(e)) != KT_OK) {
            conf_perr(p, "%s", e);
            return KT_ERROR;
        }
        for (int i = 2; i < n; i++)
            if (strncmp(a[i], "buffer=", 7) == 0 || strncmp(a[i], "flush=", 6) == 0 ||
                strncmp(a[i], "gzip", 4) == 0) {
                conf_perr(p, "logs to syslog cannot be buffered");
                return KT_ERROR;
            }
    }
    if (strcmp(a[0], "off") == 0 && n > 1) {
        conf_perr(p, "invalid parameter \"%s\" in \"access_log off\"", a[1]);
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
            conf_perr(p, "unknown log format \"%s\"", a[1]);
            return KT_ERROR;
        }
    }
    c->access_log_path = xstrdup(a[0]);
    if (n >= 2)
        c->access_log_format = xstrdup(a[1]);
    return KT_OK;
}

int conf_set_log_format(struct conf_parser *p, const struct conf_directive *d, char **a, int n,
                        void *conf)
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
        conf_perr(p, "duplicate \"log_format\" name \"combined\"");
        return KT_ERROR;
    }
    for (size_t i = 0; i < cf->nformats; i++)
        if (strcmp(log_format_name(cf->formats[i].fmt), a[0]) == 0) {
            conf_perr(p, "duplicate \"log_format\" name \"%s\"", a[0]);
            return KT_ERROR;
        }
    if (strncmp(a[1], "escape=", 7) == 0) {
        escape = strcmp(a[1] + 7, "default") == 0 ? LOG_ESCAPE_DEFAULT
                 : strcmp(a[1] + 7, "json") == 0  ? LOG_ESCAPE_JSON
                 : strcmp(a[1] + 7, "none") == 0  ? LOG_ESCAPE_NONE
                                                  : -1;
        if (escape < 0) {
            conf_perr(p, "unknown log format escaping \"%s\"", a[1] + 7);
            return KT_ERROR;
        }
        first = 2; /* the name stays a[0] */
        if (n < 3) {
            conf_perr(p, "invalid number of arguments in \"log_format\" directive");
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
        conf_perr(p, "%s", err);
        return KT_ERROR;
    }
    log_format_set_escape(f, (enum log_escape)escape);
    cf->formats = xrealloc(cf->formats, (cf->nformats + 1) * sizeof(*cf->formats));
    cf->formats[cf->nformats++] = (struct named_format){f, conf_keep_string(cf, p->file), p->line};
    return KT_OK;
}

/* open_log_file_cache: ktlsd opens each access log once per configuration
 * (no variables in log paths), so there is nothing to cache. */
int conf_set_open_log_file_cache(struct conf_parser *p, const struct conf_directive *d, char **a,
                                 int n, void *conf)
{
    (void)conf;
    if (n == 1 && strcmp(a[0], "off") == 0)
        return KT_OK;
    for (int i = 0; i < n; i++)
        if (strncmp(a[i], "max=", 4) != 0 && strncmp(a[i], "inactive=", 9) != 0 &&
            strncmp(a[i], "min_uses=", 9) != 0 && strncmp(a[i], "valid=", 6) != 0) {
            conf_perr(p, "invalid parameter \"%s\" in \"%s\" directive", a[i], d->name);
            return KT_ERROR;
        }
    return KT_OK;
}
