/* map.h: nginx's "map SOURCE $RESULT { ... }": a variable whose value is
 * looked up, the first time a request uses it, from the source's value:
 * exact keys (caseless), with "hostnames" the wildcards "*.example.com",
 * ".example.com" and "www.example.*", then regexes in file order, else
 * the default. The parser (config_parse.c) adds the entries; reqvars.c values
 * the variable. */
#ifndef KTLSD_MAP_H
#define KTLSD_MAP_H

#include <stddef.h>

struct vars_tpl;

struct map_entry {
    char *key; /* lowercase, or the regex's text */
    void *re;  /* pcre2_code of a "~" key, else NULL */
    void *md;  /* its match data */
    struct vars_tpl *value;
};

struct map_conf {
    struct vars_tpl *source;
    int index; /* the result's VAR_USER index */
    int hostnames;
    int is_volatile;
    struct vars_tpl *dflt; /* NULL: empty */
    struct map_entry *entries;
    size_t n;
};

/* "map SOURCE $RESULT": NULL with err set for a bad source or name. */
struct map_conf *map_new(const char *source, const char *result, char *err, size_t errlen);
/* One "KEY VALUE;" line of the block (or "default", "hostnames",
 * "volatile"). KT_ERROR with err set. */
int map_add(struct map_conf *m, char **args, int nargs, char *err, size_t errlen);
/* The entry the source value s selects, or NULL for the default; a regex
 * entry leaves its match in its md (rc in *rc). */
const struct map_entry *map_find(const struct map_conf *m, const char *s, size_t len, int *rc);
void map_free(struct map_conf *m);

#endif
