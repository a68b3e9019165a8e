/* vars.c: the names of nginx variables that ktlsd knows, and the parsing
 * and expansion of values that use them. The values themselves come from
 * the caller's getter: this file knows nothing of requests. */
#include "vars.h"
#include "util.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

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

static int name_char(char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_';
}

static int lookup(const char *name, size_t len, struct var_ref *v)
{
    for (size_t i = 0; i < ARRAY_LEN(names); i++)
        if (strlen(names[i].name) == len && strncmp(names[i].name, name, len) == 0) {
            *v = (struct var_ref){names[i].id, name, len};
            return 1;
        }
    for (size_t i = 0; i < ncapture_names; i++)
        if (strlen(capture_names[i]) == len && strncmp(capture_names[i], name, len) == 0) {
            *v = (struct var_ref){VAR_NAMED_CAPTURE, name, len};
            return 1;
        }
    for (size_t i = 0; i < ARRAY_LEN(families); i++) {
        size_t n = strlen(families[i].prefix);
        if (len > n && strncmp(families[i].prefix, name, n) == 0) {
            *v = (struct var_ref){families[i].id, name + n, len - n};
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
        *v = (struct var_ref){VAR_CAPTURE, s + 1, 1};
        return 2;
    }
    while (name_char(*end))
        end++;
    if (end == start || (braced && *end != '}')) {
        snprintf(err, errlen, "invalid variable name");
        return 0;
    }
    if (!lookup(start, (size_t)(end - start), v)) {
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

size_t vars_expand(const char *text, vars_get_fn get, void *arg, char *out, size_t cap)
{
    size_t o = 0;
    if (cap == 0)
        return 0;
    while (*text && o + 1 < cap) {
        struct var_ref v;
        const char *val;
        size_t n, vlen;
        char err[8];
        if (*text != '$' || (n = vars_parse(text, &v, err, sizeof(err))) == 0) {
            out[o++] = *text++;
            continue;
        }
        text += n;
        if (!get(arg, &v, &val, &vlen))
            continue;
        if (vlen > cap - 1 - o)
            vlen = cap - 1 - o;
        memcpy(out + o, val, vlen);
        o += vlen;
    }
    out[o] = '\0';
    return o;
}
