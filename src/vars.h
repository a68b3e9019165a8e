/* vars.h: nginx variables ($name, ${name}, $1..$9) in directive values.
 * The config parser runs vars_check on each value that takes variables, so
 * an unknown name fails "ktlsd -t" with nginx's words and FILE:LINE; once
 * merged, each value is compiled (vars_compile) into literal parts and
 * resolved variables, which a request renders (vars_render) by asking a
 * getter (request.c) for each variable's value. */
#ifndef KTLSD_VARS_H
#define KTLSD_VARS_H

#include <stddef.h>

enum var_id {
    VAR_SCHEME,
    VAR_HTTPS,
    VAR_HOST,
    VAR_REQUEST_URI,
    VAR_URI,
    VAR_DOCUMENT_URI,
    VAR_ARGS,
    VAR_QUERY_STRING,
    VAR_IS_ARGS,
    VAR_SERVER_NAME,
    VAR_SERVER_PORT,
    VAR_SERVER_ADDR,
    VAR_SERVER_PROTOCOL,
    VAR_REMOTE_ADDR,
    VAR_REMOTE_PORT,
    VAR_REQUEST_METHOD,
    VAR_REQUEST,
    VAR_DOCUMENT_ROOT,
    VAR_REALPATH_ROOT,
    VAR_REQUEST_FILENAME,
    VAR_TIME_ISO8601,
    VAR_TIME_LOCAL,
    VAR_MSEC,
    VAR_SSL_SESSION_REUSED,
    VAR_SSL_SERVER_NAME,
    VAR_SSL_PROTOCOL,
    VAR_SSL_CIPHER,
    VAR_CONTENT_TYPE,
    VAR_CONTENT_LENGTH,
    VAR_HOSTNAME,
    VAR_LIMIT_RATE,
    VAR_LIMIT_REQ_STATUS,
    VAR_LIMIT_CONN_STATUS,
    /* families: the rest of the name is the key */
    VAR_HTTP,          /* $http_NAME: request header */
    VAR_ARG,           /* $arg_NAME: query argument */
    VAR_COOKIE,        /* $cookie_NAME */
    VAR_SENT_HTTP,     /* $sent_http_NAME: response header (empty before the response) */
    VAR_CAPTURE,       /* $1..$9: key is the digit */
    VAR_NAMED_CAPTURE, /* (?<name>...) of a regex server_name or location */
    VAR_USER,          /* defined by "map" or "set": index numbers it */
};

struct var_ref {
    enum var_id id;
    const char *key; /* the family's rest of the name, the digit, or the capture name */
    size_t klen;
    int index; /* VAR_USER: which one (vars_add_user) */
};

/* Where the families ($http_, $arg_, $cookie_, $sent_http_) take their
 * values from: request.c while answering, the access log afterwards. */
struct vars_src {
    const char *(*header)(const void *req, const char *lname, size_t *len); /* lowercase name */
    const void *req;
    const char *args; /* the query, raw */
    size_t alen;
    const char *head; /* the response head as sent, or NULL */
    size_t hlen;
};

/* A family variable's value: 1 with val/len set, or 0 (not there). */
int vars_family(const struct var_ref *v, const struct vars_src *src, const char **val, size_t *len);

/* Returns 1 with the value in val and len, or 0: the variable is empty here. */
typedef int (*vars_get_fn)(void *arg, const struct var_ref *v, const char **val, size_t *len);

/* Reads the variable at s ('$' first). Returns the bytes it spans, or 0
 * with err set ("unknown "NAME" variable", "invalid variable name"). */
size_t vars_parse(const char *s, struct var_ref *v, char *err, size_t errlen);
/* KT_OK, or KT_ERROR with the first problem in err. */
int vars_check(const char *text, char *err, size_t errlen);

/* A value compiled once at load: literal parts and variables. */
struct vars_tpl;
/* NULL with err set when vars_check would fail. */
struct vars_tpl *vars_compile(const char *text, char *err, size_t errlen);
void vars_tpl_free(struct vars_tpl *t);
/* The value with its variables replaced; truncated to cap-1,
 * NUL-terminated. Returns the length. */
size_t vars_render(const struct vars_tpl *t, vars_get_fn get, void *arg, char *out, size_t cap);
/* A regex's named captures become variables (config load; pcre2_code). */
void vars_add_captures(const void *re);
/* Forgets them and the "map" and "set" variables: a new configuration is
 * being read. */
void vars_reset_captures(void);
/* Most variables "map" and "set" may define in one configuration. */
#define VARS_USER_MAX 256
/* Defines $name for "map" or "set" (the name without '$'): returns its
 * index (the same one again for a name already defined), or -1 with err
 * set for a built-in name or too many. */
int vars_add_user(const char *name, char *err, size_t errlen);
/* on: an unknown name reads as a "map" or "set" variable with index -1
 * (the configuration's first reading, which collects their names). */
void vars_lenient(int on);
/* Whether text has any variable (a '$'). */
int vars_any(const char *text);

#endif
