/* reqvars.h: variables valued for the request being answered. */
#ifndef KTLSD_REQVARS_H
#define KTLSD_REQVARS_H

#include <stddef.h>

#define PCRE2_CODE_UNIT_WIDTH 8
#include <pcre2.h>

struct answer;
struct captures;
struct var_ref;
struct vars_tpl;

/* A template (return, try_files, add_header, root...) expanded into out;
 * returns the length (cut to cap-1). */
size_t reqvars_expand(struct answer *x, const struct vars_tpl *t, char *out, size_t cap);
/* One variable's value (vars_get_fn for vars_render); 0 if it has none. */
int reqvars_get(void *arg, const struct var_ref *v, const char **val, size_t *len);
/* Control bytes of a value bound for a header line become %XX, so that no
 * value can end the line; returns the new length (cut to cap-1). */
size_t reqvars_header_safe(char *s, size_t n, size_t cap);
/* "set": the variable's value for the rest of the request. */
void reqvars_set(struct answer *x, int index, const char *val, size_t len);
/* Keeps what a regex with groups matched in s (a copy): $1..$9 and the
 * named captures come from there. */
void reqvars_captures(struct captures *c, const pcre2_code *re, pcre2_match_data *md, int rc,
                      const char *s, size_t len);
/* The root or alias as configured, or as expanded for this request. */
const char *reqvars_dir(const struct answer *x);

#endif
