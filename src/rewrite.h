/* rewrite.h: nginx's rewrite module, its static part: "return",
 * "rewrite REGEX REPLACEMENT [last|break|redirect|permanent]", "set",
 * "break" and "if (CONDITION) { ... }", kept per server and per location
 * as a list of steps in file order. request.c runs the server's list
 * before the location search and the location's after it (nginx's
 * server_rewrite and rewrite phases) and acts on what the list ends with. */
#ifndef KTLSD_REWRITE_H
#define KTLSD_REWRITE_H

#include <stddef.h>

struct answer;
struct location;
struct srv_conf;
struct vars_tpl;

enum { RW_RETURN, RW_REWRITE, RW_SET, RW_BREAK, RW_IF };
enum { RWF_NONE, RWF_LAST, RWF_BREAK, RWF_REDIRECT, RWF_PERMANENT };
enum {
    COND_VAR, /* if ($var): neither empty nor "0" */
    COND_EQ,
    COND_NEQ,
    COND_RE, /* ~ and ~* */
    COND_NRE,
    COND_F, /* -f: a regular file; the rest: !-f, -d, !-d, -e, !-e, -x, !-x */
    COND_NF,
    COND_D,
    COND_ND,
    COND_E,
    COND_NE,
    COND_X,
    COND_NX,
};

struct rewrite_cond {
    int op;
    struct vars_tpl *left;  /* the variable, or the path of -f and the like */
    struct vars_tpl *right; /* = and != */
    void *re, *md;          /* ~ and !~ */
};

struct rewrite_op {
    int kind;
    int code;             /* return: the status; rewrite: RWF_* */
    char *text;           /* return: the text or URL; rewrite: the replacement; may be NULL */
    struct vars_tpl *tpl; /* of text (set: of the value) */
    void *re, *md;        /* rewrite */
    struct vars_tpl *path_tpl, *args_tpl; /* rewrite: tpl split at its first literal '?' */
    int add_args; /* rewrite: the request's arguments follow the replacement's */
    int index;    /* set: the variable */
    struct rewrite_cond cond;
    struct location *ifloc; /* if: the block's settings, merged from its level, and its steps */
};

/* What a list ended with: went through (RW_GO_ON), "break" (RW_STOP), a
 * "last" rewrite (RW_LAST: search the locations again), or an answer
 * (RW_ANSWER: code with text expanded from tpl, or with text as it is). */
enum { RW_GO_ON, RW_STOP, RW_LAST, RW_ANSWER };
struct rewrite_result {
    int code;
    const char *text;
    size_t len;
    const struct vars_tpl *tpl;
};

/* "return", "rewrite", "set" or "break" with its arguments, appended to
 * c's list. KT_ERROR with err set. */
int rewrite_add(struct srv_conf *c, const char *name, char **a, int n, char *err, size_t errlen);
/* "if (...)": the condition parsed, the step appended to c's list with
 * ifloc (fresh settings the block fills) as its body. */
int rewrite_add_if(struct srv_conf *c, char **a, int n, struct location *ifloc, char *err,
                   size_t errlen);
/* The condition of one "if" (exported for the unit tests). */
int rewrite_cond_parse(struct rewrite_cond *cond, char **a, int n, char *err, size_t errlen);
int rewrite_cond_eval(struct answer *x, const struct rewrite_cond *cond);
/* Runs c's list for x. in_location: an "if" that holds puts its block's
 * settings in x->conf. */
int rewrite_run(struct answer *x, const struct srv_conf *c, int in_location,
                struct rewrite_result *res);
/* Frees the list (not the settings of the "if" blocks: config_merge.c's). */
void rewrite_free(struct rewrite_op *ops, size_t n);

#endif
