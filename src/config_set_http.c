/* config_set_http.c: the setters of connection, file-answer and
 * compression directives that need more than a plain kind. */
#include "config_int.h"
#include "util.h"
#include "value.h"
#include "vars.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define PCRE2_CODE_UNIT_WIDTH 8
#include <pcre2.h>

/* keepalive_timeout TIMEOUT [HEADER_TIMEOUT]: the second value is sent as
 * "Keep-Alive: timeout=N" (nginx). */
int conf_set_keepalive_timeout(struct conf_parser *p, const struct conf_directive *d, char **a,
                               int n, void *conf)
{
    struct srv_conf *c = conf;
    if (conf_set_time(p, d, a, 1, conf) != KT_OK)
        return KT_ERROR;
    if (n == 2 &&
        (value_time(a[1], &c->keepalive_header) != KT_OK || c->keepalive_header > 86400)) {
        conf_perr(p, "invalid time \"%s\" in \"%s\" directive", a[1], d->name);
        return KT_ERROR;
    }
    return KT_OK;
}

/* large_client_header_buffers NUMBER SIZE (http.c applies them). Sizes
 * past the 16 KiB read buffer are allowed, as nginx allows them; the read
 * buffer is then the limit. */
int conf_set_large_header_buffers(struct conf_parser *p, const struct conf_directive *d, char **a,
                                  int n, void *conf)
{
    struct srv_conf *c = conf;
    long num;
    long long size;
    (void)n;
    if (value_long(a[0], &num) != KT_OK || num < 1 || num > 1024 ||
        value_size(a[1], &size) != KT_OK || size < 1 || size > 1024 * 1024) {
        conf_perr(p, "invalid value \"%s %s\" in \"%s\" directive", a[0], a[1], d->name);
        return KT_ERROR;
    }
    c->large_header_bufs = (int)num;
    c->large_header_size = size;
    return KT_OK;
}

/* http2_chunk_size: a size, and not zero (nginx's "the http2 chunk size
 * cannot be zero"); h2.c caps it at one TLS record's payload. */
int conf_set_http2_chunk_size(struct conf_parser *p, const struct conf_directive *d, char **a,
                              int n, void *conf)
{
    if (conf_set_size(p, d, a, n, conf) != KT_OK)
        return KT_ERROR;
    if (*(long long *)((char *)conf + d->off) == 0) {
        conf_perr(p, "the http2 chunk size cannot be zero");
        return KT_ERROR;
    }
    return KT_OK;
}

/* open_file_cache off | max=N [inactive=TIME] (nginx's syntax). */
int conf_set_open_file_cache(struct conf_parser *p, const struct conf_directive *d, char **a, int n,
                             void *conf)
{
    struct fdcache_conf *c = &((struct srv_conf *)conf)->open_file_cache;
    (void)d;
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
            conf_perr(p, "invalid \"open_file_cache\" parameter \"%s\"", a[i]);
            return KT_ERROR;
        }
    }
    if (c->max == 0) {
        conf_perr(p, "\"open_file_cache\" must have the \"max\" parameter");
        return KT_ERROR;
    }
    return KT_OK;
}

/* gzip_static off | on | always (the row's words); brotli_static has no
 * "always". */
int conf_set_static(struct conf_parser *p, const struct conf_directive *d, char **a, int n,
                    void *conf)
{
    if (strcmp(d->name, "brotli_static") == 0 && strcmp(a[0], "always") == 0) {
        conf_perr(p,
                  "invalid value \"always\" in \"brotli_static\" directive, it must be \"on\" or "
                  "\"off\"");
        return KT_ERROR;
    }
    return conf_set_enum(p, d, a, n, conf);
}

/* disable_symlinks off | on | if_not_owner (the row's words), without from=. */
int conf_set_symlinks(struct conf_parser *p, const struct conf_directive *d, char **a, int n,
                      void *conf)
{
    if (n > 1) {
        conf_perr(p, "\"from=\" in \"disable_symlinks\" is not supported by ktlsd");
        return KT_ERROR;
    }
    return conf_set_enum(p, d, a, n, conf);
}

int conf_set_expires(struct conf_parser *p, const struct conf_directive *d, char **a, int n,
                     void *conf)
{
    struct srv_conf *c = conf;
    const char *v = a[0];
    int modified = 0;
    (void)d;
    if (n == 2) {
        if (strcmp(a[0], "modified") != 0) {
            conf_perr(p, "invalid value \"%s\" in \"expires\" directive", a[0]);
            return KT_ERROR;
        }
        modified = 1; /* from the file's Last-Modified */
        v = a[1];
    }
    if (vars_any(v)) { /* valued per response (h5bp: "expires $expires" with a map) */
        if (conf_check_vars(p, v) != KT_OK)
            return KT_ERROR;
        c->expires = EXPIRES_VAR;
        c->expires_var = xstrdup(v);
        return KT_OK;
    }
    if (*v == '@') { /* a time of day: the next one (local time) */
        if (modified) {
            conf_perr(p, "daily time cannot be used with \"modified\" parameter");
            return KT_ERROR;
        }
        if (value_time(v + 1, &c->expires_time) != KT_OK) {
            conf_perr(p, "invalid value \"%s\" in \"expires\" directive", v);
            return KT_ERROR;
        }
        if (c->expires_time >= 86400) {
            conf_perr(p, "daily time value must be less than 24 hours");
            return KT_ERROR;
        }
        c->expires = EXPIRES_DAILY;
        return KT_OK;
    }
    if (value_expires(v, &c->expires, &c->expires_time) != KT_OK) {
        conf_perr(p, "invalid value \"%s\" in \"expires\" directive", v);
        return KT_ERROR;
    }
    if (modified && c->expires == EXPIRES_TIME)
        c->expires = EXPIRES_MODIFIED;
    return KT_OK;
}

int conf_set_add_header(struct conf_parser *p, const struct conf_directive *d, char **a, int n,
                        void *conf)
{
    struct srv_conf *c = conf;
    (void)d;
    if (n == 3 && strcmp(a[2], "always") != 0) {
        conf_perr(p, "invalid parameter \"%s\" in \"add_header\" directive", a[2]);
        return KT_ERROR;
    }
    if (conf_check_vars(p, a[1]) != KT_OK)
        return KT_ERROR;
    for (const char *q = a[0]; *q; q++)
        if (*q <= ' ' || *q == ':' || *q >= 0x7f) {
            conf_perr(p, "invalid header name \"%s\" in \"add_header\" directive", a[0]);
            return KT_ERROR;
        }
    for (const char *q = a[1]; *q; q++)
        if (*q == '\r' || *q == '\n') {
            conf_perr(p, "invalid header value in \"add_header\" directive");
            return KT_ERROR;
        }
    c->add_headers = xrealloc(c->add_headers, (c->nadd_headers + 1) * sizeof(*c->add_headers));
    c->add_headers[c->nadd_headers++] =
        (struct add_header){xstrdup(a[0]), xstrdup(a[1]), n == 3, NULL};
    c->add_headers_set = 1;
    return KT_OK;
}

int conf_set_error_page(struct conf_parser *p, const struct conf_directive *d, char **a, int n,
                        void *conf)
{
    struct srv_conf *c = conf;
    const char *uri = a[n - 1];
    int new_code = 0, ncodes = n - 1;
    long v;
    (void)d;
    if (a[n - 2][0] == '=') {
        ncodes--;
        if (a[n - 2][1] != '\0' && (value_long(a[n - 2] + 1, &v) != KT_OK || v < 200 || v > 599)) {
            conf_perr(p, "invalid value \"%s\" in \"error_page\" directive", a[n - 2]);
            return KT_ERROR;
        }
        new_code = a[n - 2][1] ? (int)v : -1; /* "=": the status of the page's own answer */
    }
    if (ncodes < 1 || (uri[0] != '/' && uri[0] != '@' && strncmp(uri, "http://", 7) != 0 &&
                       strncmp(uri, "https://", 8) != 0)) {
        conf_perr(p, "invalid URI \"%s\" in \"error_page\" directive", uri);
        return KT_ERROR;
    }
    if (conf_no_variables(p, "error_page", uri) != KT_OK)
        return KT_ERROR;
    for (int i = 0; i < ncodes; i++) {
        if (value_long(a[i], &v) != KT_OK || v < 300 || v > 599) {
            conf_perr(p, "value \"%s\" must be between 300 and 599", a[i]);
            return KT_ERROR;
        }
        c->error_pages = xrealloc(c->error_pages, (c->nerror_pages + 1) * sizeof(*c->error_pages));
        c->error_pages[c->nerror_pages++] = (struct error_page){(int)v, new_code, xstrdup(uri)};
    }
    c->error_pages_set = 1;
    return KT_OK;
}

int conf_set_gzip_proxied(struct conf_parser *p, const struct conf_directive *d, char **a, int n,
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
            conf_perr(p, "invalid value \"%s\" in \"%s\" directive", a[i], d->name);
            return KT_ERROR;
        }
        c->gzip_proxied |= 1 << k;
    }
    return KT_OK;
}

/* gzip_disable REGEX ... | msie6: checked here, compiled once merged. */
int conf_set_gzip_disable(struct conf_parser *p, const struct conf_directive *d, char **a, int n,
                          void *conf)
{
    for (int i = 0; i < n; i++) {
        int rc;
        PCRE2_SIZE off;
        pcre2_code *re;
        if (strcmp(a[i], "msie6") == 0 || strcmp(a[i], "degradation") == 0) {
            if (a[i][0] == 'd') {
                conf_perr(p, "\"degradation\" in \"gzip_disable\" is not supported by ktlsd");
                return KT_ERROR;
            }
            continue;
        }
        re =
            pcre2_compile((PCRE2_SPTR)a[i], PCRE2_ZERO_TERMINATED, PCRE2_CASELESS, &rc, &off, NULL);
        if (re == NULL) {
            PCRE2_UCHAR msg[128];
            pcre2_get_error_message(rc, msg, sizeof(msg));
            conf_perr(p, "pcre2_compile() failed: %s in \"%s\" at \"%s\"", (char *)msg, a[i],
                      a[i] + off);
            return KT_ERROR;
        }
        pcre2_code_free(re);
    }
    return conf_set_list(p, d, a, n, conf);
}

int conf_set_gzip_http_version(struct conf_parser *p, const struct conf_directive *d, char **a,
                               int n, void *conf)
{
    struct srv_conf *c = conf;
    (void)n;
    if (strcmp(a[0], "1.0") != 0 && strcmp(a[0], "1.1") != 0) {
        conf_perr(p, "invalid value \"%s\" in \"%s\" directive", a[0], d->name);
        return KT_ERROR;
    }
    c->gzip_http_version = a[0][2] == '0' ? 10 : 11;
    return KT_OK;
}

/* gzip_buffers NUMBER SIZE: checked, no effect (ktlsd compresses a file in
 * one piece into its cache; nginx's buffers bound streaming compression). */
int conf_set_gzip_buffers(struct conf_parser *p, const struct conf_directive *d, char **a, int n,
                          void *conf)
{
    long num;
    long long size;
    (void)n;
    (void)conf;
    if (value_long(a[0], &num) != KT_OK || num < 1 || value_size(a[1], &size) != KT_OK ||
        size < 1) {
        conf_perr(p, "invalid value \"%s %s\" in \"%s\" directive", a[0], a[1], d->name);
        return KT_ERROR;
    }
    return KT_OK;
}

/* source_charset: ktlsd does not recode; a source charset other than the
 * charset would make nginx recode, so that case is refused. */
int conf_set_source_charset(struct conf_parser *p, const struct conf_directive *d, char **a, int n,
                            void *conf)
{
    struct srv_conf *c = conf;
    (void)d;
    (void)n;
    if (c->charset != NULL && strcmp(c->charset, "off") != 0 && strcasecmp(c->charset, a[0]) != 0) {
        conf_perr(p, "\"source_charset %s\" differs from \"charset %s\": ktlsd does not recode",
                  a[0], c->charset);
        return KT_ERROR;
    }
    return KT_OK;
}
