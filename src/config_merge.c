/* config_merge.c: a level's settings initialised, merged and freed by
 * walking the directive table (nginx's merge_srv_conf, done once for every
 * row by its kind), the hooks of the rows that need more, and the values
 * compiled once merged. */
#include "config_int.h"
#include "log.h"
#include "mime.h"
#include "rewrite.h"
#include "util.h"
#include "vars.h"

#include <stdlib.h>
#include <string.h>

#define PCRE2_CODE_UNIT_WIDTH 8
#include <pcre2.h>

#define FIELD(conf, off, type) ((type *)((char *)(conf) + (off)))
#define PFIELD(conf, off, type) ((const type *)((const char *)(conf) + (off)))

/* --- the walk: every TARGET_SRV row, by its kind ------------------------- */

void conf_srv_init(struct srv_conf *c)
{
    memset(c, 0, sizeof(*c)); /* strings NULL, lists empty */
    for (size_t i = 0; i < conf_ndirectives; i++) {
        const struct conf_directive *d = &conf_directives[i];
        if (d->target != TARGET_SRV)
            continue;
        if (d->kind == CK_INT)
            *FIELD(c, d->off, int) = CONF_UNSET;
        else if (d->kind == CK_SIZE)
            *FIELD(c, d->off, long long) = CONF_UNSET;
        else if (d->kind == CK_TIME)
            *FIELD(c, d->off, double) = CONF_UNSET;
        if (d->hooks != NULL && d->hooks->init != NULL)
            d->hooks->init(c);
    }
}

static void list_copy(char ***dst, size_t *ndst, char *const *src, size_t nsrc)
{
    *dst = xcalloc(nsrc, sizeof(char *));
    for (size_t i = 0; i < nsrc; i++)
        (*dst)[i] = xstrdup(src[i]);
    *ndst = nsrc;
}

/* nginx's ngx_conf_merge_*_value: what the level did not set comes from
 * its parent, else the row's default. A list is taken whole. */
static void merge_field(const struct conf_directive *d, struct srv_conf *c,
                        const struct srv_conf *parent)
{
    size_t off = d->off;
    if (d->kind == CK_INT && *FIELD(c, off, int) == CONF_UNSET) {
        int v = *PFIELD(parent, off, int);
        *FIELD(c, off, int) = v != CONF_UNSET ? v : (int)d->dflt;
    } else if (d->kind == CK_SIZE && *FIELD(c, off, long long) == CONF_UNSET) {
        long long v = *PFIELD(parent, off, long long);
        *FIELD(c, off, long long) = v != CONF_UNSET ? v : d->dflt;
    } else if (d->kind == CK_TIME && *FIELD(c, off, double) == CONF_UNSET) {
        double v = *PFIELD(parent, off, double);
        *FIELD(c, off, double) = v != CONF_UNSET ? v : (double)d->dflt;
    } else if (d->kind == CK_STR && *FIELD(c, off, char *) == NULL) {
        const char *v = *PFIELD(parent, off, char *);
        if (v != NULL || d->dflt_str != NULL)
            *FIELD(c, off, char *) = xstrdup(v != NULL ? v : d->dflt_str);
    } else if (d->kind == CK_LIST && *FIELD(c, d->count_off, size_t) == 0) {
        size_t n = *PFIELD(parent, d->count_off, size_t);
        char *const dflt[1] = {(char *)d->dflt_str};
        if (n > 0)
            list_copy(FIELD(c, off, char **), FIELD(c, d->count_off, size_t),
                      *(char **const *)((const char *)parent + off), n);
        else if (d->dflt_str != NULL)
            list_copy(FIELD(c, off, char **), FIELD(c, d->count_off, size_t), dflt, 1);
    }
}

/* A level takes from its parent (http{} for a server, the server for a
 * location, the level for its "if"s) what it does not set itself, then the
 * defaults (nginx's merge_srv_conf and merge_loc_conf). */
void conf_srv_merge(struct srv_conf *c, const struct srv_conf *parent)
{
    for (size_t i = 0; i < conf_ndirectives; i++) {
        const struct conf_directive *d = &conf_directives[i];
        if (d->target != TARGET_SRV)
            continue;
        if (d->hooks != NULL && d->hooks->merge != NULL)
            d->hooks->merge(c, parent);
        if (!(d->flags & CF_NOMERGE))
            merge_field(d, c, parent);
    }
}

static void list_free(char **v, size_t n)
{
    for (size_t i = 0; i < n; i++)
        free(v[i]);
    free(v);
}

/* The values compile_values made. */
static void compiled_free(struct srv_conf *c)
{
    vars_tpl_free(c->dir_tpl);
    vars_tpl_free(c->expires_tpl);
    for (size_t i = 0; c->try_tpl != NULL && i < c->ntry_files; i++)
        vars_tpl_free(c->try_tpl[i]);
    free(c->try_tpl);
    for (size_t i = 0; c->gzip_disable_re != NULL && i < c->ngzip_disable; i++)
        pcre2_code_free(c->gzip_disable_re[i]);
    free(c->gzip_disable_re);
}

void conf_srv_free(struct srv_conf *c)
{
    compiled_free(c);
    for (size_t i = 0; i < conf_ndirectives; i++) {
        const struct conf_directive *d = &conf_directives[i];
        if (d->target != TARGET_SRV)
            continue;
        if (d->hooks != NULL && d->hooks->free != NULL)
            d->hooks->free(c);
        if (d->kind == CK_STR)
            free(*FIELD(c, d->off, char *));
        else if (d->kind == CK_LIST)
            list_free(*FIELD(c, d->off, char **), *FIELD(c, d->count_off, size_t));
    }
}

/* struct config's own fields (TARGET_MAIN rows): no parent, the default at
 * once. */
void conf_main_init(struct config *cf)
{
    for (size_t i = 0; i < conf_ndirectives; i++) {
        const struct conf_directive *d = &conf_directives[i];
        if (d->target != TARGET_MAIN)
            continue;
        if (d->kind == CK_INT)
            *FIELD(cf, d->off, int) = (int)d->dflt;
        else if (d->kind == CK_SIZE)
            *FIELD(cf, d->off, long long) = d->dflt;
        else if (d->kind == CK_TIME)
            *FIELD(cf, d->off, double) = (double)d->dflt;
    }
    cf->error_log_level = LL_ERR; /* error_log's row is TARGET_SRV: its setter fills both */
}

void conf_main_free(struct config *cf)
{
    for (size_t i = 0; i < conf_ndirectives; i++) {
        const struct conf_directive *d = &conf_directives[i];
        if (d->target == TARGET_MAIN && d->kind == CK_STR)
            free(*FIELD(cf, d->off, char *));
    }
}

/* --- the hooks of rows whose fields need more than their kind ------------ */

#define MERGE(field, dflt)                                                                         \
    do {                                                                                           \
        if (c->field == CONF_UNSET)                                                                \
            c->field = parent->field != CONF_UNSET ? parent->field : (dflt);                       \
    } while (0)

/* keepalive_timeout's second value: "Keep-Alive: timeout=N" */
static void keepalive_init(struct srv_conf *c)
{
    c->keepalive_header = CONF_UNSET;
}

static void keepalive_merge(struct srv_conf *c, const struct srv_conf *parent)
{
    MERGE(keepalive_header, 0);
}

const struct conf_hooks conf_hooks_keepalive = {keepalive_init, keepalive_merge, NULL};

/* large_client_header_buffers NUMBER SIZE: the size */
static void large_header_init(struct srv_conf *c)
{
    c->large_header_size = CONF_UNSET;
}

static void large_header_merge(struct srv_conf *c, const struct srv_conf *parent)
{
    MERGE(large_header_size, 8192);
}

const struct conf_hooks conf_hooks_large_header = {large_header_init, large_header_merge, NULL};

/* http2_idle_timeout set nowhere: keepalive_timeout, merged by then (its
 * row comes first). */
static void http2_idle_merge(struct srv_conf *c, const struct srv_conf *parent)
{
    if (c->http2_idle_timeout == CONF_UNSET && parent->http2_idle_timeout == CONF_UNSET)
        c->http2_idle_timeout = c->keepalive_timeout;
}

const struct conf_hooks conf_hooks_http2_idle = {NULL, http2_idle_merge, NULL};

/* ssl_session_cache's sizes and zone go with it */
static void ssl_session_cache_merge(struct srv_conf *c, const struct srv_conf *parent)
{
    if (c->ssl_session_cache != CONF_UNSET)
        return;
    c->ssl_cache_builtin = parent->ssl_session_cache != CONF_UNSET ? parent->ssl_cache_builtin : -1;
    c->ssl_cache_zone = parent->ssl_cache_zone ? xstrdup(parent->ssl_cache_zone) : NULL;
    c->ssl_cache_zone_size = parent->ssl_cache_zone_size;
}

static void ssl_session_cache_free(struct srv_conf *c)
{
    free(c->ssl_cache_zone);
}

const struct conf_hooks conf_hooks_ssl_session_cache = {NULL, ssl_session_cache_merge,
                                                        ssl_session_cache_free};

/* the certificate list goes whole, with its keys (nginx); both rows are
 * CF_NOMERGE, and the lists are freed by their kind */
static void ssl_certificate_merge(struct srv_conf *c, const struct srv_conf *parent)
{
    if (c->nssl_certificate != 0 || c->nssl_certificate_key != 0)
        return;
    if (parent->nssl_certificate != 0)
        list_copy(&c->ssl_certificate, &c->nssl_certificate, parent->ssl_certificate,
                  parent->nssl_certificate);
    if (parent->nssl_certificate_key != 0)
        list_copy(&c->ssl_certificate_key, &c->nssl_certificate_key, parent->ssl_certificate_key,
                  parent->nssl_certificate_key);
}

const struct conf_hooks conf_hooks_ssl_certificate = {NULL, ssl_certificate_merge, NULL};

/* Lists of structs: a level that sets any replaces the inherited ones
 * (nginx). */
static void ssl_conf_command_merge(struct srv_conf *c, const struct srv_conf *parent)
{
    if (c->ssl_conf_cmds_set || parent->nssl_conf_cmds == 0)
        return;
    c->ssl_conf_cmds = xcalloc(parent->nssl_conf_cmds, sizeof(*c->ssl_conf_cmds));
    for (size_t i = 0; i < parent->nssl_conf_cmds; i++)
        c->ssl_conf_cmds[i] = (struct conf_cmd){xstrdup(parent->ssl_conf_cmds[i].name),
                                                xstrdup(parent->ssl_conf_cmds[i].value)};
    c->nssl_conf_cmds = parent->nssl_conf_cmds;
}

static void ssl_conf_command_free(struct srv_conf *c)
{
    for (size_t i = 0; i < c->nssl_conf_cmds; i++) {
        free(c->ssl_conf_cmds[i].name);
        free(c->ssl_conf_cmds[i].value);
    }
    free(c->ssl_conf_cmds);
}

const struct conf_hooks conf_hooks_ssl_conf_command = {NULL, ssl_conf_command_merge,
                                                       ssl_conf_command_free};

/* access_log: the path is the row's string; an inherited log brings its
 * format and options (buffer= unset: no access_log at this level). */
static void access_log_init(struct srv_conf *c)
{
    c->access_log_buffer = CONF_UNSET;
}

static void access_log_merge(struct srv_conf *c, const struct srv_conf *parent)
{
    if (c->access_log_path == NULL && parent->access_log_format != NULL)
        c->access_log_format = xstrdup(parent->access_log_format);
    if (c->access_log_buffer != CONF_UNSET)
        return;
    c->access_log_buffer = parent->access_log_buffer != CONF_UNSET ? parent->access_log_buffer : 0;
    c->access_log_flush = parent->access_log_buffer != CONF_UNSET ? parent->access_log_flush : 0;
    c->access_log_gzip = parent->access_log_buffer != CONF_UNSET ? parent->access_log_gzip : 0;
    if (c->access_log_if == NULL && parent->access_log_if != NULL)
        c->access_log_if = xstrdup(parent->access_log_if);
}

static void access_log_free(struct srv_conf *c)
{
    free(c->access_log_format);
    free(c->access_log_if);
}

const struct conf_hooks conf_hooks_access_log = {access_log_init, access_log_merge,
                                                 access_log_free};

/* error_log of http, server, location: the path with its level */
static void error_log_merge(struct srv_conf *c, const struct srv_conf *parent)
{
    if (c->error_log == NULL && parent->error_log != NULL) {
        c->error_log = xstrdup(parent->error_log);
        c->error_log_level = parent->error_log_level;
    }
}

static void error_log_free(struct srv_conf *c)
{
    free(c->error_log);
}

const struct conf_hooks conf_hooks_error_log = {NULL, error_log_merge, error_log_free};

/* expires: its time and "$var" go with it */
static void expires_merge(struct srv_conf *c, const struct srv_conf *parent)
{
    if (c->expires != CONF_UNSET)
        return;
    c->expires_time = parent->expires_time;
    if (parent->expires_var != NULL)
        c->expires_var = xstrdup(parent->expires_var);
}

static void expires_free(struct srv_conf *c)
{
    free(c->expires_var);
}

const struct conf_hooks conf_hooks_expires = {NULL, expires_merge, expires_free};

/* open_file_cache max=N inactive=T: the pair goes together */
static void open_file_cache_init(struct srv_conf *c)
{
    c->open_file_cache.inactive = CONF_UNSET;
}

static void open_file_cache_merge(struct srv_conf *c, const struct srv_conf *parent)
{
    if (c->open_file_cache.max == CONF_UNSET)
        c->open_file_cache.inactive =
            parent->open_file_cache.inactive != CONF_UNSET ? parent->open_file_cache.inactive : 60;
}

const struct conf_hooks conf_hooks_open_file_cache = {open_file_cache_init, open_file_cache_merge,
                                                      NULL};

static void add_header_merge(struct srv_conf *c, const struct srv_conf *parent)
{
    if (c->add_headers_set || parent->nadd_headers == 0)
        return;
    c->add_headers = xcalloc(parent->nadd_headers, sizeof(*c->add_headers));
    for (size_t i = 0; i < parent->nadd_headers; i++)
        c->add_headers[i] = (struct add_header){xstrdup(parent->add_headers[i].name),
                                                xstrdup(parent->add_headers[i].value),
                                                parent->add_headers[i].always, NULL};
    c->nadd_headers = parent->nadd_headers;
}

static void add_header_free(struct srv_conf *c)
{
    for (size_t i = 0; i < c->nadd_headers; i++) {
        free(c->add_headers[i].name);
        free(c->add_headers[i].value);
        vars_tpl_free(c->add_headers[i].tpl);
    }
    free(c->add_headers);
}

const struct conf_hooks conf_hooks_add_header = {NULL, add_header_merge, add_header_free};

static void error_page_merge(struct srv_conf *c, const struct srv_conf *parent)
{
    if (c->error_pages_set || parent->nerror_pages == 0)
        return;
    c->error_pages = xcalloc(parent->nerror_pages, sizeof(*c->error_pages));
    for (size_t i = 0; i < parent->nerror_pages; i++)
        c->error_pages[i] =
            (struct error_page){parent->error_pages[i].code, parent->error_pages[i].new_code,
                                xstrdup(parent->error_pages[i].uri)};
    c->nerror_pages = parent->nerror_pages;
}

static void error_page_free(struct srv_conf *c)
{
    for (size_t i = 0; i < c->nerror_pages; i++)
        free(c->error_pages[i].uri);
    free(c->error_pages);
}

const struct conf_hooks conf_hooks_error_page = {NULL, error_page_merge, error_page_free};

/* A list of plain structs, copied whole when the level sets none. */
static void *copy_structs(const void *src, size_t n, size_t size)
{
    void *dst = xcalloc(n, size);
    memcpy(dst, src, n * size);
    return dst;
}

/* allow and deny, in one list */
static void access_merge(struct srv_conf *c, const struct srv_conf *parent)
{
    if (c->access_set || parent->naccess == 0)
        return;
    c->access = copy_structs(parent->access, parent->naccess, sizeof(*c->access));
    c->naccess = parent->naccess;
}

static void access_free(struct srv_conf *c)
{
    free(c->access);
}

const struct conf_hooks conf_hooks_access = {NULL, access_merge, access_free};

static void limit_conn_merge(struct srv_conf *c, const struct srv_conf *parent)
{
    if (c->limit_conns_set || parent->nlimit_conns == 0)
        return;
    c->limit_conns =
        copy_structs(parent->limit_conns, parent->nlimit_conns, sizeof(*c->limit_conns));
    c->nlimit_conns = parent->nlimit_conns;
}

static void limit_conn_free(struct srv_conf *c)
{
    free(c->limit_conns);
}

const struct conf_hooks conf_hooks_limit_conn = {NULL, limit_conn_merge, limit_conn_free};

static void limit_req_merge(struct srv_conf *c, const struct srv_conf *parent)
{
    if (c->limit_reqs_set || parent->nlimit_reqs == 0)
        return;
    c->limit_reqs = copy_structs(parent->limit_reqs, parent->nlimit_reqs, sizeof(*c->limit_reqs));
    c->nlimit_reqs = parent->nlimit_reqs;
}

static void limit_req_free(struct srv_conf *c)
{
    free(c->limit_reqs);
}

const struct conf_hooks conf_hooks_limit_req = {NULL, limit_req_merge, limit_req_free};

/* types { }: shared with the levels below, owned by the level that set it */
static void types_merge(struct srv_conf *c, const struct srv_conf *parent)
{
    if (!c->types_set && parent->types != NULL)
        c->types = parent->types;
}

static void types_free(struct srv_conf *c)
{
    if (c->types_set)
        mime_table_free(c->types);
}

const struct conf_hooks conf_hooks_types = {NULL, types_merge, types_free};

/* the level's rewrite steps (return, rewrite, set, break, if), not
 * inherited; an "if" holds a level of its own */
static void rewrite_steps_free(struct srv_conf *c)
{
    for (size_t i = 0; i < c->nrw; i++)
        if (c->rw[i].ifloc != NULL) {
            conf_srv_free(&c->rw[i].ifloc->c);
            free(c->rw[i].ifloc);
        }
    rewrite_free(c->rw, c->nrw);
}

const struct conf_hooks conf_hooks_rewrite = {NULL, NULL, rewrite_steps_free};

/* --- once merged ---------------------------------------------------------- */

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
        conf_srv_merge(&l->c, c);
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

int conf_srv_finish(struct srv_conf *c, char *err, size_t errlen)
{
    if (compile_values(c, err, errlen) != KT_OK)
        return KT_ERROR;
    return merge_ifs(c, err, errlen);
}
