/* config_set_limit.c: limits and access: limit_rate, limit_conn, limit_req
 * and their zones, auth_basic, allow and deny (limit.c, auth.c). */
#include "config_int.h"
#include "limit.h"
#include "log.h"
#include "util.h"
#include "value.h"
#include "vars.h"

#include <arpa/inet.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* A zone by name: the one defined, or a placeholder made by its first use
 * (nginx lets a limit_req name a zone defined further down). */
static struct limit_zone *zone_get(struct conf_parser *p, const char *name, int kind)
{
    struct config *cf = p->cf;
    struct limit_zone *z;
    for (size_t i = 0; i < cf->nzones; i++)
        if (strcmp(cf->zones[i]->name, name) == 0)
            return cf->zones[i];
    z = xcalloc(1, sizeof(*z));
    z->name = xstrdup(name);
    z->kind = kind;
    z->file = conf_keep_string(cf, p->file);
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
int conf_set_limit_zone(struct conf_parser *p, const struct conf_directive *d, char **a, int n,
                        void *conf)
{
    int kind = strcmp(d->name, "limit_conn_zone") == 0 ? LIMIT_CONN : LIMIT_REQ;
    char name[128] = "", err[256];
    long long size = 0;
    long rate = 0;
    struct limit_zone *z;
    (void)conf;
    if (strcmp(a[0], "$binary_remote_addr") != 0 && conf_check_vars(p, a[0]) != KT_OK)
        return KT_ERROR;
    for (int i = 1; i < n; i++) {
        if (strncmp(a[i], "zone=", 5) == 0) {
            const char *colon = strrchr(a[i] + 5, ':');
            size_t len = colon != NULL ? (size_t)(colon - a[i] - 5) : 0;
            if (colon == NULL || len == 0 || len >= sizeof(name) ||
                value_size(colon + 1, &size) != KT_OK) {
                conf_perr(p, "invalid zone size \"%s\"", a[i] + 5);
                return KT_ERROR;
            }
            memcpy(name, a[i] + 5, len);
            name[len] = '\0';
            if (size < 8 * 4096) {
                conf_perr(p, "zone \"%s\" is too small", name);
                return KT_ERROR;
            }
        } else if (kind == LIMIT_REQ && strncmp(a[i], "rate=", 5) == 0) {
            char *end;
            long v = strtol(a[i] + 5, &end, 10);
            if (end == a[i] + 5 || v <= 0 || v > 1000000 ||
                (strcmp(end, "r/s") != 0 && strcmp(end, "r/m") != 0)) {
                conf_perr(p, "invalid rate \"%s\"", a[i]);
                return KT_ERROR;
            }
            rate = strcmp(end, "r/s") == 0 ? v * 1000 : v * 1000 / 60;
            if (rate == 0)
                rate = 1;
        } else if (kind == LIMIT_REQ && strcmp(a[i], "sync") == 0) {
            conf_perr(p, "\"sync\" in \"limit_req_zone\" is not supported by ktlsd (nginx Plus "
                         "only)");
            return KT_ERROR;
        } else {
            conf_perr(p, "invalid parameter \"%s\"", a[i]);
            return KT_ERROR;
        }
    }
    if (name[0] == '\0') {
        conf_perr(p, "\"%s\" must have \"zone\" parameter", d->name);
        return KT_ERROR;
    }
    if (kind == LIMIT_REQ && rate == 0) {
        conf_perr(p, "\"limit_req_zone\" must have \"rate\" parameter");
        return KT_ERROR;
    }
    z = zone_get(p, name, kind);
    if (z->size != 0) {
        conf_perr(p, "duplicate zone \"%s\"", name);
        return KT_ERROR;
    }
    if (z->kind != kind) {
        conf_perr(p, "zone \"%s\" is used by \"%s\" and cannot be a \"%s\"", name,
                  kind == LIMIT_CONN ? "limit_req" : "limit_conn", d->name);
        return KT_ERROR;
    }
    z->binary_addr = strcmp(a[0], "$binary_remote_addr") == 0;
    if (!z->binary_addr && (z->key = vars_compile(a[0], err, sizeof(err))) == NULL) {
        conf_perr(p, "%s", err);
        return KT_ERROR;
    }
    z->key_text = xstrdup(a[0]);
    z->size = (size_t)size;
    z->rate = rate;
    z->file = conf_keep_string(p->cf, p->file);
    z->line = p->line;
    return KT_OK;
}

static int add_limit_use(struct conf_parser *p, struct srv_conf *c, int kind, struct limit_use u)
{
    struct limit_use **list = kind == LIMIT_CONN ? &c->limit_conns : &c->limit_reqs;
    size_t *count = kind == LIMIT_CONN ? &c->nlimit_conns : &c->nlimit_reqs;
    for (size_t i = 0; i < *count; i++)
        if ((*list)[i].zone == u.zone) {
            conf_perr(p, "\"%s\" directive is duplicate",
                      kind == LIMIT_CONN ? "limit_conn" : "limit_req");
            return KT_ERROR;
        }
    if (kind == LIMIT_CONN && *count >= LIMIT_HOLD_MAX) {
        conf_perr(p, "more than %d \"limit_conn\" in one block", LIMIT_HOLD_MAX);
        return KT_ERROR;
    }
    if (u.zone->kind != kind) {
        conf_perr(p, "zone \"%s\" is a \"%s\", not a \"%s\"", u.zone->name,
                  zone_directive(u.zone->kind), zone_directive(kind));
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
int conf_set_limit_conn(struct conf_parser *p, const struct conf_directive *d, char **a, int n,
                        void *conf)
{
    long v;
    (void)d;
    (void)n;
    if (value_long(a[1], &v) != KT_OK || v < 1 || v > 65535) {
        conf_perr(p, "invalid number of connections \"%s\"", a[1]);
        return KT_ERROR;
    }
    return add_limit_use(p, conf, LIMIT_CONN,
                         (struct limit_use){zone_get(p, a[0], LIMIT_CONN), v, 0, 0});
}

/* limit_req zone=NAME [burst=N] [nodelay | delay=N] */
int conf_set_limit_req(struct conf_parser *p, const struct conf_directive *d, char **a, int n,
                       void *conf)
{
    struct limit_use u = {0};
    long v;
    (void)d;
    for (int i = 0; i < n; i++) {
        if (strncmp(a[i], "zone=", 5) == 0 && a[i][5] != '\0')
            u.zone = zone_get(p, a[i] + 5, LIMIT_REQ);
        else if (strncmp(a[i], "burst=", 6) == 0) {
            if (value_long(a[i] + 6, &v) != KT_OK || v > 1000000) {
                conf_perr(p, "invalid burst value \"%s\"", a[i]);
                return KT_ERROR;
            }
            u.burst = v * 1000;
        } else if (strncmp(a[i], "delay=", 6) == 0) {
            if (value_long(a[i] + 6, &v) != KT_OK || v > 1000000) {
                conf_perr(p, "invalid delay value \"%s\"", a[i]);
                return KT_ERROR;
            }
            u.delay = v * 1000;
        } else if (strcmp(a[i], "nodelay") == 0)
            u.delay = LONG_MAX;
        else {
            conf_perr(p, "invalid parameter \"%s\"", a[i]);
            return KT_ERROR;
        }
    }
    if (u.zone == NULL) {
        conf_perr(p, "\"limit_req\" must have \"zone\" parameter");
        return KT_ERROR;
    }
    return add_limit_use(p, conf, LIMIT_REQ, u);
}

/* limit_rate and limit_rate_after: a size; nginx 1.17 takes variables
 * there, ktlsd does not. */
int conf_set_limit_size(struct conf_parser *p, const struct conf_directive *d, char **a, int n,
                        void *conf)
{
    if (conf_no_variables(p, d->name, a[0]) != KT_OK)
        return KT_ERROR;
    return conf_set_size(p, d, a, n, conf);
}

/* limit_*_log_level: the row's words ("info", "notice", "warn", "error"),
 * in the order of levels[]. */
int conf_set_limit_level(struct conf_parser *p, const struct conf_directive *d, char **a, int n,
                         void *conf)
{
    static const int levels[] = {LL_INFO, LL_NOTICE, LL_WARN, LL_ERR};
    int *v = (int *)((char *)conf + d->off);
    if (conf_set_enum(p, d, a, n, conf) != KT_OK)
        return KT_ERROR;
    *v = levels[*v];
    return KT_OK;
}

/* auth_basic REALM | off; auth_basic_user_file FILE: literal (nginx
 * expands variables in both; ktlsd refuses them). */
int conf_set_auth_str(struct conf_parser *p, const struct conf_directive *d, char **a, int n,
                      void *conf)
{
    char **v = (char **)((char *)conf + d->off);
    (void)n;
    if (conf_no_variables(p, d->name, a[0]) != KT_OK)
        return KT_ERROR;
    for (const char *s = a[0]; *s; s++)
        if ((unsigned char)*s < 0x20 || *s == 0x7f ||
            (*s == '"' && strcmp(d->name, "auth_basic") == 0)) {
            conf_perr(p, "invalid character in \"%s\" directive", d->name);
            return KT_ERROR;
        }
    if (*v != NULL) {
        conf_perr(p, "\"%s\" directive is duplicate", d->name);
        return KT_ERROR;
    }
    *v = xstrdup(a[0]);
    return KT_OK;
}

int conf_set_access(struct conf_parser *p, const struct conf_directive *d, char **a, int n,
                    void *conf)
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
            conf_perr(p, "invalid parameter \"%s\"", a[0]);
            return KT_ERROR;
        }
        bits = r.family == AF_INET ? 32 : 128;
        if (slash != NULL &&
            (value_long(slash, &bits) != KT_OK || bits > (r.family == AF_INET ? 32 : 128))) {
            conf_perr(p, "invalid parameter \"%s\"", a[0]);
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
