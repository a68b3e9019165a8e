/* activate.c: a parsed configuration made ready to serve (activate.h):
 * roots opened, per-level error_logs shared by (path, level), TLS contexts
 * built for the servers that listen with ssl, status zones named, access
 * logs opened with their options. */
#include "activate.h"
#include "config.h"
#include "log.h"
#include "mime.h"
#include "sessions.h"
#include "static.h"
#include "stats.h"
#include "tls.h"
#include "util.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* status_zone: the name becomes a label and a JSON key, so it keeps to
 * letters, digits, "_", "-" and "."; the zones are few (STATS_ZONES) so
 * that the page's size and a scraper's series stay bounded. */
static int activate_zone(struct server_conf *s, char *err, size_t errlen)
{
    static const char ok[] = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_-.";
    int z;
    if (s->status_zone[strspn(s->status_zone, ok)] != '\0') {
        snprintf(err, errlen,
                 "%s:%d: status_zone \"%.64s\": use letters, digits, \"_\", \"-\", \".\"", s->file,
                 s->line, s->status_zone);
        return KT_ERROR;
    }
    z = stats_zone_id(s->status_zone);
    if (z < 0) {
        snprintf(err, errlen,
                 "%s:%d: status_zone \"%.64s\": at most %d zones of up to %d characters (zones "
                 "of earlier reloads count until a restart)",
                 s->file, s->line, s->status_zone, STATS_ZONES, STATS_ZONE_NAME - 1);
        return KT_ERROR;
    }
    s->zone = z + 1;
    return KT_OK;
}

/* The error_log of an http{}, server{} or location{} level, opened once per
 * (path, level) for the configuration. */
static int open_level_log(struct config *cf, struct srv_conf *c, const char *file, int line,
                          char *err, size_t errlen)
{
    if (c->error_log == NULL)
        return KT_OK;
    for (size_t i = 0; i < cf->nelogs; i++)
        if (error_log_is(cf->elogs[i], c->error_log, c->error_log_level)) {
            c->error_log_dest = cf->elogs[i];
            return KT_OK;
        }
    c->error_log_dest = error_log_open(c->error_log, c->error_log_level);
    if (c->error_log_dest == NULL) {
        snprintf(err, errlen, "%s:%d: open() \"%s\" failed (%d: %s)", file, line, c->error_log,
                 errno, strerror(errno));
        return KT_ERROR;
    }
    cf->elogs = xrealloc(cf->elogs, (cf->nelogs + 1) * sizeof(*cf->elogs));
    cf->elogs[cf->nelogs++] = c->error_log_dest;
    return KT_OK;
}

int activate_config(struct config *cf, char *err, size_t errlen)
{
    mime_load("/etc/mime.types");
    sessions_begin();
    for (size_t i = 0; i < cf->nservers; i++) {
        struct server_conf *s = cf->servers[i];
        int need_ssl = 0;
        if (static_dir_open(&s->dir, s->c.root, time(NULL)) < 0 &&
            strchr(s->c.root, '$') == NULL) /* "$": opened per request */
            log_error(LL_WARN, NULL,
                      "%s:%d: root \"%s\" cannot be opened (%d: %s): its requests will get 404",
                      s->file, s->line, s->c.root, errno, strerror(errno));
        if (open_level_log(cf, &s->c, s->file, s->line, err, errlen) != KT_OK)
            return KT_ERROR;
        for (size_t j = 0; j < s->nlocs; j++) {
            struct location *l = s->locs[j];
            if (open_level_log(cf, &l->c, l->file, l->line, err, errlen) != KT_OK)
                return KT_ERROR;
            const char *dir = l->c.alias != NULL ? l->c.alias : l->c.root;
            if (static_dir_open(&l->dir, dir, time(NULL)) < 0 && errno != ENOENT)
                log_error(LL_WARN, NULL, "%s:%d: \"%s\" cannot be opened (%d: %s)", l->file,
                          l->line, dir, errno, strerror(errno));
        }
        for (size_t j = 0; j < s->nlistens; j++)
            need_ssl |= s->listens[j].ssl;
        if (need_ssl) {
            char e[768];
            s->ssl_ctx = tls_ctx_create(&s->c, e, sizeof(e));
            if (s->ssl_ctx == NULL) {
                snprintf(err, errlen, "%s:%d: %s", s->file, s->line, e);
                return KT_ERROR;
            }
        }
        if (s->status_zone != NULL && activate_zone(s, err, errlen) != KT_OK)
            return KT_ERROR;
        if (strcmp(s->c.access_log_path, "off") != 0) {
            const struct log_format *f = log_format_combined();
            if (s->c.access_log_format != NULL && strcmp(s->c.access_log_format, "combined") != 0)
                for (size_t k = 0; k < cf->nformats; k++)
                    if (strcmp(log_format_name(cf->formats[k].fmt), s->c.access_log_format) == 0)
                        f = cf->formats[k].fmt;
            s->access_log = access_log_open(s->c.access_log_path, f);
            if (s->access_log == NULL) {
                snprintf(err, errlen, "%s:%d: open() \"%s\" failed (%d: %s)", s->file, s->line,
                         s->c.access_log_path, errno, strerror(errno));
                return KT_ERROR;
            }
            char e[256];
            if (access_log_options(s->access_log, (size_t)s->c.access_log_buffer,
                                   s->c.access_log_flush, s->c.access_log_gzip, s->c.access_log_if,
                                   e, sizeof(e)) != KT_OK) {
                snprintf(err, errlen, "%s:%d: %s", s->file, s->line, e);
                return KT_ERROR;
            }
        }
    }
    return KT_OK;
}
