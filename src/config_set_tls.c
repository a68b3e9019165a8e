/* config_set_tls.c: the setters of TLS directives that need more than a
 * plain kind (tls_ctx.c applies them). */
#include "config_int.h"
#include "util.h"
#include "value.h"

#include <stdlib.h>
#include <string.h>

int conf_set_ssl_protocols(struct conf_parser *p, const struct conf_directive *d, char **a, int n,
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
            conf_pwarn(
                p, "\"%s\" in \"ssl_protocols\" is ignored: ktlsd speaks TLSv1.2 and TLSv1.3 only",
                a[i]);
        else {
            conf_perr(p, "invalid value \"%s\" in \"ssl_protocols\" directive", a[i]);
            return KT_ERROR;
        }
    }
    if (c->ssl_protocols == 0) {
        conf_perr(p,
                  "\"ssl_protocols\" enables no protocol that ktlsd supports (TLSv1.2, TLSv1.3)");
        return KT_ERROR;
    }
    return KT_OK;
}

int conf_set_ssl_conf_command(struct conf_parser *p, const struct conf_directive *d, char **a,
                              int n, void *conf)
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
int conf_set_ssl_buffer_size(struct conf_parser *p, const struct conf_directive *d, char **a, int n,
                             void *conf)
{
    struct srv_conf *c = conf;
    long long v;
    (void)n;
    if (value_size(a[0], &v) != KT_OK || v < 512) {
        conf_perr(p, "invalid value \"%s\" in \"%s\" directive (512 or more)", a[0], d->name);
        return KT_ERROR;
    }
    c->ssl_buffer_size = v > 16384 ? 16384 : (int)v;
    return KT_OK;
}

/* 0-RTT data can be replayed by anyone who saw it; ktlsd refuses it (no
 * early data is ever read), so "on" is an error rather than a silent off. */
int conf_set_ssl_early_data(struct conf_parser *p, const struct conf_directive *d, char **a, int n,
                            void *conf)
{
    if (strcmp(a[0], "on") == 0) {
        conf_perr(p,
                  "\"ssl_early_data on\" is not supported by ktlsd: TLS 1.3 0-RTT data is always "
                  "refused (the client sends it again after the handshake)");
        return KT_ERROR;
    }
    return conf_set_noop_flag(p, d, a, n, conf); /* "off": what ktlsd does anyway */
}

/* ssl_session_cache off | none | [builtin[:size]] [shared:name:size], as
 * nginx: "off" tells clients that sessions are never reused, "none" hands
 * out session IDs but keeps nothing, builtin is OpenSSL's cache in each
 * worker (in sessions), shared one in shared memory for all (in bytes). */
int conf_set_ssl_session_cache(struct conf_parser *p, const struct conf_directive *d, char **a,
                               int n, void *conf)
{
    struct srv_conf *c = conf;
    (void)d;
    if (c->ssl_session_cache != CONF_UNSET) {
        conf_perr(p, "\"ssl_session_cache\" directive is duplicate");
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
                conf_perr(p, "zone \"%.*s\" is too %s", (int)(colon - name), name,
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
        conf_perr(p, "invalid session cache \"%s\"", a[i]);
        return KT_ERROR;
    }
    return KT_OK;
}
