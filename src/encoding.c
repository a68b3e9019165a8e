/* encoding.c: which coding a response gets, as nginx's gzip filter decides
 * it (status 200, 403 or 404, gzip_types, gzip_min_length,
 * gzip_http_version, gzip_proxied, gzip_disable; a HEAD gets the head of the
 * compressed answer) and ngx_brotli's (brotli_types, brotli_min_length),
 * brotli first when the client takes it, as there. compress.c then
 * compresses. */
#include "encoding.h"
#include "compress.h"
#include "pipeline.h"
#include "static.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* nginx's ngx_http_test_content_type: the type without its parameters, one
 * of the list (or "*"); text/html always. */
static int type_listed(char *const *types, size_t n, const char *ctype)
{
    size_t len = strcspn(ctype, "; ");
    if (len == 9 && strncasecmp(ctype, "text/html", 9) == 0)
        return 1;
    for (size_t i = 0; i < n; i++)
        if (strcmp(types[i], "*") == 0 ||
            (strlen(types[i]) == len && strncasecmp(types[i], ctype, len) == 0))
            return 1;
    return 0;
}

/* A response header of the location's add_header list, or NULL. */
static const char *added_header(const struct srv_conf *c, const char *name)
{
    for (size_t i = 0; i < c->nadd_headers; i++)
        if (strcasecmp(c->add_headers[i].name, name) == 0)
            return c->add_headers[i].value;
    return NULL;
}

/* nginx's gzip_proxied for a request with Via (ngx_http_gzip_ok). */
static int proxied_ok(const struct answer *x)
{
    const struct srv_conf *c = x->conf;
    int p = c->gzip_proxied;
    const char *cc;
    size_t len;
    if (p == 0)
        return 0;
    if (p & GZIP_PROXIED_ANY)
        return 1;
    if ((p & GZIP_PROXIED_AUTH) && http_header(x->env->req, "authorization", &len) != NULL)
        return 1;
    if (c->expires != EXPIRES_OFF) { /* Expires is in the head: expired or not */
        int expired =
            c->expires == EXPIRES_EPOCH || (c->expires == EXPIRES_TIME && c->expires_time < 0);
        return (p & GZIP_PROXIED_EXPIRED) && expired;
    }
    if ((cc = added_header(c, "Cache-Control")) != NULL)
        return ((p & GZIP_PROXIED_NO_CACHE) && strstr(cc, "no-cache") != NULL) ||
               ((p & GZIP_PROXIED_NO_STORE) && strstr(cc, "no-store") != NULL) ||
               ((p & GZIP_PROXIED_PRIVATE) && strstr(cc, "private") != NULL);
    if (p & GZIP_PROXIED_NO_LM) /* a file always has its Last-Modified */
        return 0;
    if ((p & GZIP_PROXIED_NO_ETAG) && c->etag)
        return 0;
    return 1;
}

/* nginx's "msie6": MSIE 4 to 6, except 6.0 with SV1. */
static int msie6(const char *ua, size_t len)
{
    const char *m = memmem(ua, len, "MSIE ", 5);
    if (m == NULL || m + 6 >= ua + len)
        return 0;
    if (m[5] < '4' || m[5] > '6' || m[6] != '.')
        return 0;
    return m[5] != '6' || memmem(ua, len, "; SV1", 5) == NULL;
}

static int disabled(const struct answer *x)
{
    const struct srv_conf *c = x->conf;
    size_t len;
    const char *ua;
    if (c->ngzip_disable == 0 || (ua = http_header(x->env->req, "user-agent", &len)) == NULL)
        return 0;
    for (size_t i = 0; i < c->ngzip_disable; i++) {
        pcre2_code *re = c->gzip_disable_re[i];
        if (re == NULL) {
            if (msie6(ua, len))
                return 1;
            continue;
        }
        pcre2_match_data *md = pcre2_match_data_create_from_pattern(re, NULL);
        int rc = pcre2_match(re, (PCRE2_SPTR)ua, len, 0, 0, md, NULL);
        pcre2_match_data_free(md);
        if (rc >= 0)
            return 1;
    }
    return 0;
}

static int gzip_ok(const struct answer *x)
{
    size_t len;
    const char *ae = http_header(x->env->req, "accept-encoding", &len);
    const struct request *req = x->env->req;
    if (ae == NULL || static_accepts(ae, len, "gzip") == 0)
        return 0;
    if (req->http_major * 10 + req->http_minor < x->conf->gzip_http_version)
        return 0;
    if (http_header(x->env->req, "via", &len) != NULL && !proxied_ok(x))
        return 0;
    return !disabled(x);
}

static int brotli_ok(const struct answer *x)
{
    size_t len;
    const char *ae = http_header(x->env->req, "accept-encoding", &len);
    return ae != NULL && static_accepts(ae, len, "br") > 0;
}

const char *encoding_choose(const struct answer *x, int status, const char *content_type,
                            long long length, int *level, int *vary)
{
    const struct srv_conf *c = x->conf;
    int br, gz;
    if (status != 200 && status != 403 && status != 404)
        return NULL;
    if (content_type == NULL || length > COMPRESS_MAX_INPUT) /* HEAD too, as nginx */
        return NULL;
    br = c->brotli && length >= c->brotli_min_length &&
         type_listed(c->brotli_types, c->nbrotli_types, content_type);
    gz = c->gzip && length >= c->gzip_min_length &&
         type_listed(c->gzip_types, c->ngzip_types, content_type);
    if (br || gz)
        *vary = 1;
    if (br && brotli_ok(x)) {
        *level = c->brotli_comp_level;
        return "br";
    }
    if (gz && gzip_ok(x)) {
        *level = c->gzip_comp_level;
        return "gzip";
    }
    return NULL;
}
