/* config_set.c: the setters of the plain kinds (flag, number, size, time,
 * string, list, keyword), which read the field a row names by its offset,
 * and the checks that several setters share. */
#include "config_int.h"
#include "rewrite.h"
#include "util.h"
#include "value.h"
#include "vars.h"

#include <stdlib.h>
#include <string.h>

int conf_set_flag(struct conf_parser *p, const struct conf_directive *d, char **a, int n,
                  void *conf)
{
    int *v = (int *)((char *)conf + d->off);
    (void)n;
    if (strcmp(a[0], "on") == 0)
        *v = 1;
    else if (strcmp(a[0], "off") == 0)
        *v = 0;
    else {
        conf_perr(p, "invalid value \"%s\" in \"%s\" directive, it must be \"on\" or \"off\"", a[0],
                  d->name);
        return KT_ERROR;
    }
    return KT_OK;
}

int conf_set_num(struct conf_parser *p, const struct conf_directive *d, char **a, int n, void *conf)
{
    long v;
    (void)n;
    if (value_long(a[0], &v) != KT_OK || v < d->lo || v > d->hi) {
        conf_perr(p, "invalid value \"%s\" in \"%s\" directive (expected %ld..%ld)", a[0], d->name,
                  d->lo, d->hi);
        return KT_ERROR;
    }
    *(int *)((char *)conf + d->off) = (int)v;
    return KT_OK;
}

int conf_set_time(struct conf_parser *p, const struct conf_directive *d, char **a, int n,
                  void *conf)
{
    double v;
    (void)n;
    if (value_time(a[0], &v) != KT_OK || v > (double)d->hi) {
        conf_perr(p, "invalid time \"%s\" in \"%s\" directive", a[0], d->name);
        return KT_ERROR;
    }
    *(double *)((char *)conf + d->off) = v;
    return KT_OK;
}

int conf_set_size(struct conf_parser *p, const struct conf_directive *d, char **a, int n,
                  void *conf)
{
    (void)n;
    if (value_size(a[0], (long long *)((char *)conf + d->off)) != KT_OK) {
        conf_perr(p, "invalid size \"%s\" in \"%s\" directive", a[0], d->name);
        return KT_ERROR;
    }
    return KT_OK;
}

int conf_set_str(struct conf_parser *p, const struct conf_directive *d, char **a, int n, void *conf)
{
    char **v = (char **)((char *)conf + d->off);
    (void)n;
    if (*v != NULL) {
        conf_perr(p, "\"%s\" directive is duplicate", d->name);
        return KT_ERROR;
    }
    if (a[0][0] == '\0') {
        conf_perr(p, "empty value in \"%s\" directive", d->name);
        return KT_ERROR;
    }
    *v = xstrdup(a[0]);
    return KT_OK;
}

/* A list: every argument appended (the row gives the count's offset). */
int conf_set_list(struct conf_parser *p, const struct conf_directive *d, char **a, int n,
                  void *conf)
{
    char ***v = (char ***)((char *)conf + d->off);
    size_t *count = (size_t *)((char *)conf + d->count_off);
    (void)p;
    for (int i = 0; i < n; i++) {
        *v = xrealloc(*v, (*count + 1) * sizeof(char *));
        (*v)[(*count)++] = xstrdup(a[i]);
    }
    return KT_OK;
}

/* A keyword out of the row's words: the field is its index. */
int conf_set_enum(struct conf_parser *p, const struct conf_directive *d, char **a, int n,
                  void *conf)
{
    (void)n;
    for (int i = 0; d->words[i] != NULL; i++)
        if (strcmp(a[0], d->words[i]) == 0) {
            *(int *)((char *)conf + d->off) = i;
            return KT_OK;
        }
    conf_perr(p, "invalid value \"%s\" in \"%s\" directive", a[0], d->name);
    return KT_ERROR;
}

int conf_set_on(struct conf_parser *p, const struct conf_directive *d, char **a, int n, void *conf)
{
    (void)p;
    (void)a;
    (void)n;
    *(int *)((char *)conf + d->off) = 1;
    return KT_OK;
}

/* A value that takes variables: each must be one ktlsd knows (nginx's
 * "unknown "NAME" variable" otherwise). */
int conf_check_vars(struct conf_parser *p, const char *v)
{
    char msg[256];
    if (vars_check(v, msg, sizeof(msg)) != KT_OK) {
        conf_perr(p, "%s", msg);
        return KT_ERROR;
    }
    return KT_OK;
}

int conf_no_variables(struct conf_parser *p, const char *directive, const char *v)
{
    if (strchr(v, '$') != NULL) {
        conf_perr(p, "variables in \"%s\" are not supported by ktlsd", directive);
        return KT_ERROR;
    }
    return KT_OK;
}

/* A path nginx would expand variables in but ktlsd takes literally: refused,
 * never served from a directory named "$host". */
int conf_set_path_list(struct conf_parser *p, const struct conf_directive *d, char **a, int n,
                       void *conf)
{
    if (conf_no_variables(p, d->name, a[0]) != KT_OK)
        return KT_ERROR;
    return conf_set_list(p, d, a, n, conf);
}

/* root and alias: variables are expanded per request (request.c opens the
 * directory before the first variable). */
int conf_set_dir(struct conf_parser *p, const struct conf_directive *d, char **a, int n, void *conf)
{
    if (conf_check_vars(p, a[0]) != KT_OK)
        return KT_ERROR;
    return conf_set_str(p, d, a, n, conf);
}

int conf_set_try_files(struct conf_parser *p, const struct conf_directive *d, char **a, int n,
                       void *conf)
{
    for (int i = 0; i < n; i++)
        if (conf_check_vars(p, a[i]) != KT_OK)
            return KT_ERROR;
    return conf_set_list(p, d, a, n, conf);
}

int conf_set_index(struct conf_parser *p, const struct conf_directive *d, char **a, int n,
                   void *conf)
{
    for (int i = 0; i < n; i++) {
        if (conf_no_variables(p, d->name, a[i]) != KT_OK)
            return KT_ERROR;
        if (a[i][0] == '/') { /* nginx: an internal redirect to that URI */
            conf_perr(p, "absolute index \"%s\" is not supported by ktlsd", a[i]);
            return KT_ERROR;
        }
    }
    return conf_set_list(p, d, a, n, conf);
}

/* Directives that tune nginx internals this design does not have: checked
 * for their argument count only (the table), no effect; the reason is in
 * the README's directive table. */
int conf_set_noop_size(struct conf_parser *p, const struct conf_directive *d, char **a, int n,
                       void *conf)
{
    long long v;
    (void)n;
    (void)conf;
    if (value_size(a[0], &v) != KT_OK) {
        conf_perr(p, "invalid value \"%s\" in \"%s\" directive", a[0], d->name);
        return KT_ERROR;
    }
    return KT_OK;
}

int conf_set_noop_flag(struct conf_parser *p, const struct conf_directive *d, char **a, int n,
                       void *conf)
{
    int v; /* the row's offset is 0 */
    (void)conf;
    return conf_set_flag(p, d, a, n, &v);
}

/* A list directive that may appear once per level (gzip_types, brotli_types,
 * charset_types): a second one in the same block is an error, as nginx's. */
int conf_set_types_list(struct conf_parser *p, const struct conf_directive *d, char **a, int n,
                        void *conf)
{
    char ***v = (char ***)((char *)conf + d->off);
    if (*v != NULL) {
        conf_perr(p, "\"%s\" directive is duplicate", d->name);
        return KT_ERROR;
    }
    return conf_set_list(p, d, a, n, conf);
}

/* return, rewrite, set, break: a step of the level's rewrite list. */
int conf_set_rewrite(struct conf_parser *p, const struct conf_directive *d, char **a, int n,
                     void *conf)
{
    char msg[512];
    if (rewrite_add(conf, d->name, a, n, msg, sizeof(msg)) != KT_OK) {
        conf_perr(p, "%s", msg);
        return KT_ERROR;
    }
    return KT_OK;
}
