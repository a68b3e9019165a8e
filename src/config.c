/* config.c: the configuration's entry points. config_load reads the files
 * (config_parse.c, through the table of directives in config_table.c),
 * merges the levels (config_merge.c) and checks what only the whole can
 * tell; every error is reported as "FILE:LINE: message". */
#include "config_int.h"
#include "limit.h"
#include "log.h"
#include "map.h"
#include "util.h"
#include "vars.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define PCRE2_CODE_UNIT_WIDTH 8
#include <pcre2.h>

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
            struct listen_conf l = {.backlog = LISTEN_BACKLOG, .file = s->file, .line = s->line};
            conf_parse_addr(NULL, "80", &l);
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
                    if (same_addr(&s->listens[m], l))
                        s->c.http2 = 1;
            }
        }
}

/* Each server takes from http{}, each location from its server (nginx's
 * merge); then the values with variables are compiled and the "if" blocks
 * take from their level. */
static int merge_levels(struct config *cf, char *err, size_t errlen)
{
    for (size_t i = 0; i < cf->nservers; i++) {
        struct server_conf *s = cf->servers[i];
        conf_srv_merge(&s->c, &cf->http);
        for (size_t j = 0; j < s->nlocs; j++) {
            struct location *l = s->locs[j];
            if (l->c.alias != NULL && l->c.root != NULL) {
                snprintf(err, errlen, "%s:%d: \"alias\" and \"root\" in one location", l->file,
                         l->line);
                return KT_ERROR;
            }
            conf_srv_merge(&l->c, &s->c);
            if (conf_srv_finish(&l->c, err, errlen) != KT_OK)
                return KT_ERROR;
        }
        if (conf_srv_finish(&s->c, err, errlen) != KT_OK)
            return KT_ERROR;
    }
    return KT_OK;
}

/* The files read into a fresh configuration, not yet merged. */
static struct config *config_read(const char *path, char *err, size_t errlen)
{
    struct config *cf = xcalloc(1, sizeof(*cf));
    struct conf_parser top = {.cf = cf, .err = err, .errlen = errlen};

    cf->path = xstrdup(path);
    conf_main_init(cf);
    conf_srv_init(&cf->http);
    if (conf_parse_file(&top, path, CTX_MAIN, cf) != KT_OK) {
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
    cf = config_read(path, first_err, sizeof(first_err));
    vars_lenient(0);
    if (cf == NULL) { /* an error that is not an unknown variable: it stands */
        snprintf(err, errlen, "%s", first_err);
        return NULL;
    }
    config_free(cf);
    conf_second_reading = 1;
    cf = config_read(path, err, errlen);
    conf_second_reading = 0;
    if (cf == NULL)
        return NULL;
    listen_http2(cf);
    if (merge_levels(cf, err, errlen) != KT_OK)
        goto fail;
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

void config_free(struct config *cf)
{
    if (cf == NULL)
        return;
    for (size_t i = 0; i < cf->nservers; i++) {
        struct server_conf *s = cf->servers[i];
        conf_srv_free(&s->c);
        for (size_t j = 0; j < s->nlocs; j++) {
            struct location *l = s->locs[j];
            conf_srv_free(&l->c);
            free(l->pattern);
            pcre2_match_data_free(l->md);
            pcre2_code_free(l->re);
            if (l->dir.fd >= 0) /* opened by activate_config */
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
    conf_srv_free(&cf->http);
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
    conf_main_free(cf); /* pid, worker_cpu_affinity */
    for (size_t i = 0; i < cf->nelogs; i++)
        error_log_close(cf->elogs[i]);
    free(cf->elogs);
    free(cf->user);
    free(cf->group);
    free(cf);
}
