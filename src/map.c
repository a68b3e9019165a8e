/* map.c: the tables of nginx's map module, built at load and searched per
 * request. The values are templates; reqvars.c expands the one found. */
#include "map.h"
#include "util.h"
#include "vars.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define PCRE2_CODE_UNIT_WIDTH 8
#include <pcre2.h>

struct map_conf *map_new(const char *source, const char *result, char *err, size_t errlen)
{
    struct map_conf *m;
    struct vars_tpl *src;
    int index;
    if (result[0] != '$') {
        snprintf(err, errlen, "invalid variable name \"%s\"", result);
        return NULL;
    }
    if ((src = vars_compile(source, err, errlen)) == NULL)
        return NULL;
    if ((index = vars_add_user(result + 1, err, errlen)) < 0) {
        vars_tpl_free(src);
        return NULL;
    }
    m = xcalloc(1, sizeof(*m));
    m->source = src;
    m->index = index;
    return m;
}

static int has_key(const struct map_conf *m, const char *key)
{
    for (size_t i = 0; i < m->n; i++)
        if (m->entries[i].re == NULL && strcmp(m->entries[i].key, key) == 0)
            return 1;
    return 0;
}

int map_add(struct map_conf *m, char **a, int n, char *err, size_t errlen)
{
    struct map_entry e = {0};
    const char *key = a[0];
    if (n == 1 && strcmp(a[0], "hostnames") == 0) {
        m->hostnames = 1;
        return KT_OK;
    }
    if (n == 1 && strcmp(a[0], "volatile") == 0) {
        m->is_volatile = 1;
        return KT_OK;
    }
    if (n != 2) {
        snprintf(err, errlen, "invalid number of the map parameters");
        return KT_ERROR;
    }
    if (strcmp(key, "default") == 0) {
        if (m->dflt != NULL) {
            snprintf(err, errlen, "duplicate default map parameter");
            return KT_ERROR;
        }
        return (m->dflt = vars_compile(a[1], err, errlen)) != NULL ? KT_OK : KT_ERROR;
    }
    if (key[0] == '~') {
        int caseless = key[1] == '*', code;
        PCRE2_SIZE off;
        const char *pat = key + 1 + caseless;
        e.re = pcre2_compile((PCRE2_SPTR)pat, PCRE2_ZERO_TERMINATED, caseless ? PCRE2_CASELESS : 0,
                             &code, &off, NULL);
        if (e.re == NULL) {
            PCRE2_UCHAR msg[256];
            pcre2_get_error_message(code, msg, sizeof(msg));
            snprintf(err, errlen, "pcre2_compile() failed: %s in \"%s\" at \"%s\"", (char *)msg,
                     pat, pat + off);
            return KT_ERROR;
        }
        e.md = pcre2_match_data_create_from_pattern(e.re, NULL);
        vars_add_captures(e.re);
        e.key = xstrdup(pat);
    } else {
        if (key[0] == '\\') /* "\default", "\~": the word itself */
            key++;
        e.key = xstrdup(key);
        for (char *c = e.key; *c; c++)
            *c = (*c >= 'A' && *c <= 'Z') ? (char)(*c + 32) : *c;
        if (has_key(m, e.key)) {
            snprintf(err, errlen, "conflicting parameter \"%s\"", a[0]);
            free(e.key);
            return KT_ERROR;
        }
    }
    if ((e.value = vars_compile(a[1], err, errlen)) == NULL) {
        free(e.key);
        pcre2_match_data_free(e.md);
        pcre2_code_free(e.re);
        return KT_ERROR;
    }
    m->entries = xrealloc(m->entries, (m->n + 1) * sizeof(*m->entries));
    m->entries[m->n++] = e;
    return KT_OK;
}

/* How well a "hostnames" key matches: 3 exact, 2 "*.x" / ".x" by length
 * (the longest wins, as in nginx's wildcard hash), 1 "x.*", 0 none. */
static size_t host_score(const char *k, const char *s, size_t len)
{
    size_t n = strlen(k);
    if (k[0] == '*' && k[1] == '.' && len > n - 1 && strncmp(s + len - (n - 1), k + 1, n - 1) == 0)
        return 1000 + n;
    if (k[0] == '.' && ((len == n - 1 && strncmp(s, k + 1, len) == 0) ||
                        (len > n && strncmp(s + len - n, k, n) == 0)))
        return 1000 + n;
    if (n > 2 && k[n - 1] == '*' && k[n - 2] == '.' && len > n - 1 && strncmp(s, k, n - 1) == 0)
        return 1 + n;
    return 0;
}

const struct map_entry *map_find(const struct map_conf *m, const char *s, size_t len, int *rc)
{
    char low[1024];
    const struct map_entry *best = NULL;
    size_t best_score = 0;
    if (m->hostnames && len > 0 && s[len - 1] == '.')
        len--;
    if (len < sizeof(low)) {
        for (size_t i = 0; i < len; i++)
            low[i] = (s[i] >= 'A' && s[i] <= 'Z') ? (char)(s[i] + 32) : s[i];
        for (size_t i = 0; i < m->n; i++) {
            const struct map_entry *e = &m->entries[i];
            if (e->re == NULL && strlen(e->key) == len && memcmp(e->key, low, len) == 0)
                return e;
        }
        for (size_t i = 0; m->hostnames && len > 0 && i < m->n; i++) {
            const struct map_entry *e = &m->entries[i];
            size_t score = e->re == NULL ? host_score(e->key, low, len) : 0;
            if (score > best_score) {
                best_score = score;
                best = e;
            }
        }
        if (best != NULL)
            return best;
    }
    for (size_t i = 0; len > 0 && i < m->n; i++) {
        const struct map_entry *e = &m->entries[i];
        int r;
        if (e->re == NULL)
            continue;
        r = pcre2_match(e->re, (PCRE2_SPTR)s, len, 0, 0, e->md, NULL);
        if (r >= 0) {
            *rc = r;
            return e;
        }
    }
    return NULL;
}

void map_free(struct map_conf *m)
{
    if (m == NULL)
        return;
    for (size_t i = 0; i < m->n; i++) {
        free(m->entries[i].key);
        pcre2_match_data_free(m->entries[i].md);
        pcre2_code_free(m->entries[i].re);
        vars_tpl_free(m->entries[i].value);
    }
    free(m->entries);
    vars_tpl_free(m->source);
    vars_tpl_free(m->dflt);
    free(m);
}
