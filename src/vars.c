/* vars.c: the names of nginx variables that ktlsd knows, and the parsing
 * and expansion of values that use them. The values themselves come from
 * the caller's getter: this file knows nothing of requests. */
#include "vars.h"
#include "util.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define PCRE2_CODE_UNIT_WIDTH 8
#include <pcre2.h>

static const struct {
    const char *name;
    enum var_id id;
} names[] = {
    {"scheme", VAR_SCHEME},
    {"https", VAR_HTTPS},
    {"host", VAR_HOST},
    {"request_uri", VAR_REQUEST_URI},
    {"uri", VAR_URI},
    {"document_uri", VAR_DOCUMENT_URI},
    {"args", VAR_ARGS},
    {"query_string", VAR_QUERY_STRING},
    {"is_args", VAR_IS_ARGS},
    {"server_name", VAR_SERVER_NAME},
    {"server_port", VAR_SERVER_PORT},
    {"server_addr", VAR_SERVER_ADDR},
    {"server_protocol", VAR_SERVER_PROTOCOL},
    {"remote_addr", VAR_REMOTE_ADDR},
    {"remote_port", VAR_REMOTE_PORT},
    {"request_method", VAR_REQUEST_METHOD},
    {"request", VAR_REQUEST},
    {"document_root", VAR_DOCUMENT_ROOT},
    {"realpath_root", VAR_REALPATH_ROOT},
    {"request_filename", VAR_REQUEST_FILENAME},
    {"time_iso8601", VAR_TIME_ISO8601},
    {"time_local", VAR_TIME_LOCAL},
    {"msec", VAR_MSEC},
    {"ssl_session_reused", VAR_SSL_SESSION_REUSED},
    {"ssl_server_name", VAR_SSL_SERVER_NAME},
    {"ssl_protocol", VAR_SSL_PROTOCOL},
    {"ssl_cipher", VAR_SSL_CIPHER},
    {"content_type", VAR_CONTENT_TYPE},
    {"content_length", VAR_CONTENT_LENGTH},
    {"hostname", VAR_HOSTNAME},
    {"limit_rate", VAR_LIMIT_RATE},
    {"limit_req_status", VAR_LIMIT_REQ_STATUS},
    {"limit_conn_status", VAR_LIMIT_CONN_STATUS},
};

static const struct {
    const char *prefix;
    enum var_id id;
} families[] = {
    {"http_", VAR_HTTP},
    {"arg_", VAR_ARG},
    {"cookie_", VAR_COOKIE},
    {"sent_http_", VAR_SENT_HTTP},
};

/* The named captures of every regex in the configuration: nginx makes each
 * a variable for the whole configuration. */
static char **capture_names;
static size_t ncapture_names;
/* The variables "map" and "set" define, by index. */
static char *user_names[VARS_USER_MAX];
static int nuser_names;

void vars_add_captures(const void *re)
{
    uint32_t count = 0, size = 0;
    PCRE2_SPTR table;
    pcre2_pattern_info(re, PCRE2_INFO_NAMECOUNT, &count);
    pcre2_pattern_info(re, PCRE2_INFO_NAMEENTRYSIZE, &size);
    pcre2_pattern_info(re, PCRE2_INFO_NAMETABLE, &table);
    for (uint32_t i = 0; i < count; i++) {
        const char *name = (const char *)table + i * size + 2;
        size_t k;
        for (k = 0; k < ncapture_names; k++)
            if (strcmp(capture_names[k], name) == 0)
                break;
        if (k < ncapture_names)
            continue;
        capture_names = xrealloc(capture_names, (ncapture_names + 1) * sizeof(*capture_names));
        capture_names[ncapture_names++] = xstrdup(name);
    }
}

void vars_reset_captures(void)
{
    for (size_t i = 0; i < ncapture_names; i++)
        free(capture_names[i]);
    free(capture_names);
    capture_names = NULL;
    ncapture_names = 0;
    for (int i = 0; i < nuser_names; i++)
        free(user_names[i]);
    nuser_names = 0;
}

static int lookup(const char *name, size_t len, struct var_ref *v);
static int lenient;

void vars_lenient(int on)
{
    lenient = on;
}

int vars_add_user(const char *name, char *err, size_t errlen)
{
    struct var_ref v;
    size_t len = strlen(name);
    if (len == 0 ||
        strspn(name, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_") != len) {
        snprintf(err, errlen, "invalid variable name \"%s\"", name);
        return -1;
    }
    if (lookup(name, len, &v)) {
        if (v.id == VAR_USER)
            return v.index;
        snprintf(err, errlen, "the duplicate \"%s\" variable", name);
        return -1;
    }
    if (nuser_names == VARS_USER_MAX) {
        snprintf(err, errlen, "more than %d variables defined by \"map\" and \"set\"",
                 VARS_USER_MAX);
        return -1;
    }
    user_names[nuser_names] = xstrdup(name);
    return nuser_names++;
}

static int name_char(char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_';
}

static int lookup(const char *name, size_t len, struct var_ref *v)
{
    for (size_t i = 0; i < ARRAY_LEN(names); i++)
        if (strlen(names[i].name) == len && strncmp(names[i].name, name, len) == 0) {
            *v = (struct var_ref){names[i].id, name, len, 0};
            return 1;
        }
    for (size_t i = 0; i < ncapture_names; i++)
        if (strlen(capture_names[i]) == len && strncmp(capture_names[i], name, len) == 0) {
            *v = (struct var_ref){VAR_NAMED_CAPTURE, name, len, 0};
            return 1;
        }
    for (int i = 0; i < nuser_names; i++)
        if (strlen(user_names[i]) == len && strncmp(user_names[i], name, len) == 0) {
            *v = (struct var_ref){VAR_USER, name, len, i};
            return 1;
        }
    for (size_t i = 0; i < ARRAY_LEN(families); i++) {
        size_t n = strlen(families[i].prefix);
        if (len > n && strncmp(families[i].prefix, name, n) == 0) {
            *v = (struct var_ref){families[i].id, name + n, len - n, 0};
            return 1;
        }
    }
    return 0;
}

/* nginx's script compiler: "$1".."$9" (one digit), "${name}", or "$name"
 * with letters, digits and '_'. */
size_t vars_parse(const char *s, struct var_ref *v, char *err, size_t errlen)
{
    int braced = s[1] == '{';
    const char *start = s + 1 + braced, *end = start;
    if (!braced && s[1] >= '1' && s[1] <= '9') {
        *v = (struct var_ref){VAR_CAPTURE, s + 1, 1, 0};
        return 2;
    }
    while (name_char(*end))
        end++;
    if (end == start || (braced && *end != '}')) {
        snprintf(err, errlen, "invalid variable name");
        return 0;
    }
    if (!lookup(start, (size_t)(end - start), v) && lenient) {
        *v = (struct var_ref){VAR_USER, start, (size_t)(end - start), -1};
    } else if (!lookup(start, (size_t)(end - start), v)) {
        snprintf(err, errlen, "unknown \"%.*s\" variable", (int)(end - start), start);
        return 0;
    }
    return (size_t)(end - s) + (size_t)braced;
}

int vars_check(const char *text, char *err, size_t errlen)
{
    for (const char *p = text; (p = strchr(p, '$')) != NULL;) {
        struct var_ref v;
        size_t n = vars_parse(p, &v, err, errlen);
        if (n == 0)
            return KT_ERROR;
        p += n;
    }
    return KT_OK;
}

int vars_any(const char *text)
{
    return strchr(text, '$') != NULL;
}

/* "X_Real_IP" -> "x-real-ip": the header name a $http_ variable means. */
static int header_name(const struct var_ref *v, char *out, size_t cap)
{
    if (v->klen >= cap)
        return 0;
    for (size_t i = 0; i < v->klen; i++) {
        char c = v->key[i];
        out[i] = c == '_' ? '-' : (c >= 'A' && c <= 'Z') ? (char)(c + 32) : c;
    }
    out[v->klen] = '\0';
    return 1;
}

/* The value of "NAME=value" in a list split by sep, the name caseless as in
 * nginx; blanks before a name are skipped (cookies). */
static int list_value(const char *p, size_t n, char sep, const struct var_ref *v, const char **val,
                      size_t *len)
{
    const char *end = p + n;
    while (p < end) {
        const char *cut, *stop;
        while (sep == ';' && p < end && (*p == ' ' || *p == '\t'))
            p++;
        cut = memchr(p, sep, (size_t)(end - p));
        stop = cut != NULL ? cut : end;
        if ((size_t)(stop - p) > v->klen && p[v->klen] == '=' &&
            strncasecmp(p, v->key, v->klen) == 0) {
            *val = p + v->klen + 1;
            *len = (size_t)(stop - *val);
            return 1;
        }
        p = stop + 1;
    }
    return 0;
}

/* The first "Name: value" line of a response head. */
static int head_value(const char *head, size_t hlen, const char *lname, const char **val,
                      size_t *len)
{
    size_t nlen = strlen(lname);
    const char *p = memchr(head, '\n', hlen), *end = head + hlen; /* past the status line */
    while (p != NULL && ++p < end) {
        const char *eol = memchr(p, '\n', (size_t)(end - p));
        if (eol == NULL)
            return 0;
        if ((size_t)(eol - p) > nlen && p[nlen] == ':' && strncasecmp(p, lname, nlen) == 0) {
            const char *s = p + nlen + 1, *e = eol;
            while (s < e && (*s == ' ' || *s == '\t'))
                s++;
            while (e > s && (e[-1] == '\r' || e[-1] == ' '))
                e--;
            *val = s;
            *len = (size_t)(e - s);
            return 1;
        }
        p = eol;
    }
    return 0;
}

int vars_family(const struct var_ref *v, const struct vars_src *src, const char **val, size_t *len)
{
    char name[128];
    switch (v->id) {
    case VAR_HTTP:
        if (src->header == NULL || !header_name(v, name, sizeof(name)))
            return 0;
        *val = src->header(src->req, name, len);
        return *val != NULL;
    case VAR_COOKIE:
        if (src->header == NULL || (*val = src->header(src->req, "cookie", len)) == NULL)
            return 0;
        return list_value(*val, *len, ';', v, val, len);
    case VAR_ARG:
        return src->args != NULL && list_value(src->args, src->alen, '&', v, val, len);
    case VAR_SENT_HTTP:
        return src->head != NULL && header_name(v, name, sizeof(name)) &&
               head_value(src->head, src->hlen, name, val, len);
    default:
        return 0;
    }
}

struct vars_part {
    int literal;
    struct var_ref v; /* literal: key/klen is the text */
};

struct vars_tpl {
    char *text; /* the parts point into it */
    size_t n;
    struct vars_part parts[];
};

struct vars_tpl *vars_compile(const char *text, char *err, size_t errlen)
{
    size_t n = 1, len = strlen(text);
    struct vars_tpl *t;
    const char *p, *lit;
    for (p = text; (p = strchr(p, '$')) != NULL; p++)
        n += 2;
    t = xcalloc(1, sizeof(*t) + n * sizeof(t->parts[0]));
    t->text = xstrndup(text, len);
    for (p = lit = t->text;; lit = p) {
        struct var_ref v;
        size_t span;
        p = strchr(p, '$');
        if (p == NULL || p > lit) {
            size_t l = p != NULL ? (size_t)(p - lit) : strlen(lit);
            if (l > 0)
                t->parts[t->n++] = (struct vars_part){1, {VAR_SCHEME, lit, l, 0}};
        }
        if (p == NULL)
            return t;
        span = vars_parse(p, &v, err, errlen);
        if (span == 0) {
            vars_tpl_free(t);
            return NULL;
        }
        t->parts[t->n++] = (struct vars_part){0, v};
        p += span;
    }
}

void vars_tpl_free(struct vars_tpl *t)
{
    if (t == NULL)
        return;
    free(t->text);
    free(t);
}

size_t vars_render(const struct vars_tpl *t, vars_get_fn get, void *arg, char *out, size_t cap)
{
    size_t o = 0;
    if (cap == 0)
        return 0;
    for (size_t i = 0; i < t->n && o + 1 < cap; i++) {
        const struct vars_part *part = &t->parts[i];
        const char *val = part->v.key;
        size_t vlen = part->v.klen;
        if ((!part->literal && !get(arg, &part->v, &val, &vlen)) || vlen == 0)
            continue;
        if (vlen > cap - 1 - o)
            vlen = cap - 1 - o;
        memcpy(out + o, val, vlen);
        o += vlen;
    }
    out[o] = '\0';
    return o;
}
